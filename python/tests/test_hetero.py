"""The Python package against the command line, and what a Python user relies on: threads, Ctrl-C,
errors, fork."""

import json
import math
import os
import pickle
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

import hetero

ROOT = Path(__file__).resolve().parents[2]
CLI = ROOT / "target" / "release" / "hetero"
REQUIRE_GPU = os.environ.get("HETERO_REQUIRE_GPU") == "1"


def cli(*args):
    """The command line's JSON for `hetero ARGS --json` (built by `cargo build --release`)."""
    if not CLI.exists():
        pytest.skip(f"{CLI} is not built (cargo build --release)")
    out = subprocess.run([str(CLI), *args, "--json"], check=True, capture_output=True, text=True).stdout
    return json.loads(out)


def require_gpu():
    """Skips the test, saying why, where there is no GPU adapter; fails it where one is required."""
    if hetero.devices():
        return
    if REQUIRE_GPU:
        pytest.fail("HETERO_REQUIRE_GPU=1 but no GPU adapter was found")
    pytest.skip("no GPU adapter on this machine")


# Results: the command line's bits, whatever the backend.


@pytest.mark.parametrize("backend", ["serial", "rayon", "threads"])
def test_pi_equals_the_command_line(backend):
    ours = hetero.pi(3_000_000, seed=11, backend=backend)
    theirs = cli("pi", "-n", "3e6", "--seed", "11", "--backend", "serial")
    assert ours.hits == theirs["hits"]
    assert ours.value == theirs["value"]
    assert ours.stamp == theirs["stamp"]
    assert ours.backend == backend


def test_simpson_builtin_and_expression_equal_the_command_line():
    ours = hetero.simpson("gauss", 0, "pi/2", 400_000, backend="rayon", x0=0.3, sigma=0.7)
    theirs = cli("simpson", "-f", "gauss", "--x0", "0.3", "--sigma", "0.7", "--from", "0", "--to", "pi/2", "-n", "4e5")
    assert (ours.value, ours.stamp) == (theirs["value"], theirs["stamp"])
    ours = hetero.simpson("exp(-x*x) + sin(3*x)", -1.5, 2, 1e6, backend="threads")
    theirs = cli("simpson", "--expr", "exp(-x*x) + sin(3*x)", "--from", "-1.5", "--to", "2", "-n", "1e6")
    assert (ours.value, ours.stamp, ours.expr) == (theirs["value"], theirs["stamp"], theirs["expr"])


def test_leibniz_and_montecarlo_equal_the_command_line():
    ours = hetero.leibniz(1e7, backend="serial")
    theirs = cli("leibniz", "-n", "1e7", "--backend", "rayon")
    assert (ours.value, ours.stamp) == (theirs["value"], theirs["stamp"])
    ours = hetero.montecarlo("x^2 + y^2 < 1", [(0, 1), (0, 1)], 2e6, seed=5, backend="rayon")
    theirs = cli("montecarlo", "--expr", "x^2 + y^2 < 1", "--box", "0:1,0:1", "--samples", "2e6", "--seed", "5")
    assert (ours.value, ours.std_error, ours.stamp) == (theirs["value"], theirs["std_error"], theirs["stamp"])
    assert ours.ci95 == theirs["ci95"] and ours.dims == 2


def test_result_is_a_frozen_record_of_the_json_fields():
    r = hetero.pi(1_000_000, seed=3, backend="serial", threads=1)
    assert r.kernel == "pi" and r.samples == 1_000_000 and r.seed == 3
    assert abs(r.value - math.pi) < 6 * r.std_error
    assert r.ci95[0] < r.value < r.ci95[1]
    assert r.throughput > 0 and r.seconds > 0 and not r.interrupted
    d = r.to_dict()
    assert d["hits"] == r.hits and set(d) >= {"value", "error_estimate", "stamp", "threads", "backend"}
    d["hits"] = 0
    assert r.hits != 0, "to_dict gives a copy"
    with pytest.raises(AttributeError):
        r.value = 3.0
    with pytest.raises(AttributeError):
        r.no_such_field
    assert r.gpu is None and r.target_error is None
    assert "pi" in repr(r) and r.stamp in repr(r)
    assert pickle.loads(pickle.dumps(r)) == r


