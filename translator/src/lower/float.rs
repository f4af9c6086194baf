//! F and D: loads, stores, moves and sign injection inline; arithmetic,
//! comparisons and conversions on the host FPU when that provably gives the
//! reference result (see `hardfloat`), else through their reference handler
//! (SoftFloat, for exact results and flags in every rounding mode).
//!
//! Floating-point registers live in `hart.f`; inline code writes them there
//! at once (optimised code: where its window of deferred checks closes, see
//! `fpwindow`), and within a block reuses what it wrote or loaded instead of
//! loading it again ([`FpKnown`]). An instruction runs inline only while `mstatus.FS` is Dirty:
//! then it can neither trap for FS nor change `mstatus`. The first inline
//! instruction of a block checks that, and leaves the region before itself
//! otherwise (the interpreter then raises the illegal-instruction trap or
//! marks the state Dirty); the proof holds until the block ends or a helper
//! runs, which are the only ways `mstatus` can change.
//!
//! ```text
//!   fld   fd, imm(rs1):  host = <data access, see mem>;  hart.f[fd] = load64(host) (kept as an F64)
//!   flw   fd, imm(rs1):  hart.f[fd] = load32(host) | 0xffff_ffff << 32   (NaN-boxed; kept as an F32)
//!   fsd/fsw fs2:         store64/32(host, hart.f[fs2])
//!   fmv.x.d / fmv.x.w:   x[rd] = hart.f[fs1] / sext32(hart.f[fs1])
//!   fmv.d.x / fmv.w.x:   hart.f[fd] = x[rs1] / (x[rs1] & 0xffff_ffff) | box
//!   fsgnj{,n,x}.{s,d}:   bit operations; a single that is not NaN-boxed reads
//!                        as the canonical NaN, as in the interpreter
//!   fclass.{s,d}:        x[rd] = 1 << class, from compares of the magnitude
//!                        with the class thresholds (no flags, no rounding)
//! ```

use super::{fpwindow, hardfloat, mem, system, Flow, Lx};
use crate::region::GuestInsn;
use cranelift_codegen::ir::condcodes::IntCC;
use cranelift_codegen::ir::types::{F32, F64, I32, I64};
use cranelift_codegen::ir::{InstBuilder, MemFlagsData, Type, Value};
use mkjit_runtime::csr::mstatus;
use mkjit_runtime::hart::offsets;
use mkjit_runtime::isa::Op;

/// The upper half of a NaN-boxed single.
const BOX: i64 = 0xffff_ffff_0000_0000_u64 as i64;
/// The canonical single-precision NaN.
const CANONICAL_S: i64 = 0x7fc0_0000;

pub(super) fn lower(lx: &mut Lx<'_, '_>, gi: &GuestInsn) -> Flow {
    use Op::*;
    let i = gi.insn;
    let inline = matches!(
        i.op,
        Flw | Fld
            | Fsw
            | Fsd
            | FmvXW
            | FmvXD
            | FmvWX
            | FmvDX
            | FsgnjS
            | FsgnjnS
            | FsgnjxS
            | FsgnjD
            | FsgnjnD
            | FsgnjxD
            | FclassS
            | FclassD
    );
    if !inline {
        return match hardfloat::plan(lx, gi) {
            Some(plan) => {
                fs_dirty(lx, gi.pc);
                hardfloat::lower(lx, gi, plan)
            }
            None => system::exec(lx, gi),
        };
    }
    fs_dirty(lx, gi.pc);
    match i.op {
        Fld | Flw => {
            if lx.fp_leaves {
                // Joins (or opens) a window: its result may wait in a host register.
                fpwindow::open(lx, (gi.pc, lx.idx()));
            }
            let (size, _) = mem::access(i.op).expect("a load");
            let base = lx.x(i.rs1);
            let host = mem::host_address(lx, base, i.imm, size, false, gi.pc);
            // Loaded as a float, into a host floating-point register:
            // arithmetic on it follows (see `hardfloat`).
            let ty = if size == 4 { F32 } else { F64 };
            let g = lx.guest_flags();
            let v = lx.ins().load(ty, g, host, 0);
            write_f(lx, i.rd, v);
        }
        Fsd | Fsw => {
            let (size, _) = mem::access(i.op).expect("a store");
            let base = lx.x(i.rs1);
            // Stored from the register it is in: the low half of a known
            // single is the single itself.
            let ty = if size == 4 { F32 } else { F64 };
            let v = match lx.fp.f[i.rs2 as usize] {
                Some(v) if lx.b.func.dfg.value_type(v) == ty => v,
                None if size == 8 => read_f(lx, i.rs2, F64),
                _ => {
                    let bits = read_f(lx, i.rs2, I64);
                    if size == 4 {
                        lx.ins().ireduce(I32, bits)
                    } else {
                        bits
                    }
                }
            };
            let host = mem::host_address(lx, base, i.imm, size, true, gi.pc);
            let g = lx.guest_flags();
            lx.ins().store(g, v, host, 0);
        }
        FmvXD => {
            let v = read_f(lx, i.rs1, I64);
            lx.set_x(i.rd, v);
        }
        FmvXW => {
            let v = read_f(lx, i.rs1, I64);
            let v = lx.ins().ireduce(cranelift_codegen::ir::types::I32, v);
            let v = lx.ins().sextend(I64, v);
            lx.set_x(i.rd, v);
        }
        FmvDX => {
            let v = lx.x(i.rs1);
            write_f(lx, i.rd, v);
        }
        FmvWX => {
            let v = lx.x(i.rs1);
            let low = lx.ins().band_imm_s(v, 0xffff_ffff);
            let v = lx.ins().bor_imm_s(low, BOX);
            write_f(lx, i.rd, v);
        }
        FclassS | FclassD => {
            let single = i.op == FclassS;
            let bits = read_f(lx, i.rs1, I64);
            let v = if single { unbox(lx, bits) } else { bits };
            let c = classify(lx, v, single);
            lx.set_x(i.rd, c);
        }
        _ => {
            let single = matches!(i.op, FsgnjS | FsgnjnS | FsgnjxS);
            let (a, b) = (read_f(lx, i.rs1, I64), read_f(lx, i.rs2, I64));
            let (a, b) = if single { (unbox(lx, a), unbox(lx, b)) } else { (a, b) };
            let sign = if single { 1i64 << 31 } else { 1i64 << 63 };
            let sb = match i.op {
                FsgnjS | FsgnjD => b,
                FsgnjnS | FsgnjnD => lx.ins().bnot(b),
                _ => lx.ins().bxor(a, b),
            };
            let s = lx.ins().band_imm_s(sb, sign);
            let mag = lx.ins().band_imm_s(a, !sign);
            let v = lx.ins().bor(mag, s);
            let v = if single { lx.ins().bor_imm_s(v, BOX) } else { v };
            write_f(lx, i.rd, v);
        }
    }
    Flow::Next
}

