"""Core commands: fit, axes, explain, similarity."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from icaxes.cli._app import app, err, out

Source = Annotated[str, typer.Argument(help="Built-in source name (e.g. glove-6b-50d) or a path.")]
ModelDir = Annotated[Path, typer.Argument(help="Model folder written by `icaxes fit`.")]
Method = Annotated[str, typer.Option("--method", "-m", help="Which axes to read: ica or pca.")]


@app.command()
def fit(
    source: Source,
    output: Annotated[Path, typer.Option("-o", "--output", help="Model folder to write.")],
    limit: Annotated[int | None, typer.Option(help="Use only the first N rows (most frequent).")] = None,
    seed: Annotated[int, typer.Option(help="Random seed: the same seed gives the same axes.")] = 0,
    lowercase: Annotated[bool, typer.Option(help="Lower-case tokens (merging collisions).")] = False,
    dedupe: Annotated[bool, typer.Option(help="Keep the first row of repeated tokens.")] = False,
    token_filter: Annotated[str | None, typer.Option("--filter", help="Token filter: alpha or word.")]
    = None,
    tokens_path: Annotated[Path | None, typer.Option("--tokens", help="Token file for .npy input.")]
    = None,
    max_iter: Annotated[int, typer.Option(help="Maximum ICA iterations.")] = 10000,
    tol: Annotated[float, typer.Option(help="Convergence tolerance (paper: 1e-10).")] = 1e-10,
) -> None:
    """Fit ICA (and the PCA baseline) on SOURCE and write a model folder."""
    from icaxes.fitting import fit_source

    result = fit_source(source, output, limit=limit, seed=seed, lowercase=lowercase, dedupe=dedupe,
                        token_filter=token_filter, tokens_path=tokens_path, max_iter=max_iter,
                        tol=tol, progress=True)
    ica = result.ica.transform
    err.print(f"fitted {len(result.ica.tokens):,} tokens x {result.ica.n_axes} axes: "
              f"{ica.n_iter_} iterations, final change {ica.change_:.1e}"
              f"{'' if ica.converged_ else ' (NOT converged)'}; wrote {output}")


@app.command()
def axes(
    model: ModelDir,
    top: Annotated[int, typer.Option("--top", "-k", help="Tokens shown per axis.")] = 8,
    n: Annotated[int | None, typer.Option("-n", help="Show only the first N axes.")] = None,
    method: Method = "ica",
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")] = False,
) -> None:
    """List the axes of a fitted model: skewness and top tokens."""
    from icaxes.model import load_model

    m = load_model(model, method)
    rows = []
    for k in range(m.n_axes if n is None else min(n, m.n_axes)):
        rows.append({"axis": k, "skewness": float(m.skewness[k]), "kurtosis": float(m.transform.kurtosis_[k]),
                     "label": m.labels[k] if m.labels else "", "top": m.top_tokens(k, top)})
    if as_json:
        print(json.dumps(rows, ensure_ascii=False, indent=1))
        return
    table = Table(title=f"{m.method.upper()} axes of {m.metadata.get('source', model)}")
    for col in ("axis", "skew", "label", "top tokens"):
        table.add_column(col)
    for r in rows:
        table.add_row(str(r["axis"]), f"{r['skewness']:.2f}", r["label"], ", ".join(r["top"]))
    out.print(table)


@app.command()
def explain(
    model: ModelDir,
    token: Annotated[str, typer.Argument(help="Token to explain.")],
    top: Annotated[int, typer.Option("--top", "-k", help="Number of axes shown.")] = 5,
    method: Method = "ica",
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")] = False,
) -> None:
    """Show TOKEN's sparse composition: its strongest axes and their weights."""
    from icaxes.model import load_model

    m = load_model(model, method)
    parts = m.explain(token, top)
    if as_json:
        print(json.dumps([p.__dict__ for p in parts], ensure_ascii=False, indent=1))
        return
    table = Table(title=f"{token} = ...  ({m.method.upper()})")
    for col in ("axis", "weight", "share", "axis label"):
        table.add_column(col)
    for p in parts:
        table.add_row(str(p.axis), f"{p.weight:+.3f}", f"{p.share:.1%}", p.label)
    out.print(table)


@app.command()
def similarity(
    model: ModelDir,
    a: Annotated[str, typer.Argument(help="First token.")],
    b: Annotated[str, typer.Argument(help="Second token.")],
    top: Annotated[int, typer.Option("--top", "-k", help="Number of axis terms shown.")] = 10,
    method: Method = "ica",
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")] = False,
) -> None:
    """Decompose the cosine of A and B into one term per axis, with p-values."""
    from icaxes.model import load_model

    m = load_model(model, method)
    cos, terms = m.similarity(a, b, top)
    if as_json:
        print(json.dumps({"cosine": cos, "terms": [t.__dict__ for t in terms]}, ensure_ascii=False,
                         indent=1))
        return
    table = Table(title=f"cos({a}, {b}) = {cos:.3f}  ({m.method.upper()}, {m.n_axes} axes)")
    for col in ("axis", "term", a, b, "p (Bonferroni)", "axis label"):
        table.add_column(col)
    for t in terms:
        table.add_row(str(t.axis), f"{t.product:+.3f}", f"{t.a:+.3f}", f"{t.b:+.3f}",
                      f"{t.p_adjusted:.2g}", t.label)
    out.print(table)
