//! Cranelift translator for mkjit: compiles hot regions of RV64 guest code to host code.
//!
//! ```text
//!   engine (Jit: dispatcher, code cache keyed by pa + mode, chain slots,
//!     │     jump cache, switch-target profile)
//!     │ hot block start
//!     ▼
//!   region (discover blocks on up to 4 pages) ──► lower (Cranelift IR: inline TLB
//!                                                 │ or direct RAM, tail-call chaining)
//!                                                 │ machine code, no relocations
//!                                                 ▼
//!                                               arena (W^X code cache)
//!   helpers: extern "C" reference handlers for system instructions, called by address
//!   fastpath: extensions' inline fast paths, registered per custom set (helper as fallback)
//! ```
//!
//! The interpreter in `mkjit_runtime::interp` is the semantics; the JIT must
//! agree with it instruction for instruction and trap for trap.

pub mod arena;
pub mod background;
pub mod engine;
pub mod helpers;
pub mod lower;
pub mod region;

pub use engine::{Jit, JitConfig, JitError, JitStats};
pub use lower::custom as fastpath;
pub use lower::Tier;
