//! The `Engine` class: its problems, runs, comparisons and integrals, on an engine rebuilt after a
//! `fork`.

use std::collections::HashMap;
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex, OnceLock, PoisonError};

use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::PyDict;

use hetero::expr::Expr;
use hetero::integrate::{Problem as Integral, Request, integrate_with};
use hetero::kernels::{Function, Leibniz, MonteCarloIntegral, MonteCarloPi, Simpson};
use hetero::report::{Report, comparison_json, run_json};
use hetero::target::TargetRun;
use hetero::{Backend, Choice, Control, Engine, Run};

use crate::FORKS;
use crate::callable::{Callable, Layout};
use crate::convert::{choice, count, domain, options, params, real, sources, to_python};
use crate::errors::{py_error, settled, stopped_by};
use crate::worker::{interruptible, interruptible_with};

/// An engine, rebuilt after a `fork`: the child has none of the parent's threads, so a thread pool or
/// a GPU device made before the fork would be used broken. The old one is left alone (its threads do
/// not exist to be stopped) and a new one made with the same settings.
struct Shared {
    threads: Option<usize>,
    state: Mutex<(u64, Arc<Engine>)>,
}

impl Shared {
    fn new(threads: Option<usize>) -> PyResult<Shared> {
        Ok(Shared {
            threads,
            state: Mutex::new((FORKS.load(Ordering::SeqCst), Arc::new(build(threads)?))),
        })
    }

    /// The engine of this process.
    fn engine(&self) -> PyResult<Arc<Engine>> {
        let mut state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        let forks = FORKS.load(Ordering::SeqCst);
        if state.0 != forks {
            let old = std::mem::replace(&mut state.1, Arc::new(build(self.threads)?));
            std::mem::forget(old);
            state.0 = forks;
        }
        Ok(Arc::clone(&state.1))
    }
}

/// An engine of `threads` workers (one per core when `None`), predicting with the cost model the command
/// line measured and saved, so that `backend="auto"` chooses as `hetero` does.
fn build(threads: Option<usize>) -> PyResult<Engine> {
    Engine::builder()
        .threads(threads)
        .cached_model()
        .build()
        .map_err(py_error)
}

/// A Python function over `domain` as an integrand: on the CPU only (auto takes rayon, since
/// the calls are serialized by the GIL and the cost model knows nothing of the function), without
/// `params` (the function takes its own).
fn python_integrand(
    f: &Bound<'_, PyAny>,
    domain: &[(f64, f64)],
    params: Option<&Bound<'_, PyDict>>,
    layout: &str,
    choice: &mut Choice,
) -> PyResult<Callable> {
    if params.is_some_and(|p| !p.is_empty()) {
        return Err(PyValueError::new_err(
            "params= names parameters of an expression; a Python function takes its own (functools.partial)",
        ));
    }
    match *choice {
        Choice::Auto => *choice = Choice::Backend(Backend::Rayon),
        Choice::Backend(backend) if backend.uses_gpu() => {
            return Err(PyValueError::new_err(format!(
                "a Python function runs on the CPU backends only (serial, rayon, threads), not {backend}: the GPU \
                 cannot call into Python; write the integrand as an expression to run it there"
            )));
        }
        Choice::Backend(_) => {}
    }
    Callable::new(f, domain.len(), Layout::parse(layout)?)
}

/// One problem, of any kernel.
enum Problem {
    Pi(MonteCarloPi),
    Leibniz(Leibniz),
    Builtin(Simpson<Function>),
    Expression(Simpson<Expr>),
    Integral(MonteCarloIntegral),
}

/// `$body` with `$k` the problem's kernel, whatever its type.
macro_rules! with_kernel {
    ($problem:expr, $k:ident => $body:expr) => {
        match $problem {
            Problem::Pi($k) => $body,
            Problem::Leibniz($k) => $body,
            Problem::Builtin($k) => $body,
            Problem::Expression($k) => $body,
            Problem::Integral($k) => $body,
        }
    };
}

