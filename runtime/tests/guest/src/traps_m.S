/*
 * traps_m.S - synchronous exceptions taken in M-mode.
 *
 * For each cause, mcause, mepc and mtval are checked (plus the mstatus stack
 * MIE/MPIE/MPP for ecalls):
 *   1 instruction access fault  jump to unmapped physical addresses;
 *                               mepc = mtval = target, the link register of
 *                               the jump is written
 *   2 illegal instruction       mtval = the instruction bits (QEMU), 16 bits
 *                               for a compressed encoding
 *   3 breakpoint                ebreak and c.ebreak; mtval = 0 (QEMU 7.2)
 *   4 load address misaligned   LR.W/LR.D (ordinary loads do not trap)
 *   5 load access fault         loads and LR from unmapped addresses
 *   6 store/AMO misaligned      misaligned AMOs (see below)
 *   7 store access fault        stores and AMOs to unmapped addresses
 *   8/9/11 ecall from U/S/M     mtval = 0, mstatus.MPP = previous mode
 * and mtvec in vectored mode, which sends exceptions to BASE.
 *
 * Cause 0 (instruction address misaligned) cannot happen here: with the C
 * extension enabled (and misa.C not writable on QEMU) every jump and branch
 * target is 2-byte aligned and jalr clears bit 0 of its target.
 *
 * QEMU 7.2 deviates from the specification for AMO faults, and the checks
 * accept both behaviours (mkjit should follow the specification):
 *   - a misaligned AMO raises a load address-misaligned exception (4) on
 *     QEMU 7.2, a store/AMO address-misaligned exception (6) by the spec;
 *   - an AMO to an unmapped address raises a load access fault (5) on
 *     QEMU 7.2, a store/AMO access fault (7) by the spec;
 *   - a misaligned SC without a reservation simply fails (rd = 1) on
 *     QEMU 7.2 instead of raising exception 6.
 * In every case mtval is the address and memory is left unchanged.
 *
 * 0x2_0000 is unmapped on QEMU virt (between the boot ROM and the test
 * finisher) and in mkjit.
 */
#include "test.h"

#define UNMAPPED 0x20000

/* Checks n..n+2: `insn` (at a label) traps with mcause = cause, mepc = the
 * label, mtval = tval. */
.macro TEST_TRAP n, cause, tval, insn:vararg
  EXPECT_TRAP 1003f
1002:
  \insn
  TESTNUM \n
  j fail
1003:
  CHECK_CSR \n, mcause, \cause
  CHECK_CSR_ADDR (\n + 1), mepc, 1002b
  CHECK_CSR (\n + 2), mtval, \tval
.endm

/* Like TEST_TRAP, for an mtval that is the address of label + offset. */
.macro TEST_TRAP_ADDR n, cause, tval_sym, insn:vararg
  EXPECT_TRAP 1003f
1002:
  \insn
  TESTNUM \n
  j fail
1003:
  CHECK_CSR \n, mcause, \cause
  CHECK_CSR_ADDR (\n + 1), mepc, 1002b
  CHECK_CSR_ADDR (\n + 2), mtval, \tval_sym
.endm

/* Like TEST_TRAP, accepting mcause = spec_cause or qemu_cause; mtval must
 * equal register addr (the address the instruction uses). */
.macro TEST_AMO_TRAP n, spec_cause, qemu_cause, addr, insn:vararg
  EXPECT_TRAP 1003f
1002:
  \insn
  TESTNUM \n
  j fail
1003:
  csrr t5, mcause
  li t6, \qemu_cause
  beq t5, t6, 1004f
  CHECK \n, t5, \spec_cause
1004:
  CHECK_CSR_ADDR (\n + 1), mepc, 1002b
  csrr t5, mtval
  CHECK_REG (\n + 2), t5, \addr
.endm

/* Checks n..n+2: the 32-bit word `bits` is an illegal instruction, mtval
 * holds it. */
.macro TEST_ILLEGAL32 n, bits
  TEST_TRAP \n, CAUSE_ILLEGAL_INSN, \bits, .word \bits
.endm

/* Checks n..n+2: the 16-bit halfword `bits` is an illegal instruction, mtval
 * holds it (and not the c.nop halfword after it). */
.macro TEST_ILLEGAL16 n, bits
  EXPECT_TRAP 1003f
1002:
  .half \bits
  .half 0x0001                  /* c.nop */
  TESTNUM \n
  j fail
