//! Generator of `include/mkjit_ext.h`, the guest intrinsics, from the same rows
//! the decoder uses.
//!
//! Each row becomes `static inline ... mk_<mnemonic>(...)` emitting the
//! instruction with `.insn r OPC, F3, F7, rd, rs1, rs2` or
//! `.insn r4 OPC, F3, F2, rd, rs1, rs2, rs3` and numeric opcodes (clang 14's
//! integrated assembler does not know the custom-N names). Register fields the
//! pattern fixes to zero are emitted as `x0` and are not parameters. CSR numbers,
//! cause and status codes and every extension's layout constants become
//! `MKJIT_*` macros. `tests/header.rs` checks that the committed file is
//! current (`MKJIT_BLESS=1` rewrites it) and that clang assembles it to words
//! that decode to the intended rows.

use crate::registry;
use crate::{CsrAccess, Extension};
use mkjit_runtime::isa::{Format, InsnDef, RegEffects};
use std::fmt::Write;

/// Path of the committed header, relative to the crate root.
pub const HEADER_PATH: &str = "include/mkjit_ext.h";

/// Operand fields of a row: whether rd, rs1, rs2, rs3 are operands (not fixed to zero).
pub fn operands(def: &InsnDef) -> [bool; 4] {
    let free = |lo: u32| (def.pattern.mask >> lo) & 0x1f == 0;
    [free(7), free(15), free(20), def.format == Format::R4 && free(27)]
}

/// C identifier of a mnemonic: `mk_` + mnemonic with `.` replaced by `_`.
pub fn intrinsic_name(mnemonic: &str) -> String {
    format!("mk_{}", mnemonic.replace('.', "_"))
}

fn c_ident(s: &str) -> String {
    s.to_ascii_uppercase().replace(['.', '-'], "_")
}

/// The `.insn` directive of `def` with operand placeholders `%N` for its operands.
fn insn_directive(def: &InsnDef, names: &[String; 4]) -> String {
    let bits = def.pattern.bits;
    let opcode = bits & 0x7f;
    let f3 = (bits >> 12) & 7;
    let ops = operands(def);
    let field = |k: usize| if ops[k] { names[k].clone() } else { "x0".to_string() };
    match def.format {
        Format::R4 => format!(
            ".insn r4 {opcode:#04x}, {f3}, {}, {}, {}, {}, {}",
            (bits >> 25) & 3,
            field(0),
            field(1),
            field(2),
            field(3)
        ),
        _ => format!(".insn r {opcode:#04x}, {f3}, {}, {}, {}, {}", bits >> 25, field(0), field(1), field(2)),
    }
}

fn emit_intrinsic(out: &mut String, ext: &dyn Extension, def: &InsnDef) {
    let doc = ext
        .docs()
        .iter()
        .find(|d| d.name == def.name)
        .unwrap_or_else(|| panic!("{}: no InsnDoc for `{}`", ext.name(), def.name));
    let ops = operands(def);
    let roles = [doc.rd, doc.rs1, doc.rs2, doc.rs3];
    let mut params = Vec::new();
    let mut inputs = Vec::new();
    let mut placeholders: [String; 4] = Default::default();
    let mut next = if ops[0] { 1 } else { 0 };
    if ops[0] {
        placeholders[0] = "%0".to_string();
    }
    for k in 1..4 {
        if ops[k] {
            let role = if roles[k].is_empty() { ["", "rs1", "rs2", "rs3"][k] } else { roles[k] };
            params.push(format!("unsigned long {role}"));
            inputs.push(format!("\"r\"({role})"));
            placeholders[k] = format!("%{next}");
            next += 1;
        }
    }
    let name = intrinsic_name(def.name);
    let ret = if ops[0] { "unsigned long" } else { "void" };
    let args = if params.is_empty() { "void".to_string() } else { params.join(", ") };
    let insn = insn_directive(def, &placeholders);
    let _ = writeln!(out, "/* {}: {} */", def.name, doc.summary);
    if def.regs == RegEffects::All {
        let _ = writeln!(
            out,
            "/* Changes registers besides its operands (SPEC): issue it from a stub that saves what it needs. */"
        );
    }
    let _ = writeln!(out, "static inline {ret} {name}({args})\n{{");
    let outputs = if ops[0] { "\"=r\"(rd)" } else { "" };
    if ops[0] {
        let _ = writeln!(out, "    unsigned long rd;");
    }
    let _ = writeln!(out, "    __asm__ volatile(\"{insn}\" : {outputs} : {} : \"memory\");", inputs.join(", "));
    if ops[0] {
        let _ = writeln!(out, "    return rd;");
    }
    let _ = writeln!(out, "}}\n");
}

const GATE_CALL: &str = r#"/*
 * mk_gate_call: a C-callable synchronous call through gate `gate` (Xgate).
 * Arguments in a0-a3, result in a0 (a1-a3 also come back from the callee).
 * gret restores sp; s0, gp and tp are saved on the stack around the call and
 * every other register is declared clobbered (the callee may change them).
 */
