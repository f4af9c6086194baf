//! Region discovery: which guest code one compiled function covers.
//!
//! A region starts at a hot block and takes every block reachable from it by
//! fall-through and by direct branches and `jal` whose targets lie in the same
//! 4 KiB page and ran before (straight-line code, jump targets, returns from
//! calls and resumption after system instructions always join), up to a size
//! cap. It may span up to [`MAX_PAGES`] pages: code that falls through or
//! straddles into the next page joins, and so do targets on other pages that
//! ran often (an eighth of the compile threshold) but have no region of
//! their own yet, when the page's physical address is known now (untranslated
//! fetches: the identity; otherwise what the fetch TLB holds, without a page
//! walk). Instructions are read from guest *physical* memory. The entry
//! page's mapping is part of the region's key; the others are checked by the
//! region's code at every entry (free for untranslated fetches). Nothing
//! inside a region run can change a mapping: every instruction that could
//! (CSR writes, `sfence.vma`, traps, custom instructions) leaves the region.
//!
//! Traps, `mret`/`sret`, returns and indirect calls leave the region (returns
//! first try the region's return points). A `switch`-like `jr` also tries
//! the region's blocks through a jump table; the targets the engine saw it
//! take join the region (see [`discover`]).
//!
//! ```text
//!   hot pc ─► block A ──beq──► block C (same page: inside the region)
//!               │ fall-through     └─jal─► other page: inside if warm and
//!               ▼                          not compiled, else region exit
//!             block B ──jalr──► return point / switch target / region exit
//! ```

use mkjit_runtime::interp::{dispatch, Handler};
use mkjit_runtime::isa::format::{F_RD, F_RS1, F_RS2, F_RS3};
use mkjit_runtime::isa::{Insn, IsaTable, Op, RegEffects};
use mkjit_runtime::machine::Machine;
use std::collections::{BTreeMap, BTreeSet};

/// One guest instruction of a region.
#[derive(Clone, Copy)]
pub struct GuestInsn {
    /// Virtual address.
    pub pc: u64,
    /// Decoded instruction.
    pub insn: Insn,
    /// Reference semantics (used for instructions lowered to a helper call).
    pub handler: Handler,
    /// Whether the instruction may read or write registers beyond its operands
    /// (its row says [`RegEffects::All`]): all guest registers then go through `hart.x`.
    pub all_regs: bool,
    /// Which operands name floating-point registers (`Format::fregs` of its row).
    pub fregs: u8,
}

impl GuestInsn {
    /// The integer registers among `rs1`, `rs2`, `rs3` (floating-point operands left out).
    pub fn int_sources(&self) -> impl Iterator<Item = u8> + '_ {
        let i = &self.insn;
        [(i.rs1, F_RS1), (i.rs2, F_RS2), (i.rs3, F_RS3)]
            .into_iter()
            .filter(|&(_, bit)| self.fregs & bit == 0)
            .map(|(r, _)| r)
    }

    /// The integer register `rd` names (`x0` when `rd` is a floating-point register).
    pub fn int_dest(&self) -> u8 {
        if self.fregs & F_RD != 0 {
            0
        } else {
            self.insn.rd
        }
    }
}

/// A straight-line block of a region.
#[derive(Clone)]
pub struct GuestBlock {
    /// Virtual address of its first instruction.
    pub start: u64,
    /// Its instructions (at least one).
    pub insns: Vec<GuestInsn>,
    /// Whether the dispatcher may enter the region here.
    pub entry: bool,
    /// Whether a call in the region returns here (an indirect jump is tried
    /// against these before it leaves the region: return prediction).
    pub return_point: bool,
    /// When set, the block starts with a deadline check for this many
    /// instructions: the most that can run before the next check or a region
    /// exit. Jumps inside the region go through it.
    pub check: Option<u64>,
    /// The deadline check made when the block is entered from outside the
    /// region (the dispatcher or a chained region): the most instructions that
    /// can run from its start before the next check or a region exit. Jumps
    /// inside the region to a block without `check` skip it (their source's
    /// check already covered them).
    pub entry_reach: u64,
    /// Number of loops of the region that contain this block.
    pub depth: u32,
}

