//! Machine configuration shared by the board builder, the device tree and the devices.

/// Default RAM size: 256 MiB.
pub const DEFAULT_RAM_SIZE: u64 = 256 << 20;
/// Frequency of `mtime` advertised in the device tree (as on QEMU's `virt`).
pub const TIMEBASE_HZ: u64 = 10_000_000;
/// Default number of retired instructions per `mtime` tick: a modeled 100 MHz hart.
pub const DEFAULT_INSNS_PER_TICK: u64 = 10;

/// How the board is put together.
#[derive(Clone, Debug)]
pub struct MachineConfig {
    /// Bytes of RAM at `0x8000_0000`.
    pub ram_size: u64,
    /// Number of harts (only 1 is supported today).
    pub harts: u32,
    /// Kernel command line, placed in `/chosen/bootargs`.
    pub bootargs: String,
    /// Retired instructions per `mtime` tick (deterministic time base).
    pub insns_per_tick: u64,
    /// Whether the paravirtual bench device is present (and in the device tree).
    pub bench_device: bool,
    /// Cost model turning instructions and events into modeled cycles.
    pub cost_model: crate::cost::CostModel,
}

impl Default for MachineConfig {
    fn default() -> Self {
        Self {
            ram_size: DEFAULT_RAM_SIZE,
            harts: 1,
            bootargs: String::new(),
            insns_per_tick: DEFAULT_INSNS_PER_TICK,
            bench_device: true,
            cost_model: crate::cost::CostModel::default(),
        }
    }
}
