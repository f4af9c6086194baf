//! Xuirq: user-space interrupt delivery (SPEC §6).
//!
//! ```text
//!   run loop, no kernel interrupt taken ─► HOOKS.deliver
//!      lowest binding b: pending (PLIC gateway / uitimecmp / doorbell latch / queue non-empty)
//!                        and not in service, while U-mode, UIE = 1, ctxcur valid
//!      ├─ handler slot absent ─► CTX_SLOT_MISS to the kernel (nothing claimed)
//!      └─ claim source (PLIC: gateway claim = automatic masking) ─► in service
//!         save running → slot[ctxcur] (pc = interrupted pc); restore slot[b.slot]; pc = b.pc
//!         uiprev := interrupted slot, uicause := b, UIE := 0
//!   uiret  ─► save handler; restore uiprev (its UIE = 1)
//!   uiack b ─► only from b's handler slot: in service := 0, PLIC completion (unmask)
//!   uipi g  ─► DOORBELL gate (Xgate CLB) ─► latch of the target binding
//! ```

use crate::common::{
    self, causes, charge_set, cur_asid, irq_check, load_words, regs, regs_mut, require_super, require_user, set_x,
    status, x, Counters, ExtState, NONE, R,
};
use crate::xctx::{self, restore, save_running};
use crate::{Config, CostEvent, CsrAccess, CsrDef, Extension, ExtensionSpec, InsnDoc, Param};
use mkjit_runtime::csr::CsrDenied;
use mkjit_runtime::ext::InterruptHooks;
use mkjit_runtime::hart::Priv;
use mkjit_runtime::isa::{Format, Insn, InsnDef, IsaSet, Op, RegEffects};
use mkjit_runtime::machine::Machine;
use mkjit_runtime::trap::Exception;
use std::any::Any;

/// Custom set number.
pub const SET: u16 = 5;

/// Operation numbers = funct7.
mod fastpath;
pub mod op {
    /// `uirq.bind`.
    pub const BIND: u16 = 0;
    /// `uiret`.
    pub const UIRET: u16 = 1;
    /// `uiack`.
    pub const UIACK: u16 = 2;
    /// `uipi`.
    pub const UIPI: u16 = 3;
}

const fn row(name: &'static str, pattern: &'static str, op: u16) -> InsnDef {
    InsnDef::new(name, pattern, Format::R, Op::Custom(SET, op), IsaSet::Custom(SET))
}

/// Encodings (custom-0, funct3 = 4).
pub static ROWS: &[InsnDef] = &[
    row("uirq.bind", "0000000 ----- ----- 100 00000 0001011", op::BIND),
    row("uiret", "0000001 00000 00000 100 00000 0001011", op::UIRET).with_regs(RegEffects::All),
    row("uiack", "0000010 00000 ----- 100 00000 0001011", op::UIACK),
    row("uipi", "0000011 00000 ----- 100 ----- 0001011", op::UIPI),
];

static DOCS: &[InsnDoc] = &[
    InsnDoc {
        name: "uirq.bind",
        rd: "",
        rs1: "binding",
        rs2: "desc",
        rs3: "",
        summary: "bind a source to a slot and handler pc (desc = 0: unbind) (S)",
    },
    InsnDoc {
        name: "uiret",
        rd: "",
        rs1: "",
        rs2: "",
        rs3: "",
        summary: "return from a user interrupt handler (U only)",
    },
    InsnDoc {
        name: "uiack",
        rd: "",
        rs1: "binding",
        rs2: "",
        rs3: "",
        summary: "acknowledge: unmask the binding's source (U only)",
    },
    InsnDoc {
        name: "uipi",
        rd: "status",
        rs1: "gate",
        rs2: "",
        rs3: "",
        summary: "ring a doorbell through a DOORBELL gate (U only)",
    },
];

