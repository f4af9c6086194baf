//! Sample distributions: exact (value, count) maps for the gated statistics,
//! HdrHistograms for interchange, and the `.hgrm` percentile format.
//!
//! Every sample a guest reports is kept exactly, as a sorted list of
//! `(value, count)` pairs: modeled cycles repeat a lot (a fastpath IPC call is
//! the same 688 cycles every time), so this is small, and it merges exactly by
//! adding counts. Percentiles are computed from it exactly, with the guest's
//! own definition (the sample at index `n * p / 100` of the sorted samples), so
//! mkjit's numbers can be checked against the guest's `RESULT` lines.
//!
//! The same samples also go into an [`hdrhistogram::Histogram`] (3 significant
//! digits, auto-resizing), stored in the results as the standard V2 deflate
//! encoding in base64 (what HdrHistogram log files carry), and printed as
//! `.hgrm` files for the HdrHistogram plotter.

use crate::error::BenchError;
use base64::Engine as _;
use hdrhistogram::serialization::{Deserializer, Serializer, V2DeflateSerializer};
use hdrhistogram::Histogram;
use std::collections::BTreeMap;

/// Significant decimal digits of every histogram the suite writes.
pub const SIGFIG: u8 = 3;

/// Percentile ticks per half distance to 100% in `.hgrm` output (HdrHistogram's usual 5).
pub const HGRM_TICKS_PER_HALF: u32 = 5;

/// An exact distribution of samples: value -> count.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Dist {
    counts: BTreeMap<u64, u64>,
}

impl Dist {
    /// The distribution of `samples`.
    pub fn from_samples(samples: &[u64]) -> Dist {
        let mut d = Dist::default();
        for &s in samples {
            d.add(s, 1);
        }
        d
    }

    /// The distribution given as `(value, count)` pairs (any order; repeated values add up).
    pub fn from_pairs(pairs: &[[u64; 2]]) -> Dist {
        let mut d = Dist::default();
        for &[v, c] in pairs {
            d.add(v, c);
        }
        d
    }

    /// Adds `count` samples of `value`.
    pub fn add(&mut self, value: u64, count: u64) {
        if count > 0 {
            *self.counts.entry(value).or_insert(0) += count;
        }
    }

    /// Adds every sample of `other`.
    pub fn merge(&mut self, other: &Dist) {
        for (&v, &c) in &other.counts {
            self.add(v, c);
        }
    }

    /// Sorted `(value, count)` pairs.
    pub fn pairs(&self) -> Vec<[u64; 2]> {
        self.counts.iter().map(|(&v, &c)| [v, c]).collect()
    }

    /// Iterates over `(value, count)` in ascending order.
    pub fn iter(&self) -> impl Iterator<Item = (u64, u64)> + '_ {
        self.counts.iter().map(|(&v, &c)| (v, c))
    }

    /// Number of samples.
    pub fn count(&self) -> u64 {
        self.counts.values().sum()
    }

    /// Whether there are no samples.
    pub fn is_empty(&self) -> bool {
        self.counts.is_empty()
    }

    /// Smallest sample (0 when empty).
    pub fn min(&self) -> u64 {
        self.counts.keys().next().copied().unwrap_or(0)
    }

    /// Largest sample (0 when empty).
    pub fn max(&self) -> u64 {
        self.counts.keys().next_back().copied().unwrap_or(0)
    }

    /// Sum of all samples.
    pub fn sum(&self) -> u128 {
        self.counts.iter().map(|(&v, &c)| v as u128 * c as u128).sum()
    }

    /// Mean, rounded down as the guest does (0 when empty).
    pub fn mean_floor(&self) -> u64 {
        let n = self.count();
        if n == 0 {
            0
        } else {
            (self.sum() / n as u128) as u64
        }
    }

    /// The sample at index `n * permille / 1000` of the sorted samples (0 when empty).
    /// `permille` 500 is the median; this is the guest's percentile definition.
    pub fn at_permille(&self, permille: u64) -> u64 {
        self.at_index(self.count() as u128 * permille.min(1000) as u128 / 1000)
    }

    /// The sample at index `n * p / 100` of the sorted samples: the guest's `p<p>` rule.
    pub fn at_percent(&self, p: u64) -> u64 {
        self.at_index(self.count() as u128 * p.min(100) as u128 / 100)
    }

    fn at_index(&self, i: u128) -> u64 {
        let n = self.count() as u128;
        if n == 0 {
            return 0;
        }
        let i = i.min(n - 1);
        let mut seen = 0u128;
        for (&v, &c) in &self.counts {
            seen += c as u128;
            if seen > i {
                return v;
            }
        }
        self.max()
    }

    /// An HdrHistogram of these samples.
    pub fn to_hdr(&self) -> Histogram<u64> {
        let mut h = new_hdr();
        for (&v, &c) in &self.counts {
            h.record_n(v, c).expect("an auto-resizing histogram records any u64 value");
        }
        h
    }
}

