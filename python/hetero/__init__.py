"""hetero from Python: integrals of your own expressions to a tolerance (:func:`integrate`), Monte Carlo π, Simpson's rule, the Leibniz series and Monte Carlo integrals of your
own expressions on every backend (serial, rayon, threads, gpu, hybrid), with the same bits on every CPU
backend and thread count as the ``hetero`` command line gives.

>>> import hetero
>>> r = hetero.integrate("exp(-x^2)", (0, 1), rtol=1e-10, backend="serial")
>>> round(r.value, 12), r.method, r.reached
(0.746824132812, 'simpson', True)
>>> r = hetero.pi(10_000_000, seed=7, backend="serial")
>>> round(r.value, 2), r.hits, len(r.stamp)
(3.14, 7854534, 16)

Every run releases the GIL, so Python threads run several at once; Ctrl-C stops a run within about 0.1 s
and raises :class:`Interrupted` (a ``KeyboardInterrupt``) whose ``result`` holds the result of the blocks
done. Bad input raises ``ValueError`` or ``TypeError`` with the command line's message; a GPU failure
raises :class:`GpuError`, any other failure :class:`HeteroError`.

After ``os.fork`` (``multiprocessing`` on Linux forks) the child rebuilds each engine on its next use:
the parent's worker threads and GPU device do not exist there, and are never used broken.
"""

from __future__ import annotations

import copy
import operator
import os
import warnings
from typing import Any, Callable, Dict, List, Mapping, Optional, Sequence, Tuple, Union

from . import _hetero
from ._hetero import GpuError, HeteroError, Interrupted

__all__ = [
    "Comparison",
    "Engine",
    "GpuError",
    "HeteroError",
    "Interrupted",
    "NotReached",
    "NotReachedWarning",
    "Result",
    "compare",
    "devices",
    "integrate",
    "leibniz",
    "montecarlo",
    "pi",
    "simd_level",
    "simpson",
]

__version__: str = _hetero.__version__

Size = Union[int, float]
Real = Union[int, float, str]
# An integrand: an expression, several (a vector-valued integrand), or a Python function of a numpy array
# of points.
Integrand = Union[str, Sequence[str], Callable[[Any], Any]]

if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_hetero.after_fork)

# The fields a Result's repr shows, in this order, when it has them.
_SHOWN = ("method", "kernel", "value", "error", "error_estimate", "reached", "evals", "backend", "threads", "seconds", "stamp")

# Fields only some runs have (the command line's JSON leaves them out): None on the others.
_OPTIONAL = frozenset({"gpu", "precision", "split", "target_error", "target_reached", "target_missed_because"})


class NotReachedWarning(UserWarning):
    """An integral whose tolerance was not reached (``reached`` False), or whose error estimate failed a
    check of its method's regime (``trusted`` False): the result is returned, ``why`` saying why, the
    best the method found within its budget."""


class NotReached(HeteroError):
    """An integral whose tolerance was not reached or whose error estimate is not trusted, raised instead
    of a warning with ``strict=True``: ``result`` holds the best answer found."""

    result: Any


class Result:
    """One run's result: the fields ``hetero … --json`` prints, read-only, as attributes (``value``,
    ``error_estimate``, ``backend``, ``threads``, ``seconds``, ``throughput``, ``stamp``, and each
    kernel's own: ``hits``, ``std_error``, ``ci95``…). ``gpu``, ``precision``, ``split`` and the
    ``target_…`` fields are None on runs without them. ``to_dict()`` gives the fields the run has."""

    __slots__ = ("_fields",)

    def __init__(self, fields: Mapping[str, Any]) -> None:
        fields = dict(fields)
        if "components" in fields:
            fields["components"] = [c if isinstance(c, Result) else Result(c) for c in fields["components"]]
        object.__setattr__(self, "_fields", fields)

    def __getattr__(self, name: str) -> Any:
        fields = object.__getattribute__(self, "_fields")
        try:
            return fields[name]
        except KeyError:
            if name in _OPTIONAL:
                return None
            raise AttributeError(f"{type(self).__name__} has no field {name!r}") from None

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError(f"{type(self).__name__} is read-only")

    def __delattr__(self, name: str) -> None:
        raise AttributeError(f"{type(self).__name__} is read-only")

    def __dir__(self) -> List[str]:
        return sorted(set(object.__dir__(self)) | set(self._fields))

    def __eq__(self, other: object) -> bool:
        return type(other) is type(self) and other._fields == self._fields  # type: ignore[attr-defined]

    __hash__ = None  # type: ignore[assignment]

    def __reduce__(self) -> Tuple[Any, ...]:
        return (type(self), (self._fields,))

    def to_dict(self) -> Dict[str, Any]:
        """Every field, as the JSON of the command line has them (a copy)."""
        fields = copy.deepcopy(self._fields)
        if "components" in fields:
            fields["components"] = [c.to_dict() for c in self._fields["components"]]
        return fields

    def __float__(self) -> float:
        value = self._fields["value"]
        if isinstance(value, list):
            raise TypeError(f"a vector-valued result has {len(value)} values: read result.value (a list)")
        return float(value)

    def __repr__(self) -> str:
        shown = [f"{k}={self._fields[k]!r}" for k in _SHOWN if k in self._fields]
        if self._fields.get("interrupted"):
            shown.append("interrupted=True")
        return f"{type(self).__name__}({', '.join(shown)})"


