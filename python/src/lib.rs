//! The extension module behind the `hetero` Python package (`hetero._hetero`): hetero's kernels on an
//! engine, comparisons and devices. A run answers with a dictionary of the fields `hetero … --json`
//! prints ([`hetero::report`]); the Python layer (`hetero/__init__.py`) makes result objects of them.
//!
//! Every run releases the GIL and goes on in a thread of its own while the calling thread waits, looking
//! at Python's signals every 20 ms: Ctrl-C stops the run between its chunks (about 50 ms) and raises
//! [`Interrupted`], a `KeyboardInterrupt` carrying the result of the blocks done.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex, OnceLock, PoisonError, mpsc};
use std::time::{Duration, Instant};

use pyo3::create_exception;
use pyo3::exceptions::{PyException, PyKeyboardInterrupt, PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyBool, PyDict, PyFloat, PyInt, PyList, PyString};
use serde_json::Value;

use hetero::expr::Expr;
use hetero::integrate::{OptionValue, Options, Problem as Integral, Request, integrate_with};
use hetero::kernels::{Function, Leibniz, MonteCarloIntegral, MonteCarloPi, Simpson};
use hetero::report::{Report, comparison_json, run_json};
use hetero::target::TargetRun;
use hetero::{Backend, Choice, Control, Engine, Error, Run};

create_exception!(
    _hetero,
    HeteroError,
    PyException,
    "A run that could not be done or whose result cannot be trusted (the input itself is a ValueError)."
);
create_exception!(
    _hetero,
    GpuError,
    HeteroError,
    "The GPU could not be used or failed during a run."
);
create_exception!(
    _hetero,
    Interrupted,
    PyKeyboardInterrupt,
    "Ctrl-C during a run: `result` holds the result of the blocks done (None when none were)."
);

/// The Python exception for `error`, with the command line's message: bad input is a `ValueError`, a
/// GPU failure a [`GpuError`], anything else a [`HeteroError`].
fn py_error(error: Error) -> PyErr {
    let message = error.to_string();
    match error {
        ref bad if bad.is_bad_input() => PyValueError::new_err(message),
        Error::NoGpu(_) | Error::Gpu(_) => GpuError::new_err(message),
        _ => HeteroError::new_err(message),
    }
}

/// A count (samples, terms, intervals) from a Python int, or a float with a whole value (`1e9`), from 0
/// to 2⁶⁴ − 1.
fn count(value: &Bound<'_, PyAny>, what: &str) -> PyResult<u64> {
    if value.is_instance_of::<PyBool>() {
        return Err(PyTypeError::new_err(format!(
            "{what} must be an int or a float, not bool"
        )));
    }
    if let Ok(int) = value.cast::<PyInt>() {
        return int
            .extract::<u64>()
            .map_err(|_| PyValueError::new_err(format!("invalid {what}: {int} is not between 0 and 2^64 - 1")));
    }
    if let Ok(float) = value.cast::<PyFloat>() {
        let x = float.value();
        return if x.is_finite() && x >= 0.0 && x.fract() == 0.0 && x < 18_446_744_073_709_551_616.0 {
            Ok(x as u64)
        } else {
            Err(PyValueError::new_err(format!(
                "invalid {what}: {x} is not a whole number between 0 and 2^64 - 1"
            )))
        };
    }
    Err(PyTypeError::new_err(format!(
        "{what} must be an int or a float, not {}",
        value.get_type().name()?
    )))
}

/// A real number from a Python int or float, or text the command line takes (`"pi"`, `"-pi/2"`).
fn real(value: &Bound<'_, PyAny>, what: &str) -> PyResult<f64> {
    if value.is_instance_of::<PyBool>() {
        return Err(PyTypeError::new_err(format!(
            "{what} must be a number or a string, not bool"
        )));
    }
    if let Ok(text) = value.cast::<PyString>() {
        let text: String = text.extract()?;
        return hetero::size::parse_real(&text).map_err(|why| PyValueError::new_err(format!("invalid {what}: {why}")));
    }
    value
        .extract::<f64>()
        .map_err(|_| PyTypeError::new_err(format!("{what} must be a number or a string")))
}

/// `"auto"` or a backend's name.
fn choice(backend: &str) -> PyResult<Choice> {
    backend
        .parse()
        .map_err(|e: hetero::UnknownBackend| PyValueError::new_err(e.to_string()))
}

