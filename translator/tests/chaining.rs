//! Chaining and the jump cache: a loop that calls a function spread over
//! five more pages (more than one region may span, so direct jumps between
//! them go through chain slots; the return goes through the jump cache) and
//! a function picked from a jump table (indirect call), run in lockstep on
//! the interpreter and the JIT. Variants overwrite the chained-to function
//! halfway (self-modifying code must unchain it), shrink the code cache until
//! it is flushed while regions are chained, and turn chaining off.

mod common;

use common::{boot, jit, lockstep_machines, run_to_end};
use mkjit_runtime::elfgen::ElfBuilder;
use mkjit_runtime::isa::encode::Asm;
use mkjit_runtime::isa::reg::*;
use mkjit_runtime::isa::{Fields, IsaTable};
use mkjit_runtime::machine::Outcome;
use mkjit_translator::{Jit, JitConfig};

const BASE: u64 = 0x8000_0000;

/// Iterations of the main loop.
const N: i64 = 3000;
/// What `f1` adds before and after the patch.
const F1_OLD: i64 = 3;
const F1_NEW: i64 = 7;

/// Page offsets of the parts of the program: f1 jumps to f2 ... f5, one per
/// page; f5 adds F1_OLD (or F1_NEW once patched) and returns.
const F1: u64 = 0x1000;
const F5: u64 = 0x5000;
const CASES: u64 = 0x6000;
const TABLE: u64 = 0x7000;
/// What f1..f4 add.
const CHAIN_ADD: i64 = 1 + 2 + 4 + 8;

fn case_add(k: i64) -> i64 {
    5 * k + 1
}

/// The value `a0` must end with when the patch (if any) goes to the `addi`
/// at page offset `at` (F5, or f2's at F1 + 0x1000, which adds 2 until then).
fn expected_at(patch: bool, at: u64) -> i64 {
    let mut a = 0i64;
    for i in 0..N {
        let patched = patch && i >= N / 2;
        let (f2, f5) = match (patched, at == F5) {
            (false, _) => (2, F1_OLD),
            (true, true) => (2, F1_NEW),
            (true, false) => (F1_NEW, F1_OLD),
        };
        a = a.wrapping_add(CHAIN_ADD - 2 + f2 + f5);
        a = a.wrapping_add(case_add(i & 3));
        a ^= i & 0x55;
    }
    a
}

/// Builds the program. With `patch`, iteration N/2 rewrites f5's `addi`
/// (followed by `fence.i` when `fence`).
fn program(patch: bool, fence: bool) -> Vec<u8> {
    program_at(patch, fence, F5)
}

/// As [`program`], patching the `addi` at page offset `at`.
fn program_at(patch: bool, fence: bool, at: u64) -> Vec<u8> {
    let t = IsaTable::core();
    let mut img = vec![0u8; 0x8000];
    // Main, page 0. Two passes: the first finds the label offsets.
    let mut labels = [0i64; 3]; // loop, skip, fail
    let mut main = Vec::new();
    for _ in 0..2 {
        let mut a = Asm::new(&t);
        a.li(S0, 0);
        a.li(S1, N);
        a.li(A0, 0);
        a.li(T0, (BASE + TABLE) as i64);
        a.li(S2, N / 2);
        let lp = a.here();
        let here = a.here();
        a.emit("jal", RA, 0, 0, F1 as i64 - here);
        a.emit("andi", T1, S0, 0, 3);
        a.emit("slli", T1, T1, 0, 3);
        a.emit("add", T1, T1, T0, 0);
        a.emit("ld", T2, T1, 0, 0);
        a.emit("jalr", RA, T2, 0, 0);
        a.emit("andi", T1, S0, 0, 0x55);
        a.emit("xor", A0, A0, T1, 0);
        a.emit("addi", S0, S0, 0, 1);
        if patch {
            let here = a.here();
            a.emit("bne", 0, S0, S2, labels[1] - here);
            let new_word = t.encode("addi", Fields { rd: A0, rs1: A0, rs2: 0, rs3: 0, imm: F1_NEW }).expect("encodes");
            a.li(T3, (BASE + at) as i64);
            a.li(T4, new_word as i32 as i64);
            a.emit("sw", 0, T3, T4, 0);
            if fence {
                a.emit("fence.i", 0, 0, 0, 0);
            }
        }
        let skip = a.here();
        a.emit("blt", 0, S0, S1, lp - skip);
        a.li(T4, expected_at(patch, at));
        let here = a.here();
        a.emit("bne", 0, A0, T4, labels[2] - here);
        let fail = a.pass_fail(T3, T4);
        labels = [lp, skip, fail];
        main = a.code;
    }
    assert!(main.len() < F1 as usize);
    img[..main.len()].copy_from_slice(&main);
    // f1..f4, pages 1-4: add and jump to the next page.
    for k in 0..4u64 {
        let mut a = Asm::new(&t);
        a.emit("addi", A0, A0, 0, 1 << k);
        a.emit("jal", 0, 0, 0, 0x1000 - a.here());
        let at = (F1 + 0x1000 * k) as usize;
        img[at..at + a.code.len()].copy_from_slice(&a.code);
    }
    // f5, page 5 (a 4-byte addi, so the patch replaces exactly it).
    let mut a = Asm::new(&t);
    let w = t.encode("addi", Fields { rd: A0, rs1: A0, rs2: 0, rs3: 0, imm: F1_OLD }).expect("encodes");
    a.code.extend_from_slice(&w.to_le_bytes());
    a.emit("jalr", 0, RA, 0, 0);
    img[F5 as usize..F5 as usize + a.code.len()].copy_from_slice(&a.code);
    // Four cases, page 2, 64 bytes apart.
    for k in 0..4i64 {
        let mut a = Asm::new(&t);
        a.emit("addi", A0, A0, 0, case_add(k));
        a.emit("jalr", 0, RA, 0, 0);
        let at = CASES as usize + 64 * k as usize;
        img[at..at + a.code.len()].copy_from_slice(&a.code);
        let addr = BASE + CASES + 64 * k as u64;
        let ta = TABLE as usize + 8 * k as usize;
        img[ta..ta + 8].copy_from_slice(&addr.to_le_bytes());
    }
    ElfBuilder::new(BASE, img).build()
}

