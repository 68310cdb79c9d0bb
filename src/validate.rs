//! The agreement rules between backends, in one place, and the checks built on them: comparing whole
//! runs ([`compare`]) and recomputing a sample of a run's blocks elsewhere ([`validate`]).
//!
//! # The rules
//!
//! - Results computed exactly, on any backend, must be **equal**: Monte Carlo hit counts (integer
//!   arithmetic everywhere, the GPU included), and every CPU result (the same blocks combined in the same
//!   order give the same bits).
//! - A floating-point GPU result must lie **within the bound** derived for the precision it used
//!   ([`Verify::gpu_allowance`]: `Simpson::gpu_bound`, `Leibniz::gpu_bound`); two GPU results, within the
//!   sum of their bounds. The kernel's own error estimate (sampling error, Richardson, truncation) is
//!   reported beside it: it says how far both are from the true value, not from each other.
//!
//! A kernel with no derived bound is held to equality on the GPU too.

use std::collections::BTreeSet;
use std::fmt;

use crate::control::Control;
use crate::gpu::GpuReport;
use crate::program::Precision;
use crate::rng::philox4x32_10;
use crate::{Backend, Engine, Error, Result, Run};

pub use crate::kernel::{Measure, Verify};

/// A reproducibility stamp: the first 16 hex digits of the SHA-256 of hetero's version, the kernel's
/// name, the problem (its parameters and seed) and the result's exact words. Equal stamps mean the same
/// problem gave the same bits; any backend with exact arithmetic gives the same stamp.
///
/// ```
/// use hetero::{Backend, Engine, kernels::MonteCarloPi, validate::stamp};
///
/// let engine = Engine::with_threads(2)?;
/// let kernel = MonteCarloPi::new(1_000_000, 3)?;
/// let serial = engine.run(&kernel, Backend::Serial)?;
/// let threads = engine.run(&kernel, Backend::Threads)?;
/// assert_eq!(stamp(&kernel, &serial.output), stamp(&kernel, &threads.output));
/// assert_eq!(stamp(&kernel, &serial.output).len(), 16);
/// # Ok::<(), hetero::Error>(())
/// ```
pub fn stamp<K: Verify>(kernel: &K, output: &K::Output) -> String {
    use sha2::{Digest, Sha256};
    let mut hasher = Sha256::new();
    hasher.update(format!("hetero {}\n", env!("CARGO_PKG_VERSION")));
    hasher.update(format!("kernel {}\n", kernel.name()));
    hasher.update(format!("problem {}\n", kernel.stamp_line(output)));
    for word in kernel.measure_output(output).exact {
        hasher.update(word.to_le_bytes());
    }
    hasher.finalize()[..8].iter().map(|b| format!("{b:02x}")).collect()
}

/// What one backend's result must satisfy against another's.
#[derive(Clone, Copy, Debug, PartialEq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
#[non_exhaustive]
pub enum Rule {
    /// Equal bit for bit.
    Equal,
    /// Values within this absolute distance.
    Within(f64),
}

/// The rule between results computed in precisions `a` and `b` (`None`: exactly).
pub(crate) fn rule<K: Verify>(kernel: &K, a: Option<Precision>, b: Option<Precision>) -> Rule {
    let allowance = |p: Option<Precision>| match p {
        None => Some(0.0),
        Some(p) => kernel.gpu_allowance(p),
    };
    match (a, b, allowance(a), allowance(b)) {
        (None, None, ..) => Rule::Equal,
        (_, _, Some(x), Some(y)) => Rule::Within(x + y),
        _ => Rule::Equal,
    }
}

/// The outcome of checking one result against another.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
#[non_exhaustive]
pub struct Verdict {
    /// Whether the rule holds.
    pub agree: bool,
    /// The rule applied.
    pub rule: Rule,
    /// Whether the two are equal bit for bit.
    pub equal: bool,
    /// `|a − b|` of the values.
    pub difference: f64,
}

impl Verdict {
    /// Checks `a` against `b` under `rule`.
    pub fn check(rule: Rule, a: &Measure, b: &Measure) -> Verdict {
        let equal = a.exact == b.exact;
        let difference = (a.value - b.value).abs();
        let agree = match rule {
            Rule::Equal => equal,
            Rule::Within(bound) => equal || difference <= bound,
        };
        Verdict {
            agree,
            rule,
            equal,
            difference,
        }
    }
}

