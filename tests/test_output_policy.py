"""The output policy, the CLI's one error boundary and the declared parameters.

Every ``-o`` writes a new folder, or replaces one only if icaxes wrote it (its marker file
lists what it holds) or ``--force`` is given; the current folder, its parents and anything
holding the input are never replaced; stale temporaries of killed runs are cleaned; disk and
permission errors, truncated input and Ctrl-C are one ``error:`` line with the right exit
status. Each CLI case checks the status, the single line, no traceback, and that nothing was
deleted or left behind.
"""

from __future__ import annotations

import errno
import gzip
import inspect
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
import typer
from typer.testing import CliRunner

import icaxes
from _commands import interruptible
from icaxes import ICA, PCA
from icaxes.cli import app, main
from icaxes.errors import InputError, OutputError, ParameterError
from icaxes.io import atomic
from icaxes.io.atomic import MARKER, clean_stale, foreign_files, read_marker

ROWS = 400


@pytest.fixture(scope="module")
def vec_lines(glove_5k) -> list[str]:
    """A real GloVe slice as a word2vec text file's lines (header first)."""
    emb = glove_5k.head(ROWS)
    return [f"{ROWS} {emb.dim}"] + [t + " " + " ".join(f"{v:.6g}" for v in row)
                                    for t, row in zip(emb.tokens, emb.vectors, strict=True)]


@pytest.fixture
def emb_file(tmp_path, vec_lines) -> Path:
    path = tmp_path / "emb.vec"
    path.write_text("\n".join(vec_lines) + "\n", encoding="utf-8")
    return path


#: a quick fit: few components (the policy is what these tests are about, not the axes)
QUICK = ["--n-components", "6"]


def _tree(folder: Path) -> dict[str, bytes]:
    """Every file under ``folder`` (hidden ones included) with its content."""
    return {p.relative_to(folder).as_posix(): p.read_bytes()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def _one_error(capsys, code: int, expected: int = 2) -> str:
    out = capsys.readouterr()
    err = out.err.strip()
    assert code == expected, err
    assert len(err.splitlines()) == 1 and err.startswith("error: "), err
    assert "Traceback" not in out.err + out.out
    return err


# ---------------------------------------------------------------- never the input, never cwd
def test_a_folder_holding_the_input_is_never_replaced(tmp_path, vec_lines, capsys):
    d = tmp_path / "d"
    d.mkdir()
    (d / "emb.vec").write_text("\n".join(vec_lines) + "\n", encoding="utf-8")
    (d / "notes.txt").write_text("keep\n", encoding="utf-8")
    before = _tree(tmp_path)
    for extra in ([], ["--force"]):
        err = _one_error(capsys, main(["fit", str(d / "emb.vec"), "-o", str(d), *QUICK, *extra]))
        assert "holds the input" in err and "choose another output path" in err
        assert _tree(tmp_path) == before  # nothing deleted, nothing left behind
    err = _one_error(capsys, main(["fit", str(d / "emb.vec"), "-o", str(tmp_path), *QUICK, "--force"]))
    assert "holds the input" in err and _tree(tmp_path) == before  # an ancestor of the input


def test_current_folder_parents_and_the_input_itself_are_refused(tmp_path, emb_file, capsys, monkeypatch):
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    before = _tree(tmp_path)
    for out, says in ((".", "current folder"), ("", "current folder"), (str(work), "current folder"),
                      ("..", "parent of the current folder"), (str(emb_file), "is the input"),
                      (str(tmp_path), "parent of the current folder")):
        err = _one_error(capsys, main(["fit", str(emb_file), "-o", out, *QUICK, "--force"]))
        assert says in err, (out, err)
        assert _tree(tmp_path) == before


# ---------------------------------------------------------------- what may be replaced
def test_icaxes_folders_are_replaced_and_others_refused(tmp_path, emb_file, capsys):
    out = tmp_path / "m"
    assert main(["fit", str(emb_file), "-o", str(out), *QUICK]) == 0
    marker = json.loads((out / MARKER).read_text(encoding="utf-8"))
    assert marker["format"] == "icaxes-output" and marker["format_version"] == 1
    assert marker["written_by"] == "icaxes fit"
    assert {"run.json", "ica/model.json", "pca/transform.npz"} <= set(marker["files"])
    assert read_marker(out / "ica") is not None and foreign_files(out) == []
    # icaxes' own folder: replaced by the next run
    assert main(["fit", str(emb_file), "-o", str(out), *QUICK, "--seed", "1"]) == 0
    assert json.loads((out / "run.json").read_text(encoding="utf-8"))["seed"] == 1
    capsys.readouterr()
    # ... but not once it holds a file icaxes did not write
    (out / "ica" / "notes.txt").write_text("mine", encoding="utf-8")
    before = _tree(tmp_path)
    err = _one_error(capsys, main(["fit", str(emb_file), "-o", str(out), *QUICK]))
    assert "holds files icaxes did not write (ica/notes.txt)" in err and "--force" in err
    assert _tree(tmp_path) == before
    # a folder icaxes did not write: refused, or replaced with --force
    other = tmp_path / "other"
    other.mkdir()
    (other / "a.txt").write_text("x", encoding="utf-8")
    err = _one_error(capsys, main(["fit", str(emb_file), "-o", str(other), *QUICK]))
    assert "not written by icaxes" in err and "--force" in err
    assert (other / "a.txt").read_text(encoding="utf-8") == "x"
    assert main(["fit", str(emb_file), "-o", str(other), *QUICK, "--force"]) == 0
    assert not (other / "a.txt").exists() and read_marker(other) is not None
    # an empty folder (mkdir out first) is fine
    empty = tmp_path / "empty"
    empty.mkdir()
    assert main(["fit", str(emb_file), "-o", str(empty), *QUICK]) == 0
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no temporaries


def test_files_icaxes_adds_to_its_folder_are_its_own(tmp_path, glove_5k):
    model = icaxes.fit_pca(glove_5k.head(500))
    model.save(tmp_path / "m")
    from icaxes.explorer import write_explorer

    write_explorer([("m", model)], tmp_path / "m" / "page.html")
    assert "page.html" in read_marker(tmp_path / "m")["files"] and foreign_files(tmp_path / "m") == []
    model.save(tmp_path / "m")  # so it is still replaced
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "x").write_text("x", encoding="utf-8")
    with pytest.raises(OutputError, match="not written by icaxes"):
        model.save(tmp_path / "mine")
    assert (tmp_path / "mine" / "x").exists()


