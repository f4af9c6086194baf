//! Inline JIT fast path of `xline.give` (SPEC §4.4), which user code runs
//! before every call that hands a window over: a check of the window and a
//! bit set in `xlgive`.
//!
//! ```text
//!   w = x[rs1]
//!   guard w < windows, windows[w] valid, owned by the current ASID, giveable
//!   xlgive |= 1 << w;  xline.give += 1;  cycles += cost(xline.give)
//! ```
//!
//! U-mode only (elsewhere the helper raises illegal instruction); a failed
//! guard runs the helper, which raises `XLINE_GIVE`. `xline.set` (S-mode,
//! rare) runs on the helper; window accesses are ordinary loads and stores,
//! which the translate hook serves out of line.

use super::{op, state, Window, E_GIVE, SET};
use crate::common::{regs, EventRef, ThreadRegs};
use cranelift_codegen::ir::condcodes::IntCC;
use cranelift_codegen::ir::{types, InstBuilder};
use mkjit_runtime::hart::Priv;
use mkjit_runtime::isa::{Insn, Op};
use mkjit_runtime::machine::Machine;
use mkjit_translator::fastpath::{FastPathCx, InlineFastPath, PreparedFastPath};
use std::mem::{offset_of, size_of};

const I64: types::Type = types::I64;

/// Xline's fast paths.
pub struct XlineFastPath;

/// The instance the extension registers.
pub static FAST_PATH: XlineFastPath = XlineFastPath;

/// What the fast path reads from the machine.
#[derive(Clone, Copy)]
struct Prepared {
    /// Address of the windows.
    windows: i64,
    /// Number of windows.
    n: i64,
    /// Address of `xlgive`.
    xlgive: i64,
    give: EventRef,
}

impl InlineFastPath for XlineFastPath {
    fn prepare(&self, m: &Machine) -> Box<dyn PreparedFastPath> {
        let st = state(m);
        Box::new(Prepared {
            windows: st.windows.as_ptr() as i64,
            n: st.windows.len() as i64,
            xlgive: (regs(m) as *const ThreadRegs as usize + offset_of!(ThreadRegs, xlgive)) as i64,
            give: st.ctr.event(E_GIVE),
        })
    }
}

impl PreparedFastPath for Prepared {
    fn emit(&self, insn: &Insn, fx: &mut FastPathCx<'_, '_, '_>) -> bool {
        if insn.op != Op::Custom(SET, op::GIVE) || fx.prv() != Priv::U {
            return false;
        }
        let Prepared { windows, n, xlgive, give } = *self;
        let sf = fx.state_flags();

        let w = fx.x(insn.rs1);
        let inside = fx.ins().icmp_imm_s(IntCC::UnsignedLessThan, w, n);
        fx.guard(inside);
        let at = fx.ins().imul_imm_s(w, size_of::<Window>() as i64);
        let base = fx.iconst(windows);
        let win = fx.ins().iadd(base, at);
        let valid = fx.ins().uload8(I64, sf, win, offset_of!(Window, valid) as i32);
        fx.guard(valid);
        let giveable = fx.ins().uload8(I64, sf, win, offset_of!(Window, g) as i32);
        fx.guard(giveable);
        let owner = fx.ins().load(I64, sf, win, offset_of!(Window, owner) as i32);
        let asid = fx.asid();
        fx.guard_eq(owner, asid);

        let one = fx.iconst(1);
        let bit = fx.ins().ishl(one, w);
        let a = fx.iconst(xlgive);
        let g = fx.ins().load(I64, sf, a, 0);
        let g = fx.ins().bor(g, bit);
        fx.ins().store(sf, g, a, 0);
        give.emit(fx);
        true
    }
}
