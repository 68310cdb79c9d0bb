//! Where an integrand grows without bound, and how fast: what tells a divergent integral from an
//! integrable singularity, and an infinite variance from a finite one. Along a line, as below; over a box,
//! along each variable on lines through the interior, which meet a surface of growth ([`refuse_divergent_over`]).
//!
//! Near a point `c` where `|f(x)|` grows like `|x − c|^−α`, `∫ f` is finite only for `α < 1`, and
//! `∫ f²` (a Monte Carlo variance) only for `α < 1/2`. [`growth`] finds such points and measures `α`:
//!
//! 1. **Where.** Interval arithmetic ([`crate::expr::Expr::bound`]) over the range, bisected where it finds no finite
//!    bound, down to `2^−44` of the range: what remains are the points where `f` may be unbounded (a pole,
//!    `log` or a negative power at 0, but also `0/0` as in `sin(x)/x`, which the next step clears). Over an
//!    infinite range the bisection runs in the map's `t` (see [`crate::integrate`]), and the infinite end is
//!    always such a point: the integrand in `t` there is `f(x)·x'(t)`.
//! 2. **How fast.** On each side of such a point, `|f|` at distances `δ` from `2^−8` down to `2^−36` of
//!    the range (the largest of five values around each `δ`, so that an oscillation does not hide its
//!    envelope), keeping only values well above the bound of their own rounding (a cancellation such as
//!    `1/x − 1/sin(x)` grows like rounding, not like `f`). `α` is the slope of `log|f|` against `log(1/δ)`
//!    over the smallest distances with valid values, the smaller of the slopes of their two halves.
//!
//! 3. **Jumps.** Across each such point, the values at `2^−30` and `2^−40` of the range on either side:
//!    a difference that does not shrink with the distance is a jump ([`irregular`]).
//!
//! It is a measurement, not a proof: a growth that changes below `2^−36` of the range, or slower than any
//! power (`1/(x·|log x|)` diverges with `α` tending to 1 from below), is not seen. Only expressions are
//! analysed; a Rust function cannot be seen into, and the built-ins are finite everywhere.

use crate::domain::Map;
use crate::expr::Expr;
use crate::integrand::Integrand;
use crate::size::real_text;
use crate::{Error, Result};

/// The relative width below which bisection stops: `2^−44` of the range.
const NARROWEST: f64 = 1.0 / (1u64 << 44) as f64;

/// Interval evaluations the bisection may spend before it gives up (no claim).
const MAX_BOUNDS: usize = 8192;

/// Points of possible growth the analysis measures at most (more: no claim).
const MAX_POINTS: usize = 64;

/// A value counts where it exceeds its own rounding bound this many times.
const ABOVE_ROUNDING: f64 = 16.0;

/// The order at and above which an integral diverges (1, less a margin for the measurement: a pole of
/// order 1 measures 1.00).
pub const DIVERGES: f64 = 0.98;

/// The order at and above which `|f|` is taken as unbounded (a logarithm's growth measures about 0.05).
pub const UNBOUNDED: f64 = 0.02;

/// The order at and above which `f²` is not integrable (1/2, less a margin).
pub const INFINITE_VARIANCE: f64 = 0.49;

/// `|f(x)|` grows like `|x − at|^−order` as `x` approaches `at` (an infinite `at`: like `x'(t)` times
/// that, as `t` approaches the end where `x` is infinite).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Growth {
    /// Where, in `x`: an infinite `at` is that end of the range.
    pub at: f64,
    /// The measured `α`.
    pub order: f64,
}

impl Growth {
    /// How the growth reads in a message.
    pub fn describe(&self) -> String {
        self.describe_as("x")
    }

    /// How the growth reads in a message, of the variable called `x`.
    fn describe_as(&self, x: &str) -> String {
        let order = self.order;
        if self.at.is_infinite() {
            let at = real_text(self.at);
            return format!("towards {x} = {at}, f·{x}'(t) grows like (1 − |t|)^-{order:.2} in the map's t");
        }
        match self.at {
            0.0 => format!("|f| grows like |{x}|^-{order:.2} near {x} = 0"),
            at => format!("|f| grows like |{x} − {at}|^-{order:.2} near {x} = {at}"),
        }
    }
}

