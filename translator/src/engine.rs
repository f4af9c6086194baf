//! The JIT engine: tiers, the code cache and the dispatcher.
//!
//! ```text
//!   Engine::run ──► dispatcher loop (until clock >= deadline or hart.exit)
//!                     │ pc ─fetch TLB─► pa ─► key (va, pa, priv, banks, sets)
//!                     ├─ fast table hit ─► region code ─► back to the loop
//!                     ├─ cache map hit  ─► fill fast table, run region
//!                     └─ miss ─► count; cold: interpreter block
//!                                hot (count >= threshold): compile region
//! ```
//!
//! The cache key holds everything that compiled code bakes in: the virtual
//! and physical address of the entry (code computes link values and `auipc`
//! from the virtual pc), the privilege mode, the data and fetch TLB banks
//! (which encode MPRV/MPP/SUM and whether translation is on) and the enabled
//! instruction sets. A region that stops before its first block because
//! the deadline is too close makes no progress; the dispatcher then runs that
//! block's prefix on the interpreter, which stops exactly at the deadline.

use crate::arena::{ArenaError, CodeArena};
use crate::helpers::Ctx;
use crate::lower::{Compiler, LowerError, Want};
use crate::region::{self, Region};
use mkjit_runtime::hart::{exit, Hart};
use mkjit_runtime::interp::Interp;
use mkjit_runtime::machine::{Engine, Machine};
use std::collections::HashMap;
use std::time::Instant;

/// Tunables.
#[derive(Clone, Debug)]
pub struct JitConfig {
    /// Executions of a block start (on the interpreter) before a region is compiled there.
    pub threshold: u32,
    /// Guest instructions per region at most.
    pub region_cap: usize,
    /// Bytes of host code the cache holds before it is flushed.
    pub cache_bytes: usize,
}

impl Default for JitConfig {
    fn default() -> Self {
        JitConfig { threshold: 50, region_cap: 256, cache_bytes: 64 << 20 }
    }
}

impl JitConfig {
    /// The defaults, overridden by `MKJIT_JIT_THRESHOLD`, `MKJIT_JIT_REGION_CAP` and
    /// `MKJIT_JIT_CACHE_KB` when set (debugging and measurement knobs).
    pub fn from_env() -> Self {
        let mut c = JitConfig::default();
        let get = |k: &str| std::env::var(k).ok().and_then(|v| v.parse::<u64>().ok());
        if let Some(v) = get("MKJIT_JIT_THRESHOLD") {
            c.threshold = v.max(1) as u32;
        }
        if let Some(v) = get("MKJIT_JIT_REGION_CAP") {
            c.region_cap = v.max(1) as usize;
        }
        if let Some(v) = get("MKJIT_JIT_CACHE_KB") {
            c.cache_bytes = (v.max(64) << 10) as usize;
        }
        c
    }
}

/// Errors creating the engine.
#[derive(Debug, thiserror::Error)]
pub enum JitError {
    /// The code cache could not be mapped.
    #[error(transparent)]
    Arena(#[from] ArenaError),
    /// Cranelift does not support this host.
    #[error(transparent)]
    Lower(#[from] LowerError),
}

/// What a region's code is keyed by.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Key {
    /// Virtual address of the entry.
    pub va: u64,
    /// Physical address of the entry.
    pub pa: u64,
    /// Privilege mode, data bank and fetch bank, packed.
    pub mode: u32,
    /// Enabled instruction sets.
    pub sets: u64,
}

type RegionFn = unsafe extern "C" fn(*mut Hart, *mut Ctx) -> u64;

/// A compiled region.
struct Compiled {
    key: Key,
    code: RegionFn,
    /// Keeps the instructions that generated code points at alive.
    _guest: Region,
}

enum Slot {
    Cold(u32),
    Hot(usize),
    Failed,
}

const FAST: usize = 4096;

#[derive(Clone, Copy)]
struct FastEntry {
    key: Key,
    code: RegionFn,
}

/// Engine counters.
#[derive(Clone, Debug, Default)]
pub struct JitStats {
    /// Region calls from the dispatcher.
    pub region_runs: u64,
    /// Dispatcher lookups served by compiled code.
    pub hits: u64,
    /// Dispatcher lookups that ran on the interpreter.
    pub misses: u64,
    /// Regions compiled.
    pub compiles: u64,
    /// Regions that failed to compile.
    pub compile_failures: u64,
    /// Whole-cache flushes.
    pub flushes: u64,
    /// Time spent compiling, in microseconds.
    pub compile_us: u64,
    /// Guest instructions compiled.
    pub insns_compiled: u64,
    /// Bytes of host code generated.
    pub code_bytes: u64,
    /// Regions dropped because their page was written.
    pub invalidated: u64,
    /// Partial blocks run on the interpreter at a deadline.
    pub tails: u64,
}

/// The Cranelift JIT engine.
pub struct Jit {
    cfg: JitConfig,
    interp: Interp,
    compiler: Compiler,
    arena: CodeArena,
    map: HashMap<Key, Slot>,
    regions: Vec<Option<Compiled>>,
    by_page: HashMap<u64, Vec<usize>>,
    fast: Vec<Option<FastEntry>>,
    stats: JitStats,
}

fn fast_index(k: &Key) -> usize {
    ((k.pa >> 1) ^ (k.pa >> 13) ^ (k.va >> 7)) as usize & (FAST - 1)
}

impl Jit {
    /// A JIT with default settings (see [`JitConfig::from_env`]).
    pub fn new() -> Result<Jit, JitError> {
        Jit::with_config(JitConfig::from_env())
    }

