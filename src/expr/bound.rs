//! What an expression's values can be over a box, and how far two evaluations of it (the CPU's and the
//! GPU's) can differ: outward-rounded interval arithmetic, with a running error bound carried through
//! every operation.
//!
//! Each operation's result is bounded by an [`Interval`] (rounded outward by two units in the last place,
//! which covers the one rounding of an IEEE operation and the ulp guarantees of the functions), and
//! carries `error`, a bound on the difference between any two evaluations whose inputs differ by at most
//! the inputs' errors and whose operations are each accurate to their [`Accuracy`]. Through an operation
//! `g`: the inputs' errors move `g` by at most its largest slope over the inputs' intervals widened by
//! their errors (a Lipschitz constant, from the interval of `g′` — forward differentiation, one operation
//! at a time), and each side's own rounding adds its ulps of the largest `|g|`, plus the smallest normal
//! number of its precision for results that may flush to zero. A jump (a comparison, `floor`, `ceil`,
//! `atan2` across the negative x axis) whose inputs' intervals allow both sides of the jump has no bound:
//! the result is then `None`, as it is wherever a value may not be finite.

use super::functions::MathFunction;
use super::tree::{Binary, Node};

/// A closed interval `[lo, hi]`; `lo = −∞` and `hi = +∞` where nothing better is known (also when a value
/// may be NaN).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Interval {
    /// Lower end.
    pub lo: f64,
    /// Upper end.
    pub hi: f64,
}

impl Interval {
    /// `[lo, hi]` rounded outward by two units in the last place.
    pub fn new(lo: f64, hi: f64) -> Interval {
        if lo.is_nan() || hi.is_nan() {
            return Interval::ALL;
        }
        Interval {
            lo: lo.min(hi).next_down().next_down(),
            hi: hi.max(lo).next_up().next_up(),
        }
    }

    /// Everything: nothing is known.
    pub const ALL: Interval = Interval {
        lo: f64::NEG_INFINITY,
        hi: f64::INFINITY,
    };

    /// Whether both ends are finite.
    pub fn is_finite(&self) -> bool {
        self.lo.is_finite() && self.hi.is_finite()
    }

    /// The largest `|x|` in it.
    pub fn magnitude(&self) -> f64 {
        self.lo.abs().max(self.hi.abs())
    }

    /// The smallest `|x|` in it (0 when it holds 0).
    pub fn mignitude(&self) -> f64 {
        if self.lo <= 0.0 && self.hi >= 0.0 {
            0.0
        } else {
            self.lo.abs().min(self.hi.abs())
        }
    }

    /// It widened by `e` on both sides.
    fn widened(&self, e: f64) -> Interval {
        Interval::new(self.lo - e, self.hi + e)
    }

    fn contains(&self, x: f64) -> bool {
        self.lo <= x && x <= self.hi
    }

    /// `f` of the ends, for `f` increasing over the interval.
    fn increasing(&self, f: impl Fn(f64) -> f64) -> Interval {
        Interval::new(f(self.lo), f(self.hi))
    }

    /// `f` of the ends, for `f` decreasing over the interval.
    fn decreasing(&self, f: impl Fn(f64) -> f64) -> Interval {
        Interval::new(f(self.hi), f(self.lo))
    }
}

/// The accuracy of one side's operations, in units in the last place of its precision.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Accuracy {
    /// Unit roundoff of the precision (`2^-53` for `f64`, `2^-24` for `f32`).
    pub unit: f64,
    /// The smallest normal number of the precision: results below it may be flushed to zero.
    pub tiny: f64,
    /// Ulps of `+ − ×`.
    pub arithmetic: f64,
    /// Ulps of `/` and `sqrt`.
    pub division: f64,
    /// Ulps of `exp`, `log`, `sin`, `cos`, `tan`, `asin`, `acos`, `atan` and `atan2`.
    pub function: f64,
    /// Ulps of `log2`, `log10`, `log1p`, `expm1`, `cbrt`, `sinh`, `cosh`, `tanh`, `erf`, `erfc`, `hypot`,
    /// and of `pow` where `y ln x` is small.
    pub composed: f64,
    /// How many ulps `xʸ` adds per unit of `|y ln x|`: a side that computes it as `e^(y ln x)` in its own
    /// precision carries the rounding of `y ln x` into the exponent.
    pub pow_growth: f64,
    /// The largest `|x|` for which `sin x`, `cos x` and `tan x` keep that accuracy.
    pub trig_reach: f64,
    /// The largest finite number of the precision: a value that may pass it has no bound.
    pub largest: f64,
}

