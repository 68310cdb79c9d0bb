//! `eˣ − 1` and the hyperbolic functions: fdlibm's algorithms (FreeBSD's `s_expm1.c`, `e_sinh.c`,
//! `e_cosh.c`, `s_tanh.c`) over lanes, every case computed and the right one selected, so that the same
//! bits come out one value or eight at a time, on every processor.

use super::{LN2_HI, LN2_LO, exp_lanes, exp_reduced_parts, fast_two_sum, two_product, two_sum};
use crate::simd::{Lanes, ROUNDER};

/// fdlibm's coefficients of the rational approximation of `eʳ − 1` on `|r| ≤ ln2/2`.
const EXPM1_Q: [f64; 5] = [
    f64::from_bits(0xbfa1_1111_1111_10f4),
    f64::from_bits(0x3f5a_01a0_19fe_5585),
    f64::from_bits(0xbf14_ce19_9ead_dbb7),
    f64::from_bits(0x3ed0_cfca_86e6_5239),
    f64::from_bits(0xbe8a_fdb7_6e09_c32d),
];

/// Above this `eˣ − 1` overflows.
const EXPM1_OVERFLOW: f64 = f64::from_bits(0x4086_2e42_fefa_39ef);

/// `eˣ − 1`, within one unit in the last place, accurate where `eˣ` is near 1 (where `exp(x) − 1` loses
/// its digits).
///
/// ```
/// let small = hetero::math::expm1(1e-10);
/// assert!((small - 1.00000000005e-10).abs() <= 1e-26);
/// assert_eq!(hetero::math::expm1(0.0), 0.0);
/// assert_eq!(hetero::math::expm1(-1000.0), -1.0);
/// assert_eq!(hetero::math::expm1(1000.0), f64::INFINITY);
/// ```
#[inline]
pub fn expm1(x: f64) -> f64 {
    expm1_lanes(x)
}

/// [`expm1`] in every lane.
///
/// `x = k·ln2 + r + c` (`k` the nearest integer to `x/ln2`, `c` the rounding of `r`), `eʳ − 1` from
/// fdlibm's rational approximation, and `eˣ − 1 = 2ᵏ(eʳ − 1) + (2ᵏ − 1)` in the form fdlibm chooses for
/// each `k` (`k = 0, ±1`, `2 ≤ k < 20`, `20 ≤ k ≤ 56`, and the rest, where `−1` or `eˣ` dominates).
#[inline(always)]
pub(crate) fn expm1_lanes<V: Lanes>(x: V) -> V {
    let c = |k| x.token().splat(k);
    let clamped = x.max(c(-40.0)).min(c(EXPM1_OVERFLOW));
    let rounded = clamped.mul(c(std::f64::consts::LOG2_E)).add(c(ROUNDER));
    let k = rounded.sub(c(ROUNDER));
    // Exact: k·LN2_HI has at most 43 significant bits.
    let hi = clamped.sub_mul_exact(k, c(LN2_HI));
    let lo = k.mul(c(LN2_LO));
    let r = hi.sub(lo);
    let correction = hi.sub(r).sub(lo);

    let half = c(0.5).mul(r);
    let hxs = r.mul(half);
    let [q1, q2, q3, q4, q5] = EXPM1_Q.map(c);
    let r1 = c(1.0).add(hxs.mul(q1.add(hxs.mul(q2.add(hxs.mul(q3.add(hxs.mul(q4.add(hxs.mul(q5))))))))));
    let t = c(3.0).sub(r1.mul(half));
    let e = hxs.mul(r1.sub(t).div(c(6.0).sub(r.mul(t))));
    let k0 = r.sub(r.mul(e).sub(hxs));
    let e = r.mul(e.sub(correction)).sub(correction).sub(hxs);
    let k_minus_1 = c(0.5).mul(r.sub(e)).sub(c(0.5));
    let k_1 = V::select(
        c(-0.25).gt(r),
        c(-2.0).mul(e.sub(r.add(c(0.5)))),
        c(1.0).add(c(2.0).mul(r.sub(e))),
    );
    // 2ᵏ as 2·2^(k−1), so that k = 1024 does not overflow on the way; 2⁻ᵏ.
    let two_k = rounded.sub(c(1.0)).pow2_of_rounded::<0>();
    let two_minus_k = c(2.0 * ROUNDER).sub(rounded).pow2_of_rounded::<0>();
    let far = r.sub(e).add(c(1.0)).mul(c(2.0)).mul(two_k).sub(c(1.0));
    let near = r.sub(e).add(c(1.0).sub(two_minus_k)).mul(c(2.0)).mul(two_k);
    let middle = r.sub(e.add(two_minus_k)).add(c(1.0)).mul(c(2.0)).mul(two_k);

    let value = V::select(k.gt(c(19.5)), middle, near);
    let value = V::select(k.gt(c(56.5)), far, value);
    let value = V::select(k.gt(c(1.5)), value, k_1);
    let value = V::select(k.gt(c(0.5)), value, k0);
    let value = V::select(k.gt(c(-0.5)), value, k_minus_1);
    let value = V::select(k.gt(c(-1.5)), value, far);
    // Tiny arguments (the sign of zero kept), overflow, and NaN as they are.
    let value = V::select(c(f64::from_bits(0x3c90_0000_0000_0000)).gt(x.abs()), x, value);
    let value = V::select(x.gt(c(EXPM1_OVERFLOW)), c(f64::INFINITY), value);
    V::select(x.is_nan(), x, value)
}

