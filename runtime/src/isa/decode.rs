//! The decoder, derived from the encoding table.
//!
//! [`IsaTable`] holds the core rows plus any registered from outside, indexed
//! into buckets by major opcode (32-bit) or quadrant and funct3 (16-bit), each
//! bucket ordered most-specific first. The first row whose pattern matches
//! decides: if its format rejects the operands (a reserved encoding), the
//! instruction is illegal.

use super::format::Fields;
use super::op::Op;
use super::table::{InsnDef, IsaSet, CORE};

/// A decoded instruction.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Insn {
    /// Operation.
    pub op: Op,
    /// Destination register.
    pub rd: u8,
    /// First source register.
    pub rs1: u8,
    /// Second source register.
    pub rs2: u8,
    /// Third source register.
    pub rs3: u8,
    /// Length in bytes (2 or 4).
    pub len: u8,
    /// Index of the table row it matched.
    pub row: u16,
    /// The raw instruction bits.
    pub raw: u32,
    /// Immediate, CSR number or ordering bits (see [`super::Format`]).
    pub imm: i64,
}

impl Insn {
    /// The operands as [`Fields`].
    pub fn fields(&self) -> Fields {
        Fields { rd: self.rd, rs1: self.rs1, rs2: self.rs2, rs3: self.rs3, imm: self.imm }
    }
}

/// A set of enabled instruction sets.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct SetMask(pub u64);

impl SetMask {
    /// Every core set (I, M, A, F, D, C, Zicsr, Zifencei, privileged) and no custom set.
    pub const CORE: SetMask = SetMask(0x1ff);

    /// The bit standing for `set`.
    pub const fn bit(set: IsaSet) -> u64 {
        match set {
            IsaSet::I => 1 << 0,
            IsaSet::M => 1 << 1,
            IsaSet::A => 1 << 2,
            IsaSet::C => 1 << 3,
            IsaSet::Zicsr => 1 << 4,
            IsaSet::Zifencei => 1 << 5,
            IsaSet::Priv => 1 << 6,
            IsaSet::F => 1 << 7,
            IsaSet::D => 1 << 8,
            IsaSet::Custom(n) => 1 << (16 + (n as u64 % 48)),
        }
    }

    /// Whether `set` is enabled.
    pub const fn has(self, set: IsaSet) -> bool {
        self.0 & Self::bit(set) != 0
    }

    /// This mask with `set` enabled.
    pub const fn with(self, set: IsaSet) -> SetMask {
        SetMask(self.0 | Self::bit(set))
    }
}

/// Two rows that can both match one instruction without one refining the other.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("encoding of `{new}` overlaps `{existing}`")]
pub struct OverlapError {
    /// The row being added.
    pub new: &'static str,
    /// The row it collides with.
    pub existing: &'static str,
}

/// The instruction table: core rows plus registered sets, with decode buckets.
#[derive(Clone)]
pub struct IsaTable {
    rows: Vec<InsnDef>,
    wide: Vec<Vec<u16>>,
    compressed: Vec<Vec<u16>>,
}

impl std::fmt::Debug for IsaTable {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "IsaTable({} rows)", self.rows.len())
    }
}

fn wide_bucket(raw: u32) -> usize {
    (raw & 0x7f) as usize
}

fn compressed_bucket(raw: u32) -> usize {
    (((raw >> 13) & 7) << 2 | (raw & 3)) as usize
}

/// Whether `a` refines `b`: every instruction matching `a` also matches `b`.
fn refines(a: &InsnDef, b: &InsnDef) -> bool {
    let (pa, pb) = (a.pattern, b.pattern);
    pa.mask & pb.mask == pb.mask && pa.bits & pb.mask == pb.bits
}

/// Whether some instruction matches both rows.
fn intersects(a: &InsnDef, b: &InsnDef) -> bool {
    let (pa, pb) = (a.pattern, b.pattern);
    pa.len == pb.len && (pa.bits ^ pb.bits) & pa.mask & pb.mask == 0
}

impl IsaTable {
    /// The core RV64IMAFDC + Zicsr + Zifencei + privileged table.
    pub fn core() -> Self {
        let mut t = IsaTable { rows: Vec::new(), wide: vec![Vec::new(); 128], compressed: vec![Vec::new(); 32] };
        for set in CORE {
            for def in set.iter() {
                t.insert(*def);
            }
        }
        t
    }

    /// Every row, in registration order.
    pub fn rows(&self) -> &[InsnDef] {
        &self.rows
    }

    /// Row number `i`.
    pub fn row(&self, i: u16) -> &InsnDef {
        &self.rows[i as usize]
    }

    /// Adds rows from outside the core. They may not overlap any existing row.
    pub fn register(&mut self, defs: &[InsnDef]) -> Result<(), OverlapError> {
        for (i, d) in defs.iter().enumerate() {
            let clash = self.rows.iter().chain(&defs[..i]).find(|e| intersects(d, e));
            if let Some(e) = clash {
                return Err(OverlapError { new: d.name, existing: e.name });
            }
        }
        for d in defs {
            self.insert(*d);
        }
        Ok(())
    }

