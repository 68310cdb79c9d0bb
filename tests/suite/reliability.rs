//! No silent wrong answer, no lost result, no hang: the command line on overflow, under-resolved and
//! unreachable targets, closed or full stderr, signals, negative arguments, a GPU that is gone, caches
//! written at once, and thousands of random argument vectors.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use proptest::prelude::*;
use serde_json::Value;

use crate::cli::{command, hetero, json_of};

/// A fresh cache directory of this test binary's own.
fn cache_dir(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("reliability-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

/// `hetero ARGS` through `sh`, with stderr or stdout redirected as `redirect` says (`2>/dev/full`, `2>&-`,
/// `>/dev/full`).
fn with_stderr(redirect: &str, args: &str) -> std::process::Output {
    let line = format!("exec '{}' {args} {redirect}", env!("CARGO_BIN_EXE_hetero"));
    Command::new("sh").args(["-c", &line]).output().expect("sh runs")
}

pub(crate) fn closed_or_full_streams_lose_no_result_silently() {
    // The rounding note goes to stderr; the result to stdout, whatever becomes of the note.
    for redirect in ["2>/dev/full", "2>&-"] {
        let out = with_stderr(redirect, "simpson -n 7 --backend serial --json");
        assert_eq!(out.status.code(), Some(0), "{redirect}");
        let v: Value = serde_json::from_slice(&out.stdout).expect("the result is on stdout");
        assert_eq!(v["intervals"], 8, "{redirect}");
        // An error keeps its exit code too.
        let out = with_stderr(redirect, "pi -n 0");
        assert_eq!(out.status.code(), Some(2), "{redirect}");
    }
    // A result that cannot be written is a failure, never exit 0. (A stdout closed before the start is
    // reopened on /dev/null by Rust's runtime, as `>/dev/null` would be: the result is then discarded
    // as asked.)
    let out = with_stderr(">/dev/full", "pi -n 1000 --backend serial");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.starts_with("hetero: error: cannot write the result: "),
        "{stderr}"
    );
}

/// Starts a long run, sends `signal` after `after`, and returns its exit code, stdout and stderr.
#[cfg(unix)]
fn signalled(args: &[&str], signal: &str, after: Duration, cache: Option<&Path>) -> (Option<i32>, Vec<u8>, String) {
    let mut cmd = command();
    if let Some(cache) = cache {
        cmd.env("HETERO_CACHE_DIR", cache);
    }
    let child = cmd
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("hetero starts");
    std::thread::sleep(after);
    let sent = Command::new("kill")
        .args([signal, &child.id().to_string()])
        .status()
        .expect("kill runs");
    assert!(sent.success());
    let out = child.wait_with_output().expect("hetero ends");
    (
        out.status.code(),
        out.stdout,
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[cfg(unix)]
pub(crate) fn sigterm_prints_the_partial_result_and_exits_143() {
    let args = ["pi", "-n", "1e13", "--seed", "5", "--backend", "rayon", "--json"];
    let (code, stdout, stderr) = signalled(&args, "-TERM", Duration::from_millis(1500), None);
    assert_eq!(code, Some(143), "{stderr}");
    assert!(stderr.contains("interrupted: by SIGTERM: blocks 0.."), "{stderr}");
    let v: Value = serde_json::from_slice(&stdout).expect("the partial result is printed");
    assert_eq!(v["interrupted"], true);
    let samples = v["samples"].as_u64().unwrap();
    let fixed = json_of(&[
        "pi",
        "-n",
        &samples.to_string(),
        "--seed",
        "5",
        "--backend",
        "serial",
        "--json",
    ]);
    assert_eq!(fixed["hits"], v["hits"]);
}

/// An interrupted Simpson run reports the rule over the part covered, and the intervals asked for.
#[cfg(unix)]
pub(crate) fn an_interrupted_simpson_run_keeps_its_request() {
    let args = ["simpson", "-f", "sin", "-n", "1e12", "--backend", "rayon", "--json"];
    let (code, stdout, stderr) = signalled(&args, "-INT", Duration::from_millis(1500), None);
    assert_eq!(code, Some(130), "{stderr}");
    let v: Value = serde_json::from_slice(&stdout).expect("the partial result is printed");
    assert_eq!(v["interrupted"], true);
    assert_eq!(v["requested_intervals"].as_u64(), Some(1_000_000_000_000));
    let covered = v["intervals"].as_u64().unwrap();
    assert!(
        covered > 0 && covered < 1_000_000_000_000 && covered.is_multiple_of(4),
        "{covered}"
    );
    assert!(v["to"].as_f64().unwrap() < 1.0);
}

/// A signal during the first calibration stops it cleanly: the code says which signal, stderr says what
/// was completed, and the cache file, if written, is a whole model.
#[cfg(unix)]
pub(crate) fn a_signal_during_calibration_or_compare_stops_cleanly() {
    let cache = cache_dir("calibration");
    let (code, _, stderr) = signalled(&["pi", "-n", "1e7"], "-INT", Duration::from_millis(400), Some(&cache));
    assert_eq!(code, Some(130), "{stderr}");
    assert!(
        stderr.contains("interrupted: by Ctrl-C during the calibration of pi"),
        "{stderr}"
    );
    if let Ok(text) = std::fs::read_to_string(cache.join("cost-model.json")) {
        serde_json::from_str::<Value>(&text).expect("a cache file that is there is whole");
    }
    let (code, _, stderr) = signalled(&["calibrate"], "-TERM", Duration::from_millis(2500), Some(&cache));
    assert_eq!(code, Some(143), "{stderr}");
    assert!(
        stderr.contains("interrupted: by SIGTERM during the calibration of"),
        "{stderr}"
    );
    // What was measured before the signal is saved, whole (how much depends on the machine's load).
    if !stderr.contains("measured nothing") {
        let text = std::fs::read_to_string(cache.join("cost-model.json")).expect("what was measured is saved");
        serde_json::from_str::<Value>(&text).expect("a whole model");
    }

    let args = ["compare", "pi", "-n", "1e13", "--backends", "serial,rayon", "--json"];
    let (code, stdout, stderr) = signalled(&args, "-INT", Duration::from_millis(1000), None);
    assert_eq!(code, Some(130), "{stderr}");
    assert!(
        stderr.contains("interrupted: by Ctrl-C during the serial run"),
        "{stderr}"
    );
    let v: Value = serde_json::from_slice(&stdout).expect("the comparison of the completed runs");
    assert_eq!(v["runs"].as_array().map(Vec::len), Some(0));
    assert_eq!(v["interrupted"], "serial");
}

pub(crate) fn negative_values_are_values() {
    let v = json_of(&[
        "simpson", "-f", "cos", "--from", "-pi/2", "--to", "pi/2", "-n", "1000", "--json",
    ]);
    assert!((v["value"].as_f64().unwrap() - 2.0).abs() < 1e-9, "{v}");
    let v = json_of(&["simpson", "--from", "-.5", "--to", "-1e-3", "-n", "1000", "--json"]);
    assert_eq!(v["from"], -0.5);
    let v = json_of(&[
        "simpson", "-f", "gauss", "--x0", "-2", "--from", "-3", "-n", "1000", "--json",
    ]);
    assert!(v["function"].as_str().unwrap().contains("x0=-2"), "{v}");
    for target in ["-1e-3", "-.5"] {
        let out = hetero(&["pi", "--target-error", target]);
        assert_eq!(out.status.code(), Some(2));
        assert!(String::from_utf8_lossy(&out.stderr).contains("not a positive number"));
    }
}

/// An integral near the top of the f64 range is computed (and agrees everywhere); one beyond it, or of a
/// function that overflows inside the interval, is an error with exit 1, never `null` with exit 0.
pub(crate) fn overflow_is_an_answer_or_an_error_never_infinity() {
    let mut values = Vec::new();
    for backend in ["serial", "rayon", "threads"] {
        let v = json_of(&[
            "simpson",
            "-f",
            "exp",
            "--from",
            "0",
            "--to",
            "705",
            "-n",
            "1e6",
            "--backend",
            backend,
            "--json",
        ]);
        let value = v["value"].as_f64().expect("a finite value");
        let exact = v["exact"].as_f64().expect("a finite exact value");
        assert!(
            ((value - exact) / exact).abs() < 1e-12,
            "{backend}: {value} against {exact}"
        );
        values.push(v["stamp"].clone());
    }
    assert!(values.windows(2).all(|w| w[0] == w[1]), "{values:?}");
    // The exact integral where e^a alone underflows and e^(b−a) alone overflows.
    let v = json_of(&[
        "simpson", "-f", "exp", "--from", "-1000", "--to", "705", "-n", "1e6", "--json",
    ]);
    assert!(v["exact"].as_f64().is_some_and(f64::is_finite), "{v}");
    // Flat where 2σ² is huge; tiny σ is refused.
    let v = json_of(&["simpson", "-f", "gauss", "--sigma", "1e300", "-n", "1000", "--json"]);
    assert!((v["exact"].as_f64().unwrap() - 1.0).abs() < 1e-12, "{v}");
    // At a fixed size, and to a target error: no doubling makes it finite, so the first run says so.
    for (to, size) in [
        ("710", "-n"),
        ("1e300", "-n"),
        ("710", "--target-error"),
        ("1e300", "--target-error"),
    ] {
        let amount = if size == "-n" { "1e4" } else { "1e-2" };
        let out = hetero(&[
            "simpson",
            "-f",
            "exp",
            "--from",
            "0",
            "--to",
            to,
            size,
            amount,
            "--backend",
            "serial",
            "--json",
        ]);
        assert_eq!(out.status.code(), Some(1), "{to} {size}");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.contains("not finite") && out.stdout.is_empty(), "{stderr}");
        assert!(stderr.len() < 200, "{stderr}");
    }
}

/// An oscillation the first grids cannot see is refined until the rule converges, to the right value;
/// a target below what f64 resolves is exit 1 with the best run and why.
pub(crate) fn targets_are_met_or_reported_as_missed() {
    let v = json_of(&[
        "simpson",
        "-f",
        "sin",
        "--from",
        "0",
        "--to",
        "1e5",
        "--target-error",
        "1e-3",
        "--json",
    ]);
    let exact = 1.0 - 1e5f64.cos();
    assert!((v["value"].as_f64().unwrap() - exact).abs() < 1e-3, "{v}");
    assert_eq!(v["target_reached"], true);
    for target in ["1e-18", "1e-30"] {
        let out = hetero(&["simpson", "-f", "exp", "--target-error", target, "--json"]);
        assert_eq!(out.status.code(), Some(1), "{target}");
        let v: Value = serde_json::from_slice(&out.stdout).expect("the best run is printed");
        assert_eq!(v["target_reached"], false);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            stderr.contains("was not reached") && stderr.contains("intervals"),
            "{stderr}"
        );
    }
}

/// A cached model that prefers a GPU which is gone: auto runs on the CPU.
pub(crate) fn auto_falls_back_to_the_cpu_when_the_gpu_is_gone() {
    let cache = cache_dir("gone");
    std::fs::create_dir_all(&cache).unwrap();
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let cost = |per_block: f64, width: usize| serde_json::json!({"overhead": 0.0, "per_block": per_block, "first_use": 0.0, "width": width, "single": 0.0});
    let mut costs = serde_json::Map::new();
    costs.insert("pi/serial/1".to_owned(), cost(1e-3, 1));
    costs.insert(format!("pi/rayon/{threads}"), cost(1e-3, threads));
    costs.insert(format!("pi/threads/{threads}"), cost(1e-3, threads));
    costs.insert("pi/gpu/1".to_owned(), cost(1e-9, 1));
    costs.insert(format!("pi/hybrid/{threads}"), cost(1e-9, 1));
    let model = serde_json::json!({
        "version": env!("CARGO_PKG_VERSION"),
        "costs": costs,
        "adapters": {"auto": "a GPU that was here"},
    });
    std::fs::write(cache.join("cost-model.json"), model.to_string()).unwrap();
    let out = command()
        .env("HETERO_CACHE_DIR", &cache)
        .env("WGPU_BACKEND", "metal")
        .args(["pi", "-n", "1e6", "--json"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(
        ["serial", "rayon", "threads"].contains(&v["backend"].as_str().unwrap()),
        "{v}"
    );
}

/// Two first runs of different kernels at once on one cache: both kernels' costs are kept.
pub(crate) fn simultaneous_first_runs_merge_their_costs() {
    let cache = cache_dir("merge");
    let spawn = |args: &[&str]| {
        command()
            .env("HETERO_CACHE_DIR", &cache)
            .args(args)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap()
    };
    let mut pi = spawn(&["pi", "-n", "1e6"]);
    let mut leibniz = spawn(&["leibniz", "-n", "1e6"]);
    assert!(pi.wait().unwrap().success() && leibniz.wait().unwrap().success());
    let model: Value = serde_json::from_str(&std::fs::read_to_string(cache.join("cost-model.json")).unwrap()).unwrap();
    let keys: Vec<&String> = model["costs"].as_object().unwrap().keys().collect();
    assert!(keys.iter().any(|k| k.starts_with("pi/")), "{keys:?}");
    assert!(keys.iter().any(|k| k.starts_with("leibniz/")), "{keys:?}");
}

pub(crate) fn unknown_adapters_are_bad_input() {
    for args in [
        &[
            "pi",
            "-n",
            "1e5",
            "--backend",
            "gpu",
            "--adapter",
            "no adapter is called this",
        ][..],
        &["pi", "-n", "1e5", "--backend", "gpu", "--adapter", "99"],
        &["calibrate", "--adapter", "no adapter is called this"],
    ] {
        let out = hetero(args);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            stderr
                .lines()
                .any(|l| l.starts_with("hetero: error:") && l.contains("adapter")),
            "{stderr}"
        );
    }
}

/// The documented exit codes of a run that nothing interrupts.
const EXIT_CODES: [i32; 3] = [0, 1, 2];

/// One token of a random argument vector: flags with good, bad and odd values.
fn token() -> impl Strategy<Value = Vec<String>> {
    let size = prop_oneof![
        Just("1"),
        Just("1000"),
        Just("65537"),
        Just("2^17"),
        Just("1e5"),
        Just("0"),
        Just("-5"),
        Just("1e-3"),
        Just("1e400"),
        Just("2^99999"),
        Just("abc"),
        Just(""),
        Just("1_000"),
        Just("2.5e3"),
        Just("-pi"),
    ];
    let real = prop_oneof![
        Just("0"),
        Just("1"),
        Just("-1"),
        Just("pi"),
        Just("-pi/2"),
        Just("3pi/4"),
        Just("1e300"),
        Just("-1e308"),
        Just("1e400"),
        Just("nan"),
        Just("inf"),
        Just("-.5"),
        Just("x"),
        Just(""),
        Just("1e-320"),
        Just("710"),
    ];
    let choice = prop_oneof![
        Just("auto"),
        Just("serial"),
        Just("rayon"),
        Just("threads"),
        Just("cpu"),
        Just("gpu"),
        Just("hybrid"),
        Just("bogus"),
    ];
    let function = prop_oneof![
        Just("exp"),
        Just("sin"),
        Just("cos"),
        Just("gauss"),
        Just("pi"),
        Just("poly"),
        Just("tan"),
        Just(""),
    ];
    let flag = |name: &'static str, values: BoxedStrategy<&'static str>| {
        values.prop_map(move |v| vec![name.to_owned(), v.to_owned()])
    };
    prop_oneof![
        flag("-n", size.clone().boxed()),
        flag("--seed", size.clone().boxed()),
        flag(
            "--threads",
            prop_oneof![Just("1"), Just("2"), Just("3"), Just("0"), Just("5000"), Just("-1")].boxed()
        ),
        flag("--backend", choice.clone().boxed()),
        flag(
            "--backends",
            prop_oneof![Just("serial,rayon"), Just("threads"), Just("serial,bogus"), Just("")].boxed()
        ),
        flag("--from", real.clone().boxed()),
        flag("--to", real.clone().boxed()),
        flag("--x0", real.clone().boxed()),
        flag("--sigma", real.clone().boxed()),
        flag(
            "--power",
            prop_oneof![Just("0"), Just("3"), Just("-1"), Just("1e10"), Just("x")].boxed()
        ),
        flag("-f", function.boxed()),
        // Expressions outside every rule's regime: a jump, a peak narrower than any spacing, integrable and
        // divergent singularities, an infinite variance, a removable singularity on a node.
        flag(
            "--expr",
            prop_oneof![
                Just("floor(10*x)"),
                Just("(x > 0.3)"),
                Just("exp(-((x-0.3)*1e6)^2)"),
                Just("abs(x-0.3)^-0.5"),
                Just("x^-0.9"),
                Just("1/x"),
                Just("tan(x)"),
                Just("sin(x)/x"),
                Just("log(x)"),
            ]
            .boxed()
        ),
        // Targets that any kernel reaches in moments, or refuses, or gives up on (Monte Carlo to 1e-6
        // would be a legitimate hours-long run).
        flag(
            "--target-error",
            prop_oneof![
                Just("1e-2"),
                Just("1e-3"),
                Just("0"),
                Just("-1e-3"),
                Just("1e-30"),
                Just("x")
            ]
            .boxed()
        ),
        flag(
            "--precision",
            prop_oneof![Just("f32"), Just("f64"), Just("f16")].boxed()
        ),
        flag(
            "--adapter",
            prop_oneof![Just("auto"), Just("0"), Just("99"), Just("nothing")].boxed()
        ),
        Just(vec!["--json".to_owned()]),
        Just(vec!["--quiet".to_owned()]),
        Just(vec!["--validate".to_owned()]),
        Just(vec!["--explain".to_owned()]),
        Just(vec!["--distributed".to_owned()]),
        Just(vec!["--bogus".to_owned()]),
        Just(vec!["-x".to_owned()]),
        flag(
            "--shard",
            prop_oneof![
                Just("0/2"),
                Just("1/2"),
                Just("2/2"),
                Just("1/0"),
                Just("x"),
                Just("-1/2")
            ]
            .boxed()
        ),
        flag(
            "--checkpoint-every",
            prop_oneof![Just("0.5"), Just("0"), Just("-1"), Just("x")].boxed()
        ),
        Just(vec!["--checkpoint".to_owned(), fuzz_file("run.ckpt")]),
        Just(vec!["--checkpoint".to_owned(), fuzz_file("missing/run.ckpt")]),
        Just(vec!["--partial".to_owned(), fuzz_file("run.part")]),
        Just(vec!["--partial-ok".to_owned()]),
    ]
}

/// A path in a directory of the random-argument test's own (which exists; `missing/` inside it does not).
fn fuzz_file(name: &str) -> String {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("random-arguments");
    std::fs::create_dir_all(&dir).expect("the test's directory can be made");
    dir.join(name).display().to_string()
}

/// A random argument vector for one of the subcommands, sized so that a valid one runs in moments.
fn argv() -> impl Strategy<Value = Vec<String>> {
    let command = prop_oneof![
        Just(vec!["pi"]),
        Just(vec!["simpson"]),
        Just(vec!["leibniz"]),
        Just(vec!["compare", "pi"]),
        Just(vec!["compare", "simpson"]),
        Just(vec!["compare", "leibniz"]),
        Just(vec!["devices"]),
        Just(vec!["merge"]),
        Just(vec!["nonsense"]),
        Just(vec![]),
    ];
    let merged = prop_oneof![
        Just(vec![]),
        Just(vec![fuzz_file("run.part")]),
        Just(vec![fuzz_file("run.ckpt")])
    ];
    (command, merged, prop::collection::vec(token(), 0..6)).prop_map(|(command, merged, tokens)| {
        let mut argv: Vec<String> = command.iter().map(|&word| word.to_owned()).collect();
        if command == ["merge"] {
            argv.extend(merged);
        }
        argv.extend(tokens.into_iter().flatten());
        // Without a size, a run would be of 10^8 or 10^9 elements: give one unless the vector does.
        if !argv.iter().any(|a| a == "-n" || a == "--target-error") {
            argv.extend(["-n".to_owned(), "4096".to_owned()]);
        }
        argv
    })
}

/// Runs `argv` with a deadline; its exit code, or `None` if it had to be killed.
fn run_with_deadline(argv: &[String], cache: &Path) -> (Option<i32>, String) {
    // No GPU here: its absence is one more path to fail cleanly, and opening a device per case would make
    // thousands of cases slow (the GPU paths have tests of their own).
    let mut child = command()
        .env("HETERO_CACHE_DIR", cache)
        .env("WGPU_BACKEND", "metal")
        .args(argv)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("hetero starts");
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        match child.try_wait().expect("waiting works") {
            Some(_) => {
                let out = child.wait_with_output().expect("hetero ends");
                return (out.status.code(), String::from_utf8_lossy(&out.stderr).into_owned());
            }
            None if Instant::now() > deadline => {
                let _ = child.kill();
                let _ = child.wait();
                return (None, String::new());
            }
            None => std::thread::sleep(Duration::from_millis(2)),
        }
    }
}

/// Thousands of random argument vectors over every subcommand: never a panic (101), never a hang, only the
/// documented exit codes, and every failure one line on stderr that says what is wrong.
pub(crate) fn random_argument_vectors_fail_cleanly() {
    let cache = cache_dir("random");
    let config = ProptestConfig {
        cases: 1500,
        failure_persistence: None,
        ..ProptestConfig::default()
    };
    proptest!(config, |(argv in argv())| {
        let (code, stderr) = run_with_deadline(&argv, &cache);
        prop_assert!(code.is_some(), "{argv:?} hung");
        let code = code.unwrap_or_default();
        prop_assert!(EXIT_CODES.contains(&code), "{argv:?} exited {code}: {stderr}");
        if code == 2 {
            let errors = stderr.lines().filter(|l| l.starts_with("hetero: error:")).count();
            prop_assert!(errors == 1 || stderr.contains("Usage:"), "{argv:?}: {stderr}");
        }
    });
}

/// SIGTERM while the GPU compiles a long expression's shader (on lavapipe, at pipeline creation and again
/// in its first dispatch: seconds) ends the run at once, with 143, instead of when the compilation ends.
#[cfg(unix)]
pub(crate) fn sigterm_during_a_gpu_compilation_ends_the_run_at_once() {
    let terms: Vec<String> = (1..100)
        .map(|i| format!("exp(-{i}*x^2)*sin({i}*x)+atan({i}*x)+log({i}+x)"))
        .collect();
    let expr = terms.join("+");
    for after in [300, 1500] {
        let child = command()
            .args(["simpson", "--expr", &expr, "-n", "1e5", "--backend", "gpu"])
            .env("MESA_SHADER_CACHE_DISABLE", "true")
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("hetero starts");
        std::thread::sleep(Duration::from_millis(after));
        let sent = Instant::now();
        let killed = Command::new("kill").args(["-TERM", &child.id().to_string()]).status();
        assert!(killed.expect("kill runs").success());
        let out = child.wait_with_output().expect("hetero ends");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(143), "{after} ms: {stderr}");
        // Uninterrupted, the run takes seconds here; stopped, it ends within the polling of the stop flag.
        assert!(
            sent.elapsed() < Duration::from_secs(2),
            "{after} ms: ended {:?} after the signal",
            sent.elapsed()
        );
    }
}
