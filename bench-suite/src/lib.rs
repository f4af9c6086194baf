//! mkjit's benchmark suite: runs the guest OS's workloads on the machine as a
//! matrix (workloads x images x engines x cost models), collects every
//! bench-device sample exactly, and writes versioned JSON results, HdrHistogram
//! `.hgrm` files, a Markdown summary and an HTML report; compares results for
//! the CI regression gate and merges shards.
//!
//! ```text
//!  suite ──► matrix of cells ──► runner (Machine + engine) ──► schema::Results ──► report (md, html, hgrm)
//!   │  (quick/default/full,        │  bench device samples          │      ▲
//!   │   --sweep, --shard)          │  CHECK/RESULT lines            │      └── merge (shards)
//!   └── images (stock, codesign)   └── QEMU side by side            └──────────► compare (gate)
//! ```
//!
//! Modeled numbers (cycles from the cost model, instruction counts) are
//! deterministic: two runs give byte-identical `modeled.json` files, and only
//! they gate. Host time is recorded, labelled, and never gated. See
//! `bench-suite/README.md` for the commands, the result format and measured
//! figures.

pub mod cli;
pub mod compare;
pub mod error;
pub mod guest;
pub mod hist;
pub mod merge;
pub mod qemu;
pub mod report;
pub mod runner;
pub mod schema;
pub mod suite;

pub use error::BenchError;
pub use runner::Host;

/// Version of mkjit (the workspace version), recorded in results.
pub const MKJIT_VERSION: &str = env!("CARGO_PKG_VERSION");
