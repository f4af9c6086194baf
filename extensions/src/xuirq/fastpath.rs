//! Inline JIT fast path of `uiack` (SPEC §6.4) for bindings that need no
//! device access (doorbells, queues, the user timer): the handler marks its
//! binding served and the run loop re-checks delivery.
//!
//! ```text
//!   b = x[rs1]
//!   guard b < bindings, bound, its handler slot == ctxcur,
//!         not a PLIC source in service (that completes the source: helper)
//!   in_service = 0; xuirq.ack += 1 (and its cycles)
//!   hart.exit |= IRQ_CHECK; leave for pc + 4 (the run loop delivers what is pending)
//! ```
//!
//! `uiret` restores a whole context, `uipi` looks a gate up and may raise a
//! user interrupt in another context, `uirq.bind` is rare: the helper runs them.

use super::{op, state, Binding, Kind, E_ACK, SET};
use crate::common::EventRef;
use crate::xctx;
use cranelift_codegen::ir::condcodes::IntCC;
use cranelift_codegen::ir::{types, InstBuilder};
use mkjit_runtime::hart::{exit, offsets, Priv};
use mkjit_runtime::isa::{Insn, Op};
use mkjit_runtime::machine::Machine;
use mkjit_translator::fastpath::{FastPathCx, InlineFastPath, PreparedFastPath};
use std::mem::{offset_of, size_of};

const I64: types::Type = types::I64;

/// Xuirq's fast paths.
pub struct XuirqFastPath;

/// The instance the extension registers.
pub static FAST_PATH: XuirqFastPath = XuirqFastPath;

/// What the fast path reads from the machine.
#[derive(Clone, Copy)]
struct Prepared {
    /// Address of Xctx's `ctxcur`, when Xctx is enabled (else the helper runs).
    ctxcur: Option<i64>,
    /// Address of the bindings.
    bindings: i64,
    /// Number of bindings.
    n: i64,
    ack: EventRef,
}

impl InlineFastPath for XuirqFastPath {
    fn prepare(&self, m: &Machine) -> Box<dyn PreparedFastPath> {
        let st = state(m);
        let on = crate::common::enabled(m, xctx::SET);
        Box::new(Prepared {
            ctxcur: on.then(|| &xctx::state(m).ctxcur as *const u64 as i64),
            bindings: st.bindings.as_ptr() as i64,
            n: st.bindings.len() as i64,
            ack: st.ctr.event(E_ACK),
        })
    }
}

impl PreparedFastPath for Prepared {
    fn emit(&self, insn: &Insn, fx: &mut FastPathCx<'_, '_, '_>) -> bool {
        let Some(ctxcur) = self.ctxcur else { return false };
        if insn.op != Op::Custom(SET, op::UIACK) || fx.prv() != Priv::U {
            return false;
        }
        let sf = fx.state_flags();
        let b = fx.x(insn.rs1);
        let inside = fx.ins().icmp_imm_s(IntCC::UnsignedLessThan, b, self.n);
        fx.guard(inside);
        let at = fx.ins().imul_imm_s(b, size_of::<Binding>() as i64);
        let base = fx.iconst(self.bindings);
        let bind = fx.ins().iadd(base, at);
        let kind = fx.ins().uload8(I64, sf, bind, offset_of!(Binding, kind) as i32);
        let bound = fx.ins().icmp_imm_s(IntCC::NotEqual, kind, Kind::None as i64);
        fx.guard(bound);
        let slot = fx.ins().load(I64, sf, bind, offset_of!(Binding, slot) as i32);
        let cur = fx.iconst(ctxcur);
        let cur = fx.ins().load(I64, sf, cur, 0);
        fx.guard_eq(slot, cur);
        let plic = fx.ins().icmp_imm_s(IntCC::Equal, kind, Kind::Plic as i64);
        let serving = fx.ins().uload8(I64, sf, bind, offset_of!(Binding, in_service) as i32);
        let plic = fx.ins().uextend(I64, plic);
        let device = fx.ins().band(plic, serving);
        let no_device = fx.ins().icmp_imm_s(IntCC::Equal, device, 0);
        fx.guard(no_device);

        let zero = fx.ins().iconst(types::I8, 0);
        fx.ins().store(sf, zero, bind, offset_of!(Binding, in_service) as i32);
        self.ack.emit(fx);
        let (hf, hart) = (fx.hart_flags(), fx.hart());
        let flags = fx.ins().load(types::I32, hf, hart, offsets::EXIT as i32);
        let flags = fx.ins().bor_imm_s(flags, exit::IRQ_CHECK as i64);
        fx.ins().store(hf, flags, hart, offsets::EXIT as i32);
        let next = fx.iconst(fx.pc().wrapping_add(4) as i64);
        fx.leave_to(next);
        true
    }
}
