//! The soft TLB: direct-mapped, ASID-tagged, one bank per translation regime.
//!
//! An entry caches one 4 KiB page of RAM for one bank and ASID:
//!
//! ```text
//!   tag_r / tag_w / tag_x : page address | ASID key, or INVALID when that access must take the slow path
//!   addend                : host address of the page minus its guest virtual address
//! ```
//!
//! A lookup for an access of `size` bytes at `va` compares the tag with
//! `((va + size - 1) & !0xfff) | key`, so an access that crosses a page never
//! hits, and reads the entry at `((va >> 12) ^ salt) & (ENTRIES - 1)`. Keys use
//! the low 11 bits (ASIDLEN = 11), bit 11 is never set in a key, so
//! [`INVALID`] never matches. Because entries are tagged with the ASID, a
//! `satp` write does not flush; `sfence.vma` flushes by address and/or ASID,
//! sparing global mappings when an ASID is given. Fetches use banks of their
//! own, so the data banks see exactly the guest's data accesses in program
//! order whatever the engine: their misses are the cost model's D-TLB misses.

/// Entries per bank.
pub const ENTRIES: usize = 1024;
/// Number of banks: U, S, S with SUM, M/bare for data; U and S for fetches.
pub const BANKS: usize = 6;
/// Bank for user-mode accesses.
pub const BANK_U: u8 = 0;
/// Bank for supervisor data accesses with SUM = 0.
pub const BANK_S: u8 = 1;
/// Bank for supervisor data accesses with SUM = 1.
pub const BANK_S_SUM: u8 = 2;
/// Bank for untranslated (M-mode or bare) accesses, data and fetch.
pub const BANK_M: u8 = 3;
/// Bank for user-mode instruction fetches.
pub const BANK_UX: u8 = 4;
/// Bank for supervisor instruction fetches.
pub const BANK_SX: u8 = 5;
/// Whether `bank` translates user-mode accesses.
#[inline]
pub fn is_user(bank: u8) -> bool {
    bank == BANK_U || bank == BANK_UX
}
/// A tag that matches no lookup.
pub const INVALID: u64 = 0xfff;
/// Number of ASID bits implemented.
pub const ASID_BITS: u32 = 11;

/// One cached page.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct TlbEntry {
    /// Tag for loads.
    pub tag_r: u64,
    /// Tag for stores.
    pub tag_w: u64,
    /// Tag for instruction fetches.
    pub tag_x: u64,
    /// Host address minus guest virtual address.
    pub addend: u64,
}

impl TlbEntry {
    const EMPTY: TlbEntry = TlbEntry { tag_r: INVALID, tag_w: INVALID, tag_x: INVALID, addend: 0 };
}

/// Per-entry bookkeeping not needed on the hit path.
#[derive(Clone, Copy, Debug, Default)]
pub struct TlbMeta {
    /// ASID of the entry.
    pub asid: u16,
    /// Filled from a global mapping.
    pub global: bool,
    /// Guest physical page of the entry.
    pub ppage: u64,
}

/// The TLB.
#[derive(Clone)]
#[repr(C)]
pub struct Tlb {
    /// Entries, `[bank][index]`.
    pub entries: [[TlbEntry; ENTRIES]; BANKS],
    /// Bookkeeping, `[bank][index]`.
    pub meta: [[TlbMeta; ENTRIES]; BANKS],
}

/// Byte size of one entry (generated code scales indices by it).
pub const ENTRY_SIZE: usize = std::mem::size_of::<TlbEntry>();

/// The tag-bits key for `asid`.
#[inline]
pub fn asid_key(asid: u16) -> u64 {
    (asid as u64) & ((1 << ASID_BITS) - 1)
}

/// Multiplier of [`asid_salt`] (generated code computes the salt too).
pub const ASID_SALT_MUL: u64 = 0x9e37;

/// The index salt for `asid`.
#[inline]
pub fn asid_salt(asid: u16) -> u64 {
    (asid as u64).wrapping_mul(ASID_SALT_MUL) & (ENTRIES as u64 - 1)
}

/// Index of `va` under `salt`.
#[inline]
pub fn index(va: u64, salt: u64) -> usize {
    (((va >> 12) ^ salt) as usize) & (ENTRIES - 1)
}

/// The tag a lookup of `size` bytes at `va` compares against.
#[inline]
pub fn lookup_tag(va: u64, size: u64, key: u64) -> u64 {
    (va.wrapping_add(size - 1) & !0xfff) | key
}

impl Tlb {
    /// An empty TLB.
    pub fn new() -> Self {
        Tlb {
            entries: [[TlbEntry::EMPTY; ENTRIES]; BANKS],
            meta: [[TlbMeta { asid: 0, global: false, ppage: 0 }; ENTRIES]; BANKS],
        }
    }

