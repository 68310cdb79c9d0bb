//! `eˣ`: fdlibm's reduction by `ln 2 / 16` and a table of `2^(j/16)` in two parts, over lanes, with the
//! shortcut for arguments known to lie where the result is a normal number.

use crate::simd::{Lanes, ROUNDER, Tables16};

/// `ln 2` split in two: the high part has 32 significant bits, so `k · LN2_HI` is exact for `|k| < 2^21`.
pub(super) const LN2_HI: f64 = f64::from_bits(0x3fe6_2e42_fee0_0000);
/// `ln 2 − LN2_HI`.
pub(super) const LN2_LO: f64 = f64::from_bits(0x3dea_39ef_3579_3c76);
/// Below this `eˣ` rounds to zero, above [`EXP_HIGH`] to infinity; arguments are clamped to the two.
const EXP_LOW: f64 = -746.0;
const EXP_HIGH: f64 = 710.0;

/// `1/k!` for `k = 2..=7`: the Taylor coefficients of `(eʳ − 1 − r) / r²`. On `|r| ≤ ln2 / 32` the first
/// term left out of `eʳ`, `r⁸/8!`, is below `1.3·10⁻¹⁸`.
const EXP_TAYLOR: [f64; 6] = [1.0 / 2.0, 1.0 / 6.0, 1.0 / 24.0, 1.0 / 120.0, 1.0 / 720.0, 1.0 / 5040.0];

/// `2^(j/16)` for `j = 0..16`, rounded to `f64`.
const EXP2_SIXTEENTHS: [f64; 16] = [
    f64::from_bits(0x3ff0_0000_0000_0000),
    f64::from_bits(0x3ff0_b558_6cf9_890f),
    f64::from_bits(0x3ff1_72b8_3c7d_517b),
    f64::from_bits(0x3ff2_387a_6e75_6238),
    f64::from_bits(0x3ff3_06fe_0a31_b715),
    f64::from_bits(0x3ff3_dea6_4c12_3422),
    f64::from_bits(0x3ff4_bfda_d536_2a27),
    f64::from_bits(0x3ff5_ab07_dd48_5429),
    f64::from_bits(0x3ff6_a09e_667f_3bcd),
    f64::from_bits(0x3ff7_a114_73eb_0187),
    f64::from_bits(0x3ff8_ace5_422a_a0db),
    f64::from_bits(0x3ff9_c491_82a3_f090),
    f64::from_bits(0x3ffa_e89f_995a_d3ad),
    f64::from_bits(0x3ffc_199b_dd85_529c),
    f64::from_bits(0x3ffd_5818_dcfb_a487),
    f64::from_bits(0x3ffe_a4af_a2a4_90da),
];

/// `2^(j/16) − EXP2_SIXTEENTHS[j]`, rounded: the two together carry `2^(j/16)` to about 106 bits.
const EXP2_SIXTEENTHS_LOW: [f64; 16] = [
    f64::from_bits(0x0000_0000_0000_0000),
    f64::from_bits(0x3c98_a62e_4adc_610b),
    f64::from_bits(0xbc81_9041_b9d7_8a76),
    f64::from_bits(0x3c99_b07e_b6c7_0573),
    f64::from_bits(0x3c86_f46a_d231_82e4),
    f64::from_bits(0x3c8a_da09_11f0_9ebc),
    f64::from_bits(0x3c7d_4397_afec_42e2),
    f64::from_bits(0x3c96_324c_0546_47ad),
    f64::from_bits(0xbc9b_dd34_13b2_6456),
    f64::from_bits(0xbc84_1577_ee04_992f),
    f64::from_bits(0x3c96_e9f1_5686_4b27),
    f64::from_bits(0x3c7c_7c46_b071_f2be),
    f64::from_bits(0x3c97_a1cd_345d_cc81),
    f64::from_bits(0x3c81_1065_8950_48dd),
    f64::from_bits(0x3c82_ed02_d75b_3707),
    f64::from_bits(0xbc9e_9c23_179c_2893),
];

/// [`EXP2_SIXTEENTHS`] and [`EXP2_SIXTEENTHS_LOW`], read together.
static EXP2_SIXTEENTHS_BOTH: Tables16 = Tables16::new(EXP2_SIXTEENTHS, EXP2_SIXTEENTHS_LOW);

/// `eˣ`, within one unit in the last place (and usually correctly rounded).
///
/// ```
/// let e = hetero::math::exp(1.0);
/// assert!((e - std::f64::consts::E).abs() <= f64::EPSILON * e);
/// assert_eq!(hetero::math::exp(0.0), 1.0);
/// assert_eq!(hetero::math::exp(-1000.0), 0.0);
/// assert_eq!(hetero::math::exp(1000.0), f64::INFINITY);
/// ```
#[inline]
pub fn exp(x: f64) -> f64 {
    exp_lanes(x)
}

