/*
 * priv.S - privilege modes, xRET, delegation and mstatus controls.
 *
 *  - mret to S and U (the mode is identified by the ecall cause), mret/sret
 *    updating MIE/MPIE/MPP and SIE/SPIE/SPP;
 *  - medeleg: exceptions from U and S delegated to S (scause, sepc, stval,
 *    SPP, SPIE, SIE), never from M;
 *  - sstatus, sie and sip as restricted views of mstatus, mie and mip;
 *  - privileged instructions and CSRs from lower modes (mret/sret in U,
 *    mret in S, M-level CSRs in S, S-level CSRs in U): illegal, with the
 *    instruction bits in mtval (QEMU);
 *  - TVM: satp accesses and sfence.vma illegal in S; TSR: sret illegal in S;
 *    TW: wfi illegal in S. wfi in U is illegal even with TW = 0 on QEMU
 *    (which the specification allows when S-mode exists); wfi in S with
 *    TW = 0 completes once an enabled interrupt is pending, even if it is
 *    globally disabled;
 *  - cycle/time/instret from S and U gated by mcounteren and scounteren.
 *
 * Not tested on purpose: priv spec 1.12 says mret/sret to a mode below M
 * clear MPRV, QEMU 7.2 leaves MPRV set.
 */
#include "test.h"

/* Checks n..n+2: `insn`, executed in mode prv, raises an illegal instruction
 * exception taken in M-mode, mepc at it, mtval = its bits. */
.macro ILLEGAL_IN prv, n, insn:vararg
  EXPECT_TRAP 1003f
  MRET_TO \prv, 1002f
1002:
  \insn
  TESTNUM \n
  ecall
1003:
  CHECK_CSR \n, mcause, CAUSE_ILLEGAL_INSN
  CHECK_CSR_ADDR (\n + 1), mepc, 1002b
  la t0, 1002b
  lwu t0, 0(t0)
  csrr t5, mtval
  CHECK_REG (\n + 2), t5, t0
.endm

/* Check n: `insn`, executed in mode prv, completes (the following ecall
 * reaches M-mode with the cause of prv). */
.macro LEGAL_IN prv, n, insn:vararg
  EXPECT_TRAP 1003f
  MRET_TO \prv, 1002f
1002:
  \insn
  ecall
1003:
  .if \prv == PRV_S
    CHECK_CSR \n, mcause, CAUSE_SUPERVISOR_ECALL
  .else
    CHECK_CSR \n, mcause, CAUSE_USER_ECALL
  .endif
.endm

/* a0 = mstatus & mask */
.macro MSTATUS_BITS mask
  csrr a0, mstatus
  li t0, \mask
  and a0, a0, t0
.endm

  .text
test_main:
  la t0, strap_vector
  csrw stvec, t0

  /* ================= mret / sret ================= */
  /* mret to S, then ecall: cause 9, MPP = S */
  LEGAL_IN PRV_S, 1, nop
  MSTATUS_BITS MSTATUS_MPP
  CHECK 2, a0, MSTATUS_MPP_S
  /* mret to U: cause 8, MPP = U */
  LEGAL_IN PRV_U, 3, nop
  MSTATUS_BITS MSTATUS_MPP
  CHECK 4, a0, 0
  /* mret (to M) with MPIE = 1: MIE = 1, MPIE = 1, MPP = U */
  li t0, MSTATUS_MPIE | MSTATUS_MPP_M
  csrs mstatus, t0
  la t0, 1f
  csrw mepc, t0
  mret
1:
  MSTATUS_BITS MSTATUS_MIE | MSTATUS_MPIE | MSTATUS_MPP
  CHECK 5, a0, MSTATUS_MIE | MSTATUS_MPIE
  /* mret with MPIE = 0: MIE = 0, MPIE = 1 */
  li t0, MSTATUS_MPIE
  csrc mstatus, t0
  li t0, MSTATUS_MPP_M
  csrs mstatus, t0
  la t0, 1f
  csrw mepc, t0
  mret
1:
  MSTATUS_BITS MSTATUS_MIE | MSTATUS_MPIE | MSTATUS_MPP
  CHECK 6, a0, MSTATUS_MPIE
  /* the trap stack: MPIE = MIE, MIE = 0, MPP = M */
  csrsi mstatus, MSTATUS_MIE
  EXPECT_TRAP 1f
  ecall
