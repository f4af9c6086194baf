//! ELF kernel loading: validates a little-endian ELF64 RISC-V image and copies
//! its loadable segments into guest RAM.
//!
//! As QEMU does for `-kernel`, every `PT_LOAD` segment is placed at its
//! *physical* address `p_paddr`, without relocation (`ET_DYN` images are
//! accepted and loaded the same way). The file bytes are copied and the rest
//! of `p_memsz` is zeroed. Segments with `p_memsz == 0` are ignored. Every
//! segment is checked before any byte is written, so a rejected image leaves
//! RAM untouched. The entry point must lie inside a loaded segment's physical
//! range, since the hart starts with translation off.
//!
//! The `tohost` / `fromhost` symbols (riscv-tests' HTIF mailbox) are looked up
//! in `.symtab` when the file has one; their values are translated from a
//! segment's virtual to its physical range when they fall inside one.
//!
//! Malformed input never panics: every offset and size read from the file is
//! bounds-checked with checked arithmetic, and each kind of defect has its own
//! [`LoadError`] variant.

use crate::ram::{Ram, RAM_BASE};
use goblin::container::{Container, Ctx, Endian};
use goblin::elf::header::{self, Header};
use goblin::elf::program_header::{ProgramHeader, PT_LOAD};
use goblin::elf::section_header::{SectionHeader, SHT_SYMTAB};
use goblin::elf::sym::Sym;

/// Size of an ELF64 file header.
const EHDR_SIZE: usize = 64;
/// Size of an ELF64 program header.
const PHDR_SIZE: u64 = 56;
/// Size of an ELF64 section header.
const SHDR_SIZE: u64 = 64;
/// Size of an ELF64 symbol.
const SYM_SIZE: u64 = 24;

/// Errors loading a kernel image.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum LoadError {
    /// The image could not be parsed (a parser error not covered below).
    #[error("not a valid ELF file: {0}")]
    Malformed(String),
    /// The file is empty.
    #[error("the kernel image is empty (0 bytes)")]
    Empty,
    /// The file does not start with `\x7fELF`.
    #[error("not an ELF file: magic is {0:02x?}, expected [7f, 45, 4c, 46]")]
    BadMagic(Vec<u8>),
    /// `EI_CLASS` is not ELFCLASS64.
    #[error("ELF class {0} is not supported: only ELFCLASS64 (2) images can be loaded")]
    NotElf64(u8),
    /// `EI_DATA` is not little-endian.
    #[error("ELF data encoding {0} is not supported: only little-endian (1) images can be loaded")]
    NotLittleEndian(u8),
    /// The file is shorter than the ELF64 header.
    #[error("truncated ELF header: the file has {0} bytes, the ELF64 header needs 64")]
    TruncatedHeader(usize),
    /// `e_machine` is not RISC-V.
    #[error("ELF machine {0} is not RISC-V (243)")]
    WrongMachine(u16),
    /// `e_type` is neither `ET_EXEC` nor `ET_DYN`.
    #[error("ELF type {0} is not loadable: only EXEC (2) and DYN (3) are")]
    WrongType(u16),
    /// `e_phentsize` is not the ELF64 program header size.
    #[error("program header entry size {0} is not 56")]
    BadProgramHeaderSize(u16),
    /// The program header table extends past the end of the file.
    #[error(
        "truncated program headers: {count} entries at offset {offset:#x} need {needed} bytes, the file has {len}"
    )]
    TruncatedProgramHeaders {
        /// `e_phoff`.
        offset: u64,
        /// `e_phnum`.
        count: u16,
        /// Bytes needed up to the end of the table.
        needed: u128,
        /// File length.
        len: usize,
    },
    /// No `PT_LOAD` segment with a non-zero size.
    #[error("no loadable segment: the image has no PT_LOAD segment with a non-zero memory size")]
    NoLoadableSegment,
    /// A segment's file size exceeds its memory size.
    #[error("segment {index} has file size {filesz:#x} larger than its memory size {memsz:#x}")]
    FileSizeExceedsMemSize {
        /// Program header index.
        index: usize,
        /// `p_filesz`.
        filesz: u64,
        /// `p_memsz`.
        memsz: u64,
    },
    /// A segment's file bytes extend past the end of the file.
    #[error("segment {index} file bytes {offset:#x}..{end:#x} lie outside the {len}-byte file")]
    SegmentOutsideFile {
        /// Program header index.
        index: usize,
        /// `p_offset`.
        offset: u64,
        /// `p_offset + p_filesz` (may exceed `u64::MAX`).
        end: u128,
        /// File length.
        len: usize,
    },
    /// A segment's physical range wraps around the address space.
    #[error("segment {index} at {paddr:#x} with memory size {memsz:#x} wraps around the address space")]
    SegmentOverflow {
        /// Program header index.
        index: usize,
        /// `p_paddr`.
        paddr: u64,
        /// `p_memsz`.
        memsz: u64,
    },
    /// A segment's physical range is not wholly inside RAM.
    #[error("segment {index} at {start:#x}..{end:#x} lies outside RAM {ram_start:#x}..{ram_end:#x}")]
    SegmentOutsideRam {
        /// Program header index.
        index: usize,
        /// `p_paddr`.
        start: u64,
        /// `p_paddr + p_memsz`.
        end: u64,
        /// First byte of RAM.
        ram_start: u64,
        /// End of RAM (exclusive).
        ram_end: u64,
    },
    /// Two segments overlap in physical memory.
    #[error("segments {first} and {second} overlap in physical memory at {at:#x}")]
    SegmentsOverlap {
        /// Index of the lower segment.
        first: usize,
        /// Index of the segment starting inside it.
        second: usize,
        /// Start of the second segment.
        at: u64,
    },
    /// The entry point is not inside any loaded segment.
    #[error("entry point {0:#x} lies outside every loaded segment")]
    EntryOutsideSegments(u64),
    /// The section header table or the symbol table is malformed.
    #[error("bad symbol table: {0}")]
    BadSymbolTable(String),
}

