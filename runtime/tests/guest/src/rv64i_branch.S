/*
 * rv64i_branch.S - RV64I control transfer instructions.
 *
 * Every conditional branch both taken and not taken (signed and unsigned edge
 * cases), forward and backward branches, branches with large offsets, and
 * jal/jalr link values (rd = pc + 4), jalr target = (rs1 + imm) & ~1 with the
 * low bit of an odd target cleared, jalr with rd == rs1, and x0 as link
 * register.
 */
#include "test.h"

/* Check n: `op v1, v2` must branch. */
.macro BR_TAKEN n, op, v1, v2
  TESTNUM \n
  li a1, \v1
  li a2, \v2
  \op a1, a2, 1001f
  j fail
1001:
.endm

/* Check n: `op v1, v2` must fall through. */
.macro BR_NOT_TAKEN n, op, v1, v2
  TESTNUM \n
  li a1, \v1
  li a2, \v2
  \op a1, a2, 1002f
  j 1003f
1002:
  j fail
1003:
.endm

  .text
test_main:

  /* ---- beq ---- */
  BR_TAKEN 1, beq, 0, 0
  BR_NOT_TAKEN 2, beq, 1, 2
  BR_NOT_TAKEN 3, beq, 2, 1
  BR_NOT_TAKEN 4, beq, -1, 1
  BR_NOT_TAKEN 5, beq, 1, -1
  BR_TAKEN 6, beq, -1, -1
  BR_NOT_TAKEN 7, beq, 0x8000000000000000, 0x7fffffffffffffff
  BR_NOT_TAKEN 8, beq, 0x7fffffffffffffff, 0x8000000000000000
  BR_NOT_TAKEN 9, beq, 0x8000000000000000, 0
  BR_NOT_TAKEN 10, beq, 0x100000000, 0

  /* ---- bne ---- */
  BR_NOT_TAKEN 11, bne, 0, 0
  BR_TAKEN 12, bne, 1, 2
  BR_TAKEN 13, bne, 2, 1
  BR_TAKEN 14, bne, -1, 1
  BR_TAKEN 15, bne, 1, -1
  BR_NOT_TAKEN 16, bne, -1, -1
  BR_TAKEN 17, bne, 0x8000000000000000, 0x7fffffffffffffff
  BR_TAKEN 18, bne, 0x7fffffffffffffff, 0x8000000000000000
  BR_TAKEN 19, bne, 0x8000000000000000, 0
  BR_TAKEN 20, bne, 0x100000000, 0

  /* ---- blt ---- */
  BR_NOT_TAKEN 21, blt, 0, 0
  BR_TAKEN 22, blt, 1, 2
  BR_NOT_TAKEN 23, blt, 2, 1
  BR_TAKEN 24, blt, -1, 1
  BR_NOT_TAKEN 25, blt, 1, -1
  BR_NOT_TAKEN 26, blt, -1, -1
  BR_TAKEN 27, blt, 0x8000000000000000, 0x7fffffffffffffff
  BR_NOT_TAKEN 28, blt, 0x7fffffffffffffff, 0x8000000000000000
  BR_TAKEN 29, blt, 0x8000000000000000, 0
  BR_NOT_TAKEN 30, blt, 0x100000000, 0

  /* ---- bge ---- */
  BR_TAKEN 31, bge, 0, 0
  BR_NOT_TAKEN 32, bge, 1, 2
  BR_TAKEN 33, bge, 2, 1
  BR_NOT_TAKEN 34, bge, -1, 1
  BR_TAKEN 35, bge, 1, -1
  BR_TAKEN 36, bge, -1, -1
  BR_NOT_TAKEN 37, bge, 0x8000000000000000, 0x7fffffffffffffff
  BR_TAKEN 38, bge, 0x7fffffffffffffff, 0x8000000000000000
  BR_NOT_TAKEN 39, bge, 0x8000000000000000, 0
  BR_TAKEN 40, bge, 0x100000000, 0

  /* ---- bltu ---- */
  BR_NOT_TAKEN 41, bltu, 0, 0
  BR_TAKEN 42, bltu, 1, 2
  BR_NOT_TAKEN 43, bltu, 2, 1
  BR_NOT_TAKEN 44, bltu, -1, 1
  BR_TAKEN 45, bltu, 1, -1
  BR_NOT_TAKEN 46, bltu, -1, -1
  BR_NOT_TAKEN 47, bltu, 0x8000000000000000, 0x7fffffffffffffff
  BR_TAKEN 48, bltu, 0x7fffffffffffffff, 0x8000000000000000
  BR_NOT_TAKEN 49, bltu, 0x8000000000000000, 0
  BR_NOT_TAKEN 50, bltu, 0x100000000, 0

  /* ---- bgeu ---- */
  BR_TAKEN 51, bgeu, 0, 0
  BR_NOT_TAKEN 52, bgeu, 1, 2
  BR_TAKEN 53, bgeu, 2, 1
  BR_TAKEN 54, bgeu, -1, 1
  BR_NOT_TAKEN 55, bgeu, 1, -1
  BR_TAKEN 56, bgeu, -1, -1
  BR_TAKEN 57, bgeu, 0x8000000000000000, 0x7fffffffffffffff
  BR_NOT_TAKEN 58, bgeu, 0x7fffffffffffffff, 0x8000000000000000
  BR_TAKEN 59, bgeu, 0x8000000000000000, 0
  BR_TAKEN 60, bgeu, 0x100000000, 0

  /* ---- same register on both sides ---- */
  TESTNUM 61
  li a1, -7
  beq a1, a1, 1f
  j fail
