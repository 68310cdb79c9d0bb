//! `sin x`, `cos x` and `tan x`: fdlibm's reduction by `π/2` in four parts and its kernels, over lanes, the
//! C library beyond [`TRIG_LIMIT`](super::TRIG_LIMIT).

use super::{fast_two_sum, high_part, horner};
use crate::simd::{Lanes, ROUNDER};

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
pub(super) const TINY: f64 = 1.0 / (1u64 << 26) as f64;

#[cfg(test)]
mod tests {
    use super::super::reference::*;
    use super::*;
    use crate::simd::{LaneLoop, Lanes8, Token, Width, run_in};

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

    #[test]
    fn the_reduction_by_pio2_is_exact_with_fast_two_sums() {
        // reduce_pio2_by's FastTwoSums against TwoSums: the same (y0, y1) bits at the doubles nearest to
        // every multiple of π/2 up to the limit and their neighbours (where x − n·P1 is smallest, so that
        // the first addend is the smaller and only the sum's own exactness holds), and at random points.
        let with_two_sums = |x: f64| {
            let parts = pio2_parts(pio2_multiple(x));
            let (h, l) = super::super::two_sum(x - parts[0], parts[1]);
            let (h, l2) = super::super::two_sum(h, parts[2]);
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
}
