"""Word intrusion measured without people: the DistRatio of each axis.

For axis ``k`` take its top-5 words and an intruder: a word in the bottom half of axis ``k``
that is in the top 10% of some other axis (so it is a "good" word, just not this axis's).
``DistRatio_k = InterDist_k / IntraDist_k``, where ``InterDist`` is the mean distance from
the top words to the intruder and ``IntraDist`` the mean distance among the top words.
A ratio above 1 means the top words sit together and the intruder stands out
(docs/method.md section 5; Sun et al. 2016).

Where the distances are measured is a choice: ours measures them in the representation being
judged (the ICA or PCA components themselves), the paper's code in the ORIGINAL embedding for
every representation (the representation then only chooses the words). :data:`SPACES` names
the two; ``icaxes evaluate`` reports both.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.spatial.distance import cdist, pdist

from icaxes.errors import InputError

#: Where DistRatio distances are measured: ``judged`` (ours: the representation whose axes
#: pick the words) or ``original`` (the paper: the embedding itself, for every representation).
SPACES = ("judged", "original")


def dist_ratio(space: np.ndarray, top: np.ndarray, intruders: np.ndarray) -> float:
    """DistRatio of one axis: mean top-to-intruder distance over mean top-to-top distance.

    Parameters
    ----------
    space : ndarray of shape (n, d)
        The representation distances are measured in.
    top : ndarray of int
        Rows of the axis's top words (at least 2).
    intruders : ndarray of int
        Rows of one or more intruders; InterDist averages over all of them.
    """
    top = np.asarray(top)
    if top.size < 2:
        raise InputError("DistRatio needs at least 2 top words")
    intra = pdist(space[top]).mean()
    inter = cdist(space[top], space[np.atleast_1d(intruders)]).mean()
    return float(inter / intra) if intra > 0 else float("inf")


@dataclass
class IntrusionResult:
    """DistRatio of every axis of one representation."""

    ratios: np.ndarray  # per axis

    @property
    def median(self) -> float:
        return float(np.median(self.ratios))

    @property
    def mean(self) -> float:
        return float(np.mean(self.ratios))


def intrusion_scores(values: np.ndarray, space: np.ndarray | None = None, *, n_top: int = 5,
                     n_intruders: int = 10, bottom: float = 0.5, top_share: float = 0.1,
                     seed: int = 0) -> IntrusionResult:
    """DistRatio of every column of ``values``.

    Parameters
    ----------
    values : ndarray of shape (n, k)
        Axis values used to pick top words and intruders (e.g. ICA components or their
        row-normalised version, PCA scores, raw dimensions). Rows should already be limited
        to the vocabulary one wants to judge (e.g. frequent alphabetic words).
    space : ndarray of shape (n, d), optional
        Where distances are measured (default: ``values``, ours); pass the original
        embedding's rows for the paper's definition.
    n_top : int
        Top words per axis (the paper: 5).
    n_intruders : int
        Intruders drawn per axis; the ratio averages over them (one is noisy).
    bottom : float
        Intruders come from the lowest ``bottom`` share of the axis.
    top_share : float
        ... and from the highest ``top_share`` of at least one other axis.
    seed : int
        Seed of the intruder draw.
    """
    values = np.asarray(values, dtype=np.float64)
    space = values if space is None else np.asarray(space, dtype=np.float64)
    n, k = values.shape
    if n < 20 * n_top:
        raise InputError(f"intrusion needs more rows than {n} for {n_top} top words per axis")
    rng = np.random.default_rng(seed)
    ranks = np.argsort(np.argsort(-values, axis=0, kind="stable"), axis=0, kind="stable")
    in_top = ranks < max(1, int(top_share * n))
    in_top_count = in_top.sum(axis=1)
    ratios = np.empty(k)
    for a in range(k):
        top = np.argsort(-values[:, a], kind="stable")[:n_top]
        low = ranks[:, a] >= int((1 - bottom) * n)
        # high on another axis: in some top decile other than this axis's own
        other = (in_top_count - in_top[:, a]) > 0
        pool = np.flatnonzero(low & other)
        if pool.size == 0:
            pool = np.flatnonzero(low)
        pick = rng.choice(pool, size=min(n_intruders, pool.size), replace=False)
        ratios[a] = dist_ratio(space, top, pick)
    return IntrusionResult(ratios)
