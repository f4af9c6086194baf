//! SiFive PLIC (platform-level interrupt controller) with QEMU `virt`'s layout
//! for one hart: context 0 is the hart's M-mode, context 1 its S-mode.
//!
//! Register map (offsets into the [`super::PLIC_SIZE`] window):
//! - priority of source `s` at `4 * s` (sources `1..=95`, priorities `0..=7`,
//!   the value is masked to 3 bits);
//! - pending bits at `0x1000` (read-only, 3 words);
//! - enable bits of context `c` at `0x2000 + 0x80 * c` (3 words, bit 0 of word 0
//!   is hardwired to zero);
//! - threshold of context `c` at `0x20_0000 + 0x1000 * c`, claim/complete at `+4`.
//!
//! Sources are level-triggered. Their lines are sampled by the caller and
//! passed in as a bitmap (bit `s` = source `s`). A source is pending while its
//! line is high and it is not claimed; a claim returns the highest-priority
//! pending enabled source whose priority exceeds the context's threshold (the
//! lowest id on ties), or 0, and marks it claimed, which clears its pending bit
//! until the completion (the gateway). A completion of a source not enabled for
//! the context is ignored, as the PLIC specification says. Like QEMU's model,
//! pending tracks the line level, so a line that drops before the claim
//! withdraws the request.
//!
//! Only aligned 4-byte accesses are valid (QEMU's `valid` access size); others
//! are access faults. Every unlisted offset is a hole: reads 0, writes ignored.

/// Number of interrupt sources (`riscv,ndev`); ids run `1..=NUM_SOURCES`.
pub const NUM_SOURCES: u32 = 95;
/// Highest priority value.
pub const MAX_PRIORITY: u32 = 7;
/// Number of contexts (hart 0 M-mode and S-mode).
pub const NUM_CONTEXTS: usize = 2;
/// Context of hart 0's M-mode.
pub const CONTEXT_M: usize = 0;
/// Context of hart 0's S-mode.
pub const CONTEXT_S: usize = 1;

const PENDING_BASE: u64 = 0x1000;
const ENABLE_BASE: u64 = 0x2000;
const ENABLE_STRIDE: u64 = 0x80;
const CONTEXT_BASE: u64 = 0x20_0000;
const CONTEXT_STRIDE: u64 = 0x1000;
/// 32-bit words holding one bit per source (sources 0..=95).
const WORDS: u64 = 3;
/// Bits of real sources: 1..=95.
const SOURCE_MASK: u128 = ((1u128 << (NUM_SOURCES + 1)) - 1) & !1;

/// PLIC state.
#[derive(Clone, Debug)]
pub struct Plic {
    priority: [u8; NUM_SOURCES as usize + 1],
    enable: [u128; NUM_CONTEXTS],
    threshold: [u8; NUM_CONTEXTS],
    claimed: u128,
}

impl Default for Plic {
    fn default() -> Self {
        Self::new()
    }
}

/// A decoded register.
enum Reg {
    Priority(usize),
    Pending(u32),
    Enable(usize, u32),
    Threshold(usize),
    Claim(usize),
    Hole,
}

impl Plic {
    /// A PLIC in its reset state: everything zero, nothing claimed.
    pub fn new() -> Self {
        Self {
            priority: [0; NUM_SOURCES as usize + 1],
            enable: [0; NUM_CONTEXTS],
            threshold: [0; NUM_CONTEXTS],
            claimed: 0,
        }
    }

    /// Pending bitmap given the sampled source `lines`.
    pub fn pending(&self, lines: u128) -> u128 {
        lines & SOURCE_MASK & !self.claimed
    }

    /// The source context `ctx` would get from a claim now, if any.
    pub fn claimable(&self, ctx: usize, lines: u128) -> Option<u32> {
        let mut candidates = self.pending(lines) & self.enable[ctx];
        let threshold = self.threshold[ctx];
        let mut best: Option<(u8, u32)> = None;
        while candidates != 0 {
            let src = candidates.trailing_zeros();
            candidates &= candidates - 1;
            let prio = self.priority[src as usize];
            if prio > threshold && best.is_none_or(|(p, _)| prio > p) {
                best = Some((prio, src));
            }
        }
        best.map(|(_, src)| src)
    }

