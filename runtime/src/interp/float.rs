//! F and D semantics (RV64F, RV64D and the compressed double loads/stores).
//!
//! Arithmetic, square root, fused multiply-add and conversions are Berkeley
//! SoftFloat 3: exact IEEE 754 results and exception flags in every rounding
//! mode (RISC-V's `rm` numbering is SoftFloat's). SoftFloat is built with its
//! x86 specialisation, so the two places where RISC-V differs are fixed up
//! here: every NaN result is RISC-V's canonical NaN, and a float-to-integer
//! conversion that raises invalid returns RISC-V's saturated value (NaN and
//! too-large positive values the largest integer, too-large negative values
//! the smallest). SoftFloat's flags and rounding mode are per thread; each
//! operation starts from clear flags and ORs what it raised into `fflags`.
//! Sign injection, `fmin`/`fmax`, `fclass` and the moves are bit operations
//! written here.
//!
//! Every instruction is illegal while `mstatus.FS` is Off; one that writes a
//! floating-point register or `fflags` sets FS to Dirty. Single-precision
//! values live NaN-boxed in the 64-bit registers: a read of a register whose
//! upper half is not all ones sees the canonical NaN.

use crate::isa::Insn;
use crate::machine::Machine;
use crate::trap::Exception;
use softfloat_rs as sf;

type R = Result<u64, Exception>;

/// `fflags` bit: invalid operation.
pub const NV: u64 = 0x10;

/// Calls SoftFloat: `$f` is one of its functions on values (no pointers).
macro_rules! soft {
    ($f:ident($($a:expr),*)) => {
        // SAFETY: SoftFloat's functions take and return plain values and
        // touch only its own thread-local rounding mode and flags.
        unsafe { sf::$f($($a),*) }
    };
}

/// One floating-point format as it sits in a 64-bit register, with the
/// SoftFloat operations on it.
trait Fmt: Copy {
    /// Bits of the format.
    const BITS: u32;
    /// The canonical NaN's bits.
    const CANONICAL: u64;
    /// The value register contents `v` stand for (unboxing singles).
    fn read(v: u64) -> Self;
    /// Register contents holding this value (boxing singles).
    fn boxed(self) -> u64;
    /// The value's bits, zero-extended.
    fn raw(self) -> u64;
    /// A value from its bits.
    fn of_raw(v: u64) -> Self;
    fn add(self, b: Self) -> Self;
    fn sub(self, b: Self) -> Self;
    fn mul(self, b: Self) -> Self;
    fn div(self, b: Self) -> Self;
    fn sqrt(self) -> Self;
    /// `self·b + c`, rounded once.
    fn mul_add(self, b: Self, c: Self) -> Self;
    /// Quiet equality (invalid only for signalling NaNs).
    fn eq(self, b: Self) -> bool;
    /// Signalling less-than (invalid for any NaN).
    fn lt(self, b: Self) -> bool;
    /// Signalling less-or-equal.
    fn le(self, b: Self) -> bool;
    fn is_snan(self) -> bool;
    fn to_i32(self, rm: u8) -> i32;
    fn to_u32(self, rm: u8) -> u32;
    fn to_i64(self, rm: u8) -> i64;
    fn to_u64(self, rm: u8) -> u64;
    fn of_i32(v: i32) -> Self;
    fn of_u32(v: u32) -> Self;
    fn of_i64(v: i64) -> Self;
    fn of_u64(v: u64) -> Self;
    /// Converted to the other format.
    fn to_other(self) -> u64;

    /// Whether the value is a NaN.
    fn is_nan(self) -> bool {
        let exp = ((1u64 << Self::exp_bits()) - 1) << (Self::BITS - 1 - Self::exp_bits());
        let frac = (1u64 << (Self::BITS - 1 - Self::exp_bits())) - 1;
        self.raw() & exp == exp && self.raw() & frac != 0
    }
    /// Width of the exponent field.
    fn exp_bits() -> u32 {
        if Self::BITS == 32 {
            8
        } else {
            11
        }
    }
    /// The value, or the canonical NaN if it is a NaN.
    fn canonical(self) -> Self {
        if self.is_nan() {
            Self::of_raw(Self::CANONICAL)
        } else {
            self
        }
    }
}

