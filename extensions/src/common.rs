//! Pieces shared by every extension: cause and status codes (SPEC §1.5, §1.6),
//! the per-thread extension registers, event counters, state access, and the
//! small hardware primitives (privilege checks, ASID, `satp` switch, physical
//! accesses) the reference semantics are built from.

use crate::CostEvent;
use cranelift_codegen::ir::{types, InstBuilder, Value};
use mkjit_runtime::csr::mstatus;
use mkjit_runtime::hart::{exit, Priv};
use mkjit_runtime::isa::{Insn, IsaSet};
use mkjit_runtime::machine::Machine;
use mkjit_runtime::mmu::tlb::ASID_BITS;
use mkjit_runtime::mmu::Access;
use mkjit_runtime::trap::{cause, Exception};
use mkjit_translator::fastpath::FastPathCx;

/// Result type of instruction semantics: next pc, or the exception raised.
pub type R = Result<u64, Exception>;

/// Exception causes added by the extensions (SPEC §1.5).
pub mod causes {
    /// `gcall`/`asend`/`uipi`: no CLB entry; `tval` = gate index.
    pub const CLB_MISS: u64 = 24;
    /// `gcall`: link stack full; `tval` = gate index.
    pub const LINK_OVERFLOW: u64 = 25;
    /// `gret`: link stack empty; `tval` = `lsp`.
    pub const LINK_UNDERFLOW: u64 = 26;
    /// `gret`: top record not the running callee's; `tval` = record address.
    pub const LINK_FOREIGN: u64 = 27;
    /// `gcall` through a gate that is not a call gate; `tval` = gate index.
    pub const GATE_KIND: u64 = 28;
    /// Context slot not present (or not allowed); `tval` = slot.
    pub const CTX_SLOT_MISS: u64 = 29;
    /// `xline.give` of a window not owned or not giveable; `tval` = window.
    pub const XLINE_GIVE: u64 = 30;
    /// Access to a line window without permission; `tval` = virtual address.
    pub const XLINE_ACCESS: u64 = 31;
    /// Capability check failed; `tval` = reference, `capcause` = reason.
    pub const XCAP_FAULT: u64 = 48;
    /// Capability target translation failed; `tval` = reference, `capva` = VA.
    pub const XCAP_PAGE: u64 = 49;
    /// No spare capability-table entry; `tval` = source reference.
    pub const XCAP_NOSPARE: u64 = 50;
    /// `uiack` by a context that is not the binding's handler; `tval` = binding.
    pub const XUIRQ_FAULT: u64 = 51;
}

/// Status codes returned in `rd` (SPEC §1.6).
pub mod status {
    /// Done.
    pub const OK: u64 = 0;
    /// Destination queue full.
    pub const FULL: u64 = 1;
    /// Source queue empty.
    pub const EMPTY: u64 = 2;
    /// No right for the operation.
    pub const NORIGHT: u64 = 3;
}

/// "None" value of slot-valued CSRs (`ctxcur`, `uiprev`).
pub const NONE: u64 = u64::MAX;

/// State slot holding [`ThreadRegs`] (set 0 is never an extension's set).
pub const SHARED: u16 = 0;

/// The per-thread CSRs of every extension (SPEC §5.2 words 35–47): one
/// register file, so that Xctx saves and restores a thread's extension state
/// as a unit and each extension reads its own fields.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ThreadRegs {
    /// Xgate `lsp`.
    pub lsp: u64,
    /// Xgate `lsbase`.
    pub lsbase: u64,
    /// Xgate `lslimit`.
    pub lslimit: u64,
    /// Xgate `gtp`.
    pub gtp: u64,
    /// Xgate `gbadge`.
    pub gbadge: u64,
    /// Xline `xlgive`.
    pub xlgive: u64,
    /// Xamsg `abadge`.
    pub abadge: u64,
    /// Xamsg `atoken`.
    pub atoken: u64,
    /// Xcap `capspare`.
    pub capspare: u64,
    /// Xuirq `uitimecmp`.
    pub uitimecmp: u64,
    /// Xuirq `uistatus`.
    pub uistatus: u64,
    /// Xuirq `uiprev`.
    pub uiprev: u64,
    /// Xuirq `uicause`.
    pub uicause: u64,
}

