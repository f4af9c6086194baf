//! Xgate: synchronous IPC through call gates (SPEC §2).
//!
//! ```text
//!   gcall g ─► CLB (asid, g) ──hit──► push link record at lsp ─► satp := gate.satp
//!                 │ miss                  (kernel-only memory)      gtp, gbadge, pc
//!                 ├─ gtp ≠ 0: walk gate table (physical) and fill
//!                 └─ else CLB_MISS trap ─► kernel: gfill, sret (retry)
//!   gret ─► pop record (callee satp must match) ─► caller satp, gtp, gbadge, sp, pc
//! ```
//!
//! `clb.rs` holds the lookaside buffer and the lookup shared with Xamsg and
//! Xuirq; `insns.rs` the instructions.

pub mod clb;
mod fastpath;
mod insns;

pub use clb::{lookup, Gate, GateKind};

use crate::common::{self, regs, regs_mut, Counters, ExtState};
use crate::{Config, CostEvent, CsrAccess, CsrDef, Extension, ExtensionSpec, InsnDoc, Param};
use mkjit_runtime::csr::CsrDenied;
use mkjit_runtime::isa::{Format, InsnDef, IsaSet, Op, RegEffects};
use mkjit_runtime::machine::Machine;
use std::any::Any;

/// Custom set number.
pub const SET: u16 = 1;

/// Operation numbers (`Op::Custom(SET, op)`) = funct7.
pub mod op {
    /// `gcall`.
    pub const GCALL: u16 = 0;
    /// `gret`.
    pub const GRET: u16 = 1;
    /// `gfill`.
    pub const GFILL: u16 = 2;
    /// `gflush`.
    pub const GFLUSH: u16 = 3;
}

const fn row(name: &'static str, pattern: &'static str, op: u16) -> InsnDef {
    InsnDef::new(name, pattern, Format::R, Op::Custom(SET, op), IsaSet::Custom(SET))
}

/// Encodings (custom-0, funct3 = 0).
pub static ROWS: &[InsnDef] = &[
    row("gcall", "0000000 00000 ----- 000 00000 0001011", op::GCALL).with_regs(RegEffects::All),
    row("gret", "0000001 00000 00000 000 00000 0001011", op::GRET).with_regs(RegEffects::All),
    row("gfill", "0000010 ----- ----- 000 00000 0001011", op::GFILL),
    row("gflush", "0000011 ----- ----- 000 00000 0001011", op::GFLUSH),
];

static DOCS: &[InsnDoc] = &[
    InsnDoc { name: "gcall", rd: "", rs1: "gate", rs2: "", rs3: "", summary: "call through gate (U only)" },
    InsnDoc { name: "gret", rd: "", rs1: "", rs2: "", rs3: "", summary: "return to the caller (U only)" },
    InsnDoc {
        name: "gfill",
        rd: "",
        rs1: "gate",
        rs2: "desc",
        rs3: "",
        summary: "fill a CLB entry from a gate descriptor (S)",
    },
    InsnDoc {
        name: "gflush",
        rd: "",
        rs1: "gate",
        rs2: "asid",
        rs3: "",
        summary: "invalidate CLB entries (x0 = all) (S)",
    },
];

/// Cost events (indices are the `E_*` constants).
pub static EVENTS: &[CostEvent] = &[
    CostEvent { name: "xgate.gcall", default: 4, doc: "a gcall that completes" },
    CostEvent { name: "xgate.gret", default: 4, doc: "a gret that completes" },
    CostEvent { name: "xgate.clb_hit", default: 1, doc: "CLB lookup hit" },
    CostEvent { name: "xgate.clb_miss", default: 2, doc: "CLB lookup miss" },
    CostEvent { name: "xgate.walk", default: 20, doc: "gate-table read by the walker" },
    CostEvent { name: "xgate.clb_fill", default: 6, doc: "gfill" },
    CostEvent { name: "xgate.link_push", default: 8, doc: "link record written" },
    CostEvent { name: "xgate.link_pop", default: 8, doc: "link record read" },
    CostEvent { name: "xgate.satp_switch", default: 2, doc: "address-space switch by gcall/gret" },
    CostEvent { name: "xgate.flush", default: 2, doc: "gflush" },
];
/// Event: gcall.
pub const E_GCALL: usize = 0;
/// Event: gret.
pub const E_GRET: usize = 1;
/// Event: CLB hit.
pub const E_CLB_HIT: usize = 2;
/// Event: CLB miss.
pub const E_CLB_MISS: usize = 3;
/// Event: gate-table walk.
pub const E_WALK: usize = 4;
/// Event: gfill.
pub const E_CLB_FILL: usize = 5;
/// Event: link push.
pub const E_LINK_PUSH: usize = 6;
/// Event: link pop.
pub const E_LINK_POP: usize = 7;
/// Event: satp switch.
pub const E_SATP_SWITCH: usize = 8;
/// Event: gflush.
pub const E_FLUSH: usize = 9;

static PARAMS: &[Param] = &[
    Param { name: "clb", default: 32, min: 1, max: 1024, doc: "CLB entries" },
    Param { name: "walk", default: 1, min: 0, max: 1, doc: "hardware gate-table walker present" },
];

/// CSR numbers.
pub mod csr {
    /// `lsbase`.
    pub const LSBASE: u16 = 0x5c0;
    /// `lslimit`.
    pub const LSLIMIT: u16 = 0x5c1;
    /// `lsp`.
    pub const LSP: u16 = 0x5c2;
    /// `gtp`.
    pub const GTP: u16 = 0x5c3;
    /// `sgbadge`.
    pub const SGBADGE: u16 = 0x5c4;
    /// `gbadge`.
    pub const GBADGE: u16 = 0xcc0;
    /// `xgatecfg`.
    pub const XGATECFG: u16 = 0xdc0;
}

