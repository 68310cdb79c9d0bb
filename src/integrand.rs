//! What is integrated: a built-in function, an expression or a Rust function ([`Integrand`]), one type
//! for every method and kernel that takes more than one kind. Re-exported by [`crate::integrate`].

use std::fmt;
use std::sync::Arc;

use crate::expr::{Expr, MathFunction};
use crate::math;
use crate::simd::Lanes;
use crate::size::real_text;
use crate::{Error, Result};

/// The function integrated.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub enum Integrand {
    /// A built-in function of one variable, with its own vector loops and exact integral.
    Builtin(Function),
    /// An expression ([`crate::expr`]) of as many variables as the domain has dimensions.
    Expr(Expr),
    /// A function written in Rust (CPU backends only).
    Rust(RustFunction),
}

impl Integrand {
    /// How many variables it takes.
    pub fn dims(&self) -> usize {
        match self {
            Integrand::Builtin(_) => 1,
            Integrand::Expr(f) => f.dims(),
            Integrand::Rust(f) => f.dims(),
        }
    }

    /// What evaluating it at one point costs, in the nanoseconds of the expressions' table (`Kind::work`
    /// in [`crate::expr`]): the built-ins by their functions, an expression by its operations, a Rust
    /// function (which cannot be seen into) as a few transcendental functions.
    pub(crate) fn work(&self) -> f64 {
        match self {
            Integrand::Builtin(f) => f.work(),
            Integrand::Expr(f) => f.work(),
            Integrand::Rust(_) => WORK_RUST_FUNCTION,
        }
    }

    /// Whether it is known to take one value everywhere: an expression of none of its variables (a Rust
    /// function cannot be seen into, and the built-ins vary).
    pub(crate) fn is_constant(&self) -> bool {
        match self {
            Integrand::Expr(f) => !(0..f.dims()).any(|k| f.uses(k)),
            Integrand::Builtin(_) | Integrand::Rust(_) => false,
        }
    }

    /// How it reads in a report: the expression's text, the built-in's name, the Rust function's name.
    pub fn text(&self) -> String {
        match self {
            Integrand::Builtin(f) => f.name().to_owned(),
            Integrand::Expr(f) => f.source().to_owned(),
            Integrand::Rust(f) => f.name().to_owned(),
        }
    }
}

/// What a Rust function is taken to cost per point ([`Integrand::work`]): what a few transcendental
/// functions cost an expression.
const WORK_RUST_FUNCTION: f64 = 5.0;

impl From<Function> for Integrand {
    fn from(f: Function) -> Self {
        Integrand::Builtin(f)
    }
}

impl From<Expr> for Integrand {
    fn from(f: Expr) -> Self {
        Integrand::Expr(f)
    }
}

impl From<RustFunction> for Integrand {
    fn from(f: RustFunction) -> Self {
        Integrand::Rust(f)
    }
}

/// The function a [`RustFunction`] holds.
type PointFn = dyn Fn(&[f64]) -> f64 + Send + Sync;

/// The function a [`RustFunction::batch`] holds: the values at `n` points (`dims` coordinates each, one
/// point after another) into `n` values.
type BatchFn = dyn Fn(&[f64], &mut [f64]) + Send + Sync;

/// How a [`RustFunction`] is called.
#[derive(Clone)]
enum Call {
    /// Once per point.
    Point(Arc<PointFn>),
    /// Once per block of points.
    Batch(Arc<BatchFn>),
}

