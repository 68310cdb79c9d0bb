//! Functions written as text: parsed once, checked, and compiled into a program that every CPU backend
//! runs over vector lanes with the same bits.
//!
//! # The language
//!
//! - Variables: `x` in one dimension; `x, y, z` (or `x1, x2, x3`) in up to three; `x1 … xd` in `d`.
//! - Numbers (`3`, `1e-3`, `.5`, `2.`) and the constants `pi` and `e`.
//! - `+ - * /`, powers `^` (or `**`), unary minus, parentheses: `-x^2` is `-(x^2)`, `2^-x` is `2^(-x)`,
//!   `a^b^c` is `a^(b^c)`.
//! - Comparisons `< <= > >=` give 1 or 0, for indicator functions: `(x^2 + y^2 < 1) * 4`. They do not
//!   chain: `(a < x) * (x < b)`.
//! - Functions: `exp log log2 log10 log1p expm1 sqrt cbrt sin cos tan asin acos atan atan2 sinh cosh
//!   tanh erf erfc abs min max pow hypot floor ceil`.
//!
//! # Numbers
//!
//! Every operation is one IEEE `f64` operation or one function call, in the order the tree gives, with no
//! reassociation and no fused multiply-adds, so an expression returns the same bits on every processor,
//! every vector width and every backend. Every function is hetero's own ([`crate::math`], vectorized,
//! within one unit in the last place) or an exact IEEE operation. On the GPU every function runs: see
//! [`Expr::wgsl`] and [`Accuracy`]. `x^k` for an integer constant `|k| ≤ 64` is computed by repeated
//! products (from the most significant bit of `|k|`: square, and multiply by `x` where the bit is set;
//! `1/x^|k|` for `k < 0`), so `x^2` is exactly `x*x`; any other exponent is `pow`. Parts that do not depend on the point are computed once, by the same operations. A NaN operand
//! makes comparisons, `min` and `max` NaN too, so that a value that is not a number is reported, never
//! hidden.
//!
//! ```
//! use hetero::expr::Expr;
//!
//! let f = Expr::parse("exp(-x^2/2) * (x > 0)", 1)?;
//! assert_eq!(f.eval(&[0.0])?, 0.0);
//! assert_eq!(f.eval(&[1.0])?, hetero::math::exp(-0.5));
//! let err = Expr::parse("sin(x) + sinc(x)", 1).unwrap_err();
//! assert!(err.to_string().starts_with("unknown function 'sinc'"));
//! assert!(err.to_string().contains("at column 10; the functions are exp, log,"));
//! # Ok::<(), hetero::Error>(())
//! ```

mod bound;
mod functions;
mod parse;
mod program;
mod tree;
mod wgsl;

pub use bound::{Accuracy, Bounded, Interval};
pub use functions::MathFunction;

pub(crate) use program::{Program, Sink};
pub(crate) use tree::Node;
pub(crate) use wgsl::abstract_literal as wgsl_literal;

use crate::{Error, Result};

/// The most dimensions an expression may have.
pub const MAX_DIMS: usize = 16;

/// The longest expression accepted, in characters.
pub const MAX_LENGTH: usize = 10_000;

/// A parsed and compiled expression in `d` variables, with named parameters bound to numbers.
#[derive(Clone, Debug, PartialEq)]
pub struct Expr {
    /// The text, and the parameters' values where there are any.
    source: String,
    dims: usize,
    /// The tree with the parameters' values in it.
    tree: Node,
    program: Program,
    /// The parameters, and the tree as parsed (parameter `i` is variable `dims + i`): what
    /// [`with_params`](Expr::with_params) binds again without parsing.
    params: Vec<(String, f64)>,
    parsed: Node,
    text: String,
}

impl Expr {
    /// Parses `source` as a function of `dims` variables (`1 ≤ dims ≤ 16`; see the module for the
    /// language). Errors name the column where the text goes wrong.
    pub fn parse(source: &str, dims: usize) -> Result<Expr> {
        Expr::parse_with(source, dims, &[])
    }

