"""Turn fitted models into the bounded, JSON-ready data behind the explorer page.

The page must stay small for a 400,000-token model, so it does not carry every row:

- **full components** (row-normalised, quantised to float16, or to int8 with a per-row scale
  when float16 would exceed ``matrix_bytes``) only for the most frequent ``max_tokens`` tokens
  plus every token that appears in some axis's top list; search, neighbours, the scatter and
  the pair view work on these rows;
- **top lists** of ``top_k`` tokens per axis and the axis labels, the model's own: read from
  its display rows (:attr:`~icaxes.model.AxisModel.display`, by default the rows ICA was
  fitted on), the same tokens and labels as ``icaxes axes`` and the report;
- **per-axis summaries** of the whole vocabulary: a histogram of the normalised components (the spike)
  and upper-tail quantiles of the normalised components, from which the page estimates a
  token's rank among all tokens;
- **axis matches** between models (Pearson correlation over shared tokens, or over given
  translation pairs, and optimal one-to-one matching), computed here on all shared rows.

The data size is therefore about ``max_tokens * n_axes * methods * 2`` bytes plus terms
linear in the number of axes, whatever the vocabulary size.
"""

from __future__ import annotations

import base64
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from icaxes.errors import InputError
from icaxes.model import AxisModel
from icaxes.universal.matching import MATCHERS

#: one model entry: an AxisModel, or a mapping method -> AxisModel over the same tokens
ModelEntry = AxisModel | Mapping[str, AxisModel]
#: what the explorer accepts: ``[(name, entry), ...]`` or ``{name: entry}``
ModelsLike = Sequence[tuple[str, ModelEntry]] | Mapping[str, ModelEntry]
#: translation pairs between two named models: ``{(name_a, name_b): [(token_a, token_b), ...]}``
#: (or an :class:`icaxes.universal.pairs.Pairs`, whose weights are then used)
PairsLike = Mapping[tuple[str, str], Any]


@dataclass(frozen=True)
class PageLimits:
    """Bounds on what one page carries.

    Parameters
    ----------
    max_tokens : int
        Most frequent tokens whose full components are embedded (top-list tokens come on top).
    matrix_bytes : int
        Byte budget for the embedded component matrices of one model (all methods together);
        float16 is used when it fits, otherwise int8 with a per-row scale and fewer rows.
    top_k : int
        Tokens listed per axis, chosen from the model's display rows.
    hist_bins : int
        Bins of each axis's histogram.
    tail_points : int
        Upper-tail quantiles kept per axis for rank estimates.
    """

    max_tokens: int = 30000
    matrix_bytes: int = 12_000_000
    top_k: int = 50
    hist_bins: int = 40
    tail_points: int = 64

    def check(self) -> None:
        if self.max_tokens < 1 or self.top_k < 1 or self.hist_bins < 2 or self.tail_points < 2:
            raise InputError("explorer limits must be positive (max_tokens, top_k >= 1; bins >= 2)")
        if self.matrix_bytes < 1000:
            raise InputError(f"matrix_bytes={self.matrix_bytes} is too small; use at least 1000")


def normalize_models(models: ModelsLike) -> list[tuple[str, dict[str, AxisModel]]]:
    """Validate the models argument and return ``[(name, {method: AxisModel})]``."""
    items = list(models.items()) if isinstance(models, Mapping) else list(models)
    if not items:
        raise InputError("no models given: pass at least one (name, AxisModel)")
    out: list[tuple[str, dict[str, AxisModel]]] = []
    seen: set[str] = set()
    for item in items:
        if not (isinstance(item, tuple) and len(item) == 2):
            raise InputError("models must be (name, AxisModel) pairs or a {name: AxisModel} mapping")
        name, entry = str(item[0]), item[1]
        if name in seen:
            raise InputError(f"model name {name!r} is given twice; names must be unique")
        seen.add(name)
        variants = ({entry.method: entry} if isinstance(entry, AxisModel)
                    else dict(entry) if isinstance(entry, Mapping) else {})
        if not variants or not all(isinstance(m, AxisModel) for m in variants.values()):
            raise InputError(f"model {name!r}: expected an AxisModel or a {{method: AxisModel}} mapping")
        first = next(iter(variants.values()))
        for method, m in variants.items():
            if len(m.tokens) != len(first.tokens) or m.tokens[:100] != first.tokens[:100]:
                raise InputError(f"model {name!r}: the {method} axes cover other tokens than the "
                                 f"{first.method} axes; give models fitted on the same embeddings")
        out.append((name, variants))
    return out


