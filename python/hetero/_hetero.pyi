"""Type stubs of the extension module (see hetero/__init__.py for the documented interface)."""

from typing import Callable, Any, Dict, List, Optional, Sequence, Tuple, Union

Size = Union[int, float]
Real = Union[int, float, str]

__version__: str

class HeteroError(Exception): ...
class GpuError(HeteroError): ...

class Interrupted(KeyboardInterrupt):
    result: Any

class Engine:
    def __init__(self, threads: Optional[int] = None) -> None: ...
    @property
    def threads(self) -> int: ...
    def pi(
        self, samples: Size, seed: int = 42, backend: str = "auto", target_error: Optional[float] = None
    ) -> Dict[str, Any]: ...
    def simpson(
        self,
        f: str,
        a: Real,
        b: Real,
        intervals: Optional[Size] = None,
        backend: str = "auto",
        target_error: Optional[float] = None,
        x0: Optional[float] = None,
        sigma: Optional[float] = None,
        power: Optional[int] = None,
    ) -> Dict[str, Any]: ...
    def leibniz(
        self, terms: Size, backend: str = "auto", target_error: Optional[float] = None
    ) -> Dict[str, Any]: ...
    def montecarlo(
        self,
        expr: str,
        box: Sequence[Tuple[Real, Real]],
        samples: Size,
        seed: int = 42,
        backend: str = "auto",
        target_error: Optional[float] = None,
    ) -> Dict[str, Any]: ...
    def integrate(
        self,
        f: Union[str, Sequence[str], Callable[[Any], Any]],
        domain: Any,
        method: Optional[str] = None,
        atol: Optional[float] = None,
        rtol: Optional[float] = None,
        max_evals: Optional[Size] = None,
        time_limit: Optional[float] = None,
        backend: str = "auto",
        options: Optional[Dict[str, Any]] = None,
        params: Optional[Dict[str, Any]] = None,
        layout: str = "rows",
    ) -> Dict[str, Any]: ...
    def compare(self, kernel: str, backends: Optional[List[str]] = None, **problem: Any) -> Dict[str, Any]: ...

def engine(threads: Optional[int] = None) -> Engine: ...
def devices() -> List[Dict[str, Any]]: ...
def simd_level() -> str: ...
def after_fork() -> None: ...
