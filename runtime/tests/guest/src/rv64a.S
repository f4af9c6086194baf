/*
 * rv64a.S - the A extension on RV64.
 *
 * Every AMO in .w and .d form: rd receives the old memory value (sign-extended
 * from 32 bits for .w), memory receives op(old, rs2); .w forms touch only
 * their 32-bit word. LR/SC: success (rd = 0, memory written), failure
 * (rd = 1, memory untouched) for SC without a reservation, SC after the
 * reservation was used, SC to another address than the LR; LR.W sign
 * extension; aq/rl variants; rd = x0 and rd = rs2.
 */
#include "test.h"

#define GUARD 0xa5a5a5a5

/* Checks n1 (rd) and n2 (memory doubleword) of `op a0, rs2, (amo_area)` on
 * the low word of a doubleword whose high word is GUARD. */
.macro TEST_AMOW n1, n2, op, mem, rs2, expected_rd, expected_mem
  la a1, amo_area
  li t0, (GUARD << 32) | (\mem)
  sd t0, 0(a1)
  li a2, \rs2
  \op a0, a2, (a1)
  CHECK \n1, a0, \expected_rd
  ld a3, 0(a1)
  CHECK \n2, a3, (GUARD << 32) | (\expected_mem)
.endm

/* Checks n1 (rd) and n2 (memory) of `op a0, rs2, (amo_area)`. */
.macro TEST_AMOD n1, n2, op, mem, rs2, expected_rd, expected_mem
  la a1, amo_area
  li t0, \mem
  sd t0, 0(a1)
  li a2, \rs2
  \op a0, a2, (a1)
  CHECK \n1, a0, \expected_rd
  ld a3, 0(a1)
  CHECK \n2, a3, \expected_mem
.endm

  .text
