"""Hostile and broken input files: no code runs from them, memory stays bounded, one error line.

The broken files are made from a real GloVe slice or crafted to be small on disk: a header
that lies is one line; a gzip that inflates to a 512 MiB line or to millions of rows is a few
copies of one small gzip member (a gzip file may hold several members, read one after the
other). The memory tests run ``icaxes fit`` in a child process whose address space is
limited (``RLIMIT_AS``) to what it has mapped after reading a small file plus
:data:`HEADROOM`; each case must end with exit status 2 and one ``error:`` line, never a
``MemoryError`` traceback, while a valid file of the same kind still reads under that limit.
"""

from __future__ import annotations

import gzip
import json
import os
import pickle
import re
import subprocess
import sys
import zipfile
from pathlib import Path

import numpy as np
import pytest

import icaxes
from _commands import ICAXES
from icaxes.cli import main
from icaxes.errors import EmbeddingFormatError, InputError, PickleRefusedError
from test_bad_input import _cli_fails, _lines, _write  # the same broken-file helpers

N, D = 200, 50
#: address space a bounded child may map beyond what importing icaxes and reading a small
#: file took (measured: about 0.5 GiB after the imports, 1.5 GiB once pyarrow's memory pool
#: has reserved its arenas); the readers' budget is half of what is left under the limit
HEADROOM = 256 << 20


@pytest.fixture(scope="module")
def glove(glove_5k):
    return glove_5k.head(N)


def _one_line(err: str) -> str:
    err = err.strip()
    assert "Traceback" not in err and len(err.splitlines()) == 1 and err.startswith("error: "), err
    return err


# ------------------------------------------------------------------------------ pickle
class _Payload:
    """Unpickling this creates ``marker``: proof that code from the file ran."""

    def __init__(self, marker: Path) -> None:
        self.marker = str(marker)

    def __reduce__(self):
        return (open, (self.marker, "w"))


def test_hostile_pickle_is_never_loaded(tmp_path):
    marker = tmp_path / "pwned"
    for name in ("evil.kv", "evil.model"):
        path = tmp_path / name
        path.write_bytes(pickle.dumps(_Payload(marker)))
        with pytest.raises(PickleRefusedError, match=r"can run code from the file.*allow_pickle=True"):
            icaxes.load_embeddings(path)
        with pytest.raises(PickleRefusedError):  # forcing the format does not bypass the opt-in
            icaxes.load_embeddings(path, format="gensim")
    assert not marker.exists()
    work = tmp_path / "work"
    work.mkdir()
    res = subprocess.run([ICAXES, "fit", str(tmp_path / "evil.kv"), "-o", str(work / "out")],
                         capture_output=True, text=True, timeout=120)
    err = _one_line(res.stderr)
    assert res.returncode == 2 and "--trust-pickle" in err and "can run code" in err, err
    assert not marker.exists() and os.listdir(work) == []
    # the payload is real: unpickling it does create the marker
    pickle.loads((tmp_path / "evil.kv").read_bytes())
    assert marker.exists()


def test_pickles_inside_numpy_files_are_refused(tmp_path):
    marker = tmp_path / "pwned"
    evil = np.array([[_Payload(marker)] * 2] * 3, dtype=object)
    np.save(tmp_path / "evil.npy", evil, allow_pickle=True)
    np.savez(tmp_path / "evil.npz", vectors=evil, tokens=np.array(["a", "b", "c"]))
    (tmp_path / "t.txt").write_text("a\nb\nc\n", encoding="utf-8")
    for name in ("evil.npy", "evil.npz"):
        with pytest.raises(EmbeddingFormatError, match="holds Python objects"):
            icaxes.load_embeddings(tmp_path / name, tokens_path=tmp_path / "t.txt")
    assert not marker.exists()


@pytest.mark.parametrize("command", ["fit", "demo", "evaluate"])
def test_trust_pickle_help_says_what_it_means(command):
    """Every command that reads a source offers the opt-in its refusal names."""
    res = subprocess.run([ICAXES, command, "--help"], capture_output=True, text=True, timeout=120)
    text = " ".join(res.stdout.split())  # the help is wrapped to the terminal's width
    assert "--trust-pickle" in text and "loading it can run code from the file" in text


