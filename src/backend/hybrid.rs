//! The hybrid backend: the GPU and the CPU pool at once, on disjoint block ranges handed out as each
//! finishes.
//!
//! Each worker asks for its next range when it is done with the last, so neither idles while work is
//! left. A range is always a subtree of the fixed combination tree ([`node_at`]), so reassembling the
//! partials gives the bits a single-backend run gives. Its size follows the worker's measured speed: about
//! half of the worker's fair share of what is left, at most a chunk's worth of time, so both finish
//! together. If the GPU fails, the CPU takes back the range it held and finishes the run; the failure is
//! reported in the [`Split`].

use std::ops::Range;
use std::sync::Mutex;
use std::time::Instant;

use crate::control::{CHUNK_SECONDS, Control, Progress, next_chunk};
use crate::gpu::GpuReport;
use crate::schedule::{Chunks, node_at};
use crate::tree::Partial;
use crate::{Error, Result};

/// How a hybrid run shared its blocks.
#[derive(Clone, Debug, Default, PartialEq, serde::Serialize)]
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

/// What the two workers produced.
pub(crate) struct Shared<P> {
    pub(crate) chunks: Chunks<P>,
    pub(crate) report: GpuReport,
    pub(crate) split: Split,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Side {
    Cpu,
    Gpu,
}

struct State<P> {
    shared: Shared<P>,
    /// First block not yet handed out.
    next: u64,
    /// Ranges the GPU held when it failed, for the CPU to compute.
    retry: Vec<Range<u64>>,
    /// Blocks per second of each side's last range, and that range's size and time.
    last: [Option<(u64, f64)>; 2],
    failed: Option<Error>,
    start: Instant,
}

impl<P> State<P> {
    fn size_for(&self, side: Side, len: u64, smallest: u64) -> u64 {
        let me = side as usize;
        let Some((n, seconds)) = self.last[me] else {
            return smallest;
        };
        let rate = n as f64 / seconds.max(1e-7);
        let other = self.last[1 - me].map_or(rate, |(m, t)| m as f64 / t.max(1e-7));
        let share = (len - self.next) as f64 * rate / (rate + other) / 2.0;
        let grown = next_chunk(n, seconds, CHUNK_SECONDS);
        (share as u64).min(grown).max(smallest)
    }
}

/// Runs `len` blocks (offsets `0..len`) on `cpu` and `gpu` at once.
pub(crate) fn drive<P, C, G>(len: u64, threads: u64, cpu: C, gpu: G, control: &Control) -> Result<Shared<P>>
where
    P: Partial,
    C: Fn(Range<u64>) -> Result<Option<P>> + Sync,
    G: Fn(Range<u64>) -> Result<(Option<P>, GpuReport)> + Sync,
{
    let state = Mutex::new(State {
        shared: Shared {
            chunks: Chunks::new(len),
            report: GpuReport::default(),
            split: Split::default(),
        },
        next: 0,
        retry: Vec::new(),
        last: [None, None],
        failed: None,
        start: Instant::now(),
    });
    let poisoned = || Error::Internal("a hybrid worker panicked while holding the schedule".to_owned());
    let work = |side: Side| -> Result<()> {
        loop {
            let job = {
                let mut s = state.lock().map_err(|_| poisoned())?;
                if s.failed.is_some() || control.stopped() {
                    return Ok(());
                }
                if side == Side::Cpu
                    && let Some(range) = s.retry.pop()
                {
                    range
                } else if s.next < len {
                    let smallest = if side == Side::Cpu { threads } else { 1 };
                    let n = node_at(len, s.next, s.size_for(side, len, smallest));
                    let range = s.next..s.next + n;
                    s.next += n;
                    range
                } else {
                    return Ok(());
                }
            };
            let began = Instant::now();
            let result = match side {
                Side::Cpu => cpu(job.clone()).map(|p| (p, None)),
                Side::Gpu => gpu(job.clone()).map(|(p, report)| (p, Some(report))),
            };
            let seconds = began.elapsed().as_secs_f64();
            let mut s = state.lock().map_err(|_| poisoned())?;
            match result {
                Ok((partial, report)) => {
                    let n = job.end - job.start;
                    s.last[side as usize] = Some((n, seconds));
                    let split = &mut s.shared.split;
                    match side {
                        Side::Cpu => (split.cpu_blocks += n, split.cpu_chunks += 1),
                        Side::Gpu => (split.gpu_blocks += n, split.gpu_chunks += 1),
                    };
                    if let Some(report) = report {
                        s.shared.report.absorb(&report);
                    }
                    if let Some(partial) = partial {
                        s.shared.chunks.insert(job, partial);
                    }
                    let done = s.shared.chunks.blocks();
                    control.report(Progress {
                        done,
                        blocks: len,
                        elapsed: s.start.elapsed(),
                    });
                }
                Err(e) if side == Side::Gpu => {
                    s.shared.split.gpu_error = Some(e.to_string());
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
    std::thread::scope(|scope| -> Result<()> {
        let gpu_worker = std::thread::Builder::new()
            .name("hetero-hybrid-gpu".to_owned())
            .spawn_scoped(scope, || work(Side::Gpu))
            .map_err(|e| Error::Threads(e.to_string()))?;
        let cpu_result = work(Side::Cpu);
        let gpu_result = gpu_worker.join().map_err(|p| Error::from_panic("hybrid", p))?;
        cpu_result?;
        gpu_result?;
        // The GPU may have failed after the CPU ran out of new work: its range is still to do.
        work(Side::Cpu)
    })?;
    let state = state.into_inner().map_err(|_| poisoned())?;
    match state.failed {
        Some(error) => Err(error),
        None => Ok(state.shared),
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
                2,
                |r| Ok(Some(shape_of(r))),
                |r| Ok((Some(shape_of(r)), GpuReport::default())),
                &Control::new(),
            )
            .unwrap_or_else(|e| panic!("len {len}: {e}"));
            assert_eq!(shared.split.cpu_blocks + shared.split.gpu_blocks, len);
            let whole = shared.chunks.assemble().ok().flatten().map(|s| s.0);
            assert_eq!(whole, Some(one_pass(len)), "len {len}");
        }
    }

    #[test]
    fn a_failing_gpu_hands_its_work_to_the_cpu() {
        // The CPU waits for the GPU's first (failing) attempt, so that the GPU does hold a range.
        let gpu_tried = std::sync::atomic::AtomicBool::new(false);
        let shared = drive(
            500,
            2,
            |r| {
                let waited = Instant::now();
                while !gpu_tried.load(std::sync::atomic::Ordering::Acquire)
                    && waited.elapsed() < std::time::Duration::from_secs(10)
                {
                    std::thread::yield_now();
                }
                Ok(Some(shape_of(r)))
            },
            |_| {
                gpu_tried.store(true, std::sync::atomic::Ordering::Release);
                Err::<(Option<Shape>, GpuReport), _>(Error::Gpu("device lost".to_owned()))
            },
            &Control::new(),
        )
        .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(shared.split.gpu_blocks, 0);
        assert_eq!(shared.split.cpu_blocks, 500);
        assert_eq!(shared.split.gpu_error.as_deref(), Some("GPU: device lost"));
        let whole = shared.chunks.assemble().ok().flatten().map(|s| s.0);
        assert_eq!(whole, Some(one_pass(500)));
    }

    #[test]
    fn a_failing_cpu_fails_the_run() {
        let result = drive(
            50,
            2,
            |_| Err::<Option<Shape>, _>(Error::Threads("refused".to_owned())),
            |r| Ok((Some(shape_of(r)), GpuReport::default())),
            &Control::new(),
        );
        assert!(matches!(result, Err(Error::Threads(_))));
    }
}
