//! Deferred checks of floating-point fast paths in optimised code.
//!
//! In optimised code a fast path that fails leaves the region before its
//! instruction (see `hardfloat`). Checking every result costs a move to an
//! integer register, an exponent extraction, a compare and a branch, and
//! writing every result to `hart.f` at once costs a store. Instead, a run of
//! consecutive fast-path instructions that write only f registers (a
//! *window*) is checked once, at its end:
//!
//! ```text
//!   window:   fld    ft5,0(s0)        host register only
//!             fsub.d ft5,ft5,ft7      open: ft5
//!             fmul.d fa1,ft5,ft5      open: fa1 (ft5 spreads to it); min = |fa1|
//!             fsgnj.d ...             (joins: f registers only)
//!   close:    sum of the open finite  no NaN, no infinity, no overflow
//!             min >= 2^-1021 (2^-125) nothing tiny where it may be inexact
//!             fcsr & mask == want     rounding mode and NX as each needs
//!             other conditions        (NaN-boxed operands, ordered operands)
//!             ok:   store the registers written, continue
//!             fail: leave before the window's first instruction (FP_EXIT)
//! ```
//!
//! The window writes nothing but host registers until it closes, so `hart`
//! still holds the state before its first instruction, which is where a
//! failure leaves (the interpreter then runs the window with its handlers).
//! Loads into f registers join windows (and open them) too: an access that
//! leaves the region from inside a window leaves before the window (see
//! `Lx::leave_before`), and the interpreter runs it all again, which changes
//! nothing a load had done. A window closes before any other instruction
//! (one that may call a helper, store, or write an x register) and at the
//! end of its block.
//!
//! The checks are those of the single-instruction fast path, cheaper:
//!
//! - **Finite:** one sum of the values whose check is still open, added
//!   pairwise at the end (a NaN or an infinity makes it non-finite; a sum
//!   that overflows only fails safe). A value a later instruction of the
//!   window uses as an operand needs no check of its own: a NaN or an
//!   infinity there makes that instruction's result fail its check.
//! - **Not tiny:** a running minimum of magnitudes, for results that can be
//!   tiny and inexact. A sum or difference of finite values is exact
//!   whenever it is tiny (both are multiples of the smallest subnormal), and
//!   a square root is never tiny unless it is zero, so those need the finite
//!   check alone.

use super::hardfloat::{self, FcsrNeed};
use super::{mem, Lx, FP_EXIT};
use cranelift_codegen::ir::condcodes::FloatCC;
use cranelift_codegen::ir::types::F32;
use cranelift_codegen::ir::{InstBuilder, Value};

/// What a deferred result must be.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum Must {
    /// Finite (not a NaN, not an infinity).
    Finite,
    /// Finite and of a magnitude whose biased exponent is at least 2 (see
    /// `hardfloat::in_range`).
    Normal,
}

/// The open window of the current block.
#[derive(Default)]
pub(crate) struct Window {
    /// The window's first instruction: its pc and index in the block.
    start: Option<(u64, usize)>,
    /// f registers written in the window (their `hart.f` stores wait).
    pending: u32,
    /// Values that must be finite and that no later instruction of the
    /// window spreads to its own result.
    finite: Vec<Value>,
    /// Running minimum magnitude of the values that must be normal.
    min: [Option<Value>; 2],
    /// The mask that clears the sign, for doubles and singles.
    abs_mask: [Option<Value>; 2],
    /// What `fcsr` must hold (see `hardfloat::FcsrNeed`).
    needs: Vec<FcsrNeed>,
    /// Other conditions that must hold.
    conds: Vec<Value>,
}

impl Window {
    /// Whether a window is open.
    pub fn is_open(&self) -> bool {
        self.start.is_some()
    }

    /// The window's first instruction: its pc and index in the block.
    pub fn start(&self) -> Option<(u64, usize)> {
        self.start
    }

    /// Records a write of f register `r` in the open window.
    pub fn write(&mut self, r: u8) {
        self.pending |= 1 << r;
    }
}

/// Opens a window at the instruction at `pc` (index `idx` in its block)
/// unless one is open.
pub(super) fn open(lx: &mut Lx<'_, '_>, (pc, idx): (u64, usize)) {
    if lx.fpw.start.is_none() {
        lx.fpw.start = Some((pc, idx));
    }
}