static inline unsigned long mk_gate_call(unsigned long gate, unsigned long arg0, unsigned long arg1,
                                         unsigned long arg2, unsigned long arg3)
{
    register unsigned long a0 __asm__("a0") = arg0;
    register unsigned long a1 __asm__("a1") = arg1;
    register unsigned long a2 __asm__("a2") = arg2;
    register unsigned long a3 __asm__("a3") = arg3;
    register unsigned long t6 __asm__("t6") = gate;
    __asm__ volatile("addi sp, sp, -32\n\t"
                     "sd s0, 0(sp)\n\t"
                     "sd gp, 8(sp)\n\t"
                     "sd tp, 16(sp)\n\t"
                     ".insn r 0x0b, 0, 0, x0, t6, x0\n\t"
                     "ld s0, 0(sp)\n\t"
                     "ld gp, 8(sp)\n\t"
                     "ld tp, 16(sp)\n\t"
                     "addi sp, sp, 32"
                     : "+r"(a0), "+r"(a1), "+r"(a2), "+r"(a3), "+r"(t6)
                     :
                     : "ra", "t0", "t1", "t2", "t3", "t4", "t5", "a4", "a5", "a6", "a7", "s1", "s2", "s3",
                       "s4", "s5", "s6", "s7", "s8", "s9", "s10", "s11", "memory");
    return a0;
}

"#;

/// The header text.
pub fn generate() -> String {
    let mut out = String::new();
    for line in [
        "/*",
        " * mkjit_ext.h: guest intrinsics for mkjit's co-design ISA extensions.",
        " *",
        " * GENERATED by mkjit-extensions (extensions/src/header.rs) from the encoding",
        " * table the emulator decodes with; do not edit. Regenerate with",
        " * `MKJIT_BLESS=1 cargo test -p mkjit-extensions --test header`.",
        " * Specification: extensions/SPEC.md.",
        " */",
        "#ifndef MKJIT_EXT_H",
        "#define MKJIT_EXT_H",
        "",
    ] {
        let _ = writeln!(out, "{line}");
    }
    out.push_str("/* Status codes returned in rd (SPEC 1.6). */\n");
    for (n, v) in [("OK", 0), ("FULL", 1), ("EMPTY", 2), ("NORIGHT", 3)] {
        let _ = writeln!(out, "#define MKJIT_STATUS_{n} {v}");
    }
    out.push_str("#define MKJIT_SLOT_NONE (~0UL)\n\n");
    for ext in registry::all() {
        let _ = writeln!(out, "/* ==== {} (--ext {}, custom set {}) ==== */\n", ext.isa_name(), ext.name(), ext.set());
        for c in ext.csrs() {
            let acc = match c.access {
                CsrAccess::URw => "U RW",
                CsrAccess::URo => "U RO",
                CsrAccess::SRw => "S RW",
                CsrAccess::SRo => "S RO",
            };
            let _ = writeln!(out, "#define MKJIT_CSR_{} {:#05x} /* {acc} */", c_ident(c.name), c.number);
        }
        for (code, name) in ext.causes() {
            let _ = writeln!(out, "#define MKJIT_CAUSE_{} {code} /* {name} */", cause_ident(*code));
        }
        for (name, v) in ext.constants() {
            let _ = writeln!(out, "#define MKJIT_{name} {v:#x}UL");
        }
        out.push('\n');
        for def in ext.rows() {
            emit_intrinsic(&mut out, *ext, def);
        }
        if ext.name() == "xgate" {
            out.push_str(GATE_CALL);
        }
    }
    out.push_str("#endif /* MKJIT_EXT_H */\n");
    out
}

/// Macro name of a cause code.
fn cause_ident(code: u64) -> &'static str {
    use crate::common::causes::*;
    match code {
        CLB_MISS => "CLB_MISS",
        LINK_OVERFLOW => "LINK_OVERFLOW",
        LINK_UNDERFLOW => "LINK_UNDERFLOW",
        LINK_FOREIGN => "LINK_FOREIGN",
        GATE_KIND => "GATE_KIND",
        CTX_SLOT_MISS => "CTX_SLOT_MISS",
        XLINE_GIVE => "XLINE_GIVE",
        XLINE_ACCESS => "XLINE_ACCESS",
        XCAP_FAULT => "XCAP_FAULT",
        XCAP_PAGE => "XCAP_PAGE",
        XCAP_NOSPARE => "XCAP_NOSPARE",
        XUIRQ_FAULT => "XUIRQ_FAULT",
        _ => panic!("cause {code} has no macro name"),
    }
}

/// A C file calling every intrinsic once, each from its own function
/// `smoke_<intrinsic>`, for the assembler check in `tests/header.rs`.
pub fn smoke_test_c() -> String {
    let mut out = String::from("#include \"mkjit_ext.h\"\n\n");
    for ext in registry::all() {
        for def in ext.rows() {
            let ops = operands(def);
            let n = ops[1..].iter().filter(|&&b| b).count();
            let args: Vec<String> = (0..n).map(|k| format!("{}UL", k + 1)).collect();
            let name = intrinsic_name(def.name);
            let call = format!("{name}({})", args.join(", "));
            if ops[0] {
                let _ = writeln!(out, "unsigned long smoke_{name}(void) {{ return {call}; }}");
            } else {
                let _ = writeln!(out, "void smoke_{name}(void) {{ {call}; }}");
            }
        }
    }
    out.push_str("unsigned long smoke_mk_gate_call(void) { return mk_gate_call(1, 2, 3, 4, 5); }\n");
    out
}