1:
  bne a1, a1, fail_far_61
  blt a1, a1, fail_far_61
  bltu a1, a1, fail_far_61
  bge a1, a1, 2f
  j fail
2:
  bgeu a1, a1, 3f
  j fail
fail_far_61:
  j fail
3:

  /* ---- backward branch: count a loop down ---- */
  li a0, 0
  li a1, 10
1:
  addi a0, a0, 3
  addi a1, a1, -1
  bnez a1, 1b
  CHECK 62, a0, 30

  /* ---- branches with large offsets (near the +-4 KiB limit) ---- */
  TESTNUM 63
  li a1, 1
  bnez a1, far_fwd
  j fail
far_back:
  j far_back_done
  .fill 1000, 4, 0x00000013       /* nop */
far_fwd:
  TESTNUM 64
  li a1, 1
  li a2, 2
  blt a1, a2, far_back
  j fail
far_back_done:

  /* ---- jal: rd = pc + 4 ---- */
  TESTNUM 65
  jal ra, jal_target_1
jal_ret_1:
  j fail
jal_target_1:
  CHECK_ADDR 66, ra, jal_ret_1
  /* jal with another link register */
  jal t0, 1f
jal_ret_2:
  j fail
1:
  CHECK_ADDR 67, t0, jal_ret_2
  /* jal x0 (j) leaves registers alone */
  li ra, 0x55
  j 1f
  j fail
1:
  CHECK 68, ra, 0x55
  /* backward jal */
  li a0, 0
  j 2f
1:
  addi a0, a0, 1
  jal s2, 3f
2:
  jal s1, 1b
jal_ret_3:
  j fail
3:
  CHECK 69, a0, 1
  CHECK_ADDR 70, s1, jal_ret_3
  CHECK_ADDR 71, s2, 2b

  /* ---- jalr ---- */
  TESTNUM 72
  la a1, jalr_target_1
  jalr ra, 0(a1)
jalr_ret_1:
  j fail
jalr_target_1:
  CHECK_ADDR 73, ra, jalr_ret_1

  /* positive and negative offsets */
  TESTNUM 74
  la a1, jalr_target_2 - 16
  jalr t1, 16(a1)
jalr_ret_2:
  j fail
jalr_target_2:
  CHECK_ADDR 75, t1, jalr_ret_2
  TESTNUM 76
  la a1, jalr_target_3 + 2000
  jalr t1, -2000(a1)
  j fail
jalr_target_3:

  /* odd target: bit 0 of rs1 + imm is cleared */
  TESTNUM 77
  la a1, jalr_target_4
  addi a1, a1, 1
  jalr ra, 0(a1)
jalr_ret_4:
  j fail
jalr_target_4:
  CHECK_ADDR 78, ra, jalr_ret_4
  TESTNUM 79
  la a1, jalr_target_5
  jalr ra, 1(a1)
  j fail
jalr_target_5:
  TESTNUM 80
  la a1, jalr_target_6 - 3
  jalr ra, 3(a1)        /* rs1 odd, imm odd: sum is even */
  j fail
jalr_target_6:

  /* rd == rs1: the target uses the old value of rs1 */
  TESTNUM 81
  la a1, jalr_target_7
  jalr a1, 0(a1)
jalr_ret_7:
  j fail
jalr_target_7:
  CHECK_ADDR 82, a1, jalr_ret_7

  /* jalr x0 (jr / ret) does not write x0 or anything else */
  TESTNUM 83
  la a1, 1f
  li ra, 0x77
  jalr zero, 0(a1)
  j fail
1:
  CHECK 84, ra, 0x77
  CHECK 85, zero, 0

  /* call / ret through a small function */
  li a0, 5
  call times_three
  CHECK 86, a0, 15
  li a0, -4
  call times_three
  CHECK 87, a0, -12

  TEST_PASS

times_three:
  slli t0, a0, 1
  add a0, a0, t0
  ret
