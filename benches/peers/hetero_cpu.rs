//! hetero's serial and rayon backends on the computations of the CPU peers (peers.py), timed the way
//! the peers time theirs: in one process, one untimed run, then the median wall time of RUNS whole runs.
//! Prints one JSON line per backend and computation, like the peers.
//!
//! `cargo run --release -p hetero-bench --example hetero_cpu -- PI_N SIMPSON_N LEIBNIZ_N RUNS` (benches/peers/run.sh
//! does, beside fresh `hetero` processes timed one run each).

use std::process::ExitCode;

use hetero::kernels::{Function, Leibniz, MonteCarloPi, Simpson};
use hetero::{Backend, Engine, Kernel};

#[path = "timing.rs"]
mod timing;

/// Times `kernel` on `backend` and prints its line; `value` reads the number out of the output.
fn timed<K: Kernel>(
    engine: &Engine,
    backend: Backend,
    name: &str,
    kernel: &K,
    runs: usize,
    value: impl Fn(&K::Output) -> f64,
) -> hetero::Result<()> {
    let (wall, _, run) = timing::median_run(engine, kernel, backend, runs)?;
    let line = serde_json::json!({
        "peer": format!("hetero-{backend}"),
        "kernel": name,
        "n": kernel.elements(),
        "seconds": wall,
        "throughput": kernel.elements() as f64 / wall,
        "value": value(&run.output),
    });
    println!("{line}");
    Ok(())
}

fn bench(args: &[String]) -> hetero::Result<()> {
    let (pi_n, simpson_n, leibniz_n, runs) = timing::sizes(args, 1, 1e8)?;
    let engine = Engine::new()?;
    for backend in [Backend::Serial, Backend::Rayon] {
        timed(&engine, backend, "pi", &MonteCarloPi::new(pi_n, 42)?, runs, |o| o.value)?;
        let simpson = Simpson::new(Function::Exp, 0.0, 1.0, simpson_n)?;
        timed(&engine, backend, "simpson_exp", &simpson, runs, |o| o.value)?;
        timed(&engine, backend, "leibniz", &Leibniz::new(leibniz_n)?, runs, |o| {
            o.value
        })?;
    }
    Ok(())
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().collect();
    match bench(&args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("hetero_cpu: {e}");
            ExitCode::FAILURE
        }
    }
}
