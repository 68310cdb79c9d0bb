//! Runs a [`GpuProgram`](crate::program::GpuProgram) over a block range, or over the ranges a source hands
//! out one after another: dispatches sized to the device's limits and to short submissions, two in flight
//! (one runs while the host reads back and combines the one before, also across ranges), in buffers made
//! once per device and reused; results combined in the fixed order.

use std::collections::VecDeque;
use std::ops::Range;
use std::sync::mpsc;
use std::time::{Duration, Instant};

use super::{Gpu, GpuReport, RangeSource};
use crate::control::{Control, Progress};
use crate::error::{GpuError, GpuErrorKind};
use crate::program::{GpuKernel, GpuProgram, Precision};
use crate::tree::{TreeFold, append};
use crate::{Error, Result};

/// Most blocks per dispatch, whatever the device allows: bounds the output buffers (a few MiB).
const MAX_BLOCKS_PER_DISPATCH: u64 = 1 << 16;
/// Dispatches grow while they finish faster than this, keeping each well under display watchdogs
/// (typically 2 s) and near the 200 ms the documentation promises.
const TARGET_SUBMISSION: Duration = Duration::from_millis(100);
/// A dispatch that has not finished after this long is treated as a hung device.
const SUBMISSION_TIMEOUT: Duration = Duration::from_secs(120);

/// How often a wait for a shader's compilation looks at the stop flag (it may take seconds).
pub(super) const STOP_POLL: Duration = Duration::from_millis(20);

/// The longest pause between two looks at a running dispatch.
const MAX_PAUSE: Duration = Duration::from_millis(1);

/// Bytes of the two resolved timestamps.
const TIMESTAMP_BYTES: u64 = 16;

/// What one reduction needs of its buffers, in bytes.
#[derive(Clone, Copy, PartialEq)]
struct Sizes {
    out: u64,
    data: u64,
    params: u64,
}

impl Sizes {
    /// The larger of each size, so that buffers grown for one program still fit the ones before.
    fn max(self, other: Sizes) -> Sizes {
        Sizes {
            out: self.out.max(other.out),
            data: self.data.max(other.data),
            params: self.params.max(other.params),
        }
    }

    fn fit_in(self, other: Sizes) -> bool {
        self.out <= other.out && self.data <= other.data && self.params <= other.params
    }
}

/// The buffers, query set and bind group of a reduction: made once per device and reused. Two staging
/// buffers, so that one dispatch's results are read back while the next one runs.
pub(crate) struct Buffers {
    sizes: Sizes,
    dispatch: wgpu::Buffer,
    params: wgpu::Buffer,
    out: wgpu::Buffer,
    data: wgpu::Buffer,
    staging: [wgpu::Buffer; 2],
    queries: Option<(wgpu::QuerySet, wgpu::Buffer)>,
    bind_group: wgpu::BindGroup,
}

