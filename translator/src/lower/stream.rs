//! Streamed loops: an innermost loop whose loads and stores walk memory
//! through induction registers gets a second copy of its blocks in which
//! those accesses go straight to host memory, after one check of where each
//! of them may go.
//!
//! ```text
//!   header h (the loop's block with a deadline check; optimised tier):
//!     [deadline check]
//!     guard: at least MIN_TRIPS trips left by the exit test?
//!            for every streamed access k, address = x[base] + x[iv] + c:
//!              untranslated: in RAM; a store: its page's slow-store byte clear
//!              translated:   the TLB hits (addend_k)
//!            a loop with floating point: mstatus.FS Dirty, and `fcsr`
//!              as its fast paths want it (NX set, `frm` RNE: what their
//!              conditions ask, together); the fast copy's FP instructions
//!              then skip those checks (`nbody` 1-2% faster)
//!            (any no -> slow h)
//!            per induction register: its bound, how far it may step with
//!              every access through it still in RAM (translated: on the
//!              access's page; a store: on its page) -> head
//!     head:  [deadline check]; every induction register within its bound?
//!              -> fast h, else -> guard (which looks again from there)
//!     fast copies of the loop's blocks: streamed accesses without checks
//!              (translated: origin_k + x[iv] + c, origin_k = addend_k + x[base]);
//!              jumps inside the loop go to fast copies, jumps to h to the head
//!     slow copies (the ordinary blocks): checks as usual (misses leave the
//!              region); jumps to h go to the guard, or, in a loop of one
//!              block, straight back ([deadline check] slow h)
//! ```
//!
//! The loop is one the region found (`Region::loops`: the natural loop of
//! a back edge into h), the smallest first, with at most MAX_BLOCKS blocks
//! and no loop inside. Entries into its blocks from outside run the slow
//! copies until the next trip starts at h.
//!
//! An *induction register* is written in the loop exactly once, by
//! `addi r, r, step`; an *invariant* one is not written in it. A streamed
//! access's base register holds, where it is used, the sum of an invariant
//! register, an induction register (as it was at the top of h) and a
//! constant, tracked through `addi`, `add`, `lui` and `auipc` from block to
//! block (where paths meet, what they agree on). The guard computes where
//! each access would go this time round, and how far its induction register
//! may move up (or down, for a negative step) with the access still where
//! the check proved it may go; the head compares the register with that
//! bound: one compare per register and trip instead of a check per access.
//! A *table lookup* (a load whose base register holds an invariant plus a
//! value known to lie in `[0, span]`: a loaded byte or half, masked with
//! `andi`/`and`, combined with `or`/`xor`, scaled with `slli`, `srli`)
//! streams too: the guard checks the whole range the index may reach (under
//! translation it must lie in one page), and the access needs no bound.
//! An induction register only ever moves one way, so the access stays
//! between where the guard saw it and the bound. The bound never lets the
//! register wrap around. Induction registers stepped in the same block by
//! the same step keep their distances, so one bound serves them all (the
//! n-body loop walks four arrays with four pointers).
//!
//! The exit test must compare an induction register with an invariant: the
//! distance between them says how many trips are left, and loops with only
//! a few left (a merge's tail copies, most of a partition's scans) run the
//! slow copy, which the guard's cost would not repay. (Running the slow
//! copy for the first four trips of every loop instead, counted, measured
//! 8% slower on `sort` and 16% on `matmul` in M-mode. Letting the bounds of
//! a loop of one block keep the deadline budget too, so that its head needs
//! no deadline check, measured no faster on `matmul`: a value spilled
//! instead.)
//!
//! Under translation, an access through an induction register goes to
//! `origin + iv + c`, with `origin` (the TLB entry's addend plus the
//! invariant base) from the guard and `iv` as it is at the access where
//! that is known relative to the top of the trip (in the header before the
//! step, or in the block of the step), else as it was at the top: the
//! guest's own address arithmetic then feeds nothing in the fast copy.
//! (`matmul` under Sv39 0.37 -> 0.33 s: the addend plus the guest's
//! address took registers the allocator did not have, and the addends went
//! through the stack every trip. Untranslated, the host offset is a
//! displacement of the guest's own address already: an origin there took a
//! register for nothing, `matmul` in M-mode 0.24 -> 0.31 s.) The guard is
//! out of line, so the head's way back to it costs the fast loop no taken
//! branch.
//!
//! Why this is exact: the fast copy runs only while every streamed access
//! would have passed the check the slow copy makes, so both do the same.
//! Nothing the loop can run changes what those checks depend on (the
//! TLB, the slow-store map): its instructions are integer, multiply,
//! floating-point, load and store instructions and plain jumps, none calls
//! a helper that could, and everything that does change them runs outside
//! the region (a miss leaves it). Any other access keeps its own check in
//! both copies.
//!
//! Measured (`BINS=... cmp.py`, minimum of 3 runs): `matmul` 0.34 -> 0.23 s
//! in M-mode and 0.49 -> 0.36 s under Sv39 (a loop of one block); `nbody`
//! under Sv39 0.144 -> 0.115 s (its inner loop has three blocks); the other
//! CPU benchmarks within noise (their hot loops have few trips or walk
//! memory through loaded pointers); table lookups: `hash` under Sv39
//! 0.622 -> 0.550 s (its CRC table), the rest within noise.

