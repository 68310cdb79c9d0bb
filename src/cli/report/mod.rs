//! Results as text for people or as one JSON object for programs (the library's [`hetero::report`]).
//! Here: what a report adds to a run ([`Context`]) and how each kernel's results read as text ([`Text`]);
//! one run in `run.rs`, several backends' runs in `compare.rs`, the adapter and cost-model tables in
//! `tables.rs`.

mod answer;
mod compare;
mod run;
mod tables;

pub use answer::answer;
pub use compare::comparison;
pub use run::single;
pub use tables::{calibration, devices};

use std::f64::consts::PI;
use std::fmt::Write;

use serde_json::{Value, json};

use hetero::dispatch::{CostModel, Explanation};
use hetero::distributed::RankReport;
use hetero::gpu::AdapterSummary;
use hetero::kernels::{IntegralEstimate, MonteCarloIntegral};
use hetero::kernels::{Leibniz, LeibnizEstimate, MonteCarloPi, PiEstimate, Simpson, SimpsonEstimate, SimpsonIntegrand};
pub use hetero::report::Report;
use hetero::size::{real_text, real_text_17};
use hetero::validate::{Comparison, Validation, stamp};
use hetero::{Backend, Choice, Control, Engine, Result, Run};

/// What a report adds to the kernel's own output.
#[derive(Default)]
pub struct Context {
    /// Each rank's share, for distributed runs.
    pub ranks: Option<Vec<RankReport>>,
    /// Auto's reasoning, with --explain.
    pub explanation: Option<Explanation>,
    /// The sampled blocks' check, with --validate.
    pub validation: Option<Validation>,
    /// The error asked for, with --target-error.
    pub target_error: Option<f64>,
    /// Whether a run to a target error reached it (false, with why, when it did not).
    pub target_reached: Option<(bool, Option<String>)>,
    /// Whether auto chose the backend.
    pub auto: bool,
    /// What a saved, resumed or merged result adds.
    pub saved: Option<Saved>,
    /// Why the error estimate of a fixed-size run is not trusted ([`Text::doubt`]).
    pub doubt: Option<String>,
}

/// What a result saved in parts adds to its report.
#[derive(Default)]
pub struct Saved {
    /// What computed its blocks.
    pub parts: Vec<hetero::checkpoint::Part>,
    /// Blocks done before this run, read from the checkpoint.
    pub resumed: u64,
    /// The checkpoint file.
    pub checkpoint: Option<String>,
    /// How many files were merged, for `hetero merge`.
    pub merged: Option<usize>,
}

/// How a kernel's results are shown as text (its JSON: [`Report`]).
pub trait Text: Report {
    /// The kernel's own lines of text.
    fn text(output: &Self::Output, out: &mut String);

    /// Why the error estimate of `run`, a fixed-size run of this kernel, cannot be trusted, if it cannot
    /// (a check may run the kernel again, coarser).
    fn doubt(
        &self,
        engine: &Engine,
        run: &Run<Self::Output>,
        choice: Choice,
        control: &Control,
    ) -> Result<Option<String>> {
        let _ = (engine, run, choice, control);
        Ok(None)
    }
}

impl Text for MonteCarloPi {
    fn text(e: &PiEstimate, out: &mut String) {
        let abs_error = (e.value - PI).abs();
        let _ = writeln!(
            out,
            "pi ≈ {:.10}  (Monte Carlo, {} samples, seed {})",
            e.value, e.samples, e.seed
        );
        line(out, "value", format!("{:.15}", e.value));
        line(
            out,
            "error estimate",
            format!(
                "{:.3e} (standard error; 95% interval {:.8} .. {:.8})",
                e.std_error, e.ci95.0, e.ci95.1
            ),
        );
        let sigmas = if e.std_error > 0.0 {
            abs_error / e.std_error
        } else {
            f64::INFINITY
        };
        line(
            out,
            "|value − π|",
            format!("{abs_error:.3e} ({sigmas:.2} standard errors)"),
        );
        line(out, "hits", format!("{} of {}", e.hits, e.samples));
    }
}

impl<F: SimpsonIntegrand + Clone> Text for Simpson<F> {
    fn text(e: &SimpsonEstimate, out: &mut String) {
        let _ = writeln!(
            out,
            "simpson: ∫ {} over [{}, {}] with {} intervals",
            e.function,
            real_text(e.from),
            real_text(e.to),
            e.intervals
        );
        line(out, "value", real_text_17(e.value));
        line(
            out,
            "error estimate",
            format!("{:.3e} (Richardson, |S_n − S_n/2| / 15)", e.error_estimate),
        );
        match e.exact {
            Some(exact) => {
                line(out, "exact", real_text_17(exact));
                line(out, "|value − exact|", format!("{:.3e}", (e.value - exact).abs()));
            }
            None => line(out, "exact", "not known in closed form".to_owned()),
        }
    }

    fn doubt(
        &self,
        engine: &Engine,
        run: &Run<SimpsonEstimate>,
        choice: Choice,
        control: &Control,
    ) -> Result<Option<String>> {
        hetero::target::simpson_doubt(engine, self, run, choice, control)
    }
}

impl Text for MonteCarloIntegral {
    fn text(e: &IntegralEstimate, out: &mut String) {
        let ranges: Vec<String> = e
            .bounds
            .iter()
            .map(|(a, b)| format!("[{}, {}]", real_text(*a), real_text(*b)))
            .collect();
        let _ = writeln!(
            out,
            "montecarlo: ∫ {} over {} ({} samples, seed {})",
            e.expr,
            ranges.join(" × "),
            e.samples,
            e.seed
        );
        line(out, "value", real_text_17(e.value));
        line(
            out,
            "error estimate",
            format!(
                "{:.3e} (standard error; 95% interval {} .. {})",
                e.std_error,
                real_text_17(e.ci95.0),
                real_text_17(e.ci95.1)
            ),
        );
    }

    fn doubt(
        &self,
        engine: &Engine,
        run: &Run<IntegralEstimate>,
        choice: Choice,
        control: &Control,
    ) -> Result<Option<String>> {
        hetero::target::integral_doubt(engine, self, run, choice, control)
    }
}

impl Text for Leibniz {
    fn text(e: &LeibnizEstimate, out: &mut String) {
        let _ = writeln!(out, "pi ≈ {:.10}  (Leibniz series, {} terms)", e.value, e.terms);
        line(out, "value", real_text_17(e.value));
        line(
            out,
            "error estimate",
            format!("{:.3e} (truncation bound 4/(2N+1))", e.bound),
        );
        line(out, "|value − π|", format!("{:.3e}", (e.value - PI).abs()));
    }
}

fn bound_line(out: &mut String, gpu_bound: Option<f64>) {
    if let Some(bound) = gpu_bound {
        line(
            out,
            "gpu agreement",
            format!("within {bound:.3e} of the exact sum (derived bound of this precision)"),
        );
    }
}

fn line(out: &mut String, label: &str, value: String) {
    let _ = writeln!(out, "  {label:<16} {value}");
}

/// `1234567.0` → `"1.235 M"`.
fn si(x: f64) -> String {
    let prefixes = [(1e12, "T"), (1e9, "G"), (1e6, "M"), (1e3, "k")];
    for (scale, prefix) in prefixes {
        if x >= scale {
            return format!("{:.3} {prefix}", x / scale);
        }
    }
    format!("{x:.3}")
}
