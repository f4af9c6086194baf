//! Operand formats: where each operand lives in the instruction bits.
//!
//! A format knows how to extract operands ([`Format::decode`]) and how to put
//! them back ([`Format::encode`]); compressed formats also know which base
//! operands they stand for (`c.addi4spn rd', imm` is `addi rd, sp, imm`), so
//! decoded compressed instructions are expressed in the base operation's
//! operands. `decode` returns `None` for reserved encodings of a format.

/// Decoded operands, in the base (uncompressed) operation's terms.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Fields {
    /// Destination register.
    pub rd: u8,
    /// First source register (or the 5-bit immediate of `csrr*i`).
    pub rs1: u8,
    /// Second source register.
    pub rs2: u8,
    /// Third source register (R4-type custom instructions).
    pub rs3: u8,
    /// Immediate (sign-extended where the format says so), CSR number, or fence/ordering bits.
    pub imm: i64,
}

/// An operand format.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// rd, rs1, rs2.
    R,
    /// rd, rs1, rs2, rs3 (bits 31:27), funct2 fixed by the pattern.
    R4,
    /// rd, rs1, imm[11:0].
    I,
    /// rd, rs1, shamt[5:0].
    Shift64,
    /// rd, rs1, shamt[4:0].
    Shift32,
    /// rs1, rs2, imm[11:0] split.
    S,
    /// rs1, rs2, branch offset.
    B,
    /// rd, imm[31:12] (value already shifted).
    U,
    /// rd, jump offset.
    J,
    /// rd, rs1, csr number in `imm`.
    Csr,
    /// rd, uimm[4:0] in `rs1`, csr number in `imm`.
    CsrI,
    /// rd, rs1, rs2, aq/rl in `imm` (bit 1 = aq, bit 0 = rl).
    Amo,
    /// rd, rs1, aq/rl in `imm`.
    Lr,
    /// fm/pred/succ bits [31:20] in `imm`.
    Fence,
    /// No operands.
    None,
    /// rs1, rs2.
    Sfence,
    // Compressed formats, named after the instruction shapes they stand for.
    /// `c.addi4spn`: addi rd', sp, nzuimm.
    CAddi4spn,
    /// `c.lw`: lw rd', uimm(rs1').
    CLw,
    /// `c.ld`: ld rd', uimm(rs1').
    CLd,
    /// `c.sw`: sw rs2', uimm(rs1').
    CSw,
    /// `c.sd`: sd rs2', uimm(rs1').
    CSd,
    /// `c.addi`/`c.nop`: addi rd, rd, imm.
    CAddi,
    /// `c.addiw`: addiw rd, rd, imm (rd != 0).
    CAddiw,
    /// `c.li`: addi rd, zero, imm.
    CLi,
    /// `c.addi16sp`: addi sp, sp, nzimm*16.
    CAddi16sp,
    /// `c.lui`: lui rd, nzimm (rd != 2; rd = 0 is a hint).
    CLui,
    /// `c.srli`/`c.srai`: shift rd', rd', shamt.
    CShiftR,
    /// `c.andi`: andi rd', rd', imm.
    CAndi,
    /// `c.sub` etc.: op rd', rd', rs2'.
    CArith,
    /// `c.j`: jal zero, offset.
    CJ,
    /// `c.beqz`/`c.bnez`: branch rs1', zero, offset.
    CBranch,
    /// `c.slli`: slli rd, rd, shamt.
    CSlli,
    /// `c.lwsp`: lw rd, uimm(sp) (rd != 0).
    CLwsp,
    /// `c.ldsp`: ld rd, uimm(sp) (rd != 0).
    CLdsp,
    /// `c.jr`: jalr zero, 0(rs1) (rs1 != 0).
    CJr,
    /// `c.mv`: add rd, zero, rs2 (rs2 != 0).
    CMv,
    /// `c.ebreak`.
    CNone,
    /// `c.jalr`: jalr ra, 0(rs1) (rs1 != 0).
    CJalr,
    /// `c.add`: add rd, rd, rs2 (rs2 != 0).
    CAdd,
    /// `c.swsp`: sw rs2, uimm(sp).
    CSwsp,
    /// `c.sdsp`: sd rs2, uimm(sp).
    CSdsp,
    // Floating-point formats: the operands marked `f` name floating-point
    // registers (see [`Format::fregs`]); `rm` is the rounding-mode field
    // (bits 14:12), kept in `imm`, where the reserved modes 5 and 6 make the
    // encoding illegal.
    /// fd, fs1, fs2, rm.
    FpArith,
    /// fd, fs1, fs2, fs3 (bits 31:27), rm.
    FpFma,
    /// fd, fs1, rm.
    FpUnary,
    /// fd, fs1, fs2 (sign injection, minimum, maximum).
    FpSign,
    /// xd, fs1, fs2 (comparisons).
    FpCmp,
    /// xd, fs1, rm (conversions to integers).
    FpToInt,
    /// xd, fs1 (`fmv.x.*`, `fclass.*`).
    FpToIntBits,
    /// fd, xs1, rm (conversions from integers).
    IntToFp,
    /// fd, xs1 (`fmv.*.x`).
    IntToFpBits,
    /// fd, imm(xs1), the layout of [`Format::I`].
    FpLoad,
    /// fs2, imm(xs1), the layout of [`Format::S`].
    FpStore,
    /// `c.fld`: fld fd', uimm(rs1'), the layout of [`Format::CLd`].
    CFld,
    /// `c.fsd`: fsd fs2', uimm(rs1'), the layout of [`Format::CSd`].
    CFsd,
    /// `c.fldsp`: fld fd, uimm(sp) (any fd).
    CFldsp,
    /// `c.fsdsp`: fsd fs2, uimm(sp), the layout of [`Format::CSdsp`].
    CFsdsp,
}

