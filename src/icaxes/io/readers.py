"""Readers for embedding files.

Each reader returns raw ``(tokens, vectors, frequencies, metadata)``; :func:`finish` applies the
common options (lower-casing, de-duplication, token filters) and builds the
:class:`~icaxes.io.embeddings.Embeddings` object. :func:`read_path` picks the reader from
``format=`` or the file name:

=================  ===========================================================================
format             files
=================  ===========================================================================
``text``           word2vec / fastText / GloVe text (``.vec``, ``.txt``, ``.gz``), header optional
``bin``            word2vec binary (``.bin``)
``npy``            ``.npy`` / ``.npz`` matrix plus a token file (one token per line)
``parquet``        a token column plus one list column or ``d`` numeric columns
``gensim``         gensim ``KeyedVectors`` (``.kv``, ``.model``); needs the ``gensim`` extra
``spacy``          a spaCy vectors folder (``vectors`` + ``strings.json``); needs the ``spacy`` extra
=================  ===========================================================================

Text files are parsed chunk by chunk straight into one preallocated float32 array, so a large
file is never held twice in memory.
"""

from __future__ import annotations

import csv
import gzip
import io
import warnings
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO, Any

import numpy as np

from icaxes.errors import EmbeddingFormatError, InputError, UnknownSourceError
from icaxes.io.embeddings import Embeddings

Raw = tuple[list[str], np.ndarray, np.ndarray | None, dict[str, Any]]

FORMATS = ("text", "bin", "npy", "parquet", "gensim", "spacy")
_CHUNK = 20_000  # rows parsed per step by the fast text path


def guess_format(path: Path) -> str:
    """The reader name for ``path`` from its extension (or folder contents).

    Parameters
    ----------
    path : Path
        File or folder.

    Returns
    -------
    str
        One of :data:`FORMATS`.
    """
    if path.is_dir():
        if (path / "vectors").exists() or (path / "vocab" / "vectors").exists():
            return "spacy"
        raise EmbeddingFormatError(
            f"{path} is a folder but not a spaCy vectors folder (no 'vectors' file); give a file instead"
        )
    name = path.name.lower()
    if name.endswith((".npy", ".npz")):
        return "npy"
    if name.endswith((".parquet", ".pq")):
        return "parquet"
    if name.endswith((".kv", ".model")):
        return "gensim"
    if name.endswith((".bin", ".bin.gz")):
        return "bin"
    return "text"


def read_path(path: Path, *, limit: int | None = None, format: str | None = None,
              tokens_path: Any = None) -> Raw:
    """Read any supported file, choosing the reader by ``format`` or the file name.

    Parameters
    ----------
    path : Path
        The file (or spaCy vectors folder).
    limit : int, optional
        Read only the first ``limit`` rows; the rest of the file is not parsed.
    format : str, optional
        One of :data:`FORMATS`; guessed from the extension if not given.
    tokens_path : path, optional
        Token file for ``.npy``/``.npz`` matrices.

    Returns
    -------
    tokens, vectors, frequencies, metadata
        Raw parts for :func:`finish`.

    Raises
    ------
    EmbeddingFormatError
        If the file is malformed (one line saying where and what).
    """
    path = Path(path)
    if limit is not None and limit < 1:
        raise InputError(f"limit must be a positive number of rows, got {limit}")
    fmt = format or guess_format(path)
    readers: dict[str, Callable[..., Raw]] = {
        "text": read_text, "bin": read_word2vec_bin, "npy": read_npy, "parquet": read_parquet,
        "gensim": read_gensim, "spacy": read_spacy,
    }
    if fmt not in readers:
        raise EmbeddingFormatError(f"unknown format {fmt!r}; choose one of {', '.join(FORMATS)}")
    if fmt == "npy":
        return read_npy(path, limit=limit, tokens_path=tokens_path)
    return readers[fmt](path, limit=limit)


# ----------------------------------------------------------------------------- text
def _open_binary(path: Path) -> IO[bytes]:
    with open(path, "rb") as f:
        magic = f.read(2)
    return gzip.open(path, "rb") if magic == b"\x1f\x8b" else open(path, "rb")


def _decode(raw: bytes, lineno: int, path: Path) -> str:
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise EmbeddingFormatError(
            f"{path}: line {lineno} is not valid UTF-8 (byte {exc.start + 1} of the line, "
            f"0x{raw[exc.start]:02x}); re-encode the file as UTF-8"
        ) from None


