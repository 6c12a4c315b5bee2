"""What a file may make icaxes allocate, and numpy files opened within those bounds.

A hostile or broken file must not make a reader allocate more than the file can hold, nor
more than this process can use. Every reader asks here before it allocates:

- :func:`check_regular_file` refuses devices, pipes and sockets (``/dev/zero`` never ends);
- :func:`max_data_bytes` is what a file can inflate to (its size, or the deflate ratio
  times its size for gzip), which a header's ``n d`` is checked against;
- :func:`check_memory` compares what a result will need with :func:`memory_budget`;
- :func:`read_line` reads one line of at most :data:`MAX_LINE_BYTES`;
- :func:`read_npy` and :func:`read_npz` check each array's header (shape, dtype, no Python
  objects) against the bytes really there before reading, and never unpickle.

The limits are module attributes, so a caller with unusual files (or a test) can change them.
"""

from __future__ import annotations

import contextlib
import gzip
import io
import math
import os
import stat
import zipfile
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import IO, NamedTuple

import numpy as np

from icaxes.errors import EmbeddingFormatError, IcaxesError

#: the longest line a text reader accepts: a 200,000-dimensional row of 20-byte values (a
#: 4,096-dimensional one is about 50 kB); more would also make pandas' tokenizer hold a
#: field table many times the line's size
MAX_LINE_BYTES = 4 << 20
#: the longest token of a word2vec binary row (word2vec itself stops at 100 bytes)
MAX_TOKEN_BYTES = 1 << 16
#: deflate cannot inflate more than this (about 1032:1 for a run of one byte)
GZIP_MAX_RATIO = 1032
#: bytes a result may take; None means :func:`memory_budget` decides from this machine
MEMORY_BUDGET: int | None = None
#: bytes per row besides the float32 values: a short token string and its list slot
ROW_OVERHEAD = 80


def _gib(nbytes: float) -> str:
    return f"{nbytes / (1 << 30):.1f} GiB" if nbytes >= 1 << 30 else f"{nbytes / (1 << 20):.1f} MiB"


def _address_space_left() -> int | None:
    """Bytes of address space this process may still map under ``RLIMIT_AS``, if one is set."""
    try:
        import resource

        soft, _ = resource.getrlimit(resource.RLIMIT_AS)
    except (ImportError, OSError, ValueError):  # pragma: no cover - not POSIX
        return None
    if soft == resource.RLIM_INFINITY:
        return None
    try:
        with open("/proc/self/statm", encoding="ascii") as f:
            used = int(f.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):  # pragma: no cover - no /proc
        used = 0
    return max(soft - used, 0)


def _cgroup_limit() -> int | None:
    try:
        text = Path("/sys/fs/cgroup/memory.max").read_text(encoding="ascii").strip()
    except OSError:
        return None
    return int(text) if text.isdigit() else None


