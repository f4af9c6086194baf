//! Vector trips: a streamed loop of one block whose data flows trip by trip
//! through lanes of 8, 16, 32 or 64 bits runs eight trips (sixteen with
//! bytes) at a time in SIMD registers.
//!
//! ```text
//!   c[j] += a * b[j]   (one block: add a5,a4,a2; lw a5,0(a5); add s0,a3,a2; lw s1,0(s0);
//!                       mulw a5,a5,a1; addw a5,a5,s1; addi a2,a2,4; sw a5,0(s0); bne a2,t5)
//!   guard (once):  the streams' n trips apart, wherever one stores?
//!                  per bounded induction register r: limit_r = bound_r - (n-1) step + 1
//!                    (0 if not apart); `bne a, b` with a stepping up by a power
//!                    of two folds into a's limit; uniforms splat into lanes
//!   head:   every x[r] < limit_r? (one compare where the guard found no vector
//!           trip possible) then budget >= header's check + (n-1) trips and
//!           (where not folded) the back edge taken in trips 0..n-1 -> trip,
//!           else the scalar head
//!   trip:   loads of n trips (a 128-bit register holds 16, 8, 4 or 2 lanes;
//!           n = 8 takes two registers of 32-bit lanes, four of 64-bit ones;
//!           lane j = trip j), lane operations, stores of n trips;
//!           induction registers += n step; meter += n trips
//!   again:  the head's test again -> trip, else settle
//!   settle: registers as the last trip left them (its lane, extended; tracked
//!           values one step back from the stepped registers; reductions
//!           folded in) -> scalar head
//! ```
//!
//! The loop qualifies when every instruction of its block is one of:
//! a streamed load or store through an induction register stepping by its
//! size (`lb`/`lbu`/`sb`, `lh`/`lhu`/`sh`, `lw`/`lwu`/`sw` or `ld`/`sd`:
//! one size per loop, lanes are consecutive); address arithmetic the
//! streamed loop tracks (`addi`, `add`, `lui`, `auipc`: values the same in
//! every trip, or stepping with an induction register); a lane operation
//! with an operand in lanes (8-bit and 16-bit lanes, which hold the value
//! as its load extended it: `and`/`or`/`xor` of lanes extended alike and
//! their immediate forms with immediates that fit; 32-bit lanes: `addw`,
//! `subw`, `mulw`, `addiw`, shifts by a constant or an invariant, and
//! `and`/`or`/`xor` of sign-extended lanes, which stay sign-extended;
//! 64-bit lanes: `add`, `sub`, `mul`, the bitwise operations and shifts and
//! their immediate forms); a move; and, last, the back edge, comparing
//! values that step or stay (tested for all n trips at once: `bne` with a
//! power-of-two step by the distance, an ordered comparison by its first
//! and last trip, anything else trip by trip). No value may flow from one
//! trip to the next but through induction registers and *reductions* (32
//! and 64-bit lanes): a register written once, by `r = r op x` with `x` in
//! lanes and `op` one that reassociates (`add`/`addw` modulo 2^64 or 2^32,
//! `and`, `or`, `xor`), and read nowhere else; its lanes gather partial
//! results from the operation's identity on, folded into the register on
//! the way out. Every other register the block writes is written before it
//! is read: between vector trips only the induction registers need their
//! values, and the others are settled once, on the way out.
//!
//! Why this is exact: the n trips would run without a trap (each
//! register's bound covers the last trip's accesses), without leaving
//! the loop (the back edge is taken in all of them) and without reaching the
//! deadline (the budget covers them), so nothing can observe the state
//! between them. Within them, the lanes see the values the scalar trips
//! would: a load runs before the stores of later trips, so lanes run only
//! where no access of n trips overlaps a store of another stream's n
//! trips (host addresses, so two mappings of one page count as
//! overlapping), unless both are the same bytes trip for trip, where the
//! order within each trip is the block's.
//!
//! Measured (`BINS=... cmp.py`, minimum of 3 to 5): `matmul` 0.241 ->
//! 0.084 s in M-mode and 0.313 -> 0.094 s under Sv39 (its inner loop, and
//! the zeroing of a row). Four trips at a time (one register per value)
//! took 0.114 and 0.124 s; sixteen, 4-7% longer than eight (fewer loops
//! have that many trips left, and more registers are live). A first version
//! that tested the back edge lane by lane, settled every register after
//! each vector trip and splatted invariants inside the loop gained only 4%
//! in M-mode. Byte lanes leave `compress` as it was (its match copies are
//! short, or overlap within sixteen bytes); testing every trip's back edge
//! one by one there cost 4%. Only hosts with lane-wise 32-bit multiplies
//! get vector trips (x86-64 with SSE4.1, AArch64).

use super::{value, Guarded, Plan, Sym};
use crate::lower::meter::{Meter, MAX_BUDGET};
use crate::lower::rv64i::branch_cc;
use crate::lower::{Lx, I64};
use crate::region::GuestBlock;
use cranelift_codegen::ir::condcodes::IntCC;
use cranelift_codegen::ir::{types, Block, InstBuilder, Value};
use cranelift_frontend::Variable;
use mkjit_runtime::isa::Op;
use std::collections::HashMap;

