//! The extension module behind the `hetero` Python package (`hetero._hetero`): hetero's kernels on an
//! engine, comparisons and devices. A run answers with a dictionary of the fields `hetero … --json`
//! prints ([`hetero::report`]); the Python layer (`hetero/__init__.py`) makes result objects of them.
//!
//! Every run releases the GIL and goes on in a thread of its own while the calling thread waits, looking
//! at Python's signals every 20 ms: Ctrl-C stops the run between its chunks (about 50 ms) and raises
//! [`Interrupted`], a `KeyboardInterrupt` carrying the result of the blocks done.

mod callable;
mod convert;
mod engine;
mod errors;
mod worker;

use std::sync::atomic::{AtomicU64, Ordering};

use pyo3::prelude::*;

use convert::to_python;
use engine::PyEngine;
use errors::{GpuError, HeteroError, Interrupted};

/// How many times this process is a child of a `fork` (see [`after_fork`]).
static FORKS: AtomicU64 = AtomicU64::new(0);

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
    m.add_function(wrap_pyfunction!(engine::engine, m)?)?;
    m.add_function(wrap_pyfunction!(devices, m)?)?;
    m.add_function(wrap_pyfunction!(simd_level, m)?)?;
    m.add_function(wrap_pyfunction!(after_fork, m)?)?;
    m.add("HeteroError", m.py().get_type::<HeteroError>())?;
    m.add("GpuError", m.py().get_type::<GpuError>())?;
    m.add("Interrupted", m.py().get_type::<Interrupted>())?;
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    Ok(())
}