def _parse_header(line: str) -> tuple[int, int] | None:
    parts = line.split()
    if len(parts) == 2 and all(p.isdigit() for p in parts):
        return int(parts[0]), int(parts[1])
    return None


class _Growing:
    """A float32 (capacity x d) buffer that grows geometrically and shrinks in place at the end."""

    def __init__(self, capacity: int, d: int) -> None:
        self.data = np.empty((max(capacity, 1), d), dtype=np.float32)
        self.n = 0

    def append(self, block: np.ndarray) -> None:
        need = self.n + len(block)
        if need > len(self.data):
            # resize in place where possible (numpy reallocates without a second live copy)
            self.data.resize((max(need, 2 * len(self.data)), self.data.shape[1]), refcheck=False)
        self.data[self.n:need] = block
        self.n = need

    def result(self) -> np.ndarray:
        self.data.resize((self.n, self.data.shape[1]), refcheck=False)
        return self.data


def _text_layout(path: Path) -> tuple[tuple[int, int] | None, int, int, bool]:
    """Header (if any), the dimension, the lines before the first data line, and whether data
    lines end with a space (fastText's ``.vec`` files do)."""
    with _open_binary(path) as f:
        lineno = 0
        first = None
        for raw in f:
            lineno += 1
            text = _decode(raw, lineno, path)
            if text.strip():
                first = text
                break
        if first is None:
            raise EmbeddingFormatError(f"{path}: the file is empty; give a file with one token and "
                                       "its numbers per line")
        header = _parse_header(first)
        if header is None:
            parts = first.split()
            if len(parts) < 2:
                raise EmbeddingFormatError(
                    f"{path}: line {lineno} has a token but no numbers; expected 'token v1 v2 ...'")
            return None, len(parts) - 1, lineno - 1, first.rstrip("\r\n").endswith(" ")
        n, d = header
        if n < 1 or d < 1:
            raise EmbeddingFormatError(f"{path}: header '{first.strip()}' announces no rows or columns")
        for raw in f:
            lineno += 1
            text = _decode(raw, lineno, path)
            if text.strip():
                return header, d, lineno - 1, text.rstrip("\r\n").endswith(" ")
        raise EmbeddingFormatError(f"{path}: header announces {n} rows but the file has none")


def read_text(path: Path, *, limit: int | None = None) -> Raw:
    """Read word2vec/fastText/GloVe text, with or without the ``n d`` header, plain or gzipped.

    Parameters
    ----------
    path : Path
        The file; gzip is recognised by its magic bytes, not only by ``.gz``.
    limit : int, optional
        Stop after this many rows.

    Returns
    -------
    tokens, vectors, frequencies, metadata
        ``frequencies`` is None (text files carry none; rows are usually in frequency order).

    Notes
    -----
    A fast C parser (pandas) reads the common case (``metadata["parser"] == "fast"``), also
    fastText's lines that end with a space; any irregularity (a token with spaces,
    a ragged row, a bad number, bad UTF-8) switches to a line-by-line parser that either
    handles it (tokens with spaces: the last ``d`` fields are the numbers) or says exactly which
    line is wrong.
    """
    header, d, skip, trailing = _text_layout(path)
    parser = "fast"
    try:
        tokens, vectors = _read_text_fast(path, header, d, skip, limit, trailing)
    except _SlowPath:
        parser = "lines"
        tokens, vectors = _read_text_lines(path, header, d, skip, limit)
    if header is not None and limit is None and len(tokens) != header[0]:
        raise EmbeddingFormatError(
            f"{path}: the header announces {header[0]} rows but the file has {len(tokens)}; "
            "fix the first line or remove it"
        )
    if not tokens:
        raise EmbeddingFormatError(f"{path}: no data rows")
    meta = {"source": str(path), "format": "text", "header": header is not None, "parser": parser}
    return tokens, vectors, None, meta


def _capacity(expected: int | None, limit: int | None) -> int:
    # a header gives the exact size; otherwise start small and grow geometrically
    if expected is not None:
        return min(expected, limit) if limit else expected
    return min(limit, 1 << 16) if limit else 1 << 16


class _SlowPath(Exception):
    """The fast parser met something it cannot judge; use the line parser."""


