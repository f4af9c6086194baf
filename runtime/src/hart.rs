//! Architectural state of one hart, laid out for generated code.
//!
//! [`Hart`] is `#[repr(C)]`: the translator addresses its fields by the
//! offsets in [`offsets`], which tests check against the Rust layout. The soft
//! TLB lives inside it so that the inline hit path needs only the hart pointer.

use crate::mmu::tlb::Tlb;

/// Privilege mode.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[repr(u8)]
pub enum Priv {
    /// User.
    U = 0,
    /// Supervisor.
    S = 1,
    /// Machine.
    M = 3,
}

impl Priv {
    /// From the 2-bit encoding used in `mstatus.MPP` (the reserved value 2 reads as U).
    pub fn from_bits(v: u64) -> Priv {
        match v & 3 {
            3 => Priv::M,
            1 => Priv::S,
            _ => Priv::U,
        }
    }

    /// One-letter name.
    pub fn letter(self) -> char {
        match self {
            Priv::U => 'U',
            Priv::S => 'S',
            Priv::M => 'M',
        }
    }
}

/// Reasons generated code or the interpreter must stop at the next instruction boundary.
pub mod exit {
    /// Interrupt state may have changed: re-check before the next instruction.
    pub const IRQ_CHECK: u32 = 1;
    /// Code was modified or a translation flushed: re-fetch.
    pub const REFETCH: u32 = 2;
    /// A device asked the machine to stop.
    pub const DEVICE: u32 = 4;
    /// The hart executed `wfi`.
    pub const WFI: u32 = 8;
}

/// Control and status registers kept as plain fields (see [`crate::csr`] for access rules).
#[repr(C)]
#[derive(Clone, Debug)]
#[allow(missing_docs)]
pub struct Csrs {
    pub mstatus: u64,
    pub medeleg: u64,
    pub mideleg: u64,
    pub mie: u64,
    /// Software-writable `mip` bits (hardware-driven bits are in [`Hart::mip_hw`]).
    pub mip: u64,
    pub mtvec: u64,
    pub mscratch: u64,
    pub mepc: u64,
    pub mcause: u64,
    pub mtval: u64,
    pub mcounteren: u64,
    pub mcountinhibit: u64,
    pub menvcfg: u64,
    pub stvec: u64,
    pub sscratch: u64,
    pub sepc: u64,
    pub scause: u64,
    pub stval: u64,
    pub scounteren: u64,
    pub senvcfg: u64,
    pub satp: u64,
    /// Added to the retired-instruction count to give `minstret`.
    pub instret_offset: u64,
    /// Added to the cycle count to give `mcycle`.
    pub cycle_offset: u64,
    pub pmpcfg: [u64; 8],
    pub pmpaddr: [u64; 64],
}

impl Default for Csrs {
    fn default() -> Self {
        Csrs {
            mstatus: 0,
            medeleg: 0,
            mideleg: 0,
            mie: 0,
            mip: 0,
            mtvec: 0,
            mscratch: 0,
            mepc: 0,
            mcause: 0,
            mtval: 0,
            mcounteren: 0,
            mcountinhibit: 0,
            menvcfg: 0,
            stvec: 0,
            sscratch: 0,
            sepc: 0,
            scause: 0,
            stval: 0,
            scounteren: 0,
            senvcfg: 0,
            satp: 0,
            instret_offset: 0,
            cycle_offset: 0,
            pmpcfg: [0; 8],
            pmpaddr: [0; 64],
        }
    }
}

