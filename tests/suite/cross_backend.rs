//! Every kernel on every CPU backend and several thread counts, against the serial oracle, bit for bit.

use std::sync::OnceLock;

use hetero::kernels::{Function, Hits, Leibniz, MonteCarloPi, Simpson};
use hetero::rng::{counter_for_call, key_from_seed, philox4x32_10};
use hetero::{Backend, Engine, Error, Kernel, Partial};
use proptest::prelude::*;

const THREAD_COUNTS: [usize; 6] = [1, 2, 3, 4, 7, 64];

/// Engines are built once per thread count and shared by every test in this binary.
fn engines() -> &'static [Engine] {
    static ENGINES: OnceLock<Vec<Engine>> = OnceLock::new();
    ENGINES.get_or_init(|| {
        THREAD_COUNTS
            .iter()
            .map(|&t| Engine::with_threads(t).expect("the test machine can start 64 threads"))
            .collect()
    })
}

/// Runs `kernel` on every backend and engine and checks that each partial equals serial's, and that the
/// finished outputs agree in every floating field `fields` picks out, bit for bit.
fn assert_all_backends_agree<K>(kernel: &K, fields: impl Fn(&K::Output) -> Vec<f64>)
where
    K: Kernel,
    K::Partial: PartialEq + std::fmt::Debug + Clone,
{
    let bits = |output: &K::Output| fields(output).iter().map(|x| x.to_bits()).collect::<Vec<_>>();
    let all = 0..kernel.blocks();
    let oracle = engines()[0]
        .reduce(kernel, Backend::Serial, all.clone())
        .unwrap()
        .unwrap();
    let oracle_bits = bits(&kernel.finish(oracle.clone()));
    for engine in engines() {
        for backend in Backend::CPU {
            let partial = engine.reduce(kernel, backend, all.clone()).unwrap().unwrap();
            assert_eq!(partial, oracle, "{} with {} threads", backend, engine.threads());
        }
    }
    // The whole path through `Engine::run`, once per backend.
    for backend in Backend::CPU {
        let run = engines()[3].run(kernel, backend).unwrap();
        assert_eq!(bits(&run.output), oracle_bits, "{backend}");
    }
}

pub(crate) fn monte_carlo_pi_hit_counts_are_identical() {
    for samples in [1, 2, 3, 65_535, 65_536, 65_537, 131_073, 1_000_003, 1 << 21] {
        for seed in [0, 1, 42, u64::MAX, 0x1234_5678_9abc_def0] {
            let kernel = MonteCarloPi::new(samples, seed).unwrap();
            assert_all_backends_agree(&kernel, |e| vec![e.value]);
        }
    }
}

pub(crate) fn simpson_is_bit_identical_for_every_integrand() {
    let functions = [
        Function::Exp,
        Function::Sin,
        Function::Cos,
        Function::gauss(0.3, 0.2).unwrap(),
        Function::Pi,
        Function::poly(7).unwrap(),
    ];
    for f in functions {
        for (a, b) in [(0.0, 1.0), (-3.0, 2.5), (2.0, -1.0), (1e-3, 1e3), (0.5, 0.5)] {
            for n in [1, 4, 6, 65_536, 65_535 * 3 + 2] {
                let kernel = Simpson::new(f, a, b, n).unwrap();
                assert_all_backends_agree(&kernel, |e| vec![e.value, e.error_estimate]);
            }
        }
    }
}

pub(crate) fn simpson_of_a_closure_is_bit_identical() {
    let kernel = Simpson::new(|x: f64| (x * x).sin() / (1.0 + x), 0.0, 10.0, 1_000_001).unwrap();
    assert_all_backends_agree(&kernel, |e| vec![e.value]);
}

pub(crate) fn leibniz_is_bit_identical() {
    for terms in [1, 2, 3, 65_535, 65_536, 65_537, 10_000_019, 1 << 24] {
        let kernel = Leibniz::new(terms).unwrap();
        assert_all_backends_agree(&kernel, |e| vec![e.value]);
    }
}

/// A kernel whose combine records its tree, so any difference in combination order shows.
struct TreeShape {
    blocks: u64,
}

#[derive(Clone, Debug, PartialEq)]
struct Shape(String);

