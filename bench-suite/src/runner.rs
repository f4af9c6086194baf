//! Running matrix cells on the machine and turning what the guest reported
//! into [`Run`]s.
//!
//! ```text
//!  CellSpec ──► Machine::new(image, bootargs, cost model) ──► Machine::run(engine)
//!                                  │                                │
//!                      BufferConsole (CHECK/RESULT)      bench device (every sample)
//!                                  └──────────────┬─────────────────┘
//!                                                 ▼
//!                     Run { checks, modeled counters, series (exact + hdr), host ns }
//! ```
//!
//! Engines and extension set-up come from the caller ([`Host`]), so this crate
//! needs no code generator: the `mkjit` binary registers the JIT.
//!
//! Cross-checks (Sightglass's "fast but wrong fails"): every run must power
//! off with code 0 after at least one `CHECK`, all passing; each device series
//! must agree with the guest's own `RESULT` lines (count, min, avg, max, and
//! percentiles when the guest kept every sample); repetitions must reproduce
//! every modeled number and every console byte.

use crate::guest::{GuestOutput, SERIES_METRICS};
use crate::hist::{encode_hdr, Dist};
use crate::schema::{Aggregate, Cell, Modeled, Run, RunOutcome, SeriesStats};
use crate::suite::{cell_id, CellSpec, CostVariant, ImageSpec};
use mkjit_runtime::config::MachineConfig;
use mkjit_runtime::console::BufferConsole;
use mkjit_runtime::interp::Interp;
use mkjit_runtime::machine::{Engine, Machine, Outcome};
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::Instant;

/// Creates a fresh engine.
pub type EngineFactory = Box<dyn Fn() -> Result<Box<dyn Engine>, String> + Send + Sync>;
/// Enables the named extensions on a machine (before it runs).
pub type ExtensionSetup = Box<dyn Fn(&mut Machine, &[String]) -> Result<(), String> + Send + Sync>;

/// The guest keeps at most this many samples per series for its percentiles.
pub const GUEST_MAX_STORED: u64 = 8192;

/// What the host program provides: engines by name and extension set-up.
pub struct Host {
    engines: Vec<(String, EngineFactory)>,
    extensions: Option<ExtensionSetup>,
    events: Vec<String>,
}

impl Default for Host {
    fn default() -> Self {
        Self::new()
    }
}

impl Host {
    /// The reference interpreter only.
    pub fn new() -> Host {
        let interp: EngineFactory = Box::new(|| Ok(Box::new(Interp::new()) as Box<dyn Engine>));
        Host { engines: vec![("interp".to_string(), interp)], extensions: None, events: Vec::new() }
    }

    /// Adds (or replaces) an engine.
    pub fn with_engine(mut self, name: &str, f: EngineFactory) -> Host {
        self.engines.retain(|(n, _)| n != name);
        self.engines.push((name.to_string(), f));
        self
    }

    /// Sets the extension set-up hook (the extension registry).
    pub fn with_extensions(mut self, f: ExtensionSetup) -> Host {
        self.extensions = Some(f);
        self
    }

    /// Declares the cost events extensions may add (so that `--set`/`--sweep`
    /// can tell a misspelt one from an extension's).
    pub fn with_events(mut self, names: Vec<String>) -> Host {
        self.events = names;
        self
    }

    /// Cost events extensions may declare.
    pub fn event_names(&self) -> &[String] {
        &self.events
    }

    /// Names of the engines.
    pub fn engine_names(&self) -> Vec<String> {
        self.engines.iter().map(|(n, _)| n.clone()).collect()
    }

    fn engine(&self, name: &str) -> Result<Box<dyn Engine>, String> {
        let (_, f) = self
            .engines
            .iter()
            .find(|(n, _)| n == name)
            .ok_or_else(|| format!("unknown engine `{name}` (available: {})", self.engine_names().join(", ")))?;
        f()
    }
}

/// Per-run settings.
#[derive(Clone, Debug)]
pub struct RunConfig {
    /// Runs per cell; the first gives the modeled numbers, all give host times,
    /// and every repetition must reproduce the first exactly.
    pub repeat: u32,
    /// Clock-slot limit per run (a hung guest fails instead of hanging the suite).
    pub max_insns: u64,
}

impl Default for RunConfig {
    fn default() -> Self {
        RunConfig { repeat: 1, max_insns: 4_000_000_000 }
    }
}

/// One boot of one cell.
struct Once {
    /// Every cost-model parameter as the machine used it (extensions declare their events at set-up).
    params: BTreeMap<String, u64>,
    outcome: RunOutcome,
    console: Vec<u8>,
    modeled: Modeled,
    device: Vec<(usize, String, Vec<u64>)>,
    run_ns: u64,
    boot_ns: u64,
    counters: BTreeMap<String, u64>,
}

