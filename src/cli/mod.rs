//! The command line front end. Everything here maps words to library calls and results to text.

mod args;
mod bench;
mod report;

use std::io::{IsTerminal, Write};
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use clap::Parser;
use clap::error::ErrorKind;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use hetero::dispatch::CostModel;
use hetero::distributed::{RankReport, Wire};
use hetero::gpu::AdapterChoice;
use hetero::kernels::{Function, Leibniz, MonteCarloPi, Simpson};
use hetero::validate;
use hetero::{Backend, Choice, Control, Engine, Error, Kernel, Run};

use args::{CalibrateArgs, Cli, Command, Problem, RunArgs, SimpsonArgs};
use report::{Context, Report};

/// Exit code of a usage error: bad flags or values.
const EXIT_USAGE: u8 = 2;
/// Exit code of a failure while running, or of results that disagree.
const EXIT_FAILURE: u8 = 1;
/// Exit code of a run stopped by Ctrl-C (128 + SIGINT), after printing what it had computed.
const EXIT_INTERRUPTED: u8 = 130;

pub fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => return clap_error(e),
    };
    match run(cli) {
        Ok(Outcome { text, code }) => match std::io::stdout().lock().write_all(text.as_bytes()) {
            Ok(()) => ExitCode::from(code),
            // A closed pipe (`hetero pi | head -c1`) is the reader's choice, not a failure worth a message.
            Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => ExitCode::from(code),
            Err(e) => fail(EXIT_FAILURE, &format!("cannot write the result: {e}")),
        },
        Err(e) => {
            let code = match e {
                Error::InvalidParameter { .. }
                | Error::InvalidRange { .. }
                | Error::EmptyKernel
                | Error::Unsupported(_) => EXIT_USAGE,
                _ => EXIT_FAILURE,
            };
            fail(code, &e.to_string())
        }
    }
}

/// Help and version go to stdout with success; any other parse error becomes one line and exit code 2.
fn clap_error(e: clap::Error) -> ExitCode {
    match e.kind() {
        ErrorKind::DisplayHelp | ErrorKind::DisplayVersion => {
            let _ = e.print();
            ExitCode::SUCCESS
        }
        ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand => {
            let _ = e.print();
            ExitCode::from(EXIT_USAGE)
        }
        _ => {
            let rendered = e.to_string();
            let line = rendered
                .lines()
                .find(|l| !l.trim().is_empty())
                .unwrap_or("invalid arguments")
                .trim_start_matches("error: ");
            fail(EXIT_USAGE, &format!("{line} (see 'hetero --help')"))
        }
    }
}

fn fail(code: u8, message: &str) -> ExitCode {
    // Under mpiexec every rank parses the same arguments and meets the same error: rank 0 says it once.
    if !launched_as_other_mpi_rank() {
        eprintln!("hetero: error: {message}");
    }
    ExitCode::from(code)
}

/// Whether an MPI launcher started this process as a rank other than 0 (MPICH and Intel MPI set PMI_RANK,
/// Open MPI OMPI_COMM_WORLD_RANK). Errors after MPI has started are reported by the failing rank itself.
fn launched_as_other_mpi_rank() -> bool {
    ["PMI_RANK", "OMPI_COMM_WORLD_RANK"]
        .iter()
        .filter_map(|name| std::env::var(name).ok())
        .any(|rank| rank.trim() != "0")
}

/// An engine with `threads` workers (default: one per core) that opens `adapter`.
fn engine_on(threads: Option<usize>, adapter: &AdapterChoice) -> hetero::Result<Engine> {
    let engine = match threads {
        Some(threads) => Engine::with_threads(threads)?,
        None => Engine::new()?,
    };
    Ok(engine.with_adapter(adapter.clone()))
}

fn engine(run: &RunArgs) -> hetero::Result<Engine> {
    let engine = engine_on(run.threads, &run.adapter)?.with_precision(run.precision);
    // Only auto and --explain read the cached model: a run on a named backend touches no file.
    let wants_model = run.backend == Choice::Auto || run.explain;
    let cached = wants_model
        .then(CostModel::default_path)
        .flatten()
        .and_then(|path| CostModel::load(&path));
    Ok(match cached {
        Some(model) => engine.with_model(model),
        None => engine,
    })
}

