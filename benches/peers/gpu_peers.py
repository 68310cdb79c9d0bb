"""hetero's computations written the ordinary way for a GPU in Python: PyTorch and CuPy array code.

Monte Carlo pi draws uniform float32 pairs from the library's own generator and counts x*x + y*y < 1;
Simpson's rule evaluates exp on the grid with weights 1, 4, 2, ..., 4, 1 (float32 and float64); the
Leibniz series sums (-1)^k * 4 / (2k + 1) (float32 and float64). Work goes in chunks of CHUNK elements
so memory stays bounded, as a user would write it for sizes beyond the device's memory; each chunk's
sum stays on the device and one number is copied back at the end.

Prints one JSON object per line: {"peer", "kernel", "n", "seconds", "throughput", "value"}, the median
of RUNS timed calls after one untimed call (which loads the libraries' kernels). gpu_run.sh joins the
lines with hetero's. Without CUDA, `--device cpu` runs the same code with PyTorch on the CPU and numpy in
CuPy's place, to check the script itself.

Usage: gpu_peers.py PI_N SIMPSON_N LEIBNIZ_N RUNS [--device cuda|cpu] [--only torch|cupy]
"""

import argparse
import json
import statistics
import sys
import time

CHUNK = 1 << 26


def torch_peer(device):
    import torch

    def sync():
        if device == "cuda":
            torch.cuda.synchronize()

    def pi(n, seed):
        generator = torch.Generator(device=device).manual_seed(seed)
        hits = torch.zeros((), dtype=torch.int64, device=device)
        for start in range(0, n, CHUNK):
            m = min(CHUNK, n - start)
            x = torch.rand(m, device=device, generator=generator)
            y = torch.rand(m, device=device, generator=generator)
            hits += (x * x + y * y < 1.0).sum()
        return 4.0 * hits.item() / n

    def simpson_exp(n, dtype):
        dtype = {"f32": torch.float32, "f64": torch.float64}[dtype]
        h = 1.0 / n
        total = torch.zeros((), dtype=dtype, device=device)
        for start in range(0, n + 1, CHUNK):
            i = torch.arange(start, min(start + CHUNK, n + 1), device=device)
            w = torch.where(i % 2 == 1, 4.0, 2.0).to(dtype)
            w[i == 0] = 1.0
            w[i == n] = 1.0
            total += (w * torch.exp(i.to(dtype) * h)).sum()
        return total.item() * h / 3.0

    def leibniz(n, dtype):
        dtype = {"f32": torch.float32, "f64": torch.float64}[dtype]
        total = torch.zeros((), dtype=dtype, device=device)
        for start in range(0, n, CHUNK):
            k = torch.arange(start, min(start + CHUNK, n), device=device, dtype=dtype)
            total += ((1.0 - 2.0 * (k % 2)) * 4.0 / (2.0 * k + 1.0)).sum()
        return total.item()

    return f"torch-{device}", pi, simpson_exp, leibniz, sync


def cupy_peer(device):
    if device == "cuda":
        import cupy as xp

        def sync():
            xp.cuda.Device().synchronize()

        name = "cupy"
    else:
        import numpy as xp

        def sync():
            pass

        name = "numpy"

    def pi(n, seed):
        rng = xp.random.default_rng(seed)
        hits = 0
        for start in range(0, n, CHUNK):
            m = min(CHUNK, n - start)
            x = rng.random(m, dtype=xp.float32)
            y = rng.random(m, dtype=xp.float32)
            hits += xp.count_nonzero(x * x + y * y < 1.0)
        return 4.0 * int(hits) / n

    def simpson_exp(n, dtype):
        dtype = {"f32": xp.float32, "f64": xp.float64}[dtype]
        h = 1.0 / n
        total = xp.zeros((), dtype=dtype)
        for start in range(0, n + 1, CHUNK):
            i = xp.arange(start, min(start + CHUNK, n + 1))
            w = xp.where(i % 2 == 1, 4.0, 2.0).astype(dtype)
            w[i == 0] = 1.0
            w[i == n] = 1.0
            total += (w * xp.exp(i.astype(dtype) * dtype(h))).sum()
        return float(total) * h / 3.0

    def leibniz(n, dtype):
        dtype = {"f32": xp.float32, "f64": xp.float64}[dtype]
        total = xp.zeros((), dtype=dtype)
        for start in range(0, n, CHUNK):
            k = xp.arange(start, min(start + CHUNK, n), dtype=dtype)
            total += ((1.0 - 2.0 * (k % 2)) * 4.0 / (2.0 * k + 1.0)).sum()
        return float(total)

    return name, pi, simpson_exp, leibniz, sync


def timed(peer, kernel, n, call, sync, runs):
    call()
    sync()
    seconds, value = [], None
    for _ in range(runs):
        start = time.perf_counter()
        value = call()
        sync()
        seconds.append(time.perf_counter() - start)
    median = statistics.median(seconds)
    print(json.dumps({"peer": peer, "kernel": kernel, "n": n, "seconds": median,
                      "throughput": n / median, "value": float(value)}), flush=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    for name in ["pi_n", "simpson_n", "leibniz_n", "runs"]:
        parser.add_argument(name, type=lambda s: int(float(s)))
    parser.add_argument("--device", choices=["cuda", "cpu"], default="cuda")
    parser.add_argument("--only", choices=["torch", "cupy"])
    args = parser.parse_args()
    makers = {"torch": torch_peer, "cupy": cupy_peer}
    if args.only:
        makers = {args.only: makers[args.only]}
    for label, make in makers.items():
        try:
            peer, pi, simpson_exp, leibniz, sync = make(args.device)
        except ImportError as e:
            print(f"gpu_peers.py: {label} left out: {e}", file=sys.stderr)
            continue
        timed(peer, "pi", args.pi_n, lambda: pi(args.pi_n, 42), sync, args.runs)
        for dtype in ["f32", "f64"]:
            n = args.simpson_n
            timed(peer, f"simpson_exp_{dtype}", n + 1, lambda: simpson_exp(n, dtype), sync, args.runs)
            timed(peer, f"leibniz_{dtype}", args.leibniz_n, lambda: leibniz(args.leibniz_n, dtype), sync,
                  args.runs)


if __name__ == "__main__":
    main()
