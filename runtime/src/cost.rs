//! The cost model: modeled cycles from instruction classes and events.
//!
//! Every executed instruction adds the cost of its [`Class`]; hidden events
//! (trap entry, `satp` writes, `sfence.vma`, D-TLB misses and the page-walk
//! levels they read, idle slots in `wfi`, and every event an extension
//! declares) add their named cost. The `cycle` CSR and the bench device read
//! the sum, so results depend only on the guest and the preset, never on the
//! engine or the host.
//!
//! The modeled D-TLB is the soft TLB's data side: 1024 entries,
//! direct-mapped, ASID-tagged, per translation regime. Instruction fetches
//! use separate banks and are not charged (no I-TLB model).
//!
//! Presets are TOML files (`runtime/cost-models/*.toml`, built in by name)
//! listing `[class]` and `[event]` costs and the `sources` of their numbers.

use crate::isa::Op;
use std::collections::BTreeMap;

/// Instruction classes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Class {
    /// Integer ALU, `lui`, `auipc`; floating-point moves, sign injection,
    /// minimum/maximum, comparisons and `fclass`.
    Alu,
    /// Multiplication; floating-point add, multiply, fused multiply-add and
    /// conversions (pipelined with a few cycles of latency, like the multiplier).
    Mul,
    /// Division and remainder; floating-point divide and square root.
    Div,
    /// Loads, integer and floating-point.
    Load,
    /// Stores, integer and floating-point.
    Store,
    /// Conditional branches.
    Branch,
    /// `jal`, `jalr`.
    Jump,
    /// LR/SC and AMOs.
    Atomic,
    /// CSR instructions.
    Csr,
    /// `ecall`, `ebreak`, `mret`, `sret`, `wfi`, `sfence.vma`.
    System,
    /// `fence`, `fence.i`.
    Fence,
    /// Instructions of registered sets (extensions charge their own events too).
    Custom,
}

/// Every class, in table order.
pub const CLASSES: [Class; 12] = [
    Class::Alu,
    Class::Mul,
    Class::Div,
    Class::Load,
    Class::Store,
    Class::Branch,
    Class::Jump,
    Class::Atomic,
    Class::Csr,
    Class::System,
    Class::Fence,
    Class::Custom,
];

impl Class {
    /// Name used in preset files.
    pub fn name(self) -> &'static str {
        match self {
            Class::Alu => "alu",
            Class::Mul => "mul",
            Class::Div => "div",
            Class::Load => "load",
            Class::Store => "store",
            Class::Branch => "branch",
            Class::Jump => "jump",
            Class::Atomic => "atomic",
            Class::Csr => "csr",
            Class::System => "system",
            Class::Fence => "fence",
            Class::Custom => "custom",
        }
    }

    /// The class of `op`.
    pub fn of(op: Op) -> Class {
        use Op::*;
        match op {
            Mul | Mulh | Mulhsu | Mulhu | Mulw => Class::Mul,
            FmaddS | FmsubS | FnmsubS | FnmaddS | FaddS | FsubS | FmulS | FcvtWS | FcvtWuS | FcvtLS | FcvtLuS
            | FcvtSW | FcvtSWu | FcvtSL | FcvtSLu | FmaddD | FmsubD | FnmsubD | FnmaddD | FaddD | FsubD | FmulD
            | FcvtSD | FcvtDS | FcvtWD | FcvtWuD | FcvtLD | FcvtLuD | FcvtDW | FcvtDWu | FcvtDL | FcvtDLu => Class::Mul,
            Div | Divu | Rem | Remu | Divw | Divuw | Remw | Remuw | FdivS | FsqrtS | FdivD | FsqrtD => Class::Div,
            Lb | Lh | Lw | Ld | Lbu | Lhu | Lwu | Flw | Fld => Class::Load,
            Sb | Sh | Sw | Sd | Fsw | Fsd => Class::Store,
            Beq | Bne | Blt | Bge | Bltu | Bgeu => Class::Branch,
            Jal | Jalr => Class::Jump,
            LrW | ScW | AmoswapW | AmoaddW | AmoxorW | AmoandW | AmoorW | AmominW | AmomaxW | AmominuW | AmomaxuW
            | LrD | ScD | AmoswapD | AmoaddD | AmoxorD | AmoandD | AmoorD | AmominD | AmomaxD | AmominuD | AmomaxuD => {
                Class::Atomic
            }
            Csrrw | Csrrs | Csrrc | Csrrwi | Csrrsi | Csrrci => Class::Csr,
            Ecall | Ebreak | Mret | Sret | Wfi | SfenceVma => Class::System,
            Fence | FenceI => Class::Fence,
            Custom(..) => Class::Custom,
            _ => Class::Alu,
        }
    }
}

