//! ELF loader tests: images are built by hand in memory, then loaded, corrupted,
//! truncated and fuzzed. Every malformed input must give its own error, never a panic.

use mkjit_runtime::loader::{load_elf, LoadError};
use mkjit_runtime::ram::{Ram, RAM_BASE};
use proptest::prelude::*;

const RAM_SIZE: u64 = 1 << 20;
const PT_LOAD: u32 = 1;
const PT_NOTE: u32 = 4;
const EM_RISCV: u16 = 243;
const ET_EXEC: u16 = 2;
const ET_DYN: u16 = 3;
const SHT_SYMTAB: u32 = 2;
const SHT_STRTAB: u32 = 3;

/// Offsets of header fields that tests corrupt.
const E_TYPE: usize = 16;
const E_MACHINE: usize = 18;
const E_ENTRY: usize = 24;
const E_PHENTSIZE: usize = 54;
const E_PHNUM: usize = 56;
const PHDRS: usize = 64;
const PHDR_SIZE: usize = 56;

#[derive(Clone)]
struct Seg {
    ptype: u32,
    vaddr: u64,
    paddr: u64,
    data: Vec<u8>,
    memsz: u64,
}

fn seg(paddr: u64, data: &[u8], memsz: u64) -> Seg {
    Seg { ptype: PT_LOAD, vaddr: paddr, paddr, data: data.to_vec(), memsz }
}

/// A minimal ELF64 little-endian RISC-V image writer.
#[derive(Clone)]
struct Elf {
    etype: u16,
    entry: u64,
    segs: Vec<Seg>,
    symbols: Vec<(&'static str, u64)>,
}

fn put16(b: &mut [u8], off: usize, v: u16) {
    b[off..off + 2].copy_from_slice(&v.to_le_bytes());
}
fn put32(b: &mut [u8], off: usize, v: u32) {
    b[off..off + 4].copy_from_slice(&v.to_le_bytes());
}
fn put64(b: &mut [u8], off: usize, v: u64) {
    b[off..off + 8].copy_from_slice(&v.to_le_bytes());
}
/// Offset of field `field` of program header `i`.
fn ph(i: usize, field: usize) -> usize {
    PHDRS + i * PHDR_SIZE + field
}
const P_OFFSET: usize = 8;
const P_PADDR: usize = 24;
const P_FILESZ: usize = 32;
const P_MEMSZ: usize = 40;

impl Elf {
    fn new(entry: u64, segs: Vec<Seg>) -> Self {
        Self { etype: ET_EXEC, entry, segs, symbols: Vec::new() }
    }

