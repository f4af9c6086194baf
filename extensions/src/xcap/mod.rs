//! Xcap: capabilities embedded in pointers (SPEC §7).
//!
//! ```text
//!   cap.ld rd, (ref, off) ─► CCC (asid, index) ──miss──► capability table (physical, kernel-only)
//!                              │ checks: valid, generation, owner = ASID, root not revoked, perms, bounds, alignment
//!                              ▼
//!                     va = base + off, translated in the entry's satp (U permissions) ─► physical access
//!   cap.derive / cap.restrict: narrower child from the thread's spare list (capspare)
//!   cap.revoke (S): generation + 1, INVALID, CCC flushed ─► every reference and descendant dies
//! ```

mod ccc;
mod fastpath;
mod insns;

pub use ccc::{CapEntry, Ccc, FastCap};

use crate::common::{causes, regs, regs_mut, Counters, ExtState};
use crate::{Config, CostEvent, CsrAccess, CsrDef, Extension, ExtensionSpec, InsnDoc, Param};
use mkjit_runtime::csr::CsrDenied;
use mkjit_runtime::isa::{Format, InsnDef, IsaSet, Op};
use mkjit_runtime::machine::Machine;
use std::any::Any;

/// Custom set number.
pub const SET: u16 = 6;

/// Operation numbers.
pub mod op {
    /// Loads: funct3 (0 lb .. 6 lwu).
    pub const LOAD0: u16 = 0;
    /// `cap.len`.
    pub const LEN: u16 = 16;
    /// `cap.perm`.
    pub const PERM: u16 = 17;
    /// `cap.restrict`.
    pub const RESTRICT: u16 = 18;
    /// `cap.revoke`.
    pub const REVOKE: u16 = 19;
    /// `cap.flush`.
    pub const FLUSH: u16 = 20;
    /// Stores: 32 + funct3 (0 sb .. 3 sd).
    pub const STORE0: u16 = 32;
    /// `cap.derive`.
    pub const DERIVE: u16 = 40;
}

const fn row(name: &'static str, pattern: &'static str, op: u16) -> InsnDef {
    InsnDef::new(name, pattern, Format::R, Op::Custom(SET, op), IsaSet::Custom(SET))
}

const fn row4(name: &'static str, pattern: &'static str, op: u16) -> InsnDef {
    InsnDef::new(name, pattern, Format::R4, Op::Custom(SET, op), IsaSet::Custom(SET))
}

/// Encodings: loads and register operations in custom-1, stores and derive in custom-2 (R4).
pub static ROWS: &[InsnDef] = &[
    row("cap.lb", "0000000 ----- ----- 000 ----- 0101011", op::LOAD0),
    row("cap.lh", "0000000 ----- ----- 001 ----- 0101011", op::LOAD0 + 1),
    row("cap.lw", "0000000 ----- ----- 010 ----- 0101011", op::LOAD0 + 2),
    row("cap.ld", "0000000 ----- ----- 011 ----- 0101011", op::LOAD0 + 3),
    row("cap.lbu", "0000000 ----- ----- 100 ----- 0101011", op::LOAD0 + 4),
    row("cap.lhu", "0000000 ----- ----- 101 ----- 0101011", op::LOAD0 + 5),
    row("cap.lwu", "0000000 ----- ----- 110 ----- 0101011", op::LOAD0 + 6),
    row("cap.len", "0000000 00000 ----- 111 ----- 0101011", op::LEN),
    row("cap.perm", "0000001 00000 ----- 111 ----- 0101011", op::PERM),
    row("cap.restrict", "0000010 ----- ----- 111 ----- 0101011", op::RESTRICT),
    row("cap.revoke", "0000011 00000 ----- 111 00000 0101011", op::REVOKE),
    row("cap.flush", "0000100 00000 ----- 111 00000 0101011", op::FLUSH),
    row4("cap.sb", "----- 00 ----- ----- 000 00000 1011011", op::STORE0),
    row4("cap.sh", "----- 00 ----- ----- 001 00000 1011011", op::STORE0 + 1),
    row4("cap.sw", "----- 00 ----- ----- 010 00000 1011011", op::STORE0 + 2),
    row4("cap.sd", "----- 00 ----- ----- 011 00000 1011011", op::STORE0 + 3),
    row4("cap.derive", "----- 00 ----- ----- 100 ----- 1011011", op::DERIVE),
];

const LOAD_DOC: &str = "load through a capability (offset in rs2)";
const STORE_DOC: &str = "store rs3 through a capability (offset in rs2)";