/// The arguments for which [`exp_lanes_normal`] may be used: `eˣ` and every intermediate power of two are
/// normal numbers.
pub(crate) const EXP_NORMAL_RANGE: (f64, f64) = (-708.0, 709.0);

/// [`exp`] in every lane.
///
/// `x = (16k + j)·ln2/16 + r` with `16k + j` the nearest integer to `16x / ln2`, `0 ≤ j < 16` and
/// `|r| ≤ ln2/32`; then `eˣ = 2^k · 2^(j/16) · eʳ`, with `2^(j/16)` from a table of two parts and `eʳ − 1` from
/// its Taylor series to `r⁷`. The rounding errors before the last addition add up to less than `0.15` ulp, so
/// the result is within `0.65` ulp. The scaling by `2^k` is done in two exact steps, so that results near
/// overflow and in the subnormal range are rounded once more at most.
#[inline(always)]
pub(crate) fn exp_lanes<V: Lanes>(x: V) -> V {
    let c = |k| x.token().splat(k);
    let (y, rounded) = exp_reduced(x.max(c(EXP_LOW)).min(c(EXP_HIGH)));
    V::select(x.is_nan(), x, scale_by_reduced(y, rounded))
}

/// `y · 2ᵏ` for `rounded = ROUNDER + 16k + j` from [`exp_reduced`], in two exact steps: with `m = 16k + j`,
/// `2ᵏ = 2^(m >> 5) · 2^((m + 16) >> 5)`, both factors normal for `|x| ≤ 746`, so that results near
/// overflow and in the subnormal range are rounded once more at most.
#[inline(always)]
pub(super) fn scale_by_reduced<V: Lanes>(y: V, rounded: V) -> V {
    y.mul(rounded.pow2_of_rounded::<5>())
        .mul(rounded.add(rounded.token().splat(16.0)).pow2_of_rounded::<5>())
}

/// Whether every `x` in `[lo, hi]` lies in [`EXP_NORMAL_RANGE`], where [`exp_lanes_normal`] may be used.
pub(crate) fn exp_normal_over(lo: f64, hi: f64) -> bool {
    let (low, high) = EXP_NORMAL_RANGE;
    lo >= low && hi <= high
}

/// [`exp_lanes`] for arguments inside [`EXP_NORMAL_RANGE`], where it returns the same bits with less work:
/// no clamping, and one scaling by `2^k` (both of `exp_lanes`' scalings are then exact).
#[inline(always)]
pub(crate) fn exp_lanes_normal<V: Lanes>(x: V) -> V {
    exp_normal_of_reduction(exp_reduction(x))
}

/// `(2^(j/16) · eʳ, ROUNDER + 16k + j)` with `x = (16k + j)·ln2/16 + r`, for `|x| ≤ 746`.
#[inline(always)]
fn exp_reduced<V: Lanes>(x: V) -> (V, V) {
    let (t, tail, rounded) = exp_reduced_parts(x);
    (t.add(tail), rounded)
}

/// [`exp_reduced`] before its last addition: `2^(j/16) · eʳ = t + tail` (the tail's rounding errors below
/// `0.15` ulp of the sum), for functions that add more to the tail first.
#[inline(always)]
pub(super) fn exp_reduced_parts<V: Lanes>(x: V) -> (V, V, V) {
    let (r, rounded) = exp_reduction(x);
    let (t, tail) = exp_parts(r, exp_table(rounded));
    (t, tail, rounded)
}

/// `(r, ROUNDER + 16k + j)` with `x = (16k + j)·ln2/16 + r` ([`exp_lanes`]' reduction): the first half
/// of [`exp_lanes_normal`], for loops that run each half over many vectors in turn.
#[inline(always)]
pub(crate) fn exp_reduction<V: Lanes>(x: V) -> (V, V) {
    let rounded = x
        .mul(x.token().splat(16.0 * std::f64::consts::LOG2_E))
        .add(x.token().splat(ROUNDER));
    (exp_remainder(x, rounded), rounded)
}

/// [`exp_reduction`]'s `r` for its `rounded`: all of the reduction that is left for points known to share
/// `rounded`.
#[inline(always)]
pub(crate) fn exp_remainder<V: Lanes>(x: V, rounded: V) -> V {
    let c = |k| x.token().splat(k);
    let m = rounded.sub(c(ROUNDER));
    // Exact: m·LN2_HI/16 has at most 47 significant bits, and x − m·ln2/16 is smaller than x.
    let hi = x.sub_mul_exact(m, c(LN2_HI / 16.0));
    hi.sub(m.mul(c(LN2_LO / 16.0)))
}