impl Partial for Shape {
    fn combine(self, right: Self) -> Self {
        Shape(format!("({} {})", self.0, right.0))
    }
}

impl Kernel for TreeShape {
    type Partial = Shape;
    type Output = String;
    fn name(&self) -> &str {
        "tree-shape"
    }
    fn blocks(&self) -> u64 {
        self.blocks
    }
    fn block(&self, index: u64) -> Shape {
        Shape(index.to_string())
    }
    fn finish(&self, total: Shape) -> String {
        total.0
    }
}

pub(crate) fn every_backend_combines_in_the_same_fixed_tree() {
    for blocks in [1, 2, 3, 5, 8, 13, 64, 100, 1000] {
        let kernel = TreeShape { blocks };
        let serial = engines()[0].run(&kernel, Backend::Serial).unwrap().output;
        for engine in engines() {
            for backend in Backend::CPU {
                assert_eq!(
                    engine.run(&kernel, backend).unwrap().output,
                    serial,
                    "{backend} {blocks}"
                );
            }
        }
    }
    assert_eq!(
        engines()[0]
            .run(&TreeShape { blocks: 6 }, Backend::Threads)
            .unwrap()
            .output,
        "(((0 1) (2 3)) (4 5))"
    );
}

/// Floating-point sums whose plain combination is not associative: the fixed tree still makes every backend
/// agree on a given range.
struct PlainFloatSum;

impl Kernel for PlainFloatSum {
    type Partial = FloatSum;
    type Output = f64;
    fn name(&self) -> &str {
        "plain-float-sum"
    }
    fn blocks(&self) -> u64 {
        1000
    }
    fn block(&self, index: u64) -> FloatSum {
        FloatSum(1.0 / (index as f64 + 0.3) * if index.is_multiple_of(3) { -1e8 } else { 1.0 })
    }
    fn finish(&self, total: FloatSum) -> f64 {
        total.0
    }
}

#[derive(Clone, Debug, PartialEq)]
struct FloatSum(f64);

impl Partial for FloatSum {
    fn combine(self, right: Self) -> Self {
        FloatSum(self.0 + right.0)
    }
}

pub(crate) fn non_exact_partials_are_still_reproducible() {
    assert_all_backends_agree(&PlainFloatSum, |v| vec![*v]);
}

pub(crate) fn sub_ranges_combine_to_the_whole() {
    let engine = &engines()[2];
    let pi = MonteCarloPi::new(5_000_017, 9).unwrap();
    let simpson = Simpson::new(Function::gauss(1.0, 0.7).unwrap(), -4.0, 6.0, 4_000_000).unwrap();
    let leibniz = Leibniz::new(7_000_001).unwrap();
    fn check<K>(engine: &Engine, kernel: &K)
    where
        K: Kernel,
        K::Partial: PartialEq + std::fmt::Debug,
    {
        let n = kernel.blocks();
        let whole = engine.reduce(kernel, Backend::Serial, 0..n).unwrap();
        for cuts in [
            vec![0, n],
            vec![0, 1, n],
            vec![0, n / 3, n / 2, n - 1, n],
            vec![0, 0, 5, 5, n],
        ] {
            let mut combined: Option<K::Partial> = None;
            for (i, w) in cuts.windows(2).enumerate() {
                let backend = Backend::CPU[i % Backend::CPU.len()];
                if let Some(part) = engine.reduce(kernel, backend, w[0]..w[1]).unwrap() {
                    combined = Some(match combined {
                        Some(left) => left.combine(part),
                        None => part,
                    });
                }
            }
            assert_eq!(combined, whole, "cuts {cuts:?}");
        }
    }
    check(engine, &pi);
    check(engine, &simpson);
    check(engine, &leibniz);
}

