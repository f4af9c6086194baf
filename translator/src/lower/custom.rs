//! Inline fast paths of extension (custom) instructions.
//!
//! The translator knows no extension. An extension that wants its common case
//! compiled inline implements [`InlineFastPath`] and registers it for its
//! instruction set with [`register`]. When a region is to be compiled, the
//! engine asks it, on the machine's thread, to [`InlineFastPath::prepare`]
//! what its fast paths read from the machine (addresses of extension state,
//! parameters, enabled sets) into a [`PreparedFastPath`]; the lowering, on
//! whichever thread compiles the region, asks that, per instruction, to emit
//! Cranelift IR through a [`FastPathCx`]. The reference helper stays the
//! semantics and the fallback:
//!
//! ```text
//!   unpromoted registers -> hart.x (both paths start from the same state)
//!   fast:  guards ──fail──► slow: the reference handler through `exec`
//!          │                      (traps, leaves the region if it must)
//!          effects (registers, extension state, counters, modeled cycles)
//!          ▼                       │
//!   join ◄─────────────────────────┘   registers written on either path are
//!                                      re-read from hart.x / their variables
//! ```
//!
//! The contract an emitter keeps: every guard comes before any side effect
//! (a failed guard leaves nothing changed, so the helper starts afresh); a
//! fast path never traps and never changes privilege or the TLB's contents
//! (it may switch the ASID, whose keys and salts it then stores);
//! it counts the same events and charges the same modeled cycles as the
//! helper would for that case. A fast path that transfers control or switches
//! the address space (a gate call) ends with [`FastPathCx::leave_to`]: the
//! instruction retires and compiled code goes on at the new pc through the
//! jump cache, in the translation the hart has now, as after a helper. The differential
//! tests run every extension test on the interpreter, the JIT and the JIT
//! with fast paths off (`--no-fastpath`), which must agree exactly.
//!
//! Code may embed addresses of extension state (`ExtHooks::generation`
//! changes, and the engine flushes, when a state is replaced).

use super::{system, Flow, Lx, I64};
use crate::region::{GuestInsn, Region};
use cranelift_codegen::ir::condcodes::IntCC;
use cranelift_codegen::ir::{Block, InstBuilder, MemFlagsData, Value};
use cranelift_frontend::{FuncInstBuilder, FunctionBuilder};
use mkjit_runtime::hart::{offsets, Csrs, Hart, Priv};
use mkjit_runtime::isa::{Insn, Op};
use mkjit_runtime::machine::Machine;
use mkjit_runtime::mmu::tlb;

/// An extension's inline fast paths (one per instruction set).
pub trait InlineFastPath: Send + Sync {
    /// Captures what the fast paths of code compiled now for `m` read from
    /// it: addresses of extension state, parameters and costs, the enabled
    /// sets (all fixed for the code). Runs on the machine's thread; the
    /// result may emit on another.
    fn prepare(&self, m: &Machine) -> Box<dyn PreparedFastPath>;
}

/// An extension's fast paths with what they need from the machine captured.
pub trait PreparedFastPath: Send + Sync {
    /// Emits the fast path of `insn` (the code's privilege is
    /// [`FastPathCx::prv`]), or returns false, having emitted nothing, to
    /// use the helper alone.
    fn emit(&self, insn: &Insn, fx: &mut FastPathCx<'_, '_, '_>) -> bool;
}

/// The prepared fast paths of the custom sets a region uses.
#[derive(Default)]
pub struct FastPaths(Vec<(u16, Box<dyn PreparedFastPath>)>);

impl FastPaths {
    /// Prepares, from `m` as it is now, the fast paths of every custom set
    /// that `guest` has instructions of (none when `m` disallows fast paths).
    pub fn prepare(m: &Machine, guest: &Region) -> FastPaths {
        let mut sets: Vec<(u16, Box<dyn PreparedFastPath>)> = Vec::new();
        for gi in guest.blocks.iter().flat_map(|b| &b.insns) {
            if let Op::Custom(set, _) = gi.insn.op {
                if !sets.iter().any(|(s, _)| *s == set) {
                    if let Some(fp) = lookup(m, set) {
                        sets.push((set, fp.prepare(m)));
                    }
                }
            }
        }
        FastPaths(sets)
    }

