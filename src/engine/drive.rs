//! The chunk loop, written once for every backend, and the one place that calls each backend's `reduce`.

use std::ops::Range;
use std::sync::Arc;
use std::time::Instant;

use super::Engine;
use crate::backend::hybrid::{self, Split};
use crate::backend::{parallel, serial, threaded};
use crate::control::{CHUNK_SECONDS, Control, Progress, next_chunk};
use crate::error::check_range;
use crate::gpu::{self, Gpu, GpuReport};
use crate::program::GpuKernel;
use crate::schedule::{Chunks, node_at};
use crate::{Backend, Error, Kernel, Result};

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
    /// Blocks `range` on `backend`: in one pass, or in chunks when `control` watches (always in chunks
    /// for hybrid, which shares them out).
    pub(crate) fn drive<K: Kernel>(
        &self,
        kernel: &K,
        backend: Backend,
        range: Range<u64>,
        control: &Control,
    ) -> Result<Driven<K::Partial>> {
        check_range(&range, kernel.blocks())?;
        let len = range.end - range.start;
        if backend == Backend::Hybrid {
            return self.drive_hybrid(kernel, range, control);
        }
        if backend == Backend::Gpu && control.chunked() {
            // One pipeline of dispatches for the whole range: the GPU backend watches the control
            // between dispatches itself.
            let program = gpu_program(kernel)?;
            let (device, mut report) = self.open_gpu()?;
            let (partial, completed) =
                gpu::reduce_watched(&device, program, range, self.precision, &mut report, control)?;
            return Ok(Driven {
                partial,
                completed,
                interrupted: completed < len,
                gpu: Some(report),
                split: None,
            });
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
            Backend::Rayon => parallel::reduce(self.pool()?, self.threads, kernel, range).map(|p| (p, None)),
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
                // One pipeline of dispatches over every range the GPU takes.
                work: hybrid::Work::Stream(Box::new(|source: &mut dyn gpu::RangeSource<K::Partial>| {
                    let mut report = GpuReport::default();
                    let mut shifted = Shifted { source, by: lo };
                    let blocks = range.end - range.start;
                    gpu::reduce_stream(
                        &device,
                        program,
                        &mut shifted,
                        blocks,
                        self.precision,
                        &mut report,
                        &Control::new(),
                    )?;
                    Ok(report)
                })),
            },
            hybrid::Worker {
                gpu: false,
                smallest: self.threads as u64,
                work: hybrid::Work::Each(Box::new(|r: Range<u64>| {
                    let partial = parallel::reduce(self.pool()?, self.threads, kernel, lo + r.start..lo + r.end)?;
                    Ok((partial, None))
                })),
            },
        ];
        let shared = hybrid::drive(range.end - range.start, &workers, control)?;
        let mut report = setup;
        report.absorb(&shared.report);
        let incomplete = shared.chunks.blocks() < range.end - range.start;
        finish_chunks(shared.chunks, incomplete, Some(report), Some(shared.split))
    }
}

/// A source of ranges relative to a run's range, as block numbers: shifted by the range's start.
// Read by the GPU's streamed reduction only: unused in a build without the `gpu` feature.
#[cfg_attr(not(feature = "gpu"), allow(dead_code))]
struct Shifted<'a, P> {
    source: &'a mut dyn gpu::RangeSource<P>,
    by: u64,
}

impl<P> gpu::RangeSource<P> for Shifted<'_, P> {
    fn next_range(&mut self) -> Option<Range<u64>> {
        self.source.next_range().map(|r| r.start + self.by..r.end + self.by)
    }

    fn finished(&mut self, range: Range<u64>, partial: Option<P>) {
        self.source
            .finished(range.start - self.by..range.end - self.by, partial);
    }
}

/// The kernel's GPU program, or the error of a kernel without one.
pub(super) fn gpu_program<K: Kernel>(kernel: &K) -> Result<&dyn GpuKernel<Partial = K::Partial>> {
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
