//! Streamed loops (optimised code checks a loop's accesses through induction
//! registers once per page, see `lower::stream`): copies and sums that cross
//! pages up and down, a loop that walks off the end of RAM, a store loop
//! that walks into a page of compiled code, a U-mode loop under Sv39
//! whose pages are not physically contiguous, a multiply-accumulate over
//! rows that overlap in every way, and loops over bytes and halves (vector
//! trips; many stops, so that some land right after vector trips and see the
//! registers as they leave them). Each runs in lockstep with the
//! interpreter (stops at random points, inside the loops too) and must have
//! compiled streamed loops.

mod common;

use common::{boot, jit_optimised, lockstep_machines, run_to_end, sv39_monitor, State, RAM};
use mkjit_runtime::devices::{finisher::exit_value, FINISHER_BASE};
use mkjit_runtime::elfgen::ElfBuilder;
use mkjit_runtime::interp::Interp;
use mkjit_runtime::isa::encode::Asm;
use mkjit_runtime::isa::reg::*;
use mkjit_runtime::isa::{Fields, IsaTable};
use mkjit_runtime::machine::{Machine, Outcome};

const BASE: u64 = 0x8000_0000;

/// Assembles `body` until its labels settle: `body` gets the labels of
/// the previous pass (zeros at first) and returns this pass's.
fn settle<const N: usize>(body: impl Fn(&mut Asm, [i64; N]) -> [i64; N]) -> Vec<u8> {
    let t = IsaTable::core();
    let mut labels = [0i64; N];
    for _ in 0..4 {
        let mut a = Asm::new(&t);
        let next = body(&mut a, labels);
        if next == labels {
            return a.code;
        }
        labels = next;
    }
    panic!("labels do not settle");
}

/// `beq`-style branch from here to `to`.
fn branch(a: &mut Asm, op: &str, rs1: u8, rs2: u8, to: i64) {
    let here = a.here();
    a.emit(op, 0, rs1, rs2, to - here);
}

/// Runs `elf` on the interpreter (it must exit 0) and straight through on
/// the optimising tier (same outcome, state and RAM), then in lockstep on
/// it with stops every 1..`step` instructions for 3 seeds; returns the
/// numbers of streamed loops and of loops with vector trips compiled by the
/// straight run.
fn agree(elf: &[u8], step: u64, limit: u64) -> (u64, u64) {
    let (o, want) = run_to_end(elf, &mut Interp::new(), limit);
    assert_eq!(o, Outcome::Exit(0), "on the interpreter: {}", why(&want));
    let mut j = jit_optimised(2);
    let (o, got) = run_to_end(elf, &mut j, limit);
    assert_eq!(o, Outcome::Exit(0), "on the JIT: {}", why(&got));
    let (a, b) = (State::of(&want), State::of(&got));
    assert_eq!(a, b, "state differs:\n{}", a.diff(&b));
    assert!(want.bus.ram.bytes() == got.bus.ram.bytes(), "RAM differs");
    let (streamed, vectored) = (j.jit_stats().streamed_loops, j.jit_stats().vector_loops);
    for seed in 1..=3 {
        let mut j = jit_optimised(2);
        let r = lockstep_machines(boot(elf), boot(elf), &mut j, limit, step, seed).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(r.outcome, Outcome::Exit(0));
        assert!(r.jit_clock * 2 > r.insns, "most instructions ran compiled ({} of {})", r.jit_clock, r.insns);
    }
    (streamed, vectored)
}

/// [`agree`], and at least `loops` loops were streamed (`what`).
fn agree_streaming(elf: &[u8], step: u64, limit: u64, loops: u64, what: &str) {
    let (streamed, _) = agree(elf, step, limit);
    assert!(streamed >= loops, "{what}: {streamed} streamed loops");
}

fn why(m: &Machine) -> String {
    let c = &m.hart.csr;
    format!(
        "a0 {:#x} s2 {:#x} mcause {:#x} mepc {:#x} mtval {:#x}",
        m.hart.x[10], m.hart.x[18], c.mcause, c.mepc, c.mtval
    )
}

/// Fails the run (the finisher's exit 1) from here; returns where that is.
fn fail_here(a: &mut Asm) -> i64 {
    let f = a.here();
    a.li(T3, FINISHER_BASE as i64).li(T4, exit_value(1) as i64).emit("sw", 0, T3, T4, 0);
    f
}

