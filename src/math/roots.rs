//! The cube root and `√(x² + y²)` over lanes, every case computed and the right one selected, so that the
//! same bits come out one value or eight at a time, on every processor: the cube root ends as fdlibm's
//! (`s_cbrt.c`) does, `hypot` is musl's (`hypot.c`).

use super::{split_positive, two_product};
use crate::simd::{Lanes, ROUNDER};

/// A quadratic through `∛m` at the Chebyshev nodes of `[1, 2]`: within `9·10⁻⁴` of it there.
const CBRT_GUESS: [f64; 3] = [
    f64::from_bits(0x3fe4_05a1_37f3_c640),
    f64::from_bits(0x3fdb_bf74_ecad_e3ae),
    f64::from_bits(0xbfad_e196_6424_c0ab),
];

/// `∛2` and `∛4`, rounded.
const CBRT_2: f64 = f64::from_bits(0x3ff4_28a2_f98d_728b);
const CBRT_4: f64 = f64::from_bits(0x3ff9_65fe_a53d_6e3c);

/// The real cube root, within one unit in the last place (fdlibm's last step: within `0.667`).
///
/// ```
/// assert_eq!(hetero::math::cbrt(27.0), 3.0);
/// assert_eq!(hetero::math::cbrt(-8.0), -2.0);
/// let c = hetero::math::cbrt(2.0);
/// assert!((c - 1.2599210498948732).abs() <= f64::EPSILON * c);
/// ```
#[inline]
pub fn cbrt(x: f64) -> f64 {
    cbrt_lanes(x)
}

/// [`cbrt`] in every lane: `|x| = v·2^(3q)` with `1 ≤ v < 8` (subnormals scaled by `2⁵⁴` first), `∛v`
/// from a quadratic guess and two Newton steps (to about `2⁻⁴⁰`), rounded up to 23 bits so that its square
/// is exact, and fdlibm's last step `t + t·(v/t² − t)/(2t + v/t²)`; then `2^q` and the sign.
#[inline(always)]
pub(crate) fn cbrt_lanes<V: Lanes>(x: V) -> V {
    let c = |k| x.token().splat(k);
    let a = x.abs();
    let (m, k) = split_positive(a);
    // q = ⌊k/3⌋ ((k − 1)/3 rounds to it: it lies a third away from every half), r = k − 3q ∈ {0, 1, 2}.
    let q = k.sub(c(1.0)).div(c(3.0)).add(c(ROUNDER)).sub(c(ROUNDER));
    let r = k.sub(c(3.0).mul(q));
    let (two_r, cbrt_two_r) = (
        V::select(r.gt(c(1.5)), c(4.0), V::select(r.gt(c(0.5)), c(2.0), c(1.0))),
        V::select(r.gt(c(1.5)), c(CBRT_4), V::select(r.gt(c(0.5)), c(CBRT_2), c(1.0))),
    );
    let v = m.mul(two_r);
    let [g0, g1, g2] = CBRT_GUESS.map(c);
    let mut t = g0.add(m.mul(g1.add(m.mul(g2)))).mul(cbrt_two_r);
    for _ in 0..2 {
        t = c(2.0).mul(t).add(v.div(t.mul(t))).div(c(3.0));
    }
    // Up to a multiple of 2^-22 (t lies in [1, 2)): at least ∛v, at most 2^-22 above it.
    let t = t
        .mul(c(4_194_304.0))
        .add(c(0.5))
        .add(c(ROUNDER))
        .sub(c(ROUNDER))
        .mul(c(1.0 / 4_194_304.0));
    let s = t.mul(t);
    let quotient = v.div(s);
    let ratio = quotient.sub(t).div(t.add(t).add(quotient));
    let root = t.add(t.mul(ratio)).mul(q.add(c(ROUNDER)).pow2_of_rounded::<0>());
    let root = V::select(c(0.0).gt(x), root.neg(), root);
    // Zeros, infinities and NaN as they are.
    let root = V::select(a.gt(c(f64::MAX)), x, root);
    let root = V::select(c(f64::MIN_POSITIVE * f64::EPSILON).gt(a), x, root);
    V::select(x.is_nan(), x, root)
}