mod vector;

use super::mem::branch_unless;
use super::Lx;
use crate::region::{GuestBlock, Region};
use cranelift_codegen::ir::condcodes::IntCC;
use cranelift_codegen::ir::{Block, InstBuilder, Value};
use mkjit_runtime::isa::Op;
use mkjit_runtime::ram::RAM_BASE;
use std::collections::HashMap;

/// Induction registers given a bound, at most (each holds a host register
/// across the loop).
const MAX_IVS: usize = 2;

/// Trips a loop must have left, by its exit test, for the fast copy (the
/// guard costs about as much as the checks of this many trips, and most
/// short loops, like a merge's tail copies, run a few trips at a time).
const MIN_TRIPS: i64 = 8;

/// Blocks per streamed loop, at most.
const MAX_BLOCKS: usize = 8;

/// Streamed accesses per loop, at most.
const MAX_ACCESSES: usize = 8;

/// A register's value in terms of the values at the top of the loop:
/// `x[base] + x[iv] + c + t` for some `t` in `[0, span]` (register 0 standing
/// for none; `span` only without `iv`: a table lookup's bounded index).
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
struct Sym {
    base: u8,
    iv: u8,
    c: i64,
    span: u64,
}

/// The largest `span` tracked: a table lookup's range fits in a page.
const MAX_SPAN: u64 = 0xfff;

impl Sym {
    fn exact(base: u8, iv: u8, c: i64) -> Sym {
        Sym { base, iv, c, span: 0 }
    }

    /// Some value in `[0, span]`.
    fn bounded(span: u64) -> Option<Sym> {
        (span <= MAX_SPAN).then_some(Sym { base: 0, iv: 0, c: 0, span })
    }

    /// The bound of a value known only to lie in `[0, span]`.
    fn only_bounded(self) -> Option<u64> {
        (self.base == 0 && self.iv == 0 && self.c == 0).then_some(self.span)
    }

    fn plus(self, k: i64) -> Sym {
        Sym { c: self.c.wrapping_add(k), ..self }
    }

    /// `a + b`, when it is still one invariant plus one induction register,
    /// or one invariant plus a bounded value.
    fn sum(a: Sym, b: Sym) -> Option<Sym> {
        let one = |x: u8, y: u8| match (x, y) {
            (0, r) | (r, 0) => Some(r),
            _ => None,
        };
        let span = a.span.checked_add(b.span).filter(|&s| s <= MAX_SPAN)?;
        let iv = one(a.iv, b.iv)?;
        if iv != 0 && span != 0 {
            return None;
        }
        Some(Sym { base: one(a.base, b.base)?, iv, c: a.c.wrapping_add(b.c), span })
    }
}

/// One streamed access (accesses with the same address, size and kind share it).
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
struct Access {
    at: Sym,
    size: u64,
    write: bool,
}

