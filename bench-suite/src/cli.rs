//! The `mkjit bench`, `mkjit compare` and `mkjit merge` commands: argument
//! definitions (embedded by the `mkjit` binary) and their drivers.

use crate::compare::{compare, EXIT_REGRESSION};
use crate::error::BenchError;
use crate::merge::merge;
use crate::report;
use crate::runner::{aggregates, run_cells, Host, RunConfig};
use crate::schema::{HostInfo, QemuSection, Results, Run};
use crate::suite::{self, Suite, WorkloadSpec};
use std::path::{Path, PathBuf};
use std::time::Duration;

/// Exit code when a run failed (a CHECK, the exit code, a consistency check).
pub const EXIT_RUN_FAILED: u8 = 3;

/// `mkjit bench`: run a suite and write results, reports and histograms.
#[derive(clap::Args, Debug, Clone)]
pub struct BenchArgs {
    /// Suite: quick (CI), default, full.
    #[arg(long, value_enum, default_value = "default")]
    pub suite: Suite,
    /// Output directory.
    #[arg(long, default_value = "bench-out", value_name = "DIR")]
    pub out: PathBuf,
    /// Images to run, comma-separated (default: stock, plus codesign when available).
    #[arg(long, value_delimiter = ',', value_name = "NAMES")]
    pub images: Option<Vec<String>>,
    /// Use an image file instead of the built-in one, or add one: NAME=PATH (repeatable).
    #[arg(long = "image", value_name = "NAME=PATH")]
    pub image: Vec<String>,
    /// Extensions to enable for every image except stock (`none` for none).
    #[arg(long = "codesign-ext", value_delimiter = ',', default_value = "all", value_name = "EXTS")]
    pub codesign_ext: Vec<String>,
    /// Engines, comma-separated (modeled numbers must agree between engines).
    #[arg(long, value_delimiter = ',', default_value = "interp", value_name = "ENGINES")]
    pub engine: Vec<String>,
    /// Base cost model: built-in name (default, unit) or a .toml preset.
    #[arg(long = "cost-model", default_value = "default", value_name = "NAME|FILE")]
    pub cost_model: String,
    /// Override a cost-model parameter for every run: class.NAME=N or event.NAME=N (repeatable).
    #[arg(long = "set", value_name = "PARAM=VALUE")]
    pub set: Vec<String>,
    /// Also run the matrix with one cost-model parameter at each value (repeatable: one sweep each).
    #[arg(long = "sweep", value_name = "PARAM=V1,V2,...")]
    pub sweep: Vec<String>,
    /// Only these workloads, comma-separated (ipc, pingpong, rpc, bulk, file, kv, irq, sched, fault, restart).
    #[arg(long, value_delimiter = ',', value_name = "NAMES")]
    pub workloads: Option<Vec<String>>,
    /// Add or replace a guest command-line key in every cell: KEY=VALUE (repeatable).
    #[arg(long = "param", value_name = "KEY=VALUE")]
    pub param: Vec<String>,
    /// Runs per cell (host-time samples; every repetition must reproduce the first). Default: 1 for quick, 3 otherwise.
    #[arg(long, value_name = "N")]
    pub repeat: Option<u32>,
    /// Cells run in parallel.
    #[arg(short = 'j', long, default_value_t = 1, value_name = "N")]
    pub jobs: usize,
    /// Run only the I-th of N slices of the matrix (1 <= I <= N); combine with `mkjit merge`.
    #[arg(long, value_name = "I/N")]
    pub shard: Option<String>,
    /// Run the stock cells on qemu-system-riscv64 side by side (default for default/full when installed).
    #[arg(long, conflicts_with = "no_qemu")]
    pub qemu: bool,
    /// Do not run QEMU.
    #[arg(long = "no-qemu")]
    pub no_qemu: bool,
    /// Seconds before a QEMU run is killed.
    #[arg(long = "qemu-timeout", default_value_t = 60, value_name = "SECS")]
    pub qemu_timeout: u64,
    /// Clock-slot limit per run.
    #[arg(long = "max-insns", default_value_t = 4_000_000_000, value_name = "N")]
    pub max_insns: u64,
    /// After a fully passing run, write its deterministic results to FILE as the new baseline.
    #[arg(long = "update-baseline", value_name = "FILE")]
    pub update_baseline: Option<PathBuf>,
    /// Print the matrix (index, shard, id) and exit.
    #[arg(long)]
    pub list: bool,
    /// Print only the summary line (no tables, no progress bar).
    #[arg(short, long)]
    pub quiet: bool,
}