macro_rules! fmt_impl {
    ($t:ident, $raw:ty, $sf:ident, $bits:literal, $canon:literal, $box:expr,
     $add:ident $sub:ident $mul:ident $div:ident $sqrt:ident $fma:ident $eq:ident $lt:ident $le:ident $snan:ident
     $ti32:ident $tu32:ident $ti64:ident $tu64:ident $fi32:ident $fu32:ident $fi64:ident $fu64:ident $other:ident) => {
        #[derive(Clone, Copy)]
        struct $t($raw);
        impl Fmt for $t {
            const BITS: u32 = $bits;
            const CANONICAL: u64 = $canon;
            fn read(v: u64) -> Self {
                let unbox: fn(u64) -> Option<$raw> = $box;
                $t(unbox(v).unwrap_or($canon as $raw))
            }
            fn boxed(self) -> u64 {
                (self.0 as u64) | (!0u64 << ($bits - 1) << 1)
            }
            fn raw(self) -> u64 {
                self.0 as u64
            }
            fn of_raw(v: u64) -> Self {
                $t(v as $raw)
            }
            fn add(self, b: Self) -> Self {
                $t(soft!($add(sf::$sf { v: self.0 }, sf::$sf { v: b.0 })).v)
            }
            fn sub(self, b: Self) -> Self {
                $t(soft!($sub(sf::$sf { v: self.0 }, sf::$sf { v: b.0 })).v)
            }
            fn mul(self, b: Self) -> Self {
                $t(soft!($mul(sf::$sf { v: self.0 }, sf::$sf { v: b.0 })).v)
            }
            fn div(self, b: Self) -> Self {
                $t(soft!($div(sf::$sf { v: self.0 }, sf::$sf { v: b.0 })).v)
            }
            fn sqrt(self) -> Self {
                $t(soft!($sqrt(sf::$sf { v: self.0 })).v)
            }
            fn mul_add(self, b: Self, c: Self) -> Self {
                $t(soft!($fma(sf::$sf { v: self.0 }, sf::$sf { v: b.0 }, sf::$sf { v: c.0 })).v)
            }
            fn eq(self, b: Self) -> bool {
                soft!($eq(sf::$sf { v: self.0 }, sf::$sf { v: b.0 }))
            }
            fn lt(self, b: Self) -> bool {
                soft!($lt(sf::$sf { v: self.0 }, sf::$sf { v: b.0 }))
            }
            fn le(self, b: Self) -> bool {
                soft!($le(sf::$sf { v: self.0 }, sf::$sf { v: b.0 }))
            }
            fn is_snan(self) -> bool {
                soft!($snan(sf::$sf { v: self.0 }))
            }
            fn to_i32(self, rm: u8) -> i32 {
                soft!($ti32(sf::$sf { v: self.0 }, rm, true)) as i32
            }
            fn to_u32(self, rm: u8) -> u32 {
                soft!($tu32(sf::$sf { v: self.0 }, rm, true)) as u32
            }
            fn to_i64(self, rm: u8) -> i64 {
                soft!($ti64(sf::$sf { v: self.0 }, rm, true))
            }
            fn to_u64(self, rm: u8) -> u64 {
                soft!($tu64(sf::$sf { v: self.0 }, rm, true))
            }
            fn of_i32(v: i32) -> Self {
                $t(soft!($fi32(v)).v)
            }
            fn of_u32(v: u32) -> Self {
                $t(soft!($fu32(v)).v)
            }
            fn of_i64(v: i64) -> Self {
                $t(soft!($fi64(v)).v)
            }
            fn of_u64(v: u64) -> Self {
                $t(soft!($fu64(v)).v)
            }
            fn to_other(self) -> u64 {
                soft!($other(sf::$sf { v: self.0 })).v as u64
            }
        }
    };
}

fmt_impl!(F32, u32, float32_t, 32, 0x7fc0_0000, |v| (v >> 32 == 0xffff_ffff).then_some(v as u32),
    f32_add f32_sub f32_mul f32_div f32_sqrt f32_mulAdd f32_eq f32_lt f32_le f32_isSignalingNaN
    f32_to_i32 f32_to_ui32 f32_to_i64 f32_to_ui64 i32_to_f32 ui32_to_f32 i64_to_f32 ui64_to_f32 f32_to_f64);
