//! The built `hetero` binary on good and bad input: exit codes, output, and agreement with the library.

use std::path::Path;
use std::process::{Command, Output};
use std::sync::OnceLock;

use hetero::kernels::MonteCarloPi;
use hetero::{Backend, Engine};
use serde_json::Value;

/// The `hetero` binary, with its cost model cached in a directory of this test binary's own, measured
/// once (by `hetero calibrate`) before the first command, so that tests do not each calibrate.
pub(crate) fn command() -> Command {
    static CALIBRATED: OnceLock<()> = OnceLock::new();
    let cache = Path::new(env!("CARGO_TARGET_TMPDIR")).join("cli-cost-model");
    CALIBRATED.get_or_init(|| {
        let out = Command::new(env!("CARGO_BIN_EXE_hetero"))
            .arg("calibrate")
            .env("HETERO_CACHE_DIR", &cache)
            .output()
            .expect("the hetero binary runs");
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    });
    let mut command = Command::new(env!("CARGO_BIN_EXE_hetero"));
    command.env("HETERO_CACHE_DIR", &cache);
    command
}

pub(crate) fn hetero(args: &[&str]) -> Output {
    command().args(args).output().expect("the hetero binary runs")
}

/// Runs `hetero ARGS --json` and parses its output.
fn json(args: &[&str]) -> Value {
    let mut with_json = args.to_vec();
    with_json.push("--json");
    json_of(&with_json)
}

pub(crate) fn pi_json_matches_the_library_on_every_backend() {
    let expected = Engine::with_threads(1)
        .unwrap()
        .run(&MonteCarloPi::new(1_000_001, 7).unwrap(), Backend::Serial)
        .unwrap()
        .output;
    for backend in ["serial", "rayon", "threads", "cpu"] {
        for threads in ["1", "3"] {
            let v = json(&[
                "pi",
                "--samples",
                "1_000_001",
                "--seed",
                "7",
                "--backend",
                backend,
                "--threads",
                threads,
            ]);
            assert_eq!(v["kernel"], "pi");
            assert_eq!(v["hits"].as_u64(), Some(expected.hits), "{backend}");
            assert_eq!(v["samples"].as_u64(), Some(1_000_001));
            assert_eq!(v["seed"].as_u64(), Some(7));
            assert_eq!(v["value"].as_f64().map(f64::to_bits), Some(expected.value.to_bits()));
            assert_eq!(v["error_estimate"].as_f64(), Some(expected.std_error));
            assert!(v["seconds"].as_f64().is_some_and(|s| s >= 0.0));
            assert!(v["throughput"].as_f64().is_some_and(|t| t > 0.0));
            let name = if backend == "cpu" { "rayon" } else { backend };
            assert_eq!(v["backend"], name);
        }
    }
}

pub(crate) fn seeds_span_all_of_u64() {
    let v = json(&["pi", "-n", "1000", "--seed", "18446744073709551615"]);
    assert_eq!(v["seed"].as_u64(), Some(u64::MAX));
}

pub(crate) fn simpson_json_has_its_fields() {
    let v = json(&[
        "simpson",
        "--function",
        "exp",
        "--from",
        "0",
        "--to",
        "1",
        "--intervals",
        "1e3",
    ]);
    assert_eq!(v["kernel"], "simpson");
    assert_eq!(v["function"], "exp");
    assert_eq!(v["from"].as_f64(), Some(0.0));
    assert_eq!(v["to"].as_f64(), Some(1.0));
    assert_eq!(v["intervals"].as_u64(), Some(1000));
    let value = v["value"].as_f64().unwrap();
    assert!((value - (std::f64::consts::E - 1.0)).abs() < 1e-12);
    assert!(v["error_estimate"].as_f64().is_some_and(|e| e > 0.0 && e < 1e-12));
    assert!((v["exact"].as_f64().unwrap() - (std::f64::consts::E - 1.0)).abs() < 1e-15);
}

pub(crate) fn simpson_takes_negative_bounds_pi_multiples_and_parameters() {
    let gauss = json(&[
        "simpson", "-f", "gauss", "--from", "-8", "--to", "8", "--x0", "-0.5", "--sigma", "0.5", "-n", "2^16",
    ]);
    let expected = 0.5 * (2.0 * std::f64::consts::PI).sqrt();
    assert!((gauss["value"].as_f64().unwrap() - expected).abs() < 1e-12);
    let sin = json(&["simpson", "-f", "sin", "--from", "0", "--to", "pi", "-n", "1e4"]);
    assert!((sin["value"].as_f64().unwrap() - 2.0).abs() < 1e-12);
    let poly = json(&[
        "simpson", "-f", "poly", "--power", "3", "--from", "2", "--to", "-1", "-n", "16",
    ]);
    assert!((poly["value"].as_f64().unwrap() + 3.75).abs() < 1e-12);
}

