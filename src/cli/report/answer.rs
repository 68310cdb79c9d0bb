//! The answer of `hetero integrate`, as text.

use super::*;
use hetero::integrate::Answer;

/// The answer: the value and its error, the goal, the cost, where it ran and the stamp.
pub fn answer(answer: &Answer) -> String {
    let mut out = String::new();
    let run = &answer.run;
    let integrand = run["expr"]
        .as_str()
        .or(run["function"].as_str())
        .unwrap_or("the integrand");
    let domain = match run["box"].as_array() {
        Some(ranges) => {
            let ranges: Vec<String> = ranges
                .iter()
                .map(|r| format!("[{}, {}]", number(&r[0]), number(&r[1])))
                .collect();
            ranges.join(" × ")
        }
        None => format!("[{}, {}]", number(&run["from"]), number(&run["to"])),
    };
    match answer.components.is_empty() {
        true => {
            let _ = writeln!(out, "∫ {integrand} over {domain}, by {}", answer.method);
        }
        false => {
            let _ = writeln!(
                out,
                "∫ {} integrands on the same points over {domain}, by {}",
                answer.outputs, answer.method
            );
        }
    }
    if let Some(map) = run["map"].as_str() {
        line(&mut out, "mapped", map.to_owned());
    }
    if answer.components.is_empty() {
        line(&mut out, "value", real_text_17(answer.value));
        line(
            &mut out,
            "error",
            format!("{:.3e} ({})", answer.error, error_words(answer)),
        );
    } else {
        components(&mut out, answer);
    }
    if let Some(tolerance) = answer.tolerance {
        let outcome = match answer.reached {
            Some(true) => "reached".to_owned(),
            _ => format!("NOT reached: {}", answer.why.as_deref().unwrap_or("")),
        };
        let mut asked = Vec::new();
        if tolerance.atol > 0.0 {
            asked.push(format!("atol {:e}", tolerance.atol));
        }
        if tolerance.rtol > 0.0 {
            asked.push(format!("rtol {:e}", tolerance.rtol));
        }
        let asked = asked.join(", ");
        match answer.components.is_empty() {
            true => {
                let at = tolerance.at(answer.value);
                line(&mut out, "tolerance", format!("{at:.3e} ({asked}), {outcome}"));
            }
            false => line(&mut out, "tolerance", format!("{asked} on each component, {outcome}")),
        }
    } else if let Some(why) = &answer.why {
        let label = if answer.trusted { "cut short" } else { "not trusted" };
        line(&mut out, label, why.clone());
    }
    let evaluations = match answer.components.is_empty() {
        true => format!("{} in {}", answer.evals, duration(answer.seconds)),
        false => format!(
            "{} in {} ({} points per component)",
            answer.evals,
            duration(answer.seconds),
            answer.size
        ),
    };
    line(&mut out, "evaluations", evaluations);
    let threads = run["threads"].as_u64().unwrap_or(1);
    let plural = if threads == 1 { "" } else { "s" };
    line(
        &mut out,
        "backend",
        format!("{} ({threads} thread{plural})", answer.backend),
    );
    if answer.interrupted {
        line(
            &mut out,
            "interrupted",
            "the answer covers what was completed".to_owned(),
        );
    }
    line(&mut out, "stamp", answer.stamp.clone());
    out
}

/// One line per component of a vector-valued answer: its integrand, value, error and (to a tolerance)
/// whether it met it; a component a stop left out says so.
fn components(out: &mut String, answer: &Answer) {
    let _ = writeln!(out, "  components (error: {}):", error_words(answer));
    for i in 0..answer.outputs {
        let Some(c) = answer.components.get(i) else {
            let _ = writeln!(out, "    [{}] not computed", i + 1);
            continue;
        };
        let integrand = c.run["expr"].as_str().or(c.run["function"].as_str()).unwrap_or("");
        let outcome = match c.reached {
            Some(true) => "",
            Some(false) => "  NOT reached",
            None => "",
        };
        let _ = writeln!(
            out,
            "    [{}] {:<24} ± {:.3e}{outcome}   {integrand}",
            i + 1,
            real_text_17(c.value),
            c.error
        );
    }
}

/// What the error is, in words.
fn error_words(answer: &Answer) -> &'static str {
    match answer.error_kind.name() {
        "ci95" => "half-width of the 95% interval",
        _ => "the rule's estimate",
    }
}

/// Seconds as milliseconds below one.
fn duration(seconds: f64) -> String {
    match seconds < 1.0 {
        true => format!("{:.3} ms", seconds * 1e3),
        false => format!("{seconds:.3} s"),
    }
}

/// A JSON number as the command line writes bounds.
fn number(value: &Value) -> String {
    match (value.as_f64(), value.as_str()) {
        (Some(x), _) => real_text(x),
        // An infinite bound.
        (None, Some(text)) => text.to_owned(),
        (None, None) => value.to_string(),
    }
}
