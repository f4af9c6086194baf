//! Random floating-point streams: F and D rows only, drawn from the encoding
//! table, on operands that sit at the edges the JIT's host fast paths must
//! recognise (results that overflow, underflow, round to the smallest normal
//! or are exact; zeros of both signs, subnormals, infinities, quiet and
//! signalling NaNs, badly boxed singles; conversions at and beyond the
//! integer ranges) and on ordinary numbers (half of the values), mostly with
//! round-to-nearest-even and with `fflags.NX` already set in half of the
//! programs, so many instructions meet the conditions of a fast path and the
//! rest fall back to SoftFloat; now and then the program clears `fflags` or
//! sets `frm` (reserved modes too: a trap handler skips the instruction that
//! then traps). Every iteration reloads all f registers from a table of such
//! values. A directed test runs each edge case with `fflags` = NX and = 0, and
//! a dependent chain in one block; another runs windows of deferred checks
//! (optimised code) whose first result is exceptional and whose later ones
//! hide it. Each
//! program runs in lockstep on the interpreter and the JIT, comparing `f`,
//! `x` and `fcsr` at every stop. The test command runs 40 seeds;
//! `MKJIT_RANDOM_SEEDS=N` (and `MKJIT_RANDOM_FIRST_SEED=S`) run more.

mod common;

use common::{jit, lockstep_machines, random_campaign, twins_with};
use mkjit_runtime::elfgen::ElfBuilder;
use mkjit_runtime::isa::encode::Asm;
use mkjit_runtime::isa::format::F_RD;
use mkjit_runtime::isa::random::{corner_value, random_fields, stream_kind, Rng, StreamKind};
use mkjit_runtime::isa::reg::*;
use mkjit_runtime::isa::table::IsaSet;
use mkjit_runtime::isa::{Fields, InsnDef, IsaTable};
use mkjit_runtime::machine::Outcome;
use mkjit_translator::engine::{Jit, JitStats};

const BASE: u64 = 0x8000_0000;
/// The f register values, 32 doublewords at BASE + 1 MiB (x8 points at them).
const DATA: u64 = BASE + 0x10_0000;
const LOOP: u8 = 30;
/// Registers random instructions must not write.
const RESERVED: [u8; 3] = [SP, S0, LOOP];

/// A double at an edge of some fast-path condition, or a random normal one.
fn double(rng: &mut Rng) -> u64 {
    let min_normal = f64::MIN_POSITIVE;
    // Half of them ordinary numbers, on which the fast paths run.
    let v: f64 = match if rng.chance(50) { 99 } else { rng.below(20) } {
        0 => 0.0,
        1 => -0.0,
        2 => f64::INFINITY,
        3 => f64::NEG_INFINITY,
        4 => return 0x7ff8_0000_0000_0000,           // quiet NaN
        5 => return 0x7ff0_0000_0000_0001,           // signalling NaN
        6 => f64::from_bits(1 + rng.below(1 << 52)), // subnormal
        7 => min_normal * (1.0 + rng.below(5) as f64 / 4.0),
        8 => f64::MAX / (1.0 + rng.below(3) as f64),
        9 => 2f64.powi(31) - rng.below(3) as f64 * 0.5,
        10 => -(2f64.powi(31)) - rng.below(3) as f64 * 0.5,
        11 => 2f64.powi(63) * (1.0 - rng.below(2) as f64 * f64::EPSILON),
        12 => 2f64.powi(64) * (1.0 - rng.below(2) as f64 * f64::EPSILON),
        13 => -(2f64.powi(63)),
        14 => -0.5 * rng.below(4) as f64,
        15 => 2f64.powi(32) - 0.5 * rng.below(3) as f64,
        16 => (rng.below(2001) as f64 - 1000.0) / 8.0,
        17 => 1e-300 * (1.0 + rng.below(100) as f64),
        18 => 1e300 * (1.0 + rng.below(100) as f64),
        // Times 2·MIN_NORMAL: MIN_NORMAL·(1 - 2^-53), which rounds up to
        // MIN_NORMAL and is tiny (underflow) before rounding.
        19 => 0.5 - 2f64.powi(-54),
        _ => {
            // A random normal number of moderate magnitude and either sign.
            let exp = 1023 - 40 + rng.below(80);
            return (rng.below(2) << 63) | (exp << 52) | (rng.bits() >> 12);
        }
    };
    v.to_bits()
}