/// Cost events.
pub static EVENTS: &[CostEvent] = &[
    CostEvent { name: "xuirq.deliver", default: 4, doc: "a delivery" },
    CostEvent { name: "xuirq.uiret", default: 4, doc: "uiret" },
    CostEvent { name: "xuirq.ack", default: 2, doc: "uiack" },
    CostEvent { name: "xuirq.plic_claim", default: 2, doc: "PLIC gateway claim on delivery" },
    CostEvent { name: "xuirq.plic_complete", default: 2, doc: "PLIC gateway completion" },
    CostEvent { name: "xuirq.uipi", default: 2, doc: "uipi" },
    CostEvent { name: "xuirq.bind", default: 4, doc: "uirq.bind" },
    CostEvent { name: "xuirq.slot_miss", default: 2, doc: "delivery turned into CTX_SLOT_MISS" },
];
/// Event: delivery.
pub const E_DELIVER: usize = 0;
/// Event: uiret.
pub const E_UIRET: usize = 1;
/// Event: uiack.
pub const E_ACK: usize = 2;
/// Event: PLIC claim.
pub const E_PLIC_CLAIM: usize = 3;
/// Event: PLIC completion.
pub const E_PLIC_COMPLETE: usize = 4;
/// Event: uipi.
pub const E_UIPI: usize = 5;
/// Event: bind.
pub const E_BIND: usize = 6;
/// Event: slot miss at delivery.
pub const E_SLOT_MISS: usize = 7;

static PARAMS: &[Param] = &[Param { name: "bindings", default: 16, min: 1, max: 64, doc: "interrupt bindings" }];

/// CSR numbers.
pub mod csr {
    /// `uitimecmp`.
    pub const UITIMECMP: u16 = 0x800;
    /// `uicause`.
    pub const UICAUSE: u16 = 0xcd8;
    /// `uiprev`.
    pub const UIPREV: u16 = 0xcd9;
    /// `uistatus`.
    pub const UISTATUS: u16 = 0xcda;
    /// `suistatus`.
    pub const SUISTATUS: u16 = 0x5d8;
    /// `suiprev`.
    pub const SUIPREV: u16 = 0x5d9;
    /// `suicause`.
    pub const SUICAUSE: u16 = 0x5da;
    /// `uipend`.
    pub const UIPEND: u16 = 0xdd8;
    /// `xuirqcfg`.
    pub const XUIRQCFG: u16 = 0xdc3;
}

static CSRS: &[CsrDef] = &[
    CsrDef { number: csr::UITIMECMP, name: "uitimecmp", access: CsrAccess::URw },
    CsrDef { number: csr::UICAUSE, name: "uicause", access: CsrAccess::URo },
    CsrDef { number: csr::UIPREV, name: "uiprev", access: CsrAccess::URo },
    CsrDef { number: csr::UISTATUS, name: "uistatus", access: CsrAccess::URo },
    CsrDef { number: csr::SUISTATUS, name: "suistatus", access: CsrAccess::SRw },
    CsrDef { number: csr::SUIPREV, name: "suiprev", access: CsrAccess::SRw },
    CsrDef { number: csr::SUICAUSE, name: "suicause", access: CsrAccess::SRw },
    CsrDef { number: csr::UIPEND, name: "uipend", access: CsrAccess::SRo },
    CsrDef { number: csr::XUIRQCFG, name: "xuirqcfg", access: CsrAccess::SRo },
];

static CAUSES: &[(u64, &str)] = &[(causes::XUIRQ_FAULT, "user interrupt fault")];

static CONSTANTS: &[(&str, u64)] = &[
    ("UIRQ_KIND_NONE", 0),
    ("UIRQ_KIND_PLIC", 1),
    ("UIRQ_KIND_TIMER", 2),
    ("UIRQ_KIND_DOORBELL", 3),
    ("UIRQ_KIND_QUEUE", 4),
    ("UIRQ_DESC_SIZE", 32),
    ("UIRQ_DESC_SOURCE", 0),
    ("UIRQ_DESC_SLOT", 8),
    ("UIRQ_DESC_PC", 16),
    ("UIRQ_SOURCE_NUMBER_SHIFT", 16),
    ("UISTATUS_UIE", 1),
];

/// Source kinds (`#[repr(u8)]`: inline fast paths read it).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[repr(u8)]
pub enum Kind {
    /// Unbound.
    #[default]
    None,
    /// A PLIC source.
    Plic,
    /// The user timer.
    Timer,
    /// A doorbell.
    Doorbell,
    /// An Xamsg queue being non-empty.
    Queue,
}

