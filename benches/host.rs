//! The host's share of a GPU run: combining the results of one dispatch of 65,535 blocks into a partial,
//! the work the GPU may wait for between dispatches. No GPU is needed: the bench feeds each kernel's
//! program the words a dispatch returns (per-block sums and compensations with the magnitudes a run
//! produces, hit counts for Monte Carlo), and times the combination two ways: accumulated straight into
//! one partial (what runs) and decoded block by block into partials folded in the tree (the general
//! path, for kernels whose partials do not combine exactly).
//!
//! `cargo bench -p hetero-bench --bench host`

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use hetero::gpu::{GpuCaps, GpuKernel, Precision};
use hetero::kernels::{Function, Leibniz, MonteCarloPi, Simpson};
use hetero::{Kernel, Partial};
use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};

/// Blocks per dispatch: the most one dispatch runs.
const BLOCKS: u64 = 65_535;

/// One dispatch's output words: `reals` reals per block in `precision` (a sum near `scale`, then a
/// compensation a few units in its last place, alternately), or one hit count per block.
fn words(precision: Precision, reals: usize, scale: f64) -> Vec<u32> {
    let mut rng = SmallRng::seed_from_u64(7);
    let mut out = Vec::new();
    for _ in 0..BLOCKS {
        for r in 0..reals {
            let value = if r % 2 == 0 {
                scale * rng.random_range(0.5..2.0)
            } else {
                scale * f64::EPSILON * rng.random_range(-4.0..4.0)
            };
            match precision {
                Precision::F64 => {
                    let bits = value.to_bits();
                    out.extend([bits as u32, (bits >> 32) as u32]);
                }
                Precision::F32 => out.push((value as f32).to_bits()),
                // Exact: integer words.
                _ => out.push(rng.random_range(51_000..52_000)),
            }
        }
    }
    out
}

fn dispatch<K: Kernel + GpuKernel<Partial = <K as Kernel>::Partial>>(
    c: &mut Criterion,
    name: &str,
    kernel: &K,
    precision: Precision,
    reals: usize,
    scale: f64,
) where
    <K as Kernel>::Partial: Partial,
{
    let caps = GpuCaps {
        shader_f64: precision == Precision::F64,
        shader_int64: true,
        requested: (precision != Precision::Exact).then_some(precision),
    };
    let mut program = kernel.program(&caps).expect("a program for these capabilities");
    let words = words(precision, reals, scale);
    assert_eq!(words.len() as u64, BLOCKS * u64::from(program.words_per_block));
    let mut group = c.benchmark_group(format!("host/{name}"));
    group.throughput(Throughput::Elements(BLOCKS));
    group.bench_function("accumulated", |b| {
        b.iter(|| program.dispatch_partial(black_box(0), black_box(&words)))
    });
    program.dispatch_fold = None;
    group.bench_function("per_block_tree", |b| {
        b.iter(|| program.dispatch_partial(black_box(0), black_box(&words)))
    });
    group.finish();
}

fn host(c: &mut Criterion) {
    let pi = MonteCarloPi::new(1 << 40, 42).expect("a problem");
    dispatch(c, "pi", &pi, Precision::Exact, 1, 0.0);
    let leibniz = Leibniz::new(1 << 50).expect("a problem");
    dispatch(c, "leibniz_f64", &leibniz, Precision::F64, 2, 1e-10);
    dispatch(c, "leibniz_f32", &leibniz, Precision::F32, 2, 1e-10);
    let simpson = Simpson::new(Function::Exp, 0.0, 1.0, 1 << 40).expect("a problem");
    dispatch(c, "simpson_f64", &simpson, Precision::F64, 8, 3e4);
    dispatch(c, "simpson_f32", &simpson, Precision::F32, 8, 3e4);
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(20);
    targets = host
}
criterion_main!(benches);