    fn with_symbols(mut self, symbols: &[(&'static str, u64)]) -> Self {
        self.symbols = symbols.to_vec();
        self
    }

    fn bytes(&self) -> Vec<u8> {
        let mut b = vec![0u8; PHDRS + PHDR_SIZE * self.segs.len()];
        b[..4].copy_from_slice(b"\x7fELF");
        b[4] = 2; // ELFCLASS64
        b[5] = 1; // little-endian
        b[6] = 1; // EV_CURRENT
        put16(&mut b, E_TYPE, self.etype);
        put16(&mut b, E_MACHINE, EM_RISCV);
        put32(&mut b, 20, 1);
        put64(&mut b, E_ENTRY, self.entry);
        put64(&mut b, 32, PHDRS as u64);
        put16(&mut b, 52, 64);
        put16(&mut b, E_PHENTSIZE, PHDR_SIZE as u16);
        put16(&mut b, E_PHNUM, self.segs.len() as u16);
        for (i, s) in self.segs.iter().enumerate() {
            let offset = b.len() as u64;
            put32(&mut b, ph(i, 0), s.ptype);
            put32(&mut b, ph(i, 4), 7);
            put64(&mut b, ph(i, P_OFFSET), offset);
            put64(&mut b, ph(i, 16), s.vaddr);
            put64(&mut b, ph(i, P_PADDR), s.paddr);
            put64(&mut b, ph(i, P_FILESZ), s.data.len() as u64);
            put64(&mut b, ph(i, P_MEMSZ), s.memsz);
            put64(&mut b, ph(i, 48), 8);
            b.extend_from_slice(&s.data);
        }
        if !self.symbols.is_empty() {
            self.append_symtab(&mut b);
        }
        b
    }

    /// Appends `.symtab`, `.strtab` and a section header table (null, symtab, strtab).
    fn append_symtab(&self, b: &mut Vec<u8>) {
        let mut strtab = vec![0u8];
        let mut symtab = vec![0u8; 24]; // null symbol
        for &(name, value) in &self.symbols {
            let mut sym = [0u8; 24];
            put32(&mut sym, 0, strtab.len() as u32);
            sym[4] = 0x11; // GLOBAL OBJECT
            put16(&mut sym, 6, 1); // defined in some section
            put64(&mut sym, 8, value);
            put64(&mut sym, 16, 8);
            symtab.extend_from_slice(&sym);
            strtab.extend_from_slice(name.as_bytes());
            strtab.push(0);
        }
        let symtab_off = b.len() as u64;
        b.extend_from_slice(&symtab);
        let strtab_off = b.len() as u64;
        b.extend_from_slice(&strtab);
        while !b.len().is_multiple_of(8) {
            b.push(0);
        }
        let shoff = b.len() as u64;
        let mut sh = vec![0u8; 64 * 3];
        put32(&mut sh, 64 + 4, SHT_SYMTAB);
        put64(&mut sh, 64 + 24, symtab_off);
        put64(&mut sh, 64 + 32, symtab.len() as u64);
        put32(&mut sh, 64 + 40, 2); // sh_link -> strtab
        put64(&mut sh, 64 + 56, 24);
        put32(&mut sh, 128 + 4, SHT_STRTAB);
        put64(&mut sh, 128 + 24, strtab_off);
        put64(&mut sh, 128 + 32, strtab.len() as u64);
        b.extend_from_slice(&sh);
        put64(b, 40, shoff);
        put16(b, 58, 64);
        put16(b, 60, 3);
    }
}

fn ram() -> Ram {
    Ram::new(RAM_SIZE).expect("ram")
}

/// A typical image: text at RAM_BASE, data with a .bss tail 4 KiB later.
fn sample() -> Elf {
    Elf::new(
        RAM_BASE,
        vec![seg(RAM_BASE, &[0x13, 0, 0, 0, 0x73, 0, 0x10, 0], 8), seg(RAM_BASE + 0x1000, b"data", 0x100)],
    )
}

fn load(bytes: &[u8]) -> Result<mkjit_runtime::loader::Image, LoadError> {
    load_elf(bytes, &mut ram())
}

fn err(bytes: &[u8]) -> LoadError {
    load(bytes).expect_err("image must be rejected")
}

#[test]
fn loads_segments_and_zeroes_the_rest() {
    let mut r = ram();
    r.bytes_mut().fill(0xaa);
    let img = load_elf(&sample().bytes(), &mut r).expect("load");
    assert_eq!(img.entry, RAM_BASE);
    assert_eq!(r.slice(RAM_BASE, 8), Some(&[0x13, 0, 0, 0, 0x73, 0, 0x10, 0][..]));
    assert_eq!(r.slice(RAM_BASE + 0x1000, 4), Some(&b"data"[..]));
    assert!(r.slice(RAM_BASE + 0x1004, 0xfc).expect("bss").iter().all(|&b| b == 0));
    assert_eq!(r.read(RAM_BASE + 0x1100, 1), Some(0xaa), "past memsz is untouched");
    assert_eq!(r.read(RAM_BASE + 8, 1), Some(0xaa), "gap between segments untouched");
    assert_eq!(img.segments.len(), 2);
    assert_eq!(img.segments[1].memsz, 0x100);
    assert_eq!(img.end(), RAM_BASE + 0x1100);
    assert_eq!((img.tohost, img.fromhost), (None, None));
}

#[test]
fn finds_tohost_and_fromhost() {
    let elf = sample().with_symbols(&[("other", 1), ("fromhost", RAM_BASE + 0x1040), ("tohost", RAM_BASE + 0x1000)]);
    let img = load(&elf.bytes()).expect("load");
    assert_eq!(img.tohost, Some(RAM_BASE + 0x1000));
    assert_eq!(img.fromhost, Some(RAM_BASE + 0x1040));
}

#[test]
fn symbols_are_translated_to_physical_addresses() {
    let mut elf = sample().with_symbols(&[("tohost", 0xffff_ffff_c000_1008)]);
    elf.segs[1].vaddr = 0xffff_ffff_c000_1000;
    let img = load(&elf.bytes()).expect("load");
    assert_eq!(img.tohost, Some(RAM_BASE + 0x1008));
    assert_eq!(img.fromhost, None);
}

#[test]
fn accepts_dyn_at_its_physical_address() {
    let mut elf = sample();
    elf.etype = ET_DYN;
    let img = load(&elf.bytes()).expect("load");
    assert_eq!(img.segments[0].paddr, RAM_BASE);
}

#[test]
fn ignores_non_load_and_empty_segments() {
    let mut elf = sample();
    elf.segs.push(Seg { ptype: PT_NOTE, vaddr: 0, paddr: 0, data: vec![1, 2, 3], memsz: 3 });
    elf.segs.push(seg(0, &[], 0));
    let img = load(&elf.bytes()).expect("load");
    assert_eq!(img.segments.len(), 2);
}

#[test]
fn empty_file() {
    assert_eq!(err(&[]), LoadError::Empty);
}

#[test]
fn truncated_header() {
    let bytes = sample().bytes();
    assert_eq!(err(&bytes[..40]), LoadError::TruncatedHeader(40));
    assert_eq!(err(&bytes[..63]), LoadError::TruncatedHeader(63));
}

#[test]
fn truncated_program_headers() {
    let bytes = sample().bytes();
    let e = err(&bytes[..PHDRS + 70]);
    assert_eq!(e, LoadError::TruncatedProgramHeaders { offset: 64, count: 2, needed: 176, len: 134 });
    assert_eq!(e.to_string(), "truncated program headers: 2 entries at offset 0x40 need 176 bytes, the file has 134");
    let mut b = sample().bytes();
    put64(&mut b, 32, u64::MAX - 8);
    assert!(matches!(err(&b), LoadError::TruncatedProgramHeaders { .. }));
}

#[test]
fn random_bytes() {
    assert!(matches!(err(b"#!/bin/sh\necho hi\n"), LoadError::BadMagic(_)));
    assert!(matches!(err(&[0xde, 0xad]), LoadError::BadMagic(_)));
}

#[test]
fn elf32_and_big_endian() {
    let mut b = sample().bytes();
    b[4] = 1;
    assert_eq!(err(&b), LoadError::NotElf64(1));
    let mut b = sample().bytes();
    b[5] = 2;
    assert_eq!(err(&b), LoadError::NotLittleEndian(2));
}

#[test]
fn wrong_machine_and_type() {
    let mut b = sample().bytes();
    put16(&mut b, E_MACHINE, 62);
    assert_eq!(err(&b), LoadError::WrongMachine(62));
    assert_eq!(err(&b).to_string(), "ELF machine 62 is not RISC-V (243)");
    let mut b = sample().bytes();
    put16(&mut b, E_TYPE, 1);
    assert_eq!(err(&b), LoadError::WrongType(1));
}

#[test]
fn bad_program_header_size() {
    let mut b = sample().bytes();
    put16(&mut b, E_PHENTSIZE, 32);
    assert_eq!(err(&b), LoadError::BadProgramHeaderSize(32));
}

#[test]
fn no_loadable_segment() {
    let none = Elf::new(RAM_BASE, vec![]);
    assert_eq!(err(&none.bytes()), LoadError::NoLoadableSegment);
    let note_only = Elf::new(RAM_BASE, vec![Seg { ptype: PT_NOTE, vaddr: 0, paddr: 0, data: vec![0; 4], memsz: 4 }]);
    assert_eq!(err(&note_only.bytes()), LoadError::NoLoadableSegment);
}

#[test]
fn segment_outside_ram() {
    let mut elf = sample();
    elf.segs.insert(2, seg(0x1000, &[0; 16], 0x1000));
    let e = err(&elf.bytes());
    assert_eq!(e.to_string(), "segment 2 at 0x1000..0x2000 lies outside RAM 0x80000000..0x80100000");
    // Straddling the end of RAM.
    let straddle = Elf::new(RAM_BASE, vec![seg(RAM_BASE + RAM_SIZE - 4, &[1; 4], 8)]);
    assert!(matches!(err(&straddle.bytes()), LoadError::SegmentOutsideRam { index: 0, .. }));
}

#[test]
fn segment_sizes() {
    let mut b = sample().bytes();
    put64(&mut b, ph(1, P_FILESZ), 0x200);
    assert_eq!(err(&b), LoadError::FileSizeExceedsMemSize { index: 1, filesz: 0x200, memsz: 0x100 });
    let mut b = sample().bytes();
    put64(&mut b, ph(1, P_MEMSZ), 0x10_0000);
    put64(&mut b, ph(1, P_FILESZ), 0x1000);
    assert!(matches!(err(&b), LoadError::SegmentOutsideFile { index: 1, .. }));
    let mut b = sample().bytes();
    put64(&mut b, ph(0, P_OFFSET), u64::MAX);
    let e = err(&b);
    assert!(matches!(e, LoadError::SegmentOutsideFile { index: 0, .. }), "{e}");
    let mut b = sample().bytes();
    put64(&mut b, ph(0, P_PADDR), u64::MAX - 2);
    assert_eq!(err(&b), LoadError::SegmentOverflow { index: 0, paddr: u64::MAX - 2, memsz: 8 });
}

#[test]
fn overlapping_segments() {
    let elf = Elf::new(RAM_BASE, vec![seg(RAM_BASE, &[1; 16], 0x100), seg(RAM_BASE + 0x80, &[2; 4], 4)]);
    assert_eq!(err(&elf.bytes()), LoadError::SegmentsOverlap { first: 0, second: 1, at: RAM_BASE + 0x80 });
}

#[test]
fn entry_outside_segments() {
    let mut b = sample().bytes();
    put64(&mut b, E_ENTRY, RAM_BASE + 0x800);
    assert_eq!(err(&b), LoadError::EntryOutsideSegments(RAM_BASE + 0x800));
    assert_eq!(err(&b).to_string(), "entry point 0x80000800 lies outside every loaded segment");
}

#[test]
fn bad_symbol_table() {
    let mut b = sample().with_symbols(&[("tohost", RAM_BASE)]).bytes();
    let shoff = u64::from_le_bytes(b[40..48].try_into().expect("shoff")) as usize;
    put32(&mut b, shoff + 64 + 40, 9); // sh_link out of range
    assert!(matches!(err(&b), LoadError::BadSymbolTable(_)));
    let mut b = sample().with_symbols(&[("tohost", RAM_BASE)]).bytes();
    put64(&mut b, shoff + 64 + 32, 1 << 40); // symtab size past the file
    assert!(matches!(err(&b), LoadError::BadSymbolTable(_)));
    let mut b = sample().with_symbols(&[("tohost", RAM_BASE)]).bytes();
    put16(&mut b, 60, 100); // more section headers than the file holds
    assert!(matches!(err(&b), LoadError::BadSymbolTable(_)));
}

#[test]
fn rejected_image_leaves_ram_untouched() {
    let mut elf = sample();
    elf.segs.push(seg(0x1000, &[0; 4], 4));
    let mut r = ram();
    assert!(load_elf(&elf.bytes(), &mut r).is_err());
    assert!(r.bytes().iter().all(|&b| b == 0));
}

#[test]
fn error_messages_are_distinct_single_lines() {
    let mut cases: Vec<Vec<u8>> = vec![vec![], b"\x7fELF\x02\x01\x01".to_vec(), b"garbage!".to_vec()];
    let base = sample().bytes();
    let mut edit = |f: &dyn Fn(&mut Vec<u8>)| {
        let mut b = base.clone();
        f(&mut b);
        cases.push(b);
    };
    edit(&|b| b[4] = 1);
    edit(&|b| b[5] = 2);
    edit(&|b| put16(b, E_MACHINE, 3));
    edit(&|b| put16(b, E_TYPE, 4));
    edit(&|b| put16(b, E_PHENTSIZE, 1));
    edit(&|b| b.truncate(100));
    edit(&|b| put16(b, E_PHNUM, 0));
    edit(&|b| put64(b, ph(0, P_FILESZ), 9));
    edit(&|b| put64(b, ph(0, P_OFFSET), 1 << 20));
    edit(&|b| put64(b, ph(0, P_PADDR), u64::MAX));
    edit(&|b| put64(b, ph(0, P_PADDR), 0));
    edit(&|b| put64(b, ph(1, P_PADDR), RAM_BASE));
    edit(&|b| put64(b, E_ENTRY, 0));
    let mut seen = std::collections::HashSet::new();
    for bytes in &cases {
        let e = err(bytes);
        let kind = format!("{e:?}").split(['(', ' ', '{']).next().unwrap_or_default().to_owned();
        let msg = e.to_string();
        assert!(!msg.contains('\n'), "{msg}");
        assert!(seen.insert(kind.clone()), "variant {kind} repeated: {msg}");
    }
    assert_eq!(seen.len(), cases.len());
}

#[test]
fn every_truncation_is_rejected_without_panic() {
    let bytes = sample().with_symbols(&[("tohost", RAM_BASE + 0x1000)]).bytes();
    let mut r = ram();
    for len in 0..bytes.len() {
        let result = load_elf(&bytes[..len], &mut r);
        // The section header table ends the file, so every proper prefix is malformed.
        assert!(result.is_err(), "prefix of {len} bytes was accepted");
    }
    assert!(load_elf(&bytes, &mut r).is_ok());
}

#[test]
fn every_single_byte_mutation_is_handled() {
    let bytes = sample().with_symbols(&[("tohost", RAM_BASE + 0x1000)]).bytes();
    let mut r = ram();
    for i in 0..bytes.len() {
        for value in [0x00, 0x01, 0x7f, 0x80, 0xff] {
            let mut mutated = bytes.clone();
            mutated[i] = value;
            let _ = load_elf(&mutated, &mut r);
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn random_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
        let _ = load(&bytes);
    }

    #[test]
    fn random_bytes_behind_a_valid_ident_never_panic(tail in proptest::collection::vec(any::<u8>(), 0..512)) {
        let mut bytes = b"\x7fELF\x02\x01\x01\x00".to_vec();
        bytes.extend_from_slice(&tail);
        let _ = load(&bytes);
    }

    #[test]
    fn corrupted_images_never_panic(
        edits in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..12),
        cut in any::<prop::sample::Index>(),
        truncate in any::<bool>(),
    ) {
        let mut bytes = sample().with_symbols(&[("tohost", RAM_BASE + 0x1000), ("fromhost", RAM_BASE + 0x1008)]).bytes();
        for (at, value) in edits {
            let i = at.index(bytes.len());
            bytes[i] = value;
        }
        if truncate {
            bytes.truncate(cut.index(bytes.len()));
        }
        let _ = load(&bytes);
    }
}
