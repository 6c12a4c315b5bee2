"""Universality commands: match the axes of two models, run a study from a config."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from icaxes.cli._app import ForceOption, app, err, out
from icaxes.cli._text import shown as escape


@app.command()
def match(
    model_a: Annotated[Path, typer.Argument(help="First model folder (icaxes fit).")],
    model_b: Annotated[Path, typer.Argument(help="Second model folder.")],
    pairs: Annotated[str, typer.Option("--pairs", "-p",
                                       help="same | freedict:SRC-TGT (e.g. freedict:en-fr) | MUSE file.")]
    = "same",
    matching: Annotated[str, typer.Option(
        "--matching", "--method", help="Matching: greedy (the paper) or optimal (Hungarian); "
        "--method is its former name.")] = "greedy",
    weighting: Annotated[str, typer.Option(help="Pair weights: weighted (1/fan-out of a dictionary "
                                           "word) or unweighted (the paper).")] = "weighted",
    permutations: Annotated[int, typer.Option(help="Shuffles for the permutation null (0: none).")] = 100,
    seed: Annotated[int, typer.Option(help="Seed of the shuffles.")] = 0,
    top: Annotated[int, typer.Option(help="Matched axes to print.")] = 15,
    output: Annotated[Path | None, typer.Option("-o", "--output", help="Write all matches as CSV.")] = None,
) -> None:
    """Match the ICA axes of two models (and, for comparison, their PCA axes) over token pairs."""
    from icaxes.io.atomic import atomic_file, check_output_file
    from icaxes.universal.pipeline import match_folders

    if output is not None:
        check_output_file(output, inputs=[model_a, model_b])
    res = match_folders(model_a, model_b, pairs, matching=matching, weighting=weighting,
                        n_permutations=permutations, seed=seed, progress=True,
                        log=lambda line: err.print(escape(line)))
    for method in res.matches:
        err.print(res.summary(method))
    table = Table("rank", "A axis", "B axis", "r", "A top tokens", "B top tokens", title="ICA matched axes")
    for r in [r for r in res.rows if r["method"] == "ica"][:top]:
        table.add_row(str(r["rank"] + 1), str(r["axis_a"]), str(r["axis_b"]),
                      f"{r['r']:.3f}{'' if r['above_chance'] else ' ?'}",
                      escape(r["top_a"]), escape(r["top_b"]))
    out.print(table)
    if output is not None:
        import pandas as pd

        with atomic_file(output, inputs=[model_a, model_b]) as tmp:
            pd.DataFrame(res.rows).to_csv(tmp, index=False, float_format="%.4f")
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