/// One hart.
#[repr(C)]
pub struct Hart {
    /// Integer registers; `x[0]` is always 0 at instruction boundaries.
    pub x: [u64; 32],
    /// Program counter.
    pub pc: u64,
    /// Deterministic clock in instruction slots: +1 per executed instruction
    /// (retired or trapping), plus idle slots skipped in `wfi`.
    pub clock: u64,
    /// Modeled cycles (see [`crate::cost`]): engines add each executed
    /// instruction's class cost, slow paths add event costs.
    pub cycles: u64,
    /// Engines return to the machine loop when `clock` reaches this.
    pub deadline: u64,
    /// Set by slow paths to stop at the next instruction boundary (see [`exit`]).
    pub exit: u32,
    /// Current privilege mode.
    pub prv: Priv,
    /// TLB bank used for data accesses (depends on mode, MPRV/MPP and SUM).
    pub data_bank: u8,
    /// TLB bank used for instruction fetch.
    pub fetch_bank: u8,
    /// TLB tag bits of the current ASID for each bank.
    pub tlb_key: [u64; crate::mmu::tlb::BANKS],
    /// TLB index salt of the current ASID for each bank.
    pub tlb_salt: [u64; crate::mmu::tlb::BANKS],
    /// `mip` bits driven by devices (MSIP, MTIP, SEIP, MEIP).
    pub mip_hw: u64,
    /// LR reservation: physical address, or `u64::MAX` when none.
    pub reservation: u64,
    /// Traps taken (each costs one clock slot).
    pub traps: u64,
    /// Clock slots spent idle in `wfi`.
    pub idle: u64,
    /// Floating-point registers (single-precision values NaN-boxed).
    pub f: [u64; 32],
    /// `fcsr`: rounding mode `frm` in bits 7:5, accrued exceptions `fflags` in bits 4:0.
    pub fcsr: u64,
    /// CSRs.
    pub csr: Csrs,
    /// Soft TLB.
    pub tlb: Tlb,
}

/// Byte offsets of fields used by generated code.
pub mod offsets {
    use super::Hart;
    use std::mem::offset_of;
    /// `x[0]`.
    pub const X: usize = offset_of!(Hart, x);
    /// `pc`.
    pub const PC: usize = offset_of!(Hart, pc);
    /// `clock`.
    pub const CLOCK: usize = offset_of!(Hart, clock);
    /// `cycles`.
    pub const CYCLES: usize = offset_of!(Hart, cycles);
    /// `deadline`.
    pub const DEADLINE: usize = offset_of!(Hart, deadline);
    /// `exit`.
    pub const EXIT: usize = offset_of!(Hart, exit);
    /// `tlb_key`.
    pub const TLB_KEY: usize = offset_of!(Hart, tlb_key);
    /// `tlb_salt`.
    pub const TLB_SALT: usize = offset_of!(Hart, tlb_salt);
    /// `tlb`.
    pub const TLB: usize = offset_of!(Hart, tlb);
    /// `reservation`.
    pub const RESERVATION: usize = offset_of!(Hart, reservation);
    /// `f[0]`.
    pub const F: usize = offset_of!(Hart, f);
    /// `fcsr`.
    pub const FCSR: usize = offset_of!(Hart, fcsr);
    /// `csr.mstatus`.
    pub const MSTATUS: usize = offset_of!(Hart, csr) + offset_of!(super::Csrs, mstatus);
}

impl Hart {
    /// A hart in M-mode at `pc`, registers zero, as after reset.
    pub fn new(pc: u64) -> Box<Hart> {
        let mut h = Box::new(Hart {
            x: [0; 32],
            pc,
            clock: 0,
            cycles: 0,
            deadline: 0,
            exit: 0,
            prv: Priv::M,
            data_bank: 0,
            fetch_bank: 0,
            tlb_key: [0; crate::mmu::tlb::BANKS],
            tlb_salt: [0; crate::mmu::tlb::BANKS],
            mip_hw: 0,
            reservation: u64::MAX,
            traps: 0,
            idle: 0,
            f: [0; 32],
            fcsr: 0,
            csr: Csrs::default(),
            tlb: Tlb::new(),
        });
        h.csr.mstatus = crate::csr::MSTATUS_UXL_SXL;
        h.update_mmu_mode();
        h
    }

    /// Whether floating-point instructions are enabled (`mstatus.FS` is not Off).
    #[inline]
    pub fn fp_enabled(&self) -> bool {
        self.csr.mstatus & crate::csr::mstatus::FS != 0
    }

    /// Marks the floating-point state modified (`mstatus.FS` = Dirty, and `SD`).
    #[inline]
    pub fn set_fp_dirty(&mut self) {
        self.csr.mstatus |= crate::csr::mstatus::FS | crate::csr::mstatus::SD;
    }

    /// Retired instructions.
    pub fn instret(&self) -> u64 {
        self.clock - self.traps - self.idle
    }

    /// Pending interrupts: software and hardware `mip` bits.
    #[inline]
    pub fn mip(&self) -> u64 {
        self.csr.mip | self.mip_hw
    }
}
