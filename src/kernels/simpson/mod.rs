//! Composite Simpson 1/3 integration of a function over `[a, b]`.
//!
//! With `n` intervals, `h = (b − a) / n` and `x_i = a + i·h` computed from the integer index (`x_n = b`),
//! `S_n = h/3 · (f(x_0) + 4 Σ f(odd) + 2 Σ f(even interior) + f(x_n))`. The error estimate is Richardson's
//! `|S_n − S_{n/2}| / 15`, where `S_{n/2}` reuses every other point. Both need `n/2` even, so `n` is rounded up
//! to the next multiple of 4 and the `n` used is reported. `a > b` gives the negated integral.
//!
//! A block covers [`BLOCK_POINTS`] consecutive points. Inside it, point `i` goes to Neumaier lane `i mod 8`,
//! and because blocks start on multiples of 8 a lane holds one weight class only: lanes 1, 3, 5, 7 the odd
//! points, lanes 2, 6 the points `≡ 2 (mod 4)`, lanes 0, 4 the interior points `≡ 0 (mod 4)`. Each class is an
//! [`ExactSum`], and the weights are applied exactly when the blocks are finished.

//!
//! The module's files: the integrands ([`SimpsonIntegrand`], [`Function`]) in `integrands.rs`, the vector loop over a
//! built-in integrand's points in `points.rs`, the GPU program in `gpu.rs`; the kernel, its partial and
//! its estimate here.

mod gpu;
mod integrands;
mod points;

pub use crate::integrand::{Function, Gauss, Poly};
pub use integrands::SimpsonIntegrand;

use crate::expr::Expr;
use crate::kernel::{Measure, Verify};
use crate::program::{GpuKernel, Precision, unit_roundoff};
use crate::size::real_text;
use crate::sum::{LANES, Neumaier};
use crate::wire::Wire;
use crate::{Error, ExactSum, Kernel, Partial, Result};

use super::MAX_FLOAT_ELEMENTS;

/// Points per block (a multiple of [`LANES`]).
pub(crate) const BLOCK_POINTS: u64 = 1 << 16;

/// What the rule itself costs per point, beside its integrand (the point and the compensated sum), in
/// the nanoseconds of the expressions' table ([`Kernel::cost_scale`]).
const WORK_POINT: f64 = 0.25;

/// Composite Simpson integration of `f` over `[a, b]`.
#[derive(Clone, Debug)]
pub struct Simpson<F = Function> {
    f: F,
    /// The bounds as given.
    a: f64,
    b: f64,
    /// The bounds in increasing order: points run from `lo` to `hi`.
    lo: f64,
    hi: f64,
    requested: u64,
    n: u64,
    /// `(hi − lo) / n ≥ 0`.
    h: f64,
}

/// The partial of a [`Simpson`] range: the exact sum of `f` over each weight class of points.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SimpsonPartial {
    /// `f(x_0) + f(x_n)`, where the range holds them.
    pub ends: ExactSum,
    /// `f` at the odd points (weight 4 in `S_n`, 0 in `S_{n/2}`).
    pub odd: ExactSum,
    /// `f` at the points `≡ 2 (mod 4)` (weight 2 in `S_n`, 4 in `S_{n/2}`).
    pub even2: ExactSum,
    /// `f` at the interior points `≡ 0 (mod 4)` (weight 2 in both).
    pub even0: ExactSum,
}

impl SimpsonPartial {
    /// The sum that points `≡ residue (mod 4)` belong to (the ends aside).
    fn class_mut(&mut self, residue: usize) -> &mut ExactSum {
        match residue % 4 {
            0 => &mut self.even0,
            2 => &mut self.even2,
            _ => &mut self.odd,
        }
    }
}

impl Partial for SimpsonPartial {
    fn combine(mut self, right: Self) -> Self {
        self.ends.merge(&right.ends);
        self.odd.merge(&right.odd);
        self.even2.merge(&right.even2);
        self.even0.merge(&right.even0);
        self
    }
}

/// The outcome of [`Simpson`].
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
#[non_exhaustive]
pub struct SimpsonEstimate {
    /// The integrand, as [`SimpsonIntegrand::describe`] names it.
    pub function: String,
    /// Lower bound `a`.
    pub from: f64,
    /// Upper bound `b`.
    pub to: f64,
    /// Intervals used (the request rounded up to a multiple of 4).
    pub intervals: u64,
    /// Intervals requested.
    pub requested_intervals: u64,
    /// `S_n`.
    pub value: f64,
    /// Richardson's `|S_n − S_{n/2}| / 15`.
    pub error_estimate: f64,
    /// The exact integral, where known.
    pub exact: Option<f64>,
}

