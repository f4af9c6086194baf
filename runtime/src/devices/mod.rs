//! Devices of QEMU's `virt` board: CLINT, PLIC, NS16550A UART and the test finisher.
//!
//! Interface contract used by [`crate::bus`] and [`crate::machine`]:
//! time is passed in as `now`, the current `mtime` value derived from retired
//! instructions, never from the host clock.
//!
//! [`Devices`] decodes a physical address to a device window (the `*_BASE` /
//! `*_SIZE` constants below, QEMU 7.2's memory map) and forwards the access
//! with the offset into the window. An access must lie wholly inside one
//! window, otherwise it is an access fault; inside a window, each device
//! documents which sizes it accepts and treats unmapped offsets as holes
//! (reads 0, writes ignored), like QEMU. Interrupt lines are levels computed
//! on demand from device state, so [`Devices::interrupt_bits`] is a pure
//! function of the state and `now`.
//!
//! Further MMIO devices (virtio-mmio, the paravirtual bench device) plug in
//! through the [`MmioDevice`] trait and [`Devices::add_device`]; their windows
//! and interrupt sources are reserved by the `VIRTIO_MMIO_*` and `BENCH_*`
//! constants.

pub mod clint;
pub mod finisher;
pub mod plic;
pub mod uart;

use clint::Clint;
use finisher::Finisher;
use plic::Plic;
use uart::Uart;

pub use crate::ram::RAM_BASE;

/// Base of the SiFive test finisher.
pub const FINISHER_BASE: u64 = 0x0010_0000;
/// Size of the test finisher window.
pub const FINISHER_SIZE: u64 = 0x1000;
/// Base of the CLINT.
pub const CLINT_BASE: u64 = 0x0200_0000;
/// Size of the CLINT window.
pub const CLINT_SIZE: u64 = 0x1_0000;
/// Base of the PLIC.
pub const PLIC_BASE: u64 = 0x0c00_0000;
/// Size of the PLIC window.
pub const PLIC_SIZE: u64 = 0x60_0000;
/// Number of PLIC interrupt sources (`riscv,ndev`).
pub const PLIC_NDEV: u32 = plic::NUM_SOURCES;
/// Base of UART0.
pub const UART0_BASE: u64 = 0x1000_0000;
/// Size of the UART0 window.
pub const UART0_SIZE: u64 = 0x100;
/// PLIC source of UART0.
pub const UART0_IRQ: u32 = 10;
/// UART0 input clock advertised in the device tree (QEMU's value, 3.6864 MHz).
pub const UART0_CLOCK_HZ: u32 = 0x38_4000;
/// Base of the first virtio-mmio transport (reserved, not implemented yet).
pub const VIRTIO_MMIO_BASE: u64 = 0x1000_1000;
/// Size of one virtio-mmio window.
pub const VIRTIO_MMIO_SIZE: u64 = 0x1000;
/// Number of virtio-mmio slots reserved (as on QEMU's `virt`).
pub const VIRTIO_MMIO_COUNT: u32 = 8;
/// PLIC source of virtio-mmio slot 0; slot `i` uses `VIRTIO_MMIO_IRQ_BASE + i`.
pub const VIRTIO_MMIO_IRQ_BASE: u32 = 1;
/// Base of the paravirtual bench device (reserved, implemented elsewhere).
pub const BENCH_BASE: u64 = 0x1011_0000;
/// Size of the bench device window.
pub const BENCH_SIZE: u64 = 0x1000;

/// `mip.MSIP`: machine software interrupt (CLINT `msip`).
pub const MIP_MSIP: u64 = 1 << 3;
/// `mip.MTIP`: machine timer interrupt (CLINT `mtime >= mtimecmp`).
pub const MIP_MTIP: u64 = 1 << 7;
/// `mip.SEIP`: supervisor external interrupt (PLIC context 1).
pub const MIP_SEIP: u64 = 1 << 9;
/// `mip.MEIP`: machine external interrupt (PLIC context 0).
pub const MIP_MEIP: u64 = 1 << 11;