fmt_impl!(F64, u64, float64_t, 64, 0x7ff8_0000_0000_0000, Some,
    f64_add f64_sub f64_mul f64_div f64_sqrt f64_mulAdd f64_eq f64_lt f64_le f64_isSignalingNaN
    f64_to_i32 f64_to_ui32 f64_to_i64 f64_to_ui64 i32_to_f64 ui32_to_f64 i64_to_f64 ui64_to_f64 f64_to_f32);

#[inline(always)]
fn next(i: &Insn, pc: u64) -> u64 {
    pc.wrapping_add(i.len as u64)
}

/// Illegal unless `mstatus.FS` is on.
fn enabled(m: &Machine, i: &Insn) -> Result<(), Exception> {
    if m.hart.fp_enabled() {
        Ok(())
    } else {
        Err(Exception::illegal(i.raw))
    }
}

/// The rounding mode `i` asks for (`imm`: its `rm` field, 7 = `frm`), in
/// SoftFloat's numbering, now also SoftFloat's current mode; illegal when the
/// dynamic mode in `frm` is reserved.
fn rounding(m: &Machine, i: &Insn) -> Result<u8, Exception> {
    let rm = if i.imm == 7 { ((m.hart.fcsr >> 5) & 7) as u8 } else { i.imm as u8 };
    if rm > 4 {
        return Err(Exception::illegal(i.raw));
    }
    // SAFETY: sets SoftFloat's thread-local rounding mode to a valid mode.
    unsafe { sf::softfloat_roundingMode_write_helper(rm) };
    Ok(rm)
}

/// Runs a SoftFloat operation and accumulates the flags it raised (SoftFloat's
/// flag bits are RISC-V's); returns its result and whether it raised invalid.
fn flagged<T>(m: &mut Machine, op: impl FnOnce() -> T) -> (T, bool) {
    // SAFETY: clears SoftFloat's thread-local exception flags.
    unsafe { sf::softfloat_exceptionFlags_write_helper(0) };
    let v = op();
    // SAFETY: reads SoftFloat's thread-local exception flags.
    let raised = unsafe { sf::softfloat_exceptionFlags_read_helper() } as u64;
    raise(m, raised);
    (v, raised & NV != 0)
}

/// ORs `flags` into `fflags`.
fn raise(m: &mut Machine, flags: u64) {
    if flags & 0x1f != 0 {
        m.hart.fcsr |= flags & 0x1f;
        m.hart.set_fp_dirty();
    }
}

fn f<T: Fmt>(m: &Machine, r: u8) -> T {
    T::read(m.hart.f[r as usize])
}

fn set_f(m: &mut Machine, r: u8, v: u64) {
    m.hart.f[r as usize] = v;
    m.hart.set_fp_dirty();
}

fn set_x(m: &mut Machine, r: u8, v: u64) {
    if r != 0 {
        m.hart.x[r as usize] = v;
    }
}

fn x(m: &Machine, r: u8) -> u64 {
    m.hart.x[r as usize]
}

fn sign<T: Fmt>(v: T) -> bool {
    v.raw() >> (T::BITS - 1) != 0
}

fn sext32(v: u64) -> u64 {
    v as i32 as i64 as u64
}

// ---- the shapes of operation ----

fn load<T: Fmt>(m: &mut Machine, i: &Insn, pc: u64) -> R {
    enabled(m, i)?;
    let v = m.load(x(m, i.rs1).wrapping_add(i.imm as u64), (T::BITS / 8) as u64)?;
    set_f(m, i.rd, T::of_raw(v).boxed());
    Ok(next(i, pc))
}

fn store<T: Fmt>(m: &mut Machine, i: &Insn, pc: u64) -> R {
    enabled(m, i)?;
    let v = m.hart.f[i.rs2 as usize];
    m.store(x(m, i.rs1).wrapping_add(i.imm as u64), (T::BITS / 8) as u64, v)?;
    Ok(next(i, pc))
}

/// A rounded operation on floating-point registers (`rs1`, `rs2`, `rs3` as
/// the operation reads them) giving a floating-point result.
fn arith<T: Fmt>(m: &mut Machine, i: &Insn, pc: u64, op: fn(T, T, T) -> T) -> R {
    enabled(m, i)?;
    rounding(m, i)?;
    let (a, b, c) = (f::<T>(m, i.rs1), f::<T>(m, i.rs2), f::<T>(m, i.rs3));
    let (v, _) = flagged(m, || op(a, b, c));
    set_f(m, i.rd, v.canonical().boxed());
    Ok(next(i, pc))
}

