//! The stock guest OS image on mkjit: every workload passes its self-checks,
//! output is deterministic, hundreds of tasks run, the IPC fastpath stays in
//! seL4's class, and (where QEMU is installed) the functional output equals
//! QEMU's `virt` board's.

use std::path::{Path, PathBuf};
use std::process::Command;

const WORKLOADS: [&str; 10] = ["ipc", "pingpong", "rpc", "bulk", "file", "kv", "irq", "sched", "fault", "restart"];

fn image() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("guest-os/images/stock.elf")
}

/// The lines that must agree between machines: self-checks and monitor events.
fn functional(out: &str) -> Vec<&str> {
    out.lines().filter(|l| l.starts_with("CHECK ") || l.starts_with("monitor: ") || l.starts_with("SUMMARY ")).collect()
}

fn checks_ok(out: &str) -> bool {
    let c: Vec<_> = out.lines().filter(|l| l.starts_with("CHECK ")).collect();
    !c.is_empty() && c.iter().all(|l| l.ends_with(" ok"))
}

fn mkjit(engine: &str, append: &str) -> (Option<i32>, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_mkjit"))
        .args(["run", "--engine", engine, "--max-insns", "4000000000", "-append", append])
        .arg(image())
        .output()
        .expect("mkjit runs");
    (out.status.code(), String::from_utf8_lossy(&out.stdout).into_owned())
}

fn qemu(append: &str) -> Option<(Option<i32>, String)> {
    Command::new("qemu-system-riscv64").arg("--version").output().ok()?;
    let out = Command::new("timeout")
        .args(["120", "qemu-system-riscv64", "-M", "virt", "-m", "256M", "-bios", "none", "-nographic"])
        .args(["-append", append, "-kernel"])
        .arg(image())
        .output()
        .expect("qemu runs");
    Some((out.status.code(), String::from_utf8_lossy(&out.stdout).into_owned()))
}

fn result(out: &str, series: &str, metric: &str) -> Option<u64> {
    let key = format!("series={series} metric={metric} value=");
    out.lines().find_map(|l| l.split(&key).nth(1)?.split_whitespace().next()?.parse().ok())
}

const ENGINES: [&str; 2] = ["interp", "jit"];

#[test]
fn all_workloads_pass_every_check_on_both_engines_with_identical_output() {
    let (code, interp) = mkjit("interp", "");
    assert_eq!(code, Some(0), "guest exit code; output:\n{interp}");
    assert!(functional(&interp).len() >= 40, "expected the full set of checks:\n{interp}");
    assert!(checks_ok(&interp), "failed checks:\n{interp}");
    let (code, jit) = mkjit("jit", "");
    assert_eq!(code, Some(0), "jit: guest exit code; output:\n{jit}");
    // Every byte, modeled-cycle results included, is the same on both engines.
    assert_eq!(interp, jit, "the JIT's guest-visible output differs from the interpreter's");
}

#[test]
fn each_workload_alone_matches_qemu() {
    for w in WORKLOADS {
        let append = format!("workload={w}");
        let (code, out) = mkjit("interp", &append);
        assert_eq!(code, Some(0), "{w}: exit code; output:\n{out}");
        assert!(checks_ok(&out), "{w}: failed checks:\n{out}");
        let (jcode, jit) = mkjit("jit", &append);
        assert_eq!((jcode, &jit), (code, &out), "{w}: the JIT differs from the interpreter");
        match qemu(&append) {
            Some((qcode, q)) => {
                assert_eq!(qcode, Some(0), "{w} on QEMU:\n{q}");
                assert_eq!(functional(&q), functional(&out), "{w}: functional output differs from QEMU");
            }
            None => eprintln!("qemu-system-riscv64 not installed: {w} not compared (ci/test.sh installs it)"),
        }
    }
}

#[test]
fn output_is_deterministic() {
    for engine in ENGINES {
        let (_, a) = mkjit(engine, "workload=pingpong");
        let (_, b) = mkjit(engine, "workload=pingpong");
        assert!(!a.is_empty());
        assert_eq!(a, b, "{engine}: two runs of the same image must print the same bytes");
    }
}

#[test]
fn hundreds_of_tasks() {
    for engine in ENGINES {
        let (code, out) = mkjit(engine, "workload=rpc clients=256 servers=32 rpc_calls=20");
        assert_eq!(code, Some(0), "{engine}: {out}");
        assert!(checks_ok(&out), "{engine}: {out}");
        assert_eq!(result(&out, "rpc_tasks", "tasks"), Some(288), "256 clients + 32 servers:\n{out}");
    }
}

#[test]
fn default_cost_model_puts_one_way_ipc_near_sel4_on_the_u540() {
    let (code, out) = mkjit("interp", "workload=ipc");
    assert_eq!(code, Some(0), "{out}");
    let call = result(&out, "ipc_call_0w", "p50").expect("one-way call latency printed");
    // sel4bench: 694 cycles for a one-way call on the SiFive U540.
    assert!((600..=800).contains(&call), "modeled one-way call: {call} cycles");
}

#[test]
fn ipc_fastpath_round_trip_is_a_few_hundred_instructions() {
    let (code, out) = mkjit("interp", "workload=ipc counter=instret iters=100");
    assert_eq!(code, Some(0), "{out}");
    let rtt = result(&out, "ipc_rtt_0w_instret", "p50").expect("round-trip instruction count printed");
    assert!((100..600).contains(&rtt), "fastpath call+reply round trip: {rtt} instructions");
}
