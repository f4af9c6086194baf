//! The call-gate lookaside buffer and the gate lookup shared by `gcall`,
//! Xamsg `asend` and Xuirq `uipi` (SPEC §2.4 "CLB lookup").

use super::{XgateState, E_CLB_HIT, E_CLB_MISS, E_WALK, SET};
use crate::common::{self, causes, charge, cur_asid, regs, with_state};
use mkjit_runtime::machine::Machine;
use mkjit_runtime::mmu::tlb::{self, ASID_BITS};
use mkjit_runtime::trap::Exception;

/// Gate kinds (descriptor info [19:16]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum GateKind {
    /// No right (negative entry); also every reserved kind.
    None,
    /// Call gate.
    Sync,
    /// Xamsg send right.
    Endpoint,
    /// Xuirq doorbell right.
    Doorbell,
}

impl GateKind {
    /// From the 4-bit field.
    pub fn from_bits(v: u64) -> GateKind {
        match v & 0xf {
            1 => GateKind::Sync,
            2 => GateKind::Endpoint,
            3 => GateKind::Doorbell,
            _ => GateKind::None,
        }
    }
}

/// What a CLB entry says about a gate.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Gate {
    /// Kind.
    pub kind: GateKind,
    /// Target `satp` (Sync).
    pub satp: u64,
    /// Handler pc (Sync).
    pub pc: u64,
    /// Badge.
    pub badge: u64,
    /// Target gate-table pointer (Sync).
    pub gtp: u64,
    /// Queue (Endpoint) or binding (Doorbell).
    pub target: u64,
    /// Reply queue (Endpoint; 0xff = none).
    pub reply: u64,
}

impl Gate {
    /// Decodes a 64-byte gate descriptor; returns the caller ASID field too.
    pub fn from_words(w: &[u64]) -> (u64, Gate) {
        let info = w[4];
        let g = Gate {
            kind: GateKind::from_bits(info >> 16),
            satp: w[0],
            pc: w[1],
            badge: w[2],
            gtp: w[3],
            target: (info >> 32) & 0xff,
            reply: (info >> 40) & 0xff,
        };
        (info & 0xffff, g)
    }
}

/// One CLB entry.
#[derive(Clone, Copy, Debug)]
struct Entry {
    asid: u64,
    index: u64,
    gate: Gate,
}

/// The CLB: fully associative, FIFO replacement.
#[derive(Clone, Debug)]
pub struct Clb {
    entries: Vec<Option<Entry>>,
    next: usize,
    /// JIT-facing shadow of the call gates in `entries` (see [`FastGate`]); boxed: generated code holds its address.
    fast: Box<[FastGate; FAST_GATES]>,
}

/// A shadow entry: a SYNC gate present in the CLB, as `gcall`'s inline fast
/// path needs it. Every CLB change rebuilds the shadow from the entries
/// present, so a shadow hit is exactly a CLB hit on that gate.
/// `#[repr(C)]`: generated code reads it.
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FastGate {
    /// `asid << 32 | index`, or `u64::MAX` (empty).
    pub tag: u64,
    /// Target `satp` as the hart will hold it (WARL applied).
    pub satp: u64,
    /// Handler pc.
    pub pc: u64,
    /// Badge.
    pub badge: u64,
    /// Target `gtp`.
    pub gtp: u64,
    /// TLB key and index salt of the target ASID (`mmu::tlb::asid_key`/`asid_salt`).
    pub key: u64,
    /// See `key`.
    pub salt: u64,
}

impl FastGate {
    const NONE: FastGate = FastGate { tag: u64::MAX, satp: 0, pc: 0, badge: 0, gtp: 0, key: 0, salt: 0 };
}

/// Shadow entries (a power of two).
pub const FAST_GATES: usize = 64;

/// The shadow slot of gate `index` for `asid` (clients often use the same
/// gate number: the ASID spreads them). Generated code computes the same.
pub fn fast_slot(asid: u64, index: u64) -> usize {
    (index.wrapping_add(asid.wrapping_mul(FAST_SLOT_MUL)) as usize) & (FAST_GATES - 1)
}

/// Multiplier of the ASID in [`fast_slot`].
pub const FAST_SLOT_MUL: u64 = 13;

