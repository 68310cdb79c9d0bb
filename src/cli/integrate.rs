//! `hetero integrate`: the front door for integrals. The problem, the goal and the method's options go to
//! [`hetero::integrate`], which checks them and computes; here only the words and the exit code.

use hetero::Choice;
use hetero::integrate::{Answer, Problem, Request, integrate_with};

use super::args::IntegrateArgs;
use super::signals::Signals;
use super::{EXIT_FAILURE, Outcome, report, say, setup};

/// `hetero integrate`.
pub(super) fn integrate(a: &IntegrateArgs) -> hetero::Result<Outcome> {
    let domain = match &a.bounds {
        Some(bounds) => bounds.0.clone(),
        None => vec![(a.from.unwrap_or(0.0), a.to.unwrap_or(1.0))],
    };
    let sources: Vec<&str> = a.expr.split(';').collect();
    let params: Vec<(&str, &[f64])> = a
        .params
        .iter()
        .map(|(name, values)| (name.as_str(), &values[..]))
        .collect();
    let problem = Problem::exprs(&sources, &domain, &params)?;
    let mut request = Request::new(problem).options(a.options.0.clone()).on(a.backend);
    if let Some(method) = &a.method {
        request = request.method(method);
    }
    if let Some(atol) = a.atol {
        request = request.atol(atol);
    }
    if let Some(rtol) = a.rtol {
        request = request.rtol(rtol);
    }
    if let Some(evals) = a.max_evals {
        request = request.max_evals(evals);
    }
    if let Some(seconds) = a.time_limit {
        request = request.time_limit(seconds);
    }
    let auto = a.backend == Choice::Auto;
    let engine = setup::engine_with_model(a.threads, &a.adapter, a.precision, auto)?;
    let calibrated = auto.then(|| engine.model());
    let (control, bar) = setup::control(a.quiet);
    let answer = integrate_with(engine, &request, &control);
    bar.finish_and_clear();
    // What auto measured on the way is kept for the next run, as the other commands keep it.
    if calibrated.is_some_and(|before| before != engine.model()) {
        setup::save_model(engine, a.quiet || a.json);
    }
    let answer = answer?;
    let code = exit_code(&answer);
    let text = match a.json {
        true => format!("{}\n", answer.to_json()),
        false => report::answer(&answer),
    };
    Ok(Outcome { text, code })
}

/// 0 for an answer that met its goal (or a complete run of a fixed size: with a warning on stderr when its
/// error estimate is not trusted); the signal's code for one that a signal stopped; 1, with the reason on
/// stderr, for a goal not met or a time limit that cut a run of a fixed size short.
fn exit_code(answer: &Answer) -> u8 {
    let signals = Signals::get();
    if answer.interrupted && signals.stopped() {
        return signals.report(": the answer below covers what was completed");
    }
    if answer.interrupted || answer.reached == Some(false) {
        let why = answer.why.as_deref().unwrap_or("the error is above the tolerance");
        let goal = match answer.tolerance {
            Some(t) => format!("the tolerance {:.3e} was not reached", t.at(answer.value)),
            None => "the run was cut short".to_owned(),
        };
        say("error", &format!("{goal}: {why}; the best answer is shown"));
        return EXIT_FAILURE;
    }
    if !answer.trusted {
        let why = answer.why.as_deref().unwrap_or("a check of the method's regime failed");
        say("warning", &format!("the error estimate is not trusted: {why}"));
    }
    0
}
