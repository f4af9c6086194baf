//! Lowering a [`Region`] to one Cranelift function.
//!
//! ```text
//!   fn region(hart: *mut Hart, ctx: *mut Ctx, entry: u64) -> u64     (CallConv::Tail)
//!
//!   entry:  [region on several pages, translated fetches: each page still
//!            mapped as compiled? (fetch TLB) else return MAP_EXIT]
//!           load used guest registers, TLB key/salt; start the meter
//!           from clock, cycles and deadline (see `meter`)
//!           jump entry[entry]              (every block is an entry point)
//!   entry[b]: if budget < entry_reach(b) -> exit(pc = b, meter)
//!   block b:  [loop headers, return points: if budget < reach -> exit]
//!           insn; insn; ...                (inline; helpers out of line)
//!           meter += (cost << 16) - len    (clock and modeled cycles)
//!           branch -> block[target] | chain(target) | ijump(target) | exit(target)
//!           jr (switch) -> [target in the region's span: jump table -> entry[target]]
//!                          | ijump(target)
//!           (unpromoted registers written in a block are stored to hart.x on
//!            every way out of it)
//!   (every way out below first stores the promoted registers: the exit stub
//!    itself in loops of optimised code, else a shared block, see `Lx::jump_out`)
//!   leave(pc, meter): decode the meter -> exit(pc, clock, cycles)
//!   exit(pc, clock, cycles):  write back (pc, clock, cycles); return 0
//!   chain(pc, meter, slot):   (direct jump out of the region)
//!           write back; if slot.code: tail-call slot.code(hart, ctx, slot.entry)
//!                       else: return slot address (the dispatcher patches the slot)
//!   ijump(pc, meter, site):   (jalr, or a direct jump to another page)
//!           write back; look pc up in the jump cache, check the fetch TLB
//!           (unless fetches are untranslated): hit -> tail-call,
//!           miss -> ctx.value = site; return IJUMP_MISS (site: the pc of a
//!           `switch`-like jalr, whose targets the dispatcher records, or 0)
//!   mexit(pc, meter, code):   (a load or store that misses, see `mem`, or a
//!                              floating-point fast path that fails, see `hardfloat`)
//!           write back; return code, MEM_EXIT or FP_EXIT (the dispatcher
//!           interprets from pc)
//!   trap:   (a helper left the region) if hart.exit: exit(hart.pc, hart.clock)
//!           else (when chaining) write back and go on through the jump cache in
//!           the hart's current mode (ecall and other traps chain too, and so
//!           do `mret`/`sret` when no interrupt is pending; otherwise they,
//!           and CSR writes that change translation, leave hart.exit set for
//!           the machine loop's interrupt check)
//! ```
//!
//! **Chaining.** Regions are `tail`-convention functions, so one region
//! leaves for the next with a tail call, without returning to the
//! dispatcher, and a chain of any length runs in one host frame. The next
//! region's entry block starts with its deadline check, so chained code stops
//! at exactly the same clock as unchained code. A direct exit is *chainable*
//! when the physical address of its target follows from the region's own:
//! the target lies on one of the region's virtual pages (whose mappings its
//! entry checked), or fetches are untranslated (identity). Such an exit owns a slot, patched by
//! the dispatcher once the target is compiled and reset when the target is
//! dropped; other exits and `jalr` go through the jump cache, whose entries
//! name the physical address of the target instruction and the region's mode, so
//! a hit also proves that the fetch TLB maps the target as the dispatcher's
//! lookup would. Chaining never crosses a helper that left the region (traps,
//! `hart.exit`, mode changes): those return to the dispatcher.
//!
//! Guest registers are Cranelift variables, so a guest loop inside the region
//! becomes a host loop with registers in host registers (the 8 registers
//! whose values flow between blocks most are promoted for the whole region).
//! The clock, the modeled cycles and the distance to the deadline share one
//! host register (see [`meter`]); a check is one compare, a block one add.
//! Exactness: code past a check only runs if everything up to the next
//! check fits before the deadline (otherwise the dispatcher runs the
//! interpreter up to the deadline, see `Region::plan_checks`); jumps inside
//! the region check only at loop headers and return points, entries from
//! outside check for the longest run to the next check; before any helper
//! call the clock is stored as the interpreter would have it (retired
//! instructions only); after a helper that sets `hart.exit` the region ends
//! after that instruction; a load or store that cannot take the inline path
//! leaves the region before it (state as before the instruction).
//!
//! Per-instruction translation lives in one file per instruction set
//! ([`rv64i`], [`rv64m`], [`mem`], [`rv64a`], [`system`]).

pub mod custom;
mod float;
mod fpwindow;
mod hardfloat;
mod mem;
mod meter;
mod rv64a;
mod rv64i;
mod rv64m;
mod stream;
mod system;
pub mod trampoline;

use crate::arena::CodeArena;
use crate::helpers::ctx_offsets;
use crate::region::{GuestBlock, GuestInsn, Region};
use cranelift_codegen::ir::condcodes::IntCC;
use cranelift_codegen::ir::{
    types, AbiParam, AliasRegionData, Block, Function, InstBuilder, JumpTableData, MemFlagsData, SigRef, Signature,
    StackSlot, StackSlotData, StackSlotKind, UserFuncName, Value,
};
use cranelift_codegen::isa::{OwnedTargetIsa, TargetIsa};
use cranelift_codegen::settings::{self, Configurable};
use cranelift_codegen::Context;
use cranelift_frontend::{FunctionBuilder, FunctionBuilderContext, Variable};
use meter::Meter;
use mkjit_runtime::hart::{offsets, Hart};
use mkjit_runtime::isa::Op;
use mkjit_runtime::mmu::tlb;
use mkjit_runtime::ram::{RAM_BASE, RAM_MAX_SIZE};
use std::collections::HashMap;

const I64: types::Type = types::I64;

/// Return points a `jalr` compares its target with, at most.
const MAX_RETURNS: usize = 12;

/// Guest registers kept in host registers across a whole region, at most
/// (4 to 10 measured about the same on the CPU benchmarks; 12 and 31 made
/// `matmul` 15% slower and the others no faster).
const PROMOTED: usize = 8;

/// What a region returns when an indirect exit missed the jump cache;
/// `ctx.value` then holds the pc of the jump if it is `switch`-like, else 0.
pub const IJUMP_MISS: u64 = 3;

/// What a region returns, without having run anything, when one of its
/// pages is no longer mapped as it was compiled (the dispatcher drops it).
pub const MAP_EXIT: u64 = 2;

/// What a region returns when it left before a load or store that must take
/// the slow path (the dispatcher runs the interpreter from `hart.pc`).
pub const MEM_EXIT: u64 = 1;

/// What a region returns when it left before a floating-point instruction
/// whose host result it could not vouch for (the dispatcher runs the
/// interpreter from `hart.pc`; `ctx.region` names the region).
pub const FP_EXIT: u64 = 4;

/// Loads and stores per region that keep a memo of the last page they hit.
const MAX_SITE_MEMOS: usize = 16;

/// An integer load.
fn is_load(op: Op) -> bool {
    !op.is_float() && mem::access(op).is_some_and(|(_, store)| !store)
}

/// An integer store.
fn is_store(op: Op) -> bool {
    !op.is_float() && mem::access(op).is_some_and(|(_, store)| store)
}

fn is_mem(op: Op) -> bool {
    is_load(op) || is_store(op)
}

/// Entries of the jump cache (a power of two).
pub const JC_ENTRIES: usize = 4096;
/// Bytes per jump-cache entry: `va`, `tag` (physical address of the target + [`jc_mode_tag`]), `code`, `entry`.
pub const JC_ENTRY_SIZE: usize = 32;
/// Bit where the mode starts in a jump-cache tag; physical addresses of RAM lie below it.
pub const JC_MODE_SHIFT: u32 = 40;
const _: () = assert!(RAM_BASE + RAM_MAX_SIZE <= 1 << JC_MODE_SHIFT);
/// Positions of the data bank, the fetch bank and the ASID key in a mode tag
/// (before [`JC_MODE_SHIFT`]); the privilege takes the two bits below.
const JC_DATA_AT: i64 = 2;
const JC_FETCH_AT: i64 = 5;
const JC_ASID_AT: i64 = 8;
const _: () = assert!(JC_MODE_SHIFT as i64 + JC_ASID_AT + tlb::ASID_BITS as i64 <= 64);

/// The mode part of a jump-cache tag: privilege, data and fetch TLB banks,
/// and the ASID key built into user-mode code (see `Key::asid`)
/// (generated code computes the same from the hart after a helper).
pub fn jc_mode_tag(prv: u8, data_bank: u8, fetch_bank: u8, asid: u16) -> u64 {
    (prv as u64 | (data_bank as u64) << JC_DATA_AT | (fetch_bank as u64) << JC_FETCH_AT | (asid as u64) << JC_ASID_AT)
        << JC_MODE_SHIFT
}
/// Bytes per chain slot: `code` (0 = not patched), `entry`.
pub const SLOT_SIZE: usize = 16;
/// Most chain slots one region may use (its distinct chainable exits beyond that leave plainly).
pub const MAX_SLOTS_PER_REGION: u32 = 512;

/// Index of `va` in the jump cache (generated code computes the same). The
/// bits above 25 count too: user code at `0x4000_0000` and kernel code at
/// `0x8000_0000` at the same offsets (system-call entries and returns) must
/// not share entries.
#[inline]
pub fn jc_index(va: u64) -> usize {
    ((va >> 1) ^ (va >> 13) ^ (va >> 25)) as usize & (JC_ENTRIES - 1)
}

/// Offsets of the counters generated code increments (see [`ChainEnv::counters`]).
pub mod counter {
    /// Chained exits whose slot was patched.
    pub const CHAIN_HITS: i32 = 0;
    /// Chained exits whose slot was still empty (returned to the dispatcher).
    pub const CHAIN_MISSES: i32 = 8;
    /// Indirect exits served by the jump cache.
    pub const JC_HITS: i32 = 16;
    /// Indirect exits the jump cache could not serve.
    pub const JC_MISSES: i32 = 24;
    /// Number of counters.
    pub const COUNT: usize = 4;
}

