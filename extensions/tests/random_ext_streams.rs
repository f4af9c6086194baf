//! Random differential instruction streams that mix base instructions with the
//! co-design extensions' instructions, run on the reference interpreter, the
//! JIT and the JIT with extension fast paths off, compared in lockstep.
//!
//! Each seed builds one world with all six extensions enabled (small
//! structures, so that replacement and overflow paths happen: 8 CLB entries,
//! 4 message-cache lines and 4 reply entries, 4 context slots, 4 bindings, a
//! 4-entry CCC) and a valid set-up:
//!
//! * Xcap: a 32-entry capability table with a valid root (R/W/D) into a second
//!   address space, a derived child, a read-only entry, a Bare (physical)
//!   target, a two-page entry, invalid / stale / foreign / stale-root /
//!   unmapped-target entries and a spare list (plus a foreign spare);
//! * Xgate: CLB entries filled by `gfill` (ENDPOINT, DOORBELL, negative, a call
//!   gate, a foreign ASID's gate) and a gate table for the hardware walker;
//! * Xamsg: two owned queues (one with a ring), a foreign one, a disabled one;
//! * Xline: windows over the data area (read-only), over an unmapped VA, over
//!   the message-line page, one owned by another ASID;
//! * Xctx: two present slots, `ctxcur` = 0; Xuirq: doorbell and queue bindings
//!   (user interrupts stay disabled, `uistatus.UIE` = 0, so nothing is delivered).
//!
//! The program is a loop of 3 to 30 iterations: an S-mode part (re-installs the
//! set-up, the queues only every eighth iteration so that messages pile up;
//! then random base and S-mode extension instructions; then `sret`) and a
//! U-mode part (random base and U-mode extension instructions, then `ecall`
//! back to the S part). The harness's JIT compiles a block after its first
//! execution (`JitConfig::threshold` = 1, resumptions counted), so from the
//! second iteration on the loop runs as compiled code. Base instructions come
//! from the I, M, A and C rows of the table (ALU, forward branches and jumps,
//! loads, stores and AMOs on the data area and on windowed, unmapped and
//! read-only addresses); extension instructions come from
//! every row of the machine's `IsaTable` whose set is `IsaSet::Custom(_)`, with
//! operand registers loaded just before from pools of valid and invalid values
//! (valid, stale, foreign and out-of-range capability references, offsets in
//! and out of bounds and misaligned, existing, foreign and missing gates,
//! queues, windows, slots and bindings, good and malformed descriptors, lines
//! that are aligned, misaligned, windowed, read-only or unmapped), or taken from
//! whatever a register holds. Every seed also contains message round trips
//! (`asend`, `arecv`, `areply` with the received token, `arecv` of the reply)
//! and a run of derivations that exhausts the spare list, placed among the
//! random instructions. Instructions also run in the wrong privilege, and a
//! few extension CSRs are read and written. Every exception is delegated to
//! a small S-mode handler that counts the cause, hashes `stval` into memory and
//! skips the faulting instruction (`sepc` += its length).
//!
//! Excluded: the instructions that switch context or address space or wait,
//! `gcall`, `gret`, `uiret`, `arecv.w`, `ctx.restore` and `ctx.switch`, only run
//! where they must trap (U-only ones in S-mode, `ctx.restore` in U-mode,
//! `ctx.switch` in U-mode while every context has group 0), and user-interrupt
//! delivery never happens. Everything else runs on its success paths and on
//! its trap paths.
//!
//! The three engines stop at the same random clock slots; at every stop the
//! test compares pc, privilege, every x register, clock slots, modeled cycles,
//! traps, the core CSRs, every extension CSR (read with `Sys::csrr`), the
//! per-extension event counters (`--stats`), the exception counts, the modeled
//! D-TLB misses and soft-TLB fills (they feed the cycle count), the hidden
//! hardware structures (CLB, CCC, queues, reply table, windows, slots,
//! bindings; not the host-side shadow copies the JIT fast paths read) and the
//! memory the program uses; at the end all of RAM. A divergence is reported
//! with the seed, the engine, the differing state, the first stop position
//! that shows it and the interpreter's instructions up to there (found by
//! replaying the seed and bisecting), the chunk that introduces it when it only
//! shows for some stop positions, and the disassembly of the program.
//!
//! The interpreter run also takes a census (it executes one instruction at a
//! time): after all seeds, every included extension instruction must have
//! completed at least once and trapped at least once, the excluded ones must
//! have trapped and never completed, the status-returning instructions must
//! have returned their main statuses, every capability check must have failed
//! and every extension exception cause must have been raised at least once,
//! and most of the run must have been compiled code (checked when at least
//! `DEFAULT_SEEDS` seeds run).
//!
//! The test command runs `DEFAULT_SEEDS` seeds; `MKJIT_RANDOM_SEEDS=N` (and
//! `MKJIT_RANDOM_FIRST_SEED=S`) run a longer campaign:
//! `MKJIT_RANDOM_SEEDS=2000 cargo test --release -p mkjit-extensions --test random_ext_streams`.

mod common;

use common::{cap_entry, pte, EngineKind, Stop, Sys, BASE, KCODE};
use mkjit_extensions::common::{causes, status, NONE};
use mkjit_extensions::xcap::CapEntry;
use mkjit_extensions::{registry, xamsg, xcap, xctx, xgate, xline, xuirq, InsnDoc};
use mkjit_runtime::csr::mstatus;
use mkjit_runtime::hart::Priv;
use mkjit_runtime::interp::Interp;
use mkjit_runtime::isa::decode::SetMask;
use mkjit_runtime::isa::encode::Asm;
use mkjit_runtime::isa::random::{corner_value, random_fields, stream_kind, Rng, StreamKind as Kind};
use mkjit_runtime::isa::{Fields, Format, InsnDef, IsaSet, IsaTable, Op};
use mkjit_runtime::machine::{Engine, Machine, Outcome};
use mkjit_runtime::trap::cause;
use std::cell::RefCell;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::rc::Rc;

/// Seeds of the normal test run.
const DEFAULT_SEEDS: u64 = 20;

/// Extensions and their (deliberately small) structures.
const EXTS: &str =
    "xgate:clb=8,xamsg:queues=4:cache=4:replies=4,xline:windows=8,xctx:slots=4,xuirq:bindings=4,xcap:ccc=4";

/// The engines, in comparison order (the first is the reference).
const KINDS: [EngineKind; 3] = [EngineKind::Interp, EngineKind::Jit, EngineKind::JitNoFastpath];

/// Instructions that switch context or address space, or wait: only placed
/// where they trap.
const EXCLUDED: [&str; 6] = ["gcall", "gret", "uiret", "arecv.w", "ctx.restore", "ctx.switch"];

// User address space A (ASID 1).
const UCODE: u64 = 0x1_0000;
/// Data area: 8 KiB; `sp` points at its start, `s0` at its middle.
const DATA: u64 = 0x10_0000;
/// Message lines (read/write).
const LINE: u64 = 0x12_0000;
/// A read-only page (zero-filled).
const RO: u64 = 0x13_0000;
/// Unmapped VA covered by window 1.
const WIN1: u64 = 0x20_0000;
/// Unmapped VA (no window).
const UNMAPPED: u64 = 0x30_0000;
// Address space B (ASID 2): the capabilities' target.
const OBJ: u64 = 0x5_0000;

// Registers.
const SP: u8 = 2;
const S0: u8 = 8;
/// Trap handler and S-mode prologue scratch (never used by random code).
const K0: u8 = 28;
const K1: u8 = 29;
const K2: u8 = 31;
/// Loop counter.
const LOOP: u8 = 30;
/// Registers random instructions must not write (extension operands never use them as they are).
const RESERVED: [u8; 6] = [SP, S0, K0, K1, LOOP, K2];

// CSRs.
const SSTATUS: u16 = 0x100;
const SEPC: u16 = 0x141;
const SCAUSE: u16 = 0x142;
const STVAL: u16 = 0x143;
const ATOKEN: u16 = 0xce1;

fn random_value(rng: &mut Rng) -> u64 {
    corner_value(rng)
}

/// A capability reference.
fn cref(idx: u64, generation: u64) -> u64 {
    generation << 32 | idx
}

// ---------------------------------------------------------------------------
// The world: address spaces, hardware-owned memory, descriptors.

/// Physical addresses of everything the set-up placed (identical for every engine).
#[derive(Clone, Debug, PartialEq, Eq)]
struct Layout {
    a: u64,
    b: u64,
    /// Frames the world uses: [start, end).
    frames: (u64, u64),
    data: u64,
    line: u64,
    obj: u64,
    log: u64,
    captbl: u64,
    bare: u64,
    gdesc: u64,
    gtpt: u64,
    qdesc: u64,
    rings: u64,
    wdesc: u64,
    wbuf: u64,
    img: u64,
    bdesc: u64,
    garbage: u64,
}