def _read_text_fast(path: Path, header: tuple[int, int] | None, d: int, skip: int,
                    limit: int | None, trailing: bool) -> tuple[list[str], np.ndarray]:
    import pandas as pd

    expected = header[0] if header else None
    buf = _Growing(_capacity(expected, limit), d)
    tokens: list[str] = []
    try:
        reader = pd.read_csv(
            path, sep=" ", header=None, skiprows=skip, quoting=csv.QUOTE_NONE, engine="c",
            dtype={0: str, **{i: np.float32 for i in range(1, d + 1)}, d + 1: str}, na_filter=False,
            keep_default_na=False, chunksize=_CHUNK, nrows=limit, encoding="utf-8",
            compression="infer", skip_blank_lines=True, names=range(d + 1 + trailing), index_col=False,
        )
        with reader as chunks, warnings.catch_warnings():
            warnings.simplefilter("error")  # pandas warns on dropped fields: treat as irregular
            for chunk in chunks:
                if trailing:
                    # the empty field after a line's final space; anything else there is a ragged row
                    extra = chunk.pop(d + 1)
                    if not (extra.isna() | (extra == "")).all():
                        raise _SlowPath
                vals = chunk.iloc[:, 1:].to_numpy(dtype=np.float32)
                if vals.shape[1] != d or not np.isfinite(vals).all():
                    raise _SlowPath
                if expected is not None and len(tokens) + len(chunk) > expected:
                    raise _SlowPath
                tokens.extend(chunk.iloc[:, 0].tolist())
                buf.append(vals)
    except _SlowPath:
        raise
    except (ValueError, UnicodeDecodeError, Warning, pd.errors.ParserError, TypeError):
        raise _SlowPath from None
    if any(not isinstance(t, str) for t in tokens):
        raise _SlowPath
    return tokens, buf.result()


def _read_text_lines(path: Path, header: tuple[int, int] | None, d: int, skip: int,
                     limit: int | None) -> tuple[list[str], np.ndarray]:
    expected = header[0] if header else None
    buf = _Growing(_capacity(expected, limit), d)
    tokens: list[str] = []
    block = np.empty((1024, d), dtype=np.float32)
    filled = 0
    with _open_binary(path) as f:
        for lineno, raw in enumerate(f, start=1):
            if lineno <= skip:
                continue
            text = _decode(raw, lineno, path).rstrip("\r\n")
            parts = text.rstrip().split(" ") if text.strip() else []
            if not parts:
                continue
            if expected is not None and len(tokens) >= expected:
                raise EmbeddingFormatError(
                    f"{path}: the header announces {expected} rows but line {lineno} is row "
                    f"{expected + 1}; fix the first line or remove it")
            if len(parts) < d + 1:
                raise EmbeddingFormatError(
                    f"{path}: line {lineno} has {len(parts) - 1} values, expected {d} "
                    f"({'from the header' if header else 'as in the first row'}); the rows are ragged")
            # tokens may contain spaces (some GloVe files): the last d fields are the numbers
            token = " ".join(parts[:-d]) if len(parts) > d + 1 else parts[0]
            nums = parts[-d:]
            if len(parts) > d + 1 and _is_number(parts[-d - 1]):
                raise EmbeddingFormatError(
                    f"{path}: line {lineno} has {len(parts) - 1} values, expected {d} "
                    f"({'from the header' if header else 'as in the first row'}); the rows are ragged")
            try:
                block[filled] = np.asarray(nums, dtype=np.float32)
            except ValueError:
                bad = next((v for v in nums if not _is_number(v)), nums[0])
                raise EmbeddingFormatError(
                    f"{path}: line {lineno} has a value that is not a number: {bad!r}") from None
            tokens.append(token)
            filled += 1
            if filled == len(block):
                buf.append(block)
                filled = 0
            if limit is not None and len(tokens) >= limit:
                break
    buf.append(block[:filled])
    return tokens, buf.result()


def _is_number(s: str) -> bool:
    try:
        float(s)
    except ValueError:
        return False
    return True


