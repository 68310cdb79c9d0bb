//! The Leibniz series for π: `Σ_{k<N} 4·(−1)^k / (2k + 1)`.
//!
//! Terms are taken in pairs, `4/(4j+1) − 4/(4j+3) = 8 / ((4j+1)(4j+3))`: one division per two terms, and
//! every pair positive, so the sum has no cancellation. Pair `j` of a block goes to Neumaier lane `j mod 8`;
//! an odd `N` leaves one last positive term. The truncation error is below `4 / (2N + 1)`.

use crate::exact::ExactBins;
use crate::kernel::{Measure, Verify};
use crate::program::{
    GpuCaps, GpuKernel, GpuProgram, Precision, assemble, param_words, real_at, real_words, u64_words, unit_roundoff,
};
use crate::shaders;
use crate::simd::{self, LaneLoop, Lanes8, Token};
use crate::sum::{LANES, LaneSums, Neumaier, add_compensated, lanes_to_exact};
use crate::{Error, ExactSum, Kernel, Result};

use super::MAX_FLOAT_ELEMENTS;

/// Terms per block (even, so that pairs never straddle blocks).
pub(crate) const BLOCK_TERMS: u64 = 1 << 16;

/// The first `terms` terms of the Leibniz series.
#[derive(Clone, Debug)]
pub struct Leibniz {
    terms: u64,
}

/// The outcome of [`Leibniz`].
#[derive(Clone, Copy, Debug, PartialEq, serde::Serialize)]
#[non_exhaustive]
pub struct LeibnizEstimate {
    /// Terms summed.
    pub terms: u64,
    /// The partial sum.
    pub value: f64,
    /// The truncation bound `4 / (2N + 1)`: `|value − π|` is below it (up to rounding).
    pub bound: f64,
}

impl Leibniz {
    /// The first `terms` terms, `1 ≤ terms ≤ 2^53`.
    pub fn new(terms: u64) -> Result<Self> {
        if terms == 0 {
            return Err(Error::invalid("terms", "must be at least 1"));
        }
        if terms > MAX_FLOAT_ELEMENTS {
            return Err(Error::invalid("terms", format!("{terms} is above the maximum 2^53")));
        }
        Ok(Leibniz { terms })
    }

    /// Terms summed.
    pub fn terms(&self) -> u64 {
        self.terms
    }

    /// How far a GPU result in `precision` may lie from the CPU's: `16·u·π`, `u` the unit roundoff.
    ///
    /// Every pair `8/((4j+1)(4j+3))` is positive and costs at most five roundings (plus one on `j` itself
    /// in f32), each compensated partial sum adds about two more, and the exact combination none: 16 unit
    /// roundoffs of the sum, which is below π, cover both sides with room to spare.
    pub fn gpu_bound(&self, precision: Precision) -> f64 {
        16.0 * unit_roundoff(precision) * std::f64::consts::PI
    }
}

/// Terms `2j` and `2j + 1` together, `8 / ((4j+1)(4j+3))`, for `j` given as an (exact) `f64`.
#[inline(always)]
fn pair_at(j: f64) -> f64 {
    let q = 4.0 * j;
    8.0 / ((q + 1.0) * (q + 3.0))
}

/// Pairs `first .. end` in [`LANES`] Neumaier lanes, pair `j` in lane `j mod LANES` (`first` is a multiple
/// of `LANES`).
struct SumPairs {
    first: u64,
    end: u64,
}

impl LaneLoop for SumPairs {
    type Output = [Neumaier; LANES];