def test_sizes_take_ints_up_to_two_to_the_64_and_whole_floats():
    assert hetero.leibniz(1e4, backend="serial").terms == 10_000
    with pytest.raises(ValueError, match="2\\^64"):
        hetero.leibniz(2**64, backend="serial")
    with pytest.raises(ValueError, match="whole number"):
        hetero.leibniz(1.5, backend="serial")
    with pytest.raises(TypeError):
        hetero.leibniz("1000", backend="serial")
    with pytest.raises(TypeError):
        hetero.leibniz(True, backend="serial")


def test_target_error_reports_whether_it_was_reached():
    r = hetero.pi(1, seed=9, backend="rayon", target_error=1e-3)
    assert r.target_reached and r.std_error <= 1e-3 and r.target_error == 1e-3
    fixed = hetero.pi(r.samples, seed=9, backend="serial")
    assert fixed.hits == r.hits


def test_compare_checks_the_backends_against_each_other():
    c = hetero.compare("pi", ["serial", "rayon", "threads"], samples=2e6, seed=4)
    assert c.agree and [r.backend for r in c.runs] == ["serial", "rayon", "threads"]
    assert len({r.hits for r in c.runs}) == 1 and all(r.agree for r in c.runs)
    c = hetero.compare("simpson", ["serial", "rayon"], f="exp(x)", a=0, b=1, intervals=1e5)
    assert c.agree and c.runs[0].value == c.runs[1].value


def test_the_gpu_agrees_within_its_bound():
    require_gpu()
    r = hetero.simpson("exp(x)", 0, 1, 1e6, backend="gpu")
    assert r.backend == "gpu" and r.gpu_bound is not None and r.gpu["adapter"]
    assert abs(r.value - hetero.simpson("exp(x)", 0, 1, 1e6, backend="serial").value) <= r.gpu_bound
    assert hetero.pi(2e6, seed=2, backend="gpu").hits == hetero.pi(2e6, seed=2, backend="serial").hits


# Errors: one line, the command line's message, the right type.


def test_bad_input_is_a_value_error_with_the_command_lines_message():
    with pytest.raises(ValueError, match="unknown function 'sinhh' at column 1"):
        hetero.simpson("sinhh(x)", 0, 1, 100)
    with pytest.raises(ValueError, match="unknown backend"):
        hetero.pi(1000, backend="quantum")
    with pytest.raises(ValueError):
        hetero.montecarlo("x + y", [(0, 1)], 1000)
    with pytest.raises(TypeError):
        hetero.montecarlo("x", [0, 1], 1000)


# integrate: the front door for integrals.


def test_integrate_of_a_fixed_size_equals_the_command_lines_shorthands():
    ours = hetero.integrate("exp(-x*x) + sin(3*x)", (-1.5, "pi"), intervals=1e6, backend="threads")
    theirs = cli("simpson", "--expr", "exp(-x*x) + sin(3*x)", "--from", "-1.5", "--to", "pi", "-n", "1e6")
    assert (ours.value, ours.stamp, ours.method, ours.reached) == (theirs["value"], theirs["stamp"], "simpson", None)
    ours = hetero.integrate("x*y + z", [(0, 1), (0, 2), ("-pi", "pi")], samples=2**18, seed=5, backend="rayon")
    theirs = cli("integrate", "x*y + z", "--box", "0:1,0:2,-pi:pi", "--samples", "2^18", "--seed", "5")
    assert (ours.value, ours.error, ours.stamp, ours.method) == (theirs["value"], theirs["error"], theirs["stamp"], "mc")
    assert float(ours) == ours.value == ours.to_dict()["value"]


@pytest.mark.parametrize("backend", ["serial", "rayon", "threads"])
def test_integrate_meets_a_tolerance_with_the_same_bits_everywhere(backend):
    ours = hetero.integrate("1/(1+x^2)", (0, 1), rtol=1e-12, backend=backend)
    theirs = cli("integrate", "1/(1+x^2)", "--rtol", "1e-12", "--backend", "serial")
    assert ours.reached is True and ours.error <= 1e-12 * ours.value
    assert abs(ours.value - math.pi / 4) < 1e-12
    assert (ours.value, ours.stamp, ours.evals) == (theirs["value"], theirs["stamp"], theirs["evals"])


