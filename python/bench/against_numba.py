"""hetero from Python against the classic numba versions (benches/peers/peers.py), in one process on the
same sizes, and the cost of a tiny call from Python over the same call from Rust.

    python python/bench/against_numba.py [PI_N SIMPSON_N LEIBNIZ_N RUNS]   (default 1e8 1e8 1e9 5)

needs hetero (pip install ./python), numba and numpy in the environment, and for the tiny call's Rust
side `cargo run --release -p hetero-bench --example tiny_call`. Prints one JSON object per line: medians
of RUNS whole calls after one untimed call (numba compiles in it), and ratios against numba-prange.
"""

import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "benches" / "peers"))

import hetero  # noqa: E402
import peers  # noqa: E402


def median_seconds(call, runs):
    call()
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        call()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main():
    pi_n, simpson_n, leibniz_n, runs = (int(float(a)) for a in (sys.argv[1:5] or ["1e8", "1e8", "1e9", "5"]))
    engine = hetero.Engine()
    cases = [
        ("pi", pi_n, lambda: peers.mc_pi_prange(pi_n, 42), lambda: engine.pi(pi_n, seed=42, backend="rayon")),
        (
            "simpson_exp",
            simpson_n,
            lambda: peers.simpson_exp_prange(0.0, 1.0, simpson_n),
            lambda: engine.simpson("exp", 0, 1, simpson_n, backend="rayon"),
        ),
        ("leibniz", leibniz_n, lambda: peers.leibniz_prange(leibniz_n), lambda: engine.leibniz(leibniz_n, backend="rayon")),
    ]
    for kernel, n, numba_call, hetero_call in cases:
        numba_s = median_seconds(numba_call, runs)
        hetero_s = median_seconds(hetero_call, runs)
        print(json.dumps({"kernel": kernel, "n": n, "numba_prange_seconds": numba_s, "hetero_rayon_seconds": hetero_s,
                          "ratio": numba_s / hetero_s, "simd": hetero.simd_level(), "threads": engine.threads}), flush=True)
    tiny = hetero.Engine(1)
    times = []
    for _ in range(20_000):
        start = time.perf_counter()
        tiny.leibniz(1000, backend="serial")
        times.append(time.perf_counter() - start)
    times.sort()
    rust = subprocess.run(["cargo", "run", "-q", "--release", "-p", "hetero-bench", "--example", "tiny_call"],
                          cwd=ROOT, check=True, capture_output=True, text=True).stdout
    rust = json.loads(rust)
    python_us = times[len(times) // 2] * 1e6
    print(json.dumps({"call": "python", "median_us": python_us, "min_us": times[0] * 1e6,
                      "rust_median_us": rust["median_us"], "overhead_us": python_us - rust["median_us"]}), flush=True)


if __name__ == "__main__":
    main()
