//! `report.html`: one self-contained page with the tables and inline SVG plots.

use super::svg::{self, Bar, Line, PALETTE};
use super::table::Table;
use super::{
    base_runs, engine_table, engines, header_lines, images, latency_table, pair_key, qemu_table, runs_table, speedup,
    sweep_tables, workload_label,
};
use crate::schema::{Results, Run};
use svg::esc;

const STYLE: &str = "body{font-family:sans-serif;margin:24px;max-width:1800px;color:#222}\
table{border-collapse:collapse;font-size:12px;margin:8px 0 16px}\
td,th{border:1px solid #ccc;padding:2px 6px}th{background:#f0f0f0}td.n{text-align:right;font-variant-numeric:tabular-nums}\
.note{background:#fff4d6;border-left:4px solid #e6a700;padding:6px 10px}\
.charts{display:flex;flex-wrap:wrap;gap:8px}.charts svg{border:1px solid #ddd}\
.fail{color:#b00020;font-weight:bold}";

/// A table as HTML.
pub fn table_html(t: &Table) -> String {
    let mut s = String::from("<table><tr>");
    for h in t.header() {
        s.push_str(&format!("<th>{}</th>", esc(h)));
    }
    s.push_str("</tr>");
    for r in t.rows() {
        s.push_str("<tr>");
        for c in r {
            let numeric =
                c.trim().chars().next().is_some_and(|ch| ch.is_ascii_digit() || ch == '+' || ch == '-') && c.len() < 24;
            let class = if c.starts_with("FAILED") || c == "DIFFER" {
                " class=\"fail\""
            } else if numeric {
                " class=\"n\""
            } else {
                ""
            };
            s.push_str(&format!("<td{class}>{}</td>", esc(c)));
        }
        s.push_str("</tr>");
    }
    s.push_str("</table>\n");
    s
}

fn percentile_charts(r: &Results, engine: &str, base: &str) -> String {
    let mut out = String::from("<div class=\"charts\">\n");
    let mut done: Vec<String> = Vec::new();
    for run in base_runs(r).into_iter().filter(|x| x.cell.engine == engine) {
        let key = pair_key(run);
        if done.contains(&key) {
            continue;
        }
        done.push(key.clone());
        let group: Vec<&Run> = base_runs(r).into_iter().filter(|x| pair_key(x) == key).collect();
        let mut names: Vec<(String, String)> = Vec::new();
        for g in &group {
            for s in &g.series {
                if !names.iter().any(|(n, _)| *n == s.name) {
                    names.push((s.name.clone(), s.unit.clone()));
                }
            }
        }
        let mut units: Vec<String> = names.iter().map(|(_, u)| u.clone()).collect();
        units.dedup();
        for unit in units {
            let in_unit: Vec<&String> = names.iter().filter(|(_, u)| *u == unit).map(|(n, _)| n).collect();
            let chunks: Vec<&[&String]> = in_unit.chunks(6).collect();
            for (ci, chunk) in chunks.iter().enumerate() {
                let mut lines = Vec::new();
                for (i, name) in chunk.iter().enumerate() {
                    for g in &group {
                        if let Some(s) = g.series(name) {
                            lines.push(Line {
                                label: format!("{} {}", g.cell.image, name),
                                color: PALETTE[i % PALETTE.len()].to_string(),
                                dashed: g.cell.image != base,
                                points: svg::percentile_points(&s.values),
                            });
                        }
                    }
                }
                let part = if chunks.len() > 1 { format!(" ({}/{})", ci + 1, chunks.len()) } else { String::new() };
                out.push_str(&svg::percentile_chart(&format!("{}{part}", workload_label(run)), &unit, &lines));
                out.push('\n');
            }
        }
    }
    out.push_str("</div>\n");
    out
}