class Comparison(Result):
    """One problem on several backends, checked against each other: ``runs`` (a :class:`Result` each,
    with its ``verdict``, ``agree`` and ``speedup``), ``reference``, ``agree``, ``disagreements``."""

    __slots__ = ()

    def __init__(self, fields: Mapping[str, Any]) -> None:
        fields = dict(fields)
        fields["runs"] = [r if isinstance(r, Result) else Result(r) for r in fields.get("runs", [])]
        super().__init__(fields)

    def to_dict(self) -> Dict[str, Any]:
        fields = copy.deepcopy(self._fields)
        fields["runs"] = [r.to_dict() for r in self._fields["runs"]]
        return fields

    def __repr__(self) -> str:
        backends = [r.backend for r in self._fields["runs"]]
        return f"Comparison(kernel={self._fields.get('kernel')!r}, backends={backends!r}, agree={self._fields.get('agree')!r})"


def _whole(value: Any, name: str, bits: int = 64) -> Any:
    """``value``, checked as a whole number below ``2**bits`` when it is an integer (a ``ValueError``
    naming ``name``, where the binding would raise an ``OverflowError`` that does not); others pass as
    they are, for the binding to judge."""
    if hasattr(value, "__index__") and not isinstance(value, bool):
        whole = operator.index(value)
        if not 0 <= whole < 2**bits:
            raise ValueError(f"invalid {name}: {whole} is not between 0 and 2^{bits} - 1")
    return value


def _plain(value: Any) -> Any:
    """``value`` with numpy's numbers and arrays as Python's: an integer scalar (``np.int64``) as ``int``,
    a real one as ``float``, an array of parameter values as a list, a ``(d, 2)`` box as a list of
    ``(low, high)`` pairs, and the values of a dict the same way. Anything else as it is."""
    if isinstance(value, (bool, int, float, str)) or value is None or callable(value):
        return value
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(_plain(item) for item in value)
    tolist = getattr(value, "tolist", None)
    if tolist is not None and getattr(value, "dtype", None) is not None:
        plain = tolist()
        # A box's rows are (low, high) pairs.
        return [tuple(row) for row in plain] if getattr(value, "ndim", 0) == 2 else plain
    if hasattr(value, "__index__"):
        return operator.index(value)
    return value


def _call(wrap: Any, method: Any, *args: Any, **kwargs: Any) -> Any:
    args = tuple(_plain(arg) for arg in args)
    kwargs = {name: _plain(value) for name, value in kwargs.items()}
    try:
        return wrap(method(*args, **kwargs))
    except Interrupted as interrupted:
        if isinstance(interrupted.result, dict):
            interrupted.result = wrap(interrupted.result)
        raise