/// Where `cosh` and `sinh` of `|x|` overflow: `ln(2·f64::MAX)`.
const HYPERBOLIC_OVERFLOW: f64 = f64::from_bits(0x408633ce8fb9f87d);

/// `1/(2n+1)!` for `n = 1..=10`: `(sinh x − x)/x³` in `z = x²`, Taylor's coefficients; on `|x| < 1` the
/// first left out, `1/23!`, is below `4·10⁻²³`.
const SINH_TAYLOR: [f64; 10] = [
    f64::from_bits(0x3fc5_5555_5555_5555),
    f64::from_bits(0x3f81_1111_1111_1111),
    f64::from_bits(0x3f2a_01a0_1a01_a01a),
    f64::from_bits(0x3ec7_1de3_a556_c734),
    f64::from_bits(0x3e5a_e645_67f5_44e4),
    f64::from_bits(0x3de6_1246_13a8_6d09),
    f64::from_bits(0x3d6a_e7f3_e733_b81f),
    f64::from_bits(0x3ce9_52c7_7030_ad4a),
    f64::from_bits(0x3c62_f49b_4681_4157),
    f64::from_bits(0x3bd7_1b8e_f6dc_f572),
];

/// `1/(2n)!` for `n = 2..=11`: `(cosh x − 1 − x²/2)/x⁴` in `z = x²`; on `|x| < 1` the first left out,
/// `1/24!`, is below `2·10⁻²⁴`.
const COSH_TAYLOR: [f64; 10] = [
    f64::from_bits(0x3fa5_5555_5555_5555),
    f64::from_bits(0x3f56_c16c_16c1_6c17),
    f64::from_bits(0x3efa_01a0_1a01_a01a),
    f64::from_bits(0x3e92_7e4f_b778_9f5c),
    f64::from_bits(0x3e21_eed8_eff8_d898),
    f64::from_bits(0x3da9_3974_a8c0_7c9d),
    f64::from_bits(0x3d2a_e7f3_e733_b81f),
    f64::from_bits(0x3ca6_8278_63b9_7d97),
    f64::from_bits(0x3c1e_542b_a402_0225),
    f64::from_bits(0x3b90_ce39_6db7_f853),
];

/// `sinh a − a` and `cosh a − 1` for `0 ≤ a < 1`, from their Taylor series: small next to the values, so
/// that their rounding errors move the sums by little.
#[inline(always)]
fn sinh_cosh_small<V: Lanes>(a: V) -> (V, V) {
    let z = a.mul(a);
    let s = a.mul(z).mul(super::horner(z, &SINH_TAYLOR));
    let c = a
        .token()
        .splat(0.5)
        .mul(z)
        .add(z.mul(z).mul(super::horner(z, &COSH_TAYLOR)));
    (s, c)
}

