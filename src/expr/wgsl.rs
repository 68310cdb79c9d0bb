//! The tree as a WGSL function over `real` (`f64` or `f32`, as the shader's prelude aliases it): one `let`
//! per operation, in the order of the CPU's program, with the exact builtins `sqrt`, `abs`, `min`, `max`,
//! `floor`, `ceil`, and every other function from the math pieces' `real_…` functions (hetero's own WGSL
//! math: [`MATH_F64`](crate::shaders::MATH_F64) or [`MATH_F32`](crate::shaders::MATH_F32), and
//! [`MATH_COMPOSED`](crate::shaders::MATH_COMPOSED) on them).

use std::fmt::Write;

use super::functions::MathFunction;
use super::tree::{Binary, Node};

/// The functions the GPU computes with an exact builtin of the same name; every other function is the
/// math pieces' `real_NAME`.
const BUILTINS: [MathFunction; 6] = [
    MathFunction::Sqrt,
    MathFunction::Abs,
    MathFunction::Min,
    MathFunction::Max,
    MathFunction::Floor,
    MathFunction::Ceil,
];

/// Whether `node` calls a function of [`crate::shaders::MATH_COMPOSED`].
fn calls_composed(node: &Node) -> bool {
    match node {
        Node::Number(_) | Node::Variable(_) => false,
        Node::Negate(a) | Node::PowerInt(a, _) => calls_composed(a),
        Node::Binary(_, a, b) => calls_composed(a) || calls_composed(b),
        Node::Call(f, arguments) => f.is_composed() || arguments.iter().any(calls_composed),
    }
}

/// `fn NAME(x: array<real, D>) -> real` computing `node` (variable `k` is `x[k]`), or, for one variable,
/// `fn NAME(x: real) -> real`, after [`MATH_COMPOSED`](crate::shaders::MATH_COMPOSED) where `node` calls
/// one of its functions.
pub(crate) fn function(node: &Node, name: &str, dims: usize) -> String {
    let mut body = String::new();
    let mut next = 0;
    let value = emit(node, dims, &mut body, &mut next);
    let parameter = if dims == 1 {
        "x: real".to_owned()
    } else {
        format!("x: array<real, {dims}>")
    };
    let composed = if calls_composed(node) {
        crate::shaders::MATH_COMPOSED
    } else {
        ""
    };
    format!("{composed}fn {name}({parameter}) -> real {{\n{body}    return {value};\n}}\n")
}

/// A WGSL literal of `x`, exact as an abstract float (hexadecimal), converted to `real`.
fn literal(x: f64) -> String {
    format!("real({})", abstract_literal(x))
}

/// `x` as an exact WGSL abstract-float literal (hexadecimal).
pub(crate) fn abstract_literal(x: f64) -> String {
    if x == 0.0 {
        return if x.is_sign_negative() { "-0.0" } else { "0.0" }.to_owned();
    }
    let bits = x.to_bits();
    let sign = if x < 0.0 { "-" } else { "" };
    let exponent = ((bits >> 52) & 0x7ff) as i64;
    let mantissa = bits & ((1 << 52) - 1);
    if exponent == 0 {
        // Subnormal: 0.m · 2^-1022.
        return format!("{sign}0x0.{mantissa:013x}p-1022");
    }
    format!("{sign}0x1.{mantissa:013x}p{}", exponent - 1023)
}

/// Writes the `let`s of `node` into `body` and returns the WGSL expression of its value.
fn emit(node: &Node, dims: usize, body: &mut String, next: &mut usize) -> String {
    let expression = match node {
        Node::Number(x) => return literal(*x),
        Node::Variable(k) if dims == 1 && *k == 0 => return "x".to_owned(),
        Node::Variable(k) => return format!("x[{k}]"),
        Node::Negate(a) => format!("-{}", emit(a, dims, body, next)),
        Node::Binary(op, a, b) => {
            let (a, b) = (emit(a, dims, body, next), emit(b, dims, body, next));
            match op {
                Binary::Add => format!("{a} + {b}"),
                Binary::Sub => format!("{a} - {b}"),
                Binary::Mul => format!("{a} * {b}"),
                Binary::Div => format!("{a} / {b}"),
                Binary::Less => format!("select(real(0.0), real(1.0), {a} < {b})"),
                Binary::LessEqual => format!("select(real(0.0), real(1.0), {a} <= {b})"),
                Binary::Greater => format!("select(real(0.0), real(1.0), {a} > {b})"),
                Binary::GreaterEqual => format!("select(real(0.0), real(1.0), {a} >= {b})"),
            }
        }
        Node::PowerInt(a, k) => {
            let x = emit(a, dims, body, next);
            let n = k.unsigned_abs();
            if n == 0 {
                return "real(1.0)".to_owned();
            }
            // The CPU's order: from the most significant bit, square, and multiply by x where set.
            let mut product = x.clone();
            for bit in (0..31 - n.leading_zeros()).rev() {
                product = bind(body, next, format!("{product} * {product}"));
                if (n >> bit) & 1 == 1 {
                    product = bind(body, next, format!("{product} * {x}"));
                }
            }
            if *k < 0 {
                format!("real(1.0) / {product}")
            } else {
                return product;
            }
        }
        Node::Call(f, arguments) => {
            let values = arguments.iter().map(|a| emit(a, dims, body, next)).collect::<Vec<_>>();
            let values = values.join(", ");
            if BUILTINS.contains(f) {
                format!("{}({values})", f.name())
            } else {
                format!("real_{}({values})", f.name())
            }
        }
    };
    bind(body, next, expression)
}

/// `let tN = expression;` in `body`; returns `tN`.
fn bind(body: &mut String, next: &mut usize, expression: String) -> String {
    let name = format!("t{next}");
    *next += 1;
    let _ = writeln!(body, "    let {name} = {expression};");
    name
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::expr::Expr;

    #[test]
    fn literals_are_exact() {
        assert_eq!(literal(1.0), "real(0x1.0000000000000p0)");
        assert_eq!(literal(-0.75), "real(-0x1.8000000000000p-1)");
        assert_eq!(literal(5e-324), "real(0x0.0000000000001p-1022)");
        assert_eq!(literal(-0.0), "real(-0.0)");
    }

    #[test]
    fn one_let_per_operation() {
        let f = Expr::parse("exp(-x^2) * sin(3*x) + (x < 1)", 1).unwrap();
        let code = function(&f.tree, "f", 1);
        assert!(code.starts_with("fn f(x: real) -> real {\n"));
        assert!(code.contains("let t0 = x * x;"));
        assert!(code.contains("real_exp(t1)"));
        assert!(code.contains("select(real(0.0), real(1.0), x < real(0x1.0000000000000p0))"));
        let g = Expr::parse("x1 * x3", 3).unwrap();
        assert!(function(&g.tree, "g", 3).contains("let t0 = x[0] * x[2];"));
        let erf = function(&Expr::parse("erf(x)", 1).unwrap().tree, "f", 1);
        assert!(erf.starts_with(crate::shaders::MATH_COMPOSED) && erf.contains("let t0 = real_erf(x);"));
        assert!(!code.contains("fn real_erf"));
    }
}