fn jit_with(f: impl FnOnce(&mut JitConfig)) -> Jit {
    let mut cfg = JitConfig { threshold: 2, count_resumptions: true, ..JitConfig::default() };
    f(&mut cfg);
    Jit::with_config(cfg).expect("JIT starts")
}

#[test]
fn the_program_is_right_on_the_interpreter() {
    for (patch, fence) in [(false, false), (true, false), (true, true)] {
        let (o, _) = run_to_end(&program(patch, fence), &mut mkjit_runtime::interp::Interp::new(), 1_000_000);
        assert_eq!(o, Outcome::Exit(0), "patch {patch} fence {fence}");
    }
}

#[test]
fn chained_regions_and_the_jump_cache_agree_in_lockstep() {
    let elf = program(false, false);
    for step in [1, 13, 500, 100_000] {
        let mut j = jit(2);
        let r =
            lockstep_machines(boot(&elf), boot(&elf), &mut j, 1_000_000, step, 11).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(r.outcome, Outcome::Exit(0));
        if step > 1 {
            // (Stops after every instruction leave no room for a transfer.)
            let s = j.jit_stats();
            assert!(s.chain_hits > 0, "direct exits were chained (step {step}): {s:?}");
            assert!(s.jc_hits > 0, "indirect exits hit the jump cache (step {step}): {s:?}");
            assert!(s.chain_patches > 0);
        }
    }
    // Left alone (long deadlines), almost every transfer is chained.
    let mut j = jit(2);
    let (o, _) = run_to_end(&elf, &mut j, 1_000_000);
    assert_eq!(o, Outcome::Exit(0));
    let s = j.jit_stats();
    assert!(s.chain_hits + s.jc_hits > 4 * (N as u64) * 9 / 10, "{s:?}");
    assert!(s.region_runs < (N as u64) / 10, "the dispatcher is rarely involved: {s:?}");
}

#[test]
fn overwriting_a_chained_function_unchains_it() {
    for fence in [false, true] {
        let elf = program(true, fence);
        for step in [7, 300, 100_000] {
            let mut j = jit(2);
            let r =
                lockstep_machines(boot(&elf), boot(&elf), &mut j, 1_000_000, step, 5).unwrap_or_else(|e| panic!("{e}"));
            assert_eq!(r.outcome, Outcome::Exit(0), "fence {fence} step {step}");
            let s = j.jit_stats();
            assert!(s.suspected > 0 && s.invalidated > 0, "the patched region was dropped: {s:?}");
            assert!(s.chain_hits > 0 && s.jc_hits > 0, "{s:?}");
        }
    }
}

#[test]
fn flushing_while_chained_agrees() {
    for patch in [false, true] {
        let elf = program(patch, false);
        let mut j = jit_with(|c| c.cache_bytes = 4096);
        let r = lockstep_machines(boot(&elf), boot(&elf), &mut j, 1_000_000, 400, 9).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(r.outcome, Outcome::Exit(0));
        let s = j.jit_stats();
        assert!(s.flushes > 2, "the cache was flushed again and again: {s:?}");
        assert!(s.chain_hits > 0 && s.jc_hits > 0, "{s:?}");
    }
}