/// `a1 = if s3 == last { long } else { short }` (clobbers t1 and t2).
fn last_round_limit(a: &mut Asm, last: i64, short: i64, long: i64) {
    a.emit("xori", T1, S3, 0, last);
    a.emit("sltiu", T1, T1, 0, 1);
    a.li(T2, long - short);
    a.emit("mul", T2, T2, T1, 0);
    a.li(A1, short);
    a.emit("add", A1, A1, T2, 0);
}

/// Passes the run (the finisher's exit 0).
fn pass(a: &mut Asm) {
    a.li(T3, FINISHER_BASE as i64).li(T4, exit_value(0) as i64).emit("sw", 0, T3, T4, 0);
}

/// `s0 = at`; word `i` of the `n` from there = `i * 0x9e3779b9 ^ 0x5a5`
/// (clobbers t0, t1, t5, a0 and a1).
fn fill_words(a: &mut Asm, at: u64, n: i64) {
    a.li(S0, at as i64);
    a.li(T5, 0x9e37_79b9);
    a.li(A0, 0);
    a.li(A1, n);
    let fill = a.here();
    a.emit("mulw", T0, A0, T5, 0);
    a.emit("xori", T0, T0, 0, 0x5a5);
    a.emit("slli", T1, A0, 0, 2);
    a.emit("add", T1, T1, S0, 0);
    a.emit("sw", 0, T1, T0, 0);
    a.emit("addi", A0, A0, 0, 1);
    branch(a, "bne", A0, A1, fill);
}

/// `s2 +=` the words from s0 up to s0 + a1 (clobbers t0, t1 and a0).
fn sum_words(a: &mut Asm) {
    a.li(A0, 0);
    let sum = a.here();
    a.emit("add", T0, S0, A0, 0);
    a.emit("lw", T1, T0, 0, 0);
    a.emit("add", S2, S2, T1, 0);
    a.emit("addi", A0, A0, 0, 4);
    branch(a, "bne", A0, A1, sum);
}

/// `rd = 4 * (words + per_round * s3)`: bytes in round s3 (clobbers t0).
fn round_bytes(a: &mut Asm, rd: u8, per_round: i64, words: i64) {
    a.li(T0, per_round);
    a.emit("mul", rd, S3, T0, 0);
    a.emit("addi", rd, rd, 0, words);
    a.emit("slli", rd, rd, 0, 2);
}

const SRC: u64 = BASE + 0x10_0000;
/// Not page-aligned relative to SRC: the two streams cross pages at different trips.
const DST: u64 = BASE + 0x20_0a28;
const ROUNDS: i64 = 24;

/// Words per copy in round `r`.
fn len(r: i64) -> i64 {
    700 + 97 * r
}

/// The sum the copy program computes.
fn copy_sum() -> u64 {
    let word = |i: i64| (i as u32).wrapping_mul(0x9e37_79b9) ^ 0x5a5;
    let mut s = 0u64;
    for r in 0..ROUNDS {
        let n = len(r);
        // Bytes of the copied words, summed from the last down to the first.
        for i in 0..n {
            for b in word(i).to_le_bytes() {
                s = s.wrapping_add(b as u64);
            }
        }
        // Plus the words, sign-extended, by a negative index counting up to 0.
        for i in 0..n {
            s = s.wrapping_add(word(i) as i32 as i64 as u64);
        }
        // Plus the doublewords read back with a negative step.
        for i in (0..n / 2).rev() {
            let d = word(2 * i) as u64 | (word(2 * i + 1) as u64) << 32;
            s = s.wrapping_add(d);
        }
    }
    s
}