/// Trips per vector trip, at least (in one 128-bit register of 8-bit or
/// 16-bit lanes, two of 32-bit lanes, four of 64-bit lanes).
const TRIPS: i64 = 8;

/// Bytes of a host vector register.
const VECTOR_BYTES: i64 = 16;

/// The lanes of a loop: the width of its loads and stores.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Width {
    /// `lb`, `lbu`, `sb`: data moved, and combined bitwise.
    W8,
    /// `lh`, `lhu`, `sh`: data moved, and combined bitwise.
    W16,
    /// `lw`, `lwu`, `sw` and 32-bit operations.
    W32,
    /// `ld`, `sd` and 64-bit operations.
    W64,
}

impl Width {
    fn bytes(self) -> i64 {
        match self {
            Width::W8 => 1,
            Width::W16 => 2,
            Width::W32 => 4,
            Width::W64 => 8,
        }
    }

    /// Trips per vector trip.
    fn trips(self) -> i64 {
        self.lanes().max(TRIPS)
    }

    /// Lanes per host register.
    fn lanes(self) -> i64 {
        VECTOR_BYTES / self.bytes()
    }

    /// Host registers per value in a vector trip.
    fn parts(self) -> usize {
        (self.trips() / self.lanes()) as usize
    }

    fn vector(self) -> types::Type {
        match self {
            Width::W8 => types::I8X16,
            Width::W16 => types::I16X8,
            Width::W32 => types::I32X4,
            Width::W64 => types::I64X2,
        }
    }

    fn scalar(self) -> types::Type {
        match self {
            Width::W8 => types::I8,
            Width::W16 => types::I16,
            Width::W32 => types::I32,
            Width::W64 => types::I64,
        }
    }
}

/// How a lane value extends to the 64-bit register it stands for.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Ext {
    Sign,
    Zero,
    /// The lane is the register (64-bit lanes).
    Full,
}

/// An operand of a lane operation.
#[derive(Clone, Copy, Debug)]
enum Src {
    /// A register holding lane values.
    Lanes(u8),
    /// A value the same in every trip.
    Same(Uniform),
}

/// A value the same in every trip: an invariant (plus a constant) or an immediate.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Uniform {
    Sym(Sym),
    Imm(i64),
}

/// A lane-wise operation.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Lop {
    Add,
    Sub,
    Mul,
    And,
    Or,
    Xor,
}

/// A lane-wise shift (by an amount the same in every lane).
#[derive(Clone, Copy, Debug)]
enum Shift {
    Left,
    Logical,
    Arithmetic,
}

/// One instruction of a vector trip.
#[derive(Clone, Copy, Debug)]
enum Step {
    /// The trips' loads at `pc` into `rd`.
    Load {
        rd: u8,
        pc: u64,
    },
    /// The trips' stores at `pc`.
    Store {
        pc: u64,
        v: Src,
    },
    Op {
        rd: u8,
        op: Lop,
        a: Src,
        b: Src,
    },
    /// `rd = rs` shifted by `by` (modulo the lane's width, as the guest's shifts are).
    Shift {
        rd: u8,
        op: Shift,
        rs: u8,
        by: Uniform,
    },
    Copy {
        rd: u8,
        rs: u8,
    },
    /// `r = r op x`: `r` carries a value from trip to trip through this
    /// operation only (a sum across trips: the lanes keep partial results).
    Reduce {
        r: u8,
        op: Lop,
        x: u8,
    },
}

/// What a register holds at the end of a trip.
#[derive(Clone, Copy, Debug)]
enum Held {
    Sym(Sym),
    Lanes(Ext),
    /// The register's value at the top combined (`op`) with what its
    /// reduction's lanes gathered.
    Reduced(Lop),
}

/// A loop of one block that runs several trips at a time ([`Width::trips`]).
#[derive(Debug)]
pub(super) struct Shape {
    width: Width,
    steps: Vec<Step>,
    uniforms: Vec<Uniform>,
    /// The registers the block writes, and what they hold at its end.
    finals: Vec<(u8, Held)>,
    /// The back edge: its branch and operands.
    stay: (Op, Sym, Sym),
    /// Step of each induction register (0 for the others).
    step: [i64; 32],
    /// Instructions per trip.
    len: u64,
}

impl Shape {
    /// Whether the back edge is a `bne a, b` with `a` stepping up by a
    /// power of two and `b` the same every trip: its stepping side and its
    /// step (then the guard folds it into a limit on that register, see
    /// [`prove`]; otherwise the head tests it, see [`stays`]).
    fn folded_exit(&self) -> Option<(Sym, Sym, i64)> {
        let (op, a, b) = self.stay;
        let (a, b) = if a.iv == 0 { (b, a) } else { (a, b) };
        let s = self.step[a.iv as usize];
        (op == Op::Bne && a.iv != 0 && b.iv == 0 && s > 0 && (s as u64).is_power_of_two()).then_some((a, b, s))
    }
}