    /// Whether context `ctx` has an interrupt to take (drives MEIP / SEIP).
    pub fn irq(&self, ctx: usize, lines: u128) -> bool {
        self.claimable(ctx, lines).is_some()
    }

    /// MMIO read; `None` is an access fault. Claims have side effects.
    pub fn read(&mut self, offset: u64, size: u8, lines: u128) -> Option<u64> {
        let value = match decode(offset, size)? {
            Reg::Priority(src) => u32::from(self.priority[src]),
            Reg::Pending(word) => word_of(self.pending(lines), word),
            Reg::Enable(ctx, word) => word_of(self.enable[ctx], word),
            Reg::Threshold(ctx) => u32::from(self.threshold[ctx]),
            Reg::Claim(ctx) => self.claim(ctx, lines),
            Reg::Hole => 0,
        };
        Some(u64::from(value))
    }

    /// MMIO write; `false` is an access fault.
    pub fn write(&mut self, offset: u64, size: u8, value: u64) -> bool {
        let Some(reg) = decode(offset, size) else {
            return false;
        };
        let value = value as u32;
        match reg {
            Reg::Priority(src) => self.priority[src] = (value & MAX_PRIORITY) as u8,
            Reg::Enable(ctx, word) => {
                let shift = 32 * word;
                let cleared = self.enable[ctx] & !(0xffff_ffffu128 << shift);
                self.enable[ctx] = (cleared | (u128::from(value) << shift)) & SOURCE_MASK;
            }
            Reg::Threshold(ctx) => self.threshold[ctx] = (value & MAX_PRIORITY) as u8,
            Reg::Claim(ctx) => self.complete(ctx, value),
            Reg::Pending(_) | Reg::Hole => {}
        }
        true
    }

    /// Claims source `src` at its gateway for a consumer other than the two
    /// hart contexts (an extension routing the source elsewhere): if it is
    /// pending it becomes claimed — no longer pending although a level line
    /// stays high — until [`Self::complete_source`]. Returns whether it was claimed.
    pub fn claim_source(&mut self, src: u32, lines: u128) -> bool {
        if src == 0 || src > NUM_SOURCES || self.pending(lines) >> src & 1 == 0 {
            return false;
        }
        self.claimed |= 1u128 << src;
        true
    }

    /// Completes a claim made with [`Self::claim_source`] (enable bits are not consulted).
    pub fn complete_source(&mut self, src: u32) {
        if src != 0 && src <= NUM_SOURCES {
            self.claimed &= !(1u128 << src);
        }
    }

    fn claim(&mut self, ctx: usize, lines: u128) -> u32 {
        match self.claimable(ctx, lines) {
            Some(src) => {
                self.claimed |= 1u128 << src;
                src
            }
            None => 0,
        }
    }

    fn complete(&mut self, ctx: usize, src: u32) {
        if src == 0 || src > NUM_SOURCES {
            return;
        }
        let bit = 1u128 << src;
        if self.enable[ctx] & bit != 0 {
            self.claimed &= !bit;
        }
    }
}

fn word_of(bits: u128, word: u32) -> u32 {
    (bits >> (32 * word)) as u32
}

/// Decodes an access; `None` for an invalid size or alignment.
fn decode(offset: u64, size: u8) -> Option<Reg> {
    if size != 4 || !offset.is_multiple_of(4) {
        return None;
    }
    Some(decode_aligned(offset))
}

