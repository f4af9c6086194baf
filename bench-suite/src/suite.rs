//! Suites, images, cost-model variants, and the run matrix
//! (workloads x cost models x engines x images), with sharding.

use crate::error::BenchError;
use crate::schema::{CostModelInfo, ImageInfo, SweepPoint};
use mkjit_runtime::cost::CostModel;
use std::collections::BTreeMap;
use std::sync::Arc;

mod embedded {
    include!(concat!(env!("OUT_DIR"), "/images.rs"));
}

/// Where an image is looked for at run time when it was not built in.
pub const IMAGE_DIR: &str = "guest-os/images";

/// A named suite.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Suite {
    /// What CI runs: every latency workload once at a small size (a few seconds).
    Quick,
    /// Every workload, several parameter points, QEMU side by side (under a minute).
    Default,
    /// The default suite plus large sizes (544-task RPC, 10k-iteration IPC).
    Full,
}

impl Suite {
    /// Name, as in results files.
    pub fn name(self) -> &'static str {
        match self {
            Suite::Quick => "quick",
            Suite::Default => "default",
            Suite::Full => "full",
        }
    }

    /// Host-time repetitions per cell.
    pub fn repeat(self) -> u32 {
        match self {
            Suite::Quick => 1,
            Suite::Default | Suite::Full => 3,
        }
    }

    /// Whether QEMU runs side by side by default (when installed).
    pub fn qemu(self) -> bool {
        !matches!(self, Suite::Quick)
    }

    /// The workloads, with their guest command-line parameters, in report order.
    pub fn workloads(self) -> Vec<WorkloadSpec> {
        let w = WorkloadSpec::new;
        match self {
            Suite::Quick => vec![
                w("ipc", &[("iters", "100"), ("warmup", "10")]),
                w("ipc", &[("iters", "100"), ("warmup", "10"), ("counter", "instret")]),
                w("pingpong", &[("iters", "100"), ("warmup", "10")]),
                w("rpc", &[("clients", "4"), ("servers", "2"), ("rpc_calls", "25")]),
                w("bulk", &[("bulk_iters", "2"), ("bulk_max", "16384")]),
                w("file", &[("files", "2"), ("filesize", "4096"), ("chunk", "1024")]),
                w("kv", &[("kv_ops", "200"), ("kv_keys", "32")]),
                w("irq", &[("irq_iters", "20")]),
            ],
            Suite::Default => vec![
                w("ipc", &[("iters", "1000"), ("warmup", "50")]),
                w("ipc", &[("iters", "1000"), ("warmup", "50"), ("counter", "instret")]),
                w("pingpong", &[("iters", "1000"), ("warmup", "50")]),
                w("rpc", &[("clients", "1"), ("servers", "1"), ("rpc_calls", "1000")]),
                w("rpc", &[("clients", "16"), ("servers", "4"), ("rpc_calls", "100")]),
                w("rpc", &[("clients", "64"), ("servers", "8"), ("rpc_calls", "50")]),
                w("bulk", &[("bulk_iters", "16")]),
                w("file", &[("chunk", "512")]),
                w("file", &[("chunk", "4096")]),
                w("kv", &[("kv_ops", "2000"), ("get_pct", "80")]),
                w("kv", &[("kv_ops", "2000"), ("get_pct", "20")]),
                w("irq", &[("irq_iters", "200")]),
                w("sched", &[]),
                w("fault", &[]),
                w("restart", &[]),
            ],
            Suite::Full => {
                let mut v = Suite::Default.workloads();
                v.extend([
                    w("ipc", &[("iters", "10000"), ("warmup", "100")]),
                    w("rpc", &[("clients", "512"), ("servers", "32"), ("rpc_calls", "200")]),
                    w("bulk", &[("bulk_iters", "64")]),
                    w("file", &[("files", "8"), ("filesize", "65536"), ("chunk", "8192")]),
                    w("kv", &[("kv_ops", "20000"), ("kv_keys", "512")]),
                    w("irq", &[("irq_iters", "1000")]),
                ]);
                v
            }
        }
    }
}

/// A workload and its guest command-line parameters.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WorkloadSpec {
    /// `workload=` value.
    pub workload: String,
    /// Other `key=value` pairs.
    pub params: BTreeMap<String, String>,
}

impl WorkloadSpec {
    /// A workload with parameters.
    pub fn new(workload: &str, params: &[(&str, &str)]) -> WorkloadSpec {
        WorkloadSpec {
            workload: workload.to_string(),
            params: params.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect(),
        }
    }

    /// The guest command line.
    pub fn bootargs(&self) -> String {
        let mut s = format!("workload={}", self.workload);
        for (k, v) in &self.params {
            s.push_str(&format!(" {k}={v}"));
        }
        s
    }