/// A loop worth streaming: its accesses, the pcs that use each, and the
/// step of each induction register.
#[derive(Debug)]
pub(super) struct Plan {
    /// The loop's header (the block with its deadline check, where every
    /// trip starts), and its blocks (header first, in an order where every
    /// edge but those into the header goes forward).
    pub header: u64,
    pub members: Vec<u64>,
    accesses: Vec<(Access, Vec<u64>)>,
    /// For each access through an induction register, by pc: the register's
    /// value there minus its value at the top of the trip, where that is the
    /// same on every path (the header before its step: 0; after a step in
    /// the same block: the step).
    moved: HashMap<u64, i64>,
    /// Induction registers with a bound, and their steps.
    steps: Vec<(u8, i64)>,
    /// Induction register -> the one whose bound serves it.
    reps: Vec<(u8, u8)>,
    /// The loop has floating-point instructions.
    floats: bool,
    /// The exit test's operands: an induction register plus a constant, its
    /// step, and an invariant plus a constant (how many trips are left).
    exit: (Sym, i64, Sym),
    /// A loop of one block that may run several trips at a time (see `vector`).
    vector: Option<vector::Shape>,
}

/// How a streamed access reaches host memory in the fast body.
#[derive(Clone, Copy)]
pub(super) enum Fast {
    /// Host address = guest address + this (untranslated RAM).
    Offset(u64),
    /// Host address = guest address + this value (the TLB entry's addend).
    Addend(Value),
    /// Host address = `origin` + induction register `iv` + `c`, where
    /// `origin` (the TLB entry's addend plus the invariant base register)
    /// comes from the guard: the guest's own address arithmetic then feeds
    /// nothing. `iv` as it is at the access when `now`, else as it was at
    /// the top of the trip.
    Walk { origin: Value, iv: u8, c: i64, now: bool },
}

impl Plan {
    /// Whether the loop may run several trips at a time (see `vector`).
    pub fn has_vector(&self) -> bool {
        self.vector.is_some()
    }
}

/// What the guard leaves for the head and the fast body.
pub(super) struct Guarded {
    /// Induction register, step, and bound.
    bounds: Vec<(u8, i64, Value)>,
    /// Host addressing of each streamed access, by pc.
    fast: HashMap<u64, Fast>,
    /// Each induction register a [`Fast::Walk`] steps from, and its value
    /// at the top of the trip (recorded by [`tops`] in the head, which
    /// dominates the fast copy).
    tops: Vec<(u8, Value)>,
    /// The guard proved `mstatus.FS` Dirty: the fast copy's floating-point
    /// instructions need not check it (nothing in the loop changes it).
    pub fs_dirty: bool,
    /// The `fcsr` bits the guard proved as the loop's fast paths want them
    /// (see `float::FpKnown::fcsr_proven`).
    pub fcsr_proven: i64,
    /// What the guard proved for vector trips (see `vector`).
    vector: Option<vector::Proof>,
}

/// Whether `blk` may be part of a streamed loop: nothing in it calls a
/// helper that could change the TLB or the slow-store map, and it ends with
/// a branch, a plain jump (no link) or by running into the next block.
fn streamable(blk: &GuestBlock) -> bool {
    use super::Unit;
    blk.insns.iter().all(|gi| {
        let plain = match gi.insn.op {
            Op::Jal => gi.insn.rd == 0,
            Op::Jalr => false,
            _ => true,
        };
        plain && !gi.all_regs && matches!(Unit::of(gi), Unit::Rv64i | Unit::Rv64m | Unit::Mem | Unit::Float)
    })
}