/// A segment copied into RAM.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Segment {
    /// Index of its program header.
    pub index: usize,
    /// Physical (load) address.
    pub paddr: u64,
    /// Virtual (link) address.
    pub vaddr: u64,
    /// Bytes copied from the file.
    pub filesz: u64,
    /// Bytes occupied in RAM (the tail past `filesz` is zeroed).
    pub memsz: u64,
    /// `p_flags` (`PF_R` = 4, `PF_W` = 2, `PF_X` = 1).
    pub flags: u32,
}

impl Segment {
    /// End of the physical range (exclusive); cannot overflow for a loaded segment.
    pub fn end(&self) -> u64 {
        self.paddr.saturating_add(self.memsz)
    }

    fn contains_paddr(&self, addr: u64) -> bool {
        addr >= self.paddr && addr - self.paddr < self.memsz
    }

    /// The physical address of virtual address `addr`, if it is in this segment.
    fn translate(&self, addr: u64) -> Option<u64> {
        let off = addr.checked_sub(self.vaddr).filter(|&off| off < self.memsz)?;
        Some(self.paddr + off)
    }
}

/// What the loader learned from an image.
#[derive(Clone, Debug, Default)]
pub struct Image {
    /// Entry point.
    pub entry: u64,
    /// Address of the `tohost` symbol, if any.
    pub tohost: Option<u64>,
    /// Address of the `fromhost` symbol, if any.
    pub fromhost: Option<u64>,
    /// The segments loaded, in program header order.
    pub segments: Vec<Segment>,
}

impl Image {
    /// The end (exclusive) of the highest loaded segment, e.g. to place a device tree after the kernel.
    pub fn end(&self) -> u64 {
        self.segments.iter().map(Segment::end).max().unwrap_or(RAM_BASE)
    }
}

/// Loads an ELF image into RAM.
pub fn load_elf(bytes: &[u8], ram: &mut Ram) -> Result<Image, LoadError> {
    let header = parse_header(bytes)?;
    let ctx = Ctx::new(Container::Big, Endian::Little);
    let phdrs = program_headers(bytes, &header, ctx)?;
    let segments = plan_segments(bytes, &phdrs, ram)?;
    let entry = header.e_entry;
    if !segments.iter().any(|s| s.contains_paddr(entry)) {
        return Err(LoadError::EntryOutsideSegments(entry));
    }
    let symbols = find_symbols(bytes, &header, ctx, &["tohost", "fromhost"])?;
    for (seg, ph) in segments.iter().zip(phdrs.iter().filter(|ph| is_loadable(ph))) {
        copy_segment(bytes, ph, seg, ram)?;
    }
    let translate = |addr: u64| segments.iter().find_map(|s| s.translate(addr)).unwrap_or(addr);
    Ok(Image { entry, tohost: symbols[0].map(translate), fromhost: symbols[1].map(translate), segments })
}