class Engine:
    """An engine: its worker threads and (on first GPU use) its device, made once and used by every run
    it is given. Module-level functions share one engine per ``threads``; make an Engine to hold one
    yourself. Safe to use from several Python threads at once."""

    __slots__ = ("_engine",)

    def __init__(self, threads: Optional[int] = None) -> None:
        self._engine = _hetero.Engine(_whole(threads, "threads"))

    @property
    def threads(self) -> int:
        """Worker threads of the CPU backends."""
        return self._engine.threads

    def pi(self, samples: Size, seed: int = 42, backend: str = "auto", target_error: Optional[float] = None) -> Result:
        """Monte Carlo π: ``samples`` points of the Philox stream of ``seed``, or as many as it takes for
        the standard error to reach ``target_error``."""
        return _call(Result, self._engine.pi, samples, _whole(seed, "seed"), backend, target_error)

    def simpson(
        self,
        f: Union[str, Callable[[Any], Any]],
        a: Real,
        b: Real,
        intervals: Optional[Size] = None,
        backend: str = "auto",
        target_error: Optional[float] = None,
        *,
        x0: Optional[float] = None,
        sigma: Optional[float] = None,
        power: Optional[int] = None,
    ) -> Result:
        """Simpson's rule for ``f`` over ``[a, b]``: a built-in (``exp``, ``sin``, ``cos``, ``pi``,
        ``gauss`` with ``x0`` and ``sigma``, ``poly`` with ``power``) or an expression of ``x``
        (``"exp(-x*x)"``). Bounds take numbers or text such as ``"pi"`` and ``"-pi/2"``. A Python
        function (``np.exp``, a lambda of a numpy array) is :meth:`integrate`'s with ``method="simpson"``
        (``target_error`` its ``atol``), and answers with its fields."""
        if callable(f):
            sized = {"intervals": intervals} if intervals is not None else {}
            return self._integrate(f, (a, b), "simpson", target_error, None, None, None, backend, False, None, sized)
        return _call(
            Result, self._engine.simpson, f, a, b, intervals, backend, target_error, x0, sigma, _whole(power, "power", 32)
        )

    def leibniz(self, terms: Size, backend: str = "auto", target_error: Optional[float] = None) -> Result:
        """π from ``terms`` terms of the Leibniz series."""
        return _call(Result, self._engine.leibniz, terms, backend, target_error)

    def montecarlo(
        self,
        expr: Union[str, Callable[[Any], Any]],
        box: Sequence[Tuple[Real, Real]],
        samples: Size,
        seed: int = 42,
        backend: str = "auto",
        target_error: Optional[float] = None,
    ) -> Result:
        """``∫ expr`` over ``box`` (one ``(low, high)`` per variable: ``x`` alone, ``x, y, z``, or
        ``x1 … xd``) by Monte Carlo, from the Philox stream of ``seed``. A Python function of a numpy
        array of points is :meth:`integrate`'s with ``method="mc"`` (``target_error`` its ``atol``, in
        place of ``samples``), and answers with its fields."""
        if callable(expr):
            sized: Dict[str, Any] = {"seed": _whole(seed, "seed")}
            if target_error is None:
                sized["samples"] = samples
            return self._integrate(expr, box, "mc", target_error, None, None, None, backend, False, None, sized)
        return _call(Result, self._engine.montecarlo, expr, box, samples, _whole(seed, "seed"), backend, target_error)

    def integrate(
        self,
        f: Integrand,
        domain: Union[Tuple[Real, Real], Sequence[Tuple[Real, Real]]],
        *,
        method: Optional[str] = None,
        atol: Optional[float] = None,
        rtol: Optional[float] = None,
        max_evals: Optional[Size] = None,
        time_limit: Optional[float] = None,
        backend: str = "auto",
        strict: bool = False,
        params: Optional[Mapping[str, Union[Real, Sequence[Real]]]] = None,
        layout: str = "rows",
        **options: Any,
    ) -> Result:
        """``∫ f`` over ``domain`` by ``method``, to a tolerance or of a fixed size.

        Parameters
        ----------
        f : str, sequence of str, or callable
            The integrand, an expression in ``x`` (one dimension), ``x, y, z`` or ``x1 … xd``; a sequence
            of them is a vector-valued integrand, its components computed on the same points (the same
            nodes or random stream, at one shared size), each with its own error. Or a Python function
            (``np.exp``, ``scipy.special.j0``, a lambda) vectorized over a numpy array of points: it is
            called once per block of the problem with a float64 array of shape ``(n, d)`` (``(n,)`` in one
            dimension; ``layout="columns"`` gives ``(d, n)``) and returns ``n`` values. The method adds the
            values exactly as an expression's, so the same function gives the same bits on every CPU
            backend and thread count. It runs on the CPU only (``auto`` takes ``"rayon"``; the GPU cannot
            call Python), and its calls hold the GIL, so they run one at a time: the speed is numpy's on
            blocks of thousands of points. An exception it raises stops the run and is raised here.
        domain : (a, b) or sequence of (low, high)
            An interval, or a box with one range per variable. Bounds take numbers or text (``"pi/2"``);
            ``math.inf`` / ``"inf"`` and ``-math.inf`` / ``"-inf"`` give infinite ranges, mapped to finite
            ones (``x = a + t/(1-t)`` and the like; the result's ``map`` names it; CPU backends only).
        method : str, optional
            ``"simpson"`` (one dimension; the default there) or ``"mc"`` (Monte Carlo; the default in
            more). The methods' own options are keywords: ``intervals`` (simpson), ``samples`` and
            ``seed`` (mc); a size makes a run of that size instead of one to a tolerance.
        atol, rtol : float, optional
            The goal: ``error <= max(atol, rtol * |value|)``; without either (and without a size), the
            method's default ``rtol``.
        max_evals : int, optional
            The most evaluations of ``f`` to spend (the method's default otherwise).
        time_limit : float, optional
            The most seconds to spend; the result reports the evaluations reached, and ``max_evals`` of
            that count gives the same bits.
        backend : str
            ``"auto"``, ``"serial"``, ``"rayon"``, ``"threads"``, ``"gpu"`` or ``"hybrid"``.
        strict : bool
            Raise :class:`NotReached` instead of warning when the tolerance is not reached.
        params : dict, optional
            Named parameters of the expression and their values: ``integrate("exp(-a*x^2)", (0, 1),
            params={"a": 0.5})``. Each is a number in the compiled program (the bits of the same number
            written in the text, except as an exponent, which ``pow`` computes). A sequence of values
            (``{"a": [0.5, 1, 2]}``, a numpy array) makes a batch: one component per combination of
            values (the first parameter varying slowest), on the same points.
        layout : str
            How a Python function takes its points: ``"rows"`` (shape ``(n, d)``, as vegas and scipy's
            ``cubature``) or ``"columns"`` (``(d, n)``, as scipy's ``qmc_quad``).

        Returns
        -------
        Result
            ``value``, ``error`` (``error_kind`` says what it is: ``"ci95"``, the half-width of a 95%
            interval, or ``"estimate"``, a rule's own estimate), ``evals``, ``reached``, ``why``,
            ``method``, ``backend``, ``stamp``, and the run's own fields. For a vector-valued integrand
            ``value`` and ``error`` are lists (``None`` for a component a stop left out), ``outputs``
            counts the components, ``components`` holds a :class:`Result` for each, ``size`` is the size
            they share and ``max_evals`` bounds each component's run to the goal.

        Raises
        ------
        ValueError
            Bad input: an expression that does not parse, a bad bound, an unknown method or option.
        NotReached
            With ``strict=True``, when the tolerance was not reached.
        Exception
            Whatever a Python function ``f`` raised.
        """
        return self._integrate(
            f, domain, method, atol, rtol, max_evals, time_limit, backend, strict, params, options, layout
        )

    def _integrate(
        self,
        f: Integrand,
        domain: Any,
        method: Optional[str],
        atol: Optional[float],
        rtol: Optional[float],
        max_evals: Optional[Size],
        time_limit: Optional[float],
        backend: str,
        strict: bool,
        params: Optional[Mapping[str, Union[Real, Sequence[Real]]]],
        options: Dict[str, Any],
        layout: str = "rows",
    ) -> Result:
        result = _call(
            Result, self._engine.integrate, f, domain, method, atol, rtol, max_evals, time_limit, backend, options,
            dict(params) if params is not None else None, layout,
        )
        # The warning names the caller's line: the caller, integrate, _integrate, _judged.
        return _judged(result, strict, stacklevel=4)

    def compare(self, kernel: str, backends: Optional[Sequence[str]] = None, **problem: Any) -> Comparison:
        """``kernel`` ("pi", "simpson", "leibniz" or "montecarlo", with its parameters as keywords) on
        each of ``backends`` (every one this machine has when None), checked against each other."""
        for name, bits in (("seed", 64), ("power", 32)):
            if name in problem:
                _whole(problem[name], name, bits)
        return _call(Comparison, self._engine.compare, kernel, list(backends) if backends is not None else None, **problem)


