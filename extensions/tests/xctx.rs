//! Xctx: kernel entry/exit, user-level switches, eviction/refill, traps,
//! privilege and isolation (SPEC §5, §8).

mod common;

use common::{csrr, csrw, ins, reg::*, EngineKind, Stop, Sys};
use mkjit_extensions::common::{causes, NONE};
use mkjit_extensions::xctx::{self, csr, Slot, IMAGE_WORDS};
use mkjit_runtime::hart::Priv;
use mkjit_runtime::trap::cause;

const T1_PC: u64 = 0x1_0000;
const T2_PC: u64 = 0x2_0000;
const BADGE: u64 = 0xbad6e;

/// An image of a fresh user context at `pc` in `satp`, group `group`, with `a0` = `a0`.
fn image(pc: u64, satp: u64, group: u64, a0: u64) -> Slot {
    let mut w = [0u64; IMAGE_WORDS];
    w[0] = pc;
    w[10] = a0;
    w[32] = satp;
    w[33] = group << 16;
    w[34] = 0x7a9 + pc;
    // Extension registers at their reset values (capspare empty, uitimecmp off, uiprev none).
    w[43] = 0xffff_ffff;
    w[44] = u64::MAX;
    w[46] = NONE;
    Slot { present: true, image: w }
}

fn set_slot(s: &mut Sys, n: usize, slot: Slot) {
    xctx::state_mut(&mut s.m).slots[n] = slot;
}

/// Kernel entry = `ctx.save`, exit = `ctx.switch` to the other slot: two threads
/// in two address spaces ping-pong through ecalls without any register save code.
fn kernel_switch(kind: EngineKind) {
    let mut s = Sys::new("xctx", kind);
    let (a, b) = (s.new_space(1), s.new_space(2));
    let t1 = s.asm(|x| {
        x.li(A0, 1);
        x.li(S1, 0x51);
        x.emit("ecall", 0, 0, 0, 0);
        x.emit("addi", A0, A0, 0, 10);
        x.emit("ebreak", 0, 0, 0, 0);
    });
    let t2 = s.asm(|x| {
        x.li(A0, 2);
        x.li(S1, 0x52);
        x.emit("ecall", 0, 0, 0, 0);
        x.emit("jal", 0, 0, 0, 0);
    });
    s.user_code(a, T1_PC, &t1);
    s.user_code(b, T2_PC, &t2);
    let handler = s.asm(|x| {
        ins(x, "ctx.save", 0, 0, 0);
        csrr(x, T0, csr::CTXCUR);
        x.emit("xori", T0, T0, 0, 1);
        ins(x, "ctx.switch", 0, T0, 0);
    });
    let h = s.kernel_code(&handler);
    s.delegate(&[cause::ECALL_U], h);
    set_slot(&mut s, 1, image(T2_PC, b, 0, 0));
    s.csrw(csr::CTXCUR, 0);
    s.enter(Priv::U, T1_PC, a);
    let stop = s.run();
    assert_eq!(stop.cause(), cause::BREAKPOINT, "{stop:?}");
    assert_eq!(s.x(A0), 11, "T1's a0 survived T2 running");
    assert_eq!(s.x(S1), 0x51);
    assert_eq!(s.m.hart.csr.satp, a);
    let st = xctx::state(&s.m);
    assert_eq!(st.ctxcur, 0);
    let t2s = &st.slots[1];
    assert!(t2s.present);
    assert_eq!(t2s.image[10], 2, "T2 saved with its a0");
    assert_eq!(t2s.image[9], 0x52);
    assert_eq!(t2s.image[32], b);
    assert_eq!(t2s.image[0], T2_PC + 12, "ecall resumes after the ecall");
    assert_eq!(t2s.image[34], 0x7a9 + T2_PC, "tag kept");
    assert_eq!(st.ctr.counts[xctx::E_SAVE], 2);
    assert_eq!(st.ctr.counts[xctx::E_SWITCH], 2);
}

