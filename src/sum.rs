//! Compensated summation inside a block.
//!
//! A block sums its elements in [`LANES`] interleaved Neumaier accumulators (element `i` of the block goes to
//! lane `i mod LANES`): the lanes are independent, so the loop maps onto vector units, and the compensation
//! keeps each lane's error near one rounding whatever the block length. At the end of the block each lane's
//! sum and compensation are added to an [`ExactSum`], so how the lanes are combined adds no rounding either.

use crate::ExactSum;
use crate::simd::{Lanes8, Token};

/// Interleaved accumulators per block. Fixed, because it is part of what defines a result's last bits.
pub const LANES: usize = 8;

/// A Neumaier (improved Kahan–Babuška) compensated sum.
///
/// ```
/// use hetero::sum::Neumaier;
/// let mut s = Neumaier::default();
/// for x in [1.0, 1e100, 1.0, -1e100] {
///     s.add(x);
/// }
/// assert_eq!(s.value(), 2.0);
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Neumaier {
    sum: f64,
    compensation: f64,
}

impl Neumaier {
    /// Adds `x`, carrying the rounding error of the addition in the compensation term.
    #[inline(always)]
    pub fn add(&mut self, x: f64) {
        let t = self.sum + x;
        let lost = if self.sum.abs() >= x.abs() {
            (self.sum - t) + x
        } else {
            (x - t) + self.sum
        };
        self.compensation += lost;
        self.sum = t;
    }

    /// Whether the running sum and its compensation are both finite: a sum of finite values that has left
    /// the `f64` range is not.
    pub fn is_finite(&self) -> bool {
        self.sum.is_finite() && self.compensation.is_finite()
    }

    /// The compensated sum, rounded to one `f64`.
    pub fn value(&self) -> f64 {
        self.sum + self.compensation
    }

    /// Adds the sum and its compensation to `exact` without rounding them together. Once the running sum
    /// is infinite or NaN the compensation is meaningless and is left out.
    pub fn add_to(&self, exact: &mut ExactSum) {
        add_compensated(exact, self.sum, self.compensation);
    }
}

/// Adds a compensated pair `(sum, compensation)` to `exact` (the compensation only while the sum is finite).
pub(crate) fn add_compensated(exact: &mut ExactSum, sum: f64, compensation: f64) {
    exact.add(sum);
    if sum.is_finite() {
        exact.add(compensation);
    }
}

/// Adds every lane of `lanes` to one exact sum.
pub fn lanes_to_exact(lanes: &[Neumaier]) -> ExactSum {
    let mut exact = ExactSum::new();
    for lane in lanes {
        lane.add_to(&mut exact);
    }
    exact
}

/// [`LANES`] Neumaier sums in vector registers.
///
/// Neumaier's step chooses between two formulas by comparing magnitudes, and compilers do not turn that
/// choice into vector code; Knuth's branch-free TwoSum computes the same exact rounding error of `sum + x`
/// whatever the magnitudes. So while the sum stays finite the lanes hold the bits [`Neumaier::add`] would
/// produce (a non-finite sum makes the compensation meaningless in both, and [`Neumaier::add_to`] drops it).
#[derive(Clone, Copy)]
pub(crate) struct LaneSums<V> {
    sum: V,
    compensation: V,
    /// 1 in every lane, hidden from the compiler: see [`add`](Self::add).
    one: V,
}

impl<V: Lanes8> LaneSums<V> {
    /// All lanes zero.
    #[inline(always)]
    pub(crate) fn new(token: Token<V>) -> Self {
        LaneSums {
            sum: token.splat(0.0),
            compensation: token.splat(0.0),
            one: token.splat(std::hint::black_box(1.0)),
        }
    }

    /// Vector lanes holding `lanes`.
    #[inline(always)]
    pub(crate) fn from_lanes(token: Token<V>, lanes: &[Neumaier; LANES]) -> Self {
        LaneSums {
            sum: token.load(lanes.map(|lane| lane.sum)),
            compensation: token.load(lanes.map(|lane| lane.compensation)),
            one: token.splat(std::hint::black_box(1.0)),
        }
    }

