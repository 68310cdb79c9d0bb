//! The threads runs go on: kept between runs (a run does not pay for starting one), dropped after a
//! `fork`, and the wait that looks at Python's signals while a run holds no GIL.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex, PoisonError, mpsc};
use std::time::{Duration, Instant};

use pyo3::prelude::*;

use hetero::Control;

use crate::FORKS;
use crate::errors::HeteroError;

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
pub(crate) fn interruptible<T: Send + 'static>(
    py: Python<'_>,
    work: impl FnOnce(&Control) -> T + Send + 'static,
) -> PyResult<(T, Option<PyErr>)> {
    interruptible_with(py, Arc::new(AtomicBool::new(false)), work)
}

/// [`interruptible`] with the run's stop flag given: raising it (as an integrand's exception does) stops
/// the run as a signal would.
pub(crate) fn interruptible_with<T: Send + 'static>(
    py: Python<'_>,
    stop: Arc<AtomicBool>,
    work: impl FnOnce(&Control) -> T + Send + 'static,
) -> PyResult<(T, Option<PyErr>)> {
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