# ------------------------------------------------------------------------ word2vec bin
def read_word2vec_bin(path: Path, *, limit: int | None = None) -> Raw:
    """Read the word2vec binary format: an ``n d`` text line, then per row the token, a space
    and ``d`` little-endian float32 values (a newline may follow each row).

    Parameters
    ----------
    path : Path
        The ``.bin`` file (gzip allowed).
    limit : int, optional
        Stop after this many rows.

    Returns
    -------
    tokens, vectors, frequencies, metadata
    """
    with _open_binary(path) as f:
        first = f.readline()
        if not first.strip():
            raise EmbeddingFormatError(f"{path}: the file is empty")
        header = _parse_header(_decode(first, 1, path))
        if header is None:
            raise EmbeddingFormatError(
                f"{path}: the first line must be 'rows dimensions' for word2vec binary; "
                "is this a text file? pass format='text'")
        n, d = header
        take = n if limit is None else min(n, limit)
        vectors = np.empty((take, d), dtype=np.float32)
        tokens: list[str] = []
        reader = io.BufferedReader(f, buffer_size=1 << 20) if not isinstance(f, io.BufferedReader) else f
        nbytes = 4 * d
        for i in range(take):
            raw = bytearray()
            while True:
                c = reader.read(1)
                if not c:
                    raise EmbeddingFormatError(
                        f"{path}: the header announces {n} rows but the file ends in row {i + 1}")
                if c == b" ":
                    break
                if c == b"\n" and not raw:
                    continue  # newline that ends the previous row
                raw += c
            try:
                tokens.append(raw.decode("utf-8"))
            except UnicodeDecodeError as exc:
                raise EmbeddingFormatError(
                    f"{path}: the token of row {i + 1} is not valid UTF-8 (byte {exc.start + 1} of it, "
                    f"0x{raw[exc.start]:02x})") from None
            data = reader.read(nbytes)
            if len(data) != nbytes:
                raise EmbeddingFormatError(
                    f"{path}: row {i + 1} ({tokens[-1]!r}) is cut short: {len(data)} of {nbytes} bytes; "
                    "the header announces more rows or dimensions than the file holds")
            vectors[i] = np.frombuffer(data, dtype="<f4")
        if limit is None:
            rest = reader.read(2)
            if rest.strip():
                raise EmbeddingFormatError(
                    f"{path}: the file holds more than the {n} rows its header announces")
    return tokens, vectors, None, {"source": str(path), "format": "word2vec-bin"}


# --------------------------------------------------------------------------- npy / npz
def read_npy(path: Path, *, limit: int | None = None, tokens_path: Any = None) -> Raw:
    """Read a ``.npy`` matrix (memory-mapped) or ``.npz`` and a token file.

    Parameters
    ----------
    path : Path
        ``.npy`` holding an (n, d) array, or ``.npz`` with ``vectors`` (or a single array) and
        optionally ``tokens`` (a string array, then ``tokens_path`` is not needed).
    limit : int, optional
        Keep the first ``limit`` rows.
    tokens_path : path, optional
        UTF-8 text file with one token per line, in row order.

    Returns
    -------
    tokens, vectors, frequencies, metadata
    """
    try:
        if path.name.lower().endswith(".npz"):
            with np.load(path, allow_pickle=False) as z:
                names = list(z.files)
                key = "vectors" if "vectors" in names else next((k for k in names if k != "tokens"), None)
                if key is None:
                    raise EmbeddingFormatError(f"{path}: no array in the archive")
                vectors = z[key]
                file_tokens = [str(t) for t in z["tokens"]] if "tokens" in names else None
                freqs = np.asarray(z["frequencies"], dtype=np.float64) if "frequencies" in names else None
        else:
            vectors = np.load(path, mmap_mode="r", allow_pickle=False)
            file_tokens, freqs = None, None
    except ValueError as exc:
        raise EmbeddingFormatError(f"{path}: not a readable numpy file without pickle ({exc})") from None
    if vectors.ndim != 2:
        raise EmbeddingFormatError(f"{path}: expected a 2-D array (rows x dimensions), got {vectors.shape}")
    if tokens_path is not None:
        tokens = read_token_file(Path(tokens_path))
    elif file_tokens is not None:
        tokens = file_tokens
    else:
        raise EmbeddingFormatError(
            f"{path}: a numpy matrix needs a token file; pass tokens_path= (CLI: --tokens FILE)")
    if len(tokens) != vectors.shape[0]:
        raise EmbeddingFormatError(
            f"{path}: {vectors.shape[0]} rows but {len(tokens)} tokens"
            f"{f' in {tokens_path}' if tokens_path else ''}; give exactly one token per row")
    n = len(tokens) if limit is None else min(limit, len(tokens))
    vec = np.asarray(vectors[:n])
    if not np.issubdtype(vec.dtype, np.number):
        raise EmbeddingFormatError(f"{path}: the array is not numeric (dtype {vec.dtype})")
    return tokens[:n], vec, None if freqs is None else freqs[:n], {"source": str(path), "format": "npy"}


def read_token_file(path: Path) -> list[str]:
    """Tokens from a UTF-8 file with one token per line (a trailing empty line is ignored)."""
    if not path.exists():
        raise UnknownSourceError(f"token file {path} does not exist")
    data = path.read_bytes()
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise EmbeddingFormatError(
            f"{path}: line {line} is not valid UTF-8 (file byte {exc.start}); re-encode it as UTF-8"
        ) from None
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    return [t.rstrip("\r") for t in lines]


