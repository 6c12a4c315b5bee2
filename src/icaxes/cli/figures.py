"""Figure and report commands: figures, demo."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from icaxes.cli._app import ForceOption, app, err, out
from icaxes.cli._text import shown as escape
from icaxes.cli.core import FitOptions, fit_options, report_dropped


@app.command()
def figures(
    model_dir: Annotated[Path, typer.Argument(help="Model folder written by `icaxes fit` (ica/, pca/).")],
    output: Annotated[Path, typer.Option("-o", "--output", help="Folder to write the figures to.")],
    scatter: Annotated[list[str] | None, typer.Option(
        "--scatter", metavar="AXIS", help="An axis of the scatter: number, token (e.g. italian), category "
        "(e.g. [food]) or label text; give it twice.")] = None,
    n_axes: Annotated[int, typer.Option("--axes", help="Axes in the heatmap.")] = 10,
    projection: Annotated[int, typer.Option(help="Axes (spokes) in the projection plots.")] = 6,
    report: Annotated[bool, typer.Option(
        "--report/--no-report", help="Also write index.html, axes.csv and the tables.")] = False,
    max_rank: Annotated[int | None, typer.Option(
        help="Read the axes from the N most frequent of the model's display words (labels are "
        "recomputed).")] = None,
    force: ForceOption = False,
) -> None:
    """Draw the paper's figures (PNG and SVG) for a fitted model folder."""
    from icaxes.viz.figures import figures_of_folder

    with err.status("drawing figures"):
        written = figures_of_folder(model_dir, output, scatter=scatter, n_axes=n_axes,
                                    projection_axes=projection, report=report, max_rank=max_rank,
                                    force=force,
                                    log=lambda line: err.print(escape(line), highlight=False, soft_wrap=True))
    err.print(f"wrote {len(written)} files to {escape(str(output))}")


@app.command()
@fit_options
def demo(
    output: Annotated[Path, typer.Option("-o", "--output", help="Report folder to write.")] = Path("report"),
    source: Annotated[str, typer.Option(help="Built-in source name or a path.")] = "glove-6b-50d",
    explorer: Annotated[bool, typer.Option(
        "--explorer/--no-explorer", help="Also write the explorer page.")] = True,
    *,
    opts: FitOptions,
) -> None:
    """Fit ICA and PCA on GloVe (or SOURCE) and write a report folder: model, figures, axes, page.

    Takes the same options as `icaxes fit`.
    """
    from icaxes.report import run_demo

    res = run_demo(output, source=source, explorer=explorer, console=err, **opts.fit_kwargs())
    report_dropped(res.ica.metadata)
    s = res.report.summary
    out.print(f"[bold]icaxes demo[/]: {s['tokens']:,} tokens of {escape(source)}, {s['axes']} axes, "
              f"fitted on {s['fit_rows']:,} rows; ICA {'converged' if s['converged'] else 'NOT converged'} "
              f"in {s['iterations']} iterations (final change {s['final_change']:.1e}); "
              f"{res.seconds:.0f} s in all")
    table = Table(title="The first ICA axes (top tokens by normalised component)", title_justify="left")
    table.add_column("axis", justify="right")
    table.add_column("skew", justify="right")
    table.add_column("category")
    table.add_column("top tokens")
    for a in range(min(12, res.ica.n_axes)):
        cat = (res.ica.categories or [None] * res.ica.n_axes)[a]
        table.add_row(str(a), f"{res.ica.skewness[a]:.2f}", escape(f"[{cat}]" if cat else ""),
                      escape(", ".join(res.ica.top_tokens(a, 8))))
    out.print(table)
    hb = s["heatmap_blocks"]
    out.print(f"heatmap diagonal blocks: ICA {hb['ica']['diagonal']:.2f} vs PCA {hb['pca']['diagonal']:.2f}; "
              f"mean kurtosis: ICA {s['mean_kurtosis']['ica']:.1f} vs PCA {s['mean_kurtosis']['pca']:.1f}")
    out.print(f"open {escape(str(res.report.index_html))}"
              + (f" and {escape(str(res.report.explorer_html))}" if res.report.explorer_html else ""))