def test_a_loaded_model_never_exports_over_its_own_folder(tmp_path, glove_5k):
    from icaxes import AxisModel, fit_ica

    fit_ica(glove_5k.head(400), n_components=5).save(tmp_path / "m")
    model = AxisModel.load(tmp_path / "m")
    assert model.folder == tmp_path / "m"
    before = _tree(tmp_path)
    for target, to in [(tmp_path / "m", "projector"), (tmp_path, "projector"),
                       (tmp_path / "m" / "components.npy", "parquet"),
                       (tmp_path / "m" / "tokens.json", "word2vec")]:
        with pytest.raises(OutputError, match="the input"):
            model.export(target, to)
    assert _tree(tmp_path) == before
    from icaxes.explorer import write_explorer

    with pytest.raises(OutputError, match="the input"):
        write_explorer([("m", model)], tmp_path / "m" / "model.json")
    assert _tree(tmp_path) == before
    model.export(tmp_path / "m" / "axes.parquet", "parquet")  # a new file beside it is fine
    assert (tmp_path / "m" / "axes.parquet").is_file() and AxisModel.load(tmp_path / "m").n_axes == 5


def test_a_model_of_a_fitted_folder_never_exports_over_its_sibling(tmp_path, glove_5k):
    from icaxes.fitting import fit_source

    emb = glove_5k.head(300)
    path = tmp_path / "e.vec"
    path.write_text("\n".join(t + " " + " ".join(f"{v:.5g}" for v in r)
                              for t, r in zip(emb.tokens, emb.vectors, strict=True)) + "\n", encoding="utf-8")
    fit_source(str(path), tmp_path / "fit", n_components=5)
    ica = icaxes.load_model(tmp_path / "fit", "ica")
    assert ica.input_folders == [tmp_path / "fit", tmp_path / "fit" / "ica", tmp_path / "fit" / "pca"]
    before = _tree(tmp_path)
    with pytest.raises(OutputError, match="the input"):
        ica.export(tmp_path / "fit" / "pca", "projector")
    assert _tree(tmp_path) == before


