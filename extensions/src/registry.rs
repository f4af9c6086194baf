//! The registry: one line per extension, and enabling extensions on a machine.
//!
//! `--ext xgate,xctx:slots=8` is parsed by [`parse`] and applied by [`enable`]:
//! rows are registered in the machine's instruction table (the overlap check
//! runs there), the reference handler is installed for the set, the state and
//! the generic hooks of `mkjit_runtime::ext` are set up, and the set's bit is
//! turned on in `machine.enabled`. Extensions that are not enabled stay out of
//! the table, so their encodings are illegal instructions.

use crate::common::{self, ThreadRegs, SHARED};
use crate::{Config, Extension};
use mkjit_runtime::csr::CsrDenied;
use mkjit_runtime::isa::decode::OverlapError;
use mkjit_runtime::isa::IsaSet;
use mkjit_runtime::machine::Machine;

/// Every extension, in registration order. Adding an extension = one line here.
pub fn all() -> &'static [&'static dyn Extension] {
    &[
        &crate::xgate::Xgate,
        &crate::xamsg::Xamsg,
        &crate::xline::Xline,
        &crate::xctx::Xctx,
        &crate::xuirq::Xuirq,
        &crate::xcap::Xcap,
    ]
}

/// The extension called `name` (case-insensitive, `Xgate` or `xgate`).
pub fn by_name(name: &str) -> Option<&'static dyn Extension> {
    all().iter().copied().find(|e| e.name().eq_ignore_ascii_case(name))
}

