//! `xʸ` over lanes: `e^(y ln x)` with `ln x` and the product carried in double-double, so that the
//! exponential's argument is known to far better than its own ulp; IEEE's special cases selected lane by
//! lane. The same bits one value or eight at a time, on every processor.

use super::logarithms::reduce;
use super::{LN2_HI, LN2_LO, exp_reduced_parts, fast_two_sum, horner, scale_by_reduced, two_product, two_sum};
use crate::simd::Lanes;

/// `2/3` in two parts.
const TWO_THIRDS: (f64, f64) = (
    f64::from_bits(0x3fe5_5555_5555_5555),
    f64::from_bits(0x3c85_5555_5555_5555),
);

/// `2/(2n + 1)` for `n = 2..=11`: `(2 atanh s − 2s − 2s³/3)/s⁵` in `z = s²`; on `|s| ≤ 0.172` the first left
/// out is below `2·10⁻²⁰` of the sum.
const ATANH_TAIL: [f64; 10] = [
    f64::from_bits(0x3fd9_9999_9999_999a),
    f64::from_bits(0x3fd2_4924_9249_2492),
    f64::from_bits(0x3fcc_71c7_1c71_c71c),
    f64::from_bits(0x3fc7_45d1_745d_1746),
    f64::from_bits(0x3fc3_b13b_13b1_3b14),
    f64::from_bits(0x3fc1_1111_1111_1111),
    f64::from_bits(0x3fbe_1e1e_1e1e_1e1e),
    f64::from_bits(0x3fba_f286_bca1_af28),
    f64::from_bits(0x3fb8_6186_1861_8618),
    f64::from_bits(0x3fb6_42c8_590b_2164),
];

/// `ln x` as `hi + lo`, for positive finite `x`: `x = 2ᵏ(1 + f)`, `s = f/(2 + f)` in double-double,
/// `ln(1 + f) = 2s + 2s³/3 + s⁵·(…)` with the first two terms in double-double, and `k ln 2` (`k·LN2_HI`
/// exact). Relative error about `2⁻⁶⁵`.
#[inline(always)]
fn log_double<V: Lanes>(x: V) -> (V, V) {
    let c = |k| x.token().splat(k);
    let (f, k) = reduce(x);
    let (d, d_low) = two_sum(c(2.0), f);
    let s = f.div(d);
    let (p, p_err) = two_product(s, d);
    let s_low = f.sub(p).sub(p_err).sub(s.mul(d_low)).div(d);
    // s³ in double-double, then 2/3 of it.
    let (z, z_low) = two_product(s, s);
    let (cube, cube_err) = two_product(s, z);
    let cube_low = cube_err.add(s.mul(z_low)).add(c(3.0).mul(z).mul(s_low));
    let (third, third_err) = two_product(cube, c(TWO_THIRDS.0));
    let third_low = third_err
        .add(cube.mul(c(TWO_THIRDS.1)))
        .add(cube_low.mul(c(TWO_THIRDS.0)));
    let rest = s.mul(z).mul(z).mul(horner(z, &ATANH_TAIL));
    // 2s + 2s³/3 + rest, the small parts summed first.
    let (hi, lo) = fast_two_sum(c(2.0).mul(s), third);
    let lo = lo.add(c(2.0).mul(s_low)).add(third_low).add(rest);
    // k ln 2 + that.
    let (hi, lo2) = two_sum(k.mul(c(LN2_HI)), hi);
    let lo = lo.add(lo2).add(k.mul(c(LN2_LO)));
    two_sum(hi, lo)
}

/// `1.0` where `mask` holds, else `0.0` (`like` gives the lanes' type).
#[inline(always)]
fn flag<V: Lanes>(mask: V::Mask, like: V) -> V {
    V::select(mask, like.token().splat(1.0), like.token().splat(0.0))
}

/// `yes` where `a == b` (neither NaN), else `no`.
#[inline(always)]
fn equal<V: Lanes>(a: V, b: V, yes: V, no: V) -> V {
    V::select(a.is_nan(), no, V::select(a.gt(b), no, V::select(b.gt(a), no, yes)))
}

/// `xʸ`, within one unit in the last place, with IEEE's special cases (`x⁰ = 1` and `1ʸ = 1` even for NaN;
/// a negative `x` to an integer power takes the power's parity's sign, to any other power is NaN).
///
/// ```
/// assert_eq!(hetero::math::pow(2.0, 10.0), 1024.0);
/// assert_eq!(hetero::math::pow(-2.0, 3.0), -8.0);
/// let p = hetero::math::pow(10.0, 0.5);
/// assert!((p - 3.1622776601683795).abs() <= f64::EPSILON * p);
/// assert!(hetero::math::pow(-2.0, 0.5).is_nan());
/// assert_eq!(hetero::math::pow(f64::NAN, 0.0), 1.0);
/// ```
#[inline]
pub fn pow(x: f64, y: f64) -> f64 {
    pow_lanes(x, y)
}

