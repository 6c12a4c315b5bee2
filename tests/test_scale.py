"""Out of core: seeded samples, fit on a sample, chunked transform to .npy and parquet, CLI."""

from __future__ import annotations

import numpy as np
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from icaxes import ICA
from icaxes.cli import app
from icaxes.decompose.outofcore import (
    fit_sample,
    load_transform,
    sample_rows,
    save_transform,
    transform_file,
)
from icaxes.errors import DimensionMismatchError, EmbeddingFormatError, InputError


@pytest.fixture(scope="module")
def glove_npy(tmp_path_factory, glove_5k):
    path = tmp_path_factory.mktemp("scale") / "glove5k.npy"
    np.save(path, glove_5k.vectors)
    return path


@pytest.fixture(scope="module")
def sample_fit(glove_5k):
    return fit_sample(glove_5k.vectors, 4000, seed=0, estimator=ICA(random_state=0, max_iter=400, tol=1e-6))


def test_sample_rows_seeded_distinct_sorted():
    a = sample_rows(1000, 100, seed=3)
    assert np.array_equal(a, sample_rows(1000, 100, seed=3))
    assert not np.array_equal(a, sample_rows(1000, 100, seed=4))
    assert len(np.unique(a)) == 100 and np.all(np.diff(a) > 0)
    assert np.array_equal(sample_rows(50, 100, seed=0), np.arange(50))


def test_weighted_sample_prefers_heavy_rows():
    w = np.zeros(1000)
    w[:200] = 1.0  # only the first 200 rows can be drawn
    rows = sample_rows(1000, 150, seed=0, weights=w)
    assert rows.max() < 200
    with pytest.raises(InputError, match="positive weight"):
        sample_rows(1000, 300, seed=0, weights=w)


def test_sample_fit_equals_fit_on_the_same_rows(glove_5k, sample_fit):
    rows = sample_rows(len(glove_5k), 4000, seed=0)
    direct = ICA(random_state=0, max_iter=400, tol=1e-6).fit(glove_5k.vectors[rows])
    np.testing.assert_array_equal(direct.components_, sample_fit.components_)


@pytest.mark.parametrize("suffix", [".npy", ".parquet"])
def test_chunked_transform_equals_in_memory(tmp_path, glove_npy, glove_5k, sample_fit, suffix):
    out = transform_file(sample_fit, glove_npy, tmp_path / f"S{suffix}", chunk_rows=777, progress=False)
    expected = sample_fit.transform(glove_5k.vectors)
    got = np.load(out, allow_pickle=False) if suffix == ".npy" else pq.read_table(out).to_pandas().to_numpy()
    assert got.shape == expected.shape and got.dtype == np.float32
    np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-5)
    assert [p.name for p in tmp_path.iterdir()] == [f"S{suffix}"]  # no temporary left


def test_transform_rejects_wrong_columns_and_leaves_nothing(tmp_path, sample_fit):
    bad = tmp_path / "bad.npy"
    np.save(bad, np.zeros((10, 7), dtype=np.float32))
    with pytest.raises(DimensionMismatchError, match="7 columns"):
        transform_file(sample_fit, bad, tmp_path / "S.npy", progress=False)
    assert not (tmp_path / "S.npy").exists()
    with pytest.raises(EmbeddingFormatError, match=r"\.npy"):
        transform_file(sample_fit, tmp_path / "X.txt", tmp_path / "S.npy", progress=False)


def test_save_and_load_transform_round_trip(tmp_path, glove_5k, sample_fit):
    est = load_transform(save_transform(sample_fit, tmp_path / "t"))
    np.testing.assert_array_equal(est.transform(glove_5k.vectors[:100]),
                                  sample_fit.transform(glove_5k.vectors[:100]))


