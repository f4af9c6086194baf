//! Lowering a [`Region`] to one Cranelift function.
//!
//! ```text
//!   fn region(hart: *mut Hart, ctx: *mut Ctx, entry: u64) -> u64
//!
//!   entry:  load used guest registers, clock, deadline, TLB key/salt
//!           jump block[entry]              (every block is an entry point)
//!   block:  [entries, loop headers: if clock + reach > deadline
//!                                    -> exit(pc = block start, clock)]
//!           clock += len
//!           insn; insn; ...                (inline; helpers out of line)
//!           branch -> block[target] | exit(target)
//!           (unpromoted registers written in a block are stored to hart.x on
//!            every way out of it)
//!   exit(pc, clock, cycles): store promoted registers, pc, clock, modeled cycles; return 0
//!   trap:   (a helper took a trap) exit(hart.pc, hart.clock)
//! ```
//!
//! Guest registers are Cranelift variables, so a guest loop inside the page
//! becomes a host loop with registers in host registers. Exactness: code
//! past a check only runs if everything up to the next check fits before the
//! deadline (otherwise the dispatcher runs the interpreter up to the deadline,
//! see `Region::plan_checks`); before any helper call the clock is
//! stored as the interpreter would have it (retired instructions only); after
//! a helper that sets `hart.exit` the region ends after that instruction.
//!
//! Per-instruction translation lives in one file per instruction set
//! ([`rv64i`], [`rv64m`], [`mem`], [`system`]).

mod mem;
mod rv64i;
mod rv64m;
mod system;
pub mod trampoline;

use crate::arena::CodeArena;
use crate::helpers::ctx_offsets;
use crate::region::{GuestBlock, GuestInsn, Region};
use cranelift_codegen::ir::condcodes::IntCC;
use cranelift_codegen::ir::{
    types, AbiParam, AliasRegionData, Block, Function, JumpTableData, InstBuilder, MemFlagsData, SigRef, Signature,
    UserFuncName, Value,
};
use cranelift_codegen::isa::{OwnedTargetIsa, TargetIsa};
use cranelift_codegen::settings::{self, Configurable};
use cranelift_codegen::Context;
use cranelift_frontend::{FunctionBuilder, FunctionBuilderContext, Variable};
use mkjit_runtime::hart::offsets;
use mkjit_runtime::isa::Op;
use mkjit_runtime::mmu::tlb;
use std::collections::HashMap;

const I64: types::Type = types::I64;

/// Return points a `jalr` compares its target with, at most.
const MAX_RETURNS: usize = 12;

/// Guest registers kept in host registers across a whole region.
const PROMOTED: usize = 8;

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
}

/// The compiler: host ISA plus reusable contexts.
pub struct Compiler {
    isa: OwnedTargetIsa,
    ctx: Context,
    fctx: FunctionBuilderContext,
    tramps: trampoline::Trampolines,
    /// Holds the trampolines (never flushed).
    _tramp_arena: CodeArena,
    /// Print Cranelift's pass timings per region (`MKJIT_JIT_TIMING`).
    timing: bool,
}

impl Compiler {
    /// A compiler for the host, optimising for speed.
    pub fn new() -> Result<Compiler, LowerError> {
        let mut flags = settings::builder();
        let set =
            |f: &mut settings::Builder, k: &str, v: &str| f.set(k, v).map_err(|e| LowerError::Host(e.to_string()));
        set(&mut flags, "opt_level", "speed")?;
        set(&mut flags, "unwind_info", "false")?;
        set(&mut flags, "enable_verifier", if cfg!(debug_assertions) { "true" } else { "false" })?;
        let builder = cranelift_native::builder().map_err(|e| LowerError::Host(e.to_string()))?;
        let isa = builder.finish(settings::Flags::new(flags)).map_err(|e| LowerError::Host(e.to_string()))?;
        let mut arena = CodeArena::new(1 << 16).map_err(|e| LowerError::Host(e.to_string()))?;
        let tramps = trampoline::install(&*isa, &mut arena)?;
        Ok(Compiler {
            isa,
            ctx: Context::new(),
            fctx: FunctionBuilderContext::new(),
            tramps,
            _tramp_arena: arena,
            timing: std::env::var_os("MKJIT_JIT_TIMING").is_some(),
        })
    }

    /// The host ISA.
    pub fn isa(&self) -> &dyn TargetIsa {
        &*self.isa
    }

