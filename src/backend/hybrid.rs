//! The hybrid backend: the GPU and the CPU pool at once, on disjoint block ranges handed out as each
//! finishes.
//!
//! Each worker asks for its next range when it is done with the last, so neither idles while work is
//! left. A range is always a subtree of the fixed combination tree ([`node_at`]), so reassembling the
//! partials gives the bits a single-backend run gives. Its size follows the worker's measured speed: about
//! half of the worker's fair share of what is left, at most a chunk's worth of time, so both finish
//! together. If the GPU fails, the CPU takes back the range it held and finishes the run; the failure is
//! reported in the [`Split`].

use std::collections::VecDeque;
use std::ops::Range;
use std::sync::Mutex;
use std::time::Instant;

use crate::control::{CHUNK_SECONDS, Control, Progress, next_chunk};
use crate::gpu::{GpuReport, RangeSource};
use crate::schedule::{Chunks, node_at};
use crate::tree::Partial;
use crate::{Error, Result};

/// How a hybrid run shared its blocks.
#[derive(Clone, Debug, Default, PartialEq, serde::Serialize)]
#[non_exhaustive]
pub struct Split {
    /// Blocks the GPU computed.
    pub gpu_blocks: u64,
    /// Blocks the CPU pool computed.
    pub cpu_blocks: u64,
    /// Ranges the GPU computed.
    pub gpu_chunks: u32,
    /// Ranges the CPU pool computed.
    pub cpu_chunks: u32,
    /// Why the GPU stopped taking work, if it failed; the CPU then finished its share.
    pub gpu_error: Option<String>,
}

impl Split {
    /// The GPU's share of the blocks computed, between 0 and 1.
    pub fn gpu_fraction(&self) -> f64 {
        let total = self.gpu_blocks + self.cpu_blocks;
        if total == 0 {
            0.0
        } else {
            self.gpu_blocks as f64 / total as f64
        }
    }
}

/// What the workers produced.
pub(crate) struct Shared<P> {
    pub(crate) chunks: Chunks<P>,
    pub(crate) report: GpuReport,
    pub(crate) split: Split,
}

/// The result of one range on one worker: its partial, and the GPU's report when a GPU computed it.
pub(crate) type Outcome<P> = Result<(Option<P>, Option<GpuReport>)>;

/// A worker that computes the ranges it pulls from a source; its report when the source has no more.
pub(crate) type Streamer<'a, P> = dyn Fn(&mut dyn RangeSource<P>) -> Result<GpuReport> + Sync + 'a;

/// One of the workers a hybrid run shares its blocks between: a GPU device or a CPU pool (any number of
/// each; the engine registers one GPU and its rayon pool).
pub(crate) struct Worker<'a, P> {
    /// Whether it is a GPU: its blocks count as the GPU's in the [`Split`], and when it fails the CPU
    /// workers take back the ranges it held instead of the run failing.
    pub(crate) gpu: bool,
    /// The fewest blocks it is handed at once (a CPU pool's thread count, so that no thread idles).
    pub(crate) smallest: u64,
    /// How it computes ranges of offsets relative to the run's range.
    pub(crate) work: Work<'a, P>,
}