1003:
  CHECK_CSR \n, mcause, CAUSE_ILLEGAL_INSN
  CHECK_CSR_ADDR (\n + 1), mepc, 1002b
  CHECK_CSR (\n + 2), mtval, \bits
.endm

  .text
test_main:
  /* ---- 1: instruction access fault ---- */
  li a1, UNMAPPED
  li ra, 0
  EXPECT_TRAP 1f
fetch_jalr:
  jalr ra, 0(a1)
  TESTNUM 1
  j fail
1:
  CHECK_CSR 1, mcause, CAUSE_FETCH_ACCESS
  CHECK_CSR 2, mepc, UNMAPPED
  CHECK_CSR 3, mtval, UNMAPPED
  CHECK_ADDR 4, ra, fetch_jalr + 4        /* the jalr itself completed */
  EXPECT_TRAP 1f
  jr zero                                 /* address 0 */
  TESTNUM 5
  j fail
1:
  CHECK_CSR 5, mcause, CAUSE_FETCH_ACCESS
  CHECK_CSR 6, mepc, 0
  CHECK_CSR 7, mtval, 0
  li a1, UNMAPPED + 0x102
  EXPECT_TRAP 1f
  .option push
  .option rvc
  c.nop                                   /* keeps 4-byte alignment */
  c.jr a1
  .option pop
  TESTNUM 8
  j fail
1:
  CHECK_CSR 8, mcause, CAUSE_FETCH_ACCESS
  CHECK_CSR 9, mepc, UNMAPPED + 0x102
  CHECK_CSR 10, mtval, UNMAPPED + 0x102

  /* ---- 2: illegal instruction ---- */
  TEST_ILLEGAL32 11, 0xffffffff
  TEST_ILLEGAL32 14, 0x00007003            /* LOAD, reserved funct3 = 7 */
  TEST_ILLEGAL32 17, 0x00004023            /* STORE, reserved funct3 = 4 */
  TEST_ILLEGAL32 20, 0x0200101b            /* slliw with shamt[5] = 1 */
  TEST_ILLEGAL32 23, 0x00000000            /* all zeros: 16-bit illegal, mtval 0 */
  TEST_ILLEGAL16 26, 0x0004                /* c.addi4spn with nzuimm = 0 */
  TEST_ILLEGAL16 29, 0x8002                /* c.jr with rs1 = x0 */
  TEST_ILLEGAL16 32, 0x6081                /* c.lui with nzimm = 0 */
  .balign 4
  .half 0x0001                             /* c.nop: the next one is at 2 mod 4 */
  TEST_ILLEGAL16 35, 0x8002
  .half 0x0001                             /* c.nop: back to 4-byte alignment */
  /* the destination register of an illegal CSR access is not written */
  li a0, 0x1234
  TEST_TRAP 38, CAUSE_ILLEGAL_INSN, 0xf1101573, csrrw a0, mvendorid, zero
  CHECK 41, a0, 0x1234

  /* ---- 3: breakpoint (QEMU 7.2 writes 0 to mtval) ---- */
  TEST_TRAP 42, CAUSE_BREAKPOINT, 0, ebreak
  EXPECT_TRAP 1f
c_ebreak:
  .option push
  .option rvc
  c.ebreak
  c.nop                                   /* keeps 4-byte alignment */
  .option pop
  TESTNUM 45
  j fail
