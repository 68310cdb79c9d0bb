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
pub enum Function {
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
const ALL: [Function; 27] = [
    Function::Exp,
    Function::Log,
    Function::Log2,
    Function::Log10,
    Function::Log1p,
    Function::Expm1,
    Function::Sqrt,
    Function::Cbrt,
    Function::Sin,
    Function::Cos,
    Function::Tan,
    Function::Asin,
    Function::Acos,
    Function::Atan,
    Function::Atan2,
    Function::Sinh,
    Function::Cosh,
    Function::Tanh,
    Function::Erf,
    Function::Erfc,
    Function::Abs,
    Function::Min,
    Function::Max,
    Function::Pow,
    Function::Hypot,
    Function::Floor,
    Function::Ceil,
];

impl Function {
    /// The function called `name` in expressions.
    pub fn from_name(name: &str) -> Option<Function> {
        ALL.into_iter().find(|f| f.name() == name)
    }

    /// The names of all functions, comma-separated.
    pub fn names() -> String {
        ALL.map(Function::name).join(", ")
    }

    /// Its name in expressions.
    pub fn name(self) -> &'static str {
        match self {
            Function::Exp => "exp",
            Function::Log => "log",
            Function::Log2 => "log2",
            Function::Log10 => "log10",
            Function::Log1p => "log1p",
            Function::Expm1 => "expm1",
            Function::Sqrt => "sqrt",
            Function::Cbrt => "cbrt",
            Function::Sin => "sin",
            Function::Cos => "cos",
            Function::Tan => "tan",
            Function::Asin => "asin",
            Function::Acos => "acos",
            Function::Atan => "atan",
            Function::Atan2 => "atan2",
            Function::Sinh => "sinh",
            Function::Cosh => "cosh",
            Function::Tanh => "tanh",
            Function::Erf => "erf",
            Function::Erfc => "erfc",
            Function::Abs => "abs",
            Function::Min => "min",
            Function::Max => "max",
            Function::Pow => "pow",
            Function::Hypot => "hypot",
            Function::Floor => "floor",
            Function::Ceil => "ceil",
        }
    }

    /// Nanoseconds per point it costs in an expression, measured as the program's operations are
    /// (see `Kind::work` in the program).
    pub(crate) fn work(self) -> f64 {
        match self {
            Function::Abs => 0.06,
            Function::Sqrt => 0.11,
            Function::Min | Function::Max => 0.16,
            Function::Exp => 0.45,
            Function::Hypot => 0.61,
            Function::Sin | Function::Cos => 0.8,
            Function::Log => 0.93,
            Function::Atan | Function::Log2 | Function::Log10 => 0.96,
            Function::Asin | Function::Acos => 1.1,
            Function::Log1p => 1.1,
            Function::Ceil | Function::Floor => 1.5,
            Function::Cbrt | Function::Sinh | Function::Cosh => 1.56,
            Function::Expm1 | Function::Tanh => 1.76,
            Function::Atan2 => 1.83,
            Function::Tan => 2.0,
            Function::Erf => 3.1,
            Function::Erfc => 5.0,
            Function::Pow => 6.6,
        }
    }

    /// How many arguments it takes.
    pub fn arity(self) -> usize {
        match self {
            Function::Atan2 | Function::Min | Function::Max | Function::Pow | Function::Hypot => 2,
            _ => 1,
        }
    }

    /// Whether the GPU computes it from the others ([`crate::shaders::MATH_COMPOSED`]): `log2`, `log10`,
    /// `log1p`, `expm1`, `cbrt`, `sinh`, `cosh`, `tanh`, `erf`, `erfc`, `hypot`, `pow`.
    pub(crate) fn is_composed(self) -> bool {
        matches!(
            self,
            Function::Log2
                | Function::Log10
                | Function::Log1p
                | Function::Expm1
                | Function::Cbrt
                | Function::Sinh
                | Function::Cosh
                | Function::Tanh
                | Function::Erf
                | Function::Erfc
                | Function::Hypot
                | Function::Pow
        )
    }

    /// The function of one argument, in every lane.
    #[inline(always)]
    pub(crate) fn unary<V: Lanes>(self, x: V) -> V {
        match self {
            Function::Exp => math::exp_lanes(x),
            Function::Sin => math::sin_lanes(x),
            Function::Cos => math::cos_lanes(x),
            Function::Sqrt => x.sqrt(),
            Function::Abs => x.abs(),
            Function::Log => math::log_lanes(x),
            Function::Log2 => math::log2_lanes(x),
            Function::Log10 => math::log10_lanes(x),
            Function::Log1p => math::log1p_lanes(x),
            Function::Expm1 => math::expm1_lanes(x),
            Function::Cbrt => math::cbrt_lanes(x),
            Function::Tan => math::tan_lanes(x),
            Function::Asin => math::asin_lanes(x),
            Function::Acos => math::acos_lanes(x),
            Function::Atan => math::atan_lanes(x),
            Function::Sinh => math::sinh_lanes(x),
            Function::Cosh => math::cosh_lanes(x),
            Function::Tanh => math::tanh_lanes(x),
            Function::Erf => math::erf_lanes(x),
            Function::Erfc => math::erfc_lanes(x),
            Function::Floor => x.map(libm::floor),
            Function::Ceil => x.map(libm::ceil),
            // Two-argument functions never reach here (the parser checks the count); NaN, not a panic,
            // if one did.
            Function::Atan2 | Function::Min | Function::Max | Function::Pow | Function::Hypot => {
                x.token().splat(f64::NAN)
            }
        }
    }

    /// The function of two arguments, in every lane: a NaN in either argument gives NaN (also for `min`
    /// and `max`), so that it is reported rather than hidden.
    #[inline(always)]
    pub(crate) fn binary<V: Lanes>(self, a: V, b: V) -> V {
        let value = match self {
            Function::Min => a.min(b),
            Function::Max => a.max(b),
            Function::Atan2 => math::atan2_lanes(a, b),
            Function::Pow => math::pow_lanes(a, b),
            Function::Hypot => math::hypot_lanes(a, b),
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
