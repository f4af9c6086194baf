//! Xline: cache-line-granularity shared windows (SPEC §4).
//!
//! ```text
//!   U-mode data access va ──► owned window containing [va, va+size)? ──yes──► pa = pbase + (va - vbase)
//!        (translate hook,            │ overlaps but not inside / fetch ──► XLINE_ACCESS
//!         before the page walk)      └ no ──► page table (TLB not filled if any window shares the page)
//!   xline.set (S) installs; xline.give (U) marks; gcall moves ownership to the callee; gret moves it back.
//! ```

use crate::common::{
    self, causes, charge_set, cur_asid, load_words, regs, regs_mut, require_super, require_user, x, Counters, EventRef,
    ExtState, R,
};
use crate::{Config, CostEvent, CsrAccess, CsrDef, Extension, ExtensionSpec, InsnDoc, Param};
use mkjit_runtime::csr::CsrDenied;
use mkjit_runtime::ext::{PreTranslate, TranslateHook};
use mkjit_runtime::isa::{Format, Insn, InsnDef, IsaSet, Op};
use mkjit_runtime::machine::Machine;
use mkjit_runtime::mmu::tlb::{BANK_U, BANK_UX};
use mkjit_runtime::mmu::Access;
use mkjit_runtime::trap::Exception;
use std::any::Any;

/// Custom set number.
pub const SET: u16 = 3;

/// Operation numbers = funct7.
mod fastpath;

pub mod op {
    /// `xline.set`.
    pub const SET_WINDOW: u16 = 0;
    /// `xline.give`.
    pub const GIVE: u16 = 1;
}

const fn row(name: &'static str, pattern: &'static str, op: u16) -> InsnDef {
    InsnDef::new(name, pattern, Format::R, Op::Custom(SET, op), IsaSet::Custom(SET))
}

/// Encodings (custom-0, funct3 = 2).
pub static ROWS: &[InsnDef] = &[
    row("xline.set", "0000000 ----- ----- 010 00000 0001011", op::SET_WINDOW),
    row("xline.give", "0000001 00000 ----- 010 00000 0001011", op::GIVE),
];

static DOCS: &[InsnDoc] = &[
    InsnDoc {
        name: "xline.set",
        rd: "",
        rs1: "window",
        rs2: "desc",
        rs3: "",
        summary: "install (or clear, desc = 0) a line window (S)",
    },
    InsnDoc {
        name: "xline.give",
        rd: "",
        rs1: "window",
        rs2: "",
        rs3: "",
        summary: "hand a window to the callee of the next gcall (U only)",
    },
];

/// Cost events.
pub static EVENTS: &[CostEvent] = &[
    CostEvent { name: "xline.set", default: 4, doc: "xline.set" },
    CostEvent { name: "xline.give", default: 1, doc: "xline.give" },
    CostEvent { name: "xline.hit", default: 0, doc: "access translated by a window" },
    CostEvent { name: "xline.handoff", default: 1, doc: "window changing owner at gcall/gret" },
    CostEvent { name: "xline.fault", default: 1, doc: "XLINE_ACCESS" },
];
const E_SET: usize = 0;
pub(crate) const E_GIVE: usize = 1;
const E_HIT: usize = 2;
const E_HANDOFF: usize = 3;
const E_FAULT: usize = 4;

static PARAMS: &[Param] = &[Param { name: "windows", default: 8, min: 1, max: 16, doc: "line windows per hart" }];

/// CSR numbers.
pub mod csr {
    /// `xlgive`.
    pub const XLGIVE: u16 = 0xcc8;
    /// `sxlgive`.
    pub const SXLGIVE: u16 = 0x5c8;
    /// `xlinecfg`.
    pub const XLINECFG: u16 = 0xdc1;
}

static CSRS: &[CsrDef] = &[
    CsrDef { number: csr::XLGIVE, name: "xlgive", access: CsrAccess::URo },
    CsrDef { number: csr::SXLGIVE, name: "sxlgive", access: CsrAccess::SRw },
    CsrDef { number: csr::XLINECFG, name: "xlinecfg", access: CsrAccess::SRo },
];

static CAUSES: &[(u64, &str)] =
    &[(causes::XLINE_GIVE, "line window not giveable"), (causes::XLINE_ACCESS, "line window access fault")];

static CONSTANTS: &[(&str, u64)] = &[
    ("LINE_DESC_SIZE", 32),
    ("LINE_DESC_VBASE", 0),
    ("LINE_DESC_PBASE", 8),
    ("LINE_DESC_INFO", 16),
    ("LINE_DESC_OWNER", 24),
    ("LINE_PERM_R", 1 << 32),
    ("LINE_PERM_W", 1 << 33),
    ("LINE_PERM_G", 1 << 34),
];

