"""Axis Tour: order ICA axes so that neighbours are semantically close, and reduce dimension.

Each axis gets a vector, the mean of the normalised rows of its top words; the order is the
shortest cyclic tour through these vectors with edge cost ``1 - cos`` (a travelling salesman
problem, solved with LKH-3 through the ``elkai`` package), opened at its weakest edge
(docs/method.md section 5). Consecutive axes of the tour can then be merged: split the tour
into ``p`` blocks and project each block onto one unit vector weighted by skewness^alpha.
The naive baseline keeps the first ``p`` principal components: unwhitened (ours) or whitened
(the paper's code), see :func:`pca_baseline`.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence

import numpy as np

from icaxes.decompose.whitening import principal_projection
from icaxes.errors import InputError, require
from icaxes.evaluate.similarity import unit_rows

#: LKH works on integer costs; costs in [0, 2] are scaled by this before rounding.
_COST_SCALE = 1_000_000


def axis_vectors(normalized: np.ndarray, k: int = 100, allowed: np.ndarray | None = None) -> np.ndarray:
    """Vector of each axis: the mean of the normalised rows of its top-``k`` rows.

    Parameters
    ----------
    normalized : ndarray of shape (n, d)
        Row-normalised components.
    k : int
    allowed : ndarray of bool, optional
        Rows that may be top words (e.g. frequent alphabetic words).
    """
    X = np.asarray(normalized, dtype=np.float64)
    rows = np.arange(X.shape[0]) if allowed is None else np.flatnonzero(allowed)
    if rows.size < k:
        raise InputError(f"need at least k={k} allowed rows, got {rows.size}")
    V = np.empty((X.shape[1], X.shape[1]))
    for a in range(X.shape[1]):
        top = rows[np.argsort(-X[rows, a], kind="stable")[:k]]
        V[a] = X[top].mean(axis=0)
    return V


def solve_cycle(cost: np.ndarray, runs: int = 10) -> list[int]:
    """Shortest Hamiltonian cycle of a symmetric cost matrix (LKH-3 via elkai), as a node list.

    LKH is deterministic for a given input (fixed internal seed).
    """
    cost = np.asarray(cost, dtype=np.float64)
    n = cost.shape[0]
    if n < 3:
        return list(range(n))
    elkai = require("elkai", extra="eval", feature="the Axis Tour ordering")
    scale = _COST_SCALE / max(float(cost.max()), 1e-12)
    ints = np.rint(cost * scale).astype(np.int64)
    np.fill_diagonal(ints, 0)
    cycle = elkai.DistanceMatrix(ints.tolist()).solve_tsp(runs=runs)
    return [int(c) for c in cycle[:-1]]  # elkai repeats the start at the end


def axis_tour(vectors: np.ndarray, runs: int = 10) -> tuple[list[int], np.ndarray]:
    """Tour order of the axes and the ``1 - cos`` cost of each consecutive step.

    The cycle is opened at its most expensive edge, so the tour starts and ends at the two
    axes that are least alike among neighbours.
    """
    V = unit_rows(vectors)
    cost = np.clip(1.0 - V @ V.T, 0.0, None)
    cycle = solve_cycle(cost, runs)
    n = len(cycle)
    if n < 3:
        return cycle, cost[cycle[:-1], cycle[1:]] if n == 2 else np.zeros(0)
    edges = np.array([cost[cycle[i], cycle[(i + 1) % n]] for i in range(n)])
    cut = int(np.argmax(edges))
    order = cycle[cut + 1:] + cycle[: cut + 1]
    steps = np.array([cost[order[i], order[i + 1]] for i in range(n - 1)])
    return order, steps


def tour_length(cost: np.ndarray, order: Sequence[int], cyclic: bool = True) -> float:
    """Summed cost along ``order`` (closing the cycle when ``cyclic``)."""
    idx = list(order) + ([order[0]] if cyclic else [])
    return float(sum(cost[a, b] for a, b in itertools.pairwise(idx)))


def block_reduce(normalized: np.ndarray, order: Sequence[int], skewness: np.ndarray, p: int,
                 alpha: float = 1 / 3) -> np.ndarray:
    """Reduce to ``p`` dimensions: consecutive blocks of ``order``, each projected on one vector.

    Block ``b`` (axes ``order`` split into ``p`` near-equal consecutive runs) maps a row ``x``
    to ``x[b] @ u_b`` with ``u_b`` proportional to ``skewness[b] ** alpha`` and of unit length.
    """
    X = np.asarray(normalized, dtype=np.float64)
    order = np.asarray(order)
    if not 1 <= p <= order.size:
        raise InputError(f"p must be in 1..{order.size}, got {p}")
    skew = np.clip(np.asarray(skewness, dtype=np.float64), 1e-12, None)
    out = np.empty((X.shape[0], p))
    for j, block in enumerate(np.array_split(order, p)):
        u = skew[block] ** alpha
        out[:, j] = X[:, block] @ (u / np.linalg.norm(u))
    return out


#: PCA baselines of the dimension reduction: ``unwhitened`` (ours: the centred data projected
#: on the first p principal directions) and ``whitened`` (the paper: those scores divided by
#: their standard deviations, so each kept component has unit variance).
PCA_BASELINES = ("unwhitened", "whitened")


def pca_baseline(X: np.ndarray, p: int, whiten: bool = False, fit_rows: int | None = 100_000) -> np.ndarray:
    """The first ``p`` principal components of every row of ``X``, optionally whitened.

    :func:`icaxes.decompose.whitening.principal_projection` with a check of ``p``.

    Parameters
    ----------
    X : ndarray of shape (n, d)
        The raw embedding.
    p : int
    whiten : bool
        Divide each component by its standard deviation (the paper's baseline).
    fit_rows : int, optional
        The projection is fitted on the first ``fit_rows`` rows (all rows: None).
    """
    X = np.asarray(X, dtype=np.float64)
    if not 1 <= p <= X.shape[1]:
        raise InputError(f"p must be in 1..{X.shape[1]}, got {p}")
    return principal_projection(X, p, fit_rows=fit_rows, whiten=whiten)
