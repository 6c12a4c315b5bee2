"""Core commands: fit, axes, explain, similarity."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from icaxes.cli._app import DeviceOption, ForceOption, Solver, SolverOption, app, err, out
from icaxes.cli._text import json_text
from icaxes.cli._text import shown as escape
from icaxes.errors import InputError
from icaxes.params import MAX_ITER, TOL

Source = Annotated[str, typer.Argument(help="Built-in source name (e.g. glove-6b-50d), a source form "
                                       "(use:fr:5000, minilm-glosses, fashion-mnist:100, st:MODEL_DIR:TEXTS) "
                                       "or a path.")]
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
    token_filter: Annotated[str | None, typer.Option(
        "--filter", help="Token filter: alpha, word, nostop, clean, minfreq=F; join with '+'.")] = None,
    clean: Annotated[bool | None, typer.Option(
        "--clean/--no-clean", help="Drop junk tokens (default: on for fasttext-fr and chive-ja).")] = None,
    fmt: Annotated[str | None, typer.Option(
        "--format", help="File format if the extension does not tell: text, bin, npy, parquet, "
        "gensim, spacy, model2vec.")] = None,
    tokens_path: Annotated[Path | None, typer.Option("--tokens", help="Token file for .npy input.")]
    = None,
    max_iter: Annotated[int, typer.Option(help="Maximum ICA iterations.")] = MAX_ITER,
    tol: Annotated[float, typer.Option(help="Convergence tolerance (the default is the paper's).")] = TOL,
    solver: SolverOption = Solver.lbfgs,
    n_components: Annotated[float | None, typer.Option(
        help="Keep this many principal components before ICA (default: all); a number in (0, 1) "
        "keeps the fewest that explain that fraction of the variance.")] = None,
    device: DeviceOption = None,
    trust_pickle: Annotated[bool, typer.Option(
        "--trust-pickle", help="Read a gensim .kv/.model file, which is a Python pickle: loading it "
        "can run code from the file, so use this only for files you trust.")] = False,
    force: ForceOption = False,
) -> None:
    """Fit ICA (and the PCA baseline) on SOURCE and write a model folder."""
    from icaxes.fitting import fit_source

    # Ctrl-C is reported once for every command, by icaxes.cli.main
    if n_components is not None and float(n_components).is_integer():
        n_components = int(n_components)  # a count; any other number is a fraction (or an error)
    result = fit_source(source, output, limit=limit, seed=seed, lowercase=lowercase, dedupe=dedupe,
                        token_filter=token_filter, tokens_path=tokens_path, max_iter=max_iter,
                        tol=tol, progress=True, format=fmt, clean=clean, solver=solver.value,
                        n_components=n_components, device=device, allow_pickle=trust_pickle,
                        force=force)
    ica = result.ica.transform
    err.print(f"fitted {len(result.ica.tokens):,} tokens x {result.ica.n_axes} axes: "
              f"{ica.n_iter_} iterations, final change {ica.change_:.1e}"
              f"{'' if ica.converged_ else ' (NOT converged)'}; wrote {output}")
    meta = result.ica.metadata
    dropped = [f"{meta[k]:,} {what}" for k, what in (
        ("duplicates_dropped", "repeated tokens"), ("filtered_out", "tokens removed by the filter"),
        ("junk_words_skipped", "junk words skipped")) if meta.get(k)]
    if meta.get("constant_columns_dropped"):
        cols = meta["constant_columns_dropped"]
        dropped.append(f"{len(cols)} constant column(s) of {meta.get('input_dim', '?')} dropped "
                       f"(column {', '.join(map(str, cols))}: they never vary, so they carry no axis)")
    if dropped:
        err.print(escape("input: " + "; ".join(dropped)), highlight=False, soft_wrap=True)


def _model(model: Path, method: str):
    from icaxes.model import load_model

    if method not in ("ica", "pca"):
        raise InputError(f"--method must be ica or pca, not {method!r}")
    return load_model(model, method)


@app.command()
def axes(
    model: ModelDir,
    top: Annotated[int, typer.Option("--top", "-k", help="Tokens shown per axis.")] = 8,
    n: Annotated[int | None, typer.Option("-n", help="Show only the first N axes.")] = None,
    method: Method = "ica",
    min_freq: Annotated[float | None, typer.Option(
        "--min-freq", help="Only tokens with at least this frequency (GloVe: 1/rank).")] = None,
    max_rank: Annotated[int | None, typer.Option(
        "--max-rank", help="Only the N most frequent tokens (the first rows).")] = None,
    alpha: Annotated[bool, typer.Option("--alpha", help="Only tokens made of letters.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")] = False,
) -> None:
    """List the axes of a fitted model: label, WordNet category, skewness and top tokens."""
    if top < 1:
        raise InputError(f"--top must be at least 1, got {top}")
    m = _model(model, method)
    from icaxes.evaluate.stability import stability_for_model

    stab = stability_for_model(model, method)  # written by `icaxes evaluate -t stability`
    rows = []
    for k in range(m.n_axes if n is None else min(n, m.n_axes)):
        rows.append({
            "stability": stab.stability[k] if stab else None,
            "unstable": bool(stab.stability[k] < stab.threshold) if stab else None,
            "axis": k, "skewness": float(m.skewness[k]),
            "kurtosis": float(m.transform.kurtosis_[k]),
            "label": m.labels[k] if m.labels else "",
            "category": m.categories[k] if m.categories else None,
            "top": m.top_tokens(k, top, min_frequency=min_freq, max_rank=max_rank,
                                alpha_only=alpha),
        })
    if as_json:
        print(json_text(rows))
        return
    from icaxes.interpret.labels import short_category

    table = Table(title=f"{m.method.upper()} axes of {escape(m.metadata.get('source', model))}")
    for col in ("axis", "skew", "kurt", *(["stability"] if stab else []), "category", "label", "top tokens"):
        table.add_column(col)
    for r in rows:
        flag = [] if not stab else [f"{r['stability']:.2f}" + (" UNSTABLE" if r["unstable"] else "")]
        table.add_row(str(r["axis"]), f"{r['skewness']:.2f}", f"{r['kurtosis']:.1f}", *flag,
                      escape(short_category(r["category"])) if r["category"] else "", escape(r["label"]),
                      escape(", ".join(r["top"])))
    out.print(table)


@app.command()
def explain(
    model: ModelDir,
    token: Annotated[str | None, typer.Argument(help="Token to explain.")] = None,
    top: Annotated[int, typer.Option("--top", "-k", help="Number of axes shown.")] = 5,
    method: Method = "ica",
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")] = False,
    text: Annotated[str | None, typer.Option(
        "--text", help="Explain this text instead, encoded by the encoder the model was fitted on.")]
    = None,
) -> None:
    """Show TOKEN's (or a --text's) sparse composition: its strongest axes, weights and shares."""
    from icaxes.interpret.axes import axes_needed, normalize_rows

    if top < 1:
        raise InputError(f"--top must be at least 1, got {top}")
    if (token is None) == (text is None):
        raise InputError("give a TOKEN or --text TEXT (one of them)")
    m = _model(model, method)
    if text is not None:
        vec = _encode(m, [text])[0]
        parts = m.explain_vector(vec, top)
        weights = normalize_rows(m.transform_vectors(vec)[None, :])[0]
        token = text
    else:
        weights = m.normalized[m.row(token)]
        parts = m.explain(token, top)
    needed = {f"{s:.0%}": axes_needed(weights, s) for s in (0.5, 0.8)}
    if as_json:
        print(json_text({"token": token, "axes": [p.__dict__ for p in parts], "axes_needed": needed}))
        return
    table = Table(title=f"{escape(token)} = ...  ({m.method.upper()}, {m.n_axes} axes)")
    for col in ("axis", "weight", "share", "axis label"):
        table.add_column(col)
    for p in parts:
        table.add_row(str(p.axis), f"{p.weight:+.3f}", f"{p.share:.1%}", escape(p.label))
    out.print(table)
    out.print(f"shown axes hold {sum(p.share for p in parts):.0%} of the squared norm; "
              + "; ".join(f"{k} needs {v} of {m.n_axes} axes" for k, v in needed.items()),
              highlight=False)


@app.command()
def similarity(
    model: ModelDir,
    a: Annotated[str | None, typer.Argument(help="First token.")] = None,
    b: Annotated[str | None, typer.Argument(help="Second token.")] = None,
    top: Annotated[int, typer.Option("--top", "-k", help="Axis terms shown (0: all).")] = 10,
    method: Method = "ica",
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")] = False,
    texts: Annotated[list[str] | None, typer.Option(
        "--text", help="Compare two texts instead (give --text twice), encoded by the encoder the "
        "model was fitted on.")] = None,
) -> None:
    """Decompose the cosine of A and B into one term per axis, with p-values.

    Each term is the product of the two tokens' normalised components on one axis; all
    terms sum to the cosine. The p-value tests the product against independent N(0, 1/d)
    components, Bonferroni-adjusted over the axes.
    """
    if top < 0:
        raise InputError(f"--top must be 0 (all) or more, got {top}")
    if texts:
        if len(texts) != 2 or a is not None:
            raise InputError(f"give exactly two --text options and no tokens, got {len(texts)} "
                             f"text(s){' and a token' if a is not None else ''}")
    elif a is None or b is None:
        raise InputError("give two tokens A B, or --text A --text B")
    m = _model(model, method)
    if texts:
        u, v = _encode(m, list(texts))
        a, b = texts
        cos, terms = m.similarity_vectors(u, v, top or None)
    else:
        cos, terms = m.similarity(a, b, top or None)
    shown = sum(t.product for t in terms)
    if as_json:
        print(json_text({"a": a, "b": b, "cosine": cos, "n_axes": m.n_axes, "shown_sum": shown,
                         "terms": [t.__dict__ for t in terms]}))
        return
    table = Table(title=f"cos({escape(a)}, {escape(b)}) = {cos:.3f}  ({m.method.upper()}, "
                        f"{m.n_axes} axes)")
    for col in ("axis", "term", escape(a), escape(b), "p", "p (Bonferroni)", "axis label"):
        table.add_column(col)
    for t in terms:
        table.add_row(str(t.axis), f"{t.product:+.3f}", f"{t.a:+.3f}", f"{t.b:+.3f}",
                      f"{t.p_value:.2g}", f"{t.p_adjusted:.2g}", escape(t.label))
    out.print(table)
    rest = m.n_axes - len(terms)
    out.print(f"the {len(terms)} terms shown sum to {shown:+.3f}"
              + (f"; the other {rest} axes add {cos - shown:+.3f}" if rest else ""), highlight=False)


def _encode(m, texts: list[str]):
    """``texts`` through the encoder that made the model's rows (one error line if none did)."""
    from icaxes.io.encoders import text_encoder_for

    return text_encoder_for(m.metadata)(texts)
