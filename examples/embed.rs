//! Embedding hetero in a Rust program: built-in kernels, a closure integrand, a kernel of your own, and a
//! block range split by hand (what a cluster scheduler or a CPU+GPU split does) that gives the same bits.
//!
//! Run with `cargo run --release --example embed`.

use hetero::kernels::{Function, Leibniz, MonteCarloPi, Simpson};
use hetero::{Backend, Engine, ExactSum, Kernel, Partial};

/// A kernel of our own: the harmonic number H_n = Σ_{k=1..n} 1/k, in blocks of 10 000 terms, summed exactly.
struct Harmonic {
    n: u64,
}

const TERMS_PER_BLOCK: u64 = 10_000;

impl Kernel for Harmonic {
    type Partial = ExactSum;
    type Output = f64;

    fn name(&self) -> &str {
        "harmonic"
    }
    fn blocks(&self) -> u64 {
        self.n.div_ceil(TERMS_PER_BLOCK)
    }
    fn block(&self, index: u64) -> ExactSum {
        let first = index * TERMS_PER_BLOCK + 1;
        let last = (first + TERMS_PER_BLOCK - 1).min(self.n);
        (first..=last).map(|k| 1.0 / k as f64).collect()
    }
    fn finish(&self, total: ExactSum) -> f64 {
        total.value()
    }
    fn elements(&self) -> u64 {
        self.n
    }
}

fn main() -> hetero::Result<()> {
    // One engine per program: its thread pool is built here and reused by every run.
    let engine = Engine::new()?;

    let pi = engine.run(&MonteCarloPi::new(50_000_000, 2024)?, Backend::Rayon)?;
    println!(
        "Monte Carlo π = {:.6} ± {:.1e}  ({} hits, {:.0} M samples/s)",
        pi.output.value,
        pi.output.std_error,
        pi.output.hits,
        pi.throughput() / 1e6
    );

    let gauss = Simpson::new(Function::gauss(0.0, 1.0)?, -6.0, 6.0, 1_000_000)?;
    let integral = engine.run(&gauss, Backend::Threads)?;
    println!(
        "∫ gauss over [-6, 6] = {:.15} (exact {:.15})",
        integral.output.value,
        integral.output.exact.unwrap_or(f64::NAN)
    );

    // Any closure is an integrand on the CPU backends.
    let closure = Simpson::new(|x: f64| x.sqrt() * x.ln().abs(), 0.5, 4.0, 1_000_000)?;
    println!(
        "∫ √x·|ln x| over [0.5, 4] = {:.12}",
        engine.run(&closure, Backend::Rayon)?.output.value
    );

    let leibniz = engine.run(&Leibniz::new(100_000_000)?, Backend::Rayon)?;
    println!(
        "Leibniz π = {:.12} (bound {:.1e})",
        leibniz.output.value, leibniz.output.bound
    );

    // A kernel of our own, computed whole on one backend and in three hand-made pieces on three others.
    let harmonic = Harmonic { n: 10_000_000 };
    let whole = engine.run(&harmonic, Backend::Serial)?.output;
    let blocks = harmonic.blocks();
    let cuts = [0, blocks / 4, blocks / 2, blocks];
    let mut pieces = Vec::new();
    for (backend, range) in [Backend::Rayon, Backend::Threads, Backend::Serial]
        .into_iter()
        .zip(cuts.windows(2))
    {
        pieces.extend(engine.reduce(&harmonic, backend, range[0]..range[1])?);
    }
    let split = pieces
        .into_iter()
        .reduce(Partial::combine)
        .map(|total| harmonic.finish(total));
    println!("H_10^7 = {whole:.15}; from three pieces on three backends: {split:.15?}");
    assert_eq!(
        split.map(f64::to_bits),
        Some(whole.to_bits()),
        "exact partials make any split agree"
    );
    Ok(())
}
