//! Xamsg instructions: reference semantics (SPEC §3.3).

use super::queue::{alloc_reply, dequeue, enqueue, Msg};
use super::{
    op, state, XamsgState, E_AQSET, E_ARECV, E_AREPLY, E_ASEND, E_EMPTY, E_LINE_READ, E_LINE_WRITE, E_WAIT, SET,
};
use crate::common::{
    self, charge, cur_asid, irq_check, load_words, probe_store, regs_mut, require_super, require_user, set_x, status,
    store_words, with_state, x, R,
};
use crate::xgate::{self, GateKind};
use mkjit_runtime::hart::exit;
use mkjit_runtime::isa::{Insn, Op};
use mkjit_runtime::machine::Machine;
use mkjit_runtime::trap::{cause, Exception};

/// The set's handler.
pub fn handler(m: &mut Machine, i: &Insn, pc: u64) -> R {
    match i.op {
        Op::Custom(_, op::ASEND) => asend(m, i, pc),
        Op::Custom(_, op::ARECV) => arecv(m, i, pc, false),
        Op::Custom(_, op::ARECV_W) => arecv(m, i, pc, true),
        Op::Custom(_, op::AREPLY) => areply(m, i, pc),
        Op::Custom(_, op::AQSET) => aqset(m, i, pc),
        Op::Custom(_, op::AQCOUNT) => aqcount(m, i, pc),
        _ => Err(Exception::illegal(i.raw)),
    }
}

fn line_operand(m: &Machine, i: &Insn, store: bool) -> Result<u64, Exception> {
    let va = x(m, i.rs2);
    if !va.is_multiple_of(64) {
        let c = if store { cause::STORE_MISALIGNED } else { cause::LOAD_MISALIGNED };
        return Err(Exception::new(c, va));
    }
    Ok(va)
}

fn read_line(m: &mut Machine, va: u64) -> Result<[u64; 8], Exception> {
    let w = load_words(m, va, 8)?;
    let mut p = [0u64; 8];
    p.copy_from_slice(&w);
    Ok(p)
}

/// `asend rd, rs1, rs2`.
fn asend(m: &mut Machine, i: &Insn, pc: u64) -> R {
    require_user(m, i)?;
    let va = line_operand(m, i, false)?;
    let g = xgate::lookup(m, x(m, i.rs1))?;
    let ok = g.kind == GateKind::Endpoint && state(m).queues.get(g.target as usize).is_some_and(|q| q.enabled);
    let st = if ok {
        let payload = read_line(m, va)?;
        let msg = Msg { payload, badge: g.badge, reply: g.reply };
        with_state(m, SET, |m, st: &mut XamsgState| {
            charge(m, st, E_LINE_READ);
            enqueue(m, st, g.target as usize, msg)
        })?
    } else {
        status::NORIGHT
    };
    common::charge_set::<XamsgState>(m, SET, E_ASEND);
    set_x(m, i.rd, st);
    irq_check(m);
    Ok(pc + 4)
}

/// `arecv rd, rs1, rs2` and `arecv.w`.
fn arecv(m: &mut Machine, i: &Insn, pc: u64, wait: bool) -> R {
    require_user(m, i)?;
    let va = line_operand(m, i, true)?;
    let q = x(m, i.rs1);
    let asid = cur_asid(m);
    let queue = state(m).queues.get(q as usize).filter(|qu| qu.enabled && qu.owner == asid);
    let Some(queue) = queue else {
        common::charge_set::<XamsgState>(m, SET, E_ARECV);
        set_x(m, i.rd, status::NORIGHT);
        return Ok(pc + 4);
    };
    if queue.is_empty() {
        if wait {
            // Stall (like Zawrs): re-execute once the hart is woken.
            common::charge_set::<XamsgState>(m, SET, E_WAIT);
            m.hart.exit |= exit::WFI;
            return Ok(pc);
        }
        common::charge_set::<XamsgState>(m, SET, E_EMPTY);
        common::charge_set::<XamsgState>(m, SET, E_ARECV);
        set_x(m, i.rd, status::EMPTY);
        return Ok(pc + 4);
    }
    probe_store(m, va, 64)?;
    let msg = with_state(m, SET, |m, st: &mut XamsgState| dequeue(m, st, q as usize))?;
    store_words(m, va, &msg.payload)?;
    let token = if msg.reply != 0xff {
        with_state(m, SET, |m, st: &mut XamsgState| alloc_reply(m, st, asid, msg.reply, msg.badge))
    } else {
        0
    };
    let r = regs_mut(m);
    r.abadge = msg.badge;
    r.atoken = token;
    common::charge_set::<XamsgState>(m, SET, E_LINE_WRITE);
    common::charge_set::<XamsgState>(m, SET, E_ARECV);
    set_x(m, i.rd, status::OK);
    irq_check(m);
    Ok(pc + 4)
}

