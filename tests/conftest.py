"""Shared fixtures: small slices of real GloVe, and synthetic data with a known answer."""

from __future__ import annotations

import os
import platform

# The kernels the documented numbers were made with, as the Makefile selects them (see its
# comment); OpenBLAS reads this once, when numpy loads, so it is set before numpy is imported.
if platform.machine() == "x86_64":
    os.environ.setdefault("OPENBLAS_CORETYPE", "Haswell")

import numpy as np
import pytest

import icaxes


def pytest_configure(config: pytest.Config) -> None:
    """Turn icaxes' convergence warnings into errors.

    Declared here rather than in pyproject's ``filterwarnings``: pytest resolves that setting's
    warning class before it reads this file, which would import numpy before the kernel choice
    above.
    """
    config.addinivalue_line("filterwarnings", "error::icaxes.errors.ConvergenceWarning")


@pytest.fixture(scope="session")
def glove_5k() -> icaxes.Embeddings:
    """The 5,000 most frequent GloVe 6B 50d words."""
    return icaxes.load_embeddings("glove-6b-50d", limit=5000)


@pytest.fixture(scope="session")
def glove_20k() -> icaxes.Embeddings:
    """The 20,000 most frequent GloVe 6B 50d words (ICA converges at tol 1e-10 here)."""
    return icaxes.load_embeddings("glove-6b-50d", limit=20000)


@pytest.fixture(scope="session")
def glove_model_dir(glove_20k_dir):
    """A model folder fitted by the CLI-level API (the 20k one: 5k words leave the weakest
    axes nearly Gaussian, and ICA does not reach tol 1e-10 there)."""
    return glove_20k_dir


@pytest.fixture(scope="session")
def glove_20k_dir(tmp_path_factory):
    """A model folder (ica/, pca/) fitted on the 20,000 most frequent GloVe words.

    ICA converges here at the paper's tol 1e-10 (about 300 iterations).
    """
    from icaxes.fitting import fit_source

    out = tmp_path_factory.mktemp("models") / "glove20k"
    fit_source("glove-6b-50d", out, limit=20000, seed=0)
    return out


@pytest.fixture
def laplace_mixture():
    """Known sources (Laplace, skewed exponential) mixed by a known matrix."""
    rng = np.random.default_rng(42)
    n = 20000
    sources = np.column_stack([
        rng.laplace(size=n), rng.exponential(size=n) - 1.0, rng.laplace(size=n),
        rng.exponential(size=n) - 1.0, rng.uniform(-1, 1, size=n),
    ])
    mixing = rng.normal(size=(5, 5))
    return sources, mixing, sources @ mixing.T


@pytest.fixture(scope="session")
def glove_10k_30k_ica():
    """A second real model: ICA fitted on the GloVe words ranked 10,000-30,000 (shares 10,000 words)."""
    emb = icaxes.load_embeddings("glove-6b-50d", limit=30_000).subset(np.arange(10_000, 30_000))
    return icaxes.fit_ica(emb, seed=0)