fn boot_and_run(
    host: &Host,
    engine: &str,
    image: &ImageSpec,
    cost: &CostVariant,
    bootargs: &str,
    max: u64,
) -> Result<Once, String> {
    let mut engine = host.engine(engine)?;
    let console = BufferConsole::new();
    let cfg = MachineConfig {
        bootargs: bootargs.to_string(),
        bench_device: true,
        cost_model: cost.model.clone(),
        ..MachineConfig::default()
    };
    let t0 = Instant::now();
    let mut m = Machine::new(cfg, &image.bytes, Box::new(console.clone()))
        .map_err(|e| format!("cannot boot image `{}`: {e}", image.name))?;
    let boot_ns = t0.elapsed().as_nanos() as u64;
    if !image.extensions.is_empty() {
        let setup = host.extensions.as_ref().ok_or_else(|| {
            format!(
                "image `{}` needs extensions [{}], but no extension registry is wired into `mkjit bench`",
                image.name,
                image.extensions.join(",")
            )
        })?;
        setup(&mut m, &image.extensions).map_err(|e| format!("cannot enable extensions on `{}`: {e}", image.name))?;
    }
    m.max_insns = Some(max);
    let t1 = Instant::now();
    let outcome = m.run(engine.as_mut());
    let run_ns = t1.elapsed().as_nanos() as u64;
    let outcome = match outcome {
        Outcome::Exit(c) => RunOutcome { kind: "exit".into(), value: Some(c as u64), detail: None },
        Outcome::Reset => RunOutcome { kind: "reset".into(), value: None, detail: None },
        Outcome::InsnLimit(n) => RunOutcome { kind: "insn_limit".into(), value: Some(n), detail: None },
        Outcome::Deadlock { pc } => RunOutcome { kind: "deadlock".into(), value: Some(pc), detail: None },
    };
    let device = m
        .bench
        .as_ref()
        .map(|d| d.recorded().map(|(i, s)| (i, s.name.clone(), s.samples.clone())).collect())
        .unwrap_or_default();
    let modeled = Modeled {
        instret: m.hart.instret(),
        clock: m.hart.clock,
        cycles: m.hart.cycles,
        traps: m.hart.traps,
        idle_slots: m.hart.idle,
        dtlb_misses: m.stats.dtlb_misses,
    };
    Ok(Once {
        params: m.cfg.cost_model.params().into_iter().collect(),
        outcome,
        console: console.output(),
        modeled,
        device,
        run_ns,
        boot_ns,
        counters: engine.stats().into_iter().collect(),
    })
}

/// [`boot_and_run`], with a panic of the engine (or the machine) turned into an error,
/// so that one broken cell does not end the suite.
fn guarded(
    host: &Host,
    engine: &str,
    image: &ImageSpec,
    cost: &CostVariant,
    bootargs: &str,
    max: u64,
) -> Result<Once, String> {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| boot_and_run(host, engine, image, cost, bootargs, max)))
        .unwrap_or_else(|p| {
            let msg = p
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| p.downcast_ref::<&str>().map(|s| s.to_string()))
                .unwrap_or_else(|| "(no message)".into());
            Err(format!("panicked: {msg}"))
        })
}

/// Checks a device series against the guest's report; returns (dist, verdict, problem).
fn reconcile(name: &str, d: Dist, g: &GuestOutput) -> (Dist, String, Option<String>) {
    let Some(n) = g.metric(name, "samples").map(|r| r.value) else {
        return (d, "no guest RESULT lines for this series".into(), None);
    };
    let mut diffs = Vec::new();
    if d.count() != n {
        diffs.push(format!("samples device={} guest={n}", d.count()));
    } else if n > 0 {
        let mut want = vec![("min", d.min()), ("avg", d.mean_floor()), ("max", d.max())];
        if n <= GUEST_MAX_STORED {
            want.extend([("p50", d.at_percent(50)), ("p90", d.at_percent(90)), ("p99", d.at_percent(99))]);
        }
        for (metric, mine) in want {
            match g.metric(name, metric) {
                Some(r) if r.value == mine => {}
                Some(r) => diffs.push(format!("{metric} device={mine} guest={}", r.value)),
                None => diffs.push(format!("{metric} missing from the guest's report")),
            }
        }
    }
    if diffs.is_empty() {
        (d, "ok".into(), None)
    } else {
        let v = format!("mismatch: {}", diffs.join(", "));
        (d, v.clone(), Some(format!("series {name}: {v}")))
    }
}

