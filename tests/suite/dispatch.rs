//! The dispatcher's library side: chunked and stopped runs, auto's choice, compare, validate and
//! target errors.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use hetero::dispatch::{Cost, CostModel};
use hetero::expr::Expr;
use hetero::gpu::{AdapterChoice, Precision};
use hetero::kernels::{Function, Leibniz, MonteCarloIntegral, MonteCarloPi, Simpson};
use hetero::validate::{Measure, Verify};
use hetero::{Backend, Choice, Control, Engine, Kernel, Partial};

fn engine() -> Engine {
    Engine::with_threads(3).unwrap()
}

/// A partial that records the shape of the tree that combined it.
#[derive(Debug, PartialEq)]
struct Shape(String);
impl Partial for Shape {
    fn combine(self, right: Self) -> Self {
        Shape(format!("({} {})", self.0, right.0))
    }
}

struct Tree(u64);
impl Kernel for Tree {
    type Partial = Shape;
    type Output = String;
    fn name(&self) -> &str {
        "tree"
    }
    fn blocks(&self) -> u64 {
        self.0
    }
    fn block(&self, index: u64) -> Shape {
        Shape(index.to_string())
    }
    fn finish(&self, total: Shape) -> String {
        total.0
    }
}

/// Chunked runs (any backend, with progress reports) combine in exactly the one-pass tree.
pub(crate) fn chunked_runs_build_the_same_tree_and_report_progress() {
    let engine = engine();
    for blocks in [1, 2, 5, 64, 1000, 4099] {
        let kernel = Tree(blocks);
        let one_pass = engine.run(&kernel, Backend::Serial).unwrap().output;
        for backend in Backend::CPU {
            let last = Arc::new(AtomicU64::new(0));
            let seen = Arc::clone(&last);
            let control = Control::new().with_progress(move |p| {
                assert!(p.done <= p.blocks);
                seen.fetch_max(p.done, Ordering::Relaxed);
            });
            let run = engine.run_with(&kernel, backend, &control).unwrap();
            assert_eq!(run.output, one_pass, "{backend}, {blocks} blocks");
            assert_eq!(last.load(Ordering::Relaxed), blocks);
            assert!(!run.interrupted);
        }
    }
}

fn stop_after(fraction: u64) -> Control {
    let stop = Arc::new(AtomicBool::new(false));
    let flag = Arc::clone(&stop);
    Control::new().with_stop(stop).with_progress(move |p| {
        if p.done * fraction >= p.blocks {
            flag.store(true, Ordering::Relaxed);
        }
    })
}

/// A stopped run keeps every block done: its output is exactly the output of the smaller problem those
/// blocks make up.
pub(crate) fn stopped_runs_equal_the_problem_they_completed() {
    let engine = engine();
    for backend in Backend::CPU {
        let kernel = MonteCarloPi::new(1 << 26, 3).unwrap();
        let run = engine.run_with(&kernel, backend, &stop_after(5)).unwrap();
        assert!(
            run.interrupted && run.completed > 0 && run.completed < run.blocks,
            "{backend}"
        );
        assert_eq!(run.output.samples, run.completed << 16);
        let fixed = engine
            .run(&MonteCarloPi::new(run.output.samples, 3).unwrap(), Backend::Serial)
            .unwrap();
        assert_eq!(fixed.output, run.output, "{backend}");

        let kernel = Leibniz::new(1 << 26).unwrap();
        let run = engine.run_with(&kernel, backend, &stop_after(5)).unwrap();
        assert!(run.interrupted);
        let fixed = engine
            .run(&Leibniz::new(run.output.terms).unwrap(), Backend::Serial)
            .unwrap();
        assert_eq!(fixed.output.value.to_bits(), run.output.value.to_bits());

        // h = 2^-26 is exact, so the covered part [0, x_m] has the very same points as a run of its own.
        let kernel = Simpson::new(Function::Exp, 0.0, 1.0, 1 << 26).unwrap();
        let run = engine.run_with(&kernel, backend, &stop_after(5)).unwrap();
        assert!(run.interrupted);
        let e = &run.output;
        assert_eq!(e.to, e.intervals as f64 / f64::from(1u32 << 26));
        let fixed = engine
            .run(
                &Simpson::new(Function::Exp, 0.0, e.to, e.intervals).unwrap(),
                Backend::Serial,
            )
            .unwrap();
        assert_eq!(fixed.output.value.to_bits(), e.value.to_bits(), "{backend}");
        assert_eq!(fixed.output.error_estimate.to_bits(), e.error_estimate.to_bits());
    }
}

