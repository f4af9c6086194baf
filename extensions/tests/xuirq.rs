//! Xuirq: delivery from each source kind, level-triggered masking, uiret,
//! slot misses, waking a stalled hart, privilege and isolation (SPEC §6, §8).

mod common;

use common::{csrr, csrw, ins, pte, reg::*, EngineKind, Stop, Sys};
use mkjit_extensions::common::{causes, status, NONE};
use mkjit_extensions::xctx::{self, Slot, IMAGE_WORDS};
use mkjit_extensions::xgate::{self, Gate, GateKind};
use mkjit_extensions::xuirq;
use mkjit_runtime::devices::MmioDevice;
use mkjit_runtime::hart::Priv;
use mkjit_runtime::isa::encode::Asm;
use mkjit_runtime::trap::cause;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

const MAIN_PC: u64 = 0x1_0000;
const HANDLER_PC: u64 = 0x2_0000;
const COUNTER: u64 = 0x6_0000;
const DEV_VA: u64 = 0x9_0000;
const DEV_PA: u64 = 0x3000_0000;
const IRQ: u64 = 5;

/// A device whose level-triggered line is raised by the test and cleared by a
/// store of 0 (as a driver clears an interrupt cause).
struct Line(Arc<AtomicBool>);

impl MmioDevice for Line {
    fn read(&mut self, _off: u64, _size: u8, _now: u64) -> Option<u64> {
        Some(self.0.load(Ordering::SeqCst) as u64)
    }
    fn write(&mut self, _off: u64, _size: u8, v: u64, _now: u64) -> bool {
        self.0.store(v != 0, Ordering::SeqCst);
        true
    }
    fn irq_line(&self, _now: u64) -> bool {
        self.0.load(Ordering::SeqCst)
    }
}

struct World {
    s: Sys,
    main: u64,
    hsp: u64,
    counter: u64,
    line: Arc<AtomicBool>,
}

fn blank(satp: u64) -> Slot {
    let mut w = [0u64; IMAGE_WORDS];
    w[32] = satp;
    w[43] = 0xffff_ffff;
    w[44] = u64::MAX;
    w[46] = NONE;
    Slot { present: true, image: w }
}

/// Main context in space A (slot 0, running, UIE = 1); handler context in
/// space B (slot 1) with a counter page and the device page mapped.
fn world(kind: EngineKind, exts: &str) -> World {
    let mut s = Sys::new(exts, kind);
    let line = Arc::new(AtomicBool::new(false));
    s.m.bus.devices.add_device(DEV_PA, 0x1000, Some(IRQ as u32), Box::new(Line(line.clone()))).unwrap();
    let (main, hsp) = (s.new_space(1), s.new_space(2));
    let counter = s.map_new(hsp, COUNTER, 0x1000, pte::URW);
    s.map(hsp, DEV_VA, DEV_PA, pte::URW);
    xctx::state_mut(&mut s.m).slots[0] = blank(main);
    xctx::state_mut(&mut s.m).slots[1] = blank(hsp);
    s.csrw(0x5d0, 0); // ctxcur
    s.csrw(0x5d8, 1); // UIE
    World { s, main, hsp, counter, line }
}

/// Handler: counter += 1; a0 = uicause; optionally clear the device line and ack; uiret.
fn handler(w: &mut World, clear: bool, ack: bool) {
    let code = w.s.asm(|a| {
        csrr(a, A0, 0xcd8);
        a.li(T0, COUNTER as i64);
        a.emit("ld", T1, T0, 0, 0);
        a.emit("addi", T1, T1, 0, 1);
        a.emit("sd", 0, T0, T1, 0);
        csrr(a, T1, 0xcd9); // uiprev
        a.emit("sd", 0, T0, T1, 8);
        if clear {
            a.li(T2, DEV_VA as i64);
            a.emit("sw", 0, T2, 0, 0);
        }
        if ack {
            ins(a, "uiack", 0, A0, 0);
        }
        ins(a, "uiret", 0, 0, 0);
    });
    let hsp = w.hsp;
    w.s.user_code(hsp, HANDLER_PC, &code);
}