/// ctx.store / ctx.inval / ctx.status / ctx.load round trip, the image layout,
/// and the per-thread extension registers (Xgate's CSRs) carried in the image.
fn store_load(kind: EngineKind) {
    let mut s = Sys::new("xctx,xgate", kind);
    let a = s.new_space(1);
    let mem = s.alloc(1);
    let mut slot = image(T1_PC, a, 3, 0xa0);
    slot.image[35] = 0x8041_0040; // lsp
    slot.image[36] = 0x8041_0000; // lsbase
    slot.image[37] = 0x8041_1000; // lslimit
    slot.image[39] = BADGE; // gbadge
    set_slot(&mut s, 2, slot.clone());
    let code = s.asm(|x| {
        x.li(T0, 2);
        x.li(T1, mem as i64);
        ins(x, "ctx.store", 0, T0, T1);
        ins(x, "ctx.inval", 0, T0, 0);
        ins(x, "ctx.status", A0, T0, 0);
        x.emit("sd", 0, T1, A0, 512);
        ins(x, "ctx.load", 0, T0, T1);
        ins(x, "ctx.status", A1, T0, 0);
        x.emit("sd", 0, T1, A1, 520);
        // Make it the trapped context; its extension registers come with it.
        ins(x, "ctx.restore", 0, T0, 0);
        x.emit("ebreak", 0, 0, 0, 0);
    });
    let pc = s.kernel_code(&code);
    s.enter(Priv::S, pc, a);
    assert_eq!(s.run().cause(), cause::BREAKPOINT);
    for k in 0..IMAGE_WORDS as u64 {
        assert_eq!(s.read_u64(mem + 8 * k), slot.image[k as usize], "image word {k}");
    }
    assert_eq!(s.read_u64(mem + 512), 3 << 16, "ctx.status after inval: not present, group 3");
    assert_eq!(s.read_u64(mem + 520), 1 | 3 << 16, "ctx.status after load: present");
    assert_eq!(s.m.hart.csr.sepc, T1_PC);
    assert_eq!(s.m.hart.csr.mstatus & (1 << 8), 0, "SPP = U from the image");
    assert_eq!(s.x(A0), 0xa0, "GPRs come from the slot");
    assert_eq!(s.csrr(0x5c2), 0x8041_0040, "lsp restored from the image");
    assert_eq!(s.csrr(0x5c4), BADGE, "gbadge restored");
    assert_eq!(xctx::state(&s.m).ctxcur, 2);
}

fn slot_misses(kind: EngineKind) {
    let mut s = Sys::new("xctx:slots=4", kind);
    let a = s.new_space(1);
    // ctx.save with ctxcur = none; ctx.restore / ctx.switch of a non-present slot.
    for (name, rs1, want) in [("ctx.save", 0u8, NONE), ("ctx.restore", T0, 3), ("ctx.switch", T0, 3)] {
        let code = s.asm(|x| {
            x.li(T0, 3);
            ins(x, name, 0, rs1, 0);
        });
        let pc = s.kernel_code(&code);
        s.enter(Priv::S, pc, a);
        let stop = s.run();
        assert!(
            matches!(stop, Stop::Trap { cause: causes::CTX_SLOT_MISS, tval, .. } if tval == want),
            "{name}: {stop:?}"
        );
    }
    // Slot numbers out of range are illegal for S instructions.
    for name in ["ctx.restore", "ctx.switch", "ctx.inval", "ctx.status"] {
        let code = s.asm(|x| {
            x.li(T0, 4);
            ins(x, name, if name == "ctx.status" { A0 } else { 0 }, T0, 0);
        });
        let pc = s.kernel_code(&code);
        s.enter(Priv::S, pc, a);
        assert_eq!(s.run().cause(), cause::ILLEGAL, "{name} out of range");
    }
    assert_eq!(s.csrr(0xdc2), 4, "xctxcfg");
    s.csrw(csr::CTXCUR, 9);
    assert_eq!(s.csrr(csr::CTXCUR), NONE, "ctxcur is WARL: out-of-range values read as none");
}

