//! [`Engine`]: runs kernels on a chosen backend and reports what it took.

use std::ops::Range;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use crate::backend::hybrid::{self, Split};
use crate::backend::{parallel, serial, threaded};
use crate::dispatch::{Choice, CostModel};
use crate::gpu::{self, AdapterChoice, Gpu, GpuReport, Precision};
use crate::schedule::{Chunks, node_at};
use crate::{Backend, Error, Kernel, Result};

/// The most worker threads an engine accepts: far above any machine's core count, low enough that a typo
/// cannot ask the operating system for millions of threads.
pub const MAX_THREADS: usize = 4096;

/// Runs kernels. Holds the rayon pool and the GPU device with its compiled pipelines, each built once (the
/// device on first use) and reused by every run.
///
/// # Examples
///
/// ```
/// use hetero::{Backend, Engine, kernels::MonteCarloPi};
///
/// let engine = Engine::with_threads(2)?;
/// let kernel = MonteCarloPi::new(1_000_000, 42)?;
/// let serial = engine.run(&kernel, Backend::Serial)?;
/// let rayon = engine.run(&kernel, Backend::Rayon)?;
/// assert_eq!(serial.output.hits, rayon.output.hits);
/// # Ok::<(), hetero::Error>(())
/// ```
pub struct Engine {
    pool: rayon::ThreadPool,
    threads: usize,
    adapter: AdapterChoice,
    precision: Option<Precision>,
    /// The device, opened on first GPU use; a failure is kept so that it is reported, not retried, each run.
    gpu: OnceLock<std::result::Result<Arc<Gpu>, String>>,
    /// What `Choice::Auto` predicts from, calibrated as kernels are first met.
    pub(crate) model: Mutex<CostModel>,
    /// Auto's last choice made from the model alone, kept until the model changes.
    pub(crate) last_choice: Mutex<Option<LastChoice>>,
}

/// A choice of `Choice::Auto`, for the kernel of that name and block count.
pub(crate) struct LastChoice {
    pub(crate) kernel: String,
    pub(crate) blocks: u64,
    pub(crate) backend: Backend,
}

/// The result of one run, with how it was obtained.
#[derive(Clone, Debug)]
pub struct Run<T> {
    /// What the kernel's `finish` returned (or, for a run stopped early, its `finish_prefix`).
    pub output: T,
    /// The backend that computed it.
    pub backend: Backend,
    /// Worker threads used (1 for serial and gpu).
    pub threads: usize,
    /// Blocks of the problem.
    pub blocks: u64,
    /// Blocks whose partials the output covers: `0..completed`, all of them unless the run was stopped.
    pub completed: u64,
    /// Whether the run was stopped (through its [`Control`]) before every block was done.
    pub interrupted: bool,
    /// Elements computed (samples, points, terms); for a stopped run, its share of the blocks done.
    pub elements: u64,
    /// Wall time of the computation, from the first block to the finished output (for the GPU, from
    /// opening the device, when the run had to, to the finished output).
    pub elapsed: Duration,
    /// Where a GPU (or hybrid) run spent its GPU time; `None` for the CPU backends.
    pub gpu: Option<GpuReport>,
    /// How a hybrid run shared the blocks between the GPU and the CPU.
    pub split: Option<Split>,
}

impl<T> Run<T> {
    /// Elements per second of wall time.
    pub fn throughput(&self) -> f64 {
        self.elements as f64 / self.elapsed.as_secs_f64().max(1e-9)
    }
}

/// How a run reports progress and how it is stopped from outside (a signal handler, another thread).
///
/// A run with neither computes its blocks in one pass. With either, it computes them in chunks of about
/// 50 ms, each a subtree of the fixed combination tree, so the result is the same bits; between chunks it
/// reports progress and looks at the stop flag. A stopped run returns the output of the blocks done, from
/// the first one without a gap ([`Kernel::finish_prefix`]).
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
}

/// A progress callback.
type ProgressFn = dyn Fn(Progress) + Send + Sync;

