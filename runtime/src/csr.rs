//! Control and status registers: numbers, names, and access rules.
//!
//! Reads and writes go through [`Machine::csr_read`] and [`Machine::csr_write`],
//! which apply privilege checks (`csr[9:8]`), read-only checks (`csr[11:10]`),
//! `mstatus.TVM`, the counter-enable registers, and each register's WARL rules.
//! PMP registers are accepted and read back but not enforced.

use crate::hart::{Hart, Priv};
use crate::machine::Machine;
use crate::mmu::tlb::{self, ASID_BITS};
use crate::trap::irq;

/// `mstatus` fields.
pub mod mstatus {
    pub const SIE: u64 = 1 << 1;
    pub const MIE: u64 = 1 << 3;
    pub const SPIE: u64 = 1 << 5;
    pub const MPIE: u64 = 1 << 7;
    pub const SPP: u64 = 1 << 8;
    pub const MPP_SHIFT: u64 = 11;
    pub const MPP: u64 = 3 << MPP_SHIFT;
    pub const MPRV: u64 = 1 << 17;
    pub const SUM: u64 = 1 << 18;
    pub const MXR: u64 = 1 << 19;
    pub const TVM: u64 = 1 << 20;
    pub const TW: u64 = 1 << 21;
    pub const TSR: u64 = 1 << 22;
    /// Floating-point unit state: Off (0), Initial, Clean, Dirty (3).
    pub const FS: u64 = 3 << 13;
    /// Some extension state is Dirty (read-only, follows `FS`).
    pub const SD: u64 = 1 << 63;
    /// Writable through `mstatus`.
    pub const M_WRITABLE: u64 = SIE | MIE | SPIE | MPIE | SPP | MPP | FS | MPRV | SUM | MXR | TVM | TW | TSR;
    /// Writable through `sstatus`.
    pub const S_WRITABLE: u64 = SIE | SPIE | SPP | FS | SUM | MXR;
    /// UXL field (read-only through `sstatus`).
    pub const UXL: u64 = 3 << 32;
}

/// UXL = SXL = 2 (64-bit), fixed.
pub const MSTATUS_UXL_SXL: u64 = (2 << 32) | (2 << 34);

/// `misa`: RV64 with A, C, D, F, I, M, S, U.
pub const MISA: u64 =
    (2 << 62) | (1 << 0) | (1 << 2) | (1 << 3) | (1 << 5) | (1 << 8) | (1 << 12) | (1 << 18) | (1 << 20);

/// Exceptions that `medeleg` can delegate (all but environment call from M-mode).
const MEDELEG_MASK: u64 = 0xb3ff;
/// Interrupts that `mideleg` can delegate.
const MIDELEG_MASK: u64 = irq::SSIP | irq::STIP | irq::SEIP;
/// Interrupts that exist.
const MIE_MASK: u64 = irq::SSIP | irq::MSIP | irq::STIP | irq::MTIP | irq::SEIP | irq::MEIP;
/// `mip` bits writable by software in M-mode.
const MIP_WRITABLE: u64 = irq::SSIP | irq::STIP | irq::SEIP;

macro_rules! csr_numbers {
    ($( $id:ident = $num:literal, $name:literal; )*) => {
        $( #[doc = concat!("`", $name, "`")] pub const $id: u16 = $num; )*
        /// Name of CSR `n`, if it is one mkjit implements.
        pub fn name(n: u16) -> Option<&'static str> {
            match n {
                $( $num => Some($name), )*
                0x3a0..=0x3af => Some(PMPCFG_NAMES[(n - 0x3a0) as usize]),
                0x3b0..=0x3ef => Some("pmpaddr"),
                0xc03..=0xc1f => Some("hpmcounter"),
                0xb03..=0xb1f => Some("mhpmcounter"),
                0x323..=0x33f => Some("mhpmevent"),
                _ => None,
            }
        }
    };
}

const PMPCFG_NAMES: [&str; 16] = [
    "pmpcfg0", "pmpcfg1", "pmpcfg2", "pmpcfg3", "pmpcfg4", "pmpcfg5", "pmpcfg6", "pmpcfg7", "pmpcfg8", "pmpcfg9",
    "pmpcfg10", "pmpcfg11", "pmpcfg12", "pmpcfg13", "pmpcfg14", "pmpcfg15",
];

