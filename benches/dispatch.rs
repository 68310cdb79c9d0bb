//! Auto against the best single backend over a size sweep, and hybrid against the GPU and the CPU alone
//! on large problems. Prints Markdown tables of medians (and the middle half of the times: quartiles).
//!
//! `cargo bench -p hetero-bench --bench dispatch` (with a GPU adapter present, the GPU and hybrid take part).

use std::hint::black_box;
use std::time::Instant;

use hetero::kernels::{Function, Leibniz, MonteCarloPi, Simpson};
use hetero::{Backend, Choice, Engine, Kernel};

/// The quartiles of a run's times, in seconds.
#[derive(Clone, Copy)]
struct Spread {
    low: f64,
    median: f64,
    high: f64,
    /// The mean of the middle half: unlike the median, it weighs both modes of a two-mode time.
    middle_mean: f64,
}

impl Spread {
    /// `median (low–high)` in milliseconds.
    fn ms(self) -> String {
        format!(
            "{:.3} ({:.3}–{:.3})",
            self.median * 1e3,
            self.low * 1e3,
            self.high * 1e3
        )
    }
}

/// Quartiles of the seconds of each of `runs`, timed in interleaved rounds (so that drift in the machine's speed
/// falls on all of them alike), after one untimed round. Each round runs them in a fresh random order, so
/// that every run follows every other about equally often: threads still spinning after one run (rayon's,
/// the software GPU's) slow down whichever run comes next, and a fixed order would charge that to one run.
fn quartiles(repeats: usize, runs: &mut [&mut dyn FnMut()]) -> Vec<Spread> {
    let mut times = vec![Vec::with_capacity(repeats); runs.len()];
    let mut order: Vec<usize> = (0..runs.len()).collect();
    let mut state = 0x9E37_79B9_7F4A_7C15_u64;
    for round in 0..=repeats {
        // Fisher-Yates with xorshift64: any fixed-seed generator does.
        for k in (1..order.len()).rev() {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            order.swap(k, (state % (k as u64 + 1)) as usize);
        }
        for &i in &order {
            let start = Instant::now();
            runs[i]();
            if round > 0 {
                times[i].push(start.elapsed().as_secs_f64());
            }
        }
    }
    times
        .into_iter()
        .map(|mut t| {
            t.sort_by(f64::total_cmp);
            let middle = &t[t.len() / 4..t.len() - t.len() / 4];
            Spread {
                low: t[t.len() / 4],
                median: t[t.len() / 2],
                high: t[3 * t.len() / 4],
                middle_mean: middle.iter().sum::<f64>() / middle.len() as f64,
            }
        })
        .collect()
}

fn repeats_for(blocks: u64) -> usize {
    match blocks {
        // Tiny runs are noisiest relative to their length, and cheap to repeat.
        0..=16 => 201,
        17..=64 => 41,
        65..=1024 => 21,
        _ => 11,
    }
}

/// Prints the table of one kernel; returns the worst ratios of auto to the best, of medians and of
/// middle means.
fn sweep<K: Kernel>(engine: &Engine, backends: &[Backend], name: &str, make: impl Fn(u64) -> K) -> (f64, f64) {
    println!("\n### {name}\n");
    println!(
        "| blocks | best backend | best, ms (middle half) | auto's choice | auto, ms (middle half) \
         | auto / best, medians | auto / best, middle means |"
    );
    println!("|---:|---|---:|---|---:|---:|---:|");
    let mut worst = (0.0_f64, 0.0_f64);
    for blocks in [1, 2, 4, 8, 16, 64, 256, 1024, 4096] {
        let kernel = make(blocks);
        let choices: Vec<Choice> = backends
            .iter()
            .map(|&b| Choice::Backend(b))
            .chain([Choice::Auto])
            .collect();
        let mut runs: Vec<Box<dyn FnMut()>> = choices
            .iter()
            .map(|&choice| {
                let kernel = &kernel;
                Box::new(move || {
                    black_box(engine.run(kernel, choice).map(|r| r.output).ok());
                }) as Box<dyn FnMut()>
            })
            .collect();
        let mut refs: Vec<&mut dyn FnMut()> = runs.iter_mut().map(|r| &mut **r as &mut dyn FnMut()).collect();
        let times = quartiles(repeats_for(blocks), &mut refs);
        let (auto, single) = times.split_last().expect("auto was timed");
        let (mut best, mut best_time) = (Backend::Serial, single[0]);
        for (&backend, &t) in backends.iter().zip(single) {
            if t.median < best_time.median {
                (best, best_time) = (backend, t);
            }
        }
        let best_mean = single.iter().map(|t| t.middle_mean).fold(f64::INFINITY, f64::min);
        let choice = engine.explain(&kernel).map_or(Backend::Serial, |e| e.choice);
        let ratio = auto.median / best_time.median;
        let mean_ratio = auto.middle_mean / best_mean;
        worst = (worst.0.max(ratio), worst.1.max(mean_ratio));
        println!(
            "| {blocks} | {best} | {} | {choice} | {} | {ratio:.3} | {mean_ratio:.3} |",
            best_time.ms(),
            auto.ms()
        );
    }
    worst
}