/// Chaining facts baked into a region.
#[derive(Clone, Copy, Debug)]
pub struct ChainEnv {
    /// Address of chain slot 0.
    pub slots: u64,
    /// First slot this region may use.
    pub first_slot: u32,
    /// How many slots it may use.
    pub max_slots: u32,
    /// Address of jump-cache entry 0.
    pub jc: u64,
    /// Address of the counters ([`counter`]).
    pub counters: u64,
    /// Mode tag of the region ([`jc_mode_tag`], added to physical addresses in jump-cache tags).
    pub mode_tag: u64,
}

/// Untranslated data accesses straight to RAM (M-mode or bare, no translate hook).
#[derive(Clone, Copy, Debug)]
pub struct DirectMem {
    /// Host address of RAM minus `RAM_BASE` (wrapping).
    pub host_offset: u64,
    /// Bytes of RAM.
    pub ram_size: u64,
    /// The bus's store-start map (one byte per RAM page: a store starting
    /// there may touch a page that is slow to store to; `Bus::store_start_map`).
    pub start_map: u64,
}

/// Everything besides the guest code that a region's code bakes in.
#[derive(Clone, Copy, Debug)]
pub struct Env {
    /// Privilege the code runs in.
    pub prv: mkjit_runtime::hart::Priv,
    /// TLB bank of data accesses.
    pub bank: u8,
    /// Chaining, when on.
    pub chain: Option<ChainEnv>,
    /// Direct RAM accesses, when data accesses are untranslated.
    pub direct: Option<DirectMem>,
    /// Host address of guest physical 0 (RAM host base minus `RAM_BASE`, wrapping).
    pub host_offset: u64,
    /// Fetches are untranslated and unhooked: an instruction's physical address is its virtual one.
    pub fetch_identity: bool,
    /// TLB bank of instruction fetches.
    pub fetch_bank: u8,
    /// The ASID key of the translation when data accesses go through the
    /// user bank: the code has it (and its salt) built in, for fetches too.
    pub asid: Option<u16>,
    /// The engine's number for the region, stored in `ctx.region` when it
    /// returns to the dispatcher (which then knows what ran last).
    pub region_id: u64,
    /// A floating-point fast path that fails calls the instruction's handler
    /// in the region, even in optimised code, which otherwise leaves the
    /// region (for regions that left that way too often, see `hardfloat`).
    pub fp_calls: bool,
}

/// Why a region could not be compiled.
#[derive(Debug, thiserror::Error)]
pub enum LowerError {
    /// The host ISA is not supported by Cranelift.
    #[error("host ISA: {0}")]
    Host(String),
    /// Cranelift rejected the function.
    #[error("code generation failed: {0}")]
    Codegen(String),
    /// Generated code needs relocations (it must not: helpers are absolute).
    #[error("generated code has {0} relocations")]
    Relocs(usize),
    /// The region has no instructions.
    #[error("empty region")]
    Empty,
    /// A run between two deadline checks is longer than a region run's budget.
    #[error("{0} instructions between deadline checks (at most {max})", max = meter::MAX_BUDGET)]
    LongRun(u64),
}

/// What the caller wants back besides code.
#[derive(Clone, Copy, Debug, Default)]
pub struct Want {
    /// Cranelift IR text.
    pub ir: bool,
    /// Host disassembly.
    pub asm: bool,
}

/// A compiled region.
pub struct Compiled {
    /// Machine code (position-independent, no relocations).
    pub code: Vec<u8>,
    /// Cranelift IR, if asked.
    pub ir: Option<String>,
    /// Host disassembly, if asked.
    pub asm: Option<String>,
    /// Targets `(va, pa)` of the chain slots used, from [`ChainEnv::first_slot`] on.
    pub slots: Vec<(u64, u64)>,
    /// Extension instructions compiled with an inline fast path.
    pub fast_paths: u32,
    /// Loops compiled with a streamed copy (see `stream`).
    pub streamed_loops: u32,
    /// Streamed loops that also run several trips at a time (see `stream::vector`).
    pub vector_loops: u32,
}

/// How much work Cranelift puts into a region.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Tier {
    /// Cranelift's single-pass register allocator (fast to compile, slow code).
    Quick,
    /// The backtracking allocator without mid-end (e-graph) optimisations:
    /// about a quarter cheaper to compile than `Optimized`, code a few per
    /// cent slower on hot loops.
    Baseline,
    /// The backtracking allocator and `opt_level=speed`.
    Optimized,
}

/// The compiler: host ISA plus reusable contexts.
pub struct Compiler {
    isa: OwnedTargetIsa,
    /// The same host ISA with the single-pass register allocator.
    quick_isa: OwnedTargetIsa,
    /// The same host ISA without Cranelift's mid-end optimisations.
    baseline_isa: OwnedTargetIsa,
    ctx: Context,
    fctx: FunctionBuilderContext,
    tramps: trampoline::Trampolines,
    /// Holds the trampolines (never flushed); `None` in a compiler that
    /// shares another's (see [`Compiler::sharing`]).
    _tramp_arena: Option<CodeArena>,
    /// Print Cranelift's pass timings per region (`MKJIT_JIT_TIMING`).
    timing: bool,
    /// The host has what vector trips need (see [`lanes_i32x4`]).
    lanes: bool,
}

impl Compiler {
    /// A compiler for the host, with its own trampolines.
    pub fn new() -> Result<Compiler, LowerError> {
        let mut arena = CodeArena::new(1 << 16).map_err(|e| LowerError::Host(e.to_string()))?;
        let isa = Self::host_isa("backtracking", "speed")?;
        let tramps = trampoline::install(&*isa, &mut arena)?;
        Self::with_trampolines(isa, tramps, Some(arena))
    }

    /// A compiler (for another thread) whose code calls the trampolines of
    /// a compiler that outlives all code compiled by either, `tramps`.
    pub fn sharing(tramps: trampoline::Trampolines) -> Result<Compiler, LowerError> {
        Self::with_trampolines(Self::host_isa("backtracking", "speed")?, tramps, None)
    }

    /// This compiler's trampolines.
    pub fn trampolines(&self) -> trampoline::Trampolines {
        self.tramps
    }

    fn with_trampolines(
        isa: OwnedTargetIsa,
        tramps: trampoline::Trampolines,
        arena: Option<CodeArena>,
    ) -> Result<Compiler, LowerError> {
        Ok(Compiler {
            lanes: lanes_i32x4(&*isa),
            isa,
            quick_isa: Self::host_isa("single_pass", "speed")?,
            baseline_isa: Self::host_isa("backtracking", "none")?,
            ctx: Context::new(),
            fctx: FunctionBuilderContext::new(),
            tramps,
            _tramp_arena: arena,
            timing: std::env::var_os("MKJIT_JIT_TIMING").is_some(),
        })
    }

    /// The host ISA with register allocator `regalloc` at `opt_level` `opt`.
    fn host_isa(regalloc: &str, opt: &str) -> Result<OwnedTargetIsa, LowerError> {
        let mut flags = settings::builder();
        let set =
            |f: &mut settings::Builder, k: &str, v: &str| f.set(k, v).map_err(|e| LowerError::Host(e.to_string()));
        set(&mut flags, "opt_level", opt)?;
        set(&mut flags, "unwind_info", "false")?;
        set(&mut flags, "regalloc_algorithm", regalloc)?;
        // Tail calls (chaining) need frame pointers.
        set(&mut flags, "preserve_frame_pointers", "true")?;
        set(&mut flags, "enable_verifier", if cfg!(debug_assertions) { "true" } else { "false" })?;
        let builder = cranelift_native::builder().map_err(|e| LowerError::Host(e.to_string()))?;
        builder.finish(settings::Flags::new(flags)).map_err(|e| LowerError::Host(e.to_string()))
    }

    /// The host ISA.
    pub fn isa(&self) -> &dyn TargetIsa {
        &*self.isa
    }

    /// The entry trampoline: `extern "C" fn(hart, ctx, entry, code) -> u64`
    /// calls the region function `code` (tail convention) at entry `entry`.
    pub fn enter(&self) -> usize {
        self.tramps.enter
    }

    /// Compiles `region` for `env` with the register allocator of `tier` and
    /// the extension fast paths `fast`, prepared from the machine the code
    /// will run on (extension instructions without one call their helper).
    pub fn compile(
        &mut self,
        region: &Region,
        env: &Env,
        tier: Tier,
        cost: &dyn Fn(Op) -> u64,
        want: Want,
        fast: &custom::FastPaths,
    ) -> Result<Compiled, LowerError> {
        if region.blocks.is_empty() {
            return Err(LowerError::Empty);
        }
        let longest = region.blocks.iter().map(|b| b.entry_reach.max(b.check.unwrap_or(0))).max().unwrap_or(0);
        if longest > meter::MAX_BUDGET {
            return Err(LowerError::LongRun(longest));
        }
        let cc = cranelift_codegen::isa::CallConv::Tail;
        let sig = region_signature();
        self.ctx.clear();
        self.ctx.func = Function::with_name_signature(UserFuncName::user(0, 0), sig);
        self.ctx.set_disasm(want.asm);
        let (slots, fast_paths, (streamed_loops, vector_loops));
        {
            // Every tier compiles for the same host features.
            let host_fma = self.isa.has_native_fma();
            let mut b = FunctionBuilder::new(&mut self.ctx.func, &mut self.fctx);
            (slots, fast_paths, (streamed_loops, vector_loops)) =
                build(&mut b, region, env, tier, cost, cc, self.tramps, fast, (host_fma, self.lanes));
            b.finalize(self.isa.frontend_config());
        }
        let isa = match tier {
            Tier::Quick => &*self.quick_isa,
            Tier::Baseline => &*self.baseline_isa,
            Tier::Optimized => &*self.isa,
        };
        let ir = want.ir.then(|| self.ctx.func.display().to_string());
        if self.timing {
            let f = &self.ctx.func;
            eprintln!(
                "region: {} guest insns, {} blocks, {} insts, {} values",
                region.insn_count,
                f.dfg.num_blocks(),
                f.dfg.num_insts(),
                f.dfg.num_values()
            );
        }
        let mut ctrl = Default::default();
        let compiled = self.ctx.compile(isa, &mut ctrl).map_err(|e| LowerError::Codegen(format!("{:?}", e.inner)))?;
        let relocs = compiled.buffer.relocs().len();
        if relocs != 0 {
            return Err(LowerError::Relocs(relocs));
        }
        let code = compiled.code_buffer().to_vec();
        if self.timing {
            eprintln!("{}", cranelift_codegen::timing::take_current());
        }
        let asm = if want.asm { listing(isa, &code).or_else(|| compiled.vcode.clone()) } else { None };
        Ok(Compiled { code, ir, asm, slots, fast_paths, streamed_loops, vector_loops })
    }
}

