//! Choosing a backend: [`Choice::Auto`] predicts each backend's time for the problem at hand from a
//! calibrated cost model and takes the fastest.
//!
//! # The model
//!
//! For each kernel and backend the model holds a [`Cost`]: a fixed overhead per run (waking threads, a GPU
//! submission and readback), a time per block, and a first-use cost (opening the GPU device and compiling
//! the kernel's pipeline, paid once per engine). The prediction for `n` blocks is
//! `overhead + n · per_block`, plus the first-use cost when the engine has not paid it yet.
//!
//! Costs come from a short probe ([`Engine::calibrate`](crate::Engine::calibrate)): each backend runs one block to pay its first
//! use, then two sub-ranges of the kernel (two blocks, then growing four-fold until a run takes 40 ms),
//! keeping the mean of the middle half of repeated timings, each run started from rest (after a
//! millisecond's pause) and the backends timed in turn, round after round; the two points give overhead and per-block time, and the one-block timing is
//! kept as the prediction for one block. Hybrid is only considered for problems of at least
//! eight blocks per CPU thread: below that there is too little to share.
//!
//! Kernels of one [`cost_key`](crate::Kernel::cost_key) share one calibration: a kernel is predicted
//! from the costs measured on any kernel of its key, the per-block time scaled by the ratio of their
//! [`cost_scale`](crate::Kernel::cost_scale)s ([`Cost::scaled`]). Every expression, of any dimension,
//! is under one key per kernel and scaled by what its operations cost, so a new expression is predicted
//! without a probe. The probe runs when auto first meets a key, or ahead of time; [`CostModel::load`]
//! and [`CostModel::save`] keep it on disk, where the command line caches it.
//!
//! ```
//! use hetero::{Choice, Engine, kernels::MonteCarloPi};
//!
//! let engine = Engine::with_threads(2)?;
//! let kernel = MonteCarloPi::new(1 << 20, 1)?;
//! let explanation = engine.explain(&kernel)?;
//! println!("{explanation}");
//! let run = engine.run(&kernel, Choice::Auto)?;
//! assert_eq!(run.backend, explanation.choice);
//! # Ok::<(), hetero::Error>(())
//! ```

mod model;

use std::fmt;
use std::time::Duration;

pub use model::{Cost, CostModel};

use crate::gpu::AdapterChoice;
use crate::{Backend, Result};

/// Where to run: a backend, or the one predicted fastest.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum Choice {
    /// The backend the cost model predicts fastest for this problem (the CPU alone when there is no GPU).
    #[default]
    Auto,
    /// This backend; the GPU and hybrid backends fail without a GPU.
    Backend(Backend),
}

impl From<Backend> for Choice {
    fn from(backend: Backend) -> Self {
        Choice::Backend(backend)
    }
}

impl fmt::Display for Choice {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Choice::Auto => f.write_str("auto"),
            Choice::Backend(b) => b.fmt(f),
        }
    }
}

impl std::str::FromStr for Choice {
    type Err = crate::UnknownBackend;

    /// `auto`, or a backend's name.
    fn from_str(s: &str) -> std::result::Result<Self, Self::Err> {
        if s.eq_ignore_ascii_case("auto") {
            Ok(Choice::Auto)
        } else {
            s.parse().map(Choice::Backend)
        }
    }
}

/// One backend's predicted time.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
#[non_exhaustive]
pub struct Prediction {
    /// The backend.
    pub backend: Backend,
    /// Predicted seconds for the whole problem.
    pub seconds: f64,
    /// The part of it paid once: opening the GPU device and compiling the pipeline.
    pub first_use_seconds: f64,
    /// The cost it was predicted from.
    pub cost: Cost,
}

/// Why auto chose what it chose.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
#[non_exhaustive]
pub struct Explanation {
    /// The kernel's name.
    pub kernel: String,
    /// Blocks of the problem.
    pub blocks: u64,
    /// Every backend considered, fastest first.
    pub predictions: Vec<Prediction>,
    /// Backends left out, and why.
    pub excluded: Vec<(Backend, String)>,
    /// The backend chosen: the first prediction.
    pub choice: Backend,
    /// Whether this explanation had to calibrate first, and for how long (seconds).
    pub calibrated_seconds: Option<f64>,
}