/// `mkjit compare OLD NEW`: changes per metric; fails on regressions.
#[derive(clap::Args, Debug, Clone)]
pub struct CompareArgs {
    /// Baseline: results.json, or a directory holding one.
    pub old: PathBuf,
    /// New results: results.json, or a directory holding one.
    pub new: PathBuf,
    /// Regression threshold in percent (deterministic metrics only).
    #[arg(long, default_value_t = 2.0, value_name = "PCT")]
    pub threshold: f64,
    /// Show every metric, not only those that changed.
    #[arg(long)]
    pub all: bool,
}

/// `mkjit merge DIR...`: combine shards into one results directory.
#[derive(clap::Args, Debug, Clone)]
pub struct MergeArgs {
    /// Shard output directories (or results.json files).
    #[arg(required = true)]
    pub inputs: Vec<PathBuf>,
    /// Output directory for the merged results and reports.
    #[arg(long, default_value = "bench-out", value_name = "DIR")]
    pub out: PathBuf,
    /// Print only the summary line.
    #[arg(short, long)]
    pub quiet: bool,
}

fn split_kv(s: &str, what: &str) -> Result<(String, String), BenchError> {
    match s.split_once('=') {
        Some((k, v)) if !k.is_empty() => Ok((k.to_string(), v.to_string())),
        _ => Err(BenchError::Usage(format!("{what} `{s}`: expected KEY=VALUE"))),
    }
}

/// The workloads of `args`: the suite's, filtered, with `--param` applied.
pub fn workloads(args: &BenchArgs) -> Result<Vec<WorkloadSpec>, BenchError> {
    let mut w = args.suite.workloads();
    if let Some(sel) = &args.workloads {
        for s in sel {
            if !w.iter().any(|x| &x.workload == s) {
                return Err(BenchError::Usage(format!(
                    "workload `{s}` is not in suite {} (it has: {})",
                    args.suite.name(),
                    dedup(w.iter().map(|x| x.workload.clone())).join(", ")
                )));
            }
        }
        w.retain(|x| sel.contains(&x.workload));
    }
    for p in &args.param {
        let (k, v) = split_kv(p, "--param")?;
        if k == "workload" {
            return Err(BenchError::Usage("--param workload=...: use --workloads".into()));
        }
        for x in &mut w {
            x.params.insert(k.clone(), v.clone());
        }
    }
    let mut seen = Vec::new();
    w.retain(|x| {
        let l = x.label();
        let new = !seen.contains(&l);
        seen.push(l);
        new
    });
    Ok(w)
}

fn dedup(it: impl Iterator<Item = String>) -> Vec<String> {
    let mut v: Vec<String> = Vec::new();
    for s in it {
        if !v.contains(&s) {
            v.push(s);
        }
    }
    v
}

/// Everything `bench` produced.
pub struct BenchOutcome {
    /// The results.
    pub results: Results,
    /// Exit code.
    pub code: u8,
}

