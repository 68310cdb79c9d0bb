//! Several backends' runs of one problem, checked against each other: a table or JSON.

use super::*;

/// Several backends' runs of one problem: a table, or `{"runs": [...], "agree": ...}`.
pub fn comparison<K: Text>(kernel: &K, comparison: &Comparison<K::Output>, as_json: bool) -> String {
    // No run at all when the first was interrupted.
    let reference = comparison.runs.get(comparison.reference).map(|r| r.backend);
    if as_json {
        return format!("{}\n", hetero::report::comparison_json(kernel, comparison));
    }
    let mut out = String::new();
    let Some(reference) = reference else {
        return "no run completed\n".to_owned();
    };
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
        let speed = hetero::report::speedup(comparison, run).map_or("-".to_owned(), |s| format!("{s:.2}×"));
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
