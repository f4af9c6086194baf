//! Spike's host-target interface (HTIF) through the `tohost`/`fromhost` symbols.
//!
//! Used when the loaded ELF defines `tohost`, as the standard ISA test binaries
//! do. A write to `tohost` is decoded as `device[63:56] cmd[55:48] payload[47:0]`:
//!
//! * device 0, payload bit 0 set: exit with code `payload >> 1` (0 = pass);
//! * device 0, payload bit 0 clear: a proxied system call whose arguments are
//!   eight 64-bit words at physical address `payload`; only `write` (64) to
//!   fd 1 or 2 is served, anything else returns `-ENOSYS`;
//! * device 1, command 1: write the low byte of the payload to the console.
//!
//! Completion is signalled by writing `fromhost` and clearing `tohost`.

use crate::console::Console;
use crate::ram::Ram;

const SYS_WRITE: u64 = 64;
const ENOSYS: u64 = 38;

/// HTIF state: where its two words live.
#[derive(Clone, Copy, Debug)]
pub struct Htif {
    /// Address of `tohost`.
    pub tohost: u64,
    /// Address of `fromhost`, if the image has one.
    pub fromhost: Option<u64>,
}

impl Htif {
    /// Serves one value written to `tohost`. Returns the exit code when the guest asked to exit.
    pub fn handle(&self, value: u64, ram: &mut Ram, console: &mut dyn Console) -> Option<u32> {
        let device = value >> 56;
        let cmd = (value >> 48) & 0xff;
        let payload = value & ((1 << 48) - 1);
        let mut reply = None;
        match (device, cmd) {
            (0, 0) if payload & 1 == 1 => {
                ram.write(self.tohost, 8, 0);
                return Some((payload >> 1) as u32);
            }
            (0, 0) => {
                let arg = |i: u64| ram.read(payload + 8 * i, 8).unwrap_or(0);
                let (num, fd, buf, len) = (arg(0), arg(1), arg(2), arg(3));
                let ret = if num == SYS_WRITE && (fd == 1 || fd == 2) {
                    match ram.slice(buf, len) {
                        Some(bytes) => {
                            console.write(bytes);
                            len
                        }
                        None => (-14i64) as u64, // EFAULT
                    }
                } else {
                    (-(ENOSYS as i64)) as u64
                };
                ram.write(payload, 8, ret);
                reply = Some(1);
            }
            (1, 1) => {
                console.write(&[payload as u8]);
                reply = Some((1 << 56) | (1 << 48));
            }
            _ => {}
        }
        ram.write(self.tohost, 8, 0);
        if let (Some(fh), Some(r)) = (self.fromhost, reply) {
            ram.write(fh, 8, r);
        }
        None
    }
}
