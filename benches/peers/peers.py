"""The classic Python versions of hetero's three computations, timed the way their users would run them.

Each function is written the ordinary way: numba @njit loops (serial, and parallel=True with prange),
and numpy's vectorized Simpson. Prints one JSON object per line: {"peer", "kernel", "n", "seconds",
"throughput", "value"}; run.sh joins them with hetero's figures. Medians of several runs, after a warm-up
call that compiles.
"""

import json
import statistics
import sys
import time

import numpy as np
from numba import njit, prange


@njit(cache=True)
def mc_pi_serial(n, seed):
    np.random.seed(seed)
    hits = 0
    for _ in range(n):
        x = np.random.random()
        y = np.random.random()
        if x * x + y * y < 1.0:
            hits += 1
    return 4.0 * hits / n


@njit(parallel=True, cache=True)
def mc_pi_prange(n, seed):
    np.random.seed(seed)
    hits = 0
    for _ in prange(n):
        x = np.random.random()
        y = np.random.random()
        if x * x + y * y < 1.0:
            hits += 1
    return 4.0 * hits / n


@njit(cache=True)
def simpson_exp_serial(a, b, n):
    h = (b - a) / n
    s = np.exp(a) + np.exp(b)
    for i in range(1, n):
        w = 4.0 if i % 2 == 1 else 2.0
        s += w * np.exp(a + i * h)
    return s * h / 3.0


@njit(parallel=True, cache=True)
def simpson_exp_prange(a, b, n):
    h = (b - a) / n
    s = 0.0
    for i in prange(1, n):
        w = 4.0 if i % 2 == 1 else 2.0
        s += w * np.exp(a + i * h)
    return (s + np.exp(a) + np.exp(b)) * h / 3.0


def simpson_exp_numpy(a, b, n):
    x = np.linspace(a, b, n + 1)
    y = np.exp(x)
    return (b - a) / n / 3.0 * (y[0] + y[-1] + 4.0 * y[1:-1:2].sum() + 2.0 * y[2:-1:2].sum())


@njit(cache=True)
def leibniz_serial(n):
    s = 0.0
    for k in range(n):
        s += (4.0 if k % 2 == 0 else -4.0) / (2 * k + 1)
    return s


@njit(parallel=True, cache=True)
def leibniz_prange(n):
    s = 0.0
    for k in prange(n):
        s += (4.0 if k % 2 == 0 else -4.0) / (2 * k + 1)
    return s


def timed(peer, kernel, n, call, runs):
    call()  # compile (or load from cache) outside the timing
    seconds, value = [], None
    for _ in range(runs):
        start = time.perf_counter()
        value = call()
        seconds.append(time.perf_counter() - start)
    median = statistics.median(seconds)
    print(json.dumps({"peer": peer, "kernel": kernel, "n": n, "seconds": median,
                      "throughput": n / median, "value": float(value)}), flush=True)


def main():
    pi_n, simpson_n, leibniz_n, runs = (int(float(a)) for a in sys.argv[1:5])
    timed("numba", "pi", pi_n, lambda: mc_pi_serial(pi_n, 42), runs)
    timed("numba-prange", "pi", pi_n, lambda: mc_pi_prange(pi_n, 42), runs)
    timed("numba", "simpson_exp", simpson_n, lambda: simpson_exp_serial(0.0, 1.0, simpson_n), runs)
    timed("numba-prange", "simpson_exp", simpson_n, lambda: simpson_exp_prange(0.0, 1.0, simpson_n), runs)
    timed("numpy", "simpson_exp", simpson_n, lambda: simpson_exp_numpy(0.0, 1.0, simpson_n), runs)
    timed("numba", "leibniz", leibniz_n, lambda: leibniz_serial(leibniz_n), runs)
    timed("numba-prange", "leibniz", leibniz_n, lambda: leibniz_prange(leibniz_n), runs)


if __name__ == "__main__":
    main()