/// One line window.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Window {
    /// Installed.
    pub valid: bool,
    /// Virtual base.
    pub vbase: u64,
    /// Number of 64-byte lines.
    pub lines: u64,
    /// Physical base.
    pub pbase: u64,
    /// Readable.
    pub r: bool,
    /// Writable.
    pub w: bool,
    /// Giveable.
    pub g: bool,
    /// Owner ASID.
    pub owner: u64,
}

impl Window {
    fn end(&self) -> u64 {
        self.vbase + 64 * self.lines
    }
    fn overlaps(&self, lo: u64, hi: u64) -> bool {
        self.valid && lo < self.end() && self.vbase < hi
    }
    fn contains(&self, lo: u64, hi: u64) -> bool {
        self.valid && self.vbase <= lo && hi <= self.end()
    }
}

/// Xline hardware state.
#[derive(Debug)]
pub struct XlineState {
    /// Configuration.
    pub cfg: Config,
    /// The windows.
    pub windows: Vec<Window>,
    /// Event counters.
    pub ctr: Counters,
}

impl ExtState for XlineState {
    fn counters(&mut self) -> &mut Counters {
        &mut self.ctr
    }
}

/// The extension.
pub struct Xline;

/// The extension's static description.
static SPEC: ExtensionSpec = ExtensionSpec {
    name: "xline",
    isa_name: "Xline",
    set: SET,
    rows: ROWS,
    docs: DOCS,
    requires: &[],
    handler,
    params: PARAMS,
    csrs: CSRS,
    causes: CAUSES,
    events: EVENTS,
    constants: CONSTANTS,
};

impl Extension for Xline {
    fn spec(&self) -> &'static ExtensionSpec {
        &SPEC
    }
    fn new_state(&self, m: &mut Machine, cfg: &Config) -> Box<dyn Any + Send> {
        Box::new(XlineState {
            cfg: cfg.clone(),
            windows: vec![Window::default(); cfg.get("windows") as usize],
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
            csr::XLGIVE | csr::SXLGIVE => regs(m).xlgive,
            csr::XLINECFG => state(m).windows.len() as u64,
            _ => return None,
        }))
    }
    fn csr_write(&self, m: &mut Machine, n: u16, v: u64) -> Option<Result<(), CsrDenied>> {
        match n {
            csr::SXLGIVE => {
                let mask = (1u64 << state(m).windows.len()) - 1;
                regs_mut(m).xlgive = v & mask;
            }
            _ => return None,
        }
        Some(Ok(()))
    }
    fn counts<'m>(&self, m: &'m Machine) -> &'m [u64] {
        &state(m).ctr.counts
    }
    fn translate_hook(&self) -> Option<TranslateHook> {
        Some(translate_hook)
    }
}

/// The Xline state of `m` (enabled).
pub fn state(m: &Machine) -> &XlineState {
    m.ext.state::<XlineState>(SET).expect("Xline enabled")
}

/// The Xline state of `m`, mutably.
pub fn state_mut(m: &mut Machine) -> &mut XlineState {
    m.ext.state_mut::<XlineState>(SET).expect("Xline enabled")
}

/// The translate hook (SPEC §4.3), consulted before every page walk.
pub fn translate_hook(m: &mut Machine, va: u64, size: u64, access: Access, bank: u8) -> PreTranslate {
    if bank != BANK_U && bank != BANK_UX {
        return PreTranslate::Walk;
    }
    let asid = cur_asid(m);
    let hi = va.saturating_add(size.max(1));
    let st = state(m);
    let owned = |w: &&Window| w.valid && w.owner == asid;
    let decision = if access == Access::Exec {
        st.windows.iter().filter(owned).any(|w| w.overlaps(va, hi)).then_some(Err(()))
    } else if let Some(w) = st.windows.iter().filter(owned).find(|w| w.contains(va, hi)) {
        let ok = match access {
            Access::Read => w.r,
            _ => w.w,
        };
        Some(if ok { Ok(w.pbase + (va - w.vbase)) } else { Err(()) })
    } else {
        st.windows.iter().filter(owned).any(|w| w.overlaps(va, hi)).then_some(Err(()))
    };
    match decision {
        Some(Ok(pa)) => {
            charge_set::<XlineState>(m, SET, E_HIT);
            PreTranslate::Hit(pa)
        }
        Some(Err(())) => {
            charge_set::<XlineState>(m, SET, E_FAULT);
            PreTranslate::Fault(Exception::new(causes::XLINE_ACCESS, va))
        }
        None => {
            let (plo, phi) = (va & !0xfff, (hi.saturating_add(0xfff)) & !0xfff);
            if st.windows.iter().any(|w| w.overlaps(plo, phi)) {
                PreTranslate::WalkNoFill
            } else {
                PreTranslate::Walk
            }
        }
    }
}

