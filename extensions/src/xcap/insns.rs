//! Xcap instructions and the capability check (SPEC §7.3, §7.4).

use super::ccc::{CapEntry, CccLine, FastCap};
use super::{
    op, perm, reason, state, state_code, state_mut, XcapState, E_ACCESS, E_CCC_FILL, E_CCC_HIT, E_CCC_MISS, E_DERIVE,
    E_FLUSH, E_QUERY, E_REVOKE, E_WALK, SET,
};
use crate::common::{
    causes, charge_set, cur_asid, phys_check, phys_ld, phys_sd, regs, regs_mut, require_super, set_x, x, R,
};
use mkjit_runtime::isa::{Insn, Op};
use mkjit_runtime::machine::Machine;
use mkjit_runtime::mmu::tlb::BANK_U;
use mkjit_runtime::mmu::Access;
use mkjit_runtime::ram::RAM_BASE;
use mkjit_runtime::trap::Exception;

/// The set's handler.
pub fn handler(m: &mut Machine, i: &Insn, pc: u64) -> R {
    match i.op {
        Op::Custom(_, o @ 0..=6) => load(m, i, pc, o),
        Op::Custom(_, op::LEN) | Op::Custom(_, op::PERM) => query(m, i, pc),
        Op::Custom(_, op::RESTRICT) => derive(m, i, pc, false),
        Op::Custom(_, op::REVOKE) => revoke(m, i, pc),
        Op::Custom(_, op::FLUSH) => flush(m, i, pc),
        Op::Custom(_, o @ 32..=35) => store(m, i, pc, o - 32),
        Op::Custom(_, op::DERIVE) => derive(m, i, pc, true),
        _ => Err(Exception::illegal(i.raw)),
    }
}

fn fault(m: &mut Machine, r: u64, why: u64) -> Exception {
    state_mut(m).capcause = why;
    Exception::new(causes::XCAP_FAULT, r)
}

/// Physical address of table entry `idx`, if the table exists and `idx` is in range.
fn entry_pa(m: &Machine, idx: u64) -> Option<u64> {
    let t = state(m).captbl;
    if t == 0 {
        return None;
    }
    let log2 = t & 63;
    if log2 < 32 && idx >= 1 << log2 {
        return None;
    }
    Some((t & !63).wrapping_add(64 * idx))
}

/// Reads table entry `idx` from memory (hardware read, no CCC).
fn read_entry(m: &mut Machine, pa: u64) -> Result<CapEntry, Exception> {
    phys_check(m, pa, 64, false)?;
    let mut w = [0u64; 6];
    for (k, v) in w.iter_mut().enumerate() {
        *v = phys_ld(m, pa + 8 * k as u64)?;
    }
    Ok(CapEntry::from_words(&w))
}

/// Entry `idx` through the CCC (tagged with the current ASID), filled on a miss.
fn cached_entry(m: &mut Machine, idx: u64, pa: u64) -> Result<CapEntry, Exception> {
    let asid = cur_asid(m);
    if let Some(line) = state(m).ccc.find(asid, idx) {
        let e = line.entry;
        charge_set::<XcapState>(m, SET, E_CCC_HIT);
        return Ok(e);
    }
    charge_set::<XcapState>(m, SET, E_CCC_MISS);
    let e = read_entry(m, pa)?;
    state_mut(m).ccc.insert(CccLine { asid, index: idx, entry: e, page: None });
    charge_set::<XcapState>(m, SET, E_CCC_FILL);
    Ok(e)
}

/// Checks 1–5 of SPEC §7.3 on reference `r`; returns its index and entry.
fn check_ref(m: &mut Machine, r: u64) -> Result<(u64, CapEntry), Exception> {
    let (idx, generation) = (r & 0xffff_ffff, r >> 32);
    let Some(pa) = entry_pa(m, idx) else {
        return Err(fault(m, r, reason::BAD_INDEX));
    };
    let e = cached_entry(m, idx, pa)?;
    if e.state != state_code::VALID {
        return Err(fault(m, r, reason::INVALID));
    }
    if e.generation != generation {
        return Err(fault(m, r, reason::STALE));
    }
    if e.owner != cur_asid(m) {
        return Err(fault(m, r, reason::NOT_OWNER));
    }
    if e.root_index != idx {
        let root = match entry_pa(m, e.root_index) {
            Some(rpa) => cached_entry(m, e.root_index, rpa)?,
            None => return Err(fault(m, r, reason::STALE)),
        };
        if root.state != state_code::VALID || root.generation != e.root_gen {
            return Err(fault(m, r, reason::STALE));
        }
    }
    Ok((idx, e))
}

