//! Translated fetches: a U-mode loop under Sv39 calls a function on the next
//! virtual page (a region spanning both pages, or a jump through the jump
//! cache, whose hits check the fetch TLB, and a return through it). Halfway, an `ecall` makes M-mode
//! point that virtual page at another physical page holding a different
//! function (PTE write + `sfence.vma`): regions compiled for the old mapping
//! must notice at their next entry, and the new function must run, exactly
//! as on the interpreter. Each iteration also loads through a pointer it
//! loaded (a TLB memo in loops) and runs an AMO, every other iteration on a
//! data page whose TLB entry collides with that load's: the AMO misses, and
//! its TLB fill evicts the load's entry, so the next load must miss (and be
//! charged a modeled D-TLB miss) on both engines even though a memo had seen
//! it hit. (Both misses leave compiled code, so less than the usual share of
//! the run is compiled code.)

mod common;

use common::{boot, lockstep_machines, run_to_end, sv39_monitor};
use mkjit_runtime::elfgen::ElfBuilder;
use mkjit_runtime::isa::encode::Asm;
use mkjit_runtime::isa::reg::*;
use mkjit_runtime::isa::IsaTable;
use mkjit_runtime::machine::Outcome;
use mkjit_translator::{Jit, JitConfig};

const BASE: u64 = 0x8000_0000;

/// Physical page offsets: M-mode code, U loop (A), f old (B), f new (C), page tables.
const PA_A: u64 = 0x1000;
const PA_B: u64 = 0x2000;
const PA_C: u64 = 0x3000;
const ROOT: u64 = 0x8000;
const L1: u64 = 0x9000;
const L0: u64 = 0xa000;
const L0B: u64 = 0xb000;
const _: () = assert!(PA_D3 < ROOT);
/// Data pages: D1 at VA + 0x2000 (a pointer to D3), D3 at VA + 0x3000 (the
/// word), D2 at VA + 0x40_3000 (same TLB index as D3: the AMO's page).
const PA_D1: u64 = 0x4000;
const PA_D2: u64 = 0x5000;
const PA_D3: u64 = 0x6000;
const VA_D2: u64 = VA + 0x40_3000;
/// D4 at VA + 0x4000: the AMO's page every other iteration (no collision).
const PA_D4: u64 = 0x7000;
const VA_D4: u64 = VA + 0x4000;
/// The word the pointer in D1 points at.
const WORD: i64 = 5;
/// Virtual address of the U code.
const VA: u64 = 0x4000_0000;
const N: i64 = 4000;
const OLD: i64 = 3;
const NEW: i64 = 7;

/// Leaf PTE for physical offset `pa`: R, X, U, A, V.
fn code_pte(pa: u64) -> u64 {
    ((BASE + pa) >> 12) << 10 | 0x5b
}

fn expected() -> i64 {
    (N / 2) * OLD + (N - N / 2) * NEW + N * WORD
}