impl GuestBlock {
    /// Virtual address just after the last instruction.
    pub fn end(&self) -> u64 {
        let l = self.insns.last().expect("blocks are not empty");
        l.pc + l.insn.len as u64
    }
}

/// The guest side of a region.
#[derive(Clone)]
pub struct Region {
    /// Virtual address of the entry.
    pub entry: u64,
    /// Physical address of the entry.
    pub entry_pa: u64,
    /// Blocks, entry block first, then by address. The `i`-th block with
    /// `entry` set is entry point `i` of the compiled function.
    pub blocks: Vec<GuestBlock>,
    /// Number of guest instructions.
    pub insn_count: usize,
    /// Virtual and physical pages the instructions come from, the entry's first.
    pub pages: Vec<(u64, u64)>,
    /// The region has a computed jump that is not a return: such jumps look
    /// their target up among the region's blocks before leaving it.
    pub has_dispatch: bool,
    /// `jalr`s whose target is a constant (an `auipc` of their base register
    /// earlier in the same block: the `call` sequence): pc -> target. They are
    /// direct jumps.
    pub known: BTreeMap<u64, u64>,
    /// The natural loop of each back edge (see [`Region::plan_checks`]):
    /// its header and its blocks (starts, header first). Loops that share a
    /// header are kept apart.
    pub loops: Vec<(u64, Vec<u64>)>,
}

impl Region {
    /// Physical address of `va`, for a `va` on one of the region's pages.
    pub fn pa_of(&self, va: u64) -> Option<u64> {
        self.pages.iter().find(|p| p.0 == va & !0xfff).map(|p| p.1 | (va & 0xfff))
    }

    /// The guest bytes of instruction `gi` as they are in RAM now.
    pub fn current_raw(&self, m: &Machine, gi: &GuestInsn) -> Option<u32> {
        let lo = m.bus.ram.read(self.pa_of(gi.pc)?, 2)? as u32;
        if gi.insn.len == 2 {
            return Some(lo);
        }
        let hi = m.bus.ram.read(self.pa_of(gi.pc.wrapping_add(2))?, 2)? as u32;
        Some(lo | hi << 16)
    }

    /// Whether every instruction's guest bytes are in RAM as they were decoded.
    pub fn unchanged(&self, m: &Machine) -> bool {
        self.blocks.iter().flat_map(|b| &b.insns).all(|gi| self.current_raw(m, gi) == Some(gi.insn.raw))
    }

    /// Whether a block of this region starts at `pc`.
    pub fn has_block(&self, pc: u64) -> bool {
        self.blocks.iter().any(|b| b.start == pc)
    }

    /// The entry blocks, in entry-point order.
    pub fn entries(&self) -> impl Iterator<Item = &GuestBlock> {
        self.blocks.iter().filter(|b| b.entry)
    }

    /// Successor blocks (by index) reachable inside the region from block `i`.
    fn successors(&self, i: usize, index: &BTreeMap<u64, usize>) -> Vec<usize> {
        self.targets(&self.blocks[i]).iter().filter_map(|pc| index.get(pc).copied()).collect()
    }

    /// Where control may go after block `b`, inside the region or out of
    /// it: a branch's two ways, a jump's target, the next instruction; none
    /// after a computed jump, a trap or a return from a trap.
    pub fn targets(&self, b: &GuestBlock) -> Vec<u64> {
        let last = b.insns.last().expect("blocks are not empty");
        let mut t = Vec::new();
        match last.insn.op {
            op if op.is_branch() => {
                t.push(last.pc.wrapping_add(last.insn.imm as u64));
                t.push(b.end());
            }
            Op::Jal => t.push(last.pc.wrapping_add(last.insn.imm as u64)),
            Op::Jalr if self.known.contains_key(&last.pc) => t.push(self.known[&last.pc]),
            Op::Jalr | Op::Ecall | Op::Ebreak | Op::Mret | Op::Sret => {}
            _ if last.insn.row == dispatch::ILLEGAL_ROW => {}
            _ => t.push(b.end()),
        }
        // A call also "flows" to its return point (the callee returns there by
        // return prediction): so loops around calls are loops here too (for
        // loop depth; the return point has a check of its own anyway).
        if matches!(last.insn.op, Op::Jal | Op::Jalr) && last.insn.rd != 0 {
            t.push(b.end());
        }
        t
    }

