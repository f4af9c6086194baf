/*
 * Internal interface: the user context of threads - switching the current
 * thread (address space + state), and completing the context a thread saved
 * when it entered the kernel with a syscall.
 */
#ifndef CTX_SWITCH_H
#define CTX_SWITCH_H
#include "kernel.h"
static inline __attribute__((always_inline)) void ctx_switch_to(struct tcb *next);
/* syscall entry: cur's saved context resumes after its ecall */
static inline __attribute__((always_inline)) void ctx_syscall_entry(struct tcb *cur);
#include "switch_impl.h"
#endif
