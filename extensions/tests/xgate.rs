//! Xgate: semantics, traps, privilege, interrupts/paging, isolation (SPEC §2, §8).

mod common;

use common::{csrr, csrw, ins, pte, reg::*, EngineKind, Stop, Sys};
use mkjit_extensions::common::causes;
use mkjit_extensions::xgate::{self, csr, Gate, GateKind};
use mkjit_extensions::xline;
use mkjit_runtime::hart::Priv;
use mkjit_runtime::trap::cause;

const CALLER_PC: u64 = 0x1_0000;
const CALLEE_PC: u64 = 0x2_0000;
const GATE: u64 = 5;
const BADGE: u64 = 0xbad9e;

/// Caller space A (ASID 1) and callee space B (ASID 2) with a link stack.
struct Setup {
    s: Sys,
    a: u64,
    b: u64,
    ls: u64,
}

fn setup(kind: EngineKind, exts: &str) -> Setup {
    let mut s = Sys::new(exts, kind);
    let a = s.new_space(1);
    let b = s.new_space(2);
    let ls = s.alloc(1);
    s.csrw(csr::LSBASE, ls);
    s.csrw(csr::LSLIMIT, ls + 0x1000);
    s.csrw(csr::LSP, ls);
    Setup { s, a, b, ls }
}

fn sync_gate(satp: u64, pc: u64) -> Gate {
    Gate { kind: GateKind::Sync, satp, pc, badge: BADGE, gtp: 0, target: 0, reply: 0xff }
}

fn fill(s: &mut Sys, asid: u64, index: u64, g: Gate) {
    xgate::state_mut(&mut s.m).clb.fill(asid, index, g);
}

/// Caller: a0 = 41, gcall GATE, ecall. Callee: a0 += 1, a1 = gbadge, clobber sp, gret.
fn round_trip_code(t: &mut Setup) {
    let caller = t.s.asm(|a| {
        a.li(A0, 41);
        a.li(T0, GATE as i64);
        ins(a, "gcall", 0, T0, 0);
        a.emit("ecall", 0, 0, 0, 0);
    });
    let callee = t.s.asm(|a| {
        a.emit("addi", A0, A0, 0, 1);
        csrr(a, A1, csr::GBADGE);
        a.li(SP, 0x1234);
        ins(a, "gret", 0, 0, 0);
    });
    let (sa, sb) = (t.a, t.b);
    t.s.user_code(sa, CALLER_PC, &caller);
    t.s.user_code(sb, CALLEE_PC, &callee);
}

fn round_trip(kind: EngineKind) {
    let mut t = setup(kind, "xgate");
    round_trip_code(&mut t);
    fill(&mut t.s, 1, GATE, sync_gate(t.b, CALLEE_PC));
    t.s.set_x(SP, 0x7fff_f000);
    t.s.enter(Priv::U, CALLER_PC, t.a);
    let stop = t.s.run();
    assert_eq!(stop.cause(), cause::ECALL_U, "{stop:?}");
    assert_eq!(t.s.x(A0), 42, "callee ran on the argument");
    assert_eq!(t.s.x(A1), BADGE, "callee read the badge");
    assert_eq!(t.s.x(SP), 0x7fff_f000, "gret restores the caller's sp");
    assert_eq!(t.s.m.hart.csr.satp, t.a, "back in the caller's space");
    assert_eq!(t.s.csrr(csr::LSP), t.ls, "link stack popped");
    assert_eq!(t.s.csrr(csr::SGBADGE), 0, "caller's gbadge restored");
    // The pushed record stays in memory (kernel-visible).
    let rec: Vec<u64> = (0..8).map(|k| t.s.read_u64(t.ls + 8 * k)).collect();
    assert_eq!(rec[0], t.a);
    assert_eq!(rec[1], CALLER_PC + 12, "return pc = gcall pc + 4");
    assert_eq!(rec[3], t.b);
    assert_eq!(rec[5], 0x7fff_f000);
    assert_eq!(rec[6], xgate::LINK_VALID);
    assert_eq!(rec[7], GATE);
    let st = xgate::state(&t.s.m);
    assert_eq!(st.ctr.counts[xgate::E_GCALL], 1);
    assert_eq!(st.ctr.counts[xgate::E_GRET], 1);
    assert_eq!(st.ctr.counts[xgate::E_CLB_HIT], 1);
    assert_eq!(st.max_depth, 1);
}

