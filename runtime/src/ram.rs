//! Guest RAM: one anonymous host mapping indexed by guest physical address.
//!
//! RAM starts at [`RAM_BASE`] as on QEMU's `virt` board. Generated code and the
//! interpreter reach it through host pointers derived from [`Ram::host_base`],
//! so every in-RAM access is a single host load or store after translation.
//!
//! The mapping is placed below 2 GiB of host address space when the host
//! allows it: generated code then reaches guest physical address `pa` at
//! `pa + (host_base - RAM_BASE)`, a 32-bit displacement, with no 64-bit
//! constant to materialise per access. Elsewhere (the hint refused) RAM is an
//! ordinary anonymous mapping and only that constant differs.

use memmap2::MmapMut;

/// Guest physical address of the first byte of RAM.
pub const RAM_BASE: u64 = 0x8000_0000;
/// Largest guest RAM size.
pub const RAM_MAX_SIZE: u64 = 64 << 30;

/// Errors creating guest RAM.
#[derive(Debug, thiserror::Error)]
pub enum RamError {
    /// The size is zero, not page-aligned, or too large for the physical address space.
    #[error("invalid RAM size {0} bytes (must be a non-zero multiple of 4 KiB, at most 64 GiB)")]
    BadSize(u64),
    /// The host refused the mapping.
    #[error("cannot map {size} bytes of guest RAM: {source}")]
    Map {
        /// Requested size.
        size: u64,
        /// Host error.
        source: std::io::Error,
    },
}

/// The host mapping behind guest RAM.
enum Backing {
    /// Placed at a low address by `mmap` with a hint.
    Low(LowMap),
    /// Wherever the host put it.
    Anywhere(MmapMut),
}

/// An anonymous read-write mapping of `len` bytes at `ptr`, unmapped on drop.
struct LowMap {
    ptr: *mut u8,
    len: usize,
}

// SAFETY: the mapping is plain memory owned by this value alone; access goes
// through `&`/`&mut` borrows of the `Ram` that holds it.
unsafe impl Send for LowMap {}
// SAFETY: as above; shared borrows only read.
unsafe impl Sync for LowMap {}

/// Host addresses tried, in order, for a low mapping.
const LOW_HINTS: [usize; 3] = [0x1000_0000, 0x2000_0000, 0x4000_0000];

impl LowMap {
    /// Maps `len` zeroed bytes wholly below 2 GiB, if the host agrees to one
    /// of [`LOW_HINTS`]; never replaces an existing mapping.
    fn new(len: usize) -> Option<LowMap> {
        for hint in LOW_HINTS {
            if hint.checked_add(len).is_none_or(|end| end > 0x8000_0000) {
                continue;
            }
            // SAFETY: an anonymous private mapping at a hint address (no
            // MAP_FIXED, so nothing already mapped is touched); the result is
            // checked before use.
            let p = unsafe {
                libc::mmap(
                    hint as *mut libc::c_void,
                    len,
                    libc::PROT_READ | libc::PROT_WRITE,
                    libc::MAP_PRIVATE | libc::MAP_ANONYMOUS | libc::MAP_NORESERVE,
                    -1,
                    0,
                )
            };
            if p == libc::MAP_FAILED {
                continue;
            }
            if p as usize == hint {
                return Some(LowMap { ptr: p as *mut u8, len });
            }
            // SAFETY: `p` is the mapping of `len` bytes just made, unused.
            unsafe { libc::munmap(p, len) };
        }
        None
    }
}

impl Drop for LowMap {
    fn drop(&mut self) {
        // SAFETY: `ptr`/`len` are exactly the mapping made in `new`, and no
        // borrow of it outlives `self`.
        unsafe { libc::munmap(self.ptr as *mut libc::c_void, self.len) };
    }
}

impl std::ops::Deref for Backing {
    type Target = [u8];
    fn deref(&self) -> &[u8] {
        match self {
            // SAFETY: `ptr` maps `len` readable bytes for the life of `self`.
            Backing::Low(m) => unsafe { std::slice::from_raw_parts(m.ptr, m.len) },
            Backing::Anywhere(m) => m,
        }
    }
}

impl std::ops::DerefMut for Backing {
    fn deref_mut(&mut self) -> &mut [u8] {
        match self {
            // SAFETY: `ptr` maps `len` writable bytes for the life of `self`,
            // and `&mut self` makes this the only borrow.
            Backing::Low(m) => unsafe { std::slice::from_raw_parts_mut(m.ptr, m.len) },
            Backing::Anywhere(m) => m,
        }
    }
}

/// Guest RAM.
pub struct Ram {
    map: Backing,
    size: u64,
}