/// [`Format::fregs`] bit: `rd` names a floating-point register.
pub const F_RD: u8 = 1;
/// [`Format::fregs`] bit: `rs1` names a floating-point register.
pub const F_RS1: u8 = 2;
/// [`Format::fregs`] bit: `rs2` names a floating-point register.
pub const F_RS2: u8 = 4;
/// [`Format::fregs`] bit: `rs3` names a floating-point register.
pub const F_RS3: u8 = 8;

/// A rounding-mode field: `None` for the reserved values 5 and 6.
fn rm(raw: u32) -> Option<i64> {
    let v = bits(raw, 14, 12);
    (v != 5 && v != 6).then_some(v as i64)
}

/// Whether `v` is a rounding mode an encoding may carry.
fn valid_rm(v: i64) -> bool {
    matches!(v, 0..=4 | 7)
}

#[inline]
fn bits(raw: u32, hi: u32, lo: u32) -> u32 {
    (raw >> lo) & ((1u32 << (hi - lo + 1)) - 1)
}

#[inline]
fn bit(raw: u32, n: u32) -> u32 {
    (raw >> n) & 1
}

#[inline]
fn sext(v: u64, width: u32) -> i64 {
    let s = 64 - width;
    ((v << s) as i64) >> s
}

/// Register from a 3-bit compressed register field (x8..x15).
#[inline]
fn creg(v: u32) -> u8 {
    8 + v as u8
}

/// Whether `v` fits a signed immediate of `width` bits.
fn fits_signed(v: i64, width: u32) -> bool {
    let lim = 1i64 << (width - 1);
    (-lim..lim).contains(&v)
}

/// Whether `v` is unsigned, fits `width` bits and is a multiple of `align`.
fn fits_unsigned(v: i64, width: u32, align: i64) -> bool {
    v >= 0 && v < (1i64 << width) && v % align == 0
}

/// Whether `r` is one of x8..x15 (addressable by a compressed 3-bit field).
fn is_creg(r: u8) -> bool {
    (8..16).contains(&r)
}