/// Fills SRC with words (a streamed store loop); then every round copies
/// `len(r)` words SRC -> DST (a load and a store through one induction
/// register, with two invariant bases), sums DST's bytes from the last
/// down (step -1), its words through an index from -4n up to 0, and its
/// doublewords from the last down (step -8, the address being the
/// induction register itself). Fails unless the
/// sum is [`copy_sum`].
fn copy_program() -> Vec<u8> {
    let code = settle(|a, [fail]: [i64; 1]| {
        let max = len(ROUNDS - 1);
        a.li(S1, DST as i64);
        fill_words(a, SRC, max);
        a.li(S2, 0);
        a.li(S3, 0); // round
        let round = a.here();
        // n = 700 + 97 r words; a1 = 4n bytes.
        round_bytes(a, A1, 97, 700);
        // Copy.
        a.li(A0, 0);
        let copy = a.here();
        a.emit("add", T0, S0, A0, 0);
        a.emit("lw", T1, T0, 0, 0);
        a.emit("add", T2, S1, A0, 0);
        a.emit("sw", 0, T2, T1, 0);
        a.emit("addi", A0, A0, 0, 4);
        branch(a, "bne", A0, A1, copy);
        // Bytes, from the last down.
        a.emit("addi", A2, A1, 0, -1);
        let bytes = a.here();
        a.emit("add", T0, S1, A2, 0);
        a.emit("lbu", T1, T0, 0, 0);
        a.emit("add", S2, S2, T1, 0);
        a.emit("addi", A2, A2, 0, -1);
        branch(a, "bge", A2, 0, bytes);
        // Words again, through an index counting from -4n up to 0 (the
        // induction register near the top of its range: its bound must not wrap).
        a.emit("add", T4, S1, A1, 0);
        a.emit("sub", A2, 0, A1, 0);
        let up = a.here();
        a.emit("add", T0, T4, A2, 0);
        a.emit("lw", T1, T0, 0, 0);
        a.emit("add", S2, S2, T1, 0);
        a.emit("addi", A2, A2, 0, 4);
        branch(a, "bne", A2, 0, up);
        // Doublewords, from the last down: t3 walks DST + 4n - 8 .. DST.
        a.emit("srli", T4, A1, 0, 3);
        a.emit("slli", T4, T4, 0, 3);
        a.emit("add", T3, S1, T4, 0);
        a.emit("addi", T3, T3, 0, -8);
        let dwords = a.here();
        a.emit("ld", T1, T3, 0, 0);
        a.emit("add", S2, S2, T1, 0);
        a.emit("addi", T3, T3, 0, -8);
        branch(a, "bgeu", T3, S1, dwords);
        a.emit("addi", S3, S3, 0, 1);
        a.li(T0, ROUNDS);
        branch(a, "bne", S3, T0, round);
        a.li(T0, copy_sum() as i64);
        branch(a, "bne", S2, T0, fail);
        pass(a);
        let f = fail_here(a);
        [f]
    });
    ElfBuilder::new(BASE, code).build()
}

#[test]
fn copies_and_sums_across_pages_agree_in_lockstep() {
    agree_streaming(&copy_program(), 5000, 5_000_000, 5, "the fill, copy and sum loops were streamed");
}

/// End of RAM on the test machines.
const RAM_END: u64 = BASE + RAM;

/// Every round sums 0x3f00 bytes of words from RAM_END - 0x4000; the last
/// round goes on to RAM's end, where the load faults (access fault, mtval =
/// RAM_END). The trap handler passes the run only for that fault, at that
/// address, with the induction register there.
fn off_the_end_program() -> Vec<u8> {
    let code = settle(|a, [handler, main, fail]: [i64; 3]| {
        a.li(T0, BASE as i64 + handler);
        a.emit("csrrw", 0, T0, 0, 0x305); // mtvec
        branch(a, "jal", 0, 0, main);
        let h = a.here();
        a.emit("csrrs", T0, 0, 0, 0x342); // mcause
        a.li(T1, 5);
        branch(a, "bne", T0, T1, fail);
        a.emit("csrrs", T0, 0, 0, 0x343); // mtval
        a.li(T1, RAM_END as i64);
        branch(a, "bne", T0, T1, fail);
        a.emit("add", T0, S0, A0, 0);
        branch(a, "bne", T0, T1, fail);
        a.li(T1, 19);
        branch(a, "bne", S3, T1, fail);
        pass(a);
        let m = a.here();
        a.li(S0, (RAM_END - 0x4000) as i64);
        a.li(S3, 0);
        a.li(S2, 0);
        let round = a.here();
        last_round_limit(a, 19, 0x3f00, 0x8000);
        sum_words(a);
        a.emit("addi", S3, S3, 0, 1);
        branch(a, "jal", 0, 0, round);
        let f = fail_here(a);
        [h, m, f]
    });
    ElfBuilder::new(BASE, code).build()
}

#[test]
fn a_loop_off_the_end_of_ram_faults_where_the_interpreter_does() {
    agree_streaming(&off_the_end_program(), 3000, 2_000_000, 1, "the sum loop was streamed");
}

