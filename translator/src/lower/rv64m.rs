//! RV64M: multiply and divide, inline, with the specified results of
//! division by zero (quotient all ones, remainder the dividend) and signed
//! overflow (quotient the dividend, remainder 0). Cranelift's `sdiv`/`udiv`
//! trap on those inputs, so the divisor is replaced by 1 first and the
//! special results are selected afterwards.

use super::{Flow, Lx, I64};
use crate::region::GuestInsn;
use cranelift_codegen::ir::condcodes::IntCC;
use cranelift_codegen::ir::{types, InstBuilder, Type, Value};
use mkjit_runtime::isa::Op;

pub(super) fn lower(lx: &mut Lx<'_, '_>, gi: &GuestInsn) -> Flow {
    use Op::*;
    let i = gi.insn;
    let a = lx.x(i.rs1);
    let b = lx.x(i.rs2);
    let v = match i.op {
        Mul => lx.ins().imul(a, b),
        Mulh => lx.ins().smulhi(a, b),
        Mulhu => lx.ins().umulhi(a, b),
        Mulhsu => {
            // a signed, b unsigned: umulhi(a, b) - (a < 0 ? b : 0).
            let hi = lx.ins().umulhi(a, b);
            let neg = lx.ins().icmp_imm_s(IntCC::SignedLessThan, a, 0);
            let zero = lx.iconst(0);
            let corr = lx.ins().select(neg, b, zero);
            lx.ins().isub(hi, corr)
        }
        Mulw => {
            let p = lx.ins().imul(a, b);
            sext32(lx, p)
        }
        Div | Rem => divide(lx, I64, a, b, true, i.op == Rem),
        Divu | Remu => divide(lx, I64, a, b, false, i.op == Remu),
        Divw | Remw | Divuw | Remuw => {
            let a32 = lx.ins().ireduce(types::I32, a);
            let b32 = lx.ins().ireduce(types::I32, b);
            let signed = matches!(i.op, Divw | Remw);
            let r = divide(lx, types::I32, a32, b32, signed, matches!(i.op, Remw | Remuw));
            lx.ins().sextend(I64, r)
        }
        _ => unreachable!("not an M op"),
    };
    lx.set_x(i.rd, v);
    Flow::Next
}

fn sext32(lx: &mut Lx<'_, '_>, v: Value) -> Value {
    let n = lx.ins().ireduce(types::I32, v);
    lx.ins().sextend(I64, n)
}

/// `a / b` or `a % b` in type `ty` with RISC-V's results for the special cases.
fn divide(lx: &mut Lx<'_, '_>, ty: Type, a: Value, b: Value, signed: bool, rem: bool) -> Value {
    let zero = lx.ins().icmp_imm_s(IntCC::Equal, b, 0);
    let one = lx.ins().iconst(ty, 1);
    let mut d = lx.ins().select(zero, one, b);
    if signed {
        // MIN / -1 overflows: divide by 1 instead (quotient MIN, remainder 0 — as specified).
        let min = if ty == I64 { i64::MIN } else { i32::MIN as i64 };
        let a_min = lx.ins().icmp_imm_s(IntCC::Equal, a, min);
        let b_m1 = lx.ins().icmp_imm_s(IntCC::Equal, b, -1);
        let ovf = lx.ins().band(a_min, b_m1);
        d = lx.ins().select(ovf, one, d);
    }
    let r = match (signed, rem) {
        (true, false) => lx.ins().sdiv(a, d),
        (true, true) => lx.ins().srem(a, d),
        (false, false) => lx.ins().udiv(a, d),
        (false, true) => lx.ins().urem(a, d),
    };
    let special = if rem { a } else { lx.ins().iconst(ty, -1) };
    lx.ins().select(zero, special, r)
}
