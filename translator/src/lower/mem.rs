//! Loads and stores: the soft-TLB hit path inline, the miss path out of line.
//!
//! ```text
//!   va    = x[rs1] + imm
//!   e     = &hart.tlb.entries[bank][((va >> 12) ^ salt) & 1023]
//!   if e.tag_{r,w} == ((va + size - 1) & !0xfff) | key:   host access at e.addend + va
//!   else (cold):  clock = retired; helpers::{load,store}(ctx, va, size, [v,] pc)
//!                 trapped -> trap exit; hart.exit set (MMIO, code write) -> exit after this insn
//! ```
//!
//! This is exactly the hit test of `Machine::load`/`store`, so both engines
//! take the slow path on the same accesses.
//!
//! When data accesses are untranslated (bank M: M-mode, or MPRV off, or bare
//! `satp`) and no extension hooks translation, the TLB is skipped:
//!
//! ```text
//!   off = va - RAM_BASE
//!   load:  if off <= ram_size - size:                    host access at ram + off
//!   store: if off <= ram_size - size and slow_map[off >> 12] == 0
//!             and slow_map[(off + size - 1) >> 12] == 0:  host access at ram + off
//!   else (cold): the helpers, as above
//! ```
//!
//! That is exact too: for an untranslated RAM access the interpreter's slow
//! path (identity walk, no modeled D-TLB cost, TLB fill) has the same
//! guest-visible effect as the direct access, and the bus's slow-store map
//! is the complement of the TLB's write permission (code and watched pages,
//! see `Bus::slow_store_map`), so stores that must reach the bus still do.

use super::{Flow, Lx, I64};
use crate::helpers;
use crate::region::GuestInsn;
use cranelift_codegen::ir::condcodes::IntCC;
use cranelift_codegen::ir::{InstBuilder, MemFlagsData, Value};
use mkjit_runtime::isa::Op;
use mkjit_runtime::ram::RAM_BASE;
use mkjit_runtime::mmu::tlb::{self, TlbEntry};
use std::mem::offset_of;

const TAG_R: i32 = offset_of!(TlbEntry, tag_r) as i32;
const TAG_W: i32 = offset_of!(TlbEntry, tag_w) as i32;
/// Offset of `tag_x` in a TLB entry.
pub(super) const TAG_X: i32 = offset_of!(TlbEntry, tag_x) as i32;
/// Offset of `addend` in a TLB entry.
pub(super) const ADDEND: i32 = offset_of!(TlbEntry, addend) as i32;

pub(super) fn lower(lx: &mut Lx<'_, '_>, gi: &GuestInsn) -> Flow {
    use Op::*;
    let i = gi.insn;
    match i.op {
        Lb => trans_load(lx, gi, 1, true),
        Lh => trans_load(lx, gi, 2, true),
        Lw => trans_load(lx, gi, 4, true),
        Ld => trans_load(lx, gi, 8, false),
        Lbu => trans_load(lx, gi, 1, false),
        Lhu => trans_load(lx, gi, 2, false),
        Lwu => trans_load(lx, gi, 4, false),
        Sb => trans_store(lx, gi, 1),
        Sh => trans_store(lx, gi, 2),
        Sw => trans_store(lx, gi, 4),
        Sd => trans_store(lx, gi, 8),
        _ => unreachable!("not a load or store"),
    }
}

/// Address of the TLB entry for `va`, and whether `tag_off`'s tag hits for `size` bytes.
fn tlb_probe(lx: &mut Lx<'_, '_>, va: Value, size: u64, tag_off: i32) -> (Value, Value) {
    debug_assert_eq!(tlb::ENTRY_SIZE, 32);
    let vpn = lx.ins().ushr_imm_s(va, 12);
    let salt = lx.tlb_salt;
    let salted = lx.ins().bxor(vpn, salt);
    let idx = lx.ins().band_imm_s(salted, tlb::ENTRIES as i64 - 1);
    let off = lx.ins().ishl_imm_s(idx, 5);
    let tb = lx.tlb_base;
    let ent = lx.ins().iadd(tb, off);
    let flags = lx.hart_flags();
    let tag = lx.ins().load(I64, flags, ent, tag_off);
    let last = if size > 1 { lx.ins().iadd_imm_s(va, size as i64 - 1) } else { va };
    let page = lx.ins().band_imm_s(last, !0xfff);
    let key = lx.tlb_key;
    let want = lx.ins().bor(page, key);
    let hit = lx.ins().icmp(IntCC::Equal, tag, want);
    (ent, hit)
}

/// The direct-RAM test: `(off, in_ram)` with `off = va - RAM_BASE`.
fn ram_probe(lx: &mut Lx<'_, '_>, va: Value, size: u64, ram_size: u64) -> (Value, Value) {
    let off = lx.ins().iadd_imm_s(va, RAM_BASE.wrapping_neg() as i64);
    let ok = lx.ins().icmp_imm_s(IntCC::UnsignedLessThanOrEqual, off, (ram_size - size) as i64);
    (off, ok)
}

/// Host address of `va` on the hit path: `(entry, va)` from the TLB, or `off` when direct.
fn hit_address(lx: &mut Lx<'_, '_>, probe: Probe, va: Value) -> Value {
    match probe {
        Probe::Tlb(ent) => {
            let hf = lx.hart_flags();
            let addend = lx.ins().load(I64, hf, ent, ADDEND);
            lx.ins().iadd(addend, va)
        }
        Probe::Direct(off, host_base) => {
            let base = lx.iconst(host_base as i64);
            lx.ins().iadd(base, off)
        }
    }
}

