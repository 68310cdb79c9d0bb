//! The GPU backend: WGSL compute shaders through wgpu, on any vendor's Vulkan, Metal or DX12 (or GL) driver.
//!
//! A [`Gpu`] holds the instance, adapter, device, queue and every compiled pipeline; an
//! [`Engine`](crate::Engine) creates one on first use (or is handed one) and reuses it, so a second run
//! compiles nothing. Kernels describe their shaders with a [`GpuProgram`], returned by
//! [`GpuKernel::program`], the [`GpuKernel`] a kernel returns from [`Kernel::gpu`](crate::Kernel::gpu).
//!
//! # The shader interface
//!
//! The backend launches **one workgroup per block**, over a contiguous range of blocks split into
//! dispatches. A kernel's shader declares these bindings in group 0:
//!
//! | binding | type | contents |
//! |---|---|---|
//! | 0 | `var<uniform>` | `struct Dispatch { first_block: vec2<u32>, block_count: u32, pad: u32 }`: the dispatch's first block as (low, high) words, and its number of blocks |
//! | 1 | `var<storage, read>` | the kernel's parameters: the words of [`GpuProgram::params`], in any layout the shader declares |
//! | 2 | `var<storage, read_write>` | the output: [`GpuProgram::words_per_block`] 32-bit words for each block of the dispatch, at `workgroup_id.x · words_per_block` |
//! | 3 | `var<storage, read>` | optional per-block data written by the host for each dispatch ([`GpuProgram::with_block_data`]) |
//!
//! After each dispatch the host reads the output back and calls [`GpuProgram::new`]'s `decode` on each block's
//! words; the decoded partials are combined in the same fixed tree as on the CPU. [`shaders::BLOCK`] gives a
//! shader its block's 64-bit index (`block_of(workgroup_id.x)`); on the host, [`assemble`] writes one shader
//! for both precisions over `real`, [`param_words`] and [`u64_words`] lay out the parameters, and
//! [`real_at`] decodes the floats a block wrote.
//!
//! Results agree with the CPU exactly where the arithmetic is integer (Monte Carlo hit counts), and within a
//! bound derived for the precision otherwise (`Simpson::gpu_bound`, `Leibniz::gpu_bound`).
//! `examples/gpu_kernel.rs` is a complete kernel of one's own with its WGSL.

#[cfg(not(feature = "gpu"))]
mod absent;
#[cfg(feature = "gpu")]
mod device;
#[cfg(feature = "gpu")]
mod exec;

use std::ops::Range;

pub use crate::program::{
    BlockDataFn, DecodeFn, DispatchFoldFn, GpuCaps, GpuKernel, GpuProgram, Precision, WgslProgram, assemble,
    param_words, real_at, real_words, u64_words, unit_roundoff,
};

/// The WGSL sources hetero ships, for kernels of one's own to build on.
pub mod shaders {
    pub use crate::shaders::*;
}

#[cfg(not(feature = "gpu"))]
pub use absent::{Gpu, adapters};
#[cfg(not(feature = "gpu"))]
pub(crate) use absent::{reduce, reduce_stream, reduce_watched};
#[cfg(feature = "gpu")]
pub use device::{Gpu, adapters};
#[cfg(feature = "gpu")]
pub(crate) use exec::{reduce, reduce_stream, reduce_watched};

/// Where a streamed reduction (`reduce_stream`) takes its block ranges and hands back their partials.
// Read by the GPU's streamed reduction only: unused in a build without the `gpu` feature.
#[cfg_attr(not(feature = "gpu"), allow(dead_code))]
pub(crate) trait RangeSource<P> {
    /// The next range to compute, asked for when the last one is all dispatched; `None` when there is
    /// none (then none is asked for again).
    fn next_range(&mut self) -> Option<Range<u64>>;
    /// The partial of `range` (`None` for an empty one), once all its blocks are read back: in the order
    /// the ranges were given.
    fn finished(&mut self, range: Range<u64>, partial: Option<P>);
}

/// Which adapter to use.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum AdapterChoice {
    /// The best one: discrete GPU, then integrated, then virtual, then software (CPU) adapters; Vulkan,
    /// Metal and DX12 before GL.
    #[default]
    Auto,
    /// The adapter at this position of [`adapters`]'s list.
    Index(usize),
    /// The first adapter whose name contains this text (case-insensitive).
    Name(String),
}

impl std::str::FromStr for AdapterChoice {
    type Err = std::convert::Infallible;

