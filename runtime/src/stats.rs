//! Counters reported by `--stats`.

use crate::trap::cause_name;
use std::fmt::Write;

/// Machine-level counters (engines report their own through [`crate::machine::Engine::stats`]).
#[derive(Clone, Debug)]
pub struct Stats {
    /// Exceptions taken, by cause code (0..=63; 16 and up are extension-defined causes).
    pub exceptions: [u64; 64],
    /// Interrupts taken, by interrupt number (0..=15).
    pub interrupts: [u64; 16],
    /// Soft-TLB fills (page walks or identity fills).
    pub tlb_fills: u64,
    /// Modeled D-TLB misses (see [`crate::cost`]).
    pub dtlb_misses: u64,
    /// Pages whose translations were dropped because code was written.
    pub code_invalidations: u64,
}

impl Default for Stats {
    fn default() -> Self {
        Stats { exceptions: [0; 64], interrupts: [0; 16], tlb_fills: 0, dtlb_misses: 0, code_invalidations: 0 }
    }
}

impl Stats {
    /// Records a trap.
    pub fn trap(&mut self, cause: u64) {
        if cause & crate::trap::cause::INTERRUPT != 0 {
            self.interrupts[(cause & 0xf) as usize] += 1;
        } else if cause < 64 {
            self.exceptions[cause as usize] += 1;
        }
    }

    /// A report, one `name value` pair per line.
    pub fn report(&self, instret: u64, clock: u64, engine: &[(String, u64)]) -> String {
        self.report_with_names(instret, clock, engine, &[])
    }

    /// As [`Self::report`], naming extension-defined causes from `names`.
    pub fn report_with_names(
        &self,
        instret: u64,
        clock: u64,
        engine: &[(String, u64)],
        names: &[(u64, &'static str)],
    ) -> String {
        let mut s = String::new();
        let _ = writeln!(s, "instructions retired   {instret}");
        let _ = writeln!(s, "clock slots            {clock}");
        for (i, &n) in self.exceptions.iter().enumerate() {
            if n > 0 {
                let name = names.iter().find(|(c, _)| *c == i as u64).map_or(cause_name(i as u64), |(_, n)| *n);
                let _ = writeln!(s, "exception {:<2}           {n:<12} {}", i, name);
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
