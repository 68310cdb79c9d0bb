//! The command line front end. Everything here maps words to library calls and results to text: the entry
//! point, exit codes and the choice of command here; the engine, its cost-model cache and the progress bar
//! in `setup.rs`; the commands in `commands.rs`; their output in `report/`; `hetero bench` in `bench.rs`.

mod args;
mod bench;
mod commands;
mod integrate;
mod ranks;
mod report;
mod saved;
mod setup;
mod signals;

use std::io::Write;
use std::process::ExitCode;

use clap::Parser;
use clap::error::ErrorKind;

use hetero::kernels::{Leibniz, MonteCarloPi};
use hetero::{Control, Engine, Error};

use args::{Cli, Command, Problem, RunArgs};
use commands::*;
use setup::*;

/// Exit code of a usage error: bad flags or values.
const EXIT_USAGE: u8 = 2;
/// Exit code of a failure while running, or of results that disagree.
const EXIT_FAILURE: u8 = 1;

pub fn main() -> ExitCode {
    // Under an MPI launcher with --distributed, join the other ranks before anything can fail.
    let ranks = ranks::Ranks::join();
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => return clap_error(e, ranks.as_ref()),
    };
    if let Err(why) = hetero::SimdLevel::from_env() {
        return fail(EXIT_USAGE, &why, ranks.as_ref());
    }
    match run(cli, ranks.as_ref()) {
        Ok(Outcome { text, code }) => match std::io::stdout().lock().write_all(text.as_bytes()) {
            Ok(()) => ExitCode::from(code),
            // A closed pipe (`hetero pi | head -c1`) is the reader's choice, not a failure worth a message.
            Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => ExitCode::from(code),
            Err(e) => fail(EXIT_FAILURE, &format!("cannot write the result: {e}"), None),
        },
        Err(e) => {
            let code = match e {
                ref bad if bad.is_bad_input() => EXIT_USAGE,
                // Stopped before anything could be reported: the signal's code, as for a stopped run.
                Error::Interrupted { .. } => signals::Signals::get().exit_code(),
                Error::Stopped(ref during) => {
                    let code = signals::Signals::get().report(&format!(" during {during}: nothing was computed"));
                    return ExitCode::from(code);
                }
                _ => EXIT_FAILURE,
            };
            // The ranks' disagreement is the same on every rank: rank 0 says it. Any other error is this
            // rank's own, and the other ranks learn of it.
            match e {
                Error::Distributed(_) => fail(code, &e.to_string(), None),
                _ => fail(code, &e.to_string(), ranks.as_ref()),
            }
        }
    }
}

/// Help and version go to stdout with success; any other parse error becomes one line and exit code 2.
fn clap_error(e: clap::Error, ranks: Option<&ranks::Ranks>) -> ExitCode {
    match e.kind() {
        ErrorKind::DisplayHelp | ErrorKind::DisplayVersion => {
            // A rank that only prints help runs nothing: the others must not wait for it.
            if let Some(ranks) = ranks {
                ranks.leave_failed();
            }
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
            fail(EXIT_USAGE, &format!("{line} (see 'hetero --help')"), ranks)
        }
    }
}

/// Says `message` as an error and returns `code`. Under mpiexec (`ranks`), the other ranks learn that this
/// one cannot run, and this rank speaks unless every rank failed alike (then rank 0 speaks for all);
/// without `ranks`, rank 0 alone speaks.
fn fail(code: u8, message: &str, ranks: Option<&ranks::Ranks>) -> ExitCode {
    let speak = match ranks {
        Some(ranks) => ranks.leave_failed(),
        None => !launched_as_other_mpi_rank(),
    };
    if speak {
        match other_rank() {
            Some(rank) => say("error", &format!("on rank {rank}: {message}")),
            None => say("error", message),
        }
    }
    ExitCode::from(code)
}