impl Simpson<Expr> {
    /// Integrates the expression `f` of `x` ([`crate::expr`]) over `[a, b]`, as [`Simpson::new`] does.
    ///
    /// ```
    /// use hetero::{Backend, Engine, kernels::Simpson};
    ///
    /// let kernel = Simpson::expr("exp(-x^2)", 0.0, 1.0, 1000)?;
    /// let run = Engine::with_threads(2)?.run(&kernel, Backend::Rayon)?;
    /// assert!((run.output.value - 0.746824132812427).abs() < 1e-12);
    /// # Ok::<(), hetero::Error>(())
    /// ```
    pub fn expr(f: &str, a: f64, b: f64, intervals: u64) -> Result<Self> {
        Simpson::new(Expr::parse(f, 1)?, a, b, intervals)
    }
}

impl<F: SimpsonIntegrand> Simpson<F> {
    /// Integrates `f` over `[a, b]` (finite bounds, `a > b` allowed) with at least `intervals ≥ 1` intervals,
    /// rounded up to a multiple of 4, at most 2^53.
    pub fn new(f: F, a: f64, b: f64, intervals: u64) -> Result<Self> {
        for (what, bound) in [("lower bound", a), ("upper bound", b)] {
            if !bound.is_finite() {
                return Err(Error::invalid(
                    what,
                    format!("{} is not a finite number", real_text(bound)),
                ));
            }
        }
        if !(b - a).is_finite() {
            return Err(Error::invalid(
                "interval",
                format!("[{}, {}] is wider than the largest f64", real_text(a), real_text(b)),
            ));
        }
        if f.dims() != 1 {
            return Err(Error::invalid(
                "integrand",
                format!(
                    "Simpson integrates functions of one variable, and this one has {}",
                    f.dims()
                ),
            ));
        }
        if intervals == 0 {
            return Err(Error::invalid("intervals", "must be at least 1"));
        }
        if intervals > MAX_FLOAT_ELEMENTS {
            return Err(Error::invalid(
                "intervals",
                format!("{intervals} is above the maximum 2^53"),
            ));
        }
        let n = intervals.next_multiple_of(4);
        let (lo, hi) = if a <= b { (a, b) } else { (b, a) };
        Ok(Simpson {
            f: f.prepared(lo, hi),
            a,
            b,
            lo,
            hi,
            requested: intervals,
            n,
            h: (hi - lo) / n as f64,
        })
    }

    /// The bounds `(a, b)` as given (`a > b` integrates backwards).
    pub fn bounds(&self) -> (f64, f64) {
        (self.a, self.b)
    }

    /// Intervals used: the request rounded up to a multiple of 4.
    pub fn intervals(&self) -> u64 {
        self.n
    }

    /// The spacing `h` of the points, `|b − a| / n`.
    pub fn spacing(&self) -> f64 {
        self.h
    }

    /// The integrand.
    pub fn integrand(&self) -> &F {
        &self.f
    }

    /// How far a GPU result in `precision` may lie from the exact Simpson sum (and so from the CPU's):
    ///
    /// `u · |b − a| · (16·M + X·D)`, with `u` the unit roundoff, `M ≥ |f|` and `D ≥ |f'|` on the interval and
    /// `X = max(|a|, |b|) + 2^17·h` the largest argument. Each point's argument is off by at most about
    /// `u·X`, which moves `f` by `u·X·D`; evaluating `f` costs a few roundings of `|f| ≤ M`, and the
    /// compensated, exactly combined sums a few more: 16 covers them. The Simpson weights sum to
    /// `|b − a|`.
    ///
    /// For an expression, `|b − a| · (E + 16·u·M)`, with `E` bounding the difference between a GPU and a
    /// CPU evaluation of `f` whose arguments differ by `2·u·X`, and `M ≥ |f|`, both derived from the
    /// expression ([`Expr::bound`]); `16·u·M` covers the sums and the final scaling, as above. `None` for
    /// closures, and for expressions whose values over the interval cannot be bounded.
    pub fn gpu_bound(&self, precision: Precision) -> Option<f64> {
        let (u, reach) = (unit_roundoff(precision), self.gpu_reach());
        match self.f.builtin() {
            Some(function) => {
                let (m, d) = function.magnitude_bounds(self.lo, self.hi);
                Some(u * (self.hi - self.lo) * (16.0 * m + reach * d))
            }
            None => {
                let (m, e) = self.f.gpu_error(self.lo, self.hi, 2.0 * u * reach, precision)?;
                // A block's sum on the GPU must stay inside its precision's range.
                let largest = if precision == Precision::F64 {
                    f64::MAX
                } else {
                    f64::from(f32::MAX)
                };
                if m * BLOCK_POINTS as f64 > largest {
                    return None;
                }
                let bound = (self.hi - self.lo) * (e + 16.0 * u * m);
                bound.is_finite().then_some(bound)
            }
        }
    }

