//! Test harness for the extensions: a machine with extensions enabled, Sv39
//! address spaces built from Rust, guest code assembled with the table's own
//! encoder, and a run that stops at the first trap taken to M-mode.
//!
//! Every test body takes a `&mut Sys`; [`engine_tests!`] instantiates it on the
//! reference interpreter, the JIT, and the JIT with fast paths off, so the same
//! body checks every engine.
//!
//! Physical layout (RAM at 0x8000_0000, identity-mapped for S-mode by a global
//! gigapage in every address space; user pages live below 1 GiB):
//!
//! ```text
//!   0x8000_0000  M-mode trap stub (HTIF exit request): a trap to M ends the run
//!   0x8000_1000  S-mode code written by tests (kernel_code)
//!   0x8010_0000  page-table pool
//!   0x8040_0000  frames for user pages and kernel data
//! ```

#![allow(dead_code)]

use mkjit_runtime::config::MachineConfig;
use mkjit_runtime::console::BufferConsole;
use mkjit_runtime::elfgen::ElfBuilder;
use mkjit_runtime::hart::Priv;
use mkjit_runtime::interp::Interp;
use mkjit_runtime::isa::encode::Asm;
use mkjit_runtime::isa::IsaTable;
use mkjit_runtime::machine::{Engine, Machine, Outcome};

/// RAM of test machines.
pub const RAM: u64 = 64 << 20;
/// RAM base.
pub const BASE: u64 = 0x8000_0000;
/// The M-mode stub every trap to M lands in.
pub const STUB: u64 = BASE;
/// HTIF `tohost` of the stub.
const TOHOST: u64 = BASE + 64;
/// Exit code the stub produces: `(STUB + 5) >> 1`.
const STUB_EXIT: u32 = ((STUB + 5) >> 1) as u32;
/// Where [`Sys::kernel_code`] puts S-mode code.
pub const KCODE: u64 = BASE + 0x1000;
const PT_POOL: u64 = BASE + 0x10_0000;
const FRAME_POOL: u64 = BASE + 0x40_0000;

/// PTE flags.
pub mod pte {
    pub const V: u64 = 1;
    pub const R: u64 = 2;
    pub const W: u64 = 4;
    pub const X: u64 = 8;
    pub const U: u64 = 16;
    pub const G: u64 = 32;
    pub const A: u64 = 64;
    pub const D: u64 = 128;
    /// User read/write data.
    pub const URW: u64 = V | R | W | U | A | D;
    /// User read-only data.
    pub const URO: u64 = V | R | U | A;
    /// User code.
    pub const UX: u64 = V | R | X | U | A;
}

/// A capability-table entry (Xcap, SPEC §7.1); `root` = (index, generation).
#[allow(clippy::too_many_arguments)]
pub fn cap_entry(
    base: u64,
    length: u64,
    satp: u64,
    generation: u64,
    perms: u64,
    state: u64,
    owner: u64,
    root: (u64, u64),
) -> mkjit_extensions::xcap::CapEntry {
    mkjit_extensions::xcap::CapEntry {
        base,
        length,
        satp,
        generation,
        perms,
        state,
        owner,
        root_index: root.0,
        root_gen: root.1,
        next: 0,
    }
}

/// Register numbers.
pub mod reg {
    pub use mkjit_runtime::isa::reg::*;
}

/// Why a run stopped.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stop {
    /// A trap reached the M-mode stub.
    Trap {
        /// `mcause`.
        cause: u64,
        /// `mepc`.
        epc: u64,
        /// `mtval`.
        tval: u64,
        /// Privilege the trap came from.
        from: Priv,
    },
    /// The run ended otherwise.
    Other(Outcome),
}

impl Stop {
    /// The cause of a trap stop (panics otherwise).
    pub fn cause(&self) -> u64 {
        match self {
            Stop::Trap { cause, .. } => *cause,
            o => panic!("expected a trap, got {o:?}"),
        }
    }
}

/// Which engine a test runs on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EngineKind {
    /// Reference interpreter.
    Interp,
    /// JIT (compiles blocks after one execution).
    Jit,
    /// JIT with extension fast paths disabled.
    JitNoFastpath,
}

/// A test system.
pub struct Sys {
    /// The machine.
    pub m: Machine,
    /// The engine.
    pub engine: Box<dyn Engine>,
    /// Engine kind.
    pub kind: EngineKind,
    pt_next: u64,
    frame_next: u64,
    kcode_next: u64,
    /// Instruction budget per run.
    pub budget: u64,
}