def test_evaluate_refuses_a_pickle_without_the_opt_in(tmp_path, capsys):
    marker = tmp_path / "pwned"
    path = tmp_path / "evil.kv"
    path.write_bytes(pickle.dumps(_Payload(marker)))
    code = main(["evaluate", str(path), "-t", "similarity", "-o", str(tmp_path / "out")])
    err = _one_line(capsys.readouterr().err)
    assert code == 2 and "--trust-pickle" in err, err
    assert not marker.exists() and not (tmp_path / "out").exists()


# ---------------------------------------------------------------------- lying headers
def test_headers_are_checked_against_the_file_size(tmp_path, capsys):
    # each of these made icaxes allocate 11 to 22 GiB from a 20-byte file
    wide = tmp_path / "wide.vec"
    wide.write_text("3 999999999\na 1\nb 2\nc 3\n", encoding="utf-8")
    with pytest.raises(EmbeddingFormatError, match="line 2 has 1 values, expected 999999999"):
        icaxes.load_embeddings(wide)
    _cli_fails(capsys, wide, match="expected 999999999 (from the header)")
    long = tmp_path / "long.vec"
    long.write_text("999999999 6\na 1 2 3 4 5 6\n", encoding="utf-8")
    _cli_fails(capsys, long, match="header announces 999,999,999 rows of 6 values, at least "
               "12,999,999,986 bytes, but the file holds only 26")
    binary = tmp_path / "h.bin"
    binary.write_bytes(b"999999999 6\n" + b"a " + np.ones(6, "<f4").tobytes())
    _cli_fails(capsys, binary, match="header announces 999,999,999 rows of 6 values")


def test_special_files_are_refused(tmp_path, capsys):
    fifo = tmp_path / "pipe.vec"
    os.mkfifo(fifo)  # opening it would block forever: it must not even be opened
    for path, kind in ((Path("/dev/zero"), "a device"), (fifo, "a pipe")):
        with pytest.raises(EmbeddingFormatError, match=f"is {kind}, not a regular file"):
            icaxes.load_embeddings(path)
    _cli_fails(capsys, fifo, match="is a pipe, not a regular file")
    code = main(["fit", "/dev/zero", "-o", str(tmp_path / "m")])
    assert code == 2 and "/dev/zero is a device" in _one_line(capsys.readouterr().err)
    np.save(tmp_path / "v.npy", np.eye(3))
    with pytest.raises(EmbeddingFormatError, match=r"token file.*is a device"):
        icaxes.load_embeddings(tmp_path / "v.npy", tokens_path="/dev/zero")


# ---------------------------------------------------------------------- bounded memory
_BOUNDED = r"""
import contextlib, io, json, resource, sys
from pathlib import Path
import icaxes
from icaxes.cli import main

warm, headroom, cases = sys.argv[1], int(sys.argv[2]), json.loads(sys.argv[3])
icaxes.load_embeddings(warm)  # imports, pandas' parser and pyarrow's memory pool
with open("/proc/self/status") as f:
    mapped = int(f.read().split("VmSize:")[1].split()[0]) * 1024
resource.setrlimit(resource.RLIMIT_AS, (mapped + headroom, mapped + headroom))
results = []
for kind, arg in cases:
    err = io.StringIO()
    with contextlib.redirect_stderr(err):
        try:
            if kind == "read":
                rc = len(icaxes.load_embeddings(arg))
            else:
                rc = main(arg)
        except BaseException as exc:  # anything but a clean exit is a failure of the test
            import traceback
            traceback.print_exc()
            rc = repr(exc)
    results.append({"rc": rc, "err": err.getvalue()})
print(json.dumps(results))
"""


def _run_bounded(warm: Path, cases: list[tuple[str, object]]) -> list[dict]:
    env = {**os.environ, "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1"}
    res = subprocess.run([sys.executable, "-c", _BOUNDED, str(warm), str(HEADROOM), json.dumps(cases)],
                         capture_output=True, text=True, timeout=300, env=env)
    assert res.returncode == 0, res.stderr[-3000:]
    return json.loads(res.stdout)


