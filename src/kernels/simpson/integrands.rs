//! What Simpson integrates: the [`SimpsonIntegrand`] trait (any `Fn(f64) -> f64 + Sync` is one) and the built-in
//! [`Function`]s, which also know their exact integral, their bounds and their GPU form.

use std::ops::Range;

use super::points;
use crate::expr::{Accuracy, Bounded, Expr, Interval};
use crate::integrand::{Function, RustFunction};
use crate::program::Precision;
use crate::simd::{self, Lanes8};
use crate::size::real_text;
use crate::sum::{LANES, Neumaier};

/// A function to integrate.
///
/// Any `Fn(f64) -> f64 + Sync` closure is an integrand; the built-in [`Function`]s also know their exact
/// integral. The function must be pure: it is evaluated from many threads, in any order.
///
/// ```
/// use hetero::{Backend, Engine, kernels::Simpson};
///
/// let kernel = Simpson::new(|x: f64| x * x, 0.0, 3.0, 1000)?;
/// let run = Engine::with_threads(2)?.run(&kernel, Backend::Rayon)?;
/// assert!((run.output.value - 9.0).abs() < 1e-12);
/// # Ok::<(), hetero::Error>(())
/// ```
pub trait SimpsonIntegrand: Sync {
    /// `f(x)`.
    fn eval(&self, x: f64) -> f64;

    /// `f` at [`LANES`] points at once. The default calls [`eval`](SimpsonIntegrand::eval) on each; an integrand
    /// can override it with a version the compiler vectorizes, as long as every lane returns exactly what
    /// `eval` would.
    #[inline]
    fn eval_lanes(&self, x: &[f64; LANES]) -> [f64; LANES] {
        x.map(|x| self.eval(x))
    }

    /// Adds `f(lo + i·h)` for each `i` in `points` (both ends multiples of [`LANES`]) to `lanes[i mod 8]`,
    /// in increasing `i`: the inner loop of [`Simpson`](super::Simpson). The default evaluates
    /// [`eval_lanes`](SimpsonIntegrand::eval_lanes) eight points at a time; the built-in functions and expressions
    /// run vector loops of their own, which add exactly the same values.
    fn add_points(&self, lo: f64, h: f64, points: Range<u64>, mut lanes: [Neumaier; LANES]) -> [Neumaier; LANES] {
        for i in points.step_by(LANES) {
            // i + l < 2^53 converts exactly, so adding l after the conversion is the same number.
            let base = i as f64;
            let x: [f64; LANES] = std::array::from_fn(|l| lo + (base + l as f64) * h);
            for (lane, y) in lanes.iter_mut().zip(self.eval_lanes(&x)) {
                lane.add(y);
            }
        }
        lanes
    }

    /// Whether it is evaluated once per block: then [`eval_many`](SimpsonIntegrand::eval_many) gives a
    /// block's values in one call, and [`Simpson`](super::Simpson) asks it for them.
    fn is_batch(&self) -> bool {
        false
    }

    /// `f` at each of `x` in one call, where the integrand [`is_batch`](SimpsonIntegrand::is_batch) (the
    /// same values [`eval`](SimpsonIntegrand::eval) gives); `None` otherwise.
    fn eval_many(&self, _x: &[f64]) -> Option<Vec<f64>> {
        None
    }

    /// The function as WGSL, `fn user_integrand(x: real) -> real`, for the GPU; `None` where there is none
    /// (closures; the built-in functions have their own shader code).
    fn wgsl(&self) -> Option<String> {
        None
    }

    /// For the GPU's agreement bound: the largest `|f|` over `[lo, hi]`, and how far a GPU evaluation in
    /// `precision` whose argument is off by at most `argument_error` can lie from the CPU's. `None` where
    /// nothing can be derived.
    fn gpu_error(&self, _lo: f64, _hi: f64, _argument_error: f64, _precision: Precision) -> Option<(f64, f64)> {
        None
    }

    /// Why [`gpu_error`](Self::gpu_error) has no bound over `[lo, hi]`, in words, where the integrand can
    /// tell.
    fn why_no_gpu_error(&self, _lo: f64, _hi: f64, _argument_error: f64, _precision: Precision) -> Option<String> {
        None
    }

    /// Why Simpson's error estimate has no regime over `[lo, hi]`, if it has none: `|f|` grows without
    /// bound at a point or `f` jumps ([`crate::singular::irregular`]), so the rule's error falls
    /// erratically as its points move against the singularity or the jump. `None` where none is seen, or the integrand cannot be analysed.
    fn irregular(&self, _lo: f64, _hi: f64) -> Option<String> {
        None
    }

    /// How far the CPU's value at an argument within `argument_error` of a point of `[lo, hi]` may lie from
    /// the function's true value at the point: what rounding alone makes of an integral's value. `None`
    /// where it is not known (a Rust function's rounding is its own).
    fn cpu_error(&self, _lo: f64, _hi: f64, _argument_error: f64) -> Option<f64> {
        None
    }

    /// How many variables the function takes: Simpson integrates functions of one.
    fn dims(&self) -> usize {
        1
    }