impl Format {
    /// Which operands name floating-point registers ([`F_RD`], [`F_RS1`],
    /// [`F_RS2`], [`F_RS3`]); every other operand a format decodes is an
    /// integer register (or unused, as 0).
    pub const fn fregs(self) -> u8 {
        match self {
            Format::FpArith | Format::FpSign => F_RD | F_RS1 | F_RS2,
            Format::FpFma => F_RD | F_RS1 | F_RS2 | F_RS3,
            Format::FpUnary => F_RD | F_RS1,
            Format::FpCmp => F_RS1 | F_RS2,
            Format::FpToInt | Format::FpToIntBits => F_RS1,
            Format::IntToFp | Format::IntToFpBits | Format::FpLoad | Format::CFld | Format::CFldsp => F_RD,
            Format::FpStore | Format::CFsd | Format::CFsdsp => F_RS2,
            _ => 0,
        }
    }

    /// Extracts the operands of `raw`; `None` for a reserved encoding.
    pub fn decode(self, raw: u32) -> Option<Fields> {
        let rd = bits(raw, 11, 7) as u8;
        let rs1 = bits(raw, 19, 15) as u8;
        let rs2 = bits(raw, 24, 20) as u8;
        let crd = creg(bits(raw, 4, 2)); // rd'/rs2' in bits 4:2
        let crs1 = creg(bits(raw, 9, 7)); // rs1'/rd' in bits 9:7
        let c_rd = bits(raw, 11, 7) as u8; // full rd in compressed formats
        let c_rs2 = bits(raw, 6, 2) as u8; // full rs2 in compressed formats
        let ci_imm = sext(((bit(raw, 12) << 5) | bits(raw, 6, 2)) as u64, 6);
        let f = |rd: u8, rs1: u8, rs2: u8, imm: i64| Some(Fields { rd, rs1, rs2, rs3: 0, imm });
        match self {
            Format::R => f(rd, rs1, rs2, 0),
            Format::R4 => Some(Fields { rd, rs1, rs2, rs3: bits(raw, 31, 27) as u8, imm: 0 }),
            Format::I => f(rd, rs1, 0, sext(bits(raw, 31, 20) as u64, 12)),
            Format::Shift64 => f(rd, rs1, 0, bits(raw, 25, 20) as i64),
            Format::Shift32 => f(rd, rs1, 0, bits(raw, 24, 20) as i64),
            Format::S => f(0, rs1, rs2, sext(((bits(raw, 31, 25) << 5) | bits(raw, 11, 7)) as u64, 12)),
            Format::B => {
                let imm =
                    (bit(raw, 31) << 12) | (bit(raw, 7) << 11) | (bits(raw, 30, 25) << 5) | (bits(raw, 11, 8) << 1);
                f(0, rs1, rs2, sext(imm as u64, 13))
            }
            Format::U => f(rd, 0, 0, sext((raw & 0xffff_f000) as u64, 32)),
            Format::J => {
                let imm =
                    (bit(raw, 31) << 20) | (bits(raw, 19, 12) << 12) | (bit(raw, 20) << 11) | (bits(raw, 30, 21) << 1);
                f(rd, 0, 0, sext(imm as u64, 21))
            }
            Format::Csr => f(rd, rs1, 0, bits(raw, 31, 20) as i64),
            Format::CsrI => f(rd, rs1, 0, bits(raw, 31, 20) as i64),
            Format::Amo => f(rd, rs1, rs2, bits(raw, 26, 25) as i64),
            Format::Lr => f(rd, rs1, 0, bits(raw, 26, 25) as i64),
            Format::Fence => f(rd, rs1, 0, bits(raw, 31, 20) as i64),
            Format::None | Format::CNone => f(0, 0, 0, 0),
            Format::Sfence => f(0, rs1, rs2, 0),
            Format::CAddi4spn => {
                let imm = (bits(raw, 10, 7) << 6) | (bits(raw, 12, 11) << 4) | (bit(raw, 5) << 3) | (bit(raw, 6) << 2);
                (imm != 0).then_some(())?;
                f(crd, 2, 0, imm as i64)
            }
            Format::CLw => f(crd, crs1, 0, ((bit(raw, 5) << 6) | (bits(raw, 12, 10) << 3) | (bit(raw, 6) << 2)) as i64),
            Format::CLd => f(crd, crs1, 0, ((bits(raw, 6, 5) << 6) | (bits(raw, 12, 10) << 3)) as i64),
            Format::CSw => f(0, crs1, crd, ((bit(raw, 5) << 6) | (bits(raw, 12, 10) << 3) | (bit(raw, 6) << 2)) as i64),
            Format::CSd => f(0, crs1, crd, ((bits(raw, 6, 5) << 6) | (bits(raw, 12, 10) << 3)) as i64),
            Format::CAddi => f(c_rd, c_rd, 0, ci_imm),
            Format::CAddiw => {
                (c_rd != 0).then_some(())?;
                f(c_rd, c_rd, 0, ci_imm)
            }
            Format::CLi => f(c_rd, 0, 0, ci_imm),
            Format::CAddi16sp => {
                let imm = (bit(raw, 12) << 9)
                    | (bits(raw, 4, 3) << 7)
                    | (bit(raw, 5) << 6)
                    | (bit(raw, 2) << 5)
                    | (bit(raw, 6) << 4);
                (imm != 0).then_some(())?;
                f(2, 2, 0, sext(imm as u64, 10))
            }
            Format::CLui => {
                (ci_imm != 0).then_some(())?;
                f(c_rd, 0, 0, ci_imm << 12)
            }
            Format::CShiftR => f(crs1, crs1, 0, ((bit(raw, 12) << 5) | bits(raw, 6, 2)) as i64),
            Format::CAndi => f(crs1, crs1, 0, ci_imm),
            Format::CArith => f(crs1, crs1, crd, 0),
            Format::CJ => {
                let imm = (bit(raw, 12) << 11)
                    | (bit(raw, 8) << 10)
                    | (bits(raw, 10, 9) << 8)
                    | (bit(raw, 6) << 7)
                    | (bit(raw, 7) << 6)
                    | (bit(raw, 2) << 5)
                    | (bit(raw, 11) << 4)
                    | (bits(raw, 5, 3) << 1);
                f(0, 0, 0, sext(imm as u64, 12))
            }
            Format::CBranch => {
                let imm = (bit(raw, 12) << 8)
                    | (bits(raw, 6, 5) << 6)
                    | (bit(raw, 2) << 5)
                    | (bits(raw, 11, 10) << 3)
                    | (bits(raw, 4, 3) << 1);
                f(0, crs1, 0, sext(imm as u64, 9))
            }
            Format::CSlli => f(c_rd, c_rd, 0, ((bit(raw, 12) << 5) | bits(raw, 6, 2)) as i64),
            Format::CLwsp => {
                (c_rd != 0).then_some(())?;
                f(c_rd, 2, 0, ((bits(raw, 3, 2) << 6) | (bit(raw, 12) << 5) | (bits(raw, 6, 4) << 2)) as i64)
            }
            Format::CLdsp => {
                (c_rd != 0).then_some(())?;
                f(c_rd, 2, 0, ((bits(raw, 4, 2) << 6) | (bit(raw, 12) << 5) | (bits(raw, 6, 5) << 3)) as i64)
            }
            Format::CJr => {
                (c_rd != 0).then_some(())?;
                f(0, c_rd, 0, 0)
            }
            Format::CMv => f(c_rd, 0, c_rs2, 0),
            Format::CJalr => f(1, c_rd, 0, 0),
            Format::CAdd => f(c_rd, c_rd, c_rs2, 0),
            Format::CSwsp => f(0, 2, c_rs2, ((bits(raw, 8, 7) << 6) | (bits(raw, 12, 9) << 2)) as i64),
            Format::CSdsp | Format::CFsdsp => {
                f(0, 2, c_rs2, ((bits(raw, 9, 7) << 6) | (bits(raw, 12, 10) << 3)) as i64)
            }
            Format::FpArith => f(rd, rs1, rs2, rm(raw)?),
            Format::FpFma => Some(Fields { rd, rs1, rs2, rs3: bits(raw, 31, 27) as u8, imm: rm(raw)? }),
            Format::FpUnary | Format::FpToInt | Format::IntToFp => f(rd, rs1, 0, rm(raw)?),
            Format::FpSign | Format::FpCmp => f(rd, rs1, rs2, 0),
            Format::FpToIntBits | Format::IntToFpBits => f(rd, rs1, 0, 0),
            Format::FpLoad => Format::I.decode(raw),
            Format::FpStore => Format::S.decode(raw),
            Format::CFld => Format::CLd.decode(raw),
            Format::CFsd => Format::CSd.decode(raw),
            Format::CFldsp => {
                f(c_rd, 2, 0, ((bits(raw, 4, 2) << 6) | (bit(raw, 12) << 5) | (bits(raw, 6, 5) << 3)) as i64)
            }
        }
    }

