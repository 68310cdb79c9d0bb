//! Monte Carlo π on the Philox4x32-10 stream, with an exact integer hit test.
//!
//! # The stream (a public contract)
//!
//! Call `i` of the stream is `philox4x32_10([i mod 2^32, i div 2^32, 0, 0], [seed mod 2^32, seed div 2^32])`.
//! Its four words `r0, r1, r2, r3` give sample `2i = (r0, r1)` and sample `2i + 1 = (r2, r3)`. A sample `(x, y)`
//! of 32-bit unsigned integers is a hit iff `x² + y² < 2^64`, decided in exact integer arithmetic. The
//! estimate is `4 · hits / N` over samples `0 .. N`. The hit count is therefore a pure function of
//! `(seed, N)`, and every backend must reproduce it exactly.

use crate::kernel::{Measure, Verify};
use crate::program::{GpuCaps, GpuKernel, GpuProgram, Precision, assemble, param_words, u64_words};
use crate::rng::{counter_for_call, key_from_seed, philox4x32_10, philox4x32_10_lanes};
use crate::shaders;
use crate::wire::Wire;
use crate::{Error, Kernel, Partial, Result};

/// Samples per block (even, so that a block starts on a whole Philox call).
pub(crate) const BLOCK_SAMPLES: u64 = 1 << 16;

/// Monte Carlo estimate of π from `samples` points of the stream of `seed`.
#[derive(Clone, Debug)]
pub struct MonteCarloPi {
    samples: u64,
    seed: u64,
}

/// Hits among samples: the partial of [`MonteCarloPi`].
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Hits {
    /// Samples inside the quarter circle.
    pub hits: u64,
    /// Samples drawn.
    pub samples: u64,
}

impl Partial for Hits {
    fn combine(self, right: Self) -> Self {
        Hits {
            hits: self.hits + right.hits,
            samples: self.samples + right.samples,
        }
    }
}

/// The outcome of [`MonteCarloPi`].
#[derive(Clone, Copy, Debug, PartialEq, serde::Serialize)]
#[non_exhaustive]
pub struct PiEstimate {
    /// Samples drawn.
    pub samples: u64,
    /// Samples inside the quarter circle.
    pub hits: u64,
    /// The seed of the stream.
    pub seed: u64,
    /// `4 · hits / samples`.
    pub value: f64,
    /// Standard error of the estimate, `4 · sqrt(p (1 − p) / N)` with `p = hits / N`.
    pub std_error: f64,
    /// The 95% confidence interval `value ± 1.96 · std_error`.
    pub ci95: (f64, f64),
}

impl MonteCarloPi {
    /// A problem of `samples ≥ 1` samples from the stream of `seed`.
    pub fn new(samples: u64, seed: u64) -> Result<Self> {
        if samples == 0 {
            return Err(Error::invalid("samples", "must be at least 1"));
        }
        Ok(MonteCarloPi { samples, seed })
    }

    /// Samples drawn.
    pub fn samples(&self) -> u64 {
        self.samples
    }

    /// The seed of the stream.
    pub fn seed(&self) -> u64 {
        self.seed
    }

    /// The first sample of block `index` and how many samples it has.
    fn block_extent(&self, index: u64) -> (u64, u64) {
        let first = index * BLOCK_SAMPLES;
        (first, BLOCK_SAMPLES.min(self.samples - first))
    }

    /// Hits among samples `first .. first + count` of the stream, computed directly: the definition that
    /// every backend, CPU or GPU, must match.
    pub fn count_samples(&self, first: u64, count: u64) -> Hits {
        let key = key_from_seed(self.seed);
        let end = first + count;
        let mut hits = 0u64;
        let mut s = first;
        if s % 2 == 1 && s < end {
            let r = philox4x32_10(counter_for_call(s / 2), key);
            hits += u64::from(is_hit(r[2], r[3]));
            s += 1;
        }
        let whole_calls = (end - s) / 2;
        hits += count_calls(key, s / 2, whole_calls);
        s += 2 * whole_calls;
        if s < end {
            let r = philox4x32_10(counter_for_call(s / 2), key);
            hits += u64::from(is_hit(r[0], r[1]));
        }
        Hits { hits, samples: count }
    }
}

/// `x² + y² < 2^64`, exactly: `y² < 2^64`, so the test is `x² < 2^64 − y²`, i.e. `x² ≤ !y²`.
#[inline(always)]
pub(crate) fn is_hit(x: u32, y: u32) -> bool {
    let (x, y) = (u64::from(x), u64::from(y));
    x * x <= !(y * y)
}

#[cfg(target_arch = "x86_64")]
mod x86;

/// Hits among the samples of `calls` whole Philox calls starting at call `first`, on the widest vector unit
/// this processor has.
fn count_calls(key: [u32; 2], first: u64, calls: u64) -> u64 {
    #[cfg(target_arch = "x86_64")]
    {
        let rest = count_calls_portable;
        let vector =
            x86::count_calls_avx512(key, first, calls, rest).or_else(|| x86::count_calls_avx2(key, first, calls, rest));
        if let Some(hits) = vector {
            return hits;
        }
    }
    count_calls_portable(key, first, calls)
}

