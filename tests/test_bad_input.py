"""Bad input: one clear error line, a specific exception class, exit status 2, nothing left behind.

Each broken file is made from a real GloVe slice. The API is checked for the exception class;
the CLI (``icaxes.cli.main``, the console-script entry point) for the exit status, the single
``error:`` line and an output folder that does not exist, with no temporary siblings.
"""

from __future__ import annotations

import os
import re
import select
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

import icaxes
from _commands import ICAXES, interruptible
from icaxes.cli import main
from icaxes.errors import (
    DegenerateDataError,
    DuplicateTokenError,
    EmbeddingFormatError,
    MissingDependencyError,
    NonFiniteError,
    OutputError,
    UnknownTokenError,
)
from icaxes.fitting import fit_source

N, D = 200, 50


@pytest.fixture(scope="module")
def glove(glove_5k):
    return glove_5k.head(N)


def _lines(tokens, vectors) -> list[str]:
    return [t + " " + " ".join(f"{v:.9g}" for v in row) for t, row in zip(tokens, vectors, strict=True)]


def _write(path: Path, lines: list[str], header: str | None = None) -> Path:
    body = "\n".join(([header] if header else []) + lines) + "\n"
    path.write_text(body, encoding="utf-8")
    return path


def _cli_fails(capsys, inputs: Path, *args: str, match: str) -> str:
    """Run ``icaxes fit`` in-process; check exit 2, one error line and no output or temp files."""
    work = inputs.parent
    before = set(os.listdir(work))
    out = work / "model"
    code = main(["fit", str(inputs), "-o", str(out), *args])
    err = capsys.readouterr().err.strip()
    assert code == 2, err
    assert len(err.splitlines()) == 1 and err.startswith("error: "), err
    assert match in err, err
    assert not out.exists()
    assert set(os.listdir(work)) == before  # no temporary siblings either
    return err


# (name, how the file is broken, API exception, text the message must contain)
def _broken(glove, kind: str) -> tuple[list[str], str | None]:
    tokens, vectors = list(glove.tokens), glove.vectors.copy()
    lines = _lines(tokens, vectors)
    if kind == "header-count":
        return lines, f"{N + 5} {D}"
    if kind == "header-fewer":
        return lines, f"{N - 5} {D}"
    if kind == "header-dim":
        return lines, f"{N} {D + 10}"
    if kind == "ragged":
        lines[7] = lines[7].rsplit(" ", 1)[0]
    elif kind == "non-numeric":
        parts = lines[12].split(" ")
        parts[4] = "0.1x"
        lines[12] = " ".join(parts)
    elif kind == "nan":
        parts = lines[3].split(" ")
        parts[9] = "nan"
        lines[3] = " ".join(parts)
    elif kind == "inf":
        parts = lines[30].split(" ")
        parts[1] = "-inf"
        lines[30] = " ".join(parts)
    elif kind == "duplicate":
        lines[40] = tokens[2] + " " + lines[40].split(" ", 1)[1]
    elif kind == "zero-row":
        lines[25] = tokens[25] + " " + " ".join(["0"] * D)
    elif kind == "few-rows":
        lines = lines[:30]
    elif kind == "constant-column":
        vectors[:, 7] = 0.25
        lines = _lines(tokens, vectors)
    elif kind == "collinear":
        vectors[:, 9] = 2 * vectors[:, 3] - vectors[:, 4]
        lines = _lines(tokens, vectors)
    return lines, None


CASES = [
    ("header-count", EmbeddingFormatError, f"header announces {N + 5} rows but the file has {N}"),
    ("header-fewer", EmbeddingFormatError, f"header announces {N - 5} rows but line {N - 3} is row {N - 4}"),
    ("header-dim", EmbeddingFormatError, f"line 2 has {D} values, expected {D + 10} (from the header)"),
    ("ragged", EmbeddingFormatError, f"line 8 has {D - 1} values, expected {D}"),
    ("non-numeric", EmbeddingFormatError, "line 13 has a value that is not a number: '0.1x'"),
    ("nan", NonFiniteError, "NaN or infinite values in 1 row(s)"),
    ("inf", NonFiniteError, "NaN or infinite values in 1 row(s)"),
    ("duplicate", DuplicateTokenError, "1 duplicate token(s)"),
    ("zero-row", DegenerateDataError, "1 all-zero row(s)"),
    ("few-rows", DegenerateDataError, f"fewer rows (30) than dimensions ({D})"),
    ("constant-column", DegenerateDataError, "constant column(s) (column 7)"),
    ("collinear", DegenerateDataError, "collinear"),
]