impl fmt::Display for Explanation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "auto: {} with {} blocks: predicted times", self.kernel, self.blocks)?;
        for p in &self.predictions {
            let first = if p.first_use_seconds > 0.0 {
                format!(" (of which first use {:.3} ms)", p.first_use_seconds * 1e3)
            } else {
                String::new()
            };
            writeln!(
                f,
                "  {:<8} {:>12.3} ms = {:.3} ms overhead + {} blocks × {:.3} µs{first}",
                p.backend.name(),
                p.seconds * 1e3,
                p.cost.overhead * 1e3,
                self.blocks,
                p.cost.per_block * 1e6,
            )?;
        }
        for (backend, why) in &self.excluded {
            writeln!(f, "  {:<8} not considered: {why}", backend.name())?;
        }
        if let Some(seconds) = self.calibrated_seconds {
            writeln!(f, "  (calibrated now, in {:.3} s)", seconds)?;
        }
        write!(f, "  chose {}: the lowest predicted time", self.choice)
    }
}

/// The pause before each timed run of the calibration probe, so that every run starts from rest as a
/// program's first run does: pool threads asleep and, on a virtual machine, their idle cores descheduled.
/// Measured back to back instead, a parallel backend looks faster on small problems than it will be.
const PROBE_REST: Duration = Duration::from_millis(1);

/// The mean of the middle half of `times` (their median when there are fewer than four).
fn middle_mean(times: &mut [f64]) -> f64 {
    times.sort_by(f64::total_cmp);
    if times.len() < 4 {
        return times.get(times.len() / 2).copied().unwrap_or(0.0);
    }
    let quarter = times.len() / 4;
    let middle = &times[quarter..times.len() - quarter];
    middle.iter().sum::<f64>() / middle.len().max(1) as f64
}

/// Hybrid is considered for problems with at least this many blocks per CPU thread.
pub(crate) const HYBRID_MIN_BLOCKS_PER_THREAD: u64 = 8;

/// The backends auto considers for a problem of `blocks` blocks on `threads` CPU threads, and why the
/// others are left out. `gpu_seen` is what the model recorded for the adapter (`None`: it has not looked,
/// `Some(None)`: it found none); `gpu_program` says whether the kernel has a GPU program, asked only when
/// the model saw an adapter.
pub(crate) fn candidates(
    gpu_seen: Option<Option<String>>,
    gpu_program: impl FnOnce() -> std::result::Result<(), String>,
    blocks: u64,
    threads: usize,
) -> (Vec<Backend>, Vec<(Backend, String)>) {
    let mut candidates = Backend::CPU.to_vec();
    let mut excluded = Vec::new();
    match gpu_seen {
        Some(Some(_)) => match gpu_program() {
            Ok(()) => {
                candidates.push(Backend::Gpu);
                if blocks >= HYBRID_MIN_BLOCKS_PER_THREAD * threads as u64 {
                    candidates.push(Backend::Hybrid);
                } else {
                    excluded.push((
                        Backend::Hybrid,
                        "too few blocks to share between GPU and CPU".to_owned(),
                    ));
                }
            }
            Err(why) => excluded.extend([(Backend::Gpu, why.clone()), (Backend::Hybrid, why)]),
        },
        Some(None) => {
            let why = "no GPU adapter was found when the model was calibrated".to_owned();
            excluded.extend([(Backend::Gpu, why.clone()), (Backend::Hybrid, why)]);
        }
        None => {}
    }
    (candidates, excluded)
}

/// The model's cost of every candidate for a kernel filed under `key` of [`Kernel::cost_scale`] `scale`
/// (each measured cost [scaled](Cost::scaled) to it); `None` when the model has not looked for the
/// adapter `adapter` or lacks any of them. `threads_for` gives a backend's thread count.
///
/// [`Kernel::cost_scale`]: crate::Kernel::cost_scale
pub(crate) fn costs(
    model: &CostModel,
    adapter: &AdapterChoice,
    (key, scale): (&str, f64),
    candidates: &[Backend],
    threads_for: impl Fn(Backend) -> usize,
) -> Option<Vec<(Backend, Cost)>> {
    model.gpu_adapter(adapter)?;
    candidates
        .iter()
        .map(|&b| Some((b, model.get(key, b, threads_for(b))?.scaled(scale))))
        .collect()
}

/// Each backend's predicted time for `blocks` blocks, fastest first (a stable sort: the first of equal
/// predictions in candidate order). A GPU backend adds its first-use cost unless `gpu_warm`.
pub(crate) fn predictions(costs: Vec<(Backend, Cost)>, blocks: u64, gpu_warm: bool) -> Vec<Prediction> {
    let mut predictions: Vec<Prediction> = costs
        .into_iter()
        .map(|(backend, cost)| {
            let first_use_seconds = if backend.uses_gpu() && !gpu_warm {
                cost.first_use
            } else {
                0.0
            };
            Prediction {
                backend,
                seconds: cost.predict(blocks) + first_use_seconds,
                first_use_seconds,
                cost,
            }
        })
        .collect();
    predictions.sort_by(|a, b| a.seconds.total_cmp(&b.seconds));
    predictions
}