/// Binds `b` through `uirq.bind` in S-mode.
fn bind(s: &mut Sys, b: u64, kind: u64, number: u64, slot: u64, pc: u64) {
    let desc = s.alloc(1);
    s.write_words(desc, &[kind | number << 16, slot, pc, 0]);
    let code = s.asm(|a| {
        a.li(T0, b as i64);
        a.li(T1, desc as i64);
        ins(a, "uirq.bind", 0, T0, T1);
        a.emit("ebreak", 0, 0, 0, 0);
    });
    let pc0 = s.kernel_code(&code);
    let satp = s.m.hart.csr.satp;
    s.enter(Priv::S, pc0, satp);
    assert_eq!(s.run().cause(), cause::BREAKPOINT);
}

/// Main: prologue, then a countdown loop of `n` iterations, then ebreak.
fn run_main(w: &mut World, n: i64, prologue: impl FnOnce(&mut Asm)) -> Stop {
    let code = w.s.asm(|a| {
        a.li(S2, 0x5a5a);
        prologue(a);
        a.li(S1, n);
        a.emit("addi", S1, S1, 0, -1);
        a.emit("bne", 0, S1, 0, -4);
        a.emit("ebreak", 0, 0, 0, 0);
    });
    let main = w.main;
    w.s.user_code(main, MAIN_PC, &code);
    w.s.enter(Priv::U, MAIN_PC, main);
    w.s.run()
}

fn deliveries(w: &World) -> u64 {
    xuirq::state(&w.s.m).ctr.counts[xuirq::E_DELIVER]
}

/// A user doorbell through a DOORBELL gate: delivered without kernel entry, uiret resumes main.
fn doorbell(kind: EngineKind) {
    let mut w = world(kind, "xuirq,xgate");
    handler(&mut w, false, true);
    bind(&mut w.s, 3, 3, 0, 1, HANDLER_PC);
    let g = Gate { kind: GateKind::Doorbell, satp: 0, pc: 0, badge: 0, gtp: 0, target: 3, reply: 0xff };
    xgate::state_mut(&mut w.s.m).clb.fill(1, 4, g);
    let traps = w.s.m.stats.exceptions.iter().sum::<u64>();
    let stop = run_main(&mut w, 10, |a| {
        a.li(T0, 4);
        ins(a, "uipi", A1, T0, 0);
    });
    assert!(matches!(stop, Stop::Trap { cause: cause::BREAKPOINT, from: Priv::U, .. }), "{stop:?}");
    assert_eq!(w.s.read_u64(w.counter), 1, "handler ran once");
    assert_eq!(w.s.read_u64(w.counter + 8), 0, "uiprev = the interrupted slot");
    assert_eq!((w.s.x(A1), w.s.x(S2), w.s.x(S1)), (status::OK, 0x5a5a, 0), "main's registers intact");
    assert_eq!(w.s.m.hart.csr.satp, w.main);
    assert_eq!(w.s.csrr(0x5d8), 1, "UIE back on");
    assert_eq!(xctx::state(&w.s.m).slots[1].image[10], 3, "handler saw uicause = 3");
    assert_eq!(w.s.m.stats.exceptions.iter().sum::<u64>(), traps + 1, "no kernel entry besides the final ebreak");
}

/// Level-triggered PLIC source: claimed at the gateway on delivery, so a line
/// that stays high is not redelivered until the handler acknowledges.
fn plic_level_masking(kind: EngineKind) {
    let mut w = world(kind, "xuirq");
    handler(&mut w, false, false); // neither clears the line nor acks
    bind(&mut w.s, 0, 1, IRQ, 1, HANDLER_PC);
    w.line.store(true, Ordering::SeqCst);
    let stop = run_main(&mut w, 200, |_| {});
    assert_eq!(stop.cause(), cause::BREAKPOINT, "{stop:?}");
    assert_eq!(w.s.read_u64(w.counter), 1, "one delivery per assertion: masked until ack");
    let now = w.s.m.mtime();
    assert_eq!(w.s.m.bus.devices.plic_pending(now) >> IRQ & 1, 0, "claimed at the gateway");
    assert!(xuirq::state(&w.s.m).bindings[0].in_service);
    // The driver clears the cause and acknowledges: no storm, one more delivery only if re-raised.
    let mut w = world(kind, "xuirq");
    handler(&mut w, true, true);
    bind(&mut w.s, 0, 1, IRQ, 1, HANDLER_PC);
    w.line.store(true, Ordering::SeqCst);
    let stop = run_main(&mut w, 200, |_| {});
    assert_eq!(stop.cause(), cause::BREAKPOINT);
    assert_eq!(w.s.read_u64(w.counter), 1);
    assert!(!xuirq::state(&w.s.m).bindings[0].in_service, "acknowledged");
    // The line rises again: delivered again.
    w.line.store(true, Ordering::SeqCst);
    let stop = run_main(&mut w, 50, |_| {});
    assert_eq!(stop.cause(), cause::BREAKPOINT);
    assert_eq!(w.s.read_u64(w.counter), 2);
}