/// Leaves before the instruction at `pc` unless `mstatus.FS` is Dirty
/// (checked once per block, see the module docs).
fn fs_dirty(lx: &mut Lx<'_, '_>, pc: u64) {
    if lx.fp.fs_dirty {
        return;
    }
    // A window's first instruction proved it (and nothing in it forgets).
    debug_assert!(!lx.fpw.is_open());
    let dirty = fs_is_dirty(lx);
    mem::miss_unless(lx, dirty, pc);
    lx.fp.fs_dirty = true;
}

/// Whether `mstatus.FS` is Dirty now.
pub(super) fn fs_is_dirty(lx: &mut Lx<'_, '_>) -> Value {
    let flags = lx.hart_flags();
    let hart = lx.hart;
    let ms = lx.ins().load(I64, flags, hart, offsets::MSTATUS as i32);
    let fs = lx.ins().band_imm_s(ms, mstatus::FS as i64);
    lx.ins().icmp_imm_s(IntCC::Equal, fs, mstatus::FS as i64)
}

/// What a block knows of the floating-point state, between helper calls.
/// The f registers are written through to `hart.f` (outside an open
/// window, see `fpwindow`): what is known of them only saves loads, and
/// nothing needs writing back at a way out.
#[derive(Clone, Copy, Default)]
pub(crate) struct FpKnown {
    /// `mstatus.FS` is proven Dirty.
    pub fs_dirty: bool,
    /// The `fcsr` bits proven to be as every fast path's condition on them
    /// wants (`frm` RNE, NX set; see `hardfloat::FcsrNeed`): conditions on
    /// nothing else need no test.
    pub fcsr_proven: i64,
    /// `hart.fcsr` as loaded earlier in the block. Floating-point handlers
    /// only add flags and never change `frm`, so conditions on it stay on the
    /// safe side after their slow paths (see `hardfloat`).
    pub fcsr: Option<Value>,
    /// The `fcsr` bias of each kind of fast-path condition on `fcsr`,
    /// computed from `fcsr` (see `hardfloat::fcsr_bias`).
    pub bias: [Option<Value>; 3],
    /// The value of each f register (an `I64` of its bits, an `F64`, or an
    /// `F32` single that is NaN-boxed in the register).
    pub f: [Option<Value>; 32],
}

/// Floating-point register `r` as an `I64` of its bits or an `F64`.
pub(super) fn read_f(lx: &mut Lx<'_, '_>, r: u8, ty: Type) -> Value {
    let Some(v) = lx.fp.f[r as usize] else {
        return lx.load_f(ty, r, 0);
    };
    let v = if lx.b.func.dfg.value_type(v) == F32 {
        // The register's bits: the single, NaN-boxed.
        let low = lx.ins().bitcast(I32, MemFlagsData::new(), v);
        let low = lx.ins().uextend(I64, low);
        lx.ins().bor_imm_s(low, BOX)
    } else {
        v
    };
    if lx.b.func.dfg.value_type(v) == ty {
        v
    } else {
        lx.ins().bitcast(ty, MemFlagsData::new(), v)
    }
}

