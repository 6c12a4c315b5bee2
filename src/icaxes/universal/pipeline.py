"""Run a universality study from a TOML config: fit ICA and PCA on every embedding, match axes.

A config names embeddings and comparisons::

    [settings]
    n_components = 100      # whitened dimensions kept before ICA (None: all)
    tol = 1e-6
    max_iter = 2000
    seed = 0
    n_permutations = 50     # shuffles for the permutation null
    alpha = 0.05
    matching = "greedy"     # greedy (the paper) or optimal (Hungarian); formerly "method"
    weighting = "weighted"  # pair weights 1/fan-out (ours) or "unweighted" (the paper); both reported

    [embeddings]
    en_e5 = "e5:en:5000"                            # ENCODER:LANG:N
    glove = { spec = "glove-6b-50d", limit = 20000, lang = "en" }

    [[comparisons]]
    name = "e5-languages"
    reference = "en_e5"
    targets = ["fr_e5", "ja_e5"]
    pairs = "freedict"      # or "same" (identical tokens), "class-words" or a MUSE file path

Fitted models are cached (keyed by the embedding spec, its encoder version and the fit
settings), so a second run re-reads them and the encodings instead of recomputing.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

import icaxes.fitting as _fitting
from icaxes.errors import InputError, UnknownSourceError
from icaxes.io.embeddings import Embeddings
from icaxes.model import AxisModel
from icaxes.universal.matching import (
    MATCHERS,
    AxisMatch,
    MultiMatch,
    match_components,
    match_many,
    matching_argument,
    permutation_null,
)
from icaxes.universal.pairs import Pairs, pairs_from_spec

#: ``fit_hit`` / ``fit_miss``: fitted models read from the cache / computed (counted by
#: :mod:`icaxes.fitting`, the one fit path)
FIT_STATS = _fitting.FIT_STATS

DEFAULTS: dict[str, Any] = {
    "n_components": 100, "tol": 1e-6, "max_iter": 2000, "seed": 0, "n_permutations": 50,
    "alpha": 0.05, "matching": "greedy", "top_words": 5, "min_pairs": 30, "heatmap_axes": 40,
    "merged_axes": 12, "weighting": "weighted",
}

#: Pair weightings of the axis correlations: ``weighted`` (ours: the pairs' own weights,
#: 1/fan-out for dictionaries, 1/occurrences for grouped pairs) and ``unweighted`` (the paper's
#: dictionary correlations). ``settings.weighting`` picks the one that gets the null and the
#: figures; the summary table reports the other beside it.
WEIGHTINGS = ("weighted", "unweighted")


@dataclass
class EmbeddingSpec:
    """One embedding of a config."""

    key: str
    spec: str
    lang: str
    limit: int | None = None
    label: str = ""


@dataclass
class Comparison:
    """A reference embedding matched against targets over one kind of pairs."""

    name: str
    reference: str
    targets: list[str]
    pairs: str


@dataclass
class Config:
    """A parsed universality config."""

    settings: dict[str, Any]
    embeddings: dict[str, EmbeddingSpec]
    comparisons: list[Comparison]
    path: Path | None = None


def _lang_of(spec: str) -> str | None:
    """The language of a source (:attr:`~icaxes.io.sources.SourceSpec.lang`); None when the
    source says none or does not exist yet (it is reported when it is loaded)."""
    from icaxes.io.sources import parse_source

    try:
        return parse_source(spec).lang
    except UnknownSourceError:
        return None


def parse_config(data: dict[str, Any], path: Path | None = None) -> Config:
    """Check a config dictionary (as read from TOML) and return a :class:`Config`."""
    where = f" in {path}" if path else ""
    unknown = set(data) - {"settings", "embeddings", "comparisons", "title"}
    if unknown:
        raise InputError(f"unknown config sections{where}: {', '.join(sorted(unknown))}; "
                         "use [settings], [embeddings] and [[comparisons]]")
    given = dict(data.get("settings", {}))
    if "method" in given:  # the former name of settings.matching
        former = given.pop("method")
        if given.setdefault("matching", former) != former:
            raise InputError(f"settings.matching ({given['matching']!r}) and settings.method ({former!r}), "
                             f"its former name, disagree{where}; keep matching only")
    settings = {**DEFAULTS, **given}
    bad = set(settings) - set(DEFAULTS)
    if bad:
        raise InputError(f"unknown settings{where}: {', '.join(sorted(bad))}; known: {', '.join(DEFAULTS)}")
    if settings["matching"] not in ("greedy", "optimal"):
        raise InputError(f"settings.matching must be 'greedy' or 'optimal', got {settings['matching']!r}")
    if settings["weighting"] not in WEIGHTINGS:
        raise InputError(f"settings.weighting must be {' or '.join(map(repr, WEIGHTINGS))}, "
                         f"got {settings['weighting']!r}")
    embs: dict[str, EmbeddingSpec] = {}
    for key, val in (data.get("embeddings") or {}).items():
        if isinstance(val, str):
            val = {"spec": val}
        if not isinstance(val, dict) or "spec" not in val:
            raise InputError(f"embedding {key!r}{where} needs a spec string or a table with 'spec'")
        lang = val.get("lang") or _lang_of(val["spec"])
        if lang is None:
            raise InputError(f"embedding {key!r}{where}: say its language with lang = \"..\"")
        embs[key] = EmbeddingSpec(key, val["spec"], lang, val.get("limit"), val.get("label", key))
    if not embs:
        raise InputError(f"the config{where} names no embeddings; add an [embeddings] table")
    comps: list[Comparison] = []
    for i, c in enumerate(data.get("comparisons") or []):
        name = c.get("name", f"comparison-{i + 1}")
        for k in [c.get("reference"), *c.get("targets", [])]:
            if k not in embs:
                raise InputError(f"comparison {name!r}{where} names embedding {k!r}, which [embeddings] "
                                 f"does not define (defined: {', '.join(embs)})")
        if not c.get("targets"):
            raise InputError(f"comparison {name!r}{where} has no targets")
        comps.append(Comparison(name, c["reference"], list(c["targets"]), c.get("pairs", "freedict")))
    if not comps:
        raise InputError(f"the config{where} has no [[comparisons]]")
    return Config(settings, embs, comps, path)


def load_config(path: str | Path) -> Config:
    """Read and check a TOML config file."""
    path = Path(path)
    if not path.exists():
        raise UnknownSourceError(f"config file {path} does not exist")
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise InputError(f"{path} is not valid TOML: {exc}") from exc
    return parse_config(data, path)


# ----------------------------------------------------------------------------- models

@dataclass
class Fitted:
    """An embedding and its ICA and PCA models."""

    spec: EmbeddingSpec
    emb: Embeddings
    ica: AxisModel
    pca: AxisModel
    converged: bool = True
    notes: list[str] = field(default_factory=list)
    images: Any = None  # an icaxes.io.images.ImageSet for image embeddings


def _load(es: EmbeddingSpec, progress: bool):
    """Embeddings of a spec, plus the image set (images and labels) of image sources."""
    from icaxes.io.sources import load_embeddings, parse_source

    spec = parse_source(es.spec)
    emb = load_embeddings(spec, limit=es.limit, progress=progress)
    if spec.kind == "images":
        from icaxes.io.images import image_set

        return emb, image_set(emb)
    return emb, None


def fit_embedding(es: EmbeddingSpec, settings: dict[str, Any], *, progress: bool = False,
                  use_cache: bool = True) -> Fitted:
    """Load (or encode) one embedding and fit ICA and PCA on it, using the fit cache.

    The fit is :func:`icaxes.fitting.fit_models` (its cache key and invalidation rule):
    constant columns are dropped first, ``n_components`` is capped at the columns left, and
    ICA's convergence warnings are recorded in :attr:`Fitted.notes` instead of emitted.
    """
    from icaxes.fitting import FitSettings, fit_models

    emb, images = _load(es, progress)
    k = settings["n_components"]
    recipe = FitSettings(n_components=None if k in (None, 0, "all") else int(k), seed=settings["seed"],
                         tol=settings["tol"], max_iter=settings["max_iter"], drop_constant=True,
                         at_most_columns=True)
    fit = fit_models(emb, recipe, cache=use_cache, source=es.spec, limit=es.limit, progress=progress,
                     record_convergence=True)
    return Fitted(es, fit.emb, fit.ica, fit.pca, fit.converged, fit.notes, images)


def make_pairs(kind: str, a: Fitted, b: Fitted) -> Pairs:
    """Pairs for a comparison: ``freedict``, ``same``, ``class-words`` (images) or a MUSE file path
    (see :func:`~icaxes.universal.pairs.parse_pairs`), restricted to both vocabularies."""
    raw = pairs_from_spec(kind, a.emb, b.emb, langs=(a.spec.lang, b.spec.lang),
                          target_labels=None if b.images is None else b.images.labels)
    return raw.restrict(a.emb, b.emb)


@dataclass
class PairResult:
    """ICA and PCA matches of one reference/target pair."""

    target: str
    pairs: Pairs
    ica: AxisMatch
    pca: AxisMatch
    #: the matches under the other weighting (no null): ``{"ica": AxisMatch, "pca": AxisMatch}``
    other: dict[str, AxisMatch] = field(default_factory=dict)
    weighting: str = "weighted"


def _check_weighting(weighting: str) -> None:
    if weighting not in WEIGHTINGS:
        raise InputError(f"unknown weighting {weighting!r}; choose {' or '.join(WEIGHTINGS)}")


def match_models(a: AxisModel, b: AxisModel, pairs: Pairs, *, matching: str | None = None,
                 n_permutations: int = 0, alpha: float = 0.05, seed: int | None = 0,
                 progress: bool = False, weighting: str = "weighted",
                 method: str | None = None) -> AxisMatch:
    """Match the axes of two fitted models over pairs (restricted to tokens both have).

    Parameters
    ----------
    a, b : AxisModel
    pairs : Pairs
        Tokens of ``a`` (source) and ``b`` (target); pairs naming absent tokens raise
        :class:`~icaxes.errors.UnknownTokenError` (call ``pairs.restrict(a, b)`` first).
    matching : {'greedy', 'optimal'}, default 'greedy'
        The paper's greedy matching or the Hungarian assignment (``method``: its deprecated
        former name).
    n_permutations : int
        Shuffles for the permutation null (0: no null).
    alpha : float
    seed : int or None
    weighting : {'weighted', 'unweighted'}
        ``weighted`` correlates over the pairs' weights (1/fan-out for dictionaries);
        ``unweighted`` gives every pair the same weight, as the paper's code does.

    Returns
    -------
    AxisMatch
    """
    matching = matching_argument(matching, method, "match_models")
    _check_weighting(weighting)
    ra, rb = pairs.rows(a, b)
    A = np.asarray(a.components)[ra]
    B = np.asarray(b.components)[rb]
    w = pairs.weights if weighting == "weighted" else None
    m = match_components(A, B, w, matching=matching)
    if n_permutations:
        m.null = permutation_null(A, B, w, matching=matching, n_permutations=n_permutations,
                                  alpha=alpha, seed=seed, progress=progress)
    return m


@dataclass
class ComparisonResult:
    """All targets of one comparison, with the reference axes ordered by summed matched r."""

    comparison: Comparison
    reference: Fitted
    targets: dict[str, Fitted]
    results: dict[str, PairResult]
    multi_ica: MultiMatch
    multi_pca: MultiMatch
    skipped: dict[str, str] = field(default_factory=dict)


def run_comparison(comp: Comparison, fitted: dict[str, Fitted], settings: dict[str, Any], *,
                   progress: bool = False) -> ComparisonResult:
    """Match the reference against every target, ICA and PCA, with the permutation null."""
    ref = fitted[comp.reference]
    results: dict[str, PairResult] = {}
    skipped: dict[str, str] = {}
    for t in comp.targets:
        tgt = fitted[t]
        pairs = make_pairs(comp.pairs, ref, tgt)
        if len(pairs) < settings["min_pairs"]:
            skipped[t] = f"only {len(pairs)} pairs ({pairs.summary()})"
            continue
        out, other = {}, {}
        weighting = settings["weighting"]
        alt = next(w for w in WEIGHTINGS if w != weighting)
        for method in ("ica", "pca"):
            a, b = getattr(ref, method), getattr(tgt, method)
            out[method] = match_models(a, b, pairs, matching=settings["matching"],
                                       n_permutations=settings["n_permutations"], alpha=settings["alpha"],
                                       seed=settings["seed"], progress=progress, weighting=weighting)
            other[method] = match_models(a, b, pairs, matching=settings["matching"], weighting=alt)
        results[t] = PairResult(t, pairs, out["ica"], out["pca"], other, weighting)
    if not results:
        raise InputError(f"comparison {comp.name!r}: no target has enough pairs ({skipped})")
    multi_ica = match_many({t: r.ica for t, r in results.items()}, ref.ica.n_axes)
    multi_pca = match_many({t: r.pca for t, r in results.items()}, ref.pca.n_axes)
    return ComparisonResult(comp, ref, {t: fitted[t] for t in results}, results, multi_ica, multi_pca,
                            skipped)


def summary_rows(cr: ComparisonResult) -> list[dict[str, Any]]:
    """One row per target and method: the headline numbers of the docs table."""
    rows = []
    for t, pr in cr.results.items():
        for method in ("ica", "pca"):
            m: AxisMatch = getattr(pr, method)
            row = {
                "comparison": cr.comparison.name, "reference": cr.comparison.reference, "target": t,
                "method": method, "matching": m.matching, "weighting": pr.weighting, "n_pairs": m.n_pairs,
                "source_tokens": len(set(pr.pairs.source)), "target_tokens": len(set(pr.pairs.target)),
                "n_axes": len(m.r), "top1": float(m.r[0]), "mean_top10": m.mean_top(10),
                "mean_top50": m.mean_top(50),
                "null_threshold": m.null.threshold if m.null else float("nan"),
                "above_chance": int(m.above_chance.sum()),
            }
            o = pr.other.get(method)
            if o is not None:
                alt = next(w for w in WEIGHTINGS if w != pr.weighting)
                row.update({f"top1_{alt}": float(o.r[0]), f"mean_top10_{alt}": o.mean_top(10),
                            f"mean_top50_{alt}": o.mean_top(50)})
            rows.append(row)
    return rows


def matched_axis_rows(m: AxisMatch, a: AxisModel, b: AxisModel, top: int = 5) -> list[dict[str, Any]]:
    """Every matched axis pair of ``m``, strongest first: rank, the two axes, r, the null's
    threshold at that rank, above chance, and ``top`` tokens of each axis (display rows)."""
    return [{"rank": rank, "axis_a": int(i), "axis_b": int(j), "r": float(m.corr[i, j]),
             "null_rank_threshold": float(m.null.per_rank[rank]) if m.null else float("nan"),
             "above_chance": bool(m.above_chance[rank]),
             "top_a": " ".join(a.top_tokens(int(i), top)), "top_b": " ".join(b.top_tokens(int(j), top))}
            for rank, (i, j) in enumerate(zip(m.rows, m.cols, strict=True))]


#: column names of :func:`match_rows` for the keys of :func:`matched_axis_rows`
_STUDY_COLUMNS = {"axis_a": "reference_axis", "axis_b": "target_axis", "top_a": "reference_top",
                  "top_b": "target_top"}


def match_rows(cr: ComparisonResult) -> list[dict[str, Any]]:
    """Every matched axis pair with its correlation, null threshold and top words."""
    out = []
    for t, pr in cr.results.items():
        for method in ("ica", "pca"):
            m: AxisMatch = getattr(pr, method)
            ma: AxisModel = getattr(cr.reference, method)
            mb: AxisModel = getattr(cr.targets[t], method)
            for row in matched_axis_rows(m, ma, mb):
                out.append({"comparison": cr.comparison.name, "target": t, "method": method,
                            **{_STUDY_COLUMNS.get(k, k): v for k, v in row.items()}})
    return out


#: the keys of a :func:`summary_by_axis` row that are not targets
BY_AXIS_KEYS = ("comparison", "method", "rank", "reference_axis", "average")


def summary_by_axis(cr: ComparisonResult) -> list[dict[str, Any]]:
    """The paper's summary of one comparison: for ICA and PCA, every reference axis in the order
    of its matched r summed over all targets, with each target's matched r and their average.

    The rows of the paper's summary figure (:func:`icaxes.universal.figures.summary_curves`);
    an unmatched axis counts 0 for that target. Each row has the keys of :data:`BY_AXIS_KEYS`
    and one per target.
    """
    out = []
    for method in ("ica", "pca"):
        mm: MultiMatch = cr.multi_ica if method == "ica" else cr.multi_pca
        for rank, axis in enumerate(mm.order):
            row: dict[str, Any] = {"comparison": cr.comparison.name, "method": method, "rank": rank,
                                   "reference_axis": int(axis)}
            row.update({t: float(mm.r[t][rank]) for t in cr.results})
            row["average"] = float(np.mean([mm.r[t][rank] for t in cr.results]))
            out.append(row)
    return out


@dataclass
class FolderMatch:
    """The ICA and PCA axes of two model folders matched over the same kind of pairs.

    Attributes
    ----------
    pairs : dict of str to Pairs
        The pairs each method was matched over (``"ica"``, ``"pca"``), restricted to both models.
    matches : dict of str to AxisMatch
    rows : list of dict
        Every matched pair of both methods (:func:`matched_axis_rows` with a ``method`` key),
        ICA first: what ``icaxes match -o`` writes.
    """

    pairs: dict[str, Pairs]
    matches: dict[str, AxisMatch]
    rows: list[dict[str, Any]]

    def summary(self, method: str) -> str:
        """One line: pairs, mean matched r of the top 10 and 50, axes above chance."""
        m, p = self.matches[method], self.pairs[method]
        thr = m.null.threshold if m.null else float("nan")
        return (f"{method.upper()}: {len(p):,} pairs; mean matched r top-10 {m.mean_top(10):.3f}, "
                f"top-50 {m.mean_top(50):.3f}; above chance {int(m.above_chance.sum())} of {len(m.r)} "
                f"(null threshold {thr:.3f})")


def match_folders(model_a: str | Path, model_b: str | Path, pairs: str | Path = "same", *,
                  matching: str = "greedy", weighting: str = "weighted", n_permutations: int = 100,
                  seed: int | None = 0, progress: bool = False,
                  log: Any = None) -> FolderMatch:
    """Match the ICA axes of two model folders (and their PCA axes, for comparison) over pairs.

    What ``icaxes match`` does. ``pairs`` is a pair spec of
    :func:`~icaxes.universal.pairs.parse_pairs` (``same``, ``freedict:SRC-TGT``, a MUSE file),
    checked before the models are read; ``log`` receives the pairs' summary line.
    The other parameters are those of :func:`match_models`.
    """
    from icaxes.model import load_model
    from icaxes.universal.pairs import parse_pairs

    spec = parse_pairs(pairs)  # a bad spec, matching or weighting stops before the models are read
    if matching not in MATCHERS:
        raise InputError(f"unknown matching method {matching!r}; use one of {', '.join(MATCHERS)}")
    _check_weighting(weighting)
    used: dict[str, Pairs] = {}
    matches: dict[str, AxisMatch] = {}
    rows: list[dict[str, Any]] = []
    for method in ("ica", "pca"):
        a, b = load_model(Path(model_a), method), load_model(Path(model_b), method)
        p = pairs_from_spec(spec, a, b).restrict(a, b)
        if method == "ica" and log is not None:
            log(p.summary())
        m = match_models(a, b, p, matching=matching, n_permutations=n_permutations, seed=seed,
                         progress=progress, weighting=weighting)
        used[method], matches[method] = p, m
        rows += [{"method": method, **r} for r in matched_axis_rows(m, a, b)]
    return FolderMatch(used, matches, rows)