@pytest.mark.parametrize(("kind", "exc", "match"), CASES, ids=[c[0] for c in CASES])
def test_broken_text_file(tmp_path, capsys, glove, kind, exc, match):
    lines, header = _broken(glove, kind)
    path = _write(tmp_path / "broken.txt", lines, header)
    with pytest.raises(exc) as info:
        icaxes.fit_ica(icaxes.load_embeddings(path))
    assert match in str(info.value) and "\n" not in str(info.value)
    _cli_fails(capsys, path, match=match)


def test_constant_column_fits_with_fewer_components(tmp_path, capsys, glove):
    # the error names the way out: keep only the components the data has, and that works
    lines, _ = _broken(glove, "constant-column")
    path = _write(tmp_path / "const.txt", lines)
    with pytest.raises(DegenerateDataError, match=f"keep at most {D - 1} components"):
        icaxes.fit_ica(icaxes.load_embeddings(path))
    out = tmp_path / "model"
    assert main(["fit", str(path), "-o", str(out), "--n-components", str(D - 1)]) == 0
    capsys.readouterr()
    model = icaxes.load_model(out)
    assert model.n_axes == D - 1 and np.all(np.isfinite(model.components))
    assert icaxes.load_model(out, "pca").n_axes == D - 1
    # the constant column carries nothing: no axis loads on it
    assert np.allclose(model.transform.mixing_[7], 0.0, atol=1e-6)


def test_empty_file(tmp_path, capsys):
    path = tmp_path / "empty.vec"
    path.write_bytes(b"")
    with pytest.raises(EmbeddingFormatError, match="the file is empty"):
        icaxes.load_embeddings(path)
    (tmp_path / "blank.txt").write_text("\n\n  \n", encoding="utf-8")
    with pytest.raises(EmbeddingFormatError, match="the file is empty"):
        icaxes.load_embeddings(tmp_path / "blank.txt")
    _cli_fails(capsys, path, match="empty")


def test_invalid_utf8_says_line_and_byte(tmp_path, capsys, glove):
    lines = _lines(glove.tokens, glove.vectors)
    data = "\n".join(lines).encode("utf-8").split(b"\n")
    data[4] = b"caf\xe9" + data[4][data[4].index(b" "):]  # Latin-1 'é' in line 5
    path = tmp_path / "latin1.txt"
    path.write_bytes(b"\n".join(data) + b"\n")
    msg = "line 5 is not valid UTF-8 (byte 4 of the line, 0xe9)"
    with pytest.raises(EmbeddingFormatError) as info:
        icaxes.load_embeddings(path)
    assert msg in str(info.value)
    _cli_fails(capsys, path, match=msg)
    # the same in a word2vec binary token
    binp = tmp_path / "latin1.bin"
    with open(binp, "wb") as f:
        row = np.ones(3, "<f4").tobytes()
        f.write(b"2 3\n" + b"ok " + row + b"\nna\xefve " + row)
    with pytest.raises(EmbeddingFormatError, match=r"token of row 2 is not valid UTF-8 \(byte 3"):
        icaxes.load_embeddings(binp)


def test_dedupe_and_limit_repair_what_they_should(tmp_path, glove):
    lines, _ = _broken(glove, "duplicate")
    path = _write(tmp_path / "dup.txt", lines)
    emb = icaxes.load_embeddings(path, dedupe=True)
    assert len(emb) == N - 1 and emb.metadata["duplicates_dropped"] == 1
    lines, _ = _broken(glove, "ragged")
    assert len(icaxes.load_embeddings(_write(tmp_path / "r.txt", lines), limit=7)) == 7


def test_unknown_token_for_explain(tmp_path, capsys, glove_5k):
    # a PCA model folder is enough here and fits in a second
    model = icaxes.fit_pca(glove_5k.head(2000))
    model.save(tmp_path / "model" / "pca")
    with pytest.raises(UnknownTokenError, match=r"unknown token 'Paris'.*did you mean 'paris'"):
        model.explain("Paris")
    code = main(["explain", str(tmp_path / "model"), "zzqqxxv", "--method", "pca"])
    err = capsys.readouterr().err.strip()
    assert code == 2 and err.startswith("error: unknown token 'zzqqxxv'") and len(err.splitlines()) == 1


def test_unwritable_output(tmp_path, capsys, glove):
    path = _write(tmp_path / "ok.txt", _lines(glove.tokens, glove.vectors))
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder", encoding="utf-8")
    before = set(os.listdir(tmp_path))
    # permission bits do not stop root: a path under a regular file and /proc really fail
    for out in (blocker / "model", Path("/proc/icaxes-test-model")):
        with pytest.raises(OutputError):
            fit_source(str(path), out)
        code = main(["fit", str(path), "-o", str(out)])
        err = capsys.readouterr().err.strip()
        assert code == 2 and len(err.splitlines()) == 1 and "choose a writable path" in err, err
        assert not out.exists()
    assert set(os.listdir(tmp_path)) == before


