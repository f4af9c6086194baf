//! The reference interpreter: the semantics every other engine is checked against.
//!
//! Guest code is predecoded into straight-line blocks (ending at a control
//! transfer, a system instruction, or the end of a page), cached by physical
//! address, and each instruction runs through one small handler function
//! chosen at decode time ([`dispatch::handler`]). Handlers live in one file
//! per instruction set and return the next `pc` or an exception.

pub mod dispatch;
pub mod float;
mod rv64a;
mod rv64i;
mod rv64m;
mod system;
mod zicsr;

use crate::cost::Class;
use crate::hart::exit;
use crate::isa::Insn;
use crate::machine::{Engine, Machine};
use crate::trap::Exception;
use std::collections::HashMap;
use std::rc::Rc;

/// An instruction's semantics: given the machine, the decoded instruction and its
/// `pc`, perform it and return the next `pc`, or the exception it raises.
pub type Handler = fn(&mut Machine, &Insn, u64) -> Result<u64, Exception>;

/// Instructions per block at most.
pub const MAX_BLOCK: usize = 64;

/// A predecoded instruction: its handler, operands and modeled cost.
pub type Decoded = (Handler, Insn, u64);

/// A predecoded straight-line block.
pub struct Block {
    /// Instructions, in order.
    pub insns: Vec<Decoded>,
}

const FRONT: usize = 4096;

/// The reference interpreter.
pub struct Interp {
    blocks: HashMap<u64, Rc<Block>>,
    front: Vec<Option<(u64, Rc<Block>)>>,
    by_page: HashMap<u64, Vec<u64>>,
    decoded: u64,
    executed_blocks: u64,
}

impl Default for Interp {
    fn default() -> Self {
        Self::new()
    }
}

impl Interp {
    /// An interpreter with an empty block cache.
    pub fn new() -> Self {
        Interp {
            blocks: HashMap::new(),
            front: vec![None; FRONT],
            by_page: HashMap::new(),
            decoded: 0,
            executed_blocks: 0,
        }
    }

    /// Decodes the block at physical address `pa` (virtual `pc`).
    fn decode_block(m: &mut Machine, pa: u64) -> Block {
        let mut insns = Vec::new();
        let page_end = (pa & !0xfff) + 0x1000;
        let mut a = pa;
        while insns.len() < MAX_BLOCK && a < page_end {
            let lo = m.bus.ram.read(a, 2).unwrap_or(0) as u32;
            let len = crate::isa::IsaTable::length(lo as u16) as u64;
            if a + len > page_end {
                break;
            }
            let raw = if len == 4 { m.bus.ram.read(a, 4).unwrap_or(0) as u32 } else { lo };
            let (h, insn) = dispatch::decode(m, raw);
            insns.push((h, insn, m.class_cost(Class::of(insn.op))));
            a += len;
            if insn.op.is_control() || insn.op.is_system() || insn.row == dispatch::ILLEGAL_ROW {
                break;
            }
        }
        Block { insns }
    }

    /// The block at `pc`, decoding it if needed. `Err` is a fetch fault.
    fn block(&mut self, m: &mut Machine, pc: u64) -> Result<Rc<Block>, Exception> {
        let pa = m.fetch_translate(pc)?;
        let slot = ((pa >> 1) as usize) & (FRONT - 1);
        if let Some((k, b)) = &self.front[slot] {
            if *k == pa {
                return Ok(b.clone());
            }
        }
        let b = match self.blocks.get(&pa) {
            Some(b) => b.clone(),
            None => {
                let b = Self::decode_block(m, pa);
                if b.insns.is_empty() {
                    // A 32-bit instruction straddling a page boundary: fetch it the slow way.
                    let raw = m.fetch(pc)?;
                    let (h, insn) = dispatch::decode(m, raw);
                    let cost = m.class_cost(Class::of(insn.op));
                    return Ok(Rc::new(Block { insns: vec![(h, insn, cost)] }));
                }
                if m.trace.in_asm {
                    let mut s = format!("IN: pc {pc:#x} (pa {pa:#x})\n");
                    let mut p = pc;
                    for (_, i, _) in &b.insns {
                        s.push_str(&format!("  {p:#018x}: {:08x}  {}\n", i.raw, m.isa.disasm(i, p)));
                        p += i.len as u64;
                    }
                    m.trace.line(format_args!("{s}"));
                }
                self.decoded += 1;
                let page = pa & !0xfff;
                if m.bus.mark_code_page(page) {
                    m.hart.tlb.protect_code_page(page);
                }
                self.by_page.entry(page).or_default().push(pa);
                let b = Rc::new(b);
                self.blocks.insert(pa, b.clone());
                b
            }
        };
        self.front[slot] = Some((pa, b.clone()));
        Ok(b)
    }

    /// Executes up to `budget` instructions of the block at the current pc.
    /// Returns the number of instructions that ran (retired or trapped).
    pub fn step_block(&mut self, m: &mut Machine, budget: u64) -> u64 {
        let pc = m.hart.pc;
        let block = match self.block(m, pc) {
            Ok(b) => b,
            Err(e) => {
                m.raise(e, pc);
                return 1;
            }
        };
        self.executed_blocks += 1;
        if m.trace.exec {
            m.trace.line(format_args!("Trace: pc {pc:#x} [{}]", m.hart.prv.letter()));
        }
        if m.trace.cpu {
            m.trace_cpu();
        }
        let mut pc = pc;
        let mut n = 0;
        for (h, insn, cost) in block.insns.iter() {
            if n == budget {
                break;
            }
            n += 1;
            match h(m, insn, pc) {
                Ok(next) => {
                    m.hart.clock += 1;
                    m.hart.cycles += cost;
                    let seq = pc.wrapping_add(insn.len as u64);
                    m.hart.pc = next;
                    if next != seq || m.hart.exit != 0 {
                        break;
                    }
                    pc = next;
                }
                Err(e) => {
                    m.raise(e, pc);
                    break;
                }
            }
        }
        n
    }

    /// Executes exactly one instruction (for lockstep comparison).
    pub fn step_one(&mut self, m: &mut Machine) {
        self.step_block(m, 1);
    }
}

impl Engine for Interp {
    fn name(&self) -> &'static str {
        "interp"
    }

    fn run(&mut self, m: &mut Machine) {
        while m.hart.clock < m.hart.deadline && m.hart.exit & !exit::IRQ_CHECK == 0 {
            let budget = m.hart.deadline - m.hart.clock;
            self.step_block(m, budget);
            if m.hart.exit != 0 {
                break;
            }
        }
    }

    fn invalidate_page(&mut self, ppage: u64) {
        if let Some(keys) = self.by_page.remove(&ppage) {
            for k in keys {
                self.blocks.remove(&k);
                let slot = ((k >> 1) as usize) & (FRONT - 1);
                if matches!(&self.front[slot], Some((fk, _)) if *fk == k) {
                    self.front[slot] = None;
                }
            }
        }
    }

    fn stats(&self) -> Vec<(String, u64)> {
        vec![
            ("interp blocks decoded".to_string(), self.decoded),
            ("interp blocks executed".to_string(), self.executed_blocks),
        ]
    }
}