impl Accuracy {
    /// The CPU: IEEE `f64` arithmetic (half an ulp), hetero's own functions within one ulp (`pow`
    /// carries `y ln x` in double-double, so its error does not grow with it).
    pub const CPU: Accuracy = Accuracy {
        unit: f64::EPSILON / 2.0,
        tiny: f64::MIN_POSITIVE,
        arithmetic: 0.5,
        division: 0.5,
        function: 1.0,
        composed: 1.0,
        pow_growth: 0.0,
        trig_reach: f64::INFINITY,
        largest: f64::MAX,
    };

    /// Exact arithmetic and functions: bounded against it, an evaluation's error is how far it may lie
    /// from the real function's value.
    pub const EXACT: Accuracy = Accuracy {
        unit: 0.0,
        tiny: 0.0,
        arithmetic: 0.0,
        division: 0.0,
        function: 0.0,
        composed: 0.0,
        pow_growth: 0.0,
        trig_reach: f64::INFINITY,
        largest: f64::MAX,
    };

    /// A GPU in `f64`: arithmetic within one ulp (a driver may fuse a multiply and an add), division and
    /// `sqrt` within three, hetero's own WGSL functions within four, those composed of them
    /// (`shaders/math_composed.wgsl`, each one's sum of its parts written next to it) within sixteen, and
    /// `xʸ = e^(y ln x)` within sixteen plus five per unit of `|y ln x|`.
    pub const GPU_F64: Accuracy = Accuracy {
        unit: f64::EPSILON / 2.0,
        tiny: f64::MIN_POSITIVE,
        arithmetic: 1.0,
        division: 3.0,
        function: 4.0,
        composed: 16.0,
        pow_growth: 5.0,
        trig_reach: 1.6e6,
        largest: f64::MAX,
    };

    /// A GPU in `f32`: as [`GPU_F64`](Self::GPU_F64), in `f32` units (WGSL allows 2.5 ulps for `f32`
    /// division).
    pub const GPU_F32: Accuracy = Accuracy {
        unit: f32::EPSILON as f64 / 2.0,
        tiny: f32::MIN_POSITIVE as f64,
        arithmetic: 1.0,
        division: 3.0,
        function: 4.0,
        composed: 16.0,
        pow_growth: 5.0,
        trig_reach: 8192.0,
        largest: f32::MAX as f64,
    };

    /// A GPU computing in `precision` ([`GPU_F64`](Self::GPU_F64), else [`GPU_F32`](Self::GPU_F32)).
    pub fn gpu(precision: crate::program::Precision) -> Accuracy {
        match precision {
            crate::program::Precision::F64 => Accuracy::GPU_F64,
            crate::program::Precision::F32 | crate::program::Precision::Exact => Accuracy::GPU_F32,
        }
    }

    /// The most this side's rounding of a result bounded by `z` can add, for an operation of `ulps`.
    fn rounding(&self, ulps: f64, z: &Interval) -> f64 {
        ulps * 2.0 * self.unit * z.magnitude() + self.tiny
    }

    /// Ulps of `f` of one argument.
    fn unary_ulps(&self, f: MathFunction) -> f64 {
        match f {
            MathFunction::Sqrt => self.division,
            MathFunction::Abs | MathFunction::Floor | MathFunction::Ceil => 0.0,
            f if f.is_composed() => self.composed,
            _ => self.function,
        }
    }
}

