//! Random loops for the streamed copies of optimised code (`lower::stream`):
//! loops of one block or of three (entered in the middle, with a skip
//! test), walking memory through pointer registers of random steps (up and
//! down, some misaligned), through an index added to an invariant base and
//! through table lookups (a loaded byte, masked and scaled, added to one),
//! before and after the steps (through addresses from before or after them),
//! with random loads and stores of every size, over random data in the
//! middle of RAM or running off its end (the trap ends the program). Each
//! program runs in lockstep on the interpreter and on the optimising tier.
//!
//! A second campaign makes loops for vector trips (`lower::stream::vector`):
//! loads, lane operations and stores of 32-bit (or 64-bit, 8-bit, 16-bit)
//! values through one to three streams stepping by their size: pointers,
//! or an index added to a
//! base, stepped anywhere in the block; some streams overlap others by a
//! few words (and, under Sv39, through two mappings of one page), some are
//! misaligned, some loops have an operation that is not lane-wise, some
//! sum (or `xor`, `or`, `and`) a value across trips, and they count up,
//! down, by the index or with `bltu`.
//!
//! The test command runs 60 seeds of the first campaign and 150 of the
//! second; `MKJIT_RANDOM_SEEDS=N` (and `MKJIT_RANDOM_FIRST_SEED=S`) run a
//! longer campaign.

mod common;

use common::{boot, random_campaign, Rng, RAM};
use mkjit_runtime::devices::{finisher::exit_value, FINISHER_BASE};
use mkjit_runtime::elfgen::ElfBuilder;
use mkjit_runtime::isa::encode::Asm;
use mkjit_runtime::isa::reg::*;
use mkjit_runtime::isa::IsaTable;
use mkjit_runtime::machine::Machine;

const BASE: u64 = 0x8000_0000;
/// Data in the middle of RAM, and at its end (M-mode).
const MID: u64 = BASE + 0x40_0000;
const END: u64 = BASE + RAM - 0x2000;
const AREA: u64 = 0x2000;

/// Pointer registers, the index register, the invariant bases.
const PTRS: [u8; 3] = [S0, S1, S2];
const INDEX: u8 = S3;
const INVS: [u8; 2] = [S4, S5];
const OUTER: u8 = S6;
const OUTER_END: u8 = S7;
const COUNT: u8 = A0;
const LIMIT: u8 = A1;
const ACC: u8 = A2;
const SKIP: u8 = A3;

/// Data registers of lane loops, their address register, and registers
/// that hold the same value in every trip (the last a shift amount).
const DATA: [u8; 5] = [T0, T1, T2, A4, A5];
const ADDR: u8 = T3;
const SAME: [u8; 3] = [A6, A7, S8];
/// The register some lane loops sum (or otherwise reduce) into.
const SUM: u8 = S10;

#[derive(Clone, Copy, Debug)]
enum Via {
    Ptr(usize),
    /// `t0 = invariant + index`.
    Indexed(usize),
    Inv(usize),
    /// A table lookup: `t0 = invariant + ((byte at the pointer ^ acc) & mask) << shift`,
    /// or with `(acc & mask) ^ byte` as the index (bounded by the xor of bounded values).
    Table(usize, usize, i64, i64, bool),
    /// `t4 = invariant + index`, computed before the loop's steps (an access
    /// after them through an address from before them).
    Early(usize),
}

#[derive(Clone, Copy, Debug)]
struct Access {
    load: bool,
    size: u64,
    via: Via,
    imm: i64,
}

#[derive(Clone, Debug)]
struct LoopDesc {
    three_blocks: bool,
    /// Start address and step of each pointer.
    ptrs: Vec<(u64, i64)>,
    index: (i64, i64),
    invs: Vec<u64>,
    trips: i64,
    /// Count down to zero instead of up to the limit.
    down: bool,
    skip: i64,
    body: Vec<Access>,
    /// Three blocks: accesses in the latch too, and a pointer stepped in the
    /// body instead (so not on the skip path: where the paths meet, its
    /// offset from the top of the loop is unknown).
    latch_body: Vec<Access>,
    body_steps: Option<usize>,
    /// Accesses after the steps (through pointers already stepped).
    tail: Vec<Access>,
}