impl fmt::Display for Verdict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.agree, self.equal, self.rule) {
            (_, true, _) => f.write_str("equal"),
            (true, false, Rule::Within(bound)) => write!(f, "within bound ({:.2e} ≤ {bound:.2e})", self.difference),
            (false, _, Rule::Within(bound)) => write!(f, "DIFFERS by {:.3e} > {bound:.3e}", self.difference),
            (_, false, Rule::Equal) => write!(f, "DIFFERS by {:.3e} (must be equal)", self.difference),
        }
    }
}

/// Every backend's run of one problem, each checked against the reference run.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct Comparison<T> {
    /// One run per backend, in the order asked for.
    pub runs: Vec<Run<T>>,
    /// The index in `runs` of the reference: serial when it ran, else the first.
    pub reference: usize,
    /// Each run checked against the reference (the reference against itself).
    pub verdicts: Vec<Verdict>,
    /// The backend whose run was stopped (through the [`Control`] of [`compare_with`]), if one was: it
    /// and the backends after it are not in `runs`.
    pub interrupted: Option<Backend>,
}

impl<T> Comparison<T> {
    /// Whether every run agrees with the reference.
    pub fn agree(&self) -> bool {
        self.verdicts.iter().all(|v| v.agree)
    }

    /// One line per disagreement, naming the backends and the difference.
    pub fn disagreements(&self) -> Vec<String> {
        let Some(reference) = self.runs.get(self.reference).map(|r| r.backend) else {
            return Vec::new();
        };
        self.runs
            .iter()
            .zip(&self.verdicts)
            .filter(|(_, v)| !v.agree)
            .map(|(run, v)| format!("{} and {reference} disagree: {v}", run.backend))
            .collect()
    }
}

/// The blocks a validation recomputes: about 1% of them, at least 4 (or all, when there are fewer), at
/// most 1000, drawn with Philox4x32-10 from `seed`, in increasing order.
pub(crate) fn sample_blocks(blocks: u64, seed: u64) -> Vec<u64> {
    let wanted = (blocks / 100).clamp(4, 1000).min(blocks);
    let mut chosen = BTreeSet::new();
    let key = [seed as u32, (seed >> 32) as u32];
    let mut call = 0u32;
    while (chosen.len() as u64) < wanted {
        let r = philox4x32_10([call, 0x7a11_da7e, 0, 0], key);
        call = call.wrapping_add(1);
        let x = u64::from(r[0]) | (u64::from(r[1]) << 32);
        // Multiply-shift maps 64 random bits onto 0..blocks with a bias below 2^-64 · blocks.
        chosen.insert(((u128::from(x) * u128::from(blocks)) >> 64) as u64);
    }
    chosen.into_iter().collect()
}

/// A sample of a run's blocks recomputed on another backend.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
#[non_exhaustive]
pub struct Validation {
    /// The backend checked.
    pub backend: Backend,
    /// The backend it was checked against.
    pub against: Backend,
    /// The blocks recomputed.
    pub blocks: Vec<u64>,
    /// Those whose partials disagree, with the verdict.
    pub failures: Vec<(u64, Verdict)>,
    /// The largest difference found.
    pub largest_difference: f64,
}

impl Validation {
    /// Whether every sampled block agrees.
    pub fn agree(&self) -> bool {
        self.failures.is_empty()
    }
}

/// Runs `kernel` on each of `backends` and checks each result against the reference (serial when
/// listed, else the first) under the [rules](self). Fewer than two backends are bad input: one run alone
/// agrees with nothing.
///
/// ```
/// use hetero::{Backend, Engine, kernels::MonteCarloPi};
///
/// let engine = Engine::with_threads(2)?;
/// let kernel = MonteCarloPi::new(3_000_000, 9)?;
/// let comparison = hetero::validate::compare(&engine, &kernel, &[Backend::Serial, Backend::Rayon, Backend::Threads])?;
/// assert!(comparison.agree());
/// assert!(comparison.runs.iter().all(|r| r.output.hits == comparison.runs[0].output.hits));
/// # Ok::<(), hetero::Error>(())
/// ```
pub fn compare<K: Verify>(engine: &Engine, kernel: &K, backends: &[Backend]) -> Result<Comparison<K::Output>> {
    compare_with(engine, kernel, backends, &Control::new())
}