def test_cli_fit_array_and_transform(tmp_path, glove_npy, glove_5k):
    runner = CliRunner()
    res = runner.invoke(app, ["fit-array", str(glove_npy), "-o", str(tmp_path / "m"), "--sample", "4000",
                              "--max-iter", "400", "--tol", "1e-6"])
    assert res.exit_code == 0, res.output
    res = runner.invoke(app, ["transform", str(tmp_path / "m"), str(glove_npy), "-o",
                              str(tmp_path / "S.parquet"), "--chunk-rows", "1000"])
    assert res.exit_code == 0, res.output
    S = pq.read_table(tmp_path / "S.parquet").to_pandas().to_numpy()
    est = load_transform(tmp_path / "m")
    np.testing.assert_allclose(S, est.transform(glove_5k.vectors), rtol=1e-5, atol=1e-5)
    # the same sample and seed as the API gives the same axes
    api = fit_sample(glove_5k.vectors, 4000, seed=0, estimator=ICA(random_state=0, max_iter=400, tol=1e-6))
    np.testing.assert_array_equal(api.components_, est.components_)


def test_cli_transform_bad_input_exit_2(tmp_path, glove_npy):
    res = CliRunner().invoke(app, ["transform", str(tmp_path / "nomodel"), str(glove_npy), "-o",
                                   str(tmp_path / "S.npy")])
    assert res.exit_code == 2
    assert not (tmp_path / "S.npy").exists()


def test_fit_array_and_transform_array_are_the_api_of_the_commands(tmp_path, glove_npy, glove_5k, sample_fit):
    from icaxes.decompose.outofcore import fit_array, transform_array

    est = fit_array(glove_npy, tmp_path / "m", sample=4000, seed=0, max_iter=400, tol=1e-6)
    np.testing.assert_array_equal(est.components_, sample_fit.components_)  # the same as fit_sample
    out = transform_array(tmp_path / "m", glove_npy, tmp_path / "S.npy", chunk_rows=999)
    np.testing.assert_allclose(np.load(out), sample_fit.transform(glove_5k.vectors), rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize(("kwargs", "says"), [
    ({"engine": "spark"}, "engine (--engine) must be numpy or dask, not 'spark'"),
    ({"scheduler": "tcp://localhost:1"}, "a scheduler (--scheduler) needs the dask engine"),
    ({"chunk_rows": 0}, "chunk_rows (--chunk-rows) must be an integer of at least 1, got 0"),
    ({"method": "nmf"}, "method (--method) must be ica or pca, not 'nmf'"),
])
def test_engine_and_chunk_errors_through_the_api_and_the_cli(tmp_path, glove_npy, sample_fit, capsys,
                                                              kwargs, says):
    from icaxes.cli import main
    from icaxes.decompose.outofcore import transform_array
    from icaxes.errors import ParameterError

    model = save_transform(sample_fit, tmp_path / "m")
    with pytest.raises(ParameterError) as info:
        transform_array(model, glove_npy, tmp_path / "S.npy", **kwargs)
    assert says in str(info.value)
    flags = [x for k, v in kwargs.items() for x in (f"--{k.replace('_', '-')}", str(v))]
    code = main(["transform", str(model), str(glove_npy), "-o", str(tmp_path / "S.npy"), *flags])
    err = capsys.readouterr().err.strip()
    assert code == 2 and len(err.splitlines()) == 1 and err.startswith("error: ") and says in err, err
    assert "Traceback" not in err and not (tmp_path / "S.npy").exists()


def test_cli_fit_array_restarts(tmp_path, glove_npy, glove_5k):
    """--n-init solves from several starts and keeps the best; the dask engine refuses it in one line."""
    runner = CliRunner()
    res = runner.invoke(app, ["fit-array", str(glove_npy), "-o", str(tmp_path / "m"), "--sample", "2000",
                              "--max-iter", "200", "--tol", "1e-5", "--n-init", "2"])
    assert res.exit_code == 0, res.output
    assert "of 2)" in res.output
    est = load_transform(tmp_path / "m")
    api = fit_sample(glove_5k.vectors, 2000, seed=0,
                     estimator=ICA(random_state=0, max_iter=200, tol=1e-5, n_init=2))
    assert len(api.init_contrasts_) == 2
    assert api.init_contrasts_[api.best_init_] == max(api.init_contrasts_)
    np.testing.assert_array_equal(est.components_, api.components_)
    res = runner.invoke(app, ["fit-array", str(glove_npy), "-o", str(tmp_path / "d"), "--engine", "dask",
                              "--n-init", "2"])
    assert res.exit_code == 2
    assert "n_init" in res.output and "Traceback" not in res.output
    assert not (tmp_path / "d").exists()
