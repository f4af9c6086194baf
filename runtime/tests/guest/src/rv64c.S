/*
 * rv64c.S - the C extension on RV64 (integer instructions).
 *
 * Every RV64C integer instruction, written explicitly as a compressed
 * mnemonic so the assembler cannot choose the 32-bit form: c.addi4spn, c.lw,
 * c.ld, c.sw, c.sd, c.nop, c.addi, c.addiw, c.li, c.addi16sp, c.lui, c.srli,
 * c.srai, c.andi, c.sub, c.xor, c.or, c.and, c.subw, c.addw, c.j, c.beqz,
 * c.bnez, c.slli, c.lwsp, c.ldsp, c.jr, c.mv, c.ebreak, c.jalr, c.add,
 * c.swsp, c.sdsp. Also: the all-zero halfword is an illegal instruction,
 * 32-bit instructions at addresses that are 2 mod 4, branches and jumps to
 * such addresses, and a 32-bit instruction straddling a 4 KiB page boundary.
 * (C.FLD/C.FSD/C.FLDSP/C.FSDSP belong to the D extension and are checked by
 * rv64fd.S; the RV32-only C.JAL encoding is C.ADDIW on RV64.)
 */
#include "test.h"

  .text
  .option rvc
test_main:
  /* ---- c.li, c.addi, c.nop ---- */
  c.li a0, 31
  CHECK 1, a0, 31
  c.li a0, -32
  CHECK 2, a0, -32
  c.li a0, 0
  c.addi a0, 31
  CHECK 3, a0, 31
  c.addi a0, -32
  CHECK 4, a0, -1
  c.li t3, 7                    /* c.li/c.addi take any register */
  c.addi t3, -8
  CHECK 5, t3, -1
  c.nop
  CHECK 6, t3, -1

  /* ---- c.lui: nzimm[17:12], sign-extended ---- */
  c.lui a0, 1
  CHECK 7, a0, 0x1000
  c.lui a0, 31
  CHECK 8, a0, 0x1f000
  c.lui a0, 0xfffff
  CHECK 9, a0, 0xfffffffffffff000
  c.lui a0, 0xfffe0
  CHECK 10, a0, 0xfffffffffffe0000

  /* ---- c.addiw: 32-bit add, sign-extended; c.addiw rd, 0 is sext.w ---- */
  li a0, 0x7fffffff
  c.addiw a0, 1
  CHECK 11, a0, 0xffffffff80000000
  li a0, 0x1234567800000005
  c.addiw a0, -6
  CHECK 12, a0, -1
  li a0, 0xaaaaaaaa87654321
  c.addiw a0, 0
  CHECK 13, a0, 0xffffffff87654321

  /* ---- c.addi4spn and c.addi16sp ---- */
  mv s2, sp
  c.addi4spn a0, sp, 4
  sub a0, a0, sp
  CHECK 14, a0, 4
  c.addi4spn a1, sp, 1020
  sub a1, a1, sp
  CHECK 15, a1, 1020
  c.addi16sp sp, -512
  sub a0, s2, sp
  CHECK 16, a0, 512
  c.addi16sp sp, 496
  sub a0, sp, s2
  CHECK 17, a0, -16
  c.addi16sp sp, 16
  CHECK_REG 18, sp, s2

  /* ---- shifts and c.andi ---- */
  li a0, 0x8000000000000001
  c.srli a0, 63
  CHECK 19, a0, 1
  li a0, 0x8000000000000001
  c.srai a0, 63
  CHECK 20, a0, -1
  li a0, 0x8000000000000010
  c.srli a0, 4
  CHECK 21, a0, 0x0800000000000001
  li a0, 0x8000000000000010
  c.srai a0, 32
  CHECK 22, a0, 0xffffffff80000000
  li a0, 1
  c.slli a0, 63
  CHECK 23, a0, 0x8000000000000000
  li t4, 0x0123456789abcdef    /* c.slli takes any register */
  c.slli t4, 32
  CHECK 24, t4, 0x89abcdef00000000
  li a0, 0x0f0f0f0f0f0f0fff
  c.andi a0, -32
  CHECK 25, a0, 0x0f0f0f0f0f0f0fe0
  li a0, 0x0f0f0f0f0f0f0fff
  c.andi a0, 15
  CHECK 26, a0, 15

  /* ---- register-register ops on x8..x15 ---- */
  li s0, 0x0ff00ff00ff00ff0
  li s1, 0x00ff00ff00ff00ff
  mv a0, s0
  c.and a0, s1
  CHECK 27, a0, 0x00f000f000f000f0
  mv a0, s0
  c.or a0, s1
  CHECK 28, a0, 0x0fff0fff0fff0fff
  mv a0, s0
  c.xor a0, s1
  CHECK 29, a0, 0x0f0f0f0f0f0f0f0f
  mv a0, s0
  c.sub a0, s1
  CHECK 30, a0, 0x0ef10ef10ef10ef1
  li a4, 0x7fffffff
  li a5, 1
  c.addw a4, a5
  CHECK 31, a4, 0xffffffff80000000
  li a4, 0x1234567800000000
  li a5, 1
  c.subw a4, a5
  CHECK 32, a4, -1
  li a2, 0xffffffff00000002
  li a3, 0x00000000ffffffff
  c.addw a2, a3
  CHECK 33, a2, 1

  /* ---- c.mv and c.add on any registers ---- */
  li t0, 0x5a5a5a5a5a5a5a5a
  c.mv t1, t0
  CHECK 34, t1, 0x5a5a5a5a5a5a5a5a
  li t2, 0x1111111111111111
  c.add t1, t2
  CHECK 35, t1, 0x6b6b6b6b6b6b6b6b
  c.mv s3, sp
  CHECK_REG 36, s3, sp

  /* ---- loads and stores ---- */
  la a1, cdata
  c.lw a0, 0(a1)
  CHECK 37, a0, 0xffffffff87654321
  c.lw a0, 4(a1)
  CHECK 38, a0, 0x12345678
  c.ld a0, 8(a1)
  CHECK 39, a0, 0xfedcba9876543210
  c.lw a0, 124(a1)
  CHECK 40, a0, 0x7c7c7c7c
  c.ld a0, 248(a1)
  CHECK 41, a0, 0xfcfcfcfcf8f8f8f8
  li a2, 0x1122334455667788
  c.sw a2, 16(a1)
  c.ld a0, 16(a1)
  CHECK 42, a0, 0x55667788
  c.sd a2, 24(a1)
  ld a0, 24(a1)
  CHECK 43, a0, 0x1122334455667788
  c.sd a2, 240(a1)
  ld a0, 240(a1)
  CHECK 44, a0, 0x1122334455667788
  c.sw a2, 120(a1)
  lwu a0, 120(a1)
  CHECK 45, a0, 0x55667788

  /* ---- sp-relative loads and stores ---- */
  mv s2, sp
  la sp, cdata
  c.lwsp a0, 0(sp)
  CHECK 46, a0, 0xffffffff87654321
  c.ldsp a0, 8(sp)
  CHECK 47, a0, 0xfedcba9876543210
  c.lwsp t3, 252(sp)             /* c.lwsp/c.ldsp take any rd */
  CHECK 48, t3, 0xfffffffffcfcfcfc
  c.ldsp t3, 504(sp)
  CHECK 49, t3, 0x01f801f801f801f8
  li t5, 0x0abbccdd
  c.swsp t5, 248(sp)
  ld a0, 248(sp)
  CHECK 50, a0, 0xfcfcfcfc0abbccdd
  li t5, 0x0102030405060708
  c.sdsp t5, 496(sp)
  ld a0, 496(sp)
  CHECK 51, a0, 0x0102030405060708
  c.swsp t5, 252(sp)
  lw a0, 252(sp)
  CHECK 52, a0, 0x05060708
  mv sp, s2

  /* ---- c.j, c.beqz, c.bnez ---- */
  TESTNUM 53
  c.j 1f
  j fail
