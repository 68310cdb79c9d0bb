//! Runs that save what they compute: `--checkpoint` (resumed by the same command), `--shard` with
//! `--partial`, and `hetero merge`.

use std::time::Duration;

use serde_json::json;

use super::args::{MergeArgs, RunArgs};
use super::commands::refuse;
use super::report::{self, Context, Saved, Text};
use super::setup::{control, engine, ensure_calibrated};
use super::signals::Signals;
use super::{EXIT_FAILURE, Outcome, say};
use hetero::checkpoint::{self, PartialResult};
use hetero::kernels::Builtin;
use hetero::{Choice, Error, Kernel};

/// Whether `args` asks for a run that saves its partial result.
pub(super) fn wanted(args: &RunArgs) -> bool {
    args.checkpoint.is_some() || args.shard.is_some() || args.partial.is_some()
}

/// Runs `kernel` (or its shard) from its checkpoint, if there is one, saving as it goes.
pub(super) fn run<K: Text>(args: &RunArgs, kernel: &K, probe: &K) -> hetero::Result<Outcome> {
    refuse(
        &[
            (args.explain, "--explain"),
            (args.validate, "--validate"),
            (args.target_error.is_some(), "--target-error"),
        ],
        |flag| format!("{flag} does not work with --checkpoint, --shard or --partial"),
    )?;
    if args.shard.is_some() && args.partial.is_none() {
        return Err(Error::Unsupported(
            "--shard needs --partial FILE: the file 'hetero merge' combines".to_owned(),
        ));
    }
    // One run per file: a second is refused before it computes anything.
    let _holds = [&args.checkpoint, &args.partial]
        .into_iter()
        .flatten()
        .map(|path| checkpoint::Hold::take(path))
        .collect::<hetero::Result<Vec<_>>>()?;
    let fresh = match args.shard {
        Some((index, count)) => PartialResult::shard(kernel, index, count)?,
        None => PartialResult::new(kernel, 0..kernel.blocks())?,
    };
    let start = match &args.checkpoint {
        Some(path) => PartialResult::resume(path, fresh, kernel)?,
        None => fresh,
    };
    // Every file is written once before the computation starts, so that one that cannot be written
    // fails now, with nothing computed yet.
    for path in [&args.checkpoint, &args.partial].into_iter().flatten() {
        start.write(path)?;
    }
    let engine = engine(args)?;
    if args.backend == Choice::Auto {
        ensure_calibrated(engine, probe, args.quiet || args.json)?;
    }
    let resumed = start.done().end - start.done().start;
    let (control, bar) = control(args.quiet);
    let every = Duration::from_secs_f64(args.checkpoint_every);
    let mut save = |result: &PartialResult| match &args.checkpoint {
        Some(path) => result.write(path),
        None => Ok(()),
    };
    let advanced = checkpoint::advance(engine, kernel, args.backend, start, &control, every, &mut save);
    bar.finish_and_clear();
    let (result, session) = advanced?;
    let mut failure = session.failure;
    if let Some(path) = &args.partial
        && let Err(e) = result.write(path)
    {
        failure.get_or_insert(e);
    }
    let stopped = session.interrupted && failure.is_none();
    let mut code = 0;
    if let Some(e) = &failure {
        say("error", &e.to_string());
        code = EXIT_FAILURE;
    } else if stopped {
        let kept = match (&args.checkpoint, &args.partial) {
            (Some(path), _) => format!("; saved in {}: the same command resumes", path.display()),
            (None, Some(path)) => format!("; what was done is saved in {}", path.display()),
            (None, None) => String::new(),
        };
        let done = result.done();
        code = Signals::get().report(&format!(
            ": blocks {}..{} of {} done{kept}",
            done.start,
            done.end,
            result.blocks()
        ));
    }
    let saved = Saved {
        parts: result.parts().to_vec(),
        resumed,
        checkpoint: args.checkpoint.as_ref().map(|p| p.display().to_string()),
        merged: None,
    };
    if args.shard.is_some() {
        return Ok(Outcome {
            text: shard_report(kernel, &result, args, session.backend, args.json),
            code,
        });
    }
    let run = match checkpoint::finish(kernel, &result) {
        Ok(run) => run,
        // Nothing to report of the blocks done (none were, or the kernel has no prefix result): the
        // files keep them.
        Err(e) if code != 0 => {
            say("note", &format!("no result to show: {e}"));
            return Ok(Outcome {
                text: String::new(),
                code,
            });
        }
        Err(e) => return Err(e),
    };
    kernel.check(&run.output)?;
    // The backend and threads are the last part's (this run's, when it computed anything).
    let mut run = run;
    run.gpu = session.gpu;
    let context = Context {
        auto: args.backend == Choice::Auto,
        saved: Some(saved),
        ..Context::default()
    };
    Ok(Outcome {
        text: report::single(kernel, &run, &context, args.json),
        code,
    })
}

