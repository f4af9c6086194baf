//! Instructions run through their reference handler: Zicsr, `ecall`,
//! `ebreak`, `mret`, `sret`, `wfi`, `sfence.vma`, `fence.i`, the A extension,
//! custom instructions and illegal encodings.
//!
//! The handler reads `rs1`/`rs2`/`rs3` from `hart.x` and may write `rd`, so
//! those are stored before the call and `rd` is reloaded after it. The clock
//! is stored as the interpreter would have it. After the call: a trap goes to
//! the trap exit; a changed `hart.exit`, a non-sequential next pc, or an
//! instruction that always leaves (`mret`, `sret`) ends the region after it.

use super::{Flow, Lx};
use crate::region::GuestInsn;
use cranelift_codegen::ir::condcodes::IntCC;
use cranelift_codegen::ir::InstBuilder;
use mkjit_runtime::isa::Op;

pub(super) fn exec(lx: &mut Lx<'_, '_>, gi: &GuestInsn) -> Flow {
    let i = gi.insn;
    lx.sync_clock();
    for r in [i.rs1, i.rs2, i.rs3, i.rd] {
        lx.spill(r);
    }
    let next = lx.call_exec(gi);
    lx.check_trapped();
    lx.reload(i.rd);
    if matches!(i.op, Op::Mret | Op::Sret | Op::Ecall | Op::Ebreak | Op::Jal | Op::Jalr) || i.op.is_branch() {
        lx.exit_after(next);
        return Flow::Ended;
    }
    let flags = lx.exit_flags();
    let seq = gi.pc.wrapping_add(i.len as u64);
    let jumped = lx.ins().icmp_imm_s(IntCC::NotEqual, next, seq as i64);
    let jumped = lx.ins().uextend(super::I64, jumped);
    let leave = lx.ins().bor(flags, jumped);
    lx.exit_after_if(leave, next);
    Flow::Next
}
