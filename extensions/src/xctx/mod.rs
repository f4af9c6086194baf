//! Xctx: a hardware cache of thread contexts (SPEC §5).
//!
//! ```text
//!   trap entry:  ctx.save            trapped regs, sepc, SPP, satp, ext CSRs → slot[ctxcur]
//!   trap exit:   ctx.switch s (S)    slot[s] → regs, satp, ext CSRs; sret
//!   user level:  ctx.switch s (U)    running → slot[ctxcur]; slot[s] (same group) → running
//!   eviction:    ctx.store s, va / ctx.inval s      refill: ctx.load s, va
//! ```
//!
//! A slot holds the 48-word context image of SPEC §5.2; `slot.rs` moves
//! contexts between the hart and slots (also used by Xuirq), `insns.rs` holds
//! the instructions.

mod fastpath;
mod insns;
pub mod slot;

pub use slot::{restore, save_running, Slot, IMAGE_WORDS};

use crate::common::{self, Counters, ExtState, NONE};
use crate::{Config, CostEvent, CsrAccess, CsrDef, Extension, ExtensionSpec, InsnDoc, Param};
use mkjit_runtime::csr::CsrDenied;
use mkjit_runtime::isa::{Format, InsnDef, IsaSet, Op, RegEffects};
use mkjit_runtime::machine::Machine;
use std::any::Any;

/// Custom set number.
pub const SET: u16 = 4;

/// Operation numbers = funct7.
pub mod op {
    /// `ctx.save`.
    pub const SAVE: u16 = 0;
    /// `ctx.restore`.
    pub const RESTORE: u16 = 1;
    /// `ctx.switch`.
    pub const SWITCH: u16 = 2;
    /// `ctx.store`.
    pub const STORE: u16 = 3;
    /// `ctx.load`.
    pub const LOAD: u16 = 4;
    /// `ctx.inval`.
    pub const INVAL: u16 = 5;
    /// `ctx.status`.
    pub const STATUS: u16 = 6;
}

const fn row(name: &'static str, pattern: &'static str, op: u16) -> InsnDef {
    InsnDef::new(name, pattern, Format::R, Op::Custom(SET, op), IsaSet::Custom(SET))
}

/// Encodings (custom-0, funct3 = 3).
pub static ROWS: &[InsnDef] = &[
    row("ctx.save", "0000000 00000 00000 011 00000 0001011", op::SAVE).with_regs(RegEffects::All),
    row("ctx.restore", "0000001 00000 ----- 011 00000 0001011", op::RESTORE).with_regs(RegEffects::All),
    row("ctx.switch", "0000010 00000 ----- 011 00000 0001011", op::SWITCH).with_regs(RegEffects::All),
    row("ctx.store", "0000011 ----- ----- 011 00000 0001011", op::STORE),
    row("ctx.load", "0000100 ----- ----- 011 00000 0001011", op::LOAD),
    row("ctx.inval", "0000101 00000 ----- 011 00000 0001011", op::INVAL),
    row("ctx.status", "0000110 00000 ----- 011 ----- 0001011", op::STATUS),
];

static DOCS: &[InsnDoc] = &[
    InsnDoc {
        name: "ctx.save",
        rd: "",
        rs1: "",
        rs2: "",
        rs3: "",
        summary: "save the trapped context into slot ctxcur (S)",
    },
    InsnDoc {
        name: "ctx.restore",
        rd: "",
        rs1: "slot",
        rs2: "",
        rs3: "",
        summary: "load a slot as the trapped context (S)",
    },
    InsnDoc {
        name: "ctx.switch",
        rd: "",
        rs1: "slot",
        rs2: "",
        rs3: "",
        summary: "switch to a slot (S: restore + sret; U: same group)",
    },
    InsnDoc {
        name: "ctx.store",
        rd: "",
        rs1: "slot",
        rs2: "addr",
        rs3: "",
        summary: "write a slot's image to memory (S)",
    },
    InsnDoc {
        name: "ctx.load",
        rd: "",
        rs1: "slot",
        rs2: "addr",
        rs3: "",
        summary: "read a slot's image from memory (S)",
    },
    InsnDoc { name: "ctx.inval", rd: "", rs1: "slot", rs2: "", rs3: "", summary: "mark a slot not present (S)" },
    InsnDoc {
        name: "ctx.status",
        rd: "info",
        rs1: "slot",
        rs2: "",
        rs3: "",
        summary: "present, privilege and group of a slot (S)",
    },
];

