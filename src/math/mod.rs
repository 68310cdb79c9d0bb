//! Elementary functions of hetero's own, written once over lanes of `f64` so that the same code runs one
//! value at a time or eight at a time in vector registers, with the same bits either way.
//!
//! The CPU's Simpson kernel evaluates its built-in integrands with these, a block of points per loop, instead
//! of calling the C library once per point. They are accurate to within one unit in the last place (the tests
//! measure the error against a double-double reference), and return the same bits on every processor:
//! every step is one IEEE operation; a fused multiply-add is used only where the product is exact, so
//! that it rounds as the multiplication and addition do.

use crate::simd::{Lanes, ROUNDER, Tables16, Token};

mod erf;
mod hyperbolic;
mod logarithms;
mod pow;
#[cfg(test)]
pub(crate) mod reference;
mod roots;

pub use erf::{erf, erfc};
pub(crate) use erf::{erf_lanes, erfc_lanes};
pub use hyperbolic::{cosh, expm1, sinh, tanh};
pub(crate) use hyperbolic::{cosh_lanes, expm1_lanes, sinh_lanes, tanh_lanes};
pub use logarithms::{log1p, log2, log10};
pub(crate) use logarithms::{log1p_lanes, log2_lanes, log10_lanes};
pub use pow::pow;
pub(crate) use pow::pow_lanes;
pub use roots::{cbrt, hypot};
pub(crate) use roots::{cbrt_lanes, hypot_lanes};

