//! Generic hooks for instruction-set extensions registered from outside the core.
//!
//! The runtime knows nothing about any particular extension. An extension crate
//! registers its rows with [`crate::isa::IsaTable::register`], its reference
//! semantics with [`Machine::set_custom_handler`], and, where the simulated
//! hardware reaches into the core machine, one of the hooks below:
//!
//! ```text
//!   state      per-set slot for the extension's hardware state (CLB, slots, ...)
//!   csr        CSR numbers the core does not implement      (csr_read / csr_write)
//!   translate  consulted by Machine::translate before the page walk  (line windows)
//!   interrupt  consulted by the run loop at interrupt delivery       (user interrupts)
//!   stats      extra `--stats` lines
//!   medeleg    extra delegable exception causes (custom cause codes)
//!   fast paths engine-specific inline code for a set's instructions (opaque here:
//!              an engine stores and finds its own type, see `mkjit_translator::fastpath`)
//! ```
//!
//! Every hook is an `Option` of a plain function pointer, consulted only on a
//! slow path (unknown CSR, TLB miss, run-loop iteration), so a machine without
//! extensions pays one predictable branch there and nothing on any fast path.

use crate::csr::CsrDenied;
use crate::machine::Machine;
use crate::mmu::Access;
use crate::trap::Exception;
use std::any::Any;

/// What [`Machine::translate`] should do with an access, as decided by the translate hook.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PreTranslate {
    /// Walk the page table and fill the TLB as usual.
    Walk,
    /// Walk the page table but do not cache the result in the TLB
    /// (the page is shadowed, partly or wholly, by something the hook handles).
    WalkNoFill,
    /// Translated by the hook to this physical address; nothing is cached.
    Hit(u64),
    /// The access raises this exception.
    Fault(Exception),
}

/// Translate hook: `(machine, va, size, access, tlb bank)`; `size` is the byte
/// length of the access (2 for fetches).
pub type TranslateHook = fn(&mut Machine, u64, u64, Access, u8) -> PreTranslate;

/// CSR read hook: `None` when the number is not the extension's.
pub type CsrReadHook = fn(&mut Machine, u16) -> Option<Result<u64, CsrDenied>>;
/// CSR write hook: `None` when the number is not the extension's.
pub type CsrWriteHook = fn(&mut Machine, u16, u64) -> Option<Result<(), CsrDenied>>;

/// Interrupt-delivery hooks used by the run loop.
#[derive(Clone, Copy, Debug)]
pub struct InterruptHooks {
    /// Called at an instruction boundary where no core interrupt is taken; may
    /// redirect the hart (deliver an event). Returns true if it changed the hart.
    pub deliver: fn(&mut Machine) -> bool,
    /// Whether a hart stalled in `wfi` (or an extension's wait) must wake up.
    pub wakes: fn(&Machine) -> bool,
    /// The next clock slot at which `wakes`/`deliver` may change by itself
    /// (for example a timer compare); `u64::MAX` if never.
    pub deadline: fn(&Machine) -> u64,
}

/// `--stats` hook: extra `(name, value)` lines.
pub type StatsHook = fn(&Machine) -> Vec<(String, u64)>;

/// Extension hooks and state of one machine.
#[derive(Default)]
pub struct ExtHooks {
    state: Vec<Option<Box<dyn Any + Send>>>,
    /// CSR read hook.
    pub csr_read: Option<CsrReadHook>,
    /// CSR write hook.
    pub csr_write: Option<CsrWriteHook>,
    /// Translate hook.
    pub translate: Option<TranslateHook>,
    /// Interrupt hooks.
    pub interrupt: Option<InterruptHooks>,
    /// Stats hook.
    pub stats: Option<StatsHook>,
    /// Exception causes (bit n = cause n) that `medeleg` may delegate besides the core ones.
    pub medeleg_mask: u64,
    /// Names of extension-defined exception causes, for traces and `--stats`.
    pub cause_names: Vec<(u64, &'static str)>,
    /// Whether engines may use inline fast paths of extension instructions
    /// (`--no-fastpath` clears it; the reference helpers are used either way when false).
    pub fastpath: bool,
    /// Inline fast paths per custom set, in a type only the engine using them knows.
    fast_paths: Vec<(u16, Box<dyn Any + Send + Sync>)>,
    /// Bumped whenever a state is installed or replaced: code that embeds the
    /// address of a state (inline fast paths) is stale when it changes.
    generation: u64,
}

impl std::fmt::Debug for ExtHooks {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let n = self.state.iter().filter(|s| s.is_some()).count();
        write!(f, "ExtHooks({n} states)")
    }
}

