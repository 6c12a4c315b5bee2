"""Run the evaluations on one embedding (and the alignment task on language pairs); write tables.

:func:`evaluate_source` writes one CSV per table, figures (PNG and SVG) and ``summary.md``
(every table in Markdown) into an output folder. ``icaxes evaluate`` is its command line.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from icaxes.errors import InputError, ParameterError
from icaxes.fitting import reduce_dimension  # noqa: F401 (part of this module's API)
from icaxes.io.vocabulary import Vocabulary
from icaxes.params import MAX_ITER, TOL
from icaxes.viz.fonts import figure_style, pyplot, save_figure

#: The tasks :func:`evaluate_source` knows, in the order they run.
TASKS = ("similarity", "analogy", "intrusion", "purity", "stability", "tour", "hoc", "alignment")
#: Numbers of top terms in the sparse similarity (None = all axes).
P_VALUES: tuple[int | None, ...] = (1, 2, 5, 10, 20, 50, None)
#: Language pairs of the alignment task: (name, source, source rows, target, target rows,
#: dictionary languages). ``use:LANG:N`` are words embedded by the multilingual Universal
#: Sentence Encoder (:mod:`icaxes.io.encoders`).
ALIGNMENT_PAIRS: tuple[tuple[str, str, int | None, str, int | None, tuple[str, str]], ...] = (
    ("en-fr static", "glove-6b-50d", 50000, "fasttext-fr", None, ("en", "fr")),
    ("en-ja static", "glove-6b-50d", 50000, "chive-ja", None, ("en", "ja")),
    ("en-fr USE", "use:en:5000", None, "use:fr:5000", None, ("en", "fr")),
    ("en-de USE", "use:en:5000", None, "use:de:5000", None, ("en", "de")),
)


@dataclass
class Spaces:
    """One embedding seen three ways, all rows in the same (frequency) order."""

    tokens: list[str]
    raw: np.ndarray
    ica: Any  # AxisModel
    pca: Any  # AxisModel
    index: Mapping[str, int] = field(init=False)

    def __post_init__(self) -> None:
        self.index = Vocabulary(self.tokens).index

    def raw_oriented(self) -> np.ndarray:
        """Raw dimensions with signs flipped to positive skewness (like ICA and PCA axes)."""
        X = np.asarray(self.raw, dtype=np.float64)
        Z = X - X.mean(axis=0)
        sign = np.sign((Z ** 3).mean(axis=0))
        return X * np.where(sign == 0, 1, sign)

    def components(self, method: str) -> np.ndarray:
        if method == "raw":
            return self.raw_oriented()
        return np.asarray(getattr(self, method).components, dtype=np.float64)

    def unit(self, method: str) -> np.ndarray:
        from icaxes.evaluate.similarity import unit_rows

        return unit_rows(self.raw if method == "raw" else self.components(method))


def fitted_models(source: str, limit: int | None, seed: int = 0, progress: bool = False,
                  max_dim: int | None = None, allow_pickle: bool = False):
    """ICA and PCA models of ``source`` (first ``limit`` rows), cached in the user cache folder.

    The fit is :func:`icaxes.fitting.fit_models` with the cache on (its key and its
    invalidation rule); it returns the embedding as fitted and both models.
    ``allow_pickle`` lets a gensim file be unpickled (see :func:`~icaxes.load_embeddings`).

    ``max_dim`` first projects wider embeddings on their leading principal components (ICA
    on hundreds of dimensions from a few thousand words is slow and poorly determined).
    """
    from icaxes.fitting import FitSettings, fit_models
    from icaxes.io.sources import load_embeddings

    emb = load_embeddings(source, limit=limit, progress=progress, allow_pickle=allow_pickle)
    fit = fit_models(emb, FitSettings(seed=seed, max_dim=max_dim), cache=True, source=source,
                     limit=limit, progress=progress)
    return fit.emb, fit.ica, fit.pca


# ------------------------------------------------------------------ tables
def similarity_table(sp: Spaces, p_values: Sequence[int | None] = P_VALUES) -> pd.DataFrame:
    """Spearman rho on WS353 and SimLex-999 with the top-p terms; one row per (method, p)."""
    from icaxes.evaluate.similarity import load_similarity_benchmark, similarity_spearman

    bench = {b: load_similarity_benchmark(b) for b in ("ws353", "simlex999")}
    rows = []
    for method in ("ica", "pca", "raw"):
        U = sp.unit(method)
        for p in p_values:
            row: dict[str, Any] = {"method": method, "p": "all" if p is None else p}
            for b, pairs in bench.items():
                s = similarity_spearman(U, sp.index, pairs, p)
                row[b] = round(s.rho, 4)
                row[f"{b}_pairs"] = s.n_pairs
            rows.append(row)
    return pd.DataFrame(rows)


def analogy_table(sp: Spaces, p_values: Sequence[int | None] = P_VALUES, *, vocab: int = 30000,
                  per_category: int = 50, full_vocab: int = 100000, seed: int = 0) -> pd.DataFrame:
    """Google analogy top-1 accuracy with the top-p similarity; one row per (method, p).

    Top-p scoring costs ``vocab x d`` per question, so it runs on a seeded sample of
    ``per_category`` questions per category within the first ``vocab`` words; the full
    cosine (``p = all``) is also reported on every question within ``full_vocab`` words.
    """
    from icaxes.evaluate.similarity import analogy_accuracy, load_analogies

    qs = load_analogies()
    rows = []
    for method in ("ica", "pca", "raw"):
        U = sp.unit(method)
        for p in p_values:
            r = analogy_accuracy(U, sp.index, qs, p, vocab=vocab, per_category=per_category, seed=seed)
            rows.append({"method": method, "p": "all" if p is None else p, "setting":
                         f"{per_category}/category, {min(vocab, len(sp.tokens)) // 1000}k vocab",
                         "macro": round(r.macro, 4), "micro": round(r.micro, 4), "questions": r.n_questions})
        r = analogy_accuracy(U, sp.index, qs, None, vocab=full_vocab)
        n_full = min(full_vocab, len(sp.tokens))
        rows.append({"method": method, "p": "all", "setting": f"all questions, {n_full // 1000}k vocab",
                     "macro": round(r.macro, 4), "micro": round(r.micro, 4), "questions": r.n_questions})
    return pd.DataFrame(rows)


def _judged_rows(sp: Spaces, max_rank: int) -> np.ndarray:
    """Rows that may be shown as top words: alphabetic tokens among the first ``max_rank``."""
    return np.array([i for i, t in enumerate(sp.tokens[:max_rank]) if t.isalpha()])


def intrusion_table(sp: Spaces, *, max_rank: int = 20000, seed: int = 0,
                    spaces: Sequence[str] = ("judged", "original")) -> tuple[pd.DataFrame, pd.DataFrame]:
    """DistRatio summary per representation and the per-axis ratios.

    ``spaces`` says where distances are measured (:data:`icaxes.evaluate.intrusion.SPACES`):
    ``judged`` (ours, columns ``median`` / ``mean`` and the per-axis column named after the
    representation) and ``original`` (the paper's: the raw embedding rows for every
    representation, columns suffixed `` (original space)``).
    """
    from icaxes.evaluate.intrusion import SPACES, intrusion_scores
    from icaxes.evaluate.similarity import unit_rows

    bad = set(spaces) - set(SPACES)
    if bad or not spaces:
        raise InputError(f"unknown DistRatio space(s) {', '.join(sorted(bad)) or '(none given)'}; "
                         f"choose from {', '.join(SPACES)}")
    rows = _judged_rows(sp, max_rank)
    reps = {"raw": sp.components("raw")[rows], "pca": sp.components("pca")[rows],
            "ica": sp.components("ica")[rows]}
    reps["pca normalised"] = unit_rows(reps["pca"])
    reps["ica normalised"] = unit_rows(reps["ica"])
    original = np.asarray(sp.raw, dtype=np.float64)[rows]
    summary, per_axis = [], {}
    for name, V in reps.items():
        row: dict[str, Any] = {"representation": name}
        for where in spaces:
            res = intrusion_scores(V, None if where == "judged" else original, seed=seed)
            tail = "" if where == "judged" else " (original space)"
            row[f"median{tail}"] = round(res.median, 4)
            row[f"mean{tail}"] = round(res.mean, 4)
            per_axis[f"{name}{tail}"] = np.round(res.ratios, 4)
            row["axes"] = len(res.ratios)
        summary.append(row)
    return pd.DataFrame(summary), pd.DataFrame(per_axis).rename_axis("axis").reset_index()


def purity_table(sp: Spaces, *, k: int = 10, max_rank: int = 20000, seed: int = 0
                 ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Mean WordNet category purity of the top-k words per representation, and per axis."""
    from icaxes.evaluate.purity import axis_purity

    rows = _judged_rows(sp, max_rank)
    toks = [sp.tokens[i] for i in rows]
    summary, per_axis = [], []
    for method in ("ica", "pca", "raw"):
        res = axis_purity(sp.unit(method)[rows], toks, k=k, seed=seed)
        summary.append({"method": method, "mean purity": round(res.mean, 4),
                        "axes >= 0.5": int(np.sum(res.scores >= 0.5)), "chance": round(res.chance, 4)})
        for a, (s, c) in enumerate(zip(res.scores, res.categories, strict=True)):
            per_axis.append({"method": method, "axis": a, "purity": round(float(s), 4), "category": c})
    return pd.DataFrame(summary), pd.DataFrame(per_axis)