/// Where the function the store loop overwrites lives (past the start of
/// its page, so that the stores go on for a while on it).
const F: u64 = 0x5100;
/// The data the store loop writes, from here on.
const STORES: u64 = 0x3f00;

/// Every round stores the word of `addi a0, a0, 16` over 0x100 bytes from
/// STORES (a data page), then calls f (`addi a0, a0, 1; ret`); the last
/// round's stores go on across the next page, whose neighbour holds f, and
/// over f's first instruction, which the call then runs: a0 ends at
/// (ROUNDS - 1) + 16 or the run fails.
fn into_code_program() -> Vec<u8> {
    let t = IsaTable::core();
    let word = t.encode("addi", Fields { rd: A0, rs1: A0, rs2: 0, rs3: 0, imm: 16 }).expect("encodes");
    let mut img = settle(|a, [fail]: [i64; 1]| {
        a.li(S1, (BASE + STORES) as i64);
        a.li(T5, word as i32 as i64);
        a.li(A0, 0);
        a.li(S3, 0);
        let round = a.here();
        last_round_limit(a, ROUNDS - 1, 0x100, (F + 4 - STORES) as i64);
        a.li(A2, 0);
        let store = a.here();
        a.emit("add", T0, S1, A2, 0);
        a.emit("sw", 0, T0, T5, 0);
        a.emit("addi", A2, A2, 0, 4);
        branch(a, "bne", A2, A1, store);
        // (No fence.i: stores to code take effect at once on both engines.)
        a.li(T0, (BASE + F) as i64);
        a.emit("jalr", RA, T0, 0, 0);
        a.emit("addi", S3, S3, 0, 1);
        a.li(T1, ROUNDS);
        branch(a, "bne", S3, T1, round);
        a.li(T1, ROUNDS - 1 + 16);
        branch(a, "bne", A0, T1, fail);
        pass(a);
        let f = fail_here(a);
        [f]
    });
    assert!(img.len() < STORES as usize);
    img.resize(F as usize + 0x1000, 0);
    let mut a = Asm::new(&t);
    a.emit("addi", A0, A0, 0, 1);
    a.emit("jalr", 0, RA, 0, 0);
    img[F as usize..F as usize + 8].copy_from_slice(&a.code);
    ElfBuilder::new(BASE, img).build()
}

#[test]
fn a_store_loop_into_compiled_code_agrees_in_lockstep() {
    agree_streaming(&into_code_program(), 700, 1_000_000, 1, "the store loop was streamed");
}

/// U-mode under Sv39: virtual pages VA+0x2000.. map physical pages out of
/// order; a loop copies words from VA+0x2000 through VA+0x5000 to
/// VA+0x6a40.. (each stream crosses pages, the stores at other trips than
/// the loads) and sums them, another sums the copy from its last word
/// down, ROUNDS times; then the program exits with the sum.
const VA: u64 = 0x4000_0000;
const ROOT: u64 = 0x8000;
const L1: u64 = 0x9000;
const L0: u64 = 0xa000;
/// Physical pages (offsets) of virtual data pages 2..=9, out of order.
const DATA_PAGES: [u64; 8] = [0x13000, 0x11000, 0x14000, 0x10000, 0x16000, 0x12000, 0x17000, 0x15000];
const U_WORDS: u64 = 0x3000 / 4;

fn u_sum() -> i64 {
    let one: i64 = (0..U_WORDS).map(u_word).sum();
    2 * one * ROUNDS
}

fn sv39_program() -> Vec<u8> {
    let t = IsaTable::core();
    let mut a = Asm::new(&t);
    a.li(S0, (VA + 0x2000) as i64);
    a.li(S1, (VA + 0x6a40) as i64);
    a.li(A1, (U_WORDS * 4) as i64);
    a.li(S3, 0);
    a.li(A0, 0);
    let round = a.here();
    a.li(A2, 0);
    let copy = a.here();
    a.emit("add", T0, S0, A2, 0);
    a.emit("lw", T1, T0, 0, 0);
    a.emit("add", T2, S1, A2, 0);
    a.emit("sw", 0, T2, T1, 0);
    a.emit("add", A0, A0, T1, 0);
    a.emit("addi", A2, A2, 0, 4);
    branch(&mut a, "bne", A2, A1, copy);
    // And the copy's words again, from the last down (a negative step).
    a.emit("addi", A2, A1, 0, -4);
    let down = a.here();
    a.emit("add", T0, S1, A2, 0);
    a.emit("lw", T1, T0, 0, 0);
    a.emit("add", A0, A0, T1, 0);
    a.emit("addi", A2, A2, 0, -4);
    branch(&mut a, "bge", A2, 0, down);
    a.emit("addi", S3, S3, 0, 1);
    a.li(T0, ROUNDS);
    branch(&mut a, "bne", S3, T0, round);
    a.li(A7, 1);
    a.emit("ecall", 0, 0, 0, 0);
    sv39_image(&a.code, u_sum())
}