/// `(eᵃ ± e⁻ᵃ)/2` for `1 ≤ a ≤` [`HYPERBOLIC_OVERFLOW`] (`sign` ±1): `eᵃ/2 = (t + tail)·2^(k−1)` from
/// [`exp_reduced_parts`], with `±e⁻ᵃ/2`, scaled down by `2^(k−1)`, added to the tail before the last
/// addition, and the scaling in two exact steps (no overflow on the way). The tail's errors and
/// `e⁻ᵃ`'s (at most `e⁻²` of the value) stay below `0.35` ulp, so the sum is within `0.85`.
#[inline(always)]
fn half_exp_pair<V: Lanes>(a: V, sign: f64) -> V {
    let c = |k| a.token().splat(k);
    let (t, tail, rounded) = exp_reduced_parts(a);
    // With m = 16k + j: 2^(k−1) = 2^((m − 16) >> 5) · 2^(m >> 5).
    let (low, high) = (
        rounded.sub(c(16.0)).pow2_of_rounded::<5>(),
        rounded.pow2_of_rounded::<5>(),
    );
    // e⁻ᵃ/2 / 2^(k−1), exact scalings; nothing but zero past a = 22, where it is below half an ulp.
    let inverse = V::select(
        a.gt(c(22.0)),
        c(0.0),
        c(0.5 * sign).mul(exp_lanes(a.neg().max(c(-22.0)))).div(low).div(high),
    );
    t.add(tail.add(inverse)).mul(low).mul(high)
}

/// `sinh x`, within one unit in the last place.
///
/// ```
/// let s = hetero::math::sinh(1.0);
/// assert!((s - 1.1752011936438014).abs() <= f64::EPSILON * s);
/// assert_eq!(hetero::math::sinh(-0.0).to_bits(), (-0.0f64).to_bits());
/// assert_eq!(hetero::math::sinh(1000.0), f64::INFINITY);
/// ```
#[inline]
pub fn sinh(x: f64) -> f64 {
    sinh_lanes(x)
}

/// [`sinh`] in every lane: `a + (sinh a − a)` from the Taylor series below `a = |x| = 1`, else
/// [`half_exp_pair`]; the sign of `x`.
#[inline(always)]
pub(crate) fn sinh_lanes<V: Lanes>(x: V) -> V {
    let c = |k| x.token().splat(k);
    let a = x.abs();
    let small = a.min(c(1.0));
    let below_one = small.add(sinh_cosh_small(small).0);
    let large = half_exp_pair(a.max(c(1.0)).min(c(HYPERBOLIC_OVERFLOW)), -1.0);
    let value = V::select(c(1.0).gt(a), below_one, large);
    let value = V::select(a.gt(c(HYPERBOLIC_OVERFLOW)), c(f64::INFINITY), value);
    let value = V::select(c(0.0).gt(x), value.neg(), value);
    // sinh x rounds to x below 2^-28 (which keeps the sign of zero).
    let value = V::select(c(f64::from_bits(0x3e30_0000_0000_0000)).gt(a), x, value);
    V::select(x.is_nan(), x, value)
}

/// `cosh x`, within one unit in the last place.
///
/// ```
/// let c = hetero::math::cosh(1.0);
/// assert!((c - 1.5430806348152437).abs() <= f64::EPSILON * c);
/// assert_eq!(hetero::math::cosh(0.0), 1.0);
/// assert_eq!(hetero::math::cosh(-1000.0), f64::INFINITY);
/// ```
#[inline]
pub fn cosh(x: f64) -> f64 {
    cosh_lanes(x)
}

/// [`cosh`] in every lane: `1 + (cosh a − 1)` from the Taylor series below `a = |x| = 1`, else
/// [`half_exp_pair`].
#[inline(always)]
pub(crate) fn cosh_lanes<V: Lanes>(x: V) -> V {
    let c = |k| x.token().splat(k);
    let a = x.abs();
    let small = a.min(c(1.0));
    let below_one = c(1.0).add(sinh_cosh_small(small).1);
    let large = half_exp_pair(a.max(c(1.0)).min(c(HYPERBOLIC_OVERFLOW)), 1.0);
    let value = V::select(c(1.0).gt(a), below_one, large);
    let value = V::select(a.gt(c(HYPERBOLIC_OVERFLOW)), c(f64::INFINITY), value);
    V::select(x.is_nan(), x, value)
}

/// `(2n + 2)/(2n + 3)!` for `n = 0..10`: `a·cosh a − sinh a = a³ Σ zⁿ (2n + 2)/(2n + 3)!` in `z = a²`, one
/// series of terms of one sign; on `a < 0.55` the first left out is below `10⁻²⁶`.
const TANH_NUMERATOR: [f64; 10] = [
    f64::from_bits(0x3fd5555555555555),
    f64::from_bits(0x3fa1111111111111),
    f64::from_bits(0x3f53813813813814),
    f64::from_bits(0x3ef71de3a556c734),
    f64::from_bits(0x3e90cfeb60f94b0e),
    f64::from_bits(0x3e208db48ebe51c7),
    f64::from_bits(0x3da78af56a4d411b),
    f64::from_bits(0x3d2952c77030ad4a),
    f64::from_bits(0x3ca5532eaf516982),
    f64::from_bits(0x3c1ce272b49432ce),
];

