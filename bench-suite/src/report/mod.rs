//! Reports: the terminal comparison table, `summary.md`, `report.html` (inline
//! SVG plots), `.hgrm` percentile files, and the output directory layout.
//!
//! ```text
//! OUT/results.json       everything (schema in crate::schema)
//! OUT/modeled.json       results.json without host-side fields: byte-identical across runs
//! OUT/summary.md         the tables below, in Markdown
//! OUT/report.html        tables and plots, self-contained
//! OUT/hgrm/RUN/SERIES.hgrm             one percentile file per series of each run
//! OUT/hgrm/aggregate/IMAGE.ENGINE.COST.SERIES.hgrm   series merged over a suite's cells
//! ```

pub mod html;
pub mod svg;
pub mod table;

use crate::error::{write_file, BenchError};
use crate::hist::{decode_hdr, hgrm, Dist};
use crate::schema::{Results, Run};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use table::Table;

/// Runs at the base cost model (no sweep point), in matrix order.
pub fn base_runs(r: &Results) -> Vec<&Run> {
    r.runs.iter().filter(|x| x.cell.cost_model.sweep.is_none()).collect()
}

/// Engines in order of first appearance.
pub fn engines(r: &Results) -> Vec<String> {
    let mut v: Vec<String> = Vec::new();
    for run in &r.runs {
        if !v.contains(&run.cell.engine) {
            v.push(run.cell.engine.clone());
        }
    }
    v
}

/// Image names: stock first, then the others as listed.
pub fn images(r: &Results) -> Vec<String> {
    let mut v: Vec<String> = r.images.iter().map(|i| i.name.clone()).collect();
    for run in &r.runs {
        if !v.contains(&run.cell.image) {
            v.push(run.cell.image.clone());
        }
    }
    v
}

/// The cell of `run` without its image: the key that pairs stock with codesign.
pub fn pair_key(run: &Run) -> String {
    format!(
        "{}@{}/{}",
        crate::suite::WorkloadSpec { workload: run.cell.workload.clone(), params: run.cell.params.clone() }.label(),
        run.cell.engine,
        run.cell.cost_model.label
    )
}

/// Workload label: `ipc iters=100 warmup=10`.
pub fn workload_label(run: &Run) -> String {
    let mut s = run.cell.workload.clone();
    for (k, v) in &run.cell.params {
        s.push_str(&format!(" {k}={v}"));
    }
    s
}

/// Ratio `base / other` as a speed-up (`1.23x`), or `-`.
pub fn speedup(base: u64, other: u64) -> String {
    if base == 0 || other == 0 {
        "-".into()
    } else {
        format!("{:.2}x", base as f64 / other as f64)
    }
}

/// Groups runs at the base cost model of `engine` by pair key, keeping matrix order.
fn pairs<'a>(r: &'a Results, engine: &str) -> Vec<(String, BTreeMap<String, &'a Run>)> {
    let mut out: Vec<(String, BTreeMap<String, &Run>)> = Vec::new();
    for run in base_runs(r).into_iter().filter(|x| x.cell.engine == engine) {
        let k = pair_key(run);
        match out.iter_mut().find(|(key, _)| *key == k) {
            Some((_, m)) => {
                m.insert(run.cell.image.clone(), run);
            }
            None => out.push((k, BTreeMap::from([(run.cell.image.clone(), run)]))),
        }
    }
    out
}