/// What the guard computed for the vector trips.
pub(super) struct Proof {
    /// Per induction register: the limit below which it may start a
    /// vector trip (bounds, overlaps and, folded in, the back edge).
    limits: Vec<(u8, Value)>,
    /// Each uniform as a scalar of the lanes' width and in every lane.
    uniforms: Vec<(Value, Value)>,
}

/// The shape of `blk` (the single block of `plan`'s loop, its back edge to
/// its own start) if it runs as vector trips; `step` gives the induction
/// registers' steps.
pub(super) fn shape(blk: &GuestBlock, plan: &Plan, step: [i64; 32]) -> Option<Shape> {
    let streamed = |pc: u64| plan.accesses.iter().any(|(_, pcs)| pcs.contains(&pc));
    let written: Vec<u8> = blk.insns.iter().map(|gi| gi.int_dest()).filter(|&r| r != 0).collect();
    // What each register holds relative to the top of the trip: a tracked
    // value, lanes, or (written later in the trip, so last trip's) nothing usable.
    let mut sym: [Option<Sym>; 32] = [None; 32];
    let mut lanes: [Option<Ext>; 32] = [None; 32];
    for r in 0..32u8 {
        if r == 0 || !written.contains(&r) {
            sym[r as usize] = Some(Sym::exact(r, 0, 0));
        } else if step[r as usize] != 0 {
            sym[r as usize] = Some(Sym::exact(0, r, 0));
        }
    }
    // The width of the loop's loads and stores (all alike).
    let widths = |ops: &[Op]| blk.insns.iter().any(|gi| ops.contains(&gi.insn.op));
    let found: Vec<Width> = [
        (Width::W8, &[Op::Lb, Op::Lbu, Op::Sb][..]),
        (Width::W16, &[Op::Lh, Op::Lhu, Op::Sh]),
        (Width::W32, &[Op::Lw, Op::Lwu, Op::Sw]),
        (Width::W64, &[Op::Ld, Op::Sd]),
    ]
    .into_iter()
    .filter(|(_, ops)| widths(ops))
    .map(|(w, _)| w)
    .collect();
    let [width] = found[..] else { return None };
    let trips = width.trips();
    // Consecutive lanes: the address steps by the width with an induction register.
    let consecutive = |s: Option<Sym>| s.filter(|s| s.span == 0 && s.iv != 0 && step[s.iv as usize] == width.bytes());
    // Reductions: a register written once, by `r = r op x` with `op` one
    // that reassociates (additions modulo 2^32 or 2^64, bitwise operations;
    // with 32-bit lanes `and`/`or`/`xor` of sign-extended lanes, since
    // they commute with sign extension). Any other read of it fails below
    // (it holds neither a tracked value nor lanes).
    let reduction = |gi: &crate::region::GuestInsn| -> Option<(u8, Lop, u8)> {
        let (i, r) = (gi.insn, gi.int_dest());
        let op = match (width, i.op) {
            (Width::W8 | Width::W16, _) => return None,
            (Width::W32, Op::Addw) | (Width::W64, Op::Add) => Lop::Add,
            (_, Op::Xor) => Lop::Xor,
            (_, Op::Or) => Lop::Or,
            (_, Op::And) => Lop::And,
            _ => return None,
        };
        let x = match (i.rs1 == r, i.rs2 == r) {
            (true, false) => i.rs2,
            (false, true) => i.rs1,
            _ => return None,
        };
        let once = blk.insns.iter().filter(|g| g.int_dest() == r).count() == 1;
        (r != 0 && step[r as usize] == 0 && once).then_some((r, op, x))
    };
    let mut steps = Vec::new();
    let mut reduced: Vec<(u8, Lop)> = Vec::new();
    let (last, body) = blk.insns.split_last()?;
    for gi in body {
        let i = gi.insn;
        let (a, b) = (i.rs1 as usize & 31, i.rs2 as usize & 31);
        let rd = gi.int_dest();
        if let Some((r, op, x)) = reduction(gi) {
            let ok = match width {
                Width::W32 if op != Lop::Add => lanes[x as usize] == Some(Ext::Sign),
                _ => lanes[x as usize].is_some(),
            };
            if !ok {
                return None;
            }
            steps.push(Step::Reduce { r, op, x });
            reduced.push((r, op));
            continue;
        }
        let src = |r: usize| match lanes[r] {
            Some(_) => Some(Src::Lanes(r as u8)),
            None => sym[r].filter(|s| s.span == 0 && s.iv == 0).map(|s| Src::Same(Uniform::Sym(s))),
        };
        let binary = |op: Lop, x: Option<Src>, y: Option<Src>| {
            let (x, y) = (x?, y?);
            (matches!(x, Src::Lanes(_)) || matches!(y, Src::Lanes(_))).then_some(Step::Op { rd, op, a: x, b: y })
        };
        let imm = Some(Src::Same(Uniform::Imm(i.imm)));
        // Shifts of lanes by an amount the same in every trip.
        let shift = |op: Shift, by: Option<Uniform>| {
            by.filter(|_| lanes[a].is_some()).map(|by| Step::Shift { rd, op, rs: a as u8, by })
        };
        let same = |r: usize| sym[r].filter(|s| lanes[r].is_none() && s.span == 0 && s.iv == 0).map(Uniform::Sym);
        let amount = Some(Uniform::Imm(i.imm & (8 * width.bytes() - 1)));
        let lane_op = match width {
            // 32-bit lanes: 32-bit operations with at least one operand in
            // lanes; bitwise ones keep sign-extended lanes sign-extended (an
            // immediate is sign-extended too), other 64-bit operations do not.
            Width::W32 => {
                let signed = |r: usize| lanes[r] == Some(Ext::Sign);
                match i.op {
                    Op::Addw => binary(Lop::Add, src(a), src(b)),
                    Op::Subw => binary(Lop::Sub, src(a), src(b)),
                    Op::Mulw => binary(Lop::Mul, src(a), src(b)),
                    Op::And if signed(a) && signed(b) => binary(Lop::And, src(a), src(b)),
                    Op::Or if signed(a) && signed(b) => binary(Lop::Or, src(a), src(b)),
                    Op::Xor if signed(a) && signed(b) => binary(Lop::Xor, src(a), src(b)),
                    Op::Addiw => binary(Lop::Add, src(a), imm),
                    Op::Andi if signed(a) => binary(Lop::And, src(a), imm),
                    Op::Ori if signed(a) => binary(Lop::Or, src(a), imm),
                    Op::Xori if signed(a) => binary(Lop::Xor, src(a), imm),
                    Op::Sllw => shift(Shift::Left, same(b)),
                    Op::Srlw => shift(Shift::Logical, same(b)),
                    Op::Sraw => shift(Shift::Arithmetic, same(b)),
                    Op::Slliw => shift(Shift::Left, amount),
                    Op::Srliw => shift(Shift::Logical, amount),
                    Op::Sraiw => shift(Shift::Arithmetic, amount),
                    _ => None,
                }
            }
            // 8-bit and 16-bit lanes hold a byte or halfword as its load
            // extended it: bitwise operations of lanes extended alike keep
            // that, as do immediates that fit it.
            Width::W8 | Width::W16 => {
                let bits = 8 * width.bytes();
                let fits = match (lanes[a], i.op) {
                    (Some(Ext::Zero), Op::Andi) => true,
                    (Some(Ext::Zero), _) => (0..1 << bits).contains(&i.imm),
                    (Some(Ext::Sign), _) => (-(1 << (bits - 1))..1 << (bits - 1)).contains(&i.imm),
                    _ => false,
                };
                let alike = lanes[a].is_some() && lanes[a] == lanes[b];
                match i.op {
                    Op::And if alike => binary(Lop::And, src(a), src(b)),
                    Op::Or if alike => binary(Lop::Or, src(a), src(b)),
                    Op::Xor if alike => binary(Lop::Xor, src(a), src(b)),
                    Op::Andi if fits => binary(Lop::And, src(a), imm),
                    Op::Ori if fits => binary(Lop::Or, src(a), imm),
                    Op::Xori if fits => binary(Lop::Xor, src(a), imm),
                    _ => None,
                }
            }
            // 64-bit lanes: the 64-bit operations.
            Width::W64 => match i.op {
                Op::Add => binary(Lop::Add, src(a), src(b)),
                Op::Sub => binary(Lop::Sub, src(a), src(b)),
                Op::Mul => binary(Lop::Mul, src(a), src(b)),
                Op::And => binary(Lop::And, src(a), src(b)),
                Op::Or => binary(Lop::Or, src(a), src(b)),
                Op::Xor => binary(Lop::Xor, src(a), src(b)),
                Op::Addi => binary(Lop::Add, src(a), imm),
                Op::Andi => binary(Lop::And, src(a), imm),
                Op::Ori => binary(Lop::Or, src(a), imm),
                Op::Xori => binary(Lop::Xor, src(a), imm),
                Op::Sll => shift(Shift::Left, same(b)),
                Op::Srl => shift(Shift::Logical, same(b)),
                Op::Sra => shift(Shift::Arithmetic, same(b)),
                Op::Slli => shift(Shift::Left, amount),
                Op::Srli => shift(Shift::Logical, amount),
                Op::Srai => shift(Shift::Arithmetic, amount),
                _ => None,
            },
        };
        if let Some(step) = lane_op {
            if rd != 0 {
                steps.push(step);
                lanes[rd as usize] = Some(match width {
                    Width::W8 | Width::W16 => lanes[a].expect("narrow lane operations take lanes first"),
                    Width::W32 => Ext::Sign,
                    Width::W64 => Ext::Full,
                });
                sym[rd as usize] = None;
            }
            continue;
        }
        match super::super::mem::access(i.op) {
            Some((_, false)) => {
                consecutive(sym[a]).filter(|_| streamed(gi.pc))?;
                if rd != 0 {
                    steps.push(Step::Load { rd, pc: gi.pc });
                    let ext = match i.op {
                        Op::Lb | Op::Lh | Op::Lw => Ext::Sign,
                        Op::Lbu | Op::Lhu | Op::Lwu => Ext::Zero,
                        _ => Ext::Full,
                    };
                    lanes[rd as usize] = Some(ext);
                    sym[rd as usize] = None;
                }
                continue;
            }
            Some((_, true)) => {
                consecutive(sym[a]).filter(|_| streamed(gi.pc))?;
                let v = src(b)?;
                steps.push(Step::Store { pc: gi.pc, v });
                continue;
            }
            None => {}
        }
        if i.op == Op::Addi && i.imm == 0 && lanes[a].is_some() {
            if rd != 0 {
                steps.push(Step::Copy { rd, rs: a as u8 });
                lanes[rd as usize] = lanes[a];
                sym[rd as usize] = None;
            }
            continue;
        }
        if rd == 0 {
            // Only a `nop` writes nothing and is not a store or a branch.
            if i.op != Op::Addi {
                return None;
            }
            continue;
        }
        // Address arithmetic: a value the same in every trip, or stepping.
        let s = super::transfer(&sym, gi).filter(|s| s.span == 0)?;
        sym[rd as usize] = Some(s);
        lanes[rd as usize] = None;
    }
    // The back edge: a branch to the block's start comparing tracked values.
    let l = last.insn;
    if !l.op.is_branch() || last.pc.wrapping_add(l.imm as u64) != blk.start {
        return None;
    }
    let operand = |r: u8| match lanes[r as usize & 31] {
        Some(_) => None,
        None => sym[r as usize & 31].filter(|s| s.span == 0),
    };
    let stay = (l.op, operand(l.rs1)?, operand(l.rs2)?);
    let mut finals = Vec::new();
    for r in 1..32u8 {
        if written.contains(&r) {
            let held = match (lanes[r as usize], reduced.iter().find(|x| x.0 == r)) {
                (_, Some(&(_, op))) => Held::Reduced(op),
                (Some(e), None) => Held::Lanes(e),
                (None, None) => Held::Sym(sym[r as usize]?),
            };
            finals.push((r, held));
        }
    }
    // (A loop without a store has nothing to gain; the head's budget test
    // must fit the meter.)
    let len = blk.insns.len() as u64;
    if !steps.iter().any(|s| matches!(s, Step::Store { .. })) || blk.check? + (trips as u64 - 1) * len > MAX_BUDGET {
        return None;
    }
    let mut uniforms = Vec::new();
    for st in &steps {
        let (a, b) = match *st {
            Step::Store { v, .. } => (Some(v), None),
            Step::Op { a, b, .. } => (Some(a), Some(b)),
            Step::Shift { by, .. } => (Some(Src::Same(by)), None),
            _ => (None, None),
        };
        for u in [a, b].into_iter().flatten().filter_map(|x| match x {
            Src::Same(u) => Some(u),
            Src::Lanes(_) => None,
        }) {
            if !uniforms.contains(&u) {
                uniforms.push(u);
            }
        }
    }
    Some(Shape { width, steps, uniforms, finals, stay, step, len })
}

