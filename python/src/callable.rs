//! A Python function as an integrand: called with the GIL, once per block of the problem, with a numpy
//! array of the block's points, and answering with a value per point. The method adds the values exactly
//! as it adds an expression's, so the same function gives the same bits on every CPU backend and thread
//! count. The first exception the function raises stops the run and is raised in its caller's place.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyByteArray, PyBytes};

use hetero::integrate::RustFunction;

/// How a function takes a block of `n` points in `d` dimensions.
#[derive(Clone, Copy)]
pub(crate) enum Layout {
    /// `(n, d)`: one row per point (vegas and scipy's `cubature`); `(n,)` in one dimension.
    Rows,
    /// `(d, n)`: one column per point (scipy's `qmc_quad`); `(n,)` in one dimension.
    Columns,
}

impl Layout {
    /// The layout a `layout=` keyword names.
    pub(crate) fn parse(name: &str) -> PyResult<Layout> {
        match name {
            "rows" => Ok(Layout::Rows),
            "columns" => Ok(Layout::Columns),
            other => Err(PyValueError::new_err(format!(
                "invalid layout: '{other}' (expected 'rows', points as an (n, d) array, or 'columns', (d, n))"
            ))),
        }
    }
}

/// A Python function made an integrand, with what its calls leave behind.
pub(crate) struct Callable {
    /// The integrand the library runs.
    pub function: RustFunction,
    /// The first exception the function raised.
    raised: Arc<Mutex<Option<PyErr>>>,
    /// Raised with the first exception, to stop the run.
    pub stop: Arc<AtomicBool>,
}

impl Callable {
    /// `f` of `dims` variables, taking its points in `layout`.
    pub(crate) fn new(f: &Bound<'_, PyAny>, dims: usize, layout: Layout) -> PyResult<Callable> {
        let py = f.py();
        let numpy = py.import("numpy").map_err(|e| {
            PyTypeError::new_err(format!(
                "a Python function as integrand is called with numpy arrays, and numpy cannot be imported: {e}"
            ))
        })?;
        let numpy: Py<PyModule> = numpy.unbind();
        let name = match f.getattr("__name__") {
            Ok(name) => name.extract::<String>().unwrap_or_else(|_| "f".to_owned()),
            Err(_) => f
                .get_type()
                .name()
                .map(|n| n.to_string())
                .unwrap_or_else(|_| "f".to_owned()),
        };
        let function: Py<PyAny> = f.clone().unbind();
        let raised: Arc<Mutex<Option<PyErr>>> = Arc::new(Mutex::new(None));
        let stop = Arc::new(AtomicBool::new(false));
        let (slot, flag) = (Arc::clone(&raised), Arc::clone(&stop));
        let call = move |points: &[f64], values: &mut [f64]| {
            let failed = || slot.lock().unwrap_or_else(PoisonError::into_inner).is_some();
            if failed() {
                values.fill(f64::NAN);
                return;
            }
            let done = Python::attach(|py| block(py, function.bind(py), numpy.bind(py), points, values, dims, layout));
            if let Err(error) = done {
                slot.lock().unwrap_or_else(PoisonError::into_inner).get_or_insert(error);
                flag.store(true, Ordering::SeqCst);
                values.fill(f64::NAN);
            }
        };
        let function = RustFunction::batch(dims, call)
            .map_err(|e| PyValueError::new_err(e.to_string()))?
            .named(&name);
        Ok(Callable { function, raised, stop })
    }

    /// The exception the function raised, if it raised one.
    pub(crate) fn raised(&self) -> Option<PyErr> {
        self.raised.lock().unwrap_or_else(PoisonError::into_inner).take()
    }
}

/// Calls `f` on one block: `points` (`dims` coordinates each) as a float64 array in `layout`, its
/// answer (one value per point, any shape holding `n` of them) into `values`.
fn block(
    py: Python<'_>,
    f: &Bound<'_, PyAny>,
    numpy: &Bound<'_, PyModule>,
    points: &[f64],
    values: &mut [f64],
    dims: usize,
    layout: Layout,
) -> PyResult<()> {
    let n = values.len();
    let bytes = PyByteArray::new_with(py, std::mem::size_of_val(points), |buffer| {
        for (chunk, x) in buffer.chunks_exact_mut(8).zip(points) {
            chunk.copy_from_slice(&x.to_ne_bytes());
        }
        Ok(())
    })?;
    let array = numpy.call_method1("frombuffer", (bytes, "float64"))?;
    let array = match (dims, layout) {
        (1, _) => array,
        (_, Layout::Rows) => array.call_method1("reshape", (n, dims))?,
        (_, Layout::Columns) => array.call_method1("reshape", (n, dims))?.getattr("T")?,
    };
    let answer = f.call1((array,))?;
    let answer = numpy.call_method1("ascontiguousarray", (answer, "float64"))?;
    let size: usize = answer.getattr("size")?.extract()?;
    if size != n {
        let shape = answer.getattr("shape")?.str()?.to_string();
        return Err(PyValueError::new_err(format!(
            "the integrand returned an array of shape {shape} for {n} points: it must return one value per point, \
             shape ({n},)"
        )));
    }
    let answer = answer.call_method0("tobytes")?;
    let bytes = answer.cast::<PyBytes>()?.as_bytes();
    for (y, chunk) in values.iter_mut().zip(bytes.chunks_exact(8)) {
        let mut word = [0u8; 8];
        word.copy_from_slice(chunk);
        *y = f64::from_ne_bytes(word);
    }
    Ok(())
}