/// User-level threads of one group switch among themselves without the kernel.
fn user_switch(kind: EngineKind) {
    let mut s = Sys::new("xctx", kind);
    let a = s.new_space(1);
    let t1 = s.asm(|x| {
        x.li(S1, 100);
        x.li(T0, 1);
        ins(x, "ctx.switch", 0, T0, 0); // to thread 2
        x.emit("addi", S1, S1, 0, 1); // resumed here
        x.emit("ebreak", 0, 0, 0, 0);
    });
    let t2 = s.asm(|x| {
        x.li(S1, 200);
        x.li(T0, 0);
        ins(x, "ctx.switch", 0, T0, 0); // back to thread 1
    });
    s.user_code(a, T1_PC, &t1);
    s.user_code(a, T2_PC, &t2);
    set_slot(&mut s, 0, image(0, a, 7, 0));
    set_slot(&mut s, 1, image(T2_PC, a, 7, 0));
    s.csrw(csr::CTXCUR, 0);
    s.enter(Priv::U, T1_PC, a);
    let stop = s.run();
    assert_eq!(stop.cause(), cause::BREAKPOINT, "{stop:?}");
    assert_eq!(s.x(S1), 101, "thread 1's s1 restored after thread 2 ran");
    let st = xctx::state(&s.m);
    assert_eq!(st.slots[1].image[9], 200);
    assert_eq!(st.ctxcur, 0);
    assert_eq!(s.m.stats.exceptions.iter().sum::<u64>(), 1, "no kernel entry besides the final ebreak");
}

/// Isolation: U-mode cannot switch into another group's context, an S context,
/// a non-present slot, or anything when its own group is 0.
fn user_switch_denied(kind: EngineKind) {
    let mut s = Sys::new("xctx", kind);
    let a = s.new_space(1);
    let b = s.new_space(2);
    let cases: [(u64, Slot, &str); 4] = [
        (7, image(T2_PC, b, 8, 0), "other group"),
        (
            7,
            Slot {
                image: {
                    let mut i = image(T2_PC, a, 7, 0).image;
                    i[33] |= 1;
                    i
                },
                present: true,
            },
            "S context",
        ),
        (7, Slot { present: false, ..image(T2_PC, a, 7, 0) }, "not present"),
        (0, image(T2_PC, a, 0, 0), "own group 0"),
    ];
    for (g, target, what) in cases {
        let t1 = s.asm(|x| {
            x.li(T0, 1);
            ins(x, "ctx.switch", 0, T0, 0);
        });
        s.user_code(a, T1_PC, &t1);
        set_slot(&mut s, 0, image(0, a, g, 0));
        set_slot(&mut s, 1, target);
        s.csrw(csr::CTXCUR, 0);
        s.enter(Priv::U, T1_PC, a);
        let stop = s.run();
        assert!(
            matches!(stop, Stop::Trap { cause: causes::CTX_SLOT_MISS, tval: 1, from: Priv::U, .. }),
            "{what}: {stop:?}"
        );
        assert_eq!(s.m.hart.csr.satp, a, "{what}: nothing switched");
        assert_eq!(xctx::state(&s.m).ctxcur, 0, "{what}");
    }
    // A slot number beyond the cache is a miss too (user code cannot tell).
    let t1 = s.asm(|x| {
        x.li(T0, 1000);
        ins(x, "ctx.switch", 0, T0, 0);
    });
    s.user_code(a, 0x3_0000, &t1);
    s.enter(Priv::U, 0x3_0000, a);
    assert!(matches!(s.run(), Stop::Trap { cause: causes::CTX_SLOT_MISS, tval: 1000, .. }));
}

