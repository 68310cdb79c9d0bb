//! Every kernel on every CPU backend: one criterion group per kernel, one function per backend, throughput
//! in elements (samples, points, terms) per second. The engine and its pool are built once, outside the
//! timed loop.
//!
//! `cargo bench --bench kernels`; `cargo bench --bench kernels -- pi/rayon` for one line.

use std::hint::black_box;
use std::time::Duration;

use criterion::{BenchmarkGroup, Criterion, Throughput, criterion_group, criterion_main, measurement::WallTime};
use hetero::kernels::{Function, Leibniz, MonteCarloPi, Simpson};
use hetero::{Backend, Engine, Kernel};

fn bench<K: Kernel>(group: &mut BenchmarkGroup<'_, WallTime>, engine: &Engine, kernel: &K) {
    group.throughput(Throughput::Elements(kernel.elements()));
    for backend in Backend::ALL {
        group.bench_function(backend.name(), |b| {
            b.iter(|| engine.run(black_box(kernel), backend).map(|run| run.output))
        });
    }
}

fn kernels(c: &mut Criterion) {
    let engine = Engine::new().expect("a thread pool");

    let mut group = c.benchmark_group("pi");
    bench(
        &mut group,
        &engine,
        &MonteCarloPi::new(1 << 26, 42).expect("valid size"),
    );
    group.finish();

    let mut group = c.benchmark_group("simpson_exp");
    bench(
        &mut group,
        &engine,
        &Simpson::new(Function::Exp, 0.0, 1.0, 1 << 25).expect("valid problem"),
    );
    group.finish();

    let mut group = c.benchmark_group("leibniz");
    bench(&mut group, &engine, &Leibniz::new(1 << 27).expect("valid size"));
    group.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(20).warm_up_time(Duration::from_secs(1)).measurement_time(Duration::from_secs(4));
    targets = kernels
}
criterion_main!(benches);
