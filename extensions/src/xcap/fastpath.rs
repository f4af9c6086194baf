//! Inline JIT fast paths of the capability loads and stores (SPEC §7.3,
//! §7.4): a probe of the CCC's shadow (see `ccc`) and the host access.
//!
//! ```text
//!   r = x[rs1], off = x[rs2]            idx = r[31:0], gen = r[63:32]
//!   f = &shadow[idx % 64]
//!   guard f.tag == current ASID << 32 | idx        (entry, root, page in the CCC)
//!   guard f.generation == gen                      (check 3)
//!   guard f.perms has R (loads) or W (stores)      (check 6)
//!   guard size <= f.length, off <= f.length - size (check 7)
//!   va = f.base + off; guard va % size == 0        (check 8)
//!   guard va's page == f.vpage                     (the CCC line's page)
//!   store: guard f.slow_store != 0 and *f.slow_store == 0 (writable, no code)
//!   access f.host_page + va % 4096
//!   xcap.ccc_hit += f.hits; xcap.access += 1; cycles += f.cycles
//! ```
//!
//! Any failed guard runs the helper, which performs every check in order,
//! raises the fault the reference raises, and refreshes the shadow. The
//! other Xcap instructions (`cap.len`, `cap.perm`, `cap.derive`,
//! `cap.restrict`, `cap.revoke`, `cap.flush`) are rare and run on the helper.

use super::ccc::FastCap;
use super::{op, perm, state, E_ACCESS, E_CCC_HIT, SET};
use cranelift_codegen::ir::condcodes::IntCC;
use cranelift_codegen::ir::{types, InstBuilder};
use mkjit_runtime::isa::{Insn, Op};
use mkjit_runtime::machine::Machine;
use mkjit_translator::fastpath::{FastPathCx, InlineFastPath, PreparedFastPath};
use std::mem::{offset_of, size_of};

const I64: types::Type = types::I64;

/// Xcap's fast paths.
pub struct XcapFastPath;

/// The instance the extension registers.
pub static FAST_PATH: XcapFastPath = XcapFastPath;

/// Byte offset of a [`FastCap`] field.
macro_rules! field {
    ($f:ident) => {
        offset_of!(FastCap, $f) as i32
    };
}

/// What the fast paths read from the machine.
#[derive(Clone, Copy)]
struct Prepared {
    /// Address of the capability cache's shadow.
    shadow: i64,
    /// Address of the `xcap.ccc_hit` counter.
    hit_count: i64,
    /// Address of the `xcap.access` counter.
    access_count: u64,
}

impl InlineFastPath for XcapFastPath {
    fn prepare(&self, m: &Machine) -> Box<dyn PreparedFastPath> {
        let st = state(m);
        Box::new(Prepared {
            shadow: st.ccc.fast_base() as i64,
            hit_count: &st.ctr.counts[E_CCC_HIT] as *const u64 as i64,
            access_count: &st.ctr.counts[E_ACCESS] as *const u64 as u64,
        })
    }
}

impl PreparedFastPath for Prepared {
    fn emit(&self, insn: &Insn, fx: &mut FastPathCx<'_, '_, '_>) -> bool {
        // (width, signed, store)
        let (width, signed, store) = match insn.op {
            Op::Custom(SET, o @ op::LOAD0..=6) => (1u64 << (o & 3), o < 4, false),
            Op::Custom(SET, o @ op::STORE0..=35) => (1u64 << (o - op::STORE0), false, true),
            _ => return false,
        };
        let Prepared { shadow, hit_count, access_count } = *self;
        let sf = fx.state_flags();

        let r = fx.x(insn.rs1);
        let off = fx.x(insn.rs2);
        let idx = fx.ins().band_imm_s(r, 0xffff_ffff);
        let generation = fx.ins().ushr_imm_s(r, 32);
        let asid = fx.asid();
        let hi = fx.ins().ishl_imm_s(asid, 32);
        let want = fx.ins().bor(hi, idx);
        let slot = fx.ins().band_imm_s(idx, (super::ccc::FAST_ENTRIES - 1) as i64);
        let at = fx.ins().imul_imm_s(slot, size_of::<FastCap>() as i64);
        let base = fx.iconst(shadow);
        let f = fx.ins().iadd(base, at);
        let tag = fx.ins().load(I64, sf, f, field!(tag));
        fx.guard_eq(tag, want);
        let g = fx.ins().load(I64, sf, f, field!(generation));
        fx.guard_eq(g, generation);
        let perms = fx.ins().load(I64, sf, f, field!(perms));
        let need = fx.ins().band_imm_s(perms, (if store { perm::W } else { perm::R }) as i64);
        fx.guard(need);
        let length = fx.ins().load(I64, sf, f, field!(length));
        let fits = fx.ins().icmp_imm_s(IntCC::UnsignedGreaterThanOrEqual, length, width as i64);
        fx.guard(fits);
        let room = fx.ins().iadd_imm_s(length, -(width as i64));
        let inside = fx.ins().icmp(IntCC::UnsignedLessThanOrEqual, off, room);
        fx.guard(inside);
        let cbase = fx.ins().load(I64, sf, f, field!(base));
        let va = fx.ins().iadd(cbase, off);
        if width > 1 {
            let low = fx.ins().band_imm_s(va, width as i64 - 1);
            let aligned = fx.ins().icmp_imm_s(IntCC::Equal, low, 0);
            fx.guard(aligned);
        }
        let page = fx.ins().band_imm_s(va, !0xfff);
        let vpage = fx.ins().load(I64, sf, f, field!(vpage));
        fx.guard_eq(page, vpage);
        if store {
            let slow = fx.ins().load(I64, sf, f, field!(slow_store));
            fx.guard(slow);
            let byte = fx.ins().uload8(I64, sf, slow, 0);
            let clear = fx.ins().icmp_imm_s(IntCC::Equal, byte, 0);
            fx.guard(clear);
        }
        let host_page = fx.ins().load(I64, sf, f, field!(host_page));
        let in_page = fx.ins().band_imm_s(va, 0xfff);
        let host = fx.ins().iadd(host_page, in_page);
        if store {
            let v = fx.x(insn.rs3);
            fx.store_guest(v, host, width);
        } else {
            let v = fx.load_guest(host, width, signed);
            fx.set_x(insn.rd, v);
        }
        let hits = fx.ins().load(I64, sf, f, field!(hits));
        let counter = fx.iconst(hit_count);
        let n = fx.ins().load(I64, sf, counter, 0);
        let n = fx.ins().iadd(n, hits);
        fx.ins().store(sf, n, counter, 0);
        fx.bump(access_count, 1);
        let cycles = fx.ins().load(I64, sf, f, field!(cycles));
        fx.charge_value(cycles);
        true
    }
}
