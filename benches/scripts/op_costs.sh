#!/usr/bin/env bash
# What each operation of an expression costs per point, and what each coordinate of a Monte Carlo point
# costs: the figures behind the cost model's prediction of a new integrand from one calibration
# (Kernel::cost_scale). One `hetero` process per run, serial backend, median of RUNS, nanoseconds per point.
# Subtract the first row (`x`: the rule's own cost) from each Simpson row, and the row of one dimension from
# the Monte Carlo rows, to get what the table in src/expr/functions.rs and src/expr/program.rs holds.
# Usage: benches/scripts/op_costs.sh [RUNS=5] [PATH=avx512|avx2|portable]
set -euo pipefail
cd "$(dirname "$0")/../.."
runs=${1:-5}
path=${2:-avx512}
cargo build --release --quiet --bin hetero
bin=target/release/hetero

median_ns() {
    local times=()
    for _ in $(seq 1 "$runs"); do
        times+=("$(HETERO_SIMD=$path "$bin" "$@" --backend serial --json 2>/dev/null |
            python3 -c "import json, sys; print(1e9 / json.load(sys.stdin)['throughput'])")")
    done
    printf '%s\n' "${times[@]}" | sort -g | sed -n "$(((runs + 1) / 2))p"
}

echo "| simpson --expr over [0.5, 2] | ns per point |"
echo "|---|---:|"
for f in "x" "x+x" "x*x" "x/(x+1)" "x^3" "x<1" "exp(x)" "exp(-x*x)" "log(x)" "log2(x)" "log10(x)" \
    "log1p(x)" "expm1(x)" "sqrt(x)" "cbrt(x)" "sin(x)" "cos(x)" "sin(x*40)" "tan(x)" "asin(x/2)" "acos(x/2)" \
    "atan(x)" "atan2(x,0.7)" "sinh(x)" "cosh(x)" "tanh(x)" "erf(x)" "erfc(x)" "abs(x)" "min(x,1)" \
    "max(x,1)" "pow(x,2.5)" "hypot(x,3)" "floor(x)" "ceil(x)"; do
    printf '| `%s` | %.3f |\n' "$f" "$(median_ns simpson --expr "$f" --from 0.5 --to 2 -n 3e7)"
done
echo
echo "| montecarlo, the sum of d coordinates | ns per point |"
echo "|---|---:|"
for d in 1 2 3 4 6 8 12; do
    expr=$(python3 -c "d = $d; print('+'.join(['x', 'y', 'z'][:d]) if d <= 3 else '+'.join(f'x{i + 1}' for i in range(d)))")
    box=$(python3 -c "print(','.join(['0:1'] * $d))")
    printf '| %d | %.3f |\n' "$d" "$(median_ns montecarlo --expr "$expr" --box "$box" --samples 2e7)"
done
