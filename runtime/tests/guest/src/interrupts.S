/*
 * interrupts.S - interrupts on one hart with the CLINT and the PLIC.
 *
 *  - machine timer (CLINT mtimecmp): MTIP follows mtime >= mtimecmp, the
 *    interrupt is taken when mstatus.MIE and mie.MTIE are set, not when either
 *    is clear, and right after the CSR write that enables it; wfi wakes up
 *    when it becomes pending even with MIE = 0;
 *  - machine software interrupt (CLINT msip), read-only in mip;
 *  - supervisor software interrupt raised by M-mode through mip.SSIP;
 *  - M-level interrupts taken from S-mode even when mstatus.MIE = 0;
 *  - mideleg: SSI and STI delegated to S, taken in S when sstatus.SIE = 1 or
 *    in U-mode, never in M-mode;
 *  - priority of simultaneous interrupts: MEI > MSI > MTI > SEI > SSI > STI
 *    by the specification (MEI from the UART's THR-empty interrupt through
 *    PLIC context 0). QEMU (7.2, and later versions without AIA) takes the
 *    lowest-numbered pending interrupt first instead: SSI, MSI, STI, MTI,
 *    SEI, MEI. The check accepts either complete order; mkjit should follow
 *    the specification. Both orders agree that MSI > MTI > SEI and
 *    SSI > STI, so those relative orders are always checked;
 *  - vectored mtvec/stvec: interrupts go to BASE + 4 * cause;
 *  - mcause/scause have the interrupt bit (63) set.
 * No check depends on exact timing: waits poll with a deadline of
 * TIMEOUT_TICKS mtime ticks (0.2 s on QEMU's 10 MHz timebase, 20M instructions
 * on mkjit's default 10 instructions per tick); QEMU can
 * deliver a timer interrupt several milliseconds after mtimecmp is reached.
 *
 * Interrupt handlers log (cause, epc) pairs at log_area through s5 and
 * disable the interrupt they took in mie/sie, so each one is taken once.
 * s2, s3, s4, s5 and s6 belong to the handlers.
 */
#include "test.h"

#define TIMEOUT_TICKS 2000000

/* t3 = mtime + TIMEOUT_TICKS (clobbers t0) */
.macro DEADLINE
  li t0, CLINT_MTIME
  ld t3, 0(t0)
  li t0, TIMEOUT_TICKS
  add t3, t3, t0
.endm

/* Fails with the current check number once mtime > t3 (clobbers t0). */
.macro CHECK_DEADLINE
  li t0, CLINT_MTIME
  ld t0, 0(t0)
  bleu t0, t3, 1005f
  j fail
1005:
.endm

/* s5 = log_area (empty log) */
.macro LOG_RESET
  la s5, log_area
.endm

/* Check n: the log has count entries. */
.macro CHECK_LOG_COUNT n, count
  la t0, log_area
  sub t0, s5, t0
  srli t0, t0, 4
  CHECK \n, t0, \count
.endm

/* Check n: log entry i has cause `cause` (interrupt bit included). */
.macro CHECK_LOG_CAUSE n, i, cause
  la t0, log_area
  ld t0, (16 * (\i))(t0)
  CHECK \n, t0, \cause
.endm

/* Check n: log entry i has epc = the address of label sym. */
.macro CHECK_LOG_EPC n, i, sym
  la t0, log_area
  ld t0, (16 * (\i) + 8)(t0)
  CHECK_ADDR \n, t0, \sym
.endm

/* Check n: spin until the log has an entry (with a deadline). */
.macro WAIT_LOG n
  TESTNUM \n
  DEADLINE
  la t2, log_area
1001:
  bne s5, t2, 1002f
  CHECK_DEADLINE
  j 1001b
1002:
.endm

/* Spins a few thousand times (to show that nothing gets taken). */
.macro SPIN
  li t1, 5000
1001:
  addi t1, t1, -1
  bnez t1, 1001b
.endm

#define INT(code) ((1 << 63) | (code))

/* a0 = mtime */
.macro READ_MTIME
  li t0, CLINT_MTIME
  ld a0, 0(t0)
.endm

/* mtimecmp = value of register reg */
.macro SET_MTIMECMP reg
  li t0, CLINT_MTIMECMP
  sd \reg, 0(t0)
.endm

  .text