    /// A JIT with `cfg`.
    pub fn with_config(cfg: JitConfig) -> Result<Jit, JitError> {
        Ok(Jit {
            arena: CodeArena::new(cfg.cache_bytes)?,
            cfg,
            interp: Interp::new(),
            compiler: Compiler::new()?,
            map: HashMap::new(),
            regions: Vec::new(),
            by_page: HashMap::new(),
            fast: vec![None; FAST],
            stats: JitStats::default(),
        })
    }

    /// Counters.
    pub fn jit_stats(&self) -> &JitStats {
        &self.stats
    }

    fn key(m: &Machine, va: u64, pa: u64) -> Key {
        let h = &m.hart;
        let mode = h.prv as u32 | (h.data_bank as u32) << 8 | (h.fetch_bank as u32) << 16;
        Key { va, pa, mode, sets: m.enabled.0 }
    }

    /// The compiled code for the current pc, compiling it if it became hot.
    fn lookup(&mut self, m: &mut Machine) -> Option<RegionFn> {
        let pc = m.hart.pc;
        let pa = m.fetch_translate(pc).ok()?;
        let key = Self::key(m, pc, pa);
        let fi = fast_index(&key);
        if let Some(e) = &self.fast[fi] {
            if e.key == key {
                return Some(e.code);
            }
        }
        let idx = match self.map.get_mut(&key) {
            Some(Slot::Hot(i)) => *i,
            Some(Slot::Failed) => return None,
            Some(Slot::Cold(n)) => {
                *n += 1;
                if *n < self.cfg.threshold {
                    return None;
                }
                self.compile(m, key)?
            }
            None => {
                if self.cfg.threshold > 1 {
                    self.map.insert(key, Slot::Cold(1));
                    return None;
                }
                self.compile(m, key)?
            }
        };
        let code = self.regions[idx].as_ref().expect("live region").code;
        self.fast[fi] = Some(FastEntry { key, code });
        Some(code)
    }

    fn compile(&mut self, m: &mut Machine, key: Key) -> Option<usize> {
        let t0 = Instant::now();
        let guest = region::discover(m, key.va, key.pa, self.cfg.region_cap);
        let want = Want { ir: m.trace.op, asm: m.trace.out_asm };
        let bank = m.hart.data_bank;
        let result = self.compiler.compile(&guest, bank, want);
        let out = match result {
            Ok(c) => c,
            Err(e) => {
                self.stats.compile_failures += 1;
                if m.trace.op || m.trace.out_asm || m.trace.in_asm {
                    m.trace.line(format_args!("jit: region at {:#x} not compiled: {e}", key.va));
                }
                self.map.insert(key, Slot::Failed);
                return None;
            }
        };
        let ptr = match self.arena.install(&out.code) {
            Some(p) => p,
            None => {
                self.flush();
                self.arena.install(&out.code)?
            }
        };
        self.stats.compiles += 1;
        self.stats.insns_compiled += guest.insn_count as u64;
        self.stats.code_bytes += out.code.len() as u64;
        self.stats.compile_us += t0.elapsed().as_micros() as u64;
        if m.trace.in_asm {
            let mut s = format!("JIT IN: region at pc {:#x} (pa {:#x}), {} insns\n", key.va, key.pa, guest.insn_count);
            for b in &guest.blocks {
                s.push_str(&format!(" block {:#x}:\n", b.start));
                for gi in &b.insns {
                    s.push_str(&format!("  {:#018x}: {:08x}  {}\n", gi.pc, gi.insn.raw, m.isa.disasm(&gi.insn, gi.pc)));
                }
            }
            m.trace.line(format_args!("{s}"));
        }
        if let Some(ir) = &out.ir {
            m.trace.line(format_args!("JIT OP: region at pc {:#x}\n{ir}", key.va));
        }
        if let Some(asm) = &out.asm {
            m.trace.line(format_args!(
                "JIT OUT: region at pc {:#x}, {} bytes at {ptr:p}\n{asm}",
                key.va,
                out.code.len()
            ));
        }
        let page = key.pa & !0xfff;
        if m.bus.mark_code_page(page) {
            m.hart.tlb.protect_code_page(page);
        }
        // SAFETY: `ptr` is the start of a function compiled with the signature
        // `fn(i64, i64) -> i64` in the host's default (C) calling convention.
        let code = unsafe { std::mem::transmute::<*const u8, RegionFn>(ptr) };
        let idx = self.regions.len();
        self.regions.push(Some(Compiled { key, code, _guest: guest }));
        self.by_page.entry(page).or_default().push(idx);
        self.map.insert(key, Slot::Hot(idx));
        Some(idx)
    }