/// Below this `|x|`, `tanh` is computed from `sinh` and `cosh` less their leading terms; above, as
/// `1 − 2/(e^(2|x|) + 1)`.
const TANH_SPLIT: f64 = 0.55;

/// `1 − 2/(e^(2a) + 1)` for `TANH_SPLIT ≤ a ≤ 22`, in double-double where it matters: `e^(2a) + 1 =
/// (d + d_low)·2ᵏ` from [`exp_reduced_parts`] (its tail's errors below `0.15` ulp), the quotient `q + q_low`
/// with `q_low` from the exact remainder, and `1 − q − q_low` rounded once: within `0.6` ulp.
#[inline(always)]
fn one_minus_two_over<V: Lanes>(a: V) -> V {
    let c = |k| a.token().splat(k);
    let (t, tail, rounded) = exp_reduced_parts(c(2.0).mul(a));
    let inverse = c(1.0).div(rounded.pow2_of_rounded::<4>());
    let (s, s_err) = two_sum(t, inverse);
    let rest = tail.add(s_err);
    let (d, d_low) = fast_two_sum(s, rest);
    let numerator = c(2.0).mul(inverse);
    let q = numerator.div(d);
    let (p, p_err) = two_product(q, d);
    let q_low = numerator.sub(p).sub(p_err).sub(q.mul(d_low)).div(d);
    let (h, h_err) = two_sum(c(1.0), q.neg());
    h.add(h_err.sub(q_low))
}

/// `tanh x`, within one unit in the last place.
///
/// ```
/// let t = hetero::math::tanh(0.5);
/// assert!((t - 0.46211715726000974).abs() <= f64::EPSILON * t);
/// assert_eq!(hetero::math::tanh(-30.0), -1.0);
/// ```
#[inline]
pub fn tanh(x: f64) -> f64 {
    tanh_lanes(x)
}

/// [`tanh`] in every lane: `a − (a·cosh a − sinh a)/cosh a` (`a = |x|`) below [`TANH_SPLIT`], the
/// numerator from [`TANH_NUMERATOR`] and `cosh a` from its Taylor series (the correction is below a
/// tenth of `a`, so its errors move the result by little); [`one_minus_two_over`] above; 1 from 22 on;
/// the sign of `x`.
#[inline(always)]
pub(crate) fn tanh_lanes<V: Lanes>(x: V) -> V {
    let c = |k| x.token().splat(k);
    let a = x.abs().min(c(22.0));
    let small = a.min(c(TANH_SPLIT));
    let k = sinh_cosh_small(small).1;
    let z = small.mul(small);
    let below = small.sub(small.mul(z).mul(super::horner(z, &TANH_NUMERATOR)).div(c(1.0).add(k)));
    let above = one_minus_two_over(a);
    let value = V::select(c(TANH_SPLIT).gt(a), below, above);
    let value = V::select(c(0.0).gt(x), value.neg(), value);
    // tanh x rounds to x below 2^-28 (which keeps the sign of zero).
    let value = V::select(c(f64::from_bits(0x3e30_0000_0000_0000)).gt(a), x, value);
    V::select(x.is_nan(), x, value)
}

#[cfg(test)]
mod tests {
    use super::super::reference::*;
    use super::*;
    use crate::simd::{LaneLoop, Lanes8, Token, Width, run_in};

    /// `eˣ − 1` to about 100 bits: the Taylor series below `|x| = 1/2`, else the exponential's reference
    /// less one.
    fn expm1_reference(x: f64) -> Dd {
        if x.abs() < 0.5 {
            let (mut term, mut sum) = (Dd(x, 0.0), Dd(x, 0.0));
            for n in 2..=32 {
                term = term.mul(Dd(x, 0.0)).div(n as f64);
                sum = sum.add(term);
            }
            return sum;
        }
        exp_reference(x).add(Dd(-1.0, 0.0))
    }