/// The number with the fewest significant digits in `[l, r]` (0 where the cell holds it): where a point
/// was found, as precisely as it was found.
fn shortest_in(l: f64, r: f64) -> f64 {
    if l <= 0.0 && r >= 0.0 {
        return 0.0;
    }
    let mid = l + (r - l) / 2.0;
    (1..17)
        .filter_map(|digits| format!("{mid:.digits$e}").parse::<f64>().ok())
        .find(|x| (l..=r).contains(x))
        .unwrap_or(mid)
}

/// An error where the integral of `f` over `(a, b)` diverges: `|f|` grows at some point at an order of
/// [`DIVERGES`] or more (an `f` it cannot analyse passes).
///
/// ```
/// use hetero::{expr::Expr, integrate::Integrand, singular::refuse_divergent};
///
/// let f = |text| Integrand::from(Expr::parse(text, 1).unwrap());
/// assert!(refuse_divergent(&f("tan(x)"), (0.0, 3.0)).is_err());
/// assert!(refuse_divergent(&f("x^-0.5"), (0.0, 1.0)).is_ok());
/// ```
pub fn refuse_divergent(f: &Integrand, (a, b): (f64, f64)) -> Result<()> {
    match growth(f, (a, b))?.first() {
        Some(g) if g.order >= DIVERGES => Err(Error::NotFinite(format!(
            "the integral of {} over [{}, {}] diverges: {} (an integral is finite only below order 1)",
            f.text(),
            real_text(a),
            real_text(b),
            g.describe()
        ))),
        _ => Ok(()),
    }
}

/// Why a Monte Carlo estimate of `f` over `(a, b)` has no trustworthy interval: `|f|` grows at some point
/// at an order of [`INFINITE_VARIANCE`] or more, so `f²` is not integrable and the sample variance keeps
/// growing with the points. `None` where no such point is seen.
pub fn infinite_variance(f: &Integrand, (a, b): (f64, f64)) -> Result<Option<String>> {
    Ok(growth(f, (a, b))?
        .first()
        .filter(|g| g.order >= INFINITE_VARIANCE)
        .map(|g| {
            format!(
                "the variance of {} over [{}, {}] is infinite: {}, so f² is not integrable (order 1/2 or more) and \
             the sample variance grows with the points: the interval says nothing",
                f.text(),
                real_text(a),
                real_text(b),
                g.describe()
            )
        }))
}

/// Why a rule's error estimate over `(a, b)` has no regime, if it has none: `|f|` grows without bound at
/// a point (an order of [`UNBOUNDED`] or more, integrable or not), or `f` jumps (its values across a point
/// differ about as much at `2^−40` of the range as at `2^−30`, by more than their rounding). Either way a
/// rule's error falls erratically as its points move against the point, not at its order. `None` where
/// neither is seen.
pub fn irregular(f: &Integrand, (a, b): (f64, f64)) -> Result<Option<String>> {
    let analysis = analyse(f, (a, b))?;
    let range = format!("[{}, {}]", real_text(a), real_text(b));
    let erratic = "where the rule's error falls erratically, not at its order, so its estimate says nothing";
    if let Some(g) = analysis.growths.first().filter(|g| g.order >= UNBOUNDED) {
        return Ok(Some(format!(
            "{} is unbounded in {range}: {}, {erratic}",
            f.text(),
            g.describe()
        )));
    }
    Ok(analysis
        .jumps
        .first()
        .map(|(at, size)| format!("{} jumps by {size:.3e} at x = {at} in {range}, {erratic}", f.text())))
}

