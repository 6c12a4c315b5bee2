"""``icaxes evaluate``: the quantitative evaluations, written as CSV tables and figures."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from icaxes.cli._app import app, err
from icaxes.cli._text import shown


@app.command()
def evaluate(
    target: Annotated[str, typer.Argument(
        help="Built-in source name or embedding file (fitted, cached), or a model folder from `icaxes fit`.")]
    = "glove-6b-50d",
    output: Annotated[Path, typer.Option("-o", "--output", help="Folder for the tables and figures.")]
    = Path("results"),
    tasks: Annotated[str, typer.Option(
        "--tasks", "-t", help="Comma-separated: similarity, analogy, intrusion, purity, stability, tour, "
        "hoc, alignment; or 'all'.")] = "all",
    limit: Annotated[int, typer.Option(help="Rows of the source to fit on (most frequent first).")] = 50000,
    seed: Annotated[int, typer.Option(help="Seed of ICA and of every random draw.")] = 0,
    refits: Annotated[int, typer.Option(
        help="Stability: refits with seeds 1..N plus N bootstrap refits.")] = 3,
) -> None:
    """Evaluate ICA against PCA and the raw space; write CSV tables, figures and summary.md.

    With a model folder, its ICA and PCA models are evaluated and the stability task writes
    ``stability.json`` into it, so `icaxes axes` flags unstable axes.
    """
    from icaxes.cli.core import _one_line_errors
    from icaxes.errors import InputError
    from icaxes.evaluate.run import TASKS, evaluate_source

    with _one_line_errors():
        if refits < 1:
            raise InputError(f"--refits must be at least 1, got {refits}")
        chosen = list(TASKS) if tasks.strip() == "all" else [t.strip() for t in tasks.split(",") if t.strip()]
        model_dir = Path(target) if Path(target).is_dir() else None
        evaluate_source(target, output, tasks=chosen, limit=limit, seed=seed, progress=True,
                        model_dir=model_dir, refits=refits,
                        log=lambda m: err.print(shown(m), highlight=False))
    err.print(f"wrote {output}/summary.md and the tables beside it", highlight=False)
