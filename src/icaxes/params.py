"""The estimators' parameters, declared once: what each accepts, checked at the start of ``fit``.

Each estimator lists its parameters in a ``_parameter_constraints`` dict (scikit-learn's
style, with these small rule classes instead of scikit-learn's private ones): a parameter is
valid when one of its rules accepts it. :func:`validate_params` raises one
:class:`~icaxes.errors.ParameterError` (a ``ValueError``) naming the parameter, its command-line
option, what it accepts and what it got. The defaults that several callers share
(:data:`MAX_ITER`, :data:`TOL`, :data:`N_INIT`) live here too, so the CLI and the fitting functions read them
from one place.
"""

from __future__ import annotations

import math
import numbers
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from icaxes.errors import ParameterError

if TYPE_CHECKING:
    import numpy as np

#: maximum solver iterations (the paper's setting)
MAX_ITER = 10000
#: convergence tolerance (the paper's setting; scikit-learn's 1e-4 stops far from the solution)
TOL = 1e-10
#: starts of the ICA solver (1: scikit-learn's start for the seed; more: keep the best contrast)
N_INIT = 1

#: the command-line option of each parameter that has one
CLI_NAMES = {"random_state": "--seed", "n_components": "--n-components", "max_iter": "--max-iter",
             "tol": "--tol", "solver": "--solver", "device": "--device", "n_init": "--n-init"}


def _num(v: float) -> str:
    return str(int(v)) if float(v).is_integer() and abs(v) < 1e15 else f"{v:g}"


@dataclass(frozen=True)
class Interval:
    """Numbers between ``low`` and ``high`` (None: unbounded): integers only (``kind=int``) or any
    finite real number (``kind=float``, integers included; never a bool)."""

    kind: type
    low: float | None
    high: float | None
    closed: str = "both"  # "both", "left", "right" or "neither"

    def accepts(self, value: Any) -> bool:
        if isinstance(value, bool) or type(value).__name__ == "bool_":
            return False
        if self.kind is int:
            if not isinstance(value, numbers.Integral):
                return False
        elif not isinstance(value, numbers.Real) or not math.isfinite(value):
            return False
        left, right = self.closed in ("both", "left"), self.closed in ("both", "right")
        lo_ok = self.low is None or (value >= self.low if left else value > self.low)
        hi_ok = self.high is None or (value <= self.high if right else value < self.high)
        return lo_ok and hi_ok

    def __str__(self) -> str:
        kind = "an integer" if self.kind is int else "a number"
        if self.low is not None and self.high is not None:
            left = "[" if self.closed in ("both", "left") else "("
            right = "]" if self.closed in ("both", "right") else ")"
            return f"{kind} in {left}{_num(self.low)}, {_num(self.high)}{right}"
        if self.low is not None:
            return f"{kind} {'>=' if self.closed in ('both', 'left') else '>'} {_num(self.low)}"
        if self.high is not None:
            return f"{kind} {'<=' if self.closed in ('both', 'right') else '<'} {_num(self.high)}"
        return kind


@dataclass(frozen=True)
class Options:
    """One of the given values."""

    values: tuple[Any, ...]

    def accepts(self, value: Any) -> bool:
        return isinstance(value, str | int | float | bool | type(None)) and value in self.values

    def __str__(self) -> str:
        return "one of " + ", ".join(repr(v) for v in self.values)


@dataclass(frozen=True)
class InstanceOf:
    """An instance of ``kind`` (described as ``what``); ``kind`` may be a "module.Name" string,
    imported when a value is checked (so that declaring a rule imports nothing)."""

    kind: type | tuple[type, ...] | str
    what: str

    def accepts(self, value: Any) -> bool:
        kind = self.kind
        if isinstance(kind, str):
            import importlib

            module, _, name = kind.rpartition(".")
            kind = getattr(importlib.import_module(module), name)
        return isinstance(value, kind)

    def __str__(self) -> str:
        return self.what


@dataclass(frozen=True)
class Boolean:
    """True or False (a Python or a NumPy bool)."""

    def accepts(self, value: Any) -> bool:
        return isinstance(value, bool) or type(value).__name__ == "bool_"

    def __str__(self) -> str:
        return "True or False"


#: rules shared by the estimators
NONE = Options((None,))
BOOL = Boolean()
SEED = [NONE, Interval(int, 0, 2**32 - 1), InstanceOf("numpy.random.RandomState", "a numpy RandomState")]
N_COMPONENTS = [NONE, Interval(int, 1, None), Interval(float, 0, 1, closed="neither")]


def validate_params(est: Any) -> None:
    """Check every parameter of ``est`` against its ``_parameter_constraints``.

    Raises
    ------
    ParameterError
        The first parameter that no rule accepts.
    """
    for name, rules in type(est)._parameter_constraints.items():
        value = getattr(est, name)
        if any(rule.accepts(value) for rule in rules):
            continue
        shown = [str(r) if r is not NONE else "None" for r in rules]
        accepted = ", ".join(shown[:-1]) + " or " + shown[-1] if len(shown) > 1 else shown[0]
        option = f" ({CLI_NAMES[name]})" if name in CLI_NAMES else ""
        raise ParameterError(f"{type(est).__name__}: {name}{option} must be {accepted}; got {value!r}")


def resolve_n_components(n_components: int | float | None, eigenvalues: np.ndarray) -> int:
    """The number of components to keep: all, the given count, or enough for a variance fraction.

    Parameters
    ----------
    n_components : int, float in (0, 1) or None
        None keeps all; an int keeps that many; a float keeps the fewest leading components
        whose share of the total variance reaches it (like scikit-learn's ``PCA(0.95)``).
    eigenvalues : ndarray
        Covariance eigenvalues, largest first.
    """
    import numpy as np

    d = eigenvalues.size
    if n_components is None:
        return d
    if isinstance(n_components, numbers.Integral):
        k = int(n_components)
        if k > d:
            raise ParameterError(f"n_components (--n-components) is {k} but the data has only {d} "
                                 f"columns; keep at most {d}")
        return k
    ratio = np.cumsum(np.clip(eigenvalues, 0, None)) / max(float(np.sum(np.clip(eigenvalues, 0, None))),
                                                           np.finfo(float).tiny)
    return int(min(np.searchsorted(ratio, float(n_components), side="right") + 1, d))
