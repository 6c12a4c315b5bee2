"""Rewrite the numbers of docs/results.md and docs/universality.md from reports of the current code.

    make docs       # the commands below (icaxes from .venv)

    icaxes evaluate glove-6b-50d --tasks all --refits 3 -o results
    icaxes universal configs/universal.toml -o universal-report
    icaxes universal configs/universal-paper-static.toml -o universal-paper-static-report
    icaxes universal configs/universal-paper-languages.toml -o universal-paper-languages-report
    python scripts/regenerate-docs.py --results results --universal universal-report \
        --paper-static universal-paper-static-report --paper-languages universal-paper-languages-report

Every number of the two pages sits in a block between ``<!-- begin generated: KEY -->`` and
``<!-- end generated: KEY -->``. This script rewrites those blocks from the report folders and
copies the universality figures into docs/figures; the prose around the blocks says what the
numbers mean and is never touched. Keys:

- ``results:NAME``: the table ``NAME.csv`` of an ``icaxes evaluate`` folder (``similarity``,
  ``alignment`` ...);
- ``REPORT:PART``: a part (see :data:`UNIVERSAL`) of one of the ``icaxes universal`` reports
  of :data:`REPORTS` (``universal``, ``paper-static``, ``paper-languages``).

A block whose report is not given, or that ``--keys`` leaves out, is left as it is (named on
stderr); a block whose report lacks its table is an error, so stale numbers cannot survive a
regeneration silently.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections.abc import Callable
from pathlib import Path

import pandas as pd
from PIL import Image

from icaxes.evaluate.run import markdown_table
from icaxes.universal.report import summary_by_axis_markdown, summary_table_markdown

ROOT = Path(__file__).resolve().parents[1]
DOCS = ("docs/results.md", "docs/universality.md")
BLOCK = re.compile(r"(<!-- begin generated: (?P<key>[\w:.-]+) -->\n)(?P<body>.*?)"
                   r"(<!-- end generated: (?P=key) -->)", re.S)
#: the universality reports: their name (the option ``--NAME`` and the key prefix ``NAME:``), the
#: config ``make docs`` runs for it, and the figures copied into docs/figures (compressed), report
#: figure -> docs/figures/universality-NAME.png
REPORTS: dict[str, tuple[str, dict[str, str]]] = {
    "universal": ("configs/universal.toml", {f: f for f in [
        "use-languages-summary", "use-languages-merged-ica", "use-languages-merged-pca",
        "use-languages-matched-r", "use-languages-corr-ja_use", "use-languages-projection-ja_use",
        "e5-languages-matched-r", "english-models-matched-r", "static-languages-merged-ica",
        "contextual-tokens-matched-r", "contextual-tokens-merged-ica",
        "images-matched-r", "images-top-images-images"]}),
    "paper-static": ("configs/universal-paper-static.toml",
                     {"static-languages-summary": "paper-static-summary"}),
    "paper-languages": ("configs/universal-paper-languages.toml",
                        {"use-languages-summary": "paper-languages-summary"}),
}


class Report:
    """An ``icaxes universal`` report folder, read once."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.summary = pd.read_csv(folder / "tables" / "summary.csv")
        self.embeddings = pd.read_csv(folder / "tables" / "embeddings.csv")
        self.run = json.loads((folder / "run.json").read_text(encoding="utf-8"))
        by_axis = pd.concat([pd.read_csv(p) for p in sorted((folder / "tables").glob("by-axis-*.csv"))],
                            ignore_index=True)
        order = {c: i for i, c in enumerate(dict.fromkeys(self.summary.comparison))}  # the config's order
        self.by_axis = by_axis.sort_values(["comparison", "method", "rank"], key=lambda col: col.map(order)
                                           if col.name == "comparison" else col, kind="stable")

    def pairs(self, method: str) -> pd.DataFrame:
        return self.summary[self.summary.method == method].set_index(["comparison", "target"])


def _embeddings(rep: Report) -> str:
    df = rep.embeddings
    rows = ["| key | source | lang | rows x dims | ICA axes | converged |", "|---|---|---|---:|---:|---|"]
    rows += [f"| {r.key} | `{r.spec}` | {r.lang} | {r.rows:,} x {r.dim} | {r.axes} | {r.ica_converged} |"
             for r in df.itertuples()]
    return "\n".join(rows)