    #[inline(always)]
    fn run<V: Lanes8>(self, token: Token<V>) -> [Neumaier; LANES] {
        let lanes_count = LANES as u64;
        let eight = token.splat(8.0);
        // The lanes start at zero and every term is positive and smaller than the one before it in its
        // lane, so each lane's sum is zero or at least the term added to it: Fast2Sum's condition
        // (`add_ordered`, the same bits as TwoSum in four additions instead of seven).
        let mut sums = LaneSums::new(token);
        let mut j = self.first;
        // `pair_at`, lane by lane. While 4(j + l) + 3 stays within 2^53 the two odd numbers are exact
        // however they are formed: two additions form them, instead of three and a multiplication.
        if 4 * self.end + 3 <= 1 << 53 {
            let offsets = token.load(std::array::from_fn(|l| 4.0 * l as f64));
            let two = token.splat(2.0);
            while j + lanes_count <= self.end {
                let low = token.splat((4 * j + 1) as f64).add(offsets);
                sums.add_ordered(eight.div(low.mul(low.add(two))));
                j += lanes_count;
            }
        }
        // Beyond, they are rounded: formed exactly as `pair_at` forms them.
        let offsets = token.load(std::array::from_fn(|l| l as f64));
        let (one, three, four) = (token.splat(1.0), token.splat(3.0), token.splat(4.0));
        while j + lanes_count <= self.end {
            // j + l < 2^52 converts exactly, so adding l after the conversion is the same number.
            let q = four.mul(token.splat(j as f64).add(offsets));
            sums.add_ordered(eight.div(q.add(one).mul(q.add(three))));
            j += lanes_count;
        }
        let mut lanes = sums.lanes();
        while j < self.end {
            lanes[(j % lanes_count) as usize].add(pair_at(j as f64));
            j += 1;
        }
        lanes
    }
}

impl Kernel for Leibniz {
    type Partial = ExactSum;
    type Output = LeibnizEstimate;

    fn name(&self) -> &str {
        "leibniz"
    }

    fn blocks(&self) -> u64 {
        self.terms.div_ceil(BLOCK_TERMS)
    }

    fn block(&self, index: u64) -> ExactSum {
        let first = index * BLOCK_TERMS;
        let end = (first + BLOCK_TERMS).min(self.terms);
        let (first_pair, end_pair) = (first / 2, end / 2);
        let lanes = simd::run(SumPairs {
            first: first_pair,
            end: end_pair,
        });
        let mut sum = lanes_to_exact(&lanes);
        if end % 2 == 1 {
            sum.add(4.0 / (2.0 * (end - 1) as f64 + 1.0));
        }
        sum
    }

    fn finish(&self, total: ExactSum) -> LeibnizEstimate {
        LeibnizEstimate {
            terms: self.terms,
            value: total.value(),
            bound: 4.0 / (2.0 * self.terms as f64 + 1.0),
        }
    }

    /// The first blocks hold the first terms: the output equals a run of that many terms.
    fn finish_prefix(&self, total: ExactSum, blocks: u64) -> Option<LeibnizEstimate> {
        let terms = blocks.checked_mul(BLOCK_TERMS)?.min(self.terms);
        (terms > 0).then(|| Leibniz { terms }.finish(total))
    }

    fn elements(&self) -> u64 {
        self.terms
    }

    fn elements_in(&self, blocks: u64) -> u64 {
        blocks.saturating_mul(BLOCK_TERMS).min(self.terms)
    }

    fn gpu(&self) -> Option<&dyn GpuKernel<Partial = ExactSum>> {
        Some(self)
    }
}

/// The shader's `Params` (shaders/leibniz.wgsl), field for field.
#[repr(C)]
#[derive(Clone, Copy, bytemuck::Pod, bytemuck::Zeroable)]
struct LeibnizParams {
    last_block: [u32; 2],
    last_block_terms: u32,
    pad: u32,
}

impl GpuKernel for Leibniz {
    type Partial = ExactSum;

    /// One workgroup per block, in f64 where the device has it (else f32): the same pairs, compensated.
    fn program(&self, caps: &GpuCaps) -> Result<GpuProgram<'_, ExactSum>> {
        let precision = caps.float_precision()?;
        let last_block = self.blocks() - 1;
        let params = param_words(&LeibnizParams {
            last_block: u64_words(last_block),
            last_block_terms: (self.terms - last_block * BLOCK_TERMS) as u32,
            pad: 0,
        });
        let wgsl = assemble(
            precision,
            &[shaders::BLOCK, shaders::COMPENSATED, shaders::LEIBNIZ],
            "main",
        );
        Ok(
            GpuProgram::new(wgsl, precision, params, 2 * real_words(precision), move |_, words| {
                let mut sum = ExactSum::new();
                add_compensated(&mut sum, real_at(precision, words, 0), real_at(precision, words, 1));
                sum
            })
            .with_dispatch_fold(move |_, words| {
                let mut bins = ExactBins::new();
                for block in words.chunks_exact(2 * real_words(precision) as usize) {
                    let (sum, compensation) = (real_at(precision, block, 0), real_at(precision, block, 1));
                    // As `add_compensated`: the compensation of a sum that is not finite means nothing.
                    bins.add(sum);
                    if sum.is_finite() {
                        bins.add(compensation);
                    }
                }
                bins.finish()
            }),
        )
    }
}

