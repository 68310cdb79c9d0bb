//! `ln(1 + x)`, `log₂ x` and `log₁₀ x`: fdlibm's algorithms as musl writes them (`log1p.c`, `log2.c`,
//! `log10.c`) over lanes, every case computed and the right one selected, so that the same bits come out
//! one value or eight at a time, on every processor. `log₂` and `log₁₀` carry `f − f²/2` in two parts, the
//! high one of 26 bits ([`high_part`]) so that its products with 26-bit parts of `1/ln 2` and `1/ln 10` are
//! exact.

use super::{LN2_HI, LN2_LO, high_part};
use crate::simd::Lanes;

/// fdlibm's (FreeBSD's `e_log.c`) minimax coefficients of `(log(1+f) − 2s)/s` in `s² = (f/(2+f))²`.
const LG: [f64; 7] = [
    f64::from_bits(0x3fe5_5555_5555_5593),
    f64::from_bits(0x3fd9_9999_9997_fa04),
    f64::from_bits(0x3fd2_4924_9422_9359),
    f64::from_bits(0x3fcc_71c5_1d8e_78af),
    f64::from_bits(0x3fc7_4664_96cb_03de),
    f64::from_bits(0x3fc3_9a09_d078_c69f),
    f64::from_bits(0x3fc2_f112_df3e_5244),
];

/// `ln x`, within one unit in the last place: `log(0) = −∞`, NaN below 0.
///
/// ```
/// let l = hetero::math::log(10.0);
/// assert!((l - std::f64::consts::LN_10).abs() <= f64::EPSILON * l);
/// assert_eq!(hetero::math::log(1.0), 0.0);
/// assert_eq!(hetero::math::log(0.0), f64::NEG_INFINITY);
/// assert!(hetero::math::log(-1.0).is_nan());
/// ```
#[inline]
pub fn log(x: f64) -> f64 {
    log_lanes(x)
}

/// [`log`] in every lane.
///
/// fdlibm's algorithm: `x = 2^k·(1 + f)` with `√2/2 ≤ 1 + f < √2` (subnormals scaled by `2^54` first),
/// `s = f/(2 + f)`, `R` a minimax polynomial in `s²` for `(log(1+f) − 2s)/s`, and
/// `log x = k·ln2_hi − ((f²/2 − (s·(f²/2 + R) + k·ln2_lo)) − f)` where `|f|` is near its largest, else
/// `k·ln2_hi − ((s·(f − R) − k·ln2_lo) − f)`, with `ln 2 = ln2_hi + ln2_lo` (`k·ln2_hi` exact); both forms
/// are computed and one selected, as are the special cases.
#[inline(always)]
pub(crate) fn log_lanes<V: Lanes>(x: V) -> V {
    let c = |k| x.token().splat(k);
    let (m, k) = split_positive(x);
    // fdlibm's choice of form, on the top 20 bits of m's fraction: f²/2 where they lie in
    // [0x6147a, 0x6b851], i.e. 1 + 0x6147a/2^20 ≤ m < 1 + 0x6b852/2^20 (|f| near its largest).
    let below = |bound: f64| c(f64::from_bits(bound.to_bits() - 1));
    let (from, to) = (1.0 + 398_458.0 / 1_048_576.0, 1.0 + 440_402.0 / 1_048_576.0);
    let (past_from, past_to) = (m.gt(below(from)), m.gt(below(to)));
    let high = m.gt(c(std::f64::consts::SQRT_2));
    let m = V::select(high, m.mul(c(0.5)), m);
    let k = V::select(high, k.add(c(1.0)), k);
    let f = m.sub(c(1.0));
    let (s, r) = log_polynomial(f);
    let (k_hi, k_lo) = (k.mul(c(LN2_HI)), k.mul(c(LN2_LO)));
    let half_f2 = c(0.5).mul(f).mul(f);
    let first = k_hi.sub(half_f2.sub(s.mul(half_f2.add(r)).add(k_lo)).sub(f));
    let second = k_hi.sub(s.mul(f.sub(r)).sub(k_lo).sub(f));
    let value = V::select(past_to, second, V::select(past_from, first, second));
    log_specials(x, value)
}

