//! Inline JIT fast path of `ctx.save` (SPEC §5.3), the first instruction of
//! the codesign kernel's trap vector: with `ctxcur` valid, the trapped
//! context goes into its slot without a helper call.
//!
//! ```text
//!   guard  ctxcur != none               (else the helper raises CTX_SLOT_MISS)
//!   slot = &slots[ctxcur]
//!   image[0]      = sepc (+4 after an environment call, scause 8 or 9)
//!   image[1..32]  = x1..x31              image[32] = satp
//!   image[33]     = image[33] & !3 | sstatus.SPP
//!   image[35..48] = extension registers (0 for disabled extensions)
//!   present = 1;  xctx.save += 1;  cycles += cost(xctx.save)
//! ```
//!
//! Privilege is fixed for compiled code: in U-mode there is no fast path
//! (the helper raises illegal instruction). The other Xctx instructions
//! change the running context (`ctx.restore`, `ctx.switch`: compiled code
//! leaves after them anyway), touch guest memory through the MMU (`ctx.store`,
//! `ctx.load`) or are rare (`ctx.inval`, `ctx.status`): the helper runs them.

use super::slot::{ext_word_enabled, Slot, W_EXT, W_SATP, W_STATUS};
use super::{op, state, E_SAVE, SET};
use crate::common::{regs, EventRef, ThreadRegs, NONE};
use cranelift_codegen::ir::condcodes::IntCC;
use cranelift_codegen::ir::{types, InstBuilder};
use mkjit_runtime::csr::mstatus;
use mkjit_runtime::hart::{Csrs, Hart, Priv};
use mkjit_runtime::isa::{Insn, Op};
use mkjit_runtime::machine::Machine;
use mkjit_translator::fastpath::{FastPathCx, InlineFastPath, PreparedFastPath};
use std::mem::{offset_of, size_of};

const I64: types::Type = types::I64;

/// Xctx's fast paths.
pub struct XctxFastPath;

/// The instance the extension registers.
pub static FAST_PATH: XctxFastPath = XctxFastPath;

/// What the fast path reads from the machine.
#[derive(Clone, Copy)]
struct Prepared {
    /// Address of `ctxcur`.
    ctxcur: i64,
    /// Address of the slots.
    slots: i64,
    /// Address of the thread registers.
    tregs: i64,
    /// Which extension words the enabled sets save.
    on: [bool; 13],
    save: EventRef,
}

impl InlineFastPath for XctxFastPath {
    fn prepare(&self, m: &Machine) -> Box<dyn PreparedFastPath> {
        let st = state(m);
        Box::new(Prepared {
            ctxcur: &st.ctxcur as *const u64 as i64,
            slots: st.slots.as_ptr() as i64,
            tregs: regs(m) as *const ThreadRegs as i64,
            on: ext_word_enabled(m),
            save: st.ctr.event(E_SAVE),
        })
    }
}

impl PreparedFastPath for Prepared {
    fn emit(&self, insn: &Insn, fx: &mut FastPathCx<'_, '_, '_>) -> bool {
        if insn.op != Op::Custom(SET, op::SAVE) || fx.prv() == Priv::U {
            return false;
        }
        let Prepared { ctxcur, slots, tregs, on, save } = *self;
        let (sf, hf, hart) = (fx.state_flags(), fx.hart_flags(), fx.hart());
        let csr = |f: usize| (offset_of!(Hart, csr) + f) as i32;

        let a = fx.iconst(ctxcur);
        let cur = fx.ins().load(I64, sf, a, 0);
        let valid = fx.ins().icmp_imm_s(IntCC::NotEqual, cur, NONE as i64);
        fx.guard(valid);

        let off = fx.ins().imul_imm_s(cur, size_of::<Slot>() as i64);
        let base = fx.iconst(slots);
        let slot = fx.ins().iadd(base, off);
        let img = offset_of!(Slot, image) as i32;
        let word = |w: usize| img + 8 * w as i32;

        let scause = fx.ins().load(I64, hf, hart, csr(offset_of!(Csrs, scause)));
        let sepc = fx.ins().load(I64, hf, hart, csr(offset_of!(Csrs, sepc)));
        let is8 = fx.ins().icmp_imm_s(IntCC::Equal, scause, 8);
        let is9 = fx.ins().icmp_imm_s(IntCC::Equal, scause, 9);
        let ecall = fx.ins().bor(is8, is9);
        let ecall = fx.ins().uextend(I64, ecall);
        let step = fx.ins().ishl_imm_s(ecall, 2);
        let pc = fx.ins().iadd(sepc, step);
        fx.ins().store(sf, pc, slot, word(0));
        for r in 1..32u8 {
            let v = fx.x(r);
            fx.ins().store(sf, v, slot, word(r as usize));
        }
        let satp = fx.ins().load(I64, hf, hart, csr(offset_of!(Csrs, satp)));
        fx.ins().store(sf, satp, slot, word(W_SATP));
        let status = fx.ins().load(I64, sf, slot, word(W_STATUS));
        let status = fx.ins().band_imm_s(status, !3);
        let ms = fx.ins().load(I64, hf, hart, csr(offset_of!(Csrs, mstatus)));
        let spp = fx.ins().ushr_imm_s(ms, mstatus::SPP.trailing_zeros() as i64);
        let spp = fx.ins().band_imm_s(spp, 1);
        let status = fx.ins().bor(status, spp);
        fx.ins().store(sf, status, slot, word(W_STATUS));
        let t = fx.iconst(tregs);
        for (k, &enabled) in on.iter().enumerate() {
            let v = if enabled { fx.ins().load(I64, sf, t, ThreadRegs::WORD_OFFSETS[k] as i32) } else { fx.iconst(0) };
            fx.ins().store(sf, v, slot, word(W_EXT + k));
        }
        let one = fx.ins().iconst(types::I8, 1);
        fx.ins().store(sf, one, slot, offset_of!(Slot, present) as i32);
        save.emit(fx);
        true
    }
}
