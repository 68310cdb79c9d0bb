//! What Simpson integrates: the [`Integrand`] trait (any `Fn(f64) -> f64 + Sync` is one) and the built-in
//! [`Function`]s, which also know their exact integral, their bounds and their GPU form.

use std::ops::Range;

use super::points;
use crate::expr::{Accuracy, Bounded, Expr, Interval};
use crate::math;
use crate::program::Precision;
use crate::simd::{self, Lanes, Lanes8};
use crate::size::real_text;
use crate::sum::{LANES, Neumaier};
use crate::{Error, Result};

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
pub trait Integrand: Sync {
    /// `f(x)`.
    fn eval(&self, x: f64) -> f64;

    /// `f` at [`LANES`] points at once. The default calls [`eval`](Integrand::eval) on each; an integrand
    /// can override it with a version the compiler vectorizes, as long as every lane returns exactly what
    /// `eval` would.
    #[inline]
    fn eval_lanes(&self, x: &[f64; LANES]) -> [f64; LANES] {
        x.map(|x| self.eval(x))
    }

    /// Adds `f(lo + i·h)` for each `i` in `points` (both ends multiples of [`LANES`]) to `lanes[i mod 8]`,
    /// in increasing `i`: the inner loop of [`Simpson`](super::Simpson). The default evaluates
    /// [`eval_lanes`](Integrand::eval_lanes) eight points at a time; the built-in functions and expressions
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
}

impl<F: Fn(f64) -> f64 + Sync> Integrand for F {
    fn eval(&self, x: f64) -> f64 {
        self(x)
    }
}

/// The built-in integrands.
#[derive(Clone, Copy, Debug, PartialEq)]
#[non_exhaustive]
pub enum Function {
    /// `eˣ`.
    Exp,
    /// `sin x`.
    Sin,
    /// `cos x`.
    Cos,
    /// `exp(−(x − x0)² / (2σ²))`; build it with [`Function::gauss`], which checks `σ > 0`.
    Gauss {
        /// Centre.
        x0: f64,
        /// Width, `σ > 0`.
        sigma: f64,
    },
    /// `4 / (1 + x²)`, whose integral over `[0, 1]` is π.
    Pi,
    /// `xᵏ`.
    Poly {
        /// The power `k`.
        power: u32,
    },
}