/// The signature of every region function (and of a chained tail call).
pub fn region_signature() -> Signature {
    let mut sig = Signature::new(cranelift_codegen::isa::CallConv::Tail);
    for _ in 0..3 {
        sig.params.push(AbiParam::new(I64));
    }
    sig.returns.push(AbiParam::new(I64));
    sig
}

/// Helper signatures.
struct Sigs {
    exec: SigRef,
    /// A region's own signature, for chained tail calls.
    region: SigRef,
}

/// Lowering state for one region.
pub(crate) struct Lx<'a, 'f> {
    pub b: &'a mut FunctionBuilder<'f>,
    pub hart: Value,
    pub ctx: Value,
    regs: [Option<Variable>; 32],
    /// The [meter](Meter) at block boundaries.
    meter: Variable,
    /// The meter at the start of the current block, as far as the code after
    /// the last helper call knows (helpers and fast paths may charge events).
    mbase: Variable,
    /// Where the meter's fields count from.
    origin: Meter,
    /// Class cost of each operation.
    cost: &'a dyn Fn(Op) -> u64,
    /// Cost of the current block's instructions before each index (and in total, last).
    pre: Vec<u64>,
    /// Values of unpromoted registers known in the current block.
    local: [Option<Value>; 32],
    /// Address of `hart.tlb.entries[bank][0]`.
    /// Offset of `hart.tlb.entries[bank][0]` from the hart.
    pub tlb_off: i32,
    /// The bank's ASID key, or `None` when it is zero (nothing to combine).
    pub tlb_key: Option<Value>,
    /// The bank's index salt, shifted left by 5 (the entry size), or `None` when it is zero.
    pub tlb_salt5: Option<Value>,
    /// TLB hits proven in the current block: base register value, write
    /// access, the access's address and the entry's addend (see `mem`).
    pub tlb_memo: Vec<(Value, bool, Value, Value)>,
    /// What the current block knows of the floating-point state (see `float`).
    pub fp: float::FpKnown,
    /// The open window of deferred floating-point checks (see `fpwindow`).
    pub fpw: fpwindow::Window,
    /// The host has fused multiply-add instructions (see `hardfloat`).
    pub host_fma: bool,
    /// The current block is in a loop of the region (where the TLB memo pays
    /// for the code it adds; elsewhere it only adds compile time).
    pub in_loop: bool,
    /// Untranslated accesses proven in the current block: base register
    /// value, the byte range `[lo, hi)` from it found in RAM, and whether a
    /// store there passed the slow-store check (see `mem`).
    pub direct_memo: Vec<(Value, i64, i64, bool)>,
    /// Loads and stores in loops with a memo of the last page they hit
    /// (translated banks): pc -> byte offset of `(tag, addend)` in `site_slot`.
    pub site_memo: HashMap<u64, i32>,
    /// The stack slot holding those memos.
    pub site_slot: Option<StackSlot>,
    /// The extension fast paths prepared for the code.
    fast: &'a custom::FastPaths,
    /// Extension instructions given an inline fast path so far.
    fast_paths: u32,
    /// What the region bakes in.
    pub env: Env,
    exit: Block,
    /// `exit` with a meter: `leave(pc, meter)`.
    leave: Block,
    /// `mexit(pc, meter, code)`: leave before a memory access or a
    /// floating-point instruction.
    mexit: Block,
    trap: Block,
    /// `chain(pc, meter, slot)`, when chaining.
    chain: Option<Block>,
    /// `ijump(pc, meter, site)`, when chaining.
    ijump: Option<Block>,
    /// Virtual and physical pages of the region.
    pages: Vec<(u64, u64)>,
    /// Chain slots used: target pc -> slot index (from `first_slot`), and their targets.
    slot_of: HashMap<u64, u32>,
    slots: Vec<(u64, u64)>,
    /// Unpromoted registers written since the start of the current block (not yet in `hart.x`).
    dirty: [bool; 32],
    /// Shared exit code, the block that stores the promoted registers before
    /// it (see [`Lx::jump_out`]), and its number of parameters.
    storing: Vec<(Block, Block, usize)>,
    /// Ways out of loops store the promoted registers themselves.
    loop_stores: bool,
    /// A floating-point fast path that fails leaves the region (optimised
    /// code, unless `Env::fp_calls`); otherwise it calls the handler.
    pub fp_leaves: bool,
    /// Exit stubs to fill: block, pc, meter, and how the region is left.
    stubs: Vec<(Block, u64, Value, Way)>,
    /// Internal jump target of each block.
    blocks: HashMap<u64, Block>,
    /// External entry of each block (the internal target when it checks anyway).
    entries: HashMap<u64, Block>,
    /// Return points tried by `jalr` before leaving the region.
    pub returns: Vec<u64>,
    /// `jalr`s with a constant target (see `Region::known`).
    known: std::collections::BTreeMap<u64, u64>,
    /// In-region dispatch of computed jumps: lowest block start, and for every
    /// halfword from it the block starting there (see [`Lx::dispatch_in_region`]).
    dispatch: Option<(u64, Vec<Option<u64>>)>,
    sigs: Sigs,
    tramps: trampoline::Trampolines,
    hart_flags: MemFlagsData,
    /// Flags of `hart.f` accesses (an alias region of their own).
    f_flags: MemFlagsData,
    /// Flags of `hart.fcsr` accesses (an alias region of its own).
    fcsr_flags: MemFlagsData,
    guest_flags: MemFlagsData,
    /// Index of the current instruction in its block.
    idx: i64,
    /// The region's blocks (streamed loops lower theirs again).
    region: &'a Region,
    /// The loops that get a streamed copy (see `stream`; optimised tier).
    plans: &'a [stream::Plan],
    /// While lowering a streamed copy: what its guard proved.
    streaming: Option<stream::Guarded>,
    /// Jump targets that go elsewhere than `blocks` says while lowering a
    /// copy of a streamed loop's block.
    redirect: HashMap<u64, Block>,
}

/// Which file lowers an instruction ([`Lx::lower_insn`]).
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Unit {
    Rv64i,
    Rv64m,
    /// Integer loads and stores.
    Mem,
    Rv64a,
    Float,
    /// An extension's instruction (its set).
    Custom(u16),
    /// CSR and system instructions and illegal encodings: their handler.
    System,
}

impl Unit {
    pub(crate) fn of(gi: &GuestInsn) -> Unit {
        use Op::*;
        let op = gi.insn.op;
        if gi.insn.row == mkjit_runtime::interp::dispatch::ILLEGAL_ROW {
            return Unit::System;
        }
        match op {
            Lui | Auipc | Jal | Jalr | Beq | Bne | Blt | Bge | Bltu | Bgeu | Addi | Slti | Sltiu | Xori | Ori
            | Andi | Slli | Srli | Srai | Add | Sub | Sll | Slt | Sltu | Xor | Srl | Sra | Or | And | Addiw | Slliw
            | Srliw | Sraiw | Addw | Subw | Sllw | Srlw | Sraw | Fence => Unit::Rv64i,
            Mul | Mulh | Mulhsu | Mulhu | Div | Divu | Rem | Remu | Mulw | Divw | Divuw | Remw | Remuw => Unit::Rv64m,
            Lb | Lh | Lw | Ld | Lbu | Lhu | Lwu | Sb | Sh | Sw | Sd => Unit::Mem,
            LrW | ScW | AmoswapW | AmoaddW | AmoxorW | AmoandW | AmoorW | AmominW | AmomaxW | AmominuW | AmomaxuW
            | LrD | ScD | AmoswapD | AmoaddD | AmoxorD | AmoandD | AmoorD | AmominD | AmomaxD | AmominuD | AmomaxuD => {
                Unit::Rv64a
            }
            _ if op.is_float() => Unit::Float,
            Custom(set, _) => Unit::Custom(set),
            _ => Unit::System,
        }
    }
}

/// How an exit stub leaves the region.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Way {
    /// Back to the dispatcher.
    Plain,
    /// Through chain slot `n` (absolute index).
    Slot(u32),
    /// Through the jump cache.
    Indirect,
}

/// Result of lowering one instruction.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Flow {
    /// Execution continues with the next instruction.
    Next,
    /// The instruction ended the block (all paths are terminated).
    Ended,
}

/// Whether compiled code runs vector trips on this host (see `stream::vector`).
pub fn host_runs_vector_trips() -> bool {
    cranelift_native::builder()
        .ok()
        .and_then(|b| b.finish(settings::Flags::new(settings::builder())).ok())
        .is_some_and(|isa| lanes_i32x4(&*isa))
}

/// Whether the host has lane-wise 32-bit multiplies in 128-bit registers
/// (x86-64: SSE4.1's `pmulld`; AArch64 always), which vector trips need.
fn lanes_i32x4(isa: &dyn TargetIsa) -> bool {
    match isa.name() {
        "x64" => isa.isa_flags().iter().any(|f| f.name == "has_sse41" && f.as_bool() == Some(true)),
        "aarch64" => true,
        _ => false,
    }
}