def memory_budget() -> int:
    """Bytes a reader may allocate for its result.

    Half of the least of: physical memory, a cgroup (container) limit and the address space
    left under ``RLIMIT_AS``; half, because a growing buffer briefly holds two copies. Set
    :data:`MEMORY_BUDGET` to override it.
    """
    if MEMORY_BUDGET is not None:
        return MEMORY_BUDGET
    limits = [_address_space_left(), _cgroup_limit()]
    try:
        limits.append(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES"))
    except (ValueError, OSError, AttributeError):  # pragma: no cover - not POSIX
        pass
    known = [v for v in limits if v is not None]
    return min(known) // 2 if known else 1 << 34


def check_memory(path: Path | str, rows: int, d: int, *, announced: str = "",
                 budget: int | None = None) -> None:
    """Raise :class:`EmbeddingFormatError` if ``rows`` rows of ``d`` float32 values do not fit.

    Parameters
    ----------
    path : path
        The file, for the message.
    rows, d : int
        Rows (read so far, or announced) and values per row.
    announced : str
        Where ``rows`` was announced (``"header"``, ``"footer"``); empty while reading.
    budget : int, optional
        :func:`memory_budget` taken once before reading (it shrinks as the reader allocates).
    """
    need = rows * (4 * d + ROW_OVERHEAD)
    budget = memory_budget() if budget is None else budget
    if need <= budget:
        return
    if announced:
        said = f"its {announced} announces {rows:,} rows of {d} values, about {_gib(need)}"
    else:
        said = f"it holds more rows than fit: {rows:,} rows of {d} values already take {_gib(need)}"
    raise EmbeddingFormatError(f"{path}: {said}, more than the {_gib(budget)} this process can use; "
                               "read fewer rows (limit=, CLI --limit)")


def check_regular_file(path: Path | str, what: str = "") -> os.stat_result:
    """The ``stat`` of ``path``; refuse anything but a regular file (a device, pipe, socket)."""
    try:
        st = os.stat(path)
    except OSError as exc:
        raise EmbeddingFormatError(f"{path}: cannot be read ({exc.strerror or exc})") from None
    if not stat.S_ISREG(st.st_mode):
        kind = ("a device" if stat.S_ISCHR(st.st_mode) or stat.S_ISBLK(st.st_mode) else
                "a pipe" if stat.S_ISFIFO(st.st_mode) else "a socket" if stat.S_ISSOCK(st.st_mode)
                else "a folder" if stat.S_ISDIR(st.st_mode) else "not a file")
        raise EmbeddingFormatError(f"{path}{what} is {kind}, not a regular file; give a file")
    return st


def is_gzip(path: Path | str) -> bool:
    """Whether the file starts with the gzip magic bytes."""
    with open(path, "rb") as f:
        return f.read(2) == b"\x1f\x8b"


def max_data_bytes(path: Path | str) -> int:
    """The most bytes of data the file can hold: its size, or what its gzip can inflate to."""
    size = check_regular_file(path).st_size
    return size * GZIP_MAX_RATIO if is_gzip(path) else size


@contextlib.contextmanager
def gzip_errors(path: Path | str) -> Iterator[None]:
    """Turn a truncated or corrupt gzip stream into one :class:`EmbeddingFormatError` line."""
    try:
        yield
    except IcaxesError:
        raise
    except EOFError:
        raise EmbeddingFormatError(
            f"{path}: the compressed data ends early (the file is truncated); copy or download it "
            "again") from None
    except (gzip.BadGzipFile, zlib.error) as exc:
        raise EmbeddingFormatError(
            f"{path}: the gzip data is corrupt ({exc}); copy or download the file again") from None


def read_line(f: IO[bytes], path: Path | str, lineno: int) -> bytes:
    """The next line of ``f`` (``b""`` at the end), refusing one over :data:`MAX_LINE_BYTES`."""
    raw = f.readline(MAX_LINE_BYTES + 1)
    if len(raw) > MAX_LINE_BYTES:
        raise EmbeddingFormatError(
            f"{path}: line {lineno} is longer than {_gib(MAX_LINE_BYTES)}; an embedding file has one "
            "token and its numbers per line")
    return raw


class BoundedLines(io.RawIOBase):
    """A raw binary stream over ``f`` that fails once a line exceeds :data:`MAX_LINE_BYTES`.

    It feeds parsers that read a stream by blocks (pandas) so that they never buffer one
    endless line; gzip errors become :class:`EmbeddingFormatError` here too.
    """

    def __init__(self, f: IO[bytes], path: Path | str) -> None:
        super().__init__()
        self._f, self._path, self._run, self._lines = f, path, 0, 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:  # type: ignore[override]
        limit = MAX_LINE_BYTES
        # blocks no longer than the limit: a line that fits inside one block is short enough
        with gzip_errors(self._path):
            data = self._f.read(min(len(buffer), limit))
        first = data.find(b"\n")
        if first < 0:
            self._run += len(data)
        elif self._run + first > limit:
            self._run += first
        else:
            self._lines += data.count(b"\n")
            self._run = len(data) - data.rfind(b"\n") - 1
        if self._run > limit:
            raise EmbeddingFormatError(
                f"{self._path}: line {self._lines + 1} is longer than {_gib(limit)}; an embedding file "
                "has one token and its numbers per line")
        buffer[:len(data)] = data
        return len(data)


# ----------------------------------------------------------------------------- numpy files
class ArrayHeader(NamedTuple):
    """Shape and dtype announced by a ``.npy`` header, and where its data starts."""

    shape: tuple[int, ...]
    fortran: bool
    dtype: np.dtype
    offset: int

    @property
    def nbytes(self) -> int:
        return math.prod(self.shape) * self.dtype.itemsize


def _read_header(f: IO[bytes], where: str, size: int) -> ArrayHeader:
    fmt = np.lib.format
    if size == 0:
        raise EmbeddingFormatError(f"{where} is empty (0 bytes), not a numpy array; save it again "
                                   "with numpy.save")
    try:
        version = fmt.read_magic(f)
        if version == (1, 0):
            shape, fortran, dtype = fmt.read_array_header_1_0(f)
        elif version == (2, 0):
            shape, fortran, dtype = fmt.read_array_header_2_0(f)
        else:
            raise ValueError(f"unsupported .npy version {version}")
    except EOFError:
        raise EmbeddingFormatError(f"{where} is empty or truncated before its numpy header ends; "
                                   "save the array again with numpy.save") from None
    except ValueError as exc:
        raise EmbeddingFormatError(f"{where} is not a readable numpy array ({exc})") from None
    if dtype.hasobject:
        raise EmbeddingFormatError(
            f"{where} holds Python objects, which only pickle can read, and icaxes never unpickles "
            "an array; save numbers (or strings) instead")
    head = ArrayHeader(tuple(int(s) for s in shape), bool(fortran), dtype, f.tell())
    if head.offset + head.nbytes > size:
        raise EmbeddingFormatError(
            f"{where} is truncated: its header announces shape {head.shape} of {dtype} "
            f"({head.nbytes:,} bytes) but only {max(size - head.offset, 0):,} bytes follow; "
            "save it again")
    return head


def _check_budget(where: str, nbytes: int) -> None:
    budget = memory_budget()
    if nbytes > budget:
        raise EmbeddingFormatError(f"{where} needs {_gib(nbytes)} of memory, more than the "
                                   f"{_gib(budget)} this process can use")


def npy_header(path: Path | str) -> ArrayHeader:
    """The header of a ``.npy`` file, checked against the file's size (the data is not read)."""
    size = check_regular_file(path).st_size
    with open(path, "rb") as f:
        return _read_header(f, str(path), size)


def read_npy(path: Path | str, *, mmap: bool = True) -> np.ndarray:
    """Read a ``.npy`` file (memory-mapped by default) after checking its header.

    Raises
    ------
    EmbeddingFormatError
        If it is not a regular file, is empty or truncated, holds Python objects, or does not
        fit in memory (without ``mmap``).
    """
    head = npy_header(path)
    if not mmap:
        _check_budget(str(path), head.nbytes)
    try:
        return np.load(path, mmap_mode="r" if mmap and head.nbytes else None, allow_pickle=False)
    except (ValueError, OSError, EOFError) as exc:
        raise EmbeddingFormatError(f"{path}: not a readable numpy file ({exc})") from None


def npz_headers(path: Path | str) -> dict[str, ArrayHeader]:
    """The arrays of an ``.npz`` archive and their headers, read without reading the data.

    Each member's declared size must be possible for its compressed size (a deflate stream
    inflates at most :data:`GZIP_MAX_RATIO` times) and must hold what its header announces.
    """
    check_regular_file(path)
    out: dict[str, ArrayHeader] = {}
    try:
        with zipfile.ZipFile(path) as zf:
            for info in zf.infolist():
                name = info.filename[:-4] if info.filename.endswith(".npy") else info.filename
                where = f"{path}: array {name!r}"
                if info.file_size > info.compress_size * GZIP_MAX_RATIO + 4096:
                    raise EmbeddingFormatError(
                        f"{where} claims {info.file_size:,} bytes from {info.compress_size:,} compressed "
                        "bytes, more than compression allows; the archive is corrupt or hostile")
                with zf.open(info) as f:
                    out[name] = _read_header(f, where, info.file_size)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, zlib.error, EOFError, OSError) as exc:
        raise EmbeddingFormatError(f"{path}: not a readable .npz archive ({exc}); save it again "
                                   "with numpy.savez") from None
    return out