# ----------------------------------------------------------------------------- parquet
def read_parquet(path: Path, *, limit: int | None = None) -> Raw:
    """Read a parquet table: a token column and either one list column or ``d`` numeric columns.

    The token column is the one named ``token``, ``word`` or ``text`` (else the first string
    column); a column named ``frequency``/``count``/``freq`` becomes the frequencies.

    Parameters
    ----------
    path : Path
        The parquet file.
    limit : int, optional
        Read only the row groups needed for the first ``limit`` rows.

    Returns
    -------
    tokens, vectors, frequencies, metadata
    """
    import pyarrow as pa
    import pyarrow.parquet as pq

    try:
        pf = pq.ParquetFile(path)
    except (pa.ArrowInvalid, OSError) as exc:
        raise EmbeddingFormatError(f"{path}: not a readable parquet file ({exc})") from None
    schema = pf.schema_arrow
    strings = [f.name for f in schema if pa.types.is_string(f.type) or pa.types.is_large_string(f.type)]
    named = [c for c in ("token", "word", "text") if c in schema.names]
    tok_col = (named or strings or [None])[0]
    if tok_col is None:
        raise EmbeddingFormatError(f"{path}: no string column for the tokens (name it 'token')")
    freq_col = next((c for c in ("frequency", "count", "freq") if c in schema.names), None)
    lists = [f.name for f in schema if pa.types.is_list(f.type) or pa.types.is_large_list(f.type)
             or pa.types.is_fixed_size_list(f.type)]
    numeric = [f.name for f in schema if (pa.types.is_floating(f.type) or pa.types.is_integer(f.type))
               and f.name != freq_col]
    if len(lists) > 1:
        raise EmbeddingFormatError(f"{path}: several list columns ({', '.join(lists)}); keep one")
    cols = [tok_col, *([freq_col] if freq_col else []), *(lists or numeric)]
    if not lists and not numeric:
        raise EmbeddingFormatError(f"{path}: no vector column (one list column or numeric columns)")
    tokens: list[str] = []
    blocks: list[np.ndarray] = []
    freqs: list[np.ndarray] = []
    for batch in pf.iter_batches(batch_size=65536, columns=cols):
        if limit is not None and len(tokens) >= limit:
            break
        take = batch.num_rows if limit is None else min(batch.num_rows, limit - len(tokens))
        batch = batch.slice(0, take)
        tokens.extend(batch.column(tok_col).to_pylist())
        if freq_col:
            freqs.append(batch.column(freq_col).to_numpy(zero_copy_only=False).astype(np.float64))
        if lists:
            col = batch.column(lists[0])
            lengths = np.asarray(pa.compute.list_value_length(col).fill_null(-1))
            if len(lengths) and (lengths != lengths[0]).any():
                i = int(np.flatnonzero(lengths != lengths[0])[0])
                raise EmbeddingFormatError(
                    f"{path}: row {len(tokens) - take + i + 1} has {lengths[i]} values, expected "
                    f"{lengths[0]}; the rows are ragged")
            flat = col.flatten().to_numpy(zero_copy_only=False).astype(np.float32)
            blocks.append(flat.reshape(take, -1))
        else:
            blocks.append(np.column_stack([batch.column(c).to_numpy(zero_copy_only=False)
                                           for c in numeric]).astype(np.float32))
    if not tokens:
        raise EmbeddingFormatError(f"{path}: the table has no rows")
    if any(t is None for t in tokens):
        raise EmbeddingFormatError(f"{path}: the token column has missing values")
    vectors = np.concatenate(blocks) if len(blocks) > 1 else blocks[0]
    return (tokens, vectors, np.concatenate(freqs) if freqs else None,
            {"source": str(path), "format": "parquet"})