// Gate descriptors (64 bytes each, at gdesc + 64 k).
const G_EP_Q0: u64 = 0;
const G_EP_Q3: u64 = 1;
const G_DB_B0: u64 = 2;
const G_NONE: u64 = 3;
const G_EP_Q1: u64 = 4;
const G_DB_B2: u64 = 5;
const G_FOREIGN: u64 = 6;
const G_SYNC: u64 = 7;
const G_EP_Q2: u64 = 8;
// Queue descriptors (32 bytes each).
const Q_OWN_RING: u64 = 0;
const Q_OWN: u64 = 1;
const Q_FOREIGN_RING: u64 = 2;
const Q_DISABLED: u64 = 3;
const Q_BAD_RING: u64 = 4;
const Q_RING_NOT_RAM: u64 = 5;
const Q_CAP_NO_RING: u64 = 6;
// Window descriptors (32 bytes each).
const W_BAD_ALIGN: u64 = 5;
const W_NO_PERM: u64 = 6;
const W_NOT_RAM: u64 = 7;
const W_ZERO: u64 = 8;
// Binding descriptors (32 bytes each).
const B_DB_S0: u64 = 0;
const B_DB_S3: u64 = 1;
const B_Q1_S0: u64 = 2;
const B_TIMER: u64 = 3;
const B_BAD_KIND: u64 = 4;
const B_PLIC0: u64 = 5;
const B_PLIC5: u64 = 6;
const B_SLOT99: u64 = 7;
const B_NONE: u64 = 8;
/// Context images: two pristine ones and two scratch areas (64-byte aligned, 384 bytes).
const IMG_P0: u64 = 0;
const IMG_P1: u64 = 0x200;
const IMG_S1: u64 = 0x400;
const IMG_S2: u64 = 0x600;

impl Layout {
    fn g(&self, k: u64) -> u64 {
        self.gdesc + 64 * k
    }
    fn q(&self, k: u64) -> u64 {
        self.qdesc + 32 * k
    }
    fn w(&self, k: u64) -> u64 {
        self.wdesc + 32 * k
    }
    fn bd(&self, k: u64) -> u64 {
        self.bdesc + 32 * k
    }
    fn pristine(&self) -> u64 {
        self.captbl + 2048
    }
}

/// Gate descriptor words.
fn gate(asid: u64, kind: u64, satp: u64, pc: u64, badge: u64, target: u64, reply: u64) -> [u64; 8] {
    [satp, pc, badge, 0, asid | kind << 16 | target << 32 | reply << 40, 0, 0, 0]
}

/// A fresh context image (user, group 0) at `pc` in `satp`.
fn image(pc: u64, satp: u64, a0: u64) -> [u64; 48] {
    let mut w = [0u64; 48];
    w[0] = pc;
    w[10] = a0;
    w[32] = satp;
    w[34] = 0x7a9;
    w[43] = 0xffff_ffff;
    w[44] = u64::MAX;
    w[46] = NONE;
    w
}

/// Builds the machine, address spaces and hardware-owned memory for engine `kind`.
fn world(kind: EngineKind) -> (Sys, Layout) {
    let mut s = Sys::new(EXTS, kind);
    let (a, b) = (s.new_space(1), s.new_space(2));
    let start = s.alloc(0);
    let data = s.map_new(a, DATA, 0x2000, pte::URW);
    let line = s.map_new(a, LINE, 0x1000, pte::URW);
    s.map_new(a, RO, 0x1000, pte::URO);
    let obj = s.map_new(b, OBJ, 0x2000, pte::URW);
    let mut page = || s.alloc(1);
    let (log, captbl, bare, gdesc, gtpt) = (page(), page(), page(), page(), page());
    let (qdesc, rings, wdesc, wbuf, img, bdesc, garbage) = (page(), page(), page(), page(), page(), page(), page());
    let l = Layout {
        a,
        b,
        frames: (start, s.alloc(0)),
        data,
        line,
        obj,
        log,
        captbl,
        bare,
        gdesc,
        gtpt,
        qdesc,
        rings,
        wdesc,
        wbuf,
        img,
        bdesc,
        garbage,
    };
    // Capability table (32 entries) and its pristine copy (entries 0..16) at +2048.
    let (r, w, d) = (xcap::perm::R, xcap::perm::W, xcap::perm::D);
    let (valid, invalid, spare) = (xcap::state_code::VALID, xcap::state_code::INVALID, xcap::state_code::SPARE);
    let mut e: Vec<(u64, CapEntry)> = vec![
        (1, cap_entry(OBJ, 256, b, 7, r | w | d, valid, 1, (1, 7))),
        (2, cap_entry(OBJ, 256, b, 3, r | w, invalid, 1, (2, 3))),
        (3, cap_entry(OBJ, 256, b, 3, r | w, valid, 2, (3, 3))),
        (4, cap_entry(OBJ + 0x100, 64, b, 3, r, valid, 1, (4, 3))),
        (5, cap_entry(OBJ, 256, b, 3, r | w, valid, 1, (1, 6))),
        (6, cap_entry(OBJ + 0x2000, 64, b, 1, r | w, valid, 1, (6, 1))),
        (7, cap_entry(bare, 128, 0, 1, r | w | d, valid, 1, (7, 1))),
        (8, cap_entry(OBJ + 64, 64, b, 1, r | w, valid, 1, (1, 7))),
        (9, cap_entry(OBJ + 0x800, 0x1000, b, 1, r | w | d, valid, 1, (9, 1))),
        (14, cap_entry(0, 0, 0, 44, 0, spare, 2, (0, 0))),
        (15, cap_entry(OBJ, 64, b, 5, r, invalid, 1, (15, 5))),
    ];
    for (k, next) in [(10u64, 11u64), (11, 12), (12, 13), (13, 0xffff_ffff)] {
        let mut c = cap_entry(0, 0, 0, 30 + k, 0, spare, 1, (0, 0));
        c.next = next;
        e.push((k, c));
    }
    for (k, c) in &e {
        let words = c.to_words();
        s.write_words(captbl + 64 * k, &words);
        s.write_words(l.pristine() + 64 * k, &words);
    }
    s.csrw(xcap::csr::CAPTBL, captbl | 5);
    s.csrw(xcap::csr::CAPSPARE, 10);
    // Gate descriptors for gfill, and the walker's gate table (16 entries).
    let descs = [
        (G_EP_Q0, gate(1, 2, 0, 0, 0xb0, 0, 1)),
        (G_EP_Q3, gate(1, 2, 0, 0, 0xb3, 3, 0xff)),
        (G_DB_B0, gate(1, 3, 0, 0, 0xd0, 0, 0xff)),
        (G_NONE, gate(1, 0, 0, 0, 0, 0, 0)),
        (G_EP_Q1, gate(1, 2, 0, 0, 0xb1, 1, 0xff)),
        (G_DB_B2, gate(1, 3, 0, 0, 0xd2, 2, 0xff)),
        (G_FOREIGN, gate(2, 2, 0, 0, 0xf0, 0, 1)),
        (G_SYNC, gate(1, 1, b, 0x1000, 0x5c, 0, 0xff)),
        (G_EP_Q2, gate(1, 2, 0, 0, 0xb2, 2, 0)),
    ];
    for (k, words) in descs {
        s.write_words(l.g(k), &words);
    }
    for (k, words) in [
        (10u64, gate(0, 2, 0, 0, 0xa10, 0, 0xff)),
        (11, gate(0, 3, 0, 0, 0xa11, 0, 0xff)),
        (12, gate(0, 0, 0, 0, 0, 0, 0)),
        (14, gate(0, 2, 0, 0, 0xa14, 1, 0)),
    ] {
        s.write_words(gtpt + 64 * k, &words);
    }
    s.csrw(xgate::csr::GTP, gtpt | 4);
    // Queue descriptors (rings of 2 entries).
    let en = 1u64 << 63;
    for (k, words) in [
        (Q_OWN_RING, [rings, 2, 1 | en, 0]),
        (Q_OWN, [0, 0, 1 | en, 0]),
        (Q_FOREIGN_RING, [rings + 0x400, 2, 2 | en, 0]),
        (Q_DISABLED, [0, 0, 1, 0]),
        (Q_BAD_RING, [rings + 8, 2, 1 | en, 0]),
        (Q_RING_NOT_RAM, [0x1000_0000, 2, 1 | en, 0]),
        (Q_CAP_NO_RING, [0, 1, 1 | en, 0]),
    ] {
        s.write_words(l.q(k), &words);
    }
    // Window descriptors: lines | R << 32 | W << 33 | G << 34, owner.
    let (wr, ww, wg) = (1u64 << 32, 1u64 << 33, 1u64 << 34);
    for (k, words) in [
        (0u64, [DATA + 0x1800, wbuf, 2 | wr, 1]),
        (1, [WIN1, wbuf + 0x400, 4 | wr | ww | wg, 1]),
        (2, [LINE + 0x100, wbuf + 0x800, 1 | wr | ww | wg, 2]),
        (3, [LINE + 0x200, wbuf + 0xc00, 1 | wr | ww, 1]),
        (4, [LINE + 0x300, wbuf + 0xe00, 2 | wr | ww | wg, 1]),
        (W_BAD_ALIGN, [DATA + 8, wbuf, 1 | wr | ww, 1]),
        (W_NO_PERM, [WIN1, wbuf, 1, 1]),
        (W_NOT_RAM, [WIN1, 0x1000, 1 | wr, 1]),
        (W_ZERO, [WIN1, wbuf, wr, 1]),
    ] {
        s.write_words(l.w(k), &words);
    }
    // Context images.
    s.write_words(img + IMG_P0, &image(UCODE, a, 0xa0));
    s.write_words(img + IMG_P1, &image(UCODE + 4, a, 0xa1));
    // Binding descriptors: kind | number << 16, slot, handler pc.
    for (k, words) in [
        (B_DB_S0, [3u64, 0, 0x1000, 0]),
        (B_DB_S3, [3, 3, 0x1000, 0]),
        (B_Q1_S0, [4 | 1 << 16, 0, 0x1000, 0]),
        (B_TIMER, [2, 0, 0x1000, 0]),
        (B_BAD_KIND, [9, 0, 0x1000, 0]),
        (B_PLIC0, [1, 0, 0x1000, 0]),
        (B_PLIC5, [1 | 5 << 16, 1, 0x1000, 0]),
        (B_SLOT99, [3, 99, 0x1000, 0]),
        (B_NONE, [0, 0, 0x1000, 0]),
    ] {
        s.write_words(l.bd(k), &words);
    }
    // S-mode code touches user pages (the data area, descriptors and images
    // placed there, the handler reading a faulting U instruction).
    let ms = s.m.hart.csr.mstatus;
    s.csrw(0x300, ms | mstatus::SUM);
    (s, l)
}