/// This process's MPI rank when an MPI launcher started it as a rank other than 0.
fn other_rank() -> Option<String> {
    ranks::launcher_rank().filter(|rank| rank.trim() != "0")
}

/// Whether an MPI launcher started this process as a rank other than 0 (MPICH and Intel MPI set PMI_RANK,
/// Open MPI OMPI_COMM_WORLD_RANK). Errors after MPI has started are reported by the failing rank itself.
fn launched_as_other_mpi_rank() -> bool {
    other_rank().is_some()
}

/// Writes `hetero: KIND: MESSAGE` on stderr. A diagnostic that cannot be written (stderr closed, full, a
/// broken pipe) is dropped: it is never a reason to lose the result on stdout or change the exit code.
fn say(kind: &str, message: &str) {
    let _ = writeln!(std::io::stderr().lock(), "hetero: {kind}: {message}");
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

/// `-n` and `--target-error` both say how big the problem is: one of them, not both.
pub(super) fn one_size(size: Option<u64>, run: &RunArgs) -> hetero::Result<()> {
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
const DEFAULT_POINTS: u64 = 100_000_000;

fn run(cli: Cli, ranks: Option<&ranks::Ranks>) -> hetero::Result<Outcome> {
    match cli.command {
        Command::Integrate(a) => integrate::integrate(&a),
        Command::Pi(a) => {
            one_size(a.samples, &a.run)?;
            let kernel = MonteCarloPi::new(a.samples.unwrap_or(DEFAULT_SAMPLES), a.seed)?;
            let seed = a.seed;
            let to_target = move |engine: &Engine, target, choice, control: &Control| {
                hetero::target::pi_to_error(engine, seed, target, choice, control)
            };
            single(&a.run, &kernel, &probe_pi()?, &to_target, ranks)
        }
        Command::Simpson(a) => {
            one_size(a.intervals, &a.run)?;
            match Integrand::of(&a)? {
                Integrand::Builtin(function) => simpson(&a, function, ranks),
                Integrand::Expr(expr) => {
                    let f = hetero::integrate::Integrand::Expr(expr.clone());
                    hetero::singular::refuse_divergent(&f, (a.from, a.to))?;
                    simpson(&a, expr, ranks)
                }
            }
        }
        Command::Leibniz(a) => {
            one_size(a.terms, &a.run)?;
            let kernel = Leibniz::new(a.terms.unwrap_or(DEFAULT_TERMS))?;
            let to_target = |engine: &Engine, target, choice, control: &Control| {
                hetero::target::leibniz_to_error(engine, target, choice, control)
            };
            single(&a.run, &kernel, &probe_leibniz()?, &to_target, ranks)
        }
        Command::Montecarlo(a) => montecarlo(&a, ranks),
        Command::Compare(c) => {
            let backends = c.backends.as_deref();
            match c.problem {
                Problem::Pi(a) => compare(
                    backends,
                    &a.run,
                    &MonteCarloPi::new(a.samples.unwrap_or(DEFAULT_SAMPLES), a.seed)?,
                ),
                Problem::Simpson(a) => match Integrand::of(&a)? {
                    Integrand::Builtin(function) => compare(backends, &a.run, &simpson_kernel(&a, function)?),
                    Integrand::Expr(expr) => compare(backends, &a.run, &simpson_kernel(&a, expr)?),
                },
                Problem::Leibniz(a) => compare(backends, &a.run, &Leibniz::new(a.terms.unwrap_or(DEFAULT_TERMS))?),
                Problem::Montecarlo(a) => compare(backends, &a.run, &montecarlo_kernel(&a)?),
            }
        }
        Command::Calibrate(a) => calibrate(&a),
        Command::Bench(a) => Ok(Outcome::success(bench::bench(&a)?)),
        Command::Devices(a) => Ok(Outcome::success(report::devices(&hetero::gpu::adapters(), a.json))),
        Command::Merge(a) => saved::merge(&a),
    }
}