1:
  CHECK_CSR 45, mcause, CAUSE_BREAKPOINT
  CHECK_CSR_ADDR 46, mepc, c_ebreak
  CHECK_CSR 47, mtval, 0

  /* ---- 4: load address misaligned (LR only) ---- */
  la a1, data_area
  addi a2, a1, 2
  TEST_TRAP_ADDR 48, CAUSE_MISALIGNED_LOAD, data_area + 2, lr.w a0, (a2)
  addi a2, a1, 4
  TEST_TRAP_ADDR 51, CAUSE_MISALIGNED_LOAD, data_area + 4, lr.d a0, (a2)
  /* ordinary misaligned loads do not trap */
  addi a2, a1, 3
  ld a0, 0(a2)

  /* ---- 5: load access fault; the destination is not written ---- */
  li a1, UNMAPPED
  li a0, 0x5555
  TEST_TRAP 54, CAUSE_LOAD_ACCESS, UNMAPPED, ld a0, 0(a1)
  CHECK 57, a0, 0x5555
  TEST_TRAP 58, CAUSE_LOAD_ACCESS, UNMAPPED + 0x7ff, lb a0, 0x7ff(a1)
  TEST_TRAP 61, CAUSE_LOAD_ACCESS, UNMAPPED - 0x800, lbu a0, -0x800(a1)
  TEST_TRAP 64, CAUSE_LOAD_ACCESS, UNMAPPED + 2, lh a0, 2(a1)
  TEST_TRAP 67, CAUSE_LOAD_ACCESS, UNMAPPED + 6, lhu a0, 6(a1)
  TEST_TRAP 70, CAUSE_LOAD_ACCESS, UNMAPPED + 4, lw a0, 4(a1)
  TEST_TRAP 73, CAUSE_LOAD_ACCESS, UNMAPPED + 8, lwu a0, 8(a1)
  TEST_TRAP 76, CAUSE_LOAD_ACCESS, UNMAPPED, lr.d a0, (a1)
  TEST_TRAP 79, CAUSE_LOAD_ACCESS, UNMAPPED, lr.w a0, (a1)
  CHECK 82, a0, 0x5555

  /* ---- 6: store/AMO address misaligned; memory is not written ---- */
  la a1, data_area
  sd zero, 0(a1)
  sd zero, 8(a1)
  li a0, 0x7777
  addi a2, a1, 1
  TEST_AMO_TRAP 83, CAUSE_MISALIGNED_STORE, CAUSE_MISALIGNED_LOAD, a2, amoadd.w a3, a0, (a2)
  addi a2, a1, 4
  TEST_AMO_TRAP 86, CAUSE_MISALIGNED_STORE, CAUSE_MISALIGNED_LOAD, a2, amoswap.d a3, a0, (a2)
  addi a2, a1, 6
  TEST_AMO_TRAP 89, CAUSE_MISALIGNED_STORE, CAUSE_MISALIGNED_LOAD, a2, amomaxu.w a3, a0, (a2)
  addi a2, a1, 2
  TEST_AMO_TRAP 92, CAUSE_MISALIGNED_STORE, CAUSE_MISALIGNED_LOAD, a2, amoor.d a3, a0, (a2)
  /* misaligned SC: exception 6, or (QEMU 7.2) a failed SC */
  addi a2, a1, 2
  li a3, 0
  EXPECT_TRAP 1f
sc_w_misaligned:
  sc.w a3, a0, (a2)
  li tp, 0
  CHECK 95, a3, 1
  j 2f
1:
  CHECK_CSR 95, mcause, CAUSE_MISALIGNED_STORE
  CHECK_CSR_ADDR 96, mepc, sc_w_misaligned
  CHECK_CSR_ADDR 97, mtval, data_area + 2
2:
  addi a2, a1, 12
  li a3, 0
  EXPECT_TRAP 1f
sc_d_misaligned:
  sc.d a3, a0, (a2)
  li tp, 0
  CHECK 98, a3, 1
  j 2f
1:
  CHECK_CSR 98, mcause, CAUSE_MISALIGNED_STORE
  CHECK_CSR_ADDR 99, mepc, sc_d_misaligned
  CHECK_CSR_ADDR 100, mtval, data_area + 12
2:
  ld a0, 0(a1)
  CHECK 101, a0, 0
  ld a0, 8(a1)
  CHECK 102, a0, 0

  /* ---- 7: store access fault ---- */
  li a1, UNMAPPED
  TEST_TRAP 103, CAUSE_STORE_ACCESS, UNMAPPED + 16, sd a0, 16(a1)
  TEST_TRAP 106, CAUSE_STORE_ACCESS, UNMAPPED + 4, sw a0, 4(a1)
  TEST_TRAP 109, CAUSE_STORE_ACCESS, UNMAPPED - 2, sh a0, -2(a1)
  TEST_TRAP 112, CAUSE_STORE_ACCESS, UNMAPPED + 0x7ff, sb a0, 0x7ff(a1)
  /* AMOs: 7 by the specification, 5 on QEMU 7.2 */
  TEST_AMO_TRAP 147, CAUSE_STORE_ACCESS, CAUSE_LOAD_ACCESS, a1, amoadd.d a3, a0, (a1)
  TEST_AMO_TRAP 150, CAUSE_STORE_ACCESS, CAUSE_LOAD_ACCESS, a1, amoswap.w a3, a0, (a1)

  /* ---- 11: ecall from M; mstatus stack ---- */
  csrsi mstatus, MSTATUS_MIE      /* no interrupt is enabled in mie */
  li t0, MSTATUS_MPIE
  csrc mstatus, t0
  TEST_TRAP 115, CAUSE_MACHINE_ECALL, 0, ecall
  csrr a0, mstatus
  andi a1, a0, MSTATUS_MIE
  CHECK 118, a1, 0                         /* MIE cleared */
  andi a1, a0, MSTATUS_MPIE
  CHECK 119, a1, MSTATUS_MPIE              /* MPIE = old MIE */
  li t0, MSTATUS_MPP
  and a1, a0, t0
  CHECK 120, a1, MSTATUS_MPP_M             /* MPP = M */
  /* mret back into M-mode restores MIE and sets MPP to U, MPIE to 1 */
  la t0, 1f
  csrw mepc, t0
  mret
  TESTNUM 121
  j fail