    /// Invalidates everything.
    pub fn flush_all(&mut self) {
        for bank in self.entries.iter_mut() {
            bank.fill(TlbEntry::EMPTY);
        }
    }

    /// Invalidates the translated banks, keeping M.
    pub fn flush_translated(&mut self) {
        for (b, bank) in self.entries.iter_mut().enumerate() {
            if b != BANK_M as usize {
                bank.fill(TlbEntry::EMPTY);
            }
        }
    }

    /// `sfence.vma`: `va` and `asid` as the instruction gives them (`None` = all).
    pub fn flush(&mut self, va: Option<u64>, asid: Option<u16>) {
        let page = va.map(|v| v & !0xfff);
        for b in (0..BANKS).filter(|&b| b != BANK_M as usize) {
            match (page, asid) {
                // Entries of one ASID are filled at `index(va, asid_salt(asid))`:
                // a page of one ASID can only be in that slot of each bank.
                (Some(p), Some(a)) => self.flush_entry(b, index(p, asid_salt(asid_key(a) as u16)), page, asid),
                _ => {
                    for i in 0..ENTRIES {
                        self.flush_entry(b, i, page, asid);
                    }
                }
            }
        }
    }

    /// Empties entry `i` of bank `b` if it maps `page` (any if `None`) for
    /// `asid` (any if `None`; global mappings are spared when an ASID is given).
    fn flush_entry(&mut self, b: usize, i: usize, page: Option<u64>, asid: Option<u16>) {
        let e = &mut self.entries[b][i];
        if e.tag_r == INVALID && e.tag_w == INVALID && e.tag_x == INVALID {
            return;
        }
        let m = &self.meta[b][i];
        let tag = [e.tag_r, e.tag_w, e.tag_x].into_iter().find(|&t| t != INVALID).unwrap_or(INVALID);
        let page_ok = page.is_none_or(|p| tag & !0xfff == p);
        let asid_ok = asid.is_none_or(|a| !m.global && asid_key(a) == asid_key(m.asid));
        if page_ok && asid_ok {
            *e = TlbEntry::EMPTY;
        }
    }

    /// Drops write permission from every entry mapping physical page `ppage`
    /// (the page now holds translated code, so stores must take the slow path).
    pub fn protect_code_page(&mut self, ppage: u64) {
        for b in 0..BANKS {
            for i in 0..ENTRIES {
                if self.meta[b][i].ppage == ppage {
                    self.entries[b][i].tag_w = INVALID;
                }
            }
        }
    }
}

impl Default for Tlb {
    fn default() -> Self {
        Self::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Fills entry (bank, page, asid) as `Machine::fill_tlb` does.
    fn fill(t: &mut Tlb, b: usize, va: u64, asid: u16, global: bool) {
        let i = index(va, asid_salt(asid));
        let tag = (va & !0xfff) | asid_key(asid);
        t.entries[b][i] = TlbEntry { tag_r: tag, tag_w: INVALID, tag_x: tag, addend: 0 };
        t.meta[b][i] = TlbMeta { asid, global, ppage: 0x8000_0000 };
    }

    fn live(t: &Tlb) -> Vec<(usize, usize)> {
        let mut v = Vec::new();
        for b in 0..BANKS {
            for i in 0..ENTRIES {
                if t.entries[b][i].tag_r != INVALID {
                    v.push((b, i));
                }
            }
        }
        v
    }

    #[test]
    fn flushing_a_page_of_one_asid_drops_exactly_what_a_full_scan_drops() {
        let mut t = Tlb::new();
        let mut x = 0x2545_f491_4f6c_dd1du64;
        let mut next = || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x
        };
        for _ in 0..3000 {
            let b = [BANK_U, BANK_S, BANK_S_SUM, BANK_UX, BANK_SX][(next() % 5) as usize] as usize;
            let va = (next() % 64) << 12;
            let asid = (next() % 6) as u16;
            fill(&mut t, b, va, asid, next() % 5 == 0);
        }
        for (va, asid) in [(0x3000u64, 2u16), (0x0, 0), (0x3f000, 5), (0x5000, 2 | 1 << 11)] {
            let mut fast = t.clone();
            fast.flush(Some(va), Some(asid));
            let mut slow = t.clone();
            for b in (0..BANKS).filter(|&b| b != BANK_M as usize) {
                for i in 0..ENTRIES {
                    slow.flush_entry(b, i, Some(va), Some(asid));
                }
            }
            assert_eq!(live(&fast), live(&slow), "va {va:#x} asid {asid}");
            assert!(live(&fast).len() <= live(&t).len());
        }
        let before = live(&t).len();
        t.flush(Some(0x3000), Some(2));
        assert!(live(&t).len() < before, "something was flushed");
    }
}
