//! The board: one hart, RAM, devices; boot; and the run loop shared by all engines.
//!
//! The run loop owns time. Before handing the hart to an [`Engine`] it sets
//! `hart.deadline` to the next clock slot at which something outside the
//! instruction stream can happen (timer compare, console poll, instruction
//! limit). Engines run until the deadline or until a slow path sets
//! `hart.exit`, so interrupts are taken at the same instruction on every
//! engine and guest-visible time never depends on the host.

use crate::bus::Bus;
use crate::config::MachineConfig;
use crate::console::{Console, SharedConsole};
use crate::devices::{Devices, ExitRequest};
use crate::hart::{exit, Hart};
use crate::htif::Htif;
use crate::isa::decode::SetMask;
use crate::isa::IsaTable;
use crate::loader::{self, LoadError};
use crate::ram::{Ram, RamError, RAM_BASE};
use crate::stats::Stats;
use crate::trace::Trace;
use crate::trap::{self, pending_interrupt, take_trap};

/// Clock slots between polls of host console input: about a millisecond of
/// guest time on the JIT. Every poll is a deadline, where compiled code stops
/// and the interpreter runs up to the exact slot; at 16 Ki slots that cost
/// about 5% of a CPU-bound run.
pub const POLL_INTERVAL: u64 = 1 << 20;

/// An execution engine: the reference interpreter, or the JIT.
pub trait Engine {
    /// Short name (`interp`, `jit`).
    fn name(&self) -> &'static str;
    /// Executes from `m.hart.pc` until `m.hart.clock >= m.hart.deadline` or `m.hart.exit != 0`.
    /// Guest exceptions are taken inside (via [`Machine::raise`]); interrupts are the loop's job.
    fn run(&mut self, m: &mut Machine);
    /// Drops every translation of physical page `ppage` (its contents changed).
    fn invalidate_page(&mut self, ppage: u64);
    /// Engine counters for `--stats`.
    fn stats(&self) -> Vec<(String, u64)>;
}

