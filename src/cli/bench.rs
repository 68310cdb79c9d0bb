//! `hetero bench`: throughput against size for every backend, speed-up against threads, and the grain-size
//! experiment, written as CSV files and SVG plots.

use std::path::{Path, PathBuf};
use std::time::Instant;

use hetero::kernels::{Function, Leibniz, MonteCarloPi, Simpson};
use hetero::sum::Neumaier;
use hetero::{Backend, Engine, ExactSum, Kernel};
use plotters::prelude::*;
use serde::Serialize;

use super::args::BenchArgs;

/// The smallest size swept; sizes grow by a factor of 4 from here up to `--max-size`.
const MIN_SIZE: u64 = 1 << 10;

/// Block sizes of the grain-size experiment, in terms: 2^8 up to 2^22 by factors of 4 (hetero's own blocks
/// are 2^16 elements).
const GRAIN_SIZES: [u64; 8] = [1 << 8, 1 << 10, 1 << 12, 1 << 14, 1 << 16, 1 << 18, 1 << 20, 1 << 22];

/// hetero's block size, the same for every built-in kernel.
const HETERO_BLOCK: u64 = 1 << 16;

#[derive(Serialize)]
struct SizeRow {
    kernel: &'static str,
    backend: &'static str,
    threads: usize,
    elements: u64,
    seconds: f64,
    elements_per_second: f64,
}

#[derive(Serialize)]
struct ThreadRow {
    kernel: &'static str,
    backend: &'static str,
    threads: usize,
    elements: u64,
    seconds: f64,
    speedup: f64,
    efficiency: f64,
}

#[derive(Serialize)]
struct GrainRow {
    backend: &'static str,
    threads: usize,
    block_terms: u64,
    blocks: u64,
    elements: u64,
    seconds: f64,
    elements_per_second: f64,
}

/// The median wall time of `repeats` whole runs of `kernel` on `backend`, after one run to warm up.
fn median_seconds<K: Kernel>(engine: &Engine, kernel: &K, backend: Backend, repeats: usize) -> hetero::Result<f64> {
    engine.run(kernel, backend)?;
    let mut times = Vec::with_capacity(repeats);
    for _ in 0..repeats {
        let start = Instant::now();
        engine.run(kernel, backend)?;
        times.push(start.elapsed().as_secs_f64());
    }
    times.sort_by(f64::total_cmp);
    Ok(times[times.len() / 2])
}

/// A kernel of the sweep, built at any size.
#[derive(Clone, Copy)]
enum Which {
    Pi,
    Simpson,
    Leibniz,
}

impl Which {
    const ALL: [Which; 3] = [Which::Pi, Which::Simpson, Which::Leibniz];

    fn name(self) -> &'static str {
        match self {
            Which::Pi => "pi",
            Which::Simpson => "simpson_exp",
            Which::Leibniz => "leibniz",
        }
    }

    /// The elements and median seconds of this kernel at about `size` elements (Simpson's `n` intervals
    /// are `n + 1` points).
    fn time(self, engine: &Engine, size: u64, backend: Backend, repeats: usize) -> hetero::Result<(u64, f64)> {
        fn timed<K: Kernel>(
            engine: &Engine,
            kernel: K,
            backend: Backend,
            repeats: usize,
        ) -> hetero::Result<(u64, f64)> {
            Ok((kernel.elements(), median_seconds(engine, &kernel, backend, repeats)?))
        }
        match self {
            Which::Pi => timed(engine, MonteCarloPi::new(size, 42)?, backend, repeats),
            Which::Simpson => timed(engine, Simpson::new(Function::Exp, 0.0, 1.0, size)?, backend, repeats),
            Which::Leibniz => timed(engine, Leibniz::new(size)?, backend, repeats),
        }
    }
}

/// The Leibniz sum with a block size of one's choosing, for the grain-size experiment: the same work cut
/// into blocks of `block` terms (a plain loop over Neumaier lanes, the same per term whatever the block).
struct Grain {
    terms: u64,
    block: u64,
}

impl Kernel for Grain {
    type Partial = ExactSum;
    type Output = f64;

    fn name(&self) -> &str {
        "grain"
    }

    fn blocks(&self) -> u64 {
        self.terms.div_ceil(self.block)
    }

