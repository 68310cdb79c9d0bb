//! The commands: one run, several backends compared, calibration.

use super::args::{CalibrateArgs, MontecarloArgs, RunArgs, SimpsonArgs};
use super::ranks::Ranks;
use super::report;
use super::report::{Context, Text};
use super::setup::*;
use super::signals::Signals;
use super::{DEFAULT_INTERVALS, DEFAULT_POINTS, EXIT_FAILURE, Outcome, one_size, say};
use hetero::distributed::{RankReport, Wire};
use hetero::expr::Expr;
use hetero::gpu::AdapterChoice;
use hetero::kernels::{Function, MonteCarloIntegral, Simpson};
use hetero::target::TargetRun;
use hetero::validate;
use hetero::{Backend, Choice, Control, Engine, Error, Kernel, Run};
use std::io::Write;
use std::time::{SystemTime, UNIX_EPOCH};

/// The error for the first flag in `flags` that was given (`(given, flag)`), worded by `why`.
pub(super) fn refuse(flags: &[(bool, &str)], why: impl Fn(&str) -> String) -> hetero::Result<()> {
    match flags.iter().find(|(given, _)| *given) {
        Some((_, flag)) => Err(Error::Unsupported(why(flag))),
        None => Ok(()),
    }
}

/// A finished run, with each rank's share when it was distributed.
pub(super) type Executed<T> = (Run<T>, Option<Vec<RankReport>>);

/// Runs `kernel` over the MPI ranks. `None` on ranks other than 0, which print nothing.
pub(super) fn distributed<K>(
    run: &RunArgs,
    kernel: &K,
    ranks: Option<&Ranks>,
) -> hetero::Result<Option<Executed<K::Output>>>
where
    K: Text,
    K::Partial: Wire,
{
    refuse(
        &[
            (run.explain, "--explain"),
            (run.validate, "--validate"),
            (run.target_error.is_some(), "--target-error"),
            (run.shard.is_some(), "--shard (the ranks split the problem themselves)"),
            (run.partial.is_some(), "--partial"),
        ],
        |flag| format!("{flag} does not work with --distributed"),
    )?;
    #[cfg(feature = "mpi")]
    {
        // Under MPI, auto means rayon on every rank: the ranks must not each calibrate at once.
        let backend = match run.backend {
            Choice::Auto => hetero::Backend::Rayon,
            Choice::Backend(backend) => backend,
        };
        let engine = engine(run)?;
        // Every rank runs the same problem, or none runs; started without a launcher, this process is
        // the only rank.
        let identity =
            hetero::distributed::problem_id(&hetero::checkpoint::Resumable::problem(kernel).unwrap_or_default());
        let alone;
        let cluster = match ranks {
            Some(ranks) => ranks.agree(identity)?,
            None => {
                alone = hetero::distributed::Cluster::init()?;
                &alone
            }
        };
        let (control, bar) = control(run.quiet);
        let done = match &run.checkpoint {
            Some(path) => {
                let every = std::time::Duration::from_secs_f64(run.checkpoint_every);
                cluster.run_checkpointed(engine, kernel, backend, &control, path, every)
            }
            None => cluster.run(engine, kernel, backend, &control),
        };
        bar.finish_and_clear();
        Ok(done.map(|d| (d.run, Some(d.ranks))))
    }
    #[cfg(not(feature = "mpi"))]
    {
        let _ = (kernel, ranks);
        Err(Error::Unsupported(
            "--distributed needs MPI: build with 'cargo build --release --features mpi' (and a system MPI)".to_owned(),
        ))
    }
}

/// How to run a kernel of the subcommand's kind to a target error.
pub(super) type ToTarget<'a, T> = &'a dyn Fn(&Engine, f64, Choice, &Control) -> hetero::Result<TargetRun<T>>;