    /// Compiles `region`; data accesses use TLB bank `bank`.
    pub fn compile(&mut self, region: &Region, bank: u8, cost: &dyn Fn(Op) -> u64, want: Want) -> Result<Compiled, LowerError> {
        if region.blocks.is_empty() {
            return Err(LowerError::Empty);
        }
        let cc = self.isa.default_call_conv();
        let mut sig = Signature::new(cc);
        for _ in 0..3 {
            sig.params.push(AbiParam::new(I64));
        }
        sig.returns.push(AbiParam::new(I64));
        self.ctx.clear();
        self.ctx.func = Function::with_name_signature(UserFuncName::user(0, 0), sig);
        self.ctx.set_disasm(want.asm);
        {
            let mut b = FunctionBuilder::new(&mut self.ctx.func, &mut self.fctx);
            build(&mut b, region, bank, cost, cc, self.tramps);
            b.finalize(self.isa.frontend_config());
        }
        let ir = want.ir.then(|| self.ctx.func.display().to_string());
        if self.timing {
            let f = &self.ctx.func;
            eprintln!("region: {} guest insns, {} blocks, {} insts, {} values", region.insn_count, f.dfg.num_blocks(), f.dfg.num_insts(), f.dfg.num_values());
        }
        let mut ctrl = Default::default();
        let compiled =
            self.ctx.compile(&*self.isa, &mut ctrl).map_err(|e| LowerError::Codegen(format!("{:?}", e.inner)))?;
        let relocs = compiled.buffer.relocs().len();
        if relocs != 0 {
            return Err(LowerError::Relocs(relocs));
        }
        let code = compiled.code_buffer().to_vec();
        if self.timing {
            eprintln!("{}", cranelift_codegen::timing::take_current());
        }
        let asm = if want.asm {
            match self.isa.to_capstone() {
                Ok(cs) => compiled.disassemble(None, &cs).ok().or_else(|| compiled.vcode.clone()),
                Err(_) => compiled.vcode.clone(),
            }
        } else {
            None
        };
        Ok(Compiled { code, ir, asm })
    }
}

/// Helper signatures.
struct Sigs {
    load: SigRef,
    store: SigRef,
    exec: SigRef,
}

/// Lowering state for one region.
pub(crate) struct Lx<'a, 'f> {
    pub b: &'a mut FunctionBuilder<'f>,
    pub hart: Value,
    pub ctx: Value,
    regs: [Option<Variable>; 32],
    clock: Variable,
    /// Modeled cycles at block boundaries.
    cycles: Variable,
    /// Modeled cycles at the start of the current block, as far as the code
    /// after the last helper call knows (helpers may charge events).
    cbase: Variable,
    /// Class cost of each operation.
    cost: &'a dyn Fn(Op) -> u64,
    /// Cost of the current block's instructions before each index (and in total, last).
    pre: Vec<u64>,
    /// Values of unpromoted registers known in the current block.
    local: [Option<Value>; 32],
    /// Address of `hart.tlb.entries[bank][0]`.
    pub tlb_base: Value,
    pub tlb_key: Value,
    pub tlb_salt: Value,
    exit: Block,
    trap: Block,
    /// Unpromoted registers written since the start of the current block (not yet in `hart.x`).
    dirty: [bool; 32],
    /// Exit stubs to fill: block, pc, clock, cycles.
    stubs: Vec<(Block, u64, Value, Value)>,
    blocks: HashMap<u64, Block>,
    /// Return points tried by `jalr` before leaving the region.
    pub returns: Vec<u64>,
    sigs: Sigs,
    tramps: trampoline::Trampolines,
    hart_flags: MemFlagsData,
    guest_flags: MemFlagsData,
    /// Clock value at the start of the current block.
    c: Value,
    /// Index of the current instruction in its block.
    idx: i64,
    /// Length of the current block.
    blen: i64,
}

/// Result of lowering one instruction.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Flow {
    /// Execution continues with the next instruction.
    Next,
    /// The instruction ended the block (all paths are terminated).
    Ended,
}

