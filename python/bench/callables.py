"""What a Python function costs as an integrand: per point, against its expression twin on the same points
and against scipy's qmc_quad calling the same numpy function.

    python python/bench/callables.py [POINTS RUNS]   (default 4194304 5)

needs hetero (pip install ./python), numpy and scipy. Prints one JSON object per line: the median of RUNS
whole calls of POINTS Monte Carlo points (qmc_quad: 8 randomizations of POINTS/8), in nanoseconds per point.
"""

import json
import statistics
import sys
import time

import numpy as np
from scipy.integrate import qmc_quad

import hetero


def median_seconds(call, runs):
    call()
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        call()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main(points=1 << 22, runs=5):
    cases = [
        (1, "exp(-x^2)", lambda x: np.exp(-x * x), lambda x: np.exp(-x[0] * x[0])),
        (
            4,
            "exp(-(x1^2+x2^2+x3^2+x4^2))",
            lambda p: np.exp(-(p * p).sum(axis=1)),
            lambda p: np.exp(-(p * p).sum(axis=0)),
        ),
    ]
    engine = hetero.Engine(2)
    for dims, text, rows, columns in cases:
        box = [(0, 1)] * dims
        line = {"dims": dims, "points": points}
        for backend in ["serial", "rayon"]:
            expr = median_seconds(lambda: engine.integrate(text, box, method="mc", samples=points, backend=backend), runs)
            func = median_seconds(lambda: engine.integrate(rows, box, method="mc", samples=points, backend=backend), runs)
            line[f"expression_{backend}_ns"] = round(expr / points * 1e9, 2)
            line[f"function_{backend}_ns"] = round(func / points * 1e9, 2)
        qmc = median_seconds(lambda: qmc_quad(columns, [0] * dims, [1] * dims, n_estimates=8, n_points=points // 8), runs)
        line["qmc_quad_same_function_ns"] = round(qmc / points * 1e9, 2)
        print(json.dumps(line), flush=True)


if __name__ == "__main__":
    main(*(int(float(a)) for a in sys.argv[1:3]))