/// Checks the identification bytes and parses the ELF64 header.
fn parse_header(bytes: &[u8]) -> Result<Header, LoadError> {
    if bytes.is_empty() {
        return Err(LoadError::Empty);
    }
    let magic_len = bytes.len().min(header::SELFMAG);
    if bytes[..magic_len] != header::ELFMAG[..magic_len] {
        return Err(LoadError::BadMagic(bytes[..magic_len].to_vec()));
    }
    if let Some(&class) = bytes.get(header::EI_CLASS) {
        if class != header::ELFCLASS64 {
            return Err(LoadError::NotElf64(class));
        }
    }
    if let Some(&data) = bytes.get(header::EI_DATA) {
        if data != header::ELFDATA2LSB {
            return Err(LoadError::NotLittleEndian(data));
        }
    }
    if bytes.len() < EHDR_SIZE {
        return Err(LoadError::TruncatedHeader(bytes.len()));
    }
    let header = goblin::elf::Elf::parse_header(bytes).map_err(|e| LoadError::Malformed(e.to_string()))?;
    if header.e_machine != header::EM_RISCV {
        return Err(LoadError::WrongMachine(header.e_machine));
    }
    if header.e_type != header::ET_EXEC && header.e_type != header::ET_DYN {
        return Err(LoadError::WrongType(header.e_type));
    }
    Ok(header)
}

/// Parses the program header table after checking that it lies inside the file.
fn program_headers(bytes: &[u8], header: &Header, ctx: Ctx) -> Result<Vec<ProgramHeader>, LoadError> {
    let count = header.e_phnum;
    if count == 0 {
        return Err(LoadError::NoLoadableSegment);
    }
    if u64::from(header.e_phentsize) != PHDR_SIZE {
        return Err(LoadError::BadProgramHeaderSize(header.e_phentsize));
    }
    let offset = header.e_phoff;
    let needed = u128::from(offset) + u128::from(count) * u128::from(PHDR_SIZE);
    if needed > bytes.len() as u128 {
        return Err(LoadError::TruncatedProgramHeaders { offset, count, needed, len: bytes.len() });
    }
    // `needed` fits in the file length, so `offset` fits in usize.
    let start = usize::try_from(offset).map_err(|e| LoadError::Malformed(e.to_string()))?;
    ProgramHeader::parse(bytes, start, usize::from(count), ctx).map_err(|e| LoadError::Malformed(e.to_string()))
}

fn is_loadable(ph: &ProgramHeader) -> bool {
    ph.p_type == PT_LOAD && ph.p_memsz > 0
}

/// Validates every loadable segment against the file and RAM, without writing anything.
fn plan_segments(bytes: &[u8], phdrs: &[ProgramHeader], ram: &Ram) -> Result<Vec<Segment>, LoadError> {
    let mut segments = Vec::new();
    for (index, ph) in phdrs.iter().enumerate().filter(|(_, ph)| is_loadable(ph)) {
        segments.push(check_segment(bytes, index, ph, ram)?);
    }
    if segments.is_empty() {
        return Err(LoadError::NoLoadableSegment);
    }
    check_overlaps(&segments)?;
    Ok(segments)
}

