//! The JIT engine: tiers, the code cache and the dispatcher.
//!
//! ```text
//!   Engine::run ──► dispatcher loop (until clock >= deadline or hart.exit)
//!                     │ pc ─fetch TLB─► pa ─► key (va, pa, priv, banks, sets, user ASID)
//!                     ├─ fast table hit ─► region code ─► back to the loop
//!                     │                 └► count (cold) ─► interpreter block
//!                     ├─ cache map hit  ─► fill fast table, run region
//!                     └─ miss ─► count; cold: interpreter block (its count
//!                                moves into the fast table until evicted)
//!                                hot (count >= threshold): compile region
//!   region code ──tail call──► region code ──► ...   (chaining, see `lower`)
//!       returns 0            ─► look up hart.pc again
//!       returns a slot       ─► (chain slot not patched yet) the next lookup patches it
//!       returns MEM_EXIT     ─► the interpreter runs the load/store at hart.pc (and its block)
//!       returns IJUMP_MISS   ─► record the target of the `switch` jump, look up
//!       returns MAP_EXIT     ─► a page of the region moved: drop it, interpret
//!       every successful lookup also fills the jump cache
//! ```
//!
//! **Chaining state** lives in memory the engine owns and generated code
//! addresses directly: the chain slots (bump-allocated per region, reset only
//! by a flush), the jump cache and the counters. A slot is patched only with
//! a region whose key equals the key the slot was made for; every region
//! keeps the list of slots patched to it, and dropping it (code changed) or
//! suspecting it (its page was written) resets them and clears its jump-cache
//! entries, so no chain reaches stale code. A flush resets everything. The
//! jump cache is also cleared when the enabled instruction sets change (its
//! tags hold the mode but not the sets).
//!
//! **User code is compiled for one ASID**: with data accesses in the user TLB
//! bank, the key holds the ASID key, and the code has that key and its index
//! salt built in (two fewer live values and two fewer operations per load
//! and store). Nothing inside a region run can change the ASID (a helper
//! that changes translation leaves the region), chain slots match whole
//! keys, and jump-cache tags hold the ASID too, so such code only runs under
//! its ASID. Supervisor code, which runs under every process's ASID, keeps
//! reading key and salt from the hart.
//!
//! **Tiers**: cold code runs on the interpreter; a block start that ran
//! `threshold` (2000) times gets a region compiled with Cranelift's
//! backtracking register allocator but without its mid-end optimisations
//! ([`Tier::Baseline`]). Every time compiled code runs into a deadline (a
//! timer, or the console poll every Mi instructions), directly or through
//! the interpreter's run up to it, the region that returned gets a sample;
//! at four samples it is compiled again with `opt_level=speed`
//! ([`Tier::Optimized`]) from the same guest blocks and takes over the same
//! entries. Measured: the baseline tier compiles about a quarter faster and
//! its code runs a few per cent slower on hot loops; on the stock guest OS
//! (most regions run a few thousand times) a run takes about 10% less time,
//! and the CPU benchmarks run as with `optimized` from the start (their hot
//! loops tier up within the first million instructions). Tiering up
//! recompiles the same blocks: discovering the region again with a larger
//! cap was measured to churn (its entries differ, the old ones are compiled
//! again: 35 tier-ups and 5x the compile time on `sort`). Compiling costs as
//! much as interpreting a block a few thousand times, so a low threshold
//! mostly compiles code that never pays back (see [`JitConfig::default`]).
//! The single-pass allocator (`MKJIT_JIT_TIER=quick`) compiles only about a
//! quarter faster than `optimized` but its code runs about twice as slowly.
//!
//! **Background compiles** ([`crate::background`], on unless
//! `MKJIT_JIT_BACKGROUND=0`): a hot region's blocks are handed to a compile
//! thread and marked `Pending` (the interpreter runs them meanwhile, and they
//! start no region of their own); the code is installed at the next
//! dispatcher step after it arrives, unless a flush came first or its guest
//! bytes changed. Tier-ups go the same way, and so do regions with extension
//! instructions: their fast paths are prepared from the machine when the job
//! is made ([`crate::fastpath::FastPaths`]). Measured on the 2-core machine:
//! the stock / codesign guest OS 0.24 / 0.30 s in line, 0.18 / 0.23 s in the
//! background; the bytecode-VM benchmark 6% less; lower thresholds still
//! lose (300: 0.25-0.28 s, 1000: 0.23-0.26 s). Compiling the codesign
//! image's extension regions in line too cost its IPC workload (10,000 round
//! trips) 0.25 s against 0.19 s in the background.
//!
//! **Switch recompiles**: a region whose `switch`-like jump (`jr` through a
//! table) misses the jump cache reports the jump's pc; the engine records the
//! targets and, when a jump has two or more targets its region was not
//! compiled with, drops the region (at most three times) so that it is
//! compiled again with them inside, reached through an in-region jump table.
//!
//! The cache key holds everything that compiled code bakes in: the virtual
//! and physical address of the entry (code computes link values and `auipc`
//! from the virtual pc), the privilege mode, the data and fetch TLB banks
//! (which encode MPRV/MPP/SUM and whether translation is on) and the enabled
//! instruction sets. A region that stops at its entry check because the
//! deadline is closer than the longest run to its next check makes no
//! progress; the dispatcher then runs the interpreter up to the deadline
//! (at most a region's worth of instructions).

use crate::arena::{ArenaError, CodeArena};
use crate::background::{self, Done, Job, Worker};
use crate::helpers::Ctx;
use crate::lower::custom::FastPaths;
use crate::lower::{self, counter, ChainEnv, Compiler, DirectMem, Env, LowerError, Tier, Want};
use crate::region::{self, Region};
use mkjit_runtime::cost::{Class, CLASSES};
use mkjit_runtime::hart::{exit, Hart, Priv};
use mkjit_runtime::interp::Interp;
use mkjit_runtime::machine::{Engine, Machine};
use mkjit_runtime::mmu::tlb;
use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

/// A fast multiplicative hasher for the code-cache map (keys are engine
/// data, not attacker-chosen: SipHash's protection is not needed, its cost is
/// on every interpreted block).
#[derive(Default, Clone, Copy)]
struct FastHasher(u64);

impl Hasher for FastHasher {
    fn write(&mut self, bytes: &[u8]) {
        for chunk in bytes.chunks(8) {
            let mut b = [0u8; 8];
            b[..chunk.len()].copy_from_slice(chunk);
            self.write_u64(u64::from_le_bytes(b));
        }
    }
    fn write_u64(&mut self, v: u64) {
        self.0 = (self.0.rotate_left(5) ^ v).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
    }
    fn write_u32(&mut self, v: u32) {
        self.write_u64(v as u64);
    }
    fn finish(&self) -> u64 {
        self.0
    }
}

type FastMap<K, V> = HashMap<K, V, BuildHasherDefault<FastHasher>>;
use std::time::Instant;

/// Tunables.
#[derive(Clone, Debug)]
pub struct JitConfig {
    /// Executions of a block start (on the interpreter) before a region is compiled there.
    pub threshold: u32,
    /// Guest instructions per region at most (twice that once the cases of
    /// a `switch` join it, see `region::discover`).
    pub region_cap: usize,
    /// Bytes of host code the cache holds before it is flushed.
    pub cache_bytes: usize,
    /// Count the pc where a run resumes after a deadline (usually mid-block)
    /// towards hotness. Off by default: it makes regions start in odd places;
    /// tests turn it on to compile as much as possible.
    pub count_resumptions: bool,
    /// Chain regions (direct slots and the jump cache). `-d nochain` turns it off for a run.
    pub chain: bool,
    /// How regions are compiled first.
    pub tier: Tier,
    /// Deadline samples (see [`Jit::sample`]) after which a region compiled
    /// below [`Tier::Optimized`] is compiled again optimised; 0 = never.
    pub tier_up_samples: u32,
    /// Let regions span several pages (`MKJIT_JIT_ONE_PAGE` turns it off).
    pub multi_page: bool,
    /// Compile on a second thread while the interpreter goes on (see
    /// [`crate::background`]). Off by default, so that the engine's counters
    /// are the same from run to run; [`JitConfig::from_env`] turns it on.
    pub background: bool,
}