/// `work()` on `engine`; when auto measured costs on the way, the model is merged into the machine's
/// cache, as the command line does, so that the next process (or `hetero`) pays nothing for them. A model
/// that cannot be saved is dropped silently: never a reason to lose the result.
fn keeping_model<T>(engine: &Engine, choice: Choice, work: impl FnOnce() -> T) -> T {
    let before = (choice == Choice::Auto).then(|| engine.model());
    let done = work();
    if before.is_some_and(|before| before != engine.model()) {
        let _ = engine.save_model();
    }
    done
}

/// How a kernel runs to a target error.
type ToTarget<K> = fn(&Engine, &K, f64, Choice, &Control) -> hetero::Result<TargetRun<<K as hetero::Kernel>::Output>>;

/// Runs `kernel` (to `target` error with `to_target`, when given) and answers with its fields; Ctrl-C
/// raises [`Interrupted`] with the fields of the blocks done.
fn run_one<'py, K>(
    py: Python<'py>,
    engine: Arc<Engine>,
    kernel: K,
    choice: Choice,
    target: Option<f64>,
    to_target: ToTarget<K>,
) -> PyResult<Bound<'py, PyAny>>
where
    K: Report + Send + Sync + 'static,
    K::Output: Send,
{
    let kernel = Arc::new(kernel);
    let job_kernel = Arc::clone(&kernel);
    let (done, pending) = interruptible(py, move |control| {
        keeping_model(&engine, choice, || match target {
            Some(target) => {
                to_target(&engine, &job_kernel, target, choice, control).map(|t| (t.run, Some((t.reached, t.why))))
            }
            None => engine.run_with(&*job_kernel, choice, control).map(|run| (run, None)),
        })
    })?;
    let ((run, reached), pending): ((Run<K::Output>, _), _) = settled(py, done, pending)?;
    let mut fields = run_json(&*kernel, &run);
    if let (Some(target), Some(map)) = (target, fields.as_object_mut()) {
        map.insert("target_error".to_owned(), target.into());
        if let Some((reached, why)) = reached {
            map.insert("target_reached".to_owned(), reached.into());
            if let Some(why) = why {
                map.insert("target_missed_because".to_owned(), why.into());
            }
        }
    }
    let fields = to_python(py, &fields)?;
    if let Some(error) = pending {
        let message = format!(
            "interrupted: blocks 0..{} of {} completed; the result covers them",
            run.completed, run.blocks
        );
        return Err(stopped_by(py, error, &message, fields));
    }
    kernel.check(&run.output).map_err(py_error)?;
    Ok(fields)
}

/// The problem runs on every backend in `backends` (or every one this machine has), checked against
/// each other: `{"kernel", "reference", "runs", "agree", "disagreements", "interrupted"}`.
fn compare_one<'py, K>(
    py: Python<'py>,
    engine: Arc<Engine>,
    kernel: K,
    backends: Vec<Backend>,
) -> PyResult<Bound<'py, PyAny>>
where
    K: Report + Send + Sync + 'static,
    K::Output: Send,
{
    let kernel = Arc::new(kernel);
    let job_kernel = Arc::clone(&kernel);
    let (done, pending) = interruptible(py, move |control| {
        hetero::validate::compare_with(&engine, &*job_kernel, &backends, control)
    })?;
    let comparison = done.map_err(|e| pending.as_ref().map_or_else(|| py_error(e), |p| p.clone_ref(py)))?;
    let fields = to_python(py, &comparison_json(&*kernel, &comparison))?;
    if let Some(error) = pending {
        let message = "interrupted: the runs that finished are in the result";
        return Err(stopped_by(py, error, message, fields));
    }
    Ok(fields)
}

/// A hetero engine: its worker threads and (on first GPU use) its device, made once and used by every
/// run; safe to share between Python threads, and rebuilt in the child after a `fork`.
#[pyclass(name = "Engine", module = "hetero._hetero", frozen)]
pub(crate) struct PyEngine {
    shared: Arc<Shared>,
}

impl PyEngine {
    fn problem_pi(samples: &Bound<'_, PyAny>, seed: u64) -> PyResult<Problem> {
        Ok(Problem::Pi(
            MonteCarloPi::new(count(samples, "samples")?, seed).map_err(py_error)?,
        ))
    }