impl Function {
    /// The names accepted by [`Function::from_name`].
    pub const NAMES: [&'static str; 6] = ["exp", "sin", "cos", "gauss", "pi", "poly"];

    /// A Gaussian bump centred on `x0` of width `sigma`; both finite, `sigma ≥ 1e-154` (so that `2σ²` is a
    /// normal `f64`).
    pub fn gauss(x0: f64, sigma: f64) -> Result<Self> {
        if !x0.is_finite() {
            return Err(Error::invalid(
                "x0",
                format!("{} is not a finite number", real_text(x0)),
            ));
        }
        if !(sigma.is_finite() && sigma > 0.0) {
            return Err(Error::invalid(
                "sigma",
                format!("{} is not a finite number > 0", real_text(sigma)),
            ));
        }
        // exp(−(x − x0)²/(2σ²)) needs 2σ² to be a normal f64: below it the quotient is 0/0 or x/0.
        if 2.0 * sigma * sigma < f64::MIN_POSITIVE {
            return Err(Error::invalid(
                "sigma",
                format!(
                    "{} is too small: 2σ² underflows f64 (σ must be at least 1e-154)",
                    real_text(sigma)
                ),
            ));
        }
        Ok(Function::Gauss { x0, sigma })
    }

    /// `xᵏ` for `k < 2^31 − 1`.
    pub fn poly(power: u32) -> Result<Self> {
        if power >= i32::MAX as u32 {
            return Err(Error::invalid("power", format!("{power} is too large")));
        }
        Ok(Function::Poly { power })
    }

    /// A built-in by name (see [`Function::NAMES`]); `gauss` takes `x0` (default 0) and `sigma`
    /// (default 1), `poly` takes `power` (default 2). A parameter given to a function without it is an error.
    pub fn from_name(name: &str, x0: Option<f64>, sigma: Option<f64>, power: Option<u32>) -> Result<Self> {
        let function = match name.to_ascii_lowercase().as_str() {
            "exp" => Function::Exp,
            "sin" => Function::Sin,
            "cos" => Function::Cos,
            "pi" => Function::Pi,
            "gauss" => {
                return Function::gauss(x0.unwrap_or(0.0), sigma.unwrap_or(1.0))
                    .and_then(|f| f.only(power.map(|_| "power")));
            }
            "poly" => {
                return Function::poly(power.unwrap_or(2))?.only(x0.map(|_| "x0").or(sigma.map(|_| "sigma")));
            }
            _ => {
                return Err(Error::invalid(
                    "function",
                    format!(
                        "unknown function '{name}': expected one of {}",
                        Function::NAMES.join(", ")
                    ),
                ));
            }
        };
        let stray = x0.map(|_| "x0").or(sigma.map(|_| "sigma")).or(power.map(|_| "power"));
        function.only(stray)
    }

    fn only(self, stray: Option<&'static str>) -> Result<Self> {
        match stray {
            Some(parameter) => Err(Error::invalid(
                parameter,
                format!("the function {} takes no {parameter}", self.name()),
            )),
            None => Ok(self),
        }
    }

    /// `f` in every lane. The scalar [`Integrand::eval`], [`Integrand::eval_lanes`] and the CPU kernel's
    /// vector loop all go through it, so they agree bit for bit. `exp` (and so `gauss`), `sin` and `cos` are
    /// hetero's own ([`crate::math`]); `xᵏ` is the standard library's `powi`, one lane at a time.
    #[inline(always)]
    pub(super) fn eval_in<V: Lanes>(&self, x: V) -> V {
        let c = |k| x.token().splat(k);
        match *self {
            Function::Exp => math::exp_lanes(x),
            Function::Sin => math::sin_lanes(x),
            Function::Cos => math::cos_lanes(x),
            Function::Gauss { x0, sigma } => math::exp_lanes(GaussArgument::new(x0, sigma).of(x)),
            Function::Pi => c(4.0).div(c(1.0).add(x.mul(x))),
            Function::Poly { power } => x.map(|x| x.powi(power as i32)),
        }
    }

    /// The number the GPU shader knows the function by.
    pub(super) fn shader_id(&self) -> u32 {
        match self {
            Function::Exp => 0,
            Function::Sin => 1,
            Function::Cos => 2,
            Function::Gauss { .. } => 3,
            Function::Pi => 4,
            Function::Poly { .. } => 5,
        }
    }

    /// Upper bounds of `|f|` and `|f'|` over `[lo, hi]`, for the GPU error bound.
    pub fn magnitude_bounds(&self, lo: f64, hi: f64) -> (f64, f64) {
        let reach = lo.abs().max(hi.abs());
        match *self {
            Function::Exp => (hi.exp(), hi.exp()),
            Function::Sin | Function::Cos => (1.0, 1.0),
            Function::Gauss { sigma, .. } => (1.0, (-0.5f64).exp() / sigma),
            // max |8x / (1 + x²)²| is at x = 1/√3.
            Function::Pi => (4.0, 1.5 * 3f64.sqrt()),
            Function::Poly { power: 0 } => (1.0, 0.0),
            Function::Poly { power } => (
                reach.powi(power as i32),
                f64::from(power) * reach.powi(power as i32 - 1),
            ),
        }
    }

    /// The name of the function.
    pub fn name(&self) -> &'static str {
        match self {
            Function::Exp => "exp",
            Function::Sin => "sin",
            Function::Cos => "cos",
            Function::Gauss { .. } => "gauss",
            Function::Pi => "pi",
            Function::Poly { .. } => "poly",
        }
    }
}

impl Integrand for Function {
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
            Function::Gauss { x0, sigma } => {
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
            Function::Poly { power } => poly_integral(power, a, b),
        })
    }

    fn builtin(&self) -> Option<Function> {
        Some(*self)
    }

    fn describe(&self) -> String {
        match *self {
            Function::Gauss { x0, sigma } => format!("gauss(x0={}, sigma={})", real_text(x0), real_text(sigma)),
            Function::Poly { power } => format!("x^{power}"),
            other => other.name().to_owned(),
        }
    }
}

