//! Random expressions of every function, for property tests.

use proptest::prelude::*;

/// The text of a random expression in `x`, nested up to four deep, every operand in parentheses.
pub(crate) fn expression() -> impl Strategy<Value = String> {
    let leaf = prop_oneof![
        Just("x".to_owned()),
        (-4.0..4.0f64).prop_map(|c| format!("({c})")),
        Just("pi".to_owned()),
    ];
    let unary = vec![
        "exp", "log", "log2", "log10", "log1p", "expm1", "sqrt", "cbrt", "sin", "cos", "tan", "asin", "acos", "atan",
        "sinh", "cosh", "tanh", "erf", "erfc", "abs", "floor", "ceil",
    ];
    let binary = vec!["min", "max", "pow", "atan2", "hypot"];
    leaf.prop_recursive(4, 24, 2, move |inner| {
        prop_oneof![
            (
                inner.clone(),
                inner.clone(),
                prop::sample::select(vec!["+", "-", "*", "/", "<", ">="])
            )
                .prop_map(|(a, b, op)| format!("({a}) {op} ({b})")),
            (inner.clone(), prop::sample::select(unary.clone())).prop_map(|(a, f)| format!("{f}({a})")),
            (inner.clone(), inner.clone(), prop::sample::select(binary.clone()))
                .prop_map(|(a, b, f)| format!("{f}({a}, {b})")),
            (inner.clone(), -3i32..6).prop_map(|(a, k)| format!("({a})^{k}")),
            inner.prop_map(|a| format!("-({a})")),
        ]
    })
}

/// Whether two results are the same bits (any two NaNs counting as the same).
pub(crate) fn same(a: f64, b: f64) -> bool {
    a.to_bits() == b.to_bits() || (a.is_nan() && b.is_nan())
}
