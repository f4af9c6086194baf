//! `mkjit compare OLD NEW`: per-metric changes between two results files, and
//! the regression gate.
//!
//! Only deterministic metrics gate: modeled-cycle and instruction-count
//! statistics of each series (p50, p90, p99, mean), whole-run retired
//! instructions and modeled cycles, and the guest's own scalar results in
//! cycles, instructions or ticks. For all of them lower is better. A gated
//! metric that grows by more than the threshold is a regression. Host time is
//! shown and never gated. A run of OLD that is missing from NEW, and a run
//! that fails in NEW, also fail the gate.

use crate::schema::{Results, Run};
use std::collections::BTreeMap;

/// Exit code of `mkjit compare` when the gate fails.
pub const EXIT_REGRESSION: u8 = 3;

/// Units of metrics that gate (lower is better).
pub const GATED_UNITS: [&str; 3] = ["cycles", "instret", "ticks"];

/// One metric of one run.
#[derive(Clone, Debug, PartialEq)]
pub struct Metric {
    /// `series.stat`, `run.instret`, `guest.series.metric`.
    pub name: String,
    /// Unit.
    pub unit: String,
    /// Value.
    pub value: f64,
    /// Whether it gates.
    pub gated: bool,
}

/// Every metric of `run` (host time excluded).
pub fn metrics(run: &Run) -> Vec<Metric> {
    let m = |name: String, unit: &str, value: f64, gated: bool| Metric { name, unit: unit.to_string(), value, gated };
    let mut v = vec![
        m("run.instret".into(), "instret", run.modeled.instret as f64, true),
        m("run.cycles".into(), "cycles", run.modeled.cycles as f64, true),
    ];
    for s in &run.series {
        let g = GATED_UNITS.contains(&s.unit.as_str());
        v.push(m(format!("{}.count", s.name), "count", s.count as f64, false));
        v.push(m(format!("{}.p50", s.name), &s.unit, s.p50 as f64, g));
        v.push(m(format!("{}.p90", s.name), &s.unit, s.p90 as f64, g));
        v.push(m(format!("{}.p99", s.name), &s.unit, s.p99 as f64, g));
        v.push(m(format!("{}.mean", s.name), &s.unit, s.mean, g));
        v.push(m(format!("{}.max", s.name), &s.unit, s.max as f64, false));
    }
    for r in &run.guest_metrics {
        let g = GATED_UNITS.contains(&r.unit.as_str());
        v.push(m(format!("guest.{}.{}", r.series, r.metric), &r.unit, r.value as f64, g));
    }
    v
}

/// What happened to one metric.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// Equal.
    Same,
    /// Changed within the threshold (or not gated).
    Changed,
    /// Gated, and lower by more than the threshold.
    Improved,
    /// Gated, and higher by more than the threshold.
    Regressed,
}

/// One compared metric.
#[derive(Clone, Debug)]
pub struct Row {
    /// Run id.
    pub run: String,
    /// Metric.
    pub metric: Metric,
    /// Old value.
    pub old: f64,
    /// Change in percent (infinite when old is 0).
    pub change_pct: f64,
    /// Verdict.
    pub verdict: Verdict,
}

/// Host time of one run in both files.
#[derive(Clone, Debug)]
pub struct HostRow {
    /// Run id.
    pub run: String,
    /// Fastest repetition, old (ms).
    pub old_ms: Option<f64>,
    /// Fastest repetition, new (ms).
    pub new_ms: Option<f64>,
}

/// The whole comparison.
#[derive(Clone, Debug, Default)]
pub struct Comparison {
    /// Threshold in percent.
    pub threshold: f64,
    /// Every metric of every run in both files.
    pub rows: Vec<Row>,
    /// Host times.
    pub host: Vec<HostRow>,
    /// Runs of OLD missing from NEW.
    pub missing: Vec<String>,
    /// Runs only in NEW.
    pub added: Vec<String>,
    /// Runs that failed in NEW, with their first problem.
    pub failed: Vec<(String, String)>,
    /// Other observations.
    pub notes: Vec<String>,
}

fn pct(old: f64, new: f64) -> f64 {
    if old == new {
        0.0
    } else if old == 0.0 {
        f64::INFINITY
    } else {
        (new - old) / old * 100.0
    }
}

