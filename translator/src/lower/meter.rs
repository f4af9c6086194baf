//! The meter: one host register that counts both the retired-instruction
//! clock and modeled cycles inside a region, and holds the deadline check.
//!
//! ```text
//!   meter  = cycles since the origin << 16 | budget
//!   clock  = origin.limit - budget
//!   cycles = origin.cycles + (meter >> 16)
//!
//!   entry:  budget = min(deadline - clock, 0xffff)   (0 if past the deadline)
//!           origin = (clock + budget, cycles)        (a stack slot of the frame)
//!   block:  meter += (cost << 16) - len              (one add of a 32-bit constant)
//!   check:  if (meter as u16) < reach -> exit        (one 16-bit compare)
//! ```
//!
//! A check compares the budget with the longest run to the next check, and
//! code past it only runs if that whole run fits: the budget never goes
//! below zero, so subtracting a block's length never borrows from the
//! cycles field. Where the deadline is more than 0xffff instructions away,
//! the budget is capped: a loop that never leaves its region then fails a
//! check early, every 65,535 instructions, and returns with the clock short
//! of the deadline; the dispatcher re-enters it at once (every entry, and
//! every chained region, starts a fresh budget). A region's checks are at
//! most a few pages of instructions long, far below the cap.
//!
//! Helpers see (and charge events to) `hart.clock` and `hart.cycles`, which
//! [`Meter::decode`] produces; after a helper [`Meter::rebase`] takes the
//! cycles it left as the new origin.

use cranelift_codegen::ir::condcodes::IntCC;
use cranelift_codegen::ir::{types, InstBuilder, StackSlot, StackSlotData, StackSlotKind, Value};
use cranelift_frontend::FunctionBuilder;

const I64: types::Type = types::I64;

/// Bits of the budget field.
pub const BUDGET_BITS: u32 = 16;

/// The largest budget, and so the longest run a check may cover.
pub const MAX_BUDGET: u64 = (1 << BUDGET_BITS) - 1;

/// Offsets of the origin in its stack slot.
const LIMIT: i32 = 0;
const CYCLES: i32 = 8;

/// Where a region run's meter counts from (its stack slot).
#[derive(Clone, Copy)]
pub struct Meter {
    origin: StackSlot,
}

impl Meter {
    /// At region entry, with the hart's `clock`, `cycles` and `deadline`:
    /// stores the origin and returns the meter to start with.
    pub fn start(b: &mut FunctionBuilder<'_>, clock: Value, cycles: Value, deadline: Value) -> (Meter, Value) {
        let origin = b.create_sized_stack_slot(StackSlotData::new(StackSlotKind::ExplicitSlot, 16, 3));
        let left = b.ins().isub(deadline, clock);
        let past = b.ins().icmp(IntCC::UnsignedLessThan, deadline, clock);
        let zero = b.ins().iconst(I64, 0);
        let left = b.ins().select(past, zero, left);
        let cap = b.ins().iconst(I64, MAX_BUDGET as i64);
        let budget = b.ins().umin(left, cap);
        let limit = b.ins().iadd(clock, budget);
        b.ins().stack_store(I64, limit, origin, LIMIT);
        b.ins().stack_store(I64, cycles, origin, CYCLES);
        (Meter { origin }, budget)
    }

    /// The clock and modeled cycles meter `m` stands for.
    pub fn decode(&self, b: &mut FunctionBuilder<'_>, m: Value) -> (Value, Value) {
        let limit = b.ins().stack_load(I64, I64, self.origin, LIMIT);
        let base = b.ins().stack_load(I64, I64, self.origin, CYCLES);
        let budget = b.ins().band_imm_s(m, MAX_BUDGET as i64);
        let clock = b.ins().isub(limit, budget);
        let spent = b.ins().ushr_imm_s(m, BUDGET_BITS as i64);
        let cycles = b.ins().iadd(base, spent);
        (clock, cycles)
    }

    /// `m` after `insns` instructions costing `cycles` modeled cycles.
    pub fn advance(b: &mut FunctionBuilder<'_>, m: Value, cycles: u64, insns: u64) -> Value {
        let by = (cycles << BUDGET_BITS).wrapping_sub(insns);
        if by == 0 {
            m
        } else {
            b.ins().iadd_imm_s(m, by as i64)
        }
    }

    /// `m` after charging a computed number of modeled cycles.
    pub fn charge(b: &mut FunctionBuilder<'_>, m: Value, cycles: Value) -> Value {
        let c = b.ins().ishl_imm_s(cycles, BUDGET_BITS as i64);
        b.ins().iadd(m, c)
    }

    /// Whether the budget of `m` is short of `reach` instructions (the check fails).
    pub fn short_of(b: &mut FunctionBuilder<'_>, m: Value, reach: u64) -> Value {
        debug_assert!(reach <= MAX_BUDGET);
        let budget = b.ins().ireduce(types::I16, m);
        b.ins().icmp_imm_s(IntCC::UnsignedLessThan, budget, reach as i64)
    }

    /// After a helper: `cycles` (what the hart holds now, for meter `m`'s
    /// position) become the origin; returns the meter that stands for them.
    pub fn rebase(&self, b: &mut FunctionBuilder<'_>, m: Value, cycles: Value) -> Value {
        b.ins().stack_store(I64, cycles, self.origin, CYCLES);
        b.ins().band_imm_s(m, MAX_BUDGET as i64)
    }
}