    /// `workload[k=v,...]` (or just `workload`), part of run ids.
    pub fn label(&self) -> String {
        if self.params.is_empty() {
            return self.workload.clone();
        }
        let p: Vec<String> = self.params.iter().map(|(k, v)| format!("{k}={v}")).collect();
        format!("{}[{}]", self.workload, p.join(","))
    }
}

/// A guest image to run.
#[derive(Clone, Debug)]
pub struct ImageSpec {
    /// Name (`stock`, `codesign`, ...).
    pub name: String,
    /// ELF bytes.
    pub bytes: Arc<Vec<u8>>,
    /// `embedded` or the path it was read from.
    pub source: String,
    /// Extensions to enable (empty: stock ISA).
    pub extensions: Vec<String>,
}

/// FNV-1a, 64 bits.
pub fn fnv1a64(bytes: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for &b in bytes {
        h ^= b as u64;
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    h
}

impl ImageSpec {
    /// Recorded description.
    pub fn info(&self) -> ImageInfo {
        ImageInfo {
            name: self.name.clone(),
            source: self.source.clone(),
            bytes: self.bytes.len() as u64,
            fnv1a64: format!("{:016x}", fnv1a64(&self.bytes)),
            extensions: self.extensions.clone(),
        }
    }

    /// Reads an image file.
    pub fn from_file(name: &str, path: &std::path::Path, extensions: Vec<String>) -> Result<ImageSpec, BenchError> {
        let bytes = std::fs::read(path).map_err(|err| BenchError::Read { path: path.display().to_string(), err })?;
        Ok(ImageSpec { name: name.to_string(), bytes: Arc::new(bytes), source: path.display().to_string(), extensions })
    }
}

/// The image built into this mkjit under `name`.
pub fn embedded_image(name: &str) -> Option<&'static [u8]> {
    embedded::EMBEDDED.iter().find(|(n, _)| *n == name).map(|(_, b)| *b)
}

/// Resolves the images to run: `overrides` (`name`, path) first, then the
/// built-in `stock` and `codesign`, then `guest-os/images/codesign.elf` in the
/// current directory. Returns the images and notes for the report (a missing
/// codesign image means "stock only", never invented numbers).
pub fn resolve_images(
    select: Option<&[String]>,
    overrides: &[(String, std::path::PathBuf)],
    codesign_ext: &[String],
) -> Result<(Vec<ImageSpec>, Vec<String>), BenchError> {
    let mut images = Vec::new();
    let mut notes = Vec::new();
    let mut codesign_absent = false;
    let ext_for = |name: &str| if name == "stock" { Vec::new() } else { codesign_ext.to_vec() };
    for (name, path) in overrides {
        images.push(ImageSpec::from_file(name, path, ext_for(name))?);
    }
    let have = |images: &[ImageSpec], n: &str| images.iter().any(|i| i.name == n);
    if !have(&images, "stock") {
        let bytes = embedded_image("stock").ok_or_else(|| {
            BenchError::Usage("this mkjit was built without the stock image; give --image stock=PATH".into())
        })?;
        images.push(ImageSpec {
            name: "stock".into(),
            bytes: Arc::new(bytes.to_vec()),
            source: "embedded".into(),
            extensions: Vec::new(),
        });
    }
    if !have(&images, "codesign") {
        let disk = std::path::Path::new(IMAGE_DIR).join("codesign.elf");
        if let Some(bytes) = embedded_image("codesign") {
            images.push(ImageSpec {
                name: "codesign".into(),
                bytes: Arc::new(bytes.to_vec()),
                source: "embedded".into(),
                extensions: codesign_ext.to_vec(),
            });
        } else if disk.is_file() {
            images.push(ImageSpec::from_file("codesign", &disk, codesign_ext.to_vec())?);
        } else if select.is_none_or(|s| s.iter().any(|n| n == "codesign")) {
            codesign_absent = true;
            notes.push(format!(
                "codesign image absent (not built into this mkjit, no {}/codesign.elf, no --image codesign=PATH): \
                 stock only; no codesign numbers are reported",
                IMAGE_DIR
            ));
        }
    }
    if let Some(sel) = select {
        for s in sel {
            let known = have(&images, s) || (s == "codesign" && codesign_absent);
            if !known {
                return Err(BenchError::Usage(format!("unknown image `{s}` (give it with --image {s}=PATH)")));
            }
        }
        images.retain(|i| sel.contains(&i.name));
    }
    // stock first, codesign second, others by name.
    images.sort_by_key(|i| (i.name != "stock", i.name != "codesign", i.name.clone()));
    Ok((images, notes))
}

