//! Device tree blob describing the board, passed to the guest in `a1`.
//!
//! The tree mirrors the one QEMU 7.2 generates for its `virt` board with one
//! hart, restricted to the devices mkjit models: memory, the CPU and its
//! interrupt controller, the CLINT, the PLIC, UART0, the test finisher and
//! the `syscon-poweroff` / `syscon-reboot` nodes that drive it. Addresses,
//! sizes and interrupt numbers come from [`crate::devices`], so the tree and
//! the devices cannot disagree. Virtio-mmio nodes are left out until those
//! devices exist (a guest would probe them and fault). `/chosen/bootargs` is
//! present only when the command line is non-empty, as with QEMU. Besides the
//! classic `riscv,isa` string, the CPU node carries the newer
//! `riscv,isa-base` / `riscv,isa-extensions` properties for recent kernels.

use crate::config::{MachineConfig, TIMEBASE_HZ};
use crate::devices::{
    CLINT_BASE, CLINT_SIZE, FINISHER_BASE, FINISHER_SIZE, PLIC_BASE, PLIC_NDEV, PLIC_SIZE, UART0_BASE, UART0_CLOCK_HZ,
    UART0_IRQ, UART0_SIZE,
};
use crate::ram::RAM_BASE;
use vm_fdt::FdtWriter;

/// Errors building the device tree.
#[derive(Debug, thiserror::Error)]
pub enum FdtError {
    /// The FDT writer failed.
    #[error("cannot build device tree: {0}")]
    Writer(String),
    /// Only single-hart machines can be described.
    #[error("cannot build device tree for {0} harts: only 1 hart is supported")]
    UnsupportedHarts(u32),
}

impl From<vm_fdt::Error> for FdtError {
    fn from(e: vm_fdt::Error) -> Self {
        FdtError::Writer(e.to_string())
    }
}

/// The ISA string advertised for the hart.
pub const RISCV_ISA: &str = "rv64imac_zicsr_zifencei";
/// The MMU type advertised for the hart.
pub const MMU_TYPE: &str = "riscv,sv48";
/// Path of the console UART, as in `/chosen/stdout-path`.
pub const STDOUT_PATH: &str = "/soc/serial@10000000";

/// Phandle of `cpu@0`.
pub const PHANDLE_CPU0: u32 = 1;
/// Phandle of hart 0's local interrupt controller.
pub const PHANDLE_CPU0_INTC: u32 = 2;
/// Phandle of the PLIC.
pub const PHANDLE_PLIC: u32 = 3;
/// Phandle of the test finisher (the syscon of `poweroff` / `reboot`).
pub const PHANDLE_TEST: u32 = 4;

/// Local interrupt numbers (`mip` bit positions) used in `interrupts-extended`.
const IRQ_M_SOFT: u32 = 3;
const IRQ_M_TIMER: u32 = 7;
const IRQ_S_EXT: u32 = 9;
const IRQ_M_EXT: u32 = 11;

type Result<T> = std::result::Result<T, FdtError>;

/// Builds the device tree for `cfg`.
pub fn build(cfg: &MachineConfig) -> Result<Vec<u8>> {
    if cfg.harts != 1 {
        return Err(FdtError::UnsupportedHarts(cfg.harts));
    }
    let mut w = FdtWriter::new()?;
    let root = w.begin_node("")?;
    w.property_u32("#address-cells", 2)?;
    w.property_u32("#size-cells", 2)?;
    w.property_string("compatible", "riscv-virtio")?;
    w.property_string("model", "riscv-virtio,qemu")?;
    chosen(&mut w, cfg)?;
    syscon_nodes(&mut w)?;
    memory(&mut w, cfg)?;
    cpus(&mut w)?;
    soc(&mut w, cfg.bench_device)?;
    w.end_node(root)?;
    Ok(w.finish()?)
}

