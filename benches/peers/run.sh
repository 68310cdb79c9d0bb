#!/usr/bin/env bash
# Peers side by side, in one run on one machine: numba (serial and prange), numpy, a naive Rust loop, and
# hetero (serial and rayon), on the same sizes, with ratios against numba-prange. hetero is timed as the
# Python peers are (in one process, after an untimed run: the hetero_cpu example), and also as a command
# line user meets it: a fresh `hetero` process per run, its own reported time (the "-cli" rows).
# Sets up its own Python virtual environment (numba, numpy) under target/peers-venv on first use.
# Usage: benches/peers/run.sh [PI_N=1e8] [SIMPSON_N=1e8] [LEIBNIZ_N=1e9] [RUNS=5]
set -euo pipefail
cd "$(dirname "$0")/../.."
pi_n=${1:-1e8}
simpson_n=${2:-1e8}
leibniz_n=${3:-1e9}
runs=${4:-5}

venv=target/peers-venv
if [ ! -x "$venv/bin/python" ]; then
    python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet numba numpy
fi
# Held to hetero's instruction set: with HETERO_SIMD=avx2 (or portable) numba compiles without AVX-512 (or
# without any AVX), unless NUMBA_CPU_FEATURES says otherwise. (NUMBA_CPU_NAME alone keeps the host's features.)
if [ -z "${NUMBA_CPU_FEATURES:-}" ] && [ -n "${HETERO_SIMD:-}" ] && [ "${HETERO_SIMD}" != avx512 ]; then
    NUMBA_CPU_FEATURES=$("$venv/bin/python" - "$HETERO_SIMD" <<'PY'
import sys
import llvmlite.binding as ll
features = ll.get_host_cpu_features()
off = "avx512" if sys.argv[1] == "avx2" else "avx"
for name in list(features):
    if name.startswith(off):
        features[name] = False
print(features.flatten())
PY
)
    export NUMBA_CPU_FEATURES
fi
cargo build --release --quiet --bin hetero
cargo build --release --quiet -p hetero-bench --example naive_rust --example hetero_cpu

results=$(mktemp)
trap 'rm -f "$results"' EXIT
NUMBA_CACHE_DIR=target/numba-cache "$venv/bin/python" benches/peers/peers.py "$pi_n" "$simpson_n" "$leibniz_n" "$runs" >>"$results"
target/release/examples/naive_rust "$pi_n" "$simpson_n" "$leibniz_n" "$runs" >>"$results"
target/release/examples/hetero_cpu "$pi_n" "$simpson_n" "$leibniz_n" "$runs" >>"$results"

hetero_json() { # kernel, backend, args...: median of RUNS runs as one JSON line
    local kernel=$1 backend=$2 lines
    shift 2
    # All runs first, then Python: a Python starting up beside a run would take one of its cores.
    lines=$(for _ in $(seq 1 "$runs"); do target/release/hetero "$kernel" "$@" --backend "$backend" --json; done)
    printf '%s\n' "$lines" |
        "$venv/bin/python" -c '
import json, statistics, sys
runs = [json.loads(line) for line in sys.stdin]
seconds = statistics.median(r["seconds"] for r in runs)
n = runs[0]["elements"]
kernel = "simpson_exp" if runs[0]["kernel"] == "simpson" else runs[0]["kernel"]
print(json.dumps({"peer": "hetero-" + runs[0]["backend"] + "-cli", "kernel": kernel, "n": n, "seconds": seconds,
                  "throughput": n / seconds, "value": runs[0]["value"]}))'
}
for backend in serial rayon; do
    hetero_json pi "$backend" --samples "$pi_n" >>"$results"
    hetero_json simpson "$backend" --function exp --intervals "$simpson_n" >>"$results"
    hetero_json leibniz "$backend" --terms "$leibniz_n" >>"$results"
done

"$venv/bin/python" - "$results" <<'PY'
import json, sys
rows = [json.loads(line) for line in open(sys.argv[1])]
print(f"{'kernel':<12} {'peer':<18} {'n':>12} {'seconds':>9} {'elements/s':>12} {'vs numba-prange':>16}")
for kernel in ["pi", "simpson_exp", "leibniz"]:
    mine = [r for r in rows if r["kernel"] == kernel]
    base = next((r["throughput"] for r in mine if r["peer"] == "numba-prange"), None)
    for r in mine:
        ratio = f"{r['throughput'] / base:.2f}x" if base else "-"
        print(f"{kernel:<12} {r['peer']:<18} {r['n']:>12} {r['seconds']:>9.4f} {r['throughput']:>12.4g} {ratio:>16}")
PY
