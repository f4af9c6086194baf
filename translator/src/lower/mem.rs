//! Loads and stores: the hit path inline; anything else leaves the region
//! *before* the instruction, and the dispatcher runs it on the interpreter.
//!
//! ```text
//!   va    = x[rs1] + imm
//!   translated (TLB banks U, S, S+SUM, or a translate hook):
//!     e   = &hart.tlb.entries[bank][((va >> 12) ^ salt) & 1023]
//!     if e.tag_{r,w} == ((va + size - 1) & !0xfff) | key:   host access at e.addend + va
//!   untranslated (bank M, no hook):
//!     off = va - RAM_BASE
//!     load:  if off <= ram_size - size:                     host access at ram + off
//!     store: if off <= ram_size - size and start_map[off >> 12] == 0:
//!                                                           host access at ram + off
//!   else (cold): write back, leave with pc = this instruction and the
//!                clock before it; return `MEM_EXIT` (the dispatcher then runs
//!                the interpreter from here: TLB fill, page walk, MMIO, code
//!                page, trap — exactly the reference path)
//! ```
//!
//! In loops, a translated load or store whose address depends on an earlier
//! load of its block (up to 16 per region: there the probe is on the loop's
//! critical path) also keeps a memo of the last page it hit, in the region's
//! stack frame: `page | 0xfff` (zero, which matches nothing, at every entry
//! and after every helper call) and the entry's addend. An access wholly in
//! that page uses the addend without the probe: the entry that hit is still
//! there, nothing having changed the TLB since. The address then does not
//! wait for the index computation and the entry's loads.
//!
//! Within a block in a loop, an access through the same base register value
//! as an earlier access of the same kind (read or write) that hit the TLB
//! only checks that it lies wholly in that access's page (nothing can have
//! changed the TLB in between: no helper ran), and reuses its addend.
//! (Outside loops the check and its fallback probe cost more to compile than
//! they save: on the stock guest OS, 8% more code and 17% more compile time.)
//!
//! Untranslated accesses likewise skip the RAM bounds check when an earlier
//! access of the block through the same base register value covered the
//! same bytes, and a store skips the slow-store check when an earlier store
//! did.
//!
//! The TLB test is exactly the hit test of `Machine::load`/`store`, so both
//! engines take the slow path on the same accesses. The untranslated test is
//! exact too: for an untranslated RAM access the interpreter's slow path
//! (identity walk, no modeled D-TLB cost, TLB fill) has the same
//! guest-visible effect as the direct access, and the bus's slow-store map is
//! the complement of the TLB's write permission (code and watched pages, see
//! `Bus::slow_store_map`), so stores that must reach the bus still do. The
//! store-start map marks a page when it or the next page is slow, so one byte
//! covers a store that crosses into the next page; a store next to (but not
//! on) a slow page takes the slow path too, with the same effect.
//!
//! Leaving instead of calling a helper keeps hot code free of calls and of
//! join points, which is what lets the register allocator keep guest
//! registers in host registers; misses are rare (the interpreter's access
//! fills the TLB). Sites that miss on every run (device registers, pages an
//! extension's translate hook keeps out of the TLB) were measured with a
//! per-site helper miss path, compiled in after a site's eighth (or 1024th)
//! exit: on the codesign guest OS it removed 416,000 of 451,000 memory exits
//! and saved about 1 ms of a 0.32 s run, while recompiling the regions cost
//! 35–80 ms. An exit costs about as much as the access it leaves for.

use super::{Flow, Lx, I64};
use crate::region::GuestInsn;
use cranelift_codegen::ir::condcodes::IntCC;
use cranelift_codegen::ir::{Block, InstBuilder, MemFlagsData, Value};
use mkjit_runtime::isa::Op;
use mkjit_runtime::mmu::tlb::{self, TlbEntry};
use mkjit_runtime::ram::RAM_BASE;
use std::mem::offset_of;

const TAG_R: i32 = offset_of!(TlbEntry, tag_r) as i32;
const TAG_W: i32 = offset_of!(TlbEntry, tag_w) as i32;
/// Offset of `tag_x` in a TLB entry.
pub(super) const TAG_X: i32 = offset_of!(TlbEntry, tag_x) as i32;
/// Offset of `addend` in a TLB entry.
pub(super) const ADDEND: i32 = offset_of!(TlbEntry, addend) as i32;

pub(super) fn lower(lx: &mut Lx<'_, '_>, gi: &GuestInsn) -> Flow {
    use Op::*;
    let op = gi.insn.op;
    match access(op) {
        Some((size, true)) => trans_store(lx, gi, size),
        Some((size, false)) => trans_load(lx, gi, size, matches!(op, Lb | Lh | Lw)),
        None => unreachable!("not a load or store"),
    }
}