    /// The text of the expression this integrand was parsed from, if it was (what saved results name it by).
    fn source(&self) -> Option<&str> {
        None
    }

    /// The integrand prepared for arguments in `[lo, hi]`, with the same values there ([`Simpson::new`]
    /// calls it once). The default is the integrand itself; an expression compiles itself for the
    /// interval.
    ///
    /// [`Simpson::new`]: super::Simpson::new
    fn prepared(self, _lo: f64, _hi: f64) -> Self
    where
        Self: Sized,
    {
        self
    }

    /// `∫ₐᵇ f`, where it is known in closed form.
    fn exact(&self, _a: f64, _b: f64) -> Option<f64> {
        None
    }

    /// How reports name the function.
    fn describe(&self) -> String {
        "f".to_owned()
    }

    /// The built-in function this integrand is, if any: only those run on the GPU.
    fn builtin(&self) -> Option<Function> {
        None
    }

    /// What one point costs, relative to other integrands of its type: the cost model predicts a new
    /// expression from one calibration by it ([`Kernel::cost_scale`](crate::Kernel::cost_scale)). 1 by
    /// default (a type whose values all cost alike).
    fn work(&self) -> f64 {
        1.0
    }
}

impl<F: Fn(f64) -> f64 + Sync> SimpsonIntegrand for F {
    fn eval(&self, x: f64) -> f64 {
        self(x)
    }
}

impl SimpsonIntegrand for Function {
    #[inline]
    fn eval(&self, x: f64) -> f64 {
        self.eval_in(x)
    }

    #[inline]
    fn eval_lanes(&self, x: &[f64; LANES]) -> [f64; LANES] {
        self.eval_in(simd::PORTABLE.load(*x)).to_array()
    }

    fn add_points(&self, lo: f64, h: f64, points: Range<u64>, lanes: [Neumaier; LANES]) -> [Neumaier; LANES] {
        points::builtin(*self, lo, h, points, lanes)
    }

    fn exact(&self, a: f64, b: f64) -> Option<f64> {
        // Written as products where the plain difference of antiderivatives would cancel, and in forms
        // that overflow only where the integral itself does.
        let half_width = 0.5 * (b - a);
        let mid = 0.5 * (a + b);
        Some(match *self {
            Function::Exp => exp_integral(a, b),
            Function::Sin => 2.0 * mid.sin() * half_width.sin(),
            Function::Cos => 2.0 * mid.cos() * half_width.sin(),
            Function::Gauss(g) => {
                let (x0, sigma) = (g.x0(), g.sigma());
                let scale = sigma * std::f64::consts::FRAC_PI_2.sqrt();
                let (za, zb) = (
                    (a - x0) / (sigma * std::f64::consts::SQRT_2),
                    (b - x0) / (sigma * std::f64::consts::SQRT_2),
                );
                // erfc where both ends are far out on one side (erf would cancel to 0 there), erf
                // otherwise (erfc would cancel near 0, where a very wide gauss is flat).
                let difference = if za.min(zb) >= 0.5 {
                    libm::erfc(za) - libm::erfc(zb)
                } else if za.max(zb) <= -0.5 {
                    libm::erfc(-zb) - libm::erfc(-za)
                } else {
                    libm::erf(zb) - libm::erf(za)
                };
                scale * difference
            }
            Function::Pi => 4.0 * atan_difference(b, a),
            Function::Poly(p) => poly_integral(p.power(), a, b),
        })
    }

    fn builtin(&self) -> Option<Function> {
        Some(*self)
    }

    /// Within an ulp of the largest value (hetero's `exp`, `sin` and `cos` are within one; the others'
    /// few operations add a few halves), plus what the argument's error moves the value by.
    fn cpu_error(&self, lo: f64, hi: f64, argument_error: f64) -> Option<f64> {
        let (magnitude, slope) = self.magnitude_bounds(lo, hi);
        Some(4.0 * f64::EPSILON * magnitude + slope * argument_error)
    }

    fn describe(&self) -> String {
        match *self {
            Function::Gauss(g) => format!("gauss(x0={}, sigma={})", real_text(g.x0()), real_text(g.sigma())),
            Function::Poly(p) => format!("x^{}", p.power()),
            other => other.name().to_owned(),
        }
    }
}

/// An expression in one variable, `x` ([`Simpson::expr`](super::Simpson::expr) parses one).
impl SimpsonIntegrand for Expr {
    #[inline]
    fn eval(&self, x: f64) -> f64 {
        // `Simpson::new` has checked that the expression has one variable.
        self.program().eval(&[x])
    }

    fn add_points(&self, lo: f64, h: f64, points: Range<u64>, lanes: [Neumaier; LANES]) -> [Neumaier; LANES] {
        points::expression(self.program(), lo, h, points, lanes)
    }

    fn dims(&self) -> usize {
        Expr::dims(self)
    }

    fn source(&self) -> Option<&str> {
        Some(Expr::source(self))
    }

    fn work(&self) -> f64 {
        Expr::work(self)
    }

