"""The report of a fitted model and the demo that makes one from GloVe.

:func:`build_report` writes, into a folder, the figures (``figures/*.png|svg``), the axis
table (``axes.csv``), the non-Gaussianity table (``nongaussianity.csv``, when
:mod:`icaxes.stats` is installed), the explorer page (``explorer.html``, when
:mod:`icaxes.explorer` provides ``write_explorer``) and a self-contained ``index.html`` that
embeds the figures. :func:`write_report` does the same atomically (the folder appears only
when complete); :func:`run_demo` fits ICA and PCA on a source and writes the whole report
folder, model included, atomically.
"""

from __future__ import annotations

import base64
import html
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from icaxes.errors import InputError
from icaxes.io.atomic import atomic_dir, atomic_file
from icaxes.model import AxisModel
from icaxes.progress import ProgressBar
from icaxes.viz.figures import axis_skew_kurt, block_means, heatmap_data, write_figures

#: top tokens listed per axis in axes.csv and index.html
TOP_TOKENS = 10

# the figures in page order with their captions
_FIGURES = (
    ("heatmap", "Top tokens of the first axes (rows) against those axes (columns): normalised "
                "components. ICA (left) gives a block diagonal: each axis owns its tokens and "
                "ignores the others. PCA (right) spreads tokens over many axes."),
    ("scatter", "Two ICA axes (normalised components). Each axis's top tokens sit far out on "
                "it; tokens whose meaning combines both sit in between."),
    ("spiky", "The spiky shape: the first two axes, and histograms of axis values (log scale) "
              "against a standard normal. ICA axes are one-sided and heavy-tailed."),
    ("moments", "Skewness and excess kurtosis of every axis, sorted (log scale): ICA axes are far "
                "from Gaussian, PCA axes much less."),
    ("projection_ica", "ICA: tokens projected on the first axes, drawn as spokes "
                       "(point = normalised components @ [cos, sin] of the spoke angles)."),
    ("projection_pca", "PCA: the same projection; tokens do not gather along the spokes."),
)

Progress = Callable[[str], None]


@dataclass
class Report:
    """What :func:`build_report` wrote and the numbers it shows."""

    folder: Path
    figures: dict[str, list[Path]]
    axes_csv: Path
    index_html: Path
    nongaussianity: Any = None
    explorer_html: Path | None = None
    summary: dict[str, Any] = field(default_factory=dict)


def axis_rows(model: AxisModel, top: int = TOP_TOKENS, *, n_axes: int | None = None,
              stability: Any = None, every_row: bool = True) -> list[dict[str, Any]]:
    """One dict per axis, the one description of an axis that ``axes.csv`` and ``icaxes axes`` show.

    Parameters
    ----------
    model : AxisModel
        Read from its display rows (its labels, categories and top tokens).
    top : int
        Top tokens listed per axis.
    n_axes : int, optional
        Only the first ``n_axes`` axes (default: all).
    stability : StabilityResult, optional
        Fills ``stability`` and ``unstable`` (below the result's threshold); None otherwise.
    every_row : bool, default True
        Adds ``top_all``: the top tokens over every row, not only the display rows.

    Returns
    -------
    list of dict
        ``method, axis, skewness, kurtosis`` (over the display rows, the values that order
        the axes), ``label, category, top`` (a list of tokens), ``stability, unstable``
        and, with ``every_row``, ``top_all``.
    """
    if top < 1:
        raise InputError(f"top must be at least 1, got {top}")
    skew, kurt = axis_skew_kurt(model)
    cats = model.categories or [None] * model.n_axes
    labels = model.labels or [""] * model.n_axes
    rows = []
    for a in range(model.n_axes if n_axes is None else min(n_axes, model.n_axes)):
        row: dict[str, Any] = {"method": model.method, "axis": a, "skewness": float(skew[a]),
                               "kurtosis": float(kurt[a]), "label": labels[a], "category": cats[a],
                               "top": model.top_tokens(a, top)}
        if every_row:
            row["top_all"] = model.top_tokens(a, top, display=False)
        row["stability"] = None if stability is None else float(stability.stability[a])
        row["unstable"] = None if stability is None else bool(stability.stability[a] < stability.threshold)
        rows.append(row)
    return rows


