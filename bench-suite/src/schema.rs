//! The results file (`results.json`): versioned, self-describing, lossless.
//!
//! Every run records each dimension that can change its numbers (Sightglass
//! style): workload and its command-line parameters, image (with a hash of its
//! bytes), engine, and the cost model by name *and* every parameter value.
//! Series keep every sample exactly (`values`: sorted `[value, count]` pairs)
//! plus an HdrHistogram (`hdr`, V2 deflate, base64), so shards merge without
//! loss. Fields named `host_*` are host wall-clock time: never deterministic,
//! never gated. Everything else is a deterministic function of the inputs;
//! [`Results::modeled_only`] strips the host part, and two runs of the same
//! suite give byte-identical `modeled.json` files.
//!
//! Version history: 1 = first version.

use crate::error::{read_text, write_file, BenchError};
use crate::guest::{Check, ResultLine};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::Path;

/// Value of the `schema` field.
pub const SCHEMA: &str = "mkjit-bench-results";
/// Version of the format this build writes and reads.
pub const SCHEMA_VERSION: u32 = 1;
/// Value of the `host_time_note` field.
pub const HOST_TIME_NOTE: &str = "host_* fields are host wall-clock nanoseconds on the machine that ran the suite: \
not deterministic, not modeled hardware time, never gated by `mkjit compare`";

/// A whole results file.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Results {
    /// Always [`SCHEMA`].
    pub schema: String,
    /// [`SCHEMA_VERSION`] when written.
    pub schema_version: u32,
    /// Version of the mkjit that ran the suite.
    pub mkjit_version: String,
    /// Suite name (`quick`, `default`, `full`).
    pub suite: String,
    /// Number of shards the matrix was cut into (1 when not sharded).
    pub shard_count: u32,
    /// Shards (1-based) whose runs this file holds.
    pub shards: Vec<u32>,
    /// Cells in the whole matrix (all shards).
    pub matrix_cells: usize,
    /// See [`HOST_TIME_NOTE`].
    pub host_time_note: String,
    /// The host (informational).
    pub host: HostInfo,
    /// Guest images.
    pub images: Vec<ImageInfo>,
    /// Notes for the reader (e.g. "codesign image absent").
    pub notes: Vec<String>,
    /// One entry per matrix cell, sorted by id.
    pub runs: Vec<Run>,
    /// Series merged over the cells of one image, engine and cost model.
    pub aggregates: Vec<Aggregate>,
    /// The same workloads on QEMU, when it was run.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub qemu: Option<QemuSection>,
}

/// The host that ran the suite (informational, not deterministic).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct HostInfo {
    /// `std::env::consts::OS`.
    pub os: String,
    /// `std::env::consts::ARCH`.
    pub arch: String,
    /// Available parallelism.
    pub cpus: usize,
    /// Runs executed in parallel.
    pub jobs: usize,
    /// The command line.
    pub command: String,
}

/// A guest image.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ImageInfo {
    /// `stock`, `codesign`, or a user-given name.
    pub name: String,
    /// `embedded` (built into mkjit) or a path.
    pub source: String,
    /// Size in bytes.
    pub bytes: u64,
    /// FNV-1a 64 of the bytes, hex (identifies the image; not a security hash).
    pub fnv1a64: String,
    /// Extensions enabled for it (empty: stock ISA).
    pub extensions: Vec<String>,
}

/// A cost model as used by one run: name, sweep point, every parameter.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CostModelInfo {
    /// Preset name (or file).
    pub name: String,
    /// `name`, or `name+param=value` for a sweep point; part of run ids.
    pub label: String,
    /// The swept parameter and its value, for sweep points.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sweep: Option<SweepPoint>,
    /// Every parameter (`class.*`, `event.*`) and its value.
    pub params: BTreeMap<String, u64>,
}

/// One point of a one-parameter sweep.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct SweepPoint {
    /// Parameter (`class.div`, `event.satp_write`, ...).
    pub param: String,
    /// Its value at this point.
    pub value: u64,
}

/// The dimensions of one matrix cell.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Cell {
    /// Guest workload (`workload=` on the guest command line).
    pub workload: String,
    /// Other guest command-line keys.
    pub params: BTreeMap<String, String>,
    /// Image name.
    pub image: String,
    /// Engine (`interp`, `jit`).
    pub engine: String,
    /// Cost model.
    pub cost_model: CostModelInfo,
}