    fn block(&self, index: u64) -> ExactSum {
        let first = index * self.block;
        let end = (first + self.block).min(self.terms);
        let mut lanes = [Neumaier::default(); 8];
        for k in first..end {
            let term = if k % 2 == 0 { 4.0 } else { -4.0 } / (2 * k + 1) as f64;
            lanes[(k % 8) as usize].add(term);
        }
        hetero::sum::lanes_to_exact(&lanes)
    }

    fn finish(&self, total: ExactSum) -> f64 {
        total.value()
    }

    fn elements(&self) -> u64 {
        self.terms
    }
}

/// `--out` could not be written.
fn write_error(path: &Path, e: impl std::fmt::Display) -> hetero::Error {
    hetero::Error::InvalidParameter {
        what: "--out",
        why: format!("cannot write {}: {e}", path.display()),
    }
}

fn write_csv<R: Serialize>(path: &Path, rows: &[R]) -> hetero::Result<()> {
    let mut writer = csv::Writer::from_path(path).map_err(|e| write_error(path, e))?;
    for row in rows {
        writer.serialize(row).map_err(|e| write_error(path, e))?;
    }
    writer.flush().map_err(|e| write_error(path, e))
}

/// One line of a plot: its name and its points.
type Line = (String, Vec<(f64, f64)>);

/// A line plot of `lines` on logarithmic (or, for `x_log == false`, linear) x and y axes.
fn plot(path: &Path, title: &str, axes: (&str, &str), x_log: bool, lines: &[Line]) -> hetero::Result<()> {
    let points = || lines.iter().flat_map(|(_, p)| p.iter().copied());
    let (x_min, x_max) = points().fold((f64::MAX, f64::MIN), |(lo, hi), (x, _)| (lo.min(x), hi.max(x)));
    let (y_min, y_max) = points().fold((f64::MAX, f64::MIN), |(lo, hi), (_, y)| (lo.min(y), hi.max(y)));
    if !(x_min < x_max && y_min > 0.0 && y_min <= y_max) {
        return Err(write_error(path, "too few points to plot"));
    }
    let draw = || -> Result<(), Box<dyn std::error::Error>> {
        let root = SVGBackend::new(path, (900, 560)).into_drawing_area();
        root.fill(&WHITE)?;
        let mut builder = ChartBuilder::on(&root);
        builder
            .caption(title, ("sans-serif", 22))
            .margin(12)
            .x_label_area_size(44)
            .y_label_area_size(80);
        let y_range = (y_min / 1.3..y_max * 1.3).log_scale();
        if x_log {
            let mut chart = builder.build_cartesian_2d((x_min / 1.2..x_max * 1.2).log_scale(), y_range)?;
            chart
                .configure_mesh()
                .x_desc(axes.0)
                .y_desc(axes.1)
                .label_style(("sans-serif", 14))
                .x_label_formatter(&|x| engineering(*x))
                .y_label_formatter(&|y| engineering(*y))
                .draw()?;
            draw_lines(&mut chart, lines)?;
        } else {
            let mut chart = builder.build_cartesian_2d(x_min - 0.2..x_max + 0.2, y_range)?;
            chart
                .configure_mesh()
                .x_desc(axes.0)
                .y_desc(axes.1)
                .label_style(("sans-serif", 14))
                .y_label_formatter(&|y| engineering(*y))
                .draw()?;
            draw_lines(&mut chart, lines)?;
        }
        root.present()?;
        Ok(())
    };
    draw().map_err(|e| write_error(path, e))
}

/// `v` with an SI prefix: 1.5k, 20M, 3G.
fn engineering(v: f64) -> String {
    let (scaled, prefix) = [(1e12, "T"), (1e9, "G"), (1e6, "M"), (1e3, "k")]
        .iter()
        .find(|(scale, _)| v.abs() >= *scale)
        .map_or((v, ""), |&(scale, prefix)| (v / scale, prefix));
    let digits = if scaled.abs() >= 10.0 || scaled.fract() == 0.0 {
        0
    } else {
        1
    };
    format!("{scaled:.digits$}{prefix}")
}

fn draw_lines<'a, X, Y>(
    chart: &mut ChartContext<'a, SVGBackend<'a>, Cartesian2d<X, Y>>,
    lines: &[Line],
) -> Result<(), Box<dyn std::error::Error>>
where
    X: Ranged<ValueType = f64>,
    Y: Ranged<ValueType = f64>,
{
    for (i, (name, points)) in lines.iter().enumerate() {
        let color = Palette99::pick(i).to_rgba();
        chart
            .draw_series(LineSeries::new(points.iter().copied(), color.stroke_width(2)))?
            .label(name.as_str())
            .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], color.stroke_width(2)));
        chart.draw_series(points.iter().map(|&p| Circle::new(p, 3, color.filled())))?;
    }
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::UpperLeft)
        .background_style(WHITE.mix(0.85))
        .border_style(BLACK)
        .draw()?;
    Ok(())
}