    #[allow(clippy::too_many_arguments)]
    fn problem_simpson(
        f: &str,
        a: &Bound<'_, PyAny>,
        b: &Bound<'_, PyAny>,
        intervals: Option<&Bound<'_, PyAny>>,
        x0: Option<f64>,
        sigma: Option<f64>,
        power: Option<u32>,
    ) -> PyResult<Problem> {
        let (a, b) = (real(a, "from")?, real(b, "to")?);
        // The command line's default.
        let intervals = intervals.map_or(Ok(100_000_000), |n| count(n, "intervals"))?;
        // A built-in integrand's name, or an expression of x.
        let builtin = Function::NAMES.iter().any(|name| name.eq_ignore_ascii_case(f.trim()));
        if builtin {
            let function = Function::from_name(f.trim(), x0, sigma, power).map_err(py_error)?;
            return Ok(Problem::Builtin(
                Simpson::new(function, a, b, intervals).map_err(py_error)?,
            ));
        }
        if x0.is_some() || sigma.is_some() || power.is_some() {
            return Err(PyValueError::new_err(
                "x0, sigma and power are parameters of the built-in integrands gauss and poly, not of an expression",
            ));
        }
        Ok(Problem::Expression(
            Simpson::expr(f, a, b, intervals).map_err(py_error)?,
        ))
    }

    fn problem_montecarlo(
        expr: &str,
        bounds: &Bound<'_, PyAny>,
        samples: &Bound<'_, PyAny>,
        seed: u64,
    ) -> PyResult<Problem> {
        let mut box_ = Vec::new();
        for range in bounds.try_iter()? {
            let range = range?;
            let (low, high): (Bound<'_, PyAny>, Bound<'_, PyAny>) = range
                .extract()
                .map_err(|_| PyTypeError::new_err("box must be a sequence of (low, high) pairs"))?;
            box_.push((real(&low, "box")?, real(&high, "box")?));
        }
        let f = Expr::parse(expr, box_.len()).map_err(py_error)?;
        Ok(Problem::Integral(
            MonteCarloIntegral::new(f, &box_, count(samples, "samples")?, seed).map_err(py_error)?,
        ))
    }

    fn run_problem<'py>(
        &self,
        py: Python<'py>,
        problem: Problem,
        backend: &str,
        target: Option<f64>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let (engine, choice) = (self.shared.engine()?, choice(backend)?);
        match problem {
            Problem::Pi(k) => run_one(py, engine, k, choice, target, |e, k, t, c, control| {
                hetero::target::pi_to_error(e, k.seed(), t, c, control)
            }),
            Problem::Leibniz(k) => run_one(py, engine, k, choice, target, |e, _, t, c, control| {
                hetero::target::leibniz_to_error(e, t, c, control)
            }),
            Problem::Builtin(k) => run_one(py, engine, k, choice, target, |e, k, t, c, control| {
                let (a, b) = k.bounds();
                hetero::target::simpson_to_error(e, *k.integrand(), a, b, t, c, control)
            }),
            Problem::Expression(k) => run_one(py, engine, k, choice, target, |e, k, t, c, control| {
                let (a, b) = k.bounds();
                hetero::target::simpson_to_error(e, k.integrand().clone(), a, b, t, c, control)
            }),
            Problem::Integral(k) => run_one(py, engine, k, choice, target, |e, k, t, c, control| {
                hetero::target::integral_to_error(e, k.integrand(), k.bounds(), k.seed(), t, c, control)
            }),
        }
    }
}

#[pymethods]
impl PyEngine {
    /// An engine of `threads` workers (one per core when None).
    #[new]
    #[pyo3(signature = (threads=None))]
    fn new(threads: Option<usize>) -> PyResult<Self> {
        Ok(PyEngine {
            shared: Arc::new(Shared::new(threads)?),
        })
    }

    /// Worker threads of the CPU backends.
    #[getter]
    fn threads(&self) -> PyResult<usize> {
        Ok(self.shared.engine()?.threads())
    }