test_main:

  /* ---- amoswap.w / amoswap.d ---- */
  TEST_AMOW 1, 2, amoswap.w, 0x80000001, 0x7ffffffe, 0xffffffff80000001, 0x7ffffffe
  TEST_AMOW 3, 4, amoswap.w, 5, 0xfffffff0, 5, 0xfffffff0
  TEST_AMOW 5, 6, amoswap.w, 0xfffffff0, 0x12345678, -16, 0x12345678
  TEST_AMOD 7, 8, amoswap.d, 0x8000000000000001, 0x7ffffffffffffffe, 0x8000000000000001, 0x7ffffffffffffffe
  TEST_AMOD 9, 10, amoswap.d, 5, -16, 5, -16
  TEST_AMOD 11, 12, amoswap.d, 0x123456789abcdef0, 0xfedcba987654321, 0x123456789abcdef0, 0xfedcba987654321

  /* ---- amoadd.w / amoadd.d ---- */
  TEST_AMOW 13, 14, amoadd.w, 0x80000001, 0x7ffffffe, 0xffffffff80000001, 0xffffffff
  TEST_AMOW 15, 16, amoadd.w, 5, 0xfffffff0, 5, 0xfffffff5
  TEST_AMOW 17, 18, amoadd.w, 0xfffffff0, 0x12345678, -16, 0x12345668
  TEST_AMOD 19, 20, amoadd.d, 0x8000000000000001, 0x7ffffffffffffffe, 0x8000000000000001, -1
  TEST_AMOD 21, 22, amoadd.d, 5, -16, 5, -11
  TEST_AMOD 23, 24, amoadd.d, 0x123456789abcdef0, 0xfedcba987654321, 0x123456789abcdef0, 0x2222222222222211

  /* ---- amoxor.w / amoxor.d ---- */
  TEST_AMOW 25, 26, amoxor.w, 0x80000001, 0x7ffffffe, 0xffffffff80000001, 0xffffffff
  TEST_AMOW 27, 28, amoxor.w, 5, 0xfffffff0, 5, 0xfffffff5
  TEST_AMOW 29, 30, amoxor.w, 0xfffffff0, 0x12345678, -16, 0xedcba988
  TEST_AMOD 31, 32, amoxor.d, 0x8000000000000001, 0x7ffffffffffffffe, 0x8000000000000001, -1
  TEST_AMOD 33, 34, amoxor.d, 5, -16, 5, -11
  TEST_AMOD 35, 36, amoxor.d, 0x123456789abcdef0, 0xfedcba987654321, 0x123456789abcdef0, 0x1dd99dd11dd99dd1

  /* ---- amoand.w / amoand.d ---- */
  TEST_AMOW 37, 38, amoand.w, 0x80000001, 0x7ffffffe, 0xffffffff80000001, 0
  TEST_AMOW 39, 40, amoand.w, 5, 0xfffffff0, 5, 0
  TEST_AMOW 41, 42, amoand.w, 0xfffffff0, 0x12345678, -16, 0x12345670
  TEST_AMOD 43, 44, amoand.d, 0x8000000000000001, 0x7ffffffffffffffe, 0x8000000000000001, 0
  TEST_AMOD 45, 46, amoand.d, 5, -16, 5, 0
  TEST_AMOD 47, 48, amoand.d, 0x123456789abcdef0, 0xfedcba987654321, 0x123456789abcdef0, 0x224422882244220

  /* ---- amoor.w / amoor.d ---- */
  TEST_AMOW 49, 50, amoor.w, 0x80000001, 0x7ffffffe, 0xffffffff80000001, 0xffffffff
  TEST_AMOW 51, 52, amoor.w, 5, 0xfffffff0, 5, 0xfffffff5
  TEST_AMOW 53, 54, amoor.w, 0xfffffff0, 0x12345678, -16, 0xfffffff8
  TEST_AMOD 55, 56, amoor.d, 0x8000000000000001, 0x7ffffffffffffffe, 0x8000000000000001, -1
  TEST_AMOD 57, 58, amoor.d, 5, -16, 5, -11
  TEST_AMOD 59, 60, amoor.d, 0x123456789abcdef0, 0xfedcba987654321, 0x123456789abcdef0, 0x1ffddff99ffddff1

  /* ---- amomin.w / amomin.d ---- */
  TEST_AMOW 61, 62, amomin.w, 0x80000001, 0x7ffffffe, 0xffffffff80000001, 0x80000001
  TEST_AMOW 63, 64, amomin.w, 5, 0xfffffff0, 5, 0xfffffff0
  TEST_AMOW 65, 66, amomin.w, 0xfffffff0, 0x12345678, -16, 0xfffffff0
  TEST_AMOD 67, 68, amomin.d, 0x8000000000000001, 0x7ffffffffffffffe, 0x8000000000000001, 0x8000000000000001
  TEST_AMOD 69, 70, amomin.d, 5, -16, 5, -16
  TEST_AMOD 71, 72, amomin.d, 0x123456789abcdef0, 0xfedcba987654321, 0x123456789abcdef0, 0xfedcba987654321

  /* ---- amomax.w / amomax.d ---- */
  TEST_AMOW 73, 74, amomax.w, 0x80000001, 0x7ffffffe, 0xffffffff80000001, 0x7ffffffe
  TEST_AMOW 75, 76, amomax.w, 5, 0xfffffff0, 5, 5
  TEST_AMOW 77, 78, amomax.w, 0xfffffff0, 0x12345678, -16, 0x12345678
  TEST_AMOD 79, 80, amomax.d, 0x8000000000000001, 0x7ffffffffffffffe, 0x8000000000000001, 0x7ffffffffffffffe
  TEST_AMOD 81, 82, amomax.d, 5, -16, 5, 5
  TEST_AMOD 83, 84, amomax.d, 0x123456789abcdef0, 0xfedcba987654321, 0x123456789abcdef0, 0x123456789abcdef0

  /* ---- amominu.w / amominu.d ---- */
  TEST_AMOW 85, 86, amominu.w, 0x80000001, 0x7ffffffe, 0xffffffff80000001, 0x7ffffffe
  TEST_AMOW 87, 88, amominu.w, 5, 0xfffffff0, 5, 5
  TEST_AMOW 89, 90, amominu.w, 0xfffffff0, 0x12345678, -16, 0x12345678
  TEST_AMOD 91, 92, amominu.d, 0x8000000000000001, 0x7ffffffffffffffe, 0x8000000000000001, 0x7ffffffffffffffe
  TEST_AMOD 93, 94, amominu.d, 5, -16, 5, 5
  TEST_AMOD 95, 96, amominu.d, 0x123456789abcdef0, 0xfedcba987654321, 0x123456789abcdef0, 0xfedcba987654321

  /* ---- amomaxu.w / amomaxu.d ---- */
  TEST_AMOW 97, 98, amomaxu.w, 0x80000001, 0x7ffffffe, 0xffffffff80000001, 0x80000001
  TEST_AMOW 99, 100, amomaxu.w, 5, 0xfffffff0, 5, 0xfffffff0
  TEST_AMOW 101, 102, amomaxu.w, 0xfffffff0, 0x12345678, -16, 0xfffffff0
  TEST_AMOD 103, 104, amomaxu.d, 0x8000000000000001, 0x7ffffffffffffffe, 0x8000000000000001, 0x8000000000000001
  TEST_AMOD 105, 106, amomaxu.d, 5, -16, 5, -16
  TEST_AMOD 107, 108, amomaxu.d, 0x123456789abcdef0, 0xfedcba987654321, 0x123456789abcdef0, 0x123456789abcdef0

  /* ---- .w on the high word of a doubleword ---- */
  la a1, amo_area
  li t0, 0x8000000012345678
  sd t0, 0(a1)
  li a2, 1
  addi a5, a1, 4
  amoadd.w a0, a2, (a5)
  CHECK 109, a0, 0xffffffff80000000
  ld a3, 0(a1)
  CHECK 110, a3, 0x8000000112345678
  li a2, 0x7fffffff
  amoswap.w a0, a2, (a5)
  CHECK 111, a0, 0xffffffff80000001
  ld a3, 0(a1)
  CHECK 112, a3, 0x7fffffff12345678

  /* ---- aq/rl variants, rd = x0, rd = rs2 ---- */
  li t0, 100
  sd t0, 0(a1)
  li a2, 5
  amoadd.d.aq a0, a2, (a1)
  CHECK 113, a0, 100
  amoadd.d.rl a0, a2, (a1)
  CHECK 114, a0, 105
  amoadd.d.aqrl zero, a2, (a1)
  ld a3, 0(a1)
  CHECK 115, a3, 115
  amoadd.d a2, a2, (a1)         /* rd == rs2: rd gets the old value */
  CHECK 116, a2, 115
  ld a3, 0(a1)
  CHECK 117, a3, 120
  amoor.w.aqrl a0, zero, (a1)
  CHECK 118, a0, 120

  /* ---- LR/SC ---- */
  /* SC without any reservation fails with 1 and does not write */
  la a1, lr_area
  li t0, 0x1111
  sd t0, 0(a1)
  li a2, 0x2222
  sc.d a0, a2, (a1)
  CHECK 119, a0, 1
  ld a3, 0(a1)
  CHECK 120, a3, 0x1111
  /* LR then SC to the same address succeeds */
  lr.d a0, (a1)
  CHECK 121, a0, 0x1111
  sc.d a4, a2, (a1)
  CHECK 122, a4, 0
  ld a3, 0(a1)
  CHECK 123, a3, 0x2222
  /* the reservation is gone after the SC: a second SC fails */
  li a2, 0x3333
  sc.d a4, a2, (a1)
  CHECK 124, a4, 1
  ld a3, 0(a1)
  CHECK 125, a3, 0x2222
  /* SC to another address than the LR fails (a different 256-byte block) */
  lr.d a0, (a1)
  addi a5, a1, 256
  sd zero, 0(a5)
  sc.d a4, a2, (a5)
  CHECK 126, a4, 1
  ld a3, 0(a5)
  CHECK 127, a3, 0
  /* LR.W sign-extends; SC.W writes only its word */
  li t0, 0x0123456789abcdef
  sd t0, 0(a1)
  lr.w a0, (a1)
  CHECK 128, a0, 0xffffffff89abcdef
  li a2, 0x7fffffff
  sc.w a4, a2, (a1)
  CHECK 129, a4, 0
  ld a3, 0(a1)
  CHECK 130, a3, 0x012345677fffffff
  addi a5, a1, 4
  lr.w a0, (a5)
  CHECK 131, a0, 0x01234567
  li a2, 0xfedcba98
  sc.w a4, a2, (a5)
  CHECK 132, a4, 0
  ld a3, 0(a1)
  CHECK 133, a3, 0xfedcba987fffffff
  /* SC.W without a reservation */
  sc.w a4, zero, (a1)
  CHECK 134, a4, 1
  ld a3, 0(a1)
  CHECK 135, a3, 0xfedcba987fffffff
  /* aq/rl forms */
  lr.d.aq a0, (a1)
  CHECK 136, a0, 0xfedcba987fffffff
  li a2, 77
  sc.d.rl a4, a2, (a1)
  CHECK 137, a4, 0
  lr.w.aqrl a0, (a1)
  CHECK 138, a0, 77
  sc.w.aqrl a4, zero, (a1)
  CHECK 139, a4, 0
  ld a3, 0(a1)
  CHECK 140, a3, 0
  /* an LR/SC retry loop: atomic increment */
  li t1, 10
1:
  lr.d a0, (a1)
  addi a0, a0, 3
  sc.d a4, a0, (a1)
  bnez a4, 1b
  addi t1, t1, -1
  bnez t1, 1b
  ld a3, 0(a1)
  CHECK 141, a3, 30
  /* SC's rd == rs2: rd gets the status code */
  lr.d a0, (a1)
  li a2, 99
  sc.d a2, a2, (a1)
  CHECK 142, a2, 0
  ld a3, 0(a1)
  CHECK 143, a3, 99

  TEST_PASS

  .data
  .balign 64
amo_area:
  .dword 0, 0
  .balign 512
lr_area:
  .skip 512
