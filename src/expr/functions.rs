//! The functions an expression may call, and how each is computed: the same bits on every processor and
//! every vector width.

use crate::math;
use crate::simd::Lanes;

/// A function an expression may call.
///
/// Every one is hetero's own ([`crate::math`]), vectorized over lanes and within one unit in the last
/// place, or an exact IEEE operation (`sqrt`, `abs`, `min`, `max`, `floor`, `ceil`): the same bits on
/// every processor and vector width.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum MathFunction {
    /// `eˣ`.
    Exp,
    /// `ln x`.
    Log,
    /// `log₂ x`.
    Log2,
    /// `log₁₀ x`.
    Log10,
    /// `ln(1 + x)`.
    Log1p,
    /// `eˣ − 1`.
    Expm1,
    /// `√x`.
    Sqrt,
    /// `∛x`.
    Cbrt,
    /// `sin x`.
    Sin,
    /// `cos x`.
    Cos,
    /// `tan x`.
    Tan,
    /// `asin x`.
    Asin,
    /// `acos x`.
    Acos,
    /// `atan x`.
    Atan,
    /// `atan2(y, x)`, the angle of the point `(x, y)`.
    Atan2,
    /// `sinh x`.
    Sinh,
    /// `cosh x`.
    Cosh,
    /// `tanh x`.
    Tanh,
    /// The error function.
    Erf,
    /// `1 − erf x`.
    Erfc,
    /// `|x|`.
    Abs,
    /// The smaller of two.
    Min,
    /// The larger of two.
    Max,
    /// `xʸ` (integer constant exponents are repeated products: see [`crate::expr`]).
    Pow,
    /// `√(x² + y²)`, without overflow on the way.
    Hypot,
    /// The largest integer `≤ x`.
    Floor,
    /// The smallest integer `≥ x`.
    Ceil,
}

/// Every function, in the order the messages list them.
const ALL: [MathFunction; 27] = [
    MathFunction::Exp,
    MathFunction::Log,
    MathFunction::Log2,
    MathFunction::Log10,
    MathFunction::Log1p,
    MathFunction::Expm1,
    MathFunction::Sqrt,
    MathFunction::Cbrt,
    MathFunction::Sin,
    MathFunction::Cos,
    MathFunction::Tan,
    MathFunction::Asin,
    MathFunction::Acos,
    MathFunction::Atan,
    MathFunction::Atan2,
    MathFunction::Sinh,
    MathFunction::Cosh,
    MathFunction::Tanh,
    MathFunction::Erf,
    MathFunction::Erfc,
    MathFunction::Abs,
    MathFunction::Min,
    MathFunction::Max,
    MathFunction::Pow,
    MathFunction::Hypot,
    MathFunction::Floor,
    MathFunction::Ceil,
];

impl MathFunction {
    /// The function called `name` in expressions.
    pub fn from_name(name: &str) -> Option<MathFunction> {
        ALL.into_iter().find(|f| f.name() == name)
    }

    /// The names of all functions, comma-separated.
    pub fn names() -> String {
        ALL.map(MathFunction::name).join(", ")
    }