    /// Places deadline checks: at the region's entry, every loop header (target
    /// of a back edge) and every return point, each checking for the longest
    /// run of instructions that can follow before the next check or a region
    /// exit; and at every other block an entry-only check for the same, made
    /// when control enters the block from outside. A check that fails sends
    /// the dispatcher to the interpreter, so the JIT never runs past a deadline
    /// yet checks once per loop iteration rather than once per block.
    fn plan_checks(&mut self) {
        let n = self.blocks.len();
        let index: BTreeMap<u64, usize> = self.blocks.iter().enumerate().map(|(i, b)| (b.start, i)).collect();
        let succ: Vec<Vec<usize>> = (0..n).map(|i| self.successors(i, &index)).collect();
        // Iterative DFS from every entry; an edge to a block on the stack is a back edge.
        let mut check = vec![false; n];
        let mut back_edges = Vec::new();
        let mut state = vec![0u8; n]; // 0 new, 1 on stack, 2 done
        for root in 0..n {
            if !self.blocks[root].entry || state[root] != 0 {
                continue;
            }
            check[root] = true;
            let mut stack = vec![(root, 0usize)];
            state[root] = 1;
            while let Some(&mut (v, ref mut k)) = stack.last_mut() {
                if *k < succ[v].len() {
                    let w = succ[v][*k];
                    *k += 1;
                    match state[w] {
                        0 => {
                            state[w] = 1;
                            stack.push((w, 0));
                        }
                        1 => {
                            check[w] = true;
                            back_edges.push((v, w));
                        }
                        _ => {}
                    }
                } else {
                    state[v] = 2;
                    stack.pop();
                }
            }
        }
        for (i, b) in self.blocks.iter().enumerate() {
            // Return prediction jumps to return points from `jalr`s: edges the
            // graph above does not have.
            check[i] |= b.return_point;
        }
        // Longest path (in instructions) from each block to the next check, on the
        // acyclic graph left after cutting at checks. Memoised, iteratively.
        let mut longest: Vec<Option<u64>> = vec![None; n];
        for start in 0..n {
            let mut stack = vec![start];
            while let Some(&v) = stack.last() {
                if longest[v].is_some() {
                    stack.pop();
                    continue;
                }
                let pending: Vec<usize> =
                    succ[v].iter().copied().filter(|&w| !check[w] && longest[w].is_none()).collect();
                if pending.is_empty() {
                    let tail = succ[v].iter().map(|&w| if check[w] { 0 } else { longest[w].unwrap_or(0) }).max();
                    longest[v] = Some(self.blocks[v].insns.len() as u64 + tail.unwrap_or(0));
                    stack.pop();
                } else {
                    stack.extend(pending);
                }
            }
        }
        // Loop depth: the natural loop of each back edge; a block's depth is
        // the number of different loops it lies in. Loops that share a header
        // are not merged: entered at an inner loop's header, a region's outer
        // loop comes back to that same header, and the inner loop's blocks
        // must still count as the deeper ones.
        let mut pred = vec![Vec::new(); n];
        for (v, ss) in succ.iter().enumerate() {
            for &w in ss {
                pred[w].push(v);
            }
        }
        let mut depth = vec![0u32; n];
        let mut loops: BTreeSet<(usize, Vec<bool>)> = BTreeSet::new();
        for &(u, h) in &back_edges {
            let mut body = vec![false; n];
            body[h] = true;
            let mut work = vec![u];
            while let Some(v) = work.pop() {
                if !body[v] {
                    body[v] = true;
                    work.extend(pred[v].iter().copied());
                }
            }
            loops.insert((h, body));
        }
        let mut bodies: BTreeSet<&Vec<bool>> = BTreeSet::new();
        for (_, body) in &loops {
            if bodies.insert(body) {
                for (d, &inside) in depth.iter_mut().zip(body) {
                    *d += inside as u32;
                }
            }
        }
        self.loops = loops
            .iter()
            .map(|(h, body)| {
                let others = (0..n).filter(|&i| body[i] && i != *h).map(|i| self.blocks[i].start);
                (self.blocks[*h].start, std::iter::once(self.blocks[*h].start).chain(others).collect())
            })
            .collect();
        for (i, b) in self.blocks.iter_mut().enumerate() {
            b.depth = depth[i];
            b.check = check[i].then(|| longest[i].expect("computed"));
            b.entry_reach = longest[i].expect("computed");
            // A failed check sends the dispatcher back here: make it an entry.
            b.entry |= check[i];
        }
    }
}