/// A `reg` value for `#address-cells = #size-cells = 2`.
fn reg(w: &mut FdtWriter, base: u64, size: u64) -> Result<()> {
    Ok(w.property_array_u64("reg", &[base, size])?)
}

fn strings(w: &mut FdtWriter, name: &str, values: &[&str]) -> Result<()> {
    Ok(w.property_string_list(name, values.iter().map(|s| s.to_string()).collect())?)
}

fn chosen(w: &mut FdtWriter, cfg: &MachineConfig) -> Result<()> {
    let node = w.begin_node("chosen")?;
    if !cfg.bootargs.is_empty() {
        w.property_string("bootargs", &cfg.bootargs)?;
    }
    w.property_string("stdout-path", STDOUT_PATH)?;
    Ok(w.end_node(node)?)
}

fn syscon_nodes(w: &mut FdtWriter) -> Result<()> {
    for (name, compatible, value) in [("poweroff", "syscon-poweroff", 0x5555), ("reboot", "syscon-reboot", 0x7777)] {
        let node = w.begin_node(name)?;
        w.property_u32("value", value)?;
        w.property_u32("offset", 0)?;
        w.property_u32("regmap", PHANDLE_TEST)?;
        w.property_string("compatible", compatible)?;
        w.end_node(node)?;
    }
    Ok(())
}

fn memory(w: &mut FdtWriter, cfg: &MachineConfig) -> Result<()> {
    let node = w.begin_node(&format!("memory@{RAM_BASE:x}"))?;
    w.property_string("device_type", "memory")?;
    reg(w, RAM_BASE, cfg.ram_size)?;
    Ok(w.end_node(node)?)
}

fn cpus(w: &mut FdtWriter) -> Result<()> {
    let cpus = w.begin_node("cpus")?;
    w.property_u32("#address-cells", 1)?;
    w.property_u32("#size-cells", 0)?;
    w.property_u32("timebase-frequency", TIMEBASE_HZ as u32)?;
    cpu0(w)?;
    let map = w.begin_node("cpu-map")?;
    let cluster = w.begin_node("cluster0")?;
    let core = w.begin_node("core0")?;
    w.property_u32("cpu", PHANDLE_CPU0)?;
    w.end_node(core)?;
    w.end_node(cluster)?;
    w.end_node(map)?;
    Ok(w.end_node(cpus)?)
}

fn cpu0(w: &mut FdtWriter) -> Result<()> {
    let cpu = w.begin_node("cpu@0")?;
    w.property_phandle(PHANDLE_CPU0)?;
    w.property_string("device_type", "cpu")?;
    w.property_u32("reg", 0)?;
    w.property_string("status", "okay")?;
    w.property_string("compatible", "riscv")?;
    w.property_string("riscv,isa", RISCV_ISA)?;
    w.property_string("riscv,isa-base", "rv64i")?;
    strings(w, "riscv,isa-extensions", &["i", "m", "a", "c", "zicsr", "zifencei"])?;
    w.property_string("mmu-type", MMU_TYPE)?;
    let intc = w.begin_node("interrupt-controller")?;
    w.property_u32("#address-cells", 0)?;
    w.property_u32("#interrupt-cells", 1)?;
    w.property_null("interrupt-controller")?;
    w.property_string("compatible", "riscv,cpu-intc")?;
    w.property_phandle(PHANDLE_CPU0_INTC)?;
    w.end_node(intc)?;
    Ok(w.end_node(cpu)?)
}

fn soc(w: &mut FdtWriter, bench: bool) -> Result<()> {
    let soc = w.begin_node("soc")?;
    w.property_u32("#address-cells", 2)?;
    w.property_u32("#size-cells", 2)?;
    w.property_string("compatible", "simple-bus")?;
    w.property_null("ranges")?;
    serial(w)?;
    test_finisher(w)?;
    plic(w)?;
    clint(w)?;
    if bench {
        bench_device(w)?;
    }
    Ok(w.end_node(soc)?)
}