/// A NaN-boxed single at an edge, or (rarely) a badly boxed one.
fn single(rng: &mut Rng) -> u64 {
    let min_normal = f32::MIN_POSITIVE;
    let bits = match if rng.chance(50) { 99 } else { rng.below(17) } {
        0 => 0.0f32.to_bits(),
        1 => (-0.0f32).to_bits(),
        2 => f32::INFINITY.to_bits(),
        3 => f32::NEG_INFINITY.to_bits(),
        4 => 0x7fc0_0000,
        5 => 0x7f80_0001,
        6 => 1 + rng.below(1 << 23) as u32,
        7 => (min_normal * (1.0 + rng.below(5) as f32 / 4.0)).to_bits(),
        8 => (f32::MAX / (1.0 + rng.below(3) as f32)).to_bits(),
        9 => (2f32.powi(31) * (1.0 - rng.below(2) as f32 * f32::EPSILON)).to_bits(),
        10 => (-(2f32.powi(31))).to_bits(),
        11 => (2f32.powi(32) * (1.0 - rng.below(2) as f32 * f32::EPSILON)).to_bits(),
        12 => (-0.5f32 * rng.below(4) as f32).to_bits(),
        13 => ((rng.below(2001) as f32 - 1000.0) / 8.0).to_bits(),
        14 => (1e-37f32 * (1.0 + rng.below(100) as f32)).to_bits(),
        16 => (0.5f32 - 2f32.powi(-25)).to_bits(),
        15 => return double(rng) & 0x7fff_ffff_ffff, // not NaN-boxed
        _ => {
            let exp = 127 - 20 + rng.below(40) as u32;
            ((rng.below(2) as u32) << 31) | (exp << 23) | (rng.bits() as u32 >> 9)
        }
    };
    bits as u64 | 0xffff_ffff_0000_0000
}

/// An integer operand for conversions: corner values and integers just
/// beyond what a single or a double holds exactly.
fn integer(rng: &mut Rng) -> i64 {
    match rng.below(4) {
        0 => (1i64 << 24) + rng.below(3) as i64,
        1 => (1i64 << 53) + rng.below(3) as i64,
        _ => corner_value(rng) as i64,
    }
}

/// Operands for F/D row `d`: f registers anywhere, integer destinations
/// outside [`RESERVED`], `rm` mostly RNE (static or dynamic), sometimes RTZ or another mode.
fn operands(t: &IsaTable, d: &InsnDef, rng: &mut Rng) -> Option<u32> {
    for _ in 0..4000 {
        let mut f: Fields = random_fields(rng);
        f.rs3 = rng.below(32) as u8;
        f.imm = rng.pick(&[0, 0, 0, 7, 7, 7, 1, 1, 2, 3, 4]);
        let fregs = d.format.fregs();
        if fregs & F_RD == 0 && RESERVED.contains(&f.rd) {
            continue;
        }
        if let Ok(w) = t.encode(d.name, f) {
            return Some(w);
        }
    }
    None
}

