//! mkjit benchmark suite: cost model, latency histograms, reports and regression checks.