    /// `(sinh x, cosh x)` to about 100 bits, for `|x| ≤ 709`.
    fn sinh_cosh_reference(x: f64) -> (Dd, Dd) {
        let (e, inverse) = (exp_reference(x), exp_reference(-x));
        let cosh = e.add(inverse).scale(0.5);
        if x.abs() >= 0.5 {
            return (e.add(inverse.scale(-1.0)).scale(0.5), cosh);
        }
        // sinh's odd Taylor series.
        let z = Dd(x, 0.0).mul(Dd(x, 0.0));
        let (mut term, mut sum) = (Dd(x, 0.0), Dd(x, 0.0));
        for n in 1..=16 {
            term = term.mul(z).div((2 * n * (2 * n + 1)) as f64);
            sum = sum.add(term);
        }
        (sum, cosh)
    }

    fn points() -> Vec<f64> {
        let mut points = sample(100_000, -1.0, 1.0, 71);
        points.extend(sample(100_000, -40.0, 40.0, 72));
        points.extend(sample(20_000, -708.0, 708.0, 73));
        points.extend(sample(20_000, -1e-6, 1e-6, 74));
        points.extend((0..20).map(|k| (k as f64 - 10.0) * std::f64::consts::LN_2 / 2.0));
        points
    }

    #[test]
    fn expm1_is_within_one_ulp() {
        let (ulp, at) = worst(&points(), expm1, expm1_reference);
        assert!(ulp <= 1.0, "expm1({at}) is off by {ulp} ulp");
    }

    #[test]
    fn sinh_cosh_tanh_are_within_one_ulp() {
        let points = points();
        let (ulp, at) = worst(&points, sinh, |x| sinh_cosh_reference(x).0);
        assert!(ulp <= 1.0, "sinh({at}) is off by {ulp} ulp");
        let (ulp, at) = worst(&points, cosh, |x| sinh_cosh_reference(x).1);
        assert!(ulp <= 1.0, "cosh({at}) is off by {ulp} ulp");
        let tanh_reference = |x: f64| {
            let (s, c) = sinh_cosh_reference(x.clamp(-30.0, 30.0));
            s.div_dd(c)
        };
        let (ulp, at) = worst(&points, tanh, tanh_reference);
        assert!(ulp <= 1.0, "tanh({at}) is off by {ulp} ulp");
    }

    #[test]
    fn edges() {
        for f in [expm1, sinh, tanh] {
            assert!(f(f64::NAN).is_nan());
            assert_eq!(f(-0.0).to_bits(), (-0.0f64).to_bits());
            assert_eq!(f(5e-324), 5e-324);
        }
        assert_eq!(expm1(f64::INFINITY), f64::INFINITY);
        assert_eq!(expm1(f64::NEG_INFINITY), -1.0);
        assert_eq!(expm1(709.78), libm::expm1(709.78));
        assert_eq!(expm1(709.79), f64::INFINITY);
        assert_eq!(sinh(710.4), libm::sinh(710.4));
        assert_eq!(sinh(-710.4), libm::sinh(-710.4));
        assert_eq!(sinh(710.5), f64::INFINITY);
        assert_eq!(cosh(710.4), libm::cosh(710.4));
        assert_eq!(cosh(f64::NEG_INFINITY), f64::INFINITY);
        assert!(cosh(f64::NAN).is_nan());
        assert_eq!(tanh(f64::INFINITY), 1.0);
        assert_eq!(tanh(-25.0), -1.0);
        for x in sample(10_000, 709.0, 711.0, 75) {
            assert!(
                ulps(sinh(x), Dd(libm::sinh(x), 0.0)) <= 1.0 || sinh(x).is_infinite() == libm::sinh(x).is_infinite()
            );
            assert!(
                ulps(cosh(x), Dd(libm::cosh(x), 0.0)) <= 1.0 || cosh(x).is_infinite() == libm::cosh(x).is_infinite()
            );
        }
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
                        (expm1_lanes::<V> as fn(V) -> V, expm1 as fn(f64) -> f64),
                        (sinh_lanes::<V>, sinh),
                        (cosh_lanes::<V>, cosh),
                        (tanh_lanes::<V>, tanh),
                    ] {
                        let lanes = f(x).to_array();
                        for (k, &value) in chunk.iter().enumerate() {
                            assert_eq!(lanes[k].to_bits(), scalar(value).to_bits(), "{value}");
                        }
                    }
                }
            }
        }
        let mut points = points();
        points.extend([
            f64::NAN,
            f64::INFINITY,
            f64::NEG_INFINITY,
            -0.0,
            0.0,
            710.4,
            -710.4,
            5e-324,
        ]);
        points.truncate(points.len() / 8 * 8);
        for width in Width::available() {
            run_in(width, Check(points.clone())).unwrap();
        }
    }
}