/// One random program: `n` F/D instructions after a reload of every f
/// register from the value table, `iterations` times.
fn program(t: &IsaTable, rng: &mut Rng, n: usize, iterations: i64) -> Vec<u8> {
    let rows: Vec<&InsnDef> = t
        .rows()
        .iter()
        .filter(|d| matches!(d.set, IsaSet::F | IsaSet::D) && stream_kind(d) == Some(StreamKind::Plain))
        .collect();
    let mut a = Asm::new(t);
    // At BASE + 4, the trap handler: skips the instruction (a dynamic rounding
    // mode while `frm` holds a reserved one raises illegal-instruction).
    a.emit("jal", 0, 0, 0, 20);
    a.emit("csrrs", T0, 0, 0, 0x341);
    a.emit("addi", T0, T0, 0, 4);
    a.emit("csrrw", 0, T0, 0, 0x341);
    a.emit("mret", 0, 0, 0, 0);
    a.li(T0, BASE as i64 + 4);
    a.emit("csrrw", 0, T0, 0, 0x305);
    // FS Dirty; frm RNE three times in four; NX set in half of the programs.
    a.li(5, 3 << 13);
    a.emit("csrrs", 0, 5, 0, 0x300);
    let frm = if rng.chance(75) { 0 } else { rng.below(5) as i64 };
    let nx = rng.below(2) as i64;
    a.li(5, frm << 5 | nx);
    a.emit("csrrw", 0, 5, 0, 0x003);
    for r in 1..32u8 {
        if !RESERVED.contains(&r) {
            a.li(r, integer(rng));
        }
    }
    a.li(S0, DATA as i64);
    a.li(LOOP, iterations);
    let body = a.here();
    for r in 0..32u8 {
        a.emit("fld", r, S0, 0, 8 * r as i64);
    }
    let mut count = 0;
    while count < n {
        // Now and then: clear fflags, or set frm (reserved modes included).
        if rng.chance(4) {
            match rng.below(2) {
                0 => a.emit("csrrwi", 0, 0, 0, 0x001),
                _ => a.emit("csrrwi", 0, rng.pick(&[0, 0, 0, 1, 2, 3, 4, 5, 7]), 0, 0x002),
            };
        }
        let d = rows[rng.below(rows.len() as u64) as usize];
        let Some(w) = operands(t, d, rng) else { continue };
        a.code.extend_from_slice(&w.to_le_bytes());
        count += 1;
    }
    a.emit("addi", LOOP, LOOP, 0, -1);
    let here = a.here();
    a.emit("bne", 0, LOOP, 0, body - here);
    a.pass_fail(5, 6);
    ElfBuilder::new(BASE, a.code).build()
}

#[test]
fn random_float_streams_agree_with_the_interpreter() {
    let t = IsaTable::core();
    random_campaign(40, 3000, 4, |rng| {
        let n = 20 + rng.below(100) as usize;
        let iterations = 8 + rng.below(40) as i64;
        let elf = program(&t, rng, n, iterations);
        let values: Vec<u8> =
            (0..32).flat_map(|_| (if rng.below(2) == 0 { double(rng) } else { single(rng) }).to_le_bytes()).collect();
        twins_with(&elf, DATA, &values)
    });
}