@pytest.mark.parametrize("argv", [
    ["figures", "{model}", "-o", "{model}"],
    ["figures", "{model}", "-o", "{user}"],
    ["figures", "{model}", "-o", "{model}/pca"],
    ["explore", "{model}", "-o", "{user}"],
    ["explore", "{model}", "-o", "{model}/ica/model.json"],
    ["demo", "-o", "{user}", "--limit", "500"],
    ["evaluate", "{model}", "-o", "{user}", "-t", "stability"],
    ["evaluate", "{model}", "-o", "{model}", "-t", "stability"],
    ["evaluate", "{model}", "-o", "{model}/ica", "-t", "stability"],
    ["explore", "{model}", "-o", "{model}/pca"],
    ["fit-array", "{npy}", "-o", "{user}"],
    ["transform", "{model}", "{npy}", "-o", "{npy}"],
    ["match", "{model}", "{model}", "-o", "{model}/run.json"],
    ["match", "{model}", "{model}", "-o", "{model}/ica/model.json"],
    ["transform", "{model}", "{npy}", "-o", "{model}/ica/components.npy"],
    ["universal", "{config}", "-o", "{user}"],
    ["export", "{model}", "-o", "{model}"],
    ["export", "{model}", "-o", "{model}/ica"],
    ["export", "{model}", "--to", "word2vec", "-o", "{model}/run.json"],
], ids=lambda a: " ".join(a[:1] + a[2:3]))
def test_every_command_writing_with_o_follows_the_policy(tmp_path, glove_5k, argv, capsys):
    from icaxes.fitting import fit_source

    model = tmp_path / "model"
    emb = glove_5k.head(300)
    path = tmp_path / "e.vec"
    path.write_text("\n".join(t + " " + " ".join(f"{v:.5g}" for v in r)
                              for t, r in zip(emb.tokens, emb.vectors, strict=True)) + "\n", encoding="utf-8")
    fit_source(str(path), model, n_components=5)
    np.save(tmp_path / "x.npy", emb.vectors)
    user = tmp_path / "user"
    user.mkdir()
    (user / "keep.txt").write_text("mine", encoding="utf-8")
    config = tmp_path / "u.toml"
    config.write_text("[embeddings]\na = { spec = 'glove-6b-50d', limit = 500, lang = 'en' }\n"
                      "b = { spec = 'glove-6b-50d', limit = 600, lang = 'en' }\n[[comparisons]]\n"
                      "name = 'x'\nreference = 'a'\ntargets = ['b']\npairs = 'same'\n", encoding="utf-8")
    fill = {"model": str(model), "user": str(user), "npy": str(tmp_path / "x.npy"), "config": str(config)}
    before = _tree(tmp_path)
    err = _one_error(capsys, main([a.format(**fill) for a in argv]))
    assert any(s in err for s in ("not written by icaxes", "the input", "is a folder")), err
    assert _tree(tmp_path) == before


# ---------------------------------------------------------------- leftovers of killed runs
def test_stale_temporaries_of_killed_runs_are_cleaned(tmp_path, emb_file):
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    host = atomic._host()
    out = tmp_path / "m"

    def leftover(name: str, age_h: float = 0) -> Path:
        p = tmp_path / name
        p.mkdir()
        (p / "big.npy").write_bytes(b"\0" * 1000)
        t = time.time() - age_h * 3600
        os.utime(p, (t, t))
        return p

    stale = [leftover(f".m.icaxes-{host}-{dead.pid}-abc123.tmp"),
             leftover(f".m.icaxes-{host}-{dead.pid}-def456.old"),
             leftover(f".m.icaxes-ffffff-{os.getpid()}-ghi789.tmp", age_h=25)]  # another machine, old
    kept = [leftover(f".m.icaxes-{host}-{os.getpid()}-jkl012.tmp"),  # a live process
            leftover(f".m.icaxes-ffffff-{dead.pid}-mno345.tmp"),  # another machine, recent
            leftover(".m.backup"), leftover(f".other.icaxes-{host}-{dead.pid}-pqr678.tmp")]
    assert main(["fit", str(emb_file), "-o", str(out), *QUICK]) == 0
    assert not any(p.exists() for p in stale)
    assert all(p.exists() for p in kept)