/// How a run ended.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RunOutcome {
    /// `exit`, `reset`, `insn_limit`, `deadlock` or `error`.
    pub kind: String,
    /// Exit code, instruction limit, or pc.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<u64>,
    /// Error text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
}

/// Deterministic whole-run counters.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Modeled {
    /// Retired instructions (boot to power-off).
    pub instret: u64,
    /// Clock slots.
    pub clock: u64,
    /// Modeled cycles.
    pub cycles: u64,
    /// Traps taken (exceptions and interrupts).
    pub traps: u64,
    /// Clock slots idle in `wfi`.
    pub idle_slots: u64,
    /// Modeled D-TLB misses.
    pub dtlb_misses: u64,
}

/// One series of samples (one `RESULT ... series=` of the guest).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SeriesStats {
    /// Series name.
    pub name: String,
    /// Unit of the samples (`cycles` = modeled cycles, `instret`, ...).
    pub unit: String,
    /// Bench-device series number.
    pub device_series: usize,
    /// Samples.
    pub count: u64,
    /// Smallest sample.
    pub min: u64,
    /// Largest sample.
    pub max: u64,
    /// Sum of the samples.
    pub sum: u64,
    /// Mean.
    pub mean: f64,
    /// Median: the sample at index `n*50/100` of the sorted samples (the guest's rule).
    pub p50: u64,
    /// 90th percentile, same rule.
    pub p90: u64,
    /// 99th percentile, same rule.
    pub p99: u64,
    /// 99.9th percentile, index `n*999/1000`.
    pub p999: u64,
    /// Every sample: sorted `[value, count]` pairs.
    pub values: Vec<[u64; 2]>,
    /// HdrHistogram (3 significant digits), V2 deflate encoding, base64.
    pub hdr: String,
    /// Agreement of the device's samples with the guest's own `RESULT` lines.
    pub guest_check: String,
}

/// One matrix cell's run.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Run {
    /// Unique id: `workload[k=v,...]@image/engine/cost-label`.
    pub id: String,
    /// Position in the whole matrix (runs are sorted by it; stable across shards).
    pub index: usize,
    /// Dimensions.
    pub cell: Cell,
    /// Guest command line.
    pub bootargs: String,
    /// `ok`, or `failed` (see `problems`).
    pub status: String,
    /// Why the run failed (empty when ok).
    pub problems: Vec<String>,
    /// How it ended.
    pub outcome: RunOutcome,
    /// The guest's checks.
    pub checks: Vec<Check>,
    /// Lines that must be the same on every machine: `CHECK`, `SUMMARY`, monitor faults.
    pub functional: Vec<String>,
    /// Whole-run counters.
    pub modeled: Modeled,
    /// Latency series from the bench device.
    pub series: Vec<SeriesStats>,
    /// The guest's other `RESULT` lines (throughputs, elapsed times, counts).
    pub guest_metrics: Vec<ResultLine>,
    /// Host wall-clock time of `Machine::run`, one entry per repetition (ns).
    pub host_run_ns: Vec<u64>,
    /// Host wall-clock time of `Machine::new` (ELF load, device tree), first repetition (ns).
    pub host_boot_ns: u64,
    /// Engine counters of the first repetition (host-side, informational).
    pub host_engine_counters: BTreeMap<String, u64>,
}

impl Run {
    /// The series named `name`.
    pub fn series(&self, name: &str) -> Option<&SeriesStats> {
        self.series.iter().find(|s| s.name == name)
    }

    /// Fastest repetition's host time (ns), if any.
    pub fn host_best_ns(&self) -> Option<u64> {
        self.host_run_ns.iter().copied().min()
    }

    /// Whether the run passed.
    pub fn ok(&self) -> bool {
        self.status == "ok"
    }
}

/// A series merged over every cell of one image, engine and cost model.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Aggregate {
    /// Image.
    pub image: String,
    /// Engine.
    pub engine: String,
    /// Cost-model label.
    pub cost_model: String,
    /// Series name.
    pub series: String,
    /// Unit.
    pub unit: String,
    /// Ids of the runs merged.
    pub runs: Vec<String>,
    /// Samples.
    pub count: u64,
    /// Median of the histogram (HdrHistogram's value at quantile 0.5).
    pub p50: u64,
    /// 99th percentile of the histogram.
    pub p99: u64,
    /// Largest sample (histogram's highest equivalent value).
    pub max: u64,
    /// HdrHistogram, V2 deflate, base64.
    pub hdr: String,
}