/// An empty histogram with the suite's precision (auto-resizing, lowest discernible value 1).
pub fn new_hdr() -> Histogram<u64> {
    Histogram::new(SIGFIG).expect("3 significant digits is a valid histogram precision")
}

/// The same counts in a histogram whose shape (value range) depends only on
/// them: equal counts give equal encodings, however the histogram was built
/// (recorded, added up, decoded).
pub fn canonical(h: &Histogram<u64>) -> Histogram<u64> {
    let mut c = new_hdr();
    for v in h.iter_recorded() {
        c.record_n(v.value_iterated_to(), v.count_at_value())
            .expect("an auto-resizing histogram records any u64 value");
    }
    c
}

/// Encodes a histogram in HdrHistogram's V2 deflate format, base64 (as in
/// `.hlog` files), after making it [`canonical`].
pub fn encode_hdr(h: &Histogram<u64>) -> Result<String, BenchError> {
    let mut bytes = Vec::new();
    V2DeflateSerializer::new()
        .serialize(&canonical(h), &mut bytes)
        .map_err(|e| BenchError::Histogram(format!("{e:?}")))?;
    Ok(base64::engine::general_purpose::STANDARD.encode(bytes))
}

/// Decodes [`encode_hdr`]'s output.
pub fn decode_hdr(s: &str) -> Result<Histogram<u64>, BenchError> {
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(s.trim())
        .map_err(|e| BenchError::Histogram(format!("bad base64: {e}")))?;
    Deserializer::new().deserialize(&mut bytes.as_slice()).map_err(|e| BenchError::Histogram(format!("{e:?}")))
}

/// Sub-buckets per bucket of a histogram with `sigfig` digits (HdrHistogram's rule).
pub fn sub_bucket_count(sigfig: u8) -> u64 {
    let largest = 2 * 10u64.pow(sigfig as u32);
    largest.next_power_of_two()
}

/// The percentile distribution of `h` in HdrHistogram's `.hgrm` text format
/// (what `outputPercentileDistribution` prints and the HdrHistogram plotter
/// reads), values scaled by `scale` (1.0: the recorded unit).
pub fn hgrm(h: &Histogram<u64>, scale: f64) -> String {
    use std::fmt::Write;
    let d = h.sigfig() as usize;
    let mut out = String::new();
    let _ = write!(out, "{:>12} {:>14} {:>10} {:>14}\n\n", "Value", "Percentile", "TotalCount", "1/(1-Percentile)");
    if h.is_empty() {
        let _ = writeln!(out, "#[Mean    = {:>12.d$}, StdDeviation   = {:>12.d$}]", 0.0, 0.0);
        let _ = writeln!(out, "#[Max     = {:>12.d$}, Total count    = {:>12}]", 0.0, 0);
        let _ =
            writeln!(out, "#[Buckets = {:>12}, SubBuckets     = {:>12}]", h.buckets(), sub_bucket_count(h.sigfig()));
        return out;
    }
    let mut total = 0u64;
    for it in h.iter_quantiles(HGRM_TICKS_PER_HALF) {
        total += it.count_since_last_iteration();
        let value = it.value_iterated_to() as f64 / scale;
        let q = it.quantile_iterated_to();
        if q < 1.0 {
            let _ = writeln!(out, "{value:>12.d$} {q:>2.12} {total:>10} {:>14.2}", 1.0 / (1.0 - q));
        } else {
            let _ = writeln!(out, "{value:>12.d$} {q:>2.12} {total:>10}");
        }
    }
    let _ = writeln!(out, "#[Mean    = {:>12.d$}, StdDeviation   = {:>12.d$}]", h.mean() / scale, h.stdev() / scale);
    let _ = writeln!(out, "#[Max     = {:>12.d$}, Total count    = {:>12}]", h.max() as f64 / scale, h.len());
    let _ = writeln!(out, "#[Buckets = {:>12}, SubBuckets     = {:>12}]", h.buckets(), sub_bucket_count(h.sigfig()));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_follow_the_guest_rule() {
        let d = Dist::from_samples(&(1..=200).collect::<Vec<_>>());
        assert_eq!(d.at_percent(50), 101, "index 100 of 1..=200");
        assert_eq!(d.at_percent(99), 199);
        assert_eq!(d.at_permille(999), 200);
        assert_eq!(d.mean_floor(), 100);
    }

    #[test]
    fn histograms_round_trip_through_base64() {
        let d = Dist::from_samples(&[688, 688, 707, 1873, 2_414_715, 0]);
        let h = d.to_hdr();
        let back = decode_hdr(&encode_hdr(&h).unwrap()).unwrap();
        assert_eq!(h, back);
        assert_eq!(back.len(), 6);
        assert_eq!(sub_bucket_count(3), 2048);
    }
}
