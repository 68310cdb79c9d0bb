//! The `mc` method: Monte Carlo over a box on the Philox stream ([`crate::kernels::MonteCarloIntegral`]),
//! of a fixed size (`samples`) or extending the same stream until the half-width of the 95% interval meets
//! the tolerance. The points of a run to a tolerance are the first points of the stream, so the answer is
//! that of a run of the size reached, bit for bit.

use super::{
    Answer, ErrorKind, Integrand, Job, Method, OptionKind, OptionSpec, Options, Outcome, Problem, time_limited,
};
use crate::kernel::Verify;
use crate::kernels::MonteCarloIntegral;
use crate::report::run_json;
use crate::target::{Goal, integral_to_goal};
use crate::{Control, Engine, Error, Result};

/// Standard errors in the half-width of a 95% interval.
const Z95: f64 = 1.96;

/// The seed when none is given (the command line's).
const DEFAULT_SEED: u64 = 42;

/// The `mc` method.
pub(super) struct MonteCarlo;

const OPTIONS: &[OptionSpec] = &[
    OptionSpec::size("samples", "A run of this many points instead of one to a tolerance"),
    OptionSpec::new(
        "seed",
        OptionKind::Count,
        "The seed of the random stream (0 to 2^64 - 1) [default: 42]",
    ),
];

impl Method for MonteCarlo {
    fn name(&self) -> &'static str {
        "mc"
    }

    fn summary(&self) -> &'static str {
        "Monte Carlo on the Philox stream, in 1 to 16 dimensions; error: the 95% interval's half-width"
    }

    fn options(&self) -> &'static [OptionSpec] {
        OPTIONS
    }

    fn error_kind(&self) -> ErrorKind {
        ErrorKind::Ci95
    }

    fn default_rtol(&self) -> f64 {
        1e-3
    }

    /// 2^32 points: seconds on two cores for a simple expression.
    fn default_max_evals(&self) -> u64 {
        1 << 32
    }

    fn accepts(&self, problem: &Problem) -> Result<()> {
        match problem.integrand() {
            Integrand::Builtin(f) => Err(Error::Unsupported(format!(
                "the method mc integrates expressions and Rust functions: write the built-in {} as an expression",
                f.name()
            ))),
            _ => Ok(()),
        }
    }

    /// A probe of 2^22 points (256 blocks), as `hetero montecarlo` measures.
    fn calibrate(&self, engine: &Engine, problem: &Problem, options: &Options, control: &Control) -> Result<()> {
        let seed = options.count("seed")?.unwrap_or(DEFAULT_SEED);
        let probe = MonteCarloIntegral::new(problem.integrand().clone(), problem.domain(), 1 << 22, seed)?;
        engine.ensure_calibrated(&probe, control).map(drop)
    }

    fn integrate(&self, job: &Job<'_>) -> Result<Answer> {
        let f = job.problem.integrand();
        let bounds = job.problem.domain();
        let seed = job.options.count("seed")?.unwrap_or(DEFAULT_SEED);
        MonteCarloIntegral::new(f.clone(), bounds, 1, seed)?.refuse_divergent()?;
        let (run, met, why) = match job.tolerance {
            None => {
                let samples = job.options.size("samples")?.unwrap_or(1);
                let kernel = MonteCarloIntegral::new(f.clone(), bounds, samples, seed)?;
                let run = time_limited(job.engine.run_with(&kernel, job.choice, job.control), job.control)?;
                (run, true, None)
            }
            Some(tolerance) => {
                let goal = Goal {
                    z: Z95,
                    tolerance: &|value| tolerance.at(value),
                    max_elements: Some(job.max_evals),
                    floor: 0.0,
                };
                let done = integral_to_goal(job.engine, f, bounds, seed, &goal, job.choice, job.control);
                let done = time_limited(done, job.control)?;
                let met = done.why.is_none() && Z95 * done.run.output.std_error <= tolerance.at(done.run.output.value);
                (done.run, met, if met { None } else { done.why })
            }
        };
        let kernel = MonteCarloIntegral::new(f.clone(), bounds, run.output.samples.max(1), seed)?;
        kernel.check(&run.output)?;
        // Every point 0, or one point, or an infinite variance, or (of a fixed size) a sample variance not
        // settling: the spread is no error estimate.
        let doubt = match job.tolerance {
            None => crate::target::integral_doubt(job.engine, &kernel, &run, job.choice, job.control)?,
            Some(_) => kernel.doubt(&run.output)?,
        };
        let met = met && (job.tolerance.is_none() || doubt.is_none());
        let timed_out = run.interrupted && job.control.timed_out();
        let why = match timed_out {
            true if job.tolerance.is_some() && !met => Some(format!(
                "the time limit was reached after {} points",
                run.output.samples
            )),
            true if job.tolerance.is_none() => Some(format!(
                "the time limit was reached: the value is that of the first {} points",
                run.output.samples
            )),
            _ if doubt.is_some() => doubt.clone(),
            _ => why,
        };
        Ok(Outcome {
            value: run.output.value,
            error: Z95 * run.output.std_error,
            evals: run.output.samples,
            size: run.output.samples,
            met,
            trusted: doubt.is_none(),
            why,
            // A time limit's stop is the goal's end, not an interruption; of a fixed size it is one.
            interrupted: run.interrupted && !(timed_out && job.tolerance.is_some()),
            backend: run.backend,
            seconds: run.elapsed.as_secs_f64(),
            run: run_json(&kernel, &run),
        }
        .answer(self, job))
    }
}