/// [`exp_lanes_normal`] from [`exp_reduction`]'s `(r, rounded)`: its second half.
#[inline(always)]
pub(crate) fn exp_normal_of_reduction<V: Lanes>((r, rounded): (V, V)) -> V {
    exp_normal_of_parts(r, exp_table(rounded), rounded)
}

/// The two parts of `2^(j/16)` for `rounded = ROUNDER + 16k + j` from [`exp_reduction`].
#[inline(always)]
pub(crate) fn exp_table<V: Lanes>(rounded: V) -> (V, V) {
    rounded.lookup16(&EXP2_SIXTEENTHS_BOTH)
}

/// [`exp_normal_of_reduction`] with the table's entries for `rounded` given ([`exp_table`]), for points
/// known to share them.
#[inline(always)]
pub(crate) fn exp_normal_of_parts<V: Lanes>(r: V, entries: (V, V), rounded: V) -> V {
    let (t, tail) = exp_parts(r, entries);
    t.add(tail).scale_by_rounded::<4>(rounded)
}

/// `2^(j/16) · eʳ = t + tail` from `r` and the table's two parts `(t, t_low)` of `2^(j/16)`.
#[inline(always)]
fn exp_parts<V: Lanes>(r: V, (t, t_low): (V, V)) -> (V, V) {
    let c = |k| r.token().splat(k);

    // (eʳ − 1 − r)/r² in Estrin's order, which shortens the dependency chain from Horner's ten operations
    // to six.
    let [c2, c3, c4, c5, c6, c7] = EXP_TAYLOR;
    let [c2, c3, c4, c5, c6, c7] = [c(c2), c(c3), c(c4), c(c5), c(c6), c(c7)];
    let r2 = r.mul(r);
    let p = c2
        .add(c3.mul(r))
        .add(r2.mul(c4.add(c5.mul(r)).add(r2.mul(c6.add(c7.mul(r))))));
    // eʳ − 1, within 2·10⁻¹⁸.
    let u = r.add(r2.mul(p));
    // 2^(j/16)·eʳ = t + t·u + t_low + t_low·u; the last term is below 5·10⁻¹⁸.
    (t, t.mul(u).add(t_low))
}

#[cfg(test)]
mod tests {
    use super::super::reference::*;
    use super::super::trig::TINY;
    use super::super::{TRIG_LIMIT, cos, cos_lanes_near, cos_near_over, sin, sin_lanes_near, sin_near_over};
    use super::*;
    use crate::simd::{LaneLoop, Lanes8, Token, Width, run_in};

    #[test]
    fn exp_is_within_one_ulp() {
        let mut worst = (0.0, 0.0);
        for (lo, hi) in [
            (-1.0, 1.0),
            (-0.35, 0.35),
            (-30.0, 30.0),
            (-708.0, 709.0),
            (-1e-8, 1e-8),
            (-0.03, 0.03),
            (700.0, 709.0),
        ] {
            for x in sample(200_000, lo, hi, 7) {
                // Compared before the scaling by 2^k (exact on normal results), so that the reference keeps
                // its low part near the subnormal range.
                let (reference, k) = exp_reference_unscaled(x);
                let error = ulps(exp(x) * 2f64.powi(-k), reference);
                if error > worst.0 {
                    worst = (error, x);
                }
            }
        }
        // The bound `exp_lanes` documents.
        assert!(worst.0 <= 0.65, "exp({}) is off by {} ulp", worst.1, worst.0);
        eprintln!("largest error: {} ulp, at {}", worst.0, worst.1);
        // The reference itself is checked against the C library, which is correctly rounded in nearly all
        // cases: the two must be within one ulp everywhere.
        for x in sample(10_000, -700.0, 700.0, 8) {
            assert!(ulps(x.exp(), exp_reference(x)) <= 1.0, "{x}");
        }
    }

    #[test]
    fn the_table_holds_the_sixteenths_of_an_octave() {
        for (j, (&high, &low)) in EXP2_SIXTEENTHS.iter().zip(&EXP2_SIXTEENTHS_LOW).enumerate() {
            assert!(low.abs() <= high * f64::EPSILON / 2.0, "{j}");
            // (2^(j/16))^16 = 2^j, to the double-double reference's precision.
            let mut power = Dd(high, low);
            for _ in 0..4 {
                power = power.mul(power);
            }
            let error = ((power.0 - 2f64.powi(j as i32)) + power.1).abs() / 2f64.powi(j as i32);
            assert!(error < 1e-29, "2^({j}/16): relative error {error:e}");
        }
    }

