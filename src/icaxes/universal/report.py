"""Write the report folder of a universality study: figures, CSV tables, index.md and index.html."""

from __future__ import annotations

import html
import json
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from icaxes.io.atomic import atomic_dir
from icaxes.universal import figures
from icaxes.universal.pipeline import (
    BY_AXIS_KEYS,
    FIT_STATS,
    ComparisonResult,
    Config,
    Fitted,
    fit_embedding,
    load_config,
    match_rows,
    run_comparison,
    summary_by_axis,
    summary_rows,
)


@dataclass
class UniversalReport:
    """What :func:`run_universal` computed and where it wrote it."""

    output: Path
    config: Config
    fitted: dict[str, Fitted]
    comparisons: list[ComparisonResult]
    summary: pd.DataFrame
    stats: dict[str, int]


def _slug(s: str) -> str:
    return "".join(c if c.isalnum() or c in "-_" else "-" for c in s)


def run_universal(config: Config | str | Path, output: str | Path, *, progress: bool = False,
                  log=print, force: bool = False) -> UniversalReport:
    """Fit every embedding of a config, run its comparisons and write the report folder.

    Parameters
    ----------
    config : Config or path
        A parsed config or a TOML file (see :mod:`icaxes.universal.pipeline`).
    output : path
        Report folder; written atomically (replaced only when everything succeeded).
    progress : bool, default False
        Progress bars for encoding, fitting and the permutation null.
    log : callable
        Receives one line per step.
    force : bool, default False
        Replace an existing ``output`` even if icaxes did not write it (see
        :mod:`icaxes.io.atomic`).

    Returns
    -------
    UniversalReport
    """
    from icaxes.io.atomic import check_output_dir
    from icaxes.io.encoders import CACHE_STATS

    cfg = config if isinstance(config, Config) else load_config(config)
    inputs = [] if isinstance(config, Config) else [config]
    check_output_dir(output, inputs=inputs, force=force)
    s = cfg.settings
    enc_before, fit_before = dict(CACHE_STATS), dict(FIT_STATS)
    t0 = time.time()
    used = {k for c in cfg.comparisons for k in [c.reference, *c.targets]}
    fitted: dict[str, Fitted] = {}
    for key in cfg.embeddings:
        if key not in used:
            continue
        t = time.time()
        fitted[key] = fit_embedding(cfg.embeddings[key], s, progress=progress)
        f = fitted[key]
        log(f"{key}: {len(f.emb):,} x {f.emb.dim} ({f.spec.spec}), ICA {f.ica.n_axes} axes"
            f"{'' if f.converged else ' (not converged)'} [{time.time() - t:.0f}s]")
    results: list[ComparisonResult] = []
    for comp in cfg.comparisons:
        t = time.time()
        cr = run_comparison(comp, fitted, s, progress=progress)
        results.append(cr)
        for tgt, pr in cr.results.items():
            log(f"{comp.name}: {comp.reference} vs {tgt}: {pr.ica.n_pairs:,} pairs, "
                f"top-10 mean r ICA {pr.ica.mean_top(10):.3f} / PCA {pr.pca.mean_top(10):.3f}, "
                f"above chance ICA {int(pr.ica.above_chance.sum())} / PCA {int(pr.pca.above_chance.sum())}")
        for tgt, why in cr.skipped.items():
            log(f"{comp.name}: skipped {tgt}: {why}")
        log(f"{comp.name} done [{time.time() - t:.0f}s]")
    summary = pd.DataFrame([r for cr in results for r in summary_rows(cr)])
    stats = {
        "encoded_words": CACHE_STATS.get("encoded", 0) - enc_before.get("encoded", 0),
        "encoding_cache_hits": CACHE_STATS.get("hit", 0) - enc_before.get("hit", 0),
        "fit_cache_hits": FIT_STATS.get("fit_hit", 0) - fit_before.get("fit_hit", 0),
        "fits_computed": FIT_STATS.get("fit_miss", 0) - fit_before.get("fit_miss", 0),
        "seconds": round(time.time() - t0, 1),
    }
    out = Path(output)
    with atomic_dir(out, force=force, inputs=inputs) as tmp:
        _write(tmp, cfg, fitted, results, summary, stats)
    log(f"report written to {out} ({stats})")
    return UniversalReport(out, cfg, fitted, results, summary, stats)


