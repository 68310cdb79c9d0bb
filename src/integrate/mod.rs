//! One front door for integrals: an [`Integrand`] over a domain (a [`Problem`]), computed by a [`Method`]
//! towards a goal (a fixed size, or a tolerance within a budget), on any backend.
//!
//! ```
//! use hetero::{Engine, integrate::{Problem, Request, integrate}};
//!
//! let engine = Engine::with_threads(2)?;
//! let problem = Problem::expr("exp(-x^2)", &[(0.0, 1.0)])?;
//! let answer = integrate(&engine, &Request::new(problem).rtol(1e-10))?;
//! assert_eq!(answer.method, "simpson");
//! assert_eq!(answer.reached, Some(true));
//! assert!(answer.error <= 1e-10 * answer.value.abs());
//! assert!((answer.value - 0.746824132812427).abs() < 1e-12);
//! # Ok::<(), hetero::Error>(())
//! ```
//!
//! # What an answer means
//!
//! Every method reports `value` and `error`, and says what `error` is ([`ErrorKind`]): for a stochastic
//! method, the half-width of a stated confidence interval (Monte Carlo's is 95%: 1.96 standard errors);
//! for a deterministic rule, the rule's own estimate, labelled as such. A goal is met when
//! `error ≤ max(atol, rtol·|value|)`. With no tolerance and no size given, the method's default `rtol`
//! applies. Every goal has a budget, counted in evaluations of the integrand (the method's default, or
//! `max_evals`); a time limit stops at a run or block boundary and reports the evaluations it reached, so
//! that `max_evals` with that count gives the same bits. A goal not met is an [`Answer`] with `reached:
//! Some(false)` and the reason in `why`: the command line exits with 1, Python warns.
//!
//! # Integrands and domains
//!
//! An [`Integrand`] is a built-in function, an expression or a [`RustFunction`] (CPU backends only). A
//! domain's bounds may be infinite: such an axis is integrated in `t` over a finite range through the map
//! `x = a + t/(1−t)` on `[a, ∞)`, `x = b − t/(1−t)` on `(−∞, b]`, `x = t/(1−t²)` on `(−∞, ∞)` (`t` over
//! `[0, 1]`, `[0, 1]`, `[−1, 1]`), times the derivative `1/(1−t)²` or `(1+t²)/(1−t²)²`, with `t` kept at
//! most `1 − 2^−53` from its end so that `x` stays finite (about `2^53` at an end, where the integrand in
//! `t` then takes its limit for an `f` that has one). The answer's run JSON names the map (`map`) and gives
//! an infinite bound as the string `"inf"` or `"-inf"`. The GPU does not run them (no bound of its error
//! can be derived over an infinite axis).
//!
//! ```
//! use hetero::{Backend, Engine, integrate::{Problem, Request, integrate}};
//!
//! let problem = Problem::expr("1/(1+x^2)", &[(f64::NEG_INFINITY, f64::INFINITY)])?;
//! let answer = integrate(&Engine::with_threads(2)?, &Request::new(problem).rtol(1e-12).on(Backend::Rayon))?;
//! assert!((answer.value - std::f64::consts::PI).abs() < 1e-12);
//! assert_eq!(answer.run["map"], "x = t/(1 - t^2)");
//! # Ok::<(), hetero::Error>(())
//! ```
//!
//! # Vector-valued integrands
//!
//! A [`Problem`] may have several components ([`Problem::vector`]; [`Problem::exprs`] makes a batch of
//! one expression over several values of its parameters), computed on the same points by one method: of
//! a fixed size, every component at that size; to a tolerance, each component to the goal (the budget
//! bounds each one's run), then those that stopped sooner again at the largest size any reached (a run
//! to a tolerance is the run of its final size, bit for bit). So each component of the answer is the
//! scalar run of the shared [`Answer::size`], with its own error, and the goal is met when every
//! component meets it. [`Answer::components`] holds their answers, [`Answer::values`] and
//! [`Answer::errors`] their numbers, [`Answer::evals`] every evaluation spent. Each component is its own
//! pass over the points.
//!
//! # Methods
//!
//! A method is one file implementing [`Method`], registered once in [`methods`]: its options, its
//! defaults, its target loop and its report fields all come from that file, and the command line and
//! Python derive theirs from it. Today: `simpson` (1-D, the composite Simpson rule doubled until
//! Richardson's estimate is met and trusted) and `mc` (Monte Carlo on the Philox stream, any dimension).

