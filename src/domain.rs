//! Infinite and semi-infinite axes, mapped to finite ones so that every method can integrate over them.
//!
//! # The map (a public contract)
//!
//! An axis with an infinite bound is integrated in a variable `t` over a finite range, with `x(t)` and
//! its derivative `x'(t)` as below (`s` computed as written, in `f64`, then `x` and `x'`):
//!
//! | axis         | `t` over   | `s`              | `x(t)`      | `x'(t)`            |
//! |--------------|------------|------------------|-------------|--------------------|
//! | `[a, ∞)`     | `[0, 1]`   | `1 − t`          | `a + t/s`   | `1/(s·s)`          |
//! | `(−∞, b]`    | `[0, 1]`   | `1 − t`          | `b − t/s`   | `1/(s·s)`          |
//! | `(−∞, ∞)`    | `[−1, 1]`  | `(1 − t)·(1 + t)`| `t/s`       | `(1 + t·t)/(s·s)`  |
//!
//! (the maps of scipy's `cubature`), with `t` first moved inside the open range: to at most `1 − 2^−53` and,
//! on `(−∞, ∞)`, at least `−(1 − 2^−53)`. So `x` and `x'` are always finite, and an end where `x` would be
//! infinite is evaluated where `x` is about `2^53`: the limit of the integrand in `t` there for an `f` that
//! has one (`0` for an `f` decaying faster than `1/x²`, the limit for `1/x²`). The integrand in `t` is
//! `f(x(t))·w(t)`, `w` the product of the mapped axes' `x'` in the order of the axes (`0` where that product
//! overflows). A range given backwards (`(∞, a)`) runs `t` backwards, so its sign comes out as for finite
//! bounds. Finite axes are unchanged.

use crate::simd::Lanes;
use crate::size::real_text;
use crate::{Error, Result};

/// The largest `t` the maps take, `1 − 2^−53`: at the end `t = 1` itself, `x` would be infinite.
const INSIDE: f64 = 1.0 - f64::EPSILON / 2.0;

/// One `(a, b)` per axis.
pub(crate) type Ranges = Vec<(f64, f64)>;

/// How one axis is mapped.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Axis {
    /// A finite range, unchanged.
    Finite,
    /// `[a, ∞)`.
    Above(f64),
    /// `(−∞, b]`.
    Below(f64),
    /// `(−∞, ∞)`.
    Whole,
}

/// The map of a domain with at least one infinite bound.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Map {
    axes: Vec<Axis>,
}

impl Map {
    /// The map of `domain` and the finite box of `t` it integrates over; `None` where every bound is
    /// finite. A NaN bound, or both bounds the same infinity, is an error.
    pub(crate) fn of(domain: &[(f64, f64)]) -> Result<Option<(Map, Ranges)>> {
        let mut axes = Vec::with_capacity(domain.len());
        let mut box_ = Vec::with_capacity(domain.len());
        for &(a, b) in domain {
            let bad = || {
                Error::invalid(
                    "domain",
                    format!("{}:{} is not a range to integrate over", real_text(a), real_text(b)),
                )
            };
            if a.is_nan() || b.is_nan() || (a.is_infinite() && a == b) {
                return Err(bad());
            }
            let (axis, range) = match (a.is_finite(), b.is_finite()) {
                (true, true) => (Axis::Finite, (a, b)),
                (true, false) if b > 0.0 => (Axis::Above(a), (0.0, 1.0)),
                (true, false) => (Axis::Below(a), (1.0, 0.0)),
                (false, true) if a < 0.0 => (Axis::Below(b), (0.0, 1.0)),
                (false, true) => (Axis::Above(b), (1.0, 0.0)),
                (false, false) if a < b => (Axis::Whole, (-1.0, 1.0)),
                (false, false) => (Axis::Whole, (1.0, -1.0)),
            };
            axes.push(axis);
            box_.push(range);
        }
        Ok(axes
            .iter()
            .any(|axis| *axis != Axis::Finite)
            .then_some((Map { axes }, box_)))
    }

    /// How many axes it maps (the domain's dimensions).
    pub(crate) fn dims(&self) -> usize {
        self.axes.len()
    }

