//! SiFive CLINT (core-local interruptor) for one hart, as on QEMU's `virt` board.
//!
//! Registers, as offsets into the [`super::CLINT_SIZE`] window:
//! - `msip` at `0x0000`: bit 0 drives `mip.MSIP`; the other bits read as zero.
//! - `mtimecmp` at `0x4000`: 64-bit, reset to `u64::MAX`; `mip.MTIP` is high
//!   while `mtime >= mtimecmp` (level, re-evaluated at every query).
//! - `mtime` at `0xbff8`: reads return `now + offset`; a write sets `offset`
//!   so that later reads continue from the written value.
//!
//! Access sizes follow QEMU 7.2's ACLINT models: the software-interrupt half
//! (offsets below `0x4000`) accepts only aligned 4-byte accesses, anything else
//! is an access fault. The timer half (offsets `0x4000` and up) accepts 4- and
//! 8-byte accesses; `mtimecmp` and `mtime` can be accessed as a whole (8 bytes at
//! `+0`) or as 32-bit halves (4 bytes at `+0` / `+4`); other combinations read as
//! zero and are ignored on write, like QEMU. 1- and 2-byte accesses are faults.
//! Everything else in the window is a hole (reads 0, writes ignored).

/// Offset of the `msip` register of hart 0.
pub const MSIP: u64 = 0x0000;
/// Offset of `mtimecmp` of hart 0.
pub const MTIMECMP: u64 = 0x4000;
/// Offset of `mtime`.
pub const MTIME: u64 = 0xbff8;
/// First offset of the timer half of the window.
const TIMER_BASE: u64 = 0x4000;

/// CLINT state for a single hart.
#[derive(Clone, Debug)]
pub struct Clint {
    msip: bool,
    mtimecmp: u64,
    /// `mtime = now + offset` (wrapping).
    offset: u64,
}

impl Default for Clint {
    fn default() -> Self {
        Self::new()
    }
}

/// Which 64-bit register a timer access touches, and which part of it.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Part {
    Whole,
    Low,
    High,
}

impl Clint {
    /// A CLINT in its reset state.
    pub fn new() -> Self {
        Self { msip: false, mtimecmp: u64::MAX, offset: 0 }
    }

    /// Current `mtime` at machine time `now`.
    pub fn mtime(&self, now: u64) -> u64 {
        now.wrapping_add(self.offset)
    }

    /// Current `mtimecmp`.
    pub fn mtimecmp(&self) -> u64 {
        self.mtimecmp
    }

    /// Whether `mip.MSIP` is driven high.
    pub fn msip(&self) -> bool {
        self.msip
    }

    /// Whether `mip.MTIP` is driven high at `now`.
    pub fn mtip(&self, now: u64) -> bool {
        self.mtime(now) >= self.mtimecmp
    }

    /// The earliest `now` at which MTIP changes by itself, `u64::MAX` if never.
    ///
    /// Once `mtime >= mtimecmp`, MTIP stays high until software acts (an `mtime`
    /// wrap-around is not modeled as a deadline).
    pub fn next_deadline(&self, now: u64) -> u64 {
        let mtime = self.mtime(now);
        if mtime >= self.mtimecmp {
            return u64::MAX;
        }
        now.saturating_add(self.mtimecmp - mtime)
    }

    /// MMIO read at `offset`; `None` is an access fault.
    pub fn read(&mut self, offset: u64, size: u8, now: u64) -> Option<u64> {
        if offset < TIMER_BASE {
            check_swi_access(offset, size)?;
            return Some(if offset == MSIP { u64::from(self.msip) } else { 0 });
        }
        check_timer_size(size)?;
        let (reg, part) = match timer_register(offset, size) {
            Some(x) => x,
            None => return Some(0),
        };
        let value = if reg == MTIMECMP { self.mtimecmp } else { self.mtime(now) };
        Some(extract(value, part))
    }

    /// MMIO write at `offset`; `false` is an access fault.
    pub fn write(&mut self, offset: u64, size: u8, value: u64, now: u64) -> bool {
        if offset < TIMER_BASE {
            if check_swi_access(offset, size).is_none() {
                return false;
            }
            if offset == MSIP {
                self.msip = value & 1 != 0;
            }
            return true;
        }
        if check_timer_size(size).is_none() {
            return false;
        }
        if let Some((reg, part)) = timer_register(offset, size) {
            if reg == MTIMECMP {
                self.mtimecmp = insert(self.mtimecmp, part, value);
            } else {
                let mtime = insert(self.mtime(now), part, value);
                self.offset = mtime.wrapping_sub(now);
            }
        }
        true
    }
}

/// The software-interrupt half takes aligned 4-byte accesses only.
fn check_swi_access(offset: u64, size: u8) -> Option<()> {
    (size == 4 && offset.is_multiple_of(4)).then_some(())
}

/// The timer half takes 4- and 8-byte accesses.
fn check_timer_size(size: u8) -> Option<()> {
    matches!(size, 4 | 8).then_some(())
}

/// The register (`MTIMECMP` or `MTIME`) and part an access refers to, if any.
fn timer_register(offset: u64, size: u8) -> Option<(u64, Part)> {
    [MTIMECMP, MTIME].into_iter().find_map(|reg| {
        let part = match (offset.checked_sub(reg)?, size) {
            (0, 8) => Part::Whole,
            (0, 4) => Part::Low,
            (4, 4) => Part::High,
            _ => return None,
        };
        Some((reg, part))
    })
}