/// One problem on one backend (or auto), with everything a run may add.
pub(super) fn single<K>(
    args: &RunArgs,
    kernel: &K,
    probe: &K,
    to_target: ToTarget<'_, K::Output>,
    ranks: Option<&Ranks>,
) -> hetero::Result<Outcome>
where
    K: Text,
    K::Partial: Wire,
{
    if super::saved::wanted(args) && !args.distributed {
        return super::saved::run(args, kernel, probe);
    }
    if args.distributed {
        let signals = Signals::get();
        let Some((run, ranks)) = distributed(args, kernel, ranks)? else {
            // The other ranks print nothing; a stopped run stops them with the signal's code too.
            let code = if signals.stopped() { signals.exit_code() } else { 0 };
            return Ok(Outcome {
                text: String::new(),
                code,
            });
        };
        let context = Context {
            ranks,
            ..Context::default()
        };
        kernel.check(&run.output)?;
        let mut code = 0;
        if run.interrupted {
            let saved = match &args.checkpoint {
                Some(path) => format!(
                    "; each rank saved its part in {}: the same command resumes",
                    hetero::distributed::rank_checkpoint(path, 0, context.ranks.as_ref().map_or(1, Vec::len))
                        .display()
                        .to_string()
                        .replace(".rank-0-", ".rank-*-")
                ),
                None => String::new(),
            };
            code = signals.report(&format!(
                ": blocks 0..{} of {} completed across the ranks; the result below covers them{saved}",
                run.completed, run.blocks
            ));
        }
        return Ok(Outcome {
            text: report::single(kernel, &run, &context, args.json),
            code,
        });
    }
    if args.validate && args.target_error.is_some() {
        return Err(Error::Unsupported(
            "--validate checks runs of a fixed size: drop --target-error, or give -n".to_owned(),
        ));
    }
    let engine = engine(args)?;
    let auto = args.backend == Choice::Auto;
    let mut context = Context {
        auto,
        target_error: args.target_error,
        ..Context::default()
    };
    let mut explained = None;
    if auto || args.explain {
        ensure_calibrated(engine, probe, args.quiet || args.json)?;
        if args.explain {
            let explanation = engine.explain(kernel)?;
            explained = Some(explanation.choice);
            if args.json {
                context.explanation = Some(explanation);
            } else {
                // Before the run, which may be long: the prediction is worth reading while it runs.
                let mut out = std::io::stdout().lock();
                let _ = writeln!(out, "{explanation}").and_then(|()| out.flush());
            }
        }
    }
    // A fixed-size run explained already has auto's choice: it need not be made twice.
    let choice = match (explained, args.target_error) {
        (Some(backend), None) if auto => Choice::Backend(backend),
        _ => args.backend,
    };
    let (control, bar) = control(args.quiet);
    let result = match args.target_error {
        Some(target) => to_target(engine, target, choice, &control).map(|t| (t.run, t.reached, t.why)),
        None => engine.run_with(kernel, choice, &control).map(|run| (run, true, None)),
    };
    bar.finish_and_clear();
    let (run, reached, why) = result?;
    kernel.check(&run.output)?;
    if args.target_error.is_some() {
        context.target_reached = Some((reached, why.clone()));
    }
    let mut code = 0;
    if args.validate && !run.interrupted {
        let (checked, against) = match run.backend {
            Backend::Serial => (Backend::Serial, Backend::Rayon),
            Backend::Hybrid => (Backend::Gpu, Backend::Serial),
            other => (other, Backend::Serial),
        };
        let seed = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos() as u64);
        let validation = validate::validate(engine, kernel, checked, against, seed)?;
        if !validation.agree() {
            code = EXIT_FAILURE;
        }
        context.validation = Some(validation);
    }
    // The kernel's own size: a run to a target error chose other sizes, and says so itself.
    if let Some(precision) = run.float_precision()
        && args.target_error.is_none()
        && let Some(warning) = kernel.resolution_warning(precision)
    {
        say("warning", &warning);
    }
    if args.target_error.is_none()
        && !run.interrupted
        && let Some(why) = kernel.doubt(engine, &run, choice, &control)?
    {
        say("warning", &format!("the error estimate is not trusted: {why}"));
        context.doubt = Some(why);
    }
    if let Some(target) = args.target_error
        && !run.interrupted
        && !reached
    {
        let why = why.unwrap_or_else(|| "the estimate is above it".to_owned());
        say(
            "error",
            &format!("the target error {target:e} was not reached: {why}; the best run is shown"),
        );
        code = EXIT_FAILURE;
    }
    if run.interrupted {
        code = Signals::get().report(&format!(
            ": blocks 0..{} of {} completed; the result below covers them",
            run.completed, run.blocks
        ));
    }
    Ok(Outcome {
        text: report::single(kernel, &run, &context, args.json),
        code,
    })
}

