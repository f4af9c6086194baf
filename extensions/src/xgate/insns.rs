//! Xgate instructions: reference semantics (SPEC §2.4).

use super::clb::{lookup, Gate, GateKind};
use super::{
    op, state_mut, XgateState, E_CLB_FILL, E_FLUSH, E_GCALL, E_GRET, E_LINK_POP, E_LINK_PUSH, E_SATP_SWITCH,
    LINK_VALID, SET,
};
use crate::common::{
    self, asid_of, causes, charge_set, cur_asid, load_words, regs, regs_mut, require_super, require_user, switch_satp,
    x, R,
};
use mkjit_runtime::isa::{Insn, Op};
use mkjit_runtime::machine::Machine;
use mkjit_runtime::trap::Exception;

/// The set's handler: dispatches on the operation.
pub fn handler(m: &mut Machine, i: &Insn, pc: u64) -> R {
    match i.op {
        Op::Custom(_, op::GCALL) => gcall(m, i, pc),
        Op::Custom(_, op::GRET) => gret(m, i, pc),
        Op::Custom(_, op::GFILL) => gfill(m, i, pc),
        Op::Custom(_, op::GFLUSH) => gflush(m, i, pc),
        _ => Err(Exception::illegal(i.raw)),
    }
}

/// `satp` as the hart would hold it after a switch to `v` (WARL), if `v` is a
/// translated mode a call gate may name.
pub(crate) fn gate_satp(v: u64) -> Option<u64> {
    let mode = v >> 60;
    if !matches!(mode, 8 | 9) {
        return None;
    }
    let asid_mask = ((1u64 << mkjit_runtime::mmu::tlb::ASID_BITS) - 1) << 44;
    Some((v & (0xf << 60)) | (v & asid_mask) | (v & ((1 << 44) - 1)))
}

/// `gcall rs1`.
pub fn gcall(m: &mut Machine, i: &Insn, pc: u64) -> R {
    require_user(m, i)?;
    let index = x(m, i.rs1);
    let g: Gate = lookup(m, index)?;
    let Some(target_satp) = gate_satp(g.satp).filter(|_| g.kind == GateKind::Sync) else {
        return Err(Exception::new(causes::GATE_KIND, index));
    };
    let r = *regs(m);
    let lsp = r.lsp;
    if !lsp.is_multiple_of(64) || lsp < r.lsbase || lsp.checked_add(64).is_none_or(|end| end > r.lslimit) {
        return Err(Exception::new(causes::LINK_OVERFLOW, index));
    }
    common::phys_check(m, lsp, 64, true)?;
    // Nothing below can fault: commit.
    let caller_satp = m.hart.csr.satp;
    let moved = crate::xline::hand_over(m, r.xlgive, cur_asid(m), asid_of(target_satp));
    let record =
        [caller_satp, pc.wrapping_add(4), r.gtp, target_satp, r.gbadge, m.hart.x[2], moved | LINK_VALID, index];
    for (k, w) in record.iter().enumerate() {
        common::phys_sd(m, lsp + 8 * k as u64, *w).expect("link stack checked to be RAM");
    }
    let t = regs_mut(m);
    t.lsp = lsp + 64;
    t.gtp = g.gtp;
    t.gbadge = g.badge;
    t.xlgive = 0;
    let depth = (t.lsp - t.lsbase) / 64;
    switch_satp(m, target_satp);
    m.hart.reservation = u64::MAX;
    let st = state_mut(m);
    st.max_depth = st.max_depth.max(depth);
    for e in [E_GCALL, E_LINK_PUSH, E_SATP_SWITCH] {
        charge_set::<XgateState>(m, SET, e);
    }
    Ok(g.pc)
}

/// `gret`.
pub fn gret(m: &mut Machine, i: &Insn, _pc: u64) -> R {
    require_user(m, i)?;
    let r = *regs(m);
    let lsp = r.lsp;
    if !lsp.is_multiple_of(64) || lsp <= r.lsbase || lsp > r.lslimit {
        return Err(Exception::new(causes::LINK_UNDERFLOW, lsp));
    }
    let rec = lsp - 64;
    common::phys_check(m, rec, 64, false)?;
    let mut w = [0u64; 8];
    for (k, word) in w.iter_mut().enumerate() {
        *word = common::phys_ld(m, rec + 8 * k as u64)?;
    }
    if w[6] & LINK_VALID == 0 || w[3] != m.hart.csr.satp {
        return Err(Exception::new(causes::LINK_FOREIGN, rec));
    }
    crate::xline::hand_back(m, w[6] & 0xffff, cur_asid(m), asid_of(w[0]));
    let t = regs_mut(m);
    t.lsp = rec;
    t.gtp = w[2];
    t.gbadge = w[4];
    m.hart.x[2] = w[5];
    switch_satp(m, w[0]);
    m.hart.reservation = u64::MAX;
    for e in [E_GRET, E_LINK_POP, E_SATP_SWITCH] {
        charge_set::<XgateState>(m, SET, e);
    }
    Ok(w[1])
}

/// `gfill rs1, rs2`.
pub fn gfill(m: &mut Machine, i: &Insn, pc: u64) -> R {
    require_super(m, i)?;
    let index = x(m, i.rs1);
    let w = load_words(m, x(m, i.rs2), 8)?;
    let (asid, g) = Gate::from_words(&w);
    state_mut(m).clb.fill(asid, index, g);
    charge_set::<XgateState>(m, SET, E_CLB_FILL);
    Ok(pc + 4)
}

/// `gflush rs1, rs2`.
pub fn gflush(m: &mut Machine, i: &Insn, pc: u64) -> R {
    require_super(m, i)?;
    let index = (i.rs1 != 0).then(|| x(m, i.rs1));
    let asid = (i.rs2 != 0).then(|| x(m, i.rs2) & 0xffff);
    state_mut(m).clb.flush(index, asid);
    charge_set::<XgateState>(m, SET, E_FLUSH);
    Ok(pc + 4)
}
