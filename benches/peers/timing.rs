//! What the hetero peer programs share: the sizes on their command line, and timing a kernel the way the
//! Python peers time theirs (one untimed run, then the median wall time of `runs` whole runs).

use std::time::Instant;

use hetero::{Backend, Engine, Kernel, Run};

/// The median of `runs` whole runs of `kernel` on `backend` after an untimed one, with the last run and
/// the median GPU kernel time where the backend measured one.
pub fn median_run<K: Kernel>(
    engine: &Engine,
    kernel: &K,
    backend: Backend,
    runs: usize,
) -> hetero::Result<(f64, Option<f64>, Run<K::Output>)> {
    let mut last = engine.run(kernel, backend)?;
    let mut seconds = Vec::with_capacity(runs);
    let mut kernel_seconds = Vec::with_capacity(runs);
    for _ in 0..runs {
        let start = Instant::now();
        last = engine.run(kernel, backend)?;
        seconds.push(start.elapsed().as_secs_f64());
        if let Some(k) = last.gpu.as_ref().and_then(|g| g.kernel_seconds) {
            kernel_seconds.push(k);
        }
    }
    let median = |v: &mut Vec<f64>| {
        v.sort_by(f64::total_cmp);
        v.get(v.len() / 2).copied()
    };
    Ok((
        median(&mut seconds).unwrap_or(f64::NAN),
        median(&mut kernel_seconds),
        last,
    ))
}

/// `(PI_N, SIMPSON_N, LEIBNIZ_N, RUNS)` from `args[first..]`, each a positive number (`1e8` is fine),
/// the sizes defaulting to `default_size` and the runs to 5 where an argument is missing.
pub fn sizes(args: &[String], first: usize, default_size: f64) -> hetero::Result<(u64, u64, u64, usize)> {
    let count = |i: usize, default: f64| -> hetero::Result<u64> {
        let invalid = |why| hetero::Error::InvalidParameter { what: "size", why };
        let text = args.get(first + i).map_or("", String::as_str);
        let n = if text.is_empty() {
            default
        } else {
            text.parse::<f64>()
                .map_err(|_| invalid(format!("'{text}' is not a number (argument {})", first + i)))?
        };
        if n.is_finite() && n >= 1.0 {
            Ok(n as u64)
        } else {
            Err(invalid(format!(
                "'{text}' is not a positive size (argument {})",
                first + i
            )))
        }
    };
    Ok((
        count(0, default_size)?,
        count(1, default_size)?,
        count(2, default_size)?,
        count(3, 5.0)? as usize,
    ))
}
