"""Centring and PCA whitening, computed in float64 over row chunks (bounded memory).

Also the one PCA reduction of icaxes (:func:`principal_projection`): wide embeddings are
projected on their leading principal axes before ICA where that is asked for.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from icaxes.decompose.blas import blas_single_thread
from icaxes.errors import DegenerateDataError

#: rows per chunk when accumulating the covariance (about 8 MB of float64 at d=300)
CHUNK_ROWS = 4096

#: eigenvalues below this fraction of the largest are treated as zero (collinear columns)
RANK_TOL = 1e-7


@dataclass
class Whitening:
    """A fitted PCA whitening ``Z = (X - mean) @ matrix.T``.

    Attributes
    ----------
    mean : ndarray of shape (d,)
        Column means.
    eigenvalues : ndarray of shape (k,)
        Covariance eigenvalues, largest first.
    eigenvectors : ndarray of shape (d, k)
        Matching unit eigenvectors (columns), each with its largest entry positive.
    """

    mean: np.ndarray
    eigenvalues: np.ndarray
    eigenvectors: np.ndarray

    @property
    def matrix(self) -> np.ndarray:
        """Whitening matrix of shape (k, d): ``diag(1/sqrt(eigenvalues)) @ eigenvectors.T``."""
        return (self.eigenvectors / np.sqrt(self.eigenvalues)).T

    @property
    def dewhitening(self) -> np.ndarray:
        """Pseudo-inverse of :attr:`matrix`, shape (d, k)."""
        return self.eigenvectors * np.sqrt(self.eigenvalues)


def column_moments(X: np.ndarray, sample_weight: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Weighted mean and covariance of the rows of ``X`` in float64, one chunk at a time.

    Parameters
    ----------
    X : ndarray of shape (n, d)
        Data; may be a memory map.
    sample_weight : ndarray of shape (n,), optional
        Non-negative row weights.

    Returns
    -------
    mean : ndarray of shape (d,)
    cov : ndarray of shape (d, d)
        Population covariance (divided by the total weight).
    """
    n, d = X.shape
    w_total = float(n) if sample_weight is None else float(np.sum(sample_weight))
    total = np.zeros(d)
    for start in range(0, n, CHUNK_ROWS):
        block = np.asarray(X[start : start + CHUNK_ROWS], dtype=np.float64)
        if sample_weight is None:
            total += block.sum(axis=0)
        else:
            total += sample_weight[start : start + CHUNK_ROWS] @ block
    mean = total / w_total
    cov = np.zeros((d, d))
    for start in range(0, n, CHUNK_ROWS):
        block = np.asarray(X[start : start + CHUNK_ROWS], dtype=np.float64) - mean
        if sample_weight is None:
            cov += block.T @ block
        else:
            cov += (block * sample_weight[start : start + CHUNK_ROWS, None]).T @ block
    cov /= w_total
    return mean, cov


def whitening_from_moments(mean: np.ndarray, cov: np.ndarray,
                           n_components: int | float | None = None) -> Whitening:
    """PCA whitening from a mean and covariance; raises on constant or collinear columns.

    ``n_components``: None keeps all components, an int that many, a float in (0, 1) the
    fewest that explain that fraction of the variance.
    """
    from icaxes.params import resolve_n_components

    d = cov.shape[0]
    # on one thread: a threaded eigh rounds differently with the number of cores (blas.py)
    with blas_single_thread():
        eigenvalues, eigenvectors = np.linalg.eigh(cov)
    order = np.argsort(eigenvalues)[::-1]
    eigenvalues, eigenvectors = eigenvalues[order], eigenvectors[:, order]
    k = resolve_n_components(n_components, eigenvalues)
    variances = np.diag(cov)
    scale = max(float(variances.max()), np.finfo(float).tiny)
    constant = np.flatnonzero(variances <= scale * 1e-12)
    # constant columns only matter when the components asked for would include them
    if constant.size and k > d - constant.size:
        cols = ", ".join(str(c) for c in constant[:5]) + (" ..." if constant.size > 5 else "")
        raise DegenerateDataError(
            f"{constant.size} constant column(s) (column {cols}); drop them before fitting, or "
            f"keep at most {d - constant.size} components (n_components, --n-components)"
        )
    rank = int(np.sum(eigenvalues > eigenvalues[0] * RANK_TOL))
    if k > rank:
        raise DegenerateDataError(
            f"the columns are collinear: the covariance has rank {rank} < {k} components; "
            f"drop redundant columns or keep at most {rank} components (n_components, --n-components)"
        )
    eigenvalues, eigenvectors = eigenvalues[:k], eigenvectors[:, :k]
    # deterministic eigenvector signs: largest-magnitude entry positive
    flip = np.sign(eigenvectors[np.argmax(np.abs(eigenvectors), axis=0), np.arange(k)])
    eigenvectors = eigenvectors * flip
    return Whitening(mean=mean, eigenvalues=eigenvalues, eigenvectors=eigenvectors)


