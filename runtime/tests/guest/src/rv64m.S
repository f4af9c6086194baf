/*
 * rv64m.S - the M extension on RV64.
 *
 * mul/mulh/mulhsu/mulhu/mulw and div/divu/rem/remu with their W forms,
 * including the results the specification defines for division by zero
 * (quotient all ones, remainder = dividend) and for signed overflow
 * (MIN / -1 = MIN, MIN % -1 = 0), and W forms ignoring the upper 32 bits of
 * their inputs and sign-extending 32-bit results.
 */
#include "test.h"

  .text
test_main:

  /* ---- mul ---- */
  TEST_RR 1, mul, 0, 0, 0
  TEST_RR 2, mul, 21, 3, 7
  TEST_RR 3, mul, -21, -3, 7
  TEST_RR 4, mul, 21, -3, -7
  TEST_RR 5, mul, 1, 0x7fffffffffffffff, 0x7fffffffffffffff
  TEST_RR 6, mul, 0, 0x8000000000000000, 0x8000000000000000
  TEST_RR 7, mul, 0x8000000000000000, 0x8000000000000000, -1
  TEST_RR 8, mul, 1, -1, -1
  TEST_RR 9, mul, 0x236d88fe5618cf00, 0x123456789abcdef0, 0xfedcba9876543210
  TEST_RR 10, mul, -2, 0x7fffffffffffffff, 2
  TEST_RR 11, mul, 0x8000000000000000, 1, 0x8000000000000000

  /* ---- mulh ---- */
  TEST_RR 12, mulh, 0, 0, 0
  TEST_RR 13, mulh, 0, 3, 7
  TEST_RR 14, mulh, -1, -3, 7
  TEST_RR 15, mulh, 0, -3, -7
  TEST_RR 16, mulh, 0x3fffffffffffffff, 0x7fffffffffffffff, 0x7fffffffffffffff
  TEST_RR 17, mulh, 0x4000000000000000, 0x8000000000000000, 0x8000000000000000
  TEST_RR 18, mulh, 0, 0x8000000000000000, -1
  TEST_RR 19, mulh, 0, -1, -1
  TEST_RR 20, mulh, 0xffeb49923cc09532, 0x123456789abcdef0, 0xfedcba9876543210
  TEST_RR 21, mulh, 0, 0x7fffffffffffffff, 2
  TEST_RR 22, mulh, -1, 1, 0x8000000000000000

  /* ---- mulhsu ---- */
  TEST_RR 23, mulhsu, 0, 0, 0
  TEST_RR 24, mulhsu, 0, 3, 7
  TEST_RR 25, mulhsu, -1, -3, 7
  TEST_RR 26, mulhsu, -3, -3, -7
  TEST_RR 27, mulhsu, 0x3fffffffffffffff, 0x7fffffffffffffff, 0x7fffffffffffffff
  TEST_RR 28, mulhsu, 0xc000000000000000, 0x8000000000000000, 0x8000000000000000
  TEST_RR 29, mulhsu, 0x8000000000000000, 0x8000000000000000, -1
  TEST_RR 30, mulhsu, -1, -1, -1
  TEST_RR 31, mulhsu, 0x121fa00ad77d7422, 0x123456789abcdef0, 0xfedcba9876543210
  TEST_RR 32, mulhsu, 0, 0x7fffffffffffffff, 2
  TEST_RR 33, mulhsu, 0, 1, 0x8000000000000000

  /* ---- mulhu ---- */
  TEST_RR 34, mulhu, 0, 0, 0
  TEST_RR 35, mulhu, 0, 3, 7
  TEST_RR 36, mulhu, 6, -3, 7
  TEST_RR 37, mulhu, -10, -3, -7
  TEST_RR 38, mulhu, 0x3fffffffffffffff, 0x7fffffffffffffff, 0x7fffffffffffffff
  TEST_RR 39, mulhu, 0x4000000000000000, 0x8000000000000000, 0x8000000000000000
  TEST_RR 40, mulhu, 0x7fffffffffffffff, 0x8000000000000000, -1
  TEST_RR 41, mulhu, -2, -1, -1
  TEST_RR 42, mulhu, 0x121fa00ad77d7422, 0x123456789abcdef0, 0xfedcba9876543210
  TEST_RR 43, mulhu, 0, 0x7fffffffffffffff, 2
  TEST_RR 44, mulhu, 0, 1, 0x8000000000000000

  /* ---- mulw: low 32 bits of the product, sign-extended; upper input bits ignored ---- */
  TEST_RR 45, mulw, 21, 3, 7
  TEST_RR 46, mulw, -2, 0x7fffffff, 2
  TEST_RR 47, mulw, 0, 0x10000, 0x10000
  TEST_RR 48, mulw, -9, 0xffffffff00000003, 0x12345678fffffffd
  TEST_RR 49, mulw, 0xffffffff80000000, 0x80000000, -1

  /* ---- div (incl. division by zero and signed overflow) ---- */
  TEST_RR 50, div, 3, 20, 6
  TEST_RR 51, div, -3, -20, 6
  TEST_RR 52, div, -3, 20, -6
  TEST_RR 53, div, 3, -20, -6
  TEST_RR 54, div, -1, 7, 0
  TEST_RR 55, div, -1, 0, 0
  TEST_RR 56, div, -1, -7, 0
  TEST_RR 57, div, 0x8000000000000000, 0x8000000000000000, -1
  TEST_RR 58, div, 0x8000000000000000, 0x8000000000000000, 1
  TEST_RR 59, div, 0, 0x7fffffffffffffff, 0x8000000000000000
  TEST_RR 60, div, 0, -1, 0x7fffffffffffffff
  TEST_RR 61, div, 0x123456789abcd, 0x123456789abcdef0, 4096

  /* ---- divu (incl. division by zero and signed overflow) ---- */
  TEST_RR 62, divu, 3, 20, 6
  TEST_RR 63, divu, 0x2aaaaaaaaaaaaaa7, -20, 6
  TEST_RR 64, divu, 0, 20, -6
  TEST_RR 65, divu, 0, -20, -6
  TEST_RR 66, divu, -1, 7, 0
  TEST_RR 67, divu, -1, 0, 0
  TEST_RR 68, divu, -1, -7, 0
  TEST_RR 69, divu, 0, 0x8000000000000000, -1
  TEST_RR 70, divu, 0x8000000000000000, 0x8000000000000000, 1
  TEST_RR 71, divu, 0, 0x7fffffffffffffff, 0x8000000000000000
  TEST_RR 72, divu, 2, -1, 0x7fffffffffffffff
  TEST_RR 73, divu, 0x123456789abcd, 0x123456789abcdef0, 4096

  /* ---- rem (incl. division by zero and signed overflow) ---- */
  TEST_RR 74, rem, 2, 20, 6
  TEST_RR 75, rem, -2, -20, 6
  TEST_RR 76, rem, 2, 20, -6
  TEST_RR 77, rem, -2, -20, -6
  TEST_RR 78, rem, 7, 7, 0
  TEST_RR 79, rem, 0, 0, 0
  TEST_RR 80, rem, -7, -7, 0
  TEST_RR 81, rem, 0, 0x8000000000000000, -1
  TEST_RR 82, rem, 0, 0x8000000000000000, 1
  TEST_RR 83, rem, 0x7fffffffffffffff, 0x7fffffffffffffff, 0x8000000000000000
  TEST_RR 84, rem, -1, -1, 0x7fffffffffffffff
  TEST_RR 85, rem, 3824, 0x123456789abcdef0, 4096

  /* ---- remu (incl. division by zero and signed overflow) ---- */
  TEST_RR 86, remu, 2, 20, 6
  TEST_RR 87, remu, 2, -20, 6
  TEST_RR 88, remu, 20, 20, -6
  TEST_RR 89, remu, -20, -20, -6
  TEST_RR 90, remu, 7, 7, 0
  TEST_RR 91, remu, 0, 0, 0
  TEST_RR 92, remu, -7, -7, 0
  TEST_RR 93, remu, 0x8000000000000000, 0x8000000000000000, -1
  TEST_RR 94, remu, 0, 0x8000000000000000, 1
  TEST_RR 95, remu, 0x7fffffffffffffff, 0x7fffffffffffffff, 0x8000000000000000
  TEST_RR 96, remu, 1, -1, 0x7fffffffffffffff
  TEST_RR 97, remu, 3824, 0x123456789abcdef0, 4096

  /* ---- divw ---- */
  TEST_RR 98, divw, 3, 20, 6
  TEST_RR 99, divw, -3, -20, 6
  TEST_RR 100, divw, -3, 20, -6
  TEST_RR 101, divw, -1, 0xffffffff00000007, 0
  TEST_RR 102, divw, 0xffffffff80000000, 0x80000000, -1
  TEST_RR 103, divw, 0xffffffff80000000, 0x80000000, 1
  TEST_RR 104, divw, 0xffffffff80000000, 0x1234567880000000, 0xffffffff
  TEST_RR 105, divw, 6, 0xabcdef0000000014, 0x1234567800000003

  /* ---- divuw ---- */
  TEST_RR 106, divuw, 3, 20, 6
  TEST_RR 107, divuw, 0x2aaaaaa7, -20, 6
  TEST_RR 108, divuw, 0, 20, -6
  TEST_RR 109, divuw, -1, 0xffffffff00000007, 0
  TEST_RR 110, divuw, 0, 0x80000000, -1
  TEST_RR 111, divuw, 0xffffffff80000000, 0x80000000, 1
  TEST_RR 112, divuw, 0, 0x1234567880000000, 0xffffffff
  TEST_RR 113, divuw, 6, 0xabcdef0000000014, 0x1234567800000003

  /* ---- remw ---- */
  TEST_RR 114, remw, 2, 20, 6
  TEST_RR 115, remw, -2, -20, 6
  TEST_RR 116, remw, 2, 20, -6
  TEST_RR 117, remw, 7, 0xffffffff00000007, 0
  TEST_RR 118, remw, 0, 0x80000000, -1
  TEST_RR 119, remw, 0, 0x80000000, 1
  TEST_RR 120, remw, 0, 0x1234567880000000, 0xffffffff
  TEST_RR 121, remw, 2, 0xabcdef0000000014, 0x1234567800000003

  /* ---- remuw ---- */
  TEST_RR 122, remuw, 2, 20, 6
  TEST_RR 123, remuw, 2, -20, 6
  TEST_RR 124, remuw, 20, 20, -6
  TEST_RR 125, remuw, 7, 0xffffffff00000007, 0
  TEST_RR 126, remuw, 0xffffffff80000000, 0x80000000, -1
  TEST_RR 127, remuw, 0, 0x80000000, 1
  TEST_RR 128, remuw, 0xffffffff80000000, 0x1234567880000000, 0xffffffff
  TEST_RR 129, remuw, 2, 0xabcdef0000000014, 0x1234567800000003

  /* ---- rd aliasing the sources ---- */
  li a0, -9
  mul a0, a0, a0
  CHECK 130, a0, 81
  li a0, 81
  li a1, 0
  div a1, a0, a1
  CHECK 131, a1, -1
  li a0, 0x100000007
  remuw a0, a0, a0
  CHECK 132, a0, 0

  TEST_PASS