/// One binding.
#[derive(Clone, Copy, Debug, Default)]
pub struct Binding {
    /// Source kind.
    pub kind: Kind,
    /// PLIC source or queue number.
    pub number: u64,
    /// Handler context slot.
    pub slot: u64,
    /// Handler pc.
    pub pc: u64,
    /// Delivered and not yet acknowledged.
    pub in_service: bool,
    /// Doorbell latch.
    pub latch: bool,
}

/// Xuirq hardware state.
#[derive(Debug)]
pub struct XuirqState {
    /// Configuration.
    pub cfg: Config,
    /// The bindings.
    pub bindings: Vec<Binding>,
    /// Event counters.
    pub ctr: Counters,
}

impl ExtState for XuirqState {
    fn counters(&mut self) -> &mut Counters {
        &mut self.ctr
    }
}

/// The extension.
pub struct Xuirq;

/// The run-loop hooks.
pub const HOOKS: InterruptHooks = InterruptHooks { deliver, wakes, deadline };

/// The extension's static description.
static SPEC: ExtensionSpec = ExtensionSpec {
    name: "xuirq",
    isa_name: "Xuirq",
    set: SET,
    rows: ROWS,
    docs: DOCS,
    requires: &["xctx"],
    handler,
    params: PARAMS,
    csrs: CSRS,
    causes: CAUSES,
    events: EVENTS,
    constants: CONSTANTS,
};

impl Extension for Xuirq {
    fn spec(&self) -> &'static ExtensionSpec {
        &SPEC
    }
    fn new_state(&self, m: &mut Machine, cfg: &Config) -> Box<dyn Any + Send> {
        Box::new(XuirqState {
            cfg: cfg.clone(),
            bindings: vec![Binding::default(); cfg.get("bindings") as usize],
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
            csr::UITIMECMP => r.uitimecmp,
            csr::UICAUSE | csr::SUICAUSE => r.uicause,
            csr::UIPREV | csr::SUIPREV => r.uiprev,
            csr::UISTATUS | csr::SUISTATUS => r.uistatus,
            csr::UIPEND => pending_mask(m),
            csr::XUIRQCFG => state(m).bindings.len() as u64,
            _ => return None,
        }))
    }
    fn csr_write(&self, m: &mut Machine, n: u16, v: u64) -> Option<Result<(), CsrDenied>> {
        let r = regs_mut(m);
        match n {
            csr::UITIMECMP => r.uitimecmp = v,
            csr::SUICAUSE => r.uicause = v,
            csr::SUIPREV => r.uiprev = v,
            csr::SUISTATUS => r.uistatus = v & 1,
            _ => return None,
        }
        Some(Ok(()))
    }
    fn counts<'m>(&self, m: &'m Machine) -> &'m [u64] {
        &state(m).ctr.counts
    }
    fn interrupt_hooks(&self) -> Option<InterruptHooks> {
        Some(HOOKS)
    }
}

/// The Xuirq state of `m` (enabled).
pub fn state(m: &Machine) -> &XuirqState {
    m.ext.state::<XuirqState>(SET).expect("Xuirq enabled")
}

/// The Xuirq state of `m`, mutably.
pub fn state_mut(m: &mut Machine) -> &mut XuirqState {
    m.ext.state_mut::<XuirqState>(SET).expect("Xuirq enabled")
}

/// `mtime` as the CLINT reports it.
fn mtime(m: &Machine) -> u64 {
    m.bus.devices.clint().mtime(m.mtime())
}

/// Whether binding `b`'s source is asserted (SPEC §6.2), ignoring *in service*.
fn source_pending(m: &Machine, b: &Binding, plic: u128) -> bool {
    match b.kind {
        Kind::None => false,
        Kind::Plic => plic >> b.number & 1 == 1,
        Kind::Timer => mtime(m) >= regs(m).uitimecmp,
        Kind::Doorbell => b.latch,
        Kind::Queue => crate::xamsg::queue_nonempty(m, b.number),
    }
}