1:
  TESTNUM 54
  li a0, 0
  c.beqz a0, 1f
  j fail
1:
  TESTNUM 55
  li a0, 1
  c.beqz a0, 2f
  c.j 3f
2:
  j fail
3:
  TESTNUM 56
  li a0, -1
  c.bnez a0, 1f
  j fail
1:
  TESTNUM 57
  li a0, 0
  c.bnez a0, 2f
  c.j 3f
2:
  j fail
3:
  /* backward c.bnez loop */
  li a0, 5
  li a1, 0
1:
  c.addi a1, 3
  c.addi a0, -1
  c.bnez a0, 1b
  CHECK 58, a1, 15

  /* ---- c.jr and c.jalr (link = pc + 2) ---- */
  TESTNUM 59
  la t0, 1f
  c.jr t0
  j fail
1:
  la t0, cjalr_target
  c.jalr t0
cjalr_ret:
  j fail
cjalr_target:
  CHECK_ADDR 60, ra, cjalr_ret
  /* a function call through c.jalr and return through c.jr ra */
  li a0, 20
  la t1, c_double
  c.jalr t1
  CHECK 61, a0, 40

  /* ---- 32-bit instructions at pc = 2 mod 4 ---- */
  .balign 4
  c.nop
misaligned_32:
  addi a0, zero, 0x123
  CHECK 62, a0, 0x123
  la t0, misaligned_32
  andi t0, t0, 3
  CHECK 63, t0, 2
  /* branch and jump targets at 2 mod 4 */
  .balign 4
  TESTNUM 64
  li a0, 1
  bnez a0, 1f
  j fail
  c.nop
