//! Random instruction streams generated from the encoding table: ALU, M,
//! branch, jump, load, store, A, F and D rows (standard and compressed) with random
//! operands over a small data area that straddles a page boundary (atomics
//! at its start or its middle, so LR/SC pairs succeed and fail), wrapped in
//! a loop so the JIT compiles them into host loops. Floating-point registers
//! start with random bits (NaN-boxed singles among them), `frm` with a random
//! valid mode and `mstatus.FS` Initial, so the first floating-point
//! instruction finds the state not yet Dirty. Each program runs in
//! lockstep on the interpreter and the JIT. The test command runs 60 seeds;
//! `MKJIT_RANDOM_SEEDS=N` (and `MKJIT_RANDOM_FIRST_SEED=S`) run a longer campaign.

mod common;

use common::{random_campaign, twins_with, Rng};
use mkjit_runtime::elfgen::ElfBuilder;
use mkjit_runtime::isa::encode::Asm;
use mkjit_runtime::isa::format::F_RD;
use mkjit_runtime::isa::random::{corner_value, random_fields, stream_kind, StreamKind as Kind};
use mkjit_runtime::isa::reg::*;
use mkjit_runtime::isa::{Fields, Format, InsnDef, IsaTable, Op};

const BASE: u64 = 0x8000_0000;
/// Data area: 8 KiB at BASE + 1 MiB; x8 points at its middle (a page boundary).
const DATA: u64 = BASE + 0x10_0000;
const LOOP: u8 = 30;
/// Holds `1 << 13`: the loop tail clears `mstatus.FS` bit 13 with it (Dirty
/// becomes Clean), so compiled code meets floating-point state not yet Dirty.
const FS_LOW: u8 = 29;
/// Registers random instructions must not write.
const RESERVED: [u8; 4] = [SP, S0, LOOP, FS_LOW];

fn random_value(rng: &mut Rng) -> i64 {
    corner_value(rng) as i64
}

/// Random operands for row `d` that encode, or `None` after many tries.
fn operands(t: &IsaTable, d: &InsnDef, rng: &mut Rng, k: Kind) -> Option<(u32, Fields)> {
    for _ in 0..4000 {
        let mut f = random_fields(rng);
        if k == Kind::Mem {
            let sp_relative = matches!(
                d.format,
                Format::CLwsp | Format::CLdsp | Format::CSwsp | Format::CSdsp | Format::CFldsp | Format::CFsdsp
            );
            f.rs1 = if sp_relative { SP } else { S0 };
            if matches!(d.format, Format::I | Format::S | Format::FpLoad | Format::FpStore) {
                f.imm = rng.below(4096) as i64 - 2048;
            }
        }
        if k == Kind::Amo {
            // Aligned for every size: the data area's start or its middle.
            f.rs1 = if rng.below(2) == 0 { S0 } else { SP };
        }
        if k == Kind::Branch || k == Kind::Jal {
            f.imm = 0;
            if k == Kind::Jal {
                f.rd = if d.format == Format::CJ { 0 } else { f.rd };
            }
            if d.format == Format::CBranch {
                f.rs2 = 0;
            }
        }
        if let Ok(w) = t.encode(d.name, f) {
            // Stores have no rd; other rows must not write a reserved register.
            let dec = t.decode(w, mkjit_runtime::isa::decode::SetMask::CORE)?;
            let writes = !matches!(d.op, Op::Sb | Op::Sh | Op::Sw | Op::Sd | Op::Fsw | Op::Fsd)
                && !matches!(k, Kind::Branch)
                && d.format.fregs() & F_RD == 0;
            if writes && RESERVED.contains(&dec.rd) {
                continue;
            }
            return Some((w, dec.fields()));
        }
    }
    None
}

struct Item {
    row: usize,
    fields: Fields,
    len: u64,
    /// For branches and jumps: index of the target item.
    target: Option<usize>,
}

