//! Cranelift translator for mkjit: compiles hot regions of RV64 guest code to host code.
//!
//! ```text
//!   engine (Jit: tiers, dispatcher, code cache keyed by pa + mode)
//!     │ hot block start
//!     ▼
//!   region (discover blocks in one page) ──► lower (Cranelift IR, inline TLB)
//!                                              │ machine code, no relocations
//!                                              ▼
//!                                            arena (W^X code cache)
//!   helpers: extern "C" slow paths and reference handlers, called by address
//! ```
//!
//! The interpreter in `mkjit_runtime::interp` is the semantics; the JIT must
//! agree with it instruction for instruction and trap for trap.

pub mod arena;
pub mod engine;
pub mod helpers;
pub mod lower;
pub mod region;

pub use engine::{Jit, JitConfig, JitError, JitStats};