/// A value's interval and the bound on the difference of its two evaluations.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Bounded {
    /// Where the value lies.
    pub value: Interval,
    /// How far the two evaluations may differ.
    pub error: f64,
}

/// Bounds `node` over `inputs` (an interval and an error per variable) for evaluations with accuracies
/// `a` and `b`; `None` where a value may not be finite or a jump may differ between them.
pub(crate) fn bound(node: &Node, inputs: &[Bounded], a: &Accuracy, b: &Accuracy) -> Option<Bounded> {
    let rounding =
        |ulps_of: &dyn Fn(&Accuracy) -> f64, z: &Interval| a.rounding(ulps_of(a), z) + b.rounding(ulps_of(b), z);
    let result = match node {
        // Each side holds the constant in its precision: rounded, or, below a side's smallest normal
        // number, perhaps flushed to zero.
        Node::Number(x) => Bounded {
            value: Interval::new(*x, *x),
            error: (a.unit + b.unit) * x.abs() + if x.abs() < a.tiny.max(b.tiny) { x.abs() } else { 0.0 },
        },
        Node::Variable(k) => *inputs.get(*k)?,
        Node::Negate(x) => {
            let x = bound(x, inputs, a, b)?;
            Bounded {
                value: Interval::new(-x.value.hi, -x.value.lo),
                error: x.error,
            }
        }
        Node::Binary(op, x, y) => {
            let (x, y) = (bound(x, inputs, a, b)?, bound(y, inputs, a, b)?);
            binary(*op, x, y, &rounding)?
        }
        Node::PowerInt(x, k) => {
            let x = bound(x, inputs, a, b)?;
            let wide = x.value.widened(x.error);
            let n = k.unsigned_abs();
            let value = power_interval(x.value, *k);
            let slope = match k {
                0 => 0.0,
                k if *k > 0 => f64::from(n) * wide.magnitude().powi(k - 1),
                _ => f64::from(n) / wide.mignitude().powi(n as i32 + 1),
            };
            // The about 2·log2|k| products each round once on each side (relative to at most the largest
            // |x|^j on the way, |x^|k|| bounds them all where |x| ≥ 1, and |x| where it is below), and
            // the division for k < 0 once more.
            let steps = 2.0 * f64::from(32 - n.leading_zeros());
            let on_the_way = Interval::new(
                0.0,
                power_interval(x.value, n as i32).magnitude().max(x.value.magnitude()),
            );
            let division = if *k < 0 { rounding(&|s| s.division, &value) } else { 0.0 };
            Bounded {
                value,
                error: slope * x.error + steps * rounding(&|s| s.arithmetic, &on_the_way) + division,
            }
        }
        Node::Call(f, arguments) => match &arguments[..] {
            [x] => {
                let x = bound(x, inputs, a, b)?;
                let wide = x.value.widened(x.error);
                let (value, slope) = unary(*f, wide, a.trig_reach.min(b.trig_reach))?;
                Bounded {
                    value,
                    error: slope * x.error + rounding(&|s| s.unary_ulps(*f), &value),
                }
            }
            [x, y] => {
                let (x, y) = (bound(x, inputs, a, b)?, bound(y, inputs, a, b)?);
                binary_call(*f, x, y, &rounding)?
            }
            _ => return None,
        },
    };
    let largest = a.largest.min(b.largest);
    (result.value.magnitude() <= largest && result.error <= largest).then_some(result)
}

/// [`bound`] over the box `inputs` cut into pieces (up to 4,096, as many along each side), joined: the
/// same guarantee, and much closer to what the worst points reach where `f` combines parts whose worst
/// points lie apart (`exp(x) / (1 + x²)` over `[−3, 2]`: 300 times closer).
pub(crate) fn bound_pieces(node: &Node, inputs: &[Bounded], a: &Accuracy, b: &Accuracy) -> Option<Bounded> {
    let mut joined: Option<Bounded> = None;
    for piece in pieces(inputs) {
        let part = bound(node, &piece, a, b)?;
        joined = Some(match joined {
            None => part,
            Some(j) => Bounded {
                value: Interval {
                    lo: j.value.lo.min(part.value.lo),
                    hi: j.value.hi.max(part.value.hi),
                },
                error: j.error.max(part.error),
            },
        });
    }
    joined
}

