"""Non-Gaussianity of embedding axes: skewness, kurtosis and the paper's four measures.

Every statistic is computed on z-scored columns (zero mean, unit variance), so it speaks
about the shape of each axis's distribution and not its scale. The four measures of
docs/method.md (section 1) are zero for a Gaussian column and grow with how "spiky" it is:

- ``skewness``: ``|E z^3|``
- ``kurtosis``: ``E z^4 - 3`` (excess kurtosis)
- ``logcosh``: ``(E log cosh z - E_N log cosh)^2`` with ``E_N log cosh = 0.374567...``
- ``gauss``: ``(E[-exp(-z^2/2)] - E_N[-exp(-z^2/2)])^2`` with ``E_N[...] = -1/sqrt(2)``

The two constants are the expectations under a standard normal (the negentropy
approximations of Hyvärinen 1998); :func:`gaussian_logcosh_mean` computes the first.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

#: E[log cosh Z] for Z ~ N(0, 1), to the precision the paper quotes
LOGCOSH_GAUSS = 0.374567
#: E[-exp(-Z^2/2)] for Z ~ N(0, 1) is -1/sqrt(2); the paper quotes 0.707107 for its magnitude
NEG_EXP_GAUSS = -0.707107

MEASURES = ("skewness", "kurtosis", "logcosh", "gauss")


def gaussian_logcosh_mean() -> float:
    """E[log cosh Z] for a standard normal Z, by numerical integration (about 0.3745672)."""
    from scipy import integrate, stats

    val, _ = integrate.quad(lambda z: _logcosh(np.asarray(z)) * stats.norm.pdf(z), -np.inf, np.inf,
                            epsabs=1e-13, epsrel=1e-12)
    return float(val)


def _logcosh(z: np.ndarray) -> np.ndarray:
    # log cosh z = |z| + log1p(exp(-2|z|)) - log 2, stable for large |z|
    a = np.abs(z)
    return a + np.log1p(np.exp(-2.0 * a)) - np.log(2.0)


def zscore(X: np.ndarray, *, chunk: int = 65536) -> np.ndarray:
    """Columns of ``X`` centred and scaled to unit (population) variance, float64.

    Raises
    ------
    DegenerateDataError
        If a column is constant (it has no shape to measure).
    """
    from icaxes.errors import DegenerateDataError, InputError

    X = np.asarray(X)
    if X.ndim != 2 or X.shape[0] < 2:
        raise InputError(f"expected a 2-D array with at least 2 rows, got shape {X.shape}")
    Z = np.array(X, dtype=np.float64, copy=True)
    if not np.all(np.isfinite(Z)):
        from icaxes.errors import NonFiniteError

        raise NonFiniteError("the matrix holds NaN or infinite values; clean the input first")
    Z -= Z.mean(axis=0)
    sd = np.sqrt(np.mean(Z * Z, axis=0))
    bad = np.flatnonzero(sd <= 1e-12 * max(1.0, float(np.max(np.abs(X)))))
    if bad.size:
        raise DegenerateDataError(
            f"column(s) {', '.join(map(str, bad[:5]))} are constant; drop them before measuring "
            "non-Gaussianity")
    Z /= sd
    return Z


def axis_moments(X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Skewness ``E z^3`` and excess kurtosis ``E z^4 - 3`` of each z-scored column.

    Parameters
    ----------
    X : ndarray of shape (n, k)

    Returns
    -------
    skewness, kurtosis : ndarray of shape (k,)
        Population moments (no small-sample correction), as in the paper.
    """
    Z = zscore(X)
    Z2 = Z * Z
    return np.mean(Z2 * Z, axis=0), np.mean(Z2 * Z2, axis=0) - 3.0


def nongaussianity(X: np.ndarray) -> dict[str, np.ndarray]:
    """The four non-Gaussianity measures of each column of ``X`` (z-scored first).

    Returns
    -------
    dict
        ``{"skewness", "kurtosis", "logcosh", "gauss"}`` -> ndarray of shape (k,).
        ``skewness`` is the absolute third moment; all four are 0 for a Gaussian column.
    """
    Z = zscore(X)
    Z2 = Z * Z
    return {
        "skewness": np.abs(np.mean(Z2 * Z, axis=0)),
        "kurtosis": np.mean(Z2 * Z2, axis=0) - 3.0,
        "logcosh": (np.mean(_logcosh(Z), axis=0) - LOGCOSH_GAUSS) ** 2,
        "gauss": (np.mean(-np.exp(-Z2 / 2.0), axis=0) - NEG_EXP_GAUSS) ** 2,
    }


def nongaussianity_table(raw: np.ndarray, pca_components: np.ndarray, ica_components: np.ndarray,
                         seed: int = 0, *, extra: Mapping[str, np.ndarray] | None = None
                         ) -> pd.DataFrame:
    """Compare the non-Gaussianity of raw dimensions, PCA axes, ICA axes and Gaussian noise.

    Parameters
    ----------
    raw : ndarray of shape (n, d)
        The embedding matrix (its dimensions are z-scored before measuring).
    pca_components, ica_components : ndarray of shape (n, k)
        PCA scores and ICA sources of the same rows.
    seed : int, default 0
        Seed of the Gaussian baseline, a standard normal matrix shaped like ``raw``.
    extra : mapping of str to ndarray, optional
        More matrices to measure (one row each, after the four standard ones).

    Returns
    -------
    pandas.DataFrame
        Index ``raw``, ``pca``, ``ica``, ``gaussian`` (then ``extra``); columns
        ``skewness``, ``kurtosis``, ``logcosh``, ``gauss`` (means over axes),
        the same with a ``_median`` suffix, and ``n_axes``.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> X = rng.exponential(size=(2000, 3))
    >>> t = nongaussianity_table(X, X, X)
    >>> bool(t.loc["raw", "skewness"] > 10 * t.loc["gaussian", "skewness"])
    True
    """
    raw = np.asarray(raw)
    n = raw.shape[0]
    for name, M in (("pca_components", pca_components), ("ica_components", ica_components)):
        if np.shape(M)[0] != n:
            from icaxes.errors import DimensionMismatchError

            raise DimensionMismatchError(
                f"{name} has {np.shape(M)[0]} rows but raw has {n}; pass the same rows to all")
    gaussian = np.random.default_rng(seed).standard_normal(raw.shape)
    mats: dict[str, np.ndarray] = {"raw": raw, "pca": np.asarray(pca_components),
                                   "ica": np.asarray(ica_components), "gaussian": gaussian}
    if extra:
        mats.update({k: np.asarray(v) for k, v in extra.items()})
    rows = {}
    for name, M in mats.items():
        m = nongaussianity(M)
        row: dict[str, float] = {k: float(np.mean(m[k])) for k in MEASURES}
        row.update({f"{k}_median": float(np.median(m[k])) for k in MEASURES})
        row["n_axes"] = M.shape[1]
        rows[name] = row
    table = pd.DataFrame.from_dict(rows, orient="index")
    table.index.name = "axes"
    return table
