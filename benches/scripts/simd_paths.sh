#!/usr/bin/env bash
# Each vector path on one machine: every kernel forced to AVX-512, AVX2 and the portable lanes
# (HETERO_SIMD), on serial and rayon, one `hetero` process per run, cells interleaved so that a slow spell
# of the machine spreads over all of them; prints a markdown table of the medians (million elements per
# second), then each Simpson integrand's points per second as a fraction of exp's on the same path.
# A path the processor lacks is skipped (HETERO_SIMD is a ceiling: hetero runs a narrower one and says so).
# Usage: benches/scripts/simd_paths.sh [RUNS=3] [SCALE=1]   (SCALE multiplies every size)
set -euo pipefail
cd "$(dirname "$0")/../.."
runs=${1:-3}
scale=${2:-1}
cargo build --release --quiet --bin hetero
bin=target/release/hetero

# row name | arguments (sizes multiplied by SCALE)
rows=(
    "Monte Carlo π|pi --samples $(python3 -c "print(int(2e9*$scale))")"
    "Leibniz|leibniz --terms $(python3 -c "print(int(4e9*$scale))")"
    "Simpson exp|simpson -f exp -n $(python3 -c "print(int(1e9*$scale))")"
    "Simpson gauss|simpson -f gauss -n $(python3 -c "print(int(5e8*$scale))")"
    "Simpson sin|simpson -f sin -n $(python3 -c "print(int(5e8*$scale))")"
    "Simpson cos|simpson -f cos -n $(python3 -c "print(int(5e8*$scale))")"
    "Simpson pi|simpson -f pi -n $(python3 -c "print(int(1e9*$scale))")"
)
paths=(avx512 avx2 portable)
backends=(serial rayon)

results=$(mktemp)
trap 'rm -f "$results"' EXIT
for _ in $(seq 1 "$runs"); do
    for row in "${rows[@]}"; do
        name=${row%%|*}
        read -r -a args <<<"${row#*|}"
        for backend in "${backends[@]}"; do
            for path in "${paths[@]}"; do
                if out=$(HETERO_SIMD=$path "$bin" "${args[@]}" --backend "$backend" --json 2>/dev/null); then
                    printf '%s\t%s\t%s\t%s\n' "$name" "$path" "$backend" "$out" >>"$results"
                fi
            done
        done
    done
done

python3 - "$results" <<'PY'
import json, statistics, sys
cells = {}
order = []
for line in open(sys.argv[1]):
    name, path, backend, out = line.rstrip("\n").split("\t", 3)
    run = json.loads(out)
    if run["simd"] != path:
        continue
    cells.setdefault((name, path, backend), []).append(run["throughput"] / 1e6)
    if name not in order:
        order.append(name)
columns = [(b, p) for b in ["serial", "rayon"] for p in ["avx512", "avx2", "portable"]
           if any((n, p, b) in cells for n in order)]
median = {key: statistics.median(values) for key, values in cells.items()}
print("| kernel | " + " | ".join(f"{b} {p}" for b, p in columns) + " |")
print("|---|" + "---:|" * len(columns))
for name in order:
    row = [f"{median[(name, p, b)]:,.0f}" if (name, p, b) in median else "" for b, p in columns]
    print(f"| {name} | " + " | ".join(row) + " |")
print()
print("exp's points per second over each integrand's (target: at most 1.5):")
for name in [n for n in order if n.startswith("Simpson") and n != "Simpson exp"]:
    ratios = [f"{b} {p} {median[('Simpson exp', p, b)] / median[(name, p, b)]:.2f}"
              for b, p in columns if (name, p, b) in median and ("Simpson exp", p, b) in median]
    print(f"  {name}: " + ", ".join(ratios))
PY
