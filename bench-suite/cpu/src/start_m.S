/* M-mode start-up: no paging.  Entered at 0x8000_0000 in M-mode (QEMU virt,
 * -bios none).  Zeroes .bss, runs guest_main() on the image's stack and
 * powers off through the SiFive test finisher with guest_main's return value
 * as the exit code.  Any trap is unexpected: it is reported and exits 3. */
#define FINISHER 0x100000

    .section .text.init, "ax", @progbits
    .globl _start
_start:
    csrw    mie, zero
#ifdef __riscv_flen
    /* Floating-point programs: mstatus.FS = Initial (floating point on). */
    li      t0, 1 << 13
    csrs    mstatus, t0
#endif
    la      t0, m_trap
    csrw    mtvec, t0
    la      sp, _stack_top

    la      t0, _bss_start
    la      t1, _bss_end
1:  bgeu    t0, t1, 2f
    sd      zero, 0(t0)
    addi    t0, t0, 8
    j       1b
2:
    call    guest_main
    j       finish

    .balign 4
m_trap:
    la      sp, _mstack_top
    csrr    a0, mcause
    csrr    a1, mepc
    csrr    a2, mtval
    call    guest_trap
    li      a0, 3
    /* fall through */

/* a0 = exit code */
finish:
    li      t0, FINISHER
    bnez    a0, 1f
    li      t1, 0x5555
    sw      t1, 0(t0)
    j       2f
1:  slli    a0, a0, 16
    li      t1, 0x3333
    or      a0, a0, t1
    sw      a0, 0(t0)
2:  wfi
    j       2b
