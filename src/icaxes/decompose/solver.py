"""The ICA rotation solver: symmetric (parallel) FastICA with the log cosh contrast.

Given whitened data ``Z`` (n x k, unit covariance) it finds an orthogonal ``W`` so that
the columns of ``Z @ W.T`` are as non-Gaussian as possible, measured by ``E[log cosh]``.

Objective and solution
    A symmetric FastICA fixed point (up to the sign of each row, which its criterion
    ignores) is a stationary point of ``sum_i s_i E[log cosh(w_i . z)]`` over orthogonal
    ``W`` with one sign ``s_i = +-1`` per axis: both mean ``s_i M_ij = s_j M_ji`` for
    ``M_ij = E[tanh(y_i) y_j]``. Both phases below drive that condition, and the stopping
    test is FastICA's own, so the solver stops where scikit-learn at the paper's settings
    would stop (see "Which fixed point" below).

Algorithm
    1. Fixed-point phase: plain symmetric FastICA steps (robust far from the solution)
       until the change falls below ``switch_tol`` (default 1e-4), or has not halved in 30
       steps, or after 100 steps (plain FastICA can cycle between two rotations when some
       axes are nearly Gaussian, and crawls in high dimension from a random start).
    2. Quasi-Newton phase on the orthogonal group: ``W <- cay(D) W`` with the Cayley
       rotation ``cay(D) = (I - D/2)^{-1} (I + D/2)``, applied as ``2 (I - D/2)^{-1} W - W``
       (one k x k LU solve against ``W``, no product), and ``D`` skew
       from L-BFGS on the relative gradient ``G = skew(M)``, ``M = s_i E[tanh(y_i) y_j]``,
       preconditioned by the diagonal Hessian approximation ``(kappa_i + kappa_j)/2``,
       ``kappa_i = s_i (E[1 - tanh^2 y_i] - E[y_i tanh y_i])`` (the signs ``s_i`` make every
       component a minimum, as for sub-Gaussian axes FastICA maximises). That approximation
       assumes independent axes; once the change is below 1e-5 the exact diagonal
       ``(s_i P_ij + s_j P_ji - s_i M_ii - s_j M_jj) / 2``, ``P_ij = E[(1 - tanh^2 y_i) y_j^2]``,
       replaces it (one more GEMM in every tenth pass; 10-20% fewer passes on GloVe). Earlier
       the approximation is kept: with the exact diagonal from the start the solver lands on a
       neighbouring optimum more often (3 of 11 seed/size cases on GloVe instead of 1). The step is
       checked without evaluating the objective: its change along the step is estimated by
       the trapezoid rule on the directional derivatives ``<G, D>`` at both ends (exact for
       a quadratic; both gradients come from passes made anyway), and a step whose
       estimate is an increase is halved. A log cosh objective in float32 cannot resolve
       the tiny decreases of the last iterations anyway (they fall below its rounding), so
       comparing objective values made the search backtrack on noise; the estimate does
       not, and every iteration is a single pass. The L-BFGS memory (20 pairs), gradient,
       preconditioner and step are vectors of the strict upper triangle (``_SkewCoords``),
       updated with BLAS dot and axpy: at k = 1,024 full-matrix arithmetic on 40 stored
       matrices cost about as much as a k x k GEMM per iteration.

Where the k x k work goes (per iteration, float64): a FastICA step is one k x k
``eigh`` and three products (the symmetric decorrelation), an L-BFGS step one product
(``M = C W^T``) and one LU solve (on column-major operands, so LAPACK copies nothing); the
exact stopping test of the last L-BFGS iterations is a FastICA step's work. At k = 1,024 on
one core (about 70 GFLOP/s in float64) the ``eigh`` alone takes about 0.2 s, seven products'
worth: no GEMM-only replacement (Newton-Schulz, Newton with inverses, refining a float32
``eigh``) reaches the exact polar factor in fewer products, because the matrix decorrelated
is not near orthogonal (its singular values spread over a factor 10 or more). Against the
pass (``4 n k^2`` float32 flops) that is a fraction of about
``k / n`` times a small constant: it matters at a few dozen rows per dimension
(benchmarks/bench_iteration.py measures it).

Each iteration costs one pass over ``Z``: two GEMMs (``Z W^T`` and ``tanh(Y)^T Z``) in the
data's dtype (float32 for float32 input) done chunk by chunk on a thread pool so that the
``tanh`` and the column sums run on every core while the chunk is still in cache (for float32,
the rational ``tanh`` of :mod:`icaxes.decompose.tanh`, whose bits do not depend on the CPU as
numpy's kernels do, at a fifth of their cost on AVX2; float64 keeps numpy's); the k x k
algebra is float64 (on one BLAS thread unless ``_algebra_threaded``). Partial sums
are added in float64 in chunk order, so results are bit for bit reproducible on one machine
whatever the number of threads; once they would take more than ``PARTIALS_BYTES`` they are
streamed (added as they come, a few chunks in flight), so that memory does not grow with
the rows.

Convergence criterion (the same one scikit-learn and the paper use, so that ``tol`` means the
same thing): at the current ``W`` take the FastICA update ``W_fp`` (from the same pass) and
measure ``max_i | 1 - |<w_i, w_fp_i>| |``, one minus the cosine between each unmixing row and
its FastICA update, worst row (both rows scaled to unit length: ``W`` is orthogonal only to the
precision of the decorrelation that made it, see ``_fastica_update``). The solver stops when
this is below ``tol`` and returns ``W_fp``, exactly as scikit-learn would return after that
step. ``tol=1e-10`` (the paper's setting) means a FastICA step would move every row by less
than about 1.4e-5 radians. In the quasi-Newton phase the criterion is first estimated to first
order in k^2 work (``_change_estimate``); the exact value, which needs a k x k
eigendecomposition, is computed once the estimate is within a factor 4 of ``tol``
(``CHECK_FACTOR``: twice the estimate's measured error, so the solver stops at the iteration
where the exact value first falls below).
``n_iter`` counts passes over the data (both phases); ``change`` is the last criterion value.

Which fixed point
    On real embeddings the log cosh contrast has several local optima that differ in a few
    weak (nearly Gaussian) axes, and which one an algorithm reaches depends on its path.
    ``method="fixed-point"`` takes scikit-learn's steps; at 50 dimensions (GloVe) that is its
    path step for step (same number of iterations, same fixed point), but at 300 the float32
    passes' rounding is enough to take the path elsewhere (chiVe 20,000 x 300, seed 0: 3,310
    steps to another fixed point, scikit-learn 2,567; benchmarks/RESULTS.md). The default
    quasi-Newton phase reaches a FastICA fixed point (the same criterion holds there) and, on
    GloVe, scikit-learn's own one for most seeds; benchmarks/RESULTS.md lists where it does
    and where it lands on a neighbouring optimum.

Initialisation: :class:`~icaxes.ICA` passes scikit-learn's starting matrix for the same
seed (standard normal from ``RandomState(seed)``, column signs aligned with its whitening),
decorrelated here. On real embeddings FastICA has several fixed points; the same start puts
both on the same one (checked on 50,000 GloVe words in ``tests/test_solver.py``).
"""