/// The loops of `region` worth streaming: innermost loops (through a block
/// with a deadline check, which every trip passes) whose blocks are all
/// [`streamable`], with at least one access through an induction register
/// and an exit test that says how many trips are left. Of the loops the
/// region found with a header (one per back edge), the smallest first:
/// where an outer loop comes back to an inner loop's header, the inner one.
pub(super) fn loops(region: &Region, lanes: bool) -> Vec<Plan> {
    let at: HashMap<u64, &GuestBlock> = region.blocks.iter().map(|b| (b.start, b)).collect();
    let succ: HashMap<u64, Vec<u64>> = region.blocks.iter().map(|b| (b.start, region.targets(b))).collect();
    let mut plans = Vec::new();
    for h in region.blocks.iter().filter(|h| h.check.is_some()) {
        let mut candidates: Vec<&Vec<u64>> = region
            .loops
            .iter()
            .filter(|(header, body)| *header == h.start && body.len() <= MAX_BLOCKS)
            .map(|(_, b)| b)
            .collect();
        candidates.sort_by_key(|c| c.len());
        if let Some(p) = candidates.into_iter().find_map(|c| plan(h, c, &at, &succ, lanes)) {
            plans.push(p);
        }
    }
    plans
}

/// The plan for the loop of blocks `back` (`h` first), if it is worth streaming.
fn plan(
    h: &GuestBlock,
    back: &[u64],
    at: &HashMap<u64, &GuestBlock>,
    succ: &HashMap<u64, Vec<u64>>,
    lanes: bool,
) -> Option<Plan> {
    if !back.iter().all(|b| streamable(at[b])) {
        return None;
    }
    // A topological order of the loop without its edges into h; none if
    // the rest has a cycle of its own (an inner loop).
    let into = |b: u64| back.iter().filter(move |&&p| succ[&p].contains(&b));
    let mut members = vec![h.start];
    let mut pending: Vec<u64> = back[1..].to_vec();
    while !pending.is_empty() {
        let ready = pending.iter().position(|&b| into(b).all(|p| members.contains(p)))?;
        members.push(pending.remove(ready));
    }
    let blocks: Vec<&GuestBlock> = members.iter().map(|m| at[m]).collect();
    // Writes per register over the loop; induction registers are written
    // once, by `addi r, r, k`.
    let mut writes = [0u32; 32];
    let mut step = [0i64; 32];
    let mut written_in = [0u64; 32];
    for b in &blocks {
        for gi in &b.insns {
            let rd = gi.int_dest() as usize & 31;
            writes[rd] += 1;
            written_in[rd] = b.start;
            step[rd] = if gi.insn.op == Op::Addi && gi.insn.rs1 as usize == rd { gi.insn.imm } else { 0 };
        }
    }
    let is_iv = |r: usize| r != 0 && writes[r] == 1 && step[r] != 0;
    // What each register holds in terms of the values at the top of h,
    // block by block (in topological order).
    let mut entry: HashMap<u64, [Option<Sym>; 32]> = HashMap::new();
    let mut top = [None; 32];
    for r in 0..32u8 {
        let k = r as usize;
        top[k] = if writes[k] == 0 || r == 0 {
            Some(Sym::exact(r, 0, 0))
        } else if is_iv(k) {
            Some(Sym::exact(0, r, 0))
        } else {
            None
        };
    }
    top[0] = Some(Sym::exact(0, 0, 0));
    entry.insert(h.start, top);
    let mut accesses: Vec<(Access, Vec<u64>)> = Vec::new();
    let mut moved = HashMap::new();
    let mut exit = None;
    for b in &blocks {
        let mut sym = entry.get(&b.start).copied().unwrap_or([None; 32]);
        // How far each induction register has moved since the top of the
        // trip, where known: nowhere at the header, which starts the trip,
        // nor in the block with its only step, which a trip passes once.
        let mut now: [Option<i64>; 32] = [None; 32];
        for (r, d) in now.iter_mut().enumerate() {
            if b.start == h.start || written_in[r] == b.start {
                *d = Some(0);
            }
        }
        for gi in &b.insns {
            let i = gi.insn;
            if let Some((size, write)) = super::mem::access(i.op) {
                // (A table lookup streams for loads only.)
                if let Some(s) = sym[i.rs1 as usize & 31].filter(|s| s.span == 0 || !write) {
                    let a = Access { at: s.plus(i.imm), size, write };
                    if let Some(d) = now[a.at.iv as usize & 31].filter(|_| a.at.iv != 0) {
                        moved.insert(gi.pc, d);
                    }
                    match accesses.iter_mut().find(|(x, _)| *x == a) {
                        Some((_, pcs)) => pcs.push(gi.pc),
                        None => accesses.push((a, vec![gi.pc])),
                    }
                }
            }
            let rd = gi.int_dest() as usize & 31;
            if rd == 0 {
                continue;
            }
            now[rd] = now[rd].filter(|_| is_iv(rd)).map(|d| d + step[rd]);
            sym[rd] = transfer(&sym, gi);
        }
        let last = b.insns.last().expect("blocks are not empty").insn;
        for &s in &succ[&b.start] {
            if s == h.start {
                continue;
            }
            if !members.contains(&s) {
                // An exit: a test of an induction register against an invariant?
                if exit.is_none() && last.op.is_branch() {
                    let (x, y) = (sym[last.rs1 as usize & 31], sym[last.rs2 as usize & 31]);
                    // (Either way round.)
                    let counted = |a: Option<Sym>, b: Option<Sym>| match (a?, b?) {
                        (a @ Sym { base: 0, span: 0, .. }, b @ Sym { iv: 0, span: 0, .. }) if a.iv != 0 => {
                            Some((a, step[a.iv as usize], b))
                        }
                        _ => None,
                    };
                    exit = counted(x, y).or_else(|| counted(y, x));
                }
                continue;
            }
            // Where paths meet, only what they agree on.
            match entry.get_mut(&s) {
                Some(e) => {
                    for (x, y) in e.iter_mut().zip(sym.iter()) {
                        if x != y {
                            *x = None;
                        }
                    }
                }
                None => {
                    entry.insert(s, sym);
                }
            }
        }
    }
    let exit = exit?;
    // Induction registers stepped together (once, in the same block, by the
    // same step) keep their distances: one bound serves them all.
    let rep = |r: u8| -> u8 {
        (1..32u8)
            .find(|&q| {
                is_iv(q as usize)
                    && step[q as usize] == step[r as usize]
                    && written_in[q as usize] == written_in[r as usize]
            })
            .unwrap_or(r)
    };
    let mut ivs: Vec<u8> = Vec::new();
    accesses.retain(|(a, _)| {
        if a.at.iv == 0 || ivs.contains(&rep(a.at.iv)) {
            return true;
        }
        if ivs.len() < MAX_IVS {
            ivs.push(rep(a.at.iv));
            return true;
        }
        false
    });
    accesses.truncate(MAX_ACCESSES);
    ivs.retain(|&r| accesses.iter().any(|(a, _)| rep(a.at.iv) == r));
    if ivs.is_empty() {
        return None;
    }
    let reps = accesses.iter().map(|(a, _)| (a.at.iv, if a.at.iv == 0 { 0 } else { rep(a.at.iv) })).collect();
    let mut plan = Plan {
        header: h.start,
        members,
        accesses,
        moved,
        steps: ivs.iter().map(|&r| (r, step[r as usize])).collect(),
        reps,
        exit,
        floats: blocks.iter().any(|b| b.insns.iter().any(|gi| gi.insn.op.is_float())),
        vector: None,
    };
    if lanes && blocks.len() == 1 && !plan.floats {
        let iv_step = std::array::from_fn(|r| if is_iv(r) { step[r] } else { 0 });
        plan.vector = vector::shape(h, &plan, iv_step);
    }
    Some(plan)
}