/// Compares `new` against `old` with `threshold` percent.
pub fn compare(old: &Results, new: &Results, threshold: f64) -> Comparison {
    let mut c = Comparison { threshold, ..Default::default() };
    let new_by_id: BTreeMap<&str, &Run> = new.runs.iter().map(|r| (r.id.as_str(), r)).collect();
    let old_ids: std::collections::BTreeSet<&str> = old.runs.iter().map(|r| r.id.as_str()).collect();
    if old.suite != new.suite {
        c.notes.push(format!("suites differ: {} -> {}", old.suite, new.suite));
    }
    for i in &new.images {
        if let Some(o) = old.images.iter().find(|o| o.name == i.name && o.fnv1a64 != i.fnv1a64) {
            c.notes.push(format!(
                "image `{}` changed ({} -> {}): changed numbers may come from the guest, not from mkjit",
                i.name, o.fnv1a64, i.fnv1a64
            ));
        }
    }
    if old.mkjit_version != new.mkjit_version {
        c.notes.push(format!("mkjit versions differ: {} -> {}", old.mkjit_version, new.mkjit_version));
    }
    for o in &old.runs {
        let Some(n) = new_by_id.get(o.id.as_str()) else {
            c.missing.push(o.id.clone());
            continue;
        };
        if o.cell.cost_model.params != n.cell.cost_model.params {
            let (a, b) = (&o.cell.cost_model.params, &n.cell.cost_model.params);
            let mut keys: Vec<&String> = a.keys().chain(b.keys()).collect();
            keys.sort();
            keys.dedup();
            let diff: Vec<String> = keys
                .into_iter()
                .filter(|k| a.get(*k) != b.get(*k))
                .map(|k| {
                    let f = |v: Option<&u64>| v.map_or("-".to_string(), |v| v.to_string());
                    format!("{k} {} -> {}", f(a.get(k)), f(b.get(k)))
                })
                .collect();
            let note = format!("cost-model parameters differ between the files: {}", diff.join(", "));
            if !c.notes.contains(&note) {
                c.notes.push(note);
            }
        }
        let old_metrics: BTreeMap<String, Metric> = metrics(o).into_iter().map(|m| (m.name.clone(), m)).collect();
        for m in metrics(n) {
            let Some(om) = old_metrics.get(&m.name) else { continue };
            let change_pct = pct(om.value, m.value);
            let verdict = if change_pct == 0.0 {
                Verdict::Same
            } else if m.gated && change_pct > threshold {
                Verdict::Regressed
            } else if m.gated && change_pct < -threshold {
                Verdict::Improved
            } else {
                Verdict::Changed
            };
            c.rows.push(Row { run: o.id.clone(), old: om.value, change_pct, verdict, metric: m });
        }
        let ms = |r: &Run| r.host_best_ns().map(|ns| ns as f64 / 1e6);
        c.host.push(HostRow { run: o.id.clone(), old_ms: ms(o), new_ms: ms(n) });
    }
    for n in &new.runs {
        if !old_ids.contains(n.id.as_str()) {
            c.added.push(n.id.clone());
        }
        if !n.ok() {
            c.failed.push((n.id.clone(), n.problems.first().cloned().unwrap_or_default()));
        }
    }
    c
}

impl Comparison {
    /// Regressed rows.
    pub fn regressions(&self) -> impl Iterator<Item = &Row> {
        self.rows.iter().filter(|r| r.verdict == Verdict::Regressed)
    }

    /// Whether the gate passes: no regression, no missing run, no failed run.
    pub fn passed(&self) -> bool {
        self.regressions().next().is_none() && self.missing.is_empty() && self.failed.is_empty()
    }

    /// A text report: changed metrics (every metric with `all`), host times,
    /// missing/added/failed runs, and the verdict.
    pub fn render(&self, all: bool) -> String {
        let mut t = crate::report::table::Table::new(&["run", "metric", "unit", "old", "new", "change", ""]);
        for r in self.rows.iter().filter(|r| all || r.verdict != Verdict::Same) {
            let flag = match r.verdict {
                Verdict::Regressed => "REGRESSED",
                Verdict::Improved => "improved",
                Verdict::Changed if !r.metric.gated => "(not gated)",
                _ => "",
            };
            t.row(vec![
                r.run.clone(),
                r.metric.name.clone(),
                r.metric.unit.clone(),
                num(r.old),
                num(r.metric.value),
                fmt_pct(r.change_pct),
                flag.to_string(),
            ]);
        }
        let mut out = String::new();
        let changed = self.rows.iter().filter(|r| r.verdict != Verdict::Same).count();
        if !t.is_empty() {
            out.push_str(&t.render());
        } else {
            out.push_str("no deterministic metric changed\n");
        }
        let both: Vec<&HostRow> = self.host.iter().filter(|r| r.old_ms.is_some() && r.new_ms.is_some()).collect();
        if both.is_empty() && !self.host.is_empty() {
            out.push_str("\nhost time: not compared (OLD has none; baselines carry no host time)\n");
        } else if !both.is_empty() {
            let mut h = crate::report::table::Table::new(&["run", "host ms old", "host ms new", "change"]);
            for r in both {
                let f = |v: Option<f64>| v.map_or("-".to_string(), |v| format!("{v:.1}"));
                let ch = match (r.old_ms, r.new_ms) {
                    (Some(a), Some(b)) => fmt_pct(pct(a, b)),
                    _ => "-".into(),
                };
                h.row(vec![r.run.clone(), f(r.old_ms), f(r.new_ms), ch]);
            }
            out.push_str("\nhost wall-clock time of Machine::run, fastest repetition (noisy; shown, never gated):\n");
            out.push_str(&h.render());
        }
        for n in &self.notes {
            out.push_str(&format!("note: {n}\n"));
        }
        for id in &self.added {
            out.push_str(&format!("new run (not in OLD, not compared): {id}\n"));
        }
        for id in &self.missing {
            out.push_str(&format!("MISSING from NEW: {id}\n"));
        }
        for (id, why) in &self.failed {
            out.push_str(&format!("FAILED in NEW: {id}: {why}\n"));
        }
        let regressions = self.regressions().count();
        let improved = self.rows.iter().filter(|r| r.verdict == Verdict::Improved).count();
        let gated = self.rows.iter().filter(|r| r.metric.gated).count();
        out.push_str(&format!(
            "\n{} metrics compared ({gated} gated at {:.2}%), {changed} changed: {regressions} regressed, {improved} improved; {} missing, {} failed => {}\n",
            self.rows.len(),
            self.threshold,
            self.missing.len(),
            self.failed.len(),
            if self.passed() { "PASS" } else { "FAIL" }
        ));
        out
    }
}

/// A number without a needless fraction.
pub fn num(v: f64) -> String {
    if v.fract() == 0.0 && v.abs() < 1e15 {
        format!("{}", v as i64)
    } else {
        format!("{v:.1}")
    }
}

/// `+1.23%`, `-0.50%`, `0`, `+inf%`.
pub fn fmt_pct(p: f64) -> String {
    if p == 0.0 {
        "0".into()
    } else if p.is_infinite() {
        "+inf%".into()
    } else {
        format!("{p:+.2}%")
    }
}
