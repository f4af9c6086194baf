//! The paravirtual bench device (`mkjit,bench-v1`): guests mark measured
//! regions and report samples through it, and mkjit records every sample on
//! the host side, so a workload does not have to print each one.
//!
//! Registers (64-bit, little-endian, 8-byte accesses) at [`BENCH_BASE`]:
//!
//! | offset | name | access | meaning |
//! |---|---|---|---|
//! | 0x00 | MAGIC | RO | `0x4d4b4a4942454e43` |
//! | 0x08 | VERSION | RO | 1 |
//! | 0x10 | SERIES | WO | selects the series (0..=255) later commands apply to |
//! | 0x18 | NAME | WO | guest-physical address of a NUL-terminated name (at most 63 bytes) for the selected series |
//! | 0x20 | BEGIN | WO | starts a measured region of the selected series at the current cycle count |
//! | 0x28 | END | WO | ends it: records `cycles now - cycles at BEGIN` as one sample |
//! | 0x30 | SAMPLE | WO | records the written value as one sample (cycles) |
//! | 0x38 | CYCLES | RO | the current cycle count |
//!
//! The device lives in the machine rather than on the device bus because it
//! reads guest RAM (series names) and the cycle counter. Other sizes or
//! offsets are access faults; END without BEGIN records nothing.

use crate::devices::{BENCH_BASE, BENCH_SIZE};

/// Value of the MAGIC register.
pub const MAGIC: u64 = 0x4d4b_4a49_4245_4e43;
/// Number of series.
pub const SERIES: usize = 256;

/// Samples of one series.
#[derive(Clone, Debug, Default)]
pub struct Series {
    /// Name given by the guest (empty until named).
    pub name: String,
    /// Samples, in cycles, in the order recorded.
    pub samples: Vec<u64>,
    begin: Option<u64>,
}

/// The device's state.
#[derive(Clone, Debug)]
pub struct BenchDevice {
    selected: usize,
    /// All series, indexed by number.
    pub series: Vec<Series>,
}

impl Default for BenchDevice {
    fn default() -> Self {
        Self { selected: 0, series: vec![Series::default(); SERIES] }
    }
}

impl BenchDevice {
    /// Whether `pa` is in the device window.
    #[inline]
    pub fn contains(pa: u64) -> bool {
        (BENCH_BASE..BENCH_BASE + BENCH_SIZE).contains(&pa)
    }

    /// Register read; `None` is an access fault.
    pub fn read(&self, pa: u64, size: u8, cycles: u64) -> Option<u64> {
        if size != 8 || !pa.is_multiple_of(8) {
            return None;
        }
        match pa - BENCH_BASE {
            0x00 => Some(MAGIC),
            0x08 => Some(1),
            0x38 => Some(cycles),
            0x10..=0x30 => Some(0),
            _ => None,
        }
    }

    /// Register write; `false` is an access fault. `name_at` reads a guest string.
    pub fn write(&mut self, pa: u64, size: u8, value: u64, cycles: u64, name_at: impl Fn(u64) -> String) -> bool {
        if size != 8 || !pa.is_multiple_of(8) {
            return false;
        }
        let s = &mut self.series[self.selected];
        match pa - BENCH_BASE {
            0x10 => self.selected = (value as usize) % SERIES,
            0x18 => s.name = name_at(value),
            0x20 => s.begin = Some(cycles),
            0x28 => {
                if let Some(b) = s.begin.take() {
                    s.samples.push(cycles.saturating_sub(b));
                }
            }
            0x30 => s.samples.push(value),
            0x00 | 0x08 | 0x38 => {}
            _ => return false,
        }
        true
    }

    /// Named or non-empty series, by number.
    pub fn recorded(&self) -> impl Iterator<Item = (usize, &Series)> {
        self.series.iter().enumerate().filter(|(_, s)| !s.samples.is_empty() || !s.name.is_empty())
    }
}

/// Reads a NUL-terminated string of at most 63 bytes at guest physical `pa`.
pub fn read_name(ram: &crate::ram::Ram, pa: u64) -> String {
    let mut out = Vec::new();
    for i in 0..63 {
        match ram.read(pa.wrapping_add(i), 1) {
            Some(0) | None => break,
            Some(b) => out.push(b as u8),
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn regions_and_samples_are_recorded_per_series() {
        let mut d = BenchDevice::default();
        assert_eq!(d.read(BENCH_BASE, 8, 0), Some(MAGIC));
        assert_eq!(d.read(BENCH_BASE + 0x38, 8, 1234), Some(1234));
        assert_eq!(d.read(BENCH_BASE, 4, 0), None);
        assert!(d.write(BENCH_BASE + 0x10, 8, 3, 0, |_| String::new()));
        assert!(d.write(BENCH_BASE + 0x18, 8, 0x8000_1000, 0, |a| format!("s{a:x}")));
        assert!(d.write(BENCH_BASE + 0x28, 8, 0, 50, |_| String::new()), "END without BEGIN is ignored");
        assert!(d.write(BENCH_BASE + 0x20, 8, 0, 100, |_| String::new()));
        assert!(d.write(BENCH_BASE + 0x28, 8, 0, 350, |_| String::new()));
        assert!(d.write(BENCH_BASE + 0x30, 8, 77, 400, |_| String::new()));
        assert!(!d.write(BENCH_BASE + 0x40, 8, 0, 0, |_| String::new()));
        let rec: Vec<_> = d.recorded().collect();
        assert_eq!(rec.len(), 1);
        assert_eq!(rec[0].0, 3);
        assert_eq!(rec[0].1.name, "s80001000");
        assert_eq!(rec[0].1.samples, vec![250, 77]);
    }
}