    /// The largest `|x|` a GPU point may take: the interval's, and a block's worth of points past it.
    fn gpu_reach(&self) -> f64 {
        self.lo.abs().max(self.hi.abs()) + 2.0 * BLOCK_POINTS as f64 * self.h
    }

    /// Why [`gpu_bound`](Self::gpu_bound) is `None` for an expression, in words.
    pub(crate) fn why_no_gpu_bound(&self, precision: Precision) -> String {
        let argument_error = 2.0 * unit_roundoff(precision) * self.gpu_reach();
        self.f
            .why_no_gpu_error(self.lo, self.hi, argument_error, precision)
            .unwrap_or_else(|| format!("a block's sum of its values may pass the largest number of {precision}"))
    }

    /// A warning when `precision` cannot tell neighbouring points apart: the spacing `h` is below a few
    /// units in the last place of the largest argument.
    pub fn resolution_warning(&self, precision: Precision) -> Option<String> {
        let reach = self.lo.abs().max(self.hi.abs());
        let resolution = 4.0 * unit_roundoff(precision) * reach;
        (self.h > 0.0 && self.h < resolution).then(|| {
            format!(
                "{} intervals give a spacing of {:.3e}, below what {precision} resolves near |x| = {reach}: \
                 neighbouring points collapse; use fewer intervals or f64",
                self.n, self.h
            )
        })
    }

    /// The estimate from the weight-class sums of points `0..=n` spaced `h` from `lo`, reported as the
    /// integral from `from` to `to`.
    fn estimate(&self, total: &SimpsonPartial, n: u64, from: f64, to: f64) -> SimpsonEstimate {
        // 3/h · S_n = ends + 4·odd + 2·(even2 + even0)
        let mut weighted = total.ends.clone();
        weighted.merge_scaled(&total.odd, 4);
        weighted.merge_scaled(&total.even2, 2);
        weighted.merge_scaled(&total.even0, 2);
        // 3/h · (S_n − S_{n/2}) = −ends + 4·odd − 6·even2 − 2·even0, with no cancellation before rounding.
        let mut difference = ExactSum::new();
        difference.merge_scaled(&total.ends, -1);
        difference.merge_scaled(&total.odd, 4);
        difference.merge_scaled(&total.even2, -6);
        difference.merge_scaled(&total.even0, -2);
        let sign = if self.a <= self.b { 1.0 } else { -1.0 };
        SimpsonEstimate {
            function: self.f.describe(),
            from,
            to,
            intervals: n,
            requested_intervals: self.requested,
            value: sign * times_h_over_3(&weighted, self.h),
            error_estimate: times_h_over_3(&difference, self.h).abs() / 15.0,
            exact: self.f.exact(from, to),
        }
    }

    /// Adds `f(x_0)` and `f(x_n)` to `partial.ends` where `points` holds them: on every backend the end
    /// points are evaluated here, in f64.
    fn add_ends(&self, points: std::ops::Range<u64>, partial: &mut SimpsonPartial) {
        for i in [0, self.n] {
            if points.contains(&i) {
                partial.ends.add(self.f.eval(self.x(i)));
            }
        }
    }

    /// `x_i`, from the integer index.
    #[inline(always)]
    fn x(&self, i: u64) -> f64 {
        if i == self.n {
            self.hi
        } else {
            self.lo + i as f64 * self.h
        }
    }
}

