//! The front door for integrals ([`hetero::integrate`] and `hetero integrate`): the shorthands' bits and
//! stamps, tolerances met on every CPU backend, budgets and time limits that end runs reproducibly, and bad
//! requests as bad input.

use hetero::expr::{Accuracy, Bounded, Interval};
use hetero::integrate::{Answer, ErrorKind, Integrand, Options, Problem, Request, RustFunction, integrate, methods};
use hetero::kernels::{Function, MonteCarloIntegral, Simpson};
use hetero::report::run_json;
use hetero::{Backend, Engine};

use super::cli::hetero;

fn engine(threads: usize) -> Engine {
    Engine::with_threads(threads).unwrap()
}

fn answer(request: &Request, backend: Backend, threads: usize) -> Answer {
    integrate(&engine(threads), &request.clone().on(backend)).unwrap_or_else(|e| panic!("{e}"))
}

/// The bits of an answer: value, error and stamp.
fn bits(answer: &Answer) -> (u64, u64, String) {
    (answer.value.to_bits(), answer.error.to_bits(), answer.stamp.clone())
}

pub(crate) fn fixed_sizes_are_the_shorthands_runs() {
    let engine = engine(2);
    let problem = Problem::expr("exp(-x^2) * sin(3*x)", &[(-1.0, 2.5)]).unwrap();
    let request = Request::new(problem).options(Options::new().with("intervals", 1_000_001u64));
    let ours = answer(&request, Backend::Rayon, 2);
    let kernel = Simpson::expr("exp(-x^2) * sin(3*x)", -1.0, 2.5, 1_000_001).unwrap();
    let run = engine.run(&kernel, Backend::Serial).unwrap();
    let theirs = run_json(&kernel, &run);
    assert_eq!(ours.value, run.output.value);
    // Richardson's estimate, at least the rounding of the value and the bound of the evaluations' rounding
    // over the interval (at points within two ulps of 2.5).
    let last_place = f64::EPSILON / 2.0 * run.output.value.abs();
    let x = Bounded {
        value: Interval::new(-1.0, 2.5),
        error: 2.0 * f64::EPSILON * 2.5,
    };
    let f = hetero::expr::Expr::parse("exp(-x^2) * sin(3*x)", 1).unwrap();
    let evaluations = f.bound(&[x], &Accuracy::CPU, &Accuracy::EXACT).unwrap().error * 3.5;
    assert!(evaluations > run.output.error_estimate.max(last_place));
    assert_eq!(ours.error, run.output.error_estimate.max(last_place).max(evaluations));
    assert_eq!(ours.stamp, theirs["stamp"].as_str().unwrap());
    assert_eq!((ours.reached, ours.evals, ours.method), (None, 1_000_005, "simpson"));

    let bounds = [(0.0, 1.0), (-1.0, 2.0), (0.5, 0.75)];
    let problem = Problem::expr("x*y + exp(z)", &bounds).unwrap();
    let options = Options::new().with("samples", "1e6").with("seed", 9u64);
    let ours = answer(&Request::new(problem).options(options), Backend::Threads, 3);
    let f = hetero::expr::Expr::parse("x*y + exp(z)", 3).unwrap();
    let kernel = MonteCarloIntegral::new(f, &bounds, 1_000_000, 9).unwrap();
    let run = engine.run(&kernel, Backend::Serial).unwrap();
    assert_eq!(ours.value, run.output.value);
    assert_eq!(ours.error, 1.96 * run.output.std_error);
    assert_eq!(ours.error_kind, ErrorKind::Ci95);
    assert_eq!(ours.stamp, run_json(&kernel, &run)["stamp"].as_str().unwrap());
    assert_eq!((ours.method, ours.evals), ("mc", 1_000_000));
}

