//! Guest RAM: one anonymous host mapping indexed by guest physical address.
//!
//! RAM starts at [`RAM_BASE`] as on QEMU's `virt` board. Generated code and the
//! interpreter reach it through host pointers derived from [`Ram::host_base`],
//! so every in-RAM access is a single host load or store after translation.

use memmap2::MmapMut;

/// Guest physical address of the first byte of RAM.
pub const RAM_BASE: u64 = 0x8000_0000;

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

/// Guest RAM.
pub struct Ram {
    map: MmapMut,
    size: u64,
}

impl Ram {
    /// Maps `size` bytes of zeroed guest RAM.
    pub fn new(size: u64) -> Result<Self, RamError> {
        if size == 0 || !size.is_multiple_of(4096) || size > (64 << 30) {
            return Err(RamError::BadSize(size));
        }
        let map = MmapMut::map_anon(size as usize).map_err(|source| RamError::Map { size, source })?;
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
