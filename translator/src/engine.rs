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
use mkjit_runtime::cost::{Class, CLASSES};
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
    /// Count the pc where a run resumes after a deadline (usually mid-block)
    /// towards hotness. Off by default: it makes regions start in odd places;
    /// tests turn it on to compile as much as possible.
    pub count_resumptions: bool,
}

impl Default for JitConfig {
    fn default() -> Self {
        JitConfig { threshold: 50, region_cap: 256, cache_bytes: 64 << 20, count_resumptions: false }
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

type RegionFn = unsafe extern "C" fn(*mut Hart, *mut Ctx, u64) -> u64;

/// A compiled region.
struct Compiled {
    /// Key of each entry point (block `i` of the region is entry `i`).
    keys: Vec<Key>,
    code: RegionFn,
    /// The guest code; generated code points at its instructions.
    guest: Region,
}

/// Compiled code and the entry point to call it with.
#[derive(Clone, Copy)]
struct Target {
    code: RegionFn,
    entry: u64,
}

enum Slot {
    /// Not compiled; executions so far.
    Cold(u32),
    /// Compiled: index into `regions` and entry point.
    Hot(usize, u32),
    /// Compiled, but its page was written since: check its bytes before reuse.
    Suspect(usize, u32),
    /// Not an entry, but inside a compiled region (the dispatcher only gets here
    /// after a deadline or an interrupt): executions so far. Compiled only if
    /// it keeps being entered, at a much higher count.
    Inner(u32),
    /// Compilation failed; stay on the interpreter.
    Failed,
}

/// How many times more often an inner block must run than a cold one to get its own region.
const INNER_FACTOR: u32 = 16;

const FAST: usize = 4096;

#[derive(Clone, Copy)]
struct FastEntry {
    key: Key,
    target: Target,
}

/// Engine counters.
#[derive(Clone, Debug, Default)]
pub struct JitStats {
    /// Region calls from the dispatcher.
    pub region_runs: u64,
    /// Clock slots spent in compiled code (retired instructions and traps).
    pub jit_clock: u64,
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
    /// Regions dropped because their code bytes changed.
    pub invalidated: u64,
    /// Regions whose page was written (checked again before reuse).
    pub suspected: u64,
    /// Suspect regions found unchanged and reused.
    pub revalidated: u64,
    /// Partial blocks run on the interpreter at a deadline.
    pub tails: u64,
    /// The last compilation error, if any.
    pub last_error: Option<String>,
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
    /// Where the last `run` stopped: resuming there (after a deadline, often in
    /// the middle of a block) does not count towards hotness.
    stopped_at: u64,
    /// `/tmp/perf-PID.map` for `perf` when `MKJIT_PERF_MAP` is set.
    perf_map: Option<std::fs::File>,
    /// Class costs the cached code was compiled with.
    costs: Option<[u64; CLASSES.len()]>,
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
            stopped_at: u64::MAX,
            costs: None,
            perf_map: std::env::var_os("MKJIT_PERF_MAP")
                .and_then(|_| std::fs::File::create(format!("/tmp/perf-{}.map", std::process::id())).ok()),
        })
    }

    /// Counters.
    pub fn jit_stats(&self) -> &JitStats {
        &self.stats
    }

    /// The cost model's class costs, indexed by `Class as usize`.
    fn class_costs(m: &Machine) -> [u64; CLASSES.len()] {
        let mut c = [0; CLASSES.len()];
        for class in CLASSES {
            c[class as usize] = m.class_cost(class);
        }
        c
    }

    fn key(m: &Machine, va: u64, pa: u64) -> Key {
        let h = &m.hart;
        let mode = h.prv as u32 | (h.data_bank as u32) << 8 | (h.fetch_bank as u32) << 16;
        Key { va, pa, mode, sets: m.enabled.0 }
    }

    /// The compiled code for the current pc, compiling it if it became hot.
    fn lookup(&mut self, m: &mut Machine, count: bool) -> Option<Target> {
        let pc = m.hart.pc;
        let pa = m.fetch_translate(pc).ok()?;
        let key = Self::key(m, pc, pa);
        let fi = fast_index(&key);
        if let Some(e) = &self.fast[fi] {
            if e.key == key {
                return Some(e.target);
            }
        }
        let (idx, entry) = match self.map.get_mut(&key) {
            Some(Slot::Hot(i, e)) => (*i, *e),
            Some(Slot::Failed) => return None,
            Some(Slot::Suspect(i, e)) => {
                let (i, e) = (*i, *e);
                if !self.still_valid(m, i) {
                    self.drop_region(i);
                    self.map.insert(key, Slot::Cold(1));
                    return None;
                }
                self.stats.revalidated += 1;
                let page = key.pa & !0xfff;
                if m.bus.mark_code_page(page) {
                    m.hart.tlb.protect_code_page(page);
                }
                self.map.insert(key, Slot::Hot(i, e));
                (i, e)
            }
            _ if !count => return None,
            Some(Slot::Cold(n)) => {
                *n += 1;
                if *n < self.cfg.threshold {
                    return None;
                }
                self.compile(m, key)?
            }
            Some(Slot::Inner(n)) => {
                *n += 1;
                if *n < self.cfg.threshold.saturating_mul(INNER_FACTOR) {
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
        let target = Target { code, entry: entry as u64 };
        self.fast[fi] = Some(FastEntry { key, target });
        Some(target)
    }

    fn compile(&mut self, m: &mut Machine, key: Key) -> Option<(usize, u32)> {
        let t0 = Instant::now();
        let map = &self.map;
        let hot = |va: u64| {
            let k = Key { va, pa: key.pa.wrapping_add(va.wrapping_sub(key.va)), ..key };
            !matches!(map.get(&k), None | Some(Slot::Inner(0)))
        };
        let guest = region::discover(m, key.va, key.pa, self.cfg.region_cap, &hot);
        let want = Want { ir: m.trace.op, asm: m.trace.out_asm };
        let bank = m.hart.data_bank;
        let costs = Self::class_costs(m);
        let cost = |op| costs[Class::of(op) as usize];
        let result = self.compiler.compile(&guest, bank, &cost, want);
        let out = match result {
            Ok(c) => c,
            Err(LowerError::Empty) => {
                // The entry instruction straddles the page end: the interpreter runs it.
                self.map.insert(key, Slot::Failed);
                return None;
            }
            Err(e) => {
                self.stats.compile_failures += 1;
                self.stats.last_error = Some(format!("region at {:#x}: {e}", key.va));
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
                let entry = if b.entry { " entry" } else { "" };
                let check = b.check.map(|n| format!(" check {n}")).unwrap_or_default();
                s.push_str(&format!(" block {:#x}:{entry}{check}\n", b.start));
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
        if let Some(f) = &mut self.perf_map {
            use std::io::Write;
            let _ = writeln!(f, "{:x} {:x} region_{:x}", ptr as usize, out.code.len(), key.va);
        }
        let page = key.pa & !0xfff;
        if m.bus.mark_code_page(page) {
            m.hart.tlb.protect_code_page(page);
        }
        // SAFETY: `ptr` is the start of a function compiled with the signature
        // `fn(i64, i64, i64) -> i64` in the host's default (C) calling convention.
        let code = unsafe { std::mem::transmute::<*const u8, RegionFn>(ptr) };
        let idx = self.regions.len();
        let keys: Vec<Key> = guest
            .entries()
            .map(|b| Key { va: b.start, pa: key.pa.wrapping_add(b.start.wrapping_sub(key.va)), ..key })
            .collect();
        for (e, k) in keys.iter().enumerate() {
            // Other entries keep a region they already have.
            if e == 0 || !matches!(self.map.get(k), Some(Slot::Hot(..))) {
                self.map.insert(*k, Slot::Hot(idx, e as u32));
            }
        }
        for b in guest.blocks.iter().filter(|b| !b.entry) {
            let k = Key { va: b.start, pa: key.pa.wrapping_add(b.start.wrapping_sub(key.va)), ..key };
            if matches!(self.map.get(&k), None | Some(Slot::Cold(_))) {
                self.map.insert(k, Slot::Inner(0));
            }
        }
        self.regions.push(Some(Compiled { keys, code, guest }));
        self.by_page.entry(page).or_default().push(idx);
        Some((idx, 0))
    }

    /// Whether the guest bytes region `idx` was compiled from are unchanged.
    fn still_valid(&self, m: &Machine, idx: usize) -> bool {
        let Some(r) = &self.regions[idx] else { return false };
        let k = r.keys[0];
        r.guest.blocks.iter().flat_map(|b| &b.insns).all(|gi| {
            let pa = k.pa.wrapping_add(gi.pc.wrapping_sub(k.va));
            m.bus.ram.read(pa, gi.insn.len).is_some_and(|v| v as u32 == gi.insn.raw)
        })
    }

    /// Forgets region `idx`.
    fn drop_region(&mut self, idx: usize) {
        if let Some(r) = self.regions[idx].take() {
            self.stats.invalidated += 1;
            for k in &r.keys {
                if matches!(self.map.get(k), Some(Slot::Hot(i, _) | Slot::Suspect(i, _)) if *i == idx) {
                    self.map.remove(k);
                }
                let fi = fast_index(k);
                if matches!(&self.fast[fi], Some(e) if e.key == *k) {
                    self.fast[fi] = None;
                }
            }
            if let Some(list) = self.by_page.get_mut(&(r.keys[0].pa & !0xfff)) {
                list.retain(|&i| i != idx);
            }
        }
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
    fn call(&mut self, m: &mut Machine, t: Target) {
        let mp: *mut Machine = m;
        let mut ctx = Ctx { machine: mp, leave: 0, value: 0 };
        // SAFETY: `mp` is a valid exclusive pointer for the duration of the call; no
        // Rust reference to the machine is used until it returns. The hart is boxed,
        // so its address is stable.
        unsafe {
            let hart: *mut Hart = &mut *(*mp).hart;
            (t.code)(hart, &mut ctx, t.entry);
        }
    }
}

impl Engine for Jit {
    fn name(&self) -> &'static str {
        "jit"
    }

    fn run(&mut self, m: &mut Machine) {
        if m.trace.exec || m.trace.cpu {
            // Per-block logs describe interpreter blocks: keep them complete.
            self.interp.run(m);
            return;
        }
        // Compiled code bakes in the cost model's class costs.
        let costs = Self::class_costs(m);
        if self.costs != Some(costs) {
            if self.costs.is_some() {
                self.flush();
            }
            self.costs = Some(costs);
        }
        let mut resumed = m.hart.pc == self.stopped_at && !self.cfg.count_resumptions;
        while m.hart.clock < m.hart.deadline && m.hart.exit & !exit::IRQ_CHECK == 0 {
            let (pc, clock) = (m.hart.pc, m.hart.clock);
            let found = self.lookup(m, !resumed);
            resumed = false;
            match found {
                Some(t) => {
                    self.stats.hits += 1;
                    self.stats.region_runs += 1;
                    self.call(m, t);
                    self.stats.jit_clock += m.hart.clock - clock;
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
        self.stopped_at = m.hart.pc;
    }

    /// The page's regions become suspect: the next lookup of each compares its
    /// guest bytes with RAM and drops it if they changed (a store to data that
    /// shares a page with code leaves the translations usable).
    fn invalidate_page(&mut self, ppage: u64) {
        self.interp.invalidate_page(ppage);
        if let Some(list) = self.by_page.get(&ppage) {
            for &idx in list {
                let Some(r) = &self.regions[idx] else { continue };
                self.stats.suspected += 1;
                for k in &r.keys {
                    if let Some(Slot::Hot(i, e)) = self.map.get(k) {
                        if *i == idx {
                            let e = *e;
                            self.map.insert(*k, Slot::Suspect(idx, e));
                        }
                    }
                    let fi = fast_index(k);
                    if matches!(&self.fast[fi], Some(e) if e.key == *k) {
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
            ("jit clock slots".to_string(), s.jit_clock),
            ("jit cache hits".to_string(), s.hits),
            ("jit cache misses".to_string(), s.misses),
            ("jit compiles".to_string(), s.compiles),
            ("jit compile failures".to_string(), s.compile_failures),
            ("jit flushes".to_string(), s.flushes),
            ("jit compile us".to_string(), s.compile_us),
            ("jit insns compiled".to_string(), s.insns_compiled),
            ("jit code bytes".to_string(), s.code_bytes),
            ("jit invalidated".to_string(), s.invalidated),
            ("jit suspected".to_string(), s.suspected),
            ("jit revalidated".to_string(), s.revalidated),
            ("jit deadline tails".to_string(), s.tails),
        ];
        v.extend(self.interp.stats());
        v
    }
}
