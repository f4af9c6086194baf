//! The extension mechanism: registry, `--ext` parsing, dependencies, overlap
//! checks, disabled extensions are illegal, custom causes delegate, stats, reset.

mod common;

use common::{ins, reg::*, EngineKind, Stop, Sys};
use mkjit_extensions::common::causes;
use mkjit_extensions::registry::{self, ExtError};
use mkjit_extensions::{xctx, xgate};
use mkjit_runtime::hart::Priv;
use mkjit_runtime::isa::decode::SetMask;
use mkjit_runtime::isa::{IsaSet, IsaTable};
use mkjit_runtime::trap::cause;

#[test]
fn six_extensions_with_distinct_sets_and_names() {
    let names: Vec<_> = registry::all().iter().map(|e| e.name()).collect();
    assert_eq!(names, ["xgate", "xamsg", "xline", "xctx", "xuirq", "xcap"]);
    let mut sets: Vec<_> = registry::all().iter().map(|e| e.set()).collect();
    sets.sort();
    sets.dedup();
    assert_eq!(sets.len(), 6);
    assert!(!sets.contains(&0), "set 0 holds the shared registers");
    for e in registry::all() {
        assert!(e.isa_name().starts_with('X'));
        assert_eq!(e.docs().len(), e.rows().len(), "{}: one InsnDoc per row", e.name());
        assert!(!e.events().is_empty());
        for ev in e.events() {
            assert!(ev.name.starts_with(&format!("{}.", e.name())), "{}", ev.name);
        }
    }
}

/// Every row in a custom opcode space, no two rows overlapping (with the core too).
#[test]
fn encodings_do_not_overlap() {
    let mut t = IsaTable::core();
    for e in registry::all() {
        for r in e.rows() {
            assert!(matches!(r.pattern.bits & 0x7f, 0x0b | 0x2b | 0x5b | 0x7b), "{} not in a custom space", r.name);
            assert_eq!(r.set, IsaSet::Custom(e.set()));
        }
        t.register(e.rows()).unwrap_or_else(|err| panic!("{}: {err}", e.name()));
    }
    assert_eq!(t.ambiguous_pairs(), Vec::<(&str, &str)>::new());
    // CSR numbers are unique and in the custom ranges.
    let mut csrs: Vec<u16> = registry::all().iter().flat_map(|e| e.csrs().iter().map(|c| c.number)).collect();
    for &n in &csrs {
        assert!(matches!(n, 0x5c0..=0x5ff | 0x800..=0x8ff | 0xcc0..=0xcff | 0xdc0..=0xdff), "{n:#x}");
    }
    let total = csrs.len();
    csrs.sort();
    csrs.dedup();
    assert_eq!(csrs.len(), total, "duplicate CSR number");
    // Causes in the custom ranges, unique.
    let mut cs: Vec<u64> = registry::all().iter().flat_map(|e| e.causes().iter().map(|c| c.0)).collect();
    for &c in &cs {
        assert!((24..=31).contains(&c) || (48..=63).contains(&c), "{c}");
    }
    let n = cs.len();
    cs.sort();
    cs.dedup();
    assert_eq!(cs.len(), n);
}

#[test]
fn round_trip_encode_decode_every_row() {
    let mut t = IsaTable::core();
    let mut mask = SetMask::CORE;
    for e in registry::all() {
        t.register(e.rows()).unwrap();
        mask = mask.with(IsaSet::Custom(e.set()));
    }
    for e in registry::all() {
        for r in e.rows() {
            let f = mkjit_runtime::isa::Fields { rd: 10, rs1: 11, rs2: 12, rs3: 13, imm: 0 };
            // Fields fixed to zero by the pattern must be zero to encode.
            let ops = mkjit_extensions::header::operands(r);
            let f = mkjit_runtime::isa::Fields {
                rd: if ops[0] { f.rd } else { 0 },
                rs1: if ops[1] { f.rs1 } else { 0 },
                rs2: if ops[2] { f.rs2 } else { 0 },
                rs3: if ops[3] { f.rs3 } else { 0 },
                imm: 0,
            };
            let w = t.encode(r.name, f).unwrap_or_else(|e| panic!("{}: {e}", r.name));
            let i = t.decode(w, mask).expect("decodes");
            assert_eq!(t.row(i.row).name, r.name);
            assert!(t.decode(w, SetMask::CORE).is_none(), "{} decodes with its set disabled", r.name);
            assert!(!t.disasm(&i, 0).is_empty());
        }
    }
}