/// How many times this process is a child of a `fork` (see [`after_fork`]).
static FORKS: AtomicU64 = AtomicU64::new(0);

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
    let engine = match threads {
        Some(threads) => Engine::with_threads(threads),
        None => Engine::new(),
    }
    .map_err(py_error)?;
    Ok(engine.with_cached_model())
}

/// A job for a worker thread: it does the work and returns how to hand the result over, which the worker
/// calls once it is listed idle again (so that the caller, once woken, never finds the list locked: a
/// `fork` then would leave it locked in the child).
type Job = Box<dyn FnOnce() -> Box<dyn FnOnce() + Send> + Send>;

/// The idle worker threads that runs go on, each waiting on its channel; made as needed (as many as
/// Python threads have run at once) and kept, so that a run does not pay for starting a thread.
/// After a fork the list is of the parent's threads, which the child does not have: dropped unused.
struct Workers {
    forks: u64,
    idle: Vec<mpsc::Sender<Job>>,
}

static WORKERS: Mutex<Workers> = Mutex::new(Workers {
    forks: 0,
    idle: Vec::new(),
});

/// Runs `job` on an idle worker, or on a new one.
fn submit(job: Job) -> PyResult<()> {
    let forks = FORKS.load(Ordering::SeqCst);
    let idle = {
        let mut workers = WORKERS.lock().unwrap_or_else(PoisonError::into_inner);
        if workers.forks != forks {
            std::mem::forget(std::mem::take(&mut workers.idle));
            workers.forks = forks;
        }
        workers.idle.pop()
    };
    let job = match idle {
        Some(worker) => match worker.send(job) {
            Ok(()) => return Ok(()),
            Err(mpsc::SendError(job)) => job,
        },
        None => job,
    };
    let (sender, jobs) = mpsc::channel::<Job>();
    std::thread::Builder::new()
        .name("hetero-python".to_owned())
        .spawn(move || {
            let mut job = job;
            loop {
                let hand_over = job();
                let listed = {
                    let mut workers = WORKERS.lock().unwrap_or_else(PoisonError::into_inner);
                    let listed = workers.forks == FORKS.load(Ordering::SeqCst);
                    if listed {
                        workers.idle.push(sender.clone());
                    }
                    listed
                };
                hand_over();
                if !listed {
                    return;
                }
                match next_job(&jobs) {
                    Some(next) => job = next,
                    None => return,
                }
            }
        })
        .map(drop)
        .map_err(|e| HeteroError::new_err(format!("could not start a thread for the run: {e}")))
}

/// How long a worker or a waiting caller spins before it sleeps: a sleeping thread takes tens of
/// microseconds to wake, more than a small run takes (see [`next_job`] and [`interruptible`]).
const SPIN: Duration = Duration::from_micros(200);

/// The worker's next job: looked for without sleeping for [`SPIN`] (a program calling hetero in a loop
/// sends the next within microseconds), then waited for. `None` when no job can come.
fn next_job(jobs: &mpsc::Receiver<Job>) -> Option<Job> {
    let start = Instant::now();
    while start.elapsed() < SPIN {
        match jobs.try_recv() {
            Ok(job) => return Some(job),
            Err(mpsc::TryRecvError::Empty) => std::hint::spin_loop(),
            Err(mpsc::TryRecvError::Disconnected) => return None,
        }
    }
    jobs.recv().ok()
}

/// One value handed from the worker to the waiting thread: the work's, or its panic's message.
struct Slot<T> {
    value: Mutex<Option<std::thread::Result<T>>>,
    ready: Condvar,
    /// Set once `value` is.
    done: AtomicBool,
}