/// The user timer: a kernel-bypass timer interrupt for user-level schedulers.
fn timer(kind: EngineKind) {
    let mut w = world(kind, "xuirq");
    handler(&mut w, false, true);
    bind(&mut w.s, 1, 2, 0, 1, HANDLER_PC);
    let due = w.s.m.mtime() + 30;
    let stop = run_main(&mut w, 2000, |a| {
        a.li(T0, due as i64);
        csrw(a, 0x800, T0);
    });
    assert_eq!(stop.cause(), cause::BREAKPOINT, "{stop:?}");
    assert_eq!(deliveries(&w), 1);
    assert_eq!(w.s.csrr(0x800), u64::MAX, "one-shot: uitimecmp reset on delivery");
}

/// Message arrival on an Xamsg queue as an event that switches to the receiver.
fn queue_source(kind: EngineKind) {
    let mut w = world(kind, "xuirq,xamsg");
    let hsp = w.hsp;
    let buf = w.s.map_new(hsp, 0x7_0000, 0x1000, pte::URW);
    let code = w.s.asm(|a| {
        a.li(T0, 0);
        a.li(T1, 0x7_0000);
        ins(a, "arecv", A2, T0, T1);
        csrr(a, A0, 0xcd8);
        ins(a, "uiack", 0, A0, 0);
        ins(a, "uiret", 0, 0, 0);
    });
    w.s.user_code(hsp, HANDLER_PC, &code);
    xamsg_queue(&mut w.s, 0, 2);
    let g = Gate { kind: GateKind::Endpoint, satp: 0, pc: 0, badge: 9, gtp: 0, target: 0, reply: 0xff };
    xgate::state_mut(&mut w.s.m).clb.fill(1, 3, g);
    bind(&mut w.s, 2, 4, 0, 1, HANDLER_PC);
    let main = w.main;
    let mbuf = w.s.map_new(main, 0x7_0000, 0x1000, pte::URW);
    w.s.write_words(mbuf, &[0xfeed]);
    let stop = run_main(&mut w, 20, |a| {
        a.li(T0, 3);
        a.li(T1, 0x7_0000);
        ins(a, "asend", A1, T0, T1);
    });
    assert_eq!(stop.cause(), cause::BREAKPOINT, "{stop:?}");
    assert_eq!(deliveries(&w), 1);
    assert_eq!(w.s.read_u64(buf), 0xfeed, "the handler received the message");
    assert_eq!(xctx::state(&w.s.m).slots[1].image[12], status::OK);
}

fn xamsg_queue(s: &mut Sys, q: u64, owner: u64) {
    let desc = s.alloc(1);
    s.write_words(desc, &[0, 0, owner | 1 << 63, 0]);
    let code = s.asm(|a| {
        a.li(T0, q as i64);
        a.li(T1, desc as i64);
        ins(a, "aqset", 0, T0, T1);
        a.emit("ebreak", 0, 0, 0, 0);
    });
    let pc = s.kernel_code(&code);
    let satp = s.m.hart.csr.satp;
    s.enter(Priv::S, pc, satp);
    assert_eq!(s.run().cause(), cause::BREAKPOINT);
}