/// A cost model as run: the preset, `--set` overrides, and maybe one sweep point.
#[derive(Clone, Debug)]
pub struct CostVariant {
    /// The model.
    pub model: CostModel,
    /// Description recorded with each run.
    pub info: CostModelInfo,
}

/// Parses `PARAM=VALUE`.
pub fn parse_set(s: &str) -> Result<(String, u64), BenchError> {
    let (k, v) = s.split_once('=').ok_or_else(|| BenchError::Usage(format!("`{s}`: expected PARAM=VALUE")))?;
    let v = v.trim().parse().map_err(|_| BenchError::Usage(format!("`{s}`: `{v}` is not a whole number of cycles")))?;
    Ok((k.trim().to_string(), v))
}

/// Parses `PARAM=V1,V2,...`.
pub fn parse_sweep(s: &str) -> Result<(String, Vec<u64>), BenchError> {
    let (k, vs) =
        s.split_once('=').ok_or_else(|| BenchError::Usage(format!("--sweep `{s}`: expected PARAM=V1,V2,...")))?;
    let mut values = Vec::new();
    for v in vs.split(',').filter(|v| !v.trim().is_empty()) {
        values.push(
            v.trim().parse().map_err(|_| BenchError::Usage(format!("--sweep `{s}`: `{v}` is not a whole number")))?,
        );
    }
    if values.is_empty() {
        return Err(BenchError::Usage(format!("--sweep `{s}`: no values")));
    }
    Ok((k.trim().to_string(), values))
}

fn info_of(model: &CostModel, label: String, sweep: Option<SweepPoint>) -> CostModelInfo {
    CostModelInfo { name: model.name.clone(), label, sweep, params: model.params().into_iter().collect() }
}

/// The base model (`name_or_path` plus `sets`) followed by one variant per sweep point.
pub fn cost_variants(
    name_or_path: &str,
    sets: &[(String, u64)],
    sweeps: &[(String, Vec<u64>)],
) -> Result<Vec<CostVariant>, BenchError> {
    let mut base = CostModel::load(name_or_path)?;
    let mut label = base.name.clone();
    for (k, v) in sets {
        set_param(&mut base, k, *v)?;
        label.push_str(&format!("+{k}={v}"));
    }
    let mut out = vec![CostVariant { info: info_of(&base, label.clone(), None), model: base.clone() }];
    for (param, values) in sweeps {
        for &v in values {
            let mut m = base.clone();
            set_param(&mut m, param, v)?;
            let p = canonical_param(param);
            let l = format!("{label}+{p}={v}");
            if out.iter().any(|c| c.info.label == l) {
                continue;
            }
            out.push(CostVariant { info: info_of(&m, l, Some(SweepPoint { param: p.clone(), value: v })), model: m });
        }
    }
    Ok(out)
}

/// Sets a parameter. An `event.NAME` the preset does not list is declared
/// first: extensions declare their events (with default costs) only when they
/// are enabled on a machine, and a value set here takes precedence over that
/// default. A class or core event that does not exist is an error.
pub fn set_param(m: &mut CostModel, param: &str, value: u64) -> Result<(), BenchError> {
    if let Some(e) = param.strip_prefix("event.") {
        if !e.is_empty() && !m.events.contains_key(e) {
            m.declare(e);
        }
    }
    Ok(m.set(param, value)?)
}

/// Checks that every `--set`/`--sweep` parameter names an instruction class
/// or an event of the cost model `name_or_path` or of an extension
/// (`extension_events`): a misspelt one is an error, not a new event.
pub fn check_params<'a>(
    name_or_path: &str,
    params: impl IntoIterator<Item = &'a String>,
    extension_events: &[String],
) -> Result<(), BenchError> {
    let model = CostModel::load(name_or_path)?;
    for p in params {
        let c = canonical_param(p);
        if let Some(e) = c.strip_prefix("event.") {
            if !model.events.contains_key(e) && !extension_events.iter().any(|x| x == e) {
                return Err(BenchError::Usage(format!(
                    "unknown cost parameter `{p}`: not an event of cost model `{}` nor of an extension",
                    model.name
                )));
            }
        }
    }
    Ok(())
}

/// `satp_write` -> `event.satp_write`; `class.*` and `event.*` unchanged.
pub fn canonical_param(p: &str) -> String {
    if p.starts_with("class.") || p.starts_with("event.") {
        p.to_string()
    } else {
        format!("event.{p}")
    }
}

/// One cell of the matrix.
#[derive(Clone, Debug)]
pub struct CellSpec {
    /// Position in the whole matrix (stable across shards).
    pub index: usize,
    /// Workload.
    pub workload: WorkloadSpec,
    /// Index into the images.
    pub image: usize,
    /// Engine name.
    pub engine: String,
    /// Index into the cost variants.
    pub cost: usize,
}

