//! mkjit's co-design ISA extensions: Xgate, Xamsg, Xline, Xctx, Xuirq and Xcap.
//!
//! `SPEC.md` in this crate is the authority; this crate is the reference
//! semantics of that specification, run by the interpreter and used as the
//! JIT's slow path; extensions whose common case pays for it also give the JIT
//! inline fast paths (`fastpath.rs` in their folder).
//!
//! ```text
//!   registry::all()  ──►  one &dyn Extension per folder (xgate/, xctx/, ...)
//!        │                  rows (InsnDef)   handler (reference semantics)
//!        │                  CSRs, causes     cost events, stats, state
//!        ▼
//!   registry::enable(machine, "xgate,xctx:slots=8")
//!        ├─ IsaTable::register(rows)       (decoder, disassembler, encoder, overlap check)
//!        ├─ Machine::set_custom_handler    (Op::Custom(set, op) → handler)
//!        ├─ machine.ext state + hooks      (CSRs, translate, interrupts, stats, medeleg)
//!        ├─ fastpath::register             (inline JIT fast paths, if the extension has them)
//!        └─ machine.enabled |= set         (disabled sets do not decode: illegal)
//!   header::generate()  ──►  include/mkjit_ext.h (guest intrinsics from the same rows)
//! ```
//!
//! Extensions share one piece of state, [`common::ThreadRegs`]: the per-thread
//! CSRs of all extensions, which Xctx saves and restores as a unit.

pub mod common;
pub mod header;
pub mod registry;
pub mod xamsg;
pub mod xcap;
pub mod xctx;
pub mod xgate;
pub mod xline;
pub mod xuirq;

use mkjit_runtime::csr::CsrDenied;
use mkjit_runtime::ext::{InterruptHooks, TranslateHook};
use mkjit_runtime::interp::Handler;
use mkjit_runtime::isa::InsnDef;
use mkjit_runtime::machine::Machine;
use mkjit_translator::fastpath::InlineFastPath;
use std::any::Any;

/// A configuration knob of an extension's simulated hardware (`--ext name:key=value`).
#[derive(Clone, Copy, Debug)]
pub struct Param {
    /// Key.
    pub name: &'static str,
    /// Default value.
    pub default: u64,
    /// Smallest accepted value.
    pub min: u64,
    /// Largest accepted value.
    pub max: u64,
    /// What it sets.
    pub doc: &'static str,
}

/// Resolved configuration of one extension: a value for every [`Param`], in order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Config {
    /// `(key, value)` pairs.
    pub values: Vec<(&'static str, u64)>,
}

impl Config {
    /// The value of `key` (panics on a key the extension does not declare: a broken invariant).
    pub fn get(&self, key: &str) -> u64 {
        self.values
            .iter()
            .find(|(k, _)| *k == key)
            .map(|(_, v)| *v)
            .unwrap_or_else(|| panic!("extension parameter `{key}` is not declared"))
    }
}

/// A named cost parameter: an instruction or a hidden event, with its default cost in cycles.
#[derive(Clone, Copy, Debug)]
pub struct CostEvent {
    /// Name, `<ext>.<event>` (as in the cost model and `--stats`).
    pub name: &'static str,
    /// Default cycles, used unless the cost-model preset sets the event.
    pub default: u64,
    /// When it is charged.
    pub doc: &'static str,
}

/// CSR access class (as the number encodes it).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CsrAccess {
    /// U-mode read/write.
    URw,
    /// U-mode read-only.
    URo,
    /// S-mode read/write.
    SRw,
    /// S-mode read-only.
    SRo,
}

/// A CSR an extension adds.
#[derive(Clone, Copy, Debug)]
pub struct CsrDef {
    /// Number.
    pub number: u16,
    /// Name (as in SPEC.md).
    pub name: &'static str,
    /// Access class.
    pub access: CsrAccess,
}

/// Operand roles of one instruction, for the generated C intrinsics and docs.
#[derive(Clone, Copy, Debug)]
pub struct InsnDoc {
    /// Mnemonic (must match a row).
    pub name: &'static str,
    /// Role of `rd` (`""` if unused).
    pub rd: &'static str,
    /// Role of `rs1`.
    pub rs1: &'static str,
    /// Role of `rs2`.
    pub rs2: &'static str,
    /// Role of `rs3`.
    pub rs3: &'static str,
    /// One-line summary.
    pub summary: &'static str,
}

impl std::fmt::Debug for dyn Extension {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.isa_name())
    }
}