impl Default for ThreadRegs {
    fn default() -> Self {
        ThreadRegs {
            lsp: 0,
            lsbase: 0,
            lslimit: 0,
            gtp: 0,
            gbadge: 0,
            xlgive: 0,
            abadge: 0,
            atoken: 0,
            capspare: 0xffff_ffff,
            uitimecmp: u64::MAX,
            uistatus: 0,
            uiprev: NONE,
            uicause: 0,
        }
    }
}

impl ThreadRegs {
    /// Byte offsets of the fields in [`Self::to_words`] order (for inline fast paths).
    pub const WORD_OFFSETS: [usize; 13] = {
        use std::mem::offset_of;
        [
            offset_of!(ThreadRegs, lsp),
            offset_of!(ThreadRegs, lsbase),
            offset_of!(ThreadRegs, lslimit),
            offset_of!(ThreadRegs, gtp),
            offset_of!(ThreadRegs, gbadge),
            offset_of!(ThreadRegs, xlgive),
            offset_of!(ThreadRegs, abadge),
            offset_of!(ThreadRegs, atoken),
            offset_of!(ThreadRegs, capspare),
            offset_of!(ThreadRegs, uitimecmp),
            offset_of!(ThreadRegs, uistatus),
            offset_of!(ThreadRegs, uiprev),
            offset_of!(ThreadRegs, uicause),
        ]
    };

    /// As the 13 words 35..=47 of a context image (SPEC §5.2).
    pub fn to_words(&self) -> [u64; 13] {
        [
            self.lsp,
            self.lsbase,
            self.lslimit,
            self.gtp,
            self.gbadge,
            self.xlgive,
            self.abadge,
            self.atoken,
            self.capspare,
            self.uitimecmp,
            self.uistatus,
            self.uiprev,
            self.uicause,
        ]
    }

    /// From words 35..=47 of a context image.
    pub fn from_words(w: &[u64; 13]) -> Self {
        ThreadRegs {
            lsp: w[0],
            lsbase: w[1],
            lslimit: w[2],
            gtp: w[3],
            gbadge: w[4],
            xlgive: w[5],
            abadge: w[6],
            atoken: w[7],
            capspare: w[8],
            uitimecmp: w[9],
            uistatus: w[10],
            uiprev: w[11],
            uicause: w[12],
        }
    }
}

/// The shared per-thread registers of `m` (installed by the registry).
pub fn regs(m: &Machine) -> &ThreadRegs {
    m.ext.state::<ThreadRegs>(SHARED).expect("extension registers installed (registry::enable)")
}

/// The shared per-thread registers, mutably.
pub fn regs_mut(m: &mut Machine) -> &mut ThreadRegs {
    m.ext.state_mut::<ThreadRegs>(SHARED).expect("extension registers installed (registry::enable)")
}

/// Event counters of one extension, with the costs resolved from the machine's cost model.
#[derive(Clone, Debug)]
pub struct Counters {
    /// Occurrences per event.
    pub counts: Vec<u64>,
    /// Cycles per event.
    pub costs: Vec<u64>,
}

impl Counters {
    /// Counters for `events`, declaring each in `m`'s cost model with its default
    /// cost unless the preset already sets it.
    pub fn new(m: &mut Machine, events: &[CostEvent]) -> Self {
        let model = &mut m.cfg.cost_model;
        let costs = events.iter().map(|e| *model.events.entry(e.name.to_string()).or_insert(e.default)).collect();
        Counters { counts: vec![0; events.len()], costs }
    }

    /// Zero counters with zero costs (before [`Self::new`] resolves them).
    pub fn empty(n: usize) -> Self {
        Counters { counts: vec![0; n], costs: vec![0; n] }
    }

    /// Counts event `ev` and returns its cost.
    #[inline]
    pub fn hit(&mut self, ev: usize) -> u64 {
        self.counts[ev] += 1;
        self.costs[ev]
    }

    /// Event `ev`'s counter address and cost, for inline JIT code.
    pub fn event(&self, ev: usize) -> EventRef {
        EventRef { counter: &self.counts[ev] as *const u64 as usize, cost: self.costs[ev] }
    }
}

