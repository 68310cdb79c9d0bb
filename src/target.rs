//! Running a built-in kernel until its error estimate reaches a target, instead of at a given size.
//!
//! - Monte Carlo π grows `N` by further block ranges of the **same stream** until the standard error is at
//!   most the target; the blocks already done are kept, so the result is the one a fixed-`N` run with the
//!   `N` reached gives, hit for hit.
//! - Simpson doubles `n` (from 1024) until Richardson's estimate is at most the target **and** the rule is
//!   seen converging at one order: the estimate shrank by a factor of 12 to 80 at each of the last three
//!   doublings, the three within a factor of 2 of each other (16 at order 4; 64 where the `h^4` term
//!   vanishes), or by a factor `r` of 2 to 12 within `√2` of each other (a slower order, as for `sqrt(x)`,
//!   whose error is then taken as `2|S_n − S_{n/2}|/(r − 1)`, not `/15`), or the estimate was at the rounding of the
//!   value (4 units of its last place, or the floor of what rounding may make of it) at each of the last
//!   three doublings: the rule agrees with itself to rounding at three resolutions. An estimate outside
//!   that regime (an oscillation the points do not resolve, say) is not trusted, however small. An
//!   integrand unbounded or jumping at a point of the interval has no regime: the first run is returned, not
//!   reached, saying so. Every point giving 0 is no evidence of anything (a peak between the points): such
//!   estimates are never trusted, and eight doublings of them end the run, not reached. Once converging, a run whose estimate no longer halves means rounding
//!   has taken over: the best trusted run is returned, marked as not reaching the target.
//! - Leibniz computes `N` from its truncation bound `4/(2N+1)` and runs once.
//!
//! Monte Carlo of an expression whose variance is seen to be infinite (a growth at a point in one
//! dimension, across a surface of the box in more: [`crate::singular::infinite_variance_over`]) stops at
//! its first size, not reached. Monte Carlo of an
//! expression that may be unbounded or jump over its box (no interval bound of it exists) also watches
//! its sample variance: the goal is met only once the variance is within a factor
//! of 4 of an earlier estimate's from at most a quarter of the points (four times as many points are
//! drawn to get one), and twice not so ends the run, not reached: a heavy tail makes the interval
//! meaningless.
//!
//! Each returns a [`TargetRun`]: the run, whether it reached the target, and why not when it did not.

use std::time::Instant;

use crate::control::Control;
use crate::dispatch::Choice;
use crate::kernels::{
    Leibniz, LeibnizEstimate, MAX_FLOAT_ELEMENTS, MonteCarloPi, PiEstimate, Simpson, SimpsonEstimate, SimpsonIntegrand,
    blind, zero_spread,
};
use crate::program::{Precision, unit_roundoff};
use crate::validate::Verify;
use crate::{Engine, Error, Kernel, Partial, Result, Run};

/// A run to a target error: the run, and whether its error estimate can be trusted to be within the target.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct TargetRun<T> {
    /// The run: the last one, or the best one when the target was not reached.
    pub run: Run<T>,
    /// Whether the target was reached (an interrupted run has not).
    pub reached: bool,
    /// Why the target was not reached, in one line; `None` when it was.
    pub why: Option<String>,
}

impl<T> TargetRun<T> {
    fn reached(run: Run<T>) -> Self {
        let reached = !run.interrupted;
        let why = run.interrupted.then(|| "the run was interrupted".to_owned());
        TargetRun { run, reached, why }
    }

    fn missed(run: Run<T>, why: String) -> Self {
        TargetRun {
            run,
            reached: false,
            why: Some(why),
        }
    }
}

/// Most samples a Monte Carlo run to a target error may grow to.
pub const MAX_TARGET_SAMPLES: u64 = 1 << 62;

/// Most samples a Monte Carlo run without a budget draws while its estimate is [`blind`].
const MAX_ZERO_SPREAD_SAMPLES: u64 = 1 << 32;

fn check_target(target: f64) -> Result<()> {
    if target.is_finite() && target > 0.0 {
        Ok(())
    } else {
        Err(Error::invalid(
            "target error",
            format!("{target} is not a positive number"),
        ))
    }
}

