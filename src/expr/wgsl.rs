//! The tree as a WGSL function over `real` (`f64` or `f32`, as the shader's prelude aliases it): one `let`
//! per operation, in the order of the CPU's program, with `exp`, `log`, `sin`, `cos`, `tan`, `asin`,
//! `acos` and `atan` from the math piece's `real_…` functions (hetero's own WGSL math) and the exact builtins
//! `sqrt`, `abs`, `min`, `max`, `floor`, `ceil`.

use std::fmt::Write;

use super::functions::Function;
use super::tree::{Binary, Node};
use crate::{Error, Result};

/// The functions that run on the GPU.
pub(crate) const GPU_FUNCTIONS: [Function; 15] = [
    Function::Atan2,
    Function::Exp,
    Function::Log,
    Function::Tan,
    Function::Asin,
    Function::Acos,
    Function::Atan,
    Function::Sin,
    Function::Cos,
    Function::Sqrt,
    Function::Abs,
    Function::Min,
    Function::Max,
    Function::Floor,
    Function::Ceil,
];

/// `fn NAME(x: array<real, D>) -> real` computing `node` (variable `k` is `x[k]`), or, for one variable,
/// `fn NAME(x: real) -> real`.
pub(crate) fn function(node: &Node, name: &str, dims: usize) -> Result<String> {
    let mut body = String::new();
    let mut next = 0;
    let value = emit(node, dims, &mut body, &mut next)?;
    let parameter = if dims == 1 {
        "x: real".to_owned()
    } else {
        format!("x: array<real, {dims}>")
    };
    Ok(format!(
        "fn {name}({parameter}) -> real {{\n{body}    return {value};\n}}\n"
    ))
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
fn emit(node: &Node, dims: usize, body: &mut String, next: &mut usize) -> Result<String> {
    let expression = match node {
        Node::Number(x) => return Ok(literal(*x)),
        Node::Variable(k) if dims == 1 && *k == 0 => return Ok("x".to_owned()),
        Node::Variable(k) => return Ok(format!("x[{k}]")),
        Node::Negate(a) => format!("-{}", emit(a, dims, body, next)?),
        Node::Binary(op, a, b) => {
            let (a, b) = (emit(a, dims, body, next)?, emit(b, dims, body, next)?);
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
            let x = emit(a, dims, body, next)?;
            let n = k.unsigned_abs();
            if n == 0 {
                return Ok("real(1.0)".to_owned());
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
                return Ok(product);
            }
        }
        Node::Call(f, arguments) => {
            if !GPU_FUNCTIONS.contains(f) {
                return Err(Error::Unsupported(format!(
                    "{}() does not run on the GPU (there: {}); use a CPU backend",
                    f.name(),
                    GPU_FUNCTIONS.map(Function::name).join(", ")
                )));
            }
            let values = arguments
                .iter()
                .map(|a| emit(a, dims, body, next))
                .collect::<Result<Vec<_>>>()?;
            let values = values.join(", ");
            match f {
                Function::Exp
                | Function::Log
                | Function::Sin
                | Function::Cos
                | Function::Tan
                | Function::Asin
                | Function::Acos
                | Function::Atan
                | Function::Atan2 => {
                    format!("real_{}({values})", f.name())
                }
                _ => format!("{}({values})", f.name()),
            }
        }
    };
    Ok(bind(body, next, expression))
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
        let code = function(&f.tree, "f", 1).unwrap();
        assert!(code.starts_with("fn f(x: real) -> real {\n"));
        assert!(code.contains("let t0 = x * x;"));
        assert!(code.contains("real_exp(t1)"));
        assert!(code.contains("select(real(0.0), real(1.0), x < real(0x1.0000000000000p0))"));
        let g = Expr::parse("x1 * x3", 3).unwrap();
        assert!(function(&g.tree, "g", 3).unwrap().contains("let t0 = x[0] * x[2];"));
        let err = function(&Expr::parse("erf(x)", 1).unwrap().tree, "f", 1).unwrap_err();
        assert!(err.to_string().starts_with("erf() does not run on the GPU"));
    }
}