/// Cost events.
pub static EVENTS: &[CostEvent] = &[
    CostEvent { name: "xctx.save", default: 8, doc: "context written into a slot" },
    CostEvent { name: "xctx.restore", default: 8, doc: "context read from a slot" },
    CostEvent { name: "xctx.switch", default: 2, doc: "ctx.switch control transfer" },
    CostEvent { name: "xctx.store", default: 48, doc: "image written to memory" },
    CostEvent { name: "xctx.load", default: 48, doc: "image read from memory" },
    CostEvent { name: "xctx.slot_miss", default: 2, doc: "CTX_SLOT_MISS detected" },
    CostEvent { name: "xctx.inval", default: 1, doc: "ctx.inval" },
    CostEvent { name: "xctx.status", default: 1, doc: "ctx.status" },
];
/// Event: save into a slot.
pub const E_SAVE: usize = 0;
/// Event: restore from a slot.
pub const E_RESTORE: usize = 1;
/// Event: ctx.switch.
pub const E_SWITCH: usize = 2;
/// Event: ctx.store.
pub const E_STORE: usize = 3;
/// Event: ctx.load.
pub const E_LOAD: usize = 4;
/// Event: slot miss.
pub const E_SLOT_MISS: usize = 5;
/// Event: ctx.inval.
pub const E_INVAL: usize = 6;
/// Event: ctx.status.
pub const E_STATUS: usize = 7;

static PARAMS: &[Param] = &[Param { name: "slots", default: 16, min: 1, max: 256, doc: "context slots" }];

/// CSR numbers.
pub mod csr {
    /// `ctxcur`.
    pub const CTXCUR: u16 = 0x5d0;
    /// `uctxcur`.
    pub const UCTXCUR: u16 = 0xcd0;
    /// `xctxcfg`.
    pub const XCTXCFG: u16 = 0xdc2;
}

static CSRS: &[CsrDef] = &[
    CsrDef { number: csr::CTXCUR, name: "ctxcur", access: CsrAccess::SRw },
    CsrDef { number: csr::UCTXCUR, name: "uctxcur", access: CsrAccess::URo },
    CsrDef { number: csr::XCTXCFG, name: "xctxcfg", access: CsrAccess::SRo },
];

static CAUSES: &[(u64, &str)] = &[(common::causes::CTX_SLOT_MISS, "context slot miss")];

static CONSTANTS: &[(&str, u64)] = &[
    ("CTX_IMAGE_WORDS", IMAGE_WORDS as u64),
    ("CTX_IMAGE_SIZE", 8 * IMAGE_WORDS as u64),
    ("CTX_W_PC", 0),
    ("CTX_W_SATP", 32),
    ("CTX_W_STATUS", 33),
    ("CTX_W_TAG", 34),
    ("CTX_W_EXT", 35),
    ("CTX_STATUS_PRV_S", 1),
    ("CTX_STATUS_GROUP_SHIFT", 16),
    ("CTX_NONE", NONE),
];

/// Xctx hardware state.
#[derive(Debug)]
pub struct XctxState {
    /// Configuration.
    pub cfg: Config,
    /// The slots.
    pub slots: Vec<Slot>,
    /// `ctxcur`.
    pub ctxcur: u64,
    /// Event counters.
    pub ctr: Counters,
}

impl ExtState for XctxState {
    fn counters(&mut self) -> &mut Counters {
        &mut self.ctr
    }
}

/// The extension.
pub struct Xctx;

/// The extension's static description.
static SPEC: ExtensionSpec = ExtensionSpec {
    name: "xctx",
    isa_name: "Xctx",
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

impl Extension for Xctx {
    fn spec(&self) -> &'static ExtensionSpec {
        &SPEC
    }
    fn new_state(&self, m: &mut Machine, cfg: &Config) -> Box<dyn Any + Send> {
        Box::new(XctxState {
            cfg: cfg.clone(),
            slots: vec![Slot::default(); cfg.get("slots") as usize],
            ctxcur: NONE,
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
        let st = state(m);
        Some(Ok(match n {
            csr::CTXCUR | csr::UCTXCUR => st.ctxcur,
            csr::XCTXCFG => st.slots.len() as u64,
            _ => return None,
        }))
    }
    fn csr_write(&self, m: &mut Machine, n: u16, v: u64) -> Option<Result<(), CsrDenied>> {
        let st = state_mut(m);
        match n {
            csr::CTXCUR => st.ctxcur = if v < st.slots.len() as u64 { v } else { NONE },
            _ => return None,
        }
        Some(Ok(()))
    }
    fn counts<'m>(&self, m: &'m Machine) -> &'m [u64] {
        &state(m).ctr.counts
    }
    fn gauges(&self, m: &Machine) -> Vec<(String, u64)> {
        let present = state(m).slots.iter().filter(|s| s.present).count() as u64;
        vec![("xctx.slots_present".to_string(), present)]
    }
}

/// The Xctx state of `m` (enabled).
pub fn state(m: &Machine) -> &XctxState {
    m.ext.state::<XctxState>(SET).expect("Xctx enabled")
}

/// The Xctx state of `m`, mutably.
pub fn state_mut(m: &mut Machine) -> &mut XctxState {
    m.ext.state_mut::<XctxState>(SET).expect("Xctx enabled")
}