/// Size and kind (a store?) of a load or store, integer or floating-point.
pub(super) fn access(op: Op) -> Option<(u64, bool)> {
    use Op::*;
    Some(match op {
        Lb | Lbu => (1, false),
        Lh | Lhu => (2, false),
        Lw | Lwu | Flw => (4, false),
        Ld | Fld => (8, false),
        Sb => (1, true),
        Sh => (2, true),
        Sw | Fsw => (4, true),
        Sd | Fsd => (8, true),
        _ => return None,
    })
}

/// `hart + index * 32` for the TLB entry of `va` (the bank's offset is added
/// as a displacement), and whether `tag_off`'s tag hits for `size` bytes.
fn tlb_probe(lx: &mut Lx<'_, '_>, va: Value, size: u64, tag_off: i32) -> (Value, Value) {
    debug_assert_eq!(tlb::ENTRY_SIZE, 32);
    // ((va >> 12) ^ salt) & 1023) << 5  ==  ((va >> 7) & 0x7fe0) ^ (salt << 5)
    let v7 = lx.ins().ushr_imm_s(va, 7);
    let masked = lx.ins().band_imm_s(v7, ((tlb::ENTRIES - 1) << 5) as i64);
    let off = super::combine(lx.b, masked, lx.tlb_salt5, |b, x, s| b.ins().bxor(x, s));
    let hart = lx.hart;
    let ent = lx.ins().iadd(hart, off);
    let flags = lx.hart_flags();
    let at = lx.tlb_off + tag_off;
    let tag = lx.ins().load(I64, flags, ent, at);
    let last = if size > 1 { lx.ins().iadd_imm_s(va, size as i64 - 1) } else { va };
    let page = lx.ins().band_imm_s(last, !0xfff);
    let want = super::combine(lx.b, page, lx.tlb_key, |b, x, k| b.ins().bor(x, k));
    let hit = lx.ins().icmp(IntCC::Equal, tag, want);
    (ent, hit)
}

/// Branches to a stub that leaves the region before the current instruction
/// (returning `MEM_EXIT`) unless `hit`; continues on the hit path.
pub(super) fn miss_unless(lx: &mut Lx<'_, '_>, hit: Value, pc: u64) {
    leave_unless(lx, &[hit], pc, super::MEM_EXIT);
}

/// Branches to one stub that leaves the region before the current
/// instruction at `pc` (see [`Lx::leave_before`]), returning `code`, unless
/// every condition of `ok` holds (a compare and branch each); continues on
/// the `ok` path.
pub(super) fn leave_unless(lx: &mut Lx<'_, '_>, ok: &[Value], pc: u64, code: u64) {
    if ok.is_empty() {
        return;
    }
    let miss = lx.b.create_block();
    lx.b.set_cold_block(miss);
    for &c in ok {
        branch_unless(lx, c, miss);
    }
    let cont = lx.b.current_block().expect("in a block");
    lx.b.seal_block(miss);
    lx.b.switch_to_block(miss);
    lx.leave_before(pc, code);
    lx.b.switch_to_block(cont);
}

/// Continues in a new block if `ok`, else branches to `otherwise`.
pub(super) fn branch_unless(lx: &mut Lx<'_, '_>, ok: Value, otherwise: Block) {
    let cont = lx.b.create_block();
    lx.ins().brif(ok, cont, &[], otherwise, &[]);
    // `cont` has its only predecessor: sealed, guest registers read in it
    // are the values read before (no new block parameters), which is what
    // lets later accesses recognise their base register value.
    lx.b.seal_block(cont);
    lx.b.switch_to_block(cont);
}

/// The addend of TLB entry `ent` (from [`tlb_probe`]).
fn addend_of(lx: &mut Lx<'_, '_>, ent: Value) -> Value {
    let hf = lx.hart_flags();
    let at = lx.tlb_off + ADDEND;
    lx.ins().load(I64, hf, ent, at)
}

/// The TLB entry's addend for `size` bytes at `va` (a `write` or a read),
/// after branching to `otherwise` unless the TLB hits.
pub(super) fn probe_or_branch(lx: &mut Lx<'_, '_>, va: Value, size: u64, write: bool, otherwise: Block) -> Value {
    let (ent, hit) = tlb_probe(lx, va, size, if write { TAG_W } else { TAG_R });
    branch_unless(lx, hit, otherwise);
    addend_of(lx, ent)
}

/// The TLB entry's addend for `size` bytes at `va` (a `write` or a read),
/// after leaving the region before the instruction at `pc` unless the TLB hits.
fn probe_addend(lx: &mut Lx<'_, '_>, va: Value, size: u64, write: bool, pc: u64) -> Value {
    let (ent, hit) = tlb_probe(lx, va, size, if write { TAG_W } else { TAG_R });
    miss_unless(lx, hit, pc);
    addend_of(lx, ent)
}