/// Base of virtio-mmio slot `i` (`i < VIRTIO_MMIO_COUNT`).
pub const fn virtio_mmio_base(i: u32) -> u64 {
    VIRTIO_MMIO_BASE + VIRTIO_MMIO_SIZE * i as u64
}

/// PLIC source of virtio-mmio slot `i`.
pub const fn virtio_mmio_irq(i: u32) -> u32 {
    VIRTIO_MMIO_IRQ_BASE + i
}

/// Why the machine should stop, as requested by a device.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ExitRequest {
    /// The guest asked to power off with this exit code (0 = success).
    Exit(u32),
    /// The guest asked for a reset.
    Reset,
}

/// A memory-mapped device added to the board with [`Devices::add_device`].
///
/// Offsets are relative to the device's base; an access always lies wholly
/// inside the window it was registered with.
pub trait MmioDevice: Send {
    /// Reads `size` (1, 2, 4 or 8) bytes at `offset`; `None` is an access fault.
    fn read(&mut self, offset: u64, size: u8, now: u64) -> Option<u64>;
    /// Writes the low `size` bytes of `value` at `offset`; `false` is an access fault.
    fn write(&mut self, offset: u64, size: u8, value: u64, now: u64) -> bool;
    /// Level of the device's interrupt line at `now` (ignored without an IRQ).
    fn irq_line(&self, _now: u64) -> bool {
        false
    }
    /// Earliest `now` at which the line may change by itself, `u64::MAX` if never.
    fn next_deadline(&self, _now: u64) -> u64 {
        u64::MAX
    }
    /// Pulls host-side input at a deterministic point.
    fn poll(&mut self, _now: u64) {}
    /// A pending exit request, taken.
    fn take_exit(&mut self) -> Option<ExitRequest> {
        None
    }
}

/// Errors adding a device with [`Devices::add_device`].
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum DeviceError {
    /// The window is empty or wraps around the address space.
    #[error("device window at {base:#x} with size {size:#x} is empty or wraps around")]
    BadWindow {
        /// Requested base.
        base: u64,
        /// Requested size.
        size: u64,
    },
    /// The window overlaps another device or RAM.
    #[error("device window {base:#x}..{end:#x} overlaps {other} at {other_base:#x}..{other_end:#x}")]
    Overlap {
        /// Requested base.
        base: u64,
        /// Requested end (exclusive).
        end: u64,
        /// What it overlaps.
        other: &'static str,
        /// Start of the overlapped region.
        other_base: u64,
        /// End (exclusive) of the overlapped region.
        other_end: u64,
    },
    /// The interrupt source is out of range or already used.
    #[error("PLIC source {0} is out of range 1..={PLIC_NDEV} or already in use")]
    BadIrq(u32),
}

/// A device added at run time.
struct Slot {
    base: u64,
    size: u64,
    irq: Option<u32>,
    device: Box<dyn MmioDevice>,
}

/// Which device an address decodes to.
#[derive(Clone, Copy)]
enum Target {
    Finisher,
    Clint,
    Plic,
    Uart,
    Extra(usize),
}

/// The board's fixed device windows.
const BUILTIN: [(&str, u64, u64, Target); 4] = [
    ("the test finisher", FINISHER_BASE, FINISHER_SIZE, Target::Finisher),
    ("the CLINT", CLINT_BASE, CLINT_SIZE, Target::Clint),
    ("the PLIC", PLIC_BASE, PLIC_SIZE, Target::Plic),
    ("UART0", UART0_BASE, UART0_SIZE, Target::Uart),
];

/// The board's memory-mapped devices.
pub struct Devices {
    clint: Clint,
    plic: Plic,
    uart: Uart,
    finisher: Finisher,
    extra: Vec<Slot>,
    ram_size: u64,
}