fn build(
    b: &mut FunctionBuilder<'_>,
    region: &Region,
    bank: u8,
    cost: &dyn Fn(Op) -> u64,
    cc: cranelift_codegen::isa::CallConv,
    tramps: trampoline::Trampolines,
) {
    let vmctx = b.func.dfg.alias_regions.insert(AliasRegionData { user_id: 1, description: "hart".into() });
    let heap = b.func.dfg.alias_regions.insert(AliasRegionData { user_id: 2, description: "guest".into() });
    let entry = b.create_block();
    b.append_block_params_for_function_params(entry);
    b.switch_to_block(entry);
    let hart = b.block_params(entry)[0];
    let ctx = b.block_params(entry)[1];
    let entry_index = b.block_params(entry)[2];

    // Promotion: the registers used most (weighted by loop depth) live in host
    // registers across the whole region; the others are loaded from hart.x
    // once per block that uses them. Either way writes reach hart.x at the end
    // of the block, so too many long-lived values never crowd the allocator.
    let mut weight = [0u64; 32];
    for blk in &region.blocks {
        let w = 8u64.pow(blk.depth.min(5));
        for gi in &blk.insns {
            let i = &gi.insn;
            for r in [i.rs1, i.rs2, i.rs3, i.rd] {
                weight[r as usize & 31] += w;
            }
        }
    }
    weight[0] = 0;
    let mut order: Vec<usize> = (1..32).filter(|&r| weight[r] > 0).collect();
    order.sort_by_key(|&r| std::cmp::Reverse(weight[r]));
    order.truncate(PROMOTED);
    let hart_flags = MemFlagsData::trusted().with_alias_region(Some(vmctx));
    let mut regs = [None; 32];
    order.sort_unstable();
    for &r in &order {
        let v = b.declare_var(I64);
        let x = b.ins().load(I64, hart_flags, hart, (offsets::X + 8 * r) as i32);
        b.def_var(v, x);
        regs[r] = Some(v);
    }
    let clock = b.declare_var(I64);
    let c0 = b.ins().load(I64, hart_flags, hart, offsets::CLOCK as i32);
    b.def_var(clock, c0);
    let cycles = b.declare_var(I64);
    let y0 = b.ins().load(I64, hart_flags, hart, offsets::CYCLES as i32);
    b.def_var(cycles, y0);
    let cbase = b.declare_var(I64);
    b.def_var(cbase, y0);
    let bank_off = offsets::TLB + bank as usize * tlb::ENTRIES * tlb::ENTRY_SIZE;
    let tlb_base = b.ins().iadd_imm_s(hart, bank_off as i64);
    // The untranslated bank has no ASID: key and salt are always 0.
    let (tlb_key, tlb_salt) = if bank == tlb::BANK_M {
        (b.ins().iconst(I64, 0), b.ins().iconst(I64, 0))
    } else {
        (
            b.ins().load(I64, hart_flags, hart, (offsets::TLB_KEY + 8 * bank as usize) as i32),
            b.ins().load(I64, hart_flags, hart, (offsets::TLB_SALT + 8 * bank as usize) as i32),
        )
    };

    let sigs = Sigs {
        load: b.import_signature(trampoline::signature(trampoline::ARGS[0])),
        store: b.import_signature(trampoline::signature(trampoline::ARGS[1])),
        exec: b.import_signature(trampoline::signature(trampoline::ARGS[2])),
    };
    let _ = cc;

    let exit = b.create_block();
    b.append_block_param(exit, I64);
    b.append_block_param(exit, I64);
    b.append_block_param(exit, I64);
    let trap = b.create_block();
    b.set_cold_block(trap);

    let mut blocks = HashMap::new();
    for blk in &region.blocks {
        blocks.insert(blk.start, b.create_block());
    }
    // The third argument selects the entry block.
    let calls: Vec<_> = region.entries().map(|blk| b.func.dfg.block_call(blocks[&blk.start], &[])).collect();
    let default = b.func.dfg.block_call(blocks[&region.entry], &[]);
    let jt = b.create_jump_table(JumpTableData::new(default, &calls));
    let index32 = b.ins().ireduce(types::I32, entry_index);
    b.ins().br_table(index32, jt);

    let mut lx = Lx {
        b,
        hart,
        ctx,
        regs,
        clock,
        cycles,
        cbase,
        cost,
        pre: Vec::new(),
        local: [None; 32],
        tlb_base,
        tlb_key,
        tlb_salt,
        exit,
        trap,
        dirty: [false; 32],
        stubs: Vec::new(),
        blocks,
        returns: region.blocks.iter().filter(|b| b.return_point).map(|b| b.start).take(MAX_RETURNS).collect(),
        sigs,
        tramps,
        hart_flags,
        guest_flags: MemFlagsData::new().with_notrap().with_alias_region(Some(heap)),
        c: c0,
        idx: 0,
        blen: 0,
    };
    for blk in &region.blocks {
        lx.lower_block(blk);
    }

    // Trap: the helper already set pc and clock.
    lx.b.switch_to_block(trap);
    let pc = lx.b.ins().load(I64, hart_flags, hart, offsets::PC as i32);
    let clk = lx.b.ins().load(I64, hart_flags, hart, offsets::CLOCK as i32);
    let cyc = lx.b.ins().load(I64, hart_flags, hart, offsets::CYCLES as i32);
    lx.b.ins().jump(exit, &[pc.into(), clk.into(), cyc.into()]);

    // Exit: write back.
    lx.b.switch_to_block(exit);
    let pc = lx.b.block_params(exit)[0];
    let clk = lx.b.block_params(exit)[1];
    let cyc = lx.b.block_params(exit)[2];
    lx.b.ins().store(hart_flags, cyc, hart, offsets::CYCLES as i32);
    for r in 1..32 {
        if let Some(v) = lx.regs[r] {
            let x = lx.b.use_var(v);
            lx.b.ins().store(hart_flags, x, hart, (offsets::X + 8 * r) as i32);
        }
    }
    lx.b.ins().store(hart_flags, pc, hart, offsets::PC as i32);
    lx.b.ins().store(hart_flags, clk, hart, offsets::CLOCK as i32);
    let zero = lx.b.ins().iconst(I64, 0);
    lx.b.ins().return_(&[zero]);
    lx.b.seal_all_blocks();
}

