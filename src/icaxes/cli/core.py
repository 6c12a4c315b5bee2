"""Core commands: fit, axes, explain, similarity."""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from icaxes.cli._app import (
    DeviceOption,
    ForceOption,
    NInitOption,
    Solver,
    SolverOption,
    TrustPickleOption,
    app,
    err,
    out,
)
from icaxes.cli._text import json_text
from icaxes.cli._text import shown as escape
from icaxes.errors import InputError
from icaxes.io.filters import FIT_FILTER, FIT_ROWS, RowSelection
from icaxes.params import MAX_ITER, N_INIT, TOL

Source = Annotated[str, typer.Argument(help="Built-in source name (e.g. glove-6b-50d), a source form "
                                       "(use:fr:5000, minilm-glosses, fashion-mnist:100, st:MODEL_DIR:TEXTS) "
                                       "or a path.")]
ModelDir = Annotated[Path, typer.Argument(help="Model folder written by `icaxes fit`.")]
Method = Annotated[str, typer.Option("--method", "-m", help="Which axes to read: ica or pca.")]


@dataclass
class FitOptions:
    """The options of every command that fits a source (`fit`, `demo`), declared once below."""

    limit: int | None = None
    seed: int = 0
    lowercase: bool = False
    dedupe: bool = False
    token_filter: str | None = None
    clean: bool | None = None
    fmt: str | None = None
    tokens_path: Path | None = None
    max_iter: int = MAX_ITER
    tol: float = TOL
    solver: Solver = Solver.lbfgs
    n_components: int | float | None = None
    device: str | None = None
    n_init: int = N_INIT
    fit_rows: int = FIT_ROWS
    fit_filter: str = FIT_FILTER
    trust_pickle: bool = False
    force: bool = False

    def select(self) -> RowSelection | None:
        """The row selection (None: fit on and read every row)."""
        flt = None if self.fit_filter.strip().lower() in ("", "none") else self.fit_filter
        sel = RowSelection(self.fit_rows or None, flt)
        return None if sel.everything else sel

    def fit_kwargs(self) -> dict[str, Any]:
        """Keyword arguments of :func:`icaxes.fitting.fit_source`."""
        n_components = self.n_components
        if n_components is not None and float(n_components).is_integer():
            n_components = int(n_components)  # a count; any other number is a fraction (or an error)
        return {"limit": self.limit, "seed": self.seed, "lowercase": self.lowercase,
                "dedupe": self.dedupe, "token_filter": self.token_filter, "clean": self.clean,
                "format": self.fmt, "tokens_path": self.tokens_path, "max_iter": self.max_iter,
                "tol": self.tol, "solver": self.solver.value, "n_components": n_components,
                "device": self.device, "n_init": self.n_init, "select": self.select(),
                "allow_pickle": self.trust_pickle, "force": self.force}


def _opt(name: str, annotation: Any, default: Any) -> inspect.Parameter:
    return inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY, default=default, annotation=annotation)


