//! The guest instruction set, described once.
//!
//! [`table`] is the single source of truth: every encoding (standard and,
//! through [`IsaTable::register`], custom) is one row giving its mnemonic,
//! bit pattern, operand [`Format`] and semantic [`Op`]. The decoder
//! ([`decode`]), the disassembler ([`disasm`]), the encoder used by tests to
//! build guest code ([`encode`]) and the overlap check are all derived from
//! those rows.

pub mod decode;
pub mod disasm;
pub mod encode;
pub mod format;
pub mod op;
pub mod pattern;
pub mod random;
pub mod reg;
pub mod table;

pub use decode::{Insn, IsaTable};
pub use format::{Fields, Format};
pub use op::Op;
pub use table::{InsnDef, IsaSet, RegEffects};