/// Every host instruction of `code` with its offset in the region (what a
/// `perf` sample at region address + offset points at). Bytes the
/// disassembler stops at (jump tables) are listed as data. `None` if the
/// host has no disassembler.
fn listing(isa: &dyn TargetIsa, code: &[u8]) -> Option<String> {
    let cs = isa.to_capstone().ok()?;
    let mut s = String::new();
    let mut pos = 0;
    while pos < code.len() {
        let insns = cs.disasm_all(&code[pos..], pos as u64).ok();
        let mut next = pos;
        for i in insns.iter().flat_map(|v| v.iter()) {
            let (m, o) = (i.mnemonic().unwrap_or("?"), i.op_str().unwrap_or(""));
            s.push_str(&format!("  {:#06x}: {m} {o}\n", i.address()));
            next = i.address() as usize + i.bytes().len();
        }
        if next == pos {
            s.push_str(&format!("  {pos:#06x}: .byte {:#04x}\n", code[pos]));
            next = pos + 1;
        }
        pos = next;
    }
    Some(s)
}

#[allow(clippy::too_many_arguments)]
fn build(
    b: &mut FunctionBuilder<'_>,
    region: &Region,
    env: &Env,
    tier: Tier,
    cost: &dyn Fn(Op) -> u64,
    cc: cranelift_codegen::isa::CallConv,
    tramps: trampoline::Trampolines,
    fast: &custom::FastPaths,
    (host_fma, host_lanes): (bool, bool),
) -> (Vec<(u64, u64)>, u32, (u32, u32)) {
    let bank = env.bank;
    let vmctx = b.func.dfg.alias_regions.insert(AliasRegionData { user_id: 1, description: "hart".into() });
    let heap = b.func.dfg.alias_regions.insert(AliasRegionData { user_id: 2, description: "guest".into() });
    let entry = b.create_block();
    b.append_block_params_for_function_params(entry);
    b.switch_to_block(entry);
    let hart = b.block_params(entry)[0];
    let ctx = b.block_params(entry)[1];
    let entry_index = b.block_params(entry)[2];

    // Promotion: the registers whose values flow between blocks most often
    // (reads not preceded by a write in the same block, and writes, weighted
    // by loop depth) live in host registers across the whole region; the others are
    // loaded from hart.x once per block that uses them and stored at the end
    // of the block that wrote them, so too many long-lived values never crowd
    // the allocator. A register only ever written before it is read within a
    // block gains nothing from promotion.
    let mut weight = [0u64; 32];
    for blk in &region.blocks {
        let w = 8u64.pow(blk.depth.min(5));
        let mut written = [false; 32];
        for gi in &blk.insns {
            for r in gi.int_sources() {
                if !written[r as usize & 31] {
                    weight[r as usize & 31] += w;
                }
            }
            written[gi.int_dest() as usize & 31] = true;
        }
        // A register written in the block costs a store on the way out
        // unless promoted (in `matmul`'s inner loop, three stores per trip).
        for (r, _) in written.iter().enumerate().filter(|&(_, &wrote)| wrote) {
            weight[r] += w;
        }
    }
    weight[0] = 0;
    let mut order: Vec<usize> = (1..32).filter(|&r| weight[r] > 0).collect();
    order.sort_by_key(|&r| std::cmp::Reverse(weight[r]));
    order.truncate(PROMOTED);
    let hart_flags = MemFlagsData::trusted().with_alias_region(Some(vmctx));
    // The f registers and `fcsr` are alias regions of their own, so their
    // stores do not stop Cranelift from reusing loads of the rest of the hart.
    let fregs = b.func.dfg.alias_regions.insert(AliasRegionData { user_id: 3, description: "f".into() });
    let f_flags = MemFlagsData::trusted().with_alias_region(Some(fregs));
    let fcsr = b.func.dfg.alias_regions.insert(AliasRegionData { user_id: 4, description: "fcsr".into() });
    let fcsr_flags = MemFlagsData::trusted().with_alias_region(Some(fcsr));
    let mut regs = [None; 32];
    order.sort_unstable();
    for &r in &order {
        let v = b.declare_var(I64);
        let x = b.ins().load(I64, hart_flags, hart, (offsets::X + 8 * r) as i32);
        b.def_var(v, x);
        regs[r] = Some(v);
    }
    let c0 = b.ins().load(I64, hart_flags, hart, offsets::CLOCK as i32);
    let y0 = b.ins().load(I64, hart_flags, hart, offsets::CYCLES as i32);
    let deadline = b.ins().load(I64, hart_flags, hart, offsets::DEADLINE as i32);
    let (origin, m0) = Meter::start(b, c0, y0, deadline);
    let meter = b.declare_var(I64);
    b.def_var(meter, m0);
    let mbase = b.declare_var(I64);
    b.def_var(mbase, m0);
    let bank_off = offsets::TLB + bank as usize * tlb::ENTRIES * tlb::ENTRY_SIZE;
    // The untranslated bank has no ASID: key and salt are always 0.
    let (tlb_key, tlb_salt5) = match bank {
        tlb::BANK_M => (None, None),
        _ => bank_key_salt(b, hart, hart_flags, bank, env.asid, 5),
    };

    // Memos of the last page hit, for up to MAX_SITE_MEMOS loads and stores in
    // the deepest loops, when data accesses are translated (see `mem`).
    let mut site_memo = HashMap::new();
    let mut site_slot = None;
    if env.direct.is_none() {
        // Only accesses whose address depends on an earlier load of the block
        // (table lookups, pointer chasing): there the probe's latency is on the
        // loop's critical path; elsewhere the memo check costs as much as the
        // probe. (A memo for untranslated stores, skipping the slow-store map,
        // measured slower than the map check itself.)
        let mut sites: Vec<(u32, u64)> = Vec::new();
        for blk in region.blocks.iter().filter(|blk| blk.depth > 0) {
            let mut from_load = [false; 32];
            for gi in &blk.insns {
                let i = &gi.insn;
                if is_mem(i.op) && from_load[i.rs1 as usize & 31] {
                    sites.push((blk.depth, gi.pc));
                }
                let rd = gi.int_dest() as usize & 31;
                if is_load(i.op) {
                    from_load[rd] = true;
                } else if !is_store(i.op) && !i.op.is_branch() {
                    from_load[rd] = from_load[i.rs1 as usize & 31] || from_load[i.rs2 as usize & 31];
                }
                from_load[0] = false;
            }
        }
        sites.sort_by_key(|&(d, pc)| (std::cmp::Reverse(d), pc));
        sites.truncate(MAX_SITE_MEMOS);
        if !sites.is_empty() {
            let size = (16 * sites.len()) as u32;
            let slot = b.create_sized_stack_slot(StackSlotData::new(StackSlotKind::ExplicitSlot, size, 3));
            let zero = b.ins().iconst(I64, 0);
            for (n, &(_, pc)) in sites.iter().enumerate() {
                b.ins().stack_store(I64, zero, slot, 16 * n as i32);
                site_memo.insert(pc, 16 * n as i32);
            }
            site_slot = Some(slot);
        }
    }

    let sigs = Sigs {
        exec: b.import_signature(trampoline::signature(trampoline::ARGS_EXEC)),
        region: b.import_signature(region_signature()),
    };
    let _ = cc;

    let exit = b.create_block();
    for _ in 0..3 {
        b.append_block_param(exit, I64);
    }
    let leave = b.create_block();
    let mexit = b.create_block();
    for _ in 0..2 {
        b.append_block_param(leave, I64);
    }
    for _ in 0..3 {
        b.append_block_param(mexit, I64);
    }
    b.set_cold_block(mexit);
    let trap = b.create_block();
    b.set_cold_block(trap);
    let (chain, ijump) = if env.chain.is_some() {
        let chain = b.create_block();
        let ijump = b.create_block();
        for blk in [chain, ijump] {
            for _ in 0..3 {
                b.append_block_param(blk, I64);
            }
        }
        (Some(chain), Some(ijump))
    } else {
        (None, None)
    };

    // Internal jump targets, and where the dispatcher or a chained region enters
    // (the same block when the block checks the deadline for internal jumps too).
    let mut blocks = HashMap::new();
    let mut entries = HashMap::new();
    for blk in &region.blocks {
        let body = b.create_block();
        blocks.insert(blk.start, body);
        entries.insert(blk.start, if blk.check.is_some() { body } else { b.create_block() });
    }
    // A region on several pages depends on their current mappings: check them
    // at every entry (nothing inside a region run can change them: every
    // instruction that could leaves the region).
    let hart_flags0 = MemFlagsData::trusted().with_alias_region(Some(vmctx));
    if !env.fetch_identity && region.pages.len() > 1 {
        let bad = b.create_block();
        b.set_cold_block(bad);
        for &(vp, pp) in &region.pages {
            let t = b.ins().iconst(I64, vp as i64);
            let host = fetch_host(b, hart, hart_flags0, FetchBank::of(env), t, bad);
            let want = env.host_offset.wrapping_add(pp);
            let same = b.ins().icmp_imm_s(IntCC::Equal, host, want as i64);
            let ok = b.create_block();
            b.ins().brif(same, ok, &[], bad, &[]);
            b.switch_to_block(ok);
        }
        let cont = b.create_block();
        b.ins().jump(cont, &[]);
        b.switch_to_block(bad);
        let code = b.ins().iconst(I64, MAP_EXIT as i64);
        b.ins().return_(&[code]);
        b.switch_to_block(cont);
    }
    // The third argument selects the entry block.
    let calls: Vec<_> = region.entries().map(|blk| b.func.dfg.block_call(entries[&blk.start], &[])).collect();
    let default = b.func.dfg.block_call(entries[&region.entry], &[]);
    let jt = b.create_jump_table(JumpTableData::new(default, &calls));
    let index32 = b.ins().ireduce(types::I32, entry_index);
    b.ins().br_table(index32, jt);

    let plans = if tier == Tier::Optimized { stream::loops(region, host_lanes) } else { Vec::new() };
    let mut lx = Lx {
        b,
        hart,
        ctx,
        regs,
        meter,
        mbase,
        origin,
        cost,
        pre: Vec::new(),
        local: [None; 32],
        tlb_off: bank_off as i32,
        tlb_key,
        tlb_salt5,
        tlb_memo: Vec::new(),
        fp: float::FpKnown::default(),
        fpw: fpwindow::Window::default(),
        host_fma,
        in_loop: false,
        direct_memo: Vec::new(),
        site_memo,
        site_slot,
        fast,
        fast_paths: 0,
        env: *env,
        exit,
        leave,
        mexit,
        trap,
        chain,
        ijump,
        pages: region.pages.clone(),
        slot_of: HashMap::new(),
        slots: Vec::new(),
        dirty: [false; 32],
        storing: Vec::new(),
        loop_stores: tier == Tier::Optimized,
        fp_leaves: tier == Tier::Optimized && !env.fp_calls,
        stubs: Vec::new(),
        blocks,
        entries,
        returns: region.blocks.iter().filter(|b| b.return_point).map(|b| b.start).take(MAX_RETURNS).collect(),
        dispatch: dispatch_table(region),
        known: region.known.clone(),
        sigs,
        tramps,
        hart_flags,
        f_flags,
        fcsr_flags,
        guest_flags: MemFlagsData::new().with_notrap().with_alias_region(Some(heap)),
        idx: 0,
        region,
        plans: &plans,
        streaming: None,
        redirect: HashMap::new(),
    };
    for blk in &region.blocks {
        lx.lower_block(blk);
    }
    lx.fill_storing();

    // Trap: the helper already set pc and clock.
    lx.b.switch_to_block(trap);
    let pc = lx.b.ins().load(I64, hart_flags, hart, offsets::PC as i32);
    let clk = lx.b.ins().load(I64, hart_flags, hart, offsets::CLOCK as i32);
    let cyc = lx.b.ins().load(I64, hart_flags, hart, offsets::CYCLES as i32);
    match env.chain {
        Some(ce) => lx.build_trap_chain(pc, clk, cyc, &ce),
        None => {
            lx.b.ins().jump(exit, &[pc.into(), clk.into(), cyc.into()]);
        }
    }

    // Exit: write back.
    lx.b.switch_to_block(exit);
    let [pc, clk, cyc] = [0, 1, 2].map(|i| lx.b.block_params(exit)[i]);
    lx.write_back(pc, clk, cyc);
    let id = lx.b.ins().iconst(I64, env.region_id as i64);
    lx.b.ins().store(hart_flags, id, ctx, ctx_offsets::REGION);
    let zero = lx.b.ins().iconst(I64, 0);
    lx.b.ins().return_(&[zero]);

    lx.b.switch_to_block(leave);
    let [pc, m] = [0, 1].map(|i| lx.b.block_params(leave)[i]);
    let (clk, cyc) = origin.decode(lx.b, m);
    lx.b.ins().jump(exit, &[pc.into(), clk.into(), cyc.into()]);

    lx.b.switch_to_block(mexit);
    let [pc, m, code] = [0, 1, 2].map(|i| lx.b.block_params(mexit)[i]);
    let (clk, cyc) = origin.decode(lx.b, m);
    lx.write_back(pc, clk, cyc);
    let id = lx.b.ins().iconst(I64, env.region_id as i64);
    lx.b.ins().store(hart_flags, id, ctx, ctx_offsets::REGION);
    lx.b.ins().return_(&[code]);

    if let (Some(chain), Some(ijump), Some(ce)) = (chain, ijump, env.chain) {
        lx.build_chain(chain, &ce);
        lx.build_ijump(ijump, &ce);
    }
    lx.b.seal_all_blocks();
    let vectored = plans.iter().filter(|p| p.has_vector()).count() as u32;
    (lx.slots, lx.fast_paths, (plans.len() as u32, vectored))
}

