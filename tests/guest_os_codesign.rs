//! The codesign guest OS image (`guest-os/images/codesign.elf`) on mkjit with
//! the co-design extensions: every workload passes its self-checks and prints
//! the same functional lines (CHECK, monitor, SUMMARY) as the stock image, the
//! extensions are on the hot paths (per-extension `--stats` counters), the
//! output is deterministic, and the image refuses to run without them.

use std::path::{Path, PathBuf};
use std::process::Command;

const WORKLOADS: [&str; 10] = ["ipc", "pingpong", "rpc", "bulk", "file", "kv", "irq", "sched", "fault", "restart"];
const EXT: &str = "xgate,xline,xctx,xuirq,xamsg,xcap";

fn image(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("guest-os/images").join(name)
}

/// The lines that must agree between the two builds: self-checks and monitor events.
fn functional(out: &str) -> Vec<&str> {
    out.lines().filter(|l| l.starts_with("CHECK ") || l.starts_with("monitor: ") || l.starts_with("SUMMARY ")).collect()
}

fn checks_ok(out: &str) -> bool {
    let c: Vec<_> = out.lines().filter(|l| l.starts_with("CHECK ")).collect();
    !c.is_empty() && c.iter().all(|l| l.ends_with(" ok"))
}

/// Runs `img` on the interpreter; returns exit code, stdout, stderr.
fn mkjit(img: &str, ext: Option<&str>, append: &str, stats: bool) -> (Option<i32>, String, String) {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_mkjit"));
    cmd.args(["run", "--engine", "interp", "--max-insns", "4000000000", "-append", append]);
    if let Some(e) = ext {
        cmd.args(["--ext", e]);
    }
    if stats {
        cmd.arg("--stats");
    }
    let out = cmd.arg(image(img)).output().expect("mkjit runs");
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn codesign(append: &str) -> (Option<i32>, String, String) {
    mkjit("codesign.elf", Some(EXT), append, true)
}

fn result(out: &str, series: &str, metric: &str) -> Option<u64> {
    let key = format!("series={series} metric={metric} value=");
    out.lines().find_map(|l| l.split(&key).nth(1)?.split_whitespace().next()?.parse().ok())
}

/// A `--stats` counter: `<ext>.<event> N`, or `exception|interrupt <cause> N` (0 when not listed).
fn stat(stats: &str, name: &str) -> u64 {
    let words = name.split_whitespace().count();
    let found = stats.lines().find_map(|l| {
        let w: Vec<_> = l.split_whitespace().collect();
        (w.len() > words && w[..words].join(" ") == name).then(|| w[words].parse().ok())?
    });
    match found {
        Some(v) => v,
        None if name.starts_with("exception ") || name.starts_with("interrupt ") => 0,
        None => panic!("no `{name}` in --stats:\n{stats}"),
    }
}

#[test]
fn all_workloads_pass_every_check() {
    let (code, out, err) = codesign("");
    assert_eq!(code, Some(0), "guest exit code; output:\n{out}\n{err}");
    assert!(functional(&out).len() >= 40, "expected the full set of checks:\n{out}");
    assert!(checks_ok(&out), "failed checks:\n{out}");
    let (scode, stock, _) = mkjit("stock.elf", None, "", false);
    assert_eq!(scode, Some(0), "stock image:\n{stock}");
    assert_eq!(functional(&out), functional(&stock), "functional output differs from the stock image");
}

#[test]
fn each_workload_alone_matches_stock() {
    for w in WORKLOADS {
        let append = format!("workload={w}");
        let (code, out, err) = codesign(&append);
        assert_eq!(code, Some(0), "{w}: exit code; output:\n{out}\n{err}");
        assert!(checks_ok(&out), "{w}: failed checks:\n{out}");
        let (scode, stock, _) = mkjit("stock.elf", None, &append, false);
        assert_eq!(scode, Some(0), "{w} on the stock image:\n{stock}");
        assert_eq!(functional(&out), functional(&stock), "{w}: functional output differs from the stock image");
    }
}

#[test]
fn extensions_are_on_the_hot_paths() {
    // Xgate: RPC through call gates, CLB refilled by the kernel on misses only.
    let (_, out, st) = codesign("workload=rpc");
    let (gcalls, misses) = (stat(&st, "xgate.gcall"), stat(&st, "xgate.clb_miss"));
    assert!(gcalls >= 1600, "rpc: {gcalls} gcalls for 1600 calls\n{out}");
    assert!(misses * 20 < gcalls, "rpc: CLB misses {misses} vs gcalls {gcalls}");
    assert_eq!(stat(&st, "xgate.gret"), gcalls, "every call returns");
    // Xctx: every kernel entry/exit is ctx.save + ctx.load/ctx.switch.
    let entries = stat(&st, "exception 8");
    assert!(stat(&st, "xctx.save") >= entries, "kernel entries without ctx.save");
    assert!(stat(&st, "xctx.switch") >= entries, "kernel exits without ctx.switch");
    // Xline: the IPC buffer (window 0) and bulk windows change owner with the calls.
    let (_, _, st) = codesign("workload=bulk,file");
    assert!(
        stat(&st, "xline.give") > 0 && stat(&st, "xline.handoff") >= stat(&st, "xline.give"),
        "windows handed over"
    );
    assert!(stat(&st, "xline.hit") > 100_000, "bulk data through windows");
    assert!(stat(&st, "xgate.link_max_depth") >= 2, "file -> fs -> blk nests two gate calls");
    // Xuirq: the UART interrupt reaches the console driver without the kernel.
    let (_, out, st) = codesign("workload=irq");
    assert!(stat(&st, "xuirq.deliver") >= 70, "irq: deliveries\n{out}");
    assert_eq!(stat(&st, "interrupt 9"), 0, "no UART interrupt goes through the kernel");
    // Xamsg (+ Xuirq queue binding): ping-pong through hardware queues.
    let (_, out, st) = codesign("workload=pingpong");
    assert!(stat(&st, "xamsg.asend") >= 440, "pingpong: asend\n{out}");
    assert!(stat(&st, "xuirq.deliver") >= 220, "pingpong: event-triggered switches");
    // Xcap: kv values read through a capability to the server's store.
    let (_, out, st) = codesign("workload=kv");
    assert!(stat(&st, "xcap.access") > 1000, "kv: capability loads\n{out}");
}

#[test]
fn extensions_cut_the_modeled_cost() {
    let (_, cs, _) = codesign("workload=ipc,pingpong,irq");
    let (_, stock, _) = mkjit("stock.elf", None, "workload=ipc,pingpong,irq", false);
    for (series, factor) in [("ipc_call_0w", 3), ("ipc_rtt_0w", 3), ("pingpong_rtt", 3), ("irq_uart_to_driver", 3)] {
        let c = result(&cs, series, "p50").unwrap_or_else(|| panic!("{series} missing:\n{cs}"));
        let s = result(&stock, series, "p50").unwrap_or_else(|| panic!("{series} missing (stock)"));
        assert!(c * factor <= s, "{series}: codesign {c} vs stock {s} cycles");
    }
}

#[test]
fn output_is_deterministic() {
    let (_, a, _) = codesign("workload=pingpong,irq,restart");
    let (_, b, _) = codesign("workload=pingpong,irq,restart");
    assert!(!a.is_empty());
    assert_eq!(a, b, "two runs of the same image must print the same bytes");
}

#[test]
fn hundreds_of_tasks_through_gates() {
    let (code, out, st) = codesign("workload=rpc clients=256 servers=32 rpc_calls=20");
    assert_eq!(code, Some(0), "{out}");
    assert!(checks_ok(&out), "{out}");
    assert_eq!(result(&out, "rpc_tasks", "tasks"), Some(288), "256 clients + 32 servers:\n{out}");
    assert!(stat(&st, "xgate.gcall") >= 256 * 20, "calls through gates");
}

#[test]
fn refuses_to_run_without_the_extensions() {
    let (code, out, _) = mkjit("codesign.elf", None, "", false);
    assert_eq!(code, Some(3), "kernel panic exit code without --ext:\n{out}");
    assert!(out.contains("missing co-design extensions"), "{out}");
}

/// The codesign image prints the same bytes on the interpreter, the JIT and
/// the JIT without extension fast paths. The JIT compiles on its background
/// thread (the CLI's default), fast paths included.
#[test]
fn codesign_output_is_identical_on_every_engine() {
    let run = |args: &[&str]| {
        let out = Command::new(env!("CARGO_BIN_EXE_mkjit"))
            .args(["run", "--max-insns", "4000000000", "--stats", "--ext", EXT])
            .args(args)
            .arg(image("codesign.elf"))
            .env_remove("MKJIT_JIT_BACKGROUND")
            .output()
            .expect("mkjit runs");
        let text = |b: &[u8]| String::from_utf8_lossy(b).into_owned();
        (out.status.code(), text(&out.stdout), text(&out.stderr))
    };
    let (icode, interp, _) = run(&["--engine", "interp"]);
    assert_eq!(icode, Some(0), "{interp}");
    for args in [&["--engine", "jit"][..], &["--engine", "jit", "--no-fastpath"][..]] {
        let (code, out, stats) = run(args);
        assert_eq!(code, Some(0), "{args:?}: {out}");
        assert_eq!(out, interp, "{args:?}: output differs from the interpreter's");
        let compiles = stat(&stats, "jit compiles");
        assert!(compiles > 0 && stat(&stats, "jit background compiles") == compiles, "{args:?}: {stats}");
        if args.len() == 2 {
            assert!(stat(&stats, "jit ext fast paths") > 0, "no fast path compiled: {stats}");
        }
    }
}