/// [`pow`] in every lane: `|x|ʸ = e^(y ln|x|)` with `ln|x|` from [`log_double`], `y ln|x|` as an exact
/// product plus `y·lo`, and the low part folded into the exponential's tail before its last addition;
/// then the sign, and the special cases.
#[inline(always)]
pub(crate) fn pow_lanes<V: Lanes>(x: V, y: V) -> V {
    let c = |k| x.token().splat(k);
    let (zero, one, infinity) = (c(0.0), c(1.0), c(f64::INFINITY));
    let a = x.abs();
    // The main path on sanitized values: positive finite |x|, |y| below 2^990 (beyond, |y ln x| is past
    // any exponent anyway).
    let finite_a = V::select(
        a.gt(c(f64::MAX)),
        one,
        V::select(c(f64::MIN_POSITIVE * f64::EPSILON).gt(a), one, a),
    );
    let finite_a = V::select(a.is_nan(), one, finite_a);
    let limit = c(f64::from_bits(0x7dd0_0000_0000_0000));
    let finite_y = V::select(y.is_nan(), zero, y.max(limit.neg()).min(limit));
    let (l, l_low) = log_double(finite_a);
    let (t, t_err) = two_product(finite_y, l);
    let t_low = t_err.add(finite_y.mul(l_low));
    // Beyond ±746 the result is 0 or ∞ whatever the low part; the product may itself be ±∞ there.
    let clamped = t.max(c(-746.0)).min(c(710.0));
    let (e, tail, rounded) = exp_reduced_parts(clamped);
    let tail = tail.add(
        e.add(tail)
            .mul(V::select(clamped.gt(t), zero, V::select(t.gt(clamped), zero, t_low))),
    );
    let magnitude = scale_by_reduced(e.add(tail), rounded);

    // Whether y is an integer, and odd: below 2^52, rounding |y| and |y|/2 to integers by adding 2^52
    // tells; from 2^52 every float is an integer, odd below 2^53 where adding 2^53 rounds it away.
    let (two52, two53) = (c(4_503_599_627_370_496.0), c(9_007_199_254_740_992.0));
    let ay = y.abs();
    let half = c(0.5).mul(ay);
    let integer = V::select(
        ay.gt(c(4_503_599_627_370_495.0)),
        one,
        equal(ay.add(two52).sub(two52), ay, one, zero),
    );
    let odd_small = integer.mul(equal(half.add(two52).sub(two52), half, zero, one));
    let odd_large = equal(ay.add(two53).sub(two53), ay, zero, one);
    let odd = V::select(ay.gt(c(4_503_599_627_370_495.0)), odd_large, odd_small);
    let odd = V::select(ay.gt(c(9_007_199_254_740_991.0)), zero, odd);
    // x < 0, −0 included (1/−0 = −∞).
    let negative = V::select(zero.gt(x), one, flag(zero.gt(one.div(x)), x));

    // Zero, infinite x, infinite y.
    let at_zero = V::select(zero.gt(y), infinity, zero);
    let at_infinity = V::select(zero.gt(y), zero, infinity);
    let below_one = one.gt(a);
    let y_infinite = V::select(
        y.gt(zero),
        V::select(below_one, zero, infinity),
        V::select(below_one, infinity, zero),
    );
    let value = equal(a, zero, at_zero, magnitude);
    let value = equal(a, infinity, at_infinity, value);
    let value = equal(a, one, one, value);
    let value = equal(y.abs(), infinity, equal(a, one, one, y_infinite), value);
    // The sign of an odd power of a negative x; NaN for a negative finite x to a non-integer power.
    let value = V::select(negative.mul(odd).gt(c(0.5)), value.neg(), value);
    let not_integer = one.sub(integer);
    let finite_nonzero = flag(c(f64::MAX).gt(a), a).mul(flag(a.gt(zero), a));
    let undefined = negative
        .mul(not_integer)
        .mul(flag(c(f64::MAX).gt(ay), y))
        .mul(finite_nonzero);
    let undefined = V::select(a.is_nan(), zero, V::select(y.is_nan(), zero, undefined));
    let value = V::select(undefined.gt(c(0.5)), c(f64::NAN), value);
    let value = V::select(x.is_nan(), x, V::select(y.is_nan(), y, value));
    // x⁰ = 1 and 1ʸ = 1, NaN or not.
    let value = equal(y, zero, one, value);
    equal(x, one, one, value)
}

#[cfg(test)]
mod tests {
    use super::super::reference::*;
    use super::*;
    use crate::simd::{LaneLoop, Lanes8, Token, Width, run_in};

    /// `xʸ` to about 100 bits for positive `x`, `|y ln x| ≤ 708`: `ln x` from its reference, the product in
    /// double-double, `e^(hi + lo) = e^hi·(1 + lo)`.
    fn pow_reference(x: f64, y: f64) -> Dd {
        let t = log_reference(x).mul(Dd(y, 0.0));
        exp_reference(t.0).mul(Dd(1.0, t.1))
    }

