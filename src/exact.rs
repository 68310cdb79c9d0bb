//! [`ExactSum`]: a sum of `f64` values with no rounding at all until it is read.
//!
//! Floating-point addition is not associative, so a sum whose order depends on how work was split (over
//! threads, devices or MPI ranks) would change its last bits with the split. hetero avoids that at the root:
//! every floating partial of a built-in kernel is an `ExactSum`, a fixed-point accumulator wide enough to hold
//! any sum of finite `f64` values exactly (a "superaccumulator" in the sense of Kulisch). Adding and merging
//! are integer operations, hence exactly associative and commutative; the only rounding happens once, in
//! [`ExactSum::value`], and it is round-to-nearest-even of the exact total. The result is therefore a pure
//! function of the multiset of values added, whatever the order or grouping.

use std::cmp::Ordering;

/// Bits per limb. Limbs are kept in `i64`, which leaves 31 bits of headroom for unnormalized additions.
const LIMB_BITS: u32 = 32;
/// Exponent of the least significant bit of limb 0: the smallest subnormal, 2^-1074.
const MIN_EXP: i32 = -1074;
/// Enough limbs to cover 2^-1074 .. 2^1024 plus 64 bits of headroom for carries of up to 2^64 terms.
const LIMBS: usize = 68;
/// How many plain additions may happen before carries must be propagated (each adds less than 2^32 to a
/// limb, so 2^30 of them stay far inside `i64`).
const MAX_PENDING: u32 = 1 << 30;

/// An exact sum of `f64` values.
///
/// # Examples
///
/// Order and grouping do not matter, and nothing is lost to cancellation:
///
/// ```
/// use hetero::ExactSum;
///
/// let mut a = ExactSum::new();
/// for x in [1e100, 1.0, -1e100, 0.1] {
///     a.add(x);
/// }
/// let mut b = ExactSum::new();
/// for x in [0.1, -1e100, 1.0, 1e100] {
///     b.add(x);
/// }
/// assert_eq!(a, b);
/// assert_eq!(a.value(), 1.1);
/// ```
#[derive(Clone)]
pub struct ExactSum {
    /// `value = Σ limbs[j] · 2^(MIN_EXP + 32 j)`; after [`Self::normalize`] every limb but the last is in
    /// `0 .. 2^32` and the last carries the sign.
    limbs: [i64; LIMBS],
    /// Additions since the last normalization.
    pending: u32,
    /// Non-finite values seen: they make the value infinite or NaN, as plain summation would.
    pos_inf: bool,
    neg_inf: bool,
    nan: bool,
}

impl Default for ExactSum {
    fn default() -> Self {
        Self::new()
    }
}

impl ExactSum {
    /// The empty sum, zero.
    pub const fn new() -> Self {
        ExactSum {
            limbs: [0; LIMBS],
            pending: 0,
            pos_inf: false,
            neg_inf: false,
            nan: false,
        }
    }

    /// An exact sum holding the single value `x`.
    pub fn of(x: f64) -> Self {
        let mut s = Self::new();
        s.add(x);
        s
    }

    /// Adds `x` exactly. Infinities and NaN propagate as they would in ordinary summation.
    pub fn add(&mut self, x: f64) {
        if !x.is_finite() {
            if x.is_nan() {
                self.nan = true;
            } else if x > 0.0 {
                self.pos_inf = true;
            } else {
                self.neg_inf = true;
            }
            return;
        }
        if x == 0.0 {
            return;
        }
        let bits = x.to_bits();
        let biased = ((bits >> 52) & 0x7ff) as i32;
        let fraction = bits & ((1u64 << 52) - 1);
        // x = ±mantissa · 2^exponent with exponent ≥ MIN_EXP.
        let (mantissa, exponent) = if biased == 0 {
            (fraction, MIN_EXP)
        } else {
            (fraction | (1u64 << 52), biased - 1075)
        };
        let offset = (exponent - MIN_EXP) as u32;
        let limb = (offset / LIMB_BITS) as usize;
        let wide = u128::from(mantissa) << (offset % LIMB_BITS);
        let sign: i64 = if x < 0.0 { -1 } else { 1 };
        // A 53-bit mantissa shifted by at most 31 bits spans at most three limbs.
        for k in 0..3 {
            let part = ((wide >> (LIMB_BITS * k as u32)) & 0xffff_ffff) as i64;
            self.limbs[limb + k] += sign * part;
        }
        self.bump();
    }