def stability_table(sp: Spaces, *, seeds=(1, 2, 3), n_bootstrap: int = 3, seed: int = 0,
                    progress: bool = False):
    """Per-axis stability of the ICA model (see :mod:`icaxes.evaluate.stability`)."""
    from icaxes.evaluate.stability import axis_stability

    est = sp.ica.transform
    res = axis_stability(np.asarray(sp.raw), np.asarray(sp.ica.components), seeds=seeds,
                         n_bootstrap=n_bootstrap, seed=seed, max_iter=est.max_iter, tol=est.tol,
                         progress=progress)
    df = pd.DataFrame({"axis": range(len(res.stability)), "skewness": np.round(sp.ica.skewness, 3),
                       "stability": np.round(res.stability, 4), "worst refit": np.round(res.minimum, 4),
                       "unstable": [s < res.threshold for s in res.stability],
                       "label": sp.ica.labels})
    return res, df


def tour_tables(sp: Spaces, *, k: int = 100, max_rank: int = 20000, p_values=(2, 5, 10, 20),
                alpha: float = 1 / 3, pca_baselines: Sequence[str] = ("unwhitened", "whitened")
                ) -> tuple[pd.DataFrame, pd.DataFrame, dict]:
    """Axis Tour order, and its dimension reduction vs naive choices on WS353 / SimLex-999.

    ``pca_baselines`` (:data:`icaxes.evaluate.tour.PCA_BASELINES`) adds the first ``p``
    principal components unwhitened (ours) and/or whitened (the paper's baseline).
    """
    from icaxes.evaluate.similarity import load_similarity_benchmark, similarity_spearman, unit_rows
    from icaxes.evaluate.tour import (
        PCA_BASELINES,
        axis_tour,
        axis_vectors,
        block_reduce,
        pca_baseline,
        tour_length,
    )

    bad = set(pca_baselines) - set(PCA_BASELINES)
    if bad:
        raise InputError(f"unknown PCA baseline(s) {', '.join(sorted(bad))}; "
                         f"choose from {', '.join(PCA_BASELINES)}")
    U = sp.unit("ica")
    allowed = np.zeros(len(sp.tokens), dtype=bool)
    allowed[_judged_rows(sp, max_rank)] = True
    V = axis_vectors(U, k, allowed)
    order, steps = axis_tour(V)
    Vn = unit_rows(V)
    cost = np.clip(1 - Vn @ Vn.T, 0, None)
    d = len(order)
    info = {"tour length (cyclic)": tour_length(cost, order),
            "skewness order length (cyclic)": tour_length(cost, list(range(d))),
            "random order length (mean of 100, cyclic)": float(np.mean(
                [tour_length(cost, list(np.random.default_rng(s).permutation(d))) for s in range(100)]))}
    tour_df = pd.DataFrame({"position": range(d), "axis": order,
                            "cost to next": [*np.round(steps, 4).tolist(), None],
                            "label": [sp.ica.labels[a] for a in order]})
    bench = {b: load_similarity_benchmark(b) for b in ("ws353", "simlex999")}
    skew = np.asarray(sp.ica.skewness)
    X = np.asarray(sp.raw, dtype=np.float64)
    rows = []
    for p in p_values:
        if p > d:
            continue
        cands = {
            "axis tour blocks (skew^1/3)": block_reduce(U, order, skew, p, alpha),
            "skewness-order blocks (skew^1/3)": block_reduce(U, list(range(d)), skew, p, alpha),
            "tour blocks, equal weights": block_reduce(U, order, np.ones(d), p, 0.0),
            "first p ICA axes": U[:, :p],
        }
        if "unwhitened" in pca_baselines:
            cands["first p PCA components"] = pca_baseline(X, p)
        if "whitened" in pca_baselines:
            cands["first p whitened PCA components (paper)"] = pca_baseline(X, p, whiten=True)
        for name, Y in cands.items():
            Yu = unit_rows(Y)
            row = {"p": p, "reduction": name}
            for b, pairs in bench.items():
                row[b] = round(similarity_spearman(Yu, sp.index, pairs).rho, 4)
            rows.append(row)
    return tour_df, pd.DataFrame(rows), info