/// The static description of an extension: names, encodings, knobs, CSRs,
/// causes, cost events. One `static` per extension, declared next to its rows.
#[derive(Debug)]
pub struct ExtensionSpec {
    /// `--ext` name (lower case, e.g. `xgate`).
    pub name: &'static str,
    /// ISA-string name (e.g. `Xgate`).
    pub isa_name: &'static str,
    /// Custom set number (`IsaSet::Custom(n)`, `Op::Custom(n, _)`); never 0 (see [`common::SHARED`]).
    pub set: u16,
    /// Encoding rows.
    pub rows: &'static [InsnDef],
    /// Operand roles of every row.
    pub docs: &'static [InsnDoc],
    /// Extensions that must be enabled with this one (enabled automatically).
    pub requires: &'static [&'static str],
    /// Reference semantics of every row (dispatches on `Op::Custom(_, op)`).
    pub handler: Handler,
    /// Configuration knobs.
    pub params: &'static [Param],
    /// CSRs.
    pub csrs: &'static [CsrDef],
    /// Exception causes `(code, name)`.
    pub causes: &'static [(u64, &'static str)],
    /// Cost events (index = event id used by the helpers).
    pub events: &'static [CostEvent],
    /// Named constants for the C header (`MKJIT_<NAME>`), besides CSRs and causes.
    pub constants: &'static [(&'static str, u64)],
}

/// One co-design extension: its static description plus the behaviour the
/// registry needs to enable it on a machine.
pub trait Extension: Sync {
    /// The static description.
    fn spec(&self) -> &'static ExtensionSpec;
    /// `--ext` name (lower case, e.g. `xgate`).
    fn name(&self) -> &'static str {
        self.spec().name
    }
    /// ISA-string name (e.g. `Xgate`).
    fn isa_name(&self) -> &'static str {
        self.spec().isa_name
    }
    /// Custom set number.
    fn set(&self) -> u16 {
        self.spec().set
    }
    /// Encoding rows.
    fn rows(&self) -> &'static [InsnDef] {
        self.spec().rows
    }
    /// Operand roles of every row.
    fn docs(&self) -> &'static [InsnDoc] {
        self.spec().docs
    }
    /// Extensions that must be enabled with this one.
    fn requires(&self) -> &'static [&'static str] {
        self.spec().requires
    }
    /// Reference semantics of every row.
    fn handler(&self) -> Handler {
        self.spec().handler
    }
    /// Configuration knobs.
    fn params(&self) -> &'static [Param] {
        self.spec().params
    }
    /// Fresh (reset) hardware state for `cfg`; declares the cost events in `m`'s
    /// cost model (see [`common::Counters::new`]).
    fn new_state(&self, m: &mut Machine, cfg: &Config) -> Box<dyn Any + Send>;
    /// The configuration the extension's state on `m` was built with.
    fn config(&self, m: &Machine) -> Config;
    /// CSRs.
    fn csrs(&self) -> &'static [CsrDef] {
        self.spec().csrs
    }
    /// Reads one of [`Self::csrs`] (privilege already checked by the core); `None` if not ours.
    fn csr_read(&self, _m: &mut Machine, _n: u16) -> Option<Result<u64, CsrDenied>> {
        None
    }
    /// Writes one of [`Self::csrs`]; `None` if not ours.
    fn csr_write(&self, _m: &mut Machine, _n: u16, _v: u64) -> Option<Result<(), CsrDenied>> {
        None
    }
    /// Exception causes `(code, name)`.
    fn causes(&self) -> &'static [(u64, &'static str)] {
        self.spec().causes
    }
    /// Cost events (index = event id used by the helpers).
    fn events(&self) -> &'static [CostEvent] {
        self.spec().events
    }
    /// `--stats` lines beyond the event counts (gauges like maximum depths).
    fn gauges(&self, _m: &Machine) -> Vec<(String, u64)> {
        Vec::new()
    }
    /// Event counts, in [`Self::events`] order.
    fn counts<'m>(&self, m: &'m Machine) -> &'m [u64];
    /// Translate hook (consulted before the page walk), if the extension has one.
    fn translate_hook(&self) -> Option<TranslateHook> {
        None
    }
    /// Inline JIT fast paths of its instructions (the handler stays the
    /// semantics and the fallback; see `mkjit_translator::fastpath`).
    fn fast_path(&self) -> Option<&'static dyn InlineFastPath> {
        None
    }
    /// Interrupt-delivery hooks, if the extension has them.
    fn interrupt_hooks(&self) -> Option<InterruptHooks> {
        None
    }
    /// Named constants for the C header (`MKJIT_<NAME>`), besides CSRs and causes.
    fn constants(&self) -> &'static [(&'static str, u64)] {
        self.spec().constants
    }
}