from __future__ import annotations

import os
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor, wait
from contextlib import nullcontext
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

import numpy as np
import scipy.linalg
from scipy.linalg.blas import daxpy as _axpy
from scipy.linalg.lapack import dgesv as _gesv

from icaxes.decompose.blas import blas_single_thread as _blas_single_thread
from icaxes.decompose.tanh import compiled_available, tanh_f32
from icaxes.params import MAX_ITER, TOL

#: Version of the solver and its start point: bump it whenever either changes the axes a fit
#: returns, so that caches of fitted models (``icaxes evaluate``, ``icaxes universal``) refit.
SOLVER_VERSION = 5

#: rows per chunk of the fused pass: Y (chunk x k float32) stays in L2 for k <= 300
CHUNK_ROWS = 2048

#: beyond this many bytes of per-chunk partial sums the pass streams them (module docstring)
PARTIALS_BYTES = 64 * 2**20

#: smallest eigenvalue allowed in the diagonal Hessian approximation (as Picard does)
LAMBDA_MIN = 1e-2

#: most fixed-point steps before the quasi-Newton phase starts anyway
FIXED_POINT_STEPS = 100

#: change below which the quasi-Newton phase starts
SWITCH_TOL = 1e-4

#: the quasi-Newton phase also starts when the change has not halved for this many steps
STALL_STEPS = 30

#: smallest backtracking step (then the step is taken anyway)
MIN_STEP = 1e-3

