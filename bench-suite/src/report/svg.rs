//! Hand-written SVG charts for the HTML report: percentile curves (the
//! HdrHistogram plotter's axis: percentile on a log scale of 1/(1-p)), line
//! charts and horizontal bar charts. No scripts, no external resources.

use std::fmt::Write;

/// Colours for series (colour-blind-friendly "Okabe-Ito" order).
pub const PALETTE: [&str; 8] = ["#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000", "#F0E442"];

/// One line of a chart.
#[derive(Clone, Debug)]
pub struct Line {
    /// Legend text.
    pub label: String,
    /// Stroke colour.
    pub color: String,
    /// Dashed stroke (codesign) or solid (stock).
    pub dashed: bool,
    /// Points (x, y) in data coordinates.
    pub points: Vec<(f64, f64)>,
}

/// Escapes text for XML.
pub fn esc(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

/// Compact number: 688, 12.3k, 2.41M.
pub fn short(v: f64) -> String {
    let a = v.abs();
    if a >= 1e9 {
        format!("{:.3}G", v / 1e9)
    } else if a >= 1e6 {
        format!("{:.3}M", v / 1e6)
    } else if a >= 1e4 {
        format!("{:.1}k", v / 1e3)
    } else if v.fract() == 0.0 {
        format!("{}", v as i64)
    } else {
        format!("{v:.2}")
    }
}

/// A y axis: linear from 0, or log10 when the data spans more than 30x.
struct YAxis {
    log: bool,
    lo: f64,
    hi: f64,
}

impl YAxis {
    fn fit(values: impl Iterator<Item = f64>) -> YAxis {
        let (mut min, mut max) = (f64::INFINITY, 0.0f64);
        for v in values {
            if v > 0.0 {
                min = min.min(v);
            }
            max = max.max(v);
        }
        if max <= 0.0 {
            return YAxis { log: false, lo: 0.0, hi: 1.0 };
        }
        if min.is_finite() && max / min > 30.0 {
            YAxis { log: true, lo: 10f64.powf(min.log10().floor()), hi: 10f64.powf(max.log10().ceil()) }
        } else {
            YAxis { log: false, lo: 0.0, hi: nice_ceil(max * 1.08) }
        }
    }

    /// 0..1 from bottom.
    fn frac(&self, v: f64) -> f64 {
        if self.log {
            let v = v.max(self.lo);
            (v.log10() - self.lo.log10()) / (self.hi.log10() - self.lo.log10())
        } else {
            (v - self.lo) / (self.hi - self.lo)
        }
    }

    fn ticks(&self) -> Vec<f64> {
        if self.log {
            let mut t = Vec::new();
            let mut v = self.lo;
            while v <= self.hi * 1.0001 {
                t.push(v);
                v *= 10.0;
            }
            t
        } else {
            let step = nice_step(self.hi / 5.0);
            (0..=((self.hi / step).floor() as usize)).map(|i| i as f64 * step).collect()
        }
    }
}

fn nice_step(raw: f64) -> f64 {
    if raw <= 0.0 {
        return 1.0;
    }
    let p = 10f64.powf(raw.log10().floor());
    let m = raw / p;
    p * if m <= 1.0 {
        1.0
    } else if m <= 2.0 {
        2.0
    } else if m <= 5.0 {
        5.0
    } else {
        10.0
    }
}

fn nice_ceil(v: f64) -> f64 {
    let s = nice_step(v / 5.0);
    (v / s).ceil() * s
}

const W: f64 = 560.0;
const H: f64 = 320.0;
const L: f64 = 64.0;
const R: f64 = 30.0;
const T: f64 = 30.0;
const B: f64 = 46.0;

fn frame(out: &mut String, title: &str, height: f64) {
    let _ = write!(
        out,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{W}" height="{height}" viewBox="0 0 {W} {height}" font-family="sans-serif" font-size="11"><rect width="{W}" height="{height}" fill="white"/><text x="{}" y="18" text-anchor="middle" font-size="13" font-weight="bold">{}</text>"#,
        W / 2.0,
        esc(title)
    );
}

fn legend(out: &mut String, lines: &[Line], x0: f64, y0: f64) {
    for (i, l) in lines.iter().enumerate() {
        let y = y0 + 14.0 * i as f64;
        let dash = if l.dashed { r#" stroke-dasharray="5,3""# } else { "" };
        let _ = write!(
            out,
            r#"<line x1="{x0}" y1="{y}" x2="{}" y2="{y}" stroke="{}" stroke-width="2"{dash}/><text x="{}" y="{}">{}</text>"#,
            x0 + 18.0,
            l.color,
            x0 + 22.0,
            y + 4.0,
            esc(&l.label)
        );
    }
}

fn y_grid(out: &mut String, y: &YAxis, unit: &str) {
    for t in y.ticks() {
        let py = T + (H - T - B) * (1.0 - y.frac(t));
        let _ = write!(
            out,
            r##"<line x1="{L}" y1="{py:.1}" x2="{}" y2="{py:.1}" stroke="#ddd"/><text x="{}" y="{:.1}" text-anchor="end">{}</text>"##,
            W - R,
            L - 4.0,
            py + 4.0,
            short(t)
        );
    }
    let _ = write!(
        out,
        r#"<text transform="translate(14,{}) rotate(-90)" text-anchor="middle">{}{}</text>"#,
        (T + H - B) / 2.0,
        esc(unit),
        if y.log { " (log scale)" } else { "" }
    );
}

fn polyline(out: &mut String, l: &Line, px: &dyn Fn(f64) -> f64, py: &dyn Fn(f64) -> f64) {
    let pts: Vec<String> = l.points.iter().map(|&(x, y)| format!("{:.1},{:.1}", px(x), py(y))).collect();
    let dash = if l.dashed { r#" stroke-dasharray="5,3""# } else { "" };
    let _ = write!(
        out,
        r#"<polyline fill="none" stroke="{}" stroke-width="1.8"{dash} points="{}"/>"#,
        l.color,
        pts.join(" ")
    );
}

/// x coordinate of quantile `q` on the percentile axis: log10(1/(1-q)).
pub fn quantile_x(q: f64) -> f64 {
    (1.0 / (1.0 - q.min(1.0 - 1e-9))).log10()
}

/// Step points of a percentile curve from sorted `(value, count)` pairs:
/// each value spans its quantile range; the last is drawn up to 1 - 1/(2n).
pub fn percentile_points(pairs: &[[u64; 2]]) -> Vec<(f64, f64)> {
    let n: u64 = pairs.iter().map(|p| p[1]).sum();
    if n == 0 {
        return Vec::new();
    }
    let qmax = 1.0 - 0.5 / n as f64;
    let mut pts = Vec::new();
    let mut below = 0u64;
    for &[v, c] in pairs {
        let lo = (below as f64 / n as f64).min(qmax);
        below += c;
        let hi = (below as f64 / n as f64).min(qmax);
        pts.push((quantile_x(lo), v as f64));
        pts.push((quantile_x(hi), v as f64));
    }
    pts
}

/// A percentile chart: value against percentile, log scale of 1/(1-p).
pub fn percentile_chart(title: &str, unit: &str, lines: &[Line]) -> String {
    let xmax = lines.iter().flat_map(|l| l.points.iter().map(|p| p.0)).fold(1.0f64, f64::max).ceil().max(2.0);
    let y = YAxis::fit(lines.iter().flat_map(|l| l.points.iter().map(|p| p.1)));
    let legend_h = 14.0 * lines.len() as f64;
    let height = H + legend_h;
    let mut out = String::new();
    frame(&mut out, title, height);
    y_grid(&mut out, &y, unit);
    let px = |x: f64| L + (W - L - R) * x / xmax;
    let py = |v: f64| T + (H - T - B) * (1.0 - y.frac(v));
    for i in 0..=(xmax as usize) {
        let x = px(i as f64);
        let label = match i {
            0 => "0%".to_string(),
            _ => format!("{}%", 100.0 - 100.0 / 10f64.powi(i as i32)),
        };
        let _ = write!(
            out,
            r##"<line x1="{x:.1}" y1="{T}" x2="{x:.1}" y2="{}" stroke="#eee"/><text x="{x:.1}" y="{}" text-anchor="middle">{label}</text>"##,
            H - B,
            H - B + 14.0
        );
    }
    let _ =
        write!(out, r#"<text x="{}" y="{}" text-anchor="middle">percentile</text>"#, (L + W - R) / 2.0, H - B + 30.0);
    for l in lines {
        polyline(&mut out, l, &px, &py);
    }
    legend(&mut out, lines, L, H - 4.0);
    out.push_str("</svg>");
    out
}

/// A line chart over numeric x values (sweeps).
pub fn xy_chart(title: &str, x_label: &str, unit: &str, lines: &[Line]) -> String {
    let xs = lines.iter().flat_map(|l| l.points.iter().map(|p| p.0));
    let (xlo, xhi) = xs.fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), x| (a.min(x), b.max(x)));
    let (xlo, xhi) = if xlo.is_finite() && xhi > xlo { (xlo, xhi) } else { (xlo.min(0.0), xlo.max(0.0) + 1.0) };
    let y = YAxis::fit(lines.iter().flat_map(|l| l.points.iter().map(|p| p.1)));
    let height = H + 14.0 * lines.len() as f64;
    let mut out = String::new();
    frame(&mut out, title, height);
    y_grid(&mut out, &y, unit);
    let px = |x: f64| L + 10.0 + (W - L - R - 20.0) * (x - xlo) / (xhi - xlo);
    let py = |v: f64| T + (H - T - B) * (1.0 - y.frac(v));
    let mut seen: Vec<f64> = lines.iter().flat_map(|l| l.points.iter().map(|p| p.0)).collect();
    seen.sort_by(f64::total_cmp);
    seen.dedup();
    for x in seen {
        let _ = write!(out, r#"<text x="{:.1}" y="{}" text-anchor="middle">{}</text>"#, px(x), H - B + 14.0, short(x));
    }
    let _ = write!(
        out,
        r#"<text x="{}" y="{}" text-anchor="middle">{}</text>"#,
        (L + W - R) / 2.0,
        H - B + 30.0,
        esc(x_label)
    );
    for l in lines {
        polyline(&mut out, l, &px, &py);
        for &(x, v) in &l.points {
            let _ = write!(out, r#"<circle cx="{:.1}" cy="{:.1}" r="2.5" fill="{}"/>"#, px(x), py(v), l.color);
        }
    }
    legend(&mut out, lines, L, H - 4.0);
    out.push_str("</svg>");
    out
}

/// One bar: label, value, text printed after the bar, colour.
#[derive(Clone, Debug)]
pub struct Bar {
    /// Label left of the bar.
    pub label: String,
    /// Length.
    pub value: f64,
    /// Text right of the bar.
    pub text: String,
    /// Fill colour.
    pub color: String,
}

/// Horizontal bars with value labels; `reference` draws a vertical line (e.g. 1.0x).
pub fn bar_chart(title: &str, bars: &[Bar], reference: Option<f64>) -> String {
    let row = 18.0;
    let width = 900.0;
    let label_w = 440.0;
    let height = T + row * bars.len() as f64 + 30.0;
    let max = bars.iter().map(|b| b.value).fold(reference.unwrap_or(0.0), f64::max).max(1e-9) * 1.15;
    let mut out = String::new();
    let _ = write!(
        out,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" viewBox="0 0 {width} {height}" font-family="sans-serif" font-size="11"><rect width="{width}" height="{height}" fill="white"/><text x="{}" y="18" text-anchor="middle" font-size="13" font-weight="bold">{}</text>"#,
        width / 2.0,
        esc(title)
    );
    let px = |v: f64| label_w + (width - label_w - R - 60.0) * v / max;
    for (i, b) in bars.iter().enumerate() {
        let y = T + row * i as f64;
        let _ = write!(
            out,
            r#"<text x="{}" y="{:.1}" text-anchor="end">{}</text><rect x="{label_w}" y="{:.1}" width="{:.1}" height="{}" fill="{}"/><text x="{:.1}" y="{:.1}">{}</text>"#,
            label_w - 4.0,
            y + 12.0,
            esc(&b.label),
            y + 2.0,
            (px(b.value) - label_w).max(0.5),
            row - 4.0,
            b.color,
            px(b.value) + 4.0,
            y + 12.0,
            esc(&b.text)
        );
    }
    if let Some(r) = reference {
        let x = px(r);
        let _ = write!(
            out,
            r##"<line x1="{x:.1}" y1="{}" x2="{x:.1}" y2="{:.1}" stroke="#333" stroke-dasharray="3,3"/><text x="{x:.1}" y="{:.1}" text-anchor="middle">{}</text>"##,
            T - 4.0,
            T + row * bars.len() as f64,
            T + row * bars.len() as f64 + 14.0,
            short(r)
        );
    }
    out.push_str("</svg>");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentile_points_step_through_quantiles() {
        let p = percentile_points(&[[10, 1], [20, 1]]);
        assert_eq!(p.len(), 4);
        assert_eq!(p[0], (0.0, 10.0));
        assert!((p[1].0 - quantile_x(0.5)).abs() < 1e-12);
        assert!((p[3].0 - quantile_x(0.75)).abs() < 1e-12, "capped at 1 - 1/(2n)");
        let svg = percentile_chart(
            "t <x>",
            "cycles",
            &[Line { label: "a".into(), color: "#000".into(), dashed: false, points: p }],
        );
        assert!(svg.starts_with("<svg") && svg.ends_with("</svg>") && svg.contains("t &lt;x&gt;"));
    }
}
