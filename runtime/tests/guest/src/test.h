/*
 * test.h - shared support for mkjit's bare-metal guest test programs.
 *
 * Every program is entered in M-mode at _start on QEMU's `virt` board (RAM at
 * 0x8000_0000, a0 = hart id, a1 = device tree pointer) and ends by writing the
 * SiFive test finisher at 0x0010_0000:
 *     0x5555                  success
 *     (N << 16) | 0x3333      failure of check N (1 <= N <= 254)
 *     (255 << 16) | 0x3333    failure or unexpected trap before the first check
 * QEMU exits with status N (its exit status keeps only 8 bits, which is why
 * check numbers stop at 254; the CHECK macros reject larger numbers at build
 * time).
 *
 * Include this header exactly once, at the top of a test's .S file; it emits
 * the entry code, the pass/fail exits and the default trap handlers. The test
 * then defines `test_main` (reached in M-mode with mtvec = mtrap_vector, a
 * stack, PMP opened to S/U for all addresses, satp = 0, no delegation and
 * interrupts disabled) and ends with TEST_PASS.
 *
 * Register conventions (tests must not use these for anything else):
 *   gp  (x3)   number of the check being run; reported on failure
 *   tp  (x4)   trap resume address: when a trap is taken with tp != 0, the
 *              default handlers clear tp and jump to it (staying in the mode
 *              that took the trap, so CSRs such as mcause can be inspected);
 *              with tp == 0 the trap is unexpected and the test fails with
 *              the current check number
 *   s11 (x27)  scratch of the default trap handlers
 *   t6  (x31)  scratch of the CHECK macros
 *
 * All code is assembled without compressed instructions (.option norvc)
 * unless a test explicitly enables them, so instruction lengths are known.
 */
#ifndef MKJIT_GUEST_TEST_H
#define MKJIT_GUEST_TEST_H

/* ---- QEMU virt memory map ---------------------------------------------- */
#define FINISHER_BASE   0x100000
#define FINISHER_PASS   0x5555
#define FINISHER_FAIL   0x3333
#define CLINT_BASE      0x2000000
#define CLINT_MSIP      (CLINT_BASE + 0x0)
#define CLINT_MTIMECMP  (CLINT_BASE + 0x4000)
#define CLINT_MTIME     (CLINT_BASE + 0xbff8)
#define PLIC_BASE       0xc000000
#define PLIC_PRIORITY(src)     (PLIC_BASE + 4 * (src))
#define PLIC_PENDING           (PLIC_BASE + 0x1000)
#define PLIC_ENABLE(ctx)       (PLIC_BASE + 0x2000 + 0x80 * (ctx))
#define PLIC_THRESHOLD(ctx)    (PLIC_BASE + 0x200000 + 0x1000 * (ctx))
#define PLIC_CLAIM(ctx)        (PLIC_BASE + 0x200004 + 0x1000 * (ctx))
#define PLIC_CTX_M      0       /* hart 0 M-mode */
#define PLIC_CTX_S      1       /* hart 0 S-mode */
#define UART_BASE       0x10000000
#define UART_IRQ        10
#define UART_THR        0       /* transmit holding register (write) */
#define UART_RBR        0       /* receive buffer register (read) */
#define UART_IER        1       /* interrupt enable register */
#define UART_IIR        2       /* interrupt identification (read) */
#define UART_FCR        2       /* FIFO control (write) */
#define UART_LCR        3       /* line control */
#define UART_MCR        4       /* modem control */
#define UART_LSR        5       /* line status */
#define UART_IER_THRE   0x02
#define UART_LSR_THRE   0x20
#define UART_LSR_TEMT   0x40
#define RAM_BASE        0x80000000

/* ---- CSR fields -------------------------------------------------------- */
#define MSTATUS_SIE     (1 << 1)
#define MSTATUS_MIE     (1 << 3)
#define MSTATUS_SPIE    (1 << 5)
#define MSTATUS_MPIE    (1 << 7)
#define MSTATUS_SPP     (1 << 8)
#define MSTATUS_MPP     (3 << 11)
#define MSTATUS_MPP_S   (1 << 11)
#define MSTATUS_MPP_M   (3 << 11)
#define MSTATUS_FS      (3 << 13)
#define MSTATUS_MPRV    (1 << 17)
#define MSTATUS_SUM     (1 << 18)
#define MSTATUS_MXR     (1 << 19)
#define MSTATUS_TVM     (1 << 20)
#define MSTATUS_TW      (1 << 21)
#define MSTATUS_TSR     (1 << 22)
#define MSTATUS_UXL     (3 << 32)
#define MSTATUS_SXL     (3 << 34)

