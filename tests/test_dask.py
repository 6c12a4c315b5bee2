"""Dask arrays on a two-worker LocalCluster give the in-memory axes; blockwise transform; CLI."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.optimize import linear_sum_assignment
from typer.testing import CliRunner

from icaxes import ICA, PCA
from icaxes.cli import app

da = pytest.importorskip("dask.array", reason="the dask extra is not installed")
distributed = pytest.importorskip("distributed")


@pytest.fixture(scope="module")
def client():
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=False,
                                  dashboard_address=None) as cluster, distributed.Client(cluster) as c:
        yield c


@pytest.fixture(scope="module")
def glove_20k():
    import icaxes

    return icaxes.load_embeddings("glove-6b-50d", limit=20_000).vectors


def matched_abs_r(A, B):
    k = A.shape[1]
    r = np.abs(np.corrcoef(A.T, B.T)[:k, k:])
    rows, cols = linear_sum_assignment(-r)
    return r[rows, cols]


@pytest.fixture(scope="module")
def in_memory(glove_20k):
    return ICA(random_state=0, tol=1e-10).fit(glove_20k)


def test_dask_fit_gives_the_in_memory_axes(client, glove_20k, in_memory):
    X = glove_20k
    mem = in_memory
    dX = da.from_array(X, chunks=(5000, 50))
    dsk = ICA(random_state=0, tol=1e-10).fit(dX)
    assert dsk.converged_
    # whitening from the map-reduce covariance equals the in-memory one
    np.testing.assert_allclose(dsk.mean_, mem.mean_, rtol=1e-6, atol=1e-7)
    np.testing.assert_allclose(np.abs(dsk.whitening_), np.abs(mem.whitening_), rtol=1e-4, atol=1e-6)
    r = matched_abs_r(mem.transform(X), dsk.transform(X))
    assert r.min() >= 0.999, f"worst matched axis |r| = {r.min():.5f}"


def test_dask_transform_is_blockwise_and_equal(client, glove_20k):
    est = PCA().fit(glove_20k)
    dS = est.transform(da.from_array(glove_20k, chunks=(6000, 50)))
    assert isinstance(dS, da.Array) and dS.numblocks == (4, 1)
    np.testing.assert_allclose(dS.compute(), est.transform(glove_20k), rtol=1e-5, atol=1e-5)


def test_dask_pca_moments_match(client, glove_20k):
    a = PCA().fit(glove_20k)
    b = PCA().fit(da.from_array(glove_20k, chunks=(8000, 25)))  # column chunks get merged
    np.testing.assert_allclose(b.explained_variance_, a.explained_variance_, rtol=1e-6)


def test_cli_engine_dask_with_scheduler_address(client, tmp_path, glove_20k, in_memory):
    src = tmp_path / "X.npy"
    np.save(src, glove_20k)
    addr = client.scheduler.address
    runner = CliRunner()
    res = runner.invoke(app, ["fit-array", str(src), "-o", str(tmp_path / "m"), "--engine", "dask",
                              "--scheduler", addr, "--chunk-rows", "5000"])
    assert res.exit_code == 0, res.output
    res = runner.invoke(app, ["transform", str(tmp_path / "m"), str(src), "-o", str(tmp_path / "S.npy"),
                              "--engine", "dask", "--scheduler", addr, "--chunk-rows", "6000"])
    assert res.exit_code == 0, res.output
    r = matched_abs_r(in_memory.transform(glove_20k), np.load(tmp_path / "S.npy", allow_pickle=False))
    assert r.min() >= 0.999


def test_cli_sample_with_dask_engine_is_rejected(client, tmp_path, glove_20k):
    src = tmp_path / "X.npy"
    np.save(src, glove_20k[:200])
    res = CliRunner().invoke(app, ["fit-array", str(src), "-o", str(tmp_path / "m"), "--engine", "dask",
                                   "--scheduler", client.scheduler.address, "--sample", "100"])
    assert res.exit_code == 2 and not (tmp_path / "m").exists()
