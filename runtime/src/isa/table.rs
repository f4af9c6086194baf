//! The encoding table: one row per instruction encoding.
//!
//! Each row is `mnemonic  pattern  Format  Op`. Patterns are parsed at compile
//! time by [`Pattern::parse`]; the decoder tries the most specific matching row
//! first, so a row whose pattern is a specialisation of another's (for example
//! `c.addi16sp` inside `c.lui`, `c.ebreak` inside `c.jalr`) takes precedence.
//! Extensions add rows of their own through [`super::IsaTable::register`].

use super::format::Format;
use super::op::Op;
use super::pattern::Pattern;

/// The instruction set a row belongs to (what `misa`/`--ext` enables).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum IsaSet {
    /// RV64I base.
    I,
    /// Integer multiply/divide.
    M,
    /// Atomics.
    A,
    /// Compressed.
    C,
    /// CSR instructions.
    Zicsr,
    /// Instruction-fetch fence.
    Zifencei,
    /// Privileged architecture instructions.
    Priv,
    /// Single-precision floating point.
    F,
    /// Double-precision floating point (with `c.fld`/`c.fsd`/`c.fldsp`/`c.fsdsp`).
    D,
    /// A set registered from outside the core, by its registry number.
    Custom(u16),
}

/// One encoding.
#[derive(Clone, Copy, Debug)]
pub struct InsnDef {
    /// Mnemonic, as the disassembler prints it.
    pub name: &'static str,
    /// Fixed bits.
    pub pattern: Pattern,
    /// Operand layout.
    pub format: Format,
    /// What it does.
    pub op: Op,
    /// Which set it belongs to.
    pub set: IsaSet,
    /// Which integer registers its semantics touch (engines that cache guest
    /// registers must spill/reload accordingly around a reference helper).
    pub regs: RegEffects,
}

/// The integer registers an instruction's semantics may read or write.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RegEffects {
    /// Only its operands: reads `rs1`/`rs2`/`rs3`, writes `rd` (every core row).
    Operands,
    /// Any of x1..x31, read and written (hardware context switches of
    /// registered extensions, e.g. a call gate restoring `sp`, a context-slot
    /// restore): engines must store every cached register before the helper and
    /// reload every register after it.
    All,
}

impl InsnDef {
    /// A row; the pattern is checked at compile time when used in a `const`/`static`.
    pub const fn new(name: &'static str, pattern: &str, format: Format, op: Op, set: IsaSet) -> Self {
        Self { name, pattern: Pattern::parse(pattern), format, op, set, regs: RegEffects::Operands }
    }

    /// This row with register effects `regs`.
    pub const fn with_regs(mut self, regs: RegEffects) -> Self {
        self.regs = regs;
        self
    }
}

macro_rules! rows {
    ($set:ident: $( $name:literal $pat:literal $fmt:ident $op:ident; )*) => {
        &[ $( InsnDef::new($name, $pat, Format::$fmt, Op::$op, IsaSet::$set), )* ]
    };
}