/// No delivery with UIE clear or outside U-mode; a stalled kernel `wfi` wakes up.
fn gating_and_wake(kind: EngineKind) {
    let mut w = world(kind, "xuirq");
    handler(&mut w, false, true);
    bind(&mut w.s, 0, 3, 0, 1, HANDLER_PC);
    xuirq::state_mut(&mut w.s.m).bindings[0].latch = true;
    w.s.csrw(0x5d8, 0);
    let stop = run_main(&mut w, 20, |_| {});
    assert_eq!(stop.cause(), cause::BREAKPOINT);
    assert_eq!(deliveries(&w), 0, "UIE = 0");
    assert_eq!(w.s.csrr(0xdd8), 1, "uipend shows it");
    // Kernel idles in wfi: with UIE = 1 (the thread it would return to), wfi completes.
    w.s.csrw(0x5d8, 1);
    let code = w.s.asm(|a| {
        a.emit("wfi", 0, 0, 0, 0);
        a.emit("ebreak", 0, 0, 0, 0);
    });
    let pc = w.s.kernel_code(&code);
    let main = w.main;
    w.s.enter(Priv::S, pc, main);
    let stop = w.s.run();
    assert!(matches!(stop, Stop::Trap { cause: cause::BREAKPOINT, from: Priv::S, .. }), "{stop:?}");
    assert_eq!(deliveries(&w), 0, "not delivered in S-mode");
    // Back in U-mode it is delivered.
    let stop = run_main(&mut w, 5, |_| {});
    assert_eq!(stop.cause(), cause::BREAKPOINT);
    assert_eq!(deliveries(&w), 1);
}

/// A handler slot that is not present turns the delivery into CTX_SLOT_MISS; nothing is claimed.
fn slot_miss(kind: EngineKind) {
    let mut w = world(kind, "xuirq");
    bind(&mut w.s, 0, 1, IRQ, 1, HANDLER_PC);
    xctx::state_mut(&mut w.s.m).slots[1].present = false;
    w.line.store(true, Ordering::SeqCst);
    let stop = run_main(&mut w, 5, |_| {});
    assert!(matches!(stop, Stop::Trap { cause: causes::CTX_SLOT_MISS, tval: 1, epc: MAIN_PC, .. }), "{stop:?}");
    let now = w.s.m.mtime();
    assert_eq!(w.s.m.bus.devices.plic_pending(now) >> IRQ & 1, 1, "not claimed");
    assert!(!xuirq::state(&w.s.m).bindings[0].in_service);
}

/// Isolation: only the bound handler context may acknowledge; uiret needs a delivery.
fn ack_isolation(kind: EngineKind) {
    let mut w = world(kind, "xuirq");
    bind(&mut w.s, 0, 1, IRQ, 1, HANDLER_PC);
    let stop = run_main(&mut w, 1, |a| {
        a.li(T0, 0);
        ins(a, "uiack", 0, T0, 0);
    });
    assert!(matches!(stop, Stop::Trap { cause: causes::XUIRQ_FAULT, tval: 0, .. }), "{stop:?}");
    let stop = run_main(&mut w, 1, |a| ins(a, "uiret", 0, 0, 0));
    assert_eq!(stop.cause(), cause::ILLEGAL, "uiret outside a handler");
}

/// uipi needs a DOORBELL gate whose target is a doorbell binding.
fn uipi_rights(kind: EngineKind) {
    let mut w = world(kind, "xuirq,xgate");
    bind(&mut w.s, 0, 1, IRQ, 1, HANDLER_PC);
    let sync = Gate { kind: GateKind::Sync, satp: w.hsp, pc: HANDLER_PC, badge: 0, gtp: 0, target: 0, reply: 0xff };
    let to_plic = Gate { kind: GateKind::Doorbell, target: 0, ..sync };
    xgate::state_mut(&mut w.s.m).clb.fill(1, 5, sync);
    xgate::state_mut(&mut w.s.m).clb.fill(1, 6, to_plic);
    let stop = run_main(&mut w, 1, |a| {
        a.li(T0, 5);
        ins(a, "uipi", A0, T0, 0);
        a.li(T0, 6);
        ins(a, "uipi", A1, T0, 0);
    });
    assert_eq!(stop.cause(), cause::BREAKPOINT);
    assert_eq!((w.s.x(A0), w.s.x(A1)), (status::NORIGHT, status::NORIGHT));
    assert_eq!(deliveries(&w), 0);
    let stop = run_main(&mut w, 1, |a| {
        a.li(T0, 7);
        ins(a, "uipi", A0, T0, 0);
    });
    assert!(matches!(stop, Stop::Trap { cause: causes::CLB_MISS, tval: 7, .. }), "{stop:?}");
    // Without Xgate, uipi is illegal.
    let mut w = world(kind, "xuirq");
    let stop = run_main(&mut w, 1, |a| ins(a, "uipi", A0, T0, 0));
    assert_eq!(stop.cause(), cause::ILLEGAL);
}