pub(crate) fn a_run_stopped_before_any_block_is_an_error() {
    let stop = Arc::new(AtomicBool::new(true));
    let control = Control::new().with_stop(stop);
    let result = engine().run_with(&Leibniz::new(1 << 20).unwrap(), Backend::Rayon, &control);
    assert!(matches!(result, Err(hetero::Error::Interrupted { completed: 0, .. })));
    // A kernel whose prefix means nothing says what was done instead of inventing a result.
    let result = engine().run_with(&Tree(1 << 12), Backend::Serial, &stop_after(2));
    assert!(matches!(result, Err(hetero::Error::Interrupted { completed, .. }) if completed > 0));
}

fn cost(overhead: f64, per_block: f64, width: u64) -> Cost {
    Cost::new(overhead, per_block, 0.0, width, 0.0)
}

/// A model where serial has no overhead and rayon pays 1 ms but runs twice as fast per block.
fn model_without_gpu(kernel: &str) -> CostModel {
    let mut model = CostModel::default();
    model.set_gpu_adapter(&AdapterChoice::Auto, None);
    model.insert(kernel, Backend::Serial, 1, cost(0.0, 1e-4, 1));
    model.insert(kernel, Backend::Rayon, 3, cost(1e-3, 0.5e-4, 3));
    model.insert(kernel, Backend::Threads, 3, cost(2e-3, 0.5e-4, 3));
    model
}

pub(crate) fn auto_picks_the_lowest_prediction_and_never_probes_a_known_model() {
    let engine = Engine::builder()
        .threads(3)
        .model(model_without_gpu("pi"))
        .build()
        .unwrap();
    let small = MonteCarloPi::new(5 << 16, 1).unwrap();
    let large = MonteCarloPi::new(500 << 16, 1).unwrap();
    assert!(engine.is_calibrated(&small));
    let explanation = engine.explain(&small).unwrap();
    assert_eq!(explanation.choice, Backend::Serial, "{explanation}");
    assert_eq!(explanation.calibrated_seconds, None);
    let excluded: Vec<Backend> = explanation.excluded.iter().map(|(b, _)| *b).collect();
    assert_eq!(excluded, [Backend::Gpu, Backend::Hybrid]);
    let explanation = engine.explain(&large).unwrap();
    assert_eq!(explanation.choice, Backend::Rayon, "{explanation}");
    assert_eq!(engine.run(&large, Choice::Auto).unwrap().backend, Backend::Rayon);
    // The model was not touched by either decision.
    assert_eq!(engine.model(), model_without_gpu("pi"));
}

pub(crate) fn auto_calibrates_a_kernel_it_has_not_met() {
    let engine = Engine::builder()
        .threads(3)
        .model(model_without_gpu("pi"))
        .build()
        .unwrap();
    let kernel = Leibniz::new(300 << 16).unwrap();
    assert!(!engine.is_calibrated(&kernel));
    let run = engine.run(&kernel, Choice::Auto).unwrap();
    assert!(engine.is_calibrated(&kernel));
    for backend in Backend::CPU {
        let cost = engine
            .model()
            .get("leibniz", backend, engine.threads_for(backend))
            .unwrap();
        assert!(cost.per_block > 0.0 && cost.overhead >= 0.0, "{backend}: {cost:?}");
    }
    let serial = engine.run(&kernel, Backend::Serial).unwrap();
    assert_eq!(run.output.value.to_bits(), serial.output.value.to_bits());
}