static DOCS: &[InsnDoc] = &[
    InsnDoc { name: "cap.lb", rd: "value", rs1: "cap", rs2: "off", rs3: "", summary: LOAD_DOC },
    InsnDoc { name: "cap.lh", rd: "value", rs1: "cap", rs2: "off", rs3: "", summary: LOAD_DOC },
    InsnDoc { name: "cap.lw", rd: "value", rs1: "cap", rs2: "off", rs3: "", summary: LOAD_DOC },
    InsnDoc { name: "cap.ld", rd: "value", rs1: "cap", rs2: "off", rs3: "", summary: LOAD_DOC },
    InsnDoc { name: "cap.lbu", rd: "value", rs1: "cap", rs2: "off", rs3: "", summary: LOAD_DOC },
    InsnDoc { name: "cap.lhu", rd: "value", rs1: "cap", rs2: "off", rs3: "", summary: LOAD_DOC },
    InsnDoc { name: "cap.lwu", rd: "value", rs1: "cap", rs2: "off", rs3: "", summary: LOAD_DOC },
    InsnDoc { name: "cap.len", rd: "len", rs1: "cap", rs2: "", rs3: "", summary: "length of a capability" },
    InsnDoc { name: "cap.perm", rd: "perms", rs1: "cap", rs2: "", rs3: "", summary: "permissions of a capability" },
    InsnDoc {
        name: "cap.restrict",
        rd: "newcap",
        rs1: "cap",
        rs2: "mask",
        rs3: "",
        summary: "child with fewer permissions",
    },
    InsnDoc {
        name: "cap.revoke",
        rd: "",
        rs1: "index",
        rs2: "",
        rs3: "",
        summary: "revoke an entry and its descendants (S)",
    },
    InsnDoc {
        name: "cap.flush",
        rd: "",
        rs1: "index",
        rs2: "",
        rs3: "",
        summary: "invalidate cached entries (x0 = all) (S)",
    },
    InsnDoc { name: "cap.sb", rd: "", rs1: "cap", rs2: "off", rs3: "value", summary: STORE_DOC },
    InsnDoc { name: "cap.sh", rd: "", rs1: "cap", rs2: "off", rs3: "value", summary: STORE_DOC },
    InsnDoc { name: "cap.sw", rd: "", rs1: "cap", rs2: "off", rs3: "value", summary: STORE_DOC },
    InsnDoc { name: "cap.sd", rd: "", rs1: "cap", rs2: "off", rs3: "value", summary: STORE_DOC },
    InsnDoc {
        name: "cap.derive",
        rd: "newcap",
        rs1: "cap",
        rs2: "off",
        rs3: "len",
        summary: "child with narrower bounds",
    },
];

/// Cost events.
pub static EVENTS: &[CostEvent] = &[
    CostEvent { name: "xcap.access", default: 1, doc: "capability load/store" },
    CostEvent { name: "xcap.ccc_hit", default: 0, doc: "CCC hit" },
    CostEvent { name: "xcap.ccc_miss", default: 2, doc: "CCC miss" },
    CostEvent { name: "xcap.ccc_fill", default: 20, doc: "table entry read on a miss" },
    CostEvent { name: "xcap.walk", default: 20, doc: "page walk in the target space" },
    CostEvent { name: "xcap.derive", default: 24, doc: "cap.derive / cap.restrict" },
    CostEvent { name: "xcap.query", default: 1, doc: "cap.len / cap.perm" },
    CostEvent { name: "xcap.revoke", default: 20, doc: "cap.revoke" },
    CostEvent { name: "xcap.flush", default: 2, doc: "cap.flush" },
];
/// Event: access.
pub const E_ACCESS: usize = 0;
/// Event: CCC hit.
pub const E_CCC_HIT: usize = 1;
/// Event: CCC miss.
pub const E_CCC_MISS: usize = 2;
/// Event: CCC fill.
pub const E_CCC_FILL: usize = 3;
/// Event: target walk.
pub const E_WALK: usize = 4;
/// Event: derive.
pub const E_DERIVE: usize = 5;
/// Event: query.
pub const E_QUERY: usize = 6;
/// Event: revoke.
pub const E_REVOKE: usize = 7;
/// Event: flush.
pub const E_FLUSH: usize = 8;

static PARAMS: &[Param] =
    &[Param { name: "ccc", default: 16, min: 1, max: 1024, doc: "capability lookaside cache entries" }];

/// CSR numbers.
pub mod csr {
    /// `captbl`.
    pub const CAPTBL: u16 = 0x5f0;
    /// `capspare`.
    pub const CAPSPARE: u16 = 0x5f1;
    /// `capcause`.
    pub const CAPCAUSE: u16 = 0x5f2;
    /// `capva`.
    pub const CAPVA: u16 = 0x5f3;
    /// `xcapcfg`.
    pub const XCAPCFG: u16 = 0xdc5;
}

static CSRS: &[CsrDef] = &[
    CsrDef { number: csr::CAPTBL, name: "captbl", access: CsrAccess::SRw },
    CsrDef { number: csr::CAPSPARE, name: "capspare", access: CsrAccess::SRw },
    CsrDef { number: csr::CAPCAUSE, name: "capcause", access: CsrAccess::SRw },
    CsrDef { number: csr::CAPVA, name: "capva", access: CsrAccess::SRw },
    CsrDef { number: csr::XCAPCFG, name: "xcapcfg", access: CsrAccess::SRo },
];

static CAUSES: &[(u64, &str)] = &[
    (causes::XCAP_FAULT, "capability fault"),
    (causes::XCAP_PAGE, "capability page fault"),
    (causes::XCAP_NOSPARE, "no spare capability entry"),
];