/// The constant `k`, or `None` when it is zero (see [`combine`]).
fn nonzero(b: &mut FunctionBuilder<'_>, k: u64) -> Option<Value> {
    (k != 0).then(|| b.ins().iconst(I64, k as i64))
}

/// The ASID key and the index salt (shifted left by `shift`) of TLB `bank`:
/// constants for code compiled for one `asid` (the engine keys user code by
/// it), and nothing at all where they are zero (the baseline tier folds no
/// constants); otherwise loaded from the hart.
fn bank_key_salt(
    b: &mut FunctionBuilder<'_>,
    hart: Value,
    hf: MemFlagsData,
    bank: u8,
    asid: Option<u16>,
    shift: i64,
) -> (Option<Value>, Option<Value>) {
    match asid {
        Some(a) => (nonzero(b, tlb::asid_key(a)), nonzero(b, tlb::asid_salt(a) << shift)),
        None => {
            let key = b.ins().load(I64, hf, hart, (offsets::TLB_KEY + 8 * bank as usize) as i32);
            let salt = b.ins().load(I64, hf, hart, (offsets::TLB_SALT + 8 * bank as usize) as i32);
            let salt = if shift == 0 { salt } else { b.ins().ishl_imm_s(salt, shift) };
            (Some(key), Some(salt))
        }
    }
}

