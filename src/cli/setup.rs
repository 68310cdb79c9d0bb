//! The engine a command runs on, its cached cost model, and the stop flag and progress bar of a run.

use super::args::RunArgs;
use super::say;
use super::signals::Signals;
use hetero::dispatch::CostModel;
use hetero::gpu::AdapterChoice;
use hetero::integrate::Integrand;
use hetero::kernels::{Leibniz, MonteCarloIntegral, MonteCarloPi, Simpson, SimpsonIntegrand};
use hetero::{Choice, Control, Engine, Kernel};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::io::IsTerminal;
use std::time::Duration;

/// An engine with `threads` workers (default: one per core) that opens `adapter`.
pub(super) fn engine_on(threads: Option<usize>, adapter: &AdapterChoice) -> hetero::Result<Engine> {
    Engine::builder().threads(threads).adapter(adapter.clone()).build()
}

pub(super) fn engine(run: &RunArgs) -> hetero::Result<&'static Engine> {
    // Only auto and --explain read the cached model: a run on a named backend touches no file.
    let wants_model = run.backend == Choice::Auto || run.explain;
    engine_with_model(run.threads, &run.adapter, run.precision, wants_model)
}

/// An engine of `threads` workers on `adapter` in `precision`, with the cached cost model when
/// `wants_model`. It lives as long as the process and is never dropped: dropping a GPU device waits for
/// whatever it still runs, and a run stopped by a signal leaves its dispatch running (the first of a new
/// pipeline may compile for seconds), which the process's exit need not wait for.
pub(super) fn engine_with_model(
    threads: Option<usize>,
    adapter: &AdapterChoice,
    precision: Option<hetero::gpu::Precision>,
    wants_model: bool,
) -> hetero::Result<&'static Engine> {
    let builder = Engine::builder()
        .threads(threads)
        .adapter(adapter.clone())
        .precision(precision);
    let engine = match wants_model {
        true => builder.cached_model().build(),
        false => builder.build(),
    }?;
    Ok(Box::leak(Box::new(engine)))
}

/// Calibrates the engine's model on `probe` unless it can already predict its kernel, and saves it.
pub(super) fn ensure_calibrated<K: Kernel>(engine: &Engine, probe: &K, quiet: bool) -> hetero::Result<()> {
    if engine.is_calibrated(probe) {
        return Ok(());
    }
    if !quiet {
        let message = format!(
            "measuring each backend's cost for {} (once; 'hetero calibrate' measures them all)",
            probe.cost_key()
        );
        say("note", &message);
    }
    engine.ensure_calibrated(probe, &Control::new().with_stop(Signals::get().flag()))?;
    save_model(engine, quiet);
    Ok(())
}

pub(super) fn save_model(engine: &Engine, quiet: bool) -> Option<std::path::PathBuf> {
    match engine.save_model() {
        Ok(path) => path,
        Err(e) => {
            if !quiet {
                let path = CostModel::default_path().unwrap_or_default();
                say(
                    "note",
                    &format!("cannot save the cost model to {}: {e}", path.display()),
                );
            }
            None
        }
    }
}

/// The probes calibration runs: 1024 blocks of each kernel.
pub(super) fn probe_pi() -> hetero::Result<MonteCarloPi> {
    MonteCarloPi::new(1 << 26, 1)
}

pub(super) fn probe_leibniz() -> hetero::Result<Leibniz> {
    Leibniz::new(1 << 26)
}

pub(super) fn probe_simpson<F: SimpsonIntegrand>(function: F, a: f64, b: f64) -> hetero::Result<Simpson<F>> {
    Simpson::new(function, a, b, (1 << 26) - 4)
}

/// 2^22 points (256 blocks) of a Monte Carlo integral.
pub(super) fn probe_montecarlo(
    f: impl Into<Integrand>,
    bounds: &[(f64, f64)],
    seed: u64,
) -> hetero::Result<MonteCarloIntegral> {
    MonteCarloIntegral::new(f, bounds, 1 << 22, seed)
}

/// The stop flag raised by Ctrl-C or SIGTERM ([`Signals`]), and a progress bar on stderr that shows itself
/// after a second when stderr is a terminal.
pub(super) fn control(quiet: bool) -> (Control, ProgressBar) {
    let stop = Signals::get().flag();
    let bar = ProgressBar::hidden();
    if let Ok(style) = ProgressStyle::with_template("{bar:40} {percent:>3}%  {pos}/{len} blocks  {elapsed} (eta {eta})")
    {
        bar.set_style(style);
    }
    let control = Control::new().with_stop(stop);
    if quiet || !std::io::stderr().is_terminal() {
        return (control, bar);
    }
    let shown = bar.clone();
    let control = control.with_progress(move |p| {
        if p.elapsed < Duration::from_secs(1) {
            return;
        }
        if shown.is_hidden() {
            shown.set_draw_target(ProgressDrawTarget::stderr());
        }
        shown.set_length(p.blocks);
        shown.set_position(p.done);
    });
    (control, bar)
}
