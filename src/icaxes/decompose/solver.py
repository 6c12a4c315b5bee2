"""The ICA rotation solver: symmetric (parallel) FastICA with the log cosh contrast.

Given whitened data ``Z`` (n x k, unit covariance) it finds an orthogonal ``W`` so that
the rows of ``Z @ W.T`` are as non-Gaussian as possible.

Convergence criterion (the same one scikit-learn and the paper use, so that ``tol`` means
the same thing): after an update ``W -> W_new``, the change is
``max_i | 1 - |<w_i, w_new_i>| |``, i.e. one minus the cosine between each unmixing row
and its update, worst row. ``tol=1e-10`` (the paper's setting) means every row moved by
less than about 1.4e-5 radians in the last step.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np


@dataclass
class SolverResult:
    """Outcome of a solver run.

    Attributes
    ----------
    unmixing : ndarray of shape (k, k)
        Orthogonal matrix ``W``; the sources are ``Z @ unmixing.T``.
    n_iter : int
        Iterations performed.
    change : float
        Value of the convergence criterion at the last iteration.
    converged : bool
        Whether ``change < tol`` was reached.
    """

    unmixing: np.ndarray
    n_iter: int
    change: float
    converged: bool


def symmetric_decorrelation(W: np.ndarray) -> np.ndarray:
    """Return the orthogonal matrix closest to ``W``: ``(W W^T)^{-1/2} W``."""
    s, u = np.linalg.eigh(W @ W.T)
    s = np.clip(s, np.finfo(W.dtype).tiny, None)
    return (u / np.sqrt(s)) @ u.T @ W


def random_orthogonal(k: int, random_state: np.random.Generator | int | None) -> np.ndarray:
    """A random starting rotation drawn from ``random_state``."""
    rng = np.random.default_rng(random_state)
    return symmetric_decorrelation(rng.standard_normal((k, k)))


def fastica_symmetric(
    Z: np.ndarray,
    *,
    w_init: np.ndarray,
    max_iter: int = 10000,
    tol: float = 1e-10,
    callback: Callable[[int, float], None] | None = None,
) -> SolverResult:
    """Symmetric FastICA fixed-point iteration with ``G(u) = log cosh(u)``.

    Parameters
    ----------
    Z : ndarray of shape (n, k)
        Whitened data (zero mean, identity covariance).
    w_init : ndarray of shape (k, k)
        Starting unmixing matrix.
    max_iter : int
        Maximum number of iterations.
    tol : float
        Stop when the convergence criterion (module docstring) falls below ``tol``.
    callback : callable, optional
        Called as ``callback(iteration, change)`` after each iteration.

    Returns
    -------
    SolverResult
    """
    n = Z.shape[0]
    W = symmetric_decorrelation(np.asarray(w_init, dtype=np.float64))
    Zt = Z
    change = np.inf
    it = 0
    for it in range(1, max_iter + 1):
        Y = Zt @ W.T.astype(Zt.dtype, copy=False)
        G = np.tanh(Y, out=Y)
        g_prime = (1.0 - np.mean(np.square(G, dtype=np.float64), axis=0))
        W_new = (G.T @ Zt).astype(np.float64) / n - g_prime[:, None] * W
        W_new = symmetric_decorrelation(W_new)
        change = float(np.max(np.abs(np.abs(np.einsum("ij,ij->i", W_new, W)) - 1.0)))
        W = W_new
        if callback is not None:
            callback(it, change)
        if change < tol:
            return SolverResult(W, it, change, True)
    return SolverResult(W, it, change, False)