/// `uipend`: bindings pending and not in service.
pub fn pending_mask(m: &Machine) -> u64 {
    let plic = m.bus.devices.plic_pending(m.mtime());
    let mut mask = 0;
    for (k, b) in state(m).bindings.iter().enumerate() {
        if !b.in_service && source_pending(m, b, plic) {
            mask |= 1 << k;
        }
    }
    mask
}

/// Deliverable apart from privilege: UIE set and a current slot to save into.
fn enabled_for_delivery(m: &Machine) -> bool {
    regs(m).uistatus & 1 == 1 && xctx::state(m).ctxcur != NONE
}

/// Hook: wake a stalled hart when a delivery is waiting (SPEC §6.3).
pub fn wakes(m: &Machine) -> bool {
    enabled_for_delivery(m) && pending_mask(m) != 0
}

/// Hook: the clock slot at which the user timer fires.
pub fn deadline(m: &Machine) -> u64 {
    let cmp = regs(m).uitimecmp;
    let armed = state(m).bindings.iter().any(|b| b.kind == Kind::Timer && !b.in_service);
    if !armed || cmp == u64::MAX {
        return u64::MAX;
    }
    let now = mtime(m);
    if now >= cmp {
        return m.hart.clock;
    }
    (m.mtime() + (cmp - now)).saturating_mul(m.cfg.insns_per_tick)
}

/// Hook: delivers the lowest deliverable binding, if any (SPEC §6.3).
pub fn deliver(m: &mut Machine) -> bool {
    if m.hart.prv != Priv::U || !enabled_for_delivery(m) {
        return false;
    }
    let pend = pending_mask(m);
    if pend == 0 {
        return false;
    }
    let b = pend.trailing_zeros() as usize;
    let bind = state(m).bindings[b];
    let h = bind.slot as usize;
    let slot_ok = xctx::state(m).slots.get(h).is_some_and(|s| s.present && s.prv() == Priv::U);
    let pc = m.hart.pc;
    if !slot_ok {
        charge_set::<XuirqState>(m, SET, E_SLOT_MISS);
        m.raise(Exception::new(causes::CTX_SLOT_MISS, bind.slot), pc);
        return true;
    }
    match bind.kind {
        Kind::Plic => {
            let now = m.mtime();
            m.bus.devices.plic_claim_source(bind.number as u32, now);
            charge_set::<XuirqState>(m, SET, E_PLIC_CLAIM);
        }
        Kind::Timer => regs_mut(m).uitimecmp = u64::MAX,
        Kind::Doorbell => state_mut(m).bindings[b].latch = false,
        Kind::Queue | Kind::None => {}
    }
    state_mut(m).bindings[b].in_service = true;
    let prev = xctx::state(m).ctxcur;
    save_running(m, prev as usize, pc, Priv::U);
    restore(m, h);
    let r = regs_mut(m);
    r.uiprev = prev;
    r.uicause = b as u64;
    r.uistatus &= !1;
    m.hart.pc = bind.pc;
    charge_set::<XuirqState>(m, SET, E_DELIVER);
    true
}

fn handler(m: &mut Machine, i: &Insn, pc: u64) -> R {
    match i.op {
        Op::Custom(_, op::BIND) => bind(m, i, pc),
        Op::Custom(_, op::UIRET) => uiret(m, i, pc),
        Op::Custom(_, op::UIACK) => uiack(m, i, pc),
        Op::Custom(_, op::UIPI) => uipi(m, i, pc),
        _ => Err(Exception::illegal(i.raw)),
    }
}

/// Removes binding `b`: completes an outstanding PLIC claim.
fn unbind(m: &mut Machine, b: usize) {
    let old = state(m).bindings[b];
    if old.kind == Kind::Plic && old.in_service {
        m.bus.devices.plic_complete_source(old.number as u32);
        charge_set::<XuirqState>(m, SET, E_PLIC_COMPLETE);
    }
    state_mut(m).bindings[b] = Binding::default();
}