/// Calibrates the engine's model on `probe` unless it can already predict its kernel, and saves it.
fn ensure_calibrated<K: Kernel>(engine: &Engine, probe: &K, quiet: bool) -> hetero::Result<()> {
    if engine.is_calibrated(probe) {
        return Ok(());
    }
    if !quiet {
        eprintln!(
            "hetero: note: measuring each backend's cost for {} (once; 'hetero calibrate' measures them all)",
            probe.name()
        );
    }
    engine.calibrate(probe)?;
    save_model(engine, quiet);
    Ok(())
}

fn save_model(engine: &Engine, quiet: bool) -> Option<std::path::PathBuf> {
    let path = CostModel::default_path()?;
    match engine.model().save(&path) {
        Ok(()) => Some(path),
        Err(e) => {
            if !quiet {
                eprintln!("hetero: note: cannot save the cost model to {}: {e}", path.display());
            }
            None
        }
    }
}

/// The probes calibration runs: 1024 blocks of each kernel.
fn probe_pi() -> hetero::Result<MonteCarloPi> {
    MonteCarloPi::new(1 << 26, 1)
}

fn probe_leibniz() -> hetero::Result<Leibniz> {
    Leibniz::new(1 << 26)
}

fn probe_simpson(function: Function, a: f64, b: f64) -> hetero::Result<Simpson> {
    Simpson::new(function, a, b, (1 << 26) - 4)
}

/// A stop flag raised by Ctrl-C (a second Ctrl-C exits at once), and a progress bar on stderr that shows
/// itself after a second when stderr is a terminal.
fn control(quiet: bool) -> (Control, ProgressBar) {
    let stop = Arc::new(AtomicBool::new(false));
    let flag = Arc::clone(&stop);
    // Only fails when a handler is set already, which this process never does twice.
    let _ = ctrlc::set_handler(move || {
        if flag.swap(true, Ordering::SeqCst) {
            std::process::exit(i32::from(EXIT_INTERRUPTED));
        }
    });
    let bar = ProgressBar::hidden();
    if let Ok(style) = ProgressStyle::with_template("{bar:40} {percent:>3}%  {pos}/{len} blocks  {elapsed} (eta {eta})")
    {
        bar.set_style(style);
    }
    let control = Control::new().with_stop(stop);
    if quiet || !std::io::stderr().is_terminal() {
        return (control, bar);
    }
    let shown = bar.clone();
    let control = control.with_progress(move |p| {
        if p.elapsed < Duration::from_secs(1) {
            return;
        }
        if shown.is_hidden() {
            shown.set_draw_target(ProgressDrawTarget::stderr());
        }
        shown.set_length(p.blocks);
        shown.set_position(p.done);
    });
    (control, bar)
}

/// What a command prints, and its exit code.
struct Outcome {
    text: String,
    code: u8,
}

impl Outcome {
    fn success(text: String) -> Self {
        Outcome { text, code: 0 }
    }
}

/// A finished run, with each rank's share when it was distributed.
type Executed<T> = (Run<T>, Option<Vec<RankReport>>);

/// Runs `kernel` over the MPI ranks. `None` on ranks other than 0, which print nothing.
fn distributed<K>(run: &RunArgs, kernel: &K) -> hetero::Result<Option<Executed<K::Output>>>
where
    K: Kernel,
    K::Partial: Wire,
{
    for (given, flag) in [
        (run.explain, "--explain"),
        (run.validate, "--validate"),
        (run.target_error.is_some(), "--target-error"),
    ] {
        if given {
            return Err(Error::Unsupported(format!("{flag} does not work with --distributed")));
        }
    }
    #[cfg(feature = "mpi")]
    {
        // Under MPI, auto means rayon on every rank: the ranks must not each calibrate at once.
        let backend = match run.backend {
            Choice::Auto => hetero::Backend::Rayon,
            Choice::Backend(backend) => backend,
        };
        let cluster = hetero::distributed::Cluster::init()?;
        let engine = engine(run)?;
        Ok(cluster.run(&engine, kernel, backend).map(|d| (d.run, Some(d.ranks))))
    }
    #[cfg(not(feature = "mpi"))]
    {
        let _ = kernel;
        Err(Error::Unsupported(
            "--distributed needs MPI: build with 'cargo build --release --features mpi' (and a system MPI)".to_owned(),
        ))
    }
}