fn hybrid<K: Kernel>(engine: &Engine, name: &str, kernel: &K) {
    let mut row = format!("| {name} | {} |", kernel.blocks());
    let mut split = String::new();
    let mut rayon = || {
        black_box(engine.run(kernel, Backend::Rayon).map(|r| r.output).ok());
    };
    let mut gpu = || {
        black_box(engine.run(kernel, Backend::Gpu).map(|r| r.output).ok());
    };
    let mut hybrid = || {
        if let Ok(run) = engine.run(kernel, Backend::Hybrid)
            && let Some(s) = run.split
        {
            split = format!("{:.0}% GPU", 100.0 * s.gpu_fraction());
        }
    };
    for t in quartiles(3, &mut [&mut rayon, &mut gpu, &mut hybrid]) {
        row += &format!(" {:.1} |", t.median * 1e3);
    }
    println!("{row} {split} |");
}

fn main() {
    let engine = Engine::new().expect("a thread pool");
    let mut backends = Backend::CPU.to_vec();
    let gpu = engine.gpu().ok();
    if let Some(gpu) = &gpu {
        println!("GPU: {} ({})", gpu.name(), gpu.api());
        backends.extend([Backend::Gpu, Backend::Hybrid]);
    } else {
        println!("no GPU adapter: CPU backends only");
    }
    println!("threads: {}", engine.threads());
    let pi = |blocks: u64| MonteCarloPi::new(blocks << 16, 1).expect("a valid size");
    let leibniz = |blocks: u64| Leibniz::new(blocks << 16).expect("a valid size");
    let simpson = |blocks: u64| Simpson::new(Function::Exp, 0.0, 1.0, (blocks << 16) - 4).expect("a valid size");
    let calibration = Instant::now();
    engine.calibrate(&pi(1024)).expect("calibration");
    engine.calibrate(&leibniz(1024)).expect("calibration");
    engine.calibrate(&simpson(1024)).expect("calibration");
    println!("calibration: {:.2} s", calibration.elapsed().as_secs_f64());

    let worst = [
        sweep(&engine, &backends, "Monte Carlo π", pi),
        sweep(&engine, &backends, "Leibniz", leibniz),
        sweep(&engine, &backends, "Simpson exp", simpson),
    ];
    println!(
        "\nworst auto / best: {:.3} (medians), {:.3} (middle means)",
        worst.iter().map(|w| w.0).fold(0.0, f64::max),
        worst.iter().map(|w| w.1).fold(0.0, f64::max)
    );

    if gpu.is_some() {
        println!("\n### Hybrid on large problems (medians, ms)\n");
        println!("| kernel | blocks | rayon | gpu | hybrid | hybrid's split |");
        println!("|---|---:|---:|---:|---:|---|");
        hybrid(&engine, "Monte Carlo π", &pi(1 << 14));
        hybrid(&engine, "Leibniz", &leibniz(1 << 14));
        hybrid(&engine, "Simpson exp", &simpson(1 << 12));
    }
}
