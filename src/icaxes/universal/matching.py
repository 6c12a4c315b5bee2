"""Correlate the axes of two fitted models over paired rows, and match them one to one."""

from __future__ import annotations

import numpy as np
from scipy.optimize import linear_sum_assignment

from icaxes.errors import DimensionMismatchError, InputError


def axis_correlations(A: np.ndarray, B: np.ndarray, weights: np.ndarray | None = None) -> np.ndarray:
    """Pearson correlation of every column of ``A`` with every column of ``B`` over paired rows.

    Parameters
    ----------
    A : ndarray of shape (n_pairs, k_a)
        Components of the first model, one row per pair.
    B : ndarray of shape (n_pairs, k_b)
        Components of the second model, row ``i`` paired with row ``i`` of ``A``.
    weights : ndarray of shape (n_pairs,), optional
        Non-negative pair weights (e.g. 1 / fan-out of a dictionary entry).

    Returns
    -------
    ndarray of shape (k_a, k_b)
    """
    A = np.asarray(A, dtype=np.float64)
    B = np.asarray(B, dtype=np.float64)
    if A.ndim != 2 or B.ndim != 2 or A.shape[0] != B.shape[0]:
        raise DimensionMismatchError(
            f"paired component matrices must have the same number of rows, got {A.shape} and {B.shape}"
        )
    if A.shape[0] < 3:
        raise InputError(f"need at least 3 pairs to correlate axes, got {A.shape[0]}")
    w = np.ones(A.shape[0]) if weights is None else np.asarray(weights, dtype=np.float64)
    if w.shape != (A.shape[0],) or np.any(w < 0) or not np.isfinite(w).all() or w.sum() <= 0:
        raise InputError("weights must be finite, non-negative, one per pair, and not all zero")
    w = w / w.sum()
    Ac = A - w @ A
    Bc = B - w @ B
    cov = (Ac * w[:, None]).T @ Bc
    sa = np.sqrt(w @ (Ac * Ac))
    sb = np.sqrt(w @ (Bc * Bc))
    with np.errstate(invalid="ignore", divide="ignore"):
        r = cov / np.outer(sa, sb)
    return np.nan_to_num(r)


def match_greedy(corr: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The paper's greedy matching: take pairs (i, j) by decreasing correlation while both are free.

    Returns
    -------
    rows, cols : ndarray
        Matched axis indices, in the order they were accepted (strongest first).
    """
    corr = np.asarray(corr, dtype=np.float64)
    order = np.argsort(-corr, axis=None, kind="stable")
    free_r = np.ones(corr.shape[0], dtype=bool)
    free_c = np.ones(corr.shape[1], dtype=bool)
    rows, cols = [], []
    limit = min(corr.shape)
    for flat in order:
        i, j = divmod(int(flat), corr.shape[1])
        if free_r[i] and free_c[j]:
            free_r[i] = free_c[j] = False
            rows.append(i)
            cols.append(j)
            if len(rows) == limit:
                break
    return np.asarray(rows, dtype=np.int64), np.asarray(cols, dtype=np.int64)


def match_optimal(corr: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Hungarian matching that maximises the summed correlation; sorted strongest first."""
    corr = np.asarray(corr, dtype=np.float64)
    rows, cols = linear_sum_assignment(corr, maximize=True)
    order = np.argsort(-corr[rows, cols], kind="stable")
    return rows[order].astype(np.int64), cols[order].astype(np.int64)