/// What a shard run prints: which blocks it did and where they are.
fn shard_report<K: Kernel>(
    kernel: &K,
    result: &PartialResult,
    args: &RunArgs,
    backend: hetero::Backend,
    as_json: bool,
) -> String {
    let (index, count) = result.shard_index().unwrap_or((0, 1));
    let (assigned, done) = (result.assigned(), result.done());
    let file = args
        .partial
        .as_ref()
        .map(|p| p.display().to_string())
        .unwrap_or_default();
    if as_json {
        let object = json!({
            "kernel": kernel.name(),
            "problem": result.problem(),
            "shard": [index, count],
            "blocks": [assigned.start, assigned.end],
            "done_blocks": done.end - done.start,
            "complete": result.is_complete(),
            "backend": backend,
            "seconds": result.seconds(),
            "partial": file,
            "parts": result.parts(),
        });
        return format!("{object}\n");
    }
    let state = match result.is_complete() {
        true => "done".to_owned(),
        false => format!("{} of them done", done.end - done.start),
    };
    format!(
        "shard {index}/{count} of {}: blocks {}..{} of {} {state}, in {:.3} s; partial result in {file}\n",
        result.problem(),
        assigned.start,
        assigned.end,
        result.blocks(),
        result.seconds()
    )
}

/// `hetero merge`: the files' results combined and reported as the single run's.
pub(super) fn merge(args: &MergeArgs) -> hetero::Result<Outcome> {
    let mut results = Vec::new();
    for path in &args.files {
        results.push(PartialResult::read(path)?);
    }
    let Some(first) = results.first() else {
        return Err(Error::PartialResult("nothing to merge".to_owned()));
    };
    if let Some((path, other)) = args
        .files
        .iter()
        .zip(&results)
        .find(|(_, r)| r.problem() != first.problem())
    {
        return Err(Error::PartialResult(format!(
            "{} is for '{}', and {} for '{}': they cannot be merged",
            args.files[0].display(),
            hetero::checkpoint::readable(first.problem()),
            path.display(),
            hetero::checkpoint::readable(other.problem())
        )));
    }
    match Builtin::from_problem(first.problem())? {
        Builtin::Pi(kernel) => merge_as(&kernel, &results, args),
        Builtin::Simpson(kernel) => merge_as(&kernel, &results, args),
        Builtin::Leibniz(kernel) => merge_as(&kernel, &results, args),
        Builtin::SimpsonExpr(kernel) => merge_as(&kernel, &results, args),
        Builtin::Integral(kernel) => merge_as(&kernel, &results, args),
        _ => Err(Error::Unsupported(format!("cannot merge '{}'", first.problem()))),
    }
}

fn merge_as<K: Text>(kernel: &K, results: &[PartialResult], args: &MergeArgs) -> hetero::Result<Outcome> {
    let (merged, code) = match checkpoint::merge(kernel, results) {
        Ok(merged) => (merged, 0),
        Err(Error::PartialResult(why)) if args.partial_ok => {
            let Some(prefix) = checkpoint::merge_prefix(kernel, results)? else {
                return Err(Error::PartialResult(format!(
                    "{why}, and nothing is done from block 0: no partial result to report"
                )));
            };
            say(
                "warning",
                &format!(
                    "{why}; reporting blocks 0..{} of {} only (--partial-ok)",
                    prefix.done().end,
                    prefix.blocks()
                ),
            );
            (prefix, 0)
        }
        Err(e) => return Err(e),
    };
    let mut code = code;
    // A file that cannot be written (or that another run holds) loses nothing: the result is shown.
    if let Some(path) = &args.partial
        && let Err(e) = checkpoint::Hold::take(path).and_then(|_hold| merged.write(path))
    {
        say("error", &e.to_string());
        code = EXIT_FAILURE;
    }
    let run = checkpoint::finish(kernel, &merged)?;
    kernel.check(&run.output)?;
    let context = Context {
        saved: Some(Saved {
            parts: merged.parts().to_vec(),
            resumed: 0,
            checkpoint: None,
            merged: Some(results.len()),
        }),
        ..Context::default()
    };
    Ok(Outcome {
        text: report::single(kernel, &run, &context, args.json),
        code,
    })
}
