//! Runs a [`GpuProgram`](crate::program::GpuProgram) over a block range: dispatches sized to the device's limits and to short
//! submissions, results read back after each one and folded in the fixed tree order.

use std::ops::Range;
use std::sync::mpsc;
use std::time::{Duration, Instant};

use wgpu::util::DeviceExt;

use super::{Gpu, GpuReport};
use crate::error::{GpuError, GpuErrorKind};
use crate::program::{GpuKernel, Precision};
use crate::tree::TreeFold;
use crate::{Error, Result};

/// Most blocks per dispatch, whatever the device allows: bounds the output buffers (a few MiB).
const MAX_BLOCKS_PER_DISPATCH: u64 = 1 << 16;
/// Dispatches grow while they finish faster than this, keeping each well under display watchdogs
/// (typically 2 s) and near the 200 ms the documentation promises.
const TARGET_SUBMISSION: Duration = Duration::from_millis(100);
/// A dispatch that has not finished after this long is treated as a hung device.
const SUBMISSION_TIMEOUT: Duration = Duration::from_secs(120);

/// Bytes of the two resolved timestamps.
const TIMESTAMP_BYTES: u64 = 16;

pub(crate) fn reduce<P: crate::Partial>(
    gpu: &Gpu,
    kernel: &dyn GpuKernel<Partial = P>,
    range: Range<u64>,
    precision: Option<Precision>,
    report: &mut GpuReport,
) -> Result<Option<P>> {
    gpu.check_alive()?;
    let program = kernel.program(&gpu.caps(precision))?;
    report.adapter = gpu.name().to_owned();
    report.api = gpu.api();
    report.precision = Some(program.precision);
    if range.is_empty() {
        return Ok(None);
    }
    let (pipeline, compile) = gpu.pipeline(&program.wgsl)?;
    report.compile_seconds += compile.as_secs_f64();

    let limits = gpu.limits();
    let words = u64::from(program.words_per_block.max(1));
    let data_words = program.block_data.as_ref().map_or(0, |(w, _)| u64::from(*w));
    let binding = limits.max_storage_buffer_binding_size;
    let max_blocks = MAX_BLOCKS_PER_DISPATCH
        .min(u64::from(limits.max_compute_workgroups_per_dimension))
        .min(binding / (words * 4))
        .min(if data_words > 0 {
            binding / (data_words * 4)
        } else {
            u64::MAX
        })
        .max(1);

    let device = &gpu.device;
    let out_bytes = max_blocks * words * 4;
    let timestamps = gpu.has_timestamps();
    let scopes = (
        device.push_error_scope(wgpu::ErrorFilter::OutOfMemory),
        device.push_error_scope(wgpu::ErrorFilter::Validation),
    );
    let dispatch_buffer = device.create_buffer(&wgpu::BufferDescriptor {
        label: Some("hetero dispatch"),
        size: 16,
        usage: wgpu::BufferUsages::UNIFORM | wgpu::BufferUsages::COPY_DST,
        mapped_at_creation: false,
    });
    let mut params = program.params.clone();
    params.resize(params.len().max(4).next_multiple_of(4), 0);
    let params_buffer = device.create_buffer_init(&wgpu::util::BufferInitDescriptor {
        label: Some("hetero params"),
        contents: bytemuck::cast_slice(&params),
        usage: wgpu::BufferUsages::STORAGE,
    });
    let out_buffer = device.create_buffer(&wgpu::BufferDescriptor {
        label: Some("hetero partials"),
        size: out_bytes,
        usage: wgpu::BufferUsages::STORAGE | wgpu::BufferUsages::COPY_SRC,
        mapped_at_creation: false,
    });
    let data_buffer = device.create_buffer(&wgpu::BufferDescriptor {
        label: Some("hetero block data"),
        size: (max_blocks * data_words * 4).max(16),
        usage: wgpu::BufferUsages::STORAGE | wgpu::BufferUsages::COPY_DST,
        mapped_at_creation: false,
    });
    // The device cannot map a storage buffer for reading on every platform, so results go through a
    // staging buffer; the two timestamps, when there are any, ride at its end.
    let stamps_offset = out_bytes.next_multiple_of(8);
    let staging = device.create_buffer(&wgpu::BufferDescriptor {
        label: Some("hetero readback"),
        size: stamps_offset + TIMESTAMP_BYTES,
        usage: wgpu::BufferUsages::MAP_READ | wgpu::BufferUsages::COPY_DST,
        mapped_at_creation: false,
    });
    let queries = timestamps.then(|| {
        let set = device.create_query_set(&wgpu::QuerySetDescriptor {
            label: Some("hetero kernel time"),
            ty: wgpu::QueryType::Timestamp,
            count: 2,
        });
        let resolve = device.create_buffer(&wgpu::BufferDescriptor {
            label: Some("hetero timestamps"),
            size: TIMESTAMP_BYTES,
            usage: wgpu::BufferUsages::QUERY_RESOLVE | wgpu::BufferUsages::COPY_SRC,
            mapped_at_creation: false,
        });
        (set, resolve)
    });
    let bind_group = device.create_bind_group(&wgpu::BindGroupDescriptor {
        label: Some("hetero kernel interface"),
        layout: &gpu.layout,
        entries: &[
            wgpu::BindGroupEntry {
                binding: 0,
                resource: dispatch_buffer.as_entire_binding(),
            },
            wgpu::BindGroupEntry {
                binding: 1,
                resource: params_buffer.as_entire_binding(),
            },
            wgpu::BindGroupEntry {
                binding: 2,
                resource: out_buffer.as_entire_binding(),
            },
            wgpu::BindGroupEntry {
                binding: 3,
                resource: data_buffer.as_entire_binding(),
            },
        ],
    });
    pop_scopes(scopes, "allocating buffers")?;

    // Partials that combine exactly are added up per dispatch and the dispatches' partials combined in
    // order; any other partial goes block by block into the tree over the whole range.
    let mut fold = TreeFold::new();
    let mut total: Option<P> = None;
    let mut kernel_time = Duration::ZERO;
    let mut chunk = 1u64;
    let mut next = range.start;
    let mut block_data = Vec::new();
    while next < range.end {
        let count = chunk.min(range.end - next);
        let upload = Instant::now();
        let [first_lo, first_hi] = crate::program::u64_words(next);
        let header = [first_lo, first_hi, count as u32, 0];
        gpu.queue
            .write_buffer(&dispatch_buffer, 0, bytemuck::cast_slice(&header));
        if let Some((_, write)) = &program.block_data {
            block_data.clear();
            for block in next..next + count {
                write(block, &mut block_data);
            }
            block_data.resize((count * data_words) as usize, 0);
            gpu.queue
                .write_buffer(&data_buffer, 0, bytemuck::cast_slice(&block_data));
        }
        report.upload_seconds += upload.elapsed().as_secs_f64();

        let execute = Instant::now();
        let scopes = (
            device.push_error_scope(wgpu::ErrorFilter::OutOfMemory),
            device.push_error_scope(wgpu::ErrorFilter::Validation),
        );
        let mut encoder = device.create_command_encoder(&wgpu::CommandEncoderDescriptor { label: Some("hetero") });
        {
            let mut pass = encoder.begin_compute_pass(&wgpu::ComputePassDescriptor {
                label: Some("hetero kernel"),
                timestamp_writes: queries.as_ref().map(|(set, _)| wgpu::ComputePassTimestampWrites {
                    query_set: set,
                    beginning_of_pass_write_index: Some(0),
                    end_of_pass_write_index: Some(1),
                }),
            });
            pass.set_pipeline(&pipeline);
            pass.set_bind_group(0, &bind_group, &[]);
            pass.dispatch_workgroups(count as u32, 1, 1);
        }
        let result_bytes = count * words * 4;
        encoder.copy_buffer_to_buffer(&out_buffer, 0, &staging, 0, result_bytes);
        if let Some((set, resolve)) = &queries {
            encoder.resolve_query_set(set, 0..2, resolve, 0);
            encoder.copy_buffer_to_buffer(resolve, 0, &staging, stamps_offset, TIMESTAMP_BYTES);
        }
        let submission = gpu.queue.submit([encoder.finish()]);
        pop_scopes(scopes, "running the kernel")?;

        let (sender, receiver) = mpsc::channel();
        staging.slice(..).map_async(wgpu::MapMode::Read, move |outcome| {
            let _ = sender.send(outcome);
        });
        device
            .poll(wgpu::PollType::Wait {
                submission_index: Some(submission),
                timeout: Some(SUBMISSION_TIMEOUT),
            })
            .map_err(|e| {
                let kind = match e {
                    wgpu::PollError::Timeout => GpuErrorKind::Timeout,
                    _ => GpuErrorKind::Other,
                };
                Error::Gpu(GpuError::new(kind, format!("waiting for the GPU: {e}")).with_source(e))
            })?;
        gpu.check_alive()?;
        // The callback runs on whichever thread polls the device; when another thread sharing the device
        // is polling, it may arrive just after our own poll returns.
        match receiver.recv_timeout(SUBMISSION_TIMEOUT) {
            Ok(Ok(())) => {}
            Ok(Err(e)) => {
                let message = format!("reading results back: {e}");
                return Err(Error::Gpu(
                    GpuError::new(GpuErrorKind::MapFailed, message).with_source(e),
                ));
            }
            Err(_) => {
                return Err(Error::gpu(
                    GpuErrorKind::Timeout,
                    "the GPU did not hand the results back",
                ));
            }
        }
        let elapsed = execute.elapsed();
        report.execute_seconds += elapsed.as_secs_f64();
        report.dispatches += 1;

        let readback = Instant::now();
        {
            let view = staging.slice(..).get_mapped_range().map_err(|e| {
                let message = format!("reading results back: {e}");
                Error::Gpu(GpuError::new(GpuErrorKind::MapFailed, message).with_source(e))
            })?;
            let all: &[u32] = bytemuck::cast_slice(&view);
            let per_block = words as usize;
            let results = &all[..(count as usize * per_block)];
            let host = Instant::now();
            if program.dispatch_fold.is_some() {
                if let Some(part) = program.dispatch_partial(next, results) {
                    total = Some(match total.take() {
                        Some(left) => left.combine(part),
                        None => part,
                    });
                }
            } else {
                for (i, block_words) in results.chunks_exact(per_block).enumerate() {
                    fold.push((program.decode)(next + i as u64, block_words));
                }
            }
            report.host_seconds += host.elapsed().as_secs_f64();
            if queries.is_some() {
                let at = (stamps_offset / 4) as usize;
                let begin = u64::from(all[at]) | (u64::from(all[at + 1]) << 32);
                let end = u64::from(all[at + 2]) | (u64::from(all[at + 3]) << 32);
                let nanos = end.saturating_sub(begin) as f64 * f64::from(gpu.timestamp_period);
                kernel_time += Duration::from_secs_f64(nanos / 1e9);
            }
        }
        staging.unmap();
        report.readback_seconds += readback.elapsed().as_secs_f64();

        next += count;
        // Grow the dispatches while they are short, shrink them when one ran long: the block size fixes
        // the result, so the dispatch size only trades overhead against responsiveness.
        if elapsed < TARGET_SUBMISSION / 2 {
            chunk = (chunk * 2).min(max_blocks);
        } else if elapsed > TARGET_SUBMISSION * 2 {
            chunk = (chunk / 2).max(1);
        }
    }
    if queries.is_some() {
        *report.kernel_seconds.get_or_insert(0.0) += kernel_time.as_secs_f64();
    }
    Ok(match program.dispatch_fold {
        Some(_) => total,
        None => fold.finish(),
    })
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
