//! Elementary functions of hetero's own, written once over lanes of `f64` so that the same code runs one
//! value at a time or eight at a time in vector registers, with the same bits either way.
//!
//! The CPU's Simpson kernel evaluates its built-in integrands with these, a block of points per loop, instead
//! of calling the C library once per point. They are accurate to within one unit in the last place (the tests
//! measure the error against a double-double reference), and return the same bits on every processor:
//! every step is one IEEE operation; a fused multiply-add is used only where the product is exact, so
//! that it rounds as the multiplication and addition do.

use crate::simd::Lanes;

mod erf;
mod exp;
mod hyperbolic;
mod inverse_trig;
mod logarithms;
mod pow;
#[cfg(test)]
pub(crate) mod reference;
mod roots;
mod trig;

use exp::{LN2_HI, LN2_LO, exp_reduced_parts, scale_by_reduced};
use logarithms::split_positive;

pub use erf::{erf, erfc};
pub(crate) use erf::{erf_lanes, erfc_lanes};
pub use exp::exp;
pub(crate) use exp::{
    exp_lanes, exp_lanes_normal, exp_normal_of_parts, exp_normal_of_reduction, exp_normal_over, exp_reduction,
    exp_remainder, exp_table,
};
pub use hyperbolic::{cosh, expm1, sinh, tanh};
pub(crate) use hyperbolic::{cosh_lanes, expm1_lanes, sinh_lanes, tanh_lanes};
pub use inverse_trig::{acos, asin, atan, atan2};
pub(crate) use inverse_trig::{acos_lanes, asin_lanes, atan_lanes, atan2_lanes};
pub use logarithms::{log, log1p, log2, log10};
pub(crate) use logarithms::{log_lanes, log1p_lanes, log2_lanes, log10_lanes};
pub use pow::pow;
pub(crate) use pow::pow_lanes;
pub use roots::{cbrt, hypot};
pub(crate) use roots::{cbrt_lanes, hypot_lanes};
pub use trig::{TRIG_LIMIT, cos, sin, tan};
pub(crate) use trig::{
    cos_kernel, cos_kernel_single, cos_lanes, cos_lanes_near, cos_near_over, pio2_multiple, pio2_parts,
    pio2_settled_over, reduce_pio2, reduce_pio2_by, sin_kernel, sin_kernel_single, sin_lanes, sin_lanes_near,
    sin_near_over, tan_lanes, trig_near_of_reduction,
};

/// `c[0] + x·(c[1] + x·(… + x·c[n−1]))`: Horner's rule.
#[inline(always)]
fn horner<V: Lanes>(x: V, coefficients: &[f64]) -> V {
    let token = x.token();
    let Some((&last, rest)) = coefficients.split_last() else {
        return token.splat(0.0);
    };
    // A loop, not a fold: a closure would not inherit the caller's instruction set.
    let mut value = token.splat(last);
    for &k in rest.iter().rev() {
        value = token.splat(k).add(x.mul(value));
    }
    value
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

/// The high 26 bits of `u` (Veltkamp's split): its square and its products with another such part are
/// exact.
#[inline(always)]
fn high_part<V: Lanes>(u: V) -> V {
    let p = u.mul(u.token().splat(134_217_729.0));
    p.sub(p.sub(u))
}

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
