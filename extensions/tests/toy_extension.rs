//! The worked example of `extensions/README.md`: a toy extension with one
//! instruction, `xtoy.popc rd, rs1` (population count, custom-3), defined here
//! outside the crate to show that the mechanism is open. In the crate it would
//! be `src/xtoy/mod.rs` plus one line in `registry::all()`.

mod common;

use common::{ins, reg::*, EngineKind, Sys};
use cranelift_codegen::ir::InstBuilder;
use mkjit_extensions::common::{charge, set_x, with_state, x, Counters, EventRef, ExtState, R};
use mkjit_extensions::{registry, Config, CostEvent, Extension, ExtensionSpec, InsnDoc};
use mkjit_runtime::hart::Priv;
use mkjit_runtime::isa::{Format, Insn, InsnDef, IsaSet, Op};
use mkjit_runtime::machine::Machine;
use mkjit_runtime::trap::{cause, Exception};
use mkjit_translator::fastpath::{FastPathCx, InlineFastPath, PreparedFastPath};
use std::any::Any;

// --- README example begins ---
const SET: u16 = 7;

static ROWS: &[InsnDef] = &[InsnDef::new(
    "xtoy.popc",
    "0000000 00000 ----- 000 ----- 1111011", // custom-3, funct3 0, funct7 0, rs2 = 0
    Format::R,
    Op::Custom(SET, 0),
    IsaSet::Custom(SET),
)];
static DOCS: &[InsnDoc] =
    &[InsnDoc { name: "xtoy.popc", rd: "count", rs1: "value", rs2: "", rs3: "", summary: "population count" }];
static EVENTS: &[CostEvent] = &[CostEvent { name: "xtoy.popc", default: 1, doc: "xtoy.popc" }];

struct ToyState {
    cfg: Config,
    ctr: Counters,
}

impl ExtState for ToyState {
    fn counters(&mut self) -> &mut Counters {
        &mut self.ctr
    }
}

/// Reference semantics: one function per instruction, dispatched on the op.
fn handler(m: &mut Machine, i: &Insn, pc: u64) -> R {
    match i.op {
        Op::Custom(_, 0) => {
            let v = x(m, i.rs1).count_ones() as u64;
            set_x(m, i.rd, v);
            with_state(m, SET, |m, st: &mut ToyState| charge(m, st, 0));
            Ok(pc + 4)
        }
        _ => Err(Exception::illegal(i.raw)),
    }
}

struct Xtoy;

/// The extension's static description.
static SPEC: ExtensionSpec = ExtensionSpec {
    name: "xtoy",
    isa_name: "Xtoy",
    set: SET,
    rows: ROWS,
    docs: DOCS,
    requires: &[],
    handler,
    params: &[],
    csrs: &[],
    causes: &[],
    events: EVENTS,
    constants: &[],
};

impl Extension for Xtoy {
    fn spec(&self) -> &'static ExtensionSpec {
        &SPEC
    }
    fn new_state(&self, m: &mut Machine, cfg: &Config) -> Box<dyn Any + Send> {
        Box::new(ToyState { cfg: cfg.clone(), ctr: Counters::new(m, EVENTS) })
    }
    fn config(&self, m: &Machine) -> Config {
        m.ext.state::<ToyState>(SET).expect("enabled").cfg.clone()
    }
    fn counts<'m>(&self, m: &'m Machine) -> &'m [u64] {
        &m.ext.state::<ToyState>(SET).expect("enabled").ctr.counts
    }
    fn fast_path(&self) -> Option<&'static dyn InlineFastPath> {
        Some(&TOY_FAST_PATH)
    }
}

/// Optional: the JIT compiles `xtoy.popc` inline (no guard needed: it cannot fail).
struct ToyFastPath;
static TOY_FAST_PATH: ToyFastPath = ToyFastPath;

impl InlineFastPath for ToyFastPath {
    // On the machine's thread: what emitting needs (the code may compile on another).
    fn prepare(&self, m: &Machine) -> Box<dyn PreparedFastPath> {
        let st = m.ext.state::<ToyState>(SET).expect("enabled");
        Box::new(ToyPrepared(st.ctr.event(0))) // the event the helper counts, and its modeled cycles
    }
}
struct ToyPrepared(EventRef);
impl PreparedFastPath for ToyPrepared {
    fn emit(&self, i: &Insn, fx: &mut FastPathCx<'_, '_, '_>) -> bool {
        let v = fx.x(i.rs1);
        let n = fx.ins().popcnt(v);
        fx.set_x(i.rd, n);
        self.0.emit(fx);
        true
    }
}
// --- README example ends ---

static XTOY: Xtoy = Xtoy;

fn toy_run(kind: EngineKind) -> Sys {
    let mut s = Sys::new("xgate", kind);
    let a = s.new_space(1);
    // Before enabling: illegal, like on a stock core.
    let word: u32 = 0x0005_057b; // xtoy.popc a0, a0
    s.user_code(a, 0x1_0000, &word.to_le_bytes());
    s.enter(Priv::U, 0x1_0000, a);
    assert_eq!(s.run().cause(), cause::ILLEGAL);
    registry::enable_one(&mut s.m, &XTOY, &registry::default_config(&XTOY)).unwrap();
    let code = s.asm(|x| {
        x.li(A0, 0xf0f0);
        ins(x, "xtoy.popc", A1, A0, 0);
        x.emit("ebreak", 0, 0, 0, 0);
    });
    s.user_code(a, 0x2_0000, &code);
    s.enter(Priv::U, 0x2_0000, a);
    assert_eq!(s.run().cause(), cause::BREAKPOINT);
    assert_eq!(s.x(A1), 8);
    assert_eq!(XTOY.counts(&s.m), &[1]);
    assert_eq!(s.m.cfg.cost_model.event("xtoy.popc"), 1);
    // The same again through the fast path where there is one: same result, count and cycles.
    s.enter(Priv::U, 0x2_0000, a);
    assert_eq!(s.run().cause(), cause::BREAKPOINT);
    assert_eq!(s.x(A1), 8);
    assert_eq!(XTOY.counts(&s.m), &[2]);
    s
}

fn toy(kind: EngineKind) {
    let s = toy_run(kind);
    assert_eq!(s.snapshot(), toy_run(EngineKind::Interp).snapshot(), "as on the interpreter, cycles included");
    // Compiled inline: the two runs' `xtoy.popc` need the helper at most once.
    s.assert_fast_paths(1, 1, 1);
}

engine_tests! {
    toy_t => toy;
}