def axes_table(model: AxisModel, top: int = TOP_TOKENS, max_rank: int | None = None):
    """One row per axis: ``method, axis, skewness, kurtosis, label, category, top_tokens, top_all``.

    The rows of :func:`axis_rows`, as a table. ``label``, ``category`` and ``top_tokens`` are
    the model's own (read from its display rows, the same everywhere); ``top_all`` lists the top
    tokens of every row. With ``max_rank``, the model is first read from its ``max_rank`` most
    frequent display tokens (:meth:`~icaxes.model.AxisModel.with_display_rank`).

    Returns
    -------
    pandas.DataFrame
    """
    import pandas as pd

    rows = axis_rows(model.with_display_rank(max_rank), top)
    return pd.DataFrame({
        "method": [r["method"] for r in rows],
        "axis": np.array([r["axis"] for r in rows]),
        "skewness": np.round([r["skewness"] for r in rows], 4),
        "kurtosis": np.round([r["kurtosis"] for r in rows], 4),
        "label": [r["label"] for r in rows],
        "category": [r["category"] or "" for r in rows],
        "top_tokens": [" ".join(r["top"]) for r in rows],
        "top_all": [" ".join(r["top_all"]) for r in rows],
    })


def showcase_word(model: AxisModel, prefer: tuple[str, ...] = ("ferrari",), among: int = 5000) -> str:
    """A word whose composition the report shows: the first of ``prefer`` the model reads, else
    the frequent display token that lies furthest between two axes (largest second weight)."""
    mask = model.display_mask
    for word in prefer:
        row = model.index.get(word)
        if row is not None and (mask is None or mask[row]):
            return word
    rows = np.arange(len(model.tokens)) if mask is None else np.flatnonzero(mask)
    rows = rows[:among]
    second = -np.sort(-np.asarray(model.normalized[rows], dtype=np.float64), axis=1)[:, 1]
    return model.tokens[int(rows[int(np.argmax(second))])]


def _nongaussianity(ica: AxisModel, pca: AxisModel, seed: int):
    """The non-Gaussianity table of :mod:`icaxes.stats`."""
    from icaxes.stats import nongaussianity_table

    # ICA keeps every whitened component, so its inverse gives back the embedding rows
    raw = ica.transform.inverse_transform(np.asarray(ica.components))
    return nongaussianity_table(raw, np.asarray(pca.components), np.asarray(ica.components), seed)


def _explorer(ica: AxisModel, pca: AxisModel, path: Path, name: str) -> Path | None:
    """Write ``explorer.html`` with :func:`icaxes.explorer.write_explorer`."""
    from icaxes.explorer import write_explorer

    write_explorer([(name, {"ica": ica, "pca": pca})], path, title=f"icaxes explorer: {name}")
    return path