    /// The fast paths of custom set `set`, if prepared.
    pub fn get(&self, set: u16) -> Option<&dyn PreparedFastPath> {
        self.0.iter().find(|(s, _)| *s == set).map(|(_, fp)| &**fp)
    }
}

/// The registered fast paths of a set, as stored in the machine's extension hooks.
#[derive(Clone, Copy)]
struct Registered(&'static dyn InlineFastPath);

/// Registers `fp` as the inline fast paths of custom set `set` on `m`.
pub fn register(m: &mut Machine, set: u16, fp: &'static dyn InlineFastPath) {
    m.ext.set_fast_path(set, Registered(fp));
}

/// The fast paths registered for `set`, if any and if `m` allows fast paths.
pub fn lookup(m: &Machine, set: u16) -> Option<&'static dyn InlineFastPath> {
    if !m.ext.fastpath {
        return None;
    }
    m.ext.fast_path::<Registered>(set).map(|r| r.0)
}

/// What an emitter builds its fast path with.
pub struct FastPathCx<'x, 'a, 'f> {
    lx: &'x mut Lx<'a, 'f>,
    slow: Block,
    written: Vec<u8>,
    left: bool,
    pc: u64,
}

impl<'f> FastPathCx<'_, '_, 'f> {
    /// The function builder (blocks, variables).
    pub fn builder(&mut self) -> &mut FunctionBuilder<'f> {
        self.lx.b
    }

    /// The instruction builder.
    pub fn ins(&mut self) -> FuncInstBuilder<'_, 'f> {
        self.lx.b.ins()
    }

    /// The privilege the compiled code runs in (not necessarily the hart's
    /// while compiling: decide privilege-dependent behaviour with this).
    pub fn prv(&self) -> Priv {
        self.lx.env.prv
    }

    /// Virtual address of the instruction.
    pub fn pc(&self) -> u64 {
        self.pc
    }

    /// A 64-bit constant.
    pub fn iconst(&mut self, v: i64) -> Value {
        self.lx.iconst(v)
    }

    /// Value of guest register `r`.
    pub fn x(&mut self, r: u8) -> Value {
        self.lx.x(r)
    }

    /// Sets guest register `r` (x0 is dropped).
    pub fn set_x(&mut self, r: u8, v: Value) {
        if r != 0 {
            self.lx.set_x(r, v);
            self.written.push(r);
        }
    }

    /// The hart (`*mut Hart`), for fields at `mkjit_runtime::hart::offsets` or `offset_of!`.
    pub fn hart(&self) -> Value {
        self.lx.hart
    }

    /// Flags for loads and stores of hart fields.
    pub fn hart_flags(&self) -> MemFlagsData {
        self.lx.hart_flags()
    }

    /// Flags for extension state (host memory that never traps).
    pub fn state_flags(&self) -> MemFlagsData {
        MemFlagsData::trusted()
    }

    /// Flags for guest RAM through a host address.
    pub fn guest_flags(&self) -> MemFlagsData {
        self.lx.guest_flags()
    }

    /// Host address of guest physical address 0 (add a RAM physical address to it).
    pub fn host_offset(&self) -> u64 {
        self.lx.env.host_offset
    }

    /// Loads `size` bytes (1, 2, 4, 8) of guest RAM at host address `host`,
    /// sign- or zero-extended, as the base ISA's loads do.
    pub fn load_guest(&mut self, host: Value, size: u64, signed: bool) -> Value {
        super::mem::host_load(self.lx, host, size, signed)
    }

    /// Stores the low `size` bytes (1, 2, 4, 8) of `v` to guest RAM at host address `host`.
    pub fn store_guest(&mut self, v: Value, host: Value, size: u64) {
        super::mem::host_store(self.lx, v, host, size)
    }

    /// Continues on the fast path if `ok` is non-zero, else falls back to the helper.
    pub fn guard(&mut self, ok: Value) {
        let cont = self.lx.b.create_block();
        self.lx.b.ins().brif(ok, cont, &[], self.slow, &[]);
        self.lx.b.switch_to_block(cont);
    }

    /// Continues on the fast path if `a == b`, else falls back to the helper.
    pub fn guard_eq(&mut self, a: Value, b: Value) {
        let ok = self.lx.b.ins().icmp(IntCC::Equal, a, b);
        self.guard(ok);
    }

    /// Adds `by` to the `u64` at host address `addr` (an event counter).
    pub fn bump(&mut self, addr: u64, by: i64) {
        let f = MemFlagsData::trusted();
        let a = self.lx.iconst(addr as i64);
        let v = self.lx.b.ins().load(I64, f, a, 0);
        let v = self.lx.b.ins().iadd_imm_s(v, by);
        self.lx.b.ins().store(f, v, a, 0);
    }

    /// Counts one event in the `u64` counter at `counter` and charges its `cycles`.
    pub fn count_event(&mut self, counter: *const u64, cycles: u64) {
        self.bump(counter as u64, 1);
        self.charge(cycles);
    }

    /// The hart's `satp` now.
    pub fn satp(&mut self) -> Value {
        let (hf, hart) = (self.hart_flags(), self.hart());
        let at = (std::mem::offset_of!(Hart, csr) + std::mem::offset_of!(Csrs, satp)) as i32;
        self.lx.b.ins().load(I64, hf, hart, at)
    }

    /// The ASID field of a `satp` value, as the TLB keys translations (ASIDLEN bits).
    pub fn asid_of(&mut self, satp: Value) -> Value {
        let a = self.lx.b.ins().ushr_imm_s(satp, 44);
        self.lx.b.ins().band_imm_s(a, (1 << tlb::ASID_BITS) - 1)
    }

    /// The current ASID.
    pub fn asid(&mut self) -> Value {
        let s = self.satp();
        self.asid_of(s)
    }

    /// Charges `cycles` modeled cycles (events the helper would charge).
    pub fn charge(&mut self, cycles: u64) {
        self.lx.charge_const(cycles);
    }

    /// Ends the fast path (after its last guard and effect): the instruction
    /// retires with next pc `next`, and the region is left for it as after a
    /// helper that jumped (registers written back, then the jump cache in
    /// the mode and translation the hart has now). Emit nothing after it.
    pub fn leave_to(&mut self, next: Value) {
        let lx = &mut *self.lx;
        let (hf, hart) = (lx.hart_flags(), lx.hart);
        lx.b.ins().store(hf, next, hart, offsets::PC as i32);
        let (c, y) = lx.clock_at(lx.idx as usize + 1);
        lx.b.ins().store(hf, c, hart, offsets::CLOCK as i32);
        lx.b.ins().store(hf, y, hart, offsets::CYCLES as i32);
        let saved = lx.fork();
        lx.sync_dirty();
        lx.rejoin(saved);
        lx.jump_out(lx.trap, &[]);
        self.left = true;
    }

    /// Charges a computed number of modeled cycles.
    pub fn charge_value(&mut self, cycles: Value) {
        self.lx.charge(cycles);
    }
}