/// Runs `mkjit bench`; returns the results (already written to `args.out`).
pub fn run_bench(args: &BenchArgs, host: &Host) -> Result<BenchOutcome, BenchError> {
    let overrides: Vec<(String, PathBuf)> = args
        .image
        .iter()
        .map(|s| split_kv(s, "--image").map(|(k, v)| (k, PathBuf::from(v))))
        .collect::<Result<_, _>>()?;
    let ext: Vec<String> = args.codesign_ext.iter().filter(|e| *e != "none" && !e.is_empty()).cloned().collect();
    let (images, mut notes) = suite::resolve_images(args.images.as_deref(), &overrides, &ext)?;
    if images.is_empty() {
        return Err(BenchError::Usage("no image to run".into()));
    }
    let sets: Vec<(String, u64)> = args.set.iter().map(|s| suite::parse_set(s)).collect::<Result<_, _>>()?;
    let sweeps: Vec<(String, Vec<u64>)> = args.sweep.iter().map(|s| suite::parse_sweep(s)).collect::<Result<_, _>>()?;
    let params = sets.iter().map(|(k, _)| k).chain(sweeps.iter().map(|(k, _)| k));
    suite::check_params(&args.cost_model, params, host.event_names())?;
    let costs = suite::cost_variants(&args.cost_model, &sets, &sweeps)?;
    let known = host.engine_names();
    let engines = dedup(args.engine.iter().cloned());
    for e in &engines {
        if !known.contains(e) {
            return Err(BenchError::Usage(format!("unknown engine `{e}` (available: {})", known.join(", "))));
        }
    }
    if engines.iter().any(|e| e != "interp") {
        notes.push(
            "modeled numbers of engines other than `interp` count only if the engine-agreement table says they agree"
                .into(),
        );
    }
    let w = workloads(args)?;
    let all = suite::matrix(&w, images.len(), &engines, costs.len());
    let matrix_cells = all.len();
    let (si, sn) = match &args.shard {
        Some(s) => suite::parse_shard(s)?,
        None => (1, 1),
    };
    let cells = suite::shard(all, si, sn);
    if args.list {
        for c in &cells {
            let id = suite::cell_id(&c.workload, &images[c.image].name, &c.engine, &costs[c.cost].info.label);
            println!("{:4}  shard {}/{sn}  {id}", c.index, c.index % sn as usize + 1);
        }
        return Ok(BenchOutcome { results: Results::new(args.suite.name()), code: 0 });
    }
    let cfg = RunConfig { repeat: args.repeat.unwrap_or(args.suite.repeat()).max(1), max_insns: args.max_insns };
    let pb =
        if args.quiet { indicatif::ProgressBar::hidden() } else { indicatif::ProgressBar::new(cells.len() as u64) };
    if let Ok(style) = indicatif::ProgressStyle::with_template("{bar:30} {pos}/{len} [{elapsed}] {msg}") {
        pb.set_style(style);
    }
    let progress = |r: &Run| {
        pb.set_message(r.id.clone());
        pb.inc(1);
        if !r.ok() {
            pb.suspend(|| eprintln!("FAILED {}: {}", r.id, r.problems.join("; ")));
        }
    };
    let runs = run_cells(host, &cells, &images, &costs, &cfg, args.jobs, &progress);
    pb.finish_and_clear();

    let mut results = Results::new(args.suite.name());
    results.shard_count = sn;
    results.shards = vec![si];
    results.matrix_cells = matrix_cells;
    results.host = HostInfo {
        os: std::env::consts::OS.into(),
        arch: std::env::consts::ARCH.into(),
        cpus: std::thread::available_parallelism().map_or(1, |n| n.get()),
        jobs: args.jobs.max(1),
        command: std::env::args().collect::<Vec<_>>().join(" "),
    };
    results.images = images.iter().map(|i| i.info()).collect();
    results.aggregates = aggregates(&runs);
    results.runs = runs;

    let want_qemu = !args.no_qemu && (args.qemu || args.suite.qemu());
    if want_qemu {
        match crate::qemu::find() {
            None => notes.push(format!("{} not found: QEMU comparison skipped", crate::qemu::QEMU)),
            Some((bin, version)) => {
                results.qemu = Some(qemu_section(&results, &images, &bin, &version, &args.out, args)?);
            }
        }
    }
    results.notes = notes;
    let files = report::write_all(&results, &args.out)?;
    let failed = results.runs.iter().filter(|r| !r.ok()).count();
    if !args.quiet {
        print!("{}", report::text(&results));
        eprintln!(
            "wrote {} files under {} (report: {})",
            files.len(),
            args.out.display(),
            args.out.join("report.html").display()
        );
    } else {
        println!(
            "{} runs, {} failed; results in {}",
            results.runs.len(),
            failed,
            args.out.join("results.json").display()
        );
    }
    if let Some(path) = &args.update_baseline {
        if failed > 0 || sn != 1 {
            return Err(BenchError::Usage(format!(
                "not updating the baseline {}: {}",
                path.display(),
                if failed > 0 { "some runs failed" } else { "a baseline needs the whole matrix, not a shard" }
            )));
        }
        results.modeled_only().save(path)?;
        eprintln!("baseline updated: {}", path.display());
    }
    Ok(BenchOutcome { code: if failed > 0 { EXIT_RUN_FAILED } else { 0 }, results })
}