/// A function written in Rust, of a point's `dims` coordinates: `f(&[x1, …, xd])`.
///
/// It runs on the CPU backends (never the GPU), evaluated from many threads in any order, so it must be
/// pure: given the same points, the same values, and then every CPU backend and thread count gives the same
/// bits, as for an expression. Cheap to clone (the function is shared).
///
/// ```
/// use hetero::{Backend, Engine, integrate::{Problem, Request, RustFunction, integrate}};
///
/// let f = RustFunction::new(2, |x: &[f64]| (x[0] * x[1]).exp())?.named("exp(xy)");
/// let problem = Problem::new(f.into(), &[(0.0, 1.0), (0.0, 1.0)])?;
/// let answer = integrate(&Engine::with_threads(2)?, &Request::new(problem).method("mc").on(Backend::Rayon))?;
/// assert!((answer.value - 1.3179021514544038).abs() < 5.0 * answer.error);
/// # Ok::<(), hetero::Error>(())
/// ```
///
/// A function that is cheaper called once for many points (one that crosses into another language, or
/// runs its own vector loop) is made by [`RustFunction::batch`].
#[derive(Clone)]
pub struct RustFunction {
    f: Call,
    dims: usize,
    name: String,
}

impl RustFunction {
    /// `f` of `dims ≥ 1` variables, named `f` in reports until [`named`](Self::named).
    pub fn new(dims: usize, f: impl Fn(&[f64]) -> f64 + Send + Sync + 'static) -> Result<Self> {
        if dims == 0 {
            return Err(Error::invalid("dimensions", "a function takes at least one variable"));
        }
        Ok(RustFunction {
            f: Call::Point(Arc::new(f)),
            dims,
            name: "f".to_owned(),
        })
    }

    /// `f` of `dims ≥ 1` variables called once per block of points: `f(points, values)` writes the value
    /// at point `i` (coordinates `points[i·dims .. (i + 1)·dims]`) to `values[i]`. Every method hands it
    /// one block of its problem at a time (the blocks the problem fixes, never a scheduling chunk), and
    /// adds the values exactly as it adds a pointwise function's, so that the same values give the same
    /// bits on every CPU backend and thread count, and the bits of [`RustFunction::new`] of the same
    /// function. Values are asked for one point at a time only where a method needs a single point.
    ///
    /// ```
    /// use hetero::{Backend, Engine, integrate::{Problem, Request, RustFunction, integrate}};
    ///
    /// let each = RustFunction::new(1, |x: &[f64]| x[0].exp())?;
    /// let batch = RustFunction::batch(1, |x: &[f64], y: &mut [f64]| {
    ///     for (y, x) in y.iter_mut().zip(x) {
    ///         *y = x.exp();
    ///     }
    /// })?;
    /// let engine = Engine::with_threads(2)?;
    /// let answer = |f: RustFunction| {
    ///     let problem = Problem::new(f.into(), &[(0.0, 1.0)])?;
    ///     integrate(&engine, &Request::new(problem).rtol(1e-12).on(Backend::Rayon))
    /// };
    /// assert_eq!(answer(each)?.value.to_bits(), answer(batch)?.value.to_bits());
    /// # Ok::<(), hetero::Error>(())
    /// ```
    pub fn batch(dims: usize, f: impl Fn(&[f64], &mut [f64]) + Send + Sync + 'static) -> Result<Self> {
        if dims == 0 {
            return Err(Error::invalid("dimensions", "a function takes at least one variable"));
        }
        Ok(RustFunction {
            f: Call::Batch(Arc::new(f)),
            dims,
            name: "f".to_owned(),
        })
    }

    /// Whether it is called once per block ([`RustFunction::batch`]).
    pub fn is_batch(&self) -> bool {
        matches!(self.f, Call::Batch(_))
    }

    /// Its values at `points` (`dims` coordinates each, one point after another) into `values`, one
    /// per point: one call of a [`batch`](Self::batch) function, or one call per point.
    pub fn eval_many(&self, points: &[f64], values: &mut [f64]) {
        match &self.f {
            Call::Batch(f) => f(points, values),
            Call::Point(f) => {
                for (y, x) in values.iter_mut().zip(points.chunks_exact(self.dims)) {
                    *y = f(x);
                }
            }
        }
    }

    /// The same function, named `name` in reports.
    pub fn named(self, name: &str) -> Self {
        RustFunction {
            name: name.to_owned(),
            ..self
        }
    }