def hoc_tables(sp: Spaces, *, n_clusters: int = 10, max_rank: int = 20000,
               methods: Sequence[str] = ("average", "spectral"), seed: int = 0
               ) -> tuple[pd.DataFrame, pd.DataFrame, Any]:
    """HOC tree edges and clusters, over the frequent alphabetic words.

    ``methods`` (:data:`icaxes.evaluate.hoc.METHODS`) are the clusterings reported, one block
    of rows each (column ``clustering``): ``average`` linkage on ``1 / HOC`` (ours, also the
    returned result drawn by :func:`hoc_figure`) and ``spectral`` clustering on the spanning
    tree (the paper's). Rare tokens (respellings, numbers from tables) have extreme values on
    several axes at once and would otherwise dominate the fourth moments.
    """
    from icaxes.evaluate.hoc import hoc_clusters

    if not methods:
        raise InputError("hoc_tables needs at least one clustering method")
    rows = _judged_rows(sp, max_rank)
    S = np.asarray(sp.ica.components)[rows]
    results = {m: hoc_clusters(S, n_clusters=n_clusters, method=m, seed=seed) for m in methods}
    res = results[methods[0]]
    labels = sp.ica.labels
    edges = pd.DataFrame([{"axis a": i, "axis b": j, "hoc": round(w, 3), "label a": labels[i],
                           "label b": labels[j]} for i, j, w in res.tree])
    blocks = []
    for m, r in results.items():
        clusters = []
        for c in np.unique(r.labels):
            members = np.flatnonzero(r.labels == c)
            clusters.append({"clustering": m, "cluster": int(c), "size": len(members),
                             "axes": " ".join(map(str, members)),
                             "labels": " | ".join(labels[a] for a in members)})
        blocks.append(pd.DataFrame(clusters).sort_values("size", ascending=False, kind="stable"))
    return edges, pd.concat(blocks, ignore_index=True), res