impl Devices {
    /// Devices for `cfg`, with the UART attached to `console`.
    pub fn new(cfg: &crate::config::MachineConfig, console: Box<dyn crate::console::Console>) -> Self {
        Self {
            clint: Clint::new(),
            plic: Plic::new(),
            uart: Uart::new(console),
            finisher: Finisher::new(),
            extra: Vec::new(),
            ram_size: cfg.ram_size,
        }
    }

    /// Adds `device` at `[base, base + size)`, optionally wired to PLIC source `irq`.
    pub fn add_device(
        &mut self,
        base: u64,
        size: u64,
        irq: Option<u32>,
        device: Box<dyn MmioDevice>,
    ) -> Result<(), DeviceError> {
        let end = base.checked_add(size).filter(|_| size > 0).ok_or(DeviceError::BadWindow { base, size })?;
        self.check_overlap(base, end)?;
        if let Some(n) = irq {
            let used = n == UART0_IRQ || self.extra.iter().any(|s| s.irq == Some(n));
            if n == 0 || n > PLIC_NDEV || used {
                return Err(DeviceError::BadIrq(n));
            }
        }
        self.extra.push(Slot { base, size, irq, device });
        Ok(())
    }

    fn check_overlap(&self, base: u64, end: u64) -> Result<(), DeviceError> {
        let ram = ("RAM", RAM_BASE, self.ram_size);
        let builtin = BUILTIN.iter().map(|&(name, b, s, _)| (name, b, s));
        let extra = self.extra.iter().map(|s| ("another device", s.base, s.size));
        for (other, other_base, other_size) in builtin.chain(std::iter::once(ram)).chain(extra) {
            let other_end = other_base.saturating_add(other_size);
            if base < other_end && other_base < end {
                return Err(DeviceError::Overlap { base, end, other, other_base, other_end });
            }
        }
        Ok(())
    }

    /// The device and offset for an access of `size` bytes at `paddr`, if it
    /// lies wholly inside one window.
    fn decode(&self, paddr: u64, size: u8) -> Option<(Target, u64)> {
        if !matches!(size, 1 | 2 | 4 | 8) {
            return None;
        }
        let inside = |base: u64, len: u64| {
            let off = paddr.checked_sub(base)?;
            (off < len && len - off >= u64::from(size)).then_some(off)
        };
        for &(_, base, len, target) in &BUILTIN {
            if let Some(off) = inside(base, len) {
                return Some((target, off));
            }
        }
        self.extra.iter().enumerate().find_map(|(i, s)| Some((Target::Extra(i), inside(s.base, s.size)?)))
    }

    /// Sampled PLIC source lines at `now` (bit `n` = source `n`).
    fn lines(&self, now: u64) -> u128 {
        let mut lines = u128::from(self.uart.irq_line()) << UART0_IRQ;
        for slot in &self.extra {
            if let Some(n) = slot.irq {
                if slot.device.irq_line(now) {
                    lines |= 1u128 << n;
                }
            }
        }
        lines
    }

    /// MMIO read of `size` bytes at `paddr`; `None` is an access fault.
    pub fn read(&mut self, paddr: u64, size: u8, now: u64) -> Option<u64> {
        let (target, off) = self.decode(paddr, size)?;
        match target {
            Target::Finisher => self.finisher.read(off, size),
            Target::Clint => self.clint.read(off, size, now),
            Target::Plic => {
                let lines = self.lines(now);
                self.plic.read(off, size, lines)
            }
            Target::Uart => Some(self.uart.read(off)),
            Target::Extra(i) => self.extra.get_mut(i)?.device.read(off, size, now),
        }
    }

    /// MMIO write; `false` is an access fault.
    pub fn write(&mut self, paddr: u64, size: u8, value: u64, now: u64) -> bool {
        let Some((target, off)) = self.decode(paddr, size) else {
            return false;
        };
        match target {
            Target::Finisher => self.finisher.write(off, size, value),
            Target::Clint => self.clint.write(off, size, value, now),
            Target::Plic => self.plic.write(off, size, value),
            Target::Uart => {
                self.uart.write(off, value);
                true
            }
            Target::Extra(i) => self.extra.get_mut(i).is_some_and(|s| s.device.write(off, size, value, now)),
        }
    }