/// What `gi` leaves in its destination register, in terms of the values at
/// the top of the trip, given what the registers hold before it (`sym`).
fn transfer(sym: &[Option<Sym>; 32], gi: &crate::region::GuestInsn) -> Option<Sym> {
    let i = gi.insn;
    let src = |r: u8| sym[r as usize & 31];
    let bound = |r: u8| src(r).and_then(Sym::only_bounded);
    match i.op {
        Op::Addi => src(i.rs1).map(|s| s.plus(i.imm)),
        Op::Add => src(i.rs1).zip(src(i.rs2)).and_then(|(a, b)| Sym::sum(a, b)),
        Op::Lui => Some(Sym::exact(0, 0, i.imm)),
        Op::Auipc => Some(Sym::exact(0, 0, gi.pc.wrapping_add(i.imm as u64) as i64)),
        // Bounded values (a table index): loaded bytes and halves,
        // masks, and what shifts and bitwise operations make of them.
        Op::Lbu => Sym::bounded(0xff),
        Op::Lhu => Sym::bounded(0xffff),
        Op::Andi if i.imm >= 0 => Sym::bounded(i.imm as u64),
        Op::And => match (bound(i.rs1), bound(i.rs2)) {
            (Some(a), Some(b)) => Sym::bounded(a.min(b)),
            (Some(a), None) | (None, Some(a)) => Sym::bounded(a),
            _ => None,
        },
        // Below the least power of two above both.
        Op::Or | Op::Xor => bound(i.rs1)
            .zip(bound(i.rs2))
            .and_then(|(a, b)| a.max(b).checked_add(1)?.checked_next_power_of_two())
            .and_then(|p| Sym::bounded(p - 1)),
        Op::Slli => bound(i.rs1)
            .and_then(|a| a.checked_shl(i.imm as u32 & 63).filter(|&v| v >> (i.imm & 63) == a))
            .and_then(Sym::bounded),
        Op::Srli => match bound(i.rs1) {
            Some(a) => Sym::bounded(a >> (i.imm & 63)),
            None => Sym::bounded(u64::MAX >> (i.imm & 63)),
        },
        _ => None,
    }
}

