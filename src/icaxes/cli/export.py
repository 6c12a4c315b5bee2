"""``icaxes export``: a model's components for the Embedding Projector, gensim or any parquet reader."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from icaxes.cli._app import app, err


class ExportFormat(StrEnum):
    """What ``icaxes export --to`` writes (see :mod:`icaxes.io.export`)."""

    projector = "projector"
    word2vec = "word2vec"
    parquet = "parquet"


@app.command()
def export(
    model: Annotated[Path, typer.Argument(help="Model folder written by `icaxes fit`.")],
    output: Annotated[Path, typer.Option("-o", "--output",
                                         help="Folder (projector) or file (word2vec, parquet) to write.")],
    to: Annotated[ExportFormat, typer.Option(
        "--to", help="projector: tensor.tsv + metadata.tsv + config for the TensorBoard Embedding "
        "Projector; word2vec: the format gensim's load_word2vec_format reads; parquet.")]
    = ExportFormat.projector,
    binary: Annotated[bool, typer.Option(help="word2vec: write the binary format instead of text.")] = False,
    normalize: Annotated[bool, typer.Option(help="Write rows scaled to unit length.")] = False,
    limit: Annotated[int | None, typer.Option(help="Export only the first N rows (most frequent).")] = None,
    method: Annotated[str, typer.Option("--method", "-m", help="Which axes: ica or pca.")] = "ica",
) -> None:
    """Export MODEL's axis components for other tools (Projector, gensim/whatlies, parquet)."""
    from icaxes.cli.core import _model
    from icaxes.io.atomic import check_output_dir, check_output_file
    from icaxes.io.model_format import ModelFolder

    # the output policy, before the work: never the model folder, nor a model folder in it
    inputs = ModelFolder(model).input_paths()
    if to is ExportFormat.projector:
        check_output_dir(output, inputs=inputs)
    else:
        check_output_file(output, inputs=inputs, example=f"axes.{to.value}")
    m = _model(model, method)
    res = m.export(output, to.value, binary=binary, normalize=normalize, limit=limit)
    note = ""
    if res.changed_tokens:
        how = "escaped in metadata.tsv" if to is ExportFormat.projector else "whitespace replaced by '_'"
        note = f"; {res.changed_tokens:,} token(s) {how}"
    from icaxes.cli._text import shown

    err.print(f"wrote {res.n_rows:,} rows x {res.n_axes} axes to {shown(res.path)}{note}", highlight=False)
