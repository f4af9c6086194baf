//! Inline JIT fast paths of `gcall` and `gret` (SPEC §2.4): a gate call or
//! return within one translation mode, with the gate in the CLB (`gcall`)
//! and the link stack in RAM.
//!
//! ```text
//!   gcall rs1                                 gret
//!   f = &shadow[slot(ASID, x[rs1])]           lsp, lsbase, lslimit as for a pop
//!   guard f.tag == ASID << 32 | x[rs1]        rec = lsp - 64 in RAM
//!   guard lsp aligned, record fits, in RAM,   guard rec VALID, rec.callee satp == satp,
//!         page holds no translated code             same satp MODE
//!   guard same satp MODE
//!   windows in xlgive move to the callee      windows in rec move back to the caller
//!   write the record; lsp += 64; gtp, gbadge  lsp = rec; gtp, gbadge, sp from rec
//!   satp, TLB keys and salts := the target's; reservation cleared
//!   count and charge the helper's events; leave for f.pc / rec.return pc
//! ```
//!
//! The shadow (`clb.rs`) holds the SYNC gates the CLB holds, rebuilt at
//! every CLB change. Anything the guards do not cover (a CLB miss, a walk, a
//! link stack fault, a mode change) runs the helper. Window moves are
//! `xline::hand_over`/`hand_back` unrolled over the windows. Both
//! instructions end compiled code's run through the jump cache, as the
//! helper does; what the fast path saves is the call, the CLB search and the
//! helper's bookkeeping.

use super::clb::{FastGate, FAST_GATES, FAST_SLOT_MUL};
use super::{op, state, E_CLB_HIT, E_GCALL, E_GRET, E_LINK_POP, E_LINK_PUSH, E_SATP_SWITCH, LINK_VALID, SET};
use crate::common::{regs, EventRef, ThreadRegs};
use crate::xline::Window;
use cranelift_codegen::ir::condcodes::IntCC;
use cranelift_codegen::ir::{types, InstBuilder, Value};
use mkjit_runtime::hart::{offsets, Csrs, Hart, Priv};
use mkjit_runtime::isa::{Insn, Op};
use mkjit_runtime::machine::Machine;
use mkjit_runtime::mmu::tlb::{self, ASID_BITS};
use mkjit_runtime::ram::RAM_BASE;
use mkjit_translator::fastpath::{FastPathCx, InlineFastPath, PreparedFastPath};
use std::mem::{offset_of, size_of};

const I64: types::Type = types::I64;

/// Xgate's fast paths.
pub struct XgateFastPath;

/// The instance the extension registers.
pub static FAST_PATH: XgateFastPath = XgateFastPath;

/// What the fast paths read from the machine: addresses and constants.
struct Prepared {
    tregs: i64,
    ram_size: u64,
    host_offset: i64,
    slow_map: i64,
    /// Address of the CLB's shadow.
    shadow: i64,
    /// Address of the link stack's deepest depth.
    max_depth: i64,
    /// The events, by number.
    events: Vec<EventRef>,
    /// How to move windows; `None` when Xline is off (nothing moves).
    handoff: Option<crate::xline::HandoffLayout>,
}

/// What both fast paths use: the prepared values and the code's flags and hart.
struct Env<'p> {
    p: &'p Prepared,
    sf: cranelift_codegen::ir::MemFlagsData,
    hf: cranelift_codegen::ir::MemFlagsData,
    gf: cranelift_codegen::ir::MemFlagsData,
    hart: Value,
}

fn csr_at(f: usize) -> i32 {
    (offset_of!(Hart, csr) + f) as i32
}

fn treg(f: usize) -> i32 {
    f as i32
}

impl InlineFastPath for XgateFastPath {
    fn prepare(&self, m: &Machine) -> Box<dyn PreparedFastPath> {
        let st = state(m);
        let events = (0..st.ctr.counts.len()).map(|ev| st.ctr.event(ev)).collect();
        Box::new(Prepared {
            tregs: regs(m) as *const ThreadRegs as i64,
            ram_size: m.bus.ram.size(),
            host_offset: m.bus.ram.host_offset() as i64,
            slow_map: m.bus.slow_store_map() as i64,
            shadow: st.clb.fast_base() as i64,
            max_depth: &st.max_depth as *const u64 as i64,
            events,
            handoff: crate::xline::handoff_layout(m),
        })
    }
}

