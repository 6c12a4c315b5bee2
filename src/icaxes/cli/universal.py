"""Universality commands: match the axes of two models, run a study from a config."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from icaxes.cli._app import ForceOption, app, err, out
from icaxes.cli._text import shown as escape


def _pairs_for(spec, a, b):
    """The pairs of a ``--pairs`` value (one parser for match, explore and serve:
    :func:`icaxes.universal.pairs.parse_pairs`)."""
    from icaxes.universal.pairs import pairs_from_spec

    return pairs_from_spec(spec, a, b)


@app.command()
def match(
    model_a: Annotated[Path, typer.Argument(help="First model folder (icaxes fit).")],
    model_b: Annotated[Path, typer.Argument(help="Second model folder.")],
    pairs: Annotated[str, typer.Option("--pairs", "-p",
                                       help="same | freedict:SRC-TGT (e.g. freedict:en-fr) | MUSE file.")]
    = "same",
    method: Annotated[str, typer.Option(help="Matching: greedy (the paper) or optimal (Hungarian).")]
    = "greedy",
    weighting: Annotated[str, typer.Option(help="Pair weights: weighted (1/fan-out of a dictionary "
                                           "word) or unweighted (the paper).")] = "weighted",
    permutations: Annotated[int, typer.Option(help="Shuffles for the permutation null (0: none).")] = 100,
    seed: Annotated[int, typer.Option(help="Seed of the shuffles.")] = 0,
    top: Annotated[int, typer.Option(help="Matched axes to print.")] = 15,
    output: Annotated[Path | None, typer.Option("-o", "--output", help="Write all matches as CSV.")] = None,
) -> None:
    """Match the ICA axes of two models (and, for comparison, their PCA axes) over token pairs."""
    import pandas as pd

    from icaxes.io.atomic import atomic_file, check_output_file
    from icaxes.model import load_model
    from icaxes.universal.pairs import parse_pairs
    from icaxes.universal.pipeline import match_models

    if output is not None:
        check_output_file(output, inputs=[model_a, model_b])
    pair_spec = parse_pairs(pairs)  # a bad --pairs stops before the models are read
    rows = []
    for kind in ("ica", "pca"):
        a = load_model(model_a, kind)
        b = load_model(model_b, kind)
        p = _pairs_for(pair_spec, a, b).restrict(a, b)
        if kind == "ica":
            err.print(escape(p.summary()))
        m = match_models(a, b, p, method=method, n_permutations=permutations, seed=seed, progress=True,
                         weighting=weighting)
        thr = m.null.threshold if m.null else float("nan")
        err.print(f"{kind.upper()}: {len(p):,} pairs; mean matched r top-10 {m.mean_top(10):.3f}, "
                  f"top-50 {m.mean_top(50):.3f}; above chance {int(m.above_chance.sum())} of {len(m.r)} "
                  f"(null threshold {thr:.3f})")
        for rank, (i, j) in enumerate(zip(m.rows, m.cols, strict=True)):
            rows.append({"method": kind, "rank": rank, "axis_a": int(i), "axis_b": int(j),
                         "r": float(m.corr[i, j]), "above_chance": bool(m.above_chance[rank]),
                         "top_a": " ".join(a.top_tokens(int(i), 5)),
                         "top_b": " ".join(b.top_tokens(int(j), 5))})
    table = Table("rank", "A axis", "B axis", "r", "A top tokens", "B top tokens", title="ICA matched axes")
    for r in [r for r in rows if r["method"] == "ica"][:top]:
        table.add_row(str(r["rank"] + 1), str(r["axis_a"]), str(r["axis_b"]),
                      f"{r['r']:.3f}{'' if r['above_chance'] else ' ?'}",
                      escape(r["top_a"]), escape(r["top_b"]))
    out.print(table)
    if output is not None:
        with atomic_file(output, inputs=[model_a, model_b]) as tmp:
            pd.DataFrame(rows).to_csv(tmp, index=False, float_format="%.4f")
        err.print(f"wrote {output}")


@app.command()
def universal(
    config: Annotated[Path, typer.Argument(help="TOML config naming embeddings and comparisons "
                                           "(see configs/universal.toml).")],
    output: Annotated[Path, typer.Option("-o", "--output", help="Report folder to write.")] = Path(
        "universal-report"),
    force: ForceOption = False,
) -> None:
    """Fit ICA/PCA on every embedding of CONFIG, match axes across them and write a report folder."""
    from icaxes.universal.report import run_universal

    run_universal(config, output, progress=True, log=lambda s: err.print(escape(s), highlight=False),
                  force=force)