/// In the guard, with each streamed access's host address (as the guard
/// computed it) and the bounds: the limits below which induction registers
/// may start a vector trip, and the uniforms.
pub(super) fn prove(
    lx: &mut Lx<'_, '_>,
    shape: &Shape,
    plan: &Plan,
    hosts: &[Value],
    bounds: &[(u8, i64, Value)],
) -> Proof {
    let trips = shape.width.trips();
    // Do two streams' accesses in a vector trip overlap where one stores?
    // (Each covers its size plus trips - 1 steps.)
    let extent = |a: &super::Access| (trips - 1) * shape.step[a.at.iv as usize].abs() + a.size as i64;
    let mut apart: Option<Value> = None;
    for (x, (ax, _)) in plan.accesses.iter().enumerate() {
        for (y, (ay, _)) in plan.accesses.iter().enumerate().skip(x + 1) {
            if !ax.write && !ay.write {
                continue;
            }
            // d = hx - hy; apart if d >= extent y or -d >= extent x, or if
            // d == 0 with the sizes alike (the same bytes in each trip).
            let (ex, ey) = (extent(ax), extent(ay));
            let d = lx.ins().isub(hosts[x], hosts[y]);
            let shifted = lx.ins().iadd_imm_s(d, ex - 1);
            let clear = lx.ins().icmp_imm_s(IntCC::UnsignedGreaterThanOrEqual, shifted, ex + ey - 1);
            let ok = if ax.size == ay.size {
                let same = lx.ins().icmp_imm_s(IntCC::Equal, d, 0);
                lx.ins().bor(clear, same)
            } else {
                clear
            };
            apart = Some(and(lx, apart, ok));
        }
    }
    let zero = lx.iconst(0);
    let mut limits: Vec<(u8, Value)> = bounds
        .iter()
        .map(|&(r, step, bound)| {
            // bound - (trips - 1) * step + 1, where the bound leaves room for that (it
            // is at most u64::MAX - step, so this does not wrap upwards).
            let reach = (trips - 1) * step;
            let room = lx.ins().icmp_imm_s(IntCC::UnsignedGreaterThanOrEqual, bound, reach);
            let ok = and(lx, apart, room);
            let lim = lx.ins().iadd_imm_s(bound, 1 - reach);
            (r, lx.ins().select(ok, lim, zero))
        })
        .collect();
    // A back edge `bne a, b` with `a` stepping up by a power of two and `b`
    // the same every trip is taken in the trips of a vector trip exactly
    // while the distance from `a` to `b` is a multiple of the step and at
    // least as many steps: a limit on `a`'s register, from the distance here.
    if let Some((a, b, s)) = shape.folded_exit() {
        let (va, vb) = (value(lx, a), value(lx, b));
        let d = lx.ins().isub(vb, va);
        let low = lx.ins().band_imm_s(d, s - 1);
        let multiple = lx.ins().icmp_imm_s(IntCC::Equal, low, 0);
        let far = lx.ins().icmp_imm_s(IntCC::UnsignedGreaterThanOrEqual, d, trips * s);
        let ok = lx.ins().band(multiple, far);
        let iv = lx.x(a.iv);
        let at = lx.ins().iadd(iv, d);
        let lim = lx.ins().iadd_imm_s(at, 1 - trips * s);
        // (Wrapping past the top leaves a limit too low: fewer vector trips, never more.)
        let lim = lx.ins().select(ok, lim, zero);
        match limits.iter_mut().find(|l| l.0 == a.iv) {
            Some(l) => l.1 = lx.ins().umin(l.1, lim),
            None => limits.push((a.iv, lim)),
        }
    }
    let uniforms = shape
        .uniforms
        .iter()
        .map(|&u| {
            let (w, ty) = (shape.width.scalar(), shape.width.vector());
            let v = match u {
                Uniform::Sym(s) => {
                    let v = value(lx, s);
                    if w == I64 {
                        v
                    } else {
                        lx.ins().ireduce(w, v)
                    }
                }
                Uniform::Imm(k) => lx.ins().iconst(w, k),
            };
            (v, lx.ins().splat(ty, v))
        })
        .collect();
    Proof { limits, uniforms }
}

