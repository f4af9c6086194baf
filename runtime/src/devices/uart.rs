//! NS16550A UART (QEMU `virt`'s UART0), with instant transmission and a
//! 16-byte receive FIFO filled from a [`Console`].
//!
//! Registers (offsets 0..=7, register shift 0): RBR/THR (DLL when LCR.DLAB),
//! IER (DLM when DLAB), IIR (read) / FCR (write), LCR, MCR, LSR, MSR, SCR.
//! As in QEMU, every access size is accepted and acts on the register at the
//! access's offset, on its low byte; offsets 8 and up of the window are holes.
//!
//! Behaviour:
//! - a THR write sends the byte to the console at once (to the receive FIFO
//!   in loopback mode, MCR bit 4), so LSR.THRE and LSR.TEMT are always set;
//! - [`Uart::poll`] moves console input into the FIFO until it holds 16 bytes,
//!   leaving the rest in the console;
//! - the interrupt line is high when `(IER.ERBFI && LSR.DR) || (IER.ETBEI &&
//!   thr_ipending)`. `thr_ipending` is set by a THR write (the byte leaves
//!   instantly) and by an IER write that turns ETBEI on; reading IIR while it
//!   reports the THRE interrupt clears it, as on a real 16550;
//! - IIR reports receive-data-available (`0x04`) above THRE (`0x02`), with
//!   bits 7:6 set when the FIFOs are enabled. The character-timeout variant
//!   and modem-status interrupts are not modeled (no modem-status deltas).
//! - MSR reads `DCD|DSR|CTS` (QEMU's default with no modem), or the MCR
//!   outputs in loopback mode. LSR.OE is set when a loopback byte finds the
//!   FIFO full and cleared by reading LSR.

use crate::console::Console;
use std::collections::VecDeque;

/// Depth of the receive FIFO.
pub const FIFO_DEPTH: usize = 16;

const RBR_THR: u64 = 0;
const IER: u64 = 1;
const IIR_FCR: u64 = 2;
const LCR: u64 = 3;
const MCR: u64 = 4;
const LSR: u64 = 5;
const MSR: u64 = 6;
const SCR: u64 = 7;

const IER_ERBFI: u8 = 0x01;
const IER_ETBEI: u8 = 0x02;
const IIR_NO_INT: u8 = 0x01;
const IIR_THRI: u8 = 0x02;
const IIR_RDI: u8 = 0x04;
const IIR_FIFO_ENABLED: u8 = 0xc0;
const FCR_ENABLE: u8 = 0x01;
const FCR_CLEAR_RX: u8 = 0x02;
const LCR_DLAB: u8 = 0x80;
const MCR_LOOP: u8 = 0x10;
const LSR_DR: u8 = 0x01;
const LSR_OE: u8 = 0x02;
const LSR_THRE: u8 = 0x20;
const LSR_TEMT: u8 = 0x40;
const MSR_NO_MODEM: u8 = 0xb0; // DCD | DSR | CTS

/// UART state and its console.
pub struct Uart {
    console: Box<dyn Console>,
    rx: VecDeque<u8>,
    ier: u8,
    fcr: u8,
    lcr: u8,
    mcr: u8,
    scr: u8,
    divisor: u16,
    overrun: bool,
    thr_ipending: bool,
}

impl std::fmt::Debug for Uart {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Uart")
            .field("rx", &self.rx)
            .field("ier", &self.ier)
            .field("lcr", &self.lcr)
            .field("mcr", &self.mcr)
            .field("thr_ipending", &self.thr_ipending)
            .finish_non_exhaustive()
    }
}

impl Uart {
    /// A UART in its reset state attached to `console`.
    pub fn new(console: Box<dyn Console>) -> Self {
        Self {
            console,
            rx: VecDeque::with_capacity(FIFO_DEPTH),
            ier: 0,
            fcr: 0,
            lcr: 0,
            mcr: 0x08, // OUT2, as QEMU resets it
            scr: 0,
            divisor: 0,
            overrun: false,
            thr_ipending: false,
        }
    }

    /// Level of the interrupt line (PLIC source [`super::UART0_IRQ`]).
    pub fn irq_line(&self) -> bool {
        self.iir_cause() != IIR_NO_INT
    }

    /// Pulls console input into the receive FIFO until it is full.
    pub fn poll(&mut self) {
        while self.rx.len() < FIFO_DEPTH {
            match self.console.read() {
                Some(byte) => self.rx.push_back(byte),
                None => break,
            }
        }
    }

    /// Bytes waiting in the receive FIFO.
    pub fn rx_len(&self) -> usize {
        self.rx.len()
    }

    /// MMIO read of the register at `offset`; never faults.
    pub fn read(&mut self, offset: u64) -> u64 {
        u64::from(match offset {
            RBR_THR if self.dlab() => self.divisor as u8,
            RBR_THR => self.rx.pop_front().unwrap_or(0),
            IER if self.dlab() => (self.divisor >> 8) as u8,
            IER => self.ier,
            IIR_FCR => self.read_iir(),
            LCR => self.lcr,
            MCR => self.mcr,
            LSR => self.read_lsr(),
            MSR => self.msr(),
            SCR => self.scr,
            _ => 0,
        })
    }