fn clb_miss_traps_precisely(kind: EngineKind) {
    let mut t = setup(kind, "xgate");
    round_trip_code(&mut t);
    // A gate of ASID 2 with the same index must not serve ASID 1 (no forging across spaces).
    fill(&mut t.s, 2, GATE, sync_gate(t.b, CALLEE_PC));
    t.s.enter(Priv::U, CALLER_PC, t.a);
    let stop = t.s.run();
    let Stop::Trap { cause, tval, epc, from } = stop else { panic!("{stop:?}") };
    assert_eq!((cause, tval, from), (causes::CLB_MISS, GATE, Priv::U));
    assert!((CALLER_PC..CALLER_PC + 0x20).contains(&epc));
    assert_eq!(t.s.m.hart.csr.satp, t.a, "no state changed");
    assert_eq!(t.s.csrr(csr::LSP), t.ls);
    assert_eq!(t.s.read_u64(t.ls), 0, "nothing pushed");
}

/// The kernel's CLB-miss handler (S-mode, delegated): gfill from a descriptor
/// table indexed by stval, then sret to retry.
fn kernel_fill_and_retry(kind: EngineKind) {
    let mut t = setup(kind, "xgate");
    round_trip_code(&mut t);
    let table = t.s.alloc(1);
    let info = 1 | (1 << 16); // caller ASID 1, kind SYNC
    t.s.write_words(table + 64 * GATE, &[t.b, CALLEE_PC, BADGE, 0, info, 0, 0, 0]);
    let handler = t.s.asm(|a| {
        csrr(a, T0, 0x143); // stval
        a.emit("slli", T1, T0, 0, 6);
        a.li(T2, table as i64);
        a.emit("add", T1, T1, T2, 0);
        ins(a, "gfill", 0, T0, T1);
        a.emit("sret", 0, 0, 0, 0);
    });
    let h = t.s.kernel_code(&handler);
    t.s.delegate(&[causes::CLB_MISS], h);
    t.s.enter(Priv::U, CALLER_PC, t.a);
    let stop = t.s.run();
    assert_eq!(stop.cause(), cause::ECALL_U, "{stop:?}");
    assert_eq!(t.s.x(A0), 42);
    assert_eq!(t.s.m.stats.exceptions[causes::CLB_MISS as usize], 1, "one miss, then a hit");
    let st = xgate::state(&t.s.m);
    assert_eq!(st.ctr.counts[xgate::E_CLB_FILL], 1);
    assert_eq!(st.ctr.counts[xgate::E_CLB_MISS], 1);
    assert_eq!(st.ctr.counts[xgate::E_CLB_HIT], 1);
}

fn walk_mode(kind: EngineKind) {
    let mut t = setup(kind, "xgate");
    round_trip_code(&mut t);
    let table = t.s.alloc(1);
    t.s.write_words(table + 64 * GATE, &[t.b, CALLEE_PC, BADGE, 0, 1 << 16, 0, 0, 0]);
    t.s.csrw(csr::GTP, table | 6); // 64 entries
    t.s.enter(Priv::U, CALLER_PC, t.a);
    assert_eq!(t.s.run().cause(), cause::ECALL_U);
    assert_eq!(t.s.x(A0), 42);
    // Second call: CLB hit, no walk.
    t.s.enter(Priv::U, CALLER_PC, t.a);
    assert_eq!(t.s.run().cause(), cause::ECALL_U);
    let st = xgate::state(&t.s.m);
    assert_eq!(st.ctr.counts[xgate::E_WALK], 1);
    assert_eq!(st.ctr.counts[xgate::E_CLB_HIT], 1);
    // Index beyond the table, and a NONE entry, still trap to the kernel.
    for idx in [64u64, 6] {
        let code = t.s.asm(|a| {
            a.li(T0, idx as i64);
            ins(a, "gcall", 0, T0, 0);
        });
        t.s.user_code(t.a, 0x3_0000 + idx * 0x1000, &code);
        t.s.enter(Priv::U, 0x3_0000 + idx * 0x1000, t.a);
        let stop = t.s.run();
        assert!(matches!(stop, Stop::Trap { cause: causes::CLB_MISS, tval, .. } if tval == idx), "{stop:?}");
    }
}

fn walker_absent_hardwires_gtp(kind: EngineKind) {
    let mut t = setup(kind, "xgate:walk=0:clb=4");
    t.s.csrw(csr::GTP, 0x8040_0006);
    assert_eq!(t.s.csrr(csr::GTP), 0);
    assert_eq!(t.s.csrr(csr::XGATECFG), 4);
}

