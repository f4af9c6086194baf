//! Host floating-point fast paths for F and D arithmetic, comparisons and
//! conversions, with the SoftFloat reference handler as the fallback.
//!
//! The host's SSE arithmetic rounds to nearest-even exactly as IEEE 754
//! requires, so its result is the reference result whenever no exception
//! flag has to be worked out. A fast path runs the operation on the host and
//! keeps its result only when it can prove that the reference handler would
//! produce the same value and leave `fcsr` unchanged; otherwise the
//! instruction runs through its handler (SoftFloat):
//!
//! ```text
//!   rounded (add, sub, mul, div, sqrt, fused multiply-add, fcvt.s.d, int -> float):
//!       rm is RNE (static, or dynamic with frm = RNE)   the host's rounding
//!       fflags.NX is already set                          inexact changes nothing
//!       result exponent in [2, max - 1]                   no NaN (invalid, NaN
//!                                                         operands), no infinity
//!                                                         (overflow, divide by zero),
//!                                                         nothing tiny (underflow)
//!   exact (fcvt.d.s, fcvt.d.w/wu):  operand not a NaN; a dynamic rm must be RNE
//!   compares, fmin/fmax:            neither operand a NaN (no flag is raised)
//!   float -> int, static RTZ:       operand within the integer's range, and the
//!                                   conversion exact or fflags.NX already set
//!   singles:                        every operand properly NaN-boxed
//! ```
//!
//! Subnormal operands need no check: the host computes with them exactly
//! (no flush-to-zero or denormals-are-zero in the host's MXCSR), and RISC-V
//! has no flag for them; a tiny result is caught by the exponent check. This
//! is the scheme QEMU's softfloat calls "hardfloat"; the NX condition means
//! a program's first inexact operation takes the handler, which sets NX, and
//! the rest run on the host.
//!
//! Where the handler runs: baseline code calls it in the region. Optimised
//! code (the hottest loops) leaves the region before the instruction instead
//! (`FP_EXIT`; the dispatcher runs it on the interpreter), because a call on
//! the slow path clobbers the host's floating-point registers (all of them
//! caller-saved): values live across it are kept in memory, and the hart
//! pointer too: the n-body benchmark reloaded it around every operation
//! (leaving instead, it ran 13% faster when every tier left, 7% with the
//! optimised tier alone; baseline code keeps the call because short-lived
//! code that fails often would spend its time leaving). A region that leaves that way
//! `FP_EXIT_LIMIT` times (results that are exact zeros, a program that keeps
//! clearing `fflags`) is compiled again calling the handlers.
//!
//! Optimised code defers the checks of a run of fast paths whose results go
//! to f registers to the run's end, and leaves before the run when one
//! fails (see `fpwindow`).
//!
//! Fused multiply-add needs the host's FMA instructions; without them (and
//! for rounding modes other than RNE) the instruction always takes the handler.

use super::fpwindow::{self, Must};
use super::{float, system, Flow, Lx};
use crate::region::GuestInsn;
use cranelift_codegen::ir::condcodes::{FloatCC, IntCC};
use cranelift_codegen::ir::types::{F32, F64, I32, I64};
use cranelift_codegen::ir::{InstBuilder, MemFlagsData, Type, Value};
use mkjit_runtime::isa::Op;

/// `fflags.NX`.
const NX: i64 = 0x01;
/// `fcsr.frm`.
const FRM: i64 = 0xe0;
/// `rm` values: round to nearest-even, toward zero, dynamic (`frm`).
const RNE: i64 = 0;
const RTZ: i64 = 1;
const DYN: i64 = 7;

#[derive(Clone, Copy, PartialEq, Eq)]
enum Bin {
    Add,
    Sub,
    Mul,
    Div,
    Min,
    Max,
}

