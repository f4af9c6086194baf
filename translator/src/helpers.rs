//! Runtime helpers called from generated code: the declared ABI between
//! translated regions and the runtime.
//!
//! Every helper is `extern "C"`, takes the [`Ctx`] first, and is called
//! through its absolute address (no relocations), by way of a trampoline in
//! Cranelift's `preserve_all` convention ([`crate::lower::trampoline`]) that
//! stores the result in the [`Ctx`]: so a slow path clobbers no host
//! register and guest registers stay in host registers around it. Effects,
//! as the lowering relies on them:
//!
//! | helper        | reads hart.x | writes hart.x | may trap | may set `hart.exit` |
//! |---------------|--------------|---------------|----------|---------------------|
//! | [`load`]      | no           | no            | yes      | yes (MMIO)          |
//! | [`store`]     | no           | no            | yes      | yes (MMIO, code)    |
//! | [`exec`]      | rs1,rs2,rs3  | rd            | yes      | yes                 |
//!
//! Generated code stores the clock the interpreter would have before each
//! call. A helper decides whether the region must be left after its
//! instruction: after a trap (taken through [`Machine::raise`]), or when the
//! instruction retired but set `hart.exit` or transferred control. Either
//! way it leaves `hart.pc` and `hart.clock` final, so generated code then
//! only writes back registers. It reports this in [`Ctx::leave`] (loads) or
//! its return value (stores, `exec`).

use mkjit_runtime::cost::Class;
use mkjit_runtime::interp::Handler;
use mkjit_runtime::isa::Insn;
use mkjit_runtime::machine::Machine;

/// What generated code gets besides the hart: the machine and a leave flag.
#[repr(C)]
pub struct Ctx {
    /// The machine (valid for the duration of one region call).
    pub machine: *mut Machine,
    /// 1 when the region must be left after the last helper (see the module docs).
    pub leave: u64,
    /// The value the last [`load`] returned.
    pub value: u64,
}

/// Byte offsets of [`Ctx`] fields used by generated code.
pub mod ctx_offsets {
    /// `leave`.
    pub const LEAVE: i32 = std::mem::offset_of!(super::Ctx, leave) as i32;
    /// `value`.
    pub const VALUE: i32 = std::mem::offset_of!(super::Ctx, value) as i32;
}

/// Packs a load's shape for [`load`]: size in bytes, sign extension, instruction length.
pub const fn load_kind(size: u64, signed: bool, len: u8) -> u64 {
    size | (signed as u64) << 8 | (len as u64) << 16
}

/// Finishes an instruction of `class` that retired with next pc `next`: when
/// `hart.exit` is set (or `always`), makes `pc`, `clock` and `cycles` final for
/// leaving the region and returns true.
fn retire_and_check(m: &mut Machine, next: u64, class: Class, always: bool) -> bool {
    if m.hart.exit != 0 || always {
        m.hart.pc = next;
        m.hart.clock += 1;
        m.hart.cycles += m.class_cost(class);
        return true;
    }
    false
}

/// Load slow path. Returns the extended value (or `old`, the destination's
/// current value, after a trap); sets `ctx.leave` when the region must be left.
///
/// # Safety
/// `ctx` must point to a live [`Ctx`] whose machine is not otherwise borrowed.
pub unsafe extern "C" fn load(ctx: *mut Ctx, va: u64, kind: u64, pc: u64, old: u64) -> u64 {
    // SAFETY: guaranteed by the caller (generated code called from the dispatcher).
    let ctx = unsafe { &mut *ctx };
    // SAFETY: as above; no other reference to the machine is live during the call.
    let m = unsafe { &mut *ctx.machine };
    let size = kind & 0xff;
    match m.load_slow(va, size) {
        Ok(v) => {
            let sh = 64 - 8 * size as u32;
            let v = if kind >> 8 & 1 == 1 { (((v << sh) as i64) >> sh) as u64 } else { v };
            ctx.leave = retire_and_check(m, pc.wrapping_add(kind >> 16), Class::Load, false) as u64;
            v
        }
        Err(e) => {
            m.raise(e, pc);
            ctx.leave = 1;
            old
        }
    }
}

/// Store slow path. Returns 1 when the region must be left.
///
/// # Safety
/// As for [`load`].
pub unsafe extern "C" fn store(ctx: *mut Ctx, va: u64, size_len: u64, v: u64, pc: u64) -> u64 {
    // SAFETY: guaranteed by the caller.
    let ctx = unsafe { &mut *ctx };
    // SAFETY: as above.
    let m = unsafe { &mut *ctx.machine };
    match m.store_slow(va, size_len & 0xff, v) {
        Ok(()) => retire_and_check(m, pc.wrapping_add(size_len >> 16), Class::Store, false) as u64,
        Err(e) => {
            m.raise(e, pc);
            1
        }
    }
}

/// Runs the reference handler `handler` for `insn` at `pc`. Returns 1 when
/// the region must be left: after a trap, a control transfer, a
/// non-sequential next pc, or when the instruction set `hart.exit`.
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
        Ok(next) => {
            let jumped = next != pc.wrapping_add(insn.len as u64);
            retire_and_check(m, next, Class::of(insn.op), jumped || insn.op.is_control()) as u64
        }
        Err(e) => {
            m.raise(e, pc);
            1
        }
    }
}