impl Buffers {
    fn new(gpu: &Gpu, sizes: Sizes) -> Result<Self> {
        let device = &gpu.device;
        let scopes = (
            device.push_error_scope(wgpu::ErrorFilter::OutOfMemory),
            device.push_error_scope(wgpu::ErrorFilter::Validation),
        );
        let buffer = |label, size: u64, usage| {
            device.create_buffer(&wgpu::BufferDescriptor {
                label: Some(label),
                size: size.max(16),
                usage,
                mapped_at_creation: false,
            })
        };
        use wgpu::BufferUsages as U;
        let dispatch = buffer("hetero dispatch", 16, U::UNIFORM | U::COPY_DST);
        let params = buffer("hetero params", sizes.params, U::STORAGE | U::COPY_DST);
        let out = buffer("hetero partials", sizes.out, U::STORAGE | U::COPY_SRC);
        let data = buffer("hetero block data", sizes.data, U::STORAGE | U::COPY_DST);
        // The device cannot map a storage buffer for reading on every platform, so results go through
        // staging buffers; the two timestamps, when there are any, ride at their end.
        let staging_bytes = sizes.out.next_multiple_of(8) + TIMESTAMP_BYTES;
        let staging = [0, 1].map(|_| buffer("hetero readback", staging_bytes, U::MAP_READ | U::COPY_DST));
        let queries = gpu.has_timestamps().then(|| {
            let set = device.create_query_set(&wgpu::QuerySetDescriptor {
                label: Some("hetero kernel time"),
                ty: wgpu::QueryType::Timestamp,
                count: 2,
            });
            let resolve = buffer("hetero timestamps", TIMESTAMP_BYTES, U::QUERY_RESOLVE | U::COPY_SRC);
            (set, resolve)
        });
        let entries = [&dispatch, &params, &out, &data]
            .into_iter()
            .enumerate()
            .map(|(binding, buffer)| wgpu::BindGroupEntry {
                binding: binding as u32,
                resource: buffer.as_entire_binding(),
            })
            .collect::<Vec<_>>();
        let bind_group = device.create_bind_group(&wgpu::BindGroupDescriptor {
            label: Some("hetero kernel interface"),
            layout: &gpu.layout,
            entries: &entries,
        });
        pop_scopes(scopes, "allocating buffers")?;
        Ok(Buffers {
            sizes,
            dispatch,
            params,
            out,
            data,
            staging,
            queries,
            bind_group,
        })
    }

    /// Where the timestamps lie in a staging buffer.
    fn stamps_offset(&self) -> u64 {
        self.sizes.out.next_multiple_of(8)
    }
}

/// A dispatch submitted and not yet read back.
struct InFlight {
    staging: usize,
    first: u64,
    count: u64,
    /// Whether it is the last dispatch of its range.
    last: bool,
    mapped: mpsc::Receiver<std::result::Result<(), wgpu::BufferAsyncError>>,
}

/// Dispatches submitted ahead of the one being read back: while the host reads back and combines one
/// dispatch's results, the next one runs.
const IN_FLIGHT: usize = 2;

/// The partial of blocks `range` of `kernel` on `gpu`, in one uninterrupted pass.
pub(crate) fn reduce<P: crate::Partial>(
    gpu: &Gpu,
    kernel: &dyn GpuKernel<Partial = P>,
    range: Range<u64>,
    precision: Option<Precision>,
    report: &mut GpuReport,
) -> Result<Option<P>> {
    reduce_watched(gpu, kernel, range, precision, report, &Control::new()).map(|(partial, _)| partial)
}

/// [`reduce`], reporting progress to `control` after each dispatch and stopping when its flag is raised:
/// no dispatch is submitted after that, the ones in flight are read back, and the partial of the blocks
/// done from the range's start is returned with their count. One pipeline of dispatches for the whole
/// range, however often progress is reported.
pub(crate) fn reduce_watched<P: crate::Partial>(
    gpu: &Gpu,
    kernel: &dyn GpuKernel<Partial = P>,
    range: Range<u64>,
    precision: Option<Precision>,
    report: &mut GpuReport,
    control: &Control,
) -> Result<(Option<P>, u64)> {
    /// One range, and its partial once finished.
    struct One<P> {
        range: Option<Range<u64>>,
        partial: Option<Option<P>>,
    }
    impl<P> RangeSource<P> for One<P> {
        fn next_range(&mut self) -> Option<Range<u64>> {
            self.range.take()
        }
        fn finished(&mut self, _: Range<u64>, partial: Option<P>) {
            self.partial = Some(partial);
        }
    }
    let len = range.end - range.start;
    let mut one = One {
        range: Some(range),
        partial: None,
    };
    let open = reduce_stream(gpu, kernel, &mut one, len, precision, report, control)?;
    // Stopped inside the range: the blocks read back from its start.
    Ok(match (one.partial, open) {
        (Some(partial), _) => (partial, len),
        (None, Some((done, partial))) => (partial, done.end - done.start),
        (None, None) => (None, 0),
    })
}