#[derive(Clone, Copy)]
enum Kind {
    /// `rd = rs1 op rs2`, rounded (`Min`/`Max`: exact).
    Binary(Bin),
    /// `rd = sqrt(rs1)`, rounded.
    Sqrt,
    /// `rd = ±(rs1·rs2) ± rs3`, rounded once.
    Fma { neg_product: bool, neg_addend: bool },
    /// `x[rd] = rs1 cc rs2`.
    Compare(FloatCC),
    /// `fcvt.d.s` (`widen`) or `fcvt.s.d`.
    Convert { widen: bool },
    /// `fcvt.{s,d}.{w,wu,l,lu}`.
    FromInt { bits32: bool, signed: bool },
    /// `fcvt.{w,wu,l,lu}.{s,d}`.
    ToInt { bits32: bool, signed: bool },
}

/// The fast path's kind and whether its floating-point operands are singles.
fn kind(op: Op) -> Option<(Kind, bool)> {
    use Op::*;
    let s = |k| Some((k, true));
    let d = |k| Some((k, false));
    let fma = |neg_product, neg_addend| Kind::Fma { neg_product, neg_addend };
    let to = |bits32, signed| Kind::ToInt { bits32, signed };
    let from = |bits32, signed| Kind::FromInt { bits32, signed };
    match op {
        FaddS => s(Kind::Binary(Bin::Add)),
        FsubS => s(Kind::Binary(Bin::Sub)),
        FmulS => s(Kind::Binary(Bin::Mul)),
        FdivS => s(Kind::Binary(Bin::Div)),
        FminS => s(Kind::Binary(Bin::Min)),
        FmaxS => s(Kind::Binary(Bin::Max)),
        FsqrtS => s(Kind::Sqrt),
        FmaddS => s(fma(false, false)),
        FmsubS => s(fma(false, true)),
        FnmsubS => s(fma(true, false)),
        FnmaddS => s(fma(true, true)),
        FeqS => s(Kind::Compare(FloatCC::Equal)),
        FltS => s(Kind::Compare(FloatCC::LessThan)),
        FleS => s(Kind::Compare(FloatCC::LessThanOrEqual)),
        FcvtWS => s(to(true, true)),
        FcvtWuS => s(to(true, false)),
        FcvtLS => s(to(false, true)),
        FcvtLuS => s(to(false, false)),
        FcvtSW => s(from(true, true)),
        FcvtSWu => s(from(true, false)),
        FcvtSL => s(from(false, true)),
        FcvtSLu => s(from(false, false)),
        FcvtSD => s(Kind::Convert { widen: false }),
        FaddD => d(Kind::Binary(Bin::Add)),
        FsubD => d(Kind::Binary(Bin::Sub)),
        FmulD => d(Kind::Binary(Bin::Mul)),
        FdivD => d(Kind::Binary(Bin::Div)),
        FminD => d(Kind::Binary(Bin::Min)),
        FmaxD => d(Kind::Binary(Bin::Max)),
        FsqrtD => d(Kind::Sqrt),
        FmaddD => d(fma(false, false)),
        FmsubD => d(fma(false, true)),
        FnmsubD => d(fma(true, false)),
        FnmaddD => d(fma(true, true)),
        FeqD => d(Kind::Compare(FloatCC::Equal)),
        FltD => d(Kind::Compare(FloatCC::LessThan)),
        FleD => d(Kind::Compare(FloatCC::LessThanOrEqual)),
        FcvtWD => d(to(true, true)),
        FcvtWuD => d(to(true, false)),
        FcvtLD => d(to(false, true)),
        FcvtLuD => d(to(false, false)),
        FcvtDW => d(from(true, true)),
        FcvtDWu => d(from(true, false)),
        FcvtDL => d(from(false, true)),
        FcvtDLu => d(from(false, false)),
        FcvtDS => d(Kind::Convert { widen: true }),
        _ => None,
    }
}

/// Where a fast path's result goes: an f register or an x register.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Dest {
    F,
    X,
}

/// What `fcsr` must hold for a fast path.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum FcsrNeed {
    /// Nothing.
    None,
    /// `fflags.NX` set: a rounded operation with a static RNE, or a
    /// float-to-integer conversion that is not exact.
    Inexact,
    /// `frm` = RNE and NX set: a rounded operation with a dynamic `rm`.
    DynInexact,
    /// `frm` = RNE: an exact operation with a dynamic `rm` (a reserved `frm` must still trap).
    DynRne,
}