/// The first size at which `faster`'s time is below `slower`'s and stays below at every larger size.
fn crossover(rows: &[SizeRow], kernel: &str, faster: &str, slower: &str) -> Option<u64> {
    let seconds = |backend: &str| -> Vec<(u64, f64)> {
        rows.iter()
            .filter(|r| r.kernel == kernel && r.backend == backend)
            .map(|r| (r.elements, r.seconds))
            .collect()
    };
    let (fast, slow) = (seconds(faster), seconds(slower));
    let wins: Vec<(u64, bool)> = fast.iter().zip(&slow).map(|(&(n, f), &(_, s))| (n, f < s)).collect();
    let last_loss = wins.iter().rposition(|&(_, win)| !win);
    match last_loss {
        None => wins.first().map(|&(n, _)| n),
        Some(i) => wins.get(i + 1).map(|&(n, _)| n),
    }
}

/// Runs the sweeps, writes the CSV files and plots into `--out`, and returns the summary to print.
pub fn bench(args: &BenchArgs) -> hetero::Result<String> {
    let sizes: Vec<u64> = std::iter::successors(Some(MIN_SIZE), |&n| n.checked_mul(4))
        .take_while(|&n| n <= args.max_size)
        .collect();
    // Checked before any work: a sweep must have two sizes to plot, and its files a place to go.
    if sizes.len() < 2 {
        return Err(hetero::Error::InvalidParameter {
            what: "--max-size",
            why: format!(
                "must be at least {} (the sweep goes from {MIN_SIZE} by factors of 4)",
                MIN_SIZE * 4
            ),
        });
    }
    let out = &args.out;
    std::fs::create_dir_all(out).map_err(|e| write_error(out, e))?;
    let probe = out.join(format!(".hetero-write-test-{}", std::process::id()));
    std::fs::write(&probe, b"").map_err(|e| write_error(out, e))?;
    let _ = std::fs::remove_file(&probe);
    let engine = Engine::builder()
        .threads(args.threads)
        .adapter(args.adapter.clone())
        .build()?;
    let mut backends = Backend::CPU.to_vec();
    let mut notes = Vec::new();
    match engine.gpu() {
        Ok(_) => backends.push(Backend::Gpu),
        Err(e) => notes.push(format!("gpu left out: {e}")),
    }
    let max = *sizes.last().unwrap_or(&MIN_SIZE);

    // Throughput against size, every backend.
    let mut size_rows = Vec::new();
    for which in Which::ALL {
        for &backend in &backends {
            for &size in &sizes {
                let (elements, seconds) = which.time(&engine, size, backend, args.repeats)?;
                size_rows.push(SizeRow {
                    kernel: which.name(),
                    backend: backend.name(),
                    threads: engine.threads_for(backend),
                    elements,
                    seconds,
                    elements_per_second: elements as f64 / seconds,
                });
            }
        }
    }

    // Speed-up against threads, at the largest size.
    let most_threads = args.threads.unwrap_or_else(|| engine.threads());
    let mut thread_rows = Vec::new();
    for which in Which::ALL {
        let (elements, serial) = which.time(&engine, max, Backend::Serial, args.repeats)?;
        for backend in [Backend::Rayon, Backend::Threads] {
            for threads in 1..=most_threads {
                let (_, seconds) = which.time(&Engine::with_threads(threads)?, max, backend, args.repeats)?;
                thread_rows.push(ThreadRow {
                    kernel: which.name(),
                    backend: backend.name(),
                    threads,
                    elements,
                    seconds,
                    speedup: serial / seconds,
                    efficiency: serial / seconds / threads as f64,
                });
            }
        }
    }

    // The same work in blocks of every size.
    let grain_terms = max.max(*GRAIN_SIZES.last().unwrap_or(&HETERO_BLOCK));
    let mut grain_rows = Vec::new();
    for backend in [Backend::Serial, Backend::Rayon] {
        for block in GRAIN_SIZES {
            let kernel = Grain {
                terms: grain_terms,
                block,
            };
            let seconds = median_seconds(&engine, &kernel, backend, args.repeats)?;
            grain_rows.push(GrainRow {
                backend: backend.name(),
                threads: engine.threads_for(backend),
                block_terms: block,
                blocks: kernel.blocks(),
                elements: grain_terms,
                seconds,
                elements_per_second: grain_terms as f64 / seconds,
            });
        }
    }

    let path = |name: &str| -> PathBuf { out.join(name) };
    write_csv(&path("sizes.csv"), &size_rows)?;
    write_csv(&path("threads.csv"), &thread_rows)?;
    write_csv(&path("grain.csv"), &grain_rows)?;
    let mut files = vec!["sizes.csv".to_owned(), "threads.csv".to_owned(), "grain.csv".to_owned()];
    let mut summary = Vec::new();
    for which in Which::ALL {
        let lines: Vec<Line> = backends
            .iter()
            .map(|b| {
                let points = size_rows
                    .iter()
                    .filter(|r| r.kernel == which.name() && r.backend == b.name())
                    .map(|r| (r.elements as f64, r.elements_per_second))
                    .collect();
                (format!("{} ({} threads)", b.name(), engine.threads_for(*b)), points)
            })
            .collect();
        let name = format!("sizes-{}.svg", which.name());
        plot(
            &path(&name),
            &format!("{}: throughput against size", which.name()),
            ("elements", "elements per second"),
            true,
            &lines,
        )?;
        files.push(name);
        let crossings: Vec<String> = backends[1..]
            .iter()
            .map(|b| {
                let at = crossover(&size_rows, which.name(), b.name(), "serial")
                    .map_or_else(|| "never up to the largest size".to_owned(), |n| format!("from {n}"));
                format!("{} {at}", b.name())
            })
            .collect();
        summary.push(format!(
            "{:<12} faster than serial: {}",
            which.name(),
            crossings.join("; ")
        ));
    }
    let mut lines: Vec<Line> = Vec::new();
    for which in Which::ALL {
        for backend in ["rayon", "threads"] {
            let points = thread_rows
                .iter()
                .filter(|r| r.kernel == which.name() && r.backend == backend)
                .map(|r| (r.threads as f64, r.speedup))
                .collect();
            lines.push((format!("{} {backend}", which.name()), points));
        }
    }
    lines.push((
        "ideal".to_owned(),
        (1..=most_threads).map(|t| (t as f64, t as f64)).collect(),
    ));
    if most_threads > 1 {
        plot(
            &path("threads.svg"),
            &format!("speed-up over serial against threads ({max} elements)"),
            ("threads", "speed-up"),
            false,
            &lines,
        )?;
        files.push("threads.svg".to_owned());
    } else {
        notes.push("threads.svg left out: one thread only".to_owned());
    }
    let grain_lines: Vec<Line> = ["serial", "rayon"]
        .iter()
        .map(|&backend| {
            let points = grain_rows
                .iter()
                .filter(|r| r.backend == backend)
                .map(|r| (r.block_terms as f64, r.elements_per_second))
                .collect();
            (backend.to_owned(), points)
        })
        .collect();
    plot(
        &path("grain.svg"),
        &format!("{grain_terms} Leibniz terms cut into blocks of each size (hetero's: {HETERO_BLOCK})"),
        ("terms per block", "terms per second"),
        true,
        &grain_lines,
    )?;
    files.push("grain.svg".to_owned());
    for backend in ["serial", "rayon"] {
        let rate = |block: u64| {
            grain_rows
                .iter()
                .find(|r| r.backend == backend && r.block_terms == block)
                .map_or(f64::NAN, |r| r.elements_per_second)
        };
        let best = grain_rows
            .iter()
            .filter(|r| r.backend == backend)
            .map(|r| r.elements_per_second)
            .fold(0.0, f64::max);
        summary.push(format!(
            "grain {backend:<7} blocks of {}: {:.0}% of the best block size; blocks of {}: {:.0}%",
            GRAIN_SIZES[0],
            100.0 * rate(GRAIN_SIZES[0]) / best,
            HETERO_BLOCK,
            100.0 * rate(HETERO_BLOCK) / best
        ));
    }
    let mut text = summary.join("\n");
    text += &format!("\nwrote {} in {}", files.join(", "), out.display());
    for note in notes {
        text += &format!("\n{note}");
    }
    text.push('\n');
    Ok(text)
}