/// The main table: latency per series; with a second image, its values and the speed-up over stock.
pub fn latency_table(r: &Results, engine: &str) -> Table {
    let imgs = images(r);
    let base = imgs.first().cloned().unwrap_or_else(|| "stock".into());
    let others: Vec<&String> = imgs.iter().skip(1).filter(|i| r.runs.iter().any(|x| &x.cell.image == *i)).collect();
    let mut head: Vec<String> = vec!["workload".into(), "series".into(), "unit".into(), "n".into()];
    if others.is_empty() {
        head.extend(["p50", "p90", "p99", "max"].map(String::from));
    } else {
        head.extend([format!("{base} p50"), format!("{base} p99")]);
        for o in &others {
            head.extend([format!("{o} p50"), "p50 speed-up".into(), format!("{o} p99"), "p99 speed-up".into()]);
        }
    }
    let mut t = Table::new(&head.iter().map(|s| s.as_str()).collect::<Vec<_>>());
    for (_, runs) in pairs(r, engine) {
        let Some(first) = runs.get(&base).or_else(|| runs.values().next()) else { continue };
        let mut names: Vec<String> = Vec::new();
        for run in std::iter::once(*first).chain(runs.values().copied()) {
            for s in &run.series {
                if !names.contains(&s.name) {
                    names.push(s.name.clone());
                }
            }
        }
        for name in names {
            let b = runs.get(&base).and_then(|x| x.series(&name));
            let unit = b
                .map(|s| s.unit.clone())
                .or_else(|| runs.values().find_map(|x| x.series(&name).map(|s| s.unit.clone())));
            let mut row = vec![
                workload_label(first),
                name.clone(),
                unit.unwrap_or_default(),
                b.map_or("-".into(), |s| s.count.to_string()),
            ];
            let v = |x: Option<u64>| x.map_or("-".to_string(), |x| x.to_string());
            if others.is_empty() {
                row.extend([v(b.map(|s| s.p50)), v(b.map(|s| s.p90)), v(b.map(|s| s.p99)), v(b.map(|s| s.max))]);
            } else {
                row.extend([v(b.map(|s| s.p50)), v(b.map(|s| s.p99))]);
                for o in &others {
                    let c = runs.get(*o).and_then(|x| x.series(&name));
                    let sp = |f: fn(&crate::schema::SeriesStats) -> u64| match (b, c) {
                        (Some(b), Some(c)) => speedup(f(b), f(c)),
                        _ => "-".into(),
                    };
                    row.extend([v(c.map(|s| s.p50)), sp(|s| s.p50), v(c.map(|s| s.p99)), sp(|s| s.p99)]);
                }
            }
            t.row(row);
        }
    }
    t
}

/// Whole runs: status, checks, counters, host time.
pub fn runs_table(r: &Results) -> Table {
    let mut t = Table::new(&["run", "status", "checks", "instret", "modeled cycles", "host ms (best)", "host MIPS"]);
    for run in &r.runs {
        let passed = run.checks.iter().filter(|c| c.ok).count();
        let best = run.host_best_ns();
        t.row(vec![
            run.id.clone(),
            if run.ok() {
                "ok".into()
            } else {
                format!("FAILED: {}", run.problems.first().cloned().unwrap_or_default())
            },
            format!("{passed}/{}", run.checks.len()),
            run.modeled.instret.to_string(),
            run.modeled.cycles.to_string(),
            best.map_or("-".into(), |ns| format!("{:.1}", ns as f64 / 1e6)),
            best.filter(|&ns| ns > 0)
                .map_or("-".into(), |ns| format!("{:.0}", run.modeled.instret as f64 / (ns as f64 / 1e9) / 1e6)),
        ]);
    }
    t
}

/// One table per swept parameter: p50 of every series at each value (and the speed-up over stock).
pub fn sweep_tables(r: &Results, engine: &str) -> Vec<(String, Table)> {
    let mut params: Vec<String> = Vec::new();
    for run in &r.runs {
        if let Some(p) = &run.cell.cost_model.sweep {
            if !params.contains(&p.param) {
                params.push(p.param.clone());
            }
        }
    }
    let imgs = images(r);
    let base_img = imgs.first().cloned().unwrap_or_default();
    let other = imgs.iter().skip(1).find(|i| r.runs.iter().any(|x| &x.cell.image == *i)).cloned();
    let mut out = Vec::new();
    for p in params {
        let points: Vec<&Run> = r
            .runs
            .iter()
            .filter(|x| x.cell.engine == engine && x.cell.cost_model.sweep.as_ref().is_some_and(|s| s.param == p))
            .collect();
        let mut values: Vec<u64> =
            points.iter().filter_map(|x| x.cell.cost_model.sweep.as_ref().map(|s| s.value)).collect();
        values.sort();
        values.dedup();
        let base_value = r
            .runs
            .iter()
            .find(|x| x.cell.cost_model.sweep.is_none())
            .and_then(|x| x.cell.cost_model.params.get(&p).copied());
        let mut head = vec!["workload".to_string(), "series".into(), "unit".into()];
        if let Some(b) = base_value {
            head.push(format!("{p}={b} (base)"));
        }
        head.extend(values.iter().map(|v| format!("{p}={v}")));
        let mut t = Table::new(&head.iter().map(|s| s.as_str()).collect::<Vec<_>>());
        let find = |run: &Run, value: Option<u64>, image: &str| -> Option<&Run> {
            r.runs.iter().find(|x| {
                x.cell.engine == engine
                    && x.cell.image == image
                    && x.cell.workload == run.cell.workload
                    && x.cell.params == run.cell.params
                    && match value {
                        None => x.cell.cost_model.sweep.is_none(),
                        Some(v) => x.cell.cost_model.sweep.as_ref().is_some_and(|s| s.param == p && s.value == v),
                    }
            })
        };
        for base in base_runs(r).into_iter().filter(|x| x.cell.engine == engine && x.cell.image == base_img) {
            for s in &base.series {
                let mut row = vec![workload_label(base), s.name.clone(), s.unit.clone()];
                let cols = base_value.map(|_| None).into_iter().chain(values.iter().map(|v| Some(*v)));
                for value in cols {
                    let st = find(base, value, &base_img).and_then(|x| x.series(&s.name)).map(|x| x.p50);
                    let cell = match (st, &other) {
                        (Some(a), Some(o)) => {
                            let c = find(base, value, o).and_then(|x| x.series(&s.name)).map(|x| x.p50);
                            format!("{a} / {}", c.map_or("-".into(), |c| speedup(a, c)))
                        }
                        (Some(a), None) => a.to_string(),
                        (None, _) => "-".into(),
                    };
                    row.push(cell);
                }
                t.row(row);
            }
        }
        let what = match &other {
            Some(o) => format!("{base_img} p50 / speed-up of {o}"),
            None => format!("{base_img} p50"),
        };
        out.push((format!("sweep of {p}: {what}"), t));
    }
    out
}