    /// Adds `v · 2^(MIN_EXP + offset)` exactly (`offset ≤ 2045`, so that three limbs from
    /// `offset / 32` hold it): how [`ExactBins`] empties a bin.
    fn add_int_at(&mut self, v: i64, offset: u32) {
        let limb = (offset / LIMB_BITS) as usize;
        let wide = u128::from(v.unsigned_abs()) << (offset % LIMB_BITS);
        let sign: i64 = if v < 0 { -1 } else { 1 };
        // 63 bits shifted by at most 31 span at most three limbs.
        for k in 0..3 {
            let part = ((wide >> (LIMB_BITS * k as u32)) & 0xffff_ffff) as i64;
            self.limbs[limb + k] += sign * part;
        }
        self.bump();
    }

    /// Adds every value of another exact sum: afterwards `self` holds the sum of both.
    pub fn merge(&mut self, other: &ExactSum) {
        self.merge_scaled(other, 1);
    }

    /// Adds `factor` times another exact sum, exactly (`factor` may be negative).
    ///
    /// # Panics
    ///
    /// Panics if `|factor| ≥ 2^30`; the kernels use small weights such as 2, 4 or −6.
    pub fn merge_scaled(&mut self, other: &ExactSum, factor: i64) {
        assert!(
            factor.unsigned_abs() < 1 << 30,
            "merge_scaled: factor {factor} too large"
        );
        let mut other = other.clone();
        other.normalize();
        self.normalize();
        for (mine, theirs) in self.limbs.iter_mut().zip(other.limbs.iter()) {
            *mine += factor * theirs;
        }
        self.normalize();
        if factor != 0 {
            let (pos, neg) = if factor > 0 {
                (other.pos_inf, other.neg_inf)
            } else {
                (other.neg_inf, other.pos_inf)
            };
            self.pos_inf |= pos;
            self.neg_inf |= neg;
        }
        self.nan |= other.nan;
    }

    /// Propagates carries so that every limb but the top one lies in `0 .. 2^32`: a canonical form.
    fn normalize(&mut self) {
        for j in 0..LIMBS - 1 {
            let carry = self.limbs[j] >> LIMB_BITS;
            self.limbs[j] -= carry << LIMB_BITS;
            self.limbs[j + 1] += carry;
        }
        self.pending = 0;
    }

    #[inline]
    fn bump(&mut self) {
        self.pending += 1;
        if self.pending >= MAX_PENDING {
            self.normalize();
        }
    }

    /// The exact sum rounded once to the nearest `f64` (ties to even).
    ///
    /// Sums beyond the `f64` range give ±∞; a NaN, or both infinities, give NaN. Where the exact sum lies
    /// in the subnormal range it is rounded twice, which is still a pure function of the sum.
    pub fn value(&self) -> f64 {
        self.value_scaled(0)
    }

    /// The exact sum times `2^k`, rounded once to the nearest `f64`: [`value`](ExactSum::value) scaled
    /// without passing through a value out of range, so that a sum beyond `f64::MAX` can still be read
    /// scaled down (`k < 0`). Where both are normal, `value_scaled(k)` is exactly `value() · 2^k`.
    ///
    /// ```
    /// use hetero::ExactSum;
    ///
    /// let big: ExactSum = [f64::MAX, f64::MAX].into_iter().collect();
    /// assert_eq!(big.value(), f64::INFINITY);
    /// assert_eq!(big.value_scaled(-1), f64::MAX);
    /// assert_eq!(ExactSum::of(3.0).value_scaled(4), 48.0);
    /// ```
    pub fn value_scaled(&self, k: i32) -> f64 {
        if self.nan || (self.pos_inf && self.neg_inf) {
            return f64::NAN;
        }
        if self.pos_inf {
            return f64::INFINITY;
        }
        if self.neg_inf {
            return f64::NEG_INFINITY;
        }
        let mut s = self.clone();
        s.normalize();
        let negative = s.limbs[LIMBS - 1] < 0;
        if negative {
            for l in s.limbs.iter_mut() {
                *l = -*l;
            }
            s.normalize();
        }
        let Some(top) = s.limbs.iter().rposition(|&l| l != 0) else {
            return 0.0;
        };
        // The top four limbs as one 128-bit integer, with everything below folded into a sticky bit.
        // The integer has at least 97 significant bits, so the sticky bit sits far below the rounding
        // position of an f64 and only breaks ties.
        let mut m: u128 = 0;
        for k in 0..4 {
            m <<= LIMB_BITS;
            if let Some(j) = top.checked_sub(k) {
                m |= s.limbs[j] as u128 & 0xffff_ffff;
            }
        }
        if top >= 4 && s.limbs[..top - 3].iter().any(|&l| l != 0) {
            m |= 1;
        }
        let lsb_exponent = MIN_EXP + LIMB_BITS as i32 * (top as i32 - 3);
        let magnitude = if s.limbs[top] >> LIMB_BITS != 0 {
            f64::INFINITY
        } else {
            libm::scalbn(m as f64, lsb_exponent.saturating_add(k))
        };
        if negative { -magnitude } else { magnitude }
    }