#define IRQ_SSI         1
#define IRQ_MSI         3
#define IRQ_STI         5
#define IRQ_MTI         7
#define IRQ_SEI         9
#define IRQ_MEI         11
#define MIP_SSIP        (1 << IRQ_SSI)
#define MIP_MSIP        (1 << IRQ_MSI)
#define MIP_STIP        (1 << IRQ_STI)
#define MIP_MTIP        (1 << IRQ_MTI)
#define MIP_SEIP        (1 << IRQ_SEI)
#define MIP_MEIP        (1 << IRQ_MEI)
#define MCAUSE_INT      (1 << 63)

#define CAUSE_MISALIGNED_FETCH  0
#define CAUSE_FETCH_ACCESS      1
#define CAUSE_ILLEGAL_INSN      2
#define CAUSE_BREAKPOINT        3
#define CAUSE_MISALIGNED_LOAD   4
#define CAUSE_LOAD_ACCESS       5
#define CAUSE_MISALIGNED_STORE  6
#define CAUSE_STORE_ACCESS      7
#define CAUSE_USER_ECALL        8
#define CAUSE_SUPERVISOR_ECALL  9
#define CAUSE_MACHINE_ECALL     11
#define CAUSE_FETCH_PAGE_FAULT  12
#define CAUSE_LOAD_PAGE_FAULT   13
#define CAUSE_STORE_PAGE_FAULT  15

#define SATP_MODE_SV39  (8 << 60)
#define SATP_ASID_SHIFT 44

#define PTE_V   (1 << 0)
#define PTE_R   (1 << 1)
#define PTE_W   (1 << 2)
#define PTE_X   (1 << 3)
#define PTE_U   (1 << 4)
#define PTE_G   (1 << 5)
#define PTE_A   (1 << 6)
#define PTE_D   (1 << 7)
/* A PTE for physical address pa (any alignment that fits the level). */
#define PTE(pa, flags)  ((((pa) >> 12) << 10) | (flags))

#define CHECK_LIMIT 254

/* ---- check macros ------------------------------------------------------ */

/* Sets the current check number (1..254). */
.macro TESTNUM n
  .if (\n < 1) || (\n > CHECK_LIMIT)
    .error "check numbers must be between 1 and 254"
  .endif
  li gp, \n
.endm

/* Check n: fail unless register reg == the constant expected. */
.macro CHECK n, reg, expected
  TESTNUM \n
  li t6, \expected
  beq \reg, t6, 1001f
  j fail
1001:
.endm

/* Check n: fail unless register reg == register other. */
.macro CHECK_REG n, reg, other
  TESTNUM \n
  beq \reg, \other, 1001f
  j fail
1001:
.endm

/* Check n: fail unless register reg == the address of label sym. */
.macro CHECK_ADDR n, reg, sym
  TESTNUM \n
  la t6, \sym
  beq \reg, t6, 1001f
  j fail
1001:
.endm

/* Check n: fail unless CSR csr == the constant expected (clobbers t5). */
.macro CHECK_CSR n, csr, expected
  csrr t5, \csr
  CHECK \n, t5, \expected
.endm

/* Check n: fail unless CSR csr == the address of label sym (clobbers t5). */
.macro CHECK_CSR_ADDR n, csr, sym
  csrr t5, \csr
  CHECK_ADDR \n, t5, \sym
.endm

/* Register-register op: a0 = op(v1, v2) with a1 = v1, a2 = v2. */
.macro TEST_RR n, op, expected, v1, v2
  li a1, \v1
  li a2, \v2
  \op a0, a1, a2
  CHECK \n, a0, \expected
.endm

/* Register-immediate op: a0 = op(v1, imm) with a1 = v1. */
.macro TEST_RI n, op, expected, v1, imm
  li a1, \v1
  \op a0, a1, \imm
  CHECK \n, a0, \expected
.endm

/* Sets the resume address of the next (expected) trap. */
.macro EXPECT_TRAP resume
  la tp, \resume
.endm

/* Checks n1, n2: insn at a unique label raises an illegal instruction
 * exception with mepc at it. */
.macro TEST_ILLEGAL2 n1, n2, insn:vararg
  EXPECT_TRAP 1003f
