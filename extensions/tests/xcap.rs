//! Xcap: accesses through capabilities into another address space, every
//! check, target page faults, derive/restrict/revoke, the CCC, privilege and
//! isolation (SPEC §7, §8).

mod common;

use common::{cap_entry, csrr, csrw, ins, ins4, pte, reg::*, EngineKind, Stop, Sys};
use mkjit_extensions::common::causes;
use mkjit_extensions::xcap::{self, reason, CapEntry};
use mkjit_runtime::hart::Priv;
use mkjit_runtime::isa::encode::Asm;
use mkjit_runtime::trap::cause;

const OBJ: u64 = 0x5_0000;
const R: u64 = 1;
const W: u64 = 2;
const D: u64 = 4;

struct World {
    s: Sys,
    a: u64,
    b: u64,
    table: u64,
    obj: u64,
    next_pc: u64,
}

/// A (ASID 1) holds capability 1 (generation 7) to 256 bytes of an object in B's
/// (ASID 2) address space at OBJ; the table has 64 entries.
fn world(kind: EngineKind) -> World {
    let mut s = Sys::new("xcap", kind);
    let (a, b) = (s.new_space(1), s.new_space(2));
    let obj = s.map_new(b, OBJ, 0x1000, pte::URW);
    let table = s.alloc(1);
    s.csrw(0x5f0, table | 6);
    let mut w = World { s, a, b, table, obj, next_pc: 0x1_0000 };
    w.put(1, cap_entry(OBJ, 256, b, 7, R | W | D, 1, 1, (1, 7)));
    w
}

impl World {
    fn put(&mut self, idx: u64, e: CapEntry) {
        let t = self.table;
        self.s.write_words(t + 64 * idx, &e.to_words());
        xcap::state_mut(&mut self.s.m).ccc.flush(None);
    }

    fn get(&self, idx: u64) -> CapEntry {
        let w: Vec<u64> = (0..6).map(|k| self.s.read_u64(self.table + 64 * idx + 8 * k)).collect();
        CapEntry::from_words(&w)
    }

    fn run(&mut self, f: impl FnOnce(&mut Asm, &mkjit_runtime::isa::IsaTable)) -> Stop {
        let t = self.s.table();
        let code = self.s.asm(|a| {
            f(a, &t);
            a.emit("ebreak", 0, 0, 0, 0);
        });
        let pc = self.next_pc;
        self.next_pc += 0x1000;
        let sa = self.a;
        self.s.user_code(sa, pc, &code);
        self.s.enter(Priv::U, pc, sa);
        self.s.run()
    }
}

fn cref(idx: u64, generation: u64) -> i64 {
    (generation << 32 | idx) as i64
}

/// Working with two address spaces at once: A reads and writes B's object.
fn access_other_space(kind: EngineKind) {
    let mut w = world(kind);
    w.s.write_words(w.obj, &[0xffff_ffff_8000_0001]);
    let stop = w.run(|a, t| {
        a.li(S1, cref(1, 7));
        a.li(T0, 8);
        a.li(T1, 0x1234_5678_9abc);
        ins4(a, t, "cap.sd", 0, S1, T0, T1);
        ins(a, "cap.ld", A0, S1, T0);
        a.li(T0, 0);
        ins(a, "cap.lw", A1, S1, T0);
        ins(a, "cap.lwu", A2, S1, T0);
        ins(a, "cap.lb", A3, S1, T0);
        ins(a, "cap.lhu", A4, S1, T0);
        ins(a, "cap.len", A5, S1, 0);
        ins(a, "cap.perm", A6, S1, 0);
    });
    assert_eq!(stop.cause(), cause::BREAKPOINT, "{stop:?}");
    assert_eq!(w.s.read_u64(w.obj + 8), 0x1234_5678_9abc, "stored into B's page");
    assert_eq!(w.s.x(A0), 0x1234_5678_9abc);
    assert_eq!(w.s.x(A1), 0xffff_ffff_8000_0001, "cap.lw sign-extends");
    assert_eq!(w.s.x(A2), 0x8000_0001, "cap.lwu zero-extends");
    assert_eq!(w.s.x(A3), 1);
    assert_eq!(w.s.x(A4), 1);
    assert_eq!((w.s.x(A5), w.s.x(A6)), (256, R | W | D));
    assert_eq!(w.s.m.hart.csr.satp, w.a, "never left A's address space");
    let c = &xcap::state(&w.s.m).ctr.counts;
    assert_eq!(c[xcap::E_CCC_MISS], 1, "one CCC fill");
    assert!(c[xcap::E_CCC_HIT] >= 6);
    assert_eq!(c[xcap::E_WALK], 1, "the store walks once; the page stays cached in the CCC entry");
}