fn speedup_chart(r: &Results, engine: &str, base: &str, other: &str) -> String {
    let mut bars = Vec::new();
    for run in base_runs(r).into_iter().filter(|x| x.cell.engine == engine && x.cell.image == base) {
        let key = pair_key(run);
        let Some(o) = base_runs(r).into_iter().find(|x| pair_key(x) == key && x.cell.image == other) else { continue };
        for s in &run.series {
            if let Some(c) = o.series(&s.name) {
                if s.p50 > 0 && c.p50 > 0 {
                    let v = s.p50 as f64 / c.p50 as f64;
                    bars.push(Bar {
                        label: format!("{}: {}", workload_label(run), s.name),
                        value: v,
                        text: speedup(s.p50, c.p50),
                        color: if v >= 1.0 { "#009E73" } else { "#D55E00" }.into(),
                    });
                }
            }
        }
    }
    if bars.is_empty() {
        return String::from("<p>No series present in both images.</p>\n");
    }
    svg::bar_chart(&format!("p50 speed-up of {other} over {base} ({base} p50 / {other} p50)"), &bars, Some(1.0))
}

fn sweep_charts(r: &Results, engine: &str, base: &str) -> String {
    let mut params: Vec<String> = Vec::new();
    for run in &r.runs {
        if let Some(p) = &run.cell.cost_model.sweep {
            if !params.contains(&p.param) {
                params.push(p.param.clone());
            }
        }
    }
    let mut out = String::from("<div class=\"charts\">\n");
    for p in params {
        for run in base_runs(r).into_iter().filter(|x| x.cell.engine == engine && x.cell.image == base) {
            let mut lines = Vec::new();
            let mut unit = String::new();
            for (i, s) in run.series.iter().take(8).enumerate() {
                unit = s.unit.clone();
                for img in images(r) {
                    let mut pts: Vec<(f64, f64)> = Vec::new();
                    for x in r.runs.iter().filter(|x| {
                        x.cell.engine == engine
                            && x.cell.image == img
                            && x.cell.workload == run.cell.workload
                            && x.cell.params == run.cell.params
                    }) {
                        let value = match &x.cell.cost_model.sweep {
                            Some(sp) if sp.param == p => sp.value,
                            None => match x.cell.cost_model.params.get(&p) {
                                Some(v) => *v,
                                None => continue,
                            },
                            _ => continue,
                        };
                        if let Some(st) = x.series(&s.name) {
                            pts.push((value as f64, st.p50 as f64));
                        }
                    }
                    pts.sort_by(|a, b| a.0.total_cmp(&b.0));
                    pts.dedup_by(|a, b| a.0 == b.0);
                    if !pts.is_empty() {
                        lines.push(Line {
                            label: format!("{img} {}", s.name),
                            color: PALETTE[i % PALETTE.len()].into(),
                            dashed: img != base,
                            points: pts,
                        });
                    }
                }
            }
            if !lines.is_empty() {
                out.push_str(&svg::xy_chart(&format!("{}: p50 vs {p}", workload_label(run)), &p, &unit, &lines));
                out.push('\n');
            }
        }
    }
    out.push_str("</div>\n");
    out
}

fn qemu_chart(r: &Results) -> String {
    let Some(q) = &r.qemu else { return String::new() };
    let mut bars = Vec::new();
    for x in &q.runs {
        let label = r.run(&x.run_id).map(workload_label).unwrap_or_else(|| x.run_id.clone());
        bars.push(Bar {
            label: format!("{label}: mkjit"),
            value: x.host_mkjit_ns as f64 / 1e6,
            text: format!("{:.1} ms", x.host_mkjit_ns as f64 / 1e6),
            color: PALETTE[0].into(),
        });
        bars.push(Bar {
            label: format!("{label}: qemu"),
            value: x.host_qemu_ns as f64 / 1e6,
            text: format!("{:.1} ms", x.host_qemu_ns as f64 / 1e6),
            color: PALETTE[1].into(),
        });
    }
    svg::bar_chart("host wall-clock ms per workload (lower is faster; not modeled time)", &bars, None)
}

