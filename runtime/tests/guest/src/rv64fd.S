/*
 * rv64fd.S - the F and D extensions on RV64.
 *
 * misa.F/misa.D; mstatus.FS: Off at reset, where F/D instructions (also the
 * compressed c.fsdsp) and fflags/frm/fcsr accesses raise an illegal
 * instruction exception, Initial/Clean becoming Dirty (with mstatus.SD and
 * sstatus.SD) when an f register or fcsr is written, f registers keeping
 * their values while FS is Off; fcsr/frm/fflags as views of one register
 * (reserved bits read as zero); reserved rounding modes, static (rm = 5, 6)
 * or dynamic (frm = 5, 7), raising an illegal instruction exception.
 * Arithmetic in both precisions with exact expected bit patterns and fflags:
 * fadd/fsub/fmul/fdiv/fsqrt, division by zero, invalid operations giving the
 * canonical NaN (NaN payloads are not propagated), overflow, underflow,
 * fmadd/fmsub/fnmadd/fnmsub with a single rounding and inf * 0 invalid even
 * with a quiet NaN addend. Every rounding mode, static and through frm, on
 * fadd.d/fsub.d and fcvt.w.d. Integer conversions saturating with NV (NaN,
 * out of range, negative to unsigned), W results sign-extended, W sources
 * using the low 32 bits, fcvt.s.d/fcvt.d.s with NaNs. NaN boxing: improperly boxed
 * singles read as the canonical NaN, fmv.w.x/flw boxing, fmv.x.w/fsw taking
 * the low 32 bits, fmv.x.w sign-extending. fmin/fmax (signed zeros, NaNs),
 * feq/flt/fle (quiet and signalling NaNs), fclass of all ten classes, sign
 * injection (NaNs untouched, no flags), and fld/fsd/flw/fsw with
 * c.fld/c.fsd/c.fldsp/c.fsdsp.
 *
 * Values go in and out of the f registers as bit patterns through fmv.d.x /
 * fmv.w.x and fmv.x.d (so single-precision results are also checked to be
 * NaN-boxed). fflags is zero between checks; an arithmetic check (TEST_*,
 * CHECK_F_FLAGS, CHECK_X_FLAGS) compares both the result and fflags under
 * one check number, then clears fflags.
 *
 * Not tested on purpose: the value of fcsr at reset; whether reading f
 * registers or fcsr marks FS Dirty (imprecise tracking is allowed); and
 * whether an instruction that only sets fflags (e.g. feq.d on a signalling
 * NaN) marks FS Dirty: the specification requires it, QEMU 7.2 leaves FS
 * Clean.
 */
/* march: rv64imafdc */
#include "test.h"

#define MSTATUS_SD      (1 << 63)
#define FS_INITIAL      (1 << 13)
#define FS_CLEAN        (2 << 13)

/* fflags bits */
#define NV 0x10
#define DZ 0x08
#define OF 0x04
#define UF 0x02
#define NX 0x01

/* frm values */
#define RNE 0
#define RTZ 1
#define RDN 2
#define RUP 3
#define RMM 4

/* double-precision bit patterns */
#define D_ZERO   0x0000000000000000
#define D_NZERO  0x8000000000000000
#define D_ONE    0x3ff0000000000000
#define D_NONE   0xbff0000000000000
#define D_TWO    0x4000000000000000
#define D_NTWO   0xc000000000000000
#define D_THREE  0x4008000000000000
#define D_HALF   0x3fe0000000000000
#define D_NHALF  0xbfe0000000000000
#define D_2P5    0x4004000000000000     /* 2.5 */
#define D_N2P5   0xc004000000000000     /* -2.5 */
#define D_INF    0x7ff0000000000000
#define D_NINF   0xfff0000000000000
#define D_MAX    0x7fefffffffffffff     /* largest finite */
#define D_QNAN   0x7ff8000000000000     /* the canonical NaN */
#define D_QNANP  0x7ff8000000000123     /* a quiet NaN with a payload */
#define D_SNAN   0x7ff0000000000001     /* a signalling NaN */
#define D_EPS2   0x3ca0000000000000     /* 2^-53: half an ulp of 1.0 */
#define D_1E20   0x4415af1d78b58c40
#define D_N1E20  0xc415af1d78b58c40
#define D_1E300  0x7e37e43c8800759c

/* a single in an f register, NaN-boxed */
#define BOXED(s) (0xffffffff00000000 | (s))

/* single-precision bit patterns */
#define S_ZERO   0x00000000
#define S_NZERO  0x80000000
#define S_ONE    0x3f800000
#define S_NONE   0xbf800000
#define S_TWO    0x40000000
#define S_NTWO   0xc0000000
#define S_THREE  0x40400000
#define S_N2P5   0xc0200000
#define S_INF    0x7f800000
#define S_NINF   0xff800000
#define S_QNAN   0x7fc00000             /* the canonical NaN */
#define S_QNANP  0x7fc00123
#define S_SNAN   0x7f800001

