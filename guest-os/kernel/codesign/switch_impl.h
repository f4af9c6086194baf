/*
 * Codesign context switch (Xctx): the kernel only picks the next thread here.
 * Its whole user context - registers, pc, satp and the per-thread extension
 * CSRs (link stack, gate badge, window hand-over, ...) - is one 384-byte
 * Xctx image at the start of its TCB, installed at kernel exit by
 * restore_user() with ctx.load + ctx.switch (see cs.c); nothing here writes
 * satp, and no TLB is flushed (ASID-tagged).
 */
#include "cs.h"
static inline __attribute__((always_inline)) void ctx_switch_to(struct tcb *next)
{
    current = next;
}

/*
 * Codesign syscall entry: ctx.save already pointed the pc past the ecall.
 * The thread may be executing in another domain than its own (a gate
 * callee), whose CSpace its cptrs then name, and may hold windows handed
 * along its call chain: cs_entry_sync() brings its TCB up to date.
 */
static inline __attribute__((always_inline)) void ctx_syscall_entry(struct tcb *cur)
{
    cs_entry_sync(cur);
}
