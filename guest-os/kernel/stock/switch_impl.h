/* Stock context switch: satp write with the target's ASID (no TLB flush). */
static inline __attribute__((always_inline)) void ctx_switch_to(struct tcb *next)
{
    struct vspace *vs = next->vspace;
    if (vs != active_vspace) {
        if (likely(vs->asid_gen == asid_gen && asid_bits != 0)) {
            csr_write(satp, vs->satp);
            active_vspace = vs;
        } else {
            vspace_activate(vs); /* new ASID generation, or no ASIDs: flush */
        }
    }
    current = next;
}

/* Stock syscall entry: entry.S saved the pc of the ecall; step past it. */
static inline __attribute__((always_inline)) void ctx_syscall_entry(struct tcb *cur)
{
    cur->regs[REG_PC] += 4;
}