/// The guard (in the current block): branches to `slow` unless every
/// streamed access may go straight to host memory now; on the path where
/// they may, returns the bounds and the accesses' host addressing.
pub(super) fn guard(lx: &mut Lx<'_, '_>, plan: &Plan, slow: Block) -> Guarded {
    let mut fast = HashMap::new();
    // Enough trips left? (by the exit test: the distance the induction
    // register has to go, in steps)
    let (at, step, inv) = plan.exit;
    let iv = value(lx, at);
    let end = value(lx, inv);
    let left = if step > 0 { lx.ins().isub(end, iv) } else { lx.ins().isub(iv, end) };
    let enough = lx.ins().icmp_imm_s(IntCC::UnsignedGreaterThanOrEqual, left, MIN_TRIPS * step.abs());
    branch_unless(lx, enough, slow);
    // Per induction register: how far down and up it may move.
    let mut room: Vec<(u8, Option<Value>, Option<Value>)> = plan.steps.iter().map(|&(r, _)| (r, None, None)).collect();
    let umin = |lx: &mut Lx<'_, '_>, a: Option<Value>, b: Value| match a {
        Some(a) => lx.ins().umin(a, b),
        None => b,
    };
    let mut hosts = Vec::new();
    for (a, pcs) in &plan.accesses {
        // (A table lookup: the whole range its index may reach.)
        let size = a.size + a.at.span;
        let va = value(lx, a.at);
        let (down, up, reach) = match lx.env.direct {
            Some(d) => {
                let off = lx.ins().iadd_imm_s(va, RAM_BASE.wrapping_neg() as i64);
                let last = (d.ram_size - size) as i64;
                let ok = lx.ins().icmp_imm_s(IntCC::UnsignedLessThanOrEqual, off, last);
                branch_unless(lx, ok, slow);
                let lim = lx.iconst(last);
                let mut down = off;
                let mut up = lx.ins().isub(lim, off);
                if a.write {
                    let clear = super::mem::store_start_clear(lx, d, off);
                    branch_unless(lx, clear, slow);
                    // A store stays on the page whose byte was clear.
                    let inpage = lx.ins().band_imm_s(off, 0xfff);
                    let rest = rsub(lx, 0xfff, inpage);
                    down = lx.ins().umin(down, inpage);
                    up = lx.ins().umin(up, rest);
                }
                if plan.vector.is_some() {
                    hosts.push(lx.ins().iadd_imm_s(va, d.host_offset as i64));
                }
                (down, up, Fast::Offset(d.host_offset))
            }
            None => {
                let addend = super::mem::probe_or_branch(lx, va, size, a.write, slow);
                // The hit proves the whole access lies on va's page.
                let inpage = lx.ins().band_imm_s(va, 0xfff);
                let rest = rsub(lx, 0x1000 - size as i64, inpage);
                if plan.vector.is_some() {
                    hosts.push(lx.ins().iadd(va, addend));
                }
                (inpage, rest, Fast::Addend(addend))
            }
        };
        // A walk through an induction register under translation starts
        // from the addend plus the invariant base (untranslated, the host
        // offset is a displacement of the guest's own address already).
        let origin = match reach {
            Fast::Addend(addend) if a.at.iv != 0 => {
                let base = lx.x(a.at.base);
                Some(lx.ins().iadd(addend, base))
            }
            _ => None,
        };
        for &pc in pcs {
            let how = match origin {
                Some(origin) => {
                    let moved = plan.moved.get(&pc).copied();
                    let c = a.at.c.wrapping_sub(moved.unwrap_or(0));
                    Fast::Walk { origin, iv: a.at.iv, c, now: moved.is_some() }
                }
                None => reach,
            };
            fast.insert(pc, how);
        }
        if a.at.iv != 0 {
            let r = plan.reps.iter().find(|x| x.0 == a.at.iv).map_or(a.at.iv, |x| x.1);
            let k = room.iter().position(|x| x.0 == r).expect("bounded register");
            let (d0, u0) = (room[k].1, room[k].2);
            room[k].1 = Some(umin(lx, d0, down));
            room[k].2 = Some(umin(lx, u0, up));
        }
    }
    let mut bounds = Vec::new();
    for (&(r, step), &(_, down, up)) in plan.steps.iter().zip(room.iter()) {
        let (Some(down), Some(up)) = (down, up) else { continue };
        let iv = lx.x(r);
        let s = step.unsigned_abs();
        let bound = if step > 0 {
            // iv <= MAX - s, so that no step wraps; bound = iv + min(up, MAX - s - iv).
            let ok = lx.ins().icmp_imm_s(IntCC::UnsignedLessThanOrEqual, iv, (u64::MAX - s) as i64);
            branch_unless(lx, ok, slow);
            let top = rsub(lx, (u64::MAX - s) as i64, iv);
            let go = lx.ins().umin(up, top);
            lx.ins().iadd(iv, go)
        } else {
            // iv >= s; bound = iv - min(down, iv - s).
            let ok = lx.ins().icmp_imm_s(IntCC::UnsignedGreaterThanOrEqual, iv, s as i64);
            branch_unless(lx, ok, slow);
            let floor = lx.ins().iadd_imm_s(iv, (s as i64).wrapping_neg());
            let go = lx.ins().umin(down, floor);
            lx.ins().isub(iv, go)
        };
        bounds.push((r, step, bound));
    }
    let mut fcsr_proven = 0;
    if plan.floats {
        let dirty = super::float::fs_is_dirty(lx);
        branch_unless(lx, dirty, slow);
        // What the fast paths' conditions on `fcsr` want, together (they
        // agree: NX set, `frm` RNE); nothing in the loop can change those
        // bits but a fast path's helper, which only sets flags.
        let region = lx.region;
        let (mut mask, mut want) = (0, 0);
        for b in region.blocks.iter().filter(|b| plan.members.contains(&b.start)) {
            for gi in &b.insns {
                if let Some((m, w, _)) = super::hardfloat::plan(lx, gi).and_then(|p| p.need.test()) {
                    (mask, want) = (mask | m, want | w);
                }
            }
        }
        if mask != 0 {
            let fcsr = lx.load_fcsr();
            let bits = lx.ins().band_imm_s(fcsr, mask);
            let ok = lx.ins().icmp_imm_s(IntCC::Equal, bits, want);
            branch_unless(lx, ok, slow);
            fcsr_proven = mask;
        }
    }
    let vector = plan.vector.as_ref().map(|shape| vector::prove(lx, shape, plan, &hosts, &bounds));
    Guarded { bounds, fast, tops: Vec::new(), fs_dirty: plan.floats, fcsr_proven, vector }
}