#[test]
fn parse_errors_and_dependencies() {
    assert!(matches!(registry::parse("xnope"), Err(ExtError::Unknown(n)) if n == "xnope"));
    assert!(matches!(registry::parse("xgate:clb=0"), Err(ExtError::Range { key: "clb", .. })));
    assert!(matches!(registry::parse("xgate:nope=1"), Err(ExtError::BadParam { .. })));
    assert!(matches!(registry::parse("xgate:clb"), Err(ExtError::BadParam { .. })));
    let list = registry::parse("xuirq, xamsg:cache=8").unwrap();
    let names: Vec<_> = list.iter().map(|(e, _)| e.name()).collect();
    assert_eq!(names, ["xctx", "xuirq", "xgate", "xamsg"], "dependencies first");
    assert_eq!(list[3].1.get("cache"), 8);
    assert_eq!(list[3].1.get("queues"), 16);
    let err = registry::parse("bogus").unwrap_err().to_string();
    assert!(err.contains("xgate") && err.contains("xcap"), "{err}");
}

#[test]
fn enable_twice_is_an_error() {
    let mut s = Sys::new("xgate", EngineKind::Interp);
    assert_eq!(registry::enable(&mut s.m, "xgate"), Err(ExtError::Twice("xgate")));
    // Enabling another later works; config CSRs report the parameters.
    registry::enable(&mut s.m, "xctx:slots=3").unwrap();
    assert_eq!(s.csrr(0xdc2), 3);
}

/// With a set disabled, its encodings and CSRs are illegal, its causes cannot be delegated.
fn disabled_sets(kind: EngineKind) {
    for ext in registry::all() {
        let others: Vec<_> = registry::all().iter().filter(|e| e.set() != ext.set()).map(|e| e.name()).collect();
        // Every other extension on (requirements may pull the tested one back in: skip those).
        let list = registry::parse(&others.join(",")).unwrap();
        if list.iter().any(|(e, _)| e.set() == ext.set()) {
            continue;
        }
        let mut s = Sys::new(&others.join(","), kind);
        let a = s.new_space(1);
        let mut t = IsaTable::core();
        t.register(ext.rows()).unwrap();
        let row = &ext.rows()[0];
        let word = t.encode(row.name, Default::default()).unwrap();
        let pc = s.kernel_code(&word.to_le_bytes());
        s.enter(Priv::S, pc, a);
        let stop = s.run();
        assert_eq!(
            stop,
            Stop::Trap { cause: cause::ILLEGAL, epc: pc, tval: word as u64, from: Priv::S },
            "{}",
            ext.name()
        );
        let csr = ext.csrs()[0].number;
        let code = s.asm(|x| {
            x.emit("csrrs", A0, 0, 0, csr as i64);
        });
        let pc = s.kernel_code(&code);
        s.enter(Priv::S, pc, a);
        assert_eq!(s.run().cause(), cause::ILLEGAL, "{} CSR {csr:#x}", ext.name());
        for (c, _) in ext.causes() {
            s.csrw(0x302, 1 << c);
            assert_eq!(s.csrr(0x302) >> c & 1, 0, "{} cause {c} not delegable when disabled", ext.name());
        }
    }
}

