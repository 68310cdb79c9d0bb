//! Checkpoints, shards and `hetero merge` through the built binary: killed runs resume to the same
//! stamp, shards merge to the single run, and every file that does not fit is one clear error.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use hetero::checkpoint::PartialResult;
use serde_json::Value;

use crate::cli::{command, hetero, json_of};

/// An empty directory of this test's own.
fn scratch(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("saved").join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn text(path: &Path) -> String {
    path.to_str().unwrap().to_owned()
}

/// `args` plus `--json`, run to completion, parsed.
fn run_json(args: &[&str]) -> Value {
    let mut args = args.to_vec();
    args.push("--json");
    if args[0] != "merge" {
        args.push("-q");
    }
    json_of(&args)
}

/// The one line an error prints, with the exit code.
fn failure(args: &[&str]) -> (Option<i32>, String) {
    let out = hetero(args);
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_eq!(stderr.lines().count(), 1, "{args:?}: {stderr}");
    assert!(stderr.starts_with("hetero: error: "), "{stderr}");
    (out.status.code(), stderr)
}

/// Kills (SIGKILL) a checkpointing run, over and over, switching backends, until a run finishes: the
/// first three as soon as they have saved more, the others at pseudo-random moments; every checkpoint left behind reads back, progress is made, and the final
/// result's stamp equals an uninterrupted run's.
fn killed_runs_resume_to_the_same_stamp(problem: &[&str], dir: &Path) {
    let checkpoint = dir.join("run.ckpt");
    let uninterrupted = run_json(&[problem, &["--backend", "rayon"]].concat());
    let backends = ["rayon", "threads", "serial"];
    let mut state = 0x9e37_79b9_7f4a_7c15u64 ^ u64::from(std::process::id());
    let (mut kills, mut last_done) = (0, 0);
    for attempt in 0.. {
        assert!(attempt < 60, "no run finished after {attempt} attempts");
        state = state
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        let after = Duration::from_millis(150 + (state >> 33) % 600);
        let backend = backends[attempt % backends.len()];
        let mut child = command()
            .args(problem)
            .args(["--backend", backend, "--json", "-q", "--checkpoint-every", "0.1"])
            .args(["--checkpoint", &text(&checkpoint)])
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let started = Instant::now();
        // The first three runs are killed just after they save progress, so that every machine, however
        // fast, resumes at least three times; the next nine at their random moment; the last one runs to
        // its end, so that a slow or loaded machine finishes too.
        let saved_more = || PartialResult::read(&checkpoint).is_ok_and(|saved| saved.done().end > last_done);
        let due = |elapsed: Duration| match kills {
            0..3 => saved_more() || elapsed > Duration::from_secs(10),
            3..12 => elapsed >= after,
            _ => false,
        };
        while !due(started.elapsed()) && child.try_wait().unwrap().is_none() {
            std::thread::sleep(Duration::from_millis(5));
        }
        if child.try_wait().unwrap().is_none() {
            child.kill().unwrap();
            child.wait().unwrap();
            kills += 1;
            let saved = PartialResult::read(&checkpoint).expect("a killed run leaves a whole checkpoint");
            assert!(saved.done().end >= last_done, "the checkpoint went backwards");
            last_done = saved.done().end;
            continue;
        }
        let out = child.wait_with_output().unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        let v: Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(v["stamp"], uninterrupted["stamp"], "after {kills} kills");
        assert_eq!(v["value"], uninterrupted["value"]);
        assert_eq!(v["interrupted"], false);
        assert_eq!(v["completed_blocks"], uninterrupted["completed_blocks"]);
        break;
    }
    assert!(
        kills >= 3 && last_done > 0,
        "{kills} kills, {last_done} blocks saved: too few to test resuming"
    );
    // Nothing but the checkpoint is left in the directory: a temporary file left by a kill during a
    // write is replaced by the next write and renamed away.
    let names: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(names, ["run.ckpt"], "{names:?}");
}

pub(crate) fn killed_pi_runs_resume_to_the_same_stamp() {
    killed_runs_resume_to_the_same_stamp(&["pi", "-n", "6e9", "--seed", "11"], &scratch("killed-pi"));
}

pub(crate) fn killed_simpson_runs_resume_to_the_same_stamp() {
    let problem = [
        "simpson", "-f", "gauss", "--x0", "0.3", "--sigma", "0.7", "--from", "-1", "--to", "2", "-n", "3e9",
    ];
    killed_runs_resume_to_the_same_stamp(&problem, &scratch("killed-simpson"));
}

/// SIGTERM saves the checkpoint and exits 143, naming the file; the same command then finishes the run.
#[cfg(unix)]
pub(crate) fn sigterm_saves_the_checkpoint_and_the_same_command_resumes() {
    let dir = scratch("sigterm");
    let checkpoint = text(&dir.join("leibniz.ckpt"));
    let args = [
        "leibniz",
        "-n",
        "4e11",
        "--backend",
        "rayon",
        "--json",
        "-q",
        "--checkpoint",
        &checkpoint,
    ];
    let child = command()
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_millis(1500));
    assert!(
        Command::new("kill")
            .args(["-TERM", &child.id().to_string()])
            .status()
            .unwrap()
            .success()
    );
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(143), "{stderr}");
    assert!(
        stderr.contains(&format!("saved in {checkpoint}: the same command resumes")),
        "{stderr}"
    );
    let stopped: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(stopped["interrupted"], true);
    let saved = PartialResult::read(Path::new(&checkpoint)).unwrap();
    assert_eq!(Some(saved.done().end), stopped["completed_blocks"].as_u64());
    // The rest of the series, resumed on another backend; the stopped prefix is exactly that problem.
    let prefix = stopped["terms"].as_u64().unwrap();
    let fixed = run_json(&["leibniz", "-n", &prefix.to_string(), "--backend", "serial"]);
    assert_eq!(fixed["value"], stopped["value"]);
}