def test_a_run_killed_mid_save_is_cleaned_by_the_next(tmp_path, emb_file):
    out = tmp_path / "m"
    script = ("import sys, time\nfrom icaxes.io.atomic import atomic_dir\n"
              f"with atomic_dir({str(out)!r}) as tmp:\n"
              "    (tmp / 'half.npy').write_bytes(b'0' * 100000)\n"
              "    print('saving', flush=True)\n    time.sleep(60)\n")
    proc = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    assert proc.stdout.readline().strip() == "saving"
    proc.kill()  # SIGKILL: no cleanup runs
    proc.wait()
    (left,) = [p for p in tmp_path.iterdir() if p.name.startswith(".m.")]
    assert left.name.endswith(".tmp") and not out.exists()
    assert main(["fit", str(emb_file), "-o", str(out), *QUICK]) == 0
    assert not left.exists() and out.is_dir()


def test_a_swap_killed_between_the_renames_gets_the_old_output_back(tmp_path):
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    old = tmp_path / f".m.icaxes-{atomic._host()}-{dead.pid}-abc123.old"
    (old / "x").mkdir(parents=True)
    (old / "x" / "previous.txt").write_text("previous", encoding="utf-8")
    clean_stale(tmp_path / "m")
    assert (tmp_path / "m" / "previous.txt").read_text(encoding="utf-8") == "previous"
    assert not old.exists()


# ---------------------------------------------------------------- disk and permissions
@pytest.mark.parametrize(("code", "says"), [(errno.ENOSPC, "No space left on device"),
                                            (errno.EACCES, "Permission denied"),
                                            (errno.EROFS, "Read-only file system")])
def test_write_errors_are_one_line_and_leave_nothing(tmp_path, emb_file, capsys, monkeypatch, code, says):
    real_save = np.save

    def failing_save(file, *args, **kwargs):  # the first array file of the model fails
        raise OSError(code, os.strerror(code), str(file))

    monkeypatch.setattr(np, "save", failing_save)
    before = _tree(tmp_path)
    err = _one_error(capsys, main(["fit", str(emb_file), "-o", str(tmp_path / "m"), *QUICK]))
    assert f"cannot write {tmp_path / 'm'}" in err and says in err and "nothing was written" in err
    assert _tree(tmp_path) == before and sorted(os.listdir(tmp_path)) == ["emb.vec"]
    monkeypatch.setattr(np, "save", real_save)


def test_a_busy_target_is_one_line(tmp_path, emb_file, capsys, monkeypatch):
    assert main(["fit", str(emb_file), "-o", str(tmp_path / "m"), *QUICK]) == 0
    before = _tree(tmp_path)
    real = os.replace

    def busy(src, dst):  # the new folder cannot take the target's place
        if Path(dst) == tmp_path / "m" and Path(src).name.endswith(".tmp"):
            raise OSError(errno.EBUSY, os.strerror(errno.EBUSY), str(dst))
        return real(src, dst)

    monkeypatch.setattr(os, "replace", busy)
    capsys.readouterr()
    err = _one_error(capsys, main(["fit", str(emb_file), "-o", str(tmp_path / "m"), *QUICK, "--seed", "3"]))
    assert "Device or resource busy" in err
    monkeypatch.setattr(os, "replace", real)
    assert _tree(tmp_path) == before  # the previous model is back in place


