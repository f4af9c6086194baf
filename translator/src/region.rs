//! Region discovery: which guest code one compiled function covers.
//!
//! A region starts at a hot block and takes every block reachable from it by
//! fall-through and by direct branches and `jal` whose targets lie in the same
//! 4 KiB page (so the same fetch translation covers all of it), up to a size
//! cap. Indirect jumps, traps, `mret`/`sret` and targets outside the page
//! leave the region. Instructions are read from guest *physical* memory: the
//! page's virtual-to-physical mapping is fixed while the region runs, since
//! anything that could change it (CSR writes, `sfence.vma`, traps) ends the
//! region.
//!
//! ```text
//!   hot pc ─► block A ──beq──► block C (same page: inside the region)
//!               │ fall-through     └─jal─► other page: region exit
//!               ▼
//!             block B ──jalr──► region exit (dispatcher)
//! ```

use mkjit_runtime::interp::{dispatch, Handler};
use mkjit_runtime::isa::{Insn, IsaTable, Op};
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
}

/// A straight-line block of a region.
pub struct GuestBlock {
    /// Virtual address of its first instruction.
    pub start: u64,
    /// Its instructions (at least one).
    pub insns: Vec<GuestInsn>,
}

impl GuestBlock {
    /// Virtual address just after the last instruction.
    pub fn end(&self) -> u64 {
        let l = self.insns.last().expect("blocks are not empty");
        l.pc + l.insn.len as u64
    }
}

/// The guest side of a region.
pub struct Region {
    /// Virtual address of the entry.
    pub entry: u64,
    /// Blocks, entry block first, then by address.
    pub blocks: Vec<GuestBlock>,
    /// Number of guest instructions.
    pub insn_count: usize,
}

impl Region {
    /// Whether a block of this region starts at `pc`.
    pub fn has_block(&self, pc: u64) -> bool {
        self.blocks.iter().any(|b| b.start == pc)
    }
}

/// Whether `op` ends a straight-line block (control transfer, trap, or a
/// system instruction whose successor must re-check the exit flags).
pub fn ends_block(insn: &Insn) -> bool {
    insn.op.is_control() || insn.op.is_system() || insn.row == dispatch::ILLEGAL_ROW
}

/// Discovers the region at virtual `va` (physical `pa`), at most `cap` instructions.
pub fn discover(m: &Machine, va: u64, pa: u64, cap: usize) -> Region {
    let page_va = va & !0xfff;
    let page_pa = pa & !0xfff;
    let in_page = |t: u64| t & !0xfff == page_va;
    let mut decoded: BTreeMap<u64, GuestInsn> = BTreeMap::new();
    let mut leaders: BTreeSet<u64> = BTreeSet::new();
    let mut work = vec![va];
    leaders.insert(va);
    while let Some(start) = work.pop() {
        let mut a = start;
        loop {
            if decoded.contains_key(&a) || decoded.len() >= cap {
                break;
            }
            let p = page_pa + (a - page_va);
            let lo = m.bus.ram.read(p, 2).unwrap_or(0) as u32;
            let len = IsaTable::length(lo as u16) as u64;
            if a + len > page_va + 0x1000 {
                break;
            }
            let raw = if len == 4 { m.bus.ram.read(p, 4).unwrap_or(0) as u32 } else { lo };
            let (handler, insn) = dispatch::decode(m, raw);
            decoded.insert(a, GuestInsn { pc: a, insn, handler });
            let next = a + len;
            let follow = |t: u64, leaders: &mut BTreeSet<u64>, work: &mut Vec<u64>| {
                if in_page(t) {
                    leaders.insert(t);
                    work.push(t);
                }
            };
            if insn.op.is_branch() {
                follow(a.wrapping_add(insn.imm as u64), &mut leaders, &mut work);
                follow(next, &mut leaders, &mut work);
                break;
            }
            if insn.op == Op::Jal {
                follow(a.wrapping_add(insn.imm as u64), &mut leaders, &mut work);
                break;
            }
            if ends_block(&insn) {
                if !insn.op.is_control() && insn.row != dispatch::ILLEGAL_ROW {
                    follow(next, &mut leaders, &mut work);
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
        blocks.push(GuestBlock { start: l, insns });
    }
    // Entry block first.
    if let Some(i) = blocks.iter().position(|b| b.start == va) {
        blocks.swap(0, i);
    }
    let insn_count = blocks.iter().map(|b| b.insns.len()).sum();
    Region { entry: va, blocks, insn_count }
}
