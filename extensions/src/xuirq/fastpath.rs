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
use crate::xctx;
use cranelift_codegen::ir::condcodes::IntCC;
use cranelift_codegen::ir::{types, InstBuilder};
use mkjit_runtime::hart::{exit, offsets, Priv};
use mkjit_runtime::isa::{Insn, Op};
use mkjit_runtime::machine::Machine;
use mkjit_translator::fastpath::{FastPathCx, InlineFastPath};
use std::mem::{offset_of, size_of};

const I64: types::Type = types::I64;

/// Xuirq's fast paths.
pub struct XuirqFastPath;

/// The instance the extension registers.
pub static FAST_PATH: XuirqFastPath = XuirqFastPath;

impl InlineFastPath for XuirqFastPath {
    fn emit(&self, m: &Machine, insn: &Insn, fx: &mut FastPathCx<'_, '_, '_>) -> bool {
        if insn.op != Op::Custom(SET, op::UIACK) || fx.prv() != Priv::U || !crate::common::enabled(m, xctx::SET) {
            return false;
        }
        let st = state(m);
        let sf = fx.state_flags();
        let b = fx.x(insn.rs1);
        let inside = fx.ins().icmp_imm_s(IntCC::UnsignedLessThan, b, st.bindings.len() as i64);
        fx.guard(inside);
        let at = fx.ins().imul_imm_s(b, size_of::<Binding>() as i64);
        let base = fx.iconst(st.bindings.as_ptr() as i64);
        let bind = fx.ins().iadd(base, at);
        let kind = fx.ins().uload8(I64, sf, bind, offset_of!(Binding, kind) as i32);
        let bound = fx.ins().icmp_imm_s(IntCC::NotEqual, kind, Kind::None as i64);
        fx.guard(bound);
        let slot = fx.ins().load(I64, sf, bind, offset_of!(Binding, slot) as i32);
        let cur = fx.iconst(&xctx::state(m).ctxcur as *const u64 as i64);
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
        st.ctr.emit_hit(fx, E_ACK);
        let (hf, hart) = (fx.hart_flags(), fx.hart());
        let flags = fx.ins().load(types::I32, hf, hart, offsets::EXIT as i32);
        let flags = fx.ins().bor_imm_s(flags, exit::IRQ_CHECK as i64);
        fx.ins().store(hf, flags, hart, offsets::EXIT as i32);
        let next = fx.iconst(fx.pc().wrapping_add(4) as i64);
        fx.leave_to(next);
        true
    }
}