    /// The sum as [`ExactSum::WORDS`] words (canonical limbs, then the non-finite flags), for sending
    /// between processes.
    pub fn to_words(&self) -> Vec<u64> {
        let (limbs, pos_inf, neg_inf, nan) = self.canonical();
        let mut words: Vec<u64> = limbs.iter().map(|&l| l as u64).collect();
        words.push(u64::from(pos_inf) | (u64::from(neg_inf) << 1) | (u64::from(nan) << 2));
        words
    }

    /// The sum [`ExactSum::to_words`] encoded, or `None` if `words` is not such an encoding.
    pub fn from_words(words: &[u64]) -> Option<Self> {
        if words.len() != Self::WORDS {
            return None;
        }
        let mut sum = ExactSum::new();
        for (limb, &word) in sum.limbs.iter_mut().zip(words) {
            *limb = word as i64;
            if limb.unsigned_abs() >= 1 << 62 {
                return None;
            }
        }
        let flags = words[LIMBS];
        sum.pos_inf = flags & 1 != 0;
        sum.neg_inf = flags & 2 != 0;
        sum.nan = flags & 4 != 0;
        Some(sum)
    }

    /// Words in the encoding of [`ExactSum::to_words`].
    pub const WORDS: usize = LIMBS + 1;

    /// Compares the exact sums, not their rounded values (non-finite flags compare too).
    fn canonical(&self) -> ([i64; LIMBS], bool, bool, bool) {
        let mut s = self.clone();
        s.normalize();
        (s.limbs, s.pos_inf, s.neg_inf, s.nan)
    }
}

impl PartialEq for ExactSum {
    fn eq(&self, other: &Self) -> bool {
        self.canonical() == other.canonical()
    }
}

impl Eq for ExactSum {}

impl PartialOrd for ExactSum {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        self.value().partial_cmp(&other.value())
    }
}

impl std::fmt::Debug for ExactSum {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "ExactSum({:e})", self.value())
    }
}

impl Extend<f64> for ExactSum {
    fn extend<I: IntoIterator<Item = f64>>(&mut self, iter: I) {
        for x in iter {
            self.add(x);
        }
    }
}

impl FromIterator<f64> for ExactSum {
    fn from_iter<I: IntoIterator<Item = f64>>(iter: I) -> Self {
        let mut s = ExactSum::new();
        s.extend(iter);
        s
    }
}

/// Many `f64`s added exactly, fast: each value's signed mantissa goes into a bin per exponent (one integer
/// addition), and the bins are emptied into an [`ExactSum`] every [`BIN_ADDS`] values. The sum is the same
/// as [`ExactSum::add`]ing each value; this is how a GPU dispatch's block results are combined on the host.
pub(crate) struct ExactBins {
    /// `bins[e]`: the sum of the signed mantissas of the values with biased exponent `e` (subnormals,
    /// whose scale is that of exponent 1, in bin 1).
    bins: Box<[i64; 2048]>,
    /// The bins touched since they were last emptied: `low ..= high`.
    low: usize,
    high: usize,
    /// Values added since the bins were last emptied.
    count: u32,
    sum: ExactSum,
}

/// Values a bin can take before it must be emptied: `BIN_ADDS · (2^53 − 1) < 2^63`.
const BIN_ADDS: u32 = 1 << 10;

impl ExactBins {
    /// No values yet.
    pub(crate) fn new() -> Self {
        ExactBins {
            bins: Box::new([0; 2048]),
            low: usize::MAX,
            high: 0,
            count: 0,
            sum: ExactSum::new(),
        }
    }

