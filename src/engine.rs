//! [`Engine`]: runs kernels on a chosen backend and reports what it took.

use std::ops::Range;
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use crate::backend::{parallel, serial, threaded};
use crate::gpu::{self, AdapterChoice, Gpu, GpuReport, Precision};
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
}

/// The result of one run, with how it was obtained.
#[derive(Clone, Debug)]
pub struct Run<T> {
    /// What the kernel's `finish` returned.
    pub output: T,
    /// The backend that computed it.
    pub backend: Backend,
    /// Worker threads used (1 for serial).
    pub threads: usize,
    /// Blocks computed.
    pub blocks: u64,
    /// Elements computed (samples, points, terms).
    pub elements: u64,
    /// Wall time of the computation, from the first block to the finished output (for the GPU, from
    /// opening the device, when the run had to, to the finished output).
    pub elapsed: Duration,
    /// Where a GPU run spent its time; `None` for the CPU backends.
    pub gpu: Option<GpuReport>,
}

impl<T> Run<T> {
    /// Elements per second of wall time.
    pub fn throughput(&self) -> f64 {
        self.elements as f64 / self.elapsed.as_secs_f64().max(1e-9)
    }
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
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .thread_name(|i| format!("hetero-rayon-{i}"))
            .build()
            .map_err(|e| Error::Threads(e.to_string()))?;
        Ok(Engine {
            pool,
            threads,
            adapter: AdapterChoice::Auto,
            precision: None,
            gpu: OnceLock::new(),
        })
    }

    /// Uses `gpu` for the GPU backend instead of opening a device on first use (tests and benches pass
    /// their own).
    pub fn with_gpu(self, gpu: Arc<Gpu>) -> Self {
        let cell = OnceLock::new();
        let _ = cell.set(Ok(gpu));
        Engine { gpu: cell, ..self }
    }

    /// Opens `adapter` on first GPU use instead of the best one.
    pub fn with_adapter(self, adapter: AdapterChoice) -> Self {
        Engine {
            adapter,
            gpu: OnceLock::new(),
            ..self
        }
    }

    /// Runs floating-point GPU kernels in `precision` (default: f64 where the device has it, else f32).
    pub fn with_precision(self, precision: Option<Precision>) -> Self {
        Engine { precision, ..self }
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
            Backend::Rayon | Backend::Threads => self.threads,
        }
    }

    /// Runs every block of `kernel` on `backend` and finishes the result.
    pub fn run<K: Kernel>(&self, kernel: &K, backend: Backend) -> Result<Run<K::Output>> {
        let start = Instant::now();
        let blocks = kernel.blocks();
        let (total, report) = self.reduce_reporting(kernel, backend, 0..blocks)?;
        let output = kernel.finish(total.ok_or(Error::EmptyKernel)?);
        Ok(Run {
            output,
            backend,
            threads: self.threads_for(backend),
            blocks,
            elements: kernel.elements(),
            elapsed: start.elapsed(),
            gpu: report,
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

    /// [`Engine::reduce`], with the GPU's timing report for the GPU backend.
    pub fn reduce_reporting<K: Kernel>(
        &self,
        kernel: &K,
        backend: Backend,
        range: Range<u64>,
    ) -> Result<(Option<K::Partial>, Option<GpuReport>)> {
        let blocks = kernel.blocks();
        if range.start > range.end || range.end > blocks {
            return Err(Error::InvalidRange {
                start: range.start,
                end: range.end,
                blocks,
            });
        }
        match backend {
            Backend::Serial => serial::reduce(kernel, range).map(|p| (p, None)),
            Backend::Rayon => parallel::reduce(&self.pool, kernel, range).map(|p| (p, None)),
            Backend::Threads => threaded::reduce(kernel, range, self.threads).map(|p| (p, None)),
            Backend::Gpu => {
                let opening = Instant::now();
                let first_use = self.gpu.get().is_none();
                let device = self.gpu()?;
                let mut report = GpuReport::default();
                if first_use {
                    report.setup_seconds = opening.elapsed().as_secs_f64();
                }
                let partial = gpu::reduce(&device, kernel, range, self.precision, &mut report)?;
                Ok((partial, Some(report)))
            }
        }
    }
}
