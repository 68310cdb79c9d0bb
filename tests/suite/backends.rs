//! One suite, written once, run on every backend: each case takes the backend and checks it against the
//! serial oracle with the agreement rules of `hetero::validate` (hit counts and CPU floats equal, GPU
//! floats within their derived bound), and against the analytic answer.

use std::sync::OnceLock;

use hetero::expr::Expr;
use hetero::kernels::{Function, Leibniz, MonteCarloIntegral, MonteCarloPi, Simpson};
use hetero::{Backend, Control, Engine, Error, Kernel, Partial};

/// A case of the suite, run once per backend.
pub(crate) type Case = fn(Backend);

/// Every case on every backend, named `backends::BACKEND::CASE`.
pub(crate) fn cases() -> Vec<(String, Case, Backend)> {
    let cases: [(&str, Case); 8] = [
        ("monte_carlo_agrees_with_serial", monte_carlo_agrees_with_serial),
        ("simpson_agrees_with_serial", simpson_agrees_with_serial),
        ("leibniz_agrees_with_serial", leibniz_agrees_with_serial),
        ("sub_ranges_combine_to_the_whole", sub_ranges_combine_to_the_whole),
        ("bad_and_empty_ranges", bad_and_empty_ranges),
        ("closures_run_on_the_cpu_only", closures_run_on_the_cpu_only),
        ("expressions_agree_with_serial", expressions_agree_with_serial),
        ("chunked_runs_agree_with_one_pass", chunked_runs_agree_with_one_pass),
    ];
    Backend::ALL
        .iter()
        .flat_map(|&backend| {
            cases
                .iter()
                .map(move |&(name, case)| (format!("backends::{backend}::{name}"), case, backend))
        })
        .collect()
}

/// The engine a backend runs on: the shared GPU engine for the GPU backends, else a three-thread one.
fn engine(backend: Backend) -> &'static Engine {
    static CPU: OnceLock<Engine> = OnceLock::new();
    if backend.uses_gpu() {
        match crate::gpu::shared() {
            Ok(engine) => engine,
            Err(why) => panic!("no GPU adapter: {why}"),
        }
    } else {
        CPU.get_or_init(|| Engine::with_threads(3).expect("a thread pool"))
    }
}

/// `backend` and serial on `kernel` agree by the rules of `hetero::validate`.
fn agrees<K: hetero::validate::Verify>(kernel: &K, backend: Backend) {
    let comparison = hetero::validate::compare(engine(backend), kernel, &[Backend::Serial, backend])
        .unwrap_or_else(|e| panic!("{backend}: {e}"));
    assert_eq!(comparison.runs.len(), 2);
    assert!(comparison.agree(), "{backend}: {:?}", comparison.disagreements());
}

fn monte_carlo_agrees_with_serial(backend: Backend) {
    for samples in [1, 65_537, 1_000_003] {
        for seed in [0, 42, u64::MAX] {
            let kernel = MonteCarloPi::new(samples, seed).unwrap();
            agrees(&kernel, backend);
            let serial = engine(backend).run(&kernel, Backend::Serial).unwrap().output;
            let run = engine(backend).run(&kernel, backend).unwrap().output;
            // Hit counts are exact on every backend, the GPU included.
            assert_eq!(run.hits, serial.hits, "{samples} samples, seed {seed}");
            if samples > 1_000_000 {
                assert!((run.value - std::f64::consts::PI).abs() < 5.0 * run.std_error);
            }
        }
    }
}

fn simpson_agrees_with_serial(backend: Backend) {
    let functions = [
        Function::Exp,
        Function::Sin,
        Function::Cos,
        Function::gauss(0.3, 0.7).unwrap(),
        Function::Pi,
        Function::poly(3).unwrap(),
    ];
    for f in functions {
        for (a, b, n) in [(0.0, 1.0, 1000), (-2.0, 3.0, 300_004)] {
            let kernel = Simpson::new(f, a, b, n).unwrap();
            agrees(&kernel, backend);
        }
    }
    let run = engine(backend)
        .run(&Simpson::new(Function::Exp, 0.0, 1.0, 300_004).unwrap(), backend)
        .unwrap();
    let exact = std::f64::consts::E - 1.0;
    assert!(
        (run.output.value - exact).abs() < 1e-6,
        "{backend}: {}",
        run.output.value
    );
}

fn leibniz_agrees_with_serial(backend: Backend) {
    for terms in [1, 65_537, 3_000_001] {
        let kernel = Leibniz::new(terms).unwrap();
        agrees(&kernel, backend);
        let run = engine(backend).run(&kernel, backend).unwrap().output;
        assert!(
            (run.value - std::f64::consts::PI).abs() <= run.bound,
            "{terms} terms: {}",
            run.value
        );
    }
}