    #[test]
    fn the_range_shortcuts_return_the_same_bits() {
        let (lo, hi) = EXP_NORMAL_RANGE;
        let mut x = sample(100_000, lo, hi, 11);
        x.extend([lo, hi, 0.0, -0.0]);
        for x in x {
            assert_eq!(exp_lanes_normal(x).to_bits(), exp(x).to_bits(), "{x}");
        }
        // And sin's and cos's inside their ranges, on both signs.
        let (lo, hi) = (TINY, TRIG_LIMIT);
        assert!(sin_near_over(lo, hi) && sin_near_over(-hi, -lo) && !sin_near_over(-lo, lo) && cos_near_over(-hi, hi));
        let mut x = sample(50_000, lo, 4.0, 12);
        x.extend(sample(50_000, 4.0, hi, 13));
        x.extend([lo, hi, std::f64::consts::FRAC_PI_4, std::f64::consts::FRAC_PI_2]);
        for x in x.iter().flat_map(|&x| [x, -x]) {
            assert_eq!(sin_lanes_near(x).to_bits(), sin(x).to_bits(), "sin {x}");
            assert_eq!(cos_lanes_near(x).to_bits(), cos(x).to_bits(), "cos {x}");
        }
        for x in [0.0, -0.0, 1e-300, -1e-20] {
            assert_eq!(cos_lanes_near(x).to_bits(), cos(x).to_bits(), "cos {x}");
        }
    }

    #[test]
    fn exp_edges() {
        assert_eq!(exp(0.0), 1.0);
        assert_eq!(exp(-0.0), 1.0);
        assert!(exp(f64::NAN).is_nan());
        assert_eq!(exp(f64::INFINITY), f64::INFINITY);
        assert_eq!(exp(f64::NEG_INFINITY), 0.0);
        assert_eq!(exp(709.79), f64::INFINITY);
        assert!(exp(709.78).is_finite());
        assert_eq!(exp(-745.2), 0.0);
        assert_eq!(exp(-745.1), f64::from_bits(1), "the smallest subnormal");
        // In the subnormal range the result is the C library's (correctly rounded) one, or one step away.
        for x in sample(10_000, -745.0, -708.5, 9) {
            let (ours, libm) = (exp(x).to_bits(), x.exp().to_bits());
            assert!(ours.abs_diff(libm) <= 1, "{x}: {ours:#x} vs {libm:#x}");
        }
    }

    /// `exp` of every element in lanes: [`exp_lanes_normal`] when `.1` is set, else [`exp_lanes`].
    struct ExpLoop<'a>(&'a [f64], bool);

    impl LaneLoop for ExpLoop<'_> {
        type Output = Vec<f64>;
        fn run<V: Lanes8>(self, token: Token<V>) -> Vec<f64> {
            self.0
                .chunks_exact(8)
                .flat_map(|x| {
                    let x = token.load(x.try_into().unwrap());
                    if self.1 { exp_lanes_normal(x) } else { exp_lanes(x) }.to_array()
                })
                .collect()
        }
    }

    #[test]
    fn every_width_returns_the_same_bits() {
        let mut x = sample(40_000, -750.0, 750.0, 10);
        x.extend([
            0.0,
            -0.0,
            f64::NAN,
            f64::INFINITY,
            f64::NEG_INFINITY,
            1e-300,
            -1e-300,
            709.78,
        ]);
        let scalar: Vec<u64> = x.iter().map(|&x| exp(x).to_bits()).collect();
        for width in Width::available() {
            let lanes: Vec<u64> = run_in(width, ExpLoop(&x, false))
                .unwrap()
                .iter()
                .map(|y| y.to_bits())
                .collect();
            assert_eq!(lanes.len(), scalar.len());
            for (i, (a, b)) in lanes.iter().zip(&scalar).enumerate() {
                assert!(
                    a == b || (f64::from_bits(*a).is_nan() && f64::from_bits(*b).is_nan()),
                    "{width:?} at {}",
                    x[i]
                );
            }
        }
        // The normal-range shortcut, in every width, against the scalar `exp`.
        let (lo, hi) = EXP_NORMAL_RANGE;
        let mut x = sample(40_000, lo, hi, 12);
        x.extend([lo, hi, 0.0, -0.0, 1e-300, -1e-300, -707.9, 708.9]);
        for width in Width::available() {
            let lanes = run_in(width, ExpLoop(&x, true)).unwrap();
            for (x, y) in x.iter().zip(lanes) {
                assert_eq!(y.to_bits(), exp(*x).to_bits(), "{width:?} at {x}");
            }
        }
    }
}