impl PreparedFastPath for Prepared {
    fn emit(&self, insn: &Insn, fx: &mut FastPathCx<'_, '_, '_>) -> bool {
        if fx.prv() != Priv::U {
            return false;
        }
        let e = Env { p: self, sf: fx.state_flags(), hf: fx.hart_flags(), gf: fx.guest_flags(), hart: fx.hart() };
        match insn.op {
            Op::Custom(SET, op::GCALL) => gcall(insn, fx, &e),
            Op::Custom(SET, op::GRET) => gret(fx, &e),
            _ => return false,
        }
        true
    }
}

/// The link-stack registers, loaded (`t`: the thread registers' address).
struct LinkStack {
    t: Value,
    lsp: Value,
    lsbase: Value,
    lslimit: Value,
}

/// Loads the link-stack registers and guards that `lsp` is 64-byte aligned.
fn link_stack(fx: &mut FastPathCx<'_, '_, '_>, e: &Env) -> LinkStack {
    let sf = e.sf;
    let t = fx.iconst(e.p.tregs);
    let lsp = fx.ins().load(I64, sf, t, treg(offset_of!(ThreadRegs, lsp)));
    let lsbase = fx.ins().load(I64, sf, t, treg(offset_of!(ThreadRegs, lsbase)));
    let lslimit = fx.ins().load(I64, sf, t, treg(offset_of!(ThreadRegs, lslimit)));
    let mis = fx.ins().band_imm_s(lsp, 63);
    let aligned = fx.ins().icmp_imm_s(IntCC::Equal, mis, 0);
    fx.guard(aligned);
    LinkStack { t, lsp, lsbase, lslimit }
}

/// Guards that `addr` (64-byte aligned) starts 64 bytes of RAM; returns its host address.
fn ram64(fx: &mut FastPathCx<'_, '_, '_>, e: &Env, addr: Value) -> Value {
    let off = fx.ins().iadd_imm_s(addr, RAM_BASE.wrapping_neg() as i64);
    let inside = fx.ins().icmp_imm_s(IntCC::UnsignedLessThanOrEqual, off, (e.p.ram_size - 64) as i64);
    fx.guard(inside);
    let base = fx.iconst(e.p.host_offset);
    fx.ins().iadd(base, addr)
}

/// Guards that `new` is a translated `satp` of the same MODE as the current
/// one (the TLB banks stay; nothing is flushed).
fn same_mode(fx: &mut FastPathCx<'_, '_, '_>, e: &Env, new: Value) -> Value {
    let cur = fx.ins().load(I64, e.hf, e.hart, csr_at(offset_of!(Csrs, satp)));
    let a = fx.ins().ushr_imm_s(cur, 60);
    let b = fx.ins().ushr_imm_s(new, 60);
    fx.guard_eq(a, b);
    cur
}

/// The address-space switch of `switch_satp` within one translated mode:
/// `satp`, and the key and salt of every translated TLB bank.
fn switch(fx: &mut FastPathCx<'_, '_, '_>, e: &Env, satp: Value, key: Value, salt: Value) {
    fx.ins().store(e.hf, satp, e.hart, csr_at(offset_of!(Csrs, satp)));
    for b in (0..tlb::BANKS).filter(|&b| b != tlb::BANK_M as usize) {
        fx.ins().store(e.hf, key, e.hart, (offsets::TLB_KEY + 8 * b) as i32);
        fx.ins().store(e.hf, salt, e.hart, (offsets::TLB_SALT + 8 * b) as i32);
    }
    let none = fx.iconst(-1);
    fx.ins().store(e.hf, none, e.hart, offsets::RESERVATION as i32);
}

/// Counts the events and charges their costs.
fn events(e: &Env, fx: &mut FastPathCx<'_, '_, '_>, evs: &[usize]) {
    for &ev in evs {
        e.p.events[ev].emit(fx);
    }
}