/// One calibration predicts every expression: another one, or another dimension count, is predicted from
/// its operations without a probe, and costs more per block where it has more to compute.
pub(crate) fn one_calibration_predicts_every_expression() {
    let per_block = |engine: &Engine, explanation: &hetero::dispatch::Explanation| {
        let serial = explanation.predictions.iter().find(|p| p.backend == Backend::Serial);
        assert_eq!(explanation.calibrated_seconds, None, "{explanation}");
        assert!(engine.model().get("montecarlo/expr", Backend::Serial, 1).is_some());
        serial.map(|p| p.cost.per_block).unwrap()
    };
    let mc = |source: &str, dims: usize| {
        let f = Expr::parse(source, dims).unwrap();
        MonteCarloIntegral::new(f, &vec![(0.0, 1.0); dims], 64 << 14, 7).unwrap()
    };
    let engine = engine();
    engine.calibrate(&mc("x*y", 2)).unwrap();
    let model = engine.model();
    let cheap = mc("x", 1);
    let dear = mc("erfc(x)*pow(y, 2.5)*log(z) + atan2(x, y)", 3);
    assert!(engine.is_calibrated(&cheap) && engine.is_calibrated(&dear));
    let (cheap, dear) = (
        per_block(&engine, &engine.explain(&cheap).unwrap()),
        per_block(&engine, &engine.explain(&dear).unwrap()),
    );
    assert!(
        dear > 4.0 * cheap,
        "per block: {cheap} for x, {dear} for the four functions"
    );
    // Predicting measured nothing.
    assert_eq!(engine.model(), model);
    // Simpson's expressions share one calibration the same way.
    let simpson = |source: &str| Simpson::new(Expr::parse(source, 1).unwrap(), 0.0, 1.0, 1 << 20).unwrap();
    engine.calibrate(&simpson("x")).unwrap();
    assert!(engine.is_calibrated(&simpson("exp(-x*x)*sin(3*x)")));
}

pub(crate) fn compare_checks_every_run_against_serial() {
    let engine = engine();
    let kernel = Simpson::new(Function::gauss(0.1, 0.4).unwrap(), -1.0, 2.0, 1_000_001).unwrap();
    let comparison =
        hetero::validate::compare(&engine, &kernel, &[Backend::Rayon, Backend::Serial, Backend::Threads]).unwrap();
    assert_eq!(comparison.reference, 1);
    assert!(comparison.agree());
    assert!(comparison.verdicts.iter().all(|v| v.equal));
    assert!(comparison.disagreements().is_empty());
}

/// A kernel that breaks the contract: its blocks depend on how many blocks it computed before, so a
/// second run differs from the first.
struct Impure {
    blocks: u64,
    calls: AtomicU64,
}
impl Kernel for Impure {
    type Partial = u64;
    type Output = u64;
    fn name(&self) -> &str {
        "impure"
    }
    fn blocks(&self) -> u64 {
        self.blocks
    }
    fn block(&self, index: u64) -> u64 {
        index + self.calls.fetch_add(1, Ordering::Relaxed)
    }
    fn finish(&self, total: u64) -> u64 {
        total
    }
}
impl Verify for Impure {
    fn measure_partial(&self, partial: &u64) -> Measure {
        Measure {
            exact: vec![*partial],
            value: *partial as f64,
        }
    }
    fn measure_output(&self, output: &u64) -> Measure {
        self.measure_partial(output)
    }
    fn gpu_allowance(&self, _: Precision) -> Option<f64> {
        None
    }
    fn stamp_line(&self, _: &u64) -> String {
        format!("blocks={}", self.blocks)
    }
}

pub(crate) fn validation_and_compare_catch_a_backend_that_disagrees() {
    let engine = engine();
    let kernel = Impure {
        blocks: 10_000,
        calls: AtomicU64::new(0),
    };
    let comparison = hetero::validate::compare(&engine, &kernel, &[Backend::Serial, Backend::Rayon]).unwrap();
    assert!(!comparison.agree());
    let lines = comparison.disagreements();
    assert_eq!(lines.len(), 1);
    assert!(lines[0].starts_with("rayon and serial disagree: DIFFERS"), "{lines:?}");

    let pure = Leibniz::new(5_000 << 16).unwrap();
    let validation = hetero::validate::validate(&engine, &pure, Backend::Threads, Backend::Serial, 11).unwrap();
    assert!(validation.agree());
    // About 1% of the blocks, distinct, drawn from the seed alone: the same seed draws the same blocks.
    assert_eq!(validation.blocks.len(), 50);
    assert!(validation.blocks.windows(2).all(|w| w[0] < w[1]) && validation.blocks[49] < 5_000);
    let again = hetero::validate::validate(&engine, &pure, Backend::Rayon, Backend::Serial, 11).unwrap();
    assert_eq!(again.blocks, validation.blocks);
}