// ---------------------------------------------------------------------------
// Program generation.

/// Where an extension row is placed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Mode {
    U,
    S,
}

/// An extension instruction site (for the census).
#[derive(Clone, Copy, Debug)]
struct Site {
    name: &'static str,
    rd: u8,
    status: bool,
}

/// One extension row with its operand roles.
#[derive(Clone, Copy)]
struct ExtRow {
    name: &'static str,
    /// Custom set number (extension).
    set: u16,
    doc: InsnDoc,
    /// Mode where it can succeed (None for the excluded rows).
    natural: Option<Mode>,
    /// Mode where it raises illegal instruction (or, for `ctx.switch`, a slot miss).
    wrong: Option<Mode>,
    /// Also placed in the other mode as a successful instruction (Xcap U rows run in S too).
    any: bool,
}

fn ext_rows(t: &IsaTable) -> Vec<ExtRow> {
    let docs: Vec<InsnDoc> = registry::all().iter().flat_map(|e| e.docs().iter().copied()).collect();
    t.rows()
        .iter()
        .filter(|d| matches!(d.set, IsaSet::Custom(_)))
        .map(|d| {
            let doc = *docs.iter().find(|x| x.name == d.name).unwrap_or_else(|| panic!("no doc for {}", d.name));
            let u_only = doc.summary.contains("(U only)");
            let s_only = doc.summary.contains("(S)");
            let (natural, wrong, any) = match d.name {
                "ctx.restore" => (None, Some(Mode::U), false),
                "ctx.switch" => (None, Some(Mode::U), false),
                n if EXCLUDED.contains(&n) => (None, Some(Mode::S), false),
                _ if u_only => (Some(Mode::U), Some(Mode::S), false),
                _ if s_only => (Some(Mode::S), Some(Mode::U), false),
                _ => (Some(Mode::U), None, true),
            };
            let IsaSet::Custom(set) = d.set else { unreachable!() };
            ExtRow { name: d.name, set, doc, natural, wrong, any }
        })
        .collect()
}

fn kind(d: &InsnDef) -> Option<Kind> {
    stream_kind(d)
}

/// A register random code may write.
fn free_reg(rng: &mut Rng) -> u8 {
    loop {
        let r = 1 + rng.below(31) as u8;
        if !RESERVED.contains(&r) {
            return r;
        }
    }
}

/// Addresses for loads/stores/AMOs through a staged base register.
const MEM_ADDRS: [u64; 10] =
    [DATA + 0x1000, DATA + 0x1800, DATA + 0x17f8, WIN1, WIN1 + 0xf8, LINE + 0x200, LINE + 0x300, RO, UCODE, UNMAPPED];

/// One item of a body: code to set operands up, then the main instruction.
struct Item {
    pre: Vec<u8>,
    main: Main,
    site: Option<Site>,
}

enum Main {
    Word(u32, usize),
    /// Branch or jump to the item `target` (the tail when `target` = item count).
    Jump {
        name: &'static str,
        fields: Fields,
        len: usize,
        target: usize,
    },
}

impl Item {
    fn len(&self) -> usize {
        self.pre.len()
            + match self.main {
                Main::Word(_, l) | Main::Jump { len: l, .. } => l,
            }
    }
}

/// Random operands for base row `d`; `None` after many tries.
fn base_item(t: &IsaTable, d: &InsnDef, k: Kind, rng: &mut Rng) -> Option<Item> {
    for _ in 0..4000 {
        let mut f = random_fields(rng);
        let mut pre = Vec::new();
        if k == Kind::Mem {
            f.rs1 =
                if matches!(d.format, Format::CLwsp | Format::CLdsp | Format::CSwsp | Format::CSdsp) { SP } else { S0 };
            if matches!(d.format, Format::I | Format::S) {
                f.imm = rng.below(4096) as i64 - 2048;
                if rng.chance(25) {
                    let base = free_reg(rng);
                    f.rs1 = base;
                    f.imm = rng.below(256) as i64 - 64;
                    let mut a = Asm::new(t);
                    a.li(base, rng.pick(&MEM_ADDRS) as i64);
                    pre = a.code;
                }
            }
        }
        if k == Kind::Amo {
            f.imm = rng.below(4) as i64;
            if rng.chance(50) {
                f.rs1 = if rng.chance(50) { S0 } else { SP };
            } else {
                let base = free_reg(rng);
                f.rs1 = base;
                let addr = rng.pick(&MEM_ADDRS) + if rng.chance(20) { 4 } else { 8 * rng.below(4) };
                let mut a = Asm::new(t);
                a.li(base, addr as i64);
                pre = a.code;
            }
        }
        if k == Kind::Branch || k == Kind::Jal {
            f.imm = 0;
            if k == Kind::Jal && d.format == Format::CJ {
                f.rd = 0;
            }
            if d.format == Format::CBranch {
                f.rs2 = 0;
            }
        }
        let Ok(w) = t.encode(d.name, f) else { continue };
        let Some(dec) = t.decode(w, SetMask::CORE) else { continue };
        let writes = !matches!(d.op, Op::Sb | Op::Sh | Op::Sw | Op::Sd) && k != Kind::Branch;
        if writes && RESERVED.contains(&dec.rd) {
            continue;
        }
        let len = d.pattern.len as usize;
        let main = if matches!(k, Kind::Branch | Kind::Jal) {
            Main::Jump { name: d.name, fields: dec.fields(), len, target: 0 }
        } else {
            Main::Word(w, len)
        };
        return Some(Item { pre, main, site: None });
    }
    None
}

/// Values for operand role `role` of instruction `name`: (values that let the
/// instruction succeed in the set-up, values that make it trap or fail).
fn pool(l: &Layout, name: &str, role: &str) -> (Vec<u64>, Vec<u64>) {
    let img = |o: u64| l.img + o;
    match role {
        "cap" => (
            // Capability 6 passes every check; its target page is not mapped.
            vec![cref(1, 7), cref(8, 1), cref(4, 3), cref(7, 1), cref(9, 1), cref(6, 1)],
            vec![
                cref(2, 3),
                cref(1, 8),
                cref(3, 3),
                cref(5, 3),
                cref(64, 0),
                cref(32, 0),
                cref(10, 40),
                cref(11, 41),
                cref(15, 5),
                0,
            ],
        ),
        "off" if name == "cap.derive" => (vec![0, 8, 16, 64], vec![128, 255, 256, 0x800, u64::MAX - 7]),
        "off" => (
            vec![0, 8, 16, 24, 32, 56, 120, 248, 0x7f8, 0x800, 0xff8],
            vec![1, 2, 3, 4, 6, 63, 64, 127, 255, 256, 0xffc, 0x1000, u64::MAX - 7, 1 << 63],
        ),
        "len" => (vec![1, 8, 16, 32, 64], vec![0, 128, 200, 256, 0x1000, u64::MAX]),
        "mask" => (vec![0, 1, 2, 3, 4, 5, 6, 7, u64::MAX], vec![8]),
        // cap.revoke runs before the U part each iteration: the capabilities
        // the loads and stores use (1, 4, 7, 8, 9) are revoked only now and then.
        "index" => (vec![0, 1, 2, 3, 5, 6, 10, 11, 12, 13, 14, 15, 31], vec![32, 1000, u64::MAX]),
        "gate" => (vec![3, 5, 7, 10, 11, 13, 14], vec![4, 6, 8, 9, 12, 15, 100, u64::MAX]),
        "line" => (
            vec![
                LINE,
                LINE + 0x40,
                LINE + 0xc0,
                LINE + 0x100,
                LINE + 0x200,
                LINE + 0x300,
                LINE + 0x340,
                WIN1,
                WIN1 + 0xc0,
                DATA + 0x20,
                DATA + 0x1000,
            ],
            vec![LINE + 0x8, WIN1 + 0x100, DATA + 0x1800, RO, UCODE, UNMAPPED, 0],
        ),
        "queue" => (vec![0, 1], vec![2, 3, 4, 99, u64::MAX]),
        "asid" => (vec![1], vec![2, 3, 0x10001]),
        "window" => (vec![0, 1, 2, 3, 4], vec![5, 7, 8, 100]),
        "binding" => (vec![0, 1, 2], vec![3, 4, 99]),
        "slot" => (vec![0, 1, 2, 3], vec![4, 99, u64::MAX]),
        "addr" if name == "ctx.load" => {
            (vec![img(IMG_P0), img(IMG_P1), img(IMG_S1), img(IMG_S2)], vec![img(IMG_S1) + 8, UNMAPPED, RO])
        }
        "addr" => (
            vec![img(IMG_S1), img(IMG_S2), DATA + 0x400, LINE + 0x400],
            vec![img(IMG_S1) + 8, img(IMG_S1) + 32, UNMAPPED, RO],
        ),
        "desc" => match name {
            "gfill" => (
                vec![
                    l.g(G_EP_Q0),
                    l.g(G_EP_Q3),
                    l.g(G_DB_B0),
                    l.g(G_NONE),
                    l.g(G_EP_Q1),
                    l.g(G_DB_B2),
                    l.g(G_FOREIGN),
                    l.g(G_SYNC),
                    l.g(G_EP_Q2),
                    l.garbage,
                    l.garbage + 0x240,
                ],
                vec![l.g(G_EP_Q0) + 4, UNMAPPED],
            ),
            "aqset" => (
                vec![l.q(Q_OWN_RING), l.q(Q_OWN), l.q(Q_FOREIGN_RING), l.q(Q_DISABLED)],
                vec![l.q(Q_BAD_RING), l.q(Q_RING_NOT_RAM), l.q(Q_CAP_NO_RING), l.q(Q_OWN) + 4, UNMAPPED],
            ),
            "xline.set" => (
                vec![l.w(0), l.w(1), l.w(2), l.w(3), l.w(4), l.w(W_ZERO)],
                vec![l.w(W_BAD_ALIGN), l.w(W_NO_PERM), l.w(W_NOT_RAM), l.w(1) + 4, UNMAPPED],
            ),
            "uirq.bind" => (
                vec![l.bd(B_DB_S0), l.bd(B_DB_S3), l.bd(B_Q1_S0), l.bd(B_TIMER), l.bd(B_PLIC5), l.bd(B_NONE)],
                vec![l.bd(B_BAD_KIND), l.bd(B_PLIC0), l.bd(B_SLOT99), UNMAPPED],
            ),
            _ => panic!("no descriptor pool for {name}"),
        },
        _ => panic!("no pool for role `{role}` of {name}"),
    }
}