/// `ln 2` split in two: the high part has 32 significant bits, so `k · LN2_HI` is exact for `|k| < 2^21`.
const LN2_HI: f64 = f64::from_bits(0x3fe6_2e42_fee0_0000);
/// `ln 2 − LN2_HI`.
const LN2_LO: f64 = f64::from_bits(0x3dea_39ef_3579_3c76);
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
fn scale_by_reduced<V: Lanes>(y: V, rounded: V) -> V {
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
fn exp_reduced_parts<V: Lanes>(x: V) -> (V, V, V) {
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
fn split_positive<V: Lanes>(x: V) -> (V, V) {
    let c = |k| x.token().splat(k);
    let subnormal = c(f64::MIN_POSITIVE).gt(x);
    let scaled = V::select(subnormal, x.mul(c(18_014_398_509_481_984.0)), x);
    let (m, k) = scaled.split_exponent();
    (m, V::select(subnormal, k.sub(c(54.0)), k))
}

/// `(s, R)` with `s = f/(2 + f)` and `R` fdlibm's minimax polynomial in `s²` for `(log(1+f) − 2s)/s`, as
/// every logarithm evaluates them.
#[inline(always)]
fn log_polynomial<V: Lanes>(f: V) -> (V, V) {
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
fn log_specials<V: Lanes>(x: V, value: V) -> V {
    let c = |k| x.token().splat(k);
    let zero = c(0.0);
    let not_positive = V::select(zero.gt(x), c(f64::NAN), c(f64::NEG_INFINITY));
    let value = V::select(x.gt(zero), value, not_positive);
    let value = V::select(x.gt(c(f64::MAX)), x, value);
    V::select(x.is_nan(), x, value)
}

/// `c[0] + x·(c[1] + x·(… + x·c[n−1]))`: Horner's rule.
#[inline(always)]
fn horner<V: Lanes>(x: V, coefficients: &[f64]) -> V {
    let c = |k| x.token().splat(k);
    match coefficients.split_last() {
        Some((&last, rest)) => rest.iter().rev().fold(c(last), |acc, &k| c(k).add(x.mul(acc))),
        None => c(0.0),
    }
}

/// [`horner`] compensated (Graillat, Langlois and Louvet's CompHorner), with coefficients that may differ
/// from lane to lane: the polynomial as `(value, low)`, each step's rounding errors (exact, from
/// [`two_product`] and [`two_sum`]) evaluated alongside and returned as the low part, so that
/// `value + low` is as accurate as Horner's rule in twice the precision.
#[inline(always)]
fn horner_compensated<V: Lanes>(x: V, coefficients: &[V]) -> (V, V) {
    let zero = x.token().splat(0.0);
    let Some((&last, rest)) = coefficients.split_last() else {
        return (zero, zero);
    };
    let (mut value, mut low) = (last, zero);
    for &k in rest.iter().rev() {
        let (p, p_err) = two_product(value, x);
        let (sum, s_err) = two_sum(p, k);
        value = sum;
        low = low.mul(x).add(p_err.add(s_err));
    }
    (value, low)
}

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

/// Beyond this `|x|` (`2^20 · π/2`) [`sin`] and [`cos`] hand the argument to the C library: up to here
/// `n · π/2` for the nearest integer `n` is computed exactly enough in four parts.
pub const TRIG_LIMIT: f64 = 1_647_099.0;

/// `2/π`.
const TWO_OVER_PI: f64 = std::f64::consts::FRAC_2_PI;
/// `π/2 = P1 + P2 + P3 + P4` to about 160 bits; `P1`, `P2` and `P3` have at most 32 significant bits, so
/// `n · Pi` is exact for `|n| < 2^21`.
const PIO2: [f64; 4] = [
    f64::from_bits(0x3ff9_21fb_5440_0000),
    f64::from_bits(0x3dd0_b461_1a60_0000),
    f64::from_bits(0x3ba3_198a_2e00_0000),
    f64::from_bits(0x397b_839a_2520_49c1),
];

/// fdlibm's (FreeBSD's `k_sin.c`) minimax coefficients for `sin` on `[−π/4, π/4]`.
const SIN: [f64; 6] = [
    -f64::from_bits(0x3fc5_5555_5555_5549),
    f64::from_bits(0x3f81_1111_1110_f8a6),
    -f64::from_bits(0x3f2a_01a0_19c1_61d5),
    f64::from_bits(0x3ec7_1de3_57b1_fe7d),
    -f64::from_bits(0x3e5a_e5e6_8a2b_9ceb),
    f64::from_bits(0x3de5_d93a_5acf_d57c),
];

/// fdlibm's (FreeBSD's `k_cos.c`) minimax coefficients for `cos` on `[−π/4, π/4]`.
const COS: [f64; 6] = [
    f64::from_bits(0x3fa5_5555_5555_554c),
    -f64::from_bits(0x3f56_c16c_16c1_5177),
    f64::from_bits(0x3efa_01a0_19cb_1590),
    -f64::from_bits(0x3e92_7e4f_809c_52ad),
    f64::from_bits(0x3e21_ee9e_bdb4_b1c4),
    -f64::from_bits(0x3da8_fae9_be88_38d4),
];

/// `sin x`, within one unit in the last place for `|x| ≤` [`TRIG_LIMIT`] (the C library's beyond).
///
/// ```
/// let s = hetero::math::sin(1.0);
/// assert!((s - 0.8414709848078965).abs() <= f64::EPSILON * s);
/// assert!(hetero::math::sin(f64::INFINITY).is_nan());
/// ```
#[inline]
pub fn sin(x: f64) -> f64 {
    sin_lanes(x)
}

/// `cos x`, within one unit in the last place for `|x| ≤` [`TRIG_LIMIT`] (the C library's beyond).
///
/// ```
/// let c = hetero::math::cos(1.0);
/// assert!((c - 0.5403023058681398).abs() <= f64::EPSILON * c);
/// assert_eq!(hetero::math::cos(0.0), 1.0);
/// ```
#[inline]
pub fn cos(x: f64) -> f64 {
    cos_lanes(x)
}

/// [`sin`] in every lane.
#[inline(always)]
pub(crate) fn sin_lanes<V: Lanes>(x: V) -> V {
    trig(x, 0.0, f64::sin)
}

/// [`cos`] in every lane.
#[inline(always)]
pub(crate) fn cos_lanes<V: Lanes>(x: V) -> V {
    trig(x, 1.0, f64::cos)
}

/// `x = n·π/2 + (y0 + y1)` with `n` the nearest integer to `x·2/π` and `|y0 + y1| ≤ π/4` as a
/// double-double, for `|x| ≤` [`TRIG_LIMIT`]: `n·π/2` subtracted in four parts.
#[inline(always)]
pub(crate) fn reduce_pio2<V: Lanes>(x: V) -> (V, V, V) {
    let n = pio2_multiple(x);
    let (y0, y1) = reduce_pio2_by(x, pio2_parts(n), false);
    (n, y0, y1)
}

/// Whether [`reduce_pio2_by`]'s second sum `h + (−n·P3)` rounds to `h` for every `x` from `first` to
/// `last` (`first ≤ last`, `n ≠ 0` the same for all, `parts` its [`pio2_parts`]): where `|h| ≥ 2^54·|n·P3|`,
/// `n·P3` is below half a unit in `h`'s last place. `h = (x − n·P1) + (−n·P2)` never decreases as `x`
/// grows, so where it keeps one sign over the run its smallest magnitude is at an end.
pub(crate) fn pio2_settled_over(first: f64, last: f64, parts: [f64; 4]) -> bool {
    let h = |x: f64| (x - parts[0]) + parts[1];
    let bound = parts[2].abs() * (1u64 << 54) as f64;
    parts[2] != 0.0 && (h(first) >= bound || h(last) <= -bound)
}

/// [`reduce_pio2`]'s `n`, the nearest integer to `x·2/π`: it never decreases as `x` grows (each operation
/// rounds monotonically).
#[inline(always)]
pub(crate) fn pio2_multiple<V: Lanes>(x: V) -> V {
    let c = |k| x.token().splat(k);
    x.mul(c(TWO_OVER_PI)).add(c(ROUNDER)).sub(c(ROUNDER))
}

/// The four parts of `n·π/2` as [`reduce_pio2_by`] takes them: `n·P1`, `−n·P2`, `−n·P3` and `n·P4` (the
/// first three exact, with the sign in the constant).
#[inline(always)]
pub(crate) fn pio2_parts<V: Lanes>(n: V) -> [V; 4] {
    let c = |k| n.token().splat(k);
    [
        n.mul(c(PIO2[0])),
        n.mul(c(-PIO2[1])),
        n.mul(c(-PIO2[2])),
        n.mul(c(PIO2[3])),
    ]
}

/// [`reduce_pio2`]'s `(y0, y1)` from `n·π/2` in [`pio2_parts`].
///
/// Its two exact sums take Dekker's FastTwoSum (three operations instead of TwoSum's six): it is exact
/// where the first addend is the larger in magnitude, or where the sum itself is exact, and here one of
/// the two always holds (`|n| ≤ 2^20`). `a = x − n·P1` is a multiple of `2^-65` (`x` of `2^-53`, as
/// `|x| > 1/2` for `n ≠ 0`; `n·P1` of `2^-30`), and so is `n·P2` (`P2`'s 32 bits end at `2^-65`), below
/// `2^-13`: where `|a|` is the smaller, their sum is a multiple of `2^-65` below `2^-12`, which 53 bits
/// hold. Its rounding `h` is again a multiple of `2^-65`, and `n·P3` one of `2^-96` below `2^-48`: the
/// same argument. The same two numbers as TwoSum, so the same bits. For `n = 0` (`|x|` up to about π/4)
/// the parts are zeros and the result is `(x, +0)`.
///
/// `settled`: the second sum is known to round to its first addend ([`pio2_settled_over`]), so that it is
/// `(h, −n·P3)` without computing it.
#[inline(always)]
pub(crate) fn reduce_pio2_by<V: Lanes>(x: V, parts: [V; 4], settled: bool) -> (V, V) {
    // Exact: n·P1 has at most 53 significant bits and lies within a factor of two of x.
    let a = x.sub(parts[0]);
    let (h, l) = fast_two_sum(a, parts[1]);
    let (h, l2) = if settled {
        (h, parts[2])
    } else {
        fast_two_sum(h, parts[2])
    };
    let l = l.add(l2).sub(parts[3]);
    let y0 = h.add(l);
    (y0, h.sub(y0).add(l))
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

/// The high 26 bits of `u` (Veltkamp's split): its square and its products with another such part are
/// exact.
#[inline(always)]
fn high_part<V: Lanes>(u: V) -> V {
    let p = u.mul(u.token().splat(134_217_729.0));
    p.sub(p.sub(u))
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

/// fdlibm's (FreeBSD's `k_tan.c`) minimax coefficients of `tan` on `[−0.6744, 0.6744]`.
const TAN: [f64; 13] = [
    f64::from_bits(0x3fd5_5555_5555_5563),
    f64::from_bits(0x3fc1_1111_1110_fe7a),
    f64::from_bits(0x3fab_a1ba_1bb3_41fe),
    f64::from_bits(0x3f96_64f4_8406_d637),
    f64::from_bits(0x3f82_26e3_e96e_8493),
    f64::from_bits(0x3f6d_6d22_c956_0328),
    f64::from_bits(0x3f57_dbc8_fee0_8315),
    f64::from_bits(0x3f43_44d8_f2f2_6501),
    f64::from_bits(0x3f30_26f7_1a8d_1068),
    f64::from_bits(0x3f14_7e88_a037_92a6),
    f64::from_bits(0x3f12_b80f_32f0_a7e9),
    -f64::from_bits(0x3ef3_75cb_db60_5373),
    f64::from_bits(0x3efb_2a70_74bf_7ad4),
];

/// `tan x`, within one unit in the last place for `|x| ≤` [`TRIG_LIMIT`] (the `libm` crate's beyond).
///
/// ```
/// let t = hetero::math::tan(1.0);
/// assert!((t - 1.5574077246549023).abs() <= f64::EPSILON * t);
/// assert!(hetero::math::tan(f64::INFINITY).is_nan());
/// ```
#[inline]
pub fn tan(x: f64) -> f64 {
    tan_lanes(x)
}

/// [`tan`] in every lane: the reduction of [`sin`] and [`cos`], then fdlibm's `__kernel_tan` of
/// `y0 + y1`, `−1/tan` for odd `n`. Near `±π/4` it works on `π/4 − |y|`; `−1/w` is computed from a
/// 26-bit split of `w` and of its reciprocal (fdlibm clears the low word instead: the same exact
/// products).
#[inline(always)]
pub(crate) fn tan_lanes<V: Lanes>(x: V) -> V {
    let c = |k| x.token().splat(k);
    if V::any(x.abs().gt(c(TRIG_LIMIT))) {
        return x.map(|x| {
            if x.abs() > TRIG_LIMIT {
                libm::tan(x)
            } else {
                tan_lanes(x)
            }
        });
    }
    let (n, y0, y1) = reduce_pio2(x);
    let odd = n.bit(0);
    let negative = c(0.0).gt(y0);
    let big = y0
        .abs()
        .gt(c(f64::from_bits(0x3fe5_9428_0000_0000)).sub(c(f64::from_bits(0x3ca0_0000_0000_0000))));
    // |y0| ≥ 0.6743…: tan(π/4 − t) from t = π/4 − |y|.
    let (ay0, ay1) = (V::select(negative, y0.neg(), y0), V::select(negative, y1.neg(), y1));
    let folded = c(std::f64::consts::FRAC_PI_4)
        .sub(ay0)
        .add(c(f64::from_bits(0x3c81_a626_3314_5c07)).sub(ay1));
    let xx = V::select(big, folded, y0);
    let yy = V::select(big, c(0.0), y1);
    let z = xx.mul(xx);
    let w = z.mul(z);
    let t = TAN;
    let r = horner(w, &[t[1], t[3], t[5], t[7], t[9], t[11]]);
    let v = z.mul(horner(w, &[t[2], t[4], t[6], t[8], t[10], t[12]]));
    let s = z.mul(xx);
    let r = yy.add(z.mul(s.mul(r.add(v)).add(yy)));
    let r = r.add(c(t[0]).mul(s));
    let w = xx.add(r);
    // Near ±π/4: (1 or −1) − 2(x − (w²/(w + v) − r)), the sign of y0, v = ±1 by the parity of n.
    let iy = V::select(odd, c(-1.0), c(1.0));
    let near = iy.sub(c(2.0).mul(xx.sub(w.mul(w).div(w.add(iy)).sub(r))));
    let near = V::select(negative, near.neg(), near);
    // −1/(x + r), accurately: w = x + r and a = −1/w split into high parts whose product is exact.
    let wh = high_part(w);
    let vv = r.sub(wh.sub(xx));
    let a = c(-1.0).div(w);
    let th = high_part(a);
    let ss = c(1.0).add(th.mul(wh));
    let reciprocal = th.add(a.mul(ss.add(th.mul(vv))));
    let value = V::select(big, near, V::select(odd, reciprocal, w));
    // tan(±0) = ±0; NaN and ±∞ give NaN.
    let value = V::select(x.abs().gt(c(0.0)), value, x);
    V::select(x.sub(x).is_nan(), x.sub(x), value)
}

/// `sin(x + shift·π/2)` for `shift` 0 or 1; lanes beyond [`TRIG_LIMIT`] take `far` (the C library's
/// function) instead, lane by lane, the same in every width.
#[inline(always)]
fn trig<V: Lanes>(x: V, shift: f64, far: fn(f64) -> f64) -> V {
    let c = |k| x.token().splat(k);
    if V::any(x.abs().gt(c(TRIG_LIMIT))) {
        return x.map(|x| {
            if x.abs() > TRIG_LIMIT {
                far(x)
            } else {
                trig(x, shift, far)
            }
        });
    }
    let value = trig_near(x, shift);
    if shift == 0.0 {
        // sin x rounds to x below 2^-26; returning x keeps the sign of a zero.
        V::select(c(TINY).gt(x.abs()), x, value)
    } else {
        value
    }
}

/// Whether every `x` in `[lo, hi]` has `|x|` from `2^-26` to [`TRIG_LIMIT`], where [`sin_lanes_near`] may be
/// used.
pub(crate) fn sin_near_over(lo: f64, hi: f64) -> bool {
    cos_near_over(lo, hi) && (lo >= TINY || hi <= -TINY)
}

/// Whether every `x` in `[lo, hi]` has `|x| ≤` [`TRIG_LIMIT`], where [`cos_lanes_near`] may be used.
pub(crate) fn cos_near_over(lo: f64, hi: f64) -> bool {
    lo >= -TRIG_LIMIT && hi <= TRIG_LIMIT
}

/// [`sin_lanes`] for lanes with `|x|` from `2^-26` to [`TRIG_LIMIT`] ([`sin_near_over`]), where it returns
/// the same bits with less work (no lane takes the far or the tiny path).
#[inline(always)]
pub(crate) fn sin_lanes_near<V: Lanes>(x: V) -> V {
    trig_near(x, 0.0)
}

/// [`cos_lanes`] for lanes with `|x| ≤` [`TRIG_LIMIT`] ([`cos_near_over`]), where it returns the same bits
/// with less work.
#[inline(always)]
pub(crate) fn cos_lanes_near<V: Lanes>(x: V) -> V {
    trig_near(x, 1.0)
}

/// `sin(x + shift·π/2)` for `|x| ≤` [`TRIG_LIMIT`], with no special case for tiny `x`.
///
/// `x = n·π/2 + (y0 + y1)`, `|y0 + y1| ≤ π/4`, with `n·π/2` subtracted in four parts and the remainder kept
/// as a double-double; then fdlibm's kernels for `sin` and `cos` of `y0 + y1`, and the quadrant
/// `n + shift` picks one of them and its sign.
#[inline(always)]
fn trig_near<V: Lanes>(x: V, shift: f64) -> V {
    trig_near_of_reduction(reduce_pio2(x), shift)
}

/// [`sin_lanes_near`] (`shift` 0) or [`cos_lanes_near`] (`shift` 1) from [`reduce_pio2`]'s `(n, y0, y1)`:
/// their second half, for loops that run each half over many vectors in turn.
#[inline(always)]
pub(crate) fn trig_near_of_reduction<V: Lanes>((n, y0, y1): (V, V, V), shift: f64) -> V {
    let z = y0.mul(y0);
    let quadrant = n.add(n.token().splat(shift));
    let odd = quadrant.bit(0);
    // Neighbouring arguments (a rule's points, a vector of them) mostly share the parity of their
    // quadrant: then only the kernel they need is evaluated (the same values as selecting from both).
    let value = if !V::any(odd) {
        sin_kernel_of(y0, y1, z)
    } else if V::all(odd) {
        cos_kernel_of(y0, y1, z)
    } else {
        V::select(odd, cos_kernel_of(y0, y1, z), sin_kernel_of(y0, y1, z))
    };
    V::select(quadrant.bit(1), value.neg(), value)
}

/// fdlibm's `__kernel_sin`: `sin(y0 + y1)` for `|y0 + y1| ≤ π/4` ([`reduce_pio2`]'s remainder): for lanes
/// that share their quadrant, with `n + shift` even.
#[inline(always)]
pub(crate) fn sin_kernel<V: Lanes>(y0: V, y1: V) -> V {
    sin_kernel_of(y0, y1, y0.mul(y0))
}

/// fdlibm's `__kernel_cos`: `cos(y0 + y1)` for `|y0 + y1| ≤ π/4`: for lanes that share their quadrant, with
/// `n + shift` odd.
#[inline(always)]
pub(crate) fn cos_kernel<V: Lanes>(y0: V, y1: V) -> V {
    cos_kernel_of(y0, y1, y0.mul(y0))
}

/// [`sin_kernel`] with `z = y0²`.
#[inline(always)]
fn sin_kernel_of<V: Lanes>(y0: V, y1: V, z: V) -> V {
    let c = |k| y0.token().splat(k);
    let v = z.mul(y0);
    let r = sin_polynomial(z);
    y0.sub(z.mul(c(0.5).mul(y1).sub(v.mul(r))).sub(y1).sub(v.mul(c(SIN[0]))))
}

/// [`sin_kernel`] for a remainder that is one double (`y1 = +0`, as [`reduce_pio2_by`] leaves `x` for
/// `n = 0`), with the same bits for `2^-26 ≤ |y0| ≤ π/4`, in five operations after the polynomial
/// instead of eight (and two fewer in the chain). With `y1 = +0`, `0.5·y1 − v·r` is `−(v·r)` exactly (as
/// `v·r ≠ 0`) and subtracting `y1` leaves a number as it is; rounding to nearest is symmetric, so
/// `y0 − (z·(−(v·r)) − v·S1)` is `y0 + (z·(v·r) + v·S1)`.
#[inline(always)]
pub(crate) fn sin_kernel_single<V: Lanes>(y0: V) -> V {
    let c = |k| y0.token().splat(k);
    let z = y0.mul(y0);
    let v = z.mul(y0);
    let r = sin_polynomial(z);
    y0.add(z.mul(v.mul(r)).add(v.mul(c(SIN[0]))))
}

/// The polynomial of fdlibm's `__kernel_sin` in `z = y0²` (`S2 + z·(S3 + …)`).
#[inline(always)]
fn sin_polynomial<V: Lanes>(z: V) -> V {
    let c = |k| z.token().splat(k);
    let mut r = c(SIN[5]);
    for &coefficient in SIN[1..5].iter().rev() {
        r = r.mul(z).add(c(coefficient));
    }
    r
}

/// [`cos_kernel`] with `z = y0²`.
#[inline(always)]
fn cos_kernel_of<V: Lanes>(y0: V, y1: V, z: V) -> V {
    cos_kernel_finish(z, cos_zr(z).sub(y0.mul(y1)))
}

/// [`cos_kernel`] for a remainder that is one double (`y1 = +0`): the same bits for every `|y0| ≤ π/4`,
/// without the correction `y0·y1`. `y0·(+0)` is a zero, and `z·r` is at least `+0` (`z ≥ 0`, `r = z·p`
/// with `p > 0`), so that `z·r − y0·y1` is `z·r` (`+0 − (±0)` is `+0`).
#[inline(always)]
pub(crate) fn cos_kernel_single<V: Lanes>(y0: V) -> V {
    let z = y0.mul(y0);
    cos_kernel_finish(z, cos_zr(z))
}

/// `z·r` of fdlibm's `__kernel_cos` in `z = y0²`: `r = z·p`, `p = C1 + z·(C2 + …)`.
#[inline(always)]
fn cos_zr<V: Lanes>(z: V) -> V {
    let c = |k| z.token().splat(k);
    let mut p = c(COS[5]);
    for &coefficient in COS[..5].iter().rev() {
        p = p.mul(z).add(c(coefficient));
    }
    z.mul(z.mul(p))
}

/// The end of fdlibm's `__kernel_cos`: `cos(y0 + y1)` from `z = y0²` and `z·r − y0·y1`, with
/// `1 − z/2` split so that its rounding error is added back.
#[inline(always)]
fn cos_kernel_finish<V: Lanes>(z: V, tail: V) -> V {
    let c = |k| z.token().splat(k);
    let hz = c(0.5).mul(z);
    let w = c(1.0).sub(hz);
    w.add(c(1.0).sub(w).sub(hz).add(tail))
}

/// Below this `|x|`, `sin x` rounds to `x`.
const TINY: f64 = 1.0 / (1u64 << 26) as f64;

/// `(p, e)` with `p = a·b` rounded and `p + e = a·b` exactly, for products that neither overflow nor
/// lose bits below the smallest normal number (and factors below 2⁹⁹⁶): one fused multiply-subtract
/// where the lanes have it, else Dekker's product over Veltkamp's split (IEEE operations only). Both give
/// the exact `e`, so the same bits.
#[inline(always)]
fn two_product<V: Lanes>(a: V, b: V) -> (V, V) {
    if V::FUSED {
        let p = a.mul(b);
        return (p, a.mul_sub_fused(b, p));
    }
    let p = a.mul(b);
    let (a_hi, b_hi) = (high_part(a), high_part(b));
    let (a_lo, b_lo) = (a.sub(a_hi), b.sub(b_hi));
    let e = a_hi
        .mul(b_hi)
        .sub(p)
        .add(a_hi.mul(b_lo))
        .add(a_lo.mul(b_hi))
        .add(a_lo.mul(b_lo));
    (p, e)
}

/// `(s, e)` with `s = a + b` rounded and `s + e = a + b` exactly, for `|a| ≥ |b|` or `a` zero (Dekker's
/// FastTwoSum: three operations instead of six).
#[inline(always)]
fn fast_two_sum<V: Lanes>(a: V, b: V) -> (V, V) {
    let s = a.add(b);
    (s, b.sub(s.sub(a)))
}

/// `(s, e)` with `s = a + b` rounded and `s + e = a + b` exactly (Knuth's TwoSum).
#[inline(always)]
fn two_sum<V: Lanes>(a: V, b: V) -> (V, V) {
    let s = a.add(b);
    let z = s.sub(a);
    (s, a.sub(s.sub(z)).add(b.sub(z)))
}

#[cfg(test)]
mod tests {
    use super::reference::two_product;
    use super::reference::*;
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

    /// `(sin x, cos x)` to about 100 bits: `x − n·π/2` summed exactly (π/2 to 200 bits in four doubles,
    /// each product split exactly), then Taylor series in double-double.
    fn sin_cos_reference(x: f64) -> (Dd, Dd) {
        let pio2 = [
            f64::from_bits(0x3ff9_21fb_5444_2d18),
            f64::from_bits(0x3c91_a626_3314_5c07),
            f64::from_bits(0xb91f_1976_b7ed_8fbc),
            f64::from_bits(0x35b4_cf98_e804_177d),
        ];
        let n = (x * std::f64::consts::FRAC_2_PI).round();
        let mut exact = crate::ExactSum::of(x);
        for part in pio2 {
            let p = two_product(-n, part);
            exact.add(p.0);
            exact.add(p.1);
        }
        let hi = exact.value();
        exact.add(-hi);
        let r = Dd(hi, exact.value());
        let r2 = r.mul(r);
        let (mut sin, mut cos) = (r, Dd(1.0, 0.0));
        let (mut sin_term, mut cos_term) = (r, Dd(1.0, 0.0));
        for k in 1..=14 {
            sin_term = sin_term.mul(r2).div(-((2 * k) * (2 * k + 1)) as f64);
            cos_term = cos_term.mul(r2).div(-((2 * k - 1) * (2 * k)) as f64);
            sin = sin.add(sin_term);
            cos = cos.add(cos_term);
        }
        let neg = |d: Dd| Dd(-d.0, -d.1);
        match (n as i64).rem_euclid(4) {
            0 => (sin, cos),
            1 => (cos, neg(sin)),
            2 => (neg(sin), neg(cos)),
            _ => (neg(cos), sin),
        }
    }

    /// Random points over several scales, and the doubles nearest to multiples of π/2 (where the
    /// reduction cancels most) with their neighbours.
    fn trig_points() -> Vec<f64> {
        let mut x = Vec::new();
        for (i, (lo, hi)) in [
            (-1.0, 1.0),
            (-10.0, 10.0),
            (-1e3, 1e3),
            (-TRIG_LIMIT, TRIG_LIMIT),
            (-1e-8, 1e-8),
        ]
        .into_iter()
        .enumerate()
        {
            x.extend(sample(100_000, lo, hi, 20 + i as u64));
        }
        for k in (1..4000u64).chain((1..2000).map(|k| k * 523)) {
            let near = k as f64 * std::f64::consts::FRAC_PI_2;
            if near <= TRIG_LIMIT {
                for step in -2i64..=2 {
                    x.push(f64::from_bits((near.to_bits() as i64 + step) as u64));
                }
            }
        }
        x
    }

    #[test]
    fn sin_and_cos_are_within_one_ulp() {
        let (mut worst_sin, mut worst_cos) = ((0.0, 0.0), (0.0, 0.0));
        for x in trig_points() {
            let (s, c) = sin_cos_reference(x);
            let (es, ec) = (ulps(sin(x), s), ulps(cos(x), c));
            if es > worst_sin.0 {
                worst_sin = (es, x);
            }
            if ec > worst_cos.0 {
                worst_cos = (ec, x);
            }
        }
        assert!(worst_sin.0 <= 1.0, "sin({}) is off by {} ulp", worst_sin.1, worst_sin.0);
        assert!(worst_cos.0 <= 1.0, "cos({}) is off by {} ulp", worst_cos.1, worst_cos.0);
        // The reference agrees with the C library.
        for x in sample(10_000, -1e4, 1e4, 30) {
            let (s, c) = sin_cos_reference(x);
            assert!(ulps(x.sin(), s) <= 1.0 && ulps(x.cos(), c) <= 1.0, "{x}");
        }
    }

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

    /// `tan x` to about 100 bits, from [`sin_cos_reference`].
    fn tan_reference(x: f64) -> Dd {
        let (s, c) = sin_cos_reference(x);
        let q = s.0 / c.0;
        // s − q·c, then its quotient by c.
        let remainder = s.add(c.mul(Dd(-q, 0.0)));
        Dd(q, 0.0).add(remainder.div(c.0))
    }

    #[test]
    fn tan_is_within_one_ulp() {
        let mut worst = (0.0, 0.0);
        let mut points = trig_points();
        for edge in [0.6743354797363281f64, -0.6743354797363281] {
            for step in -3i64..=3 {
                points.push(f64::from_bits((edge.to_bits() as i64 + step) as u64));
            }
        }
        for x in points.into_iter().filter(|x| *x != 0.0) {
            let e = ulps(tan(x), tan_reference(x));
            if e > worst.0 {
                worst = (e, x);
            }
        }
        assert!(worst.0 <= 1.0, "tan: {} ulp at {}", worst.0, worst.1);
    }

    #[test]
    fn tan_edges() {
        assert_eq!(tan(0.0).to_bits(), 0.0f64.to_bits());
        assert_eq!(tan(-0.0).to_bits(), (-0.0f64).to_bits());
        assert_eq!(tan(1e-300), 1e-300);
        assert!(tan(f64::NAN).is_nan() && tan(f64::INFINITY).is_nan() && tan(f64::NEG_INFINITY).is_nan());
        for x in [TRIG_LIMIT * 1.0001, -2e6, 1e300] {
            assert_eq!(tan(x).to_bits(), libm::tan(x).to_bits(), "{x}");
        }
    }

    /// `tan` of every element in lanes.
    struct TanLoop<'a>(&'a [f64]);

    impl LaneLoop for TanLoop<'_> {
        type Output = Vec<f64>;
        fn run<V: Lanes8>(self, token: Token<V>) -> Vec<f64> {
            self.0
                .chunks_exact(8)
                .flat_map(|x| tan_lanes(token.load(x.try_into().unwrap())).to_array())
                .collect()
        }
    }

    #[test]
    fn every_width_returns_the_same_tan_bits() {
        let mut x = sample(40_000, -2e6, 2e6, 61);
        x.extend(sample(40_000, -4.0, 4.0, 62));
        x.extend([0.5, 3e6, -1.0, f64::NAN, 2.0, -5e7, f64::INFINITY, -0.0]);
        let same = |a: f64, b: f64| a.to_bits() == b.to_bits() || (a.is_nan() && b.is_nan());
        for width in Width::available() {
            let lanes = run_in(width, TanLoop(&x)).unwrap();
            for (&x, y) in x.iter().zip(lanes) {
                assert!(same(y, tan(x)), "{width:?} at {x}");
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

    #[test]
    fn the_reduction_by_pio2_is_exact_with_fast_two_sums() {
        // reduce_pio2_by's FastTwoSums against TwoSums: the same (y0, y1) bits at the doubles nearest to
        // every multiple of π/2 up to the limit and their neighbours (where x − n·P1 is smallest, so that
        // the first addend is the smaller and only the sum's own exactness holds), and at random points.
        let with_two_sums = |x: f64| {
            let parts = pio2_parts(pio2_multiple(x));
            let (h, l) = super::two_sum(x - parts[0], parts[1]);
            let (h, l2) = super::two_sum(h, parts[2]);
            let l = l + l2 - parts[3];
            let y0 = h + l;
            (y0, h - y0 + l)
        };
        let mut x = sample(100_000, -TRIG_LIMIT, TRIG_LIMIT, 33);
        x.extend(sample(100_000, -4.0, 4.0, 34));
        for k in 1..=1u64 << 20 {
            let near = k as f64 * std::f64::consts::FRAC_PI_2;
            for step in -3i64..=3 {
                let x0 = f64::from_bits((near.to_bits() as i64 + step) as u64);
                x.extend([x0, -x0]);
            }
        }
        // For n = 0, x itself.
        for x in sample(10_000, -std::f64::consts::FRAC_PI_4, std::f64::consts::FRAC_PI_4, 35) {
            let (y0, y1) = reduce_pio2_by(x, pio2_parts(pio2_multiple(x)), false);
            assert_eq!((y0.to_bits(), y1.to_bits()), (x.to_bits(), 0f64.to_bits()), "{x}");
        }
        let (mut smaller_first, mut settled) = (0, 0);
        for x in x.into_iter().filter(|x| x.abs() <= TRIG_LIMIT) {
            let parts = pio2_parts(pio2_multiple(x));
            let (y0, y1) = reduce_pio2_by(x, parts, false);
            let (t0, t1) = with_two_sums(x);
            assert_eq!((y0.to_bits(), y1.to_bits()), (t0.to_bits(), t1.to_bits()), "{x}");
            // And without the second sum where it is settled.
            if pio2_settled_over(x, x, parts) {
                let (s0, s1) = reduce_pio2_by(x, parts, true);
                assert_eq!((s0.to_bits(), s1.to_bits()), (t0.to_bits(), t1.to_bits()), "{x}");
                settled += 1;
            }
            // Points where the first sum's first addend is the smaller: the case the exactness argument
            // covers apart from Dekker's condition.
            smaller_first += usize::from((x - parts[0]).abs() < parts[1].abs());
        }
        assert!(smaller_first > 0, "no point tested the smaller first addend");
        assert!(settled > 50_000, "only {settled} points tested a settled second sum");
        // A run settled at its ends is settled between them (h is monotone), including runs that stop
        // just short of a multiple of π/2.
        let mut runs = 0;
        for (i, first) in sample(20_000, -1e4, 1e4, 36).into_iter().enumerate() {
            let last = first + [1e-3, 0.1, 0.7][i % 3];
            let n = pio2_multiple(first);
            let parts = pio2_parts(n);
            if n != pio2_multiple(last) || !pio2_settled_over(first, last, parts) {
                continue;
            }
            runs += 1;
            for k in 0..=16 {
                let x = first + (last - first) * (k as f64 / 16.0);
                let settled = reduce_pio2_by(x, parts, true);
                let computed = reduce_pio2_by(x, parts, false);
                assert_eq!(settled.0.to_bits(), computed.0.to_bits(), "{x}");
                assert_eq!(settled.1.to_bits(), computed.1.to_bits(), "{x}");
            }
        }
        assert!(runs > 5_000, "only {runs} settled runs");
    }

    #[test]
    fn the_single_double_kernels_return_the_bits_of_the_pair_ones() {
        // sin_kernel_single and cos_kernel_single against the kernels with y1 = +0: uniform points of
        // [−π/4, π/4], magnitudes spread over 2^-60 .. 1 (cos down to zero; sin from TINY, where its near
        // path starts), and the ends.
        let quarter = std::f64::consts::FRAC_PI_4;
        let mut y = sample(200_000, -quarter, quarter, 37);
        y.extend(sample(100_000, -60.0, 0.0, 38).into_iter().map(|e| e.exp2() * quarter));
        y.extend([0.0, TINY, quarter, f64::from_bits(quarter.to_bits() + 1)]);
        let y: Vec<f64> = y.iter().flat_map(|&y| [y, -y]).collect();
        let mut sines = 0;
        for &y0 in &y {
            let cos = cos_kernel_single(y0);
            assert_eq!(cos.to_bits(), cos_kernel(y0, 0.0).to_bits(), "cos {y0:e}");
            if y0.abs() >= TINY {
                let sin = sin_kernel_single(y0);
                assert_eq!(sin.to_bits(), sin_kernel(y0, 0.0).to_bits(), "sin {y0:e}");
                sines += 1;
            }
        }
        assert!(sines > 250_000, "only {sines} sines");
    }

    #[test]
    fn trig_edges() {
        assert_eq!(sin(0.0).to_bits(), 0.0f64.to_bits());
        assert_eq!(sin(-0.0).to_bits(), (-0.0f64).to_bits());
        assert_eq!(cos(0.0), 1.0);
        assert_eq!(sin(1e-300), 1e-300);
        for x in [f64::NAN, f64::INFINITY, f64::NEG_INFINITY] {
            assert!(sin(x).is_nan() && cos(x).is_nan(), "{x}");
        }
        // Beyond the limit, the C library's values.
        for x in [TRIG_LIMIT * 1.0001, -2e6, 1e10, 1e300] {
            assert_eq!(sin(x).to_bits(), x.sin().to_bits(), "{x}");
            assert_eq!(cos(x).to_bits(), x.cos().to_bits(), "{x}");
        }
    }

    struct TrigLoop<'a>(&'a [f64]);

    impl LaneLoop for TrigLoop<'_> {
        type Output = Vec<(f64, f64)>;
        fn run<V: Lanes8>(self, token: Token<V>) -> Vec<(f64, f64)> {
            self.0
                .chunks_exact(8)
                .flat_map(|x| {
                    let x = token.load(x.try_into().unwrap());
                    let (s, c) = (sin_lanes(x).to_array(), cos_lanes(x).to_array());
                    (0..8).map(move |l| (s[l], c[l]))
                })
                .collect()
        }
    }

    #[test]
    fn every_width_returns_the_same_trig_bits() {
        let mut x = sample(40_000, -2e6, 2e6, 31);
        x.extend(sample(40_000, -4.0, 4.0, 32));
        // One chunk mixing lanes beyond the limit with ordinary ones.
        x.extend([0.5, 3e6, -1.0, f64::NAN, 2.0, -5e7, f64::INFINITY, -0.0]);
        let same = |a: f64, b: f64| a.to_bits() == b.to_bits() || (a.is_nan() && b.is_nan());
        for width in Width::available() {
            let lanes = run_in(width, TrigLoop(&x)).unwrap();
            assert_eq!(lanes.len(), x.len());
            for (&x, (s, c)) in x.iter().zip(lanes) {
                assert!(same(s, sin(x)) && same(c, cos(x)), "{width:?} at {x}");
            }
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