/// A checkpoint of another problem, a corrupt one, and one that cannot be written are one line each
/// (exit 2 for what the user gave, 1 for the system's refusal), and the file given is never damaged.
pub(crate) fn checkpoint_files_that_do_not_fit_are_one_line() {
    let dir = scratch("errors");
    let checkpoint = dir.join("pi.ckpt");
    let path = text(&checkpoint);
    run_json(&["pi", "-n", "1e7", "--backend", "serial", "--checkpoint", &path]);
    let before = std::fs::read(&checkpoint).unwrap();

    // A finished checkpoint is the result, without computing (or a GPU for `--backend gpu`).
    let again = run_json(&[
        "pi",
        "-n",
        "1e7",
        "--backend",
        "gpu",
        "--adapter",
        "no-such-gpu",
        "--checkpoint",
        &path,
    ]);
    assert_eq!(
        again["stamp"],
        run_json(&["pi", "-n", "1e7", "--backend", "serial"])["stamp"]
    );
    assert_eq!(again["resumed_blocks"], again["blocks"]);

    let (code, line) = failure(&["pi", "-n", "2e7", "--backend", "serial", "--checkpoint", &path]);
    assert_eq!(code, Some(2), "{line}");
    assert!(
        line.contains("is for 'pi samples=10000000 seed=42', not 'pi samples=20000000 seed=42'"),
        "{line}"
    );
    let (code, line) = failure(&[
        "pi",
        "-n",
        "1e7",
        "--shard",
        "1/2",
        "--partial",
        &text(&dir.join("p")),
        "--checkpoint",
        &path,
    ]);
    assert_eq!(code, Some(2), "{line}");
    assert!(line.contains("not shard 1/2"), "{line}");
    assert_eq!(
        std::fs::read(&checkpoint).unwrap(),
        before,
        "a refused checkpoint is left as it was"
    );

    let corrupt = dir.join("corrupt.ckpt");
    let mut bytes = before.clone();
    let middle = bytes.len() / 2;
    bytes[middle] ^= 1;
    std::fs::write(&corrupt, &bytes).unwrap();
    let (code, line) = failure(&["pi", "-n", "1e7", "--checkpoint", &text(&corrupt)]);
    assert_eq!(code, Some(2), "{line}");
    assert!(line.contains("corrupt"), "{line}");
    std::fs::write(&corrupt, &before[..before.len() - 10]).unwrap();
    let (code, line) = failure(&["pi", "-n", "1e7", "--checkpoint", &text(&corrupt)]);
    assert_eq!(code, Some(2), "{line}");
    assert!(line.contains("truncated"), "{line}");
    std::fs::write(&corrupt, b"hits=12\n").unwrap();
    let (code, line) = failure(&["pi", "-n", "1e7", "--checkpoint", &text(&corrupt)]);
    assert_eq!(code, Some(2), "{line}");
    assert!(line.contains("not a hetero partial result"), "{line}");

    let unwritable = dir.join("no-such-directory").join("x.ckpt");
    let (code, line) = failure(&["pi", "-n", "1e12", "--checkpoint", &text(&unwritable)]);
    assert_eq!(code, Some(1), "{line}");
    assert!(line.contains("no-such-directory"), "{line}");

    // A problem of another expression, named as written (the file keeps its text in hex, its bounds in bits).
    let simpson = text(&dir.join("simpson.ckpt"));
    let args = |f| {
        [
            "simpson",
            "--expr",
            f,
            "--to",
            "2.5",
            "-n",
            "1e5",
            "--checkpoint",
            &simpson,
        ]
    };
    run_json(&args("exp(-x^2)"));
    let (code, line) = failure(&args("exp(-x^3)"));
    assert_eq!(code, Some(2), "{line}");
    assert!(
        line.contains(
            "is for 'simpson f=expr expr=exp(-x^2) from=0 to=2.5 intervals=100000', not 'simpson f=expr expr=exp(-x^3)"
        ),
        "{line}"
    );

    // A failure names the file it happened on: here the temporary file beside the checkpoint.
    let blocked = dir.join("blocked.ckpt");
    std::fs::create_dir_all(dir.join("blocked.ckpt.tmp")).unwrap();
    let (code, line) = failure(&["pi", "-n", "1e7", "--checkpoint", &text(&blocked)]);
    assert_eq!(code, Some(1), "{line}");
    assert!(line.contains("blocked.ckpt.tmp"), "{line}");
    // A checkpoint behind a symbolic link (here one whose file does not exist yet): the file it points to
    // is written, and the link stays.
    #[cfg(unix)]
    {
        let (target, link) = (dir.join("target.ckpt"), dir.join("link.ckpt"));
        std::os::unix::fs::symlink("target.ckpt", &link).unwrap();
        run_json(&["pi", "-n", "1e7", "--backend", "serial", "--checkpoint", &text(&link)]);
        assert!(std::fs::symlink_metadata(&link).unwrap().file_type().is_symlink());
        let saved = std::fs::read_to_string(&target).unwrap();
        assert!(saved.starts_with("hetero partial result"), "{saved}");
        assert!(saved.contains("pi samples=10000000 seed=42"), "{saved}");
    }

    for (args, says) in [
        (vec!["pi", "--shard", "1/3"], "--shard needs --partial"),
        (
            vec!["pi", "--shard", "3/3", "--partial", "x"],
            "the index must be below the count",
        ),
        (vec!["pi", "--shard", "1", "--partial", "x"], "INDEX/COUNT"),
        (
            vec!["pi", "--checkpoint", "x", "--target-error", "1e-3"],
            "--target-error does not work",
        ),
        (
            vec!["pi", "--checkpoint-every", "0", "--checkpoint", "x"],
            "seconds above 0",
        ),
        (
            vec!["compare", "pi", "--checkpoint", "x"],
            "compare does not take --checkpoint",
        ),
    ] {
        let (code, line) = failure(&args);
        assert_eq!(code, Some(2), "{args:?}: {line}");
        assert!(line.contains(says), "{args:?}: {line}");
    }
}