/// [`compare`], each run reporting to and stopped by `control`. A run stopped before it was done is left
/// out (its result is of a smaller problem), the backends after it are not run, and
/// [`Comparison::interrupted`] names it: the comparison covers the runs that finished.
pub fn compare_with<K: Verify>(
    engine: &Engine,
    kernel: &K,
    backends: &[Backend],
    control: &Control,
) -> Result<Comparison<K::Output>> {
    if backends.len() < 2 {
        let named: Vec<&str> = backends.iter().map(|b| b.name()).collect();
        return Err(Error::invalid(
            "backends",
            format!(
                "a comparison needs two backends or more, not {} ({})",
                backends.len(),
                if named.is_empty() {
                    "none".to_owned()
                } else {
                    named.join(", ")
                }
            ),
        ));
    }
    let mut runs = Vec::with_capacity(backends.len());
    let mut interrupted = None;
    for &backend in backends {
        if control.stopped() {
            interrupted = Some(backend);
            break;
        }
        let run = engine.run_with(kernel, backend, control)?;
        if run.interrupted {
            interrupted = Some(backend);
            break;
        }
        runs.push(run);
    }
    let reference = runs.iter().position(|r| r.backend == Backend::Serial).unwrap_or(0);
    let verdicts = match runs.get(reference) {
        Some(base) => {
            let base_measure = kernel.measure_output(&base.output);
            runs.iter()
                .map(|run| {
                    let rule = rule(kernel, run.float_precision(), base.float_precision());
                    Verdict::check(rule, &kernel.measure_output(&run.output), &base_measure)
                })
                .collect()
        }
        None => Vec::new(),
    };
    Ok(Comparison {
        runs,
        reference,
        verdicts,
        interrupted,
    })
}

/// Recomputes a sample of `kernel`'s blocks (about 1%, at least 4, at most 1000, drawn with Philox from `seed`) on `backend` and on
/// `against`, one block at a time, and checks each pair of partials under the [rules](self). Cheap
/// insurance for a long run: about 1% of its blocks, twice.
pub fn validate<K: Verify>(
    engine: &Engine,
    kernel: &K,
    backend: Backend,
    against: Backend,
    seed: u64,
) -> Result<Validation> {
    let blocks = sample_blocks(kernel.blocks(), seed);
    let mut failures = Vec::new();
    let mut largest_difference: f64 = 0.0;
    for &block in &blocks {
        let (mine, my_report) = engine.reduce_reporting(kernel, backend, block..block + 1)?;
        let (theirs, their_report) = engine.reduce_reporting(kernel, against, block..block + 1)?;
        let (Some(mine), Some(theirs)) = (mine, theirs) else {
            continue;
        };
        let rule = rule(
            kernel,
            my_report.as_ref().and_then(GpuReport::float_precision),
            their_report.as_ref().and_then(GpuReport::float_precision),
        );
        let verdict = Verdict::check(rule, &kernel.measure_partial(&mine), &kernel.measure_partial(&theirs));
        largest_difference = largest_difference.max(verdict.difference);
        if !verdict.agree {
            failures.push((block, verdict));
        }
    }
    Ok(Validation {
        backend,
        against,
        blocks,
        failures,
        largest_difference,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kernels::{Leibniz, MonteCarloPi};

    #[test]
    fn samples_are_distinct_sorted_in_range_and_reproducible() {
        for blocks in [1, 3, 4, 5, 99, 1000, 123_456, 1 << 40] {
            let sample = sample_blocks(blocks, 7);
            let expected = (blocks / 100).clamp(4, 1000).min(blocks);
            assert_eq!(sample.len() as u64, expected, "blocks {blocks}");
            assert!(sample.windows(2).all(|w| w[0] < w[1]));
            assert!(sample.iter().all(|&b| b < blocks));
            assert_eq!(sample, sample_blocks(blocks, 7));
        }
        assert_ne!(sample_blocks(1 << 40, 7), sample_blocks(1 << 40, 8));
    }

    #[test]
    fn rules() {
        let kernel = Leibniz::new(1000).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(rule(&kernel, None, None), Rule::Equal);
        let f32_bound = kernel.gpu_bound(Precision::F32);
        assert_eq!(rule(&kernel, Some(Precision::F32), None), Rule::Within(f32_bound));
        let pi = MonteCarloPi::new(10, 1).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(rule(&pi, Some(Precision::F32), None), Rule::Equal);

        let a = Measure {
            exact: vec![1],
            value: 1.0,
        };
        let b = Measure {
            exact: vec![2],
            value: 1.0 + 1e-9,
        };
        assert!(Verdict::check(Rule::Equal, &a, &a).agree);
        assert!(!Verdict::check(Rule::Equal, &a, &b).agree);
        assert!(Verdict::check(Rule::Within(1e-8), &a, &b).agree);
        assert!(!Verdict::check(Rule::Within(1e-10), &a, &b).agree);
        assert!(
            Verdict::check(Rule::Within(1e-10), &a, &b)
                .to_string()
                .starts_with("DIFFERS")
        );
    }
}