/// The U word at index `i` of the source pages.
fn u_word(i: u64) -> i64 {
    (i * 0x0101_0101 + 7) as u32 as i32 as i64
}

/// The image of `code` at VA in U-mode under Sv39 (data pages as above,
/// the source words on virtual pages 2..=4), passing if it ends with
/// a0 = `expected`.
fn sv39_image(code: &[u8], expected: i64) -> Vec<u8> {
    let mut img = vec![0u8; 0x18000];
    let m = sv39_monitor((8 << 60) | (BASE + ROOT) >> 12, VA, expected, |_| {});
    img[..m.len()].copy_from_slice(&m);
    img[0x1000..0x1000 + code.len()].copy_from_slice(code);
    let put = |img: &mut Vec<u8>, at: u64, v: u64| img[at as usize..at as usize + 8].copy_from_slice(&v.to_le_bytes());
    put(&mut img, ROOT + 8, ((BASE + L1) >> 12) << 10 | 1);
    put(&mut img, L1, ((BASE + L0) >> 12) << 10 | 1);
    // The code (R, X, U, A, V) at VA, where the monitor enters.
    put(&mut img, L0, ((BASE + 0x1000) >> 12) << 10 | 0x5b);
    // Data: R, W, U, A, D, V.
    for (k, &pa) in DATA_PAGES.iter().enumerate() {
        put(&mut img, L0 + 8 * (k as u64 + 2), ((BASE + pa) >> 12) << 10 | 0xd7);
    }
    for i in 0..U_WORDS {
        let pa = DATA_PAGES[(i * 4 / 0x1000) as usize] + i * 4 % 0x1000;
        img[pa as usize..pa as usize + 4].copy_from_slice(&(u_word(i) as u32).to_le_bytes());
    }
    ElfBuilder::new(BASE, img).build()
}

/// Words per pass of the multi-block loop, and the distance of its second stream.
const MB_N: i64 = 2000;
const MB_AHEAD: i64 = 1025;

fn multi_block_sum() -> i64 {
    (0..ROUNDS)
        .map(|r| {
            let skip = r * 37 % MB_N;
            (0..MB_N)
                .filter(|&j| j != skip)
                .map(|j| u_word(j as u64) + u_word((j + MB_AHEAD) as u64) + u_word(2))
                .sum::<i64>()
        })
        .sum()
}

/// A loop of three blocks shaped like a compiler's `for (j...) { if (j ==
/// skip) continue; ... }`: entered in the middle (at the skip test), its
/// latch steps the counter and two pointers 4 bytes apart in their
/// streams (one bound serves both), and its body loads through both
/// pointers and through an invariant one. The streams cross the scattered
/// pages at different trips.
fn multi_block_program() -> Vec<u8> {
    let t = IsaTable::core();
    let code = settle(|a, [latch, test, done]: [i64; 3]| {
        a.li(S3, 0);
        a.li(A0, 0);
        a.li(S6, MB_N);
        a.li(S4, (VA + 0x2000 + 8) as i64);
        let round = a.here();
        // skip = round * 37 % N
        a.li(T0, 37);
        a.emit("mul", A5, S3, T0, 0);
        a.emit("rem", A5, A5, S6, 0);
        a.li(S0, (VA + 0x2000) as i64);
        a.li(A2, (VA + 0x2000 + 4 * MB_AHEAD as u64) as i64);
        a.li(S1, 0);
        branch(a, "jal", 0, 0, test);
        let l = a.here();
        a.emit("addi", S1, S1, 0, 1);
        a.emit("addi", S0, S0, 0, 4);
        a.emit("addi", A2, A2, 0, 4);
        branch(a, "beq", S1, S6, done);
        let t2 = a.here();
        branch(a, "beq", A5, S1, latch);
        a.emit("lw", T1, S0, 0, 0);
        a.emit("lw", T2, A2, 0, 0);
        a.emit("add", T1, T1, T2, 0);
        a.emit("add", A0, A0, T1, 0);
        a.emit("lw", T3, S4, 0, 0);
        a.emit("add", A0, A0, T3, 0);
        branch(a, "jal", 0, 0, latch);
        let d = a.here();
        a.emit("addi", S3, S3, 0, 1);
        a.li(T0, ROUNDS);
        branch(a, "bne", S3, T0, round);
        a.li(A7, 1);
        a.emit("ecall", 0, 0, 0, 0);
        [l, t2, d]
    });
    let _ = t;
    sv39_image(&code, multi_block_sum())
}