/// One event's counter (its address) and cost, captured for inline JIT code.
#[derive(Clone, Copy, Debug)]
pub struct EventRef {
    counter: usize,
    cost: u64,
}

impl EventRef {
    /// What [`Counters::hit`] does, as inline JIT code: counts the event and charges its cost.
    pub fn emit(self, fx: &mut FastPathCx<'_, '_, '_>) {
        fx.count_event(self.counter as *const u64, self.cost);
    }

    /// Counts the event `n` times (a computed number) and charges `n` times its cost.
    pub fn emit_times(self, fx: &mut FastPathCx<'_, '_, '_>, n: Value) {
        let sf = fx.state_flags();
        let a = fx.iconst(self.counter as i64);
        let old = fx.ins().load(types::I64, sf, a, 0);
        let new = fx.ins().iadd(old, n);
        fx.ins().store(sf, new, a, 0);
        let cycles = fx.ins().imul_imm_s(n, self.cost as i64);
        fx.charge_value(cycles);
    }
}

/// State of an extension: its hardware structures plus its counters.
pub trait ExtState: 'static + Send {
    /// The counters.
    fn counters(&mut self) -> &mut Counters;
}

/// Runs `f` with the state of set `set` taken out of the machine, so that `f`
/// can use both. `f` must not call into the same extension's state again
/// (other extensions' states and [`ThreadRegs`] are fine).
pub fn with_state<T: 'static, X>(m: &mut Machine, set: u16, f: impl FnOnce(&mut Machine, &mut T) -> X) -> X {
    let mut b = m.ext.take_state(set).unwrap_or_else(|| panic!("state of extension set {set} not installed"));
    let r = f(m, b.downcast_mut::<T>().unwrap_or_else(|| panic!("state of extension set {set} has another type")));
    m.ext.put_state(set, b);
    r
}

/// Counts event `ev` of the extension state `st` and charges its cost to the hart.
#[inline]
pub fn charge<S: ExtState>(m: &mut Machine, st: &mut S, ev: usize) {
    let c = st.counters().hit(ev);
    m.hart.cycles += c;
}

/// Counts event `ev` of the extension whose state is in set `set` (state must not be taken).
pub fn charge_set<S: ExtState>(m: &mut Machine, set: u16, ev: usize) {
    if let Some(st) = m.ext.state_mut::<S>(set) {
        let c = st.counters().hit(ev);
        m.hart.cycles += c;
    }
}

/// Whether custom set `set` is enabled on `m`.
pub fn enabled(m: &Machine, set: u16) -> bool {
    m.enabled.has(IsaSet::Custom(set))
}

/// Illegal instruction unless in U-mode ("U only" instructions).
#[inline]
pub fn require_user(m: &Machine, i: &Insn) -> Result<(), Exception> {
    if m.hart.prv == Priv::U {
        Ok(())
    } else {
        Err(Exception::illegal(i.raw))
    }
}

/// Illegal instruction in U-mode ("S" instructions; M behaves as S).
#[inline]
pub fn require_super(m: &Machine, i: &Insn) -> Result<(), Exception> {
    if m.hart.prv == Priv::U {
        Err(Exception::illegal(i.raw))
    } else {
        Ok(())
    }
}

/// Value of register `r`.
#[inline]
pub fn x(m: &Machine, r: u8) -> u64 {
    m.hart.x[r as usize]
}

/// Writes register `r` (x0 stays zero).
#[inline]
pub fn set_x(m: &mut Machine, r: u8, v: u64) {
    if r != 0 {
        m.hart.x[r as usize] = v;
    }
}

/// The ASID field of `satp` (the implemented bits).
#[inline]
pub fn asid_of(satp: u64) -> u64 {
    (satp >> 44) & ((1 << ASID_BITS) - 1)
}

/// The current ASID.
#[inline]
pub fn cur_asid(m: &Machine) -> u64 {
    asid_of(m.hart.csr.satp)
}