/// Most pages one region spans.
pub const MAX_PAGES: usize = 4;

/// Whether `jalr` `insn` is a return (`jr ra` / `jr t0`, no link), which
/// return prediction handles.
pub fn is_return(insn: &Insn) -> bool {
    insn.op == Op::Jalr && insn.rd == 0 && (insn.rs1 == 1 || insn.rs1 == 5) && insn.imm == 0
}

/// Whether every block of a region is an entry point.
pub const ALL_ENTRIES: bool = true;

/// Whether `op` ends a straight-line block (control transfer, trap, or a
/// system instruction whose successor must re-check the exit flags).
pub fn ends_block(insn: &Insn) -> bool {
    insn.op.is_control() || insn.op.is_system() || insn.row == dispatch::ILLEGAL_ROW
}

/// What the engine has seen of the guest so far, which region discovery consults.
pub trait Profile {
    /// Whether a block starting at `va` ran before (or is compiled).
    fn ran(&self, va: u64) -> bool;
    /// Whether a block starting at `va` ran often but is not compiled yet.
    fn fresh(&self, va: u64) -> bool;
    /// The physical page of virtual page `vp` for fetches, if it is known now.
    fn page_of(&self, vp: u64) -> Option<u64>;
    /// The targets the `switch`-like jump at `site` was seen to take.
    fn targets_of(&self, site: u64) -> Vec<u64>;
    /// Whether some `switch`-like jump was seen to jump to `va`.
    fn is_case(&self, va: u64) -> bool;
}

