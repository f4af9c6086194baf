//! SiFive test finisher (`sifive,test0`), QEMU `virt`'s power-off/reboot device.
//!
//! A write to offset 0 is decoded as `status = value & 0xffff`,
//! `code = (value >> 16) & 0xffff`: status `0x5555` requests
//! [`ExitRequest::Exit(0)`](super::ExitRequest::Exit), `0x3333` requests
//! `Exit(code)` and `0x7777` requests [`ExitRequest::Reset`];
//! other values and other offsets are ignored. Reads return 0. As in QEMU,
//! 2- and 4-byte accesses are valid; 1- and 8-byte accesses are access faults.
//! The first request is kept until it is taken.

use super::ExitRequest;

const FINISHER_FAIL: u64 = 0x3333;
const FINISHER_PASS: u64 = 0x5555;
const FINISHER_RESET: u64 = 0x7777;

/// What a guest writes to offset 0 to exit with `code` (0: pass).
pub fn exit_value(code: u16) -> u64 {
    match code {
        0 => FINISHER_PASS,
        c => (c as u64) << 16 | FINISHER_FAIL,
    }
}

/// Test finisher state: the pending request, if any.
#[derive(Clone, Debug, Default)]
pub struct Finisher {
    request: Option<ExitRequest>,
}

impl Finisher {
    /// A finisher with nothing requested.
    pub fn new() -> Self {
        Self::default()
    }

    /// MMIO read; `None` is an access fault.
    pub fn read(&mut self, _offset: u64, size: u8) -> Option<u64> {
        valid_size(size).then_some(0)
    }

    /// MMIO write; `false` is an access fault.
    pub fn write(&mut self, offset: u64, size: u8, value: u64) -> bool {
        if !valid_size(size) {
            return false;
        }
        if offset == 0 && self.request.is_none() {
            self.request = decode(value);
        }
        true
    }

    /// The pending request, taken.
    pub fn take_exit(&mut self) -> Option<ExitRequest> {
        self.request.take()
    }
}

fn valid_size(size: u8) -> bool {
    matches!(size, 2 | 4)
}

fn decode(value: u64) -> Option<ExitRequest> {
    let code = ((value >> 16) & 0xffff) as u32;
    match value & 0xffff {
        FINISHER_PASS => Some(ExitRequest::Exit(0)),
        FINISHER_FAIL => Some(ExitRequest::Exit(code)),
        FINISHER_RESET => Some(ExitRequest::Reset),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn written(value: u64) -> Option<ExitRequest> {
        let mut f = Finisher::new();
        assert!(f.write(0, 4, value));
        f.take_exit()
    }

    #[test]
    fn codes() {
        assert_eq!(written(0x5555), Some(ExitRequest::Exit(0)));
        assert_eq!(written(0x0001_5555), Some(ExitRequest::Exit(0)));
        assert_eq!(written(0x3333), Some(ExitRequest::Exit(0)));
        assert_eq!(written((42 << 16) | 0x3333), Some(ExitRequest::Exit(42)));
        assert_eq!(written(0xffff_3333), Some(ExitRequest::Exit(0xffff)));
        assert_eq!(written(0x7777), Some(ExitRequest::Reset));
        assert_eq!(written(0x1234), None);
        assert_eq!(written(0), None);
    }

    #[test]
    fn take_clears_and_first_request_wins() {
        let mut f = Finisher::new();
        assert!(f.write(0, 4, (3 << 16) | 0x3333));
        assert!(f.write(0, 4, 0x5555));
        assert_eq!(f.take_exit(), Some(ExitRequest::Exit(3)));
        assert_eq!(f.take_exit(), None);
    }

    #[test]
    fn sizes_and_offsets() {
        let mut f = Finisher::new();
        assert!(!f.write(0, 1, 0x55));
        assert!(!f.write(0, 8, 0x5555));
        assert_eq!(f.read(0, 1), None);
        assert_eq!(f.read(0, 4), Some(0));
        assert_eq!(f.read(0x10, 2), Some(0));
        assert!(f.write(4, 4, 0x5555), "other offsets are ignored");
        assert_eq!(f.take_exit(), None);
        assert!(f.write(0, 2, 0x7777));
        assert_eq!(f.take_exit(), Some(ExitRequest::Reset));
    }
}