fn and(lx: &mut Lx<'_, '_>, a: Option<Value>, b: Value) -> Value {
    match a {
        Some(a) => lx.ins().band(a, b),
        None => b,
    }
}

/// The vector trips (from the current block, the head after the guard):
/// the head's test, the vector trip, its own head and the way out to
/// `scalar` (the scalar head, which the caller fills in). `reach` is the
/// header's deadline check, `cycles` the modeled cost of a trip.
pub(super) fn lower(
    lx: &mut Lx<'_, '_>,
    shape: &Shape,
    plan: &Plan,
    g: &Guarded,
    proof: &Proof,
    reach: u64,
    cycles: u64,
    scalar: Block,
) {
    let (trip, again, settle) = (lx.b.create_block(), lx.b.create_block(), lx.b.create_block());
    let (ty, parts, trips) = (shape.width.vector(), shape.width.parts(), shape.width.trips());
    // Reductions gather in lanes from their identity on (the register
    // keeps its value from the top of the first vector trip).
    let mut sums: Vec<(u8, Lop, Variable)> = Vec::new();
    for &(r, h) in &shape.finals {
        if let Held::Reduced(op) = h {
            let var = lx.b.declare_var(ty);
            let k = lx.ins().iconst(shape.width.scalar(), if op == Lop::And { -1 } else { 0 });
            let identity = lx.ins().splat(ty, k);
            lx.b.def_var(var, identity);
            sums.push((r, op, var));
        }
    }
    let sum = |r: u8| sums.iter().find(|x| x.0 == r).expect("a reduction").2;
    test(lx, shape, proof, reach, trip, scalar);

    // The trip: loads, lane operations and stores of its trips; induction
    // registers and the meter stepped as often. What else the last trip
    // leaves in registers only matters on the way out (the next trip
    // writes those registers before it reads them).
    lx.b.switch_to_block(trip);
    lx.dirty = [false; 32];
    lx.local = [None; 32];
    let flags = lx.guest_flags();
    // Lane values by register, one host register per part: trips 0..3 in
    // the first of two (32-bit lanes), trips 0..1 in the first of four.
    let mut held: HashMap<u8, Vec<Value>> = HashMap::new();
    let uniform = |u: Uniform| proof.uniforms[shape.uniforms.iter().position(|&x| x == u).expect("a uniform")];
    let operand = |held: &HashMap<u8, Vec<Value>>, s: Src| match s {
        Src::Lanes(r) => held[&r].clone(),
        Src::Same(u) => vec![uniform(u).1; parts],
    };
    let offset = |p: usize| (p as i64 * VECTOR_BYTES) as i32;
    for &s in &shape.steps {
        match s {
            Step::Load { rd, pc } => {
                let at = super::top_address(lx, plan, g, pc);
                let v = (0..parts).map(|p| lx.ins().load(ty, flags, at, offset(p))).collect();
                held.insert(rd, v);
            }
            Step::Store { pc, v } => {
                let v = operand(&held, v);
                let at = super::top_address(lx, plan, g, pc);
                for (p, v) in v.into_iter().enumerate() {
                    lx.ins().store(flags, v, at, offset(p));
                }
            }
            Step::Copy { rd, rs } => {
                let v = held[&rs].clone();
                held.insert(rd, v);
            }
            Step::Reduce { r, op, x } => {
                let mut acc = lx.b.use_var(sum(r));
                for &v in &held[&x] {
                    acc = lop(lx, op, acc, v);
                }
                lx.b.def_var(sum(r), acc);
            }
            Step::Op { rd, op, a, b } => {
                let (x, y) = (operand(&held, a), operand(&held, b));
                let v = (0..parts).map(|p| lop(lx, op, x[p], y[p])).collect();
                held.insert(rd, v);
            }
            Step::Shift { rd, op, rs, by } => {
                // (Cranelift shifts lanes by the amount modulo their width,
                // as the guest's shifts do.)
                let k = uniform(by).0;
                let v = held[&rs]
                    .iter()
                    .map(|&x| match op {
                        Shift::Left => lx.ins().ishl(x, k),
                        Shift::Logical => lx.ins().ushr(x, k),
                        Shift::Arithmetic => lx.ins().sshr(x, k),
                    })
                    .collect();
                held.insert(rd, v);
            }
        }
    }
    let mut vars = Vec::new();
    let mut stepped = Vec::new();
    for &(r, h) in &shape.finals {
        match h {
            Held::Lanes(ext) => {
                let var = lx.b.declare_var(ty);
                lx.b.def_var(var, held[&r][parts - 1]);
                vars.push((r, ext, var));
            }
            Held::Sym(_) if shape.step[r as usize] != 0 => {
                let x = lx.x(r);
                stepped.push((r, lx.ins().iadd_imm_s(x, trips * shape.step[r as usize])));
            }
            Held::Sym(_) | Held::Reduced(_) => {}
        }
    }
    for (r, v) in stepped {
        lx.set_x(r, v);
    }
    let m = lx.b.use_var(lx.meter);
    let m = Meter::advance(lx.b, m, trips as u64 * cycles, trips as u64 * shape.len);
    lx.b.def_var(lx.meter, m);
    lx.sync_dirty();
    lx.b.ins().jump(again, &[]);

    // After a vector trip: another, or the registers as its last trip
    // left them and on to the scalar head.
    lx.b.switch_to_block(again);
    lx.local = [None; 32];
    test(lx, shape, proof, reach, trip, settle);
    lx.b.switch_to_block(settle);
    lx.dirty = [false; 32];
    let mut out = Vec::new();
    for &(r, ext, var) in &vars {
        let v = lx.b.use_var(var);
        let w = lx.ins().extractlane(v, (shape.width.lanes() - 1) as u8);
        out.push((
            r,
            match ext {
                Ext::Sign => lx.ins().sextend(I64, w),
                Ext::Zero => lx.ins().uextend(I64, w),
                Ext::Full => w,
            },
        ));
    }
    for &(r, op, var) in &sums {
        // The lanes folded together, then into the register.
        let v = lx.b.use_var(var);
        let mut h = lx.ins().extractlane(v, 0);
        for k in 1..shape.width.lanes() {
            let lane = lx.ins().extractlane(v, k as u8);
            h = lop(lx, op, h, lane);
        }
        let top = lx.x(r);
        let value = match (shape.width, op) {
            (Width::W64, _) => lop(lx, op, top, h),
            // `addw`: the low 32 bits, sign-extended.
            (Width::W32, Lop::Add) => {
                let low = lx.ins().ireduce(types::I32, top);
                let sum = lx.ins().iadd(low, h);
                lx.ins().sextend(I64, sum)
            }
            // (`and`, `or`, `xor` of sign-extended 32-bit lanes: only 32-bit
            // and 64-bit lanes reduce.)
            _ => {
                let wide = lx.ins().sextend(I64, h);
                lop(lx, op, top, wide)
            }
        };
        out.push((r, value));
    }
    for &(r, h) in &shape.finals {
        if let Held::Sym(s) = h {
            if shape.step[r as usize] == 0 {
                // Induction registers have stepped once per trip: one step back
                // is where the last trip's value stood.
                let v = value(lx, s);
                out.push((r, lx.ins().iadd_imm_s(v, -shape.step[s.iv as usize])));
            }
        }
    }
    for (r, v) in out {
        lx.set_x(r, v);
    }
    lx.sync_dirty();
    lx.b.ins().jump(scalar, &[]);
    lx.local = [None; 32];
    lx.dirty = [false; 32];
}