/// Discovers the region at virtual `va` (physical `pa`), at most `cap`
/// instructions. Either side of a conditional branch is included only if it
/// has run before; straight-line code, jump targets, returns from calls and
/// resumption after system instructions are always included. When the
/// region has a `switch`-like computed jump (no link, not a return), the
/// targets seen for it join it too, so that the jump can reach them inside
/// the region (see `Region::has_dispatch`).
pub fn discover(m: &Machine, va: u64, pa: u64, cap: usize, seen: &dyn Profile) -> Region {
    // A region entered at a `switch` case may take in the dispatch loop the
    // case jumps back to, even on another page and already compiled.
    let case = seen.is_case(va);
    let mut pages = vec![(va & !0xfff, pa & !0xfff)];
    // The physical page of `t`'s page, admitting it to the region if `admit` and there is room.
    let page_pa = |pages: &mut Vec<(u64, u64)>, t: u64, admit: bool| -> Option<u64> {
        let vp = t & !0xfff;
        if let Some(p) = pages.iter().find(|p| p.0 == vp) {
            return Some(p.1);
        }
        if !admit || pages.len() >= MAX_PAGES {
            return None;
        }
        let pp = seen.page_of(vp)?;
        pages.push((vp, pp));
        Some(pp)
    };
    let mut decoded: BTreeMap<u64, GuestInsn> = BTreeMap::new();
    let mut leaders: BTreeSet<u64> = BTreeSet::new();
    let mut entries: BTreeSet<u64> = BTreeSet::new();
    let mut returns: BTreeSet<u64> = BTreeSet::new();
    let mut dispatch = false;
    let mut sites = Vec::new();
    let mut seeded = false;
    let mut work = vec![va];
    leaders.insert(va);
    entries.insert(va);
    loop {
        let Some(start) = work.pop() else {
            if !sites.is_empty() && !seeded {
                seeded = true;
                let seeds: Vec<u64> = sites.iter().flat_map(|&j| seen.targets_of(j)).collect();
                for &t in seeds.iter().rev() {
                    if !decoded.contains_key(&t) && page_pa(&mut pages, t, true).is_some() {
                        leaders.insert(t);
                        work.push(t);
                    }
                }
                continue;
            }
            break;
        };
        let mut a = start;
        // The last `auipc` in this straight line: its register and value.
        let mut auipc: Option<(u8, u64)> = None;
        loop {
            // The cases of a `switch` may double the region: an interpreter's
            // dispatch loop then reaches them through its jump table instead
            // of leaving the region on most of its instructions.
            let limit = if seeded { cap * 2 } else { cap };
            if decoded.contains_key(&a) || decoded.len() >= limit {
                break;
            }
            // Falling through into another page admits it.
            let Some(pp) = page_pa(&mut pages, a, true) else { break };
            let Some(lo) = m.bus.ram.read(pp | (a & 0xfff), 2) else { break };
            let lo = lo as u32;
            let len = IsaTable::length(lo as u16) as u64;
            let raw = if len == 4 {
                // The upper half may lie on the next page.
                let Some(hp) = page_pa(&mut pages, a + 2, true) else { break };
                let Some(hi) = m.bus.ram.read(hp | ((a + 2) & 0xfff), 2) else { break };
                lo | (hi as u32) << 16
            } else {
                lo
            };
            let (handler, insn) = dispatch::decode(m, raw);
            let row = ((insn.row as usize) < m.isa.rows().len()).then(|| m.isa.row(insn.row));
            let all_regs = row.is_some_and(|d| d.regs == RegEffects::All);
            let fregs = row.map_or(0, |d| d.format.fregs());
            decoded.insert(a, GuestInsn { pc: a, insn, handler, all_regs, fregs });
            let next = a + len;
            let decoded_len = decoded.len();
            // Targets of conditional branches join the region only if they already
            // ran (on the interpreter); what must follow an instruction that runs
            // (jump targets, call returns, resumption after a system instruction) always does.
            // A target on another page joins only if it ran before and its
            // page can be admitted, and only if it has no region of its own
            // yet (so that regions do not all copy the same hot callee) unless
            // this region starts at a `switch` case and the target is a backward
            // jump or branch: the dispatch loop around the cases of an
            // interpreter then runs in one region, where its `switch` reaches
            // the other cases by the in-region jump table. (Joining every
            // compiled backward target costs the guest OS an eighth more
            // compile time for nothing.)
            let mut follow = |t: u64, must: bool, call: bool, leaders: &mut BTreeSet<u64>, work: &mut Vec<u64>| {
                let same = t & !0xfff == a & !0xfff;
                let wanted = if same {
                    must || seen.ran(t)
                } else {
                    (seen.fresh(t) || (case && !call && t < a && seen.ran(t))) && decoded_len < cap / 2
                };
                if wanted && page_pa(&mut pages, t, true).is_some() {
                    leaders.insert(t);
                    work.push(t);
                }
            };
            if insn.op.is_branch() {
                follow(a.wrapping_add(insn.imm as u64), false, false, &mut leaders, &mut work);
                follow(next, false, false, &mut leaders, &mut work);
                break;
            }
            if insn.op == Op::Jal {
                follow(a.wrapping_add(insn.imm as u64), true, insn.rd != 0, &mut leaders, &mut work);
                if insn.rd != 0 {
                    // A call: the return lands here (an entry of the region).
                    follow(next, true, false, &mut leaders, &mut work);
                    entries.insert(next);
                    returns.insert(next);
                }
                break;
            }
            if insn.op == Op::Jalr {
                if let Some((r, v)) = auipc.filter(|&(r, _)| r == insn.rs1 && r != 0) {
                    // `auipc r; jalr rd, imm(r)`: a direct jump (or call) after all.
                    let _ = r;
                    follow(v.wrapping_add(insn.imm as u64) & !1, true, insn.rd != 0, &mut leaders, &mut work);
                    if insn.rd != 0 {
                        follow(next, true, false, &mut leaders, &mut work);
                        entries.insert(next);
                        returns.insert(next);
                    }
                    break;
                }
            }
            auipc = match insn.op {
                Op::Auipc => Some((insn.rd, a.wrapping_add(insn.imm as u64))),
                _ if auipc.is_some_and(|(r, _)| r == insn.rd) => None,
                _ => auipc,
            };
            if insn.op == Op::Jalr {
                // A computed jump that is neither a return nor a call (calls
                // return here; their callees are other code): a `switch`.
                if insn.rd == 0 && !is_return(&insn) {
                    dispatch = true;
                    sites.push(a);
                }
            }
            if insn.op == Op::Jalr && insn.rd != 0 {
                follow(next, true, false, &mut leaders, &mut work);
                entries.insert(next);
                returns.insert(next);
                break;
            }
            if ends_block(&insn) {
                if !insn.op.is_control() && insn.row != dispatch::ILLEGAL_ROW {
                    // After a system instruction the region may have been left.
                    follow(next, true, false, &mut leaders, &mut work);
                    entries.insert(next);
                }
                break;
            }
            a = next;
        }
    }
    let mut blocks = Vec::new();
    for &l in &leaders {
        if !decoded.contains_key(&l) {
            continue;
        }
        let mut insns = Vec::new();
        let mut a = l;
        while let Some(gi) = decoded.get(&a) {
            if a != l && leaders.contains(&a) {
                break;
            }
            insns.push(*gi);
            a += gi.insn.len as u64;
            if ends_block(&gi.insn) || gi.insn.op.is_branch() || gi.insn.op == Op::Jal {
                break;
            }
        }
        blocks.push(GuestBlock {
            start: l,
            insns,
            entry: ALL_ENTRIES || entries.contains(&l),
            return_point: returns.contains(&l),
            check: None,
            entry_reach: 0,
            depth: 0,
        });
    }
    // Entry block first.
    if let Some(i) = blocks.iter().position(|b| b.start == va) {
        blocks.swap(0, i);
    }
    // Constant `jalr` targets, within each final block (another path may jump
    // straight to the `jalr`, so the `auipc` must be in its block).
    let mut known = BTreeMap::new();
    for b in &blocks {
        let mut auipc: Option<(u8, u64)> = None;
        for gi in &b.insns {
            let i = &gi.insn;
            if i.op == Op::Jalr {
                if let Some((_, v)) = auipc.filter(|&(r, _)| r == i.rs1 && r != 0) {
                    known.insert(gi.pc, v.wrapping_add(i.imm as u64) & !1);
                }
            }
            auipc = match i.op {
                Op::Auipc => Some((i.rd, gi.pc.wrapping_add(i.imm as u64))),
                // An instruction that may write any register (see `GuestInsn::all_regs`).
                _ if gi.all_regs => None,
                _ if auipc.is_some_and(|(r, _)| r == gi.int_dest()) => None,
                _ => auipc,
            };
        }
    }
    let insn_count = blocks.iter().map(|b| b.insns.len()).sum();
    let mut r =
        Region { known, entry: va, entry_pa: pa, blocks, insn_count, pages, has_dispatch: dispatch, loops: Vec::new() };
    r.plan_checks();
    r
}