def _gzip_members(path: Path, first: bytes, member: bytes, copies: int) -> Path:
    """A gzip file that inflates to ``first + member * copies`` and is small on disk."""
    block = gzip.compress(member, compresslevel=6)
    with open(path, "wb") as f:
        f.write(gzip.compress(first))
        for _ in range(copies):
            f.write(block)
    return path


def _npz_bomb(path: Path, shape: tuple[int, ...], stored: int | None = None, name: str = "vectors",
              others: dict[str, np.ndarray] | None = None) -> Path:
    """An .npz whose float64 member ``name`` announces ``shape``; it holds that many zeros
    (deflated to a tiny size), or only ``stored`` bytes of them (a header that lies)."""
    header = {"descr": "<f8", "fortran_order": False, "shape": shape}
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for other, arr in (others or {}).items():
            with zf.open(other + ".npy", "w") as f:
                np.lib.format.write_array(f, arr)
        with zf.open(name + ".npy", "w", force_zip64=True) as f:
            np.lib.format.write_array_header_1_0(f, header)
            left = int(np.prod(shape)) * 8 if stored is None else stored
            zeros = bytes(8 << 20)
            while left:
                f.write(zeros[:min(left, len(zeros))])
                left -= min(left, len(zeros))
    return path


def test_memory_stays_bounded_on_bombs(tmp_path, glove):
    # each bomb holds (or announces) more than HEADROOM: read without bounds, it fails the limit
    line, rows = b"1 " * (4 << 20), b"a 1\n" * (16 << 20)
    bombs = {
        "line.txt.gz": _gzip_members(tmp_path / "line.txt.gz", b"a 1\nb ", line, 64),  # 512 MiB
        "first-line.gz": _gzip_members(tmp_path / "first-line.gz", b"a ", line, 64),
        # 128M rows of 'a 1' (about 10 GiB as tokens and floats) from a few hundred kilobytes
        "rows.txt.gz": _gzip_members(tmp_path / "rows.txt.gz", b"", rows, 8),
        "rows-header.vec.gz": _gzip_members(tmp_path / "rows-header.vec.gz", b"134217728 1\n", rows, 8),
        "bomb.npz": _npz_bomb(tmp_path / "bomb.npz", (6_000, 6_000)),  # 288 MB of zeros
        "liar.npz": _npz_bomb(tmp_path / "liar.npz", (100_000, 100_000), stored=800),  # 80 GB claimed
    }
    # a model folder whose transform.npz holds a 288 MB member (icaxes axes took 2.2 GB on one)
    model = icaxes.fit_pca(glove).save(tmp_path / "model")
    with np.load(model / "transform.npz", allow_pickle=False) as z:
        arrays = {k: z[k] for k in z.files if k != "mean_"}
    _npz_bomb(model / "transform.npz", (6_000, 6_000), name="mean_", others=arrays)
    assert all(p.stat().st_size < 5 << 20 for p in [*bombs.values(), model / "transform.npz"])
    warm = _write(tmp_path / "small.txt", _lines(glove.tokens, glove.vectors))
    valid = tmp_path / "valid.txt.gz"
    with gzip.open(valid, "wt", encoding="utf-8") as f:
        f.write("\n".join(_lines(glove.tokens, glove.vectors)))
    out = tmp_path / "out"
    cases = [("cli", ["fit", str(p), "-o", str(out)]) for p in bombs.values()]
    results = _run_bounded(warm, [*cases, ("cli", ["axes", str(model)]), ("read", str(valid))])
    expect = ["line 2 is longer than 4.0 MiB", "line 1 is longer than 4.0 MiB",
              "holds more rows than fit", "header announces 134,217,728 rows of 1 values, about 10.5 GiB",
              "needs 274.7 MiB of memory",
              "is truncated: its header announces shape (100000, 100000) of float64 (80,000,000,000 bytes)"]
    for name, result, match in zip(bombs, results, expect, strict=False):
        assert result["rc"] == 2, (name, result)
        err = _one_line(result["err"])
        assert name in err and match in err, (name, err)
    err = _one_line(results[-2]["err"])
    assert results[-2]["rc"] == 2 and "transform.npz: arrays" in err and "needs 274.7 MiB of memory" in err
    assert results[-1] == {"rc": N, "err": ""}  # a valid gzip reads under the same limit
    assert not out.exists()