fn gcall(insn: &Insn, fx: &mut FastPathCx<'_, '_, '_>, e: &Env) {
    let (shadow, max_depth) = (e.p.shadow, e.p.max_depth);
    let (sf, gf) = (e.sf, e.gf);

    let index = fx.x(insn.rs1);
    let high = fx.ins().ushr_imm_s(index, 32);
    let low_only = fx.ins().icmp_imm_s(IntCC::Equal, high, 0);
    fx.guard(low_only);
    let asid = fx.asid();
    let hi = fx.ins().ishl_imm_s(asid, 32);
    let want = fx.ins().bor(hi, index);
    let spread = fx.ins().imul_imm_s(asid, FAST_SLOT_MUL as i64);
    let slot = fx.ins().iadd(index, spread);
    let slot = fx.ins().band_imm_s(slot, FAST_GATES as i64 - 1);
    let at = fx.ins().imul_imm_s(slot, size_of::<FastGate>() as i64);
    let base = fx.iconst(shadow);
    let f = fx.ins().iadd(base, at);
    let field = |n: usize| n as i32;
    let tag = fx.ins().load(I64, sf, f, field(offset_of!(FastGate, tag)));
    fx.guard_eq(tag, want);

    let LinkStack { t, lsp, lsbase, lslimit } = link_stack(fx, e);
    let xlgive = fx.ins().load(I64, sf, t, treg(offset_of!(ThreadRegs, xlgive)));
    let above = fx.ins().icmp(IntCC::UnsignedGreaterThanOrEqual, lsp, lsbase);
    fx.guard(above);
    let room = fx.ins().icmp_imm_s(IntCC::UnsignedGreaterThanOrEqual, lslimit, 64);
    fx.guard(room);
    let last = fx.ins().iadd_imm_s(lslimit, -64);
    let fits = fx.ins().icmp(IntCC::UnsignedLessThanOrEqual, lsp, last);
    fx.guard(fits);
    let host = ram64(fx, e, lsp);
    // The record's page must take stores directly (no translated code, not watched).
    let off = fx.ins().iadd_imm_s(lsp, RAM_BASE.wrapping_neg() as i64);
    let page = fx.ins().ushr_imm_s(off, 12);
    let map = fx.iconst(e.p.slow_map);
    let byte = fx.ins().iadd(map, page);
    let slow = fx.ins().uload8(I64, sf, byte, 0);
    let direct = fx.ins().icmp_imm_s(IntCC::Equal, slow, 0);
    fx.guard(direct);
    let target = fx.ins().load(I64, sf, f, field(offset_of!(FastGate, satp)));
    let caller_satp = same_mode(fx, e, target);
    let to = fx.ins().load(I64, sf, f, field(offset_of!(FastGate, key)));

    // Commit: the link record, the thread registers, the address space.
    let gtp = fx.ins().load(I64, sf, t, treg(offset_of!(ThreadRegs, gtp)));
    let gbadge = fx.ins().load(I64, sf, t, treg(offset_of!(ThreadRegs, gbadge)));
    let sp = fx.x(2);
    let ret = fx.iconst(fx.pc().wrapping_add(4) as i64);
    let moved = move_windows(e, fx, xlgive, asid, to, true);
    let valid = fx.ins().bor_imm_s(moved, LINK_VALID as i64);
    let zero = fx.iconst(0);
    fx.ins().store(sf, zero, t, treg(offset_of!(ThreadRegs, xlgive)));
    for (k, v) in [caller_satp, ret, gtp, target, gbadge, sp, valid, index].into_iter().enumerate() {
        fx.ins().store(gf, v, host, 8 * k as i32);
    }
    let new_lsp = fx.ins().iadd_imm_s(lsp, 64);
    fx.ins().store(sf, new_lsp, t, treg(offset_of!(ThreadRegs, lsp)));
    let g_gtp = fx.ins().load(I64, sf, f, field(offset_of!(FastGate, gtp)));
    fx.ins().store(sf, g_gtp, t, treg(offset_of!(ThreadRegs, gtp)));
    let badge = fx.ins().load(I64, sf, f, field(offset_of!(FastGate, badge)));
    fx.ins().store(sf, badge, t, treg(offset_of!(ThreadRegs, gbadge)));
    let depth = fx.ins().isub(new_lsp, lsbase);
    let depth = fx.ins().ushr_imm_s(depth, 6);
    let md = fx.iconst(max_depth);
    let old = fx.ins().load(I64, sf, md, 0);
    let deeper = fx.ins().umax(old, depth);
    fx.ins().store(sf, deeper, md, 0);
    let key = fx.ins().load(I64, sf, f, field(offset_of!(FastGate, key)));
    let salt = fx.ins().load(I64, sf, f, field(offset_of!(FastGate, salt)));
    switch(fx, e, target, key, salt);
    events(e, fx, &[E_CLB_HIT, E_GCALL, E_LINK_PUSH, E_SATP_SWITCH]);
    let pc = fx.ins().load(I64, sf, f, field(offset_of!(FastGate, pc)));
    fx.leave_to(pc);
}

