//! Virtual memory: Sv39/Sv48 page walks, permission checks, A/D updates,
//! and the soft TLB's fill and slow paths.
//!
//! Both engines call [`Machine::load`]/[`Machine::store`] (the interpreter
//! directly, generated code from its inline-miss path); a TLB hit is one
//! compare and one host access, everything else is in the `*_slow` functions.

pub mod tlb;

use crate::bus::BusEffects;
use crate::csr::mstatus;
use crate::hart::{exit, Priv};
use crate::machine::Machine;
use crate::trap::{cause, Exception};
use tlb::{index, lookup_tag, TlbMeta, BANK_M, BANK_S_SUM, INVALID};

/// Kind of memory access.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Access {
    /// Load (or LR).
    Read,
    /// Store (or SC/AMO).
    Write,
    /// Instruction fetch.
    Exec,
}

impl Access {
    fn page_fault(self, va: u64) -> Exception {
        let c = match self {
            Access::Read => cause::LOAD_PAGE,
            Access::Write => cause::STORE_PAGE,
            Access::Exec => cause::INSN_PAGE,
        };
        Exception::new(c, va)
    }
    fn access_fault(self, va: u64) -> Exception {
        let c = match self {
            Access::Read => cause::LOAD_ACCESS,
            Access::Write => cause::STORE_ACCESS,
            Access::Exec => cause::INSN_ACCESS,
        };
        Exception::new(c, va)
    }
}

mod pte {
    pub const V: u64 = 1 << 0;
    pub const R: u64 = 1 << 1;
    pub const W: u64 = 1 << 2;
    pub const X: u64 = 1 << 3;
    pub const U: u64 = 1 << 4;
    pub const G: u64 = 1 << 5;
    pub const A: u64 = 1 << 6;
    pub const D: u64 = 1 << 7;
    /// Bits 63:54 (PBMT, N and reserved) must be zero: mkjit implements neither Svpbmt nor Svnapot.
    pub const RESERVED: u64 = 0xffc0_0000_0000_0000;
}

/// A completed translation.
#[derive(Clone, Copy, Debug)]
pub struct Translation {
    /// Physical address.
    pub paddr: u64,
    /// Leaf PTE flags (all permissions for untranslated accesses).
    pub flags: u64,
    /// From a global mapping.
    pub global: bool,
    /// Page-table entries read.
    pub levels: u32,
}

impl Machine {
    /// Translates `va` for `access` in TLB bank `bank`, walking the page table
    /// (and updating A/D bits) as needed. Does not touch the TLB.
    pub fn walk(&mut self, va: u64, access: Access, bank: u8) -> Result<Translation, Exception> {
        let satp = self.hart.csr.satp;
        self.walk_satp(satp, va, access, bank)
    }

    /// As [`Self::walk`], in the address space `satp` instead of the current one
    /// (extensions that reach another address space, e.g. capabilities, use it).
    pub fn walk_satp(&mut self, satp: u64, va: u64, access: Access, bank: u8) -> Result<Translation, Exception> {
        let all = pte::R | pte::W | pte::X | pte::A | pte::D;
        let mode = satp >> 60;
        if bank == BANK_M || mode == 0 {
            return Ok(Translation { paddr: va, flags: all, global: false, levels: 0 });
        }
        let levels: u32 = if mode == 9 { 4 } else { 3 };
        let va_bits = 12 + 9 * levels;
        let shift = 64 - va_bits;
        if ((va << shift) as i64 >> shift) as u64 != va {
            return Err(access.page_fault(va));
        }
        let ms = self.hart.csr.mstatus;
        let mut table = (satp & ((1 << 44) - 1)) << 12;
        let mut level = levels;
        let mut global = false;
        let now = self.mtime();
        loop {
            level -= 1;
            let vpn = (va >> (12 + 9 * level)) & 0x1ff;
            let pte_addr = table + vpn * 8;
            let mut fx = BusEffects::default();
            let Some(mut e) = self.bus.ram.read(pte_addr, 8) else {
                return Err(access.access_fault(va));
            };
            if e & pte::V == 0 || (e & pte::R == 0 && e & pte::W != 0) || e & pte::RESERVED != 0 {
                return Err(access.page_fault(va));
            }
            global |= e & pte::G != 0;
            let ppn = (e >> 10) & ((1 << 44) - 1);
            if e & (pte::R | pte::X) == 0 {
                if level == 0 || e & (pte::A | pte::D | pte::U) != 0 {
                    return Err(access.page_fault(va));
                }
                table = ppn << 12;
                continue;
            }
            // Leaf: permissions for the effective privilege of this bank.
            let user = tlb::is_user(bank);
            if user && e & pte::U == 0 {
                return Err(access.page_fault(va));
            }
            if !user && e & pte::U != 0 && (access == Access::Exec || bank != BANK_S_SUM) {
                return Err(access.page_fault(va));
            }
            let ok = match access {
                Access::Read => e & pte::R != 0 || (ms & mstatus::MXR != 0 && e & pte::X != 0),
                Access::Write => e & pte::W != 0,
                Access::Exec => e & pte::X != 0,
            };
            if !ok {
                return Err(access.page_fault(va));
            }
            let low_mask = (1u64 << (9 * level)) - 1;
            if ppn & low_mask != 0 {
                return Err(access.page_fault(va));
            }
            let want = pte::A | if access == Access::Write { pte::D } else { 0 };
            if e & want != want {
                e |= want;
                if !self.bus.write(pte_addr, 8, e, now, &mut fx) {
                    return Err(access.access_fault(va));
                }
            }
            let page_off = va & ((1u64 << (12 + 9 * level)) - 1);
            let paddr = ((ppn & !low_mask) << 12) | page_off;
            return Ok(Translation { paddr, flags: e, global, levels: levels - level });
        }
    }

