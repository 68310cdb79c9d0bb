//! Every kernel on every backend: one criterion group per kernel, one function per backend (and GPU
//! precision), throughput in elements (samples, points, terms) per second. Engines, thread pools and the
//! GPU device are built once, outside the timed loop; GPU pipelines are compiled by the warm-up.
//!
//! `cargo bench -p hetero-bench --bench kernels`; `cargo bench -p hetero-bench --bench kernels -- pi/` for one group. Without a GPU adapter
//! the GPU functions are left out, with a line that says so.

use std::hint::black_box;
use std::time::Duration;

use criterion::{BenchmarkGroup, Criterion, Throughput, criterion_group, criterion_main, measurement::WallTime};
use hetero::gpu::Precision;
use hetero::kernels::{Function, Leibniz, MonteCarloPi, Simpson};
use hetero::{Backend, Engine, Kernel};

/// The engines to compare: the CPU one, and one per GPU precision when there is a GPU.
struct Engines {
    cpu: Engine,
    gpu: Vec<(&'static str, Engine)>,
}

impl Engines {
    fn new() -> Self {
        let cpu = Engine::new().expect("a thread pool");
        let mut gpu = Vec::new();
        match cpu.gpu() {
            Ok(device) => {
                let caps = device.caps(None);
                for (name, precision) in [("gpu_f64", Precision::F64), ("gpu_f32", Precision::F32)] {
                    if precision == Precision::F64 && !caps.shader_f64 {
                        continue;
                    }
                    let engine = Engine::builder().gpu(device.clone()).precision(precision).build();
                    gpu.push((name, engine.expect("a thread pool")));
                }
            }
            Err(e) => eprintln!("GPU benchmarks left out: {e}"),
        }
        Engines { cpu, gpu }
    }
}

fn bench<K: Kernel>(group: &mut BenchmarkGroup<'_, WallTime>, engines: &Engines, kernel: &K, float: bool) {
    group.throughput(Throughput::Elements(kernel.elements()));
    for backend in Backend::CPU {
        group.bench_function(backend.name(), |b| {
            b.iter(|| engines.cpu.run(black_box(kernel), backend).map(|run| run.output))
        });
    }
    let gpu_engines = if float {
        &engines.gpu[..]
    } else {
        &engines.gpu[..engines.gpu.len().min(1)]
    };
    for (name, engine) in gpu_engines {
        let name = if float { name } else { &"gpu" };
        group.bench_function(*name, |b| {
            b.iter(|| engine.run(black_box(kernel), Backend::Gpu).map(|run| run.output))
        });
    }
}

fn kernels(c: &mut Criterion) {
    let engines = Engines::new();

    let mut group = c.benchmark_group("pi");
    bench(
        &mut group,
        &engines,
        &MonteCarloPi::new(1 << 26, 42).expect("valid size"),
        false,
    );
    group.finish();

    let mut group = c.benchmark_group("simpson_exp");
    let simpson = Simpson::new(Function::Exp, 0.0, 1.0, 1 << 25).expect("valid problem");
    bench(&mut group, &engines, &simpson, true);
    group.finish();

    let mut group = c.benchmark_group("leibniz");
    bench(&mut group, &engines, &Leibniz::new(1 << 27).expect("valid size"), true);
    group.finish();

    // Round trip of a one-block job: what a tiny problem pays on each backend.
    let mut group = c.benchmark_group("latency_one_block");
    bench(
        &mut group,
        &engines,
        &MonteCarloPi::new(1 << 16, 42).expect("valid size"),
        false,
    );
    group.finish();

    // End-to-end latency of a tiny run (a thousand elements, one block): what `Engine::run` itself costs.
    let mut group = c.benchmark_group("latency_tiny");
    bench_latency(
        &mut group,
        &engines,
        "pi",
        &MonteCarloPi::new(1000, 42).expect("valid size"),
    );
    let simpson = Simpson::new(Function::Exp, 0.0, 1.0, 1000).expect("valid problem");
    bench_latency(&mut group, &engines, "simpson_exp", &simpson);
    bench_latency(
        &mut group,
        &engines,
        "leibniz",
        &Leibniz::new(1000).expect("valid size"),
    );
    group.finish();
}

/// One function per CPU backend, named `kernel/backend`.
fn bench_latency<K: Kernel>(group: &mut BenchmarkGroup<'_, WallTime>, engines: &Engines, name: &str, kernel: &K) {
    for backend in Backend::CPU {
        group.bench_function(format!("{name}/{}", backend.name()), |b| {
            b.iter(|| engines.cpu.run(black_box(kernel), backend).map(|run| run.output))
        });
    }
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(20).warm_up_time(Duration::from_secs(1)).measurement_time(Duration::from_secs(4));
    targets = kernels
}
criterion_main!(benches);