fn gate_kind(kind: EngineKind) {
    for (g, what) in [
        (Gate { kind: GateKind::Endpoint, ..sync_gate(0, 0) }, "endpoint"),
        (Gate { kind: GateKind::None, ..sync_gate(0, 0) }, "negative entry"),
        (sync_gate(0, CALLEE_PC), "bare satp"),
    ] {
        let mut t = setup(kind, "xgate");
        round_trip_code(&mut t);
        let g = if what == "bare satp" { g } else { Gate { satp: t.b, ..g } };
        fill(&mut t.s, 1, GATE, g);
        t.s.enter(Priv::U, CALLER_PC, t.a);
        let stop = t.s.run();
        assert!(matches!(stop, Stop::Trap { cause: causes::GATE_KIND, tval: GATE, .. }), "{what}: {stop:?}");
        assert_eq!(t.s.m.hart.csr.satp, t.a, "{what}");
    }
}

fn link_overflow(kind: EngineKind) {
    let mut t = setup(kind, "xgate");
    // One record only: the callee's nested gcall overflows.
    t.s.csrw(csr::LSLIMIT, t.ls + 64);
    let caller = t.s.asm(|a| {
        a.li(T0, GATE as i64);
        ins(a, "gcall", 0, T0, 0);
    });
    let callee = t.s.asm(|a| {
        a.li(T0, 9);
        ins(a, "gcall", 0, T0, 0);
    });
    t.s.user_code(t.a, CALLER_PC, &caller);
    t.s.user_code(t.b, CALLEE_PC, &callee);
    fill(&mut t.s, 1, GATE, sync_gate(t.b, CALLEE_PC));
    fill(&mut t.s, 2, 9, sync_gate(t.a, CALLER_PC));
    t.s.enter(Priv::U, CALLER_PC, t.a);
    let stop = t.s.run();
    assert!(matches!(stop, Stop::Trap { cause: causes::LINK_OVERFLOW, tval: 9, .. }), "{stop:?}");
    assert_eq!(t.s.m.hart.csr.satp, t.b, "still in the callee");
    assert_eq!(t.s.csrr(csr::LSP), t.ls + 64);
}

fn link_underflow(kind: EngineKind) {
    let mut t = setup(kind, "xgate");
    let code = t.s.asm(|a| ins(a, "gret", 0, 0, 0));
    t.s.user_code(t.a, CALLER_PC, &code);
    t.s.enter(Priv::U, CALLER_PC, t.a);
    let stop = t.s.run();
    assert_eq!(stop, Stop::Trap { cause: causes::LINK_UNDERFLOW, epc: CALLER_PC, tval: t.ls, from: Priv::U });
}

/// A record whose callee is another space (or that is not valid) cannot be popped.
fn foreign_record(kind: EngineKind) {
    let mut t = setup(kind, "xgate");
    let c = t.s.new_space(3);
    let code = t.s.asm(|a| ins(a, "gret", 0, 0, 0));
    t.s.user_code(c, CALLER_PC, &code);
    // Top record: A called B. Space C tries to return through it.
    t.s.write_words(t.ls, &[t.a, CALLER_PC, 0, t.b, 0, 0, xgate::LINK_VALID, GATE]);
    t.s.csrw(csr::LSP, t.ls + 64);
    t.s.enter(Priv::U, CALLER_PC, c);
    let stop = t.s.run();
    assert_eq!(stop, Stop::Trap { cause: causes::LINK_FOREIGN, epc: CALLER_PC, tval: t.ls, from: Priv::U });
    // The right callee, but the record is not valid.
    t.s.write_words(t.ls, &[t.a, CALLER_PC, 0, c, 0, 0, 0, GATE]);
    t.s.enter(Priv::U, CALLER_PC, c);
    assert_eq!(t.s.run().cause(), causes::LINK_FOREIGN);
    assert_eq!(t.s.csrr(csr::LSP), t.ls + 64, "nothing popped");
}