/// Full check for an access of `size` bytes at `off` needing `need`; returns (index, entry).
fn check_access(m: &mut Machine, r: u64, off: u64, size: u64, need: u64) -> Result<(u64, CapEntry), Exception> {
    let (idx, e) = check_ref(m, r)?;
    if e.perms & need != need {
        return Err(fault(m, r, reason::PERM));
    }
    if off.checked_add(size).is_none_or(|end| end > e.length) {
        return Err(fault(m, r, reason::BOUNDS));
    }
    if e.base.wrapping_add(off) % size != 0 {
        return Err(fault(m, r, reason::MISALIGNED));
    }
    Ok((idx, e))
}

/// Translates `va` in the entry's target space (user permissions), using the CCC line's page.
fn target_pa(m: &mut Machine, r: u64, idx: u64, e: &CapEntry, va: u64, write: bool) -> Result<u64, Exception> {
    let page_fault = |m: &mut Machine| {
        let st = state_mut(m);
        st.capva = va;
        st.capcause = if write { 2 } else { 1 };
        Exception::new(causes::XCAP_PAGE, r)
    };
    if e.satp >> 60 == 0 {
        return Ok(va);
    }
    let asid = cur_asid(m);
    let vpage = va & !0xfff;
    if let Some(line) = state(m).ccc.find(asid, idx) {
        if let Some((vp, pp, w)) = line.page {
            if vp == vpage && (w || !write) {
                return Ok(pp | (va & 0xfff));
            }
        }
    }
    let access = if write { Access::Write } else { Access::Read };
    let t = match m.walk_satp(e.satp, va, access, BANK_U) {
        Ok(t) => t,
        Err(_) => return Err(page_fault(m)),
    };
    charge_set::<XcapState>(m, SET, E_WALK);
    let writable = t.flags & 4 != 0 && t.flags & 128 != 0;
    state_mut(m).ccc.set_page(asid, idx, (vpage, t.paddr & !0xfff, writable));
    Ok(t.paddr)
}

fn load(m: &mut Machine, i: &Insn, pc: u64, width: u16) -> R {
    let (r, off) = (x(m, i.rs1), x(m, i.rs2));
    let size = 1u64 << (width & 3);
    let (idx, e) = check_access(m, r, off, size, perm::R)?;
    let va = e.base.wrapping_add(off);
    let pa = target_pa(m, r, idx, &e, va, false)?;
    let Some(v) = m.phys_load(pa, size) else {
        let st = state_mut(m);
        st.capva = va;
        st.capcause = 1;
        return Err(Exception::new(causes::XCAP_PAGE, r));
    };
    let v = match width {
        0 => v as u8 as i8 as i64 as u64,
        1 => v as u16 as i16 as i64 as u64,
        2 => v as u32 as i32 as i64 as u64,
        _ => v,
    };
    charge_set::<XcapState>(m, SET, E_ACCESS);
    note_fast(m, idx, &e);
    set_x(m, i.rd, v);
    Ok(pc + 4)
}

fn store(m: &mut Machine, i: &Insn, pc: u64, width: u16) -> R {
    let (r, off, v) = (x(m, i.rs1), x(m, i.rs2), x(m, i.rs3));
    let size = 1u64 << width;
    let (idx, e) = check_access(m, r, off, size, perm::W)?;
    let va = e.base.wrapping_add(off);
    let pa = target_pa(m, r, idx, &e, va, true)?;
    if !m.phys_store(pa, size, v) {
        let st = state_mut(m);
        st.capva = va;
        st.capcause = 2;
        return Err(Exception::new(causes::XCAP_PAGE, r));
    }
    charge_set::<XcapState>(m, SET, E_ACCESS);
    note_fast(m, idx, &e);
    Ok(pc + 4)
}

