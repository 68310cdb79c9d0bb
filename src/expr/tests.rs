use super::tree::Node;
use super::*;

fn error(source: &str, dims: usize) -> String {
    Expr::parse(source, dims).unwrap_err().to_string()
}

#[test]
fn precedence_and_associativity() {
    let value = |source: &str| Expr::parse(source, 1).unwrap().eval(&[2.0]).unwrap();
    assert_eq!(value("1 + 2 * 3"), 7.0);
    assert_eq!(value("(1 + 2) * 3"), 9.0);
    assert_eq!(value("-x^2"), -4.0);
    assert_eq!(value("2^-x"), 0.25);
    assert_eq!(value("2^3^2"), 512.0);
    assert_eq!(value("2**3"), 8.0);
    assert_eq!(value("8 / 4 / 2"), 1.0);
    assert_eq!(value("10 - 4 - 3"), 3.0);
    assert_eq!(value("x < 3"), 1.0);
    assert_eq!(value("x >= 3"), 0.0);
    assert_eq!(value("x <= 2") + value("x > 2"), 1.0);
    assert_eq!(value(".5e1 + 2. + 1e-1"), 7.1);
    assert_eq!(
        value("min(x, 1) + max(x, 5) + pow(x, 0.5)^2"),
        1.0 + 5.0 + libm::pow(2.0, 0.5).powi(2)
    );
    assert_eq!(value("pi"), std::f64::consts::PI);
    assert_eq!(value("e"), std::f64::consts::E);
    assert_eq!(value("x^0"), 1.0);
    assert_eq!(value("x^-2"), 0.25);
}

#[test]
fn variables_by_dimension() {
    let f = Expr::parse("x + 10*y + 100*z", 3).unwrap();
    assert_eq!(f.eval(&[1.0, 2.0, 3.0]).unwrap(), 321.0);
    let g = Expr::parse("x1 + 10*x2 + 100*x3", 3).unwrap();
    assert_eq!(g.eval(&[1.0, 2.0, 3.0]).unwrap(), 321.0);
    let h = Expr::parse("x5 * x1", 5).unwrap();
    assert_eq!(h.eval(&[2.0, 0.0, 0.0, 0.0, 3.0]).unwrap(), 6.0);
    assert!(h.uses(0) && h.uses(4) && !h.uses(1));
    assert!(error("x", 5).starts_with("unknown variable 'x' at column 1; the variables are x1, x2, x3, x4, x5,"));
    assert!(f.eval(&[1.0]).is_err());
    assert!(Expr::parse("x", 0).is_err() && Expr::parse("x", 17).is_err());
}

#[test]
fn errors_name_the_column() {
    assert_eq!(
        error("sin(x) + sinh2(x)", 1),
        format!(
            "unknown function 'sinh2' at column 10; the functions are {}",
            MathFunction::names()
        )
    );
    assert_eq!(
        error("x + w", 1),
        "unknown variable 'w' at column 5; the variables are x or x1, the constants pi and e"
    );
    assert_eq!(error("exp(x, 2)", 1), "exp() takes 1 argument, given 2 at column 1");
    assert_eq!(error("min(x)", 1), "min() takes 2 arguments, given 1 at column 1");
    assert_eq!(error("(x + 1", 1), "'(' is never closed at column 1");
    assert_eq!(error("exp((x)", 1), "'(' is never closed at column 4");
    assert_eq!(error("x + 1)", 1), "')' has no matching '(' at column 6");
    assert_eq!(error("", 1), "the expression is empty");
    assert_eq!(error("   ", 1), "the expression is empty");
    assert_eq!(
        error("x +", 1),
        "expected a number, a variable, a function or '(', found the end at column 4"
    );
    assert_eq!(
        error("x * * 2", 1),
        "expected a number, a variable, a function or '(', found '*' at column 5"
    );
    assert_eq!(error("x # 2", 1), "unexpected character '#' at column 3");
    assert_eq!(
        error("2 x", 1),
        "expected an operator or the end, found 'x' at column 3"
    );
    assert_eq!(error("sin + 1", 1), "'sin' is a function at column 1: write sin(...)");
    assert_eq!(
        error("x(2)", 1),
        "'x' is a variable, not a function at column 1: write x*(...) to multiply"
    );
    assert_eq!(
        error("1e999", 1),
        "the number 1e999 is beyond the f64 range at column 1"
    );
    assert_eq!(error("1.2.3", 1), "'1.2.3' is not a number at column 1");
    assert!(error("0 < x < 1", 1).starts_with("comparisons do not chain"));
    assert!(error(&"(".repeat(300), 1).starts_with("the expression nests deeper than 256 levels"));
    assert!(error(&"-".repeat(300), 1).starts_with("the expression nests deeper than 256 levels"));
    assert!(error(&"x+".repeat(3000), 1).starts_with("the expression has more than"));
    assert!(error(&"1".repeat(MAX_LENGTH + 1), 1).starts_with("the expression is longer"));
}

