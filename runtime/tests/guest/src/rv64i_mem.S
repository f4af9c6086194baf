/*
 * rv64i_mem.S - RV64I loads and stores.
 *
 * All load widths with sign/zero extension, positive and negative offsets,
 * all store widths (only the addressed bytes change), misaligned loads and
 * stores (within a doubleword, across doublewords and across a 4 KiB page
 * boundary; QEMU performs them without trapping and so does mkjit), a load
 * whose destination is its base register, and a load into x0.
 */
#include "test.h"

/* Check n: `op a0, off(pattern)` == expected. */
.macro TEST_LD n, op, expected, off
  la a1, pattern
  \op a0, \off(a1)
  CHECK \n, a0, \expected
.endm

/* Check n: `op a0, off(pattern + 32)` == expected. */
.macro TEST_LDN n, op, expected, off
  la a1, pattern + 32
  \op a0, \off(a1)
  CHECK \n, a0, \expected
.endm

/* Fills the 48-byte scratch buffer with 0xa5 bytes; a1 = scratch. */
.macro FILL
  la a1, scratch
  li t0, 0xa5a5a5a5a5a5a5a5
  sd t0, 0(a1)
  sd t0, 8(a1)
  sd t0, 16(a1)
  sd t0, 24(a1)
  sd t0, 32(a1)
  sd t0, 40(a1)
.endm

/* Check n: doubleword idx of the scratch buffer == expected. */
.macro CHECK_DW n, idx, expected
  la t0, scratch
  ld a0, (8 * \idx)(t0)
  CHECK \n, a0, \expected
.endm

  .text