mod monte_carlo;
mod options;
mod simpson;
mod vector;

use std::time::{Duration, Instant};

use serde_json::{Value, json};

pub use crate::integrand::{Integrand, RustFunction};
pub use options::{OptionKind, OptionSpec, OptionValue, Options};

use crate::expr::Expr;
use crate::{Backend, Choice, Control, Engine, Error, Result};

/// The most components a vector-valued [`Problem`] may have.
pub const MAX_COMPONENTS: usize = 4096;

/// An integral to compute: an integrand over a box (an interval in one dimension), whose bounds may be
/// infinite (see the [module](self) docs for the map). The integrand may be vector-valued: several
/// components integrated over the same domain on the same points (see [`Problem::vector`]).
#[derive(Clone, Debug)]
pub struct Problem {
    components: Vec<Integrand>,
    domain: Vec<(f64, f64)>,
}

impl Problem {
    /// `∫ integrand` over `domain`, one `(a, b)` per variable; `a > b` integrates in the other direction; a
    /// bound may be infinite (not NaN, and not both the same infinity).
    pub fn new(integrand: Integrand, domain: &[(f64, f64)]) -> Result<Self> {
        Problem::vector(vec![integrand], domain)
    }

    /// `∫ (f₁, …, f_k)` over `domain`: a vector-valued integrand of `k` components (at most
    /// [`MAX_COMPONENTS`]), each a function of as many variables as `domain` has ranges. Every component
    /// is computed on the same points (the same nodes, the same random stream), so an answer's components
    /// are those of `k` scalar problems run at one common size, bit for bit, each with its own error. A
    /// goal is met when every component meets it; see [`integrate`] for the size they share.
    ///
    /// ```
    /// use hetero::{Backend, Engine, integrate::{Integrand, Problem, Request, integrate}};
    /// use hetero::expr::Expr;
    ///
    /// let parts = ["sin(x)", "cos(x)"].map(|f| Expr::parse(f, 1).map(Integrand::from));
    /// let problem = Problem::vector(parts.into_iter().collect::<Result<_, _>>()?, &[(0.0, 1.0)])?;
    /// let answer = integrate(&Engine::with_threads(2)?, &Request::new(problem).rtol(1e-10).on(Backend::Rayon))?;
    /// assert_eq!(answer.values().len(), 2);
    /// assert!((answer.values()[0] - (1.0 - 1f64.cos())).abs() < 1e-12);
    /// assert!((answer.values()[1] - 1f64.sin()).abs() < 1e-12);
    /// // The components share their points: one size for both.
    /// assert_eq!(answer.components[0].size, answer.components[1].size);
    /// # Ok::<(), hetero::Error>(())
    /// ```
    pub fn vector(components: Vec<Integrand>, domain: &[(f64, f64)]) -> Result<Self> {
        if domain.is_empty() {
            return Err(Error::invalid("domain", "it has no dimensions"));
        }
        if components.is_empty() {
            return Err(Error::invalid("integrand", "a vector of no components"));
        }
        if components.len() > MAX_COMPONENTS {
            return Err(Error::invalid(
                "integrand",
                format!("{} components: at most {MAX_COMPONENTS}", components.len()),
            ));
        }
        if let Some(f) = components.iter().find(|f| f.dims() != domain.len()) {
            return Err(Error::invalid(
                "domain",
                format!("{} ranges given for a function of {} variables", domain.len(), f.dims()),
            ));
        }
        // Infinite bounds are mapped (crate::domain); NaN and empty infinite ranges are refused here.
        crate::domain::Map::of(domain)?;
        Ok(Problem {
            components,
            domain: domain.to_vec(),
        })
    }

    /// `∫ source` over `domain`: the expression in as many variables as `domain` has ranges (`x` in one
    /// dimension; `x, y, z` or `x1 … xd`).
    pub fn expr(source: &str, domain: &[(f64, f64)]) -> Result<Self> {
        Problem::new(Integrand::Expr(Expr::parse(source, domain.len())?), domain)
    }