/// One problem on several backends, checked against each other.
pub(super) fn compare<K: Text>(backends: Option<&[Backend]>, args: &RunArgs, kernel: &K) -> hetero::Result<Outcome> {
    refuse(
        &[
            (
                args.backend != Choice::Auto,
                "--backend (compare takes --backends a,b,c)",
            ),
            (args.distributed, "--distributed"),
            (args.explain, "--explain"),
            (args.validate, "--validate"),
            (args.target_error.is_some(), "--target-error"),
            (args.checkpoint.is_some(), "--checkpoint"),
            (args.shard.is_some(), "--shard"),
            (args.partial.is_some(), "--partial"),
        ],
        |flag| format!("compare does not take {flag}"),
    )?;
    let engine = engine(args)?;
    let backends = match backends {
        Some(list) => list.to_vec(),
        None => {
            let mut list = Backend::CPU.to_vec();
            let gpu_runs = engine.gpu().is_ok_and(|gpu| {
                kernel
                    .gpu()
                    .is_some_and(|program| program.program(&gpu.caps(args.precision)).is_ok())
            });
            if gpu_runs {
                list.extend([Backend::Gpu, Backend::Hybrid]);
            }
            list
        }
    };
    let (control, bar) = control(args.quiet);
    let comparison = validate::compare_with(engine, kernel, &backends, &control);
    bar.finish_and_clear();
    let comparison = comparison?;
    for run in &comparison.runs {
        kernel.check(&run.output)?;
    }
    if let Some(stopped) = comparison.interrupted {
        let done: Vec<&str> = comparison.runs.iter().map(|r| r.backend.name()).collect();
        let covers = if done.is_empty() {
            "no run".to_owned()
        } else {
            done.join(", ")
        };
        let code = Signals::get().report(&format!(
            " during the {stopped} run: the comparison below covers {covers}"
        ));
        return Ok(Outcome {
            text: report::comparison(kernel, &comparison, args.json),
            code,
        });
    }
    Ok(Outcome {
        text: report::comparison(kernel, &comparison, args.json),
        code: if comparison.agree() { 0 } else { EXIT_FAILURE },
    })
}

/// Measures every kernel on every backend and saves the model.
pub(super) fn calibrate(args: &CalibrateArgs) -> hetero::Result<Outcome> {
    let engine = engine_on(args.threads, &args.adapter)?;
    // An adapter named on the command line must exist: calibrating without it would say nothing of it.
    if args.adapter != AdapterChoice::Auto {
        engine.gpu()?;
    }
    let signals = Signals::get();
    let control = Control::new().with_stop(signals.flag());
    let mut keys = Vec::new();
    let mut stopped = None;
    // Each built-in integrand costs differently per point: each has its own costs.
    let mut probes: Vec<Box<dyn Fn() -> hetero::Result<String>>> = Vec::new();
    probes.push(Box::new(|| calibrate_one(&engine, &probe_pi()?, &control)));
    for name in ["exp", "sin", "cos", "gauss", "pi", "poly"] {
        let (engine, control) = (&engine, &control);
        probes.push(Box::new(move || {
            let probe = probe_simpson(Function::from_name(name, None, None, None)?, 0.0, 1.0)?;
            calibrate_one(engine, &probe, control)
        }));
    }
    probes.push(Box::new(|| calibrate_one(&engine, &probe_leibniz()?, &control)));
    // One calibration for every expression: the model scales it by each one's operations.
    probes.push(Box::new(|| {
        let f = Expr::parse("exp(-x*x)", 1)?;
        calibrate_one(&engine, &probe_simpson(f, 0.0, 1.0)?, &control)
    }));
    probes.push(Box::new(|| {
        let f = Expr::parse("exp(-x*x-y*y)*z", 3)?;
        calibrate_one(&engine, &probe_montecarlo(f, &[(0.0, 1.0); 3], 1)?, &control)
    }));
    for probe in probes {
        match probe() {
            Ok(key) => keys.push(key),
            Err(Error::Stopped(during)) => {
                stopped = Some(during);
                break;
            }
            Err(e) => return Err(e),
        }
    }
    // What was measured is kept, also when a signal stopped the rest.
    let path = if keys.is_empty() {
        None
    } else {
        save_model(&engine, false)
    };
    let model = engine.model();
    let mut rows = Vec::new();
    for key in &keys {
        for backend in Backend::ALL {
            rows.push((key.clone(), backend, engine.threads_for(backend)));
        }
    }
    let text = match keys.is_empty() {
        true => String::new(),
        false => report::calibration(&model, &rows, path.as_deref(), args.json),
    };
    if let Some(during) = stopped {
        let measured = if keys.is_empty() {
            "nothing".to_owned()
        } else {
            keys.join(", ")
        };
        let saved = if path.is_some() {
            "saved"
        } else {
            "the saved model is unchanged"
        };
        let code = signals.report(&format!(" during {during}: measured {measured}, {saved}"));
        return Ok(Outcome { text, code });
    }
    Ok(Outcome::success(text))
}

