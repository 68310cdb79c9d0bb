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
//! words; the decoded partials are combined in the same fixed tree as on the CPU.
//!
//! Results agree with the CPU exactly where the arithmetic is integer (Monte Carlo hit counts), and within a
//! bound derived for the precision otherwise (`Simpson::gpu_bound`, `Leibniz::gpu_bound`).
//! `examples/gpu_kernel.rs` is a complete kernel of one's own with its WGSL.

mod exec;

use std::collections::HashMap;
use std::hash::{Hash, Hasher};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

pub use crate::program::{
    BlockDataFn, DecodeFn, DispatchFoldFn, GpuCaps, GpuKernel, GpuProgram, Precision, WgslProgram, unit_roundoff,
};

/// The WGSL sources hetero ships, for kernels of one's own to build on.
pub mod shaders {
    pub use crate::shaders::*;
}

pub(crate) use exec::{RangeSource, reduce, reduce_stream, reduce_watched};

use crate::error::{GpuError, GpuErrorKind};
use crate::{Error, Result};

/// Which adapter to use.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
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

/// An instance for `backends`, unless the `WGPU_BACKEND` environment variable names others.
fn instance(backends: wgpu::Backends) -> wgpu::Instance {
    let mut descriptor = wgpu::InstanceDescriptor::new_without_display_handle_from_env();
    if std::env::var_os("WGPU_BACKEND").is_none() {
        descriptor.backends = backends;
    }
    wgpu::Instance::new(descriptor)
}

/// Lower is better: hardware before software, native APIs before GL.
fn rank(info: &wgpu::AdapterInfo) -> (u8, u8) {
    let device = match info.device_type {
        wgpu::DeviceType::DiscreteGpu => 0,
        wgpu::DeviceType::IntegratedGpu => 1,
        wgpu::DeviceType::VirtualGpu => 2,
        wgpu::DeviceType::Other => 3,
        wgpu::DeviceType::Cpu => 4,
    };
    let api = match info.backend {
        wgpu::Backend::Vulkan | wgpu::Backend::Metal | wgpu::Backend::Dx12 => 0,
        _ => 1,
    };
    (device, api)
}

/// Every adapter, best first (the order [`AdapterChoice::Index`] counts in).
fn ranked_adapters() -> Vec<wgpu::Adapter> {
    let mut adapters = pollster::block_on(instance(wgpu::Backends::all()).enumerate_adapters(wgpu::Backends::all()));
    adapters.sort_by_key(|a| rank(&a.get_info()));
    adapters
}

/// The best adapter, looking at GL only when no Vulkan, Metal or DX12 adapter exists (GL drivers are the
/// last resort, and probing them can print driver noise).
fn best_adapter() -> Option<wgpu::Adapter> {
    let mut primary = pollster::block_on(instance(wgpu::Backends::PRIMARY).enumerate_adapters(wgpu::Backends::all()));
    primary.sort_by_key(|a| rank(&a.get_info()));
    primary
        .into_iter()
        .next()
        .or_else(|| ranked_adapters().into_iter().next())
}

/// Lists every adapter wgpu finds, best first.
pub fn adapters() -> Vec<AdapterSummary> {
    ranked_adapters()
        .iter()
        .enumerate()
        .map(|(index, adapter)| {
            let info = adapter.get_info();
            let features = adapter.features();
            let limits = adapter.limits();
            AdapterSummary {
                index,
                name: info.name.clone(),
                backend: format!("{:?}", info.backend),
                device_type: format!("{:?}", info.device_type),
                driver: format!("{} {}", info.driver, info.driver_info).trim().to_owned(),
                shader_f64: features.contains(wgpu::Features::SHADER_F64),
                shader_int64: features.contains(wgpu::Features::SHADER_INT64),
                timestamp_query: features.contains(wgpu::Features::TIMESTAMP_QUERY),
                max_workgroups_per_dimension: limits.max_compute_workgroups_per_dimension,
                max_invocations_per_workgroup: limits.max_compute_invocations_per_workgroup,
                max_storage_buffer_binding_size: limits.max_storage_buffer_binding_size,
                max_buffer_size: limits.max_buffer_size,
            }
        })
        .collect()
}

/// What to say when no adapter is found.
pub const NO_ADAPTER_HELP: &str = "no GPU adapter found (looked for Vulkan, Metal, DX12 and GL adapters through \
wgpu); install a GPU driver, or the software Vulkan driver (Debian/Ubuntu: apt-get install mesa-vulkan-drivers \
libvulkan1), and check with 'hetero devices'";