fn privilege(kind: EngineKind) {
    let mut s = Sys::new("xctx", kind);
    let a = s.new_space(1);
    let mut pc = 0x4_0000;
    for case in 0..8 {
        let code = s.asm(|x| match case {
            0 => ins(x, "ctx.save", 0, 0, 0),
            1 => ins(x, "ctx.restore", 0, T0, 0),
            2 => ins(x, "ctx.store", 0, T0, T1),
            3 => ins(x, "ctx.load", 0, T0, T1),
            4 => ins(x, "ctx.inval", 0, T0, 0),
            5 => ins(x, "ctx.status", A0, T0, 0),
            6 => csrw(x, csr::CTXCUR, T0),
            _ => csrw(x, csr::UCTXCUR, T0),
        });
        s.user_code(a, pc, &code);
        s.enter(Priv::U, pc, a);
        assert_eq!(s.run().cause(), cause::ILLEGAL, "U-mode case {case}");
        pc += 0x1000;
    }
    // uctxcur is readable from U.
    s.csrw(csr::CTXCUR, 5);
    let code = s.asm(|x| {
        csrr(x, A0, csr::UCTXCUR);
        x.emit("ebreak", 0, 0, 0, 0);
    });
    s.user_code(a, pc, &code);
    s.enter(Priv::U, pc, a);
    assert_eq!(s.run().cause(), cause::BREAKPOINT);
    assert_eq!(s.x(A0), 5);
}

/// S-mode ctx.switch into an S-privilege slot (a kernel thread) and sret rules.
fn switch_to_kernel_thread(kind: EngineKind) {
    let mut s = Sys::new("xctx", kind);
    let a = s.new_space(1);
    let kt = s.asm(|x| {
        csrr(x, A1, 0x100); // sstatus: readable only in S
        x.emit("ebreak", 0, 0, 0, 0);
    });
    let kpc = s.kernel_code(&kt);
    let mut img = image(kpc, a, 0, 0);
    img.image[33] |= 1;
    set_slot(&mut s, 3, img);
    let code = s.asm(|x| {
        x.li(T0, 3);
        ins(x, "ctx.switch", 0, T0, 0);
    });
    let pc = s.kernel_code(&code);
    s.m.hart.csr.mstatus |= 1 << 5; // SPIE
    s.enter(Priv::S, pc, a);
    let stop = s.run();
    assert!(matches!(stop, Stop::Trap { cause: cause::BREAKPOINT, from: Priv::S, .. }), "{stop:?}");
    assert_eq!(s.m.hart.csr.mstatus & 0x2, 0x2, "SIE := SPIE");
}

/// A timer interrupt right after a user-level switch is taken in the new context.
fn interrupt_after_switch(kind: EngineKind) {
    let mut s = Sys::new("xctx", kind);
    let (a, b) = (s.new_space(1), s.new_space(2));
    let t1 = s.asm(|x| {
        x.li(T0, 1);
        ins(x, "ctx.switch", 0, T0, 0);
    });
    let t2 = s.asm(|x| {
        x.emit("jal", 0, 0, 0, 0);
    });
    s.user_code(a, T1_PC, &t1);
    s.user_code(b, T2_PC, &t2);
    set_slot(&mut s, 0, image(0, a, 4, 0));
    set_slot(&mut s, 1, image(T2_PC, b, 4, 0));
    s.csrw(csr::CTXCUR, 0);
    let now = s.m.mtime();
    assert!(s.m.bus.devices.write(0x200_4000, 8, now + 50, now));
    s.csrw(0x304, 1 << 7);
    s.enter(Priv::U, T1_PC, a);
    let stop = s.run();
    assert_eq!(stop, Stop::Trap { cause: (1 << 63) | 7, epc: T2_PC, tval: 0, from: Priv::U });
    assert_eq!(s.m.hart.csr.satp, b, "the interrupt sees the new address space");
}

