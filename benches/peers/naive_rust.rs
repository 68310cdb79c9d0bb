//! The same three computations written the ordinary way in Rust: a `rand` SmallRng loop for π, plain
//! loops for Simpson and Leibniz, on one thread. Prints one JSON line per computation, like peers.py.
//!
//! `cargo run --release -p hetero-bench --example naive_rust -- PI_N SIMPSON_N LEIBNIZ_N RUNS` (benches/peers/run.sh does).

use std::hint::black_box;
use std::time::Instant;

use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};

fn mc_pi(n: u64, seed: u64) -> f64 {
    let mut rng = SmallRng::seed_from_u64(seed);
    let mut hits = 0u64;
    for _ in 0..n {
        let x: f64 = rng.random();
        let y: f64 = rng.random();
        if x * x + y * y < 1.0 {
            hits += 1;
        }
    }
    4.0 * hits as f64 / n as f64
}

fn simpson_exp(a: f64, b: f64, n: u64) -> f64 {
    let h = (b - a) / n as f64;
    let mut s = a.exp() + b.exp();
    for i in 1..n {
        let w = if i % 2 == 1 { 4.0 } else { 2.0 };
        s += w * (a + i as f64 * h).exp();
    }
    s * h / 3.0
}

fn leibniz(n: u64) -> f64 {
    let mut s = 0.0;
    for k in 0..n {
        s += if k % 2 == 0 { 4.0 } else { -4.0 } / (2 * k + 1) as f64;
    }
    s
}

fn timed(kernel: &str, n: u64, runs: usize, f: impl Fn() -> f64) {
    let mut seconds = Vec::new();
    let mut value = 0.0;
    for _ in 0..runs {
        let start = Instant::now();
        value = black_box(f());
        seconds.push(start.elapsed().as_secs_f64());
    }
    seconds.sort_by(f64::total_cmp);
    let median = seconds[seconds.len() / 2];
    println!(
        "{{\"peer\": \"naive-rust\", \"kernel\": \"{kernel}\", \"n\": {n}, \"seconds\": {median}, \"throughput\": {}, \"value\": {value}}}",
        n as f64 / median
    );
}

fn main() {
    let args: Vec<u64> = std::env::args()
        .skip(1)
        .filter_map(|a| a.parse::<f64>().ok())
        .map(|x| x as u64)
        .collect();
    let [pi_n, simpson_n, leibniz_n, runs] = args[..] else {
        eprintln!("usage: naive_rust PI_N SIMPSON_N LEIBNIZ_N RUNS");
        std::process::exit(2);
    };
    let runs = runs.max(1) as usize;
    timed("pi", pi_n, runs, || mc_pi(black_box(pi_n), 42));
    timed("simpson_exp", simpson_n, runs, || {
        simpson_exp(0.0, 1.0, black_box(simpson_n))
    });
    timed("leibniz", leibniz_n, runs, || leibniz(black_box(leibniz_n)));
}
