//! Results as one JSON object, field for field what `hetero … --json` prints: the fields every run has
//! ([`run_json`]) and each kernel's own ([`Report`]). Programs that embed the library, and the Python
//! package, report through it, so a result reads the same whichever way it was asked for.
//!
//! ```
//! use hetero::{Backend, Engine, kernels::Leibniz, report::run_json};
//!
//! let kernel = Leibniz::new(1_000_000)?;
//! let run = Engine::with_threads(1)?.run(&kernel, Backend::Serial)?;
//! let json = run_json(&kernel, &run);
//! assert_eq!(json["kernel"], "leibniz");
//! assert_eq!(json["terms"], 1_000_000);
//! assert_eq!(json["stamp"].as_str().map(str::len), Some(16));
//! # Ok::<(), hetero::Error>(())
//! ```

use std::f64::consts::PI;

use serde_json::{Value, json};

use crate::checkpoint::Resumable;
use crate::domain::bound_json;
use crate::gpu::Precision;
use crate::kernels::{IntegralEstimate, MonteCarloIntegral};
use crate::kernels::{Leibniz, LeibnizEstimate, MonteCarloPi, PiEstimate, Simpson, SimpsonEstimate, SimpsonIntegrand};
use crate::validate::{Comparison, Verify, stamp};
use crate::{Backend, Run};

/// How a kernel's results are reported (and saved: its problem line names it in MPI agreements and files).
pub trait Report: Verify + Resumable {
    /// What its elements are called.
    const UNIT: &'static str;
    /// The estimate.
    fn value(output: &Self::Output) -> f64;
    /// How far the estimate may be from the exact answer: a standard error, a Richardson estimate or a
    /// truncation bound, whichever the kernel has.
    fn error_estimate(output: &Self::Output) -> f64;
    /// The GPU agreement bound of a floating run in `precision`.
    fn bound(&self, precision: Precision) -> Option<f64>;
    /// The kernel's own JSON fields.
    fn fields(&self, output: &Self::Output) -> Value;
    /// A warning when `precision` cannot resolve the problem.
    fn resolution_warning(&self, precision: Precision) -> Option<String> {
        let _ = precision;
        None
    }
}

/// One run as JSON: the fields every run has (`kernel`, `backend`, `threads`, `value`,
/// `error_estimate`, `seconds`, `throughput`, `blocks`, `elements`, `gpu_bound`, `stamp`,
/// `interrupted`, `completed_blocks`, `simd`, and `gpu` and `precision` on the GPU, `split` for hybrid),
/// then the kernel's own.
pub fn run_json<K: Report>(kernel: &K, run: &Run<K::Output>) -> Value {
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
        "simd": crate::simd_level().name(),
    });
    let Some(map) = object.as_object_mut() else {
        return object;
    };
    if let Some(gpu) = &run.gpu {
        map.insert("gpu".to_owned(), json!(gpu));
        map.insert("precision".to_owned(), json!(gpu.precision));
    }
    if let Some(split) = &run.split {
        map.insert("split".to_owned(), json!(split));
    }
    if let Value::Object(fields) = kernel.fields(&run.output) {
        map.extend(fields);
    }
    object
}

/// How many times faster than the serial run of `comparison` `run` was (`None` when serial did not run).
pub fn speedup<T>(comparison: &Comparison<T>, run: &Run<T>) -> Option<f64> {
    let serial = comparison.runs.iter().find(|r| r.backend == Backend::Serial)?;
    Some(serial.elapsed.as_secs_f64() / run.elapsed.as_secs_f64().max(1e-9))
}

/// Several backends' runs of one problem as JSON: `{"kernel", "reference", "runs", "agree",
/// "disagreements", "interrupted"}`, each run as [`run_json`] with its `speedup` over serial (when serial
/// ran), `verdict` and `agree`.
pub fn comparison_json<K: Report>(kernel: &K, comparison: &Comparison<K::Output>) -> Value {
    // No run at all when the first was interrupted.
    let reference = comparison.runs.get(comparison.reference).map(|r| r.backend);
    let runs: Vec<Value> = comparison
        .runs
        .iter()
        .zip(&comparison.verdicts)
        .map(|(run, verdict)| {
            let mut object = run_json(kernel, run);
            if let Some(map) = object.as_object_mut() {
                map.insert("speedup".to_owned(), json!(speedup(comparison, run)));
                map.insert("verdict".to_owned(), json!(verdict.to_string()));
                map.insert("agree".to_owned(), json!(verdict.agree));
            }
            object
        })
        .collect();
    json!({
        "kernel": kernel.name(),
        "reference": reference,
        "runs": runs,
        "agree": comparison.agree(),
        "disagreements": comparison.disagreements(),
        "interrupted": comparison.interrupted,
    })
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

    fn fields(&self, e: &PiEstimate) -> Value {
        json!({
            "samples": e.samples,
            "hits": e.hits,
            "seed": e.seed,
            "std_error": e.std_error,
            "ci95": [e.ci95.0, e.ci95.1],
            "abs_error": (e.value - PI).abs(),
        })
    }
}

/// Simpson of any integrand; an expression also reports its text as `expr`.
impl<F: SimpsonIntegrand> Report for Simpson<F> {
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

    fn fields(&self, e: &SimpsonEstimate) -> Value {
        let mut fields = json!({
            "function": e.function,
            "from": e.from,
            "to": e.to,
            "intervals": e.intervals,
            "requested_intervals": e.requested_intervals,
            "exact": e.exact,
            "abs_error": e.exact.map(|x| (e.value - x).abs()),
        });
        if let Some(source) = self.integrand().source() {
            fields["expr"] = json!(source);
        }
        fields
    }
}

impl Report for MonteCarloIntegral {
    const UNIT: &'static str = "samples";

    fn value(output: &IntegralEstimate) -> f64 {
        output.value
    }

    fn error_estimate(output: &IntegralEstimate) -> f64 {
        output.std_error
    }

    fn bound(&self, precision: Precision) -> Option<f64> {
        self.gpu_bound(precision)
    }

    fn fields(&self, e: &IntegralEstimate) -> Value {
        let bounds: Vec<[Value; 2]> = e.bounds.iter().map(|&(a, b)| [bound_json(a), bound_json(b)]).collect();
        let mut fields = json!({
            "expr": e.expr,
            "dims": e.dims,
            "box": bounds,
            "samples": e.samples,
            "seed": e.seed,
            "mean": e.mean,
            "std_error": e.std_error,
            "ci95": [e.ci95.0, e.ci95.1],
        });
        if let Some(map) = &e.map {
            fields["map"] = map.as_str().into();
        }
        fields
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

    fn fields(&self, e: &LeibnizEstimate) -> Value {
        json!({ "terms": e.terms, "bound": e.bound, "abs_error": (e.value - PI).abs() })
    }
}