def test_missing_optional_package(tmp_path, glove, monkeypatch):
    from gensim.models import KeyedVectors

    kv = KeyedVectors(vector_size=D)
    kv.add_vectors(glove.tokens, glove.vectors)
    kv.save(str(tmp_path / "w.kv"))
    # a None entry in sys.modules makes the import fail as if gensim were not installed
    monkeypatch.setitem(sys.modules, "gensim", None)
    with pytest.raises(MissingDependencyError, match=r"pip install 'icaxes\[gensim\]'"):
        icaxes.load_embeddings(tmp_path / "w.kv", allow_pickle=True)
    monkeypatch.undo()
    # the same through the installed console script, blocked at interpreter start-up
    shim = tmp_path / "shim"
    shim.mkdir()
    (shim / "sitecustomize.py").write_text("import sys\nsys.modules['gensim'] = None\n", encoding="utf-8")
    work = tmp_path / "work"
    work.mkdir()
    path = os.pathsep.join(filter(None, [str(shim), os.environ.get("PYTHONPATH")]))
    env = {**os.environ, "PYTHONPATH": path}
    res = subprocess.run([ICAXES, "fit", str(tmp_path / "w.kv"), "--trust-pickle", "-o", str(work / "m")],
                         capture_output=True, text=True, env=env, timeout=120)
    assert res.returncode == 2, res.stderr
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1 and "needs the optional package 'gensim'" in lines[0], res.stderr
    assert os.listdir(work) == []


def test_missing_spacy_for_a_vectors_folder(tmp_path, glove, monkeypatch):
    from spacy.strings import StringStore
    from spacy.vectors import Vectors

    strings = StringStore(glove.tokens)
    Vectors(data=glove.vectors.copy(), keys=[strings[t] for t in glove.tokens]).to_disk(tmp_path)
    strings.to_disk(tmp_path / "strings.json")
    monkeypatch.setitem(sys.modules, "spacy", None)
    with pytest.raises(MissingDependencyError, match=r"pip install 'icaxes\[spacy\]'"):
        icaxes.load_embeddings(tmp_path)


def test_console_script_exit_status(tmp_path, glove):
    lines, _ = _broken(glove, "non-numeric")
    path = _write(tmp_path / "bad.txt", lines)
    res = subprocess.run([ICAXES, "fit", str(path), "-o", str(tmp_path / "m")],
                         capture_output=True, text=True, timeout=120)
    assert res.returncode == 2
    assert res.stderr.strip() == (f"error: {path}: line 13 has a value that is not a number: '0.1x'")
    assert res.stdout == "" and sorted(os.listdir(tmp_path)) == ["bad.txt"]


def test_interrupted_fit_leaves_nothing(tmp_path):
    """SIGINT to a real ``icaxes fit`` while ICA iterates: non-zero exit, one line, no output."""
    work = tmp_path / "work"
    work.mkdir()
    # a tolerance that is never reached keeps ICA iterating until the signal arrives;
    # TTY_COMPATIBLE makes the progress bar print, which tells us the fit has started
    # (stdout and stderr are read together: the bar and the error line may use either)
    env = {**os.environ, "TTY_COMPATIBLE": "1"}
    args = ["fit", "glove-6b-50d", "--limit", "30000", "--tol", "1e-300", "--max-iter", "100000000",
            "-o", str(work / "model")]
    seen = b""
    deadline = time.monotonic() + 120
    with interruptible(args, stderr=subprocess.STDOUT, stdout=subprocess.PIPE, env=env) as proc:
        while not re.search(rb"iter [1-9]", seen):  # the bar may skip numbers
            assert time.monotonic() < deadline, seen[-500:]
            ready, _, _ = select.select([proc.stdout], [], [], 1.0)
            if ready:
                chunk = os.read(proc.stdout.fileno(), 65536)
                assert chunk, f"icaxes fit ended early: {seen[-500:]!r}"
                seen += chunk
        proc.send_signal(signal.SIGINT)
        rest, _ = proc.communicate(timeout=60)
    assert proc.returncode not in (0, None)
    text = (seen + rest).decode("utf-8", "replace")
    errors = [ln for ln in text.replace("\r", "\n").splitlines() if "error:" in ln]
    assert len(errors) == 1 and "interrupted" in errors[0], text[-500:]
    assert text.rstrip().endswith("error: interrupted; nothing was written")
    assert os.listdir(work) == []
