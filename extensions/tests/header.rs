//! The generated C header: up to date, assembles with clang, and every
//! intrinsic assembles to a word that decodes to its own row.

use mkjit_extensions::header::{self, HEADER_PATH};
use mkjit_extensions::registry;
use mkjit_runtime::isa::decode::SetMask;
use mkjit_runtime::isa::{IsaSet, IsaTable};
use std::path::PathBuf;
use std::process::Command;

fn header_file() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(HEADER_PATH)
}

#[test]
fn committed_header_is_current() {
    let want = header::generate();
    let path = header_file();
    if std::env::var_os("MKJIT_BLESS").is_some() {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, &want).unwrap();
    }
    let have = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        have == want,
        "{} is stale: run `MKJIT_BLESS=1 cargo test -p mkjit-extensions --test header`",
        path.display()
    );
}

#[test]
fn every_row_has_an_intrinsic() {
    let h = header::generate();
    for ext in registry::all() {
        for def in ext.rows() {
            assert!(h.contains(&format!(" {}(", header::intrinsic_name(def.name))), "{}", def.name);
        }
    }
}

fn tool(name: &str) -> Option<String> {
    [name.to_string(), format!("{name}-14")]
        .into_iter()
        .find(|cand| Command::new(cand).arg("--version").output().is_ok_and(|o| o.status.success()))
}

/// All extension rows registered on a core table, every set enabled.
fn full_table() -> (IsaTable, SetMask) {
    let mut t = IsaTable::core();
    let mut mask = SetMask::CORE;
    for ext in registry::all() {
        t.register(ext.rows()).expect("no overlaps");
        mask = mask.with(IsaSet::Custom(ext.set()));
    }
    (t, mask)
}

#[test]
fn clang_assembles_every_intrinsic_to_its_row() {
    let (Some(clang), Some(objdump)) = (tool("clang"), tool("llvm-objdump")) else {
        eprintln!("clang or llvm-objdump not found: skipping");
        return;
    };
    let dir = std::env::temp_dir().join(format!("mkjit-ext-header-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let c = dir.join("smoke.c");
    let o = dir.join("smoke.o");
    std::fs::write(&c, header::smoke_test_c()).unwrap();
    let inc = header_file().parent().unwrap().to_path_buf();
    // Compile against the generated text (the committed file is checked above).
    std::fs::write(dir.join("mkjit_ext.h"), header::generate()).unwrap();
    let out = Command::new(&clang)
        .args([
            "--target=riscv64-unknown-elf",
            "-march=rv64imac",
            "-mabi=lp64",
            "-O2",
            "-ffreestanding",
            "-Wall",
            "-Werror",
            "-c",
        ])
        .arg("-I")
        .arg(&dir)
        .arg("-I")
        .arg(&inc)
        .arg(&c)
        .arg("-o")
        .arg(&o)
        .output()
        .expect("clang runs");
    assert!(out.status.success(), "clang failed:\n{}", String::from_utf8_lossy(&out.stderr));
    let dis = Command::new(&objdump).arg("-d").arg(&o).output().expect("objdump runs");
    let text = String::from_utf8_lossy(&dis.stdout);
    let (table, mask) = full_table();
    let mut func = String::new();
    let mut seen = std::collections::BTreeSet::new();
    for line in text.lines() {
        if let Some(name) = line.strip_suffix(">:").and_then(|l| l.split('<').nth(1)) {
            func = name.to_string();
            continue;
        }
        // "       8: 8b 06 b5 00  	<unknown>"
        let Some((_, rest)) = line.split_once(':') else { continue };
        let bytes: Vec<u8> = rest.split_whitespace().take(4).map_while(|b| u8::from_str_radix(b, 16).ok()).collect();
        if bytes.len() != 4 {
            continue;
        }
        let word = u32::from_le_bytes([bytes[0], bytes[1], bytes[2], bytes[3]]);
        if !matches!(word & 0x7f, 0x0b | 0x2b | 0x5b | 0x7b) {
            continue;
        }
        let insn = table.decode(word, mask).unwrap_or_else(|| panic!("{func}: {word:#010x} does not decode"));
        let row = table.row(insn.row).name;
        assert_eq!(
            format!("smoke_{}", header::intrinsic_name(row)),
            func.replace("smoke_mk_gate_call", "smoke_mk_gcall"),
            "{word:#010x}"
        );
        seen.insert(row);
    }
    for ext in registry::all() {
        for def in ext.rows() {
            assert!(seen.contains(def.name), "no assembled word for `{}`", def.name);
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
}