static CSRS: &[CsrDef] = &[
    CsrDef { number: csr::LSBASE, name: "lsbase", access: CsrAccess::SRw },
    CsrDef { number: csr::LSLIMIT, name: "lslimit", access: CsrAccess::SRw },
    CsrDef { number: csr::LSP, name: "lsp", access: CsrAccess::SRw },
    CsrDef { number: csr::GTP, name: "gtp", access: CsrAccess::SRw },
    CsrDef { number: csr::SGBADGE, name: "sgbadge", access: CsrAccess::SRw },
    CsrDef { number: csr::GBADGE, name: "gbadge", access: CsrAccess::URo },
    CsrDef { number: csr::XGATECFG, name: "xgatecfg", access: CsrAccess::SRo },
];

static CAUSES: &[(u64, &str)] = &[
    (common::causes::CLB_MISS, "CLB miss"),
    (common::causes::LINK_OVERFLOW, "link stack overflow"),
    (common::causes::LINK_UNDERFLOW, "link stack underflow"),
    (common::causes::LINK_FOREIGN, "foreign link record"),
    (common::causes::GATE_KIND, "not a call gate"),
];

/// Layout constants (SPEC §2.2, §2.3) for the C header.
static CONSTANTS: &[(&str, u64)] = &[
    ("GATE_KIND_NONE", 0),
    ("GATE_KIND_SYNC", 1),
    ("GATE_KIND_ENDPOINT", 2),
    ("GATE_KIND_DOORBELL", 3),
    ("GATE_DESC_SIZE", 64),
    ("GATE_DESC_SATP", 0),
    ("GATE_DESC_PC", 8),
    ("GATE_DESC_BADGE", 16),
    ("GATE_DESC_GTP", 24),
    ("GATE_DESC_INFO", 32),
    ("GATE_INFO_ASID_SHIFT", 0),
    ("GATE_INFO_KIND_SHIFT", 16),
    ("GATE_INFO_TARGET_SHIFT", 32),
    ("GATE_INFO_REPLY_SHIFT", 40),
    ("LINK_REC_SIZE", 64),
    ("LINK_REC_SATP", 0),
    ("LINK_REC_PC", 8),
    ("LINK_REC_GTP", 16),
    ("LINK_REC_CALLEE_SATP", 24),
    ("LINK_REC_GBADGE", 32),
    ("LINK_REC_SP", 40),
    ("LINK_REC_FLAGS", 48),
    ("LINK_REC_GATE", 56),
    ("LINK_REC_VALID", 1 << 63),
];

/// Bit 63 of link record word 6.
pub const LINK_VALID: u64 = 1 << 63;

/// Xgate hardware state.
#[derive(Debug)]
pub struct XgateState {
    /// Configuration.
    pub cfg: Config,
    /// The CLB.
    pub clb: clb::Clb,
    /// Walker present.
    pub walk: bool,
    /// Deepest link stack seen, in records.
    pub max_depth: u64,
    /// Event counters.
    pub ctr: Counters,
}

impl ExtState for XgateState {
    fn counters(&mut self) -> &mut Counters {
        &mut self.ctr
    }
}

/// The extension.
pub struct Xgate;

/// The extension's static description.
static SPEC: ExtensionSpec = ExtensionSpec {
    name: "xgate",
    isa_name: "Xgate",
    set: SET,
    rows: ROWS,
    docs: DOCS,
    requires: &[],
    handler: insns::handler,
    params: PARAMS,
    csrs: CSRS,
    causes: CAUSES,
    events: EVENTS,
    constants: CONSTANTS,
};

impl Extension for Xgate {
    fn spec(&self) -> &'static ExtensionSpec {
        &SPEC
    }
    fn new_state(&self, m: &mut Machine, cfg: &Config) -> Box<dyn Any + Send> {
        Box::new(XgateState {
            cfg: cfg.clone(),
            clb: clb::Clb::new(cfg.get("clb") as usize),
            walk: cfg.get("walk") != 0,
            max_depth: 0,
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
        let r = regs(m);
        Some(Ok(match n {
            csr::LSBASE => r.lsbase,
            csr::LSLIMIT => r.lslimit,
            csr::LSP => r.lsp,
            csr::GTP => r.gtp,
            csr::SGBADGE | csr::GBADGE => r.gbadge,
            csr::XGATECFG => {
                let st = state(m);
                st.clb.len() as u64 | (st.walk as u64) << 16
            }
            _ => return None,
        }))
    }
    fn csr_write(&self, m: &mut Machine, n: u16, v: u64) -> Option<Result<(), CsrDenied>> {
        let walk = state(m).walk;
        let r = regs_mut(m);
        match n {
            csr::LSBASE => r.lsbase = v & !63,
            csr::LSLIMIT => r.lslimit = v & !63,
            csr::LSP => r.lsp = v & !63,
            csr::GTP => r.gtp = if walk { v & ((1 << 56) - 1) } else { 0 },
            csr::SGBADGE => r.gbadge = v,
            _ => return None,
        }
        Some(Ok(()))
    }
    fn counts<'m>(&self, m: &'m Machine) -> &'m [u64] {
        &state(m).ctr.counts
    }
    fn gauges(&self, m: &Machine) -> Vec<(String, u64)> {
        vec![("xgate.link_max_depth".to_string(), state(m).max_depth)]
    }
}

/// The Xgate state of `m` (enabled).
pub fn state(m: &Machine) -> &XgateState {
    m.ext.state::<XgateState>(SET).expect("Xgate enabled")
}

/// The Xgate state of `m`, mutably.
pub fn state_mut(m: &mut Machine) -> &mut XgateState {
    m.ext.state_mut::<XgateState>(SET).expect("Xgate enabled")
}