/// `sum · h / 3`, rounded as `sum.value() * h / 3.0` rounds it (the same bits wherever that is finite), but
/// without overflowing on the way: a sum beyond the `f64` range whose product with `h / 3` is within it is
/// computed scaled down by `2^-128` and scaled back, exactly.
fn times_h_over_3(sum: &ExactSum, h: f64) -> f64 {
    let plain = sum.value() * h / 3.0;
    if !plain.is_infinite() {
        return plain;
    }
    const SHIFT: i32 = 128;
    libm::scalbn(sum.value_scaled(-SHIFT) * h / 3.0, SHIFT)
}

impl<F: SimpsonIntegrand> Kernel for Simpson<F> {
    type Partial = SimpsonPartial;
    type Output = SimpsonEstimate;

    fn name(&self) -> &str {
        "simpson"
    }

    fn blocks(&self) -> u64 {
        (self.n + 1).div_ceil(BLOCK_POINTS)
    }

    fn block(&self, index: u64) -> SimpsonPartial {
        let first = index * BLOCK_POINTS;
        let end = (first + BLOCK_POINTS).min(self.n + 1);
        // An integrand called once per block gives every value of the block at once; the sums below
        // take them in the order they take the others.
        let batch = match self.f.is_batch() {
            true => self.f.eval_many(&(first..end).map(|i| self.x(i)).collect::<Vec<f64>>()),
            false => None,
        };
        let value = |i: u64| match &batch {
            Some(values) => values[(i - first) as usize],
            None => self.f.eval(self.x(i)),
        };
        let mut partial = SimpsonPartial::default();
        for i in [0, self.n] {
            if (first..end).contains(&i) {
                partial.ends.add(value(i));
            }
        }
        let mut lanes = [Neumaier::default(); LANES];
        let lanes_count = LANES as u64;
        let (lo, hi) = (first.max(1), end.min(self.n));
        let mut i = lo;
        while i < hi && i % lanes_count != 0 {
            lanes[(i % lanes_count) as usize].add(value(i));
            i += 1;
        }
        let end = i + (hi.saturating_sub(i)) / lanes_count * lanes_count;
        match &batch {
            Some(_) => {
                for i in i..end {
                    lanes[(i % lanes_count) as usize].add(value(i));
                }
            }
            None => lanes = self.f.add_points(self.lo, self.h, i..end, lanes),
        }
        i = end;
        while i < hi {
            lanes[(i % lanes_count) as usize].add(value(i));
            i += 1;
        }
        if lanes.iter().any(|lane| !lane.is_finite()) {
            // A lane's running sum left the f64 range (a block of huge values, or values that are not
            // finite): the block's points are summed exactly instead, one by one, so that finite values
            // give a finite, exact partial. Every backend takes this path for the same blocks.
            for i in lo..hi {
                partial.class_mut((i % 4) as usize).add(value(i));
            }
            return partial;
        }
        for (l, lane) in lanes.iter().enumerate() {
            lane.add_to(partial.class_mut(l));
        }
        partial
    }

    fn finish(&self, total: SimpsonPartial) -> SimpsonEstimate {
        self.estimate(&total, self.n, self.a, self.b)
    }

    /// Simpson's rule on the covered part of the interval: `[lo, x_m]`, `m` the last multiple of 4 among
    /// the points computed. The points past `x_m` are taken back out of their sums and `x_m` becomes an end
    /// point, exactly (each is recomputed here, in f64, as the CPU computed it).
    fn finish_prefix(&self, mut total: SimpsonPartial, blocks: u64) -> Option<SimpsonEstimate> {
        let covered = blocks.checked_mul(BLOCK_POINTS)?.min(self.n + 1);
        let m = covered.checked_sub(1)? / 4 * 4;
        if m == 0 {
            return None;
        }
        if m == self.n {
            return Some(self.finish(total));
        }
        for i in m + 1..covered {
            total
                .class_mut((i % 4) as usize)
                .merge_scaled(&ExactSum::of(self.f.eval(self.x(i))), -1);
        }
        let end = ExactSum::of(self.f.eval(self.x(m)));
        total.even0.merge_scaled(&end, -1);
        total.ends.merge(&end);
        let x_m = self.x(m);
        let (from, to) = if self.a <= self.b { (self.a, x_m) } else { (x_m, self.b) };
        Some(self.estimate(&total, m, from, to))
    }

    fn elements(&self) -> u64 {
        self.n + 1
    }

    fn elements_in(&self, blocks: u64) -> u64 {
        blocks.saturating_mul(BLOCK_POINTS).min(self.n + 1)
    }