1:
  MSTATUS_BITS MSTATUS_MIE | MSTATUS_MPIE | MSTATUS_MPP
  CHECK 7, a0, MSTATUS_MPIE | MSTATUS_MPP_M

  /* sret from M-mode goes to SPP: S, then U */
  li t0, MSTATUS_SPP
  csrs mstatus, t0
  la t0, 1f
  csrw sepc, t0
  EXPECT_TRAP 2f
  sret
1:
  ecall
2:
  CHECK_CSR 8, mcause, CAUSE_SUPERVISOR_ECALL
  li t0, MSTATUS_SPP
  csrc mstatus, t0
  la t0, 1f
  csrw sepc, t0
  EXPECT_TRAP 2f
  sret
1:
  ecall
2:
  CHECK_CSR 9, mcause, CAUSE_USER_ECALL

  /* sret within S: SIE = SPIE, SPIE = 1, SPP = U; with SPP = S it stays in S */
  EXPECT_TRAP 3f
  MRET_TO PRV_S, 1f
1:
  li t0, MSTATUS_SPIE | MSTATUS_SPP
  csrs sstatus, t0
  csrci sstatus, MSTATUS_SIE
  la t0, 2f
  csrw sepc, t0
  sret
2:
  csrr s2, sstatus
  ecall
3:
  CHECK_CSR 10, mcause, CAUSE_SUPERVISOR_ECALL
  li t0, MSTATUS_SIE | MSTATUS_SPIE | MSTATUS_SPP
  and a0, s2, t0
  CHECK 11, a0, MSTATUS_SIE | MSTATUS_SPIE
  /* sret in S with SPP = U and SPIE = 0 goes to U; SIE = 0 afterwards */
  EXPECT_TRAP 3f
  MRET_TO PRV_S, 1f
1:
  li t0, MSTATUS_SPIE | MSTATUS_SPP
  csrc sstatus, t0
  csrsi sstatus, MSTATUS_SIE
  la t0, 2f
  csrw sepc, t0
  sret
2:
  ecall
3:
  CHECK_CSR 12, mcause, CAUSE_USER_ECALL
  MSTATUS_BITS MSTATUS_SIE | MSTATUS_SPIE | MSTATUS_SPP
  CHECK 13, a0, MSTATUS_SPIE

  /* ================= delegation ================= */
  /* (medeleg[11], ecall from M, "should be" read-only zero by priv 1.12 but
   * is writable on QEMU 7.2: not tested) */
  li t0, 1 << CAUSE_STORE_ACCESS
  csrw medeleg, t0
  CHECK_CSR 14, medeleg, 1 << CAUSE_STORE_ACCESS
  li t0, (1 << CAUSE_ILLEGAL_INSN) | (1 << CAUSE_BREAKPOINT) | (1 << CAUSE_USER_ECALL) | (1 << CAUSE_LOAD_ACCESS)
  csrw medeleg, t0
  CHECK_CSR 15, medeleg, (1 << CAUSE_ILLEGAL_INSN) | (1 << CAUSE_BREAKPOINT) | (1 << CAUSE_USER_ECALL) | (1 << CAUSE_LOAD_ACCESS)

  /* illegal instruction in U, delegated: taken in S with scause/sepc/stval,
   * SPP = U, SPIE = old SIE (1), SIE = 0 */
  csrsi mstatus, MSTATUS_SIE
  csrw scause, zero
  la tp, 3f                     /* resumed by strap_vector, in S */
  MRET_TO PRV_U, 1f
1:
u_illegal:
  csrr a0, sstatus
  TESTNUM 16
  j fail
3:
  csrr s2, scause
  csrr s3, sepc
  csrr s4, stval
  csrr s5, sstatus
  EXPECT_TRAP 4f
  ecall                         /* still in S: cause 9 */
4:
  CHECK_CSR 16, mcause, CAUSE_SUPERVISOR_ECALL
  CHECK 17, s2, CAUSE_ILLEGAL_INSN
  CHECK_ADDR 18, s3, u_illegal
  la t0, u_illegal
  lwu t0, 0(t0)
  CHECK_REG 19, s4, t0          /* stval = the instruction bits (QEMU) */
  li t0, MSTATUS_SIE | MSTATUS_SPIE | MSTATUS_SPP
  and a0, s5, t0
  CHECK 20, a0, MSTATUS_SPIE

  /* ecall from U, delegated: scause 8, stval 0 */
  li t0, -1
  csrw stval, t0
  la tp, 3f
  MRET_TO PRV_U, 1f