    /// `auto`, an index, or part of a name.
    fn from_str(s: &str) -> std::result::Result<Self, Self::Err> {
        Ok(if s.eq_ignore_ascii_case("auto") {
            AdapterChoice::Auto
        } else if let Ok(i) = s.parse() {
            AdapterChoice::Index(i)
        } else {
            AdapterChoice::Name(s.to_owned())
        })
    }
}

/// One adapter as `hetero devices` lists it.
#[derive(Clone, Debug, serde::Serialize)]
#[non_exhaustive]
pub struct AdapterSummary {
    /// Position in the list, for `--adapter INDEX`.
    pub index: usize,
    /// The adapter's name.
    pub name: String,
    /// Vulkan, Metal, Dx12 or Gl.
    pub backend: String,
    /// DiscreteGpu, IntegratedGpu, VirtualGpu, Cpu or Other.
    pub device_type: String,
    /// The driver and its version.
    pub driver: String,
    /// 64-bit float shaders.
    pub shader_f64: bool,
    /// 64-bit integer shaders.
    pub shader_int64: bool,
    /// Timestamp queries (kernel timing).
    pub timestamp_query: bool,
    /// Largest workgroup count per dispatch dimension.
    pub max_workgroups_per_dimension: u32,
    /// Largest invocation count per workgroup.
    pub max_invocations_per_workgroup: u32,
    /// Largest storage buffer binding, in bytes.
    pub max_storage_buffer_binding_size: u64,
    /// Largest buffer, in bytes.
    pub max_buffer_size: u64,
}

/// What to say when no adapter is found.
pub const NO_ADAPTER_HELP: &str = "no GPU adapter found (looked for Vulkan, Metal, DX12 and GL adapters through \
wgpu); install a GPU driver, or the software Vulkan driver (Debian/Ubuntu: apt-get install mesa-vulkan-drivers \
libvulkan1), and check with 'hetero devices'";

/// How a GPU run spent its time.
#[derive(Clone, Debug, Default, serde::Serialize)]
#[non_exhaustive]
pub struct GpuReport {
    /// The adapter's name.
    pub adapter: String,
    /// The graphics API.
    pub api: String,
    /// The precision the program ran in.
    pub precision: Option<Precision>,
    /// Finding the adapter and creating the device, when this run did it (zero once the engine has a device).
    pub setup_seconds: f64,
    /// Compiling the pipeline (zero when it was cached).
    pub compile_seconds: f64,
    /// Writing parameters and per-block data.
    pub upload_seconds: f64,
    /// From submitting each dispatch to its results being readable, summed.
    pub execute_seconds: f64,
    /// Reading results back and combining them, summed (the combining alone is `host_seconds`).
    pub readback_seconds: f64,
    /// Combining the blocks' results into partials on the host, summed: the host work per dispatch that
    /// the GPU may wait for.
    pub host_seconds: f64,
    /// Time the shaders ran, from timestamp queries, where the adapter has them.
    pub kernel_seconds: Option<f64>,
    /// Dispatches submitted.
    pub dispatches: u32,
}

impl GpuReport {
    /// The floating precision the run's arithmetic used: `None` for exact (integer) arithmetic.
    pub fn float_precision(&self) -> Option<Precision> {
        self.precision.filter(|&p| p != Precision::Exact)
    }

    /// Adds `more`, when there is one, to `total`, which starts empty.
    pub(crate) fn add_to(total: &mut Option<GpuReport>, more: Option<&GpuReport>) {
        if let Some(more) = more {
            total.get_or_insert_with(GpuReport::default).absorb(more);
        }
    }

    /// Adds the times of `other`, a later call on the same device, to these.
    pub fn absorb(&mut self, other: &GpuReport) {
        if self.adapter.is_empty() {
            self.adapter.clone_from(&other.adapter);
            self.api.clone_from(&other.api);
        }
        self.precision = self.precision.or(other.precision);
        self.setup_seconds += other.setup_seconds;
        self.compile_seconds += other.compile_seconds;
        self.upload_seconds += other.upload_seconds;
        self.execute_seconds += other.execute_seconds;
        self.readback_seconds += other.readback_seconds;
        self.host_seconds += other.host_seconds;
        self.kernel_seconds = match (self.kernel_seconds, other.kernel_seconds) {
            (Some(a), Some(b)) => Some(a + b),
            (a, b) => a.or(b),
        };
        self.dispatches += other.dispatches;
    }
}
