//! The command line's grammar (clap derive).

use clap::{Arg, ArgMatches, Args, FromArgMatches, Parser, Subcommand};

use hetero::gpu::{AdapterChoice, Precision};
use hetero::size::{parse_bound, parse_count, parse_positive, parse_real};
use hetero::{Backend, Choice, MAX_THREADS};

/// hetero: exact Monte Carlo, quadrature and series on every backend.
///
/// Results are identical, bit for bit, on the serial, rayon and threads backends with any thread count.
/// Sizes accept 1000000, 1_000_000, 1e6 and 2^20.
#[derive(Parser, Debug)]
#[command(name = "hetero", version)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Integrate an expression over an interval or a box, by a method, to a tolerance or of a fixed size.
    Integrate(IntegrateArgs),
    /// Estimate π by Monte Carlo on the Philox4x32-10 stream (exact, reproducible hit counts).
    Pi(PiArgs),
    /// Integrate a function with composite Simpson's rule.
    Simpson(SimpsonArgs),
    /// Sum the Leibniz series for π.
    Leibniz(LeibnizArgs),
    /// Integrate an expression over a box in 1 to 16 dimensions by Monte Carlo on the Philox stream.
    Montecarlo(MontecarloArgs),
    /// Run one problem on several backends and check that they agree (exit code 1 when they do not).
    Compare(CompareArgs),
    /// Measure each backend's cost for each kernel and cache it, for '--backend auto'.
    Calibrate(CalibrateArgs),
    /// List the GPU adapters: name, API, type, driver, 64-bit support, timestamps and limits.
    Devices(DevicesArgs),
    /// Sweep sizes, thread counts and block sizes on every backend; write CSV files and SVG plots.
    Bench(BenchArgs),
    /// Combine the partial results of shards (--shard … --partial FILE) into the single run's result.
    Merge(MergeArgs),
}

#[derive(Args, Debug)]
pub struct IntegrateArgs {
    /// The integrand: an expression in x (one dimension), x, y, z (up to three) or x1 … xd; several
    /// separated by ';' ('sin(x); cos(x)') make a vector-valued integrand, its components computed on the
    /// same points, each with its own error.
    #[arg(value_name = "EXPR", allow_hyphen_values = true)]
    pub expr: String,
    /// Lower bound of an interval (numbers, pi, -pi/2…, e, or -inf) [default: 0].
    #[arg(long, allow_hyphen_values = true, value_parser = parse_bound, conflicts_with = "bounds")]
    pub from: Option<f64>,
    /// Upper bound of an interval (or inf) [default: 1].
    #[arg(long, allow_hyphen_values = true, value_parser = parse_bound, conflicts_with = "bounds")]
    pub to: Option<f64>,
    /// A box instead of an interval, one range per variable: A1:B1,A2:B2,… (inf and -inf allowed)
    #[arg(long = "box", value_name = "A1:B1,…", allow_hyphen_values = true, value_parser = parse_domain)]
    pub bounds: Option<Bounds>,
    /// A named parameter of the expression and its value (repeatable): --param a=0.5 --param b=2. Several
    /// values (a=0.5,1,2) make a batch of integrals on the same points, one per combination of values.
    #[arg(long = "param", value_name = "NAME=VALUE[,…]", allow_hyphen_values = true, value_parser = parse_param)]
    pub params: Vec<(String, Vec<f64>)>,
    #[arg(long, value_name = "NAME", help = method_help())]
    pub method: Option<String>,
    /// Absolute tolerance: done when error ≤ max(atol, rtol·|value|).
    #[arg(long, value_name = "E", allow_hyphen_values = true, value_parser = parse_real)]
    pub atol: Option<f64>,
    /// Relative tolerance [default: the method's, without a size or atol].
    #[arg(long, value_name = "E", allow_hyphen_values = true, value_parser = parse_real)]
    pub rtol: Option<f64>,
    /// Most evaluations of the integrand to spend [default: the method's].
    #[arg(long, value_name = "N", allow_hyphen_values = true, value_parser = parse_positive)]
    pub max_evals: Option<u64>,
    /// Most seconds to spend: the run stops at a run or block boundary and reports the evaluations it
    /// reached (--max-evals with that count gives the same result).
    #[arg(long, value_name = "SECONDS", allow_hyphen_values = true, value_parser = parse_seconds)]
    pub time_limit: Option<f64>,
    #[command(flatten)]
    pub options: MethodOptions,
    /// Where to run: auto (the backend predicted fastest), serial, rayon, threads, cpu (= rayon), gpu or
    /// hybrid (GPU and CPU together).
    #[arg(long, default_value = "auto", value_parser = parse_choice)]
    pub backend: Choice,
    /// Worker threads for rayon and threads [default: one per core].
    #[arg(long, value_name = "N", allow_hyphen_values = true, value_parser = parse_threads)]
    pub threads: Option<usize>,
    /// GPU adapter: auto, an index or part of a name from 'hetero devices'.
    #[arg(long, value_name = "NAME|INDEX", default_value = "auto", value_parser = parse_adapter)]
    pub adapter: AdapterChoice,
    /// Floating-point precision on the GPU: f32 or f64 [default: f64 where the GPU has it].
    #[arg(long, value_parser = parse_precision)]
    pub precision: Option<Precision>,
    /// Print one JSON object instead of text.
    #[arg(long)]
    pub json: bool,
    /// No progress bar.
    #[arg(long, short = 'q')]
    pub quiet: bool,
}