/// Every check of SPEC §7.3, with its capcause.
fn checks(kind: EngineKind) {
    let mut w = world(kind);
    let (b, obj) = (w.b, 0);
    let _ = obj;
    w.put(2, cap_entry(OBJ, 256, b, 3, R | W, 0, 1, (2, 3))); // invalid
    w.put(3, cap_entry(OBJ, 256, b, 3, R | W, 1, 2, (3, 3))); // owned by ASID 2
    w.put(4, cap_entry(OBJ, 256, b, 3, R, 1, 1, (4, 3))); // read-only
    w.put(5, cap_entry(OBJ, 256, b, 3, R | W, 1, 1, (1, 6))); // root 1 revoked (gen 7 now)
    let cases: [(i64, &str, u64, u64); 8] = [
        (cref(64, 7), "cap.ld", 0, reason::BAD_INDEX),
        (cref(2, 3), "cap.ld", 0, reason::INVALID),
        (cref(1, 8), "cap.ld", 0, reason::STALE),
        (cref(3, 3), "cap.ld", 0, reason::NOT_OWNER),
        (cref(4, 3), "cap.sd", 0, reason::PERM),
        (cref(1, 7), "cap.ld", 256, reason::BOUNDS),
        (cref(1, 7), "cap.ld", 4, reason::MISALIGNED),
        (cref(5, 3), "cap.ld", 0, reason::STALE),
    ];
    for (r, name, off, why) in cases {
        let stop = w.run(|a, t| {
            a.li(S1, r);
            a.li(T0, off as i64);
            if name == "cap.sd" {
                ins4(a, t, name, 0, S1, T0, T0);
            } else {
                ins(a, name, A0, S1, T0);
            }
        });
        assert!(
            matches!(stop, Stop::Trap { cause: causes::XCAP_FAULT, tval, .. } if tval == r as u64),
            "{why}: {stop:?}"
        );
        assert_eq!(w.s.csrr(0x5f2), why, "capcause for {r:#x} {name} {off}");
    }
    // No table at all.
    w.s.csrw(0x5f0, 0);
    let stop = w.run(|a, _| {
        a.li(S1, cref(1, 7));
        ins(a, "cap.len", A0, S1, 0);
    });
    assert_eq!(stop.cause(), causes::XCAP_FAULT);
    assert_eq!(w.s.csrr(0x5f2), reason::BAD_INDEX);
}

/// A fault in the target space reports the capability and the target VA.
fn target_page_fault(kind: EngineKind) {
    let mut w = world(kind);
    let b = w.b;
    w.put(6, cap_entry(0x7_0000, 64, b, 1, R | W, 1, 1, (6, 1))); // unmapped in B
    let stop = w.run(|a, _| {
        a.li(S1, cref(6, 1));
        a.li(T0, 16);
        ins(a, "cap.ld", A0, S1, T0);
    });
    assert!(matches!(stop, Stop::Trap { cause: causes::XCAP_PAGE, tval, .. } if tval == cref(6, 1) as u64), "{stop:?}");
    assert_eq!((w.s.csrr(0x5f3), w.s.csrr(0x5f2)), (0x7_0010, 1));
    // The page is mapped only for A, not in B: still a fault (translation is in B's space).
    let a = w.a;
    w.s.map_new(a, 0x7_0000, 0x1000, pte::URW);
    let stop = w.run(|a, t| {
        a.li(S1, cref(6, 1));
        ins4(a, t, "cap.sd", 0, S1, 0, 0);
    });
    assert_eq!(stop.cause(), causes::XCAP_PAGE);
    assert_eq!(w.s.csrr(0x5f2), 2, "a write");
}