/// A random loop over the data at `areas` (the first most often).
fn random_loop(rng: &mut Rng, areas: &[u64]) -> LoopDesc {
    let area = if areas.len() > 1 && rng.chance(20) { areas[1] } else { areas[0] };
    let addr = |rng: &mut Rng| {
        let off = rng.below(AREA) & if rng.chance(10) { !0 } else { !7 };
        area + off
    };
    let nptrs = 1 + rng.below(3) as usize;
    let ptrs = (0..nptrs).map(|_| (addr(rng), rng.pick(&[1, 2, 4, 8, 8, -4, -8, 16]))).collect();
    let invs = (0..2).map(|_| addr(rng)).collect();
    let index = (rng.below(AREA / 2) as i64 & !7, rng.pick(&[4, 8, -8]));
    let n = 1 + rng.below(6) as usize;
    let access = |rng: &mut Rng| {
        let via = match rng.below(5) {
            0 => Via::Indexed(rng.below(2) as usize),
            1 => Via::Inv(rng.below(2) as usize),
            2 => Via::Table(
                rng.below(2) as usize,
                rng.below(nptrs as u64) as usize,
                rng.pick(&[0x3f, 0xff, 0x1ff]),
                rng.pick(&[0, 2, 3]),
                rng.chance(50),
            ),
            _ => Via::Ptr(rng.below(nptrs as u64) as usize),
        };
        Access { load: rng.chance(60), size: rng.pick(&[1, 2, 4, 8]), via, imm: rng.below(17) as i64 * 8 - 64 }
    };
    let body = (0..n).map(|_| access(rng)).collect();
    let latch_body = (0..rng.below(3)).map(|_| access(rng)).collect();
    let body_steps = rng.chance(50).then(|| rng.below(nptrs as u64) as usize);
    let tail = (0..rng.below(3))
        .map(|_| {
            let mut x = access(rng);
            if rng.chance(30) {
                x.via = Via::Early(rng.below(2) as usize);
            }
            x
        })
        .collect();
    LoopDesc {
        three_blocks: rng.chance(40),
        ptrs,
        index,
        invs,
        trips: rng.below(300) as i64,
        down: rng.chance(30),
        skip: rng.below(40) as i64,
        body,
        latch_body,
        body_steps,
        tail,
    }
}

/// One loop of a program.
#[derive(Clone, Debug)]
enum Loop {
    Streams(LoopDesc),
    Lanes(LaneLoop),
}

/// How a lane loop counts its trips.
#[derive(Clone, Copy, Debug)]
enum LaneExit {
    /// `count` from 0 up, `bne count, limit`.
    Up,
    /// `count` down to 0, `bne count, limit`.
    Down,
    /// `bne index, limit`, the index stepping by the width.
    Index,
    /// `count` from 0 up, `bltu count, limit`.
    Below,
    /// `count` from 0 up, `bge count, limit` with `limit` from 2 to 11 (one
    /// trip: taken in the last of eight trips but not in the first when
    /// `limit` is 8).
    Once,
    /// `count` from -k up, `bgeu count, limit` with `limit` = 8 - k (k < 8):
    /// taken until `count` wraps to 0 (in the first and the eighth trip
    /// alike when the guard's distance allows eight).
    Wraps,
}

