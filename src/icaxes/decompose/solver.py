"""The ICA rotation solver: symmetric (parallel) FastICA with the log cosh contrast.

Given whitened data ``Z`` (n x k, unit covariance) it finds an orthogonal ``W`` so that
the columns of ``Z @ W.T`` are as non-Gaussian as possible, measured by ``E[log cosh]``.

Objective and solution
    A symmetric FastICA fixed point (up to the sign of each row, which its criterion
    ignores) is a stationary point of ``sum_i s_i E[log cosh(w_i . z)]`` over orthogonal
    ``W`` with one sign ``s_i = +-1`` per axis: both mean ``s_i M_ij = s_j M_ji`` for
    ``M_ij = E[tanh(y_i) y_j]``. Both phases below drive that condition, and the stopping
    test is FastICA's own, so the solver lands on scikit-learn's solution at the paper's
    settings.

Algorithm
    1. Fixed-point phase: plain symmetric FastICA steps (robust far from the solution)
       until the change falls below ``switch_tol`` (default 1e-5), at most 100 steps (plain
       FastICA can cycle between two rotations when some axes are nearly Gaussian).
    2. Quasi-Newton phase on the orthogonal group: ``W <- expm(D) W`` with ``D`` skew from
       L-BFGS on the relative gradient ``(M - M^T)/2``, ``M = s_i E[tanh(y_i) y_j]``,
       preconditioned by the diagonal Hessian approximation ``(kappa_i + kappa_j)/2``,
       ``kappa_i = s_i (E[1 - tanh^2 y_i] - E[y_i tanh y_i])`` (the signs ``s_i`` make every
       component a minimum, as for sub-Gaussian axes FastICA maximises), with a backtracking
       line search on the signed objective ``sum_i s_i E[log cosh y_i]``.

Each iteration costs one pass over ``Z``: two GEMMs (``Z W^T`` and ``tanh(Y)^T Z``) in the
data's dtype (float32 for float32 input) done chunk by chunk on a thread pool so that the
``tanh`` and the column sums run on every core while the chunk is still in cache; the k x k
algebra is float64. Partial sums are reduced in chunk order, so results are bit for bit
reproducible on one machine.

Convergence criterion (the same one scikit-learn and the paper use, so that ``tol`` means
the same thing): at the current ``W`` take the FastICA update ``W_fp`` (from the same pass)
and measure ``max_i | 1 - |<w_i, w_fp_i>| |``, one minus the cosine between each unmixing
row and its FastICA update, worst row. The solver stops when this is below ``tol`` and
returns ``W_fp``, exactly as scikit-learn would return after that step. ``tol=1e-10`` (the
paper's setting) means a FastICA step would move every row by less than about 1.4e-5 radians.
``n_iter`` counts passes over the data (both phases); ``change`` is the last criterion value.

Initialisation: :class:`~icaxes.ICA` passes scikit-learn's starting matrix for the same
seed (standard normal from ``RandomState(seed)``, column signs aligned with its whitening),
decorrelated here. On real embeddings FastICA has several fixed points; the same start puts
both on the same one (checked on 50,000 GloVe words in ``tests/test_solver.py``).
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np
from scipy.linalg import expm
from threadpoolctl import ThreadpoolController

#: rows per chunk of the fused pass: Y (chunk x k float32) stays in L2 for k <= 300
CHUNK_ROWS = 2048

#: smallest eigenvalue allowed in the diagonal Hessian approximation (as Picard does)
LAMBDA_MIN = 1e-2

#: most fixed-point steps before the quasi-Newton phase starts anyway
FIXED_POINT_STEPS = 100

#: number of L-BFGS memory pairs
MEMORY = 7


@dataclass
class SolverResult:
    """Outcome of a solver run.

    Attributes
    ----------
    unmixing : ndarray of shape (k, k)
        Orthogonal matrix ``W``; the sources are ``Z @ unmixing.T``.
    n_iter : int
        Iterations performed (passes over the data).
    change : float
        Value of the convergence criterion at the last iteration.
    converged : bool
        Whether ``change < tol`` was reached.
    """

    unmixing: np.ndarray
    n_iter: int
    change: float
    converged: bool


_CONTROLLER: ThreadpoolController | None = None


def _blas_single_thread():
    """Context limiting BLAS to one thread (the controller is built once: it scans libraries)."""
    global _CONTROLLER
    if _CONTROLLER is None:
        _CONTROLLER = ThreadpoolController()
    return _CONTROLLER.limit(limits=1, user_api="blas")


def symmetric_decorrelation(W: np.ndarray) -> np.ndarray:
    """Return the orthogonal matrix closest to ``W``: ``(W W^T)^{-1/2} W``."""
    s, u = np.linalg.eigh(W @ W.T)
    s = np.clip(s, np.finfo(W.dtype).tiny, None)
    return (u / np.sqrt(s)) @ u.T @ W


def random_orthogonal(k: int, random_state: np.random.Generator | int | None) -> np.ndarray:
    """A random starting rotation drawn from ``random_state``."""
    rng = np.random.default_rng(random_state)
    return symmetric_decorrelation(rng.standard_normal((k, k)))


def default_threads() -> int:
    """Worker threads for the fused pass: the CPUs this process may use."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not Linux
        return max(1, os.cpu_count() or 1)