#[test]
fn constants_fold_to_the_bits_of_the_operations() {
    let folded = Expr::parse("exp(-(x-0.3)^2/(2*0.7^2))", 1).unwrap();
    // 2·0.7² folds into one constant, computed as the program would.
    let sigma2 = 2.0 * (0.7 * 0.7);
    for x in [-1.0, 0.0, 0.3, 0.41, 2.5] {
        let direct = crate::math::exp(-((x - 0.3) * (x - 0.3)) / sigma2);
        assert_eq!(folded.eval(&[x]).unwrap().to_bits(), direct.to_bits());
    }
    assert_eq!(folded.program().len(), 5);
    // A constant is one copy into the result's slot.
    assert_eq!(Expr::parse("2*pi*sin(1)", 1).unwrap().program().len(), 1);
    // x^0 is the constant 1, so the WGSL never hands two constants to a builtin (which naga's constant
    // evaluator cannot take in f64).
    let f = Expr::parse("min(0, x^0) + x", 1).unwrap();
    assert_eq!(f.program().len(), 1);
    assert!(!f.wgsl("f").contains("min("));
}

#[test]
fn nan_is_never_hidden() {
    let nan = |source: &str| Expr::parse(source, 1).unwrap().eval(&[-1.0]).unwrap().is_nan();
    assert!(nan("log(x) < 0"));
    assert!(nan("min(sqrt(x), 1)"));
    assert!(nan("max(1, sqrt(x))"));
    assert!(nan("pow(x, 0.5)"));
    assert!(Expr::parse("1/(x+1)", 1).unwrap().eval(&[-1.0]).unwrap().is_infinite());
}

#[test]
fn integer_powers_are_products() {
    let f = Expr::parse("x^13", 1).unwrap();
    let x = 1.1f64;
    // 13 = 0b1101: x → x² → x³ → x⁶ → x¹² → x¹³.
    let x3 = x * x * x;
    let x6 = x3 * x3;
    let expected = x6 * x6 * x;
    assert_eq!(f.eval(&[x]).unwrap().to_bits(), expected.to_bits());
    assert_eq!(
        Expr::parse("x^2", 1).unwrap().eval(&[x]).unwrap().to_bits(),
        (x * x).to_bits()
    );
    assert_eq!(
        Expr::parse("x^-1", 1).unwrap().eval(&[x]).unwrap().to_bits(),
        (1.0 / x).to_bits()
    );
}

