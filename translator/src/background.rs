//! Compiling regions on a second thread while the interpreter goes on.
//!
//! ```text
//!   dispatcher: region hot ─► discover blocks, reserve region number and
//!               chain slots ─► Job ──► compile thread: Cranelift ──► Done
//!               (the key is `Pending`: its code keeps running on the
//!               interpreter)                                          │
//!   dispatcher, every step while jobs are out: poll ◄─────────────────┘
//!               ─► install if nothing it depends on changed meanwhile
//! ```
//!
//! Guest-visible results do not depend on when code arrives: compiled code
//! and the interpreter agree instruction for instruction, and deadlines
//! (interrupts, timers) fall on the same clock values whichever runs. Only
//! the engine's counters vary from run to run.
//!
//! What a job depends on is checked when it comes back: the engine's flush
//! generation (a flush drops every reservation), the guest bytes of its blocks
//! (nothing watched those pages while it compiled) and, for a tier-up, that
//! the region it replaces is still the same. Extension fast paths are
//! prepared from the machine when the job is made (addresses of extension
//! state, parameters): replacing an extension's state flushes, which drops
//! the job.

use crate::engine::Key;
use crate::lower::{self, custom::FastPaths, trampoline::Trampolines, Compiler, Env, LowerError, Tier, Want};
use crate::region::Region;
use mkjit_runtime::cost::{Class, CLASSES};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::mpsc::{channel, Receiver, Sender};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Instant;

/// A region to compile.
pub struct Job {
    /// The engine's flush generation when the job was made.
    pub generation: u64,
    /// The region's first entry.
    pub key: Key,
    /// The region number reserved for it (or the region a tier-up replaces).
    pub idx: usize,
    /// The first of the chain slots reserved for it.
    pub first_slot: usize,
    /// Its guest blocks (generated code points into them: they move back with the result).
    pub guest: Region,
    /// What the code bakes in.
    pub env: Env,
    /// The extension fast paths the code may use.
    pub fast: FastPaths,
    /// How to compile.
    pub tier: Tier,
    /// The cost model's class costs.
    pub costs: [u64; CLASSES.len()],
    /// Debug output wanted.
    pub want: Want,
    /// A tier-up of region `idx` rather than a new region.
    pub tier_up: bool,
}

/// A compiled job.
pub struct Done {
    /// The job.
    pub job: Job,
    /// Its code, or why there is none.
    pub out: Result<lower::Compiled, LowerError>,
    /// Microseconds the compile thread spent on it.
    pub micros: u64,
}

/// The compile thread.
pub struct Worker {
    jobs: Option<Sender<Job>>,
    done: Receiver<Done>,
    thread: Option<JoinHandle<()>>,
    /// Set when the engine goes away: queued jobs are dropped, not compiled.
    cancel: Arc<AtomicBool>,
    /// Jobs the thread has finished (sent back), counted by the thread.
    finished: Arc<AtomicUsize>,
    /// Jobs handed out.
    submitted: usize,
    /// Jobs collected by [`Worker::poll`].
    collected: usize,
}

impl Worker {
    /// Starts a compile thread whose code calls `tramps` (owned by a compiler
    /// that outlives every region compiled here).
    pub fn start(tramps: Trampolines) -> Result<Worker, LowerError> {
        let (jobs, inbox) = channel::<Job>();
        let (outbox, done) = channel::<Done>();
        let (ready, started) = channel::<Result<(), LowerError>>();
        let cancel = Arc::new(AtomicBool::new(false));
        let cancelled = cancel.clone();
        let finished = Arc::new(AtomicUsize::new(0));
        let finishing = finished.clone();
        let thread = std::thread::Builder::new()
            .name("mkjit-compile".into())
            .spawn(move || {
                let mut compiler = match Compiler::sharing(tramps) {
                    Ok(c) => {
                        let _ = ready.send(Ok(()));
                        c
                    }
                    Err(e) => {
                        let _ = ready.send(Err(e));
                        return;
                    }
                };
                for job in inbox {
                    if cancelled.load(Ordering::Relaxed) {
                        break;
                    }
                    let t0 = Instant::now();
                    let cost = |op| job.costs[Class::of(op) as usize];
                    let out = compiler.compile(&job.guest, &job.env, job.tier, &cost, job.want, &job.fast);
                    let micros = t0.elapsed().as_micros() as u64;
                    if outbox.send(Done { job, out, micros }).is_err() {
                        break;
                    }
                    finishing.fetch_add(1, Ordering::Release);
                }
            })
            .map_err(|e| LowerError::Host(format!("cannot start the compile thread: {e}")))?;
        started.recv().map_err(|_| LowerError::Host("the compile thread ended".into()))??;
        Ok(Worker { jobs: Some(jobs), done, thread: Some(thread), cancel, finished, submitted: 0, collected: 0 })
    }

    /// Hands `job` to the compile thread; false (the job dropped) if the
    /// thread is gone.
    pub fn submit(&mut self, job: Job) -> bool {
        let sent = self.jobs.as_ref().is_some_and(|tx| tx.send(job).is_ok());
        self.submitted += sent as usize;
        sent
    }

    /// A finished job, if one is ready (never waits). The dispatcher asks
    /// at every step: while nothing new is finished this is one atomic load,
    /// not a channel operation.
    pub fn poll(&mut self) -> Option<Done> {
        if self.finished.load(Ordering::Acquire) == self.collected {
            return None;
        }
        let d = self.done.try_recv().ok()?;
        self.collected += 1;
        Some(d)
    }

    /// Jobs handed out and not yet collected.
    pub fn in_flight(&self) -> usize {
        self.submitted - self.collected
    }
}

impl Drop for Worker {
    fn drop(&mut self) {
        // The thread ends after its current job.
        self.cancel.store(true, Ordering::Relaxed);
        self.jobs = None;
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// Most chain slots the code of `guest` can use: a block leaves directly for
/// at most two targets (a branch's two sides, or one jump).
pub fn slot_bound(guest: &Region) -> usize {
    (2 * guest.blocks.len()).min(lower::MAX_SLOTS_PER_REGION as usize)
}