fn make_engine(kind: EngineKind) -> Box<dyn Engine> {
    match kind {
        EngineKind::Interp => Box::new(Interp::new()),
        EngineKind::Jit | EngineKind::JitNoFastpath => {
            let cfg = mkjit_translator::JitConfig { threshold: 1, count_resumptions: true, ..Default::default() };
            Box::new(mkjit_translator::Jit::with_config(cfg).expect("JIT starts"))
        }
    }
}

impl Sys {
    /// A machine with extensions `exts` (as for `--ext`) on engine `kind`.
    pub fn new(exts: &str, kind: EngineKind) -> Sys {
        // Trap stub: save t0 in mscratch, write an odd value to HTIF `tohost`
        // (an exit request the run loop turns into Outcome::Exit(STUB_EXIT)).
        let core = IsaTable::core();
        let mut a = Asm::new(&core);
        a.emit("csrrw", 0, reg::T0, 0, 0x340);
        a.emit("auipc", reg::T0, 0, 0, 0);
        a.emit("addi", reg::T0, reg::T0, 0, 1);
        a.emit("sd", 0, reg::T0, reg::T0, (TOHOST - (STUB + 5)) as i64);
        a.emit("jal", 0, 0, 0, 0);
        let mut stub = a.code;
        stub.resize((TOHOST - STUB + 16) as usize, 0);
        let mut elf = ElfBuilder::new(BASE, stub);
        elf.symbols.push(("tohost".to_string(), TOHOST));
        let elf = elf.build();
        let cfg = MachineConfig { ram_size: RAM, bench_device: false, ..MachineConfig::default() };
        let mut m = Machine::new(cfg, &elf, Box::new(BufferConsole::new())).expect("machine boots");
        if !exts.is_empty() {
            mkjit_extensions::registry::enable(&mut m, exts).expect("extensions enable");
        }
        m.ext.fastpath = kind != EngineKind::JitNoFastpath;
        m.hart.csr.mtvec = STUB;
        Sys {
            m,
            engine: make_engine(kind),
            kind,
            pt_next: PT_POOL,
            frame_next: FRAME_POOL,
            kcode_next: KCODE,
            budget: 200_000,
        }
    }

    /// A copy of the instruction table (for [`Asm`]).
    pub fn table(&self) -> IsaTable {
        self.m.isa.clone()
    }

    /// Assembles with the machine's table.
    pub fn asm(&self, f: impl FnOnce(&mut Asm)) -> Vec<u8> {
        let t = self.table();
        let mut a = Asm::new(&t);
        f(&mut a);
        a.code
    }

    /// Writes bytes at physical `pa`.
    pub fn write(&mut self, pa: u64, bytes: &[u8]) {
        self.m.bus.ram.slice_mut(pa, bytes.len() as u64).expect("in RAM").copy_from_slice(bytes);
    }

    /// Writes doublewords at physical `pa`.
    pub fn write_words(&mut self, pa: u64, w: &[u64]) {
        for (i, v) in w.iter().enumerate() {
            self.write(pa + 8 * i as u64, &v.to_le_bytes());
        }
    }

    /// Reads a doubleword at physical `pa`.
    pub fn read_u64(&self, pa: u64) -> u64 {
        self.m.bus.ram.read(pa, 8).expect("in RAM")
    }

    /// A zeroed, page-aligned physical frame run of `pages` pages.
    pub fn alloc(&mut self, pages: u64) -> u64 {
        let pa = self.frame_next;
        self.frame_next += pages * 0x1000;
        self.m.bus.ram.slice_mut(pa, pages * 0x1000).expect("in RAM").fill(0);
        pa
    }

    fn alloc_pt(&mut self) -> u64 {
        let pa = self.pt_next;
        self.pt_next += 0x1000;
        self.m.bus.ram.slice_mut(pa, 0x1000).expect("in RAM").fill(0);
        pa
    }

    /// A new Sv39 address space with ASID `asid`; RAM is mapped for S-mode (global gigapage).
    pub fn new_space(&mut self, asid: u64) -> u64 {
        let root = self.alloc_pt();
        let gig = ((BASE >> 12) << 10) | pte::V | pte::R | pte::W | pte::X | pte::A | pte::D | pte::G;
        self.write_words(root + 8 * 2, &[gig]);
        (8 << 60) | (asid << 44) | (root >> 12)
    }