/// `--method`'s help: the registered methods, each with its one line.
fn method_help() -> String {
    let methods: Vec<String> = hetero::integrate::methods()
        .iter()
        .map(|m| format!("{} ({})", m.name(), m.summary()))
        .collect();
    format!(
        "The method [default: simpson in one dimension, mc in more]: {}",
        methods.join("; ")
    )
}

/// Every method's own options as flags (`--NAME VALUE`), derived from the library's registry: a flag
/// that two methods declare appears once. The values go to the library as text, which parses them.
#[derive(Debug, Default)]
pub struct MethodOptions(pub hetero::integrate::Options);

impl MethodOptions {
    /// Each option declared by some method, once, with the methods that declare it.
    fn specs() -> Vec<(hetero::integrate::OptionSpec, Vec<&'static str>)> {
        let mut specs: Vec<(hetero::integrate::OptionSpec, Vec<&'static str>)> = Vec::new();
        for method in hetero::integrate::methods() {
            for spec in method.options() {
                match specs.iter_mut().find(|(known, _)| known.name == spec.name) {
                    Some((_, owners)) => owners.push(method.name()),
                    None => specs.push((*spec, vec![method.name()])),
                }
            }
        }
        specs
    }
}

impl FromArgMatches for MethodOptions {
    fn from_arg_matches(matches: &ArgMatches) -> Result<Self, clap::Error> {
        let mut options = hetero::integrate::Options::new();
        for (spec, _) in Self::specs() {
            if let Some(value) = matches.get_one::<String>(spec.name) {
                options.set(spec.name, value.as_str());
            }
        }
        Ok(MethodOptions(options))
    }

    fn update_from_arg_matches(&mut self, matches: &ArgMatches) -> Result<(), clap::Error> {
        *self = Self::from_arg_matches(matches)?;
        Ok(())
    }
}

impl Args for MethodOptions {
    fn augment_args(mut command: clap::Command) -> clap::Command {
        for (spec, owners) in Self::specs() {
            let value_name = match spec.kind {
                hetero::integrate::OptionKind::Real => "X",
                _ => "N",
            };
            command = command.arg(
                Arg::new(spec.name)
                    .long(spec.name.replace('_', "-"))
                    .value_name(value_name)
                    .allow_hyphen_values(true)
                    .help_heading("Method options")
                    .help(format!("{} [{}]", spec.help, owners.join(", "))),
            );
        }
        command
    }