def test_integrate_binds_named_parameters():
    ours = hetero.integrate("exp(-a*x^2) * b", (0, 1), params={"a": 0.5, "b": "pi"}, backend="serial")
    theirs = cli("integrate", "exp(-a*x^2) * b", "--param", "a=0.5", "--param", "b=pi")
    written = hetero.integrate("exp(-0.5*x^2) * 3.141592653589793", (0, 1), backend="serial")
    assert ours.value == theirs["value"] == written.value
    assert ours.function == "exp(-a*x^2) * b with a = 0.5, b = 3.141592653589793"
    with pytest.raises(ValueError, match="parameter"):
        hetero.integrate("a*x", (0, 1), params={"x": 1.0})
    with pytest.raises(ValueError):
        hetero.integrate("a*x", (0, 1), params={"a": math.nan})


def test_integrate_vector_valued_integrands_and_batches_of_parameters():
    ours = hetero.integrate(["exp(-x^2)", "sin(40*x)", "x^3"], (0, 2), rtol=1e-11, backend="rayon")
    theirs = cli("integrate", "exp(-x^2); sin(40*x); x^3", "--to", "2", "--rtol", "1e-11")
    assert (ours.value, ours.error, ours.stamp) == (theirs["value"], theirs["error"], theirs["stamp"])
    assert ours.outputs == 3 and ours.reached is True and len(ours.components) == 3
    assert all(c.size == ours.size and c.reached for c in ours.components)
    assert abs(ours.value[2] - 4.0) < 1e-12
    with pytest.raises(TypeError, match="vector-valued"):
        float(ours)
    assert ours.to_dict()["components"][1]["function"] == "sin(40*x)"
    # A batch: one component per parameter value, each the bits of the one integral alone at that size.
    batch = hetero.integrate("exp(-a*x*y)", [(0, 1), (0, 1)], params={"a": [0.5, 2.0]}, rtol=3e-3, seed=3)
    alone = hetero.integrate("exp(-a*x*y)", [(0, 1), (0, 1)], params={"a": 2.0}, samples=batch.size, seed=3)
    assert batch.value[1] == alone.value and batch.components[1].stamp == alone.stamp
    with pytest.raises(ValueError, match="no values"):
        hetero.integrate("a*x", (0, 1), params={"a": []})
    with pytest.raises(TypeError):
        hetero.integrate(["x", 3], (0, 1))


def test_integrate_over_infinite_ranges_agrees_with_the_command_line():
    ours = hetero.integrate("exp(-x^2)", (-math.inf, "inf"), rtol=1e-12, backend="rayon")
    theirs = cli("integrate", "exp(-x^2)", "--from", "-inf", "--to", "inf", "--rtol", "1e-12")
    assert ours.reached is True and abs(ours.value - math.sqrt(math.pi)) < 1e-12
    assert (ours.value, ours.stamp, ours.map, ours.to) == (theirs["value"], theirs["stamp"], "x = t/(1 - t^2)", "inf")
    box = hetero.integrate("exp(-x-y)", [(0, math.inf), (0, math.inf)], rtol=1e-2, backend="threads")
    assert box.reached is True and abs(box.value - 1) <= 3 * box.error
    with pytest.raises(ValueError, match="not a range"):
        hetero.integrate("x", (math.inf, math.inf))


def test_integrate_warns_or_raises_when_the_tolerance_is_not_reached():
    with pytest.warns(hetero.NotReachedWarning, match="budget") as caught:
        result = hetero.integrate("x*y", [(0, 1), (0, 1)], rtol=1e-9, max_evals=100_000)
    assert caught[0].filename == __file__
    assert result.reached is False and result.evals == 100_000 and "budget" in result.why
    with pytest.raises(hetero.NotReached) as caught:
        hetero.Engine(1).integrate("x*y", [(0, 1), (0, 1)], rtol=1e-9, max_evals=100_000, strict=True)
    assert caught.value.result.evals == 100_000
    assert isinstance(caught.value, hetero.HeteroError)
    # A time limit's evaluations, as a budget, give the same bits.
    with pytest.warns(hetero.NotReachedWarning, match="time limit"):
        timed = hetero.integrate("x*y*z", [(0, 1)] * 3, rtol=1e-9, time_limit=0.05, backend="rayon")
    with pytest.warns(hetero.NotReachedWarning):
        again = hetero.integrate("x*y*z", [(0, 1)] * 3, rtol=1e-9, max_evals=timed.evals, backend="serial")
    assert (again.value, again.stamp) == (timed.value, timed.stamp)