/// The pieces [`bound_pieces`] cuts the box `inputs` into.
fn pieces(inputs: &[Bounded]) -> impl Iterator<Item = Vec<Bounded>> + '_ {
    let dims = inputs.len();
    let mut per_side = 1usize;
    while dims > 0 && (per_side + 1).checked_pow(dims as u32).is_some_and(|p| p <= 4096) && per_side < 256 {
        per_side += 1;
    }
    (0..per_side.pow(dims as u32)).map(move |index| {
        let mut rest = index;
        inputs
            .iter()
            .map(|input| {
                let j = rest % per_side;
                rest /= per_side;
                let width = (input.value.hi - input.value.lo) / per_side as f64;
                let lo = input.value.lo + width * j as f64;
                let hi = if j + 1 == per_side { input.value.hi } else { lo + width };
                Bounded {
                    value: Interval::new(lo, hi),
                    error: input.error,
                }
            })
            .collect()
    })
}

/// Why [`bound_pieces`] finds no bound: the first operation, innermost first, whose bound fails over
/// the first piece of the box where one does, said in words (`sqrt`'s slope unbounded at 0, a division
/// by a range holding 0, a comparison whose sides rounding may swap); `None` where there is a bound.
pub(crate) fn why_unbounded(node: &Node, inputs: &[Bounded], a: &Accuracy, b: &Accuracy) -> Option<String> {
    pieces(inputs).find_map(|piece| cause(node, &piece, a, b))
}

/// [`why_unbounded`] over one piece.
fn cause(node: &Node, inputs: &[Bounded], a: &Accuracy, b: &Accuracy) -> Option<String> {
    if bound(node, inputs, a, b).is_some() {
        return None;
    }
    let children: Vec<&Node> = match node {
        Node::Negate(x) | Node::PowerInt(x, _) => vec![x],
        Node::Binary(_, x, y) => vec![x, y],
        Node::Call(_, arguments) => arguments.iter().collect(),
        Node::Number(_) | Node::Variable(_) => Vec::new(),
    };
    if let Some(why) = children.iter().find_map(|child| cause(child, inputs, a, b)) {
        return Some(why);
    }
    let range = |k: usize| {
        children
            .get(k)
            .and_then(|child| bound(child, inputs, a, b))
            .map(|x| {
                let x = x.value.widened(x.error);
                format!("[{:.6e}, {:.6e}]", x.lo, x.hi)
            })
            .unwrap_or_default()
    };
    let largest = a.largest.min(b.largest);
    Some(match node {
        Node::Call(f, _) => match f {
            MathFunction::Sqrt | MathFunction::Cbrt | MathFunction::Asin | MathFunction::Acos => format!(
                "the slope of {} is unbounded where its argument reaches {} (it spans {}), so no bound on the \
                 difference of two evaluations exists",
                f.name(),
                if matches!(f, MathFunction::Asin | MathFunction::Acos) {
                    "±1"
                } else {
                    "0"
                },
                range(0)
            ),
            MathFunction::Log | MathFunction::Log2 | MathFunction::Log10 | MathFunction::Log1p => format!(
                "{} is not finite where its argument reaches {} (it spans {})",
                f.name(),
                if *f == MathFunction::Log1p { "-1" } else { "0" },
                range(0)
            ),
            MathFunction::Sin | MathFunction::Cos => format!(
                "the argument of {} (it spans {}) reaches past the GPU's argument reduction",
                f.name(),
                range(0)
            ),
            MathFunction::Tan => format!("tan has a pole where its argument spans {}", range(0)),
            MathFunction::Floor | MathFunction::Ceil => format!(
                "{} jumps inside its argument's range {}, where rounding could move a point across",
                f.name(),
                range(0)
            ),
            MathFunction::Atan2 => format!(
                "atan2 jumps by 2π across the negative x axis, which its arguments (y in {}, x in {}) may reach",
                range(0),
                range(1)
            ),
            _ => format!(
                "{} over arguments spanning {} may not be finite or may pass {largest:e}",
                f.name(),
                range(0)
            ),
        },
        Node::Binary(Binary::Div, _, _) => format!("a divisor's range {} holds 0", range(1)),
        Node::Binary(Binary::Less | Binary::LessEqual | Binary::Greater | Binary::GreaterEqual, _, _) => {
            format!(
                "a comparison of {} with {} could go either way within rounding (a jump)",
                range(0),
                range(1)
            )
        }
        Node::PowerInt(_, k) if *k < 0 => format!("a negative power ({k}) of a range holding 0, {}", range(0)),
        _ => format!("a value may pass the largest number of the precision ({largest:e})"),
    })
}