    fn prepared(self, lo: f64, hi: f64) -> Self {
        self.over(&[(lo, hi)])
    }

    fn describe(&self) -> String {
        self.source().to_owned()
    }

    fn wgsl(&self) -> Option<String> {
        Some(Expr::wgsl(self, "user_integrand"))
    }

    fn irregular(&self, lo: f64, hi: f64) -> Option<String> {
        let f = crate::integrand::Integrand::Expr(self.clone());
        crate::singular::irregular(&f, (lo, hi)).ok().flatten()
    }

    fn cpu_error(&self, lo: f64, hi: f64, argument_error: f64) -> Option<f64> {
        let x = Bounded {
            value: Interval::new(lo, hi),
            error: argument_error,
        };
        Some(self.bound(&[x], &Accuracy::CPU, &Accuracy::EXACT)?.error)
    }

    fn gpu_error(&self, lo: f64, hi: f64, argument_error: f64, precision: Precision) -> Option<(f64, f64)> {
        let gpu = Accuracy::gpu(precision);
        let x = Bounded {
            value: Interval::new(lo, hi),
            error: argument_error,
        };
        let bound = self.bound(&[x], &Accuracy::CPU, &gpu)?;
        Some((bound.value.magnitude(), bound.error))
    }

    fn why_no_gpu_error(&self, lo: f64, hi: f64, argument_error: f64, precision: Precision) -> Option<String> {
        let x = Bounded {
            value: Interval::new(lo, hi),
            error: argument_error,
        };
        self.why_unbounded(&[x], &Accuracy::CPU, &Accuracy::gpu(precision))
    }
}

/// `eᵇ − eᵃ`: as `e^hi·(1 − e^(lo−hi))` through `expm1`, anchored at the larger end `hi` (accurate when
/// `b − a` is small, and where the smaller end's exponential is subnormal), when that is finite; else in
/// logarithms, `±e^(hi + ln(1 − e^(lo−hi)))`, which overflows only when the integral does.
fn exp_integral(a: f64, b: f64) -> f64 {
    if a == b {
        return 0.0;
    }
    // Anchored at the larger end, whose exponential is the last to become subnormal (where it would carry
    // few digits): e^b − e^a = −e^b·expm1(a − b) = e^a·expm1(b − a).
    let direct = match b >= a {
        true => -b.exp() * (a - b).exp_m1(),
        false => a.exp() * (b - a).exp_m1(),
    };
    if direct.is_finite() {
        return direct;
    }
    let (lo, hi, sign) = if a < b { (a, b, 1.0) } else { (b, a, -1.0) };
    sign * (hi + (-(lo - hi).exp_m1()).ln()).exp()
}

/// `atan b − atan a`, without the cancellation of two angles near ±π/2 when `a` and `b` are large with the
/// same sign (there it is `atan(1/a) − atan(1/b)`, both small).
fn atan_difference(b: f64, a: f64) -> f64 {
    if a.abs() >= 1.0 && b.abs() >= 1.0 && a.signum() == b.signum() {
        (1.0 / a).atan() - (1.0 / b).atan()
    } else {
        b.atan() - a.atan()
    }
}

/// `(bᵏ⁺¹ − aᵏ⁺¹)/(k+1)`: for small `k` and ends of one sign as `(b − a)·Σ aʲbᵏ⁻ʲ/(k+1)`, which does not
/// cancel when `a` and `b` are close; each power scaled by `1/(k+1)` before the difference where the powers
/// themselves would overflow.
fn poly_integral(power: u32, a: f64, b: f64) -> f64 {
    let k1 = f64::from(power) + 1.0;
    if power <= 64 && a * b >= 0.0 {
        let mut sum = 0.0;
        let mut a_j = 1.0;
        for j in 0..=power {
            sum += a_j * b.powi((power - j) as i32);
            a_j *= a;
        }
        let product = (b - a) * sum / k1;
        if product.is_finite() {
            return product;
        }
    }
    let term = |x: f64| {
        let plain = x.powi(power as i32 + 1) / k1;
        if plain.is_finite() {
            return plain;
        }
        // |x|^(k+1)/(k+1) through logarithms, with the sign of x^(k+1).
        let magnitude = (k1 * x.abs().ln() - k1.ln()).exp();
        if x < 0.0 && power.is_multiple_of(2) {
            -magnitude
        } else {
            magnitude
        }
    };
    term(b) - term(a)
}

/// A Rust function of one variable is an integrand of Simpson's rule (CPU only).
impl SimpsonIntegrand for RustFunction {
    fn eval(&self, x: f64) -> f64 {
        RustFunction::eval(self, &[x])
    }

    fn is_batch(&self) -> bool {
        RustFunction::is_batch(self)
    }

    fn eval_many(&self, x: &[f64]) -> Option<Vec<f64>> {
        self.is_batch().then(|| {
            let mut values = vec![0.0; x.len()];
            RustFunction::eval_many(self, x, &mut values);
            values
        })
    }

    fn dims(&self) -> usize {
        RustFunction::dims(self)
    }

    fn describe(&self) -> String {
        self.name().to_owned()
    }
}