/// How far a run has come.
#[derive(Clone, Copy, Debug, PartialEq)]
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

    /// Whether runs go in chunks (there is someone to report to or a flag to watch).
    fn chunked(&self) -> bool {
        self.stop.is_some() || self.progress.is_some()
    }

    pub(crate) fn stopped(&self) -> bool {
        self.stop.as_ref().is_some_and(|flag| flag.load(Ordering::Relaxed))
    }

    pub(crate) fn report(&self, progress: Progress) {
        if let Some(report) = &self.progress {
            report(progress);
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

/// The partial of a block range, with how it was obtained.
pub(crate) struct Driven<P> {
    pub(crate) partial: Option<P>,
    /// Blocks from the start of the range that `partial` covers.
    pub(crate) completed: u64,
    pub(crate) interrupted: bool,
    pub(crate) gpu: Option<GpuReport>,
    pub(crate) split: Option<Split>,
}

impl Engine {
    /// An engine with one worker thread per available core.
    pub fn new() -> Result<Self> {
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        Self::with_threads(cores)
    }

    /// An engine with `threads` workers for the rayon pool and the threads backend (1 ..= [`MAX_THREADS`]).
    pub fn with_threads(threads: usize) -> Result<Self> {
        if threads == 0 || threads > MAX_THREADS {
            return Err(Error::invalid(
                "thread count",
                format!("{threads} is not between 1 and {MAX_THREADS}"),
            ));
        }
        // The thread that calls a run is one of its workers: the pool holds the others.
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads((threads - 1).max(1))
            .thread_name(|i| format!("hetero-rayon-{i}"))
            .build()
            .map_err(|e| Error::Threads(e.to_string()))?;
        Ok(Engine {
            pool,
            threads,
            adapter: AdapterChoice::Auto,
            precision: None,
            gpu: OnceLock::new(),
            model: Mutex::new(CostModel::default()),
            last_choice: Mutex::new(None),
        })
    }

    /// Uses `gpu` for the GPU backend instead of opening a device on first use (tests and benches pass
    /// their own).
    pub fn with_gpu(self, gpu: Arc<Gpu>) -> Self {
        let cell = OnceLock::new();
        let _ = cell.set(Ok(gpu));
        Engine {
            gpu: cell,
            last_choice: Mutex::new(None),
            ..self
        }
    }

    /// Opens `adapter` on first GPU use instead of the best one.
    pub fn with_adapter(self, adapter: AdapterChoice) -> Self {
        Engine {
            adapter,
            gpu: OnceLock::new(),
            last_choice: Mutex::new(None),
            ..self
        }
    }

    /// Runs floating-point GPU kernels in `precision` (default: f64 where the device has it, else f32).
    pub fn with_precision(self, precision: Option<Precision>) -> Self {
        Engine {
            precision,
            last_choice: Mutex::new(None),
            ..self
        }
    }

    /// The GPU device, opened now if this is its first use.
    pub fn gpu(&self) -> Result<Arc<Gpu>> {
        self.gpu
            .get_or_init(|| Gpu::new(&self.adapter).map(Arc::new).map_err(|e| e.to_string()))
            .clone()
            .map_err(Error::NoGpu)
    }

    /// Whether a GPU device is open or can be opened.
    pub fn has_gpu(&self) -> bool {
        self.gpu().is_ok()
    }

    /// Worker threads of the parallel backends.
    pub fn threads(&self) -> usize {
        self.threads
    }

    /// Threads a backend uses on this engine.
    pub fn threads_for(&self, backend: Backend) -> usize {
        match backend {
            Backend::Serial | Backend::Gpu => 1,
            Backend::Rayon | Backend::Threads | Backend::Hybrid => self.threads,
        }
    }

    /// Whether the GPU device is open already (so a GPU run pays no setup).
    pub(crate) fn gpu_is_open(&self) -> bool {
        self.gpu.get().is_some_and(|g| g.is_ok())
    }

    /// The adapter this engine opens.
    pub(crate) fn adapter_choice(&self) -> &AdapterChoice {
        &self.adapter
    }

    /// The GPU precision asked for, if any.
    pub(crate) fn precision(&self) -> Option<Precision> {
        self.precision
    }

    /// The backend `choice` means for `kernel`: auto's choice, or the backend named.
    pub(crate) fn resolve<K: Kernel>(&self, kernel: &K, choice: Choice) -> Result<Backend> {
        match choice {
            Choice::Auto => self.choose(kernel),
            Choice::Backend(backend) => Ok(backend),
        }
    }

    /// Runs every block of `kernel` where `choice` says ([`Choice::Auto`] or a [`Backend`]) and finishes the
    /// result.
    pub fn run<K: Kernel>(&self, kernel: &K, choice: impl Into<Choice>) -> Result<Run<K::Output>> {
        self.run_with(kernel, choice, &Control::new())
    }

    /// [`Engine::run`], reporting progress and watching for a stop as `control` says.
    pub fn run_with<K: Kernel>(
        &self,
        kernel: &K,
        choice: impl Into<Choice>,
        control: &Control,
    ) -> Result<Run<K::Output>> {
        let backend = self.resolve(kernel, choice.into())?;
        let start = Instant::now();
        let blocks = kernel.blocks();
        let driven = self.drive(kernel, backend, 0..blocks, control)?;
        let completed = driven.completed;
        let interrupted = Error::Interrupted { completed, blocks };
        let total = match driven.partial {
            Some(total) => total,
            None if driven.interrupted => return Err(interrupted),
            None => return Err(Error::EmptyKernel),
        };
        let (output, elements) = if completed == blocks {
            (kernel.finish(total), kernel.elements())
        } else {
            let output = kernel.finish_prefix(total, completed).ok_or(interrupted)?;
            let share = u128::from(kernel.elements()) * u128::from(completed) / u128::from(blocks.max(1));
            (output, share as u64)
        };
        Ok(Run {
            output,
            backend,
            threads: self.threads_for(backend),
            blocks,
            completed,
            interrupted: driven.interrupted,
            elements,
            elapsed: start.elapsed(),
            gpu: driven.gpu,
            split: driven.split,
        })
    }

    /// The combined partial of blocks `range` (`None` when the range is empty), in the fixed tree order.
    ///
    /// For the built-in kernels, whose partials combine exactly, the partial of a range equals the
    /// combination of the partials of any split of it:
    ///
    /// ```
    /// use hetero::{Backend, Engine, Kernel, Partial, kernels::Leibniz};
    ///
    /// let engine = Engine::with_threads(2)?;
    /// let kernel = Leibniz::new(10_000_000)?;
    /// let whole = engine.reduce(&kernel, Backend::Rayon, 0..kernel.blocks())?.unwrap();
    /// let left = engine.reduce(&kernel, Backend::Serial, 0..7)?.unwrap();
    /// let right = engine.reduce(&kernel, Backend::Threads, 7..kernel.blocks())?.unwrap();
    /// assert_eq!(whole, left.combine(right));
    /// # Ok::<(), hetero::Error>(())
    /// ```
    pub fn reduce<K: Kernel>(&self, kernel: &K, backend: Backend, range: Range<u64>) -> Result<Option<K::Partial>> {
        self.reduce_reporting(kernel, backend, range)
            .map(|(partial, _)| partial)
    }

    /// [`Engine::reduce`], with the GPU's timing report for the GPU and hybrid backends.
    pub fn reduce_reporting<K: Kernel>(
        &self,
        kernel: &K,
        backend: Backend,
        range: Range<u64>,
    ) -> Result<(Option<K::Partial>, Option<GpuReport>)> {
        let driven = self.drive(kernel, backend, range, &Control::new())?;
        Ok((driven.partial, driven.gpu))
    }

    /// Blocks `range` on `backend`: in one pass, or in chunks when `control` watches (always in chunks
    /// for hybrid, which shares them out).
    pub(crate) fn drive<K: Kernel>(
        &self,
        kernel: &K,
        backend: Backend,
        range: Range<u64>,
        control: &Control,
    ) -> Result<Driven<K::Partial>> {
        let blocks = kernel.blocks();
        if range.start > range.end || range.end > blocks {
            return Err(Error::InvalidRange {
                start: range.start,
                end: range.end,
                blocks,
            });
        }
        let len = range.end - range.start;
        if backend == Backend::Hybrid {
            return self.drive_hybrid(kernel, range, control);
        }
        if !control.chunked() {
            let (partial, gpu) = self.one_pass(kernel, backend, range)?;
            return Ok(Driven {
                partial,
                completed: len,
                interrupted: false,
                gpu,
                split: None,
            });
        }
        let start = Instant::now();
        let mut chunks = Chunks::new(len);
        let mut gpu_report: Option<GpuReport> = None;
        // Start with a few blocks per worker (a few hundred on a GPU) and grow towards CHUNK_SECONDS.
        let (mut offset, mut want) = (
            0,
            if backend == Backend::Gpu {
                256
            } else {
                4 * self.threads_for(backend) as u64
            },
        );
        while offset < len && !control.stopped() {
            let n = node_at(len, offset, want);
            let began = Instant::now();
            let (partial, report) = self.one_pass(kernel, backend, range.start + offset..range.start + offset + n)?;
            want = next_chunk(n, began.elapsed().as_secs_f64(), CHUNK_SECONDS);
            GpuReport::add_to(&mut gpu_report, report.as_ref());
            if let Some(partial) = partial {
                chunks.insert(offset..offset + n, partial);
            }
            offset += n;
            control.report(Progress {
                done: offset,
                blocks: len,
                elapsed: start.elapsed(),
            });
        }
        finish_chunks(chunks, offset < len, gpu_report, None)
    }

    /// Blocks `range` in one call of `backend` (not hybrid).
    fn one_pass<K: Kernel>(
        &self,
        kernel: &K,
        backend: Backend,
        range: Range<u64>,
    ) -> Result<(Option<K::Partial>, Option<GpuReport>)> {
        match backend {
            Backend::Serial => serial::reduce(kernel, range).map(|p| (p, None)),
            Backend::Rayon => parallel::reduce(&self.pool, self.threads, kernel, range).map(|p| (p, None)),
            Backend::Threads => threaded::reduce(kernel, range, self.threads).map(|p| (p, None)),
            Backend::Gpu => {
                let (device, mut report) = self.open_gpu()?;
                let partial = gpu::reduce(&device, kernel, range, self.precision, &mut report)?;
                Ok((partial, Some(report)))
            }
            Backend::Hybrid => Err(Error::Internal("hybrid runs are driven, not passed".to_owned())),
        }
    }

    /// The device, with a report that holds the setup time when this call opened it.
    fn open_gpu(&self) -> Result<(Arc<Gpu>, GpuReport)> {
        let opening = Instant::now();
        let first_use = self.gpu.get().is_none();
        let device = self.gpu()?;
        let mut report = GpuReport::default();
        if first_use {
            report.setup_seconds = opening.elapsed().as_secs_f64();
        }
        Ok((device, report))
    }

    fn drive_hybrid<K: Kernel>(&self, kernel: &K, range: Range<u64>, control: &Control) -> Result<Driven<K::Partial>> {
        let (device, setup) = self.open_gpu()?;
        // Fail now, not in the middle, when the kernel has no GPU program for this device.
        kernel.gpu(&device.caps(self.precision))?;
        let lo = range.start;
        let cpu = |r: Range<u64>| parallel::reduce(&self.pool, self.threads, kernel, lo + r.start..lo + r.end);
        let on_gpu = |r: Range<u64>| {
            let mut report = GpuReport::default();
            gpu::reduce(&device, kernel, lo + r.start..lo + r.end, self.precision, &mut report).map(|p| (p, report))
        };
        let shared = hybrid::drive(range.end - range.start, self.threads as u64, cpu, on_gpu, control)?;
        let mut report = setup;
        report.absorb(&shared.report);
        let incomplete = shared.chunks.blocks() < range.end - range.start;
        finish_chunks(shared.chunks, incomplete, Some(report), Some(shared.split))
    }
}

/// The partial of a chunked run: the whole tree when every chunk is in, else the prefix without a gap.
fn finish_chunks<P: crate::Partial>(
    chunks: Chunks<P>,
    interrupted: bool,
    gpu: Option<GpuReport>,
    split: Option<Split>,
) -> Result<Driven<P>> {
    let (partial, completed) = if interrupted {
        chunks.assemble_prefix()
    } else {
        let len = chunks.len();
        (chunks.assemble()?, len)
    };
    Ok(Driven {
        partial,
        completed,
        interrupted,
        gpu,
        split,
    })
}