_FIT_PARAMS = [
    _opt("limit", Annotated[int | None, typer.Option(
        help="Read only the first N rows (most frequent) of the source.")], None),
    _opt("seed", Annotated[int, typer.Option(help="Random seed: the same seed gives the same axes.")], 0),
    _opt("fit_rows", Annotated[int, typer.Option(
        "--fit-rows", help="Fit ICA on, and read the axes from, the N most frequent tokens that pass "
        "--fit-filter (0: all rows); every token still gets its components.", min=0)], FIT_ROWS),
    _opt("fit_filter", Annotated[str, typer.Option(
        "--fit-filter", help="Filter of the fitted and shown tokens (alpha, word, nostop, "
        "minfreq=F, joined with '+'; none: no filter).")], FIT_FILTER),
    _opt("lowercase", Annotated[bool, typer.Option(help="Lower-case tokens (merging collisions).")], False),
    _opt("dedupe", Annotated[bool, typer.Option(help="Keep the first row of repeated tokens.")], False),
    _opt("token_filter", Annotated[str | None, typer.Option(
        "--filter", help="Drop the other tokens from the source entirely: alpha, word, nostop, clean, "
        "minfreq=F; join with '+'.")], None),
    _opt("clean", Annotated[bool | None, typer.Option(
        "--clean/--no-clean", help="Drop junk tokens (default: on for fasttext-fr and chive-ja).")], None),
    _opt("fmt", Annotated[str | None, typer.Option(
        "--format", help="File format if the extension does not tell: text, bin, npy, parquet, "
        "gensim, spacy, model2vec.")], None),
    _opt("tokens_path", Annotated[Path | None, typer.Option("--tokens", help="Token file for .npy input.")],
         None),
    _opt("max_iter", Annotated[int, typer.Option(help="Maximum ICA iterations.")], MAX_ITER),
    _opt("tol", Annotated[float, typer.Option(help="Convergence tolerance (the default is the paper's).")],
         TOL),
    _opt("solver", SolverOption, Solver.lbfgs),
    _opt("n_components", Annotated[float | None, typer.Option(
        help="Keep this many principal components before ICA (default: all); a number in (0, 1) "
        "keeps the fewest that explain that fraction of the variance.")], None),
    _opt("device", DeviceOption, None),
    _opt("n_init", NInitOption, N_INIT),
    _opt("trust_pickle", TrustPickleOption, False),
    _opt("force", ForceOption, False),
]


def fit_options(func: Callable[..., Any]) -> Callable[..., Any]:
    """Give a command the fit options: it declares ``opts: FitOptions`` and receives them in it.

    `fit` and `demo` share this one declaration, so they take the same options.
    """
    sig = inspect.signature(func, eval_str=True)
    own = [p for p in sig.parameters.values() if p.name != "opts"]
    names = [p.name for p in _FIT_PARAMS]

    @functools.wraps(func)
    def command(**kwargs: Any) -> Any:
        opts = FitOptions(**{n: kwargs.pop(n) for n in names})
        return func(opts=opts, **kwargs)

    params = own + _FIT_PARAMS
    del command.__wrapped__  # Typer reads the signature below, not func's
    command.__signature__ = sig.replace(parameters=params)  # type: ignore[attr-defined]
    command.__annotations__ = {p.name: p.annotation for p in params}
    return command


def report_dropped(meta: dict[str, Any]) -> None:
    """One stderr line with what reading the source dropped (repeats, filtered, junk)."""
    dropped = [f"{meta[k]:,} {what}" for k, what in (
        ("duplicates_dropped", "repeated tokens"), ("filtered_out", "tokens removed by the filter"),
        ("junk_words_skipped", "junk words skipped"),
        ("fragment_words_skipped", "fragments skipped"),
        ("variants_merged", "case or elision variants merged")) if meta.get(k)]
    if meta.get("constant_columns_dropped"):
        cols = meta["constant_columns_dropped"]
        dropped.append(f"{len(cols)} constant column(s) of {meta.get('input_dim', '?')} dropped "
                       f"(column {', '.join(map(str, cols))}: they never vary, so they carry no axis)")
    if dropped:
        err.print(escape("input: " + "; ".join(dropped)), highlight=False, soft_wrap=True)


@app.command()
@fit_options
def fit(
    source: Source,
    output: Annotated[Path, typer.Option("-o", "--output", help="Model folder to write.")],
    opts: FitOptions,
) -> None:
    """Fit ICA (and the PCA baseline) on SOURCE and write a model folder."""
    from icaxes.fitting import fit_source

    # Ctrl-C is reported once for every command, by icaxes.cli.main
    result = fit_source(source, output, progress=True, **opts.fit_kwargs())
    ica = result.ica.transform
    err.print(f"fitted {len(result.ica.tokens):,} tokens x {result.ica.n_axes} axes "
              f"(on {result.ica.metadata.get('fit_rows', 0):,} rows: {result.ica.display.describe()}): "
              f"{ica.n_iter_} iterations, final change {ica.change_:.1e}"
              f"{'' if ica.converged_ else ' (NOT converged)'}; wrote {escape(str(output))}",
              highlight=False)
    report_dropped(result.ica.metadata)