/// QEMU side-by-side runs.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct QemuSection {
    /// Binary used.
    pub binary: String,
    /// `qemu-system-riscv64 --version`, first line.
    pub version: String,
    /// One per stock cell.
    pub runs: Vec<QemuRun>,
}

/// One workload on QEMU next to the same cell on mkjit.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct QemuRun {
    /// The mkjit run it mirrors.
    pub run_id: String,
    /// Command line passed with `-append`.
    pub bootargs: String,
    /// QEMU's exit code (`None`: killed or timed out).
    pub exit_code: Option<i32>,
    /// Whether it hit the timeout.
    pub timed_out: bool,
    /// Host wall-clock time of the QEMU process, start-up included (ns).
    pub host_qemu_ns: u64,
    /// Host wall-clock time of mkjit for the same cell, boot and run (ns).
    pub host_mkjit_ns: u64,
    /// Whether the functional lines (`CHECK`, `SUMMARY`, monitor) are identical.
    pub functional_equal: bool,
    /// The first differing functional lines (`mkjit: ...` / `qemu: ...`).
    pub differences: Vec<String>,
    /// Guest `RESULT` values in instructions on mkjit and on QEMU `-icount shift=0`.
    pub instret: Vec<InstretPair>,
    /// Error starting QEMU.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// One instruction-count metric on both machines.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct InstretPair {
    /// Series.
    pub series: String,
    /// Metric (`p50`, ...).
    pub metric: String,
    /// Value on mkjit.
    pub mkjit: u64,
    /// Value on QEMU with `-icount shift=0`.
    pub qemu: u64,
}

impl Results {
    /// An empty results file for `suite`.
    pub fn new(suite: &str) -> Results {
        Results {
            schema: SCHEMA.to_string(),
            schema_version: SCHEMA_VERSION,
            mkjit_version: crate::MKJIT_VERSION.to_string(),
            suite: suite.to_string(),
            shard_count: 1,
            shards: vec![1],
            matrix_cells: 0,
            host_time_note: HOST_TIME_NOTE.to_string(),
            host: HostInfo::default(),
            images: Vec::new(),
            notes: Vec::new(),
            runs: Vec::new(),
            aggregates: Vec::new(),
            qemu: None,
        }
    }

    /// Reads a results file, or `DIR/results.json` when `path` is a directory.
    pub fn load(path: &Path) -> Result<Results, BenchError> {
        let file = if path.is_dir() { path.join("results.json") } else { path.to_path_buf() };
        let text = read_text(&file)?;
        Self::from_json(&text, &file.display().to_string())
    }

    /// Parses a results file's text; `origin` names it in errors.
    pub fn from_json(text: &str, origin: &str) -> Result<Results, BenchError> {
        let parse = |msg: String| BenchError::Parse { path: origin.to_string(), msg };
        let v: serde_json::Value = serde_json::from_str(text).map_err(|e| parse(e.to_string()))?;
        if v.get("schema").and_then(|s| s.as_str()) != Some(SCHEMA) {
            return Err(parse(format!("no \"schema\": \"{SCHEMA}\" field")));
        }
        let found = v.get("schema_version").and_then(|s| s.as_u64()).unwrap_or(0) as u32;
        if found != SCHEMA_VERSION {
            return Err(BenchError::SchemaVersion { path: origin.to_string(), found, expected: SCHEMA_VERSION });
        }
        serde_json::from_value(v).map_err(|e| parse(e.to_string()))
    }

    /// Pretty JSON, ending in a newline.
    pub fn to_json(&self) -> String {
        let mut s = serde_json::to_string_pretty(self).expect("results serialise");
        s.push('\n');
        s
    }

    /// Writes [`Self::to_json`] to `path`.
    pub fn save(&self, path: &Path) -> Result<(), BenchError> {
        write_file(path, self.to_json())
    }

    /// The deterministic part: host information, host times, engine counters
    /// and QEMU runs removed. Two runs of the same matrix give equal values.
    /// This is also the format of baselines.
    pub fn modeled_only(&self) -> Results {
        let mut r = self.clone();
        r.host = HostInfo::default();
        r.qemu = None;
        for run in &mut r.runs {
            run.host_run_ns.clear();
            run.host_boot_ns = 0;
            run.host_engine_counters.clear();
        }
        r
    }

    /// The run with id `id`.
    pub fn run(&self, id: &str) -> Option<&Run> {
        self.runs.iter().find(|r| r.id == id)
    }
}
