//! Differential tests: guest programs run in lockstep on the interpreter and
//! on the JIT (compiling almost everything), compared at every stop.

mod common;

use common::{jit, lockstep, run_to_end};
use mkjit_runtime::machine::Outcome;
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

/// Runs every program in lockstep; returns the failures and the share of
/// clock slots that ran in compiled code.
fn run_all(progs: &[PathBuf], threshold: u32, max_step: u64) -> (Vec<String>, f64) {
    run_all_with(progs, max_step, &|| jit(threshold)).0
}

/// [`run_all`] with JITs from `make`; also returns the background compiles.
fn run_all_with(
    progs: &[PathBuf],
    max_step: u64,
    make: &dyn Fn() -> mkjit_translator::Jit,
) -> ((Vec<String>, f64), u64) {
    let mut failed = Vec::new();
    let (mut total, mut jitted, mut background) = (0u64, 0u64, 0u64);
    for (n, p) in progs.iter().enumerate() {
        let bytes = std::fs::read(p).expect("readable");
        let mut j = make();
        match lockstep(&bytes, &mut j, 20_000_000, max_step, n as u64 + 7) {
            Ok(r) if r.outcome == Outcome::Exit(0) => {
                total += r.insns;
                jitted += r.jit_clock;
            }
            Ok(r) => failed.push(format!("{}: both engines ended with {:?}", p.display(), r.outcome)),
            Err(e) => failed.push(format!("{}: {e}", p.display())),
        }
        background += j.jit_stats().background;
    }
    let share = jitted as f64 / total.max(1) as f64;
    eprintln!("{} programs, {total} clock slots, {:.1}% in compiled code", progs.len(), 100.0 * share);
    ((failed, share), background)
}

#[test]
fn project_guest_programs_agree_in_lockstep() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../runtime/tests/guest/bin");
    let progs = elfs_in(&dir, Some("elf"));
    assert!(!progs.is_empty(), "no guest programs in {}", dir.display());
    let (failed, share) = run_all(&progs, 1, 300);
    assert!(failed.is_empty(), "{} of {} diverged:\n{}", failed.len(), progs.len(), failed.join("\n"));
    assert!(share > 0.5, "only {:.1}% ran in compiled code", share * 100.0);
}

#[test]
fn project_guest_programs_agree_in_lockstep_with_background_compiles() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../runtime/tests/guest/bin");
    let progs = elfs_in(&dir, Some("elf"));
    let ((failed, _), background) = run_all_with(&progs, 300, &|| common::jit_background(1));
    assert!(failed.is_empty(), "{} of {} diverged:\n{}", failed.len(), progs.len(), failed.join("\n"));
    assert!(background > 0, "no region was compiled on the compile thread");
}

#[test]
fn project_guest_programs_pass_on_the_jit_at_default_settings() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../runtime/tests/guest/bin");
    for p in elfs_in(&dir, Some("elf")) {
        let bytes = std::fs::read(&p).expect("readable");
        let mut j = mkjit_translator::Jit::new().expect("JIT starts");
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
    let (failed, share) = run_all(&progs, 2, 200);
    assert!(failed.is_empty(), "{} of {} diverged:\n{}", failed.len(), progs.len(), failed.join("\n"));
    assert!(share > 0.3, "only {:.1}% ran in compiled code", share * 100.0);
}

/// A code cache so small that it fills up and is flushed again and again.
#[test]
fn tiny_code_cache_flushes_and_still_agrees() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../runtime/tests/guest/bin");
    let progs = elfs_in(&dir, Some("elf"));
    let mut flushes = 0;
    for (n, p) in progs.iter().enumerate() {
        let bytes = std::fs::read(p).expect("readable");
        let cfg = mkjit_translator::JitConfig {
            threshold: 1,
            cache_bytes: 48 << 10,
            count_resumptions: true,
            ..Default::default()
        };
        let mut j = mkjit_translator::Jit::with_config(cfg).expect("JIT starts");
        let r = common::lockstep(&bytes, &mut j, 20_000_000, 500, n as u64 + 1)
            .unwrap_or_else(|e| panic!("{}: {e}", p.display()));
        assert_eq!(r.outcome, Outcome::Exit(0), "{}", p.display());
        flushes += j.jit_stats().flushes;
    }
    assert!(flushes > 0, "the cache never filled up");
}

/// Every region compiled again optimised at its first deadline sample, while
/// the programs change privilege and address space: a region is compiled
/// again for its own mode, whatever mode the hart is in when it is sampled.
#[test]
fn regions_compiled_again_at_once_agree_in_lockstep() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../runtime/tests/guest/bin");
    let mut progs = elfs_in(&dir, Some("elf"));
    progs.extend(
        elfs_in(Path::new("/tmp/upstream/isa-bin"), None)
            .into_iter()
            .filter(|p| p.file_name().is_some_and(|n| n.to_string_lossy().contains("-v-"))),
    );
    let mut tier_ups = 0;
    for (n, p) in progs.iter().enumerate() {
        let bytes = std::fs::read(p).expect("readable");
        let cfg = mkjit_translator::JitConfig {
            threshold: 1,
            tier_up_samples: 1,
            count_resumptions: true,
            ..Default::default()
        };
        let mut j = mkjit_translator::Jit::with_config(cfg).expect("JIT starts");
        let r = common::lockstep(&bytes, &mut j, 20_000_000, 60, n as u64 + 3)
            .unwrap_or_else(|e| panic!("{}: {e}", p.display()));
        assert_eq!(r.outcome, Outcome::Exit(0), "{}", p.display());
        tier_ups += j.jit_stats().tier_ups;
    }
    assert!(tier_ups > 100, "regions were compiled again: {tier_ups}");
}