impl FcsrNeed {
    /// For a rounded operation with `rm`: `None` unless it rounds to nearest-even.
    fn rounded(rm: i64) -> Option<FcsrNeed> {
        match rm {
            RNE => Some(FcsrNeed::Inexact),
            DYN => Some(FcsrNeed::DynInexact),
            _ => None,
        }
    }

    /// For an exact operation with `rm`.
    fn exact(rm: i64) -> FcsrNeed {
        if rm == DYN {
            FcsrNeed::DynRne
        } else {
            FcsrNeed::None
        }
    }

    /// The test `fcsr & mask == want`, and the slot of its bias in
    /// [`float::FpKnown::bias`]; `None` when there is nothing to test.
    pub(super) fn test(self) -> Option<(i64, i64, usize)> {
        match self {
            FcsrNeed::None => None,
            FcsrNeed::Inexact => Some((NX, NX, 0)),
            FcsrNeed::DynInexact => Some((NX | FRM, NX, 1)),
            FcsrNeed::DynRne => Some((FRM, 0, 2)),
        }
    }
}

/// How an instruction runs on the host: its kind, whether its floating-point
/// operands are singles, and what `fcsr` must hold.
#[derive(Clone, Copy)]
pub(super) struct Plan {
    kind: Kind,
    single: bool,
    pub need: FcsrNeed,
}

impl Plan {
    /// Where the result goes.
    fn dest(self) -> Dest {
        match self.kind {
            Kind::Compare(_) | Kind::ToInt { .. } => Dest::X,
            _ => Dest::F,
        }
    }
}

/// The fast path of `gi`, or `None` when it has none (the handler runs it).
pub(super) fn plan(lx: &Lx<'_, '_>, gi: &GuestInsn) -> Option<Plan> {
    let (kind, single) = kind(gi.insn.op)?;
    let rm = gi.insn.imm;
    let need = match kind {
        Kind::Binary(Bin::Min | Bin::Max) | Kind::Compare(_) => FcsrNeed::None,
        Kind::Binary(_) | Kind::Sqrt | Kind::Convert { widen: false } => FcsrNeed::rounded(rm)?,
        Kind::Fma { .. } if lx.host_fma => FcsrNeed::rounded(rm)?,
        Kind::Fma { .. } => return None,
        Kind::Convert { widen: true } => FcsrNeed::exact(rm),
        // Every 32-bit integer is a double; other conversions may round.
        Kind::FromInt { bits32: true, .. } if !single => FcsrNeed::exact(rm),
        Kind::FromInt { .. } => FcsrNeed::rounded(rm)?,
        // Exactness is checked on the value (see `lower`).
        Kind::ToInt { .. } if rm == RTZ => FcsrNeed::None,
        Kind::ToInt { .. } => return None,
    };
    Some(Plan { kind, single, need })
}

/// Whether `gi` joins an open window of deferred checks (see `fpwindow`):
/// a fast path whose result goes to an f register, or an inline instruction
/// that writes only an f register (a load too).
pub(super) fn joins_window(lx: &Lx<'_, '_>, gi: &GuestInsn) -> bool {
    use Op::*;
    match gi.insn.op {
        FsgnjS | FsgnjnS | FsgnjxS | FsgnjD | FsgnjnD | FsgnjxD | FmvWX | FmvDX | Fld | Flw => true,
        _ => plan(lx, gi).is_some_and(|p| p.dest() == Dest::F),
    }
}

