//! Self-modifying code: a hot loop overwrites one of its own instructions
//! halfway through; the JIT must drop the stale translation and run the new
//! instruction, exactly like the interpreter.

mod common;

use common::{boot, jit, jit_background, lockstep_machines, run_to_end};
use mkjit_runtime::elfgen::ElfBuilder;
use mkjit_runtime::isa::encode::Asm;
use mkjit_runtime::isa::reg::*;
use mkjit_runtime::isa::{Fields, IsaTable};
use mkjit_runtime::machine::Outcome;

const BASE: u64 = 0x8000_0000;

/// The program: 200 iterations of `a0 += 1`; after 100, the `addi` is rewritten
/// to `a0 += 16` (with or without `fence.i`). Exit 0 iff a0 == 1700.
fn program(with_fence: bool) -> Vec<u8> {
    program_with(with_fence, Rewrite::Store)
}

/// How the program rewrites its instruction.
#[derive(Clone, Copy, Debug)]
enum Rewrite {
    /// `sw`.
    Store,
    /// `lw` of the old word through the same register, then `sw` (a load
    /// proves nothing about stores).
    LoadFirst,
    /// `amoswap.w`.
    Amoswap,
    /// `lr.w` then `sc.w` (the reservation of compiled code's LR must serve
    /// the SC the interpreter runs on the code page).
    LrSc,
}

/// [`program`], rewriting the instruction as `how` says.
fn program_with(with_fence: bool, how: Rewrite) -> Vec<u8> {
    let t = IsaTable::core();
    let new_word = t.encode("addi", Fields { rd: A0, rs1: A0, rs2: 0, rs3: 0, imm: 16 }).expect("encodes");
    // Two passes: the first finds the label offsets (all instructions are 4 bytes).
    let mut labels = [0i64; 4]; // patch, skip, fail, (unused)
    let mut code = Vec::new();
    for _ in 0..2 {
        let mut a = Asm::new(&t);
        a.li(A0, 0);
        a.li(S0, 0);
        a.li(S1, 200);
        a.li(S2, 100);
        let here = a.here();
        a.emit("auipc", T2, 0, 0, 0);
        a.emit("addi", T2, T2, 0, labels[0] - here);
        a.li(T3, new_word as i32 as i64);
        let patch = a.here();
        a.emit("addi", A0, A0, 0, 1);
        a.emit("addi", S0, S0, 0, 1);
        let here = a.here();
        a.emit("bne", 0, S0, S2, labels[1] - here);
        match how {
            Rewrite::Store => {
                a.emit("sw", 0, T2, T3, 0);
            }
            Rewrite::LoadFirst => {
                a.emit("lw", T4, T2, 0, 0);
                a.emit("sw", 0, T2, T3, 0);
            }
            Rewrite::Amoswap => {
                a.emit("amoswap.w", T4, T2, T3, 0);
            }
            Rewrite::LrSc => {
                a.emit("lr.w", T4, T2, 0, 0);
                a.emit("sc.w", T4, T2, T3, 0);
            }
        }
        if with_fence {
            a.emit("fence.i", 0, 0, 0, 0);
        }
        let skip = a.here();
        a.emit("blt", 0, S0, S1, patch - skip);
        a.li(T4, 1700);
        let here = a.here();
        a.emit("bne", 0, A0, T4, labels[2] - here);
        let fail = a.pass_fail(T0, T1);
        labels = [patch, skip, fail, 0];
        code = a.code;
    }
    ElfBuilder::new(BASE, code).build()
}

#[test]
fn overwritten_instruction_in_a_hot_loop_takes_effect() {
    for fence in [true, false] {
        let elf = program(fence);
        let (o, _) = run_to_end(&elf, &mut mkjit_runtime::interp::Interp::new(), 100_000);
        assert_eq!(o, Outcome::Exit(0), "the program itself is right (interpreter), fence.i {fence}");
        for threshold in [1, 5, 50] {
            let mut j = jit(threshold);
            let (o, _) = run_to_end(&elf, &mut j, 100_000);
            assert_eq!(o, Outcome::Exit(0), "JIT, threshold {threshold}, fence.i {fence}");
            assert!(j.jit_stats().compiles > 0, "the loop was compiled");
            assert_eq!(j.jit_stats().compile_failures, 0);
            assert!(j.jit_stats().suspected > 0, "the write to a translated page was noticed");
        }
    }
}

/// With compiles on the compile thread, code may arrive after the loop
/// rewrote itself: it must be thrown away or dropped, never run.
#[test]
fn overwritten_instruction_takes_effect_with_background_compiles() {
    for fence in [true, false] {
        let elf = program(fence);
        for threshold in [1, 5, 50] {
            for step in [1, 13, 1000] {
                let mut j = jit_background(threshold);
                let r = lockstep_machines(boot(&elf), boot(&elf), &mut j, 100_000, step, 5)
                    .unwrap_or_else(|e| panic!("threshold {threshold}, step {step}, fence.i {fence}: {e}"));
                assert_eq!(r.outcome, Outcome::Exit(0), "threshold {threshold}, step {step}, fence.i {fence}");
            }
        }
    }
}

#[test]
fn self_modifying_loop_agrees_in_lockstep() {
    for fence in [true, false] {
        let elf = program(fence);
        for step in [1, 7, 100] {
            let mut j = jit(2);
            let r =
                lockstep_machines(boot(&elf), boot(&elf), &mut j, 100_000, step, 3).unwrap_or_else(|e| panic!("{e}"));
            assert_eq!(r.outcome, Outcome::Exit(0));
        }
    }
}

#[test]
fn rewrites_by_load_and_store_amo_and_lr_sc_take_effect() {
    for how in [Rewrite::LoadFirst, Rewrite::Amoswap, Rewrite::LrSc] {
        let elf = program_with(false, how);
        let (o, _) = run_to_end(&elf, &mut mkjit_runtime::interp::Interp::new(), 100_000);
        assert_eq!(o, Outcome::Exit(0), "the program itself is right (interpreter), {how:?}");
        for threshold in [1, 2] {
            let mut j = jit(threshold);
            let (o, _) = run_to_end(&elf, &mut j, 100_000);
            assert_eq!(o, Outcome::Exit(0), "JIT, threshold {threshold}, {how:?}");
            assert!(j.jit_stats().suspected > 0, "the write to a translated page was noticed ({how:?})");
        }
        for step in [1, 7, 100] {
            let r = lockstep_machines(boot(&elf), boot(&elf), &mut jit(2), 100_000, step, 3)
                .unwrap_or_else(|e| panic!("{how:?}, step {step}: {e}"));
            assert_eq!(r.outcome, Outcome::Exit(0));
        }
    }
}
