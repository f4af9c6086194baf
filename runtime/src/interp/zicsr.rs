//! Zicsr semantics: read-modify-write of a CSR, with the rules about which
//! forms read or write (`csrrw` with `rd = x0` does not read; `csrrs`/`csrrc`
//! with `rs1 = x0` and the immediate forms with 0 do not write).

use crate::isa::Insn;
use crate::machine::Machine;
use crate::trap::Exception;

type R = Result<u64, Exception>;

fn rmw(m: &mut Machine, i: &Insn, pc: u64, src: u64, read: bool, write: Option<fn(u64, u64) -> u64>) -> R {
    let n = i.imm as u16;
    let ill = Exception::illegal(i.raw);
    let old = if read { m.csr_read(n).map_err(|_| ill)? } else { 0 };
    if let Some(f) = write {
        // In `mip`, only the software-writable SEIP bit takes part in a
        // read-modify-write; the external interrupt signal is not written back.
        let base = if n == crate::csr::MIP { old & !m.hart.mip_hw | m.hart.csr.mip } else { old };
        m.csr_write(n, f(base, src)).map_err(|_| ill)?;
    }
    if i.rd != 0 {
        m.hart.x[i.rd as usize] = old;
    }
    Ok(pc + 4)
}

pub fn csrrw(m: &mut Machine, i: &Insn, pc: u64) -> R {
    let src = m.hart.x[i.rs1 as usize];
    rmw(m, i, pc, src, i.rd != 0, Some(|_, s| s))
}
pub fn csrrs(m: &mut Machine, i: &Insn, pc: u64) -> R {
    let src = m.hart.x[i.rs1 as usize];
    rmw(m, i, pc, src, true, (i.rs1 != 0).then_some(|o: u64, s: u64| o | s))
}
pub fn csrrc(m: &mut Machine, i: &Insn, pc: u64) -> R {
    let src = m.hart.x[i.rs1 as usize];
    rmw(m, i, pc, src, true, (i.rs1 != 0).then_some(|o: u64, s: u64| o & !s))
}
pub fn csrrwi(m: &mut Machine, i: &Insn, pc: u64) -> R {
    rmw(m, i, pc, i.rs1 as u64, i.rd != 0, Some(|_, s| s))
}
pub fn csrrsi(m: &mut Machine, i: &Insn, pc: u64) -> R {
    rmw(m, i, pc, i.rs1 as u64, true, (i.rs1 != 0).then_some(|o: u64, s: u64| o | s))
}
pub fn csrrci(m: &mut Machine, i: &Insn, pc: u64) -> R {
    rmw(m, i, pc, i.rs1 as u64, true, (i.rs1 != 0).then_some(|o: u64, s: u64| o & !s))
}