/// A GPU device, its queue, and the pipelines compiled on it.
pub struct Gpu {
    info: wgpu::AdapterInfo,
    device: wgpu::Device,
    queue: wgpu::Queue,
    layout: wgpu::BindGroupLayout,
    pipeline_layout: wgpu::PipelineLayout,
    pipelines: Mutex<HashMap<u64, Arc<wgpu::ComputePipeline>>>,
    /// The buffers of a reduction, made once and reused by every call that finds them free and big
    /// enough (grown when one needs more).
    buffers: Mutex<Option<exec::Buffers>>,
    /// The dispatch size each pipeline last settled on, so that a later call (the next chunk of a
    /// run) starts there instead of at one block.
    dispatch_blocks: Mutex<HashMap<u64, u64>>,
    lost: Arc<Mutex<Option<String>>>,
    timestamp_period: f32,
    setup: Duration,
}

impl std::fmt::Debug for Gpu {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Gpu")
            .field("adapter", &self.info.name)
            .field("backend", &self.info.backend)
            .finish()
    }
}

/// The optional features hetero uses when the adapter has them.
const WANTED_FEATURES: wgpu::Features = wgpu::Features::SHADER_F64
    .union(wgpu::Features::SHADER_INT64)
    .union(wgpu::Features::TIMESTAMP_QUERY);

impl Gpu {
    /// Opens the adapter `choice` names and creates a device on it.
    pub fn new(choice: &AdapterChoice) -> Result<Self> {
        let start = Instant::now();
        let adapter = match choice {
            AdapterChoice::Auto => best_adapter(),
            AdapterChoice::Index(i) => {
                let adapters = ranked_adapters();
                let count = adapters.len();
                Some(adapters.into_iter().nth(*i).ok_or_else(|| {
                    Error::NoGpu(GpuError::new(
                        GpuErrorKind::UnknownAdapter,
                        format!("there is no adapter {i}: {count} found (see 'hetero devices')"),
                    ))
                })?)
            }
            AdapterChoice::Name(name) => {
                let wanted = name.to_lowercase();
                Some(
                    ranked_adapters()
                        .into_iter()
                        .find(|a| a.get_info().name.to_lowercase().contains(&wanted))
                        .ok_or_else(|| {
                            Error::NoGpu(GpuError::new(
                                GpuErrorKind::UnknownAdapter,
                                format!("no adapter's name contains '{name}' (see 'hetero devices')"),
                            ))
                        })?,
                )
            }
        };
        let adapter = adapter.ok_or_else(|| Error::NoGpu(GpuError::new(GpuErrorKind::NoAdapter, NO_ADAPTER_HELP)))?;
        let features = adapter.features() & WANTED_FEATURES;
        let descriptor = wgpu::DeviceDescriptor {
            label: Some("hetero"),
            required_features: features,
            required_limits: adapter.limits(),
            ..wgpu::DeviceDescriptor::default()
        };
        let (device, queue) = pollster::block_on(adapter.request_device(&descriptor)).map_err(|e| {
            let message = format!("cannot open {}: {e}", adapter.get_info().name);
            Error::NoGpu(GpuError::new(GpuErrorKind::NoAdapter, message).with_source(e))
        })?;
        let mut gpu = Self::from_device(&adapter, device, queue);
        gpu.setup = start.elapsed();
        Ok(gpu)
    }

    /// Wraps a device the caller created (tests and benches inject their own). Features the device lacks
    /// (64-bit floats, timestamps) are simply not used.
    pub fn from_device(adapter: &wgpu::Adapter, device: wgpu::Device, queue: wgpu::Queue) -> Self {
        let lost = Arc::new(Mutex::new(None));
        let lost_writer = Arc::clone(&lost);
        device.set_device_lost_callback(move |reason, message| {
            if let Ok(mut slot) = lost_writer.lock() {
                *slot = Some(format!("{reason:?}: {message}"));
            }
        });
        let storage = |binding, read_only| wgpu::BindGroupLayoutEntry {
            binding,
            visibility: wgpu::ShaderStages::COMPUTE,
            ty: wgpu::BindingType::Buffer {
                ty: wgpu::BufferBindingType::Storage { read_only },
                has_dynamic_offset: false,
                min_binding_size: None,
            },
            count: None,
        };
        let layout = device.create_bind_group_layout(&wgpu::BindGroupLayoutDescriptor {
            label: Some("hetero kernel interface"),
            entries: &[
                wgpu::BindGroupLayoutEntry {
                    binding: 0,
                    visibility: wgpu::ShaderStages::COMPUTE,
                    ty: wgpu::BindingType::Buffer {
                        ty: wgpu::BufferBindingType::Uniform,
                        has_dynamic_offset: false,
                        min_binding_size: None,
                    },
                    count: None,
                },
                storage(1, true),
                storage(2, false),
                storage(3, true),
            ],
        });
        let pipeline_layout = device.create_pipeline_layout(&wgpu::PipelineLayoutDescriptor {
            label: Some("hetero kernel interface"),
            bind_group_layouts: &[Some(&layout)],
            immediate_size: 0,
        });
        let timestamp_period = queue.get_timestamp_period();
        Gpu {
            info: adapter.get_info(),
            device,
            queue,
            layout,
            pipeline_layout,
            pipelines: Mutex::new(HashMap::new()),
            buffers: Mutex::new(None),
            dispatch_blocks: Mutex::new(HashMap::new()),
            lost,
            timestamp_period,
            setup: Duration::ZERO,
        }
    }

