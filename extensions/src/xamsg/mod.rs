//! Xamsg: asynchronous IPC in cache lines (SPEC §3).
//!
//! ```text
//!   asend g, line ─► CLB (ENDPOINT gate) ─► queue q ─► message cache (shared, `cache` lines)
//!                                                 └─► full or older spilled entries: ring (kernel memory)
//!   arecv q, line ◄─ oldest of q (cache first, then ring)   owner ASID must match
//!                 └─ abadge, atoken (one-shot reply token)   areply token, line ─► reply queue
//! ```
//!
//! `queue.rs` holds queues, the message cache and the reply table; `insns.rs`
//! the instructions.

mod fastpath;
mod insns;
pub mod queue;

pub use queue::{Msg, Queue, Reply};

use crate::common::{causes, regs, regs_mut, Counters, ExtState};
use crate::{Config, CostEvent, CsrAccess, CsrDef, Extension, ExtensionSpec, InsnDoc, Param};
use mkjit_runtime::csr::CsrDenied;
use mkjit_runtime::isa::{Format, InsnDef, IsaSet, Op};
use mkjit_runtime::machine::Machine;
use std::any::Any;

/// Custom set number.
pub const SET: u16 = 2;

/// Operation numbers = funct7.
pub mod op {
    /// `asend`.
    pub const ASEND: u16 = 0;
    /// `arecv`.
    pub const ARECV: u16 = 1;
    /// `arecv.w`.
    pub const ARECV_W: u16 = 2;
    /// `areply`.
    pub const AREPLY: u16 = 3;
    /// `aqset`.
    pub const AQSET: u16 = 4;
    /// `aqcount`.
    pub const AQCOUNT: u16 = 5;
}

const fn row(name: &'static str, pattern: &'static str, op: u16) -> InsnDef {
    InsnDef::new(name, pattern, Format::R, Op::Custom(SET, op), IsaSet::Custom(SET))
}

/// Encodings (custom-0, funct3 = 1).
pub static ROWS: &[InsnDef] = &[
    row("asend", "0000000 ----- ----- 001 ----- 0001011", op::ASEND),
    row("arecv", "0000001 ----- ----- 001 ----- 0001011", op::ARECV),
    row("arecv.w", "0000010 ----- ----- 001 ----- 0001011", op::ARECV_W),
    row("areply", "0000011 ----- ----- 001 ----- 0001011", op::AREPLY),
    row("aqset", "0000100 ----- ----- 001 00000 0001011", op::AQSET),
    row("aqcount", "0000101 00000 ----- 001 ----- 0001011", op::AQCOUNT),
];

static DOCS: &[InsnDoc] = &[
    InsnDoc {
        name: "asend",
        rd: "status",
        rs1: "gate",
        rs2: "line",
        rs3: "",
        summary: "send a 64-byte line through an endpoint gate (U only)",
    },
    InsnDoc {
        name: "arecv",
        rd: "status",
        rs1: "queue",
        rs2: "line",
        rs3: "",
        summary: "receive the oldest message of an owned queue (U only)",
    },
    InsnDoc {
        name: "arecv.w",
        rd: "status",
        rs1: "queue",
        rs2: "line",
        rs3: "",
        summary: "receive, stalling while the queue is empty (U only)",
    },
    InsnDoc {
        name: "areply",
        rd: "status",
        rs1: "token",
        rs2: "line",
        rs3: "",
        summary: "answer a received message (one-shot token) (U only)",
    },
    InsnDoc { name: "aqset", rd: "", rs1: "queue", rs2: "desc", rs3: "", summary: "install a queue descriptor (S)" },
    InsnDoc { name: "aqcount", rd: "count", rs1: "queue", rs2: "", rs3: "", summary: "messages queued (S)" },
];