/// Builds one random program; returns its ELF image.
fn program(t: &IsaTable, rng: &mut Rng, n: usize, iterations: i64) -> Vec<u8> {
    let rows: Vec<(usize, Kind)> =
        t.rows().iter().enumerate().filter_map(|(i, d)| stream_kind(d).map(|k| (i, k))).collect();
    let mut items: Vec<Item> = Vec::new();
    while items.len() < n {
        let (ri, k) = rows[rng.below(rows.len() as u64) as usize];
        let d = &t.rows()[ri];
        let Some((_, fields)) = operands(t, d, rng, k) else { continue };
        items.push(Item { row: ri, fields, len: d.pattern.len as u64, target: None });
    }
    // Forward targets a few items ahead (always in range), or the loop tail.
    let count = items.len();
    for (i, item) in items.iter_mut().enumerate() {
        if matches!(stream_kind(&t.rows()[item.row]), Some(Kind::Branch | Kind::Jal)) {
            item.target = Some((i + 1 + rng.below(6) as usize).min(count));
        }
    }
    let mut a = Asm::new(t);
    // mstatus.FS = Initial, frm random, f registers random (some NaN-boxed singles).
    a.li(5, 1 << 13);
    a.emit("csrrs", 0, 5, 0, 0x300);
    a.li(5, rng.below(5) as i64);
    a.emit("csrrw", 0, 5, 0, 0x002);
    for r in 0..32u8 {
        let v = random_value(rng);
        let v = if rng.below(3) == 0 { v | (0xffff_ffff_u64 << 32) as i64 } else { v };
        a.li(5, v);
        a.emit("fmv.d.x", r, 5, 0, 0);
    }
    a.li(5, 3 << 13);
    a.emit("csrrc", 0, 5, 0, 0x300);
    a.li(5, 1 << 13);
    a.emit("csrrs", 0, 5, 0, 0x300);
    for r in 1..32u8 {
        if !RESERVED.contains(&r) {
            a.li(r, random_value(rng));
        }
    }
    a.li(S0, (DATA + 0x1000) as i64);
    a.li(SP, DATA as i64);
    a.li(LOOP, iterations);
    a.li(FS_LOW, 1 << 13);
    let body = a.here() as u64;
    let mut offs = Vec::with_capacity(count + 1);
    let mut o = body;
    for it in &items {
        offs.push(o);
        o += it.len;
    }
    offs.push(o);
    for (i, it) in items.iter().enumerate() {
        let d = &t.rows()[it.row];
        let mut f = it.fields;
        if let Some(ti) = it.target {
            f.imm = offs[ti] as i64 - offs[i] as i64;
        }
        let w = t.encode(d.name, f).unwrap_or_else(|e| panic!("re-encode {}: {e}", d.name));
        if it.len == 2 {
            a.code.extend_from_slice(&(w as u16).to_le_bytes());
        } else {
            a.code.extend_from_slice(&w.to_le_bytes());
        }
    }
    // Loop tail: FS from Dirty to Clean, counter down, back to the body.
    a.emit("csrrc", 0, FS_LOW, 0, 0x300);
    a.emit("addi", LOOP, LOOP, 0, -1);
    let here = a.here();
    a.emit("bne", 0, LOOP, 0, body as i64 - here);
    a.li(5, 0x10_0000);
    a.li(6, 0x5555);
    a.emit("sw", 0, 5, 6, 0);
    a.emit("jal", 0, 0, 0, 0);
    ElfBuilder::new(BASE, a.code).build()
}

#[test]
fn random_streams_agree_with_the_interpreter() {
    // A longer campaign: MKJIT_RANDOM_SEEDS=5000 cargo test --release -p mkjit-translator --test random_streams
    let t = IsaTable::core();
    random_campaign(60, 2000, 0, |rng| {
        let n = 20 + rng.below(120) as usize;
        let iterations = 1 + rng.below(40) as i64;
        let elf = program(&t, rng, n, iterations);
        let data: Vec<u8> = (0..0x2000).map(|_| rng.bits() as u8).collect();
        twins_with(&elf, DATA, &data)
    });
}