    /// `∫ source` over `domain`, the expression's named parameters bound to their values
    /// ([`Expr::parse_with`]): `Problem::expr_with("exp(-a*x^2)", &[(0.0, 1.0)], &[("a", 0.5)])`.
    pub fn expr_with(source: &str, domain: &[(f64, f64)], params: &[(&str, f64)]) -> Result<Self> {
        Problem::new(Integrand::Expr(Expr::parse_with(source, domain.len(), params)?), domain)
    }

    /// `∫ source` for every source and every combination of the parameters' values, over `domain`: a
    /// batch of integrals sharing their points, as one vector-valued problem ([`Problem::vector`]), or a
    /// scalar one when there is one source and every parameter has one value. The components go source
    /// by source, and within a source through the combinations with the first parameter varying slowest;
    /// each expression is parsed once and its parameters bound as numbers ([`Expr::with_params`]).
    ///
    /// ```
    /// use hetero::{Backend, Engine, integrate::{Problem, Request, integrate}};
    ///
    /// let batch = Problem::exprs(&["exp(-a*x^2)"], &[(0.0, 1.0)], &[("a", &[0.5, 1.0, 2.0])])?;
    /// assert_eq!(batch.components().len(), 3);
    /// let answer = integrate(&Engine::with_threads(2)?, &Request::new(batch).rtol(1e-8).on(Backend::Rayon))?;
    /// let one = Problem::expr_with("exp(-a*x^2)", &[(0.0, 1.0)], &[("a", 1.0)])?;
    /// let alone = integrate(&Engine::with_threads(2)?, &Request::new(one).rtol(1e-8).on(Backend::Rayon))?;
    /// assert!((answer.values()[1] - alone.value).abs() < 1e-9);
    /// # Ok::<(), hetero::Error>(())
    /// ```
    pub fn exprs(sources: &[&str], domain: &[(f64, f64)], params: &[(&str, &[f64])]) -> Result<Self> {
        if let Some((name, _)) = params.iter().find(|(_, values)| values.is_empty()) {
            return Err(Error::invalid("parameter", format!("'{name}' has no values")));
        }
        let combinations = params
            .iter()
            .try_fold(1usize, |n, (_, values)| n.checked_mul(values.len()))
            .and_then(|n| n.checked_mul(sources.len()))
            .filter(|&n| n <= MAX_COMPONENTS)
            .ok_or_else(|| {
                Error::invalid(
                    "parameter",
                    format!("the sources and the parameters' values make more than {MAX_COMPONENTS} integrals"),
                )
            })?;
        let first: Vec<(&str, f64)> = params.iter().map(|&(name, values)| (name, values[0])).collect();
        let mut components = Vec::with_capacity(combinations);
        for (i, source) in sources.iter().enumerate() {
            let parsed = Expr::parse_with(source, domain.len(), &first).map_err(|e| match e {
                // Columns count from the component's own start.
                Error::Expression { message, column, hint } if sources.len() > 1 => Error::Expression {
                    message: format!("expression {} of {}: {message}", i + 1, sources.len()),
                    column,
                    hint,
                },
                e => e,
            })?;
            let mut at = vec![0usize; params.len()];
            loop {
                let values: Vec<f64> = params.iter().zip(&at).map(|((_, values), &j)| values[j]).collect();
                components.push(Integrand::Expr(parsed.with_params(&values)?));
                // The next combination: the last parameter varies fastest.
                let Some(i) = (0..params.len()).rev().find(|&i| at[i] + 1 < params[i].1.len()) else {
                    break;
                };
                at[i] += 1;
                at[i + 1..].fill(0);
            }
        }
        Problem::vector(components, domain)
    }

    /// The integrand; of a vector-valued problem, its first component ([`components`](Self::components)
    /// has them all).
    pub fn integrand(&self) -> &Integrand {
        &self.components[0]
    }

    /// Each component as a scalar problem over the same domain.
    pub(crate) fn parts(&self) -> Vec<Problem> {
        self.components
            .iter()
            .map(|f| Problem {
                components: vec![f.clone()],
                domain: self.domain.clone(),
            })
            .collect()
    }

