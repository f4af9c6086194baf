//! Capability-table entries and the capability lookaside cache (SPEC §7.1, §7.3).

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

/// The capability lookaside cache: fully associative, FIFO.
#[derive(Clone, Debug)]
pub struct Ccc {
    lines: Vec<Option<CccLine>>,
    next: usize,
}

impl Ccc {
    /// An empty CCC of `n` entries.
    pub fn new(n: usize) -> Self {
        Ccc { lines: vec![None; n], next: 0 }
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
    pub fn find(&mut self, asid: u64, index: u64) -> Option<&mut CccLine> {
        self.lines.iter_mut().flatten().find(|l| l.asid == asid && l.index == index)
    }

    /// Inserts a line (FIFO victim).
    pub fn insert(&mut self, line: CccLine) {
        self.lines[self.next] = Some(line);
        self.next = (self.next + 1) % self.lines.len();
    }

    /// Invalidates lines of `index` (None = all).
    pub fn flush(&mut self, index: Option<u64>) {
        for l in self.lines.iter_mut() {
            if index.is_none_or(|i| l.is_some_and(|x| x.index == i)) {
                *l = None;
            }
        }
    }
}