fn bench_device(w: &mut FdtWriter) -> Result<()> {
    let node = w.begin_node(&format!("bench@{:x}", crate::devices::BENCH_BASE))?;
    reg(w, crate::devices::BENCH_BASE, crate::devices::BENCH_SIZE)?;
    w.property_string("compatible", "mkjit,bench-v1")?;
    Ok(w.end_node(node)?)
}

fn serial(w: &mut FdtWriter) -> Result<()> {
    let node = w.begin_node(&format!("serial@{UART0_BASE:x}"))?;
    w.property_u32("interrupts", UART0_IRQ)?;
    w.property_u32("interrupt-parent", PHANDLE_PLIC)?;
    w.property_u32("clock-frequency", UART0_CLOCK_HZ)?;
    reg(w, UART0_BASE, UART0_SIZE)?;
    w.property_string("compatible", "ns16550a")?;
    Ok(w.end_node(node)?)
}

fn test_finisher(w: &mut FdtWriter) -> Result<()> {
    let node = w.begin_node(&format!("test@{FINISHER_BASE:x}"))?;
    w.property_phandle(PHANDLE_TEST)?;
    reg(w, FINISHER_BASE, FINISHER_SIZE)?;
    strings(w, "compatible", &["sifive,test1", "sifive,test0", "syscon"])?;
    Ok(w.end_node(node)?)
}

fn plic(w: &mut FdtWriter) -> Result<()> {
    let node = w.begin_node(&format!("plic@{PLIC_BASE:x}"))?;
    w.property_phandle(PHANDLE_PLIC)?;
    w.property_u32("riscv,ndev", PLIC_NDEV)?;
    reg(w, PLIC_BASE, PLIC_SIZE)?;
    w.property_array_u32("interrupts-extended", &[PHANDLE_CPU0_INTC, IRQ_M_EXT, PHANDLE_CPU0_INTC, IRQ_S_EXT])?;
    w.property_null("interrupt-controller")?;
    strings(w, "compatible", &["sifive,plic-1.0.0", "riscv,plic0"])?;
    w.property_u32("#address-cells", 0)?;
    w.property_u32("#interrupt-cells", 1)?;
    Ok(w.end_node(node)?)
}

