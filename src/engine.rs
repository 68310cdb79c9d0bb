//! [`Engine`]: runs kernels on a chosen backend and reports what it took.

use std::ops::Range;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use crate::backend::hybrid::{self, Split};
use crate::backend::{parallel, serial, threaded};
use crate::control::{CHUNK_SECONDS, Control, Progress, next_chunk};
use crate::dispatch::{self, Choice, CostModel, Explanation};
use crate::error::{GpuError, GpuErrorKind};
use crate::gpu::{self, AdapterChoice, Gpu, GpuReport};
use crate::program::{GpuCaps, GpuKernel, Precision};
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
    gpu: OnceLock<std::result::Result<Arc<Gpu>, (GpuErrorKind, String)>>,
    /// What `Choice::Auto` predicts from, calibrated as kernels are first met.
    model: Mutex<CostModel>,
    /// Auto's last choice made from the model alone, kept until the model changes.
    last_choice: Mutex<Option<LastChoice>>,
}

/// A choice of `Choice::Auto`, for the kernel of that cost key and block count.
struct LastChoice {
    key: String,
    blocks: u64,
    backend: Backend,
}

/// The result of one run, with how it was obtained.
#[derive(Clone, Debug)]
#[non_exhaustive]
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
    /// The floating precision the run's arithmetic used: `None` on the CPU and for exact GPU arithmetic
    /// (what the agreement rules of [`crate::validate`] go by).
    pub fn float_precision(&self) -> Option<Precision> {
        self.gpu
            .as_ref()
            .and_then(|g| g.precision)
            .filter(|&p| p != Precision::Exact)
    }

    /// Elements per second of wall time.
    pub fn throughput(&self) -> f64 {
        self.elements as f64 / self.elapsed.as_secs_f64().max(1e-9)
    }
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

    /// Worker threads of the parallel backends.
    pub fn threads(&self) -> usize {
        self.threads
    }

    /// Threads a backend uses on this engine.
    pub fn threads_for(&self, backend: Backend) -> usize {
        if backend.uses_pool() { self.threads } else { 1 }
    }

    /// Whether the GPU device is open already (so a GPU run pays no setup).
    fn gpu_is_open(&self) -> bool {
        self.gpu.get().is_some_and(|g| g.is_ok())
    }

    /// The GPU precision asked for, if any.
    pub fn precision(&self) -> Option<Precision> {
        self.precision
    }

    /// Calibrates the cost model for `kernel` on every backend it can run on (see [`crate::dispatch`]).
    /// The probe uses sub-ranges of `kernel` itself and keeps nothing of their results, so give it a
    /// kernel of a few hundred blocks or more. Opens the GPU device if there is one.
    pub fn calibrate<K: Kernel>(&self, kernel: &K) -> Result<()> {
        let gpu = self.gpu().ok();
        let mut backends = Backend::CPU.to_vec();
        if gpu.is_some() && self.gpu_program_check(kernel).is_ok() {
            backends.extend([Backend::Gpu, Backend::Hybrid]);
        }
        let setup = gpu.as_ref().map_or(0.0, |g| g.setup_time().as_secs_f64());
        let costs = dispatch::probe(&backends, kernel.blocks(), self.threads, setup, |backend, n| {
            let start = Instant::now();
            self.reduce(kernel, backend, 0..n)?;
            Ok(start.elapsed().as_secs_f64())
        })?;
        let mut model = self
            .model
            .lock()
            .map_err(|_| Error::Internal("the cost model's lock is poisoned".to_owned()))?;
        model.set_gpu_adapter(&self.adapter, gpu.map(|g| g.name().to_owned()));
        let key = kernel.cost_key();
        for (&backend, cost) in backends.iter().zip(costs) {
            model.insert(&key, backend, self.threads_for(backend), cost);
        }
        drop(model);
        self.forget_choice();
        Ok(())
    }

    /// The predicted time of `kernel` on each backend auto considers, and the choice: see
    /// [`crate::dispatch`]. Calibrates the model for `kernel` first if it has never met it.
    pub fn explain<K: Kernel>(&self, kernel: &K) -> Result<Explanation> {
        let mut calibrated_seconds = None;
        let (mut candidates, mut excluded) = self.candidates(kernel, true);
        let mut costs = self.costs(kernel, &candidates);
        if costs.is_none() {
            let start = Instant::now();
            self.calibrate(kernel)?;
            calibrated_seconds = Some(start.elapsed().as_secs_f64());
            (candidates, excluded) = self.candidates(kernel, true);
            costs = self.costs(kernel, &candidates);
        }
        let costs = costs.unwrap_or_default();
        // Asked once: it assembles the kernel's GPU program to look it up among the compiled ones.
        let warm = costs.iter().any(|(b, _)| b.uses_gpu()) && self.gpu_is_warm_for(kernel);
        let predictions = dispatch::predictions(costs, kernel.blocks(), warm);
        let choice = predictions.first().map_or(Backend::Serial, |p| p.backend);
        Ok(Explanation {
            kernel: kernel.cost_key(),
            blocks: kernel.blocks(),
            predictions,
            excluded,
            choice,
            calibrated_seconds,
        })
    }

    /// Whether the model can predict every backend auto would consider for `kernel` (so that
    /// [`Engine::explain`] will not calibrate).
    pub fn is_calibrated<K: Kernel>(&self, kernel: &K) -> bool {
        let (candidates, _) = self.candidates(kernel, true);
        self.costs(kernel, &candidates).is_some()
    }

    /// Uses `model` for auto's predictions (one loaded from disk, say) instead of calibrating anew.
    pub fn with_model(self, model: CostModel) -> Self {
        if let Ok(mut slot) = self.model.lock() {
            *slot = model;
        }
        self.forget_choice();
        self
    }

    /// The cost model as it stands, to save.
    pub fn model(&self) -> CostModel {
        self.model.lock().map(|m| m.clone()).unwrap_or_default()
    }

    /// Auto's choice for `kernel`: the backend [`Engine::explain`] chooses, found with less work when no
    /// GPU backend can win (its GPU program is then never looked at).
    ///
    /// A choice made from the model alone is kept, and a run of the same kernel and size takes it again
    /// without consulting the model, until the model changes: the decision is then a few cache lines
    /// wherever the caches stand, where the full one costs microseconds once other work has evicted it.
    fn choose<K: Kernel>(&self, kernel: &K) -> Result<Backend> {
        let blocks = kernel.blocks();
        let key = kernel.cost_key();
        if let Ok(last) = self.last_choice.lock()
            && let Some(last) = last.as_ref()
            && last.blocks == blocks
            && last.key == key
        {
            return Ok(last.backend);
        }
        let (candidates, _) = self.candidates(kernel, false);
        let Some(costs) = self.costs(kernel, &candidates) else {
            return Ok(self.explain(kernel)?.choice);
        };
        let Some(backend) = dispatch::cpu_choice(&costs, blocks) else {
            // Whether the GPU wins can change as its pipeline compiles: not kept.
            return Ok(self.explain(kernel)?.choice);
        };
        if let Ok(mut last) = self.last_choice.lock() {
            *last = Some(LastChoice { key, blocks, backend });
        }
        Ok(backend)
    }

    /// The backends auto considers for `kernel`, without opening a GPU that the model has not seen. With
    /// `check_program` false the GPU is listed whenever the model saw an adapter, without asking the kernel
    /// for its GPU program (which costs microseconds: it assembles the shader).
    fn candidates<K: Kernel>(&self, kernel: &K, check_program: bool) -> (Vec<Backend>, Vec<(Backend, String)>) {
        let seen = self.model.lock().ok().and_then(|m| m.gpu_adapter(&self.adapter));
        let program = || match check_program {
            true => self.gpu_program_check(kernel),
            false => Ok(()),
        };
        dispatch::candidates(seen, program, kernel.blocks(), self.threads)
    }

    /// The model's cost of every candidate, read under one lock.
    fn costs<K: Kernel>(&self, kernel: &K, candidates: &[Backend]) -> Option<Vec<(Backend, dispatch::Cost)>> {
        let model = self.model.lock().ok()?;
        dispatch::costs(&model, &self.adapter, &kernel.cost_key(), candidates, |b| {
            self.threads_for(b)
        })
    }

    /// Whether `kernel` can run on the GPU, judged without opening a device.
    fn gpu_program_check<K: Kernel>(&self, kernel: &K) -> std::result::Result<(), String> {
        // Capabilities only decide the precision; a kernel without a GPU program says so whatever they are.
        let caps = GpuCaps {
            shader_f64: true,
            shader_int64: true,
            requested: self.precision,
        };
        gpu_program(kernel)
            .and_then(|program| program.program(&caps).map(|_| ()))
            .map_err(|e| e.to_string())
    }

    /// Whether the device is open and has compiled `kernel`'s pipeline, so a GPU run pays no first use.
    fn gpu_is_warm_for<K: Kernel>(&self, kernel: &K) -> bool {
        if !self.gpu_is_open() {
            return false;
        }
        let (Ok(gpu), Ok(program)) = (self.gpu(), gpu_program(kernel)) else {
            return false;
        };
        program
            .program(&gpu.caps(self.precision))
            .is_ok_and(|program| gpu.is_compiled(&program.wgsl))
    }

    fn forget_choice(&self) {
        if let Ok(mut last) = self.last_choice.lock() {
            *last = None;
        }
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
                let program = gpu_program(kernel)?;
                let (device, mut report) = self.open_gpu()?;
                let partial = gpu::reduce(&device, program, range, self.precision, &mut report)?;
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
        let program = gpu_program(kernel)?;
        let (device, setup) = self.open_gpu()?;
        // Fail now, not in the middle, when the kernel has no GPU program for this device.
        program.program(&device.caps(self.precision))?;
        let lo = range.start;
        // The GPU on a thread of its own, the rayon pool (with the calling thread) last: adding a device
        // is adding a worker.
        let workers = [
            hybrid::Worker {
                gpu: true,
                smallest: 1,
                run: Box::new(|r: Range<u64>| {
                    let mut report = GpuReport::default();
                    let partial = gpu::reduce(&device, program, lo + r.start..lo + r.end, self.precision, &mut report)?;
                    Ok((partial, Some(report)))
                }),
            },
            hybrid::Worker {
                gpu: false,
                smallest: self.threads as u64,
                run: Box::new(|r: Range<u64>| {
                    let partial = parallel::reduce(&self.pool, self.threads, kernel, lo + r.start..lo + r.end)?;
                    Ok((partial, None))
                }),
            },
        ];
        let shared = hybrid::drive(range.end - range.start, &workers, control)?;
        let mut report = setup;
        report.absorb(&shared.report);
        let incomplete = shared.chunks.blocks() < range.end - range.start;
        finish_chunks(shared.chunks, incomplete, Some(report), Some(shared.split))
    }
}