    #[test]
    fn pow_is_within_one_ulp() {
        let mut points: Vec<(f64, f64)> = Vec::new();
        let (xs, ys) = (sample(100_000, 0.0, 10.0, 111), sample(100_000, -30.0, 30.0, 112));
        points.extend(xs.into_iter().zip(ys));
        // Every exponent of x, with y keeping |y ln x| up to 700.
        let (es, ts) = (
            sample(100_000, -1070.0, 1020.0, 113),
            sample(100_000, -700.0, 700.0, 114),
        );
        points.extend(es.into_iter().zip(ts).map(|(e, t)| {
            let x = 2f64.powf(e);
            (x, t / x.ln())
        }));
        // x near 1 with large y.
        let (ds, ts) = (sample(50_000, -1e-6, 1e-6, 115), sample(50_000, -700.0, 700.0, 116));
        points.extend(ds.into_iter().zip(ts).map(|(d, t)| (1.0 + d, t / (1.0 + d).ln())));
        let finite = points
            .into_iter()
            .filter(|&(x, y)| x > 0.0 && x.is_finite() && y.is_finite() && (y * x.ln()).abs() <= 708.0);
        let worst = worst2(finite, pow, pow_reference);
        assert!(
            worst.0 <= 1.0,
            "pow({:e}, {:e}) is off by {} ulp",
            worst.1,
            worst.2,
            worst.0
        );
        eprintln!("pow: worst {} ulp at ({:e}, {:e})", worst.0, worst.1, worst.2);
    }

    #[test]
    fn integer_powers_are_exact_where_they_fit() {
        for base in -20i32..=20 {
            for power in 0..=12 {
                let exact = f64::from(base).powi(power);
                if exact.abs() < 2f64.powi(53) {
                    assert_eq!(pow(f64::from(base), f64::from(power)), exact, "{base}^{power}");
                }
            }
        }
        assert_eq!(pow(2.0, -1074.0), 5e-324);
        assert_eq!(pow(2.0, 1023.0), 2f64.powi(1023));
        assert_eq!(pow(-0.5, 3.0), -0.125);
    }

    /// IEEE's special cases (zeros, infinities, NaN, ±1, negative bases), against the `libm` crate (which
    /// follows them) bit for bit.
    #[test]
    fn special_cases_follow_ieee() {
        let values = [
            0.0,
            -0.0,
            0.5,
            -0.5,
            1.0,
            -1.0,
            2.0,
            -2.0,
            3.0,
            -3.0,
            2.5,
            -2.5,
            1e300,
            -1e300,
            5e-324,
            -5e-324,
            9007199254740993.0,
            -9007199254740992.0,
            f64::INFINITY,
            f64::NEG_INFINITY,
            f64::NAN,
        ];
        for &x in &values {
            for &y in &values {
                let (ours, theirs) = (pow(x, y), libm::pow(x, y));
                // Ordinary values only as close as two computations within an ulp each can be.
                let ordinary = theirs.is_finite() && theirs != 0.0;
                assert!(
                    ours.to_bits() == theirs.to_bits()
                        || (ours.is_nan() && theirs.is_nan())
                        || (ordinary && (ours - theirs).abs() <= 2.0 * f64::EPSILON * theirs.abs()),
                    "pow({x:e}, {y:e}) = {ours:e}, IEEE {theirs:e}"
                );
            }
        }
    }

    /// Every width returns the bits of one value at a time.
    #[test]
    fn every_width_returns_the_same_bits() {
        struct Check(Vec<f64>, Vec<f64>);
        impl LaneLoop for Check {
            type Output = ();
            #[inline(always)]
            fn run<V: Lanes8>(self, token: Token<V>) {
                for (xs, ys) in self.0.chunks_exact(8).zip(self.1.chunks_exact(8)) {
                    let x = V::from_array(token, xs.try_into().unwrap());
                    let y = V::from_array(token, ys.try_into().unwrap());
                    let lanes = pow_lanes(x, y).to_array();
                    for k in 0..8 {
                        assert_eq!(lanes[k].to_bits(), pow(xs[k], ys[k]).to_bits(), "{} {}", xs[k], ys[k]);
                    }
                }
            }
        }
        let mut xs = sample(50_000, -10.0, 10.0, 117);
        xs.extend([
            f64::NAN,
            f64::INFINITY,
            f64::NEG_INFINITY,
            -0.0,
            0.0,
            5e-324,
            f64::MAX,
            1.0,
        ]);
        let mut ys = sample(50_000, -40.0, 40.0, 118);
        ys.extend([0.0, 2.0, 3.0, f64::NAN, f64::INFINITY, -1.0, 0.5, -3.0]);
        let n = xs.len() / 8 * 8;
        for width in Width::available() {
            run_in(width, Check(xs[..n].to_vec(), ys[..n].to_vec())).unwrap();
        }
    }
}
