//! A loop that stays in one region far longer than one region run's
//! instruction budget (65,535), with no deadline anywhere near: compiled code
//! refreshes its budget and goes on, and ends in exactly the interpreter's
//! state (clock, modeled cycles, registers).

mod common;

use common::{boot, jit, self_checking_image, State};
use mkjit_runtime::interp::Interp;
use mkjit_runtime::isa::reg::*;
use mkjit_runtime::machine::{Engine, Outcome};

const BASE: u64 = 0x8000_0000;

/// Iterations of the loop (five instructions each).
const N: i64 = 300_000;

/// `for t0 = N; t0 != 0; t0--: mem[a1] += 1`, then exit 0 if `mem[a1] == N`.
fn counting_loop() -> Vec<u8> {
    self_checking_image(|a, fail| {
        a.li(T0, N);
        a.li(A1, (BASE + 0x10_0000) as i64);
        let lp = a.here();
        a.emit("lw", T1, A1, 0, 0);
        a.emit("addi", T1, T1, 0, 1);
        a.emit("sw", 0, A1, T1, 0);
        a.emit("addi", T0, T0, 0, -1);
        let here = a.here();
        a.emit("bne", 0, T0, 0, lp - here);
        a.emit("lw", T1, A1, 0, 0);
        a.li(T4, N);
        let here = a.here();
        a.emit("bne", 0, T1, T4, fail - here);
    })
}

fn run(elf: &[u8], engine: &mut dyn Engine) -> State {
    let mut m = boot(elf);
    assert_eq!(m.run(engine), Outcome::Exit(0));
    State::of(&m)
}

#[test]
fn a_loop_longer_than_a_region_budget_runs_compiled_to_the_interpreters_state() {
    let elf = counting_loop();
    let want = run(&elf, &mut Interp::new());
    assert!(want.clock > 5 * N as u64, "the loop ran: {want:?}");
    assert!(want.cycles > want.clock, "loads and stores cost more than a cycle: {want:?}");
    let mut j = jit(3);
    let got = run(&elf, &mut j);
    assert_eq!(got, want, "differs:\n{}", got.diff(&want));
    let s = j.jit_stats();
    assert!(s.jit_clock > want.clock * 9 / 10, "compiled code ran the loop: {s:?}");
    // Each region run stops within 65,535 instructions of its start.
    assert!(s.region_runs >= want.clock / 65_535, "region runs: {s:?}");
}