/* Loads the bit pattern v into f register fr as a double (through t0). */
.macro LD_D fr, v
  li t0, \v
  fmv.d.x \fr, t0
.endm

/* Loads the bit pattern v into fr as a single, NaN-boxed by fmv.w.x. */
.macro LD_S fr, v
  li t0, \v
  fmv.w.x \fr, t0
.endm

/* Check n: all 64 bits of fr equal expected (clobbers a0). */
.macro CHECK_F n, fr, expected
  fmv.x.d a0, \fr
  CHECK \n, a0, \expected
.endm

/* Check n: fflags == flags; then clears fflags (clobbers t5). */
.macro CHECK_FLAGS n, flags
  CHECK_CSR \n, fflags, \flags
  csrw fflags, zero
.endm

/* Check n: fr == expected (all 64 bits) and fflags == flags; then clears
 * fflags (clobbers a0, t5). */
.macro CHECK_F_FLAGS n, fr, expected, flags
  fmv.x.d a0, \fr
  CHECK \n, a0, \expected
  CHECK_FLAGS \n, \flags
.endm

/* Check n: a0 == expected and fflags == flags; then clears fflags. */
.macro CHECK_X_FLAGS n, expected, flags
  CHECK \n, a0, \expected
  CHECK_FLAGS \n, \flags
.endm

/* Check n: insn computes f0 from f1 (f2, f3) loaded with v1 (v2, v3), as
 * doubles (D) or singles (S); f0 == expected and fflags == flags. */
.macro TEST_D1 n, expected, flags, v1, insn:vararg
  LD_D f1, \v1
  \insn
  CHECK_F_FLAGS \n, f0, \expected, \flags
.endm
.macro TEST_D2 n, expected, flags, v1, v2, insn:vararg
  LD_D f1, \v1
  LD_D f2, \v2
  \insn
  CHECK_F_FLAGS \n, f0, \expected, \flags
.endm
.macro TEST_D3 n, expected, flags, v1, v2, v3, insn:vararg
  LD_D f1, \v1
  LD_D f2, \v2
  LD_D f3, \v3
  \insn
  CHECK_F_FLAGS \n, f0, \expected, \flags
.endm
.macro TEST_S1 n, expected, flags, v1, insn:vararg
  LD_S f1, \v1
  \insn
  CHECK_F_FLAGS \n, f0, BOXED(\expected), \flags
.endm
.macro TEST_S2 n, expected, flags, v1, v2, insn:vararg
  LD_S f1, \v1
  LD_S f2, \v2
  \insn
  CHECK_F_FLAGS \n, f0, BOXED(\expected), \flags
.endm
.macro TEST_S3 n, expected, flags, v1, v2, v3, insn:vararg
  LD_S f1, \v1
  LD_S f2, \v2
  LD_S f3, \v3
  \insn
  CHECK_F_FLAGS \n, f0, BOXED(\expected), \flags
.endm

/* Check n: insn computes a0 from f1 (and f2) loaded with v1 (and v2). */
.macro TEST_X_D1 n, expected, flags, v1, insn:vararg
  LD_D f1, \v1
  \insn
  CHECK_X_FLAGS \n, \expected, \flags
.endm
.macro TEST_X_D2 n, expected, flags, v1, v2, insn:vararg
  LD_D f1, \v1
  LD_D f2, \v2
  \insn
  CHECK_X_FLAGS \n, \expected, \flags
.endm
.macro TEST_X_S1 n, expected, flags, v1, insn:vararg
  LD_S f1, \v1
  \insn
  CHECK_X_FLAGS \n, \expected, \flags
.endm
.macro TEST_X_S2 n, expected, flags, v1, v2, insn:vararg
  LD_S f1, \v1
  LD_S f2, \v2
  \insn
  CHECK_X_FLAGS \n, \expected, \flags
.endm

/* Check n: insn computes f0 from a1 = v1, as a double / a single. */
.macro TEST_D_X n, expected, flags, v1, insn:vararg
  li a1, \v1
  \insn
  CHECK_F_FLAGS \n, f0, \expected, \flags
.endm
.macro TEST_S_X n, expected, flags, v1, insn:vararg
  li a1, \v1
  \insn
  CHECK_F_FLAGS \n, f0, BOXED(\expected), \flags
.endm

/* Check n: fcvt.s.d, double f1 = v1 to single f0. */
.macro TEST_S_D n, expected, flags, v1, insn:vararg
  LD_D f1, \v1
  \insn
  CHECK_F_FLAGS \n, f0, BOXED(\expected), \flags
.endm
/* Check n: fcvt.d.s, single f1 = v1 to double f0. */
.macro TEST_D_S n, expected, flags, v1, insn:vararg
  LD_S f1, \v1
  \insn
  CHECK_F_FLAGS \n, f0, \expected, \flags
.endm