    /// How many variables it takes.
    pub fn dims(&self) -> usize {
        self.dims
    }

    /// Its name in reports.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Its value at `point` (`dims` coordinates).
    #[inline]
    pub fn eval(&self, point: &[f64]) -> f64 {
        match &self.f {
            Call::Point(f) => f(point),
            Call::Batch(f) => {
                let mut y = [f64::NAN];
                f(point, &mut y);
                y[0]
            }
        }
    }
}

impl fmt::Debug for RustFunction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RustFunction")
            .field("dims", &self.dims)
            .field("name", &self.name)
            .finish_non_exhaustive()
    }
}

/// The built-in integrands.
#[derive(Clone, Copy, PartialEq)]
#[non_exhaustive]
pub enum Function {
    /// `eˣ`.
    Exp,
    /// `sin x`.
    Sin,
    /// `cos x`.
    Cos,
    /// `exp(−(x − x0)² / (2σ²))`: made by [`Function::gauss`], which checks its parameters.
    Gauss(Gauss),
    /// `4 / (1 + x²)`, whose integral over `[0, 1]` is π.
    Pi,
    /// `xᵏ`: made by [`Function::poly`], which checks the power.
    Poly(Poly),
}

/// The parameters of [`Function::Gauss`], valid by construction ([`Function::gauss`] makes them):
///
/// ```
/// use hetero::kernels::Function;
///
/// let Function::Gauss(g) = Function::gauss(0.5, 0.25)? else { unreachable!() };
/// assert_eq!((g.x0(), g.sigma()), (0.5, 0.25));
/// // Reports and stamps name it so.
/// assert_eq!(format!("{:?}", Function::gauss(0.5, 0.25)?), "Gauss { x0: 0.5, sigma: 0.25 }");
/// assert_eq!(format!("{:?}", Function::poly(3)?), "Poly { power: 3 }");
/// assert!(Function::gauss(0.0, -1.0).is_err());
/// # Ok::<(), hetero::Error>(())
/// ```
///
/// and never made otherwise:
///
/// ```compile_fail
/// let bad = hetero::kernels::Gauss { x0: 0.0, sigma: -1.0 };
/// ```
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Gauss {
    x0: f64,
    sigma: f64,
}

impl Gauss {
    /// The centre.
    pub fn x0(&self) -> f64 {
        self.x0
    }

    /// The width, a finite number of at least `1e-154`.
    pub fn sigma(&self) -> f64 {
        self.sigma
    }
}

/// The power of [`Function::Poly`], valid by construction ([`Function::poly`] makes it).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Poly {
    power: u32,
}

impl Poly {
    /// The power `k`, below `2^31 − 1`.
    pub fn power(&self) -> u32 {
        self.power
    }
}