impl Default for JitConfig {
    fn default() -> Self {
        JitConfig {
            // Compiling costs about as much as interpreting a block some
            // thousands of times (measured on the stock guest OS: threshold 50
            // spent 0.3 s compiling 253 regions of a 0.37 s run, 1000 spent 0.15 s
            // on 105 regions of 0.22 s). With the baseline tier, on the stock /
            // codesign OS: 1000 -> 0.24 / 0.31 s, 1500 -> 0.23 / 0.25 s, 2000 ->
            // 0.20 / 0.24 s, 2500 -> 0.20 / 0.26 s; the CPU benchmarks' long
            // loops do not notice.
            threshold: 2000,
            region_cap: 256,
            cache_bytes: 64 << 20,
            count_resumptions: false,
            chain: true,
            // Most regions of an operating system run a few thousand times:
            // compiling them cheaply saves more than their code loses; the
            // hot loops that matter are found by sampling and optimised.
            tier: Tier::Baseline,
            tier_up_samples: 4,
            multi_page: true,
            background: false,
        }
    }
}

impl JitConfig {
    /// The defaults, overridden by `MKJIT_JIT_THRESHOLD`, `MKJIT_JIT_REGION_CAP`,
    /// `MKJIT_JIT_CACHE_KB`, `MKJIT_JIT_TIER` (`quick`, `baseline`, `optimized`),
    /// `MKJIT_JIT_TIER_UP` (samples),
    /// `MKJIT_JIT_NOCHAIN` and `MKJIT_JIT_ONE_PAGE` when set (debugging and
    /// measurement knobs); compiles in the background unless
    /// `MKJIT_JIT_BACKGROUND=0`.
    pub fn from_env() -> Self {
        let mut c = JitConfig {
            background: std::env::var("MKJIT_JIT_BACKGROUND").map_or(true, |v| v != "0"),
            ..JitConfig::default()
        };
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
        if let Ok(v) = std::env::var("MKJIT_JIT_TIER") {
            c.tier = match v.as_str() {
                "quick" => Tier::Quick,
                "optimized" => Tier::Optimized,
                _ => Tier::Baseline,
            };
        }
        if let Some(v) = get("MKJIT_JIT_TIER_UP") {
            c.tier_up_samples = v.min(u32::MAX as u64) as u32;
        }
        if std::env::var_os("MKJIT_JIT_NOCHAIN").is_some() {
            c.chain = false;
        }
        if std::env::var_os("MKJIT_JIT_ONE_PAGE").is_some() {
            c.multi_page = false;
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
    /// Privilege mode, data bank and fetch bank, packed:
    /// `prv | data_bank << 8 | fetch_bank << 16` (built by `Jit::key`).
    pub mode: u32,
    /// Enabled instruction sets.
    pub sets: u64,
    /// The ASID key user-mode data accesses are translated with (0 unless the
    /// data bank is `BANK_U`): such code has the key and salt built in.
    pub asid: u16,
}

impl Key {
    /// The privilege bits.
    fn prv_bits(&self) -> u8 {
        (self.mode & 3) as u8
    }

    /// The TLB bank of data accesses.
    fn data_bank(&self) -> u8 {
        (self.mode >> 8 & 7) as u8
    }

    /// The TLB bank of instruction fetches.
    fn fetch_bank(&self) -> u8 {
        (self.mode >> 16 & 7) as u8
    }

    /// The key of the block of `guest` (compiled for this key's mode) at `va`.
    fn of_block(&self, guest: &Region, va: u64) -> Key {
        Key { va, pa: guest.pa_of(va).expect("on a region page"), ..*self }
    }
}

/// The entry trampoline: `(hart, ctx, entry, code)`; returns 0, or the
/// address of a chain slot to patch.
type EnterFn = unsafe extern "C" fn(*mut Hart, *mut Ctx, u64, u64) -> u64;

/// A compiled region.
struct Compiled {
    /// Key of each entry point (block `i` of the region is entry `i`).
    keys: Vec<Key>,
    /// Address of its code (a `tail`-convention function, see [`crate::lower`]).
    code: u64,
    /// The guest code; generated code points at its instructions.
    guest: Region,
    /// Chain slots patched to this region.
    incoming: Vec<u32>,
    /// How it was compiled.
    tier: Tier,
    /// Deadline samples that found the hart in it.
    samples: u32,
    /// An optimised version is being compiled on the compile thread.
    upgrading: bool,
    /// Times it left before a floating-point instruction (see [`FP_EXIT_LIMIT`]).
    fp_exits: u32,
}

/// Floating-point exits (fast paths that failed) after which a region is
/// compiled again with its fast paths calling the handlers instead. An exit
/// costs a trip through the dispatcher and the interpreter's block, a call
/// far less; but the call's clobbers cost every fast operation spills. A
/// program that sets `fflags.NX` early exits a few times per region; one
/// whose results are often exact zeros or that keeps clearing `fflags`
/// reaches the limit within microseconds.
pub const FP_EXIT_LIMIT: u32 = 256;

/// Compiled code and the entry point to call it with.
#[derive(Clone, Copy)]
struct Target {
    code: u64,
    entry: u64,
    region: usize,
}

/// Chain slots (reset only by a flush).
const SLOTS: usize = 1 << 17;

/// One jump-cache entry (layout known to generated code, see [`lower::JC_ENTRY_SIZE`]).
#[repr(C)]
#[derive(Clone, Copy, Default)]
struct JcEntry {
    va: u64,
    /// Physical address of the instruction + mode tag ([`lower::jc_mode_tag`]).
    tag: u64,
    code: u64,
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
    /// Being compiled on the compile thread; the interpreter runs it meanwhile.
    Pending,
}

impl Slot {
    /// What the fast lookup table keeps for a key with this slot that runs
    /// on the interpreter (`Hot` entries are kept with their target).
    fn cached(&self) -> Option<Cached> {
        match *self {
            Slot::Cold(n) => Some(Cached::Cold(n)),
            Slot::Inner(n) => Some(Cached::Inner(n)),
            Slot::Pending | Slot::Failed => Some(Cached::Wait),
            Slot::Hot(..) | Slot::Suspect(..) => None,
        }
    }
}

/// The key of chain slots reserved for code still being compiled (matches no lookup).
const NO_KEY: Key = Key { va: u64::MAX, pa: u64::MAX, mode: u32::MAX, sets: u64::MAX, asid: u16::MAX };

/// Clock slots from a region's return within which a deadline still counts
/// as that region's (the interpreter's run from a deadline check up to the
/// deadline itself: at most the longest path between two checks).
const TAIL_REACH: u64 = 4096;

/// How many times more often an inner block must run than a cold one to get its own region.
const INNER_FACTOR: u32 = 16;

const FAST: usize = 4096;

/// One entry of the fast lookup table: a key's compiled code, or what keeps
/// it on the interpreter, with the count of its runs there (kept here instead
/// of in the map while it stays in the table: a block that runs often in the
/// interpreter costs no map lookup per run).
#[derive(Clone, Copy)]
struct FastEntry {
    key: Key,
    what: Cached,
}

#[derive(Clone, Copy)]
enum Cached {
    /// `Slot::Hot`: where to enter.
    Hot(Target),
    /// `Slot::Cold`: executions so far; the map's count is stale.
    Cold(u32),
    /// `Slot::Inner`: executions so far; the map's count is stale.
    Inner(u32),
    /// `Slot::Pending` or `Slot::Failed`: runs on the interpreter, uncounted.
    Wait,
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
    /// Loads and stores that left compiled code for the interpreter (TLB miss, MMIO, code page).
    pub mem_exits: u64,
    /// Exits before floating-point instructions whose fast path failed.
    pub fp_exits: u64,
    /// Regions dropped to be compiled again calling floating-point handlers.
    pub fp_recompiles: u64,
    /// Region entries refused because a page of the region is mapped elsewhere now.
    pub map_exits: u64,
    /// Extension instructions compiled with an inline fast path.
    pub fast_paths: u64,
    /// Loops compiled with a streamed copy (accesses checked once per page, see `lower::stream`).
    pub streamed_loops: u64,
    /// Streamed loops that also run several trips at a time in SIMD lanes (see `lower::stream::vector`).
    pub vector_loops: u64,
    /// Extension instructions run through their reference helper from compiled
    /// code (fast path guard failed, or no fast path).
    pub ext_helper_calls: u64,
    /// Regions dropped to be compiled again with newly seen targets of their `switch` jumps.
    pub recompiles: u64,
    /// Regions dropped to be compiled again optimised (sampled hot).
    pub tier_ups: u64,
    /// Compiles (including tier-ups) done on the compile thread.
    pub background: u64,
    /// Background compiles thrown away: their guest bytes changed, or a flush came first.
    pub background_stale: u64,
    /// Direct exits that went straight to the next region (patched chain slot).
    pub chain_hits: u64,
    /// Direct exits whose slot was not patched yet (back to the dispatcher).
    pub chain_misses: u64,
    /// Chain slots patched.
    pub chain_patches: u64,
    /// Indirect exits (`jalr`, jumps to other pages) served by the jump cache.
    pub jc_hits: u64,
    /// Indirect exits the jump cache could not serve (back to the dispatcher).
    pub jc_misses: u64,
    /// The last compilation error, if any.
    pub last_error: Option<String>,
}

/// The Cranelift JIT engine.
pub struct Jit {
    cfg: JitConfig,
    interp: Interp,
    compiler: Compiler,
    arena: CodeArena,
    map: FastMap<Key, Slot>,
    regions: Vec<Option<Compiled>>,
    by_page: FastMap<u64, Vec<usize>>,
    fast: Vec<Option<FastEntry>>,
    stats: JitStats,
    /// Where the last `run` stopped: resuming there (after a deadline, often in
    /// the middle of a block) does not count towards hotness.
    stopped_at: u64,
    /// `/tmp/perf-PID.map` for `perf` when `MKJIT_PERF_MAP` is set.
    perf_map: Option<std::fs::File>,
    /// Class costs the cached code was compiled with.
    costs: Option<[u64; CLASSES.len()]>,
    /// The entry trampoline.
    enter: EnterFn,
    /// Chain slots: `[code, entry]` each, read by generated code. Never reallocated.
    slots: Box<[[u64; 2]]>,
    /// The key each used slot was made for.
    slot_keys: Vec<Key>,
    /// The jump cache, read by generated code. Never reallocated.
    jc: Box<[JcEntry]>,
    /// Enabled sets the jump cache holds entries for.
    jc_sets: u64,
    /// Counters generated code increments ([`counter`]).
    counters: Box<[u64; counter::COUNT]>,
    /// The chain slot the last region call returned, patched by the next
    /// successful lookup if its key is the one the slot was made for (even in
    /// a later `run`: the key match is what makes a patch right).
    pending: Option<u32>,
    /// Targets seen for `switch`-like jumps (site va, mode, sets), from jump-cache misses.
    targets: FastMap<(u64, u32, u64), Vec<u64>>,
    /// Regions with such jumps: site -> region, targets it was compiled with, recompiles so far.
    sites: FastMap<(u64, u32, u64), (usize, usize, u8)>,
    /// Keys whose region found one of its other pages remapped: compiled on one page from then on.
    single_page: FastMap<Key, ()>,
    /// Keys whose region left too often before floating-point instructions:
    /// compiled with calls to the handlers from then on.
    fp_calls: FastMap<Key, ()>,
    /// The region that last returned to the dispatcher (`u64::MAX`: none / unknown).
    last_region: u64,
    /// The clock when it returned.
    returned_at: u64,
    /// The compile thread, when compiling in the background.
    worker: Option<Worker>,
    /// Flushes so far (background jobs from before the last flush are dropped).
    generation: u64,
    /// Hart, RAM, store-start map, hooks and chaining the cached code was compiled for.
    machine_id: Option<MachineId>,
}

/// What compiled code bakes in about the machine it runs on (see
/// `Jit::check_machine`): the hart's and RAM's host addresses, RAM's size,
/// the store-start map's address, whether a translate hook is installed,
/// chaining, extension fast paths and the extensions' state generation.
#[derive(Clone, Copy, PartialEq, Eq)]
struct MachineId {
    hart: u64,
    ram: u64,
    ram_size: u64,
    store_start: u64,
    translate_hook: bool,
    chain: bool,
    fastpath: bool,
    ext_generation: u64,
}

fn fast_index(k: &Key) -> usize {
    ((k.pa >> 1) ^ (k.pa >> 13) ^ (k.va >> 7) ^ k.asid as u64) as usize & (FAST - 1)
}

/// Empties `k`'s entry of the fast lookup table if it holds `k` (a count
/// it held is dropped: `k` is about to get another slot).
fn forget_fast(fast: &mut [Option<FastEntry>], k: &Key) {
    let fi = fast_index(k);
    if matches!(&fast[fi], Some(e) if e.key == *k) {
        fast[fi] = None;
    }
}

impl Jit {
    /// A JIT with default settings (see [`JitConfig::from_env`]).
    pub fn new() -> Result<Jit, JitError> {
        Jit::with_config(JitConfig::from_env())
    }

    /// A JIT with `cfg`.
    pub fn with_config(cfg: JitConfig) -> Result<Jit, JitError> {
        let compiler = Compiler::new()?;
        // Without a compile thread (it could not start) everything compiles in line.
        let worker = if cfg.background { Worker::start(compiler.trampolines()).ok() } else { None };
        // SAFETY: the trampoline is a C-convention function of this signature (see
        // `lower::trampoline`); it lives in the compiler's arena, owned by the engine.
        let enter = unsafe { std::mem::transmute::<usize, EnterFn>(compiler.enter()) };
        Ok(Jit {
            arena: CodeArena::new(cfg.cache_bytes)?,
            cfg,
            interp: Interp::new(),
            compiler,
            map: FastMap::default(),
            regions: Vec::new(),
            by_page: FastMap::default(),
            fast: vec![None; FAST],
            stats: JitStats::default(),
            stopped_at: u64::MAX,
            costs: None,
            enter,
            slots: vec![[0u64; 2]; SLOTS].into_boxed_slice(),
            slot_keys: Vec::new(),
            jc: vec![JcEntry::default(); lower::JC_ENTRIES].into_boxed_slice(),
            jc_sets: 0,
            counters: Box::new([0; counter::COUNT]),
            pending: None,
            machine_id: None,
            single_page: FastMap::default(),
            fp_calls: FastMap::default(),
            last_region: u64::MAX,
            returned_at: 0,
            targets: FastMap::default(),
            sites: FastMap::default(),
            worker,
            generation: 0,
            perf_map: std::env::var_os("MKJIT_PERF_MAP")
                .and_then(|_| std::fs::File::create(format!("/tmp/perf-{}.map", std::process::id())).ok()),
        })
    }

    /// Counters (including those generated code keeps).
    pub fn jit_stats(&self) -> JitStats {
        let mut s = self.stats.clone();
        let c = &self.counters;
        s.chain_hits = c[(counter::CHAIN_HITS / 8) as usize];
        s.chain_misses = c[(counter::CHAIN_MISSES / 8) as usize];
        s.jc_hits = c[(counter::JC_HITS / 8) as usize];
        s.jc_misses = c[(counter::JC_MISSES / 8) as usize];
        s
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
        let asid = if h.data_bank == tlb::BANK_U { h.tlb_key[tlb::BANK_U as usize] as u16 } else { 0 };
        Key { va, pa, mode, sets: m.enabled.0, asid }
    }

    /// The jump-cache mode tag of `key` (added to physical addresses, see [`lower::jc_mode_tag`]).
    fn mode_tag(key: &Key) -> u64 {
        lower::jc_mode_tag(key.prv_bits(), key.data_bank(), key.fetch_bank(), key.asid)
    }

    /// The compiled code for the current pc, compiling it if it became hot.
    /// Patches the pending chain slot and fills the jump cache with what it finds.
    fn lookup(&mut self, m: &mut Machine, count: bool) -> Option<Target> {
        let pending = self.pending.take();
        let pc = m.hart.pc;
        let pa = m.fetch_translate(pc).ok()?;
        let key = Self::key(m, pc, pa);
        let fi = fast_index(&key);
        let cold = self.cfg.threshold;
        let inner = cold.saturating_mul(INNER_FACTOR);
        let cached = self.fast[fi].filter(|e| e.key == key).map(|e| e.what);
        let target = match cached {
            Some(Cached::Hot(t)) => t,
            Some(Cached::Wait) => return None,
            Some(Cached::Cold(_) | Cached::Inner(_)) if !count => return None,
            Some(Cached::Cold(n)) if n.saturating_add(1) < cold => {
                self.fast[fi] = Some(FastEntry { key, what: Cached::Cold(n + 1) });
                return None;
            }
            Some(Cached::Inner(n)) if n.saturating_add(1) < inner => {
                self.fast[fi] = Some(FastEntry { key, what: Cached::Inner(n + 1) });
                return None;
            }
            _ => {
                self.evict_fast(fi);
                let found = self.lookup_slow(m, key, count);
                let what = found.map_or_else(|w| w, |t| Some(Cached::Hot(t)));
                self.fast[fi] = what.map(|what| FastEntry { key, what });
                found.ok()?
            }
        };
        if let Some(s) = pending {
            if self.slot_keys.get(s as usize) == Some(&key) {
                self.slots[s as usize] = [target.code, target.entry];
                if let Some(r) = self.regions[target.region].as_mut() {
                    r.incoming.push(s);
                }
                self.stats.chain_patches += 1;
            }
        }
        if self.cfg.chain && !m.trace.nochain {
            let tag = pa | Self::mode_tag(&key);
            self.jc[lower::jc_index(pc)] = JcEntry { va: pc, tag, code: target.code, entry: target.entry };
        }
        Some(target)
    }

    /// Empties entry `fi` of the fast lookup table, writing a count it held
    /// back to the map (whose slot for the key is the same kind: an entry is
    /// forgotten whenever its key gets another slot).
    fn evict_fast(&mut self, fi: usize) {
        let Some(FastEntry { key, what }) = self.fast[fi].take() else { return };
        match (what, self.map.get_mut(&key)) {
            (Cached::Cold(n), Some(Slot::Cold(c))) | (Cached::Inner(n), Some(Slot::Inner(c))) => *c = n,
            (Cached::Hot(_) | Cached::Wait, _) => {}
            _ => debug_assert!(false, "a cached key has another slot"),
        }
    }

    /// How often `k` ran on the interpreter, if it has not been compiled.
    fn cold_count(&self, k: &Key) -> Option<u32> {
        match self.fast[fast_index(k)] {
            Some(FastEntry { key, what: Cached::Cold(n) }) if key == *k => Some(n),
            _ => match self.map.get(k) {
                Some(&Slot::Cold(n)) => Some(n),
                _ => None,
            },
        }
    }

    /// Gives `k` slot `s`.
    fn set_slot(&mut self, k: Key, s: Slot) {
        forget_fast(&mut self.fast, &k);
        self.map.insert(k, s);
    }

    /// [`Jit::lookup`] in the map: the code for `key`, counting a run
    /// (compiling when it is hot), or what the fast table may keep for a key
    /// that stays on the interpreter.
    fn lookup_slow(&mut self, m: &mut Machine, key: Key, count: bool) -> Result<Target, Option<Cached>> {
        let compiled = match self.map.get_mut(&key) {
            Some(Slot::Hot(i, e)) => Some((*i, *e)),
            Some(Slot::Failed | Slot::Pending) => return Err(Some(Cached::Wait)),
            Some(Slot::Suspect(i, e)) => {
                let (i, e) = (*i, *e);
                if !self.still_valid(m, i) {
                    self.drop_region(i);
                    self.map.insert(key, Slot::Cold(1));
                    return Err(Some(Cached::Cold(1)));
                }
                self.stats.revalidated += 1;
                let r = self.regions[i].as_ref().expect("live region");
                for page in r.guest.pages.iter().map(|p| p.1).collect::<Vec<_>>() {
                    if m.bus.mark_code_page(page) {
                        m.hart.tlb.protect_code_page(page);
                    }
                }
                self.map.insert(key, Slot::Hot(i, e));
                Some((i, e))
            }
            s if !count => return Err(s.and_then(|s| s.cached())),
            Some(Slot::Cold(n)) => {
                *n += 1;
                if *n < self.cfg.threshold {
                    return Err(Some(Cached::Cold(*n)));
                }
                self.compile(m, key)
            }
            Some(Slot::Inner(n)) => {
                *n += 1;
                if *n < self.cfg.threshold.saturating_mul(INNER_FACTOR) {
                    return Err(Some(Cached::Inner(*n)));
                }
                self.compile(m, key)
            }
            None => {
                if self.cfg.threshold > 1 {
                    self.map.insert(key, Slot::Cold(1));
                    return Err(Some(Cached::Cold(1)));
                }
                self.compile(m, key)
            }
        };
        // Not compiled (failed, or on the compile thread): as the map says now.
        let Some((idx, entry)) = compiled else { return Err(self.map.get(&key).and_then(Slot::cached)) };
        let code = self.regions[idx].as_ref().expect("live region").code;
        Ok(Target { code, entry: entry as u64, region: idx })
    }

    /// The physical page of virtual page `next` for instruction fetches, for
    /// a region that spans pages: the identity when fetches are untranslated
    /// and unhooked, else what the fetch TLB holds now (no page walk: walking
    /// would set accessed bits the guest has not asked for yet).
    fn page_of(m: &Machine, next: u64) -> Option<u64> {
        let h = &m.hart;
        let pa = if h.fetch_bank == tlb::BANK_M && m.ext.translate.is_none() {
            next
        } else {
            let b = h.fetch_bank as usize;
            let e = &h.tlb.entries[b][tlb::index(next, h.tlb_salt[b])];
            if e.tag_x != tlb::lookup_tag(next, 2, h.tlb_key[b]) {
                return None;
            }
            let host = e.addend.wrapping_add(next);
            m.bus.ram.paddr_of(host)
        };
        m.bus.ram.contains(pa, 4096).then_some(pa)
    }

    /// What region discovery for `key` may know of the guest: the code map,
    /// the fetch TLB (for other pages, unless `one_page`) and the targets of
    /// `switch`-like jumps, all in `key`'s mode.
    fn seen<'a>(&'a self, m: &'a Machine, key: Key, one_page: bool) -> Seen<'a> {
        // Code on other pages joins a region only if it ran an eighth as often as compiling takes.
        let warm = (self.cfg.threshold / 8).max(1);
        Seen { jit: self, m, key, one_page, warm }
    }

    /// What `-d op,out_asm` asks compiles to return besides the code.
    fn want(m: &Machine) -> Want {
        Want { ir: m.trace.op, asm: m.trace.out_asm }
    }

    /// What the code compiled now for `key` bakes in besides the guest code.
    /// Privilege and TLB banks come from the key, not from the hart: a region
    /// compiled again (a tier-up) may be for another mode than the hart's now.
    fn env(&self, m: &Machine, key: &Key, region_id: usize) -> Env {
        let prv = Priv::from_bits(key.prv_bits() as u64);
        let (data_bank, fetch_bank) = (key.data_bank(), key.fetch_bank());
        let host_offset = m.bus.ram.host_offset();
        let hooked = m.ext.translate.is_some();
        let direct = (data_bank == tlb::BANK_M && !hooked).then(|| DirectMem {
            host_offset,
            ram_size: m.bus.ram.size(),
            start_map: m.bus.store_start_map() as u64,
        });
        let chain = (self.cfg.chain && !m.trace.nochain).then(|| ChainEnv {
            slots: self.slots.as_ptr() as u64,
            first_slot: self.slot_keys.len() as u32,
            max_slots: lower::MAX_SLOTS_PER_REGION,
            jc: self.jc.as_ptr() as u64,
            counters: self.counters.as_ptr() as u64,
            mode_tag: Self::mode_tag(key),
        });
        Env {
            prv,
            bank: data_bank,
            chain,
            direct,
            host_offset,
            fetch_identity: fetch_bank == tlb::BANK_M && !hooked,
            fetch_bank,
            asid: (data_bank == tlb::BANK_U).then_some(key.asid),
            region_id: region_id as u64,
            fp_calls: self.fp_calls.contains_key(key),
        }
    }

    fn compile(&mut self, m: &mut Machine, key: Key) -> Option<(usize, u32)> {
        if self.slot_keys.len() + lower::MAX_SLOTS_PER_REGION as usize > SLOTS {
            self.flush();
        }
        let t0 = Instant::now();
        let one_page = self.single_page.contains_key(&key) || !self.cfg.multi_page;
        let mut cap = self.cfg.region_cap;
        let mut guest = region::discover(m, key.va, key.pa, cap, &self.seen(m, key, one_page));
        let tier = self.cfg.tier;
        if self.worker.is_some() {
            self.submit(m, key, guest, tier, None);
            return None;
        }
        let want = Self::want(m);
        let costs = Self::class_costs(m);
        let cost = |op| costs[Class::of(op) as usize];
        let mut installed = None;
        let mut flushed = false;
        // (A smaller region compiled again below uses no other sets.)
        let fast = FastPaths::prepare(m, &guest);
        loop {
            let env = self.env(m, &key, self.regions.len());
            let out = match self.compiler.compile(&guest, &env, tier, &cost, want, &fast) {
                Ok(c) => c,
                Err(e) => {
                    self.compile_failed(m, key, e);
                    return None;
                }
            };
            if let Some(p) = self.arena.install(&out.code) {
                installed = Some((p, out));
                break;
            }
            if !flushed {
                // Full: flush and compile again (slot numbers are baked into the code).
                self.flush();
                flushed = true;
            } else if cap > 1 {
                // Bigger than the whole cache: a smaller region.
                cap /= 2;
                guest = region::discover(m, key.va, key.pa, cap, &self.seen(m, key, one_page));
            } else {
                break;
            }
        }
        let Some((ptr, out)) = installed else {
            self.stats.compile_failures += 1;
            self.stats.last_error = Some(format!("region at {:#x} does not fit in the code cache", key.va));
            self.set_slot(key, Slot::Failed);
            return None;
        };
        let idx = self.regions.len();
        self.regions.push(None);
        let first_slot = self.slot_keys.len();
        let micros = t0.elapsed().as_micros() as u64;
        Some(self.finish(m, key, idx, first_slot, guest, out, ptr, micros, tier))
    }

    /// Records that the region at `key` cannot be compiled: it stays on the interpreter.
    fn compile_failed(&mut self, m: &mut Machine, key: Key, e: LowerError) {
        if !matches!(e, LowerError::Empty) {
            // (Empty: the entry instruction straddles the page end.)
            self.stats.compile_failures += 1;
            self.stats.last_error = Some(format!("region at {:#x}: {e}", key.va));
            if m.trace.op || m.trace.out_asm || m.trace.in_asm {
                m.trace.line(format_args!("jit: region at {:#x} not compiled: {e}", key.va));
            }
        }
        self.set_slot(key, Slot::Failed);
    }

    /// Hands `guest` to the compile thread: as a new region at `key`, or as
    /// the optimised code of region `upgrade`. Reserves the region
    /// number and the chain slots the code bakes in; a new region's key is
    /// `Pending` until the code comes back (see [`Jit::collect`]).
    fn submit(&mut self, m: &Machine, key: Key, guest: Region, tier: Tier, upgrade: Option<usize>) {
        let tier_up = upgrade.is_some();
        let idx = upgrade.unwrap_or(self.regions.len());
        let mut env = self.env(m, &key, idx);
        let first_slot = self.slot_keys.len();
        let bound = background::slot_bound(&guest);
        if let Some(c) = env.chain.as_mut() {
            c.first_slot = first_slot as u32;
            c.max_slots = bound as u32;
        }
        // Its other blocks wait for it too, rather than get regions of their own meanwhile.
        let waiting: Vec<Key> = if tier_up {
            Vec::new()
        } else {
            Self::block_keys(&guest, key).filter(|k| matches!(self.map.get(k), None | Some(Slot::Cold(_)))).collect()
        };
        let job = Job {
            generation: self.generation,
            key,
            idx,
            first_slot,
            fast: FastPaths::prepare(m, &guest),
            guest,
            env,
            tier,
            costs: Self::class_costs(m),
            want: Self::want(m),
            tier_up,
        };
        let Some(w) = self.worker.as_mut() else { return };
        if !w.submit(job) {
            // The compile thread is gone: compile in line from now on.
            self.worker = None;
            return;
        }
        self.slot_keys.extend(std::iter::repeat_n(NO_KEY, bound));
        if !tier_up {
            self.regions.push(None);
            for k in waiting.into_iter().chain([key]) {
                self.set_slot(k, Slot::Pending);
            }
        }
    }

    /// Forgets that the blocks of `guest` (entered at `key`) wait for code: they are cold again.
    fn unpend(&mut self, guest: &Region, key: Key) {
        for k in Self::block_keys(guest, key).chain([key]) {
            if matches!(self.map.get(&k), Some(Slot::Pending)) {
                self.map.remove(&k);
                forget_fast(&mut self.fast, &k);
            }
        }
    }

    /// The keys of `guest`'s blocks other than its entry, in `key`'s mode.
    fn block_keys(guest: &Region, key: Key) -> impl Iterator<Item = Key> + '_ {
        guest.blocks.iter().skip(1).map(move |b| key.of_block(guest, b.start))
    }

    /// Installs what the compile thread finished, unless it is stale: made
    /// before the last flush, compiled from guest bytes that changed since,
    /// or (a tier-up) for a region that was dropped. Never waits.
    fn collect(&mut self, m: &mut Machine) {
        while let Some(Done { job, out, micros }) = self.worker.as_mut().and_then(|w| w.poll()) {
            if job.generation != self.generation {
                self.stats.background_stale += 1;
                continue;
            }
            let key = job.key;
            // Still wanted: a tier-up's region is the one it was made for; a new
            // region's key still waits for it.
            let wanted = if job.tier_up {
                self.regions[job.idx].as_ref().is_some_and(|r| r.keys[0] == key && r.upgrading)
            } else {
                matches!(self.map.get(&key), Some(Slot::Pending))
            };
            match out {
                Ok(out) if wanted && job.guest.unchanged(m) => {
                    let Some(ptr) = self.arena.install(&out.code) else {
                        // Full: start over (this code's slot numbers die with the flush).
                        self.flush();
                        continue;
                    };
                    self.stats.background += 1;
                    if job.tier_up {
                        self.upgrade(m, job.idx, job.first_slot, Some(job.guest), &out, ptr, micros);
                    } else {
                        self.finish(m, key, job.idx, job.first_slot, job.guest, out, ptr, micros, job.tier);
                    }
                }
                Err(e) if wanted && !job.tier_up => {
                    self.unpend(&job.guest, key);
                    self.compile_failed(m, key, e);
                }
                _ => {
                    // No longer wanted, or written while it compiled (a new
                    // region's blocks are cold again).
                    self.stats.background_stale += 1;
                    if !job.tier_up {
                        self.unpend(&job.guest, key);
                    }
                }
            }
        }
    }

    /// Takes compiled code at `ptr` for `guest` into the cache as region
    /// `idx` (reserved), entered at `key`, its chain slots from `first_slot`.
    #[allow(clippy::too_many_arguments)]
    fn finish(
        &mut self,
        m: &mut Machine,
        key: Key,
        idx: usize,
        first_slot: usize,
        guest: Region,
        out: lower::Compiled,
        ptr: *const u8,
        micros: u64,
        tier: Tier,
    ) -> (usize, u32) {
        Self::note_compiled(&mut self.stats, &mut self.perf_map, m, &key, guest.insn_count, &out, ptr, micros, "");
        if m.trace.in_asm {
            let mut s = format!("JIT IN: region at pc {:#x} (pa {:#x}), {} insns\n", key.va, key.pa, guest.insn_count);
            for b in &guest.blocks {
                let entry = if b.entry { " entry" } else { "" };
                let check = match b.check {
                    Some(n) => format!(" check {n}"),
                    None => format!(" entry-check {}", b.entry_reach),
                };
                s.push_str(&format!(" block {:#x}:{entry}{check}\n", b.start));
                for gi in &b.insns {
                    s.push_str(&format!("  {:#018x}: {:08x}  {}\n", gi.pc, gi.insn.raw, m.isa.disasm(&gi.insn, gi.pc)));
                }
            }
            m.trace.line(format_args!("{s}"));
        }
        let pages: Vec<u64> = guest.pages.iter().map(|p| p.1).collect();
        for &p in &pages {
            if m.bus.mark_code_page(p) {
                m.hart.tlb.protect_code_page(p);
            }
        }
        self.take_slots(first_slot, &out.slots, key);
        let keys: Vec<Key> = guest.entries().map(|b| key.of_block(&guest, b.start)).collect();
        for (e, k) in keys.iter().enumerate() {
            // Other entries keep a region they already have.
            if e == 0 || !matches!(self.map.get(k), Some(Slot::Hot(..))) {
                self.set_slot(*k, Slot::Hot(idx, e as u32));
            }
        }
        for b in guest.blocks.iter().filter(|b| !b.entry) {
            let k = key.of_block(&guest, b.start);
            if matches!(self.map.get(&k), None | Some(Slot::Cold(_) | Slot::Pending)) {
                self.set_slot(k, Slot::Inner(0));
            }
        }
        for b in &guest.blocks {
            let last = b.insns.last().expect("blocks are not empty");
            if last.insn.op == mkjit_runtime::isa::Op::Jalr && last.insn.rd == 0 && !region::is_return(&last.insn) {
                let site = (last.pc, key.mode, key.sets);
                let known = self.targets.get(&site).map_or(0, |t| t.len());
                let again = self.sites.get(&site).map_or(0, |s| s.2);
                self.sites.insert(site, (idx, known, again));
            }
        }
        self.regions[idx] = Some(Compiled {
            keys,
            code: ptr as u64,
            guest,
            incoming: Vec::new(),
            tier,
            samples: 0,
            upgrading: false,
            fp_exits: 0,
        });
        for p in pages {
            self.by_page.entry(p).or_default().push(idx);
        }
        (idx, 0)
    }

    /// Names the chain slots from `first_slot` that code compiled for `key`'s
    /// mode uses, `slots` (reserved ones, or new at the end).
    fn take_slots(&mut self, first_slot: usize, slots: &[(u64, u64)], key: Key) {
        for (n, &(va, pa)) in slots.iter().enumerate() {
            let k = Key { va, pa, ..key };
            match self.slot_keys.get_mut(first_slot + n) {
                Some(s) => *s = k,
                None => self.slot_keys.push(k),
            }
        }
    }

    /// Whether the guest bytes region `idx` was compiled from are unchanged.
    fn still_valid(&self, m: &Machine, idx: usize) -> bool {
        self.regions[idx].as_ref().is_some_and(|r| r.guest.unchanged(m))
    }

    /// Unchains region `idx`: resets the slots patched to it and its jump-cache entries.
    fn unchain(&mut self, idx: usize) {
        let Some(r) = self.regions[idx].as_mut() else { return };
        let code = r.code;
        for s in r.incoming.drain(..) {
            let slot = &mut self.slots[s as usize];
            if slot[0] == code {
                *slot = [0, 0];
            }
        }
        for e in self.jc.iter_mut().filter(|e| e.code == code) {
            *e = JcEntry::default();
        }
    }

    /// Forgets region `idx`.
    fn drop_region(&mut self, idx: usize) {
        self.unchain(idx);
        if let Some(r) = self.regions[idx].take() {
            self.stats.invalidated += 1;
            for k in &r.keys {
                if matches!(self.map.get(k), Some(Slot::Hot(i, _) | Slot::Suspect(i, _)) if *i == idx) {
                    self.map.remove(k);
                }
                forget_fast(&mut self.fast, k);
            }
            for &(_, p) in &r.guest.pages {
                if let Some(list) = self.by_page.get_mut(&p) {
                    list.retain(|&i| i != idx);
                }
            }
        }
    }

    /// Drops every translation (the code cache is full, or what code bakes in changed).
    fn flush(&mut self) {
        self.stats.flushes += 1;
        self.generation += 1;
        self.map.clear();
        self.regions.clear();
        self.by_page.clear();
        self.fast.fill(None);
        self.arena.reset();
        self.slots.fill([0, 0]);
        self.slot_keys.clear();
        self.jc.fill(JcEntry::default());
        self.pending = None;
        self.sites.clear();
    }

    /// Runs compiled code at the current pc (and whatever it chains to).
    /// Returns what the last region returned (see [`lower::MEM_EXIT`]), the
    /// value it left in `ctx.value`, and its number.
    fn call(&mut self, m: &mut Machine, t: Target) -> (u64, u64, u64) {
        let mp: *mut Machine = m;
        let mut ctx = Ctx { machine: mp, leave: 0, value: 0, ext_calls: 0, region: u64::MAX };
        // SAFETY: `mp` is a valid exclusive pointer for the duration of the call; no
        // Rust reference to the machine is used until it returns. The hart is boxed,
        // so its address is stable. `t.code` is live region code (the cache is not
        // flushed while it runs), and everything it chains to is live too: slots and
        // jump-cache entries are reset whenever their region is dropped.
        let r = unsafe {
            let hart: *mut Hart = &mut *(*mp).hart;
            (self.enter)(hart, &mut ctx, t.entry, t.code)
        };
        self.stats.ext_helper_calls += ctx.ext_calls;
        let base = self.slots.as_ptr() as u64;
        if r >= base {
            let s = (r - base) / lower::SLOT_SIZE as u64;
            if (s as usize) < self.slot_keys.len() {
                self.pending = Some(s as u32);
            }
        }
        (r, ctx.value, ctx.region)
    }

    /// Runs the interpreter for one block from the hart's pc (where a region
    /// left), unless the deadline is already reached.
    fn interpret_block(&mut self, m: &mut Machine) {
        let budget = m.hart.deadline.saturating_sub(m.hart.clock);
        if budget > 0 {
            self.interp.step_block(m, budget);
        }
    }

    /// Counts a floating-point exit of region `id`; at [`FP_EXIT_LIMIT`]
    /// drops it, to be compiled again calling the handlers.
    fn note_fp_exit(&mut self, id: u64) {
        self.stats.fp_exits += 1;
        let Some(Some(r)) = self.regions.get_mut(id as usize) else { return };
        r.fp_exits += 1;
        if r.fp_exits >= FP_EXIT_LIMIT {
            for k in &r.keys {
                self.fp_calls.insert(*k, ());
            }
            self.stats.fp_recompiles += 1;
            self.drop_region(id as usize);
        }
    }

    /// Records `hart.pc` as a target of the `switch`-like jump at `site`; when
    /// the region holding that jump was compiled knowing fewer of them, drops
    /// it so that it is compiled again (at most a few times) with them inside.
    fn note_target(&mut self, m: &Machine, site: u64) {
        let k = (site, Self::key(m, 0, 0).mode, m.enabled.0);
        let list = self.targets.entry(k).or_default();
        let t = m.hart.pc;
        if list.contains(&t) || list.len() >= 64 {
            return;
        }
        list.push(t);
        let known = list.len();
        if let Some(&(idx, at_compile, again)) = self.sites.get(&k) {
            if known >= at_compile + 2 && again < 3 && self.regions.get(idx).is_some_and(|r| r.is_some()) {
                self.sites.insert(k, (idx, known, again + 1));
                self.stats.recompiles += 1;
                self.drop_region(idx);
            }
        }
    }

    /// Counts a compiled region and prints what `-d op,out_asm` and the perf map ask for.
    #[allow(clippy::too_many_arguments)]
    fn note_compiled(
        stats: &mut JitStats,
        perf_map: &mut Option<std::fs::File>,
        m: &mut Machine,
        key: &Key,
        insns: usize,
        out: &lower::Compiled,
        ptr: *const u8,
        micros: u64,
        tag: &str,
    ) {
        stats.compiles += 1;
        stats.insns_compiled += insns as u64;
        stats.fast_paths += out.fast_paths as u64;
        stats.streamed_loops += out.streamed_loops as u64;
        stats.vector_loops += out.vector_loops as u64;
        stats.code_bytes += out.code.len() as u64;
        stats.compile_us += micros;
        if let Some(ir) = &out.ir {
            m.trace.line(format_args!("JIT OP: region at pc {:#x}{tag}\n{ir}", key.va));
        }
        if let Some(asm) = &out.asm {
            m.trace.line(format_args!(
                "JIT OUT: region at pc {:#x}{tag}, {} bytes at {ptr:p}\n{asm}",
                key.va,
                out.code.len()
            ));
        }
        if let Some(f) = perf_map {
            use std::io::Write;
            let suffix = if tag.is_empty() { "" } else { "_opt" };
            let _ = writeln!(f, "{:x} {:x} region_{:x}{suffix}", ptr as usize, out.code.len(), key.va);
        }
    }

    /// Compiled code ran up to a deadline (a timer, the console poll every
    /// Mi instructions), itself or through the interpreter's run from where
    /// it stopped short of it: counts a sample for the region that returned
    /// (each region's exit stores its number in `ctx.region`). A region below
    /// [`Tier::Optimized`] with [`JitConfig::tier_up_samples`] samples is
    /// compiled again optimised, and the new code takes over its entries.
    fn sample(&mut self, m: &mut Machine) {
        let after = self.cfg.tier_up_samples;
        let idx = self.last_region as usize;
        if after == 0 || !self.regions.get(idx).is_some_and(|r| r.as_ref().is_some_and(|r| r.tier != Tier::Optimized)) {
            return;
        }
        let r = self.regions[idx].as_mut().expect("checked live");
        r.samples += 1;
        if r.samples < after {
            return;
        }
        self.tier_up(m, idx);
    }

    /// Compiles region `idx` again with [`Tier::Optimized`], from the same
    /// guest blocks: the new code replaces the old under the same entries
    /// (the old stays in the arena until the next flush). Nothing happens if
    /// the cache is full.
    fn tier_up(&mut self, m: &mut Machine, idx: usize) {
        if self.slot_keys.len() + lower::MAX_SLOTS_PER_REGION as usize > SLOTS {
            return;
        }
        let Some(r) = self.regions[idx].as_mut() else { return };
        if r.upgrading {
            return;
        }
        let key = r.keys[0];
        if self.worker.is_some() {
            r.upgrading = true;
            let guest = r.guest.clone();
            self.submit(m, key, guest, Tier::Optimized, Some(idx));
            return;
        }
        let t0 = Instant::now();
        let costs = Self::class_costs(m);
        let cost = |op| costs[Class::of(op) as usize];
        let want = Self::want(m);
        let env = self.env(m, &key, idx);
        let guest = &self.regions[idx].as_ref().expect("live region").guest;
        let fast = FastPaths::prepare(m, guest);
        let Ok(out) = self.compiler.compile(guest, &env, Tier::Optimized, &cost, want, &fast) else { return };
        let Some(ptr) = self.arena.install(&out.code) else { return };
        let first_slot = self.slot_keys.len();
        self.upgrade(m, idx, first_slot, None, &out, ptr, t0.elapsed().as_micros() as u64);
    }

    /// Makes `out`, installed at `ptr`, the code of region `idx` (compiled
    /// optimised from the same blocks, or from `guest`, a copy of them that
    /// the new code points into), its chain slots from `first_slot`.
    #[allow(clippy::too_many_arguments)]
    fn upgrade(
        &mut self,
        m: &mut Machine,
        idx: usize,
        first_slot: usize,
        guest: Option<Region>,
        out: &lower::Compiled,
        ptr: *const u8,
        micros: u64,
    ) {
        let Some(r) = self.regions[idx].as_ref() else { return };
        let (key, insns) = (r.keys[0], r.guest.insn_count);
        self.stats.tier_ups += 1;
        Self::note_compiled(&mut self.stats, &mut self.perf_map, m, &key, insns, out, ptr, micros, " (optimised)");
        self.take_slots(first_slot, &out.slots, key);
        // Nothing may reach the old code any more: chain slots, jump cache, fast table.
        self.unchain(idx);
        let r = self.regions[idx].as_mut().expect("live region");
        for k in &r.keys {
            forget_fast(&mut self.fast, k);
        }
        r.code = ptr as u64;
        r.tier = Tier::Optimized;
        r.upgrading = false;
        if let Some(g) = guest {
            // The old code (unreachable now) pointed into the old copy.
            r.guest = g;
        }
    }

    /// Flushes when what compiled code bakes in about the machine changed
    /// (another machine's hart or RAM, the translate hook, chaining on or off).
    /// An engine serves one machine at a time; moving it to another (live)
    /// machine starts over.
    fn check_machine(&mut self, m: &Machine) {
        let id = MachineId {
            hart: &*m.hart as *const Hart as u64,
            ram: m.bus.ram.host_base() as u64,
            ram_size: m.bus.ram.size(),
            store_start: m.bus.store_start_map() as u64,
            translate_hook: m.ext.translate.is_some(),
            chain: self.cfg.chain && !m.trace.nochain,
            // Inline fast paths embed extension state addresses.
            fastpath: m.ext.fastpath,
            ext_generation: m.ext.generation(),
        };
        if self.machine_id != Some(id) {
            if self.machine_id.is_some() {
                self.flush();
            }
            self.machine_id = Some(id);
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
        self.check_machine(m);
        let mut resumed = m.hart.pc == self.stopped_at && !self.cfg.count_resumptions;
        while m.hart.clock < m.hart.deadline && m.hart.exit & !exit::IRQ_CHECK == 0 {
            if m.enabled.0 != self.jc_sets {
                self.jc.fill(JcEntry::default());
                self.jc_sets = m.enabled.0;
            }
            if self.worker.as_ref().is_some_and(|w| w.in_flight() > 0) {
                self.collect(m);
            }
            let (pc, clock) = (m.hart.pc, m.hart.clock);
            let found = self.lookup(m, !resumed);
            resumed = false;
            match found {
                Some(t) => {
                    self.stats.hits += 1;
                    self.stats.region_runs += 1;
                    let (r, value, region) = self.call(m, t);
                    let stopped = m.hart.clock == clock && m.hart.pc == pc && m.hart.exit == 0;
                    if !stopped {
                        // The region (or one it chained to) ran: deadlines up
                        // to its longest run from here are its samples. One
                        // that stopped at its entry check did not run: the
                        // region that ran before it keeps them.
                        self.last_region = region;
                        self.returned_at = m.hart.clock;
                    }
                    if r == lower::IJUMP_MISS && value != 0 {
                        self.note_target(m, value);
                    }
                    self.stats.jit_clock += m.hart.clock - clock;
                    if r == lower::MAP_EXIT {
                        // A region (this one or one it chained to) found a page of
                        // it mapped elsewhere: drop it; the interpreter goes on.
                        self.stats.map_exits += 1;
                        if let Ok(pa) = m.fetch_translate(m.hart.pc) {
                            let k = Self::key(m, m.hart.pc, pa);
                            if let Some(Slot::Hot(i, _)) = self.map.get(&k) {
                                let i = *i;
                                // Its next compile stays on one page: the other
                                // pages change under it (address spaces that share
                                // only some pages of code).
                                self.single_page.insert(k, ());
                                self.drop_region(i);
                            }
                        }
                        self.interpret_block(m);
                    } else if r == lower::MEM_EXIT || r == lower::FP_EXIT {
                        // A load or store that takes the slow path, or a
                        // floating-point instruction: the interpreter runs it.
                        if r == lower::FP_EXIT {
                            self.note_fp_exit(region);
                        } else {
                            self.stats.mem_exits += 1;
                        }
                        self.interpret_block(m);
                    } else if stopped {
                        // The entry check failed: the deadline is closer than the
                        // longest run to the region's next check (at most a region's
                        // worth of instructions). The interpreter runs up to it.
                        self.stats.tails += 1;
                        while m.hart.clock < m.hart.deadline && m.hart.exit == 0 {
                            let budget = m.hart.deadline - m.hart.clock;
                            self.interp.step_block(m, budget);
                        }
                    }
                }
                None => {
                    self.stats.misses += 1;
                    let budget = m.hart.deadline - m.hart.clock;
                    self.interp.step_block(m, budget);
                }
            }
            if m.hart.clock >= m.hart.deadline && m.hart.clock.wrapping_sub(self.returned_at) <= TAIL_REACH {
                self.sample(m);
            }
            if m.hart.exit != 0 {
                break;
            }
        }
        self.stopped_at = m.hart.pc;
    }

    /// The page's regions become suspect: the next lookup of each compares its
    /// guest bytes with RAM and drops it if they changed (a store to data that
    /// shares a page with code leaves the translations usable). They are
    /// unchained at once.
    fn invalidate_page(&mut self, ppage: u64) {
        self.interp.invalidate_page(ppage);
        let list = self.by_page.get(&ppage).cloned().unwrap_or_default();
        for idx in list {
            let Some(r) = &self.regions[idx] else { continue };
            self.stats.suspected += 1;
            let keys = r.keys.clone();
            for k in &keys {
                if let Some(Slot::Hot(i, e)) = self.map.get(k) {
                    if *i == idx {
                        let e = *e;
                        self.map.insert(*k, Slot::Suspect(idx, e));
                    }
                }
                forget_fast(&mut self.fast, k);
            }
            self.unchain(idx);
        }
    }

    fn stats(&self) -> Vec<(String, u64)> {
        let s = &self.stats;
        let c = &self.counters;
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
            ("jit memory exits".to_string(), s.mem_exits),
            ("jit fp exits".to_string(), s.fp_exits),
            ("jit fp recompiles".to_string(), s.fp_recompiles),
            ("jit mapping exits".to_string(), s.map_exits),
            ("jit ext fast paths".to_string(), s.fast_paths),
            ("jit streamed loops".to_string(), s.streamed_loops),
            ("jit vector loops".to_string(), s.vector_loops),
            ("jit ext helper calls".to_string(), s.ext_helper_calls),
            ("jit switch recompiles".to_string(), s.recompiles),
            ("jit tier-ups".to_string(), s.tier_ups),
            ("jit background compiles".to_string(), s.background),
            ("jit background stale".to_string(), s.background_stale),
            ("jit chain hits".to_string(), c[(counter::CHAIN_HITS / 8) as usize]),
            ("jit chain misses".to_string(), c[(counter::CHAIN_MISSES / 8) as usize]),
            ("jit chain patches".to_string(), s.chain_patches),
            ("jit jump cache hits".to_string(), c[(counter::JC_HITS / 8) as usize]),
            ("jit jump cache misses".to_string(), c[(counter::JC_MISSES / 8) as usize]),
        ];
        v.extend(self.interp.stats());
        v
    }
}

/// What the engine has seen of the guest, for discovering the region of one key.
struct Seen<'a> {
    jit: &'a Jit,
    m: &'a Machine,
    key: Key,
    /// The region must stay on its entry's page.
    one_page: bool,
    /// Runs after which a block on another page is warm enough to join.
    warm: u32,
}