def test_integrate_warns_when_the_error_estimate_is_not_trusted():
    with pytest.warns(hetero.NotReachedWarning, match="not trusted: one point"):
        result = hetero.integrate("x*y", [(0, 1), (0, 1)], samples=1)
    assert result.trusted is False and result.reached is None
    with pytest.raises(hetero.NotReached):
        hetero.integrate("x*y", [(0, 1), (0, 1)], samples=1, strict=True)
    assert hetero.integrate("x*y", [(0, 1), (0, 1)], samples=2**16).trusted is True
    # Outside the rule's regime at a fixed size, and an infinite variance.
    with pytest.warns(hetero.NotReachedWarning, match="not in its regime"):
        assert hetero.integrate("x^1000000", (0, 1), intervals=1000).trusted is False
    with pytest.warns(hetero.NotReachedWarning, match="variance"):
        assert hetero.integrate("x^-0.9", (0, 1), method="mc", samples=10**5).trusted is False


def test_divergent_integrals_are_refused_naming_where():
    for f, bounds, where in [("tan(x)", (0, 3), "x = 1.5707963267949"), ("1/x", (1, math.inf), "x = inf")]:
        with pytest.raises(hetero.HeteroError, match="diverges") as refused:
            hetero.integrate(f, bounds)
        assert where in str(refused.value)


def test_integers_out_of_range_are_value_errors_that_name_the_parameter():
    for call, name in [
        (lambda: hetero.pi(1000, seed=-1), "seed"),
        (lambda: hetero.pi(1000, seed=2**64), "seed"),
        (lambda: hetero.montecarlo("x", [(0, 1)], 1000, seed=-5), "seed"),
        (lambda: hetero.simpson("poly", 0, 1, 1000, power=-2), "power"),
        (lambda: hetero.simpson("poly", 0, 1, 1000, power=2**40), "power"),
        (lambda: hetero.Engine(-1), "threads"),
        (lambda: hetero.pi(1000, threads=-2), "threads"),
        (lambda: hetero.compare("pi", ["serial"], samples=1000, seed=-1), "seed"),
    ]:
        with pytest.raises(ValueError, match=f"invalid {name}"):
            call()


def test_integrate_bad_input_is_a_value_error():
    for bad in [
        dict(method="romberg"),
        dict(samples=10),
        dict(intervals=1000, rtol=1e-3),
        dict(rtol=-1.0),
        dict(time_limit=0.0),
        dict(max_evals=10),
    ]:
        with pytest.raises(ValueError):
            hetero.integrate("x", (0, 1), **bad)
    with pytest.raises(ValueError, match="simpson"):
        hetero.integrate("x*y", [(0, 1), (0, 1)], method="simpson")
    with pytest.raises(TypeError):
        hetero.integrate("x", 1)
    with pytest.raises(TypeError):
        hetero.integrate("x", (0, 1), intervals=True)
    with pytest.raises(ValueError, match="unknown backend"):
        hetero.integrate("x", (0, 1), backend="quantum")


def test_python_and_the_command_line_share_the_cost_model(tmp_path):
    env = {**os.environ, "HETERO_CACHE_DIR": str(tmp_path)}
    code = "import hetero\nhetero.integrate('exp(-x*x) + x', (0, 1), intervals=1e6)\n"
    subprocess.run([sys.executable, "-c", code], env=env, check=True, timeout=120)
    assert (tmp_path / "cost-model.json").exists(), "auto's costs were not saved"
    if not CLI.exists():
        pytest.skip(f"{CLI} is not built (cargo build --release)")
    # The command line finds what Python measured: it measures nothing before it chooses.
    args = [str(CLI), "simpson", "--expr", "exp(-x*x) + x", "-n", "1e6", "--explain"]
    out = subprocess.run(args, env=env, capture_output=True, text=True, check=True, timeout=120)
    assert "measuring" not in out.stderr, out.stderr