/// Errors enabling extensions.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ExtError {
    /// No such extension.
    #[error("unknown extension `{0}` (known: {known})", known = all().iter().map(|e| e.name()).collect::<Vec<_>>().join(", "))]
    Unknown(String),
    /// A parameter the extension does not have, or a malformed one.
    #[error("extension `{ext}`: bad parameter `{param}` (parameters: {known})")]
    BadParam {
        /// Extension.
        ext: &'static str,
        /// The offending text.
        param: String,
        /// What it accepts.
        known: String,
    },
    /// A value out of range.
    #[error("extension `{ext}`: `{key}` must be in {min}..={max}, got {value}")]
    Range {
        /// Extension.
        ext: &'static str,
        /// Key.
        key: &'static str,
        /// Given value.
        value: u64,
        /// Minimum.
        min: u64,
        /// Maximum.
        max: u64,
    },
    /// The rows collide with rows already in the table.
    #[error(transparent)]
    Overlap(#[from] OverlapError),
    /// Enabled twice on one machine.
    #[error("extension `{0}` is already enabled")]
    Twice(&'static str),
}

/// Parses `name[:key=value]*` items separated by commas; dependencies are added
/// (before their dependents) with default parameters.
pub fn parse(spec: &str) -> Result<Vec<(&'static dyn Extension, Config)>, ExtError> {
    let mut out: Vec<(&'static dyn Extension, Config)> = Vec::new();
    for item in spec.split(',').map(str::trim).filter(|s| !s.is_empty()) {
        let mut parts = item.split(':');
        let name = parts.next().unwrap_or_default();
        let ext = by_name(name).ok_or_else(|| ExtError::Unknown(name.to_string()))?;
        let mut cfg = default_config(ext);
        for p in parts {
            let known = || ext.params().iter().map(|p| p.name).collect::<Vec<_>>().join(", ");
            let bad = || ExtError::BadParam { ext: ext.name(), param: p.to_string(), known: known() };
            let (k, v) = p.split_once('=').ok_or_else(bad)?;
            let param = ext.params().iter().find(|q| q.name == k).ok_or_else(bad)?;
            let value: u64 = v.parse().map_err(|_| bad())?;
            if value < param.min || value > param.max {
                return Err(ExtError::Range {
                    ext: ext.name(),
                    key: param.name,
                    value,
                    min: param.min,
                    max: param.max,
                });
            }
            cfg.values.iter_mut().find(|(k2, _)| *k2 == param.name).expect("declared").1 = value;
        }
        for dep in ext.requires() {
            let d = by_name(dep).expect("dependencies name registered extensions");
            if !out.iter().any(|(e, _)| e.set() == d.set()) {
                out.push((d, default_config(d)));
            }
        }
        match out.iter_mut().find(|(e, _)| e.set() == ext.set()) {
            Some(slot) => slot.1 = cfg,
            None => out.push((ext, cfg)),
        }
    }
    Ok(out)
}

/// Every parameter of `ext` at its default.
pub fn default_config(ext: &dyn Extension) -> Config {
    Config { values: ext.params().iter().map(|p| (p.name, p.default)).collect() }
}

/// Enables the extensions of `spec` (see [`parse`]) on `m`; returns the names enabled.
pub fn enable(m: &mut Machine, spec: &str) -> Result<Vec<&'static str>, ExtError> {
    let list = parse(spec)?;
    for (ext, cfg) in &list {
        enable_one(m, *ext, cfg)?;
    }
    Ok(list.iter().map(|(e, _)| e.name()).collect())
}

/// Enables one extension with configuration `cfg` (its dependencies must already be enabled).
pub fn enable_one(m: &mut Machine, ext: &'static dyn Extension, cfg: &Config) -> Result<(), ExtError> {
    let set = ext.set();
    assert_ne!(set, SHARED, "set 0 holds the shared registers");
    if common::enabled(m, set) {
        return Err(ExtError::Twice(ext.name()));
    }
    for dep in ext.requires() {
        let d = by_name(dep).expect("dependencies name registered extensions");
        if !common::enabled(m, d.set()) {
            enable_one(m, d, &default_config(d))?;
        }
    }
    m.isa.register(ext.rows())?;
    m.set_custom_handler(set, ext.handler());
    if m.ext.state::<ThreadRegs>(SHARED).is_none() {
        m.ext.set_state(SHARED, Box::new(ThreadRegs::default()));
    }
    install_state(m, ext, cfg);
    m.enabled = m.enabled.with(IsaSet::Custom(set));
    for &(c, name) in ext.causes() {
        m.ext.medeleg_mask |= 1 << c;
        m.ext.cause_names.push((c, name));
    }
    m.ext.csr_read = Some(csr_read);
    m.ext.csr_write = Some(csr_write);
    m.ext.stats = Some(stats);
    if let Some(h) = ext.translate_hook() {
        m.ext.translate = Some(h);
    }
    if let Some(h) = ext.interrupt_hooks() {
        m.ext.interrupt = Some(h);
    }
    if let Some(fp) = ext.fast_path() {
        mkjit_translator::fastpath::register(m, set, fp);
    }
    Ok(())
}

fn install_state(m: &mut Machine, ext: &dyn Extension, cfg: &Config) {
    let state = ext.new_state(m, cfg);
    m.ext.set_state(ext.set(), state);
}

/// Resets the hardware state of every enabled extension (and the shared
/// registers) to its power-on value, keeping configurations.
pub fn reset(m: &mut Machine) {
    m.ext.set_state(SHARED, Box::new(ThreadRegs::default()));
    for ext in all() {
        if common::enabled(m, ext.set()) {
            let cfg = ext.config(m);
            install_state(m, *ext, &cfg);
        }
    }
}

/// The enabled extensions of `m`.
pub fn enabled(m: &Machine) -> Vec<&'static dyn Extension> {
    all().iter().copied().filter(|e| common::enabled(m, e.set())).collect()
}

fn csr_read(m: &mut Machine, n: u16) -> Option<Result<u64, CsrDenied>> {
    for e in all() {
        if common::enabled(m, e.set()) {
            if let Some(r) = e.csr_read(m, n) {
                return Some(r);
            }
        }
    }
    None
}

fn csr_write(m: &mut Machine, n: u16, v: u64) -> Option<Result<(), CsrDenied>> {
    for e in all() {
        if common::enabled(m, e.set()) {
            if let Some(r) = e.csr_write(m, n, v) {
                return Some(r);
            }
        }
    }
    None
}

/// `--stats` lines of every enabled extension: `<event> <count>` for each event,
/// the extension's gauges, and `<ext>.modeled_cycles`.
pub fn stats(m: &Machine) -> Vec<(String, u64)> {
    let mut out = Vec::new();
    for e in enabled(m) {
        let counts = e.counts(m);
        let mut cycles = 0u64;
        for (ev, &n) in e.events().iter().zip(counts) {
            out.push((ev.name.to_string(), n));
            cycles += n * m.cfg.cost_model.event(ev.name);
        }
        out.extend(e.gauges(m));
        out.push((format!("{}.modeled_cycles", e.name()), cycles));
    }
    out
}
