//! The cost of one tiny run from Rust, as the Python package makes it: `Engine::run_with` of Leibniz with
//! 1,000 terms on the serial backend, with a stop flag, and its JSON fields (`hetero::report::run_json`).
//! Prints the median and minimum over 20,000 calls, in microseconds; `python/bench/against_numba.py`
//! times the same call from Python.

use std::sync::Arc;
use std::sync::atomic::AtomicBool;
use std::time::Instant;

use hetero::kernels::Leibniz;
use hetero::{Backend, Control, Engine};

fn main() -> hetero::Result<()> {
    let engine = Engine::with_threads(1)?;
    let mut times = Vec::with_capacity(20_000);
    for _ in 0..20_000 {
        let start = Instant::now();
        let kernel = Leibniz::new(1_000)?;
        let control = Control::new().with_stop(Arc::new(AtomicBool::new(false)));
        let run = engine.run_with(&kernel, Backend::Serial, &control)?;
        std::hint::black_box(hetero::report::run_json(&kernel, &run));
        times.push(start.elapsed().as_secs_f64() * 1e6);
    }
    times.sort_by(f64::total_cmp);
    println!(
        "{{\"call\": \"rust\", \"median_us\": {:.2}, \"min_us\": {:.2}}}",
        times[times.len() / 2],
        times[0]
    );
    Ok(())
}