    /// Adds `x` exactly (infinities and NaN as [`ExactSum::add`] treats them).
    #[inline]
    pub(crate) fn add(&mut self, x: f64) {
        let bits = x.to_bits();
        let biased = ((bits >> 52) & 0x7ff) as usize;
        if biased == 0x7ff {
            self.sum.add(x);
            return;
        }
        let fraction = (bits & ((1 << 52) - 1)) as i64;
        let mantissa = if biased == 0 { fraction } else { fraction | (1 << 52) };
        let bin = biased.max(1);
        self.bins[bin] += if bits >> 63 == 1 { -mantissa } else { mantissa };
        self.low = self.low.min(bin);
        self.high = self.high.max(bin);
        self.count += 1;
        if self.count == BIN_ADDS {
            self.empty();
        }
    }

    /// Moves the bins into the exact sum.
    fn empty(&mut self) {
        for bin in self.low..=self.high.min(2047) {
            let v = std::mem::take(&mut self.bins[bin]);
            if v != 0 {
                // Bin `e` holds multiples of 2^(e − 1075) = 2^(MIN_EXP + e − 1).
                self.sum.add_int_at(v, bin as u32 - 1);
            }
        }
        (self.low, self.high, self.count) = (usize::MAX, 0, 0);
    }

    /// The exact sum of every value added.
    pub(crate) fn finish(mut self) -> ExactSum {
        self.empty();
        self.sum
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn integers_round_like_i128() {
        // Sums of integers below 2^60 are exact in i128; the cast to f64 rounds to nearest even.
        let xs: [i64; 6] = [1 << 53, 1, 1, -3, (1 << 60) - 1, -(1 << 59)];
        let exact: i128 = xs.iter().map(|&x| i128::from(x)).sum();
        let s: ExactSum = xs.iter().map(|&x| x as f64).collect();
        assert_eq!(s.value(), exact as f64);
    }

    #[test]
    fn cancellation_is_exact() {
        let s: ExactSum = [1e308, 1e-308, -1e308, 5e-324].into_iter().collect();
        assert_eq!(s.value(), 1e-308 + 5e-324);
        let z: ExactSum = [0.1, 0.2, -0.1, -0.2].into_iter().collect();
        assert_eq!(z.value(), 0.0);
    }

    #[test]
    fn ties_round_to_even_with_sticky_bits() {
        // 1 + 2^-53 is a tie between 1 and 1 + 2^-52: even gives 1. A tiny extra breaks the tie upwards.
        let tie: ExactSum = [1.0, 2f64.powi(-53)].into_iter().collect();
        assert_eq!(tie.value(), 1.0);
        let above: ExactSum = [1.0, 2f64.powi(-53), 2f64.powi(-1000)].into_iter().collect();
        assert_eq!(above.value(), 1.0 + f64::EPSILON);
        let below: ExactSum = [1.0, 2f64.powi(-53), -(2f64.powi(-1000))].into_iter().collect();
        assert_eq!(below.value(), 1.0);
    }

    #[test]
    fn extremes_and_non_finite() {
        let big: ExactSum = [f64::MAX, f64::MAX].into_iter().collect();
        assert_eq!(big.value(), f64::INFINITY);
        let back: ExactSum = [f64::MAX, f64::MAX, -f64::MAX].into_iter().collect();
        assert_eq!(back.value(), f64::MAX);
        assert_eq!(ExactSum::of(-f64::MIN_POSITIVE).value(), -f64::MIN_POSITIVE);
        assert_eq!(ExactSum::of(5e-324).value(), 5e-324);
        assert!(ExactSum::from_iter([f64::INFINITY, f64::NEG_INFINITY]).value().is_nan());
        assert_eq!(ExactSum::from_iter([1.0, f64::INFINITY]).value(), f64::INFINITY);
        let mut s = ExactSum::of(f64::INFINITY);
        s.merge_scaled(&ExactSum::of(1.0), -1);
        assert_eq!(s.value(), f64::INFINITY);
        let mut t = ExactSum::of(1.0);
        t.merge_scaled(&ExactSum::of(f64::INFINITY), -2);
        assert_eq!(t.value(), f64::NEG_INFINITY);
    }

    #[test]
    fn words_round_trip() {
        for s in [
            ExactSum::new(),
            ExactSum::of(-1.5e300),
            [f64::INFINITY, 2.0].into_iter().collect(),
        ] {
            let back = ExactSum::from_words(&s.to_words()).unwrap();
            assert_eq!(back, s);
            assert_eq!(back.value().to_bits(), s.value().to_bits());
        }
        assert!(ExactSum::from_words(&[0; 3]).is_none());
    }

    #[test]
    fn merge_scaled_is_exact() {
        let a: ExactSum = [0.1, 0.7].into_iter().collect();
        let mut scaled = ExactSum::of(1.0);
        scaled.merge_scaled(&a, -6);
        let mut direct = ExactSum::of(1.0);
        for _ in 0..6 {
            direct.add(-0.1);
            direct.add(-0.7);
        }
        assert_eq!(scaled, direct);
        assert_ne!(scaled, ExactSum::of(1.0 - 6.0 * (0.1 + 0.7)));
    }

    fn finite() -> impl Strategy<Value = f64> {
        prop_oneof![
            -1e6..1e6f64,
            any::<f64>().prop_filter("finite", |x| x.is_finite()),
            (-1.0..1.0f64, -60i32..60).prop_map(|(m, e)| m * 2f64.powi(e)),
        ]
    }

    proptest! {
        #[test]
        fn order_and_grouping_do_not_matter(mut xs in prop::collection::vec(finite(), 0..60), split in 0usize..60, seed in any::<u64>()) {
            let whole: ExactSum = xs.iter().copied().collect();
            let split = split.min(xs.len());
            let mut left: ExactSum = xs[..split].iter().copied().collect();
            let right: ExactSum = xs[split..].iter().copied().collect();
            left.merge(&right);
            prop_assert_eq!(&whole, &left);
            // A deterministic shuffle.
            let mut state = seed | 1;
            for i in (1..xs.len()).rev() {
                state ^= state << 13; state ^= state >> 7; state ^= state << 17;
                xs.swap(i, (state % (i as u64 + 1)) as usize);
            }
            let shuffled: ExactSum = xs.iter().copied().collect();
            prop_assert_eq!(whole.value().to_bits(), shuffled.value().to_bits());
        }

        #[test]
        fn a_value_and_its_negation_cancel(xs in prop::collection::vec(finite(), 0..40)) {
            let mut s: ExactSum = xs.iter().copied().collect();
            s.merge_scaled(&xs.iter().copied().collect(), -1);
            prop_assert_eq!(s.value(), 0.0);
        }

        #[test]
        fn two_values_round_like_twosum(a in finite(), b in finite()) {
            // a + b rounded once is what IEEE addition gives, when it does not overflow.
            let s: ExactSum = [a, b].into_iter().collect();
            let plain = a + b;
            prop_assume!(plain.is_finite());
            // Only the sign of a zero may differ: -0 + -0 is -0 in IEEE and +0 here.
            prop_assert!(s.value() == plain && (plain == 0.0 || s.value().to_bits() == plain.to_bits()), "{} + {}", a, b);
        }
    }

    #[test]
    fn bins_equal_adding_one_value_at_a_time() {
        let mut state = 0x2545_f491_4f6c_dd1du64;
        let mut next = || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        let specials = [
            0.0,
            -0.0,
            f64::MIN_POSITIVE,
            5e-324,
            -5e-324,
            f64::MAX,
            -f64::MAX,
            1.0,
            -1.0,
        ];
        for case in 0..40 {
            let mut bins = ExactBins::new();
            let mut one_by_one = ExactSum::new();
            for i in 0..5_000 {
                let x = match (case, i % 7) {
                    (_, 0) => specials[(next() % specials.len() as u64) as usize],
                    // Any bits at all, in a few cases (infinities and NaN included).
                    (c, _) if c % 10 == 9 => f64::from_bits(next()),
                    // Finite values over every exponent, or a narrow band as a GPU dispatch gives.
                    (c, _) if c % 2 == 0 => f64::from_bits(next() & !(0x7ff << 52) | ((next() % 2047) << 52)),
                    _ => (next() as f64 / u64::MAX as f64 - 0.5) * 3e4,
                };
                bins.add(x);
                one_by_one.add(x);
            }
            let bins = bins.finish();
            assert_eq!(bins.to_words(), one_by_one.to_words(), "case {case}");
            assert_eq!(bins.value().to_bits(), one_by_one.value().to_bits(), "case {case}");
        }
    }
}
