/*
 * M-mode start-up: the only code that runs in M-mode.
 *  - parks secondary harts
 *  - opens PMP for S/U, delegates exceptions and S interrupts to S-mode
 *  - forwards the machine timer: MTIP -> set STIP (and mask MTIE); the S-mode
 *    kernel re-arms through "ecall" with a7=0, a0=deadline (clears STIP)
 *  - enters the S-mode kernel at kernel_main(hartid, dtb)
 */
#define CLINT_MTIMECMP0 0x02004000
#define FINISHER 0x00100000

    .section .text.start, "ax"
    .globl _start
_start:
    csrr t0, mhartid
    bnez t0, park
    mv s0, a0
    mv s1, a1
    la t0, m_trap
    csrw mtvec, t0
    la t0, m_scratch
    csrw mscratch, t0
    li t0, 1
    la t1, m_booting
    sd t0, 0(t1)
    /* zero .bss (loaders normally do, but do not rely on it) */
    la t0, __bss_start
    la t1, __bss_end
1:  bgeu t0, t1, 2f
    sd zero, 0(t0)
    addi t0, t0, 8
    j 1b
2:
    /* PMP entry 0: NAPOT over the whole address space, RWX */
    li t0, -1
    csrw pmpaddr0, t0
    li t0, 0x1f
    csrw pmpcfg0, t0
    /* delegate all exceptions except ecall from S/M; S-level interrupts */
#ifdef CODESIGN
    /* and the co-design extensions' causes 24-31 and 48-51 (read-only zero
     * for extensions that are not enabled) */
    li t0, 0x000F0000FF00B1FF
#else
    li t0, 0xB1FF
#endif
    csrw medeleg, t0
    li t0, 0x222
    csrw mideleg, t0
    /* counters readable from S and U */
    li t0, 7
    csrw mcounteren, t0
    /* machine timer interrupt enabled (forwarded as STIP) */
    li t0, 0x80
    csrw mie, t0
    /* mret into S-mode at kernel_main */
    li t0, 0x1800
    csrc mstatus, t0
    li t0, 0x800
    csrs mstatus, t0
    csrw satp, zero
    la t0, kernel_main
    csrw mepc, t0
    la t1, m_booting
    sd zero, 0(t1)
    mv a0, s0
    mv a1, s1
    la sp, kernel_stack_top
    mret

park:
    wfi
    j park

    .align 4
m_trap:
    csrrw sp, mscratch, sp
    sd t0, 0(sp)
    sd t1, 8(sp)
    csrr t0, mcause
    bltz t0, m_interrupt
    li t1, 9                    /* ecall from S */
    bne t0, t1, m_exception
    /* set timer: mtimecmp = a0, clear STIP, unmask MTIE */
    li t1, CLINT_MTIMECMP0
    sd a0, 0(t1)
    li t1, 0x20
    csrc mip, t1
    li t1, 0x80
    csrs mie, t1
m_skip:
    csrr t0, mepc
    addi t0, t0, 4
    csrw mepc, t0
m_ret:
    ld t0, 0(sp)
    ld t1, 8(sp)
    csrrw sp, mscratch, sp
    mret
m_interrupt:
    /* machine timer: mask MTIE, raise STIP for the S-mode kernel */
    li t1, 0x80
    csrc mie, t1
    li t1, 0x20
    csrs mip, t1
    j m_ret
m_exception:
    /* during start-up, skip CSRs an implementation lacks (e.g. PMP) */
    la t1, m_booting
    ld t1, 0(t1)
    bnez t1, m_skip
    /* anything else is fatal: power off with exit code 100 */
    li t0, FINISHER
    li t1, (100 << 16) | 0x3333
    sw t1, 0(t0)
1:  wfi
    j 1b

    .section .bss
    .align 4
m_scratch:
    .space 64
m_booting:
    .space 8
