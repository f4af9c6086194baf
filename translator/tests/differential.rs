//! Differential tests: guest programs run in lockstep on the interpreter and
//! on the JIT (compiling almost everything), compared at every stop.

mod common;

use common::{jit, lockstep, run_to_end};
use mkjit_runtime::machine::Outcome;
use mkjit_translator::{Jit, JitConfig, JitStats, Tier};
use std::path::{Path, PathBuf};

fn elfs_in(dir: &Path, ext: Option<&str>) -> Vec<PathBuf> {
    let Ok(rd) = std::fs::read_dir(dir) else { return Vec::new() };
    let mut v: Vec<_> = rd
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_file() && ext.is_none_or(|x| p.extension().is_some_and(|e| e == x)))
        .collect();
    v.sort();
    v
}

/// Where the project's guest programs are.
fn project_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../runtime/tests/guest/bin")
}

/// The project's guest programs (`runtime/tests/guest/bin/*.elf`).
fn project_programs() -> Vec<PathBuf> {
    elfs_in(&project_dir(), Some("elf"))
}

/// What running programs in lockstep found.
struct Campaign {
    /// The programs that diverged or did not exit with 0, and how.
    failed: Vec<String>,
    /// The share of clock slots that ran in compiled code.
    share: f64,
    /// Each program's JIT counters.
    stats: Vec<JitStats>,
}

impl Campaign {
    fn assert_agreed(&self, progs: &[PathBuf]) {
        assert!(
            self.failed.is_empty(),
            "{} of {} diverged:\n{}",
            self.failed.len(),
            progs.len(),
            self.failed.join("\n")
        );
    }

    /// Asserts that more than `min` of the clock slots ran in compiled code.
    fn assert_compiled_share(&self, min: f64) {
        assert!(self.share > min, "only {:.1}% ran in compiled code", self.share * 100.0);
    }

    /// The sum of one counter over the programs.
    fn total(&self, f: impl Fn(&JitStats) -> u64) -> u64 {
        self.stats.iter().map(f).sum()
    }
}

/// Runs every program in lockstep on a JIT compiling at `threshold`.
fn run_all(progs: &[PathBuf], threshold: u32, max_step: u64) -> Campaign {
    run_all_with(progs, max_step, 7, &|| jit(threshold))
}

/// [`run_all`] with JITs from `make`; program `n` stops at the steps of seed `seed + n`.
fn run_all_with(progs: &[PathBuf], max_step: u64, seed: u64, make: &dyn Fn() -> Jit) -> Campaign {
    let mut failed = Vec::new();
    let mut stats = Vec::new();
    let (mut total, mut jitted) = (0u64, 0u64);
    for (n, p) in progs.iter().enumerate() {
        let bytes = std::fs::read(p).expect("readable");
        let mut j = make();
        match lockstep(&bytes, &mut j, 20_000_000, max_step, n as u64 + seed) {
            Ok(r) if r.outcome == Outcome::Exit(0) => {
                total += r.insns;
                jitted += r.jit_clock;
            }
            Ok(r) => failed.push(format!("{}: both engines ended with {:?}", p.display(), r.outcome)),
            Err(e) => failed.push(format!("{}: {e}", p.display())),
        }
        stats.push(j.jit_stats());
    }
    let share = jitted as f64 / total.max(1) as f64;
    eprintln!("{} programs, {total} clock slots, {:.1}% in compiled code", progs.len(), 100.0 * share);
    Campaign { failed, share, stats }
}

/// A JIT with `cfg`, compiling at once and counting every run.
fn jit_at_once(cfg: JitConfig) -> Jit {
    Jit::with_config(JitConfig { threshold: 1, count_resumptions: true, ..cfg }).expect("JIT starts")
}

#[test]
fn project_guest_programs_agree_in_lockstep() {
    let progs = project_programs();
    assert!(!progs.is_empty(), "no guest programs in {}", project_dir().display());
    let c = run_all(&progs, 1, 300);
    c.assert_agreed(&progs);
    c.assert_compiled_share(0.5);
}

#[test]
fn project_guest_programs_agree_in_lockstep_on_the_optimising_tier() {
    let progs = project_programs();
    let c = run_all_with(&progs, 300, 3, &|| jit_at_once(JitConfig { tier: Tier::Optimized, ..Default::default() }));
    c.assert_agreed(&progs);
    c.assert_compiled_share(0.5);
}

#[test]
fn project_guest_programs_agree_in_lockstep_with_background_compiles() {
    let progs = project_programs();
    // Code arrives whenever the compile thread gets to it: on a loaded
    // machine none may arrive before these short programs end, so the set
    // runs again (every run must agree) until some did.
    let mut background = 0;
    for round in 0..5 {
        let c = run_all_with(&progs, 300, 7 + round, &|| common::jit_background(1));
        c.assert_agreed(&progs);
        background = c.total(|s| s.background);
        if background > 0 {
            break;
        }
    }
    assert!(background > 0, "no region was compiled on the compile thread");
}

#[test]
fn project_guest_programs_pass_on_the_jit_at_default_settings() {
    for p in project_programs() {
        let bytes = std::fs::read(&p).expect("readable");
        let mut j = Jit::new().expect("JIT starts");
        let (o, _) = run_to_end(&bytes, &mut j, 50_000_000);
        assert_eq!(o, Outcome::Exit(0), "{}", p.display());
    }
}

/// The upstream riscv-tests binaries, when present (they are not part of the project).
#[test]
fn upstream_isa_tests_agree_in_lockstep() {
    let dir = Path::new("/tmp/upstream/isa-bin");
    let progs = elfs_in(dir, None);
    if progs.is_empty() {
        eprintln!("skipping: no upstream ISA binaries in {}", dir.display());
        return;
    }
    let c = run_all(&progs, 2, 200);
    c.assert_agreed(&progs);
    c.assert_compiled_share(0.3);
}

/// A code cache so small that it fills up and is flushed again and again.
#[test]
fn tiny_code_cache_flushes_and_still_agrees() {
    let progs = project_programs();
    let c = run_all_with(&progs, 500, 1, &|| jit_at_once(JitConfig { cache_bytes: 48 << 10, ..Default::default() }));
    c.assert_agreed(&progs);
    assert!(c.total(|s| s.flushes) > 0, "the cache never filled up");
}

/// Every region compiled again optimised at its first deadline sample, while
/// the programs change privilege and address space: a region is compiled
/// again for its own mode, whatever mode the hart is in when it is sampled.
#[test]
fn regions_compiled_again_at_once_agree_in_lockstep() {
    let mut progs = project_programs();
    progs.extend(
        elfs_in(Path::new("/tmp/upstream/isa-bin"), None)
            .into_iter()
            .filter(|p| p.file_name().is_some_and(|n| n.to_string_lossy().contains("-v-"))),
    );
    let c = run_all_with(&progs, 60, 3, &|| jit_at_once(JitConfig { tier_up_samples: 1, ..Default::default() }));
    c.assert_agreed(&progs);
    let tier_ups = c.total(|s| s.tier_ups);
    assert!(tier_ups > 100, "regions were compiled again: {tier_ups}");
}