def build_report(ica: AxisModel, pca: AxisModel, folder: str | Path, *, name: str = "",
                 scatter: tuple[int | str, int | str] | None = None, n_axes: int = 10,
                 seed: int = 0, run: dict[str, Any] | None = None, explorer: bool = True,
                 step: Progress | None = None, max_rank: int | None = None,
                 word: str | None = None) -> Report:
    """Write the report of an ICA model and its PCA baseline into ``folder`` (not atomic).

    Parameters
    ----------
    ica, pca : AxisModel
    folder : path-like
        An existing (normally temporary) folder; see :func:`write_report` for the atomic form.
    name : str
        Name of the embeddings (titles).
    scatter : (x, y), optional
        Axes of the scatter figure (see :func:`icaxes.viz.resolve_axis`); default: the two
        strongest axes of ``word``.
    n_axes : int, default 10
        Axes in the heatmap.
    seed : int
        Seed of the Gaussian baseline in the non-Gaussianity table.
    run : dict, optional
        Run facts shown in the summary (source, seconds, ...).
    explorer : bool, default True
        Also write ``explorer.html`` when the explorer is available.
    step : callable, optional
        Called with a short description before each step (progress display).
    max_rank : int, optional
        Read the axes from the ``max_rank`` most frequent of the models' display tokens
        (labels recomputed); default: the models' own display rows.
    word : str, optional
        The word whose composition opens the page (default: :func:`showcase_word`).
    """
    if len(ica.tokens) != len(pca.tokens) or ica.tokens[:1000] != pca.tokens[:1000]:
        from icaxes.errors import DimensionMismatchError

        raise DimensionMismatchError(
            f"the ICA model has {len(ica.tokens):,} tokens and the PCA model {len(pca.tokens):,} "
            "(or in another order); pass the two models of one fit (icaxes fit writes both)")
    ica, pca = ica.with_display_rank(max_rank), pca.with_display_rank(max_rank)
    folder = Path(folder)
    step = step or (lambda _msg: None)
    word = word or showcase_word(ica)
    ica.row(word)  # an unknown word: UnknownTokenError naming close matches
    if scatter is None:  # the word's two strongest axes: it lies between their spikes
        first, second = (p.axis for p in ica.explain(word, 2))
        scatter = (first, second)
    step("figures")
    figures = write_figures(ica, pca, folder / "figures", n_axes=n_axes, scatter=scatter, name=name)
    step("axis table")
    import pandas as pd

    table = pd.concat([axes_table(ica), axes_table(pca)], ignore_index=True)
    axes_csv = folder / "axes.csv"
    with atomic_file(axes_csv) as tmp:
        table.to_csv(tmp, index=False)
    step("non-Gaussianity table")
    ng = _nongaussianity(ica, pca, seed)
    if ng is not None:
        with atomic_file(folder / "nongaussianity.csv") as tmp:
            ng.to_csv(tmp, index_label="embedding")
    explorer_html = None
    if explorer:
        step("explorer page")
        explorer_html = _explorer(ica, pca, folder / "explorer.html", name or "embeddings")
    step("index.html")
    summary = _summary(ica, pca, n_axes, {**(run or {}), "display": ica.display.to_dict(),
                                          "word": word, "scatter": list(_scatter_axes(ica, scatter))})
    page = _page(ica, pca, figures, folder, name, summary, ng, explorer_html is not None)
    index = folder / "index.html"
    with atomic_file(index) as tmp:
        tmp.write_text(page, encoding="utf-8")
    (folder / "summary.json").write_text(json.dumps(summary, indent=2, default=str), encoding="utf-8")
    return Report(folder, figures, axes_csv, index, ng, explorer_html, summary)


def write_report(ica: AxisModel, pca: AxisModel, output: str | Path, *, force: bool = False,
                 inputs: Any = (), **kwargs: Any) -> Report:
    """:func:`build_report` into ``output``, atomically: the folder appears only when complete.

    An existing ``output`` is replaced only under the output policy of :mod:`icaxes.io.atomic`
    (``force`` and ``inputs`` as in :func:`~icaxes.io.atomic.atomic_dir`); the folders the
    models were loaded from count as inputs too.
    """
    output = Path(output)
    with atomic_dir(output, force=force, inputs=[*inputs, *ica.input_folders, *pca.input_folders]) as tmp:
        rep = build_report(ica, pca, tmp, **kwargs)
    return _moved(rep, tmp, output)


def _moved(rep: Report, old: Path, new: Path) -> Report:
    def mv(p: Path | None) -> Path | None:
        return None if p is None else new / p.relative_to(old)

    rep.folder = new
    rep.figures = {k: [mv(p) for p in v] for k, v in rep.figures.items()}
    rep.axes_csv, rep.index_html = mv(rep.axes_csv), mv(rep.index_html)
    rep.explorer_html = mv(rep.explorer_html)
    return rep


# ----------------------------------------------------------------------------- content
def _scatter_axes(model: AxisModel, scatter: tuple[int | str, int | str]) -> tuple[int, int]:
    from icaxes.viz.figures import resolve_axis

    return resolve_axis(model, scatter[0]), resolve_axis(model, scatter[1])