/// Calls generated together by the portable loop.
const CALL_LANES: usize = 16;

/// [`count_calls`] for any processor: [`CALL_LANES`] calls at a time, written lane by lane for the
/// compiler to vectorize, then one at a time.
fn count_calls_portable(key: [u32; 2], first: u64, calls: u64) -> u64 {
    let end = first + calls;
    let mut lane_hits = [0u32; CALL_LANES];
    let mut hits = 0u64;
    let mut i = first;
    while i + CALL_LANES as u64 <= end {
        let lo: [u32; CALL_LANES] = std::array::from_fn(|l| (i + l as u64) as u32);
        let hi: [u32; CALL_LANES] = std::array::from_fn(|l| ((i + l as u64) >> 32) as u32);
        let r = philox4x32_10_lanes(lo, hi, key);
        for l in 0..CALL_LANES {
            lane_hits[l] += u32::from(is_hit(r[0][l], r[1][l])) + u32::from(is_hit(r[2][l], r[3][l]));
        }
        i += CALL_LANES as u64;
        // Lane counts grow by at most 2 per chunk: fold them into the total long before u32 could wrap.
        if (i - first).is_multiple_of(1 << 24) {
            hits += lane_hits.iter().map(|&h| u64::from(h)).sum::<u64>();
            lane_hits = [0; CALL_LANES];
        }
    }
    hits += lane_hits.iter().map(|&h| u64::from(h)).sum::<u64>();
    for i in i..end {
        let r = philox4x32_10(counter_for_call(i), key);
        hits += u64::from(is_hit(r[0], r[1])) + u64::from(is_hit(r[2], r[3]));
    }
    hits
}

impl Kernel for MonteCarloPi {
    type Partial = Hits;
    type Output = PiEstimate;

    fn name(&self) -> &str {
        "pi"
    }

    fn blocks(&self) -> u64 {
        self.samples.div_ceil(BLOCK_SAMPLES)
    }

    fn block(&self, index: u64) -> Hits {
        let (first, count) = self.block_extent(index);
        self.count_samples(first, count)
    }

    fn finish(&self, total: Hits) -> PiEstimate {
        let n = total.samples as f64;
        let p = total.hits as f64 / n;
        let value = 4.0 * p;
        let std_error = 4.0 * (p * (1.0 - p) / n).sqrt();
        PiEstimate {
            samples: total.samples,
            hits: total.hits,
            seed: self.seed,
            value,
            std_error,
            ci95: (value - 1.96 * std_error, value + 1.96 * std_error),
        }
    }

    /// The first blocks are the first samples of the same stream: the output equals a run of that many
    /// samples.
    fn finish_prefix(&self, total: Hits, _blocks: u64) -> Option<PiEstimate> {
        (total.samples > 0).then(|| self.finish(total))
    }

    fn elements(&self) -> u64 {
        self.samples
    }

    fn elements_in(&self, blocks: u64) -> u64 {
        blocks.saturating_mul(BLOCK_SAMPLES).min(self.samples)
    }

    fn gpu(&self) -> Option<&dyn GpuKernel<Partial = Hits>> {
        Some(self)
    }
}

/// The shader's `Params` (shaders/monte_carlo_pi.wgsl), field for field.
#[repr(C)]
#[derive(Clone, Copy, bytemuck::Pod, bytemuck::Zeroable)]
struct PiParams {
    /// `[seed mod 2^32, seed div 2^32]`.
    key: [u32; 2],
    last_block: [u32; 2],
    last_block_samples: u32,
    pad: [u32; 3],
}

impl GpuKernel for MonteCarloPi {
    type Partial = Hits;

    /// One workgroup per block, the same stream and the same exact hit test in integer arithmetic: the hit
    /// counts equal the CPU's. Philox's 64-bit products are native where the device has 64-bit integers,
    /// built from 16-bit limbs elsewhere.
    fn program(&self, caps: &GpuCaps) -> Result<GpuProgram<'_, Hits>> {
        let last_block = self.blocks() - 1;
        let last_block_samples = (self.samples - last_block * BLOCK_SAMPLES) as u32;
        let key = key_from_seed(self.seed);
        let params = param_words(&PiParams {
            key,
            last_block: u64_words(last_block),
            last_block_samples,
            pad: [0; 3],
        });
        let wgsl = assemble(
            Precision::Exact,
            &[
                shaders::BLOCK,
                if caps.shader_int64 {
                    shaders::PHILOX_INT64
                } else {
                    shaders::PHILOX
                },
                shaders::MONTE_CARLO_PI,
            ],
            "main",
        );
        Ok(
            GpuProgram::new(wgsl, Precision::Exact, params, 1, move |block, words| Hits {
                hits: u64::from(words[0]),
                samples: self.block_extent(block).1,
            })
            .with_dispatch_fold(move |first, words| Hits {
                hits: words.iter().map(|&hits| u64::from(hits)).sum(),
                samples: (first..first + words.len() as u64)
                    .map(|b| self.block_extent(b).1)
                    .sum(),
            }),
        )
    }
}