/// RV64I.
pub static RV64I: &[InsnDef] = rows! { I:
    "lui"    "-------------------- ----- 0110111" U Lui;
    "auipc"  "-------------------- ----- 0010111" U Auipc;
    "jal"    "-------------------- ----- 1101111" J Jal;
    "jalr"   "------------ ----- 000 ----- 1100111" I Jalr;
    "beq"    "------- ----- ----- 000 ----- 1100011" B Beq;
    "bne"    "------- ----- ----- 001 ----- 1100011" B Bne;
    "blt"    "------- ----- ----- 100 ----- 1100011" B Blt;
    "bge"    "------- ----- ----- 101 ----- 1100011" B Bge;
    "bltu"   "------- ----- ----- 110 ----- 1100011" B Bltu;
    "bgeu"   "------- ----- ----- 111 ----- 1100011" B Bgeu;
    "lb"     "------------ ----- 000 ----- 0000011" I Lb;
    "lh"     "------------ ----- 001 ----- 0000011" I Lh;
    "lw"     "------------ ----- 010 ----- 0000011" I Lw;
    "ld"     "------------ ----- 011 ----- 0000011" I Ld;
    "lbu"    "------------ ----- 100 ----- 0000011" I Lbu;
    "lhu"    "------------ ----- 101 ----- 0000011" I Lhu;
    "lwu"    "------------ ----- 110 ----- 0000011" I Lwu;
    "sb"     "------- ----- ----- 000 ----- 0100011" S Sb;
    "sh"     "------- ----- ----- 001 ----- 0100011" S Sh;
    "sw"     "------- ----- ----- 010 ----- 0100011" S Sw;
    "sd"     "------- ----- ----- 011 ----- 0100011" S Sd;
    "addi"   "------------ ----- 000 ----- 0010011" I Addi;
    "slti"   "------------ ----- 010 ----- 0010011" I Slti;
    "sltiu"  "------------ ----- 011 ----- 0010011" I Sltiu;
    "xori"   "------------ ----- 100 ----- 0010011" I Xori;
    "ori"    "------------ ----- 110 ----- 0010011" I Ori;
    "andi"   "------------ ----- 111 ----- 0010011" I Andi;
    "slli"   "000000 ------ ----- 001 ----- 0010011" Shift64 Slli;
    "srli"   "000000 ------ ----- 101 ----- 0010011" Shift64 Srli;
    "srai"   "010000 ------ ----- 101 ----- 0010011" Shift64 Srai;
    "add"    "0000000 ----- ----- 000 ----- 0110011" R Add;
    "sub"    "0100000 ----- ----- 000 ----- 0110011" R Sub;
    "sll"    "0000000 ----- ----- 001 ----- 0110011" R Sll;
    "slt"    "0000000 ----- ----- 010 ----- 0110011" R Slt;
    "sltu"   "0000000 ----- ----- 011 ----- 0110011" R Sltu;
    "xor"    "0000000 ----- ----- 100 ----- 0110011" R Xor;
    "srl"    "0000000 ----- ----- 101 ----- 0110011" R Srl;
    "sra"    "0100000 ----- ----- 101 ----- 0110011" R Sra;
    "or"     "0000000 ----- ----- 110 ----- 0110011" R Or;
    "and"    "0000000 ----- ----- 111 ----- 0110011" R And;
    "addiw"  "------------ ----- 000 ----- 0011011" I Addiw;
    "slliw"  "0000000 ----- ----- 001 ----- 0011011" Shift32 Slliw;
    "srliw"  "0000000 ----- ----- 101 ----- 0011011" Shift32 Srliw;
    "sraiw"  "0100000 ----- ----- 101 ----- 0011011" Shift32 Sraiw;
    "addw"   "0000000 ----- ----- 000 ----- 0111011" R Addw;
    "subw"   "0100000 ----- ----- 000 ----- 0111011" R Subw;
    "sllw"   "0000000 ----- ----- 001 ----- 0111011" R Sllw;
    "srlw"   "0000000 ----- ----- 101 ----- 0111011" R Srlw;
    "sraw"   "0100000 ----- ----- 101 ----- 0111011" R Sraw;
    "fence"  "------------ ----- 000 ----- 0001111" Fence Fence;
    "ecall"  "000000000000 00000 000 00000 1110011" None Ecall;
    "ebreak" "000000000001 00000 000 00000 1110011" None Ebreak;
};

/// Zifencei.
pub static ZIFENCEI: &[InsnDef] = rows! { Zifencei:
    "fence.i" "------------ ----- 001 ----- 0001111" None FenceI;
};

/// Zicsr.
pub static ZICSR: &[InsnDef] = rows! { Zicsr:
    "csrrw"  "------------ ----- 001 ----- 1110011" Csr Csrrw;
    "csrrs"  "------------ ----- 010 ----- 1110011" Csr Csrrs;
    "csrrc"  "------------ ----- 011 ----- 1110011" Csr Csrrc;
    "csrrwi" "------------ ----- 101 ----- 1110011" CsrI Csrrwi;
    "csrrsi" "------------ ----- 110 ----- 1110011" CsrI Csrrsi;
    "csrrci" "------------ ----- 111 ----- 1110011" CsrI Csrrci;
};

/// RV64M.
pub static RV64M: &[InsnDef] = rows! { M:
    "mul"    "0000001 ----- ----- 000 ----- 0110011" R Mul;
    "mulh"   "0000001 ----- ----- 001 ----- 0110011" R Mulh;
    "mulhsu" "0000001 ----- ----- 010 ----- 0110011" R Mulhsu;
    "mulhu"  "0000001 ----- ----- 011 ----- 0110011" R Mulhu;
    "div"    "0000001 ----- ----- 100 ----- 0110011" R Div;
    "divu"   "0000001 ----- ----- 101 ----- 0110011" R Divu;
    "rem"    "0000001 ----- ----- 110 ----- 0110011" R Rem;
    "remu"   "0000001 ----- ----- 111 ----- 0110011" R Remu;
    "mulw"   "0000001 ----- ----- 000 ----- 0111011" R Mulw;
    "divw"   "0000001 ----- ----- 100 ----- 0111011" R Divw;
    "divuw"  "0000001 ----- ----- 101 ----- 0111011" R Divuw;
    "remw"   "0000001 ----- ----- 110 ----- 0111011" R Remw;
    "remuw"  "0000001 ----- ----- 111 ----- 0111011" R Remuw;
};

