//! Capability-table entries and the capability lookaside cache (SPEC §7.1, §7.3),
//! with the JIT-facing shadow of its lines that inline fast paths probe.
//!
//! The shadow ([`FastCap`], direct-mapped by table index) caches *outcomes*
//! of the reference semantics: after a load or store through a capability
//! succeeds with its entry (and its root) and its page in the CCC, the
//! helper records what another access through the same reference needs to
//! know. Anything that could change such an outcome (a CCC insert, flush or
//! page update, a `captbl` write) empties the whole shadow, so a shadow hit
//! is exactly a case in which the reference would hit the CCC for the entry
//! and the root and the page, and charge nothing else.

/// A decoded capability-table entry.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct CapEntry {
    /// Base (VA in the target space, or PA for a Bare target).
    pub base: u64,
    /// Length in bytes.
    pub length: u64,
    /// Target address space.
    pub satp: u64,
    /// Generation.
    pub generation: u64,
    /// Permissions (R, W, D).
    pub perms: u64,
    /// State (INVALID, VALID, SPARE).
    pub state: u64,
    /// Owner ASID.
    pub owner: u64,
    /// Root index.
    pub root_index: u64,
    /// Root generation.
    pub root_gen: u64,
    /// Next spare index.
    pub next: u64,
}

impl CapEntry {
    /// From the first six doublewords of a 64-byte entry.
    pub fn from_words(w: &[u64]) -> CapEntry {
        CapEntry {
            base: w[0],
            length: w[1],
            satp: w[2],
            generation: w[3] & 0xffff_ffff,
            perms: (w[3] >> 32) & 0xff,
            state: (w[3] >> 40) & 0xf,
            owner: w[3] >> 48,
            root_index: w[4] & 0xffff_ffff,
            root_gen: w[4] >> 32,
            next: w[5] & 0xffff_ffff,
        }
    }

    /// As the eight doublewords of a 64-byte entry.
    pub fn to_words(&self) -> [u64; 8] {
        [
            self.base,
            self.length,
            self.satp,
            self.generation | self.perms << 32 | self.state << 40 | self.owner << 48,
            self.root_index | self.root_gen << 32,
            self.next,
            0,
            0,
        ]
    }
}

/// One CCC entry: a copy of a table entry and the last page translated through it.
#[derive(Clone, Copy, Debug)]
pub struct CccLine {
    /// ASID of the user the entry was filled for.
    pub asid: u64,
    /// Table index.
    pub index: u64,
    /// The entry.
    pub entry: CapEntry,
    /// Last translated page: (virtual page, physical page, writable).
    pub page: Option<(u64, u64, bool)>,
}

/// One shadow entry: what an access through a reference whose CCC lines
/// and page are cached needs (see the module docs). `#[repr(C)]`: generated code reads it.
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FastCap {
    /// `asid << 32 | index`, or [`FastCap::EMPTY`].
    pub tag: u64,
    /// Generation of the entry.
    pub generation: u64,
    /// Permissions.
    pub perms: u64,
    /// Length in bytes.
    pub length: u64,
    /// Base VA.
    pub base: u64,
    /// The cached virtual page.
    pub vpage: u64,
    /// Host address of its physical page.
    pub host_page: u64,
    /// Host address of the page's byte in the bus's slow-store map when the
    /// page is writable through the capability, else 0.
    pub slow_store: u64,
    /// CCC hits an access charges (the entry, and the root if separate).
    pub hits: u64,
    /// Modeled cycles of those hits plus the access.
    pub cycles: u64,
}

impl FastCap {
    /// Tag of an empty entry (no ASID/index pair produces it).
    pub const EMPTY: u64 = u64::MAX;
    const NONE: FastCap = FastCap {
        tag: Self::EMPTY,
        generation: 0,
        perms: 0,
        length: 0,
        base: 0,
        vpage: 0,
        host_page: 0,
        slow_store: 0,
        hits: 0,
        cycles: 0,
    };
}

/// Shadow entries (a power of two; index = table index mod this).
pub const FAST_ENTRIES: usize = 64;

/// The capability lookaside cache: fully associative, FIFO.
#[derive(Clone, Debug)]
pub struct Ccc {
    lines: Vec<Option<CccLine>>,
    next: usize,
    /// The shadow; boxed so generated code can hold its address.
    fast: Box<[FastCap; FAST_ENTRIES]>,
}

impl Ccc {
    /// An empty CCC of `n` entries.
    pub fn new(n: usize) -> Self {
        Ccc { lines: vec![None; n], next: 0, fast: Box::new([FastCap::NONE; FAST_ENTRIES]) }
    }

    /// Address of shadow entry 0.
    pub fn fast_base(&self) -> *const FastCap {
        self.fast.as_ptr()
    }

    /// Records a shadow entry for table index `index`.
    pub fn set_fast(&mut self, index: u64, f: FastCap) {
        self.fast[index as usize % FAST_ENTRIES] = f;
    }

    /// Empties the shadow.
    pub fn invalidate_fast(&mut self) {
        self.fast.fill(FastCap::NONE);
    }

    /// Entries.
    pub fn len(&self) -> usize {
        self.lines.len()
    }

    /// Never empty (n ≥ 1).
    pub fn is_empty(&self) -> bool {
        self.lines.is_empty()
    }

    /// The line for (`asid`, `index`).
    pub fn find(&self, asid: u64, index: u64) -> Option<&CccLine> {
        self.lines.iter().flatten().find(|l| l.asid == asid && l.index == index)
    }

    /// Records the last page translated through the line for (`asid`, `index`).
    pub fn set_page(&mut self, asid: u64, index: u64, page: (u64, u64, bool)) {
        self.invalidate_fast();
        if let Some(l) = self.lines.iter_mut().flatten().find(|l| l.asid == asid && l.index == index) {
            l.page = Some(page);
        }
    }

    /// Inserts a line (FIFO victim).
    pub fn insert(&mut self, line: CccLine) {
        self.invalidate_fast();
        self.lines[self.next] = Some(line);
        self.next = (self.next + 1) % self.lines.len();
    }

    /// Invalidates lines of `index` (None = all).
    pub fn flush(&mut self, index: Option<u64>) {
        self.invalidate_fast();
        for l in self.lines.iter_mut() {
            if index.is_none_or(|i| l.is_some_and(|x| x.index == i)) {
                *l = None;
            }
        }
    }
}