/// `(m, k)` with `x = m·2ᵏ`, `1 ≤ m < 2`, for positive finite `x`, subnormals included (scaled by `2⁵⁴`
/// first); other lanes get values of no meaning.
#[inline(always)]
pub(super) fn split_positive<V: Lanes>(x: V) -> (V, V) {
    let c = |k| x.token().splat(k);
    let subnormal = c(f64::MIN_POSITIVE).gt(x);
    let scaled = V::select(subnormal, x.mul(c(18_014_398_509_481_984.0)), x);
    let (m, k) = scaled.split_exponent();
    (m, V::select(subnormal, k.sub(c(54.0)), k))
}

/// `(s, R)` with `s = f/(2 + f)` and `R` fdlibm's minimax polynomial in `s²` for `(log(1+f) − 2s)/s`, as
/// every logarithm evaluates them.
#[inline(always)]
pub(super) fn log_polynomial<V: Lanes>(f: V) -> (V, V) {
    let c = |k| f.token().splat(k);
    let s = f.div(c(2.0).add(f));
    let z = s.mul(s);
    let w = z.mul(z);
    let [l1, l2, l3, l4, l5, l6, l7] = LG.map(c);
    let t1 = w.mul(l2.add(w.mul(l4.add(w.mul(l6)))));
    let t2 = z.mul(l1.add(w.mul(l3.add(w.mul(l5.add(w.mul(l7)))))));
    (s, t2.add(t1))
}

/// The logarithms' values for `x ≤ 0`, `+∞` and NaN in place of `value`: `−∞` at zero, NaN below.
#[inline(always)]
pub(super) fn log_specials<V: Lanes>(x: V, value: V) -> V {
    let c = |k| x.token().splat(k);
    let zero = c(0.0);
    let not_positive = V::select(zero.gt(x), c(f64::NAN), c(f64::NEG_INFINITY));
    let value = V::select(x.gt(zero), value, not_positive);
    let value = V::select(x.gt(c(f64::MAX)), x, value);
    V::select(x.is_nan(), x, value)
}

/// `1/ln 2` in two parts, the high one of 26 bits.
const INVERSE_LN2: (f64, f64) = (
    f64::from_bits(0x3ff7_1547_6400_0000),
    f64::from_bits(0x3e32_b82f_e177_7d10),
);
/// `1/ln 10` in two parts, the high one of 26 bits.
const INVERSE_LN10: (f64, f64) = (
    f64::from_bits(0x3fdb_cb7b_1400_0000),
    f64::from_bits(0x3e12_6e50_e32a_6ab7),
);
/// `log₁₀ 2` in two parts, the high one of 40 bits (`k` times it is exact).
const LOG10_2: (f64, f64) = (
    f64::from_bits(0x3fd3_4413_509f_6000),
    f64::from_bits(0x3d59_fef3_11f1_2b36),
);

/// The top of the range `[√2/2, √2)` the mantissa is reduced to, as fdlibm draws it (its top 20 bits).
const SQRT2_CUT: f64 = f64::from_bits(0x3ff6_a09e_0000_0000);

/// `(f, k)` with `x = 2ᵏ(1 + f)` and `√2/2 ≤ 1 + f < √2`, for positive `x` (subnormals scaled by `2⁵⁴`
/// first); other lanes get values of no meaning.
#[inline(always)]
pub(super) fn reduce<V: Lanes>(x: V) -> (V, V) {
    let c = |k| x.token().splat(k);
    let (m, k) = split_positive(x);
    let high = m.gt(c(SQRT2_CUT.next_down()));
    let m = V::select(high, m.mul(c(0.5)), m);
    (m.sub(c(1.0)), V::select(high, k.add(c(1.0)), k))
}