/// Computes the ranges `source` hands out, as one pipeline of dispatches however many ranges there are:
/// the next range's first dispatch is submitted while the last one's are still running, and each
/// range's partial is handed back when its last dispatch is read back. No range is asked for after
/// `control`'s flag is raised; the ones in flight are read back, and the part of the one left unfinished
/// comes back (its blocks from its start, and their partial). `blocks` is what progress counts against.
pub(crate) fn reduce_stream<P: crate::Partial>(
    gpu: &Gpu,
    kernel: &dyn GpuKernel<Partial = P>,
    source: &mut dyn RangeSource<P>,
    blocks: u64,
    precision: Option<Precision>,
    report: &mut GpuReport,
    control: &Control,
) -> Result<Option<(Range<u64>, Option<P>)>> {
    gpu.check_alive()?;
    let program = kernel.program(&gpu.caps(precision))?;
    report.adapter = gpu.name().to_owned();
    report.api = gpu.api();
    report.precision = Some(program.precision);
    let Some((pipeline, compile)) = gpu.pipeline(&program.wgsl, control)? else {
        return Ok(None);
    };
    report.compile_seconds += compile.as_secs_f64();

    let words = u64::from(program.words_per_block.max(1));
    let data_words = program.block_data.as_ref().map_or(0, |(w, _)| u64::from(*w));
    let max_blocks = dispatch_limit(gpu, words, data_words);
    let mut params = program.params.clone();
    params.resize(params.len().max(4).next_multiple_of(4), 0);
    let sizes = Sizes {
        out: max_blocks * words * 4,
        data: max_blocks * data_words * 4,
        params: (params.len() * 4) as u64,
    };

    // The device's buffers when no other call holds them (grown if this program needs more), else
    // buffers of this call's own.
    let mut shared = match gpu.buffers.try_lock() {
        Ok(guard) => Some(guard),
        Err(std::sync::TryLockError::Poisoned(e)) => Some(e.into_inner()),
        Err(std::sync::TryLockError::WouldBlock) => None,
    };
    let own;
    let buffers: &Buffers = match shared.as_deref_mut() {
        Some(slot) => {
            let grown = match slot.as_ref() {
                Some(existing) if sizes.fit_in(existing.sizes) => None,
                Some(existing) => Some(sizes.max(existing.sizes)),
                None => Some(sizes),
            };
            if let Some(grown) = grown {
                *slot = Some(Buffers::new(gpu, grown)?);
            }
            match slot.as_ref() {
                Some(buffers) => buffers,
                None => return Err(Error::Internal("GPU buffers missing after their creation".to_owned())),
            }
        }
        None => {
            own = Buffers::new(gpu, sizes)?;
            &own
        }
    };
    gpu.queue
        .write_buffer(&buffers.params, 0, bytemuck::cast_slice(&params));
    let outcome = dispatch_all(gpu, &program, &pipeline, buffers, source, blocks, report, control);
    // A failure or a stop may leave a read-back pending on a staging buffer: such buffers are not kept.
    if (outcome.is_err() || control.stopped())
        && let Some(slot) = shared.as_deref_mut()
    {
        *slot = None;
    }
    outcome
}

/// The most blocks one dispatch of a program with `words` output words and `data_words` words of block
/// data per block may have on `gpu`.
fn dispatch_limit(gpu: &Gpu, words: u64, data_words: u64) -> u64 {
    let limits = gpu.limits();
    let binding = limits.max_storage_buffer_binding_size;
    MAX_BLOCKS_PER_DISPATCH
        .min(u64::from(limits.max_compute_workgroups_per_dimension))
        .min(binding / (words * 4))
        .min(if data_words > 0 {
            binding / (data_words * 4)
        } else {
            u64::MAX
        })
        .max(1)
}