/// Roles where x0 means something ("all", "clear", "unbind").
fn x0_meaningful(name: &str, role: &str) -> bool {
    matches!((name, role), ("gflush", _) | ("cap.flush", "index") | ("xline.set", "desc") | ("uirq.bind", "desc"))
}

/// Roles whose value must come from the pool (addresses S-mode instructions write or load state from).
fn pool_only(role: &str) -> bool {
    matches!(role, "desc" | "addr")
}

/// An extension instruction with operands staged just before it.
fn ext_item(t: &IsaTable, l: &Layout, row: &ExtRow, rng: &mut Rng) -> Item {
    ext_item_with(t, l, row, rng, &[])
}

/// An operand value chosen by the caller.
#[derive(Clone, Copy)]
enum Val {
    Li(u64),
    /// The `atoken` CSR (a reply token from the last receive).
    Atoken,
}

/// As [`ext_item`], with the operands of the roles in `forced` chosen by the caller.
fn ext_item_with(t: &IsaTable, l: &Layout, row: &ExtRow, rng: &mut Rng, forced: &[(&str, Val)]) -> Item {
    let mut a = Asm::new(t);
    let mut staged: Vec<u8> = Vec::new();
    // A free register no earlier operand of this instruction was loaded into.
    let stage = |staged: &mut Vec<u8>, rng: &mut Rng| -> u8 {
        let r = loop {
            let r = free_reg(rng);
            if !staged.contains(&r) {
                break r;
            }
        };
        staged.push(r);
        r
    };
    let mut operand = |role: &'static str, rng: &mut Rng, a: &mut Asm| -> u8 {
        if role.is_empty() {
            return 0;
        }
        if let Some(&(_, v)) = forced.iter().find(|(r, _)| *r == role) {
            let r = stage(&mut staged, rng);
            match v {
                Val::Li(x) => a.li(r, x as i64),
                Val::Atoken => a.emit("csrrs", r, 0, 0, ATOKEN as i64),
            };
            return r;
        }
        if x0_meaningful(row.name, role) && rng.chance(15) {
            return 0;
        }
        if !pool_only(role) && rng.chance(12) {
            // Whatever the register holds.
            return if rng.chance(10) { 0 } else { free_reg(rng) };
        }
        let r = stage(&mut staged, rng);
        match role {
            "value" => {
                a.li(r, random_value(rng) as i64);
            }
            "token" if rng.chance(60) => {
                a.emit("csrrs", r, 0, 0, ATOKEN as i64);
            }
            "token" => {
                let any = rng.bits();
                a.li(r, rng.pick(&[0u64, 0x100, 0x101, 0x203, u64::MAX, any]) as i64);
            }
            _ => {
                let (good, bad) = pool(l, row.name, role);
                let v = match rng.below(100) {
                    0..=1 => rng.bits(),
                    2..=65 => rng.pick(&good),
                    _ => rng.pick(&bad),
                };
                a.li(r, v as i64);
            }
        }
        r
    };
    let d = row.doc;
    let rs1 = operand(d.rs1, rng, &mut a);
    let rs2 = operand(d.rs2, rng, &mut a);
    let rs3 = operand(d.rs3, rng, &mut a);
    let rd = if d.rd.is_empty() || rng.chance(5) { 0 } else { free_reg(rng) };
    let f = Fields { rd, rs1, rs2, rs3, imm: 0 };
    let w = t.encode(row.name, f).unwrap_or_else(|e| panic!("{} does not encode: {e}", row.name));
    Item { pre: a.code, main: Main::Word(w, 4), site: Some(Site { name: row.name, rd, status: d.rd == "status" }) }
}

/// A message round trip: `asend`, `arecv`, `areply` with `atoken`, `arecv` of
/// the reply; preceded by an `asend` to a queue nobody receives from.
fn round_trip(t: &IsaTable, l: &Layout, rows: &[ExtRow], rng: &mut Rng) -> Vec<Item> {
    let row = |name: &str| *rows.iter().find(|r| r.name == name).expect("Xamsg row");
    let line = |rng: &mut Rng| Val::Li(rng.pick(&pool(l, "arecv", "line").0));
    // Gate 3 sends to queue 0 with replies to queue 1; gate 14 (from the gate
    // table) to queue 1 with replies to queue 0.
    let (gate, q, reply) = if rng.chance(50) { (3, 0, 1) } else { (14, 1, 0) };
    let mut v = Vec::new();
    // A message to the foreign queue 2 (never received there: queues fill up).
    let l0 = line(rng);
    v.push(ext_item_with(t, l, &row("asend"), rng, &[("gate", Val::Li(13)), ("line", l0)]));
    let l1 = line(rng);
    v.push(ext_item_with(t, l, &row("asend"), rng, &[("gate", Val::Li(gate)), ("line", l1)]));
    let l2 = line(rng);
    v.push(ext_item_with(t, l, &row("arecv"), rng, &[("queue", Val::Li(q)), ("line", l2)]));
    let l3 = line(rng);
    v.push(ext_item_with(t, l, &row("areply"), rng, &[("token", Val::Atoken), ("line", l3)]));
    let l4 = line(rng);
    v.push(ext_item_with(t, l, &row("arecv"), rng, &[("queue", Val::Li(reply)), ("line", l4)]));
    v
}

/// Five `cap.derive` / `cap.restrict` of capabilities that allow deriving.
fn spare_exhaustion(t: &IsaTable, l: &Layout, rows: &[ExtRow], rng: &mut Rng) -> Vec<Item> {
    let row = |name: &str| *rows.iter().find(|r| r.name == name).expect("Xcap row");
    (0..5)
        .map(|_| {
            let src = Val::Li(rng.pick(&[cref(1, 7), cref(7, 1), cref(9, 1)]));
            if rng.chance(50) {
                let (off, len) = (Val::Li(rng.pick(&[0, 8, 16])), Val::Li(rng.pick(&[8, 16, 32])));
                ext_item_with(t, l, &row("cap.derive"), rng, &[("cap", src), ("off", off), ("len", len)])
            } else {
                ext_item_with(t, l, &row("cap.restrict"), rng, &[("cap", src)])
            }
        })
        .collect()
}

/// CSR items: reads of extension CSRs (some illegal from U), and S-mode writes of `ctxcur`, `capspare`, `sxlgive`.
fn csr_item(t: &IsaTable, mode: Mode, rng: &mut Rng) -> Item {
    let mut a = Asm::new(t);
    let u_csrs: [u16; 11] = [0xcc0, 0xcc8, 0xcd0, 0xcd8, 0xcd9, 0xcda, 0xce0, 0xce1, 0x800, 0x5f2, 0xdd8];
    let s_csrs: [u16; 22] = [
        0x5c0, 0x5c2, 0x5c3, 0x5c4, 0x5c8, 0x5d0, 0x5d8, 0x5d9, 0x5e0, 0x5e1, 0x5f0, 0x5f1, 0x5f2, 0x5f3, 0xdc0, 0xdc1,
        0xdc2, 0xdc3, 0xdc4, 0xdc5, 0xdd8, 0xcc8,
    ];
    if mode == Mode::S && rng.chance(50) {
        let r = free_reg(rng);
        let (csr, vals): (u16, &[u64]) = match rng.below(3) {
            0 => (xctx::csr::CTXCUR, &[0, 0, 1, 3, NONE, 99]),
            1 => (xcap::csr::CAPSPARE, &[10, 11, 12, 13, 14, 0xffff_ffff, 99]),
            _ => (0x5c8, &[0, 2, 0x12, 0xff]),
        };
        a.li(r, rng.pick(vals) as i64);
        let w = t.encode("csrrw", Fields { rd: 0, rs1: r, rs2: 0, rs3: 0, imm: csr as i64 }).expect("csrrw");
        return Item { pre: a.code, main: Main::Word(w, 4), site: None };
    }
    let csr = if mode == Mode::U { rng.pick(&u_csrs) } else { rng.pick(&s_csrs) };
    let w = t.encode("csrrs", Fields { rd: free_reg(rng), rs1: 0, rs2: 0, rs3: 0, imm: csr as i64 }).expect("csrrs");
    Item { pre: Vec::new(), main: Main::Word(w, 4), site: None }
}