/// The whole page.
pub fn render(r: &Results) -> String {
    let imgs = images(r);
    let base = imgs.first().cloned().unwrap_or_else(|| "stock".into());
    let other = imgs.iter().skip(1).find(|i| r.runs.iter().any(|x| &x.cell.image == *i)).cloned();
    let mut h = format!(
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>mkjit bench: suite {}</title><style>{STYLE}</style></head><body>\n<h1>mkjit benchmark report</h1>\n<ul>",
        esc(&r.suite)
    );
    for l in header_lines(r) {
        h.push_str(&format!("<li>{}</li>", esc(&l)));
    }
    h.push_str("</ul>\n");
    for n in &r.notes {
        h.push_str(&format!("<p class=\"note\">{}</p>\n", esc(n)));
    }
    h.push_str(&format!("<p>{}. Modeled cycles come from the cost model below and are deterministic; host wall-clock speed-ups are never hardware speed-ups.</p>\n", esc(crate::schema::HOST_TIME_NOTE)));
    for e in engines(r) {
        h.push_str(&format!("<h2>Latency, engine <code>{}</code></h2>\n", esc(&e)));
        h.push_str(&table_html(&latency_table(r, &e)));
        h.push_str(&format!(
            "<h3>Percentile curves ({} solid{})</h3>\n",
            esc(&base),
            other.as_ref().map_or(String::new(), |o| format!(", {} dashed", esc(o)))
        ));
        h.push_str(&percentile_charts(r, &e, &base));
        h.push_str("<h3>Speed-ups</h3>\n");
        match &other {
            Some(o) => h.push_str(&speedup_chart(r, &e, &base, o)),
            None => h.push_str("<p class=\"note\">Only one image ran: no speed-ups to show.</p>\n"),
        }
        let sweeps = sweep_tables(r, &e);
        if !sweeps.is_empty() {
            h.push_str("<h3>Cost-model sweeps</h3>\n");
            h.push_str(&sweep_charts(r, &e, &base));
            for (title, t) in sweeps {
                h.push_str(&format!("<h4>{}</h4>\n", esc(&title)));
                h.push_str(&table_html(&t));
            }
        }
    }
    if let Some(t) = qemu_table(r) {
        let q = r.qemu.as_ref().expect("qemu section");
        h.push_str(&format!(
            "<h2>Stock image on QEMU</h2>\n<p><code>{}</code> with <code>-M virt -m 256M -bios none -nographic</code>. Host wall-clock time: QEMU's includes process start-up; mkjit's is <code>Machine::new</code> + <code>Machine::run</code>. Functional lines are the <code>CHECK</code>, <code>SUMMARY</code> and monitor lines.</p>\n",
            esc(&q.version)
        ));
        h.push_str(&table_html(&t));
        h.push_str(&qemu_chart(r));
        if let Some(t) = super::instret_table(r) {
            h.push_str("<h3>Instructions per operation, mkjit vs QEMU <code>-icount shift=0</code></h3>\n<p>Guest <code>rdinstret</code> deltas, medians.</p>\n");
            h.push_str(&table_html(&t));
        }
    }
    h.push_str("<h2>Runs</h2>\n");
    h.push_str(&table_html(&runs_table(r)));
    if let Some(t) = engine_table(r) {
        h.push_str("<h2>Engine agreement</h2>\n");
        h.push_str(&table_html(&t));
    }
    if let Some(run) = r.runs.first() {
        h.push_str(&format!("<h2>Cost model <code>{}</code></h2>\n", esc(&run.cell.cost_model.label)));
        let mut t = Table::new(&["parameter", "cycles"]);
        for (k, v) in &run.cell.cost_model.params {
            t.row(vec![k.clone(), v.to_string()]);
        }
        h.push_str(&table_html(&t));
    }
    h.push_str("</body></html>\n");
    h
}
