//! The physical address space: RAM, devices, and the page-level bookkeeping
//! that keeps translated code coherent with stores.
//!
//! Each RAM page has a *code* bit, set while any engine holds a translation
//! of it. TLB entries for such pages never get a fast write tag, so stores to
//! them reach [`Bus::write`], which clears the bit and queues the page for
//! invalidation. The page holding HTIF's `tohost` is *watched* the same way.
//! [`Bus::slow_store_map`] exposes both as one byte per page (non-zero: a
//! store there must take the slow path) for generated code that stores to
//! untranslated RAM without a TLB probe.

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
            self.slow_store[i] = 1;
        }
    }

    /// One byte per RAM page (index `(pa - RAM_BASE) >> 12`), non-zero when a
    /// store to that page must take the slow path: it holds translated code or
    /// is watched. The pointer stays valid, and the map current, for the bus's life.
    pub fn slow_store_map(&self) -> *const u8 {
        self.slow_store.as_ptr()
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
        self.slow_store[i] = 1;
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
        if let Some(i) = self.watch_page.and_then(|p| self.page_index(p)) {
            self.slow_store[i] = 1;
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
                        self.slow_store[i] = (self.watch_page == Some(page)) as u8;
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