/// Summary statistics and encodings of a distribution.
pub fn series_stats(name: &str, unit: &str, device_series: usize, d: &Dist) -> SeriesStats {
    let sum = d.sum().min(u64::MAX as u128) as u64;
    SeriesStats {
        name: name.to_string(),
        unit: unit.to_string(),
        device_series,
        count: d.count(),
        min: d.min(),
        max: d.max(),
        sum,
        mean: if d.count() == 0 { 0.0 } else { d.sum() as f64 / d.count() as f64 },
        p50: d.at_permille(500),
        p90: d.at_permille(900),
        p99: d.at_permille(990),
        p999: d.at_permille(999),
        values: d.pairs(),
        hdr: encode_hdr(&d.to_hdr()).expect("in-memory histogram encoding cannot fail"),
        guest_check: String::new(),
    }
}

fn failed_run(id: String, index: usize, cell: Cell, bootargs: String, err: String) -> Run {
    Run {
        id,
        index,
        cell,
        bootargs,
        status: "failed".into(),
        problems: vec![err.clone()],
        outcome: RunOutcome { kind: "error".into(), value: None, detail: Some(err) },
        checks: Vec::new(),
        functional: Vec::new(),
        modeled: Modeled::default(),
        series: Vec::new(),
        guest_metrics: Vec::new(),
        host_run_ns: Vec::new(),
        host_boot_ns: 0,
        host_engine_counters: BTreeMap::new(),
    }
}

/// Runs one cell `cfg.repeat` times and builds its [`Run`].
pub fn run_cell(host: &Host, cell: &CellSpec, image: &ImageSpec, cost: &CostVariant, cfg: &RunConfig) -> Run {
    let id = cell_id(&cell.workload, &image.name, &cell.engine, &cost.info.label);
    let dims = Cell {
        workload: cell.workload.workload.clone(),
        params: cell.workload.params.clone(),
        image: image.name.clone(),
        engine: cell.engine.clone(),
        cost_model: cost.info.clone(),
    };
    let bootargs = cell.workload.bootargs();
    let first = match guarded(host, &cell.engine, image, cost, &bootargs, cfg.max_insns) {
        Ok(o) => o,
        Err(e) => return failed_run(id, cell.index, dims, bootargs, e),
    };
    let mut dims = dims;
    dims.cost_model.params = first.params.clone();
    let mut problems = Vec::new();
    let mut host_run_ns = vec![first.run_ns];
    for rep in 1..cfg.repeat.max(1) {
        match guarded(host, &cell.engine, image, cost, &bootargs, cfg.max_insns) {
            Ok(o) => {
                host_run_ns.push(o.run_ns);
                let what = if o.modeled != first.modeled {
                    Some("whole-run counters")
                } else if o.device != first.device {
                    Some("bench-device samples")
                } else if o.console != first.console {
                    Some("console output")
                } else if o.outcome != first.outcome {
                    Some("outcome")
                } else {
                    None
                };
                if let Some(w) = what {
                    problems
                        .push(format!("nondeterministic: repetition {} differs from the first in its {w}", rep + 1));
                }
            }
            Err(e) => problems.push(format!("repetition {}: {e}", rep + 1)),
        }
    }
    let g = GuestOutput::parse(&first.console);
    match (first.outcome.kind.as_str(), first.outcome.value) {
        ("exit", Some(0)) => {}
        ("exit", Some(c)) => problems.push(format!("guest exited with code {c}")),
        ("insn_limit", Some(n)) => problems.push(format!("instruction limit reached ({n} slots)")),
        ("deadlock", Some(pc)) => problems.push(format!("deadlock: hart waits at pc {pc:#x} forever")),
        (k, _) => problems.push(format!("guest stopped: {k}")),
    }
    if g.checks.is_empty() {
        problems.push("the guest printed no CHECK line".into());
    }
    for c in g.checks.iter().filter(|c| !c.ok) {
        problems.push(format!("CHECK {} FAIL", c.name));
    }
    let mut series = Vec::new();
    let mut names = std::collections::BTreeSet::new();
    for (idx, name, samples) in &first.device {
        if samples.is_empty() {
            continue;
        }
        let name = if names.contains(name) || name.is_empty() { format!("{name}#{idx}") } else { name.clone() };
        names.insert(name.clone());
        let unit = g.metric(&name, "min").map(|r| r.unit.clone()).unwrap_or_else(|| "cycles".into());
        let (d, verdict, problem) = reconcile(&name, Dist::from_samples(samples), &g);
        problems.extend(problem);
        let mut s = series_stats(&name, &unit, *idx, &d);
        s.guest_check = verdict;
        series.push(s);
    }
    for r in g.results.iter().filter(|r| r.metric == "samples" && r.value > 0) {
        if !names.contains(&r.series) {
            problems.push(format!("series {}: the guest reports {} samples, the bench device none", r.series, r.value));
        }
    }
    let guest_metrics = g
        .results
        .iter()
        .filter(|r| !(names.contains(&r.series) && SERIES_METRICS.contains(&r.metric.as_str())))
        .cloned()
        .collect();
    Run {
        id,
        index: cell.index,
        cell: dims,
        bootargs,
        status: if problems.is_empty() { "ok" } else { "failed" }.into(),
        problems,
        outcome: first.outcome,
        checks: g.checks,
        functional: g.functional,
        modeled: first.modeled,
        series,
        guest_metrics,
        host_run_ns,
        host_boot_ns: first.boot_ns,
        host_engine_counters: first.counters,
    }
}