def test_no_gpu_is_a_gpu_error():
    # No adapter of a graphics API this machine lacks: the GPU backend cannot start.
    code = "import hetero\ntry:\n    hetero.pi(1000, backend='gpu')\nexcept hetero.GpuError as e:\n    print('GpuError', e)\n"
    env = {**os.environ, "WGPU_BACKEND": "metal" if sys.platform != "darwin" else "dx12"}
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True).stdout
    assert out.startswith("GpuError ") and len(out.strip().splitlines()) == 1


def test_a_non_finite_integrand_is_a_hetero_error():
    with pytest.raises(hetero.HeteroError, match="not finite|non-finite|NaN|infinite"):
        hetero.simpson("log(x - 0.5)", 0, 1, 1000, backend="serial")


# The GIL is released: two Python threads run at once.


def test_another_python_thread_runs_while_a_run_holds_no_gil():
    # The main thread runs a problem too large to finish; another thread makes a call of its own and
    # then stops the main thread's run with SIGINT. Were the GIL held during a run, the other thread
    # could not run at all, and only the fallback timer would stop the run.
    engine = hetero.Engine(1)
    other = {}

    def meanwhile():
        time.sleep(0.05)
        other["hits"] = hetero.pi(1e6, seed=3, backend="serial", threads=1).hits
        other["fallback"] = fallback.is_alive()
        os.kill(os.getpid(), signal.SIGINT)

    fallback = threading.Timer(30, lambda: os.kill(os.getpid(), signal.SIGINT))
    fallback.start()
    worker = threading.Thread(target=meanwhile)
    worker.start()
    try:
        with pytest.raises(KeyboardInterrupt):
            engine.pi(1e13, seed=1, backend="serial")
    finally:
        fallback.cancel()
        worker.join()
    assert other["hits"] == hetero.pi(1e6, seed=3, backend="rayon").hits
    assert other["fallback"], "the other thread ran only after the run had ended"


# Ctrl-C: a KeyboardInterrupt within about 0.1 s, with the partial result.


def test_ctrl_c_interrupts_a_long_run_with_its_partial_result():
    engine = hetero.Engine(1)
    timer = threading.Timer(0.3, lambda: os.kill(os.getpid(), signal.SIGINT))
    start = time.perf_counter()
    timer.start()
    with pytest.raises(KeyboardInterrupt) as caught:
        engine.pi(1e13, seed=1, backend="serial")
    stopped = time.perf_counter() - start
    assert isinstance(caught.value, hetero.Interrupted)
    partial = caught.value.result
    assert isinstance(partial, hetero.Result) and partial.interrupted
    assert 0 < partial.samples < 1e13
    assert stopped < 0.3 + 0.25, f"stopped after {stopped:.3f} s"
    # The blocks done are a run of that many samples.
    assert hetero.pi(partial.samples, seed=1, backend="rayon").hits == partial.hits


# fork: a child never uses the parent's threads or device.


@pytest.mark.skipif(not hasattr(os, "fork"), reason="no fork here")
def test_a_forked_child_rebuilds_its_engine():
    engine = hetero.Engine(2)
    expected = engine.pi(4e6, seed=8, backend="rayon").hits
    hetero.pi(1e5, seed=8, backend="rayon")
    read, write = os.pipe()
    child = os.fork()
    if child == 0:
        try:
            hits = engine.pi(4e6, seed=8, backend="rayon").hits
            shared = hetero.pi(4e6, seed=8, backend="threads").hits
            os.write(write, json.dumps([hits, shared]).encode())
        finally:
            os._exit(0)
    os.close(write)
    _, status = os.waitpid(child, 0)
    with os.fdopen(read) as f:
        got = json.loads(f.read() or "null")
    assert os.WIFEXITED(status) and got == [expected, expected]


