//! Running a built-in kernel until its error estimate reaches a target, instead of at a given size.
//!
//! - Monte Carlo π grows `N` by further block ranges of the **same stream** until the standard error is at
//!   most the target; the blocks already done are kept, so the result is the one a fixed-`N` run with the
//!   `N` reached gives, hit for hit.
//! - Simpson doubles `n` (from 1024) until Richardson's estimate is at most the target, and stops, with the
//!   best run, when the estimate no longer shrinks (rounding has taken over).
//! - Leibniz computes `N` from its truncation bound `4/(2N+1)` and runs once.

use std::time::Instant;

use crate::control::Control;
use crate::dispatch::Choice;
use crate::kernels::{
    Integrand, Leibniz, LeibnizEstimate, MAX_FLOAT_ELEMENTS, MonteCarloPi, PiEstimate, Simpson, SimpsonEstimate,
};
use crate::{Engine, Error, Kernel, Partial, Result, Run};

/// Most samples a Monte Carlo run to a target error may grow to.
pub const MAX_TARGET_SAMPLES: u64 = 1 << 62;

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
/// let run = pi_to_error(&engine, 5, 1e-3, Backend::Rayon, &Control::new())?;
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
) -> Result<Run<PiEstimate>> {
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
    loop {
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
            break;
        }
        if estimate.std_error <= target {
            break;
        }
        let p = hits.hits as f64 / hits.samples as f64;
        samples = needed(p)?.max(samples + samples / 8).next_multiple_of(block);
    }
    let hits = total.ok_or(Error::EmptyKernel)?;
    let kernel = MonteCarloPi::new(hits.samples.max(1), seed)?;
    Ok(Run {
        output: kernel.finish(hits),
        backend,
        threads: engine.threads_for(backend),
        blocks: done,
        completed: done,
        interrupted,
        elements: hits.samples,
        elapsed: start.elapsed(),
        gpu,
        split: None,
    })
}

/// Simpson's rule for `f` over `[a, b]`, doubling the intervals from 1024 until Richardson's estimate
/// is at most `target`. When rounding stops the estimate from shrinking (it fails to halve from one
/// doubling to the next, past 4096 intervals), or `n` would pass 2^53, the best run so far is
/// returned: check its `error_estimate` against the target.
pub fn simpson_to_error<F: Integrand + Clone>(
    engine: &Engine,
    f: F,
    a: f64,
    b: f64,
    target: f64,
    choice: impl Into<Choice>,
    control: &Control,
) -> Result<Run<SimpsonEstimate>> {
    check_target(target)?;
    let choice = choice.into();
    let start = Instant::now();
    let mut n = 1024u64;
    let mut best: Option<Run<SimpsonEstimate>> = None;
    loop {
        let kernel = Simpson::new(f.clone(), a, b, n)?;
        let mut run = engine.run_with(&kernel, choice, control)?;
        run.elapsed = start.elapsed();
        let reached = run.output.error_estimate <= target;
        let stalled = best
            .as_ref()
            .is_some_and(|b| n > 4096 && run.output.error_estimate > b.output.error_estimate / 2.0);
        if run.interrupted || reached || n.saturating_mul(2) > MAX_FLOAT_ELEMENTS {
            return Ok(run);
        }
        if stalled {
            let previous = best.take().map(|mut b| {
                b.elapsed = start.elapsed();
                b
            });
            return Ok(match previous {
                Some(previous) if previous.output.error_estimate <= run.output.error_estimate => previous,
                _ => run,
            });
        }
        best = Some(run);
        n *= 2;
    }
}

/// The Leibniz series with the fewest terms `N` whose truncation bound `4/(2N+1)` is at most `target`.
pub fn leibniz_to_error(
    engine: &Engine,
    target: f64,
    choice: impl Into<Choice>,
    control: &Control,
) -> Result<Run<LeibnizEstimate>> {
    check_target(target)?;
    let terms = ((4.0 / target - 1.0) / 2.0).ceil().max(1.0);
    if terms > MAX_FLOAT_ELEMENTS as f64 {
        return Err(Error::invalid(
            "target error",
            format!("{target:e} needs {terms:.3e} terms, more than the 2^53 allowed"),
        ));
    }
    engine.run_with(&Leibniz::new(terms as u64)?, choice, control)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Backend;

    #[test]
    fn leibniz_picks_the_smallest_n_within_the_bound() {
        let engine = Engine::with_threads(2).unwrap_or_else(|e| panic!("{e}"));
        let run = leibniz_to_error(&engine, 1e-5, Backend::Serial, &Control::new()).unwrap_or_else(|e| panic!("{e}"));
        let n = run.output.terms;
        assert!(run.output.bound <= 1e-5);
        assert!(4.0 / (2.0 * (n - 1) as f64 + 1.0) > 1e-5);
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