/// Whether the next trips may run as a vector trip: the budget covers
/// them past the header's check for `reach`, every induction register is
/// below its limit, and (unless folded into the limits) the back edge is
/// taken in each.
/// Ends the current block: to `pass` if so, else to `fail`. The limits
/// come first, on their own: where the guard found that no vector trip can
/// run (a limit of 0), a trip of the scalar loop pays one compare.
fn test(lx: &mut Lx<'_, '_>, shape: &Shape, proof: &Proof, reach: u64, pass: Block, fail: Block) {
    let mut within = None;
    for &(r, lim) in &proof.limits {
        let x = lx.x(r);
        let ok = lx.ins().icmp(IntCC::UnsignedLessThan, x, lim);
        within = Some(and(lx, within, ok));
    }
    if let Some(within) = within {
        let rest = lx.b.create_block();
        lx.b.ins().brif(within, rest, &[], fail, &[]);
        lx.b.switch_to_block(rest);
    }
    let m = lx.b.use_var(lx.meter);
    let trips = shape.width.trips();
    let short = Meter::short_of(lx.b, m, reach + (trips as u64 - 1) * shape.len);
    let mut all = lx.ins().bxor_imm_s(short, 1);
    if shape.folded_exit().is_none() {
        let taken = stays(lx, shape, trips);
        all = lx.ins().band(all, taken);
    }
    lx.b.ins().brif(all, pass, &[], fail, &[]);
}

