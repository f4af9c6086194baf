//! Hotness counting: a block start is compiled the `threshold`-th time the
//! dispatcher finds it, however its count is kept (in the map, or in the fast
//! lookup table while the block keeps running on the interpreter).

mod common;

use common::{boot, jit, self_checking_image};
use mkjit_runtime::isa::reg::*;
use mkjit_runtime::machine::Outcome;

const T0: u8 = 5;

/// Iterations of the loop.
const N: i64 = 5000;

/// `a0 = 0; for t0 = N; t0 != 0; t0--: a0++`, then exit 0 if `a0 == N`.
fn counting_loop() -> Vec<u8> {
    self_checking_image(|a, fail| {
        a.li(T0, N);
        a.li(A0, 0);
        let lp = a.here();
        a.emit("addi", A0, A0, 0, 1);
        a.emit("addi", T0, T0, 0, -1);
        let here = a.here();
        a.emit("bne", 0, T0, 0, lp - here);
        a.li(T4, N);
        let here = a.here();
        a.emit("bne", 0, A0, T4, fail - here);
    })
}

/// Dispatcher lookups served by the interpreter, with `threshold`.
fn misses(elf: &[u8], threshold: u32) -> u64 {
    let mut m = boot(elf);
    let mut j = jit(threshold);
    assert_eq!(m.run(&mut j), Outcome::Exit(0), "threshold {threshold}");
    let s = j.jit_stats();
    assert!(s.compiles > 0, "the loop was compiled (threshold {threshold}): {s:?}");
    s.misses
}

#[test]
fn a_loop_is_compiled_at_exactly_its_threshold() {
    let elf = counting_loop();
    let base = misses(&elf, 3);
    for threshold in [4, 40, 400, 4000] {
        // Each iteration before compiling is one more interpreted block.
        assert_eq!(misses(&elf, threshold) - base, u64::from(threshold) - 3, "threshold {threshold}");
    }
}
