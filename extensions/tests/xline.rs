//! Xline: window translation before the page table, permissions, hand-over
//! through gcall/gret, TLB interplay, privilege and isolation (SPEC §4, §8).

mod common;

use common::{ins, pte, reg::*, EngineKind, Stop, Sys};
use mkjit_extensions::common::causes;
use mkjit_extensions::xgate::{self, Gate, GateKind};
use mkjit_extensions::xline::{self, Window};
use mkjit_runtime::hart::Priv;
use mkjit_runtime::trap::cause;

const CODE: u64 = 0x1_0000;
const PAGE: u64 = 0x4_0000;

fn window(vbase: u64, lines: u64, pbase: u64, owner: u64, r: bool, w: bool, g: bool) -> Window {
    Window { valid: true, vbase, lines, pbase, r, w, g, owner }
}

/// Installs window `idx` through `xline.set` executed in S-mode.
fn install(s: &mut Sys, satp: u64, idx: u64, w: &Window) {
    let desc = s.alloc(1);
    let info = w.lines | (w.r as u64) << 32 | (w.w as u64) << 33 | (w.g as u64) << 34;
    s.write_words(desc, &[w.vbase, w.pbase, info, w.owner]);
    let code = s.asm(|a| {
        a.li(T0, idx as i64);
        a.li(T1, desc as i64);
        ins(a, "xline.set", 0, T0, T1);
        a.emit("ebreak", 0, 0, 0, 0);
    });
    let pc = s.kernel_code(&code);
    s.enter(Priv::S, pc, satp);
    assert_eq!(s.run().cause(), cause::BREAKPOINT);
}

fn run_user(s: &mut Sys, satp: u64, pc: u64, f: impl FnOnce(&mut mkjit_runtime::isa::encode::Asm)) -> Stop {
    let code = s.asm(f);
    s.user_code(satp, pc, &code);
    s.enter(Priv::U, pc, satp);
    s.run()
}

/// A window shadows the page table at line granularity, even for unmapped VAs.
fn translation(kind: EngineKind) {
    let mut s = Sys::new("xline", kind);
    let a = s.new_space(1);
    let p1 = s.map_new(a, PAGE, 0x1000, pte::URW);
    s.write_words(p1 + 0x40, &[0x1111]);
    s.write_words(p1, &[0xaaaa]);
    let p2 = s.alloc(1);
    s.write_words(p2 + 0x80, &[0x2222]);
    install(&mut s, a, 0, &window(PAGE + 0x40, 2, p2 + 0x80, 1, true, true, false));
    install(&mut s, a, 1, &window(0x9_0000, 1, p2 + 0x400, 1, true, true, false));
    let stop = run_user(&mut s, a, CODE, |x| {
        x.li(T0, PAGE as i64);
        x.emit("ld", A0, T0, 0, 0); // page table
        x.emit("ld", A1, T0, 0, 0x40); // window
        x.li(T1, 0x77);
        x.emit("sd", 0, T0, T1, 0x48); // window, line 0
        x.emit("sd", 0, T0, T1, 0x80); // page table (window has 2 lines: 0x40..0xc0) -> window line 1
        x.li(T2, 0x9_0000);
        x.emit("sd", 0, T2, T1, 0x38); // window on an unmapped VA
        x.emit("ld", A2, T2, 0, 0x38);
        x.emit("ebreak", 0, 0, 0, 0);
    });
    assert_eq!(stop.cause(), cause::BREAKPOINT, "{stop:?}");
    assert_eq!(s.x(A0), 0xaaaa);
    assert_eq!(s.x(A1), 0x2222);
    assert_eq!(s.read_u64(p2 + 0x88), 0x77);
    assert_eq!(s.read_u64(p2 + 0xc0), 0x77, "second line of the window");
    assert_eq!(s.read_u64(p1 + 0x48), 0, "the shadowed page-table frame is untouched");
    assert_eq!(s.x(A2), 0x77);
    assert_eq!(xline::state(&s.m).ctr.counts[2], 5, "window hits");
}