/// RV64A.
pub static RV64A: &[InsnDef] = rows! { A:
    "lr.w"      "00010 -- 00000 ----- 010 ----- 0101111" Lr LrW;
    "sc.w"      "00011 -- ----- ----- 010 ----- 0101111" Amo ScW;
    "amoswap.w" "00001 -- ----- ----- 010 ----- 0101111" Amo AmoswapW;
    "amoadd.w"  "00000 -- ----- ----- 010 ----- 0101111" Amo AmoaddW;
    "amoxor.w"  "00100 -- ----- ----- 010 ----- 0101111" Amo AmoxorW;
    "amoand.w"  "01100 -- ----- ----- 010 ----- 0101111" Amo AmoandW;
    "amoor.w"   "01000 -- ----- ----- 010 ----- 0101111" Amo AmoorW;
    "amomin.w"  "10000 -- ----- ----- 010 ----- 0101111" Amo AmominW;
    "amomax.w"  "10100 -- ----- ----- 010 ----- 0101111" Amo AmomaxW;
    "amominu.w" "11000 -- ----- ----- 010 ----- 0101111" Amo AmominuW;
    "amomaxu.w" "11100 -- ----- ----- 010 ----- 0101111" Amo AmomaxuW;
    "lr.d"      "00010 -- 00000 ----- 011 ----- 0101111" Lr LrD;
    "sc.d"      "00011 -- ----- ----- 011 ----- 0101111" Amo ScD;
    "amoswap.d" "00001 -- ----- ----- 011 ----- 0101111" Amo AmoswapD;
    "amoadd.d"  "00000 -- ----- ----- 011 ----- 0101111" Amo AmoaddD;
    "amoxor.d"  "00100 -- ----- ----- 011 ----- 0101111" Amo AmoxorD;
    "amoand.d"  "01100 -- ----- ----- 011 ----- 0101111" Amo AmoandD;
    "amoor.d"   "01000 -- ----- ----- 011 ----- 0101111" Amo AmoorD;
    "amomin.d"  "10000 -- ----- ----- 011 ----- 0101111" Amo AmominD;
    "amomax.d"  "10100 -- ----- ----- 011 ----- 0101111" Amo AmomaxD;
    "amominu.d" "11000 -- ----- ----- 011 ----- 0101111" Amo AmominuD;
    "amomaxu.d" "11100 -- ----- ----- 011 ----- 0101111" Amo AmomaxuD;
};

/// Privileged instructions.
pub static PRIV: &[InsnDef] = rows! { Priv:
    "sret"       "0001000 00010 00000 000 00000 1110011" None Sret;
    "mret"       "0011000 00010 00000 000 00000 1110011" None Mret;
    "wfi"        "0001000 00101 00000 000 00000 1110011" None Wfi;
    "sfence.vma" "0001001 ----- ----- 000 00000 1110011" Sfence SfenceVma;
};