fn qemu_section(
    results: &Results,
    images: &[suite::ImageSpec],
    bin: &Path,
    version: &str,
    out: &Path,
    args: &BenchArgs,
) -> Result<QemuSection, BenchError> {
    let mut section = QemuSection { binary: bin.display().to_string(), version: version.to_string(), runs: Vec::new() };
    let Some(stock) = images.iter().find(|i| i.name == "stock") else { return Ok(section) };
    let first_engine = results.runs.first().map(|r| r.cell.engine.clone()).unwrap_or_default();
    let todo: Vec<&Run> = results
        .runs
        .iter()
        .filter(|r| r.cell.image == "stock" && r.cell.engine == first_engine && r.cell.cost_model.sweep.is_none())
        .collect();
    if todo.is_empty() {
        return Ok(section);
    }
    let (path, temp) = if stock.source == "embedded" {
        let p = out.join(".qemu-stock.elf");
        crate::error::write_file(&p, stock.bytes.as_slice())?;
        (p, true)
    } else {
        (PathBuf::from(&stock.source), false)
    };
    let pb = if args.quiet { indicatif::ProgressBar::hidden() } else { indicatif::ProgressBar::new(todo.len() as u64) };
    if let Ok(style) = indicatif::ProgressStyle::with_template("qemu {bar:30} {pos}/{len} [{elapsed}] {msg}") {
        pb.set_style(style);
    }
    for r in todo {
        pb.set_message(r.id.clone());
        section.runs.push(crate::qemu::side_by_side(bin, &path, r, Duration::from_secs(args.qemu_timeout)));
        pb.inc(1);
    }
    pb.finish_and_clear();
    if temp {
        let _ = std::fs::remove_file(&path);
    }
    Ok(section)
}

/// `mkjit bench`: returns the process exit code.
pub fn bench(args: &BenchArgs, host: &Host) -> Result<u8, BenchError> {
    run_bench(args, host).map(|o| o.code)
}

/// `mkjit compare`: prints the comparison; returns 0, or [`EXIT_REGRESSION`].
pub fn compare_cmd(args: &CompareArgs) -> Result<u8, BenchError> {
    if args.threshold.is_nan() || args.threshold < 0.0 {
        return Err(BenchError::Usage(format!("--threshold {}: must be a non-negative percentage", args.threshold)));
    }
    let old = Results::load(&args.old)?;
    let new = Results::load(&args.new)?;
    let c = compare(&old, &new, args.threshold);
    println!(
        "mkjit compare: {} ({} runs) -> {} ({} runs)",
        args.old.display(),
        old.runs.len(),
        args.new.display(),
        new.runs.len()
    );
    print!("{}", c.render(args.all));
    Ok(if c.passed() { 0 } else { EXIT_REGRESSION })
}

/// `mkjit merge`: writes the merged results and reports; returns 0, or
/// [`EXIT_RUN_FAILED`] when a merged run had failed.
pub fn merge_cmd(args: &MergeArgs) -> Result<u8, BenchError> {
    let inputs: Vec<Results> = args.inputs.iter().map(|p| Results::load(p)).collect::<Result<_, _>>()?;
    let merged = merge(&inputs)?;
    let files = report::write_all(&merged, &args.out)?;
    let failed = merged.runs.iter().filter(|r| !r.ok()).count();
    if args.quiet {
        println!(
            "merged {} inputs: {} runs, {} failed; results in {}",
            inputs.len(),
            merged.runs.len(),
            failed,
            args.out.join("results.json").display()
        );
    } else {
        print!("{}", report::text(&merged));
        eprintln!("merged {} inputs; wrote {} files under {}", inputs.len(), files.len(), args.out.display());
    }
    Ok(if failed > 0 { EXIT_RUN_FAILED } else { 0 })
}