# ------------------------------------------------------------------- broken containers
def test_truncated_and_corrupt_gzip(tmp_path, capsys, glove):
    data = gzip.compress(("\n".join(_lines(glove.tokens, glove.vectors)) + "\n").encode("utf-8"))
    (tmp_path / "cut.txt.gz").write_bytes(data[: len(data) // 2])
    bad = bytearray(data)
    bad[-8] ^= 0xFF  # the CRC-32 in the trailer
    (tmp_path / "crc.txt.gz").write_bytes(bytes(bad))
    with pytest.raises(EmbeddingFormatError, match="the file is truncated"):
        icaxes.load_embeddings(tmp_path / "cut.txt.gz")
    with pytest.raises(EmbeddingFormatError, match=r"gzip data is corrupt.*CRC"):
        icaxes.load_embeddings(tmp_path / "crc.txt.gz")
    _cli_fails(capsys, tmp_path / "cut.txt.gz", match="cut.txt.gz: the compressed data ends early")
    _cli_fails(capsys, tmp_path / "crc.txt.gz", match="crc.txt.gz: the gzip data is corrupt")


def test_numpy_files_that_are_empty_truncated_or_complex(tmp_path, capsys, glove):
    tokens = tmp_path / "t.txt"
    tokens.write_text("\n".join(glove.tokens) + "\n", encoding="utf-8")
    (tmp_path / "empty.npy").write_bytes(b"")
    np.save(tmp_path / "full.npy", glove.vectors)
    (tmp_path / "cut.npy").write_bytes((tmp_path / "full.npy").read_bytes()[:4000])
    np.save(tmp_path / "complex.npy", glove.vectors + 1j * glove.vectors)
    for name, match in (("empty.npy", "empty.npy is empty (0 bytes)"),
                        ("cut.npy", f"cut.npy is truncated: its header announces shape ({N}, {D})"),
                        ("complex.npy", "holds complex numbers (complex64)")):
        with pytest.raises(EmbeddingFormatError, match=re.escape(match)):
            icaxes.load_embeddings(tmp_path / name, tokens_path=tokens)
        _cli_fails(capsys, tmp_path / name, "--tokens", str(tokens), match=match)


def test_npz_without_vectors_names_its_arrays(tmp_path, capsys, glove):
    np.savez(tmp_path / "ab.npz", a=glove.vectors, b=glove.vectors[:, :10], tokens=np.array(glove.tokens))
    match = f"no array named 'vectors' and several others (a ({N}, {D}), b ({N}, 10))"
    with pytest.raises(EmbeddingFormatError) as info:
        icaxes.load_embeddings(tmp_path / "ab.npz")
    assert match in str(info.value) and "numpy.savez(path, vectors=" in str(info.value)
    _cli_fails(capsys, tmp_path / "ab.npz", match=match)
    # one matrix besides the tokens is unambiguous and still read
    np.savez(tmp_path / "one.npz", a=glove.vectors, tokens=np.array(glove.tokens))
    assert icaxes.load_embeddings(tmp_path / "one.npz").tokens == glove.tokens


def test_parquet_column_of_numbers_stored_as_text(tmp_path, capsys, glove):
    import pandas as pd

    df = pd.DataFrame(glove.vectors[:, :6], columns=[f"d{i}" for i in range(6)])
    df.insert(0, "token", glove.tokens)
    df["d4"] = df["d4"].map(repr)  # one dimension written as strings
    df.to_parquet(tmp_path / "t.parquet")
    with pytest.raises(EmbeddingFormatError, match="column 'd4' holds text, not numbers"):
        icaxes.load_embeddings(tmp_path / "t.parquet")
    _cli_fails(capsys, tmp_path / "t.parquet", match="column 'd4' holds text")


# ---------------------------------------------------------------------- text details
def test_byte_order_mark_and_non_breaking_space(tmp_path, glove):
    lines = _lines(glove.tokens, glove.vectors)
    bom = "\ufeff".encode()
    (tmp_path / "h.vec").write_bytes(bom + (f"{N} {D}\n" + "\n".join(lines) + "\n").encode("utf-8"))
    (tmp_path / "g.txt").write_bytes(bom + ("\n".join(lines) + "\n").encode("utf-8"))
    for name in ("h.vec", "g.txt"):
        emb = icaxes.load_embeddings(tmp_path / name)
        assert emb.tokens == glove.tokens  # the mark is not part of the first token
        np.testing.assert_array_equal(emb.vectors, glove.vectors)
    # a token holding U+00A0: only ASCII spaces separate fields
    lines[0] = "new\u00a0york" + lines[0][lines[0].index(" "):]
    emb = icaxes.load_embeddings(_write(tmp_path / "nbsp.txt", lines))
    assert emb.tokens[0] == "new\u00a0york" and emb.dim == D and len(emb) == N


def test_float32_overflow_is_one_line_without_warnings(tmp_path, glove):
    lines = _lines(glove.tokens, glove.vectors)
    parts = lines[9].split(" ")
    parts[3] = "1e39"
    lines[9] = " ".join(parts)
    path = _write(tmp_path / "big.txt", lines)
    work = tmp_path / "work"
    work.mkdir()
    res = subprocess.run([ICAXES, "fit", str(path), "-o", str(work / "m")], capture_output=True,
                         text=True, timeout=120)
    assert res.returncode == 2
    # the whole of stderr is the one line: no RuntimeWarning before it
    assert res.stderr.strip() == (f"error: {path}: line 10 has a value too large for float32: '1e39' "
                                  "(the largest is 3.403e+38); rescale the vectors"), res.stderr
    assert os.listdir(work) == []
    with pytest.raises(InputError, match="too large for float32"):
        icaxes.load_embeddings(path)


def test_float32_overflow_in_a_float64_matrix(tmp_path, glove):
    X = glove.vectors.astype(np.float64)
    X[4, 2] = -5e40
    np.savez(tmp_path / "big.npz", vectors=X, tokens=np.array(glove.tokens))
    res = subprocess.run([ICAXES, "fit", str(tmp_path / "big.npz"), "-o", str(tmp_path / "m")],
                         capture_output=True, text=True, timeout=120)
    assert res.returncode == 2 and not (tmp_path / "m").exists()
    assert res.stderr.strip() == (f"error: {tmp_path / 'big.npz'}: row 5 ({glove.tokens[4]!r}) has a value "
                                  "too large for float32 (5e+40; the largest is 3.403e+38); rescale the "
                                  "vectors"), res.stderr
    # the same in a parquet table of float64 columns
    import pandas as pd

    df = pd.DataFrame(X, columns=[f"d{i}" for i in range(D)])
    df.insert(0, "token", glove.tokens)
    df.to_parquet(tmp_path / "big.parquet")
    with pytest.raises(EmbeddingFormatError, match=re.escape(f"row 5 ({glove.tokens[4]!r}) has a value too")):
        icaxes.load_embeddings(tmp_path / "big.parquet")


def test_spacy_folder_with_a_lying_vectors_header(tmp_path):
    # spaCy would allocate what the header announces (80 GB) before finding the file short
    with open(tmp_path / "vectors", "wb") as f:
        np.lib.format.write_array_header_1_0(f, {"descr": "<f4", "fortran_order": False,
                                                 "shape": (1_000_000, 20_000)})
        f.write(bytes(400))
    (tmp_path / "strings.json").write_text('["a", "b"]', encoding="utf-8")
    with pytest.raises(EmbeddingFormatError, match=r"vectors is truncated: its header announces shape "
                       r"\(1000000, 20000\) of float32"):
        icaxes.load_embeddings(tmp_path)