#: the exact criterion (one k x k eigendecomposition) is computed once the first-order
#: estimate is below this many times ``tol``. Near a solution the estimate is 0.2-1.1 times
#: the exact value (measured over the last iterations of fits on GloVe and synthetic mixtures;
#: tests/test_solver.py checks 0.5-2), so 4 leaves a factor 2 of margin: the solver stops at
#: the same iteration as with the exact test in every iteration, and computes it in a third to
#: a half as many iterations as with 100 (1-6 instead of 2-15 per fit in those runs)
CHECK_FACTOR = 4.0

#: the solver methods: L-BFGS after FastICA steps, or FastICA steps only
METHODS = ("lbfgs", "fixed-point")

#: the exact Hessian diagonal (one more GEMM in that pass) replaces the approximation once
#: the change estimate is below this, and is measured again every CURVATURE_EVERY passes
#: (earlier, while the solver is still choosing between nearby optima, the approximation
#: keeps it on scikit-learn's)
CURVATURE_BELOW = 1e-5
CURVATURE_EVERY = 10

#: number of L-BFGS memory pairs
MEMORY = 20

#: the k x k algebra runs on all BLAS threads from this many axes when the process may use
#: at least ALGEBRA_THREADS_CPUS CPUs, else on one thread (_algebra_threaded)
ALGEBRA_THREADS_FROM = 256
ALGEBRA_THREADS_CPUS = 4


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


def symmetric_decorrelation(W: np.ndarray) -> np.ndarray:
    """Return the orthogonal matrix closest to ``W``: ``(W W^T)^{-1/2} W``.

    ``eigh`` is LAPACK's divide and conquer on a matrix it may overwrite, without a finiteness
    scan (the same bits as ``numpy.linalg.eigh`` here). The products keep their order:
    computing ``U (Lambda^{-1/2} (U^T W))`` instead saves a k x k temporary but changes the
    rounding, and rounding is enough to move a fit on real embeddings to a neighbouring fixed
    point (GloVe 6B 50d, 50,000 words, seed 0: 99 iterations instead of 154, axes that differ in
    the third decimal).
    """
    s, u = scipy.linalg.eigh(W @ W.T, driver="evd", overwrite_a=True, check_finite=False)
    np.clip(s, np.finfo(W.dtype).tiny, None, out=s)
    return (u / np.sqrt(s)) @ u.T @ W


def random_orthogonal(k: int, random_state: np.random.Generator | int | None) -> np.ndarray:
    """A random starting rotation drawn from ``random_state``."""
    rng = np.random.default_rng(random_state)
    return symmetric_decorrelation(rng.standard_normal((k, k)))


def _algebra_threaded(k: int, n_threads: int | None = None) -> bool:
    """Whether the k x k algebra of a solve with ``k`` axes runs on threaded BLAS.

    Below ALGEBRA_THREADS_FROM axes it is small next to a pass and threads cost more in
    synchronisation than they save. On fewer than ALGEBRA_THREADS_CPUS CPUs they cost more
    whatever the size: OpenBLAS's worker threads keep spinning after a threaded call, and on 2
    cores they then take the cores from the pass that follows (measured at k = 512, 20,000
    rows: 2.3-4.3x the CPU time per FastICA step and 2.6x per L-BFGS step, against one thread).
    """
    return k >= ALGEBRA_THREADS_FROM and (n_threads or default_threads()) >= ALGEBRA_THREADS_CPUS


