"""Correlate the axes of two fitted models over paired rows, and match them one to one."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.optimize import linear_sum_assignment

from icaxes.errors import DimensionMismatchError, InputError, ParameterError


def axis_correlations(A: np.ndarray, B: np.ndarray, weights: np.ndarray | None = None) -> np.ndarray:
    """Pearson correlation of every column of ``A`` with every column of ``B`` over paired rows.

    Parameters
    ----------
    A : ndarray of shape (n_pairs, k_a)
        Components of the first model, one row per pair.
    B : ndarray of shape (n_pairs, k_b)
        Components of the second model, row ``i`` paired with row ``i`` of ``A``.
    weights : ndarray of shape (n_pairs,), optional
        Non-negative pair weights (e.g. 1 / fan-out of a dictionary entry); None weighs
        every pair the same (the paper's unweighted correlation).

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


# ----------------------------------------------------------------------------- results and the null

MATCHERS = {"greedy": match_greedy, "optimal": match_optimal}


def _matcher(matching: str):
    if matching not in MATCHERS:
        raise InputError(f"unknown matching method {matching!r}; use one of {', '.join(MATCHERS)}")
    return MATCHERS[matching]


def matching_argument(matching: str | None, method: str | None, where: str) -> str:
    """The matching asked for: ``matching``, or the deprecated ``method`` keyword it replaces.

    ``method`` names ICA or PCA on a model; for the matching it was ambiguous, so it is kept
    only as a deprecated alias (a :class:`DeprecationWarning`).
    """
    if method is not None:
        import warnings

        warnings.warn(f"{where}(method=...) is deprecated; pass matching={method!r} instead",
                      DeprecationWarning, stacklevel=3)
        if matching is not None and matching != method:
            raise ParameterError(f"{where}: matching={matching!r} and method={method!r} disagree; "
                                 "give matching only")
        return method
    return "greedy" if matching is None else matching


@dataclass
class AxisMatch:
    """Matched axes of two models over paired rows.

    Attributes
    ----------
    corr : ndarray (k_a, k_b)
        Correlation of every axis of A with every axis of B over the pairs.
    rows, cols : ndarray
        Matched axes, strongest first: axis ``rows[i]`` of A with axis ``cols[i]`` of B.
    r : ndarray
        ``corr[rows, cols]``, non-increasing.
    matching : str
        ``greedy`` or ``optimal`` (also readable as ``method``, its former name).
    n_pairs : int
    null : NullResult or None
        Filled by :func:`permutation_null`.
    """

    corr: np.ndarray
    rows: np.ndarray
    cols: np.ndarray
    matching: str
    n_pairs: int
    null: NullResult | None = None

    @property
    def method(self) -> str:
        """Former name of :attr:`matching` (kept for existing code)."""
        return self.matching

    @property
    def r(self) -> np.ndarray:
        return self.corr[self.rows, self.cols]

    def mean_top(self, k: int) -> float:
        """Mean of the ``k`` largest matched correlations."""
        return float(np.mean(self.r[:k])) if len(self.r) else float("nan")

    @property
    def above_chance(self) -> np.ndarray:
        """Per matched pair: above the null's family-wise threshold (all False without a null)."""
        if self.null is None:
            return np.zeros(len(self.rows), dtype=bool)
        return self.r > self.null.threshold

    def partner(self, axis_a: int) -> tuple[int, float] | None:
        """The axis of B matched to axis ``axis_a`` of A and its correlation, or None."""
        hit = np.flatnonzero(self.rows == axis_a)
        if not len(hit):
            return None
        i = int(hit[0])
        return int(self.cols[i]), float(self.r[i])


@dataclass
class NullResult:
    """Matched correlations when the pairing is destroyed by shuffling.

    Attributes
    ----------
    curves : ndarray (n_permutations, n_matched)
        Sorted matched correlations of each shuffle.
    alpha : float
    threshold : float
        ``1 - alpha`` quantile of the largest matched correlation over shuffles: a matched
        correlation above it is above chance, family-wise over all axes.
    per_rank : ndarray (n_matched,)
        ``1 - alpha`` quantile at each rank (a looser, rank-by-rank curve for plots).
    seed : int or None
    """

    curves: np.ndarray
    alpha: float
    threshold: float
    per_rank: np.ndarray
    seed: int | None


def _standardize(X: np.ndarray, w: np.ndarray) -> np.ndarray:
    Xc = X - w @ X
    sd = np.sqrt(w @ (Xc * Xc))
    sd[sd == 0] = np.inf
    return Xc / sd


def match_components(A: np.ndarray, B: np.ndarray, weights: np.ndarray | None = None, *,
                     matching: str | None = None, method: str | None = None) -> AxisMatch:
    """Correlate and match the axes of paired component matrices (rows already paired).

    ``matching`` is ``'greedy'`` (default, the paper's) or ``'optimal'`` (Hungarian);
    ``method`` is its deprecated former name.
    """
    matching = matching_argument(matching, method, "match_components")
    corr = axis_correlations(A, B, weights)
    rows, cols = _matcher(matching)(corr)
    return AxisMatch(corr, rows, cols, matching, int(np.asarray(A).shape[0]))


def permutation_null(A: np.ndarray, B: np.ndarray, weights: np.ndarray | None = None, *,
                     matching: str | None = None, n_permutations: int = 100, alpha: float = 0.05,
                     seed: int | None = 0, progress: bool = False, method: str | None = None
                     ) -> NullResult:
    """Matched correlations under shuffled pairs (rows of ``B`` permuted, weights stay with ``A``).

    Parameters
    ----------
    A, B : ndarray (n_pairs, k_a), (n_pairs, k_b)
    weights : ndarray (n_pairs,), optional
    matching : {'greedy', 'optimal'}, default 'greedy'
        (``method``: its deprecated former name.)
    n_permutations : int, default 100
    alpha : float, default 0.05
    seed : int or None
        Seed of the shuffles; the same seed gives the same null.
    progress : bool
        Show a progress bar.

    Returns
    -------
    NullResult
    """
    matching = matching_argument(matching, method, "permutation_null")
    A = np.asarray(A, dtype=np.float64)
    B = np.asarray(B, dtype=np.float64)
    axis_correlations(A[:3], B[:3])  # shape checks with the usual errors
    if A.shape[0] != B.shape[0]:
        raise DimensionMismatchError(f"paired matrices differ in rows: {A.shape} vs {B.shape}")
    if n_permutations < 1:
        raise InputError(f"n_permutations must be at least 1, got {n_permutations}")
    if not 0 < alpha < 1:
        raise InputError(f"alpha must lie in (0, 1), got {alpha}")
    n = A.shape[0]
    w = np.ones(n) if weights is None else np.asarray(weights, dtype=np.float64)
    w = w / w.sum()
    # standardise once; a shuffle then only re-centres B under the moved weights
    As = _standardize(A, w) * w[:, None]
    match = _matcher(matching)
    rng = np.random.default_rng(seed)
    k = min(A.shape[1], B.shape[1])
    curves = np.empty((n_permutations, k))
    from icaxes.progress import ProgressBar

    with ProgressBar("permutation null", n_permutations, enabled=progress) as bar:
        for p in range(n_permutations):
            Bs = _standardize(B[rng.permutation(n)], w)
            corr = As.T @ Bs
            r, c = match(corr)
            curves[p] = np.sort(corr[r, c])[::-1]
            bar.advance()
    q = 1.0 - alpha
    return NullResult(curves, alpha, float(np.quantile(curves[:, 0], q)), np.quantile(curves, q, axis=0),
                      seed if isinstance(seed, int) or seed is None else None)


@dataclass
class MultiMatch:
    """One reference model matched against several targets.

    Attributes
    ----------
    order : ndarray
        Reference axes, by decreasing summed matched correlation over all targets.
    partners : dict of str to ndarray
        For each target, the matched target axis of every reference axis in ``order`` (-1: none).
    r : dict of str to ndarray
        The matched correlations in the same layout (0 where unmatched).
    matches : dict of str to AxisMatch
    """

    order: np.ndarray
    partners: dict[str, np.ndarray]
    r: dict[str, np.ndarray]
    matches: dict[str, AxisMatch]


def match_many(matches: dict[str, AxisMatch], n_ref_axes: int) -> MultiMatch:
    """Order reference axes by their summed matched correlation over several targets."""
    if not matches:
        raise InputError("match_many needs at least one target")
    total = np.zeros(n_ref_axes)
    partner: dict[str, np.ndarray] = {}
    rr: dict[str, np.ndarray] = {}
    for name, m in matches.items():
        p = np.full(n_ref_axes, -1, dtype=np.int64)
        v = np.zeros(n_ref_axes)
        p[m.rows] = m.cols
        v[m.rows] = m.r
        partner[name], rr[name] = p, v
        total += v
    order = np.argsort(-total, kind="stable")
    return MultiMatch(order, {k: v[order] for k, v in partner.items()},
                      {k: v[order] for k, v in rr.items()}, matches)