    /// Maps the coordinates `t` of one vector of points to `x` in place, coordinate `k` at
    /// `t[k·stride + at]`, and returns the weight `w` ([`weighted`](Self::weighted) applies it).
    #[inline(always)]
    pub(crate) fn apply<V: Lanes>(&self, t: &mut [V], stride: usize, at: usize) -> V {
        let token = t[at].token();
        let one = token.splat(1.0);
        let inside = token.splat(INSIDE);
        let mut weight: Option<V> = None;
        for (k, axis) in self.axes.iter().enumerate() {
            let t = &mut t[k * stride + at];
            let (x, slope) = match *axis {
                Axis::Finite => continue,
                Axis::Above(a) => {
                    let u = t.min(inside);
                    let s = one.sub(u);
                    (token.splat(a).add(u.div(s)), one.div(s.mul(s)))
                }
                Axis::Below(b) => {
                    let u = t.min(inside);
                    let s = one.sub(u);
                    (token.splat(b).sub(u.div(s)), one.div(s.mul(s)))
                }
                Axis::Whole => {
                    let u = t.min(inside).max(inside.neg());
                    let s = one.sub(u).mul(one.add(u));
                    (u.div(s), one.add(u.mul(u)).div(s.mul(s)))
                }
            };
            *t = x;
            weight = Some(match weight {
                Some(w) => w.mul(slope),
                None => slope,
            });
        }
        weight.unwrap_or(one)
    }

    /// What the map adds to one point's cost, in the nanoseconds of the expressions' table
    /// ([`crate::Kernel::cost_scale`]): two divisions and a few products per infinite axis.
    pub(crate) fn work(&self) -> f64 {
        let infinite = self.axes.iter().filter(|axis| !matches!(axis, Axis::Finite)).count();
        infinite as f64 * 0.7
    }

    /// `y·w`, or `0` where `w` overflowed (many infinite axes, all near their ends).
    #[inline(always)]
    pub(crate) fn weighted<V: Lanes>(y: V, w: V) -> V {
        let zero = y.token().splat(0.0);
        V::select(w.gt(y.token().splat(f64::MAX)), zero, y.mul(w))
    }

    /// The integrand in `t` at one point: `f(x(t))·w(t)`.
    pub(crate) fn value(&self, t: &[f64], f: impl FnOnce(&[f64]) -> f64) -> f64 {
        let mut x = t.to_vec();
        let w = self.apply(&mut x, 1, 0);
        Map::weighted(f(&x), w)
    }

    /// How the map reads in a report: `x = 0 + t/(1 − t)` and the like, one per mapped axis.
    pub(crate) fn describe(&self) -> String {
        let names = |k: usize| match self.axes.len() {
            1 => ("x".to_owned(), "t".to_owned()),
            _ => (format!("x{}", k + 1), format!("t{}", k + 1)),
        };
        let parts: Vec<String> = self
            .axes
            .iter()
            .enumerate()
            .filter_map(|(k, axis)| {
                let (x, t) = names(k);
                match *axis {
                    Axis::Finite => None,
                    Axis::Above(a) => Some(format!("{x} = {} + {t}/(1 - {t})", real_text(a))),
                    Axis::Below(b) => Some(format!("{x} = {} - {t}/(1 - {t})", real_text(b))),
                    Axis::Whole => Some(format!("{x} = {t}/(1 - {t}^2)")),
                }
            })
            .collect();
        parts.join(", ")
    }
}

/// Bounds as JSON: `[[a, b], …]`, an infinite bound as the string `"inf"` or `"-inf"` (JSON has no
/// number for it).
pub(crate) fn bounds_json<S: serde::Serializer>(bounds: &[(f64, f64)], serializer: S) -> Result<S::Ok, S::Error> {
    use serde::ser::SerializeSeq;
    let mut seq = serializer.serialize_seq(Some(bounds.len()))?;
    for &(a, b) in bounds {
        seq.serialize_element(&[bound_json(a), bound_json(b)])?;
    }
    seq.end()
}

