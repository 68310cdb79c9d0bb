//! The error function and its complement: fdlibm's method (FreeBSD's `s_erf.c`) over lanes, every range
//! computed and the right one selected, so that the same bits come out one value or eight at a time, on
//! every processor.

use super::{exp_reduced_parts, horner, horner_compensated, scale_by_reduced, two_product, two_sum};
use crate::simd::{Lanes, ROUNDER};

/// `erf 1` rounded to 24 bits: erf on `[0.84375, 1.25)` is it plus a rational function of `|x| − 1`.
const ERX: f64 = f64::from_bits(0x3feb_0ac1_6000_0000);

/// fdlibm's `(erf x − x)/x = P(x²)/Q(x²)` on `|x| < 0.84375` (`Q` with its leading 1).
const SMALL_P: [f64; 5] = [
    f64::from_bits(0x3fc0_6eba_8214_db68),
    f64::from_bits(0xbfd4_cd7d_691c_b913),
    f64::from_bits(0xbf9d_2a51_dbd7_194f),
    f64::from_bits(0xbf77_a291_2366_68e4),
    f64::from_bits(0xbef8_ead6_1200_16ac),
];
const SMALL_Q: [f64; 6] = [
    1.0,
    f64::from_bits(0x3fd9_7779_cdda_dc09),
    f64::from_bits(0x3fb0_a54c_5536_ceba),
    f64::from_bits(0x3f74_d022_c4d3_6b0f),
    f64::from_bits(0x3f21_5dc9_221c_1a10),
    f64::from_bits(0xbed0_9c43_42a2_6120),
];

/// fdlibm's `erf(1 + s) − ERX = P(s)/Q(s)` on `0.84375 ≤ |x| < 1.25`.
const NEAR_P: [f64; 7] = [
    f64::from_bits(0xbf63_59b8_bef7_7538),
    f64::from_bits(0x3fda_8d00_ad92_b34d),
    f64::from_bits(0xbfd7_d240_fbb8_c3f1),
    f64::from_bits(0x3fd4_5fca_8051_20e4),
    f64::from_bits(0xbfbc_6398_3d3e_28ec),
    f64::from_bits(0x3fa2_2a36_5997_95eb),
    f64::from_bits(0xbf61_bf38_0a96_073f),
];
const NEAR_Q: [f64; 7] = [
    1.0,
    f64::from_bits(0x3fbb_3e66_18ee_e323),
    f64::from_bits(0x3fe1_4af0_92eb_6f33),
    f64::from_bits(0x3fb2_635c_d99f_e9a7),
    f64::from_bits(0x3fc0_2660_e763_351f),
    f64::from_bits(0x3f8b_edc2_6b51_dd1c),
    f64::from_bits(0x3f88_8b54_5735_151d),
];

/// fdlibm's `ln(x·erfc x) + x² + 0.5625 = R(1/x²)/S(1/x²)` on `1.25 ≤ |x| < 1/0.35`.
const FAR_R: [f64; 8] = [
    f64::from_bits(0xbf84_3412_600d_6435),
    f64::from_bits(0xbfe6_3416_e4ba_7360),
    f64::from_bits(0xc025_1e04_41b0_e726),
    f64::from_bits(0xc04f_300a_e4cb_a38d),
    f64::from_bits(0xc064_4cb1_8428_2266),
    f64::from_bits(0xc067_135c_ebcc_abb2),
    f64::from_bits(0xc054_5265_57e4_d2f2),
    f64::from_bits(0xc023_a0ef_c69a_c25c),
];
const FAR_S: [f64; 9] = [
    1.0,
    f64::from_bits(0x4033_a6b9_bd70_7687),
    f64::from_bits(0x4061_350c_526a_e721),
    f64::from_bits(0x407b_290d_d58a_1a71),
    f64::from_bits(0x4084_2b19_21ec_2868),
    f64::from_bits(0x407a_d021_5770_0314),
    f64::from_bits(0x405b_28a3_ee48_ae2c),
    f64::from_bits(0x401a_47ef_8e48_4a93),
    f64::from_bits(0xbfae_eff2_ee74_9a62),
];

