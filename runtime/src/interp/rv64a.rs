//! RV64A semantics: LR/SC with a single reservation, and the AMOs.
//!
//! Atomics must be naturally aligned (otherwise address-misaligned: cause 4
//! for LR, 6 for SC/AMO) and must target RAM (otherwise an access fault).
//! AMOs need write permission, so their page faults are store page faults.

use crate::bus::BusEffects;
use crate::isa::Insn;
use crate::machine::Machine;
use crate::trap::Exception;

type R = Result<u64, Exception>;

fn set(m: &mut Machine, r: u8, v: u64) {
    if r != 0 {
        m.hart.x[r as usize] = v;
    }
}

fn write_phys(m: &mut Machine, pa: u64, size: u64, v: u64) {
    let now = m.mtime();
    let mut fx = BusEffects::default();
    // `translate_atomic` checked that the location is RAM, so this cannot fail.
    let ok = m.bus.write(pa, size as u8, v, now, &mut fx);
    debug_assert!(ok);
    m.note_effects(fx);
}

fn lr(m: &mut Machine, i: &Insn, pc: u64, size: u64) -> R {
    let va = m.hart.x[i.rs1 as usize];
    let pa = m.translate_atomic(va, size, true)?;
    let v = m.bus.ram.read(pa, size as u8).unwrap_or(0);
    let v = if size == 4 { v as i32 as i64 as u64 } else { v };
    m.hart.reservation = pa;
    set(m, i.rd, v);
    Ok(pc + 4)
}

fn sc(m: &mut Machine, i: &Insn, pc: u64, size: u64) -> R {
    let va = m.hart.x[i.rs1 as usize];
    let pa = m.translate_atomic(va, size, false)?;
    let ok = m.hart.reservation == pa;
    m.hart.reservation = u64::MAX;
    if ok {
        let v = m.hart.x[i.rs2 as usize];
        write_phys(m, pa, size, v);
    }
    set(m, i.rd, (!ok) as u64);
    Ok(pc + 4)
}

fn amo(m: &mut Machine, i: &Insn, pc: u64, size: u64, f: fn(u64, u64) -> u64) -> R {
    let va = m.hart.x[i.rs1 as usize];
    let pa = m.translate_atomic(va, size, false)?;
    let old = m.bus.ram.read(pa, size as u8).unwrap_or(0);
    let old = if size == 4 { old as i32 as i64 as u64 } else { old };
    let src = m.hart.x[i.rs2 as usize];
    write_phys(m, pa, size, f(old, src));
    set(m, i.rd, old);
    Ok(pc + 4)
}

pub fn lr_w(m: &mut Machine, i: &Insn, pc: u64) -> R {
    lr(m, i, pc, 4)
}
pub fn lr_d(m: &mut Machine, i: &Insn, pc: u64) -> R {
    lr(m, i, pc, 8)
}
pub fn sc_w(m: &mut Machine, i: &Insn, pc: u64) -> R {
    sc(m, i, pc, 4)
}
pub fn sc_d(m: &mut Machine, i: &Insn, pc: u64) -> R {
    sc(m, i, pc, 8)
}

macro_rules! amos {
    ($($w:ident, $d:ident => |$a:ident, $b:ident| $e32:expr, $e64:expr;)*) => {$(
        pub fn $w(m: &mut Machine, i: &Insn, pc: u64) -> R {
            amo(m, i, pc, 4, |$a, $b| $e32)
        }
        pub fn $d(m: &mut Machine, i: &Insn, pc: u64) -> R {
            amo(m, i, pc, 8, |$a, $b| $e64)
        }
    )*};
}

amos! {
    amoswap_w, amoswap_d => |_a, b| b, b;
    amoadd_w, amoadd_d => |a, b| a.wrapping_add(b), a.wrapping_add(b);
    amoxor_w, amoxor_d => |a, b| a ^ b, a ^ b;
    amoand_w, amoand_d => |a, b| a & b, a & b;
    amoor_w, amoor_d => |a, b| a | b, a | b;
    amomin_w, amomin_d => |a, b| (a as i32).min(b as i32) as i64 as u64, (a as i64).min(b as i64) as u64;
    amomax_w, amomax_d => |a, b| (a as i32).max(b as i32) as i64 as u64, (a as i64).max(b as i64) as u64;
    amominu_w, amominu_d => |a, b| (a as u32).min(b as u32) as u64, a.min(b);
    amomaxu_w, amomaxu_d => |a, b| (a as u32).max(b as u32) as u64, a.max(b);
}
