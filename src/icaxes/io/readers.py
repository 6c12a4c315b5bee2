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
``gensim``         gensim ``KeyedVectors`` (``.kv``, ``.model``, pickles: only with ``allow_pickle``)
``spacy``          a spaCy vectors folder (``vectors`` + ``strings.json``); needs the ``spacy`` extra
=================  ===========================================================================

Text files are parsed chunk by chunk straight into one float32 array, so a large file is never
held twice in memory. No reader allocates more than its file can hold or this process can use
(:mod:`icaxes.io.limits`), and none unpickles without ``allow_pickle=True``.
"""

from __future__ import annotations

import csv
import gzip
import io
import math
import warnings
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO, Any

import numpy as np

from icaxes.errors import EmbeddingFormatError, IcaxesError, InputError, UnknownSourceError
from icaxes.io import limits
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
              tokens_path: Any = None, allow_pickle: bool = False) -> Raw:
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
    allow_pickle : bool, default False
        Let the gensim reader unpickle the file (which can run code from it).

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
    if fmt != "spacy":
        limits.check_regular_file(path)
    if fmt == "npy":
        return read_npy(path, limit=limit, tokens_path=tokens_path)
    if fmt == "gensim":
        return read_gensim(path, limit=limit, allow_pickle=allow_pickle)
    return readers[fmt](path, limit=limit)


# ----------------------------------------------------------------------------- text
def _open_binary(path: Path) -> IO[bytes]:
    limits.check_regular_file(path)
    return gzip.open(path, "rb") if limits.is_gzip(path) else open(path, "rb")


def _decode(raw: bytes, lineno: int, path: Path) -> str:
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise EmbeddingFormatError(
            f"{path}: line {lineno} is not valid UTF-8 (byte {exc.start + 1} of the line, "
            f"0x{raw[exc.start]:02x}); re-encode the file as UTF-8"
        ) from None
    # a byte-order mark some editors put before the first line is not part of the data
    return text[1:] if lineno == 1 and text.startswith("\ufeff") else text


def _fields(text: str) -> list[str]:
    """The space-separated fields of a line; only ASCII spaces separate (tokens may hold others)."""
    text = text.rstrip("\r\n").rstrip(" \t")
    return text.split(" ") if text.strip(" \t") else []


def _parse_header(line: str) -> tuple[int, int] | None:
    parts = _fields(line)
    if len(parts) == 2 and all(p.isascii() and p.isdigit() for p in parts):
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


def _ragged(path: Path, lineno: int, got: int, d: int, header: bool) -> EmbeddingFormatError:
    return EmbeddingFormatError(
        f"{path}: line {lineno} has {got} values, expected {d} "
        f"({'from the header' if header else 'as in the first row'}); the rows are ragged")


def _text_layout(path: Path) -> tuple[tuple[int, int] | None, int, int, bool]:
    """Header (if any), the dimension, the lines before the first data line, and whether data
    lines end with a space (fastText's ``.vec`` files do).

    A header is checked against what the file can hold before anything is allocated: its
    ``d`` against the first row, its ``n`` against the file's size.
    """
    with _open_binary(path) as f, limits.gzip_errors(path):
        lineno = 0
        first = None
        while raw := limits.read_line(f, path, lineno + 1):
            lineno += 1
            text = _decode(raw, lineno, path)
            if _fields(text):
                first = text
                break
        if first is None:
            raise EmbeddingFormatError(f"{path}: the file is empty; give a file with one token and "
                                       "its numbers per line")
        header = _parse_header(first)
        if header is None:
            parts = _fields(first)
            if len(parts) < 2:
                raise EmbeddingFormatError(
                    f"{path}: line {lineno} has a token but no numbers; expected 'token v1 v2 ...'")
            return None, len(parts) - 1, lineno - 1, first.rstrip("\r\n").endswith(" ")
        n, d = header
        if n < 1 or d < 1:
            raise EmbeddingFormatError(f"{path}: header '{first.strip()}' announces no rows or columns")
        while raw := limits.read_line(f, path, lineno + 1):
            lineno += 1
            text = _decode(raw, lineno, path)
            fields = _fields(text)
            if fields:
                if len(fields) < d + 1:
                    raise _ragged(path, lineno, len(fields) - 1, d, True)
                # the smallest row is a one-byte token and d one-digit values: 2d + 1 bytes
                room = limits.max_data_bytes(path)
                if n * (2 * d + 1) - 1 > room:
                    raise EmbeddingFormatError(
                        f"{path}: the header announces {n:,} rows of {d} values, at least "
                        f"{n * (2 * d + 1) - 1:,} bytes, but the file "
                        f"{'can inflate to' if limits.is_gzip(path) else 'holds'} only {room:,}; "
                        "fix the first line or remove it")
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
    line is wrong. Fields are separated by ASCII spaces only, so a token may hold a
    non-breaking space. Memory is bounded (see :mod:`icaxes.io.limits`): a header is
    checked against the file's size, lines and rows against their limits while reading.
    """
    header, d, skip, trailing = _text_layout(path)
    budget = limits.memory_budget()
    if header is not None:
        limits.check_memory(path, min(header[0], limit or header[0]), d, announced="header",
                            budget=budget)
    parser = "fast"
    try:
        tokens, vectors = _read_text_fast(path, header, d, skip, limit, trailing, budget)
    except _SlowPath:
        parser = "lines"
        tokens, vectors = _read_text_lines(path, header, d, skip, limit, budget)
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
    # a header checked against the file's size gives the size; otherwise start small and grow
    if expected is not None:
        return min(expected, limit) if limit else expected
    return min(limit, 1 << 16) if limit else 1 << 16


def _trusted_rows(path: Path, rows: int | None) -> int | None:
    """``rows`` from a header if it may size a buffer: a gzip's header is only a claim (gzip
    inflates up to a thousandfold), so that buffer starts small and grows instead."""
    return None if rows is None or limits.is_gzip(path) else rows


class _SlowPath(Exception):
    """The fast parser met something it cannot judge; use the line parser."""


def _read_text_fast(path: Path, header: tuple[int, int] | None, d: int, skip: int,
                    limit: int | None, trailing: bool, budget: int) -> tuple[list[str], np.ndarray]:
    import pandas as pd

    expected = header[0] if header else None
    buf = _Growing(_capacity(_trusted_rows(path, expected), limit), d)
    tokens: list[str] = []
    try:
        with _open_binary(path) as raw:
            stream = io.BufferedReader(limits.BoundedLines(raw, path), buffer_size=1 << 18)
            reader = pd.read_csv(
                stream, sep=" ", header=None, skiprows=skip, quoting=csv.QUOTE_NONE, engine="c",
                dtype={0: str, **{i: np.float32 for i in range(1, d + 1)}, d + 1: str}, na_filter=False,
                keep_default_na=False, chunksize=_CHUNK, nrows=limit, encoding="utf-8",
                compression=None, skip_blank_lines=True, names=range(d + 1 + trailing),
                index_col=False,
            )
            with reader as chunks, warnings.catch_warnings():
                warnings.simplefilter("error")  # pandas warns on dropped fields: treat as irregular
                for chunk in chunks:
                    if trailing:
                        # the empty field after a line's final space; anything else is a ragged row
                        extra = chunk.pop(d + 1)
                        if not (extra.isna() | (extra == "")).all():
                            raise _SlowPath
                    vals = chunk.iloc[:, 1:].to_numpy(dtype=np.float32)
                    if vals.shape[1] != d or not np.isfinite(vals).all():
                        raise _SlowPath
                    if expected is not None and len(tokens) + len(chunk) > expected:
                        raise _SlowPath
                    limits.check_memory(path, len(tokens) + len(chunk), d, budget=budget)
                    tokens.extend(chunk.iloc[:, 0].tolist())
                    buf.append(vals)
    except (_SlowPath, IcaxesError):
        raise
    except (ValueError, UnicodeDecodeError, Warning, pd.errors.ParserError, TypeError):
        raise _SlowPath from None
    if any(not isinstance(t, str) for t in tokens):
        raise _SlowPath
    return tokens, buf.result()


def _read_text_lines(path: Path, header: tuple[int, int] | None, d: int, skip: int,
                     limit: int | None, budget: int) -> tuple[list[str], np.ndarray]:
    expected = header[0] if header else None
    buf = _Growing(_capacity(_trusted_rows(path, expected), limit), d)
    tokens: list[str] = []
    block = np.empty((1024, d), dtype=np.float32)
    filled = 0
    with _open_binary(path) as f, limits.gzip_errors(path):
        lineno = 0
        while raw := limits.read_line(f, path, lineno + 1):
            lineno += 1
            if lineno <= skip:
                continue
            parts = _fields(_decode(raw, lineno, path))
            if not parts:
                continue
            if expected is not None and len(tokens) >= expected:
                raise EmbeddingFormatError(
                    f"{path}: the header announces {expected} rows but line {lineno} is row "
                    f"{expected + 1}; fix the first line or remove it")
            if len(parts) < d + 1:
                raise _ragged(path, lineno, len(parts) - 1, d, header is not None)
            # tokens may contain spaces (some GloVe files): the last d fields are the numbers
            token = " ".join(parts[:-d]) if len(parts) > d + 1 else parts[0]
            nums = parts[-d:]
            if len(parts) > d + 1 and _is_number(parts[-d - 1]):
                raise _ragged(path, lineno, len(parts) - 1, d, header is not None)
            try:
                with np.errstate(over="raise"):
                    block[filled] = np.asarray(nums, dtype=np.float32)
            except FloatingPointError:
                big = next(v for v in nums if np.isfinite(float(v)) and abs(float(v)) > _F32_MAX)
                raise EmbeddingFormatError(
                    f"{path}: line {lineno} has a value too large for float32: {big!r} (the largest "
                    f"is {_F32_MAX:.4g}); rescale the vectors") from None
            except ValueError:
                bad = next((v for v in nums if not _is_number(v)), nums[0])
                raise EmbeddingFormatError(
                    f"{path}: line {lineno} has a value that is not a number: {bad!r}") from None
            tokens.append(token)
            filled += 1
            if filled == len(block):
                limits.check_memory(path, len(tokens), d, budget=budget)
                buf.append(block)
                filled = 0
            if limit is not None and len(tokens) >= limit:
                break
    buf.append(block[:filled])
    return tokens, buf.result()


_F32_MAX = float(np.finfo(np.float32).max)


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
    budget = limits.memory_budget()
    with _open_binary(path) as f, limits.gzip_errors(path):
        first = limits.read_line(f, path, 1)
        if not first.strip():
            raise EmbeddingFormatError(f"{path}: the file is empty")
        header = _parse_header(_decode(first, 1, path))
        if header is None:
            raise EmbeddingFormatError(
                f"{path}: the first line must be 'rows dimensions' for word2vec binary; "
                "is this a text file? pass format='text'")
        n, d = header
        # each row is at least a one-byte token, a space and d float32 values
        room = limits.max_data_bytes(path) - len(first)
        if n < 1 or d < 1 or n * (4 * d + 2) - 1 > room:
            raise EmbeddingFormatError(
                f"{path}: the header announces {n:,} rows of {d} values, at least "
                f"{max(n * (4 * d + 2) - 1, 0):,} bytes, but the file "
                f"{'can inflate to' if limits.is_gzip(path) else 'holds'} only {max(room, 0):,}; "
                "fix the first line")
        take = n if limit is None else min(n, limit)
        limits.check_memory(path, take, d, announced="header", budget=budget)
        vectors = _Growing(_capacity(_trusted_rows(path, take), None), d)
        block = np.empty((min(take, 1024), d), dtype=np.float32)
        filled = 0
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
                if len(raw) > limits.MAX_TOKEN_BYTES:
                    raise EmbeddingFormatError(
                        f"{path}: the token of row {i + 1} is longer than {limits.MAX_TOKEN_BYTES:,} "
                        "bytes; the file is not word2vec binary or the header is wrong")
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
            block[filled] = np.frombuffer(data, dtype="<f4")
            filled += 1
            if filled == len(block):
                vectors.append(block)
                filled = 0
        vectors.append(block[:filled])
        if limit is None:
            rest = reader.read(2)
            if rest.strip():
                raise EmbeddingFormatError(
                    f"{path}: the file holds more than the {n} rows its header announces")
    return tokens, vectors.result(), None, {"source": str(path), "format": "word2vec-bin"}


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
    if path.name.lower().endswith(".npz"):
        heads = limits.npz_headers(path)
        others = [k for k in heads if k not in ("tokens", "frequencies")]
        if "vectors" in heads:
            key = "vectors"
        elif len(others) == 1:
            key = others[0]
        elif not others:
            raise EmbeddingFormatError(f"{path}: no matrix in the archive (arrays: "
                                       f"{', '.join(heads) or 'none'}); save it as 'vectors'")
        else:
            listed = ", ".join(f"{k} {heads[k].shape}" for k in others)
            raise EmbeddingFormatError(
                f"{path}: no array named 'vectors' and several others ({listed}); save the matrix "
                "under that name: numpy.savez(path, vectors=matrix, tokens=tokens)")
        names = [key, *(k for k in ("tokens", "frequencies") if k in heads)]
        arrays = limits.read_npz(path, names)
        vectors = arrays[key]
        file_tokens = None
        if "tokens" in arrays:
            if arrays["tokens"].dtype.kind not in "US" or arrays["tokens"].ndim != 1:
                raise EmbeddingFormatError(f"{path}: 'tokens' must be a 1-D string array, got "
                                           f"{arrays['tokens'].ndim}-D {arrays['tokens'].dtype}")
            file_tokens = [str(t) for t in arrays["tokens"]]
        freqs = arrays.get("frequencies")
    else:
        vectors = limits.read_npy(path, mmap=True)
        file_tokens, freqs = None, None
    if vectors.ndim != 2:
        raise EmbeddingFormatError(f"{path}: expected a 2-D array (rows x dimensions), got {vectors.shape}")
    if vectors.dtype.kind == "c":
        raise EmbeddingFormatError(
            f"{path}: the array holds complex numbers ({vectors.dtype}); icaxes needs real values, "
            "save the real part (or real and imaginary parts as separate columns)")
    if vectors.dtype.kind not in "iuf":
        raise EmbeddingFormatError(f"{path}: the array is not numeric (dtype {vectors.dtype})")
    if vectors.shape[0] == 0 or vectors.shape[1] == 0:
        raise EmbeddingFormatError(f"{path}: the array is empty (shape {vectors.shape})")
    if freqs is not None:
        if freqs.dtype.kind not in "iuf" or freqs.shape != vectors.shape[:1]:
            raise EmbeddingFormatError(f"{path}: 'frequencies' must be one real number per row, "
                                       f"got {freqs.dtype} of shape {freqs.shape}")
        freqs = freqs.astype(np.float64)
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
    return tokens[:n], vec, None if freqs is None else freqs[:n], {"source": str(path), "format": "npy"}


def read_token_file(path: Path) -> list[str]:
    """Tokens from a UTF-8 file with one token per line (a trailing empty line is ignored)."""
    if not path.exists():
        raise UnknownSourceError(f"token file {path} does not exist")
    size = limits.check_regular_file(path, " (the token file)").st_size
    # a str per line costs about ten times its bytes
    if 10 * size > limits.memory_budget():
        raise EmbeddingFormatError(f"{path}: the token file ({size:,} bytes) does not fit in memory")
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

    limits.check_regular_file(path)
    try:
        pf = pq.ParquetFile(path)
    except (pa.ArrowInvalid, OSError) as exc:
        raise EmbeddingFormatError(f"{path}: not a readable parquet file ({exc})") from None
    # the footer declares each row group's uncompressed size: check it before reading any
    groups = range(pf.metadata.num_row_groups)
    if limit is None:
        declared = sum(pf.metadata.row_group(i).total_byte_size for i in groups)
        limits.check_memory(path, pf.metadata.num_rows, 0, announced="footer")
        if declared > limits.memory_budget():
            raise EmbeddingFormatError(
                f"{path}: the table holds {declared:,} bytes uncompressed, more than this process "
                "can use; read fewer rows (limit=, CLI --limit)")
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
    if lists:
        value_type = schema.field(lists[0]).type.value_type
        if not (pa.types.is_floating(value_type) or pa.types.is_integer(value_type)):
            raise EmbeddingFormatError(f"{path}: the list column {lists[0]!r} holds {value_type}, "
                                       "not numbers; store the vectors as floats")
    else:
        # a vector column stored as text would otherwise be left out without a word
        text = [c for c in strings if c != tok_col]
        if text:
            raise EmbeddingFormatError(
                f"{path}: column{'s' if len(text) > 1 else ''} {', '.join(map(repr, text))} "
                f"hold{'' if len(text) > 1 else 's'} text, not numbers; store vector columns as "
                "floats (or drop columns that are not part of the vectors)")
    cols = [tok_col, *([freq_col] if freq_col else []), *(lists or numeric)]
    if not lists and not numeric:
        raise EmbeddingFormatError(f"{path}: no vector column (one list column or numeric columns)")
    tokens: list[str] = []
    blocks: list[np.ndarray] = []
    freqs: list[np.ndarray] = []
    try:
        _parquet_batches(pf, path, cols, tok_col, freq_col, lists, numeric, limit, tokens, blocks, freqs)
    except (pa.ArrowException, OSError) as exc:
        raise EmbeddingFormatError(f"{path}: not a readable parquet file ({exc})") from None
    if not tokens:
        raise EmbeddingFormatError(f"{path}: the table has no rows")
    if any(t is None for t in tokens):
        raise EmbeddingFormatError(f"{path}: the token column has missing values")
    vectors = np.concatenate(blocks) if len(blocks) > 1 else blocks[0]
    return (tokens, vectors, np.concatenate(freqs) if freqs else None,
            {"source": str(path), "format": "parquet"})


def _parquet_batches(pf: Any, path: Path, cols: list[str], tok_col: str, freq_col: str | None,
                     lists: list[str], numeric: list[str], limit: int | None, tokens: list[str],
                     blocks: list[np.ndarray], freqs: list[np.ndarray]) -> None:
    import pyarrow as pa

    budget = limits.memory_budget()
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
            flat = col.flatten().to_numpy(zero_copy_only=False)
            blocks.append(_to_float32(flat.reshape(take, -1), path, tokens))
        else:
            blocks.append(_to_float32(np.column_stack([batch.column(c).to_numpy(zero_copy_only=False)
                                                       for c in numeric]), path, tokens))
        limits.check_memory(path, len(tokens), blocks[-1].shape[1], budget=budget)


# ------------------------------------------------------------------------------ gensim
def read_gensim(path: Path, *, limit: int | None = None, allow_pickle: bool = False) -> Raw:
    """Read a gensim ``KeyedVectors`` file (or the ``.wv`` of a saved gensim model).

    gensim's own files are Python pickles, and unpickling a file can run any code the file
    holds, so this reader refuses unless ``allow_pickle=True``: pass it only for a file you
    trust. Counts stored by gensim become the frequencies.

    Parameters
    ----------
    path : Path
        A file written by ``KeyedVectors.save`` or ``Word2Vec.save``.
    limit : int, optional
        Keep the first ``limit`` rows (gensim orders rows by frequency).
    allow_pickle : bool, default False
        Unpickle the file (CLI: ``--trust-pickle``).

    Returns
    -------
    tokens, vectors, frequencies, metadata

    Raises
    ------
    PickleRefusedError
        Without ``allow_pickle=True``.
    """
    from icaxes.errors import PickleRefusedError, require

    limits.check_regular_file(path)
    if not allow_pickle:
        raise PickleRefusedError(
            f"{path}: gensim files are Python pickles, and loading one can run code from the file; "
            "pass allow_pickle=True (CLI: --trust-pickle) only if you trust it, or convert it to "
            "word2vec text (KeyedVectors.save_word2vec_format)")

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
    # spaCy loads the table with numpy (no pickle): check its header and sizes first
    if (path / "vectors").exists():
        head = limits.npy_header(path / "vectors")
        limits.check_memory(path, head.shape[0] if head.shape else 1, math.prod(head.shape[1:]),
                            announced="vectors header")
    for member in ("strings.json", "key2row", "keys"):
        if (path / member).exists():
            size = limits.check_regular_file(path / member).st_size
            if 10 * size > limits.memory_budget():
                raise EmbeddingFormatError(f"{path / member} ({size:,} bytes) does not fit in memory")
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
    _check_float32_range(vectors, tokens, meta.get("source", "input"))
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


def _to_float32(block: np.ndarray, path: Path, tokens: list[str]) -> np.ndarray:
    """``block`` (the last rows of ``tokens``) as float32; a value float32 cannot hold is one
    clear error."""
    _check_float32_range(block, tokens[len(tokens) - len(block):], str(path), len(tokens) - len(block))
    return block.astype(np.float32)


def _check_float32_range(vectors: np.ndarray, tokens: list[str], source: str, first_row: int = 0) -> None:
    """One clear error, instead of numpy's overflow warnings and a NaN report, for values that
    float32 (the dtype every fit uses) cannot hold."""
    if vectors.dtype.kind != "f" or vectors.dtype.itemsize <= 4:
        return
    step = 1 << 16
    for start in range(0, len(vectors), step):
        block = np.abs(np.asarray(vectors[start:start + step]))
        rows = np.flatnonzero(((block > _F32_MAX) & np.isfinite(block)).any(axis=1))
        if rows.size:
            row = start + int(rows[0])
            raise EmbeddingFormatError(
                f"{source}: row {first_row + row + 1} ({tokens[row]!r}) has a value too large for float32 "
                f"({np.max(block[rows[0]][np.isfinite(block[rows[0]])]):.4g}; the largest is "
                f"{_F32_MAX:.4g}); rescale the vectors")


def iter_lines(path: Path) -> Iterator[str]:  # pragma: no cover - convenience for scripts
    """Decoded lines of a (possibly gzipped) UTF-8 text file, with clear errors on bad bytes."""
    with _open_binary(path) as f, limits.gzip_errors(path):
        lineno = 0
        while raw := limits.read_line(f, path, lineno + 1):
            lineno += 1
            yield _decode(raw, lineno, path)
