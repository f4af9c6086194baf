//! Lowering a [`Region`] to one Cranelift function.
//!
//! ```text
//!   fn region(hart: *mut Hart, ctx: *mut Ctx) -> u64
//!
//!   entry:  load used guest registers, clock, deadline, TLB key/salt
//!           jump block[entry pc]
//!   block:  if clock + len > deadline  -> exit(pc = block start, clock)
//!           clock += len
//!           insn; insn; ...                (inline; helpers out of line)
//!           branch -> block[target] | exit(target)
//!   exit(pc, clock): store written registers, pc, clock; return 0
//!   trap:   (a helper took a trap) exit(hart.pc, hart.clock)
//! ```
//!
//! Guest registers are Cranelift variables, so a guest loop inside the page
//! becomes a host loop with registers in host registers. Exactness: a block
//! only starts if it fits before the deadline (the dispatcher runs the rest of
//! a partial block on the interpreter); before any helper call the clock is
//! stored as the interpreter would have it (retired instructions only); after
//! a helper that sets `hart.exit` the region ends after that instruction.
//!
//! Per-instruction translation lives in one file per instruction set
//! ([`rv64i`], [`rv64m`], [`mem`], [`system`]).

mod mem;
mod rv64i;
mod rv64m;
mod system;

use crate::helpers::{self, ctx_offsets};
use crate::region::{GuestBlock, GuestInsn, Region};
use cranelift_codegen::ir::condcodes::IntCC;
use cranelift_codegen::ir::{
    types, AbiParam, AliasRegionData, Block, BlockArg, Function, InstBuilder, MemFlagsData, SigRef, Signature,
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
        Ok(Compiler { isa, ctx: Context::new(), fctx: FunctionBuilderContext::new() })
    }

    /// The host ISA.
    pub fn isa(&self) -> &dyn TargetIsa {
        &*self.isa
    }

    /// Compiles `region`; data accesses use TLB bank `bank`.
    pub fn compile(&mut self, region: &Region, bank: u8, want: Want) -> Result<Compiled, LowerError> {
        if region.blocks.is_empty() {
            return Err(LowerError::Empty);
        }
        let cc = self.isa.default_call_conv();
        let mut sig = Signature::new(cc);
        sig.params.push(AbiParam::new(I64));
        sig.params.push(AbiParam::new(I64));
        sig.returns.push(AbiParam::new(I64));
        self.ctx.clear();
        self.ctx.func = Function::with_name_signature(UserFuncName::user(0, 0), sig);
        self.ctx.set_disasm(want.asm);
        {
            let mut b = FunctionBuilder::new(&mut self.ctx.func, &mut self.fctx);
            build(&mut b, region, bank, cc);
            b.finalize(self.isa.frontend_config());
        }
        let ir = want.ir.then(|| self.ctx.func.display().to_string());
        let mut ctrl = Default::default();
        let compiled =
            self.ctx.compile(&*self.isa, &mut ctrl).map_err(|e| LowerError::Codegen(format!("{:?}", e.inner)))?;
        let relocs = compiled.buffer.relocs().len();
        if relocs != 0 {
            return Err(LowerError::Relocs(relocs));
        }
        let code = compiled.code_buffer().to_vec();
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
    deadline: Value,
    /// Address of `hart.tlb.entries[bank][0]`.
    pub tlb_base: Value,
    pub tlb_key: Value,
    pub tlb_salt: Value,
    exit: Block,
    trap: Block,
    blocks: HashMap<u64, Block>,
    sigs: Sigs,
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

fn build(b: &mut FunctionBuilder<'_>, region: &Region, bank: u8, cc: cranelift_codegen::isa::CallConv) {
    let vmctx = b.func.dfg.alias_regions.insert(AliasRegionData { user_id: 1, description: "hart".into() });
    let heap = b.func.dfg.alias_regions.insert(AliasRegionData { user_id: 2, description: "guest".into() });
    let entry = b.create_block();
    b.append_block_params_for_function_params(entry);
    b.switch_to_block(entry);
    let hart = b.block_params(entry)[0];
    let ctx = b.block_params(entry)[1];

    // Registers used anywhere in the region, and those written.
    let mut used = [false; 32];
    let mut written = [false; 32];
    for blk in &region.blocks {
        for gi in &blk.insns {
            let i = &gi.insn;
            for r in [i.rs1, i.rs2, i.rs3, i.rd] {
                used[r as usize & 31] = true;
            }
            written[i.rd as usize & 31] = true;
        }
    }
    used[0] = false;
    written[0] = false;
    let hart_flags = MemFlagsData::trusted().with_alias_region(Some(vmctx));
    let mut regs = [None; 32];
    for r in 1..32 {
        if used[r] {
            let v = b.declare_var(I64);
            let x = b.ins().load(I64, hart_flags, hart, (offsets::X + 8 * r) as i32);
            b.def_var(v, x);
            regs[r] = Some(v);
        }
    }
    let clock = b.declare_var(I64);
    let c0 = b.ins().load(I64, hart_flags, hart, offsets::CLOCK as i32);
    b.def_var(clock, c0);
    let deadline = b.ins().load(I64, hart_flags, hart, offsets::DEADLINE as i32);
    let bank_off = offsets::TLB + bank as usize * tlb::ENTRIES * tlb::ENTRY_SIZE;
    let tlb_base = b.ins().iadd_imm_s(hart, bank_off as i64);
    let tlb_key = b.ins().load(I64, hart_flags, hart, (offsets::TLB_KEY + 8 * bank as usize) as i32);
    let tlb_salt = b.ins().load(I64, hart_flags, hart, (offsets::TLB_SALT + 8 * bank as usize) as i32);

    let mk_sig = |n: usize| {
        let mut s = Signature::new(cc);
        for _ in 0..n {
            s.params.push(AbiParam::new(I64));
        }
        s.returns.push(AbiParam::new(I64));
        s
    };
    let sigs = Sigs {
        load: b.import_signature(mk_sig(4)),
        store: b.import_signature(mk_sig(5)),
        exec: b.import_signature(mk_sig(4)),
    };

    let exit = b.create_block();
    b.append_block_param(exit, I64);
    b.append_block_param(exit, I64);
    let trap = b.create_block();
    b.set_cold_block(trap);

    let mut blocks = HashMap::new();
    for blk in &region.blocks {
        blocks.insert(blk.start, b.create_block());
    }
    let first = blocks[&region.entry];
    b.ins().jump(first, &[]);

    let mut lx = Lx {
        b,
        hart,
        ctx,
        regs,
        clock,
        deadline,
        tlb_base,
        tlb_key,
        tlb_salt,
        exit,
        trap,
        blocks,
        sigs,
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
    lx.b.ins().jump(exit, &[pc.into(), clk.into()]);

    // Exit: write back.
    lx.b.switch_to_block(exit);
    let pc = lx.b.block_params(exit)[0];
    let clk = lx.b.block_params(exit)[1];
    for r in 1..32 {
        if written[r] {
            let v = lx.b.use_var(lx.regs[r].expect("written registers are used"));
            lx.b.ins().store(hart_flags, v, hart, (offsets::X + 8 * r) as i32);
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
        let c2 = self.b.ins().iadd_imm_s(c, n);
        let over = self.b.ins().icmp(IntCC::UnsignedGreaterThan, c2, self.deadline);
        let body = self.b.create_block();
        let start = self.b.ins().iconst(I64, blk.start as i64);
        self.b.ins().brif(over, self.exit, &[start.into(), c.into()], body, &[]);
        self.b.switch_to_block(body);
        self.b.def_var(self.clock, c2);
        self.c = c;
        self.blen = n;
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
        match self.regs[r as usize] {
            Some(v) if r != 0 => self.b.use_var(v),
            _ => self.b.ins().iconst(I64, 0),
        }
    }

    /// Sets guest register `r` (writes to `x0` are dropped).
    pub fn set_x(&mut self, r: u8, v: Value) {
        if r != 0 {
            self.b.def_var(self.regs[r as usize].expect("register declared"), v);
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

    /// The clock after the current instruction retires.
    pub fn clock_after(&mut self) -> Value {
        self.b.ins().iadd_imm_s(self.c, self.idx + 1)
    }

    /// Stores the clock a helper must see.
    pub fn sync_clock(&mut self) {
        let c = self.clock_before();
        self.b.ins().store(self.hart_flags, c, self.hart, offsets::CLOCK as i32);
    }

    /// Ends the block with a jump to `pc`: a region block, or a region exit.
    pub fn goto(&mut self, pc: u64) {
        let (blk, args) = self.target(pc);
        self.b.ins().jump(blk, &args);
    }

    /// The destination for control reaching `pc` at the end of the current block.
    pub fn target(&mut self, pc: u64) -> (Block, Vec<BlockArg>) {
        match self.blocks.get(&pc) {
            Some(&blk) => (blk, vec![]),
            None => {
                let p = self.iconst(pc as i64);
                let c = self.b.use_var(self.clock);
                (self.exit, vec![p.into(), c.into()])
            }
        }
    }

    /// Leaves the region after the current instruction with next pc `pc`.
    pub fn exit_after(&mut self, pc: Value) {
        let c = self.clock_after();
        self.b.ins().jump(self.exit, &[pc.into(), c.into()]);
    }

    /// Leaves the region after the current instruction if `cond` is non-zero.
    pub fn exit_after_if(&mut self, cond: Value, pc: Value) {
        let c = self.clock_after();
        let cont = self.b.create_block();
        self.b.ins().brif(cond, self.exit, &[pc.into(), c.into()], cont, &[]);
        self.b.switch_to_block(cont);
    }

    /// Goes to the trap exit if the last helper set `ctx.trapped`.
    pub fn check_trapped(&mut self) {
        let t = self.b.ins().load(I64, self.hart_flags, self.ctx, ctx_offsets::TRAPPED);
        self.trap_if(t);
    }

    /// Goes to the trap exit if `cond` is non-zero.
    pub fn trap_if(&mut self, cond: Value) {
        let cont = self.b.create_block();
        self.b.ins().brif(cond, self.trap, &[], cont, &[]);
        self.b.switch_to_block(cont);
    }

    /// `hart.exit` (u32, zero-extended).
    pub fn exit_flags(&mut self) -> Value {
        self.b.ins().uload32(self.hart_flags, self.hart, offsets::EXIT as i32)
    }

    // ---- helper calls ----

    fn call(&mut self, sig: SigRef, f: usize, args: &[Value]) -> Value {
        let callee = self.iconst(f as i64);
        let call = self.b.ins().call_indirect(sig, callee, args);
        self.b.inst_results(call)[0]
    }

    pub fn call_load(&mut self, va: Value, size: u64, pc: u64) -> Value {
        let (s, p) = (self.iconst(size as i64), self.iconst(pc as i64));
        let ctx = self.ctx;
        self.call(self.sigs.load, helpers::load as *const () as usize, &[ctx, va, s, p])
    }

    pub fn call_store(&mut self, va: Value, size: u64, v: Value, pc: u64) -> Value {
        let (s, p) = (self.iconst(size as i64), self.iconst(pc as i64));
        let ctx = self.ctx;
        self.call(self.sigs.store, helpers::store as *const () as usize, &[ctx, va, s, v, p])
    }

    pub fn call_exec(&mut self, gi: &GuestInsn) -> Value {
        let insn = self.iconst(&gi.insn as *const _ as i64);
        let h = self.iconst(gi.handler as usize as i64);
        let p = self.iconst(gi.pc as i64);
        let ctx = self.ctx;
        self.call(self.sigs.exec, helpers::exec as *const () as usize, &[ctx, insn, h, p])
    }
}