/// `xᵏ` over `x`.
fn power_interval(x: Interval, k: i32) -> Interval {
    let n = k.unsigned_abs() as i32;
    if k == 0 {
        return Interval::new(1.0, 1.0);
    }
    let (lo, hi) = if n % 2 == 1 {
        (x.lo.powi(n), x.hi.powi(n))
    } else {
        (x.mignitude().powi(n), x.magnitude().powi(n))
    };
    if k > 0 {
        return Interval::new(lo, hi);
    }
    if x.contains(0.0) {
        return Interval::ALL;
    }
    Interval::new(1.0 / hi, 1.0 / lo)
}

/// An operator on bounded operands.
fn binary(
    op: Binary,
    x: Bounded,
    y: Bounded,
    rounding: &impl Fn(&dyn Fn(&Accuracy) -> f64, &Interval) -> f64,
) -> Option<Bounded> {
    let (p, q) = (x.value, y.value);
    let arithmetic = |s: &Accuracy| s.arithmetic;
    Some(match op {
        Binary::Add | Binary::Sub => {
            let value = if op == Binary::Add {
                Interval::new(p.lo + q.lo, p.hi + q.hi)
            } else {
                Interval::new(p.lo - q.hi, p.hi - q.lo)
            };
            Bounded {
                value,
                error: x.error + y.error + rounding(&arithmetic, &value),
            }
        }
        Binary::Mul => {
            let products = [p.lo * q.lo, p.lo * q.hi, p.hi * q.lo, p.hi * q.hi];
            let value = Interval::new(
                products.iter().copied().fold(f64::INFINITY, f64::min),
                products.iter().copied().fold(f64::NEG_INFINITY, f64::max),
            );
            Bounded {
                value,
                error: q.magnitude() * x.error
                    + p.magnitude() * y.error
                    + x.error * y.error
                    + rounding(&arithmetic, &value),
            }
        }
        Binary::Div => {
            let wide = q.widened(y.error);
            if wide.contains(0.0) {
                return None;
            }
            let quotients = [p.lo / q.lo, p.lo / q.hi, p.hi / q.lo, p.hi / q.hi];
            let value = Interval::new(
                quotients.iter().copied().fold(f64::INFINITY, f64::min),
                quotients.iter().copied().fold(f64::NEG_INFINITY, f64::max),
            );
            Bounded {
                value,
                error: (x.error + value.magnitude() * y.error) / wide.mignitude() + rounding(&|s| s.division, &value),
            }
        }
        _ => {
            // A comparison is exact where it cannot come out differently: the operands' intervals, widened
            // by their errors, lie on one side of each other.
            let (wp, wq) = (p.widened(x.error), q.widened(y.error));
            let (all_below, all_above) = (wp.hi < wq.lo, wp.lo > wq.hi);
            let truth = match op {
                Binary::Less | Binary::LessEqual if all_below => 1.0,
                Binary::Less | Binary::LessEqual if all_above => 0.0,
                Binary::Greater | Binary::GreaterEqual if all_above => 1.0,
                Binary::Greater | Binary::GreaterEqual if all_below => 0.0,
                _ => return None,
            };
            Bounded {
                value: Interval::new(truth, truth),
                error: 0.0,
            }
        }
    })
}

