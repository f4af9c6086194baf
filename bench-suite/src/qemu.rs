//! The stock image on QEMU, side by side with mkjit: host wall time, the same
//! functional lines, and (with `-icount shift=0`) the same instruction counts.
//!
//! QEMU has no bench device, so the guest aggregates samples itself; under
//! plain TCG its `cycle` and `instret` CSRs follow the host clock, so only the
//! functional lines and wall time are compared from the plain run. A second
//! run with `-icount shift=0` makes `instret` exact; it is made only for cells
//! whose guest reports values in instructions (`unit=instret`).

use crate::guest::GuestOutput;
use crate::schema::{InstretPair, QemuRun, Run};
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// Name of the QEMU binary.
pub const QEMU: &str = "qemu-system-riscv64";

/// The QEMU binary on `PATH` and its version line, if installed.
pub fn find() -> Option<(PathBuf, String)> {
    let path = std::env::var_os("PATH")?;
    let bin = std::env::split_paths(&path).map(|d| d.join(QEMU)).find(|p| p.is_file())?;
    let out = Command::new(&bin).arg("--version").stdin(Stdio::null()).output().ok()?;
    let version = String::from_utf8_lossy(&out.stdout).lines().next().unwrap_or("").trim().to_string();
    Some((bin, version))
}

/// Output of one QEMU process.
#[derive(Debug)]
pub struct QemuOutput {
    /// Exit code (`None` when killed).
    pub code: Option<i32>,
    /// Whether it ran past the timeout and was killed.
    pub timed_out: bool,
    /// Console output.
    pub stdout: Vec<u8>,
    /// Wall-clock time of the process.
    pub wall: Duration,
}

/// The command line: `-M virt -m 256M -bios none -nographic -kernel IMG -append ARGS`.
pub fn command(bin: &Path, image: &Path, bootargs: &str, icount: bool) -> Command {
    let mut c = Command::new(bin);
    c.args(["-M", "virt", "-m", "256M", "-bios", "none", "-nographic", "-kernel"]);
    c.arg(image);
    c.args(["-append", bootargs]);
    if icount {
        c.args(["-icount", "shift=0"]);
    }
    c
}

/// Runs QEMU, killing it after `timeout`.
pub fn run(bin: &Path, image: &Path, bootargs: &str, icount: bool, timeout: Duration) -> std::io::Result<QemuOutput> {
    let start = Instant::now();
    let mut child = command(bin, image, bootargs, icount)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()?;
    let mut stdout = child.stdout.take().expect("stdout is piped");
    let reader = std::thread::spawn(move || {
        let mut buf = Vec::new();
        let _ = stdout.read_to_end(&mut buf);
        buf
    });
    let mut timed_out = false;
    let status = loop {
        if let Some(s) = child.try_wait()? {
            break s;
        }
        if start.elapsed() > timeout {
            timed_out = true;
            let _ = child.kill();
            break child.wait()?;
        }
        std::thread::sleep(Duration::from_millis(2));
    };
    let wall = start.elapsed();
    let stdout = reader.join().unwrap_or_default();
    Ok(QemuOutput { code: status.code(), timed_out, stdout, wall })
}

/// The first differences between two lists of functional lines.
pub fn differences(mkjit: &[String], qemu: &[String], max: usize) -> Vec<String> {
    let mut out = Vec::new();
    for i in 0..mkjit.len().max(qemu.len()) {
        let (a, b) = (mkjit.get(i), qemu.get(i));
        if a != b {
            out.push(format!("line {}: mkjit: {}", i + 1, a.map_or("(none)", |s| s.as_str())));
            out.push(format!("line {}: qemu:  {}", i + 1, b.map_or("(none)", |s| s.as_str())));
            if out.len() >= 2 * max {
                break;
            }
        }
    }
    out
}

/// mkjit's values in instructions for `run`: its `instret` series and guest metrics.
fn instret_values(run: &Run) -> Vec<(String, String, u64)> {
    let mut v = Vec::new();
    for s in run.series.iter().filter(|s| s.unit == "instret") {
        for (m, x) in [("min", s.min), ("p50", s.p50), ("p90", s.p90), ("p99", s.p99), ("max", s.max)] {
            v.push((s.name.clone(), m.to_string(), x));
        }
    }
    for r in run.guest_metrics.iter().filter(|r| r.unit == "instret") {
        v.push((r.series.clone(), r.metric.clone(), r.value));
    }
    v
}

/// Runs `run`'s cell on QEMU and compares it with mkjit's run.
pub fn side_by_side(bin: &Path, image: &Path, run: &Run, timeout: Duration) -> QemuRun {
    let mut q = QemuRun {
        run_id: run.id.clone(),
        bootargs: run.bootargs.clone(),
        exit_code: None,
        timed_out: false,
        host_qemu_ns: 0,
        host_mkjit_ns: run.host_boot_ns + run.host_best_ns().unwrap_or(0),
        functional_equal: false,
        differences: Vec::new(),
        instret: Vec::new(),
        error: None,
    };
    let plain = match self::run(bin, image, &run.bootargs, false, timeout) {
        Ok(o) => o,
        Err(e) => {
            q.error = Some(format!("cannot start {}: {e}", bin.display()));
            return q;
        }
    };
    let theirs = GuestOutput::parse(&plain.stdout);
    q.exit_code = plain.code;
    q.timed_out = plain.timed_out;
    q.host_qemu_ns = plain.wall.as_nanos() as u64;
    q.differences = differences(&run.functional, &theirs.functional, 3);
    q.functional_equal = q.differences.is_empty() && !run.functional.is_empty();
    let instret = instret_values(run);
    if !instret.is_empty() {
        match self::run(bin, image, &run.bootargs, true, timeout) {
            Ok(o) => {
                let icount = GuestOutput::parse(&o.stdout);
                for (series, metric, mkjit) in instret {
                    if let Some(t) = icount.metric(&series, &metric) {
                        q.instret.push(InstretPair { series, metric, mkjit, qemu: t.value });
                    }
                }
            }
            Err(e) => q.error = Some(format!("-icount run: {e}")),
        }
    }
    q
}
