"""icaxes: interpretable, universal semantic axes of embeddings with Independent Component Analysis.

The data flows from sources (:func:`load_embeddings`) through the fitted transform
(:class:`ICA`, :func:`fit_ica`) to an :class:`AxisModel` that is interpreted, matched,
evaluated and drawn.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

import icaxes._startup  # noqa: F401  (first: a Ctrl-C while the `icaxes` command imports is one line)
from icaxes.errors import IcaxesError, InputError, MissingDependencyError, UnknownTokenError

__version__ = "0.1.0"

# The names below are imported on first use (PEP 562), so that `import icaxes` and
# `icaxes --help` do not pay for scikit-learn, SciPy and pandas (about a second).
_LAZY = {
    "ICA": "icaxes.decompose", "PCA": "icaxes.decompose",
    "ConvergenceWarning": "icaxes.errors",
    "SOURCES": "icaxes.io", "Embeddings": "icaxes.io", "load_embeddings": "icaxes.io",
    "AxisModel": "icaxes.model", "fit_ica": "icaxes.model", "fit_pca": "icaxes.model",
    "load_model": "icaxes.model",
}

_SUBMODULES = frozenset({"cli", "decompose", "evaluate", "explorer", "fitting", "interpret", "io",
                         "model", "report", "stats", "universal", "viz"})

if TYPE_CHECKING:
    from icaxes.decompose import ICA, PCA
    from icaxes.errors import ConvergenceWarning
    from icaxes.io import SOURCES, Embeddings, load_embeddings
    from icaxes.model import AxisModel, fit_ica, fit_pca, load_model


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        value = getattr(importlib.import_module(_LAZY[name]), name)
        globals()[name] = value
        return value
    if name in _SUBMODULES:  # `import icaxes; icaxes.viz.figures...` keeps working
        return importlib.import_module(f"icaxes.{name}")
    raise AttributeError(f"module 'icaxes' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))


__all__ = [
    "ICA",
    "PCA",
    "SOURCES",
    "AxisModel",
    "ConvergenceWarning",
    "Embeddings",
    "IcaxesError",
    "InputError",
    "MissingDependencyError",
    "UnknownTokenError",
    "__version__",
    "fit_ica",
    "fit_pca",
    "load_embeddings",
    "load_model",
]