fn program() -> Vec<u8> {
    let t = IsaTable::core();
    let mut img = vec![0u8; 0xd000];
    // M-mode: boot; an `ecall` with a7 = 0 remaps VA + 0x1000 to page C.
    let m = sv39_monitor((8 << 60) | (BASE + ROOT) >> 12, VA, expected(), |a| {
        a.li(T0, (BASE + L0 + 8) as i64);
        a.li(T1, code_pte(PA_C) as i64);
        a.emit("sd", 0, T0, T1, 0);
        a.emit("sfence.vma", 0, 0, 0, 0);
    });
    img[..m.len()].copy_from_slice(&m);
    // U loop on page A (VA).
    let mut u = Vec::new();
    let mut skip_at = 0i64;
    for _ in 0..2 {
        let mut a = Asm::new(&t);
        a.li(S0, 0);
        a.li(S1, N);
        a.li(S2, N / 2);
        a.li(A0, 0);
        a.li(S3, (VA + 0x2000) as i64);
        a.li(S4, VA_D2 as i64);
        a.li(T5, 1);
        a.li(S5, (VA_D2 ^ VA_D4) as i64);
        let lp = a.here();
        a.emit("ld", T3, S3, 0, 0);
        a.emit("lw", T4, T3, 0, 0);
        a.emit("add", A0, A0, T4, 0);
        a.emit("amoadd.w", 0, S4, T5, 0);
        a.emit("xor", S4, S4, S5, 0);
        // A short inner loop: hotter than f, so that its region is compiled
        // first and takes f in (from the next page).
        a.li(T1, 3);
        let inner = a.here();
        a.emit("addi", T1, T1, 0, -1);
        let here = a.here();
        a.emit("bne", 0, T1, 0, inner - here);
        let here = a.here();
        a.emit("jal", RA, 0, 0, 0x1000 - here);
        a.emit("addi", S0, S0, 0, 1);
        let here = a.here();
        a.emit("bne", 0, S0, S2, skip_at - here);
        a.li(A7, 0);
        a.emit("ecall", 0, 0, 0, 0);
        let skip = a.here();
        a.emit("blt", 0, S0, S1, lp - skip);
        a.li(A7, 1);
        a.emit("ecall", 0, 0, 0, 0);
        skip_at = skip;
        u = a.code;
    }
    img[PA_A as usize..PA_A as usize + u.len()].copy_from_slice(&u);
    // f, old (B) and new (C).
    for (pa, k) in [(PA_B, OLD), (PA_C, NEW)] {
        let mut a = Asm::new(&t);
        a.emit("addi", A0, A0, 0, k);
        a.emit("jalr", 0, RA, 0, 0);
        img[pa as usize..pa as usize + a.code.len()].copy_from_slice(&a.code);
    }
    // Page tables: VA 0x4000_0000 -> A, VA + 0x1000 -> B.
    let put = |img: &mut Vec<u8>, at: u64, v: u64| img[at as usize..at as usize + 8].copy_from_slice(&v.to_le_bytes());
    put(&mut img, ROOT + 8, ((BASE + L1) >> 12) << 10 | 1);
    put(&mut img, L1, ((BASE + L0) >> 12) << 10 | 1);
    put(&mut img, L0, code_pte(PA_A));
    put(&mut img, L0 + 8, code_pte(PA_B));
    // Data: R, W, U, A, D, V.
    let data_pte = |pa: u64| ((BASE + pa) >> 12) << 10 | 0xd7;
    put(&mut img, L0 + 16, data_pte(PA_D1));
    put(&mut img, L0 + 24, data_pte(PA_D3));
    put(&mut img, L0 + 32, data_pte(PA_D4));
    put(&mut img, L1 + 16, ((BASE + L0B) >> 12) << 10 | 1);
    put(&mut img, L0B + 24, data_pte(PA_D2));
    put(&mut img, PA_D1, VA + 0x3000 + 8);
    put(&mut img, PA_D3 + 8, WORD as u64);
    ElfBuilder::new(BASE, img).build()
}

#[test]
fn the_program_is_right_on_the_interpreter() {
    let (o, m) = run_to_end(&program(), &mut mkjit_runtime::interp::Interp::new(), 1_000_000);
    let c = &m.hart.csr;
    assert_eq!(
        o,
        Outcome::Exit(0),
        "a0 = {} mcause {:#x} mepc {:#x} mtval {:#x}",
        m.hart.x[10] as i64,
        c.mcause,
        c.mepc,
        c.mtval
    );
}

#[test]
fn remapping_a_code_page_agrees_in_lockstep() {
    let elf = program();
    for (multi_page, chain) in [(true, true), (false, true), (true, false)] {
        for step in [9, 250, 100_000] {
            let cfg = JitConfig { threshold: 40, count_resumptions: true, multi_page, chain, ..JitConfig::default() };
            let mut j = Jit::with_config(cfg).expect("JIT starts");
            let r = lockstep_machines(boot(&elf), boot(&elf), &mut j, 1_000_000, step, 21)
                .unwrap_or_else(|e| panic!("multi_page {multi_page} chain {chain} step {step}: {e}"));
            assert_eq!(r.outcome, Outcome::Exit(0));
            let s = j.jit_stats();
            assert!(s.compiles > 0 && r.jit_clock > r.insns / 3, "{} of {}: {s:?}", r.jit_clock, r.insns);
            if step == 100_000 && multi_page {
                assert!(s.map_exits > 0, "a region spanning the remapped page noticed: {s:?}");
            }
            if step == 100_000 && !multi_page && chain {
                assert!(s.jc_hits > 0, "{s:?}");
            }
        }
    }
}

/// Writes the program to `$MKJIT_WRITE_SV39_REMAP` (for looking at it with `mkjit run -d ...`).
#[test]
fn write_the_program_when_asked() {
    if let Some(p) = std::env::var_os("MKJIT_WRITE_SV39_REMAP") {
        std::fs::write(p, program()).expect("writable");
    }
}