/// QEMU side by side.
pub fn qemu_table(r: &Results) -> Option<Table> {
    let q = r.qemu.as_ref()?;
    let mut t = Table::new(&[
        "workload",
        "qemu exit",
        "functional lines",
        "mkjit ms",
        "qemu ms",
        "qemu/mkjit",
        "instret p50 mkjit-qemu",
    ]);
    for x in &q.runs {
        let label = r.run(&x.run_id).map(workload_label).unwrap_or_else(|| x.run_id.clone());
        let exit = match (&x.error, x.timed_out, x.exit_code) {
            (Some(e), _, _) => format!("error: {e}"),
            (None, true, _) => "timeout".into(),
            (None, false, Some(c)) => c.to_string(),
            (None, false, None) => "killed".into(),
        };
        let diffs: Vec<i64> =
            x.instret.iter().filter(|p| p.metric == "p50").map(|p| p.mkjit as i64 - p.qemu as i64).collect();
        let instret = match (diffs.iter().min(), diffs.iter().max()) {
            (Some(a), Some(b)) if a == b => format!("{a:+} ({} series)", diffs.len()),
            (Some(a), Some(b)) => format!("{a:+}..{b:+} ({} series)", diffs.len()),
            _ => "-".into(),
        };
        let ratio = if x.host_mkjit_ns > 0 {
            format!("{:.2}", x.host_qemu_ns as f64 / x.host_mkjit_ns as f64)
        } else {
            "-".into()
        };
        t.row(vec![
            label,
            exit,
            if x.functional_equal { "identical".into() } else { "DIFFER".into() },
            format!("{:.1}", x.host_mkjit_ns as f64 / 1e6),
            format!("{:.1}", x.host_qemu_ns as f64 / 1e6),
            ratio,
            instret,
        ]);
    }
    Some(t)
}

/// Instruction counts (p50) on mkjit and on QEMU `-icount shift=0`, per series.
pub fn instret_table(r: &Results) -> Option<Table> {
    let q = r.qemu.as_ref()?;
    let mut t = Table::new(&["workload", "series", "mkjit p50", "qemu -icount p50", "mkjit-qemu"]);
    for x in &q.runs {
        let label = r.run(&x.run_id).map(workload_label).unwrap_or_else(|| x.run_id.clone());
        for p in x.instret.iter().filter(|p| p.metric == "p50") {
            t.row(vec![
                label.clone(),
                p.series.clone(),
                p.mkjit.to_string(),
                p.qemu.to_string(),
                format!("{:+}", p.mkjit as i64 - p.qemu as i64),
            ]);
        }
    }
    (!t.is_empty()).then_some(t)
}

