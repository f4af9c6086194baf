//! RV64I: ALU, branches, jumps, `fence` — all inline.

use super::{Flow, Lx, I64};
use crate::region::GuestInsn;
use cranelift_codegen::ir::condcodes::IntCC;
use cranelift_codegen::ir::{types, InstBuilder, Value};
use mkjit_runtime::isa::Op;

pub(super) fn lower(lx: &mut Lx<'_, '_>, gi: &GuestInsn) -> Flow {
    use Op::*;
    let i = gi.insn;
    match i.op {
        Lui => {
            let v = lx.iconst(i.imm);
            lx.set_x(i.rd, v);
        }
        Auipc => {
            let v = lx.iconst(gi.pc.wrapping_add(i.imm as u64) as i64);
            lx.set_x(i.rd, v);
        }
        Jal => return trans_jal(lx, gi),
        Jalr => return trans_jalr(lx, gi),
        Beq | Bne | Blt | Bge | Bltu | Bgeu => return trans_branch(lx, gi),
        Fence => {}
        Addi | Slti | Sltiu | Xori | Ori | Andi | Slli | Srli | Srai | Addiw | Slliw | Srliw | Sraiw => {
            let a = lx.x(i.rs1);
            let v = alu_imm(lx, i.op, a, i.imm);
            lx.set_x(i.rd, v);
        }
        _ => {
            let a = lx.x(i.rs1);
            let b = lx.x(i.rs2);
            let v = alu_reg(lx, i.op, a, b);
            lx.set_x(i.rd, v);
        }
    }
    Flow::Next
}

fn sext32(lx: &mut Lx<'_, '_>, v: Value) -> Value {
    let n = lx.b.ins().ireduce(types::I32, v);
    lx.b.ins().sextend(I64, n)
}

fn bool64(lx: &mut Lx<'_, '_>, c: Value) -> Value {
    lx.b.ins().uextend(I64, c)
}

fn alu_imm(lx: &mut Lx<'_, '_>, op: Op, a: Value, imm: i64) -> Value {
    use Op::*;
    match op {
        Addi => lx.ins().iadd_imm_s(a, imm),
        Slti => {
            let c = lx.ins().icmp_imm_s(IntCC::SignedLessThan, a, imm);
            bool64(lx, c)
        }
        Sltiu => {
            let c = lx.ins().icmp_imm_s(IntCC::UnsignedLessThan, a, imm);
            bool64(lx, c)
        }
        Xori => lx.ins().bxor_imm_s(a, imm),
        Ori => lx.ins().bor_imm_s(a, imm),
        Andi => lx.ins().band_imm_s(a, imm),
        Slli => lx.ins().ishl_imm_s(a, imm & 63),
        Srli => lx.ins().ushr_imm_s(a, imm & 63),
        Srai => lx.ins().sshr_imm_s(a, imm & 63),
        Addiw => {
            let v = lx.ins().iadd_imm_s(a, imm);
            sext32(lx, v)
        }
        Slliw => {
            let v = lx.ins().ishl_imm_s(a, imm & 31);
            sext32(lx, v)
        }
        Srliw => {
            let n = lx.ins().ireduce(types::I32, a);
            let s = lx.ins().ushr_imm_s(n, imm & 31);
            lx.ins().sextend(I64, s)
        }
        Sraiw => {
            let n = lx.ins().ireduce(types::I32, a);
            let s = lx.ins().sshr_imm_s(n, imm & 31);
            lx.ins().sextend(I64, s)
        }
        _ => unreachable!("not an immediate ALU op: {op:?}"),
    }
}