    /// `mip` bits driven by hardware at time `now` (MSIP, MTIP, SEIP, MEIP).
    pub fn interrupt_bits(&self, now: u64) -> u64 {
        let lines = self.lines(now);
        let mut bits = 0;
        if self.clint.msip() {
            bits |= MIP_MSIP;
        }
        if self.clint.mtip(now) {
            bits |= MIP_MTIP;
        }
        if self.plic.irq(plic::CONTEXT_S, lines) {
            bits |= MIP_SEIP;
        }
        if self.plic.irq(plic::CONTEXT_M, lines) {
            bits |= MIP_MEIP;
        }
        bits
    }

    /// The earliest `now` at which [`Self::interrupt_bits`] may change without a device access.
    pub fn next_deadline(&self, now: u64) -> u64 {
        self.extra.iter().map(|s| s.device.next_deadline(now)).fold(self.clint.next_deadline(now), u64::min)
    }

    /// Polls host input (UART receive) at a deterministic point.
    pub fn poll(&mut self, now: u64) {
        self.uart.poll();
        for slot in &mut self.extra {
            slot.device.poll(now);
        }
    }

    /// A pending exit request, taken.
    pub fn take_exit(&mut self) -> Option<ExitRequest> {
        self.finisher.take_exit().or_else(|| self.extra.iter_mut().find_map(|s| s.device.take_exit()))
    }

    /// Pending PLIC sources at `now` (bit `n` = source `n`: line high and not claimed).
    pub fn plic_pending(&self, now: u64) -> u128 {
        self.plic.pending(self.lines(now))
    }

    /// Claims PLIC source `src` at its gateway for an extension (see [`Plic::claim_source`]).
    pub fn plic_claim_source(&mut self, src: u32, now: u64) -> bool {
        let lines = self.lines(now);
        self.plic.claim_source(src, lines)
    }

    /// Completes a claim made with [`Self::plic_claim_source`].
    pub fn plic_complete_source(&mut self, src: u32) {
        self.plic.complete_source(src);
    }

    /// The CLINT (for inspection, e.g. by a debugger or tests).
    pub fn clint(&self) -> &Clint {
        &self.clint
    }

    /// The PLIC (for inspection).
    pub fn plic(&self) -> &Plic {
        &self.plic
    }