/// The tree evaluated the way a GPU does in `f32`: each constant, input and result rounded to `f32`.
fn eval_f32(node: &Node, x: &[f32]) -> f32 {
    use super::tree::Binary;
    match node {
        Node::Number(c) => *c as f32,
        Node::Variable(k) => x[*k],
        Node::Negate(a) => -eval_f32(a, x),
        Node::Binary(op, a, b) => {
            let (a, b) = (eval_f32(a, x), eval_f32(b, x));
            match op {
                Binary::Add => a + b,
                Binary::Sub => a - b,
                Binary::Mul => a * b,
                Binary::Div => a / b,
                Binary::Less => f32::from(u8::from(a < b)),
                Binary::LessEqual => f32::from(u8::from(a <= b)),
                Binary::Greater => f32::from(u8::from(a > b)),
                Binary::GreaterEqual => f32::from(u8::from(a >= b)),
            }
        }
        Node::PowerInt(a, k) => {
            let a = eval_f32(a, x);
            let mut p = a;
            let n = k.unsigned_abs();
            if n == 0 {
                return 1.0;
            }
            for bit in (0..31 - n.leading_zeros()).rev() {
                p *= p;
                if (n >> bit) & 1 == 1 {
                    p *= a;
                }
            }
            if *k < 0 { 1.0 / p } else { p }
        }
        Node::Call(f, args) => {
            let v: Vec<f32> = args.iter().map(|a| eval_f32(a, x)).collect();
            match f {
                MathFunction::Exp => libm::expf(v[0]),
                MathFunction::Sin => libm::sinf(v[0]),
                MathFunction::Cos => libm::cosf(v[0]),
                MathFunction::Sqrt => v[0].sqrt(),
                MathFunction::Abs => v[0].abs(),
                MathFunction::Min => v[0].min(v[1]),
                MathFunction::Max => v[0].max(v[1]),
                _ => f32::NAN,
            }
        }
    }
}

#[test]
fn the_derived_bound_holds_and_is_not_loose() {
    // Against an f32 evaluation whose arguments are pushed to the edge of their allowed error (both ways,
    // and not at all): every difference within the bound (not too tight), and the largest at least 1/64 of
    // it (not too loose: the bound is within a small factor of what the worst arguments reach).
    let cases = [
        ("exp(-x^2) * sin(3*x)", (0.5f64, 4.0f64)),
        ("x^3 - 2*x^-2 + sqrt(x)", (0.5, 4.0)),
        ("exp(x) / (1 + x^2)", (-3.0, 2.0)),
        ("cos(x)^2 + min(x, 1) * (x < 7)", (0.0, 5.0)),
        ("exp(-(x-0.3)^2/(2*0.7^2))", (-2.0, 2.0)),
    ];
    let gpu = Accuracy::GPU_F32;
    for (source, (lo, hi)) in cases {
        let f = Expr::parse(source, 1).unwrap();
        let reach = f64::max(lo.abs(), hi.abs());
        let argument_error = 2.0 * gpu.unit * reach;
        let input = Bounded {
            value: Interval::new(lo, hi),
            error: argument_error,
        };
        let bound = f.bound(&[input], &Accuracy::CPU, &gpu).unwrap();
        let mut largest: f64 = 0.0;
        for i in 0..=2000 {
            let x = lo + (hi - lo) * f64::from(i) / 2000.0;
            let exact = f.eval(&[x]).unwrap();
            for shift in [-argument_error, 0.0, argument_error] {
                let y = f64::from(eval_f32(&f.tree, &[(x + shift) as f32]));
                let difference = (y - exact).abs();
                assert!(
                    difference <= bound.error,
                    "{source} at {x}: {difference:e} > {:e}",
                    bound.error
                );
                largest = largest.max(difference);
            }
        }
        assert!(
            largest * 64.0 >= bound.error,
            "{source}: bound {:e}, largest difference {largest:e}",
            bound.error
        );
    }
    // Deliberately perturbed results: one unit of the bound beyond it is refused by the comparison that
    // uses it, half of it is accepted.
    let f = Expr::parse("exp(x)", 1).unwrap();
    let input = Bounded {
        value: Interval::new(0.0, 1.0),
        error: 2.0 * gpu.unit,
    };
    let e = f.bound(&[input], &Accuracy::CPU, &gpu).unwrap().error;
    let cpu = f.eval(&[0.5]).unwrap();
    assert!((cpu + 0.5 * e - cpu).abs() <= e);
    assert!((cpu + 1.01 * e - cpu).abs() > e);
}

