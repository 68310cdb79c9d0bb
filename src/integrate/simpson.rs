//! The `simpson` method: the composite Simpson rule ([`crate::kernels::Simpson`]) in one dimension, of a
//! fixed size (`intervals`) or doubled from 1024 intervals until Richardson's estimate meets the tolerance
//! and the rule is seen converging at its order ([`crate::target`] explains the checks). Its `error` is
//! Richardson's estimate, at least what rounding alone may make of the value: half its last place, and
//! for an expression or a built-in function over a finite interval the bound of its evaluation's rounding
//! on the CPU times the interval's width, where a finite bound can be derived (plus the GPU's derived bound
//! where the GPU computed). A tolerance below that floor is not reached, however small the estimate: the
//! doublings stop once the estimate is down to the floor. Over an infinite range, and for a Rust function
//! or an expression with no finite bound (a pole at an end), the floor is half the value's last place.

use super::{Answer, ErrorKind, Integrand, Job, Method, OptionSpec, Options, Outcome, Problem, time_limited};
use std::ops::Range;
use std::sync::Arc;

use crate::domain::{Map, bound_json};
use crate::gpu::Precision;
use crate::kernel::Verify;
use crate::kernels::{Simpson as Kernel, SimpsonEstimate, SimpsonIntegrand};
use crate::points::{Evaluable, Spaced, add_values};
use crate::program::unit_roundoff;
use crate::report::run_json;
use crate::size::real_text;
use crate::sum::{LANES, Neumaier};
use crate::target::{Goal, simpson_to_goal};
use crate::{Control, Engine, Error, Result, Run};

/// The evaluations of the first run of a run to a tolerance (1024 intervals).
const FIRST_EVALS: u64 = 1025;

/// The `simpson` method.
pub(super) struct Simpson;

const OPTIONS: &[OptionSpec] = &[OptionSpec::size(
    "intervals",
    "A run of this many intervals (rounded up to a multiple of 4) instead of one to a tolerance",
)];

impl Method for Simpson {
    fn name(&self) -> &'static str {
        "simpson"
    }

    fn summary(&self) -> &'static str {
        "composite Simpson rule in one dimension, doubled until Richardson's estimate meets the tolerance"
    }

    fn options(&self) -> &'static [OptionSpec] {
        OPTIONS
    }

    fn error_kind(&self) -> ErrorKind {
        ErrorKind::Estimate
    }

    fn default_rtol(&self) -> f64 {
        1e-10
    }

    /// 2^32 evaluations ([`crate::target::SIMPSON_MAX_EVALS`]): seconds on two cores.
    fn default_max_evals(&self) -> u64 {
        crate::target::SIMPSON_MAX_EVALS
    }

    fn accepts(&self, problem: &Problem) -> Result<()> {
        match problem.dims() {
            1 => Ok(()),
            d => Err(Error::Unsupported(format!(
                "the method simpson integrates over an interval, not a box of {d} dimensions: use mc"
            ))),
        }
    }

    /// A probe of 2^26 intervals (1024 blocks), as `hetero simpson` measures.
    fn calibrate(&self, engine: &Engine, problem: &Problem, _: &Options, control: &Control) -> Result<()> {
        if let Some((map, range)) = Map::of(problem.domain())? {
            let f = Mapped {
                f: problem.integrand().clone(),
                map: Arc::new(map),
            };
            let (a, b) = range[0];
            return engine
                .ensure_calibrated(&Kernel::new(f, a, b, (1 << 26) - 4)?, control)
                .map(drop);
        }
        let (a, b) = problem.domain()[0];
        let probe = |n| match problem.integrand() {
            Integrand::Builtin(f) => engine.ensure_calibrated(&Kernel::new(*f, a, b, n)?, control),
            Integrand::Expr(f) => engine.ensure_calibrated(&Kernel::new(f.clone(), a, b, n)?, control),
            Integrand::Rust(f) => engine.ensure_calibrated(&Kernel::new(f.clone(), a, b, n)?, control),
        };
        probe((1 << 26) - 4).map(drop)
    }

    fn integrate(&self, job: &Job<'_>) -> Result<Answer> {
        crate::singular::refuse_divergent(job.problem.integrand(), job.problem.domain()[0])?;
        if let Some((map, range)) = Map::of(job.problem.domain())? {
            // An infinite range: the rule over the map's finite range of t.
            let (a, b) = range[0];
            let f = Mapped {
                f: job.problem.integrand().clone(),
                map: Arc::new(map),
            };
            let (from, to) = job.problem.domain()[0];
            let mut answer = run(self, job, f.clone(), a, b).map_err(|e| match e {
                // The rule's own message names points of t: the integral is the user's.
                Error::NotFinite(_) => Error::NotFinite(format!(
                    "the integral of {} from {} to {} may diverge: the integrand in t ({}) is not finite",
                    f.f.text(),
                    real_text(from),
                    real_text(to),
                    f.map.describe()
                )),
                e => e,
            })?;
            answer.run["map"] = f.map.describe().into();
            // The report names the integrand as given (the stamp above identified it with its map).
            answer.run["function"] = f.f.text().into();
            for (key, bound) in [("from", from), ("to", to)] {
                answer.run[key] = bound_json(bound);
            }
            return Ok(answer);
        }
        let (a, b) = job.problem.domain()[0];
        match job.problem.integrand() {
            Integrand::Builtin(f) => run(self, job, *f, a, b),
            Integrand::Expr(f) => run(self, job, f.clone(), a, b),
            Integrand::Rust(f) => run(self, job, f.clone(), a, b),
        }
    }
}

