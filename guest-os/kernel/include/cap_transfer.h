/* Internal interface: passing a capability along with an IPC message. */
#ifndef CAP_TRANSFER_H
#define CAP_TRANSFER_H
#include "kernel.h"
/* returns number of caps transferred (0 or 1) */
word_t cap_transfer(struct tcb *src, struct tcb *dst);
#endif
