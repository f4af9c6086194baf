//! Xamsg: send/receive/reply, message cache and ring spill, rights, traps,
//! the stalling receive, privilege and isolation (SPEC §3, §8).

mod common;

use common::{csrr, ins, pte, reg::*, EngineKind, Stop, Sys};
use mkjit_extensions::common::{causes, status};
use mkjit_extensions::xamsg;
use mkjit_extensions::xgate::{self, Gate, GateKind};
use mkjit_runtime::hart::Priv;
use mkjit_runtime::isa::encode::Asm;
use mkjit_runtime::trap::cause;

const BUF: u64 = 0x6_0000;
const BADGE: u64 = 0xc11e47;

struct World {
    s: Sys,
    client: u64,
    server: u64,
    cbuf: u64,
    sbuf: u64,
    next_pc: u64,
}

/// Client (ASID 1) holds ENDPOINT gate 3 to queue 0 (owned by the server, ASID 2),
/// with replies to queue 1 (owned by the client).
fn world(kind: EngineKind, exts: &str, ring: Option<(u64, u64)>) -> World {
    let mut s = Sys::new(exts, kind);
    let (client, server) = (s.new_space(1), s.new_space(2));
    let cbuf = s.map_new(client, BUF, 0x1000, pte::URW);
    let sbuf = s.map_new(server, BUF, 0x1000, pte::URW);
    let gate = Gate { kind: GateKind::Endpoint, satp: 0, pc: 0, badge: BADGE, gtp: 0, target: 0, reply: 1 };
    xgate::state_mut(&mut s.m).clb.fill(1, 3, gate);
    set_queue(&mut s, 0, 2, ring);
    set_queue(&mut s, 1, 1, None);
    World { s, client, server, cbuf, sbuf, next_pc: 0x1_0000 }
}