    fn insert(&mut self, def: InsnDef) {
        let idx = self.rows.len() as u16;
        self.rows.push(def);
        let p = def.pattern;
        // Rows go into every bucket their fixed bits allow.
        let (buckets, key_mask): (&mut Vec<Vec<u16>>, u32) =
            if p.len == 4 { (&mut self.wide, 0x7f) } else { (&mut self.compressed, 0xe003) };
        let key_of = if p.len == 4 { wide_bucket } else { compressed_bucket };
        for (k, bucket) in buckets.iter_mut().enumerate() {
            let raw = if p.len == 4 { k as u32 } else { (((k as u32) >> 2) << 13) | (k as u32 & 3) };
            if (raw ^ p.bits) & p.mask & key_mask == 0 && key_of(raw) == k {
                bucket.push(idx);
            }
        }
        let rows = &self.rows;
        for b in buckets.iter_mut() {
            b.sort_by_key(|&i| std::cmp::Reverse(rows[i as usize].pattern.mask.count_ones()));
        }
    }

    /// Pairs of rows that can match the same instruction without one refining the other.
    pub fn ambiguous_pairs(&self) -> Vec<(&'static str, &'static str)> {
        let mut out = Vec::new();
        for (i, a) in self.rows.iter().enumerate() {
            for b in &self.rows[i + 1..] {
                if intersects(a, b) && !refines(a, b) && !refines(b, a) {
                    out.push((a.name, b.name));
                }
            }
        }
        out
    }

    /// Length in bytes of the instruction whose low 16 bits are `lo`.
    #[inline]
    pub fn length(lo: u16) -> u8 {
        if lo & 3 == 3 {
            4
        } else {
            2
        }
    }

    /// Decodes `raw` (a 16-bit instruction in the low half, or a 32-bit one).
    /// `None` when no enabled row matches or the encoding is reserved.
    pub fn decode(&self, raw: u32, enabled: SetMask) -> Option<Insn> {
        let len = Self::length(raw as u16);
        let (raw, bucket) = if len == 2 {
            let raw = raw & 0xffff;
            (raw, &self.compressed[compressed_bucket(raw)])
        } else {
            (raw, &self.wide[wide_bucket(raw)])
        };
        let &i = bucket.iter().find(|&&i| self.rows[i as usize].pattern.matches(raw))?;
        let def = &self.rows[i as usize];
        if !enabled.has(def.set) {
            return None;
        }
        let f = def.format.decode(raw)?;
        Some(Insn { op: def.op, rd: f.rd, rs1: f.rs1, rs2: f.rs2, rs3: f.rs3, len, row: i, raw, imm: f.imm })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn core_table_has_no_ambiguous_rows() {
        assert_eq!(IsaTable::core().ambiguous_pairs(), Vec::<(&str, &str)>::new());
    }

    #[test]
    fn decodes_known_words() {
        let t = IsaTable::core();
        let i = t.decode(0x0010_0513, SetMask::CORE).expect("addi a0, zero, 1");
        assert_eq!((i.op, i.rd, i.rs1, i.imm, i.len), (Op::Addi, 10, 0, 1, 4));
        let c = t.decode(0x4505, SetMask::CORE).expect("c.li a0, 1");
        assert_eq!((c.op, c.rd, c.rs1, c.imm, c.len), (Op::Addi, 10, 0, 1, 2));
        let e = t.decode(0x9002, SetMask::CORE).expect("c.ebreak");
        assert_eq!(e.op, Op::Ebreak);
        assert_eq!(t.decode(0x0000, SetMask::CORE), None, "all-zero halfword is illegal");
        assert_eq!(t.decode(0xffff_ffff, SetMask::CORE), None);
        assert_eq!(t.decode(0x8002, SetMask::CORE), None, "c.jr with rs1 = 0 is reserved");
    }

    #[test]
    fn disabled_sets_do_not_decode() {
        let t = IsaTable::core();
        let mul = 0x02b5_0533; // mul a0, a0, a1
        assert!(t.decode(mul, SetMask::CORE).is_some());
        assert!(t.decode(mul, SetMask(SetMask::CORE.0 & !SetMask::bit(IsaSet::M))).is_none());
    }

    #[test]
    fn registration_rejects_overlaps() {
        let mut t = IsaTable::core();
        let clash = [InsnDef::new(
            "x.bad",
            "------------ ----- 000 ----- 0010011",
            super::super::Format::I,
            Op::Custom(0, 0),
            IsaSet::Custom(0),
        )];
        assert_eq!(t.register(&clash), Err(OverlapError { new: "x.bad", existing: "addi" }));
        let ok = [InsnDef::new(
            "x.ok",
            "0000000 ----- ----- 000 ----- 0001011",
            super::super::Format::R,
            Op::Custom(0, 0),
            IsaSet::Custom(0),
        )];
        t.register(&ok).expect("custom-0 is free");
        let i = t.decode(0x00b5_050b, SetMask::CORE.with(IsaSet::Custom(0))).expect("decodes when enabled");
        assert_eq!(i.op, Op::Custom(0, 0));
        assert!(t.decode(0x00b5_050b, SetMask::CORE).is_none(), "disabled custom set is illegal");
    }
}