    /// Drops every translation (the code cache is full).
    fn flush(&mut self) {
        self.stats.flushes += 1;
        self.map.clear();
        self.regions.clear();
        self.by_page.clear();
        self.fast.fill(None);
        self.arena.reset();
    }

    /// Runs compiled code at the current pc once.
    fn call(&mut self, m: &mut Machine, code: RegionFn) {
        let mp: *mut Machine = m;
        let mut ctx = Ctx { machine: mp, trapped: 0 };
        // SAFETY: `mp` is a valid exclusive pointer for the duration of the call; no
        // Rust reference to the machine is used until it returns. The hart is boxed,
        // so its address is stable.
        unsafe {
            let hart: *mut Hart = &mut *(*mp).hart;
            code(hart, &mut ctx);
        }
    }
}

impl Engine for Jit {
    fn name(&self) -> &'static str {
        "jit"
    }

    fn run(&mut self, m: &mut Machine) {
        while m.hart.clock < m.hart.deadline && m.hart.exit & !exit::IRQ_CHECK == 0 {
            let (pc, clock) = (m.hart.pc, m.hart.clock);
            match self.lookup(m) {
                Some(code) => {
                    self.stats.hits += 1;
                    self.stats.region_runs += 1;
                    self.call(m, code);
                    if m.hart.clock == clock && m.hart.pc == pc && m.hart.exit == 0 {
                        // Not even the first block fits before the deadline.
                        self.stats.tails += 1;
                        let budget = m.hart.deadline - m.hart.clock;
                        self.interp.step_block(m, budget);
                    }
                }
                None => {
                    self.stats.misses += 1;
                    let budget = m.hart.deadline - m.hart.clock;
                    self.interp.step_block(m, budget);
                }
            }
            if m.hart.exit != 0 {
                break;
            }
        }
    }

    fn invalidate_page(&mut self, ppage: u64) {
        self.interp.invalidate_page(ppage);
        if let Some(list) = self.by_page.remove(&ppage) {
            for idx in list {
                if let Some(r) = self.regions[idx].take() {
                    self.stats.invalidated += 1;
                    self.map.remove(&r.key);
                    let fi = fast_index(&r.key);
                    if matches!(&self.fast[fi], Some(e) if e.key == r.key) {
                        self.fast[fi] = None;
                    }
                }
            }
        }
    }

    fn stats(&self) -> Vec<(String, u64)> {
        let s = &self.stats;
        let mut v = vec![
            ("jit region runs".to_string(), s.region_runs),
            ("jit cache hits".to_string(), s.hits),
            ("jit cache misses".to_string(), s.misses),
            ("jit compiles".to_string(), s.compiles),
            ("jit compile failures".to_string(), s.compile_failures),
            ("jit flushes".to_string(), s.flushes),
            ("jit compile us".to_string(), s.compile_us),
            ("jit insns compiled".to_string(), s.insns_compiled),
            ("jit code bytes".to_string(), s.code_bytes),
            ("jit invalidated".to_string(), s.invalidated),
            ("jit deadline tails".to_string(), s.tails),
        ];
        v.extend(self.interp.stats());
        v
    }
}
