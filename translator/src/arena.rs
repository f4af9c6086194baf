//! The code cache's memory: one anonymous mapping that generated code is
//! copied into, kept **W^X**.
//!
//! ```text
//!   [ region | region | region | ...free... ]   one mapping, bump-allocated
//!     RX       RX       RW->RX  (only the pages being written are ever RW)
//! ```
//!
//! Installing code flips just the pages it touches to read+write, copies,
//! then flips them back to read+execute, so no page is ever writable and
//! executable at once. Generated code only runs while nothing is being
//! installed (the engine is single-threaded), so briefly revoking execute
//! permission from a neighbouring region's page is harmless. When the arena
//! is full the engine flushes every translation and [`CodeArena::reset`]s it.

use std::ptr::NonNull;

/// Why the arena could not be created.
#[derive(Debug, thiserror::Error)]
#[error("cannot map {size} bytes for the JIT code cache: {source}")]
pub struct ArenaError {
    size: usize,
    source: std::io::Error,
}

/// An executable-code arena.
pub struct CodeArena {
    base: NonNull<u8>,
    size: usize,
    used: usize,
    page: usize,
}

impl CodeArena {
    /// Maps `size` bytes (rounded up to whole pages), initially read-only.
    pub fn new(size: usize) -> Result<CodeArena, ArenaError> {
        // SAFETY: sysconf has no memory-safety preconditions.
        let page = unsafe { libc::sysconf(libc::_SC_PAGESIZE) } as usize;
        let size = size.div_ceil(page) * page;
        // SAFETY: an anonymous private mapping with no address hint; the result is checked.
        let p = unsafe {
            libc::mmap(std::ptr::null_mut(), size, libc::PROT_READ, libc::MAP_PRIVATE | libc::MAP_ANONYMOUS, -1, 0)
        };
        if p == libc::MAP_FAILED {
            return Err(ArenaError { size, source: std::io::Error::last_os_error() });
        }
        let base = NonNull::new(p as *mut u8).expect("mmap returned a null mapping");
        Ok(CodeArena { base, size, used: 0, page })
    }

    /// Bytes in use.
    pub fn used(&self) -> usize {
        self.used
    }

    /// Capacity in bytes.
    pub fn capacity(&self) -> usize {
        self.size
    }

    /// Forgets all code (the caller has dropped every pointer into it).
    pub fn reset(&mut self) {
        self.used = 0;
    }

    fn protect(&self, start: usize, end: usize, prot: libc::c_int) {
        let lo = start / self.page * self.page;
        let hi = end.div_ceil(self.page) * self.page;
        // SAFETY: [lo, hi) lies inside our own mapping (end <= size, size is page-aligned).
        let r = unsafe { libc::mprotect(self.base.as_ptr().add(lo) as *mut libc::c_void, hi - lo, prot) };
        assert_eq!(r, 0, "mprotect of the JIT code cache failed: {}", std::io::Error::last_os_error());
    }

    /// Copies `code` into the arena and returns its executable address, or
    /// `None` when the arena is full.
    pub fn install(&mut self, code: &[u8]) -> Option<*const u8> {
        let start = self.used.next_multiple_of(32);
        let end = start.checked_add(code.len())?;
        if end > self.size || code.is_empty() {
            return None;
        }
        self.protect(start, end, libc::PROT_READ | libc::PROT_WRITE);
        // SAFETY: [start, end) is inside the mapping and was just made writable;
        // `code` is a separate host buffer, so the ranges do not overlap.
        unsafe { std::ptr::copy_nonoverlapping(code.as_ptr(), self.base.as_ptr().add(start), code.len()) };
        self.protect(start, end, libc::PROT_READ | libc::PROT_EXEC);
        self.used = end;
        // SAFETY: start < size, inside the mapping.
        Some(unsafe { self.base.as_ptr().add(start) } as *const u8)
    }
}

impl Drop for CodeArena {
    fn drop(&mut self) {
        // SAFETY: unmapping exactly the mapping created in `new`; no code from it runs any more.
        unsafe { libc::munmap(self.base.as_ptr() as *mut libc::c_void, self.size) };
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn installs_and_fills_up() {
        let mut a = CodeArena::new(8192).expect("map");
        let p = a.install(&[0xc3; 100]).expect("fits");
        // SAFETY: the page is readable (RX).
        assert_eq!(unsafe { *p }, 0xc3);
        let q = a.install(&[0x90; 100]).expect("fits");
        assert_eq!(q as usize - p as usize, 128, "32-byte aligned");
        assert!(a.install(&[0; 9000]).is_none());
        a.reset();
        assert_eq!(a.used(), 0);
    }
}