pub(crate) fn odd_intervals_are_rounded_up_and_reported() {
    let out = hetero(&["simpson", "-n", "7", "--json"]);
    assert!(out.status.success());
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["intervals"].as_u64(), Some(8));
    assert_eq!(v["requested_intervals"].as_u64(), Some(7));
    assert!(String::from_utf8_lossy(&out.stderr).contains("rounded up to 8"));
}

pub(crate) fn leibniz_json_has_its_fields() {
    let v = json(&["leibniz", "--terms", "1e6", "--backend", "threads", "--threads", "3"]);
    assert_eq!(v["kernel"], "leibniz");
    assert_eq!(v["terms"].as_u64(), Some(1_000_000));
    let value = v["value"].as_f64().unwrap();
    let bound = v["error_estimate"].as_f64().unwrap();
    assert!((value - std::f64::consts::PI).abs() < bound);
    assert_eq!(v["threads"].as_u64(), Some(3));
}

pub(crate) fn human_output_names_value_error_backend_time_and_throughput() {
    let out = hetero(&["leibniz", "-n", "2^20", "--backend", "serial"]);
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    for label in [
        "value",
        "error estimate",
        "|value − π|",
        "backend",
        "serial, 1 thread",
        "time",
        "throughput",
        "terms/s",
    ] {
        assert!(text.contains(label), "missing '{label}' in:\n{text}");
    }
    let out = hetero(&["pi", "-n", "1e5", "--backend", "threads", "--threads", "2"]);
    let text = String::from_utf8(out.stdout).unwrap();
    for label in ["hits", "95% interval", "threads, 2 threads", "samples/s"] {
        assert!(text.contains(label), "missing '{label}' in:\n{text}");
    }
}

pub(crate) fn bad_input_is_one_line_and_exit_code_two() {
    let cases: &[&[&str]] = &[
        &["pi", "--samples", "0"],
        &["pi", "--samples", "-5"],
        &["pi", "--samples", "abc"],
        &["pi", "--samples", "1.5"],
        &["pi", "--samples", "1e20"],
        &["pi", "--samples", "2^64"],
        &["pi", "--samples", ""],
        &["pi", "--seed", "18446744073709551616"],
        &["pi", "--seed", "-1"],
        &["pi", "--threads", "0"],
        &["pi", "--threads", "1e9"],
        &["pi", "--backend", "quantum"],
        &["pi", "--unknown-flag"],
        &["simpson", "--from", "nan"],
        &["simpson", "--to", "inf"],
        &["simpson", "--to", "-infinity"],
        &["simpson", "--from", "1e400"],
        &["simpson", "--from", "-1.7e308", "--to", "1.7e308"],
        &["simpson", "--function", "tan"],
        &["simpson", "-f", "gauss", "--sigma", "0"],
        &["simpson", "-f", "gauss", "--sigma", "-2"],
        &["simpson", "-f", "gauss", "--x0", "nan"],
        &["simpson", "-f", "exp", "--sigma", "1"],
        &["simpson", "-f", "poly", "--power", "-1"],
        &["simpson", "-f", "poly", "--power", "1e10"],
        &["simpson", "--intervals", "1e16"],
        &["leibniz", "--terms", "0"],
        &["leibniz", "--terms", "1e17"],
        &["integrate"],
        &[],
    ];
    for args in cases {
        let out = hetero(args);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(out.stdout.is_empty(), "{args:?} printed a result");
        assert!(
            !stderr.contains("panicked") && !stderr.contains("RUST_BACKTRACE"),
            "{args:?}: {stderr}"
        );
        if !args.is_empty() {
            assert_eq!(stderr.lines().count(), 1, "{args:?}: {stderr}");
            assert!(stderr.starts_with("hetero: error: "), "{args:?}: {stderr}");
        }
    }
}

pub(crate) fn help_and_version_succeed() {
    for args in [
        &["--help"][..],
        &["--version"],
        &["pi", "--help"],
        &["simpson", "--help"],
    ] {
        let out = hetero(args);
        assert!(out.status.success(), "{args:?}");
        assert!(!out.stdout.is_empty());
    }
}

/// Whether `hetero devices` lists an adapter: the suite runs the GPU command-line tests only where the
/// library found one (or where one is required), so a missing one here is a failure.
fn gpu_available() -> bool {
    let v = json_of(&["devices", "--json"]);
    let found = v["adapters"].as_array().is_some_and(|a| !a.is_empty());
    assert!(found, "'hetero devices' lists no adapter");
    found
}

pub(crate) fn json_of(args: &[&str]) -> Value {
    let out = hetero(args);
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{args:?}: not JSON ({e})"))
}

