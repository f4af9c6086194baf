//! RV64M semantics, including the specified results of division by zero and overflow.

use crate::isa::Insn;
use crate::machine::Machine;
use crate::trap::Exception;

type R = Result<u64, Exception>;

macro_rules! muldiv {
    ($($name:ident => |$a:ident, $b:ident| $e:expr;)*) => {$(
        pub fn $name(m: &mut Machine, i: &Insn, pc: u64) -> R {
            let ($a, $b) = (m.hart.x[i.rs1 as usize], m.hart.x[i.rs2 as usize]);
            if i.rd != 0 {
                m.hart.x[i.rd as usize] = $e;
            }
            Ok(pc.wrapping_add(i.len as u64))
        }
    )*};
}

fn sext32(v: u64) -> u64 {
    v as i32 as i64 as u64
}

muldiv! {
    mul => |a, b| a.wrapping_mul(b);
    mulh => |a, b| ((a as i64 as i128 * b as i64 as i128) >> 64) as u64;
    mulhsu => |a, b| ((a as i64 as i128 * b as u128 as i128) >> 64) as u64;
    mulhu => |a, b| ((a as u128 * b as u128) >> 64) as u64;
    div => |a, b| if b == 0 { u64::MAX } else { (a as i64).wrapping_div(b as i64) as u64 };
    divu => |a, b| a.checked_div(b).unwrap_or(u64::MAX);
    rem => |a, b| if b == 0 { a } else { (a as i64).wrapping_rem(b as i64) as u64 };
    remu => |a, b| if b == 0 { a } else { a % b };
    mulw => |a, b| sext32(a.wrapping_mul(b));
    divw => |a, b| {
        let (a, b) = (a as i32, b as i32);
        if b == 0 { u64::MAX } else { a.wrapping_div(b) as i64 as u64 }
    };
    divuw => |a, b| {
        let (a, b) = (a as u32, b as u32);
        a.checked_div(b).map_or(u64::MAX, |q| sext32(q as u64))
    };
    remw => |a, b| {
        let (a, b) = (a as i32, b as i32);
        if b == 0 { a as i64 as u64 } else { a.wrapping_rem(b) as i64 as u64 }
    };
    remuw => |a, b| {
        let (a, b) = (a as u32, b as u32);
        if b == 0 { sext32(a as u64) } else { sext32((a % b) as u64) }
    };
}