impl<'a, 'f> Lx<'a, 'f> {
    fn lower_block(&mut self, blk: &GuestBlock) {
        let bb = self.blocks[&blk.start];
        self.b.switch_to_block(bb);
        let n = blk.insns.len() as i64;
        let c = self.b.use_var(self.clock);
        let y = self.b.use_var(self.cycles);
        if let Some(reach) = blk.check {
            let need = self.b.ins().iadd_imm_s(c, reach as i64);
            let deadline = self.b.ins().load(I64, self.hart_flags, self.hart, offsets::DEADLINE as i32);
            let over = self.b.ins().icmp(IntCC::UnsignedGreaterThan, need, deadline);
            let body = self.b.create_block();
            let stub = self.exit_stub(blk.start, c, y);
            self.b.set_cold_block(stub);
            self.b.ins().brif(over, stub, &[], body, &[]);
            self.fill_stubs();
            self.b.switch_to_block(body);
        }
        let c2 = self.b.ins().iadd_imm_s(c, n);
        self.b.def_var(self.clock, c2);
        self.b.def_var(self.cbase, y);
        self.pre.clear();
        let mut sum = 0;
        for gi in &blk.insns {
            self.pre.push(sum);
            sum += (self.cost)(gi.insn.op);
        }
        self.pre.push(sum);
        self.c = c;
        self.blen = n;
        self.dirty = [false; 32];
        self.local = [None; 32];
        for (i, gi) in blk.insns.iter().enumerate() {
            self.idx = i as i64;
            if self.lower_insn(gi) == Flow::Ended {
                return;
            }
        }
        self.goto(blk.end());
    }

