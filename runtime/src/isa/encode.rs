//! The encoder, derived from the encoding table: used by tests and tools to
//! build guest code without an assembler.

use super::decode::IsaTable;
use super::format::Fields;

/// Why an instruction could not be encoded.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum EncodeError {
    /// No row has this mnemonic.
    #[error("unknown mnemonic `{0}`")]
    Unknown(String),
    /// An operand does not fit the format.
    #[error("operands {1:?} do not fit `{0}`")]
    Operands(String, Fields),
}

impl IsaTable {
    /// Encodes `mnemonic` with `fields` (operands in the base operation's terms,
    /// as [`super::Format::decode`] produces them).
    pub fn encode(&self, mnemonic: &str, fields: Fields) -> Result<u32, EncodeError> {
        let def = self
            .rows()
            .iter()
            .find(|d| d.name == mnemonic)
            .ok_or_else(|| EncodeError::Unknown(mnemonic.to_string()))?;
        let operands = def.format.encode(&fields).ok_or_else(|| EncodeError::Operands(mnemonic.to_string(), fields))?;
        let word = operands | def.pattern.bits;
        if word & def.pattern.mask != def.pattern.bits {
            return Err(EncodeError::Operands(mnemonic.to_string(), fields));
        }
        Ok(word)
    }
}

/// A little assembler over the encoder, for building guest programs in tests.
#[derive(Debug)]
pub struct Asm<'t> {
    table: &'t IsaTable,
    /// Emitted bytes.
    pub code: Vec<u8>,
}

impl<'t> Asm<'t> {
    /// An empty program.
    pub fn new(table: &'t IsaTable) -> Self {
        Self { table, code: Vec::new() }
    }

    /// Byte offset of the next instruction.
    pub fn here(&self) -> i64 {
        self.code.len() as i64
    }

    /// Emits one instruction; panics when the operands do not fit (tests only build valid code).
    pub fn emit(&mut self, mnemonic: &str, rd: u8, rs1: u8, rs2: u8, imm: i64) -> &mut Self {
        let f = Fields { rd, rs1, rs2, rs3: 0, imm };
        let w = self.table.encode(mnemonic, f).unwrap_or_else(|e| panic!("test program does not assemble: {e}"));
        if IsaTable::length(w as u16) == 2 {
            self.code.extend_from_slice(&(w as u16).to_le_bytes());
        } else {
            self.code.extend_from_slice(&w.to_le_bytes());
        }
        self
    }

    /// The end of a test program on `virt`: asks the test finisher for exit 0
    /// (pass) and, from the returned offset on, for exit 1 (fail), then
    /// spins. Clobbers `addr` and `val`.
    pub fn pass_fail(&mut self, addr: u8, val: u8) -> i64 {
        use crate::devices::{finisher::exit_value, FINISHER_BASE};
        self.li(addr, FINISHER_BASE as i64).li(val, exit_value(0) as i64).emit("sw", 0, addr, val, 0);
        let fail = self.here();
        self.li(addr, FINISHER_BASE as i64).li(val, exit_value(1) as i64).emit("sw", 0, addr, val, 0);
        self.emit("jal", 0, 0, 0, 0);
        fail
    }

    /// Loads a 64-bit constant into `rd` (lui/addi/slli sequence).
    pub fn li(&mut self, rd: u8, value: i64) -> &mut Self {
        if (-2048..2048).contains(&value) {
            return self.emit("addi", rd, 0, 0, value);
        }
        if value == (value as i32) as i64 {
            let lo = (value << 52) >> 52;
            let hi = value.wrapping_sub(lo);
            self.emit("lui", rd, 0, 0, (hi as i32) as i64);
            if lo != 0 {
                self.emit("addiw", rd, rd, 0, lo);
            }
            return self;
        }
        let lo = (value << 52) >> 52;
        let rest = value.wrapping_sub(lo) >> 12;
        let shift = rest.trailing_zeros().min(52);
        self.li(rd, rest >> shift);
        self.emit("slli", rd, rd, 0, (shift + 12) as i64);
        if lo != 0 {
            self.emit("addi", rd, rd, 0, lo);
        }
        self
    }
}

#[cfg(test)]
mod tests {
    use super::super::decode::SetMask;
    use super::*;

    /// Every row encodes and decodes back to the same fields, for a spread of operands.
    #[test]
    fn encode_decode_round_trip_every_row() {
        let t = IsaTable::core();
        let regs = [0u8, 1, 2, 8, 9, 10, 15, 31];
        let imms = [0i64, 1, -1, 2, 4, 8, 16, 32, 64, -2048, 2047, 4096, -4096, 0x7ff000, -0x1000, 0x3f, 12, 96, 504];
        for (ri, def) in t.rows().iter().enumerate() {
            let mut count = 0;
            for &rd in &regs {
                for &rs1 in &regs {
                    for &rs2 in &regs {
                        for &imm in &imms {
                            let f = Fields { rd, rs1, rs2, rs3: 0, imm };
                            let Ok(w) = t.encode(def.name, f) else { continue };
                            let back =
                                t.decode(w, SetMask::CORE).unwrap_or_else(|| panic!("{} {w:#x} decodes", def.name));
                            assert_eq!(back.row as usize, ri, "{} {w:#x} decodes to its own row", def.name);
                            let g = back.fields();
                            let again = t.encode(def.name, g).expect("re-encodes");
                            assert_eq!(again, w, "{}: {f:?} -> {w:#x} -> {g:?}", def.name);
                            count += 1;
                        }
                    }
                }
            }
            assert!(count > 0, "no operand combination encodes `{}`", def.name);
        }
    }

    #[test]
    fn li_builds_constants() {
        let t = IsaTable::core();
        for v in
            [0i64, 5, -5, 2047, 4096, 0x1234_5678, -0x1234_5678, 0x8000_0000, 0x1_0000_0000, -1, i64::MIN, 0x10_0000]
        {
            let mut a = Asm::new(&t);
            a.li(10, v);
            assert!(!a.code.is_empty());
        }
    }
}
