#!/usr/bin/env bash
# GPU peers side by side, in one run on one device: PyTorch and CuPy array code (gpu_peers.py) and
# hetero's GPU backend (the hetero_gpu example), on the same sizes, with hetero's throughput as a ratio
# of the fastest peer's for each computation.
#
# Uses the python3 on PATH (or $PYTHON), which must hold torch and/or cupy with CUDA; builds the example
# with cargo when cargo is there, else runs $HETERO_GPU (a release build of the example made elsewhere).
# Usage: benches/peers/gpu_run.sh [PI_N=2^33] [SIMPSON_N=2^32] [LEIBNIZ_N=2^32] [RUNS=5] [DEVICE=cuda|cpu]
# (cpu: PyTorch on the CPU and numpy in CuPy's place, to check the script where there is no CUDA)
set -euo pipefail
cd "$(dirname "$0")/../.."
pi_n=${1:-8589934592}
simpson_n=${2:-4294967296}
leibniz_n=${3:-4294967296}
runs=${4:-5}
device=${5:-cuda}
python=${PYTHON:-python3}

bin=${HETERO_GPU:-}
if [ -z "$bin" ]; then
    cargo build --release --quiet -p hetero-bench --example hetero_gpu
    bin=target/release/examples/hetero_gpu
fi

results=$(mktemp)
trap 'rm -f "$results"' EXIT
"$bin" "$pi_n" "$simpson_n" "$leibniz_n" "$runs" >>"$results"
"$python" benches/peers/gpu_peers.py "$pi_n" "$simpson_n" "$leibniz_n" "$runs" --device "$device" >>"$results"

"$python" - "$results" <<'PY'
import json, sys
rows = [json.loads(line) for line in open(sys.argv[1])]
adapter = next((r.get("adapter") for r in rows if r.get("adapter")), "?")
print(f"device: {adapter}")
print(f"{'kernel':<16} {'peer':<10} {'n':>12} {'seconds':>10} {'elements/s':>11} {'GPU kernel s':>12}"
      f" {'value':>20} {'hetero / best peer':>19}")
for kernel in dict.fromkeys(r["kernel"] for r in rows):
    mine = [r for r in rows if r["kernel"] == kernel]
    peers = [r["throughput"] for r in mine if r["peer"] != "hetero"]
    ours = next((r["throughput"] for r in mine if r["peer"] == "hetero"), None)
    for r in mine:
        ratio = f"{ours / max(peers):.2f}x" if r["peer"] == "hetero" and peers and ours else ""
        gpu = r.get("kernel_seconds")
        gpu = f"{gpu:.4f}" if gpu is not None else "-"
        print(f"{kernel:<16} {r['peer']:<10} {r['n']:>12} {r['seconds']:>10.4f} {r['throughput']:>11.4g}"
              f" {gpu:>12} {r['value']:>20.15g} {ratio:>19}")
PY
