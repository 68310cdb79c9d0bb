//! Python values to the library's and back: sizes, bounds, backends, domains, a method's options, and
//! JSON results as dicts.

use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyBool, PyDict, PyFloat, PyInt, PyList, PyString};
use serde_json::Value;

use hetero::Choice;
use hetero::integrate::{OptionValue, Options};

/// A count (samples, terms, intervals) from a Python int, or a float with a whole value (`1e9`), from 0
/// to 2⁶⁴ − 1.
pub(crate) fn count(value: &Bound<'_, PyAny>, what: &str) -> PyResult<u64> {
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
pub(crate) fn real(value: &Bound<'_, PyAny>, what: &str) -> PyResult<f64> {
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
pub(crate) fn choice(backend: &str) -> PyResult<Choice> {
    backend
        .parse()
        .map_err(|e: hetero::UnknownBackend| PyValueError::new_err(e.to_string()))
}

/// A JSON value as Python objects (objects as dicts, arrays as lists).
pub(crate) fn to_python<'py>(py: Python<'py>, value: &Value) -> PyResult<Bound<'py, PyAny>> {
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

/// The domain of an integral: `(a, b)` for an interval, or a sequence of `(low, high)` pairs for a box.
pub(crate) fn domain(value: &Bound<'_, PyAny>) -> PyResult<Vec<(f64, f64)>> {
    let shape = || PyTypeError::new_err("domain must be (a, b) or a sequence of (low, high) pairs");
    let items: Vec<Bound<'_, PyAny>> = value.try_iter().map_err(|_| shape())?.collect::<PyResult<_>>()?;
    let is_bound = |item: &Bound<'_, PyAny>| item.is_instance_of::<PyString>() || item.extract::<f64>().is_ok();
    if items.len() == 2 && items.iter().all(is_bound) {
        return Ok(vec![(bound(&items[0])?, bound(&items[1])?)]);
    }
    items
        .iter()
        .map(|range| {
            let (low, high): (Bound<'_, PyAny>, Bound<'_, PyAny>) = range.extract().map_err(|_| shape())?;
            Ok((bound(&low)?, bound(&high)?))
        })
        .collect()
}

/// A bound of a domain: a number (`math.inf` included) or text (`"pi/2"`, `"-inf"`).
fn bound(value: &Bound<'_, PyAny>) -> PyResult<f64> {
    if let Ok(text) = value.cast::<PyString>() {
        let text: String = text.extract()?;
        return hetero::size::parse_bound(&text).map_err(|why| PyValueError::new_err(format!("invalid domain: {why}")));
    }
    real(value, "domain")
}

/// An expression's parameters from a dict of names to a number or a sequence of numbers (a batch of
/// integrals, one per combination of values), in the dict's order.
pub(crate) fn params(given: Option<&Bound<'_, PyDict>>) -> PyResult<Vec<(String, Vec<f64>)>> {
    given
        .into_iter()
        .flat_map(|d| d.iter())
        .map(|(name, value)| {
            let name: String = name
                .extract()
                .map_err(|_| PyTypeError::new_err("params must map names (str) to numbers"))?;
            let what = format!("parameter {name}");
            let values = match value.is_instance_of::<PyString>() {
                false if value.try_iter().is_ok() => value
                    .try_iter()?
                    .map(|item| real(&item?, &what))
                    .collect::<PyResult<Vec<f64>>>()?,
                _ => vec![real(&value, &what)?],
            };
            Ok((name, values))
        })
        .collect()
}

/// The integrand's sources: one expression, or a sequence of them (a vector-valued integrand).
pub(crate) fn sources(f: &Bound<'_, PyAny>) -> PyResult<Vec<String>> {
    let shape = || PyTypeError::new_err("f must be an expression (str) or a sequence of expressions");
    if let Ok(text) = f.cast::<PyString>() {
        return Ok(vec![text.extract()?]);
    }
    f.try_iter()
        .map_err(|_| shape())?
        .map(|item| item?.extract::<String>().map_err(|_| shape()))
        .collect()
}

/// A method's options from keywords: ints as counts, floats as reals, text as the command line's.
pub(crate) fn options(given: Option<&Bound<'_, PyDict>>) -> PyResult<Options> {
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