/// The fastest CPU backend for `blocks` blocks, when no GPU backend can beat it even without its
/// first-use cost (the first of equal predictions, in candidate order, as [`predictions`] keeps it);
/// `None` when one could, and the full prediction is needed.
pub(crate) fn cpu_choice(costs: &[(Backend, Cost)], blocks: u64) -> Option<Backend> {
    let mut best = (Backend::Serial, f64::INFINITY);
    for (backend, cost) in costs.iter().filter(|(b, _)| !b.uses_gpu()) {
        let seconds = cost.predict(blocks);
        if seconds < best.1 {
            best = (*backend, seconds);
        }
    }
    let gpu_could_win = costs
        .iter()
        .any(|(b, cost)| b.uses_gpu() && cost.predict(blocks) < best.1);
    (!gpu_could_win).then_some(best.0)
}

/// Measures each backend's [`Cost`] on a kernel of `blocks` blocks, with `time(backend, n)` the seconds
/// of one run of its first `n` blocks, on an engine of `threads` threads whose GPU device took
/// `gpu_setup` seconds to open. See the [module](self) docs.
///
/// Every timing is repeated in rounds that visit the backends in turn, so that a disturbance lasting
/// a few runs (another process, a core taken away from the virtual machine) falls on all of them rather
/// than on one backend's every sample; each backend keeps the mean of the middle half of its timings. A
/// backend whose time has two modes (rayon's pool wakes in time for some small runs and not for others)
/// is charged for both, as over many runs it would be; the fastest run would favour the backend whose
/// overhead varies most, and the median of two modes is either one.
pub(crate) fn probe(
    backends: &[Backend],
    blocks: u64,
    threads: usize,
    gpu_setup: f64,
    mut time: impl FnMut(Backend, u64) -> Result<f64>,
) -> Result<Vec<Cost>> {
    let mut once = |backend: Backend, n: u64| -> Result<f64> {
        std::thread::sleep(PROBE_REST);
        time(backend, n)
    };
    let none = || vec![Vec::new(); backends.len()];
    let ones = vec![1; backends.len()];
    let cold = rounds(&mut once, backends, &ones, none(), 1)?;
    let warm_one = rounds(&mut once, backends, &ones, none(), 8)?;
    let small = blocks.min(2);
    let t_small = rounds(&mut once, backends, &vec![small; backends.len()], none(), 16)?;
    // Each backend's large size: grown four-fold until one run takes 40 ms; that run is its first
    // timing there.
    let mut large = vec![small; backends.len()];
    let mut first = none();
    for (i, &backend) in backends.iter().enumerate() {
        let mut t = t_small[i];
        while t < 0.04 && large[i] < blocks {
            large[i] = (large[i] * 4).min(blocks);
            t = once(backend, large[i])?;
            first[i] = vec![t];
        }
    }
    let t_large = rounds(&mut once, backends, &large, first, 4)?;
    let mut costs = Vec::with_capacity(backends.len());
    for (i, &backend) in backends.iter().enumerate() {
        // The device was opened before the probe: its setup time counts as first use too.
        let setup = if backend.uses_gpu() { gpu_setup } else { 0.0 };
        let per_block = if large[i] > small {
            ((t_large[i] - t_small[i]) / (large[i] - small) as f64).max(0.0)
        } else {
            t_small[i] / small as f64
        };
        let width = if backend.block_per_thread() { threads as u64 } else { 1 };
        costs.push(Cost::new(
            (t_small[i] - small.next_multiple_of(width) as f64 * per_block).max(0.0),
            per_block,
            (cold[i] - warm_one[i]).max(0.0) + setup,
            width,
            warm_one[i],
        ));
    }
    Ok(costs)
}

/// `rounds` more timings of each backend at its size (`once(backend, n)`), added to those already in
/// `times`, visiting the backends in turn; each backend's mean of the middle half.
fn rounds(
    once: &mut impl FnMut(Backend, u64) -> Result<f64>,
    backends: &[Backend],
    sizes: &[u64],
    mut times: Vec<Vec<f64>>,
    rounds: usize,
) -> Result<Vec<f64>> {
    for _ in 0..rounds {
        for ((&backend, &n), times) in backends.iter().zip(sizes).zip(&mut times) {
            times.push(once(backend, n)?);
        }
    }
    Ok(times.iter_mut().map(|t| middle_mean(t)).collect())
}