/// A loop for vector trips (see the module's documentation).
#[derive(Clone, Debug)]
struct LaneLoop {
    /// Start of each stream, and whether a pointer walks it (else the
    /// index added to the invariant base of the same number).
    streams: Vec<(u64, bool)>,
    index: i64,
    trips: i64,
    exit: LaneExit,
    /// The block's instructions before its back edge: (mnemonic, rd, rs1,
    /// rs2, imm); the steps go before instruction `steps_at`.
    body: Vec<(&'static str, u8, u8, u8, i64)>,
    steps_at: usize,
    same: [i64; 3],
    /// Bytes per access and step: 4 (`lw`, `sw`, 32-bit operations) or 8
    /// (`ld`, `sd`, 64-bit operations).
    width: i64,
}

/// A random lane loop over streams starting at `areas` (offsets within AREA,
/// or right next to another stream).
fn random_lane_loop(rng: &mut Rng, areas: &[u64]) -> LaneLoop {
    // Bytes per access (4 most often).
    let w: i64 = rng.pick(&[4, 4, 4, 8, 8, 1, 2]);
    let (wide, narrow) = (w == 8, w < 4);
    let narrow_signed = rng.chance(50);
    let store = ["sb", "sh", "sw", "sd"][w.trailing_zeros() as usize];
    let load = |signed: bool| match w {
        1 => ["lbu", "lb"][signed as usize],
        2 => ["lhu", "lh"][signed as usize],
        4 => ["lwu", "lw"][signed as usize],
        _ => "ld",
    };
    let mut streams: Vec<(u64, bool)> = Vec::new();
    for k in 0..1 + rng.below(3) as usize {
        let start = if k > 0 && rng.chance(25) {
            // Overlapping another stream by a few words, or a few bytes.
            let (other, _) = streams[rng.below(k as u64) as usize];
            let by = if rng.chance(75) { (rng.below(11) as i64 - 5) * w } else { rng.below(9) as i64 - 4 };
            other.wrapping_add(by as u64)
        } else {
            let area = areas[rng.below(areas.len() as u64) as usize];
            // Half of them a little before the end of the area's first page
            // (the next one is mapped; past the area's end most often not).
            let off = match rng.chance(50) {
                true => rng.below(AREA),
                false => 0x1000 - rng.below(0x300),
            };
            area + (off & if rng.chance(10) { !0 } else { !(w as u64 - 1) })
        };
        streams.push((start, k == 2 || rng.chance(60)));
    }
    let n = streams.len() as u64;
    let mut body = Vec::new();
    // Data registers written so far in the trip, and whether sign-extended.
    let mut defined: Vec<(u8, bool)> = Vec::new();
    // Each stream's accesses mostly at one offset: at another, a store and
    // an access a word or two apart depend on each other from trip to trip
    // (then the loop runs scalar trips).
    let offset = |rng: &mut Rng| rng.pick(&[0, 0, w, -w, 2 * w, 3 * w, w / 2]);
    let fixed: Vec<i64> = (0..n).map(|_| offset(rng)).collect();
    let address = |rng: &mut Rng, body: &mut Vec<_>| {
        let k = rng.below(n) as usize;
        let off = if rng.chance(10) { offset(rng) } else { fixed[k] };
        if streams[k].1 {
            (PTRS[k], off)
        } else {
            body.push(("add", ADDR, INVS[k], INDEX, 0));
            (ADDR, off)
        }
    };
    let insns = 2 + rng.below(9);
    // Some loops have an operation that is not lane-wise.
    let scalar_only = rng.chance(15);
    // The register an operation wrote last (stores favour it).
    let mut computed: Option<u8> = None;
    for i in 0..insns {
        let pick_src = |rng: &mut Rng, defined: &[(u8, bool)]| {
            if defined.is_empty() || rng.chance(20) {
                (rng.pick(&SAME[..2]), true)
            } else {
                defined[rng.below(defined.len() as u64) as usize]
            }
        };
        let rd = rng.pick(&DATA);
        let kind = if defined.is_empty() { rng.below(2) } else { rng.below(10) };
        if kind == 0 || i + 1 == insns {
            // A store of a data register (the last written, most often, and
            // always last in the block), zero or an invariant.
            let v = match computed.filter(|r| defined.iter().any(|d| d.0 == *r)).or(defined.last().map(|d| d.0)) {
                Some(r) if i + 1 == insns || rng.chance(50) => r,
                Some(_) if rng.chance(60) => pick_src(rng, &defined).0,
                _ => rng.pick(&[ZERO, A6]),
            };
            let (base, off) = address(rng, &mut body);
            body.push((store, 0, base, v, off));
            continue;
        }
        defined.retain(|d| d.0 != rd);
        match kind {
            1..=3 => {
                let (base, off) = address(rng, &mut body);
                // (Narrow loads extend alike in most loops: bitwise operations
                // combine lanes extended alike only.)
                let signed = wide || if narrow && rng.chance(80) { narrow_signed } else { rng.chance(80) };
                body.push((load(signed), rd, base, 0, off));
                defined.push((rd, signed));
                continue;
            }
            _ if defined.is_empty() || (kind == 9 && !scalar_only) => {
                // (Nothing to operate on yet: a load instead.)
                let (base, off) = address(rng, &mut body);
                body.push((load(true), rd, base, 0, off));
                defined.push((rd, true));
            }
            4..=8 => {
                // The first operand in lanes (the last computed, often); the
                // second in lanes or the same every trip.
                let (a, sa) = match computed.and_then(|c| defined.iter().find(|d| d.0 == c)) {
                    Some(&d) if rng.chance(50) => d,
                    _ => defined[rng.below(defined.len() as u64) as usize],
                };
                computed = Some(rd);
                let (b, sb) = pick_src(rng, &defined);
                let op = match w {
                    4 => rng.pick(&[
                        "addw", "subw", "mulw", "sllw", "srlw", "sraw", "and", "or", "xor", "addiw", "slliw", "srliw",
                        "sraiw", "andi", "ori", "xori", "mv",
                    ]),
                    8 => rng.pick(&[
                        "add", "sub", "mul", "sll", "srl", "sra", "and", "or", "xor", "addi", "slli", "srli", "srai",
                        "andi", "ori", "xori", "mv",
                    ]),
                    // Bytes and halves are moved and combined bitwise.
                    _ => rng.pick(&["and", "or", "xor", "andi", "ori", "xori", "mv"]),
                };
                let bits = 8 * w;
                let imm = match op {
                    "slliw" | "srliw" | "sraiw" | "slli" | "srli" | "srai" => rng.below(bits as u64) as i64,
                    // (Narrow lanes: mostly immediates that fit the lane.)
                    _ if narrow && rng.chance(80) => {
                        let half = (1i64 << (bits - 1)).min(2048);
                        match sa {
                            true => rng.below(2 * half as u64) as i64 - half,
                            false => rng.below((2 * half).min(2048) as u64) as i64,
                        }
                    }
                    _ => rng.below(4096) as i64 - 2048,
                };
                let signed = match op {
                    "and" | "or" | "xor" => sa && sb,
                    "andi" | "ori" | "xori" | "mv" => sa,
                    _ => true,
                };
                match op {
                    // The shift amount: an invariant.
                    "sllw" | "srlw" | "sraw" | "sll" | "srl" | "sra" => body.push((op, rd, a, SAME[2], 0)),
                    "addiw" | "slliw" | "srliw" | "sraiw" | "andi" | "ori" | "xori" | "addi" | "slli" | "srli"
                    | "srai" => body.push((op, rd, a, 0, imm)),
                    "mv" => body.push(("addi", rd, a, 0, 0)),
                    // (Bitwise operations of lanes and the same value every
                    // trip are not lane-wise: in lanes both.)
                    "and" | "or" | "xor" => {
                        let (b, sb) = defined[rng.below(defined.len() as u64) as usize];
                        body.push((op, rd, a, b, 0));
                        defined.push((rd, sa && sb));
                        continue;
                    }
                    _ => body.push((op, rd, a, b, 0)),
                }
                defined.push((rd, signed));
            }
            _ => {
                // Not a lane operation (the loop then runs scalar trips only).
                let (a, _) = pick_src(rng, &defined);
                let op = match w {
                    4 => rng.pick(&["add", "mul", "sub"]),
                    _ => rng.pick(&["addw", "mulw", "sllw"]),
                };
                body.push((op, rd, a, a, 0));
                defined.push((rd, false));
            }
        }
    }
    // A reduction of a data register into SUM (read nowhere else).
    if let Some(&(x, _)) = defined.last().filter(|_| rng.chance(40)) {
        let op = rng.pick(if wide { &["add", "xor", "or", "and"] } else { &["addw", "xor", "or", "and"] });
        let (a, b) = if rng.chance(50) { (SUM, x) } else { (x, SUM) };
        body.push((op, SUM, a, b, 0));
        if rng.chance(20) {
            // Read elsewhere too (no reduction then: the stores need every trip's sum).
            let (base, off) = address(rng, &mut body);
            body.push((store, 0, base, SUM, off));
        }
    }
    let steps_at = rng.below(body.len() as u64 + 1) as usize;
    LaneLoop {
        streams,
        index: rng.below(AREA / w as u64) as i64 * w - AREA as i64 / 2,
        trips: 1 + rng.below(300) as i64,
        exit: rng.pick(&[
            LaneExit::Up,
            LaneExit::Down,
            LaneExit::Index,
            LaneExit::Below,
            LaneExit::Up,
            LaneExit::Down,
            LaneExit::Index,
            LaneExit::Below,
            LaneExit::Once,
            LaneExit::Wraps,
        ]),
        body,
        steps_at,
        same: [rng.bits() as i64, rng.bits() as i64, rng.bits() as i64],
        width: w,
    }
}

/// A lane loop's setup and code (a loop of one block, entered at its top).
fn emit_lane_loop(a: &mut Asm, d: &LaneLoop, labels: [i64; 3]) -> [i64; 3] {
    let indexed: Vec<usize> = (0..d.streams.len()).filter(|&k| !d.streams[k].1).collect();
    for (k, &(start, ptr)) in d.streams.iter().enumerate() {
        // An indexed stream starts at base + index.
        a.li(if ptr { PTRS[k] } else { INVS[k] }, (start as i64).wrapping_sub(if ptr { 0 } else { d.index }));
    }
    for (r, v) in SAME.iter().zip(d.same) {
        a.li(*r, v);
    }
    a.li(SUM, d.same[0] ^ d.same[1] << 7);
    a.li(INDEX, d.index);
    match d.exit {
        LaneExit::Up | LaneExit::Below => a.li(COUNT, 0).li(LIMIT, d.trips),
        LaneExit::Once => a.li(COUNT, 0).li(LIMIT, d.trips % 10 + 2),
        LaneExit::Wraps => a.li(COUNT, -(d.trips % 7 + 1)).li(LIMIT, 8 - (d.trips % 7 + 1)),
        LaneExit::Down => a.li(COUNT, d.trips).li(LIMIT, 0),
        LaneExit::Index => a.li(LIMIT, d.index + d.width * d.trips),
    };
    let top = a.here();
    let _ = labels;
    for (i, &(op, rd, rs1, rs2, imm)) in d.body.iter().chain([("", 0, 0, 0, 0)].iter()).enumerate() {
        if i == d.steps_at {
            for (k, &(_, ptr)) in d.streams.iter().enumerate() {
                if ptr {
                    a.emit("addi", PTRS[k], PTRS[k], 0, d.width);
                }
            }
            if !indexed.is_empty() || matches!(d.exit, LaneExit::Index) {
                a.emit("addi", INDEX, INDEX, 0, d.width);
            }
            match d.exit {
                LaneExit::Up | LaneExit::Below | LaneExit::Once | LaneExit::Wraps => a.emit("addi", COUNT, COUNT, 0, 1),
                LaneExit::Down => a.emit("addi", COUNT, COUNT, 0, -1),
                LaneExit::Index => a,
            };
        }
        if !op.is_empty() {
            a.emit(op, rd, rs1, rs2, imm);
        }
    }
    match d.exit {
        LaneExit::Up | LaneExit::Down => branch(a, "bne", COUNT, LIMIT, top),
        LaneExit::Index => branch(a, "bne", INDEX, LIMIT, top),
        LaneExit::Below => branch(a, "bltu", COUNT, LIMIT, top),
        LaneExit::Once => branch(a, "bge", COUNT, LIMIT, top),
        LaneExit::Wraps => branch(a, "bgeu", COUNT, LIMIT, top),
    }
    // What the loop left in its data registers and its sum, into the accumulator.
    for r in DATA.into_iter().chain([SUM]) {
        a.emit("add", ACC, ACC, r, 0);
        a.emit("slli", T4, ACC, 0, 5);
        a.emit("xor", ACC, ACC, T4, 0);
    }
    [0, 0, 0]
}

/// Branches from here to `to`.
fn branch(a: &mut Asm, op: &str, rs1: u8, rs2: u8, to: i64) {
    let here = a.here();
    a.emit(op, 0, rs1, rs2, to - here);
}

/// The loop's setup and code; `labels` are this loop's (latch, test, done)
/// from the previous pass; returns this pass's.
fn emit_loop(a: &mut Asm, d: &LoopDesc, labels: [i64; 3]) -> [i64; 3] {
    for (k, &(start, _)) in d.ptrs.iter().enumerate() {
        a.li(PTRS[k], start as i64);
    }
    for (k, &base) in d.invs.iter().enumerate() {
        a.li(INVS[k], base as i64);
    }
    a.li(INDEX, d.index.0);
    if d.down {
        a.li(COUNT, d.trips);
        a.li(LIMIT, 0);
    } else {
        a.li(COUNT, 0);
        a.li(LIMIT, d.trips);
    }
    a.li(SKIP, d.skip);
    let step = if d.down { -1 } else { 1 };
    let accesses = |a: &mut Asm, list: &[Access]| {
        for x in list {
            let reg = match x.via {
                Via::Ptr(k) => PTRS[k],
                Via::Inv(k) => INVS[k],
                Via::Early(_) => T4,
                Via::Indexed(k) => {
                    a.emit("add", T0, INVS[k], INDEX, 0);
                    T0
                }
                Via::Table(k, p, mask, shift, mask_first) => {
                    a.emit("lbu", T2, PTRS[p], 0, 0);
                    if mask_first {
                        a.emit("andi", T3, ACC, 0, mask);
                        a.emit("xor", T2, T2, T3, 0);
                    } else {
                        a.emit("xor", T2, T2, ACC, 0);
                        a.emit("andi", T2, T2, 0, mask);
                    }
                    a.emit("slli", T2, T2, 0, shift);
                    a.emit("add", T0, INVS[k], T2, 0);
                    T0
                }
            };
            let (l, s) = match x.size {
                1 => ("lbu", "sb"),
                2 => ("lh", "sh"),
                4 => ("lw", "sw"),
                _ => ("ld", "sd"),
            };
            if x.load {
                a.emit(l, T1, reg, 0, x.imm);
                a.emit("add", ACC, ACC, T1, 0);
                a.emit("slli", T1, ACC, 0, 7);
                a.emit("xor", ACC, ACC, T1, 0);
            } else {
                a.emit(s, 0, reg, ACC, x.imm);
            }
        }
    };
    let late = if d.three_blocks { d.body_steps } else { None };
    let steps = |a: &mut Asm| {
        for x in &d.tail {
            if let Via::Early(k) = x.via {
                a.emit("add", T4, INVS[k], INDEX, 0);
            }
        }
        for (k, &(_, st)) in d.ptrs.iter().enumerate().filter(|&(k, _)| Some(k) != late) {
            a.emit("addi", PTRS[k], PTRS[k], 0, st);
        }
        a.emit("addi", INDEX, INDEX, 0, d.index.1);
        a.emit("addi", COUNT, COUNT, 0, step);
    };
    if !d.three_blocks {
        // while (count != limit) { body; steps }
        let [_, _, done] = labels;
        branch(a, "beq", COUNT, LIMIT, done);
        let top = a.here();
        accesses(a, &d.body);
        steps(a);
        accesses(a, &d.tail);
        branch(a, "bne", COUNT, LIMIT, top);
        let d = a.here();
        [0, 0, d]
    } else {
        // goto test; latch: latch accesses; steps; if (count == limit) goto done;
        // test: if (count == skip) goto latch; body; [a late step]; goto latch
        let [latch, test, done] = labels;
        branch(a, "beq", COUNT, LIMIT, done);
        branch(a, "jal", 0, 0, test);
        let l = a.here();
        accesses(a, &d.latch_body);
        steps(a);
        accesses(a, &d.tail);
        branch(a, "beq", COUNT, LIMIT, done);
        let t = a.here();
        branch(a, "beq", SKIP, COUNT, latch);
        accesses(a, &d.body);
        if let Some(k) = late {
            a.emit("addi", PTRS[k], PTRS[k], 0, d.ptrs[k].1);
        }
        branch(a, "jal", 0, 0, latch);
        let e = a.here();
        [l, t, e]
    }
}

/// The loops, three times over, then `end`; assembled until the labels
/// settle, from `prologue`'s end.
fn assemble(t: &IsaTable, prologue: impl Fn(&mut Asm), loops: &[Loop], end: impl Fn(&mut Asm)) -> Vec<u8> {
    let mut labels = vec![[0i64; 3]; loops.len()];
    let mut outer = 0;
    for _ in 0..4 {
        let mut a = Asm::new(t);
        prologue(&mut a);
        a.li(ACC, 0x1234_5678);
        a.li(OUTER, 0);
        a.li(OUTER_END, 3);
        let top = a.here();
        let next: Vec<[i64; 3]> = loops
            .iter()
            .zip(&labels)
            .map(|(d, &l)| match d {
                Loop::Streams(d) => emit_loop(&mut a, d, l),
                Loop::Lanes(d) => emit_lane_loop(&mut a, d, l),
            })
            .collect();
        a.emit("addi", OUTER, OUTER, 0, 1);
        branch(&mut a, "bne", OUTER, OUTER_END, top);
        end(&mut a);
        if next == labels && top == outer {
            return a.code;
        }
        labels = next;
        outer = top;
    }
    panic!("labels do not settle");
}

/// Ends the run with exit 0 (the state is what the engines are compared on).
fn finish(a: &mut Asm) {
    a.li(T3, FINISHER_BASE as i64).li(T4, exit_value(0) as i64).emit("sw", 0, T3, T4, 0);
}

/// M-mode: a trap handler that ends the run, then the loops.
fn m_program(t: &IsaTable, loops: &[Loop]) -> Vec<u8> {
    let prologue = |a: &mut Asm| {
        a.emit("auipc", T0, 0, 0, 0);
        a.emit("addi", T0, T0, 0, 16);
        a.emit("csrrw", 0, T0, 0, 0x305); // mtvec
        a.emit("jal", 0, 0, 0, 32 - 12); // over the handler, to 32
        finish(a);
        while a.here() < 32 {
            a.emit("addi", 0, 0, 0, 0);
        }
    };
    ElfBuilder::new(BASE, assemble(t, prologue, loops, finish)).build()
}

/// Two machines booted from [`m_program`] for `loops`, with the same
/// random data around MID and at END.
fn m_machines(t: &IsaTable, rng: &mut Rng, loops: &[Loop]) -> (Machine, Machine) {
    let elf = m_program(t, loops);
    let mid: Vec<u8> = (0..AREA + 0x200).map(|_| rng.bits() as u8).collect();
    let end: Vec<u8> = (0..AREA).map(|_| rng.bits() as u8).collect();
    let (mut a, mut b) = (boot(&elf), boot(&elf));
    for m in [&mut a, &mut b] {
        m.bus.ram.slice_mut(MID - 0x100, mid.len() as u64).expect("in RAM").copy_from_slice(&mid);
        m.bus.ram.slice_mut(END, end.len() as u64).expect("in RAM").copy_from_slice(&end);
    }
    (a, b)
}

/// U-mode under Sv39: the data pages of VA_DATA are scattered in physical
/// memory, with unmapped pages on both sides.
const VA: u64 = 0x4000_0000;
const VA_DATA: u64 = VA + 0x10000;
const U_AREA: u64 = 0x4000;
const DATA_PAGES: [u64; 4] = [0x20000, 0x1e000, 0x21000, 0x1f000];
/// Where the second data page is mapped again.
const VA_ALIAS: u64 = VA_DATA + 0x6000;
const ROOT: u64 = 0x8000;
const L1: u64 = 0x9000;
const L0: u64 = 0xa000;

/// M-mode boots the loops in U-mode; any trap (the loops' `ecall` at the
/// end, or a page fault) ends the run.
fn u_program(t: &IsaTable, loops: &[Loop], data: &[u8]) -> Vec<u8> {
    let mut img = vec![0u8; 0x22000];
    let mut a = Asm::new(t);
    a.li(T0, -1);
    a.emit("csrrw", 0, T0, 0, 0x3b0); // pmpaddr0: everything
    a.li(T0, 0x1f);
    a.emit("csrrw", 0, T0, 0, 0x3a0); // pmpcfg0: NAPOT, RWX
    a.li(T0, (BASE + 0x800) as i64);
    a.emit("csrrw", 0, T0, 0, 0x305); // mtvec
    a.li(T0, ((8u64 << 60) | (BASE + ROOT) >> 12) as i64);
    a.emit("csrrw", 0, T0, 0, 0x180); // satp
    a.emit("sfence.vma", 0, 0, 0, 0);
    a.li(T0, VA as i64);
    a.emit("csrrw", 0, T0, 0, 0x341); // mepc (MPP is U after reset)
    a.emit("mret", 0, 0, 0, 0);
    img[..a.code.len()].copy_from_slice(&a.code);
    let mut h = Asm::new(t);
    finish(&mut h);
    img[0x800..0x800 + h.code.len()].copy_from_slice(&h.code);
    let u = assemble(
        t,
        |_| {},
        loops,
        |a| {
            a.emit("ecall", 0, 0, 0, 0);
        },
    );
    img[0x1000..0x1000 + u.len()].copy_from_slice(&u);
    let put = |img: &mut Vec<u8>, at: u64, v: u64| img[at as usize..at as usize + 8].copy_from_slice(&v.to_le_bytes());
    put(&mut img, ROOT + 8, ((BASE + L1) >> 12) << 10 | 1);
    put(&mut img, L1, ((BASE + L0) >> 12) << 10 | 1);
    for k in 0..(u.len() as u64).div_ceil(0x1000) {
        // Code: R, X, U, A, V.
        put(&mut img, L0 + 8 * k, ((BASE + 0x1000 + 0x1000 * k) >> 12) << 10 | 0x5b);
    }
    for (k, &pa) in DATA_PAGES.iter().enumerate() {
        // Data: R, W, U, A, D, V.
        put(&mut img, L0 + 8 * (0x10 + k as u64), ((BASE + pa) >> 12) << 10 | 0xd7);
        img[pa as usize..pa as usize + 0x1000].copy_from_slice(&data[k * 0x1000..(k + 1) * 0x1000]);
    }
    // A second mapping of the second data page, apart from the others.
    put(&mut img, L0 + 8 * (VA_ALIAS - VA) / 0x1000, ((BASE + DATA_PAGES[1]) >> 12) << 10 | 0xd7);
    ElfBuilder::new(BASE, img).build()
}

#[test]
fn random_streamed_loops_agree_with_the_interpreter() {
    // A longer campaign: MKJIT_RANDOM_SEEDS=3000 cargo test --release -p mkjit-translator --test random_streamed_loops
    let t = IsaTable::core();
    random_campaign(60, 3000, 1, |rng| {
        if rng.chance(50) {
            let loops: Vec<Loop> =
                (0..1 + rng.below(3)).map(|_| Loop::Streams(random_loop(rng, &[MID, END]))).collect();
            m_machines(&t, rng, &loops)
        } else {
            let loops: Vec<Loop> =
                (0..1 + rng.below(3)).map(|_| Loop::Streams(random_loop(rng, &[VA_DATA + 0x800]))).collect();
            let data: Vec<u8> = (0..U_AREA).map(|_| rng.bits() as u8).collect();
            let elf = u_program(&t, &loops, &data);
            (boot(&elf), boot(&elf))
        }
    });
}

#[test]
fn random_lane_loops_agree_with_the_interpreter() {
    // A longer campaign: MKJIT_RANDOM_SEEDS=3000 cargo test --release -p mkjit-translator --test random_streamed_loops
    let t = IsaTable::core();
    let c = random_campaign(150, 3000, 1, |rng| {
        if rng.chance(50) {
            let loops: Vec<Loop> =
                (0..1 + rng.below(3)).map(|_| Loop::Lanes(random_lane_loop(rng, &[MID, MID, END]))).collect();
            m_machines(&t, rng, &loops)
        } else {
            let areas = [VA_DATA, VA_DATA + 0x1000, VA_DATA + 0x2000, VA_ALIAS];
            let loops: Vec<Loop> = (0..1 + rng.below(3)).map(|_| Loop::Lanes(random_lane_loop(rng, &areas))).collect();
            let data: Vec<u8> = (0..U_AREA).map(|_| rng.bits() as u8).collect();
            let elf = u_program(&t, &loops, &data);
            (boot(&elf), boot(&elf))
        }
    });
    if mkjit_translator::lower::host_runs_vector_trips() {
        assert!(c.vector_loops >= 10, "only {} loops compiled with vector trips", c.vector_loops);
    }
}