#[test]
fn a_loop_of_three_blocks_entered_in_the_middle_agrees_in_lockstep() {
    agree_streaming(&multi_block_program(), 4000, 2_000_000, 1, "the loop was streamed");
}

#[test]
fn a_u_mode_loop_over_scattered_pages_agrees_in_lockstep() {
    agree_streaming(&sv39_program(), 4000, 2_000_000, 2, "the copy and sum loops were streamed");
}

/// Every round sets `mstatus.FS` to Initial, Clean or Dirty in turn (and
/// `fflags.NX` and `frm` in a cycle of four), then
/// sums 600 doubles from SRC with `fld`/`fadd.d` (a streamed loop whose
/// fast copy trusts the guard's proof that FS is Dirty) and stores the sum:
/// where FS was not Dirty, the first `fadd.d` must make it so on both engines.
fn float_program() -> Vec<u8> {
    let code = settle(|a, [fail]: [i64; 1]| {
        a.li(S3, 0);
        a.li(S4, 3);
        a.li(S1, DST as i64);
        let round = a.here();
        a.li(T1, 0x6000);
        a.emit("csrrs", 0, T1, 0, 0x300); // FS Dirty (it is Off after reset)
        a.emit("csrrsi", 0, 1, 0, 0x001); // fflags.NX: the fast paths run
                                          // ... but in odd rounds NX is clear (the first inexact sum must set
                                          // it on both engines), and in rounds 2 and 3 of every 4 `frm` is
                                          // RTZ (the loop's `fadd.d` rounds dynamically): the guard must
                                          // check what the fast copy's conditions on `fcsr` no longer do.
        a.emit("andi", T2, S3, 0, 1);
        a.emit("csrrc", 0, T2, 0, 0x001);
        a.emit("srli", T2, S3, 0, 1);
        a.emit("andi", T2, T2, 0, 1);
        a.emit("csrrw", 0, T2, 0, 0x002); // frm = RNE or RTZ
        a.emit("fmv.d.x", 1, 0, 0, 0);
        // mstatus.FS = [Initial, Clean, Dirty][round % 3] = (round % 3 + 1) << 13
        a.emit("remu", T0, S3, S4, 0);
        a.emit("addi", T0, T0, 0, 1);
        a.emit("slli", T0, T0, 0, 13);
        a.li(T1, 0x6000);
        a.emit("csrrc", 0, T1, 0, 0x300);
        a.emit("csrrs", 0, T0, 0, 0x300);
        a.li(S0, SRC as i64);
        a.li(A0, 0);
        a.li(A1, 600 * 8);
        let sum = a.here();
        a.emit("add", T0, S0, A0, 0);
        a.emit("fld", 2, T0, 0, 0);
        a.emit("fadd.d", 1, 1, 2, 7); // rm = dyn
        a.emit("addi", A0, A0, 0, 8);
        branch(a, "bne", A0, A1, sum);
        a.emit("fsd", 0, S1, 1, 0);
        a.emit("addi", S1, S1, 0, 8);
        a.emit("addi", S3, S3, 0, 1);
        a.li(T0, ROUNDS);
        branch(a, "bne", S3, T0, round);
        let _ = fail;
        pass(a);
        [fail_here(a)]
    });
    ElfBuilder::new(BASE, code).build()
}