def default_threads() -> int:
    """Worker threads for the fused pass: the CPUs this process may use."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not Linux
        return max(1, os.cpu_count() or 1)


def logcosh_contrast(Z: np.ndarray, W: np.ndarray | None = None,
                     chunk_rows: int = CHUNK_ROWS) -> np.ndarray:
    """Per axis ``(E[log cosh y_i] - E[log cosh nu])^2`` of ``Y = Z W^T``, ``nu`` standard normal.

    The negentropy approximation that symmetric FastICA with ``G = log cosh`` maximises
    (Hyvaerinen 1999); larger is more non-Gaussian. Its mean over the axes is the contrast by
    which ``ICA(n_init=...)`` ranks its starts and the benchmark compares solvers. Computed in
    float64, chunk by chunk (``Y`` is not kept); ``W`` omitted: the columns of ``Z`` themselves
    (unit-variance sources).
    """
    from icaxes.stats import _logcosh, gaussian_logcosh_mean

    Z = np.asarray(Z)
    k = Z.shape[1] if W is None else W.shape[0]
    total = np.zeros(k)
    Wt = None if W is None else np.asarray(W, dtype=np.float64).T
    for start in range(0, Z.shape[0], chunk_rows):
        Y = np.asarray(Z[start : start + chunk_rows], dtype=np.float64)
        if Wt is not None:
            Y = Y @ Wt
        total += _logcosh(Y).sum(axis=0)
    return (total / Z.shape[0] - gaussian_logcosh_mean()) ** 2


@runtime_checkable
class SolverPass(Protocol):
    """What the solver needs from the whitened rows: one pass per call, and ``close``.

    ``pass_(W, curvature)`` returns, for the rotation ``W`` (k x k) and ``Y = Z W^T``,
    ``C = E[tanh(Y)^T Z]`` (k x k), ``a = E[1 - tanh^2 Y]`` per column (k,) and, when
    ``curvature`` is true, ``P_ij = E[(1 - tanh^2 y_i) y_j^2]`` (k x k; else None), all float64.
    ``close()`` frees what the pass holds (threads, a device copy of the rows, a persisted
    array); the pass is not called after it. Three implement it: :class:`NumpyPass` (rows in
    memory, the default), :class:`~icaxes.decompose.torch_pass.TorchPass` (rows on a PyTorch
    device) and :class:`~icaxes.decompose.dask.DaskPass` (rows of a Dask array on its
    cluster). :class:`~icaxes.ICA` opens one per fit, runs every start on it and closes it.
    """

    def __call__(self, W: np.ndarray, curvature: bool = False) -> tuple[
            np.ndarray, np.ndarray, np.ndarray | None]: ...  # pragma: no cover

    def close(self) -> None: ...  # pragma: no cover


class NumpyPass:
    """One fused pass over ``Z`` in memory: ``C = tanh(Z W^T)^T Z / n`` and ``a = E[1 - tanh^2]``.

    With ``curvature=True`` it also returns ``P_ij = E[(1 - tanh^2 y_i) y_j^2]`` (one more
    GEMM in the same pass), from which the exact diagonal of the Hessian follows. A
    :class:`SolverPass`; ``close`` stops its thread pool.
    """

    def __init__(self, Z: np.ndarray, n_threads: int | None = None, chunk_rows: int = CHUNK_ROWS):
        self.Z = Z
        self.n, k = Z.shape
        self.starts = list(range(0, self.n, chunk_rows))
        self.chunk = chunk_rows
        self.n_threads = n_threads or default_threads()
        self.pool = ThreadPoolExecutor(self.n_threads) if self.n_threads > 1 else None
        self.ones = np.ones(min(chunk_rows, self.n), dtype=Z.dtype)
        self.inflight: deque[Future] = deque()
        # the chunks' k x k partial sums are added in chunk order (the same bits on any
        # number of threads); when all of them would take more than PARTIALS_BYTES they
        # are streamed (a few chunks in flight, added as they come) instead of collected,
        # so that the pass's memory does not grow with the rows
        self.stream = len(self.starts) * Z.itemsize * k * (2 * k + 2) > PARTIALS_BYTES
        if Z.dtype == np.float32:
            compiled_available()  # compile (or load) the tanh kernel here, not in the threads

    def _one(self, start: int, Wt: np.ndarray, curvature: bool) -> tuple:
        Zc = self.Z[start : start + self.chunk]
        T = Zc @ Wt
        Y2 = np.square(T) if curvature else None
        if T.dtype == np.float32:
            tanh_f32(T)  # fixed rounding: the same bits on every CPU (icaxes.decompose.tanh)
        else:
            np.tanh(T, out=T)
        C = T.T @ Zc
        # column sums of tanh^2 as a GEMV (a third of the time of a float64 einsum; the
        # chunk's sum is in the data's dtype like C's, the sum over chunks in float64)
        np.square(T, out=T)
        ones = self.ones[: T.shape[0]]
        sq = ones @ T
        if Y2 is None:
            return C, sq, None, None
        return C, sq, T.T @ Y2, ones @ Y2

    def _many(self, starts: list[int], Wt: np.ndarray, curvature: bool) -> list[tuple]:
        return [self._one(s, Wt, curvature) for s in starts]

    def _parts(self, Wt: np.ndarray, curvature: bool) -> Iterator[tuple]:
        """The chunks' partial sums, in chunk order.

        ``self.inflight`` holds the futures submitted and not yet taken: a future leaves it
        only once its result is in hand (so that an interrupted pass can wait for every chunk
        still running), and taken results are not kept (so that streaming bounds the memory).
        """
        pending = self.inflight
        if self.pool is None:
            for s in self.starts:
                yield self._one(s, Wt, curvature)
        elif self.stream:
            for s in self.starts:
                if len(pending) == 2 * self.n_threads:  # at most this many chunks in flight
                    yield self._take(pending)
                pending.append(self.pool.submit(self._one, s, Wt, curvature))
            while pending:
                yield self._take(pending)
        else:
            # one task per thread (contiguous runs of chunks) keeps the scheduling overhead
            # off the hot path when the partial sums are small
            T, m = self.n_threads, len(self.starts)
            runs = [self.starts[m * t // T : m * (t + 1) // T] for t in range(T)]
            pending.extend(self.pool.submit(self._many, r, Wt, curvature) for r in runs)
            while pending:
                yield from self._take(pending)

    @staticmethod
    def _take(pending: deque[Future]):
        """The oldest future's result, removed from ``pending`` once it is in hand."""
        result = pending[0].result()
        pending.popleft()
        return result

    def __call__(self, W: np.ndarray, curvature: bool = False) -> tuple:
        """Return ``C`` (k, k), ``a`` (k,) and ``P`` (k, k, or None) for the rotation ``W``."""
        Wt = np.ascontiguousarray(W.T, dtype=self.Z.dtype)
        # BLAS on one thread per chunk: the parallelism is over chunks, which keeps the
        # elementwise work parallel too
        k = W.shape[0]
        C, sq = np.zeros((k, k)), np.zeros(k)
        Q, y2 = (np.zeros((k, k)), np.zeros(k)) if curvature else (None, None)
        self.inflight = deque()
        with _blas_single_thread():
            try:
                for c, q, qy, s2 in self._parts(Wt, curvature):  # chunk order: deterministic
                    C += c
                    sq += q
                    if Q is not None:
                        Q += qy
                        y2 += s2
            finally:
                # when this ends early (Ctrl-C, an error), let the chunks already running
                # finish before the BLAS thread count is restored: changing it under a
                # running GEMM is not safe
                wait(self.inflight)
        P = None if Q is None else (y2[None, :] - Q) / self.n
        return C / self.n, 1.0 - sq / self.n, P

    def close(self) -> None:
        """Stop the thread pool."""
        if self.pool is not None:
            self.pool.shutdown()


