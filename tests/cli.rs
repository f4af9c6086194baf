//! The `mkjit` command line: exit codes, errors on bad input, tracing, determinism.

use mkjit_runtime::elfgen::ElfBuilder;
use mkjit_runtime::isa::encode::Asm;
use mkjit_runtime::isa::IsaTable;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn mkjit(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_mkjit")).args(args).output().expect("mkjit runs")
}

fn scratch(name: &str, bytes: &[u8]) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("cli");
    std::fs::create_dir_all(&dir).expect("scratch dir");
    let p = dir.join(name);
    std::fs::write(&p, bytes).expect("scratch file");
    p
}

fn guest_program(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("runtime/tests/guest/bin").join(name)
}

/// A program that prints `text` on the UART and exits with `code` through the finisher.
fn hello(text: &str, code: u32) -> Vec<u8> {
    let t = IsaTable::core();
    let mut a = Asm::new(&t);
    a.li(5, 0x1000_0000);
    for b in text.bytes() {
        a.li(6, b as i64);
        a.emit("sb", 0, 5, 6, 0);
    }
    a.li(5, 0x10_0000);
    a.li(6, if code == 0 { 0x5555 } else { ((code << 16) | 0x3333) as i64 });
    a.emit("sw", 0, 5, 6, 0);
    ElfBuilder::new(0x8000_0000, a.code.clone()).build()
}

fn assert_clean_error(out: &Output, what: &str) {
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{what}: exit code 1 expected, stderr: {err}");
    assert!(err.starts_with("mkjit: error: "), "{what}: {err}");
    assert_eq!(err.trim_end().lines().count(), 1, "{what}: one line expected: {err}");
    assert!(!err.contains("panicked"), "{what}: {err}");
}

#[test]
fn guest_exit_code_becomes_process_exit_code() {
    let p = scratch("hello.elf", &hello("hi\n", 3));
    let out = mkjit(&["run", p.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(3));
    assert_eq!(out.stdout, b"hi\n");
}

#[test]
fn qemu_style_flags_are_accepted() {
    let p = scratch("hello-q.elf", &hello("ok\n", 0));
    let out = mkjit(&[
        "run",
        "-nographic",
        "-bios",
        "none",
        "-m",
        "128M",
        "-smp",
        "1",
        "-append",
        "x=1",
        "-kernel",
        p.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(out.stdout, b"ok\n");
}

#[test]
fn bad_inputs_give_one_line_errors() {
    let good = std::fs::read(guest_program("rv64i_alu.elf")).expect("guest test program");
    let mut elf32 = good.clone();
    elf32[4] = 1;
    let mut x86 = good.clone();
    x86[18] = 62;
    let mut big_endian = good.clone();
    big_endian[5] = 2;
    let random: Vec<u8> = (0..4096u32).map(|i| (i.wrapping_mul(2654435761) >> 13) as u8).collect();
    let outside = ElfBuilder::new(0x1000, vec![0x13, 0, 0, 0]).build();
    let cases: Vec<(&str, Vec<u8>)> = vec![
        ("empty", vec![]),
        ("truncated", good[..100].to_vec()),
        ("truncated-segment", good[..good.len().min(4200)].to_vec()),
        ("elf32", elf32),
        ("x86", x86),
        ("big-endian", big_endian),
        ("random", random),
        ("outside-ram", outside),
    ];
    for (name, bytes) in cases {
        let p = scratch(&format!("bad-{name}.elf"), &bytes);
        assert_clean_error(&mkjit(&["run", p.to_str().unwrap()]), name);
    }
    assert_clean_error(&mkjit(&["run", "/nonexistent/kernel.elf"]), "missing file");
    let p = scratch("hello-m.elf", &hello("", 0));
    assert_clean_error(&mkjit(&["run", "-m", "lots", p.to_str().unwrap()]), "bad -m");
    assert_clean_error(&mkjit(&["run", "-smp", "4", p.to_str().unwrap()]), "smp 4");
    assert_clean_error(&mkjit(&["run", "-d", "bogus", p.to_str().unwrap()]), "bad -d");
}

#[test]
fn bad_flags_are_usage_errors() {
    let out = mkjit(&["run", "--engine", "warp", "x.elf"]);
    assert_eq!(out.status.code(), Some(2));
    let out = mkjit(&["frobnicate"]);
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn runaway_guest_is_stopped_with_its_own_exit_code() {
    let t = IsaTable::core();
    let mut a = Asm::new(&t);
    a.emit("jal", 0, 0, 0, 0);
    let p = scratch("loop.elf", &ElfBuilder::new(0x8000_0000, a.code.clone()).build());
    let out = mkjit(&["run", "--max-insns", "100000", p.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(124));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("instruction limit reached (100000 instructions)"), "{err}");
}

#[test]
fn debug_log_goes_to_file() {
    let p = scratch("hello-d.elf", &hello("x", 0));
    let log = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("cli/trace.log");
    let out = mkjit(&["run", "-d", "in_asm,exec,cpu,int,mmu", "-D", log.to_str().unwrap(), p.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0));
    let text = std::fs::read_to_string(&log).expect("log written");
    assert!(text.contains("IN: pc 0x80000000"), "{text}");
    assert!(text.contains("c.li") || text.contains("addi"), "{text}");
    assert!(text.contains("Trace: pc 0x80000000 [M]"), "{text}");
}

#[test]
fn stats_report_counts() {
    let p = guest_program("traps_m.elf");
    let out = mkjit(&["run", "--stats", p.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("instructions retired"), "{err}");
    assert!(err.contains("illegal instruction"), "{err}");
}

#[test]
fn two_runs_print_identical_bytes() {
    let p = guest_program("devices.elf");
    let a = mkjit(&["run", p.to_str().unwrap()]);
    let b = mkjit(&["run", p.to_str().unwrap()]);
    assert_eq!(a.status.code(), Some(0));
    assert_eq!(a.stdout, b.stdout);
    assert!(!a.stdout.is_empty());
}