/// Lays `items` out at `base` followed by `tail`; returns the code and the extension sites.
fn assemble(t: &IsaTable, base: u64, mut items: Vec<Item>, tail: &[u8], rng: &mut Rng) -> (Vec<u8>, Vec<(u64, Site)>) {
    let count = items.len();
    for (i, it) in items.iter_mut().enumerate() {
        if let Main::Jump { target, .. } = &mut it.main {
            *target = (i + 1 + rng.below(6) as usize).min(count);
        }
    }
    loop {
        let mut offs = Vec::with_capacity(count + 1);
        let mut o = 0usize;
        for it in &items {
            offs.push(o);
            o += it.len();
        }
        offs.push(o);
        let mut code = Vec::with_capacity(o + tail.len());
        let mut sites = Vec::new();
        let mut retry = false;
        for (i, it) in items.iter_mut().enumerate() {
            code.extend_from_slice(&it.pre);
            let (w, len) = match &mut it.main {
                Main::Word(w, len) => (*w, *len),
                Main::Jump { name, fields, len, target } => {
                    let mut f = *fields;
                    f.imm = offs[*target] as i64 - offs[i] as i64;
                    match t.encode(name, f) {
                        Ok(w) => (w, *len),
                        Err(_) => {
                            // Out of range: aim closer (the next item always fits).
                            *target -= 1;
                            retry = true;
                            (0, *len)
                        }
                    }
                }
            };
            if let Some(s) = it.site {
                sites.push((base + code.len() as u64, s));
            }
            if len == 2 {
                code.extend_from_slice(&(w as u16).to_le_bytes());
            } else {
                code.extend_from_slice(&w.to_le_bytes());
            }
        }
        if retry {
            continue;
        }
        code.extend_from_slice(tail);
        return (code, sites);
    }
}

/// One seed's program and initial state.
struct Program {
    /// U-mode body at UCODE.
    ucode: Vec<u8>,
    /// S-mode code at KCODE: one-time set-up, then the loop's S part at `s_top`.
    scode: Vec<u8>,
    s_top: u64,
    /// The trap handler and its address.
    handler: Vec<u8>,
    handler_at: u64,
    sites: HashMap<u64, Site>,
    regs: [u64; 32],
    data: Vec<u8>,
    line: Vec<u8>,
    obj: Vec<u8>,
    wbuf: Vec<u8>,
    bare: Vec<u8>,
    garbage: Vec<u8>,
}

fn bytes(rng: &mut Rng, n: usize) -> Vec<u8> {
    (0..n).map(|_| rng.bits() as u8).collect()
}

fn csrr(a: &mut Asm, rd: u8, csr: u16) {
    a.emit("csrrs", rd, 0, 0, csr as i64);
}

fn csrw(a: &mut Asm, csr: u16, rs: u8) {
    a.emit("csrrw", 0, rs, 0, csr as i64);
}

fn ins(a: &mut Asm, name: &str, rd: u8, rs1: u8, rs2: u8) {
    a.emit(name, rd, rs1, rs2, 0);
}

/// The trap handler: ecall from U continues the loop at `s_top`; any other
/// exception is counted (per cause, at `log`), its `stval` hashed (at
/// `log + 512`), and the faulting instruction skipped.
fn handler_code(t: &IsaTable, log: u64, s_top: u64) -> Vec<u8> {
    let mut e = Asm::new(t);
    e.li(K0, s_top as i64);
    e.emit("jalr", 0, K0, 0, 0);
    let mut a = Asm::new(t);
    csrr(&mut a, K0, SCAUSE);
    a.emit("addi", K1, 0, 0, cause::ECALL_U as i64);
    a.emit("bne", 0, K0, K1, 4 + e.code.len() as i64);
    a.code.extend_from_slice(&e.code);
    a.emit("andi", K0, K0, 0, 63);
    a.emit("slli", K0, K0, 0, 3);
    a.li(K1, log as i64);
    a.emit("add", K0, K0, K1, 0);
    a.emit("ld", K2, K0, 0, 0);
    a.emit("addi", K2, K2, 0, 1);
    a.emit("sd", 0, K0, K2, 0);
    csrr(&mut a, K0, STVAL);
    a.emit("ld", K2, K1, 0, 512);
    a.emit("add", K2, K2, K0, 0);
    a.emit("slli", K0, K2, 0, 5);
    a.emit("srli", K2, K2, 0, 59);
    a.emit("or", K2, K2, K0, 0);
    a.emit("sd", 0, K1, K2, 512);
    // sepc += length of the instruction at sepc (2 or 4).
    csrr(&mut a, K2, SEPC);
    a.emit("lhu", K0, K2, 0, 0);
    a.emit("andi", K0, K0, 0, 3);
    a.emit("xori", K0, K0, 0, 3);
    a.emit("sltiu", K0, K0, 0, 1);
    a.emit("addi", K0, K0, 0, 1);
    a.emit("slli", K0, K0, 0, 1);
    a.emit("add", K2, K2, K0, 0);
    csrw(&mut a, SEPC, K2);
    a.emit("sret", 0, 0, 0, 0);
    a.code
}

/// Builds seed `seed`'s program for the world `l`.
fn generate(seed: u64, t: &IsaTable, l: &Layout) -> Program {
    let mut rng = Rng(seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1);
    let rows = ext_rows(t);
    let base_rows: Vec<(usize, Kind)> =
        t.rows().iter().enumerate().filter_map(|(i, d)| kind(d).map(|k| (i, k))).collect();
    let iterations = 3 + rng.below(28);
    let base = |rng: &mut Rng| loop {
        let (ri, k) = rng.pick(&base_rows);
        if let Some(it) = base_item(t, &t.rows()[ri], k, rng) {
            return it;
        }
    };
    let placed = |mode: Mode| -> Vec<ExtRow> {
        rows.iter().filter(|r| r.natural == Some(mode) || (r.any && mode == Mode::S)).copied().collect()
    };
    let wrong = |mode: Mode| -> Vec<ExtRow> { rows.iter().filter(|r| r.wrong == Some(mode)).copied().collect() };
    let body = |mode: Mode, n: usize, rng: &mut Rng| -> Vec<Item> {
        let (natural, misplaced) = (placed(mode), wrong(mode));
        let mut items = Vec::new();
        // Every row placed in this mode appears at least once.
        for r in &natural {
            if mode == Mode::S && r.any && rng.chance(50) {
                continue;
            }
            items.push(ext_item(t, l, r, rng));
        }
        // So does every excluded row that can only trap here; other rows of
        // the other privilege appear with a fair chance (illegal instruction).
        for r in &misplaced {
            if r.natural.is_none() || rng.chance(30) {
                items.push(ext_item(t, l, r, rng));
            }
        }
        while items.len() < n {
            let p = rng.below(100);
            items.push(if p < 35 {
                // An extension first, then one of its rows: every extension gets
                // its share, however many rows it has.
                let mut sets: Vec<u16> = natural.iter().map(|r| r.set).collect();
                sets.sort_unstable();
                sets.dedup();
                let set = rng.pick(&sets);
                let of_set: Vec<ExtRow> = natural.iter().filter(|r| r.set == set).copied().collect();
                ext_item(t, l, &rng.pick(&of_set), rng)
            } else if p < 42 {
                ext_item(t, l, &rng.pick(&misplaced), rng)
            } else if p < 48 {
                csr_item(t, mode, rng)
            } else {
                base(rng)
            });
        }
        // Shuffle (Fisher-Yates).
        for i in (1..items.len()).rev() {
            let j = rng.below(i as u64 + 1) as usize;
            items.swap(i, j);
        }
        if mode == Mode::U {
            // One or two message round trips somewhere in the body: send
            // through an endpoint, receive it, reply with its token, receive
            // the reply (other operands random as usual).
            for _ in 0..1 + rng.below(2) {
                let at = rng.below(items.len() as u64 + 1) as usize;
                for it in round_trip(t, l, &rows, rng).into_iter().rev() {
                    items.insert(at, it);
                }
            }
            // Five derivations in a row: the spare list (four entries) runs dry.
            let at = rng.below(items.len() as u64 + 1) as usize;
            for it in spare_exhaustion(t, l, &rows, rng).into_iter().rev() {
                items.insert(at, it);
            }
        }
        items
    };
    // U part: body, then the loop tail.
    let nu = 40 + rng.below(80) as usize;
    let uitems = body(Mode::U, nu, &mut rng);
    let mut tail = Asm::new(t);
    tail.emit("addi", LOOP, LOOP, 0, -1);
    tail.emit("beq", 0, LOOP, 0, 8);
    tail.emit("ecall", 0, 0, 0, 0);
    tail.emit("ebreak", 0, 0, 0, 0);
    let (ucode, usites) = assemble(t, UCODE, uitems, &tail.code, &mut rng);

    // S part: queue set-up, then (at s_top) the per-iteration refresh (queues
    // only every eighth iteration, so that messages pile up), the random body
    // and the return to U.
    let mut queues = Asm::new(t);
    for (q, d) in [(0, Q_OWN_RING), (1, Q_OWN), (2, Q_FOREIGN_RING)] {
        queues.li(K0, q);
        queues.li(K1, l.q(d) as i64);
        ins(&mut queues, "aqset", 0, K0, K1);
    }
    let mut a = Asm::new(t);
    a.code.extend_from_slice(&queues.code);
    let s_top = KCODE + a.code.len() as u64;
    a.emit("andi", K0, LOOP, 0, 7);
    a.emit("bne", 0, K0, 0, 4 + queues.code.len() as i64);
    a.code.extend_from_slice(&queues.code);
    // Capability table entries 0..16 from the pristine copy; spare list; CCC flush.
    a.li(K0, l.pristine() as i64);
    a.li(K1, (l.pristine() + 1024) as i64);
    a.emit("ld", K2, K0, 0, 0);
    a.emit("sd", 0, K0, K2, -2048);
    a.emit("addi", K0, K0, 0, 8);
    a.emit("bne", 0, K0, K1, -12);
    a.li(K0, 10);
    csrw(&mut a, xcap::csr::CAPSPARE, K0);
    ins(&mut a, "cap.flush", 0, 0, 0);
    for (g, d) in [(3, G_EP_Q0), (4, G_EP_Q3), (5, G_DB_B0), (6, G_NONE), (7, G_EP_Q1), (8, G_DB_B2), (13, G_EP_Q2)] {
        a.li(K0, g);
        a.li(K1, l.g(d) as i64);
        ins(&mut a, "gfill", 0, K0, K1);
    }
    for w in 0..5 {
        a.li(K0, w as i64);
        a.li(K1, l.w(w) as i64);
        ins(&mut a, "xline.set", 0, K0, K1);
    }
    for (slot, img) in [(0, IMG_P0), (1, IMG_P1)] {
        a.li(K0, slot);
        a.li(K1, (l.img + img) as i64);
        ins(&mut a, "ctx.load", 0, K0, K1);
    }
    csrw(&mut a, xctx::csr::CTXCUR, 0);
    for (b, d) in [(0, B_DB_S0), (1, B_DB_S3), (2, B_Q1_S0)] {
        a.li(K0, b);
        a.li(K1, l.bd(d) as i64);
        ins(&mut a, "uirq.bind", 0, K0, K1);
    }
    let ns = 20 + rng.below(40) as usize;
    let sitems = body(Mode::S, ns, &mut rng);
    let mut stail = Asm::new(t);
    stail.li(K0, mstatus::SPP as i64);
    stail.emit("csrrc", 0, K0, 0, SSTATUS as i64);
    stail.li(K0, UCODE as i64);
    csrw(&mut stail, SEPC, K0);
    stail.emit("sret", 0, 0, 0, 0);
    let body_at = KCODE + a.code.len() as u64;
    let (sbody, ssites) = assemble(t, body_at, sitems, &stail.code, &mut rng);
    let mut scode = a.code;
    scode.extend_from_slice(&sbody);
    let handler_at = (KCODE + scode.len() as u64 + 63) & !63;
    let handler = handler_code(t, l.log, s_top);

    let mut regs = [0u64; 32];
    for (r, v) in regs.iter_mut().enumerate().skip(1) {
        if !RESERVED.contains(&(r as u8)) {
            *v = random_value(&mut rng);
        }
    }
    regs[SP as usize] = DATA;
    regs[S0 as usize] = DATA + 0x1000;
    regs[LOOP as usize] = iterations;
    Program {
        ucode,
        scode,
        s_top,
        handler,
        handler_at,
        sites: usites.into_iter().chain(ssites).collect(),
        regs,
        data: bytes(&mut rng, 0x2000),
        line: bytes(&mut rng, 0x1000),
        obj: bytes(&mut rng, 0x2000),
        wbuf: bytes(&mut rng, 0x1000),
        bare: bytes(&mut rng, 0x1000),
        garbage: bytes(&mut rng, 0x1000),
    }
}