pub(crate) fn ranges_crossing_the_high_counter_word_match_the_definition() {
    // Blocks of 2^16 samples: block 2^17 starts at call 2^32, where the counter's second word turns 1.
    let seed = 2024;
    let kernel = MonteCarloPi::new(1 << 40, seed).unwrap();
    let range = (1u64 << 17) - 2..(1 << 17) + 2;
    let key = key_from_seed(seed);
    let mut expected = 0u64;
    for call in range.start * (1 << 15)..range.end * (1 << 15) {
        let r = philox4x32_10(counter_for_call(call), key);
        for (x, y) in [(r[0], r[1]), (r[2], r[3])] {
            expected += u64::from(u128::from(x).pow(2) + u128::from(y).pow(2) < 1u128 << 64);
        }
    }
    for engine in engines().iter().take(3) {
        for backend in Backend::CPU {
            let hits = engine.reduce(&kernel, backend, range.clone()).unwrap().unwrap();
            assert_eq!(
                hits,
                Hits {
                    hits: expected,
                    samples: 4 << 16
                },
                "{backend}"
            );
        }
    }
}

pub(crate) fn monte_carlo_pi_is_within_five_standard_errors() {
    let engine = &engines()[1];
    for seed in [1, 2, 3, 42, 1 << 40] {
        let run = engine
            .run(&MonteCarloPi::new(4_000_000, seed).unwrap(), Backend::Rayon)
            .unwrap();
        let e = run.output;
        assert!(
            (e.value - std::f64::consts::PI).abs() < 5.0 * e.std_error,
            "seed {seed}: {} ± {}",
            e.value,
            e.std_error
        );
        assert!(e.ci95.0 < e.value && e.value < e.ci95.1);
    }
}

pub(crate) fn simpson_accuracy() {
    let engine = &engines()[1];
    let e1 = std::f64::consts::E - 1.0;
    let run = engine
        .run(&Simpson::new(Function::Exp, 0.0, 1.0, 1000).unwrap(), Backend::Rayon)
        .unwrap();
    assert!((run.output.value - e1).abs() < 1e-12);
    let pi = engine
        .run(
            &Simpson::new(Function::Pi, 0.0, 1.0, 1_000_000).unwrap(),
            Backend::Threads,
        )
        .unwrap();
    assert!((pi.output.value - std::f64::consts::PI).abs() < 1e-14);
}

/// A kernel that panics in one block.
struct Faulty {
    bad_block: u64,
}

impl Kernel for Faulty {
    type Partial = u64;
    type Output = u64;
    fn name(&self) -> &str {
        "faulty"
    }
    fn blocks(&self) -> u64 {
        200
    }
    fn block(&self, index: u64) -> u64 {
        assert!(index != self.bad_block, "block {index} is broken");
        index
    }
    fn finish(&self, total: u64) -> u64 {
        total
    }
}

pub(crate) fn a_panicking_worker_is_an_error_not_a_hang() {
    for bad_block in [0, 57, 199] {
        for engine in engines().iter().take(4) {
            for backend in Backend::CPU {
                match engine.run(&Faulty { bad_block }, backend) {
                    Err(Error::WorkerPanicked { message, .. }) => {
                        assert!(message.contains(&format!("block {bad_block} is broken")), "{message}")
                    }
                    other => panic!("{backend}: expected a worker panic, got {other:?}"),
                }
            }
        }
    }
    // The engine is still usable afterwards.
    let ok = engines()[1]
        .run(&Faulty { bad_block: u64::MAX }, Backend::Rayon)
        .unwrap();
    assert_eq!(ok.output, 199 * 200 / 2);
}