    /// UART0 (for inspection).
    pub fn uart(&self) -> &Uart {
        &self.uart
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::MachineConfig;
    use crate::console::BufferConsole;

    fn board() -> (Devices, BufferConsole) {
        let console = BufferConsole::new();
        (Devices::new(&MachineConfig::default(), Box::new(console.clone())), console)
    }

    const PLIC_ENABLE_M: u64 = PLIC_BASE + 0x2000;
    const PLIC_ENABLE_S: u64 = PLIC_BASE + 0x2080;
    const PLIC_CLAIM_M: u64 = PLIC_BASE + 0x20_0004;
    const PLIC_CLAIM_S: u64 = PLIC_BASE + 0x20_1004;

    #[test]
    fn outside_windows_fault() {
        let (mut d, _) = board();
        for addr in
            [0, FINISHER_BASE - 4, FINISHER_BASE + FINISHER_SIZE, 0x0300_0000, UART0_BASE + UART0_SIZE, RAM_BASE]
        {
            assert_eq!(d.read(addr, 4, 0), None, "{addr:#x}");
            assert!(!d.write(addr, 4, 0, 0), "{addr:#x}");
        }
        // Reserved but unpopulated slots fault too.
        assert_eq!(d.read(virtio_mmio_base(0), 4, 0), None);
        assert_eq!(d.read(BENCH_BASE, 4, 0), None);
        // Straddling the end of a window.
        assert_eq!(d.read(UART0_BASE + UART0_SIZE - 4, 8, 0), None);
        assert_eq!(d.read(u64::MAX - 3, 8, 0), None);
        assert_eq!(d.read(UART0_BASE, 3, 0), None);
    }

    #[test]
    fn holes_read_zero() {
        let (mut d, _) = board();
        assert_eq!(d.read(UART0_BASE + 0x40, 1, 0), Some(0));
        assert!(d.write(UART0_BASE + 0x40, 1, 0xff, 0));
        assert_eq!(d.read(CLINT_BASE + 0x8000, 8, 0), Some(0));
        assert_eq!(d.read(PLIC_BASE + 0x30_0000, 4, 0), Some(0));
        assert_eq!(d.read(FINISHER_BASE + 0x800, 4, 0), Some(0));
    }

    #[test]
    fn clint_through_bus() {
        let (mut d, _) = board();
        assert_eq!(d.interrupt_bits(0), 0);
        assert_eq!(d.next_deadline(0), u64::MAX);
        assert!(d.write(CLINT_BASE + clint::MTIMECMP, 8, 500, 0));
        assert_eq!(d.next_deadline(100), 500);
        assert_eq!(d.interrupt_bits(499), 0);
        assert_eq!(d.interrupt_bits(500), MIP_MTIP);
        assert!(d.write(CLINT_BASE, 4, 1, 0));
        assert_eq!(d.interrupt_bits(500), MIP_MTIP | MIP_MSIP);
        assert_eq!(d.read(CLINT_BASE + clint::MTIME, 8, 777), Some(777));
        assert_eq!(d.read(CLINT_BASE, 1, 0), None);
    }

    #[test]
    fn uart_tx_through_bus() {
        let (mut d, c) = board();
        for b in b"ok" {
            assert!(d.write(UART0_BASE, 1, u64::from(*b), 0));
        }
        assert_eq!(c.output(), b"ok");
        assert_eq!(d.read(UART0_BASE + 5, 1, 0), Some(0x60));
    }

    #[test]
    fn uart_rx_interrupt_reaches_both_contexts() {
        let (mut d, c) = board();
        assert!(d.write(PLIC_BASE + 4 * u64::from(UART0_IRQ), 4, 1, 0));
        assert!(d.write(PLIC_ENABLE_M, 4, 1 << UART0_IRQ, 0));
        assert!(d.write(PLIC_ENABLE_S, 4, 1 << UART0_IRQ, 0));
        assert!(d.write(UART0_BASE + 1, 1, 1, 0)); // IER.ERBFI
        assert_eq!(d.interrupt_bits(0), 0);
        c.push_input(b"k");
        assert_eq!(d.interrupt_bits(0), 0, "input arrives at poll");
        d.poll(0);
        assert_eq!(d.interrupt_bits(0), MIP_MEIP | MIP_SEIP);
        assert_eq!(d.read(PLIC_CLAIM_S, 4, 0), Some(u64::from(UART0_IRQ)));
        assert_eq!(d.interrupt_bits(0), 0, "claimed: gateway closed");
        assert_eq!(d.read(UART0_BASE, 1, 0), Some(u64::from(b'k')));
        assert!(d.write(PLIC_CLAIM_S, 4, u64::from(UART0_IRQ), 0));
        assert_eq!(d.interrupt_bits(0), 0, "line dropped after the byte was read");
        assert_eq!(d.read(PLIC_CLAIM_M, 4, 0), Some(0));
    }

    #[test]
    fn finisher_through_bus() {
        let (mut d, _) = board();
        assert_eq!(d.take_exit(), None);
        assert!(d.write(FINISHER_BASE, 4, (7 << 16) | 0x3333, 0));
        assert_eq!(d.take_exit(), Some(ExitRequest::Exit(7)));
        assert_eq!(d.take_exit(), None);
        assert!(!d.write(FINISHER_BASE, 1, 0x55, 0));
    }

    /// A device with one register whose write sets its interrupt line.
    struct Probe {
        line: bool,
        deadline: u64,
    }

    impl MmioDevice for Probe {
        fn read(&mut self, offset: u64, _size: u8, _now: u64) -> Option<u64> {
            Some(offset)
        }
        fn write(&mut self, _offset: u64, _size: u8, value: u64, _now: u64) -> bool {
            self.line = value != 0;
            true
        }
        fn irq_line(&self, _now: u64) -> bool {
            self.line
        }
        fn next_deadline(&self, _now: u64) -> u64 {
            self.deadline
        }
        fn take_exit(&mut self) -> Option<ExitRequest> {
            self.line.then_some(ExitRequest::Reset)
        }
    }

    fn probe() -> Box<dyn MmioDevice> {
        Box::new(Probe { line: false, deadline: 1234 })
    }

    #[test]
    fn extra_device_dispatch_and_irq() {
        let (mut d, _) = board();
        let irq = virtio_mmio_irq(0);
        d.add_device(virtio_mmio_base(0), VIRTIO_MMIO_SIZE, Some(irq), probe()).expect("add");
        assert_eq!(d.read(virtio_mmio_base(0) + 0x70, 4, 0), Some(0x70));
        assert_eq!(d.read(virtio_mmio_base(1), 4, 0), None);
        assert_eq!(d.next_deadline(0), 1234);
        assert!(d.write(PLIC_BASE + 4 * u64::from(irq), 4, 3, 0));
        assert!(d.write(PLIC_ENABLE_M, 4, 1 << irq, 0));
        assert_eq!(d.interrupt_bits(0), 0);
        assert!(d.write(virtio_mmio_base(0), 4, 1, 0));
        assert_eq!(d.interrupt_bits(0), MIP_MEIP);
        assert_eq!(d.read(PLIC_CLAIM_M, 4, 0), Some(u64::from(irq)));
        assert_eq!(d.take_exit(), Some(ExitRequest::Reset));
    }

    #[test]
    fn add_device_validation() {
        let (mut d, _) = board();
        assert_eq!(
            d.add_device(BENCH_BASE, 0, None, probe()),
            Err(DeviceError::BadWindow { base: BENCH_BASE, size: 0 })
        );
        assert!(matches!(d.add_device(u64::MAX, 2, None, probe()), Err(DeviceError::BadWindow { .. })));
        assert!(matches!(
            d.add_device(UART0_BASE + 0x80, 0x1000, None, probe()),
            Err(DeviceError::Overlap { other: "UART0", .. })
        ));
        assert!(matches!(
            d.add_device(RAM_BASE + 0x1000, 0x1000, None, probe()),
            Err(DeviceError::Overlap { other: "RAM", .. })
        ));
        assert_eq!(d.add_device(BENCH_BASE, BENCH_SIZE, Some(UART0_IRQ), probe()), Err(DeviceError::BadIrq(UART0_IRQ)));
        assert_eq!(d.add_device(BENCH_BASE, BENCH_SIZE, Some(96), probe()), Err(DeviceError::BadIrq(96)));
        assert_eq!(d.add_device(BENCH_BASE, BENCH_SIZE, Some(0), probe()), Err(DeviceError::BadIrq(0)));
        d.add_device(BENCH_BASE, BENCH_SIZE, Some(20), probe()).expect("add bench");
        assert!(matches!(
            d.add_device(BENCH_BASE + 0x800, 0x1000, None, probe()),
            Err(DeviceError::Overlap { other: "another device", .. })
        ));
        assert_eq!(
            d.add_device(virtio_mmio_base(0), VIRTIO_MMIO_SIZE, Some(20), probe()),
            Err(DeviceError::BadIrq(20))
        );
        let msg = DeviceError::Overlap { base: 1, end: 2, other: "RAM", other_base: 3, other_end: 4 }.to_string();
        assert_eq!(msg, "device window 0x1..0x2 overlaps RAM at 0x3..0x4");
    }
}