/// Core event names.
pub mod event {
    /// Entering a trap handler for an exception.
    pub const EXCEPTION: &str = "exception";
    /// Entering a trap handler for an interrupt.
    pub const INTERRUPT: &str = "interrupt";
    /// A write to `satp`.
    pub const SATP_WRITE: &str = "satp_write";
    /// An `sfence.vma`.
    pub const SFENCE_VMA: &str = "sfence_vma";
    /// A data access that missed the modeled D-TLB.
    pub const DTLB_MISS: &str = "dtlb_miss";
    /// One page-table entry read by a D-TLB refill.
    pub const PAGE_WALK_LEVEL: &str = "page_walk_level";
    /// One instruction slot spent idle in `wfi`.
    pub const IDLE_SLOT: &str = "idle_slot";
    /// Every core event.
    pub const CORE: [&str; 7] = [EXCEPTION, INTERRUPT, SATP_WRITE, SFENCE_VMA, DTLB_MISS, PAGE_WALK_LEVEL, IDLE_SLOT];
}

/// Errors loading or changing a cost model.
#[derive(Debug, thiserror::Error)]
pub enum CostError {
    /// Neither a built-in preset nor a readable file.
    #[error("unknown cost model `{0}` (built in: {builtin}; or give a .toml file)", builtin = BUILTIN.iter().map(|(n, _)| *n).collect::<Vec<_>>().join(", "))]
    Unknown(String),
    /// The file could not be read.
    #[error("cannot read cost model {path}: {source}")]
    Io {
        /// File.
        path: String,
        /// Host error.
        source: std::io::Error,
    },
    /// The TOML is malformed.
    #[error("cost model {0}: {1}")]
    Syntax(String, String),
    /// A class has no cost.
    #[error("cost model {0}: class `{1}` has no cost")]
    MissingClass(String, &'static str),
    /// A parameter name that nothing uses.
    #[error("cost model {0}: unknown parameter `{1}`")]
    UnknownParam(String, String),
}

/// Built-in presets: name and TOML text.
pub const BUILTIN: [(&str, &str); 2] =
    [("default", include_str!("../cost-models/default.toml")), ("unit", include_str!("../cost-models/unit.toml"))];

/// A cost model.
#[derive(Clone, Debug, PartialEq)]
pub struct CostModel {
    /// Preset name.
    pub name: String,
    /// One-line description.
    pub description: String,
    /// Where the numbers come from.
    pub sources: Vec<String>,
    /// Cycles per instruction class, indexed by `Class as usize`.
    pub class: [u64; 12],
    /// Cycles per named event.
    pub events: BTreeMap<String, u64>,
}

impl Default for CostModel {
    fn default() -> Self {
        Self::builtin("default").expect("the default preset parses")
    }
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    name: String,
    #[serde(default)]
    description: String,
    #[serde(default)]
    sources: Vec<String>,
    class: BTreeMap<String, u64>,
    #[serde(default)]
    event: BTreeMap<String, u64>,
}

impl CostModel {
    /// A built-in preset by name.
    pub fn builtin(name: &str) -> Option<CostModel> {
        let (_, text) = BUILTIN.iter().find(|(n, _)| *n == name)?;
        Self::from_toml(name, text).ok()
    }

    /// Parses a preset. Extension events may be added later with [`Self::declare`].
    pub fn from_toml(origin: &str, text: &str) -> Result<CostModel, CostError> {
        let f: File = toml::from_str(text).map_err(|e| CostError::Syntax(origin.to_string(), e.to_string()))?;
        let mut class = [0u64; 12];
        for c in CLASSES {
            class[c as usize] =
                *f.class.get(c.name()).ok_or_else(|| CostError::MissingClass(origin.to_string(), c.name()))?;
        }
        if let Some(k) = f.class.keys().find(|k| !CLASSES.iter().any(|c| c.name() == k.as_str())) {
            return Err(CostError::UnknownParam(origin.to_string(), format!("class.{k}")));
        }
        let mut events = f.event;
        for e in event::CORE {
            events.entry(e.to_string()).or_insert(0);
        }
        Ok(CostModel { name: f.name, description: f.description, sources: f.sources, class, events })
    }

    /// A built-in preset name, or a path to a `.toml` preset.
    pub fn load(name_or_path: &str) -> Result<CostModel, CostError> {
        if let Some(m) = Self::builtin(name_or_path) {
            return Ok(m);
        }
        if name_or_path.ends_with(".toml") || std::path::Path::new(name_or_path).exists() {
            let text = std::fs::read_to_string(name_or_path)
                .map_err(|source| CostError::Io { path: name_or_path.to_string(), source })?;
            return Self::from_toml(name_or_path, &text);
        }
        Err(CostError::Unknown(name_or_path.to_string()))
    }