/// Runs `work` on a worker thread with the GIL released, while this thread looks at Python's signals
/// every 20 ms; a signal handler's exception (`KeyboardInterrupt` for Ctrl-C) stops the run through its
/// [`Control`] and comes back beside the value, which is then that of the blocks done.
fn interruptible<T: Send + 'static>(
    py: Python<'_>,
    work: impl FnOnce(&Control) -> T + Send + 'static,
) -> PyResult<(T, Option<PyErr>)> {
    let stop = Arc::new(AtomicBool::new(false));
    let slot = Arc::new(Slot {
        value: Mutex::new(None),
        ready: Condvar::new(),
        done: AtomicBool::new(false),
    });
    let (job_slot, job_stop) = (Arc::clone(&slot), Arc::clone(&stop));
    submit(Box::new(move || {
        let control = Control::new().with_stop(job_stop);
        let value = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| work(&control)));
        Box::new(move || {
            *job_slot.value.lock().unwrap_or_else(PoisonError::into_inner) = Some(value);
            job_slot.done.store(true, Ordering::Release);
            job_slot.ready.notify_one();
        })
    }))?;
    let mut pending = None;
    loop {
        let value = py.detach(|| {
            // A small run is done within microseconds: looked for without sleeping first.
            let start = Instant::now();
            while !slot.done.load(Ordering::Acquire) && start.elapsed() < SPIN {
                std::hint::spin_loop();
            }
            let guard = slot.value.lock().unwrap_or_else(PoisonError::into_inner);
            let (mut guard, _) = slot
                .ready
                .wait_timeout_while(guard, Duration::from_millis(20), |value| value.is_none())
                .unwrap_or_else(PoisonError::into_inner);
            guard.take()
        });
        match value {
            Some(Ok(value)) => return Ok((value, pending)),
            Some(Err(_)) => return Err(HeteroError::new_err("internal error: the run panicked")),
            None => {}
        }
        if pending.is_none()
            && let Err(e) = py.check_signals()
        {
            stop.store(true, Ordering::SeqCst);
            pending = Some(e);
        }
    }
}

/// A JSON value as Python objects (objects as dicts, arrays as lists).
fn to_python<'py>(py: Python<'py>, value: &Value) -> PyResult<Bound<'py, PyAny>> {
    Ok(match value {
        Value::Null => py.None().into_bound(py),
        Value::Bool(b) => PyBool::new(py, *b).to_owned().into_any(),
        Value::Number(n) => match (n.as_u64(), n.as_i64()) {
            (Some(u), _) => u.into_pyobject(py)?.into_any(),
            (None, Some(i)) => i.into_pyobject(py)?.into_any(),
            _ => n.as_f64().unwrap_or(f64::NAN).into_pyobject(py)?.into_any(),
        },
        Value::String(s) => PyString::new(py, s).into_any(),
        Value::Array(items) => {
            let items = items.iter().map(|v| to_python(py, v)).collect::<PyResult<Vec<_>>>()?;
            PyList::new(py, items)?.into_any()
        }
        Value::Object(map) => {
            let dict = PyDict::new(py);
            for (key, v) in map {
                dict.set_item(key, to_python(py, v)?)?;
            }
            dict.into_any()
        }
    })
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
    let (run, reached): (Run<K::Output>, _) = match done {
        Ok(done) => done,
        Err(error @ Error::Interrupted { .. }) if pending.is_some() => {
            return Err(interrupted(py, &error.to_string(), None));
        }
        Err(error) => return Err(pending.unwrap_or_else(|| py_error(error))),
    };
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

/// The exception for a run that a signal handler's `error` stopped: Ctrl-C's `KeyboardInterrupt` as an
/// [`Interrupted`] carrying the fields of what was done, any other exception as it is.
fn stopped_by<'py>(py: Python<'py>, error: PyErr, message: &str, fields: Bound<'py, PyAny>) -> PyErr {
    if error.is_instance_of::<PyKeyboardInterrupt>(py) {
        interrupted(py, message, Some(fields))
    } else {
        error
    }
}

