//! Errors as Python exceptions: bad input a `ValueError` (the library's own classification), a GPU failure
//! a [`GpuError`], anything else a [`HeteroError`]; Ctrl-C during a run an [`Interrupted`] carrying what
//! was done.

use pyo3::create_exception;
use pyo3::exceptions::{PyException, PyKeyboardInterrupt, PyValueError};
use pyo3::prelude::*;

use hetero::Error;

create_exception!(
    hetero,
    HeteroError,
    PyException,
    "A run that could not be done or whose result cannot be trusted (the input itself is a ValueError)."
);
create_exception!(
    hetero,
    GpuError,
    HeteroError,
    "The GPU could not be used or failed during a run."
);
create_exception!(
    hetero,
    Interrupted,
    PyKeyboardInterrupt,
    "Ctrl-C during a run: `result` holds the result of the blocks done (None when none were)."
);

/// The Python exception for `error`, with the command line's message: bad input is a `ValueError`, a
/// GPU failure a [`GpuError`], anything else a [`HeteroError`].
pub(crate) fn py_error(error: Error) -> PyErr {
    let message = error.to_string();
    match error {
        ref bad if bad.is_bad_input() => PyValueError::new_err(message),
        Error::NoGpu(_) | Error::Gpu(_) => GpuError::new_err(message),
        _ => HeteroError::new_err(message),
    }
}

/// The exception for a run that a signal handler's `error` stopped: Ctrl-C's `KeyboardInterrupt` as an
/// [`Interrupted`] carrying the fields of what was done, any other exception as it is.
pub(crate) fn stopped_by<'py>(py: Python<'py>, error: PyErr, message: &str, fields: Bound<'py, PyAny>) -> PyErr {
    if error.is_instance_of::<PyKeyboardInterrupt>(py) {
        interrupted(py, message, Some(fields))
    } else {
        error
    }
}

/// An [`Interrupted`] exception carrying `result`.
pub(crate) fn interrupted(py: Python<'_>, message: &str, result: Option<Bound<'_, PyAny>>) -> PyErr {
    let error = Interrupted::new_err(message.to_owned());
    let _ = error.value(py).setattr("result", result);
    error
}

/// The value of a run that a signal handler's exception (`pending`) may have stopped, with that exception
/// for the caller to raise once it has the result: a run stopped before anything was done is an
/// [`Interrupted`] without a result, any other error the signal's exception when there is one, else the
/// library's error as Python's.
pub(crate) fn settled<T>(
    py: Python<'_>,
    done: hetero::Result<T>,
    pending: Option<PyErr>,
) -> PyResult<(T, Option<PyErr>)> {
    match done {
        Ok(value) => Ok((value, pending)),
        Err(error @ Error::Interrupted { .. }) if pending.is_some() => Err(interrupted(py, &error.to_string(), None)),
        Err(error) => Err(pending.unwrap_or_else(|| py_error(error))),
    }
}