#[test]
fn no_bound_where_values_may_not_be_finite_or_jump() {
    let bound = |source: &str, lo: f64, hi: f64| {
        let input = Bounded {
            value: Interval::new(lo, hi),
            error: 1e-9,
        };
        Expr::parse(source, 1)
            .unwrap()
            .bound(&[input], &Accuracy::CPU, &Accuracy::GPU_F32)
    };
    assert!(bound("1/x", -1.0, 1.0).is_none());
    assert!(bound("1/x", 0.5, 1.0).is_some());
    assert!(bound("sqrt(x)", -1.0, 1.0).is_none());
    assert!(bound("log(x)", 0.0, 1.0).is_none());
    assert!(bound("x < 0.5", 0.0, 1.0).is_none());
    assert_eq!(bound("x < 2", 0.0, 1.0).unwrap().value, Interval::new(1.0, 1.0));
    assert!(bound("floor(x)", 0.5, 1.5).is_none());
    assert!(bound("floor(x)", 0.25, 0.75).is_some());
    assert!(bound("sin(x)", 0.0, 1e4).is_none());
    assert!(bound("sin(x)", 0.0, 1e3).is_some());
    assert!(bound("exp(x)", 0.0, 1000.0).is_none());
    assert!(bound("tan(x)", 1.0, 2.0).is_none());
    assert!(bound("tan(x)", -1.0, 1.0).is_some());
    // atan2's jump across the negative x axis, where only a zero's sign picks the side.
    assert!(bound("atan2(0*x, -1)", 0.25, 0.35).is_none());
    assert!(bound("atan2(x - 0.3, -1)", 0.25, 0.35).is_none());
    assert!(bound("atan2(x, -1)", 0.25, 0.35).is_some());
    assert!(bound("atan2(0*x, 1)", 0.25, 0.35).is_some());
    assert!(bound("atan2(x, 0)", 0.25, 0.35).is_some());
    // Values past f32's largest number: no bound for an f32 GPU, one for f64.
    assert!(bound("exp(x^3)", 2.0, 4.5).is_none());
    let input = Bounded {
        value: Interval::new(2.0, 4.5),
        error: 1e-15,
    };
    let f = Expr::parse("exp(x^3)", 1).unwrap();
    assert!(f.bound(&[input], &Accuracy::CPU, &Accuracy::GPU_F64).is_some());
}