1:
  csrr a0, mstatus
  andi a1, a0, MSTATUS_MIE
  CHECK 121, a1, MSTATUS_MIE
  andi a1, a0, MSTATUS_MPIE
  CHECK 122, a1, MSTATUS_MPIE
  li t0, MSTATUS_MPP
  and a1, a0, t0
  CHECK 123, a1, 0
  csrci mstatus, MSTATUS_MIE

  /* ---- 9: ecall from S ---- */
  EXPECT_TRAP 2f
  MRET_TO PRV_S, 1f
1:
  li a0, 9
s_ecall:
  ecall
  TESTNUM 124
  j fail
2:
  CHECK_CSR 124, mcause, CAUSE_SUPERVISOR_ECALL
  CHECK_CSR_ADDR 125, mepc, s_ecall
  CHECK_CSR 126, mtval, 0
  csrr a0, mstatus
  li t0, MSTATUS_MPP
  and a1, a0, t0
  CHECK 127, a1, MSTATUS_MPP_S

  /* ---- 8: ecall from U ---- */
  EXPECT_TRAP 2f
  MRET_TO PRV_U, 1f
1:
u_ecall:
  ecall
  TESTNUM 128
  j fail
2:
  CHECK_CSR 128, mcause, CAUSE_USER_ECALL
  CHECK_CSR_ADDR 129, mepc, u_ecall
  CHECK_CSR 130, mtval, 0
  csrr a0, mstatus
  li t0, MSTATUS_MPP
  and a1, a0, t0
  CHECK 131, a1, 0

  /* ---- traps in U-mode also reach M with the right cause ---- */
  EXPECT_TRAP 2f
  MRET_TO PRV_U, 1f
1:
u_illegal:
  csrr a0, mstatus
  TESTNUM 132
  j fail
2:
  CHECK_CSR 132, mcause, CAUSE_ILLEGAL_INSN
  CHECK_CSR_ADDR 133, mepc, u_illegal
  EXPECT_TRAP 2f
  MRET_TO PRV_U, 1f
1:
  li a1, UNMAPPED
u_load:
  lw a0, 12(a1)
  TESTNUM 134
  j fail
2:
  CHECK_CSR 134, mcause, CAUSE_LOAD_ACCESS
  CHECK_CSR_ADDR 135, mepc, u_load
  CHECK_CSR 136, mtval, UNMAPPED + 12

  /* ---- vectored mtvec: exceptions go to BASE ---- */
  la t0, vector_table
  ori t0, t0, 1
  csrw mtvec, t0
  TESTNUM 137
vec_ecall:
  ecall
  j fail
vec_back:
  CHECK 138, a0, 0xec
  CHECK_CSR 139, mcause, CAUSE_MACHINE_ECALL
  CHECK_CSR_ADDR 140, mepc, vec_ecall
  TESTNUM 141
vec_ebreak:
  ebreak
  j fail
vec_back2:
  CHECK 142, a0, 0xeb
  CHECK_CSR 143, mcause, CAUSE_BREAKPOINT
  /* direct mode with another base */
  la t0, direct_handler
  csrw mtvec, t0
  TESTNUM 144
direct_ecall:
  ecall
  j fail
direct_back:
  CHECK 145, a0, 0xd1
  CHECK_CSR_ADDR 146, mepc, direct_ecall
  la t0, mtrap_vector
  csrw mtvec, t0

  TEST_PASS

/* Vectored table: exceptions use entry 0; any other entry is a failure. */
  .balign 256
vector_table:
  j vec_handler
  .rept 15
  j fail
  .endr
vec_handler:
  csrr a0, mcause
  li t0, CAUSE_MACHINE_ECALL
  beq a0, t0, 1f
  li a0, 0xeb
  la t0, vec_back2
  jr t0
1:
  li a0, 0xec
  la t0, vec_back
  jr t0

  .balign 64
direct_handler:
  li a0, 0xd1
  j direct_back

  .data
  .balign 16
data_area:
  .skip 32