/// In the head of the loop of `blk`, if it has vector trips (see
/// `vector`): their test and blocks, leading on to the scalar head, which
/// is the current block on return. Nothing for other loops.
pub(super) fn vector_trips(lx: &mut Lx<'_, '_>, plan: &Plan, g: &Guarded, blk: &GuestBlock) {
    let (Some(shape), Some(proof)) = (plan.vector.as_ref(), g.vector.as_ref()) else { return };
    let reach = blk.check.expect("a streamed loop's header checks the deadline");
    let cycles = blk.insns.iter().map(|gi| (lx.cost)(gi.insn.op)).sum();
    let scalar = lx.b.create_block();
    vector::lower(lx, shape, plan, g, proof, reach, cycles, scalar);
    lx.b.switch_to_block(scalar);
}

/// In the head: records the values at the top of the trip of the induction
/// registers that [`Fast::Walk`] accesses start from.
pub(super) fn tops(lx: &mut Lx<'_, '_>, g: &mut Guarded) {
    g.tops.clear();
    for f in g.fast.values() {
        if let Fast::Walk { iv, now: false, .. } = *f {
            if !g.tops.iter().any(|t| t.0 == iv) {
                g.tops.push((iv, lx.x(iv)));
            }
        }
    }
}

/// The host address of the access at `pc` to `base + imm` in a streamed
/// loop's fast copy, which the guard vouched for; `None` elsewhere.
pub(super) fn host_address(lx: &mut Lx<'_, '_>, pc: u64, base: Value, imm: i64) -> Option<Value> {
    let g = lx.streaming.as_ref()?;
    Some(match *g.fast.get(&pc)? {
        Fast::Offset(k) => lx.ins().iadd_imm_s(base, imm.wrapping_add(k as i64)),
        Fast::Addend(a) => {
            let va = lx.ins().iadd_imm_s(base, imm);
            lx.ins().iadd(a, va)
        }
        Fast::Walk { origin, iv, c, now } => {
            let from = match now {
                true => lx.x(iv),
                false => g.tops.iter().find(|t| t.0 == iv).expect("the head recorded the tops").1,
            };
            let at = lx.ins().iadd(origin, from);
            lx.ins().iadd_imm_s(at, c)
        }
    })
}