    /// The integrand's components: one for a scalar problem.
    pub fn components(&self) -> &[Integrand] {
        &self.components
    }

    /// The domain, one `(a, b)` per variable.
    pub fn domain(&self) -> &[(f64, f64)] {
        &self.domain
    }

    /// How many dimensions it has.
    pub fn dims(&self) -> usize {
        self.domain.len()
    }
}

/// What a method's `error` is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum ErrorKind {
    /// The half-width of a 95% confidence interval (1.96 standard errors).
    Ci95,
    /// A deterministic rule's own estimate of its error: not a bound.
    Estimate,
}

impl ErrorKind {
    /// Its name in JSON and text: `ci95`, `estimate`.
    pub fn name(self) -> &'static str {
        match self {
            ErrorKind::Ci95 => "ci95",
            ErrorKind::Estimate => "estimate",
        }
    }
}

/// An integral to compute, and how: the problem, the method (its default for the problem when none is
/// named), the goal and where to run. Built in steps; checked by [`integrate`].
#[derive(Clone, Debug)]
pub struct Request {
    problem: Problem,
    method: Option<String>,
    atol: Option<f64>,
    rtol: Option<f64>,
    max_evals: Option<u64>,
    time_limit: Option<f64>,
    options: Options,
    choice: Choice,
}

impl Request {
    /// `problem` by its default method, to that method's default tolerance, on the backend auto picks.
    pub fn new(problem: Problem) -> Self {
        Request {
            problem,
            method: None,
            atol: None,
            rtol: None,
            max_evals: None,
            time_limit: None,
            options: Options::new(),
            choice: Choice::Auto,
        }
    }

    /// By the method named `name` (see [`methods`]).
    pub fn method(self, name: &str) -> Self {
        Request {
            method: Some(name.to_owned()),
            ..self
        }
    }

    /// An absolute tolerance: the goal is met when `error ≤ max(atol, rtol·|value|)`.
    pub fn atol(self, atol: f64) -> Self {
        Request {
            atol: Some(atol),
            ..self
        }
    }

    /// A relative tolerance: the goal is met when `error ≤ max(atol, rtol·|value|)`.
    pub fn rtol(self, rtol: f64) -> Self {
        Request {
            rtol: Some(rtol),
            ..self
        }
    }

    /// The most evaluations of the integrand to spend (the method's default budget otherwise).
    pub fn max_evals(self, evals: u64) -> Self {
        Request {
            max_evals: Some(evals),
            ..self
        }
    }

    /// The most seconds to spend: the run stops at the first run or block boundary after them.
    pub fn time_limit(self, seconds: f64) -> Self {
        Request {
            time_limit: Some(seconds),
            ..self
        }
    }

    /// The method's own options ([`Method::options`]).
    pub fn options(self, options: Options) -> Self {
        Request { options, ..self }
    }

    /// Where to run: a backend, or auto.
    pub fn on(self, choice: impl Into<Choice>) -> Self {
        Request {
            choice: choice.into(),
            ..self
        }
    }

    /// The problem.
    pub fn problem(&self) -> &Problem {
        &self.problem
    }
}

/// What a method is given to compute: the request, checked, with its goal made definite.
#[derive(Clone)]
#[non_exhaustive]
pub struct Job<'a> {
    /// The engine to run on.
    pub engine: &'a Engine,
    /// The problem.
    pub problem: &'a Problem,
    /// The method's options, checked against its declared ones.
    pub options: &'a Options,
    /// Where to run.
    pub choice: Choice,
    /// The stop flag, progress and deadline.
    pub control: &'a Control,
    /// The goal: `None` for a run of a fixed size (an option that sets the size was given).
    pub tolerance: Option<Tolerance>,
    /// The most evaluations to spend.
    pub max_evals: u64,
}

/// A tolerance `max(atol, rtol·|value|)`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Tolerance {
    /// The absolute tolerance (0 when only a relative one was given).
    pub atol: f64,
    /// The relative tolerance (0 when only an absolute one was given).
    pub rtol: f64,
}