fn permissions(kind: EngineKind) {
    let mut s = Sys::new("xline", kind);
    let a = s.new_space(1);
    let p = s.alloc(1);
    install(&mut s, a, 0, &window(PAGE, 1, p, 1, true, false, false));
    // Store to a read-only window.
    let stop = run_user(&mut s, a, CODE, |x| {
        x.li(T0, PAGE as i64);
        x.emit("ld", A0, T0, 0, 8);
        x.emit("sd", 0, T0, A0, 8);
    });
    assert!(matches!(stop, Stop::Trap { cause: causes::XLINE_ACCESS, tval, .. } if tval == PAGE + 8), "{stop:?}");
    // An access that starts inside and ends outside the window.
    let stop = run_user(&mut s, a, CODE + 0x1000, |x| {
        x.li(T0, PAGE as i64);
        x.emit("lw", A0, T0, 0, 62);
    });
    assert!(matches!(stop, Stop::Trap { cause: causes::XLINE_ACCESS, tval, .. } if tval == PAGE + 62), "{stop:?}");
    // Windows are never executable.
    let stop = run_user(&mut s, a, CODE + 0x2000, |x| {
        x.li(T0, PAGE as i64);
        x.emit("jalr", 0, T0, 0, 0);
    });
    assert!(matches!(stop, Stop::Trap { cause: causes::XLINE_ACCESS, tval: PAGE, .. }), "{stop:?}");
}

/// Isolation: a window owned by another ASID is invisible (the page table decides).
fn other_owner_invisible(kind: EngineKind) {
    let mut s = Sys::new("xline", kind);
    let a = s.new_space(1);
    let p = s.alloc(1);
    s.write_words(p, &[0x5ec7e7]);
    install(&mut s, a, 0, &window(PAGE, 1, p, 2, true, true, true));
    let stop = run_user(&mut s, a, CODE, |x| {
        x.li(T0, PAGE as i64);
        x.emit("ld", A0, T0, 0, 0);
    });
    assert!(matches!(stop, Stop::Trap { cause: cause::LOAD_PAGE, tval: PAGE, .. }), "{stop:?}");
    // Nor can it be given away by a non-owner.
    let stop = run_user(&mut s, a, CODE + 0x1000, |x| {
        x.li(T0, 0);
        ins(x, "xline.give", 0, T0, 0);
    });
    assert!(matches!(stop, Stop::Trap { cause: causes::XLINE_GIVE, tval: 0, .. }), "{stop:?}");
}

fn give_faults(kind: EngineKind) {
    let mut s = Sys::new("xline:windows=4", kind);
    let a = s.new_space(1);
    let p = s.alloc(1);
    install(&mut s, a, 1, &window(PAGE, 1, p, 1, true, true, false)); // not giveable
    for (idx, what) in [(1u64, "not giveable"), (2, "not installed"), (7, "out of range")] {
        let stop = run_user(&mut s, a, CODE + idx * 0x1000, |x| {
            x.li(T0, idx as i64);
            ins(x, "xline.give", 0, T0, 0);
        });
        assert!(matches!(stop, Stop::Trap { cause: causes::XLINE_GIVE, tval, .. } if tval == idx), "{what}: {stop:?}");
    }
    assert_eq!(s.csrr(0xdc1), 4);
}

