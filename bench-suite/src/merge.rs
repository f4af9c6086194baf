//! `mkjit merge DIR...`: combines the results of shards (`mkjit bench --shard
//! I/N`) into one results file, losslessly.
//!
//! Runs are disjoint between shards and are concatenated (sorted back into
//! matrix order). Aggregate histograms are merged by adding the shards'
//! HdrHistograms (exact: counts add), and every merged aggregate is checked
//! against the sample counts of the runs it covers. The merged file is what
//! an unsharded run would have written, apart from host-side fields.

use crate::error::BenchError;
use crate::hist::{decode_hdr, new_hdr};
use crate::runner::aggregate_from_hdr;
use crate::runner::AggregateKey;
use crate::schema::{QemuSection, Results};
use hdrhistogram::Histogram;
use std::collections::{BTreeMap, BTreeSet};

/// Adds `h` into `acc`. `acc` must come from [`new_hdr`]: decoded histograms
/// do not resize, so adding a wider one into them would fail.
pub fn accumulate(acc: &mut Histogram<u64>, h: &Histogram<u64>) -> Result<(), BenchError> {
    acc.add(h).map_err(|e| BenchError::Histogram(format!("{e:?}")))
}

/// Merges shard results.
pub fn merge(inputs: &[Results]) -> Result<Results, BenchError> {
    let first = inputs.first().ok_or_else(|| BenchError::Merge("no results to merge".into()))?;
    let mut out = Results::new(&first.suite);
    out.mkjit_version = first.mkjit_version.clone();
    out.shard_count = first.shard_count;
    out.matrix_cells = first.matrix_cells;
    out.host = first.host.clone();
    out.shards.clear();
    let mut ids = BTreeSet::new();
    let mut aggs: BTreeMap<AggregateKey, (BTreeSet<String>, Histogram<u64>)> = BTreeMap::new();
    for (k, r) in inputs.iter().enumerate() {
        let which = format!("input {}", k + 1);
        for (what, a, b) in
            [("suite", &r.suite, &first.suite), ("mkjit version", &r.mkjit_version, &first.mkjit_version)]
        {
            if a != b {
                return Err(BenchError::Merge(format!("{which}: {what} `{a}` differs from `{b}`")));
            }
        }
        if r.shard_count != first.shard_count || r.matrix_cells != first.matrix_cells {
            return Err(BenchError::Merge(format!(
                "{which}: cut into {} shards of a {}-cell matrix, the first input into {} of {}",
                r.shard_count, r.matrix_cells, first.shard_count, first.matrix_cells
            )));
        }
        for s in &r.shards {
            if out.shards.contains(s) {
                return Err(BenchError::Merge(format!("shard {s}/{} appears twice", r.shard_count)));
            }
            out.shards.push(*s);
        }
        for img in &r.images {
            match out.images.iter().find(|i| i.name == img.name) {
                Some(i) if i.fnv1a64 != img.fnv1a64 => {
                    return Err(BenchError::Merge(format!(
                        "image `{}` differs between inputs ({} vs {})",
                        img.name, i.fnv1a64, img.fnv1a64
                    )))
                }
                Some(_) => {}
                None => out.images.push(img.clone()),
            }
        }
        for n in &r.notes {
            if !out.notes.contains(n) {
                out.notes.push(n.clone());
            }
        }
        for run in &r.runs {
            if !ids.insert(run.id.clone()) {
                return Err(BenchError::Merge(format!("run `{}` appears in more than one input", run.id)));
            }
            out.runs.push(run.clone());
        }
        for a in &r.aggregates {
            let key = (a.image.clone(), a.engine.clone(), a.cost_model.clone(), a.series.clone(), a.unit.clone());
            let h = decode_hdr(&a.hdr)?;
            let (runs, acc) = aggs.entry(key).or_insert_with(|| (BTreeSet::new(), new_hdr()));
            accumulate(acc, &h)?;
            runs.extend(a.runs.iter().cloned());
        }
        if let Some(q) = &r.qemu {
            let dst = out.qemu.get_or_insert_with(|| QemuSection {
                binary: q.binary.clone(),
                version: q.version.clone(),
                runs: Vec::new(),
            });
            dst.runs.extend(q.runs.iter().cloned());
        }
    }
    out.shards.sort();
    out.runs.sort_by_key(|r| r.index);
    if let Some(q) = &mut out.qemu {
        let order: BTreeMap<&str, usize> = out.runs.iter().map(|r| (r.id.as_str(), r.index)).collect();
        q.runs.sort_by_key(|x| order.get(x.run_id.as_str()).copied().unwrap_or(usize::MAX));
    }
    for ((image, engine, cost, series, unit), (runs, h)) in aggs {
        let expected: u64 = out
            .runs
            .iter()
            .filter(|r| runs.contains(&r.id))
            .flat_map(|r| r.series.iter().filter(|s| s.name == series && s.unit == unit))
            .map(|s| s.count)
            .sum();
        if expected != h.len() {
            return Err(BenchError::Merge(format!(
                "aggregate {image}/{engine}/{cost}/{series}: {} samples in the histograms, {expected} in the runs",
                h.len()
            )));
        }
        out.aggregates.push(aggregate_from_hdr(image, engine, cost, series, unit, runs.into_iter().collect(), &h));
    }
    let missing: Vec<u32> = (1..=out.shard_count).filter(|s| !out.shards.contains(s)).collect();
    if !missing.is_empty() {
        out.notes.push(format!(
            "incomplete: shards {missing:?} of {} are not in this merge ({} of {} cells present)",
            out.shard_count,
            out.runs.len(),
            out.matrix_cells
        ));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hist::{encode_hdr, Dist};

    #[test]
    fn decoded_histograms_of_any_range_merge_exactly() {
        let small = Dist::from_samples(&[688, 688, 707]);
        let large = Dist::from_samples(&[1_382_874, 5_282_979, 2]);
        let mut acc = new_hdr();
        for d in [&small, &large, &small] {
            accumulate(&mut acc, &decode_hdr(&encode_hdr(&d.to_hdr()).unwrap()).unwrap()).unwrap();
        }
        let mut all = small.clone();
        all.merge(&large);
        all.merge(&small);
        assert_eq!(acc, all.to_hdr());
        assert_eq!(acc.len(), 9);
    }
}
