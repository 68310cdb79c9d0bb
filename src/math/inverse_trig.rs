//! `atan x`, `atan2(y, x)`, `asin x` and `acos x`: fdlibm's reductions and approximations over lanes.

use super::{high_part, horner, two_product, two_sum};
use crate::simd::{Lanes, Token};

/// fdlibm's (FreeBSD's `s_atan.c`) `atan` of the reduction points 0.5, 1, 1.5 and ∞, high and low parts.
const ATAN_HI: [f64; 4] = [
    f64::from_bits(0x3fdd_ac67_0561_bb4f),
    f64::from_bits(0x3fe9_21fb_5444_2d18),
    f64::from_bits(0x3fef_730b_d281_f69b),
    f64::from_bits(0x3ff9_21fb_5444_2d18),
];
const ATAN_LO: [f64; 4] = [
    f64::from_bits(0x3c7a_2b7f_222f_65e2),
    f64::from_bits(0x3c81_a626_3314_5c07),
    f64::from_bits(0x3c70_0788_7af0_cbbd),
    f64::from_bits(0x3c91_a626_3314_5c07),
];

/// fdlibm's (FreeBSD's `s_atan.c`) minimax coefficients of `atan` on `[−7/16, 7/16]`.
const ATAN: [f64; 11] = [
    f64::from_bits(0x3fd5_5555_5555_550d),
    -f64::from_bits(0x3fc9_9999_9998_ebc4),
    f64::from_bits(0x3fc2_4924_9200_83ff),
    -f64::from_bits(0x3fbc_71c6_fe23_1671),
    f64::from_bits(0x3fb7_45cd_c54c_206e),
    -f64::from_bits(0x3fb3_b0f2_af74_9a6d),
    f64::from_bits(0x3fb1_0d66_a0d0_3d51),
    -f64::from_bits(0x3fad_de2d_52de_fd9a),
    f64::from_bits(0x3fa9_7b4b_2476_0deb),
    -f64::from_bits(0x3fa2_b444_2c6a_6c2f),
    f64::from_bits(0x3f90_ad3a_e322_da11),
];

/// `atan x`, within one unit in the last place.
///
/// ```
/// let a = hetero::math::atan(1.0);
/// assert!((a - std::f64::consts::FRAC_PI_4).abs() <= f64::EPSILON * a);
/// assert_eq!(hetero::math::atan(f64::INFINITY), std::f64::consts::FRAC_PI_2);
/// ```
#[inline]
pub fn atan(x: f64) -> f64 {
    atan_lanes(x)
}

/// [`atan`] in every lane.
///
/// fdlibm's algorithm: `|x|` below 7/16 directly; above, reduced around 0.5, 1, 1.5 or ∞
/// (`(2t − 1)/(2 + t)`, `(t − 1)/(t + 1)`, `(t − 1.5)/(1 + 1.5t)`, `−1/t`) and the reduction point's
/// `atan` added in two parts; an 11-term minimax polynomial in between. Every lane computes the one
/// reduction its `|x|` selects (the numerator and denominator chosen first, one division).
#[inline(always)]
pub(crate) fn atan_lanes<V: Lanes>(x: V) -> V {
    let c = |k| x.token().splat(k);
    let t = x.abs();
    let (head, tail) = atan_parts(x);
    let magnitude = head.add(tail);
    // The sign of x (atan is odd; small lanes already carry it), and beyond 2^66 the limit ±π/2.
    let signed = V::select(
        c(0.4375).gt(t),
        magnitude,
        V::select(c(0.0).gt(x), magnitude.neg(), magnitude),
    );
    let limit = c(ATAN_HI[3] + ATAN_LO[3]);
    let signed = V::select(
        t.gt(c(7.378_697_629_483_821e19)),
        V::select(c(0.0).gt(x), limit.neg(), limit),
        signed,
    );
    // ±0 as it is (x − x·sum would turn −0 into +0), and NaN.
    let signed = V::select(t.gt(c(0.0)), signed, x);
    V::select(x.is_nan(), x, signed)
}