/// Host address of `size` bytes at `base + imm` for a `write` or a read,
/// after leaving the region unless the access may go straight to host memory.
pub(super) fn host_address(lx: &mut Lx<'_, '_>, base: Value, imm: i64, size: u64, write: bool, pc: u64) -> Value {
    if let Some(host) = super::stream::host_address(lx, pc, base, imm) {
        return host;
    }
    let va = lx.ins().iadd_imm_s(base, imm);
    match lx.env.direct {
        Some(d) => direct_address(lx, d, (base, imm), va, size, write, pc),
        None => translated_address(lx, base, va, size, write, pc),
    }
}

/// [`host_address`] through the TLB, or through a memo that vouches for it.
fn translated_address(lx: &mut Lx<'_, '_>, base: Value, va: Value, size: u64, write: bool, pc: u64) -> Value {
    let memo = lx.tlb_memo.iter().find(|m| m.0 == base && m.1 == write).copied();
    if let Some((_, _, va0, addend0)) = memo {
        // An earlier access through the same base register value hit this
        // kind of tag: if this one lies wholly in the same page, the TLB
        // (unchanged since: no helper ran) hits for it too. Otherwise probe.
        let check = |lx: &mut Lx<'_, '_>, probe| {
            let d1 = lx.ins().bxor(va, va0);
            let d = if size > 1 {
                let last = lx.ins().iadd_imm_s(va, size as i64 - 1);
                let d2 = lx.ins().bxor(last, va0);
                lx.ins().bor(d1, d2)
            } else {
                d1
            };
            let page = lx.ins().band_imm_s(d, !0xfff);
            let same = lx.b.create_block();
            lx.ins().brif(page, probe, &[], same, &[]);
            lx.b.switch_to_block(same);
            addend0
        };
        return memo_or_probe(lx, va, size, write, pc, check, |_, _| {});
    }
    if let (Some(slot), Some(&off)) = (lx.site_slot, lx.site_memo.get(&pc)) {
        // This instruction's own memo of the last page it hit: `page | 0xfff`
        // (0, which no access matches, until the first hit) and the addend.
        let last = if size > 1 { lx.ins().iadd_imm_s(va, size as i64 - 1) } else { va };
        let check = |lx: &mut Lx<'_, '_>, probe| {
            let t = lx.ins().bor_imm_s(last, 0xfff);
            let m = lx.ins().stack_load(I64, I64, slot, off);
            let hit_b = lx.b.create_block();
            let same = lx.ins().icmp(IntCC::Equal, t, m);
            if size > 1 {
                // The first byte on the same page too (no crossing).
                let first = lx.b.create_block();
                lx.ins().brif(same, first, &[], probe, &[]);
                lx.b.switch_to_block(first);
                let t0 = lx.ins().bor_imm_s(va, 0xfff);
                let same0 = lx.ins().icmp(IntCC::Equal, t0, m);
                lx.ins().brif(same0, hit_b, &[], probe, &[]);
            } else {
                lx.ins().brif(same, hit_b, &[], probe, &[]);
            }
            lx.b.switch_to_block(hit_b);
            lx.ins().stack_load(I64, I64, slot, off + 8)
        };
        let remember = |lx: &mut Lx<'_, '_>, addend| {
            // A hit never crosses a page: `last` is on va's page.
            let t = lx.ins().bor_imm_s(last, 0xfff);
            lx.ins().stack_store(I64, t, slot, off);
            lx.ins().stack_store(I64, addend, slot, off + 8);
        };
        return memo_or_probe(lx, va, size, write, pc, check, remember);
    }
    let addend = probe_addend(lx, va, size, write, pc);
    if lx.in_loop {
        lx.tlb_memo.push((base, write, va, addend));
    }
    lx.ins().iadd(addend, va)
}

/// The host address of `va` through a memo, or the TLB when the memo does
/// not vouch for the access: `check` branches to the (cold) probe block it
/// is given unless the memo applies, and returns the memo's addend on the
/// path where it does; the probe passes the addend of a hit to `remember`.
fn memo_or_probe(
    lx: &mut Lx<'_, '_>,
    va: Value,
    size: u64,
    write: bool,
    pc: u64,
    check: impl FnOnce(&mut Lx<'_, '_>, Block) -> Value,
    remember: impl FnOnce(&mut Lx<'_, '_>, Value),
) -> Value {
    let join = lx.b.create_block();
    lx.b.append_block_param(join, I64);
    let probe = lx.b.create_block();
    lx.b.set_cold_block(probe);
    let addend0 = check(lx, probe);
    let h = lx.ins().iadd(addend0, va);
    lx.ins().jump(join, &[h.into()]);
    lx.b.switch_to_block(probe);
    let mark = lx.block_mark();
    let addend = probe_addend(lx, va, size, write, pc);
    remember(lx, addend);
    let h = lx.ins().iadd(addend, va);
    lx.ins().jump(join, &[h.into()]);
    lx.cold_since(mark);
    lx.b.switch_to_block(join);
    lx.b.block_params(join)[0]
}

