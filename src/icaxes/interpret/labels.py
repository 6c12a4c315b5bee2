"""Readable axis labels: the axis's top tokens, plus a WordNet category where one clearly fits.

A category fits an axis when a majority of its top-k tokens belong to it and that count is
far above what the category's base rate in the vocabulary predicts: a one-sided binomial
test, Bonferroni-adjusted over the candidate categories. Only content words count as members
(alphabetic, not a stop word: never "the, from, for" or "28th"), and only categories that
name a meaning are candidates (the noun and verb files except ``noun.Tops``; the adjective and
adverb files only say a part of speech). Otherwise the axis gets no category and its label is
just its top tokens, e.g. ``"[food] butter, tomato, bread"`` or ``"ferrari, porsche, lamborghini"``.

A category is spelled one way everywhere: the name after the dot of its lexicographer file
(``noun.food`` -> ``food``, ``verb.motion`` -> ``motion``), shown in brackets (``[food]``).
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np
from scipy import stats

from icaxes.errors import InputError, MissingDependencyError
from icaxes.interpret.wordnet import LEXNAMES, WordNetCategories, load_wordnet


class LabelledAxes(Protocol):
    """What labelling reads of a model: an :class:`icaxes.AxisModel` has it.

    Declared here so that this module does not import the model module (which imports this
    one to make the labels it is given).
    """

    tokens: list[str]

    @property
    def n_axes(self) -> int: ...

    @property
    def display_mask(self) -> np.ndarray | None: ...

    def top_tokens(self, axis: int, k: int = ..., **kwargs: Any) -> list[str]: ...


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


#: lexicographer files that name a part of speech or WordNet's top nodes, not a meaning
NOT_A_MEANING = frozenset({"adj.all", "adj.pert", "adj.ppl", "adv.all", "noun.Tops"})
#: top tokens tested for a category (and listed in labels' evidence)
LABEL_TOP = 20
#: top tokens shown in a label
LABEL_TOKENS = 3


def short_category(name: str) -> str:
    """The one spelling of a category: ``"noun.food"`` -> ``"food"``, ``"verb.motion"`` -> ``"motion"``.

    A name without a dot (already short) is returned as it is.
    """
    return name.partition(".")[2] or name


def is_content_word(token: str) -> bool:
    """Whether ``token`` may count towards a category: letters only and not an English stop word."""
    from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

    return token.isalpha() and token.lower() not in ENGLISH_STOP_WORDS


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
    return _membership(words, wordnet, min_weight).mean(axis=0)


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
    counts = _membership(tokens, wordnet, min_weight).sum(axis=0)
    # a zero base rate would make any hit infinitely significant; floor it at one vocabulary token
    p = np.clip(rates, 1e-6, 1.0)
    pvals = np.minimum(1.0, stats.binom.sf(counts - 1, k, p) * int(_CANDIDATES.sum()))
    pvals[~_CANDIDATES] = 1.0
    counts = np.where(_CANDIDATES, counts, 0)
    best = int(np.lexsort((pvals, -counts))[0])  # most tokens, then smallest p
    fits = counts[best] > min_share * k and pvals[best] < alpha
    name = short_category(LEXNAMES[best])
    return CategoryFit(name if fits else None, name if counts[best] else None,
                       int(counts[best]), k, float(rates[best]), float(pvals[best]))


_CANDIDATES = np.array([name not in NOT_A_MEANING for name in LEXNAMES])


def _membership(tokens: Sequence[str], wordnet: WordNetCategories, min_weight: float) -> np.ndarray:
    """(tokens x categories) membership, with rows of non-content tokens left empty."""
    member = np.asarray(wordnet.membership(tokens, min_weight), dtype=bool).copy()
    member[[not is_content_word(t) for t in tokens]] = False
    return member


def make_label(top: Sequence[str], category: str | None, n_tokens: int = LABEL_TOKENS) -> str:
    """``"[food] butter, tomato, bread"`` (or just the tokens when no category fits)."""
    words = ", ".join(top[:n_tokens])
    return f"[{short_category(category)}] {words}" if category else words


def label_tops(tops: Sequence[Sequence[str]], vocabulary: Sequence[str], *, n_tokens: int = LABEL_TOKENS,
               wordnet: WordNetCategories | None = None, alpha: float = 0.01, min_share: float = 0.5,
               seed: int = 0) -> list[AxisLabel]:
    """Label axes from their top tokens (e.g. 20 each) and WordNet.

    Parameters
    ----------
    tops : sequence of sequences of str
        Each axis's top tokens, best first.
    vocabulary : sequence of str
        The tokens the top tokens were chosen from (the base rates are measured on them).
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
    rates = base_rates(vocabulary, wn, seed=seed)
    labels = []
    for axis, top in enumerate(tops):
        fit = fit_category(top, rates, wn, alpha=alpha, min_share=min_share)
        labels.append(AxisLabel(axis, make_label(top, fit.category, n_tokens), fit.category, list(top), fit))
    return labels


def token_labels(tops: Sequence[Sequence[str]], n_tokens: int = LABEL_TOKENS) -> list[AxisLabel]:
    """Labels without categories: each axis's first ``n_tokens`` top tokens."""
    return [AxisLabel(a, make_label(top, None, n_tokens), None, list(top)) for a, top in enumerate(tops)]


def label_tops_or_tokens(tops: Sequence[Sequence[str]], vocabulary: Sequence[str],
                         **kwargs) -> list[AxisLabel]:
    """:func:`label_tops`, falling back to token-only labels (with a warning) without WordNet."""
    try:
        return label_tops(tops, vocabulary, **kwargs)
    except MissingDependencyError as exc:
        warnings.warn(f"axis labels without WordNet categories: {exc}", stacklevel=2)
        return token_labels(tops, kwargs.get("n_tokens", LABEL_TOKENS))


def label_axes(model: LabelledAxes, *, k: int = LABEL_TOP, **kwargs) -> list[AxisLabel]:
    """Label every axis of ``model`` from its top ``k`` tokens among its display rows.

    This is what the model's saved labels are (see :meth:`~icaxes.model.AxisModel.with_display`);
    keyword arguments are those of :func:`label_tops`.
    """
    mask = model.display_mask
    vocabulary = model.tokens if mask is None else [model.tokens[i] for i in np.flatnonzero(mask)]
    tops = [model.top_tokens(a, k) for a in range(model.n_axes)]
    return label_tops(tops, vocabulary, **kwargs)


def label_axes_or_tokens(model: LabelledAxes, **kwargs) -> list[AxisLabel]:
    """:func:`label_axes`, falling back to token-only labels (with a warning) without WordNet."""
    try:
        return label_axes(model, **kwargs)
    except MissingDependencyError as exc:
        warnings.warn(f"axis labels without WordNet categories: {exc}", stacklevel=2)
        return token_labels([model.top_tokens(a, LABEL_TOKENS) for a in range(model.n_axes)],
                            kwargs.get("n_tokens", LABEL_TOKENS))