/// RV64C, each row standing for the base operation it expands to.
pub static RV64C: &[InsnDef] = rows! { C:
    "c.addi4spn" "000 -------- --- 00" CAddi4spn Addi;
    "c.lw"       "010 --- --- -- --- 00" CLw Lw;
    "c.ld"       "011 --- --- -- --- 00" CLd Ld;
    "c.sw"       "110 --- --- -- --- 00" CSw Sw;
    "c.sd"       "111 --- --- -- --- 00" CSd Sd;
    "c.addi"     "000 - ----- ----- 01" CAddi Addi;
    "c.addiw"    "001 - ----- ----- 01" CAddiw Addiw;
    "c.li"       "010 - ----- ----- 01" CLi Addi;
    "c.addi16sp" "011 - 00010 ----- 01" CAddi16sp Addi;
    "c.lui"      "011 - ----- ----- 01" CLui Lui;
    "c.srli"     "100 - 00 --- ----- 01" CShiftR Srli;
    "c.srai"     "100 - 01 --- ----- 01" CShiftR Srai;
    "c.andi"     "100 - 10 --- ----- 01" CAndi Andi;
    "c.sub"      "100 0 11 --- 00 --- 01" CArith Sub;
    "c.xor"      "100 0 11 --- 01 --- 01" CArith Xor;
    "c.or"       "100 0 11 --- 10 --- 01" CArith Or;
    "c.and"      "100 0 11 --- 11 --- 01" CArith And;
    "c.subw"     "100 1 11 --- 00 --- 01" CArith Subw;
    "c.addw"     "100 1 11 --- 01 --- 01" CArith Addw;
    "c.j"        "101 ----------- 01" CJ Jal;
    "c.beqz"     "110 --- --- ----- 01" CBranch Beq;
    "c.bnez"     "111 --- --- ----- 01" CBranch Bne;
    "c.slli"     "000 - ----- ----- 10" CSlli Slli;
    "c.lwsp"     "010 - ----- ----- 10" CLwsp Lw;
    "c.ldsp"     "011 - ----- ----- 10" CLdsp Ld;
    "c.jr"       "100 0 ----- 00000 10" CJr Jalr;
    "c.mv"       "100 0 ----- ----- 10" CMv Add;
    "c.ebreak"   "100 1 00000 00000 10" CNone Ebreak;
    "c.jalr"     "100 1 ----- 00000 10" CJalr Jalr;
    "c.add"      "100 1 ----- ----- 10" CAdd Add;
    "c.swsp"     "110 - ----- ----- 10" CSwsp Sw;
    "c.sdsp"     "111 - ----- ----- 10" CSdsp Sd;
};

/// RV64F. `fmt` (bits 26:25) is 00.
pub static RV64F: &[InsnDef] = rows! { F:
    "flw"       "------------ ----- 010 ----- 0000111" FpLoad Flw;
    "fsw"       "------- ----- ----- 010 ----- 0100111" FpStore Fsw;
    "fmadd.s"   "----- 00 ----- ----- --- ----- 1000011" FpFma FmaddS;
    "fmsub.s"   "----- 00 ----- ----- --- ----- 1000111" FpFma FmsubS;
    "fnmsub.s"  "----- 00 ----- ----- --- ----- 1001011" FpFma FnmsubS;
    "fnmadd.s"  "----- 00 ----- ----- --- ----- 1001111" FpFma FnmaddS;
    "fadd.s"    "0000000 ----- ----- --- ----- 1010011" FpArith FaddS;
    "fsub.s"    "0000100 ----- ----- --- ----- 1010011" FpArith FsubS;
    "fmul.s"    "0001000 ----- ----- --- ----- 1010011" FpArith FmulS;
    "fdiv.s"    "0001100 ----- ----- --- ----- 1010011" FpArith FdivS;
    "fsqrt.s"   "0101100 00000 ----- --- ----- 1010011" FpUnary FsqrtS;
    "fsgnj.s"   "0010000 ----- ----- 000 ----- 1010011" FpSign FsgnjS;
    "fsgnjn.s"  "0010000 ----- ----- 001 ----- 1010011" FpSign FsgnjnS;
    "fsgnjx.s"  "0010000 ----- ----- 010 ----- 1010011" FpSign FsgnjxS;
    "fmin.s"    "0010100 ----- ----- 000 ----- 1010011" FpSign FminS;
    "fmax.s"    "0010100 ----- ----- 001 ----- 1010011" FpSign FmaxS;
    "fcvt.w.s"  "1100000 00000 ----- --- ----- 1010011" FpToInt FcvtWS;
    "fcvt.wu.s" "1100000 00001 ----- --- ----- 1010011" FpToInt FcvtWuS;
    "fcvt.l.s"  "1100000 00010 ----- --- ----- 1010011" FpToInt FcvtLS;
    "fcvt.lu.s" "1100000 00011 ----- --- ----- 1010011" FpToInt FcvtLuS;
    "fmv.x.w"   "1110000 00000 ----- 000 ----- 1010011" FpToIntBits FmvXW;
    "fclass.s"  "1110000 00000 ----- 001 ----- 1010011" FpToIntBits FclassS;
    "feq.s"     "1010000 ----- ----- 010 ----- 1010011" FpCmp FeqS;
    "flt.s"     "1010000 ----- ----- 001 ----- 1010011" FpCmp FltS;
    "fle.s"     "1010000 ----- ----- 000 ----- 1010011" FpCmp FleS;
    "fcvt.s.w"  "1101000 00000 ----- --- ----- 1010011" IntToFp FcvtSW;
    "fcvt.s.wu" "1101000 00001 ----- --- ----- 1010011" IntToFp FcvtSWu;
    "fcvt.s.l"  "1101000 00010 ----- --- ----- 1010011" IntToFp FcvtSL;
    "fcvt.s.lu" "1101000 00011 ----- --- ----- 1010011" IntToFp FcvtSLu;
    "fmv.w.x"   "1111000 00000 ----- 000 ----- 1010011" IntToFpBits FmvWX;
};

