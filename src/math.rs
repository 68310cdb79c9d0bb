//! Elementary functions of hetero's own, written once over lanes of `f64` so that the same code runs one
//! value at a time or eight at a time in vector registers, with the same bits either way.
//!
//! The CPU's Simpson kernel evaluates its built-in integrands with these, a block of points per loop, instead
//! of calling the C library once per point. They are accurate to within one unit in the last place (the tests
//! measure the error against a double-double reference), and return the same bits on every processor:
//! every step is one IEEE operation, with no fused multiply-add.

use crate::simd::{Lanes, ROUNDER};

/// `ln 2` split in two: the high part has 32 significant bits, so `k · LN2_HI` is exact for `|k| < 2^21`.
const LN2_HI: f64 = f64::from_bits(0x3fe6_2e42_fee0_0000);
/// `ln 2 − LN2_HI`.
const LN2_LO: f64 = f64::from_bits(0x3dea_39ef_3579_3c76);
/// Below this `eˣ` rounds to zero, above [`EXP_HIGH`] to infinity; arguments are clamped to the two.
const EXP_LOW: f64 = -746.0;
const EXP_HIGH: f64 = 710.0;

/// `1/k!` for `k = 3..=13`: the Taylor coefficients of `(eʳ − 1 − r − r²/2) / r³`. On `|r| ≤ ln2 / 2` the
/// first term left out, `r¹⁴/14!`, is below `5·10⁻¹⁸`.
const EXP_TAYLOR: [f64; 11] = [
    1.0 / 6.0,
    1.0 / 24.0,
    1.0 / 120.0,
    1.0 / 720.0,
    1.0 / 5040.0,
    1.0 / 40320.0,
    1.0 / 362_880.0,
    1.0 / 3_628_800.0,
    1.0 / 39_916_800.0,
    1.0 / 479_001_600.0,
    1.0 / 6_227_020_800.0,
];

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
/// `x = k·ln2 + r` with `k` the nearest integer to `x / ln2`, `|r| ≤ ln2/2`, and the rounding error of `r`
/// carried separately. `eʳ = 1 + r + r²/2 + r³·P(r)` is summed with the errors of its last two additions
/// kept, then scaled by `2^k` in two exact steps (so that results near overflow and in the subnormal range
/// are rounded once).
#[inline(always)]
pub(crate) fn exp_lanes<V: Lanes>(x: V) -> V {
    let c = V::splat;
    let (y, k) = exp_reduced(x.max(c(EXP_LOW)).min(c(EXP_HIGH)));
    let k_half = k.mul(c(0.5)).add(c(ROUNDER)).sub(c(ROUNDER));
    let scaled = y.mul(k_half.pow2()).mul(k.sub(k_half).pow2());
    V::select(x.is_nan(), x, scaled)
}

/// [`exp_lanes`] for arguments inside [`EXP_NORMAL_RANGE`], where it returns the same bits with less work:
/// no clamping, and one scaling by `2^k` (both of `exp_lanes`' scalings are then exact).
#[inline(always)]
pub(crate) fn exp_lanes_normal<V: Lanes>(x: V) -> V {
    let (y, k) = exp_reduced(x);
    y.mul(k.pow2())
}

