//! Two address spaces share code: ASIDs 1 and 2 map one physical code page at
//! the same virtual address, and one virtual data page to two different
//! physical pages. M-mode switches `satp` between them at every `ecall`
//! without `sfence.vma`, so the ASID-tagged TLB keeps both spaces' entries
//! and a lookup with the wrong ASID would hit the other space's data page.
//! User code is compiled with its ASID's TLB key and salt built in: code
//! compiled for one space must never run for the other, whether it is
//! entered from the dispatcher, a chain slot or the jump cache (`ret`).

mod common;

use common::{boot, lockstep_machines, run_to_end, sv39_monitor};
use mkjit_runtime::elfgen::ElfBuilder;
use mkjit_runtime::isa::encode::Asm;
use mkjit_runtime::isa::reg::*;
use mkjit_runtime::isa::IsaTable;
use mkjit_runtime::machine::Outcome;
use mkjit_translator::{Jit, JitConfig};

const BASE: u64 = 0x8000_0000;

/// Physical page offsets: the shared U code, each space's data page and page tables.
const PA_CODE: u64 = 0x1000;
const PA_DATA: [u64; 2] = [0x2000, 0x3000];
const ROOT: [u64; 2] = [0x4000, 0x7000];
/// Virtual address of the U code; its data page follows it.
const VA: u64 = 0x4000_0000;
const VA_DATA: u64 = VA + 0x1000;
/// ASIDs of the two spaces.
const ASID: [u64; 2] = [1, 2];
/// The words at `VA_DATA` and `VA_DATA + 8` in each space.
const WORDS: [[i64; 2]; 2] = [[3, 100], [7, 1000]];
/// Outer iterations (one switch each) and inner loop trips.
const N: i64 = 600;
const INNER: i64 = 8;

fn satp(space: usize) -> u64 {
    (8 << 60) | ASID[space] << 44 | (BASE + ROOT[space]) >> 12
}

fn expected() -> i64 {
    let per = |w: [i64; 2]| INNER * w[0] + w[1];
    (N + 1) / 2 * per(WORDS[0]) + N / 2 * per(WORDS[1])
}

fn program() -> Vec<u8> {
    let t = IsaTable::core();
    let mut img = vec![0u8; 0xa000];
    // M-mode: boot into space 0; an `ecall` with a7 = 0 switches spaces:
    // satp ^= satp(0) ^ satp(1), no fence. One with a7 = 2 only returns.
    let mut switch = Asm::new(&t);
    switch.emit("csrrs", T0, 0, 0, 0x180);
    switch.li(T1, (satp(0) ^ satp(1)) as i64);
    switch.emit("xor", T0, T0, T1, 0);
    switch.emit("csrrw", 0, T0, 0, 0x180);
    let m = sv39_monitor(satp(0), VA, expected(), |a| {
        a.emit("bne", 0, A7, 0, switch.code.len() as i64 + 4);
        a.code.extend_from_slice(&switch.code);
    });
    img[..m.len()].copy_from_slice(&m);
    // U code: an inner loop summing the first word, then a call to `f`, which
    // adds the second word and switches spaces (`ecall`); its return, in the
    // other space, goes through the jump cache. In space 0, `f` first makes
    // an `ecall` that does not switch: the `mret` after it goes on through
    // the jump cache with the ASID it reads from the hart (in space 1 the
    // code is the same, so the entry would be the other space's).
    let mut u = Vec::new();
    let mut f_at = 0i64;
    let mut skip_at = 0i64;
    for _ in 0..2 {
        let mut a = Asm::new(&t);
        a.li(S0, 0);
        a.li(S1, N);
        a.li(A0, 0);
        a.li(S3, VA_DATA as i64);
        let outer = a.here();
        a.li(T1, INNER);
        let inner = a.here();
        a.emit("ld", T3, S3, 0, 0);
        a.emit("add", A0, A0, T3, 0);
        a.emit("addi", T1, T1, 0, -1);
        let here = a.here();
        a.emit("bne", 0, T1, 0, inner - here);
        let here = a.here();
        a.emit("jal", RA, 0, 0, f_at - here);
        a.emit("addi", S0, S0, 0, 1);
        let here = a.here();
        a.emit("blt", 0, S0, S1, outer - here);
        a.li(A7, 1);
        a.emit("ecall", 0, 0, 0, 0);
        f_at = a.here();
        a.emit("ld", T4, S3, 0, 0);
        a.li(T1, WORDS[0][0]);
        let here = a.here();
        a.emit("bne", 0, T4, T1, skip_at - here);
        a.li(A7, 2);
        a.emit("ecall", 0, 0, 0, 0);
        skip_at = a.here();
        a.emit("ld", T4, S3, 0, 8);
        a.emit("add", A0, A0, T4, 0);
        a.li(A7, 0);
        a.emit("ecall", 0, 0, 0, 0);
        a.emit("jalr", 0, RA, 0, 0);
        u = a.code;
    }
    img[PA_CODE as usize..PA_CODE as usize + u.len()].copy_from_slice(&u);
    let put = |img: &mut Vec<u8>, at: u64, v: u64| img[at as usize..at as usize + 8].copy_from_slice(&v.to_le_bytes());
    for space in 0..2 {
        // ROOT -> L1 (ROOT + 0x1000) -> L0 (ROOT + 0x2000): VA -> code, VA_DATA -> this space's data.
        let (root, l1, l0) = (ROOT[space], ROOT[space] + 0x1000, ROOT[space] + 0x2000);
        put(&mut img, root + 8, ((BASE + l1) >> 12) << 10 | 1);
        put(&mut img, l1, ((BASE + l0) >> 12) << 10 | 1);
        put(&mut img, l0, ((BASE + PA_CODE) >> 12) << 10 | 0x5b); // R, X, U, A, V
        put(&mut img, l0 + 8, ((BASE + PA_DATA[space]) >> 12) << 10 | 0xd7); // R, W, U, A, D, V
        for (k, &w) in WORDS[space].iter().enumerate() {
            put(&mut img, PA_DATA[space] + 8 * k as u64, w as u64);
        }
    }
    ElfBuilder::new(BASE, img).build()
}

#[test]
fn the_program_is_right_on_the_interpreter() {
    let (o, m) = run_to_end(&program(), &mut mkjit_runtime::interp::Interp::new(), 1_000_000);
    assert_eq!(o, Outcome::Exit(0), "a0 = {} (want {})", m.hart.x[10] as i64, expected());
}

#[test]
fn code_shared_by_two_address_spaces_agrees_in_lockstep() {
    let elf = program();
    for chain in [true, false] {
        for step in [7, 300, 1_000_000] {
            let cfg = JitConfig { threshold: 10, count_resumptions: true, chain, ..JitConfig::default() };
            let mut j = Jit::with_config(cfg).expect("JIT starts");
            let r = lockstep_machines(boot(&elf), boot(&elf), &mut j, 1_000_000, step, 5)
                .unwrap_or_else(|e| panic!("chain {chain} step {step}: {e}"));
            assert_eq!(r.outcome, Outcome::Exit(0));
            let s = j.jit_stats();
            if step == 1_000_000 {
                assert!(r.jit_clock > r.insns / 2, "compiled code ran most of it: {s:?}");
                // `ret`s, space 0's returns from the ecall that does not
                // switch (N / 2) and traps into the monitor. Were the ASID
                // left out of the tag computed after a helper, the second
                // kind would all miss, and the hits would stay below N + N / 2.
                assert!(!chain || s.jc_hits > (N + N / 2) as u64, "returns went through the jump cache: {s:?}");
            }
        }
    }
}