/// Runs `program` over the ranges of `source` in `buffers` (its parameters written already): the dispatch
/// loop of [`reduce_stream`]. Each turn keeps [`IN_FLIGHT`] dispatches queued, waits for the oldest, reads
/// it back and folds it, hands a finished range back to the source, reports progress and resizes the
/// dispatches.
#[allow(clippy::too_many_arguments)]
fn dispatch_all<P: crate::Partial>(
    gpu: &Gpu,
    program: &GpuProgram<'_, P>,
    pipeline: &wgpu::ComputePipeline,
    buffers: &Buffers,
    source: &mut dyn RangeSource<P>,
    blocks: u64,
    report: &mut GpuReport,
    control: &Control,
) -> Result<Option<(Range<u64>, Option<P>)>> {
    let started = Instant::now();
    let mut dispatches = Dispatches::new(gpu, program, pipeline, buffers);
    let mut last_done = Instant::now();
    loop {
        // The first dispatch of a call runs alone: a driver may compile the pipeline when it first runs
        // (lavapipe: seconds for a long expression), and a submission queued behind it would block the
        // host, stop flag unseen, until then; waiting for it alone looks at the flag as it goes.
        let depth = if dispatches.read_blocks > 0 { IN_FLIGHT } else { 1 };
        while dispatches.in_flight.len() < depth && dispatches.ready(source, control) {
            dispatches.submit(report)?;
        }
        let Some(done) = dispatches.in_flight.pop_front() else {
            break;
        };
        let waiting = Instant::now();
        let finished = dispatches.wait(&done, control)?;
        report.execute_seconds += waiting.elapsed().as_secs_f64();
        if !finished {
            // Stopped while a dispatch runs (the first of a pipeline may compile for seconds): the ones in
            // flight are abandoned, and the blocks read back so far are what comes back.
            break;
        }
        // With dispatches queued back to back, the time between two completions is one dispatch's.
        let elapsed = last_done.elapsed();
        last_done = Instant::now();
        dispatches.read_back(&done, report)?;
        dispatches.retire(&done, source);
        control.report(Progress {
            done: dispatches.read_blocks,
            blocks,
            elapsed: started.elapsed(),
        });
        dispatches.resize(&done, elapsed);
    }
    Ok(dispatches.finish(report))
}

/// The dispatches of one program over the ranges a source hands out: what is submitted, what is in
/// flight, and what has been read back and folded.
struct Dispatches<'a, 'k, P> {
    gpu: &'a Gpu,
    program: &'a GpuProgram<'k, P>,
    pipeline: &'a wgpu::ComputePipeline,
    buffers: &'a Buffers,
    /// Output words per block, and words of block data per block.
    words: u64,
    data_words: u64,
    /// The most blocks a dispatch may have, and the blocks the next one has: grown while dispatches are
    /// short, shrunk when one runs long (remembered per program on the device).
    max_blocks: u64,
    chunk: u64,
    /// The range being dispatched, and its first block not yet dispatched.
    current: Range<u64>,
    next: u64,
    /// The ranges dispatched and not yet all read back: the first is being read back, from block `read`.
    pending: VecDeque<Range<u64>>,
    read: u64,
    /// Whether the source may have more ranges.
    more: bool,
    in_flight: VecDeque<InFlight>,
    /// The staging buffer the next dispatch copies its results to.
    staging: usize,
    /// The block data of one dispatch, reused.
    block_data: Vec<u32>,
    /// What has been read back of the first pending range: partials that combine exactly are folded per
    /// dispatch and the dispatches' partials combined in order (`total`); any other partial goes block by
    /// block into the tree over its whole range (`fold`).
    fold: TreeFold<P>,
    total: Option<P>,
    /// Blocks read back, over every range.
    read_blocks: u64,
    kernel_time: Duration,
}