def test_multiprocessing_pool_workers_compute_the_same_bits():
    import multiprocessing

    hetero.pi(1e5, seed=1, backend="rayon")
    with multiprocessing.get_context("fork" if hasattr(os, "fork") else "spawn").Pool(2) as pool:
        results = pool.map(_pi_hits, [1, 2])
    assert results == [hetero.pi(2e6, seed=s, backend="serial").hits for s in [1, 2]]


def _pi_hits(seed):
    return hetero.pi(2e6, seed=seed, backend="rayon").hits


def test_the_docstring_examples_run():
    import doctest

    failures, tried = doctest.testmod(hetero)
    assert tried > 0 and failures == 0


def test_module_level_details():
    assert hetero.simd_level() in {"avx512", "avx2", "portable"}
    assert isinstance(hetero.devices(), list)
    assert hetero.__version__
    assert issubclass(hetero.GpuError, hetero.HeteroError)
    assert issubclass(hetero.Interrupted, KeyboardInterrupt)
    assert sys.modules["hetero._hetero"].Engine


# Python functions as integrands.

np = pytest.importorskip("numpy")


def test_a_function_and_its_expression_twin_agree_within_rounding():
    for method, domain, text, f in [
        ("simpson", (0, 1), "exp(-x^2)", lambda x: np.exp(-x * x)),
        ("mc", [(0, 1), (0, 2)], "exp(-x*y)", lambda p: np.exp(-p[:, 0] * p[:, 1])),
    ]:
        size = {"intervals": 1 << 16} if method == "simpson" else {"samples": 1 << 18, "seed": 5}
        mine = hetero.integrate(f, domain, method=method, backend="serial", **size)
        twin = hetero.integrate(text, domain, method=method, backend="serial", **size)
        assert mine.evals == twin.evals
        assert abs(mine.value - twin.value) <= 1e-13 * abs(twin.value), (method, mine.value, twin.value)
        assert mine.error == pytest.approx(twin.error, rel=1e-6)


@pytest.mark.parametrize("method", ["simpson", "mc"])
def test_a_function_gives_the_same_bits_on_every_cpu_backend_and_thread_count(method):
    domain = (0, 3) if method == "simpson" else [(0, 1)] * 3
    f = (lambda x: np.sin(x) * np.exp(-x)) if method == "simpson" else (lambda p: np.exp(-p.sum(axis=1)))
    bits = set()
    for backend in ["serial", "rayon", "threads"]:
        for threads in [1, 2, 3]:
            rtol = 1e-6 if method == "simpson" else 1e-3
            r = hetero.Engine(threads).integrate(f, domain, method=method, rtol=rtol, backend=backend)
            assert r.reached
            bits.add((r.value.hex(), r.error.hex(), r.evals, r.stamp))
    assert len(bits) == 1, bits


def test_a_function_takes_numpy_ufuncs_and_columns():
    r = hetero.integrate(np.exp, (0, 1), rtol=1e-12, backend="serial")
    assert abs(r.value - (math.e - 1)) <= 3 * r.error + 1e-15
    rows = hetero.integrate(lambda p: p[:, 0] * p[:, 1] ** 2, [(0, 1), (0, 1)], method="mc", samples=1 << 16)
    columns = hetero.integrate(
        lambda p: p[0] * p[1] ** 2, [(0, 1), (0, 1)], method="mc", samples=1 << 16, layout="columns"
    )
    assert rows.value == columns.value
    assert rows.backend == "rayon"  # auto: the CPU, since the function cannot run on the GPU
    # Infinite ranges are mapped as for expressions: the same bits as the twin's.
    f = hetero.integrate(lambda x: np.exp(-x * x), (0, math.inf), rtol=1e-9, backend="serial")
    twin = hetero.integrate("exp(-x^2)", (0, math.inf), rtol=1e-9, backend="serial")
    assert abs(f.value - twin.value) <= 1e-13 and f.evals == twin.evals
    # The shorthands take functions too.
    assert hetero.simpson(np.cos, 0, 1, 1024).value == pytest.approx(math.sin(1), rel=1e-12)
    mc = hetero.montecarlo(lambda x: x, [(0, 1)], 1 << 16, seed=3)
    assert mc.evals == 1 << 16 and abs(mc.value - 0.5) < 0.01