/// `√(x² + y²)`, within one unit in the last place, without overflow or underflow on the way: `+∞` where
/// either is infinite (even if the other is NaN), NaN where either is NaN otherwise.
///
/// ```
/// assert_eq!(hetero::math::hypot(3.0, 4.0), 5.0);
/// assert_eq!(hetero::math::hypot(3e300, 4e300), 5e300);
/// assert_eq!(hetero::math::hypot(f64::INFINITY, f64::NAN), f64::INFINITY);
/// ```
#[inline]
pub fn hypot(x: f64, y: f64) -> f64 {
    hypot_lanes(x, y)
}

/// [`hypot`] in every lane: the larger `a` and smaller `b` of `|x|`, `|y|` scaled by `2^∓700` where `a >
/// 2^510` or `b < 2^-450`, `a² + b²` as two exact products in double-double, summed from the smallest
/// part, its square root scaled back; `a + b` where `a` is more than `2^64` times `b`.
#[inline(always)]
pub(crate) fn hypot_lanes<V: Lanes>(x: V, y: V) -> V {
    let c = |k| x.token().splat(k);
    let (x, y) = (x.abs(), y.abs());
    let a = V::select(y.gt(x), y, x);
    let b = V::select(y.gt(x), x, y);
    let big = a.gt(c(f64::from_bits(0x5fd0_0000_0000_0000)));
    let small = c(f64::from_bits(0x23d0_0000_0000_0000)).gt(b);
    let (up, down) = (
        c(f64::from_bits(0x6bb0_0000_0000_0000)),
        c(f64::from_bits(0x1430_0000_0000_0000)),
    );
    let scale = V::select(big, up, V::select(small, down, c(1.0)));
    let inverse = V::select(big, down, V::select(small, up, c(1.0)));
    let (a_s, b_s) = (a.mul(inverse), b.mul(inverse));
    let (ha, la) = two_product(a_s, a_s);
    let (hb, lb) = two_product(b_s, b_s);
    let value = scale.mul(lb.add(la).add(hb).add(ha).sqrt());
    let value = V::select(a.gt(b.mul(c(18_446_744_073_709_551_616.0))), a.add(b), value);
    let value = V::select(a.is_nan(), a, V::select(b.is_nan(), b, value));
    let infinity = c(f64::INFINITY);
    V::select(
        x.gt(c(f64::MAX)),
        infinity,
        V::select(y.gt(c(f64::MAX)), infinity, value),
    )
}

#[cfg(test)]
mod tests {
    use super::super::reference::two_product;
    use super::super::reference::*;
    use super::*;
    use crate::simd::{LaneLoop, Lanes8, Token, Width, run_in};

    /// `∛x` to about 100 bits: the `libm` crate's root refined by one Newton step in double-double.
    fn cbrt_reference(x: f64) -> Dd {
        if x.abs() < f64::MIN_POSITIVE {
            // Scaled, so that the low parts of the cube do not fall below the subnormals.
            return cbrt_reference(x * 2f64.powi(54)).scale(2f64.powi(-18));
        }
        let y = libm::cbrt(x);
        let cube = Dd(y, 0.0).mul(Dd(y, 0.0)).mul(Dd(y, 0.0));
        let residual = Dd(x, 0.0).add(cube.scale(-1.0));
        Dd(y, 0.0).add(residual.div_dd(Dd(3.0 * y * y, 0.0)))
    }

    /// `√(x² + y²)` to about 100 bits, for squares that neither overflow nor underflow.
    fn hypot_reference(x: f64, y: f64) -> Dd {
        let sum = two_product(x, x).add(two_product(y, y));
        let s = sum.0.sqrt();
        let residual = sum.add(two_product(s, s).scale(-1.0));
        Dd(s, 0.0).add(residual.div_dd(Dd(2.0 * s, 0.0)))
    }