def _fastica_update(W: np.ndarray, C: np.ndarray, a: np.ndarray) -> tuple[np.ndarray, float]:
    """The FastICA update ``W_fp`` of ``W`` and the criterion: 1 - |cos| of each row pair, worst row.

    The cosine is taken between unit rows. ``W`` is orthogonal only to the precision of the
    decorrelation that made it, about ``eps cond(K)^2`` for the ``K`` it decorrelated, and
    far from the solution ``K`` can be ill-conditioned: a phase-1 exit left rows off unit
    length by 1.75e-8 on the first 50 principal dimensions of ``use:fr:5000`` (Cayley steps
    keep that error), and ``1 - |<w_i, w_fp_i>|`` then never fell below 1.75e-8.
    """
    K = a[:, None] * W
    np.subtract(C, K, out=K)  # C - diag(a) W, one k x k temporary
    W_fp = symmetric_decorrelation(K)
    norms = np.sqrt(np.einsum("ij,ij->i", W, W) * np.einsum("ij,ij->i", W_fp, W_fp))
    change = float(np.max(np.abs(np.abs(np.einsum("ij,ij->i", W_fp, W)) / norms - 1.0)))
    return W_fp, change


def _change_estimate(M: np.ndarray, a: np.ndarray, coords: _SkewCoords | None = None) -> float:
    """First-order estimate of the convergence criterion, in k^2 work (no eigendecomposition).

    The FastICA update is ``W_fp = polar(K) W`` with ``K = M - diag(a)``. With the rows of
    ``K`` signed so that its diagonal ``d`` is positive, ``polar(K) = I + Omega + O(|Omega|^2)``
    with ``Omega_ij = (K_ij - K_ji) / (d_i + d_j)``, so row ``i`` turns by ``|Omega_i|`` and
    ``1 - |cos|`` is about ``|Omega_i|^2 / 2``. With ``coords`` the same value is computed on
    the strict upper triangle (no k x k temporaries).
    """
    if coords is not None:
        d = np.diag(M) - a
        omega = coords.signed_skew(M, np.sign(d))  # half of sign(d_i) K_ij - sign(d_j) K_ji
        omega /= np.maximum(coords.outer_sum(np.abs(d)), np.finfo(float).tiny)
        np.square(omega, out=omega)
        rows = np.bincount(coords.i, omega, minlength=coords.k)
        rows += np.bincount(coords.j, omega, minlength=coords.k)
        return float(2.0 * np.max(rows))  # (2 omega)^2 / 2
    K = M - np.diag(a)
    d = np.diag(K)
    K = np.sign(d)[:, None] * K
    d = np.abs(d)
    omega = (K - K.T) / np.maximum(d[:, None] + d[None, :], np.finfo(float).tiny)
    return float(0.5 * np.max(np.einsum("ij,ij->i", omega, omega)))


