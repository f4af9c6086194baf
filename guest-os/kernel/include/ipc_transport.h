/*
 * Internal interface: IPC message transport between two threads.
 * The stock implementation (stock/transport_impl.h) copies message registers
 * through the saved register file and longer messages through the IPC
 * buffers. A codesign build swaps the implementation directory.
 */
#ifndef IPC_TRANSPORT_H
#define IPC_TRANSPORT_H
#include "kernel.h"
/* fastpath: register-only message (len <= 4, no caps), values in registers */
static inline void transport_regs(struct tcb *dst, word_t info, word_t badge,
                                  word_t mr0, word_t mr1, word_t mr2, word_t mr3);
/* general message transfer (slow path); returns the info word delivered */
word_t transport_msg(struct tcb *src, struct tcb *dst, word_t info, word_t badge, bool grant);
#include "transport_impl.h"
#endif