/// [`refuse_divergent`] over a box: in one dimension that; in more, a growth of order [`DIVERGES`] or
/// more across a surface of the box, which no integral survives: the analysis runs along each variable on
/// two lines through the box's interior (the other variables at 0.382 and 0.618 of their ranges), which
/// both cross such a surface. A point where `|f|` grows
/// (as `1/(x² + y²)` at the origin) is not seen, and passes.
///
/// ```
/// use hetero::{expr::Expr, integrate::Integrand, singular::refuse_divergent_over};
///
/// let f = |text| Integrand::from(Expr::parse(text, 2).unwrap());
/// let square = [(0.0, 1.0), (0.0, 1.0)];
/// assert!(refuse_divergent_over(&f("1/(x*y)"), &square).is_err());
/// assert!(refuse_divergent_over(&f("1/abs(x-y)"), &square).is_err());
/// assert!(refuse_divergent_over(&f("(x*y)^-0.9"), &square).is_ok());
/// assert!(refuse_divergent_over(&f("1/(x+y)"), &square).is_ok());
/// ```
pub fn refuse_divergent_over(f: &Integrand, bounds: &[(f64, f64)]) -> Result<()> {
    if let [range] = bounds {
        return refuse_divergent(f, *range);
    }
    match across(f, bounds)? {
        Some(seen) if seen.growth.order >= DIVERGES => Err(Error::NotFinite(format!(
            "the integral of {} over {} diverges: {} (across a surface, an integral is finite only below order 1)",
            f.text(),
            box_text(bounds),
            seen.describe()
        ))),
        _ => Ok(()),
    }
}

/// [`infinite_variance`] over a box: in one dimension that; in more, a growth of order
/// [`INFINITE_VARIANCE`] or more across a surface of the box (seen as [`refuse_divergent_over`] sees it).
pub fn infinite_variance_over(f: &Integrand, bounds: &[(f64, f64)]) -> Result<Option<String>> {
    if let [range] = bounds {
        return infinite_variance(f, *range);
    }
    Ok(across(f, bounds)?
        .filter(|seen| seen.growth.order >= INFINITE_VARIANCE)
        .map(|seen| {
            format!(
                "the variance of {} over {} is infinite: {}, so f² is not integrable (order 1/2 or more across a \
                 surface) and the sample variance grows with the points: the interval says nothing",
                f.text(),
                box_text(bounds),
                seen.describe()
            )
        }))
}

/// A box as `[a1, b1]×[a2, b2]×…`.
fn box_text(bounds: &[(f64, f64)]) -> String {
    let ranges: Vec<String> = bounds
        .iter()
        .map(|&(a, b)| format!("[{}, {}]", real_text(a), real_text(b)))
        .collect();
    ranges.join("×")
}

/// A growth seen along one coordinate of a box, on lines through its interior.
struct Across {
    /// How the coordinate is written.
    variable: String,
    /// The other coordinates of the first line, as written.
    others: String,
    /// The growth on the first line, with the smaller of the two lines' orders.
    growth: Growth,
}

impl Across {
    fn describe(&self) -> String {
        format!(
            "along {} (with {}), {}",
            self.variable,
            self.others,
            self.growth.describe_as(&self.variable)
        )
    }
}

/// Fractions of each other coordinate's range (in the map's `t` where it is infinite) through which the
/// lines of [`across`] pass: away from the middle and the ends, where a point of growth is often placed.
const LINES: [f64; 2] = [0.381_966_011_250_105_1, 0.618_033_988_749_894_8];

/// The largest growth of the expression `f` across a surface of the box (in two dimensions or more): along
/// each coordinate `f` uses, [`analyse`] on two lines through the interior (the other coordinates at the
/// fractions [`LINES`] of their ranges). Both lines meet a surface where `f` grows that crosses the box (as
/// `x = 0` in `1/(x·y)` or `x = y` in `1/|x − y|`), with the order of growth across it; a point or a curve
/// of growth in three dimensions or more lies on neither. The order is the smaller of the two lines'.
fn across(f: &Integrand, bounds: &[(f64, f64)]) -> Result<Option<Across>> {
    let Integrand::Expr(expr) = f else {
        return Ok(None);
    };
    if bounds.len() < 2 || expr.dims() != bounds.len() {
        return Ok(None);
    }
    let mut lines = Vec::with_capacity(LINES.len());
    for fraction in LINES {
        let point: Result<Vec<f64>> = bounds.iter().map(|&range| interior(range, fraction)).collect();
        lines.push(point?);
    }
    let mut found: Option<Across> = None;
    for axis in (0..bounds.len()).filter(|&k| expr.uses(k)) {
        let mut orders = Vec::with_capacity(lines.len());
        for point in &lines {
            match analyse_line(expr, point, axis, bounds[axis])?.growths.first() {
                Some(growth) => orders.push(*growth),
                None => break,
            }
        }
        let [first, .., last] = orders[..] else {
            continue;
        };
        if orders.len() < lines.len() {
            continue;
        }
        let growth = Growth {
            order: first.order.min(last.order),
            ..first
        };
        if found.as_ref().is_none_or(|seen| growth.order > seen.growth.order) {
            let others: Vec<String> = (0..bounds.len())
                .filter(|&k| k != axis)
                .map(|k| {
                    let x = lines[0][k];
                    let (l, r) = (x - 1e-5 * x.abs(), x + 1e-5 * x.abs());
                    format!("{} = {}", expr.variable(k), shortest_in(l, r))
                })
                .collect();
            found = Some(Across {
                variable: expr.variable(axis),
                others: others.join(", "),
                growth,
            });
        }
    }
    Ok(found)
}

