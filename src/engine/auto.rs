//! Auto's choice and the calibration behind it: the engine reads its cost model and asks the pure functions
//! of [`crate::dispatch`].

use std::time::Instant;

use super::Engine;
use super::drive::gpu_program;
use crate::control::Control;
use crate::dispatch::{self, CostModel, Explanation};
use crate::program::GpuCaps;
use crate::{Backend, Error, Kernel, Result};

/// A choice of `Choice::Auto`, for the kernel of that cost key, cost scale and block count.
pub(super) struct LastChoice {
    key: String,
    scale: f64,
    blocks: u64,
    backend: Backend,
}

impl Engine {
    /// Calibrates the cost model for `kernel` on every backend it can run on (see [`crate::dispatch`]).
    /// The probe uses sub-ranges of `kernel` itself and keeps nothing of their results, so give it a
    /// kernel of a few hundred blocks or more. Opens the GPU device if there is one.
    pub fn calibrate<K: Kernel>(&self, kernel: &K) -> Result<()> {
        self.calibrate_with(kernel, &Control::new())
    }

    /// [`Engine::calibrate`], stopped within one timing (tens of milliseconds) once `control`'s stop flag
    /// is raised: then it is [`Error::Stopped`] and the model is left as it was.
    pub fn calibrate_with<K: Kernel>(&self, kernel: &K, control: &Control) -> Result<()> {
        let gpu = self.gpu().ok();
        let mut backends = Backend::CPU.to_vec();
        if gpu.is_some() && self.gpu_program_check(kernel).is_ok() {
            backends.extend([Backend::Gpu, Backend::Hybrid]);
        }
        let setup = gpu.as_ref().map_or(0.0, |g| g.setup_time().as_secs_f64());
        let costs = dispatch::probe(&backends, kernel.blocks(), self.threads, setup, |backend, n| {
            if control.stopped() {
                return Err(Error::Stopped(format!("the calibration of {}", kernel.cost_key())));
            }
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
        let scale = kernel.cost_scale();
        for (&backend, cost) in backends.iter().zip(costs) {
            model.insert(&key, backend, self.threads_for(backend), cost.with_scale(scale));
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
        // The model may list a GPU whose device is not open yet, judged on what any device could run; a
        // GPU choice opens it (the run would), and a program its device cannot run (f32's limits where
        // it has no f64) leaves the choice to the others.
        if !self.gpu_is_open()
            && let Some(known) = &costs
            && dispatch::predictions(known.clone(), kernel.blocks(), false)
                .first()
                .is_some_and(|p| p.backend.uses_gpu())
            && self.gpu().is_ok()
            && self.gpu_program_check(kernel).is_err()
        {
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

    /// Replaces the model, as a calibration changes it.
    #[cfg(test)]
    fn replace_model(&self, model: CostModel) {
        if let Ok(mut slot) = self.model.lock() {
            *slot = model;
        }
        self.forget_choice();
    }

    /// The cost model as it stands, to save.
    pub fn model(&self) -> CostModel {
        self.model.lock().map(|m| m.clone()).unwrap_or_default()
    }

    /// Calibrates the model on `probe` ([`Engine::calibrate_with`]) unless it can already predict its
    /// kernel: whether it measured. Give it a probe of a few hundred blocks or more (a problem's first
    /// small run would measure too little to predict a large one).
    pub fn ensure_calibrated<K: Kernel>(&self, probe: &K, control: &Control) -> Result<bool> {
        if self.is_calibrated(probe) {
            return Ok(false);
        }
        self.calibrate_with(probe, control)?;
        Ok(true)
    }

    /// Merges the model into the machine's cache (see [`EngineBuilder::cached_model`](crate::EngineBuilder::cached_model)), under a lock that
    /// lets processes calibrating at once keep each other's costs. The path written, `None` where the
    /// platform has no cache directory.
    pub fn save_model(&self) -> std::io::Result<Option<std::path::PathBuf>> {
        let Some(path) = CostModel::default_path() else {
            return Ok(None);
        };
        self.model().merge_into(&path)?;
        Ok(Some(path))
    }

    /// Auto's choice for `kernel`: the backend [`Engine::explain`] chooses, found with less work when no
    /// GPU backend can win (its GPU program is then never looked at).
    ///
    /// A choice made from the model alone is kept, and a run of the same kernel and size takes it again
    /// without consulting the model, until the model changes: the decision is then a few cache lines
    /// wherever the caches stand, where the full one costs microseconds once other work has evicted it.
    pub(super) fn choose<K: Kernel>(&self, kernel: &K) -> Result<Backend> {
        let blocks = kernel.blocks();
        let key = kernel.cost_key();
        let scale = kernel.cost_scale();
        if let Ok(last) = self.last_choice.lock()
            && let Some(last) = last.as_ref()
            && last.blocks == blocks
            && last.key == key
            && last.scale.to_bits() == scale.to_bits()
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
            *last = Some(LastChoice {
                key,
                scale,
                blocks,
                backend,
            });
        }
        Ok(backend)
    }

    /// The fastest CPU backend for `kernel` by the model (rayon when the model has no CPU costs for it).
    pub(super) fn cpu_choice<K: Kernel>(&self, kernel: &K) -> Backend {
        self.costs(kernel, &Backend::CPU)
            .and_then(|costs| dispatch::cpu_choice(&costs, kernel.blocks()))
            .unwrap_or(Backend::Rayon)
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
        let key = kernel.cost_key();
        dispatch::costs(&model, &self.adapter, (&key, kernel.cost_scale()), candidates, |b| {
            self.threads_for(b)
        })
    }

    /// Whether `kernel` can run on the GPU: on the open device's capabilities, or where none is open
    /// (judged without opening one) on those of a device with every feature.
    fn gpu_program_check<K: Kernel>(&self, kernel: &K) -> std::result::Result<(), String> {
        let open = self.gpu_is_open().then(|| self.gpu().ok()).flatten();
        // Capabilities only decide the precision; a kernel without a GPU program says so whatever they are.
        let caps = open.map_or(
            GpuCaps {
                shader_f64: true,
                shader_int64: true,
                requested: self.precision,
            },
            |gpu| gpu.caps(self.precision),
        );
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
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Kernel;
    use crate::dispatch::Cost;
    use crate::gpu::AdapterChoice;
    use crate::kernels::{Function, Simpson};

    fn cost(overhead: f64, per_block: f64, width: u64) -> Cost {
        Cost::new(overhead, per_block, 0.05, width, 0.0)
    }

    /// A model that has seen a GPU which is slow to start and fast per block, with the same costs for
    /// the kernels filed under each of `keys`.
    fn model(threads: usize, keys: &[String]) -> CostModel {
        let mut model = CostModel::default();
        model.set_gpu_adapter(&AdapterChoice::Auto, Some("a GPU".to_owned()));
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
        let keys = [
            Simpson::new(Function::Exp, 0.0, 1.0, 8).unwrap().cost_key(),
            Simpson::new(f, 0.0, 1.0, 8).unwrap().cost_key(),
        ];
        let engine = Engine::builder().threads(2).model(model(2, &keys)).build().unwrap();
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

    /// A model measured with a GPU that is gone: auto runs on the CPU instead of failing.
    #[test]
    fn auto_falls_back_to_the_cpu_when_the_models_gpu_cannot_be_opened() {
        let nowhere = AdapterChoice::Name("no adapter is called this".to_owned());
        let kernel = Simpson::new(Function::Exp, 0.0, 1.0, 100_000 * 65_536 - 4).unwrap();
        let mut model = model(2, &[kernel.cost_key()]);
        model.set_gpu_adapter(&nowhere, Some("a GPU".to_owned()));
        let engine = Engine::builder()
            .threads(2)
            .adapter(nowhere)
            .model(model)
            .build()
            .unwrap();
        assert!(engine.choose(&kernel).unwrap().uses_gpu(), "the model prefers the GPU");
        let small = Simpson::new(Function::Exp, 0.0, 1.0, 1000).unwrap();
        let run = engine.run(&small, crate::Choice::Auto).unwrap();
        assert!(!run.backend.uses_gpu());
        assert_eq!(engine.resolve(&kernel, crate::Choice::Auto).unwrap(), Backend::Rayon);
    }

    #[test]
    fn a_kept_choice_is_dropped_when_the_model_changes() {
        let kernel = Simpson::new(Function::Exp, 0.0, 1.0, 8 * 65_536 - 4).unwrap();
        let mut model = model(2, &[kernel.cost_key()]);
        let engine = Engine::builder().threads(2).model(model.clone()).build().unwrap();
        assert_eq!(engine.choose(&kernel).unwrap(), Backend::Rayon);
        assert_eq!(engine.choose(&kernel).unwrap(), Backend::Rayon);
        // Now serial costs nothing per block: the same problem must be decided anew.
        model.insert("simpson/exp", Backend::Serial, 1, cost(0.0, 1e-9, 1));
        engine.replace_model(model);
        assert_eq!(engine.choose(&kernel).unwrap(), Backend::Serial);
        assert_eq!(engine.explain(&kernel).unwrap().choice, Backend::Serial);
    }
}