/// What the hit path needs.
#[derive(Clone, Copy)]
enum Probe {
    /// The TLB entry.
    Tlb(Value),
    /// `va - RAM_BASE` and the host address of RAM.
    Direct(Value, u64),
}

fn trans_load(lx: &mut Lx<'_, '_>, gi: &GuestInsn, size: u64, signed: bool) -> Flow {
    let i = gi.insn;
    let base = lx.x(i.rs1);
    let va = lx.ins().iadd_imm_s(base, i.imm);
    let (probe, hit) = match lx.env.direct {
        Some(d) => {
            let (off, ok) = ram_probe(lx, va, size, d.ram_size);
            (Probe::Direct(off, d.host_offset.wrapping_add(RAM_BASE)), ok)
        }
        None => {
            let (ent, hit) = tlb_probe(lx, va, size, TAG_R);
            (Probe::Tlb(ent), hit)
        }
    };
    let hit_b = lx.b.create_block();
    let miss_b = lx.b.create_block();
    let join = lx.b.create_block();
    lx.b.append_block_param(join, I64);
    lx.b.set_cold_block(miss_b);
    lx.ins().brif(hit, hit_b, &[], miss_b, &[]);
    let saved = lx.fork();

    lx.b.switch_to_block(hit_b);
    let host = hit_address(lx, probe, va);
    let g = lx.guest_flags();
    let v = match (size, signed) {
        (1, true) => lx.ins().sload8(I64, g, host, 0),
        (1, false) => lx.ins().uload8(I64, g, host, 0),
        (2, true) => lx.ins().sload16(I64, g, host, 0),
        (2, false) => lx.ins().uload16(I64, g, host, 0),
        (4, true) => lx.ins().sload32(g, host, 0),
        (4, false) => lx.ins().uload32(g, host, 0),
        _ => lx.ins().load(I64, g, host, 0),
    };
    lx.ins().jump(join, &[v.into()]);

    lx.b.switch_to_block(miss_b);
    lx.sync_clock();
    let old = lx.x(i.rd);
    let v = lx.call_load(va, helpers::load_kind(size, signed, i.len), gi.pc, old);
    lx.set_x(i.rd, v);
    let leave = lx.leave_flag();
    lx.leave_if(leave);
    lx.resync_cycles();
    lx.ins().jump(join, &[v.into()]);

    lx.b.switch_to_block(join);
    lx.rejoin(saved);
    let v = lx.b.block_params(join)[0];
    lx.set_x(i.rd, v);
    Flow::Next
}

fn trans_store(lx: &mut Lx<'_, '_>, gi: &GuestInsn, size: u64) -> Flow {
    let i = gi.insn;
    let base = lx.x(i.rs1);
    let v = lx.x(i.rs2);
    let va = lx.ins().iadd_imm_s(base, i.imm);
    let hit_b = lx.b.create_block();
    let miss_b = lx.b.create_block();
    let join = lx.b.create_block();
    lx.b.set_cold_block(miss_b);
    let probe = match lx.env.direct {
        Some(d) => {
            // In RAM, and neither page it touches is a code or watched page.
            let (off, ok) = ram_probe(lx, va, size, d.ram_size);
            let in_ram = lx.b.create_block();
            lx.ins().brif(ok, in_ram, &[], miss_b, &[]);
            lx.b.switch_to_block(in_ram);
            let map = lx.iconst(d.slow_map as i64);
            let f = MemFlagsData::trusted();
            let p1 = lx.ins().ushr_imm_s(off, 12);
            let a1 = lx.ins().iadd(map, p1);
            let mut slow = lx.ins().uload8(I64, f, a1, 0);
            if size > 1 {
                let last = lx.ins().iadd_imm_s(off, size as i64 - 1);
                let p2 = lx.ins().ushr_imm_s(last, 12);
                let a2 = lx.ins().iadd(map, p2);
                let s2 = lx.ins().uload8(I64, f, a2, 0);
                slow = lx.ins().bor(slow, s2);
            }
            lx.ins().brif(slow, miss_b, &[], hit_b, &[]);
            Probe::Direct(off, d.host_offset.wrapping_add(RAM_BASE))
        }
        None => {
            let (ent, hit) = tlb_probe(lx, va, size, TAG_W);
            lx.ins().brif(hit, hit_b, &[], miss_b, &[]);
            Probe::Tlb(ent)
        }
    };
    let saved = lx.fork();

    lx.b.switch_to_block(hit_b);
    let host = hit_address(lx, probe, va);
    let g = lx.guest_flags();
    match size {
        1 => lx.ins().istore8(g, v, host, 0),
        2 => lx.ins().istore16(g, v, host, 0),
        4 => lx.ins().istore32(g, v, host, 0),
        _ => lx.ins().store(g, v, host, 0),
    };
    lx.ins().jump(join, &[]);

    lx.b.switch_to_block(miss_b);
    lx.sync_clock();
    let leave = lx.call_store(va, size | (i.len as u64) << 16, v, gi.pc);
    lx.leave_if(leave);
    lx.resync_cycles();
    lx.ins().jump(join, &[]);

    lx.b.switch_to_block(join);
    lx.rejoin(saved);
    Flow::Next
}