/// `(s·(f²/2 + R), f²/2)` with `s` and `R` from [`log_polynomial`], so that `ln(1 + f) = f − f²/2 +
/// s·(f²/2 + R)`.
#[inline(always)]
fn log1p_tail<V: Lanes>(f: V) -> (V, V) {
    let half_f2 = f.token().splat(0.5).mul(f).mul(f);
    let (s, r) = log_polynomial(f);
    (s.mul(half_f2.add(r)), half_f2)
}

/// `ln(1 + x)`, within one unit in the last place, accurate where `1 + x` rounds (small `x`).
///
/// ```
/// let small = hetero::math::log1p(1e-10);
/// assert!((small - 9.9999999995e-11).abs() <= f64::EPSILON * small);
/// assert_eq!(hetero::math::log1p(0.0), 0.0);
/// assert_eq!(hetero::math::log1p(-1.0), f64::NEG_INFINITY);
/// assert!(hetero::math::log1p(-2.0).is_nan());
/// ```
#[inline]
pub fn log1p(x: f64) -> f64 {
    log1p_lanes(x)
}

/// [`log1p`] in every lane: `f = x`, `k = 0` where `1 + x` lies within `[√2/2, √2)`; elsewhere `u = 1 + x`
/// reduced as [`log`](super::log) does, with the correction `c ≈ (1 + x − u)/u` for the rounding of `u`;
/// then `k·ln2 + f − f²/2 + s·(f²/2 + R) + c`.
#[inline(always)]
pub(crate) fn log1p_lanes<V: Lanes>(x: V) -> V {
    let c = |k| x.token().splat(k);
    let u = c(1.0).add(x);
    let (f_u, k_u) = reduce(u);
    // Which of 1 − (u − x) and x − (u − 1) is exact; no correction past 2^54.
    let correction = V::select(k_u.gt(c(1.5)), c(1.0).sub(u.sub(x)), x.sub(u.sub(c(1.0)))).div(u);
    let correction = V::select(k_u.gt(c(53.5)), c(0.0), correction);
    let f = near_one(x, x, f_u);
    let k = near_one(x, c(0.0), k_u);
    let correction = near_one(x, c(0.0), correction);
    let (tail, half_f2) = log1p_tail(f);
    let value = tail
        .add(k.mul(c(LN2_LO)).add(correction))
        .sub(half_f2)
        .add(f)
        .add(k.mul(c(LN2_HI)));
    // x ≤ −1: −∞ at −1, NaN below; tiny x itself; +∞ and NaN as they are.
    let value = V::select(c(-1.0).gt(x), c(f64::NAN), value);
    let value = V::select(
        x.gt(c(-1.0)),
        value,
        V::select(c(-1.0).gt(x), c(f64::NAN), c(f64::NEG_INFINITY)),
    );
    let value = V::select(c(f64::from_bits(0x3ca0_0000_0000_0000)).gt(x.abs()), x, value);
    let value = V::select(x.gt(c(f64::MAX)), x, value);
    V::select(x.is_nan(), x, value)
}

/// `yes` in the lanes where `1 + x` lies within `[√2/2, √2)`, as fdlibm draws it, else `no`. A function,
/// not a closure: a closure does not inherit its caller's instruction set, and the vector operations
/// in it would be calls.
#[inline(always)]
fn near_one<V: Lanes>(x: V, yes: V, no: V) -> V {
    let token = x.token();
    let (lo, hi) = (
        token.splat(-f64::from_bits(0x3fd2_bec5_0000_0000)),
        token.splat(f64::from_bits(0x3fda_827a_0000_0000)),
    );
    V::select(hi.gt(x), V::select(x.gt(lo), yes, no), no)
}

/// `log₂ x`, within one unit in the last place: exact at powers of two, `−∞` at 0, NaN below.
///
/// ```
/// assert_eq!(hetero::math::log2(1024.0), 10.0);
/// assert_eq!(hetero::math::log2(0.5), -1.0);
/// let l = hetero::math::log2(10.0);
/// assert!((l - std::f64::consts::LOG2_10).abs() <= f64::EPSILON * l);
/// assert_eq!(hetero::math::log2(0.0), f64::NEG_INFINITY);
/// ```
#[inline]
pub fn log2(x: f64) -> f64 {
    log2_lanes(x)
}