fn gret(fx: &mut FastPathCx<'_, '_, '_>, e: &Env) {
    let (sf, gf) = (e.sf, e.gf);
    let LinkStack { t, lsp, lsbase, lslimit } = link_stack(fx, e);
    let above = fx.ins().icmp(IntCC::UnsignedGreaterThan, lsp, lsbase);
    fx.guard(above);
    let below = fx.ins().icmp(IntCC::UnsignedLessThanOrEqual, lsp, lslimit);
    fx.guard(below);
    let rec = fx.ins().iadd_imm_s(lsp, -64);
    let host = ram64(fx, e, rec);
    let w: Vec<Value> = (0..8).map(|k| fx.ins().load(I64, gf, host, 8 * k)).collect();
    let valid = fx.ins().ushr_imm_s(w[6], 63);
    fx.guard(valid);
    let cur = fx.ins().load(I64, e.hf, e.hart, csr_at(offset_of!(Csrs, satp)));
    fx.guard_eq(w[3], cur);
    // The caller's satp, WARL-masked as `switch_satp` stores it.
    let mode = fx.ins().ushr_imm_s(w[0], 60);
    let m8 = fx.ins().icmp_imm_s(IntCC::Equal, mode, 8);
    let m9 = fx.ins().icmp_imm_s(IntCC::Equal, mode, 9);
    let translated = fx.ins().bor(m8, m9);
    fx.guard(translated);
    same_mode(fx, e, w[0]);
    let keep = (0xfu64 << 60) | (((1u64 << ASID_BITS) - 1) << 44) | ((1u64 << 44) - 1);
    let satp = fx.ins().band_imm_s(w[0], keep as i64);
    let key = fx.asid_of(satp);
    let salt = fx.ins().imul_imm_s(key, tlb::ASID_SALT_MUL as i64);
    let salt = fx.ins().band_imm_s(salt, tlb::ENTRIES as i64 - 1);

    let windows = fx.ins().band_imm_s(w[6], 0xffff);
    let from = fx.asid_of(cur);
    move_windows(e, fx, windows, from, key, false);
    fx.ins().store(sf, rec, t, treg(offset_of!(ThreadRegs, lsp)));
    fx.ins().store(sf, w[2], t, treg(offset_of!(ThreadRegs, gtp)));
    fx.ins().store(sf, w[4], t, treg(offset_of!(ThreadRegs, gbadge)));
    fx.set_x(2, w[5]);
    switch(fx, e, satp, key, salt);
    events(e, fx, &[E_GRET, E_LINK_POP, E_SATP_SWITCH]);
    fx.leave_to(w[1]);
}

/// The window moves of `xline::hand_over` (`give`: windows in `mask` owned by
/// `from` and giveable) or `xline::hand_back` (windows in `mask` owned by
/// `from`), unrolled over the windows: each moves to `to`; counts and
/// charges `xline.handoff` per window moved; returns the mask of those moved.
fn move_windows(e: &Env, fx: &mut FastPathCx<'_, '_, '_>, mask: Value, from: Value, to: Value, give: bool) -> Value {
    let Some(crate::xline::HandoffLayout { windows, n, handoff }) = e.p.handoff else { return fx.iconst(0) };
    let sf = fx.state_flags();
    let base = fx.iconst(windows);
    let mut moved = fx.iconst(0);
    let mut count = fx.iconst(0);
    for k in 0..n {
        let at = (k * size_of::<Window>()) as i32;
        let bit = fx.ins().ushr_imm_s(mask, k as i64);
        let bit = fx.ins().band_imm_s(bit, 1);
        let valid = fx.ins().uload8(I64, sf, base, at + offset_of!(Window, valid) as i32);
        let owner = fx.ins().load(I64, sf, base, at + offset_of!(Window, owner) as i32);
        let mine = fx.ins().icmp(IntCC::Equal, owner, from);
        let mine = fx.ins().uextend(I64, mine);
        let mut c = fx.ins().band(bit, valid);
        c = fx.ins().band(c, mine);
        if give {
            let g = fx.ins().uload8(I64, sf, base, at + offset_of!(Window, g) as i32);
            c = fx.ins().band(c, g);
        }
        let new_owner = fx.ins().select(c, to, owner);
        fx.ins().store(sf, new_owner, base, at + offset_of!(Window, owner) as i32);
        let c_at = fx.ins().ishl_imm_s(c, k as i64);
        moved = fx.ins().bor(moved, c_at);
        count = fx.ins().iadd(count, c);
    }
    handoff.emit_times(fx, count);
    moved
}