/// The single in floating-point register `r` (`F32`), and, unless it is
/// known to be NaN-boxed, the condition that it is.
pub(super) fn read_single(lx: &mut Lx<'_, '_>, r: u8) -> (Value, Option<Value>) {
    let (hi, low) = match lx.fp.f[r as usize] {
        Some(v) if lx.b.func.dfg.value_type(v) == F32 => return (v, None),
        // Known bits (an `I64` or an `F64`): `hart.f` may not hold them yet.
        Some(_) => {
            let bits = read_f(lx, r, I64);
            let hi = lx.ins().ushr_imm_s(bits, 32);
            let hi = lx.ins().ireduce(I32, hi);
            let low = lx.ins().ireduce(I32, bits);
            (hi, lx.ins().bitcast(F32, MemFlagsData::new(), low))
        }
        None => (lx.load_f(I32, r, 4), lx.load_f(F32, r, 0)),
    };
    let boxed = lx.ins().icmp_imm_s(IntCC::Equal, hi, -1);
    (low, Some(boxed))
}

/// Writes `v` (`I64` bits, `F64`, or an `F32` single, which is NaN-boxed) to
/// f register `r`: to `hart.f` at once, or when the open window closes
/// (see `fpwindow`).
pub(super) fn write_f(lx: &mut Lx<'_, '_>, r: u8, v: Value) {
    if lx.fpw.is_open() {
        lx.fpw.write(r);
    } else {
        store_f_value(lx, r, v);
    }
    lx.fp.f[r as usize] = Some(v);
}

/// Stores `v` (as [`write_f`] takes it) to `hart.f[r]`.
pub(super) fn store_f_value(lx: &mut Lx<'_, '_>, r: u8, v: Value) {
    lx.store_f(v, r, 0);
    if lx.b.func.dfg.value_type(v) == F32 {
        let ones = lx.ins().iconst(I32, -1);
        lx.store_f(ones, r, 4);
    }
}

/// `fclass` of the value with bits `v` (an `I64`; a single in its low
/// half): `1 << bit`. Its magnitude's class is one step up for every
/// threshold it reaches (zero 4, subnormal 5, normal 6, infinity 7,
/// signalling NaN 8, quiet NaN 9); a negative sign mirrors 4..=7 onto 3..=0.
fn classify(lx: &mut Lx<'_, '_>, v: Value, single: bool) -> Value {
    let (width, frac) = if single { (32, 23) } else { (64, 52) };
    let sign_bit = 1u64 << (width - 1);
    let abs = lx.ins().band_imm_s(v, (sign_bit - 1) as i64);
    let min_normal = 1i64 << frac;
    let inf = (((1i64 << (width - 1 - frac)) - 1) << frac) as u64 as i64;
    let quiet = inf | 1 << (frac - 1);
    let mut class = lx.iconst(4);
    for (cc, threshold) in [
        (IntCC::NotEqual, 0),
        (IntCC::UnsignedGreaterThanOrEqual, min_normal),
        (IntCC::UnsignedGreaterThanOrEqual, inf),
        (IntCC::UnsignedGreaterThan, inf),
        (IntCC::UnsignedGreaterThanOrEqual, quiet),
    ] {
        let reached = lx.ins().icmp_imm_s(cc, abs, threshold);
        let step = lx.ins().uextend(I64, reached);
        class = lx.ins().iadd(class, step);
    }
    // Negative and not a NaN: 7 - class.
    let negative = lx.ins().band_imm_s(v, sign_bit as i64);
    let not_nan = lx.ins().icmp_imm_s(IntCC::UnsignedLessThanOrEqual, abs, inf);
    let negative = lx.ins().icmp_imm_s(IntCC::NotEqual, negative, 0);
    let mirror = lx.ins().band(negative, not_nan);
    let seven = lx.iconst(7);
    let mirrored = lx.ins().isub(seven, class);
    let bit = lx.ins().select(mirror, mirrored, class);
    let one = lx.iconst(1);
    lx.ins().ishl(one, bit)
}

/// The single in register contents `v`: its low half when NaN-boxed, else the canonical NaN.
fn unbox(lx: &mut Lx<'_, '_>, v: Value) -> Value {
    let hi = lx.ins().ushr_imm_s(v, 32);
    let boxed = lx.ins().icmp_imm_s(IntCC::Equal, hi, 0xffff_ffff);
    let low = lx.ins().band_imm_s(v, 0xffff_ffff);
    let nan = lx.iconst(CANONICAL_S);
    lx.ins().select(boxed, low, nan)
}