fn privilege(kind: EngineKind) {
    let mut w = world(kind, "xuirq");
    let stop = run_main(&mut w, 1, |a| ins(a, "uirq.bind", 0, T0, T1));
    assert_eq!(stop.cause(), cause::ILLEGAL, "uirq.bind from U");
    let stop = run_main(&mut w, 1, |a| csrw(a, 0x5d8, T0));
    assert_eq!(stop.cause(), cause::ILLEGAL, "suistatus from U");
    let stop = run_main(&mut w, 1, |a| csrw(a, 0xcda, T0));
    assert_eq!(stop.cause(), cause::ILLEGAL, "uistatus is read-only");
    let stop = run_main(&mut w, 1, |a| {
        a.li(T0, 1234);
        csrw(a, 0x800, T0);
        csrr(a, A0, 0xcda);
    });
    assert_eq!(stop.cause(), cause::BREAKPOINT);
    assert_eq!((w.s.csrr(0x800), w.s.x(A0)), (1234, 1), "uitimecmp is user-writable, uistatus readable");
    // Bad descriptors are illegal.
    for (kind_, number, slot) in [(9u64, 0u64, 1u64), (1, 0, 1), (1, 200, 1), (3, 0, 99)] {
        let desc = w.s.alloc(1);
        w.s.write_words(desc, &[kind_ | number << 16, slot, 0, 0]);
        let code = w.s.asm(|a| {
            a.li(T1, desc as i64);
            ins(a, "uirq.bind", 0, 0, T1);
        });
        let pc = w.s.kernel_code(&code);
        let main = w.main;
        w.s.enter(Priv::S, pc, main);
        assert_eq!(w.s.run().cause(), cause::ILLEGAL, "kind {kind_} number {number} slot {slot}");
    }
}

/// [`fast_path_ack`]'s program: 100 doorbells rung from main, each
/// delivered to a handler that acknowledges it (`uiack`) and returns; then
/// main acknowledges a binding that is not its own.
fn fast_path_ack_run(kind: EngineKind) -> (World, Stop) {
    let mut w = world(kind, "xuirq,xgate");
    handler(&mut w, false, true);
    bind(&mut w.s, 3, 3, 0, 1, HANDLER_PC);
    let g = Gate { kind: GateKind::Doorbell, satp: 0, pc: 0, badge: 0, gtp: 0, target: 3, reply: 0xff };
    xgate::state_mut(&mut w.s.m).clb.fill(1, 4, g);
    let code = w.s.asm(|a| {
        a.li(S1, 100);
        a.li(T0, 4);
        let top = a.here();
        ins(a, "uipi", A1, T0, 0);
        a.emit("addi", S1, S1, 0, -1);
        let back = top - a.here();
        a.emit("bne", 0, S1, 0, back);
        a.li(T0, 3);
        ins(a, "uiack", 0, T0, 0);
    });
    let main = w.main;
    w.s.user_code(main, MAIN_PC, &code);
    w.s.enter(Priv::U, MAIN_PC, main);
    let stop = w.s.run();
    (w, stop)
}

/// The inline fast path of `uiack` (doorbell bindings): the same deliveries,
/// counts and cycles as the interpreter, the same fault for a foreign
/// binding, and no helper call for the handler's acknowledgements.
fn fast_path_ack(kind: EngineKind) {
    let (w, stop) = fast_path_ack_run(kind);
    assert!(matches!(stop, Stop::Trap { cause: causes::XUIRQ_FAULT, tval: 3, .. }), "{stop:?}");
    assert_eq!(w.s.read_u64(w.counter), 100, "100 deliveries handled");
    assert_eq!(xuirq::state(&w.s.m).ctr.counts[xuirq::E_ACK], 100);
    let (reference, _) = fast_path_ack_run(EngineKind::Interp);
    assert_eq!(w.s.snapshot(), reference.s.snapshot(), "state as on the interpreter");
    w.s.assert_fast_paths(1, 210, 300);
}

engine_tests! {
    fast_path_ack_t => fast_path_ack, all_regs;
    doorbell_t => doorbell;
    plic_level_masking_t => plic_level_masking;
    timer_t => timer;
    queue_source_t => queue_source;
    gating_and_wake_t => gating_and_wake;
    slot_miss_t => slot_miss;
    ack_isolation_t => ack_isolation;
    uipi_rights_t => uipi_rights;
    privilege_t => privilege;
}