impl Ram {
    /// Maps `size` bytes of zeroed guest RAM.
    pub fn new(size: u64) -> Result<Self, RamError> {
        if size == 0 || !size.is_multiple_of(4096) || size > RAM_MAX_SIZE {
            return Err(RamError::BadSize(size));
        }
        let map = match LowMap::new(size as usize) {
            Some(low) => Backing::Low(low),
            None => {
                Backing::Anywhere(MmapMut::map_anon(size as usize).map_err(|source| RamError::Map { size, source })?)
            }
        };
        Ok(Self { map, size })
    }

    /// Size in bytes.
    pub fn size(&self) -> u64 {
        self.size
    }

    /// Whether `[paddr, paddr + len)` lies entirely in RAM.
    #[inline]
    pub fn contains(&self, paddr: u64, len: u64) -> bool {
        paddr >= RAM_BASE && paddr.wrapping_sub(RAM_BASE).checked_add(len).is_some_and(|end| end <= self.size)
    }

    /// Host address of guest physical address `RAM_BASE`.
    pub fn host_base(&self) -> *mut u8 {
        self.map.as_ptr() as *mut u8
    }

    /// What added to a guest physical RAM address gives its host address
    /// (`host_base - RAM_BASE`, wrapping): the constant generated code adds.
    pub fn host_offset(&self) -> u64 {
        (self.host_base() as u64).wrapping_sub(RAM_BASE)
    }

    /// The guest physical address of the RAM byte at host address `host`.
    pub fn paddr_of(&self, host: u64) -> u64 {
        host.wrapping_sub(self.host_offset())
    }

    /// The whole of RAM as a byte slice.
    pub fn bytes(&self) -> &[u8] {
        &self.map
    }

    /// The whole of RAM as a mutable byte slice.
    pub fn bytes_mut(&mut self) -> &mut [u8] {
        &mut self.map
    }

    /// Bytes `[paddr, paddr + len)`, if they are in RAM.
    pub fn slice(&self, paddr: u64, len: u64) -> Option<&[u8]> {
        if !self.contains(paddr, len) {
            return None;
        }
        let off = (paddr - RAM_BASE) as usize;
        Some(&self.map[off..off + len as usize])
    }

    /// Mutable bytes `[paddr, paddr + len)`, if they are in RAM.
    pub fn slice_mut(&mut self, paddr: u64, len: u64) -> Option<&mut [u8]> {
        if !self.contains(paddr, len) {
            return None;
        }
        let off = (paddr - RAM_BASE) as usize;
        Some(&mut self.map[off..off + len as usize])
    }

    /// Reads a little-endian value of `size` bytes (1, 2, 4 or 8) at `paddr`.
    #[inline]
    pub fn read(&self, paddr: u64, size: u8) -> Option<u64> {
        let b = self.slice(paddr, size as u64)?;
        let mut v = [0u8; 8];
        v[..size as usize].copy_from_slice(b);
        Some(u64::from_le_bytes(v))
    }

    /// Writes the low `size` bytes of `value` little-endian at `paddr`.
    #[inline]
    pub fn write(&mut self, paddr: u64, size: u8, value: u64) -> bool {
        match self.slice_mut(paddr, size as u64) {
            Some(b) => {
                b.copy_from_slice(&value.to_le_bytes()[..size as usize]);
                true
            }
            None => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn several_rams_coexist_wherever_they_are_mapped() {
        // More RAMs than low hints: later ones land wherever the host puts them.
        let mut rams: Vec<Ram> = (0..LOW_HINTS.len() + 2).map(|_| Ram::new(1 << 20).unwrap()).collect();
        let mut bases: Vec<usize> = rams.iter().map(|r| r.host_base() as usize).collect();
        bases.sort_unstable();
        bases.dedup();
        assert_eq!(bases.len(), rams.len(), "distinct mappings");
        for (k, r) in rams.iter_mut().enumerate() {
            assert_eq!(r.read(RAM_BASE + 0xff8, 8), Some(0), "zeroed");
            assert!(r.write(RAM_BASE + 0xffc, 8, 0x1122_3344_5566_7788 + k as u64));
        }
        for (k, r) in rams.iter().enumerate() {
            assert_eq!(r.read(RAM_BASE + 0xffc, 8), Some(0x1122_3344_5566_7788 + k as u64));
            assert_eq!(r.bytes().len(), 1 << 20);
        }
        drop(rams);
        // The low addresses are free again.
        let again = Ram::new(1 << 20).unwrap();
        assert!(again.read(RAM_BASE, 8) == Some(0));
    }
}
