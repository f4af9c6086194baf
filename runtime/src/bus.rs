//! The physical address space: RAM, devices, and the page-level bookkeeping
//! that keeps translated code coherent with stores.
//!
//! Each RAM page has a *code* bit, set while any engine holds a translation
//! of it. TLB entries for such pages never get a fast write tag, so stores to
//! them reach [`Bus::write`], which clears the bit and queues the page for
//! invalidation. The page holding HTIF's `tohost` is *watched* the same way.
//! [`Bus::slow_store_map`] exposes both as one byte per page (non-zero: a
//! store there must take the slow path) for generated code that stores to
//! untranslated RAM without a TLB probe; [`Bus::store_start_map`] is the same
//! map widened by one page, so that one byte tells whether a store of up to
//! eight bytes *starting* in a page may touch a slow page.

use crate::devices::Devices;
use crate::ram::{Ram, RAM_BASE};

/// What a bus access that succeeded may ask of the engine.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct BusEffects {
    /// A device was touched: interrupt lines may have changed.
    pub device: bool,
    /// A page holding translated code was written.
    pub code_written: bool,
}

/// RAM plus devices.
pub struct Bus {
    /// Guest RAM.
    pub ram: Ram,
    /// Memory-mapped devices.
    pub devices: Devices,
    code_pages: Vec<u64>,
    /// One byte per RAM page: 1 when a store to it must reach [`Bus::write`]
    /// (code page or watched page). Never reallocated.
    slow_store: Box<[u8]>,
    /// One byte per RAM page: 1 when that page or the next is slow.
    store_start: Box<[u8]>,
    watch_page: Option<u64>,
    /// Physical pages with translated code that were written since the last drain.
    pub written_code_pages: Vec<u64>,
    /// Value written to the watched `tohost` address, not yet handled.
    pub tohost_write: Option<u64>,
    tohost: Option<u64>,
}

impl Bus {
    /// A bus over `ram` and `devices`.
    pub fn new(ram: Ram, devices: Devices) -> Self {
        let pages = (ram.size() / 4096) as usize;
        Bus {
            ram,
            devices,
            code_pages: vec![0; pages.div_ceil(64)],
            slow_store: vec![0; pages].into_boxed_slice(),
            store_start: vec![0; pages].into_boxed_slice(),
            watch_page: None,
            written_code_pages: Vec::new(),
            tohost_write: None,
            tohost: None,
        }
    }

    /// Watches `tohost` (HTIF): stores to its page take the slow path.
    pub fn watch_tohost(&mut self, addr: u64) {
        self.tohost = Some(addr);
        self.watch_page = Some(addr & !0xfff);
        if let Some(i) = self.page_index(addr & !0xfff) {
            self.set_slow(i, true);
        }
    }

    /// Records whether stores to page `i` must take the slow path, in both maps.
    fn set_slow(&mut self, i: usize, slow: bool) {
        self.slow_store[i] = slow as u8;
        let next = self.slow_store.get(i + 1).copied().unwrap_or(0);
        self.store_start[i] = slow as u8 | next;
        if i > 0 {
            self.store_start[i - 1] = self.slow_store[i - 1] | slow as u8;
        }
    }

    /// One byte per RAM page (index `(pa - RAM_BASE) >> 12`), non-zero when a
    /// store to that page must take the slow path: it holds translated code or
    /// is watched. The pointer stays valid, and the map current, for the bus's life.
    pub fn slow_store_map(&self) -> *const u8 {
        self.slow_store.as_ptr()
    }

    /// One byte per RAM page, non-zero when that page or the next one is slow
    /// in [`Bus::slow_store_map`]: a store of at most eight bytes that starts
    /// in a page with a zero byte touches no slow page, whether or not it
    /// crosses into the next. Same lifetime as `slow_store_map`.
    pub fn store_start_map(&self) -> *const u8 {
        self.store_start.as_ptr()
    }

    fn page_index(&self, paddr: u64) -> Option<usize> {
        self.ram.contains(paddr, 1).then(|| ((paddr - RAM_BASE) >> 12) as usize)
    }

    /// Whether the RAM page at `ppage` may be given a fast write path.
    pub fn fast_writable(&self, ppage: u64) -> bool {
        match self.page_index(ppage) {
            Some(i) => self.code_pages[i / 64] >> (i % 64) & 1 == 0 && self.watch_page != Some(ppage),
            None => false,
        }
    }

    /// Marks `ppage` as holding translated code. Returns true if it was not already marked
    /// (the caller must then remove fast write paths to it).
    pub fn mark_code_page(&mut self, ppage: u64) -> bool {
        let Some(i) = self.page_index(ppage) else { return false };
        let was = self.code_pages[i / 64] >> (i % 64) & 1;
        self.code_pages[i / 64] |= 1 << (i % 64);
        self.set_slow(i, true);
        was == 0
    }

