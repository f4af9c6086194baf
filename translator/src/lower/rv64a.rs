//! RV64A: LR/SC and the AMOs, inline on the hit paths of loads and stores.
//!
//! ```text
//!   va = x[rs1]
//!   if va & (size - 1): leave before the instruction (the interpreter raises
//!                       the misaligned exception)
//!   LR:   host = load hit path (`mem`, else leave);  v = load
//!         reservation = host - host_offset (the physical address);  rd = v
//!   SC:   host = store hit path (else leave);  old = load
//!         ok = reservation == host - host_offset;  reservation = none
//!         store (ok ? x[rs2] : old);  rd = !ok
//!   AMO:  host = store hit path (else leave);  old = load
//!         store op(old, x[rs2]);  rd = old
//! ```
//!
//! `.w` forms load sign-extended 32-bit words and store the low 32 bits.
//!
//! The paths are those of ordinary loads and stores: a read tag (or RAM bounds
//! check) for LR, a write tag (or bounds and slow-store check) for SC and the
//! AMOs, which is the test `Machine::translate_atomic` makes before it walks
//! (a tag is only set for a page wholly in RAM, a write tag only for a page
//! that holds no code and is not watched). Anything else leaves before the
//! instruction, and the interpreter runs it: TLB miss, page fault, access
//! fault, code page. A failing SC writes back the value it read: on a page
//! that takes plain stores (a single hart) that is invisible, and it keeps the
//! code free of joins.

use super::{mem, Flow, Lx, I64};
use crate::region::GuestInsn;
use cranelift_codegen::ir::condcodes::IntCC;
use cranelift_codegen::ir::{types::I32, InstBuilder, Value};
use mkjit_runtime::hart::offsets;
use mkjit_runtime::isa::Op;

/// What an AMO stores, from the old memory value and `x[rs2]`.
#[derive(Clone, Copy)]
enum AmoOp {
    Swap,
    Add,
    Xor,
    And,
    Or,
    Min,
    Max,
    Minu,
    Maxu,
}

pub(super) fn lower(lx: &mut Lx<'_, '_>, gi: &GuestInsn) -> Flow {
    use AmoOp as A;
    use Op::*;
    let (size, amo) = match gi.insn.op {
        LrW => return lr(lx, gi, 4),
        LrD => return lr(lx, gi, 8),
        ScW => return sc(lx, gi, 4),
        ScD => return sc(lx, gi, 8),
        AmoswapW => (4, A::Swap),
        AmoaddW => (4, A::Add),
        AmoxorW => (4, A::Xor),
        AmoandW => (4, A::And),
        AmoorW => (4, A::Or),
        AmominW => (4, A::Min),
        AmomaxW => (4, A::Max),
        AmominuW => (4, A::Minu),
        AmomaxuW => (4, A::Maxu),
        AmoswapD => (8, A::Swap),
        AmoaddD => (8, A::Add),
        AmoxorD => (8, A::Xor),
        AmoandD => (8, A::And),
        AmoorD => (8, A::Or),
        AmominD => (8, A::Min),
        AmomaxD => (8, A::Max),
        AmominuD => (8, A::Minu),
        AmomaxuD => (8, A::Maxu),
        _ => unreachable!("not an RV64A instruction"),
    };
    amo_rmw(lx, gi, size, amo)
}

/// The host address of the aligned `size` bytes at `x[rs1]` with the
/// permission of a load or a `write`; leaves before the instruction when
/// misaligned or when the access takes the slow path.
fn atomic_address(lx: &mut Lx<'_, '_>, gi: &GuestInsn, size: u64, write: bool) -> Value {
    let base = lx.x(gi.insn.rs1);
    let low = lx.ins().band_imm_s(base, size as i64 - 1);
    let aligned = lx.ins().icmp_imm_s(IntCC::Equal, low, 0);
    mem::miss_unless(lx, aligned, gi.pc);
    mem::host_address(lx, base, 0, size, write, gi.pc)
}

fn lr(lx: &mut Lx<'_, '_>, gi: &GuestInsn, size: u64) -> Flow {
    let host = atomic_address(lx, gi, size, false);
    let v = mem::host_load(lx, host, size, true);
    let pa = lx.physical(host);
    let (hart, hf) = (lx.hart, lx.hart_flags());
    lx.ins().store(hf, pa, hart, offsets::RESERVATION as i32);
    lx.set_x(gi.insn.rd, v);
    Flow::Next
}

fn sc(lx: &mut Lx<'_, '_>, gi: &GuestInsn, size: u64) -> Flow {
    let src = lx.x(gi.insn.rs2);
    let host = atomic_address(lx, gi, size, true);
    let old = mem::host_load(lx, host, size, true);
    let pa = lx.physical(host);
    let (hart, hf) = (lx.hart, lx.hart_flags());
    let held = lx.ins().load(I64, hf, hart, offsets::RESERVATION as i32);
    let ok = lx.ins().icmp(IntCC::Equal, held, pa);
    let none = lx.iconst(-1);
    lx.ins().store(hf, none, hart, offsets::RESERVATION as i32);
    let v = lx.ins().select(ok, src, old);
    mem::host_store(lx, v, host, size);
    let fail = lx.ins().bxor_imm_s(ok, 1);
    let rd = lx.ins().uextend(I64, fail);
    lx.set_x(gi.insn.rd, rd);
    Flow::Next
}

fn amo_rmw(lx: &mut Lx<'_, '_>, gi: &GuestInsn, size: u64, op: AmoOp) -> Flow {
    let src = lx.x(gi.insn.rs2);
    let host = atomic_address(lx, gi, size, true);
    let old = mem::host_load(lx, host, size, true);
    // Word forms compare as 32-bit values: sign-extended for min/max,
    // zero-extended for minu/maxu (`old` is loaded sign-extended).
    let word = |lx: &mut Lx<'_, '_>, v: Value, signed: bool| {
        if size == 8 {
            return v;
        }
        let w = lx.ins().ireduce(I32, v);
        if signed {
            lx.ins().sextend(I64, w)
        } else {
            lx.ins().uextend(I64, w)
        }
    };
    let new = match op {
        AmoOp::Swap => src,
        AmoOp::Add => lx.ins().iadd(old, src),
        AmoOp::Xor => lx.ins().bxor(old, src),
        AmoOp::And => lx.ins().band(old, src),
        AmoOp::Or => lx.ins().bor(old, src),
        AmoOp::Min | AmoOp::Max | AmoOp::Minu | AmoOp::Maxu => {
            let signed = matches!(op, AmoOp::Min | AmoOp::Max);
            let (a, b) = (word(lx, old, signed), word(lx, src, signed));
            match op {
                AmoOp::Min => lx.ins().smin(a, b),
                AmoOp::Max => lx.ins().smax(a, b),
                AmoOp::Minu => lx.ins().umin(a, b),
                _ => lx.ins().umax(a, b),
            }
        }
    };
    mem::host_store(lx, new, host, size);
    lx.set_x(gi.insn.rd, old);
    Flow::Next
}