csr_numbers! {
    FFLAGS = 0x001, "fflags";
    FRM = 0x002, "frm";
    FCSR = 0x003, "fcsr";
    SSTATUS = 0x100, "sstatus";
    SIE = 0x104, "sie";
    STVEC = 0x105, "stvec";
    SCOUNTEREN = 0x106, "scounteren";
    SENVCFG = 0x10a, "senvcfg";
    SSCRATCH = 0x140, "sscratch";
    SEPC = 0x141, "sepc";
    SCAUSE = 0x142, "scause";
    STVAL = 0x143, "stval";
    SIP = 0x144, "sip";
    SATP = 0x180, "satp";
    MSTATUS = 0x300, "mstatus";
    MISA_CSR = 0x301, "misa";
    MEDELEG = 0x302, "medeleg";
    MIDELEG = 0x303, "mideleg";
    MIE = 0x304, "mie";
    MTVEC = 0x305, "mtvec";
    MCOUNTEREN = 0x306, "mcounteren";
    MENVCFG = 0x30a, "menvcfg";
    MCOUNTINHIBIT = 0x320, "mcountinhibit";
    MSCRATCH = 0x340, "mscratch";
    MEPC = 0x341, "mepc";
    MCAUSE = 0x342, "mcause";
    MTVAL = 0x343, "mtval";
    MIP = 0x344, "mip";
    TSELECT = 0x7a0, "tselect";
    TDATA1 = 0x7a1, "tdata1";
    TDATA2 = 0x7a2, "tdata2";
    TDATA3 = 0x7a3, "tdata3";
    MCYCLE = 0xb00, "mcycle";
    MINSTRET = 0xb02, "minstret";
    CYCLE = 0xc00, "cycle";
    TIME = 0xc01, "time";
    INSTRET = 0xc02, "instret";
    MVENDORID = 0xf11, "mvendorid";
    MARCHID = 0xf12, "marchid";
    MIMPID = 0xf13, "mimpid";
    MHARTID = 0xf14, "mhartid";
    MCONFIGPTR = 0xf15, "mconfigptr";
}

/// Why a CSR access is refused (the instruction is then illegal).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CsrDenied;

impl Hart {
    /// Recomputes the TLB banks and keys after a change of mode, `mstatus` or `satp`.
    pub fn update_mmu_mode(&mut self) {
        let ms = self.csr.mstatus;
        let translated = self.csr.satp >> 60 != 0;
        let bank_of = |p: Priv, data: bool| -> u8 {
            match p {
                Priv::M => tlb::BANK_M,
                _ if !translated => tlb::BANK_M,
                Priv::U if data => tlb::BANK_U,
                Priv::U => tlb::BANK_UX,
                Priv::S if !data => tlb::BANK_SX,
                Priv::S if ms & mstatus::SUM != 0 => tlb::BANK_S_SUM,
                Priv::S => tlb::BANK_S,
            }
        };
        let data_priv = if self.prv == Priv::M && ms & mstatus::MPRV != 0 {
            Priv::from_bits(ms >> mstatus::MPP_SHIFT)
        } else {
            self.prv
        };
        self.data_bank = bank_of(data_priv, true);
        self.fetch_bank = bank_of(self.prv, false);
        let asid = ((self.csr.satp >> 44) & ((1 << ASID_BITS) - 1)) as u16;
        for b in 0..tlb::BANKS {
            self.tlb_key[b] = tlb::asid_key(asid);
            self.tlb_salt[b] = tlb::asid_salt(asid);
        }
        self.tlb_key[tlb::BANK_M as usize] = 0;
        self.tlb_salt[tlb::BANK_M as usize] = 0;
    }

    /// Writes `mstatus` through `mask`, keeping derived state consistent.
    pub fn set_mstatus(&mut self, value: u64, mask: u64) {
        let old = self.csr.mstatus;
        let mut new = (old & !mask) | (value & mask);
        if (new >> mstatus::MPP_SHIFT) & 3 == 2 {
            new = (new & !mstatus::MPP) | (old & mstatus::MPP);
        }
        new &= !mstatus::SD;
        if new & mstatus::FS == mstatus::FS {
            new |= mstatus::SD;
        }
        self.csr.mstatus = new | MSTATUS_UXL_SXL;
        if (old ^ new) & mstatus::MXR != 0 {
            self.tlb.flush_translated();
        }
        self.update_mmu_mode();
    }
}