/// Derive narrows bounds, restrict narrows permissions; revoking the root kills descendants.
fn derive_restrict_revoke(kind: EngineKind) {
    let mut w = world(kind);
    // Spare list: 10 -> 11 -> end, owned by ASID 1; a foreign spare 12.
    let mut spare = cap_entry(0, 0, 0, 40, 0, 2, 1, (0, 0));
    spare.next = 11;
    w.put(10, spare);
    let mut spare2 = cap_entry(0, 0, 0, 41, 0, 2, 1, (0, 0));
    spare2.next = 12;
    w.put(11, spare2);
    w.put(12, cap_entry(0, 0, 0, 42, 0, 2, 2, (0, 0)));
    w.s.csrw(0x5f1, 10);
    w.s.write_words(w.obj + 16, &[0xd1, 0xd2]);
    let stop = w.run(|a, t| {
        a.li(S1, cref(1, 7));
        a.li(T0, 16);
        a.li(T1, 32);
        ins4(a, t, "cap.derive", S2, S1, T0, T1); // child: bytes 16..48
        a.li(T0, 0);
        ins(a, "cap.ld", A0, S2, T0);
        ins(a, "cap.len", A1, S2, 0);
        a.li(T0, R as i64);
        ins(a, "cap.restrict", S3, S2, T0); // read-only grandchild
        ins(a, "cap.perm", A2, S3, 0);
        a.li(T0, 8);
        ins(a, "cap.ld", A3, S3, T0);
    });
    assert_eq!(stop.cause(), cause::BREAKPOINT, "{stop:?}");
    let child = w.s.x(S2);
    assert_eq!(child, cref(10, 40) as u64);
    assert_eq!((w.s.x(A0), w.s.x(A1), w.s.x(A2), w.s.x(A3)), (0xd1, 32, R, 0xd2));
    let c = w.get(10);
    assert_eq!((c.base, c.length, c.root_index, c.root_gen, c.owner, c.state), (OBJ + 16, 32, 1, 7, 1, 1));
    assert_eq!(w.s.csrr(0x5f1), 12, "two spares consumed");
    let grand = w.s.x(S3);
    // The child cannot reach past its bounds; the grandchild cannot write.
    for (r, name, off, why) in [(child, "cap.ld", 32u64, reason::BOUNDS), (grand, "cap.sd", 0, reason::PERM)] {
        let stop = w.run(|a, t| {
            a.li(S1, r as i64);
            a.li(T0, off as i64);
            if name == "cap.sd" {
                ins4(a, t, name, 0, S1, T0, T0);
            } else {
                ins(a, name, A0, S1, T0);
            }
        });
        assert_eq!(stop.cause(), causes::XCAP_FAULT, "{name}");
        assert_eq!(w.s.csrr(0x5f2), why);
    }
    // Deriving beyond the source, or from a spare of another ASID.
    let stop = w.run(|a, t| {
        a.li(S1, child as i64);
        a.li(T0, 16);
        a.li(T1, 17);
        ins4(a, t, "cap.derive", S2, S1, T0, T1);
    });
    assert_eq!(stop.cause(), causes::XCAP_FAULT);
    assert_eq!(w.s.csrr(0x5f2), reason::BOUNDS);
    let stop = w.run(|a, t| {
        a.li(S1, child as i64);
        a.li(T1, 8);
        ins4(a, t, "cap.derive", S2, S1, 0, T1);
    });
    assert!(matches!(stop, Stop::Trap { cause: causes::XCAP_NOSPARE, tval, .. } if tval == child), "{stop:?}");
    // The kernel revokes the root: child and grandchild die with it.
    let code = w.s.asm(|a| {
        a.li(T0, 1);
        ins(a, "cap.revoke", 0, T0, 0);
        a.emit("ebreak", 0, 0, 0, 0);
    });
    let pc = w.s.kernel_code(&code);
    let sa = w.a;
    w.s.enter(Priv::S, pc, sa);
    assert_eq!(w.s.run().cause(), cause::BREAKPOINT);
    assert_eq!((w.get(1).generation, w.get(1).state), (8, 0));
    for r in [cref(1, 7) as u64, child, grand] {
        let stop = w.run(|a, _| {
            a.li(S1, r as i64);
            ins(a, "cap.len", A0, S1, 0);
        });
        assert_eq!(stop.cause(), causes::XCAP_FAULT, "{r:#x}");
        let why = w.s.csrr(0x5f2);
        assert!(why == reason::STALE || why == reason::INVALID, "{r:#x}: {why}");
    }
}

/// A Bare target names physical memory (a kernel-made capability).
fn bare_target(kind: EngineKind) {
    let mut w = world(kind);
    let buf = w.s.alloc(1);
    w.put(7, cap_entry(buf, 64, 0, 1, R | W, 1, 1, (7, 1)));
    let stop = w.run(|a, t| {
        a.li(S1, cref(7, 1));
        a.li(T0, 56);
        a.li(T1, 99);
        ins4(a, t, "cap.sw", 0, S1, T0, T1);
    });
    assert_eq!(stop.cause(), cause::BREAKPOINT);
    assert_eq!(w.s.read_u64(buf + 56), 99);
}