impl Tolerance {
    /// The largest error accepted for `value`.
    pub fn at(&self, value: f64) -> f64 {
        self.atol.max(self.rtol * value.abs())
    }
}

/// An integration method: one file, registered once in [`methods`].
///
/// The front ends derive everything they show of a method from this trait: the command line's
/// `--method NAME` and one flag per [`OptionSpec`], Python's keywords, the JSON fields.
pub trait Method: Sync {
    /// Its name (`--method NAME`, `method="NAME"`).
    fn name(&self) -> &'static str;
    /// One line: what it does and where it is the right tool.
    fn summary(&self) -> &'static str;
    /// Its own options.
    fn options(&self) -> &'static [OptionSpec];
    /// What its `error` is.
    fn error_kind(&self) -> ErrorKind;
    /// The relative tolerance it aims at when neither a size nor a tolerance is given.
    fn default_rtol(&self) -> f64;
    /// The evaluations it spends at most when no budget is given.
    fn default_max_evals(&self) -> u64;
    /// Whether it can compute `problem`: an error saying why not (a method of one dimension given a box).
    fn accepts(&self, problem: &Problem) -> Result<()>;
    /// Measures auto's costs for the kernels it runs on `problem`, where `engine`'s model cannot predict
    /// them, from a probe large enough to predict large runs (not a first run of a few blocks). Called for
    /// [`Choice::Auto`] before the time limit starts: costs are measured once per machine and kept.
    fn calibrate(&self, engine: &Engine, problem: &Problem, options: &Options, control: &Control) -> Result<()>;
    /// Computes the integral.
    fn integrate(&self, job: &Job<'_>) -> Result<Answer>;
}

/// Every method, in the order the front ends list them.
pub fn methods() -> &'static [&'static dyn Method] {
    &[&simpson::Simpson, &monte_carlo::MonteCarlo]
}

/// The method named `name`; an error lists the names.
pub fn method(name: &str) -> Result<&'static dyn Method> {
    let name = name.trim();
    methods()
        .iter()
        .copied()
        .find(|m| m.name().eq_ignore_ascii_case(name))
        .ok_or_else(|| {
            let names: Vec<&str> = methods().iter().map(|m| m.name()).collect();
            Error::invalid(
                "method",
                format!("no method '{name}': the methods are {}", names.join(", ")),
            )
        })
}

/// The method used when none is named: Simpson in one dimension, Monte Carlo in more.
pub fn default_method(problem: &Problem) -> &'static dyn Method {
    match problem.dims() {
        1 => &simpson::Simpson,
        _ => &monte_carlo::MonteCarlo,
    }
}

/// The answer to a [`Request`].
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct Answer {
    /// The method's name.
    pub method: &'static str,
    /// The estimate of the integral.
    pub value: f64,
    /// Its error, of the kind [`error_kind`](Answer::error_kind) says.
    pub error: f64,
    /// What `error` is.
    pub error_kind: ErrorKind,
    /// Evaluations of the integrand spent, over every run the method made (of every component, for a
    /// vector-valued integrand).
    pub evals: u64,
    /// The size of the last run (for a vector-valued integrand, the size its components share): the
    /// value of the method's size option (`intervals`, `samples`) whose run of that fixed size gives the
    /// same bits.
    pub size: u64,
    /// Whether the goal was met: `None` for a run of a fixed size.
    pub reached: Option<bool>,
    /// Whether the error passed the method's checks of its regime: when it did not, `why` says which
    /// failed, a run to a tolerance has not reached it, and a run of a fixed size is flagged (the command
    /// line warns, Python warns). Monte Carlo's fails for one point, or when every point gave 0 for an
    /// integrand that is not a constant: their spread of 0 says nothing about the error.
    pub trusted: bool,
    /// Why the goal was not met, in one line.
    pub why: Option<String>,
    /// The tolerance aimed at, if any.
    pub tolerance: Option<Tolerance>,
    /// Whether a stop flag (Ctrl-C) cut the run short: the answer covers what was completed.
    pub interrupted: bool,
    /// Where it ran.
    pub backend: Backend,
    /// The stamp of the result ([`crate::validate::stamp`]): equal stamps, equal bits.
    pub stamp: String,
    /// Seconds spent, over every run.
    pub seconds: f64,
    /// The last run's JSON ([`crate::report::run_json`]): the kernel's own fields (of the first component,
    /// for a vector-valued integrand).
    pub run: Value,
    /// How many components the integrand has: 1 for a scalar one.
    pub outputs: usize,
    /// Each component's own answer, in order, for a vector-valued integrand (empty for a scalar one): its
    /// value, error, whether it met the goal, its stamp. `value`, `error`, `run` above are the first
    /// component's; a stop (Ctrl-C, a time limit) leaves the components it did not reach out.
    pub components: Vec<Answer>,
}

