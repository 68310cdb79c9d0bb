//! hetero's GPU backend on the computations of the GPU peers (gpu_peers.py), timed the same way: one
//! engine, the pipelines compiled by an untimed warm-up run, then the median wall time of RUNS whole
//! runs (upload, dispatches, readback and the host-side fold included). Prints one JSON line per
//! computation, like the peers, with the GPU's own kernel time where the adapter has timestamp queries.
//!
//! `cargo run --release -p hetero-bench --example hetero_gpu -- PI_N SIMPSON_N LEIBNIZ_N RUNS [ADAPTER]`
//! (benches/peers/gpu_run.sh does).

use std::process::ExitCode;

use hetero::gpu::{AdapterChoice, Precision};
use hetero::kernels::{Function, Leibniz, MonteCarloPi, Simpson};
use hetero::{Backend, Engine, Kernel};

#[path = "timing.rs"]
mod timing;

/// Times `kernel` on the GPU and prints its line; `value` reads the number out of the output.
fn timed<K: Kernel>(
    engine: &Engine,
    name: &str,
    kernel: &K,
    runs: usize,
    value: impl Fn(&K::Output) -> f64,
) -> hetero::Result<()> {
    let (wall, kernel_seconds, run) = timing::median_run(engine, kernel, Backend::Gpu, runs)?;
    let report = run.gpu.as_ref();
    let line = serde_json::json!({
        "peer": "hetero",
        "kernel": name,
        "n": kernel.elements(),
        "seconds": wall,
        "throughput": kernel.elements() as f64 / wall,
        "kernel_seconds": kernel_seconds,
        "value": value(&run.output),
        "adapter": report.map(|g| g.adapter.clone()),
        "precision": report.and_then(|g| g.precision).map(|p| p.to_string()),
    });
    println!("{line}");
    Ok(())
}

fn bench(args: &[String]) -> hetero::Result<()> {
    let (pi_n, simpson_n, leibniz_n, runs) = timing::sizes(args, 1, 1e10)?;
    let adapter = match args.get(5) {
        Some(text) => match text.parse::<AdapterChoice>() {
            Ok(choice) => choice,
            Err(never) => match never {},
        },
        None => AdapterChoice::Auto,
    };
    let engine = |precision: Option<Precision>| Engine::builder().adapter(adapter.clone()).precision(precision);
    let exact = engine(None).build()?;
    let gpu = exact.gpu()?;
    eprintln!("adapter: {}", gpu.name());
    timed(&exact, "pi", &MonteCarloPi::new(pi_n, 42)?, runs, |o| o.value)?;
    let mut precisions = vec![Precision::F32];
    if gpu.caps(None).shader_f64 {
        precisions.push(Precision::F64);
    }
    for precision in precisions {
        let engine = engine(Some(precision)).gpu(gpu.clone()).build()?;
        let simpson = Simpson::new(Function::Exp, 0.0, 1.0, simpson_n)?;
        timed(&engine, &format!("simpson_exp_{precision}"), &simpson, runs, |o| {
            o.value
        })?;
        timed(
            &engine,
            &format!("leibniz_{precision}"),
            &Leibniz::new(leibniz_n)?,
            runs,
            |o| o.value,
        )?;
    }
    Ok(())
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().collect();
    match bench(&args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("hetero_gpu: {e}");
            ExitCode::FAILURE
        }
    }
}
