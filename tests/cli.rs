//! The built `hetero` binary on good and bad input: exit codes, output, and agreement with the library.

use std::process::{Command, Output};

use hetero::kernels::MonteCarloPi;
use hetero::{Backend, Engine};
use serde_json::Value;

fn hetero(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_hetero"))
        .args(args)
        .output()
        .expect("the hetero binary runs")
}

/// Runs `hetero ARGS --json` and parses its output.
fn json(args: &[&str]) -> Value {
    let mut with_json = args.to_vec();
    with_json.push("--json");
    json_of(&with_json)
}

#[test]
fn pi_json_matches_the_library_on_every_backend() {
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

#[test]
fn seeds_span_all_of_u64() {
    let v = json(&["pi", "-n", "1000", "--seed", "18446744073709551615"]);
    assert_eq!(v["seed"].as_u64(), Some(u64::MAX));
}

#[test]
fn simpson_json_has_its_fields() {
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

#[test]
fn simpson_takes_negative_bounds_pi_multiples_and_parameters() {
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

#[test]
fn odd_intervals_are_rounded_up_and_reported() {
    let out = hetero(&["simpson", "-n", "7", "--json"]);
    assert!(out.status.success());
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["intervals"].as_u64(), Some(8));
    assert_eq!(v["requested_intervals"].as_u64(), Some(7));
    assert!(String::from_utf8_lossy(&out.stderr).contains("rounded up to 8"));
}

#[test]
fn leibniz_json_has_its_fields() {
    let v = json(&["leibniz", "--terms", "1e6", "--backend", "threads", "--threads", "3"]);
    assert_eq!(v["kernel"], "leibniz");
    assert_eq!(v["terms"].as_u64(), Some(1_000_000));
    let value = v["value"].as_f64().unwrap();
    let bound = v["error_estimate"].as_f64().unwrap();
    assert!((value - std::f64::consts::PI).abs() < bound);
    assert_eq!(v["threads"].as_u64(), Some(3));
}

#[test]
fn human_output_names_value_error_backend_time_and_throughput() {
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

#[test]
fn bad_input_is_one_line_and_exit_code_two() {
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

#[test]
fn help_and_version_succeed() {
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

/// Whether the GPU command-line tests can run here; fails instead under `HETERO_REQUIRE_GPU=1`.
fn gpu_available() -> bool {
    let v = json_of(&["devices", "--json"]);
    let found = v["adapters"].as_array().is_some_and(|a| !a.is_empty());
    if !found {
        assert!(
            std::env::var("HETERO_REQUIRE_GPU").map_or(true, |v| v != "1"),
            "HETERO_REQUIRE_GPU=1 but 'hetero devices' lists no adapter"
        );
        use std::io::Write;
        let _ = writeln!(std::io::stderr(), "skipping the GPU command-line tests: no adapter");
    }
    found
}

fn json_of(args: &[&str]) -> Value {
    let out = hetero(args);
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{args:?}: not JSON ({e})"))
}

#[test]
fn devices_lists_adapters_with_their_features() {
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

#[test]
fn gpu_pi_equals_serial_and_reports_gpu_timing() {
    if !gpu_available() {
        return;
    }
    let serial = json(&["pi", "-n", "1048583", "--backend", "serial"]);
    let gpu = json(&["pi", "-n", "1048583", "--backend", "gpu"]);
    assert_eq!(gpu["hits"], serial["hits"]);
    assert_eq!(gpu["backend"], "gpu");
    assert_eq!(gpu["precision"], "exact");
    for key in ["adapter", "api", "compile_seconds", "execute_seconds", "submissions"] {
        assert!(!gpu["gpu"][key].is_null(), "gpu.{key} missing in {gpu}");
    }
}

#[test]
fn gpu_floats_report_their_precision_and_bound() {
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

#[test]
fn no_adapter_is_one_line_and_a_failure() {
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

#[test]
fn closures_and_far_trig_arguments_are_refused_on_the_gpu() {
    if !gpu_available() {
        return;
    }
    let out = hetero(&["simpson", "-f", "sin", "--to", "1e7", "--backend", "gpu"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("use a CPU backend"));
}

#[cfg(not(feature = "mpi"))]
#[test]
fn distributed_without_mpi_says_how_to_get_it() {
    let out = hetero(&["pi", "-n", "1000", "--distributed"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("--features mpi"), "{stderr}");
    assert_eq!(stderr.lines().count(), 1);
}
