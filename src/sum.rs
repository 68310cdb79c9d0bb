//! Compensated summation inside a block.
//!
//! A block sums its elements in [`LANES`] interleaved Neumaier accumulators (element `i` of the block goes to
//! lane `i mod LANES`): the lanes are independent, so the loop maps onto vector units, and the compensation
//! keeps each lane's error near one rounding whatever the block length. At the end of the block each lane's
//! sum and compensation are added to an [`ExactSum`], so how the lanes are combined adds no rounding either.

use crate::ExactSum;

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