/// The image of `x` under `sin` or `cos`: the values at its ends, widened to ±1 where a maximum or minimum
/// may lie inside (with a margin of a few ulps of the largest `|x|` for the rounding of `π`'s multiples).
fn trig_image(f: MathFunction, x: Interval) -> Interval {
    use std::f64::consts::{FRAC_PI_2, PI, TAU};
    if !x.is_finite() || x.hi - x.lo >= TAU {
        return Interval::new(-1.0, 1.0);
    }
    let margin = 8.0 * f64::EPSILON * x.magnitude().max(1.0);
    // Whether a point c + 2kπ may lie in x.
    let reaches = |c: f64| {
        let k = ((x.lo - c) / TAU).floor();
        (0..3).any(|j| {
            let p = c + (k + f64::from(j)) * TAU;
            p >= x.lo - margin && p <= x.hi + margin
        })
    };
    let (g, top, bottom): (fn(f64) -> f64, f64, f64) = match f {
        MathFunction::Sin => (crate::math::sin, FRAC_PI_2, -FRAC_PI_2),
        _ => (crate::math::cos, 0.0, PI),
    };
    let (a, b) = (g(x.lo), g(x.hi));
    let hi = if reaches(top) { 1.0 } else { a.max(b) };
    let lo = if reaches(bottom) { -1.0 } else { a.min(b) };
    Interval::new(lo, hi)
}

/// The image of `x` under `f`, and the largest `|f′|` over it; `None` where `f` may not be finite or is
/// not continuous, or for `sin`, `cos` and `tan` beyond `trig_reach`.
fn unary(f: MathFunction, x: Interval, trig_reach: f64) -> Option<(Interval, f64)> {
    let m = x.magnitude();
    Some(match f {
        MathFunction::Exp => (x.increasing(crate::math::exp), crate::math::exp(x.hi).next_up()),
        MathFunction::Expm1 => (x.increasing(libm::expm1), libm::exp(x.hi).next_up()),
        MathFunction::Log | MathFunction::Log2 | MathFunction::Log10 if x.lo > 0.0 => {
            let scale = match f {
                MathFunction::Log2 => std::f64::consts::LOG2_E,
                MathFunction::Log10 => std::f64::consts::LOG10_E,
                _ => 1.0,
            };
            let g = match f {
                MathFunction::Log2 => libm::log2,
                MathFunction::Log10 => libm::log10,
                _ => libm::log,
            };
            (x.increasing(g), scale / x.lo)
        }
        MathFunction::Log1p if x.lo > -1.0 => (x.increasing(libm::log1p), 1.0 / (1.0 + x.lo)),
        MathFunction::Sqrt if x.lo > 0.0 => (x.increasing(f64::sqrt), 0.5 / x.lo.sqrt()),
        MathFunction::Cbrt if x.mignitude() > 0.0 => (
            x.increasing(libm::cbrt),
            1.0 / (3.0 * libm::cbrt(x.mignitude()).powi(2)),
        ),
        MathFunction::Sin | MathFunction::Cos if m <= trig_reach => (trig_image(f, x), 1.0),
        MathFunction::Tan => {
            // Increasing between poles: none may lie in the interval.
            let pole = |v: f64| ((v - std::f64::consts::FRAC_PI_2) / std::f64::consts::PI).floor();
            if !x.is_finite() || m > trig_reach || pole(x.lo) != pole(x.hi) {
                return None;
            }
            let value = x.increasing(libm::tan);
            (value, 1.0 + value.magnitude().powi(2))
        }
        MathFunction::Asin | MathFunction::Acos if m < 1.0 => {
            let value = if f == MathFunction::Asin {
                x.increasing(libm::asin)
            } else {
                x.decreasing(libm::acos)
            };
            (value, 1.0 / (1.0 - m * m).sqrt())
        }
        MathFunction::Atan => (x.increasing(libm::atan), 1.0 / (1.0 + x.mignitude().powi(2))),
        MathFunction::Sinh => (x.increasing(libm::sinh), libm::cosh(m)),
        MathFunction::Cosh => (Interval::new(libm::cosh(x.mignitude()), libm::cosh(m)), libm::cosh(m)),
        MathFunction::Tanh => (x.increasing(libm::tanh), 1.0),
        MathFunction::Erf => (x.increasing(libm::erf), std::f64::consts::FRAC_2_SQRT_PI),
        MathFunction::Erfc => (x.decreasing(libm::erfc), std::f64::consts::FRAC_2_SQRT_PI),
        MathFunction::Abs => (Interval::new(x.mignitude(), m), 1.0),
        MathFunction::Floor | MathFunction::Ceil => {
            // Constant where no integer lies inside.
            let g = if f == MathFunction::Floor {
                libm::floor
            } else {
                libm::ceil
            };
            let (lo, hi) = (g(x.lo), g(x.hi));
            if lo != hi {
                return None;
            }
            (Interval::new(lo, hi), 0.0)
        }
        _ => return None,
    })
}