/// Cost events.
pub static EVENTS: &[CostEvent] = &[
    CostEvent { name: "xamsg.asend", default: 2, doc: "asend" },
    CostEvent { name: "xamsg.arecv", default: 2, doc: "arecv / arecv.w completing" },
    CostEvent { name: "xamsg.areply", default: 2, doc: "areply" },
    CostEvent { name: "xamsg.line_read", default: 4, doc: "line read from the sender" },
    CostEvent { name: "xamsg.line_write", default: 4, doc: "line written to the receiver" },
    CostEvent { name: "xamsg.cache_insert", default: 1, doc: "message into the message cache" },
    CostEvent { name: "xamsg.cache_remove", default: 1, doc: "message out of the message cache" },
    CostEvent { name: "xamsg.spill", default: 20, doc: "message written to the ring" },
    CostEvent { name: "xamsg.ring_read", default: 20, doc: "message read from the ring" },
    CostEvent { name: "xamsg.full", default: 1, doc: "refused: queue full" },
    CostEvent { name: "xamsg.empty", default: 1, doc: "receive found the queue empty" },
    CostEvent { name: "xamsg.reply_alloc", default: 1, doc: "reply token allocated" },
    CostEvent { name: "xamsg.wait", default: 1, doc: "one stall step of arecv.w" },
    CostEvent { name: "xamsg.aqset", default: 4, doc: "aqset" },
];
/// Event: asend.
pub const E_ASEND: usize = 0;
/// Event: arecv.
pub const E_ARECV: usize = 1;
/// Event: areply.
pub const E_AREPLY: usize = 2;
/// Event: line read.
pub const E_LINE_READ: usize = 3;
/// Event: line write.
pub const E_LINE_WRITE: usize = 4;
/// Event: cache insert.
pub const E_CACHE_INSERT: usize = 5;
/// Event: cache remove.
pub const E_CACHE_REMOVE: usize = 6;
/// Event: spill.
pub const E_SPILL: usize = 7;
/// Event: ring read.
pub const E_RING_READ: usize = 8;
/// Event: full.
pub const E_FULL: usize = 9;
/// Event: empty.
pub const E_EMPTY: usize = 10;
/// Event: reply token.
pub const E_REPLY_ALLOC: usize = 11;
/// Event: wait step.
pub const E_WAIT: usize = 12;
/// Event: aqset.
pub const E_AQSET: usize = 13;

static PARAMS: &[Param] = &[
    Param { name: "queues", default: 16, min: 1, max: 64, doc: "hardware message queues" },
    Param { name: "cache", default: 32, min: 1, max: 4096, doc: "message-cache lines" },
    Param { name: "replies", default: 16, min: 1, max: 256, doc: "reply-table entries" },
];

/// CSR numbers.
pub mod csr {
    /// `abadge`.
    pub const ABADGE: u16 = 0xce0;
    /// `atoken`.
    pub const ATOKEN: u16 = 0xce1;
    /// `sabadge`.
    pub const SABADGE: u16 = 0x5e0;
    /// `satoken`.
    pub const SATOKEN: u16 = 0x5e1;
    /// `xamsgcfg`.
    pub const XAMSGCFG: u16 = 0xdc4;
}

static CSRS: &[CsrDef] = &[
    CsrDef { number: csr::ABADGE, name: "abadge", access: CsrAccess::URo },
    CsrDef { number: csr::ATOKEN, name: "atoken", access: CsrAccess::URo },
    CsrDef { number: csr::SABADGE, name: "sabadge", access: CsrAccess::SRw },
    CsrDef { number: csr::SATOKEN, name: "satoken", access: CsrAccess::SRw },
    CsrDef { number: csr::XAMSGCFG, name: "xamsgcfg", access: CsrAccess::SRo },
];

static CONSTANTS: &[(&str, u64)] = &[
    ("AMSG_LINE", 64),
    ("AMSG_QDESC_SIZE", 32),
    ("AMSG_QDESC_RING", 0),
    ("AMSG_QDESC_CAP", 8),
    ("AMSG_QDESC_OWNER", 16),
    ("AMSG_QDESC_ENABLE", 1 << 63),
    ("AMSG_RING_ENTRY", 128),
    ("AMSG_RING_BADGE", 64),
    ("AMSG_RING_REPLY", 72),
    ("AMSG_NO_REPLY", 0xff),
];