    /// Whether `ppage` is marked as holding translated code.
    pub fn is_code_page(&self, ppage: u64) -> bool {
        self.page_index(ppage).is_some_and(|i| self.code_pages[i / 64] >> (i % 64) & 1 == 1)
    }

    /// Forgets every code mark (after a full translation flush).
    pub fn clear_code_pages(&mut self) {
        self.code_pages.fill(0);
        self.slow_store.fill(0);
        self.store_start.fill(0);
        if let Some(i) = self.watch_page.and_then(|p| self.page_index(p)) {
            self.set_slow(i, true);
        }
    }

    /// Physical read of `size` bytes; `None` is an access fault.
    pub fn read(&mut self, paddr: u64, size: u8, now: u64, fx: &mut BusEffects) -> Option<u64> {
        if let Some(v) = self.ram.read(paddr, size) {
            return Some(v);
        }
        if !paddr.is_multiple_of(size as u64) {
            return None;
        }
        fx.device = true;
        self.devices.read(paddr, size, now)
    }

    /// Physical write of `size` bytes; `false` is an access fault.
    pub fn write(&mut self, paddr: u64, size: u8, value: u64, now: u64, fx: &mut BusEffects) -> bool {
        if self.ram.contains(paddr, size as u64) {
            let first = paddr & !0xfff;
            let last = (paddr + size as u64 - 1) & !0xfff;
            for page in [first, last] {
                if self.is_code_page(page) {
                    if let Some(i) = self.page_index(page) {
                        self.code_pages[i / 64] &= !(1 << (i % 64));
                        self.set_slow(i, self.watch_page == Some(page));
                    }
                    self.written_code_pages.push(page);
                    fx.code_written = true;
                }
            }
            self.ram.write(paddr, size, value);
            if let Some(t) = self.tohost {
                if paddr < t + 8 && t < paddr + size as u64 {
                    if let Some(v) = self.ram.read(t, 8) {
                        if v != 0 {
                            self.tohost_write = Some(v);
                            fx.device = true;
                        }
                    }
                }
            }
            return true;
        }
        if !paddr.is_multiple_of(size as u64) {
            return false;
        }
        fx.device = true;
        self.devices.write(paddr, size, value, now)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::MachineConfig;
    use crate::console::BufferConsole;

    fn bus() -> Bus {
        let ram = Ram::new(64 * 4096).unwrap();
        Bus::new(ram, Devices::new(&MachineConfig::default(), Box::new(BufferConsole::default())))
    }

    /// Both maps, read back through their pointers.
    fn maps(b: &Bus) -> (Vec<u8>, Vec<u8>) {
        let n = (b.ram.size() / 4096) as usize;
        // SAFETY: both maps are `n` bytes long and live as long as `b`.
        unsafe {
            (
                std::slice::from_raw_parts(b.slow_store_map(), n).to_vec(),
                std::slice::from_raw_parts(b.store_start_map(), n).to_vec(),
            )
        }
    }

    fn check_widened(b: &Bus) {
        let (slow, start) = maps(b);
        for i in 0..slow.len() {
            let next = slow.get(i + 1).copied().unwrap_or(0);
            assert_eq!(start[i], slow[i] | next, "page {i}: {slow:?} / {start:?}");
        }
    }

    #[test]
    fn store_start_map_is_the_slow_map_widened_by_one_page() {
        let mut b = bus();
        let page = |i: u64| RAM_BASE + 4096 * i;
        b.watch_tohost(page(10) + 8);
        for i in [0, 5, 6, 20, 63] {
            assert!(b.mark_code_page(page(i)));
        }
        check_widened(&b);
        let (slow, start) = maps(&b);
        assert_eq!((slow[4], start[4], slow[9], start[9]), (0, 1, 0, 1));
        let mut fx = BusEffects::default();
        // A store that crosses from page 19 into code page 20 clears its mark.
        assert!(b.write(page(20) - 4, 8, 0, 0, &mut fx));
        assert!(fx.code_written);
        assert!(!b.is_code_page(page(20)));
        check_widened(&b);
        let (slow, start) = maps(&b);
        assert_eq!((slow[20], start[19], start[20]), (0, 0, 0));
        // A write to the watched page leaves it slow.
        assert!(b.write(page(10), 8, 0, 0, &mut fx));
        check_widened(&b);
        b.clear_code_pages();
        check_widened(&b);
        let (slow, start) = maps(&b);
        assert_eq!(slow.iter().map(|&s| s as usize).sum::<usize>(), 1);
        assert_eq!((slow[10], start[9], start[10]), (1, 1, 1));
    }
}