impl<'a, 'k, P: crate::Partial> Dispatches<'a, 'k, P> {
    fn new(
        gpu: &'a Gpu,
        program: &'a GpuProgram<'k, P>,
        pipeline: &'a wgpu::ComputePipeline,
        buffers: &'a Buffers,
    ) -> Self {
        let words = u64::from(program.words_per_block.max(1));
        let data_words = program.block_data.as_ref().map_or(0, |(w, _)| u64::from(*w));
        let max_blocks = dispatch_limit(gpu, words, data_words);
        let chunk = gpu
            .dispatch_blocks
            .lock()
            .ok()
            .and_then(|sizes| sizes.get(&Gpu::pipeline_key(&program.wgsl)).copied())
            .unwrap_or(1)
            .clamp(1, max_blocks);
        Dispatches {
            gpu,
            program,
            pipeline,
            buffers,
            words,
            data_words,
            max_blocks,
            chunk,
            current: 0..0,
            next: 0,
            pending: VecDeque::new(),
            read: 0,
            more: true,
            in_flight: VecDeque::new(),
            staging: 0,
            block_data: Vec::new(),
            fold: TreeFold::new(),
            total: None,
            read_blocks: 0,
            kernel_time: Duration::ZERO,
        }
    }

    /// Whether there are blocks to dispatch and `control` has not stopped the run: those left of the
    /// current range, else the next non-empty range of `source` (empty ones are handed back at once),
    /// which becomes current. No range is asked for once `control` has stopped.
    fn ready(&mut self, source: &mut dyn RangeSource<P>, control: &Control) -> bool {
        if control.stopped() {
            return false;
        }
        while self.next == self.current.end {
            if !self.more || control.stopped() {
                return false;
            }
            match source.next_range() {
                Some(range) if range.is_empty() => source.finished(range, None),
                Some(range) => {
                    if self.pending.is_empty() {
                        self.read = range.start;
                    }
                    self.next = range.start;
                    self.current = range.clone();
                    self.pending.push_back(range);
                }
                None => self.more = false,
            }
        }
        true
    }

    /// Submits a dispatch of the current range's next blocks (at most `chunk` of them), its results
    /// copied to the next staging buffer, which is then mapped for reading.
    fn submit(&mut self, report: &mut GpuReport) -> Result<()> {
        let (gpu, buffers) = (self.gpu, self.buffers);
        let device = &gpu.device;
        let first = self.next;
        let count = self.chunk.min(self.current.end - first);
        let upload = Instant::now();
        let [first_lo, first_hi] = crate::program::u64_words(first);
        let header = [first_lo, first_hi, count as u32, 0];
        // Writes reach the device in queue order: after the dispatches before, before this one.
        gpu.queue
            .write_buffer(&buffers.dispatch, 0, bytemuck::cast_slice(&header));
        if let Some((_, write)) = &self.program.block_data {
            self.block_data.clear();
            for block in first..first + count {
                write(block, &mut self.block_data);
            }
            self.block_data.resize((count * self.data_words) as usize, 0);
            gpu.queue
                .write_buffer(&buffers.data, 0, bytemuck::cast_slice(&self.block_data));
        }
        report.upload_seconds += upload.elapsed().as_secs_f64();

        let scopes = (
            device.push_error_scope(wgpu::ErrorFilter::OutOfMemory),
            device.push_error_scope(wgpu::ErrorFilter::Validation),
        );
        let mut encoder = device.create_command_encoder(&wgpu::CommandEncoderDescriptor { label: Some("hetero") });
        {
            let mut pass = encoder.begin_compute_pass(&wgpu::ComputePassDescriptor {
                label: Some("hetero kernel"),
                timestamp_writes: buffers
                    .queries
                    .as_ref()
                    .map(|(set, _)| wgpu::ComputePassTimestampWrites {
                        query_set: set,
                        beginning_of_pass_write_index: Some(0),
                        end_of_pass_write_index: Some(1),
                    }),
            });
            pass.set_pipeline(self.pipeline);
            pass.set_bind_group(0, &buffers.bind_group, &[]);
            pass.dispatch_workgroups(count as u32, 1, 1);
        }
        let target = &buffers.staging[self.staging];
        encoder.copy_buffer_to_buffer(&buffers.out, 0, target, 0, count * self.words * 4);
        if let Some((set, resolve)) = &buffers.queries {
            encoder.resolve_query_set(set, 0..2, resolve, 0);
            encoder.copy_buffer_to_buffer(resolve, 0, target, buffers.stamps_offset(), TIMESTAMP_BYTES);
        }
        gpu.queue.submit([encoder.finish()]);
        pop_scopes(scopes, "running the kernel")?;
        let (sender, mapped) = mpsc::channel();
        target.slice(..).map_async(wgpu::MapMode::Read, move |outcome| {
            let _ = sender.send(outcome);
        });
        self.in_flight.push_back(InFlight {
            staging: self.staging,
            first,
            count,
            last: first + count == self.current.end,
            mapped,
        });
        report.dispatches += 1;
        self.next += count;
        self.staging = (self.staging + 1) % IN_FLIGHT;
        Ok(())
    }

