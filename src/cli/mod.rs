//! The command line front end. Everything here maps words to library calls and results to text.

mod args;
mod report;

use std::io::Write;
use std::process::ExitCode;

use clap::Parser;
use clap::error::ErrorKind;

use hetero::distributed::{RankReport, Wire};
use hetero::gpu::Precision;
use hetero::kernels::{Function, Leibniz, MonteCarloPi, Simpson};
use hetero::{Engine, Error, Kernel, Run};

use args::{Cli, Command, RunArgs};
use report::Context;

/// Exit code of a usage error: bad flags or values.
const EXIT_USAGE: u8 = 2;
/// Exit code of a failure while running.
const EXIT_FAILURE: u8 = 1;

pub fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => return clap_error(e),
    };
    match run(cli) {
        Ok(text) => match std::io::stdout().lock().write_all(text.as_bytes()) {
            Ok(()) => ExitCode::SUCCESS,
            // A closed pipe (`hetero pi | head -c1`) is the reader's choice, not a failure worth a message.
            Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => ExitCode::SUCCESS,
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

fn engine(run: &RunArgs) -> hetero::Result<Engine> {
    let engine = match run.threads {
        Some(threads) => Engine::with_threads(threads)?,
        None => Engine::new()?,
    };
    Ok(engine.with_adapter(run.adapter.clone()).with_precision(run.precision))
}

/// A finished run, with each rank's share when it was distributed.
type Executed<T> = (Run<T>, Option<Vec<RankReport>>);

/// Runs `kernel` in this process, or over the MPI ranks with `--distributed`. `None` on ranks other
/// than 0, which print nothing.
fn execute<K>(run: &RunArgs, kernel: &K) -> hetero::Result<Option<Executed<K::Output>>>
where
    K: Kernel,
    K::Partial: Wire,
{
    if !run.distributed {
        return Ok(Some((engine(run)?.run(kernel, run.backend)?, None)));
    }
    #[cfg(feature = "mpi")]
    {
        let cluster = hetero::distributed::Cluster::init()?;
        let engine = engine(run)?;
        Ok(cluster
            .run(&engine, kernel, run.backend)
            .map(|d| (d.run, Some(d.ranks))))
    }
    #[cfg(not(feature = "mpi"))]
    Err(Error::Unsupported(
        "--distributed needs MPI: build with 'cargo build --release --features mpi' (and a system MPI)".to_owned(),
    ))
}

/// The floating precision a GPU run used (none for CPU runs and exact kernels).
fn gpu_precision<T>(run: &hetero::Run<T>) -> Option<Precision> {
    run.gpu
        .as_ref()
        .and_then(|g| g.precision)
        .filter(|&p| p != Precision::Exact)
}

fn run(cli: Cli) -> hetero::Result<String> {
    match cli.command {
        Command::Pi(a) => {
            let kernel = MonteCarloPi::new(a.samples, a.seed)?;
            let Some((result, ranks)) = execute(&a.run, &kernel)? else {
                return Ok(String::new());
            };
            let context = Context { gpu_bound: None, ranks };
            Ok(report::pi(&result, &context, a.run.json))
        }
        Command::Simpson(a) => {
            let function = Function::from_name(&a.function, a.x0, a.sigma, a.power)?;
            let kernel = Simpson::new(function, a.from, a.to, a.intervals)?;
            if kernel.intervals() != a.intervals {
                eprintln!(
                    "hetero: note: {} intervals rounded up to {} (Simpson's rule and its error estimate need a multiple of 4)",
                    a.intervals,
                    kernel.intervals()
                );
            }
            let Some((result, ranks)) = execute(&a.run, &kernel)? else {
                return Ok(String::new());
            };
            let precision = gpu_precision(&result);
            if let Some(warning) = precision.and_then(|p| kernel.resolution_warning(p)) {
                eprintln!("hetero: warning: {warning}");
            }
            let context = Context {
                gpu_bound: precision.and_then(|p| kernel.gpu_bound(p)),
                ranks,
            };
            Ok(report::simpson(&result, &context, a.run.json))
        }
        Command::Devices(a) => Ok(report::devices(&hetero::gpu::adapters(), a.json)),
        Command::Leibniz(a) => {
            let kernel = Leibniz::new(a.terms)?;
            let Some((result, ranks)) = execute(&a.run, &kernel)? else {
                return Ok(String::new());
            };
            let context = Context {
                gpu_bound: gpu_precision(&result).map(|p| kernel.gpu_bound(p)),
                ranks,
            };
            Ok(report::leibniz(&result, &context, a.run.json))
        }
    }
}