#[test]
fn a_floating_point_loop_agrees_whatever_the_fs_state() {
    let elf = float_program();
    // Doubles at SRC: small integers plus a tenth (inexact sums, no flags beyond NX).
    let data: Vec<u8> = (0..600u64).flat_map(|i| ((i * 7 % 31) as f64 + 0.1).to_bits().to_le_bytes()).collect();
    let (mut want, mut got) = (boot(&elf), boot(&elf));
    for m in [&mut want, &mut got] {
        m.bus.ram.slice_mut(SRC, data.len() as u64).expect("in RAM").copy_from_slice(&data);
    }
    want.max_insns = Some(1_000_000);
    got.max_insns = Some(1_000_000);
    assert_eq!(want.run(&mut Interp::new()), Outcome::Exit(0), "{}", why(&want));
    let mut j = jit_optimised(2);
    assert_eq!(got.run(&mut j), Outcome::Exit(0), "{}", why(&got));
    let (x, y) = (State::of(&want), State::of(&got));
    assert_eq!(x, y, "state differs:\n{}", x.diff(&y));
    assert!(want.bus.ram.bytes() == got.bus.ram.bytes(), "RAM differs");
    assert!(j.jit_stats().streamed_loops >= 1, "the sum loop was streamed");
    for seed in 1..=3 {
        let (mut a, mut b) = (boot(&elf), boot(&elf));
        for m in [&mut a, &mut b] {
            m.bus.ram.slice_mut(SRC, data.len() as u64).expect("in RAM").copy_from_slice(&data);
        }
        let r = lockstep_machines(a, b, &mut jit_optimised(2), 1_000_000, 900, seed).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(r.outcome, Outcome::Exit(0));
    }
}

const MAC_BUF: u64 = BASE + 0x30_0000;
/// Words in the multiply-accumulate's buffer, and its rounds.
const MAC_WORDS: usize = 4096;
const MAC_ROUNDS: i64 = 16;

/// Round `r` of the multiply-accumulate: its length in words, the first
/// word of the row it adds to and of the row it multiplies (apart, one
/// word ahead, one word behind, the same row), and the factor.
fn mac_round(r: i64) -> (i64, i64, i64, i64) {
    let (n, c) = (400 + 53 * r, 0x100 + 7 * r);
    let b = [0x800 + r, c + 1, c - 1, c][r as usize % 4];
    (n, c, b, r + 3)
}

/// The sum of the buffer's words (sign-extended) after the rounds, run as
/// the guest's loop runs them: one trip after the other.
fn mac_sum() -> i64 {
    let mut w: Vec<u32> = (0..MAC_WORDS as u32).map(|i| i.wrapping_mul(0x9e37_79b9) ^ 0x5a5).collect();
    for r in 0..MAC_ROUNDS {
        let (n, c, b, k) = mac_round(r);
        for j in 0..n as usize {
            let v = w[b as usize + j].wrapping_mul(k as u32);
            w[c as usize + j] = w[c as usize + j].wrapping_add(v);
        }
    }
    w.iter().map(|&x| x as i32 as i64).sum()
}

/// `c[j] += k * b[j]` (a loop of one block for vector trips) over rows
/// that cross pages, with `b` apart from `c`, one word ahead of it, one
/// word behind it, or `c` itself; then the sum of the buffer's words.
/// Fails unless the sum is [`mac_sum`].
fn mac_program() -> Vec<u8> {
    let code = settle(|a, [fail, ahead, behind, apart]: [i64; 4]| {
        fill_words(a, MAC_BUF, MAC_WORDS as i64);
        a.li(S3, 0);
        let round = a.here();
        // a1 = 4n, s1 = &c[0], s4 = &b[0], a3 = k (see mac_round).
        round_bytes(a, A1, 53, 400);
        round_bytes(a, T1, 7, 0x100);
        a.emit("add", S1, S0, T1, 0);
        a.emit("andi", T2, S3, 0, 3);
        a.emit("addi", S4, S1, 0, 0);
        a.li(T3, 1);
        branch(a, "bne", T2, T3, ahead);
        a.emit("addi", S4, S1, 0, 4);
        let l1 = a.here();
        a.li(T3, 2);
        branch(a, "bne", T2, T3, behind);
        a.emit("addi", S4, S1, 0, -4);
        let l2 = a.here();
        branch(a, "bne", T2, 0, apart);
        a.li(T1, 0x800);
        a.emit("add", T1, T1, S3, 0);
        a.emit("slli", T1, T1, 0, 2);
        a.emit("add", S4, S0, T1, 0);
        let l3 = a.here();
        a.emit("addi", A3, S3, 0, 3);
        a.li(A0, 0);
        let mac = a.here();
        a.emit("add", T0, S4, A0, 0);
        a.emit("lw", T1, T0, 0, 0);
        a.emit("add", T2, S1, A0, 0);
        a.emit("lw", T3, T2, 0, 0);
        a.emit("mulw", T1, T1, A3, 0);
        a.emit("addw", T3, T3, T1, 0);
        a.emit("addi", A0, A0, 0, 4);
        a.emit("sw", 0, T2, T3, 0);
        branch(a, "bne", A0, A1, mac);
        a.emit("addi", S3, S3, 0, 1);
        a.li(T0, MAC_ROUNDS);
        branch(a, "bne", S3, T0, round);
        // The sum.
        a.li(S2, 0);
        a.li(A1, 4 * MAC_WORDS as i64);
        sum_words(a);
        a.li(T0, mac_sum());
        branch(a, "bne", S2, T0, fail);
        pass(a);
        let f = fail_here(a);
        [f, l1, l2, l3]
    });
    ElfBuilder::new(BASE, code).build()
}