/// Lowers `gi` with the host fast path `plan` and its handler as the
/// fallback. `mstatus.FS` must be proven Dirty.
pub(super) fn lower(lx: &mut Lx<'_, '_>, gi: &GuestInsn, plan: Plan) -> Flow {
    let i = gi.insn;
    let Plan { kind, single, need } = plan;
    let fty = if single { F32 } else { F64 };

    // The host computation and the conditions under which it is the reference result.
    let mut ok: Vec<Value> = Vec::new();
    // A rounded result whose exponent must be in range.
    let mut range: Option<(Value, Type)> = None;
    // Operands a NaN or an infinity in which makes the result fail its own
    // check (see `fpwindow::defer`).
    let mut spreads: Vec<Value> = Vec::new();
    let (value, dest) = match kind {
        Kind::Binary(bin) => {
            let a = operand(lx, i.rs1, single, &mut ok);
            let b = operand(lx, i.rs2, single, &mut ok);
            match bin {
                // x / inf is zero, which fails the check of a quotient (not normal).
                Bin::Add | Bin::Sub | Bin::Mul | Bin::Div => spreads.extend([a, b]),
                Bin::Min | Bin::Max => {}
            }
            let v = match bin {
                Bin::Add => lx.ins().fadd(a, b),
                Bin::Sub => lx.ins().fsub(a, b),
                Bin::Mul => lx.ins().fmul(a, b),
                Bin::Div => lx.ins().fdiv(a, b),
                Bin::Min | Bin::Max => {
                    let ordered = lx.ins().fcmp(FloatCC::Ordered, a, b);
                    ok.push(ordered);
                    if bin == Bin::Min {
                        lx.ins().fmin(a, b)
                    } else {
                        lx.ins().fmax(a, b)
                    }
                }
            };
            if !matches!(bin, Bin::Min | Bin::Max) {
                range = Some((v, fty));
            }
            (v, Dest::F)
        }
        Kind::Sqrt => {
            let a = operand(lx, i.rs1, single, &mut ok);
            spreads.push(a);
            let v = lx.ins().sqrt(a);
            range = Some((v, fty));
            (v, Dest::F)
        }
        Kind::Fma { neg_product, neg_addend } => {
            let a = operand(lx, i.rs1, single, &mut ok);
            let b = operand(lx, i.rs2, single, &mut ok);
            let c = operand(lx, i.rs3, single, &mut ok);
            spreads.extend([a, b, c]);
            // -(a·b) is (-a)·b exactly; a NaN result is refused anyway.
            let a = if neg_product { lx.ins().fneg(a) } else { a };
            let c = if neg_addend { lx.ins().fneg(c) } else { c };
            let v = lx.ins().fma(a, b, c);
            range = Some((v, fty));
            (v, Dest::F)
        }
        Kind::Compare(cc) => {
            let a = operand(lx, i.rs1, single, &mut ok);
            let b = operand(lx, i.rs2, single, &mut ok);
            let ordered = lx.ins().fcmp(FloatCC::Ordered, a, b);
            ok.push(ordered);
            let r = lx.ins().fcmp(cc, a, b);
            (lx.ins().uextend(I64, r), Dest::X)
        }
        Kind::Convert { widen } => {
            let a = operand(lx, i.rs1, widen, &mut ok);
            if widen {
                let ordered = lx.ins().fcmp(FloatCC::Ordered, a, a);
                ok.push(ordered);
                (lx.ins().fpromote(F64, a), Dest::F)
            } else {
                spreads.push(a);
                let v = lx.ins().fdemote(F32, a);
                range = Some((v, F32));
                (v, Dest::F)
            }
        }
        Kind::FromInt { bits32, signed } => {
            let x = lx.x(i.rs1);
            let x = if bits32 { lx.ins().ireduce(I32, x) } else { x };
            (if signed { lx.ins().fcvt_from_sint(fty, x) } else { lx.ins().fcvt_from_uint(fty, x) }, Dest::F)
        }
        Kind::ToInt { bits32, signed } => {
            let a = operand(lx, i.rs1, single, &mut ok);
            let ity = if bits32 { I32 } else { I64 };
            // The operand truncates to a representable integer (NaN fails both).
            let n = if bits32 { 32 } else { 64 };
            let (lo, lo_cc, hi) = if signed {
                (-(2f64.powi(n - 1)), FloatCC::GreaterThanOrEqual, 2f64.powi(n - 1))
            } else {
                (-1.0, FloatCC::GreaterThan, 2f64.powi(n))
            };
            let (lo, hi) = (fconst(lx, fty, lo), fconst(lx, fty, hi));
            let above = lx.ins().fcmp(lo_cc, a, lo);
            let below = lx.ins().fcmp(FloatCC::LessThan, a, hi);
            ok.push(above);
            ok.push(below);
            let v = if signed { lx.ins().fcvt_to_sint_sat(ity, a) } else { lx.ins().fcvt_to_uint_sat(ity, a) };
            // Exact when the integer converts back to the operand; otherwise NX must be set.
            let back = if signed { lx.ins().fcvt_from_sint(fty, v) } else { lx.ins().fcvt_from_uint(fty, v) };
            let exact = lx.ins().fcmp(FloatCC::Equal, back, a);
            let nx = fcsr_bias(lx, FcsrNeed::Inexact).expect("NX has a test");
            let nx = lx.ins().icmp_imm_s(IntCC::Equal, nx, 0);
            let flags_ok = lx.ins().bor(exact, nx);
            ok.push(flags_ok);
            // 32-bit results are sign-extended, the unsigned ones too.
            (if bits32 { lx.ins().sextend(I64, v) } else { v }, Dest::X)
        }
    };

    let rd = gi.insn.rd;
    if dest == Dest::F && lx.fp_leaves {
        // Checked where the window closes (see `fpwindow`).
        let result = range.map(|(v, _)| {
            let must = match kind {
                Kind::Binary(Bin::Add | Bin::Sub) | Kind::Sqrt => Must::Finite,
                _ => Must::Normal,
            };
            (v, must)
        });
        fpwindow::defer(lx, (gi.pc, lx.idx()), &ok, need, result, &spreads);
        float::write_f(lx, rd, value);
        return Flow::Next;
    }
    match (range, fcsr_bias(lx, need)) {
        // Both conditions in one compare: the `fcsr` condition as a bias
        // that pushes the exponent out of range when it fails.
        (Some((v, ty)), bias) => ok.push(in_range(lx, v, ty, bias)),
        (None, Some(bias)) => ok.push(lx.ins().icmp_imm_s(IntCC::Equal, bias, 0)),
        (None, None) => {}
    }
    if ok.is_empty() || lx.fp_leaves {
        // Nothing to check (the host result is always the reference result),
        // or a failed condition leaves the region before the instruction: no
        // call in the hot path, whose clobbers would cost spills around
        // every operation (see the module's documentation).
        super::mem::leave_unless(lx, &ok, gi.pc, super::FP_EXIT);
        match dest {
            Dest::F => float::write_f(lx, rd, value),
            Dest::X => lx.set_x(rd, value),
        }
        return Flow::Next;
    }
    let saved = lx.fork();
    let known = (lx.tlb_memo.clone(), lx.direct_memo.clone(), lx.fp);
    let slow = lx.b.create_block();
    lx.b.set_cold_block(slow);
    // One compare-and-branch per condition: cheaper than combining them.
    for &c in &ok {
        let next = lx.b.create_block();
        lx.ins().brif(c, next, &[], slow, &[]);
        lx.b.switch_to_block(next);
    }
    let join = lx.b.create_block();
    let ty = lx.b.func.dfg.value_type(value);
    lx.b.append_block_param(join, ty);
    if dest == Dest::F {
        float::write_f(lx, rd, value);
    }
    lx.ins().jump(join, &[value.into()]);

    lx.b.switch_to_block(slow);
    lx.rejoin(saved);
    let mark = lx.block_mark();
    system::exec(lx, gi);
    // The handler left the result in hart.f or hart.x.
    let v = match dest {
        Dest::F => lx.load_f(ty, rd, 0),
        Dest::X => lx.x(gi.int_dest()),
    };
    lx.ins().jump(join, &[v.into()]);
    lx.cold_since(mark);

    lx.b.switch_to_block(join);
    lx.rejoin(saved);
    // The handler of these instructions changes neither the TLB nor `mstatus`
    // (FS is Dirty already) and writes only `rd` and `fflags`: what the block
    // knew before still holds, and `rd` is the join's value.
    (lx.tlb_memo, lx.direct_memo, lx.fp) = known;
    let v = lx.b.block_params(join)[0];
    match dest {
        Dest::F => lx.fp.f[rd as usize] = Some(v),
        Dest::X => lx.set_x(gi.int_dest(), v),
    }
    Flow::Next
}