/// How to run a kernel of the subcommand's kind to a target error.
type ToTarget<'a, T> = &'a dyn Fn(&Engine, f64, Choice, &Control) -> hetero::Result<Run<T>>;

/// One problem on one backend (or auto), with everything a run may add.
fn single<K>(args: &RunArgs, kernel: &K, probe: &K, to_target: ToTarget<'_, K::Output>) -> hetero::Result<Outcome>
where
    K: Report,
    K::Partial: Wire,
{
    if args.distributed {
        let Some((run, ranks)) = distributed(args, kernel)? else {
            return Ok(Outcome::success(String::new()));
        };
        let context = Context {
            ranks,
            ..Context::default()
        };
        return Ok(Outcome::success(report::single(kernel, &run, &context, args.json)));
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
    if auto || args.explain {
        ensure_calibrated(&engine, probe, args.quiet || args.json)?;
        if args.explain {
            context.explanation = Some(engine.explain(kernel)?);
        }
    }
    // A fixed-size run explained already has auto's choice: it need not be made twice.
    let choice = match (&context.explanation, args.target_error) {
        (Some(explanation), None) if auto => Choice::Backend(explanation.choice),
        _ => args.backend,
    };
    let (control, bar) = control(args.quiet);
    let result = match args.target_error {
        Some(target) => to_target(&engine, target, choice, &control),
        None => engine.run_with(kernel, choice, &control),
    };
    bar.finish_and_clear();
    let run = result?;
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
        let validation = validate::validate(&engine, kernel, checked, against, seed)?;
        if !validation.agree() {
            code = EXIT_FAILURE;
        }
        context.validation = Some(validation);
    }
    if let Some(precision) = run.float_precision()
        && let Some(warning) = kernel.resolution_warning(precision)
    {
        eprintln!("hetero: warning: {warning}");
    }
    if let Some(target) = args.target_error
        && !run.interrupted
        && K::error_estimate(&run.output) > target
    {
        eprintln!(
            "hetero: warning: the target error {target:e} was not reached: the estimate stopped shrinking at {:e} \
             (rounding); the best run is shown",
            K::error_estimate(&run.output)
        );
        code = EXIT_FAILURE;
    }
    if run.interrupted {
        eprintln!(
            "hetero: interrupted: blocks 0..{} of {} completed; the result below covers them",
            run.completed, run.blocks
        );
        code = EXIT_INTERRUPTED;
    }
    Ok(Outcome {
        text: report::single(kernel, &run, &context, args.json),
        code,
    })
}

/// One problem on several backends, checked against each other.
fn compare<K: Report>(backends: Option<&[Backend]>, args: &RunArgs, kernel: &K) -> hetero::Result<Outcome> {
    let unsupported = [
        (
            args.backend != Choice::Auto,
            "--backend (compare takes --backends a,b,c)",
        ),
        (args.distributed, "--distributed"),
        (args.explain, "--explain"),
        (args.validate, "--validate"),
        (args.target_error.is_some(), "--target-error"),
    ];
    if let Some((_, flag)) = unsupported.iter().find(|(given, _)| *given) {
        return Err(Error::Unsupported(format!("compare does not take {flag}")));
    }
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
    let comparison = validate::compare(&engine, kernel, &backends)?;
    Ok(Outcome {
        text: report::comparison(kernel, &comparison, args.json),
        code: if comparison.agree() { 0 } else { EXIT_FAILURE },
    })
}

/// Measures every kernel on every backend and saves the model.
fn calibrate(args: &CalibrateArgs) -> hetero::Result<Outcome> {
    let engine = engine_on(args.threads, &args.adapter)?;
    let mut keys = Vec::new();
    let pi = probe_pi()?;
    engine.calibrate(&pi)?;
    keys.push(pi.cost_key());
    // Each built-in integrand costs differently per point: each has its own costs.
    for name in ["exp", "sin", "cos", "gauss", "pi", "poly"] {
        let simpson = probe_simpson(Function::from_name(name, None, None, None)?, 0.0, 1.0)?;
        engine.calibrate(&simpson)?;
        keys.push(simpson.cost_key());
    }
    let leibniz = probe_leibniz()?;
    engine.calibrate(&leibniz)?;
    keys.push(leibniz.cost_key());
    let path = save_model(&engine, false);
    let model = engine.model();
    let mut rows = Vec::new();
    for key in keys {
        for backend in Backend::ALL {
            rows.push((key.clone(), backend, engine.threads_for(backend)));
        }
    }
    Ok(Outcome::success(report::calibration(
        &model,
        &rows,
        path.as_deref(),
        args.json,
    )))
}

fn simpson_kernel(a: &SimpsonArgs) -> hetero::Result<(Function, Simpson)> {
    let function = Function::from_name(&a.function, a.x0, a.sigma, a.power)?;
    let kernel = Simpson::new(function, a.from, a.to, a.intervals.unwrap_or(DEFAULT_INTERVALS))?;
    Ok((function, kernel))
}

fn note_rounding(a: &SimpsonArgs, kernel: &Simpson) {
    if let Some(requested) = a.intervals
        && kernel.intervals() != requested
    {
        eprintln!(
            "hetero: note: {requested} intervals rounded up to {} (Simpson's rule and its error estimate need a multiple of 4)",
            kernel.intervals()
        );
    }
}

/// `-n` and `--target-error` both say how big the problem is: one of them, not both.
fn one_size(size: Option<u64>, run: &RunArgs) -> hetero::Result<()> {
    if size.is_some() && run.target_error.is_some() {
        return Err(Error::Unsupported(
            "give a size (-n) or --target-error, not both".to_owned(),
        ));
    }
    Ok(())
}

const DEFAULT_SAMPLES: u64 = 1_000_000_000;
const DEFAULT_INTERVALS: u64 = 100_000_000;
const DEFAULT_TERMS: u64 = 1_000_000_000;

fn run(cli: Cli) -> hetero::Result<Outcome> {
    match cli.command {
        Command::Pi(a) => {
            one_size(a.samples, &a.run)?;
            let kernel = MonteCarloPi::new(a.samples.unwrap_or(DEFAULT_SAMPLES), a.seed)?;
            let seed = a.seed;
            let to_target = move |engine: &Engine, target, choice, control: &Control| {
                hetero::target::pi_to_error(engine, seed, target, choice, control)
            };
            single(&a.run, &kernel, &probe_pi()?, &to_target)
        }
        Command::Simpson(a) => {
            one_size(a.intervals, &a.run)?;
            let (function, kernel) = simpson_kernel(&a)?;
            note_rounding(&a, &kernel);
            let (from, to) = (a.from, a.to);
            let to_target = move |engine: &Engine, target, choice, control: &Control| {
                hetero::target::simpson_to_error(engine, function, from, to, target, choice, control)
            };
            single(&a.run, &kernel, &probe_simpson(function, a.from, a.to)?, &to_target)
        }
        Command::Leibniz(a) => {
            one_size(a.terms, &a.run)?;
            let kernel = Leibniz::new(a.terms.unwrap_or(DEFAULT_TERMS))?;
            let to_target = |engine: &Engine, target, choice, control: &Control| {
                hetero::target::leibniz_to_error(engine, target, choice, control)
            };
            single(&a.run, &kernel, &probe_leibniz()?, &to_target)
        }
        Command::Compare(c) => {
            let backends = c.backends.as_deref();
            match c.problem {
                Problem::Pi(a) => compare(
                    backends,
                    &a.run,
                    &MonteCarloPi::new(a.samples.unwrap_or(DEFAULT_SAMPLES), a.seed)?,
                ),
                Problem::Simpson(a) => {
                    let (_, kernel) = simpson_kernel(&a)?;
                    note_rounding(&a, &kernel);
                    compare(backends, &a.run, &kernel)
                }
                Problem::Leibniz(a) => compare(backends, &a.run, &Leibniz::new(a.terms.unwrap_or(DEFAULT_TERMS))?),
            }
        }
        Command::Calibrate(a) => calibrate(&a),
        Command::Bench(a) => Ok(Outcome::success(bench::bench(&a)?)),
        Command::Devices(a) => Ok(Outcome::success(report::devices(&hetero::gpu::adapters(), a.json))),
    }
}