/// `gcall` hand-over: windows in `mask` owned by `from` and giveable move to
/// `to`; returns the mask of windows moved (0 when Xline is disabled).
pub fn hand_over(m: &mut Machine, mask: u64, from: u64, to: u64) -> u64 {
    if !common::enabled(m, SET) || mask == 0 {
        return 0;
    }
    let mut moved = 0u64;
    for (k, w) in state_mut(m).windows.iter_mut().enumerate() {
        if mask >> k & 1 == 1 && w.valid && w.owner == from && w.g {
            w.owner = to;
            moved |= 1 << k;
        }
    }
    for _ in 0..moved.count_ones() {
        charge_set::<XlineState>(m, SET, E_HANDOFF);
    }
    moved
}

/// What inline code needs to move windows as [`hand_over`]/[`hand_back`] do.
#[derive(Clone, Copy)]
pub(crate) struct HandoffLayout {
    /// Address of the windows.
    pub windows: i64,
    /// Number of windows.
    pub n: usize,
    /// The `xline.handoff` event.
    pub handoff: EventRef,
}

/// [`HandoffLayout`] of `m`; `None` when Xline is off (nothing moves).
pub(crate) fn handoff_layout(m: &Machine) -> Option<HandoffLayout> {
    if !common::enabled(m, SET) {
        return None;
    }
    let st = state(m);
    Some(HandoffLayout { windows: st.windows.as_ptr() as i64, n: st.windows.len(), handoff: st.ctr.event(E_HANDOFF) })
}

/// `gret` hand-back: windows in `mask` still owned by `from` (the callee) go back to `to`.
pub fn hand_back(m: &mut Machine, mask: u64, from: u64, to: u64) {
    if !common::enabled(m, SET) || mask == 0 {
        return;
    }
    let mut n = 0;
    for (k, w) in state_mut(m).windows.iter_mut().enumerate() {
        if mask >> k & 1 == 1 && w.valid && w.owner == from {
            w.owner = to;
            n += 1;
        }
    }
    for _ in 0..n {
        charge_set::<XlineState>(m, SET, E_HANDOFF);
    }
}

fn handler(m: &mut Machine, i: &Insn, pc: u64) -> R {
    match i.op {
        Op::Custom(_, op::SET_WINDOW) => set_window(m, i, pc),
        Op::Custom(_, op::GIVE) => give(m, i, pc),
        _ => Err(Exception::illegal(i.raw)),
    }
}

/// Drops cached translations of every page `w` covers (so the window takes precedence).
fn flush_pages(m: &mut Machine, w: &Window) {
    if !w.valid {
        return;
    }
    let first = w.vbase & !0xfff;
    let pages = (w.end() - first).div_ceil(0x1000);
    if pages > 64 {
        m.hart.tlb.flush_translated();
    } else {
        for p in 0..pages {
            m.hart.tlb.flush(Some(first + p * 0x1000), None);
        }
    }
}

/// `xline.set rs1, rs2`.
fn set_window(m: &mut Machine, i: &Insn, pc: u64) -> R {
    require_super(m, i)?;
    let idx = x(m, i.rs1);
    let n = state(m).windows.len() as u64;
    if idx >= n {
        return Err(Exception::illegal(i.raw));
    }
    let new = if i.rs2 == 0 {
        Window::default()
    } else {
        let d = load_words(m, x(m, i.rs2), 4)?;
        let lines = d[2] & 0xffff_ffff;
        if lines == 0 {
            Window::default()
        } else {
            let w = Window {
                valid: true,
                vbase: d[0],
                lines,
                pbase: d[1],
                r: d[2] >> 32 & 1 == 1,
                w: d[2] >> 33 & 1 == 1,
                g: d[2] >> 34 & 1 == 1,
                owner: d[3] & 0xffff,
            };
            let len = 64 * lines;
            let ok = w.vbase.is_multiple_of(64)
                && w.pbase.is_multiple_of(64)
                && (w.r || w.w)
                && w.vbase.checked_add(len).is_some()
                && m.bus.ram.contains(w.pbase, len);
            if !ok {
                return Err(Exception::illegal(i.raw));
            }
            w
        }
    };
    let old = state(m).windows[idx as usize];
    flush_pages(m, &old);
    flush_pages(m, &new);
    state_mut(m).windows[idx as usize] = new;
    regs_mut(m).xlgive &= !(1 << idx);
    charge_set::<XlineState>(m, SET, E_SET);
    Ok(pc + 4)
}

/// `xline.give rs1`.
fn give(m: &mut Machine, i: &Insn, pc: u64) -> R {
    require_user(m, i)?;
    let idx = x(m, i.rs1);
    let asid = cur_asid(m);
    let ok = state(m).windows.get(idx as usize).is_some_and(|w| w.valid && w.owner == asid && w.g);
    if !ok {
        return Err(Exception::new(causes::XLINE_GIVE, idx));
    }
    regs_mut(m).xlgive |= 1 << idx;
    charge_set::<XlineState>(m, SET, E_GIVE);
    Ok(pc + 4)
}