/// Monte Carlo π from the stream of `seed`, with as many whole blocks of samples as it takes for the
/// standard error to be at most `target`.
///
/// ```
/// use hetero::{Backend, Control, Engine, kernels::MonteCarloPi, target::pi_to_error};
///
/// let engine = Engine::with_threads(2)?;
/// let run = pi_to_error(&engine, 5, 1e-3, Backend::Rayon, &Control::new())?.run;
/// assert!(run.output.std_error <= 1e-3);
/// // The same as a run of the size reached.
/// let fixed = engine.run(&MonteCarloPi::new(run.output.samples, 5)?, Backend::Serial)?;
/// assert_eq!(fixed.output.hits, run.output.hits);
/// # Ok::<(), hetero::Error>(())
/// ```
pub fn pi_to_error(
    engine: &Engine,
    seed: u64,
    target: f64,
    choice: impl Into<Choice>,
    control: &Control,
) -> Result<TargetRun<PiEstimate>> {
    check_target(target)?;
    let block = crate::kernels::BLOCK_SAMPLES;
    // N such that 4·sqrt(p(1 − p)/N) = target, in whole blocks.
    let needed = |p: f64| -> Result<u64> {
        let n = (16.0 * p * (1.0 - p) / (target * target)).ceil().max(1.0);
        if n > MAX_TARGET_SAMPLES as f64 {
            return Err(Error::invalid(
                "target error",
                format!("{target:e} needs about {n:.1e} samples, more than the 2^62 allowed"),
            ));
        }
        Ok((n as u64).next_multiple_of(block))
    };
    let mut samples = needed(std::f64::consts::FRAC_PI_4)?;
    let backend = engine.resolve(&MonteCarloPi::new(samples, seed)?, choice.into())?;
    let start = Instant::now();
    let mut total: Option<crate::kernels::Hits> = None;
    let (mut done, mut gpu, mut interrupted) = (0u64, None, false);
    let planned = loop {
        let kernel = MonteCarloPi::new(samples, seed)?;
        let driven = engine.drive(&kernel, backend, done..kernel.blocks(), control)?;
        done += driven.completed;
        crate::gpu::GpuReport::add_to(&mut gpu, driven.gpu.as_ref());
        total = match (total, driven.partial) {
            (Some(left), Some(right)) => Some(left.combine(right)),
            (left, right) => left.or(right),
        };
        let Some(hits) = total else {
            return Err(Error::Interrupted {
                completed: 0,
                blocks: kernel.blocks(),
            });
        };
        let estimate = kernel.finish(hits);
        if driven.interrupted {
            interrupted = true;
            break kernel.blocks();
        }
        if estimate.std_error <= target {
            break kernel.blocks();
        }
        let p = hits.hits as f64 / hits.samples as f64;
        samples = needed(p)?.max(samples + samples / 8).next_multiple_of(block);
    };
    let hits = total.ok_or(Error::EmptyKernel)?;
    let kernel = MonteCarloPi::new(hits.samples.max(1), seed)?;
    Ok(TargetRun::reached(Run {
        output: kernel.finish(hits),
        backend,
        threads: engine.threads_for(backend),
        // An interrupted run reports the blocks it had planned, of which `done` were completed.
        blocks: if interrupted { planned } else { done },
        completed: done,
        interrupted,
        elements: hits.samples,
        elapsed: start.elapsed(),
        gpu,
        split: None,
    }))
}

/// The Monte Carlo integral of `f` over `bounds` from the stream of `seed`, with as many whole blocks of
/// points as it takes for the standard error to be at most `target`: a first run of 2^16 points estimates
/// the spread, each further run extends the same stream (the points already summed are kept), by at
/// least an eighth. The result is that of a single run of the size reached.
///
/// ```
/// use hetero::{Backend, Control, Engine, expr::Expr, kernels::MonteCarloIntegral, target::integral_to_error};
///
/// let engine = Engine::with_threads(2)?;
/// let f = Expr::parse("exp(-x*y)", 2)?.into();
/// let run = integral_to_error(&engine, &f, &[(0.0, 1.0); 2], 9, 1e-4, Backend::Rayon, &Control::new())?.run;
/// assert!(run.output.std_error <= 1e-4);
/// let fixed = MonteCarloIntegral::new(f, &[(0.0, 1.0); 2], run.output.samples, 9)?;
/// assert_eq!(engine.run(&fixed, Backend::Serial)?.output, run.output);
/// # Ok::<(), hetero::Error>(())
/// ```
pub fn integral_to_error(
    engine: &Engine,
    f: &crate::integrand::Integrand,
    bounds: &[(f64, f64)],
    seed: u64,
    target: f64,
    choice: impl Into<Choice>,
    control: &Control,
) -> Result<TargetRun<crate::kernels::IntegralEstimate>> {
    check_target(target)?;
    let goal = Goal {
        z: 1.0,
        tolerance: &|_| target,
        max_elements: None,
        floor: 0.0,
    };
    integral_to_goal(engine, f, bounds, seed, &goal, choice.into(), control)
}

/// What a run towards a tolerance aims at: an error of `z` standard errors (or, for deterministic
/// rules, the rule's own estimate) at most `tolerance(value)`, within `max_elements` points (`None`: a
/// target that needs more than the kernel's limit is refused up front, as the commands' `--target-error`
/// does; `Some`: the run stops at the budget and says so).
pub(crate) struct Goal<'a> {
    /// The error is `z` standard errors (1 for `--target-error`, 1.96 for a 95% interval's half-width).
    pub z: f64,
    /// The largest error accepted for a value.
    pub tolerance: &'a dyn Fn(f64) -> f64,
    /// Most elements (points, or evaluations summed over the runs of a doubling rule) to spend.
    pub max_elements: Option<u64>,
    /// What rounding alone may make of the value, where a deterministic rule knows it (0 where not): a
    /// tolerance below it is out of reach, and the rule stops once its estimate is down to it.
    pub floor: f64,
}

/// A check's run of `kernel` (a coarser or shorter run of a fixed-size one, named `what`), or, where it
/// was interrupted or failed, the reason the fixed-size run's estimate stays unchecked: the run's result
/// stands whatever befalls its check.
fn check_run<K: Kernel>(
    engine: &Engine,
    kernel: &K,
    choice: Choice,
    control: &Control,
    what: &str,
) -> std::result::Result<Run<K::Output>, String> {
    match engine.run_with(kernel, choice, control) {
        Ok(check) if !check.interrupted => Ok(check),
        Ok(_) | Err(Error::Interrupted { .. }) => Err(format!("its check, {what}, was interrupted")),
        Err(e) => Err(format!("its check, {what}, failed: {e}")),
    }
}

/// The fewest points of an earlier estimate that [`unsettled`] compares with.
const SETTLING_POINTS: u64 = 1 << 12;

/// How far apart (as a factor either way) two estimates of the variance may lie before it is taken as
/// not settling.
const SETTLING_FACTOR: f64 = 4.0;