    /// `simpson/` and the integrand: a built-in one by its name, expressions as `expr`, any other by its
    /// type (each closure has one of its own), so that integrands of different costs are calibrated apart.
    fn cost_key(&self) -> String {
        match (self.f.builtin(), self.f.source()) {
            (Some(function), _) => format!("simpson/{}", function.name()),
            // Expressions share one calibration.
            (None, Some(_)) => "simpson/expr".to_owned(),
            (None, None) => format!("simpson/{}", std::any::type_name::<F>()),
        }
    }

    /// The integrand's [`work`](SimpsonIntegrand::work) and the rule's own per point: one calibration of
    /// `simpson/expr` predicts every expression.
    fn cost_scale(&self) -> f64 {
        WORK_POINT + self.f.work()
    }

    fn gpu(&self) -> Option<&dyn GpuKernel<Partial = SimpsonPartial>> {
        Some(self)
    }
}

impl<F: SimpsonIntegrand> Verify for Simpson<F> {
    /// The exact sums, and the partial's share of `S_n`: `h/3 · (ends + 4·odd + 2·even)`.
    fn measure_partial(&self, partial: &SimpsonPartial) -> Measure {
        let sums = [&partial.ends, &partial.odd, &partial.even2, &partial.even0];
        let mut weighted = partial.ends.clone();
        weighted.merge_scaled(&partial.odd, 4);
        weighted.merge_scaled(&partial.even2, 2);
        weighted.merge_scaled(&partial.even0, 2);
        Measure {
            exact: sums.iter().flat_map(|s| s.to_words()).collect(),
            value: weighted.value() * self.spacing() / 3.0,
        }
    }

    fn measure_output(&self, output: &SimpsonEstimate) -> Measure {
        Measure {
            exact: vec![output.value.to_bits(), output.error_estimate.to_bits()],
            value: output.value,
        }
    }

    /// `Simpson::gpu_bound`, a sum over the points of their weight times a per-point bound: it covers any
    /// subset of the points.
    fn gpu_allowance(&self, precision: Precision) -> Option<f64> {
        self.gpu_bound(precision)
    }

    /// The value and its error estimate must be finite: either the integrand is not finite at some point
    /// (named where one is found among the ends and up to 2^22 of the points), or the integral lies
    /// beyond the `f64` range.
    fn check(&self, output: &SimpsonEstimate) -> Result<()> {
        if output.value.is_finite() && output.error_estimate.is_finite() {
            return Ok(());
        }
        let f = self.f.describe();
        let (from, to) = (output.from, output.to);
        // The ends first, then up to 2^22 of the points, spread evenly (all of them when there are fewer).
        let stride = (self.n >> 22).max(1) as usize;
        let bad_point = [from, to]
            .into_iter()
            .chain((0..=self.n).step_by(stride).map(|i| self.x(i)))
            .find(|&x| !self.f.eval(x).is_finite());
        Err(Error::NotFinite(match bad_point {
            Some(x) => {
                format!("{f} is not finite at x = {x:e}: its integral over [{from:e}, {to:e}] cannot be computed")
            }
            None if output.value.is_nan() || output.error_estimate.is_nan() => {
                format!(
                    "the integral of {f} over [{from:e}, {to:e}] came out as NaN: {f} is not finite somewhere in it, \
                     or (on the GPU, which sums in floating point) its partial sums left the f64 range"
                )
            }
            None => format!(
                "the integral of {f} over [{from:e}, {to:e}] (or its error estimate) is beyond the f64 range \
                 (|x| ≤ {:e}), or {f} overflows inside it",
                f64::MAX
            ),
        }))
    }

    fn stamp_line(&self, output: &SimpsonEstimate) -> String {
        format!(
            "f={} from={:#018x} to={:#018x} intervals={}",
            output.function,
            output.from.to_bits(),
            output.to.to_bits(),
            output.intervals
        )
    }
}

impl Wire for SimpsonPartial {
    const WORDS: usize = 4 * ExactSum::WORDS;
    fn to_words(&self) -> Vec<u64> {
        [&self.ends, &self.odd, &self.even2, &self.even0]
            .into_iter()
            .flat_map(|s| s.to_words())
            .collect()
    }
    fn from_words(words: &[u64]) -> Option<Self> {
        if words.len() != Self::WORDS {
            return None;
        }
        let mut parts = words.chunks_exact(ExactSum::WORDS).map(ExactSum::from_words);
        Some(SimpsonPartial {
            ends: parts.next()??,
            odd: parts.next()??,
            even2: parts.next()??,
            even0: parts.next()??,
        })
    }
}