def _model(model: Path, method: str):
    from icaxes.model import AxisModel, load_model

    if method not in AxisModel.METHODS:  # named as the option, before the folder is read
        raise InputError(f"--method must be ica or pca, not {method!r}")
    return load_model(model, method)


@app.command()
def axes(
    model: ModelDir,
    top: Annotated[int, typer.Option("--top", "-k", help="Tokens shown per axis.")] = 8,
    n: Annotated[int | None, typer.Option("-n", help="Show only the first N axes.")] = None,
    method: Method = "ica",
    min_freq: Annotated[float | None, typer.Option(
        "--min-freq", help="Read the axes from tokens with at least this frequency (GloVe: 1/rank); "
        "labels are recomputed.")] = None,
    max_rank: Annotated[int | None, typer.Option(
        "--max-rank", help="Read the axes from the N most frequent tokens that pass the model's "
        "filter; labels are recomputed.")] = None,
    alpha: Annotated[bool, typer.Option("--alpha", help="Read the axes from tokens made of letters "
                                        "only; labels are recomputed.")] = False,
    everything: Annotated[bool, typer.Option(
        "--all-rows", help="Read the axes from every row, not the model's display rows.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")] = False,
) -> None:
    """List the axes of a fitted model: label (with its WordNet category), skewness and top tokens.

    Top tokens and labels come from the model's display rows (by default the rows `icaxes fit`
    fitted ICA on); the display options read the axes from other tokens and relabel them.
    """
    if top < 1:
        raise InputError(f"--top must be at least 1, got {top}")
    m = _model(model, method)
    if everything or alpha or max_rank is not None or min_freq is not None:
        m = m.with_display(_display_from_flags(m.display, everything, alpha, max_rank, min_freq))
    from icaxes.evaluate.stability import stability_for_model
    from icaxes.report import axis_rows

    stab = stability_for_model(model, method)  # written by `icaxes evaluate -t stability`
    rows = axis_rows(m, top, n_axes=n, stability=stab, every_row=False)
    if as_json:
        print(json_text(rows))
        return
    table = Table(title=f"{m.method.upper()} axes of {escape(str(m.metadata.get('source', model)))} "
                        f"(words: {escape(m.display.describe())})")
    for col in ("axis", "skew", "kurt", *(["stability"] if stab else []), "label", "top tokens"):
        table.add_column(col)
    for r in rows:
        flag = [] if not stab else [f"{r['stability']:.2f}" + (" UNSTABLE" if r["unstable"] else "")]
        table.add_row(str(r["axis"]), f"{r['skewness']:.2f}", f"{r['kurtosis']:.1f}", *flag,
                      escape(r["label"]), escape(", ".join(r["top"])))
    out.print(table)


def _display_from_flags(current: RowSelection, everything: bool, alpha: bool, max_rank: int | None,
                        min_freq: float | None) -> RowSelection:
    """The display rows asked for on the command line, starting from the model's own."""
    if everything:
        return RowSelection(None, None)
    parts = [p for p in (current.filter or "").split("+") if p]
    if alpha and "alpha" not in parts:
        parts.append("alpha")
    if min_freq is not None:
        parts = [p for p in parts if not p.startswith("minfreq=")] + [f"minfreq={min_freq:g}"]
    return RowSelection(max_rank if max_rank is not None else current.top, "+".join(parts) or None)


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
    if top < 1:
        raise InputError(f"--top must be at least 1, got {top}")
    if (token is None) == (text is None):
        raise InputError("give a TOKEN or --text TEXT (one of them)")
    m = _model(model, method)
    if text is not None:
        query = m.encode([text])[0]
        parts = m.explain_vector(query, top)
        token = text
    else:
        query = token
        parts = m.explain(token, top)
    needed = {f"{s:.0%}": m.axes_needed(query, s) for s in (0.5, 0.8)}
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
        u, v = m.encode(list(texts))
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