/// The host address of the streamed access at `pc` at the top of the trip
/// (the registers as they are there), in a streamed loop's fast copy.
fn top_address(lx: &mut Lx<'_, '_>, plan: &Plan, g: &Guarded, pc: u64) -> Value {
    let (a, _) = plan.accesses.iter().find(|(_, pcs)| pcs.contains(&pc)).expect("a streamed access");
    match g.fast[&pc] {
        Fast::Offset(k) => {
            let va = value(lx, a.at);
            lx.ins().iadd_imm_s(va, k as i64)
        }
        Fast::Addend(addend) => {
            let va = value(lx, a.at);
            lx.ins().iadd(va, addend)
        }
        Fast::Walk { origin, iv, .. } => {
            let x = lx.x(iv);
            let at = lx.ins().iadd(origin, x);
            lx.ins().iadd_imm_s(at, a.at.c)
        }
    }
}

/// The value `s` stands for, from the registers as they are now.
fn value(lx: &mut Lx<'_, '_>, s: Sym) -> Value {
    let mut v = lx.x(s.base);
    if s.iv != 0 {
        let iv = lx.x(s.iv);
        v = lx.ins().iadd(v, iv);
    }
    lx.ins().iadd_imm_s(v, s.c)
}

/// The head's test (in the current block): whether every induction register
/// is still within its bound.
pub(super) fn within(lx: &mut Lx<'_, '_>, g: &Guarded) -> Value {
    let mut all: Option<Value> = None;
    for &(r, step, bound) in &g.bounds {
        let iv = lx.x(r);
        let cc = if step > 0 { IntCC::UnsignedLessThanOrEqual } else { IntCC::UnsignedGreaterThanOrEqual };
        let ok = lx.ins().icmp(cc, iv, bound);
        all = Some(match all {
            Some(a) => lx.ins().band(a, ok),
            None => ok,
        });
    }
    all.unwrap_or_else(|| lx.ins().iconst(cranelift_codegen::ir::types::I8, 1))
}

/// `k - v`.
fn rsub(lx: &mut Lx<'_, '_>, k: i64, v: Value) -> Value {
    let k = lx.iconst(k);
    lx.ins().isub(k, v)
}
