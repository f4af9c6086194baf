//! Context slots and the two primitive moves between a slot and the hart
//! (SPEC §5.2 "saving the running user context", "restoring").

use super::{state, state_mut, XctxState, E_RESTORE, E_SAVE, SET};
use crate::common::{self, charge_set, regs, regs_mut, switch_satp, ThreadRegs};
use mkjit_runtime::hart::Priv;
use mkjit_runtime::machine::Machine;

/// Words in a context image.
pub const IMAGE_WORDS: usize = 48;
/// Word of `satp`.
pub const W_SATP: usize = 32;
/// Word of the status (privilege, group).
pub const W_STATUS: usize = 33;
/// Word of the software tag.
pub const W_TAG: usize = 34;
/// First word of the extension registers.
pub const W_EXT: usize = 35;

/// One slot: presence and the context image.
#[derive(Clone, Debug)]
pub struct Slot {
    /// Present.
    pub present: bool,
    /// Image words (SPEC §5.2).
    pub image: [u64; IMAGE_WORDS],
}

impl Default for Slot {
    fn default() -> Self {
        Slot { present: false, image: [0; IMAGE_WORDS] }
    }
}

impl Slot {
    /// Privilege of the saved context.
    pub fn prv(&self) -> Priv {
        if self.image[W_STATUS] & 3 == 1 {
            Priv::S
        } else {
            Priv::U
        }
    }

    /// Group of the context (0 = none).
    pub fn group(&self) -> u64 {
        (self.image[W_STATUS] >> 16) & 0xffff
    }

    /// `ctx.status` value.
    pub fn status_word(&self) -> u64 {
        self.present as u64 | (self.prv() as u64) << 8 | self.group() << 16
    }
}

/// Mask of [`ThreadRegs`] words (35..=47) owned by enabled extensions.
pub(crate) fn ext_word_enabled(m: &Machine) -> [bool; 13] {
    use crate::{xamsg, xcap, xgate, xline, xuirq};
    let on = |set| common::enabled(m, set);
    let (g, l, a, c, u) = (on(xgate::SET), on(xline::SET), on(xamsg::SET), on(xcap::SET), on(xuirq::SET));
    [g, g, g, g, g, l, a, a, c, u, u, u, u]
}

/// The registers of disabled extensions read as 0 in an image.
fn masked_words(m: &Machine, r: &ThreadRegs) -> [u64; 13] {
    let on = ext_word_enabled(m);
    let mut w = r.to_words();
    for (v, e) in w.iter_mut().zip(on) {
        if !e {
            *v = 0;
        }
    }
    w
}

/// Saves the running context into slot `s` with `pc` and privilege `prv`; group
/// and tag stay; the slot becomes present. `s` must be in range.
pub fn save_running(m: &mut Machine, s: usize, pc: u64, prv: Priv) {
    let ext = masked_words(m, regs(m));
    let mut image = state(m).slots[s].image;
    image[0] = pc;
    image[1..32].copy_from_slice(&m.hart.x[1..32]);
    image[W_SATP] = m.hart.csr.satp;
    image[W_STATUS] = (image[W_STATUS] & !3) | if prv == Priv::S { 1 } else { 0 };
    image[W_EXT..].copy_from_slice(&ext);
    let slot = &mut state_mut(m).slots[s];
    slot.image = image;
    slot.present = true;
    charge_set::<XctxState>(m, SET, E_SAVE);
}

/// Restores slot `s` (present, in range) into the hart's registers, `satp` and
/// extension registers; `ctxcur` := `s`. Returns the saved pc and privilege;
/// the caller decides where they go (pc/prv, or sepc/SPP).
pub fn restore(m: &mut Machine, s: usize) -> (u64, Priv) {
    let slot = state(m).slots[s].clone();
    let w = &slot.image;
    m.hart.x[1..32].copy_from_slice(&w[1..32]);
    switch_satp(m, w[W_SATP]);
    let on = ext_word_enabled(m);
    let mut words = regs(m).to_words();
    for (k, v) in words.iter_mut().enumerate() {
        if on[k] {
            *v = w[W_EXT + k];
        }
    }
    *regs_mut(m) = ThreadRegs::from_words(&words);
    m.hart.reservation = u64::MAX;
    state_mut(m).ctxcur = s as u64;
    charge_set::<XctxState>(m, SET, E_RESTORE);
    common::irq_check(m);
    (w[0], slot.prv())
}