#[test]
fn a_multiply_accumulate_over_overlapping_rows_agrees_in_lockstep() {
    let (streamed, vectored) = agree(&mac_program(), 3000, 5_000_000);
    assert!(streamed >= 2, "{streamed} streamed loops");
    if mkjit_translator::lower::host_runs_vector_trips() {
        assert!(vectored >= 1, "the multiply-accumulate ran vector trips");
    }
}

const NARROW_BUF: u64 = BASE + 0x38_0000;

/// `count` times: `load` into its register from s1, `op` with an immediate
/// into its register, stored to s2; both step by `size`.
fn narrow_loop(a: &mut Asm, load: (&str, u8), op: (&str, u8, i64), store: &str, count: u8, size: i64) {
    let top = a.here();
    a.emit(load.0, load.1, S1, 0, 0);
    a.emit(op.0, op.1, load.1, 0, op.2);
    a.emit(store, 0, S2, op.1, 0);
    a.emit("addi", S1, S1, 0, size);
    a.emit("addi", S2, S2, 0, size);
    a.emit("addi", count, count, 0, -1);
    branch(a, "bne", count, 0, top);
}

/// Rounds of two loops over bytes and halves: `dst[i] = src[i] ^ 0xaa`
/// through `lbu` (lanes zero-extended) and `dst[i] = src[i] & -256`
/// through `lh` (lanes sign-extended), over source data that has the top
/// bit of a lane set about half the time. Stops right after vector trips
/// show what the registers hold there.
fn narrow_program() -> Vec<u8> {
    let code = settle(|a, [_]: [i64; 1]| {
        fill_words(a, NARROW_BUF, 2048);
        a.li(S3, 0);
        let round = a.here();
        // a0 = 100 + 3r bytes from NARROW_BUF + r to NARROW_BUF + 0x1ffc + 3r.
        round_bytes(a, A0, 3, 100);
        a.emit("srli", A0, A0, 0, 2);
        a.emit("add", S1, S0, S3, 0);
        a.emit("addi", S2, S1, 0, 0x7ff);
        a.emit("addi", S2, S2, 0, 0x7ff);
        a.emit("addi", S2, S2, 0, 0x7ff);
        a.emit("addi", S2, S2, 0, 0x7ff);
        a.emit("add", S2, S2, S3, 0);
        a.emit("add", S2, S2, S3, 0);
        narrow_loop(a, ("lbu", T0), ("xori", T1, 0xaa), "sb", A0, 1);
        // a1 = 60 + r halves from S1 on to S2 on.
        a.emit("addi", A1, S3, 0, 60);
        narrow_loop(a, ("lh", T2), ("andi", T3, -256), "sh", A1, 2);
        a.emit("addi", S3, S3, 0, 1);
        a.li(T0, 48);
        branch(a, "bne", S3, T0, round);
        pass(a);
        [0]
    });
    ElfBuilder::new(BASE, code).build()
}

#[test]
fn byte_and_half_loops_agree_in_lockstep() {
    let elf = narrow_program();
    let (_, vectored) = agree(&elf, 1000, 5_000_000);
    if mkjit_translator::lower::host_runs_vector_trips() {
        assert!(vectored >= 2, "the byte and half loops ran vector trips ({vectored})");
    }
    // More stops (each seed's land elsewhere), some right after vector trips.
    for seed in 4..=24 {
        let mut j = jit_optimised(2);
        let r = lockstep_machines(boot(&elf), boot(&elf), &mut j, 5_000_000, 200 + 50 * seed, seed)
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(r.outcome, Outcome::Exit(0));
    }
}