test_main:
  /* ---- aligned loads, sign and zero extension (base a1 = pattern) ---- */
  TEST_LD 1, lb, 1, 0
  TEST_LD 2, lb, -126, 1
  TEST_LD 3, lb, 127, 16
  TEST_LD 4, lb, -1, 17
  TEST_LD 5, lb, -128, 18
  TEST_LD 6, lb, -35, 31
  TEST_LD 7, lbu, 1, 0
  TEST_LD 8, lbu, 130, 1
  TEST_LD 9, lbu, 255, 17
  TEST_LD 10, lbu, 0, 19
  TEST_LD 11, lbu, 221, 31
  TEST_LD 12, lh, 0xffffffffffff8201, 0
  TEST_LD 13, lh, 0xffffffffffff8403, 2
  TEST_LD 14, lh, -129, 16
  TEST_LD 15, lh, 128, 18
  TEST_LD 16, lh, 0xffffffffffffddcc, 30
  TEST_LD 17, lhu, 0x8201, 0
  TEST_LD 18, lhu, 0x8403, 2
  TEST_LD 19, lhu, 0xff7f, 16
  TEST_LD 20, lhu, 128, 18
  TEST_LD 21, lhu, 0xddcc, 30
  TEST_LD 22, lw, 0xffffffff84038201, 0
  TEST_LD 23, lw, 0xffffffff88078605, 4
  TEST_LD 24, lw, 0x80ff7f, 16
  TEST_LD 25, lw, 0xffffffffddccbbaa, 28
  TEST_LD 26, lwu, 0x84038201, 0
  TEST_LD 27, lwu, 0x88078605, 4
  TEST_LD 28, lwu, 0x80ff7f, 16
  TEST_LD 29, lwu, 0xddccbbaa, 28
  TEST_LD 30, ld, 0x8807860584038201, 0
  TEST_LD 31, ld, 0x900f8e0d8c0b8a09, 8
  TEST_LD 32, ld, 0x443322110080ff7f, 16
  TEST_LD 33, ld, 0xddccbbaa99776655, 24

  /* ---- negative offsets (base a1 = pattern + 32) ---- */
  TEST_LDN 34, lb, -126, -31
  TEST_LDN 35, lhu, 0xff7f, -16
  TEST_LDN 36, lw, 0xffffffff84038201, -32
  TEST_LDN 37, ld, 0xddccbbaa99776655, -8

  /* ---- misaligned loads (QEMU and mkjit perform them without trapping) ---- */
  TEST_LD 38, lh, 898, 1
  TEST_LD 39, lh, 1412, 3
  TEST_LD 40, lh, 0xffffffffffff80ff, 17
  TEST_LD 41, lhu, 898, 1
  TEST_LD 42, lhu, 0x7f90, 15
  TEST_LD 43, lw, 0x5840382, 1
  TEST_LD 44, lw, 0xffffffff86058403, 2
  TEST_LD 45, lw, 0x7860584, 3
  TEST_LD 46, lw, 0x110080ff, 17
  TEST_LD 47, lwu, 0x5840382, 1
  TEST_LD 48, lwu, 0x8a098807, 6
  TEST_LD 49, ld, 0x988078605840382, 1
  TEST_LD 50, ld, 0x8a09880786058403, 2
  TEST_LD 51, ld, 0xb8a098807860584, 3
  TEST_LD 52, ld, 0x8c0b8a0988078605, 4
  TEST_LD 53, ld, 0xd8c0b8a09880786, 5
  TEST_LD 54, ld, 0x8e0d8c0b8a098807, 6
  TEST_LD 55, ld, 0xf8e0d8c0b8a0988, 7
  TEST_LD 56, ld, 0xaa99776655443322, 21

  /* ---- aligned stores: only the addressed bytes change ---- */
  FILL
  li a2, 0x12345678
  sb a2, 3(a1)
  CHECK_DW 57, 0, 0xa5a5a5a578a5a5a5
  li a2, 0xffffbeef
  sh a2, 6(a1)
  CHECK_DW 58, 0, 0xbeefa5a578a5a5a5
  li a2, 0x99deadbeef
  sw a2, 8(a1)
  CHECK_DW 59, 1, 0xa5a5a5a5deadbeef
  li a2, 0x0123456789abcdef
  sd a2, 16(a1)
  CHECK_DW 60, 2, 0x0123456789abcdef
  CHECK_DW 61, 3, 0xa5a5a5a5a5a5a5a5
  li a2, 0x7f
  sb a2, 31(a1)
  CHECK_DW 62, 3, 0x7fa5a5a5a5a5a5a5
  sb zero, 24(a1)
  CHECK_DW 63, 3, 0x7fa5a5a5a5a5a500
  /* negative offsets */
  addi a3, a1, 40
  li a2, 0x4241
  sh a2, -8(a3)
  CHECK_DW 64, 4, 0xa5a5a5a5a5a54241
  li a2, -2
  sd a2, -40(a3)
  CHECK_DW 65, 0, -2
  sw a2, -4(a3)
  CHECK_DW 66, 4, 0xfffffffea5a54241
  CHECK_DW 67, 5, 0xa5a5a5a5a5a5a5a5

  /* ---- store then load back with every width ---- */
  FILL
  li a2, 0xfedcba9876543210
  sd a2, 8(a1)
  lb a0, 15(a1)
  CHECK 68, a0, 0xfffffffffffffffe
  lbu a0, 15(a1)
  CHECK 69, a0, 0xfe
  lh a0, 14(a1)
  CHECK 70, a0, 0xfffffffffffffedc
  lhu a0, 12(a1)
  CHECK 71, a0, 0xba98
  lw a0, 12(a1)
  CHECK 72, a0, 0xfffffffffedcba98
  lwu a0, 12(a1)
  CHECK 73, a0, 0xfedcba98
  lw a0, 8(a1)
  CHECK 74, a0, 0x76543210

  /* ---- misaligned stores ---- */
  FILL
  li a2, 0x11223344
  sw a2, 5(a1)                  /* crosses the doubleword boundary */
  CHECK_DW 75, 0, 0x223344a5a5a5a5a5
  CHECK_DW 76, 1, 0xa5a5a5a5a5a5a511
  FILL
  li a2, 0x0807060504030201
  sd a2, 13(a1)
  CHECK_DW 77, 1, 0x030201a5a5a5a5a5
  CHECK_DW 78, 2, 0xa5a5a50807060504
  FILL
  li a2, 0xcafe
  sh a2, 23(a1)
  CHECK_DW 79, 2, 0xfea5a5a5a5a5a5a5
  CHECK_DW 80, 3, 0xa5a5a5a5a5a5a5ca
  FILL
  li a2, 0x55667788
  sw a2, 2(a1)                  /* misaligned within one doubleword */
  CHECK_DW 81, 0, 0xa5a555667788a5a5
  li a2, 0x1122334455667788
  sd a2, 33(a1)
  ld a0, 33(a1)                 /* misaligned load of a misaligned store */
  CHECK 82, a0, 0x1122334455667788
  CHECK_DW 83, 4, 0x22334455667788a5
  CHECK_DW 84, 5, 0xa5a5a5a5a5a5a511

  /* ---- misaligned accesses across a 4 KiB page boundary ---- */
  la a1, page_end
  ld a0, -4(a1)
  CHECK 85, a0, 0x7766554433221100
  lw a0, -2(a1)
  CHECK 86, a0, 0x55443322
  lh a0, -1(a1)
  CHECK 87, a0, 0x4433
  li a2, 0xf0e0d0c0b0a09080
  sd a2, -3(a1)
  ld a0, -8(a1)
  CHECK 88, a0, 0xa090800000000000
  ld a0, 0(a1)
  CHECK 89, a0, 0x000000f0e0d0c0b0
  ld a0, -3(a1)
  CHECK 90, a0, 0xf0e0d0c0b0a09080

  /* ---- destination == base register; load into x0 ---- */
  la a1, pattern
  ld a1, 8(a1)
  CHECK 91, a1, 0x900f8e0d8c0b8a09
  la a1, pattern
  lw zero, 0(a1)
  CHECK 92, zero, 0
  lbu zero, 3(a1)
  CHECK 93, zero, 0

  TEST_PASS

  .data
  .balign 16
pattern:
  .byte 0x01, 0x82, 0x03, 0x84, 0x05, 0x86, 0x07, 0x88
  .byte 0x09, 0x8a, 0x0b, 0x8c, 0x0d, 0x8e, 0x0f, 0x90
  .byte 0x7f, 0xff, 0x80, 0x00, 0x11, 0x22, 0x33, 0x44
  .byte 0x55, 0x66, 0x77, 0x99, 0xaa, 0xbb, 0xcc, 0xdd
  .balign 16
scratch:
  .skip 48

  /* page_end is 4 KiB aligned; the doublewords around it straddle pages */
  .balign 4096
  .skip 4096 - 8
  .dword 0x3322110000000000
page_end:
  .dword 0x8877665544