fn extract(value: u64, part: Part) -> u64 {
    match part {
        Part::Whole => value,
        Part::Low => value & 0xffff_ffff,
        Part::High => value >> 32,
    }
}

fn insert(old: u64, part: Part, value: u64) -> u64 {
    match part {
        Part::Whole => value,
        Part::Low => (old & !0xffff_ffff) | (value & 0xffff_ffff),
        Part::High => (old & 0xffff_ffff) | (value << 32),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reset_state() {
        let mut c = Clint::new();
        assert_eq!(c.read(MTIMECMP, 8, 0), Some(u64::MAX));
        assert_eq!(c.read(MSIP, 4, 0), Some(0));
        assert_eq!(c.read(MTIME, 8, 1234), Some(1234));
        assert!(!c.mtip(1 << 60));
        assert!(!c.msip());
    }

    #[test]
    fn msip_bit0_only() {
        let mut c = Clint::new();
        assert!(c.write(MSIP, 4, 0xffff_fffe, 0));
        assert!(!c.msip());
        assert!(c.write(MSIP, 4, 3, 0));
        assert!(c.msip());
        assert_eq!(c.read(MSIP, 4, 0), Some(1));
        assert!(c.write(MSIP, 4, 0, 0));
        assert!(!c.msip());
    }

    #[test]
    fn msip_rejects_other_sizes() {
        let mut c = Clint::new();
        assert_eq!(c.read(MSIP, 8, 0), None);
        assert_eq!(c.read(MSIP, 1, 0), None);
        assert_eq!(c.read(MSIP + 2, 4, 0), None);
        assert!(!c.write(MSIP, 2, 1, 0));
        assert!(!c.msip());
        // Hole in the software-interrupt half (hart 1's msip).
        assert_eq!(c.read(4, 4, 0), Some(0));
        assert!(c.write(4, 4, 1, 0));
        assert!(!c.msip());
    }

    #[test]
    fn timer_compare_is_level() {
        let mut c = Clint::new();
        assert!(c.write(MTIMECMP, 8, 100, 0));
        assert!(!c.mtip(99));
        assert!(c.mtip(100));
        assert!(c.mtip(5000));
        assert_eq!(c.next_deadline(40), 100);
        assert_eq!(c.next_deadline(100), u64::MAX);
        // Moving mtimecmp into the future drops the line.
        assert!(c.write(MTIMECMP, 8, 10_000, 5000));
        assert!(!c.mtip(5000));
        assert_eq!(c.next_deadline(5000), 10_000);
    }

    #[test]
    fn mtimecmp_halves() {
        let mut c = Clint::new();
        assert!(c.write(MTIMECMP, 4, 0x1111_2222, 0));
        assert_eq!(c.mtimecmp(), 0xffff_ffff_1111_2222);
        assert!(c.write(MTIMECMP + 4, 4, 0x3333_4444, 0));
        assert_eq!(c.mtimecmp(), 0x3333_4444_1111_2222);
        assert_eq!(c.read(MTIMECMP, 4, 0), Some(0x1111_2222));
        assert_eq!(c.read(MTIMECMP + 4, 4, 0), Some(0x3333_4444));
        // Unsupported combinations: zero / ignored, sub-word sizes fault.
        assert_eq!(c.read(MTIMECMP + 4, 8, 0), Some(0));
        assert!(c.write(MTIMECMP + 2, 4, 0, 0));
        assert_eq!(c.mtimecmp(), 0x3333_4444_1111_2222);
        assert_eq!(c.read(MTIMECMP, 2, 0), None);
        assert!(!c.write(MTIMECMP, 1, 0, 0));
    }

    #[test]
    fn mtime_write_sets_offset() {
        let mut c = Clint::new();
        assert!(c.write(MTIME, 8, 1_000_000, 50));
        assert_eq!(c.read(MTIME, 8, 50), Some(1_000_000));
        assert_eq!(c.read(MTIME, 8, 60), Some(1_000_010));
        // Writing an earlier value makes time go back (offset wraps).
        assert!(c.write(MTIME, 8, 5, 100));
        assert_eq!(c.mtime(100), 5);
        assert_eq!(c.mtime(110), 15);
        // Timer comparison uses the offset time.
        assert!(c.write(MTIMECMP, 8, 20, 110));
        assert!(!c.mtip(114));
        assert!(c.mtip(115));
        assert_eq!(c.next_deadline(110), 115);
    }

    #[test]
    fn mtime_halves() {
        let mut c = Clint::new();
        assert!(c.write(MTIME + 4, 4, 0x1, 0));
        assert_eq!(c.mtime(0), 0x1_0000_0000);
        assert!(c.write(MTIME, 4, 0x10, 7));
        assert_eq!(c.mtime(7), 0x1_0000_0010);
        assert_eq!(c.read(MTIME + 4, 4, 7), Some(1));
        assert_eq!(c.read(MTIME, 4, 8), Some(0x11));
    }

    #[test]
    fn timer_half_holes() {
        let mut c = Clint::new();
        assert_eq!(c.read(0x4008, 8, 0), Some(0));
        assert!(c.write(0x4008, 8, 5, 0));
        assert_eq!(c.read(0xbff0, 4, 0), Some(0));
    }

    #[test]
    fn deadline_saturates() {
        let mut c = Clint::new();
        assert!(c.write(MTIME, 8, 0, u64::MAX - 10));
        assert!(c.write(MTIMECMP, 8, 100, u64::MAX - 10));
        assert_eq!(c.next_deadline(u64::MAX - 10), u64::MAX);
    }
}