/// `hart.fcsr`, loaded once per block (see [`float::FpKnown::fcsr`]).
fn fcsr(lx: &mut Lx<'_, '_>) -> Value {
    if let Some(v) = lx.fp.fcsr {
        return v;
    }
    let v = lx.load_fcsr();
    lx.fp.fcsr = Some(v);
    v
}

/// `need`'s test (see [`FcsrNeed::test`]), unless it asks nothing or only
/// about bits the block knows to be as wanted ([`float::FpKnown::fcsr_proven`]).
fn unproven(lx: &Lx<'_, '_>, need: FcsrNeed) -> Option<(i64, i64, usize)> {
    need.test().filter(|&(mask, _, _)| mask & !lx.fp.fcsr_proven != 0)
}

/// Whether `fcsr` meets `need` (an `i8` condition); `None` when `need` asks nothing.
pub(super) fn fcsr_meets(lx: &mut Lx<'_, '_>, need: FcsrNeed) -> Option<Value> {
    let (mask, want, _) = unproven(lx, need)?;
    let fcsr = fcsr(lx);
    let bits = lx.ins().band_imm_s(fcsr, mask);
    Some(lx.ins().icmp_imm_s(IntCC::Equal, bits, want))
}

/// Zero when `fcsr` meets `need`, else at least `0x1000` (beyond any
/// biased exponent): `((fcsr & mask) ^ want) << 12`, computed once per block
/// for each kind of need (see [`float::FpKnown::bias`]); `None` when `need`
/// asks nothing.
fn fcsr_bias(lx: &mut Lx<'_, '_>, need: FcsrNeed) -> Option<Value> {
    let (mask, want, k) = unproven(lx, need)?;
    if let Some(v) = lx.fp.bias[k] {
        return Some(v);
    }
    let fcsr = fcsr(lx);
    let bits = lx.ins().band_imm_s(fcsr, mask);
    let off = lx.ins().bxor_imm_s(bits, want);
    let v = lx.ins().ishl_imm_s(off, 12);
    lx.fp.bias[k] = Some(v);
    Some(v)
}