/// Places `p` in the world and enters the one-time S-mode set-up.
fn load(s: &mut Sys, l: &Layout, p: &Program) {
    let a = l.a;
    s.user_code(a, UCODE, &p.ucode);
    assert_eq!(s.kernel_code(&p.scode), KCODE);
    assert_eq!(s.kernel_code(&p.handler), p.handler_at);
    s.write(l.data, &p.data);
    s.write(l.line, &p.line);
    s.write(l.obj, &p.obj);
    s.write(l.wbuf, &p.wbuf);
    s.write(l.bare, &p.bare);
    s.write(l.garbage, &p.garbage);
    // Every exception the program can raise goes to the handler, except the
    // final breakpoint (which ends the run at the M-mode stub).
    let mut delegated: Vec<u64> = vec![0, 1, 2, 4, 5, 6, 7, 8, 12, 13, 15];
    delegated.extend(24..=31);
    delegated.extend(48..=51);
    s.delegate(&delegated, p.handler_at);
    s.m.hart.x = p.regs;
    s.enter(Priv::S, KCODE, a);
    s.budget = 0;
}

// ---------------------------------------------------------------------------
// Census: the interpreter run, one instruction at a time.

#[derive(Default, Debug)]
struct RowCount {
    ok: u64,
    trapped: u64,
    causes: BTreeSet<u64>,
    statuses: BTreeSet<u64>,
}

#[derive(Default)]
struct Census {
    sites: HashMap<u64, Site>,
    rows: BTreeMap<&'static str, RowCount>,
    /// Every exception cause taken.
    causes: BTreeSet<u64>,
    /// `capcause` of every XCAP_FAULT.
    reasons: BTreeSet<u64>,
}

/// The reference interpreter, stepped one instruction at a time so that each
/// extension instruction's outcome (completed or trapped) is observed.
struct CensusInterp {
    inner: Interp,
    census: Rc<RefCell<Census>>,
}

impl Engine for CensusInterp {
    fn name(&self) -> &'static str {
        "interp"
    }

    fn run(&mut self, m: &mut Machine) {
        let deadline = m.hart.deadline;
        loop {
            let (pc, traps, clock) = (m.hart.pc, m.hart.traps, m.hart.clock);
            m.hart.deadline = (clock + 1).min(deadline);
            self.inner.run(m);
            let mut c = self.census.borrow_mut();
            let trapped = m.hart.traps > traps;
            if trapped {
                let code = if m.hart.prv == Priv::M { m.hart.csr.mcause } else { m.hart.csr.scause };
                c.causes.insert(code);
                if code == causes::XCAP_FAULT {
                    c.reasons.insert(xcap::state(m).capcause);
                }
            }
            if let Some(site) = c.sites.get(&pc).copied() {
                let rc = c.rows.entry(site.name).or_default();
                if trapped {
                    rc.trapped += 1;
                    rc.causes.insert(if m.hart.prv == Priv::M { m.hart.csr.mcause } else { m.hart.csr.scause });
                } else if m.hart.clock > clock {
                    rc.ok += 1;
                    if site.status && site.rd != 0 {
                        rc.statuses.insert(m.hart.x[site.rd as usize]);
                    }
                }
            }
            if m.hart.exit != 0 || m.hart.clock >= deadline || (m.hart.clock == clock && !trapped) {
                break;
            }
        }
        m.hart.deadline = deadline;
    }

    fn invalidate_page(&mut self, ppage: u64) {
        self.inner.invalidate_page(ppage);
    }

    fn stats(&self) -> Vec<(String, u64)> {
        self.inner.stats()
    }
}

// ---------------------------------------------------------------------------
// Comparison.

fn engine_name(k: EngineKind) -> &'static str {
    match k {
        EngineKind::Interp => "interp",
        EngineKind::Jit => "jit",
        EngineKind::JitNoFastpath => "jit (fast paths off)",
    }
}

/// Everything compared between engines at a stop, as named values.
fn snapshot(s: &mut Sys) -> Vec<(String, String)> {
    let mut v: Vec<(String, String)> = Vec::new();
    let mut num = |n: &str, x: u64| v.push((n.to_string(), format!("{x:#x}")));
    let h = &s.m.hart;
    num("pc", h.pc);
    num("priv", h.prv as u64);
    num("clock", h.clock);
    num("cycles", h.cycles);
    num("traps", h.traps);
    num("idle", h.idle);
    num("reservation", h.reservation);
    for i in 1..32 {
        num(&format!("x{i}"), h.x[i]);
    }
    let c = &h.csr;
    for (n, x) in [
        ("mstatus", c.mstatus),
        ("sepc", c.sepc),
        ("scause", c.scause),
        ("stval", c.stval),
        ("satp", c.satp),
        ("mepc", c.mepc),
        ("mcause", c.mcause),
        ("mtval", c.mtval),
        ("sscratch", c.sscratch),
        ("mscratch", c.mscratch),
        ("instret_offset", c.instret_offset),
        ("cycle_offset", c.cycle_offset),
    ] {
        num(n, x);
    }
    num("modeled dtlb misses", s.m.stats.dtlb_misses);
    num("tlb fills", s.m.stats.tlb_fills);
    for (i, &n) in s.m.stats.exceptions.iter().enumerate() {
        if n != 0 {
            num(&format!("exceptions[{i}]"), n);
        }
    }
    for (i, &n) in s.m.stats.interrupts.iter().enumerate() {
        if n != 0 {
            num(&format!("interrupts[{i}]"), n);
        }
    }
    for (n, x) in registry::stats(&s.m) {
        num(&n, x);
    }
    for e in registry::enabled(&s.m) {
        for c in e.csrs() {
            let x = s.csrr(c.number);
            v.push((format!("csr {} ({:#x})", c.name, c.number), format!("{x:#x}")));
        }
    }
    let m = &s.m;
    v.push(("xgate state".into(), hardware(format!("{:?}", xgate::state(m)))));
    v.push(("xamsg state".into(), hardware(format!("{:?}", xamsg::state(m)))));
    v.push(("xline state".into(), hardware(format!("{:?}", xline::state(m)))));
    v.push(("xctx state".into(), hardware(format!("{:?}", xctx::state(m)))));
    v.push(("xuirq state".into(), hardware(format!("{:?}", xuirq::state(m)))));
    v.push(("xcap state".into(), hardware(format!("{:?}", xcap::state(m)))));
    v
}

