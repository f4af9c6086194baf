//! Lockstep differential execution: the same image on two machines, one on
//! the reference interpreter and one on the JIT, stopped at the same
//! instruction counts and compared field by field at every stop.

#![allow(dead_code)]

use mkjit_runtime::config::MachineConfig;
use mkjit_runtime::console::BufferConsole;
use mkjit_runtime::interp::Interp;
use mkjit_runtime::isa::reg::*;
use mkjit_runtime::machine::{Engine, Machine, Outcome};
use mkjit_translator::lower::Tier;
use mkjit_translator::{Jit, JitConfig};

/// RAM for test machines.
pub const RAM: u64 = 64 << 20;

/// Boots `elf` on a fresh machine.
pub fn boot(elf: &[u8]) -> Machine {
    let cfg = MachineConfig { ram_size: RAM, ..MachineConfig::default() };
    Machine::new(cfg, elf, Box::new(BufferConsole::new())).expect("image boots")
}

/// Two machines booted from `elf`, for a lockstep run, with `data` at `addr` in RAM.
pub fn twins_with(elf: &[u8], addr: u64, data: &[u8]) -> (Machine, Machine) {
    let (mut a, mut b) = (boot(elf), boot(elf));
    for m in [&mut a, &mut b] {
        m.bus.ram.slice_mut(addr, data.len() as u64).expect("data in RAM").copy_from_slice(data);
    }
    (a, b)
}

/// The configuration of [`jit`].
fn config(threshold: u32) -> JitConfig {
    JitConfig { threshold, count_resumptions: true, ..JitConfig::default() }
}

/// A JIT that compiles a block start the `threshold`-th time it runs.
pub fn jit(threshold: u32) -> Jit {
    Jit::with_config(config(threshold)).expect("JIT starts")
}

/// [`jit`] on the optimising tier (whose floating-point fast paths leave
/// the region when they fail, see `lower::hardfloat`).
pub fn jit_optimised(threshold: u32) -> Jit {
    Jit::with_config(JitConfig { tier: Tier::Optimized, ..config(threshold) }).expect("JIT starts")
}

/// [`jit`], compiling on its compile thread (code arrives whenever it is ready).
pub fn jit_background(threshold: u32) -> Jit {
    Jit::with_config(JitConfig { background: true, ..config(threshold) }).expect("JIT starts")
}

/// Architectural state compared between engines.
#[derive(Debug, PartialEq, Eq, Clone)]
pub struct State {
    pub pc: u64,
    pub clock: u64,
    /// Modeled cycles (cost model).
    pub cycles: u64,
    pub x: [u64; 32],
    pub f: [u64; 32],
    pub prv: char,
    pub traps: u64,
    pub idle: u64,
    pub reservation: u64,
    pub csrs: Vec<(&'static str, u64)>,
}

impl State {
    pub fn of(m: &Machine) -> State {
        let h = &m.hart;
        let c = &h.csr;
        State {
            pc: h.pc,
            clock: h.clock,
            cycles: h.cycles,
            x: h.x,
            f: h.f,
            prv: h.prv.letter(),
            traps: h.traps,
            idle: h.idle,
            reservation: h.reservation,
            csrs: vec![
                ("mstatus", c.mstatus),
                ("fcsr", h.fcsr),
                ("mepc", c.mepc),
                ("mcause", c.mcause),
                ("mtval", c.mtval),
                ("sepc", c.sepc),
                ("scause", c.scause),
                ("stval", c.stval),
                ("satp", c.satp),
                ("mie", c.mie),
                ("mip", c.mip),
                ("mscratch", c.mscratch),
                ("sscratch", c.sscratch),
                ("instret_offset", c.instret_offset),
                ("cycle_offset", c.cycle_offset),
            ],
        }
    }