pub(crate) fn bad_ranges_and_thread_counts_are_errors() {
    let kernel = Leibniz::new(1_000_000).unwrap();
    let engine = &engines()[0];
    let n = kernel.blocks();
    assert!(matches!(
        engine.reduce(&kernel, Backend::Serial, 0..n + 1),
        Err(Error::InvalidRange { .. })
    ));
    #[allow(clippy::reversed_empty_ranges)]
    let backwards = 3..2;
    assert!(matches!(
        engine.reduce(&kernel, Backend::Rayon, backwards),
        Err(Error::InvalidRange { .. })
    ));
    assert!(engine.reduce(&kernel, Backend::Threads, 4..4).unwrap().is_none());
    assert!(Engine::with_threads(0).is_err());
    assert!(Engine::with_threads(hetero::MAX_THREADS + 1).is_err());
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

        fn random_monte_carlo_problems_agree_cases(samples in 1u64..400_000, seed in any::<u64>(), t in 0usize..THREAD_COUNTS.len()) {
        let kernel = MonteCarloPi::new(samples, seed).unwrap();
        let engine = &engines()[t];
        let serial = engine.run(&kernel, Backend::Serial).unwrap().output;
        for backend in [Backend::Rayon, Backend::Threads] {
            let other = engine.run(&kernel, backend).unwrap().output;
            prop_assert_eq!(other.hits, serial.hits);
            prop_assert_eq!(other.value.to_bits(), serial.value.to_bits());
        }
    }

        fn random_simpson_problems_agree_cases(a in -50.0..50.0f64, width in -20.0..20.0f64, n in 1u64..300_000, t in 0usize..THREAD_COUNTS.len(), f in 0usize..6) {
        let function = [Function::Exp, Function::Sin, Function::Cos, Function::gauss(1.0, 3.0).unwrap(), Function::Pi, Function::poly(3).unwrap()][f];
        let kernel = Simpson::new(function, a, a + width, n).unwrap();
        let engine = &engines()[t];
        let serial = engine.run(&kernel, Backend::Serial).unwrap().output;
        for backend in [Backend::Rayon, Backend::Threads] {
            let other = engine.run(&kernel, backend).unwrap().output;
            prop_assert_eq!(other.value.to_bits(), serial.value.to_bits());
            prop_assert_eq!(other.error_estimate.to_bits(), serial.error_estimate.to_bits());
        }
    }

        fn random_expressions_agree_cases(source in crate::random_expr::expression(), a in -3.0..3.0f64, width in -4.0..4.0f64, n in 1u64..70_000, t in 0usize..THREAD_COUNTS.len(), seed in any::<u64>()) {
        use crate::random_expr::same;
        let engine = &engines()[t];
        // Simpson: every CPU backend, and the scalar evaluation point by point, the same bits.
        let kernel = hetero::kernels::Simpson::expr(&source, a, a + width, n).unwrap();
        let serial = engine.run(&kernel, Backend::Serial).unwrap().output;
        for backend in [Backend::Rayon, Backend::Threads] {
            let other = engine.run(&kernel, backend).unwrap().output;
            prop_assert!(same(other.value, serial.value), "{source}: {backend:?}");
            prop_assert!(same(other.error_estimate, serial.error_estimate));
        }
        let f = hetero::expr::Expr::parse(&source, 1).unwrap();
        let scalar = Simpson::new(|x: f64| f.eval(&[x]).unwrap(), a, a + width, n).unwrap();
        let one_by_one = engine.run(&scalar, Backend::Serial).unwrap().output;
        prop_assert!(same(one_by_one.value, serial.value), "{source}: {} against {}", one_by_one.value, serial.value);
        // Monte Carlo over [a, a + width]: every CPU backend the same bits.
        let mc = hetero::kernels::MonteCarloIntegral::new(f, &[(a, a + width)], n, seed).unwrap();
        let serial = engine.run(&mc, Backend::Serial).unwrap().output;
        for backend in [Backend::Rayon, Backend::Threads] {
            let other = engine.run(&mc, backend).unwrap().output;
            prop_assert!(same(other.value, serial.value) && same(other.std_error, serial.std_error), "{source}");
        }
    }

        fn random_leibniz_problems_agree_cases(terms in 1u64..2_000_000, t in 0usize..THREAD_COUNTS.len(), split in 0.0..1.0f64) {
        let kernel = Leibniz::new(terms).unwrap();
        let engine = &engines()[t];
        let serial = engine.reduce(&kernel, Backend::Serial, 0..kernel.blocks()).unwrap().unwrap();
        let cut = (kernel.blocks() as f64 * split) as u64;
        let left = engine.reduce(&kernel, Backend::Threads, 0..cut).unwrap();
        let right = engine.reduce(&kernel, Backend::Rayon, cut..kernel.blocks()).unwrap().unwrap();
        let combined = match left { Some(l) => l.combine(right), None => right };
        prop_assert_eq!(combined, serial);
    }
}

pub(crate) fn random_monte_carlo_problems_agree() {
    random_monte_carlo_problems_agree_cases();
}

pub(crate) fn random_expressions_agree() {
    random_expressions_agree_cases();
}

pub(crate) fn random_simpson_problems_agree() {
    random_simpson_problems_agree_cases();
}

pub(crate) fn random_leibniz_problems_agree() {
    random_leibniz_problems_agree_cases();
}