/// A function of two bounded arguments.
fn binary_call(
    f: MathFunction,
    x: Bounded,
    y: Bounded,
    rounding: &impl Fn(&dyn Fn(&Accuracy) -> f64, &Interval) -> f64,
) -> Option<Bounded> {
    let (p, q) = (x.value, y.value);
    let exact = |_: &Accuracy| 0.0;
    Some(match f {
        MathFunction::Min | MathFunction::Max => {
            let value = if f == MathFunction::Min {
                Interval::new(p.lo.min(q.lo), p.hi.min(q.hi))
            } else {
                Interval::new(p.lo.max(q.lo), p.hi.max(q.hi))
            };
            Bounded {
                value,
                error: x.error.max(y.error) + rounding(&exact, &value),
            }
        }
        MathFunction::Hypot => {
            let value = Interval::new(
                libm::hypot(p.mignitude(), q.mignitude()),
                libm::hypot(p.magnitude(), q.magnitude()),
            );
            Bounded {
                value,
                error: x.error + y.error + rounding(&|s| s.composed, &value),
            }
        }
        MathFunction::Pow => {
            // For a positive base, xʸ = e^(y ln x): its changes are xʸ·(y/x·dx + ln x·dy).
            let (wp, wq) = (p.widened(x.error), q.widened(y.error));
            if wp.lo <= 0.0 {
                return None;
            }
            let corners = [
                libm::pow(wp.lo, wq.lo),
                libm::pow(wp.lo, wq.hi),
                libm::pow(wp.hi, wq.lo),
                libm::pow(wp.hi, wq.hi),
            ];
            let value = Interval::new(
                corners.iter().copied().fold(f64::INFINITY, f64::min),
                corners.iter().copied().fold(f64::NEG_INFINITY, f64::max),
            );
            let log = libm::log(wp.lo).abs().max(libm::log(wp.hi).abs());
            let error = value.magnitude() * (wq.magnitude() / wp.lo * x.error + log * y.error);
            let exponent = wq.magnitude() * log;
            Bounded {
                value,
                error: error + rounding(&|s| s.composed + exponent * s.pow_growth, &value),
            }
        }
        // atan2 turns by 1/r for a move of the point at distance r from the origin, and jumps by 2π across
        // the negative x axis, where only the sign of a zero `y` says which side (which a GPU need not
        // keep): no bound where the points may reach it.
        MathFunction::Atan2 => {
            let (y_reach, x_reach) = (p.widened(x.error), q.widened(y.error));
            let r = libm::hypot(y_reach.mignitude(), x_reach.mignitude());
            if r == 0.0 || (y_reach.contains(0.0) && x_reach.lo < 0.0) {
                return None;
            }
            let value = Interval::new(-std::f64::consts::PI, std::f64::consts::PI);
            Bounded {
                value,
                error: (x.error + y.error) / r + rounding(&|s| s.function, &value),
            }
        }
        _ => return None,
    })
}
