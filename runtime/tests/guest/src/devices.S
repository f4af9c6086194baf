/*
 * devices.S - QEMU virt devices: 16550 UART, PLIC, CLINT, test finisher.
 *
 *  - UART: line control, divisor latch and scratch registers read back,
 *    LSR.THRE/TEMT set when idle, a string transmitted through THR while
 *    polling LSR.THRE (run-qemu.sh checks that it appears on the console),
 *    the THR-empty interrupt reported in IIR and cleared by reading IIR,
 *    re-armed by enabling it again in IER;
 *  - PLIC: the UART (source 10) routed to context 1 (hart 0 S-mode): pending
 *    bit, mip.SEIP following priority/threshold/enable, the interrupt taken
 *    in S-mode through mideleg, claim returning 10, complete, claim of
 *    nothing returning 0;
 *  - CLINT: mtime increasing monotonically (and agreeing with its 32-bit
 *    halves), mtimecmp and msip read back;
 *  - the finisher: reads as 0; this program ends by writing 0x5555 to it.
 *
 * expect-output: mkjit-guest-devices: UART transmit OK
 */
#include "test.h"

#define UART_LSR_DR    0x01
#define UART_SCR       7
#define UART_DLL       0
#define UART_DLM       1
#define UART_LCR_DLAB  0x80
#define UART_IIR_NONE  0x01
#define UART_IIR_THRI  0x02
#define TIMEOUT_ITERS  1000000

/* a0 = byte register r of the UART */
.macro UART_READ r
  li t0, UART_BASE
  lbu a0, \r(t0)
.endm

/* byte register r of the UART = constant v */
.macro UART_WRITE r, v
  li t0, UART_BASE
  li t1, \v
  sb t1, \r(t0)
.endm

/* Check n: wait (bounded) until mip has bit `bit` equal to `want`
 * (clobbers t0, t1, a0). */
.macro WAIT_MIP n, bit, want
  TESTNUM \n
  li t1, TIMEOUT_ITERS
1001:
  csrr a0, mip
  li t0, \bit
  and a0, a0, t0
  li t0, \want
  beq a0, t0, 1002f
  addi t1, t1, -1
  bnez t1, 1001b
  j fail
1002:
.endm

  .text
test_main:
  li t0, CLINT_MTIMECMP                   /* no timer interrupt pending */
  li t1, -1
  sd t1, 0(t0)

  /* ================= UART ================= */
  UART_WRITE UART_IER, 0
  UART_WRITE UART_FCR, 0x07              /* enable and reset the FIFOs */
  UART_WRITE UART_LCR, UART_LCR_DLAB
  UART_WRITE UART_DLL, 0x01
  UART_WRITE UART_DLM, 0x00
  UART_READ UART_DLL
  CHECK 1, a0, 0x01
  UART_WRITE UART_LCR, 0x03              /* 8 data bits, no parity, 1 stop */
  UART_READ UART_LCR
  CHECK 2, a0, 0x03
  UART_WRITE UART_SCR, 0x5a
  UART_READ UART_SCR
  CHECK 3, a0, 0x5a
  UART_READ UART_IER
  CHECK 4, a0, 0
  /* idle transmitter: THRE and TEMT set */
  UART_READ UART_LSR
  andi a0, a0, UART_LSR_THRE | UART_LSR_TEMT
  CHECK 5, a0, UART_LSR_THRE | UART_LSR_TEMT
  /* transmit a string, polling THRE before every byte */
  TESTNUM 6
  la a1, message
1:
  lbu a2, 0(a1)
  beqz a2, 3f
  li t2, TIMEOUT_ITERS
2:
  UART_READ UART_LSR
  andi a0, a0, UART_LSR_THRE
  bnez a0, 4f
  addi t2, t2, -1
  bnez t2, 2b
  j fail
4:
  li t0, UART_BASE
  sb a2, UART_THR(t0)
  addi a1, a1, 1
  j 1b