/// Whether the back edge is taken in each of the next `trips` trips.
fn stays(lx: &mut Lx<'_, '_>, shape: &Shape, trips: i64) -> Value {
    let (op, a, b) = shape.stay;
    let (sa, sb) = (shape.step[a.iv as usize], shape.step[b.iv as usize]);
    let (va, vb) = (value(lx, a), value(lx, b));
    let last = |lx: &mut Lx<'_, '_>, v: Value, s: i64| lx.ins().iadd_imm_s(v, (trips - 1) * s);
    match (op, sa, sb) {
        // One side steps by a power of two: `x + j s != y` for j < trips
        // unless the distance from x to y (in the direction of the step)
        // is a multiple of s below trips steps.
        (Op::Bne, s, 0) | (Op::Bne, 0, s) if s.unsigned_abs().is_power_of_two() => {
            let (x, y) = if sa != 0 { (va, vb) } else { (vb, va) };
            let d = if s > 0 { lx.ins().isub(y, x) } else { lx.ins().isub(x, y) };
            let k = s.unsigned_abs() as i64;
            let off = lx.ins().band_imm_s(d, k - 1);
            let misses = lx.ins().icmp_imm_s(IntCC::NotEqual, off, 0);
            let far = lx.ins().icmp_imm_s(IntCC::UnsignedGreaterThanOrEqual, d, trips * k);
            lx.ins().bor(misses, far)
        }
        // An ordered comparison with one side stepping (without wrapping
        // around in these trips) is monotone: taken in the first trip and
        // in the last, it is taken in all.
        (Op::Blt | Op::Bge | Op::Bltu | Op::Bgeu, s, 0) | (Op::Blt | Op::Bge | Op::Bltu | Op::Bgeu, 0, s) if s != 0 => {
            let signed = matches!(op, Op::Blt | Op::Bge);
            let (v, end) = if sa != 0 { (va, last(lx, va, s)) } else { (vb, last(lx, vb, s)) };
            let up = match (signed, s > 0) {
                (false, true) => IntCC::UnsignedGreaterThanOrEqual,
                (false, false) => IntCC::UnsignedLessThanOrEqual,
                (true, true) => IntCC::SignedGreaterThanOrEqual,
                (true, false) => IntCC::SignedLessThanOrEqual,
            };
            let no_wrap = lx.ins().icmp(up, end, v);
            let first = lx.ins().icmp(branch_cc(op), va, vb);
            let (ea, eb) = if sa != 0 { (end, vb) } else { (va, end) };
            let at_end = lx.ins().icmp(branch_cc(op), ea, eb);
            let both = lx.ins().band(first, at_end);
            lx.ins().band(both, no_wrap)
        }
        // Otherwise trip by trip.
        _ => {
            let mut all = lx.ins().iconst(types::I8, 1);
            for j in 0..trips {
                let x = lx.ins().iadd_imm_s(va, j * sa);
                let y = lx.ins().iadd_imm_s(vb, j * sb);
                let taken = lx.ins().icmp(branch_cc(op), x, y);
                all = lx.ins().band(all, taken);
            }
            all
        }
    }
}

/// `x op y`, lane-wise or scalar.
fn lop(lx: &mut Lx<'_, '_>, op: Lop, x: Value, y: Value) -> Value {
    match op {
        Lop::Add => lx.ins().iadd(x, y),
        Lop::Sub => lx.ins().isub(x, y),
        Lop::Mul => lx.ins().imul(x, y),
        Lop::And => lx.ins().band(x, y),
        Lop::Or => lx.ins().bor(x, y),
        Lop::Xor => lx.ins().bxor(x, y),
    }
}