/// `atan |x|` (`atan x` itself below 7/16) as `head + tail`, `tail` the smaller, before their last
/// rounding: for finite `x`, as [`atan_lanes`] says.
#[inline(always)]
fn atan_parts<V: Lanes>(x: V) -> (V, V) {
    let c = |k| x.token().splat(k);
    let t = x.abs();
    let (small, below_11_16, below_19_16, below_39_16) =
        (c(0.4375).gt(t), c(0.6875).gt(t), c(1.1875).gt(t), c(2.4375).gt(t));
    // The reduction of each range: numerator and denominator, then one division.
    let numerator = V::select(
        below_19_16,
        V::select(below_11_16, c(2.0).mul(t).sub(c(1.0)), t.sub(c(1.0))),
        V::select(below_39_16, t.sub(c(1.5)), c(-1.0)),
    );
    let denominator = V::select(
        below_19_16,
        V::select(below_11_16, c(2.0).add(t), t.add(c(1.0))),
        V::select(below_39_16, c(1.0).add(c(1.5).mul(t)), t),
    );
    let r = V::select(small, x, numerator.div(denominator));
    let ranges = (below_11_16, below_19_16, below_39_16);
    let (hi, lo) = (pick(t.token(), ranges, &ATAN_HI), pick(t.token(), ranges, &ATAN_LO));
    let z = r.mul(r);
    let w = z.mul(z);
    let a = ATAN;
    let s1 = z.mul(horner(w, &[a[0], a[2], a[4], a[6], a[8], a[10]]));
    let s2 = w.mul(horner(w, &[a[1], a[3], a[5], a[7], a[9]]));
    let sum = s1.add(s2);
    // `r − r·sum` below 7/16, `hi − ((r·sum − lo) − r)` above.
    let head = V::select(small, r, hi);
    let tail = V::select(small, r.mul(sum).neg(), r.mul(sum).sub(lo).sub(r).neg());
    (head, tail)
}

/// `atan2(y, x)`, the angle of the point `(x, y)` in `[−π, π]`, within one unit in the last place.
///
/// ```
/// let a = hetero::math::atan2(1.0, -1.0);
/// assert!((a - 3.0 * std::f64::consts::FRAC_PI_4).abs() <= f64::EPSILON * a);
/// assert_eq!(hetero::math::atan2(-0.0, -1.0), -std::f64::consts::PI);
/// ```
#[inline]
pub fn atan2(y: f64, x: f64) -> f64 {
    atan2_lanes(y, x)
}

/// `2⁵⁰⁰` and `2⁶⁰⁰`: [`atan2`] scales its arguments by `2^∓600` beyond `2^±500`.
const TWO_TO_500: f64 = f64::from_bits(0x5f30_0000_0000_0000);
const TWO_TO_600: f64 = f64::from_bits(0x6570_0000_0000_0000);

/// The entry of `table` for each lane's range of [`atan_parts`]: below 11/16, 19/16, 39/16, or above. A
/// function, not a closure: a closure does not inherit its caller's instruction set, and the vector
/// operations in it would be calls.
#[inline(always)]
fn pick<V: Lanes>(
    token: Token<V>,
    (below_11_16, below_19_16, below_39_16): (V::Mask, V::Mask, V::Mask),
    table: &[f64; 4],
) -> V {
    V::select(
        below_19_16,
        V::select(below_11_16, token.splat(table[0]), token.splat(table[1])),
        V::select(below_39_16, token.splat(table[2]), token.splat(table[3])),
    )
}

/// The lanes whose sign bit is set, also for −0 (through 1/−0 = −∞). A function for the reason
/// [`pick`] is.
#[inline(always)]
fn sign_bit<V: Lanes>(v: V) -> V::Mask {
    let token = v.token();
    let zero = token.splat(0.0);
    zero.gt(V::select(v.abs().gt(zero), v, token.splat(1.0).div(v)))
}