impl Answer {
    /// Every component's value, in order (the value alone for a scalar integrand); NaN for a component a
    /// stop left out.
    pub fn values(&self) -> Vec<f64> {
        self.per_component(|a| a.value)
    }

    /// Every component's error, in order (the error alone for a scalar integrand); NaN for a component a
    /// stop left out.
    pub fn errors(&self) -> Vec<f64> {
        self.per_component(|a| a.error)
    }

    fn per_component(&self, field: impl Fn(&Answer) -> f64) -> Vec<f64> {
        match self.components.is_empty() {
            true => vec![field(self)],
            false => (0..self.outputs)
                .map(|i| self.components.get(i).map_or(f64::NAN, &field))
                .collect(),
        }
    }

    /// The answer as one JSON object: the run's fields, then `method`, `value`, `error`, `error_kind`,
    /// `evals`, `size`, `reached`, `trusted`, `why`, `atol`, `rtol`, `interrupted`, `seconds`: what `hetero integrate --json` prints and
    /// Python's result holds. For a vector-valued integrand, `value` and `error` are arrays (`null` for a
    /// component a stop left out), `outputs` counts them, `components` holds each component's own object,
    /// and the domain's fields (`from`, `to` or `box`, `map`) and `threads` come from the first's run.
    pub fn to_json(&self) -> Value {
        let vector = !self.components.is_empty();
        let mut object = match vector {
            false => self.run.clone(),
            true => {
                let mut object = json!({
                    "outputs": self.outputs,
                    "backend": self.backend.name(),
                    "stamp": self.stamp,
                    "components": self.components.iter().map(Answer::to_json).collect::<Vec<_>>(),
                });
                for key in ["from", "to", "box", "map", "threads"] {
                    if let Some(field) = self.run.get(key) {
                        object[key] = field.clone();
                    }
                }
                object
            }
        };
        let (value, error) = match vector {
            false => (json!(self.value), json!(self.error)),
            true => (json!(self.values()), json!(self.errors())),
        };
        let fields = json!({
            "method": self.method,
            "value": value,
            "error": error,
            "error_kind": self.error_kind,
            "evals": self.evals,
            "size": self.size,
            "reached": self.reached,
            "trusted": self.trusted,
            "why": self.why,
            "atol": self.tolerance.map(|t| t.atol),
            "rtol": self.tolerance.map(|t| t.rtol),
            "interrupted": self.interrupted,
            "seconds": self.seconds,
        });
        if let (Some(map), Value::Object(fields)) = (object.as_object_mut(), fields) {
            map.extend(fields);
        }
        object
    }
}

/// Computes `request` on `engine`: see the [module](self) docs.
pub fn integrate(engine: &Engine, request: &Request) -> Result<Answer> {
    integrate_with(engine, request, &Control::new())
}

