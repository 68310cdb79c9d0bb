//! [`Engine`]: holds the resources (the rayon pool, the GPU device, the cost model) and runs kernels on a
//! chosen backend. Its files: the resources and the run entry points here; the chunk loop and the backend
//! calls in `drive.rs`; auto's choice and calibration (asking [`crate::dispatch`]) in `auto.rs`; the
//! result of a run in `run.rs`.

mod auto;
mod drive;
mod run;

pub use run::Run;

use std::ops::Range;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Instant;

use crate::control::Control;
use crate::dispatch::{Choice, CostModel};
use crate::error::{GpuError, GpuErrorKind};
use crate::gpu::{AdapterChoice, Gpu, GpuReport};
use crate::program::Precision;
use crate::{Backend, Error, Kernel, Result};

/// The most worker threads an engine accepts: far above any machine's core count, low enough that a typo
/// cannot ask the operating system for millions of threads.
pub const MAX_THREADS: usize = 4096;

/// Runs kernels. Holds the rayon pool and the GPU device with its compiled pipelines, each built once (the
/// device on first use) and reused by every run. Made by [`Engine::new`], [`Engine::with_threads`] or,
/// with every setting, [`Engine::builder`].
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
    /// The rayon pool, built on first use (a serial, threads or GPU run never starts it).
    pool: OnceLock<std::result::Result<rayon::ThreadPool, String>>,
    threads: usize,
    adapter: AdapterChoice,
    precision: Option<Precision>,
    /// The device, opened on first GPU use; a failure is kept so that it is reported, not retried, each run.
    gpu: OnceLock<std::result::Result<Arc<Gpu>, (GpuErrorKind, String)>>,
    /// What `Choice::Auto` predicts from, calibrated as kernels are first met.
    model: Mutex<CostModel>,
    /// Auto's last choice made from the model alone, kept until the model changes.
    last_choice: Mutex<Option<auto::LastChoice>>,
}

/// How an [`Engine`] is made ([`Engine::builder`]): each setting has a default, and [`build`](Self::build)
/// checks them. Nothing is opened until it is used: the rayon pool on the first rayon run, the GPU device
/// on the first GPU run.
#[derive(Clone, Default)]
#[must_use]
pub struct EngineBuilder {
    threads: Option<usize>,
    adapter: AdapterChoice,
    precision: Option<Precision>,
    gpu: Option<Arc<Gpu>>,
    model: Option<CostModel>,
    cached_model: bool,
}

impl EngineBuilder {
    /// Worker threads for the rayon pool and the threads backend, 1 ..= [`MAX_THREADS`] (default, or
    /// `None`: one per available core).
    pub fn threads(self, threads: impl Into<Option<usize>>) -> Self {
        EngineBuilder {
            threads: threads.into(),
            ..self
        }
    }

    /// The GPU adapter to open on first GPU use (default: the best one).
    pub fn adapter(self, adapter: AdapterChoice) -> Self {
        EngineBuilder { adapter, ..self }
    }

    /// The precision of floating-point GPU kernels (default, or `None`: f64 where the device has it, else
    /// f32).
    pub fn precision(self, precision: impl Into<Option<Precision>>) -> Self {
        EngineBuilder {
            precision: precision.into(),
            ..self
        }
    }

    /// An open device to use for the GPU backend instead of opening one on first use (several engines can
    /// share one; the adapter setting is then not used).
    pub fn gpu(self, gpu: Arc<Gpu>) -> Self {
        EngineBuilder { gpu: Some(gpu), ..self }
    }

    /// The cost model auto predicts from (one loaded from a file, say) instead of an empty one.
    pub fn model(self, model: CostModel) -> Self {
        EngineBuilder {
            model: Some(model),
            ..self
        }
    }

    /// Predicts with the cost model cached on this machine ([`CostModel::default_path`]:
    /// `$HETERO_CACHE_DIR`, or the platform's cache directory), when one can be read and no
    /// [`model`](Self::model) was given: the model the command line and Python share, so that neither
    /// calibrates what the other measured. A missing, corrupt or stale file leaves the model empty (it is
    /// rebuilt as auto needs it); [`Engine::save_model`] writes it back.
    pub fn cached_model(self) -> Self {
        EngineBuilder {
            cached_model: true,
            ..self
        }
    }