/// A bound as JSON: a number, or the string `"inf"` or `"-inf"`.
pub(crate) fn bound_json(x: f64) -> serde_json::Value {
    match x {
        f64::INFINITY => "inf".into(),
        f64::NEG_INFINITY => "-inf".into(),
        x => x.into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn integrate_1d(map: &Map, range: (f64, f64), f: impl Fn(f64) -> f64) -> f64 {
        // Composite Simpson in t, enough for these smooth integrands in t.
        let n = 20_000;
        let h = (range.1 - range.0) / n as f64;
        (0..=n)
            .map(|i| {
                let t = range.0 + i as f64 * h;
                let weight = if i == 0 || i == n {
                    1.0
                } else if i % 2 == 1 {
                    4.0
                } else {
                    2.0
                };
                weight * map.value(&[t], |x| f(x[0]))
            })
            .sum::<f64>()
            * h
            / 3.0
    }

    #[test]
    fn mapped_integrals_are_the_integrals_over_the_infinite_ranges() {
        use std::f64::consts::PI;
        let gauss = |x: f64| (-x * x).exp();
        for ((a, b), f, exact) in [
            ((0.0, f64::INFINITY), &gauss as &dyn Fn(f64) -> f64, PI.sqrt() / 2.0),
            ((f64::NEG_INFINITY, 0.0), &gauss, PI.sqrt() / 2.0),
            ((f64::NEG_INFINITY, f64::INFINITY), &gauss, PI.sqrt()),
            ((1.0, f64::INFINITY), &|x: f64| 1.0 / (x * x), 1.0),
            ((f64::NEG_INFINITY, -1.0), &|x: f64| 1.0 / (x * x), 1.0),
            // Backwards: the sign of a backwards integral.
            ((f64::INFINITY, 0.0), &gauss, -PI.sqrt() / 2.0),
            ((f64::INFINITY, f64::NEG_INFINITY), &|x: f64| 1.0 / (1.0 + x * x), -PI),
            ((f64::NEG_INFINITY, f64::INFINITY), &|x: f64| 1.0 / (1.0 + x * x), PI),
        ] {
            let (map, range) = Map::of(&[(a, b)]).unwrap().unwrap();
            let value = integrate_1d(&map, range[0], f);
            assert!((value - exact).abs() < 1e-9, "{a}:{b}: {value} against {exact}");
        }
    }

    #[test]
    fn the_ends_are_evaluated_just_inside() {
        let (map, _) = Map::of(&[(0.0, f64::INFINITY), (f64::NEG_INFINITY, f64::INFINITY)])
            .unwrap()
            .unwrap();
        // At an end, x is finite (about 2^53): an f that is NaN at infinity is not evaluated there.
        for t in [[1.0, 0.0], [0.5, 1.0], [0.5, -1.0]] {
            let mut x = t.to_vec();
            let w = map.apply(&mut x, 1, 0);
            assert!(x.iter().all(|x| x.is_finite()) && w.is_finite(), "{t:?}: {x:?} {w}");
            assert_eq!(map.value(&t, |x| (-x[0] * x[0] - x[1] * x[1]).exp()), 0.0, "{t:?}");
        }
        // f ~ 1/x²: the end gives the limit of f(x(t))·w(t), 1 on [0, ∞) and 2 on (−∞, ∞).
        let square = |x: &[f64]| 1.0 / (1.0 + x[0] * x[0]);
        let (half, _) = Map::of(&[(0.0, f64::INFINITY)]).unwrap().unwrap();
        assert!((half.value(&[1.0], square) - 1.0).abs() < 1e-12);
        let (whole, _) = Map::of(&[(f64::NEG_INFINITY, f64::INFINITY)]).unwrap().unwrap();
        assert!((whole.value(&[-1.0], square) - 2.0).abs() < 1e-12);
        assert_eq!(map.value(&[0.5, 0.0], |x| x[0] + x[1]), 1.0 * 4.0);
        assert_eq!(map.describe(), "x1 = 0 + t1/(1 - t1), x2 = t2/(1 - t2^2)");
    }

    #[test]
    fn finite_domains_are_not_mapped_and_bad_ones_are_errors() {
        assert_eq!(Map::of(&[(0.0, 1.0), (-2.0, 3.0)]).unwrap(), None);
        for bad in [
            (f64::NAN, 1.0),
            (f64::INFINITY, f64::INFINITY),
            (f64::NEG_INFINITY, f64::NEG_INFINITY),
        ] {
            assert!(Map::of(&[bad]).is_err(), "{bad:?}");
        }
    }
}