    /// Inserts operands into the operand bits (the fixed bits come from the pattern).
    /// `None` when an operand does not fit the format.
    pub fn encode(self, x: &Fields) -> Option<u32> {
        let r = |v: u8| -> Option<u32> { (v < 32).then_some(v as u32) };
        let cr = |v: u8| -> Option<u32> { is_creg(v).then(|| (v - 8) as u32) };
        let imm = x.imm;
        let u = imm as u64 as u32;
        Some(match self {
            Format::R => (r(x.rd)? << 7) | (r(x.rs1)? << 15) | (r(x.rs2)? << 20),
            Format::R4 => (r(x.rd)? << 7) | (r(x.rs1)? << 15) | (r(x.rs2)? << 20) | (r(x.rs3)? << 27),
            Format::I => {
                fits_signed(imm, 12).then_some(())?;
                (r(x.rd)? << 7) | (r(x.rs1)? << 15) | ((u & 0xfff) << 20)
            }
            Format::Shift64 => {
                fits_unsigned(imm, 6, 1).then_some(())?;
                (r(x.rd)? << 7) | (r(x.rs1)? << 15) | (u << 20)
            }
            Format::Shift32 => {
                fits_unsigned(imm, 5, 1).then_some(())?;
                (r(x.rd)? << 7) | (r(x.rs1)? << 15) | (u << 20)
            }
            Format::S => {
                fits_signed(imm, 12).then_some(())?;
                (r(x.rs1)? << 15) | (r(x.rs2)? << 20) | ((u & 0x1f) << 7) | (((u >> 5) & 0x7f) << 25)
            }
            Format::B => {
                (fits_signed(imm, 13) && imm % 2 == 0).then_some(())?;
                (r(x.rs1)? << 15)
                    | (r(x.rs2)? << 20)
                    | (((u >> 12) & 1) << 31)
                    | (((u >> 5) & 0x3f) << 25)
                    | (((u >> 1) & 0xf) << 8)
                    | (((u >> 11) & 1) << 7)
            }
            Format::U => {
                (fits_signed(imm, 32) && imm & 0xfff == 0).then_some(())?;
                (r(x.rd)? << 7) | (u & 0xffff_f000)
            }
            Format::J => {
                (fits_signed(imm, 21) && imm % 2 == 0).then_some(())?;
                (r(x.rd)? << 7)
                    | (((u >> 20) & 1) << 31)
                    | (((u >> 1) & 0x3ff) << 21)
                    | (((u >> 11) & 1) << 20)
                    | (((u >> 12) & 0xff) << 12)
            }
            Format::Csr | Format::CsrI => {
                fits_unsigned(imm, 12, 1).then_some(())?;
                (r(x.rd)? << 7) | (r(x.rs1)? << 15) | (u << 20)
            }
            Format::Amo => {
                fits_unsigned(imm, 2, 1).then_some(())?;
                (r(x.rd)? << 7) | (r(x.rs1)? << 15) | (r(x.rs2)? << 20) | (u << 25)
            }
            Format::Lr => {
                fits_unsigned(imm, 2, 1).then_some(())?;
                (r(x.rd)? << 7) | (r(x.rs1)? << 15) | (u << 25)
            }
            Format::Fence => {
                fits_unsigned(imm, 12, 1).then_some(())?;
                (r(x.rd)? << 7) | (r(x.rs1)? << 15) | (u << 20)
            }
            Format::None | Format::CNone => 0,
            Format::Sfence => (r(x.rs1)? << 15) | (r(x.rs2)? << 20),
            Format::CAddi4spn => {
                (x.rs1 == 2 && imm != 0 && fits_unsigned(imm, 10, 4)).then_some(())?;
                (cr(x.rd)? << 2)
                    | (((u >> 6) & 0xf) << 7)
                    | (((u >> 4) & 3) << 11)
                    | (((u >> 3) & 1) << 5)
                    | (((u >> 2) & 1) << 6)
            }
            Format::CLw | Format::CSw => {
                fits_unsigned(imm, 7, 4).then_some(())?;
                let reg = if self == Format::CLw { cr(x.rd)? } else { cr(x.rs2)? };
                (reg << 2) | (cr(x.rs1)? << 7) | (((u >> 6) & 1) << 5) | (((u >> 3) & 7) << 10) | (((u >> 2) & 1) << 6)
            }
            Format::CLd | Format::CSd => {
                fits_unsigned(imm, 8, 8).then_some(())?;
                let reg = if self == Format::CLd { cr(x.rd)? } else { cr(x.rs2)? };
                (reg << 2) | (cr(x.rs1)? << 7) | (((u >> 6) & 3) << 5) | (((u >> 3) & 7) << 10)
            }
            Format::CAddi | Format::CAddiw | Format::CLi => {
                let src_ok = match self {
                    Format::CLi => x.rs1 == 0,
                    _ => x.rs1 == x.rd,
                };
                (src_ok && fits_signed(imm, 6) && (self != Format::CAddiw || x.rd != 0)).then_some(())?;
                (r(x.rd)? << 7) | (((u >> 5) & 1) << 12) | ((u & 0x1f) << 2)
            }
            Format::CAddi16sp => {
                (x.rd == 2 && x.rs1 == 2 && imm != 0 && fits_signed(imm, 10) && imm % 16 == 0).then_some(())?;
                (2 << 7)
                    | (((u >> 9) & 1) << 12)
                    | (((u >> 7) & 3) << 3)
                    | (((u >> 6) & 1) << 5)
                    | (((u >> 5) & 1) << 2)
                    | (((u >> 4) & 1) << 6)
            }
            Format::CLui => {
                let v = imm >> 12;
                (x.rd != 2 && imm & 0xfff == 0 && v != 0 && fits_signed(v, 6)).then_some(())?;
                let v = v as u32;
                (r(x.rd)? << 7) | (((v >> 5) & 1) << 12) | ((v & 0x1f) << 2)
            }
            Format::CShiftR | Format::CSlli => {
                (x.rs1 == x.rd && fits_unsigned(imm, 6, 1)).then_some(())?;
                let reg = if self == Format::CSlli { r(x.rd)? << 7 } else { cr(x.rd)? << 7 };
                reg | (((u >> 5) & 1) << 12) | ((u & 0x1f) << 2)
            }
            Format::CAndi => {
                (x.rs1 == x.rd && fits_signed(imm, 6)).then_some(())?;
                (cr(x.rd)? << 7) | (((u >> 5) & 1) << 12) | ((u & 0x1f) << 2)
            }
            Format::CArith => {
                (x.rs1 == x.rd).then_some(())?;
                (cr(x.rd)? << 7) | (cr(x.rs2)? << 2)
            }
            Format::CJ => {
                (x.rd == 0 && fits_signed(imm, 12) && imm % 2 == 0).then_some(())?;
                (((u >> 11) & 1) << 12)
                    | (((u >> 10) & 1) << 8)
                    | (((u >> 8) & 3) << 9)
                    | (((u >> 7) & 1) << 6)
                    | (((u >> 6) & 1) << 7)
                    | (((u >> 5) & 1) << 2)
                    | (((u >> 4) & 1) << 11)
                    | (((u >> 1) & 7) << 3)
            }
            Format::CBranch => {
                (x.rs2 == 0 && fits_signed(imm, 9) && imm % 2 == 0).then_some(())?;
                (cr(x.rs1)? << 7)
                    | (((u >> 8) & 1) << 12)
                    | (((u >> 6) & 3) << 5)
                    | (((u >> 5) & 1) << 2)
                    | (((u >> 3) & 3) << 10)
                    | (((u >> 1) & 3) << 3)
            }
            Format::CLwsp => {
                (x.rd != 0 && x.rs1 == 2 && fits_unsigned(imm, 8, 4)).then_some(())?;
                (r(x.rd)? << 7) | (((u >> 6) & 3) << 2) | (((u >> 5) & 1) << 12) | (((u >> 2) & 7) << 4)
            }
            Format::CLdsp => {
                (x.rd != 0 && x.rs1 == 2 && fits_unsigned(imm, 9, 8)).then_some(())?;
                (r(x.rd)? << 7) | (((u >> 6) & 7) << 2) | (((u >> 5) & 1) << 12) | (((u >> 3) & 3) << 5)
            }
            Format::CJr | Format::CJalr => {
                let link = if self == Format::CJalr { 1 } else { 0 };
                (x.rd == link && x.rs1 != 0 && imm == 0).then_some(())?;
                r(x.rs1)? << 7
            }
            Format::CMv => {
                (x.rs1 == 0 && x.rs2 != 0).then_some(())?;
                (r(x.rd)? << 7) | (r(x.rs2)? << 2)
            }
            Format::CAdd => {
                (x.rs1 == x.rd && x.rs2 != 0).then_some(())?;
                (r(x.rd)? << 7) | (r(x.rs2)? << 2)
            }
            Format::CSwsp => {
                (x.rs1 == 2 && fits_unsigned(imm, 8, 4)).then_some(())?;
                (r(x.rs2)? << 2) | (((u >> 6) & 3) << 7) | (((u >> 2) & 0xf) << 9)
            }
            Format::CSdsp | Format::CFsdsp => {
                (x.rs1 == 2 && fits_unsigned(imm, 9, 8)).then_some(())?;
                (r(x.rs2)? << 2) | (((u >> 6) & 7) << 7) | (((u >> 3) & 7) << 10)
            }
            Format::FpArith | Format::FpFma => {
                valid_rm(imm).then_some(())?;
                let rs3 = if self == Format::FpFma { r(x.rs3)? << 27 } else { 0 };
                (r(x.rd)? << 7) | (r(x.rs1)? << 15) | (r(x.rs2)? << 20) | rs3 | (u << 12)
            }
            Format::FpUnary | Format::FpToInt | Format::IntToFp => {
                valid_rm(imm).then_some(())?;
                (r(x.rd)? << 7) | (r(x.rs1)? << 15) | (u << 12)
            }
            Format::FpSign | Format::FpCmp => (r(x.rd)? << 7) | (r(x.rs1)? << 15) | (r(x.rs2)? << 20),
            Format::FpToIntBits | Format::IntToFpBits => (r(x.rd)? << 7) | (r(x.rs1)? << 15),
            Format::FpLoad => Format::I.encode(x)?,
            Format::FpStore => Format::S.encode(x)?,
            Format::CFld => Format::CLd.encode(x)?,
            Format::CFsd => Format::CSd.encode(x)?,
            Format::CFldsp => {
                (x.rs1 == 2 && fits_unsigned(imm, 9, 8)).then_some(())?;
                (r(x.rd)? << 7) | (((u >> 6) & 7) << 2) | (((u >> 5) & 1) << 12) | (((u >> 3) & 3) << 5)
            }
        })
    }
}
