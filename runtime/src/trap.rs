//! Exceptions, interrupts and trap entry.
//!
//! Guest traps are data: instruction semantics return [`Exception`], and
//! [`take_trap`] performs trap entry (delegation, `tvec` modes, status
//! stacking) exactly once, for both engines. [`pending_interrupt`] selects the
//! interrupt to take, by the privileged spec's priority order.

use crate::csr::mstatus;
use crate::hart::{Hart, Priv};

/// Exception cause codes.
pub mod cause {
    pub const INSN_MISALIGNED: u64 = 0;
    pub const INSN_ACCESS: u64 = 1;
    pub const ILLEGAL: u64 = 2;
    pub const BREAKPOINT: u64 = 3;
    pub const LOAD_MISALIGNED: u64 = 4;
    pub const LOAD_ACCESS: u64 = 5;
    pub const STORE_MISALIGNED: u64 = 6;
    pub const STORE_ACCESS: u64 = 7;
    pub const ECALL_U: u64 = 8;
    pub const ECALL_S: u64 = 9;
    pub const ECALL_M: u64 = 11;
    pub const INSN_PAGE: u64 = 12;
    pub const LOAD_PAGE: u64 = 13;
    pub const STORE_PAGE: u64 = 15;
    /// Interrupt flag in `mcause`/`scause`.
    pub const INTERRUPT: u64 = 1 << 63;
}

/// Interrupt numbers and their `mip` bits.
pub mod irq {
    pub const SSI: u64 = 1;
    pub const MSI: u64 = 3;
    pub const STI: u64 = 5;
    pub const MTI: u64 = 7;
    pub const SEI: u64 = 9;
    pub const MEI: u64 = 11;
    pub const SSIP: u64 = 1 << SSI;
    pub const MSIP: u64 = 1 << MSI;
    pub const STIP: u64 = 1 << STI;
    pub const MTIP: u64 = 1 << MTI;
    pub const SEIP: u64 = 1 << SEI;
    pub const MEIP: u64 = 1 << MEI;
    /// Priority order, highest first.
    pub const PRIORITY: [u64; 6] = [MEI, MSI, MTI, SEI, SSI, STI];
}

/// A synchronous exception: cause code and the value for `xtval`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Exception {
    /// Cause code (see [`cause`]).
    pub cause: u64,
    /// Trap value.
    pub tval: u64,
}

impl Exception {
    /// An exception with cause `cause` and trap value `tval`.
    pub const fn new(cause: u64, tval: u64) -> Self {
        Self { cause, tval }
    }
    /// Illegal instruction; `tval` holds the instruction bits.
    pub const fn illegal(raw: u32) -> Self {
        Self::new(cause::ILLEGAL, raw as u64)
    }
    /// Short name of the cause.
    pub fn name(&self) -> &'static str {
        cause_name(self.cause)
    }
}

/// Human-readable name of an exception or interrupt cause.
pub fn cause_name(c: u64) -> &'static str {
    if c & cause::INTERRUPT != 0 {
        return match c & !cause::INTERRUPT {
            irq::SSI => "supervisor software interrupt",
            irq::MSI => "machine software interrupt",
            irq::STI => "supervisor timer interrupt",
            irq::MTI => "machine timer interrupt",
            irq::SEI => "supervisor external interrupt",
            irq::MEI => "machine external interrupt",
            _ => "unknown interrupt",
        };
    }
    match c {
        cause::INSN_MISALIGNED => "instruction address misaligned",
        cause::INSN_ACCESS => "instruction access fault",
        cause::ILLEGAL => "illegal instruction",
        cause::BREAKPOINT => "breakpoint",
        cause::LOAD_MISALIGNED => "load address misaligned",
        cause::LOAD_ACCESS => "load access fault",
        cause::STORE_MISALIGNED => "store/AMO address misaligned",
        cause::STORE_ACCESS => "store/AMO access fault",
        cause::ECALL_U => "environment call from U-mode",
        cause::ECALL_S => "environment call from S-mode",
        cause::ECALL_M => "environment call from M-mode",
        cause::INSN_PAGE => "instruction page fault",
        cause::LOAD_PAGE => "load page fault",
        cause::STORE_PAGE => "store/AMO page fault",
        _ => "unknown exception",
    }
}

/// The interrupt to take now, if any, as a cause code with the interrupt bit.
#[inline]
pub fn pending_interrupt(h: &Hart) -> Option<u64> {
    let pending = h.mip() & h.csr.mie;
    if pending == 0 {
        return None;
    }
    let ms = h.csr.mstatus;
    let m_enabled = h.prv < Priv::M || ms & mstatus::MIE != 0;
    let s_enabled = h.prv < Priv::S || (h.prv == Priv::S && ms & mstatus::SIE != 0);
    let to_m = pending & !h.csr.mideleg;
    let to_s = pending & h.csr.mideleg;
    let pick = |set: u64| irq::PRIORITY.iter().copied().find(|&i| set & (1 << i) != 0);
    if m_enabled {
        if let Some(i) = pick(to_m) {
            return Some(cause::INTERRUPT | i);
        }
    }
    if s_enabled {
        if let Some(i) = pick(to_s) {
            return Some(cause::INTERRUPT | i);
        }
    }
    None
}

/// Enters the trap handler for `cause` (with the interrupt bit for interrupts)
/// raised at `pc` with trap value `tval`.
pub fn take_trap(h: &mut Hart, cause: u64, tval: u64, pc: u64) {
    let interrupt = cause & cause::INTERRUPT != 0;
    let code = cause & !cause::INTERRUPT;
    let deleg = if interrupt { h.csr.mideleg } else { h.csr.medeleg };
    let to_s = h.prv <= Priv::S && code < 64 && deleg & (1 << code) != 0;
    let ms = h.csr.mstatus;
    h.traps += 1;
    h.clock += 1;
    h.reservation = u64::MAX;
    if to_s {
        h.csr.sepc = pc;
        h.csr.scause = cause;
        h.csr.stval = tval;
        let spie = if ms & mstatus::SIE != 0 { mstatus::SPIE } else { 0 };
        let spp = if h.prv == Priv::S { mstatus::SPP } else { 0 };
        h.csr.mstatus = (ms & !(mstatus::SPIE | mstatus::SPP | mstatus::SIE)) | spie | spp;
        h.pc = vector(h.csr.stvec, interrupt, code);
        h.prv = Priv::S;
    } else {
        h.csr.mepc = pc;
        h.csr.mcause = cause;
        h.csr.mtval = tval;
        let mpie = if ms & mstatus::MIE != 0 { mstatus::MPIE } else { 0 };
        let mpp = (h.prv as u64) << mstatus::MPP_SHIFT;
        h.csr.mstatus = (ms & !(mstatus::MPIE | mstatus::MPP | mstatus::MIE)) | mpie | mpp;
        h.pc = vector(h.csr.mtvec, interrupt, code);
        h.prv = Priv::M;
    }
    h.update_mmu_mode();
}

fn vector(tvec: u64, interrupt: bool, code: u64) -> u64 {
    let base = tvec & !3;
    if interrupt && tvec & 1 == 1 {
        base.wrapping_add(4 * code)
    } else {
        base
    }
}