/// The sample variance behind an estimate (its standard error squared, times its points).
fn variance(estimate: &crate::kernels::IntegralEstimate) -> f64 {
    estimate.std_error * estimate.std_error * estimate.samples as f64
}

/// Why an estimate's interval is not trusted when its sample variance moved by more than
/// [`SETTLING_FACTOR`] from an earlier estimate's, on the first points of the same stream: a heavy tail
/// (a variance that is infinite, or that a few points dominate) keeps the sample variance growing, or
/// falling back once its largest point is behind it, and a confidence interval from it means nothing.
fn unsettled(earlier: &crate::kernels::IntegralEstimate, now: &crate::kernels::IntegralEstimate) -> Option<String> {
    let (before, after) = (variance(earlier), variance(now));
    let factor = after / before;
    (before > 0.0 && !(1.0 / SETTLING_FACTOR..=SETTLING_FACTOR).contains(&factor)).then(|| {
        format!(
            "the sample variance is not settling: {before:.3e} over the first {} points, {after:.3e} over {} \
             (x{factor:.2}): a heavy tail, which the interval cannot describe",
            earlier.samples, now.samples
        )
    })
}

/// Why the interval of a fixed-size Monte Carlo `run` of `kernel` cannot be trusted, if it cannot: the
/// kernel's own reasons ([`MonteCarloIntegral::doubt`](crate::kernels::MonteCarloIntegral::doubt)), or,
/// for an expression that may be unbounded or jump over the box and a run of at least 2^16 points, a
/// sample variance that moved by more than a factor of 4 from that of its first sixteenth (a run of
/// those points: a sixteenth more work, on the same backend).
///
/// ```
/// use hetero::{Backend, Control, Engine, expr::Expr, kernels::MonteCarloIntegral, target::integral_doubt};
///
/// let engine = Engine::with_threads(2)?;
/// let smooth = MonteCarloIntegral::new(Expr::parse("exp(-x*y)", 2)?, &[(0.0, 1.0); 2], 1 << 16, 1)?;
/// let run = engine.run(&smooth, Backend::Rayon)?;
/// assert_eq!(integral_doubt(&engine, &smooth, &run, Backend::Rayon, &Control::new())?, None);
/// # Ok::<(), hetero::Error>(())
/// ```
pub fn integral_doubt(
    engine: &Engine,
    kernel: &crate::kernels::MonteCarloIntegral,
    run: &Run<crate::kernels::IntegralEstimate>,
    choice: impl Into<Choice>,
    control: &Control,
) -> Result<Option<String>> {
    if let Some(why) = kernel.doubt(&run.output)? {
        return Ok(Some(why));
    }
    let samples = run.output.samples;
    if run.interrupted || samples < 16 * SETTLING_POINTS || !kernel.may_be_heavy() {
        return Ok(None);
    }
    let first = crate::kernels::MonteCarloIntegral::new(
        kernel.integrand().clone(),
        kernel.bounds(),
        samples / 16,
        run.output.seed,
    )?;
    Ok(
        match check_run(
            engine,
            &first,
            choice.into(),
            control,
            "a run of its first sixteenth of the points",
        ) {
            Ok(check) => unsettled(&check.output, &run.output),
            Err(why) => Some(why),
        },
    )
}