impl Verify for Leibniz {
    fn measure_partial(&self, partial: &ExactSum) -> Measure {
        Measure {
            exact: partial.to_words(),
            value: partial.value(),
        }
    }

    fn measure_output(&self, output: &LeibnizEstimate) -> Measure {
        Measure {
            exact: vec![output.value.to_bits()],
            value: output.value,
        }
    }

    /// `Leibniz::gpu_bound`: every term is positive, so the bound on the whole sum covers any part of it.
    fn gpu_allowance(&self, precision: Precision) -> Option<f64> {
        Some(self.gpu_bound(precision))
    }

    fn stamp_line(&self, output: &LeibnizEstimate) -> String {
        format!("terms={}", output.terms)
    }
}

impl crate::kernel::Resumable for Leibniz {
    fn problem(&self) -> Option<String> {
        Some(format!("leibniz terms={}", self.terms))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn value(terms: u64) -> f64 {
        let k = Leibniz::new(terms).unwrap();
        k.finish(crate::kernel::reduce_serial(&k, 0..k.blocks()).unwrap()).value
    }

    #[test]
    fn small_sums_match_the_definition() {
        for n in 1..40u64 {
            let direct: ExactSum = (0..n)
                .map(|k| if k % 2 == 0 { 4.0 } else { -4.0 } / (2 * k + 1) as f64)
                .collect();
            assert!((value(n) - direct.value()).abs() <= 4.0 * f64::EPSILON, "n = {n}");
        }
        assert_eq!(value(1), 4.0);
        // The pair 4 − 4/3 is computed as 8/3, rounded once.
        assert_eq!(value(2), 8.0 / 3.0);
    }

    #[test]
    fn truncation_bound_holds() {
        for n in [1u64, 2, 3, 1000, 65_537, 1_000_001] {
            let k = Leibniz::new(n).unwrap();
            let e = k.finish(crate::kernel::reduce_serial(&k, 0..k.blocks()).unwrap());
            assert!((e.value - std::f64::consts::PI).abs() < e.bound, "n = {n}");
            // The error of an alternating series is at least half the first omitted term's size, roughly.
            assert!((e.value - std::f64::consts::PI).abs() > 0.4 * e.bound, "n = {n}");
        }
    }

    #[test]
    fn every_vector_width_sums_the_bits_of_the_scalar_loop() {
        let edge = 1u64 << 51; // from pair 2^51 on, 4j + 1 and 4j + 3 exceed 2^53 and are rounded
        for (first, end) in [
            (8 * 12_345, 8 * 12_345 + 70_001),
            (edge - 8 * 4000, edge - 1),
            (edge - 8 * 4000, edge + 8 * 4000 + 3),
            ((1 << 52) - 8 * 4000, 1 << 52),
        ] {
            let mut expected = [Neumaier::default(); LANES];
            for j in first..end {
                expected[(j % LANES as u64) as usize].add(pair_at(j as f64));
            }
            for width in simd::Width::available() {
                assert_eq!(
                    simd::run_in(width, SumPairs { first, end }).unwrap(),
                    expected,
                    "{width:?} on pairs {first}..{end}"
                );
            }
            assert_eq!(simd::run(SumPairs { first, end }), expected, "pairs {first}..{end}");
        }
    }

    #[test]
    fn bad_sizes_are_errors() {
        assert!(Leibniz::new(0).is_err());
        assert!(Leibniz::new((1 << 53) + 1).is_err());
    }
}