/// RV64D, with the compressed double-precision loads and stores. `fmt` is 01.
pub static RV64D: &[InsnDef] = rows! { D:
    "fld"       "------------ ----- 011 ----- 0000111" FpLoad Fld;
    "fsd"       "------- ----- ----- 011 ----- 0100111" FpStore Fsd;
    "fmadd.d"   "----- 01 ----- ----- --- ----- 1000011" FpFma FmaddD;
    "fmsub.d"   "----- 01 ----- ----- --- ----- 1000111" FpFma FmsubD;
    "fnmsub.d"  "----- 01 ----- ----- --- ----- 1001011" FpFma FnmsubD;
    "fnmadd.d"  "----- 01 ----- ----- --- ----- 1001111" FpFma FnmaddD;
    "fadd.d"    "0000001 ----- ----- --- ----- 1010011" FpArith FaddD;
    "fsub.d"    "0000101 ----- ----- --- ----- 1010011" FpArith FsubD;
    "fmul.d"    "0001001 ----- ----- --- ----- 1010011" FpArith FmulD;
    "fdiv.d"    "0001101 ----- ----- --- ----- 1010011" FpArith FdivD;
    "fsqrt.d"   "0101101 00000 ----- --- ----- 1010011" FpUnary FsqrtD;
    "fsgnj.d"   "0010001 ----- ----- 000 ----- 1010011" FpSign FsgnjD;
    "fsgnjn.d"  "0010001 ----- ----- 001 ----- 1010011" FpSign FsgnjnD;
    "fsgnjx.d"  "0010001 ----- ----- 010 ----- 1010011" FpSign FsgnjxD;
    "fmin.d"    "0010101 ----- ----- 000 ----- 1010011" FpSign FminD;
    "fmax.d"    "0010101 ----- ----- 001 ----- 1010011" FpSign FmaxD;
    "fcvt.s.d"  "0100000 00001 ----- --- ----- 1010011" FpUnary FcvtSD;
    "fcvt.d.s"  "0100001 00000 ----- --- ----- 1010011" FpUnary FcvtDS;
    "fcvt.w.d"  "1100001 00000 ----- --- ----- 1010011" FpToInt FcvtWD;
    "fcvt.wu.d" "1100001 00001 ----- --- ----- 1010011" FpToInt FcvtWuD;
    "fcvt.l.d"  "1100001 00010 ----- --- ----- 1010011" FpToInt FcvtLD;
    "fcvt.lu.d" "1100001 00011 ----- --- ----- 1010011" FpToInt FcvtLuD;
    "fmv.x.d"   "1110001 00000 ----- 000 ----- 1010011" FpToIntBits FmvXD;
    "fclass.d"  "1110001 00000 ----- 001 ----- 1010011" FpToIntBits FclassD;
    "feq.d"     "1010001 ----- ----- 010 ----- 1010011" FpCmp FeqD;
    "flt.d"     "1010001 ----- ----- 001 ----- 1010011" FpCmp FltD;
    "fle.d"     "1010001 ----- ----- 000 ----- 1010011" FpCmp FleD;
    "fcvt.d.w"  "1101001 00000 ----- --- ----- 1010011" IntToFp FcvtDW;
    "fcvt.d.wu" "1101001 00001 ----- --- ----- 1010011" IntToFp FcvtDWu;
    "fcvt.d.l"  "1101001 00010 ----- --- ----- 1010011" IntToFp FcvtDL;
    "fcvt.d.lu" "1101001 00011 ----- --- ----- 1010011" IntToFp FcvtDLu;
    "fmv.d.x"   "1111001 00000 ----- 000 ----- 1010011" IntToFpBits FmvDX;
    "c.fld"     "001 --- --- -- --- 00" CFld Fld;
    "c.fsd"     "101 --- --- -- --- 00" CFsd Fsd;
    "c.fldsp"   "001 - ----- ----- 10" CFldsp Fld;
    "c.fsdsp"   "101 - ----- ----- 10" CFsdsp Fsd;
};

/// Every core set, in registration order.
pub static CORE: &[&[InsnDef]] = &[RV64I, RV64M, RV64A, RV64C, ZICSR, ZIFENCEI, PRIV, RV64F, RV64D];
