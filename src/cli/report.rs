//! Results as text for people or as one JSON object for programs.

use std::f64::consts::PI;
use std::fmt::Write;

use serde_json::{Value, json};

use hetero::dispatch::{CostModel, Explanation};
use hetero::distributed::RankReport;
use hetero::gpu::{AdapterSummary, Precision};
use hetero::kernels::{Leibniz, LeibnizEstimate, MonteCarloPi, PiEstimate, Simpson, SimpsonEstimate};
use hetero::validate::{Comparison, Validation, Verify, stamp};
use hetero::{Backend, Run};

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
    /// Whether auto chose the backend.
    pub auto: bool,
}

pub fn devices(adapters: &[AdapterSummary], as_json: bool) -> String {
    if as_json {
        return format!("{}\n", json!({ "adapters": adapters }));
    }
    if adapters.is_empty() {
        return format!("{}\n", hetero::gpu::NO_ADAPTER_HELP);
    }
    let mut out = String::new();
    for a in adapters {
        let _ = writeln!(out, "[{}] {} ({}, {})", a.index, a.name, a.backend, a.device_type);
        line(&mut out, "driver", a.driver.clone());
        let yes = |b: bool| if b { "yes" } else { "no" };
        line(
            &mut out,
            "features",
            format!(
                "f64 {}, int64 {}, timestamps {}",
                yes(a.shader_f64),
                yes(a.shader_int64),
                yes(a.timestamp_query)
            ),
        );
        line(
            &mut out,
            "limits",
            format!(
                "{} workgroups per dimension, {} invocations per workgroup, {} MiB per storage binding, {} MiB per buffer",
                a.max_workgroups_per_dimension,
                a.max_invocations_per_workgroup,
                a.max_storage_buffer_binding_size >> 20,
                a.max_buffer_size >> 20
            ),
        );
    }
    out
}

/// How a kernel's results are shown.
pub trait Report: Verify {
    /// What its elements are called.
    const UNIT: &'static str;
    fn value(output: &Self::Output) -> f64;
    fn error_estimate(output: &Self::Output) -> f64;
    /// The GPU agreement bound of a floating run in `precision`.
    fn bound(&self, precision: Precision) -> Option<f64>;
    /// The kernel's own JSON fields.
    fn fields(output: &Self::Output) -> Value;
    /// The kernel's own lines of text.
    fn text(output: &Self::Output, out: &mut String);
    /// A warning when `precision` cannot resolve the problem.
    fn resolution_warning(&self, precision: Precision) -> Option<String> {
        let _ = precision;
        None
    }
}

impl Report for MonteCarloPi {
    const UNIT: &'static str = "samples";

    fn value(output: &PiEstimate) -> f64 {
        output.value
    }

    fn error_estimate(output: &PiEstimate) -> f64 {
        output.std_error
    }

    fn bound(&self, _: Precision) -> Option<f64> {
        None
    }

    fn fields(e: &PiEstimate) -> Value {
        json!({
            "samples": e.samples,
            "hits": e.hits,
            "seed": e.seed,
            "std_error": e.std_error,
            "ci95": [e.ci95.0, e.ci95.1],
            "abs_error": (e.value - PI).abs(),
        })
    }

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

impl Report for Simpson {
    const UNIT: &'static str = "points";

    fn value(output: &SimpsonEstimate) -> f64 {
        output.value
    }

    fn error_estimate(output: &SimpsonEstimate) -> f64 {
        output.error_estimate
    }

    fn bound(&self, precision: Precision) -> Option<f64> {
        self.gpu_bound(precision)
    }

    fn resolution_warning(&self, precision: Precision) -> Option<String> {
        Simpson::resolution_warning(self, precision)
    }

    fn fields(e: &SimpsonEstimate) -> Value {
        json!({
            "function": e.function,
            "from": e.from,
            "to": e.to,
            "intervals": e.intervals,
            "requested_intervals": e.requested_intervals,
            "exact": e.exact,
            "abs_error": e.exact.map(|x| (e.value - x).abs()),
        })
    }