/// After an access through entry `idx` succeeded: records its shadow entry
/// if the entry, its root and its page are all in the CCC now (the next
/// access through it then hits all three, see `ccc`).
fn note_fast(m: &mut Machine, idx: u64, e: &CapEntry) {
    if e.satp >> 60 == 0 {
        return;
    }
    let asid = cur_asid(m);
    let st = state(m);
    let Some(line) = st.ccc.find(asid, idx) else { return };
    let Some((vpage, ppage, writable)) = line.page else { return };
    let separate_root = e.root_index != idx;
    if line.entry != *e || (separate_root && st.ccc.find(asid, e.root_index).is_none()) {
        return;
    }
    if !m.bus.ram.contains(ppage, 4096) {
        return;
    }
    let hits = 1 + separate_root as u64;
    let cycles = hits * st.ctr.costs[E_CCC_HIT] + st.ctr.costs[E_ACCESS];
    let off = ppage - RAM_BASE;
    let host_page = m.bus.ram.host_base() as u64 + off;
    let slow_store = if writable { m.bus.slow_store_map() as u64 + (off >> 12) } else { 0 };
    let f = FastCap {
        tag: asid << 32 | idx,
        generation: e.generation,
        perms: e.perms,
        length: e.length,
        base: e.base,
        vpage,
        host_page,
        slow_store,
        hits,
        cycles,
    };
    state_mut(m).ccc.set_fast(idx, f);
}

/// `cap.len` / `cap.perm`.
fn query(m: &mut Machine, i: &Insn, pc: u64) -> R {
    let (_, e) = check_ref(m, x(m, i.rs1))?;
    let v = if i.op == Op::Custom(SET, op::LEN) { e.length } else { e.perms };
    charge_set::<XcapState>(m, SET, E_QUERY);
    set_x(m, i.rd, v);
    Ok(pc + 4)
}

/// `cap.derive` (bounds) and `cap.restrict` (permissions).
fn derive(m: &mut Machine, i: &Insn, pc: u64, bounds: bool) -> R {
    let src = x(m, i.rs1);
    let (_, e) = check_ref(m, src)?;
    if e.perms & perm::D == 0 {
        return Err(fault(m, src, reason::PERM));
    }
    let (off, len, perms) =
        if bounds { (x(m, i.rs2), x(m, i.rs3), e.perms) } else { (0, e.length, e.perms & x(m, i.rs2)) };
    if bounds && (len == 0 || off.checked_add(len).is_none_or(|end| end > e.length)) {
        return Err(fault(m, src, reason::BOUNDS));
    }
    let asid = cur_asid(m);
    let spare_idx = regs(m).capspare;
    let nospare = Exception::new(causes::XCAP_NOSPARE, src);
    let Some(spa) = entry_pa(m, spare_idx) else { return Err(nospare) };
    let spare = read_entry(m, spa)?;
    if spare.state != state_code::SPARE || spare.owner != asid {
        return Err(nospare);
    }
    let child = CapEntry {
        base: e.base.wrapping_add(off),
        length: len,
        satp: e.satp,
        generation: spare.generation,
        perms,
        state: state_code::VALID,
        owner: asid,
        root_index: e.root_index,
        root_gen: e.root_gen,
        next: 0,
    };
    phys_check(m, spa, 64, true)?;
    for (k, w) in child.to_words().iter().enumerate() {
        phys_sd(m, spa + 8 * k as u64, *w)?;
    }
    state_mut(m).ccc.flush(Some(spare_idx));
    regs_mut(m).capspare = spare.next;
    charge_set::<XcapState>(m, SET, E_DERIVE);
    set_x(m, i.rd, child.generation << 32 | spare_idx);
    Ok(pc + 4)
}

/// `cap.revoke rs1`.
fn revoke(m: &mut Machine, i: &Insn, pc: u64) -> R {
    require_super(m, i)?;
    let idx = x(m, i.rs1);
    let Some(pa) = entry_pa(m, idx) else { return Err(Exception::illegal(i.raw)) };
    let mut e = read_entry(m, pa)?;
    e.generation = (e.generation + 1) & 0xffff_ffff;
    e.state = state_code::INVALID;
    phys_check(m, pa, 64, true)?;
    let w = e.to_words();
    phys_sd(m, pa + 24, w[3])?;
    state_mut(m).ccc.flush(None);
    charge_set::<XcapState>(m, SET, E_REVOKE);
    Ok(pc + 4)
}

/// `cap.flush rs1`.
fn flush(m: &mut Machine, i: &Insn, pc: u64) -> R {
    require_super(m, i)?;
    let idx = (i.rs1 != 0).then(|| x(m, i.rs1));
    state_mut(m).ccc.flush(idx);
    charge_set::<XcapState>(m, SET, E_FLUSH);
    Ok(pc + 4)
}