/// Defers the conditions of the instruction at `pc` (index `idx` in its
/// block), opening a window if none is: `conds` must hold, `fcsr` must
/// meet `need`, and `result` (if any) must be as `Must` says. A NaN or an
/// infinity in any of `spreads` makes `result` fail that (a NaN or an
/// infinity spreads through arithmetic, and x / inf is zero, not normal):
/// their own finite checks are dropped.
pub(super) fn defer(
    lx: &mut Lx<'_, '_>,
    (pc, idx): (u64, usize),
    conds: &[Value],
    need: FcsrNeed,
    result: Option<(Value, Must)>,
    spreads: &[Value],
) {
    open(lx, (pc, idx));
    lx.fpw.conds.extend_from_slice(conds);
    if !lx.fpw.needs.contains(&need) {
        lx.fpw.needs.push(need);
    }
    let Some((v, must)) = result else { return };
    lx.fpw.finite.retain(|u| !spreads.contains(u));
    lx.fpw.finite.push(v);
    if must == Must::Normal {
        let k = slot(lx, v);
        // |v|, with the mask shared by the window.
        let mask = match lx.fpw.abs_mask[k] {
            Some(m) => m,
            None => {
                let m = if k == 1 {
                    lx.ins().f32const(f32::from_bits(!(1 << 31)))
                } else {
                    lx.ins().f64const(f64::from_bits(!(1 << 63)))
                };
                lx.fpw.abs_mask[k] = Some(m);
                m
            }
        };
        let mag = lx.ins().band(v, mask);
        let min = match lx.fpw.min[k] {
            // `select(m < mag, m, mag)`: one `minsd`.
            Some(m) => {
                let less = lx.ins().fcmp(FloatCC::LessThan, m, mag);
                lx.ins().select(less, m, mag)
            }
            None => mag,
        };
        lx.fpw.min[k] = Some(min);
    }
}

/// The sum of `values`, added pairwise (a short chain of dependent adds);
/// a NaN or an infinity among them makes it a NaN or an infinity (or an
/// overflow does: that fails safe).
fn sum(lx: &mut Lx<'_, '_>, values: &[Value]) -> Option<Value> {
    match values {
        [] => None,
        [v] => Some(*v),
        _ => {
            let (l, r) = values.split_at(values.len() / 2);
            let (l, r) = (sum(lx, l)?, sum(lx, r)?);
            Some(lx.ins().fadd(l, r))
        }
    }
}

/// Index of `v`'s format in [`Window::min`].
fn slot(lx: &mut Lx<'_, '_>, v: Value) -> usize {
    usize::from(lx.b.func.dfg.value_type(v) == F32)
}

/// Closes the open window, if any: leaves before its first instruction
/// unless every deferred condition holds, then stores the f registers it wrote.
pub(super) fn close(lx: &mut Lx<'_, '_>) {
    let Some((pc, _)) = lx.fpw.start else { return };
    let mut ok = std::mem::take(&mut lx.fpw.conds);
    let finite = std::mem::take(&mut lx.fpw.finite);
    for single in [false, true] {
        let values: Vec<Value> = finite.iter().copied().filter(|&v| (slot(lx, v) == 1) == single).collect();
        if let Some(s) = sum(lx, &values) {
            // s - s is zero when s is finite, a NaN otherwise.
            let d = lx.ins().fsub(s, s);
            ok.push(lx.ins().fcmp(FloatCC::Ordered, d, d));
        }
    }
    for (k, min) in lx.fpw.min.into_iter().enumerate() {
        if let Some(m) = min {
            let least = if k == 1 {
                lx.ins().f32const(f32::from_bits(2 << 23))
            } else {
                lx.ins().f64const(f64::from_bits(2 << 52))
            };
            ok.push(lx.ins().fcmp(FloatCC::GreaterThanOrEqual, m, least));
        }
    }
    for need in std::mem::take(&mut lx.fpw.needs) {
        ok.extend(hardfloat::fcsr_meets(lx, need));
    }
    // Still open: the way out leaves before the window.
    mem::leave_unless(lx, &ok, pc, FP_EXIT);
    let pending = std::mem::take(&mut lx.fpw).pending;
    for r in 0..32u8 {
        if pending & (1 << r) != 0 {
            let v = lx.fp.f[r as usize].expect("a register written in the window is known");
            super::float::store_f_value(lx, r, v);
        }
    }
}