/// An [`Interrupted`] exception carrying `result`.
fn interrupted(py: Python<'_>, message: &str, result: Option<Bound<'_, PyAny>>) -> PyErr {
    let error = Interrupted::new_err(message.to_owned());
    let _ = error.value(py).setattr("result", result);
    error
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

/// The domain of an integral: `(a, b)` for an interval, or a sequence of `(low, high)` pairs for a box.
fn domain(value: &Bound<'_, PyAny>) -> PyResult<Vec<(f64, f64)>> {
    let shape = || PyTypeError::new_err("domain must be (a, b) or a sequence of (low, high) pairs");
    let items: Vec<Bound<'_, PyAny>> = value.try_iter().map_err(|_| shape())?.collect::<PyResult<_>>()?;
    let is_bound = |item: &Bound<'_, PyAny>| item.is_instance_of::<PyString>() || item.extract::<f64>().is_ok();
    if items.len() == 2 && items.iter().all(is_bound) {
        return Ok(vec![(real(&items[0], "domain")?, real(&items[1], "domain")?)]);
    }
    items
        .iter()
        .map(|range| {
            let (low, high): (Bound<'_, PyAny>, Bound<'_, PyAny>) = range.extract().map_err(|_| shape())?;
            Ok((real(&low, "domain")?, real(&high, "domain")?))
        })
        .collect()
}

/// A method's options from keywords: ints as counts, floats as reals, text as the command line's.
fn options(given: Option<&Bound<'_, PyDict>>) -> PyResult<Options> {
    let mut options = Options::new();
    for (name, value) in given.into_iter().flat_map(|d| d.iter()) {
        let name: String = name.extract()?;
        let value =
            if value.is_instance_of::<PyBool>() {
                return Err(PyTypeError::new_err(format!(
                    "{name} must be a number or a string, not bool"
                )));
            } else if let Ok(int) = value.cast::<PyInt>() {
                OptionValue::Count(int.extract::<u64>().map_err(|_| {
                    PyValueError::new_err(format!("invalid {name}: {int} is not between 0 and 2^64 - 1"))
                })?)
            } else if let Ok(text) = value.cast::<PyString>() {
                OptionValue::Text(text.extract()?)
            } else if let Ok(x) = value.extract::<f64>() {
                OptionValue::Real(x)
            } else {
                return Err(PyTypeError::new_err(format!(
                    "{name} must be a number or a string, not {}",
                    value.get_type().name()?
                )));
            };
        options.set(&name, value);
    }
    Ok(options)
}

/// A hetero engine: its worker threads and (on first GPU use) its device, made once and used by every
/// run; safe to share between Python threads, and rebuilt in the child after a `fork`.
#[pyclass(name = "Engine", module = "hetero._hetero", frozen)]
struct PyEngine {
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
                hetero::target::integral_to_error(e, k.expr(), k.bounds(), k.seed(), t, c, control)
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
    #[pyo3(signature = (f, domain, method=None, atol=None, rtol=None, max_evals=None, time_limit=None, backend="auto", options=None))]
    #[allow(clippy::too_many_arguments)]
    fn integrate<'py>(
        &self,
        py: Python<'py>,
        f: &str,
        domain: &Bound<'py, PyAny>,
        method: Option<&str>,
        atol: Option<f64>,
        rtol: Option<f64>,
        max_evals: Option<&Bound<'py, PyAny>>,
        time_limit: Option<f64>,
        backend: &str,
        options: Option<&Bound<'py, PyDict>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let problem = Integral::expr(f, &self::domain(domain)?).map_err(py_error)?;
        let mut request = Request::new(problem)
            .options(self::options(options)?)
            .on(choice(backend)?);
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
        let choice = choice(backend)?;
        let (done, pending) = interruptible(py, move |control| {
            keeping_model(&engine, choice, || integrate_with(&engine, &request, control))
        })?;
        let answer = match done {
            Ok(answer) => answer,
            Err(error @ Error::Interrupted { .. }) if pending.is_some() => {
                return Err(interrupted(py, &error.to_string(), None));
            }
            Err(error) => return Err(pending.unwrap_or_else(|| py_error(error))),
        };
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
fn engine(threads: Option<usize>) -> PyResult<PyEngine> {
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

/// The GPU adapters this machine has, as `hetero devices --json` lists them.
#[pyfunction]
fn devices(py: Python<'_>) -> PyResult<Bound<'_, PyAny>> {
    let adapters = py.detach(hetero::gpu::adapters);
    let value = serde_json::to_value(adapters).map_err(|e| HeteroError::new_err(e.to_string()))?;
    to_python(py, &value)
}

/// The instruction set the CPU loops run in: "avx512", "avx2" or "portable".
#[pyfunction]
fn simd_level() -> &'static str {
    hetero::simd_level().name()
}

/// Called in the child after a `fork` (the package registers it with `os.register_at_fork`): every
/// engine is rebuilt on its next use.
#[pyfunction]
fn after_fork() {
    FORKS.fetch_add(1, Ordering::SeqCst);
}

#[pymodule]
fn _hetero(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<PyEngine>()?;
    m.add_function(wrap_pyfunction!(engine, m)?)?;
    m.add_function(wrap_pyfunction!(devices, m)?)?;
    m.add_function(wrap_pyfunction!(simd_level, m)?)?;
    m.add_function(wrap_pyfunction!(after_fork, m)?)?;
    m.add("HeteroError", m.py().get_type::<HeteroError>())?;
    m.add("GpuError", m.py().get_type::<GpuError>())?;
    m.add("Interrupted", m.py().get_type::<Interrupted>())?;
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    Ok(())
}
