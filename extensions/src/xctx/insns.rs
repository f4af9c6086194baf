//! Xctx instructions: reference semantics (SPEC §5.3).

use super::slot::{restore, save_running, Slot, IMAGE_WORDS, W_STATUS};
use super::{op, state, state_mut, XctxState, E_INVAL, E_LOAD, E_SLOT_MISS, E_STATUS, E_STORE, E_SWITCH, SET};
use crate::common::{
    causes, charge_set, load_words, probe_store, require_super, set_spp, set_x, spp, store_words, x, NONE, R,
};
use mkjit_runtime::csr::mstatus;
use mkjit_runtime::hart::{exit, Priv};
use mkjit_runtime::isa::{Insn, Op};
use mkjit_runtime::machine::Machine;
use mkjit_runtime::trap::{cause, Exception};

/// The set's handler.
pub fn handler(m: &mut Machine, i: &Insn, pc: u64) -> R {
    match i.op {
        Op::Custom(_, op::SAVE) => save(m, i, pc),
        Op::Custom(_, op::RESTORE) => restore_insn(m, i, pc),
        Op::Custom(_, op::SWITCH) => switch(m, i, pc),
        Op::Custom(_, op::STORE) => store(m, i, pc),
        Op::Custom(_, op::LOAD) => load(m, i, pc),
        Op::Custom(_, op::INVAL) => inval(m, i, pc),
        Op::Custom(_, op::STATUS) => status(m, i, pc),
        _ => Err(Exception::illegal(i.raw)),
    }
}

/// The slot number in `rs1` for an S instruction: illegal if out of range.
fn slot_operand(m: &Machine, i: &Insn) -> Result<usize, Exception> {
    let s = x(m, i.rs1);
    if s < state(m).slots.len() as u64 {
        Ok(s as usize)
    } else {
        Err(Exception::illegal(i.raw))
    }
}

/// `CTX_SLOT_MISS` for slot value `s`, counted.
pub fn slot_miss(m: &mut Machine, s: u64) -> Exception {
    charge_set::<XctxState>(m, SET, E_SLOT_MISS);
    Exception::new(causes::CTX_SLOT_MISS, s)
}

/// `ctx.save`.
fn save(m: &mut Machine, i: &Insn, pc: u64) -> R {
    require_super(m, i)?;
    let cur = state(m).ctxcur;
    if cur == NONE {
        return Err(slot_miss(m, cur));
    }
    // Environment calls resume after the ecall (as a kernel completing a syscall does).
    let c = m.hart.csr.scause;
    let is_ecall = c == cause::ECALL_U || c == cause::ECALL_S;
    let sepc = m.hart.csr.sepc.wrapping_add(if is_ecall { 4 } else { 0 });
    let prv = spp(m);
    save_running(m, cur as usize, sepc, prv);
    Ok(pc + 4)
}

/// `ctx.restore rs1`.
fn restore_insn(m: &mut Machine, i: &Insn, pc: u64) -> R {
    require_super(m, i)?;
    let s = slot_operand(m, i)?;
    if !state(m).slots[s].present {
        return Err(slot_miss(m, s as u64));
    }
    let (spc, prv) = restore(m, s);
    m.hart.csr.sepc = spc & !1;
    set_spp(m, prv);
    Ok(pc + 4)
}

/// `ctx.switch rs1`.
fn switch(m: &mut Machine, i: &Insn, pc: u64) -> R {
    let s = x(m, i.rs1);
    if m.hart.prv == Priv::U {
        let st = state(m);
        let n = st.slots.len() as u64;
        let cur = st.ctxcur;
        let allowed = cur < n && s < n && {
            let (c, t) = (&st.slots[cur as usize], &st.slots[s as usize]);
            c.group() != 0 && t.present && t.group() == c.group() && t.prv() == Priv::U
        };
        if !allowed {
            return Err(slot_miss(m, s));
        }
        save_running(m, cur as usize, pc + 4, Priv::U);
        let (npc, _) = restore(m, s as usize);
        charge_set::<XctxState>(m, SET, E_SWITCH);
        return Ok(npc);
    }
    let s = slot_operand(m, i)?;
    if !state(m).slots[s].present {
        return Err(slot_miss(m, s as u64));
    }
    let (npc, prv) = restore(m, s);
    // sret: SIE := SPIE, SPIE := 1, SPP := U, MPRV := 0, privilege := the slot's.
    let h = &mut *m.hart;
    let ms = h.csr.mstatus;
    let mut new = ms & !(mstatus::SIE | mstatus::SPP | mstatus::MPRV);
    if ms & mstatus::SPIE != 0 {
        new |= mstatus::SIE;
    }
    h.csr.mstatus = new | mstatus::SPIE;
    h.prv = prv;
    h.update_mmu_mode();
    h.exit |= exit::IRQ_CHECK;
    charge_set::<XctxState>(m, SET, E_SWITCH);
    Ok(npc)
}

/// `ctx.store rs1, rs2`.
fn store(m: &mut Machine, i: &Insn, pc: u64) -> R {
    require_super(m, i)?;
    let s = slot_operand(m, i)?;
    let va = x(m, i.rs2);
    if !va.is_multiple_of(64) {
        return Err(Exception::new(cause::STORE_MISALIGNED, va));
    }
    probe_store(m, va, 8 * IMAGE_WORDS as u64)?;
    let slot = &state(m).slots[s];
    let image = if slot.present { slot.image } else { [0; IMAGE_WORDS] };
    store_words(m, va, &image)?;
    charge_set::<XctxState>(m, SET, E_STORE);
    Ok(pc + 4)
}

/// `ctx.load rs1, rs2`.
fn load(m: &mut Machine, i: &Insn, pc: u64) -> R {
    require_super(m, i)?;
    let s = slot_operand(m, i)?;
    let va = x(m, i.rs2);
    if !va.is_multiple_of(64) {
        return Err(Exception::new(cause::LOAD_MISALIGNED, va));
    }
    let w = load_words(m, va, IMAGE_WORDS)?;
    let mut image = [0u64; IMAGE_WORDS];
    image.copy_from_slice(&w);
    // Privilege values other than S load as U.
    if image[W_STATUS] & 3 != 1 {
        image[W_STATUS] &= !3;
    }
    state_mut(m).slots[s] = Slot { present: true, image };
    charge_set::<XctxState>(m, SET, E_LOAD);
    Ok(pc + 4)
}

/// `ctx.inval rs1`.
fn inval(m: &mut Machine, i: &Insn, pc: u64) -> R {
    require_super(m, i)?;
    let s = slot_operand(m, i)?;
    state_mut(m).slots[s].present = false;
    charge_set::<XctxState>(m, SET, E_INVAL);
    Ok(pc + 4)
}

/// `ctx.status rd, rs1`.
fn status(m: &mut Machine, i: &Insn, pc: u64) -> R {
    require_super(m, i)?;
    let s = slot_operand(m, i)?;
    let v = state(m).slots[s].status_word();
    set_x(m, i.rd, v);
    charge_set::<XctxState>(m, SET, E_STATUS);
    Ok(pc + 4)
}