def _cayley_apply(D: np.ndarray, W: np.ndarray, overwrite: bool = False) -> np.ndarray:
    """``cay(D) @ W`` as ``2 (I - D/2)^{-1} W - W``: one LU solve, no k x k product.

    ``(I - D/2)^{-1} (I + D/2) = 2 (I - D/2)^{-1} - I``, so the rotated matrix needs the solve
    against ``W`` only (a third fewer k^3 flops than forming ``cay(D)`` and multiplying).
    LAPACK's ``gesv`` is called on column-major operands without copying them: the row-major
    ``I + D/2`` is the column-major ``(I + D/2)^T = I - D/2`` (``D`` is skew), and the result
    is column-major, so the next step's ``W`` is too (a fifth of the solve's time at k = 1,024
    went into converting both operands). ``overwrite`` lets it use ``D``'s memory.
    """
    A = np.multiply(D, 0.5, out=D if overwrite else None)  # row-major I + D/2: column-major I - D/2
    A[np.diag_indices_from(A)] += 1.0
    _lu, _piv, X, info = _gesv(A.T, W if W.flags.f_contiguous else np.asfortranarray(W),
                               overwrite_a=1, overwrite_b=0)
    if info != 0:  # pragma: no cover - I - D/2 is never singular for a real skew D
        raise np.linalg.LinAlgError(f"Cayley step: singular system (gesv info {info})")
    X *= 2.0
    X -= W
    return X


class _SkewCoords:
    """Coordinates of k x k skew-symmetric matrices: their strict upper triangle as a vector.

    The L-BFGS memory, the preconditioner and the step live in these coordinates: half the
    memory and memory traffic of full matrices, and no k x k temporaries. The Frobenius inner
    product of two skew matrices is twice the dot product of their vectors; every use of it
    in the solver is a ratio or a sign, so the two give the same iterates up to rounding.
    """

    def __init__(self, k: int) -> None:
        i, j = np.triu_indices(k, 1)
        self.k = k
        self.upper = i * k + j  # flat index of (i, j), i < j
        self.lower = j * k + i  # flat index of (j, i)
        self.i, self.j = i, j

    def signed_skew(self, A: np.ndarray, signs: np.ndarray) -> np.ndarray:
        """The vector of ``skew(diag(signs) A)``: ``(s_i A_ij - s_j A_ji) / 2``."""
        flat = A.reshape(-1)
        v = flat.take(self.upper) * signs.take(self.i)
        v -= flat.take(self.lower) * signs.take(self.j)
        v *= 0.5
        return v

    def signed_pair_sum(self, A: np.ndarray, signs: np.ndarray) -> np.ndarray:
        """The vector of ``s_i A_ij + s_j A_ji``."""
        flat = A.reshape(-1)
        v = flat.take(self.upper) * signs.take(self.i)
        v += flat.take(self.lower) * signs.take(self.j)
        return v

    def outer_sum(self, x: np.ndarray) -> np.ndarray:
        """The vector of ``x_i + x_j``."""
        return x.take(self.i) + x.take(self.j)

    def matrix(self, v: np.ndarray) -> np.ndarray:
        """The skew-symmetric matrix of the vector ``v``."""
        A = np.zeros(self.k * self.k)
        A[self.upper] = v
        A[self.lower] = -v
        return A.reshape(self.k, self.k)