/// The point at `fraction` of `(a, b)`, in the map's `t` where the range is infinite.
fn interior((a, b): (f64, f64), fraction: f64) -> Result<f64> {
    Ok(match Map::of(&[(a, b)])? {
        Some((map, range)) => {
            let (t0, t1) = range[0];
            let mut x = [t0 + fraction * (t1 - t0)];
            map.apply(&mut x, 1, 0);
            x[0]
        }
        None => a + fraction * (b - a),
    })
}

/// The points of `(a, b)` (or its map, for an infinite bound) where the expression `f` of one variable may
/// grow without bound, each with its measured order; the largest order first. Empty where `f` is not an
/// expression of one variable, where it is bounded, or where the analysis gives up (too many such points).
pub fn growth(f: &Integrand, range: (f64, f64)) -> Result<Vec<Growth>> {
    Ok(analyse(f, range)?.growths)
}

/// What [`growth`] and [`irregular`] find.
#[derive(Default)]
struct Analysis {
    growths: Vec<Growth>,
    /// Points where `f` jumps, with the jump's size.
    jumps: Vec<(f64, f64)>,
}

/// The analysis of the module's documentation, and the jump test at the same points.
fn analyse(f: &Integrand, range: (f64, f64)) -> Result<Analysis> {
    match f {
        Integrand::Expr(expr) if expr.dims() == 1 => analyse_line(expr, &[0.0], 0, range),
        _ => Ok(Analysis::default()),
    }
}

/// [`analyse`] along the line through `point` in the direction of coordinate `axis`, that coordinate
/// over `(a, b)` (the others fixed at `point`'s).
fn analyse_line(expr: &Expr, point: &[f64], axis: usize, (a, b): (f64, f64)) -> Result<Analysis> {
    let on_line = |x: f64| {
        let mut line = point.to_vec();
        line[axis] = x;
        line
    };
    let mapped = Map::of(&[(a, b)])?;
    let (map, (t0, t1)) = match &mapped {
        Some((map, range)) => (Some(map), range[0]),
        None => (None, (a, b)),
    };
    let (lo, hi) = (t0.min(t1), t0.max(t1));
    // x at t, and the weight x'(t).
    let at = |t: f64| match map {
        Some(map) => {
            let mut x = [t];
            let w = map.apply(&mut x, 1, 0);
            (x[0], w)
        }
        None => (t, 1.0),
    };
    // The ends of t where x is infinite (t = ±1 under every map): the weight grows without bound there.
    let infinite_ends: Vec<f64> = [lo, hi]
        .into_iter()
        .filter(|&t| map.is_some() && t.abs() == 1.0)
        .collect();
    let width = hi - lo;
    let narrowest = width * NARROWEST;
    let mut suspects: Vec<(f64, f64)> = Vec::new();
    let mut stack = vec![(lo, hi)];
    let mut spent = 0;
    while let Some((l, r)) = stack.pop() {
        spent += 1;
        if spent > MAX_BOUNDS || suspects.len() > MAX_POINTS {
            return Ok(Analysis::default());
        }
        let (xl, xr) = (at(l).0, at(r).0);
        let touches_end = infinite_ends.iter().any(|&e| e == l || e == r);
        if !touches_end && expr.finite_along(point, axis, xl.min(xr), xl.max(xr)) {
            continue;
        }
        if r - l <= narrowest.max(4.0 * f64::EPSILON * l.abs().max(r.abs())) {
            match suspects.last_mut() {
                // Adjacent cells are one point (the stack hands them over right to left).
                Some(last) if last.0 == r => last.0 = l,
                _ => suspects.push((l, r)),
            }
            continue;
        }
        let m = l + (r - l) / 2.0;
        stack.push((l, m));
        stack.push((m, r));
    }
    // The signed value, and its rounding's bound.
    let signed = |t: f64| {
        let (x, w) = at(t);
        let point = on_line(x);
        let y = expr.eval(&point).unwrap_or(f64::NAN) * w;
        (y, expr.rounding_at(&point).unwrap_or(f64::INFINITY) * w)
    };
    let value = |t: f64| {
        let (y, noise) = signed(t);
        (y.abs(), noise)
    };
    let mut found: Vec<Growth> = Vec::new();
    let mut jumps: Vec<(f64, f64)> = Vec::new();
    for (l, r) in suspects {
        let p = if infinite_ends.contains(&l) {
            l
        } else if infinite_ends.contains(&r) {
            r
        } else {
            shortest_in(l, r)
        };
        if !infinite_ends.contains(&p)
            && let Some(size) = jump_at(p, lo, hi, width, &signed)
        {
            jumps.push((at(p).0, size));
        }
        for side in [-1.0, 1.0] {
            let Some(order) = order_towards(p, side, lo, hi, width, &value) else {
                continue;
            };
            let x = match infinite_ends.contains(&p) {
                true => f64::INFINITY.copysign(at(p).0),
                false => at(p).0,
            };
            found.push(Growth { at: x, order });
        }
    }
    found.sort_by(|g, h| h.order.total_cmp(&g.order));
    Ok(Analysis { growths: found, jumps })
}