/// Installs queue `q` owned by `owner` through `aqset` executed in S-mode.
fn set_queue(s: &mut Sys, q: u64, owner: u64, ring: Option<(u64, u64)>) {
    let desc = s.alloc(1);
    let (base, cap) = ring.unwrap_or((0, 0));
    s.write_words(desc, &[base, cap, owner | 1 << 63, 0]);
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

impl World {
    /// Runs user code in `satp`, to its final ebreak (or a trap).
    fn run(&mut self, satp: u64, f: impl FnOnce(&mut Asm)) -> Stop {
        let code = self.s.asm(|a| {
            f(a);
            a.emit("ebreak", 0, 0, 0, 0);
        });
        let pc = self.next_pc;
        self.next_pc += 0x1000;
        self.s.user_code(satp, pc, &code);
        self.s.enter(Priv::U, pc, satp);
        self.s.run()
    }
}

fn send_recv_reply(kind: EngineKind) {
    let mut w = world(kind, "xamsg", None);
    let cbuf = w.cbuf;
    w.s.write_words(cbuf, &[1, 2, 3, 4, 5, 6, 7, 8]);
    let (client, server) = (w.client, w.server);
    let stop = w.run(client, |a| {
        a.li(T0, 3);
        a.li(T1, BUF as i64);
        ins(a, "asend", A0, T0, T1);
    });
    assert_eq!(stop.cause(), cause::BREAKPOINT, "{stop:?}");
    assert_eq!(w.s.x(A0), status::OK);
    // Server: receive into its buffer, read badge and token, reply with a line.
    let stop = w.run(server, |a| {
        a.li(T0, 0);
        a.li(T1, BUF as i64);
        ins(a, "arecv", A0, T0, T1);
        csrr(a, A1, 0xce0);
        csrr(a, A2, 0xce1);
        a.emit("ld", T2, T1, 0, 56);
        a.emit("addi", T2, T2, 0, 100);
        a.emit("sd", 0, T1, T2, 0);
        ins(a, "areply", A3, A2, T1);
        ins(a, "areply", A4, A2, T1); // the token is one-shot
    });
    assert_eq!(stop.cause(), cause::BREAKPOINT, "{stop:?}");
    assert_eq!(w.s.x(A0), status::OK);
    assert_eq!(w.s.x(A1), BADGE);
    assert_ne!(w.s.x(A2), 0, "a reply token");
    assert_eq!((w.s.x(A3), w.s.x(A4)), (status::OK, status::NORIGHT));
    for k in 1..8 {
        assert_eq!(w.s.read_u64(w.sbuf + 8 * k), k + 1, "line word {k} copied");
    }
    // Client: receive the reply on queue 1.
    let stop = w.run(client, |a| {
        a.li(T0, 1);
        a.li(T1, (BUF + 64) as i64);
        ins(a, "arecv", A0, T0, T1);
        csrr(a, A1, 0xce1);
        ins(a, "arecv", A2, T0, T1);
    });
    assert_eq!(stop.cause(), cause::BREAKPOINT);
    assert_eq!(w.s.x(A0), status::OK);
    assert_eq!(w.s.x(A1), 0, "replies carry no reply token");
    assert_eq!(w.s.x(A2), status::EMPTY);
    assert_eq!(w.s.read_u64(cbuf + 64), 108);
}

/// Four queued messages with a 2-line cache and a 2-entry ring; the fifth is
/// refused; order is kept across cache and ring.
fn cache_spill_full(kind: EngineKind) {
    let mut w = world(kind, "xamsg:cache=2", None);
    let ring = w.s.alloc(1);
    set_queue(&mut w.s, 0, 2, Some((ring, 2)));
    let client = w.client;
    let stop = w.run(client, |a| {
        a.li(T0, 3);
        a.li(T1, BUF as i64);
        for (k, reg) in [A0, A1, A2, A3, A4].into_iter().enumerate() {
            a.li(T2, 10 + k as i64);
            a.emit("sd", 0, T1, T2, 0);
            ins(a, "asend", reg, T0, T1);
        }
    });
    assert_eq!(stop.cause(), cause::BREAKPOINT, "{stop:?}");
    let st: Vec<u64> = [A0, A1, A2, A3, A4].iter().map(|&r| w.s.x(r)).collect();
    assert_eq!(st, [status::OK, status::OK, status::OK, status::OK, status::FULL]);
    assert_eq!(w.s.read_u64(ring), 12, "third message spilled to ring entry 0");
    assert_eq!(w.s.read_u64(ring + 64), BADGE, "ring entries carry the badge");
    let server = w.server;
    let stop = w.run(server, |a| {
        a.li(T0, 0);
        a.li(T1, BUF as i64);
        for (k, reg) in [S1, S2, A3, A4].into_iter().enumerate() {
            ins(a, "arecv", A0, T0, T1);
            a.emit("ld", reg, T1, 0, 0);
            let _ = k;
        }
        ins(a, "arecv", A5, T0, T1);
    });
    assert_eq!(stop.cause(), cause::BREAKPOINT);
    let got: Vec<u64> = [S1, S2, A3, A4].iter().map(|&r| w.s.x(r)).collect();
    assert_eq!(got, [10, 11, 12, 13], "FIFO across cache and ring");
    assert_eq!(w.s.x(A5), status::EMPTY);
    let c = &xamsg::state(&w.s.m).ctr.counts;
    assert_eq!((c[xamsg::E_SPILL], c[xamsg::E_RING_READ], c[xamsg::E_FULL]), (2, 2, 1));
}

/// Isolation and rights: no right without an ENDPOINT gate, no receiving from a
/// queue another ASID owns, no forged or foreign reply tokens.
fn rights(kind: EngineKind) {
    let mut w = world(kind, "xamsg", None);
    let sync = Gate { kind: GateKind::Sync, satp: w.server, pc: 0, badge: 0, gtp: 0, target: 0, reply: 0xff };
    xgate::state_mut(&mut w.s.m).clb.fill(1, 4, sync);
    let client = w.client;
    // Gate 4 is a call gate, gate 9 is unknown (CLB miss trap).
    let stop = w.run(client, |a| {
        a.li(T0, 4);
        a.li(T1, BUF as i64);
        ins(a, "asend", A0, T0, T1);
        a.li(T0, 0);
        ins(a, "arecv", A1, T0, T1); // queue 0 is the server's
        a.li(T0, 1 << 8);
        ins(a, "areply", A2, T0, T1); // forged token
        a.li(T0, 99);
        ins(a, "arecv", A3, T0, T1); // no such queue
    });
    assert_eq!(stop.cause(), cause::BREAKPOINT, "{stop:?}");
    assert_eq!([w.s.x(A0), w.s.x(A1), w.s.x(A2), w.s.x(A3)], [status::NORIGHT; 4]);
    let stop = w.run(client, |a| {
        a.li(T0, 9);
        a.li(T1, BUF as i64);
        ins(a, "asend", A0, T0, T1);
    });
    assert!(matches!(stop, Stop::Trap { cause: causes::CLB_MISS, tval: 9, .. }), "{stop:?}");
    // A real token, used by another ASID.
    let stop = w.run(client, |a| {
        a.li(T0, 3);
        a.li(T1, BUF as i64);
        ins(a, "asend", A0, T0, T1);
    });
    assert_eq!(stop.cause(), cause::BREAKPOINT);
    let server = w.server;
    let stop = w.run(server, |a| {
        a.li(T0, 0);
        a.li(T1, BUF as i64);
        ins(a, "arecv", A0, T0, T1);
        csrr(a, A1, 0xce1);
    });
    assert_eq!(stop.cause(), cause::BREAKPOINT);
    let token = w.s.x(A1);
    let stop = w.run(client, |a| {
        a.li(T0, token as i64);
        a.li(T1, BUF as i64);
        ins(a, "areply", A0, T0, T1);
    });
    assert_eq!(stop.cause(), cause::BREAKPOINT);
    assert_eq!(w.s.x(A0), status::NORIGHT, "token bound to the receiver's ASID");
}

/// Faults are precise: a misaligned or unwritable destination leaves the message queued.
fn precise_faults(kind: EngineKind) {
    let mut w = world(kind, "xamsg", None);
    let client = w.client;
    let stop = w.run(client, |a| {
        a.li(T0, 3);
        a.li(T1, (BUF + 8) as i64);
        ins(a, "asend", A0, T0, T1);
    });
    assert!(matches!(stop, Stop::Trap { cause: cause::LOAD_MISALIGNED, tval, .. } if tval == BUF + 8), "{stop:?}");
    let stop = w.run(client, |a| {
        a.li(T0, 3);
        a.li(T1, BUF as i64);
        ins(a, "asend", A0, T0, T1);
    });
    assert_eq!(stop.cause(), cause::BREAKPOINT);
    let server = w.server;
    let stop = w.run(server, |a| {
        a.li(T0, 0);
        a.li(T1, 0x7_0000); // unmapped
        ins(a, "arecv", A0, T0, T1);
    });
    assert!(matches!(stop, Stop::Trap { cause: cause::STORE_PAGE, tval: 0x7_0000, .. }), "{stop:?}");
    assert_eq!(xamsg::state(&w.s.m).queues[0].len(), 1, "still queued");
}

/// arecv.w stalls; a timer interrupt ends the stall with sepc on the arecv.w.
fn stalling_receive(kind: EngineKind) {
    let mut w = world(kind, "xamsg", None);
    let server = w.server;
    let now = w.s.m.mtime();
    assert!(w.s.m.bus.devices.write(0x200_4000, 8, now + 1000, now));
    w.s.csrw(0x304, 1 << 7);
    let pc = w.next_pc;
    let stop = w.run(server, |a| {
        a.li(T0, 0);
        a.li(T1, BUF as i64);
        ins(a, "arecv.w", A0, T0, T1);
    });
    assert_eq!(stop, Stop::Trap { cause: (1 << 63) | 7, epc: pc + 8, tval: 0, from: Priv::U });
    assert!(w.s.m.hart.idle > 0, "the hart idled instead of spinning");
    // With nothing that could wake it, the machine reports a deadlock.
    w.s.csrw(0x304, 0);
    w.s.enter(Priv::U, pc, server);
    assert!(matches!(w.s.run(), Stop::Other(mkjit_runtime::machine::Outcome::Deadlock { .. })));
}

fn privilege(kind: EngineKind) {
    let mut w = world(kind, "xamsg", None);
    let client = w.client;
    for name in ["aqset", "aqcount"] {
        let stop = w.run(client, |a| if name == "aqset" { ins(a, name, 0, T0, T1) } else { ins(a, name, A0, T0, 0) });
        assert_eq!(stop.cause(), cause::ILLEGAL, "{name} from U");
    }
    let code = w.s.asm(|a| ins(a, "asend", A0, T0, T1));
    let pc = w.s.kernel_code(&code);
    w.s.enter(Priv::S, pc, client);
    assert_eq!(w.s.run().cause(), cause::ILLEGAL, "asend from S");
    assert_eq!(w.s.csrr(0xdc4) & 0xff, 16);
    // Xamsg pulls in Xgate.
    assert!(mkjit_extensions::common::enabled(&w.s.m, xgate::SET));
}

/// [`fast_path_poll`]'s programs: the server polls its empty queue 100
/// times and then a queue it does not own; the kernel counts the queue 50 times.
fn fast_path_poll_run(kind: EngineKind) -> (World, Stop, Stop) {
    let mut w = world(kind, "xamsg", None);
    let server = w.server;
    let user = w.run(server, |a| {
        a.li(S1, 100);
        a.li(T0, 0);
        a.li(T1, BUF as i64);
        let top = a.here();
        ins(a, "arecv", A0, T0, T1);
        a.emit("add", A2, A2, A0, 0);
        a.emit("addi", S1, S1, 0, -1);
        let back = top - a.here();
        a.emit("bne", 0, S1, 0, back);
        a.li(T0, 1);
        ins(a, "arecv", A1, T0, T1);
    });
    let code = w.s.asm(|a| {
        a.li(S1, 50);
        a.li(T0, 0);
        let top = a.here();
        ins(a, "aqcount", A3, T0, 0);
        a.emit("add", A4, A4, A3, 0);
        a.emit("addi", S1, S1, 0, -1);
        let back = top - a.here();
        a.emit("bne", 0, S1, 0, back);
        a.emit("ebreak", 0, 0, 0, 0);
    });
    let pc = w.s.kernel_code(&code);
    w.s.enter(Priv::S, pc, server);
    let kernel = w.s.run();
    (w, user, kernel)
}

/// The inline fast paths of a polling `arecv` and of `aqcount`: the same
/// statuses, counts and cycles as the interpreter, and no helper calls.
fn fast_path_poll(kind: EngineKind) {
    let (w, user, kernel) = fast_path_poll_run(kind);
    assert_eq!((user.cause(), kernel.cause()), (cause::BREAKPOINT, cause::BREAKPOINT));
    assert_eq!(w.s.x(A2), 100 * status::EMPTY, "100 times EMPTY");
    assert_eq!(w.s.x(A1), status::NORIGHT, "not the server's queue");
    assert_eq!(w.s.x(A4), 0, "nothing queued");
    let c = &xamsg::state(&w.s.m).ctr.counts;
    assert_eq!((c[xamsg::E_ARECV], c[xamsg::E_EMPTY]), (101, 100));
    let (reference, ..) = fast_path_poll_run(EngineKind::Interp);
    assert_eq!(w.s.snapshot(), reference.s.snapshot(), "state as on the interpreter");
    w.s.assert_fast_paths(2, 10, 151);
}

engine_tests! {
    fast_path_poll_t => fast_path_poll;
    send_recv_reply_t => send_recv_reply;
    cache_spill_full_t => cache_spill_full;
    rights_t => rights;
    precise_faults_t => precise_faults;
    stalling_receive_t => stalling_receive;
    privilege_t => privilege;
}
