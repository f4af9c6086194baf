//! Embeds the committed guest images (`guest-os/images/*.elf`) so that
//! `mkjit bench` runs anywhere without the repository. The codesign image is
//! embedded when it exists at build time.

use std::fmt::Write;
use std::path::PathBuf;

fn main() {
    let manifest = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR"));
    let images = manifest.join("..").join("guest-os").join("images");
    println!("cargo:rerun-if-changed={}", images.display());
    let mut code = String::from(
        "/// Images built into this mkjit: name and ELF bytes.\npub const EMBEDDED: &[(&str, &[u8])] = &[\n",
    );
    for name in ["stock", "codesign"] {
        let path = images.join(format!("{name}.elf"));
        println!("cargo:rerun-if-changed={}", path.display());
        if path.is_file() {
            let abs = path.canonicalize().expect("image path resolves");
            let _ = writeln!(code, "    ({name:?}, include_bytes!({:?})),", abs.display().to_string());
        }
    }
    code.push_str("];\n");
    let out = PathBuf::from(std::env::var("OUT_DIR").expect("cargo sets OUT_DIR")).join("images.rs");
    std::fs::write(out, code).expect("OUT_DIR is writable");
}