impl ExtHooks {
    /// No extension state, no hooks, fast paths allowed.
    pub fn new() -> Self {
        ExtHooks { fastpath: true, ..Default::default() }
    }

    /// Installs (or replaces) the state of custom set `set`.
    pub fn set_state(&mut self, set: u16, state: Box<dyn Any + Send>) {
        self.generation += 1;
        self.put(set, state);
    }

    fn put(&mut self, set: u16, state: Box<dyn Any + Send>) {
        let i = set as usize;
        if self.state.len() <= i {
            self.state.resize_with(i + 1, || None);
        }
        self.state[i] = Some(state);
    }

    /// The state of set `set`, if installed and of type `T`.
    pub fn state<T: 'static>(&self, set: u16) -> Option<&T> {
        self.state.get(set as usize)?.as_ref()?.downcast_ref()
    }

    /// The state of set `set`, mutably.
    pub fn state_mut<T: 'static>(&mut self, set: u16) -> Option<&mut T> {
        self.state.get_mut(set as usize)?.as_mut()?.downcast_mut()
    }

    /// Takes the state of set `set` out (to use it together with `&mut Machine`);
    /// put it back with [`Self::put_state`].
    pub fn take_state(&mut self, set: u16) -> Option<Box<dyn Any + Send>> {
        self.state.get_mut(set as usize)?.take()
    }

    /// Puts back a state taken with [`Self::take_state`] (the same box: its
    /// contents keep their address).
    pub fn put_state(&mut self, set: u16, state: Box<dyn Any + Send>) {
        self.put(set, state);
    }

    /// How many times a state was installed or replaced (see the field).
    pub fn generation(&self) -> u64 {
        self.generation
    }

    /// Registers an engine's inline fast paths for set `set` (replacing earlier ones of the same type).
    pub fn set_fast_path<T: Any + Send + Sync>(&mut self, set: u16, f: T) {
        self.fast_paths.retain(|(s, b)| *s != set || !b.is::<T>());
        self.fast_paths.push((set, Box::new(f)));
        self.generation += 1;
    }

    /// The fast paths of type `T` registered for set `set`.
    pub fn fast_path<T: Any>(&self, set: u16) -> Option<&T> {
        self.fast_paths.iter().find(|(s, b)| *s == set && b.is::<T>()).and_then(|(_, b)| b.downcast_ref())
    }

    /// Name of an extension-defined cause.
    pub fn cause_name(&self, cause: u64) -> Option<&'static str> {
        self.cause_names.iter().find(|(c, _)| *c == cause).map(|(_, n)| *n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn state_slots_are_typed_and_can_be_taken_out() {
        let mut h = ExtHooks::new();
        assert!(h.fastpath);
        assert!(h.state::<u32>(3).is_none());
        h.set_state(3, Box::new(7u32));
        assert_eq!(h.state::<u32>(3), Some(&7));
        assert!(h.state::<u64>(3).is_none(), "wrong type");
        *h.state_mut::<u32>(3).unwrap() += 1;
        let b = h.take_state(3).unwrap();
        assert!(h.state::<u32>(3).is_none(), "taken");
        h.put_state(3, b);
        assert_eq!(h.state::<u32>(3), Some(&8));
        let g = h.generation();
        h.put_state(3, Box::new(1u8));
        assert_eq!(h.generation(), g, "putting back keeps the generation");
        h.set_state(4, Box::new(1u8));
        assert_eq!(h.generation(), g + 1, "a new state bumps it");
        h.set_fast_path(3, 5u16);
        assert_eq!(h.fast_path::<u16>(3), Some(&5));
        assert_eq!(h.fast_path::<u32>(3), None, "another engine's type");
        assert_eq!(h.fast_path::<u16>(4), None);
        h.cause_names.push((24, "x"));
        assert_eq!(h.cause_name(24), Some("x"));
        assert_eq!(h.cause_name(25), None);
    }
}