fn disabled(kind: EngineKind) {
    let mut s = Sys::new("xgate", kind);
    let a = s.new_space(1);
    let word: u32 = 0x0000_300b; // ctx.save
    let pc = s.kernel_code(&word.to_le_bytes());
    s.enter(Priv::S, pc, a);
    assert_eq!(s.run(), Stop::Trap { cause: cause::ILLEGAL, epc: pc, tval: word as u64, from: Priv::S });
}

/// [`fast_path_save`]'s program on a fresh system of `kind`: 200 system calls,
/// each entering the kernel with `ctx.save` and leaving with `ctx.switch` to
/// the same slot; then, with `ctxcur` none, one more (`ctx.save` misses).
fn fast_path_run(kind: EngineKind) -> (Sys, Stop, Stop) {
    let mut s = Sys::new("xctx", kind);
    let a = s.new_space(1);
    let user = s.asm(|x| {
        x.li(T2, 200);
        let top = x.here();
        x.emit("ecall", 0, 0, 0, 0);
        x.emit("addi", A0, A0, 0, 1);
        x.emit("addi", T2, T2, 0, -1);
        let back = top - x.here();
        x.emit("bne", 0, T2, 0, back);
        x.emit("ebreak", 0, 0, 0, 0);
    });
    s.user_code(a, T1_PC, &user);
    let handler = s.asm(|x| {
        ins(x, "ctx.save", 0, 0, 0);
        csrr(x, T0, csr::CTXCUR);
        ins(x, "ctx.switch", 0, T0, 0);
    });
    let h = s.kernel_code(&handler);
    s.delegate(&[cause::ECALL_U], h);
    s.csrw(csr::CTXCUR, 0);
    s.enter(Priv::U, T1_PC, a);
    let first = s.run();
    s.csrw(csr::CTXCUR, NONE);
    s.enter(Priv::U, T1_PC, a);
    let second = s.run();
    (s, first, second)
}

/// The inline fast path of `ctx.save`: the same slot images, counts, cycles
/// and final miss as the interpreter; on the JIT only `ctx.switch` (and the
/// miss) needs the helper.
fn fast_path_save(kind: EngineKind) {
    let (s, first, second) = fast_path_run(kind);
    assert_eq!(first.cause(), cause::BREAKPOINT, "{first:?}");
    assert!(
        matches!(second, Stop::Trap { cause, tval, from: Priv::S, .. } if cause == causes::CTX_SLOT_MISS && tval == NONE),
        "{second:?}"
    );
    let st = xctx::state(&s.m);
    assert_eq!(st.ctr.counts[xctx::E_SAVE], 200);
    assert_eq!(st.ctr.counts[xctx::E_SLOT_MISS], 1);
    assert_eq!(st.slots[0].image[10], 199, "a0 as saved at the last system call");
    assert_eq!(st.slots[0].image[0], T1_PC + 8, "resumes after the ecall (after `li t2, 200`)");
    let (reference, ..) = fast_path_run(EngineKind::Interp);
    assert_eq!(s.snapshot(), reference.snapshot(), "state as on the interpreter");
    assert_eq!(st.slots[0].image, xctx::state(&reference.m).slots[0].image, "slot image as on the interpreter");
    // ctx.save inline: only ctx.switch (200) calls the helper.
    s.assert_fast_paths(1, 210, 399);
}

engine_tests! {
    fast_path_save_t => fast_path_save, all_regs;
    kernel_switch_t => kernel_switch, all_regs;
    store_load_t => store_load, all_regs;
    slot_misses_t => slot_misses;
    user_switch_t => user_switch, all_regs;
    user_switch_denied_t => user_switch_denied;
    privilege_t => privilege;
    kernel_thread_t => switch_to_kernel_thread, all_regs;
    interrupt_after_switch_t => interrupt_after_switch;
    disabled_t => disabled;
}
