"""Restarts (n_init) through the API (fit_ica, fit_source) and the CLI (icaxes fit --n-init)."""

from __future__ import annotations

import inspect
import json

import numpy as np
import pytest
import typer

import icaxes
from icaxes import ICA, params
from icaxes.cli import app, main
from icaxes.decompose.solver import logcosh_contrast
from icaxes.fitting import fit_source

K = 8  # whitened components: a few seconds per start on these rows


@pytest.fixture(scope="module")
def small(glove_5k):
    return glove_5k.head(3000)


def _check_starts(starts: dict, n_init: int, scores: np.ndarray) -> None:
    """``starts`` names the start with the largest contrast, and the scores are that start's."""
    assert starts["n_init"] == n_init
    assert len(starts["contrasts"]) == len(starts["n_iter"]) == n_init
    assert starts["best"] == int(np.argmax(starts["contrasts"]))
    kept = float(np.mean(logcosh_contrast(scores)))
    assert np.isclose(kept, max(starts["contrasts"]), rtol=1e-4), (kept, starts)


def test_fit_ica_keeps_the_best_start_and_records_every_start(small, tmp_path):
    model = icaxes.fit_ica(small, seed=0, n_components=K, n_init=3)
    starts = model.metadata["starts"]
    _check_starts(starts, 3, model.components)
    assert model.transform.n_init == 3 and starts["best"] == model.transform.best_init_
    # the first start is the default one: its contrast is that of the n_init=1 fit
    one = icaxes.fit_ica(small, seed=0, n_components=K)
    assert "starts" not in one.metadata
    assert np.isclose(starts["contrasts"][0], np.mean(logcosh_contrast(one.components)), rtol=1e-4)
    assert starts["n_iter"][0] == one.transform.n_iter_
    # the record survives saving and loading
    back = icaxes.AxisModel.load(model.save(tmp_path / "m"))
    assert back.metadata["starts"] == starts


def test_cli_fit_n_init(small, tmp_path, capsys):
    src = tmp_path / "emb.vec"
    src.write_text("".join(t + " " + " ".join(f"{v:.9g}" for v in row) + "\n"
                           for t, row in zip(small.tokens, small.vectors, strict=True)), encoding="utf-8")
    out = tmp_path / "m"
    assert main(["fit", str(src), "-o", str(out), "--n-components", str(K), "--fit-rows", "0",
                 "--fit-filter", "none", "--n-init", "2"]) == 0, capsys.readouterr().err
    model = icaxes.load_model(out)
    _check_starts(model.metadata["starts"], 2, model.components)
    assert json.loads((out / "run.json").read_text())["n_init"] == 2
    # a bad count is one error line naming the option, and nothing is written
    capsys.readouterr()
    assert main(["fit", str(src), "-o", str(tmp_path / "bad"), "--n-init", "0"]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "n_init (--n-init) must be an integer >= 1" in err, err
    assert not (tmp_path / "bad").exists()


def test_n_init_default_is_declared_once():
    assert ICA().n_init == params.N_INIT
    for fn in (fit_source, icaxes.fit_ica):
        assert inspect.signature(fn).parameters["n_init"].default == params.N_INIT, fn
    fit = typer.main.get_command(app).commands["fit"]
    assert {p.name: p.default for p in fit.params}["n_init"] == params.N_INIT