/// Shards computed on different backends and thread counts merge, in any order, into the single run's
/// result: the same value, stamp and JSON fields; text too.
pub(crate) fn shards_merge_to_the_single_run() {
    let dir = scratch("shards");
    for problem in [
        vec!["leibniz", "-n", "3e9"],
        vec![
            "simpson", "-f", "gauss", "--x0", "-0.25", "--sigma", "2", "--from", "-pi", "--to", "7", "-n", "1e8",
        ],
        vec!["pi", "-n", "2e9", "--seed", "18446744073709551615"],
    ] {
        let single = run_json(&[problem.as_slice(), &["--backend", "serial"]].concat());
        let mut files = Vec::new();
        for (index, backend, threads) in [
            (0, "rayon", "2"),
            (1, "threads", "3"),
            (2, "serial", "1"),
            (3, "rayon", "1"),
        ] {
            let file = text(&dir.join(format!("{}-{index}.part", problem[0])));
            let shard = format!("{index}/4");
            let args = [
                problem.as_slice(),
                &[
                    "--shard",
                    &shard,
                    "--partial",
                    &file,
                    "--backend",
                    backend,
                    "--threads",
                    threads,
                ],
            ]
            .concat();
            let v = run_json(&args);
            assert_eq!(v["shard"], serde_json::json!([index, 4]));
            assert_eq!(v["complete"], true);
            files.push(file);
        }
        files.swap(0, 3);
        let merged = run_json(
            &[
                &["merge"],
                files.iter().map(String::as_str).collect::<Vec<_>>().as_slice(),
            ]
            .concat(),
        );
        for field in [
            "value",
            "stamp",
            "error_estimate",
            "elements",
            "blocks",
            "completed_blocks",
            "interrupted",
        ] {
            assert_eq!(merged[field], single[field], "{field} of {problem:?}");
        }
        for key in single.as_object().unwrap().keys() {
            assert!(merged.get(key).is_some(), "merge lacks '{key}' of {problem:?}");
        }
        assert_eq!(merged["merged_files"], 4);
        assert_eq!(merged["backend"], "rayon+threads+serial");
        assert_eq!(merged["parts"].as_array().unwrap().len(), 4);
        let out = hetero(
            &[
                &["merge"],
                files.iter().map(String::as_str).collect::<Vec<_>>().as_slice(),
            ]
            .concat(),
        );
        let human = String::from_utf8_lossy(&out.stdout);
        assert!(
            human.contains(single["stamp"].as_str().unwrap()) && human.contains("merged"),
            "{human}"
        );
    }
}

