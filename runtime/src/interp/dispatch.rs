//! From decoded operation to handler: the one place that maps [`Op`] to semantics.

use super::{rv64a as a, rv64i as i, rv64m as m, system as sys, zicsr as z, Handler};
use crate::isa::{Insn, Op};
use crate::machine::Machine;
use crate::trap::Exception;

/// Row number given to instructions that decode to nothing.
pub const ILLEGAL_ROW: u16 = u16::MAX;

/// Raises illegal-instruction with the instruction bits in `tval`.
pub fn illegal(_m: &mut Machine, insn: &Insn, _pc: u64) -> Result<u64, Exception> {
    Err(Exception::illegal(insn.raw))
}

/// Decodes `raw` with the machine's table and enabled sets; undecodable bits get [`illegal`].
pub fn decode(mach: &Machine, raw: u32) -> (Handler, Insn) {
    match mach.isa.decode(raw, mach.enabled) {
        Some(insn) => (handler(mach, insn.op), insn),
        None => {
            let len = crate::isa::IsaTable::length(raw as u16);
            let raw = if len == 2 { raw & 0xffff } else { raw };
            (
                illegal as Handler,
                Insn { op: Op::Fence, rd: 0, rs1: 0, rs2: 0, rs3: 0, len, row: ILLEGAL_ROW, raw, imm: 0 },
            )
        }
    }
}

/// The handler implementing `op`.
pub fn handler(mach: &Machine, op: Op) -> Handler {
    match op {
        Op::Lui => i::lui,
        Op::Auipc => i::auipc,
        Op::Jal => i::jal,
        Op::Jalr => i::jalr,
        Op::Beq => i::beq,
        Op::Bne => i::bne,
        Op::Blt => i::blt,
        Op::Bge => i::bge,
        Op::Bltu => i::bltu,
        Op::Bgeu => i::bgeu,
        Op::Lb => i::lb,
        Op::Lh => i::lh,
        Op::Lw => i::lw,
        Op::Ld => i::ld,
        Op::Lbu => i::lbu,
        Op::Lhu => i::lhu,
        Op::Lwu => i::lwu,
        Op::Sb => i::sb,
        Op::Sh => i::sh,
        Op::Sw => i::sw,
        Op::Sd => i::sd,
        Op::Addi => i::addi,
        Op::Slti => i::slti,
        Op::Sltiu => i::sltiu,
        Op::Xori => i::xori,
        Op::Ori => i::ori,
        Op::Andi => i::andi,
        Op::Slli => i::slli,
        Op::Srli => i::srli,
        Op::Srai => i::srai,
        Op::Add => i::add,
        Op::Sub => i::sub,
        Op::Sll => i::sll,
        Op::Slt => i::slt,
        Op::Sltu => i::sltu,
        Op::Xor => i::xor,
        Op::Srl => i::srl,
        Op::Sra => i::sra,
        Op::Or => i::or,
        Op::And => i::and,
        Op::Addiw => i::addiw,
        Op::Slliw => i::slliw,
        Op::Srliw => i::srliw,
        Op::Sraiw => i::sraiw,
        Op::Addw => i::addw,
        Op::Subw => i::subw,
        Op::Sllw => i::sllw,
        Op::Srlw => i::srlw,
        Op::Sraw => i::sraw,
        Op::Fence => i::fence,
        Op::Ecall => sys::ecall,
        Op::Ebreak => sys::ebreak,
        Op::FenceI => sys::fence_i,
        Op::Csrrw => z::csrrw,
        Op::Csrrs => z::csrrs,
        Op::Csrrc => z::csrrc,
        Op::Csrrwi => z::csrrwi,
        Op::Csrrsi => z::csrrsi,
        Op::Csrrci => z::csrrci,
        Op::Mul => m::mul,
        Op::Mulh => m::mulh,
        Op::Mulhsu => m::mulhsu,
        Op::Mulhu => m::mulhu,
        Op::Div => m::div,
        Op::Divu => m::divu,
        Op::Rem => m::rem,
        Op::Remu => m::remu,
        Op::Mulw => m::mulw,
        Op::Divw => m::divw,
        Op::Divuw => m::divuw,
        Op::Remw => m::remw,
        Op::Remuw => m::remuw,
        Op::LrW => a::lr_w,
        Op::ScW => a::sc_w,
        Op::AmoswapW => a::amoswap_w,
        Op::AmoaddW => a::amoadd_w,
        Op::AmoxorW => a::amoxor_w,
        Op::AmoandW => a::amoand_w,
        Op::AmoorW => a::amoor_w,
        Op::AmominW => a::amomin_w,
        Op::AmomaxW => a::amomax_w,
        Op::AmominuW => a::amominu_w,
        Op::AmomaxuW => a::amomaxu_w,
        Op::LrD => a::lr_d,
        Op::ScD => a::sc_d,
        Op::AmoswapD => a::amoswap_d,
        Op::AmoaddD => a::amoadd_d,
        Op::AmoxorD => a::amoxor_d,
        Op::AmoandD => a::amoand_d,
        Op::AmoorD => a::amoor_d,
        Op::AmominD => a::amomin_d,
        Op::AmomaxD => a::amomax_d,
        Op::AmominuD => a::amominu_d,
        Op::AmomaxuD => a::amomaxu_d,
        Op::Sret => sys::sret,
        Op::Mret => sys::mret,
        Op::Wfi => sys::wfi,
        Op::SfenceVma => sys::sfence_vma,
        Op::Custom(set, _) => mach.custom_handler(set).unwrap_or(illegal),
    }
}