1:
u_ecall:
  ecall
  TESTNUM 21
  j fail
3:
  csrr s2, scause
  csrr s3, sepc
  csrr s4, stval
  EXPECT_TRAP 4f
  ecall
4:
  CHECK_CSR 21, mcause, CAUSE_SUPERVISOR_ECALL
  CHECK 22, s2, CAUSE_USER_ECALL
  CHECK_ADDR 23, s3, u_ecall
  CHECK 24, s4, 0

  /* ebreak in S, delegated: taken in S with SPP = S, SIE 0 -> SPIE 0 */
  csrci mstatus, MSTATUS_SIE
  li t0, MSTATUS_SPIE
  csrs mstatus, t0
  la tp, 3f
  MRET_TO PRV_S, 1f
1:
s_ebreak:
  ebreak
  TESTNUM 25
  j fail
3:
  csrr s2, scause
  csrr s3, sepc
  csrr s5, sstatus
  EXPECT_TRAP 4f
  ecall
4:
  CHECK_CSR 25, mcause, CAUSE_SUPERVISOR_ECALL
  CHECK 26, s2, CAUSE_BREAKPOINT
  CHECK_ADDR 27, s3, s_ebreak
  li t0, MSTATUS_SIE | MSTATUS_SPIE | MSTATUS_SPP
  and a0, s5, t0
  CHECK 28, a0, MSTATUS_SPP

  /* load access fault in S, delegated: stval = address */
  la tp, 3f
  MRET_TO PRV_S, 1f
1:
  li a1, 0x20000
s_load:
  ld a0, 8(a1)
  TESTNUM 29
  j fail
3:
  csrr s2, scause
  csrr s3, sepc
  csrr s4, stval
  EXPECT_TRAP 4f
  ecall
4:
  CHECK 29, s2, CAUSE_LOAD_ACCESS
  CHECK_ADDR 30, s3, s_load
  CHECK 31, s4, 0x20008

  /* the same exceptions in M-mode are not delegated */
  csrw scause, zero
  EXPECT_TRAP 1f
  ebreak
1:
  CHECK_CSR 32, mcause, CAUSE_BREAKPOINT
  CHECK_CSR 33, scause, 0
  EXPECT_TRAP 1f
  .word 0xffffffff