/// A callee that returns twice finds its caller's caller's record: foreign.
fn callee_cannot_return_twice(kind: EngineKind) {
    let mut t = setup(kind, "xgate");
    let c = t.s.new_space(3);
    // A -> B -> C; C returns twice.
    let a_code = t.s.asm(|a| {
        a.li(T0, 1);
        ins(a, "gcall", 0, T0, 0);
        a.emit("ecall", 0, 0, 0, 0);
    });
    let b_code = t.s.asm(|a| {
        a.li(T0, 2);
        ins(a, "gcall", 0, T0, 0);
        ins(a, "gret", 0, 0, 0);
    });
    let c_code = t.s.asm(|a| {
        ins(a, "gret", 0, 0, 0);
    });
    t.s.user_code(t.a, CALLER_PC, &a_code);
    t.s.user_code(t.b, CALLEE_PC, &b_code);
    t.s.user_code(c, 0x4_0000, &c_code);
    fill(&mut t.s, 1, 1, sync_gate(t.b, CALLEE_PC));
    fill(&mut t.s, 2, 2, sync_gate(c, 0x4_0000));
    t.s.enter(Priv::U, CALLER_PC, t.a);
    assert_eq!(t.s.run().cause(), cause::ECALL_U, "nested call and return work");
    assert_eq!(xgate::state(&t.s.m).max_depth, 2);
    // Now C (entered directly with B's record on top) tries to pop it.
    t.s.write_words(t.ls, &[t.a, CALLER_PC + 8, 0, t.b, 0, 0, xgate::LINK_VALID, 1]);
    t.s.csrw(csr::LSP, t.ls + 64);
    t.s.enter(Priv::U, 0x4_0000, c);
    assert_eq!(t.s.run().cause(), causes::LINK_FOREIGN);
}

fn privilege(kind: EngineKind) {
    let mut t = setup(kind, "xgate");
    // S-mode gcall/gret are illegal.
    for name in ["gcall", "gret"] {
        let code = t.s.asm(|a| ins(a, name, 0, if name == "gcall" { T0 } else { 0 }, 0));
        let pc = t.s.kernel_code(&code);
        t.s.enter(Priv::S, pc, t.a);
        let stop = t.s.run();
        assert_eq!(stop.cause(), cause::ILLEGAL, "{name} in S-mode");
    }
    // U-mode gfill/gflush and the link-stack CSRs are illegal.
    let mut pc = 0x5_0000;
    for body in [0u32, 1, 2, 3, 4] {
        let code = t.s.asm(|a| match body {
            0 => ins(a, "gfill", 0, T0, T1),
            1 => ins(a, "gflush", 0, 0, 0),
            2 => csrw(a, csr::LSP, T0),
            3 => csrr(a, T0, csr::LSBASE),
            _ => csrw(a, csr::GBADGE, T0),
        });
        t.s.user_code(t.a, pc, &code);
        t.s.enter(Priv::U, pc, t.a);
        assert_eq!(t.s.run().cause(), cause::ILLEGAL, "U-mode case {body}");
        pc += 0x1000;
    }
}

fn gflush(kind: EngineKind) {
    let mut t = setup(kind, "xgate");
    for (asid, idx) in [(1, 1), (1, 2), (2, 1), (2, 2)] {
        fill(&mut t.s, asid, idx, sync_gate(t.b, CALLEE_PC));
    }
    let flush_code = t.s.asm(|a| {
        a.li(T0, 1);
        a.li(T1, 2);
        ins(a, "gflush", 0, T0, T1); // (asid 2, index 1)
        ins(a, "gflush", 0, 0, T0); // every index of asid 1
        a.emit("ebreak", 0, 0, 0, 0);
    });
    let pc = t.s.kernel_code(&flush_code);
    t.s.enter(Priv::S, pc, t.a);
    assert_eq!(t.s.run().cause(), cause::BREAKPOINT);
    let clb = &xgate::state(&t.s.m).clb;
    assert!(clb.find(1, 1).is_none() && clb.find(1, 2).is_none() && clb.find(2, 1).is_none());
    assert!(clb.find(2, 2).is_some());
    assert_eq!(clb.occupancy(), 1);
}

/// An interrupt right after gcall is taken in the callee's space (thread migration).
fn interrupt_in_callee(kind: EngineKind) {
    let mut t = setup(kind, "xgate");
    let caller = t.s.asm(|a| {
        a.li(T0, GATE as i64);
        ins(a, "gcall", 0, T0, 0);
    });
    let callee = t.s.asm(|a| {
        a.emit("addi", A0, A0, 0, 1);
        a.emit("jal", 0, 0, 0, -4);
    });
    t.s.user_code(t.a, CALLER_PC, &caller);
    t.s.user_code(t.b, CALLEE_PC, &callee);
    fill(&mut t.s, 1, GATE, sync_gate(t.b, CALLEE_PC));
    // Machine timer due in 100 ticks; MTIE on (U-mode always takes M interrupts).
    let now = t.s.m.mtime();
    assert!(t.s.m.bus.devices.write(0x200_4000, 8, now + 100, now));
    t.s.csrw(0x304, 1 << 7);
    t.s.enter(Priv::U, CALLER_PC, t.a);
    let stop = t.s.run();
    let Stop::Trap { cause, epc, .. } = stop else { panic!("{stop:?}") };
    assert_eq!(cause, mkjit_runtime::trap::cause::INTERRUPT | 7);
    assert!((CALLEE_PC..CALLEE_PC + 8).contains(&epc), "interrupted in the callee: {epc:#x}");
    assert_eq!(t.s.m.hart.csr.satp, t.b);
    assert!(t.s.x(A0) > 0);
}

