//! mkjit's machine: everything an execution engine needs except the code generator.
//!
//! ```text
//!   isa (declarative table) ──► decoder / disassembler / encoder
//!            │
//!   hart (architectural state) ◄── csr, trap, mmu (Sv39/Sv48 + soft TLB)
//!            │
//!   bus ──► ram, devices (CLINT, PLIC, UART, finisher), HTIF
//!            │
//!   interp (reference semantics)      machine (board, boot, run loop)
//! ```
//!
//! The translator crate builds on these pieces and is checked against
//! [`interp`], which is the semantics.

pub mod benchdev;
pub mod bus;
pub mod config;
pub mod console;
pub mod cost;
pub mod csr;
pub mod devices;
pub mod elfgen;
pub mod ext;
pub mod fdt;
pub mod hart;
pub mod htif;
pub mod interp;
pub mod isa;
pub mod loader;
pub mod machine;
pub mod mmu;
pub mod ram;
pub mod stats;
pub mod trace;
pub mod trap;