/// [`integral_to_error`] towards a [`Goal`].
pub(crate) fn integral_to_goal(
    engine: &Engine,
    f: &crate::integrand::Integrand,
    bounds: &[(f64, f64)],
    seed: u64,
    goal: &Goal<'_>,
    choice: Choice,
    control: &Control,
) -> Result<TargetRun<crate::kernels::IntegralEstimate>> {
    use crate::kernels::MonteCarloIntegral;
    let block = 1u64 << 14;
    let cap = goal.max_elements.unwrap_or(u64::MAX).max(1);
    let mut samples = (1u64 << 16).min(cap);
    let kernel_of = |samples: u64| MonteCarloIntegral::new(f.clone(), bounds, samples, seed);
    let backend = engine.resolve(&kernel_of(samples)?, choice)?;
    // A spread of 0 is evidence of an error of 0 only for a constant integrand.
    let constant = f.is_constant();
    let zero_cap = cap.min(MAX_ZERO_SPREAD_SAMPLES);
    // A variance seen to be infinite (at a point, or across a surface of a box): no number of points makes the interval mean
    // anything, so the run stops at its first size instead of spending the budget.
    let infinite = kernel_of(samples)?.infinite_variance()?;
    // The estimates so far (each of the first points of the stream), for an integrand whose sample
    // variance needs watching.
    let heavy = kernel_of(samples)?.may_be_heavy();
    let mut history: Vec<crate::kernels::IntegralEstimate> = Vec::new();
    let mut settling = None;
    let mut unsettled_times = 0;
    let start = Instant::now();
    let mut total = None;
    let (mut done, mut gpu, mut interrupted) = (0u64, None, false);
    let mut budget_spent = false;
    let planned = loop {
        let kernel = kernel_of(samples)?;
        let driven = engine.drive(&kernel, backend, done..kernel.blocks(), control)?;
        done += driven.completed;
        crate::gpu::GpuReport::add_to(&mut gpu, driven.gpu.as_ref());
        total = match (total, driven.partial) {
            (Some(left), Some(right)) => Some(crate::kernels::IntegralPartial::combine(left, right)),
            (left, right) => left.or(right),
        };
        let Some(sums) = &total else {
            return Err(Error::Interrupted {
                completed: 0,
                blocks: kernel.blocks(),
            });
        };
        let estimate = kernel.finish(sums.clone());
        if driven.interrupted {
            interrupted = true;
            break kernel.blocks();
        }
        let error = goal.z * estimate.std_error;
        let tolerance = (goal.tolerance)(estimate.value);
        let no_spread = blind(&estimate, constant);
        // Met, but with a variance that moved from an earlier estimate's of at most a quarter of the
        // points: not met yet (more points, up to the budget).
        let earlier = history
            .iter()
            .rev()
            .find(|e| e.samples >= SETTLING_POINTS && e.samples <= estimate.samples / 4);
        settling = earlier.and_then(|earlier| unsettled(earlier, &estimate));
        unsettled_times += usize::from(settling.is_some());
        // Nothing to compare with yet: not met before a comparison, where the budget allows one.
        let unchecked = heavy && earlier.is_none() && samples.saturating_mul(4) <= cap;
        if heavy {
            history.push(estimate.clone());
        }
        let met = error <= tolerance && !no_spread && settling.is_none() && !unchecked;
        // Twice not settling: a heavy tail, which more points will not cure (once may be chance).
        if met || !estimate.std_error.is_finite() || unsettled_times >= 2 || infinite.is_some() {
            break kernel.blocks();
        }
        if samples >= cap || (no_spread && samples >= zero_cap) {
            budget_spent = !no_spread;
            break kernel.blocks();
        }
        // N such that error · sqrt(n / N) = tolerance; eight times as many while the spread says nothing
        // (more points may meet where the integrand differs from 0).
        let ratio = error / tolerance;
        let needed = match (no_spread, settling.is_some() || unchecked) {
            (true, _) => (estimate.samples as f64 * 8.0).min(zero_cap as f64),
            // Four times as many, so that the next estimate can be compared with this one soon.
            (false, true) => estimate.samples as f64 * 4.0,
            (false, false) => (estimate.samples as f64 * ratio * ratio).ceil(),
        };
        if goal.max_elements.is_none() && needed > MAX_TARGET_SAMPLES as f64 {
            return Err(Error::invalid(
                "target error",
                format!(
                    "{:e} needs about {needed:.1e} points, more than the 2^62 allowed",
                    tolerance
                ),
            ));
        }
        let needed = needed.min(MAX_TARGET_SAMPLES as f64) as u64;
        samples = needed.max(samples + samples / 8).next_multiple_of(block).min(cap);
    };
    let sums = total.ok_or(Error::EmptyKernel)?;
    let kernel = kernel_of(sums.points.max(1))?;
    let run = Run {
        output: kernel.finish(sums.clone()),
        backend,
        threads: engine.threads_for(backend),
        blocks: if interrupted { planned } else { done },
        completed: done,
        interrupted,
        elapsed: start.elapsed(),
        elements: sums.points,
        gpu,
        split: None,
    };
    if let Some(why) = infinite.or(settling) {
        return Ok(TargetRun::missed(run, why));
    }
    if budget_spent {
        let why = format!("the budget of {cap} points is spent");
        return Ok(TargetRun::missed(run, why));
    }
    if blind(&run.output, constant) {
        let why = zero_spread(run.output.samples);
        return Ok(TargetRun::missed(run, why));
    }
    Ok(TargetRun::reached(run))
}

/// The order at or above which a fixed-size Simpson run's two estimates show the rule in its regime (a
/// fall by 12 per doubling, as a run to a tolerance accepts).
const SIMPSON_REGIME_ORDER: f64 = 3.58;

/// Why the error estimate of a fixed-size Simpson run (`run`, of `kernel`) cannot be trusted, if it
/// cannot. An integrand unbounded or jumping at a point of the interval
/// ([`SimpsonIntegrand::irregular`]) has no regime at all. Otherwise, Richardson's `|S_n − S_{n/2}|/15` is the error only where the rule converges at its order 4;
/// a run of a quarter of the intervals (a quarter more work, on the same backend) gives the estimate
/// one level coarser, `|S_{n/4} − S_{n/8}|/15`, and the order their ratio shows must be at least 3.58
/// (a fall by 12 per doubling, as [`simpson_to_error`] asks three times). Estimates at the rounding of
/// the value (4 units of its last place) at both sizes, or 0 at both (the rule is exact, as for a cubic),
/// need no order, but a value of 0 from points that all gave 0 is no evidence. An interrupted run,
/// or one of fewer than 16 intervals, is not checked (`None` for the first; a reason for the second).
///
/// ```
/// use hetero::{Backend, Control, Engine, kernels::{Function, Simpson}, target::simpson_doubt};
///
/// let engine = Engine::with_threads(2)?;
/// // x^1000000 with 1000 intervals: every point but the last is 0; the estimate is 15x too small.
/// let kernel = Simpson::new(Function::poly(1_000_000)?, 0.0, 1.0, 1000)?;
/// let run = engine.run(&kernel, Backend::Rayon)?;
/// assert!(simpson_doubt(&engine, &kernel, &run, Backend::Rayon, &Control::new())?.is_some());
/// let kernel = Simpson::new(Function::Exp, 0.0, 1.0, 1000)?;
/// let run = engine.run(&kernel, Backend::Rayon)?;
/// assert_eq!(simpson_doubt(&engine, &kernel, &run, Backend::Rayon, &Control::new())?, None);
/// # Ok::<(), hetero::Error>(())
/// ```
pub fn simpson_doubt<F: SimpsonIntegrand + Clone>(
    engine: &Engine,
    kernel: &Simpson<F>,
    run: &Run<SimpsonEstimate>,
    choice: impl Into<Choice>,
    control: &Control,
) -> Result<Option<String>> {
    if run.interrupted {
        return Ok(None);
    }
    let (a, b) = kernel.bounds();
    if let Some(why) = kernel.integrand().irregular(a.min(b), a.max(b)) {
        return Ok(Some(why));
    }
    let n = run.output.intervals;
    if n < 16 {
        return Ok(Some(format!(
            "with {n} intervals the estimate cannot be checked against a coarser one (16 or more are needed)"
        )));
    }
    let coarse = Simpson::new(kernel.integrand().clone(), a, b, n / 4)?;
    let check = match check_run(
        engine,
        &coarse,
        choice.into(),
        control,
        "a run of a quarter of the intervals",
    ) {
        Ok(check) => check,
        Err(why) => return Ok(Some(why)),
    };
    let fine = run.output.error_estimate;
    let rough = check.output.error_estimate;
    if fine == 0.0 && rough == 0.0 && run.output.value == 0.0 {
        return Ok(Some(format!(
            "every one of the {} points gave 0, so the rule sees nothing to estimate: a feature between them \
             (a peak narrower than the spacing) would not show",
            n + 1
        )));
    }
    let unit = unit_roundoff(run.float_precision().unwrap_or(Precision::F64));
    let rounding = |e: &SimpsonEstimate| e.error_estimate <= 4.0 * unit * e.value.abs();
    if (fine == 0.0 && rough == 0.0) || (rounding(&run.output) && rounding(&check.output)) {
        return Ok(None);
    }
    let m = coarse.intervals();
    let order = (rough / fine).ln() / (n as f64 / m as f64).ln();
    if order >= SIMPSON_REGIME_ORDER {
        return Ok(None);
    }
    let shown = if order.is_finite() {
        format!("{order:.2}")
    } else {
        "none".to_owned()
    };
    Ok(Some(format!(
        "the rule is not in its regime at {n} intervals: from {m} to {n} its estimate went from {rough:.3e} to \
         {fine:.3e}, an order of {shown} where Simpson's is 4, so the estimate may be far from the error (a run \
         to a tolerance finds a size where it holds)"
    )))
}