    fn lower_insn(&mut self, gi: &GuestInsn) -> Flow {
        use Op::*;
        let op = gi.insn.op;
        if gi.insn.row == mkjit_runtime::interp::dispatch::ILLEGAL_ROW {
            return system::exec(self, gi);
        }
        match op {
            Lui | Auipc | Jal | Jalr | Beq | Bne | Blt | Bge | Bltu | Bgeu | Addi | Slti | Sltiu | Xori | Ori
            | Andi | Slli | Srli | Srai | Add | Sub | Sll | Slt | Sltu | Xor | Srl | Sra | Or | And | Addiw | Slliw
            | Srliw | Sraiw | Addw | Subw | Sllw | Srlw | Sraw | Fence => rv64i::lower(self, gi),
            Mul | Mulh | Mulhsu | Mulhu | Div | Divu | Rem | Remu | Mulw | Divw | Divuw | Remw | Remuw => {
                rv64m::lower(self, gi)
            }
            Lb | Lh | Lw | Ld | Lbu | Lhu | Lwu | Sb | Sh | Sw | Sd => mem::lower(self, gi),
            _ => system::exec(self, gi),
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

    pub fn guest_flags(&self) -> MemFlagsData {
        self.guest_flags
    }

    // ---- clock and exits ----

    /// The clock before the current instruction (as a helper must see it).
    pub fn clock_before(&mut self) -> Value {
        self.b.ins().iadd_imm_s(self.c, self.idx)
    }

    /// Stores the clock and modeled cycles a helper must see.
    pub fn sync_clock(&mut self) {
        let c = self.clock_before();
        self.b.ins().store(self.hart_flags, c, self.hart, offsets::CLOCK as i32);
        let base = self.b.use_var(self.cbase);
        let y = self.b.ins().iadd_imm_s(base, self.pre[self.idx as usize] as i64);
        self.b.ins().store(self.hart_flags, y, self.hart, offsets::CYCLES as i32);
    }

    /// After a helper returned without leaving: takes over the events it charged.
    pub fn resync_cycles(&mut self) {
        let now = self.b.ins().load(I64, self.hart_flags, self.hart, offsets::CYCLES as i32);
        let base = self.b.ins().iadd_imm_s(now, -(self.pre[self.idx as usize] as i64));
        self.b.def_var(self.cbase, base);
    }

    /// Modeled cycles after the whole current block (for its ways out).
    pub fn block_cycles(&mut self) -> Value {
        let base = self.b.use_var(self.cbase);
        let total = *self.pre.last().expect("block costs computed");
        let y = self.b.ins().iadd_imm_s(base, total as i64);
        self.b.def_var(self.cycles, y);
        y
    }

    /// Ends the block with a jump to `pc`: a region block, or a region exit.
    pub fn goto(&mut self, pc: u64) {
        self.sync_dirty();
        self.block_cycles();
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
        match self.blocks.get(&pc) {
            Some(&blk) => blk,
            None => {
                let c = self.b.use_var(self.clock);
                let y = self.b.use_var(self.cycles);
                self.exit_stub(pc, c, y)
            }
        }
    }

    /// A stub leaving the region with `pc` and `clock` (see [`Lx::fill_stubs`]).
    pub fn exit_stub(&mut self, pc: u64, clock: Value, cycles: Value) -> Block {
        let stub = self.b.create_block();
        self.stubs.push((stub, pc, clock, cycles));
        stub
    }

    /// Fills the exit stubs created since the current block was terminated.
    pub fn fill_stubs(&mut self) {
        for (stub, pc, clock, cycles) in std::mem::take(&mut self.stubs) {
            self.b.switch_to_block(stub);
            let p = self.iconst(pc as i64);
            self.b.ins().jump(self.exit, &[p.into(), clock.into(), cycles.into()]);
        }
    }

    /// `ctx.leave`, set by the load helper.
    pub fn leave_flag(&mut self) -> Value {
        self.b.ins().load(I64, self.hart_flags, self.ctx, ctx_offsets::LEAVE)
    }

    /// Leaves the region (with the pc and clock a helper made final) if `cond` is non-zero.
    pub fn leave_if(&mut self, cond: Value) {
        let cont = self.b.create_block();
        let stub = self.b.create_block();
        self.b.set_cold_block(stub);
        self.b.ins().brif(cond, stub, &[], cont, &[]);
        self.b.switch_to_block(stub);
        let saved = self.fork();
        self.sync_dirty();
        self.rejoin(saved);
        self.b.ins().jump(self.trap, &[]);
        self.b.switch_to_block(cont);
    }

    // ---- helper calls ----

    /// Calls a trampoline and returns the `ctx` field it stored the result in.
    fn call(&mut self, sig: SigRef, f: usize, args: &[Value], result_at: i32) -> Value {
        let callee = self.iconst(f as i64);
        self.b.ins().call_indirect(sig, callee, args);
        self.b.ins().load(I64, self.hart_flags, self.ctx, result_at)
    }

    pub fn call_load(&mut self, va: Value, kind: u64, pc: u64, old: Value) -> Value {
        let (k, p) = (self.iconst(kind as i64), self.iconst(pc as i64));
        let ctx = self.ctx;
        self.call(self.sigs.load, self.tramps.load, &[ctx, va, k, p, old], ctx_offsets::VALUE)
    }

    pub fn call_store(&mut self, va: Value, size_len: u64, v: Value, pc: u64) -> Value {
        let (s, p) = (self.iconst(size_len as i64), self.iconst(pc as i64));
        let ctx = self.ctx;
        self.call(self.sigs.store, self.tramps.store, &[ctx, va, s, v, p], ctx_offsets::LEAVE)
    }

    pub fn call_exec(&mut self, gi: &GuestInsn) -> Value {
        let insn = self.iconst(&gi.insn as *const _ as i64);
        let h = self.iconst(gi.handler as usize as i64);
        let p = self.iconst(gi.pc as i64);
        let ctx = self.ctx;
        self.call(self.sigs.exec, self.tramps.exec, &[ctx, insn, h, p], ctx_offsets::LEAVE)
    }
}