/// One directed case: mnemonic, whether it writes an integer register, and
/// the bits of `rs1`, `rs2`, `rs3`.
type Case = (&'static str, bool, u64, u64, u64);

/// Edges of the fast paths' conditions and of `fclass`'s classes.
fn edge_cases() -> Vec<Case> {
    let d = |v: f64| v.to_bits();
    let s = |v: f32| v.to_bits() as u64 | 0xffff_ffff_0000_0000;
    let (mind, mins) = (f64::MIN_POSITIVE, f32::MIN_POSITIVE);
    let (below_half_d, below_half_s) = (0.5 - 2f64.powi(-54), 0.5 - 2f32.powi(-25));
    let mut cases = vec![
        // Rounds up to the smallest normal: tiny before rounding (underflow).
        ("fmul.d", false, d(2.0 * mind), d(below_half_d), 0),
        ("fmul.s", false, s(2.0 * mins), s(below_half_s), 0),
        ("fmadd.d", false, d(2.0 * mind), d(below_half_d), d(0.0)),
        ("fmul.d", false, d(1.5 * mind), d(0.75), 0),
        ("fmul.d", false, d(4.0 * mind), d(0.75), 0),
        ("fadd.d", false, d(f64::MAX), d(f64::MAX), 0),
        ("fadd.s", false, s(f32::MAX), s(f32::MAX), 0),
        ("fdiv.d", false, d(1.0), d(0.0), 0),
        ("fsqrt.d", false, d(-1.0), 0, 0),
        ("fmul.d", false, d(0.0), d(f64::INFINITY), 0),
        ("fadd.d", false, d(1.0), d(2f64.powi(-60)), 0),
        ("fsub.d", false, d(1.0), d(1.0), 0),
        ("fnmsub.d", false, d(3.0), d(0.5), d(1.0)),
        ("fnmadd.s", false, s(3.0), s(0.5), s(1.0)),
        ("fadd.s", false, d(1.0), s(1.0), 0),
        ("fcvt.s.d", false, d(1e300), 0, 0),
        ("fcvt.s.d", false, d(1e-300), 0, 0),
        ("fcvt.s.d", false, d(0.1), 0, 0),
        ("fcvt.d.s", false, 0xffff_ffff_7f80_0001, 0, 0),
        ("fcvt.d.s", false, s(0.1), 0, 0),
        ("fcvt.wu.d", true, d(-1.5), 0, 0),
        ("fcvt.wu.d", true, d(-0.5), 0, 0),
        ("fcvt.lu.d", true, d(-1.0), 0, 0),
        ("fcvt.w.d", true, d(2f64.powi(31) - 0.5), 0, 0),
        ("fcvt.w.d", true, d(2f64.powi(31)), 0, 0),
        ("fcvt.w.d", true, d(-(2f64.powi(31)) - 0.5), 0, 0),
        ("fcvt.l.d", true, d(2f64.powi(63)), 0, 0),
        ("fcvt.l.d", true, d(-(2f64.powi(63))), 0, 0),
        ("fcvt.lu.d", true, d(2f64.powi(64)), 0, 0),
        ("fcvt.lu.d", true, d(2f64.powi(64) - 2048.0), 0, 0),
        ("fcvt.wu.s", true, s(-1.5), 0, 0),
        ("fcvt.w.s", true, s(2f32.powi(31)), 0, 0),
        ("fcvt.l.d", true, d(f64::NAN), 0, 0),
        ("feq.d", true, d(f64::NAN), d(1.0), 0),
        ("flt.d", true, d(f64::NAN), d(1.0), 0),
        ("fle.s", true, s(1.0), s(1.0), 0),
        ("fmin.d", false, d(-0.0), d(0.0), 0),
        ("fmax.s", false, s(-0.0), s(0.0), 0),
        ("fmax.d", false, 0x7ff0_0000_0000_0001, d(1.0), 0),
    ];
    // fclass on both sides of every class boundary, both signs.
    let (inf_d, quiet_d) = (0x7ff0_0000_0000_0000u64, 0x7ff8_0000_0000_0000u64);
    let (inf_s, quiet_s) = (0x7f80_0000u64, 0x7fc0_0000u64);
    let box_s = |b: u64| b | 0xffff_ffff_0000_0000;
    for bits in [0, 1, (1 << 52) - 1, 1 << 52, d(1.0), inf_d - 1, inf_d, inf_d + 1, quiet_d - 1, quiet_d] {
        for sign in [0, 1 << 63] {
            cases.push(("fclass.d", true, bits | sign, 0, 0));
        }
    }
    for bits in [0, 1, (1 << 23) - 1, 1 << 23, inf_s - 1, inf_s, inf_s + 1, quiet_s - 1, quiet_s] {
        for sign in [0, 1 << 31] {
            cases.push(("fclass.s", true, box_s(bits | sign), 0, 0));
        }
    }
    // Not NaN-boxed: reads as the canonical NaN.
    cases.push(("fclass.s", true, d(1.0), 0, 0));
    // Ordinary operands (also those of the dependent chain that follows).
    cases.push(("fadd.d", false, d(1.25), d(3.0e-3), 0));
    cases
}

#[test]
fn fast_path_edges_agree_with_the_interpreter() {
    let t = IsaTable::core();
    let cases = edge_cases();
    // S0 and S1 step through the operands (24 bytes a case) and the results (32).
    let elf = directed_program(&t, |a| {
        // Each case twice: with fflags = NX (the fast path may run) and fflags = 0
        // (a rounded operation must not; an exact conversion may).
        for &(name, int_rd, ..) in &cases {
            for (pass, start) in [T2, ZERO].into_iter().enumerate() {
                let out = 16 * pass as i64;
                a.emit("csrrw", 0, start, 0, 0x001);
                for r in 0..3u8 {
                    a.emit("fld", 1 + r, S0, 0, 8 * r as i64);
                }
                let rm = if name.starts_with("fcvt.w") || name.starts_with("fcvt.l") { 1 } else { 0 };
                let no_rm = ["feq", "flt", "fle", "fmin", "fmax"].iter().any(|p| name.starts_with(p));
                let rd = if int_rd { A0 } else { 4 };
                let f = Fields { rd, rs1: 1, rs2: 2, rs3: 3, imm: if no_rm { 0 } else { rm } };
                let w = t.encode(name, f).unwrap_or_else(|e| panic!("{name}: {e}"));
                a.code.extend_from_slice(&w.to_le_bytes());
                a.emit("csrrs", T3, 0, 0, 0x001);
                a.emit("sd", 0, S1, T3, out);
                a.emit(if int_rd { "sd" } else { "fsd" }, 0, S1, rd, out + 8);
            }
            a.emit("addi", S0, S0, 0, 24);
            a.emit("addi", S1, S1, 0, 32);
        }
        // A dependent chain on the last case's operands (each result feeds the
        // next instruction in the same block, fast path or not).
        // Every register of the chain holds a loaded value first (what the block
        // knows of a register must follow each write to it).
        for r in 4..=11u8 {
            a.emit("fld", r, S0, 0, -24 + 8 * (r as i64 % 2));
        }
        for (k, (name, rd, rs1, rs2)) in [
            ("fadd.d", 4, 1, 2),
            ("fmul.d", 5, 4, 4),
            ("fsub.d", 6, 5, 4),
            ("fdiv.d", 7, 6, 5),
            ("fcvt.s.d", 8, 7, 0),
            ("fmul.s", 9, 8, 8),
            ("fcvt.d.s", 10, 9, 0),
            ("fadd.d", 11, 10, 7),
        ]
        .into_iter()
        .enumerate()
        {
            let f = Fields { rd, rs1, rs2, rs3: 0, imm: 0 };
            let w = t.encode(name, f).unwrap_or_else(|e| panic!("{name}: {e}"));
            a.code.extend_from_slice(&w.to_le_bytes());
            a.emit("fsd", 0, S1, rd, 8 * k as i64);
        }
    });
    let operands: Vec<u8> = cases.iter().flat_map(|&(_, _, x, y, z)| [x, y, z]).flat_map(u64::to_le_bytes).collect();
    agree_in_lockstep(&elf, &operands, jit);
}

/// A directed test's program: `fcsr` = NX (so rounded fast paths may run),
/// then `body` 40 times, with S0 and S1 at the operands and the results
/// at the start of each time; T2 holds 1 (NX) throughout.
fn directed_program(t: &IsaTable, body: impl FnOnce(&mut Asm)) -> Vec<u8> {
    let mut a = Asm::new(t);
    a.li(T0, 3 << 13);
    a.emit("csrrs", 0, T0, 0, 0x300);
    a.li(T2, 1); // fflags = NX, frm = RNE
    a.emit("csrrw", 0, T2, 0, 0x003);
    a.li(LOOP, 40);
    let top = a.here();
    a.li(S0, DATA as i64);
    a.li(S1, DATA as i64 + 0x2000);
    body(&mut a);
    a.emit("addi", LOOP, LOOP, 0, -1);
    // (The body is longer than a branch reaches.)
    a.emit("beq", 0, LOOP, 0, 8);
    let here = a.here();
    a.emit("jal", 0, 0, 0, top - here);
    a.pass_fail(T0, T1);
    ElfBuilder::new(BASE, a.code).build()
}

/// Runs `elf` with `operands` at DATA in lockstep with the interpreter on
/// the JIT `make` returns for a threshold, 3 seeds (stopping at random
/// points); most instructions must run compiled. Returns the JITs' counters.
fn agree_in_lockstep(elf: &[u8], operands: &[u8], make: impl Fn(u32) -> Jit) -> Vec<JitStats> {
    (1..=3u64)
        .map(|seed| {
            let (ma, mb) = twins_with(elf, DATA, operands);
            let mut j = make(seed as u32);
            let r = lockstep_machines(ma, mb, &mut j, 1_000_000, [2000, 7000, 100_000][seed as usize - 1], seed)
                .unwrap_or_else(|e| panic!("{e}"));
            assert_eq!(r.outcome, Outcome::Exit(0));
            let s = j.jit_stats();
            assert!(
                r.jit_clock * 2 > r.insns,
                "most instructions ran compiled ({} of {}): {s:?}",
                r.jit_clock,
                r.insns
            );
            s
        })
        .collect()
}

/// One window of deferred checks: the bits of `f1`, `f2`, `f3`, then
/// dependent instructions (mnemonic, rd, rs1, rs2, rs3) with no store
/// between them (optimised code checks them all where the run ends).
type WindowCase = ([u64; 3], &'static [(&'static str, u8, u8, u8, u8)]);