/// The same on `1/0.35 ≤ |x| < 28`.
const FARTHER_R: [f64; 7] = [
    f64::from_bits(0xbf84_3412_39e8_6f4a),
    f64::from_bits(0xbfe9_93ba_70c2_85de),
    f64::from_bits(0xc031_c209_555f_995a),
    f64::from_bits(0xc064_145d_43c5_ed98),
    f64::from_bits(0xc083_ec88_1375_f228),
    f64::from_bits(0xc090_0461_6a2e_5992),
    f64::from_bits(0xc07e_384e_9bdc_383f),
];
const FARTHER_S: [f64; 8] = [
    1.0,
    f64::from_bits(0x403e_568b_261d_5190),
    f64::from_bits(0x4074_5cae_221b_9f0a),
    f64::from_bits(0x4098_02eb_189d_5118),
    f64::from_bits(0x40a8_ffb7_688c_246a),
    f64::from_bits(0x40a3_f219_cedf_3be6),
    f64::from_bits(0x407d_a874_e79f_e763),
    f64::from_bits(0xc036_70e2_4271_2d62),
];

/// What both functions are built from, for `a = |x|`.
struct Pieces<V> {
    /// `(erf a − a)/a`, for `a < 0.84375`.
    small: V,
    /// `erf a − ERX`, for `0.84375 ≤ a < 1.25`.
    near: V,
    /// `erfc a`, for `1.25 ≤ a < 28`: `e^(−z² − 0.5625 + (z − a)(z + a) + R/S)/a`, with `z` = `a` rounded
    /// to a multiple of `2⁻²⁰` (so that `z² + 0.5625` is exact).
    far: V,
}

#[inline(always)]
fn pieces<V: Lanes>(a: V) -> Pieces<V> {
    let c = |k| a.token().splat(k);
    let small_a = a.min(c(0.84375));
    let z = small_a.mul(small_a);
    let small = horner(z, &SMALL_P).div(horner(z, &SMALL_Q));
    let s = a.max(c(0.84375)).min(c(1.25)).sub(c(1.0));
    let near = horner(s, &NEAR_P).div(horner(s, &NEAR_Q));
    let far_a = a.max(c(1.25)).min(c(28.0));
    let s = c(1.0).div(far_a.mul(far_a));
    let ratio = V::select(
        far_a.gt(c(1.0 / 0.35)),
        horner(s, &FARTHER_R).div(horner(s, &FARTHER_S)),
        horner(s, &FAR_R).div(horner(s, &FAR_S)),
    );
    Pieces {
        small,
        near,
        far: far(far_a, ratio),
    }
}

/// `erfc a` for `1.25 ≤ a < 28`, from `ratio = R/S` at `1/a²`: as [`Pieces::far`] says.
#[inline(always)]
fn far<V: Lanes>(a: V, ratio: V) -> V {
    let c = |k| a.token().splat(k);
    let z = a
        .mul(c(1_048_576.0))
        .add(c(ROUNDER))
        .sub(c(ROUNDER))
        .mul(c(1.0 / 1_048_576.0));
    // One exponential of the exact −z² − 0.5625 plus the rest, carried in double-double: the rest's low
    // part joins the exponential's tail, and the quotient by a is taken in double-double too, so that
    // the value is rounded once.
    let (h, l) = two_sum(z.mul(z).neg().sub(c(0.5625)), z.sub(a).mul(z.add(a)).add(ratio));
    let (t, tail, rounded) = exp_reduced_parts(h.max(c(-745.0)));
    let tail = tail.add(t.add(tail).mul(l));
    let q = t.div(a);
    let (p, p_err) = two_product(q, a);
    let q_low = t.sub(p).sub(p_err).add(tail).div(a);
    let value = scale_by_reduced(q.add(q_low), rounded);
    V::select(c(-745.0).gt(h), c(0.0), value)
}