/// Runs `cells` on `jobs` threads, reporting progress to `progress(done, id)`.
/// Results come back in the cells' order.
pub fn run_cells(
    host: &Host,
    cells: &[CellSpec],
    images: &[ImageSpec],
    costs: &[CostVariant],
    cfg: &RunConfig,
    jobs: usize,
    progress: &(dyn Fn(&Run) + Sync),
) -> Vec<Run> {
    let next = AtomicUsize::new(0);
    let out: Mutex<Vec<Option<Run>>> = Mutex::new(vec![None; cells.len()]);
    std::thread::scope(|s| {
        for _ in 0..jobs.clamp(1, cells.len().max(1)) {
            s.spawn(|| loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                let Some(c) = cells.get(i) else { break };
                let r = run_cell(host, c, &images[c.image], &costs[c.cost], cfg);
                progress(&r);
                out.lock().expect("results lock")[i] = Some(r);
            });
        }
    });
    out.into_inner().expect("results lock").into_iter().map(|r| r.expect("every cell ran")).collect()
}

/// What an aggregate merges over: image, engine, cost-model label, series, unit.
pub type AggregateKey = (String, String, String, String, String);

/// Merges each series over every run of the same image, engine and cost model.
pub fn aggregates(runs: &[Run]) -> Vec<Aggregate> {
    let mut groups: BTreeMap<AggregateKey, (Vec<String>, Dist)> = BTreeMap::new();
    for r in runs {
        for s in &r.series {
            let key = (
                r.cell.image.clone(),
                r.cell.engine.clone(),
                r.cell.cost_model.label.clone(),
                s.name.clone(),
                s.unit.clone(),
            );
            let g = groups.entry(key).or_default();
            g.0.push(r.id.clone());
            g.1.merge(&Dist::from_pairs(&s.values));
        }
    }
    groups
        .into_iter()
        .map(|((image, engine, cost_model, series, unit), (mut ids, d))| {
            ids.sort();
            aggregate_from_hdr(image, engine, cost_model, series, unit, ids, &d.to_hdr())
        })
        .collect()
}

/// An [`Aggregate`] from its histogram.
pub fn aggregate_from_hdr(
    image: String,
    engine: String,
    cost_model: String,
    series: String,
    unit: String,
    runs: Vec<String>,
    h: &hdrhistogram::Histogram<u64>,
) -> Aggregate {
    Aggregate {
        image,
        engine,
        cost_model,
        series,
        unit,
        runs,
        count: h.len(),
        p50: h.value_at_quantile(0.5),
        p99: h.value_at_quantile(0.99),
        max: h.max(),
        hdr: encode_hdr(h).expect("in-memory histogram encoding cannot fail"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn guest(lines: &str) -> GuestOutput {
        GuestOutput::parse(lines.as_bytes())
    }

    #[test]
    fn device_samples_must_match_the_guest_report_exactly() {
        let g = guest(
            "RESULT workload=rpc series=rpc_total metric=samples value=1 unit=count\n\
             RESULT workload=rpc series=rpc_total metric=min value=100 unit=cycles\n\
             RESULT workload=rpc series=rpc_total metric=avg value=100 unit=cycles\n\
             RESULT workload=rpc series=rpc_total metric=p50 value=100 unit=cycles\n\
             RESULT workload=rpc series=rpc_total metric=p90 value=100 unit=cycles\n\
             RESULT workload=rpc series=rpc_total metric=p99 value=100 unit=cycles\n\
             RESULT workload=rpc series=rpc_total metric=max value=100 unit=cycles\n",
        );
        let (d, verdict, problem) = reconcile("rpc_total", Dist::from_samples(&[100]), &g);
        assert_eq!((d.count(), verdict.as_str(), problem), (1, "ok", None));
        let (_, verdict, problem) = reconcile("rpc_total", Dist::from_samples(&[120, 100]), &g);
        assert!(verdict.starts_with("mismatch: samples device=2 guest=1") && problem.is_some(), "{verdict}");
        let (_, verdict, problem) = reconcile("rpc_total", Dist::from_samples(&[101]), &g);
        assert!(verdict.starts_with("mismatch") && problem.is_some(), "{verdict}");
    }
}