def read_npz(path: Path | str, names: list[str] | None = None) -> dict[str, np.ndarray]:
    """Read arrays of an ``.npz`` archive (all, or ``names``), each checked before it is read.

    Raises
    ------
    EmbeddingFormatError
        If the archive is corrupt (also a bad CRC), an array is truncated, holds Python
        objects, claims more than its compressed bytes can inflate to, or the arrays together
        do not fit in memory.
    """
    heads = npz_headers(path)
    names = list(heads) if names is None else names
    _check_budget(f"{path}: arrays {', '.join(names)}", sum(heads[n].nbytes for n in names))
    out: dict[str, np.ndarray] = {}
    try:
        with zipfile.ZipFile(path) as zf:
            members = {(i.filename[:-4] if i.filename.endswith(".npy") else i.filename): i
                       for i in zf.infolist()}
            for name in names:
                head = heads[name]
                arr = np.empty(math.prod(head.shape), dtype=head.dtype)
                with zf.open(members[name]) as f:
                    f.read(head.offset)
                    view = memoryview(arr.view(np.uint8))
                    got = 0
                    while got < head.nbytes:
                        n = f.readinto(view[got:])
                        if not n:
                            raise EmbeddingFormatError(f"{path}: array {name!r} is truncated; save it again")
                        got += n
                    f.read()  # to the end of the member, where zipfile checks the CRC
                out[name] = arr.reshape(head.shape, order="F" if head.fortran else "C")
    except (zipfile.BadZipFile, zlib.error, EOFError, OSError) as exc:
        raise EmbeddingFormatError(f"{path}: not a readable .npz archive ({exc}); save it again "
                                   "with numpy.savez") from None
    return out