fn check_segment(bytes: &[u8], index: usize, ph: &ProgramHeader, ram: &Ram) -> Result<Segment, LoadError> {
    let (filesz, memsz, paddr) = (ph.p_filesz, ph.p_memsz, ph.p_paddr);
    if filesz > memsz {
        return Err(LoadError::FileSizeExceedsMemSize { index, filesz, memsz });
    }
    let file_end = u128::from(ph.p_offset) + u128::from(filesz);
    if file_end > bytes.len() as u128 {
        return Err(LoadError::SegmentOutsideFile { index, offset: ph.p_offset, end: file_end, len: bytes.len() });
    }
    let end = paddr.checked_add(memsz).ok_or(LoadError::SegmentOverflow { index, paddr, memsz })?;
    if !ram.contains(paddr, memsz) {
        let ram_end = RAM_BASE.saturating_add(ram.size());
        return Err(LoadError::SegmentOutsideRam { index, start: paddr, end, ram_start: RAM_BASE, ram_end });
    }
    Ok(Segment { index, paddr, vaddr: ph.p_vaddr, filesz, memsz, flags: ph.p_flags })
}

/// Rejects segments whose physical ranges overlap (QEMU refuses overlapping blobs too).
fn check_overlaps(segments: &[Segment]) -> Result<(), LoadError> {
    let mut sorted: Vec<&Segment> = segments.iter().collect();
    sorted.sort_by_key(|s| (s.paddr, s.index));
    for pair in sorted.windows(2) {
        if let [a, b] = pair {
            if b.paddr < a.end() {
                return Err(LoadError::SegmentsOverlap { first: a.index, second: b.index, at: b.paddr });
            }
        }
    }
    Ok(())
}

/// Copies a validated segment's file bytes into RAM and zeroes the rest.
fn copy_segment(bytes: &[u8], ph: &ProgramHeader, seg: &Segment, ram: &mut Ram) -> Result<(), LoadError> {
    let internal = || LoadError::Malformed(format!("segment {} changed between checks", seg.index));
    let start = usize::try_from(ph.p_offset).map_err(|_| internal())?;
    let len = usize::try_from(seg.filesz).map_err(|_| internal())?;
    let src = start.checked_add(len).and_then(|end| bytes.get(start..end)).ok_or_else(internal)?;
    let dst = ram.slice_mut(seg.paddr, seg.memsz).ok_or_else(internal)?;
    let (head, tail) = dst.split_at_mut(len.min(dst.len()));
    head.copy_from_slice(src.get(..head.len()).ok_or_else(internal)?);
    tail.fill(0);
    Ok(())
}

/// Values of the named symbols (first defined symbol of each name) from `.symtab`.
fn find_symbols<const N: usize>(
    bytes: &[u8],
    header: &Header,
    ctx: Ctx,
    names: &[&str; N],
) -> Result<[Option<u64>; N], LoadError> {
    let mut found = [None; N];
    let sections = section_headers(bytes, header, ctx)?;
    let Some(symtab) = sections.iter().find(|s| s.sh_type == SHT_SYMTAB) else {
        return Ok(found);
    };
    let strtab = usize::try_from(symtab.sh_link)
        .ok()
        .and_then(|i| sections.get(i))
        .ok_or_else(|| bad_symtab(format!("string table index {} out of range", symtab.sh_link)))?;
    let strings = section_bytes(bytes, strtab, "string table")?;
    for sym in symbols(bytes, symtab, ctx)? {
        if sym.st_shndx == 0 {
            continue; // undefined
        }
        let Some(name) = symbol_name(strings, sym.st_name) else { continue };
        for (slot, wanted) in found.iter_mut().zip(names) {
            if slot.is_none() && name == wanted.as_bytes() {
                *slot = Some(sym.st_value);
            }
        }
    }
    Ok(found)
}

fn bad_symtab(msg: String) -> LoadError {
    LoadError::BadSymbolTable(msg)
}

/// The section header table, empty when the file has none.
fn section_headers(bytes: &[u8], header: &Header, ctx: Ctx) -> Result<Vec<SectionHeader>, LoadError> {
    if header.e_shoff == 0 || header.e_shnum == 0 {
        return Ok(Vec::new());
    }
    if u64::from(header.e_shentsize) != SHDR_SIZE {
        return Err(bad_symtab(format!("section header entry size {} is not 64", header.e_shentsize)));
    }
    let end = u128::from(header.e_shoff) + u128::from(header.e_shnum) * u128::from(SHDR_SIZE);
    if end > bytes.len() as u128 {
        return Err(bad_symtab(format!(
            "{} section headers at offset {:#x} extend past the end of the {}-byte file",
            header.e_shnum,
            header.e_shoff,
            bytes.len()
        )));
    }
    let offset = usize::try_from(header.e_shoff).map_err(|e| bad_symtab(e.to_string()))?;
    SectionHeader::parse(bytes, offset, usize::from(header.e_shnum), ctx).map_err(|e| bad_symtab(e.to_string()))
}