impl Verify for MonteCarloPi {
    fn measure_partial(&self, partial: &Hits) -> Measure {
        Measure {
            exact: vec![partial.hits, partial.samples],
            value: partial.hits as f64,
        }
    }

    fn measure_output(&self, output: &PiEstimate) -> Measure {
        Measure {
            exact: vec![output.hits, output.samples],
            value: output.value,
        }
    }

    /// None: hit counts are integers on the GPU too.
    fn gpu_allowance(&self, _precision: Precision) -> Option<f64> {
        None
    }

    fn stamp_line(&self, output: &PiEstimate) -> String {
        format!("samples={} seed={}", output.samples, output.seed)
    }
}

impl Wire for Hits {
    const WORDS: usize = 2;
    const SUMMABLE: bool = true;
    fn to_words(&self) -> Vec<u64> {
        vec![self.hits, self.samples]
    }
    /// `None` also for more hits than samples (no run counts those).
    fn from_words(words: &[u64]) -> Option<Self> {
        match words {
            [hits, samples] if hits <= samples => Some(Hits {
                hits: *hits,
                samples: *samples,
            }),
            _ => None,
        }
    }
}

impl crate::kernel::Resumable for MonteCarloPi {
    fn problem(&self) -> Option<String> {
        Some(format!("pi samples={} seed={}", self.samples, self.seed))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hits_round_trip_through_words() {
        let hits = Hits {
            hits: 3,
            samples: u64::MAX,
        };
        assert_eq!(Hits::from_words(&hits.to_words()), Some(hits));
        assert!(Hits::from_words(&[1]).is_none());
        assert!(Hits::from_words(&[4, 3]).is_none(), "more hits than samples");
    }

    #[test]
    fn hit_test_is_exact_at_the_boundary() {
        // 2^64 − 1 = (2^32 − 1)² + (2^33 − 2): the largest x² + y² below 2^64 is a hit.
        let max = u32::MAX;
        assert!(is_hit(max, 0));
        assert!(is_hit(0, max));
        assert!(!is_hit(max, max));
        // x² + y² = 2^64 exactly is a miss: 2^32 does not fit u32, so check x = y = 2^31·√2 neighbours
        // with 128-bit arithmetic instead.
        for (x, y) in [
            (3_037_000_499u32, 3_037_000_499u32),
            (3_037_000_500, 3_037_000_500),
            (1 << 31, 3_719_550_786),
        ] {
            let exact = u128::from(x) * u128::from(x) + u128::from(y) * u128::from(y) < 1u128 << 64;
            assert_eq!(is_hit(x, y), exact, "({x}, {y})");
        }
    }

    #[test]
    fn samples_follow_the_documented_stream() {
        let kernel = MonteCarloPi::new(7, 99).unwrap();
        let key = key_from_seed(99);
        let mut expected = 0;
        for s in 0..7u64 {
            let r = philox4x32_10([(s / 2) as u32, 0, 0, 0], key);
            let (x, y) = if s % 2 == 0 { (r[0], r[1]) } else { (r[2], r[3]) };
            let wide = u128::from(x).pow(2) + u128::from(y).pow(2);
            expected += u64::from(wide < 1u128 << 64);
        }
        assert_eq!(kernel.count_samples(0, 7).hits, expected);
        // Any split of a range gives the same count, odd boundaries included.
        for cut in 0..=7 {
            let left = kernel.count_samples(0, cut);
            let right = kernel.count_samples(cut, 7 - cut);
            assert_eq!(left.hits + right.hits, expected, "cut at {cut}");
        }
    }

    fn one_call_at_a_time(key: [u32; 2], first: u64, calls: u64) -> u64 {
        (first..first + calls)
            .map(|i| {
                let r = philox4x32_10(counter_for_call(i), key);
                u64::from(is_hit(r[0], r[1])) + u64::from(is_hit(r[2], r[3]))
            })
            .sum()
    }

    #[test]
    fn every_vector_version_counts_the_same_hits() {
        let key = key_from_seed(77);
        // Ranges across the high counter word, with ragged tails after the vector loops.
        for (first, calls) in [
            ((1u64 << 32) - 1000, 5_003),
            ((1 << 32) - 20, 40),
            (3, 0),
            (0, 1),
            (9, 97),
        ] {
            let scalar = one_call_at_a_time(key, first, calls);
            assert_eq!(
                count_calls_portable(key, first, calls),
                scalar,
                "portable at {first}+{calls}"
            );
            assert_eq!(count_calls(key, first, calls), scalar, "best at {first}+{calls}");
            #[cfg(target_arch = "x86_64")]
            {
                let rest = one_call_at_a_time;
                if let Some(avx2) = x86::count_calls_avx2(key, first, calls, rest) {
                    assert_eq!(avx2, scalar, "AVX2 at {first}+{calls}");
                }
                if let Some(avx512) = x86::count_calls_avx512(key, first, calls, rest) {
                    assert_eq!(avx512, scalar, "AVX-512 at {first}+{calls}");
                }
            }
        }
    }

    #[test]
    fn zero_samples_is_an_error() {
        assert!(MonteCarloPi::new(0, 1).is_err());
    }
}