def _summary(ica: AxisModel, pca: AxisModel, n_axes: int, run: dict[str, Any]) -> dict[str, Any]:
    est = ica.transform
    s_ica, k_ica = axis_skew_kurt(ica)
    s_pca, k_pca = axis_skew_kurt(pca)
    d_ica = block_means(heatmap_data(ica, n_axes)[0], 5)
    d_pca = block_means(heatmap_data(pca, n_axes)[0], 5)
    return {
        **run,
        "tokens": len(ica.tokens),
        "dimensions": int(ica.metadata.get("dim", ica.n_axes)),
        "axes": ica.n_axes,
        "fit_rows": int(ica.metadata.get("fit_rows", len(ica.tokens))),
        "iterations": int(getattr(est, "n_iter_", 0)),
        "final_change": float(getattr(est, "change_", float("nan"))),
        "tol": float(getattr(est, "tol", float("nan"))),
        "converged": bool(getattr(est, "converged_", False)),
        "mean_skewness": {"ica": float(np.mean(s_ica)), "pca": float(np.mean(np.abs(s_pca)))},
        "mean_kurtosis": {"ica": float(np.mean(k_ica)), "pca": float(np.mean(k_pca))},
        "heatmap_blocks": {"ica": {"diagonal": d_ica[0], "elsewhere": d_ica[1]},
                           "pca": {"diagonal": d_pca[0], "elsewhere": d_pca[1]}},
    }


def _img(path: Path) -> str:
    data = base64.b64encode(path.read_bytes()).decode("ascii")
    return f"data:image/png;base64,{data}"


def _tag(category: str | None) -> str:
    return f"[{category}]" if category else ""


def _axes_html(model: AxisModel, n: int | None = None, top: int = TOP_TOKENS, stats: bool = True) -> str:
    skew, kurt = axis_skew_kurt(model)
    cats = model.categories or [None] * model.n_axes
    rows = []
    for a in range(model.n_axes if n is None else min(n, model.n_axes)):
        toks = ", ".join(html.escape(t) for t in model.top_tokens(a, top))
        num = f"<td class=n>{skew[a]:.2f}</td><td class=n>{kurt[a]:.1f}</td>" if stats else ""
        rows.append(f"<tr><td class=n>{a}</td><td class=tag>{html.escape(_tag(cats[a]))}</td><td>{toks}</td>"
                    f"{num}</tr>")
    head = "<th>skewness</th><th>kurtosis</th>" if stats else ""
    return ("<table class=axes><thead><tr><th>axis</th><th>WordNet category</th><th>top words "
            f"(largest normalised component)</th>{head}</tr></thead><tbody>"
            + "".join(rows) + "</tbody></table>")


def _composition_html(model: AxisModel, word: str, top: int = 5) -> str:
    """``ferrari = 0.52 [cars] + 0.41 (italian, ...) + ...`` as a small table."""
    e = html.escape
    parts = model.explain(word, top)
    needed = model.axes_needed(word, 0.8)
    rows = "".join(
        f"<tr><td class=n>{p.weight:+.2f}</td><td class=n>{p.share:.0%}</td><td class=n>{p.axis}</td>"
        f"<td>{e(p.label)}</td></tr>" for p in parts)
    formula = " + ".join(f"{p.weight:.2f} &times; axis {p.axis}" for p in parts[:3])
    return (f"<p class=formula><b>{e(word)}</b> = {formula} + &hellip;</p>"
            "<table><thead><tr><th>weight</th><th>share</th><th>axis</th><th>axis label</th></tr></thead>"
            f"<tbody>{rows}</tbody></table><p class=sub>The shares are squared weights (they sum to "
            f"100% over all {model.n_axes} axes); {needed} axes hold 80% of {e(word)}.</p>")