class _Pass:
    """One fused pass over ``Z``: ``C = tanh(Z W^T)^T Z / n`` and ``a = E[1 - tanh^2]``."""

    def __init__(self, Z: np.ndarray, n_threads: int | None = None, chunk_rows: int = CHUNK_ROWS):
        self.Z = Z
        self.n = Z.shape[0]
        self.starts = list(range(0, self.n, chunk_rows))
        self.chunk = chunk_rows
        self.n_threads = n_threads or default_threads()
        self.pool = ThreadPoolExecutor(self.n_threads) if self.n_threads > 1 else None

    def _one(self, start: int, Wt: np.ndarray, loss: bool) -> tuple:
        Zc = self.Z[start : start + self.chunk]
        T = Zc @ Wt
        lc = None
        if loss:  # log cosh y = |y| + log1p(exp(-2|y|)) - log 2, stable for large |y|
            A = np.abs(T)
            E = np.exp(-2.0 * A)
            np.log1p(E, out=E)
            E += A
            lc = E.sum(axis=0, dtype=np.float64)
        np.tanh(T, out=T)
        C = T.T @ Zc
        sq = np.einsum("ij,ij->j", T, T, dtype=np.float64)
        return C, sq, lc

    def _many(self, starts: list[int], Wt: np.ndarray, loss: bool) -> list[tuple]:
        return [self._one(s, Wt, loss) for s in starts]

    def __call__(self, W: np.ndarray, loss: bool = False) -> tuple:
        """Return ``C`` (k, k), ``a`` (k,) and, if ``loss``, ``E[log cosh y_i]`` (k,)."""
        Wt = np.ascontiguousarray(W.T, dtype=self.Z.dtype)
        # BLAS on one thread per chunk: the parallelism is over chunks, which keeps the
        # elementwise work parallel too; one task per thread (contiguous runs of chunks)
        # keeps the scheduling overhead off the hot path
        with _blas_single_thread():
            if self.pool is None:
                parts = self._many(self.starts, Wt, loss)
            else:
                T = self.n_threads
                m = len(self.starts)
                runs = [self.starts[m * t // T : m * (t + 1) // T] for t in range(T)]
                parts = [p for run in self.pool.map(lambda r: self._many(r, Wt, loss), runs) for p in run]
        k = W.shape[0]
        C = np.zeros((k, k))
        sq = np.zeros(k)
        lc = np.zeros(k)
        for c, q, v in parts:  # fixed order: deterministic
            C += c
            sq += q
            if loss:
                lc += v
        return C / self.n, 1.0 - sq / self.n, (lc / self.n - np.log(2.0)) if loss else None

    def close(self) -> None:
        if self.pool is not None:
            self.pool.shutdown()


def _fastica_update(W: np.ndarray, C: np.ndarray, a: np.ndarray) -> tuple[np.ndarray, float]:
    W_fp = symmetric_decorrelation(C - a[:, None] * W)
    change = float(np.max(np.abs(np.abs(np.einsum("ij,ij->i", W_fp, W)) - 1.0)))
    return W_fp, change


def _skew(A: np.ndarray) -> np.ndarray:
    return 0.5 * (A - A.T)


def fastica_symmetric(
    Z: np.ndarray,
    *,
    w_init: np.ndarray,
    max_iter: int = 10000,
    tol: float = 1e-10,
    callback: Callable[[int, float], None] | None = None,
    method: str = "lbfgs",
    switch_tol: float = 1e-5,
    n_threads: int | None = None,
    pass_: Callable | None = None,
) -> SolverResult:
    """Solve symmetric FastICA (``G(u) = log cosh(u)``) to the criterion of the module docstring.

    Parameters
    ----------
    Z : ndarray of shape (n, k)
        Whitened data (zero mean, identity covariance); float32 is fastest.
    w_init : ndarray of shape (k, k)
        Starting unmixing matrix.
    max_iter : int
        Maximum number of passes over the data.
    tol : float
        Stop when the convergence criterion (module docstring) falls below ``tol``.
    callback : callable, optional
        Called as ``callback(iteration, change)`` after each iteration.
    method : {"lbfgs", "fixed-point"}
        ``"fixed-point"`` runs plain FastICA steps only (slow, for reference).
    switch_tol : float
        Change below which the quasi-Newton phase starts.
    n_threads : int, optional
        Threads of the fused pass (default: the CPUs available to this process).
    pass_ : callable, optional
        Replacement for the in-memory pass over ``Z``: ``pass_(W, loss) -> (C, a, lc)``
        with ``C = E[tanh(Z W^T)^T Z]``, ``a = E[1 - tanh^2]`` and ``lc = E[log cosh]`` per
        column (or None when ``loss`` is false); used for Dask arrays. ``Z`` then only gives k.

    Returns
    -------
    SolverResult
    """
    if method not in ("lbfgs", "fixed-point"):
        raise ValueError(f"method must be 'lbfgs' or 'fixed-point', got {method!r}")
    k = np.shape(w_init)[0]
    # the k x k algebra (eigh, expm) is tiny next to a pass for k < 512: threaded BLAS only
    # adds synchronisation there
    small = _blas_single_thread() if k < 512 else contextlib.nullcontext()
    with small:
        if pass_ is not None:
            return _solve(pass_, w_init, max_iter, tol, callback, method, switch_tol)
        own = _Pass(np.ascontiguousarray(Z), n_threads)
        try:
            return _solve(own, w_init, max_iter, tol, callback, method, switch_tol)
        finally:
            own.close()


def _solve(pass_, w_init, max_iter, tol, callback, method, switch_tol) -> SolverResult:
    W = symmetric_decorrelation(np.asarray(w_init, dtype=np.float64))
    k = W.shape[0]
    quasi_newton = False
    signs = np.ones(k)
    mem_s: list[np.ndarray] = []
    mem_y: list[np.ndarray] = []
    change = np.inf
    it = 0
    G = D = W_fp = None
    loss = np.inf
    step, W_prev = 1.0, W
    while it < max_iter:
        it += 1
        C, a, lc = pass_(W, loss=quasi_newton)
        if quasi_newton:
            new_loss = float(signs @ lc)
            if new_loss > loss and step > 1e-3:
                # no decrease: backtrack along the same direction (Armijo-free, like Picard)
                step *= 0.5
                W = expm(step * D) @ W_prev
                continue
        W_fp, change = _fastica_update(W, C, a)
        if callback is not None:
            callback(it, change)
        if change < tol:
            return SolverResult(W_fp, it, change, True)
        if not quasi_newton:
            # switch once close, or when plain steps stall (FastICA can cycle between two
            # rotations when some axes are nearly Gaussian)
            if method == "lbfgs" and (change < switch_tol or it >= FIXED_POINT_STEPS):
                quasi_newton = True
                M = C @ W.T
                signs = np.where(a - np.diag(M) > 0, 1.0, -1.0)
                C, a, lc = pass_(W, loss=True)  # the loss at the switching point
                it += 1
                new_loss = float(signs @ lc)
            else:
                W = W_fp
                continue
        M = C @ W.T  # M_ij = E[tanh(y_i) y_j]
        b = np.diag(M)
        G_new = _skew(signs[:, None] * M)
        if G is not None:
            s_vec = step * D
            y_vec = G_new - G
            if float(np.sum(s_vec * y_vec)) > 1e-12 * float(np.sum(y_vec * y_vec)):
                mem_s.append(s_vec)
                mem_y.append(y_vec)
                if len(mem_s) > MEMORY:
                    mem_s.pop(0)
                    mem_y.pop(0)
            else:
                mem_s.clear()
                mem_y.clear()
        G, loss = G_new, new_loss
        kappa = signs * (a - b)
        H = np.maximum(0.5 * (kappa[:, None] + kappa[None, :]), LAMBDA_MIN)
        D = -_lbfgs_direction(G, H, mem_s, mem_y)
        step = 1.0
        W_prev = W
        W = expm(D) @ W
    return SolverResult(W_fp if W_fp is not None else W, it, change, False)


def _lbfgs_direction(G: np.ndarray, H: np.ndarray, mem_s: list, mem_y: list) -> np.ndarray:
    """Two-loop recursion: approximate inverse Hessian times ``G``, initial guess ``G / H``."""
    q = G.copy()
    alphas = []
    for s, y in zip(reversed(mem_s), reversed(mem_y), strict=True):
        rho = 1.0 / float(np.sum(s * y))
        alpha = rho * float(np.sum(s * q))
        q -= alpha * y
        alphas.append((rho, alpha))
    r = q / H
    for (s, y), (rho, alpha) in zip(zip(mem_s, mem_y, strict=True), reversed(alphas), strict=True):
        beta = rho * float(np.sum(y * r))
        r += (alpha - beta) * s
    return r