/// [`atan2`] in every lane: fdlibm's quadrant rules (`e_atan2.c`) around [`atan`] of `|y/x|`, which covers
/// the zeros and infinities of one argument; both zero or both infinite are taken apart. The quotient's
/// rounding error is carried into the angle, and `π − atan` is added in double-double, so that the angle
/// is rounded once.
#[inline(always)]
pub(crate) fn atan2_lanes<V: Lanes>(y: V, x: V) -> V {
    let c = |k| y.token().splat(k);
    use std::f64::consts::{FRAC_PI_2, FRAC_PI_4, PI};
    let pi_lo = c(f64::from_bits(0x3ca1_a626_3314_5c07));
    let (below, left) = (sign_bit(y), sign_bit(x));
    let (ay, ax) = (y.abs(), x.abs());
    let ratio = ay.div(ax);
    let (head, tail) = atan_parts(ratio);
    // `ratio` is |y/x| rounded: its error `(|y| − ratio·|x|)/|x|` (the product exact in two parts, on y and
    // x scaled by a power of two so that it stays among the normal numbers), moved into the angle as
    // `d atan r = dr/(1 + r²)`. Outside 2^±60 the angle is ±π/2, ±π, or the ratio itself, correctly
    // rounded already.
    let m = ay.max(ax);
    let scale = V::select(
        m.gt(c(TWO_TO_500)),
        c(1.0 / TWO_TO_600),
        V::select(c(1.0 / TWO_TO_500).gt(m), c(TWO_TO_600), c(1.0)),
    );
    let (sy, sx) = (ay.mul(scale), ax.mul(scale));
    let (p, p_err) = two_product(ratio, sx);
    let shift = sy.sub(p).sub(p_err).div(sx).div(c(1.0).add(ratio.mul(ratio)));
    let (low, high) = (c(8.673_617_379_884_035e-19), c(1_152_921_504_606_846_976.0));
    let tail = tail.add(V::select(
        ratio.gt(low),
        V::select(high.gt(ratio), shift, c(0.0)),
        c(0.0),
    ));
    let right = head.add(tail);
    // π − atan: `π − head` exactly in two parts, the small parts added, then rounded once.
    let (s, e) = two_sum(c(PI), head.neg());
    let left_angle = s.add(e.add(pi_lo).sub(tail));
    // |y/x| beyond 2^60: ±π/2 whatever the side; x < 0 and |y/x| below 2^-60: the angle is ±π.
    let steep = ratio.gt(high);
    let left_angle = V::select(low.gt(ratio), c(PI), left_angle);
    let magnitude = V::select(steep, c(FRAC_PI_2), V::select(left, left_angle, right));
    let general = V::select(below, magnitude.neg(), magnitude);
    // Both zero: ±0 or ±π by the signs; both infinite: ±π/4 or ±3π/4.
    let zeros = V::select(left, V::select(below, c(-PI), c(PI)), y);
    let corner = V::select(left, c(3.0 * FRAC_PI_4), c(FRAC_PI_4));
    let infinities = V::select(below, corner.neg(), corner);
    let special = V::select(y.abs().gt(c(f64::MAX)), infinities, zeros);
    let value = V::select(ratio.is_nan(), special, general);
    let nan = y.add(x);
    V::select(
        nan.is_nan(),
        V::select(x.is_nan(), x, V::select(y.is_nan(), y, value)),
        value,
    )
}

/// fdlibm's (FreeBSD's `e_asin.c`) rational approximation of `(asin √t − √t)/√t³` on `[0, 1/4]`: the
/// numerator's coefficients, then the denominator's after its leading 1.
const ASIN_P: [f64; 6] = [
    f64::from_bits(0x3fc5_5555_5555_5555),
    -f64::from_bits(0x3fd4_d612_03eb_6f7d),
    f64::from_bits(0x3fc9_c155_0e88_4455),
    -f64::from_bits(0x3fa4_8228_b568_8f3b),
    f64::from_bits(0x3f49_efe0_7501_b288),
    f64::from_bits(0x3f02_3de1_0dfd_f709),
];
const ASIN_Q: [f64; 4] = [
    -f64::from_bits(0x4003_3a27_1c8a_2d4b),
    f64::from_bits(0x4000_2ae5_9c59_8ac8),
    -f64::from_bits(0x3fe6_066c_1b8d_0159),
    f64::from_bits(0x3fb3_b8c5_b12e_9282),
];
/// The low part of π/2 (`π/2 = FRAC_PI_2 + PIO2_LO` to about 107 bits).
const PIO2_LO: f64 = f64::from_bits(0x3c91_a626_3314_5c07);

/// `t·P(t)/Q(t)` of [`ASIN_P`] and [`ASIN_Q`].
#[inline(always)]
fn asin_rational<V: Lanes>(t: V) -> V {
    let p = t.mul(horner(t, &ASIN_P));
    let q = t.token().splat(1.0).add(t.mul(horner(t, &ASIN_Q)));
    p.div(q)
}