    fn augment_args_for_update(command: clap::Command) -> clap::Command {
        Self::augment_args(command)
    }
}

#[derive(Args, Debug)]
pub struct MergeArgs {
    /// The partial-result files, in any order.
    #[arg(required = true, value_name = "FILES")]
    pub files: Vec<std::path::PathBuf>,
    /// With shards missing, report the result of the blocks done without a gap from the first,
    /// labelled interrupted, instead of failing.
    #[arg(long)]
    pub partial_ok: bool,
    /// Also write the merged result as one partial-result file.
    #[arg(long, value_name = "FILE")]
    pub partial: Option<std::path::PathBuf>,
    /// Print one JSON object instead of text.
    #[arg(long)]
    pub json: bool,
}

#[derive(Args, Debug)]
pub struct BenchArgs {
    /// Directory for the CSV files and plots (created if needed).
    #[arg(long, value_name = "DIR", default_value = "hetero-bench")]
    pub out: std::path::PathBuf,
    /// Largest size swept; sizes go from 2^10 up by factors of 4, and the thread sweep uses the largest.
    #[arg(long, value_name = "N", default_value = "2^24", allow_hyphen_values = true, value_parser = parse_positive)]
    pub max_size: u64,
    /// Timed runs per point (the median is kept), after one untimed run.
    #[arg(long, value_name = "R", default_value = "5", value_parser = parse_repeats)]
    pub repeats: usize,
    /// Most worker threads in the thread sweep, and threads for rayon and threads in the size sweep
    /// [default: one per core].
    #[arg(long, value_name = "N", allow_hyphen_values = true, value_parser = parse_threads)]
    pub threads: Option<usize>,
    /// GPU adapter: auto, an index or part of a name from 'hetero devices'.
    #[arg(long, value_name = "NAME|INDEX", default_value = "auto", value_parser = parse_adapter)]
    pub adapter: AdapterChoice,
}

#[derive(Args, Debug)]
pub struct CompareArgs {
    /// Backends to run, comma-separated [default: serial, rayon, threads, and gpu and hybrid when there
    /// is a GPU].
    #[arg(long, global = true, value_delimiter = ',', value_parser = parse_backend)]
    pub backends: Option<Vec<Backend>>,
    #[command(subcommand)]
    pub problem: Problem,
}

#[derive(Subcommand, Debug)]
pub enum Problem {
    /// Monte Carlo π.
    Pi(PiArgs),
    /// Simpson integration.
    Simpson(SimpsonArgs),
    /// The Leibniz series.
    Leibniz(LeibnizArgs),
    /// Monte Carlo integration over a box.
    Montecarlo(MontecarloArgs),
}

#[derive(Args, Debug)]
pub struct CalibrateArgs {
    /// Worker threads for rayon and threads [default: one per core].
    #[arg(long, value_name = "N", allow_hyphen_values = true, value_parser = parse_threads)]
    pub threads: Option<usize>,
    /// GPU adapter: auto, an index or part of a name from 'hetero devices'.
    #[arg(long, value_name = "NAME|INDEX", default_value = "auto", value_parser = parse_adapter)]
    pub adapter: AdapterChoice,
    /// Print one JSON object instead of text.
    #[arg(long)]
    pub json: bool,
}

#[derive(Args, Debug)]
pub struct DevicesArgs {
    /// Print one JSON object instead of text.
    #[arg(long)]
    pub json: bool,
}

/// Options every run takes.
#[derive(Args, Debug)]
pub struct RunArgs {
    /// Where to run: auto (the backend predicted fastest), serial, rayon, threads, cpu (= rayon), gpu or
    /// hybrid (GPU and CPU together).
    #[arg(long, default_value = "auto", value_parser = parse_choice)]
    pub backend: Choice,
    /// Worker threads for rayon and threads [default: one per core].
    #[arg(long, value_name = "N", allow_hyphen_values = true, value_parser = parse_threads)]
    pub threads: Option<usize>,
    /// GPU adapter: auto, an index or part of a name from 'hetero devices'.
    #[arg(long, value_name = "NAME|INDEX", default_value = "auto", value_parser = parse_adapter)]
    pub adapter: AdapterChoice,
    /// Floating-point precision on the GPU: f32 or f64 [default: f64 where the GPU has it].
    #[arg(long, value_parser = parse_precision)]
    pub precision: Option<Precision>,
    /// Print one JSON object instead of text.
    #[arg(long)]
    pub json: bool,
    /// Split the blocks over the MPI ranks this was started on (mpiexec -n R hetero ...); rank 0 prints.
    #[arg(long)]
    pub distributed: bool,
    /// Print auto's predicted time for each backend and why it chose one.
    #[arg(long)]
    pub explain: bool,
    /// Recompute about 1% of the blocks on another backend and check them (exit code 1 if they differ).
    #[arg(long)]
    pub validate: bool,
    /// Run until the error estimate is at most E, instead of at a given size.
    #[arg(long, value_name = "E", allow_hyphen_values = true, value_parser = parse_real)]
    pub target_error: Option<f64>,
    /// Save the run's progress to FILE (every --checkpoint-every seconds, and when stopped); the same
    /// command resumes from it and computes only what is missing.
    #[arg(long, value_name = "FILE")]
    pub checkpoint: Option<std::path::PathBuf>,
    /// Seconds between checkpoints.
    #[arg(long, value_name = "SECONDS", default_value = "30", allow_hyphen_values = true, value_parser = parse_seconds)]
    pub checkpoint_every: f64,
    /// Compute only shard INDEX of COUNT (0 ≤ INDEX < COUNT; balanced contiguous block ranges), for
    /// 'hetero merge'; needs --partial.
    #[arg(long, value_name = "INDEX/COUNT", allow_hyphen_values = true, value_parser = parse_shard)]
    pub shard: Option<(u64, u64)>,
    /// Write the exact partial result to FILE, for 'hetero merge'.
    #[arg(long, value_name = "FILE")]
    pub partial: Option<std::path::PathBuf>,
    /// No progress bar.
    #[arg(long, short = 'q')]
    pub quiet: bool,
}

#[derive(Args, Debug)]
pub struct PiArgs {
    /// Number of samples [default: 1e9].
    #[arg(long, short = 'n', value_name = "N", allow_hyphen_values = true, value_parser = parse_positive)]
    pub samples: Option<u64>,
    /// Seed of the random stream (0 ..= 2^64 − 1).
    #[arg(long, value_name = "SEED", default_value = "42", allow_hyphen_values = true, value_parser = parse_count)]
    pub seed: u64,
    #[command(flatten)]
    pub run: RunArgs,
}

#[derive(Args, Debug)]
pub struct SimpsonArgs {
    /// The integrand: exp, sin, cos, gauss, pi (4/(1+x²)) or poly (x^k).
    #[arg(long, short = 'f', default_value = "exp")]
    pub function: String,
    /// The integrand as an expression in x, instead of --function: 'exp(-x^2) * sin(3*x)'.
    #[arg(long, value_name = "EXPR", allow_hyphen_values = true, conflicts_with_all = ["function", "x0", "sigma", "power"])]
    pub expr: Option<String>,
    /// Lower bound (numbers, or pi, 2pi, pi/2…, e).
    #[arg(long, default_value = "0", allow_hyphen_values = true, value_parser = parse_real)]
    pub from: f64,
    /// Upper bound.
    #[arg(long, default_value = "1", allow_hyphen_values = true, value_parser = parse_real)]
    pub to: f64,
    /// Number of intervals, rounded up to a multiple of 4 [default: 1e8].
    #[arg(long, short = 'n', value_name = "N", allow_hyphen_values = true, value_parser = parse_positive)]
    pub intervals: Option<u64>,
    /// Centre of gauss [default: 0].
    #[arg(long, allow_hyphen_values = true, value_parser = parse_real)]
    pub x0: Option<f64>,
    /// Width σ > 0 of gauss [default: 1].
    #[arg(long, allow_hyphen_values = true, value_parser = parse_real)]
    pub sigma: Option<f64>,
    /// Power k of poly [default: 2].
    #[arg(long, value_name = "K", allow_hyphen_values = true, value_parser = parse_power)]
    pub power: Option<u32>,
    #[command(flatten)]
    pub run: RunArgs,
}

#[derive(Args, Debug)]
pub struct MontecarloArgs {
    /// The integrand, an expression in x (one dimension), x, y, z (up to three) or x1 … xd.
    #[arg(long, value_name = "EXPR", allow_hyphen_values = true)]
    pub expr: String,
    /// The box, one range per variable: A1:B1,A2:B2,… (bounds accept pi, -pi/2…, e).
    #[arg(long = "box", value_name = "A1:B1,…", allow_hyphen_values = true, value_parser = parse_box)]
    pub bounds: Bounds,
    /// Number of points [default: 1e8].
    #[arg(long, short = 'n', value_name = "N", allow_hyphen_values = true, value_parser = parse_positive)]
    pub samples: Option<u64>,
    /// Seed of the random stream (0 ..= 2^64 − 1).
    #[arg(long, value_name = "SEED", default_value = "42", allow_hyphen_values = true, value_parser = parse_count)]
    pub seed: u64,
    #[command(flatten)]
    pub run: RunArgs,
}

/// The ranges of `--box`.
#[derive(Clone, Debug)]
pub struct Bounds(pub Vec<(f64, f64)>);

fn parse_box(text: &str) -> Result<Bounds, String> {
    ranges(text, parse_real)
}

/// `NAME=VALUE` or `NAME=V1,V2,…`: a parameter of an expression, its values numbers as [`parse_real`]
/// reads them.
fn parse_param(text: &str) -> Result<(String, Vec<f64>), String> {
    let (name, values) = text
        .split_once('=')
        .ok_or_else(|| format!("'{text}' is not NAME=VALUE"))?;
    let values = values.split(',').map(parse_real).collect::<Result<_, _>>()?;
    Ok((name.trim().to_owned(), values))
}

/// A box whose bounds may be infinite ([`parse_bound`]).
fn parse_domain(text: &str) -> Result<Bounds, String> {
    ranges(text, parse_bound)
}

/// `A1:B1,A2:B2,…`, each bound read by `bound`.
fn ranges(text: &str, bound: fn(&str) -> Result<f64, String>) -> Result<Bounds, String> {
    let ranges = text
        .split(',')
        .map(|range| {
            let (a, b) = range
                .split_once(':')
                .ok_or_else(|| format!("'{range}' is not a range A:B"))?;
            Ok((bound(a.trim())?, bound(b.trim())?))
        })
        .collect::<Result<Vec<_>, String>>()?;
    if ranges.len() > hetero::expr::MAX_DIMS {
        return Err(format!(
            "{} ranges: at most {} dimensions",
            ranges.len(),
            hetero::expr::MAX_DIMS
        ));
    }
    Ok(Bounds(ranges))
}

#[derive(Args, Debug)]
pub struct LeibnizArgs {
    /// Number of terms [default: 1e9].
    #[arg(long, short = 'n', value_name = "N", allow_hyphen_values = true, value_parser = parse_positive)]
    pub terms: Option<u64>,
    #[command(flatten)]
    pub run: RunArgs,
}

fn parse_seconds(text: &str) -> Result<f64, String> {
    let seconds = parse_real(text)?;
    if !(seconds > 0.0 && seconds <= 1e9) {
        return Err(format!("'{text}' is not a number of seconds above 0"));
    }
    Ok(seconds)
}

fn parse_shard(text: &str) -> Result<(u64, u64), String> {
    let (index, count) = text
        .split_once('/')
        .ok_or_else(|| format!("'{text}' is not INDEX/COUNT (as 3/8)"))?;
    let (index, count) = (parse_count(index.trim())?, parse_count(count.trim())?);
    if index >= count {
        return Err(format!(
            "shard {index}/{count}: the index must be below the count (0 ≤ INDEX < COUNT)"
        ));
    }
    Ok((index, count))
}

fn parse_backend(text: &str) -> Result<Backend, String> {
    text.parse().map_err(|e: hetero::UnknownBackend| e.to_string())
}

fn parse_choice(text: &str) -> Result<Choice, String> {
    text.parse()
        .map_err(|e: hetero::UnknownBackend| format!("{e}, or auto"))
}

fn parse_adapter(text: &str) -> Result<AdapterChoice, String> {
    match text.parse() {
        Ok(choice) => Ok(choice),
        Err(never) => match never {},
    }
}

fn parse_precision(text: &str) -> Result<Precision, String> {
    match text.to_ascii_lowercase().as_str() {
        "f32" => Ok(Precision::F32),
        "f64" => Ok(Precision::F64),
        _ => Err(format!("'{text}' is not a precision: expected f32 or f64")),
    }
}

fn parse_threads(text: &str) -> Result<usize, String> {
    let n = parse_positive(text)?;
    usize::try_from(n)
        .ok()
        .filter(|&n| n <= MAX_THREADS)
        .ok_or_else(|| format!("'{text}' is more than the {MAX_THREADS} threads allowed"))
}

fn parse_repeats(text: &str) -> Result<usize, String> {
    let n = parse_positive(text)?;
    usize::try_from(n)
        .ok()
        .filter(|&n| n <= 1000)
        .ok_or_else(|| format!("'{text}' is more than the 1000 repeats allowed"))
}

fn parse_power(text: &str) -> Result<u32, String> {
    let k = parse_count(text)?;
    u32::try_from(k)
        .ok()
        .filter(|&k| k < i32::MAX as u32)
        .ok_or_else(|| format!("'{text}' is too large a power"))
}