/* Checks n1..n3: as TEST_ILLEGAL for a compressed insn (mtval = 16 bits). */
.macro TEST_ILLEGAL_C n1, n2, n3, insn:vararg
  .option push
  .option rvc
  TEST_ILLEGAL2 \n1, \n2, \insn
  .option pop
  la t0, 1002b
  lhu t0, 0(t0)
  csrr t5, mtval
  CHECK_REG \n3, t5, t0
.endm

/* Check n: mstatus & (FS | SD) == expected (clobbers a0, t0). */
.macro CHECK_MSTATUS_FS n, expected
  csrr a0, mstatus
  li t0, MSTATUS_FS | MSTATUS_SD
  and a0, a0, t0
  CHECK \n, a0, \expected
.endm

  .text
test_main:
  /* ---- misa.F and misa.D ---- */
  csrr a0, misa
  li t0, (1 << 3) | (1 << 5)
  and a0, a0, t0
  CHECK 1, a0, (1 << 3) | (1 << 5)

  /* ---- mstatus.FS = Off at reset: F/D instructions and the fcsr CSRs are
   * illegal ---- */
  CHECK_MSTATUS_FS 2, 0
  TEST_ILLEGAL 3, 4, 5, fadd.d f0, f1, f2
  TEST_ILLEGAL 6, 7, 8, csrr a0, fcsr
  TEST_ILLEGAL2 9, 10, csrwi fflags, 1
  TEST_ILLEGAL2 11, 12, fmv.x.d a0, f0
  TEST_ILLEGAL2 13, 14, fld f0, 0(sp)
  TEST_ILLEGAL_C 15, 16, 17, c.fsdsp f0, 0(sp)
  CHECK_MSTATUS_FS 18, 0

  /* ---- FS = Initial: writing an f register makes it Dirty, with SD ---- */
  li t0, FS_INITIAL
  csrs mstatus, t0
  CHECK_MSTATUS_FS 19, FS_INITIAL
  li a1, D_ONE
  fmv.d.x f5, a1
  CHECK_MSTATUS_FS 20, MSTATUS_FS | MSTATUS_SD
  csrr a0, sstatus                      /* the same bits in sstatus */
  li t0, MSTATUS_FS | MSTATUS_SD
  and a0, a0, t0
  CHECK 21, a0, MSTATUS_FS | MSTATUS_SD

  /* ---- back to Off: illegal again, SD clear; the registers are kept ---- */
  li t0, MSTATUS_FS
  csrc mstatus, t0
  CHECK_MSTATUS_FS 22, 0
  TEST_ILLEGAL2 23, 24, fmv.x.d a0, f5
  li t0, FS_CLEAN
  csrs mstatus, t0
  CHECK_MSTATUS_FS 25, FS_CLEAN
  fmv.x.d a0, f5
  CHECK 26, a0, D_ONE

  /* ---- FS = Clean: a write to fflags or to an f register makes it
   * Dirty ---- */
  csrwi fflags, 0
  CHECK_MSTATUS_FS 27, MSTATUS_FS | MSTATUS_SD
  li t0, MSTATUS_FS
  csrc mstatus, t0
  li t0, FS_CLEAN
  csrs mstatus, t0
  fadd.d f6, f5, f5
  CHECK_MSTATUS_FS 28, MSTATUS_FS | MSTATUS_SD
  CHECK_F 29, f6, D_TWO

  /* ---- fcsr = frm (bits 7:5) and fflags (bits 4:0) ---- */
  li a1, 0xff
  csrw fcsr, a1
  CHECK_CSR 30, fcsr, 0xff
  CHECK_CSR 31, frm, 7
  CHECK_CSR 32, fflags, 0x1f
  csrwi frm, 2
  CHECK_CSR 33, fcsr, 0x5f
  csrwi fflags, 0x3
  CHECK_CSR 34, fcsr, 0x43
  li a1, 0xfd                           /* frm keeps 3 bits */
  csrrw a0, frm, a1
  CHECK 35, a0, 2
  CHECK_CSR 36, fcsr, 0xa3
  li a1, -1                             /* fflags keeps 5 bits */
  csrrw a0, fflags, a1
  CHECK 37, a0, 3
  CHECK_CSR 38, fcsr, 0xbf
  csrrci a0, fflags, 0x15
  CHECK_CSR 39, fcsr, 0xaa
  li a1, -1                             /* fcsr bits 31:8 read as zero */
  csrrw a0, fcsr, a1
  CHECK 40, a0, 0xaa
  CHECK_CSR 41, fcsr, 0xff
  csrw fcsr, zero

  /* ---- reserved rounding modes are illegal: dynamic with frm = 5 or 7,
   * static rm = 5 or 6; a static mode still works while frm is invalid ---- */
  csrwi frm, 5
  TEST_ILLEGAL2 42, 43, fadd.d f0, f1, f2, dyn
  csrwi frm, 7
  TEST_ILLEGAL2 44, 45, fcvt.w.d a0, f1
  TEST_D2 46, D_THREE, 0, D_ONE, D_TWO, fadd.d f0, f1, f2, rne
  csrwi frm, RNE
  TEST_ILLEGAL2 47, 48, .word 0x0220d053   /* fadd.d f0, f1, f2 with rm = 5 */
  TEST_ILLEGAL2 49, 50, .word 0x0220e053   /* fadd.d f0, f1, f2 with rm = 6 */

  /* ---- double precision ---- */
  TEST_D2 51, D_THREE, 0, D_ONE, D_TWO, fadd.d f0, f1, f2
  TEST_D2 52, D_NTWO, 0, D_ONE, D_THREE, fsub.d f0, f1, f2
  TEST_D2 53, 0xc014000000000000, 0, D_N2P5, D_TWO, fmul.d f0, f1, f2  /* -5 */
  TEST_D2 54, D_HALF, 0, D_ONE, D_TWO, fdiv.d f0, f1, f2
  TEST_D2 55, 0x3fd5555555555555, NX, D_ONE, D_THREE, fdiv.d f0, f1, f2  /* 1/3 */
  TEST_D2 56, D_INF, DZ, D_ONE, D_ZERO, fdiv.d f0, f1, f2
  TEST_D2 57, D_NINF, DZ, D_NONE, D_ZERO, fdiv.d f0, f1, f2
  TEST_D2 58, D_QNAN, NV, D_ZERO, D_ZERO, fdiv.d f0, f1, f2
  TEST_D1 59, D_THREE, 0, 0x4022000000000000, fsqrt.d f0, f1          /* sqrt(9) */
  TEST_D1 60, 0x3ff6a09e667f3bcd, NX, D_TWO, fsqrt.d f0, f1
  TEST_D1 61, D_QNAN, NV, D_NONE, fsqrt.d f0, f1
  TEST_D1 62, D_NZERO, 0, D_NZERO, fsqrt.d f0, f1                    /* -0 */
  TEST_D2 63, D_QNAN, NV, D_INF, D_NINF, fadd.d f0, f1, f2
  TEST_D2 64, D_QNAN, 0, D_QNANP, D_ONE, fadd.d f0, f1, f2   /* payload dropped */
  TEST_D2 65, D_QNAN, NV, D_ONE, D_SNAN, fmul.d f0, f1, f2
  TEST_D2 66, D_INF, OF | NX, D_MAX, D_TWO, fmul.d f0, f1, f2
  /* 2^-1023: tiny but exact, so no underflow; 2^-1075 rounds to even (0) */
  TEST_D2 67, 0x0008000000000000, 0, 0x0010000000000000, D_HALF, fmul.d f0, f1, f2
  TEST_D2 68, D_ZERO, UF | NX, 0x0000000000000001, D_HALF, fmul.d f0, f1, f2

  /* ---- fused multiply-add (double): 2 * 3 and 1 give 7, 5, -7, -5 ---- */
  TEST_D3 69, 0x401c000000000000, 0, D_TWO, D_THREE, D_ONE, fmadd.d f0, f1, f2, f3
  TEST_D3 70, 0x4014000000000000, 0, D_TWO, D_THREE, D_ONE, fmsub.d f0, f1, f2, f3
  TEST_D3 71, 0xc01c000000000000, 0, D_TWO, D_THREE, D_ONE, fnmadd.d f0, f1, f2, f3
  TEST_D3 72, 0xc014000000000000, 0, D_TWO, D_THREE, D_ONE, fnmsub.d f0, f1, f2, f3
  /* one rounding: (1 + 2^-30)(1 - 2^-30) - 1 = -2^-60 exactly */
  TEST_D3 73, 0xbc30000000000000, 0, 0x3ff0000000400000, 0x3fefffffff800000, D_NONE, \
    fmadd.d f0, f1, f2, f3
  /* inf * 0 is invalid even with a quiet NaN addend */
  TEST_D3 74, D_QNAN, NV, D_INF, D_ZERO, D_QNAN, fmadd.d f0, f1, f2, f3

  /* ---- single precision (fused: 2 * 3 and 1 give 7, 5, -7, -5) ---- */
  TEST_S2 75, S_THREE, 0, S_ONE, S_TWO, fadd.s f0, f1, f2
  TEST_S2 76, S_NTWO, 0, S_ONE, S_THREE, fsub.s f0, f1, f2
  TEST_S2 77, 0xc0a00000, 0, S_N2P5, S_TWO, fmul.s f0, f1, f2    /* -5 */
  TEST_S2 78, 0x3eaaaaab, NX, S_ONE, S_THREE, fdiv.s f0, f1, f2  /* 1/3 */
  TEST_S2 79, S_NINF, DZ, S_NONE, S_ZERO, fdiv.s f0, f1, f2
  TEST_S2 80, S_QNAN, NV, S_ZERO, S_ZERO, fdiv.s f0, f1, f2
  TEST_S1 81, 0x3fb504f3, NX, S_TWO, fsqrt.s f0, f1
  TEST_S1 82, S_QNAN, NV, S_NONE, fsqrt.s f0, f1
  TEST_S2 83, S_QNAN, NV, S_SNAN, S_ONE, fadd.s f0, f1, f2
  TEST_S3 84, 0x40e00000, 0, S_TWO, S_THREE, S_ONE, fmadd.s f0, f1, f2, f3
  TEST_S3 85, 0x40a00000, 0, S_TWO, S_THREE, S_ONE, fmsub.s f0, f1, f2, f3
  TEST_S3 86, 0xc0e00000, 0, S_TWO, S_THREE, S_ONE, fnmadd.s f0, f1, f2, f3
  TEST_S3 87, 0xc0a00000, 0, S_TWO, S_THREE, S_ONE, fnmsub.s f0, f1, f2, f3
  /* one rounding: (1 + 2^-13)(1 - 2^-13) - 1 = -2^-26 exactly */
  TEST_S3 88, 0xb2800000, 0, 0x3f800400, 0x3f7ff800, S_NONE, fmadd.s f0, f1, f2, f3
  /* 0 * inf is invalid even with a quiet NaN addend */
  TEST_S3 89, S_QNAN, NV, S_ZERO, S_NINF, S_QNANP, fnmsub.s f0, f1, f2, f3

  /* ---- static rounding modes: 1 + 2^-53 is halfway between 1 and the
   * next double ---- */
  TEST_D2 90, D_ONE, NX, D_ONE, D_EPS2, fadd.d f0, f1, f2, rne
  TEST_D2 91, D_ONE, NX, D_ONE, D_EPS2, fadd.d f0, f1, f2, rtz
  TEST_D2 92, D_ONE, NX, D_ONE, D_EPS2, fadd.d f0, f1, f2, rdn
  TEST_D2 93, 0x3ff0000000000001, NX, D_ONE, D_EPS2, fadd.d f0, f1, f2, rup
  TEST_D2 94, 0x3ff0000000000001, NX, D_ONE, D_EPS2, fadd.d f0, f1, f2, rmm
  TEST_X_D1 95, 2, NX, D_2P5, fcvt.w.d a0, f1, rne
  TEST_X_D1 96, 2, NX, D_2P5, fcvt.w.d a0, f1, rtz
  TEST_X_D1 97, 2, NX, D_2P5, fcvt.w.d a0, f1, rdn
  TEST_X_D1 98, 3, NX, D_2P5, fcvt.w.d a0, f1, rup
  TEST_X_D1 99, 3, NX, D_2P5, fcvt.w.d a0, f1, rmm
  TEST_X_D1 100, -2, NX, D_N2P5, fcvt.w.d a0, f1, rne
  TEST_X_D1 101, -2, NX, D_N2P5, fcvt.w.d a0, f1, rtz
  TEST_X_D1 102, -3, NX, D_N2P5, fcvt.w.d a0, f1, rdn
  TEST_X_D1 103, -2, NX, D_N2P5, fcvt.w.d a0, f1, rup
  TEST_X_D1 104, -3, NX, D_N2P5, fcvt.w.d a0, f1, rmm
  TEST_X_D1 105, 3, NX, D_2P5, fcvt.l.d a0, f1, rmm

  /* ---- dynamic rounding mode (frm): -1 - 2^-53 and -2.5 ---- */
  csrwi frm, RNE
  TEST_D2 106, D_NONE, NX, D_NONE, D_EPS2, fsub.d f0, f1, f2
  TEST_X_D1 107, -2, NX, D_N2P5, fcvt.w.d a0, f1
  csrwi frm, RTZ
  TEST_D2 108, D_NONE, NX, D_NONE, D_EPS2, fsub.d f0, f1, f2
  TEST_X_D1 109, -2, NX, D_N2P5, fcvt.w.d a0, f1
  csrwi frm, RDN
  TEST_D2 110, 0xbff0000000000001, NX, D_NONE, D_EPS2, fsub.d f0, f1, f2
  TEST_X_D1 111, -3, NX, D_N2P5, fcvt.w.d a0, f1
  TEST_S2 112, 0x3eaaaaaa, NX, S_ONE, S_THREE, fdiv.s f0, f1, f2
  csrwi frm, RUP
  TEST_D2 113, D_NONE, NX, D_NONE, D_EPS2, fsub.d f0, f1, f2
  TEST_X_D1 114, -2, NX, D_N2P5, fcvt.w.d a0, f1, dyn
  TEST_X_D1 115, 2, NX, D_2P5, fcvt.w.d a0, f1, rtz    /* a static mode overrides frm */
  csrwi frm, RMM
  TEST_D2 116, 0xbff0000000000001, NX, D_NONE, D_EPS2, fsub.d f0, f1, f2
  TEST_X_D1 117, -3, NX, D_N2P5, fcvt.w.d a0, f1
  csrr a0, fcsr
  CHECK 118, a0, RMM << 5                 /* fflags was cleared by the checks */
  csrwi frm, RNE

  /* ---- float to integer: saturation and NV; W results sign-extended ---- */
  TEST_X_D1 119, 0x7fffffff, NV, D_QNAN, fcvt.w.d a0, f1
  TEST_X_D1 120, 0x7fffffff, NV, D_1E20, fcvt.w.d a0, f1
  TEST_X_D1 121, 0xffffffff80000000, NV, D_N1E20, fcvt.w.d a0, f1
  /* -2^31 - 0.5 truncates to -2^31: inexact but in range */
  TEST_X_D1 122, 0xffffffff80000000, NX, 0xc1e0000000100000, fcvt.w.d a0, f1, rtz
  TEST_X_D1 123, 0, NV, D_NONE, fcvt.wu.d a0, f1
  TEST_X_D1 124, 0xffffffffb2d05e00, 0, 0x41e65a0bc0000000, fcvt.wu.d a0, f1  /* 3e9 */
  TEST_X_D1 125, 0xffffffffffffffff, NV, D_QNAN, fcvt.wu.d a0, f1
  TEST_X_D1 126, 0x7fffffffffffffff, NV, D_SNAN, fcvt.l.d a0, f1
  TEST_X_D1 127, 0x8000000000000000, NV, D_NINF, fcvt.l.d a0, f1
  TEST_X_D1 128, 0x7fffffffffffffff, NV, 0x43e0000000000000, fcvt.l.d a0, f1  /* 2^63 */
  TEST_X_D1 129, 0x8000000000000000, 0, 0xc3e0000000000000, fcvt.l.d a0, f1   /* -2^63 */
  TEST_X_D1 130, 0xffffffffffffffff, NV, D_INF, fcvt.lu.d a0, f1
  TEST_X_D1 131, 0, NX, D_NHALF, fcvt.lu.d a0, f1, rtz
  TEST_X_D1 132, 0, NV, D_NHALF, fcvt.lu.d a0, f1, rdn
  TEST_X_S1 133, -3, NX, S_N2P5, fcvt.w.s a0, f1, rmm
  TEST_X_S1 134, 0x7fffffffffffffff, NV, S_QNAN, fcvt.l.s a0, f1
  TEST_X_S1 135, 0, NV, S_NINF, fcvt.lu.s a0, f1

  /* ---- integer to float; W sources use the low 32 bits ---- */
  TEST_D_X 136, 0xc008000000000000, 0, -3, fcvt.d.l f0, a1
  TEST_D_X 137, 0xc1e0000000000000, 0, 0x0000000180000000, fcvt.d.w f0, a1
  TEST_D_X 138, 0x41e0000000000000, 0, 0xffffffff80000000, fcvt.d.wu f0, a1
  TEST_D_X 139, 0x4340000000000000, NX, 0x20000000000001, fcvt.d.l f0, a1  /* 2^53 + 1 */
  TEST_D_X 140, 0x43f0000000000000, NX, -1, fcvt.d.lu f0, a1               /* 2^64 - 1 */
  TEST_S_X 141, S_NONE, 0, -1, fcvt.s.l f0, a1
  TEST_S_X 142, 0x5f800000, NX, -1, fcvt.s.lu f0, a1
  TEST_S_X 143, 0x4f000000, NX, 0x7fffffff, fcvt.s.w f0, a1
  TEST_S_X 144, 0x4f7fffff, NX, 0xffffffff, fcvt.s.wu f0, a1, rtz

  /* ---- double <-> single: NaNs become the canonical NaN ---- */
  TEST_S_D 145, 0x3eaaaaab, NX, 0x3fd5555555555555, fcvt.s.d f0, f1
  TEST_S_D 146, 0x3eaaaaaa, NX, 0x3fd5555555555555, fcvt.s.d f0, f1, rtz
  TEST_S_D 147, S_QNAN, 0, D_QNANP, fcvt.s.d f0, f1
  TEST_S_D 148, S_QNAN, NV, D_SNAN, fcvt.s.d f0, f1
  TEST_S_D 149, S_INF, OF | NX, D_1E300, fcvt.s.d f0, f1
  TEST_S_D 150, 0x7f7fffff, OF | NX, D_1E300, fcvt.s.d f0, f1, rtz
  TEST_D_S 151, 0x3fd5555560000000, 0, 0x3eaaaaab, fcvt.d.s f0, f1
  TEST_D_S 152, D_NINF, 0, S_NINF, fcvt.d.s f0, f1
  TEST_D_S 153, D_QNAN, 0, S_QNANP, fcvt.d.s f0, f1
  TEST_D_S 154, D_QNAN, NV, S_SNAN, fcvt.d.s f0, f1

  /* ---- NaN boxing: a single whose upper 32 bits are not all ones reads as
   * the canonical NaN ---- */
  li t0, 0x000000003f800000             /* 1.0f, not boxed */
  fmv.d.x f1, t0
  LD_S f2, S_ONE
  fadd.s f0, f1, f2
  CHECK_F_FLAGS 155, f0, BOXED(S_QNAN), 0
  li t0, 0xfffffffe3f800000             /* upper half not all ones */
  fmv.d.x f3, t0
  fmul.s f0, f2, f3
  CHECK_F_FLAGS 156, f0, BOXED(S_QNAN), 0
  LD_S f2, S_NONE
  fsgnj.s f0, f1, f2
  CHECK_F_FLAGS 157, f0, BOXED(0xffc00000), 0
  fsgnj.s f0, f2, f1
  CHECK_F_FLAGS 158, f0, BOXED(S_ONE), 0
  fcvt.d.s f0, f1
  CHECK_F_FLAGS 159, f0, D_QNAN, 0
  fclass.s a0, f1
  CHECK_X_FLAGS 160, 0x200, 0
  feq.s a0, f1, f1
  CHECK_X_FLAGS 161, 0, 0
  fmv.x.w a0, f1                        /* moves the low 32 bits as they are */
  CHECK 162, a0, 0x3f800000
  fmv.x.w a0, f2                        /* sign-extended */
  CHECK 163, a0, 0xffffffffbf800000
  li t0, 0x1234567887654321
  fmv.w.x f0, t0                        /* low 32 bits, boxed */
  CHECK_F 164, f0, 0xffffffff87654321

  /* ---- fmin / fmax: -0 < +0, a NaN operand gives the other one ---- */
  TEST_D2 165, D_NZERO, 0, D_NZERO, D_ZERO, fmin.d f0, f1, f2
  TEST_D2 166, D_NZERO, 0, D_ZERO, D_NZERO, fmin.d f0, f1, f2
  TEST_D2 167, D_ZERO, 0, D_NZERO, D_ZERO, fmax.d f0, f1, f2
  TEST_D2 168, D_ZERO, 0, D_ZERO, D_NZERO, fmax.d f0, f1, f2
  TEST_D2 169, D_NTWO, 0, D_ONE, D_NTWO, fmin.d f0, f1, f2
  TEST_D2 170, D_ONE, 0, D_QNAN, D_ONE, fmin.d f0, f1, f2
  TEST_D2 171, D_ONE, 0, D_ONE, D_QNANP, fmax.d f0, f1, f2
  TEST_D2 172, D_QNAN, 0, D_QNANP, D_QNANP, fmax.d f0, f1, f2
  TEST_D2 173, D_NONE, NV, D_SNAN, D_NONE, fmax.d f0, f1, f2
  TEST_S2 174, S_NZERO, 0, S_ZERO, S_NZERO, fmin.s f0, f1, f2
  TEST_S2 175, S_ZERO, 0, S_NZERO, S_ZERO, fmax.s f0, f1, f2
  TEST_S2 176, S_NONE, 0, S_QNAN, S_NONE, fmax.s f0, f1, f2
  TEST_S2 177, S_QNAN, NV, S_SNAN, S_SNAN, fmin.s f0, f1, f2

  /* ---- feq / flt / fle: quiet NaNs signal only for flt/fle ---- */
  TEST_X_D2 178, 1, 0, D_ONE, D_ONE, feq.d a0, f1, f2
  TEST_X_D2 179, 1, 0, D_ONE, D_TWO, flt.d a0, f1, f2
  TEST_X_D2 180, 0, 0, D_TWO, D_ONE, fle.d a0, f1, f2
  TEST_X_D2 181, 1, 0, D_NZERO, D_ZERO, feq.d a0, f1, f2
  TEST_X_D2 182, 0, 0, D_NZERO, D_ZERO, flt.d a0, f1, f2
  TEST_X_D2 183, 1, 0, D_ZERO, D_NZERO, fle.d a0, f1, f2
  TEST_X_D2 184, 0, 0, D_QNAN, D_QNAN, feq.d a0, f1, f2
  TEST_X_D2 185, 0, NV, D_ONE, D_QNAN, flt.d a0, f1, f2
  TEST_X_D2 186, 0, NV, D_QNANP, D_ONE, fle.d a0, f1, f2
  TEST_X_D2 187, 0, NV, D_SNAN, D_ONE, feq.d a0, f1, f2
  TEST_X_D2 188, 0, NV, D_ONE, D_SNAN, flt.d a0, f1, f2
  TEST_X_D2 189, 0, NV, D_SNAN, D_SNAN, fle.d a0, f1, f2
  TEST_X_S2 190, 1, 0, S_NONE, S_ONE, flt.s a0, f1, f2
  TEST_X_S2 191, 1, 0, S_ONE, S_ONE, fle.s a0, f1, f2
  TEST_X_S2 192, 0, 0, S_QNAN, S_ONE, feq.s a0, f1, f2
  TEST_X_S2 193, 0, NV, S_QNAN, S_ONE, fle.s a0, f1, f2
  TEST_X_S2 194, 0, NV, S_ONE, S_SNAN, feq.s a0, f1, f2

  /* ---- fclass: the ten classes ---- */
  TEST_X_D1 195, 0x001, 0, D_NINF, fclass.d a0, f1
  TEST_X_D1 196, 0x002, 0, D_NONE, fclass.d a0, f1
  TEST_X_D1 197, 0x004, 0, 0x800fffffffffffff, fclass.d a0, f1
  TEST_X_D1 198, 0x008, 0, D_NZERO, fclass.d a0, f1
  TEST_X_D1 199, 0x010, 0, D_ZERO, fclass.d a0, f1
  TEST_X_D1 200, 0x020, 0, 0x0000000000000001, fclass.d a0, f1
  TEST_X_D1 201, 0x040, 0, D_MAX, fclass.d a0, f1
  TEST_X_D1 202, 0x080, 0, D_INF, fclass.d a0, f1
  TEST_X_D1 203, 0x100, 0, 0xfff4000000000000, fclass.d a0, f1
  TEST_X_D1 204, 0x200, 0, D_QNANP, fclass.d a0, f1
  TEST_X_S1 205, 0x001, 0, S_NINF, fclass.s a0, f1
  TEST_X_S1 206, 0x002, 0, 0xff7fffff, fclass.s a0, f1
  TEST_X_S1 207, 0x004, 0, 0x80000001, fclass.s a0, f1
  TEST_X_S1 208, 0x008, 0, S_NZERO, fclass.s a0, f1
  TEST_X_S1 209, 0x010, 0, S_ZERO, fclass.s a0, f1
  TEST_X_S1 210, 0x020, 0, 0x007fffff, fclass.s a0, f1
  TEST_X_S1 211, 0x040, 0, 0x00800000, fclass.s a0, f1
  TEST_X_S1 212, 0x080, 0, S_INF, fclass.s a0, f1
  TEST_X_S1 213, 0x100, 0, S_SNAN, fclass.s a0, f1
  TEST_X_S1 214, 0x200, 0, 0xffc00000, fclass.s a0, f1

  /* ---- sign injection: NaNs pass through unchanged, no flags ---- */
  TEST_D2 215, D_NONE, 0, D_ONE, D_NTWO, fsgnj.d f0, f1, f2
  TEST_D2 216, D_ONE, 0, D_ONE, D_NTWO, fsgnjn.d f0, f1, f2
  TEST_D2 217, D_ONE, 0, D_NONE, D_NTWO, fsgnjx.d f0, f1, f2
  TEST_D2 218, D_NONE, 0, D_NONE, D_TWO, fsgnjx.d f0, f1, f2
  TEST_D2 219, 0xfff0000000000001, 0, D_SNAN, D_ZERO, fsgnjn.d f0, f1, f2
  TEST_S2 220, S_NONE, 0, S_ONE, S_NTWO, fsgnj.s f0, f1, f2
  TEST_S2 221, S_ONE, 0, S_NONE, S_NTWO, fsgnjn.s f0, f1, f2
  TEST_S2 222, 0xff800001, 0, S_SNAN, S_NONE, fsgnjx.s f0, f1, f2

  /* ---- loads and stores: bits unchanged, flw boxes, fsw stores the low
   * 32 bits ---- */
  la s0, fbuf
  fld f1, 0(s0)
  CHECK_F 223, f1, 0x0123456789abcdef
  fld f2, 8(s0)                         /* a signalling NaN, kept */
  CHECK_F 224, f2, 0x7ff0000000000001
  flw f3, 16(s0)
  CHECK_F 225, f3, 0xffffffff7f800001
  flw f4, 20(s0)
  CHECK_F 226, f4, 0xffffffffc0490fdb
  fsd f2, 24(s0)
  ld a0, 24(s0)
  CHECK 227, a0, 0x7ff0000000000001
  fsw f4, 28(s0)
  ld a0, 24(s0)
  CHECK 228, a0, 0xc0490fdb00000001
  fsw f1, 24(s0)                        /* an unboxed value */
  ld a0, 24(s0)
  CHECK 229, a0, 0xc0490fdb89abcdef
  addi s1, s0, 16
  fld f5, -8(s1)
  CHECK_F 230, f5, 0x7ff0000000000001
  CHECK_FLAGS 231, 0

  /* ---- compressed loads and stores ---- */
  .option push
  .option rvc
  c.fld fs0, 0(s0)
  c.fsd fs0, 32(s0)
  c.fld fs1, 32(s0)
  .option pop
  CHECK_F 232, fs1, 0x0123456789abcdef
  addi sp, sp, -16
  li a1, 0x1122334455667788
  sd a1, 8(sp)
  .option push
  .option rvc
  c.fldsp ft2, 8(sp)
  c.fsdsp ft2, 0(sp)
  .option pop
  CHECK_F 233, ft2, 0x1122334455667788
  ld a0, 0(sp)
  addi sp, sp, 16
  CHECK 234, a0, 0x1122334455667788

  TEST_PASS

  .data
  .balign 16
fbuf:
  .dword 0x0123456789abcdef
  .dword 0x7ff0000000000001
  .word 0x7f800001, 0xc0490fdb
  .dword 0
  .dword 0