    fn text(e: &SimpsonEstimate, out: &mut String) {
        let _ = writeln!(
            out,
            "simpson: ∫ {} over [{}, {}] with {} intervals",
            e.function, e.from, e.to, e.intervals
        );
        line(out, "value", format!("{:.17}", e.value));
        line(
            out,
            "error estimate",
            format!("{:.3e} (Richardson, |S_n − S_n/2| / 15)", e.error_estimate),
        );
        match e.exact {
            Some(exact) => {
                line(out, "exact", format!("{exact:.17}"));
                line(out, "|value − exact|", format!("{:.3e}", (e.value - exact).abs()));
            }
            None => line(out, "exact", "not known in closed form".to_owned()),
        }
    }
}

impl Report for Leibniz {
    const UNIT: &'static str = "terms";

    fn value(output: &LeibnizEstimate) -> f64 {
        output.value
    }

    fn error_estimate(output: &LeibnizEstimate) -> f64 {
        output.bound
    }

    fn bound(&self, precision: Precision) -> Option<f64> {
        Some(self.gpu_bound(precision))
    }

    fn fields(e: &LeibnizEstimate) -> Value {
        json!({ "terms": e.terms, "bound": e.bound, "abs_error": (e.value - PI).abs() })
    }

    fn text(e: &LeibnizEstimate, out: &mut String) {
        let _ = writeln!(out, "pi ≈ {:.10}  (Leibniz series, {} terms)", e.value, e.terms);
        line(out, "value", format!("{:.17}", e.value));
        line(
            out,
            "error estimate",
            format!("{:.3e} (truncation bound 4/(2N+1))", e.bound),
        );
        line(out, "|value − π|", format!("{:.3e}", (e.value - PI).abs()));
    }
}

/// One run as JSON: the common fields, the kernel's own, and what the context adds.
pub fn run_json<K: Report>(kernel: &K, run: &Run<K::Output>, context: &Context) -> Value {
    let gpu_bound = run.float_precision().and_then(|p| kernel.bound(p));
    let mut object = json!({
        "kernel": kernel.name(),
        "backend": run.backend,
        "threads": run.threads,
        "value": K::value(&run.output),
        "error_estimate": K::error_estimate(&run.output),
        "seconds": run.elapsed.as_secs_f64(),
        "throughput": run.throughput(),
        "blocks": run.blocks,
        "elements": run.elements,
        "gpu_bound": gpu_bound,
        "stamp": stamp(kernel, &run.output),
        "interrupted": run.interrupted,
        "completed_blocks": run.completed,
    });
    let Some(map) = object.as_object_mut() else {
        return object;
    };
    if let Some(ranks) = &context.ranks {
        map.insert("ranks".to_owned(), json!(ranks.len()));
        map.insert("per_rank".to_owned(), json!(ranks));
    }
    if let Some(gpu) = &run.gpu {
        map.insert("gpu".to_owned(), json!(gpu));
        map.insert("precision".to_owned(), json!(gpu.precision));
    }
    if let Some(split) = &run.split {
        map.insert("split".to_owned(), json!(split));
    }
    if let Some(explanation) = &context.explanation {
        map.insert("explain".to_owned(), json!(explanation));
    }
    if let Some(validation) = &context.validation {
        map.insert(
            "validation".to_owned(),
            json!({
                "agree": validation.agree(),
                "backend": validation.backend,
                "against": validation.against,
                "blocks": validation.blocks.len(),
                "largest_difference": validation.largest_difference,
                "failures": validation.failures.iter().map(|(b, v)| json!({"block": b, "verdict": v, "why": v.to_string()})).collect::<Vec<_>>(),
            }),
        );
    }
    if let Some(target) = context.target_error {
        map.insert("target_error".to_owned(), json!(target));
    }
    if let Value::Object(fields) = K::fields(&run.output) {
        map.extend(fields);
    }
    object
}

/// One run, as JSON or text.
pub fn single<K: Report>(kernel: &K, run: &Run<K::Output>, context: &Context, as_json: bool) -> String {
    if as_json {
        return format!("{}\n", run_json(kernel, run, context));
    }
    let mut out = String::new();
    if let Some(explanation) = &context.explanation {
        let _ = writeln!(out, "{explanation}");
    }
    K::text(&run.output, &mut out);
    if let Some(target) = context.target_error {
        line(
            &mut out,
            "target error",
            format!("{target:.3e}, reached with {} {}", run.elements, K::UNIT),
        );
    }
    bound_line(&mut out, run.float_precision().and_then(|p| kernel.bound(p)));
    if let Some(v) = &context.validation {
        let verdict = if v.agree() {
            format!(
                "{} sampled blocks agree with {} (largest difference {:.3e})",
                v.blocks.len(),
                v.against,
                v.largest_difference
            )
        } else {
            let (block, first) = &v.failures[0];
            format!(
                "FAILED: {} of {} sampled blocks differ from {}; block {block}: {first}",
                v.failures.len(),
                v.blocks.len(),
                v.against
            )
        };
        line(&mut out, "validation", verdict);
    }
    if run.interrupted {
        line(
            &mut out,
            "interrupted",
            format!(
                "blocks 0..{} of {} completed; the result covers them",
                run.completed, run.blocks
            ),
        );
    }
    footer(&mut out, run, context, K::UNIT);
    line(&mut out, "stamp", stamp(kernel, &run.output));
    out
}

/// Several backends' runs of one problem: a table, or `{"runs": [...], "agree": ...}`.
pub fn comparison<K: Report>(kernel: &K, comparison: &Comparison<K::Output>, as_json: bool) -> String {
    let serial_seconds = comparison
        .runs
        .iter()
        .find(|r| r.backend == Backend::Serial)
        .map(|r| r.elapsed.as_secs_f64());
    let speedup = |run: &Run<K::Output>| serial_seconds.map(|s| s / run.elapsed.as_secs_f64().max(1e-9));
    let reference = comparison.runs[comparison.reference].backend;
    if as_json {
        let runs: Vec<Value> = comparison
            .runs
            .iter()
            .zip(&comparison.verdicts)
            .map(|(run, verdict)| {
                let mut object = run_json(kernel, run, &Context::default());
                if let Some(map) = object.as_object_mut() {
                    map.insert("speedup".to_owned(), json!(speedup(run)));
                    map.insert("verdict".to_owned(), json!(verdict.to_string()));
                    map.insert("agree".to_owned(), json!(verdict.agree));
                }
                object
            })
            .collect();
        return format!(
            "{}\n",
            json!({
                "kernel": kernel.name(),
                "reference": reference,
                "runs": runs,
                "agree": comparison.agree(),
                "disagreements": comparison.disagreements(),
            })
        );
    }
    let mut out = String::new();
    if let Some(first) = comparison.runs.first() {
        K::text(&first.output, &mut out);
    }
    let _ = writeln!(
        out,
        "\n  {:<8} {:<24} {:>22} {:>10} {:>11} {:>13} {:>8}  verdict (against {reference})",
        "backend", "threads / adapter", "value", "error est", "time", "throughput", "speed-up"
    );
    for (run, verdict) in comparison.runs.iter().zip(&comparison.verdicts) {
        let place = match &run.gpu {
            Some(gpu) if run.backend == Backend::Hybrid => format!("{} + {} threads", gpu.adapter, run.threads),
            Some(gpu) => format!("{} ({})", gpu.adapter, gpu.precision.map_or("", |p| p.name())),
            None => format!("{} threads", run.threads),
        };
        let speed = speedup(run).map_or("-".to_owned(), |s| format!("{s:.2}×"));
        let verdict = if run.backend == reference {
            "reference".to_owned()
        } else {
            verdict.to_string()
        };
        let _ = writeln!(
            out,
            "  {:<8} {:<24} {:>22.17} {:>10.2e} {:>9.4} s {:>11}/s {:>8}  {verdict}",
            run.backend.name(),
            truncate(&place, 24),
            K::value(&run.output),
            K::error_estimate(&run.output),
            run.elapsed.as_secs_f64(),
            si(run.throughput()),
            speed,
        );
    }
    let _ = writeln!(
        out,
        "\n  {}",
        if comparison.agree() {
            "all backends agree".to_owned()
        } else {
            comparison.disagreements().join("; ")
        }
    );
    out
}

fn truncate(text: &str, width: usize) -> String {
    if text.chars().count() <= width {
        text.to_owned()
    } else {
        let kept: String = text.chars().take(width - 1).collect();
        format!("{kept}…")
    }
}

/// The cost model as a table, or JSON.
pub fn calibration(
    model: &CostModel,
    rows: &[(String, Backend, usize)],
    path: Option<&std::path::Path>,
    as_json: bool,
) -> String {
    if as_json {
        let entries: Vec<Value> = rows
            .iter()
            .filter_map(|(kernel, backend, threads)| {
                let cost = model.get(kernel, *backend, *threads)?;
                Some(json!({ "kernel": kernel, "backend": backend, "threads": threads, "cost": cost }))
            })
            .collect();
        return format!("{}\n", json!({ "path": path, "costs": entries }));
    }
    let mut out = String::new();
    let _ = writeln!(
        out,
        "  {:<8} {:<8} {:>7} {:>13} {:>15} {:>13}",
        "kernel", "backend", "threads", "overhead", "per block", "first use"
    );
    for (kernel, backend, threads) in rows {
        if let Some(cost) = model.get(kernel, *backend, *threads) {
            let _ = writeln!(
                out,
                "  {:<8} {:<8} {:>7} {:>10.3} ms {:>12.3} µs {:>10.3} ms",
                kernel,
                backend.name(),
                threads,
                cost.overhead * 1e3,
                cost.per_block * 1e6,
                cost.first_use * 1e3
            );
        }
    }
    match path {
        Some(path) => {
            let _ = writeln!(out, "  saved to {}", path.display());
        }
        None => {
            let _ = writeln!(out, "  (no cache directory: not saved)");
        }
    }
    out
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

fn footer<T>(out: &mut String, run: &Run<T>, context: &Context, unit: &str) {
    if let Some(ranks) = &context.ranks {
        let shares: Vec<String> = ranks
            .iter()
            .map(|r| {
                format!(
                    "{}: blocks {}..{} in {:.3} s",
                    r.rank, r.blocks.0, r.blocks.1, r.seconds
                )
            })
            .collect();
        line(out, "mpi ranks", format!("{} ({})", ranks.len(), shares.join("; ")));
    }
    let chosen = if context.auto { " (chosen by auto)" } else { "" };
    match &run.gpu {
        Some(gpu) => {
            let precision = gpu.precision.map_or("", |p| p.name());
            let place = match &run.split {
                Some(_) => format!(
                    "hybrid, {} ({}) + {} CPU threads, precision {precision}{chosen}",
                    gpu.adapter, gpu.api, run.threads
                ),
                None => format!("gpu, {} ({}), precision {precision}{chosen}", gpu.adapter, gpu.api),
            };
            line(out, "backend", place);
            if let Some(split) = &run.split {
                let mut shares = format!(
                    "GPU {} blocks in {} ranges ({:.1}%), CPU {} blocks in {} ranges",
                    split.gpu_blocks,
                    split.gpu_chunks,
                    100.0 * split.gpu_fraction(),
                    split.cpu_blocks,
                    split.cpu_chunks
                );
                if let Some(error) = &split.gpu_error {
                    let _ = write!(shares, "; the GPU failed ({error}) and the CPU finished");
                }
                line(out, "split", shares);
            }
            line(out, "time", format!("{:.6} s", run.elapsed.as_secs_f64()));
            let kernel = gpu
                .kernel_seconds
                .map_or("no timestamps".to_owned(), |k| format!("{k:.6} s"));
            line(
                out,
                "gpu time",
                format!(
                    "kernel {kernel}; setup {:.6} s, compile {:.6} s, upload {:.6} s, execute {:.6} s, \
                     readback {:.6} s, {} submissions",
                    gpu.setup_seconds,
                    gpu.compile_seconds,
                    gpu.upload_seconds,
                    gpu.execute_seconds,
                    gpu.readback_seconds,
                    gpu.submissions
                ),
            );
        }
        None => {
            let threads = if run.threads == 1 {
                "1 thread".to_owned()
            } else {
                format!("{} threads", run.threads)
            };
            line(out, "backend", format!("{}, {threads}{chosen}", run.backend));
            line(out, "time", format!("{:.6} s", run.elapsed.as_secs_f64()));
        }
    }
    line(out, "throughput", format!("{} {unit}/s", si(run.throughput())));
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