# ---------------------------------------------------------------- alignment
def refit_axes_svd(X: np.ndarray, seed: int = 0, *, tol: float = TOL, max_iter: int = MAX_ITER
                   ) -> dict[str, np.ndarray]:
    """ICA and PCA components of ``X`` whitened by an SVD in float64 (for ill-conditioned ``X``).

    The paper's random transform ``U diag(e) V^T`` has condition numbers of 1e4-1e7, so the
    covariance of a transformed embedding spans more than float32 (and the whitening's rank
    test) can hold. The SVD of the centred float64 matrix whitens it stably; ICA is then
    fitted on those whitened scores (the same solution set as ICA on ``X``: whitening is
    unique up to a rotation, which ICA's rotation absorbs), and the PCA baseline is the
    whitened scores themselves, post-processed like :class:`icaxes.PCA` (positive skewness,
    sorted by skewness).
    """
    from icaxes.decompose.estimator import ICA

    X = np.asarray(X, dtype=np.float64)
    U, _, _ = np.linalg.svd(X - X.mean(axis=0), full_matrices=False)
    Z = U * np.sqrt(X.shape[0])
    skew = (Z ** 3).mean(axis=0)
    Z = Z * np.where(skew < 0, -1.0, 1.0)
    pca = Z[:, np.argsort(-np.abs(skew), kind="stable")]
    ica = ICA(random_state=seed, tol=tol, max_iter=max_iter).fit_transform(Z)
    return {"ica": np.asarray(ica, dtype=np.float64), "pca": pca}