def _judged(result: Result, strict: bool, stacklevel: int) -> Result:
    """``result``, after a warning (or, when ``strict``, an exception) if its tolerance was not reached or
    its error estimate is not trusted."""
    untrusted = result.trusted is False and result.reached is None
    if result.reached is False or (result.interrupted and result.why) or untrusted:
        if result.reached is False:
            goal = "the tolerance was not reached"
        elif untrusted:
            goal = "the error estimate is not trusted"
        else:
            goal = "the run was cut short"
        message = f"{goal}: {result.why}"
        if strict:
            error = NotReached(message)
            error.result = result
            raise error
        warnings.warn(message, NotReachedWarning, stacklevel=stacklevel)
    return result


def _engine(threads: Optional[int]) -> Engine:
    engine = Engine.__new__(Engine)
    engine._engine = _hetero.engine(_whole(threads, "threads"))
    return engine


def pi(
    samples: Size, seed: int = 42, backend: str = "auto", threads: Optional[int] = None, target_error: Optional[float] = None
) -> Result:
    """Monte Carlo π (see :meth:`Engine.pi`), on the shared engine of ``threads``."""
    return _engine(threads).pi(samples, seed, backend, target_error)


def simpson(
    f: Union[str, Callable[[Any], Any]],
    a: Real,
    b: Real,
    intervals: Optional[Size] = None,
    backend: str = "auto",
    threads: Optional[int] = None,
    target_error: Optional[float] = None,
    *,
    x0: Optional[float] = None,
    sigma: Optional[float] = None,
    power: Optional[int] = None,
) -> Result:
    """Simpson's rule (see :meth:`Engine.simpson`), on the shared engine of ``threads``."""
    return _engine(threads).simpson(f, a, b, intervals, backend, target_error, x0=x0, sigma=sigma, power=power)