def _settings(rep: Report) -> str:
    s = rep.run["settings"]  # "matching" was called "method" in reports written before it was renamed
    k = s["n_components"]
    dims = "all dimensions" if k in (None, 0, "all") else f"the first {k} whitened dimensions"
    conv = rep.embeddings.ica_converged.astype(str).str.lower() == "true"
    matching = s.get("matching", s.get("method", "greedy"))
    return (f"ICA (seed {s['seed']}) on {dims} at tol {s['tol']:g} (at most {s['max_iter']:,} "
            f"iterations); PCA on the same dimensions. {int(conv.sum())} of {len(conv)} ICA fits "
            f"converged. {matching.capitalize()} matching; {s['n_permutations']} shuffles for the "
            f"null; correlations weighted by the pair weights, the paper's unweighted ones beside them.")


def _share(rep: Report, col: str, label: str) -> str:
    ica, pca = rep.pairs("ica"), rep.pairs("pca")
    wins = ica[col] > pca[col]
    lose = [f"{c}/{t} ({ica.loc[(c, t), col]:.3f} vs {pca.loc[(c, t), col]:.3f})"
            for c, t in ica.index[~wins]]
    text = f"ICA's {label} is higher than PCA's for {int(wins.sum())} of {len(wins)} reference/target pairs"
    return text + (f"; not for {', '.join(lose)}." if lose else ".")


def _facts(rep: Report) -> str:
    ica, pca = rep.pairs("ica"), rep.pairs("pca")
    out = [f"- {_share(rep, 'mean_top10', 'top-10 mean matched r')}",
           f"- {_share(rep, 'mean_top50', 'top-50 mean')}"]
    alt = next((c for c in ica.columns if c.startswith("mean_top10_")), None)
    if alt:
        out.append(f"- Under the other weighting ({alt[len('mean_top10_'):]}): "
                   f"{_share(rep, alt, 'top-10 mean')}")
    out.append(f"- {_share(rep, 'top1', 'single best match')}")
    more = [f"{c}/{t} ({int(pca.loc[(c, t), 'above_chance'])} vs {int(ica.loc[(c, t), 'above_chance'])})"
            for c, t in ica.index if pca.loc[(c, t), "above_chance"] >= ica.loc[(c, t), "above_chance"]]
    if more:
        out.append(f"- PCA has at least as many above-chance axes as ICA for {', '.join(more)}.")
    th = ica.null_threshold
    lo, hi = ica.loc[th.idxmin()], ica.loc[th.idxmax()]
    out.append(f"- The shuffled-pair thresholds lie between {th.min():.2f} ({int(lo.n_pairs):,} pairs) and "
               f"{th.max():.2f} ({int(hi.n_pairs):,} pairs).")
    best = ica.top1.sort_values(ascending=False).head(3)
    out.append("- The strongest single ICA matches: "
               + ", ".join(f"{c}/{t} {v:.2f}" for (c, t), v in best.items()) + ".")
    return "\n".join(out)


def _images(rep: Report) -> str:
    ica = rep.pairs("ica")
    img = [(c, t) for c, t in ica.index if c == "images"]
    if not img:
        return "(no image comparison in this report)"
    r = ica.loc[img[0]]
    n_img = int(rep.embeddings.set_index("key").loc[img[0][1], "rows"])
    return (f"{int(r.target_tokens):,} of the {n_img:,} images have a class word among the reference's "
            f"words, which gives {int(r.n_pairs):,} pair rows over {int(r.source_tokens)} distinct words.")