1:
  CHECK_CSR 34, mcause, CAUSE_ILLEGAL_INSN
  CHECK_CSR 35, scause, 0

  /* an undelegated exception from U still goes to M */
  li t0, 1 << CAUSE_USER_ECALL
  csrc medeleg, t0
  LEGAL_IN PRV_U, 36, nop
  CHECK_CSR 37, scause, 0
  csrw medeleg, zero

  /* ================= sstatus, sie, sip views ================= */
  li t0, MSTATUS_SIE | MSTATUS_SPIE | MSTATUS_SPP | MSTATUS_SUM | MSTATUS_MXR
  csrc mstatus, t0
  li t0, MSTATUS_MIE | MSTATUS_MPIE | MSTATUS_MPP | MSTATUS_TVM | MSTATUS_TW | MSTATUS_TSR | MSTATUS_MPRV
  csrs mstatus, t0
  /* machine-only fields are invisible in sstatus */
  csrr a0, sstatus
  li t0, MSTATUS_MIE | MSTATUS_MPIE | MSTATUS_MPP | MSTATUS_TVM | MSTATUS_TW | MSTATUS_TSR | MSTATUS_MPRV | MSTATUS_SIE | MSTATUS_SPIE | MSTATUS_SPP | MSTATUS_SUM | MSTATUS_MXR
  and a0, a0, t0
  CHECK 38, a0, 0
  li t0, MSTATUS_MIE | MSTATUS_MPIE | MSTATUS_MPP | MSTATUS_TVM | MSTATUS_TW | MSTATUS_TSR | MSTATUS_MPRV
  csrc mstatus, t0
  /* supervisor fields written through sstatus appear in mstatus */
  li t0, MSTATUS_SIE | MSTATUS_SPIE | MSTATUS_SPP | MSTATUS_SUM | MSTATUS_MXR
  csrs sstatus, t0
  MSTATUS_BITS MSTATUS_SIE | MSTATUS_SPIE | MSTATUS_SPP | MSTATUS_SUM | MSTATUS_MXR
  CHECK 39, a0, MSTATUS_SIE | MSTATUS_SPIE | MSTATUS_SPP | MSTATUS_SUM | MSTATUS_MXR
  /* and read back through sstatus */
  csrr a0, sstatus
  li t0, MSTATUS_SIE | MSTATUS_SPIE | MSTATUS_SPP | MSTATUS_SUM | MSTATUS_MXR
  and a0, a0, t0
  CHECK 40, a0, MSTATUS_SIE | MSTATUS_SPIE | MSTATUS_SPP | MSTATUS_SUM | MSTATUS_MXR
  /* machine fields written through sstatus are ignored */
  li t0, MSTATUS_MIE | MSTATUS_MPIE | MSTATUS_MPP | MSTATUS_TVM | MSTATUS_TW | MSTATUS_TSR | MSTATUS_MPRV
  csrs sstatus, t0
  MSTATUS_BITS MSTATUS_MIE | MSTATUS_MPIE | MSTATUS_MPP | MSTATUS_TVM | MSTATUS_TW | MSTATUS_TSR | MSTATUS_MPRV
  CHECK 41, a0, 0
  li t0, MSTATUS_SIE | MSTATUS_SPIE | MSTATUS_SPP | MSTATUS_SUM | MSTATUS_MXR
  csrc sstatus, t0
  MSTATUS_BITS MSTATUS_SIE | MSTATUS_SPIE | MSTATUS_SPP | MSTATUS_SUM | MSTATUS_MXR
  CHECK 42, a0, 0
  /* sstatus UXL = 2 */
  csrr a0, sstatus
  srli a0, a0, 32
  andi a0, a0, 3
  CHECK 43, a0, 2

  /* sie/sip show only interrupts delegated in mideleg */
  li t0, MIP_SSIP | MIP_STIP | MIP_SEIP | MIP_MSIP | MIP_MTIP | MIP_MEIP
  csrw mie, t0
  csrr a0, sie
  andi a0, a0, 0x2aa            /* the S and M bits */
  CHECK 44, a0, 0
  li t0, MIP_SSIP | MIP_STIP
  csrw mideleg, t0
  csrr a0, sie
  andi a0, a0, 0x2aa
  CHECK 45, a0, MIP_SSIP | MIP_STIP
  li t0, MIP_SSIP
  csrw mip, t0                  /* SSIP is writable from M */
  csrr a0, sip
  andi a0, a0, MIP_SSIP
  CHECK 46, a0, MIP_SSIP
  csrc sip, t0                  /* and from sip when delegated */
  csrr a0, mip
  andi a0, a0, MIP_SSIP
  CHECK 47, a0, 0
  li t0, MIP_SSIP
  csrc sie, t0                  /* sie writes reach mie */
  csrr a0, mie
  li t0, 0xaaa
  and a0, a0, t0
  CHECK 48, a0, MIP_STIP | MIP_SEIP | MIP_MSIP | MIP_MTIP | MIP_MEIP
  csrw mie, zero
  csrw mip, zero
  csrw mideleg, zero

  /* ================= privileged instructions and CSRs ================= */
  ILLEGAL_IN PRV_U, 49, mret
  ILLEGAL_IN PRV_U, 52, sret
  ILLEGAL_IN PRV_S, 55, mret
  ILLEGAL_IN PRV_S, 58, csrr a0, mstatus
  ILLEGAL_IN PRV_S, 61, csrw mscratch, zero
  ILLEGAL_IN PRV_S, 64, csrr a0, mhartid
  ILLEGAL_IN PRV_U, 67, csrr a0, sstatus
  ILLEGAL_IN PRV_U, 70, csrw sscratch, a0
  ILLEGAL_IN PRV_U, 73, csrr a0, satp
  ILLEGAL_IN PRV_U, 76, sfence.vma
  LEGAL_IN PRV_S, 79, csrr a0, sstatus
  LEGAL_IN PRV_S, 80, csrw sscratch, a0

  /* ---- TVM ---- */
  LEGAL_IN PRV_S, 81, csrr a0, satp
  LEGAL_IN PRV_S, 82, sfence.vma
  li t0, MSTATUS_TVM
  csrs mstatus, t0
  ILLEGAL_IN PRV_S, 83, csrr a0, satp
  ILLEGAL_IN PRV_S, 86, csrw satp, zero
  ILLEGAL_IN PRV_S, 89, sfence.vma
  ILLEGAL_IN PRV_S, 92, sfence.vma a0, zero
  csrr a0, satp                 /* M-mode is not affected */
  sfence.vma
  li t0, MSTATUS_TVM
  csrc mstatus, t0

  /* ---- TSR ---- */
  li t0, MSTATUS_TSR
  csrs mstatus, t0
  ILLEGAL_IN PRV_S, 95, sret
  li t0, MSTATUS_SPP            /* sret in M-mode is not affected */
  csrs mstatus, t0
  la t0, 1f
  csrw sepc, t0
  EXPECT_TRAP 2f
  sret
