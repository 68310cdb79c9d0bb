//! The device: finding adapters, opening one, compiling and caching pipelines (the `gpu` feature).

use std::collections::HashMap;
use std::hash::{Hash, Hasher};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use super::{AdapterChoice, AdapterSummary, GpuCaps, NO_ADAPTER_HELP, Precision, WgslProgram, exec};
use crate::error::{GpuError, GpuErrorKind};
use crate::{Error, Result};

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

/// A GPU device, its queue, and the pipelines compiled on it.
pub struct Gpu {
    pub(super) info: wgpu::AdapterInfo,
    pub(super) device: wgpu::Device,
    pub(super) queue: wgpu::Queue,
    pub(super) layout: wgpu::BindGroupLayout,
    pub(super) pipeline_layout: wgpu::PipelineLayout,
    pub(super) pipelines: Mutex<HashMap<u64, Arc<wgpu::ComputePipeline>>>,
    /// The buffers of a reduction, made once and reused by every call that finds them free and big
    /// enough (grown when one needs more).
    pub(super) buffers: Mutex<Option<exec::Buffers>>,
    /// The dispatch size each pipeline last settled on, so that a later call (the next chunk of a
    /// run) starts there instead of at one block.
    pub(super) dispatch_blocks: Mutex<HashMap<u64, u64>>,
    pub(super) lost: Arc<Mutex<Option<String>>>,
    pub(super) timestamp_period: f32,
    pub(super) setup: Duration,
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

    pub(super) fn has_timestamps(&self) -> bool {
        self.device.features().contains(wgpu::Features::TIMESTAMP_QUERY)
    }

    pub(super) fn limits(&self) -> wgpu::Limits {
        self.device.limits()
    }

    /// An error if the device was lost.
    pub(super) fn check_alive(&self) -> Result<()> {
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
    pub(super) fn pipeline_key(program: &WgslProgram) -> u64 {
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

    /// `program`'s pipeline and the time spent compiling it (zero when it was compiled already), or `None`
    /// when `control`'s flag is raised first: the compilation runs on a thread of its own (for a long
    /// expression it may take seconds) while this one looks at the flag every [`exec::STOP_POLL`], and
    /// a stopped one is left to finish unused.
    pub(super) fn pipeline(
        &self,
        program: &WgslProgram,
        control: &crate::Control,
    ) -> Result<Option<(Arc<wgpu::ComputePipeline>, Duration)>> {
        let key = Self::pipeline_key(program);
        if let Some(pipeline) = self.pipelines.lock().ok().and_then(|cache| cache.get(&key).cloned()) {
            return Ok(Some((pipeline, Duration::ZERO)));
        }
        let start = Instant::now();
        let (device, layout, program) = (self.device.clone(), self.pipeline_layout.clone(), program.clone());
        let (sender, compiled) = std::sync::mpsc::channel();
        std::thread::Builder::new()
            .name("hetero-compile".to_owned())
            .spawn(move || {
                let _ = sender.send(compile(&device, &layout, &program));
            })
            .map_err(|e| Error::Internal(format!("no thread to compile a shader on: {e}")))?;
        let pipeline = loop {
            match compiled.recv_timeout(exec::STOP_POLL) {
                Ok(pipeline) => break Arc::new(pipeline?),
                Err(std::sync::mpsc::RecvTimeoutError::Timeout) if control.stopped() => return Ok(None),
                Err(std::sync::mpsc::RecvTimeoutError::Timeout) => {}
                Err(std::sync::mpsc::RecvTimeoutError::Disconnected) => {
                    return Err(Error::Internal(
                        "the shader compilation ended without a result".to_owned(),
                    ));
                }
            }
        };
        if let Ok(mut cache) = self.pipelines.lock() {
            cache.insert(key, Arc::clone(&pipeline));
        }
        Ok(Some((pipeline, start.elapsed())))
    }

    /// Pipelines compiled so far.
    pub fn compiled_pipelines(&self) -> usize {
        self.pipelines.lock().map_or(0, |cache| cache.len())
    }
}

/// Compiles `program` for `device` with `layout`, on the calling thread (error scopes are per thread).
fn compile(
    device: &wgpu::Device,
    layout: &wgpu::PipelineLayout,
    program: &WgslProgram,
) -> Result<wgpu::ComputePipeline> {
    let scope = device.push_error_scope(wgpu::ErrorFilter::Validation);
    let module = device.create_shader_module(wgpu::ShaderModuleDescriptor {
        label: Some(&program.entry_point),
        source: wgpu::ShaderSource::Wgsl(program.source.clone()),
    });
    let constants: Vec<(&str, f64)> = program
        .constants
        .iter()
        .map(|(name, value)| (&**name, *value))
        .collect();
    let pipeline = device.create_compute_pipeline(&wgpu::ComputePipelineDescriptor {
        label: Some(&program.entry_point),
        layout: Some(layout),
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
    Ok(pipeline)
}
