"""The central data object: tokens with their vectors."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from icaxes.errors import (
    DegenerateDataError,
    DimensionMismatchError,
    EmptyTokenError,
    InputError,
    NonFiniteError,
)
from icaxes.io.vocabulary import HasVocabulary, Vocabulary, unknown_token_message

__all__ = ["Embeddings", "Vocabulary", "check_finite", "check_fit_matrix", "unknown_token_message"]


def _first(items: Iterable[Any], k: int = 3) -> str:
    out = []
    for i, item in enumerate(items):
        if i >= k:
            out.append("...")
            break
        out.append(repr(item))
    return ", ".join(out)


def check_finite(vectors: np.ndarray, tokens: Sequence[str] | None = None, what: str = "input") -> None:
    """Raise :class:`NonFiniteError` if ``vectors`` holds NaN or infinite values."""
    bad_rows = np.flatnonzero(~np.isfinite(vectors).all(axis=1)) if vectors.ndim == 2 else None
    if bad_rows is not None and bad_rows.size:
        names = [tokens[i] for i in bad_rows[:3]] if tokens is not None else list(bad_rows[:3])
        raise NonFiniteError(
            f"{what} has NaN or infinite values in {bad_rows.size} row(s) (first: {_first(names)}); "
            "drop or repair those rows before fitting"
        )


@dataclass
class Embeddings(HasVocabulary):
    """Tokens and their vectors: the object every part of icaxes consumes.

    Parameters
    ----------
    tokens : list of str
        One non-empty, unique token per row.
    vectors : ndarray of shape (n, d)
        The embedding matrix; stored as C-contiguous float32.
    frequencies : ndarray of shape (n,), optional
        A frequency (or count) per token, used for frequency filters and weighted samples.
    metadata : dict
        Free-form description of the source (name, version, path, options used).

    Raises
    ------
    InputError
        If shapes disagree, a token is empty, tokens repeat, or values are not finite.

    Examples
    --------
    >>> import numpy as np
    >>> emb = Embeddings(["a", "b"], np.eye(2))
    >>> emb.dim, len(emb)
    (2, 2)
    """

    tokens: list[str]
    vectors: np.ndarray
    frequencies: np.ndarray | None = None
    metadata: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.tokens = [str(t) for t in self.tokens]
        vectors = np.asarray(self.vectors)
        if vectors.ndim != 2:
            raise DimensionMismatchError(
                f"vectors must be a 2-D array (rows x dimensions), got shape {vectors.shape}"
            )
        if not np.issubdtype(vectors.dtype, np.number):
            raise InputError(f"vectors must be numeric, got dtype {vectors.dtype}")
        if vectors.dtype != np.float32 or not vectors.flags.c_contiguous:
            # memory-mapped float32 input is kept as it is (no copy)
            if not (isinstance(vectors, np.memmap) and vectors.dtype == np.float32):
                vectors = np.ascontiguousarray(vectors, dtype=np.float32)
        self.vectors = vectors
        if len(self.tokens) != vectors.shape[0]:
            raise DimensionMismatchError(
                f"{len(self.tokens)} tokens but {vectors.shape[0]} vector rows; "
                "give exactly one token per row"
            )
        empty = [i for i, t in enumerate(self.tokens) if not t.strip()]
        if empty:
            raise EmptyTokenError(
                f"{len(empty)} empty or whitespace-only token(s) (first at row {empty[0]}); "
                "remove those rows"
            )
        self._vocabulary: Vocabulary | None = Vocabulary(self.tokens)
        self._vocabulary.check_unique(
            "deduplicate them (load_embeddings(..., dedupe=True) keeps the first row of each)")
        check_finite(self.vectors, self.tokens)
        if self.frequencies is not None:
            freqs = np.asarray(self.frequencies, dtype=np.float64)
            if freqs.shape != (len(self.tokens),):
                raise DimensionMismatchError(
                    f"frequencies has shape {freqs.shape}, expected ({len(self.tokens)},)"
                )
            self.frequencies = freqs

    # ------------------------------------------------------------ adapters
    @classmethod
    def from_keyed_vectors(cls, kv: Any, *, limit: int | None = None) -> Embeddings:
        """From a gensim ``KeyedVectors`` (see :func:`icaxes.io.adapters.from_keyed_vectors`)."""
        from icaxes.io.adapters import from_keyed_vectors

        return from_keyed_vectors(kv, limit=limit)

    @classmethod
    def from_sentence_transformer(cls, model: Any, texts: Sequence[str], *, batch_size: int = 64,
                                  progress: bool = False) -> Embeddings:
        """``texts`` encoded by a sentence-transformers model, one row per distinct text
        (see :func:`icaxes.io.adapters.from_sentence_transformer`)."""
        from icaxes.io.adapters import from_sentence_transformer

        return from_sentence_transformer(model, texts, batch_size=batch_size, progress=progress)

    @classmethod
    def from_dataframe(cls, df: Any, *, token_column: str = "token",
                       vector_columns: Sequence[str] | None = None, vector_column: str | None = None,
                       frequency_column: str | None = None) -> Embeddings:
        """From a pandas DataFrame (see :func:`icaxes.io.adapters.from_dataframe`)."""
        from icaxes.io.adapters import from_dataframe

        return from_dataframe(df, token_column=token_column, vector_columns=vector_columns,
                              vector_column=vector_column, frequency_column=frequency_column)

    @classmethod
    def from_model2vec(cls, folder: Any, *, limit: int | None = None) -> Embeddings:
        """The token rows of a model2vec folder (see :func:`icaxes.io.adapters.read_model2vec`)."""
        from icaxes.io.adapters import read_model2vec

        tokens, vectors, freqs, meta = read_model2vec(folder, limit=limit)
        return cls(tokens, vectors, freqs, meta)

    # ------------------------------------------------------------------ access
    def __len__(self) -> int:
        return len(self.tokens)

    def __repr__(self) -> str:
        name = self.metadata.get("source", "embeddings")
        return f"<Embeddings {name}: {len(self):,} tokens x {self.dim} dims>"

    @property
    def dim(self) -> int:
        """Number of dimensions (columns)."""
        return int(self.vectors.shape[1])


    def row(self, token: str) -> int:
        """Row number of ``token``; raises :class:`UnknownTokenError` with close matches."""
        return self.vocabulary.row(token)

    def vector(self, token: str) -> np.ndarray:
        """The vector of ``token``."""
        return np.asarray(self.vectors[self.row(token)])

    # ------------------------------------------------------------- selection
    def subset(self, rows: Sequence[int] | np.ndarray) -> Embeddings:
        """A new object holding only ``rows`` (in that order)."""
        rows = np.asarray(rows, dtype=np.int64)
        return Embeddings(
            [self.tokens[i] for i in rows],
            np.asarray(self.vectors[rows]),
            None if self.frequencies is None else self.frequencies[rows],
            dict(self.metadata),
        )

    def head(self, n: int) -> Embeddings:
        """The first ``n`` rows (sources are in frequency order, so the ``n`` most frequent)."""
        return self.subset(np.arange(min(n, len(self))))

    def filter(self, keep: Callable[[str], bool]) -> Embeddings:
        """Rows whose token satisfies ``keep``; see :mod:`icaxes.io.filters` for ready filters."""
        rows = [i for i, t in enumerate(self.tokens) if keep(t)]
        out = self.subset(rows)
        out.metadata["filtered_out"] = len(self) - len(rows)
        return out

    def constant_columns(self) -> np.ndarray:
        """Indices of the columns that (nearly) never vary over the rows.

        A column is constant when its standard deviation is at most 1e-6 times the largest
        column's, the threshold at which PCA whitening rejects it (it carries no axis).
        """
        n = len(self)
        if n < 2:
            return np.zeros(0, dtype=np.int64)
        step = 65_536
        total = np.zeros(self.dim)
        for start in range(0, n, step):
            total += np.asarray(self.vectors[start:start + step], dtype=np.float64).sum(axis=0)
        mean = total / n
        sq = np.zeros(self.dim)
        for start in range(0, n, step):
            sq += ((np.asarray(self.vectors[start:start + step], dtype=np.float64) - mean) ** 2).sum(axis=0)
        var = sq / n
        return np.flatnonzero(var <= max(float(var.max()), np.finfo(float).tiny) * 1e-12)

    def drop_constant_columns(self) -> Embeddings:
        """The same rows without their constant columns (see :meth:`constant_columns`).

        Returns ``self`` when no column is constant; otherwise a new object whose metadata
        lists the dropped columns (original indices) under ``constant_columns_dropped`` and
        the original width under ``input_dim``.
        """
        dropped = self.constant_columns()
        if dropped.size == 0:
            return self
        live = np.ones(self.dim, dtype=bool)
        live[dropped] = False
        meta = {**self.metadata, "constant_columns_dropped": [int(c) for c in dropped],
                "input_dim": self.dim}
        return Embeddings(list(self.tokens), np.ascontiguousarray(self.vectors[:, live]),
                          self.frequencies, meta)


def check_fit_matrix(X: np.ndarray, *, what: str = "embedding matrix") -> None:
    """Check that a matrix can be PCA-whitened and raise a clear error if not."""
    n, d = X.shape
    if n < 2:
        raise DegenerateDataError(
            f"{what} has n_samples={n}; at least 2 rows (and at least as many as dimensions) are needed"
        )
    if n < d:
        raise DegenerateDataError(
            f"{what} has fewer rows ({n}) than dimensions ({d}); ICA needs at least as many rows "
            "as dimensions, use more tokens or fewer components (n_components)"
        )