def _b64(a: np.ndarray) -> str:
    return base64.b64encode(np.ascontiguousarray(a).tobytes()).decode("ascii")


def _round(values: np.ndarray, digits: int = 4) -> list[float]:
    return [float(v) for v in np.round(np.asarray(values, dtype=np.float64), digits)]


def _frequency_order(m: AxisModel) -> np.ndarray:
    if m.frequencies is None:
        return np.arange(len(m.tokens))
    return np.argsort(-np.asarray(m.frequencies, dtype=np.float64), kind="stable")


def _rank_of(m: AxisModel) -> np.ndarray:
    order = _frequency_order(m)
    rank = np.empty(order.size, dtype=np.int64)
    rank[order] = np.arange(order.size)
    return rank


def _choose_rows(variants: dict[str, AxisModel], tops: dict[str, list[np.ndarray]],
                 limits: PageLimits) -> tuple[np.ndarray, str]:
    """Rows to embed (in frequency order) and their storage type."""
    first = next(iter(variants.values()))
    n, d = len(first.tokens), first.n_axes
    per_row = d * len(variants)
    must = np.unique(np.concatenate([np.concatenate(t) for t in tops.values()]))
    want = min(n, limits.max_tokens + must.size)
    if want * per_row * 2 <= limits.matrix_bytes:
        dtype, cap = "float16", want
    else:
        dtype, cap = "int8", max(must.size, min(want, limits.matrix_bytes // per_row))
    order = _frequency_order(first)
    chosen = np.zeros(n, dtype=bool)
    chosen[must] = True
    free = cap - int(chosen.sum())
    if free > 0:
        extra = order[~chosen[order]][:free]
        chosen[extra] = True
    rank = _rank_of(first)
    rows = np.flatnonzero(chosen)
    return rows[np.argsort(rank[rows], kind="stable")], dtype


def _encode(normalized: np.ndarray, dtype: str) -> dict[str, Any]:
    if dtype == "float16":
        return {"dtype": "float16", "data": _b64(normalized.astype("<f2"))}
    scale = np.abs(normalized).max(axis=1) / 127.0
    scale[scale == 0] = 1.0
    q = np.clip(np.rint(normalized / scale[:, None]), -127, 127).astype(np.int8)
    return {"dtype": "int8", "data": _b64(q), "scale": _b64(scale.astype("<f4"))}


def _axis_summaries(m: AxisModel, limits: PageLimits) -> tuple[list[dict[str, Any]], list[list[float]]]:
    norm = m.normalized
    n = norm.shape[0]
    # upper-tail fractions from the top-k region to the whole vocabulary, log-spaced
    fracs = np.unique(np.geomspace(min(1.0, limits.top_k / max(n, 1)), 1.0, limits.tail_points))
    hists, tails = [], []
    for k in range(m.n_axes):
        col = np.asarray(norm[:, k], dtype=np.float64)
        lo, hi = float(col.min()), float(col.max())
        if hi <= lo:
            hi = lo + 1.0
        counts, _ = np.histogram(col, bins=limits.hist_bins, range=(lo, hi))
        hists.append({"lo": round(lo, 4), "hi": round(hi, 4), "counts": [int(c) for c in counts]})
        tails.append(_round(np.quantile(col, 1.0 - fracs), 5))
    return hists, [_round(fracs, 8), *tails]


#: the scatter opens on two of the first this many readable axes (the most skewed ones)
SCATTER_CANDIDATES = 12
#: an axis is readable for the scatter when this many of its top 10 tokens are content words
SCATTER_MIN_CONTENT = 8


def _content_of(m: AxisModel) -> Any:
    """The ``content`` filter of the model's language (one token at a time, no frequencies)."""
    from icaxes.io.filters import content_filter

    lang = m.metadata.get("lang") if isinstance(m.metadata, dict) else None
    return content_filter(str(lang) if lang else None)


def readable_axes(m: AxisModel, k: int = 10, min_content: int = SCATTER_MIN_CONTENT) -> np.ndarray:
    """Whether each axis of ``m`` reads as words: at least ``min_content`` of its top ``k``
    tokens (from its display rows) pass the ``content`` filter of the model's language
    (:func:`icaxes.io.filters.content_filter`: letters only, not a stop word, ...).

    Returns
    -------
    ndarray of bool, shape (n_axes,)
    """
    content = _content_of(m)
    return np.array([sum(bool(content(t)) for t in m.top_tokens(a, k)) >= min_content
                     for a in range(m.n_axes)], dtype=bool)


def initial_scatter_axes(normalized_rows: np.ndarray, tokens: Sequence[str] | None = None,
                         n_candidates: int = SCATTER_CANDIDATES, readable: np.ndarray | None = None,
                         is_word: Any = None) -> dict[str, Any]:
    """The two axes the explorer's scatter opens on, and why.

    Among the first ``n_candidates`` readable axes, the pair with the most tokens lying between
    the two spikes: rows whose normalised components on both axes exceed ``2 / sqrt(d)`` (each
    is about 2.3% likely under the isotropic N(0, 1/d) null, both together 0.05%). Such words
    mix the two meanings (ferrari between [cars] and [italian]).

    Parameters
    ----------
    normalized_rows : ndarray of shape (n, d)
        Normalised components of the rows the page holds (the most frequent tokens).
    tokens : sequence of str, optional
        Their tokens; when given, only words count (numbers, dates and punctuation pile up
        between number-like axes without meaning anything).
    n_candidates : int
        How many readable axes, in axis order, are candidates.
    readable : array of bool, optional
        One per axis (:func:`readable_axes`): axes whose top tokens are not words are skipped
        (all axes are candidates when fewer than two are readable).
    is_word : callable, optional
        ``token -> bool`` deciding which tokens count (default: letters only).

    Returns
    -------
    dict
        ``{"x": int, "y": int, "between": int, "threshold": float, "candidates": [int, ...]}``;
        ``between`` is the number of rows counted (the first two candidates when no pair has
        any).
    """
    X = np.asarray(normalized_rows, dtype=np.float32)
    d = X.shape[1]
    if d < 2:
        return {"x": 0, "y": 0, "between": 0, "threshold": 0.0, "candidates": list(range(d))}
    axes = np.arange(d) if readable is None else np.flatnonzero(np.asarray(readable, dtype=bool))
    if axes.size < 2:
        axes = np.arange(d)
    axes = axes[:max(2, n_candidates)]
    thr = 2.0 / np.sqrt(d)
    high = (X[:, axes] > thr).astype(np.float32)
    if tokens is not None:
        word = is_word or str.isalpha
        high *= np.array([bool(word(t)) for t in tokens], dtype=np.float32)[:, None]
    counts = high.T @ high  # counts[i, j]: rows high on both candidate axes i and j
    np.fill_diagonal(counts, -1)
    i, j = np.unravel_index(int(np.argmax(counts)), counts.shape)
    best = int(counts[i, j])
    if best <= 0:
        i, j, best = 0, 1, 0
    x, y = sorted((int(axes[i]), int(axes[j])))
    return {"x": x, "y": y, "between": best, "threshold": round(float(thr), 4),
            "candidates": [int(a) for a in axes]}


def _variant_data(m: AxisModel, rows: np.ndarray, tops: list[np.ndarray], dtype: str,
                  limits: PageLimits, stability: Sequence[float] | None) -> dict[str, Any]:
    local = {int(r): i for i, r in enumerate(rows)}
    norm = m.normalized
    hists, tail = _axis_summaries(m, limits)
    est = m.transform
    if stability is not None and len(stability) != m.n_axes:
        raise InputError(f"stability has {len(stability)} values but the {m.method} model has "
                         f"{m.n_axes} axes; give one value per axis")
    return {
        "method": m.method,
        "n_axes": m.n_axes,
        "labels": list(m.labels or []),
        "skewness": _round(m.skewness, 3),
        "kurtosis": _round(getattr(est, "kurtosis_", np.full(m.n_axes, np.nan)), 3),
        "stability": None if stability is None else _round(stability, 3),
        "n_iter": int(getattr(est, "n_iter_", 0)),
        "converged": bool(getattr(est, "converged_", True)),
        "top": [[local[int(i)] for i in t] for t in tops],
        "top_values": [_round(norm[t, k], 4) for k, t in enumerate(tops)],
        "hist": hists,
        "tail_fracs": tail[0],
        "tail_values": tail[1:],
        "matrix": _encode(np.asarray(norm[rows], dtype=np.float32), dtype),
        # the axes the scatter opens on: two readable ones with the most content words between
        # them (rows in frequency order: the most frequent count)
        "scatter": initial_scatter_axes(np.asarray(norm[rows[:limits.max_tokens]], dtype=np.float32),
                                        [m.tokens[int(i)] for i in rows[:limits.max_tokens]],
                                        readable=readable_axes(m), is_word=_content_of(m)),
    }


def _stability_of(m: AxisModel, given: Any) -> Sequence[float] | None:
    if given is not None:
        return given
    found = m.metadata.get("stability") if isinstance(m.metadata, dict) else None
    return found if isinstance(found, (list, tuple)) else None


def _model_data(name: str, variants: dict[str, AxisModel], limits: PageLimits,
                stability: Mapping[str, Any] | None) -> tuple[dict[str, Any], np.ndarray]:
    tops = {meth: [m.top_indices(k, limits.top_k) for k in range(m.n_axes)]
            for meth, m in variants.items()}
    rows, dtype = _choose_rows(variants, tops, limits)
    first = next(iter(variants.values()))
    stab = stability or {}
    meta = first.metadata if isinstance(first.metadata, dict) else {}
    data = {
        "name": name,
        "source": str(meta.get("source", name)),
        "n_tokens": len(first.tokens),
        # the tokens the axes are read from (top lists and labels), as saved with the model
        "display": {**first.display.to_dict(), "describe": first.display.describe(),
                    "n_rows": int(len(first.tokens) if first.display_mask is None
                                  else np.count_nonzero(first.display_mask))},
        "n_rows": int(rows.size),
        "dim": int(getattr(first.transform, "n_features_in_", first.n_axes)),
        "tokens": [first.tokens[int(i)] for i in rows],
        # frequency rank of each embedded row in the whole vocabulary (0 = most frequent)
        "freq_rank": [int(r) for r in _rank_of(first)[rows]],
        "methods": {meth: _variant_data(m, rows, tops[meth], dtype, limits,
                                        _stability_of(m, stab.get(meth)))
                    for meth, m in variants.items()},
    }
    return data, rows


def _page_pairs(a: AxisModel, b: AxisModel, given: Any | None, swap: bool) -> tuple[Any, str]:
    """The pairs the page matches ``a`` and ``b`` over, and how the page names them.

    ``given`` is a :class:`~icaxes.universal.pairs.Pairs` or ``(token_a, token_b)`` tuples
    (``swap``: given from ``b`` to ``a``); None matches over the tokens both models have. Pairs
    naming a token either model lacks are dropped; the others keep their weights.
    """
    from icaxes.universal.pairs import Pairs, same_token_pairs

    if given is None:
        return same_token_pairs(a, b), "shared tokens"
    name = "translation pairs"
    if isinstance(given, Pairs):
        if given.metadata.get("name"):
            name = f"pairs ({given.metadata['name']})"
    else:
        items = [(str(x), str(y)) for x, y in given]
        given = Pairs([x for x, _ in items], [y for _, y in items], np.ones(len(items)))
    if swap:
        given = given.swapped()
    return given.restrict(a, b, reweight=False), name


#: how the page names each matching method
MATCHING_NAMES = {"optimal": "Hungarian (optimal one-to-one assignment)",
                  "greedy": "greedy (strongest correlation first, as in the paper)"}


def _matches(models: list[tuple[str, dict[str, AxisModel]]], pairs: PairsLike | None,
             matching: str = "optimal") -> list[dict[str, Any]]:
    """Match the axes of the first model with those of every other model, per method."""
    if matching not in MATCHERS:
        raise InputError(f"unknown matching {matching!r}; use one of {', '.join(MATCHERS)}")
    from icaxes.universal.pipeline import match_models

    out = []
    ref_name, ref = models[0]
    for name, variants in models[1:]:
        given, swap = None, False
        if pairs and (ref_name, name) in pairs:
            given = pairs[(ref_name, name)]
        elif pairs and (name, ref_name) in pairs:
            given, swap = pairs[(name, ref_name)], True
        for meth in ref:
            if meth not in variants:
                continue
            a, b = ref[meth], variants[meth]
            over, how = _page_pairs(a, b, given, swap)
            if len(over) < 3:
                continue
            m = match_models(a, b, over, matching=matching)
            out.append({"a": ref_name, "b": name, "method": meth, "pairs": m.n_pairs, "by": how,
                        "matching": matching, "matching_name": MATCHING_NAMES[matching],
                        "rows": [int(i) for i in m.rows], "cols": [int(j) for j in m.cols],
                        "r": _round(m.r, 4)})
    return out


def pairs_for_models(spec: str | None, models: ModelsLike,
                     log: Callable[[str], None] | None = None) -> dict[tuple[str, str], Any] | None:
    """``{(first model, other model): Pairs}`` for a pair spec (``icaxes explore --pairs``).

    ``spec`` is read by :func:`~icaxes.universal.pairs.parse_pairs` (``same``,
    ``freedict:SRC-TGT``, a MUSE file); the pairs are restricted to the two models' tokens and
    ``log`` receives one summary line per pair of models. None (no spec): the page matches
    axes over the tokens the models share.
    """
    if spec is None:
        return None
    norm = normalize_models(models)
    if len(norm) < 2:
        raise InputError("--pairs matches the axes of several models: give two or more model folders")
    from icaxes.universal.pairs import pairs_from_spec

    ref_name, ref = norm[0]
    a = next(iter(ref.values()))
    out = {}
    for name, variants in norm[1:]:
        b = next(iter(variants.values()))
        pairs = pairs_from_spec(spec, a, b).restrict(a, b)
        if log is not None:
            log(f"{ref_name} - {name}: {pairs.summary()}")
        out[(ref_name, name)] = pairs
    return out


def explorer_data(models: ModelsLike, *, limits: PageLimits | None = None,
                  pairs: PairsLike | None = None,
                  stability: Mapping[str, Mapping[str, Sequence[float]]] | None = None,
                  matching: str = "optimal") -> dict[str, Any]:
    """Everything the explorer page shows, as a JSON-ready dict.

    Parameters
    ----------
    models : list of (name, model) or dict name -> model
        Each model is an :class:`~icaxes.model.AxisModel` or a mapping ``{"ica": m, "pca": m}``
        of models fitted on the same tokens (the page switches between them).
    limits : PageLimits, optional
        Size bounds (see the module docstring).
    pairs : dict, optional
        ``{(name_a, name_b): [(token_a, token_b), ...]}`` (or a
        :class:`~icaxes.universal.pairs.Pairs`, weighted) to match axes over translation pairs;
        by default axes are matched over the tokens the two models share.
    stability : dict, optional
        ``{name: {method: per-axis stability}}``; otherwise taken from
        ``model.metadata["stability"]`` when present.
    matching : {'optimal', 'greedy'}, default 'optimal'
        How matched axes are paired: the Hungarian assignment that maximises the summed
        correlation, or the paper's greedy matching (strongest correlation first).
    """
    limits = limits or PageLimits()
    limits.check()
    norm = normalize_models(models)
    from icaxes import __version__

    data_models = []
    for name, variants in norm:
        d, _ = _model_data(name, variants, limits, (stability or {}).get(name))
        data_models.append(d)
    return {
        "format": "icaxes-explorer",
        "version": 1,
        "icaxes": __version__,
        "limits": {"max_tokens": limits.max_tokens, "top_k": limits.top_k,
                   "matrix_bytes": limits.matrix_bytes},
        "models": data_models,
        "matches": _matches(norm, pairs, matching) if len(norm) > 1 else [],
    }