/// Most evaluations [`simpson_to_error`] spends over its doublings (`integrate`'s default budget for
/// Simpson too): 2^32, seconds on two cores.
pub const SIMPSON_MAX_EVALS: u64 = 1 << 32;

/// Simpson's rule for `f` over `[a, b]`, doubling the intervals from 1024 until Richardson's estimate is
/// at most `target` and trusted (see the [module](self) docs). When it is not reached (rounding stops the
/// estimate from shrinking first; at the rate the doublings show, the target needs more than 2^53
/// intervals or more than [`SIMPSON_MAX_EVALS`] evaluations; or those evaluations are spent), the best
/// trusted run is returned with `reached: false` and the reason.
///
/// ```
/// use hetero::{Backend, Control, Engine, kernels::Function, target::simpson_to_error};
///
/// let engine = Engine::with_threads(2)?;
/// let done = simpson_to_error(&engine, Function::Exp, 0.0, 1.0, 1e-12, Backend::Rayon, &Control::new())?;
/// assert!(done.reached && done.run.output.error_estimate <= 1e-12);
/// // sin over [0, 10^5] at 1024 intervals (points 98 apart) looks converged to a naive test; here it is
/// // refined until the points resolve the oscillation.
/// let sin = simpson_to_error(&engine, Function::Sin, 0.0, 1e5, 1e-3, Backend::Rayon, &Control::new())?;
/// let exact = 1.0 - 1e5f64.cos();
/// assert!(sin.reached && (sin.run.output.value - exact).abs() < 1e-3);
/// # Ok::<(), hetero::Error>(())
/// ```
pub fn simpson_to_error<F: SimpsonIntegrand + Clone>(
    engine: &Engine,
    f: F,
    a: f64,
    b: f64,
    target: f64,
    choice: impl Into<Choice>,
    control: &Control,
) -> Result<TargetRun<SimpsonEstimate>> {
    check_target(target)?;
    let goal = Goal {
        z: 1.0,
        tolerance: &|_| target,
        max_elements: Some(SIMPSON_MAX_EVALS),
        floor: 0.0,
    };
    simpson_to_goal(engine, f, a, b, &goal, choice.into(), control).map(|done| done.done)
}