/// Whether a state field is a host-side memo rather than modeled hardware:
/// the shadow copies the JIT fast paths read (they hold host addresses, which
/// differ between machines).
fn memo_field(name: &str) -> bool {
    name == "fast" || name.contains("shadow") || name.contains("host") || name.contains("slow_store")
}

/// The modeled hardware in a `{:?}` dump of an extension state: memo fields
/// (`name: value`, with everything nested in the value) left out.
fn hardware(dump: String) -> String {
    let mut out = String::with_capacity(dump.len());
    let mut rest = dump.as_str();
    while let Some(colon) = rest.find(": ") {
        let name_start = rest[..colon].rfind(|c: char| !(c.is_ascii_alphanumeric() || c == '_')).map_or(0, |i| i + 1);
        if !memo_field(&rest[name_start..colon]) {
            out.push_str(&rest[..colon + 2]);
            rest = &rest[colon + 2..];
            continue;
        }
        out.push_str(&rest[..name_start]);
        let value = &rest[colon + 2..];
        let mut depth = 0usize;
        let mut end = value.len();
        for (i, c) in value.char_indices() {
            match c {
                '(' | '[' | '{' => depth += 1,
                ')' | ']' | '}' if depth == 0 => {
                    end = i;
                    break;
                }
                ')' | ']' | '}' => depth -= 1,
                ',' if depth == 0 => {
                    end = i;
                    break;
                }
                _ => {}
            }
        }
        rest = value[end..].strip_prefix(", ").unwrap_or(&value[end..]);
    }
    out.push_str(rest);
    out
}

/// A `{:?}` dump split into lines for reading (one per field or element).
fn readable(dump: &str) -> Vec<String> {
    dump.replace(", ", ",\n").replace("{ ", "{\n").replace("[", "[\n").lines().map(str::to_string).collect()
}

/// The differences between `a` (reference) and `b`, one per line.
fn diff(a: &[(String, String)], b: &[(String, String)], other: &str) -> String {
    let mut out = String::new();
    let bm: HashMap<&str, &str> = b.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let am: HashMap<&str, &str> = a.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    for (k, va) in a {
        let vb = bm.get(k.as_str()).copied().unwrap_or("(absent)");
        if va == vb {
            continue;
        }
        if k.ends_with(" state") {
            out.push_str(&format!("  {k} differs:\n"));
            let (la, lb) = (readable(va), readable(vb));
            let mut shown = 0;
            for i in 0..la.len().max(lb.len()) {
                let (x, y) = (la.get(i).map_or("", |s| s.as_str()), lb.get(i).map_or("", |s| s.as_str()));
                if x != y && shown < 12 {
                    out.push_str(&format!("    part {i}: interp `{}` | {other} `{}`\n", x.trim(), y.trim()));
                    shown += 1;
                }
            }
        } else {
            out.push_str(&format!("  {k:<28} interp {va:<20} {other} {vb}\n"));
        }
    }
    for (k, vb) in b {
        if !am.contains_key(k.as_str()) {
            out.push_str(&format!("  {k:<28} interp (absent)  {other} {vb}\n"));
        }
    }
    out
}

/// Compares engines 1.. against engine 0; the first difference as (engine, description).
fn compare(sys: &mut [Sys], stops: &[Stop], l: &Layout, whole_ram: bool) -> Option<(usize, String)> {
    let snaps: Vec<_> = sys.iter_mut().map(snapshot).collect();
    for i in 1..sys.len() {
        let name = engine_name(sys[i].kind);
        let mut d = diff(&snaps[0], &snaps[i], name);
        if stops[0] != stops[i] {
            d.push_str(&format!("  run ended: interp {:?}, {name} {:?}\n", stops[0], stops[i]));
        }
        let (lo, len) = if whole_ram { (BASE, common::RAM) } else { (l.frames.0, l.frames.1 - l.frames.0) };
        let ra = sys[0].m.bus.ram.slice(lo, len).expect("RAM");
        let rb = sys[i].m.bus.ram.slice(lo, len).expect("RAM");
        if ra != rb {
            let at = ra.iter().zip(rb).position(|(x, y)| x != y).unwrap_or(0) as u64;
            let pa = lo + at;
            let (x, y) = (sys[0].m.bus.ram.read(pa & !7, 8), sys[i].m.bus.ram.read(pa & !7, 8));
            d.push_str(&format!("  memory differs, first at pa {pa:#x}: interp {x:#x?}, {name} {y:#x?}\n"));
        }
        if !d.is_empty() {
            return Some((i, d));
        }
    }
    None
}

/// Fresh worlds for `p` (plain interpreter), run through the stops `targets`.
fn replay(p: &Program, l: &Layout, targets: &[u64]) -> (Vec<Sys>, Vec<Stop>) {
    let mut sys: Vec<Sys> = KINDS
        .iter()
        .map(|&k| {
            let (mut s, _) = world(k);
            load(&mut s, l, p);
            s
        })
        .collect();
    let mut stops = vec![Stop::Other(Outcome::InsnLimit(0)); sys.len()];
    for &t in targets {
        for (s, st) in sys.iter_mut().zip(stops.iter_mut()) {
            s.budget = t.saturating_sub(s.m.hart.clock);
            *st = s.run();
        }
    }
    (sys, stops)
}

/// A disassembly of `code` at `base`, marking `mark`.
fn listing(t: &IsaTable, mask: SetMask, base: u64, code: &[u8], mark: Option<u64>) -> String {
    let mut out = String::new();
    let mut o = 0usize;
    while o + 2 <= code.len() {
        let lo = u16::from_le_bytes([code[o], code[o + 1]]);
        let len = IsaTable::length(lo) as usize;
        let raw = if len == 2 || o + 4 > code.len() {
            lo as u32
        } else {
            u32::from_le_bytes([code[o], code[o + 1], code[o + 2], code[o + 3]])
        };
        let pc = base + o as u64;
        let m = if Some(pc) == mark { ">>" } else { "  " };
        out.push_str(&format!("{m} {pc:#010x}: {raw:08x}  {}\n", t.disasm_raw(raw, pc, mask)));
        o += len.max(2);
    }
    out
}

/// The instruction at `pc` in the program, disassembled.
fn insn_at(t: &IsaTable, mask: SetMask, p: &Program, pc: u64) -> String {
    for (base, code) in [(UCODE, &p.ucode), (KCODE, &p.scode), (p.handler_at, &p.handler)] {
        if (base..base + code.len() as u64).contains(&pc) {
            let o = (pc - base) as usize;
            let lo = u16::from_le_bytes([code[o], code[o + 1]]);
            let raw = if IsaTable::length(lo) == 2 {
                lo as u32
            } else {
                u32::from_le_bytes([code[o], code[o + 1], code[o + 2], code[o + 3]])
            };
            return t.disasm_raw(raw, pc, mask);
        }
    }
    "(not in the program)".to_string()
}

/// Result of one seed.
struct SeedRun {
    clock: u64,
    jit_clock: u64,
}

fn jit_stat(s: &Sys, name: &str) -> u64 {
    s.engine.stats().iter().find(|(k, _)| k == name).map_or(0, |(_, v)| *v)
}

/// Runs seed `seed` on every engine in lockstep.
fn run_seed(seed: u64, census: &Rc<RefCell<Census>>) -> Result<SeedRun, String> {
    let (s0, l) = world(EngineKind::Interp);
    let t = s0.table();
    let mask = s0.m.enabled;
    let p = generate(seed, &t, &l);
    census.borrow_mut().sites = p.sites.clone();
    let mut sys = vec![s0];
    for &k in &KINDS[1..] {
        let (s, l2) = world(k);
        assert_eq!(l2, l, "worlds are built identically");
        sys.push(s);
    }
    for s in sys.iter_mut() {
        load(s, &l, &p);
    }
    sys[0].engine = Box::new(CensusInterp { inner: Interp::new(), census: census.clone() });

    let mut rng = Rng(seed.wrapping_mul(0xd1b5_4a32_d192_ed03) | 1);
    let max_step = 1 + seed * 97 % 2000;
    let limit = 5_000_000u64;
    let mut targets: Vec<u64> = Vec::new();
    let mut prev = 0u64;
    let stops = loop {
        let target = (sys[0].m.hart.clock + 1 + rng.below(max_step)).min(limit);
        targets.push(target);
        let stops: Vec<Stop> = sys
            .iter_mut()
            .map(|s| {
                s.budget = target.saturating_sub(s.m.hart.clock);
                s.run()
            })
            .collect();
        let done = !matches!(stops[0], Stop::Other(Outcome::InsnLimit(_))) || target >= limit;
        if let Some((e, d)) = compare(&mut sys, &stops, &l, done) {
            return Err(localize(seed, &t, mask, &p, &l, &targets, prev, e, &d));
        }
        prev = target;
        if done {
            break stops;
        }
    };
    let s = &sys[0];
    let Stop::Trap { cause: cause::BREAKPOINT, from: Priv::U, .. } = stops[0] else {
        return Err(format!(
            "seed {seed}: the program did not run to its end: {:?} at clock {}",
            stops[0], s.m.hart.clock
        ));
    };
    if s.x(LOOP) != 0 {
        return Err(format!("seed {seed}: stopped with {} iterations left", s.x(LOOP)));
    }
    for s in &sys[1..] {
        let failures = jit_stat(s, "jit compile failures");
        if failures != 0 {
            return Err(format!("seed {seed}: {} regions failed to compile on {}", failures, engine_name(s.kind)));
        }
    }
    let jit_clock = sys[1..].iter().map(|s| jit_stat(s, "jit clock slots")).sum();
    Ok(SeedRun { clock: sys[0].m.hart.clock * (sys.len() as u64 - 1), jit_clock })
}

