//! QEMU-style debug logging (`-d int,cpu,in_asm,exec,mmu,...` with `-D FILE`).

use std::fmt;
use std::io::Write;

/// Unknown `-d` item.
#[derive(Debug, thiserror::Error)]
#[error("unknown -d item `{0}` (known: int, cpu, in_asm, out_asm, op, exec, mmu, nochain)")]
pub struct TraceError(pub String);

/// What to log, and where.
#[derive(Default)]
pub struct Trace {
    /// Traps and interrupts.
    pub int: bool,
    /// Register state before each executed block.
    pub cpu: bool,
    /// Guest code of each newly decoded or translated block.
    pub in_asm: bool,
    /// Host code of each translated region (JIT).
    pub out_asm: bool,
    /// Intermediate representation of each translated region (JIT).
    pub op: bool,
    /// Each executed block.
    pub exec: bool,
    /// Page walks and TLB fills.
    pub mmu: bool,
    /// Do not chain translated regions (JIT).
    pub nochain: bool,
    out: Option<Box<dyn Write + Send>>,
}

impl Trace {
    /// Parses a comma-separated `-d` list.
    pub fn parse(items: &str) -> Result<Trace, TraceError> {
        let mut t = Trace::default();
        for item in items.split(',').map(str::trim).filter(|s| !s.is_empty()) {
            match item {
                "int" => t.int = true,
                "cpu" => t.cpu = true,
                "in_asm" => t.in_asm = true,
                "out_asm" => t.out_asm = true,
                "op" => t.op = true,
                "exec" => t.exec = true,
                "mmu" => t.mmu = true,
                "nochain" => t.nochain = true,
                other => return Err(TraceError(other.to_string())),
            }
        }
        Ok(t)
    }

    /// Sends log lines to `out` (default: standard error).
    pub fn set_output(&mut self, out: Box<dyn Write + Send>) {
        self.out = Some(out);
    }

    /// Whether anything per-block is logged.
    pub fn per_block(&self) -> bool {
        self.cpu || self.exec || self.in_asm
    }

    /// Writes one line.
    pub fn line(&mut self, args: fmt::Arguments<'_>) {
        match &mut self.out {
            Some(w) => {
                let _ = writeln!(w, "{args}");
            }
            None => eprintln!("{args}"),
        }
    }

    /// Flushes the log.
    pub fn flush(&mut self) {
        if let Some(w) = &mut self.out {
            let _ = w.flush();
        }
    }
}
