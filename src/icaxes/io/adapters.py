"""Embeddings from the objects and folders users already hold.

- :func:`from_keyed_vectors`: a gensim ``KeyedVectors`` (or a model's ``.wv``).
- :func:`from_sentence_transformer`: any sentence-transformers model and a list of texts.
- :func:`from_dataframe`: a pandas DataFrame with a token column and vector column(s).
- :func:`read_model2vec`: a model2vec folder (``model.safetensors`` + ``tokenizer.json``),
  read with safetensors alone (the ``model2vec`` package is not needed).
- the source ``st:MODEL_DIR:TEXTS`` of :func:`~icaxes.io.sources.load_embeddings`: a local
  sentence-transformers folder and a UTF-8 text file with one text per line
  (:func:`load_st_texts`); blank lines are skipped and repeated texts kept once.

Each gives :class:`~icaxes.io.embeddings.Embeddings`; its ``metadata["source"]`` names where
the rows came from so that a model fitted on them can encode new texts the same way
(:func:`icaxes.io.encoders.text_encoder_for`).
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from icaxes.errors import EmbeddingFormatError, InputError, UnknownSourceError, require
from icaxes.io.embeddings import Embeddings
from icaxes.io.vocabulary import Vocabulary


# ----------------------------------------------------------------------------------- gensim
def from_keyed_vectors(kv: Any, *, limit: int | None = None) -> Embeddings:
    """Embeddings of a gensim ``KeyedVectors`` (rows in its order; counts become frequencies).

    Parameters
    ----------
    kv : gensim.models.KeyedVectors
        Or any object with ``index_to_key`` and ``vectors`` (a gensim model's ``.wv``).
    limit : int, optional
        Keep the first ``limit`` rows (gensim orders rows by frequency).
    """
    keys = getattr(kv, "index_to_key", None)
    vectors = getattr(kv, "vectors", None)
    if keys is None or vectors is None:
        raise InputError(f"expected a gensim KeyedVectors (with index_to_key and vectors), got "
                         f"{type(kv).__name__}; for a gensim model pass model.wv")
    n = len(keys) if limit is None else min(limit, len(keys))
    counts = None
    if n and "count" in (getattr(kv, "expandos", None) or {}):
        c = np.asarray(kv.expandos["count"][:n], dtype=np.float64)
        counts = c if np.any(c > 0) else None
    return Embeddings([str(k) for k in keys[:n]], np.asarray(vectors[:n]), counts,
                      {"source": "gensim KeyedVectors", "format": "gensim"})


# ------------------------------------------------------------------------ sentence-transformers
def _unique_texts(texts: Sequence[str]) -> tuple[list[str], int]:
    out = list(dict.fromkeys(t for t in (str(x).strip() for x in texts) if t))
    return out, len(texts) - len(out)


def from_sentence_transformer(model: Any, texts: Sequence[str], *, batch_size: int = 64,
                              progress: bool = False, source: str | None = None) -> Embeddings:
    """Embeddings of ``texts`` encoded by a sentence-transformers model (tokens are the texts).

    Parameters
    ----------
    model : sentence_transformers.SentenceTransformer
        Any loaded model (or an object with the same ``encode``).
    texts : sequence of str
        The texts; surrounding whitespace is stripped, blank texts dropped and repeats kept once
        (the count dropped is ``metadata["texts_dropped"]``).
    batch_size : int
    progress : bool
        Show the encoder's progress bar.
    source : str, optional
        What ``metadata["source"]`` says (default: the model's name or folder).
    """
    if not callable(getattr(model, "encode", None)):
        raise InputError(f"expected a sentence-transformers model with .encode, got {type(model).__name__}")
    if isinstance(texts, str):
        raise InputError("texts must be a list of strings, not one string")
    kept, dropped = _unique_texts(texts)
    if not kept:
        raise InputError("nothing to encode: every text is blank")
    vectors = np.asarray(model.encode(kept, batch_size=batch_size, show_progress_bar=progress,
                                      convert_to_numpy=True), dtype=np.float32)
    name = source or _st_name(model)
    return Embeddings(kept, vectors.reshape(len(kept), -1), None,
                      {"source": name, "encoder": f"sentence-transformers {name}", "texts_dropped": dropped})


def _st_name(model: Any) -> str:
    try:
        return str(model[0].auto_model.config._name_or_path) or "sentence-transformers model"
    except Exception:  # not a standard SentenceTransformer: any name will do
        return "sentence-transformers model"


def _check_st_folder(folder: Path) -> None:
    if not ((folder / "modules.json").is_file() or (folder / "config.json").is_file()):
        raise UnknownSourceError(f"{folder} is not a sentence-transformers model folder (no modules.json "
                                 "or config.json); save one with model.save(folder)")


def load_sentence_transformer(folder: str | os.PathLike[str]) -> Any:
    """Load a local sentence-transformers folder on the CPU, offline."""
    folder = Path(folder)
    _check_st_folder(folder)
    os.environ.setdefault("HF_HUB_OFFLINE", "1")  # a local folder needs no network
    st = require("sentence_transformers", extra="encoders", feature="sentence-transformers folders")
    try:
        return st.SentenceTransformer(str(folder), device="cpu", local_files_only=True)
    except (OSError, ValueError) as exc:
        raise UnknownSourceError(f"{folder}: cannot load it as a sentence-transformers model "
                                 f"({type(exc).__name__}: {exc})") from None


def read_texts(path: str | os.PathLike[str]) -> list[str]:
    """The lines of a UTF-8 text file (one text per line)."""
    path = Path(path)
    try:
        return path.read_text(encoding="utf-8").splitlines()
    except UnicodeDecodeError as exc:
        raise InputError(f"{path}: not UTF-8 text (byte {exc.start + 1}); save it as UTF-8") from None


def load_st_texts(folder: str | os.PathLike[str], text_file: str | os.PathLike[str], *,
                  limit: int | None = None, progress: bool = False, source: str | None = None) -> Embeddings:
    """Embeddings of the distinct lines of ``text_file`` encoded by the sentence-transformers
    ``folder`` (the first ``limit`` of them): the source ``st:MODEL_DIR:TEXTS``.

    ``source`` is what ``metadata["source"]`` says (default ``st:FOLDER:TEXT_FILE``); the
    absolute folder and text file are recorded as ``model_dir`` and ``texts``.
    """
    folder, text_file = Path(folder), Path(text_file)
    texts, _ = _unique_texts(read_texts(text_file))
    if limit is not None:
        texts = texts[:limit]
    if not texts:
        raise InputError(f"{text_file}: no text to encode (the file is empty or blank)")
    model = load_sentence_transformer(folder)
    emb = from_sentence_transformer(model, texts, progress=progress,
                                    source=source or f"st:{folder}:{text_file}")
    emb.metadata.update(model_dir=str(folder.resolve()), texts=str(text_file.resolve()))
    return emb


def sentence_transformer_encoder(folder: str | os.PathLike[str]) -> Callable[[list[str]], np.ndarray]:
    """A function texts -> float32 rows, encoding with the sentence-transformers folder."""
    model = load_sentence_transformer(folder)
    return lambda texts: np.asarray(model.encode(list(texts), show_progress_bar=False,
                                                 convert_to_numpy=True), dtype=np.float32)


# ---------------------------------------------------------------------------------- model2vec
def model2vec_layout(folder: Path) -> tuple[Path, Path, str] | None:
    """(weights file, tokenizer file, tensor name) of a model2vec folder, or None.

    Both layouts model2vec writes are recognised: ``model.safetensors`` + ``tokenizer.json``
    at the top, and the sentence-transformers one under ``0_StaticEmbedding/``.
    """
    for sub, name in (("", "embeddings"), ("0_StaticEmbedding", "embedding.weight")):
        base = folder / sub if sub else folder
        if (base / "model.safetensors").is_file() and (base / "tokenizer.json").is_file():
            return base / "model.safetensors", base / "tokenizer.json", name
    return None


def _tokenizer_vocab(path: Path) -> dict[int, str]:
    try:
        tok = json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise EmbeddingFormatError(f"{path}: not a tokenizer.json ({exc})") from None
    model = tok.get("model") if isinstance(tok, dict) else None
    vocab = model.get("vocab") if isinstance(model, dict) else None
    ids: dict[int, str] = {}
    if isinstance(vocab, dict):  # WordPiece, WordLevel, BPE: token -> id
        ids = {int(i): str(t) for t, i in vocab.items()}
    elif isinstance(vocab, list):  # Unigram: [token, score] in id order
        ids = {i: str(entry[0]) for i, entry in enumerate(vocab)}
    else:
        raise EmbeddingFormatError(f"{path}: no model.vocab in this tokenizer.json; is it a "
                                   "Hugging Face tokenizers file?")
    for added in tok.get("added_tokens") or []:
        if isinstance(added, dict) and "id" in added and "content" in added:
            ids.setdefault(int(added["id"]), str(added["content"]))
    return ids


def read_model2vec(folder: str | os.PathLike[str], *, limit: int | None = None
                   ) -> tuple[list[str], np.ndarray, None, dict[str, Any]]:
    """Read a model2vec static model folder: one row per vocabulary entry, in id order.

    Rows with vocabulary quantisation (a ``mapping`` tensor) are expanded to one row per
    token, and per-token ``weights`` are applied, so each row is the vector model2vec uses for
    that token. All-zero rows (padding) are dropped; their count is ``metadata["zero_rows_dropped"]``.

    Returns
    -------
    tokens, vectors, frequencies (None), metadata
        Raw parts for :func:`icaxes.io.readers.finish`.
    """
    folder = Path(folder)
    layout = model2vec_layout(folder)
    if layout is None:
        raise EmbeddingFormatError(f"{folder} is not a model2vec folder (needs model.safetensors and "
                                   "tokenizer.json)")
    weights_path, tok_path, name = layout
    require("safetensors", extra="encoders", feature="reading model2vec folders")
    from safetensors.numpy import load_file

    try:
        tensors = load_file(str(weights_path))
    except Exception as exc:  # safetensors raises its own untyped errors
        raise EmbeddingFormatError(f"{weights_path}: not a readable safetensors file ({exc})") from None
    if name not in tensors:
        name = next((k for k in ("embeddings", "embedding.weight") if k in tensors), None) or ""
    if not name:
        raise EmbeddingFormatError(f"{weights_path}: no 'embeddings' tensor (found: "
                                   f"{', '.join(sorted(tensors)) or 'none'})")
    emb = np.asarray(tensors[name], dtype=np.float32)
    if emb.ndim != 2:
        raise EmbeddingFormatError(f"{weights_path}: the embeddings tensor has shape {emb.shape}, not 2-D")
    vocab = _tokenizer_vocab(tok_path)
    n_tokens = max(vocab) + 1 if vocab else 0
    mapping = tensors.get("mapping")
    rows = np.asarray(mapping, dtype=np.int64) if mapping is not None else np.arange(emb.shape[0])
    if mapping is None and n_tokens != emb.shape[0]:
        raise EmbeddingFormatError(f"{folder}: tokenizer.json has {n_tokens} tokens but the embeddings "
                                   f"have {emb.shape[0]} rows")
    vectors = emb[rows[:n_tokens]]
    if "weights" in tensors:
        vectors = vectors * np.asarray(tensors["weights"], dtype=np.float32)[:n_tokens, None]
    ids = np.array(sorted(vocab), dtype=np.int64)
    vectors = vectors[ids]
    tokens = [vocab[int(i)] for i in ids]
    nonzero = np.flatnonzero(np.any(vectors != 0, axis=1))
    dropped = len(tokens) - len(nonzero)
    if limit is not None:
        nonzero = nonzero[:limit]
    meta = {"source": str(folder), "format": "model2vec", "model_dir": str(folder.resolve()),
            "zero_rows_dropped": dropped}
    return [tokens[i] for i in nonzero], np.ascontiguousarray(vectors[nonzero]), None, meta


def model2vec_encoder(folder: str | os.PathLike[str]) -> Callable[[list[str]], np.ndarray]:
    """A function texts -> rows, as model2vec encodes: the mean of the texts' token rows.

    Uses the folder's ``tokenizer.json`` (the ``tokenizers`` package) and the rows of
    :func:`read_model2vec`; unknown tokens are skipped and ``normalize`` in ``config.json``
    is honoured.
    """
    folder = Path(folder)
    layout = model2vec_layout(folder)
    if layout is None:
        raise EmbeddingFormatError(f"{folder} is not a model2vec folder")
    require("tokenizers", extra="encoders", feature="encoding texts with a model2vec folder")
    from tokenizers import Tokenizer

    tokenizer = Tokenizer.from_file(str(layout[1]))
    tokens, vectors, _, _ = read_model2vec(folder)
    row_of = Vocabulary(tokens).index
    id_to_row = {i: row_of[t] for t, i in tokenizer.get_vocab().items() if t in row_of}
    config = {}
    if (folder / "config.json").is_file():
        try:
            config = json.loads((folder / "config.json").read_text(encoding="utf-8"))
        except (json.JSONDecodeError, UnicodeDecodeError):
            config = {}
    normalize = bool(config.get("normalize", False))

    def encode(texts: list[str]) -> np.ndarray:
        out = np.zeros((len(texts), vectors.shape[1]), dtype=np.float32)
        for j, enc in enumerate(tokenizer.encode_batch(list(texts), add_special_tokens=False)):
            rows = [id_to_row[i] for i in enc.ids if i in id_to_row]
            if rows:
                out[j] = vectors[rows].mean(axis=0)
        if normalize:
            norms = np.linalg.norm(out, axis=1, keepdims=True)
            out = np.divide(out, norms, out=np.zeros_like(out), where=norms > 0)
        return out

    return encode


# ---------------------------------------------------------------------------------- DataFrame
def from_dataframe(df: Any, *, token_column: str = "token", vector_columns: Sequence[str] | None = None,
                   vector_column: str | None = None, frequency_column: str | None = None) -> Embeddings:
    """Embeddings from a pandas DataFrame.

    Parameters
    ----------
    df : pandas.DataFrame
    token_column : str, default "token"
        The column of tokens (strings).
    vector_columns : sequence of str, optional
        Numeric columns holding one dimension each.
    vector_column : str, optional
        Instead: one column holding a list or array per row.
    frequency_column : str, optional
        A column of frequencies or counts.

    With neither ``vector_columns`` nor ``vector_column``, every numeric column except the
    token and frequency columns is a dimension (in column order).
    """
    import pandas as pd

    if not isinstance(df, pd.DataFrame):
        raise InputError(f"expected a pandas DataFrame, got {type(df).__name__}")
    if vector_columns is not None and vector_column is not None:
        raise InputError("give vector_columns (one column per dimension) or vector_column (lists), not both")
    missing = [c for c in [token_column, *(vector_columns or []),
                           *([vector_column] if vector_column else []),
                           *([frequency_column] if frequency_column else [])] if c not in df.columns]
    if missing:
        raise InputError(f"column(s) {', '.join(map(repr, missing))} not in the DataFrame "
                         f"(columns: {', '.join(map(str, list(df.columns)[:8]))}"
                         f"{', ...' if len(df.columns) > 8 else ''})")
    tokens = df[token_column]
    if tokens.isna().any():
        raise InputError(f"column {token_column!r} has {int(tokens.isna().sum())} missing token(s)")
    if vector_column is not None:
        cells = df[vector_column].tolist()
        lengths = {np.size(c) for c in cells}
        if len(lengths) > 1:
            raise InputError(f"column {vector_column!r} holds vectors of different lengths "
                             f"({', '.join(map(str, sorted(lengths)[:4]))}); give equal-length vectors")
        try:
            vectors = np.asarray([np.asarray(c, dtype=np.float32) for c in cells], dtype=np.float32)
        except (TypeError, ValueError) as exc:
            raise InputError(f"column {vector_column!r} is not numeric vectors ({exc})") from None
    else:
        cols = list(vector_columns) if vector_columns is not None else [
            c for c in df.columns if c not in (token_column, frequency_column)
            and pd.api.types.is_numeric_dtype(df[c]) and not pd.api.types.is_bool_dtype(df[c])]
        if not cols:
            raise InputError("no vector columns: pass vector_columns=[...] or vector_column='...'")
        bad = [c for c in cols if not pd.api.types.is_numeric_dtype(df[c])]
        if bad:
            raise InputError(f"vector column(s) {', '.join(map(repr, bad))} are not numeric")
        vectors = df[cols].to_numpy(dtype=np.float32)
    freqs = None if frequency_column is None else df[frequency_column].to_numpy(dtype=np.float64)
    return Embeddings([str(t) for t in tokens], vectors, freqs, {"source": "DataFrame"})
