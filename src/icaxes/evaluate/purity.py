"""Category purity: do the top tokens of an axis fall into one WordNet category?

Each English word gets the WordNet lexicographer categories (``noun.food``, ``verb.motion``,
...) that hold at least ``min_weight`` of its senses (see :mod:`icaxes.interpret.wordnet`).
The purity of an axis is the largest share of its top-``k`` tokens (among those WordNet
knows) that fall in a single category. The chance level is the same score for random sets
of ``k`` tokens drawn from the same vocabulary.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from icaxes.errors import InputError


def purity(membership: np.ndarray, min_known: int = 3) -> tuple[float, int]:
    """Purity of one token set from its (tokens x categories) boolean membership matrix.

    Returns the largest share of known tokens (rows with any category) in one category and
    that category's column, or ``(nan, -1)`` when fewer than ``min_known`` tokens are known.
    """
    M = np.asarray(membership, dtype=bool)
    known = M.any(axis=1)
    if known.sum() < min_known:
        return float("nan"), -1
    counts = M[known].sum(axis=0)
    best = int(np.argmax(counts))
    return float(counts[best] / known.sum()), best


@dataclass
class PurityResult:
    """Purity of every axis, with the category that wins and the chance level."""

    scores: np.ndarray
    categories: list[str | None]
    chance: float

    @property
    def mean(self) -> float:
        return float(np.nanmean(self.scores))


def axis_purity(values: np.ndarray, tokens: Sequence[str], *, k: int = 10, min_weight: float = 0.2,
                n_random: int = 1000, seed: int = 0, wordnet=None) -> PurityResult:
    """Purity of the top-``k`` tokens of each column of ``values``.

    Parameters
    ----------
    values : ndarray of shape (n, n_axes)
        Axis values (largest = top); rows = ``tokens``, already limited to the vocabulary to judge.
    tokens : sequence of str
    k : int
    min_weight : float
        A word is in a category when at least this share of its senses are.
    n_random : int
        Random token sets for the chance level.
    seed : int
    wordnet : WordNetCategories, optional
        Default: :func:`icaxes.interpret.wordnet.load_wordnet`.
    """
    from icaxes.interpret.wordnet import LEXNAMES, load_wordnet

    values = np.asarray(values)
    if values.shape[0] != len(tokens) or len(tokens) < k:
        raise InputError(f"need one token per row and at least k={k} rows")
    wn = load_wordnet() if wordnet is None else wordnet
    member = wn.membership(tokens, min_weight)
    scores, cats = [], []
    for a in range(values.shape[1]):
        top = np.argsort(-values[:, a], kind="stable")[:k]
        s, c = purity(member[top])
        scores.append(s)
        cats.append(LEXNAMES[c] if c >= 0 else None)
    rng = np.random.default_rng(seed)
    rand = [purity(member[rng.choice(len(tokens), k, replace=False)])[0] for _ in range(n_random)]
    return PurityResult(np.asarray(scores), cats, float(np.nanmean(rand)))
