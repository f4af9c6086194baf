//! Floating-point state in compiled code: a hot loop whose only
//! floating-point instructions are the ones the JIT runs inline (moves, sign
//! injection, loads and stores) must mark `mstatus.FS` Dirty each time the
//! loop made it Clean, exactly as the interpreter does; the loop's results
//! and the final state agree between the engines. (Traps while FS is Off are
//! checked on both engines by the guest program `rv64fd`.) Optimised code
//! that leaves where a fast path fails, or from inside a window of deferred
//! checks (a load from a device), agrees too.

mod common;

use common::{boot, jit, self_checking_image, State};
use mkjit_runtime::interp::Interp;
use mkjit_runtime::isa::reg::*;
use mkjit_runtime::machine::{Engine, Outcome};
use mkjit_translator::engine::FP_EXIT_LIMIT;

const BASE: u64 = 0x8000_0000;
const N: i64 = 3000;
const MSTATUS: i64 = 0x300;
const FS: i64 = 3 << 13;

/// `for t0 = N..1`: FS Dirty -> Clean, `f2 = t0`'s bits with the sign
/// flipped, through inline instructions, stored and reloaded; fail unless FS
/// reads Dirty again, and unless the sum of what was reloaded is right.
fn image() -> Vec<u8> {
    self_checking_image(|a, fail| {
        a.li(T1, FS);
        a.emit("csrrs", 0, T1, 0, MSTATUS);
        a.li(T1, 1 << 13);
        a.li(T0, N);
        a.li(A1, (BASE + 0x10_0000) as i64);
        a.li(A2, 0);
        let lp = a.here();
        a.emit("csrrc", 0, T1, 0, MSTATUS); // Dirty -> Clean
        a.emit("fmv.d.x", 1, T0, 0, 0);
        a.emit("fsgnjn.d", 2, 1, 1, 0); // f2 = -f1
        a.emit("fsd", 0, A1, 2, 8);
        a.emit("fld", 3, A1, 0, 8);
        a.emit("fmv.x.d", A3, 3, 0, 0);
        a.emit("add", A2, A2, A3, 0);
        a.emit("csrrs", A4, 0, 0, MSTATUS);
        a.li(A5, FS);
        a.emit("and", A4, A4, A5, 0);
        let here = a.here();
        a.emit("bne", 0, A4, A5, fail - here);
        a.emit("addi", T0, T0, 0, -1);
        let here = a.here();
        a.emit("bne", 0, T0, 0, lp - here);
        // Sum of -(bits of t0 with the sign flipped) over the loop: the sign bit
        // N times (wrapping) plus the values.
        a.li(A5, N.wrapping_mul(1 << 63) + N * (N + 1) / 2);
        let here = a.here();
        a.emit("bne", 0, A2, A5, fail - here);
    })
}

fn run(engine: &mut dyn Engine) -> State {
    let mut m = boot(&image());
    m.max_insns = Some(100 * N as u64);
    assert_eq!(m.run(engine), Outcome::Exit(0), "on {}", engine.name());
    State::of(&m)
}

#[test]
fn inline_floating_point_instructions_keep_mstatus_fs_exact() {
    let want = run(&mut Interp::new());
    assert!(want.clock > 10 * N as u64, "the loop ran: {want:?}");
    let mut j = jit(2);
    let got = run(&mut j);
    assert!(j.jit_stats().compiles > 0, "the loop was compiled");
    assert_eq!(want, got, "state differs:\n{}", want.diff(&got));
}

/// Jumps to `fail` unless f register `fr` holds N(N+1)/2 (uses A1, A4, f6).
fn fail_unless_triangular(a: &mut mkjit_runtime::isa::encode::Asm, fr: u8, fail: i64) {
    a.li(A1, N * (N + 1) / 2);
    a.emit("fcvt.d.l", 6, A1, 0, 0);
    a.emit("feq.d", A4, fr, 6, 0);
    let here = a.here();
    a.emit("beq", 0, A4, 0, fail - here);
}