/// `v` with its sign flipped.
fn neg<T: Fmt>(v: T) -> T {
    T::of_raw(v.raw() ^ (1 << (T::BITS - 1)))
}

/// Sign injection: `a`'s magnitude with a sign made from `a`'s and `b`'s.
fn sign_inject<T: Fmt>(m: &mut Machine, i: &Insn, pc: u64, op: fn(bool, bool) -> bool) -> R {
    enabled(m, i)?;
    let (a, b) = (f::<T>(m, i.rs1), f::<T>(m, i.rs2));
    let bit = 1u64 << (T::BITS - 1);
    let s = if op(sign(a), sign(b)) { bit } else { 0 };
    set_f(m, i.rd, T::of_raw((a.raw() & !bit) | s).boxed());
    Ok(next(i, pc))
}

/// `fmin`/`fmax`: a NaN operand yields the other operand (both NaN: the
/// canonical NaN), -0 is below +0, a signalling NaN raises invalid.
fn min_max<T: Fmt>(m: &mut Machine, i: &Insn, pc: u64, max: bool) -> R {
    enabled(m, i)?;
    let (a, b) = (f::<T>(m, i.rs1), f::<T>(m, i.rs2));
    if a.is_snan() || b.is_snan() {
        raise(m, NV);
    }
    let v = match (a.is_nan(), b.is_nan()) {
        (true, true) => T::of_raw(T::CANONICAL),
        (true, false) => b,
        (false, true) => a,
        (false, false) => {
            let zeros = (a.raw() | b.raw()) & !(1 << (T::BITS - 1)) == 0;
            // Neither is a NaN: the comparison raises nothing.
            let a_below = if zeros { sign(a) && !sign(b) } else { a.lt(b) };
            if a_below != max {
                a
            } else {
                b
            }
        }
    };
    set_f(m, i.rd, v.boxed());
    Ok(next(i, pc))
}

fn compare<T: Fmt>(m: &mut Machine, i: &Insn, pc: u64, op: fn(T, T) -> bool) -> R {
    enabled(m, i)?;
    let (a, b) = (f::<T>(m, i.rs1), f::<T>(m, i.rs2));
    let (v, _) = flagged(m, || op(a, b));
    set_x(m, i.rd, v as u64);
    Ok(next(i, pc))
}

/// A conversion to an integer of `bits` bits, `signed` or not, sign-extended
/// to 64 bits; an invalid conversion gives RISC-V's saturated value.
fn to_int<T: Fmt>(m: &mut Machine, i: &Insn, pc: u64, bits: u32, signed: bool) -> R {
    enabled(m, i)?;
    let rm = rounding(m, i)?;
    let a = f::<T>(m, i.rs1);
    let (v, invalid) = flagged(m, || match (bits, signed) {
        (32, true) => a.to_i32(rm) as i64 as u64,
        (32, false) => sext32(a.to_u32(rm) as u64),
        (_, true) => a.to_i64(rm) as u64,
        _ => a.to_u64(rm),
    });
    let v = if !invalid {
        v
    } else {
        let high = a.is_nan() || !sign(a);
        match (bits, signed, high) {
            (32, true, true) => i32::MAX as u64,
            (32, true, false) => i32::MIN as i64 as u64,
            (32, false, true) => u64::MAX,
            (_, true, true) => i64::MAX as u64,
            (_, true, false) => i64::MIN as u64,
            (_, false, true) => u64::MAX,
            (_, false, false) => 0,
        }
    };
    set_x(m, i.rd, v);
    Ok(next(i, pc))
}

fn from_int<T: Fmt>(m: &mut Machine, i: &Insn, pc: u64, op: fn(u64) -> T) -> R {
    enabled(m, i)?;
    rounding(m, i)?;
    let a = x(m, i.rs1);
    let (v, _) = flagged(m, || op(a));
    set_f(m, i.rd, v.boxed());
    Ok(next(i, pc))
}