/// [`integrate`], reporting progress and watching for a stop as `control` says; a time limit adds its
/// deadline to `control`.
pub fn integrate_with(engine: &Engine, request: &Request, control: &Control) -> Result<Answer> {
    let method = match &request.method {
        Some(name) => method(name)?,
        None => default_method(&request.problem),
    };
    request
        .problem
        .parts()
        .iter()
        .try_for_each(|part| method.accepts(part))?;
    request.options.check_against(method.name(), method.options())?;
    for (what, tolerance) in [("atol", request.atol), ("rtol", request.rtol)] {
        if let Some(t) = tolerance
            && !(t.is_finite() && t >= 0.0)
        {
            return Err(Error::invalid(what, format!("{t} is not a number ≥ 0")));
        }
    }
    let sized = request.options.sets_size(method.options());
    let tolerance = match (request.atol, request.rtol) {
        (None, None) if sized => None,
        (None, None) => Some(Tolerance {
            atol: 0.0,
            rtol: method.default_rtol(),
        }),
        (atol, rtol) if !sized => Some(Tolerance {
            atol: atol.unwrap_or(0.0),
            rtol: rtol.unwrap_or(0.0),
        }),
        _ => {
            return Err(Error::Unsupported(
                "give a size or a tolerance (atol, rtol), not both".to_owned(),
            ));
        }
    };
    if tolerance.is_some_and(|t| t.atol == 0.0 && t.rtol == 0.0) {
        return Err(Error::invalid(
            "tolerance",
            "atol and rtol are both 0: no error could meet it",
        ));
    }
    if request.max_evals == Some(0) {
        return Err(Error::invalid("max_evals", "must be at least 1"));
    }
    if sized && request.max_evals.is_some() {
        return Err(Error::Unsupported(
            "give a size or a budget (max_evals) with a tolerance, not a size and a budget".to_owned(),
        ));
    }
    let limit = match request.time_limit {
        Some(seconds) => Some(
            Duration::try_from_secs_f64(seconds)
                .ok()
                .filter(|limit| !limit.is_zero())
                .ok_or_else(|| Error::invalid("time limit", format!("{seconds} is not a number of seconds above 0")))?,
        ),
        None => None,
    };
    if request.choice == Choice::Auto {
        method.calibrate(engine, &request.problem, &request.options, control)?;
    }
    // The time limit starts after auto's calibration, which is measured once per machine and kept.
    let deadline = match limit.and_then(|limit| Instant::now().checked_add(limit)) {
        Some(deadline) => control.clone().with_deadline(deadline),
        None => control.clone(),
    };
    let job = Job {
        engine,
        problem: &request.problem,
        options: &request.options,
        choice: request.choice,
        control: &deadline,
        tolerance,
        max_evals: request.max_evals.unwrap_or(method.default_max_evals()),
    };
    match request.problem.components.len() {
        1 => method.integrate(&job),
        _ => vector::integrate(method, &job),
    }
}

/// `result`, with a stop before anything was done ([`Error::Interrupted`]) told as the time limit's
/// ([`Error::TimeLimit`]) when the deadline caused it, not a signal.
pub(crate) fn time_limited<T>(result: Result<T>, control: &Control) -> Result<T> {
    match result {
        Err(Error::Interrupted { .. }) if control.timed_out() => Err(Error::TimeLimit(
            "the time limit was reached before the first block was done".to_owned(),
        )),
        result => result,
    }
}

/// The answer of a run to a tolerance or of a fixed size, from its parts: the common tail of every
/// method's `integrate`.
pub(crate) struct Outcome {
    pub value: f64,
    pub error: f64,
    pub evals: u64,
    pub size: u64,
    pub met: bool,
    pub trusted: bool,
    pub why: Option<String>,
    pub interrupted: bool,
    pub backend: Backend,
    pub seconds: f64,
    pub run: Value,
}

impl Outcome {
    /// The [`Answer`] of `method` for `job`.
    pub fn answer(self, method: &dyn Method, job: &Job<'_>) -> Answer {
        let stamp = self.run["stamp"].as_str().unwrap_or_default().to_owned();
        let reached = job.tolerance.map(|_| self.met && !self.interrupted);
        let why = match (reached, self.why) {
            (Some(false), None) if self.interrupted => Some("the run was interrupted".to_owned()),
            (Some(false), None) => Some("the error is above the tolerance".to_owned()),
            (_, why) => why,
        };
        Answer {
            method: method.name(),
            value: self.value,
            error: self.error,
            error_kind: method.error_kind(),
            evals: self.evals,
            size: self.size,
            reached,
            trusted: self.trusted,
            why,
            tolerance: job.tolerance,
            interrupted: self.interrupted,
            backend: self.backend,
            stamp,
            seconds: self.seconds,
            run: self.run,
            outputs: 1,
            components: Vec::new(),
        }
    }
}