test_main:
  li t0, -1
  SET_MTIMECMP t0                 /* no timer interrupt yet */
  la t0, irq_m
  csrw mtvec, t0
  la t0, irq_s
  csrw stvec, t0
  LOG_RESET

  /* ================= machine timer ================= */
  /* MTIP follows mtime >= mtimecmp */
  CHECK_CSR 1, mip, 0
  SET_MTIMECMP zero
  TESTNUM 2
  DEADLINE
1:
  csrr a0, mip
  andi a0, a0, MIP_MTIP
  bnez a0, 2f
  CHECK_DEADLINE
  j 1b
2:
  /* pending but masked by mstatus.MIE = 0: not taken */
  li t0, MIP_MTIP
  csrw mie, t0
  SPIN
  CHECK_LOG_COUNT 3, 0
  /* enabled in mstatus but masked in mie: not taken */
  csrw mie, zero
  csrsi mstatus, MSTATUS_MIE
  SPIN
  CHECK_LOG_COUNT 4, 0
  /* unmasking takes it right after the CSR write */
  li t0, MIP_MTIP
  csrs mie, t0
mti_after:
  nop
  csrci mstatus, MSTATUS_MIE
  CHECK_LOG_COUNT 5, 1
  CHECK_LOG_CAUSE 6, 0, INT(IRQ_MTI)
  CHECK_LOG_EPC 7, 0, mti_after
  /* writing mtimecmp into the future clears MTIP */
  li t0, -1
  SET_MTIMECMP t0
  CHECK_CSR 8, mip, 0

  /* the timer fires later: mtimecmp = mtime + 100 while spinning */
  LOG_RESET
  li t0, MIP_MTIP
  csrw mie, t0
  READ_MTIME
  addi a0, a0, 100
  SET_MTIMECMP a0
  csrsi mstatus, MSTATUS_MIE
  WAIT_LOG 9
  csrci mstatus, MSTATUS_MIE
  CHECK_LOG_COUNT 10, 1
  CHECK_LOG_CAUSE 11, 0, INT(IRQ_MTI)
  READ_MTIME
  li t0, CLINT_MTIMECMP
  ld a1, 0(t0)
  TESTNUM 12
  bltu a0, a1, fail_near          /* it fired no earlier than mtimecmp */
  /* mcause of the last interrupt */
  CHECK_CSR 13, mcause, INT(IRQ_MTI)

  /* wfi wakes up on a pending enabled interrupt, even with MIE = 0 */
  LOG_RESET
  li t0, MIP_MTIP
  csrw mie, t0
  READ_MTIME
  addi a0, a0, 200
  SET_MTIMECMP a0
  TESTNUM 14
  DEADLINE
1:
  wfi                             /* may also return early: loop */
  csrr a0, mip
  andi a0, a0, MIP_MTIP
  bnez a0, 2f
  CHECK_DEADLINE
  j 1b
2:
  CHECK_LOG_COUNT 15, 0           /* not taken: MIE = 0 */
  csrsi mstatus, MSTATUS_MIE
  nop
  csrci mstatus, MSTATUS_MIE
  CHECK_LOG_COUNT 16, 1
  CHECK_LOG_CAUSE 17, 0, INT(IRQ_MTI)
  li t0, -1
  SET_MTIMECMP t0

  /* ================= machine software interrupt ================= */
  LOG_RESET
  li t0, MIP_MSIP
  csrs mip, t0                    /* read-only in mip: no effect */
  CHECK_CSR 18, mip, 0
  li t0, CLINT_MSIP
  li t1, 1
  sw t1, 0(t0)
  CHECK_CSR 19, mip, MIP_MSIP
  li t0, CLINT_MSIP
  lw a0, 0(t0)
  CHECK 20, a0, 1
  li t0, MIP_MSIP
  csrw mie, t0
  csrsi mstatus, MSTATUS_MIE
msi_after:
  nop
  csrci mstatus, MSTATUS_MIE
  CHECK_LOG_COUNT 21, 1
  CHECK_LOG_CAUSE 22, 0, INT(IRQ_MSI)
  CHECK_LOG_EPC 23, 0, msi_after
  li t0, CLINT_MSIP
  sw zero, 0(t0)
  CHECK_CSR 24, mip, 0

  /* ================= supervisor software interrupt from M ================= */
  LOG_RESET
  li t0, MIP_SSIP
  csrw mie, t0
  csrs mip, t0
  CHECK_CSR 25, mip, MIP_SSIP
  csrsi mstatus, MSTATUS_MIE
