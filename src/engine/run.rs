//! [`Run`]: the result of one run, with how it was obtained.

use std::time::Duration;

use crate::Backend;
use crate::backend::hybrid::Split;
use crate::gpu::GpuReport;
use crate::program::Precision;

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
    /// Whether the run was stopped (through its [`Control`](crate::Control)) before every block was done.
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
        self.gpu.as_ref().and_then(GpuReport::float_precision)
    }

    /// Elements per second of wall time.
    pub fn throughput(&self) -> f64 {
        self.elements as f64 / self.elapsed.as_secs_f64().max(1e-9)
    }
}