def leibniz(
    terms: Size, backend: str = "auto", threads: Optional[int] = None, target_error: Optional[float] = None
) -> Result:
    """The Leibniz series (see :meth:`Engine.leibniz`), on the shared engine of ``threads``."""
    return _engine(threads).leibniz(terms, backend, target_error)


def montecarlo(
    expr: Union[str, Callable[[Any], Any]],
    box: Sequence[Tuple[Real, Real]],
    samples: Size,
    seed: int = 42,
    backend: str = "auto",
    threads: Optional[int] = None,
    target_error: Optional[float] = None,
) -> Result:
    """A Monte Carlo integral (see :meth:`Engine.montecarlo`), on the shared engine of ``threads``."""
    return _engine(threads).montecarlo(expr, box, samples, seed, backend, target_error)


def integrate(
    f: Integrand,
    domain: Union[Tuple[Real, Real], Sequence[Tuple[Real, Real]]],
    *,
    method: Optional[str] = None,
    atol: Optional[float] = None,
    rtol: Optional[float] = None,
    max_evals: Optional[Size] = None,
    time_limit: Optional[float] = None,
    backend: str = "auto",
    threads: Optional[int] = None,
    strict: bool = False,
    params: Optional[Mapping[str, Union[Real, Sequence[Real]]]] = None,
    layout: str = "rows",
    **options: Any,
) -> Result:
    """``∫ f`` over ``domain`` (see :meth:`Engine.integrate`), on the shared engine of ``threads``."""
    return _engine(threads)._integrate(
        f, domain, method, atol, rtol, max_evals, time_limit, backend, strict, params, options, layout
    )


def compare(
    kernel: str, backends: Optional[Sequence[str]] = None, threads: Optional[int] = None, **problem: Any
) -> Comparison:
    """One problem on several backends (see :meth:`Engine.compare`), on the shared engine of ``threads``."""
    return _engine(threads).compare(kernel, backends, **problem)


def devices() -> List[Dict[str, Any]]:
    """The GPU adapters this machine has, as ``hetero devices --json`` lists them."""
    return _hetero.devices()


def simd_level() -> str:
    """The instruction set the CPU loops run in: ``"avx512"``, ``"avx2"`` or ``"portable"``."""
    return _hetero.simd_level()
