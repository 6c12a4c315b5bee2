"""Fit and transform on Dask arrays: every pass over the rows is a map-reduce over chunks.

The covariance is a sum of per-chunk ``X_c^T X_c`` (float64), each solver iteration sums the
per-chunk ``tanh(Z_c W^T)^T Z_c`` and ``sum tanh^2`` (near the end, every tenth pass, also
``(1 - tanh^2)^T Z_c^2`` for the Hessian diagonal) to k x k on the client, and the
transform is a blockwise map. The whitened data stay on the workers (``persist``), so only
k x k matrices travel per iteration. With a ``distributed.Client`` active, the work runs on
its cluster; otherwise on Dask's default scheduler.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from icaxes.decompose.whitening import apply_affine, whitening_from_moments
from icaxes.errors import InputError, require


def _dask():
    require("dask", extra="dask", feature="Dask arrays")
    import dask
    import dask.array as da

    return dask, da


def _single_column_chunks(X: Any) -> Any:
    return X.rechunk({1: X.shape[1]}) if len(X.chunks[1]) > 1 else X


def _check(X: Any) -> Any:
    if X.ndim != 2:
        raise InputError(f"expected a 2-D Dask array, got {X.ndim} dimensions")
    if X.dtype not in (np.float32, np.float64):
        X = X.astype(np.float32)
    if np.isnan(X.shape[0]):
        raise InputError("the Dask array has unknown chunk sizes; call .compute_chunk_sizes() first")
    if X.shape[0] < 2 or X.shape[0] < X.shape[1]:
        raise InputError(f"need at least as many rows as columns to fit, got shape {X.shape}")
    return _single_column_chunks(X)


def _cross_block(block: np.ndarray, mean: np.ndarray) -> np.ndarray:
    b = np.asarray(block, dtype=np.float64) - mean
    return (b.T @ b)[None]


def column_moments_dask(X: Any) -> tuple[np.ndarray, np.ndarray]:
    """Mean and population covariance (float64) of a Dask array's rows: two map-reduces."""
    _dask()
    n, d = X.shape
    mean = X.sum(axis=0, dtype=np.float64).compute() / n
    parts = X.map_blocks(_cross_block, mean, dtype=np.float64,
                         chunks=((1,) * X.numblocks[0], (d,), (d,)), new_axis=2)
    cov = parts.sum(axis=0).compute() / n
    return mean, cov


def _pass_block(block: np.ndarray, Wt: np.ndarray, curvature: bool) -> np.ndarray:
    from icaxes.decompose.solver import NumpyPass

    p = NumpyPass(np.ascontiguousarray(block), n_threads=1)
    try:
        C, a, P = p(Wt.T.astype(np.float64), curvature)
    finally:
        p.close()
    k = Wt.shape[0]
    n = block.shape[0]
    out = np.zeros((1, 2 * k + 1 if curvature else k + 1, k))
    out[0, :k] = C * n
    out[0, k] = (1.0 - a) * n
    if P is not None:
        out[0, k + 1 :] = P * n
    return out


class DaskPass:
    """The solver's pass as a map-reduce over the chunks of a persisted whitened array.

    A :class:`~icaxes.decompose.solver.SolverPass`; ``close`` lets go of the array (the
    workers then free its chunks once nothing else holds them).
    """

    def __init__(self, Z: Any) -> None:
        self.Z = Z
        self.n, self.k = Z.shape

    def __call__(self, W: np.ndarray, curvature: bool = False) -> tuple:
        """Return ``C`` (k, k), ``a`` (k,) and ``P`` (k, k, or None) for the rotation ``W``."""
        if self.Z is None:
            raise RuntimeError("this DaskPass is closed")
        Wt = np.ascontiguousarray(W.T, dtype=self.Z.dtype)
        k = self.k
        rows = 2 * k + 1 if curvature else k + 1
        parts = self.Z.map_blocks(_pass_block, Wt, curvature, dtype=np.float64,
                                  chunks=((1,) * self.Z.numblocks[0], (rows,), (k,)), new_axis=2)
        total = parts.sum(axis=0).compute() / self.n
        return total[:k], 1.0 - total[k], total[k + 1 :] if curvature else None

    def close(self) -> None:
        """Let go of the persisted rows."""
        self.Z = None


def _moment34_block(block: np.ndarray, R: np.ndarray) -> np.ndarray:
    S = np.asarray(block, dtype=np.float64) @ R
    S2 = S * S
    return np.stack([np.sum(S2 * S, axis=0), np.sum(S2 * S2, axis=0)])[None]


def source_moments_dask(Z: Any, R: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Third and fourth raw moments of the sources ``Z @ R`` (one map-reduce)."""
    k = R.shape[1]
    m34 = Z.map_blocks(_moment34_block, R, dtype=np.float64,
                       chunks=((1,) * Z.numblocks[0], (2,), (k,)), new_axis=2).sum(axis=0).compute()
    return m34[0] / Z.shape[0], m34[1] / Z.shape[0]


def whiten_dask(X: Any, n_components: int | float | None) -> tuple[Any, Any]:
    """Check a Dask array for fitting, whiten it on its cluster and persist the whitened rows.

    Returns the whitening (:class:`~icaxes.decompose.whitening.Whitening`, from a
    map-reduce of the column moments) and the whitened rows, a persisted Dask array with the
    per-block arithmetic of the in-memory path (float32 for float32 input, else float64).
    """
    _dask()
    X = _check(X)
    mean, cov = column_moments_dask(X)
    white = whitening_from_moments(mean, cov, n_components)
    work = np.float32 if X.dtype == np.float32 else np.float64
    k = white.matrix.shape[0]
    Z = X.map_blocks(apply_affine, mean, white.matrix, work, dtype=work,
                     chunks=(X.chunks[0], (k,))).persist()
    return white, Z


def transform_dask(est: Any, X: Any) -> Any:
    """Blockwise transform of a Dask array with a fitted estimator (returns a Dask array)."""
    from icaxes.errors import DimensionMismatchError

    _dask()
    if X.ndim != 2 or X.shape[1] != est.n_features_in_:
        raise DimensionMismatchError(
            f"expected {est.n_features_in_} columns, got shape {X.shape}")
    X = _single_column_chunks(X)
    dtype = X.dtype if X.dtype in (np.float32, np.float64) else np.float64
    return X.map_blocks(apply_affine, est.mean_, est.components_, dtype, dtype=dtype,
                        chunks=(X.chunks[0], (est.components_.shape[0],)))
