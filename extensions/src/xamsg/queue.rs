//! Queues, the shared message cache with spilling to rings, and the reply table (SPEC §3.1).

use super::{XamsgState, E_CACHE_INSERT, E_CACHE_REMOVE, E_FULL, E_REPLY_ALLOC, E_RING_READ, E_SPILL};
use crate::common::{charge, phys_ld, phys_sd, status};
use mkjit_runtime::machine::Machine;
use mkjit_runtime::trap::Exception;
use std::collections::VecDeque;

/// One message: a cache line plus the metadata the hardware attaches.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Msg {
    /// The line.
    pub payload: [u64; 8],
    /// Badge of the sending gate (or of the reply entry).
    pub badge: u64,
    /// Reply queue (0xff = none).
    pub reply: u64,
}

/// A hardware message queue.
#[derive(Clone, Debug, Default)]
pub struct Queue {
    /// Installed and enabled.
    pub enabled: bool,
    /// Receiver's ASID.
    pub owner: u64,
    /// Ring base (physical; 0 = none).
    pub ring: u64,
    /// Ring capacity in entries.
    pub cap: u64,
    /// Ring index of the oldest spilled entry.
    pub head: u64,
    /// Spilled entries.
    pub spilled: u64,
    /// Messages held in the message cache (all older than the spilled ones).
    pub cached: VecDeque<Msg>,
    /// Messages queued (cached + spilled), kept by [`enqueue`] and
    /// [`dequeue`]: a plain field inline fast paths can read.
    pub queued: u64,
}

impl Queue {
    /// Messages queued.
    pub fn len(&self) -> usize {
        debug_assert_eq!(self.queued as usize, self.cached.len() + self.spilled as usize);
        self.queued as usize
    }

    /// Whether nothing is queued.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// A reply-table entry (one-shot reply right).
#[derive(Clone, Copy, Debug, Default)]
pub struct Reply {
    /// Valid.
    pub valid: bool,
    /// Generation in the token.
    pub generation: u64,
    /// ASID allowed to reply.
    pub owner: u64,
    /// Queue the reply goes to.
    pub queue: u64,
    /// Badge carried by the reply.
    pub badge: u64,
}

/// Enqueues `msg` on queue `q` (enabled); returns a status (`OK` or `FULL`).
pub fn enqueue(m: &mut Machine, st: &mut XamsgState, q: usize, msg: Msg) -> Result<u64, Exception> {
    let (spilled, cap) = (st.queues[q].spilled, st.queues[q].cap);
    if st.cache_used < st.cache_lines && spilled == 0 {
        st.queues[q].cached.push_back(msg);
        st.queues[q].queued += 1;
        st.cache_used += 1;
        charge(m, st, E_CACHE_INSERT);
        return Ok(status::OK);
    }
    if spilled < cap {
        let qu = &st.queues[q];
        let slot = (qu.head + qu.spilled) % cap;
        let pa = qu.ring + 128 * slot;
        let mut words = [0u64; 16];
        words[..8].copy_from_slice(&msg.payload);
        words[8] = msg.badge;
        words[9] = msg.reply;
        for (k, w) in words.iter().enumerate() {
            phys_sd(m, pa + 8 * k as u64, *w)?;
        }
        st.queues[q].spilled += 1;
        st.queues[q].queued += 1;
        charge(m, st, E_SPILL);
        return Ok(status::OK);
    }
    charge(m, st, E_FULL);
    Ok(status::FULL)
}

/// Dequeues the oldest message of queue `q` (non-empty).
pub fn dequeue(m: &mut Machine, st: &mut XamsgState, q: usize) -> Result<Msg, Exception> {
    if let Some(msg) = st.queues[q].cached.pop_front() {
        st.queues[q].queued -= 1;
        st.cache_used -= 1;
        charge(m, st, E_CACHE_REMOVE);
        return Ok(msg);
    }
    let qu = &st.queues[q];
    let pa = qu.ring + 128 * qu.head;
    let mut msg = Msg::default();
    for k in 0..8 {
        msg.payload[k] = phys_ld(m, pa + 8 * k as u64)?;
    }
    msg.badge = phys_ld(m, pa + 64)?;
    msg.reply = phys_ld(m, pa + 72)?;
    let qu = &mut st.queues[q];
    qu.head = (qu.head + 1) % qu.cap;
    qu.spilled -= 1;
    qu.queued -= 1;
    charge(m, st, E_RING_READ);
    Ok(msg)
}

/// Allocates a reply token for `owner` to answer into `queue` with `badge`.
pub fn alloc_reply(m: &mut Machine, st: &mut XamsgState, owner: u64, queue: u64, badge: u64) -> u64 {
    let idx = st.next_reply;
    st.next_reply = (idx + 1) % st.replies.len();
    st.generation += 1;
    st.replies[idx] = Reply { valid: true, generation: st.generation, owner, queue, badge };
    charge(m, st, E_REPLY_ALLOC);
    st.generation << 8 | idx as u64
}