    /// Parses `source` as a function of `dims` variables and of the named parameters `params`, each bound
    /// to its value: `Expr::parse_with("exp(-a*x^2)", 1, &[("a", 0.5)])`. A parameter is a number in the
    /// compiled program, as if written in the text (the same bits), except as an exponent: `x^n` is
    /// computed by `pow` for every value of `n`, where a small integer written in the text gives the
    /// repeated product. [`with_params`](Expr::with_params) binds other values without parsing again. A name is letters, digits and `_`, starting with a letter or `_`, and not a
    /// variable's, a constant's (`pi`, `e`) or a function's; a value is a finite number.
    ///
    /// ```
    /// use hetero::expr::Expr;
    ///
    /// let f = Expr::parse_with("exp(-a*x^2) + b", 1, &[("a", 0.5), ("b", 1.0)])?;
    /// assert_eq!(f.eval(&[2.0])?, (-2.0f64).exp() + 1.0);
    /// assert_eq!(f.source(), "exp(-a*x^2) + b with a = 0.5, b = 1");
    /// let g = f.with_params(&[2.0, 0.0])?;
    /// assert_eq!(g.eval(&[1.0])?, Expr::parse("exp(-2*x^2) + 0", 1)?.eval(&[1.0])?);
    /// # Ok::<(), hetero::Error>(())
    /// ```
    pub fn parse_with(source: &str, dims: usize, params: &[(&str, f64)]) -> Result<Expr> {
        if !(1..=MAX_DIMS).contains(&dims) {
            return Err(Error::invalid(
                "dimensions",
                format!("{dims} is not between 1 and {MAX_DIMS}"),
            ));
        }
        if source.chars().count() > MAX_LENGTH {
            return Err(Error::Expression {
                message: format!("the expression is longer than {MAX_LENGTH} characters"),
                column: None,
                hint: String::new(),
            });
        }
        let mut names = variable_names(dims);
        for (i, &(name, _)) in params.iter().enumerate() {
            let taken = names.iter().flatten().any(|n| n == name)
                || matches!(name, "pi" | "π" | "e")
                || MathFunction::from_name(name).is_some();
            let mut chars = name.chars();
            let identifier = chars.next().is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
                && chars.all(|c| c.is_ascii_alphanumeric() || c == '_');
            if !identifier || taken {
                let why = if taken {
                    "is already a variable, a constant or a function"
                } else {
                    "is not a name (letters, digits and _, starting with a letter or _)"
                };
                return Err(Error::invalid("parameter", format!("'{name}' {why}")));
            }
            if params[..i].iter().any(|(other, _)| *other == name) {
                return Err(Error::invalid("parameter", format!("'{name}' is given twice")));
            }
            names.push(vec![name.to_owned()]);
        }
        let parsed = parse::parse(source, &names)?.fold();
        let params: Vec<(String, f64)> = params.iter().map(|&(name, value)| (name.to_owned(), value)).collect();
        let values: Vec<f64> = params.iter().map(|p| p.1).collect();
        Expr::bind(source.trim().to_owned(), dims, parsed, params, &values)
    }

    /// The same expression with its parameters bound to `values` (in the order they were given), without
    /// parsing it again.
    pub fn with_params(&self, values: &[f64]) -> Result<Expr> {
        if values.len() != self.params.len() {
            return Err(Error::invalid(
                "parameters",
                format!("{} values given for {} parameters", values.len(), self.params.len()),
            ));
        }
        Expr::bind(
            self.text.clone(),
            self.dims,
            self.parsed.clone(),
            self.params.clone(),
            values,
        )
    }

    /// The parameters and their values, in the order they were given.
    pub fn params(&self) -> impl Iterator<Item = (&str, f64)> {
        self.params.iter().map(|(name, value)| (name.as_str(), *value))
    }

    /// `parsed` with parameter `i` (variable `dims + i`) replaced by `values[i]`, folded and compiled.
    fn bind(text: String, dims: usize, parsed: Node, mut params: Vec<(String, f64)>, values: &[f64]) -> Result<Expr> {
        for ((name, value), &new) in params.iter_mut().zip(values) {
            if !new.is_finite() {
                return Err(Error::invalid(
                    "parameter",
                    format!("{name} = {} is not a finite number", crate::size::real_text(new)),
                ));
            }
            *value = new;
        }
        let tree = parsed.clone().substitute(dims, values).fold();
        let program = Program::compile(&tree, None);
        let source = match params.is_empty() {
            true => text.clone(),
            false => {
                let values: Vec<String> = params.iter().map(|(name, value)| format!("{name} = {value}")).collect();
                format!("{text} with {}", values.join(", "))
            }
        };
        Ok(Expr {
            source,
            dims,
            tree,
            program,
            params,
            parsed,
            text,
        })
    }

    /// The text it was parsed from (without surrounding spaces), followed by its parameters' values where it
    /// has any (`exp(-a*x^2) with a = 0.5`): what reports show and saved results identify it by.
    pub fn source(&self) -> &str {
        &self.source
    }

    /// How many variables it is a function of.
    pub fn dims(&self) -> usize {
        self.dims
    }

    /// What evaluating it at one point costs, in nanoseconds on the machine the operations' costs were
    /// measured on: what the cost model scales one calibration by, so that a new expression is predicted
    /// without being calibrated ([`Kernel::cost_scale`](crate::Kernel::cost_scale)).
    pub(crate) fn work(&self) -> f64 {
        self.program.work()
    }

    /// Whether it reads variable `k` (from 0).
    pub fn uses(&self, k: usize) -> bool {
        self.tree.uses(k)
    }

    /// The value at `point`, which has one coordinate per dimension. The result may be infinite or NaN
    /// (`log(0)`, `1/0`): the kernels report those as errors.
    pub fn eval(&self, point: &[f64]) -> Result<f64> {
        if point.len() != self.dims {
            return Err(Error::invalid(
                "point",
                format!(
                    "{} coordinates given to a function of {} variables",
                    point.len(),
                    self.dims
                ),
            ));
        }
        Ok(self.program.eval(point))
    }