pub(crate) fn devices_lists_adapters_with_their_features() {
    let v = json_of(&["devices", "--json"]);
    let adapters = v["adapters"].as_array().expect("an adapters array");
    for (i, a) in adapters.iter().enumerate() {
        assert_eq!(a["index"].as_u64(), Some(i as u64));
        for key in ["name", "backend", "device_type", "driver"] {
            assert!(a[key].is_string(), "{key} in {a}");
        }
        for key in ["shader_f64", "shader_int64", "timestamp_query"] {
            assert!(a[key].is_boolean(), "{key} in {a}");
        }
        assert!(a["max_workgroups_per_dimension"].as_u64().is_some_and(|n| n > 0));
    }
    assert!(hetero(&["devices"]).status.success());
}

pub(crate) fn gpu_pi_equals_serial_and_reports_gpu_timing() {
    if !gpu_available() {
        return;
    }
    let serial = json(&["pi", "-n", "1048583", "--backend", "serial"]);
    let gpu = json(&["pi", "-n", "1048583", "--backend", "gpu"]);
    assert_eq!(gpu["hits"], serial["hits"]);
    assert_eq!(gpu["backend"], "gpu");
    assert_eq!(gpu["precision"], "exact");
    for key in [
        "adapter",
        "api",
        "compile_seconds",
        "execute_seconds",
        "host_seconds",
        "dispatches",
    ] {
        assert!(!gpu["gpu"][key].is_null(), "gpu.{key} missing in {gpu}");
    }
}

pub(crate) fn gpu_floats_report_their_precision_and_bound() {
    if !gpu_available() {
        return;
    }
    let problem = [
        "simpson", "-f", "gauss", "--sigma", "0.5", "--from", "-3", "--to", "3", "-n", "1e5",
    ];
    let cpu = json(&[&problem[..], &["--backend", "serial"]].concat());
    for precision in ["f32", "f64"] {
        let out = hetero(&[&problem[..], &["--backend", "gpu", "--precision", precision, "--json"]].concat());
        if !out.status.success() {
            // A device without 64-bit floats refuses f64 with a clear line.
            assert_eq!(precision, "f64", "{}", String::from_utf8_lossy(&out.stderr));
            assert!(String::from_utf8_lossy(&out.stderr).contains("SHADER_F64"));
            continue;
        }
        let gpu: Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(gpu["precision"], precision);
        let bound = gpu["gpu_bound"].as_f64().expect("a bound");
        let difference = (gpu["value"].as_f64().unwrap() - cpu["value"].as_f64().unwrap()).abs();
        assert!(difference <= bound, "{precision}: {difference} > {bound}");
    }
    let leibniz = json(&["leibniz", "-n", "1e6", "--backend", "gpu"]);
    assert!(leibniz["gpu_bound"].as_f64().is_some());
}

pub(crate) fn no_adapter_is_one_line_and_a_failure() {
    // No Metal adapter exists on Linux, so this asks for a GPU that is not there.
    if cfg!(target_os = "macos") {
        return;
    }
    let out = Command::new(env!("CARGO_BIN_EXE_hetero"))
        .args(["pi", "-n", "1000", "--backend", "gpu"])
        .env("WGPU_BACKEND", "metal")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(out.stdout.is_empty());
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(
        stderr.contains("no GPU adapter found") && stderr.contains("mesa-vulkan-drivers"),
        "{stderr}"
    );
}