    #[test]
    fn cbrt_is_within_one_ulp() {
        let mut points = sample(200_000, -10.0, 10.0, 91);
        points.extend(sample(100_000, -1022.0, 1023.0, 92).into_iter().map(|e| 2f64.powf(e)));
        points.extend(sample(1000, 1.0, 2.0, 93).into_iter().map(|m| m * 1e-310));
        let (ulp, at) = points
            .iter()
            .map(|&x| (ulps(cbrt(x), cbrt_reference(x)), x))
            .fold((0.0, 0.0), |a, b| if b.0 > a.0 { b } else { a });
        assert!(ulp <= 1.0, "cbrt({at}) is off by {ulp} ulp");
        eprintln!("cbrt: worst {ulp} ulp at {at:e}");
        for n in -100i32..=100 {
            let cube = f64::from(n).powi(3);
            assert_eq!(cbrt(cube), f64::from(n), "{cube}");
        }
    }

    #[test]
    fn hypot_is_within_one_ulp() {
        let xs = sample(200_000, -1e3, 1e3, 94);
        let ys = sample(200_000, -1.0, 1.0, 95);
        let exponents = sample(200_000, -400.0, 400.0, 96);
        let pairs = xs
            .iter()
            .zip(&ys)
            .zip(&exponents)
            .map(|((&x, &y), &e)| (x, y * 10f64.powf(e / 100.0)));
        let worst = worst2(pairs, hypot, hypot_reference);
        assert!(
            worst.0 <= 1.0,
            "hypot({}, {}) is off by {} ulp",
            worst.1,
            worst.2,
            worst.0
        );
        eprintln!("hypot: worst {} ulp at ({}, {})", worst.0, worst.1, worst.2);
        // Far apart in size, and near the ends of the range: scaled, never overflowing on the way.
        assert_eq!(hypot(1e300, 1e300), 1e300 * std::f64::consts::SQRT_2);
        assert_eq!(hypot(3e-320, 4e-320), 5e-320);
        assert_eq!(hypot(1.0, 1e-30), 1.0);
        assert_eq!(hypot(-3.0, -4.0), 5.0);
    }

    #[test]
    fn edges() {
        assert_eq!(cbrt(0.0).to_bits(), 0.0f64.to_bits());
        assert_eq!(cbrt(-0.0).to_bits(), (-0.0f64).to_bits());
        assert_eq!(cbrt(f64::INFINITY), f64::INFINITY);
        assert_eq!(cbrt(f64::NEG_INFINITY), f64::NEG_INFINITY);
        assert!(cbrt(f64::NAN).is_nan());
        assert_eq!(cbrt(f64::MAX), libm::cbrt(f64::MAX));
        assert_eq!(cbrt(5e-324), libm::cbrt(5e-324));
        assert_eq!(hypot(f64::NEG_INFINITY, f64::NAN), f64::INFINITY);
        assert_eq!(hypot(f64::NAN, f64::INFINITY), f64::INFINITY);
        assert!(hypot(f64::NAN, 1.0).is_nan());
        assert_eq!(hypot(0.0, -0.0), 0.0);
        assert_eq!(hypot(f64::MAX, f64::MAX), f64::INFINITY);
        assert_eq!(hypot(f64::MAX, 1.0), f64::MAX);
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
                    let (roots, hypots) = (cbrt_lanes(x).to_array(), hypot_lanes(x, y).to_array());
                    for k in 0..8 {
                        assert_eq!(roots[k].to_bits(), cbrt(xs[k]).to_bits(), "{}", xs[k]);
                        assert_eq!(
                            hypots[k].to_bits(),
                            hypot(xs[k], ys[k]).to_bits(),
                            "{} {}",
                            xs[k],
                            ys[k]
                        );
                    }
                }
            }
        }
        let mut xs = sample(50_000, -100.0, 100.0, 97);
        xs.extend(sample(50_000, -1022.0, 1023.0, 98).into_iter().map(|e| -(2f64.powf(e))));
        xs.extend([
            f64::NAN,
            f64::INFINITY,
            f64::NEG_INFINITY,
            -0.0,
            0.0,
            5e-324,
            f64::MAX,
            1e-310,
        ]);
        let ys: Vec<f64> = xs.iter().rev().copied().collect();
        let n = xs.len() / 8 * 8;
        for width in Width::available() {
            run_in(width, Check(xs[..n].to_vec(), ys[..n].to_vec())).unwrap();
        }
    }
}
