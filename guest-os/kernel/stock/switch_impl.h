/* Stock context switch: satp write with the target's ASID (no flush). */
static inline void ctx_switch_to(struct tcb *next)
{
    vspace_activate(next->vspace);
    current = next;
}