#[test]
fn regions_compiled_again_optimised_agree_in_lockstep() {
    for patch in [false, true] {
        let elf = program(patch, false);
        for step in [37, 1000] {
            // Every deadline a sample: regions tier up at once, while chained.
            let mut j = jit_with(|c| c.tier_up_samples = 1);
            let r = lockstep_machines(boot(&elf), boot(&elf), &mut j, 1_000_000, step, 13)
                .unwrap_or_else(|e| panic!("{e}"));
            assert_eq!(r.outcome, Outcome::Exit(0));
            let s = j.jit_stats();
            assert!(s.tier_ups > 0, "regions were compiled again (patch {patch}, step {step}): {s:?}");
            assert!(s.chain_hits > 0 && s.jc_hits > 0, "{s:?}");
        }
    }
    // Never, when turned off.
    let elf = program(false, false);
    let mut j = jit_with(|c| c.tier_up_samples = 0);
    let r = lockstep_machines(boot(&elf), boot(&elf), &mut j, 1_000_000, 100, 2).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(r.outcome, Outcome::Exit(0));
    assert_eq!(j.jit_stats().tier_ups, 0);
}

#[test]
fn no_chaining_when_turned_off() {
    let elf = program(true, false);
    // By configuration.
    let mut j = jit_with(|c| c.chain = false);
    let r = lockstep_machines(boot(&elf), boot(&elf), &mut j, 1_000_000, 250, 3).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(r.outcome, Outcome::Exit(0));
    let s = j.jit_stats();
    assert_eq!((s.chain_hits, s.chain_misses, s.jc_hits, s.jc_misses), (0, 0, 0, 0), "{s:?}");
    assert!(s.compiles > 0);
    // By `-d nochain` on the machine.
    let mut j = jit(2);
    let mut a = boot(&elf);
    let mut b = boot(&elf);
    a.trace.nochain = true;
    b.trace.nochain = true;
    let r = lockstep_machines(a, b, &mut j, 1_000_000, 250, 4).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(r.outcome, Outcome::Exit(0));
    let s = j.jit_stats();
    assert_eq!((s.chain_hits, s.jc_hits), (0, 0), "{s:?}");
}

#[test]
fn a_region_reused_by_another_machine_is_recompiled() {
    // The same engine on a second machine: its RAM lives elsewhere, so the
    // code cache (which bakes in RAM addresses) must be flushed, not reused.
    let elf = program(false, false);
    let mut j = jit(2);
    let (o, first) = run_to_end(&elf, &mut j, 1_000_000);
    assert_eq!(o, Outcome::Exit(0));
    let (o, _) = run_to_end(&elf, &mut j, 1_000_000);
    assert_eq!(o, Outcome::Exit(0));
    assert!(j.jit_stats().flushes >= 1);
    drop(first);
}

/// A `switch`: a jump table read by `jr` in a loop, with cases on the same
/// page as the jump and one on the next page; each case jumps back. The
/// dispatcher records the jump's targets and recompiles its region with them
/// inside (a jump table over the region's blocks).
fn switch_program() -> (Vec<u8>, i64) {
    let t = IsaTable::core();
    let mut img = vec![0u8; 0x3000];
    const SW_TABLE: u64 = 0x2800;
    let case_at = [0x400u64, 0x480, 0x500, 0x1100];
    let mut main = Vec::new();
    let mut join_at = 0i64;
    let mut fail_at = 0i64;
    let n = 5000i64;
    let mut want = 0i64;
    for i in 0..n {
        want = want.wrapping_add(3 * (i % 4) + 1);
    }
    for _ in 0..3 {
        let mut a = Asm::new(&t);
        a.li(S0, 0);
        a.li(S1, n);
        a.li(A0, 0);
        a.li(T0, (BASE + SW_TABLE) as i64);
        let lp = a.here();
        a.emit("andi", T1, S0, 0, 3);
        a.emit("slli", T1, T1, 0, 3);
        a.emit("add", T1, T1, T0, 0);
        a.emit("ld", T2, T1, 0, 0);
        a.emit("jalr", 0, T2, 0, 0);
        let join = a.here();
        a.emit("addi", S0, S0, 0, 1);
        let here = a.here();
        a.emit("blt", 0, S0, S1, lp - here);
        a.li(T4, want);
        let here = a.here();
        a.emit("bne", 0, A0, T4, fail_at - here);
        let fail = a.pass_fail(T3, T4);
        join_at = join;
        fail_at = fail;
        main = a.code;
    }
    img[..main.len()].copy_from_slice(&main);
    for (k, &at) in case_at.iter().enumerate() {
        let mut a = Asm::new(&t);
        a.emit("addi", A0, A0, 0, 3 * k as i64 + 1);
        let here = at as i64 + a.here();
        a.emit("jal", 0, 0, 0, join_at - here);
        img[at as usize..at as usize + a.code.len()].copy_from_slice(&a.code);
        let ta = SW_TABLE as usize + 8 * k;
        img[ta..ta + 8].copy_from_slice(&(BASE + at).to_le_bytes());
    }
    (ElfBuilder::new(BASE, img).build(), want)
}