1:
  ecall
2:
  CHECK_CSR 98, mcause, CAUSE_SUPERVISOR_ECALL
  li t0, MSTATUS_TSR
  csrc mstatus, t0

  /* ---- wfi and TW ---- */
  /* make wfi in S and M return at once: SSI pending, enabled in mie,
   * delegated, and masked by sstatus.SIE = 0 / mstatus.MIE = 0 (in U it
   * would be taken at once, so U runs with nothing pending) */
  li t0, MIP_SSIP
  csrw mideleg, t0
  csrw mie, t0
  csrw mip, t0
  csrci mstatus, MSTATUS_SIE | MSTATUS_MIE
  LEGAL_IN PRV_S, 99, wfi
  wfi                           /* M-mode */
  li t0, MSTATUS_TW
  csrs mstatus, t0
  ILLEGAL_IN PRV_S, 100, wfi
  wfi                           /* TW does not apply to M-mode */
  csrw mie, zero
  csrw mip, zero
  csrw mideleg, zero
  ILLEGAL_IN PRV_U, 103, wfi
  li t0, MSTATUS_TW
  csrc mstatus, t0
  ILLEGAL_IN PRV_U, 106, wfi    /* QEMU: wfi in U is illegal even with TW = 0 */

  /* ================= counters ================= */
  csrw mcounteren, zero
  csrw scounteren, zero
  ILLEGAL_IN PRV_S, 109, rdcycle a0
  ILLEGAL_IN PRV_S, 112, rdtime a0
  ILLEGAL_IN PRV_S, 115, rdinstret a0
  ILLEGAL_IN PRV_U, 118, rdcycle a0
  ILLEGAL_IN PRV_U, 121, rdtime a0
  ILLEGAL_IN PRV_U, 124, rdinstret a0
  /* scounteren alone does not open U-mode access */
  li t0, 7
  csrw scounteren, t0
  ILLEGAL_IN PRV_U, 127, rdcycle a0
  ILLEGAL_IN PRV_U, 130, rdtime a0
  ILLEGAL_IN PRV_U, 133, rdinstret a0
  /* mcounteren opens S; U then needs scounteren too */
  csrw scounteren, zero
  li t0, 7
  csrw mcounteren, t0
  LEGAL_IN PRV_S, 136, rdcycle a0
  LEGAL_IN PRV_S, 137, rdtime a0
  LEGAL_IN PRV_S, 138, rdinstret a0
  ILLEGAL_IN PRV_U, 139, rdcycle a0
  ILLEGAL_IN PRV_U, 142, rdtime a0
  ILLEGAL_IN PRV_U, 145, rdinstret a0
  li t0, 7
  csrw scounteren, t0
  LEGAL_IN PRV_U, 148, rdcycle a0
  LEGAL_IN PRV_U, 149, rdtime a0
  LEGAL_IN PRV_U, 150, rdinstret a0
  /* one bit at a time: only TM (bit 1) set */
  li t0, 2
  csrw mcounteren, t0
  csrw scounteren, t0
  ILLEGAL_IN PRV_S, 151, rdcycle a0
  LEGAL_IN PRV_S, 154, rdtime a0
  ILLEGAL_IN PRV_U, 155, rdinstret a0
  LEGAL_IN PRV_U, 158, rdtime a0
  /* the value read in U is the machine time */
  li t0, CLINT_MTIME
  ld s2, 0(t0)
  EXPECT_TRAP 2f
  MRET_TO PRV_U, 1f
1:
  rdtime s3
  ecall
2:
  li t0, CLINT_MTIME
  ld s4, 0(t0)
  TESTNUM 159
  bltu s3, s2, 1f
  TESTNUM 160
  bltu s4, s3, 1f
  j 2f
1:
  j fail
2:
  csrw mcounteren, zero
  csrw scounteren, zero

  TEST_PASS
