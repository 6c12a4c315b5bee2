"""Readable axis labels: the axis's top tokens, plus a WordNet category where one clearly fits.

A category fits an axis when a majority of its top-k tokens belong to it and that count is
far above what the category's base rate in the vocabulary predicts: a one-sided binomial
test, Bonferroni-adjusted over the 45 lexicographer categories. Otherwise the axis gets no
category and its label is just its top tokens, e.g. ``"[food] butter, tomato, bread"`` or
``"ferrari, porsche, lamborghini"``.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
from scipy import stats

from icaxes.errors import InputError, MissingDependencyError
from icaxes.interpret.wordnet import LEXNAMES, WordNetCategories, load_wordnet

if TYPE_CHECKING:
    from icaxes.model import AxisModel


@dataclass
class CategoryFit:
    """The best WordNet category of one axis and the evidence for it."""

    category: str | None  # None: no category fits
    best: str | None  # the best candidate, even when it does not fit
    count: int  # top tokens in ``best``
    k: int  # top tokens tested
    base_rate: float  # share of vocabulary tokens in ``best``
    p_value: float  # one-sided binomial, Bonferroni over the categories


@dataclass
class AxisLabel:
    """Label of one axis."""

    axis: int
    label: str
    category: str | None
    top: list[str]
    fit: CategoryFit | None = None


#: display names of the categories whose second part says little on its own
_SHORT = {"adj.all": "adjective", "adj.pert": "relational adjective", "adv.all": "adverb",
          "adj.ppl": "participle", "noun.Tops": "top noun"}


def short_category(name: str) -> str:
    """Display name: ``"noun.food"`` -> ``"food"``, ``"verb.motion"`` -> ``"motion (verb)"``."""
    if name in _SHORT:
        return _SHORT[name]
    pos, _, rest = name.partition(".")
    return rest if pos == "noun" else f"{rest} ({pos})"


def base_rates(vocabulary: Sequence[str], wordnet: WordNetCategories, *, sample: int = 50000,
               seed: int = 0, min_weight: float = 0.2) -> np.ndarray:
    """Share of vocabulary tokens in each of the 45 categories (a seeded sample of large ones)."""
    n = len(vocabulary)
    if n > sample:
        rows = np.sort(np.random.default_rng(seed).choice(n, sample, replace=False))
        words = [vocabulary[i] for i in rows]
    else:
        words = list(vocabulary)
    if not words:
        raise InputError("the vocabulary is empty; nothing to compare the top tokens against")
    return wordnet.membership(words, min_weight).mean(axis=0)


def fit_category(tokens: Sequence[str], rates: np.ndarray, wordnet: WordNetCategories, *,
                 alpha: float = 0.01, min_share: float = 0.5, min_weight: float = 0.2) -> CategoryFit:
    """Test every category on one axis's top ``tokens`` and return the best, if it fits.

    Parameters
    ----------
    tokens : sequence of str
        The axis's top tokens (e.g. 20).
    rates : ndarray of shape (45,)
        Base rates from :func:`base_rates`.
    alpha : float
        Family-wise level after the Bonferroni adjustment over the categories.
    min_share : float
        The category must hold more than this share of the tokens (a clear majority).
    min_weight : float
        A token belongs to a category when at least this share of its senses (weighted by
        sense order, in its best part of speech) lies there.
    """
    k = len(tokens)
    if k == 0:
        return CategoryFit(None, None, 0, 0, 0.0, 1.0)
    counts = wordnet.membership(tokens, min_weight).sum(axis=0)
    # a zero base rate would make any hit infinitely significant; floor it at one vocabulary token
    p = np.clip(rates, 1e-6, 1.0)
    pvals = np.minimum(1.0, stats.binom.sf(counts - 1, k, p) * len(LEXNAMES))
    best = int(np.lexsort((pvals, -counts))[0])  # most tokens, then smallest p
    fits = counts[best] > min_share * k and pvals[best] < alpha
    return CategoryFit(LEXNAMES[best] if fits else None, LEXNAMES[best] if counts[best] else None,
                       int(counts[best]), k, float(rates[best]), float(pvals[best]))


def make_label(top: Sequence[str], category: str | None, n_tokens: int = 3) -> str:
    """``"[food] butter, tomato, bread"`` (or just the tokens when no category fits)."""
    words = ", ".join(top[:n_tokens])
    return f"[{short_category(category)}] {words}" if category else words


def label_axes(model: AxisModel, *, k: int = 20, n_tokens: int = 3, wordnet: WordNetCategories | None = None,
               alpha: float = 0.01, min_share: float = 0.5, seed: int = 0) -> list[AxisLabel]:
    """Label every axis of ``model`` from its top tokens and WordNet.

    Parameters
    ----------
    model : AxisModel
    k : int, default 20
        Top tokens tested for a category.
    n_tokens : int, default 3
        Top tokens shown in the label.
    wordnet : WordNetCategories, optional
        Default: :func:`~icaxes.interpret.wordnet.load_wordnet` (raises
        :class:`~icaxes.errors.MissingDependencyError` without the WordNet files).
    alpha, min_share : see :func:`fit_category`.
    seed : int
        Seed of the vocabulary sample used for the base rates.
    """
    wn = wordnet if wordnet is not None else load_wordnet()
    rates = base_rates(model.tokens, wn, seed=seed)
    labels = []
    for axis in range(model.n_axes):
        top = model.top_tokens(axis, k)
        fit = fit_category(top, rates, wn, alpha=alpha, min_share=min_share)
        labels.append(AxisLabel(axis, make_label(top, fit.category, n_tokens), fit.category, top, fit))
    return labels


def label_axes_or_tokens(model: AxisModel, **kwargs) -> list[AxisLabel]:
    """:func:`label_axes`, falling back to token-only labels (with a warning) without WordNet."""
    try:
        return label_axes(model, **kwargs)
    except MissingDependencyError as exc:
        warnings.warn(f"axis labels without WordNet categories: {exc}", stacklevel=2)
        n_tokens = kwargs.get("n_tokens", 3)
        return [AxisLabel(a, make_label(model.top_tokens(a, n_tokens), None, n_tokens), None,
                          model.top_tokens(a, n_tokens)) for a in range(model.n_axes)]