/// [`log2`] in every lane: `x = 2ᵏ(1 + f)`, `ln(1 + f) = hi + lo` with `hi` the high part of `f − f²/2`,
/// and `k + hi/ln2 + lo/ln2` summed from the exact `hi·(1/ln2)_high` outward (musl's `log2.c`).
#[inline(always)]
pub(crate) fn log2_lanes<V: Lanes>(x: V) -> V {
    let c = |k| x.token().splat(k);
    let (f, k) = reduce(x);
    let (tail, half_f2) = log1p_tail(f);
    let hi = high_part(f.sub(half_f2));
    let lo = f.sub(hi).sub(half_f2).add(tail);
    let (inverse_hi, inverse_lo) = (c(INVERSE_LN2.0), c(INVERSE_LN2.1));
    let value_hi = hi.mul(inverse_hi);
    let value_lo = lo.add(hi).mul(inverse_lo).add(lo.mul(inverse_hi));
    let w = k.add(value_hi);
    let value_lo = value_lo.add(k.sub(w).add(value_hi));
    log_specials(x, value_lo.add(w))
}

/// `log₁₀ x`, within one unit in the last place: `−∞` at 0, NaN below.
///
/// ```
/// assert_eq!(hetero::math::log10(1000.0), 3.0);
/// let l = hetero::math::log10(2.0);
/// assert!((l - std::f64::consts::LOG10_2).abs() <= f64::EPSILON * l);
/// assert!(hetero::math::log10(-1.0).is_nan());
/// ```
#[inline]
pub fn log10(x: f64) -> f64 {
    log10_lanes(x)
}

/// [`log10`] in every lane: as [`log2_lanes`], with `k·log₁₀2` (its high part times `k` exact) in place of
/// `k` (musl's `log10.c`).
#[inline(always)]
pub(crate) fn log10_lanes<V: Lanes>(x: V) -> V {
    let c = |k| x.token().splat(k);
    let (f, k) = reduce(x);
    let (tail, half_f2) = log1p_tail(f);
    let hi = high_part(f.sub(half_f2));
    let lo = f.sub(hi).sub(half_f2).add(tail);
    let (inverse_hi, inverse_lo) = (c(INVERSE_LN10.0), c(INVERSE_LN10.1));
    let value_hi = hi.mul(inverse_hi);
    let y = k.mul(c(LOG10_2.0));
    let value_lo = k
        .mul(c(LOG10_2.1))
        .add(lo.add(hi).mul(inverse_lo))
        .add(lo.mul(inverse_hi));
    let w = y.add(value_hi);
    let value_lo = value_lo.add(y.sub(w).add(value_hi));
    log_specials(x, value_lo.add(w))
}

#[cfg(test)]
mod tests {
    use super::super::reference::*;
    use super::*;
    use crate::simd::{LaneLoop, Lanes8, Token, Width, run_in};

    #[test]
    fn log_is_within_one_ulp() {
        let mut worst = (0.0, 0.0);
        let mut points = sample(200_000, 0.5, 2.0, 41);
        points.extend(sample(200_000, 0.9, 1.1, 42));
        points.extend(sample(200_000, 1e-300, 1e300, 43));
        points.extend(sample(100_000, 1.0 - 1e-10, 1.0 + 1e-10, 44));
        // Across the exponent range and into the subnormals, by powers.
        points.extend((-1074..1024).flat_map(|e| [2f64.powi(e), 2f64.powi(e) * 1.3, 2f64.powi(e) * 1.7]));
        // ln 1 = 0 has no last place to measure in.
        for x in points.into_iter().filter(|x| *x > 0.0 && x.is_finite() && *x != 1.0) {
            let e = ulps(log(x), log_reference(x));
            if e > worst.0 {
                worst = (e, x);
            }
        }
        assert!(worst.0 <= 1.0, "log: {} ulp at {}", worst.0, worst.1);
    }