ssi_after:
  nop
  csrci mstatus, MSTATUS_MIE
  CHECK_LOG_COUNT 26, 1
  CHECK_LOG_CAUSE 27, 0, INT(IRQ_SSI)
  CHECK_LOG_EPC 28, 0, ssi_after
  li t0, MIP_SSIP
  csrc mip, t0

  /* ============ M-level interrupts are always enabled in S-mode ============ */
  LOG_RESET
  li t0, CLINT_MSIP
  li t1, 1
  sw t1, 0(t0)
  li t0, MIP_MSIP
  csrw mie, t0
  csrci mstatus, MSTATUS_MIE
  EXPECT_TRAP 2f
  MRET_TO PRV_S, 1f
1:
  nop
  ecall
2:
  /* the interrupt came first, then the ecall */
  CHECK_CSR 29, mcause, CAUSE_SUPERVISOR_ECALL
  CHECK_LOG_COUNT 30, 1
  CHECK_LOG_CAUSE 31, 0, INT(IRQ_MSI)
  CHECK_LOG_EPC 32, 0, 1b
  li t0, CLINT_MSIP
  sw zero, 0(t0)

  /* ================= delegation to S ================= */
  li t0, MIP_SSIP | MIP_STIP
  csrw mideleg, t0
  /* a delegated interrupt is not taken in M-mode, even with MIE = 1 */
  LOG_RESET
  li t0, MIP_SSIP
  csrw mie, t0
  csrs mip, t0
  csrsi mstatus, MSTATUS_MIE | MSTATUS_SIE
  SPIN
  csrci mstatus, MSTATUS_MIE
  CHECK_LOG_COUNT 33, 0
  /* in S-mode with SIE = 1 it is taken at once, in S */
  EXPECT_TRAP 2f
  MRET_TO PRV_S, 1f
1:
  nop
  csrr s7, sstatus
  ecall
2:
  CHECK_CSR 34, mcause, CAUSE_SUPERVISOR_ECALL
  CHECK_LOG_COUNT 35, 1
  CHECK_LOG_CAUSE 36, 0, INT(IRQ_SSI) | 0x100   /* logged by irq_s */
  CHECK_LOG_EPC 37, 0, 1b
  CHECK_CSR 38, scause, INT(IRQ_SSI)
  li t0, MIP_SSIP                 /* irq_s cleared sie.SSIE */
  csrr a0, mie
  and a0, a0, t0
  CHECK 39, a0, 0
  li t0, MSTATUS_SIE              /* sret restored SIE */
  and a0, s7, t0
  CHECK 40, a0, MSTATUS_SIE
  /* in S-mode with SIE = 0 it waits until SIE is set */
  LOG_RESET
  li t0, MIP_SSIP
  csrs mie, t0
  csrci mstatus, MSTATUS_SIE
  EXPECT_TRAP 2f
  MRET_TO PRV_S, 1f
1:
  SPIN
  mv s7, s5
  csrsi sstatus, MSTATUS_SIE
s_sie_after:
  nop
  ecall
2:
  la t0, log_area
  CHECK_REG 41, s7, t0            /* nothing before SIE was set */
  CHECK_LOG_COUNT 42, 1
  CHECK_LOG_CAUSE 43, 0, INT(IRQ_SSI) | 0x100
  CHECK_LOG_EPC 44, 0, s_sie_after
  /* in U-mode it is taken whatever SIE is */
  LOG_RESET
  li t0, MIP_SSIP
  csrs mie, t0
  csrci mstatus, MSTATUS_SIE
  EXPECT_TRAP 2f
  MRET_TO PRV_U, 1f
1:
  nop
  ecall
2:
  CHECK_CSR 45, mcause, CAUSE_USER_ECALL
  CHECK_LOG_COUNT 46, 1
  CHECK_LOG_CAUSE 47, 0, INT(IRQ_SSI) | 0x100
  CHECK_LOG_EPC 48, 0, 1b
  li t0, MIP_SSIP
  csrc mip, t0
  /* STI, delegated, raised through mip.STIP by M-mode */
  LOG_RESET
  li t0, MIP_STIP
  csrw mie, t0
  csrs mip, t0
  csrsi mstatus, MSTATUS_SIE
  EXPECT_TRAP 2f
  MRET_TO PRV_S, 1f
1:
  nop
  ecall