/// The error function `erf x = (2/√π)∫₀ˣ e^(−t²) dt`, within one unit in the last place.
///
/// ```
/// let e = hetero::math::erf(1.0);
/// assert!((e - 0.8427007929497149).abs() <= f64::EPSILON * e);
/// assert_eq!(hetero::math::erf(-0.0).to_bits(), (-0.0f64).to_bits());
/// assert_eq!(hetero::math::erf(7.0), 1.0);
/// ```
#[inline]
pub fn erf(x: f64) -> f64 {
    erf_lanes(x)
}

/// [`erf`] in every lane: `x + x·P/Q` below `|x| = 0.84375`, `±(ERX + P/Q)` below 1.25, `±(1 − erfc |x|)`
/// below 6, `±1` beyond.
#[inline(always)]
pub(crate) fn erf_lanes<V: Lanes>(x: V) -> V {
    let c = |k| x.token().splat(k);
    let a = x.abs();
    let p = pieces(a);
    let magnitude = V::select(
        c(1.25).gt(a),
        c(ERX).add(p.near),
        V::select(c(6.0).gt(a), c(1.0).sub(p.far), c(1.0)),
    );
    let value = V::select(c(0.0).gt(x), magnitude.neg(), magnitude);
    let value = V::select(c(0.84375).gt(a), x.add(x.mul(p.small)), value);
    V::select(x.is_nan(), x, value)
}

/// The complementary error function `erfc x = 1 − erf x`, within one unit in the last place.
///
/// ```
/// let e = hetero::math::erfc(5.0);
/// assert!((e - 1.5374597944280349e-12).abs() <= f64::EPSILON * e);
/// assert_eq!(hetero::math::erfc(0.0), 1.0);
/// assert_eq!(hetero::math::erfc(-30.0), 2.0);
/// ```
#[inline]
pub fn erfc(x: f64) -> f64 {
    erfc_lanes(x)
}

/// The rational approximations' numerators and denominators of the small, near, far and farther ranges,
/// padded with zeros to one length: a compensated Horner step from zero is exact, so each lane can take
/// its range's coefficients, one evaluation for all.
const NUMERATORS: [[f64; 8]; 4] = [padded(&SMALL_P), padded(&NEAR_P), padded(&FAR_R), padded(&FARTHER_R)];
const DENOMINATORS: [[f64; 9]; 4] = [padded(&SMALL_Q), padded(&NEAR_Q), padded(&FAR_S), padded(&FARTHER_S)];

/// `k` followed by zeros.
const fn padded<const N: usize>(k: &[f64]) -> [f64; N] {
    let mut out = [0.0; N];
    let mut i = 0;
    while i < k.len() {
        out[i] = k[i];
        i += 1;
    }
    out
}

/// The derivatives of `SMALL_P` and `SMALL_Q`.
const SMALL_P_SLOPE: [f64; 4] = [SMALL_P[1], 2.0 * SMALL_P[2], 3.0 * SMALL_P[3], 4.0 * SMALL_P[4]];
const SMALL_Q_SLOPE: [f64; 5] = [
    SMALL_Q[1],
    2.0 * SMALL_Q[2],
    3.0 * SMALL_Q[3],
    4.0 * SMALL_Q[4],
    5.0 * SMALL_Q[5],
];