/// `asin x`, within one unit in the last place; NaN outside `[−1, 1]`.
///
/// ```
/// let a = hetero::math::asin(0.5);
/// assert!((a - std::f64::consts::FRAC_PI_6).abs() <= f64::EPSILON * a);
/// assert_eq!(hetero::math::asin(1.0), std::f64::consts::FRAC_PI_2);
/// ```
#[inline]
pub fn asin(x: f64) -> f64 {
    asin_lanes(x)
}

/// [`asin`] in every lane: fdlibm's algorithm, `x + x·R(x²)` below 1/2, else from `√((1 − |x|)/2)` (with
/// a 26-bit split of the square root between 1/2 and 0.975, where fdlibm clears its low word), `R` one
/// rational function in both.
#[inline(always)]
pub(crate) fn asin_lanes<V: Lanes>(x: V) -> V {
    let c = |k| x.token().splat(k);
    let ax = x.abs();
    let small = c(0.5).gt(ax);
    let t = V::select(small, x.mul(x), c(1.0).sub(ax).mul(c(0.5)));
    let r = asin_rational(t);
    let direct = x.add(x.mul(r));
    let s = t.sqrt();
    let steep = ax.gt(c(0.975).sub(c(f64::from_bits(0x3c90_0000_0000_0000))));
    let near_one = c(std::f64::consts::FRAC_PI_2).sub(c(2.0).mul(s.add(s.mul(r))).sub(c(PIO2_LO)));
    let w = high_part(s);
    let correction = t.sub(w.mul(w)).div(s.add(w));
    let p = c(2.0).mul(s).mul(r).sub(c(PIO2_LO).sub(c(2.0).mul(correction)));
    let q = c(std::f64::consts::FRAC_PI_4).sub(c(2.0).mul(w));
    let middle = c(std::f64::consts::FRAC_PI_4).sub(p.sub(q));
    let magnitude = V::select(steep, near_one, middle);
    let large = V::select(c(0.0).gt(x), magnitude.neg(), magnitude);
    let value = V::select(small, direct, large);
    // |x| > 1 and NaN give NaN.
    V::select(ax.gt(c(1.0)), c(f64::NAN), V::select(x.is_nan(), x, value))
}

/// `acos x`, within one unit in the last place; NaN outside `[−1, 1]`.
///
/// ```
/// let a = hetero::math::acos(0.5);
/// assert!((a - std::f64::consts::FRAC_PI_3).abs() <= f64::EPSILON * a);
/// assert_eq!(hetero::math::acos(1.0), 0.0);
/// assert_eq!(hetero::math::acos(-1.0), std::f64::consts::PI);
/// ```
#[inline]
pub fn acos(x: f64) -> f64 {
    acos_lanes(x)
}

/// [`acos`] in every lane: fdlibm's algorithm, `π/2 − (x − (lo − x·R(x²)))` below 1/2 in magnitude, else
/// from `s = √((1 ∓ x)/2)`: `π − 2(s + s·R − lo)` for negative `x`, `2(s_hi + (s·R + c))` for positive
/// (`s_hi` a 26-bit split of `s`, `c` its exact remainder).
#[inline(always)]
pub(crate) fn acos_lanes<V: Lanes>(x: V) -> V {
    let c = |k| x.token().splat(k);
    let ax = x.abs();
    let small = c(0.5).gt(ax);
    let negative = c(0.0).gt(x);
    let z = V::select(
        small,
        x.mul(x),
        V::select(negative, c(1.0).add(x), c(1.0).sub(x)).mul(c(0.5)),
    );
    let r = asin_rational(z);
    let direct = c(std::f64::consts::FRAC_PI_2).sub(x.sub(c(PIO2_LO).sub(x.mul(r))));
    let s = z.sqrt();
    let w = r.mul(s).sub(c(PIO2_LO));
    let left = c(std::f64::consts::PI).sub(c(2.0).mul(s.add(w)));
    let high = high_part(s);
    let correction = z.sub(high.mul(high)).div(s.add(high));
    let right = c(2.0).mul(high.add(r.mul(s).add(correction)));
    let value = V::select(small, direct, V::select(negative, left, right));
    // acos 1 = 0 (the formula would divide 0 by 0), |x| > 1 and NaN give NaN.
    let value = V::select(ax.gt(c(1.0)), c(f64::NAN), V::select(x.is_nan(), x, value));
    let at_one_or_above = x.gt(c(f64::from_bits(1f64.to_bits() - 1)));
    V::select(at_one_or_above, V::select(x.gt(c(1.0)), value, c(0.0)), value)
}