    /// Waits until `done` has run and its staging buffer is mapped: `true`; or until `control`'s flag is
    /// raised: `false` (the dispatch is left running). The mapping's callback says when it is done: the
    /// device is polled without blocking (a blocking wait races, inside wgpu, with submissions from other
    /// threads sharing the device), with pauses growing from 20 µs to 1 ms, until the callback has run, on
    /// this thread or on another that polls. So a stop is seen within a millisecond, also while the first
    /// dispatch of a new pipeline compiles it (on some drivers, for seconds).
    fn wait(&self, done: &InFlight, control: &Control) -> Result<bool> {
        let started = Instant::now();
        let mut pause = Duration::from_micros(20);
        loop {
            if let Err(e) = self.gpu.device.poll(wgpu::PollType::Poll) {
                let message = format!("waiting for the GPU: {e}");
                return Err(Error::Gpu(GpuError::new(GpuErrorKind::Other, message).with_source(e)));
            }
            match done.mapped.try_recv() {
                Ok(Ok(())) => return Ok(true),
                Ok(Err(e)) => {
                    let message = format!("reading results back: {e}");
                    return Err(Error::Gpu(
                        GpuError::new(GpuErrorKind::MapFailed, message).with_source(e),
                    ));
                }
                Err(mpsc::TryRecvError::Disconnected) => {
                    return Err(Error::gpu(GpuErrorKind::MapFailed, "the GPU dropped a read-back"));
                }
                Err(mpsc::TryRecvError::Empty) => {}
            }
            self.gpu.check_alive()?;
            if control.stopped() {
                return Ok(false);
            }
            if started.elapsed() > SUBMISSION_TIMEOUT {
                return Err(Error::gpu(
                    GpuErrorKind::Timeout,
                    format!("the GPU did not hand the results back within {SUBMISSION_TIMEOUT:?}"),
                ));
            }
            std::thread::sleep(pause);
            pause = (pause * 2).min(MAX_PAUSE);
        }
    }