/// The kernel's GPU program, or the error of a kernel without one.
fn gpu_program<K: Kernel>(kernel: &K) -> Result<&dyn GpuKernel<Partial = K::Partial>> {
    kernel
        .gpu()
        .ok_or_else(|| Error::Unsupported(format!("the kernel '{}' has no GPU program", kernel.name())))
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Kernel;
    use crate::dispatch::Cost;
    use crate::gpu::AdapterChoice;
    use crate::kernels::{Function, Simpson};

    fn cost(overhead: f64, per_block: f64, width: u64) -> Cost {
        Cost {
            overhead,
            per_block,
            first_use: 0.05,
            width,
            single: 0.0,
        }
    }

    /// A model that has seen a GPU which is slow to start and fast per block, with the same costs for
    /// the kernels filed under each of `keys`.
    fn model(engine: &Engine, keys: &[String]) -> CostModel {
        let mut model = CostModel::default();
        model.set_gpu_adapter(&AdapterChoice::Auto, Some("a GPU".to_owned()));
        let threads = engine.threads();
        for key in keys {
            model.insert(key, Backend::Serial, 1, cost(0.0, 1e-4, 1));
            model.insert(key, Backend::Rayon, threads, cost(1e-4, 0.5e-4, threads as u64));
            model.insert(key, Backend::Threads, threads, cost(2e-4, 0.5e-4, threads as u64));
            model.insert(key, Backend::Gpu, 1, cost(5e-3, 1e-6, 1));
            model.insert(key, Backend::Hybrid, threads, cost(6e-3, 1e-6, 1));
        }
        model
    }

    #[test]
    fn integrands_have_cost_keys_of_their_own() {
        let exp = Simpson::new(Function::Exp, 0.0, 1.0, 8).unwrap();
        let sin = Simpson::new(Function::Sin, 0.0, 1.0, 8).unwrap();
        let closure = Simpson::new(|x: f64| x.exp(), 0.0, 1.0, 8).unwrap();
        assert_eq!(exp.cost_key(), "simpson/exp");
        assert_eq!(sin.cost_key(), "simpson/sin");
        assert!(closure.cost_key().starts_with("simpson/") && closure.cost_key() != exp.cost_key());
    }

    #[test]
    fn the_quick_choice_is_explains_choice() {
        let f = |x: f64| x.exp();
        let engine = Engine::with_threads(2).unwrap().with_adapter(AdapterChoice::Auto);
        let keys = [
            Simpson::new(Function::Exp, 0.0, 1.0, 8).unwrap().cost_key(),
            Simpson::new(f, 0.0, 1.0, 8).unwrap().cost_key(),
        ];
        let model = model(&engine, &keys);
        let engine = engine.with_model(model);
        for blocks in [1, 2, 3, 8, 50, 80, 100, 1000, 100_000] {
            let n = blocks * 65_536 - 4;
            // A built-in integrand has a GPU program; a closure has none, so the GPU is out for it.
            let builtin = Simpson::new(Function::Exp, 0.0, 1.0, n).unwrap();
            let closure = Simpson::new(f, 0.0, 1.0, n).unwrap();
            assert_eq!(builtin.blocks(), blocks);
            let explained = engine.explain(&builtin).unwrap().choice;
            assert_eq!(engine.choose(&builtin).unwrap(), explained, "{blocks} blocks");
            let explained = engine.explain(&closure).unwrap().choice;
            assert!(!explained.uses_gpu());
            assert_eq!(engine.choose(&closure).unwrap(), explained, "{blocks} blocks");
        }
        // The model makes the GPU the choice for large problems, so both paths were taken.
        let large = Simpson::new(Function::Exp, 0.0, 1.0, 100_000 * 65_536 - 4).unwrap();
        assert!(engine.choose(&large).unwrap().uses_gpu());
    }

    #[test]
    fn a_kept_choice_is_dropped_when_the_model_changes() {
        let engine = Engine::with_threads(2).unwrap();
        let kernel = Simpson::new(Function::Exp, 0.0, 1.0, 8 * 65_536 - 4).unwrap();
        let mut model = model(&engine, &[kernel.cost_key()]);
        let engine = engine.with_model(model.clone());
        assert_eq!(engine.choose(&kernel).unwrap(), Backend::Rayon);
        assert_eq!(engine.choose(&kernel).unwrap(), Backend::Rayon);
        // Now serial costs nothing per block: the same problem must be decided anew.
        model.insert("simpson/exp", Backend::Serial, 1, cost(0.0, 1e-9, 1));
        let engine = engine.with_model(model);
        assert_eq!(engine.choose(&kernel).unwrap(), Backend::Serial);
        assert_eq!(engine.explain(&kernel).unwrap().choice, Backend::Serial);
    }
}
