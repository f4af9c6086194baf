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
//! | [`exec`]      | rs1,rs2,rs3  | rd            | yes      | yes                 |
//!
//! (Loads and stores have no helper: a miss leaves the region before the
//! instruction and the dispatcher runs it on the interpreter, see `lower::mem`.)
//!
//! Generated code stores the clock the interpreter would have before each
//! call. A helper decides whether the region must be left after its
//! instruction: after a trap (taken through [`Machine::raise`]), or when the
//! instruction retired but set `hart.exit` or transferred control. Either
//! way it leaves `hart.pc` and `hart.clock` final, so generated code then
//! only writes back registers. It reports this in its return value (which the
//! trampoline stores in [`Ctx::leave`]).

use mkjit_runtime::cost::Class;
use mkjit_runtime::hart::exit;
use mkjit_runtime::interp::Handler;
use mkjit_runtime::isa::Insn;
use mkjit_runtime::machine::Machine;
use mkjit_runtime::trap;

/// What generated code gets besides the hart: the machine and a leave flag.
#[repr(C)]
pub struct Ctx {
    /// The machine (valid for the duration of one region call).
    pub machine: *mut Machine,
    /// 1 when the region must be left after the last helper (see the module docs).
    pub leave: u64,
    /// Unused scratch word (kept so the layout stays stable).
    pub value: u64,
    /// Extension (custom) instructions run by [`exec`] during this call.
    pub ext_calls: u64,
    /// The engine's number of the region that returned (see `lower::Env::region_id`).
    pub region: u64,
}

/// Byte offsets of [`Ctx`] fields used by generated code.
pub mod ctx_offsets {
    /// `leave`.
    pub const LEAVE: i32 = std::mem::offset_of!(super::Ctx, leave) as i32;
    /// `value`.
    pub const VALUE: i32 = std::mem::offset_of!(super::Ctx, value) as i32;
    /// `region`.
    pub const REGION: i32 = std::mem::offset_of!(super::Ctx, region) as i32;
}

/// What compiled code assumes about translation and privilege.
#[derive(PartialEq, Eq)]
struct TranslationState {
    prv: mkjit_runtime::hart::Priv,
    data_bank: u8,
    fetch_bank: u8,
    tlb_key: [u64; mkjit_runtime::mmu::tlb::BANKS],
    tlb_salt: [u64; mkjit_runtime::mmu::tlb::BANKS],
    enabled: mkjit_runtime::isa::decode::SetMask,
}

impl TranslationState {
    fn of(m: &Machine) -> Self {
        let h = &m.hart;
        TranslationState {
            prv: h.prv,
            data_bank: h.data_bank,
            fetch_bank: h.fetch_bank,
            tlb_key: h.tlb_key,
            tlb_salt: h.tlb_salt,
            enabled: m.enabled,
        }
    }
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

/// Runs the reference handler `handler` for `insn` at `pc`. Returns 1 when
/// the region must be left: after a trap, a control transfer, a
/// non-sequential next pc, or when the instruction set `hart.exit`.
///
/// # Safety
/// `ctx` must point to a live [`Ctx`] whose machine is not otherwise borrowed; `insn` must point to a live [`Insn`] and `handler` must be
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
    let before = TranslationState::of(m);
    let custom = matches!(insn.op, mkjit_runtime::isa::Op::Custom(..));
    ctx.ext_calls += custom as u64;
    match h(m, insn, pc) {
        Ok(next) => {
            let now = TranslationState::of(m);
            let jumped = next != pc.wrapping_add(insn.len as u64);
            // A custom instruction may change privilege or translation without
            // jumping (context restores, gate calls): leave after it if it did.
            // (Registers are taken back from hart.x; see `lower::system`.)
            let changed = custom && now != before;
            let leaves = jumped || changed || insn.op.is_control();
            // The machine loop would only re-check interrupts here: when none is
            // pending, go on, in the region when nothing it was compiled for
            // changed, or through the jump cache in the new mode when the
            // region is left anyway (`mret`, `sret`; the jump cache is emptied
            // when the enabled instruction sets change).
            if m.hart.exit == exit::IRQ_CHECK
                && m.ext.interrupt.is_none()
                && (now == before || (leaves && now.enabled == before.enabled))
                && trap::pending_interrupt(&m.hart).is_none()
            {
                m.hart.exit = 0;
            }
            retire_and_check(m, next, Class::of(insn.op), leaves) as u64
        }
        Err(e) => {
            m.raise(e, pc);
            1
        }
    }
}