def _mount_tmpfs(path: Path, options: str) -> bool:
    if os.geteuid() != 0:
        return False
    path.mkdir()
    res = subprocess.run(["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(path)], capture_output=True)
    return res.returncode == 0


def test_a_full_disk_and_a_read_only_disk(tmp_path, emb_file, capsys, glove_5k):
    full, ro = tmp_path / "full", tmp_path / "ro"
    if not (_mount_tmpfs(full, "size=1m") and _mount_tmpfs(ro, "ro,size=64k")):
        pytest.skip("needs root and tmpfs mounts (the monkeypatched cases above run everywhere)")
    try:
        filler = full / ".filler"  # leaves 12 KiB: the probe passes, the model does not fit
        filler.write_bytes(b"\0" * ((1 << 20) - (12 << 10)))
        err = _one_error(capsys, main(["fit", str(emb_file), "-o", str(full / "m"), *QUICK]))
        assert "No space left on device" in err and os.listdir(full) == [".filler"]
        model = tmp_path / "model"
        icaxes.fit_pca(glove_5k.head(3000)).save(model)
        err = _one_error(capsys, main(["explore", str(model), "-o", str(full / "page.html")]))
        assert "No space left on device" in err and os.listdir(full) == [".filler"]
        err = _one_error(capsys, main(["fit", str(emb_file), "-o", str(ro / "m"), *QUICK]))
        assert "writable" in err and os.listdir(ro) == []
    finally:
        subprocess.run(["umount", str(full)], check=False)
        subprocess.run(["umount", str(ro)], check=False)


def test_an_unwritable_folder_fails_before_the_fit(tmp_path, emb_file, capsys, monkeypatch):
    import icaxes.fitting

    def no_load(*args, **kwargs):
        raise AssertionError("the input was loaded before the output was checked")

    monkeypatch.setattr(icaxes.fitting, "load_embeddings", no_load)
    locked = tmp_path / "locked"
    locked.mkdir()
    os.chmod(locked, 0o555)
    real_access = os.access
    if os.geteuid() == 0:  # root ignores mode bits: let access() report them as a user sees them
        monkeypatch.setattr(os, "access", lambda p, mode, **kw: Path(p) != locked and real_access(p, mode))
    try:
        err = _one_error(capsys, main(["fit", str(emb_file), "-o", str(locked / "m"), *QUICK]))
        assert "not writable" in err and os.listdir(locked) == []
    finally:
        os.chmod(locked, 0o755)


# ---------------------------------------------------------------- the CLI's one boundary
def _truncated_gzip(tmp_path: Path, vec_lines: list[str]) -> Path:
    data = gzip.compress(("\n".join(vec_lines) + "\n").encode())
    path = tmp_path / "cut.vec.gz"
    path.write_bytes(data[: len(data) // 2])
    return path


def test_truncated_or_corrupt_gzip_is_exit_2_not_aborted(tmp_path, vec_lines, capsys):
    cut = _truncated_gzip(tmp_path, vec_lines)
    good = gzip.compress(("\n".join(vec_lines) + "\n").encode())
    bad_crc = tmp_path / "crc.vec.gz"
    bad_crc.write_bytes(good[:-8] + bytes([good[-8] ^ 0xFF]) + good[-7:])
    empty_npy = tmp_path / "empty.npy"
    empty_npy.write_bytes(b"")
    for path in (cut, bad_crc, empty_npy):
        before = _tree(tmp_path)
        err = _one_error(capsys, main(["fit", str(path), "-o", str(tmp_path / "m"), *QUICK]))
        assert "aborted" not in err and "interrupted" not in err
        assert _tree(tmp_path) == before
    # the same boundary under typer's CliRunner (what most CLI tests use)
    res = CliRunner().invoke(app, ["fit", str(cut), "-o", str(tmp_path / "m")])
    assert res.exit_code == 2 and len(res.stderr.strip().splitlines()) == 1
    assert res.stderr.startswith("error: ") and isinstance(res.exception, SystemExit)


def test_errors_of_any_command_go_through_main(tmp_path, capsys, monkeypatch):
    import icaxes.fitting

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(icaxes.fitting, "load_embeddings", interrupted)
    err = _one_error(capsys, main(["fit", "glove-6b-50d", "-o", str(tmp_path / "m")]), expected=130)
    assert err == "error: interrupted; nothing was written" and os.listdir(tmp_path) == []
    # --method is checked by the API's error, not by a separate typer mechanism
    err = _one_error(capsys, main(["axes", str(tmp_path), "--method", "nmf"]))
    assert "--method must be ica or pca" in err
    # a broken stdout (`icaxes ... | head`) is not a traceback either
    from icaxes.cli._app import _error_line

    assert _error_line(BrokenPipeError(errno.EPIPE, "Broken pipe"))[1] == 1
    assert _error_line(RuntimeError("a bug")) is None  # bugs keep their traceback


def test_sigint_in_the_first_second_is_one_line(tmp_path):
    if not Path("/proc/self/maps").exists():
        pytest.skip("watches /proc/PID/maps to know the interpreter is importing icaxes")
    out = tmp_path / "m"
    with interruptible(["fit", "glove-6b-50d", "-o", str(out)], stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE) as proc:
        # numpy is loaded by `import icaxes`: the signal then arrives while the package imports
        deadline = time.monotonic() + 60
        while "numpy" not in Path(f"/proc/{proc.pid}/maps").read_text(errors="replace"):
            assert proc.poll() is None and time.monotonic() < deadline
            time.sleep(0.005)
        proc.send_signal(signal.SIGINT)
        stdout, stderr = proc.communicate(timeout=60)
    assert proc.returncode == 130, stderr
    assert stderr.decode().strip() == "error: interrupted; nothing was written" and stdout == b""
    assert os.listdir(tmp_path) == []


# ---------------------------------------------------------------- parameters, declared once
@pytest.mark.parametrize("params", [
    {"max_iter": 0}, {"max_iter": 2.5}, {"n_components": 0}, {"n_components": -1}, {"n_components": 2.7},
    {"n_components": 1.0}, {"n_components": True}, {"tol": float("nan")}, {"tol": -1e-3},
    {"tol": float("inf")}, {"random_state": -1}, {"random_state": 2**32}, {"random_state": "0"},
    {"solver": "newton"}, {"progress": "yes"}, {"device": 0},
], ids=str)
def test_ica_parameters_are_validated_before_any_work(params, glove_5k):
    X = glove_5k.vectors[:300]
    name = next(iter(params))
    with pytest.raises(ParameterError, match=rf"^ICA: {name}\b.* must be .*; got ") as info:
        ICA(**params).fit(X)
    assert isinstance(info.value, ValueError) and isinstance(info.value, InputError)


@pytest.mark.parametrize("params", [{"n_components": 0}, {"n_components": 3.5}, {"order": "random"}], ids=str)
def test_pca_parameters_are_validated(params, glove_5k):
    with pytest.raises(ParameterError, match=r"^PCA: "):
        PCA(**params).fit(glove_5k.vectors[:300])


def test_more_components_than_columns(glove_5k):
    with pytest.raises(ParameterError, match="only 50 columns"):
        PCA(51).fit(glove_5k.vectors[:300])


@pytest.mark.parametrize(("option", "value"), [("--seed", "-1"), ("--seed", "4294967296"),
                                               ("--max-iter", "0"), ("--tol", "nan"),
                                               ("--n-components", "0"), ("--n-components", "2.7")])
def test_cli_parameters_fail_before_the_load(tmp_path, capsys, monkeypatch, option, value):
    import icaxes.fitting

    def no_load(*args, **kwargs):
        raise AssertionError("the input was loaded before the parameters were checked")

    monkeypatch.setattr(icaxes.fitting, "load_embeddings", no_load)
    err = _one_error(capsys, main(["fit", "glove-6b-50d", "-o", str(tmp_path / "m"), option, value]))
    assert f"({option})" in err and f"got {value}" in err.replace("got nan", "got nan")
    assert os.listdir(tmp_path) == []


def test_a_fraction_of_the_variance_keeps_components_like_scikit_learn(glove_5k):
    from sklearn.decomposition import PCA as SkPCA

    X = glove_5k.vectors
    for frac in (0.5, 0.9):
        k = SkPCA(frac, svd_solver="full").fit(X).n_components_
        pca, ica = PCA(frac).fit(X), ICA(n_components=frac, random_state=0, max_iter=2000, tol=1e-6).fit(X)
        assert pca.components_.shape == ica.components_.shape == (k, X.shape[1])
        ratio = np.cumsum(pca.explained_variance_) / np.trace(np.cov(X.T, bias=True))
        assert ratio[-1] > frac and (k == 1 or ratio[-2] <= frac)
    assert 1 < k < X.shape[1]


def test_the_defaults_are_declared_once():
    from icaxes import params
    from icaxes.evaluate.stability import axis_stability
    from icaxes.fitting import fit_source

    est = ICA()
    assert (est.max_iter, est.tol) == (params.MAX_ITER, params.TOL)
    for fn in (fit_source, icaxes.fit_ica, axis_stability):
        sig = inspect.signature(fn).parameters
        assert (sig["max_iter"].default, sig["tol"].default) == (est.max_iter, est.tol), fn
    command = typer.main.get_command(app)
    for name in ("fit", "fit-array"):
        defaults = {p.name: p.default for p in command.commands[name].params}
        assert (defaults["max_iter"], defaults["tol"]) == (est.max_iter, est.tol)
    assert set(ICA._parameter_constraints) == set(est.get_params())
    assert set(PCA._parameter_constraints) == set(PCA().get_params())
