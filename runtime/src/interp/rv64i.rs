//! RV64I semantics.

use crate::isa::Insn;
use crate::machine::Machine;
use crate::trap::Exception;

type R = Result<u64, Exception>;

#[inline(always)]
fn x(m: &Machine, r: u8) -> u64 {
    m.hart.x[r as usize]
}

#[inline(always)]
fn set(m: &mut Machine, r: u8, v: u64) {
    if r != 0 {
        m.hart.x[r as usize] = v;
    }
}

#[inline(always)]
fn next(i: &Insn, pc: u64) -> u64 {
    pc.wrapping_add(i.len as u64)
}

#[inline(always)]
fn sext32(v: u64) -> u64 {
    v as i32 as i64 as u64
}

macro_rules! alu_rr {
    ($($name:ident => |$a:ident, $b:ident| $e:expr;)*) => {$(
        pub fn $name(m: &mut Machine, i: &Insn, pc: u64) -> R {
            let ($a, $b) = (x(m, i.rs1), x(m, i.rs2));
            set(m, i.rd, $e);
            Ok(next(i, pc))
        }
    )*};
}

macro_rules! alu_ri {
    ($($name:ident => |$a:ident, $imm:ident| $e:expr;)*) => {$(
        pub fn $name(m: &mut Machine, i: &Insn, pc: u64) -> R {
            let ($a, $imm) = (x(m, i.rs1), i.imm as u64);
            set(m, i.rd, $e);
            Ok(next(i, pc))
        }
    )*};
}

macro_rules! branch {
    ($($name:ident => |$a:ident, $b:ident| $e:expr;)*) => {$(
        pub fn $name(m: &mut Machine, i: &Insn, pc: u64) -> R {
            let ($a, $b) = (x(m, i.rs1), x(m, i.rs2));
            Ok(if $e { pc.wrapping_add(i.imm as u64) } else { next(i, pc) })
        }
    )*};
}

macro_rules! load {
    ($($name:ident => $size:literal, $ext:expr;)*) => {$(
        pub fn $name(m: &mut Machine, i: &Insn, pc: u64) -> R {
            let v = m.load(x(m, i.rs1).wrapping_add(i.imm as u64), $size)?;
            let ext: fn(u64) -> u64 = $ext;
            set(m, i.rd, ext(v));
            Ok(next(i, pc))
        }
    )*};
}

macro_rules! store {
    ($($name:ident => $size:literal;)*) => {$(
        pub fn $name(m: &mut Machine, i: &Insn, pc: u64) -> R {
            m.store(x(m, i.rs1).wrapping_add(i.imm as u64), $size, x(m, i.rs2))?;
            Ok(next(i, pc))
        }
    )*};
}

pub fn lui(m: &mut Machine, i: &Insn, pc: u64) -> R {
    set(m, i.rd, i.imm as u64);
    Ok(next(i, pc))
}

pub fn auipc(m: &mut Machine, i: &Insn, pc: u64) -> R {
    set(m, i.rd, pc.wrapping_add(i.imm as u64));
    Ok(next(i, pc))
}

pub fn jal(m: &mut Machine, i: &Insn, pc: u64) -> R {
    set(m, i.rd, next(i, pc));
    Ok(pc.wrapping_add(i.imm as u64))
}

pub fn jalr(m: &mut Machine, i: &Insn, pc: u64) -> R {
    let target = x(m, i.rs1).wrapping_add(i.imm as u64) & !1;
    set(m, i.rd, next(i, pc));
    Ok(target)
}

branch! {
    beq => |a, b| a == b;
    bne => |a, b| a != b;
    blt => |a, b| (a as i64) < (b as i64);
    bge => |a, b| (a as i64) >= (b as i64);
    bltu => |a, b| a < b;
    bgeu => |a, b| a >= b;
}

load! {
    lb => 1, |v| v as i8 as i64 as u64;
    lh => 2, |v| v as i16 as i64 as u64;
    lw => 4, |v| v as i32 as i64 as u64;
    ld => 8, |v| v;
    lbu => 1, |v| v;
    lhu => 2, |v| v;
    lwu => 4, |v| v;
}

store! {
    sb => 1;
    sh => 2;
    sw => 4;
    sd => 8;
}

alu_ri! {
    addi => |a, imm| a.wrapping_add(imm);
    slti => |a, imm| ((a as i64) < (imm as i64)) as u64;
    sltiu => |a, imm| (a < imm) as u64;
    xori => |a, imm| a ^ imm;
    ori => |a, imm| a | imm;
    andi => |a, imm| a & imm;
    slli => |a, imm| a << (imm & 63);
    srli => |a, imm| a >> (imm & 63);
    srai => |a, imm| ((a as i64) >> (imm & 63)) as u64;
    addiw => |a, imm| sext32(a.wrapping_add(imm));
    slliw => |a, imm| sext32(a << (imm & 31));
    srliw => |a, imm| sext32(((a as u32) >> (imm & 31)) as u64);
    sraiw => |a, imm| ((a as i32) >> (imm & 31)) as i64 as u64;
}

alu_rr! {
    add => |a, b| a.wrapping_add(b);
    sub => |a, b| a.wrapping_sub(b);
    sll => |a, b| a << (b & 63);
    slt => |a, b| ((a as i64) < (b as i64)) as u64;
    sltu => |a, b| (a < b) as u64;
    xor => |a, b| a ^ b;
    srl => |a, b| a >> (b & 63);
    sra => |a, b| ((a as i64) >> (b & 63)) as u64;
    or => |a, b| a | b;
    and => |a, b| a & b;
    addw => |a, b| sext32(a.wrapping_add(b));
    subw => |a, b| sext32(a.wrapping_sub(b));
    sllw => |a, b| sext32(a << (b & 31));
    srlw => |a, b| sext32(((a as u32) >> (b & 31)) as u64);
    sraw => |a, b| ((a as i32) >> (b & 31)) as i64 as u64;
}

/// `fence`: a single hart with a sequentially consistent memory needs no action.
pub fn fence(_m: &mut Machine, i: &Insn, pc: u64) -> R {
    Ok(next(i, pc))
}
