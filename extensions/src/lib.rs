//! Co-design ISA extensions for mkjit; see `SPEC.md`.
