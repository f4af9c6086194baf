/*
 * rv64i_alu.S - RV64I integer computational instructions.
 *
 * Every register-register and register-immediate ALU instruction of RV64I,
 * including the 32-bit W forms (result sign-extended from bit 31, upper input
 * bits ignored), shifts with edge shift amounts (0, 31, 32, 63, and amounts
 * whose ignored high bits are set), signed/unsigned comparison edge cases,
 * lui, auipc, writes to x0 and rd aliasing a source.
 *
 * Check N computes a value into a0 and compares it with a constant; a
 * mismatch ends the run with (N << 16) | 0x3333 at the finisher.
 */
#include "test.h"

  .text
test_main:

  /* ---- add / sub ---- */
  TEST_RR 1, add, 0, 0, 0
  TEST_RR 2, add, 2, 1, 1
  TEST_RR 3, add, 10, 3, 7
  TEST_RR 4, add, 0, -1, 1
  TEST_RR 5, add, 0x8000000000000000, 0x7fffffffffffffff, 1
  TEST_RR 6, add, 0x7fffffffffffffff, 0x8000000000000000, -1
  TEST_RR 7, add, 0x100000000, 0xffffffff, 1
  TEST_RR 8, add, 0x2222222222222211, 0x123456789abcdef0, 0xfedcba987654321
  TEST_RR 9, sub, 0, 0, 0
  TEST_RR 10, sub, 0, 1, 1
  TEST_RR 11, sub, -4, 3, 7
  TEST_RR 12, sub, -1, 0, 1
  TEST_RR 13, sub, 0x7fffffffffffffff, 0x8000000000000000, 1
  TEST_RR 14, sub, 0x8000000000000000, 0x7fffffffffffffff, -1
  TEST_RR 15, sub, 0xffffffff, 0x100000000, 1
  TEST_RR 16, sub, 0x2468acf13579bcf, 0x123456789abcdef0, 0xfedcba987654321

  /* ---- logic ---- */
  TEST_RR 17, and, 0xf000f000f000f00, 0xff00ff00ff00ff00, 0xff00ff00ff00ff0
  TEST_RR 18, and, 0x123456789abcdef0, -1, 0x123456789abcdef0
  TEST_RR 19, and, 0, 0, -1
  TEST_RR 20, or, 0xfff0fff0fff0fff0, 0xff00ff00ff00ff00, 0xff00ff00ff00ff0
  TEST_RR 21, or, -1, -1, 0x123456789abcdef0
  TEST_RR 22, or, -1, 0, -1
  TEST_RR 23, xor, 0xf0f0f0f0f0f0f0f0, 0xff00ff00ff00ff00, 0xff00ff00ff00ff0
  TEST_RR 24, xor, 0xedcba9876543210f, -1, 0x123456789abcdef0
  TEST_RR 25, xor, -1, 0, -1

  /* ---- shifts by register: only the low 6 bits of rs2 count ---- */
  TEST_RR 26, sll, 0x8000000000000001, 0x8000000000000001, 0
  TEST_RR 27, sll, 2, 0x8000000000000001, 1
  TEST_RR 28, sll, 0x80000000, 0x8000000000000001, 31
  TEST_RR 29, sll, 0x100000000, 0x8000000000000001, 32
  TEST_RR 30, sll, 0x8000000000000000, 0x8000000000000001, 63
  TEST_RR 31, sll, 0x8000000000000001, 0x8000000000000001, 64
  TEST_RR 32, sll, 0x8000000000000000, 0x8000000000000001, 2047
  TEST_RR 33, sll, 0, 0x123456789abcdef0, -1
  TEST_RR 34, sll, 0x6543210000000000, 0x7edcba9876543210, 36
  TEST_RR 35, srl, 0x8000000000000001, 0x8000000000000001, 0
  TEST_RR 36, srl, 0x4000000000000000, 0x8000000000000001, 1
  TEST_RR 37, srl, 0x100000000, 0x8000000000000001, 31
  TEST_RR 38, srl, 0x80000000, 0x8000000000000001, 32
  TEST_RR 39, srl, 1, 0x8000000000000001, 63
  TEST_RR 40, srl, 0x8000000000000001, 0x8000000000000001, 64
  TEST_RR 41, srl, 1, 0x8000000000000001, 2047
  TEST_RR 42, srl, 0, 0x123456789abcdef0, -1
  TEST_RR 43, srl, 0x7edcba9, 0x7edcba9876543210, 36
  TEST_RR 44, sra, 0x8000000000000001, 0x8000000000000001, 0
  TEST_RR 45, sra, 0xc000000000000000, 0x8000000000000001, 1
  TEST_RR 46, sra, 0xffffffff00000000, 0x8000000000000001, 31
  TEST_RR 47, sra, 0xffffffff80000000, 0x8000000000000001, 32
  TEST_RR 48, sra, -1, 0x8000000000000001, 63
  TEST_RR 49, sra, 0x8000000000000001, 0x8000000000000001, 64
  TEST_RR 50, sra, -1, 0x8000000000000001, 2047
  TEST_RR 51, sra, 0, 0x123456789abcdef0, -1
  TEST_RR 52, sra, 0x7edcba9, 0x7edcba9876543210, 36

  /* ---- slt / sltu ---- */
  TEST_RR 53, slt, 0, 0, 0
  TEST_RR 54, slt, 1, 1, 2
  TEST_RR 55, slt, 0, 2, 1
  TEST_RR 56, slt, 1, -1, 1
  TEST_RR 57, slt, 0, 1, -1
  TEST_RR 58, slt, 1, 0x8000000000000000, 0x7fffffffffffffff
  TEST_RR 59, slt, 0, 0x7fffffffffffffff, 0x8000000000000000
  TEST_RR 60, slt, 1, -2, -1
  TEST_RR 61, slt, 1, 0x8000000000000000, 0
  TEST_RR 62, slt, 0, -1, -1
  TEST_RR 63, sltu, 0, 0, 0
  TEST_RR 64, sltu, 1, 1, 2
  TEST_RR 65, sltu, 0, 2, 1
  TEST_RR 66, sltu, 0, -1, 1
  TEST_RR 67, sltu, 1, 1, -1
  TEST_RR 68, sltu, 0, 0x8000000000000000, 0x7fffffffffffffff
  TEST_RR 69, sltu, 1, 0x7fffffffffffffff, 0x8000000000000000
  TEST_RR 70, sltu, 1, -2, -1
  TEST_RR 71, sltu, 0, 0x8000000000000000, 0
  TEST_RR 72, sltu, 0, -1, -1

  /* ---- W register ops: 32-bit result sign-extended, upper input bits ignored ---- */
  TEST_RR 73, addw, 0xffffffff80000000, 0x7fffffff, 1
  TEST_RR 74, addw, 0, 0xffffffff, 1
  TEST_RR 75, addw, 0, 0x123456780000000f, 0xfffffff1
  TEST_RR 76, addw, -2, -1, -1
  TEST_RR 77, addw, 0, 0x80000000, 0x80000000
  TEST_RR 78, subw, -1, 0, 1
  TEST_RR 79, subw, 0x7fffffff, 0x80000000, 1
  TEST_RR 80, subw, -1, 0xaaaaaaaa00000000, 0x5555555500000001
  TEST_RR 81, subw, 0xffffffff80000000, 0x7fffffff, -1
  TEST_RR 82, sllw, 0xffffffff80000001, 0xffffffff80000001, 0
  TEST_RR 83, sllw, 2, 0xffffffff80000001, 1
  TEST_RR 84, sllw, 0xffffffff80000000, 0x180000001, 31
  TEST_RR 85, sllw, 0xffffffff80000001, 0x80000001, 32
  TEST_RR 86, sllw, 0xffffffff80000000, 0x12345678c0000000, 33
  TEST_RR 87, sllw, 0xffffffff80000000, 0x7fffffff, 63
  TEST_RR 88, sllw, 0x23456780, 0xfedcba9812345678, 4
  TEST_RR 89, srlw, 0xffffffff80000001, 0xffffffff80000001, 0
  TEST_RR 90, srlw, 0x40000000, 0xffffffff80000001, 1
  TEST_RR 91, srlw, 1, 0x180000001, 31
  TEST_RR 92, srlw, 0xffffffff80000001, 0x80000001, 32
  TEST_RR 93, srlw, 0x60000000, 0x12345678c0000000, 33
  TEST_RR 94, srlw, 0, 0x7fffffff, 63
  TEST_RR 95, srlw, 0x1234567, 0xfedcba9812345678, 4
  TEST_RR 96, sraw, 0xffffffff80000001, 0xffffffff80000001, 0
  TEST_RR 97, sraw, 0xffffffffc0000000, 0xffffffff80000001, 1
  TEST_RR 98, sraw, -1, 0x180000001, 31
  TEST_RR 99, sraw, 0xffffffff80000001, 0x80000001, 32
  TEST_RR 100, sraw, 0xffffffffe0000000, 0x12345678c0000000, 33
  TEST_RR 101, sraw, 0, 0x7fffffff, 63
  TEST_RR 102, sraw, 0x1234567, 0xfedcba9812345678, 4

  /* ---- register-immediate ops, 12-bit sign-extended immediates ---- */
  TEST_RI 103, addi, 0, 0, 0
  TEST_RI 104, addi, 2048, 1, 2047
  TEST_RI 105, addi, -2047, 1, -2048
  TEST_RI 106, addi, 0, -1, 1
  TEST_RI 107, addi, 0x8000000000000000, 0x7fffffffffffffff, 1
  TEST_RI 108, addi, 0x7fffffff, 0x80000000, -1
  TEST_RI 109, slti, 0, 0, 0
  TEST_RI 110, slti, 1, -1, 0
  TEST_RI 111, slti, 0, 0, -1
  TEST_RI 112, slti, 1, -2049, -2048
  TEST_RI 113, slti, 0, -2048, -2048
  TEST_RI 114, slti, 1, 2046, 2047
  TEST_RI 115, slti, 1, 0x8000000000000000, 0
  TEST_RI 116, sltiu, 0, 0, 0
  TEST_RI 117, sltiu, 1, 0, 1
  TEST_RI 118, sltiu, 0, 1, 1
  TEST_RI 119, sltiu, 1, 5, -1
  TEST_RI 120, sltiu, 1, -2, -1
  TEST_RI 121, sltiu, 0, -1, -1
  TEST_RI 122, sltiu, 0, 2047, 2047
  TEST_RI 123, andi, 0, 0xff00ff00ff00ff00, 240
  TEST_RI 124, andi, 0xff00ff00ff00ff00, 0xff00ff00ff00ff00, -16
  TEST_RI 125, andi, 0x123456789abcdef0, 0x123456789abcdef0, -1
  TEST_RI 126, andi, 0, 0, 2047
  TEST_RI 127, ori, 0xff00ff00ff00fff0, 0xff00ff00ff00ff00, 240
  TEST_RI 128, ori, -16, 0xff00ff00ff00ff00, -16
  TEST_RI 129, ori, -1, 0x123456789abcdef0, -1
  TEST_RI 130, ori, 2047, 0, 2047
  TEST_RI 131, xori, 0xff00ff00ff00fff0, 0xff00ff00ff00ff00, 240
  TEST_RI 132, xori, 0xff00ff00ff00f0, 0xff00ff00ff00ff00, -16
  TEST_RI 133, xori, 0xedcba9876543210f, 0x123456789abcdef0, -1
  TEST_RI 134, xori, 2047, 0, 2047

  /* ---- immediate shifts, shamt 0..63 ---- */
  TEST_RI 135, slli, 0x8000000000000001, 0x8000000000000001, 0
  TEST_RI 136, slli, 2, 0x8000000000000001, 1
  TEST_RI 137, slli, 0x80000000, 0x8000000000000001, 31
  TEST_RI 138, slli, 0x100000000, 0x8000000000000001, 32
  TEST_RI 139, slli, 0x8000000000000000, 0x8000000000000001, 63
  TEST_RI 140, slli, 0xd3c4b5a697800000, 0xf1e2d3c4b5a6978, 20
  TEST_RI 141, srli, 0x8000000000000001, 0x8000000000000001, 0
  TEST_RI 142, srli, 0x4000000000000000, 0x8000000000000001, 1
  TEST_RI 143, srli, 0x100000000, 0x8000000000000001, 31
  TEST_RI 144, srli, 0x80000000, 0x8000000000000001, 32
  TEST_RI 145, srli, 1, 0x8000000000000001, 63
  TEST_RI 146, srli, 0xf1e2d3c4b5, 0xf1e2d3c4b5a6978, 20
  TEST_RI 147, srai, 0x8000000000000001, 0x8000000000000001, 0
  TEST_RI 148, srai, 0xc000000000000000, 0x8000000000000001, 1
  TEST_RI 149, srai, 0xffffffff00000000, 0x8000000000000001, 31
  TEST_RI 150, srai, 0xffffffff80000000, 0x8000000000000001, 32
  TEST_RI 151, srai, -1, 0x8000000000000001, 63
  TEST_RI 152, srai, 0xf1e2d3c4b5, 0xf1e2d3c4b5a6978, 20

  /* ---- W immediate ops ---- */
  TEST_RI 153, addiw, 0xffffffff80000000, 0x7fffffff, 1
  TEST_RI 154, addiw, -1, 0xffffffff, 0
  TEST_RI 155, addiw, 0, 0x12345678fffffff0, 16
  TEST_RI 156, addiw, 0x7fffffff, 0x80000000, -1
  TEST_RI 157, addiw, -2048, 0, -2048
  TEST_RI 158, slliw, 0xffffffff80000001, 0xffffffff80000001, 0
  TEST_RI 159, slliw, 2, 0x180000001, 1
  TEST_RI 160, slliw, 0xffffffff80000000, 0x80000001, 31
  TEST_RI 161, slliw, 0xffffffffcba98000, 0x12345678fedcba98, 12
  TEST_RI 162, srliw, 0xffffffff80000001, 0xffffffff80000001, 0
  TEST_RI 163, srliw, 0x40000000, 0x180000001, 1
  TEST_RI 164, srliw, 1, 0x80000001, 31
  TEST_RI 165, srliw, 0xfedcb, 0x12345678fedcba98, 12
  TEST_RI 166, sraiw, 0xffffffff80000001, 0xffffffff80000001, 0
  TEST_RI 167, sraiw, 0xffffffffc0000000, 0x180000001, 1
  TEST_RI 168, sraiw, -1, 0x80000001, 31
  TEST_RI 169, sraiw, 0xffffffffffffedcb, 0x12345678fedcba98, 12

  /* ---- lui: 20-bit immediate << 12, sign-extended from bit 31 ---- */
  lui a0, 0
  CHECK 170, a0, 0
  lui a0, 0x7ffff
  CHECK 171, a0, 0x7ffff000
  lui a0, 0x80000
  CHECK 172, a0, 0xffffffff80000000
  lui a0, 0xfffff
  CHECK 173, a0, 0xfffffffffffff000
  lui a0, 0x12345
  addi a0, a0, 0x678
  CHECK 174, a0, 0x12345678

  /* ---- auipc: pc + (imm << 12), sign-extended ---- */