impl Machine {
    /// Whether the counter at `cycle`/`time`/`instret`/`hpmcounterN` offset `bit` is readable now.
    fn counter_enabled(&self, bit: u16) -> bool {
        let h = &self.hart;
        let m = h.csr.mcounteren >> bit & 1 == 1;
        let s = h.csr.scounteren >> bit & 1 == 1;
        match h.prv {
            Priv::M => true,
            Priv::S => m,
            Priv::U => m && s,
        }
    }

    /// Checks privilege and read-only rules for an access to CSR `n`.
    fn csr_check(&self, n: u16, write: bool) -> Result<(), CsrDenied> {
        let h = &self.hart;
        if (h.prv as u16) < (n >> 8) & 3 {
            return Err(CsrDenied);
        }
        if write && n >> 10 == 3 {
            return Err(CsrDenied);
        }
        if n == SATP && h.prv == Priv::S && h.csr.mstatus & mstatus::TVM != 0 {
            return Err(CsrDenied);
        }
        if (0xc00..=0xc1f).contains(&n) && !self.counter_enabled(n - 0xc00) {
            return Err(CsrDenied);
        }
        if matches!(n, FFLAGS | FRM | FCSR) && !h.fp_enabled() {
            return Err(CsrDenied);
        }
        Ok(())
    }

    /// Current `mtime`.
    pub fn mtime(&self) -> u64 {
        self.hart.clock / self.cfg.insns_per_tick
    }

    /// Current modeled cycle count (before the `mcycle` offset).
    pub fn cycles(&self) -> u64 {
        self.hart.cycles
    }

    /// Reads CSR `n` (as `csrr` would, including the access checks).
    pub fn csr_read(&mut self, n: u16) -> Result<u64, CsrDenied> {
        self.csr_check(n, false)?;
        let h = &self.hart;
        let c = &h.csr;
        Ok(match n {
            FFLAGS => h.fcsr & 0x1f,
            FRM => (h.fcsr >> 5) & 7,
            FCSR => h.fcsr & 0xff,
            SSTATUS => c.mstatus & (mstatus::S_WRITABLE | mstatus::UXL | mstatus::SD),
            SIE => c.mie & c.mideleg,
            STVEC => c.stvec,
            SCOUNTEREN => c.scounteren,
            SENVCFG => c.senvcfg,
            SSCRATCH => c.sscratch,
            SEPC => c.sepc,
            SCAUSE => c.scause,
            STVAL => c.stval,
            SIP => h.mip() & c.mideleg,
            SATP => c.satp,
            MSTATUS => c.mstatus,
            MISA_CSR => MISA,
            MEDELEG => c.medeleg,
            MIDELEG => c.mideleg,
            MIE => c.mie,
            MTVEC => c.mtvec,
            MCOUNTEREN => c.mcounteren,
            MENVCFG => c.menvcfg,
            MCOUNTINHIBIT => c.mcountinhibit,
            MSCRATCH => c.mscratch,
            MEPC => c.mepc,
            MCAUSE => c.mcause,
            MTVAL => c.mtval,
            MIP => h.mip(),
            TSELECT | TDATA1 | TDATA2 | TDATA3 => 0,
            MCYCLE | CYCLE => self.cycles().wrapping_add(c.cycle_offset),
            MINSTRET | INSTRET => h.instret().wrapping_add(c.instret_offset),
            TIME => self.mtime(),
            MVENDORID | MARCHID | MIMPID | MHARTID | MCONFIGPTR => 0,
            0x3a0..=0x3af if n.is_multiple_of(2) => c.pmpcfg[((n - 0x3a0) / 2) as usize],
            0x3b0..=0x3ef => c.pmpaddr[(n - 0x3b0) as usize],
            0xc03..=0xc1f | 0xb03..=0xb1f | 0x323..=0x33f => 0,
            _ => return self.ext.csr_read.and_then(|hook| hook(self, n)).unwrap_or(Err(CsrDenied)),
        })
    }