/// `merge` names the shards missing, refuses duplicates, other problems and corrupt files, and reports an
/// incomplete set's prefix only when asked, labelled interrupted.
pub(crate) fn merge_refuses_sets_that_do_not_fit() {
    let dir = scratch("merge-errors");
    let shard = |index: u64, count: u64, samples: &str| {
        let file = text(&dir.join(format!("{samples}-{index}-of-{count}.part")));
        run_json(&[
            "pi",
            "-n",
            samples,
            "--shard",
            &format!("{index}/{count}"),
            "--partial",
            &file,
            "--backend",
            "rayon",
        ]);
        file
    };
    let (a, b, c) = (shard(0, 3, "1e8"), shard(1, 3, "1e8"), shard(2, 3, "1e8"));
    let other = shard(2, 3, "2e8");

    let (code, line) = failure(&["merge", &a, &c]);
    assert_eq!(code, Some(2));
    assert!(line.contains("missing shard 1 of 3"), "{line}");
    let (code, line) = failure(&["merge", &a, &b, &b, &c]);
    assert_eq!(code, Some(2));
    assert!(line.contains("shard 1/3 is given twice"), "{line}");
    let (code, line) = failure(&["merge", &a, &b, &other]);
    assert_eq!(code, Some(2));
    assert!(line.contains("cannot be merged"), "{line}");
    let corrupt = dir.join("corrupt.part");
    std::fs::write(&corrupt, "hetero partial result, format 1\n{}\nsha256 00\n").unwrap();
    let (code, line) = failure(&["merge", &a, &text(&corrupt)]);
    assert_eq!(code, Some(2));
    assert!(line.contains("corrupt.part") && line.contains("checksum"), "{line}");
    let (code, line) = failure(&["merge", &a, &text(&dir.join("absent.part"))]);
    assert_eq!(code, Some(1));
    assert!(line.contains("absent.part"), "{line}");

    // Asked for, the prefix of an incomplete set: the result of exactly the samples it covers.
    let out = hetero(&["merge", &a, &b, "--partial-ok", "--json"]);
    assert!(out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("missing shard 2 of 3") && stderr.contains("--partial-ok"),
        "{stderr}"
    );
    let prefix: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(prefix["interrupted"], true);
    let samples = prefix["samples"].as_u64().unwrap();
    let fixed = run_json(&["pi", "-n", &samples.to_string(), "--backend", "serial"]);
    assert_eq!(prefix["hits"], fixed["hits"]);

    // A merged file merges on as one.
    let whole = text(&dir.join("whole.part"));
    let merged = run_json(&["merge", &c, &a, &b, "--partial", &whole]);
    let again = run_json(&["merge", &whole]);
    assert_eq!(again["stamp"], merged["stamp"]);
    assert_eq!(
        merged["stamp"],
        run_json(&["pi", "-n", "1e8", "--backend", "serial"])["stamp"]
    );
}