/// `job` on the integrand `f` over `[a, b]`.
fn run<F>(method: &Simpson, job: &Job<'_>, f: F, a: f64, b: f64) -> Result<Answer>
where
    F: SimpsonIntegrand + Clone,
{
    let rounding = evaluation_rounding(&f, a, b);
    let Some(tolerance) = job.tolerance else {
        let intervals = job.options.size("intervals")?.unwrap_or(FIRST_EVALS - 1);
        let kernel = Kernel::new(f, a, b, intervals)?;
        let run = time_limited(job.engine.run_with(&kernel, job.choice, job.control), job.control)?;
        kernel.check(&run.output)?;
        let why = (run.interrupted && job.control.timed_out()).then(|| {
            format!(
                "the time limit was reached: blocks 0..{} of {} completed, the value covers only them",
                run.completed, run.blocks
            )
        });
        // Richardson's estimate holds in the rule's regime only: checked against a quarter of the intervals.
        let doubt = crate::target::simpson_doubt(job.engine, &kernel, &run, job.choice, job.control)?;
        return Ok(Outcome {
            value: run.output.value,
            error: floored(&run, &kernel, rounding, run.output.error_estimate),
            evals: run.elements,
            size: run.output.intervals,
            met: true,
            trusted: doubt.is_none(),
            why: why.or(doubt),
            interrupted: run.interrupted,
            backend: run.backend,
            seconds: run.elapsed.as_secs_f64(),
            run: run_json(&kernel, &run),
        }
        .answer(method, job));
    };
    if job.max_evals < FIRST_EVALS {
        return Err(Error::invalid(
            "max_evals",
            format!("the method simpson needs at least {FIRST_EVALS} evaluations (its first run)"),
        ));
    }
    let goal = Goal {
        z: 1.0,
        tolerance: &|value| tolerance.at(value),
        max_elements: Some(job.max_evals),
        floor: rounding.unwrap_or(0.0),
    };
    let crate::target::SimpsonDone { done, evals, error } =
        simpson_to_goal(job.engine, f.clone(), a, b, &goal, job.choice, job.control)?;
    let run = done.run;
    let kernel = Kernel::new(f, a, b, run.output.intervals)?;
    kernel.check(&run.output)?;
    let error = floored(&run, &kernel, rounding, error);
    let target = tolerance.at(run.output.value);
    // The rule stopped at the floor of the CPU's rounding already; a GPU's rounding may raise it past the
    // target.
    let (met, why) = if done.reached && error > target {
        let gpu = run
            .float_precision()
            .map_or(String::new(), |p| format!(", with the GPU's in {p}"));
        let why = format!(
            "the target {target:.3e} is below what rounding may make of the value ({error:.3e}: the bound of the \
             integrand's evaluations over the interval{gpu}), which more points cannot reduce"
        );
        (false, Some(why))
    } else {
        (done.reached, done.why)
    };
    Ok(Outcome {
        value: run.output.value,
        error,
        // A run that Ctrl-C cut short counts what it evaluated.
        evals: if run.interrupted { evals + run.elements } else { evals },
        size: run.output.intervals,
        met,
        trusted: true,
        why,
        interrupted: run.interrupted,
        backend: run.backend,
        seconds: run.elapsed.as_secs_f64(),
        run: run_json(&kernel, &run),
    }
    .answer(method, job))
}

/// An integrand over an infinite range, as the rule integrates it: `f(x(t))·w(t)` over the map's finite
/// range of `t` ([`crate::domain`]), evaluated by the vector loops of [`crate::points`].
#[derive(Clone)]
struct Mapped {
    f: Integrand,
    map: Arc<Map>,
}

impl SimpsonIntegrand for Mapped {
    fn eval(&self, t: f64) -> f64 {
        Evaluable::of(&self.f).mapped(Some(&self.map)).value(&[t])
    }

    fn add_points(&self, lo: f64, h: f64, points: Range<u64>, lanes: [Neumaier; LANES]) -> [Neumaier; LANES] {
        let f = Evaluable::of(&self.f).mapped(Some(&self.map));
        // `points` starts at a multiple of 8: lane (j − start) mod 8 is lane j mod 8.
        add_values(f, &Spaced { lo, h }, points.start, points.end - points.start, lanes)
    }

    fn is_batch(&self) -> bool {
        matches!(&self.f, Integrand::Rust(f) if f.is_batch())
    }

    /// `f(x(t))·w(t)` at each `t`, by [`Map::value`]'s operations, in one call of a batch function.
    fn eval_many(&self, t: &[f64]) -> Option<Vec<f64>> {
        let Integrand::Rust(f) = &self.f else {
            return None;
        };
        if !f.is_batch() {
            return None;
        }
        let mut x = t.to_vec();
        let weights: Vec<f64> = x
            .iter_mut()
            .map(|x| self.map.apply(std::slice::from_mut(x), 1, 0))
            .collect();
        let mut values = vec![0.0; t.len()];
        f.eval_many(&x, &mut values);
        Some(
            values
                .into_iter()
                .zip(weights)
                .map(|(y, w)| Map::weighted(y, w))
                .collect(),
        )
    }

    fn work(&self) -> f64 {
        self.f.work() + self.map.work()
    }

    /// The integrand and the map (with its finite bound): what the stamp identifies the problem by, since
    /// the kernel's bounds are those of `t`. A built-in is named with its parameters.
    fn describe(&self) -> String {
        let f = match &self.f {
            Integrand::Builtin(f) => format!("{f:?}"),
            f => f.text(),
        };
        format!("{f}, {}", self.map.describe())
    }
}

/// What rounding alone may make of the integral of `f` over `[a, b]` on the CPU: the bound of one
/// evaluation's error at a point that is itself rounded (`a + i·h`, within two ulps of the largest `|x|`:
/// the spacing's rounding, the product's and the sum's),
/// times the width. `None` where `f`'s rounding is not known (a Rust function) or no bound is finite.
fn evaluation_rounding<F: SimpsonIntegrand>(f: &F, a: f64, b: f64) -> Option<f64> {
    let (lo, hi) = (a.min(b), a.max(b));
    let reach = lo.abs().max(hi.abs());
    let floor = f.cpu_error(lo, hi, 2.0 * f64::EPSILON * reach)? * (hi - lo);
    floor.is_finite().then_some(floor)
}

/// Richardson's `estimate` (at the order the doublings showed), but never below what rounding alone may make of the value: half its last place
/// in the run's precision, `rounding` (the CPU's evaluations, [`evaluation_rounding`]), and where the GPU
/// computed, the bound of its distance from the CPU's value.
fn floored<F: SimpsonIntegrand>(
    run: &Run<SimpsonEstimate>,
    kernel: &Kernel<F>,
    rounding: Option<f64>,
    estimate: f64,
) -> f64 {
    let precision = run.float_precision();
    let gpu = precision.and_then(|p| kernel.gpu_bound(p)).unwrap_or(0.0);
    let last_place = unit_roundoff(precision.unwrap_or(Precision::F64)) * run.output.value.abs();
    estimate.max(last_place).max(rounding.unwrap_or(0.0) + gpu)
}
