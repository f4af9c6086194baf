//! The stock guest OS image boots and passes every self-check on mkjit, and
//! (where QEMU is installed) prints the same CHECK lines as on QEMU's `virt`.

use std::path::{Path, PathBuf};
use std::process::Command;

fn image() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("guest-os/images/stock.elf")
}

fn checks(out: &str) -> Vec<&str> {
    out.lines().filter(|l| l.starts_with("CHECK ")).collect()
}

fn run_mkjit(engine: &str, append: &str) -> (Option<i32>, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_mkjit"))
        .args(["run", "--engine", engine, "--max-insns", "2000000000", "-append", append])
        .arg(image())
        .output()
        .expect("mkjit runs");
    (out.status.code(), String::from_utf8_lossy(&out.stdout).into_owned())
}

#[test]
fn stock_image_passes_every_check_on_mkjit() {
    let (code, out) = run_mkjit("interp", "");
    let c = checks(&out);
    assert_eq!(code, Some(0), "guest exit code; output:\n{out}");
    assert!(c.len() >= 40, "expected the full set of checks, got {}:\n{out}", c.len());
    assert!(c.iter().all(|l| l.ends_with(" ok")), "failed checks:\n{out}");
    assert!(out.contains("RESULT workload=ipc"), "IPC results printed:\n{out}");
}

#[test]
fn stock_image_output_is_deterministic() {
    let (_, a) = run_mkjit("interp", "workload=pingpong");
    let (_, b) = run_mkjit("interp", "workload=pingpong");
    assert!(!a.is_empty());
    assert_eq!(a, b, "two runs of the same image must print the same bytes");
}

#[test]
fn stock_image_checks_match_qemu() {
    let qemu = Command::new("qemu-system-riscv64").arg("--version").output();
    if qemu.is_err() {
        eprintln!("qemu-system-riscv64 not installed: comparison skipped (ci/test.sh installs it)");
        return;
    }
    let out = Command::new("timeout")
        .args(["120", "qemu-system-riscv64", "-M", "virt", "-m", "256M", "-bios", "none", "-nographic", "-kernel"])
        .arg(image())
        .output()
        .expect("qemu runs");
    let q = String::from_utf8_lossy(&out.stdout).into_owned();
    assert_eq!(out.status.code(), Some(0), "QEMU run:\n{q}");
    let (code, m) = run_mkjit("interp", "");
    assert_eq!(code, Some(0));
    assert_eq!(checks(&q), checks(&m), "CHECK lines differ between QEMU and mkjit");
}
