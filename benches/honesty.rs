//! How often an answer of `integrate` falls outside its stated error: random members of Genz's six test
//! families over `[0, 1]^d`, each integrated to a relative tolerance through the library's front door, the
//! actual error taken from the family's closed form.
//!
//! ```sh
//! cargo run --release -p hetero-bench --example honesty -- [--seed S] [--draws K]
//! ```
//!
//! Each family's parameters are drawn as in Genz's test package: `u` uniform in `[0, 1]^d` (the peak or
//! the discontinuity), `a` uniform in `[0, 1]^d` rescaled so that `Σ aᵢ` is the family's difficulty
//! (9.0, 7.25, 1.85, 7.03, 20.4, 4.3). A run counts as an answer when its goal was reached (the command
//! line's exit 0); the table gives, per method and family, how many answers had an actual error above the
//! stated one, and above three times it, and the runs that ended "not reached" instead (exit 1, an honest
//! refusal). Simpson runs in one dimension, Monte Carlo in 2, 5 and 8 (its error is a 95% interval's
//! half-width, so about one answer in twenty outside it is expected).

use std::f64::consts::PI;
use std::time::Instant;

use hetero::integrate::{Problem, Request, integrate};
use hetero::math::erf;
use hetero::{Backend, Engine};
use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};

/// Genz's families, their names and difficulties (`Σ aᵢ`).
const FAMILIES: [(&str, f64); 6] = [
    ("oscillatory", 9.0),
    ("product peak", 7.25),
    ("corner peak", 1.85),
    ("Gaussian", 7.03),
    ("C0", 20.4),
    ("discontinuous", 4.3),
];

/// One member of a family: its expression in `x1 … xd` and its integral over `[0, 1]^d`.
fn member(family: usize, a: &[f64], u: &[f64]) -> (String, f64) {
    let d = a.len();
    let terms = |term: &dyn Fn(usize) -> String, joint: &str| (0..d).map(term).collect::<Vec<_>>().join(joint);
    match family {
        0 => {
            // cos(2π u₁ + Σ aᵢ xᵢ): the real part of e^{2πi u₁} Π (e^{i aᵢ} − 1) / (i aᵢ).
            let (mut re, mut im) = ((2.0 * PI * u[0]).cos(), (2.0 * PI * u[0]).sin());
            for &ai in a {
                // (e^{i a} − 1) / (i a) = (sin a + i (1 − cos a)) / a
                let (fr, fi) = (ai.sin() / ai, (1.0 - ai.cos()) / ai);
                (re, im) = (re * fr - im * fi, re * fi + im * fr);
            }
            let sum = terms(&|i| format!("{:e}*x{}", a[i], i + 1), " + ");
            (format!("cos({:e} + {sum})", 2.0 * PI * u[0]), re)
        }
        1 => {
            let exact = a
                .iter()
                .zip(u)
                .map(|(&ai, &ui)| ai * ((ai * (1.0 - ui)).atan() + (ai * ui).atan()))
                .product();
            let product = terms(
                &|i| format!("({:e} + (x{} - {:e})^2)", a[i].powi(-2), i + 1, u[i]),
                " * ",
            );
            (format!("1/({product})"), exact)
        }
        2 => {
            // (1/(d! Π aᵢ)) Σ over the corners v of (−1)^|v| / (1 + a·v).
            let mut sum = 0.0;
            for corner in 0u32..1 << d {
                let dot: f64 = (0..d).filter(|i| corner >> i & 1 == 1).map(|i| a[i]).sum();
                let sign = if corner.count_ones() % 2 == 0 { 1.0 } else { -1.0 };
                sum += sign / (1.0 + dot);
            }
            let factorial: f64 = (1..=d).map(|k| k as f64).product();
            let exact = sum / (factorial * a.iter().product::<f64>());
            let sum = terms(&|i| format!("{:e}*x{}", a[i], i + 1), " + ");
            (format!("(1 + {sum})^-{}", d + 1), exact)
        }
        3 => {
            let exact = a
                .iter()
                .zip(u)
                .map(|(&ai, &ui)| PI.sqrt() / (2.0 * ai) * (erf(ai * (1.0 - ui)) + erf(ai * ui)))
                .product();
            let sum = terms(&|i| format!("{:e}*(x{} - {:e})^2", a[i] * a[i], i + 1, u[i]), " + ");
            (format!("exp(-({sum}))"), exact)
        }
        4 => {
            let exact = a
                .iter()
                .zip(u)
                .map(|(&ai, &ui)| (2.0 - (-ai * ui).exp() - (-ai * (1.0 - ui)).exp()) / ai)
                .product();
            let sum = terms(&|i| format!("{:e}*abs(x{} - {:e})", a[i], i + 1, u[i]), " + ");
            (format!("exp(-({sum}))"), exact)
        }
        _ => {
            // Zero past u₁ in x₁ (and past u₂ in x₂ where d ≥ 2), else exp(Σ aᵢ xᵢ).
            let cut = d.min(2);
            let exact = (0..d)
                .map(|i| {
                    let end = if i < cut { u[i] } else { 1.0 };
                    ((a[i] * end).exp() - 1.0) / a[i]
                })
                .product();
            let conditions: Vec<String> = (0..cut).map(|i| format!("(x{} <= {:e})", i + 1, u[i])).collect();
            let conditions = conditions.join(" * ");
            let sum = terms(&|i| format!("{:e}*x{}", a[i], i + 1), " + ");
            (format!("{conditions} * exp({sum})"), exact)
        }
    }
}