/// Runs whose first result is exceptional while what a later instruction
/// makes of it is not (so only a check of the first result catches it).
fn window_cases() -> Vec<WindowCase> {
    let d = |v: f64| v.to_bits();
    let s = |v: f32| v.to_bits() as u64 | 0xffff_ffff_0000_0000;
    let tiny = f64::MIN_POSITIVE;
    vec![
        // Overflows to infinity, then divides: x / inf is zero.
        ([d(1e300), d(1e300), d(3.0)], &[("fmul.d", 4, 1, 2, 0), ("fdiv.d", 5, 3, 4, 0)]),
        ([s(1e30), s(1e30), s(3.0)], &[("fmul.s", 4, 1, 2, 0), ("fdiv.s", 5, 3, 4, 0)]),
        // Underflows (inexact), then is added to a normal number.
        ([d(tiny), d(0.3), d(1.0)], &[("fmul.d", 4, 1, 2, 0), ("fadd.d", 5, 4, 3, 0)]),
        // Invalid (a NaN), then dropped by fmin, or spread by an add.
        ([d(f64::INFINITY), d(f64::INFINITY), d(1.0)], &[("fsub.d", 4, 1, 2, 0), ("fmin.d", 5, 4, 3, 0)]),
        ([d(-1.0), d(2.0), d(1.0)], &[("fsqrt.d", 4, 1, 0, 0), ("fadd.d", 5, 4, 3, 0)]),
        // Overflows in single precision, then widens (exactly: no flags).
        ([s(3e38), s(3e38), 0], &[("fadd.s", 4, 1, 2, 0), ("fcvt.d.s", 5, 4, 0, 0)]),
        // Divides by zero, then overwritten by an exact result.
        ([d(1.0), d(0.0), d(2.0)], &[("fdiv.d", 4, 1, 2, 0), ("fsgnj.d", 4, 3, 3, 0), ("fmul.d", 5, 4, 3, 0)]),
        // Ordinary: every check passes, through a sign injection and a move.
        (
            [d(1.25), d(3.0e-3), d(-7.5)],
            &[("fmul.d", 4, 1, 2, 0), ("fsgnjn.d", 5, 4, 3, 0), ("fmadd.d", 6, 5, 1, 3), ("fsqrt.d", 7, 1, 0, 0)],
        ),
    ]
}

