//! The typed tree of an expression, its operations (the same code for one `f64` and for vector lanes),
//! and constant folding.

use super::functions::{MathFunction, propagate_nan};
use crate::simd::Lanes;

/// The largest integer constant exponent computed by repeated products; larger ones use `pow`.
pub(super) const MAX_PRODUCT_POWER: f64 = 64.0;

/// An operator with two operands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Binary {
    Add,
    Sub,
    Mul,
    Div,
    Less,
    LessEqual,
    Greater,
    GreaterEqual,
}

impl Binary {
    /// The operator in every lane. A comparison gives 1 or 0, or NaN where an operand is NaN.
    #[inline(always)]
    pub(crate) fn apply<V: Lanes>(self, a: V, b: V) -> V {
        let token = a.token();
        let (one, zero) = (token.splat(1.0), token.splat(0.0));
        let compared = match self {
            Binary::Add => return a.add(b),
            Binary::Sub => return a.sub(b),
            Binary::Mul => return a.mul(b),
            Binary::Div => return a.div(b),
            Binary::Less => V::select(b.gt(a), one, zero),
            Binary::LessEqual => V::select(a.gt(b), zero, one),
            Binary::Greater => V::select(a.gt(b), one, zero),
            Binary::GreaterEqual => V::select(b.gt(a), zero, one),
        };
        propagate_nan(compared, a, b)
    }
}

/// `xᵏ` by repeated products, in every lane: from the most significant bit of `|k|` down, square, and
/// multiply by `x` where the bit is set; `1 / x^|k|` for `k < 0`; 1 for `k = 0`.
#[inline(always)]
pub(crate) fn power_int<V: Lanes>(x: V, k: i32) -> V {
    let one = x.token().splat(1.0);
    let n = k.unsigned_abs();
    if n == 0 {
        return one;
    }
    let mut product = x;
    for bit in (0..31 - n.leading_zeros()).rev() {
        product = product.mul(product);
        if (n >> bit) & 1 == 1 {
            product = product.mul(x);
        }
    }
    if k < 0 { one.div(product) } else { product }
}

/// A node of the tree.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Node {
    /// A constant (a number, `pi`, `e`, or a folded constant part).
    Number(f64),
    /// Coordinate `k` of the point.
    Variable(usize),
    /// `−a`.
    Negate(Box<Node>),
    /// `a op b`.
    Binary(Binary, Box<Node>, Box<Node>),
    /// `aᵏ` for an integer constant `k`, `|k| ≤ 64`, by [`power_int`].
    PowerInt(Box<Node>, i32),
    /// A function of its arguments.
    Call(MathFunction, Vec<Node>),
}

impl Node {
    /// `base ^ exponent`: repeated products for small integer constant exponents, `pow` otherwise;
    /// constants folded.
    pub(super) fn power(base: Node, exponent: Node) -> Node {
        let exponent = exponent.fold();
        if let Some(k) = exponent.constant()
            && k.fract() == 0.0
            && k.abs() <= MAX_PRODUCT_POWER
        {
            let node = Node::PowerInt(Box::new(base), k as i32);
            return node.fold();
        }
        Node::call(MathFunction::Pow, vec![base, exponent])
    }

    /// A call, folded when every argument is constant.
    pub(super) fn call(function: MathFunction, arguments: Vec<Node>) -> Node {
        Node::Call(function, arguments).fold()
    }

    /// Its value when it does not depend on the point.
    pub(super) fn constant(&self) -> Option<f64> {
        match self {
            Node::Number(value) => Some(*value),
            _ => None,
        }
    }

    /// The node with every part that does not depend on the point replaced by its value, computed by the
    /// operations that would compute it at run time, so the same bits.
    pub(super) fn fold(self) -> Node {
        let folded = match self {
            Node::Negate(a) => Node::Negate(Box::new(a.fold())),
            Node::Binary(op, a, b) => Node::Binary(op, Box::new(a.fold()), Box::new(b.fold())),
            Node::PowerInt(a, k) => Node::PowerInt(Box::new(a.fold()), k),
            Node::Call(f, arguments) => Node::Call(f, arguments.into_iter().map(Node::fold).collect()),
            leaf => return leaf,
        };
        match &folded {
            Node::Negate(a) => a.constant().map(|a| Node::Number(a.neg())),
            Node::Binary(op, a, b) => a
                .constant()
                .zip(b.constant())
                .map(|(a, b)| Node::Number(op.apply(a, b))),
            // x^0 is 1 whatever x is (NaN included, as in `power_int`).
            Node::PowerInt(_, 0) => Some(Node::Number(1.0)),
            Node::PowerInt(a, k) => a.constant().map(|a| Node::Number(power_int(a, *k))),
            Node::Call(f, arguments) => {
                let values: Option<Vec<f64>> = arguments.iter().map(Node::constant).collect();
                values.map(|values| {
                    Node::Number(match values[..] {
                        [x] => f.unary(x),
                        [a, b] => f.binary(a, b),
                        _ => f64::NAN,
                    })
                })
            }
            _ => None,
        }
        .unwrap_or(folded)
    }

    /// The node with variable `dims + i` replaced by the number `values[i]` (a parameter bound to its
    /// value); variables below `dims` kept.
    pub(super) fn substitute(self, dims: usize, values: &[f64]) -> Node {
        let sub = |node: Box<Node>| Box::new(node.substitute(dims, values));
        match self {
            Node::Variable(k) if k >= dims => Node::Number(values.get(k - dims).copied().unwrap_or(f64::NAN)),
            Node::Negate(a) => Node::Negate(sub(a)),
            Node::Binary(op, a, b) => Node::Binary(op, sub(a), sub(b)),
            Node::PowerInt(a, k) => Node::PowerInt(sub(a), k),
            Node::Call(f, arguments) => {
                Node::Call(f, arguments.into_iter().map(|a| a.substitute(dims, values)).collect())
            }
            leaf => leaf,
        }
    }

    /// Whether the node reads coordinate `k`.
    pub(crate) fn uses(&self, k: usize) -> bool {
        match self {
            Node::Number(_) => false,
            Node::Variable(j) => *j == k,
            Node::Negate(a) | Node::PowerInt(a, _) => a.uses(k),
            Node::Binary(_, a, b) => a.uses(k) || b.uses(k),
            Node::Call(_, arguments) => arguments.iter().any(|a| a.uses(k)),
        }
    }
}