    /// Declares an event (an extension's) with cost 0 unless the preset set it.
    pub fn declare(&mut self, event: &str) {
        self.events.entry(event.to_string()).or_insert(0);
    }

    /// Cost of an event (0 if undeclared).
    #[inline]
    pub fn event(&self, name: &str) -> u64 {
        self.events.get(name).copied().unwrap_or(0)
    }

    /// Cost of an instruction class.
    #[inline]
    pub fn class(&self, c: Class) -> u64 {
        self.class[c as usize]
    }

    /// Sets parameter `class.NAME` or `event.NAME` (or a bare event name), for sweeps.
    pub fn set(&mut self, param: &str, value: u64) -> Result<(), CostError> {
        let unknown = || CostError::UnknownParam(self.name.clone(), param.to_string());
        if let Some(c) = param.strip_prefix("class.") {
            let c = CLASSES.iter().find(|k| k.name() == c).ok_or_else(unknown)?;
            self.class[*c as usize] = value;
            return Ok(());
        }
        let e = param.strip_prefix("event.").unwrap_or(param);
        match self.events.get_mut(e) {
            Some(v) => {
                *v = value;
                Ok(())
            }
            None => Err(unknown()),
        }
    }

    /// Every parameter as `(name, value)`: `class.*` then `event.*`.
    pub fn params(&self) -> Vec<(String, u64)> {
        let mut v: Vec<_> = CLASSES.iter().map(|c| (format!("class.{}", c.name()), self.class(*c))).collect();
        v.extend(self.events.iter().map(|(k, &c)| (format!("event.{k}"), c)));
        v
    }
}

/// Event costs resolved once for the hot paths.
#[derive(Clone, Copy, Debug, Default)]
pub struct CoreEventCosts {
    /// [`event::EXCEPTION`].
    pub exception: u64,
    /// [`event::INTERRUPT`].
    pub interrupt: u64,
    /// [`event::SATP_WRITE`].
    pub satp_write: u64,
    /// [`event::SFENCE_VMA`].
    pub sfence_vma: u64,
    /// [`event::DTLB_MISS`].
    pub dtlb_miss: u64,
    /// [`event::PAGE_WALK_LEVEL`].
    pub page_walk_level: u64,
    /// [`event::IDLE_SLOT`].
    pub idle_slot: u64,
}

impl CoreEventCosts {
    /// Resolves the core events of `m`.
    pub fn of(m: &CostModel) -> Self {
        CoreEventCosts {
            exception: m.event(event::EXCEPTION),
            interrupt: m.event(event::INTERRUPT),
            satp_write: m.event(event::SATP_WRITE),
            sfence_vma: m.event(event::SFENCE_VMA),
            dtlb_miss: m.event(event::DTLB_MISS),
            page_walk_level: m.event(event::PAGE_WALK_LEVEL),
            idle_slot: m.event(event::IDLE_SLOT),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_presets_parse_and_cite_sources() {
        for (name, _) in BUILTIN {
            let m = CostModel::builtin(name).expect("parses");
            assert_eq!(m.name, name);
            for e in event::CORE {
                assert!(m.events.contains_key(e), "{name}: {e}");
            }
        }
        assert!(!CostModel::default().sources.is_empty(), "the default preset cites its sources");
        assert_eq!(CostModel::builtin("unit").unwrap().class(Class::Div), 1);
    }

    #[test]
    fn set_changes_one_parameter_and_rejects_unknown_ones() {
        let mut m = CostModel::default();
        m.set("class.div", 99).unwrap();
        m.set("event.exception", 7).unwrap();
        m.set("satp_write", 5).unwrap();
        assert_eq!(m.class(Class::Div), 99);
        assert_eq!(m.event("exception"), 7);
        assert_eq!(m.event("satp_write"), 5);
        assert!(m.set("class.nope", 1).is_err());
        assert!(m.set("event.nope", 1).is_err());
    }

    #[test]
    fn bad_presets_are_errors() {
        assert!(matches!(CostModel::load("no-such-model"), Err(CostError::Unknown(_))));
        assert!(matches!(CostModel::from_toml("t", "name = 1"), Err(CostError::Syntax(..))));
        let missing = "name = \"x\"\n[class]\nalu = 1\n";
        assert!(matches!(CostModel::from_toml("t", missing), Err(CostError::MissingClass(..))));
    }
}