    /// Writes CSR `n` (after the access checks); side effects on translation and interrupts included.
    pub fn csr_write(&mut self, n: u16, v: u64) -> Result<(), CsrDenied> {
        self.csr_check(n, true)?;
        let cycles = self.cycles();
        let csr_cost = self.class_cost(crate::cost::Class::Csr);
        let medeleg_mask = MEDELEG_MASK | self.ext.medeleg_mask;
        if n == SATP {
            self.hart.cycles += self.costs.satp_write;
        }
        let h = &mut self.hart;
        let c = &mut h.csr;
        match n {
            FFLAGS | FRM | FCSR => {
                h.fcsr = match n {
                    FFLAGS => (h.fcsr & !0x1f) | (v & 0x1f),
                    FRM => (h.fcsr & 0x1f) | ((v & 7) << 5),
                    _ => v & 0xff,
                };
                h.set_fp_dirty();
            }
            SSTATUS => h.set_mstatus(v, mstatus::S_WRITABLE),
            SIE => c.mie = (c.mie & !c.mideleg) | (v & c.mideleg & MIE_MASK),
            STVEC => c.stvec = legal_tvec(v),
            SCOUNTEREN => c.scounteren = v & 0xffff_ffff,
            SENVCFG => c.senvcfg = v & 1,
            SSCRATCH => c.sscratch = v,
            SEPC => c.sepc = v & !1,
            SCAUSE => c.scause = v,
            STVAL => c.stval = v,
            SIP => {
                let m = c.mideleg & irq::SSIP;
                c.mip = (c.mip & !m) | (v & m);
            }
            SATP => {
                let mode = v >> 60;
                if matches!(mode, 0 | 8 | 9) {
                    let asid_mask = ((1u64 << ASID_BITS) - 1) << 44;
                    let new = (v & (0xf << 60)) | (v & asid_mask) | (v & ((1 << 44) - 1));
                    if (new >> 60) != (c.satp >> 60) {
                        h.tlb.flush_translated();
                    }
                    h.csr.satp = new;
                    h.update_mmu_mode();
                }
            }
            MSTATUS => h.set_mstatus(v, mstatus::M_WRITABLE),
            MISA_CSR => {}
            MEDELEG => c.medeleg = v & medeleg_mask,
            MIDELEG => c.mideleg = v & MIDELEG_MASK,
            MIE => c.mie = v & MIE_MASK,
            MTVEC => c.mtvec = legal_tvec(v),
            MCOUNTEREN => c.mcounteren = v & 0xffff_ffff,
            MENVCFG => c.menvcfg = v & 1,
            MCOUNTINHIBIT => c.mcountinhibit = v & 0xffff_fffd,
            MSCRATCH => c.mscratch = v,
            MEPC => c.mepc = v & !1,
            MCAUSE => c.mcause = v,
            MTVAL => c.mtval = v,
            MIP => c.mip = (c.mip & !MIP_WRITABLE) | (v & MIP_WRITABLE),
            TSELECT | TDATA1 | TDATA2 | TDATA3 => {}
            // The written value is what the next read returns; this instruction's own
            // retirement is not added on top (the write wins).
            // The instruction's own cost is added after it retires; the written value wins.
            MCYCLE => c.cycle_offset = v.wrapping_sub(cycles + csr_cost),
            MINSTRET => c.instret_offset = v.wrapping_sub(h.clock - h.traps - h.idle + 1),
            0x3a0..=0x3af if n.is_multiple_of(2) => c.pmpcfg[((n - 0x3a0) / 2) as usize] = v,
            0x3b0..=0x3ef => c.pmpaddr[(n - 0x3b0) as usize] = v & ((1 << 54) - 1),
            0xb03..=0xb1f | 0x323..=0x33f => {}
            _ => match self.ext.csr_write.and_then(|hook| hook(self, n, v)) {
                Some(r) => r?,
                None => return Err(CsrDenied),
            },
        }
        self.hart.exit |= crate::hart::exit::IRQ_CHECK;
        Ok(())
    }
}

fn legal_tvec(v: u64) -> u64 {
    // Modes 0 (direct) and 1 (vectored); reserved modes read back as direct.
    if v & 3 >= 2 {
        v & !3
    } else {
        v
    }
}