    /// Maps the 4 KiB page at `va` to `pa` with `flags` in the space `satp`.
    pub fn map(&mut self, satp: u64, va: u64, pa: u64, flags: u64) {
        let mut table = (satp & ((1 << 44) - 1)) << 12;
        for level in [2u32, 1] {
            let idx = (va >> (12 + 9 * level)) & 0x1ff;
            let e = self.read_u64(table + 8 * idx);
            table = if e & pte::V != 0 {
                ((e >> 10) & ((1 << 44) - 1)) << 12
            } else {
                let t = self.alloc_pt();
                self.write_words(table + 8 * idx, &[((t >> 12) << 10) | pte::V]);
                t
            };
        }
        let idx = (va >> 12) & 0x1ff;
        self.write_words(table + 8 * idx, &[((pa >> 12) << 10) | flags]);
        // As a kernel changing a mapping would: sfence.vma.
        self.m.hart.tlb.flush_all();
    }

    /// Maps fresh zeroed frames at `va` (`len` bytes, page-rounded) in `satp`; returns the first frame.
    pub fn map_new(&mut self, satp: u64, va: u64, len: u64, flags: u64) -> u64 {
        let pages = len.div_ceil(0x1000).max(1);
        let pa = self.alloc(pages);
        for p in 0..pages {
            self.map(satp, va + p * 0x1000, pa + p * 0x1000, flags);
        }
        pa
    }

    /// Places user code at `va` in `satp` (fresh frames, U|R|X); returns its physical address.
    pub fn user_code(&mut self, satp: u64, va: u64, code: &[u8]) -> u64 {
        let pa = self.map_new(satp, va, code.len() as u64, pte::UX);
        self.write(pa, code);
        pa
    }

    /// Places S-mode code in the kernel region; returns its (identity) address.
    pub fn kernel_code(&mut self, code: &[u8]) -> u64 {
        let at = self.kcode_next;
        self.write(at, code);
        self.kcode_next = (at + code.len() as u64 + 63) & !63;
        assert!(self.kcode_next < PT_POOL, "kernel code region full");
        at
    }

    /// Writes CSR `n` as M-mode would (through the machine's CSR path).
    pub fn csrw(&mut self, n: u16, v: u64) {
        let prv = self.m.hart.prv;
        self.m.hart.prv = Priv::M;
        self.m.csr_write(n, v).unwrap_or_else(|_| panic!("csrw {n:#x}"));
        self.m.hart.prv = prv;
        self.m.hart.update_mmu_mode();
    }

    /// Reads CSR `n` as M-mode would.
    pub fn csrr(&mut self, n: u16) -> u64 {
        let prv = self.m.hart.prv;
        self.m.hart.prv = Priv::M;
        let v = self.m.csr_read(n).unwrap_or_else(|_| panic!("csrr {n:#x}"));
        self.m.hart.prv = prv;
        v
    }

    /// Puts the hart in privilege `prv` at `pc` in address space `satp`.
    pub fn enter(&mut self, prv: Priv, pc: u64, satp: u64) {
        let h = &mut *self.m.hart;
        h.csr.satp = satp;
        h.prv = prv;
        h.pc = pc;
        h.update_mmu_mode();
    }

    /// Runs until a trap reaches the M-mode stub or the run otherwise ends.
    pub fn run(&mut self) -> Stop {
        self.m.max_insns = Some(self.m.hart.clock + self.budget);
        let outcome = self.m.run(self.engine.as_mut());
        match outcome {
            Outcome::Exit(STUB_EXIT) => {
                self.m.hart.x[reg::T0 as usize] = self.m.hart.csr.mscratch;
                let c = &self.m.hart.csr;
                let from = Priv::from_bits(c.mstatus >> 11);
                Stop::Trap { cause: c.mcause, epc: c.mepc, tval: c.mtval, from }
            }
            o => Stop::Other(o),
        }
    }

    /// An engine `--stats` counter (`None` if the engine has no such line).
    pub fn engine_stat(&self, name: &str) -> Option<u64> {
        self.engine.stats().into_iter().find(|(n, _)| n == name).map(|(_, v)| v)
    }

    /// Guest-visible state to compare between engines: registers, pc,
    /// privilege, clock, modeled cycles and every extension counter (`--stats`).
    pub fn snapshot(&self) -> Snapshot {
        let h = &self.m.hart;
        let ext = mkjit_extensions::registry::stats(&self.m);
        Snapshot { x: h.x.to_vec(), pc: h.pc, prv: h.prv, clock: h.clock, cycles: h.cycles, ext }
    }

