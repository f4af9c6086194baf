/* U-mode start-up under Sv39.  Entered at 0x8000_0000 in M-mode (QEMU virt,
 * -bios none).  Zeroes .bss, builds an identity-mapped Sv39 page table in the
 * RAM after the image (_end):
 *
 *   root[0]  1 GiB gigapage at VA 0 (devices: UART, test finisher), U+RW
 *   root[2]  -> one level-1 table -> level-0 tables mapping every 4 KiB page
 *            of the image [0x8000_0000, _end): code (below _etext) U+RX,
 *            everything else U+RW
 *
 * (A and D preset), opens PMP for U-mode (QEMU denies U-mode accesses that
 * match no PMP entry), enables Sv39 and drops to U-mode with mret.
 * guest_main() runs in U-mode; its return value travels back in a0 through
 * the final ecall, and the M-mode trap handler writes it to the SiFive test
 * finisher.  Any other trap is reported and exits 3. */
#define FINISHER 0x100000
#define RAM_BASE 0x80000000

#define PTE_V (1 << 0)
#define PTE_R (1 << 1)
#define PTE_W (1 << 2)
#define PTE_X (1 << 3)
#define PTE_U (1 << 4)
#define PTE_A (1 << 6)
#define PTE_D (1 << 7)

#define CAUSE_ECALL_U 8
#define MSTATUS_MPP (3 << 11)
#define SATP_SV39 (8 << 60)

    .section .text.init, "ax", @progbits
    .globl _start
_start:
    csrw    mie, zero
    la      t0, m_trap
    csrw    mtvec, t0

    la      t0, _bss_start
    la      t1, _bss_end
1:  bgeu    t0, t1, 2f
    sd      zero, 0(t0)
    addi    t0, t0, 8
    j       1b
2:
    /* s0 = root table, s1 = level-1 table, s2 = level-0 tables (contiguous,
     * indexed by page number), s3 = pages to map, s4 = level-0 tables. */
    la      s0, _end
    li      t0, 4096
    add     s1, s0, t0
    add     s2, s1, t0
    la      t0, _end
    li      t1, RAM_BASE
    sub     t0, t0, t1
    srli    s3, t0, 12
    addi    s4, s3, 511
    srli    s4, s4, 9

    /* Zero root, level-1 and level-0 tables. */
    addi    t0, s4, 2
    slli    t0, t0, 12
    add     t1, s0, t0
    mv      t0, s0
1:  bgeu    t0, t1, 2f
    sd      zero, 0(t0)
    addi    t0, t0, 8
    j       1b
2:
    /* root[0]: devices gigapage at PA 0. */
    li      t0, PTE_V | PTE_R | PTE_W | PTE_U | PTE_A | PTE_D
    sd      t0, 0(s0)
    /* root[2] -> level-1 table (VA 0x8000_0000..0xc000_0000). */
    srli    t0, s1, 12
    slli    t0, t0, 10
    ori     t0, t0, PTE_V
    sd      t0, 16(s0)
    /* level-1[i] -> level-0 table i. */
    li      t2, 0
    mv      t3, s1
    mv      t4, s2
1:  bgeu    t2, s4, 2f
    srli    t0, t4, 12
    slli    t0, t0, 10
    ori     t0, t0, PTE_V
    sd      t0, 0(t3)
    addi    t3, t3, 8
    li      t0, 4096
    add     t4, t4, t0
    addi    t2, t2, 1
    j       1b
2:
    /* Leaves: page p maps PA RAM_BASE + p * 4096. */
    li      t2, 0
    li      t3, RAM_BASE
    la      t5, _etext
    mv      t4, s2
1:  bgeu    t2, s3, 3f
    li      t6, PTE_V | PTE_R | PTE_X | PTE_U | PTE_A | PTE_D
    bltu    t3, t5, 2f
    li      t6, PTE_V | PTE_R | PTE_W | PTE_U | PTE_A | PTE_D
2:  srli    t0, t3, 12
    slli    t0, t0, 10
    or      t0, t0, t6
    sd      t0, 0(t4)
    addi    t4, t4, 8
    li      t0, 4096
    add     t3, t3, t0
    addi    t2, t2, 1
    j       1b
3:
    /* PMP entry 0: NAPOT over the whole address space, RWX. */
    li      t0, -1
    csrw    pmpaddr0, t0
    li      t0, 0x1f
    csrw    pmpcfg0, t0

    srli    t0, s0, 12
    li      t1, SATP_SV39
    or      t0, t0, t1
    csrw    satp, t0
    sfence.vma

    li      t0, MSTATUS_MPP
    csrc    mstatus, t0
#ifdef __riscv_flen
    /* Floating-point programs: mstatus.FS = Initial (floating point on). */
    li      t0, 1 << 13
    csrs    mstatus, t0
#endif
    la      t0, user_entry
    csrw    mepc, t0
    la      sp, _stack_top
    mret

user_entry:
    call    guest_main
    ecall                   /* a0 = exit code */
1:  j       1b

    .balign 4
m_trap:
    la      sp, _mstack_top
    csrr    t0, mcause
    li      t1, CAUSE_ECALL_U
    beq     t0, t1, finish
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
