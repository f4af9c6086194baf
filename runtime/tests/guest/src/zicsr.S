/*
 * zicsr.S - Zicsr instructions and basic machine-level CSRs.
 *
 * csrrw/csrrs/csrrc and their immediate forms (old value returned, new value
 * written, 5-bit zero-extended immediates), csrrs/csrrc with rs1 = x0 and
 * csrrsi/csrrci with uimm = 0 not writing (so they may read read-only CSRs),
 * writes to read-only CSRs and accesses to a nonexistent CSR raising an
 * illegal instruction exception (QEMU puts the instruction bits in mtval),
 * mscratch/sscratch, misa/mhartid/mvendorid/marchid/mimpid reads, mstatus
 * SXL/UXL, mtvec modes, and the cycle/time/instret counters readable in
 * M-mode.
 *
 * Not tested on purpose (QEMU 7.2 deviates from the specification):
 * csrrs/csrrc with rs1 != x0 holding zero on a read-only CSR (QEMU does not
 * trap; the specification says the write is attempted), and mepc bit 0
 * (QEMU keeps it).
 */
#include "test.h"

  .text
test_main:
  /* ---- csrrw: swap ---- */
  li a1, 0x0123456789abcdef
  csrw mscratch, a1
  li a2, 0xfedcba9876543210
  csrrw a0, mscratch, a2
  CHECK 1, a0, 0x0123456789abcdef
  csrr a0, mscratch
  CHECK 2, a0, 0xfedcba9876543210
  li a0, 42
  csrrw a0, mscratch, a0         /* rd == rs1 */
  CHECK 3, a0, 0xfedcba9876543210
  CHECK_CSR 4, mscratch, 42
  csrrw zero, mscratch, zero     /* rd = x0: write only */
  CHECK_CSR 5, mscratch, 0

  /* ---- csrrs / csrrc ---- */
  li a1, 0xf0f0
  csrw mscratch, a1
  li a2, 0x0ff0
  csrrs a0, mscratch, a2
  CHECK 6, a0, 0xf0f0
  CHECK_CSR 7, mscratch, 0xfff0
  li a2, 0x8000000000000030
  csrrs a0, mscratch, a2
  CHECK 8, a0, 0xfff0
  CHECK_CSR 9, mscratch, 0x800000000000fff0
  li a2, 0x80000000000000f0
  csrrc a0, mscratch, a2
  CHECK 10, a0, 0x800000000000fff0
  CHECK_CSR 11, mscratch, 0xff00
  csrrs a0, mscratch, zero       /* rs1 = x0: read only */
  CHECK 12, a0, 0xff00
  csrrc a0, mscratch, zero
  CHECK 13, a0, 0xff00
  CHECK_CSR 14, mscratch, 0xff00

  /* ---- immediate forms: 5-bit zero-extended uimm ---- */
  csrrwi a0, mscratch, 31
  CHECK 15, a0, 0xff00
  CHECK_CSR 16, mscratch, 31
  csrrci a0, mscratch, 0x15
  CHECK 17, a0, 31
  CHECK_CSR 18, mscratch, 0x0a
  csrrsi a0, mscratch, 0x10
  CHECK 19, a0, 0x0a
  CHECK_CSR 20, mscratch, 0x1a
  csrrsi a0, mscratch, 0         /* uimm = 0: no write */
  CHECK 21, a0, 0x1a
  csrrci a0, mscratch, 0
  CHECK 22, a0, 0x1a
  csrrwi a0, mscratch, 0
  CHECK 23, a0, 0x1a
  CHECK_CSR 24, mscratch, 0

  /* ---- sscratch is an ordinary read/write register too ---- */
  li a1, -1
  csrw sscratch, a1
  CHECK_CSR 25, sscratch, -1
  csrrc a0, sscratch, a1
  CHECK 26, a0, -1
  CHECK_CSR 27, sscratch, 0

  /* ---- read-only machine information registers ---- */
  csrr a0, misa
  srli a1, a0, 62
  CHECK 28, a1, 2                              /* MXL = 64 */
  li t0, (1 << 0) | (1 << 2) | (1 << 8) | (1 << 12) | (1 << 18) | (1 << 20)
  and a1, a0, t0
  CHECK 29, a1, (1 << 0) | (1 << 2) | (1 << 8) | (1 << 12) | (1 << 18) | (1 << 20)  /* A C I M S U */
  csrr a0, mhartid
  CHECK 30, a0, 0
  la t0, boot_args
  ld a1, 0(t0)
  CHECK 31, a1, 0                              /* a0 at entry = hart id */
  csrr a0, mvendorid
  CHECK 32, a0, 0                              /* QEMU: 0 (non-commercial) */
  csrr a0, marchid                             /* readable; value not checked */
  csrr a0, mimpid
  /* reads through csrrs/csrrc x0 and csrrsi/csrrci 0 do not write, so they
   * do not trap on read-only CSRs */
  csrrs a0, mhartid, zero
  CHECK 33, a0, 0
  csrrc a0, mvendorid, zero
  CHECK 34, a0, 0
  csrrsi a0, mhartid, 0
  CHECK 35, a0, 0
  csrrci a0, mvendorid, 0
  CHECK 36, a0, 0
  TESTNUM 37
  csrrs a0, cycle, zero
  csrrci a0, instret, 0

  /* ---- mstatus: SXL = UXL = 2 on RV64 ---- */
  csrr a0, mstatus
  srli a0, a0, 32
  andi a0, a0, 0xf
  CHECK 38, a0, 0xa

  /* ---- writes to read-only CSRs are illegal instructions ---- */
  TEST_ILLEGAL 39, 40, 41, csrw mvendorid, zero
  TEST_ILLEGAL 42, 43, 44, csrrwi a0, mhartid, 1
  li a1, 1
  TEST_ILLEGAL 45, 46, 47, csrrs a0, marchid, a1
  TEST_ILLEGAL 48, 49, 50, csrrc a0, mimpid, a1
  TEST_ILLEGAL 51, 52, 53, csrrsi a0, mhartid, 4
  TEST_ILLEGAL 54, 55, 56, csrrci a0, mvendorid, 1
  TEST_ILLEGAL 57, 58, 59, csrw cycle, a1
  TEST_ILLEGAL 60, 61, 62, csrrw zero, instret, zero
  TEST_ILLEGAL 63, 64, 65, csrrwi zero, time, 0
  /* the failed write left the destination register alone */
  li a0, 0x77
  TEST_ILLEGAL 66, 67, 68, csrrw a0, mhartid, a1
  CHECK 69, a0, 0x77
  /* a nonexistent CSR (0x102, the removed sedeleg) */
  TEST_ILLEGAL 70, 71, 72, csrr a0, 0x102
  TEST_ILLEGAL 73, 74, 75, csrw 0x102, zero

  /* ---- mtvec: direct and vectored modes ---- */
  csrr s2, mtvec
  la a1, aligned_256
  csrw mtvec, a1
  CHECK_CSR_ADDR 76, mtvec, aligned_256
  ori a1, a1, 1
  csrw mtvec, a1
  csrr a0, mtvec
  CHECK_REG 77, a0, a1
  csrw mtvec, s2
  CHECK_CSR_ADDR 78, mtvec, mtrap_vector

  /* ---- counters readable in M-mode ---- */
  csrr a0, instret
  csrr a1, instret
  sub a2, a1, a0
  TESTNUM 79
  blez a2, fail_near             /* instret advanced */
  csrr a0, minstret
  csrr a1, instret
  TESTNUM 80
  bltu a1, a0, fail_near         /* instret is minstret */
  csrr a0, cycle
  csrr a1, mcycle
  TESTNUM 81
  bltu a1, a0, fail_near
  /* time is the CLINT's mtime */
  li t0, CLINT_MTIME
  ld a0, 0(t0)
  csrr a1, time
  ld a2, 0(t0)
  TESTNUM 82
  bltu a1, a0, fail_near
  TESTNUM 83
  bltu a2, a1, fail_near
  /* minstret and mcycle are writable; they count on from the written value */
  li a1, 0x100000000
  csrw minstret, a1
  csrr a0, minstret
  TESTNUM 84
  bltu a0, a1, fail_near
  li a2, 0x200000000
  TESTNUM 85
  bgeu a0, a2, fail_near
  csrw mcycle, a1
  csrr a0, mcycle
  TESTNUM 86
  bltu a0, a1, fail_near
  TESTNUM 87
  bgeu a0, a2, fail_near

  TEST_PASS
fail_near:
  j fail

  .balign 256
aligned_256:
  j fail