def _write(folder: Path, cfg: Config, fitted: dict[str, Fitted], results: list[ComparisonResult],
           summary: pd.DataFrame, stats: dict[str, Any]) -> None:
    s = cfg.settings
    (folder / "figures").mkdir()
    (folder / "tables").mkdir()
    summary.to_csv(folder / "tables" / "summary.csv", index=False, float_format="%.4f")
    emb_rows = [{"key": k, "spec": f.spec.spec, "lang": f.spec.lang, "rows": len(f.emb), "dim": f.emb.dim,
                 "axes": f.ica.n_axes, "ica_converged": f.converged} for k, f in fitted.items()]
    pd.DataFrame(emb_rows).to_csv(folder / "tables" / "embeddings.csv", index=False)
    pair_rows = []
    by_axis_rows: list[dict[str, Any]] = []
    figs: dict[str, list[str]] = {}
    for cr in results:
        name = _slug(cr.comparison.name)
        pd.DataFrame(match_rows(cr)).to_csv(folder / "tables" / f"matches-{name}.csv", index=False,
                                            float_format="%.4f")
        by_axis = summary_by_axis(cr)
        by_axis_rows += by_axis
        pd.DataFrame(by_axis).to_csv(folder / "tables" / f"by-axis-{name}.csv", index=False,
                                     float_format="%.4f")
        for t, pr in cr.results.items():
            pair_rows.append({"comparison": cr.comparison.name, "reference": cr.comparison.reference,
                              "target": t, "pairs": cr.comparison.pairs, **pr.pairs.report})
        fl: list[str] = []
        fl += figures.matched_curves(cr, folder / "figures" / f"{name}-matched-r")
        fl += figures.summary_curves(cr, folder / "figures" / f"{name}-summary")
        fl += figures.merged_heatmap(cr, folder / "figures" / f"{name}-merged-ica", n_axes=s["merged_axes"])
        fl += figures.merged_heatmap(cr, folder / "figures" / f"{name}-merged-pca", n_axes=s["merged_axes"],
                                     method="pca")
        ref_slug = _slug(cr.comparison.reference)
        fl += figures.projection_plot(cr, None, folder / "figures" / f"{name}-projection-{ref_slug}")
        for t in cr.results:
            fl += figures.correlation_heatmaps(cr, t, folder / "figures" / f"{name}-corr-{_slug(t)}",
                                               n_axes=s["heatmap_axes"])
            if cr.targets[t].images is not None:
                fl += figures.top_images(cr, t, folder / "figures" / f"{name}-top-images-{_slug(t)}")
                fl += figures.top_images(cr, t, folder / "figures" / f"{name}-top-images-pca-{_slug(t)}",
                                         method="pca")
            else:
                fl += figures.projection_plot(cr, t, folder / "figures" / f"{name}-projection-{_slug(t)}")
        figs[cr.comparison.name] = [str(p.relative_to(folder)) for p in fl if p.suffix == ".png"]
    pd.DataFrame(pair_rows).fillna(0).to_csv(folder / "tables" / "pairs.csv", index=False)
    run = {"config": str(cfg.path) if cfg.path else None, "settings": s, "stats": stats,
           "embeddings": emb_rows, "figures": figs}
    (folder / "run.json").write_text(json.dumps(run, indent=2, default=str), encoding="utf-8")
    md = _markdown(cfg, summary, emb_rows, figs, stats, summary_by_axis_markdown(by_axis_rows))
    (folder / "index.md").write_text(md, encoding="utf-8")
    (folder / "index.html").write_text(_html(cfg, summary, emb_rows, figs), encoding="utf-8")