    /// Checks a fast-path test's engine counters: on the JIT at least `sites`
    /// instructions compiled inline and at most `max_calls` helper calls for
    /// extension instructions; with fast paths off, no inline code and at
    /// least `min_calls_off` helper calls; the interpreter has no such counters.
    pub fn assert_fast_paths(&self, sites: u64, max_calls: u64, min_calls_off: u64) {
        let (fast, calls) = (self.engine_stat("jit ext fast paths"), self.engine_stat("jit ext helper calls"));
        match self.kind {
            EngineKind::Interp => assert_eq!((fast, calls), (None, None)),
            EngineKind::Jit => {
                assert!(fast.unwrap() >= sites, "sites compiled inline: {fast:?}");
                assert!(calls.unwrap() <= max_calls, "helper calls: {calls:?} (at most {max_calls})");
            }
            EngineKind::JitNoFastpath => {
                assert_eq!(fast, Some(0), "no inline code with fast paths off");
                assert!(calls.unwrap() >= min_calls_off, "helper calls: {calls:?} (at least {min_calls_off})");
            }
        }
    }

    /// Register `r`.
    pub fn x(&self, r: u8) -> u64 {
        self.m.hart.x[r as usize]
    }

    /// Sets register `r`.
    pub fn set_x(&mut self, r: u8, v: u64) {
        self.m.hart.x[r as usize] = v;
    }

    /// Delegates the given exception causes to S-mode with `stvec` = `handler`.
    pub fn delegate(&mut self, causes: &[u64], handler: u64) {
        let mut d = self.m.hart.csr.medeleg;
        for c in causes {
            d |= 1 << c;
        }
        self.csrw(0x302, d);
        self.csrw(0x105, handler);
    }
}

/// `csrr rd, csr` (as `csrrs rd, csr, x0`).
pub fn csrr(a: &mut Asm, rd: u8, csr: u16) {
    a.emit("csrrs", rd, 0, 0, csr as i64);
}

/// `csrw csr, rs` (as `csrrw x0, csr, rs`).
pub fn csrw(a: &mut Asm, csr: u16, rs: u8) {
    a.emit("csrrw", 0, rs, 0, csr as i64);
}

/// Emits an R-type extension instruction.
pub fn ins(a: &mut Asm, name: &str, rd: u8, rs1: u8, rs2: u8) {
    a.emit(name, rd, rs1, rs2, 0);
}

/// Emits an R4-type extension instruction.
pub fn ins4(a: &mut Asm, t: &IsaTable, name: &str, rd: u8, rs1: u8, rs2: u8, rs3: u8) {
    let f = mkjit_runtime::isa::Fields { rd, rs1, rs2, rs3, imm: 0 };
    let w = t.encode(name, f).expect("encodes");
    a.code.extend_from_slice(&w.to_le_bytes());
}

/// Instantiates `body(kind)` on every engine as `<name>::{interp, jit, jit_nofastpath}`.
///
/// `name => body, all_regs;` marks a body whose instructions read or write
/// registers other than their operands (`RegEffects::All`: gcall/gret, ctx.*,
/// uiret); the JIT stores and reloads every register around those.
#[macro_export]
macro_rules! engine_tests {
    ($($name:ident => $body:path $(, $flag:ident)?;)*) => {
        $( $crate::engine_tests!(@one $name $body $(, $flag)?); )*
    };
    (@one $name:ident $body:path) => {
        mod $name {
            use super::*;
            #[test]
            fn interp() {
                $body($crate::common::EngineKind::Interp);
            }
            #[test]
            fn jit() {
                $body($crate::common::EngineKind::Jit);
            }
            #[test]
            fn jit_nofastpath() {
                $body($crate::common::EngineKind::JitNoFastpath);
            }
        }
    };
    (@one $name:ident $body:path, all_regs) => {
        $crate::engine_tests!(@one $name $body);
    };
}

/// What [`Sys::snapshot`] compares between engines.
#[derive(Debug, PartialEq, Eq)]
pub struct Snapshot {
    pub x: Vec<u64>,
    pub pc: u64,
    pub prv: Priv,
    pub clock: u64,
    pub cycles: u64,
    /// Every extension counter (`--stats`).
    pub ext: Vec<(String, u64)>,
}