fn fconst(lx: &mut Lx<'_, '_>, ty: Type, v: f64) -> Value {
    if ty == F32 {
        lx.ins().f32const(v as f32)
    } else {
        lx.ins().f64const(v)
    }
}

/// Floating-point register `r` as a value of its format; for a single not
/// known to be NaN-boxed, adds the condition that it is to `ok`.
fn operand(lx: &mut Lx<'_, '_>, r: u8, single: bool, ok: &mut Vec<Value>) -> Value {
    if single {
        let (v, boxed) = float::read_single(lx, r);
        ok.extend(boxed);
        v
    } else {
        float::read_f(lx, r, F64)
    }
}

/// Whether `v`'s biased exponent is in `[2, max - 1]`: a finite, non-NaN
/// result far enough from the subnormal range that it cannot be tiny.
/// A `bias` (an `I64` from [`fcsr_bias`]) is added to the exponent first.
fn in_range(lx: &mut Lx<'_, '_>, v: Value, ty: Type, bias: Option<Value>) -> Value {
    let (ity, frac, emax) = if ty == F32 { (I32, 23, 0xff) } else { (I64, 52, 0x7ff) };
    let bits = lx.ins().bitcast(ity, MemFlagsData::new(), v);
    let e = lx.ins().ushr_imm_s(bits, frac);
    let e = lx.ins().band_imm_s(e, emax);
    let e = match bias {
        Some(b) => {
            let b = if ity == I32 { lx.ins().ireduce(I32, b) } else { b };
            lx.ins().iadd(e, b)
        }
        None => e,
    };
    let e = lx.ins().iadd_imm_s(e, -2);
    lx.ins().icmp_imm_s(IntCC::UnsignedLessThan, e, emax - 2)
}
