//! Parsing the guest OS's console output: `CHECK`, `RESULT`, `SUMMARY` and
//! monitor lines (formats in `guest-os/README.md`).

/// One `CHECK name=... ok|FAIL` line.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Check {
    /// `<workload>.<check>`.
    pub name: String,
    /// Whether it printed `ok`.
    pub ok: bool,
}

/// One `RESULT workload=... series=... metric=... value=... unit=...` line.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ResultLine {
    /// Workload.
    pub workload: String,
    /// Series.
    pub series: String,
    /// Metric (`samples`, `min`, `avg`, `p50`, ..., or a workload-specific one).
    pub metric: String,
    /// Value.
    pub value: u64,
    /// Unit (`cycles`, `instret`, `ticks`, `count`, ...).
    pub unit: String,
}

/// Metrics the guest prints for every series it aggregates.
pub const SERIES_METRICS: [&str; 7] = ["samples", "min", "avg", "p50", "p90", "p99", "max"];

/// Everything the suite reads from a guest's console.
#[derive(Clone, Debug, Default)]
pub struct GuestOutput {
    /// `CHECK` lines, in order.
    pub checks: Vec<Check>,
    /// `RESULT` lines, in order.
    pub results: Vec<ResultLine>,
    /// Lines that must be identical on every machine for the same command line:
    /// `CHECK`, `SUMMARY`, and the monitor's fault lines.
    pub functional: Vec<String>,
}

fn field<'a>(line: &'a str, key: &str) -> Option<&'a str> {
    line.split_whitespace().find_map(|w| w.strip_prefix(key).and_then(|r| r.strip_prefix('=')))
}

impl GuestOutput {
    /// Parses console output (invalid UTF-8 is replaced).
    pub fn parse(bytes: &[u8]) -> GuestOutput {
        let text = String::from_utf8_lossy(bytes);
        let mut out = GuestOutput::default();
        for raw in text.lines() {
            let line = raw.trim_end_matches('\r');
            if line.starts_with("CHECK ") {
                out.functional.push(line.to_string());
                if let Some(name) = field(line, "name") {
                    out.checks.push(Check { name: name.to_string(), ok: line.trim_end().ends_with(" ok") });
                }
            } else if line.starts_with("SUMMARY ") || line.starts_with("monitor: task ") {
                out.functional.push(line.to_string());
            } else if line.starts_with("RESULT ") {
                let r = (|| {
                    Some(ResultLine {
                        workload: field(line, "workload")?.to_string(),
                        series: field(line, "series")?.to_string(),
                        metric: field(line, "metric")?.to_string(),
                        value: field(line, "value")?.parse().ok()?,
                        unit: field(line, "unit")?.to_string(),
                    })
                })();
                out.results.extend(r);
            }
        }
        out
    }

    /// The guest's value of `metric` for `series`.
    pub fn metric(&self, series: &str, metric: &str) -> Option<&ResultLine> {
        self.results.iter().find(|r| r.series == series && r.metric == metric)
    }

    /// Whether the guest printed at least one check and every check passed.
    pub fn all_passed(&self) -> bool {
        !self.checks.is_empty() && self.checks.iter().all(|c| c.ok)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_checks_results_and_functional_lines() {
        let text = b"mkjit kernel (stock): 256 MiB\r\nCHECK name=ipc.setup ok\nCHECK name=ipc.rtt.ok FAIL\n\
RESULT workload=ipc series=ipc_call_0w metric=p50 value=688 unit=cycles\n\
RESULT workload=ipc series=broken metric=p50 value=x unit=cycles\n\
monitor: task bclient (32) store-fault at pc=400000d8 addr=8: killed\nSUMMARY checks=2 passed=1 failed=1\n";
        let g = GuestOutput::parse(text);
        assert_eq!(g.checks.len(), 2);
        assert!(g.checks[0].ok && !g.checks[1].ok);
        assert!(!g.all_passed());
        assert_eq!(g.results.len(), 1, "a malformed RESULT line is skipped");
        assert_eq!(g.metric("ipc_call_0w", "p50").unwrap().value, 688);
        assert_eq!(g.functional.len(), 4);
    }
}