#[cfg(test)]
mod tests {
    use super::super::reference::*;
    use super::*;
    use crate::simd::{LaneLoop, Lanes8, Token, Width, run_in};

    /// `atan x` to about 100 bits: the C library's value `y` refined by one Newton step on
    /// `sin y − x·cos y = 0`, with [`sin_cos_reference`].
    fn atan_reference(x: f64) -> Dd {
        let y = libm::atan(x);
        let (s, c) = sin_cos_reference(y);
        let residual = s.add(c.mul(Dd(-x, 0.0)));
        let slope = c.0 + x * s.0;
        Dd(y, 0.0).add(residual.div(-slope))
    }

    #[test]
    fn atan_is_within_one_ulp() {
        let mut worst = (0.0, 0.0);
        let mut points = sample(200_000, -3.0, 3.0, 51);
        points.extend(sample(100_000, -1e3, 1e3, 52));
        points.extend(sample(50_000, -1e-8, 1e-8, 53));
        points.extend((-1074..1024).flat_map(|e| [2f64.powi(e), -1.3 * 2f64.powi(e)]));
        // Around the reduction points, a few ulps either side.
        for edge in [0.4375f64, 0.6875, 1.1875, 2.4375] {
            for step in -3i64..=3 {
                points.push(f64::from_bits((edge.to_bits() as i64 + step) as u64));
            }
        }
        for x in points
            .into_iter()
            .filter(|x| x.is_finite() && *x != 0.0 && x.abs() < 1e17)
        {
            let e = ulps(atan(x), atan_reference(x));
            if e > worst.0 {
                worst = (e, x);
            }
        }
        assert!(worst.0 <= 1.0, "atan: {} ulp at {}", worst.0, worst.1);
    }

    #[test]
    fn atan_edges() {
        assert_eq!(atan(0.0).to_bits(), 0.0f64.to_bits());
        assert_eq!(atan(-0.0).to_bits(), (-0.0f64).to_bits());
        assert_eq!(atan(f64::INFINITY), std::f64::consts::FRAC_PI_2);
        assert_eq!(atan(f64::NEG_INFINITY), -std::f64::consts::FRAC_PI_2);
        assert_eq!(atan(1e300), std::f64::consts::FRAC_PI_2);
        assert!(atan(f64::NAN).is_nan());
        assert_eq!(atan(1e-300), 1e-300);
        // Equal to the C library's (fdlibm's) value wherever that is correctly rounded, which is almost
        // everywhere: a sample.
        let same = sample(10_000, -5.0, 5.0, 54)
            .iter()
            .filter(|&&x| atan(x) == libm::atan(x))
            .count();
        assert!(same > 9_900, "{same}");
    }