    /// Reads back `done`'s results and folds them (and its kernel time, where the device has timestamps),
    /// then unmaps its staging buffer.
    fn read_back(&mut self, done: &InFlight, report: &mut GpuReport) -> Result<()> {
        let readback = Instant::now();
        let buffers = self.buffers;
        let staged = &buffers.staging[done.staging];
        {
            let view = staged.slice(..).get_mapped_range().map_err(|e| {
                let message = format!("reading results back: {e}");
                Error::Gpu(GpuError::new(GpuErrorKind::MapFailed, message).with_source(e))
            })?;
            let all: &[u32] = bytemuck::cast_slice(&view);
            let per_block = self.words as usize;
            let results = &all[..(done.count as usize * per_block)];
            let host = Instant::now();
            if self.program.dispatch_fold.is_some() {
                if let Some(part) = self.program.dispatch_partial(done.first, results) {
                    append(&mut self.total, part);
                }
            } else {
                for (i, block_words) in results.chunks_exact(per_block).enumerate() {
                    self.fold
                        .push((self.program.decode)(done.first + i as u64, block_words));
                }
            }
            report.host_seconds += host.elapsed().as_secs_f64();
            if buffers.queries.is_some() {
                let at = (buffers.stamps_offset() / 4) as usize;
                let begin = u64::from(all[at]) | (u64::from(all[at + 1]) << 32);
                let end = u64::from(all[at + 2]) | (u64::from(all[at + 3]) << 32);
                let nanos = end.saturating_sub(begin) as f64 * f64::from(self.gpu.timestamp_period);
                self.kernel_time += Duration::from_secs_f64(nanos / 1e9);
            }
        }
        staged.unmap();
        report.readback_seconds += readback.elapsed().as_secs_f64();
        self.read = done.first + done.count;
        self.read_blocks += done.count;
        Ok(())
    }

    /// The partial of what has been read back of the first pending range.
    fn take_partial(&mut self) -> Option<P> {
        match self.program.dispatch_fold {
            Some(_) => self.total.take(),
            None => std::mem::take(&mut self.fold).finish(),
        }
    }

    /// Hands the first pending range and its partial back to `source` when `done` was its last dispatch.
    fn retire(&mut self, done: &InFlight, source: &mut dyn RangeSource<P>) {
        if done.last
            && let Some(range) = self.pending.pop_front()
        {
            let partial = self.take_partial();
            source.finished(range, partial);
            if let Some(following) = self.pending.front() {
                self.read = following.start;
            }
        }
    }

    /// Grows the dispatches while they are short and shrinks them when one ran long: the block size fixes
    /// the result, so the dispatch size only trades overhead against responsiveness. Only a dispatch of
    /// the full size says how long that size takes (the last of a range is cut).
    fn resize(&mut self, done: &InFlight, elapsed: Duration) {
        if elapsed < TARGET_SUBMISSION / 2 && done.count >= self.chunk {
            self.chunk = (self.chunk * 2).min(self.max_blocks);
        } else if elapsed > TARGET_SUBMISSION * 2 {
            self.chunk = (self.chunk / 2).max(1);
        }
    }

    /// Remembers the dispatch size for the program's next run and adds the kernel time to `report`; the
    /// range left unfinished (stopped), if any, comes back as its blocks read back from its start (they
    /// are read back in order) and their partial.
    fn finish(mut self, report: &mut GpuReport) -> Option<(Range<u64>, Option<P>)> {
        if let Ok(mut sizes) = self.gpu.dispatch_blocks.lock() {
            sizes.insert(Gpu::pipeline_key(&self.program.wgsl), self.chunk);
        }
        if self.buffers.queries.is_some() {
            *report.kernel_seconds.get_or_insert(0.0) += self.kernel_time.as_secs_f64();
        }
        let range = self.pending.front()?.start..self.read;
        Some((range, self.take_partial()))
    }
}

/// Pops an (out-of-memory, validation) pair of error scopes, innermost first.
fn pop_scopes(scopes: (wgpu::ErrorScopeGuard, wgpu::ErrorScopeGuard), doing: &str) -> Result<()> {
    let (memory, validation) = scopes;
    let validation = pollster::block_on(validation.pop());
    let memory = pollster::block_on(memory.pop());
    match (memory, validation) {
        (Some(e), _) => Err(Error::gpu(
            GpuErrorKind::OutOfMemory,
            format!("out of GPU memory while {doing}: {e}"),
        )),
        (None, Some(e)) => Err(Error::gpu(GpuErrorKind::Other, format!("GPU error while {doing}: {e}"))),
        (None, None) => Ok(()),
    }
}