    /// MMIO write of the low byte of `value` to the register at `offset`; never faults.
    pub fn write(&mut self, offset: u64, value: u64) {
        let byte = value as u8;
        match offset {
            RBR_THR if self.dlab() => self.divisor = (self.divisor & 0xff00) | u16::from(byte),
            RBR_THR => self.transmit(byte),
            IER if self.dlab() => self.divisor = (self.divisor & 0x00ff) | (u16::from(byte) << 8),
            IER => self.write_ier(byte),
            IIR_FCR => self.write_fcr(byte),
            LCR => self.lcr = byte,
            MCR => self.mcr = byte & 0x1f,
            SCR => self.scr = byte,
            _ => {} // LSR and MSR are read-only
        }
    }

    fn dlab(&self) -> bool {
        self.lcr & LCR_DLAB != 0
    }

    fn transmit(&mut self, byte: u8) {
        if self.mcr & MCR_LOOP != 0 {
            if self.rx.len() < FIFO_DEPTH {
                self.rx.push_back(byte);
            } else {
                self.overrun = true;
            }
        } else {
            self.console.write(&[byte]);
        }
        // The holding register empties immediately.
        self.thr_ipending = true;
    }

    fn write_ier(&mut self, byte: u8) {
        let old = self.ier;
        self.ier = byte & 0x0f;
        if old & IER_ETBEI == 0 && self.ier & IER_ETBEI != 0 {
            self.thr_ipending = true;
        }
    }

    fn write_fcr(&mut self, byte: u8) {
        if byte & FCR_CLEAR_RX != 0 {
            self.rx.clear();
            self.overrun = false;
        }
        self.fcr = byte & 0xc9; // enable, DMA mode and trigger level are kept
    }

    /// Interrupt identification without side effects (bits 3:0).
    fn iir_cause(&self) -> u8 {
        if self.ier & IER_ERBFI != 0 && !self.rx.is_empty() {
            IIR_RDI
        } else if self.ier & IER_ETBEI != 0 && self.thr_ipending {
            IIR_THRI
        } else {
            IIR_NO_INT
        }
    }

    fn read_iir(&mut self) -> u8 {
        let cause = self.iir_cause();
        if cause == IIR_THRI {
            self.thr_ipending = false;
        }
        let fifo = if self.fcr & FCR_ENABLE != 0 { IIR_FIFO_ENABLED } else { 0 };
        cause | fifo
    }

    fn read_lsr(&mut self) -> u8 {
        let mut lsr = LSR_THRE | LSR_TEMT;
        if !self.rx.is_empty() {
            lsr |= LSR_DR;
        }
        if self.overrun {
            lsr |= LSR_OE;
            self.overrun = false;
        }
        lsr
    }