/// Host address of an untranslated access at `va` (`from`: base register
/// value and offset) after checking that it lies in RAM and, for a store,
/// that no page it touches holds code or is watched (else leaves). Checks an
/// earlier access of the block proved for the same bytes or more through the
/// same base register value are not repeated (RAM's bounds never change; the
/// slow-store map only in helpers, which forget the proofs).
fn direct_address(
    lx: &mut Lx<'_, '_>,
    d: super::DirectMem,
    from: (Value, i64),
    va: Value,
    size: u64,
    write: bool,
    pc: u64,
) -> Value {
    let (base, lo) = from;
    let hi = lo + size as i64;
    let covering = lx.direct_memo.iter().filter(|m| m.0 == base && m.1 <= lo && hi <= m.2);
    let in_ram = covering.clone().next().is_some();
    // (A store proof is for at most 8 bytes: any store inside starts on the
    // same page or the next, and touches no page beyond.)
    let store_ok = covering.clone().any(|m| m.3);
    let store_check = write && !store_ok;
    if !in_ram || store_check {
        let off = lx.ins().iadd_imm_s(va, RAM_BASE.wrapping_neg() as i64);
        if !in_ram {
            let ok = lx.ins().icmp_imm_s(IntCC::UnsignedLessThanOrEqual, off, (d.ram_size - size) as i64);
            miss_unless(lx, ok, pc);
        }
        if store_check {
            let fast = store_start_clear(lx, d, off);
            miss_unless(lx, fast, pc);
        }
        lx.direct_memo.push((base, lo, hi, write));
    }
    // One add of a constant (a 32-bit displacement when RAM is mapped low).
    lx.ins().iadd_imm_s(va, d.host_offset as i64)
}

/// Whether a store starting at RAM offset `off` (in RAM) may go straight to
/// host memory: its page's byte in the store-start map is clear.
pub(super) fn store_start_clear(lx: &mut Lx<'_, '_>, d: super::DirectMem, off: Value) -> Value {
    let map = lx.iconst(d.start_map as i64);
    let page = lx.ins().ushr_imm_s(off, 12);
    let at = lx.ins().iadd(map, page);
    let slow = lx.ins().uload8(I64, MemFlagsData::trusted(), at, 0);
    lx.ins().icmp_imm_s(IntCC::Equal, slow, 0)
}

fn trans_load(lx: &mut Lx<'_, '_>, gi: &GuestInsn, size: u64, signed: bool) -> Flow {
    let i = gi.insn;
    let base = lx.x(i.rs1);
    let host = host_address(lx, base, i.imm, size, false, gi.pc);
    let v = host_load(lx, host, size, signed);
    lx.set_x(i.rd, v);
    Flow::Next
}

/// A guest load of `size` bytes at host address `host`, extended to 64 bits.
pub(super) fn host_load(lx: &mut Lx<'_, '_>, host: Value, size: u64, signed: bool) -> Value {
    let g = lx.guest_flags();
    match (size, signed) {
        (1, true) => lx.ins().sload8(I64, g, host, 0),
        (1, false) => lx.ins().uload8(I64, g, host, 0),
        (2, true) => lx.ins().sload16(I64, g, host, 0),
        (2, false) => lx.ins().uload16(I64, g, host, 0),
        (4, true) => lx.ins().sload32(g, host, 0),
        (4, false) => lx.ins().uload32(g, host, 0),
        _ => lx.ins().load(I64, g, host, 0),
    }
}

/// A guest store of the low `size` bytes of `v` at host address `host`.
pub(super) fn host_store(lx: &mut Lx<'_, '_>, v: Value, host: Value, size: u64) {
    let g = lx.guest_flags();
    match size {
        1 => lx.ins().istore8(g, v, host, 0),
        2 => lx.ins().istore16(g, v, host, 0),
        4 => lx.ins().istore32(g, v, host, 0),
        _ => lx.ins().store(g, v, host, 0),
    };
}

fn trans_store(lx: &mut Lx<'_, '_>, gi: &GuestInsn, size: u64) -> Flow {
    let i = gi.insn;
    let base = lx.x(i.rs1);
    let v = lx.x(i.rs2);
    let host = host_address(lx, base, i.imm, size, true, gi.pc);
    host_store(lx, v, host, size);
    Flow::Next
}