def _between_html(model: AxisModel, x: int, y: int) -> str:
    from icaxes.viz.figures import scatter_tokens

    groups = scatter_tokens(model, x, y)
    e = html.escape

    def words(key: str) -> str:
        return ", ".join(e(model.tokens[i]) for i in groups[key]) or "none"

    return (f"<p>Spike of axis {x} ({e((model.labels or [''] * model.n_axes)[x])}): {words('x')}.<br>"
            f"Spike of axis {y} ({e((model.labels or [''] * model.n_axes)[y])}): {words('y')}.<br>"
            f"<b>Between the spikes</b> (large on both axes): {words('both')}.</p>")


def _ng_html(ng: Any) -> str:
    cols = [c for c in ("skewness", "kurtosis", "logcosh", "gauss") if c in ng.columns]
    head = "".join(f"<th>{html.escape(c)}</th>" for c in cols)
    body = "".join(
        f"<tr><td>{html.escape(str(idx))}</td>"
        + "".join(f"<td class=n>{ng.loc[idx, c]:.4g}</td>" for c in cols) + "</tr>"
        for idx in ng.index)
    return f"<table><thead><tr><th>embedding</th>{head}</tr></thead><tbody>{body}</tbody></table>"


_CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI","Noto Sans",sans-serif;max-width:1100px;
margin:2em auto;padding:0 1em;color:#222;line-height:1.45}
h1{font-size:1.6em;margin-bottom:.2em}h2{margin-top:1.8em;border-bottom:1px solid #ddd;padding-bottom:.2em}
.sub{color:#666;margin-top:0}table{border-collapse:collapse;font-size:.9em;margin:.6em 0}
th,td{padding:.25em .6em;border-bottom:1px solid #eee;text-align:left;vertical-align:top}
th{background:#f6f6f6}td.n{text-align:right;font-variant-numeric:tabular-nums}
figure{margin:1.2em 0}figure img{max-width:min(100%,760px);height:auto;border:1px solid #eee}
figure.wide img{max-width:100%}
figcaption{color:#555;font-size:.92em}.ok{color:#1a7f37}.bad{color:#b42318}
dl.kv{display:grid;grid-template-columns:max-content auto;gap:.2em 1.2em}dl.kv dt{color:#666}
dl.kv dd{margin:0}nav a{margin-right:1em}details{margin:.6em 0}
.first{display:grid;grid-template-columns:minmax(0,1fr) minmax(0,1fr);gap:0 2em}
.first figure{margin:.4em 0}.first figure img{max-width:100%}.first figcaption{display:none}
.first h2{margin-top:.8em}@media (max-width:900px){.first{display:block}}
table.axes td{padding:.15em .5em}td.tag{color:#8a4b00;white-space:nowrap}
p.formula{font-size:1.15em;margin:.4em 0}
"""


def _figure_html(key: str, caption: str, figures: dict[str, list[Path]], folder: Path) -> str:
    e = html.escape
    paths = figures.get(key, [])
    png = next((p for p in paths if p.suffix == ".png"), None)
    if png is None:
        return ""
    links = " ".join(f'<a href="{e(p.relative_to(folder).as_posix())}">{p.suffix[1:].upper()}</a>'
                     for p in paths)
    wide = ' class="wide"' if key in ("heatmap", "moments", "spiky") else ""
    return (f'<figure id="fig-{key}"{wide}><img alt="{e(key)}" src="{_img(png)}">'
            f"<figcaption>{e(caption)} ({links})</figcaption></figure>")


#: axes listed on the first screen of the report
FIRST_AXES = 12


def _page(ica: AxisModel, pca: AxisModel, figures: dict[str, list[Path]], folder: Path, name: str,
          summary: dict[str, Any], ng: Any, explorer: bool) -> str:
    e = html.escape
    conv = ("<span class=ok>converged</span>" if summary["converged"]
            else "<span class=bad>NOT converged</span>")
    display = ica.display
    facts = [("embeddings", e(str(summary.get("source", name or "?")))),
             ("tokens", f"{summary['tokens']:,} (every one gets its components)"),
             ("dimensions", str(summary["dimensions"])),
             ("ICA fitted on", f"{summary['fit_rows']:,} rows"),
             ("words shown", e(display.describe())),
             ("seed", str(summary.get("seed", ""))),
             ("fit time (ICA + PCA)",
              f"{summary['fit_seconds']:.0f} s" if "fit_seconds" in summary else "")]
    facts = [(k, v) for k, v in facts if v]
    kv = "".join(f"<dt>{k}</dt><dd>{v}</dd>" for k, v in facts)
    hb = summary["heatmap_blocks"]
    versus = (
        "<table><thead><tr><th></th><th>ICA</th><th>PCA</th></tr></thead><tbody>"
        f"<tr><td>mean |skewness| of the axes</td><td class=n>{summary['mean_skewness']['ica']:.2f}</td>"
        f"<td class=n>{summary['mean_skewness']['pca']:.2f}</td></tr>"
        f"<tr><td>mean excess kurtosis of the axes</td><td class=n>{summary['mean_kurtosis']['ica']:.2f}</td>"
        f"<td class=n>{summary['mean_kurtosis']['pca']:.2f}</td></tr>"
        f"<tr><td>heatmap: mean on the diagonal blocks</td><td class=n>{hb['ica']['diagonal']:.2f}</td>"
        f"<td class=n>{hb['pca']['diagonal']:.2f}</td></tr>"
        f"<tr><td>heatmap: mean elsewhere</td><td class=n>{hb['ica']['elsewhere']:.2f}</td>"
        f"<td class=n>{hb['pca']['elsewhere']:.2f}</td></tr></tbody></table>")
    captions = dict(_FIGURES)
    scatter = _figure_html("scatter", captions["scatter"], figures, folder)
    figs = "".join(_figure_html(k, c, figures, folder) for k, c in _FIGURES if k != "scatter")
    ng_html = (_ng_html(ng) + "<p>Means over axes; full table in "
               '<a href="nongaussianity.csv">nongaussianity.csv</a>.</p>') if ng is not None else (
        "<p>Not available (icaxes.stats is not installed).</p>")
    explorer_link = ('<p><a href="explorer.html"><b>Open the explorer</b></a>: browse every axis, '
                     "a token's composition and why two tokens are similar.</p>") if explorer else ""
    nav = ("<nav><a href=#axes>Axes</a><a href=#composition>A word</a><a href=#scatter>Two axes</a>"
           "<a href=#summary>Summary</a><a href=#convergence>Convergence</a>"
           "<a href=#ica-vs-pca>ICA vs PCA</a><a href=#figures>Figures</a><a href=#all-axes>All axes</a>"
           + ("<a href=explorer.html>Explorer</a>" if explorer else "") + "</nav>")
    word = summary["word"]
    x, y = summary["scatter"]
    title = f"icaxes report: {name}" if name else "icaxes report"
    n_first = min(FIRST_AXES, ica.n_axes)
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width,initial-scale=1">
<title>{e(title)}</title><style>{_CSS}</style></head><body>
<h1>{e(title)}</h1>
<p class=sub>Independent component analysis finds axes of the embedding space that each carry one
readable meaning, and every word is a sum of a few of them. Words shown: {e(display.describe())}.</p>
{nav}
<div class=first>
<section id="axes"><h2>The first {n_first} axes</h2>{_axes_html(ica, n_first, 8, stats=False)}</section>
<div><section id="composition"><h2>One word, a few axes</h2>{_composition_html(ica, word, 3)}</section>
<section id="scatter"><h2>Two axes: {e(word)} between their spikes</h2>
{scatter}{_between_html(ica, x, y)}</section></div>
</div>
{explorer_link}
<section id="summary"><h2>Summary</h2><dl class=kv>{kv}</dl>
<p>Files: <a href="axes.csv">axes.csv</a> (every axis, ICA and PCA), <a href="model/">model/</a>
(the fitted models; load with <code>icaxes.load_model</code>), <code>figures/</code>
(PNG and SVG).</p></section>
<section id="convergence"><h2>Convergence</h2>
<p>FastICA (symmetric, log cosh) {conv} after {summary['iterations']:,} iterations;
final change {summary['final_change']:.2e} (tolerance {summary['tol']:.0e}).</p></section>
<section id="ica-vs-pca"><h2>ICA vs PCA</h2>{versus}
<h3>Non-Gaussianity</h3>{ng_html}</section>
<section id="figures"><h2>Figures</h2>{figs}</section>
<section id="all-axes"><h2>All axes</h2><h3>ICA</h3>{_axes_html(ica)}
<details><summary>PCA axes (baseline)</summary>{_axes_html(pca)}</details></section>
<footer><p class=sub>Made by icaxes.</p></footer>
</body></html>
"""


# ----------------------------------------------------------------------------- demo
@dataclass
class DemoResult:
    """The demo's report and models."""

    report: Report
    ica: AxisModel
    pca: AxisModel
    seconds: float


def run_demo(output: str | Path, *, source: str = "glove-6b-50d",
             scatter: tuple[int | str, int | str] | None = None, explorer: bool = True,
             console: Any = None, word: str | None = None, **fit_options: Any) -> DemoResult:
    """Fit ICA and PCA on ``source`` and write the whole report folder atomically.

    ``output`` gets ``model/`` (as written by :func:`~icaxes.fitting.fit_source`),
    ``figures/``, ``axes.csv``, ``nongaussianity.csv``, ``explorer.html`` and ``index.html``;
    nothing is left behind when any step fails or is interrupted.

    Parameters
    ----------
    output : path-like
    source : str, default "glove-6b-50d"
        A built-in source or a path (see :func:`icaxes.load_embeddings`).
    scatter : (x, y), optional
        Axes of the scatter figure; default: the two strongest axes of ``word``.
    explorer : bool, default True
    console : rich.console.Console, optional
        Where progress goes (default stderr).
    word : str, optional
        The word whose composition the page shows (default: ``ferrari`` where the model reads
        it, see :func:`showcase_word`).
    **fit_options
        Keyword arguments of :func:`~icaxes.fitting.fit_source` (``limit``, ``seed``,
        ``select``, ...), the same as ``icaxes fit``: by default ICA is fitted on, and the axes
        are read from, the 50,000 most frequent alphabetic words.
    force : bool, default False
        Replace an existing ``output`` even if icaxes did not write it (see
        :mod:`icaxes.io.atomic`); never one holding ``source``.
    """
    from rich.console import Console

    from icaxes.fitting import fit_source
    from icaxes.io.atomic import check_output_dir

    console = console or Console(stderr=True)
    output = Path(output)
    force = bool(fit_options.pop("force", False))
    check_output_dir(output, inputs=[source], force=force)
    limit, seed = fit_options.get("limit"), fit_options.get("seed", 0)
    t0 = time.perf_counter()
    with atomic_dir(output, force=force, inputs=[source]) as tmp:
        console.print(f"[bold]1/2[/] fitting ICA and PCA on {source}"
                      f"{f' (first {limit:,} rows)' if limit else ''}", highlight=False)
        fit = fit_source(source, tmp / "model", progress=True, **fit_options)
        ica, pca = fit.ica, fit.pca
        fit_s = time.perf_counter() - t0
        total = 6 if explorer else 5
        with ProgressBar("2/2 report: starting", total=total, count=True, console=console,
                         transient=False) as bar:

            def step(msg: str) -> None:
                bar.update(description=f"2/2 report: {msg}")
                if msg != "figures":
                    bar.advance()

            run = {"source": source, "limit": limit, "seed": seed, "fit_seconds": round(fit_s, 1)}
            rep = build_report(ica, pca, tmp, name=source, scatter=scatter, seed=seed, run=run,
                               explorer=explorer, step=step, word=word)
            bar.update(total, description="2/2 report: done")
        seconds = time.perf_counter() - t0
        rep.summary["seconds"] = round(seconds, 1)
        (tmp / "summary.json").write_text(json.dumps(rep.summary, indent=2, default=str),
                                          encoding="utf-8")
    rep = _moved(rep, tmp, output)
    return DemoResult(rep, ica, pca, seconds)