def fit_whitening(
    X: np.ndarray, n_components: int | float | None = None, sample_weight: np.ndarray | None = None
) -> Whitening:
    """Fit a PCA whitening on the rows of ``X`` (all components kept by default)."""
    mean, cov = column_moments(X, sample_weight)
    return whitening_from_moments(mean, cov, n_components)


def principal_projection(X: np.ndarray, n_components: int, *, fit_rows: int | None = None,
                         whiten: bool = False) -> np.ndarray:
    """The centred rows of ``X`` projected on their first ``n_components`` principal axes.

    Used to reduce wide embeddings before ICA (image features: few rows, many columns; the
    evaluations' ``max_dim``) and as the PCA baseline of the Axis Tour's dimension reduction
    (:func:`icaxes.evaluate.tour.pca_baseline`).

    Parameters
    ----------
    X : ndarray of shape (n, d)
    n_components : int
        Principal axes kept (at most ``min(n, d)`` exist).
    fit_rows : int, optional
        Fit the projection (the mean and the axes) on the first ``fit_rows`` rows only (bounds
        the cost of the SVD); every row is projected.
    whiten : bool
        Divide each component by its standard deviation over the fitted rows (``ddof=1``), so
        that it has unit variance there.

    Returns
    -------
    ndarray of shape (n, min(n_components, n, d)), float64
        ``(X - mean) @ V[:, :n_components]`` with ``mean`` and ``V`` (the leading right singular
        vectors of the centred rows, largest first) from the fitted rows.
    """
    if n_components < 1:
        raise DegenerateDataError(f"a PCA reduction needs at least 1 component, got {n_components}")
    X = np.asarray(X, dtype=np.float64)
    fit = X if fit_rows is None else X[:fit_rows]
    mean = fit.mean(axis=0)
    _, sv, vt = np.linalg.svd(fit - mean, full_matrices=False)
    Y = (X - mean) @ vt[:n_components].T
    if whiten:
        Y /= sv[:n_components] / np.sqrt(max(fit.shape[0] - 1, 1))
    return Y


def apply_affine(
    X: np.ndarray, mean: np.ndarray, matrix: np.ndarray, out_dtype: np.dtype | type = np.float64
) -> np.ndarray:
    """Return ``(X - mean) @ matrix.T`` computed in float64, cast to ``out_dtype``, chunk by chunk."""
    n = X.shape[0]
    out = np.empty((n, matrix.shape[0]), dtype=out_dtype)
    mt = np.ascontiguousarray(matrix.T)
    shift = mean @ mt
    # two float64 temporaries of CHUNK_ROWS rows (about 25 MB at d = k = 384), reused
    buf = np.empty((min(CHUNK_ROWS, n), mt.shape[1]))
    for start in range(0, n, CHUNK_ROWS):
        block = np.asarray(X[start : start + CHUNK_ROWS], dtype=np.float64)
        part = buf[: block.shape[0]]
        np.matmul(block, mt, out=part)
        part -= shift
        out[start : start + block.shape[0]] = part
    return out