pub(crate) fn pi_to_error_grows_the_same_stream() {
    let engine = engine();
    let stopped = hetero::target::pi_to_error(&engine, 8, 5e-4, Backend::Rayon, &stop_after(3)).unwrap();
    let full = hetero::target::pi_to_error(&engine, 8, 5e-4, Backend::Threads, &Control::new()).unwrap();
    assert!(full.reached && full.why.is_none());
    assert!(!stopped.reached && stopped.why.is_some());
    let (stopped, full) = (stopped.run, full.run);
    assert!(full.output.std_error <= 5e-4);
    assert!(stopped.interrupted && stopped.output.samples < full.output.samples);
    // The interrupted run reports the blocks it had planned, of which it completed fewer.
    assert!(
        stopped.completed < stopped.blocks,
        "{} of {}",
        stopped.completed,
        stopped.blocks
    );
    for run in [&stopped, &full] {
        let fixed = engine
            .run(&MonteCarloPi::new(run.output.samples, 8).unwrap(), Backend::Serial)
            .unwrap();
        assert_eq!(fixed.output.hits, run.output.hits);
    }
}

/// A rule converging, but at a rate that puts the target beyond 2^53 intervals or the budget, ends at
/// once, saying how many it would need (the command doubled for hours towards 2^53: `exp` over
/// [0, -1e308] halves its estimate per doubling from 10^302; `abs(x - 0.3)` shrinks 4-fold).
pub(crate) fn simpson_to_error_ends_a_target_out_of_reach() {
    let engine = engine();
    let kink = Expr::parse("abs(x-0.3)", 1).unwrap();
    let runs = [
        hetero::target::simpson_to_error(
            &engine,
            Function::Exp,
            0.0,
            -1e308,
            1e-30,
            Backend::Rayon,
            &Control::new(),
        ),
        hetero::target::simpson_to_error(&engine, kink, 0.0, 1.0, 1e-30, Backend::Rayon, &Control::new()),
    ];
    for done in runs {
        let done = done.unwrap();
        assert!(!done.reached);
        let why = done.why.as_deref().unwrap_or_default();
        assert!(
            why.contains("out of reach") && why.contains("intervals, beyond"),
            "{why}"
        );
        assert!(
            done.run.output.intervals <= 1 << 16,
            "{} intervals",
            done.run.output.intervals
        );
    }
    // Within reach at the rate seen: the same kink to 1e-9 is reached (4-fold per doubling from 1024).
    let kink = Expr::parse("abs(x-0.3)", 1).unwrap();
    let done =
        hetero::target::simpson_to_error(&engine, kink, 0.0, 1.0, 1e-9, Backend::Rayon, &Control::new()).unwrap();
    assert!(done.reached, "{:?}", done.why);
}

pub(crate) fn simpson_to_error_stops_when_rounding_takes_over() {
    let engine = engine();
    // Unreachable: the best trusted run, marked as not reaching the target, with why.
    let done =
        hetero::target::simpson_to_error(&engine, Function::Exp, 0.0, 1.0, 1e-30, Backend::Rayon, &Control::new())
            .unwrap();
    assert!(!done.reached);
    assert!(
        done.why.as_deref().is_some_and(|w| w.contains("stopped shrinking")),
        "{:?}",
        done.why
    );
    assert!(done.run.output.error_estimate > 1e-30);
    assert!(
        done.run.output.intervals < 1 << 30,
        "stopped doubling at {}",
        done.run.output.intervals
    );
    let done =
        hetero::target::simpson_to_error(&engine, Function::Cos, 0.0, 2.0, 1e-9, Backend::Serial, &Control::new())
            .unwrap();
    assert!(done.reached && done.run.output.error_estimate <= 1e-9);
    assert!(done.run.output.intervals >= 1024);
}

/// An oscillation the first grids do not resolve: a small estimate there is not trusted, and the run
/// goes on until the rule converges at its order, to the right answer.
pub(crate) fn simpson_to_error_is_not_fooled_by_an_unresolved_oscillation() {
    let engine = engine();
    for (f, a, b, exact) in [
        (Function::Sin, 0.0, 1e5, 1.0 - 1e5f64.cos()),
        (Function::Cos, -3e4, 3e4, 2.0 * 3e4f64.sin()),
    ] {
        let done = hetero::target::simpson_to_error(&engine, f, a, b, 1e-3, Backend::Rayon, &Control::new()).unwrap();
        assert!(done.reached, "{f:?}: {:?}", done.why);
        let value = done.run.output.value;
        assert!(
            (value - exact).abs() < 1e-3,
            "{f:?}: {value} against {exact} with {} intervals",
            done.run.output.intervals
        );
        // The points resolve the oscillation: at most a tenth of its period apart.
        assert!(
            done.run.output.intervals as f64 > (b - a) / 0.63,
            "{}",
            done.run.output.intervals
        );
    }
}
