//! SPEC.md §9.1 (the encoding summary) agrees with the rows the emulator decodes.

use mkjit_extensions::header::operands;
use mkjit_extensions::registry;
use mkjit_runtime::isa::Format;

#[test]
fn spec_encoding_table_matches_rows() {
    let spec = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/SPEC.md")).unwrap();
    let table = spec.split("### 9.1 Encodings").nth(1).unwrap().split("### 9.2").next().unwrap();
    let mut checked = 0;
    for ext in registry::all() {
        for def in ext.rows() {
            let bits = def.pattern.bits;
            let (opc, f3, f7) = (bits & 0x7f, (bits >> 12) & 7, bits >> 25);
            let f7 = if def.format == Format::R4 { (bits >> 25) & 3 } else { f7 };
            // Rows are listed one by one, except load/store families given as ranges.
            let line = table.lines().find(|l| l.starts_with(&format!("| `{}` |", def.name)));
            let Some(line) = line else {
                assert!(
                    def.name.starts_with("cap.l") || def.name.starts_with("cap.s"),
                    "{} missing from SPEC 9.1",
                    def.name
                );
                continue;
            };
            let cols: Vec<&str> = line.split('|').map(str::trim).collect();
            assert_eq!(cols[2], format!("{opc:#04X}").replace("0X", "0x"), "{} opcode", def.name);
            assert_eq!(cols[3], f3.to_string(), "{} funct3", def.name);
            let f = cols[4].trim_start_matches("funct2 ");
            assert_eq!(f, f7.to_string(), "{} funct7/funct2", def.name);
            let ops = operands(def);
            assert_eq!(cols[5] != "0", ops[0], "{} rd", def.name);
            assert_eq!(cols[6] != "0", ops[1], "{} rs1", def.name);
            assert_eq!(cols[7] != "0", ops[2], "{} rs2", def.name);
            checked += 1;
        }
    }
    assert_eq!(checked, 29, "rows listed one by one in SPEC 9.1");
}