/// Errors building a machine.
#[derive(Debug, thiserror::Error)]
pub enum MachineError {
    /// RAM could not be created.
    #[error(transparent)]
    Ram(#[from] RamError),
    /// The kernel image is unusable.
    #[error(transparent)]
    Load(#[from] LoadError),
    /// The device tree could not be built.
    #[error(transparent)]
    Fdt(#[from] crate::fdt::FdtError),
    /// The configuration is not supported.
    #[error("unsupported configuration: {0}")]
    Config(String),
    /// The device tree does not fit next to the kernel.
    #[error("no room for the {0}-byte device tree at the top of RAM (the kernel occupies it)")]
    NoRoomForFdt(usize),
}

/// Why a run ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// The guest powered off with this exit code (test finisher or HTIF).
    Exit(u32),
    /// The guest asked for a reset.
    Reset,
    /// The instruction limit was reached.
    InsnLimit(u64),
    /// The hart waits for an interrupt that nothing can raise.
    Deadlock {
        /// Where the hart waits.
        pc: u64,
    },
}

/// A whole machine.
pub struct Machine {
    /// The hart.
    pub hart: Box<Hart>,
    /// Physical address space.
    pub bus: Bus,
    /// Instruction table (core plus registered sets).
    pub isa: IsaTable,
    /// Enabled instruction sets.
    pub enabled: SetMask,
    /// Configuration.
    pub cfg: MachineConfig,
    /// Counters.
    pub stats: Stats,
    /// Debug log.
    pub trace: Trace,
    /// HTIF, when the image has `tohost`.
    pub htif: Option<Htif>,
    /// Device-tree address passed in `a1`.
    pub fdt_addr: u64,
    console: SharedConsole,
    /// Stop after this many clock slots.
    pub max_insns: Option<u64>,
    interactive: bool,
    waiting: bool,
    /// Core event costs of `cfg.cost_model`, resolved for the slow paths.
    pub costs: crate::cost::CoreEventCosts,
    /// The paravirtual bench device, when configured.
    pub bench: Option<crate::benchdev::BenchDevice>,
    /// Handlers of instruction sets registered from outside the core, by set number.
    custom: Vec<Option<crate::interp::Handler>>,
    /// State and hooks of extensions registered from outside the core (see [`crate::ext`]).
    pub ext: crate::ext::ExtHooks,
}

impl Machine {
    /// Builds the board for `cfg`, loads `kernel` (an ELF image), places the
    /// device tree and sets the boot registers (`a0` = hart id, `a1` = DTB).
    pub fn new(cfg: MachineConfig, kernel: &[u8], console: Box<dyn Console>) -> Result<Machine, MachineError> {
        if cfg.harts != 1 {
            return Err(MachineError::Config(format!("{} harts requested; mkjit models one hart", cfg.harts)));
        }
        if cfg.insns_per_tick == 0 {
            return Err(MachineError::Config("instructions per tick must be at least 1".into()));
        }
        let cfg_bench = cfg.bench_device;
        let cfg_costs = crate::cost::CoreEventCosts::of(&cfg.cost_model);
        let mut ram = Ram::new(cfg.ram_size)?;
        let image = loader::load_elf(kernel, &mut ram)?;
        let dtb = crate::fdt::build(&cfg)?;
        let fdt_len = (dtb.len() as u64 + 0xfff) & !0xfff;
        let fdt_addr = RAM_BASE + cfg.ram_size - fdt_len;
        if image.segments.iter().any(|s| s.paddr < fdt_addr + fdt_len && fdt_addr < s.end()) {
            return Err(MachineError::NoRoomForFdt(dtb.len()));
        }
        ram.slice_mut(fdt_addr, dtb.len() as u64).ok_or(MachineError::NoRoomForFdt(dtb.len()))?.copy_from_slice(&dtb);
        let console = SharedConsole::new(console);
        let devices = Devices::new(&cfg, Box::new(console.clone()));
        let mut bus = Bus::new(ram, devices);
        let htif = image.tohost.map(|tohost| Htif { tohost, fromhost: image.fromhost });
        if let Some(h) = &htif {
            bus.watch_tohost(h.tohost);
        }
        let mut hart = Hart::new(image.entry);
        hart.x[10] = 0;
        hart.x[11] = fdt_addr;
        Ok(Machine {
            hart,
            bus,
            isa: IsaTable::core(),
            enabled: SetMask::CORE,
            cfg,
            stats: Stats::default(),
            trace: Trace::default(),
            htif,
            fdt_addr,
            console,
            max_insns: None,
            interactive: false,
            waiting: false,
            custom: Vec::new(),
            ext: crate::ext::ExtHooks::new(),
            bench: cfg_bench.then(crate::benchdev::BenchDevice::default),
            costs: cfg_costs,
        })
    }

    /// Registers the reference semantics of custom instruction set `set`.
    pub fn set_custom_handler(&mut self, set: u16, h: crate::interp::Handler) {
        let i = set as usize;
        if self.custom.len() <= i {
            self.custom.resize(i + 1, None);
        }
        self.custom[i] = Some(h);
    }

    /// The reference semantics of custom set `set`, if registered.
    pub fn custom_handler(&self, set: u16) -> Option<crate::interp::Handler> {
        self.custom.get(set as usize).copied().flatten()
    }

    /// Tells the loop that host input may still arrive (so a hart waiting for it is not deadlocked).
    pub fn set_interactive(&mut self, yes: bool) {
        self.interactive = yes;
    }

    /// Takes exception `e` raised by the instruction at `pc`.
    pub fn raise(&mut self, e: trap::Exception, pc: u64) {
        self.stats.trap(e.cause);
        if self.trace.int {
            let name = self.ext.cause_name(e.cause).unwrap_or(e.name());
            self.trace.line(format_args!(
                "int: exception {} ({}) at pc {pc:#x} tval {:#x} [{}]",
                e.cause,
                name,
                e.tval,
                self.hart.prv.letter()
            ));
        }
        self.hart.cycles += self.costs.exception;
        take_trap(&mut self.hart, e.cause, e.tval, pc);
    }

    /// Modeled cost of instruction class `c` under the configured cost model.
    pub fn class_cost(&self, c: crate::cost::Class) -> u64 {
        self.cfg.cost_model.class(c)
    }

    /// Updates device-driven interrupt lines and handles device requests.
    fn service_devices(&mut self) -> Option<Outcome> {
        let now = self.mtime();
        if let (Some(v), Some(htif)) = (self.bus.tohost_write.take(), self.htif) {
            let mut con = self.console.clone();
            if let Some(code) = htif.handle(v, &mut self.bus.ram, &mut con) {
                return Some(Outcome::Exit(code));
            }
        }
        if let Some(req) = self.bus.devices.take_exit() {
            return Some(match req {
                ExitRequest::Exit(c) => Outcome::Exit(c),
                ExitRequest::Reset => Outcome::Reset,
            });
        }
        self.hart.mip_hw = self.bus.devices.interrupt_bits(now);
        None
    }

    /// The next clock slot at which the loop must regain control.
    fn next_deadline(&self) -> u64 {
        let ipt = self.cfg.insns_per_tick;
        let now = self.mtime();
        let timer = self.bus.devices.next_deadline(now).saturating_mul(ipt);
        let poll = (self.hart.clock / POLL_INTERVAL + 1) * POLL_INTERVAL;
        let limit = self.max_insns.unwrap_or(u64::MAX);
        let ext = self.ext.interrupt.map_or(u64::MAX, |h| (h.deadline)(self));
        timer.min(poll).min(limit).min(ext).max(self.hart.clock + 1)
    }

    /// Runs the guest on `engine` until it exits, hits the instruction limit, or deadlocks.
    pub fn run(&mut self, engine: &mut dyn Engine) -> Outcome {
        loop {
            if let Some(o) = self.service_devices() {
                return o;
            }
            if let Some(limit) = self.max_insns {
                if self.hart.clock >= limit {
                    return Outcome::InsnLimit(limit);
                }
            }
            if self.hart.clock.is_multiple_of(POLL_INTERVAL) || self.waiting {
                self.bus.devices.poll(self.mtime());
                self.hart.mip_hw = self.bus.devices.interrupt_bits(self.mtime());
            }
            if self.waiting {
                let ext_wake = self.ext.interrupt.is_some_and(|h| (h.wakes)(self));
                if self.hart.mip() & self.hart.csr.mie != 0 || ext_wake {
                    self.waiting = false;
                } else {
                    let next = self.next_deadline();
                    let ext_deadline = self.ext.interrupt.map_or(u64::MAX, |h| (h.deadline)(self));
                    let timer = self.bus.devices.next_deadline(self.mtime()).min(ext_deadline);
                    let can_wake = timer != u64::MAX || self.interactive;
                    if !can_wake {
                        return Outcome::Deadlock { pc: self.hart.pc };
                    }
                    if timer == u64::MAX {
                        std::thread::sleep(std::time::Duration::from_millis(1));
                    }
                    let skip = next - self.hart.clock;
                    self.hart.idle += skip;
                    self.hart.cycles += skip * self.costs.idle_slot;
                    self.hart.clock = next;
                    continue;
                }
            }
            if let Some(c) = pending_interrupt(&self.hart) {
                self.stats.trap(c);
                if self.trace.int {
                    self.trace.line(format_args!(
                        "int: {} at pc {:#x} [{}]",
                        trap::cause_name(c),
                        self.hart.pc,
                        self.hart.prv.letter()
                    ));
                }
                let pc = self.hart.pc;
                self.hart.cycles += self.costs.interrupt;
                take_trap(&mut self.hart, c, 0, pc);
            } else if let Some(h) = self.ext.interrupt {
                // Extension-delivered events (e.g. user interrupts) at this boundary.
                (h.deliver)(self);
            }
            self.hart.deadline = self.next_deadline();
            self.hart.exit = 0;
            engine.run(self);
            let flags = self.hart.exit;
            if flags & exit::REFETCH != 0 {
                for page in std::mem::take(&mut self.bus.written_code_pages) {
                    self.stats.code_invalidations += 1;
                    engine.invalidate_page(page);
                }
            }
            if flags & exit::WFI != 0 {
                self.waiting = true;
            }
        }
    }

    /// `--stats` report for a run on `engine`.
    pub fn stats_report(&self, engine: &dyn Engine) -> String {
        let mut lines = engine.stats();
        if let Some(h) = self.ext.stats {
            lines.extend(h(self));
        }
        self.stats.report_with_names(self.hart.instret(), self.hart.clock, &lines, &self.ext.cause_names)
    }

    /// Writes a QEMU-style register dump to the log.
    pub fn trace_cpu(&mut self) {
        let h = &self.hart;
        let mut s = format!(" pc       {:016x} priv {}\n", h.pc, h.prv.letter());
        for i in 0..32 {
            s.push_str(&format!(" x{i:<2}/{:<4} {:016x}", crate::isa::reg::name(i as u8), h.x[i]));
            if i % 4 == 3 {
                s.push('\n');
            }
        }
        s.push_str(&format!(
            " mstatus  {:016x} mcause {:016x} mepc {:016x} satp {:016x}",
            h.csr.mstatus, h.csr.mcause, h.csr.mepc, h.csr.satp
        ));
        self.trace.line(format_args!("{s}"));
    }
}