/// `areply rd, rs1, rs2`.
fn areply(m: &mut Machine, i: &Insn, pc: u64) -> R {
    require_user(m, i)?;
    let va = line_operand(m, i, false)?;
    let t = x(m, i.rs1);
    let (idx, generation) = ((t & 0xff) as usize, t >> 8);
    let asid = cur_asid(m);
    let entry = state(m).replies.get(idx).copied().filter(|e| e.valid && e.generation == generation && e.owner == asid);
    let target_ok = entry.is_some_and(|e| state(m).queues.get(e.queue as usize).is_some_and(|q| q.enabled));
    let st = match entry {
        Some(e) if target_ok => {
            let payload = read_line(m, va)?;
            let msg = Msg { payload, badge: e.badge, reply: 0xff };
            with_state(m, SET, |m, st: &mut XamsgState| {
                charge(m, st, E_LINE_READ);
                let s = enqueue(m, st, e.queue as usize, msg)?;
                if s == status::OK {
                    st.replies[idx].valid = false;
                }
                Ok::<u64, Exception>(s)
            })?
        }
        _ => status::NORIGHT,
    };
    common::charge_set::<XamsgState>(m, SET, E_AREPLY);
    set_x(m, i.rd, st);
    irq_check(m);
    Ok(pc + 4)
}

/// `aqset rs1, rs2`.
fn aqset(m: &mut Machine, i: &Insn, pc: u64) -> R {
    require_super(m, i)?;
    let q = x(m, i.rs1);
    if q >= state(m).queues.len() as u64 {
        return Err(Exception::illegal(i.raw));
    }
    let d = load_words(m, x(m, i.rs2), 4)?;
    let (ring, cap) = if d[0] == 0 { (0, 0) } else { (d[0], d[1]) };
    let ring_ok =
        ring.is_multiple_of(64) && (cap == 0 || cap.checked_mul(128).is_some_and(|len| m.bus.ram.contains(ring, len)));
    if !ring_ok || (ring == 0 && d[1] != 0) {
        return Err(Exception::illegal(i.raw));
    }
    with_state(m, SET, |m, st: &mut XamsgState| {
        let old = std::mem::take(&mut st.queues[q as usize]);
        st.cache_used -= old.cached.len();
        for r in st.replies.iter_mut().filter(|r| r.queue == q) {
            r.valid = false;
        }
        let qu = &mut st.queues[q as usize];
        qu.enabled = d[2] >> 63 == 1;
        qu.owner = d[2] & 0xffff;
        qu.ring = ring;
        qu.cap = cap;
        charge(m, st, E_AQSET);
    });
    irq_check(m);
    Ok(pc + 4)
}

/// `aqcount rd, rs1`.
fn aqcount(m: &mut Machine, i: &Insn, pc: u64) -> R {
    require_super(m, i)?;
    let q = x(m, i.rs1);
    let Some(n) = state(m).queues.get(q as usize).map(|qu| qu.len() as u64) else {
        return Err(Exception::illegal(i.raw));
    };
    set_x(m, i.rd, n);
    Ok(pc + 4)
}