/// [`simpson_to_error`] towards a [`Goal`] (its `z` unused: Richardson's estimate is the error), with
/// the evaluations spent over every doubling: a doubling that would take the sum past the goal's
/// `max_elements` is not started, and a deadline's stop ([`Control::with_deadline`]) returns the run it
/// would have returned at that budget, so that the evaluations reported reproduce the result.
pub(crate) fn simpson_to_goal<F: SimpsonIntegrand + Clone>(
    engine: &Engine,
    f: F,
    a: f64,
    b: f64,
    goal: &Goal<'_>,
    choice: Choice,
    control: &Control,
) -> Result<SimpsonDone> {
    let start = Instant::now();
    let mut n = 1024u64;
    let irregular = f.irregular(a.min(b), a.max(b));
    // Evaluations of f by the runs completed.
    let mut evals = 0u64;
    let max_evals = goal.max_elements.unwrap_or(u64::MAX);
    // The estimates so far, latest last.
    let mut estimates: Vec<f64> = Vec::new();
    // Whether each estimate was at the rounding of its value (4 units of its last place or less): `S_n`
    // and `S_{n/2}` agreeing to rounding at three doublings in a row is convergence whatever the order.
    let mut settled: Vec<bool> = Vec::new();
    // The best run whose estimate was trusted, and the last run completed, each with its error (Richardson's
    // estimate at the order seen).
    let mut best: Option<(Run<SimpsonEstimate>, f64)> = None;
    let mut last: Option<(Run<SimpsonEstimate>, f64)> = None;
    // Doublings since the estimate was last trusted, once it has been.
    let mut untrusted_since = 0;
    // The smallest estimate so far, and doublings since one fell below a quarter of it.
    let (mut smallest, mut stale) = (f64::INFINITY, 0);
    // Where the evaluations or the time ran out: the best trusted run, or else the last one.
    type Rated = Option<(Run<SimpsonEstimate>, f64)>;
    let short = |best: Rated, last: Rated, evals: u64, why: &str| {
        let trusted = best.is_some();
        best.or(last).map(|(mut run, error)| {
            run.elapsed = start.elapsed();
            let estimate = if trusted { "" } else { ", not trusted" };
            let why = format!(
                "{why} after {evals} evaluations; the best run has {} intervals (estimate {error:.3e}{estimate})",
                run.output.intervals
            );
            SimpsonDone::missed(run, why, evals, error)
        })
    };
    let too_soon =
        || Error::TimeLimit("the time limit was reached before the first run of 1024 intervals was done".to_owned());
    loop {
        // A deadline ends the run at a doubling's boundary, as a budget of the evaluations done would.
        if control.timed_out() {
            return short(best, last, evals, "the time limit was reached").ok_or_else(too_soon);
        }
        if evals.saturating_add(n + 1) > max_evals
            && let Some(done) = short(best.clone(), last.clone(), evals, "the budget of evaluations is spent")
        {
            return Ok(done);
        }
        let kernel = Simpson::new(f.clone(), a, b, n)?;
        let mut run = match engine.run_with(&kernel, choice, control) {
            Err(Error::Interrupted { .. }) if control.timed_out() => {
                return short(best, last, evals, "the time limit was reached").ok_or_else(too_soon);
            }
            run => run?,
        };
        run.elapsed = start.elapsed();
        if run.interrupted {
            // A doubling cut short is not the integral: a deadline's stop answers with the runs done.
            if control.timed_out() {
                return short(best, last, evals, "the time limit was reached").ok_or_else(too_soon);
            }
            let error = run.output.error_estimate;
            return Ok(SimpsonDone::reached(run, evals, error));
        }
        evals = evals.saturating_add(n + 1);
        // Unbounded or jumping: no doubling makes the estimate mean anything; the first run's value is the answer.
        if let Some(why) = &irregular {
            kernel.check(&run.output)?;
            let error = run.output.error_estimate;
            return Ok(SimpsonDone::missed(run, why.clone(), evals, error));
        }
        // A value or estimate that is not finite stays so at every further doubling (the points of `n` are
        // among those of `2n`, and an integral beyond the f64 range stays beyond it): an error now, not
        // doublings up to 2^53 intervals.
        kernel.check(&run.output)?;
        let target = (goal.tolerance)(run.output.value);
        estimates.push(run.output.error_estimate);
        // The value itself is rounded to the run's precision: a target below half its last place is out
        // of reach, however small the estimate.
        let precision = run.float_precision();
        let resolution = unit_roundoff(precision.unwrap_or(Precision::F64)) * run.output.value.abs();
        // Every point 0: no evidence of anything (a peak between the points would not show).
        let blind = run.output.value == 0.0 && run.output.error_estimate == 0.0;
        // At the rounding of the value, or below what rounding may make of it: more points cannot tell.
        settled.push(!blind && run.output.error_estimate <= (4.0 * resolution).max(goal.floor));
        let order = converging(&estimates).filter(|_| !blind);
        let trusted = order.is_some() || settled.ends_with(&[true; 3]);
        // Richardson's estimate at the order the doublings show.
        let estimate = run.output.error_estimate * order.unwrap_or(1.0);
        if trusted && estimate <= target.max(goal.floor) {
            if target < resolution {
                let why = format!(
                    "it is below the resolution of the value in {} ({resolution:.3e}, half its last place); the \
                     estimate is {estimate:.3e} with {} intervals",
                    precision.map_or("f64".to_owned(), |p| p.to_string()),
                    run.output.intervals
                );
                return Ok(SimpsonDone::missed(run, why, evals, estimate));
            }
            if target < goal.floor {
                let why = format!(
                    "it is below what rounding may make of the value ({:.3e}: the bound of the integrand's \
                     evaluations over the interval), which more points cannot reduce; the estimate is {estimate:.3e} \
                     with {} intervals",
                    goal.floor, run.output.intervals
                );
                return Ok(SimpsonDone::missed(run, why, evals, estimate));
            }
            return Ok(SimpsonDone::reached(run, evals, estimate));
        }
        // At the value's rounding three doublings running, above the target: more points cannot shrink the
        // estimate (rounding limits it), so the run ends here with the best of the runs.
        if settled.ends_with(&[true; 3]) {
            let (best, error) = match best {
                Some((best, error)) if error <= estimate => (best, error),
                _ => (run, estimate),
            };
            let why = format!(
                "the estimate stopped shrinking at {error:.3e} with {} intervals: it is at the rounding of the value \
                 in {} ({resolution:.3e}, half its last place), which more points cannot reduce",
                best.output.intervals,
                precision.map_or("f64".to_owned(), |p| p.to_string()),
            );
            return Ok(SimpsonDone::missed(best, why, evals, error));
        }
        if estimate < smallest / 4.0 || smallest.is_infinite() {
            stale = 0;
        } else {
            stale += 1;
        }
        smallest = smallest.min(estimate);
        // Never seen converging, and the estimate has not shrunk four-fold in eight doublings: the points
        // do not resolve the integrand and will not soon (an oscillation far beyond them, a spike).
        if best.is_none() && stale >= 8 && blind {
            let why = format!(
                "every one of the {} points gave 0 at each of eight doublings, so the rule sees nothing to \
                 estimate: a feature between them (a peak narrower than the spacing) would not show",
                n + 1
            );
            return Ok(SimpsonDone::missed(run, why, evals, estimate));
        }
        if best.is_none() && stale >= 8 {
            let why = format!(
                "the rule is not converging in {}: its estimate has not shrunk four-fold in eight doublings, up \
                 to {} intervals (last estimate {estimate:.3e}, not trusted)",
                precision.map_or("f64".to_owned(), |p| p.to_string()),
                run.output.intervals,
            );
            return Ok(SimpsonDone::missed(run, why, evals, estimate));
        }
        // Converging, but at the rate the last doublings show the target lies beyond the most intervals
        // or the budget: say so now rather than spend the budget finding out.
        if order.is_some()
            && let Some(why) = out_of_reach(&estimates, estimate, target.max(goal.floor), n, evals, max_evals)
        {
            return Ok(SimpsonDone::missed(run, why, evals, estimate));
        }
        if trusted {
            if best.as_ref().is_none_or(|(_, error)| estimate < *error) {
                best = Some((run.clone(), estimate));
            }
            untrusted_since = 0;
        } else if best.is_some() {
            untrusted_since += 1;
        }
        let precision = precision.map_or("f64".to_owned(), |p| p.to_string());
        // Converging once, then not for two doublings: the estimate stopped shrinking at the rule's order,
        // which past convergence means rounding (in the function values or the precision) has taken over.
        if untrusted_since >= 2
            && let Some((best, error)) = best
        {
            let why = format!(
                "the estimate stopped shrinking at {error:.3e} with {} intervals (rounding in {precision} limits it)",
                best.output.intervals
            );
            return Ok(SimpsonDone::missed(best, why, evals, error));
        }
        if n.saturating_mul(2) > MAX_FLOAT_ELEMENTS {
            let converged = best.is_some();
            let (best, error) = best.unwrap_or((run, estimate));
            let why = if converged {
                format!(
                    "the estimate reached {error:.3e} with {} intervals, the most allowed (2^53)",
                    best.output.intervals
                )
            } else {
                format!(
                    "the rule was never seen converging at its order, up to {} intervals; the last estimate \
                     ({error:.3e}) cannot be trusted",
                    best.output.intervals
                )
            };
            return Ok(SimpsonDone::missed(best, why, evals, error));
        }
        last = Some((run, estimate));
        n *= 2;
    }
}