    /// Adds `x[l]` to lane `l`.
    ///
    /// Four of TwoSum's seven additions are written `a ± b·1`: the same numbers, but where the processor
    /// has fused multiply-adds they run on the multiplier, which the integrands leave less busy than the
    /// adder (this is why `one` is hidden: the compiler would turn them back into additions).
    #[inline(always)]
    pub(crate) fn add(&mut self, x: V) {
        if !V::FUSED {
            // The same numbers as below (`b·1` is `b`), without the multiplications.
            let t = self.sum.add(x);
            let z = t.sub(self.sum);
            let lost = self.sum.sub(t.sub(z)).add(x.sub(z));
            self.compensation = self.compensation.add(lost);
            self.sum = t;
            return;
        }
        let one = self.one;
        let t = self.sum.add_mul_exact(x, one);
        let z = t.sub_mul_exact(self.sum, one);
        let lost = self.sum.sub(t.sub(z)).add(x.sub_mul_exact(z, one));
        self.compensation = self.compensation.add_mul_exact(lost, one);
        self.sum = t;
    }

    /// Whether every lane's sum is at least `bound`'s lane (or NaN).
    #[inline(always)]
    pub(crate) fn at_least(&self, bound: V) -> bool {
        !V::any(bound.gt(self.sum))
    }

    /// Whether every lane's sum is at least `2·count·bound` in magnitude (or NaN): then `count` values of
    /// magnitude at most `bound`, of either sign, may be added in turn to each lane with
    /// [`add_ordered`](Self::add_ordered), as each addition leaves the sum above `count·bound` in magnitude
    /// (less a few roundings).
    #[inline(always)]
    pub(crate) fn far_above(&self, bound: f64, count: usize) -> bool {
        let token = self.sum.token();
        !V::any(token.splat(2.0 * count as f64 * bound).gt(self.sum.abs()))
    }

    /// [`add`](Self::add) for `x` with `|x[l]|` at most lane `l`'s sum in magnitude, or that sum zero (see
    /// [`at_least`](Self::at_least) and [`far_above`](Self::far_above)): Dekker's Fast2Sum, which for such
    /// `x` computes the same exact rounding error of `sum + x` as TwoSum, in four additions instead of
    /// seven. A sum at least every `x` of a run of nonnegative values stays so while they are added (it
    /// only grows), so one check covers the run.
    #[inline(always)]
    pub(crate) fn add_ordered(&mut self, x: V) {
        if !V::FUSED {
            let t = self.sum.add(x);
            self.compensation = self.compensation.add(x.sub(t.sub(self.sum)));
            self.sum = t;
            return;
        }
        let one = self.one;
        let t = self.sum.add_mul_exact(x, one);
        let lost = x.sub(t.sub_mul_exact(self.sum, one));
        self.compensation = self.compensation.add_mul_exact(lost, one);
        self.sum = t;
    }

    /// The lanes as [`Neumaier`] sums.
    #[inline(always)]
    pub(crate) fn lanes(self) -> [Neumaier; LANES] {
        let (sum, compensation) = (self.sum.to_array(), self.compensation.to_array());
        std::array::from_fn(|l| Neumaier {
            sum: sum[l],
            compensation: compensation[l],
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::simd::{LaneLoop, Width, run_in};

    struct Sums<'a>(&'a [f64]);

    impl LaneLoop for Sums<'_> {
        type Output = [Neumaier; LANES];
        fn run<V: Lanes8>(self, token: Token<V>) -> [Neumaier; LANES] {
            let mut sums = LaneSums::new(token);
            for x in self.0.chunks_exact(LANES) {
                sums.add(token.load(x.try_into().unwrap()));
            }
            sums.lanes()
        }
    }

    #[test]
    fn vector_lanes_equal_neumaier_bit_for_bit() {
        // Magnitudes from 1e-30 to 1e30, both signs, so that both of Neumaier's branches are taken.
        let mut state = 3u64;
        let x: Vec<f64> = (0..80_000)
            .map(|_| {
                state = state.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
                let mantissa = (state >> 11) as f64 / (1u64 << 53) as f64 - 0.5;
                mantissa * 10f64.powi((state % 61) as i32 - 30)
            })
            .collect();
        let mut expected = [Neumaier::default(); LANES];
        for (i, &x) in x.iter().enumerate() {
            expected[i % LANES].add(x);
        }
        for width in Width::available() {
            let lanes = run_in(width, Sums(&x)).unwrap();
            for (a, b) in lanes.iter().zip(&expected) {
                assert_eq!(a.sum.to_bits(), b.sum.to_bits(), "{width:?}");
                assert_eq!(a.compensation.to_bits(), b.compensation.to_bits(), "{width:?}");
            }
        }
    }
}