fn clint(w: &mut FdtWriter) -> Result<()> {
    let node = w.begin_node(&format!("clint@{CLINT_BASE:x}"))?;
    w.property_array_u32("interrupts-extended", &[PHANDLE_CPU0_INTC, IRQ_M_SOFT, PHANDLE_CPU0_INTC, IRQ_M_TIMER])?;
    reg(w, CLINT_BASE, CLINT_SIZE)?;
    strings(w, "compatible", &["sifive,clint0", "riscv,clint0"])?;
    Ok(w.end_node(node)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn blob(cfg: &MachineConfig) -> Vec<u8> {
        build(cfg).expect("device tree")
    }

    fn cfg_with(bootargs: &str, ram_size: u64) -> MachineConfig {
        MachineConfig { bootargs: bootargs.into(), ram_size, ..MachineConfig::default() }
    }

    fn str_list(node: &fdt::node::FdtNode<'_, '_>, name: &str) -> Vec<String> {
        let prop = node.property(name).unwrap_or_else(|| panic!("{name} missing"));
        prop.value
            .split(|&b| b == 0)
            .filter(|s| !s.is_empty())
            .map(|s| String::from_utf8_lossy(s).into_owned())
            .collect()
    }

    fn cells(node: &fdt::node::FdtNode<'_, '_>, name: &str) -> Vec<u32> {
        let prop = node.property(name).unwrap_or_else(|| panic!("{name} missing"));
        prop.value.chunks(4).map(|c| u32::from_be_bytes(c.try_into().expect("cell"))).collect()
    }

    fn u32_prop(node: &fdt::node::FdtNode<'_, '_>, name: &str) -> u32 {
        let v = cells(node, name);
        assert_eq!(v.len(), 1, "{name}");
        v[0]
    }

    fn reg_of(node: &fdt::node::FdtNode<'_, '_>) -> (u64, u64) {
        let c = cells(node, "reg");
        assert_eq!(c.len(), 4);
        ((u64::from(c[0]) << 32) | u64::from(c[1]), (u64::from(c[2]) << 32) | u64::from(c[3]))
    }

    #[test]
    fn rejects_multiple_harts() {
        let cfg = MachineConfig { harts: 2, ..MachineConfig::default() };
        let err = build(&cfg).expect_err("2 harts");
        assert!(matches!(err, FdtError::UnsupportedHarts(2)));
        assert!(err.to_string().contains("2 harts"));
    }

    #[test]
    fn rejects_nul_in_bootargs() {
        assert!(matches!(build(&cfg_with("a\0b", 1 << 20)), Err(FdtError::Writer(_))));
    }

    #[test]
    fn root_chosen_memory() {
        let bytes = blob(&cfg_with("console=ttyS0 earlycon", 128 << 20));
        let t = fdt::Fdt::new(&bytes).expect("parse");
        let root = t.find_node("/").expect("root");
        assert_eq!(u32_prop(&root, "#address-cells"), 2);
        assert_eq!(u32_prop(&root, "#size-cells"), 2);
        assert_eq!(str_list(&root, "compatible"), ["riscv-virtio"]);
        assert_eq!(str_list(&root, "model"), ["riscv-virtio,qemu"]);
        let chosen = t.find_node("/chosen").expect("chosen");
        assert_eq!(str_list(&chosen, "bootargs"), ["console=ttyS0 earlycon"]);
        assert_eq!(str_list(&chosen, "stdout-path"), [STDOUT_PATH]);
        assert!(t.find_node(STDOUT_PATH).is_some(), "stdout-path resolves");
        let mem = t.find_node("/memory@80000000").expect("memory");
        assert_eq!(str_list(&mem, "device_type"), ["memory"]);
        assert_eq!(reg_of(&mem), (0x8000_0000, 128 << 20));
        let region = t.memory().regions().next().expect("region");
        assert_eq!(region.size, Some(128 << 20));
    }

    #[test]
    fn empty_bootargs_are_omitted() {
        let bytes = blob(&cfg_with("", 1 << 20));
        let t = fdt::Fdt::new(&bytes).expect("parse");
        assert!(t.find_node("/chosen").expect("chosen").property("bootargs").is_none());
    }

    #[test]
    fn cpu_nodes() {
        let bytes = blob(&MachineConfig::default());
        let t = fdt::Fdt::new(&bytes).expect("parse");
        let cpus = t.find_node("/cpus").expect("cpus");
        assert_eq!(u32_prop(&cpus, "timebase-frequency"), 10_000_000);
        assert_eq!(u32_prop(&cpus, "#address-cells"), 1);
        assert_eq!(u32_prop(&cpus, "#size-cells"), 0);
        let cpu = t.find_node("/cpus/cpu@0").expect("cpu@0");
        assert_eq!(str_list(&cpu, "device_type"), ["cpu"]);
        assert_eq!(u32_prop(&cpu, "reg"), 0);
        assert_eq!(str_list(&cpu, "status"), ["okay"]);
        assert_eq!(str_list(&cpu, "compatible"), ["riscv"]);
        assert_eq!(str_list(&cpu, "riscv,isa"), ["rv64imac_zicsr_zifencei"]);
        assert_eq!(str_list(&cpu, "mmu-type"), ["riscv,sv48"]);
        assert_eq!(u32_prop(&cpu, "phandle"), PHANDLE_CPU0);
        let intc = t.find_node("/cpus/cpu@0/interrupt-controller").expect("intc");
        assert_eq!(u32_prop(&intc, "#interrupt-cells"), 1);
        assert_eq!(str_list(&intc, "compatible"), ["riscv,cpu-intc"]);
        assert!(intc.property("interrupt-controller").is_some());
        assert_eq!(u32_prop(&intc, "phandle"), PHANDLE_CPU0_INTC);
        let core = t.find_node("/cpus/cpu-map/cluster0/core0").expect("core0");
        assert_eq!(u32_prop(&core, "cpu"), PHANDLE_CPU0);
        assert_eq!(t.cpus().count(), 1);
    }

    #[test]
    fn soc_devices() {
        let bytes = blob(&MachineConfig::default());
        let t = fdt::Fdt::new(&bytes).expect("parse");
        let soc = t.find_node("/soc").expect("soc");
        assert_eq!(str_list(&soc, "compatible"), ["simple-bus"]);
        assert!(soc.property("ranges").is_some());

        let clint = t.find_node("/soc/clint@2000000").expect("clint");
        assert_eq!(str_list(&clint, "compatible"), ["sifive,clint0", "riscv,clint0"]);
        assert_eq!(reg_of(&clint), (0x200_0000, 0x1_0000));
        assert_eq!(cells(&clint, "interrupts-extended"), [PHANDLE_CPU0_INTC, 3, PHANDLE_CPU0_INTC, 7]);

        let plic = t.find_node("/soc/plic@c000000").expect("plic");
        assert_eq!(str_list(&plic, "compatible"), ["sifive,plic-1.0.0", "riscv,plic0"]);
        assert_eq!(reg_of(&plic), (0xc00_0000, 0x60_0000));
        assert_eq!(u32_prop(&plic, "riscv,ndev"), 95);
        assert_eq!(u32_prop(&plic, "#interrupt-cells"), 1);
        assert!(plic.property("interrupt-controller").is_some());
        assert_eq!(cells(&plic, "interrupts-extended"), [PHANDLE_CPU0_INTC, 11, PHANDLE_CPU0_INTC, 9]);
        assert_eq!(u32_prop(&plic, "phandle"), PHANDLE_PLIC);

        let uart = t.find_node("/soc/serial@10000000").expect("serial");
        assert_eq!(str_list(&uart, "compatible"), ["ns16550a"]);
        assert_eq!(reg_of(&uart), (0x1000_0000, 0x100));
        assert_eq!(u32_prop(&uart, "clock-frequency"), 0x38_4000);
        assert_eq!(u32_prop(&uart, "interrupts"), 10);
        assert_eq!(u32_prop(&uart, "interrupt-parent"), PHANDLE_PLIC);

        let test = t.find_node("/soc/test@100000").expect("test");
        assert_eq!(str_list(&test, "compatible"), ["sifive,test1", "sifive,test0", "syscon"]);
        assert_eq!(reg_of(&test), (0x10_0000, 0x1000));
        assert_eq!(u32_prop(&test, "phandle"), PHANDLE_TEST);
    }

    #[test]
    fn poweroff_and_reboot() {
        let bytes = blob(&MachineConfig::default());
        let t = fdt::Fdt::new(&bytes).expect("parse");
        for (path, compatible, value) in
            [("/poweroff", "syscon-poweroff", 0x5555), ("/reboot", "syscon-reboot", 0x7777)]
        {
            let node = t.find_node(path).expect(path);
            assert_eq!(str_list(&node, "compatible"), [compatible]);
            assert_eq!(u32_prop(&node, "value"), value);
            assert_eq!(u32_prop(&node, "offset"), 0);
            assert_eq!(u32_prop(&node, "regmap"), PHANDLE_TEST);
        }
        assert!(t.find_phandle(PHANDLE_TEST).is_some());
    }

    #[test]
    fn build_is_deterministic() {
        let cfg = cfg_with("x", 1 << 30);
        assert_eq!(blob(&cfg), blob(&cfg));
    }
}
