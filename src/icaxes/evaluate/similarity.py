"""Word similarity and analogy with a sparse, top-p version of the normalised-ICA cosine.

For unit-length rows ``x`` and ``y`` the cosine is ``sum_k x_k y_k``; each term is the
meaning the two words share along axis ``k``. Keeping only the ``p`` largest terms gives a
sparse similarity (docs/method.md, section 5). The benchmarks are the copies of WordSim-353,
SimLex-999 and the Google analogy set bundled with gensim (``gensim.test.utils.datapath``;
docs/benchmarks.md says why they are not shipped). Users' own files:
:mod:`icaxes.evaluate.userfiles`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from scipy.stats import spearmanr

from icaxes.errors import InputError, require

#: The benchmark files gensim ships, by the names used in tables.
SIMILARITY_FILES = {"ws353": "wordsim353.tsv", "simlex999": "simlex999.txt"}
ANALOGY_FILE = "questions-words.txt"


def _datapath(name: str) -> Path:
    require("gensim", extra="eval", feature="the bundled similarity and analogy benchmarks")
    from gensim.test.utils import datapath

    path = Path(datapath(name))
    if not path.is_file():
        raise InputError(f"gensim's bundled benchmark {name} is missing at {path}; reinstall gensim")
    return path


def load_similarity_benchmark(name: str) -> list[tuple[str, str, float]]:
    """Word pairs with human scores: ``"ws353"`` or ``"simlex999"`` (lower-cased)."""
    if name not in SIMILARITY_FILES:
        raise InputError(f"unknown similarity benchmark {name!r}; choose {', '.join(SIMILARITY_FILES)}")
    from icaxes.evaluate.userfiles import read_word_pairs

    pairs = read_word_pairs(_datapath(SIMILARITY_FILES[name])).pairs
    return [(a.lower(), b.lower(), score) for a, b, score in pairs]


def load_analogies() -> dict[str, list[tuple[str, str, str, str]]]:
    """The Google analogy questions ``a : b :: c : d`` by category (lower-cased)."""
    from icaxes.evaluate.userfiles import read_analogy_file

    return {cat: [tuple(w.lower() for w in q) for q in questions]  # type: ignore[misc]
            for cat, questions in read_analogy_file(_datapath(ANALOGY_FILE)).items()}


def unit_rows(X: np.ndarray) -> np.ndarray:
    """Rows scaled to unit length (float64; zero rows stay zero)."""
    X = np.asarray(X, dtype=np.float64)
    norms = np.linalg.norm(X, axis=1, keepdims=True)
    return X / np.where(norms > 0, norms, 1.0)


def top_p_terms(x: np.ndarray, y: np.ndarray, p: int | None) -> np.ndarray:
    """Sum of the ``p`` largest terms ``x_k y_k`` of each paired row (``p=None``: all terms).

    Parameters
    ----------
    x, y : ndarray of shape (n, d) or (d,)
        Unit-length rows (then the full sum is the cosine).
    p : int or None

    Returns
    -------
    ndarray of shape (n,) (a scalar array for 1-d input)
    """
    terms = np.asarray(x, dtype=np.float64) * np.asarray(y, dtype=np.float64)
    d = terms.shape[-1]
    if p is None or p >= d:
        return terms.sum(axis=-1)
    if p < 1:
        raise InputError(f"p must be at least 1, got {p}")
    # the p largest terms: partition puts them last
    return np.partition(terms, d - p, axis=-1)[..., d - p:].sum(axis=-1)


@dataclass
class SimilarityScore:
    """Spearman correlation of a similarity with human judgements."""

    rho: float
    n_pairs: int
    n_missing: int


def similarity_spearman(unit: np.ndarray, index: dict[str, int], pairs: Sequence[tuple[str, str, float]],
                        p: int | None = None) -> SimilarityScore:
    """Spearman rho between human scores and the top-``p`` cosine (pairs with unknown words skipped)."""
    found = [(index[a], index[b], s) for a, b, s in pairs if a in index and b in index]
    if len(found) < 3:
        raise InputError(f"only {len(found)} benchmark pairs are in the vocabulary; use a larger vocabulary")
    ia, ib, gold = (np.asarray(v) for v in zip(*found, strict=True))
    pred = top_p_terms(unit[ia], unit[ib], p)
    rho = spearmanr(pred, gold).statistic
    return SimilarityScore(float(rho), len(found), len(pairs) - len(found))


@dataclass
class AnalogyScore:
    """Top-1 accuracy on analogy questions."""

    macro: float  # mean of the per-category accuracies (the paper's figure)
    micro: float  # all questions pooled
    n_questions: int
    n_missing: int
    per_category: dict[str, float]


def analogy_accuracy(unit: np.ndarray, index: dict[str, int],
                     questions: dict[str, list[tuple[str, str, str, str]]], p: int | None = None,
                     *, vocab: int | None = None, per_category: int | None = None, seed: int = 0,
                     chunk: int = 64) -> AnalogyScore:
    """Top-1 accuracy of ``a : b :: c : ?`` with the top-``p`` similarity (3CosAdd).

    The query is ``q = unit(b - a + c)`` built from unit rows; each candidate ``w`` among the
    first ``vocab`` rows scores ``top_p_terms(q, w, p)``; ``a``, ``b`` and ``c`` are excluded.
    With ``p=None`` this is the usual cosine 3CosAdd. Questions with a word outside the
    first ``vocab`` rows are skipped (counted in ``n_missing``).

    Parameters
    ----------
    unit : ndarray of shape (n, d)
        Unit-length rows, most frequent first.
    index : dict
        Token -> row.
    questions : dict
        Category -> questions, see :func:`load_analogies`.
    p : int or None
    vocab : int, optional
        Search among the first ``vocab`` rows only (default: all).
    per_category : int, optional
        Evaluate a seeded random sample of at most this many questions per category.
    seed : int
    chunk : int
        Questions scored at once (memory: chunk x vocab x d floats when p is set).
    """
    V = unit.shape[0] if vocab is None else min(vocab, unit.shape[0])
    cand = unit[:V]
    rng = np.random.default_rng(seed)
    acc: dict[str, float] = {}
    hits_total = n_total = missing = 0
    for cat, qs in questions.items():
        rows = [tuple(index.get(w, V) for w in q) for q in qs]
        ok = [r for r in rows if max(r) < V]
        missing += len(rows) - len(ok)
        if per_category is not None and len(ok) > per_category:
            pick = np.sort(rng.choice(len(ok), per_category, replace=False))
            ok = [ok[i] for i in pick]
        if not ok:
            continue
        Q = np.asarray(ok, dtype=np.int64)
        hits = 0
        for s in range(0, len(Q), chunk):
            q = Q[s:s + chunk]
            query = unit_rows(cand[q[:, 1]] - cand[q[:, 0]] + cand[q[:, 2]])
            if p is None or p >= cand.shape[1]:
                scores = query @ cand.T
            else:
                scores = np.stack([top_p_terms(cand, qi[None, :], p) for qi in query])
            r = np.arange(len(q))
            for j in range(3):
                scores[r, q[:, j]] = -np.inf
            hits += int(np.sum(np.argmax(scores, axis=1) == q[:, 3]))
        acc[cat] = hits / len(Q)
        hits_total += hits
        n_total += len(Q)
    if not acc:
        raise InputError("no analogy question has all four words in the vocabulary")
    return AnalogyScore(float(np.mean(list(acc.values()))), hits_total / n_total, n_total, missing, acc)
