//! End-to-end tests of the suite on tiny matrices: schema round trip, `.hgrm`
//! format, merge exactness, compare exit codes, determinism, sweeps.
//! Each boot of the stock image is ~5 M guest instructions, so every test
//! runs only a few of them.

use clap::Parser;
use mkjit_bench::cli::{compare_cmd, merge_cmd, run_bench, BenchArgs, CompareArgs, MergeArgs};
use mkjit_bench::compare::{compare, EXIT_REGRESSION};
use mkjit_bench::hist::{decode_hdr, hgrm, Dist};
use mkjit_bench::schema::{Results, SCHEMA_VERSION};
use mkjit_bench::Host;
use std::path::{Path, PathBuf};

#[derive(Parser)]
struct Wrap {
    #[command(flatten)]
    a: BenchArgs,
}

/// A scratch directory, removed when the test ends.
struct Tmp(PathBuf);

impl Drop for Tmp {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

impl std::ops::Deref for Tmp {
    type Target = PathBuf;
    fn deref(&self) -> &PathBuf {
        &self.0
    }
}

fn tmp(name: &str) -> Tmp {
    let d = std::env::temp_dir().join(format!("mkjit-bench-test-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    Tmp(d)
}

/// A tiny matrix: `workloads` of `suite` with few iterations, quiet, no QEMU.
fn bench_in(suite: &str, out: &Path, workloads: &str, extra: &[&str]) -> Results {
    let mut argv = vec![
        "x",
        "--suite",
        suite,
        "--workloads",
        workloads,
        "--param",
        "iters=20",
        "--param",
        "kv_ops=40",
        "--no-qemu",
        "--images",
        "stock",
        "-q",
        "--out",
        out.to_str().unwrap(),
    ];
    argv.extend_from_slice(extra);
    let args = Wrap::parse_from(argv).a;
    let o = run_bench(&args, &Host::new()).expect("bench runs");
    assert_eq!(
        o.code,
        0,
        "every run passes: {:?}",
        o.results.runs.iter().flat_map(|r| &r.problems).collect::<Vec<_>>()
    );
    o.results
}

/// `workloads` of the quick suite.
fn bench_of(out: &Path, workloads: &str, extra: &[&str]) -> Results {
    bench_in("quick", out, workloads, extra)
}

/// ipc (two cells) and kv.
fn bench(out: &Path, extra: &[&str]) -> Results {
    bench_of(out, "ipc,kv", extra)
}

#[test]
fn results_round_trip_and_modeled_numbers_are_byte_identical_across_runs() {
    let (a, b) = (tmp("det-a"), tmp("det-b"));
    let r1 = bench(&a, &[]);
    let _ = bench(&b, &[]);
    assert_eq!(r1.runs.len(), 3, "ipc, ipc counter=instret, kv");
    let text = std::fs::read_to_string(a.join("results.json")).unwrap();
    let back = Results::from_json(&text, "results.json").unwrap();
    assert_eq!(back, r1, "JSON round trip is lossless");
    assert_eq!(back.to_json(), text);
    let m1 = std::fs::read(a.join("modeled.json")).unwrap();
    let m2 = std::fs::read(b.join("modeled.json")).unwrap();
    assert!(m1 == m2, "modeled.json differs between two runs of the same matrix");
    // Every dimension is recorded.
    let run = &r1.runs[0];
    assert_eq!(r1.schema_version, SCHEMA_VERSION);
    assert_eq!(run.cell.workload, "ipc");
    assert_eq!(run.cell.params["iters"], "20");
    assert_eq!(run.cell.engine, "interp");
    assert_eq!(run.cell.cost_model.params["class.div"], 34);
    assert!(!r1.images[0].fnv1a64.is_empty());
    // The guest's own numbers agree with the device's.
    let call = run.series("ipc_call_0w").unwrap();
    assert_eq!((call.count, call.p50, call.unit.as_str()), (20, 688, "cycles"));
    assert!(run.series.iter().all(|s| s.guest_check.starts_with("ok")));
    // A newer schema version is refused.
    let newer = text.replacen(&format!("\"schema_version\": {SCHEMA_VERSION}"), "\"schema_version\": 99", 1);
    assert!(Results::from_json(&newer, "x").is_err());
    assert!(Results::from_json("{}", "x").is_err());
}

#[test]
fn hgrm_files_follow_the_hdrhistogram_format() {
    let samples: Vec<u64> = (0..1000).map(|i| 600 + (i * 37) % 400).collect();
    let h = Dist::from_samples(&samples).to_hdr();
    let text = hgrm(&h, 1.0);
    let mut lines = text.lines();
    assert_eq!(lines.next(), Some("       Value     Percentile TotalCount 1/(1-Percentile)"));
    assert_eq!(lines.next(), Some(""));
    let body: Vec<&str> = text.lines().skip(2).filter(|l| !l.starts_with('#')).collect();
    let mut last_total = 0;
    let mut last_q = -1.0;
    for (i, l) in body.iter().enumerate() {
        let f: Vec<&str> = l.split_whitespace().collect();
        let value: f64 = f[0].parse().unwrap();
        let q: f64 = f[1].parse().unwrap();
        let total: u64 = f[2].parse().unwrap();
        assert!(f[0].contains('.') && f[0].split('.').nth(1).unwrap().len() == 3, "3 decimals: {l}");
        assert_eq!(f[1].split('.').nth(1).unwrap().len(), 12, "12 decimals: {l}");
        assert!(q >= last_q && total >= last_total && value >= 600.0);
        if i + 1 < body.len() {
            assert_eq!(f.len(), 4, "{l}");
            let inv: f64 = f[3].parse().unwrap();
            assert!((inv - 1.0 / (1.0 - q)).abs() < 0.01, "{l}");
        } else {
            assert_eq!(f.len(), 3, "the 100% line has no 1/(1-p): {l}");
            assert_eq!((q, total), (1.0, 1000));
        }
        last_q = q;
        last_total = total;
    }
    let footer: Vec<&str> = text.lines().filter(|l| l.starts_with("#[")).collect();
    assert_eq!(footer.len(), 3);
    assert!(footer[0].starts_with("#[Mean    = ") && footer[0].contains(", StdDeviation   = "));
    assert_eq!(footer[1], "#[Max     =      999.000, Total count    =         1000]");
    assert!(footer[2].starts_with("#[Buckets = ") && footer[2].ends_with("SubBuckets     =         2048]"));
    assert_eq!(text.lines().count(), 2 + body.len() + 3);
}

#[test]
fn shards_merge_exactly() {
    let (whole, s1, s2, merged) = (tmp("m-whole"), tmp("m-s1"), tmp("m-s2"), tmp("m-merged"));
    // The default suite's two kv cells (get_pct 80 and 20) land in different shards,
    // so their kv_get/kv_put aggregates are merged across shards.
    let kv = |out: &Path, extra: &[&str]| {
        let mut argv = vec!["--repeat", "1"];
        argv.extend_from_slice(extra);
        bench_in("default", out, "ipc,kv", &argv)
    };
    let all = kv(&whole, &[]);
    let a = kv(&s1, &["--shard", "1/2"]);
    let b = kv(&s2, &["--shard", "2/2"]);
    assert_eq!(all.runs.len(), 4, "ipc x2, kv x2");
    assert_eq!(a.runs.len() + b.runs.len(), all.runs.len());
    assert!(a.runs.iter().all(|r| b.run(&r.id).is_none()), "shards are disjoint");
    let code =
        merge_cmd(&MergeArgs { inputs: vec![s2.clone(), s1.clone()], out: merged.clone(), quiet: true }).unwrap();
    assert_eq!(code, 0);
    let m = Results::load(&merged).unwrap();
    assert_eq!(m.shards, vec![1, 2]);
    assert!(m.notes.iter().all(|n| !n.starts_with("incomplete")));
    let mut m0 = m.modeled_only();
    let mut w0 = all.modeled_only();
    m0.shard_count = 1;
    m0.shards = vec![1];
    m0.notes.clear();
    w0.notes.clear();
    assert_eq!(m0.runs, w0.runs, "merged runs equal the unsharded runs");
    assert_eq!(m0.aggregates, w0.aggregates, "merged aggregates (histograms included) equal the unsharded ones");
    assert_eq!(m0.to_json(), w0.to_json());
    // Each merged aggregate histogram equals the histogram of all its samples.
    assert!(m.aggregates.iter().any(|g| g.series == "kv_get" && g.runs.len() == 2), "an aggregate spans both shards");
    assert!(!m.aggregates.is_empty());
    for agg in &m.aggregates {
        let mut every = Dist::default();
        for id in &agg.runs {
            let s = m.run(id).unwrap().series(&agg.series).unwrap();
            every.merge(&Dist::from_pairs(&s.values));
        }
        let direct = every.to_hdr();
        let merged_h = decode_hdr(&agg.hdr).unwrap();
        assert_eq!(merged_h, direct, "{}", agg.series);
        assert_eq!(direct, merged_h, "{}", agg.series);
        assert_eq!(merged_h.len(), every.count());
        let unsharded = all.aggregates.iter().find(|x| x.series == agg.series && x.unit == agg.unit).unwrap();
        assert_eq!(decode_hdr(&unsharded.hdr).unwrap(), merged_h);
        assert_eq!(
            (unsharded.count, unsharded.p50, unsharded.p99, unsharded.max),
            (agg.count, agg.p50, agg.p99, agg.max)
        );
    }
    // A shard given twice is refused, a missing shard is noted.
    let dup = tmp("m-dup");
    assert!(
        merge_cmd(&MergeArgs { inputs: vec![s1.clone(), s1.clone()], out: dup.to_path_buf(), quiet: true }).is_err()
    );
    let half = tmp("m-half");
    merge_cmd(&MergeArgs { inputs: vec![s1.clone()], out: half.clone(), quiet: true }).unwrap();
    assert!(Results::load(&half).unwrap().notes.iter().any(|n| n.starts_with("incomplete")));
}

#[test]
fn compare_catches_a_slowed_metric_and_ignores_host_time() {
    let dir = tmp("cmp");
    let base = dir.join("base");
    let r = bench_of(&base, "ipc", &[]);
    // Same results with different host times: pass.
    let mut noisy = r.clone();
    for run in &mut noisy.runs {
        for ns in &mut run.host_run_ns {
            *ns *= 3;
        }
    }
    noisy.save(&dir.join("noisy.json")).unwrap();
    let args = |new: &str, t: f64| CompareArgs { old: base.clone(), new: dir.join(new), threshold: t, all: false };
    assert_eq!(compare_cmd(&args("noisy.json", 2.0)).unwrap(), 0);
    // A cost model with the same name but slower loads: the same runs, slower.
    let slow_model = dir.join("slow.toml");
    let preset = mkjit_runtime::cost::BUILTIN.iter().find(|(n, _)| *n == "default").unwrap().1;
    std::fs::write(&slow_model, preset.replace("load = 3", "load = 9")).unwrap();
    let slow_dir = dir.join("slow");
    let s = bench_of(&slow_dir, "ipc", &["--cost-model", slow_model.to_str().unwrap()]);
    assert_eq!(s.runs[0].id, r.runs[0].id, "same cell ids");
    let c = compare(&r, &s, 2.0);
    assert!(c.regressions().any(|x| x.metric.name == "ipc_call_0w.p50"), "{}", c.render(false));
    assert!(c.regressions().all(|x| x.metric.unit != "instret"), "instruction counts do not depend on the cost model");
    assert_eq!(
        compare_cmd(&CompareArgs { old: base.clone(), new: slow_dir.clone(), threshold: 2.0, all: false }).unwrap(),
        EXIT_REGRESSION
    );
    // The same change within a generous threshold passes; the other way round it is an improvement.
    assert!(compare(&r, &s, 1000.0).passed());
    let back = compare(&s, &r, 2.0);
    assert!(back.passed() && back.rows.iter().any(|x| x.verdict == mkjit_bench::compare::Verdict::Improved));
    // A run missing from NEW fails the gate.
    let mut fewer = r.clone();
    fewer.runs.pop();
    assert!(!compare(&r, &fewer, 2.0).passed());
    // Unreadable input is an error, not a verdict.
    assert!(compare_cmd(&CompareArgs { old: dir.join("nope.json"), new: base, threshold: 2.0, all: false }).is_err());
}

#[test]
fn sweeps_apply_one_parameter_per_point() {
    let out = tmp("sweep");
    let r = bench_of(&out, "ipc", &["--sweep", "event.satp_write=0,144"]);
    assert_eq!(r.runs.len(), 6, "2 ipc cells x (base + 2 points)");
    let p50 = |label: &str, counter: Option<&str>| {
        let run = r
            .runs
            .iter()
            .find(|x| x.cell.cost_model.label == label && x.cell.params.get("counter").map(|s| s.as_str()) == counter)
            .unwrap();
        (run.series("ipc_call_0w").unwrap().p50, run.cell.cost_model.params["event.satp_write"], run.modeled.instret)
    };
    let (base, v, i0) = p50("default", None);
    assert_eq!((base, v), (688, 72));
    let (zero, v, i1) = p50("default+event.satp_write=0", None);
    assert_eq!((zero, v), (688 - 72, 0), "one satp write per one-way call");
    let (double, v, i2) = p50("default+event.satp_write=144", None);
    assert_eq!((double, v), (688 + 72, 144));
    assert!(i0 == i1 && i1 == i2, "the cost model never changes guest control flow");
    let (instr, _, _) = p50("default+event.satp_write=0", Some("instret"));
    assert_eq!(instr, 173);
    let md = std::fs::read_to_string(out.join("summary.md")).unwrap();
    assert!(md.contains("sweep of event.satp_write"));
    assert!(std::fs::read_to_string(out.join("report.html")).unwrap().contains("p50 vs event.satp_write"));
}

#[test]
fn an_image_that_needs_extensions_fails_without_a_registry_instead_of_reporting_numbers() {
    let out = tmp("noext");
    let stock = mkjit_bench::suite::embedded_image("stock").unwrap();
    let img = out.join("x.elf");
    std::fs::write(&img, stock).unwrap();
    let arg = format!("ext={}", img.display());
    let args = Wrap::parse_from([
        "x",
        "--suite",
        "quick",
        "--workloads",
        "irq",
        "--param",
        "irq_iters=2",
        "--images",
        "stock,ext",
        "--image",
        &arg,
        "--codesign-ext",
        "xgate",
        "--no-qemu",
        "-q",
        "--out",
        out.to_str().unwrap(),
    ])
    .a;
    let o = run_bench(&args, &Host::new()).unwrap();
    assert_eq!(o.code, mkjit_bench::cli::EXIT_RUN_FAILED);
    let ext = o.results.runs.iter().find(|r| r.cell.image == "ext").unwrap();
    assert!(!ext.ok() && ext.series.is_empty() && ext.modeled == Default::default());
    assert!(ext.problems[0].contains("no extension registry"), "{:?}", ext.problems);
    let md = std::fs::read_to_string(out.join("summary.md")).unwrap();
    assert!(md.contains("no extension registry"));
}