    /// Translates `va` for `access` in the bank the hart uses for it, filling the TLB.
    pub fn translate(&mut self, va: u64, access: Access) -> Result<u64, Exception> {
        self.translate_sized(va, 1, access)
    }

    /// As [`Self::translate`] for an access of `size` bytes (what the extension
    /// translate hook, when installed, is told; see [`crate::ext::PreTranslate`]).
    pub fn translate_sized(&mut self, va: u64, size: u64, access: Access) -> Result<u64, Exception> {
        let bank = if access == Access::Exec { self.hart.fetch_bank } else { self.hart.data_bank };
        if let Some(hook) = self.ext.translate {
            match hook(self, va, size, access, bank) {
                crate::ext::PreTranslate::Walk => {}
                crate::ext::PreTranslate::WalkNoFill => return Ok(self.walk(va, access, bank)?.paddr),
                crate::ext::PreTranslate::Hit(pa) => return Ok(pa),
                crate::ext::PreTranslate::Fault(e) => return Err(e),
            }
        }
        let cached = access == Access::Write && {
            let h = &*self.hart;
            let b = bank as usize;
            h.tlb.entries[b][index(va, h.tlb_salt[b])].tag_r == (va & !0xfff) | h.tlb_key[b]
        };
        let t = self.walk(va, access, bank)?;
        if access != Access::Exec && t.levels > 0 && !cached {
            // A modeled D-TLB miss (a write to a page whose translation is cached
            // but not yet writable, e.g. a code page, is not one).
            self.hart.cycles += self.costs.dtlb_miss + t.levels as u64 * self.costs.page_walk_level;
            self.stats.dtlb_misses += 1;
        }
        self.stats.tlb_fills += 1;
        if self.trace.mmu {
            self.trace.line(format_args!(
                "mmu: va {va:#x} -> pa {:#x} ({access:?}, bank {bank}, flags {:#x})",
                t.paddr, t.flags
            ));
        }
        self.fill_tlb(va, &t, bank);
        Ok(t.paddr)
    }

    fn fill_tlb(&mut self, va: u64, t: &Translation, bank: u8) {
        let ppage = t.paddr & !0xfff;
        if !self.bus.ram.contains(ppage, 4096) {
            return;
        }
        let h = &mut *self.hart;
        let b = bank as usize;
        let key = h.tlb_key[b];
        let i = index(va, h.tlb_salt[b]);
        let vpage = va & !0xfff;
        let tag = vpage | key;
        let ms = h.csr.mstatus;
        let f = t.flags;
        let readable = f & pte::R != 0 || (ms & mstatus::MXR != 0 && f & pte::X != 0);
        let writable = f & pte::W != 0 && f & pte::D != 0 && self.bus.fast_writable(ppage);
        let executable = f & pte::X != 0;
        let host = ppage.wrapping_add(self.bus.ram.host_offset());
        let e = &mut h.tlb.entries[b][i];
        e.tag_r = if readable && f & pte::A != 0 { tag } else { INVALID };
        e.tag_w = if writable { tag } else { INVALID };
        e.tag_x = if executable && f & pte::A != 0 { tag } else { INVALID };
        e.addend = host.wrapping_sub(vpage);
        let asid = ((h.csr.satp >> 44) & ((1 << tlb::ASID_BITS) - 1)) as u16;
        h.tlb.meta[b][i] = TlbMeta { asid, global: t.global, ppage };
    }

