//! Deterministic random choices for instruction streams generated from the
//! encoding table (the JIT's differential tests and their longer campaigns):
//! a small seeded PRNG, operand values weighted towards corner cases, and the
//! role each base-ISA row can play in a straight-line random program.

use super::format::{Fields, Format};
use super::op::Op;
use super::table::{InsnDef, IsaSet};

/// A tiny deterministic PRNG (xorshift64*): the same seed gives the same
/// program on every machine.
#[derive(Clone, Debug)]
pub struct Rng(pub u64);

impl Rng {
    /// The next 64 random bits.
    pub fn bits(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    /// A number below `n` (> 0).
    pub fn below(&mut self, n: u64) -> u64 {
        self.bits() % n
    }

    /// True `percent` times in a hundred.
    pub fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }

    /// One of `v` (not empty).
    pub fn pick<T: Copy>(&mut self, v: &[T]) -> T {
        v[self.below(v.len() as u64) as usize]
    }
}

/// A register value, half of the time a corner case (0, -1, the most
/// negative 64- and 32-bit numbers, small numbers of either sign, a random
/// sign-extended word), else 64 random bits.
pub fn corner_value(rng: &mut Rng) -> u64 {
    match rng.below(8) {
        0 => 0,
        1 => u64::MAX,
        2 => 1 << 63,
        3 => i32::MIN as i64 as u64,
        4 => (rng.below(64) as i64 - 32) as u64,
        5 => (rng.bits() as i32) as i64 as u64,
        _ => rng.bits(),
    }
}

/// Random operand fields for trying to encode a row: registers half of the
/// time from x8–x15 (so that compressed rows encode), `rs1 = rd` half of the
/// time (compressed two-operand forms), immediates small, 12-bit, scaled by
/// 8 or upper-20-bit; `rs3` 0. Callers retry until the row accepts them.
pub fn random_fields(rng: &mut Rng) -> Fields {
    let reg = |rng: &mut Rng| if rng.below(2) == 0 { 8 + rng.below(8) as u8 } else { rng.below(32) as u8 };
    let mut f = Fields { rd: reg(rng), rs1: reg(rng), rs2: reg(rng), rs3: 0, imm: 0 };
    if rng.below(2) == 0 {
        f.rs1 = f.rd;
    }
    f.imm = match rng.below(4) {
        0 => rng.below(64) as i64 - 32,
        1 => rng.below(4096) as i64 - 2048,
        2 => (rng.below(64) * 8) as i64,
        _ => (rng.bits() as i32 as i64) & !0xfff,
    };
    f
}

/// The role of a base-ISA row in a random program.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StreamKind {
    /// Computes a register from registers and immediates.
    Plain,
    /// A conditional branch.
    Branch,
    /// `jal`.
    Jal,
    /// A load or store.
    Mem,
    /// An LR/SC or AMO.
    Amo,
}

/// The role of row `d` (I, M, C, A, F and D rows), or `None` for rows a random
/// straight-line program cannot use as they are (`jalr`, `ecall`, `ebreak`,
/// `fence`, system and custom rows). Floating-point rows need `mstatus.FS`
/// on (else they raise illegal-instruction).
pub fn stream_kind(d: &InsnDef) -> Option<StreamKind> {
    use Op::*;
    if !matches!(d.set, IsaSet::I | IsaSet::M | IsaSet::C | IsaSet::A | IsaSet::F | IsaSet::D) {
        return None;
    }
    if matches!(d.format, Format::Amo | Format::Lr) {
        return Some(StreamKind::Amo);
    }
    Some(match d.op {
        Beq | Bne | Blt | Bge | Bltu | Bgeu => StreamKind::Branch,
        Jal => StreamKind::Jal,
        Lb | Lh | Lw | Ld | Lbu | Lhu | Lwu | Sb | Sh | Sw | Sd | Flw | Fld | Fsw | Fsd => StreamKind::Mem,
        Jalr | Ecall | Ebreak | Fence => return None,
        _ => StreamKind::Plain,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::isa::IsaTable;

    #[test]
    fn the_same_seed_gives_the_same_numbers_and_kinds_cover_the_base_rows() {
        let (mut a, mut b) = (Rng(7), Rng(7));
        let va: Vec<u64> = (0..16).map(|_| corner_value(&mut a)).collect();
        let vb: Vec<u64> = (0..16).map(|_| corner_value(&mut b)).collect();
        assert_eq!(va, vb);
        assert!((0..1000).map(|_| a.below(10)).all(|v| v < 10));
        let t = IsaTable::core();
        let kinds: Vec<_> = t.rows().iter().filter_map(stream_kind).collect();
        for k in [StreamKind::Plain, StreamKind::Branch, StreamKind::Jal, StreamKind::Mem, StreamKind::Amo] {
            assert!(kinds.contains(&k), "{k:?}");
        }
        assert!(t.rows().iter().filter(|d| d.op == Op::Jalr).all(|d| stream_kind(d).is_none()));
    }
}
