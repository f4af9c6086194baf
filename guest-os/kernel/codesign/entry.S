/*
 * Codesign S-mode trap entry (Xctx). The first instruction, ctx.save, saves
 * the whole trapped user context (x1..x31, pc - past the ecall for syscalls -,
 * satp and the extensions' per-thread CSRs) into the Xctx slot it runs in
 * (ctxcur); every register is then free for the kernel.
 *
 * Slots: 0 = the kernel's current thread (loaded from its TCB at every exit),
 *        1 = the idle context (lets the hardware deliver user interrupts
 *            while no thread is runnable),
 *        2.. = user-interrupt handler contexts (Xuirq), pinned.
 * A trap in slot 0 stores the slot into the current TCB's image (ctx.store)
 * so that the C code sees the thread's registers in tcb->regs as in the stock
 * kernel; traps in the other slots go to c_special_trap. CLB misses are
 * served without the store (the context is resumed unchanged after gfill).
 * The kernel itself never traps (interrupts off); a trap with SPP = S is a
 * kernel bug and panics (checked on the non-syscall paths).
 *
 * Exit: restore_user() (cs.c) does ctx.load slot 0 <- TCB image, then
 * ctx.switch slot 0 (restore + sret in one instruction).
 */
#define CSR_CTXCUR 0x5d0
#define CAUSE_ECALL_U 8
#define CAUSE_CLB_MISS 24

    .section .text
    .align 4
    .globl trap_entry
trap_entry:
    .insn r 0x0b, 3, 0, x0, x0, x0          /* ctx.save */
    csrr t0, CSR_CTXCUR
    la sp, kernel_stack_top
    bnez t0, 3f
    csrr t1, scause
    li t2, CAUSE_CLB_MISS
    beq t1, t2, 2f
    la t2, current
    ld a6, 0(t2)
    .insn r 0x0b, 3, 3, x0, x0, a6          /* ctx.store slot 0 -> current TCB image */
    li t2, CAUSE_ECALL_U
    bne t1, t2, 1f
    /* syscall: a0..a5 = user arguments (still live), a6 = current TCB, a7 = number */
    tail c_handle_syscall
1:  mv a0, a6
    mv a1, t1
    tail c_handle_trap
2:  li a0, 0
    tail c_clb_miss                         /* slot 0 still holds the context */
3:  mv a0, t0
    csrr a1, scause
    li t2, CAUSE_CLB_MISS
    beq a1, t2, 4f
    tail c_special_trap
4:  tail c_clb_miss                         /* a handler context's asend/uipi */

    .section .bss
    .align 12
    .globl kernel_stack_top
kernel_stack:
    .space 16384
kernel_stack_top:

/*
 * word_t cs_probe(word_t cfg[6]): which co-design extensions the hart has.
 * Reads their configuration CSRs 0xDC0..0xDC5 (xgatecfg, xlinecfg, xctxcfg,
 * xuirqcfg, xamsgcfg, xcapcfg) under a temporary trap vector that skips an
 * access raising illegal instruction (a disabled extension's CSRs do not
 * exist). Bit i of the result = CSR 0xDC0+i exists; cfg[i] = its value.
 */
    .section .text
    .align 4
    .globl cs_probe
cs_probe:
    la t0, 9f
    csrrw t1, stvec, t0
    li a1, 0
    .irp n, 0, 1, 2, 3, 4, 5
    li t2, 0
    li t3, 0
    csrr t3, 0xdc0 + \n
    sd t3, 8 * \n(a0)
    bnez t2, 1f
    ori a1, a1, 1 << \n
1:
    .endr
    csrw stvec, t1
    mv a0, a1
    ret
    .align 4
9:  csrr t4, sepc            /* the probing csrr trapped: skip it, flag it */
    addi t4, t4, 4
    csrw sepc, t4
    li t2, 1
    sret
