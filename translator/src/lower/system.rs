//! Instructions run through their reference handler: Zicsr, floating-point
//! arithmetic, comparisons and conversions, `ecall`,
//! `ebreak`, `mret`, `sret`, `wfi`, `sfence.vma`, `fence.i`, custom
//! instructions without a fast path, and illegal encodings.
//!
//! The handler reads `rs1`/`rs2`/`rs3` from `hart.x` and may write `rd`, so
//! those are stored before the call and `rd` is reloaded after it (the
//! integer ones: floating-point registers always live in `hart.f`); an
//! instruction whose row declares `RegEffects::All` (context switches, gate
//! calls) has every register stored before and reloaded after. The clock
//! is stored as the interpreter would have it. The helper decides whether the
//! region must be left after the instruction (trap, control transfer such as
//! `mret`, or `hart.exit` set) and then makes `pc` and `clock` final.

use super::{Flow, Lx};
use crate::region::GuestInsn;

pub(super) fn exec(lx: &mut Lx<'_, '_>, gi: &GuestInsn) -> Flow {
    lx.sync_clock();
    let regs: Vec<u8> = if gi.all_regs { (1..32).collect() } else { gi.int_sources().chain([gi.int_dest()]).collect() };
    for &r in &regs {
        lx.spill(r);
    }
    let leave = lx.call_exec(gi);
    if gi.all_regs {
        for r in 1..32 {
            lx.reload(r);
        }
    } else {
        lx.reload(gi.int_dest());
    }
    lx.leave_if(leave);
    lx.resync_cycles();
    Flow::Next
}