impl Seen<'_> {
    /// The map key of a block at `va` in the same mode as the region.
    fn key_of(&self, va: u64) -> Option<Key> {
        let pp = region::Profile::page_of(self, va & !0xfff)?;
        Some(Key { va, pa: pp | (va & 0xfff), ..self.key })
    }
}

impl region::Profile for Seen<'_> {
    fn ran(&self, va: u64) -> bool {
        self.key_of(va).is_some_and(|k| !matches!(self.jit.map.get(&k), None | Some(Slot::Inner(0))))
    }

    fn fresh(&self, va: u64) -> bool {
        self.key_of(va).and_then(|k| self.jit.cold_count(&k)).is_some_and(|n| n >= self.warm)
    }

    fn page_of(&self, vp: u64) -> Option<u64> {
        if vp == self.key.va & !0xfff {
            Some(self.key.pa & !0xfff)
        } else if self.one_page {
            None
        } else {
            Jit::page_of(self.m, vp)
        }
    }

    fn targets_of(&self, site: u64) -> Vec<u64> {
        self.jit.targets.get(&(site, self.key.mode, self.key.sets)).cloned().unwrap_or_default()
    }

    fn is_case(&self, va: u64) -> bool {
        self.jit
            .targets
            .iter()
            .any(|(&(_, mode, sets), t)| mode == self.key.mode && sets == self.key.sets && t.contains(&va))
    }
}