/// Switches `satp` by hardware (gcall, gret, context switches): the WARL rules
/// of `csrw satp`, no TLB flush unless the mode changes, no `satp_write` cost
/// (the extension charges its own event).
pub fn switch_satp(m: &mut Machine, v: u64) {
    let mode = v >> 60;
    if !matches!(mode, 0 | 8 | 9) {
        return;
    }
    let asid_mask = ((1u64 << ASID_BITS) - 1) << 44;
    let new = (v & (0xf << 60)) | (v & asid_mask) | (v & ((1 << 44) - 1));
    let h = &mut *m.hart;
    if (new >> 60) != (h.csr.satp >> 60) {
        h.tlb.flush_translated();
    }
    h.csr.satp = new;
    h.update_mmu_mode();
}

/// Physical 8-byte load from hardware-owned memory; access fault with `tval` = `pa`.
pub fn phys_ld(m: &mut Machine, pa: u64) -> Result<u64, Exception> {
    if !m.bus.ram.contains(pa, 8) {
        return Err(Exception::new(cause::LOAD_ACCESS, pa));
    }
    m.phys_load(pa, 8).ok_or(Exception::new(cause::LOAD_ACCESS, pa))
}

/// Physical 8-byte store to hardware-owned memory; access fault with `tval` = `pa`.
pub fn phys_sd(m: &mut Machine, pa: u64, v: u64) -> Result<(), Exception> {
    if !m.bus.ram.contains(pa, 8) || !m.phys_store(pa, 8, v) {
        return Err(Exception::new(cause::STORE_ACCESS, pa));
    }
    Ok(())
}

/// Checks that `len` bytes of hardware-owned memory at `pa` are RAM (store: access fault).
pub fn phys_check(m: &Machine, pa: u64, len: u64, store: bool) -> Result<(), Exception> {
    if m.bus.ram.contains(pa, len) {
        Ok(())
    } else {
        Err(Exception::new(if store { cause::STORE_ACCESS } else { cause::LOAD_ACCESS }, pa))
    }
}

/// Reads `n` doublewords at virtual address `va` with the hart's current data
/// translation (descriptor operands of S instructions; lines of U instructions).
/// All pages are translated before anything is returned, so faults are precise.
pub fn load_words(m: &mut Machine, va: u64, n: usize) -> Result<Vec<u64>, Exception> {
    if !va.is_multiple_of(8) {
        return Err(Exception::new(cause::LOAD_MISALIGNED, va));
    }
    let mut out = Vec::with_capacity(n);
    for i in 0..n as u64 {
        out.push(m.load(va.wrapping_add(8 * i), 8)?);
    }
    Ok(out)
}

/// Checks that `len` bytes at `va` are writable with the current data translation
/// (every page translated for writing before any store, so a later store
/// sequence cannot fault half-way). Nothing is written.
pub fn probe_store(m: &mut Machine, va: u64, len: u64) -> Result<(), Exception> {
    let mut a = va;
    let end = va.wrapping_add(len);
    while a < end {
        let chunk = ((a & !0xfff).wrapping_add(0x1000)).min(end) - a;
        m.translate_sized(a, chunk, Access::Write)?;
        a += chunk;
    }
    Ok(())
}

/// Writes doublewords at `va` with the current data translation (after [`probe_store`]).
pub fn store_words(m: &mut Machine, va: u64, w: &[u64]) -> Result<(), Exception> {
    for (i, v) in w.iter().enumerate() {
        m.store(va.wrapping_add(8 * i as u64), 8, *v)?;
    }
    Ok(())
}

/// Tells the run loop to re-check interrupts (and hooks) at the next boundary.
#[inline]
pub fn irq_check(m: &mut Machine) {
    m.hart.exit |= exit::IRQ_CHECK;
}

/// `sstatus.SPP` as a privilege.
pub fn spp(m: &Machine) -> Priv {
    if m.hart.csr.mstatus & mstatus::SPP != 0 {
        Priv::S
    } else {
        Priv::U
    }
}

/// Sets `sstatus.SPP`.
pub fn set_spp(m: &mut Machine, p: Priv) {
    let ms = m.hart.csr.mstatus & !mstatus::SPP;
    m.hart.csr.mstatus = if p == Priv::S { ms | mstatus::SPP } else { ms };
}