impl Clb {
    /// An empty CLB of `n` entries.
    pub fn new(n: usize) -> Self {
        Clb { entries: vec![None; n], next: 0, fast: Box::new([FastGate::NONE; FAST_GATES]) }
    }

    /// Number of entries.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether the CLB has no entries at all (never: n ≥ 1).
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The gate cached for (`asid`, `index`).
    pub fn find(&self, asid: u64, index: u64) -> Option<Gate> {
        self.entries.iter().flatten().find(|e| e.asid == asid && e.index == index).map(|e| e.gate)
    }

    /// Fills (`asid`, `index`) with `gate`: overwrites a matching entry, else the FIFO victim.
    /// Address of shadow entry 0.
    pub fn fast_base(&self) -> *const FastGate {
        self.fast.as_ptr()
    }

    pub fn fill(&mut self, asid: u64, index: u64, gate: Gate) {
        let e = Entry { asid, index, gate };
        if let Some(slot) = self.entries.iter_mut().find(|s| matches!(s, Some(x) if x.asid == asid && x.index == index))
        {
            *slot = Some(e);
        } else {
            self.entries[self.next] = Some(e);
            self.next = (self.next + 1) % self.entries.len();
        }
        self.rebuild_fast();
    }

    /// Makes the shadow hold exactly the SYNC gates present (one per shadow
    /// slot, [`fast_slot`]: of two gates in one slot, the later entry; the
    /// other misses the shadow and runs the helper).
    fn rebuild_fast(&mut self) {
        self.fast.fill(FastGate::NONE);
        for e in self.entries.iter().flatten() {
            let sync_satp = super::insns::gate_satp(e.gate.satp).filter(|_| e.gate.kind == GateKind::Sync);
            if let (Some(satp), true) = (sync_satp, e.index >> 32 == 0) {
                let a = ((satp >> 44) & ((1 << ASID_BITS) - 1)) as u16;
                self.fast[fast_slot(e.asid, e.index)] = FastGate {
                    tag: e.asid << 32 | e.index,
                    satp,
                    pc: e.gate.pc,
                    badge: e.gate.badge,
                    gtp: e.gate.gtp,
                    key: tlb::asid_key(a),
                    salt: tlb::asid_salt(a),
                };
            }
        }
    }

    /// Invalidates entries matching `index` (None = any) and `asid` (None = any).
    pub fn flush(&mut self, index: Option<u64>, asid: Option<u64>) {
        for s in self.entries.iter_mut() {
            if let Some(e) = s {
                if index.is_none_or(|i| i == e.index) && asid.is_none_or(|a| a == e.asid) {
                    *s = None;
                }
            }
        }
        self.rebuild_fast();
    }

    /// Number of valid entries.
    pub fn occupancy(&self) -> usize {
        self.entries.iter().flatten().count()
    }
}

/// Looks gate `index` up for the current ASID: CLB, then (walk mode) the gate
/// table at `gtp`; `CLB_MISS` otherwise.
pub fn lookup(m: &mut Machine, index: u64) -> Result<Gate, Exception> {
    let asid = cur_asid(m);
    let gtp = regs(m).gtp;
    with_state(m, SET, |m, st: &mut XgateState| {
        if let Some(g) = st.clb.find(asid, index) {
            charge(m, st, E_CLB_HIT);
            return Ok(g);
        }
        charge(m, st, E_CLB_MISS);
        if st.walk && gtp != 0 {
            let log2 = gtp & 63;
            let base = gtp & !63;
            if log2 >= 64 || index < (1u64 << log2) {
                let pa = base.wrapping_add(index.wrapping_mul(64));
                common::phys_check(m, pa, 64, false)?;
                let mut w = [0u64; 8];
                for (k, word) in w.iter_mut().enumerate() {
                    *word = common::phys_ld(m, pa + 8 * k as u64)?;
                }
                let (_, g) = Gate::from_words(&w);
                charge(m, st, E_WALK);
                if g.kind != GateKind::None {
                    st.clb.fill(asid, index, g);
                    return Ok(g);
                }
            }
        }
        Err(Exception::new(causes::CLB_MISS, index))
    })
}