/// A page fault in the callee is reported with the callee's satp and pc.
fn fault_in_callee(kind: EngineKind) {
    let mut t = setup(kind, "xgate");
    let caller = t.s.asm(|a| {
        a.li(T0, GATE as i64);
        ins(a, "gcall", 0, T0, 0);
    });
    let callee = t.s.asm(|a| {
        a.li(T1, 0x6_0000);
        a.emit("ld", A0, T1, 0, 0);
    });
    t.s.user_code(t.a, CALLER_PC, &caller);
    t.s.map_new(t.a, 0x6_0000, 0x1000, pte::URW); // mapped in A only
    t.s.user_code(t.b, CALLEE_PC, &callee);
    fill(&mut t.s, 1, GATE, sync_gate(t.b, CALLEE_PC));
    t.s.enter(Priv::U, CALLER_PC, t.a);
    let stop = t.s.run();
    let Stop::Trap { cause, tval, epc, .. } = stop else { panic!("{stop:?}") };
    assert_eq!((cause, tval), (cause::LOAD_PAGE, 0x6_0000));
    assert!((CALLEE_PC..CALLEE_PC + 0x20).contains(&epc));
    assert_eq!(t.s.m.hart.csr.satp, t.b);
}

/// gcall/gret do not flush the TLB: a second round trip walks no page table.
fn no_tlb_flush(kind: EngineKind) {
    let mut t = setup(kind, "xgate");
    round_trip_code(&mut t);
    fill(&mut t.s, 1, GATE, sync_gate(t.b, CALLEE_PC));
    t.s.enter(Priv::U, CALLER_PC, t.a);
    assert_eq!(t.s.run().cause(), cause::ECALL_U);
    let fills = t.s.m.stats.tlb_fills;
    t.s.enter(Priv::U, CALLER_PC, t.a);
    assert_eq!(t.s.run().cause(), cause::ECALL_U);
    // The only new fill is the M-mode stub's store to the watched `tohost` page.
    assert_eq!(t.s.m.stats.tlb_fills, fills + 1, "translations survived the address-space switches");
}

fn disabled_is_illegal(kind: EngineKind) {
    let mut s = Sys::new("", kind);
    let a = s.new_space(1);
    let word: u32 = 0x0002_800b; // gcall t0 (custom-0, funct3 0, funct7 0, rs1 = t0)
    s.user_code(a, CALLER_PC, &word.to_le_bytes());
    s.enter(Priv::U, CALLER_PC, a);
    let stop = s.run();
    assert_eq!(stop, Stop::Trap { cause: cause::ILLEGAL, epc: CALLER_PC, tval: word as u64, from: Priv::U });
    // Reserved register fields are illegal even when enabled.
    let mut s = Sys::new("xgate", kind);
    let a = s.new_space(1);
    let bad: u32 = 0x0002_850b; // gcall with rd = a0
    s.user_code(a, CALLER_PC, &bad.to_le_bytes());
    s.enter(Priv::U, CALLER_PC, a);
    assert_eq!(s.run().cause(), cause::ILLEGAL);
}

fn stats_lines(kind: EngineKind) {
    let mut t = setup(kind, "xgate");
    round_trip_code(&mut t);
    fill(&mut t.s, 1, GATE, sync_gate(t.b, CALLEE_PC));
    t.s.enter(Priv::U, CALLER_PC, t.a);
    t.s.run();
    let lines = mkjit_extensions::registry::stats(&t.s.m);
    let get = |k: &str| lines.iter().find(|(n, _)| n == k).map(|(_, v)| *v);
    assert_eq!(get("xgate.gcall"), Some(1));
    assert_eq!(get("xgate.link_push"), Some(1));
    assert_eq!(get("xgate.link_max_depth"), Some(1));
    assert!(get("xgate.modeled_cycles").unwrap() > 0);
    let report = t.s.m.stats_report(t.s.engine.as_ref());
    assert!(report.contains("xgate.gret"), "{report}");
}