3:
  /* ================= PLIC, context 1 (S-mode) ================= */
  li t0, PLIC_PRIORITY(UART_IRQ)
  li t1, 1
  sw t1, 0(t0)
  lw a0, 0(t0)
  CHECK 13, a0, 1
  li t0, PLIC_ENABLE(PLIC_CTX_M)
  sw zero, 0(t0)
  li t0, PLIC_ENABLE(PLIC_CTX_S)
  li t1, 1 << UART_IRQ
  sw t1, 0(t0)
  lw a0, 0(t0)
  CHECK 14, a0, 1 << UART_IRQ
  li t0, PLIC_THRESHOLD(PLIC_CTX_S)
  sw zero, 0(t0)
  CHECK_CSR 15, mip, 0
  /* raise the UART line: pending in the PLIC, SEIP in mip, not MEIP */
  UART_WRITE UART_IER, UART_IER_THRE
  WAIT_MIP 16, MIP_SEIP, MIP_SEIP
  li t0, PLIC_PENDING
  lw a0, 0(t0)
  andi a0, a0, 1 << UART_IRQ
  CHECK 17, a0, 1 << UART_IRQ
  csrr a0, mip
  li t0, MIP_MEIP
  and a0, a0, t0
  CHECK 18, a0, 0
  /* threshold >= priority masks it */
  li t0, PLIC_THRESHOLD(PLIC_CTX_S)
  li t1, 1
  sw t1, 0(t0)
  WAIT_MIP 19, MIP_SEIP, 0
  li t0, PLIC_THRESHOLD(PLIC_CTX_S)
  sw zero, 0(t0)
  WAIT_MIP 20, MIP_SEIP, MIP_SEIP
  /* priority 0 never interrupts */
  li t0, PLIC_PRIORITY(UART_IRQ)
  sw zero, 0(t0)
  WAIT_MIP 21, MIP_SEIP, 0
  li t0, PLIC_PRIORITY(UART_IRQ)
  li t1, 1
  sw t1, 0(t0)
  WAIT_MIP 22, MIP_SEIP, MIP_SEIP
  /* disabled for the context: no interrupt. (QEMU 7.2 does not re-evaluate
   * its outputs when an enable register is written, only on other register
   * writes and line changes; rewriting the threshold makes it notice.) */
  li t0, PLIC_ENABLE(PLIC_CTX_S)
  sw zero, 0(t0)
  li t0, PLIC_THRESHOLD(PLIC_CTX_S)
  sw zero, 0(t0)
  WAIT_MIP 23, MIP_SEIP, 0
  li t0, PLIC_ENABLE(PLIC_CTX_S)
  li t1, 1 << UART_IRQ
  sw t1, 0(t0)
  li t0, PLIC_THRESHOLD(PLIC_CTX_S)
  sw zero, 0(t0)
  WAIT_MIP 24, MIP_SEIP, MIP_SEIP

  /* take it in S-mode: the handler claims, silences the UART, completes */
  la t0, s_ext_handler
  csrw stvec, t0
  li t0, MIP_SEIP
  csrw mideleg, t0
  csrw mie, t0
  csrsi mstatus, MSTATUS_SIE
  li s2, -1                               /* claimed id */
  li s3, 0                                /* scause */
  EXPECT_TRAP 2f
  MRET_TO PRV_S, 1f
1:
  nop
  ecall