#[test]
fn switch_jumps_stay_inside_the_region_and_agree() {
    let (elf, _) = switch_program();
    let (o, _) = run_to_end(&elf, &mut mkjit_runtime::interp::Interp::new(), 1_000_000);
    assert_eq!(o, Outcome::Exit(0), "the program itself is right");
    for step in [5, 300, 100_000] {
        let mut j = jit_with(|c| c.threshold = 20);
        let r =
            lockstep_machines(boot(&elf), boot(&elf), &mut j, 1_000_000, step, 17).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(r.outcome, Outcome::Exit(0));
        let s = j.jit_stats();
        if step == 100_000 {
            assert!(s.recompiles > 0, "the switch's region was compiled again with its targets: {s:?}");
            assert!(s.jc_hits < 5000 / 2, "most switch jumps stayed inside the region: {s:?}");
        }
    }
}

#[test]
fn overwriting_a_later_page_of_a_multi_page_region_drops_it() {
    // f2 (page 2) is part of the main loop's region, which spans pages 0-3.
    let at = F1 + 0x1000;
    let elf = program_at(true, false, at);
    let (o, _) = run_to_end(&elf, &mut mkjit_runtime::interp::Interp::new(), 1_000_000);
    assert_eq!(o, Outcome::Exit(0), "the program itself is right");
    for step in [11, 100_000] {
        let mut j = jit_with(|c| c.threshold = 20);
        let r = lockstep_machines(boot(&elf), boot(&elf), &mut j, 1_000_000, step, 8).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(r.outcome, Outcome::Exit(0));
        let s = j.jit_stats();
        assert!(s.invalidated > 0, "{s:?}");
    }
}

/// An `ecall` in a loop, handled in M-mode (`mepc += 4; mret`): the trap
/// leaves its region through a helper and goes on through the jump cache in
/// the new mode, without the dispatcher. (`mret` sets `hart.exit`, since it
/// may enable interrupts, and so does every CSR write, so they return to the
/// machine loop, as on the interpreter.)
#[test]
fn traps_and_mret_chain_through_the_jump_cache() {
    let t = IsaTable::core();
    let n = 2000i64;
    let mut code = Vec::new();
    let mut labels = [0i64; 2]; // handler, fail
    for _ in 0..3 {
        let mut a = Asm::new(&t);
        a.li(T0, BASE as i64 + labels[0]);
        a.emit("csrrw", 0, T0, 0, 0x305); // mtvec
        a.li(S0, 0);
        a.li(S1, n);
        let lp = a.here();
        a.emit("ecall", 0, 0, 0, 0);
        a.emit("addi", S0, S0, 0, 1);
        let here = a.here();
        a.emit("blt", 0, S0, S1, lp - here);
        a.li(T4, 3 * n);
        let here = a.here();
        a.emit("bne", 0, A0, T4, labels[1] - here);
        let fail = a.pass_fail(T3, T4);
        let handler = (a.here() + 3) / 4 * 4;
        while a.here() < handler {
            a.emit("c.nop", 0, 0, 0, 0);
        }
        a.emit("addi", A0, A0, 0, 3);
        a.emit("csrrs", T0, 0, 0, 0x341);
        a.emit("addi", T0, T0, 0, 4);
        a.emit("csrrw", 0, T0, 0, 0x341);
        a.emit("mret", 0, 0, 0, 0);
        labels = [handler, fail];
        code = a.code;
    }
    let elf = ElfBuilder::new(BASE, code).build();
    let (o, _) = run_to_end(&elf, &mut mkjit_runtime::interp::Interp::new(), 1_000_000);
    assert_eq!(o, Outcome::Exit(0), "the program itself is right");
    for step in [7, 100_000] {
        let mut j = jit(2);
        let r = lockstep_machines(boot(&elf), boot(&elf), &mut j, 1_000_000, step, 2).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(r.outcome, Outcome::Exit(0));
        let s = j.jit_stats();
        if step == 100_000 {
            assert!(s.jc_hits >= n as u64 - 10, "traps went on through the jump cache: {s:?}");
            // Every CSR write (the handler's `csrw mepc`) and every `mret` sets
            // `hart.exit`; the `ecall`s do not go back to the dispatcher.
            assert!(s.region_runs <= 2 * n as u64 + 10, "{s:?}");
        }
    }
}
