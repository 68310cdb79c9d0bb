//! Pacing and cancellation: how a run reports progress, how it is stopped from outside, and how big its
//! chunks are. The bottom layer: every backend and the engine use it, it uses nothing of hetero's.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

/// How a run reports progress and how it is stopped from outside (a signal handler, another thread).
///
/// A run with neither computes its blocks in one pass. With either, it computes them in chunks of about
/// 50 ms, each a subtree of the fixed combination tree, so the result is the same bits; between chunks it
/// reports progress and looks at the stop flag. A stopped run returns the output of the blocks done, from
/// the first one without a gap ([`Kernel::finish_prefix`](crate::Kernel::finish_prefix)).
///
/// ```
/// use std::sync::{Arc, atomic::{AtomicBool, Ordering}};
/// use hetero::{Backend, Control, Engine, kernels::MonteCarloPi};
///
/// let engine = Engine::with_threads(2)?;
/// let kernel = MonteCarloPi::new(1 << 24, 7)?;
/// let stop = Arc::new(AtomicBool::new(false));
/// let flag = Arc::clone(&stop);
/// // Stop as soon as a quarter of the blocks are done.
/// let control = Control::new().with_stop(stop).with_progress(move |p| {
///     if p.done * 4 >= p.blocks {
///         flag.store(true, Ordering::Relaxed);
///     }
/// });
/// let run = engine.run_with(&kernel, Backend::Rayon, &control)?;
/// assert!(run.interrupted && run.completed < run.blocks);
/// // What was done equals a run of exactly that many samples.
/// let prefix = MonteCarloPi::new(run.output.samples, 7)?;
/// assert_eq!(engine.run(&prefix, Backend::Serial)?.output.hits, run.output.hits);
/// # Ok::<(), hetero::Error>(())
/// ```
#[derive(Clone, Default)]
pub struct Control {
    stop: Option<Arc<AtomicBool>>,
    progress: Option<Arc<ProgressFn>>,
    deadline: Option<Instant>,
}

/// A progress callback.
type ProgressFn = dyn Fn(Progress) + Send + Sync;

/// How far a run has come.
#[derive(Clone, Copy, Debug, PartialEq)]
#[non_exhaustive]
pub struct Progress {
    /// Blocks done.
    pub done: u64,
    /// Blocks in all.
    pub blocks: u64,
    /// Time since the run started.
    pub elapsed: Duration,
}

impl std::fmt::Debug for Control {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Control")
            .field("stop", &self.stop)
            .field("progress", &self.progress.is_some())
            .field("deadline", &self.deadline)
            .finish()
    }
}

impl Control {
    /// No progress reports, no stop flag: runs go in one pass.
    pub fn new() -> Self {
        Control::default()
    }

    /// Stops the run soon after `flag` becomes true (within one chunk, about 50 ms).
    pub fn with_stop(self, flag: Arc<AtomicBool>) -> Self {
        Control {
            stop: Some(flag),
            ..self
        }
    }

    /// Calls `report` after each chunk of blocks.
    pub fn with_progress(self, report: impl Fn(Progress) + Send + Sync + 'static) -> Self {
        Control {
            progress: Some(Arc::new(report)),
            ..self
        }
    }

    /// Stops the run at the first chunk boundary after `deadline`, as a stop flag would: what a time
    /// limit is. [`timed_out`](Control::timed_out) then tells a deadline's stop from the flag's.
    ///
    /// ```
    /// use std::time::{Duration, Instant};
    /// use hetero::{Backend, Control, Engine, kernels::MonteCarloPi};
    ///
    /// let engine = Engine::with_threads(1)?;
    /// let kernel = MonteCarloPi::new(1 << 40, 7)?;
    /// let control = Control::new().with_deadline(Instant::now() + Duration::from_millis(20));
    /// match engine.run_with(&kernel, Backend::Serial, &control) {
    ///     // The blocks done before the deadline.
    ///     Ok(run) => assert!(run.interrupted && run.completed < run.blocks),
    ///     // None done before it (a machine busy elsewhere).
    ///     Err(e) => assert!(matches!(e, hetero::Error::Interrupted { .. })),
    /// }
    /// assert!(control.timed_out());
    /// # Ok::<(), hetero::Error>(())
    /// ```
    pub fn with_deadline(self, deadline: Instant) -> Self {
        Control {
            deadline: Some(deadline),
            ..self
        }
    }

    /// Whether the deadline of [`with_deadline`](Control::with_deadline) has passed.
    pub fn timed_out(&self) -> bool {
        self.deadline.is_some_and(|deadline| Instant::now() >= deadline)
    }

    /// Whether runs go in chunks (there is someone to report to, a flag to watch or a deadline).
    pub(crate) fn chunked(&self) -> bool {
        self.stop.is_some() || self.progress.is_some() || self.deadline.is_some()
    }

    pub(crate) fn stopped(&self) -> bool {
        self.stop.as_ref().is_some_and(|flag| flag.load(Ordering::Relaxed)) || self.timed_out()
    }

    pub(crate) fn report(&self, progress: Progress) {
        if let Some(report) = &self.progress {
            report(progress);
        }
    }

    /// The same stop flag, for a run over part of a larger one: its progress is reported as the larger
    /// run's, `before` blocks already done of `blocks`, timed from `started`.
    pub(crate) fn within(&self, before: u64, blocks: u64, started: Instant) -> Control {
        let progress = self.progress.clone().map(|report| {
            Arc::new(move |p: Progress| {
                report(Progress {
                    done: before + p.done,
                    blocks,
                    elapsed: started.elapsed(),
                })
            }) as Arc<ProgressFn>
        });
        Control {
            stop: self.stop.clone(),
            progress,
            deadline: self.deadline,
        }
    }
}

/// Seconds a chunk of a chunked run aims at: short enough to stop promptly, long enough that the pause
/// between chunks costs nothing measurable.
pub(crate) const CHUNK_SECONDS: f64 = 0.05;

/// The block count to ask for next, after `n` blocks took `seconds`: aims at `target` seconds, growing
/// at most four-fold at a time.
pub(crate) fn next_chunk(n: u64, seconds: f64, target: f64) -> u64 {
    let scaled = n as f64 * target / seconds.max(1e-7);
    (scaled as u64).clamp(1, n.saturating_mul(4).max(1))
}