1:
  la t0, 1b
  andi t0, t0, 3
  CHECK 65, t0, 2
  .balign 4
  jal ra, 2f
  c.nop
  j fail
2:
  CHECK_ADDR 66, ra, 2b - 6
  la t0, odd_target
  jalr ra, 0(t0)
odd_ret:
  j fail
  .balign 4
  c.nop
odd_target:
  CHECK_ADDR 67, ra, odd_ret

  /* ---- c.ebreak: breakpoint exception, mepc at the c.ebreak ---- */
  EXPECT_TRAP 1f
cebreak_insn:
  c.ebreak
  TESTNUM 68
  j fail
1:
  CHECK_CSR 69, mcause, CAUSE_BREAKPOINT
  CHECK_CSR_ADDR 70, mepc, cebreak_insn

  /* ---- the all-zero halfword is illegal (QEMU: mtval = 0, the bits) ---- */
  EXPECT_TRAP 1f
zero_insn:
  .half 0
  TESTNUM 71
  j fail
1:
  CHECK_CSR 72, mcause, CAUSE_ILLEGAL_INSN
  CHECK_CSR_ADDR 73, mepc, zero_insn
  CHECK_CSR 74, mtval, 0

  /* ---- a 32-bit instruction straddling a 4 KiB page boundary ---- */
  j page_cross_start
page_cross_back:
  CHECK 75, a0, 105

  TEST_PASS

c_double:
  c.add a0, a0
  c.jr ra

  .balign 4096
  .skip 4092
page_cross_start:
  c.li a0, 5
  addi a0, a0, 100              /* bytes 4094..4097 of the page */
  j page_cross_back

  .data
  .balign 8
cdata:
  .word 0x87654321, 0x12345678
  .dword 0xfedcba9876543210
  .skip 120 - 16
  .word 0x78787878, 0x7c7c7c7c  /* offsets 120, 124 */
  .skip 240 - 128
  .dword 0xf0f0f0f0f0f0f0f0     /* 240 */
  .word 0xf8f8f8f8, 0xfcfcfcfc  /* 248, 252 */
  .skip 496 - 256
  .dword 0xf0f0f0f0f0f0f0f0, 0x01f801f801f801f8  /* 496, 504 */