/// [`erfc`] in every lane, on fdlibm's ranges and rational approximations, with each lane's rational
/// function evaluated compensated and divided in double-double (rounded plainly, they cancel near
/// `x = 1`, where erfc falls to a tenth of them, and move the far form's exponent by half an ulp):
/// `1 − x − x·P/Q` in double-double below `|x| = 0.84375` (`P`, `Q` at `z = x²` rounded, plus their slopes
/// times its rounding), `(1 − ERX) − P/Q` in double-double or `1 + (ERX + P/Q)` below 1.25, the far form
/// or 2 less it below 28, 0 or 2 beyond.
#[inline(always)]
pub(crate) fn erfc_lanes<V: Lanes>(x: V) -> V {
    let c = |k| x.token().splat(k);
    let a = x.abs();
    let negative = c(0.0).gt(x);
    let (small, near) = (c(0.84375).gt(a), c(1.25).gt(a));
    let small_a = a.min(c(0.84375));
    let (z, dz) = two_product(small_a, small_a);
    let near_s = a.max(c(0.84375)).min(c(1.25)).sub(c(1.0));
    let far_a = a.max(c(1.25)).min(c(28.0));
    let far_s = c(1.0).div(far_a.mul(far_a));
    let farther = far_a.gt(c(1.0 / 0.35));
    let v = V::select(small, z, V::select(near, near_s, far_s));
    let mut numerator = [c(0.0); 8];
    let mut denominator = [c(0.0); 9];
    for (k, lanes) in numerator.iter_mut().enumerate() {
        let [s, n, f, ff] = NUMERATORS.map(|range| range[k]);
        *lanes = V::select(small, c(s), V::select(near, c(n), V::select(farther, c(ff), c(f))));
    }
    for (k, lanes) in denominator.iter_mut().enumerate() {
        let [s, n, f, ff] = DENOMINATORS.map(|range| range[k]);
        *lanes = V::select(small, c(s), V::select(near, c(n), V::select(farther, c(ff), c(f))));
    }
    let (p, p_low) = horner_compensated(v, &numerator);
    let (q, q_low) = horner_compensated(v, &denominator);
    let dz = V::select(small, dz, c(0.0));
    let p_low = p_low.add(horner(z, &SMALL_P_SLOPE).mul(dz));
    let q_low = q_low.add(horner(z, &SMALL_Q_SLOPE).mul(dz));
    let (y, y_low) = divide(p, p_low, q, q_low);
    // Below 0.84375: 1 − x − x·(y + y_low).
    let (s, s_err) = two_sum(c(1.0), x.neg());
    let (xy, xy_err) = two_product(x, y);
    let (t, t_err) = two_sum(s, xy.neg());
    let small_value = t.add(s_err.add(t_err).sub(xy_err.add(x.mul(y_low))));
    // Below 1.25: (1 − ERX) − (y + y_low), or 1 + ERX + y for negative x (near 1.8, nothing cancels).
    let (t, t_err) = two_sum(c(1.0 - ERX), y.neg());
    let near_value = V::select(negative, c(1.0).add(c(ERX).add(y)), t.add(t_err.sub(y_low)));
    let far_value = far(far_a, y.add(y_low));
    let far_value = V::select(negative, c(2.0).sub(far_value), far_value);
    let beyond = V::select(negative, c(2.0), c(0.0));
    let value = V::select(near, near_value, V::select(c(28.0).gt(a), far_value, beyond));
    let value = V::select(small, small_value, value);
    V::select(x.is_nan(), x, value)
}

/// `(p + p_low)/(q + q_low)` as `(y, y_low)`: `y` the quotient of the high parts, `y_low` the rest from
/// the exact remainder `p − y·q`.
#[inline(always)]
fn divide<V: Lanes>(p: V, p_low: V, q: V, q_low: V) -> (V, V) {
    let y = p.div(q);
    let (m, m_err) = two_product(y, q);
    (y, p.sub(m).sub(m_err).add(p_low).sub(y.mul(q_low)).div(q))
}

#[cfg(test)]
mod tests {
    use super::super::reference::two_product;
    use super::super::reference::*;
    use super::*;
    use crate::simd::{LaneLoop, Lanes8, Token, Width, run_in};

    /// `2/√π` and `1/√π` to about 107 bits.
    const TWO_OVER_SQRT_PI: Dd = Dd(
        f64::from_bits(0x3ff2_0dd7_5042_9b6d),
        f64::from_bits(0x3c71_ae3a_914f_ed80),
    );
    const ONE_OVER_SQRT_PI: Dd = Dd(
        f64::from_bits(0x3fe2_0dd7_5042_9b6d),
        f64::from_bits(0x3c61_ae3a_914f_ed80),
    );