/// `op(x, k)`, or `x` itself when `k` is `None` (zero, for `or` and `xor`).
pub(super) fn combine(
    b: &mut FunctionBuilder<'_>,
    x: Value,
    k: Option<Value>,
    op: impl FnOnce(&mut FunctionBuilder<'_>, Value, Value) -> Value,
) -> Value {
    match k {
        Some(k) => op(b, x, k),
        None => x,
    }
}

/// The fetch TLB bank a probe reads, and where its key and salt come from.
#[derive(Clone, Copy)]
enum FetchBank {
    /// A bank known when compiling, with the ASID key when it is built in.
    Fixed(u8, Option<u16>),
    /// The hart's bank now (`hart.fetch_bank`, loaded): key and salt from the hart.
    Current(Value),
}

impl FetchBank {
    /// The fetch bank of code compiled for `env`.
    fn of(env: &Env) -> FetchBank {
        FetchBank::Fixed(env.fetch_bank, env.asid.filter(|_| env.fetch_bank == tlb::BANK_UX))
    }
}

/// Host address of the instruction at `t` through the fetch TLB (as the
/// dispatcher's `fetch_translate` finds it on a hit); branches to `miss` on a TLB miss.
fn fetch_host(
    b: &mut FunctionBuilder<'_>,
    hart: Value,
    hf: MemFlagsData,
    fb: FetchBank,
    t: Value,
    miss: Block,
) -> Value {
    const BANK_BYTES: usize = tlb::ENTRIES * tlb::ENTRY_SIZE;
    // The entries' base: the hart plus a displacement for a fixed bank, plus
    // a computed offset for the current one.
    let (key, salt, base, disp) = match fb {
        FetchBank::Fixed(fb, asid) => {
            let (key, salt) = bank_key_salt(b, hart, hf, fb, asid, 0);
            (key, salt, hart, (offsets::TLB + fb as usize * BANK_BYTES) as i32)
        }
        FetchBank::Current(fb) => {
            let fb8 = b.ins().ishl_imm_s(fb, 3);
            let kp = b.ins().iadd(hart, fb8);
            let key = b.ins().load(I64, hf, kp, offsets::TLB_KEY as i32);
            let salt = b.ins().load(I64, hf, kp, offsets::TLB_SALT as i32);
            let bank = b.ins().ishl_imm_s(fb, BANK_BYTES.trailing_zeros() as i64);
            (Some(key), Some(salt), b.ins().iadd(hart, bank), offsets::TLB as i32)
        }
    };
    let vpn = b.ins().ushr_imm_s(t, 12);
    let i = combine(b, vpn, salt, |b, x, s| b.ins().bxor(x, s));
    let i = b.ins().band_imm_s(i, tlb::ENTRIES as i64 - 1);
    let i = b.ins().ishl_imm_s(i, 5);
    let ent = b.ins().iadd(base, i);
    let tag = b.ins().load(I64, hf, ent, disp + mem::TAG_X);
    let last = b.ins().iadd_imm_s(t, 1);
    let page = b.ins().band_imm_s(last, !0xfff);
    let want = combine(b, page, key, |b, x, k| b.ins().bor(x, k));
    let hit = b.ins().icmp(IntCC::Equal, tag, want);
    let ok = b.create_block();
    b.ins().brif(hit, ok, &[], miss, &[]);
    b.switch_to_block(ok);
    let addend = b.ins().load(I64, hf, ent, disp + mem::ADDEND);
    b.ins().iadd(addend, t)
}

/// The in-region dispatch table of `region`, if it has computed jumps and more than one block.
fn dispatch_table(region: &Region) -> Option<(u64, Vec<Option<u64>>)> {
    if !region.has_dispatch || region.blocks.len() < 2 {
        return None;
    }
    let lo = region.blocks.iter().map(|b| b.start).min()?;
    let hi = region.blocks.iter().map(|b| b.start).max()?;
    let mut table = vec![None; ((hi - lo) / 2 + 1) as usize];
    for b in &region.blocks {
        table[((b.start - lo) / 2) as usize] = Some(b.start);
    }
    Some((lo, table))
}

impl<'a, 'f> Lx<'a, 'f> {
    /// Stores pc, clock and modeled cycles to the hart (the promoted
    /// registers were stored on the way here: see [`Lx::store_promoted`]).
    fn write_back(&mut self, pc: Value, clk: Value, cyc: Value) {
        let (hf, hart) = (self.hart_flags, self.hart);
        self.b.ins().store(hf, cyc, hart, offsets::CYCLES as i32);
        self.b.ins().store(hf, pc, hart, offsets::PC as i32);
        self.b.ins().store(hf, clk, hart, offsets::CLOCK as i32);
    }

    /// Ends the current block with a way out to shared exit code `plain`
    /// (which expects the promoted registers stored) with `args`: in a loop,
    /// this block stores them itself and jumps to `plain`; elsewhere it jumps
    /// to a shared block that stores them first. (Were the registers parameters
    /// of shared exit code everywhere, the register allocator would tie every
    /// value of a promoted register to them, and hot loops would spill; were
    /// they stored on every way out, cold code would grow by a quarter.) Only
    /// the optimising tier does this: on the stock guest OS, where compiling
    /// takes most of the run, the baseline tier's 5% longer compiles cost more
    /// than its loops gained.
    pub(crate) fn jump_out(&mut self, plain: Block, args: &[Value]) {
        let to = if self.in_loop && self.loop_stores {
            self.store_promoted();
            plain
        } else if let Some(&(_, r, _)) = self.storing.iter().find(|(p, _, _)| *p == plain) {
            r
        } else {
            let r = self.b.create_block();
            self.b.set_cold_block(r);
            let n = self.b.func.dfg.num_block_params(plain);
            for _ in 0..n {
                self.b.append_block_param(r, I64);
            }
            self.storing.push((plain, r, n));
            r
        };
        let args: Vec<_> = args.iter().map(|&v| v.into()).collect();
        self.b.ins().jump(to, &args);
    }

    /// Fills the blocks [`Lx::jump_out`] made: store the promoted registers, go on.
    fn fill_storing(&mut self) {
        for (plain, r, n) in std::mem::take(&mut self.storing) {
            self.b.switch_to_block(r);
            // (The variables read here become further parameters of `r`.)
            let args: Vec<_> = self.b.block_params(r)[..n].iter().map(|&v| v.into()).collect();
            self.store_promoted();
            self.b.ins().jump(plain, &args);
        }
    }

    /// Stores the promoted registers to `hart.x`, on a way out of the region.
    fn store_promoted(&mut self) {
        let (hf, hart) = (self.hart_flags, self.hart);
        for r in 1..32 {
            if let Some(v) = self.regs[r] {
                let x = self.b.use_var(v);
                self.b.ins().store(hf, x, hart, (offsets::X + 8 * r) as i32);
            }
        }
    }

    /// The guest physical address of the RAM byte at host address `host`.
    pub(crate) fn physical(&mut self, host: Value) -> Value {
        self.b.ins().iadd_imm_s(host, self.env.host_offset.wrapping_neg() as i64)
    }

    /// Adds 1 to the counter at `off`.
    fn count(&mut self, ce: &ChainEnv, off: i32) {
        let base = self.b.ins().iconst(I64, ce.counters as i64);
        let f = MemFlagsData::trusted();
        let n = self.b.ins().load(I64, f, base, off);
        let n = self.b.ins().iadd_imm_s(n, 1);
        self.b.ins().store(f, n, base, off);
    }

    /// Tail-calls region code `code` at entry `entry`.
    fn tail_call(&mut self, code: Value, entry: Value) {
        let (hart, ctx) = (self.hart, self.ctx);
        self.b.ins().return_call_indirect(self.sigs.region, code, &[hart, ctx, entry]);
    }

    /// `chain(pc, meter, slot)`: leave through a chain slot.
    fn build_chain(&mut self, chain: Block, ce: &ChainEnv) {
        self.b.switch_to_block(chain);
        let [pc, m, slot] = [0, 1, 2].map(|i| self.b.block_params(chain)[i]);
        let (clk, cyc) = self.origin.decode(self.b, m);
        self.write_back(pc, clk, cyc);
        let f = MemFlagsData::trusted();
        let code = self.b.ins().load(I64, f, slot, 0);
        let go = self.b.create_block();
        let back = self.b.create_block();
        self.b.set_cold_block(back);
        self.b.ins().brif(code, go, &[], back, &[]);
        self.b.switch_to_block(back);
        self.count(ce, counter::CHAIN_MISSES);
        self.b.ins().return_(&[slot]);
        self.b.switch_to_block(go);
        self.count(ce, counter::CHAIN_HITS);
        let entry = self.b.ins().load(I64, f, slot, 8);
        self.tail_call(code, entry);
    }

    /// Host address of the instruction at `t` through the fetch TLB (as the
    /// dispatcher's `fetch_translate` finds it on a hit); branches to `miss` on a TLB miss.
    fn fetch_host(&mut self, t: Value, miss: Block) -> Value {
        fetch_host(self.b, self.hart, self.hart_flags, FetchBank::of(&self.env), t, miss)
    }

    /// After a helper left the region (`ecall`, `mret`/`sret`, a trap, a custom
    /// instruction): unless it left `hart.exit` set (an interrupt to take, a
    /// device to poll; see `helpers::exec`), goes on through the jump cache
    /// in the mode the hart is in *now* (the dispatcher would do just that:
    /// look up `hart.pc` in the current mode, with no interrupt check since
    /// nothing set `hart.exit`). The mode tag and the fetch TLB bank come
    /// from the hart.
    fn build_trap_chain(&mut self, pc: Value, clk: Value, cyc: Value, ce: &ChainEnv) {
        let (hf, hart) = (self.hart_flags, self.hart);
        let ex = self.b.ins().uload32(hf, hart, offsets::EXIT as i32);
        let go_on = self.b.create_block();
        self.b.ins().brif(ex, self.exit, &[pc.into(), clk.into(), cyc.into()], go_on, &[]);
        self.b.switch_to_block(go_on);
        self.write_back(pc, clk, cyc);
        let miss = self.b.create_block();
        let e = self.jc_probe(pc, miss, ce);
        let prv = self.b.ins().uload8(I64, hf, hart, std::mem::offset_of!(Hart, prv) as i32);
        let db = self.b.ins().uload8(I64, hf, hart, std::mem::offset_of!(Hart, data_bank) as i32);
        let fb = self.b.ins().uload8(I64, hf, hart, std::mem::offset_of!(Hart, fetch_bank) as i32);
        let host = fetch_host(self.b, hart, hf, FetchBank::Current(fb), pc, miss);
        // The tag as `Jit::mode_tag` computes it (see `jc_mode_tag`): the
        // ASID key of the user bank counts when data accesses use it.
        let pa = self.physical(host);
        let d = self.b.ins().ishl_imm_s(db, JC_DATA_AT);
        let m = self.b.ins().bor(prv, d);
        let fsh = self.b.ins().ishl_imm_s(fb, JC_FETCH_AT);
        let m = self.b.ins().bor(m, fsh);
        let ukey = self.b.ins().load(I64, hf, hart, (offsets::TLB_KEY + 8 * tlb::BANK_U as usize) as i32);
        let user = self.b.ins().icmp_imm_s(IntCC::Equal, db, tlb::BANK_U as i64);
        let zero = self.b.ins().iconst(I64, 0);
        let asid = self.b.ins().select(user, ukey, zero);
        let asid = self.b.ins().ishl_imm_s(asid, JC_ASID_AT);
        let m = self.b.ins().bor(m, asid);
        let m = self.b.ins().ishl_imm_s(m, JC_MODE_SHIFT as i64);
        let want = self.b.ins().iadd(pa, m);
        self.jc_enter(e, want, miss, ce);
        self.b.switch_to_block(miss);
        self.count(ce, counter::JC_MISSES);
        let zero = self.b.ins().iconst(I64, 0);
        self.b.ins().return_(&[zero]);
    }

    /// Address of the jump-cache entry for `t`: `jc + jc_index(t) * 32`.
    fn jc_entry(&mut self, t: Value, ce: &ChainEnv) -> Value {
        let a = self.b.ins().ushr_imm_s(t, 1);
        let c = self.b.ins().ushr_imm_s(t, 13);
        let h = self.b.ins().bxor(a, c);
        let d = self.b.ins().ushr_imm_s(t, 25);
        let h = self.b.ins().bxor(h, d);
        let h = self.b.ins().band_imm_s(h, JC_ENTRIES as i64 - 1);
        let off = self.b.ins().ishl_imm_s(h, 5);
        self.b.ins().iadd_imm_s(off, ce.jc as i64)
    }

    /// The jump-cache entry for `t` if it names `t`; continues in a new
    /// block with the entry's address, else branches to `miss`.
    fn jc_probe(&mut self, t: Value, miss: Block, ce: &ChainEnv) -> Value {
        let e = self.jc_entry(t, ce);
        let va = self.b.ins().load(I64, MemFlagsData::trusted(), e, 0);
        let same = self.b.ins().icmp(IntCC::Equal, va, t);
        let probe = self.b.create_block();
        self.b.ins().brif(same, probe, &[], miss, &[]);
        self.b.switch_to_block(probe);
        e
    }

    /// Tail-calls the code of jump-cache entry `e` if its tag is `want`
    /// (physical address of the target + mode tag), else branches to `miss`.
    fn jc_enter(&mut self, e: Value, want: Value, miss: Block, ce: &ChainEnv) {
        let f = MemFlagsData::trusted();
        let tag = self.b.ins().load(I64, f, e, 8);
        let hit = self.b.ins().icmp(IntCC::Equal, tag, want);
        let go = self.b.create_block();
        self.b.ins().brif(hit, go, &[], miss, &[]);
        self.b.switch_to_block(go);
        self.count(ce, counter::JC_HITS);
        let code = self.b.ins().load(I64, f, e, 16);
        let entry = self.b.ins().load(I64, f, e, 24);
        self.tail_call(code, entry);
    }

    /// `ijump(pc, meter, site)`: leave through the jump cache.
    fn build_ijump(&mut self, ijump: Block, ce: &ChainEnv) {
        self.b.switch_to_block(ijump);
        let [t, m, site] = [0, 1, 2].map(|i| self.b.block_params(ijump)[i]);
        let (clk, cyc) = self.origin.decode(self.b, m);
        self.write_back(t, clk, cyc);
        let miss = self.b.create_block();
        self.b.set_cold_block(miss);
        let e = self.jc_probe(t, miss, ce);
        // Physical address of the target instruction, as the dispatcher's
        // fetch lookup would find it, plus the mode tag.
        let want = if self.env.fetch_identity {
            self.b.ins().iadd_imm_s(t, ce.mode_tag as i64)
        } else {
            let host = self.fetch_host(t, miss);
            self.b.ins().iadd_imm_s(host, ce.mode_tag.wrapping_sub(self.env.host_offset) as i64)
        };
        self.jc_enter(e, want, miss, ce);
        self.b.switch_to_block(miss);
        self.count(ce, counter::JC_MISSES);
        let (hf, ctx) = (self.hart_flags, self.ctx);
        self.b.ins().store(hf, site, ctx, ctx_offsets::VALUE);
        let code = self.b.ins().iconst(I64, IJUMP_MISS as i64);
        self.b.ins().return_(&[code]);
    }

    fn lower_block(&mut self, blk: &GuestBlock) {
        let bb = self.blocks[&blk.start];
        let eb = self.entries[&blk.start];
        if eb != bb {
            // Entry from outside: check for the whole run to the next check.
            self.in_loop = false;
            self.b.switch_to_block(eb);
            let m = self.b.use_var(self.meter);
            let over = Meter::short_of(self.b, m, blk.entry_reach);
            let stub = self.exit_stub(blk.start, m, Way::Plain);
            self.b.set_cold_block(stub);
            self.b.ins().brif(over, stub, &[], bb, &[]);
            self.fill_stubs();
        }
        self.b.switch_to_block(bb);
        self.in_loop = blk.depth > 0;
        self.deadline_check(blk);
        let plans = self.plans;
        match plans.iter().find(|p| p.header == blk.start) {
            Some(plan) => self.lower_streamed(blk, plan),
            None => self.lower_body(blk),
        }
    }

    /// The header `blk` of a streamed loop (see `stream`), after its
    /// deadline check: the guard, the head of the fast copy, the slow copy's
    /// header, then the fast copy of every block of the loop. A loop of one
    /// block runs the slow copy to its end once the guard fails; a longer
    /// one may be entered elsewhere than its header, so its slow copy goes
    /// back through the guard.
    fn lower_streamed(&mut self, blk: &GuestBlock, plan: &stream::Plan) {
        let (guard, head, slow) = (self.b.create_block(), self.b.create_block(), self.b.create_block());
        let fast: HashMap<u64, Block> = plan.members.iter().map(|&m| (m, self.b.create_block())).collect();
        self.b.ins().jump(guard, &[]);
        // Out of line: the head's way back to the guard (a page crossing)
        // then costs the fast loop no taken branch.
        self.b.set_cold_block(guard);
        self.b.switch_to_block(guard);
        // (What the previous block knew of unpromoted registers does not hold here.)
        self.local = [None; 32];
        let mut g = stream::guard(self, plan, slow);
        self.b.ins().jump(head, &[]);
        self.local = [None; 32];
        // The head checks the bounds on the way in too: so the fast loop is
        // head and body, laid out together.
        self.b.switch_to_block(head);
        stream::vector_trips(self, plan, &g, blk);
        self.deadline_check(blk);
        stream::tops(self, &mut g);
        let inside = stream::within(self, &g);
        // Out of bounds: the guard looks again from here.
        self.b.ins().brif(inside, fast[&blk.start], &[], guard, &[]);
        self.local = [None; 32];
        if plan.members.len() == 1 {
            let slow_head = self.b.create_block();
            self.b.switch_to_block(slow_head);
            self.deadline_check(blk);
            self.b.ins().jump(slow, &[]);
            self.redirect.insert(blk.start, slow_head);
        }
        self.b.switch_to_block(slow);
        self.lower_body(blk);
        // The fast copy: jumps inside the loop to its blocks, to the header
        // through the head.
        self.redirect = fast.clone();
        self.redirect.insert(blk.start, head);
        self.streaming = Some(g);
        let region = self.region;
        for &m in &plan.members {
            let mb = region.blocks.iter().find(|b| b.start == m).expect("a block of the region");
            self.b.switch_to_block(fast[&m]);
            self.in_loop = true;
            if m != blk.start {
                // (The header's check is the head's.)
                self.deadline_check(mb);
            }
            self.lower_body(mb);
        }
        self.streaming = None;
        self.redirect.clear();
    }

    /// At the top of `blk`: leaves the region unless the budget covers the
    /// run to the next check (loop headers and return points).
    fn deadline_check(&mut self, blk: &GuestBlock) {
        if let Some(reach) = blk.check {
            let m = self.b.use_var(self.meter);
            let over = Meter::short_of(self.b, m, reach);
            let body = self.b.create_block();
            let stub = self.exit_stub(blk.start, m, Way::Plain);
            self.b.set_cold_block(stub);
            self.b.ins().brif(over, stub, &[], body, &[]);
            self.fill_stubs();
            self.b.switch_to_block(body);
        }
    }

    /// The instructions of `blk`, from the current block on.
    fn lower_body(&mut self, blk: &GuestBlock) {
        let m = self.b.use_var(self.meter);
        self.b.def_var(self.mbase, m);
        self.pre.clear();
        let mut sum = 0;
        for gi in &blk.insns {
            self.pre.push(sum);
            sum += (self.cost)(gi.insn.op);
        }
        self.pre.push(sum);
        self.dirty = [false; 32];
        self.local = [None; 32];
        self.forget_proofs();
        self.fp.fs_dirty = self.streaming.as_ref().is_some_and(|g| g.fs_dirty);
        self.fp.fcsr_proven = self.streaming.as_ref().map_or(0, |g| g.fcsr_proven);
        for (i, gi) in blk.insns.iter().enumerate() {
            self.idx = i as i64;
            if self.fpw.is_open() && !hardfloat::joins_window(self, gi) {
                fpwindow::close(self);
            }
            if self.lower_insn(gi) == Flow::Ended {
                return;
            }
        }
        fpwindow::close(self);
        self.goto(blk.end());
    }

    fn lower_insn(&mut self, gi: &GuestInsn) -> Flow {
        match Unit::of(gi) {
            Unit::Rv64i => rv64i::lower(self, gi),
            Unit::Rv64m => rv64m::lower(self, gi),
            Unit::Mem => mem::lower(self, gi),
            Unit::Rv64a => rv64a::lower(self, gi),
            Unit::Float => float::lower(self, gi),
            Unit::Custom(set) => match self.fast.get(set) {
                Some(fp) => custom::lower(self, gi, fp),
                None => system::exec(self, gi),
            },
            Unit::System => system::exec(self, gi),
        }
    }

    // ---- registers ----

    /// Value of guest register `r`.
    pub fn x(&mut self, r: u8) -> Value {
        if r == 0 {
            return self.b.ins().iconst(I64, 0);
        }
        if let Some(v) = self.regs[r as usize] {
            return self.b.use_var(v);
        }
        if let Some(v) = self.local[r as usize] {
            return v;
        }
        let v = self.b.ins().load(I64, self.hart_flags, self.hart, (offsets::X + 8 * r as usize) as i32);
        self.local[r as usize] = Some(v);
        v
    }

    /// What is known about unpromoted registers, to restore after a side path
    /// (values defined on a side path do not dominate the code after it).
    pub fn fork(&self) -> [Option<Value>; 32] {
        self.local
    }

    /// Restores what [`Lx::fork`] returned.
    pub fn rejoin(&mut self, saved: [Option<Value>; 32]) {
        self.local = saved;
    }

    /// Sets guest register `r` (writes to `x0` are dropped).
    pub fn set_x(&mut self, r: u8, v: Value) {
        if r != 0 {
            match self.regs[r as usize] {
                Some(var) => self.b.def_var(var, v),
                None => {
                    self.local[r as usize] = Some(v);
                    self.dirty[r as usize] = true;
                }
            }
        }
    }

    /// Stores the unpromoted registers written since the start of the block to
    /// `hart.x`. Every way out of a block does this first, so their values need
    /// not stay live until the region's exits (promoted registers are stored
    /// by the region's exit block).
    pub fn sync_dirty(&mut self) {
        for r in 1..32u8 {
            if self.dirty[r as usize] {
                let v = self.x(r);
                self.b.ins().store(self.hart_flags, v, self.hart, (offsets::X + 8 * r as usize) as i32);
            }
        }
    }

    /// Stores register `r` to `hart.x[r]`.
    pub fn spill(&mut self, r: u8) {
        if r != 0 {
            let v = self.x(r);
            self.b.ins().store(self.hart_flags, v, self.hart, (offsets::X + 8 * r as usize) as i32);
        }
    }

    /// Reloads register `r` from `hart.x[r]`.
    pub fn reload(&mut self, r: u8) {
        if r != 0 {
            let v = self.b.ins().load(I64, self.hart_flags, self.hart, (offsets::X + 8 * r as usize) as i32);
            self.set_x(r, v);
            self.dirty[r as usize] = false;
        }
    }

    /// A mark for [`Lx::cold_since`]: the blocks created so far.
    pub fn block_mark(&self) -> usize {
        self.b.func.dfg.num_blocks()
    }

    /// Moves every block created since `mark` out of line: the rest of a
    /// slow path (after a helper call, or a probe's continuation), which
    /// would otherwise sit in the hot path's layout and cost it a taken jump.
    pub fn cold_since(&mut self, mark: usize) {
        for i in mark..self.b.func.dfg.num_blocks() {
            self.b.set_cold_block(Block::from_u32(i as u32));
        }
    }

    /// The instruction builder.
    pub fn ins(&mut self) -> cranelift_frontend::FuncInstBuilder<'_, 'f> {
        self.b.ins()
    }

    pub fn iconst(&mut self, v: i64) -> Value {
        self.b.ins().iconst(I64, v)
    }

    pub fn hart_flags(&self) -> MemFlagsData {
        self.hart_flags
    }

    /// Loads `hart.f[r]` (the `ty` at byte `off` in it).
    pub fn load_f(&mut self, ty: types::Type, r: u8, off: i32) -> Value {
        let at = (offsets::F + 8 * r as usize) as i32 + off;
        self.b.ins().load(ty, self.f_flags, self.hart, at)
    }

    /// Stores `v` to `hart.f[r]` at byte `off` in it.
    pub fn store_f(&mut self, v: Value, r: u8, off: i32) {
        let at = (offsets::F + 8 * r as usize) as i32 + off;
        self.b.ins().store(self.f_flags, v, self.hart, at);
    }

    /// Loads `hart.fcsr`.
    pub fn load_fcsr(&mut self) -> Value {
        self.b.ins().load(I64, self.fcsr_flags, self.hart, offsets::FCSR as i32)
    }

    pub fn guest_flags(&self) -> MemFlagsData {
        self.guest_flags
    }

    // ---- clock and exits ----

    /// Index of the current instruction in its block.
    pub fn idx(&self) -> usize {
        self.idx as usize
    }

    /// The meter after the first `k` instructions of the current block.
    pub fn meter_at(&mut self, k: usize) -> Value {
        let base = self.b.use_var(self.mbase);
        Meter::advance(self.b, base, self.pre[k], k as u64)
    }

    /// The clock and modeled cycles after the first `k` instructions of the
    /// current block (before the current one: `k = idx`), as a helper must see them.
    pub fn clock_at(&mut self, k: usize) -> (Value, Value) {
        let m = self.meter_at(k);
        self.origin.decode(self.b, m)
    }

    /// Stores the clock and modeled cycles a helper must see.
    pub fn sync_clock(&mut self) {
        let (c, y) = self.clock_at(self.idx as usize);
        self.b.ins().store(self.hart_flags, c, self.hart, offsets::CLOCK as i32);
        self.b.ins().store(self.hart_flags, y, self.hart, offsets::CYCLES as i32);
    }

    /// After a helper returned without leaving: takes over the events it charged.
    pub fn resync_cycles(&mut self) {
        let now = self.b.ins().load(I64, self.hart_flags, self.hart, offsets::CYCLES as i32);
        // The cycles at the block's start, had the helper's events been charged there.
        let at_start = self.b.ins().iadd_imm_s(now, -(self.pre[self.idx as usize] as i64));
        let base = self.b.use_var(self.mbase);
        let m = self.origin.rebase(self.b, base, at_start);
        self.b.def_var(self.mbase, m);
    }

    /// Charges `cycles` modeled cycles (a computed number) at the current instruction.
    pub fn charge(&mut self, cycles: Value) {
        let base = self.b.use_var(self.mbase);
        let m = Meter::charge(self.b, base, cycles);
        self.b.def_var(self.mbase, m);
    }

    /// Charges a constant `cycles` modeled cycles at the current instruction.
    pub fn charge_const(&mut self, cycles: u64) {
        let base = self.b.use_var(self.mbase);
        let m = Meter::advance(self.b, base, cycles, 0);
        self.b.def_var(self.mbase, m);
    }

    /// The meter after the whole current block (for its ways out).
    pub fn block_meter(&mut self) -> Value {
        let m = self.meter_at(self.pre.len() - 1);
        self.b.def_var(self.meter, m);
        m
    }

    /// Ends the block with a jump to `pc`: a region block, or a region exit.
    pub fn goto(&mut self, pc: u64) {
        self.sync_dirty();
        self.block_meter();
        let blk = self.target(pc);
        self.b.ins().jump(blk, &[]);
        self.fill_stubs();
    }

    /// The region block starting at `pc`, if any.
    pub fn block_at(&self, pc: u64) -> Option<Block> {
        self.blocks.get(&pc).copied()
    }

    /// The destination for control reaching `pc` at the end of the current
    /// block: its region block, or a stub leaving the region, filled in by
    /// [`Lx::fill_stubs`] once the current block is terminated (so the pc
    /// constant is only materialised on the way out).
    pub fn target(&mut self, pc: u64) -> Block {
        if let Some(&b) = self.redirect.get(&pc) {
            return b;
        }
        match self.blocks.get(&pc) {
            Some(&blk) => blk,
            None => {
                let m = self.b.use_var(self.meter);
                let way = self.way_out(pc);
                self.exit_stub(pc, m, way)
            }
        }
    }

    /// How a direct jump to `pc`, outside the region, leaves it.
    fn way_out(&mut self, pc: u64) -> Way {
        let Some(ce) = self.env.chain else { return Way::Plain };
        let pa = if let Some(p) = self.pages.iter().find(|p| p.0 == pc & !0xfff) {
            p.1 | (pc & 0xfff)
        } else if self.env.fetch_identity {
            pc
        } else {
            return Way::Indirect;
        };
        if let Some(&n) = self.slot_of.get(&pc) {
            return Way::Slot(n);
        }
        let used = self.slots.len() as u32;
        if used >= ce.max_slots {
            return Way::Indirect;
        }
        let n = ce.first_slot + used;
        self.slots.push((pc, pa));
        self.slot_of.insert(pc, n);
        Way::Slot(n)
    }

    /// A stub leaving the region with `pc` and meter `m` (see [`Lx::fill_stubs`]).
    fn exit_stub(&mut self, pc: u64, m: Value, way: Way) -> Block {
        let stub = self.b.create_block();
        self.stubs.push((stub, pc, m, way));
        stub
    }

    /// Fills the exit stubs created since the current block was terminated.
    pub fn fill_stubs(&mut self) {
        for (stub, pc, m, way) in std::mem::take(&mut self.stubs) {
            self.b.switch_to_block(stub);
            // Its one predecessor, the branch to it, is already there.
            self.b.seal_block(stub);
            let p = self.iconst(pc as i64);
            match (way, self.chain, self.ijump, self.env.chain) {
                (Way::Slot(n), Some(chain), _, Some(ce)) => {
                    let slot = self.iconst((ce.slots + n as u64 * SLOT_SIZE as u64) as i64);
                    self.jump_out(chain, &[p, m, slot]);
                }
                (Way::Indirect, _, Some(ijump), _) => {
                    let site = self.iconst(0);
                    self.jump_out(ijump, &[p, m, site]);
                }
                _ => {
                    self.jump_out(self.leave, &[p, m]);
                }
            }
        }
    }

    /// Fills the current (fresh) block: leaves the region before the current
    /// instruction at `pc`, as if the block had ended just before it, for the
    /// interpreter to run it; inside an open window of deferred
    /// floating-point checks, before the window (see `fpwindow`).
    pub fn leave_before(&mut self, pc: u64, code: u64) {
        // In an open window, `hart` holds the state before its first instruction.
        let (pc, idx) = self.fpw.start().unwrap_or((pc, self.idx as usize));
        let saved = self.fork();
        self.sync_dirty();
        let m = self.meter_at(idx);
        let p = self.iconst(pc as i64);
        let code = self.iconst(code as i64);
        self.jump_out(self.mexit, &[p, m, code]);
        self.rejoin(saved);
    }

    /// For a computed jump to `t` after its block retired: if `t` starts a
    /// block of the region, continues there (through that block's entry
    /// check: this edge is not in the graph `plan_checks` saw), by a jump
    /// table over the region's span; otherwise falls through (the current
    /// block is then a fresh one) to leave the region.
    pub fn dispatch_in_region(&mut self, t: Value) {
        let Some((lo, table)) = self.dispatch.clone() else { return };
        let off = self.b.ins().iadd_imm_s(t, lo.wrapping_neg() as i64);
        let span = 2 * table.len() as i64;
        let inside = self.b.ins().icmp_imm_s(IntCC::UnsignedLessThan, off, span);
        let look = self.b.create_block();
        let out = self.b.create_block();
        self.b.ins().brif(inside, look, &[], out, &[]);
        self.b.switch_to_block(look);
        let half = self.b.ins().ushr_imm_s(off, 1);
        let idx = self.b.ins().ireduce(types::I32, half);
        let default = self.b.func.dfg.block_call(out, &[]);
        let calls: Vec<_> = table
            .iter()
            .map(|e| match e {
                Some(pc) => self.b.func.dfg.block_call(self.entries[pc], &[]),
                None => default,
            })
            .collect();
        let jt = self.b.create_jump_table(JumpTableData::new(default, &calls));
        self.b.ins().br_table(idx, jt);
        self.b.switch_to_block(out);
    }

    /// The constant target of the `jalr` at `pc`, if it has one.
    pub fn known_target(&self, pc: u64) -> Option<u64> {
        self.known.get(&pc).copied()
    }

    /// Leaves the region for the computed target `t` (a `jalr`) after the
    /// whole block retired: through the jump cache when chaining.
    /// `site` is the pc of a `switch`-like jump (its targets are recorded on a miss), or 0.
    pub fn leave_indirect(&mut self, t: Value, m: Value, site: u64) {
        match self.ijump {
            Some(ij) => {
                let s = self.iconst(site as i64);
                self.jump_out(ij, &[t, m, s]);
            }
            None => {
                self.jump_out(self.leave, &[t, m]);
            }
        }
    }

    /// Leaves the region (with the pc and clock a helper made final) if `cond` is non-zero.
    pub fn leave_if(&mut self, cond: Value) {
        let cont = self.b.create_block();
        let stub = self.b.create_block();
        self.b.set_cold_block(stub);
        self.b.ins().brif(cond, stub, &[], cont, &[]);
        self.b.seal_block(stub);
        self.b.switch_to_block(stub);
        let saved = self.fork();
        self.sync_dirty();
        self.rejoin(saved);
        self.jump_out(self.trap, &[]);
        self.b.switch_to_block(cont);
    }

    // ---- helper calls ----

    /// Calls a trampoline and returns the `ctx` field it stored the result in.
    fn call(&mut self, sig: SigRef, f: usize, args: &[Value], result_at: i32) -> Value {
        let callee = self.iconst(f as i64);
        self.b.ins().call_indirect(sig, callee, args);
        self.b.ins().load(I64, self.hart_flags, self.ctx, result_at)
    }

    /// Forgets what earlier accesses proved (a new block, or a helper ran).
    fn forget_proofs(&mut self) {
        self.tlb_memo.clear();
        self.direct_memo.clear();
        self.fp = float::FpKnown::default();
    }

    pub fn call_exec(&mut self, gi: &GuestInsn) -> Value {
        // The helper may change the TLB (or mark code pages).
        self.forget_proofs();
        if let Some(slot) = self.site_slot {
            let zero = self.iconst(0);
            for &off in self.site_memo.values() {
                self.b.ins().stack_store(I64, zero, slot, off);
            }
        }
        let insn = self.iconst(&gi.insn as *const _ as i64);
        let h = self.iconst(gi.handler as usize as i64);
        let p = self.iconst(gi.pc as i64);
        let ctx = self.ctx;
        self.call(self.sigs.exec, self.tramps.exec, &[ctx, insn, h, p], ctx_offsets::LEAVE)
    }
}
