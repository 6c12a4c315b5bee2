"""icaxes: interpretable, universal semantic axes of embeddings with Independent Component Analysis.

The data flows from sources (:func:`load_embeddings`) through the fitted transform
(:class:`ICA`, :func:`fit_ica`) to an :class:`AxisModel` that is interpreted, matched,
evaluated and drawn.
"""

from icaxes.decompose import ICA, PCA
from icaxes.errors import (
    ConvergenceWarning,
    IcaxesError,
    InputError,
    MissingDependencyError,
    UnknownTokenError,
)
from icaxes.io import SOURCES, Embeddings, load_embeddings
from icaxes.model import AxisModel, fit_ica, fit_pca, load_model

__version__ = "0.1.0"

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