    /// The adapter's name.
    pub fn name(&self) -> &str {
        &self.info.name
    }

    /// The adapter's graphics API (Vulkan, Metal, Dx12, Gl).
    pub fn api(&self) -> String {
        format!("{:?}", self.info.backend)
    }

    /// Whether the adapter is a software (CPU) implementation, such as lavapipe.
    pub fn is_software(&self) -> bool {
        self.info.device_type == wgpu::DeviceType::Cpu
    }

    /// Time spent finding the adapter and creating the device.
    pub fn setup_time(&self) -> Duration {
        self.setup
    }

    /// What the device offers, with `requested` as the caller's precision.
    pub fn caps(&self, requested: Option<Precision>) -> GpuCaps {
        let features = self.device.features();
        GpuCaps {
            shader_f64: features.contains(wgpu::Features::SHADER_F64),
            shader_int64: features.contains(wgpu::Features::SHADER_INT64),
            requested,
        }
    }

    fn has_timestamps(&self) -> bool {
        self.device.features().contains(wgpu::Features::TIMESTAMP_QUERY)
    }

    fn limits(&self) -> wgpu::Limits {
        self.device.limits()
    }

    /// An error if the device was lost.
    fn check_alive(&self) -> Result<()> {
        match self.lost.lock().map(|slot| slot.clone()) {
            Ok(None) => Ok(()),
            Ok(Some(why)) => Err(Error::gpu(
                GpuErrorKind::DeviceLost,
                format!("the GPU device was lost ({why})"),
            )),
            Err(_) => Err(Error::gpu(GpuErrorKind::DeviceLost, "the GPU device state is poisoned")),
        }
    }

    /// The pipeline for `program`, compiled on first use and cached; returns it and the compile time
    /// (zero when it came from the cache).
    /// The pipeline cache's key of `program`.
    fn pipeline_key(program: &WgslProgram) -> u64 {
        let mut hasher = std::collections::hash_map::DefaultHasher::new();
        program.source.hash(&mut hasher);
        program.entry_point.hash(&mut hasher);
        for (name, value) in &program.constants {
            name.hash(&mut hasher);
            value.to_bits().hash(&mut hasher);
        }
        hasher.finish()
    }

    /// Whether `program` is compiled already, so that running it compiles nothing.
    pub(crate) fn is_compiled(&self, program: &WgslProgram) -> bool {
        let key = Self::pipeline_key(program);
        self.pipelines.lock().is_ok_and(|cache| cache.contains_key(&key))
    }

    fn pipeline(&self, program: &WgslProgram) -> Result<(Arc<wgpu::ComputePipeline>, Duration)> {
        let key = Self::pipeline_key(program);
        if let Some(pipeline) = self.pipelines.lock().ok().and_then(|cache| cache.get(&key).cloned()) {
            return Ok((pipeline, Duration::ZERO));
        }
        let start = Instant::now();
        let scope = self.device.push_error_scope(wgpu::ErrorFilter::Validation);
        let module = self.device.create_shader_module(wgpu::ShaderModuleDescriptor {
            label: Some(&program.entry_point),
            source: wgpu::ShaderSource::Wgsl(program.source.clone()),
        });
        let constants: Vec<(&str, f64)> = program
            .constants
            .iter()
            .map(|(name, value)| (&**name, *value))
            .collect();
        let pipeline = self.device.create_compute_pipeline(&wgpu::ComputePipelineDescriptor {
            label: Some(&program.entry_point),
            layout: Some(&self.pipeline_layout),
            module: &module,
            entry_point: Some(&program.entry_point),
            compilation_options: wgpu::PipelineCompilationOptions {
                constants: &constants,
                ..wgpu::PipelineCompilationOptions::default()
            },
            cache: None,
        });
        if let Some(error) = pollster::block_on(scope.pop()) {
            return Err(Error::gpu(
                GpuErrorKind::ShaderRejected,
                format!("the shader '{}' does not compile: {error}", program.entry_point),
            ));
        }
        let pipeline = Arc::new(pipeline);
        if let Ok(mut cache) = self.pipelines.lock() {
            cache.insert(key, Arc::clone(&pipeline));
        }
        Ok((pipeline, start.elapsed()))
    }

    /// Pipelines compiled so far.
    pub fn compiled_pipelines(&self) -> usize {
        self.pipelines.lock().map_or(0, |cache| cache.len())
    }
}

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