    /// `atan` of every element in lanes.
    struct AtanLoop<'a>(&'a [f64]);

    impl LaneLoop for AtanLoop<'_> {
        type Output = Vec<f64>;
        fn run<V: Lanes8>(self, token: Token<V>) -> Vec<f64> {
            self.0
                .chunks_exact(8)
                .flat_map(|x| atan_lanes(token.load(x.try_into().unwrap())).to_array())
                .collect()
        }
    }

    #[test]
    fn every_width_returns_the_same_atan_bits() {
        let mut x = sample(40_000, -10.0, 10.0, 55);
        x.extend(sample(40_000, -1e20, 1e20, 56));
        x.extend([0.0, -0.0, 0.4375, -0.6875, 1.1875, 2.4375, f64::NAN, f64::INFINITY]);
        let same = |a: f64, b: f64| a.to_bits() == b.to_bits() || (a.is_nan() && b.is_nan());
        for width in Width::available() {
            let lanes = run_in(width, AtanLoop(&x)).unwrap();
            for (&x, y) in x.iter().zip(lanes) {
                assert!(same(y, atan(x)), "{width:?} at {x}");
            }
        }
    }

    /// `asin x` and `acos x` to about 100 bits: the C library's values refined by one Newton step on
    /// `sin y = x` and `cos y = x`, with [`sin_cos_reference`].
    fn asin_acos_reference(x: f64) -> (Dd, Dd) {
        let y = libm::asin(x);
        let (s, c) = sin_cos_reference(y);
        let asin = Dd(y, 0.0).add(Dd(x, 0.0).add(s.scale(-1.0)).div(c.0));
        let y = libm::acos(x);
        let (s, c) = sin_cos_reference(y);
        let acos = Dd(y, 0.0).add(c.add(Dd(-x, 0.0)).div(s.0));
        (asin, acos)
    }

    #[test]
    fn asin_and_acos_are_within_one_ulp() {
        let (mut worst_asin, mut worst_acos) = ((0.0, 0.0), (0.0, 0.0));
        let mut points = sample(300_000, -1.0, 1.0, 71);
        points.extend(sample(50_000, 0.999, 1.0, 72));
        points.extend(sample(50_000, -1e-6, 1e-6, 73));
        for edge in [0.5f64, -0.5, 0.975, -0.975] {
            for step in -3i64..=3 {
                points.push(f64::from_bits((edge.to_bits() as i64 + step) as u64));
            }
        }
        for x in points.into_iter().filter(|x| x.abs() < 1.0 && *x != 0.0) {
            let (a, b) = asin_acos_reference(x);
            let (ea, eb) = (ulps(asin(x), a), ulps(acos(x), b));
            if ea > worst_asin.0 {
                worst_asin = (ea, x);
            }
            if eb > worst_acos.0 {
                worst_acos = (eb, x);
            }
        }
        assert!(worst_asin.0 <= 1.0, "asin: {} ulp at {}", worst_asin.0, worst_asin.1);
        assert!(worst_acos.0 <= 1.0, "acos: {} ulp at {}", worst_acos.0, worst_acos.1);
    }

    #[test]
    fn asin_acos_edges() {
        assert_eq!(asin(0.0).to_bits(), 0.0f64.to_bits());
        assert_eq!(asin(-0.0).to_bits(), (-0.0f64).to_bits());
        assert_eq!(asin(-1.0), -std::f64::consts::FRAC_PI_2);
        assert_eq!(acos(0.0), std::f64::consts::FRAC_PI_2);
        assert_eq!(acos(1.0).to_bits(), 0.0f64.to_bits());
        assert_eq!(acos(-1.0), std::f64::consts::PI);
        for x in [1.0000000000000002, -1.5, f64::INFINITY, f64::NAN] {
            assert!(asin(x).is_nan() && acos(x).is_nan(), "{x}");
        }
    }

    /// `asin` and `acos` of every element in lanes.
    struct ArcLoop<'a>(&'a [f64]);

    impl LaneLoop for ArcLoop<'_> {
        type Output = Vec<(f64, f64)>;
        fn run<V: Lanes8>(self, token: Token<V>) -> Vec<(f64, f64)> {
            self.0
                .chunks_exact(8)
                .flat_map(|x| {
                    let x = token.load(x.try_into().unwrap());
                    let (a, b) = (asin_lanes(x).to_array(), acos_lanes(x).to_array());
                    (0..8).map(move |l| (a[l], b[l]))
                })
                .collect()
        }
    }

    #[test]
    fn every_width_returns_the_same_asin_acos_bits() {
        let mut x = sample(40_000, -1.0, 1.0, 74);
        x.extend([0.0, -0.0, 1.0, -1.0, 0.5, 0.975, 2.0, f64::NAN]);
        let same = |a: f64, b: f64| a.to_bits() == b.to_bits() || (a.is_nan() && b.is_nan());
        for width in Width::available() {
            let lanes = run_in(width, ArcLoop(&x)).unwrap();
            for (&x, (a, b)) in x.iter().zip(lanes) {
                assert!(same(a, asin(x)) && same(b, acos(x)), "{width:?} at {x}");
            }
        }
    }

    /// `atan2(y, x)` to about 100 bits: the C library's angle refined by one Newton step on
    /// `x·sin θ − y·cos θ = 0`.
    fn atan2_reference(y: f64, x: f64) -> Dd {
        // The angle of (x, y) scaled by a power of two, so that the products below stay normal.
        let k = -(y.abs().max(x.abs()).log2().floor() as i32);
        let (half, rest) = (2f64.powi(k / 2), 2f64.powi(k - k / 2));
        let (y, x) = (y * half * rest, x * half * rest);
        assert!(x.abs().max(y.abs()) >= 1.0 && x.abs().max(y.abs()) < 2.0, "{y} {x}");
        let t = libm::atan2(y, x);
        let (s, c) = sin_cos_reference(t);
        let residual = s.mul(Dd(x, 0.0)).add(c.mul(Dd(-y, 0.0)));
        let slope = x * c.0 + y * s.0;
        Dd(t, 0.0).add(residual.div(-slope))
    }

    #[test]
    fn atan2_is_within_one_ulp() {
        let xs = sample(600, -10.0, 10.0, 81);
        let ys = sample(600, -10.0, 10.0, 82);
        let mut pairs: Vec<(f64, f64)> = xs.iter().zip(&ys).map(|(&x, &y)| (y, x)).collect();
        for (&a, &b) in xs.iter().zip(ys.iter().rev()) {
            pairs.extend([(a * 1e-12, b), (a, b * 1e-12), (a * 1e12, b), (a, 1.0), (1.0, a)]);
            // Far from 1, where the arguments are scaled; and subnormal.
            pairs.extend([
                (a * 1e300, b * 1e301),
                (a * 1e-300, b * 1e-299),
                (a * 1e-310, b * 1e-310),
            ]);
        }
        let worst = worst2(pairs, atan2, atan2_reference);
        assert!(worst.0 <= 1.0, "atan2: {} ulp at ({}, {})", worst.0, worst.1, worst.2);
        eprintln!("atan2: worst {} ulp at ({}, {})", worst.0, worst.1, worst.2);
    }

    #[test]
    fn atan2_edges() {
        use std::f64::consts::{FRAC_PI_2, FRAC_PI_4, PI};
        let inf = f64::INFINITY;
        let cases = [
            (0.0, 1.0, 0.0),
            (-0.0, 1.0, -0.0),
            (0.0, -1.0, PI),
            (-0.0, -1.0, -PI),
            (0.0, 0.0, 0.0),
            (-0.0, 0.0, -0.0),
            (0.0, -0.0, PI),
            (-0.0, -0.0, -PI),
            (1.0, 0.0, FRAC_PI_2),
            (-1.0, -0.0, -FRAC_PI_2),
            (inf, inf, FRAC_PI_4),
            (-inf, -inf, -3.0 * FRAC_PI_4),
            (1.0, -inf, PI),
            (-1.0, inf, -0.0),
            (inf, 5.0, FRAC_PI_2),
            (1e300, 1e-300, FRAC_PI_2),
            (1e-300, -1e300, PI),
        ];
        for (y, x, expected) in cases {
            assert_eq!(atan2(y, x).to_bits(), expected.to_bits(), "atan2({y}, {x})");
            assert_eq!(
                atan2(y, x).to_bits(),
                libm::atan2(y, x).to_bits(),
                "atan2({y}, {x}) against libm"
            );
        }
        assert!(atan2(f64::NAN, 1.0).is_nan() && atan2(1.0, f64::NAN).is_nan());
    }

    /// `atan2` of pairs of elements in lanes.
    struct Atan2Loop<'a>(&'a [f64], &'a [f64]);

    impl LaneLoop for Atan2Loop<'_> {
        type Output = Vec<f64>;
        fn run<V: Lanes8>(self, token: Token<V>) -> Vec<f64> {
            self.0
                .chunks_exact(8)
                .zip(self.1.chunks_exact(8))
                .flat_map(|(y, x)| {
                    atan2_lanes(token.load(y.try_into().unwrap()), token.load(x.try_into().unwrap())).to_array()
                })
                .collect()
        }
    }

    #[test]
    fn every_width_returns_the_same_atan2_bits() {
        let mut y = sample(20_000, -10.0, 10.0, 83);
        let mut x = sample(20_000, -10.0, 10.0, 84);
        y.extend([0.0, -0.0, 0.0, f64::INFINITY, 1.0, f64::NAN, -1.0, 1e300]);
        x.extend([0.0, -1.0, -0.0, f64::INFINITY, f64::NEG_INFINITY, 1.0, 0.0, 1e-300]);
        let same = |a: f64, b: f64| a.to_bits() == b.to_bits() || (a.is_nan() && b.is_nan());
        for width in Width::available() {
            let lanes = run_in(width, Atan2Loop(&y, &x)).unwrap();
            for ((&y, &x), a) in y.iter().zip(&x).zip(lanes) {
                assert!(same(a, atan2(y, x)), "{width:?} at ({y}, {x})");
            }
        }
    }
}