pub(crate) fn closures_and_far_trig_arguments_are_refused_on_the_gpu() {
    if !gpu_available() {
        return;
    }
    let out = hetero(&["simpson", "-f", "sin", "--to", "1e7", "--backend", "gpu"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("use a CPU backend"));
}

#[cfg(not(feature = "mpi"))]
pub(crate) fn distributed_without_mpi_says_how_to_get_it() {
    let out = hetero(&["pi", "-n", "1000", "--distributed"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("--features mpi"), "{stderr}");
    assert_eq!(stderr.lines().count(), 1);
}

pub(crate) fn auto_is_the_default_and_explains_its_choice() {
    let v = json(&["pi", "-n", "3e6", "--explain"]);
    let explain = &v["explain"];
    let choice = explain["choice"].as_str().unwrap();
    assert_eq!(v["backend"], choice);
    let predictions = explain["predictions"].as_array().unwrap();
    let names: Vec<&str> = predictions.iter().map(|p| p["backend"].as_str().unwrap()).collect();
    for cpu in ["serial", "rayon", "threads"] {
        assert!(names.contains(&cpu), "{names:?}");
    }
    let seconds: Vec<f64> = predictions.iter().map(|p| p["seconds"].as_f64().unwrap()).collect();
    assert!(seconds.windows(2).all(|w| w[0] <= w[1]), "fastest first: {seconds:?}");
    assert_eq!(names[0], choice);

    let out = hetero(&["leibniz", "-n", "1e5", "--explain"]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success());
    assert!(text.contains("predicted times") && text.contains("chose "), "{text}");
    assert!(text.contains("(chosen by auto)"), "{text}");
}

pub(crate) fn a_corrupt_or_stale_cost_model_is_rebuilt_not_fatal() {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("corrupt-cost-model");
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("cost-model.json");
    let stale = r#"{"version":"0.0.0-old","costs":{},"adapters":{}}"#;
    for content in [
        "{ this is not json",
        stale,
        r#"{"version":"0.1.0","costs":{"pi/serial/1":{"overhead":-1,"per_block":1,"first_use":0}},"adapters":{}}"#,
    ] {
        std::fs::write(&file, content).unwrap();
        let out = Command::new(env!("CARGO_BIN_EXE_hetero"))
            .args(["leibniz", "-n", "1e5", "--json", "--threads", "2"])
            .env("HETERO_CACHE_DIR", &dir)
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        let v: Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(v["terms"], 100_000);
        let rebuilt: Value = serde_json::from_str(&std::fs::read_to_string(&file).unwrap()).unwrap();
        assert_eq!(rebuilt["version"], env!("CARGO_PKG_VERSION"));
        assert!(rebuilt["costs"]["leibniz/rayon/2"]["per_block"].as_f64().unwrap() > 0.0);
    }
}

pub(crate) fn compare_runs_every_cpu_backend_and_agrees() {
    let v = json_of(&["compare", "pi", "-n", "2e6", "--seed", "5", "--json"]);
    assert_eq!(v["agree"], true, "{v}");
    let runs = v["runs"].as_array().unwrap();
    let backends: Vec<&str> = runs.iter().map(|r| r["backend"].as_str().unwrap()).collect();
    assert!(backends.starts_with(&["serial", "rayon", "threads"]), "{backends:?}");
    let hits = &runs[0]["hits"];
    let stamp = &runs[0]["stamp"];
    for run in runs {
        assert_eq!(&run["hits"], hits);
        assert_eq!(&run["stamp"], stamp);
        assert_eq!(run["agree"], true);
        assert!(run["speedup"].as_f64().unwrap() > 0.0);
    }

    let out = hetero(&[
        "compare",
        "--backends",
        "serial,threads",
        "simpson",
        "-f",
        "gauss",
        "-n",
        "1e5",
    ]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(
        text.contains("reference") && text.contains("equal") && text.contains("all backends agree"),
        "{text}"
    );

    let out = hetero(&["compare", "leibniz", "--backend", "serial"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--backends"));
    // One backend agrees with nothing: bad input, not "all backends agree".
    let out = hetero(&["compare", "--backends", "serial", "pi", "-n", "1e5"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("needs two backends or more, not 1 (serial)"),
        "{stderr}"
    );
}

pub(crate) fn validate_checks_a_sample_of_blocks() {
    let v = json(&["leibniz", "-n", "2e7", "--backend", "rayon", "--validate"]);
    let validation = &v["validation"];
    assert_eq!(validation["agree"], true, "{v}");
    assert_eq!(validation["against"], "serial");
    assert!(validation["blocks"].as_u64().unwrap() >= 4);
    assert_eq!(validation["largest_difference"], 0.0);
}

pub(crate) fn target_error_reaches_the_target_and_equals_a_fixed_run() {
    let v = json(&["pi", "--target-error", "2e-3", "--seed", "9", "--backend", "threads"]);
    assert!(v["std_error"].as_f64().unwrap() <= 2e-3, "{v}");
    let samples = v["samples"].as_u64().unwrap().to_string();
    let fixed = json(&["pi", "-n", &samples, "--seed", "9", "--backend", "serial"]);
    assert_eq!(fixed["hits"], v["hits"]);
    assert_eq!(fixed["stamp"], v["stamp"]);

    let v = json(&[
        "simpson",
        "-f",
        "sin",
        "--to",
        "pi",
        "--target-error",
        "1e-10",
        "--backend",
        "rayon",
    ]);
    assert!(v["error_estimate"].as_f64().unwrap() <= 1e-10, "{v}");
    assert!((v["value"].as_f64().unwrap() - 2.0).abs() < 1e-9);

    let v = json(&["leibniz", "--target-error", "1e-6", "--backend", "serial"]);
    assert!(v["bound"].as_f64().unwrap() <= 1e-6);

    let out = hetero(&["pi", "-n", "1e6", "--target-error", "1e-3"]);
    assert_eq!(out.status.code(), Some(2));
    let out = hetero(&["pi", "--target-error", "0"]);
    assert_eq!(out.status.code(), Some(2));
}

pub(crate) fn stamps_name_the_problem_and_the_result() {
    let a = json(&["pi", "-n", "1e5", "--seed", "1", "--backend", "serial"]);
    let b = json(&["pi", "-n", "1e5", "--seed", "1", "--backend", "threads"]);
    let c = json(&["pi", "-n", "1e5", "--seed", "2", "--backend", "serial"]);
    assert_eq!(a["stamp"], b["stamp"]);
    assert_ne!(a["stamp"], c["stamp"]);
    assert_eq!(a["stamp"].as_str().unwrap().len(), 16);
    let text = String::from_utf8_lossy(&hetero(&["leibniz", "-n", "1e5"]).stdout).to_string();
    assert!(text.lines().any(|l| l.trim_start().starts_with("stamp")), "{text}");
}

/// Ctrl-C stops a long run between chunks: it prints the result of the blocks done, says which, and
/// exits 130; that result is exactly a fixed run of the samples completed.
#[cfg(unix)]
pub(crate) fn ctrl_c_prints_the_partial_result_and_exits_130() {
    let child = command()
        .args(["pi", "-n", "1e13", "--seed", "4", "--backend", "rayon", "--json"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(std::time::Duration::from_millis(1500));
    let status = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(130), "{stderr}");
    assert!(stderr.contains("interrupted: by Ctrl-C: blocks 0.."), "{stderr}");
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["interrupted"], true);
    let samples = v["samples"].as_u64().unwrap();
    assert!(samples > 0 && samples < 10_000_000_000_000);
    assert_eq!(samples, v["completed_blocks"].as_u64().unwrap() << 16);
    // Every count in the JSON describes the same completed part.
    assert_eq!(v["elements"].as_u64(), Some(samples));
    let fixed = json(&["pi", "-n", &samples.to_string(), "--seed", "4", "--backend", "serial"]);
    assert_eq!(fixed["hits"], v["hits"]);
}

pub(crate) fn calibrate_measures_every_cpu_backend() {
    let out = hetero(&["calibrate", "--json", "--threads", "2"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    let costs = v["costs"].as_array().unwrap();
    // Every built-in integrand costs differently per point, so each has costs of its own.
    let kernels = [
        "pi",
        "simpson/exp",
        "simpson/sin",
        "simpson/cos",
        "simpson/gauss",
        "simpson/pi",
        "simpson/poly",
        "leibniz",
        // One calibration each for every expression, whatever its operations and dimensions.
        "simpson/expr",
        "montecarlo/expr",
    ];
    for kernel in kernels {
        for backend in ["serial", "rayon", "threads"] {
            let entry = costs
                .iter()
                .find(|c| c["kernel"] == kernel && c["backend"] == backend)
                .unwrap_or_else(|| panic!("{kernel} {backend}: {v}"));
            assert!(entry["cost"]["per_block"].as_f64().unwrap() > 0.0);
        }
    }
}

pub(crate) fn gpu_compare_and_hybrid_agree_with_the_cpu() {
    if !gpu_available() {
        return;
    }
    let v = json_of(&["compare", "pi", "-n", "3e6", "--json"]);
    assert_eq!(v["agree"], true, "{v}");
    let backends: Vec<&str> = v["runs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["backend"].as_str().unwrap())
        .collect();
    assert!(
        backends.contains(&"gpu") && backends.contains(&"hybrid"),
        "{backends:?}"
    );

    let v = json_of(&[
        "compare",
        "--backends",
        "serial,gpu,hybrid",
        "leibniz",
        "-n",
        "1e7",
        "--json",
    ]);
    assert_eq!(v["agree"], true, "{v}");
    let hybrid = json(&["pi", "-n", "5e6", "--backend", "hybrid"]);
    let serial = json(&["pi", "-n", "5e6", "--backend", "serial"]);
    assert_eq!(hybrid["hits"], serial["hits"]);
    let split = &hybrid["split"];
    assert_eq!(
        split["gpu_blocks"].as_u64().unwrap() + split["cpu_blocks"].as_u64().unwrap(),
        hybrid["blocks"].as_u64().unwrap()
    );
    let validated = json(&["leibniz", "-n", "1e7", "--backend", "gpu", "--validate"]);
    assert_eq!(validated["validation"]["agree"], true, "{validated}");
}

/// The rows of a CSV file written by `hetero bench`, as maps from column to text.
fn csv_rows(path: &Path) -> Vec<std::collections::HashMap<String, String>> {
    let mut reader = csv::Reader::from_path(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let headers = reader.headers().unwrap().clone();
    reader
        .records()
        .map(|record| {
            let record = record.unwrap();
            headers
                .iter()
                .map(str::to_owned)
                .zip(record.iter().map(str::to_owned))
                .collect()
        })
        .collect()
}

fn number(row: &std::collections::HashMap<String, String>, column: &str) -> f64 {
    row[column]
        .parse()
        .unwrap_or_else(|e| panic!("{column} = {:?}: {e}", row[column]))
}

pub(crate) fn bench_writes_every_sweep_as_csv_and_svg() {
    let out = Path::new(env!("CARGO_TARGET_TMPDIR")).join("bench-out");
    let _ = std::fs::remove_dir_all(&out);
    let result = hetero(&[
        "bench",
        "--out",
        out.to_str().unwrap(),
        "--max-size",
        "2^12",
        "--repeats",
        "1",
        "--threads",
        "2",
    ]);
    assert!(result.status.success(), "{}", String::from_utf8_lossy(&result.stderr));
    let stdout = String::from_utf8_lossy(&result.stdout);
    for kernel in ["pi", "simpson_exp", "leibniz"] {
        assert!(
            stdout.contains(&format!("{kernel:<12} faster than serial: rayon")),
            "{stdout}"
        );
    }
    assert!(stdout.contains("grain serial"), "{stdout}");

    // Every CPU backend at both sizes (2^10 and 2^12) for every kernel, with consistent figures.
    let sizes = csv_rows(&out.join("sizes.csv"));
    for kernel in ["pi", "simpson_exp", "leibniz"] {
        for backend in ["serial", "rayon", "threads"] {
            let rows: Vec<_> = sizes
                .iter()
                .filter(|r| r["kernel"] == kernel && r["backend"] == backend)
                .collect();
            let elements: Vec<f64> = rows.iter().map(|r| number(r, "elements")).collect();
            // Simpson's n intervals are n + 1 points.
            let extra = if kernel == "simpson_exp" { 1.0 } else { 0.0 };
            assert_eq!(elements, [1024.0 + extra, 4096.0 + extra], "{kernel} {backend}");
            for row in rows {
                let (seconds, rate) = (number(row, "seconds"), number(row, "elements_per_second"));
                assert!(seconds > 0.0);
                assert!((rate * seconds / number(row, "elements") - 1.0).abs() < 1e-9);
            }
        }
    }

    // Speed-up at 1 and 2 threads for rayon and threads; efficiency is speed-up per thread.
    let threads = csv_rows(&out.join("threads.csv"));
    assert_eq!(threads.len(), 3 * 2 * 2);
    for row in &threads {
        let efficiency = number(row, "speedup") / number(row, "threads");
        assert!(
            (number(row, "efficiency") - efficiency).abs() <= 1e-12 * efficiency,
            "{row:?}"
        );
    }

    // The same number of terms at every block size, and the block counts that follow from it.
    let grain = csv_rows(&out.join("grain.csv"));
    assert_eq!(grain.len(), 2 * 8);
    for row in &grain {
        let (block, blocks, elements) = (
            number(row, "block_terms"),
            number(row, "blocks"),
            number(row, "elements"),
        );
        assert_eq!(elements, 4_194_304.0);
        assert_eq!(blocks, (elements / block).ceil(), "{row:?}");
    }

    for (file, title) in [
        ("sizes-pi.svg", "pi: throughput against size"),
        ("sizes-simpson_exp.svg", "simpson_exp: throughput against size"),
        ("sizes-leibniz.svg", "leibniz: throughput against size"),
        ("threads.svg", "speed-up over serial against threads"),
        ("grain.svg", "cut into blocks of each size"),
    ] {
        let svg = std::fs::read_to_string(out.join(file)).unwrap();
        assert!(svg.starts_with("<svg") && svg.trim_end().ends_with("</svg>"), "{file}");
        assert!(svg.contains(title), "{file}");
        assert!(svg.contains("<polyline"), "{file} has no lines");
    }
}

pub(crate) fn bench_reports_an_unwritable_directory_in_one_line() {
    let file = Path::new(env!("CARGO_TARGET_TMPDIR")).join("bench-not-a-directory");
    std::fs::write(&file, "a file").unwrap();
    let result = hetero(&[
        "bench",
        "--out",
        file.join("sub").to_str().unwrap(),
        "--max-size",
        "2^12",
    ]);
    assert_eq!(result.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&result.stderr);
    assert_eq!(stderr.trim().lines().count(), 1, "{stderr}");
    assert!(stderr.contains("--out"), "{stderr}");
    // Sizes that leave nothing to plot are refused before any work.
    for size in ["100", "2^10"] {
        let result = hetero(&["bench", "--max-size", size, "--out", file.join("sub").to_str().unwrap()]);
        assert_eq!(result.status.code(), Some(2));
        assert!(String::from_utf8_lossy(&result.stderr).contains("--max-size"));
    }
}

/// `HETERO_SIMD` lowers the instruction set of the vector loops (the report says which ran) without
/// changing a bit; a value that is not an instruction set is one line and exit code 2.
pub(crate) fn hetero_simd_picks_a_narrower_path_with_the_same_bits() {
    let run = |level: &str| {
        let out = command()
            .args(["simpson", "-f", "gauss", "-n", "1e6", "--backend", "rayon", "--json"])
            .env("HETERO_SIMD", level)
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        serde_json::from_slice::<Value>(&out.stdout).unwrap()
    };
    let widest = run("");
    for level in ["avx2", "portable"] {
        let narrower = run(level);
        assert_eq!(narrower["stamp"], widest["stamp"], "{level}");
        // The path that ran is the one asked for, or a narrower one where the processor lacks it.
        let ran = narrower["simd"].as_str().unwrap();
        assert!(ran == level || ran == "portable", "{level}: {ran}");
    }
    let out = command()
        .args(["pi", "-n", "1e6"])
        .env("HETERO_SIMD", "sse9")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.starts_with("hetero: error: HETERO_SIMD=sse9") && stderr.lines().count() == 1,
        "{stderr}"
    );
}

pub(crate) fn expressions_from_the_command_line() {
    let args = [
        "simpson",
        "--expr",
        "exp(-x^2)",
        "--from",
        "0",
        "--to",
        "1",
        "-n",
        "65_541",
    ];
    let v = json(&args);
    assert_eq!(v["expr"], "exp(-x^2)");
    assert_eq!(v["function"], "exp(-x^2)");
    let expected = std::f64::consts::PI.sqrt() / 2.0 * 0.842_700_792_949_714_9;
    assert!((v["value"].as_f64().unwrap() - expected).abs() < 1e-14);
    // The same bits and stamp on every CPU backend and thread count.
    for backend in ["serial", "rayon", "threads"] {
        for threads in ["1", "3"] {
            let mut with = args.to_vec();
            with.extend(["--backend", backend, "--threads", threads]);
            let w = json(&with);
            assert_eq!(
                w["value"].as_f64().map(f64::to_bits),
                v["value"].as_f64().map(f64::to_bits)
            );
            assert_eq!(w["stamp"], v["stamp"], "{backend} {threads}");
        }
    }
    // `exp(x)` is the built-in exp, bit for bit.
    let expr = json(&["simpson", "--expr", "exp(x)", "-n", "1e5", "--backend", "serial"]);
    let builtin = json(&["simpson", "-f", "exp", "-n", "1e5", "--backend", "serial"]);
    assert_eq!(
        expr["value"].as_f64().map(f64::to_bits),
        builtin["value"].as_f64().map(f64::to_bits)
    );

    // Bad expressions: one line, exit 2, the column.
    for (source, message) in [
        (
            "sin(x) + sinh2(x)",
            "hetero: error: unknown function 'sinh2' at column 10; the functions are exp,",
        ),
        ("", "hetero: error: the expression is empty"),
        ("(x + 1", "hetero: error: '(' is never closed at column 1"),
        (
            "x + y",
            "hetero: error: unknown variable 'y' at column 5; the variables are x or x1",
        ),
        (
            "exp(x, 1)",
            "hetero: error: exp() takes 1 argument, given 2 at column 1",
        ),
        (
            "x +",
            "hetero: error: expected a number, a variable, a function or '(', found the end at column 4",
        ),
    ] {
        let out = hetero(&["simpson", "--expr", source]);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{source}: {stderr}");
        assert!(stderr.starts_with(message), "{source}: {stderr}");
        assert_eq!(stderr.lines().count(), 1, "{source}: {stderr}");
    }
    let out = hetero(&["simpson", "--expr", "x", "-f", "sin"]);
    assert_eq!(out.status.code(), Some(2));
    // A value that is not finite: exit 1, naming a point where it is not.
    let out = hetero(&["simpson", "--expr", "sqrt(x-0.5)", "-n", "1000"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.starts_with("hetero: error: sqrt(x-0.5) is not finite at x = 0e0"),
        "{stderr}"
    );
    assert!(out.stdout.is_empty());
    // An integral that diverges, though every point is finite: exit 1, naming where and how fast.
    for (args, point) in [
        (&["simpson", "--expr", "1/(x-0.5)", "-n", "1000"][..], "near x = 0.5"),
        (
            &["simpson", "--expr", "tan(x)", "--to", "3", "-n", "1e6"][..],
            "near x = 1.5707963267949",
        ),
        (
            &["montecarlo", "--expr", "1/x^2", "--box", "0:1"][..],
            "|x|^-2.00 near x = 0",
        ),
        (
            &["integrate", "1/x", "--from", "-1", "--to", "2"][..],
            "|x|^-1.00 near x = 0",
        ),
        (
            &["integrate", "1/x", "--from", "1", "--to", "inf"][..],
            "towards x = inf",
        ),
    ] {
        let out = hetero(args);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{args:?}: {stderr}");
        assert!(
            stderr.contains(" diverges: ") && stderr.contains(point),
            "{args:?}: {stderr}"
        );
        assert!(out.stdout.is_empty(), "{args:?}");
    }
}

pub(crate) fn montecarlo_from_the_command_line() {
    let args = [
        "montecarlo",
        "--expr",
        "exp(-x*y)",
        "--box",
        "0:1,-pi/2:pi/2",
        "-n",
        "100_003",
        "--seed",
        "9",
    ];
    let v = json(&args);
    assert_eq!(v["kernel"], "montecarlo");
    assert_eq!(v["expr"], "exp(-x*y)");
    assert_eq!(v["dims"], 2);
    assert_eq!(v["box"][1][0].as_f64(), Some(-std::f64::consts::FRAC_PI_2));
    assert_eq!(v["samples"], 100_003);
    assert_eq!(v["seed"], 9);
    let (value, std_error) = (v["value"].as_f64().unwrap(), v["std_error"].as_f64().unwrap());
    let ci = (v["ci95"][0].as_f64().unwrap(), v["ci95"][1].as_f64().unwrap());
    assert!(ci.0 < value && value < ci.1 && std_error > 0.0);
    // ∫₀¹ ∫ e^(−xy) dy dx over y in [−π/2, π/2] = ∫₀¹ 2 sinh(πx/2)/x dx = 2 Shi(π/2) ≈ 3.605486
    assert!((value - 3.605_486).abs() < 5.0 * std_error, "{value} ± {std_error}");
    for backend in ["serial", "rayon", "threads"] {
        for threads in ["1", "3"] {
            let mut with = args.to_vec();
            with.extend(["--backend", backend, "--threads", threads]);
            let w = json(&with);
            assert_eq!(w["stamp"], v["stamp"], "{backend} {threads}");
            assert_eq!(w["value"].as_f64().map(f64::to_bits), Some(value.to_bits()));
        }
    }
    // Shards on two backends merge into the single run's stamp.
    let dir = std::env::temp_dir().join(format!("hetero-montecarlo-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let shards: Vec<String> = (0..2)
        .map(|i| dir.join(format!("s{i}")).display().to_string())
        .collect();
    for (i, backend) in ["serial", "rayon"].into_iter().enumerate() {
        let shard = format!("{i}/2");
        let mut with = args.to_vec();
        with.extend(["--backend", backend, "--shard", &shard, "--partial", &shards[i]]);
        assert!(hetero(&with).status.success());
    }
    let merged = json_of(&["merge", &shards[1], &shards[0], "--json"]);
    assert_eq!(merged["stamp"], v["stamp"]);
    let _ = std::fs::remove_dir_all(&dir);
    // --target-error reaches it, and equals a run of the size reached.
    let t = json(&[
        "montecarlo",
        "--expr",
        "x*y",
        "--box",
        "0:1,0:1",
        "--target-error",
        "1e-4",
    ]);
    assert!(t["std_error"].as_f64().unwrap() <= 1e-4 && t["target_reached"] == true);
    let n = t["samples"].as_u64().unwrap().to_string();
    let fixed = json(&[
        "montecarlo",
        "--expr",
        "x*y",
        "--box",
        "0:1,0:1",
        "-n",
        &n,
        "--backend",
        "serial",
    ]);
    assert_eq!(fixed["stamp"], t["stamp"]);

    for (args, code, message) in [
        (
            vec!["--expr", "x + y", "--box", "0:1"],
            2,
            "hetero: error: unknown variable 'y' at column 5",
        ),
        (
            vec!["--expr", "x", "--box", "0"],
            2,
            "hetero: error: invalid value '0' for '--box",
        ),
        (vec!["--expr", "x", "--box", "0:inf"], 2, "hetero: error: invalid value"),
        (
            vec!["--expr", "x", "--box", "0:1", "-n", "0"],
            2,
            "hetero: error: invalid value '0'",
        ),
        (
            vec!["--expr", "log(x - 0.5)", "--box", "0:1", "-n", "100"],
            1,
            "hetero: error: log(x - 0.5) is not finite at (",
        ),
    ] {
        let mut with = vec!["montecarlo", "--backend", "serial"];
        with.extend(args.iter());
        let out = hetero(&with);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(code), "{args:?}: {stderr}");
        assert!(stderr.starts_with(message), "{args:?}: {stderr}");
        assert!(out.stdout.is_empty());
    }
}