/// What the runs of one method, family and tolerance gave.
#[derive(Default)]
struct Tally {
    runs: u32,
    answers: u32,
    above: u32,
    above_three: u32,
    refused: u32,
    failed: u32,
    /// The largest ratio of actual to stated error among the answers.
    worst: f64,
    seconds: Vec<f64>,
}

fn main() -> hetero::Result<()> {
    let mut seed = 2026u64;
    let mut draws = 10u32;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let value = args.next().and_then(|v| v.parse::<u64>().ok());
        match (arg.as_str(), value) {
            ("--seed", Some(v)) => seed = v,
            ("--draws", Some(v)) => draws = v as u32,
            _ => {
                eprintln!("usage: honesty [--seed S] [--draws K]");
                std::process::exit(2);
            }
        }
    }
    let engine = Engine::new()?;
    let mut rng = SmallRng::seed_from_u64(seed);
    let plans: [(&str, &[usize], &[f64]); 2] = [("simpson", &[1], &[1e-6, 1e-10]), ("mc", &[2, 5, 8], &[1e-2, 1e-3])];
    println!(
        "seed {seed}, {draws} draws per family, dimension and tolerance; rayon on {} threads",
        engine.threads()
    );
    println!();
    println!(
        "| method | family | runs | answers | error > stated | > 3 × stated | worst error / stated | not reached | failed | median time |"
    );
    println!("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|");
    for (method, dims, tolerances) in plans {
        for (family, (name, difficulty)) in FAMILIES.iter().enumerate() {
            let mut tally = Tally::default();
            for &d in dims {
                for &rtol in tolerances {
                    for _ in 0..draws {
                        let u: Vec<f64> = (0..d).map(|_| rng.random::<f64>()).collect();
                        let raw: Vec<f64> = (0..d).map(|_| rng.random::<f64>()).collect();
                        let total: f64 = raw.iter().sum();
                        let a: Vec<f64> = raw.iter().map(|r| r * difficulty / total).collect();
                        let (source, exact) = member(family, &a, &u);
                        let problem = Problem::expr(&source, &vec![(0.0, 1.0); d])?;
                        let request = Request::new(problem)
                            .method(method)
                            .rtol(rtol)
                            .max_evals(1 << 28)
                            .on(Backend::Rayon);
                        tally.runs += 1;
                        let started = Instant::now();
                        let answer = match integrate(&engine, &request) {
                            Ok(answer) => answer,
                            Err(e) => {
                                eprintln!("{method} {name} d={d} rtol={rtol:e}: {e}\n  {source}");
                                tally.failed += 1;
                                continue;
                            }
                        };
                        tally.seconds.push(started.elapsed().as_secs_f64());
                        if answer.reached != Some(true) || !answer.trusted {
                            tally.refused += 1;
                            continue;
                        }
                        tally.answers += 1;
                        let actual = (answer.value - exact).abs();
                        tally.worst = tally.worst.max(actual / answer.error);
                        if actual > answer.error {
                            tally.above += 1;
                        }
                        if actual > 3.0 * answer.error {
                            tally.above_three += 1;
                            eprintln!(
                                "{method} {name} d={d} rtol={rtol:e}: value {} ± {:e}, exact {exact}, actual error {actual:e}\n  {source}",
                                answer.value, answer.error
                            );
                        }
                    }
                }
            }
            tally.seconds.sort_by(f64::total_cmp);
            let median = tally.seconds.get(tally.seconds.len() / 2).copied().unwrap_or(f64::NAN);
            println!(
                "| {method} | {name} | {} | {} | {} | {} | {:.2} | {} | {} | {:.3} ms |",
                tally.runs,
                tally.answers,
                tally.above,
                tally.above_three,
                tally.worst,
                tally.refused,
                tally.failed,
                median * 1e3
            );
        }
    }
    Ok(())
}