/// Xamsg hardware state.
#[derive(Debug)]
pub struct XamsgState {
    /// Configuration.
    pub cfg: Config,
    /// The queues.
    pub queues: Vec<Queue>,
    /// Message-cache capacity in lines.
    pub cache_lines: usize,
    /// Lines in use.
    pub cache_used: usize,
    /// The reply table.
    pub replies: Vec<Reply>,
    /// Next reply entry to allocate.
    pub next_reply: usize,
    /// Last generation handed out.
    pub generation: u64,
    /// Event counters.
    pub ctr: Counters,
}

impl ExtState for XamsgState {
    fn counters(&mut self) -> &mut Counters {
        &mut self.ctr
    }
}

/// The extension.
pub struct Xamsg;

/// The extension's static description.
static SPEC: ExtensionSpec = ExtensionSpec {
    name: "xamsg",
    isa_name: "Xamsg",
    set: SET,
    rows: ROWS,
    docs: DOCS,
    requires: &["xgate"],
    handler: insns::handler,
    params: PARAMS,
    csrs: CSRS,
    causes: &[],
    events: EVENTS,
    constants: CONSTANTS,
};

impl Extension for Xamsg {
    fn spec(&self) -> &'static ExtensionSpec {
        &SPEC
    }
    fn new_state(&self, m: &mut Machine, cfg: &Config) -> Box<dyn Any + Send> {
        Box::new(XamsgState {
            cfg: cfg.clone(),
            queues: vec![Queue::default(); cfg.get("queues") as usize],
            cache_lines: cfg.get("cache") as usize,
            cache_used: 0,
            replies: vec![Reply::default(); cfg.get("replies") as usize],
            next_reply: 0,
            generation: 0,
            ctr: Counters::new(m, EVENTS),
        })
    }
    fn config(&self, m: &Machine) -> Config {
        state(m).cfg.clone()
    }
    fn fast_path(&self) -> Option<&'static dyn mkjit_translator::fastpath::InlineFastPath> {
        Some(&fastpath::FAST_PATH)
    }
    fn csr_read(&self, m: &mut Machine, n: u16) -> Option<Result<u64, CsrDenied>> {
        Some(Ok(match n {
            csr::ABADGE | csr::SABADGE => regs(m).abadge,
            csr::ATOKEN | csr::SATOKEN => regs(m).atoken,
            csr::XAMSGCFG => {
                let st = state(m);
                st.queues.len() as u64 | (st.cache_lines as u64) << 16 | (st.replies.len() as u64) << 40
            }
            _ => return None,
        }))
    }
    fn csr_write(&self, m: &mut Machine, n: u16, v: u64) -> Option<Result<(), CsrDenied>> {
        match n {
            csr::SABADGE => regs_mut(m).abadge = v,
            csr::SATOKEN => regs_mut(m).atoken = v,
            _ => return None,
        }
        Some(Ok(()))
    }
    fn counts<'m>(&self, m: &'m Machine) -> &'m [u64] {
        &state(m).ctr.counts
    }
    fn gauges(&self, m: &Machine) -> Vec<(String, u64)> {
        let st = state(m);
        let queued: u64 = st.queues.iter().map(|q| q.len() as u64).sum();
        vec![("xamsg.queued".to_string(), queued), ("xamsg.cache_used".to_string(), st.cache_used as u64)]
    }
}

/// Xamsg uses Xgate's `CLB_MISS` and standard causes only.
pub const CAUSES_USED: [u64; 1] = [causes::CLB_MISS];

/// The Xamsg state of `m` (enabled).
pub fn state(m: &Machine) -> &XamsgState {
    m.ext.state::<XamsgState>(SET).expect("Xamsg enabled")
}

/// The Xamsg state of `m`, mutably.
pub fn state_mut(m: &mut Machine) -> &mut XamsgState {
    m.ext.state_mut::<XamsgState>(SET).expect("Xamsg enabled")
}

/// Whether queue `q` holds a message (Xuirq `QUEUE` sources); false when Xamsg is off.
pub fn queue_nonempty(m: &Machine, q: u64) -> bool {
    m.ext.state::<XamsgState>(SET).and_then(|st| st.queues.get(q as usize)).is_some_and(|q| q.enabled && !q.is_empty())
}