    fn msr(&self) -> u8 {
        if self.mcr & MCR_LOOP == 0 {
            return MSR_NO_MODEM;
        }
        // Loopback: DTR -> DSR, RTS -> CTS, OUT1 -> RI, OUT2 -> DCD.
        let m = self.mcr;
        ((m & 0x01) << 5) | ((m & 0x02) << 3) | ((m & 0x04) << 4) | ((m & 0x08) << 4)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::console::BufferConsole;

    fn uart() -> (Uart, BufferConsole) {
        let console = BufferConsole::new();
        (Uart::new(Box::new(console.clone())), console)
    }

    #[test]
    fn transmit_goes_to_console() {
        let (mut u, c) = uart();
        for b in b"hi\n" {
            u.write(RBR_THR, u64::from(*b));
        }
        assert_eq!(c.output(), b"hi\n");
        assert_eq!(u.read(LSR) as u8 & (LSR_THRE | LSR_TEMT), LSR_THRE | LSR_TEMT);
        assert!(!u.irq_line(), "interrupts disabled");
    }

    #[test]
    fn receive_through_fifo() {
        let (mut u, c) = uart();
        assert_eq!(u.read(LSR) as u8 & LSR_DR, 0);
        c.push_input(b"ab");
        assert_eq!(u.read(LSR) as u8 & LSR_DR, 0, "nothing until polled");
        u.poll();
        assert_eq!(u.read(LSR) as u8 & LSR_DR, LSR_DR);
        assert_eq!(u.read(RBR_THR), u64::from(b'a'));
        assert_eq!(u.read(RBR_THR), u64::from(b'b'));
        assert_eq!(u.read(LSR) as u8 & LSR_DR, 0);
        assert_eq!(u.read(RBR_THR), 0);
    }

    #[test]
    fn fifo_does_not_overflow() {
        let (mut u, c) = uart();
        let input: Vec<u8> = (0..40).collect();
        c.push_input(&input);
        u.poll();
        assert_eq!(u.rx_len(), FIFO_DEPTH);
        let first: Vec<u8> = (0..FIFO_DEPTH).map(|_| u.read(RBR_THR) as u8).collect();
        assert_eq!(first, (0..16).collect::<Vec<u8>>());
        u.poll();
        assert_eq!(u.read(RBR_THR), 16, "the rest stayed in the console");
        assert_eq!(u.read(LSR) as u8 & LSR_OE, 0);
    }

    #[test]
    fn fcr_clears_rx_fifo() {
        let (mut u, c) = uart();
        c.push_input(b"xyz");
        u.poll();
        u.write(IIR_FCR, u64::from(FCR_ENABLE | FCR_CLEAR_RX));
        assert_eq!(u.rx_len(), 0);
        assert_eq!(u.read(IIR_FCR) as u8, IIR_FIFO_ENABLED | IIR_NO_INT);
    }

    #[test]
    fn rx_interrupt() {
        let (mut u, c) = uart();
        c.push_input(b"q");
        u.poll();
        assert!(!u.irq_line());
        u.write(IER, u64::from(IER_ERBFI));
        assert!(u.irq_line());
        assert_eq!(u.read(IIR_FCR) as u8, IIR_RDI);
        assert!(u.irq_line(), "reading IIR does not clear RDA");
        assert_eq!(u.read(RBR_THR), u64::from(b'q'));
        assert!(!u.irq_line());
        assert_eq!(u.read(IIR_FCR) as u8, IIR_NO_INT);
    }

    #[test]
    fn thre_interrupt_semantics() {
        let (mut u, _c) = uart();
        u.write(IER, u64::from(IER_ETBEI));
        assert!(u.irq_line(), "enabling ETBEI with THR empty raises THRE");
        assert_eq!(u.read(IIR_FCR) as u8, IIR_THRI);
        assert!(!u.irq_line(), "reading IIR clears the THRE interrupt");
        assert_eq!(u.read(IIR_FCR) as u8, IIR_NO_INT);
        u.write(RBR_THR, u64::from(b'x'));
        assert!(u.irq_line(), "a THR write re-arms it");
        assert_eq!(u.read(IIR_FCR) as u8, IIR_THRI);
        assert!(!u.irq_line());
        // Re-writing IER with ETBEI already set does not re-arm.
        u.write(IER, u64::from(IER_ETBEI));
        assert!(!u.irq_line());
        // Turning it off and on does.
        u.write(IER, 0);
        u.write(IER, u64::from(IER_ETBEI));
        assert!(u.irq_line());
    }

    #[test]
    fn rda_has_priority_over_thre() {
        let (mut u, c) = uart();
        c.push_input(b"z");
        u.poll();
        u.write(IER, u64::from(IER_ERBFI | IER_ETBEI));
        assert_eq!(u.read(IIR_FCR) as u8, IIR_RDI);
        u.read(RBR_THR);
        assert_eq!(u.read(IIR_FCR) as u8, IIR_THRI);
        assert_eq!(u.read(IIR_FCR) as u8, IIR_NO_INT);
    }

    #[test]
    fn dlab_selects_divisor() {
        let (mut u, c) = uart();
        u.write(IER, 0x05);
        u.write(LCR, u64::from(LCR_DLAB | 0x03));
        u.write(RBR_THR, 0x34);
        u.write(IER, 0x12);
        assert_eq!(u.read(RBR_THR), 0x34);
        assert_eq!(u.read(IER), 0x12);
        assert!(c.output().is_empty(), "divisor writes are not transmitted");
        u.write(LCR, 0x03);
        assert_eq!(u.read(IER), 0x05);
        assert_eq!(u.read(LCR), 0x03);
        assert_eq!(u.divisor, 0x1234);
    }

    #[test]
    fn scratch_mcr_msr() {
        let (mut u, _c) = uart();
        u.write(SCR, 0x1a5);
        assert_eq!(u.read(SCR), 0xa5);
        assert_eq!(u.read(MCR), 0x08);
        assert_eq!(u.read(MSR), u64::from(MSR_NO_MODEM));
        u.write(MCR, u64::from(MCR_LOOP | 0x03));
        assert_eq!(u.read(MSR), 0x30);
        u.write(LSR, 0);
        u.write(MSR, 0);
        assert_eq!(u.read(LSR) as u8, LSR_THRE | LSR_TEMT);
    }

    #[test]
    fn loopback() {
        let (mut u, c) = uart();
        u.write(MCR, u64::from(MCR_LOOP));
        for i in 0..17u64 {
            u.write(RBR_THR, i);
        }
        assert!(c.output().is_empty());
        assert_eq!(u.rx_len(), FIFO_DEPTH);
        assert_eq!(u.read(LSR) as u8 & LSR_OE, LSR_OE);
        assert_eq!(u.read(LSR) as u8 & LSR_OE, 0, "LSR read clears OE");
        assert_eq!(u.read(RBR_THR), 0);
    }

    #[test]
    fn holes_read_zero() {
        let (mut u, _c) = uart();
        assert_eq!(u.read(8), 0);
        u.write(0x20, 1);
    }
}