def summary_by_axis_markdown(rows: list[dict[str, Any]], tops: tuple[int, ...] = (1, 10, 50, 100)) -> str:
    """The paper's summary table from :func:`summary_by_axis` rows: the average over targets of
    the matched r of the first 1, 10, 50 ... reference axes (in summed order), ICA beside PCA."""
    df = pd.DataFrame(rows)
    head = " | ".join(f"ICA top-{k} | PCA top-{k}" for k in tops)
    lines = [f"| comparison | targets | axes | {head} |", "|---|---:|---:|" + "---:|---:|" * len(tops)]
    for comp, g in df.groupby("comparison", sort=False):
        n_targets = len([c for c in g.columns if c not in BY_AXIS_KEYS and g[c].notna().any()])
        cells = []
        for k in tops:
            for method in ("ica", "pca"):
                avg = g[g.method == method].sort_values("rank")["average"].to_numpy()
                cells.append(f"{avg[:k].mean():.3f}" if len(avg) >= k else "")
        n_axes = int((g.method == "ica").sum())
        lines.append(f"| {comp} | {n_targets} | {n_axes} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def summary_table_markdown(summary: pd.DataFrame) -> str:
    """The docs table: ICA and PCA side by side for each reference/target pair.

    The top-10 means under the other pair weighting (``mean_top10_unweighted`` or
    ``mean_top10_weighted``, see :data:`icaxes.universal.pipeline.WEIGHTINGS`) follow when
    the summary has them.
    """
    alt = next((c[len("mean_top10_"):] for c in summary.columns if c.startswith("mean_top10_")), None)
    head = ("| comparison | reference | target | pairs | ICA top-10 | PCA top-10 | ICA top-50 | "
            "PCA top-50 | above chance ICA | above chance PCA |")
    sep = "|---|---|---|---:|---:|---:|---:|---:|---:|---:|"
    if alt:
        head += f" ICA top-10 {alt} | PCA top-10 {alt} |"
        sep += "---:|---:|"
    lines = [head, sep]
    for (comp, ref, tgt), g in summary.groupby(["comparison", "reference", "target"], sort=False):
        i = g[g.method == "ica"].iloc[0]
        p = g[g.method == "pca"].iloc[0]
        line = (f"| {comp} | {ref} | {tgt} | {int(i.n_pairs):,} | {i.mean_top10:.3f} | "
                f"{p.mean_top10:.3f} | "
                f"{i.mean_top50:.3f} | {p.mean_top50:.3f} | {int(i.above_chance)} / {int(i.n_axes)} | "
                f"{int(p.above_chance)} / {int(p.n_axes)} |")
        if alt:
            line += f" {i[f'mean_top10_{alt}']:.3f} | {p[f'mean_top10_{alt}']:.3f} |"
        lines.append(line)
    return "\n".join(lines)


def _markdown(cfg: Config, summary: pd.DataFrame, emb_rows, figs, stats, by_axis: str = "") -> str:
    s = cfg.settings
    out = ["# Universality report", "",
           f"Settings: ICA on {s['n_components']} whitened dimensions, tol {s['tol']}, seed {s['seed']}; "
           f"{s['matching']} matching; permutation null with {s['n_permutations']} shuffles, "
           f"alpha {s['alpha']} "
           "(a matched r is above chance when it exceeds the 95th percentile of the largest matched r "
           "over shuffled pairs).", "",
           "## Embeddings", "", "| key | spec | lang | rows | dim | axes | ICA converged |",
           "|---|---|---|---:|---:|---:|---|"]
    out += [f"| {r['key']} | `{r['spec']}` | {r['lang']} | {r['rows']:,} | {r['dim']} | {r['axes']} | "
            f"{r['ica_converged']} |" for r in emb_rows]
    out += ["", "## Matched correlations", "", summary_table_markdown(summary), ""]
    if by_axis:
        out += ["## Averaged over the targets (the paper's summary)", "",
                "Reference axes ordered by their matched r summed over all targets; the mean over "
                "the first k of the targets' average (tables/by-axis-*.csv).", "", by_axis, ""]
    for comp, fl in figs.items():
        out += [f"## {comp}", ""] + [f"![{Path(f).stem}]({f})" for f in fl] + [""]
    out += [f"Run statistics: {stats}", ""]
    return "\n".join(out)


def _html(cfg: Config, summary: pd.DataFrame, emb_rows, figs) -> str:
    esc = html.escape
    parts = ["<!doctype html><html><head><meta charset='utf-8'><title>icaxes universality report</title>",
             "<style>body{font-family:sans-serif;max-width:1100px;margin:auto}table{border-collapse:collapse}"
             "td,th{border:1px solid #ccc;padding:2px 6px;font-size:13px}img{max-width:100%}</style>",
             "</head><body>",
             "<h1>Universality report</h1>",
             pd.DataFrame(emb_rows).to_html(index=False, escape=True),
             "<h2>Matched correlations</h2>",
             summary.to_html(index=False, float_format=lambda v: f"{v:.3f}", escape=True)]
    for comp, fl in figs.items():
        parts.append(f"<h2>{esc(comp)}</h2>")
        parts += [f"<p><img src='{esc(f)}' alt='{esc(Path(f).stem)}'></p>" for f in fl]
    parts.append("</body></html>")
    return "\n".join(parts)
