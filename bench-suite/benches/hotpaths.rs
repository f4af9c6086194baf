//! Host-speed microbenchmarks of the emulator's hot paths, reached through
//! public APIs (criterion; wall-clock, so run them on a quiet machine and do
//! not gate CI on them — `mkjit compare` gates on modeled numbers instead):
//!
//! - `decode/kernel_4k`: `IsaTable::decode` over 4 KiB of the stock kernel's code;
//! - `interp/block_4`: `Interp::step_block` on a 4-instruction loop body;
//! - `interp/run_100k` and `jit/run_100k`: 100 000 instructions of a loop through `Engine::run`;
//! - `tlb/load_hit`: `Machine::load` of a doubleword whose translation is cached;
//! - `jit/compile_region`: a fresh JIT (compile threshold 1) compiling the loop's region on
//!   its first pass, through the public `Engine` interface.
//!
//! `cargo bench -p mkjit-bench --bench hotpaths` (add `-- --quick` for a short run).

use criterion::{criterion_group, BatchSize, Criterion, Throughput};
use mkjit_runtime::config::MachineConfig;
use mkjit_runtime::console::BufferConsole;
use mkjit_runtime::elfgen::ElfBuilder;
use mkjit_runtime::interp::Interp;
use mkjit_runtime::isa::decode::SetMask;
use mkjit_runtime::isa::encode::Asm;
use mkjit_runtime::isa::IsaTable;
use mkjit_runtime::machine::{Engine, Machine};
use std::hint::black_box;

const BASE: u64 = 0x8000_0000;
const RAM: u64 = 16 << 20;

/// `loop: addi t0,t0,1; add t1,t1,t0; xor t2,t2,t1; bne t0,a0,loop` with a0 = -1 (never exits).
fn loop_machine() -> (Machine, u64) {
    let t = IsaTable::core();
    let mut a = Asm::new(&t);
    a.li(10, -1);
    let start = a.here();
    a.emit("addi", 5, 5, 0, 1).emit("add", 6, 6, 5, 0).emit("xor", 7, 7, 6, 0);
    let off = start - a.here();
    a.emit("bne", 0, 5, 10, off);
    let elf = ElfBuilder::new(BASE, a.code.clone()).build();
    let cfg = MachineConfig { ram_size: RAM, bench_device: false, ..MachineConfig::default() };
    let m = Machine::new(cfg, &elf, Box::new(BufferConsole::new())).expect("the loop image boots");
    (m, BASE + start as u64)
}

fn decode(c: &mut Criterion) {
    let stock = mkjit_bench::suite::embedded_image("stock").expect("the stock image is built in");
    let m = Machine::new(MachineConfig::default(), stock, Box::new(BufferConsole::new())).expect("stock boots");
    let mut words = Vec::new();
    let mut pa = m.hart.pc;
    while pa < m.hart.pc + 4096 {
        let lo = m.bus.ram.read(pa, 2).unwrap_or(0) as u32;
        let len = IsaTable::length(lo as u16) as u64;
        words.push(if len == 4 { m.bus.ram.read(pa, 4).unwrap_or(0) as u32 } else { lo });
        pa += len;
    }
    let table = IsaTable::core();
    let mut g = c.benchmark_group("decode");
    g.throughput(Throughput::Elements(words.len() as u64));
    g.bench_function("kernel_4k", |b| {
        b.iter(|| {
            let mut n = 0u32;
            for &w in &words {
                n = n.wrapping_add(table.decode(black_box(w), SetMask::CORE).map_or(0, |i| i.row as u32));
            }
            n
        })
    });
    g.finish();
}

fn interp(c: &mut Criterion) {
    let (mut m, start) = loop_machine();
    let mut i = Interp::new();
    m.hart.pc = start;
    let mut g = c.benchmark_group("interp");
    g.throughput(Throughput::Elements(4));
    g.bench_function("block_4", |b| {
        b.iter(|| {
            m.hart.pc = start;
            i.step_block(&mut m, 64)
        })
    });
    g.throughput(Throughput::Elements(100_000));
    g.bench_function("run_100k", |b| {
        b.iter(|| {
            m.hart.pc = start;
            m.hart.deadline = m.hart.clock + 100_000;
            m.hart.exit = 0;
            i.run(&mut m);
        })
    });
    g.finish();
}

fn tlb(c: &mut Criterion) {
    let (mut m, _) = loop_machine();
    let va = BASE + 0x1000;
    m.load(va, 8).expect("RAM is readable");
    let mut g = c.benchmark_group("tlb");
    g.throughput(Throughput::Elements(1));
    g.bench_function("load_hit", |b| b.iter(|| m.load(black_box(va), 8)));
    g.finish();
}

fn jit(c: &mut Criterion) {
    let mut g = c.benchmark_group("jit");
    let (mut m, start) = loop_machine();
    let Ok(mut jit) = mkjit_translator::Jit::new() else {
        eprintln!("jit: engine unavailable on this host; skipped");
        return;
    };
    // The JIT is under construction: probe it once and skip its benchmarks if it panics.
    let probe = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        m.hart.pc = start;
        m.hart.deadline = m.hart.clock + 100_000;
        jit.run(&mut m);
    }));
    if probe.is_err() {
        eprintln!("jit: the engine panicked on the loop; jit benchmarks skipped");
        return;
    }
    g.throughput(Throughput::Elements(100_000));
    g.bench_function("run_100k", |b| {
        b.iter(|| {
            m.hart.pc = start;
            m.hart.deadline = m.hart.clock + 100_000;
            m.hart.exit = 0;
            jit.run(&mut m);
        })
    });
    // A fresh engine with a compile threshold of 1 (MKJIT_JIT_THRESHOLD, set in `main`)
    // compiles the loop's region on its first pass: this measures one region
    // compile through the public engine interface (plus a few loop iterations).
    g.throughput(Throughput::Elements(1));
    g.bench_function("compile_region", |b| {
        b.iter_batched(
            || (loop_machine(), mkjit_translator::Jit::new().expect("the JIT starts")),
            |((mut m, start), mut jit)| {
                m.hart.pc = start;
                m.hart.deadline = m.hart.clock + 64;
                jit.run(&mut m);
                m.hart.clock
            },
            BatchSize::PerIteration,
        )
    });
    g.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(30).warm_up_time(std::time::Duration::from_millis(500)).measurement_time(std::time::Duration::from_secs(2));
    targets = decode, interp, tlb, jit
}
fn main() {
    // Before any thread starts: compile a region the first time it is reached.
    std::env::set_var("MKJIT_JIT_THRESHOLD", "1");
    benches();
    Criterion::default().configure_from_args().final_summary();
}
