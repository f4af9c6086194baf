//! `mkjit-icount`: a fixed guest workload for counting the host instructions
//! the interpreter spends on it, under valgrind's callgrind (deterministic,
//! unlike wall-clock time). `bench-suite/callgrind.sh` runs it with
//! collection toggled on only inside [`mkjit_icount_measured`], so start-up
//! (image load, device tree, RAM mapping) is not counted.
//!
//! ```text
//! mkjit-icount [BOOTARGS]      (default: "workload=ipc iters=50 warmup=5")
//! ```
//!
//! It prints the guest's retired instructions and modeled cycles, and exits
//! with the guest's exit code.

use mkjit_runtime::config::MachineConfig;
use mkjit_runtime::console::BufferConsole;
use mkjit_runtime::interp::Interp;
use mkjit_runtime::machine::{Machine, Outcome};

/// The measured region: one whole guest run on the interpreter.
#[no_mangle]
#[inline(never)]
pub fn mkjit_icount_measured(m: &mut Machine, engine: &mut Interp) -> Outcome {
    m.run(engine)
}

fn main() -> std::process::ExitCode {
    let bootargs = std::env::args().nth(1).unwrap_or_else(|| "workload=ipc iters=50 warmup=5".to_string());
    let Some(image) = mkjit_bench::suite::embedded_image("stock") else {
        eprintln!("mkjit-icount: this build has no embedded stock image");
        return std::process::ExitCode::from(1);
    };
    let cfg = MachineConfig { bootargs: bootargs.clone(), ..MachineConfig::default() };
    let mut m = match Machine::new(cfg, image, Box::new(BufferConsole::new())) {
        Ok(m) => m,
        Err(e) => {
            eprintln!("mkjit-icount: cannot boot the stock image: {e}");
            return std::process::ExitCode::from(1);
        }
    };
    m.max_insns = Some(2_000_000_000);
    let mut engine = Interp::new();
    let outcome = mkjit_icount_measured(&mut m, &mut engine);
    println!("bootargs          {bootargs}");
    println!("outcome           {outcome:?}");
    println!("guest instret     {}", m.hart.instret());
    println!("modeled cycles    {}", m.hart.cycles);
    match outcome {
        Outcome::Exit(c) => std::process::ExitCode::from(c.min(255) as u8),
        _ => std::process::ExitCode::from(1),
    }
}