/// `(eʳ, k)` with `x = k·ln2 + r`, for `|x| ≤ 746`.
#[inline(always)]
fn exp_reduced<V: Lanes>(x: V) -> (V, V) {
    let c = V::splat;
    let k = x.mul(c(std::f64::consts::LOG2_E)).add(c(ROUNDER)).sub(c(ROUNDER));
    // Exact: k·LN2_HI has at most 43 significant bits, and it lies within a factor of two of x.
    let hi = x.sub(k.mul(c(LN2_HI)));
    let lo = k.mul(c(LN2_LO));
    let r = hi.sub(lo);
    let r_error = hi.sub(r).sub(lo);

    let r2 = r.mul(r);
    let mut p = c(EXP_TAYLOR[EXP_TAYLOR.len() - 1]);
    for &coefficient in EXP_TAYLOR.iter().rev().skip(1) {
        p = p.mul(r).add(c(coefficient));
    }
    // r²/2 + r³·P(r), plus what r's rounding error adds to 1 + r + ….
    let tail = r2.mul(c(0.5)).add(r2.mul(r).mul(p).add(r_error.mul(c(1.0).add(r))));
    let u = r.add(tail);
    let u_error = r.sub(u).add(tail);
    let s = c(1.0).add(u);
    let s_error = c(1.0).sub(s).add(u);
    (s.add(s_error.add(u_error)), k)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::simd::{LaneLoop, Lanes8, Width, run_in};

    /// A double-double number `hi + lo`, `|lo| ≤ ulp(hi)/2`.
    #[derive(Clone, Copy, Debug)]
    struct Dd(f64, f64);

    fn two_sum(a: f64, b: f64) -> Dd {
        let s = a + b;
        let z = s - a;
        Dd(s, (a - (s - z)) + (b - z))
    }

    fn two_product(a: f64, b: f64) -> Dd {
        let p = a * b;
        Dd(p, a.mul_add(b, -p))
    }

    impl Dd {
        fn add(self, o: Dd) -> Dd {
            let s = two_sum(self.0, o.0);
            let t = s.1 + self.1 + o.1;
            two_sum(s.0, t)
        }
        fn mul(self, o: Dd) -> Dd {
            let p = two_product(self.0, o.0);
            two_sum(p.0, p.1 + self.0 * o.1 + self.1 * o.0)
        }
        fn div(self, d: f64) -> Dd {
            let q = self.0 / d;
            let p = two_product(q, d);
            two_sum(q, ((self.0 - p.0) - p.1 + self.1) / d)
        }
        fn scale(self, f: f64) -> Dd {
            Dd(self.0 * f, self.1 * f)
        }
    }

    /// `eˣ` to about 100 bits, for |x| ≤ 709: `x = k·ln2 + r` in double-double, `e^(r/256)` by its Taylor
    /// series, squared eight times, then scaled by `2^k`.
    fn exp_reference(x: f64) -> Dd {
        // ln 2 to 107 bits.
        let ln2 = Dd(
            f64::from_bits(0x3fe6_2e42_fefa_39ef),
            f64::from_bits(0x3c7a_bc9e_3b39_803f),
        );
        let k = (x / std::f64::consts::LN_2).round();
        let r = Dd(x, 0.0).add(ln2.mul(Dd(-k, 0.0))).scale(1.0 / 256.0);
        let mut term = Dd(1.0, 0.0);
        let mut sum = Dd(1.0, 0.0);
        for n in 1..=16 {
            term = term.mul(r).div(n as f64);
            sum = sum.add(term);
        }
        for _ in 0..8 {
            sum = sum.mul(sum);
        }
        sum.scale(2f64.powi(k as i32))
    }

    /// `|computed − reference|` in units of the last place of the reference.
    fn ulps(computed: f64, reference: Dd) -> f64 {
        let ulp = {
            let r = reference.0.abs();
            f64::from_bits(r.to_bits() + 1) - r
        };
        ((computed - reference.0) - reference.1).abs() / ulp
    }

    fn sample(count: usize, lo: f64, hi: f64, seed: u64) -> Vec<f64> {
        let mut state = seed;
        (0..count)
            .map(|_| {
                state = state
                    .wrapping_mul(6_364_136_223_846_793_005)
                    .wrapping_add(1_442_695_040_888_963_407);
                lo + (hi - lo) * ((state >> 11) as f64 / (1u64 << 53) as f64)
            })
            .collect()
    }

    #[test]
    fn exp_is_within_one_ulp() {
        let mut worst = (0.0, 0.0);
        for (lo, hi) in [
            (-1.0, 1.0),
            (-0.35, 0.35),
            (-30.0, 30.0),
            (-708.0, 709.0),
            (-1e-8, 1e-8),
        ] {
            for x in sample(200_000, lo, hi, 7) {
                let error = ulps(exp(x), exp_reference(x));
                if error > worst.0 {
                    worst = (error, x);
                }
            }
        }
        assert!(worst.0 <= 1.0, "exp({}) is off by {} ulp", worst.1, worst.0);
        // The reference itself is checked against the C library, which is correctly rounded in nearly all
        // cases: the two must be within one ulp everywhere.
        for x in sample(10_000, -700.0, 700.0, 8) {
            assert!(ulps(x.exp(), exp_reference(x)) <= 1.0, "{x}");
        }
    }

    #[test]
    fn the_normal_range_shortcut_returns_the_same_bits() {
        let (lo, hi) = EXP_NORMAL_RANGE;
        let mut x = sample(100_000, lo, hi, 11);
        x.extend([lo, hi, 0.0, -0.0]);
        for x in x {
            assert_eq!(exp_lanes_normal(x).to_bits(), exp(x).to_bits(), "{x}");
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

    struct ExpLoop<'a>(&'a [f64]);

    impl LaneLoop for ExpLoop<'_> {
        type Output = Vec<f64>;
        fn run<V: Lanes8>(self) -> Vec<f64> {
            self.0
                .chunks_exact(8)
                .flat_map(|x| exp_lanes(V::from_array(x.try_into().unwrap())).to_array())
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
            let lanes: Vec<u64> = run_in(width, ExpLoop(&x))
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
    }
}
