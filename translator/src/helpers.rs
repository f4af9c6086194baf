//! Runtime helpers called from generated code: the declared ABI between
//! translated regions and the runtime.
//!
//! Every helper is `extern "C"`, takes the [`Ctx`] first, and is called
//! through its absolute address (no relocations). Effects, as the lowering
//! relies on them:
//!
//! | helper        | reads hart.x | writes hart.x | may trap | may set `hart.exit` |
//! |---------------|--------------|---------------|----------|---------------------|
//! | [`load`]      | no           | no            | yes      | yes (MMIO)          |
//! | [`store`]     | no           | no            | yes      | yes (MMIO, code)    |
//! | [`exec`]      | rs1,rs2,rs3  | rd            | yes      | yes                 |
//!
//! A helper that traps has already taken the trap (through
//! [`Machine::raise`], with the clock the generated code stored before the
//! call), so `hart.pc` and `hart.clock` are final; it reports this in
//! [`Ctx::trapped`] (loads, `exec`) or its return value (stores).

use mkjit_runtime::interp::Handler;
use mkjit_runtime::isa::Insn;
use mkjit_runtime::machine::Machine;

/// What generated code gets besides the hart: the machine and a trap flag.
#[repr(C)]
pub struct Ctx {
    /// The machine (valid for the duration of one region call).
    pub machine: *mut Machine,
    /// Set to 1 by a helper that took a trap.
    pub trapped: u64,
}

/// Byte offsets of [`Ctx`] fields used by generated code.
pub mod ctx_offsets {
    /// `trapped`.
    pub const TRAPPED: i32 = std::mem::offset_of!(super::Ctx, trapped) as i32;
}

/// Load slow path: returns the zero-extended value, or sets `trapped`.
///
/// # Safety
/// `ctx` must point to a live [`Ctx`] whose machine is not otherwise borrowed.
pub unsafe extern "C" fn load(ctx: *mut Ctx, va: u64, size: u64, pc: u64) -> u64 {
    // SAFETY: guaranteed by the caller (generated code called from the dispatcher).
    let ctx = unsafe { &mut *ctx };
    // SAFETY: as above; no other reference to the machine is live during the call.
    let m = unsafe { &mut *ctx.machine };
    match m.load_slow(va, size) {
        Ok(v) => v,
        Err(e) => {
            m.raise(e, pc);
            ctx.trapped = 1;
            0
        }
    }
}

/// Store slow path: returns 0, or 1 after taking a trap.
///
/// # Safety
/// As for [`load`].
pub unsafe extern "C" fn store(ctx: *mut Ctx, va: u64, size: u64, v: u64, pc: u64) -> u64 {
    // SAFETY: guaranteed by the caller.
    let ctx = unsafe { &mut *ctx };
    // SAFETY: as above.
    let m = unsafe { &mut *ctx.machine };
    match m.store_slow(va, size, v) {
        Ok(()) => 0,
        Err(e) => {
            m.raise(e, pc);
            1
        }
    }
}

/// Runs the reference handler `handler` for `insn` at `pc`; returns the next
/// pc, or sets `trapped`.
///
/// # Safety
/// As for [`load`]; `insn` must point to a live [`Insn`] and `handler` must be
/// a [`Handler`] function pointer.
pub unsafe extern "C" fn exec(ctx: *mut Ctx, insn: *const Insn, handler: usize, pc: u64) -> u64 {
    // SAFETY: guaranteed by the caller.
    let ctx = unsafe { &mut *ctx };
    // SAFETY: as above.
    let m = unsafe { &mut *ctx.machine };
    // SAFETY: the lowering embeds the address of a `Handler` taken from `dispatch::decode`.
    let h: Handler = unsafe { std::mem::transmute::<usize, Handler>(handler) };
    // SAFETY: the region owning the instruction outlives its code.
    let insn = unsafe { &*insn };
    match h(m, insn, pc) {
        Ok(next) => next,
        Err(e) => {
            m.raise(e, pc);
            ctx.trapped = 1;
            0
        }
    }
}