/// Bulk data crosses address spaces with no copy and no page-table change:
/// A hands a window to the callee of gcall; it comes back on gret.
fn hand_over_through_gcall(kind: EngineKind) {
    let mut s = Sys::new("xline,xgate", kind);
    let (a, b) = (s.new_space(1), s.new_space(2));
    let ls = s.alloc(1);
    s.csrw(0x5c0, ls);
    s.csrw(0x5c1, ls + 0x1000);
    s.csrw(0x5c2, ls);
    let buf = s.alloc(1);
    // A's buffer is a window (VA 0x8_0000, 4 lines), not mapped in either page table.
    install(&mut s, a, 3, &window(0x8_0000, 4, buf, 1, true, true, true));
    let gate = Gate { kind: GateKind::Sync, satp: b, pc: 0x2_0000, badge: 0, gtp: 0, target: 0, reply: 0xff };
    xgate::state_mut(&mut s.m).clb.fill(1, 1, gate);
    let callee = s.asm(|x| {
        // Sum the four first words of the window, write the sum back after them.
        x.li(T0, 0x8_0000);
        x.emit("ld", A0, T0, 0, 0);
        x.emit("ld", A1, T0, 0, 64);
        x.emit("add", A0, A0, A1, 0);
        x.emit("sd", 0, T0, A0, 128);
        ins(x, "gret", 0, 0, 0);
    });
    s.user_code(b, 0x2_0000, &callee);
    let stop = run_user(&mut s, a, CODE, |x| {
        x.li(T0, 0x8_0000);
        x.li(T1, 40);
        x.emit("sd", 0, T0, T1, 0);
        x.li(T1, 2);
        x.emit("sd", 0, T0, T1, 64);
        x.li(T2, 3);
        ins(x, "xline.give", 0, T2, 0);
        x.li(T2, 1);
        ins(x, "gcall", 0, T2, 0);
        x.emit("ld", A2, T0, 0, 128); // back in A: the window is ours again
        x.emit("ebreak", 0, 0, 0, 0);
    });
    assert_eq!(stop.cause(), cause::BREAKPOINT, "{stop:?}");
    assert_eq!(s.x(A2), 42);
    assert_eq!(s.read_u64(buf + 128), 42);
    let w = xline::state(&s.m).windows[3];
    assert_eq!(w.owner, 1, "ownership returned on gret");
    assert_eq!(s.read_u64(ls + 48) & 0xffff, 1 << 3, "link record lists the window");
    assert_eq!(s.csrr(0x5c8), 0, "xlgive consumed by gcall");
    assert_eq!(xline::state(&s.m).ctr.counts[3], 2, "two hand-offs");
}

/// Without xline.give the callee cannot see the caller's window.
fn callee_without_give(kind: EngineKind) {
    let mut s = Sys::new("xline,xgate", kind);
    let (a, b) = (s.new_space(1), s.new_space(2));
    let ls = s.alloc(1);
    s.csrw(0x5c0, ls);
    s.csrw(0x5c1, ls + 0x1000);
    s.csrw(0x5c2, ls);
    let buf = s.alloc(1);
    install(&mut s, a, 0, &window(0x8_0000, 1, buf, 1, true, true, true));
    let gate = Gate { kind: GateKind::Sync, satp: b, pc: 0x2_0000, badge: 0, gtp: 0, target: 0, reply: 0xff };
    xgate::state_mut(&mut s.m).clb.fill(1, 1, gate);
    let callee = s.asm(|x| {
        x.li(T0, 0x8_0000);
        x.emit("ld", A0, T0, 0, 0);
    });
    s.user_code(b, 0x2_0000, &callee);
    let stop = run_user(&mut s, a, CODE, |x| {
        x.li(T2, 1);
        ins(x, "gcall", 0, T2, 0);
    });
    assert!(matches!(stop, Stop::Trap { cause: cause::LOAD_PAGE, tval: 0x8_0000, .. }), "{stop:?}");
    assert_eq!(s.m.hart.csr.satp, b);
}

/// A cached page-table translation never bypasses a window installed later,
/// nor one whose ownership changes.
fn tlb_interplay(kind: EngineKind) {
    let mut s = Sys::new("xline", kind);
    let a = s.new_space(1);
    let p1 = s.map_new(a, PAGE, 0x1000, pte::URW);
    s.write_words(p1 + 0x40, &[1]);
    let p2 = s.alloc(1);
    s.write_words(p2, &[2]);
    let read = |s: &mut Sys, pc| {
        let stop = run_user(s, a, pc, |x| {
            x.li(T0, (PAGE + 0x40) as i64);
            x.emit("ld", A0, T0, 0, 0);
            x.emit("ebreak", 0, 0, 0, 0);
        });
        assert_eq!(stop.cause(), cause::BREAKPOINT);
        s.x(A0)
    };
    assert_eq!(read(&mut s, CODE), 1, "page table (TLB now caches the page)");
    install(&mut s, a, 0, &window(PAGE + 0x40, 1, p2, 2, true, true, true));
    assert_eq!(read(&mut s, CODE + 0x1000), 1, "window of ASID 2: still the page table");
    xline::state_mut(&mut s.m).windows[0].owner = 1; // as a gcall hand-over would
    assert_eq!(read(&mut s, CODE + 0x2000), 2, "now ours: the window, not a stale TLB entry");
}