impl<F: SimpsonIntegrand> crate::kernel::Resumable for Simpson<F> {
    /// `simpson f=NAME [PARAMETERS] from=BITS to=BITS intervals=N`, the bounds (and a Gaussian's
    /// parameters) as the hex bits of their `f64`s, `intervals` as requested; an expression is
    /// `f=expr expr=HEX`, the hexadecimal of its text. Built-in integrands and expressions have one.
    fn problem(&self) -> Option<String> {
        let bits = |x: f64| format!("{:#018x}", x.to_bits());
        let function = match (self.f.builtin(), self.f.source()) {
            (Some(Function::Gauss(g)), _) => format!("f=gauss x0={} sigma={}", bits(g.x0()), bits(g.sigma())),
            (Some(Function::Poly(p)), _) => format!("f=poly power={}", p.power()),
            (Some(other), _) => format!("f={}", other.name()),
            (None, Some(source)) => format!("f=expr expr={}", crate::kernels::hex(source)),
            (None, None) => return None,
        };
        Some(format!(
            "simpson {function} from={} to={} intervals={}",
            bits(self.a),
            bits(self.b),
            self.requested
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::math;

    #[test]
    fn partials_round_trip_through_words() {
        let simpson = SimpsonPartial {
            ends: ExactSum::of(1.0),
            odd: ExactSum::of(-2.5),
            even2: ExactSum::of(1e-300),
            even0: ExactSum::of(f64::NEG_INFINITY),
        };
        assert_eq!(SimpsonPartial::from_words(&simpson.to_words()), Some(simpson));
        assert!(SimpsonPartial::from_words(&[0; 5]).is_none());
    }

    fn run<F: SimpsonIntegrand>(k: &Simpson<F>) -> SimpsonEstimate {
        k.finish(crate::kernel::reduce_serial(k, 0..k.blocks()).unwrap())
    }

    #[test]
    fn exp_on_unit_interval_is_accurate() {
        let estimate = run(&Simpson::new(Function::Exp, 0.0, 1.0, 1000).unwrap());
        let e1 = std::f64::consts::E - 1.0;
        assert!((estimate.value - e1).abs() < 1e-12, "{}", estimate.value);
        // Simpson's error at n = 1000 is about h⁴/180·(e − 1) ≈ 1e-14; Richardson sees the same order.
        assert!(
            estimate.error_estimate > 1e-16 && estimate.error_estimate < 1e-12,
            "{}",
            estimate.error_estimate
        );
    }

    #[test]
    fn matches_the_textbook_formula() {
        // A direct transcription of S_n for a small n, summed exactly, against the kernel.
        let (a, b, n) = (0.3, 2.1, 12u64);
        let k = Simpson::new(Function::Sin, a, b, n).unwrap();
        let h = (b - a) / n as f64;
        let mut s = ExactSum::new();
        for i in 0..=n {
            let w = if i == 0 || i == n {
                1
            } else if i % 2 == 1 {
                4
            } else {
                2
            };
            s.merge_scaled(&ExactSum::of(math::sin(k.x(i))), w);
        }
        assert_eq!(run(&k).value, s.value() * h / 3.0);
        assert!(k.x(n) == b && k.x(1) == a + h);
    }

    #[test]
    fn rounding_up_and_reversed_bounds() {
        let k = Simpson::new(Function::Cos, 0.0, 1.0, 5).unwrap();
        assert_eq!(k.intervals(), 8);
        let forward = run(&Simpson::new(Function::Exp, -1.0, 2.0, 4000).unwrap());
        let backward = run(&Simpson::new(Function::Exp, 2.0, -1.0, 4000).unwrap());
        assert_eq!(forward.value, -backward.value);
        assert!((backward.exact.unwrap() + forward.exact.unwrap()).abs() < 1e-15);
    }

    #[test]
    fn exact_integrals() {
        let cases = [
            (Function::Exp, 0.0, 1.0, std::f64::consts::E - 1.0),
            // e^−745 is subnormal (one significant bit): the integral is e^−700 to the last place.
            (Function::Exp, -745.0, -700.0, (-700f64).exp()),
            (Function::Exp, -700.0, -745.0, -(-700f64).exp()),
            (Function::Sin, 0.0, std::f64::consts::PI, 2.0),
            (Function::Cos, 0.0, std::f64::consts::FRAC_PI_2, 1.0),
            (Function::Pi, 0.0, 1.0, std::f64::consts::PI),
            (Function::poly(3).unwrap(), 0.0, 2.0, 4.0),
            (
                Function::gauss(0.0, 1.0).unwrap(),
                -40.0,
                40.0,
                (2.0 * std::f64::consts::PI).sqrt(),
            ),
        ];
        // An empty interval where e^a overflows: 0, not ∞·0.
        assert_eq!(Function::Exp.exact(800.0, 800.0), Some(0.0));
        for (f, a, b, expected) in cases {
            let exact = f.exact(a, b).unwrap();
            assert!(
                (exact - expected).abs() <= 4.0 * f64::EPSILON * expected.abs(),
                "{f:?}: {exact}"
            );
            let estimate = run(&Simpson::new(f, a, b, 20_000).unwrap());
            assert!(
                (estimate.value - expected).abs() < 1e-9 * expected.abs().max(1.0),
                "{f:?}: {}",
                estimate.value
            );
        }
    }

    #[test]
    fn the_vector_loop_returns_the_bits_of_the_scalar_one() {
        // A closure around a built-in is not recognised as one, so it takes the scalar loop; the blocks
        // must agree bit for bit, including the partial lanes at the start and the end.
        let functions = [
            Function::Exp,
            Function::Sin,
            Function::Cos,
            Function::gauss(0.3, 0.7).unwrap(),
            // exp's argument leaves its normal range in the blocks far from 0.3 (another loop).
            Function::gauss(0.3, 0.01).unwrap(),
            // With 128 intervals on [0, 1], a chunk of the loop runs from 0.0625 to 0.5625: its ends reduce
            // with the same m = -1, the points near 0.3125 with m = 0 (the chunk shares no reduction).
            Function::gauss(0.3125, 1.0).unwrap(),
            Function::Pi,
            Function::poly(3).unwrap(),
        ];
        for function in functions {
            // Points 0.6 apart (-300 to 300), so that a vector's points lie in different quadrants for
            // sin and cos (the others mostly share one); chunks of points around π/2 and 10⁶·π/2 that
            // share their quadrant (the reduction's remainder changing sign in one of them).
            use std::f64::consts::FRAC_PI_2;
            let far = 1e6 * FRAC_PI_2;
            for (a, b, n) in [
                (0.0, 1.0, 1000),
                (-3.0, 2.5, 200_004),
                (5.0, -7.0, 131_075),
                (-300.0, 300.0, 1000),
                (0.0, 1.0, 128),
                (FRAC_PI_2 - 1e-9, FRAC_PI_2 + 1e-9, 128),
                (far - 1e-6, far + 3e-6, 128),
            ] {
                let builtin = Simpson::new(function, a, b, n).unwrap();
                let scalar = Simpson::new(|x: f64| function.eval(x), a, b, n).unwrap();
                for block in 0..builtin.blocks() {
                    assert_eq!(builtin.block(block), scalar.block(block), "{function:?} block {block}");
                }
                let x = [0.1, -2.0, 3.5, 1e-3, 40.0, -0.75, 2.0, 0.0];
                let lanes = function.eval_lanes(&x);
                for (x, y) in x.iter().zip(lanes) {
                    assert_eq!(function.eval(*x).to_bits(), y.to_bits(), "{function:?} at {x}");
                }
            }
        }
    }

    #[test]
    fn an_expression_returns_the_bits_of_its_scalar_evaluation() {
        // The vector program (chunks of operations, on the widest unit or the one HETERO_SIMD names) against
        // the expression evaluated one point at a time, block by block.
        let sources = [
            "exp(x)",
            "exp(-(x-0.3)^2/(2*0.7^2))",
            "sin(3*x) * cos(x) + x^3 - 2*x^-2",
            "log(x) + sqrt(x) + atan(x) / (1 + x^2)",
            "(x < 2.5) * exp(-x) + max(x, 3) - min(x, 1) + abs(x - 3) + pow(x, 1.5) + hypot(x, 2)",
            "x",
            "2.5",
            "exp(x * 300)",
            // sin near zero (its tiny path) and cos with a vector's points in different quadrants.
            "sin(x - 1) + cos(200 * x)",
        ];
        for source in sources {
            for (a, b, n) in [(0.5, 4.0, 1000), (0.25, 3.5, 200_004), (3.0, 0.1, 131_075)] {
                let expr = Simpson::expr(source, a, b, n).unwrap();
                let parsed = crate::expr::Expr::parse(source, 1).unwrap();
                let scalar = Simpson::new(|x: f64| parsed.eval(&[x]).unwrap(), a, b, n).unwrap();
                for block in 0..expr.blocks() {
                    assert_eq!(expr.block(block), scalar.block(block), "{source} block {block}");
                }
            }
        }
        // `exp(x)` is the built-in `exp`, bit for bit.
        let expr = Simpson::expr("exp(x)", -2.0, 3.0, 300_000).unwrap();
        let builtin = Simpson::new(Function::Exp, -2.0, 3.0, 300_000).unwrap();
        assert_eq!(run(&expr).value.to_bits(), run(&builtin).value.to_bits());
        assert!(Simpson::expr("x + y", 0.0, 1.0, 10).is_err());
    }

    #[test]
    fn expressions_integrate_to_their_analytic_values() {
        use std::f64::consts::{E, PI, SQRT_2};
        let cases: [(&str, f64, f64, f64); 16] = [
            ("x^2", 0.0, 3.0, 9.0),
            ("x^3 - 2*x + 1", -2.0, 3.0, 16.25),
            ("exp(-x^2)", 0.0, 1.0, PI.sqrt() / 2.0 * libm::erf(1.0)),
            ("sin(x)^2", 0.0, PI, PI / 2.0),
            ("1/(1+x^2)", 0.0, 1.0, PI / 4.0),
            ("log(x)", 1.0, E, 1.0),
            ("sqrt(x)", 1.0, 4.0, 14.0 / 3.0),
            ("x*exp(-x)", 0.0, 10.0, 1.0 - 11.0 * (-10.0f64).exp()),
            ("cosh(x)", 0.0, 1.0, 1f64.sinh()),
            ("atan(x)", 0.0, 1.0, PI / 4.0 - 2f64.ln() / 2.0),
            ("tan(x)", 0.0, 1.0, -(1f64.cos().ln())),
            ("1/sqrt(1-x^2)", 0.0, 0.5, PI / 6.0),
            ("pow(x, 2.5)", 1.0, 2.0, (2f64.powf(3.5) - 1.0) / 3.5),
            ("hypot(x, 1)", 0.0, 1.0, (SQRT_2 + 1f64.asinh()) / 2.0),
            ("exp(-(x-0.3)^2/(2*0.7^2))", -1.0, 2.0, {
                let s = 0.7 * SQRT_2;
                0.7 * (PI / 2.0).sqrt() * (libm::erf(1.7 / s) - libm::erf(-1.3 / s))
            }),
            ("cos(2*x) * (x < 10)", 0.0, PI / 4.0, 0.5),
        ];
        for (source, a, b, exact) in cases {
            let estimate = run(&Simpson::expr(source, a, b, 1 << 12).unwrap());
            let allowed = 10.0 * estimate.error_estimate + 8.0 * f64::EPSILON * exact.abs();
            assert!(
                (estimate.value - exact).abs() <= allowed,
                "{source} over [{a}, {b}]: {} against {exact} (estimate {:e})",
                estimate.value,
                estimate.error_estimate
            );
        }
    }

    #[test]
    fn bad_parameters_are_errors() {
        assert!(Simpson::new(Function::Exp, f64::NAN, 1.0, 10).is_err());
        assert!(Simpson::new(Function::Exp, 0.0, f64::INFINITY, 10).is_err());
        assert!(Simpson::new(Function::Exp, -f64::MAX, f64::MAX, 10).is_err());
        assert!(Simpson::new(Function::Exp, 0.0, 1.0, 0).is_err());
        assert!(Simpson::new(Function::Exp, 0.0, 1.0, (1 << 53) + 1).is_err());
        assert!(Function::gauss(0.0, 0.0).is_err());
        assert!(Function::gauss(0.0, -1.0).is_err());
        assert!(Function::gauss(f64::NAN, 1.0).is_err());
        assert!(Function::from_name("tan", None, None, None).is_err());
        assert!(Function::from_name("exp", None, Some(1.0), None).is_err());
        assert!(Function::from_name("gauss", None, None, Some(2)).is_err());
        assert_eq!(
            Function::from_name("poly", None, None, Some(5)).unwrap(),
            Function::poly(5).unwrap()
        );
    }
}