    /// Host pointer for an access of `size` bytes at `va` if the TLB hits.
    #[inline(always)]
    fn tlb_hit(&self, va: u64, size: u64, access: Access) -> Option<*mut u8> {
        let h = &*self.hart;
        let b = if access == Access::Exec { h.fetch_bank } else { h.data_bank } as usize;
        let e = &h.tlb.entries[b][index(va, h.tlb_salt[b])];
        let want = lookup_tag(va, size, h.tlb_key[b]);
        let tag = match access {
            Access::Read => e.tag_r,
            Access::Write => e.tag_w,
            Access::Exec => e.tag_x,
        };
        (tag == want).then(|| e.addend.wrapping_add(va) as *mut u8)
    }

    /// Loads `size` (1, 2, 4, 8) bytes at virtual address `va`, zero-extended.
    #[inline]
    pub fn load(&mut self, va: u64, size: u64) -> Result<u64, Exception> {
        if let Some(p) = self.tlb_hit(va, size, Access::Read) {
            // SAFETY: a read tag is only set for a page that lies wholly in guest RAM
            // (see `fill_tlb`), and the tag compare guarantees the access does not cross
            // the page, so `p..p+size` is inside the RAM mapping. Unaligned reads are fine.
            return Ok(unsafe { read_host(p, size) });
        }
        self.load_slow(va, size)
    }

    /// Stores the low `size` bytes of `v` at virtual address `va`.
    #[inline]
    pub fn store(&mut self, va: u64, size: u64, v: u64) -> Result<(), Exception> {
        if let Some(p) = self.tlb_hit(va, size, Access::Write) {
            // SAFETY: as in `load`: a write tag is only set for a RAM page without
            // translated code, and the access stays within that page.
            unsafe { write_host(p, size, v) };
            return Ok(());
        }
        self.store_slow(va, size, v)
    }

    /// Load slow path: page-crossing accesses, TLB misses, MMIO.
    #[inline(never)]
    pub fn load_slow(&mut self, va: u64, size: u64) -> Result<u64, Exception> {
        if (va & 0xfff) + size > 0x1000 {
            if self.ext.translate.is_some() {
                self.translate_sized(va, size, Access::Read)?;
            }
            let mut v = 0u64;
            for i in 0..size {
                v |= self.load(va.wrapping_add(i), 1)? << (8 * i);
            }
            return Ok(v);
        }
        let pa = self.translate_sized(va, size, Access::Read)?;
        if crate::benchdev::BenchDevice::contains(pa) {
            let cycles = self.cycles();
            if let Some(dev) = &self.bench {
                return dev.read(pa, size as u8, cycles).ok_or(Exception::new(cause::LOAD_ACCESS, va));
            }
        }
        let now = self.mtime();
        let mut fx = BusEffects::default();
        let v = self.bus.read(pa, size as u8, now, &mut fx).ok_or(Exception::new(cause::LOAD_ACCESS, va))?;
        self.note_effects(fx);
        Ok(v)
    }

    /// Store slow path: page-crossing accesses, TLB misses, MMIO, code pages, `tohost`.
    #[inline(never)]
    pub fn store_slow(&mut self, va: u64, size: u64, v: u64) -> Result<(), Exception> {
        if (va & 0xfff) + size > 0x1000 {
            // Translate both pages first so a fault leaves memory untouched.
            self.translate_sized(va, size, Access::Write)?;
            self.translate(va.wrapping_add(size - 1) & !0xfff, Access::Write)?;
            for i in 0..size {
                self.store_slow(va.wrapping_add(i), 1, v >> (8 * i))?;
            }
            return Ok(());
        }
        let pa = self.translate_sized(va, size, Access::Write)?;
        if crate::benchdev::BenchDevice::contains(pa) {
            let cycles = self.cycles();
            let ram = &self.bus.ram;
            if let Some(dev) = &mut self.bench {
                let ok = dev.write(pa, size as u8, v, cycles, |a| crate::benchdev::read_name(ram, a));
                return if ok { Ok(()) } else { Err(Exception::new(cause::STORE_ACCESS, va)) };
            }
        }
        let now = self.mtime();
        let mut fx = BusEffects::default();
        if !self.bus.write(pa, size as u8, v, now, &mut fx) {
            return Err(Exception::new(cause::STORE_ACCESS, va));
        }
        self.note_effects(fx);
        Ok(())
    }

    /// Physical load of `size` bytes for hardware structures of extensions
    /// (RAM or devices); `None` is an access fault.
    pub fn phys_load(&mut self, pa: u64, size: u64) -> Option<u64> {
        let now = self.mtime();
        let mut fx = BusEffects::default();
        let v = self.bus.read(pa, size as u8, now, &mut fx)?;
        self.note_effects(fx);
        Some(v)
    }