#[test]
fn windows_of_deferred_checks_agree_with_the_interpreter() {
    let t = IsaTable::core();
    let cases = window_cases();
    let elf = directed_program(&t, |a| {
        for &(_, run) in &cases {
            a.emit("csrrw", 0, T2, 0, 0x003);
            for r in 0..3u8 {
                a.emit("fld", 1 + r, S0, 0, 8 * r as i64);
            }
            for &(name, rd, rs1, rs2, rs3) in run {
                let no_rm = ["fmin", "fsgnj", "fcvt.d.s"].iter().any(|p| name.starts_with(p));
                let f = Fields { rd, rs1, rs2, rs3, imm: if no_rm { 0 } else { 7 } };
                let w = t.encode(name, f).unwrap_or_else(|e| panic!("{name}: {e}"));
                a.code.extend_from_slice(&w.to_le_bytes());
            }
            a.emit("csrrs", T3, 0, 0, 0x001);
            a.emit("sd", 0, S1, T3, 0);
            for r in 4..=7u8 {
                a.emit("fsd", 0, S1, r, 8 * r as i64 - 24);
            }
            a.emit("addi", S0, S0, 0, 24);
            a.emit("addi", S1, S1, 0, 40);
        }
    });
    let operands: Vec<u8> = cases.iter().flat_map(|(ops, _)| *ops).flat_map(u64::to_le_bytes).collect();
    for s in agree_in_lockstep(&elf, &operands, common::jit_optimised) {
        assert!(s.fp_exits > 0, "windows failed and left: {s:?}");
    }
}
