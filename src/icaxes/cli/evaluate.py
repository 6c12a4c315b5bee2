"""``icaxes evaluate``: the quantitative evaluations, written as CSV tables and figures."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from icaxes.cli._app import ForceOption, TrustPickleOption, app, err
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
    pairs: Annotated[list[Path] | None, typer.Option(
        "--pairs", help="Score your own word-pair file (word1, word2, score per line; repeatable) "
        "instead of the tasks: Pearson, Spearman and OOV share, printed.")] = None,
    analogies: Annotated[list[Path] | None, typer.Option(
        "--analogies", help="Score your own analogy file (': section' lines, then 'a b c d'; "
        "repeatable) instead of the tasks.")] = None,
    delimiter: Annotated[str, typer.Option(
        help="--pairs: field delimiter (default tab; 'space' or ' ' for any whitespace).")] = "\t",
    case_insensitive: Annotated[bool, typer.Option(
        "--case-insensitive/--case-sensitive", help="--pairs/--analogies: compare words lower-cased.")]
    = True,
    dummy4unknown: Annotated[bool, typer.Option(
        "--dummy4unknown", help="--pairs: score unknown-word pairs 0; --analogies: count them wrong "
        "(default: leave them out).")] = False,
    restrict_vocab: Annotated[int, typer.Option(
        help="--pairs/--analogies: only the first N rows (most frequent) are known words.")] = 300_000,
    as_json: Annotated[bool, typer.Option("--json", help="--pairs/--analogies: print JSON.")] = False,
    force: ForceOption = False,
    trust_pickle: TrustPickleOption = False,
) -> None:
    """Evaluate ICA against PCA and the raw space; write CSV tables, figures and summary.md.

    With a model folder, its ICA and PCA models are evaluated and the stability task writes
    ``stability.json`` into it, so `icaxes axes` flags unstable axes. With --pairs or
    --analogies, your files are scored instead (gensim's conventions) and nothing is written.
    """
    from icaxes.evaluate.run import evaluate_source

    if pairs or analogies:
        from icaxes.evaluate.userfiles import evaluate_user_files

        rows = evaluate_user_files(target, pairs=pairs or [], analogies=analogies or [], limit=limit,
                                   seed=seed, delimiter=delimiter, case_insensitive=case_insensitive,
                                   dummy4unknown=dummy4unknown, restrict_vocab=restrict_vocab,
                                   allow_pickle=trust_pickle, progress=True)
        _print_user_rows(rows, as_json)
        return
    model_dir = Path(target) if Path(target).is_dir() else None
    evaluate_source(target, output, tasks=tasks, limit=limit, seed=seed, progress=True,
                    model_dir=model_dir, refits=refits,
                    log=lambda m: err.print(shown(m), highlight=False), force=force,
                    allow_pickle=trust_pickle)
    err.print(f"wrote {output}/summary.md and the tables beside it", highlight=False)


def _print_user_rows(rows: list[dict], as_json: bool) -> None:
    from rich.table import Table

    from icaxes.cli._app import out
    from icaxes.cli._text import json_text
    from icaxes.cli._text import shown as escape

    if as_json:
        print(json_text(rows))
        return
    table = Table(title="your files (raw: cosine of the input rows; ica: of the normalised axes)")
    for col in ("file", "space", "Pearson", "Spearman", "accuracy", "scored", "OOV share"):
        table.add_column(col)
    for r in rows:
        pairs = r["kind"] == "pairs"
        table.add_row(escape(Path(r["file"]).name), r["space"],
                      f"{r['pearson']:.3f}" if pairs else "", f"{r['spearman']:.3f}" if pairs else "",
                      "" if pairs else f"{r['accuracy']:.3f}",
                      str(r["n_pairs"] if pairs else r["n_questions"]), f"{r['oov_share']:.1%}")
    out.print(table)