/// Lowers custom instruction `gi` with `fp`'s fast path and the helper as its fallback.
pub(super) fn lower(lx: &mut Lx<'_, '_>, gi: &GuestInsn, fp: &dyn PreparedFastPath) -> Flow {
    // Both paths start with every unpromoted register in hart.x.
    lx.sync_dirty();
    lx.dirty = [false; 32];
    let saved = lx.fork();
    let slow = lx.b.create_block();
    lx.b.set_cold_block(slow);
    let join = lx.b.create_block();
    let mut cx = FastPathCx { lx: &mut *lx, slow, written: Vec::new(), left: false, pc: gi.pc };
    if !fp.emit(&gi.insn, &mut cx) {
        return system::exec(lx, gi);
    }
    let (mut written, left) = (cx.written, cx.left);
    lx.fast_paths += 1;
    // Written unpromoted registers go to hart.x, where the slow path leaves its results too.
    if !left {
        for &r in &written {
            if lx.regs[r as usize].is_none() {
                lx.spill(r);
            }
        }
        lx.b.ins().jump(join, &[]);
    }
    lx.b.switch_to_block(slow);
    lx.rejoin(saved);
    let mark = lx.block_mark();
    system::exec(lx, gi);
    lx.b.ins().jump(join, &[]);
    lx.cold_since(mark);
    lx.b.switch_to_block(join);
    // What either path may have written is re-read from hart.x (promoted
    // registers are variables: the join merges them).
    if gi.all_regs {
        written.extend(1..32);
    }
    written.push(gi.insn.rd);
    let mut local = saved;
    for r in written {
        local[r as usize & 31] = None;
    }
    lx.rejoin(local);
    lx.dirty = [false; 32];
    Flow::Next
}