1002:
  \insn
  TESTNUM \n1
  j fail
1003:
  CHECK_CSR \n1, mcause, CAUSE_ILLEGAL_INSN
  CHECK_CSR_ADDR \n2, mepc, 1002b
.endm

/* Checks n1..n3: as TEST_ILLEGAL2, and mtval = the 32-bit encoding. */
.macro TEST_ILLEGAL n1, n2, n3, insn:vararg
  TEST_ILLEGAL2 \n1, \n2, \insn
  la t0, 1002b
  lwu t0, 0(t0)
  csrr t5, mtval
  CHECK_REG \n3, t5, t0
.endm

/* Checks mcause/mepc/mtval of a trap taken to M-mode (clobbers t5). */
.macro CHECK_MTRAP n1, cause, epc_sym, n2, n3, tval
  CHECK_CSR \n1, mcause, \cause
  CHECK_CSR_ADDR \n2, mepc, \epc_sym
  CHECK_CSR \n3, mtval, \tval
.endm

/* Privilege levels as encoded in mstatus.MPP. */
#define PRV_U 0
#define PRV_S 1
#define PRV_M 3

/* Enters privilege level prv (PRV_U/PRV_S/PRV_M) at label target through
 * mret (clobbers t0). Code there returns to M-mode by trapping, usually with
 * ecall after EXPECT_TRAP. */
.macro MRET_TO prv, target
  li t0, MSTATUS_MPP
  csrc mstatus, t0
  li t0, (\prv) << 11
  csrs mstatus, t0
  la t0, \target
  csrw mepc, t0
  mret
.endm

#define TEST_PASS j pass

/* ---- entry, exits and default trap handlers ------------------------------ */
  .option norvc

  .section .text.init, "ax", @progbits
  .globl _start
_start:
  li gp, 0
  li tp, 0
  la t0, boot_args
  sd a0, 0(t0)                  /* hart id */
  sd a1, 8(t0)                  /* device tree */
  /* Give S/U modes access to all of memory through PMP entry 0 (NAPOT,
   * RWX). If PMP is not implemented the CSR writes may trap; the temporary
   * mtvec then simply continues. */
  la t0, 1f
  csrw mtvec, t0
  li t0, -1
  csrw pmpaddr0, t0
  li t0, 0x1f
  csrw pmpcfg0, t0
  .balign 4
1:
  la t0, mtrap_vector
  csrw mtvec, t0
  csrw mie, zero
  csrw mip, zero
  csrw mideleg, zero
  csrw medeleg, zero
  csrw satp, zero
  csrw mscratch, zero
  li t0, MSTATUS_MIE | MSTATUS_SIE | MSTATUS_MPRV | MSTATUS_MPP
  csrc mstatus, t0
  la sp, stack_top
  li t0, 0
  j test_main

/* Success: only valid from M-mode. */
  .globl pass
pass:
  li t0, FINISHER_BASE
  li t1, FINISHER_PASS
  sw t1, 0(t0)
1:
  j 1b

/* Failure of check gp. Reachable from any mode: from S/U the first CSR access
 * traps (tp is already 0), which ends up in fail_m in M-mode. */
  .globl fail
fail:
  li tp, 0
  csrr t0, mhartid
  .globl fail_m
fail_m:
  li t0, MSTATUS_MPRV
  csrc mstatus, t0
  bnez gp, 1f
  li gp, 255
1:
  li t0, FINISHER_BASE
  slli t1, gp, 16
  li t2, FINISHER_FAIL
  or t1, t1, t2
  sw t1, 0(t0)
1:
  j 1b

/* Default M-mode trap handler (direct mode). */
  .balign 4
  .globl mtrap_vector
mtrap_vector:
  beqz tp, fail_m
  mv s11, tp
  li tp, 0
  jr s11

/* Default S-mode trap handler (direct mode): an unexpected trap makes an
 * ecall to M-mode, whose handler then fails (tp is 0). */
  .balign 4
  .globl strap_vector
strap_vector:
  beqz tp, 1f
  mv s11, tp
  li tp, 0
  jr s11
1:
  ecall
  j fail

  .section .bss.test_h, "aw", @nobits
  .balign 16
  .globl boot_args
boot_args:
  .skip 16
  .balign 16
stack_bottom:
  .skip 4096
  .globl stack_top
stack_top:

  .text
#endif