/// `fcvt.s.d` / `fcvt.d.s`: from format `A` to format `B`.
fn convert<A: Fmt, B: Fmt>(m: &mut Machine, i: &Insn, pc: u64) -> R {
    enabled(m, i)?;
    rounding(m, i)?;
    let a = f::<A>(m, i.rs1);
    let (v, _) = flagged(m, || B::of_raw(a.to_other()));
    set_f(m, i.rd, v.canonical().boxed());
    Ok(next(i, pc))
}

/// `fclass`: one bit for the class of the value.
fn classify<T: Fmt>(m: &mut Machine, i: &Insn, pc: u64) -> R {
    enabled(m, i)?;
    let a = f::<T>(m, i.rs1);
    let frac_bits = T::BITS - 1 - T::exp_bits();
    let exp = (a.raw() >> frac_bits) & ((1 << T::exp_bits()) - 1);
    let frac = a.raw() & ((1 << frac_bits) - 1);
    let max_exp = (1 << T::exp_bits()) - 1;
    let bit = match (exp, frac) {
        _ if a.is_nan() => {
            if a.is_snan() {
                8
            } else {
                9
            }
        }
        (e, 0) if e == max_exp => 7,
        (0, 0) => 4,
        (0, _) => 5,
        _ => 6,
    };
    // Negative values mirror the positive classes 4..=7 onto 3..=0.
    let bit = if sign(a) && bit < 8 { 7 - bit } else { bit };
    set_x(m, i.rd, 1 << bit);
    Ok(next(i, pc))
}

// ---- handlers ----

macro_rules! handlers {
    ($($name:ident => $body:expr;)*) => {$(
        pub fn $name(m: &mut Machine, i: &Insn, pc: u64) -> R {
            let h: fn(&mut Machine, &Insn, u64) -> R = $body;
            h(m, i, pc)
        }
    )*};
}

