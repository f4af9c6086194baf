//! Counters reported by `--stats`.

use crate::trap::cause_name;
use std::fmt::Write;

/// Machine-level counters (engines report their own through [`crate::machine::Engine::stats`]).
#[derive(Clone, Debug, Default)]
pub struct Stats {
    /// Exceptions taken, by cause code (0..=15).
    pub exceptions: [u64; 16],
    /// Interrupts taken, by interrupt number (0..=15).
    pub interrupts: [u64; 16],
    /// Soft-TLB fills (page walks or identity fills).
    pub tlb_fills: u64,
    /// Modeled D-TLB misses (see [`crate::cost`]).
    pub dtlb_misses: u64,
    /// Pages whose translations were dropped because code was written.
    pub code_invalidations: u64,
}

impl Stats {
    /// Records a trap.
    pub fn trap(&mut self, cause: u64) {
        let code = (cause & 0xf) as usize;
        if cause & crate::trap::cause::INTERRUPT != 0 {
            self.interrupts[code] += 1;
        } else if cause < 16 {
            self.exceptions[code] += 1;
        }
    }

    /// A report, one `name value` pair per line.
    pub fn report(&self, instret: u64, clock: u64, engine: &[(String, u64)]) -> String {
        let mut s = String::new();
        let _ = writeln!(s, "instructions retired   {instret}");
        let _ = writeln!(s, "clock slots            {clock}");
        for (i, &n) in self.exceptions.iter().enumerate() {
            if n > 0 {
                let _ = writeln!(s, "exception {:<2}           {n:<12} {}", i, cause_name(i as u64));
            }
        }
        for (i, &n) in self.interrupts.iter().enumerate() {
            if n > 0 {
                let c = crate::trap::cause::INTERRUPT | i as u64;
                let _ = writeln!(s, "interrupt {:<2}           {n:<12} {}", i, cause_name(c));
            }
        }
        let _ = writeln!(s, "tlb fills              {}", self.tlb_fills);
        let _ = writeln!(s, "modeled dtlb misses    {}", self.dtlb_misses);
        let _ = writeln!(s, "code invalidations     {}", self.code_invalidations);
        for (k, v) in engine {
            let _ = writeln!(s, "{k:<22} {v}");
        }
        s
    }
}