    /// The fields that differ, one per line.
    pub fn diff(&self, other: &State) -> String {
        let mut s = String::new();
        let mut field = |name: String, a: u64, b: u64| {
            if a != b {
                s.push_str(&format!("  {name:<14} interp {a:#018x}  jit {b:#018x}\n"));
            }
        };
        field("pc".into(), self.pc, other.pc);
        field("clock".into(), self.clock, other.clock);
        field("cycles".into(), self.cycles, other.cycles);
        for i in 0..32 {
            field(format!("x{i}"), self.x[i], other.x[i]);
        }
        for i in 0..32 {
            field(format!("f{i}"), self.f[i], other.f[i]);
        }
        field("priv".into(), self.prv as u64, other.prv as u64);
        field("traps".into(), self.traps, other.traps);
        field("idle".into(), self.idle, other.idle);
        field("reservation".into(), self.reservation, other.reservation);
        for ((n, a), (_, b)) in self.csrs.iter().zip(&other.csrs) {
            field(n.to_string(), *a, *b);
        }
        s
    }
}

pub use mkjit_runtime::isa::random::Rng;

/// Result of a lockstep run.
#[derive(Debug)]
pub struct Lockstep {
    pub outcome: Outcome,
    pub stops: u64,
    pub insns: u64,
    /// Clock slots that ran in compiled code.
    pub jit_clock: u64,
    /// Loops compiled with vector trips.
    pub vector_loops: u64,
}

/// Runs `a` on the interpreter and `b` on `jit` in chunks of 1..=`max_step`
/// instructions (chosen by `seed`), comparing the state at every stop, until
/// the guest exits or `limit` instructions ran. `prepare` is applied to both
/// machines first. Returns the first divergence as an error.
pub fn lockstep_machines(
    mut a: Machine,
    mut b: Machine,
    jit: &mut Jit,
    limit: u64,
    max_step: u64,
    seed: u64,
) -> Result<Lockstep, String> {
    let mut interp = Interp::new();
    let mut rng = Rng(seed | 1);
    let mut stops = 0;
    let mut prev = State::of(&a);
    loop {
        let step = 1 + rng.below(max_step);
        let target = (a.hart.clock + step).min(limit);
        a.max_insns = Some(target);
        b.max_insns = Some(target);
        let oa = a.run(&mut interp);
        let ob = b.run(jit);
        stops += 1;
        let (sa, sb) = (State::of(&a), State::of(&b));
        if sa != sb || oa != ob {
            return Err(format!(
                "divergence at stop {stops} (interp outcome {oa:?}, jit outcome {ob:?}); previous stop at pc {:#x} clock {}\n{}",
                prev.pc,
                prev.clock,
                sa.diff(&sb)
            ));
        }
        prev = sa;
        match oa {
            Outcome::InsnLimit(n) if n < limit => continue,
            o => {
                if a.bus.ram.bytes() != b.bus.ram.bytes() {
                    let i = a.bus.ram.bytes().iter().zip(b.bus.ram.bytes()).position(|(x, y)| x != y).unwrap_or(0);
                    return Err(format!("RAM differs at the end, first at pa {:#x}", 0x8000_0000u64 + i as u64));
                }
                let st = jit.jit_stats();
                if st.compile_failures != 0 {
                    return Err(format!(
                        "{} regions failed to compile, last: {:?}",
                        st.compile_failures, st.last_error
                    ));
                }
                return Ok(Lockstep {
                    outcome: o,
                    stops,
                    insns: a.hart.clock,
                    jit_clock: st.jit_clock,
                    vector_loops: st.vector_loops,
                });
            }
        }
    }
}

/// [`lockstep_machines`] on two fresh machines booted from `elf`.
pub fn lockstep(elf: &[u8], jit: &mut Jit, limit: u64, max_step: u64, seed: u64) -> Result<Lockstep, String> {
    lockstep_machines(boot(elf), boot(elf), jit, limit, max_step, seed)
}

/// Runs `elf` to the end on `engine`.
pub fn run_to_end(elf: &[u8], engine: &mut dyn Engine, limit: u64) -> (Outcome, Machine) {
    let mut m = boot(elf);
    m.max_insns = Some(limit);
    let o = m.run(engine);
    (o, m)
}

/// A bare-metal image at RAM's base of the code `body` emits given the
/// offset of the failure exit (`a.pass_fail` with scratch registers t3 and
/// t4 follows it): assembled twice, the second time with that offset known.
pub fn self_checking_image(body: impl Fn(&mut mkjit_runtime::isa::encode::Asm, i64)) -> Vec<u8> {
    let t = mkjit_runtime::isa::IsaTable::core();
    let mut fail = 0;
    let mut code = Vec::new();
    for _ in 0..2 {
        let mut a = mkjit_runtime::isa::encode::Asm::new(&t);
        body(&mut a, fail);
        fail = a.pass_fail(28, 29);
        code = a.code;
    }
    mkjit_runtime::elfgen::ElfBuilder::new(0x8000_0000, code).build()
}

/// M-mode code at RAM's base for U-mode tests under Sv39: boots into U-mode
/// at `entry` with `satp`, and handles every trap. A trap other than an
/// `ecall` from U fails the run; `ecall` with a7 = 1 passes it if a0 is
/// `expected`; any other `ecall` runs `service` (which may use t0 and t1)
/// and returns after the `ecall`. Assembled until its labels settle.
pub fn sv39_monitor(
    satp: u64,
    entry: u64,
    expected: i64,
    service: impl Fn(&mut mkjit_runtime::isa::encode::Asm),
) -> Vec<u8> {
    let t = mkjit_runtime::isa::IsaTable::core();
    let mut labels = [0i64; 3]; // handler, done, fail
    let mut code = Vec::new();
    for _ in 0..3 {
        let mut a = mkjit_runtime::isa::encode::Asm::new(&t);
        a.li(T0, -1);
        a.emit("csrrw", 0, T0, 0, 0x3b0); // pmpaddr0: everything
        a.li(T0, 0x1f);
        a.emit("csrrw", 0, T0, 0, 0x3a0); // pmpcfg0: NAPOT, RWX
        a.li(T0, 0x8000_0000 + labels[0]);
        a.emit("csrrw", 0, T0, 0, 0x305); // mtvec
        a.li(T0, satp as i64);
        a.emit("csrrw", 0, T0, 0, 0x180); // satp
        a.emit("sfence.vma", 0, 0, 0, 0);
        a.li(T0, entry as i64);
        a.emit("csrrw", 0, T0, 0, 0x341); // mepc (MPP is U after reset)
        a.emit("mret", 0, 0, 0, 0);
        let handler = a.here();
        a.emit("csrrs", T0, 0, 0, 0x342); // mcause
        a.li(T1, 8);
        let here = a.here();
        a.emit("bne", 0, T0, T1, labels[2] - here);
        a.li(T1, 1);
        let here = a.here();
        a.emit("beq", 0, A7, T1, labels[1] - here);
        service(&mut a);
        a.emit("csrrs", T0, 0, 0, 0x341);
        a.emit("addi", T0, T0, 0, 4);
        a.emit("csrrw", 0, T0, 0, 0x341);
        a.emit("mret", 0, 0, 0, 0);
        let done = a.here();
        a.li(T1, expected);
        let here = a.here();
        a.emit("bne", 0, A0, T1, labels[2] - here);
        let fail = a.pass_fail(T0, T1);
        labels = [handler, done, fail];
        code = a.code;
    }
    code
}

/// Runs a campaign of random programs, each in lockstep on the interpreter
/// and the JIT (compile threshold 1 to 3, every `optimised`-th seed on the
/// optimising tier when `optimised` is not 0, stops every 1 to `max_step`
/// instructions): `MKJIT_RANDOM_SEEDS` seeds (default `seeds`) from
/// `MKJIT_RANDOM_FIRST_SEED` (default 1). `make` builds the two machines of
/// a seed from its PRNG. Fails listing every program that diverged or did not
/// exit 0, and unless most instructions ran compiled.
pub fn random_campaign(
    seeds: u64,
    max_step: u64,
    optimised: u64,
    mut make: impl FnMut(&mut Rng) -> (Machine, Machine),
) -> Campaign {
    let seeds: u64 = std::env::var("MKJIT_RANDOM_SEEDS").ok().and_then(|v| v.parse().ok()).unwrap_or(seeds);
    let first: u64 = std::env::var("MKJIT_RANDOM_FIRST_SEED").ok().and_then(|v| v.parse().ok()).unwrap_or(1);
    let mut failures = Vec::new();
    let (mut total, mut jitted, mut vector_loops) = (0u64, 0u64, 0u64);
    for seed in first..first + seeds {
        let mut rng = Rng(seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1);
        let (a, b) = make(&mut rng);
        let threshold = 1 + (seed % 3) as u32;
        let mut j = if optimised != 0 && seed % optimised == 0 { jit_optimised(threshold) } else { jit(threshold) };
        match lockstep_machines(a, b, &mut j, 2_000_000, 1 + seed * 97 % max_step, seed) {
            Ok(r) if r.outcome == Outcome::Exit(0) => {
                total += r.insns;
                jitted += r.jit_clock;
                vector_loops += r.vector_loops;
            }
            Ok(r) => failures.push(format!("seed {seed}: ended with {:?} after {} insns", r.outcome, r.insns)),
            Err(e) => failures.push(format!("seed {seed}: {e}")),
        }
    }
    assert!(failures.is_empty(), "{} random programs diverged:\n{}", failures.len(), failures.join("\n"));
    let share = jitted as f64 / total.max(1) as f64;
    eprintln!("{total} clock slots, {:.1}% in compiled code, {vector_loops} vector loops", share * 100.0);
    assert!(share > 0.5, "only {:.1}% ran in compiled code", share * 100.0);
    Campaign { vector_loops }
}

/// What a [`random_campaign`] compiled.
pub struct Campaign {
    /// Loops compiled with vector trips, over all seeds.
    pub vector_loops: u64,
}