fn alu_reg(lx: &mut Lx<'_, '_>, op: Op, a: Value, b: Value) -> Value {
    use Op::*;
    match op {
        Add => lx.ins().iadd(a, b),
        Sub => lx.ins().isub(a, b),
        // Cranelift shifts take the amount modulo the type width, as RISC-V does.
        Sll => lx.ins().ishl(a, b),
        Srl => lx.ins().ushr(a, b),
        Sra => lx.ins().sshr(a, b),
        Slt => {
            let c = lx.ins().icmp(IntCC::SignedLessThan, a, b);
            bool64(lx, c)
        }
        Sltu => {
            let c = lx.ins().icmp(IntCC::UnsignedLessThan, a, b);
            bool64(lx, c)
        }
        Xor => lx.ins().bxor(a, b),
        Or => lx.ins().bor(a, b),
        And => lx.ins().band(a, b),
        Addw => {
            let v = lx.ins().iadd(a, b);
            sext32(lx, v)
        }
        Subw => {
            let v = lx.ins().isub(a, b);
            sext32(lx, v)
        }
        Sllw | Srlw | Sraw => {
            let n = lx.ins().ireduce(types::I32, a);
            let s = lx.ins().ireduce(types::I32, b);
            let r = match op {
                Sllw => lx.ins().ishl(n, s),
                Srlw => lx.ins().ushr(n, s),
                _ => lx.ins().sshr(n, s),
            };
            lx.ins().sextend(I64, r)
        }
        _ => unreachable!("not a register ALU op: {op:?}"),
    }
}

fn trans_jal(lx: &mut Lx<'_, '_>, gi: &GuestInsn) -> Flow {
    let i = gi.insn;
    let link = lx.iconst(gi.pc.wrapping_add(i.len as u64) as i64);
    lx.set_x(i.rd, link);
    lx.goto(gi.pc.wrapping_add(i.imm as u64));
    Flow::Ended
}

fn trans_jalr(lx: &mut Lx<'_, '_>, gi: &GuestInsn) -> Flow {
    let i = gi.insn;
    if let Some(target) = lx.known_target(gi.pc) {
        // `auipc r; jalr rd, imm(r)` in one block: a direct jump (or call).
        let link = lx.iconst(gi.pc.wrapping_add(i.len as u64) as i64);
        lx.set_x(i.rd, link);
        lx.goto(target);
        return Flow::Ended;
    }
    let base = lx.x(i.rs1);
    let t = lx.b.ins().iadd_imm_s(base, i.imm);
    let t = lx.b.ins().band_imm_s(t, !1);
    let link = lx.iconst(gi.pc.wrapping_add(i.len as u64) as i64);
    lx.set_x(i.rd, link);
    lx.sync_dirty();
    let m = lx.block_meter();
    let switch = i.rd == 0 && !crate::region::is_return(&i);
    // Return prediction: a target that is a return point of this region stays
    // inside (the return point's block starts with a deadline check). A
    // `switch` goes straight to the region's jump table, which has them too.
    let returns = if switch { Vec::new() } else { lx.returns.clone() };
    for rp in returns {
        let hit = lx.ins().icmp_imm_s(IntCC::Equal, t, rp as i64);
        let next = lx.b.create_block();
        let blk = lx.block_at(rp).expect("return points are region blocks");
        lx.ins().brif(hit, blk, &[], next, &[]);
        lx.b.switch_to_block(next);
    }
    // Block-end meter: the whole block has retired.
    if switch {
        lx.dispatch_in_region(t);
    }
    lx.leave_indirect(t, m, if switch { gi.pc } else { 0 });
    Flow::Ended
}

/// The condition under which branch `op` is taken.
pub(super) fn branch_cc(op: Op) -> IntCC {
    match op {
        Op::Beq => IntCC::Equal,
        Op::Bne => IntCC::NotEqual,
        Op::Blt => IntCC::SignedLessThan,
        Op::Bge => IntCC::SignedGreaterThanOrEqual,
        Op::Bltu => IntCC::UnsignedLessThan,
        _ => IntCC::UnsignedGreaterThanOrEqual,
    }
}

fn trans_branch(lx: &mut Lx<'_, '_>, gi: &GuestInsn) -> Flow {
    let i = gi.insn;
    let a = lx.x(i.rs1);
    let b = lx.x(i.rs2);
    let cond = lx.b.ins().icmp(branch_cc(i.op), a, b);
    lx.sync_dirty();
    lx.block_meter();
    let tb = lx.target(gi.pc.wrapping_add(i.imm as u64));
    let fb = lx.target(gi.pc.wrapping_add(i.len as u64));
    lx.b.ins().brif(cond, tb, &[], fb, &[]);
    lx.fill_stubs();
    Flow::Ended
}