    /// The engine: an error for a thread count outside 1 ..= [`MAX_THREADS`].
    pub fn build(self) -> Result<Engine> {
        let threads = self
            .threads
            .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()));
        if threads == 0 || threads > MAX_THREADS {
            return Err(Error::invalid(
                "thread count",
                format!("{threads} is not between 1 and {MAX_THREADS}"),
            ));
        }
        let gpu = OnceLock::new();
        if let Some(device) = self.gpu {
            let _ = gpu.set(Ok(device));
        }
        let cached = || CostModel::default_path().and_then(|path| CostModel::load(&path));
        let model = match self.model {
            Some(model) => model,
            None if self.cached_model => cached().unwrap_or_default(),
            None => CostModel::default(),
        };
        Ok(Engine {
            pool: OnceLock::new(),
            threads,
            adapter: self.adapter,
            precision: self.precision,
            gpu,
            model: Mutex::new(model),
            last_choice: Mutex::new(None),
        })
    }
}

impl Engine {
    /// An engine with one worker thread per available core: `Engine::builder().build()`.
    pub fn new() -> Result<Self> {
        Engine::builder().build()
    }

    /// An engine with `threads` workers for the rayon pool and the threads backend (1 ..= [`MAX_THREADS`]):
    /// `Engine::builder().threads(threads).build()`.
    pub fn with_threads(threads: usize) -> Result<Self> {
        Engine::builder().threads(threads).build()
    }

    /// An engine made in steps: its threads, GPU adapter and precision, and the cost model auto predicts
    /// from.
    ///
    /// ```
    /// use hetero::{Engine, gpu::{AdapterChoice, Precision}};
    ///
    /// let engine = Engine::builder()
    ///     .threads(2)
    ///     .adapter(AdapterChoice::Index(0))
    ///     .precision(Precision::F32)
    ///     .cached_model()
    ///     .build()?;
    /// assert_eq!((engine.threads(), engine.precision()), (2, Some(Precision::F32)));
    /// # Ok::<(), hetero::Error>(())
    /// ```
    pub fn builder() -> EngineBuilder {
        EngineBuilder::default()
    }

    /// The GPU device, opened now if this is its first use.
    pub fn gpu(&self) -> Result<Arc<Gpu>> {
        let opened = self.gpu.get_or_init(|| {
            Gpu::new(&self.adapter).map(Arc::new).map_err(|e| match e {
                Error::NoGpu(e) | Error::Gpu(e) => (e.kind(), e.message().to_owned()),
                other => (GpuErrorKind::NoAdapter, other.to_string()),
            })
        });
        match opened {
            Ok(gpu) => Ok(Arc::clone(gpu)),
            Err((kind, message)) => Err(Error::NoGpu(GpuError::new(*kind, message.clone()))),
        }
    }

    /// Whether a GPU device is open or can be opened.
    pub fn has_gpu(&self) -> bool {
        self.gpu().is_ok()
    }

    /// The rayon pool, built now if this is its first use. The thread that calls a run is one of its
    /// workers: the pool holds the others.
    pub(crate) fn pool(&self) -> Result<&rayon::ThreadPool> {
        self.pool
            .get_or_init(|| {
                rayon::ThreadPoolBuilder::new()
                    .num_threads((self.threads - 1).max(1))
                    .thread_name(|i| format!("hetero-rayon-{i}"))
                    .build()
                    .map_err(|e| e.to_string())
            })
            .as_ref()
            .map_err(|e| Error::Threads(e.clone()))
    }

    /// Worker threads of the parallel backends.
    pub fn threads(&self) -> usize {
        self.threads
    }

    /// Threads a backend uses on this engine.
    pub fn threads_for(&self, backend: Backend) -> usize {
        if backend.uses_pool() { self.threads } else { 1 }
    }

    /// Whether the GPU device is open already (so a GPU run pays no setup).
    pub(super) fn gpu_is_open(&self) -> bool {
        self.gpu.get().is_some_and(|g| g.is_ok())
    }

    /// The GPU precision asked for, if any.
    pub fn precision(&self) -> Option<Precision> {
        self.precision
    }

    /// The backend `choice` means for `kernel`: auto's choice, or the backend named.
    /// Auto never fails for want of a GPU: when the model prefers one that cannot be opened now (it was
    /// removed, or its driver broke since the model was measured), the fastest CPU backend runs instead.
    pub(crate) fn resolve<K: Kernel>(&self, kernel: &K, choice: Choice) -> Result<Backend> {
        match choice {
            Choice::Auto => {
                let backend = self.choose(kernel)?;
                if backend.uses_gpu() && self.gpu().is_err() {
                    return Ok(self.cpu_choice(kernel));
                }
                Ok(backend)
            }
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
            (output, kernel.elements_in(completed))
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
}