    /// Monte Carlo π from the stream of `seed`.
    #[pyo3(signature = (samples, seed=42, backend="auto", target_error=None))]
    fn pi<'py>(
        &self,
        py: Python<'py>,
        samples: &Bound<'py, PyAny>,
        seed: u64,
        backend: &str,
        target_error: Option<f64>,
    ) -> PyResult<Bound<'py, PyAny>> {
        self.run_problem(py, Self::problem_pi(samples, seed)?, backend, target_error)
    }

    /// Simpson's rule for `f` (a built-in's name or an expression of x) over [a, b].
    #[pyo3(signature = (f, a, b, intervals=None, backend="auto", target_error=None, x0=None, sigma=None, power=None))]
    #[allow(clippy::too_many_arguments)]
    fn simpson<'py>(
        &self,
        py: Python<'py>,
        f: &str,
        a: &Bound<'py, PyAny>,
        b: &Bound<'py, PyAny>,
        intervals: Option<&Bound<'py, PyAny>>,
        backend: &str,
        target_error: Option<f64>,
        x0: Option<f64>,
        sigma: Option<f64>,
        power: Option<u32>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let problem = Self::problem_simpson(f, a, b, intervals, x0, sigma, power)?;
        self.run_problem(py, problem, backend, target_error)
    }

    /// The Leibniz series for π.
    #[pyo3(signature = (terms, backend="auto", target_error=None))]
    fn leibniz<'py>(
        &self,
        py: Python<'py>,
        terms: &Bound<'py, PyAny>,
        backend: &str,
        target_error: Option<f64>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let problem = Problem::Leibniz(Leibniz::new(count(terms, "terms")?).map_err(py_error)?);
        self.run_problem(py, problem, backend, target_error)
    }

    /// `∫ expr` over a box by Monte Carlo, from the stream of `seed`.
    #[pyo3(signature = (expr, r#box, samples, seed=42, backend="auto", target_error=None))]
    #[allow(clippy::too_many_arguments)]
    fn montecarlo<'py>(
        &self,
        py: Python<'py>,
        expr: &str,
        r#box: &Bound<'py, PyAny>,
        samples: &Bound<'py, PyAny>,
        seed: u64,
        backend: &str,
        target_error: Option<f64>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let problem = Self::problem_montecarlo(expr, r#box, samples, seed)?;
        self.run_problem(py, problem, backend, target_error)
    }

    /// `∫ f` over `domain` by `method` (see `hetero.integrate`): the answer's fields.
    #[pyo3(signature = (f, domain, method=None, atol=None, rtol=None, max_evals=None, time_limit=None, backend="auto", options=None, params=None, layout="rows"))]
    #[allow(clippy::too_many_arguments)]
    fn integrate<'py>(
        &self,
        py: Python<'py>,
        f: &Bound<'py, PyAny>,
        domain: &Bound<'py, PyAny>,
        method: Option<&str>,
        atol: Option<f64>,
        rtol: Option<f64>,
        max_evals: Option<&Bound<'py, PyAny>>,
        time_limit: Option<f64>,
        backend: &str,
        options: Option<&Bound<'py, PyDict>>,
        params: Option<&Bound<'py, PyDict>>,
        layout: &str,
    ) -> PyResult<Bound<'py, PyAny>> {
        let domain = self::domain(domain)?;
        let mut choice = choice(backend)?;
        let callable = match f.is_callable() && !f.is_instance_of::<pyo3::types::PyString>() {
            true => Some(python_integrand(f, &domain, params, layout, &mut choice)?),
            false => None,
        };
        let problem = match &callable {
            Some(callable) => Integral::new(callable.function.clone().into(), &domain).map_err(py_error)?,
            None => {
                let sources = self::sources(f)?;
                let sources: Vec<&str> = sources.iter().map(String::as_str).collect();
                let params = self::params(params)?;
                let params: Vec<(&str, &[f64])> = params
                    .iter()
                    .map(|(name, values)| (name.as_str(), &values[..]))
                    .collect();
                Integral::exprs(&sources, &domain, &params).map_err(py_error)?
            }
        };
        let mut request = Request::new(problem).options(self::options(options)?).on(choice);
        if let Some(method) = method {
            request = request.method(method);
        }
        if let Some(atol) = atol {
            request = request.atol(atol);
        }
        if let Some(rtol) = rtol {
            request = request.rtol(rtol);
        }
        if let Some(evals) = max_evals {
            request = request.max_evals(count(evals, "max_evals")?);
        }
        if let Some(seconds) = time_limit {
            request = request.time_limit(seconds);
        }
        let engine = self.shared.engine()?;
        let stop = callable.as_ref().map_or_else(Default::default, |c| Arc::clone(&c.stop));
        let (done, pending) = interruptible_with(py, stop, move |control| {
            keeping_model(&engine, choice, || integrate_with(&engine, &request, control))
        })?;
        // The integrand's own exception outranks what the run made of its stop.
        if let Some(raised) = callable.as_ref().and_then(Callable::raised) {
            return Err(raised);
        }
        let (answer, pending) = settled(py, done, pending)?;
        let fields = to_python(py, &answer.to_json())?;
        if let Some(error) = pending {
            let message = "interrupted: the answer covers what was completed";
            return Err(stopped_by(py, error, message, fields));
        }
        Ok(fields)
    }

    /// One problem (`kernel` one of "pi", "simpson", "leibniz", "montecarlo", with its parameters) on
    /// several backends (every one this machine has when None), checked against each other.
    #[pyo3(signature = (kernel, backends=None, *, samples=None, seed=42, f=None, a=None, b=None, intervals=None, terms=None, expr=None, r#box=None, x0=None, sigma=None, power=None))]
    #[allow(clippy::too_many_arguments)]
    fn compare<'py>(
        &self,
        py: Python<'py>,
        kernel: &str,
        backends: Option<Vec<String>>,
        samples: Option<Bound<'py, PyAny>>,
        seed: u64,
        f: Option<&str>,
        a: Option<Bound<'py, PyAny>>,
        b: Option<Bound<'py, PyAny>>,
        intervals: Option<Bound<'py, PyAny>>,
        terms: Option<Bound<'py, PyAny>>,
        expr: Option<&str>,
        r#box: Option<Bound<'py, PyAny>>,
        x0: Option<f64>,
        sigma: Option<f64>,
        power: Option<u32>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let missing = |name: &str| PyTypeError::new_err(format!("compare('{kernel}') needs {name}="));
        let problem = match kernel {
            "pi" => Self::problem_pi(&samples.ok_or_else(|| missing("samples"))?, seed)?,
            "leibniz" => Problem::Leibniz(
                Leibniz::new(count(&terms.ok_or_else(|| missing("terms"))?, "terms")?).map_err(py_error)?,
            ),
            "simpson" => Self::problem_simpson(
                f.ok_or_else(|| missing("f"))?,
                &a.ok_or_else(|| missing("a"))?,
                &b.ok_or_else(|| missing("b"))?,
                intervals.as_ref(),
                x0,
                sigma,
                power,
            )?,
            "montecarlo" => Self::problem_montecarlo(
                expr.ok_or_else(|| missing("expr"))?,
                &r#box.ok_or_else(|| missing("box"))?,
                &samples.ok_or_else(|| missing("samples"))?,
                seed,
            )?,
            other => {
                return Err(PyValueError::new_err(format!(
                    "unknown kernel '{other}': expected pi, simpson, leibniz or montecarlo"
                )));
            }
        };
        let engine = self.shared.engine()?;
        let backends = match backends {
            Some(names) => names
                .iter()
                .map(|name| {
                    name.parse()
                        .map_err(|e: hetero::UnknownBackend| PyValueError::new_err(e.to_string()))
                })
                .collect::<PyResult<Vec<Backend>>>()?,
            None => {
                let gpu = py.detach(|| engine.has_gpu());
                Backend::ALL.into_iter().filter(|b| gpu || !b.uses_gpu()).collect()
            }
        };
        with_kernel!(problem, k => compare_one(py, engine, k, backends))
    }
}

/// The engine module-level functions use for `threads` (made on first use, kept).
#[pyfunction]
#[pyo3(signature = (threads=None))]
pub(crate) fn engine(threads: Option<usize>) -> PyResult<PyEngine> {
    static ENGINES: OnceLock<Mutex<HashMap<Option<usize>, Arc<Shared>>>> = OnceLock::new();
    let engines = ENGINES.get_or_init(|| Mutex::new(HashMap::new()));
    let mut engines = engines.lock().unwrap_or_else(PoisonError::into_inner);
    let shared = match engines.get(&threads) {
        Some(shared) => Arc::clone(shared),
        None => {
            let shared = Arc::new(Shared::new(threads)?);
            engines.insert(threads, Arc::clone(&shared));
            shared
        }
    };
    Ok(PyEngine { shared })
}