/// The interpreter's slots after clock `from` up to `to` (from the stops
/// `prefix`), one line each: pc, privilege, modeled cycles, instruction or trap.
fn trail(t: &IsaTable, mask: SetMask, p: &Program, l: &Layout, prefix: &[u64], from: u64, to: u64) -> String {
    let mut ts = prefix.to_vec();
    if prefix.last().is_none_or(|&c| from > c) && from > 0 {
        ts.push(from);
    }
    let (mut sys, _) = replay(p, l, &ts);
    let s = &mut sys[0];
    let mut out = String::new();
    while s.m.hart.clock < to {
        let (pc, prv) = (s.m.hart.pc, s.m.hart.prv);
        let (clock, traps, cycles) = (s.m.hart.clock, s.m.hart.traps, s.m.hart.cycles);
        s.budget = 1;
        s.run();
        let what = if s.m.hart.traps > traps {
            format!("trap, scause {} stval {:#x}", s.m.hart.csr.scause, s.m.hart.csr.stval)
        } else {
            insn_at(t, mask, p, pc)
        };
        out.push_str(&format!(
            "  slot {:>8}: pc {pc:#012x} [{}] +{:<3} cycles  {what}\n",
            clock + 1,
            prv.letter(),
            s.m.hart.cycles - cycles
        ));
    }
    out
}

/// Describes a divergence found at the stop `targets.last()` (the previous
/// stop, `prev`, agreed), by replaying the seed:
///
/// 1. the first clock slot at which a stop shows a difference (bisection over
///    the stop position);
/// 2. the slot that introduces it: the latest extra stop between `prev` and
///    that slot after which the difference still shows. The two differ when a
///    difference only shows for some stop positions (an engine that handles a
///    chunk differently depending on where it ends).
#[allow(clippy::too_many_arguments)]
fn localize(
    seed: u64,
    t: &IsaTable,
    mask: SetMask,
    p: &Program,
    l: &Layout,
    targets: &[u64],
    prev: u64,
    engine: usize,
    first_diff: &str,
) -> String {
    let prefix = &targets[..targets.len() - 1];
    let target = *targets.last().expect("a stop");
    let differs = |extra: &[u64]| {
        let mut ts = prefix.to_vec();
        ts.extend_from_slice(extra);
        let (mut sys, stops) = replay(p, l, &ts);
        compare(&mut sys, &stops, l, false).map(|(_, d)| d)
    };
    let (mut lo, mut hi) = (prev, target);
    let mut found = first_diff.to_string();
    while hi - lo > 1 {
        let mid = lo + (hi - lo) / 2;
        match differs(&[mid]) {
            Some(d) => {
                hi = mid;
                found = d;
            }
            None => lo = mid,
        }
    }
    // An extra stop at `prev` changes nothing; find the latest one that keeps the difference at `hi`.
    let (mut keep, mut lose) = (prev, hi);
    while lose - keep > 1 {
        let mid = keep + (lose - keep) / 2;
        if differs(&[mid, hi]).is_some() {
            keep = mid;
        } else {
            lose = mid;
        }
    }
    let name = engine_name(KINDS[engine]);
    let (sys, _) = replay(p, l, &[prefix, &[keep][..]].concat());
    let (pc, prv) = (sys[0].m.hart.pc, sys[0].m.hart.prv);
    let chunk = if keep + 1 == hi {
        String::new()
    } else {
        format!(
            "with an extra stop at clock {keep} the difference still shows at {hi}, with one at {} it does not: \
             {name} runs the chunk from clock {keep} (pc {pc:#x}) differently; its first interpreter slots:\n{}",
            keep + 1,
            trail(t, mask, p, l, prefix, keep, hi.min(keep + 48))
        )
    };
    format!(
        "seed {seed}: {name} differs from the interpreter between clock {prev} and {target}\n\
         first stop showing a difference: clock {hi}; the interpreter's last slots up to it:\n{}{chunk}\
         {}: pc {pc:#x} [{}] `{}` (marked >> below)\n\
         state at clock {hi} (interp vs {name}):\n{found}\n\
         state at the stop {target}:\n{first_diff}\n\
         program (U-mode part at {UCODE:#x}, S-mode part at {KCODE:#x}, loop at {:#x}, handler at {:#x}):\n\
         --- U\n{}--- S\n{}--- handler\n{}",
        trail(t, mask, p, l, prefix, lo.saturating_sub(8).max(prev), hi),
        if keep + 1 == hi { "suspect" } else { "start of that chunk" },
        prv.letter(),
        insn_at(t, mask, p, pc),
        p.s_top,
        p.handler_at,
        listing(t, mask, UCODE, &p.ucode, Some(pc)),
        listing(t, mask, KCODE, &p.scode, Some(pc)),
        listing(t, mask, p.handler_at, &p.handler, Some(pc)),
    )
}

/// Seeds that found divergences, kept in the default run: 539 (a region
/// compiled again while the hart was in another mode got that mode's TLB bank).
const REGRESSION_SEEDS: &[u64] = &[539];

fn env(name: &str, default: u64) -> u64 {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

#[test]
fn random_extension_streams_agree_on_every_engine() {
    let seeds = env("MKJIT_RANDOM_SEEDS", DEFAULT_SEEDS);
    let first = env("MKJIT_RANDOM_FIRST_SEED", 1);
    // Seeds that once found a divergence run by default too.
    let regression = if std::env::var_os("MKJIT_RANDOM_SEEDS").is_none() { REGRESSION_SEEDS } else { &[] };
    let census = Rc::new(RefCell::new(Census::default()));
    let mut failures = Vec::new();
    let (mut total, mut jitted) = (0u64, 0u64);
    for seed in (first..first + seeds).chain(regression.iter().copied()) {
        match run_seed(seed, &census) {
            Ok(r) => {
                total += r.clock;
                jitted += r.jit_clock;
            }
            Err(e) => failures.push(e),
        }
    }
    let c = census.borrow();
    let mut report = String::new();
    for (name, rc) in &c.rows {
        report.push_str(&format!(
            "  {name:<13} ok {:>6}  trapped {:>6}  causes {:?}  statuses {:?}\n",
            rc.ok, rc.trapped, rc.causes, rc.statuses
        ));
    }
    eprintln!(
        "{seeds} seeds; {total} JIT clock slots, {:.1}% in compiled code; causes {:?}; capcause {:?}\n{report}",
        jitted as f64 * 100.0 / total.max(1) as f64,
        c.causes,
        c.reasons
    );
    assert!(failures.is_empty(), "{} of {seeds} random programs diverged:\n{}", failures.len(), failures.join("\n\n"));
    assert!(total > 0, "nothing ran");
    assert!(jitted > 0, "nothing ran in compiled code");
    if seeds < DEFAULT_SEEDS {
        eprintln!("fewer than {DEFAULT_SEEDS} seeds: coverage not checked");
        return;
    }
    // Seeds with small lockstep steps resume mid-block often (interpreted up to
    // the next block start); over many seeds most of the run is compiled.
    assert!(jitted * 2 > total, "only {jitted} of {total} JIT clock slots ran in compiled code");
    // Coverage: nothing passed vacuously.
    let t = Sys::new(EXTS, EngineKind::Interp).table();
    let mut missing = Vec::new();
    for r in ext_rows(&t) {
        let rc = c.rows.get(r.name);
        let (ok, trapped) = rc.map_or((0, 0), |x| (x.ok, x.trapped));
        if r.natural.is_some() && (ok == 0 || trapped == 0) {
            missing.push(format!("{} (ok {ok}, trapped {trapped})", r.name));
        }
        if r.natural.is_none() && (ok != 0 || trapped == 0) {
            missing.push(format!("excluded {} (ok {ok}, trapped {trapped})", r.name));
        }
    }
    use status::{EMPTY, FULL, NORIGHT, OK};
    for (name, want) in [
        ("asend", &[OK, FULL, NORIGHT][..]),
        ("arecv", &[OK, EMPTY, NORIGHT]),
        ("areply", &[OK, NORIGHT]),
        ("uipi", &[OK, NORIGHT]),
    ] {
        let got = c.rows.get(name).map(|x| x.statuses.clone()).unwrap_or_default();
        for s in want {
            if !got.contains(s) {
                missing.push(format!("{name} never returned status {s}"));
            }
        }
    }
    for reason in 1..=7 {
        if !c.reasons.contains(&reason) {
            missing.push(format!("capability check {reason} never failed"));
        }
    }
    for code in [
        cause::ILLEGAL,
        cause::LOAD_MISALIGNED,
        cause::STORE_MISALIGNED,
        cause::LOAD_PAGE,
        cause::STORE_PAGE,
        causes::CLB_MISS,
        causes::CTX_SLOT_MISS,
        causes::XLINE_GIVE,
        causes::XLINE_ACCESS,
        causes::XCAP_FAULT,
        causes::XCAP_PAGE,
        causes::XCAP_NOSPARE,
        causes::XUIRQ_FAULT,
    ] {
        if !c.causes.contains(&code) {
            missing.push(format!("exception {code} never raised"));
        }
    }
    assert!(missing.is_empty(), "paths never exercised over {seeds} seeds:\n  {}", missing.join("\n  "));
}