/// The id of a cell: `workload[k=v,...]@image/engine/cost-label`.
pub fn cell_id(workload: &WorkloadSpec, image: &str, engine: &str, cost_label: &str) -> String {
    format!("{}@{image}/{engine}/{cost_label}", workload.label())
}

/// Every cell: workloads (suite order) x cost variants x engines x images.
pub fn matrix(workloads: &[WorkloadSpec], images: usize, engines: &[String], costs: usize) -> Vec<CellSpec> {
    let mut cells = Vec::new();
    for w in workloads {
        for cost in 0..costs {
            for e in engines {
                for image in 0..images {
                    cells.push(CellSpec { index: cells.len(), workload: w.clone(), image, engine: e.clone(), cost });
                }
            }
        }
    }
    cells
}

/// Parses `I/N` (1 <= I <= N).
pub fn parse_shard(s: &str) -> Result<(u32, u32), BenchError> {
    let bad = || BenchError::Usage(format!("bad --shard `{s}` (use I/N with 1 <= I <= N, e.g. 2/4)"));
    let (i, n) = s.split_once('/').ok_or_else(bad)?;
    let (i, n): (u32, u32) = (i.trim().parse().map_err(|_| bad())?, n.trim().parse().map_err(|_| bad())?);
    if n == 0 || i == 0 || i > n {
        return Err(bad());
    }
    Ok((i, n))
}

/// The cells of shard `i` of `n`: every `n`-th cell starting at the `i`-th
/// (round robin, so that every shard gets a mix of workloads).
pub fn shard(cells: Vec<CellSpec>, i: u32, n: u32) -> Vec<CellSpec> {
    cells.into_iter().filter(|c| c.index % n as usize == (i - 1) as usize).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shards_partition_the_matrix() {
        let w = Suite::Default.workloads();
        let all = matrix(&w, 2, &["interp".to_string()], 3);
        let mut seen: Vec<usize> = Vec::new();
        for i in 1..=4 {
            seen.extend(shard(all.clone(), i, 4).iter().map(|c| c.index));
        }
        seen.sort();
        assert_eq!(seen, (0..all.len()).collect::<Vec<_>>());
        assert!(parse_shard("0/3").is_err() && parse_shard("4/3").is_err() && parse_shard("x").is_err());
        assert_eq!(parse_shard("2/3").unwrap(), (2, 3));
    }

    #[test]
    fn sweeps_change_exactly_one_parameter() {
        let v = cost_variants("default", &[], &[("class.div".into(), vec![10, 60]), ("satp_write".into(), vec![0])])
            .unwrap();
        assert_eq!(v.len(), 4);
        assert_eq!(v[0].info.label, "default");
        assert_eq!(v[1].info.label, "default+class.div=10");
        assert_eq!(v[3].info.sweep, Some(SweepPoint { param: "event.satp_write".into(), value: 0 }));
        for c in &v[1..] {
            let differing: Vec<_> = c.info.params.iter().filter(|(k, val)| v[0].info.params[*k] != **val).collect();
            assert_eq!(differing.len(), 1, "{}", c.info.label);
        }
        assert!(cost_variants("default", &[], &[("class.nope".into(), vec![1])]).is_err());
        let ext = cost_variants("default", &[], &[("event.xgate_clb_miss".into(), vec![5])]).unwrap();
        assert_eq!(
            ext[1].info.params["event.xgate_clb_miss"], 5,
            "extension events may be swept before they are declared"
        );
        assert!(parse_sweep("class.div=").is_err());
        assert_eq!(parse_sweep("class.div=1,2").unwrap().1, vec![1, 2]);
    }

    #[test]
    fn misspelt_parameters_are_refused() {
        let ext = vec!["xgate.gcall".to_string()];
        let ok = ["class.div", "satp_write", "event.dtlb_miss", "xgate.gcall", "event.xgate.gcall"].map(String::from);
        check_params("default", ok.iter(), &ext).unwrap();
        for bad in ["xgate.gcal", "event.satp_wrte", "dtlbmiss"] {
            let e = check_params("default", [bad.to_string()].iter(), &ext).unwrap_err();
            assert!(e.to_string().contains(bad), "{e}");
        }
    }

    #[test]
    fn ids_are_unique_and_stable() {
        let w = WorkloadSpec::new("rpc", &[("servers", "2"), ("clients", "4")]);
        assert_eq!(w.bootargs(), "workload=rpc clients=4 servers=2");
        assert_eq!(cell_id(&w, "stock", "interp", "default"), "rpc[clients=4,servers=2]@stock/interp/default");
    }
}
