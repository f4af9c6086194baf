//! `mkjit`: command-line front end.
//!
//! QEMU users' single-dash long flags (`-append`, `-kernel`, `-smp`,
//! `-nographic`, `-bios none`) are accepted and mapped onto the clap options.

use anyhow::{bail, Context, Result};
use clap::{Args, Parser, Subcommand, ValueEnum};
use mkjit_runtime::config::{MachineConfig, DEFAULT_INSNS_PER_TICK};
use mkjit_runtime::console::StdioConsole;
use mkjit_runtime::interp::Interp;
use mkjit_runtime::machine::{Engine, Machine, Outcome};
use mkjit_runtime::trace::Trace;
use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;

/// Exit code when `--max-insns` stops the guest.
const EXIT_INSN_LIMIT: u8 = 124;
/// Exit code when the guest waits for an interrupt that can never come.
const EXIT_DEADLOCK: u8 = 125;
/// Exit code for errors of mkjit itself (bad input, I/O).
const EXIT_ERROR: u8 = 1;

#[derive(Parser)]
#[command(
    name = "mkjit",
    version,
    about = "JIT-compiling RV64 system emulator for microkernel hardware/software co-design"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Boot a bare-metal RV64 ELF on the `virt` board.
    Run(RunArgs),
    /// Run the benchmark suite (workloads x images x engines x cost models) and write results and reports.
    Bench(mkjit_bench::cli::BenchArgs),
    /// Compare two benchmark results; exit code 3 when a deterministic metric regressed.
    Compare(mkjit_bench::cli::CompareArgs),
    /// Merge the results of sharded `mkjit bench --shard I/N` runs.
    Merge(mkjit_bench::cli::MergeArgs),
}

#[derive(Clone, Copy, ValueEnum)]
enum EngineKind {
    /// The reference interpreter.
    Interp,
    /// The Cranelift JIT (hot regions compiled, cold code interpreted).
    Jit,
}

#[derive(Args)]
struct RunArgs {
    /// Kernel ELF image (or use -kernel FILE).
    #[arg(value_name = "KERNEL")]
    kernel_pos: Option<PathBuf>,
    /// Kernel ELF image.
    #[arg(long = "kernel", value_name = "FILE")]
    kernel: Option<PathBuf>,
    /// RAM size: MiB, or with a suffix K, M, G (QEMU syntax).
    #[arg(short = 'm', long = "memory", default_value = "256M")]
    memory: String,
    /// Number of harts (only 1 is supported).
    #[arg(long = "smp", default_value_t = 1)]
    smp: u32,
    /// Kernel command line, passed in /chosen/bootargs.
    #[arg(long = "append", default_value = "")]
    append: String,
    /// Execution engine.
    #[arg(long, value_enum, default_value = "jit")]
    engine: EngineKind,
    /// Stop the guest after this many instructions (exit code 124).
    #[arg(long = "max-insns", value_name = "N")]
    max_insns: Option<u64>,
    /// Retired instructions per mtime tick (mtime runs at 10 MHz).
    #[arg(long = "insns-per-tick", default_value_t = DEFAULT_INSNS_PER_TICK)]
    insns_per_tick: u64,
    /// Debug log items: int,cpu,in_asm,exec,mmu (comma-separated).
    #[arg(short = 'd', value_name = "ITEMS")]
    debug: Option<String>,
    /// Write the debug log to FILE instead of standard error.
    #[arg(short = 'D', value_name = "FILE")]
    logfile: Option<PathBuf>,
    /// Print execution statistics to standard error at the end.
    #[arg(long)]
    stats: bool,
    /// Cost model: a built-in preset (default, unit) or a .toml file.
    #[arg(long = "cost-model", value_name = "NAME|FILE", default_value = "default")]
    cost_model: String,
    /// Leave out the paravirtual bench device (guests then aggregate and print samples themselves).
    #[arg(long = "no-bench-device")]
    no_bench_device: bool,
    /// Write the bench device's samples as CSV (series,name,sample) to FILE at the end.
    #[arg(long = "bench-samples", value_name = "FILE")]
    bench_samples: Option<PathBuf>,
    /// Co-design ISA extensions to enable: NAME[:key=value...],... (xgate, xamsg, xline, xctx, xuirq, xcap).
    #[arg(long = "ext", value_name = "NAMES")]
    ext: Option<String>,
    /// Run extension instructions through their reference helpers only (no inline JIT fast paths).
    #[arg(long = "no-fastpath")]
    no_fastpath: bool,
    /// Accepted for QEMU compatibility (mkjit always uses the terminal as the console).
    #[arg(long = "nographic", hide = true)]
    nographic: bool,
    /// Accepted for QEMU compatibility: only `none` is supported.
    #[arg(long = "bios", hide = true)]
    bios: Option<String>,
}

/// Parses a QEMU-style memory size.
fn parse_memory(s: &str) -> Result<u64> {
    let s = s.trim();
    let (num, mult) = match s.char_indices().last() {
        Some((i, c)) if c.is_ascii_alphabetic() => {
            let m = match c.to_ascii_uppercase() {
                'K' => 1u64 << 10,
                'M' => 1 << 20,
                'G' => 1 << 30,
                _ => bail!("invalid memory size `{s}` (use e.g. 256M or 1G)"),
            };
            (&s[..i], m)
        }
        _ => (s, 1 << 20),
    };
    let n: u64 = num.parse().with_context(|| format!("invalid memory size `{s}` (use e.g. 256M or 1G)"))?;
    n.checked_mul(mult).with_context(|| format!("memory size `{s}` is too large"))
}

