/*
 * Codesign context switch (Xctx): the kernel only picks the next thread here.
 * Its whole user context - registers, pc, satp and the per-thread extension
 * CSRs (link stack, gate badge, window hand-over, ...) - is one 384-byte
 * Xctx image at the start of its TCB, installed at kernel exit by
 * restore_user() with ctx.load + ctx.switch (see cs.c); nothing here writes
 * satp, and no TLB is flushed (ASID-tagged).
 */
static inline __attribute__((always_inline)) void ctx_switch_to(struct tcb *next)
{
    current = next;
}