/// With more than one engine: whether they agree on every deterministic number.
pub fn engine_table(r: &Results) -> Option<Table> {
    let es = engines(r);
    if es.len() < 2 {
        return None;
    }
    let mut t = Table::new(&["cell", "engines", "instret", "modeled cycles", "series", "verdict"]);
    let mut groups: Vec<(String, Vec<&Run>)> = Vec::new();
    for run in &r.runs {
        let k = format!(
            "{}@{}/{}",
            crate::suite::WorkloadSpec { workload: run.cell.workload.clone(), params: run.cell.params.clone() }.label(),
            run.cell.image,
            run.cell.cost_model.label
        );
        match groups.iter_mut().find(|(key, _)| *key == k) {
            Some((_, v)) => v.push(run),
            None => groups.push((k, vec![run])),
        }
    }
    for (k, runs) in groups {
        if runs.len() < 2 {
            continue;
        }
        let first = runs[0];
        let same = |f: &dyn Fn(&Run) -> String| runs.iter().all(|x| f(x) == f(first));
        let vals = |f: &dyn Fn(&Run) -> String| runs.iter().map(|x| f(x)).collect::<Vec<_>>().join(" / ");
        let instret = |x: &Run| x.modeled.instret.to_string();
        let cycles = |x: &Run| x.modeled.cycles.to_string();
        let series = |x: &Run| format!("{:?}", x.series.iter().map(|s| (&s.name, &s.values)).collect::<Vec<_>>());
        let (a, b, c) = (same(&instret), same(&cycles), same(&series));
        let differing = runs
            .iter()
            .flat_map(|x| x.series.iter())
            .find(|s| runs.iter().any(|x| x.series(&s.name).map(|y| y.p50) != Some(s.p50)));
        t.row(vec![
            k,
            runs.iter().map(|x| x.cell.engine.clone()).collect::<Vec<_>>().join(","),
            if a { "equal".into() } else { vals(&instret) },
            if b { "equal".into() } else { vals(&cycles) },
            if c {
                "equal".into()
            } else {
                differing.map_or("differ".into(), |s| {
                    format!(
                        "{} p50: {}",
                        s.name,
                        runs.iter()
                            .map(|x| x.series(&s.name).map_or("-".into(), |y| y.p50.to_string()))
                            .collect::<Vec<_>>()
                            .join(" / ")
                    )
                })
            },
            if a && b && c { "agree".into() } else { "DIFFER".into() },
        ]);
    }
    Some(t)
}

/// The header lines: suite, images, engines, cost models.
pub fn header_lines(r: &Results) -> Vec<String> {
    let ok = r.runs.iter().filter(|x| x.ok()).count();
    let mut v = vec![format!(
        "mkjit {} bench, suite {}: {} runs ({} ok, {} failed){}",
        r.mkjit_version,
        r.suite,
        r.runs.len(),
        ok,
        r.runs.len() - ok,
        if r.shard_count > 1 {
            format!(", shards {:?} of {} ({} cells in the whole matrix)", r.shards, r.shard_count, r.matrix_cells)
        } else {
            String::new()
        }
    )];
    for i in &r.images {
        v.push(format!(
            "image {}: {} bytes, fnv1a64 {}, {}{}",
            i.name,
            i.bytes,
            i.fnv1a64,
            i.source,
            if i.extensions.is_empty() { String::new() } else { format!(", extensions {}", i.extensions.join(",")) }
        ));
    }
    v.push(format!("engines: {}", engines(r).join(", ")));
    let mut labels: Vec<String> = Vec::new();
    for run in &r.runs {
        if !labels.contains(&run.cell.cost_model.label) {
            labels.push(run.cell.cost_model.label.clone());
        }
    }
    v.push(format!("cost models: {}", labels.join(", ")));
    v
}

/// The terminal report.
pub fn text(r: &Results) -> String {
    let mut out = String::new();
    for l in header_lines(r) {
        out.push_str(&l);
        out.push('\n');
    }
    for n in &r.notes {
        out.push_str(&format!("note: {n}\n"));
    }
    for e in engines(r) {
        out.push_str(&format!(
            "\nlatency, engine {e}, cost model {} (exact percentiles over every bench-device sample; cycles = modeled cycles):\n",
            r.runs.iter().find(|x| x.cell.cost_model.sweep.is_none()).map_or("-".into(), |x| x.cell.cost_model.label.clone())
        ));
        out.push_str(&latency_table(r, &e).render());
        for (title, t) in sweep_tables(r, &e) {
            out.push_str(&format!("\n{title}:\n"));
            out.push_str(&t.render());
        }
    }
    out.push_str("\nruns (whole boot to power-off; host time is wall-clock on this machine, not modeled time):\n");
    out.push_str(&runs_table(r).render());
    if let Some(t) = engine_table(r) {
        out.push_str("\nengine agreement (deterministic numbers must be equal on every engine):\n");
        out.push_str(&t.render());
    }
    if let Some(t) = qemu_table(r) {
        let q = r.qemu.as_ref().expect("qemu section");
        out.push_str(&format!(
            "\nstock image on QEMU ({}), host wall-clock time, process start-up included for QEMU:\n",
            q.version
        ));
        out.push_str(&t.render());
        if let Some(t) = instret_table(r) {
            out.push_str("\ninstructions per operation, mkjit vs QEMU -icount shift=0 (guest rdinstret deltas):\n");
            out.push_str(&t.render());
        }
    }
    for run in r.runs.iter().filter(|x| !x.ok()) {
        out.push_str(&format!("FAILED {}: {}\n", run.id, run.problems.join("; ")));
    }
    out
}