/// Rewrites QEMU's single-dash long options into clap's double-dash form.
fn qemu_compatible_args() -> Vec<String> {
    std::env::args()
        .map(|a| match a.as_str() {
            "-append" | "-kernel" | "-smp" | "-nographic" | "-bios" => format!("-{a}"),
            _ => a,
        })
        .collect()
}

fn run(args: RunArgs) -> Result<u8> {
    let path = match (args.kernel_pos, args.kernel) {
        (Some(p), None) | (None, Some(p)) => p,
        (Some(_), Some(_)) => bail!("give the kernel either as an argument or with -kernel, not both"),
        (None, None) => bail!("no kernel image given (mkjit run KERNEL.elf)"),
    };
    if let Some(b) = &args.bios {
        if b != "none" {
            bail!("-bios {b}: mkjit has no firmware; only `-bios none` is accepted");
        }
    }
    let _ = args.nographic;
    let bytes = std::fs::read(&path).with_context(|| format!("cannot read kernel {}", path.display()))?;
    let cfg = MachineConfig {
        ram_size: parse_memory(&args.memory)?,
        harts: args.smp,
        bootargs: args.append,
        insns_per_tick: args.insns_per_tick,
        bench_device: !args.no_bench_device,
        cost_model: mkjit_runtime::cost::CostModel::load(&args.cost_model)?,
    };
    let interactive = std::io::stdin().is_terminal();
    let console = Box::new(StdioConsole::new(interactive));
    let mut m = Machine::new(cfg, &bytes, console).with_context(|| format!("cannot boot {}", path.display()))?;
    m.set_interactive(interactive);
    m.max_insns = args.max_insns;
    if let Some(spec) = &args.ext {
        let names = mkjit_extensions::registry::enable(&mut m, spec)?;
        eprintln!("mkjit: extensions enabled: {}", names.join(", "));
    }
    m.ext.fastpath = !args.no_fastpath;
    if let Some(items) = &args.debug {
        m.trace = Trace::parse(items)?;
    }
    if let Some(f) = &args.logfile {
        let file = std::fs::File::create(f).with_context(|| format!("cannot create log file {}", f.display()))?;
        m.trace.set_output(Box::new(std::io::BufWriter::new(file)));
    }
    let mut engine: Box<dyn Engine> = match args.engine {
        EngineKind::Interp => Box::new(Interp::new()),
        EngineKind::Jit => Box::new(mkjit_translator::Jit::new().context("cannot start the JIT")?),
    };
    let start = std::time::Instant::now();
    let outcome = m.run(engine.as_mut());
    let elapsed = start.elapsed();
    m.trace.flush();
    if let (Some(path), Some(dev)) = (&args.bench_samples, &m.bench) {
        let mut csv = String::from("series,name,sample\n");
        for (i, s) in dev.recorded() {
            for v in &s.samples {
                csv.push_str(&format!("{i},{},{v}\n", s.name));
            }
        }
        std::fs::write(path, csv).with_context(|| format!("cannot write {}", path.display()))?;
    }
    if args.stats {
        eprint!("{}", m.stats_report(engine.as_ref()));
        let secs = elapsed.as_secs_f64();
        eprintln!("engine                 {}", engine.name());
        eprintln!("host seconds           {secs:.3}");
        if secs > 0.0 {
            eprintln!("guest MIPS             {:.1}", m.hart.instret() as f64 / secs / 1e6);
        }
    }
    Ok(match outcome {
        Outcome::Exit(code) => code.min(255) as u8,
        Outcome::Reset => {
            eprintln!("mkjit: guest requested a reset; stopping");
            0
        }
        Outcome::InsnLimit(n) => {
            eprintln!("mkjit: instruction limit reached ({n} instructions) at pc {:#x}", m.hart.pc);
            EXIT_INSN_LIMIT
        }
        Outcome::Deadlock { pc } => {
            eprintln!("mkjit: guest waits at pc {pc:#x} for an interrupt that nothing can raise");
            EXIT_DEADLOCK
        }
    })
}

/// Engines and the extension registry for `mkjit bench`; the suite itself
/// depends on neither the code generator nor the extensions.
fn bench_host() -> mkjit_bench::Host {
    mkjit_bench::Host::new()
        .with_engine(
            "jit",
            Box::new(|| {
                mkjit_translator::Jit::new().map(|j| Box::new(j) as Box<dyn Engine>).map_err(|e| e.to_string())
            }),
        )
        .with_events(
            mkjit_extensions::registry::all()
                .iter()
                .flat_map(|e| e.events().iter().map(|ev| ev.name.to_string()))
                .collect(),
        )
        .with_extensions(Box::new(|m, names| {
            let all: Vec<&str> = mkjit_extensions::registry::all().iter().map(|e| e.name()).collect();
            let spec = if names.iter().any(|n| n == "all") { all.join(",") } else { names.join(",") };
            mkjit_extensions::registry::enable(m, &spec).map(|_| ()).map_err(|e| e.to_string())
        }))
}

/// Exit code of a bench command (its errors, bad option values included, exit with 1).
fn bench_exit(r: Result<u8, mkjit_bench::BenchError>) -> Result<u8> {
    Ok(r?)
}

fn main() -> ExitCode {
    let cli = Cli::parse_from(qemu_compatible_args());
    let result = match cli.command {
        Command::Run(a) => run(a),
        Command::Bench(a) => bench_exit(mkjit_bench::cli::bench(&a, &bench_host())),
        Command::Compare(a) => bench_exit(mkjit_bench::cli::compare_cmd(&a)),
        Command::Merge(a) => bench_exit(mkjit_bench::cli::merge_cmd(&a)),
    };
    match result {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            eprintln!("mkjit: error: {e:#}");
            ExitCode::from(EXIT_ERROR)
        }
    }
}