auipc_0:
  auipc a0, 0
  CHECK_ADDR 175, a0, auipc_0
auipc_1:
  auipc a0, 1
  la a1, auipc_1
  sub a0, a0, a1
  CHECK 176, a0, 0x1000
auipc_2:
  auipc a0, 0xfffff
  la a1, auipc_2
  sub a0, a0, a1
  CHECK 177, a0, -0x1000
auipc_3:
  auipc a0, 0x80000
  la a1, auipc_3
  sub a0, a0, a1
  CHECK 178, a0, 0xffffffff80000000

  /* ---- x0 is hardwired to zero ---- */
  li a1, 5
  addi zero, a1, 7
  CHECK 179, zero, 0
  add zero, a1, a1
  mv a0, zero
  CHECK 180, a0, 0
  lui zero, 0x12345
  CHECK 181, zero, 0
  auipc zero, 0
  addw zero, a1, a1
  CHECK 182, zero, 0
  sub a0, zero, a1
  CHECK 183, a0, -5

  /* ---- destination aliasing a source ---- */
  li a0, 21
  add a0, a0, a0
  CHECK 184, a0, 42
  li a0, 0x0123456789abcdef
  xor a0, a0, a0
  CHECK 185, a0, 0
  li a0, 3
  sll a0, a0, a0
  CHECK 186, a0, 24
  li a0, 0x80000000
  addiw a0, a0, 0
  CHECK 187, a0, 0xffffffff80000000
  li a0, -5
  sltu a0, a0, a0
  CHECK 188, a0, 0
  li a0, -1
  srliw a0, a0, 1
  CHECK 189, a0, 0x7fffffff

  /* ---- register-register ops using high registers ---- */
  li s2, 0x1111
  li s3, 0x2222
  li t3, 0x4444
  add s4, s2, s3
  add t4, s4, t3
  CHECK 190, t4, 0x7777
  li s10, -1
  srl s9, s10, s2          /* shift by 0x1111 & 63 = 17 */
  CHECK 191, s9, 0x00007fffffffffff

  TEST_PASS