def _paper(rep: Report) -> str:
    """What the paper reports, what this report gets, and why they differ."""
    ica, pca = rep.pairs("ica"), rep.pairs("pca")
    ba = rep.by_axis
    rows = ["| claim | the paper | here | why they differ |", "|---|---|---|---|"]

    def avg(comp: str, method: str, rank: int) -> float | None:
        g = ba[(ba.comparison == comp) & (ba.method == method)].sort_values("rank")
        return float(g.average.iloc[rank - 1]) if len(g) >= rank else None

    if (ba.comparison == "use-languages").any():
        n = int((ica.index.get_level_values(0) == "use-languages").sum())
        i1, i50, p1 = avg("use-languages", "ica", 1), avg("use-languages", "ica", 50), avg("use-languages",
                                                                                          "pca", 1)
        n_axes = int(((ba.comparison == "use-languages") & (ba.method == "ica")).sum())
        here = (f"ICA {i1:.2f} at the top axis" + (f", {i50:.2f} at axis 50" if i50 is not None else "")
                + f" (of {n_axes} axes)")
        rows.append(f"| cross-lingual: average over languages of the matched r, reference axes by summed r | "
                    f"ICA ~0.55 at the top axis, ~0.3 at axis 50; PCA ~0.33 at the top axis (six languages, "
                    f"fastText 300d, 50,000 words) | {here}; PCA {p1:.2f} at the top axis ({n} languages) | "
                    "one multilingual encoder made every language here (easier), from fewer words; the "
                    "paper's languages come from separately trained fastText models |")
        sub = ica.loc["use-languages"]
        t = sub.top1.idxmax()
        rows.append(f"| the best single language | 0.72 (Russian), 0.67 (Spanish) | {sub.top1.max():.2f} "
                    f"({t}) | as above |")
    if "static-languages" in ica.index.get_level_values(0):
        sub, subp = ica.loc["static-languages"], pca.loc["static-languages"]
        rows.append("| separately trained static models share axes | yes, ICA above PCA | top-10 mean ICA "
                    + ", ".join(f"{sub.loc[t, 'mean_top10']:.2f}" for t in sub.index) + " vs PCA "
                    + ", ".join(f"{subp.loc[t, 'mean_top10']:.2f}" for t in subp.index)
                    + " | different corpora and widths (GloVe 50d, fastText and chiVe 300d) |")
    if "contextual-tokens" in ica.index.get_level_values(0):
        sub, subp = ica.loc["contextual-tokens"], pca.loc["contextual-tokens"]
        rows.append("| contextual tokens share axes with static words | BERT tokens vs fastText words: ICA "
                    "above PCA | top-10 mean ICA " + ", ".join(f"{sub.loc[t, 'mean_top10']:.2f} ({t})"
                                                              for t in sub.index)
                    + " vs PCA " + ", ".join(f"{subp.loc[t, 'mean_top10']:.2f}" for t in subp.index)
                    + " | MiniLM (384d, 6 layers) on WordNet glosses instead of BERT (768d) on news text |")
    if "images" in ica.index.get_level_values(0):
        r, rp = ica.loc["images"].iloc[0], pca.loc["images"].iloc[0]
        rows.append(f"| images share axes with words | 100 images from each of 1,000 ImageNet classes, five "
                    f"models: ICA above PCA | Fashion-MNIST, 10 classes: top-10 mean ICA {r.mean_top10:.2f} "
                    f"vs PCA {rp.mean_top10:.2f} | {int(r.source_tokens)} distinct class words can tell "
                    f"apart at most {int(r.source_tokens) - 1} directions (see below) |")
    return "\n".join(rows)


def _targets(rep: Report) -> str:
    """One row per target: pairs, then ICA beside PCA for the headline numbers and the null."""
    ica, pca = rep.pairs("ica"), rep.pairs("pca")
    n_axes = sorted({int(v) for v in ica.n_axes})
    axes = f" (of {n_axes[0]:,})" if len(n_axes) == 1 else ""
    rows = ["| comparison | target | pairs | top-1 ICA / PCA | top-10 mean ICA / PCA | "
            f"top-50 mean ICA / PCA | shuffled-pair threshold ICA / PCA | above chance ICA / PCA{axes} |",
            "|---|---|---:|---|---|---|---|---|"]
    cols = ("top1", "mean_top10", "mean_top50", "null_threshold")
    for key in ica.index:
        i, p = ica.loc[key], pca.loc[key]
        cells = [f"{i[c]:.3f} / {p[c]:.3f}" for c in cols]
        count = f"{int(i.above_chance)} / {int(p.above_chance)}" + ("" if axes else f" (of {int(i.n_axes)})")
        rows.append(f"| {key[0]} | {key[1]} | {int(i.n_pairs):,} | " + " | ".join(cells) + f" | {count} |")
    return "\n".join(rows)


def _cost(rep: Report) -> str:
    """What the run took: its wall time, the fits it computed and the words it encoded."""
    st = rep.run.get("stats", {})
    minutes = float(st.get("seconds", 0)) / 60
    return (f"{minutes:.0f} minutes of wall time for the whole run, {st.get('fits_computed', 0)} fits "
            f"computed ({st.get('fit_cache_hits', 0)} from the cache) and {st.get('encoded_words', 0):,} "
            f"words encoded ({st.get('encoding_cache_hits', 0)} encodings from the cache)")


