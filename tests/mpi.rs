//! `--distributed` under `mpiexec -n 1, 2, 3`: exactly the single-process result (needs `--features mpi`
//! and a system MPI's `mpiexec`).
#![cfg(feature = "mpi")]

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

const HETERO: &str = env!("CARGO_BIN_EXE_hetero");

/// Held by every test: one launcher at a time, so that a signal sent to one finds its ranks running
/// without the others' load.
static ONE_LAUNCHER: std::sync::Mutex<()> = std::sync::Mutex::new(());

/// This test's turn to launch.
fn turn() -> std::sync::MutexGuard<'static, ()> {
    ONE_LAUNCHER.lock().unwrap_or_else(|e| e.into_inner())
}

fn single(args: &[&str]) -> Value {
    let out = Command::new(HETERO)
        .args(args)
        .arg("--json")
        .output()
        .expect("hetero runs");
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("JSON")
}

/// Runs `mpiexec` with `args`, killing it if it outlives `limit` (a hang is a failure too).
fn mpiexec(args: &[&str], limit: Duration) -> (Option<i32>, String, String) {
    let mut child = Command::new("mpiexec")
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("mpiexec is installed (Debian: mpich)");
    let start = Instant::now();
    loop {
        if let Some(_status) = child.try_wait().expect("waiting for mpiexec") {
            break;
        }
        if start.elapsed() > limit {
            let _ = child.kill();
            panic!("mpiexec {args:?} hung for {limit:?}");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let out = child.wait_with_output().expect("mpiexec output");
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn distributed(ranks: usize, args: &[&str]) -> Value {
    let ranks = ranks.to_string();
    let mut all = vec!["-n", ranks.as_str(), HETERO];
    all.extend_from_slice(args);
    all.extend(["--distributed", "--json"]);
    let (code, stdout, stderr) = mpiexec(&all, Duration::from_secs(120));
    assert_eq!(code, Some(0), "{all:?}: {stderr}");
    // Rank 0 prints; the others print nothing.
    assert_eq!(stdout.lines().count(), 1, "{stdout}");
    serde_json::from_str(&stdout).expect("JSON")
}

#[test]
fn every_rank_count_gives_the_single_process_result() {
    let _turn = turn();
    let problems: &[&[&str]] = &[
        &["pi", "-n", "3000017", "--seed", "11"],
        &["pi", "-n", "5", "--seed", "3"],
        &["simpson", "-f", "exp", "-n", "1000003"],
        &[
            "simpson", "-f", "gauss", "--from", "-4", "--to", "7", "--sigma", "1.5", "-n", "777777",
        ],
        &["leibniz", "-n", "10000019"],
    ];
    for problem in problems {
        let reference = single(problem);
        for ranks in 1..=3 {
            for backend in ["serial", "rayon", "threads"] {
                let mut args = problem.to_vec();
                args.extend(["--backend", backend]);
                let v = distributed(ranks, &args);
                assert_eq!(v["ranks"].as_u64(), Some(ranks as u64));
                assert_eq!(
                    v["value"].as_f64().map(f64::to_bits),
                    reference["value"].as_f64().map(f64::to_bits),
                    "{problem:?} on {ranks} ranks ({backend})"
                );
                assert_eq!(v["error_estimate"], reference["error_estimate"]);
                assert_eq!(v["hits"], reference["hits"]);
                let per_rank = v["per_rank"].as_array().expect("per-rank reports");
                assert_eq!(per_rank.len(), ranks);
                // The ranges tile the blocks in rank order.
                let mut next = 0;
                for r in per_rank {
                    assert_eq!(r["blocks"][0].as_u64(), Some(next));
                    next = r["blocks"][1].as_u64().unwrap();
                }
                assert_eq!(Some(next), v["blocks"].as_u64());
            }
        }
    }
}

#[test]
fn bad_arguments_are_reported_once() {
    let _turn = turn();
    let (code, stdout, stderr) = mpiexec(
        &["-n", "3", HETERO, "pi", "-n", "0", "--distributed"],
        Duration::from_secs(60),
    );
    assert_ne!(code, Some(0), "{stderr}");
    assert!(stdout.is_empty());
    assert_eq!(stderr.matches("hetero: error:").count(), 1, "{stderr}");
}

#[test]
fn an_error_on_one_rank_stops_every_rank() {
    let _turn = turn();
    // Rank 1 looks for a Metal GPU, which a Linux machine never has; rank 0 may or may not have a GPU.
    // Either way the run must end, non-zero, with a line naming the failing rank.
    let run = [HETERO, "pi", "-n", "1e6", "--backend", "gpu", "--distributed"];
    let mut args = vec!["-n", "1"];
    args.extend(run);
    args.extend([":", "-n", "1", "-env", "WGPU_BACKEND", "metal"]);
    args.extend(run);
    let (code, _stdout, stderr) = mpiexec(&args, Duration::from_secs(120));
    assert_ne!(code, Some(0), "{stderr}");
    assert!(stderr.contains("error on rank 1 of 2"), "{stderr}");
}

/// Ranks started with different problems (sizes, kernels) or with bad input on one rank alone: one
/// clear error and a non-zero exit, within seconds, never a result of neither problem and never a hang.
#[test]
fn ranks_that_disagree_stop_before_any_work() {
    let _turn = turn();
    let cases: [(&[&str], &[&str], &str); 3] = [
        (&["pi", "-n", "1e6"], &["pi", "-n", "2e6"], "different problem"),
        (&["pi", "-n", "1e6"], &["leibniz", "-n", "1e6"], "different problem"),
        (&["pi", "-n", "1e6"], &["pi", "-n", "-5"], "could not start its part"),
    ];
    for (first, second, says) in cases {
        let mut all = vec!["-n", "1", HETERO];
        all.extend_from_slice(first);
        all.extend(["--distributed", ":", "-n", "1", HETERO]);
        all.extend_from_slice(second);
        all.push("--distributed");
        let (code, stdout, stderr) = mpiexec(&all, Duration::from_secs(30));
        assert!(code.is_some_and(|c| c != 0), "{all:?}: {code:?} {stderr}");
        assert!(stdout.trim().is_empty(), "{all:?} printed a result: {stdout}");
        assert!(stderr.contains(says), "{all:?}: {stderr}");
    }
    // Backends and thread counts may differ between ranks: the result is the same.
    let (code, stdout, stderr) = mpiexec(
        &[
            "-n",
            "1",
            HETERO,
            "pi",
            "-n",
            "1e6",
            "--backend",
            "rayon",
            "--distributed",
            "--json",
            ":",
            "-n",
            "1",
            HETERO,
            "pi",
            "-n",
            "1e6",
            "--backend",
            "serial",
            "--threads",
            "1",
            "--distributed",
            "--json",
        ],
        Duration::from_secs(60),
    );
    assert_eq!(code, Some(0), "{stderr}");
    let v: Value = serde_json::from_str(&stdout).expect("JSON");
    assert_eq!(v["hits"], single(&["pi", "-n", "1e6"])["hits"]);
}

/// Ctrl-C to mpiexec reaches every rank: the ranks stop, rank 0 prints the result of the blocks done
/// without a gap from block 0 (exactly the smaller problem they make up) and every rank exits 130.
#[test]
fn ctrl_c_to_mpiexec_prints_the_partial_result() {
    let _turn = turn();
    let args = [
        "pi",
        "-n",
        "1e13",
        "--seed",
        "3",
        "--backend",
        "rayon",
        "--distributed",
        "--json",
    ];
    let (stdout, stderr, codes) = interrupted(2, &args, "ctrl-c");
    assert_eq!(codes, [Some(130), Some(130)], "{stdout} {stderr}");
    assert!(stderr.contains("interrupted: by Ctrl-C"), "{stderr}");
    // mpiexec writes its own notes on stdout: the result is the JSON line.
    let line = stdout
        .lines()
        .find(|l| l.starts_with('{'))
        .expect("rank 0 printed the result");
    let v: Value = serde_json::from_str(line).unwrap();
    assert_eq!(v["interrupted"], true);
    let samples = v["samples"].as_u64().unwrap();
    assert!(samples > 0 && samples < 10_000_000_000_000);
    assert_eq!(v["elements"].as_u64(), Some(samples));
    let fixed = single(&["pi", "-n", &samples.to_string(), "--seed", "3", "--backend", "rayon"]);
    assert_eq!(fixed["hits"], v["hits"]);
}

/// Runs `hetero ARGS` on `ranks` ranks and sends mpiexec Ctrl-C once they run: mpiexec's stdout and
/// stderr, and each rank's own exit code. (Each rank runs under a shell that records its code, because
/// MPICH's mpiexec, once interrupted, does not reliably exit with its ranks' code.)
fn interrupted(ranks: usize, args: &[&str], name: &str) -> (String, String, Vec<Option<i32>>) {
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join("mpi-codes")
        .join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    // The shell's trap only defers its own exit; hetero, started from it, gets Ctrl-C as usual.
    let record = format!(
        "trap true INT; \"$0\" \"$@\"; code=$?; echo $code > '{}'/rank-$PMI_RANK; exit $code",
        dir.display()
    );
    let child = Command::new("mpiexec")
        .args(["-n", &ranks.to_string(), "bash", "-c", &record, HETERO])
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("mpiexec is installed (Debian: mpich)");
    // Long enough for mpiexec to start the ranks and for them to install their handlers: a signal
    // before that ends a rank the default way.
    std::thread::sleep(Duration::from_millis(4000));
    let sent = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(sent.success());
    let out = child.wait_with_output().unwrap();
    let codes = (0..ranks)
        .map(|rank| {
            let text = std::fs::read_to_string(dir.join(format!("rank-{rank}"))).ok()?;
            text.trim().parse().ok()
        })
        .collect();
    (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
        codes,
    )
}

/// A distributed run with `--checkpoint` stopped by Ctrl-C leaves one checkpoint per rank; the same
/// command resumes each rank's range and ends in the single process's bits. Another problem given the
/// same files is refused on the rank that reads them, and every rank stops.
#[test]
fn a_stopped_distributed_run_resumes_from_each_ranks_checkpoint() {
    let _turn = turn();
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("mpi-checkpoint");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let checkpoint = dir.join("pi.ckpt").to_str().unwrap().to_owned();
    let args = [
        "-n",
        "2",
        HETERO,
        "pi",
        "-n",
        "3e10",
        "--seed",
        "8",
        "--backend",
        "rayon",
        "--threads",
        "1",
        "--distributed",
        "--json",
        "-q",
        "--checkpoint",
        &checkpoint,
        "--checkpoint-every",
        "0.5",
    ];
    let (stdout, stderr, codes) = interrupted(2, &args[3..], "checkpoint");
    assert_eq!(codes, [Some(130), Some(130)], "{stdout} {stderr}");
    assert!(
        stderr.contains("pi.ckpt.rank-*-of-2: the same command resumes"),
        "{stderr}"
    );
    let saved: Vec<hetero::checkpoint::PartialResult> = (0..2)
        .map(|rank| {
            let path = hetero::distributed::rank_checkpoint(std::path::Path::new(&checkpoint), rank, 2);
            hetero::checkpoint::PartialResult::read(&path).expect("each rank saved its checkpoint")
        })
        .collect();
    assert!(
        saved.iter().all(|s| s.done().end > s.done().start),
        "both ranks made progress"
    );

    // Another problem given these files: refused, and nothing runs.
    let other = args.map(|a| if a == "3e10" { "2e10" } else { a });
    let (code, _, stderr) = mpiexec(&other, Duration::from_secs(60));
    assert_ne!(code, Some(0));
    assert!(
        stderr.contains("is for blocks") && stderr.contains("samples=30000000000"),
        "{stderr}"
    );
    for (rank, before) in saved.iter().enumerate() {
        let path = hetero::distributed::rank_checkpoint(std::path::Path::new(&checkpoint), rank, 2);
        assert_eq!(
            &hetero::checkpoint::PartialResult::read(&path).unwrap(),
            before,
            "left as it was"
        );
    }

    // The same command finishes the run: the single process's bits, and the ranks' files merge to them.
    let (code, stdout, stderr) = mpiexec(&args, Duration::from_secs(300));
    assert_eq!(code, Some(0), "{stderr}");
    let line = stdout
        .lines()
        .find(|l| l.starts_with('{'))
        .expect("rank 0 printed the result");
    let resumed: Value = serde_json::from_str(line).unwrap();
    let fixed = single(&["pi", "-n", "3e10", "--seed", "8", "--backend", "rayon"]);
    assert_eq!(resumed["stamp"], fixed["stamp"]);
    assert_eq!(resumed["interrupted"], false);
    let files: Vec<String> = (0..2)
        .map(|rank| {
            let path = hetero::distributed::rank_checkpoint(std::path::Path::new(&checkpoint), rank, 2);
            path.to_str().unwrap().to_owned()
        })
        .collect();
    let merged = single(&["merge", &files[0], &files[1]]);
    assert_eq!(merged["stamp"], fixed["stamp"]);
}
