/* Internal interface: switching the current thread (address space + state). */
#ifndef CTX_SWITCH_H
#define CTX_SWITCH_H
#include "kernel.h"
static inline __attribute__((always_inline)) void ctx_switch_to(struct tcb *next);
#include "switch_impl.h"
#endif
