//! Cranelift translator for mkjit: compiles hot regions of RV64 guest code to host code.