/// Why a run converging at the rate `estimates` show cannot reach `target` from `estimate` at `n`
/// intervals: the doublings it needs, each dividing the estimate by the largest of the last three factors
/// seen (the most hopeful rate), would pass 2^53 intervals or `max_evals` evaluations (`evals` spent).
fn out_of_reach(estimates: &[f64], estimate: f64, target: f64, n: u64, evals: u64, max_evals: u64) -> Option<String> {
    let [.., e0, e1, e2, e3] = estimates else {
        return None;
    };
    let rate = [e0 / e1, e1 / e2, e2 / e3].into_iter().fold(f64::NAN, f64::max);
    if estimate <= target || rate.is_nan() || rate <= 1.0 {
        return None;
    }
    let doublings = ((estimate / target).ln() / rate.ln()).ceil();
    let intervals = (n as f64).log2() + doublings;
    // The doublings' evaluations: n·(2 + 4 + … + 2^k) = n·(2^(k+1) − 2).
    let needed = evals as f64 + n as f64 * ((doublings + 1.0).exp2() - 2.0);
    let limit = if intervals > (MAX_FLOAT_ELEMENTS as f64).log2() {
        "the 2^53 allowed".to_owned()
    } else if needed > max_evals as f64 {
        format!("the budget of {max_evals} evaluations")
    } else {
        return None;
    };
    Some(format!(
        "out of reach: the estimate shrinks at most {rate:.1}-fold per doubling, so from {estimate:.3e} at {n} \
         intervals a target of {target:.3e} needs about 2^{intervals:.0} intervals, beyond {limit}"
    ))
}

/// What [`simpson_to_goal`] ends with: the run, the evaluations spent over every doubling, and the error
/// of the run's value: Richardson's estimate at the order the doublings showed (`|S_n − S_{n/2}|/15` at
/// order 4, more at a slower order), which the run's own `error_estimate` (the `/15` of a run of that
/// size, bit for bit) may understate.
pub(crate) struct SimpsonDone {
    pub done: TargetRun<SimpsonEstimate>,
    pub evals: u64,
    pub error: f64,
}

impl SimpsonDone {
    fn reached(run: Run<SimpsonEstimate>, evals: u64, error: f64) -> Self {
        SimpsonDone {
            done: TargetRun::reached(run),
            evals,
            error,
        }
    }

    fn missed(run: Run<SimpsonEstimate>, why: String, evals: u64, error: f64) -> Self {
        SimpsonDone {
            done: TargetRun::missed(run, why),
            evals,
            error,
        }
    }
}

