//! The disassembler, derived from the encoding table: mnemonic from the row,
//! operand syntax from the row's [`Format`].

use super::decode::{Insn, IsaTable};
use super::format::{Format, F_RD, F_RS1, F_RS2, F_RS3};
use super::reg::{fname, name};

/// Formats a CSR number by name where it has one.
fn csr_name(n: i64) -> String {
    match crate::csr::name(n as u16) {
        Some(s) => s.to_string(),
        None => format!("{n:#x}"),
    }
}

impl IsaTable {
    /// Disassembles a decoded instruction at `pc` (branch targets are printed absolute).
    pub fn disasm(&self, insn: &Insn, pc: u64) -> String {
        if insn.row as usize >= self.rows().len() {
            return if insn.len == 2 {
                format!("illegal    {:#06x}", insn.raw & 0xffff)
            } else {
                format!("illegal    {:#010x}", insn.raw)
            };
        }
        let def = self.row(insn.row);
        let fr = def.format.fregs();
        let reg = |r: u8, bit: u8| if fr & bit != 0 { fname(r) } else { name(r) };
        let (rd, rs1, rs2) = (reg(insn.rd, F_RD), reg(insn.rs1, F_RS1), reg(insn.rs2, F_RS2));
        let imm = insn.imm;
        let target = pc.wrapping_add(imm as u64);
        let ops = match def.format {
            Format::R | Format::CArith | Format::CMv | Format::CAdd => format!("{rd}, {rs1}, {rs2}"),
            Format::R4 => format!("{rd}, {rs1}, {rs2}, {}", name(insn.rs3)),
            Format::I
            | Format::CAddi
            | Format::CAddiw
            | Format::CLi
            | Format::CAddi16sp
            | Format::CAddi4spn
            | Format::CAndi => {
                if matches!(insn.op, super::Op::Jalr) || is_load(insn.op) {
                    format!("{rd}, {imm}({rs1})")
                } else {
                    format!("{rd}, {rs1}, {imm}")
                }
            }
            Format::CLw | Format::CLd | Format::CLwsp | Format::CLdsp => format!("{rd}, {imm}({rs1})"),
            Format::CJr | Format::CJalr => format!("{rd}, 0({rs1})"),
            Format::Shift64 | Format::Shift32 | Format::CShiftR | Format::CSlli => format!("{rd}, {rs1}, {imm}"),
            Format::S | Format::CSw | Format::CSd | Format::CSwsp | Format::CSdsp => format!("{rs2}, {imm}({rs1})"),
            Format::B | Format::CBranch => format!("{rs1}, {rs2}, {target:#x}"),
            Format::U | Format::CLui => format!("{rd}, {:#x}", (imm >> 12) & 0xfffff),
            Format::J | Format::CJ => format!("{rd}, {target:#x}"),
            Format::Csr => format!("{rd}, {}, {rs1}", csr_name(imm)),
            Format::CsrI => format!("{rd}, {}, {}", csr_name(imm), insn.rs1),
            Format::Amo => format!("{rd}, {rs2}, ({rs1}){}", aqrl(imm)),
            Format::Lr => format!("{rd}, ({rs1}){}", aqrl(imm)),
            Format::Fence => fence_sets(imm),
            Format::None | Format::CNone => String::new(),
            Format::Sfence => format!("{rs1}, {rs2}"),
            Format::FpArith => format!("{rd}, {rs1}, {rs2}{}", rounding(imm)),
            Format::FpFma => format!("{rd}, {rs1}, {rs2}, {}{}", reg(insn.rs3, F_RS3), rounding(imm)),
            Format::FpUnary | Format::FpToInt | Format::IntToFp => format!("{rd}, {rs1}{}", rounding(imm)),
            Format::FpSign | Format::FpCmp => format!("{rd}, {rs1}, {rs2}"),
            Format::FpToIntBits | Format::IntToFpBits => format!("{rd}, {rs1}"),
            Format::FpLoad | Format::CFld | Format::CFldsp => format!("{rd}, {imm}({rs1})"),
            Format::FpStore | Format::CFsd | Format::CFsdsp => format!("{rs2}, {imm}({rs1})"),
        };
        if ops.is_empty() {
            def.name.to_string()
        } else {
            format!("{:<10} {ops}", def.name)
        }
    }

    /// Disassembles raw instruction bits at `pc`, or says why it cannot.
    pub fn disasm_raw(&self, raw: u32, pc: u64, enabled: super::decode::SetMask) -> String {
        match self.decode(raw, enabled) {
            Some(i) => self.disasm(&i, pc),
            None if IsaTable::length(raw as u16) == 2 => format!("illegal    {:#06x}", raw & 0xffff),
            None => format!("illegal    {raw:#010x}"),
        }
    }
}

fn is_load(op: super::Op) -> bool {
    use super::Op::*;
    matches!(op, Lb | Lh | Lw | Ld | Lbu | Lhu | Lwu)
}

/// A rounding-mode operand: nothing for the dynamic mode.
fn rounding(rm: i64) -> &'static str {
    match rm {
        0 => ", rne",
        1 => ", rtz",
        2 => ", rdn",
        3 => ", rup",
        4 => ", rmm",
        _ => "",
    }
}

fn aqrl(imm: i64) -> &'static str {
    match imm & 3 {
        0 => "",
        1 => " rl",
        2 => " aq",
        _ => " aqrl",
    }
}

fn fence_sets(imm: i64) -> String {
    let set = |v: i64| {
        let s: String =
            [(8, 'i'), (4, 'o'), (2, 'r'), (1, 'w')].iter().filter(|(b, _)| v & b != 0).map(|(_, c)| *c).collect();
        if s.is_empty() {
            "0".to_string()
        } else {
            s
        }
    };
    format!("{}, {}", set((imm >> 4) & 0xf), set(imm & 0xf))
}

#[cfg(test)]
mod tests {
    use super::super::decode::SetMask;
    use super::*;

    #[test]
    fn prints_operands_per_format() {
        let t = IsaTable::core();
        let d = |raw| t.disasm_raw(raw, 0x8000_0000, SetMask::CORE);
        assert_eq!(d(0x0010_0513), "addi       a0, zero, 1");
        assert_eq!(d(0x0085_3503), "ld         a0, 8(a0)");
        assert_eq!(d(0x00a5_b423), "sd         a0, 8(a1)");
        assert_eq!(d(0x3400_2573), "csrrs      a0, mscratch, zero");
        assert_eq!(d(0x0000_0073), "ecall");
        assert_eq!(d(0x4505), "c.li       a0, zero, 1");
        assert_eq!(d(0x0000), "illegal    0x0000");
        assert_eq!(d(0x02b5_7553), "fadd.d     fa0, fa0, fa1");
        assert_eq!(d(0xc225_1553), "fcvt.l.d   a0, fa0, rtz");
        assert_eq!(d(0x6a05_f543), "fmadd.d    fa0, fa1, ft0, fa3");
        assert_eq!(d(0x2108), "c.fld      fa0, 0(a0)");
        assert_eq!(d(0x30b5_2827), "fsw        fa1, 784(a0)");
        assert_eq!(d(0x5801_70d3), "fsqrt.s    ft1, ft2");
        assert_eq!(d(0xe005_0553), "fmv.x.w    a0, fa0");
    }
}