/// Calibrates `probe`'s kernel, stopped by `control`; its cost key.
fn calibrate_one<K: Kernel>(engine: &Engine, probe: &K, control: &Control) -> hetero::Result<String> {
    engine.calibrate_with(probe, control)?;
    Ok(probe.cost_key())
}

/// Simpson's integrand as the command line gives it: a built-in function or an expression.
pub(super) enum Integrand {
    Builtin(Function),
    Expr(Expr),
}

impl Integrand {
    pub(super) fn of(a: &SimpsonArgs) -> hetero::Result<Self> {
        match &a.expr {
            Some(source) => Ok(Integrand::Expr(Expr::parse(source, 1)?)),
            None => Ok(Integrand::Builtin(Function::from_name(
                &a.function,
                a.x0,
                a.sigma,
                a.power,
            )?)),
        }
    }
}

/// The Simpson kernel of the command line's arguments, with the note on rounding the intervals.
pub(super) fn simpson_kernel<F: hetero::kernels::SimpsonIntegrand>(
    a: &SimpsonArgs,
    f: F,
) -> hetero::Result<Simpson<F>> {
    let kernel = Simpson::new(f, a.from, a.to, a.intervals.unwrap_or(DEFAULT_INTERVALS))?;
    note_rounding(a, &kernel);
    Ok(kernel)
}

/// `hetero simpson` on integrand `f`.
pub(super) fn simpson<F>(a: &SimpsonArgs, f: F, ranks: Option<&Ranks>) -> hetero::Result<Outcome>
where
    F: hetero::kernels::SimpsonIntegrand + Clone + Send + 'static,
    Simpson<F>: Text + Kernel<Output = hetero::kernels::SimpsonEstimate>,
{
    let kernel = simpson_kernel(a, f.clone())?;
    let (from, to) = (a.from, a.to);
    let target_f = f.clone();
    let to_target = move |engine: &Engine, target, choice, control: &Control| {
        hetero::target::simpson_to_error(engine, target_f.clone(), from, to, target, choice, control)
    };
    single(&a.run, &kernel, &probe_simpson(f, a.from, a.to)?, &to_target, ranks)
}

/// The Monte Carlo integral of the command line's arguments.
pub(super) fn montecarlo_kernel(a: &MontecarloArgs) -> hetero::Result<MonteCarloIntegral> {
    let f = Expr::parse(&a.expr, a.bounds.0.len())?;
    MonteCarloIntegral::new(f, &a.bounds.0, a.samples.unwrap_or(DEFAULT_POINTS), a.seed)
}

/// `hetero montecarlo`.
pub(super) fn montecarlo(a: &MontecarloArgs, ranks: Option<&Ranks>) -> hetero::Result<Outcome> {
    one_size(a.samples, &a.run)?;
    let kernel = montecarlo_kernel(a)?;
    kernel.refuse_divergent()?;
    let probe = probe_montecarlo(kernel.integrand().clone(), &a.bounds.0, a.seed)?;
    let (f, bounds, seed) = (kernel.integrand().clone(), a.bounds.0.clone(), a.seed);
    let to_target = move |engine: &Engine, target, choice, control: &Control| {
        hetero::target::integral_to_error(engine, &f, &bounds, seed, target, choice, control)
    };
    single(&a.run, &kernel, &probe, &to_target, ranks)
}

fn note_rounding<F: hetero::kernels::SimpsonIntegrand>(a: &SimpsonArgs, kernel: &Simpson<F>) {
    if let Some(requested) = a.intervals
        && kernel.intervals() != requested
    {
        let message = format!(
            "{requested} intervals rounded up to {} (Simpson's rule and its error estimate need a multiple of 4)",
            kernel.intervals()
        );
        say("note", &message);
    }
}
