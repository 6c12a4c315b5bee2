"""Cross-lingual alignment task: map, retrieve with CSLS or nearest neighbour, score @k.

Four ways to put two embeddings in one space (docs/method.md section 4):

- least squares: ``W = argmin ||X W - Y||`` over the training pairs, on the raw vectors
  (ours) or on centred, row-normalised vectors (the paper's code), both reported;
- orthogonal Procrustes on centred, row-normalised vectors (different widths are handled by
  padding the narrower side with zero columns, which gives the best semi-orthogonal map);
- ICA-permutation and PCA-permutation: each side gets its own fitted axes; the axes are
  matched greedily by their correlation over the training pairs and the matched axes are
  compared directly, with no learnt map at all.

Retrieval uses CSLS (Conneau et al. 2018) with the ``k`` MOST similar neighbours, or the
plain nearest neighbour; a test word counts as correct when any of its listed translations
is among the first ``k`` retrieved.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
from scipy.linalg import orthogonal_procrustes

from icaxes.errors import DimensionMismatchError, InputError
from icaxes.evaluate.similarity import unit_rows


# ----------------------------------------------------------------- retrieval
def mean_top_k_similarity(sim: np.ndarray, k: int) -> np.ndarray:
    """Mean of the ``k`` LARGEST entries of each row of ``sim`` (the CSLS neighbourhood density)."""
    sim = np.asarray(sim, dtype=np.float64)
    k = min(int(k), sim.shape[1])
    if k < 1:
        raise InputError(f"CSLS needs k >= 1 neighbours, got {k}")
    top = np.partition(sim, sim.shape[1] - k, axis=1)[:, sim.shape[1] - k:]
    return top.mean(axis=1)


def csls_scores(queries: np.ndarray, targets: np.ndarray, k: int = 10,
                query_pool: np.ndarray | None = None, chunk: int = 512) -> np.ndarray:
    """CSLS(q, t) = 2 cos(q, t) - r_T(q) - r_S(t).

    ``r_T(q)`` is the mean cosine of ``q`` to its ``k`` most similar targets and ``r_S(t)``
    the mean cosine of ``t`` to its ``k`` most similar mapped source words, taken over
    ``query_pool`` (default: ``queries``; use the whole mapped source vocabulary).

    Parameters
    ----------
    queries : ndarray of shape (n_q, d)
    targets : ndarray of shape (n_t, d)
    k : int
    query_pool : ndarray of shape (n_s, d), optional
    chunk : int
        Rows of the pool processed at once (bounds memory).

    Returns
    -------
    ndarray of shape (n_q, n_t)
    """
    Q, T = unit_rows(queries), unit_rows(targets)
    if Q.shape[1] != T.shape[1]:
        raise DimensionMismatchError(f"queries have {Q.shape[1]} columns, targets {T.shape[1]}")
    P = Q if query_pool is None else unit_rows(query_pool)
    sim = Q @ T.T
    r_t = mean_top_k_similarity(sim, k)
    # r_S of every target: its k most similar pool rows, chunked over targets
    r_s = np.empty(T.shape[0])
    for s in range(0, T.shape[0], chunk):
        r_s[s:s + chunk] = mean_top_k_similarity(T[s:s + chunk] @ P.T, k)
    return 2 * sim - r_t[:, None] - r_s[None, :]


def retrieve(queries: np.ndarray, targets: np.ndarray, *, method: str = "csls", k: int = 10,
             top: int = 10, query_pool: np.ndarray | None = None) -> np.ndarray:
    """Indices of the ``top`` best targets for each query, best first (``csls`` or ``nn``)."""
    if method == "csls":
        scores = csls_scores(queries, targets, k, query_pool)
    elif method == "nn":
        scores = unit_rows(queries) @ unit_rows(targets).T
    else:
        raise InputError(f"unknown retrieval method {method!r}; choose csls or nn")
    top = min(top, scores.shape[1])
    idx = np.argpartition(-scores, top - 1, axis=1)[:, :top]
    order = np.argsort(-np.take_along_axis(scores, idx, axis=1), axis=1, kind="stable")
    return np.take_along_axis(idx, order, axis=1)


def accuracy_at(ranked: np.ndarray, gold: Sequence[Iterable[int]], ks: Sequence[int] = (1, 5, 10)
                ) -> dict[int, float]:
    """Share of queries with any gold target among their first ``k`` retrieved, for each ``k``."""
    if len(ranked) != len(gold) or len(gold) == 0:
        raise InputError(f"need one gold set per query (got {len(ranked)} queries, {len(gold)} sets)")
    gold_sets = [set(g) for g in gold]
    out = {}
    for k in ks:
        hit = [bool(gs.intersection(row[:k].tolist())) for row, gs in zip(ranked, gold_sets, strict=True)]
        out[int(k)] = float(np.mean(hit))
    return out


# ------------------------------------------------------------------ mappings
def centre_normalise(X: np.ndarray, mean: np.ndarray | None = None) -> np.ndarray:
    """Subtract a mean (default: the column mean) and scale rows to unit length."""
    X = np.asarray(X, dtype=np.float64)
    return unit_rows(X - (X.mean(axis=0) if mean is None else mean))


def _pad(X: np.ndarray, d: int) -> np.ndarray:
    return X if X.shape[1] == d else np.hstack([X, np.zeros((X.shape[0], d - X.shape[1]))])


def fit_least_squares(X: np.ndarray, Y: np.ndarray) -> np.ndarray:
    """``W`` (d_x, d_y) minimising ``||X W - Y||`` (no constraint)."""
    W, *_ = np.linalg.lstsq(np.asarray(X, np.float64), np.asarray(Y, np.float64), rcond=None)
    return W


def fit_procrustes(X: np.ndarray, Y: np.ndarray) -> np.ndarray:
    """Orthogonal ``W`` (d_x, d_y) minimising ``||X W - Y||`` (scipy's orthogonal Procrustes).

    When the widths differ, the narrower side is padded with zero columns; the result then
    has orthonormal rows (``d_x < d_y``) or columns (``d_x > d_y``).
    """
    X, Y = np.asarray(X, np.float64), np.asarray(Y, np.float64)
    d = max(X.shape[1], Y.shape[1])
    R, _ = orthogonal_procrustes(_pad(X, d), _pad(Y, d))
    return R[: X.shape[1], : Y.shape[1]]


@dataclass
class AxisPermutation:
    """Matched axes of two fitted models: source axis ``rows[m]`` <-> target axis ``cols[m]``."""

    rows: np.ndarray
    cols: np.ndarray
    correlations: np.ndarray


def match_axes_on_pairs(S_src: np.ndarray, S_tgt: np.ndarray, weights: np.ndarray | None = None
                        ) -> AxisPermutation:
    """Greedy matching of axes by their Pearson correlation over paired rows (the paper's rule)."""
    from icaxes.universal.matching import axis_correlations, match_greedy

    corr = axis_correlations(S_src, S_tgt, weights)
    rows, cols = match_greedy(corr)
    return AxisPermutation(rows, cols, corr[rows, cols])


# -------------------------------------------------------------------- splits
@dataclass
class DictionarySplit:
    """Train and test entries of a bilingual dictionary, split by source word."""

    train: list[tuple[str, str]]
    test: dict[str, list[str]]  # source word -> all its listed translations
    n_train_words: int
    n_test_words: int
    rule: str


def split_dictionary(pairs: Iterable[tuple[str, str]], source_rank: dict[str, int],
                     target_vocab: set[str] | dict[str, int], *, n_train: int = 5000,
                     n_test: int = 1500) -> DictionarySplit:
    """The fixed split of docs/method.md section 4: source words by frequency, the first ``n_train`` to train.

    Only pairs whose two words are in the vocabularies count. Source words are sorted by
    their rank in the source embedding (most frequent first); words ``0 .. n_train`` train,
    ``n_train .. n_train + n_test`` test. A dictionary with fewer words is split in the same
    proportion (10:3). Test words keep every listed translation, and any one counts.
    """
    by_src: dict[str, list[str]] = {}
    for s, t in pairs:
        if s in source_rank and t in target_vocab:
            lst = by_src.setdefault(s, [])
            if t not in lst:
                lst.append(t)
    words = sorted(by_src, key=lambda w: (source_rank[w], w))
    n = len(words)
    if n < 13:
        raise InputError(f"only {n} dictionary source words are in both vocabularies; need at least 13")
    rule = f"source words 0-{n_train} train, {n_train}-{n_train + n_test} test"
    if n < n_train + n_test:
        n_train = round(n * n_train / (n_train + n_test))
        n_test = n - n_train
        rule = (f"dictionary has {n} usable source words: first {n_train} train, "
                f"next {n_test} test (the 5000:1500 proportion)")
    train_words, test_words = words[:n_train], words[n_train:n_train + n_test]
    train = [(s, t) for s in train_words for t in by_src[s]]
    return DictionarySplit(train, {s: by_src[s] for s in test_words}, len(train_words),
                           len(test_words), rule)


# --------------------------------------------------------------------- task
#: Least-squares variants: on raw vectors (ours) and on centred, row-normalised ones (the paper).
LEAST_SQUARES = ("raw", "normalised")

@dataclass
class AlignmentResult:
    """Accuracy of one method and retrieval rule."""

    method: str
    retrieval: str
    accuracy: dict[int, float]
    n_test: int


def alignment_task(src_vectors: np.ndarray, src_index: dict[str, int], tgt_vectors: np.ndarray,
                   tgt_index: dict[str, int], split: DictionarySplit, *,
                   src_axes: dict[str, np.ndarray] | None = None,
                   tgt_axes: dict[str, np.ndarray] | None = None, k: int = 10,
                   retrievals: Sequence[str] = ("csls", "nn"), ks: Sequence[int] = (1, 5, 10),
                   train_weights: bool = True,
                   least_squares: Sequence[str] = LEAST_SQUARES) -> list[AlignmentResult]:
    """Run every method of the alignment task on one language pair.

    Parameters
    ----------
    src_vectors, tgt_vectors : ndarray
        Raw embeddings of the two languages (rows = tokens of the indexes).
    src_index, tgt_index : dict
        Token -> row.
    split : DictionarySplit
    src_axes, tgt_axes : dict, optional
        ``{"ica": S, "pca": S}``: the fitted components of all rows of each side, for the
        permutation methods.
    k : int
        CSLS neighbourhood size.
    retrievals : sequence of {"csls", "nn"}
    ks : sequence of int
    train_weights : bool
        Weight training pairs by 1 / (translations of the source word) when matching axes, so
        a word with many translations does not dominate.
    least_squares : sequence of {"raw", "normalised"}
        Least-squares variants to run: ``raw`` (ours, method ``least squares``) maps the raw
        vectors; ``normalised`` (the paper's, method ``least squares, normalised``) maps
        centred, row-normalised vectors, like Procrustes.
    """
    tr_s = np.array([src_index[s] for s, _ in split.train])
    tr_t = np.array([tgt_index[t] for _, t in split.train])
    fan = {}
    for s, _ in split.train:
        fan[s] = fan.get(s, 0) + 1
    w = np.array([1.0 / fan[s] for s, _ in split.train]) if train_weights else None
    test_words = list(split.test)
    te_s = np.array([src_index[s] for s in test_words])
    gold = [[tgt_index[t] for t in split.test[s]] for s in test_words]

    spaces: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    Xc = centre_normalise(src_vectors)
    Yc = centre_normalise(tgt_vectors)
    bad = set(least_squares) - set(LEAST_SQUARES)
    if bad:
        raise InputError(f"unknown least-squares variant(s) {', '.join(sorted(bad))}; "
                         f"choose from {', '.join(LEAST_SQUARES)}")
    if "raw" in least_squares:
        X, Y = np.asarray(src_vectors, np.float64), np.asarray(tgt_vectors, np.float64)
        spaces["least squares"] = (X @ fit_least_squares(X[tr_s], Y[tr_t]), Y)
    if "normalised" in least_squares:
        spaces["least squares, normalised"] = (Xc @ fit_least_squares(Xc[tr_s], Yc[tr_t]), Yc)
    spaces["procrustes"] = (Xc @ fit_procrustes(Xc[tr_s], Yc[tr_t]), Yc)
    for name in ("ica", "pca"):
        if src_axes is None or tgt_axes is None or name not in src_axes or name not in tgt_axes:
            continue
        A, B = np.asarray(src_axes[name], np.float64), np.asarray(tgt_axes[name], np.float64)
        perm = match_axes_on_pairs(A[tr_s], B[tr_t], w)
        spaces[f"{name}-permutation"] = (A[:, perm.rows], B[:, perm.cols])

    results = []
    for method, (mapped, targets) in spaces.items():
        for r in retrievals:
            ranked = retrieve(mapped[te_s], targets, method=r, k=k, top=max(ks), query_pool=mapped)
            results.append(AlignmentResult(method, r, accuracy_at(ranked, gold, ks), len(te_s)))
    return results


#: Random-transform recipes: ``source`` (ours) multiplies the source only by one Gaussian
#: matrix; ``paper`` multiplies BOTH languages by the same ``U diag(e) V^T`` (the paper's code).
TRANSFORMS = ("source", "paper")


def random_matrix(d: int, seed: int = 0, recipe: str = "source") -> np.ndarray:
    """A seeded random invertible, non-orthogonal ``d x d`` matrix.

    Parameters
    ----------
    d : int
        Width of the embeddings it multiplies.
    seed : int
    recipe : {"source", "paper"}
        ``source`` (ours): entries N(0, 1/d). ``paper``: ``M = U diag(sigma) V^T`` with
        ``U``, ``V`` of entries N(0, 1/d^2) and ``sigma`` of Exp(1) draws, as in the paper's
        code (far from orthogonal: the singular values spread over orders of magnitude).
    """
    rng = np.random.default_rng(seed)
    if recipe == "source":
        return rng.normal(size=(d, d)) / np.sqrt(d)
    if recipe == "paper":
        U = rng.normal(scale=1.0 / d, size=(d, d))
        V = rng.normal(scale=1.0 / d, size=(d, d))
        sigma = rng.exponential(1.0, size=d)
        return U @ np.diag(sigma) @ V.T
    raise InputError(f"unknown random-transform recipe {recipe!r}; choose {' or '.join(TRANSFORMS)}")


def random_transform(X: np.ndarray, seed: int = 0, recipe: str = "source") -> tuple[np.ndarray, np.ndarray]:
    """``X @ M`` with ``M = random_matrix(X.shape[1], seed, recipe)``; returns both.

    With ``recipe="paper"`` apply the returned ``M`` to the other language too
    (:func:`transform_pair` does both).
    """
    M = random_matrix(X.shape[1], seed, recipe)
    return np.asarray(X, np.float64) @ M, M


def transform_pair(X: np.ndarray, Y: np.ndarray, seed: int = 0, recipe: str = "source"
                   ) -> tuple[np.ndarray, np.ndarray]:
    """Both sides of an alignment under a random-transform recipe (see :func:`random_matrix`).

    ``source``: ``(X M, Y)``. ``paper``: ``(X M, Y M)`` with the same ``M``, which needs the
    two embeddings to have the same width.
    """
    Xr, M = random_transform(X, seed, recipe)
    if recipe == "source":
        return Xr, np.asarray(Y, np.float64)
    if np.shape(Y)[1] != M.shape[0]:
        raise DimensionMismatchError(f"the paper's random transform multiplies both sides by one matrix: "
                                     f"widths {M.shape[0]} and {np.shape(Y)[1]} differ (reduce both first)")
    return Xr, np.asarray(Y, np.float64) @ M
