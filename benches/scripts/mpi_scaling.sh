#!/usr/bin/env bash
# Strong scaling over MPI ranks: the same problem on 1..R ranks (one serial worker per rank), median of
# several runs of the time rank 0 reports (from the first block to the combined result).
# Usage: benches/scripts/mpi_scaling.sh [max ranks = 4] [runs = 5] [samples = 1e9]
set -euo pipefail
cd "$(dirname "$0")/../.."
max=${1:-4}
runs=${2:-5}
samples=${3:-1e9}
cargo build --release --features mpi --quiet
bin=target/release/hetero
printf '%-6s %-12s %-10s %-10s\n' ranks seconds speedup hits
base=""
for ranks in $(seq 1 "$max"); do
    times=()
    for _ in $(seq 1 "$runs"); do
        out=$(mpiexec -n "$ranks" "$bin" pi --samples "$samples" --backend serial --distributed --json)
        times+=("$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["seconds"])' "$out")")
        hits=$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["hits"])' "$out")
    done
    median=$(printf '%s\n' "${times[@]}" | sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}')
    [ -n "$base" ] || base=$median
    speedup=$(python3 -c "print(f'{$base/$median:.2f}')")
    printf '%-6s %-12s %-10s %-10s\n' "$ranks" "$median" "$speedup" "$hits"
done