/// Isolation: user code cannot write the table (not mapped), nor run S instructions or CSRs.
fn privilege_and_table(kind: EngineKind) {
    let mut w = world(kind);
    let table = w.table;
    let stop = w.run(|a, _| {
        a.li(T0, table as i64);
        a.emit("sd", 0, T0, 0, 24);
    });
    assert!(matches!(stop, Stop::Trap { cause: cause::STORE_PAGE, .. }), "{stop:?}");
    for case in 0..4 {
        let stop = w.run(|a, _| match case {
            0 => ins(a, "cap.revoke", 0, T0, 0),
            1 => ins(a, "cap.flush", 0, 0, 0),
            2 => csrw(a, 0x5f0, T0),
            _ => csrr(a, A0, 0x5f1),
        });
        assert_eq!(stop.cause(), cause::ILLEGAL, "case {case}");
    }
    // cap.flush makes kernel table edits visible.
    let stop = w.run(|a, _| {
        a.li(S1, cref(1, 7));
        ins(a, "cap.len", A0, S1, 0);
    });
    assert_eq!(stop.cause(), cause::BREAKPOINT);
    let t = w.table;
    w.s.write_words(t + 64 + 8, &[16]); // length 16, CCC not flushed yet
    let stop = w.run(|a, _| {
        a.li(S1, cref(1, 7));
        ins(a, "cap.len", A0, S1, 0);
    });
    assert_eq!(stop.cause(), cause::BREAKPOINT);
    assert_eq!(w.s.x(A0), 256, "cached copy until cap.flush");
    let code = w.s.asm(|a| {
        ins(a, "cap.flush", 0, 0, 0);
        a.emit("ebreak", 0, 0, 0, 0);
    });
    let pc = w.s.kernel_code(&code);
    let sa = w.a;
    w.s.enter(Priv::S, pc, sa);
    assert_eq!(w.s.run().cause(), cause::BREAKPOINT);
    let stop = w.run(|a, _| {
        a.li(S1, cref(1, 7));
        ins(a, "cap.len", A0, S1, 0);
    });
    assert_eq!(stop.cause(), cause::BREAKPOINT);
    assert_eq!(w.s.x(A0), 16);
}

/// The program of [`fast_path_loop`] on a fresh world of `kind`: 300 times,
/// increment a counter in B's object through capability 1 (one page), and
/// read through capability 6 (two pages) at an offset whose page changes
/// every 8 iterations (the CCC line's page changes, which empties the
/// shadow: the helper runs again and refills it); then one access out of
/// bounds.
fn fast_path_run(kind: EngineKind) -> (World, Stop) {
    let mut w = world(kind);
    let b = w.b;
    w.s.map_new(b, OBJ + 0x1000, 0x1000, pte::URW);
    w.put(6, cap_entry(OBJ, 0x2000, b, 1, R | W, 1, 1, (6, 1)));
    let stop = w.run(|a, t| {
        a.li(S1, cref(1, 7));
        a.li(S2, cref(6, 1));
        a.li(T2, 300);
        a.li(A0, 0);
        let top = a.here();
        a.li(T0, 8);
        ins(a, "cap.ld", A1, S1, T0);
        a.emit("addi", A1, A1, 0, 1);
        ins4(a, t, "cap.sd", 0, S1, T0, A1);
        a.emit("andi", T3, T2, 0, 8);
        a.emit("slli", T3, T3, 0, 9);
        a.emit("addi", T3, T3, 0, 16);
        ins(a, "cap.lwu", A2, S2, T3);
        a.emit("add", A0, A0, A2, 0);
        a.emit("addi", T2, T2, 0, -1);
        let back = top - a.here();
        a.emit("bne", 0, T2, 0, back);
        a.li(T0, 256);
        ins(a, "cap.ld", A3, S1, T0);
    });
    (w, stop)
}

/// Inline fast paths of capability loads and stores: the same results,
/// counts, modeled cycles and final fault as the interpreter, with most
/// accesses served without a helper call on the JIT (and all through the
/// helper with fast paths off).
fn fast_path_loop(kind: EngineKind) {
    let (w, stop) = fast_path_run(kind);
    assert_eq!(stop.cause(), causes::XCAP_FAULT, "{stop:?}");
    assert_eq!(xcap::state(&w.s.m).capcause, reason::BOUNDS);
    assert_eq!(w.s.read_u64(w.obj + 8), 300, "300 increments through the capability");
    let c = &xcap::state(&w.s.m).ctr.counts;
    assert_eq!(c[xcap::E_ACCESS], 900, "three accesses per iteration");
    assert_eq!(c[xcap::E_WALK], 1 + 38, "cap 1 walks once; cap 6 at each of its page changes");
    let (reference, _) = fast_path_run(EngineKind::Interp);
    assert_eq!(w.s.snapshot(), reference.s.snapshot(), "state as on the interpreter");
    // Three accesses compiled inline; of 901, fewer than 200 on the helper.
    w.s.assert_fast_paths(3, 199, 850);
}

engine_tests! {
    fast_path_loop_t => fast_path_loop;
    access_other_space_t => access_other_space;
    checks_t => checks;
    target_page_fault_t => target_page_fault;
    derive_restrict_revoke_t => derive_restrict_revoke;
    bare_target_t => bare_target;
    privilege_t => privilege_and_table;
}