2:
  CHECK_LOG_COUNT 49, 1
  CHECK_LOG_CAUSE 50, 0, INT(IRQ_STI) | 0x100
  CHECK_LOG_EPC 51, 0, 1b
  li t0, MIP_STIP
  csrc mip, t0
  csrci mstatus, MSTATUS_SIE
  csrw mideleg, zero

  /* ================= priority ================= */
  /* MEI: the UART's THR-empty interrupt through PLIC context 0 */
  li t0, PLIC_PRIORITY(UART_IRQ)
  li t1, 1
  sw t1, 0(t0)
  li t0, PLIC_ENABLE(PLIC_CTX_M)
  li t1, 1 << UART_IRQ
  sw t1, 0(t0)
  li t0, PLIC_THRESHOLD(PLIC_CTX_M)
  sw zero, 0(t0)
  li t0, UART_BASE
  li t1, UART_IER_THRE
  sb t1, UART_IER(t0)
  /* MSI, MTI, SEI, SSI, STI */
  li t0, CLINT_MSIP
  li t1, 1
  sw t1, 0(t0)
  SET_MTIMECMP zero
  li t0, MIP_SEIP | MIP_SSIP | MIP_STIP
  csrs mip, t0
  /* wait for all six to be visible in mip */
  TESTNUM 52
  DEADLINE
  li t2, MIP_MEIP | MIP_MSIP | MIP_MTIP | MIP_SEIP | MIP_SSIP | MIP_STIP
1:
  csrr a0, mip
  and a0, a0, t2
  beq a0, t2, 2f
  CHECK_DEADLINE
  j 1b
2:
  LOG_RESET
  csrw mie, t2
  csrsi mstatus, MSTATUS_MIE
prio_after:
  nop
  csrci mstatus, MSTATUS_MIE
  CHECK_LOG_COUNT 53, 6
  /* the specification's order, or QEMU's lowest-number-first order */
  la t0, log_area
  ld a0, 0(t0)
  li t1, INT(IRQ_MEI)
  bne a0, t1, prio_qemu_order
  CHECK_LOG_CAUSE 54, 0, INT(IRQ_MEI)
  CHECK_LOG_CAUSE 55, 1, INT(IRQ_MSI)
  CHECK_LOG_CAUSE 56, 2, INT(IRQ_MTI)
  CHECK_LOG_CAUSE 57, 3, INT(IRQ_SEI)
  CHECK_LOG_CAUSE 58, 4, INT(IRQ_SSI)
  CHECK_LOG_CAUSE 59, 5, INT(IRQ_STI)
  j prio_order_done
prio_qemu_order:
  CHECK_LOG_CAUSE 54, 0, INT(IRQ_SSI)
  CHECK_LOG_CAUSE 55, 1, INT(IRQ_MSI)
  CHECK_LOG_CAUSE 56, 2, INT(IRQ_STI)
  CHECK_LOG_CAUSE 57, 3, INT(IRQ_MTI)
  CHECK_LOG_CAUSE 58, 4, INT(IRQ_SEI)
  CHECK_LOG_CAUSE 59, 5, INT(IRQ_MEI)
prio_order_done:
  CHECK_LOG_EPC 60, 0, prio_after
  CHECK_LOG_EPC 61, 5, prio_after
  la t0, claimed_irq
  ld a0, 0(t0)
  CHECK 62, a0, UART_IRQ          /* the MEI handler claimed the UART */
  /* clean up */
  li t0, CLINT_MSIP
  sw zero, 0(t0)
  li t0, -1
  SET_MTIMECMP t0
  li t0, MIP_SEIP | MIP_SSIP | MIP_STIP
  csrc mip, t0
  li t0, PLIC_ENABLE(PLIC_CTX_M)
  sw zero, 0(t0)
  CHECK_CSR 63, mip, 0

  /* ================= vectored mtvec ================= */
  la t0, mvec_table
  ori t0, t0, 1
  csrw mtvec, t0
  /* (one interrupt at a time, so that priority does not matter) */
  LOG_RESET
  li t0, CLINT_MSIP
  li t1, 1
  sw t1, 0(t0)
  li t0, MIP_MSIP
  csrw mie, t0
  csrsi mstatus, MSTATUS_MIE
  nop
  csrci mstatus, MSTATUS_MIE
  li t0, CLINT_MSIP
  sw zero, 0(t0)
  li t0, MIP_SSIP
  csrs mip, t0
  csrw mie, t0
  csrsi mstatus, MSTATUS_MIE
  nop
  csrci mstatus, MSTATUS_MIE
  li t0, MIP_SSIP
  csrc mip, t0
  CHECK_LOG_COUNT 64, 2
  /* vector entries log cause | (entry << 8) */
  CHECK_LOG_CAUSE 65, 0, INT(IRQ_MSI) | (IRQ_MSI << 8)
  CHECK_LOG_CAUSE 66, 1, INT(IRQ_SSI) | (IRQ_SSI << 8)
  /* the timer through the vector too */
  LOG_RESET
  SET_MTIMECMP zero
  li t0, MIP_MTIP
  csrw mie, t0
  csrsi mstatus, MSTATUS_MIE
  WAIT_LOG 67
  csrci mstatus, MSTATUS_MIE
  CHECK_LOG_CAUSE 68, 0, INT(IRQ_MTI) | (IRQ_MTI << 8)
  li t0, -1
  SET_MTIMECMP t0
  /* exceptions still go to BASE */
  EXPECT_TRAP 1f
  ebreak
  TESTNUM 69
  j fail