fn decode_aligned(offset: u64) -> Reg {
    if offset < PENDING_BASE {
        let src = offset / 4;
        return if src >= 1 && src <= u64::from(NUM_SOURCES) { Reg::Priority(src as usize) } else { Reg::Hole };
    }
    if offset < ENABLE_BASE {
        let word = (offset - PENDING_BASE) / 4;
        return if word < WORDS { Reg::Pending(word as u32) } else { Reg::Hole };
    }
    if offset < CONTEXT_BASE {
        let ctx = (offset - ENABLE_BASE) / ENABLE_STRIDE;
        let word = (offset - ENABLE_BASE) % ENABLE_STRIDE / 4;
        return if ctx < NUM_CONTEXTS as u64 && word < WORDS {
            Reg::Enable(ctx as usize, word as u32)
        } else {
            Reg::Hole
        };
    }
    let ctx = (offset - CONTEXT_BASE) / CONTEXT_STRIDE;
    if ctx >= NUM_CONTEXTS as u64 {
        return Reg::Hole;
    }
    match (offset - CONTEXT_BASE) % CONTEXT_STRIDE {
        0 => Reg::Threshold(ctx as usize),
        4 => Reg::Claim(ctx as usize),
        _ => Reg::Hole,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const fn prio(src: u64) -> u64 {
        4 * src
    }
    const fn enable(ctx: u64) -> u64 {
        ENABLE_BASE + ENABLE_STRIDE * ctx
    }
    const fn threshold(ctx: u64) -> u64 {
        CONTEXT_BASE + CONTEXT_STRIDE * ctx
    }
    const fn claim(ctx: u64) -> u64 {
        threshold(ctx) + 4
    }
    fn line(src: u32) -> u128 {
        1u128 << src
    }

    fn setup(srcs: &[(u64, u64)], ctx: u64) -> Plic {
        let mut p = Plic::new();
        let mut en = [0u32; 3];
        for &(src, pr) in srcs {
            assert!(p.write(prio(src), 4, pr));
            en[(src / 32) as usize] |= 1 << (src % 32);
        }
        for (w, &bits) in en.iter().enumerate() {
            assert!(p.write(enable(ctx) + 4 * w as u64, 4, u64::from(bits)));
        }
        p
    }

    #[test]
    fn priority_registers() {
        let mut p = Plic::new();
        assert!(p.write(prio(10), 4, 5));
        assert_eq!(p.read(prio(10), 4, 0), Some(5));
        assert!(p.write(prio(10), 4, 0xff));
        assert_eq!(p.read(prio(10), 4, 0), Some(7));
        // Source 0 and sources past 95 do not exist.
        assert!(p.write(prio(0), 4, 3));
        assert_eq!(p.read(prio(0), 4, 0), Some(0));
        assert!(p.write(prio(96), 4, 3));
        assert_eq!(p.read(prio(96), 4, 0), Some(0));
    }

    #[test]
    fn only_aligned_words() {
        let mut p = Plic::new();
        assert_eq!(p.read(prio(1), 1, 0), None);
        assert_eq!(p.read(prio(1), 8, 0), None);
        assert_eq!(p.read(prio(1) + 2, 4, 0), None);
        assert!(!p.write(prio(1), 2, 1));
    }

    #[test]
    fn pending_reflects_lines_and_is_read_only() {
        let mut p = Plic::new();
        let lines = line(10) | line(33) | line(95) | 1;
        assert_eq!(p.read(PENDING_BASE, 4, lines), Some(1 << 10));
        assert_eq!(p.read(PENDING_BASE + 4, 4, lines), Some(1 << 1));
        assert_eq!(p.read(PENDING_BASE + 8, 4, lines), Some(1 << 31));
        assert!(p.write(PENDING_BASE, 4, 0));
        assert_eq!(p.read(PENDING_BASE, 4, lines), Some(1 << 10));
        assert_eq!(p.read(PENDING_BASE + 12, 4, lines), Some(0));
    }

    #[test]
    fn enable_bits() {
        let mut p = Plic::new();
        assert!(p.write(enable(1), 4, 0xffff_ffff));
        assert_eq!(p.read(enable(1), 4, 0), Some(0xffff_fffe));
        assert_eq!(p.read(enable(0), 4, 0), Some(0));
        assert!(p.write(enable(0) + 8, 4, 0xffff_ffff));
        assert_eq!(p.read(enable(0) + 8, 4, 0), Some(0xffff_ffff));
        // Word 3 and context 2 are holes.
        assert!(p.write(enable(0) + 12, 4, 1));
        assert_eq!(p.read(enable(0) + 12, 4, 0), Some(0));
        assert!(p.write(enable(2), 4, 1));
        assert_eq!(p.read(enable(2), 4, 0), Some(0));
    }

    #[test]
    fn claim_complete_cycle() {
        let mut p = setup(&[(10, 1)], 0);
        let lines = line(10);
        assert!(p.irq(0, lines));
        assert!(!p.irq(1, lines), "not enabled for S-mode");
        assert_eq!(p.read(claim(0), 4, lines), Some(10));
        // Claimed: no longer pending even though the line stays high.
        assert!(!p.irq(0, lines));
        assert_eq!(p.read(PENDING_BASE, 4, lines), Some(0));
        assert_eq!(p.read(claim(0), 4, lines), Some(0));
        assert!(p.write(claim(0), 4, 10));
        // Line still high after completion: pending again.
        assert!(p.irq(0, lines));
        // Line dropped: nothing.
        assert!(!p.irq(0, 0));
        assert_eq!(p.read(claim(0), 4, 0), Some(0));
    }

    #[test]
    fn complete_of_disabled_source_is_ignored() {
        let mut p = setup(&[(10, 1)], 0);
        assert_eq!(p.read(claim(0), 4, line(10)), Some(10));
        assert!(p.write(claim(1), 4, 10)); // context 1 does not enable 10
        assert!(!p.irq(0, line(10)));
        assert!(p.write(claim(0), 4, 96)); // out of range
        assert!(p.write(claim(0), 4, 10));
        assert!(p.irq(0, line(10)));
    }

    #[test]
    fn highest_priority_then_lowest_id() {
        let mut p = setup(&[(3, 2), (5, 6), (7, 6), (40, 1)], 0);
        let lines = line(3) | line(5) | line(7) | line(40);
        assert_eq!(p.read(claim(0), 4, lines), Some(5));
        assert_eq!(p.read(claim(0), 4, lines), Some(7));
        assert_eq!(p.read(claim(0), 4, lines), Some(3));
        assert_eq!(p.read(claim(0), 4, lines), Some(40));
        assert_eq!(p.read(claim(0), 4, lines), Some(0));
    }

    #[test]
    fn threshold_masks_lower_priorities() {
        let mut p = setup(&[(3, 2), (4, 5)], 1);
        let lines = line(3) | line(4);
        assert!(p.write(threshold(1), 4, 5));
        assert_eq!(p.read(threshold(1), 4, 0), Some(5));
        assert!(!p.irq(1, lines), "priority must exceed the threshold");
        assert!(p.write(threshold(1), 4, 4));
        assert_eq!(p.read(claim(1), 4, lines), Some(4));
        assert!(!p.irq(1, lines));
        assert!(p.write(threshold(1), 4, 1));
        assert_eq!(p.read(claim(1), 4, lines), Some(3));
        assert!(p.write(threshold(1), 4, 0xf));
        assert_eq!(p.read(threshold(1), 4, 0), Some(7));
    }

    #[test]
    fn extension_claim_masks_a_level_line_until_completion() {
        let mut p = Plic::new();
        assert!(!p.claim_source(10, 0), "not pending");
        assert!(p.claim_source(10, line(10)), "no enable bit needed");
        assert_eq!(p.pending(line(10)), 0, "claimed: masked although the line stays high");
        assert!(!p.claim_source(10, line(10)));
        p.complete_source(10);
        assert_eq!(p.pending(line(10)), line(10));
        assert!(!p.claim_source(0, 1) && !p.claim_source(96, 0));
    }

    #[test]
    fn priority_zero_never_interrupts() {
        let p = setup(&[(9, 0)], 0);
        assert!(!p.irq(0, line(9)));
    }

    #[test]
    fn context_holes() {
        let mut p = Plic::new();
        assert_eq!(p.read(threshold(0) + 8, 4, 0), Some(0));
        assert_eq!(p.read(threshold(2), 4, 0), Some(0));
        assert!(p.write(threshold(2) + 4, 4, 1));
        assert_eq!(p.read(0x5f_fffc, 4, 0), Some(0));
    }
}