/// A range split between `backend` and serial at any block combines to the whole: the partials are exact.
fn sub_ranges_combine_to_the_whole(backend: Backend) {
    let kernel = MonteCarloPi::new(40 * 65_536 + 17, 9).unwrap();
    let engine = engine(backend);
    let blocks = kernel.blocks();
    let whole = engine.reduce(&kernel, Backend::Serial, 0..blocks).unwrap().unwrap();
    for cut in [1, 7, 32, blocks - 1] {
        let left = engine.reduce(&kernel, backend, 0..cut).unwrap().unwrap();
        let right = engine.reduce(&kernel, Backend::Serial, cut..blocks).unwrap().unwrap();
        assert_eq!(left.combine(right), whole, "cut at {cut}");
        let left = engine.reduce(&kernel, Backend::Serial, 0..cut).unwrap().unwrap();
        let right = engine.reduce(&kernel, backend, cut..blocks).unwrap().unwrap();
        assert_eq!(left.combine(right), whole, "cut at {cut}");
    }
}

fn bad_and_empty_ranges(backend: Backend) {
    let kernel = Leibniz::new(10 * 65_536).unwrap();
    let engine = engine(backend);
    for (lo, hi) in [(5, 3), (0, 11), (11, 12)] {
        let error = engine.reduce(&kernel, backend, lo..hi).unwrap_err();
        assert!(matches!(error, Error::InvalidRange { .. }), "{lo}..{hi}: {error}");
    }
    assert!(engine.reduce(&kernel, backend, 4..4).unwrap().is_none());
}

/// A closure integrand has no GPU program: the CPU backends run it bit for bit alike, the GPU ones
/// refuse it with an error (not a panic, not a result).
fn closures_run_on_the_cpu_only(backend: Backend) {
    let kernel = Simpson::new(|x: f64| (x * x).exp(), 0.0, 1.5, 200_000).unwrap();
    let engine = engine(backend);
    let result = engine.run(&kernel, backend);
    if backend.uses_gpu() {
        let error = result.expect_err("a closure cannot run on the GPU");
        assert!(matches!(error, Error::Unsupported(_)), "{error}");
    } else {
        let serial = engine.run(&kernel, Backend::Serial).unwrap().output;
        let run = result.unwrap().output;
        assert_eq!(run.value.to_bits(), serial.value.to_bits());
        assert_eq!(run.error_estimate.to_bits(), serial.error_estimate.to_bits());
    }
}

/// Expressions, in one dimension by Simpson and in two by Monte Carlo: the CPU backends give serial's
/// bits, the GPU ones agree within the bound derived from the expression.
fn expressions_agree_with_serial(backend: Backend) {
    let simpson = Simpson::expr("exp(-x^2) * sin(3*x) + sqrt(x + 1)", -0.5, 2.0, 300_004).unwrap();
    agrees(&simpson, backend);
    let f = Expr::parse("exp(-x*y) + cos(x + y) * x", 2).unwrap();
    let integral = MonteCarloIntegral::new(f, &[(0.0, 1.0), (-1.0, 2.0)], 200_003, 5).unwrap();
    agrees(&integral, backend);
}

/// A run in chunks (a progress callback makes one: about 50 ms each, for stopping and reporting) computes
/// what one pass does: the same hit counts everywhere, serial's floats on the CPU backends, and floats
/// within the GPU bound on the GPU ones.
fn chunked_runs_agree_with_one_pass(backend: Backend) {
    let engine = engine(backend);
    let reports = std::sync::Arc::new(std::sync::atomic::AtomicU64::new(0));
    let counted = std::sync::Arc::clone(&reports);
    let control = Control::new().with_progress(move |_| {
        counted.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    });
    let pi = MonteCarloPi::new(20_000_017, 4).unwrap();
    let chunked = engine.run_with(&pi, backend, &control).unwrap();
    assert!(!chunked.interrupted && chunked.completed == pi.blocks());
    assert_eq!(
        chunked.output.hits,
        engine.run(&pi, Backend::Serial).unwrap().output.hits
    );
    assert!(
        reports.load(std::sync::atomic::Ordering::Relaxed) > 0,
        "no progress was reported"
    );
    let simpson = Simpson::expr("exp(-x^2) * cos(x)", 0.0, 2.0, 4_000_000).unwrap();
    let chunked = engine.run_with(&simpson, backend, &control).unwrap();
    let serial = engine.run(&simpson, Backend::Serial).unwrap().output;
    match chunked.float_precision() {
        None => assert_eq!(chunked.output.value.to_bits(), serial.value.to_bits(), "{backend}"),
        Some(precision) => {
            let bound = simpson.gpu_bound(precision).unwrap();
            let difference = (chunked.output.value - serial.value).abs();
            assert!(difference <= bound, "{backend}: {difference:e} beyond {bound:e}");
        }
    }
}