#: the parts of a universality report, the ``REPORT:PART`` blocks
UNIVERSAL: dict[str, Callable[[Report], str]] = {
    "settings": _settings,
    "embeddings": _embeddings,
    "summary": lambda rep: summary_table_markdown(rep.summary),
    "by-axis": lambda rep: summary_by_axis_markdown(rep.by_axis.to_dict("records")),
    "facts": _facts,
    "images": _images,
    "paper": _paper,
    "targets": _targets,
    "cost": _cost,
}


def copy_figures(report: Path, docs: Path, figures: dict[str, str], width: int = 760) -> int:
    """Copy the ``figures`` of a report (its name -> the docs name) into ``docs`` as compressed PNGs;
    returns the bytes written."""
    src = report / "figures"
    docs.mkdir(parents=True, exist_ok=True)
    total = 0
    for name, docs_name in figures.items():
        p = src / f"{name}.png"
        if not p.exists():
            print(f"missing figure {p}", file=sys.stderr)
            continue
        im = Image.open(p).convert("RGB")
        if im.width > width:
            im = im.resize((width, round(im.height * width / im.width)), Image.LANCZOS)
        out = docs / f"universality-{docs_name}.png"
        im.quantize(colors=64, method=Image.Quantize.MEDIANCUT).save(out, optimize=True)
        total += out.stat().st_size
    return total


def render(key: str, results: Path | None, reports: dict[str, Report],
           keys: set[str] | None = None) -> str | None:
    """The new body of block ``key`` (None: its report was not given, or ``keys`` leaves it out)."""
    if keys is not None and key not in keys:
        return None
    kind, _, name = key.partition(":")
    if kind == "results":
        if results is None:
            return None
        path = results / f"{name}.csv"
        if not path.exists():
            raise SystemExit(f"{path} does not exist: run icaxes evaluate with that task")
        return markdown_table(pd.read_csv(path))
    if kind in REPORTS:
        if kind not in reports:
            return None
        if name not in UNIVERSAL:
            raise SystemExit(f"unknown block {key}; known parts: {', '.join(UNIVERSAL)}")
        return UNIVERSAL[name](reports[kind])
    raise SystemExit(f"unknown block kind in {key!r}: use results:NAME or one of "
                     f"{', '.join(k + ':PART' for k in REPORTS)}")


def rewrite(path: Path, results: Path | None, reports: dict[str, Report] | None = None,
            keys: set[str] | None = None) -> tuple[int, list[str]]:
    """Rewrite the generated blocks of one page; returns (blocks rewritten, blocks left)."""
    text = path.read_text(encoding="utf-8")
    done, left = 0, []

    def sub(m: re.Match) -> str:
        nonlocal done
        body = render(m["key"], results, reports or {}, keys)
        if body is None:
            left.append(m["key"])
            return m[0]
        done += 1
        return f"{m[1]}{body.rstrip()}\n{m[4]}"

    new = BLOCK.sub(sub, text)
    if new != text:
        tmp = path.with_suffix(".md.tmp")
        tmp.write_text(new, encoding="utf-8")
        tmp.replace(path)
    return done, left


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--results", type=Path, help="an icaxes evaluate output folder")
    for name, (config, _) in REPORTS.items():
        ap.add_argument(f"--{name}", type=Path, dest=name.replace("-", "_"),
                        help=f"the icaxes universal report folder of {config}")
    ap.add_argument("--keys", help="rewrite only these blocks (comma-separated, e.g. results:alignment), "
                    "for a report of some tasks only")
    args = ap.parse_args(argv)
    folders = {name: getattr(args, name.replace("-", "_")) for name in REPORTS}
    folders = {k: v for k, v in folders.items() if v is not None}
    if args.results is None and not folders:
        ap.error("give --results and/or a report (" + ", ".join(f"--{k}" for k in REPORTS) + ")")
    for folder in (args.results, *folders.values()):
        if folder is not None and not folder.is_dir():
            ap.error(f"{folder} is not a folder")
    reports = {name: Report(folder) for name, folder in folders.items()}
    for name, folder in folders.items():
        kb = copy_figures(folder, ROOT / "docs" / "figures", REPORTS[name][1]) / 1024
        print(f"figures of {name}: {kb:.0f} KB", file=sys.stderr)
    keys = None if args.keys is None else {k.strip() for k in args.keys.split(",") if k.strip()}
    for doc in DOCS:
        done, left = rewrite(ROOT / doc, args.results, reports, keys)
        print(f"{doc}: {done} blocks rewritten" + (f", left as they were: {', '.join(left)}" if left else ""),
              file=sys.stderr)


if __name__ == "__main__":
    main()