2:
  CHECK_CSR 25, mcause, CAUSE_SUPERVISOR_ECALL
  CHECK 26, s3, (1 << 63) | IRQ_SEI
  CHECK 27, s2, UART_IRQ
  WAIT_MIP 28, MIP_SEIP, 0
  li t0, PLIC_PENDING
  lw a0, 0(t0)
  andi a0, a0, 1 << UART_IRQ
  CHECK 29, a0, 0
  /* nothing left to claim */
  li t0, PLIC_CLAIM(PLIC_CTX_S)
  lw a0, 0(t0)
  CHECK 30, a0, 0
  csrci mstatus, MSTATUS_SIE
  csrw mie, zero
  csrw mideleg, zero
  li t0, PLIC_ENABLE(PLIC_CTX_S)
  sw zero, 0(t0)
  li t0, PLIC_PRIORITY(UART_IRQ)
  sw zero, 0(t0)

  /* ================= UART interrupt identification ================= */
  /* (after the PLIC part: QEMU 7.2's PLIC latches a source's pending bit
   * until it is claimed, so raising the line here first would leave it
   * pending there) */
  /* no interrupt without IER */
  UART_READ UART_IIR
  andi a0, a0, 0x0f
  CHECK 7, a0, UART_IIR_NONE
  /* THR-empty interrupt: reported by IIR, cleared by reading IIR */
  UART_WRITE UART_IER, UART_IER_THRE
  UART_READ UART_IER
  CHECK 8, a0, UART_IER_THRE
  UART_READ UART_IIR
  andi a0, a0, 0x0f
  CHECK 9, a0, UART_IIR_THRI
  UART_READ UART_IIR
  andi a0, a0, 0x0f
  CHECK 10, a0, UART_IIR_NONE
  /* re-armed when IER enables it again */
  UART_WRITE UART_IER, 0
  UART_WRITE UART_IER, UART_IER_THRE
  UART_READ UART_IIR
  andi a0, a0, 0x0f
  CHECK 11, a0, UART_IIR_THRI
  UART_WRITE UART_IER, 0
  UART_READ UART_IIR
  andi a0, a0, 0x0f
  CHECK 12, a0, UART_IIR_NONE

  /* ================= CLINT ================= */
  /* mtime never goes backwards, and does advance */
  TESTNUM 31
  li t0, CLINT_MTIME
  ld a1, 0(t0)
  mv s4, a1
  li t2, 1000
1:
  ld a0, 0(t0)
  bltu a0, a1, fail_near
  mv a1, a0
  addi t2, t2, -1
  bnez t2, 1b
  TESTNUM 32
  li t2, TIMEOUT_ITERS
1:
  ld a0, 0(t0)
  bne a0, s4, 2f
  addi t2, t2, -1
  bnez t2, 1b
  j fail
2:
  /* the 32-bit halves agree with the 64-bit value */
  lwu a2, 4(t0)
  lwu a1, 0(t0)
  ld a0, 0(t0)
  srli a3, a0, 32
  TESTNUM 33
  bltu a3, a2, fail_near
  /* mtimecmp and msip read back */
  li t0, CLINT_MTIMECMP
  li t1, 0x123456789a
  sd t1, 0(t0)
  ld a0, 0(t0)
  CHECK 34, a0, 0x123456789a
  li t1, -1
  sd t1, 0(t0)
  lw a0, 4(t0)
  CHECK 35, a0, -1
  li t0, CLINT_MSIP
  li t1, 1
  sw t1, 0(t0)
  lw a0, 0(t0)
  CHECK 36, a0, 1
  sw zero, 0(t0)
  lw a0, 0(t0)
  CHECK 37, a0, 0
  CHECK_CSR 38, mip, 0

  /* ================= finisher ================= */
  li t0, FINISHER_BASE
  lw a0, 0(t0)
  CHECK 39, a0, 0

  TEST_PASS
fail_near:
  j fail

/* S-mode handler for the external interrupt: records scause in s3 and the
 * claimed source in s2. */
  .balign 4
s_ext_handler:
  csrr s3, scause
  bgez s3, strap_vector
  li t0, PLIC_CLAIM(PLIC_CTX_S)
  lw s2, 0(t0)
  li t1, UART_BASE
  sb zero, UART_IER(t1)
  sw s2, 0(t0)                            /* complete */
  sret

  .data
message:
  .asciz "mkjit-guest-devices: UART transmit OK\n"