/// Whether the last estimates show Simpson's rule converging at one order, and if so the factor that
/// turns Richardson's estimate `|S_n − S_{n/2}|/15` (the error at order 4) into the error at the order
/// seen. Three doublings, because estimates from points that do not resolve the integrand vary
/// erratically and two ratios near one value in a row happen by chance.
///
/// - Order 4 or faster: each of the last three doublings divided the estimate by a factor between 12 and
///   80 (16 in the limit for order 4, 64 where the `h^4` term vanishes, as when the third derivative is
///   equal at both ends), the three factors within a factor of 2 of each other; the estimate stands (at an
///   order above 4 it overstates the error, which is then about `|S_n − S_{n/2}|/63`). Or the estimate is
///   exactly 0 twice running (the rule is exact, as for cubics).
/// - A slower order `p ≥ 1` (an integrand whose derivatives are unbounded at an end, as `sqrt(x)` or
///   `x^1.5`): the three factors `r` between 2 and 12, within a factor of `√2` of each other (half an
///   order); the error of `S_n` is then about `|S_n − S_{n/2}|/(r − 1)`, taken at the smallest of the
///   three and doubled (the order is inferred, not known: at `x^1.5` the undoubled estimate fell 0.1%
///   short of the actual error).
fn converging(estimates: &[f64]) -> Option<f64> {
    if let [.., e1, e2] = estimates
        && *e1 == 0.0
        && *e2 == 0.0
    {
        return Some(1.0);
    }
    let [.., e0, e1, e2, e3] = estimates else {
        return None;
    };
    let ratio = |before: f64, after: f64| (after > 0.0).then(|| before / after);
    let (r1, r2, r3) = (ratio(*e0, *e1)?, ratio(*e1, *e2)?, ratio(*e2, *e3)?);
    let (low, high) = (r1.min(r2).min(r3), r1.max(r2).max(r3));
    if low >= 12.0 && high <= 80.0 && high <= 2.0 * low {
        return Some(1.0);
    }
    ((2.0..12.0).contains(&low) && high <= std::f64::consts::SQRT_2 * low).then(|| 2.0 * 15.0 / (low - 1.0))
}

/// The Leibniz series with the fewest terms `N` whose truncation bound `4/(2N+1)` is at most `target`.
pub fn leibniz_to_error(
    engine: &Engine,
    target: f64,
    choice: impl Into<Choice>,
    control: &Control,
) -> Result<TargetRun<LeibnizEstimate>> {
    check_target(target)?;
    let terms = ((4.0 / target - 1.0) / 2.0).ceil().max(1.0);
    if terms > MAX_FLOAT_ELEMENTS as f64 {
        return Err(Error::invalid(
            "target error",
            format!("{target:e} needs {terms:.3e} terms, more than the 2^53 allowed"),
        ));
    }
    engine
        .run_with(&Leibniz::new(terms as u64)?, choice, control)
        .map(TargetRun::reached)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Backend;

    #[test]
    fn leibniz_picks_the_smallest_n_within_the_bound() {
        let engine = Engine::with_threads(2).unwrap_or_else(|e| panic!("{e}"));
        let run = leibniz_to_error(&engine, 1e-5, Backend::Serial, &Control::new())
            .unwrap_or_else(|e| panic!("{e}"))
            .run;
        let n = run.output.terms;
        assert!(run.output.bound <= 1e-5);
        assert!(4.0 / (2.0 * (n - 1) as f64 + 1.0) > 1e-5);
    }

    #[test]
    fn convergence_needs_three_doublings_at_one_order() {
        let trusted = |e: &[f64]| converging(e).is_some();
        assert!(!trusted(&[1e-3]));
        assert!(!trusted(&[1e-3, 6e-5, 3.9e-6]));
        assert_eq!(converging(&[1e-3, 6.2e-5, 3.9e-6, 2.4e-7]), Some(1.0));
        assert!(!trusted(&[1e-3, 6.2e-5, 3e-5, 1.9e-6]));
        assert!(!trusted(&[1e-3, 6.2e-5, 3.9e-6, 4.5e-7]));
        assert!(!trusted(&[1e-2, 1e-3, 2e-3, 1.2e-4]));
        assert_eq!(converging(&[7.0, 0.0, 0.0]), Some(1.0));
        assert!(!trusted(&[1e-3, 6.2e-5, 3.9e-6, 0.0]));
        // Order 6 (the h^4 term vanishes): trusted; an order that changes from one doubling to the next,
        // or a fall too steep for any order of the rule, not.
        assert_eq!(converging(&[1e-3, 1.6e-5, 2.5e-7, 3.9e-9]), Some(1.0));
        assert!(!trusted(&[1e-3, 6.2e-5, 1e-6, 1.6e-8]));
        assert!(!trusted(&[1e-3, 1e-5, 1e-7, 1e-9]));
        // Order 1.5 (sqrt(x) at 0): trusted, the error 2|S_n − S_{n/2}|/(r − 1) at the smallest factor r, not
        // the /15 of order 4.
        let r = 2f64.powf(1.5);
        let factor = converging(&[1.0, 1.0 / r, 1.0 / (r * r), 1.0 / (r * r * r * 1.01)]);
        assert!(factor.is_some_and(|f| (f - 30.0 / (r - 1.0)).abs() < 1e-12));
        // Factors that wander by more than half an order (a kink the doublings move across), or below 2,
        // are no order.
        assert!(!trusted(&[1.0, 0.25, 0.1, 0.0125]));
        assert!(!trusted(&[1.0, 0.6, 0.36, 0.216]));
    }

    #[test]
    fn bad_targets_are_refused() {
        let engine = Engine::with_threads(1).unwrap_or_else(|e| panic!("{e}"));
        for target in [0.0, -1.0, f64::NAN, f64::INFINITY] {
            assert!(leibniz_to_error(&engine, target, Backend::Serial, &Control::new()).is_err());
        }
        assert!(leibniz_to_error(&engine, 1e-17, Backend::Serial, &Control::new()).is_err());
        assert!(pi_to_error(&engine, 1, 1e-12, Backend::Serial, &Control::new()).is_err());
    }
}