/// An expression in one variable, `x` ([`Simpson::expr`](super::Simpson::expr) parses one).
impl Integrand for Expr {
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

    fn prepared(self, lo: f64, hi: f64) -> Self {
        self.over(&[(lo, hi)])
    }

    fn describe(&self) -> String {
        self.source().to_owned()
    }

    fn wgsl(&self) -> Option<String> {
        Some(Expr::wgsl(self, "user_integrand"))
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
}

/// The argument of `exp` in `gauss`, `−½·((x − x0)/σ)²`: never positive, and, each operation being
/// monotone, at its lowest over an interval of `x` at one of the interval's ends.
///
/// Where `σ` is a power of two whose reciprocal is a normal number (the default `σ = 1` among them), the
/// division is a multiplication by that reciprocal: the same real number, so the same rounding, and a
/// multiplication costs a fraction of a division. Which one is decided once, when the argument is made.
#[derive(Clone, Copy)]
pub(super) struct GaussArgument {
    /// The centre `x0`.
    pub(super) x0: f64,
    sigma: f64,
    /// `1/σ` where it is exact and normal ([`exact_reciprocal`]).
    reciprocal: Option<f64>,
}

impl GaussArgument {
    /// The argument for centre `x0` and width `sigma`.
    pub(super) fn new(x0: f64, sigma: f64) -> Self {
        GaussArgument {
            x0,
            sigma,
            reciprocal: exact_reciprocal(sigma),
        }
    }

    /// `−½·((x − x0)/σ)²` in every lane.
    #[inline(always)]
    pub(super) fn of<V: Lanes>(self, x: V) -> V {
        let c = |k| x.token().splat(k);
        let d = x.sub(c(self.x0));
        let z = match self.reciprocal {
            Some(reciprocal) => d.mul(c(reciprocal)),
            None => d.div(c(self.sigma)),
        };
        c(-0.5).mul(z).mul(z)
    }
}

/// `1/σ` where it is exact and normal: for `σ` a power of two (a normal number with no fraction bits) whose
/// reciprocal lies in the normal range.
fn exact_reciprocal(sigma: f64) -> Option<f64> {
    const FRACTION: u64 = (1 << 52) - 1;
    let reciprocal = 1.0 / sigma;
    (sigma.is_normal() && sigma.to_bits() & FRACTION == 0 && reciprocal.is_normal()).then_some(reciprocal)
}

/// `eᵇ − eᵃ`: as `eᵃ·(e^(b−a) − 1)` where that is finite (accurate when `b − a` is small), else in
/// logarithms, `±e^(hi + ln(1 − e^(lo−hi)))`, which overflows only when the integral does.
fn exp_integral(a: f64, b: f64) -> f64 {
    let direct = a.exp() * (b - a).exp_m1();
    if direct.is_finite() || a == b {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gauss_multiplies_only_where_the_reciprocal_is_exact() {
        let power = |e: i32| 2f64.powi(e);
        for sigma in [1.0, 2.0, 0.5, power(-500), power(500), power(-1022), power(1022)] {
            assert_eq!(exact_reciprocal(sigma), Some(1.0 / sigma), "{sigma:e}");
        }
        // Not powers of two, or a reciprocal out of the normal range (2^1023's is subnormal).
        for sigma in [3.0, 0.1, 1.0 + f64::EPSILON, power(1023), f64::MIN_POSITIVE / 4.0] {
            assert_eq!(exact_reciprocal(sigma), None, "{sigma:e}");
        }
        // The same bits as the division, down to results below the normal range.
        let units = crate::math::reference::sample(20_000, -0.5, 0.5, 5);
        for (i, unit) in units.into_iter().enumerate() {
            let sigma = [1.0, 0.25, power(300), power(-300)][i % 4];
            let x = unit * [10.0, 1e-2, 1e-150, 1e150][i % 4];
            let z = (x - 0.3) / sigma;
            let divided = -0.5 * z * z;
            let argument = GaussArgument::new(0.3, sigma);
            assert_eq!(argument.of(x).to_bits(), divided.to_bits(), "{x:e} {sigma:e}");
        }
    }
}