/// A shard on the GPU merges with CPU shards: Monte Carlo hit counts exactly as on the CPU.
pub(crate) fn gpu_shards_merge_with_cpu_shards() {
    let dir = scratch("gpu-shards");
    let (gpu, cpu) = (text(&dir.join("gpu.part")), text(&dir.join("cpu.part")));
    for (shard, file, backend) in [("0/2", &gpu, "gpu"), ("1/2", &cpu, "rayon")] {
        let args = [
            "pi",
            "-n",
            "3e8",
            "--seed",
            "7",
            "--shard",
            shard,
            "--partial",
            file,
            "--backend",
            backend,
        ];
        run_json(&args);
    }
    let merged = run_json(&["merge", &gpu, &cpu]);
    let serial = run_json(&["pi", "-n", "3e8", "--seed", "7", "--backend", "serial"]);
    assert_eq!(merged["hits"], serial["hits"]);
    assert_eq!(merged["stamp"], serial["stamp"]);
    assert_eq!(merged["backend"], "gpu+rayon");
}

/// Two runs on one checkpoint: the second is refused at once (exit 2, computing nothing), the first
/// finishes and saves its blocks, and the lock file goes with it.
pub(crate) fn a_second_run_on_one_checkpoint_is_refused_at_once() {
    let dir = scratch("held");
    let checkpoint = dir.join("run.ckpt");
    let first = command()
        .args(["pi", "-n", "4e10", "--seed", "3", "--backend", "rayon", "--json", "-q"])
        .args(["--checkpoint", &text(&checkpoint)])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // The first holds the file once it has written it.
    let started = Instant::now();
    while !checkpoint.exists() && started.elapsed() < Duration::from_secs(30) {
        std::thread::sleep(Duration::from_millis(10));
    }
    let second = hetero(&["pi", "-n", "4e10", "--seed", "3", "--checkpoint", &text(&checkpoint)]);
    let stderr = String::from_utf8_lossy(&second.stderr);
    let first = first.wait_with_output().unwrap();
    assert_eq!(
        first.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&first.stderr)
    );
    assert_eq!(second.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("is in use by another run"), "{stderr}");
    assert!(second.stdout.is_empty());
    let done: Value = serde_json::from_slice(&first.stdout).unwrap();
    assert_eq!(done["completed_blocks"], done["blocks"]);
    let names: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(names, ["run.ckpt"], "{names:?}");
}