/// As the variants read when they had named fields (`Gauss { x0: 0.3, sigma: 0.2 }`, `Poly { power: 3 }`),
/// which reports built from it keep.
impl fmt::Debug for Function {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Function::Exp => f.write_str("Exp"),
            Function::Sin => f.write_str("Sin"),
            Function::Cos => f.write_str("Cos"),
            Function::Gauss(g) => fmt::Debug::fmt(g, f),
            Function::Pi => f.write_str("Pi"),
            Function::Poly(p) => fmt::Debug::fmt(p, f),
        }
    }
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
        Ok(Function::Gauss(Gauss { x0, sigma }))
    }

    /// `xᵏ` for `k < 2^31 − 1`.
    pub fn poly(power: u32) -> Result<Self> {
        if power >= i32::MAX as u32 {
            return Err(Error::invalid("power", format!("{power} is too large")));
        }
        Ok(Function::Poly(Poly { power }))
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

    /// `f` in every lane. Simpson's scalar `eval`, `eval_lanes` ([`crate::kernels::Integrand`]) and the CPU kernel's
    /// vector loop all go through it, so they agree bit for bit. `exp` (and so `gauss`), `sin` and `cos` are
    /// hetero's own ([`crate::math`]); `xᵏ` is the standard library's `powi`, one lane at a time.
    #[inline(always)]
    pub(crate) fn eval_in<V: Lanes>(&self, x: V) -> V {
        let c = |k| x.token().splat(k);
        match *self {
            Function::Exp => math::exp_lanes(x),
            Function::Sin => math::sin_lanes(x),
            Function::Cos => math::cos_lanes(x),
            Function::Gauss(g) => math::exp_lanes(GaussArgument::new(g.x0, g.sigma).of(x)),
            Function::Pi => c(4.0).div(c(1.0).add(x.mul(x))),
            Function::Poly(p) => x.map(|x| x.powi(p.power as i32)),
        }
    }

    /// The number the GPU shader knows the function by.
    pub(crate) fn shader_id(&self) -> u32 {
        match self {
            Function::Exp => 0,
            Function::Sin => 1,
            Function::Cos => 2,
            Function::Gauss(_) => 3,
            Function::Pi => 4,
            Function::Poly(_) => 5,
        }
    }

    /// Upper bounds of `|f|` and `|f'|` over `[lo, hi]`, for the GPU error bound.
    pub fn magnitude_bounds(&self, lo: f64, hi: f64) -> (f64, f64) {
        let reach = lo.abs().max(hi.abs());
        match *self {
            Function::Exp => (hi.exp(), hi.exp()),
            Function::Sin | Function::Cos => (1.0, 1.0),
            Function::Gauss(g) => (1.0, (-0.5f64).exp() / g.sigma),
            // max |8x / (1 + x²)²| is at x = 1/√3.
            Function::Pi => (4.0, 1.5 * 3f64.sqrt()),
            Function::Poly(Poly { power: 0 }) => (1.0, 0.0),
            Function::Poly(Poly { power }) => (
                reach.powi(power as i32),
                f64::from(power) * reach.powi(power as i32 - 1),
            ),
        }
    }

    /// What one point costs, in the nanoseconds of the expressions' table ([`Integrand::work`]).
    pub(crate) fn work(&self) -> f64 {
        match self {
            Function::Exp => MathFunction::Exp.work(),
            Function::Sin | Function::Cos => MathFunction::Sin.work(),
            Function::Gauss(_) => 0.6,
            Function::Pi => 0.35,
            Function::Poly(_) => 0.3,
        }
    }

    /// The name of the function.
    pub fn name(&self) -> &'static str {
        match self {
            Function::Exp => "exp",
            Function::Sin => "sin",
            Function::Cos => "cos",
            Function::Gauss(_) => "gauss",
            Function::Pi => "pi",
            Function::Poly(_) => "poly",
        }
    }
}

/// The argument of `exp` in `gauss`, `−½·((x − x0)/σ)²`: never positive, and, each operation being
/// monotone, at its lowest over an interval of `x` at one of the interval's ends.
///
/// Where `σ` is a power of two whose reciprocal is a normal number (the default `σ = 1` among them), the
/// division is a multiplication by that reciprocal: the same real number, so the same rounding, and a
/// multiplication costs a fraction of a division. Which one is decided once, when the argument is made.
#[derive(Clone, Copy)]
pub(crate) struct GaussArgument {
    /// The centre `x0`.
    pub(crate) x0: f64,
    sigma: f64,
    /// `1/σ` where it is exact and normal ([`exact_reciprocal`]).
    reciprocal: Option<f64>,
}

impl GaussArgument {
    /// The argument for centre `x0` and width `sigma`.
    pub(crate) fn new(x0: f64, sigma: f64) -> Self {
        GaussArgument {
            x0,
            sigma,
            reciprocal: exact_reciprocal(sigma),
        }
    }

    /// `−½·((x − x0)/σ)²` in every lane.
    #[inline(always)]
    pub(crate) fn of<V: Lanes>(self, x: V) -> V {
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
