"""Readers for embedding files. Each returns raw tokens, vectors, frequencies and metadata;
:func:`finish` applies the common options and builds the :class:`Embeddings` object."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from icaxes.errors import EmbeddingFormatError
from icaxes.io.embeddings import Embeddings

Raw = tuple[list[str], np.ndarray, np.ndarray | None, dict[str, Any]]


def read_path(path: Path, *, limit: int | None = None, format: str | None = None,
              tokens_path: Any = None) -> Raw:
    """Read any supported file, choosing the reader by ``format`` or the file name."""
    name = path.name.lower()
    fmt = format or ("npy" if name.endswith((".npy", ".npz")) else "text")
    if fmt == "npy":
        if tokens_path is None:
            raise EmbeddingFormatError(f"{path}: a .npy matrix needs a token file (tokens_path)")
        vectors = np.load(path, mmap_mode="r", allow_pickle=False)
        tokens = Path(tokens_path).read_text(encoding="utf-8").splitlines()
        n = len(tokens) if limit is None else min(limit, len(tokens))
        return tokens[:n], np.asarray(vectors[:n]), None, {"source": str(path)}
    raise EmbeddingFormatError(f"{path}: unsupported format {fmt!r}")


def finish(tokens: list[str], vectors: np.ndarray, freqs: np.ndarray | None, meta: dict[str, Any], *,
           lowercase: bool = False, dedupe: bool = False,
           token_filter: Callable[[str], bool] | str | None = None) -> Embeddings:
    """Apply lower-casing, de-duplication and a token filter, then build :class:`Embeddings`."""
    meta = dict(meta)
    keep = np.ones(len(tokens), dtype=bool)
    if lowercase:
        tokens = [t.lower() for t in tokens]
    if dedupe or lowercase:
        seen: set[str] = set()
        for i, t in enumerate(tokens):
            if t in seen:
                keep[i] = False
            seen.add(t)
        meta["duplicates_dropped"] = int((~keep).sum())
    if token_filter is not None:
        from icaxes.io.filters import get_filter

        f = get_filter(token_filter)
        passed = np.fromiter((f(t) for t in tokens), dtype=bool, count=len(tokens))
        meta["filtered_out"] = int((keep & ~passed).sum())
        keep &= passed
    if not keep.all():
        rows = np.flatnonzero(keep)
        tokens = [tokens[i] for i in rows]
        vectors = np.asarray(vectors[rows])
        freqs = None if freqs is None else freqs[rows]
    return Embeddings(tokens, vectors, freqs, meta)