/// How a worker computes its ranges.
pub(crate) enum Work<'a, P> {
    /// One range at a time, asking for the next when it is done.
    Each(Box<dyn Fn(Range<u64>) -> Outcome<P> + Sync + 'a>),
    /// The ranges it pulls from a source as it needs them, several at once: a GPU's pipeline goes on into
    /// the next range while the last one's results are read back, instead of draining at every range.
    /// Its report when the source has no more.
    Stream(Box<Streamer<'a, P>>),
}

struct State<P> {
    shared: Shared<P>,
    /// First block not yet handed out.
    next: u64,
    /// Ranges a GPU held when it failed, for a CPU worker to compute.
    retry: Vec<Range<u64>>,
    /// Each worker's last range: its size and seconds.
    last: Vec<Option<(u64, f64)>>,
    failed: Option<Error>,
    start: Instant,
}

impl<P: Partial> State<P> {
    /// The next range for worker `me`: a range a failed GPU held (CPU workers only), else the next one
    /// of the blocks not handed out; `None` when there is none, the run failed or it was stopped.
    fn take(&mut self, me: usize, worker: &Worker<'_, P>, len: u64, control: &Control) -> Option<Range<u64>> {
        if self.failed.is_some() || control.stopped() {
            return None;
        }
        if !worker.gpu
            && let Some(range) = self.retry.pop()
        {
            return Some(range);
        }
        if self.next >= len {
            return None;
        }
        let n = node_at(len, self.next, self.size_for(me, len, worker.smallest));
        let range = self.next..self.next + n;
        self.next += n;
        Some(range)
    }

    /// Worker `me` computed `range` in `seconds`: counted, its partial kept, progress reported.
    #[allow(clippy::too_many_arguments)]
    fn record(
        &mut self,
        me: usize,
        gpu: bool,
        range: Range<u64>,
        seconds: f64,
        partial: Option<P>,
        len: u64,
        control: &Control,
    ) {
        let n = range.end - range.start;
        self.last[me] = Some((n, seconds));
        let split = &mut self.shared.split;
        if gpu {
            (split.gpu_blocks += n, split.gpu_chunks += 1)
        } else {
            (split.cpu_blocks += n, split.cpu_chunks += 1)
        };
        if let Some(partial) = partial {
            self.shared.chunks.insert(range, partial);
        }
        control.report(Progress {
            done: self.shared.chunks.blocks(),
            blocks: len,
            elapsed: self.start.elapsed(),
        });
    }

    /// The next range size for worker `me`: half of its fair share of what is left, by measured speed,
    /// grown at most four-fold from its last range towards a chunk's worth of time.
    fn size_for(&self, me: usize, len: u64, smallest: u64) -> u64 {
        let Some((n, seconds)) = self.last[me] else {
            return smallest;
        };
        let rate = n as f64 / seconds.max(1e-7);
        // A worker not yet measured counts as fast as this one.
        let total: f64 = self
            .last
            .iter()
            .map(|last| last.map_or(rate, |(m, t)| m as f64 / t.max(1e-7)))
            .sum();
        let share = (len - self.next) as f64 * rate / total / 2.0;
        let grown = next_chunk(n, seconds, CHUNK_SECONDS);
        (share as u64).min(grown).max(smallest)
    }
}

/// Runs `len` blocks (offsets `0..len`) on every worker at once: the last on the calling thread, each
/// other on a thread of its own.
pub(crate) fn drive<P: Partial>(len: u64, workers: &[Worker<'_, P>], control: &Control) -> Result<Shared<P>> {
    let state = Mutex::new(State {
        shared: Shared {
            chunks: Chunks::new(len),
            report: GpuReport::default(),
            split: Split::default(),
        },
        next: 0,
        retry: Vec::new(),
        last: vec![None; workers.len()],
        failed: None,
        start: Instant::now(),
    });
    let poisoned = || Error::Internal("a hybrid worker panicked while holding the schedule".to_owned());
    // One range at a time.
    let each = |me: usize, run: &(dyn Fn(Range<u64>) -> Outcome<P> + Sync)| -> Result<()> {
        let worker = &workers[me];
        loop {
            let Some(job) = state.lock().map_err(|_| poisoned())?.take(me, worker, len, control) else {
                return Ok(());
            };
            let began = Instant::now();
            let result = run(job.clone());
            let seconds = began.elapsed().as_secs_f64();
            let mut s = state.lock().map_err(|_| poisoned())?;
            match result {
                Ok((partial, report)) => {
                    if let Some(report) = report {
                        s.shared.report.absorb(&report);
                    }
                    s.record(me, worker.gpu, job, seconds, partial, len, control);
                }
                Err(e) if worker.gpu => {
                    s.shared.split.gpu_error.get_or_insert(e.to_string());
                    s.retry.push(job);
                    return Ok(());
                }
                Err(e) => {
                    s.failed = Some(e);
                    return Ok(());
                }
            }
        }
    };
    // Ranges pulled as the worker needs them; those it held when it failed go back as above.
    let stream = |me: usize, run: &Streamer<'_, P>| -> Result<()> {
        let worker = &workers[me];
        let mut pull = Pull {
            state: &state,
            me,
            worker,
            len,
            control,
            held: VecDeque::new(),
            last_finished: None,
        };
        let outcome = run(&mut pull);
        let held = pull.held;
        let mut s = state.lock().map_err(|_| poisoned())?;
        match outcome {
            Ok(report) => s.shared.report.absorb(&report),
            Err(e) if worker.gpu => {
                s.shared.split.gpu_error.get_or_insert(e.to_string());
                s.retry.extend(held.into_iter().map(|(range, _)| range));
            }
            Err(e) => s.failed = Some(e),
        }
        Ok(())
    };
    let work = |me: usize| -> Result<()> {
        match &workers[me].work {
            Work::Each(run) => each(me, &**run),
            Work::Stream(run) => stream(me, &**run),
        }
    };
    let Some(last) = workers.len().checked_sub(1) else {
        return Err(Error::Internal("a hybrid run needs a worker".to_owned()));
    };
    std::thread::scope(|scope| -> Result<()> {
        let mut others = Vec::with_capacity(last);
        for me in 0..last {
            let name = format!("hetero-hybrid-{me}");
            let handle = std::thread::Builder::new()
                .name(name)
                .spawn_scoped(scope, move || work(me))
                .map_err(|e| Error::Threads(e.to_string()))?;
            others.push(handle);
        }
        let mine = work(last);
        let mut outcome = mine;
        for handle in others {
            let theirs = handle.join().map_err(|p| Error::from_panic("hybrid", p))?;
            outcome = outcome.and(theirs);
        }
        outcome?;
        // A GPU may have failed after the CPU workers ran out of new work: its range is still to do.
        match workers.iter().position(|w| !w.gpu) {
            Some(cpu) => work(cpu),
            None => Ok(()),
        }
    })?;
    let state = state.into_inner().map_err(|_| poisoned())?;
    if let Some(error) = state.failed {
        return Err(error);
    }
    if !state.retry.is_empty() {
        let why = state.shared.split.gpu_error.unwrap_or_default();
        return Err(Error::gpu(
            crate::GpuErrorKind::Other,
            format!("every GPU worker failed and no CPU worker was left to finish: {why}"),
        ));
    }
    Ok(state.shared)
}

/// The ranges of a [`Work::Stream`] worker, pulled from the schedule as it asks.
// Read by the GPU's streamed reduction only: unused in a build without the `gpu` feature.
#[cfg_attr(not(feature = "gpu"), allow(dead_code))]
struct Pull<'s, 'a, P> {
    state: &'s Mutex<State<P>>,
    me: usize,
    worker: &'s Worker<'a, P>,
    len: u64,
    control: &'s Control,
    /// Ranges handed out and not yet finished, in order, with when each was handed out.
    held: VecDeque<(Range<u64>, Instant)>,
    /// When the last range finished.
    last_finished: Option<Instant>,
}

impl<P: Partial> RangeSource<P> for Pull<'_, '_, P> {
    fn next_range(&mut self) -> Option<Range<u64>> {
        let range = self
            .state
            .lock()
            .ok()?
            .take(self.me, self.worker, self.len, self.control)?;
        self.held.push_back((range.clone(), Instant::now()));
        Some(range)
    }

    fn finished(&mut self, range: Range<u64>, partial: Option<P>) {
        let now = Instant::now();
        // A range's time is from when it was handed out, or from when the one before finished if that was
        // later (the pipeline was still busy with it): what the worker's speed is measured over.
        let began = match self.held.iter().position(|(r, _)| *r == range) {
            Some(at) => self.held.remove(at).map_or(now, |(_, at)| at),
            None => now,
        };
        let began = self.last_finished.map_or(began, |last| last.max(began));
        self.last_finished = Some(now);
        if let Ok(mut s) = self.state.lock() {
            let seconds = now.duration_since(began).as_secs_f64();
            s.record(
                self.me,
                self.worker.gpu,
                range,
                seconds,
                partial,
                self.len,
                self.control,
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tree::shapes::{Shape, folded as shape_of};

    fn one_pass(len: u64) -> String {
        shape_of(0..len).0
    }

    #[test]
    fn shared_work_reassembles_into_the_single_pass_tree() {
        for len in [1, 2, 3, 17, 100, 1000] {
            let shared = drive(
                len,
                &[
                    gpu_worker(|r| Ok((Some(shape_of(r)), Some(GpuReport::default())))),
                    cpu_worker(2, |r| Ok((Some(shape_of(r)), None))),
                ],
                &Control::new(),
            )
            .unwrap_or_else(|e| panic!("len {len}: {e}"));
            assert_eq!(shared.split.cpu_blocks + shared.split.gpu_blocks, len);
            let whole = shared.chunks.assemble().ok().flatten().map(|s| s.0);
            assert_eq!(whole, Some(one_pass(len)), "len {len}");
        }
    }

    /// Several GPUs and CPU pools at once: the scheduler assumes no particular number of either.
    #[test]
    fn any_number_of_workers_reassembles_into_the_single_pass_tree() {
        for len in [1, 5, 64, 999] {
            let workers = [
                gpu_worker(|r| Ok((Some(shape_of(r)), Some(GpuReport::default())))),
                gpu_worker(|r| Ok((Some(shape_of(r)), Some(GpuReport::default())))),
                cpu_worker(3, |r| Ok((Some(shape_of(r)), None))),
                cpu_worker(1, |r| Ok((Some(shape_of(r)), None))),
            ];
            let shared = drive(len, &workers, &Control::new()).unwrap_or_else(|e| panic!("len {len}: {e}"));
            assert_eq!(shared.split.cpu_blocks + shared.split.gpu_blocks, len);
            let whole = shared.chunks.assemble().ok().flatten().map(|s| s.0);
            assert_eq!(whole, Some(one_pass(len)), "len {len}");
        }
    }

    #[test]
    fn a_failing_gpu_hands_its_work_to_the_cpu() {
        // The CPU waits for the GPU's first (failing) attempt, so that the GPU does hold a range.
        let gpu_tried = std::sync::atomic::AtomicBool::new(false);
        let workers = [
            gpu_worker(|_| {
                gpu_tried.store(true, std::sync::atomic::Ordering::Release);
                Err(Error::gpu(crate::GpuErrorKind::DeviceLost, "device lost"))
            }),
            cpu_worker(2, |r| {
                let waited = Instant::now();
                while !gpu_tried.load(std::sync::atomic::Ordering::Acquire)
                    && waited.elapsed() < std::time::Duration::from_secs(10)
                {
                    std::thread::yield_now();
                }
                Ok((Some(shape_of(r)), None))
            }),
        ];
        let shared = drive(500, &workers, &Control::new()).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(shared.split.gpu_blocks, 0);
        assert_eq!(shared.split.cpu_blocks, 500);
        assert_eq!(shared.split.gpu_error.as_deref(), Some("GPU: device lost"));
        let whole = shared.chunks.assemble().ok().flatten().map(|s| s.0);
        assert_eq!(whole, Some(one_pass(500)));
    }

    #[test]
    fn a_failing_cpu_fails_the_run() {
        use std::sync::atomic::{AtomicBool, Ordering};
        // The GPU finishes its first range only once the CPU has tried one: were it faster, it could take
        // every block before the CPU asked, and the run would pass without the CPU's failure.
        let tried = AtomicBool::new(false);
        let workers = [
            gpu_worker(|r| {
                let start = std::time::Instant::now();
                while !tried.load(Ordering::Acquire) && start.elapsed() < std::time::Duration::from_secs(30) {
                    std::thread::sleep(std::time::Duration::from_millis(1));
                }
                Ok((Some(shape_of(r)), Some(GpuReport::default())))
            }),
            cpu_worker(2, |_| {
                tried.store(true, Ordering::Release);
                Err(Error::Threads("refused".to_owned()))
            }),
        ];
        let result = drive(50, &workers, &Control::new());
        assert!(matches!(result, Err(Error::Threads(_))));
    }

    #[test]
    fn gpus_alone_that_fail_are_an_error() {
        let workers = [gpu_worker(|_| Err(Error::gpu(crate::GpuErrorKind::DeviceLost, "gone")))];
        assert!(drive::<Shape>(10, &workers, &Control::new()).is_err());
    }

    /// A streaming GPU that keeps `ahead` ranges pulled before finishing the first, as a pipeline does,
    /// and fails after finishing `fail_after` ranges when given (then raising `failed`).
    fn stream_worker<'a>(
        ahead: usize,
        fail_after: Option<usize>,
        failed: &'a std::sync::atomic::AtomicBool,
    ) -> Worker<'a, Shape> {
        Worker {
            gpu: true,
            smallest: 1,
            work: Work::Stream(Box::new(move |source: &mut dyn RangeSource<Shape>| {
                let mut held = std::collections::VecDeque::new();
                let mut finished = 0;
                loop {
                    while held.len() < ahead {
                        match source.next_range() {
                            Some(range) => held.push_back(range),
                            None => break,
                        }
                    }
                    let Some(range) = held.pop_front() else {
                        return Ok(GpuReport::default());
                    };
                    if fail_after == Some(finished) {
                        failed.store(true, std::sync::atomic::Ordering::Release);
                        return Err(Error::gpu(crate::GpuErrorKind::DeviceLost, "device lost"));
                    }
                    source.finished(range.clone(), Some(shape_of(range)));
                    finished += 1;
                }
            })),
        }
    }

    #[test]
    fn a_streaming_gpu_reassembles_into_the_single_pass_tree() {
        for ahead in [1, 2, 3] {
            for len in [1, 2, 17, 100, 1000] {
                let unused = std::sync::atomic::AtomicBool::new(false);
                let workers = [
                    stream_worker(ahead, None, &unused),
                    cpu_worker(2, |r| Ok((Some(shape_of(r)), None))),
                ];
                let shared = drive(len, &workers, &Control::new()).unwrap_or_else(|e| panic!("len {len}: {e}"));
                assert_eq!(shared.split.cpu_blocks + shared.split.gpu_blocks, len);
                let whole = shared.chunks.assemble().ok().flatten().map(|s| s.0);
                assert_eq!(whole, Some(one_pass(len)), "len {len}, {ahead} ahead");
            }
        }
    }

    #[test]
    fn a_streaming_gpu_that_fails_hands_every_range_it_held_to_the_cpu() {
        for fail_after in [0, 1, 3] {
            // The CPU waits for the GPU to fail, so that the GPU does hold ranges then.
            let failed = std::sync::atomic::AtomicBool::new(false);
            let workers = [
                stream_worker(3, Some(fail_after), &failed),
                cpu_worker(2, |r| {
                    let waited = Instant::now();
                    while !failed.load(std::sync::atomic::Ordering::Acquire)
                        && waited.elapsed() < std::time::Duration::from_secs(10)
                    {
                        std::thread::yield_now();
                    }
                    Ok((Some(shape_of(r)), None))
                }),
            ];
            let shared = drive(700, &workers, &Control::new()).unwrap_or_else(|e| panic!("{e}"));
            assert_eq!(shared.split.gpu_error.as_deref(), Some("GPU: device lost"));
            assert_eq!(shared.split.cpu_blocks + shared.split.gpu_blocks, 700);
            let whole = shared.chunks.assemble().ok().flatten().map(|s| s.0);
            assert_eq!(whole, Some(one_pass(700)), "failing after {fail_after}");
        }
    }

    fn gpu_worker<'a>(run: impl Fn(Range<u64>) -> Outcome<Shape> + Sync + 'a) -> Worker<'a, Shape> {
        Worker {
            gpu: true,
            smallest: 1,
            work: Work::Each(Box::new(run)),
        }
    }

    fn cpu_worker<'a>(threads: u64, run: impl Fn(Range<u64>) -> Outcome<Shape> + Sync + 'a) -> Worker<'a, Shape> {
        Worker {
            gpu: false,
            smallest: threads,
            work: Work::Each(Box::new(run)),
        }
    }
}