    /// `erf x` to about 95 bits for `|x| < 3`: its Taylor series, `(2/√π) Σ (−1)ⁿ x^(2n+1)/(n!(2n+1))`.
    fn erf_reference(x: f64) -> Dd {
        let minus_z = two_product(x, x).scale(-1.0);
        let (mut power, mut sum) = (Dd(x, 0.0), Dd(0.0, 0.0));
        for n in 0..200 {
            sum = sum.add(power.div((2 * n + 1) as f64));
            power = power.mul(minus_z).div((n + 1) as f64);
            if power.0.abs() < 1e-40 {
                break;
            }
        }
        sum.mul(TWO_OVER_SQRT_PI)
    }

    /// `erfc x` to about 80 bits: `1 − erf x` below 3, else `e^(−x²)/√π` times Laplace's continued fraction
    /// `1/(x + (1/2)/(x + 1/(x + (3/2)/(x + …))))`, evaluated from 400 levels down.
    fn erfc_reference(x: f64) -> Dd {
        if x < 3.0 {
            return Dd(1.0, 0.0).add(erf_reference(x).scale(-1.0));
        }
        let mut t = Dd(x, 0.0);
        for k in (1..=400).rev() {
            t = Dd(x, 0.0).add(Dd(f64::from(k) / 2.0, 0.0).div_dd(t));
        }
        let square = two_product(x, x);
        let e = exp_reference(-square.0).mul(Dd(1.0, -square.1));
        e.mul(ONE_OVER_SQRT_PI).div_dd(t)
    }

    #[test]
    fn erf_is_within_one_ulp() {
        let mut points = sample(200_000, -3.0, 3.0, 101);
        points.extend(sample(20_000, -1e-6, 1e-6, 102));
        let (ulp, at) = worst(&points, erf, erf_reference);
        assert!(ulp <= 1.0, "erf({at:e}) is off by {ulp} ulp");
        eprintln!("erf: worst {ulp} ulp at {at:e}");
    }

    #[test]
    fn erfc_is_within_one_ulp() {
        let mut points = sample(100_000, -3.0, 3.0, 103);
        points.extend(sample(40_000, 3.0, 26.5, 104));
        // Where fdlibm's forms cancel, on both sides of 1, and each range's edges.
        points.extend(sample(100_000, 0.25, 1.25, 106));
        points.extend([0.25, 0.84375, 1.25, 1.0 / 0.35, 6.0].map(|x: f64| x.next_down()));
        let (ulp, at) = worst(&points, erfc, erfc_reference);
        assert!(ulp <= 1.0, "erfc({at:e}) is off by {ulp} ulp");
        eprintln!("erfc: worst {ulp} ulp at {at:e}");
    }

    #[test]
    fn edges() {
        assert!(erf(f64::NAN).is_nan() && erfc(f64::NAN).is_nan());
        assert_eq!(erf(f64::INFINITY), 1.0);
        assert_eq!(erf(f64::NEG_INFINITY), -1.0);
        assert_eq!(erfc(f64::INFINITY), 0.0);
        assert_eq!(erfc(f64::NEG_INFINITY), 2.0);
        assert_eq!(erf(0.0).to_bits(), 0.0f64.to_bits());
        assert_eq!(erf(-0.0).to_bits(), (-0.0f64).to_bits());
        assert_eq!(erf(5e-324), 5e-324);
        assert_eq!(erfc(0.0), 1.0);
        assert_eq!(erfc(28.0), 0.0);
        assert!(erfc(27.0) > 0.0);
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
                    let (e, ec) = (erf_lanes(x).to_array(), erfc_lanes(x).to_array());
                    for (k, &value) in chunk.iter().enumerate() {
                        assert_eq!(e[k].to_bits(), erf(value).to_bits(), "{value}");
                        assert_eq!(ec[k].to_bits(), erfc(value).to_bits(), "{value}");
                    }
                }
            }
        }
        let mut points = sample(80_000, -30.0, 30.0, 105);
        points.extend([
            f64::NAN,
            f64::INFINITY,
            f64::NEG_INFINITY,
            -0.0,
            0.0,
            5e-324,
            0.84375,
            1.25,
        ]);
        points.truncate(points.len() / 8 * 8);
        for width in Width::available() {
            run_in(width, Check(points.clone())).unwrap();
        }
    }
}