/// `capcause` reasons (SPEC §7.3).
pub mod reason {
    /// Index out of range or no table.
    pub const BAD_INDEX: u64 = 1;
    /// Entry not valid.
    pub const INVALID: u64 = 2;
    /// Generation mismatch (revoked), or a revoked root.
    pub const STALE: u64 = 3;
    /// Entry owned by another ASID.
    pub const NOT_OWNER: u64 = 4;
    /// Missing permission.
    pub const PERM: u64 = 5;
    /// Outside the bounds.
    pub const BOUNDS: u64 = 6;
    /// Misaligned target address.
    pub const MISALIGNED: u64 = 7;
}

/// Permission bits.
pub mod perm {
    /// Read.
    pub const R: u64 = 1;
    /// Write.
    pub const W: u64 = 2;
    /// Derive.
    pub const D: u64 = 4;
}

/// Entry states.
pub mod state_code {
    /// Invalid.
    pub const INVALID: u64 = 0;
    /// Valid.
    pub const VALID: u64 = 1;
    /// Spare (on a spare list).
    pub const SPARE: u64 = 2;
}

static CONSTANTS: &[(&str, u64)] = &[
    ("CAP_ENTRY_SIZE", 64),
    ("CAP_E_BASE", 0),
    ("CAP_E_LENGTH", 8),
    ("CAP_E_SATP", 16),
    ("CAP_E_INFO", 24),
    ("CAP_E_ROOT", 32),
    ("CAP_E_NEXT", 40),
    ("CAP_INFO_PERMS_SHIFT", 32),
    ("CAP_INFO_STATE_SHIFT", 40),
    ("CAP_INFO_OWNER_SHIFT", 48),
    ("CAP_PERM_R", perm::R),
    ("CAP_PERM_W", perm::W),
    ("CAP_PERM_D", perm::D),
    ("CAP_STATE_INVALID", state_code::INVALID),
    ("CAP_STATE_VALID", state_code::VALID),
    ("CAP_STATE_SPARE", state_code::SPARE),
    ("CAP_SPARE_END", 0xffff_ffff),
    ("CAPCAUSE_BAD_INDEX", reason::BAD_INDEX),
    ("CAPCAUSE_INVALID", reason::INVALID),
    ("CAPCAUSE_STALE", reason::STALE),
    ("CAPCAUSE_NOT_OWNER", reason::NOT_OWNER),
    ("CAPCAUSE_PERM", reason::PERM),
    ("CAPCAUSE_BOUNDS", reason::BOUNDS),
    ("CAPCAUSE_MISALIGNED", reason::MISALIGNED),
];

/// Xcap hardware state.
#[derive(Debug)]
pub struct XcapState {
    /// Configuration.
    pub cfg: Config,
    /// The capability lookaside cache.
    pub ccc: Ccc,
    /// `captbl`.
    pub captbl: u64,
    /// `capcause`.
    pub capcause: u64,
    /// `capva`.
    pub capva: u64,
    /// Event counters.
    pub ctr: Counters,
}

impl ExtState for XcapState {
    fn counters(&mut self) -> &mut Counters {
        &mut self.ctr
    }
}

/// The extension.
pub struct Xcap;

/// The extension's static description.
static SPEC: ExtensionSpec = ExtensionSpec {
    name: "xcap",
    isa_name: "Xcap",
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

impl Extension for Xcap {
    fn spec(&self) -> &'static ExtensionSpec {
        &SPEC
    }
    fn new_state(&self, m: &mut Machine, cfg: &Config) -> Box<dyn Any + Send> {
        Box::new(XcapState {
            cfg: cfg.clone(),
            ccc: Ccc::new(cfg.get("ccc") as usize),
            captbl: 0,
            capcause: 0,
            capva: 0,
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
            csr::CAPTBL => st.captbl,
            csr::CAPSPARE => regs(m).capspare,
            csr::CAPCAUSE => st.capcause,
            csr::CAPVA => st.capva,
            csr::XCAPCFG => st.ccc.len() as u64,
            _ => return None,
        }))
    }
    fn csr_write(&self, m: &mut Machine, n: u16, v: u64) -> Option<Result<(), CsrDenied>> {
        match n {
            csr::CAPSPARE => regs_mut(m).capspare = v & 0xffff_ffff,
            _ => {
                let st = state_mut(m);
                match n {
                    csr::CAPTBL => {
                        st.captbl = v & ((1 << 56) - 1);
                        // Shadow outcomes assumed the old table's bounds.
                        st.ccc.invalidate_fast();
                    }
                    csr::CAPCAUSE => st.capcause = v,
                    csr::CAPVA => st.capva = v,
                    _ => return None,
                }
            }
        }
        Some(Ok(()))
    }
    fn counts<'m>(&self, m: &'m Machine) -> &'m [u64] {
        &state(m).ctr.counts
    }
}

/// The Xcap state of `m` (enabled).
pub fn state(m: &Machine) -> &XcapState {
    m.ext.state::<XcapState>(SET).expect("Xcap enabled")
}

/// The Xcap state of `m`, mutably.
pub fn state_mut(m: &mut Machine) -> &mut XcapState {
    m.ext.state_mut::<XcapState>(SET).expect("Xcap enabled")
}