/// `for t0 = N..1`: `f3 = f1 * 0.0` and `f4 += f3` (exact zeros: their fast
/// paths fail every time), `f5 += t0` (exact sums, fast). Fails unless `f4`
/// is +0 and `f5` is N(N+1)/2.
fn zeros_image() -> Vec<u8> {
    self_checking_image(|a, fail| {
        a.li(T1, FS);
        a.emit("csrrs", 0, T1, 0, MSTATUS);
        a.li(T0, N);
        a.emit("fmv.d.x", 0, 0, 0, 0); // f0 = +0
        a.emit("fmv.d.x", 4, 0, 0, 0);
        a.emit("fmv.d.x", 5, 0, 0, 0);
        let lp = a.here();
        a.emit("fcvt.d.l", 1, T0, 0, 0);
        a.emit("fmul.d", 3, 1, 0, 0);
        a.emit("fadd.d", 4, 4, 3, 0);
        a.emit("fadd.d", 5, 5, 1, 0);
        a.emit("addi", T0, T0, 0, -1);
        let here = a.here();
        a.emit("bne", 0, T0, 0, lp - here);
        a.emit("fmv.x.d", A0, 4, 0, 0);
        let here = a.here();
        a.emit("bne", 0, A0, 0, fail - here);
        fail_unless_triangular(a, 5, fail);
    })
}

/// Runs `image` to its end on the interpreter and on the optimising tier,
/// compares the final states, then runs it in lockstep (stopping at random
/// points, 3 seeds); returns the JIT's counters of the first run.
fn agree_on_the_optimising_tier(image: &[u8]) -> mkjit_translator::engine::JitStats {
    let mut want = boot(image);
    want.max_insns = Some(100 * N as u64);
    assert_eq!(want.run(&mut Interp::new()), Outcome::Exit(0));
    let mut j = common::jit_optimised(2);
    let mut got = boot(image);
    got.max_insns = Some(100 * N as u64);
    assert_eq!(got.run(&mut j), Outcome::Exit(0), "the guest's own checks pass on the JIT");
    let (want, got) = (State::of(&want), State::of(&got));
    assert_eq!(want, got, "state differs:\n{}", want.diff(&got));
    for seed in 1..=3 {
        let r = common::lockstep(image, &mut common::jit_optimised(2), 100 * N as u64, 500, seed).expect("lockstep");
        assert_eq!(r.outcome, Outcome::Exit(0));
    }
    j.jit_stats()
}

#[test]
fn fast_paths_that_keep_failing_leave_then_call_their_handlers() {
    // Optimised code leaves the region where a fast path fails.
    let s = agree_on_the_optimising_tier(&zeros_image());
    // Each exit runs the rest of the loop's block on the interpreter: the
    // region keeps leaving until the limit, then calls the handlers.
    assert!(s.fp_exits >= FP_EXIT_LIMIT as u64, "the fast paths left: {}", s.fp_exits);
    assert!(s.fp_recompiles >= 1, "the region was compiled again");
    assert!(s.fp_exits < N as u64, "and then stopped leaving: {} exits", s.fp_exits);
}

/// `for t0 = N..1`: `f1 = t0`, `f2 += f1` (fast paths whose checks wait for
/// the end of their window), then `f3 = mtime` (a load from a device: it
/// leaves the region, from inside the window, every time) and `a2 += f3`'s
/// bits. Fails unless `f2` is N(N+1)/2.
fn window_load_image() -> Vec<u8> {
    self_checking_image(|a, fail| {
        a.li(T1, FS);
        a.emit("csrrs", 0, T1, 0, MSTATUS);
        a.emit("csrrsi", 0, 1, 0, 0x001); // fflags.NX: the fast paths run
        a.li(T0, N);
        a.li(A0, 0x200_bff8); // the CLINT's mtime
        a.li(A2, 0);
        a.emit("fmv.d.x", 2, 0, 0, 0);
        let lp = a.here();
        a.emit("fcvt.d.l", 1, T0, 0, 0);
        a.emit("fadd.d", 2, 2, 1, 0);
        a.emit("fld", 3, A0, 0, 0);
        a.emit("fmv.x.d", A3, 3, 0, 0);
        a.emit("add", A2, A2, A3, 0);
        a.emit("addi", T0, T0, 0, -1);
        let here = a.here();
        a.emit("bne", 0, T0, 0, lp - here);
        fail_unless_triangular(a, 2, fail);
    })
}

#[test]
fn a_load_that_leaves_inside_a_window_leaves_before_the_window() {
    let s = agree_on_the_optimising_tier(&window_load_image());
    assert!(s.compiles > 0 && s.mem_exits >= N as u64 / 2, "the loop ran compiled, leaving at the load: {s:?}");
}