/// `summary.md`.
pub fn markdown(r: &Results) -> String {
    let mut out = String::from("# mkjit benchmark summary\n\n");
    for l in header_lines(r) {
        out.push_str(&format!("- {l}\n"));
    }
    for n in &r.notes {
        out.push_str(&format!("- **note:** {n}\n"));
    }
    out.push_str(&format!("\n{}\n", crate::schema::HOST_TIME_NOTE));
    for e in engines(r) {
        out.push_str(&format!(
            "\n## Latency, engine `{e}`\n\nExact percentiles over every bench-device sample (the guest's index rule `n*p/100`); `cycles` are modeled cycles.\n\n"
        ));
        out.push_str(&latency_table(r, &e).markdown());
        for (title, t) in sweep_tables(r, &e) {
            out.push_str(&format!("\n### {title}\n\n"));
            out.push_str(&t.markdown());
        }
    }
    out.push_str(
        "\n## Runs\n\nWhole boot to power-off. Host time is wall-clock on the machine that ran the suite.\n\n",
    );
    out.push_str(&runs_table(r).markdown());
    if let Some(t) = engine_table(r) {
        out.push_str("\n## Engine agreement\n\n");
        out.push_str(&t.markdown());
    }
    if let Some(t) = qemu_table(r) {
        let q = r.qemu.as_ref().expect("qemu section");
        out.push_str(&format!(
            "\n## Stock image on QEMU\n\n`{}`, `-M virt -m 256M -bios none -nographic`. Host wall-clock time; QEMU's includes its process start-up, mkjit's is `Machine::new` + `Machine::run`.\n\n",
            q.version
        ));
        out.push_str(&t.markdown());
        if let Some(t) = instret_table(r) {
            out.push_str("\n### Instructions per operation, mkjit vs QEMU `-icount shift=0`\n\nGuest `rdinstret` deltas, medians.\n\n");
            out.push_str(&t.markdown());
        }
    }
    if let Some(run) = r.runs.first() {
        out.push_str(&format!("\n## Cost model `{}`\n\n", run.cell.cost_model.label));
        let mut t = Table::new(&["parameter", "cycles"]);
        for (k, v) in &run.cell.cost_model.params {
            t.row(vec![k.clone(), v.to_string()]);
        }
        out.push_str(&t.markdown());
    }
    let failed: Vec<&Run> = r.runs.iter().filter(|x| !x.ok()).collect();
    if !failed.is_empty() {
        out.push_str("\n## Failures\n\n");
        for run in failed {
            out.push_str(&format!("- `{}`: {}\n", run.id, run.problems.join("; ")));
        }
    }
    out
}

/// A file-name-safe form of `s`.
pub fn file_name(s: &str) -> String {
    s.chars().map(|c| if c.is_ascii_alphanumeric() || "._=-".contains(c) { c } else { '_' }).collect()
}

/// Writes every output file into `dir`; returns their paths.
pub fn write_all(r: &Results, dir: &Path) -> Result<Vec<PathBuf>, BenchError> {
    let mut written = Vec::new();
    let mut put = |rel: &str, contents: String| -> Result<(), BenchError> {
        let p = dir.join(rel);
        write_file(&p, contents)?;
        written.push(p);
        Ok(())
    };
    put("results.json", r.to_json())?;
    put("modeled.json", r.modeled_only().to_json())?;
    put("summary.md", markdown(r))?;
    put("report.html", html::render(r))?;
    let hg = dir.join("hgrm");
    if hg.is_dir() {
        std::fs::remove_dir_all(&hg).map_err(|err| BenchError::Write { path: hg.display().to_string(), err })?;
    }
    for run in &r.runs {
        for s in &run.series {
            put(
                &format!("hgrm/{}/{}.hgrm", file_name(&run.id), file_name(&s.name)),
                hgrm(&Dist::from_pairs(&s.values).to_hdr(), 1.0),
            )?;
        }
    }
    for a in &r.aggregates {
        let h = decode_hdr(&a.hdr)?;
        put(
            &format!(
                "hgrm/aggregate/{}.{}.{}.{}.hgrm",
                file_name(&a.image),
                file_name(&a.engine),
                file_name(&a.cost_model),
                file_name(&a.series)
            ),
            hgrm(&h, 1.0),
        )?;
    }
    Ok(written)
}