def fastica_symmetric(
    Z: np.ndarray | None,
    *,
    w_init: np.ndarray,
    max_iter: int = MAX_ITER,
    tol: float = TOL,
    callback: Callable[[int, float], None] | None = None,
    method: str = "lbfgs",
    switch_tol: float = SWITCH_TOL,
    n_threads: int | None = None,
    pass_: SolverPass | None = None,
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
        Called as ``callback(iteration, change)`` after each iteration; during the
        quasi-Newton phase ``change`` is the first-order estimate until it nears ``tol``.
    method : {"lbfgs", "fixed-point"}
        ``"fixed-point"`` runs plain FastICA steps only, scikit-learn's steps at this
        solver's cost per step: its path step for step at low dimension, not always at 300
        and more (module docstring, "Which fixed point").
    switch_tol : float
        Change below which the quasi-Newton phase starts.
    n_threads : int, optional
        Threads of the fused pass (default: the CPUs available to this process).
    pass_ : SolverPass, optional
        The pass over the rows to use instead of a :class:`NumpyPass` over ``Z`` (``Z`` is then
        not read, and may be None); the caller keeps it open and closes it.

    Returns
    -------
    SolverResult
    """
    if method not in METHODS:
        raise ValueError(f"method must be 'lbfgs' or 'fixed-point', got {method!r}")
    # the k x k algebra (eigh, LU) runs on one BLAS thread unless it is large and the machine
    # has cores to spare (_algebra_threaded): threaded BLAS leaves its worker threads spinning
    # after each call, and on few cores they then compete with the next pass's threads
    k = np.shape(w_init)[0]
    with nullcontext() if _algebra_threaded(k, n_threads) else _blas_single_thread():
        if pass_ is not None:
            return _solve(pass_, w_init, max_iter, tol, callback, method, switch_tol)
        own = NumpyPass(np.ascontiguousarray(Z), n_threads)
        try:
            return _solve(own, w_init, max_iter, tol, callback, method, switch_tol)
        finally:
            own.close()


def _solve(pass_, w_init, max_iter, tol, callback, method, switch_tol) -> SolverResult:
    W = symmetric_decorrelation(np.asarray(w_init, dtype=np.float64))
    it = 0
    best, since_best = np.inf, 0
    # phase 1: plain FastICA steps
    while it < max_iter:
        it += 1
        C, a, _ = pass_(W, False)
        W_fp, change = _fastica_update(W, C, a)
        if callback is not None:
            callback(it, change)
        if change < tol:
            return SolverResult(W_fp, it, change, True)
        if it == max_iter:
            return SolverResult(W_fp, it, change, False)
        best, since_best = (change, 0) if change < 0.5 * best else (best, since_best + 1)
        stalled = since_best >= STALL_STEPS or it >= FIXED_POINT_STEPS
        if method == "lbfgs" and (change < switch_tol or stalled):
            break
        W = W_fp
    # phase 2: L-BFGS on the orthogonal group from W (whose C and a are known); the memory,
    # gradient and step are vectors of the strict upper triangle (_SkewCoords)
    coords = _SkewCoords(W.shape[0])
    M = C @ W.T  # M_ij = E[tanh(y_i) y_j]
    signs = np.where(a - np.diag(M) > 0, 1.0, -1.0)
    g = coords.signed_skew(M, signs)
    mem_s: list[np.ndarray] = []
    mem_y: list[np.ndarray] = []
    P, p_age = None, 0  # P of the exact Hessian diagonal, and passes since it was measured
    d = _direction(g, M, a, signs, mem_s, mem_y, coords, P)
    step, W_prev = 1.0, W
    W = _cayley_apply(coords.matrix(d), W, overwrite=True)
    while it < max_iter:
        it += 1
        want = change < CURVATURE_BELOW and (P is None or p_age >= CURVATURE_EVERY)
        C, a, P_new = pass_(W, want)
        P, p_age = (P_new, 0) if P_new is not None else (P, p_age + 1)
        M = C @ W.T
        g_new = coords.signed_skew(M, signs)
        # objective change along the step by the trapezoid rule on the directional
        # derivatives at both ends (exact for a quadratic): no pass for the objective itself;
        # only its sign matters (the vectors' dot product is half the matrices')
        if step * float(np.dot(g + g_new, d)) > 0 and step > MIN_STEP and it < max_iter:
            step *= 0.5  # overshoot: backtrack along the same direction
            W = _cayley_apply(coords.matrix(step * d), W_prev, overwrite=True)
            continue
        new_signs = np.where(a - np.diag(M) > 0, 1.0, -1.0)
        if np.any(new_signs != signs):
            # an axis changed side (possible when the switch came early): new objective,
            # so the curvature pairs no longer apply
            signs = new_signs
            g_new = coords.signed_skew(M, signs)
            g = None
            mem_s.clear()
            mem_y.clear()
        change = _change_estimate(M, a, coords)
        if change < CHECK_FACTOR * tol or it == max_iter:  # exact criterion near the end only
            W_fp, change = _fastica_update(W, C, a)
            if change < tol or it == max_iter:
                if callback is not None:
                    callback(it, change)
                return SolverResult(W_fp, it, change, change < tol)
        if callback is not None:
            callback(it, change)
        s_vec = step * d
        y_vec = None if g is None else g_new - g
        if y_vec is not None and float(np.dot(s_vec, y_vec)) > 1e-12 * float(np.dot(y_vec, y_vec)):
            mem_s.append(s_vec)
            mem_y.append(y_vec)
            if len(mem_s) > MEMORY:
                mem_s.pop(0)
                mem_y.pop(0)
        else:  # curvature condition failed: restart the memory
            mem_s.clear()
            mem_y.clear()
        g = g_new
        d = _direction(g, M, a, signs, mem_s, mem_y, coords, P)
        step, W_prev = 1.0, W
        W = _cayley_apply(coords.matrix(d), W, overwrite=True)
    # unreachable: both loops return at max_iter
    raise AssertionError("solver loop ended without a result")  # pragma: no cover


def _direction(g, M, a, signs, mem_s, mem_y, coords, P=None) -> np.ndarray:
    """L-BFGS descent direction (a :class:`_SkewCoords` vector), preconditioned by a diagonal Hessian.

    ``g`` is the gradient ``skew(s_i M_ij)`` as a vector. Without ``P`` the diagonal is
    approximated as if the axes were independent, ``(kappa_i + kappa_j) / 2``; with
    ``P_ij = E[(1 - tanh^2 y_i) y_j^2]`` it is the exact second derivative along the rotation
    of the plane ``(i, j)``: ``(s_i P_ij + s_j P_ji - s_i M_ii - s_j M_jj) / 2``.
    """
    if P is None:
        kappa = signs * (a - np.diag(M))
        h = 0.5 * coords.outer_sum(kappa)
    else:
        h = 0.5 * (coords.signed_pair_sum(P, signs) - coords.outer_sum(signs * np.diag(M)))
    np.maximum(h, LAMBDA_MIN, out=h)
    r = _lbfgs_direction(g, h, mem_s, mem_y)
    r *= -1.0
    return r


def _initial_inverse(q: np.ndarray, h: np.ndarray) -> np.ndarray:
    """The initial inverse Hessian of the two-loop recursion times ``q``: ``q / h``, in place.

    Its own function so that a design study can replace it (benchmarks/bench_curvature.py
    ``--deflate``) without copying the recursion.
    """
    q /= h
    return q


def _lbfgs_direction(g: np.ndarray, h: np.ndarray, mem_s: list, mem_y: list) -> np.ndarray:
    """Two-loop recursion: approximate inverse Hessian times ``g``, initial guess ``g / h``.

    Vectors in, a new vector out; the updates are BLAS ``axpy`` in place (no temporaries).
    """
    q = np.array(g, dtype=np.float64)
    alphas = []
    for s, y in zip(reversed(mem_s), reversed(mem_y), strict=True):
        rho = 1.0 / float(np.dot(s, y))
        alpha = rho * float(np.dot(s, q))
        q = _axpy(y, q, a=-alpha)
        alphas.append((rho, alpha))
    q = _initial_inverse(q, h)
    for (s, y), (rho, alpha) in zip(zip(mem_s, mem_y, strict=True), reversed(alphas), strict=True):
        beta = rho * float(np.dot(y, q))
        q = _axpy(s, q, a=alpha - beta)
    return q
