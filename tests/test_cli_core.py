"""The core commands (axes, explain, similarity) run through the real CLI on a real GloVe model."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from icaxes.cli import app, main

runner = CliRunner()


def _run(*args: str):
    return runner.invoke(app, [str(a) for a in args])


def _all_commands(cmd, path: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    """Every command path of the app, sub-commands of groups included."""
    found = [path] if path else []
    # typer ships its own copy of click, so look for a group by its commands mapping
    if isinstance(getattr(cmd, "commands", None), dict):
        for name, sub in cmd.commands.items():
            found += _all_commands(sub, (*path, name))
    return found


def test_help_on_every_command():
    commands = _all_commands(typer.main.get_command(app))
    names = {c[0] for c in commands}
    assert {"fit", "axes", "explain", "similarity"} <= names
    for path in commands:
        res = _run(*path, "--help")
        assert res.exit_code == 0, (path, res.output)
        assert "Usage" in res.output and "--help" in res.output


def test_axes_lists_every_axis(glove_20k_dir):
    res = _run("axes", glove_20k_dir, "--json", "-k", "6")
    assert res.exit_code == 0, res.output
    rows = json.loads(res.stdout)
    assert [r["axis"] for r in rows] == list(range(50))
    assert all(len(r["top"]) == 6 and r["label"] for r in rows)
    assert all(r["skewness"] > 0 for r in rows)
    skews = [r["skewness"] for r in rows]
    assert skews == sorted(skews, reverse=True)
    assert any(r["category"] for r in rows)
    for r in rows:  # a label shows its category, then the axis's first tokens
        assert r["label"].endswith(", ".join(r["top"][:3]))
    table = _run("axes", glove_20k_dir, "-n", "5")
    assert table.exit_code == 0 and "ICA axes" in table.stdout


def test_axes_filters(glove_20k_dir):
    res = _run("axes", glove_20k_dir, "--json", "--alpha", "--max-rank", "1000", "-k", "5")
    assert res.exit_code == 0, res.output
    import icaxes
    from icaxes.io.filters import RowSelection

    # --max-rank N: among the N most frequent tokens that pass the model's filter (and --alpha)
    emb = icaxes.load_embeddings("glove-6b-50d", limit=20000)
    rows = RowSelection(1000, "content+alpha").rows(emb.tokens, emb.frequencies, "en")
    first = {emb.tokens[i] for i in rows}
    assert len(first) == 1000
    for r in json.loads(res.stdout):
        assert all(t.isalpha() and t in first for t in r["top"]), r
    pca = json.loads(_run("axes", glove_20k_dir, "--json", "-m", "pca").stdout)
    assert len(pca) == 50
    bad = _run("axes", glove_20k_dir, "-m", "nmf")
    assert bad.exit_code == 2


def test_explain_a_car_maker(glove_20k_dir):
    # ferrari = cars + racing + ...: a sparse sum of a few axes
    res = _run("explain", glove_20k_dir, "ferrari", "--json", "-k", "3")
    assert res.exit_code == 0, res.output
    out = json.loads(res.stdout)
    axes = out["axes"]
    assert len(axes) == 3 and axes[0]["weight"] >= axes[1]["weight"] >= axes[2]["weight"]
    top = json.loads(_run("axes", glove_20k_dir, "--json", "-k", "30").stdout)
    strongest = top[axes[0]["axis"]]["top"]
    assert {"car", "cars", "toyota", "suv", "vehicles"} & set(strongest), strongest
    assert 1 <= out["axes_needed"]["50%"] <= out["axes_needed"]["80%"] < 50
    text = _run("explain", glove_20k_dir, "ferrari")
    assert text.exit_code == 0 and "squared norm" in text.stdout


def test_similarity_sums_to_the_cosine(glove_20k_dir):
    res = _run("similarity", glove_20k_dir, "ferrari", "porsche", "--json", "--top", "0")
    assert res.exit_code == 0, res.output
    out = json.loads(res.stdout)
    assert len(out["terms"]) == 50
    assert sum(t["product"] for t in out["terms"]) == pytest.approx(out["cosine"], abs=1e-6)
    assert all(0 <= t["p_value"] <= t["p_adjusted"] <= 1 for t in out["terms"])
    # the shared car axis carries the largest term and is significant after Bonferroni
    assert out["terms"][0]["p_adjusted"] < 0.01 and out["terms"][0]["product"] > 0.3 * out["cosine"]
    short = json.loads(_run("similarity", glove_20k_dir, "ferrari", "porsche", "--json").stdout)
    assert len(short["terms"]) == 10 and short["cosine"] == pytest.approx(out["cosine"])
    text = _run("similarity", glove_20k_dir, "ferrari", "porsche", "-k", "3")
    assert text.exit_code == 0 and "other 47 axes" in text.stdout


def test_unknown_token_is_one_line_with_suggestions(glove_20k_dir):
    res = _run("explain", glove_20k_dir, "toyta")
    assert res.exit_code == 2
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1 and "unknown token 'toyta'" in lines[0] and "'toyota'" in lines[0]
    assert res.stdout == ""
    res = _run("similarity", glove_20k_dir, "toyota", "qqqzzx")
    assert res.exit_code == 2 and "qqqzzx" in res.stderr and res.stdout == ""


def test_installed_script_exit_codes(glove_20k_dir, tmp_path):
    exe = Path(sys.executable).with_name("icaxes")
    assert exe.is_file(), "install the package (make test does) to get the icaxes script"

    def run(*args):
        return subprocess.run([str(exe), *map(str, args)], capture_output=True, text=True, timeout=120)

    ok = run("similarity", glove_20k_dir, "toyota", "ford", "--json")
    assert ok.returncode == 0, ok.stderr
    assert json.loads(ok.stdout)["a"] == "toyota"
    unknown = run("explain", glove_20k_dir, "toyta")
    assert unknown.returncode == 2
    assert len(unknown.stderr.strip().splitlines()) == 1 and "did you mean" in unknown.stderr
    missing = run("axes", tmp_path / "nope")
    assert missing.returncode == 2 and "icaxes fit" in missing.stderr
    assert run("axes", glove_20k_dir, "--top", "0").returncode == 2
    assert run("explain").returncode == 2  # usage error


@pytest.mark.parametrize(("argv", "says"), [
    (["explain"], "Missing argument 'model'."),
    (["fit", "glove-6b-50d", "--bogus"], "No such option: --bogus"),
    (["fit", "glove-6b-50d", "-o", "m", "--max-iter", "many"], "Invalid value for '--max-iter'"),
    (["nosuchcmd"], "No such command 'nosuchcmd'."),
])
def test_usage_errors_are_one_line_with_the_help_to_read(capsys, argv, says):
    assert main(argv) == 2
    out = capsys.readouterr()
    err = out.err.strip()
    assert out.out == "" and len(err.splitlines()) == 1, err
    assert err.startswith("error: ") and says in err and "--help')" in err


def test_help_shows_brackets_and_flags_take_no_value():
    # rich markup would swallow "[food]" and "icaxes[torch]"; flags must not look like options
    # that take a value ("--report <bool>")
    for path in _all_commands(typer.main.get_command(app)):
        res = _run(*path, "--help")
        assert "<bool>" not in res.output, (path, res.output)
    assert "[food]" in _run("figures", "--help").output
    assert "icaxes[torch]" in " ".join(_run("fit", "--help").output.split())
    assert "--report / --no-report" in _run("figures", "--help").output
    for cmd in ("explore", "serve", "match"):  # one --pairs parser for the three
        assert "freedict:SRC-TGT" in "".join(_run(cmd, "--help").output.split()), cmd
    top = _run("--help").output
    assert "--version" in top and "Commands" in top


def test_version_and_bare_command(capsys):
    import importlib.metadata

    import icaxes

    assert main(["--version"]) == 0
    assert capsys.readouterr().out == f"icaxes {icaxes.__version__}\n"
    assert icaxes.__version__ == importlib.metadata.version("icaxes")
    # no command: the help on stdout, status 0
    assert main([]) == 0
    out = capsys.readouterr()
    assert out.out.startswith("Usage: ") and "fit" in out.out and out.err == ""