pub(crate) fn tolerances_are_met_with_the_same_bits_on_every_cpu_backend() {
    use std::f64::consts::PI;
    // An integrand, its domain, the goal, and the exact integral.
    type Case = (&'static str, Vec<(f64, f64)>, f64, f64);
    let cases: [Case; 5] = [
        ("exp(-x^2)", vec![(0.0, 1.0)], 1e-10, 0.746_824_132_812_427_1),
        ("1/(1+x^2)", vec![(0.0, 1.0)], 1e-12, PI / 4.0),
        ("sin(100*x)", vec![(0.0, 3.0)], 1e-8, (1.0 - 300f64.cos()) / 100.0),
        ("x*y", vec![(0.0, 1.0), (0.0, 2.0)], 1e-3, 1.0),
        (
            "x1^2 + x2^2 + x3^2 + x4^2 < 1",
            vec![(-1.0, 1.0); 4],
            3e-3,
            PI * PI / 2.0,
        ),
    ];
    for (source, domain, rtol, exact) in cases {
        let request = Request::new(Problem::expr(source, &domain).unwrap()).rtol(rtol);
        let reference = answer(&request, Backend::Serial, 1);
        assert_eq!(reference.reached, Some(true), "{source}: {:?}", reference.why);
        assert!(reference.error <= rtol * reference.value.abs(), "{source}");
        // An estimate and a 95% interval may miss; by more than three times is a defect.
        assert!(
            (reference.value - exact).abs() <= 3.0 * reference.error.max(1e-15 * exact.abs()),
            "{source}: {} ± {:e} against {exact}",
            reference.value,
            reference.error
        );
        for threads in [1, 3] {
            for backend in [Backend::Rayon, Backend::Threads] {
                let other = answer(&request, backend, threads);
                assert_eq!(
                    bits(&other),
                    bits(&reference),
                    "{source} on {backend} with {threads} threads"
                );
                assert_eq!(other.evals, reference.evals);
            }
        }
    }
    // A built-in integrand through the library's front door: Simpson's own vector loop.
    let problem = Problem::new(Integrand::Builtin(Function::Exp), &[(0.0, 1.0)]).unwrap();
    let done = answer(&Request::new(problem).atol(1e-13), Backend::Rayon, 2);
    assert_eq!(done.reached, Some(true));
    assert!((done.value - (std::f64::consts::E - 1.0)).abs() < 1e-13);
}

pub(crate) fn rust_functions_give_the_bits_of_the_same_expression() {
    // The same operations written in Rust and as an expression: the same points, the same sums.
    type Case = (&'static str, Vec<(f64, f64)>, fn(&[f64]) -> f64);
    let cases: [Case; 2] = [
        ("x*x - 3*x", vec![(-1.0, 2.5)], |x| x[0] * x[0] - 3.0 * x[0]),
        ("x*y + z", vec![(0.0, 1.0), (-1.0, 2.0), (0.5, 0.75)], |x| {
            x[0] * x[1] + x[2]
        }),
    ];
    // Each pointwise, and called once per block (as a Python function is).
    let mut all = Vec::new();
    for (source, domain, f) in cases {
        let mut infinite = domain.clone();
        infinite[0].1 = f64::INFINITY;
        let d = domain.len();
        let batch = move |x: &[f64], y: &mut [f64]| {
            for (y, x) in y.iter_mut().zip(x.chunks_exact(d)) {
                *y = f(x);
            }
        };
        let rust = RustFunction::new(d, f).unwrap();
        all.push((source, domain.clone(), rust.clone()));
        all.push((source, domain, RustFunction::batch(d, batch).unwrap()));
        // Over an infinite range (mapped: the weights applied to a block's values), a batch function
        // gives the bits of the same function called per point.
        let pointwise = RustFunction::new(d, move |x: &[f64]| (-x[0]).exp() * f(x)).unwrap();
        let batch = RustFunction::batch(d, move |x: &[f64], y: &mut [f64]| {
            for (y, x) in y.iter_mut().zip(x.chunks_exact(d)) {
                *y = (-x[0]).exp() * f(x);
            }
        })
        .unwrap();
        let methods: &[&str] = if d == 1 { &["mc", "simpson"] } else { &["mc"] };
        for &method in methods {
            let request = |f: &RustFunction| {
                let problem = Problem::new(f.clone().into(), &infinite).unwrap();
                Request::new(problem).method(method).rtol(1e-3)
            };
            let expected = answer(&request(&pointwise), Backend::Serial, 1);
            for (backend, threads) in [(Backend::Serial, 1), (Backend::Rayon, 3), (Backend::Threads, 2)] {
                let got = answer(&request(&batch), backend, threads);
                assert_eq!(
                    (got.value.to_bits(), got.error.to_bits(), got.evals),
                    (expected.value.to_bits(), expected.error.to_bits(), expected.evals),
                    "{source} over {infinite:?} by {method} on {backend}"
                );
            }
        }
    }
    for (source, domain, rust) in all {
        let rust = rust.named(source);
        let mut requests: Vec<fn(Problem) -> Request> = vec![|p| Request::new(p).method("mc").rtol(1e-2), |p| {
            Request::new(p)
                .method("mc")
                .options(Options::new().with("samples", 100_003u64))
        }];
        if domain.len() == 1 {
            requests.push(|p| Request::new(p).method("simpson").rtol(1e-9));
        }
        for request in requests {
            let expr = answer(&request(Problem::expr(source, &domain).unwrap()), Backend::Serial, 1);
            let ours = request(Problem::new(rust.clone().into(), &domain).unwrap());
            for (backend, threads) in [(Backend::Serial, 1), (Backend::Rayon, 3), (Backend::Threads, 2)] {
                let got = answer(&ours, backend, threads);
                assert_eq!(
                    (got.value.to_bits(), got.evals, got.reached),
                    (expr.value.to_bits(), expr.evals, expr.reached),
                    "{source} by {} on {backend}",
                    got.method
                );
                // The same error, except that Simpson floors an expression's at the bound of its
                // evaluations' rounding, which a Rust function's rounding (its own) does not have.
                match got.method {
                    "simpson" => assert!(got.error <= expr.error, "{source}: {} > {}", got.error, expr.error),
                    _ => assert_eq!(got.error.to_bits(), expr.error.to_bits(), "{source} on {backend}"),
                }
                let name = if got.method == "mc" { "expr" } else { "function" };
                assert_eq!(got.run[name], source);
            }
        }
    }
    // No GPU runs a Rust function: asked for one, the request is refused, saying why.
    let (engine, domain) = (engine(1), [(0.0, 1.0)]);
    let rust = RustFunction::new(1, |x: &[f64]| x[0]).unwrap().named("identity");
    for method in ["simpson", "mc"] {
        let request = Request::new(Problem::new(rust.clone().into(), &domain).unwrap()).method(method);
        match integrate(&engine, &request.on(Backend::Gpu)) {
            Err(e) => assert!(
                e.to_string().contains("Rust function") || e.to_string().contains("GPU"),
                "{method}: {e}"
            ),
            Ok(answer) => panic!("{method}: a Rust function ran on the GPU: {answer:?}"),
        }
    }
    // A function of the wrong number of variables for the domain is refused.
    let two = RustFunction::new(2, |x: &[f64]| x[0] + x[1]).unwrap();
    assert!(Problem::new(two.into(), &[(0.0, 1.0)]).is_err());
    assert!(RustFunction::new(0, |_: &[f64]| 1.0).is_err());
}

pub(crate) fn infinite_ranges_are_mapped_with_the_same_bits_on_every_cpu_backend() {
    use std::f64::consts::PI;
    const INF: f64 = f64::INFINITY;
    // An integrand, its domain, the method and goal, the exact integral.
    type Case = (&'static str, Vec<(f64, f64)>, &'static str, f64, f64);
    let cases: [Case; 7] = [
        ("exp(-x^2)", vec![(-INF, INF)], "simpson", 1e-12, PI.sqrt()),
        ("1/(1+x^2)", vec![(-INF, INF)], "simpson", 1e-12, PI),
        ("x^3*exp(-x)", vec![(0.0, INF)], "simpson", 1e-11, 6.0),
        ("exp(x)", vec![(-2.0, -INF)], "simpson", 1e-12, -(-2f64).exp()),
        ("1/x^2", vec![(-INF, -0.5)], "simpson", 1e-12, 2.0),
        ("exp(-x^2-y^2)", vec![(-INF, INF); 2], "mc", 1e-2, PI),
        ("exp(-x-y)*(x > y)", vec![(0.0, INF), (0.0, INF)], "mc", 3e-2, 0.5),
    ];
    for (source, domain, method, rtol, exact) in cases {
        let request = Request::new(Problem::expr(source, &domain).unwrap())
            .method(method)
            .rtol(rtol);
        let reference = answer(&request, Backend::Serial, 1);
        assert_eq!(reference.reached, Some(true), "{source}: {:?}", reference.why);
        assert!(
            (reference.value - exact).abs() <= 3.0 * reference.error.max(4e-16 * exact.abs()),
            "{source}: {} ± {:e} against {exact}",
            reference.value,
            reference.error
        );
        assert!(
            reference.run["map"].as_str().is_some_and(|m| m.contains("/(1 - t")),
            "{source}"
        );
        for (backend, threads) in [(Backend::Rayon, 3), (Backend::Threads, 2)] {
            assert_eq!(
                bits(&answer(&request, backend, threads)),
                bits(&reference),
                "{source} on {backend}"
            );
        }
    }
    // Equal values of different problems are told apart by their stamps: the map is part of the problem.
    let stamps: Vec<String> = [(0.0, INF), (-INF, 0.0), (0.0, 1.0)]
        .iter()
        .map(|&range| {
            let problem = Problem::expr("exp(-x^2)", &[range]).unwrap();
            answer(
                &Request::new(problem).options(Options::new().with("intervals", 4096u64)),
                Backend::Serial,
                1,
            )
            .stamp
        })
        .collect();
    assert!(
        stamps[0] != stamps[1] && stamps[1] != stamps[2] && stamps[0] != stamps[2],
        "{stamps:?}"
    );
    // The bounds as the user gave them, in JSON: a string for an infinite one.
    let done = answer(
        &Request::new(Problem::expr("exp(-x)", &[(1.0, INF)]).unwrap()),
        Backend::Serial,
        1,
    );
    assert_eq!(
        (done.run["from"].clone(), done.run["to"].clone()),
        (1.0.into(), "inf".into())
    );
    assert!((done.value - (-1f64).exp()).abs() < 1e-12);
    // An integral that diverges is refused; one that oscillates without end is not reached.
    let request = Request::new(Problem::expr("1/x", &[(1.0, INF)]).unwrap()).max_evals(1 << 20);
    let diverges = integrate(&engine(2), &request.on(Backend::Rayon))
        .unwrap_err()
        .to_string();
    assert!(
        diverges.contains("diverges") && diverges.contains("towards x = inf"),
        "{diverges}"
    );
    let request = Request::new(Problem::expr("sin(x)/x^2", &[(1.0, INF)]).unwrap()).max_evals(1 << 20);
    assert_eq!(answer(&request, Backend::Rayon, 2).reached, Some(false));
    let request = Request::new(Problem::expr("exp(x)", &[(INF, -2.0)]).unwrap());
    let diverges = integrate(&engine(1), &request.on(Backend::Serial))
        .unwrap_err()
        .to_string();
    assert!(
        diverges.contains("may diverge") && diverges.contains("from inf to -2"),
        "{diverges}"
    );
    // No GPU error bound over an infinite axis: the GPU is refused, saying so.
    #[cfg(feature = "gpu")]
    {
        let request = Request::new(Problem::expr("exp(-x^2-y^2)", &[(-INF, INF); 2]).unwrap()).method("mc");
        let refused = integrate(&engine(1), &request.on(Backend::Gpu))
            .unwrap_err()
            .to_string();
        assert!(refused.contains("infinite") || refused.contains("GPU"), "{refused}");
    }
    // Both bounds the same infinity, or NaN, are bad input.
    for bad in [(INF, INF), (-INF, -INF), (f64::NAN, 1.0)] {
        assert!(Problem::expr("x", &[bad]).is_err(), "{bad:?}");
    }
}

pub(crate) fn budgets_and_time_limits_end_runs_that_max_evals_reproduces() {
    // Unreachable tolerances: the budget ends the run with the best answer, labelled. (A Rust function:
    // its rounding is not known, so no floor says beforehand that 1e-13 is out of reach; 2^27 evaluations
    // to converge, a tenth of a second on two cores.)
    let wave = RustFunction::new(1, |x| (10000.0 * x[0]).sin() * x[0]).unwrap();
    let simpson = Request::new(Problem::new(wave.into(), &[(0.0, 10.0)]).unwrap()).rtol(1e-13);
    let spent = answer(&simpson.clone().max_evals(100_000), Backend::Rayon, 2);
    assert_eq!(spent.reached, Some(false));
    assert!(spent.evals <= 100_000 && spent.evals > 50_000, "{}", spent.evals);
    assert!(spent.why.as_deref().unwrap().contains("budget"), "{:?}", spent.why);
    let mc = Request::new(Problem::expr("x*y*z", &[(0.0, 1.0); 3]).unwrap()).rtol(1e-9);
    let spent = answer(&mc.clone().max_evals(300_000), Backend::Rayon, 2);
    assert_eq!((spent.reached, spent.evals), (Some(false), 300_000));

    // A time limit ends where it ends; the evaluations it reports, as a budget, give the same bits.
    for request in [simpson, mc] {
        let timed = answer(&request.clone().time_limit(0.03), Backend::Rayon, 2);
        assert_eq!(timed.reached, Some(false), "{:?}", timed.why);
        assert!(!timed.interrupted);
        assert!(timed.why.as_deref().unwrap().contains("time limit"), "{:?}", timed.why);
        let again = answer(&request.clone().max_evals(timed.evals), Backend::Serial, 1);
        assert_eq!(bits(&again), bits(&timed), "{:?}", request.problem());
        assert_eq!(again.evals, timed.evals);
    }
}

pub(crate) fn bad_requests_are_bad_input() {
    let engine = engine(1);
    let interval = || Problem::expr("x", &[(0.0, 1.0)]).unwrap();
    let square = || Problem::expr("x*y", &[(0.0, 1.0); 2]).unwrap();
    let bad = [
        Request::new(interval()).method("romberg"),
        Request::new(interval()).options(Options::new().with("samples", 10u64)),
        Request::new(interval()).options(Options::new().with("intervals", 0u64)),
        Request::new(interval())
            .options(Options::new().with("intervals", 8u64))
            .rtol(1e-3),
        Request::new(interval())
            .options(Options::new().with("intervals", 8u64))
            .max_evals(100_000),
        Request::new(interval()).rtol(-1.0),
        Request::new(interval()).atol(f64::NAN),
        Request::new(interval()).rtol(0.0),
        Request::new(interval()).max_evals(0),
        Request::new(interval()).max_evals(100),
        Request::new(interval()).time_limit(-1.0),
        Request::new(square()).method("simpson"),
        Request::new(Problem::new(Integrand::Builtin(Function::Exp), &[(0.0, 1.0)]).unwrap()).method("mc"),
    ];
    for request in bad {
        let error = integrate(&engine, &request).unwrap_err();
        assert!(error.is_bad_input(), "{request:?}: {error}");
    }
    assert!(Problem::expr("x*y", &[(0.0, 1.0)]).unwrap_err().is_bad_input());
    assert!(Problem::expr("x", &[(f64::NAN, 1.0)]).unwrap_err().is_bad_input());
    assert!(Problem::expr("x", &[]).unwrap_err().is_bad_input());
    // Every method is found by its name and declares options the command line can show.
    for method in methods() {
        assert_eq!(hetero::integrate::method(method.name()).unwrap().name(), method.name());
        assert!(method.options().iter().all(|o| !o.help.is_empty()));
    }
}

pub(crate) fn integrate_from_the_command_line() {
    let json = |args: &[&str]| -> serde_json::Value {
        let out = hetero(args);
        assert!(
            out.status.success(),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        serde_json::from_slice(&out.stdout).unwrap()
    };
    // Parameters: the bits of the same numbers in the text, from the command line and the library.
    let named = json(&[
        "integrate",
        "exp(-a*x^2) + b",
        "--from",
        "0",
        "--to",
        "2",
        "--param",
        "a=0.5",
        "--param",
        "b=-1e-3",
        "--json",
    ]);
    let written = json(&[
        "integrate",
        "exp(-0.5*x^2) + -1e-3",
        "--from",
        "0",
        "--to",
        "2",
        "--json",
    ]);
    assert_eq!(named["value"], written["value"]);
    assert_eq!(named["evals"], written["evals"]);
    assert_eq!(named["function"], "exp(-a*x^2) + b with a = 0.5, b = -0.001");
    let problem = Problem::expr_with("exp(-a*x^2) + b", &[(0.0, 2.0)], &[("a", 0.5), ("b", -1e-3)]).unwrap();
    assert_eq!(answer(&Request::new(problem), Backend::Serial, 1).value, named["value"]);
    let out = hetero(&["integrate", "a*x", "--param", "x=1"]);
    assert_eq!(out.status.code(), Some(2), "{}", String::from_utf8_lossy(&out.stderr));
    let out = hetero(&["integrate", "a*x", "--param", "a"]);
    assert_eq!(out.status.code(), Some(2));
    // Infinite bounds from the command line, and the same bits as the library's.
    let mapped = json(&["integrate", "exp(-x^2)", "--from", "-inf", "--to", "inf", "--json"]);
    let problem = Problem::expr("exp(-x^2)", &[(f64::NEG_INFINITY, f64::INFINITY)]).unwrap();
    let library = answer(&Request::new(problem), Backend::Serial, 1);
    assert_eq!(mapped["stamp"].as_str(), Some(library.stamp.as_str()));
    assert_eq!(
        (mapped["from"].clone(), mapped["to"].clone()),
        ("-inf".into(), "inf".into())
    );
    // Fixed sizes give the shorthands' stamps.
    let ours = json(&[
        "integrate",
        "exp(-x^2)",
        "--from",
        "-1",
        "--to",
        "pi",
        "--intervals",
        "1e5",
        "--json",
    ]);
    let theirs = json(&[
        "simpson",
        "--expr",
        "exp(-x^2)",
        "--from",
        "-1",
        "--to",
        "pi",
        "-n",
        "1e5",
        "--json",
    ]);
    assert_eq!((&ours["stamp"], &ours["value"]), (&theirs["stamp"], &theirs["value"]));
    assert_eq!(
        (&ours["method"], &ours["error_kind"]),
        (&"simpson".into(), &"estimate".into())
    );
    let ours = json(&[
        "integrate",
        "x*y",
        "--box",
        "0:1,0:2",
        "--samples",
        "2^18",
        "--seed",
        "3",
        "--json",
    ]);
    let theirs = json(&[
        "montecarlo",
        "--expr",
        "x*y",
        "--box",
        "0:1,0:2",
        "-n",
        "2^18",
        "--seed",
        "3",
        "--json",
    ]);
    assert_eq!((&ours["stamp"], &ours["value"]), (&theirs["stamp"], &theirs["value"]));
    assert_eq!(ours["method"], "mc");

    // A tolerance met: exit 0, the fields every answer has.
    let done = json(&[
        "integrate",
        "1/(1+x^2)",
        "--rtol",
        "1e-12",
        "--backend",
        "threads",
        "--json",
    ]);
    assert_eq!(done["reached"], true);
    assert!(done["error"].as_f64().unwrap() <= 1e-12 * done["value"].as_f64().unwrap());
    for field in [
        "value",
        "error",
        "error_kind",
        "evals",
        "method",
        "backend",
        "stamp",
        "rtol",
        "atol",
        "seconds",
    ] {
        assert!(done.get(field).is_some(), "{field}");
    }
    let text = hetero(&["integrate", "1/(1+x^2)", "--atol", "1e-9", "--backend", "serial"]);
    let text = String::from_utf8_lossy(&text.stdout).into_owned();
    for word in ["value", "error", "tolerance", "reached", "evaluations", "stamp"] {
        assert!(text.contains(word), "{word} in {text}");
    }

    // Not reached: exit 1, the best answer printed, the reason on stderr.
    let out = hetero(&[
        "integrate",
        "x*y",
        "--box",
        "0:1,0:1",
        "--rtol",
        "1e-9",
        "--max-evals",
        "1e5",
        "--json",
    ]);
    assert_eq!(out.status.code(), Some(1));
    let missed: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!((&missed["reached"], &missed["evals"]), (&false.into(), &100_000.into()));
    assert!(String::from_utf8_lossy(&out.stderr).contains("was not reached"));

    // Bad input: one line, exit 2.
    for args in [
        &["integrate", "x", "--method", "romberg"][..],
        &["integrate", "x", "--samples", "10"],
        &["integrate", "x*y", "--box", "0:1,0:1", "--method", "simpson"],
        &["integrate", "x", "--intervals", "1e3", "--rtol", "1e-3"],
        &["integrate", "x", "--rtol", "-1"],
        &["integrate", "x", "--time-limit", "0"],
        &["integrate", "x +", "--rtol", "1e-3"],
        &["integrate", "x", "--from", "0", "--box", "0:1"],
    ] {
        let out = hetero(args);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
        assert_eq!(stderr.lines().count(), 1, "{args:?}: {stderr}");
    }
}

/// The components of a vector-valued integrand are the scalar runs of the size they share, bit for bit,
/// on every CPU backend: to a tolerance (a component that met it sooner runs again at the shared size)
/// and of a fixed size; a batch of parameter values is the same as its expressions written one by one.
pub(crate) fn vector_components_are_scalar_runs_of_one_size() {
    let scalar = |source: &str, domain: &[(f64, f64)], options: Options, backend| {
        answer(
            &Request::new(Problem::expr(source, domain).unwrap()).options(options),
            backend,
            2,
        )
    };
    // Simpson to a tolerance: x^3 alone stops at the first run; sin(40x) needs many more intervals.
    let sources = ["exp(-x^2)", "sin(40*x)", "x^3"];
    let interval = [(0.0, 2.0)];
    let request = Request::new(Problem::exprs(&sources, &interval, &[]).unwrap()).rtol(1e-11);
    let serial = answer(&request, Backend::Serial, 1);
    assert_eq!(
        (serial.outputs, serial.components.len(), serial.reached),
        (3, 3, Some(true))
    );
    for backend in [Backend::Rayon, Backend::Threads] {
        let other = answer(&request, backend, 3);
        assert_eq!(other.values(), serial.values(), "{backend}");
        assert_eq!(other.errors(), serial.errors(), "{backend}");
        assert_eq!(other.stamp, serial.stamp, "{backend}");
    }
    let alone = answer(
        &Request::new(Problem::expr("x^3", &interval).unwrap()).rtol(1e-11),
        Backend::Serial,
        1,
    );
    assert!(alone.size < serial.size, "x^3 alone took {} intervals", alone.size);
    let size = Options::new().with("intervals", serial.size);
    let mut evals = alone.evals;
    for (source, component) in sources.iter().zip(&serial.components) {
        let fixed = scalar(source, &interval, size.clone(), Backend::Serial);
        assert_eq!(bits(component), bits(&fixed), "{source}");
        assert_eq!(
            (component.size, component.reached),
            (serial.size, Some(true)),
            "{source}"
        );
        assert!(component.error <= 1e-11 * component.value.abs(), "{source}");
        evals += component.evals;
    }
    // Each component's own run to the goal, and the rerun of x^3 (its first run counted once).
    assert!(serial.evals >= evals, "{} < {evals}", serial.evals);
    let json = serial.to_json();
    assert_eq!(json["value"].as_array().map(Vec::len), Some(3));
    assert_eq!(json["components"][1]["function"], "sin(40*x)");

    // Monte Carlo, a batch of parameter values, to a tolerance and of a fixed size.
    let square = [(0.0, 1.0), (-1.0, 1.0)];
    let batch = Problem::exprs(&["exp(-a*x*y)"], &square, &[("a", &[0.5, 1.0, 4.0])]).unwrap();
    let seed = Options::new().with("seed", 5u64);
    let request = Request::new(batch.clone()).options(seed.clone()).rtol(3e-3);
    let rayon = answer(&request, Backend::Rayon, 2);
    assert_eq!(rayon.reached, Some(true));
    assert_eq!(answer(&request, Backend::Threads, 3).values(), rayon.values());
    for (a, component) in ["0.5", "1", "4"].iter().zip(&rayon.components) {
        let options = seed.clone().with("samples", rayon.size);
        let fixed = scalar(&format!("exp(-{a}*x*y)"), &square, options, Backend::Serial);
        assert_eq!(
            (component.value, component.error),
            (fixed.value, fixed.error),
            "a = {a}"
        );
        assert!(component.error <= 3e-3 * component.value.abs(), "a = {a}");
    }
    let fixed = Request::new(batch).options(seed.with("samples", 100_000u64));
    let fixed = answer(&fixed, Backend::Serial, 1);
    assert_eq!((fixed.reached, fixed.evals, fixed.size), (None, 300_000, 100_000));

    // From the command line: components separated by ';', and a parameter's several values.
    let out = hetero(&[
        "integrate",
        "exp(-x^2); sin(40*x);x^3",
        "--to",
        "2",
        "--rtol",
        "1e-11",
        "--json",
    ]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let values: Vec<f64> = serial.values();
    assert_eq!(json["value"], serde_json::json!(values));
    assert_eq!(
        (json["outputs"].as_u64(), json["stamp"].as_str()),
        (Some(3), Some(serial.stamp.as_str()))
    );
    let out = hetero(&[
        "integrate",
        "exp(-a*x*y)",
        "--box",
        "0:1,-1:1",
        "--param",
        "a=0.5,1,4",
        "--seed",
        "5",
        "--rtol",
        "3e-3",
    ]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(
        text.starts_with("∫ 3 integrands on the same points over [0, 1] × [-1, 1], by mc"),
        "{text}"
    );
    assert!(text.contains("exp(-a*x*y) with a = 4"), "{text}");
}

/// A vector's bad input names its component; a stop keeps the components done and says which were not.
pub(crate) fn vector_errors_name_their_component_and_stops_keep_what_was_done() {
    let engine = engine(2);
    let interval = [(-1.0, 2.0)];
    let error = integrate(
        &engine,
        &Request::new(Problem::exprs(&["x", "1/x"], &[(0.0, 1.0)], &[]).unwrap()),
    )
    .unwrap_err()
    .to_string();
    assert!(error.contains("component 2 of 2 (1/x)"), "{error}");
    let error = Problem::exprs(&["x", "x +"], &interval, &[]).unwrap_err().to_string();
    assert!(error.starts_with("expression 2 of 2: "), "{error}");
    assert!(
        Problem::exprs(&["a*x"], &interval, &[("a", &[])])
            .unwrap_err()
            .is_bad_input()
    );
    let many: Vec<f64> = (0..5000).map(f64::from).collect();
    assert!(
        Problem::exprs(&["a*x"], &interval, &[("a", &many)])
            .unwrap_err()
            .is_bad_input()
    );
    let mixed = vec![
        Integrand::Expr(hetero::expr::Expr::parse("x", 1).unwrap()),
        Integrand::Expr(hetero::expr::Expr::parse("x*y", 2).unwrap()),
    ];
    assert!(Problem::vector(mixed, &interval).unwrap_err().is_bad_input());

    // Stopped during the first component's run: its partial answer is kept, the others are left out.
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let flag = stop.clone();
    let control = hetero::Control::new()
        .with_stop(stop)
        .with_progress(move |_| flag.store(true, std::sync::atomic::Ordering::Relaxed));
    let problem = Problem::exprs(&["x*y", "x+y", "x-y"], &[(0.0, 1.0); 2], &[]).unwrap();
    let request = Request::new(problem)
        .options(Options::new().with("samples", 1u64 << 34))
        .on(Backend::Serial);
    let stopped = hetero::integrate::integrate_with(&engine, &request, &control).unwrap();
    assert!(stopped.interrupted);
    assert_eq!((stopped.outputs, stopped.components.len()), (3, 1));
    assert!(stopped.values()[1].is_nan() && stopped.values()[2].is_nan());
    assert!(stopped.values()[0].is_finite());
    let why = stopped.why.clone().unwrap_or_default();
    assert!(why.contains("components 2 to 3 were not computed"), "{why}");
    assert!(stopped.to_json()["value"][2].is_null());
}

/// Monte Carlo points that all give 0 are no evidence of an error of 0 (a peak they all
/// missed), unless the integrand is a constant: to a tolerance the run draws more and, still blind at its
/// budget, is not reached; of a fixed size it is flagged (`trusted: false`, a warning, exit 0).
pub(crate) fn a_zero_spread_is_not_an_error_of_zero() {
    let peak = Problem::expr("exp(-((x-0.3)*1e9)^2)*1e9", &[(0.0, 1.0)]).unwrap();
    let request = Request::new(peak.clone()).method("mc").rtol(1e-3).max_evals(1 << 20);
    let blind = answer(&request, Backend::Rayon, 2);
    assert_eq!((blind.reached, blind.trusted, blind.value), (Some(false), false, 0.0));
    // The points grew to the budget before giving up.
    assert_eq!(blind.evals, 1 << 20);
    assert!(
        blind.why.as_deref().unwrap_or("").contains("points gave 0"),
        "{:?}",
        blind.why
    );
    let constant = Problem::expr("2", &[(0.0, 1.0), (0.0, 3.0)]).unwrap();
    let exact = answer(&Request::new(constant).rtol(1e-6), Backend::Serial, 1);
    assert_eq!(
        (exact.reached, exact.trusted, exact.value, exact.error),
        (Some(true), true, 6.0, 0.0)
    );
    // Values that are all close but not 0 have a spread of their own, however small.
    let flat = Problem::expr("1 + 1e-12*x", &[(0.0, 1.0)]).unwrap();
    let flat = Request::new(flat)
        .method("mc")
        .options(Options::new().with("samples", 100_000u64));
    assert!(answer(&flat, Backend::Serial, 1).trusted);
    let one =
        Request::new(Problem::expr("x*y", &[(0.0, 1.0); 2]).unwrap()).options(Options::new().with("samples", 1u64));
    let one = answer(&one, Backend::Serial, 1);
    assert_eq!(
        (one.reached, one.trusted, one.to_json()["trusted"].as_bool()),
        (None, false, Some(false))
    );
    // The command line: exit 1 to a tolerance, a warning and exit 0 of a fixed size.
    let out = hetero(&[
        "integrate",
        "exp(-((x-0.3)*1e9)^2)*1e9",
        "--method",
        "mc",
        "--max-evals",
        "2^20",
    ]);
    assert_eq!(out.status.code(), Some(1), "{}", String::from_utf8_lossy(&out.stderr));
    let out = hetero(&["integrate", "x*y", "--box", "0:1,0:1", "--samples", "1"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(
        stderr.contains("warning: the error estimate is not trusted: one point"),
        "{stderr}"
    );
}

pub(crate) fn simpson_never_states_an_error_below_its_rounding() {
    // A kink: the rule's own estimate falls to 1e-17 once the doublings agree, below what the rounding
    // of exp's argument (about 20 ulps of the integrand) makes of the value.
    let (w, a) = (0.1655975568919289f64, 20.4f64);
    let exact = (2.0 - (-a * w).exp() - (-a * (1.0 - w)).exp()) / a;
    let kink = format!("exp(-({a}*abs(x - {w})))");
    let problem = Problem::expr(&kink, &[(0.0, 1.0)]).unwrap();
    // Of a fixed size, converged: the estimate is far below the rounding of exp's argument.
    let decay = Problem::expr(&format!("exp(-({a}*x))"), &[(0.0, 1.0)]).unwrap();
    let fixed = answer(
        &Request::new(decay).options(Options::new().with("intervals", 1u64 << 20)),
        Backend::Rayon,
        2,
    );
    let exact_decay = -(-a).exp_m1() / a;
    assert!(fixed.error >= 100.0 * f64::EPSILON * fixed.value, "{:e}", fixed.error);
    assert!(
        (fixed.value - exact_decay).abs() <= fixed.error,
        "{} against {exact_decay}",
        fixed.value
    );
    // A tolerance below the floor is not reached, however small the estimate; one above it is, honestly.
    for (rtol, reached) in [(1e-6, true), (1e-15, false)] {
        let run = answer(&Request::new(problem.clone()).rtol(rtol), Backend::Rayon, 2);
        assert_eq!(run.reached, Some(reached), "rtol {rtol:e}: {:?}", run.why);
        assert!(
            (run.value - exact).abs() <= run.error,
            "rtol {rtol:e}: {} ± {:e}",
            run.value,
            run.error
        );
        if !reached {
            let why = run.why.unwrap_or_default();
            assert!(why.contains("rounding"), "{why}");
        }
    }
}

pub(crate) fn simpson_trusts_a_slower_order_it_sees_settled() {
    // Unbounded derivatives at an end: Simpson converges at order 1.5 (sqrt), 2.5 (x^1.5) or 1.2 (x^0.2),
    // not 4. Each reaches its tolerance within its stated error, which is not Richardson's /15.
    for (f, exact, rtol) in [
        ("sqrt(x)", 2.0 / 3.0, 1e-10),
        ("x^1.5", 0.4, 1e-12),
        ("x^0.2", 1.0 / 1.2, 1e-8),
    ] {
        let problem = Problem::expr(f, &[(0.0, 1.0)]).unwrap();
        let run = answer(&Request::new(problem).rtol(rtol), Backend::Rayon, 2);
        assert_eq!(run.reached, Some(true), "{f}: {:?}", run.why);
        let actual = (run.value - exact).abs();
        assert!(
            actual <= run.error,
            "{f}: {} is {actual:e} off, stated {:e}",
            run.value,
            run.error
        );
        assert!(run.error <= rtol * exact, "{f}: {:e}", run.error);
        let richardson = run.run["error_estimate"].as_f64().unwrap();
        assert!(
            run.error > 2.0 * richardson,
            "{f}: {:e} against /15's {richardson:e}",
            run.error
        );
    }
    // An integral of 0 to a relative tolerance: below what rounding may make of it, said so (it was
    // refused as not shrinking once the doublings agreed to rounding).
    let problem = Problem::expr("cos(2*pi*1024*x)", &[(0.0, 1.0)]).unwrap();
    let run = answer(&Request::new(problem).rtol(1e-10), Backend::Rayon, 2);
    assert_eq!(run.reached, Some(false));
    assert!(
        run.why.as_deref().unwrap_or_default().contains("rounding"),
        "{:?}",
        run.why
    );
    assert!(run.value.abs() <= run.error, "{} ± {:e}", run.value, run.error);
}

pub(crate) fn estimates_outside_their_regime_are_not_trusted() {
    let fixed = |f: &str, domain: &[(f64, f64)], method: &str, size: (&str, u64)| {
        let options = Options::new().with(size.0, size.1);
        let problem = Problem::expr(f, domain).unwrap();
        answer(
            &Request::new(problem).method(method).options(options),
            Backend::Rayon,
            2,
        )
    };
    // Simpson of a fixed size, checked against a quarter of its intervals: x^1000000 with 1000 intervals
    // (every point but the last 0; the estimate 15 times too small) and 1/(1+x^2) over [1e10, 1e20] fall
    // at order 1, not 4; exp(x) is in the regime; a narrow peak that every point misses says nothing.
    for (f, a, b, n, trusted) in [
        ("x^1000000", 0.0, 1.0, 1000, false),
        ("4/(1+x^2)", 1e10, 1e20, 1_000_000, false),
        ("exp(x)", 0.0, 1.0, 1000, true),
        ("exp(-((x-0.3)*1e6)^2)", 0.0, 1.0, 1024, false),
        ("floor(10*x)", 0.001, 1.0, 1 << 20, false),
    ] {
        let run = fixed(f, &[(a, b)], "simpson", ("intervals", n));
        assert_eq!(run.trusted, trusted, "{f}: {:?}", run.why);
        assert_eq!(run.why.is_some(), !trusted, "{f}: {:?}", run.why);
    }
    // Monte Carlo of x^-0.9 over [0, 1]: a finite integral (10), an infinite variance; x^-0.45's is finite.
    let heavy = fixed("x^-0.9", &[(0.0, 1.0)], "mc", ("samples", 100_000));
    assert!(!heavy.trusted);
    assert!(
        heavy.why.as_deref().unwrap_or_default().contains("variance"),
        "{:?}",
        heavy.why
    );
    assert!(fixed("x^-0.45", &[(0.0, 1.0)], "mc", ("samples", 100_000)).trusted);
    // In two dimensions: a growth across a surface of the box is analysed ((x*y)^-0.9, infinite variance
    // along x = 0); a growth at a point is not, and the sample variance of the first sixteenth of the points
    // against all of them tells ((x^2+y^2)^-0.75 at the origin: f² grows like r^-3, not integrable in
    // two dimensions); exp(-x*y), bounded: unchecked.
    let box2 = [(0.0, 1.0); 2];
    for (f, why) in [
        ("(x*y)^-0.9", "is infinite: along x"),
        ("(x^2+y^2)^-0.75", "not settling"),
    ] {
        let heavy = fixed(f, &box2, "mc", ("samples", 1_000_000));
        assert!(!heavy.trusted, "{f}");
        assert!(
            heavy.why.as_deref().unwrap_or_default().contains(why),
            "{f}: {:?}",
            heavy.why
        );
    }
    assert!(fixed("exp(-x*y)", &box2, "mc", ("samples", 1_000_000)).trusted);
    assert!(fixed("(x + y < 1) * exp(x)", &box2, "mc", ("samples", 1_000_000)).trusted);
    // A jump: its estimates agreed exactly (0) at every doubling, 6.5e-7 off the truth; not reached.
    let problem = Problem::expr("floor(10*x)", &[(0.001, 1.0)]).unwrap();
    let run = answer(&Request::new(problem).atol(1e-9), Backend::Rayon, 2);
    assert_eq!(run.reached, Some(false));
    assert!(
        run.why
            .as_deref()
            .unwrap_or_default()
            .contains("jumps by 1.000e0 at x = "),
        "{:?}",
        run.why
    );
    // A peak every point misses, to a target: two estimates of exactly 0 on a value of 0 are no
    // convergence (it printed 0 for 1, reached, exit 0).
    let peak = "exp(-((x-0.3)*1e6)^2)*1e6/sqrt(pi)";
    let out = hetero(&[
        "simpson",
        "--expr",
        peak,
        "--from",
        "0",
        "--to",
        "1",
        "--target-error",
        "1e-9",
    ]);
    assert_eq!(out.status.code(), Some(1), "{}", String::from_utf8_lossy(&out.stderr));
    // To a tolerance it stops at its first size, not at the budget.
    let problem = Problem::expr("x^-0.9", &[(0.0, 1.0)]).unwrap();
    let run = answer(&Request::new(problem).method("mc").rtol(1e-2), Backend::Rayon, 2);
    assert_eq!(run.reached, Some(false));
    assert_eq!(run.evals, 1 << 16);
    // The commands say so too: a warning, `trusted: false` in JSON, exit 0 (the value stands).
    for args in [
        &["simpson", "-f", "poly", "--power", "1000000", "-n", "1000", "--json"][..],
        &["montecarlo", "--expr", "x^-0.9", "--box", "0:1", "-n", "1e5", "--json"],
        &["montecarlo", "--expr", "x", "--box", "0:1", "-n", "1", "--json"],
    ] {
        let out = hetero(args);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(0), "{args:?}: {stderr}");
        assert!(
            stderr.contains("warning: the error estimate is not trusted"),
            "{args:?}: {stderr}"
        );
        let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(json["trusted"], false, "{args:?}");
        assert!(json["untrusted_because"].is_string(), "{args:?}");
    }
    let out = hetero(&["simpson", "-f", "exp", "-n", "1000", "--json"]);
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(json.get("trusted").is_none(), "{json}");
}

/// Monte Carlo over a box of an integrand growing across a surface (`x = c`, or `x = y`): refused where
/// the integral diverges (order 1 or more), not reached where its variance is infinite (order 1/2 or more),
/// and within three times its stated error of the truth where it is reached; growths at a point only pass
/// the analysis (`1/(x + y)`, finite).
pub(crate) fn surfaces_of_growth_in_a_box_are_found() {
    use proptest::prelude::*;
    let engine = engine(2);
    let box2 = [(0.0, 1.0); 2];
    let run = |f: &str, domain: &[(f64, f64)]| {
        let request = Request::new(Problem::expr(f, domain).unwrap()).method("mc").rtol(1e-2);
        integrate(&engine, &request.on(Backend::Rayon))
    };
    for (f, dims) in [
        ("1/(x*y)", 2),
        ("1/abs(x-y)", 2),
        ("1/(x*y*z)", 3),
        ("exp(x)/(y-0.5)^2", 2),
    ] {
        let refused = run(f, &vec![(0.0, 1.0); dims]).map(|a| a.value);
        let e = refused.expect_err(f).to_string();
        assert!(e.contains("diverges") && e.contains("across a surface"), "{f}: {e}");
    }
    for (f, truth) in [("1/(x+y)", 2.0 * std::f64::consts::LN_2), ("x^-0.3*y^-0.3", 1.0 / 0.49)] {
        let a = run(f, &box2).unwrap();
        assert!(
            a.reached == Some(true) && (a.value - truth).abs() <= 3.0 * a.error,
            "{f}: {a:?}"
        );
    }
    let config = ProptestConfig {
        cases: 24,
        failure_persistence: None,
        ..ProptestConfig::default()
    };
    let p = prop_oneof![-3.0..-1.0f64, -0.9..-0.1f64];
    proptest!(config, |(c in 0.05..0.95f64, p in p)| {
        let f = format!("abs(x - {c})^({p}) * exp(-y)");
        let truth = ((1.0 - c).powf(p + 1.0) + c.powf(p + 1.0)) / (p + 1.0) * (1.0 - (-1.0f64).exp());
        match (p, run(&f, &box2)) {
            (p, Err(e)) => prop_assert!(p <= -1.0 && e.to_string().contains("diverges"), "{f}: {e}"),
            (p, Ok(a)) if p <= -0.5 => prop_assert!(a.reached == Some(false), "{f}: {a:?}"),
            (_, Ok(a)) => {
                let off = (a.value - truth).abs();
                prop_assert!(a.reached != Some(true) || off <= 3.0 * a.error, "{f}: {a:?}, {off:e} from {truth}");
            }
        }
    });
}

/// Random members of four hostile families through `integrate`, to a tolerance and of a fixed size: an
/// answer that passed every check (reached, or trusted at a fixed size) lies within three times its stated
/// error of the truth; a divergent integral is refused, never a number.
pub(crate) fn hostile_integrands_are_answered_honestly_or_refused() {
    use proptest::prelude::*;
    let engine = engine(2);
    let config = ProptestConfig {
        cases: 96,
        failure_persistence: None,
        ..ProptestConfig::default()
    };
    // (expression, truth over [0, 1]; None: it diverges).
    let family = prop_oneof![
        // A jump.
        (0.05..0.95f64).prop_map(|c| (format!("(x > {c})"), Some(1.0 - c))),
        // A peak, down to far narrower than the first spacing.
        (0.1..0.9f64, -7.0..-2.0f64).prop_map(|(c, w)| {
            let w = 10f64.powf(w);
            let truth = w * std::f64::consts::PI.sqrt() / 2.0 * (libm::erf((1.0 - c) / w) + libm::erf(c / w));
            (format!("exp(-((x - {c})/{w})^2)"), Some(truth))
        }),
        // An integrable singularity.
        (0.05..0.95f64, -0.9..-0.1f64).prop_map(|(c, p)| {
            let truth = ((1.0 - c).powf(p + 1.0) + c.powf(p + 1.0)) / (p + 1.0);
            (format!("abs(x - {c})^({p})"), Some(truth))
        }),
        // A divergent one.
        (0.05..0.95f64, -3.0..-1.0f64).prop_map(|(c, p)| (format!("abs(x - {c})^({p})"), None)),
        (0.05..0.95f64).prop_map(|c| (format!("1/(x - {c})"), None)),
    ];
    // A relative tolerance, or a number of intervals.
    let goal = prop_oneof![
        (-12.0..-3.0f64).prop_map(|r| (Some(10f64.powf(r)), None)),
        (10u32..24).prop_map(|k| (None, Some(1u64 << k))),
    ];
    proptest!(config, |((f, truth) in family, goal in goal)| {
        let problem = Problem::expr(&f, &[(0.0, 1.0)]).unwrap();
        let request = match goal {
            (Some(rtol), _) => Request::new(problem).rtol(rtol).max_evals(1 << 26),
            (None, intervals) => Request::new(problem).options(Options::new().with("intervals", intervals.unwrap_or(1024))),
        };
        let options = goal;
        let answer = integrate(&engine, &request.on(Backend::Rayon));
        match (truth, answer) {
            (None, Err(e)) => prop_assert!(e.to_string().contains("diverges"), "{f}: {e}"),
            (None, Ok(a)) => prop_assert!(false, "{f} diverges, answered {} ± {:e}", a.value, a.error),
            (Some(_), Err(e)) => prop_assert!(e.to_string().contains("not finite"), "{f}: {e}"),
            (Some(truth), Ok(a)) => {
                let passed = a.reached.unwrap_or(true) && a.trusted && !a.interrupted;
                let off = (a.value - truth).abs();
                prop_assert!(
                    !passed || off <= 3.0 * a.error,
                    "{f} ({options:?}): {} ± {:e} is {off:e} from {truth}",
                    a.value,
                    a.error
                );
            }
        }
    });
}