handlers! {
    flw => load::<F32>;
    fld => load::<F64>;
    fsw => store::<F32>;
    fsd => store::<F64>;
    fadd_s => |m, i, pc| arith::<F32>(m, i, pc, |a, b, _| a.add(b));
    fsub_s => |m, i, pc| arith::<F32>(m, i, pc, |a, b, _| a.sub(b));
    fmul_s => |m, i, pc| arith::<F32>(m, i, pc, |a, b, _| a.mul(b));
    fdiv_s => |m, i, pc| arith::<F32>(m, i, pc, |a, b, _| a.div(b));
    fsqrt_s => |m, i, pc| arith::<F32>(m, i, pc, |a, _, _| a.sqrt());
    fmadd_s => |m, i, pc| arith::<F32>(m, i, pc, |a, b, c| a.mul_add(b, c));
    fmsub_s => |m, i, pc| arith::<F32>(m, i, pc, |a, b, c| a.mul_add(b, neg(c)));
    fnmsub_s => |m, i, pc| arith::<F32>(m, i, pc, |a, b, c| neg(a).mul_add(b, c));
    fnmadd_s => |m, i, pc| arith::<F32>(m, i, pc, |a, b, c| neg(a).mul_add(b, neg(c)));
    fadd_d => |m, i, pc| arith::<F64>(m, i, pc, |a, b, _| a.add(b));
    fsub_d => |m, i, pc| arith::<F64>(m, i, pc, |a, b, _| a.sub(b));
    fmul_d => |m, i, pc| arith::<F64>(m, i, pc, |a, b, _| a.mul(b));
    fdiv_d => |m, i, pc| arith::<F64>(m, i, pc, |a, b, _| a.div(b));
    fsqrt_d => |m, i, pc| arith::<F64>(m, i, pc, |a, _, _| a.sqrt());
    fmadd_d => |m, i, pc| arith::<F64>(m, i, pc, |a, b, c| a.mul_add(b, c));
    fmsub_d => |m, i, pc| arith::<F64>(m, i, pc, |a, b, c| a.mul_add(b, neg(c)));
    fnmsub_d => |m, i, pc| arith::<F64>(m, i, pc, |a, b, c| neg(a).mul_add(b, c));
    fnmadd_d => |m, i, pc| arith::<F64>(m, i, pc, |a, b, c| neg(a).mul_add(b, neg(c)));
    fsgnj_s => |m, i, pc| sign_inject::<F32>(m, i, pc, |_, b| b);
    fsgnjn_s => |m, i, pc| sign_inject::<F32>(m, i, pc, |_, b| !b);
    fsgnjx_s => |m, i, pc| sign_inject::<F32>(m, i, pc, |a, b| a ^ b);
    fsgnj_d => |m, i, pc| sign_inject::<F64>(m, i, pc, |_, b| b);
    fsgnjn_d => |m, i, pc| sign_inject::<F64>(m, i, pc, |_, b| !b);
    fsgnjx_d => |m, i, pc| sign_inject::<F64>(m, i, pc, |a, b| a ^ b);
    fmin_s => |m, i, pc| min_max::<F32>(m, i, pc, false);
    fmax_s => |m, i, pc| min_max::<F32>(m, i, pc, true);
    fmin_d => |m, i, pc| min_max::<F64>(m, i, pc, false);
    fmax_d => |m, i, pc| min_max::<F64>(m, i, pc, true);
    feq_s => |m, i, pc| compare::<F32>(m, i, pc, |a, b| a.eq(b));
    flt_s => |m, i, pc| compare::<F32>(m, i, pc, |a, b| a.lt(b));
    fle_s => |m, i, pc| compare::<F32>(m, i, pc, |a, b| a.le(b));
    feq_d => |m, i, pc| compare::<F64>(m, i, pc, |a, b| a.eq(b));
    flt_d => |m, i, pc| compare::<F64>(m, i, pc, |a, b| a.lt(b));
    fle_d => |m, i, pc| compare::<F64>(m, i, pc, |a, b| a.le(b));
    fcvt_w_s => |m, i, pc| to_int::<F32>(m, i, pc, 32, true);
    fcvt_wu_s => |m, i, pc| to_int::<F32>(m, i, pc, 32, false);
    fcvt_l_s => |m, i, pc| to_int::<F32>(m, i, pc, 64, true);
    fcvt_lu_s => |m, i, pc| to_int::<F32>(m, i, pc, 64, false);
    fcvt_w_d => |m, i, pc| to_int::<F64>(m, i, pc, 32, true);
    fcvt_wu_d => |m, i, pc| to_int::<F64>(m, i, pc, 32, false);
    fcvt_l_d => |m, i, pc| to_int::<F64>(m, i, pc, 64, true);
    fcvt_lu_d => |m, i, pc| to_int::<F64>(m, i, pc, 64, false);
    fcvt_s_w => |m, i, pc| from_int::<F32>(m, i, pc, |a| F32::of_i32(a as i32));
    fcvt_s_wu => |m, i, pc| from_int::<F32>(m, i, pc, |a| F32::of_u32(a as u32));
    fcvt_s_l => |m, i, pc| from_int::<F32>(m, i, pc, |a| F32::of_i64(a as i64));
    fcvt_s_lu => |m, i, pc| from_int::<F32>(m, i, pc, F32::of_u64);
    fcvt_d_w => |m, i, pc| from_int::<F64>(m, i, pc, |a| F64::of_i32(a as i32));
    fcvt_d_wu => |m, i, pc| from_int::<F64>(m, i, pc, |a| F64::of_u32(a as u32));
    fcvt_d_l => |m, i, pc| from_int::<F64>(m, i, pc, |a| F64::of_i64(a as i64));
    fcvt_d_lu => |m, i, pc| from_int::<F64>(m, i, pc, F64::of_u64);
    fcvt_s_d => convert::<F64, F32>;
    fcvt_d_s => convert::<F32, F64>;
    fclass_s => classify::<F32>;
    fclass_d => classify::<F64>;
    fmv_x_w => |m, i, pc| {
        enabled(m, i)?;
        set_x(m, i.rd, sext32(m.hart.f[i.rs1 as usize]));
        Ok(next(i, pc))
    };
    fmv_x_d => |m, i, pc| {
        enabled(m, i)?;
        set_x(m, i.rd, m.hart.f[i.rs1 as usize]);
        Ok(next(i, pc))
    };
    fmv_w_x => |m, i, pc| {
        enabled(m, i)?;
        set_f(m, i.rd, F32::of_raw(x(m, i.rs1)).boxed());
        Ok(next(i, pc))
    };
    fmv_d_x => |m, i, pc| {
        enabled(m, i)?;
        set_f(m, i.rd, x(m, i.rs1));
        Ok(next(i, pc))
    };
}