1:
  CHECK_CSR 69, mcause, CAUSE_BREAKPOINT
  la t0, irq_m
  csrw mtvec, t0

  /* ================= vectored stvec ================= */
  la t0, svec_table
  ori t0, t0, 1
  csrw stvec, t0
  li t0, MIP_STIP
  csrw mideleg, t0
  csrw mie, t0
  csrs mip, t0
  LOG_RESET
  EXPECT_TRAP 2f
  MRET_TO PRV_U, 1f
1:
  nop
  ecall
2:
  CHECK_LOG_COUNT 70, 1
  CHECK_LOG_CAUSE 71, 0, INT(IRQ_STI) | 0x100 | (IRQ_STI << 8)
  CHECK_LOG_EPC 72, 0, 1b
  li t0, MIP_STIP
  csrc mip, t0
  csrw mideleg, zero
  csrw mie, zero

  TEST_PASS
fail_near:
  j fail

/* ---- M-mode handler (direct) ---- */
  .balign 4
irq_m:
  csrr s2, mcause
  bgez s2, mtrap_vector           /* exceptions: default handling */
  csrr s3, mepc
  andi s4, s2, 0x3f
  j irq_m_common

/* Logs (s2, s3), disables interrupt s4 in mie, completes a PLIC claim for
 * MEI, returns. */
irq_m_common:
  sd s2, 0(s5)
  sd s3, 8(s5)
  addi s5, s5, 16
  li s6, 1
  sll s6, s6, s4
  csrc mie, s6
  li s6, IRQ_MEI
  bne s4, s6, 1f
  li s6, PLIC_CLAIM(PLIC_CTX_M)
  lw s2, 0(s6)
  la s3, claimed_irq
  sd s2, 0(s3)
  li s3, UART_BASE
  sb zero, UART_IER(s3)
  sw s2, 0(s6)                    /* complete */
1:
  mret

/* ---- S-mode handler (direct): logs scause | 0x100 ---- */
  .balign 4
irq_s:
  csrr s2, scause
  bgez s2, strap_vector
  csrr s3, sepc
  andi s4, s2, 0x3f
  ori s2, s2, 0x100
irq_s_common:
  sd s2, 0(s5)
  sd s3, 8(s5)
  addi s5, s5, 16
  li s6, 1
  sll s6, s6, s4
  csrc sie, s6
  sret

/* ---- vectored tables: entry i logs mcause | (i << 8) ---- */
  .balign 256
mvec_table:
  j mtrap_vector                  /* 0: exceptions */
  .irp i, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15
  j mvec_\i
  .endr
  .irp i, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15
mvec_\i:
  li s4, \i
  j mvec_common
  .endr
mvec_common:
  csrr s2, mcause
  csrr s3, mepc
  slli s6, s4, 8
  or s2, s2, s6
  j irq_m_common

  .balign 256
svec_table:
  j strap_vector
  .irp i, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15
  j svec_\i
  .endr
  .irp i, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15
svec_\i:
  li s4, \i
  j svec_common
  .endr
svec_common:
  csrr s2, scause
  csrr s3, sepc
  slli s6, s4, 8
  or s2, s2, s6
  ori s2, s2, 0x100
  j irq_s_common

  .data
  .balign 8
claimed_irq:
  .dword 0
log_area:
  .skip 16 * 16