    /// The compiled program.
    pub(crate) fn program(&self) -> &Program {
        &self.program
    }

    /// The same function, compiled for points whose coordinate `k` lies in `box_[k]`: the same values
    /// there, sometimes with less work (`exp` of arguments that cannot overflow or underflow).
    pub fn over(&self, box_: &[(f64, f64)]) -> Expr {
        let domain: Vec<Bounded> = box_
            .iter()
            .map(|&(lo, hi)| Bounded {
                value: Interval::new(lo, hi),
                error: 0.0,
            })
            .collect();
        Expr {
            program: Program::compile(&self.tree, (domain.len() == self.dims).then_some(&domain[..])),
            ..self.clone()
        }
    }

    /// The expression as a WGSL function `fn NAME(x: real) -> real` (one variable) or
    /// `fn NAME(x: array<real, D>) -> real`, for a shader whose prelude defines `real` and holds the
    /// math piece of its precision ([`MATH_F64`](crate::shaders::MATH_F64) or
    /// [`MATH_F32`](crate::shaders::MATH_F32)). Every function runs on the GPU; where the expression calls
    /// one of [`MATH_COMPOSED`](crate::shaders::MATH_COMPOSED), that piece comes first in the text.
    pub fn wgsl(&self, name: &str) -> String {
        wgsl::function(&self.tree, name, self.dims)
    }

    /// Bounds the expression over the points whose coordinates lie in `inputs`' intervals, and the
    /// difference between two evaluations of accuracies `a` and `b` whose coordinates differ by at most
    /// `inputs`' errors. `None` where the expression may not be finite, or where it jumps (a comparison,
    /// `floor`, `ceil`) and the two evaluations could land on different sides: then no bound exists.
    /// The box is cut into up to 4,096 pieces, each bounded on its own, which keeps the bound near what the
    /// worst points reach.
    pub fn bound(&self, inputs: &[Bounded], a: &Accuracy, b: &Accuracy) -> Option<Bounded> {
        if inputs.len() != self.dims {
            return None;
        }
        bound::bound_pieces(&self.tree, inputs, a, b)
    }
}

impl Expr {
    /// Why [`Expr::bound`] finds no bound over `inputs`, in words (the operation whose bound fails, and
    /// the range of its arguments); `None` where there is a bound.
    pub(crate) fn why_unbounded(&self, inputs: &[Bounded], a: &Accuracy, b: &Accuracy) -> Option<String> {
        (inputs.len() == self.dims)
            .then(|| bound::why_unbounded(&self.tree, inputs, a, b))
            .flatten()
    }

    /// Whether one interval evaluation bounds the expression over the points of the line through `point`
    /// along coordinate `axis` whose coordinate `axis` lies in `[lo, hi]` (no cutting into pieces: quick,
    /// and enough to tell where it may be unbounded).
    pub(crate) fn finite_along(&self, point: &[f64], axis: usize, lo: f64, hi: f64) -> bool {
        let inputs: Vec<Bounded> = (0..self.dims)
            .map(|k| {
                let (lo, hi) = match k == axis {
                    true => (lo, hi),
                    false => (point[k], point[k]),
                };
                Bounded {
                    value: Interval::new(lo, hi),
                    error: 0.0,
                }
            })
            .collect();
        point.len() == self.dims
            && axis < self.dims
            && bound::bound(&self.tree, &inputs, &Accuracy::EXACT, &Accuracy::EXACT).is_some()
    }

    /// The bound of the CPU's rounding in evaluating the expression at `point`; `None` where none is finite.
    pub(crate) fn rounding_at(&self, point: &[f64]) -> Option<f64> {
        let inputs: Vec<Bounded> = point
            .iter()
            .map(|&x| Bounded {
                value: Interval::new(x, x),
                error: 0.0,
            })
            .collect();
        (point.len() == self.dims)
            .then(|| bound::bound(&self.tree, &inputs, &Accuracy::CPU, &Accuracy::EXACT))
            .flatten()
            .map(|b| b.error)
    }

    /// How coordinate `k` is written (`x`, `y`, `z` up to three dimensions, else `x1`, `x2`, …).
    pub(crate) fn variable(&self, k: usize) -> String {
        variable_names(self.dims)
            .into_iter()
            .nth(k)
            .and_then(|names| names.into_iter().next())
            .unwrap_or_else(|| format!("x{}", k + 1))
    }
}

impl std::fmt::Display for Expr {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.source)
    }
}

/// The spellings of each variable in `dims` dimensions.
fn variable_names(dims: usize) -> Vec<Vec<String>> {
    (0..dims)
        .map(|k| {
            let mut spellings = Vec::new();
            if dims <= 3 {
                spellings.push(["x", "y", "z"][k].to_owned());
            }
            spellings.push(format!("x{}", k + 1));
            spellings
        })
        .collect()
}

#[cfg(test)]
mod tests;