def test_each_call_is_one_block_of_the_problem():
    sizes = []

    def f(x):
        sizes.append(len(x))
        return x * x

    hetero.integrate(f, (0, 1), intervals=1 << 20, backend="rayon")
    # A block of Simpson's points (65,536) per call, never a point at a time: the run's 2^20 + 1 points
    # and those of its check at a quarter of the intervals.
    assert max(sizes) == 65536 and len(sizes) == 17 + 5, sizes
    assert sum(sizes) == (1 << 20) + 1 + (1 << 18) + 1


def test_a_functions_exception_is_raised_in_its_callers_place():
    class Mine(Exception):
        pass

    def bad(x):
        raise Mine("from the integrand")

    with pytest.raises(Mine, match="from the integrand"):
        hetero.integrate(bad, (0, 1), backend="rayon")
    with pytest.raises(ValueError, match="one value per point"):
        hetero.integrate(lambda x: 1.0, (0, 1), backend="serial")
    with pytest.raises(ValueError, match="CPU backends only"):
        hetero.integrate(np.exp, (0, 1), backend="gpu")
    with pytest.raises(ValueError, match="params"):
        hetero.integrate(np.exp, (0, 1), params={"a": 1})
    with pytest.raises(ValueError, match="layout"):
        hetero.integrate(np.exp, (0, 1), layout="diagonal")


# multiprocessing: results and exceptions cross process boundaries under every start method.


def _divergent(_):
    return hetero.integrate("1/x", (0, 1)).value


def _simpson_value(n):
    return hetero.simpson("exp(x)", 0, 1, n, backend="serial").value


@pytest.mark.parametrize("method", ["fork", "spawn", "forkserver"])
def test_pools_of_every_start_method_carry_results_and_exceptions(method):
    import concurrent.futures
    import multiprocessing

    if method not in multiprocessing.get_all_start_methods():
        pytest.skip(f"no {method} start method on this platform")
    context = multiprocessing.get_context(method)
    with context.Pool(2) as pool:
        assert pool.map(_simpson_value, [1024, 2048]) == [_simpson_value(1024), _simpson_value(2048)]
        with pytest.raises(hetero.HeteroError, match="diverges"):
            pool.map(_divergent, [0])
    with concurrent.futures.ProcessPoolExecutor(2, mp_context=context) as executor:
        with pytest.raises(hetero.HeteroError, match="diverges"):
            executor.submit(_divergent, 0).result()


def test_exceptions_pickle_with_what_they_carry():
    for error in [hetero.HeteroError("x"), hetero.GpuError("y"), hetero.NotReached("z")]:
        back = pickle.loads(pickle.dumps(error))
        assert type(back) is type(error) and back.args == error.args
    stopped = hetero.Interrupted("stopped")
    stopped.result = {"value": 1.0}
    back = pickle.loads(pickle.dumps(stopped))
    assert type(back) is hetero.Interrupted and back.result == {"value": 1.0}


def test_numpy_numbers_and_arrays_are_taken_as_pythons():
    box = [(0, 1), (0, 2)]
    plain = hetero.integrate("x*y", box, method="mc", samples=1 << 16, seed=3, backend="serial")
    numpy = hetero.integrate(
        "x*y", np.array(box), method="mc", samples=np.int64(1 << 16), seed=np.int32(3), backend="serial"
    )
    assert (numpy.value, numpy.stamp) == (plain.value, plain.stamp)
    assert hetero.pi(np.uint64(10**5), seed=np.int16(7), backend="serial").hits == hetero.pi(10**5, seed=7).hits
    simpson = hetero.simpson("exp(x)", np.float64(0), np.float32(1), np.int64(1000), backend="serial")
    assert simpson.value == hetero.simpson("exp(x)", 0, 1, 1000, backend="serial").value
    assert hetero.montecarlo("x", np.array([[0.0, 1.0]]), np.int64(4096)).samples == 4096
    with pytest.raises(ValueError, match="seed"):
        hetero.pi(10, seed=np.int64(-1))
