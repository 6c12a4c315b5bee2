"""Export a fitted model's axes to the formats other tools read.

=============== ==========================================================================
``projector``   a folder for the TensorBoard Embedding Projector: ``tensor.tsv`` (one row of
                components per token, no header), ``metadata.tsv`` (a header, then per token:
                token, strongest axis, that axis's label, frequency rank),
                ``projector_config.json`` (the standalone Projector's ``?config=`` file; its
                paths are relative to the folder) and ``projector_config.pbtxt`` (for
                ``tensorboard --logdir``)
``word2vec``    the word2vec text format (``n k`` header, then ``token v1 ... vk``) or, with
                ``binary=True``, the word2vec binary format; gensim's
                ``KeyedVectors.load_word2vec_format(path, binary=...)`` reads both back
``parquet``     a table with a ``token`` column, ``frequency`` when the model has them and
                one float32 column ``axis_0`` ... ``axis_{k-1}``; icaxes and pandas read it
=============== ==========================================================================

The exported vectors are the model's components (ICA sources or PCA scores, one column per
axis, in the model's axis order); ``normalize=True`` writes them scaled to unit length, as
icaxes reads them.

The Projector's TSV files have no quoting: a tab or a newline inside a token would shift
columns or rows. Such characters are escaped as ``\\t``, ``\\n``, ``\\r`` (and a backslash as
``\\\\``) in ``metadata.tsv``. word2vec separates tokens from values by a space, so whitespace
inside a token is replaced by ``_`` there (an error if two tokens then collide). Each export
is written to a temporary sibling and renamed when complete.
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from icaxes.errors import InputError
from icaxes.io.atomic import atomic_dir, atomic_file

if TYPE_CHECKING:
    from icaxes.model import AxisModel

#: what :func:`export` writes
EXPORT_FORMATS = ("projector", "word2vec", "parquet")

_TSV_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


@dataclass
class ExportResult:
    """What :func:`export` wrote.

    Attributes
    ----------
    path : Path
        The folder (``projector``) or file written.
    files : list of Path
        Every file written.
    n_rows, n_axes : int
        Rows (tokens) and columns (axes) exported.
    changed_tokens : int
        Tokens written differently from the model (escaped in ``metadata.tsv``, or with
        whitespace replaced by ``_`` in word2vec files).
    """

    path: Path
    files: list[Path]
    n_rows: int
    n_axes: int
    changed_tokens: int = 0


def tsv_escape(text: str) -> str:
    """``text`` with backslash, tab, newline and carriage return escaped, safe in one TSV cell."""
    return text.translate(_TSV_ESCAPES)


def frequency_ranks(model: AxisModel, n: int | None = None) -> np.ndarray:
    """1-based frequency rank of the first ``n`` rows (row order where there are no frequencies)."""
    rows = len(model.tokens) if n is None else n
    if model.frequencies is None:
        return np.arange(1, rows + 1)
    order = np.argsort(-np.asarray(model.frequencies, dtype=np.float64), kind="stable")
    ranks = np.empty(len(order), dtype=np.int64)
    ranks[order] = np.arange(1, len(order) + 1)
    return ranks[:rows]


def export(model: AxisModel, path: str | os.PathLike[str], to: str = "projector", *,
           binary: bool = False, normalize: bool = False, limit: int | None = None) -> ExportResult:
    """Write the model's components in a format another tool reads.

    Parameters
    ----------
    model : AxisModel
    path : path-like
        A folder for ``projector``, a file for ``word2vec`` and ``parquet``.
    to : {"projector", "word2vec", "parquet"}
    binary : bool
        word2vec only: the binary format instead of text.
    normalize : bool
        Write rows scaled to unit length (what icaxes reads) instead of the raw components.
    limit : int, optional
        Export only the first ``limit`` rows (the most frequent, for sources in frequency
        order); the Projector runs in a browser and is comfortable up to about 100,000 rows.

    Returns
    -------
    ExportResult

    Raises
    ------
    InputError
        On an unknown format, a bad ``limit``, or word2vec tokens that collide once their
        whitespace is replaced.
    OutputError
        If the output cannot be written, or would replace or hold the folder the model was
        loaded from (:attr:`AxisModel.folder <icaxes.model.AxisModel>`).
    """
    if to not in EXPORT_FORMATS:
        raise InputError(f"unknown export format {to!r}; choose one of {', '.join(EXPORT_FORMATS)}")
    if binary and to != "word2vec":
        raise InputError("binary applies to the word2vec format only")
    if limit is not None and limit < 1:
        raise InputError(f"limit must be a positive number of rows, got {limit}")
    n = len(model.tokens) if limit is None else min(limit, len(model.tokens))
    values = model.normalized[:n] if normalize else np.asarray(model.components[:n])
    values = np.ascontiguousarray(values, dtype=np.float32)
    path = Path(path)
    inputs = model.input_folders  # a loaded model's folders: never written over
    if to == "projector":
        return _projector(model, path, values, normalize, inputs)
    if to == "word2vec":
        return _word2vec(model.tokens[:n], values, path, binary, inputs)
    return _parquet(model, path, values, inputs)


def _projector(model: AxisModel, path: Path, values: np.ndarray, normalize: bool,
               inputs: list[Path]) -> ExportResult:
    n, k = values.shape
    tokens = model.tokens[:n]
    labels = model.labels or [str(a) for a in range(k)]
    strongest = np.argmax(model.normalized[:n], axis=1)
    ranks = frequency_ranks(model, n)
    escaped = [tsv_escape(t) for t in tokens]
    changed = sum(e != t for e, t in zip(escaped, tokens, strict=True))
    label_cells = [tsv_escape(lab) for lab in labels]
    name = f"icaxes {model.method.upper()} of {model.metadata.get('source', 'embeddings')}"
    if normalize:
        name += " (unit rows)"
    with atomic_dir(path, inputs=inputs) as tmp:
        with open(tmp / "tensor.tsv", "w", encoding="utf-8", newline="\n") as fh:
            np.savetxt(fh, values, fmt="%.6g", delimiter="\t")
        with open(tmp / "metadata.tsv", "w", encoding="utf-8", newline="\n") as fh:
            fh.write("token\taxis\taxis_label\tfrequency_rank\n")
            for tok, a, r in zip(escaped, strongest, ranks, strict=True):
                fh.write(f"{tok}\t{int(a)}\t{label_cells[a]}\t{int(r)}\n")
        entry = {"tensorName": name, "tensorShape": [n, k], "tensorPath": "tensor.tsv",
                 "metadataPath": "metadata.tsv"}
        (tmp / "projector_config.json").write_text(
            json.dumps({"embeddings": [entry]}, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        (tmp / "projector_config.pbtxt").write_text(
            "embeddings {\n"
            f"  tensor_name: {json.dumps(name, ensure_ascii=False)}\n"
            '  tensor_path: "tensor.tsv"\n'
            '  metadata_path: "metadata.tsv"\n'
            f"  tensor_shape: {n}\n  tensor_shape: {k}\n"
            "}\n", encoding="utf-8")
    files = [path / f for f in ("tensor.tsv", "metadata.tsv", "projector_config.json",
                                "projector_config.pbtxt")]
    return ExportResult(path, files, n, k, changed)


def word2vec_tokens(tokens: Sequence[str]) -> tuple[list[str], int]:
    """Tokens safe for the word2vec formats: whitespace inside a token becomes ``_``.

    Returns
    -------
    tokens : list of str
    changed : int
        How many tokens were changed.

    Raises
    ------
    InputError
        If two tokens become the same.
    """
    out = ["".join("_" if c.isspace() else c for c in t) if any(c.isspace() for c in t) else t
           for t in tokens]
    changed = sum(a != b for a, b in zip(out, tokens, strict=True))
    if changed and len(set(out)) != len(out):
        seen: dict[str, str] = {}
        for new, old in zip(out, tokens, strict=True):
            if new in seen and seen[new] != old:
                raise InputError(
                    f"tokens {seen[new]!r} and {old!r} both become {new!r} once whitespace is replaced "
                    "by '_' for word2vec; export to parquet instead, or drop one of them")
            seen[new] = old
    return out, changed


def _word2vec(tokens: Sequence[str], values: np.ndarray, path: Path, binary: bool,
              inputs: list[Path]) -> ExportResult:
    safe, changed = word2vec_tokens(tokens)
    n, k = values.shape
    with atomic_file(path, inputs=inputs) as tmp, open(tmp, "wb") as fh:
        fh.write(f"{n} {k}\n".encode())
        little = values.astype("<f4", copy=False)
        for i, tok in enumerate(safe):
            if binary:
                # the layout of the original word2vec tool: token, space, k float32, newline
                fh.write(tok.encode("utf-8") + b" " + little[i].tobytes() + b"\n")
            else:
                # 9 significant digits give back the float32 values exactly
                fh.write((tok + " " + " ".join(f"{v:.9g}" for v in values[i].tolist()) + "\n")
                         .encode("utf-8"))
    return ExportResult(path, [path], n, k, changed)


def _parquet(model: AxisModel, path: Path, values: np.ndarray, inputs: list[Path]) -> ExportResult:
    import pyarrow as pa
    import pyarrow.parquet as pq

    n, k = values.shape
    cols: dict[str, pa.Array] = {"token": pa.array(model.tokens[:n], type=pa.string())}
    if model.frequencies is not None:
        cols["frequency"] = pa.array(np.asarray(model.frequencies[:n], dtype=np.float64))
    for a in range(k):
        cols[f"axis_{a}"] = pa.array(values[:, a])
    meta = {"icaxes": json.dumps({"method": model.method, "labels": model.labels,
                                  "source": str(model.metadata.get("source", ""))}, ensure_ascii=False)}
    table = pa.table(cols).replace_schema_metadata(meta)
    with atomic_file(path, inputs=inputs) as tmp:
        pq.write_table(table, tmp)
    return ExportResult(path, [path], n, k, 0)