#: Names of the random-transform variants in the alignment table's ``embeddings`` column.
TRANSFORM_NAMES = {"source": "random transform (source x M, ours)",
                   "paper": "random transform (both x U diag(e) V^T, paper)"}


def alignment_table(pairs: Sequence[tuple[str, str, int | None, str, int | None, tuple[str, str]]]
                    = ALIGNMENT_PAIRS, *, seed: int = 0, max_dim: int = 50,
                    transform_seed: int = 1, transforms: Sequence[str] = ("source", "paper"),
                    progress: bool = False,
                    log: Callable[[str], None] = print) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The alignment task on each language pair, plain and with randomly transformed embeddings.

    Returns the accuracy table and a table of the splits used. Pairs whose sources or
    dictionaries are not installed are skipped with a message. Embeddings wider than
    ``max_dim`` are first projected on their leading principal components, so every method
    sees the same vectors and ICA stays full-rank (which is what makes it blind to the
    random transform). ``transforms`` (:data:`icaxes.evaluate.alignment.TRANSFORMS`) are
    the random-transform recipes run beside the original embeddings, each followed by a
    refit of ICA and PCA on the transformed side(s): ``source`` (ours: one Gaussian matrix on
    the source) and ``paper`` (the same ``U diag(e) V^T`` on both languages).
    """
    from icaxes.errors import IcaxesError
    from icaxes.evaluate.alignment import TRANSFORMS, alignment_task, split_dictionary, transform_pair
    from icaxes.fitting import FitSettings, fit_models
    from icaxes.io.embeddings import Embeddings
    from icaxes.universal.pairs import load_freedict

    bad = set(transforms) - set(TRANSFORMS)
    if bad:
        raise InputError(f"unknown random-transform recipe(s) {', '.join(sorted(bad))}; "
                         f"choose from {', '.join(TRANSFORMS)}")

    def refit(emb, X: np.ndarray, name: str, recipe: str) -> dict[str, np.ndarray]:
        if recipe == "paper":
            return refit_axes_svd(X, seed)
        e = Embeddings(list(emb.tokens), X.astype(np.float32), emb.frequencies, {"source": name})
        fit = fit_models(e, FitSettings(seed=seed))
        return {"ica": fit.ica.components, "pca": fit.pca.components}

    rows, splits = [], []
    for name, src, src_limit, tgt, tgt_limit, (la, lb) in pairs:
        try:
            emb_a, ica_a, pca_a = fitted_models(src, src_limit, seed, progress, max_dim)
            emb_b, ica_b, pca_b = fitted_models(tgt, tgt_limit, seed, progress, max_dim)
            dictionary = load_freedict(la, lb)
        except IcaxesError as exc:
            log(f"alignment {name} skipped: {exc}")
            continue
        log(f"alignment {name}: {len(emb_a)} x {emb_a.dim} -> {len(emb_b)} x {emb_b.dim}")
        ia, ib = emb_a.index, emb_b.index
        split = split_dictionary(zip(dictionary.source, dictionary.target, strict=True), ia, ib)
        splits.append({"pair": name, "source": src, "target": tgt,
                       "source rows": len(emb_a), "target rows": len(emb_b),
                       "dims": f"{emb_a.dim} -> {emb_b.dim}", "train words": split.n_train_words,
                       "train pairs": len(split.train), "test words": split.n_test_words, "rule": split.rule})
        Xa, Xb = np.asarray(emb_a.vectors), np.asarray(emb_b.vectors)
        axes_b = {"ica": ica_b.components, "pca": pca_b.components}
        variants = [("original", alignment_task(Xa, ia, Xb, ib, split, tgt_axes=axes_b,
                                                src_axes={"ica": ica_a.components, "pca": pca_a.components}))]
        for recipe in transforms:
            if recipe == "paper" and emb_a.dim != emb_b.dim:
                log(f"alignment {name}: the paper's transform needs equal widths "
                    f"({emb_a.dim} vs {emb_b.dim}); skipped")
                continue
            Xr, Yr = transform_pair(Xa, Xb, transform_seed, recipe)
            axes_r = refit(emb_a, Xr, f"{src} x M", recipe)
            axes_t = axes_b if recipe == "source" else refit(emb_b, Yr, f"{tgt} x M", recipe)
            variants.append((TRANSFORM_NAMES[recipe],
                             alignment_task(Xr, ia, Yr, ib, split, src_axes=axes_r, tgt_axes=axes_t)))
        for variant, rr in variants:
            for r in rr:
                rows.append({"pair": name, "embeddings": variant, "method": r.method,
                             "retrieval": r.retrieval, "test words": r.n_test,
                             **{f"@{k}": round(v, 4) for k, v in r.accuracy.items()}})
    return pd.DataFrame(rows), pd.DataFrame(splits)


# ------------------------------------------------------------------ figures
def _save_fig(fig, out: Path, name: str) -> list[Path]:
    """Write ``out/name.png`` and ``.svg`` (call inside :func:`~icaxes.viz.fonts.figure_style`)."""
    return save_figure(fig, out / name)


@figure_style()
def similarity_figure(df: pd.DataFrame, out: Path) -> list[Path]:
    """Spearman rho against p, one panel per benchmark."""
    plt = pyplot()
    fig, axs = plt.subplots(1, 2, figsize=(8, 3.2), sharey=True)
    for ax, b, title in zip(axs, ("ws353", "simlex999"), ("WordSim-353", "SimLex-999"), strict=True):
        for method, style in (("ica", "o-"), ("pca", "s--"), ("raw", "^:")):
            # "all" is drawn one step right of the largest p
            sub = df[df.method == method]
            xs = [int(p) if p != "all" else int(sp_max(df)) for p in sub.p]
            ax.plot(xs, sub[b], style, label=method.upper() if method != "raw" else "raw")
        ax.set_xscale("log")
        ax.set_title(title)
        ax.set_xlabel("top-p axis terms kept (rightmost: all)")
        ax.grid(alpha=0.3)
    axs[0].set_ylabel("Spearman rho")
    axs[0].legend(frameon=False)
    return _save_fig(fig, out, "eval-similarity")


def sp_max(df: pd.DataFrame) -> int:
    """The number of axes ('all' in the p column) implied by the largest numeric p plus one step."""
    nums = [int(p) for p in df.p if p != "all"]
    return max(nums) * 2 if nums else 1


@figure_style()
def hoc_figure(res, labels: Sequence[str], out: Path) -> list[Path]:
    """HOC heatmap with axes ordered by cluster; dots mark spanning-tree edges inside a cluster."""
    plt = pyplot()
    order = np.argsort(res.labels, kind="stable")
    H = res.hoc[np.ix_(order, order)].copy()
    np.fill_diagonal(H, np.nan)
    k = len(order)
    fig, ax = plt.subplots(figsize=(7.5, 6.5))
    im = ax.imshow(np.log(H), cmap="magma", vmin=0)
    ax.set_xticks(range(k), [str(a) for a in order], fontsize=5, rotation=90)
    ax.set_yticks(range(k), [f"{a}: {labels[a][:22]}" for a in order], fontsize=5)
    bounds = np.flatnonzero(np.diff(res.labels[order])) + 0.5
    for b in bounds:
        ax.axhline(b, color="white", lw=0.5)
        ax.axvline(b, color="white", lw=0.5)
    pos = {a: i for i, a in enumerate(order)}
    for i, j, _ in res.tree:
        if res.labels[i] == res.labels[j]:
            ax.plot([pos[i], pos[j]], [pos[j], pos[i]], "c.", ms=3)
    fig.colorbar(im, ax=ax, shrink=0.7, label="log E[s_i^2 s_j^2]  (0 = independent)")
    ax.set_title("Higher-order correlations of ICA axes (blocks: clusters; dots: spanning-tree edges)",
                 fontsize=9)
    return _save_fig(fig, out, "eval-hoc")


@figure_style()
def stability_figure(df: pd.DataFrame, threshold: float, out: Path) -> list[Path]:
    """Per-axis stability against axis index (axes sorted by skewness)."""
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(7, 2.8))
    colors = ["tab:red" if u else "tab:blue" for u in df.unstable]
    ax.bar(df.axis, df.stability, color=colors)
    ax.plot(df.axis, df["worst refit"], "k.", ms=3, label="worst refit")
    ax.axhline(threshold, color="gray", ls="--", lw=0.8, label=f"threshold {threshold}")
    ax.set_xlabel("ICA axis (by skewness)")
    ax.set_ylabel("mean matched |r|")
    ax.set_ylim(0, 1.02)
    ax.legend(frameon=False, fontsize=7, loc="lower left")
    return _save_fig(fig, out, "eval-stability")


# ------------------------------------------------------------------- writing
def markdown_table(df: pd.DataFrame, floatfmt: str = ".3f") -> str:
    """A GitHub Markdown table (no extra dependency)."""
    def cell(v: Any) -> str:
        if isinstance(v, float):
            return "" if np.isnan(v) else format(v, floatfmt)
        return str(v).replace("|", "\\|")

    head = "| " + " | ".join(map(str, df.columns)) + " |"
    sep = "|" + "|".join("---" for _ in df.columns) + "|"
    body = ["| " + " | ".join(cell(v) for v in row) + " |" for row in df.itertuples(index=False)]
    return "\n".join([head, sep, *body])


def parse_tasks(tasks: str | Sequence[str]) -> list[str]:
    """The evaluation tasks asked for: ``"all"``, a comma-separated string or a sequence of
    names of :data:`TASKS` (an unknown one is an :class:`~icaxes.errors.InputError` listing them)."""
    if isinstance(tasks, str):
        tasks = list(TASKS) if tasks.strip() == "all" else [t.strip() for t in tasks.split(",") if t.strip()]
    tasks = list(tasks)
    bad = [t for t in tasks if t not in TASKS]
    if bad:
        raise InputError(f"unknown task(s) {', '.join(bad)}; choose from {', '.join(TASKS)}")
    return tasks


def evaluate_source(source: str, output: str | Path, *, tasks: str | Sequence[str] = TASKS,
                    limit: int | None = 50000, seed: int = 0, progress: bool = False,
                    model_dir: str | Path | None = None, refits: int = 3,
                    log: Callable[[str], None] = print, force: bool = False,
                    allow_pickle: bool = False) -> Path:
    """Run ``tasks`` on ``source`` (or on a fitted model folder) and write tables and figures.

    Parameters
    ----------
    source : str
        Built-in source name or embedding file (fitted here, cached), ignored when
        ``model_dir`` is given.
    output : path
        Output folder (written atomically: it appears complete or not at all).
    tasks : sequence of str or str
        Any of :data:`TASKS`, or a string: ``"all"`` or names joined by commas (see
        :func:`parse_tasks`).
    limit : int, optional
        Rows of the source to fit on (most frequent first).
    seed : int
        Seed of ICA and of every random draw.
    refits : int
        Stability: refits with seeds 1..refits and as many bootstrap refits.
    model_dir : path, optional
        A folder written by ``icaxes fit``: evaluate its ICA and PCA models; the raw
        embeddings are recovered with the models' inverse transform; ``stability.json``
        is written into its ICA folder.
    force : bool, default False
        Replace an existing ``output`` even if icaxes did not write it (see
        :mod:`icaxes.io.atomic`); never one holding the source or the model folder.
    allow_pickle : bool, default False
        Let a gensim ``.kv``/``.model`` source be unpickled: only for files you trust.
    """
    tasks = parse_tasks(tasks)
    if isinstance(refits, bool) or not isinstance(refits, int) or refits < 1:
        raise ParameterError(f"refits (--refits) must be an integer of at least 1, got {refits!r}")
    from icaxes.io.atomic import atomic_dir, check_output_dir
    from icaxes.io.model_format import ModelFolder

    output = Path(output)
    given = ModelFolder(model_dir) if model_dir is not None else None
    inputs = [source, *(given.input_paths() if given is not None else [])]
    check_output_dir(output, inputs=inputs, force=force)
    if given is not None:
        ica, pca = given.load("ica"), given.load("pca")
        raw = ica.transform.inverse_transform(np.asarray(ica.components, dtype=np.float64))
        sp = Spaces(list(ica.tokens), raw.astype(np.float32), ica, pca)
        described = str(model_dir)
    else:
        emb, ica, pca = fitted_models(source, limit, seed, progress, allow_pickle=allow_pickle)
        sp = Spaces(list(emb.tokens), np.asarray(emb.vectors), ica, pca)
        described = f"{source} (first {limit} rows)" if limit else str(source)
    sections: list[tuple[str, str]] = []
    meta: dict[str, Any] = {"source": described, "rows": len(sp.tokens), "dim": int(sp.raw.shape[1]),
                            "seed": seed, "tasks": list(tasks)}
    with atomic_dir(output, force=force, inputs=inputs) as tmp:
        def write(df: pd.DataFrame, name: str, title: str) -> None:
            df.to_csv(tmp / f"{name}.csv", index=False)
            sections.append((title, markdown_table(df)))

        for task in tasks:
            log(f"evaluate: {task} ...")
            if task == "similarity":
                df = similarity_table(sp)
                write(df, "similarity", "Sparse similarity: Spearman rho with the top-p terms")
                similarity_figure(df, tmp)
            elif task == "analogy":
                write(analogy_table(sp, seed=seed), "analogy",
                      "Google analogies, top-1 (3CosAdd, top-p terms)")
            elif task == "intrusion":
                summary, per_axis = intrusion_table(sp, seed=seed)
                write(summary, "intrusion", "Word intrusion: DistRatio over axes (distances in the judged "
                      "representation, ours, and in the original embedding, the paper's)")
                per_axis.to_csv(tmp / "intrusion_per_axis.csv", index=False)
            elif task == "purity":
                summary, per_axis = purity_table(sp, seed=seed)
                write(summary, "purity", "WordNet category purity of the top-10 words")
                per_axis.to_csv(tmp / "purity_per_axis.csv", index=False)
            elif task == "stability":
                res, df = stability_table(sp, seeds=tuple(range(1, refits + 1)), n_bootstrap=refits,
                                          seed=seed, progress=progress)
                write(df, "stability", f"ICA axis stability (unstable below {res.threshold})")
                stability_figure(df, res.threshold, tmp)
                folder = given if given is not None else ModelFolder(tmp / "model")
                if given is None:
                    folder.save({"ica": sp.ica, "pca": sp.pca})
                res.save(folder.path)  # into the ICA model's folder (ModelFolder.stability_path)
                meta["unstable axes"] = res.unstable
            elif task == "tour":
                tour_df, red, info = tour_tables(sp)
                write(tour_df, "tour", "Axis Tour order")
                write(red, "tour_reduction", "Dimension reduction along the tour (Spearman rho)")
                meta["tour"] = info
            elif task == "hoc":
                edges, clusters, res = hoc_tables(sp, seed=seed)
                write(edges, "hoc_tree", "Maximum spanning tree of higher-order correlations")
                write(clusters, "hoc_clusters", "Clusters of axes, 10 per clustering (average: average "
                      "linkage on 1 / HOC, ours; spectral: spectral clustering on the tree, the paper's)")
                hoc_figure(res, sp.ica.labels, tmp)
            elif task == "alignment":
                acc, splits = alignment_table(seed=seed, progress=progress, log=log)
                if len(acc):
                    write(splits, "alignment_splits", "Alignment task: dictionary splits")
                    write(acc, "alignment", "Alignment task: translation retrieval accuracy")
        (tmp / "run.json").write_text(json.dumps(meta, indent=1, ensure_ascii=False), encoding="utf-8")
        md = [f"# Evaluation of {described}", ""]
        for title, table in sections:
            md += [f"## {title}", "", table, ""]
        (tmp / "summary.md").write_text("\n".join(md), encoding="utf-8")
    return output