/// [`fast_path_calls`]'s program: 200 round trips through a call gate
/// (the callee increments a0 and returns), each handing line window 0 over
/// and back when `window`, then a gcall through a gate that is not in the CLB.
fn fast_path_run(kind: EngineKind, window: bool) -> (Setup, Stop) {
    let mut t = setup(kind, if window { "xgate,xline:windows=4" } else { "xgate" });
    if window {
        let w = &mut xline::state_mut(&mut t.s.m).windows[0];
        *w = xline::Window { valid: true, vbase: 0x5_0000, lines: 1, pbase: t.ls, r: true, w: true, g: true, owner: 1 };
    }
    let caller = t.s.asm(|a| {
        a.li(A0, 0);
        a.li(T2, 200);
        a.li(T0, GATE as i64);
        let top = a.here();
        if window {
            ins(a, "xline.give", 0, 0, 0);
        }
        ins(a, "gcall", 0, T0, 0);
        a.emit("addi", T2, T2, 0, -1);
        let back = top - a.here();
        a.emit("bne", 0, T2, 0, back);
        a.li(T0, GATE as i64 + 1);
        ins(a, "gcall", 0, T0, 0);
    });
    let callee = t.s.asm(|a| {
        a.emit("addi", A0, A0, 0, 1);
        ins(a, "gret", 0, 0, 0);
    });
    let (sa, sb) = (t.a, t.b);
    t.s.user_code(sa, CALLER_PC, &caller);
    t.s.user_code(sb, CALLEE_PC, &callee);
    fill(&mut t.s, 1, GATE, sync_gate(t.b, CALLEE_PC));
    t.s.set_x(SP, 0x7fff_f000);
    t.s.enter(Priv::U, CALLER_PC, t.a);
    let stop = t.s.run();
    (t, stop)
}

/// Inline `gcall`/`gret`: the same registers, link stack, counts, cycles and
/// final CLB miss as the interpreter, with the round trips served without
/// helper calls on the JIT.
fn fast_path_calls(kind: EngineKind) {
    for window in [false, true] {
        fast_path_calls_with(kind, window);
    }
}

fn fast_path_calls_with(kind: EngineKind, window: bool) {
    let (t, stop) = fast_path_run(kind, window);
    assert!(matches!(stop, Stop::Trap { cause: causes::CLB_MISS, tval, .. } if tval == GATE + 1), "{stop:?}");
    assert_eq!(t.s.x(A0), 200, "200 calls reached the callee");
    assert_eq!(t.s.m.hart.csr.satp, t.a, "back in the caller's space");
    let st = xgate::state(&t.s.m);
    assert_eq!((st.ctr.counts[xgate::E_GCALL], st.ctr.counts[xgate::E_GRET]), (200, 200));
    assert_eq!(st.max_depth, 1);
    if window {
        let st = xline::state(&t.s.m);
        assert_eq!(st.windows[0].owner, 1, "the window came back");
        assert_eq!(st.ctr.counts[3], 400, "xline.handoff: over and back 200 times");
    }
    let (reference, _) = fast_path_run(EngineKind::Interp, window);
    assert_eq!(t.s.snapshot(), reference.s.snapshot(), "state as on the interpreter");
    let rec: Vec<u64> = (0..8).map(|k| t.s.read_u64(t.ls + 8 * k)).collect();
    let want: Vec<u64> = (0..8).map(|k| reference.s.read_u64(reference.ls + 8 * k)).collect();
    assert_eq!(rec, want, "the last link record");
    t.s.assert_fast_paths(2, 20, 400);
}

engine_tests! {
    fast_path_calls_t => fast_path_calls, all_regs;
    round_trip_t => round_trip, all_regs;
    clb_miss_t => clb_miss_traps_precisely;
    kernel_fill_t => kernel_fill_and_retry;
    walk_mode_t => walk_mode;
    walker_absent_t => walker_absent_hardwires_gtp;
    gate_kind_t => gate_kind;
    link_overflow_t => link_overflow;
    link_underflow_t => link_underflow;
    foreign_record_t => foreign_record;
    return_twice_t => callee_cannot_return_twice;
    privilege_t => privilege;
    gflush_t => gflush;
    interrupt_in_callee_t => interrupt_in_callee;
    fault_in_callee_t => fault_in_callee;
    no_tlb_flush_t => no_tlb_flush;
    disabled_t => disabled_is_illegal;
    stats_t => stats_lines;
}
