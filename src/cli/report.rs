//! Results as text for people or as one JSON object for programs.

use std::f64::consts::PI;
use std::fmt::Write;

use serde_json::{Value, json};

use hetero::Run;
use hetero::distributed::RankReport;
use hetero::gpu::AdapterSummary;

/// What a report adds to the kernel's own output.
pub struct Context {
    /// The GPU agreement bound, for floating GPU runs.
    pub gpu_bound: Option<f64>,
    /// Each rank's share, for distributed runs.
    pub ranks: Option<Vec<RankReport>>,
}
use hetero::kernels::{LeibnizEstimate, PiEstimate, SimpsonEstimate};

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

pub fn pi(run: &Run<PiEstimate>, context: &Context, as_json: bool) -> String {
    let e = &run.output;
    let abs_error = (e.value - PI).abs();
    if as_json {
        return to_json(
            "pi",
            run,
            context,
            e.value,
            e.std_error,
            json!({
                "samples": e.samples,
                "hits": e.hits,
                "seed": e.seed,
                "std_error": e.std_error,
                "ci95": [e.ci95.0, e.ci95.1],
                "abs_error": abs_error,
            }),
        );
    }
    let mut out = format!(
        "pi ≈ {:.10}  (Monte Carlo, {} samples, seed {})\n",
        e.value, e.samples, e.seed
    );
    line(&mut out, "value", format!("{:.15}", e.value));
    line(
        &mut out,
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
        &mut out,
        "|value − π|",
        format!("{abs_error:.3e} ({sigmas:.2} standard errors)"),
    );
    line(&mut out, "hits", format!("{} of {}", e.hits, e.samples));
    footer(&mut out, run, context, "samples");
    out
}

pub fn simpson(run: &Run<SimpsonEstimate>, context: &Context, as_json: bool) -> String {
    let e = &run.output;
    let abs_error = e.exact.map(|x| (e.value - x).abs());
    if as_json {
        return to_json(
            "simpson",
            run,
            context,
            e.value,
            e.error_estimate,
            json!({
                "function": e.function,
                "from": e.from,
                "to": e.to,
                "intervals": e.intervals,
                "requested_intervals": e.requested_intervals,
                "exact": e.exact,
                "abs_error": abs_error,
                "gpu_bound": context.gpu_bound,
            }),
        );
    }
    let mut out = format!(
        "simpson: ∫ {} over [{}, {}] with {} intervals\n",
        e.function, e.from, e.to, e.intervals
    );
    line(&mut out, "value", format!("{:.17}", e.value));
    line(
        &mut out,
        "error estimate",
        format!("{:.3e} (Richardson, |S_n − S_n/2| / 15)", e.error_estimate),
    );
    match (e.exact, abs_error) {
        (Some(exact), Some(abs_error)) => {
            line(&mut out, "exact", format!("{exact:.17}"));
            line(&mut out, "|value − exact|", format!("{abs_error:.3e}"));
        }
        _ => line(&mut out, "exact", "not known in closed form".to_owned()),
    }
    bound_line(&mut out, context.gpu_bound);
    footer(&mut out, run, context, "points");
    out
}

pub fn leibniz(run: &Run<LeibnizEstimate>, context: &Context, as_json: bool) -> String {
    let e = &run.output;
    let abs_error = (e.value - PI).abs();
    if as_json {
        return to_json(
            "leibniz",
            run,
            context,
            e.value,
            e.bound,
            json!({ "terms": e.terms, "bound": e.bound, "abs_error": abs_error, "gpu_bound": context.gpu_bound }),
        );
    }
    let mut out = format!("pi ≈ {:.10}  (Leibniz series, {} terms)\n", e.value, e.terms);
    line(&mut out, "value", format!("{:.17}", e.value));
    line(
        &mut out,
        "error estimate",
        format!("{:.3e} (truncation bound 4/(2N+1))", e.bound),
    );
    line(&mut out, "|value − π|", format!("{abs_error:.3e}"));
    bound_line(&mut out, context.gpu_bound);
    footer(&mut out, run, context, "terms");
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
    match &run.gpu {
        Some(gpu) => {
            let precision = gpu.precision.map_or("", |p| p.name());
            line(
                out,
                "backend",
                format!("gpu, {} ({}), precision {precision}", gpu.adapter, gpu.api),
            );
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
            line(out, "backend", format!("{}, {threads}", run.backend));
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

fn to_json<T>(kernel: &str, run: &Run<T>, context: &Context, value: f64, error_estimate: f64, fields: Value) -> String {
    let mut object = json!({
        "kernel": kernel,
        "backend": run.backend,
        "threads": run.threads,
        "value": value,
        "error_estimate": error_estimate,
        "seconds": run.elapsed.as_secs_f64(),
        "throughput": run.throughput(),
        "blocks": run.blocks,
        "elements": run.elements,
    });
    if let (Some(object), Some(ranks)) = (object.as_object_mut(), &context.ranks) {
        object.insert("ranks".to_owned(), json!(ranks.len()));
        object.insert("per_rank".to_owned(), json!(ranks));
    }
    if let (Some(object), Some(gpu)) = (object.as_object_mut(), &run.gpu) {
        object.insert("gpu".to_owned(), json!(gpu));
        object.insert("precision".to_owned(), json!(gpu.precision));
    }
    if let (Some(object), Value::Object(fields)) = (object.as_object_mut(), fields) {
        object.extend(fields);
    }
    format!("{object}\n")
}