# ------------------------------------------------------------------------------ gensim
def read_gensim(path: Path, *, limit: int | None = None) -> Raw:
    """Read a gensim ``KeyedVectors`` file (or the ``.wv`` of a saved gensim model).

    gensim's own files are pickles: open only files you trust. Counts stored by gensim
    become the frequencies.

    Parameters
    ----------
    path : Path
        A file written by ``KeyedVectors.save`` or ``Word2Vec.save``.
    limit : int, optional
        Keep the first ``limit`` rows (gensim orders rows by frequency).

    Returns
    -------
    tokens, vectors, frequencies, metadata
    """
    from icaxes.errors import require

    require("gensim", extra="gensim", feature="reading gensim KeyedVectors")
    from gensim.models import KeyedVectors

    try:
        kv = KeyedVectors.load(str(path), mmap="r")
    except Exception as exc:  # gensim raises many kinds (pickle, attribute, OS)
        raise EmbeddingFormatError(f"{path}: not a gensim KeyedVectors file ({type(exc).__name__}: "
                                   f"{exc})") from None
    kv = getattr(kv, "wv", kv)
    n = len(kv.index_to_key) if limit is None else min(limit, len(kv.index_to_key))
    tokens = [str(t) for t in kv.index_to_key[:n]]
    counts = None
    if "count" in getattr(kv, "expandos", {}):
        counts = np.asarray(kv.expandos["count"][:n], dtype=np.float64)
        if not counts.any():
            counts = None
    return tokens, np.asarray(kv.vectors[:n]), counts, {"source": str(path), "format": "gensim"}


# ------------------------------------------------------------------------------- spaCy
def read_spacy(path: Path, *, limit: int | None = None) -> Raw:
    """Read a spaCy vectors folder (``vectors`` + ``strings.json``, e.g. a model's ``vocab``).

    Several words may share one row; one word is kept per row (see
    :func:`icaxes.io.spacy_tables.read_table`).

    Parameters
    ----------
    path : Path
        The folder (or a model folder holding ``vocab/``).
    limit : int, optional
        Keep the first ``limit`` rows.

    Returns
    -------
    tokens, vectors, frequencies, metadata
    """
    from icaxes.io.spacy_tables import read_table

    if not (path / "vectors").exists() and (path / "vocab" / "vectors").exists():
        path = path / "vocab"
    emb = read_table(path, lang=None, clean=False, limit=limit)
    return emb.tokens, emb.vectors, emb.frequencies, emb.metadata


# ------------------------------------------------------------------------------ finish
def finish(tokens: list[str], vectors: np.ndarray, freqs: np.ndarray | None, meta: dict[str, Any], *,
           lowercase: bool = False, dedupe: bool = False,
           token_filter: Callable[[str], bool] | str | None = None) -> Embeddings:
    """Apply lower-casing, de-duplication and a token filter, then build :class:`Embeddings`.

    Parameters
    ----------
    tokens, vectors, freqs, meta
        Raw parts from a reader.
    lowercase : bool
        Lower-case tokens; collisions keep the first (most frequent) row.
    dedupe : bool
        Keep the first row of each repeated token (otherwise repeats raise
        :class:`~icaxes.errors.DuplicateTokenError`).
    token_filter : callable or str, optional
        See :func:`icaxes.io.filters.get_filter`.

    Returns
    -------
    Embeddings
        ``metadata`` records ``duplicates_dropped`` and ``filtered_out`` when they apply.
    """
    meta = dict(meta)
    keep = np.ones(len(tokens), dtype=bool)
    if lowercase:
        tokens = [t.lower() for t in tokens]
        meta["lowercase"] = True
    if dedupe or lowercase:
        seen: set[str] = set()
        for i, t in enumerate(tokens):
            if t in seen:
                keep[i] = False
            seen.add(t)
        meta["duplicates_dropped"] = int((~keep).sum())
    if token_filter is not None:
        from icaxes.io.filters import get_filter

        f = get_filter(token_filter, frequencies=freqs)
        passed = np.fromiter((f(t) for t in tokens), dtype=bool, count=len(tokens))
        meta["filtered_out"] = int((keep & ~passed).sum())
        meta["filter"] = token_filter if isinstance(token_filter, str) else getattr(
            token_filter, "__name__", "custom")
        keep &= passed
        if not keep.any():
            raise InputError(f"the token filter {meta['filter']!r} removed every token; "
                             "use a looser filter or more rows")
    if not keep.all():
        rows = np.flatnonzero(keep)
        tokens = [tokens[i] for i in rows]
        vectors = np.asarray(vectors[rows])
        freqs = None if freqs is None else freqs[rows]
    return Embeddings(tokens, vectors, freqs, meta)


def iter_lines(path: Path) -> Iterator[str]:  # pragma: no cover - convenience for scripts
    """Decoded lines of a (possibly gzipped) UTF-8 text file, with clear errors on bad bytes."""
    with _open_binary(path) as f:
        for lineno, raw in enumerate(f, start=1):
            yield _decode(raw, lineno, path)