#[test]
fn parameters_are_numbers_in_the_program() {
    // Bound parameters give the bits of the same numbers written in the text.
    for (with, literal, dims) in [
        ("exp(-a*x^2) * sin(b*y)", "exp(-0.3*x^2) * sin(7.25*y)", 2),
        ("a + b/(c + x)", "0.3 + 7.25/(-1e-3 + x)", 1),
        ("erf(x*a) - log1p(b) * x2", "erf(x*0.3) - log1p(7.25) * x2", 3),
    ] {
        let f = Expr::parse_with(with, dims, &[("a", 0.3), ("b", 7.25), ("c", -1e-3)]).unwrap();
        let g = Expr::parse(literal, dims).unwrap();
        for k in 0..50 {
            let point: Vec<f64> = (0..dims).map(|d| 0.013 * k as f64 - 0.2 * d as f64).collect();
            assert_eq!(
                f.eval(&point).unwrap().to_bits(),
                g.eval(&point).unwrap().to_bits(),
                "{with} at {point:?}"
            );
        }
        assert_eq!(f.wgsl("f"), g.wgsl("f"), "{with}");
    }
    // Other values without parsing again; the source names them.
    let f = Expr::parse_with("a*x + b", 1, &[("a", 2.0), ("b", 1.0)]).unwrap();
    assert_eq!(f.source(), "a*x + b with a = 2, b = 1");
    let g = f.with_params(&[3.0, -1.0]).unwrap();
    assert_eq!(
        (g.eval(&[2.0]).unwrap(), g.source()),
        (5.0, "a*x + b with a = 3, b = -1")
    );
    assert_eq!(g.params().collect::<Vec<_>>(), [("a", 3.0), ("b", -1.0)]);
    assert!(f.with_params(&[1.0]).is_err());
    assert!(f.with_params(&[1.0, f64::NAN]).is_err());
    assert_eq!(Expr::parse("x", 1).unwrap().params().count(), 0);
    // Names that cannot be parameters, and values that cannot be bound.
    for (name, value) in [
        ("x", 1.0),
        ("pi", 1.0),
        ("e", 1.0),
        ("exp", 1.0),
        ("2a", 1.0),
        ("", 1.0),
        ("a b", 1.0),
        ("a", f64::INFINITY),
    ] {
        assert!(
            Expr::parse_with("x", 1, &[(name, value)]).is_err(),
            "{name:?} = {value}"
        );
    }
    assert!(Expr::parse_with("x + a", 1, &[("a", 1.0), ("a", 2.0)]).is_err());
    // An unknown name is still an error, and a parameter not used is allowed.
    assert!(Expr::parse_with("x + k", 1, &[("a", 1.0)]).is_err());
    assert_eq!(
        Expr::parse_with("x", 1, &[("a_1", 1.0)]).unwrap().eval(&[4.0]).unwrap(),
        4.0
    );
}

#[test]
fn work_grows_with_the_operations() {
    let work = |source: &str, dims: usize| Expr::parse(source, dims).unwrap().work();
    // Every operation costs something; a constant folds away.
    assert!(work("x", 1) > 0.0);
    assert_eq!(work("x + 2*3", 1), work("x + 6", 1));
    assert!(work("x*y + y", 2) > work("x + y", 2));
    assert!(work("exp(x)", 1) > work("x*x", 1));
    assert!(work("erfc(x)", 1) > work("exp(x)", 1));
    assert!(work("pow(x, 2.5)", 1) > work("erfc(x)", 1));
    // A shortcut over a known domain costs less than the function it stands for.
    let plain = Expr::parse("exp(x)", 1).unwrap();
    assert!(plain.over(&[(0.0, 1.0)]).work() < plain.work());
    // Parameters are numbers: they cost what the numbers would.
    let with = Expr::parse_with("exp(-a*x)", 1, &[("a", 0.5)]).unwrap();
    assert_eq!(with.work(), work("exp(-0.5*x)", 1));
}

#[test]
fn a_missing_bound_names_its_cause() {
    let why = |source: &str, lo: f64, hi: f64| {
        let x = Bounded {
            value: Interval::new(lo, hi),
            error: 1e-16,
        };
        Expr::parse(source, 1)
            .unwrap()
            .why_unbounded(&[x], &Accuracy::CPU, &Accuracy::GPU_F64)
    };
    for (source, lo, hi, cause) in [
        (
            "sqrt(x)",
            0.0,
            1.0,
            "the slope of sqrt is unbounded where its argument reaches 0",
        ),
        (
            "exp(-x) * log(x)",
            0.0,
            1.0,
            "log is not finite where its argument reaches 0",
        ),
        ("1 + 1/(x - 0.25)", 0.0, 1.0, "a divisor's range"),
        ("x < 0.5", 0.0, 1.0, "a comparison"),
        ("floor(3*x)", 0.0, 1.0, "floor jumps"),
        ("tan(x)", 0.0, 3.0, "tan has a pole"),
        ("x^-2", -1.0, 1.0, "a negative power (-2)"),
    ] {
        let found = why(source, lo, hi).unwrap_or_else(|| panic!("{source}: no cause"));
        assert!(found.starts_with(cause), "{source}: {found}");
    }
    assert_eq!(why("sqrt(x)", 1.0, 2.0), None);
}