/// `uirq.bind rs1, rs2`.
fn bind(m: &mut Machine, i: &Insn, pc: u64) -> R {
    require_super(m, i)?;
    let b = x(m, i.rs1);
    if b >= state(m).bindings.len() as u64 {
        return Err(Exception::illegal(i.raw));
    }
    let new = if i.rs2 == 0 {
        Binding::default()
    } else {
        let d = load_words(m, x(m, i.rs2), 4)?;
        let number = (d[0] >> 16) & 0xffff;
        let kind = match d[0] & 0xff {
            0 => Kind::None,
            1 => Kind::Plic,
            2 => Kind::Timer,
            3 => Kind::Doorbell,
            4 => Kind::Queue,
            _ => return Err(Exception::illegal(i.raw)),
        };
        let number_ok = match kind {
            Kind::Plic => (1..=mkjit_runtime::devices::PLIC_NDEV as u64).contains(&number),
            Kind::Queue => common::enabled(m, crate::xamsg::SET) && number < crate::xamsg::state(m).queues.len() as u64,
            _ => true,
        };
        let slot_ok = d[1] < xctx::state(m).slots.len() as u64;
        if !number_ok || !slot_ok {
            return Err(Exception::illegal(i.raw));
        }
        Binding { kind, number, slot: d[1], pc: d[2], in_service: false, latch: false }
    };
    unbind(m, b as usize);
    state_mut(m).bindings[b as usize] = new;
    charge_set::<XuirqState>(m, SET, E_BIND);
    irq_check(m);
    Ok(pc + 4)
}

/// `uiret`.
fn uiret(m: &mut Machine, i: &Insn, pc: u64) -> R {
    require_user(m, i)?;
    let prev = regs(m).uiprev;
    let cur = xctx::state(m).ctxcur;
    if prev == NONE || cur == NONE {
        return Err(Exception::illegal(i.raw));
    }
    let ok = xctx::state(m).slots.get(prev as usize).is_some_and(|s| s.present && s.prv() == Priv::U);
    if !ok {
        return Err(xctx_slot_miss(m, prev));
    }
    save_running(m, cur as usize, pc + 4, Priv::U);
    let (npc, _) = restore(m, prev as usize);
    charge_set::<XuirqState>(m, SET, E_UIRET);
    Ok(npc)
}

fn xctx_slot_miss(m: &mut Machine, s: u64) -> Exception {
    charge_set::<xctx::XctxState>(m, xctx::SET, xctx::E_SLOT_MISS);
    Exception::new(causes::CTX_SLOT_MISS, s)
}

/// `uiack rs1`.
fn uiack(m: &mut Machine, i: &Insn, pc: u64) -> R {
    require_user(m, i)?;
    let b = x(m, i.rs1);
    let cur = xctx::state(m).ctxcur;
    let bind = state(m).bindings.get(b as usize).copied().filter(|bd| bd.kind != Kind::None && bd.slot == cur);
    let Some(bind) = bind else {
        return Err(Exception::new(causes::XUIRQ_FAULT, b));
    };
    if bind.kind == Kind::Plic && bind.in_service {
        m.bus.devices.plic_complete_source(bind.number as u32);
        charge_set::<XuirqState>(m, SET, E_PLIC_COMPLETE);
    }
    state_mut(m).bindings[b as usize].in_service = false;
    charge_set::<XuirqState>(m, SET, E_ACK);
    irq_check(m);
    Ok(pc + 4)
}

/// `uipi rd, rs1`.
fn uipi(m: &mut Machine, i: &Insn, pc: u64) -> R {
    require_user(m, i)?;
    if !common::enabled(m, crate::xgate::SET) {
        return Err(Exception::illegal(i.raw));
    }
    let g = crate::xgate::lookup(m, x(m, i.rs1))?;
    let _ = cur_asid(m);
    let t = g.target as usize;
    let ok = g.kind == crate::xgate::GateKind::Doorbell
        && state(m).bindings.get(t).is_some_and(|b| b.kind == Kind::Doorbell);
    let st = if ok {
        state_mut(m).bindings[t].latch = true;
        status::OK
    } else {
        status::NORIGHT
    };
    charge_set::<XuirqState>(m, SET, E_UIPI);
    set_x(m, i.rd, st);
    irq_check(m);
    Ok(pc + 4)
}
