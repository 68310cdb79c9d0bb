//! A vector-valued integrand: its components computed by one method on the same points.
//!
//! Each component is a scalar problem run by the method as it runs any other. Of a fixed size, they all
//! run at that size. To a tolerance, each runs to the goal within the budget; the size they share is then
//! the largest any of them reached, and a component that stopped below it runs again at that size (a run
//! to a tolerance gives the bits of a run of its final size, so every component is then exactly a run of
//! the shared size). A component rerun meets the goal when it met it at its own size and still does at
//! the shared one.

use sha2::{Digest, Sha256};

use super::{Answer, Job, Method, Problem};
use crate::{Choice, Error, Result};

/// `job`'s vector-valued problem by `method`: see the [module](self) docs.
pub(super) fn integrate(method: &dyn Method, job: &Job<'_>) -> Result<Answer> {
    let parts = job.problem.parts();
    let k = parts.len();
    let mut answers: Vec<Answer> = Vec::with_capacity(k);
    // Evaluations and seconds of runs whose answers a rerun replaced.
    let (mut evals, mut seconds) = (0, 0.0);
    let mut stop: Option<String> = None;
    // Whether a stop (a signal, the time limit) cut the components' runs short.
    let mut cut = false;
    for (i, part) in parts.iter().enumerate() {
        let sub = Job {
            problem: part,
            ..job.clone()
        };
        match method.integrate(&sub) {
            Ok(answer) => {
                cut = answer.interrupted || job.control.timed_out();
                answers.push(answer);
                if cut {
                    stop = (i + 1 < k).then(|| left_out(i + 1, k, job));
                    break;
                }
            }
            // A stop before this component's first block: what came before is kept.
            Err(Error::Interrupted { .. } | Error::TimeLimit(_)) if i > 0 => {
                cut = true;
                stop = Some(left_out(i, k, job));
                break;
            }
            Err(e) => return Err(in_component(e, i, k, part)),
        }
    }
    let size = answers.iter().map(|a| a.size).max().unwrap_or(0);
    // Auto's choice depends on a run's size: the reruns go where a component of the shared size ran, so
    // that every component's arithmetic is the same backend's.
    let choice = match (job.choice, answers.iter().find(|a| a.size == size)) {
        (Choice::Auto, Some(anchor)) => Choice::from(anchor.backend),
        (choice, _) => choice,
    };
    if cut && stop.is_none() && job.tolerance.is_some() && answers.iter().any(|a| a.size != size) {
        stop = Some(format!(
            "components were left at their own sizes: the run was {} before they ran at the common size {size}",
            stopped_how(job)
        ));
    }
    if let Some(tolerance) = job.tolerance
        && !cut
        && let Some(option) = method.options().iter().find(|spec| spec.sets_size)
    {
        let options = job.options.clone().with(option.name, size);
        for (i, part) in parts.iter().enumerate() {
            if answers[i].size == size {
                continue;
            }
            let sub = Job {
                problem: part,
                options: &options,
                tolerance: None,
                choice,
                ..job.clone()
            };
            let rerun = match method.integrate(&sub) {
                Ok(rerun) if !rerun.interrupted => rerun,
                // Cut short: the component keeps its own size's answer, and the answer says why.
                Ok(rerun) => {
                    evals += rerun.evals;
                    seconds += rerun.seconds;
                    stop = Some(format!(
                        "components were left at their own sizes: the run was {} while component {} ran at the common size {size}",
                        stopped_how(job),
                        i + 1
                    ));
                    break;
                }
                Err(Error::Interrupted { .. } | Error::TimeLimit(_)) => {
                    stop = Some(format!(
                        "components were left at their own sizes: the run was {} before component {} ran at the common size {size}",
                        stopped_how(job),
                        i + 1
                    ));
                    break;
                }
                Err(e) => return Err(in_component(e, i, k, part)),
            };
            let own = &answers[i];
            evals += own.evals;
            seconds += own.seconds;
            let met = own.reached == Some(true) && rerun.error <= tolerance.at(rerun.value);
            let why = match (met, own.reached) {
                (true, _) => None,
                (false, Some(true)) => Some(format!("its error at the common size {size} is above the tolerance")),
                (false, _) => own.why.clone(),
            };
            answers[i] = Answer {
                reached: Some(met),
                why,
                tolerance: job.tolerance,
                evals: rerun.evals,
                ..rerun
            };
        }
    }
    Ok(assemble(answers, k, evals, seconds, stop, job))
}

/// The vector's answer from its components' (the first `answers.len()` of `k`).
fn assemble(answers: Vec<Answer>, k: usize, evals: u64, seconds: f64, stop: Option<String>, job: &Job<'_>) -> Answer {
    let first = &answers[0];
    let all = answers.len() == k;
    let reached = job
        .tolerance
        .map(|_| all && stop.is_none() && answers.iter().all(|a| a.reached == Some(true)));
    let failing = answers
        .iter()
        .enumerate()
        .find(|(_, a)| a.reached == Some(false) || !a.trusted || a.why.is_some());
    let why = match (&stop, failing) {
        (Some(stop), _) => Some(stop.clone()),
        (None, Some((i, a))) => a.why.as_ref().map(|why| format!("component {} of {k}: {why}", i + 1)),
        (None, None) => None,
    };
    let why = why.or_else(|| (reached == Some(false)).then(|| "a component's error is above the tolerance".to_owned()));
    let mut stamp = Sha256::new();
    stamp.update(format!("vector of {k}\n"));
    for a in &answers {
        stamp.update(format!("{}\n", a.stamp));
    }
    let stamp: String = stamp.finalize()[..8].iter().map(|b| format!("{b:02x}")).collect();
    Answer {
        method: first.method,
        value: first.value,
        error: first.error,
        error_kind: first.error_kind,
        evals: evals + answers.iter().map(|a| a.evals).sum::<u64>(),
        size: answers.iter().map(|a| a.size).max().unwrap_or(0),
        reached,
        trusted: answers.iter().all(|a| a.trusted),
        why,
        tolerance: job.tolerance,
        // A stop that left components out cut the answer short, except a time limit's on a run to a
        // tolerance, which is the goal's end (the answer is not reached).
        interrupted: answers.iter().any(|a| a.interrupted)
            || (stop.is_some() && (job.tolerance.is_none() || !job.control.timed_out())),
        backend: first.backend,
        stamp,
        seconds: seconds + answers.iter().map(|a| a.seconds).sum::<f64>(),
        run: first.run.clone(),
        outputs: k,
        components: answers,
    }
}

/// Why components `from + 1 ..= k` have no answer.
fn left_out(from: usize, k: usize, job: &Job<'_>) -> String {
    let which = match from + 1 == k {
        true => format!("component {k} was"),
        false => format!("components {} to {k} were", from + 1),
    };
    format!("{which} not computed: the run was {}", stopped_how(job))
}

/// What stopped the run: the time limit or a stop flag.
fn stopped_how(job: &Job<'_>) -> &'static str {
    match job.control.timed_out() {
        true => "stopped by the time limit",
        false => "interrupted",
    }
}

/// `e`, naming the component it came from (of `k`) where it is about the problem.
fn in_component(e: Error, i: usize, k: usize, part: &Problem) -> Error {
    let at = format!("component {} of {k} ({})", i + 1, part.integrand().text());
    match e {
        Error::NotFinite(why) => Error::NotFinite(format!("{at}: {why}")),
        Error::Unsupported(why) => Error::Unsupported(format!("{at}: {why}")),
        Error::InvalidParameter { what, why } => Error::InvalidParameter {
            what,
            why: format!("{why} ({at})"),
        },
        e => e,
    }
}