    /// Its name in expressions.
    pub fn name(self) -> &'static str {
        match self {
            MathFunction::Exp => "exp",
            MathFunction::Log => "log",
            MathFunction::Log2 => "log2",
            MathFunction::Log10 => "log10",
            MathFunction::Log1p => "log1p",
            MathFunction::Expm1 => "expm1",
            MathFunction::Sqrt => "sqrt",
            MathFunction::Cbrt => "cbrt",
            MathFunction::Sin => "sin",
            MathFunction::Cos => "cos",
            MathFunction::Tan => "tan",
            MathFunction::Asin => "asin",
            MathFunction::Acos => "acos",
            MathFunction::Atan => "atan",
            MathFunction::Atan2 => "atan2",
            MathFunction::Sinh => "sinh",
            MathFunction::Cosh => "cosh",
            MathFunction::Tanh => "tanh",
            MathFunction::Erf => "erf",
            MathFunction::Erfc => "erfc",
            MathFunction::Abs => "abs",
            MathFunction::Min => "min",
            MathFunction::Max => "max",
            MathFunction::Pow => "pow",
            MathFunction::Hypot => "hypot",
            MathFunction::Floor => "floor",
            MathFunction::Ceil => "ceil",
        }
    }

    /// Nanoseconds per point it costs in an expression, measured as the program's operations are
    /// (see `Kind::work` in the program).
    pub(crate) fn work(self) -> f64 {
        match self {
            MathFunction::Abs => 0.06,
            MathFunction::Sqrt => 0.11,
            MathFunction::Min | MathFunction::Max => 0.16,
            MathFunction::Exp => 0.45,
            MathFunction::Hypot => 0.61,
            MathFunction::Sin | MathFunction::Cos => 0.8,
            MathFunction::Log => 0.93,
            MathFunction::Atan | MathFunction::Log2 | MathFunction::Log10 => 0.96,
            MathFunction::Asin | MathFunction::Acos => 1.1,
            MathFunction::Log1p => 1.1,
            MathFunction::Ceil | MathFunction::Floor => 1.5,
            MathFunction::Cbrt | MathFunction::Sinh | MathFunction::Cosh => 1.56,
            MathFunction::Expm1 | MathFunction::Tanh => 1.76,
            MathFunction::Atan2 => 1.83,
            MathFunction::Tan => 2.0,
            MathFunction::Erf => 3.1,
            MathFunction::Erfc => 5.0,
            MathFunction::Pow => 6.6,
        }
    }

    /// How many arguments it takes.
    pub fn arity(self) -> usize {
        match self {
            MathFunction::Atan2 | MathFunction::Min | MathFunction::Max | MathFunction::Pow | MathFunction::Hypot => 2,
            _ => 1,
        }
    }

    /// Whether the GPU computes it from the others ([`crate::shaders::MATH_COMPOSED`]): `log2`, `log10`,
    /// `log1p`, `expm1`, `cbrt`, `sinh`, `cosh`, `tanh`, `erf`, `erfc`, `hypot`, `pow`.
    pub(crate) fn is_composed(self) -> bool {
        matches!(
            self,
            MathFunction::Log2
                | MathFunction::Log10
                | MathFunction::Log1p
                | MathFunction::Expm1
                | MathFunction::Cbrt
                | MathFunction::Sinh
                | MathFunction::Cosh
                | MathFunction::Tanh
                | MathFunction::Erf
                | MathFunction::Erfc
                | MathFunction::Hypot
                | MathFunction::Pow
        )
    }

    /// The function of one argument, in every lane.
    #[inline(always)]
    pub(crate) fn unary<V: Lanes>(self, x: V) -> V {
        match self {
            MathFunction::Exp => math::exp_lanes(x),
            MathFunction::Sin => math::sin_lanes(x),
            MathFunction::Cos => math::cos_lanes(x),
            MathFunction::Sqrt => x.sqrt(),
            MathFunction::Abs => x.abs(),
            MathFunction::Log => math::log_lanes(x),
            MathFunction::Log2 => math::log2_lanes(x),
            MathFunction::Log10 => math::log10_lanes(x),
            MathFunction::Log1p => math::log1p_lanes(x),
            MathFunction::Expm1 => math::expm1_lanes(x),
            MathFunction::Cbrt => math::cbrt_lanes(x),
            MathFunction::Tan => math::tan_lanes(x),
            MathFunction::Asin => math::asin_lanes(x),
            MathFunction::Acos => math::acos_lanes(x),
            MathFunction::Atan => math::atan_lanes(x),
            MathFunction::Sinh => math::sinh_lanes(x),
            MathFunction::Cosh => math::cosh_lanes(x),
            MathFunction::Tanh => math::tanh_lanes(x),
            MathFunction::Erf => math::erf_lanes(x),
            MathFunction::Erfc => math::erfc_lanes(x),
            MathFunction::Floor => x.map(libm::floor),
            MathFunction::Ceil => x.map(libm::ceil),
            // Two-argument functions never reach here (the parser checks the count); NaN, not a panic,
            // if one did.
            MathFunction::Atan2 | MathFunction::Min | MathFunction::Max | MathFunction::Pow | MathFunction::Hypot => {
                x.token().splat(f64::NAN)
            }
        }
    }

    /// The function of two arguments, in every lane: a NaN in either argument gives NaN (also for `min`
    /// and `max`), so that it is reported rather than hidden.
    #[inline(always)]
    pub(crate) fn binary<V: Lanes>(self, a: V, b: V) -> V {
        let value = match self {
            MathFunction::Min => a.min(b),
            MathFunction::Max => a.max(b),
            MathFunction::Atan2 => math::atan2_lanes(a, b),
            MathFunction::Pow => math::pow_lanes(a, b),
            MathFunction::Hypot => math::hypot_lanes(a, b),
            _ => a.token().splat(f64::NAN),
        };
        propagate_nan(value, a, b)
    }
}

/// `value`, with NaN in the lanes where `a` or `b` is NaN.
#[inline(always)]
pub(crate) fn propagate_nan<V: Lanes>(value: V, a: V, b: V) -> V {
    let value = V::select(a.is_nan(), a, value);
    V::select(b.is_nan(), b, value)
}