/// A section's contents, bounds-checked.
fn section_bytes<'a>(bytes: &'a [u8], section: &SectionHeader, what: &str) -> Result<&'a [u8], LoadError> {
    let out_of_file = || {
        bad_symtab(format!(
            "{what} at offset {:#x} with size {:#x} lies outside the {}-byte file",
            section.sh_offset,
            section.sh_size,
            bytes.len()
        ))
    };
    let start = usize::try_from(section.sh_offset).map_err(|_| out_of_file())?;
    let len = usize::try_from(section.sh_size).map_err(|_| out_of_file())?;
    start.checked_add(len).and_then(|end| bytes.get(start..end)).ok_or_else(out_of_file)
}

fn symbols(bytes: &[u8], symtab: &SectionHeader, ctx: Ctx) -> Result<Vec<Sym>, LoadError> {
    if symtab.sh_entsize != SYM_SIZE {
        return Err(bad_symtab(format!("symbol entry size {} is not 24", symtab.sh_entsize)));
    }
    let table = section_bytes(bytes, symtab, "symbol table")?;
    let count = table.len() / SYM_SIZE as usize;
    Sym::parse(table, 0, count, ctx).map_err(|e| bad_symtab(e.to_string()))
}

/// The NUL-terminated name at `offset` in a string table.
fn symbol_name(strings: &[u8], offset: usize) -> Option<&[u8]> {
    let tail = strings.get(offset..)?;
    let len = tail.iter().position(|&b| b == 0)?;
    tail.get(..len)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_checks_in_order() {
        assert_eq!(parse_header(&[]).unwrap_err(), LoadError::Empty);
        assert_eq!(parse_header(b"\x7fEL").unwrap_err(), LoadError::TruncatedHeader(3));
        assert_eq!(parse_header(b"MZ\x90\x00").unwrap_err(), LoadError::BadMagic(b"MZ\x90\x00".to_vec()));
        assert_eq!(parse_header(b"\x7fELF\x01\x01").unwrap_err(), LoadError::NotElf64(1));
        assert_eq!(parse_header(b"\x7fELF\x02\x02").unwrap_err(), LoadError::NotLittleEndian(2));
        assert_eq!(parse_header(b"\x7fELF\x02\x01\x01").unwrap_err(), LoadError::TruncatedHeader(7));
    }

    #[test]
    fn symbol_names() {
        let strtab = b"\0tohost\0from";
        assert_eq!(symbol_name(strtab, 1), Some(&b"tohost"[..]));
        assert_eq!(symbol_name(strtab, 0), Some(&b""[..]));
        assert_eq!(symbol_name(strtab, 8), None, "unterminated");
        assert_eq!(symbol_name(strtab, 100), None);
    }

    #[test]
    fn overlap_detection() {
        let seg = |index, paddr, memsz| Segment { index, paddr, vaddr: paddr, filesz: 0, memsz, flags: 0 };
        assert!(check_overlaps(&[seg(0, 0x100, 0x100), seg(1, 0x200, 0x10)]).is_ok());
        assert_eq!(
            check_overlaps(&[seg(0, 0x200, 0x100), seg(1, 0x100, 0x101)]),
            Err(LoadError::SegmentsOverlap { first: 1, second: 0, at: 0x200 })
        );
    }

    #[test]
    fn segment_translation() {
        let s =
            Segment { index: 0, paddr: 0x8000_0000, vaddr: 0xffff_ffff_8000_0000, filesz: 0, memsz: 0x1000, flags: 0 };
        assert_eq!(s.translate(0xffff_ffff_8000_0010), Some(0x8000_0010));
        assert_eq!(s.translate(0xffff_ffff_8000_1000), None);
        assert_eq!(s.translate(0x10), None);
        assert!(s.contains_paddr(0x8000_0fff));
        assert!(!s.contains_paddr(0x8000_1000));
    }
}
