//! Privileged and system instructions: `ecall`, `ebreak`, `mret`, `sret`,
//! `wfi`, `sfence.vma`, `fence.i`.

use crate::csr::mstatus;
use crate::hart::{exit, Priv};
use crate::isa::Insn;
use crate::machine::Machine;
use crate::trap::{cause, Exception};

type R = Result<u64, Exception>;

pub fn ecall(m: &mut Machine, _i: &Insn, _pc: u64) -> R {
    let c = match m.hart.prv {
        Priv::U => cause::ECALL_U,
        Priv::S => cause::ECALL_S,
        Priv::M => cause::ECALL_M,
    };
    Err(Exception::new(c, 0))
}

/// `ebreak`/`c.ebreak`: breakpoint with `tval` = 0, as on QEMU 7.2's `virt`
/// (the privileged spec allows either 0 or the instruction's address).
pub fn ebreak(_m: &mut Machine, _i: &Insn, _pc: u64) -> R {
    Err(Exception::new(cause::BREAKPOINT, 0))
}

pub fn mret(m: &mut Machine, i: &Insn, _pc: u64) -> R {
    if m.hart.prv != Priv::M {
        return Err(Exception::illegal(i.raw));
    }
    let h = &mut *m.hart;
    let ms = h.csr.mstatus;
    let mpp = Priv::from_bits(ms >> mstatus::MPP_SHIFT);
    let mut new = ms & !(mstatus::MIE | mstatus::MPP);
    if ms & mstatus::MPIE != 0 {
        new |= mstatus::MIE;
    }
    new |= mstatus::MPIE;
    if mpp != Priv::M {
        new &= !mstatus::MPRV;
    }
    h.csr.mstatus = new;
    h.prv = mpp;
    h.update_mmu_mode();
    h.exit |= exit::IRQ_CHECK;
    Ok(h.csr.mepc)
}

pub fn sret(m: &mut Machine, i: &Insn, _pc: u64) -> R {
    let h = &mut *m.hart;
    if h.prv == Priv::U || (h.prv == Priv::S && h.csr.mstatus & mstatus::TSR != 0) {
        return Err(Exception::illegal(i.raw));
    }
    let ms = h.csr.mstatus;
    let spp = if ms & mstatus::SPP != 0 { Priv::S } else { Priv::U };
    let mut new = ms & !(mstatus::SIE | mstatus::SPP);
    if ms & mstatus::SPIE != 0 {
        new |= mstatus::SIE;
    }
    new |= mstatus::SPIE;
    new &= !mstatus::MPRV;
    h.csr.mstatus = new;
    h.prv = spp;
    h.update_mmu_mode();
    h.exit |= exit::IRQ_CHECK;
    Ok(h.csr.sepc)
}

/// `wfi`: illegal in U-mode, and in S-mode when `mstatus.TW` is set (as on QEMU);
/// otherwise the hart idles until an interrupt is pending (the machine loop skips time).
pub fn wfi(m: &mut Machine, i: &Insn, pc: u64) -> R {
    let h = &mut *m.hart;
    if h.prv == Priv::U || (h.prv == Priv::S && h.csr.mstatus & mstatus::TW != 0) {
        return Err(Exception::illegal(i.raw));
    }
    h.exit |= exit::WFI;
    Ok(pc + 4)
}

pub fn sfence_vma(m: &mut Machine, i: &Insn, pc: u64) -> R {
    let h = &mut *m.hart;
    if h.prv == Priv::U || (h.prv == Priv::S && h.csr.mstatus & mstatus::TVM != 0) {
        return Err(Exception::illegal(i.raw));
    }
    let va = (i.rs1 != 0).then(|| h.x[i.rs1 as usize]);
    let asid = (i.rs2 != 0).then(|| h.x[i.rs2 as usize] as u16);
    h.tlb.flush(va, asid);
    h.cycles += m.costs.sfence_vma;
    h.exit |= exit::REFETCH;
    Ok(pc + 4)
}

/// `fence.i`: stores to pages holding decoded code already invalidated them
/// (see [`crate::bus`]), so only the current block must end, which it does.
pub fn fence_i(m: &mut Machine, i: &Insn, pc: u64) -> R {
    m.hart.exit |= exit::REFETCH;
    Ok(pc.wrapping_add(i.len as u64))
}
