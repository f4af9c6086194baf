//! A minimal ELF64 writer for RISC-V images: one loadable segment and an
//! optional symbol table. Tests and tools use it to turn code built with
//! [`crate::isa::encode::Asm`] into a bootable kernel image.

/// An image under construction.
#[derive(Clone, Debug)]
pub struct ElfBuilder {
    /// Load (and entry) address.
    pub base: u64,
    /// Segment contents.
    pub code: Vec<u8>,
    /// Extra zero-filled bytes after `code` in memory.
    pub bss: u64,
    /// Symbols: name and address.
    pub symbols: Vec<(String, u64)>,
}

impl ElfBuilder {
    /// An image whose single segment holds `code` at `base`, entered at `base`.
    pub fn new(base: u64, code: Vec<u8>) -> Self {
        Self { base, code, bss: 0, symbols: Vec::new() }
    }

    /// Serialises the image.
    pub fn build(&self) -> Vec<u8> {
        const EHDR: usize = 64;
        const PHDR: usize = 56;
        const SHDR: usize = 64;
        let code_off = 0x1000usize;
        let mut out = vec![0u8; code_off];
        out.extend_from_slice(&self.code);
        // String and symbol tables.
        let mut strtab = vec![0u8];
        let mut symtab = vec![0u8; 24];
        for (name, addr) in &self.symbols {
            let name_off = strtab.len() as u32;
            strtab.extend_from_slice(name.as_bytes());
            strtab.push(0);
            let mut s = [0u8; 24];
            s[0..4].copy_from_slice(&name_off.to_le_bytes());
            s[4] = 0x10; // STB_GLOBAL, STT_NOTYPE
            s[6..8].copy_from_slice(&1u16.to_le_bytes()); // section 1 (.text)
            s[8..16].copy_from_slice(&addr.to_le_bytes());
            symtab.extend_from_slice(&s);
        }
        let shstrtab = b"\0.text\0.symtab\0.strtab\0.shstrtab\0".to_vec();
        let align8 = |v: &mut Vec<u8>| v.resize(v.len().div_ceil(8) * 8, 0);
        align8(&mut out);
        let symtab_off = out.len();
        out.extend_from_slice(&symtab);
        let strtab_off = out.len();
        out.extend_from_slice(&strtab);
        let shstrtab_off = out.len();
        out.extend_from_slice(&shstrtab);
        align8(&mut out);
        let sh_off = out.len();
        let sh = |name: u32,
                  ty: u32,
                  flags: u64,
                  addr: u64,
                  off: usize,
                  size: usize,
                  link: u32,
                  info: u32,
                  align: u64,
                  entsize: u64| {
            let mut s = [0u8; SHDR];
            s[0..4].copy_from_slice(&name.to_le_bytes());
            s[4..8].copy_from_slice(&ty.to_le_bytes());
            s[8..16].copy_from_slice(&flags.to_le_bytes());
            s[16..24].copy_from_slice(&addr.to_le_bytes());
            s[24..32].copy_from_slice(&(off as u64).to_le_bytes());
            s[32..40].copy_from_slice(&(size as u64).to_le_bytes());
            s[40..44].copy_from_slice(&link.to_le_bytes());
            s[44..48].copy_from_slice(&info.to_le_bytes());
            s[48..56].copy_from_slice(&align.to_le_bytes());
            s[56..64].copy_from_slice(&entsize.to_le_bytes());
            s
        };
        let sections = [
            [0u8; SHDR],
            sh(1, 1, 6, self.base, code_off, self.code.len(), 0, 0, 4, 0),
            sh(7, 2, 0, 0, symtab_off, symtab.len(), 3, 1, 8, 24),
            sh(15, 3, 0, 0, strtab_off, strtab.len(), 0, 0, 1, 0),
            sh(23, 3, 0, 0, shstrtab_off, shstrtab.len(), 0, 0, 1, 0),
        ];
        for s in &sections {
            out.extend_from_slice(s);
        }
        // ELF header.
        let mut h = [0u8; EHDR];
        h[0..4].copy_from_slice(b"\x7fELF");
        h[4] = 2; // ELFCLASS64
        h[5] = 1; // little-endian
        h[6] = 1; // version
        h[16..18].copy_from_slice(&2u16.to_le_bytes()); // ET_EXEC
        h[18..20].copy_from_slice(&243u16.to_le_bytes()); // EM_RISCV
        h[20..24].copy_from_slice(&1u32.to_le_bytes());
        h[24..32].copy_from_slice(&self.base.to_le_bytes());
        h[32..40].copy_from_slice(&(EHDR as u64).to_le_bytes()); // phoff
        h[40..48].copy_from_slice(&(sh_off as u64).to_le_bytes());
        h[52..54].copy_from_slice(&(EHDR as u16).to_le_bytes());
        h[54..56].copy_from_slice(&(PHDR as u16).to_le_bytes());
        h[56..58].copy_from_slice(&1u16.to_le_bytes());
        h[58..60].copy_from_slice(&(SHDR as u16).to_le_bytes());
        h[60..62].copy_from_slice(&(sections.len() as u16).to_le_bytes());
        h[62..64].copy_from_slice(&4u16.to_le_bytes());
        out[..EHDR].copy_from_slice(&h);
        // Program header: PT_LOAD RWX.
        let mut p = [0u8; PHDR];
        p[0..4].copy_from_slice(&1u32.to_le_bytes());
        p[4..8].copy_from_slice(&7u32.to_le_bytes());
        p[8..16].copy_from_slice(&(code_off as u64).to_le_bytes());
        p[16..24].copy_from_slice(&self.base.to_le_bytes());
        p[24..32].copy_from_slice(&self.base.to_le_bytes());
        p[32..40].copy_from_slice(&(self.code.len() as u64).to_le_bytes());
        p[40..48].copy_from_slice(&(self.code.len() as u64 + self.bss).to_le_bytes());
        p[48..56].copy_from_slice(&0x1000u64.to_le_bytes());
        out[EHDR..EHDR + PHDR].copy_from_slice(&p);
        out
    }
}