fn privilege(kind: EngineKind) {
    let mut s = Sys::new("xline", kind);
    let a = s.new_space(1);
    let stop = run_user(&mut s, a, CODE, |x| ins(x, "xline.set", 0, T0, T1));
    assert_eq!(stop.cause(), cause::ILLEGAL);
    let stop = run_user(&mut s, a, CODE + 0x1000, |x| {
        x.li(T0, 0x5c8);
        x.emit("csrrw", 0, T0, 0, 0x5c8);
    });
    assert_eq!(stop.cause(), cause::ILLEGAL, "sxlgive is S-only");
    let code = s.asm(|x| ins(x, "xline.give", 0, 0, 0));
    let pc = s.kernel_code(&code);
    s.enter(Priv::S, pc, a);
    assert_eq!(s.run().cause(), cause::ILLEGAL, "xline.give is U-only");
    // Malformed descriptors are illegal: misaligned base, no permission, not RAM.
    for (vb, pb, info) in [(PAGE + 8, 0x8040_0000u64, 1 | 3 << 32), (PAGE, 0x8040_0000, 1), (PAGE, 0x1000, 1 | 1 << 32)]
    {
        let desc = s.alloc(1);
        s.write_words(desc, &[vb, pb, info, 1]);
        let code = s.asm(|x| {
            x.li(T1, desc as i64);
            ins(x, "xline.set", 0, 0, T1);
        });
        let pc = s.kernel_code(&code);
        s.enter(Priv::S, pc, a);
        assert_eq!(s.run().cause(), cause::ILLEGAL, "{vb:#x} {pb:#x} {info:#x}");
    }
}

/// [`fast_path_give`]'s program on a fresh system: 200 times `xline.give`
/// of a giveable window (alternately windows 0 and 2), then a give of
/// window 1, owned by another ASID.
fn fast_path_give_run(kind: EngineKind) -> (Sys, Stop) {
    let mut s = Sys::new("xline:windows=4", kind);
    let a = s.new_space(1);
    let p = s.alloc(1);
    install(&mut s, a, 0, &window(PAGE, 1, p, 1, true, true, true));
    install(&mut s, a, 1, &window(PAGE + 0x1000, 1, p, 2, true, true, true));
    install(&mut s, a, 2, &window(PAGE + 0x2000, 1, p, 1, true, false, true));
    let stop = run_user(&mut s, a, CODE, |x| {
        x.li(T2, 200);
        let top = x.here();
        x.emit("andi", T0, T2, 0, 1);
        x.emit("slli", T0, T0, 0, 1);
        ins(x, "xline.give", 0, T0, 0);
        x.emit("addi", T2, T2, 0, -1);
        let back = top - x.here();
        x.emit("bne", 0, T2, 0, back);
        x.li(T0, 1);
        ins(x, "xline.give", 0, T0, 0);
    });
    (s, stop)
}

/// The inline fast path of `xline.give`: the same `xlgive`, counts and
/// cycles as the interpreter, the same fault for a window of another ASID,
/// and no helper call for the 200 good ones on the JIT.
fn fast_path_give(kind: EngineKind) {
    let (mut s, stop) = fast_path_give_run(kind);
    assert!(matches!(stop, Stop::Trap { cause: causes::XLINE_GIVE, tval: 1, .. }), "{stop:?}");
    assert_eq!(s.csrr(xline::csr::XLGIVE) & 0b111, 0b101, "windows 0 and 2 given, 1 not");
    let (reference, _) = fast_path_give_run(EngineKind::Interp);
    assert_eq!(s.snapshot(), reference.snapshot(), "state as on the interpreter");
    s.assert_fast_paths(1, 10, 200);
}

engine_tests! {
    fast_path_give_t => fast_path_give;
    translation_t => translation;
    permissions_t => permissions;
    other_owner_t => other_owner_invisible;
    give_faults_t => give_faults;
    hand_over_t => hand_over_through_gcall, all_regs;
    callee_without_give_t => callee_without_give;
    tlb_interplay_t => tlb_interplay;
    privilege_t => privilege;
}