/// The size of a jump of `value` across `p`, if there is one ([`irregular`]): the difference across it at `2^−40` of the
/// range at least half that at `2^−30`, and above 16 times the rounding of the two values.
fn jump_at(p: f64, lo: f64, hi: f64, width: f64, value: &dyn Fn(f64) -> (f64, f64)) -> Option<f64> {
    let across = |k: f64| {
        let delta = width * (-k).exp2();
        let (left, right) = (p - delta, p + delta);
        if left < lo || right > hi {
            return None;
        }
        let ((a, na), (b, nb)) = (value(left), value(right));
        let difference = (b - a).abs();
        (difference.is_finite() && difference > ABOVE_ROUNDING * (na + nb)).then_some(difference)
    };
    let (far, near) = (across(30.0)?, across(40.0)?);
    (near >= 0.5 * far).then_some(near)
}

/// The order of growth of `|value|` as `t` approaches `p` from `side` (−1: from below), from the
/// distances `width·2^−k`, `k = 8, 10, …, 36`, that lie inside `[lo, hi]`; `None` with fewer than six
/// distances whose values stand above their rounding.
fn order_towards(p: f64, side: f64, lo: f64, hi: f64, width: f64, value: &dyn Fn(f64) -> (f64, f64)) -> Option<f64> {
    let mut logs: Vec<(f64, f64)> = Vec::new();
    for k in (8..=36).step_by(2) {
        let delta = width * (-(k as f64)).exp2();
        let mut envelope = 0.0f64;
        let mut valid = true;
        for j in 0..5 {
            let t = p + side * delta * (1.0 + j as f64 / 5.0);
            if !(lo..=hi).contains(&t) || t == p {
                valid = false;
                break;
            }
            let (y, noise) = value(t);
            let above = y > ABOVE_ROUNDING * noise;
            // The nearest value must count (farther ones alone would bend the slope); the others join
            // the envelope where they count.
            if !y.is_finite() || (j == 0 && !above) {
                valid = false;
                break;
            }
            if above {
                envelope = envelope.max(y);
            }
        }
        if valid && envelope > 0.0 {
            logs.push((k as f64, envelope.log2()));
        }
    }
    // The smallest distances: up to nine, at least six.
    let tail = &logs[logs.len().saturating_sub(9)..];
    if tail.len() < 6 {
        return None;
    }
    let mid = tail.len() / 2;
    let slope = |i: usize, j: usize| (tail[j].1 - tail[i].1) / (tail[j].0 - tail[i].0);
    Some(slope(0, mid).min(slope(mid, tail.len() - 1)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::expr::Expr;

    fn orders(f: &str, a: f64, b: f64) -> Vec<Growth> {
        let f = Integrand::Expr(Expr::parse(f, 1).unwrap_or_else(|e| panic!("{e}")));
        growth(&f, (a, b)).unwrap_or_else(|e| panic!("{e}"))
    }

    fn largest(f: &str, a: f64, b: f64) -> Option<Growth> {
        orders(f, a, b).first().copied()
    }

    #[test]
    fn poles_are_found_where_they_are_with_their_order() {
        for (f, a, b, at, order) in [
            ("tan(x)", 0.0, 3.0, std::f64::consts::FRAC_PI_2, 1.0),
            ("1/x", -1.0, 2.0, 0.0, 1.0),
            ("1/x^2", 0.0, 1.0, 0.0, 2.0),
            ("x^-0.9", 0.0, 1.0, 0.0, 0.9),
            ("x^-0.5", 0.0, 1.0, 0.0, 0.5),
            ("1/(x-0.3)^3 + x", 0.0, 1.0, 0.3, 3.0),
            ("1/sin(x)", 1.0, 4.0, std::f64::consts::PI, 1.0),
        ] {
            let g = largest(f, a, b).unwrap_or_else(|| panic!("{f}: nothing found"));
            assert!((g.at - at).abs() <= 1e-9 * (b - a), "{f}: at {} for {at}", g.at);
            assert!((g.order - order).abs() < 0.02, "{f}: order {} for {order}", g.order);
        }
    }

    #[test]
    fn bounded_and_integrable_points_do_not_diverge() {
        for (f, a, b) in [
            ("exp(-x^2)", -3.0, 3.0),
            ("sin(x)/x", 0.0, 3.0),
            ("log(x)", 0.0, 1.0),
            ("x*log(x)", 0.0, 1.0),
            ("1/x - 1/sin(x)", 0.0, 1.0),
            ("1/(x*log(x)^2)", 0.0, 0.5),
            ("1/(1+x^2)", f64::NEG_INFINITY, f64::INFINITY),
            ("1/x^2", 1.0, f64::INFINITY),
        ] {
            if let Some(g) = largest(f, a, b) {
                assert!(g.order < DIVERGES, "{f}: {g:?}");
            }
        }
        assert!(largest("x^-0.45", 0.0, 1.0).is_some_and(|g| g.order < INFINITE_VARIANCE));
    }

    #[test]
    fn jumps_are_found_and_kinks_are_not() {
        let irregular = |f: &str, a: f64, b: f64| {
            let f = Integrand::Expr(Expr::parse(f, 1).unwrap_or_else(|e| panic!("{e}")));
            irregular(&f, (a, b)).unwrap_or_else(|e| panic!("{e}"))
        };
        for f in ["floor(10*x)", "(x > 0.5)*x", "x + (x >= 0.3)*0.001", "ceil(x*3)"] {
            let why = irregular(f, 0.001, 1.0).unwrap_or_else(|| panic!("{f}: no jump found"));
            assert!(why.contains(" jumps by "), "{f}: {why}");
        }
        for f in ["abs(x - 0.3)", "max(0, x - 0.3)^3", "exp(-x^2)", "min(x, 0.3)"] {
            assert_eq!(irregular(f, 0.001, 1.0), None, "{f}");
        }
        assert!(irregular("abs(x - 0.3)^-0.1", 0.0, 1.0).is_some_and(|why| why.contains("is unbounded in")));
    }

    #[test]
    fn infinite_ends_are_measured_in_t() {
        let g = largest("1/x", 1.0, f64::INFINITY).unwrap_or_else(|| panic!("nothing found"));
        assert_eq!(g.at, f64::INFINITY);
        assert!((g.order - 1.0).abs() < 0.02, "{g:?}");
        let g = largest("1/x", f64::NEG_INFINITY, -1.0).unwrap_or_else(|| panic!("nothing found"));
        assert_eq!(g.at, f64::NEG_INFINITY);
        assert!(g.order >= DIVERGES, "{g:?}");
        // A pole inside an infinite range, and sin's lack of decay.
        assert!(largest("1/(x-2)", 0.0, f64::INFINITY).is_some_and(|g| g.order >= DIVERGES));
        assert!(largest("sin(x)", 0.0, f64::INFINITY).is_some_and(|g| g.order >= DIVERGES));
    }
}