    /// Physical store of the low `size` bytes of `v` for hardware structures of
    /// extensions; keeps translated code coherent. `false` is an access fault.
    pub fn phys_store(&mut self, pa: u64, size: u64, v: u64) -> bool {
        let now = self.mtime();
        let mut fx = BusEffects::default();
        if !self.bus.write(pa, size as u8, v, now, &mut fx) {
            return false;
        }
        self.note_effects(fx);
        true
    }

    pub(crate) fn note_effects(&mut self, fx: BusEffects) {
        if fx.device {
            self.hart.exit |= exit::DEVICE | exit::IRQ_CHECK;
        }
        if fx.code_written {
            self.hart.exit |= exit::REFETCH;
        }
    }

    /// Translates `va` for an atomic access of `size` bytes (must be aligned) and returns its physical address.
    ///
    /// Like a load (LR) or a store (SC, AMOs), it hits the TLB when the
    /// translation is there with that permission; only a miss walks.
    pub fn translate_atomic(&mut self, va: u64, size: u64, lr: bool) -> Result<u64, Exception> {
        let (mis, acc) =
            if lr { (cause::LOAD_MISALIGNED, Access::Read) } else { (cause::STORE_MISALIGNED, Access::Write) };
        if !va.is_multiple_of(size) {
            return Err(Exception::new(mis, va));
        }
        if let Some(p) = self.tlb_hit(va, size, acc) {
            // Read and write tags are only set for pages wholly in RAM.
            return Ok(self.bus.ram.paddr_of(p as u64));
        }
        let pa = self.translate_sized(va, size, acc)?;
        if !self.bus.ram.contains(pa, size) {
            let c = if lr { cause::LOAD_ACCESS } else { cause::STORE_ACCESS };
            return Err(Exception::new(c, va));
        }
        Ok(pa)
    }

    /// Fetches the 16 or 32 instruction bits at `pc` (a 32-bit instruction may straddle two pages).
    pub fn fetch(&mut self, pc: u64) -> Result<u32, Exception> {
        let lo = self.fetch_half(pc)? as u32;
        if lo & 3 != 3 {
            return Ok(lo);
        }
        let hi = self.fetch_half(pc.wrapping_add(2))? as u32;
        Ok(lo | hi << 16)
    }

    fn fetch_half(&mut self, va: u64) -> Result<u16, Exception> {
        if let Some(p) = self.tlb_hit(va, 2, Access::Exec) {
            // SAFETY: an exec tag is only set for a page wholly in RAM; the 2-byte
            // access at an even address cannot cross the page.
            return Ok(unsafe { read_host(p, 2) } as u16);
        }
        let pa = self.fetch_translate(va)?;
        self.bus.ram.read(pa, 2).map(|v| v as u16).ok_or(Exception::new(cause::INSN_ACCESS, va))
    }

    /// Translates an instruction address to a physical RAM address (fetch permission).
    pub fn fetch_translate(&mut self, va: u64) -> Result<u64, Exception> {
        if let Some(p) = self.tlb_hit(va, 2, Access::Exec) {
            return Ok(self.bus.ram.paddr_of(p as u64));
        }
        let pa = self.translate_sized(va, 2, Access::Exec)?;
        if !self.bus.ram.contains(pa, 2) {
            return Err(Exception::new(cause::INSN_ACCESS, va));
        }
        Ok(pa)
    }

    /// Whether the hart currently runs with translation for fetches.
    pub fn fetch_translated(&self) -> bool {
        self.hart.prv != Priv::M && self.hart.csr.satp >> 60 != 0
    }
}

/// Reads `size` bytes at host address `p`.
///
/// # Safety
/// `p..p+size` must be readable host memory.
#[inline(always)]
pub unsafe fn read_host(p: *const u8, size: u64) -> u64 {
    // SAFETY: guaranteed by the caller; unaligned reads are used throughout.
    unsafe {
        match size {
            1 => *p as u64,
            2 => (p as *const u16).read_unaligned() as u64,
            4 => (p as *const u32).read_unaligned() as u64,
            _ => (p as *const u64).read_unaligned(),
        }
    }
}

/// Writes the low `size` bytes of `v` at host address `p`.
///
/// # Safety
/// `p..p+size` must be writable host memory.
#[inline(always)]
pub unsafe fn write_host(p: *mut u8, size: u64, v: u64) {
    // SAFETY: guaranteed by the caller.
    unsafe {
        match size {
            1 => *p = v as u8,
            2 => (p as *mut u16).write_unaligned(v as u16),
            4 => (p as *mut u32).write_unaligned(v as u32),
            _ => (p as *mut u64).write_unaligned(v),
        }
    }
}