    #[test]
    fn log_edges() {
        assert_eq!(log(1.0).to_bits(), 0.0f64.to_bits());
        assert_eq!(log(0.0), f64::NEG_INFINITY);
        assert_eq!(log(-0.0), f64::NEG_INFINITY);
        assert!(log(-1.0).is_nan() && log(f64::NEG_INFINITY).is_nan() && log(f64::NAN).is_nan());
        assert_eq!(log(f64::INFINITY), f64::INFINITY);
        assert_eq!(log(f64::from_bits(1)), -744.4400719213812);
        assert_eq!(log(f64::MAX), 709.782712893384);
        assert_eq!(log(std::f64::consts::E), 1.0);
    }

    /// `log` of every element in lanes.
    struct LogLoop<'a>(&'a [f64]);

    impl LaneLoop for LogLoop<'_> {
        type Output = Vec<f64>;
        fn run<V: Lanes8>(self, token: Token<V>) -> Vec<f64> {
            self.0
                .chunks_exact(8)
                .flat_map(|x| log_lanes(token.load(x.try_into().unwrap())).to_array())
                .collect()
        }
    }

    #[test]
    fn every_width_returns_the_same_log_bits() {
        let mut x = sample(40_000, 1e-310, 1e300, 45);
        x.extend(sample(40_000, 0.5, 2.0, 46));
        x.extend([
            0.0,
            -0.0,
            -1.0,
            f64::NAN,
            f64::INFINITY,
            f64::NEG_INFINITY,
            5e-324,
            f64::MAX,
        ]);
        let same = |a: f64, b: f64| a.to_bits() == b.to_bits() || (a.is_nan() && b.is_nan());
        for width in Width::available() {
            let lanes = run_in(width, LogLoop(&x)).unwrap();
            assert_eq!(lanes.len(), x.len());
            for (&x, y) in x.iter().zip(lanes) {
                assert!(same(y, log(x)), "{width:?} at {x}: {y} against {}", log(x));
            }
        }
    }

    /// `ln 2` and `ln 10` to about 107 bits.
    const LN2: Dd = Dd(
        f64::from_bits(0x3fe6_2e42_fefa_39ef),
        f64::from_bits(0x3c7a_bc9e_3b39_803f),
    );
    const LN10: Dd = Dd(
        f64::from_bits(0x4002_6bb1_bbb5_5516),
        f64::from_bits(0xbcaf_48ad_494e_a3e9),
    );

    /// `ln(1 + x)` to about 100 bits: the series below `|x| = 10⁻³`, else `ln u` for `u = 1 + x` rounded
    /// and `ln(1 + d)`, `d = (1 + x − u)/u`, to second order (`d` is below `2⁻⁵³`).
    fn log1p_reference(x: f64) -> Dd {
        if x.abs() < 1e-3 {
            let (mut power, mut sum) = (Dd(x, 0.0), Dd(0.0, 0.0));
            for n in 1..=12 {
                let term = power.div(n as f64);
                sum = sum.add(if n % 2 == 1 { term } else { term.scale(-1.0) });
                power = power.mul(Dd(x, 0.0));
            }
            return sum;
        }
        let u = 1.0 + x;
        let d = two_sum(1.0, x).add(Dd(-u, 0.0)).0 / u;
        log_reference(u).add(Dd(d - d * d / 2.0, 0.0))
    }

    /// Positive numbers across every exponent, and many near 1.
    fn positive_points() -> Vec<f64> {
        let mut points = sample(100_000, 0.5, 2.0, 81);
        points.extend(sample(50_000, 1.0 - 1e-6, 1.0 + 1e-6, 82));
        points.extend(
            sample(100_000, -1074.0, 1024.0, 83)
                .into_iter()
                .map(|e| 2f64.powf(e))
                .filter(|x| x.is_finite() && *x > 0.0),
        );
        points
    }

    #[test]
    fn log2_and_log10_are_within_one_ulp() {
        let points = positive_points();
        let (ulp, at) = worst(&points, log2, |x| log_reference(x).div_dd(LN2));
        assert!(ulp <= 1.0, "log2({at}) is off by {ulp} ulp");
        eprintln!("log2: worst {ulp} ulp at {at:e}");
        let (ulp, at) = worst(&points, log10, |x| log_reference(x).div_dd(LN10));
        assert!(ulp <= 1.0, "log10({at}) is off by {ulp} ulp");
        eprintln!("log10: worst {ulp} ulp at {at:e}");
        for k in -1074..1024 {
            let power = if k >= -1022 {
                2f64.powi(k)
            } else {
                f64::from_bits(1 << (k + 1074))
            };
            assert_eq!(log2(power), f64::from(k));
        }
        for n in 0..23 {
            assert_eq!(log10(10f64.powi(n)), f64::from(n), "10^{n}");
        }
    }

    #[test]
    fn log1p_is_within_one_ulp() {
        let mut points = sample(100_000, -0.999, 2.0, 84);
        points.extend(sample(50_000, -1e-8, 1e-8, 85));
        points.extend(sample(50_000, -0.3, 0.42, 86));
        points.extend(positive_points().into_iter().map(|x| x - 1.0).filter(|x| *x > -1.0));
        points.extend(positive_points().into_iter().filter(|x| *x < 1e300));
        let (ulp, at) = worst(&points, log1p, log1p_reference);
        assert!(ulp <= 1.0, "log1p({at}) is off by {ulp} ulp");
        eprintln!("log1p: worst {ulp} ulp at {at:e}");
    }

    #[test]
    fn edges() {
        for f in [log2, log10] {
            assert_eq!(f(0.0), f64::NEG_INFINITY);
            assert_eq!(f(-0.0), f64::NEG_INFINITY);
            assert!(f(-1e-300).is_nan());
            assert!(f(f64::NAN).is_nan());
            assert_eq!(f(f64::INFINITY), f64::INFINITY);
            assert_eq!(f(1.0), 0.0);
        }
        assert_eq!(log1p(-1.0), f64::NEG_INFINITY);
        assert!(log1p(-1.5).is_nan());
        assert!(log1p(f64::NEG_INFINITY).is_nan());
        assert_eq!(log1p(f64::INFINITY), f64::INFINITY);
        assert!(log1p(f64::NAN).is_nan());
        assert_eq!(log1p(-0.0).to_bits(), (-0.0f64).to_bits());
        assert_eq!(log1p(5e-324), 5e-324);
        assert_eq!(log1p(f64::MAX), log_reference(f64::MAX).0);
    }

    /// Every width returns the bits of one value at a time.
    #[test]
    fn every_width_returns_the_same_bits() {
        struct Check(Vec<f64>);
        impl LaneLoop for Check {
            type Output = ();
            #[inline(always)]
            fn run<V: Lanes8>(self, token: Token<V>) {
                for chunk in self.0.chunks_exact(8) {
                    let x = V::from_array(token, chunk.try_into().unwrap());
                    for (f, scalar) in [
                        (log1p_lanes::<V> as fn(V) -> V, log1p as fn(f64) -> f64),
                        (log2_lanes::<V>, log2),
                        (log10_lanes::<V>, log10),
                    ] {
                        let lanes = f(x).to_array();
                        for (k, &value) in chunk.iter().enumerate() {
                            assert_eq!(lanes[k].to_bits(), scalar(value).to_bits(), "{value}");
                        }
                    }
                }
            }
        }
        let mut points = positive_points();
        points.extend(sample(50_000, -0.999, 2.0, 87));
        points.extend([
            f64::NAN,
            f64::INFINITY,
            f64::NEG_INFINITY,
            -0.0,
            0.0,
            -1.0,
            -2.0,
            5e-324,
        ]);
        points.truncate(points.len() / 8 * 8);
        for width in Width::available() {
            run_in(width, Check(points.clone())).unwrap();
        }
    }
}
