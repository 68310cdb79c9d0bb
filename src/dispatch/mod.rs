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
//! Costs come from a short probe ([`Engine::calibrate`]): each backend runs one block to pay its first
//! use, then two sub-ranges of the kernel (two blocks, then growing four-fold until a run takes 40 ms),
//! keeping the mean of the middle half of repeated timings, each run started from rest (after a
//! millisecond's pause) and the backends timed in turn, round after round; the two points give overhead and per-block time, and the one-block timing is
//! kept as the prediction for one block. Hybrid is only considered for problems of at least
//! [`HYBRID_MIN_BLOCKS_PER_THREAD`] blocks per CPU thread: below that there is too little to share. The
//! probe runs when auto first meets a kernel, or ahead of time; [`CostModel::load`] and
//! [`CostModel::save`] keep
//! it on disk, where the command line caches it.
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
use std::time::{Duration, Instant};

pub use model::{Cost, CostModel};

use crate::engine::LastChoice;
use crate::{Backend, Engine, Error, Kernel, Result};

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
pub const HYBRID_MIN_BLOCKS_PER_THREAD: u64 = 8;

impl Engine {
    /// The backends auto considers for `kernel`, and why the others are left out, without opening a GPU
    /// that the model has not seen.
    /// With `check_program` false the GPU is listed whenever the model saw an adapter, without asking the
    /// kernel for its GPU program (which costs microseconds: it assembles the shader).
    fn candidates<K: Kernel>(&self, kernel: &K, check_program: bool) -> (Vec<Backend>, Vec<(Backend, String)>) {
        let mut candidates = Backend::CPU.to_vec();
        let mut excluded = Vec::new();
        let adapter = self
            .model
            .lock()
            .ok()
            .and_then(|m| m.gpu_adapter(self.adapter_choice()));
        match adapter {
            Some(Some(_)) => match if check_program {
                self.gpu_program_check(kernel)
            } else {
                Ok(())
            } {
                Ok(()) => {
                    candidates.push(Backend::Gpu);
                    if kernel.blocks() >= HYBRID_MIN_BLOCKS_PER_THREAD * self.threads() as u64 {
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

    /// Whether `kernel` can run on the GPU, judged without opening a device where possible.
    fn gpu_program_check<K: Kernel>(&self, kernel: &K) -> std::result::Result<(), String> {
        // Capabilities only decide the precision; a kernel without a GPU program says so whatever they are.
        let caps = crate::gpu::GpuCaps {
            shader_f64: true,
            shader_int64: true,
            requested: self.precision(),
        };
        kernel.gpu(&caps).map(|_| ()).map_err(|e| e.to_string())
    }

    /// Calibrates the cost model for `kernel` on every backend it can run on: see the [module](self)
    /// docs. The probe uses sub-ranges of `kernel` itself and keeps nothing of their results, so give it a
    /// kernel of a few hundred blocks or more. Opens the GPU device if there is one.
    pub fn calibrate<K: Kernel>(&self, kernel: &K) -> Result<()> {
        let gpu_name = self.gpu().ok().map(|g| g.name().to_owned());
        let mut backends = Backend::CPU.to_vec();
        if gpu_name.is_some() && self.gpu_program_check(kernel).is_ok() {
            backends.extend([Backend::Gpu, Backend::Hybrid]);
        }
        let costs = self.probe(kernel, &backends)?;
        let mut model = self
            .model
            .lock()
            .map_err(|_| Error::Internal("the cost model's lock is poisoned".to_owned()))?;
        model.set_gpu_adapter(self.adapter_choice(), gpu_name);
        for (&backend, cost) in backends.iter().zip(costs) {
            model.insert(kernel.name(), backend, self.threads_for(backend), cost);
        }
        self.forget_choice();
        Ok(())
    }

    /// Measures each backend's [`Cost`] on sub-ranges of `kernel`.
    ///
    /// Every timing is repeated in rounds that visit the backends in turn, so that a disturbance lasting
    /// a few runs (another process, a core taken away from the virtual machine) falls on all of them rather
    /// than on one backend's every sample; each backend keeps the mean of the middle half of its timings. A
    /// backend whose time has two modes (rayon's pool wakes in time for some small runs and not for others)
    /// is charged for both, as over many runs it would be; the fastest run would favour the backend whose
    /// overhead varies most, and the median of two modes is either one.
    fn probe<K: Kernel>(&self, kernel: &K, backends: &[Backend]) -> Result<Vec<Cost>> {
        let blocks = kernel.blocks();
        let once = |backend: Backend, n: u64| -> Result<f64> {
            std::thread::sleep(PROBE_REST);
            let start = Instant::now();
            self.reduce(kernel, backend, 0..n)?;
            Ok(start.elapsed().as_secs_f64())
        };
        // `rounds` more timings of each backend at its size, added to those already in `times`.
        let rounds = |sizes: &[u64], mut times: Vec<Vec<f64>>, rounds: usize| -> Result<Vec<f64>> {
            for _ in 0..rounds {
                for ((&backend, &n), times) in backends.iter().zip(sizes).zip(&mut times) {
                    times.push(once(backend, n)?);
                }
            }
            Ok(times.iter_mut().map(|t| middle_mean(t)).collect())
        };
        let none = || vec![Vec::new(); backends.len()];
        let cold: Vec<f64> = backends.iter().map(|&b| once(b, 1)).collect::<Result<_>>()?;
        let warm_one = rounds(&vec![1; backends.len()], none(), 8)?;
        let small = blocks.min(2);
        let t_small = rounds(&vec![small; backends.len()], none(), 16)?;
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
        let t_large = rounds(&large, first, 4)?;
        let mut costs = Vec::with_capacity(backends.len());
        for (i, &backend) in backends.iter().enumerate() {
            // The device was opened before the probe: its setup time counts as first use too.
            let setup = match backend.uses_gpu() {
                true => self.gpu()?.setup_time().as_secs_f64(),
                false => 0.0,
            };
            let per_block = if large[i] > small {
                ((t_large[i] - t_small[i]) / (large[i] - small) as f64).max(0.0)
            } else {
                t_small[i] / small as f64
            };
            let width = match backend {
                Backend::Rayon | Backend::Threads => self.threads() as u64,
                _ => 1,
            };
            costs.push(Cost {
                overhead: (t_small[i] - small.next_multiple_of(width) as f64 * per_block).max(0.0),
                per_block,
                first_use: (cold[i] - warm_one[i]).max(0.0) + setup,
                width,
                single: warm_one[i],
            });
        }
        Ok(costs)
    }

    /// The predicted time of `kernel` on each backend auto considers, and the choice: see the
    /// [module](self) docs. Calibrates the model for `kernel` first if it has never met it.
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
        let blocks = kernel.blocks();
        // Asked once: it assembles the kernel's GPU program to look it up among the compiled ones.
        let warm = costs.iter().any(|(b, _)| b.uses_gpu()) && self.gpu_is_warm_for(kernel);
        let mut predictions: Vec<Prediction> = costs
            .into_iter()
            .map(|(backend, cost)| {
                let first_use_seconds = if backend.uses_gpu() && !warm {
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
        let choice = predictions.first().map_or(Backend::Serial, |p| p.backend);
        Ok(Explanation {
            kernel: kernel.name().to_owned(),
            blocks,
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

    /// Auto's choice for `kernel`: the backend [`Engine::explain`] chooses, found with less work when no
    /// GPU backend can win. A GPU backend's prediction is at least its cost without first use; when that
    /// is already above the best CPU prediction, the kernel's GPU program is never looked at.
    ///
    /// A choice made from the model alone is kept, and a run of the same kernel and size takes it again
    /// without consulting the model, until the model changes: the decision is then a few cache lines
    /// wherever the caches stand, where the full one costs microseconds once other work has evicted it.
    pub(crate) fn choose<K: Kernel>(&self, kernel: &K) -> Result<Backend> {
        let blocks = kernel.blocks();
        if let Ok(last) = self.last_choice.lock()
            && let Some(last) = last.as_ref()
            && last.blocks == blocks
            && last.kernel == kernel.name()
        {
            return Ok(last.backend);
        }
        let (candidates, _) = self.candidates(kernel, false);
        let Some(costs) = self.costs(kernel, &candidates) else {
            return Ok(self.explain(kernel)?.choice);
        };
        // The first of equal predictions, in candidate order, as explain's stable sort keeps it.
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
        if gpu_could_win {
            // Whether the GPU wins can change as its pipeline compiles: not kept.
            return Ok(self.explain(kernel)?.choice);
        }
        if let Ok(mut last) = self.last_choice.lock() {
            *last = Some(LastChoice {
                kernel: kernel.name().to_owned(),
                blocks,
                backend: best.0,
            });
        }
        Ok(best.0)
    }

    /// The model's cost of every candidate, read under one lock; `None` when the model has not looked
    /// for a GPU or lacks any of them.
    fn costs<K: Kernel>(&self, kernel: &K, candidates: &[Backend]) -> Option<Vec<(Backend, Cost)>> {
        let model = self.model.lock().ok()?;
        model.gpu_adapter(self.adapter_choice())?;
        candidates
            .iter()
            .map(|&b| Some((b, model.get(kernel.name(), b, self.threads_for(b))?)))
            .collect()
    }

    /// Whether the device is open and has compiled `kernel`'s pipeline, so a GPU run pays no first use.
    fn gpu_is_warm_for<K: Kernel>(&self, kernel: &K) -> bool {
        if !self.gpu_is_open() {
            return false;
        }
        let Ok(gpu) = self.gpu() else {
            return false;
        };
        kernel
            .gpu(&gpu.caps(self.precision()))
            .is_ok_and(|program| gpu.is_compiled(&program.wgsl))
    }

    /// Uses `model` for auto's predictions (one loaded from disk, say) instead of calibrating anew.
    pub fn with_model(self, model: CostModel) -> Self {
        if let Ok(mut slot) = self.model.lock() {
            *slot = model;
        }
        self.forget_choice();
        self
    }

    fn forget_choice(&self) {
        if let Ok(mut last) = self.last_choice.lock() {
            *last = None;
        }
    }

    /// The cost model as it stands, to save.
    pub fn model(&self) -> CostModel {
        self.model.lock().map(|m| m.clone()).unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
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

    /// A model that has seen a GPU which is slow to start and fast per block.
    fn model(engine: &Engine) -> CostModel {
        let mut model = CostModel::default();
        model.set_gpu_adapter(engine.adapter_choice(), Some("a GPU".to_owned()));
        let threads = engine.threads();
        model.insert("simpson", Backend::Serial, 1, cost(0.0, 1e-4, 1));
        model.insert("simpson", Backend::Rayon, threads, cost(1e-4, 0.5e-4, threads as u64));
        model.insert("simpson", Backend::Threads, threads, cost(2e-4, 0.5e-4, threads as u64));
        model.insert("simpson", Backend::Gpu, 1, cost(5e-3, 1e-6, 1));
        model.insert("simpson", Backend::Hybrid, threads, cost(6e-3, 1e-6, 1));
        model
    }

    #[test]
    fn the_quick_choice_is_explains_choice() {
        let engine = Engine::with_threads(2).unwrap().with_adapter(AdapterChoice::Auto);
        let model = model(&engine);
        let engine = engine.with_model(model);
        for blocks in [1, 2, 3, 8, 50, 80, 100, 1000, 100_000] {
            let n = blocks * 65_536 - 4;
            // A built-in integrand has a GPU program; a closure has none, so the GPU is out for it.
            let builtin = Simpson::new(Function::Exp, 0.0, 1.0, n).unwrap();
            let closure = Simpson::new(|x: f64| x.exp(), 0.0, 1.0, n).unwrap();
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
        let mut model = model(&engine);
        let engine = engine.with_model(model.clone());
        assert_eq!(engine.choose(&kernel).unwrap(), Backend::Rayon);
        assert_eq!(engine.choose(&kernel).unwrap(), Backend::Rayon);
        // Now serial costs nothing per block: the same problem must be decided anew.
        model.insert("simpson", Backend::Serial, 1, cost(0.0, 1e-9, 1));
        let engine = engine.with_model(model);
        assert_eq!(engine.choose(&kernel).unwrap(), Backend::Serial);
        assert_eq!(engine.explain(&kernel).unwrap().choice, Backend::Serial);
    }
}