/// Extension causes delegate to S-mode with stval, like standard ones.
fn delegation(kind: EngineKind) {
    let mut s = Sys::new("xgate", kind);
    let a = s.new_space(1);
    s.csrw(0x302, 1 << 8 | 0xff << 24 | 0xf << 48);
    assert_eq!(s.csrr(0x302), 1 << 8 | 0x1f << 24, "only implemented causes are writable");
    let handler = s.asm(|x| {
        x.emit("csrrs", A0, 0, 0, 0x142); // scause
        x.emit("csrrs", A1, 0, 0, 0x143); // stval
        x.emit("ebreak", 0, 0, 0, 0);
    });
    let h = s.kernel_code(&handler);
    s.csrw(0x105, h);
    let code = s.asm(|x| {
        x.li(T0, 77);
        ins(x, "gcall", 0, T0, 0);
    });
    s.user_code(a, 0x1_0000, &code);
    s.enter(Priv::U, 0x1_0000, a);
    let stop = s.run();
    assert!(matches!(stop, Stop::Trap { cause: cause::BREAKPOINT, from: Priv::S, .. }), "{stop:?}");
    assert_eq!((s.x(A0), s.x(A1)), (causes::CLB_MISS, 77));
    assert_eq!(s.m.stats.exceptions[causes::CLB_MISS as usize], 1);
    let report = s.m.stats_report(s.engine.as_ref());
    assert!(report.contains("CLB miss"), "extension cause named in --stats: {report}");
}

/// Reset restores power-on state of every enabled extension.
fn reset(kind: EngineKind) {
    let mut s = Sys::new("xgate,xctx", kind);
    xgate::state_mut(&mut s.m).clb.fill(
        1,
        1,
        xgate::Gate { kind: xgate::GateKind::Sync, satp: 0, pc: 0, badge: 0, gtp: 0, target: 0, reply: 0 },
    );
    s.csrw(0x5c2, 0x8000_1000);
    s.csrw(0x5d0, 2);
    registry::reset(&mut s.m);
    assert_eq!(xgate::state(&s.m).clb.occupancy(), 0);
    assert_eq!(s.csrr(0x5c2), 0);
    assert_eq!(xctx::state(&s.m).ctxcur, u64::MAX);
    assert_eq!(s.csrr(0xdc0) & 0xffff, 32, "configuration kept");
}

/// Every enabled extension reports its events and modeled cycles; costs land in the cycle counter.
fn stats_and_costs(kind: EngineKind) {
    let mut s = Sys::new("xgate,xamsg,xline,xctx,xuirq,xcap", kind);
    let lines = registry::stats(&s.m);
    for e in registry::all() {
        for ev in e.events() {
            assert!(lines.iter().any(|(n, _)| n == ev.name), "{}", ev.name);
        }
        assert!(lines.iter().any(|(n, _)| *n == format!("{}.modeled_cycles", e.name())));
    }
    // The cost model knows the events, with their defaults.
    assert_eq!(s.m.cfg.cost_model.event("xgate.gcall"), 4);
    assert_eq!(s.m.cfg.cost_model.event("xamsg.spill"), 20);
    // A gflush charges xgate.flush on top of the instruction's class cost.
    let a = s.new_space(1);
    let code = s.asm(|x| {
        ins(x, "gflush", 0, 0, 0);
        x.emit("ebreak", 0, 0, 0, 0);
    });
    let pc = s.kernel_code(&code);
    s.enter(Priv::S, pc, a);
    let before = s.m.hart.cycles;
    assert_eq!(s.run().cause(), cause::BREAKPOINT);
    let spent = s.m.hart.cycles - before;
    assert!(spent >= 2, "xgate.flush charged ({spent})");
    assert_eq!(xgate::state(&s.m).ctr.counts[xgate::E_FLUSH], 1);
}

engine_tests! {
    disabled_sets_t => disabled_sets;
    delegation_t => delegation;
    reset_t => reset;
    stats_and_costs_t => stats_and_costs;
}
