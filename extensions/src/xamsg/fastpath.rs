//! Inline JIT fast paths of Xamsg's polling cases (SPEC §3.3): `arecv` on an
//! empty queue the caller owns (a server polling for work), and `aqcount`.
//!
//! ```text
//!   arecv rd, rs1, rs2 (U)                    aqcount rd, rs1 (S)
//!   guard x[rs2] % 64 == 0                    guard x[rs1] < queues
//!   guard x[rs1] < queues, queue enabled,     rd = queue.queued
//!         owned by the current ASID, empty
//!   rd = EMPTY; xamsg.empty, xamsg.arecv += 1 (and their cycles)
//! ```
//!
//! A message to deliver (a line written through the MMU, a reply token), a
//! queue the caller has no right to, `arecv.w` (which may stall), `asend`
//! and `areply` (a line read through the MMU, the gate lookup, the message
//! cache and ring) run on the helper.

use super::queue::Queue;
use super::{op, state, E_ARECV, E_EMPTY, SET};
use crate::common::{status, EventRef};
use cranelift_codegen::ir::condcodes::IntCC;
use cranelift_codegen::ir::{types, InstBuilder, Value};
use mkjit_runtime::hart::Priv;
use mkjit_runtime::isa::{Insn, Op};
use mkjit_runtime::machine::Machine;
use mkjit_translator::fastpath::{FastPathCx, InlineFastPath, PreparedFastPath};
use std::mem::{offset_of, size_of};

const I64: types::Type = types::I64;

/// Xamsg's fast paths.
pub struct XamsgFastPath;

/// The instance the extension registers.
pub static FAST_PATH: XamsgFastPath = XamsgFastPath;

/// What the fast paths read from the machine.
struct Prepared {
    /// Address of the queues.
    queues: i64,
    /// Number of queues.
    n: i64,
    empty: EventRef,
    arecv: EventRef,
}

impl InlineFastPath for XamsgFastPath {
    fn prepare(&self, m: &Machine) -> Box<dyn PreparedFastPath> {
        let st = state(m);
        Box::new(Prepared {
            queues: st.queues.as_ptr() as i64,
            n: st.queues.len() as i64,
            empty: st.ctr.event(E_EMPTY),
            arecv: st.ctr.event(E_ARECV),
        })
    }
}

impl PreparedFastPath for Prepared {
    fn emit(&self, insn: &Insn, fx: &mut FastPathCx<'_, '_, '_>) -> bool {
        match insn.op {
            Op::Custom(SET, op::ARECV) if fx.prv() == Priv::U => arecv_empty(self, insn, fx),
            Op::Custom(SET, op::AQCOUNT) if fx.prv() != Priv::U => {
                let q = queue(self, insn, fx);
                let sf = fx.state_flags();
                let n = fx.ins().load(I64, sf, q, offset_of!(Queue, queued) as i32);
                fx.set_x(insn.rd, n);
            }
            _ => return false,
        }
        true
    }
}

/// Guards that `x[rs1]` names a queue; returns the queue's host address.
fn queue(p: &Prepared, insn: &Insn, fx: &mut FastPathCx<'_, '_, '_>) -> Value {
    let q = fx.x(insn.rs1);
    let inside = fx.ins().icmp_imm_s(IntCC::UnsignedLessThan, q, p.n);
    fx.guard(inside);
    let at = fx.ins().imul_imm_s(q, size_of::<Queue>() as i64);
    let base = fx.iconst(p.queues);
    fx.ins().iadd(base, at)
}

fn arecv_empty(p: &Prepared, insn: &Insn, fx: &mut FastPathCx<'_, '_, '_>) {
    let sf = fx.state_flags();
    let line = fx.x(insn.rs2);
    let mis = fx.ins().band_imm_s(line, 63);
    let aligned = fx.ins().icmp_imm_s(IntCC::Equal, mis, 0);
    fx.guard(aligned);
    let q = queue(p, insn, fx);
    let enabled = fx.ins().uload8(I64, sf, q, offset_of!(Queue, enabled) as i32);
    fx.guard(enabled);
    let owner = fx.ins().load(I64, sf, q, offset_of!(Queue, owner) as i32);
    let asid = fx.asid();
    fx.guard_eq(owner, asid);
    let queued = fx.ins().load(I64, sf, q, offset_of!(Queue, queued) as i32);
    let empty = fx.ins().icmp_imm_s(IntCC::Equal, queued, 0);
    fx.guard(empty);
    let v = fx.iconst(status::EMPTY as i64);
    fx.set_x(insn.rd, v);
    p.empty.emit(fx);
    p.arecv.emit(fx);
}
