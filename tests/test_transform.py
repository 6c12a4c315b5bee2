"""The ICA transform: recovery of known sources, determinism, persistence, sklearn contract."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.optimize import linear_sum_assignment

import icaxes
from icaxes import ICA, PCA


def amari_distance(W: np.ndarray, A: np.ndarray) -> float:
    """Amari distance between an unmixing W and a mixing A (0 iff W A is a scaled permutation)."""
    P = np.abs(W @ A)
    k = P.shape[0]
    rows = (P / P.max(axis=1, keepdims=True)).sum(axis=1) - 1
    cols = (P / P.max(axis=0, keepdims=True)).sum(axis=0) - 1
    return float((rows.sum() + cols.sum()) / (2 * k * (k - 1)))


def test_recovers_known_mixing(laplace_mixture):
    sources, mixing, X = laplace_mixture
    ica = ICA(random_state=0).fit(X)
    assert ica.converged_
    assert amari_distance(ica.components_, mixing) < 0.05
    S = ica.transform(X)
    r = np.corrcoef(S.T, sources.T)[:5, 5:]
    rows, cols = linear_sum_assignment(-np.abs(r))
    assert np.all(np.abs(r[rows, cols]) > 0.99)


def test_signs_and_order(laplace_mixture):
    _, _, X = laplace_mixture
    ica = ICA(random_state=1).fit(X)
    S = ica.transform(X)
    skew = np.mean(S**3, axis=0)
    assert np.all(skew > 0)
    assert np.all(np.diff(skew) <= 1e-12)
    np.testing.assert_allclose(skew, ica.skewness_, rtol=1e-8, atol=1e-10)
    np.testing.assert_allclose(np.cov(S.T, bias=True), np.eye(5), atol=1e-8)


def test_same_seed_same_axes(glove_20k):
    a = ICA(random_state=7).fit(glove_20k.vectors)
    b = ICA(random_state=7).fit(glove_20k.vectors)
    np.testing.assert_array_equal(a.components_, b.components_)


def test_inverse_transform_roundtrip(glove_20k):
    X = glove_20k.vectors
    ica = ICA(random_state=0).fit(X)
    np.testing.assert_allclose(ica.inverse_transform(ica.transform(X)), X, atol=1e-4)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_fit_transform_equals_fit_then_transform(glove_20k, dtype):
    """fit_transform rotates the whitened copy in place: same values as transform, same dtype."""
    X = glove_20k.vectors.astype(dtype)
    est = ICA(random_state=0)
    S = est.fit_transform(X)
    assert S.dtype == dtype and S.shape == (X.shape[0], est.components_.shape[0])
    # float32 rounding of the whitened copy vs a float64 product cast once
    np.testing.assert_allclose(S, est.transform(X), atol=1e-4 if dtype == np.float32 else 1e-10)
    pca = PCA()
    np.testing.assert_allclose(pca.fit_transform(X), pca.transform(X),
                               atol=1e-4 if dtype == np.float32 else 1e-10)


def test_save_load_bit_for_bit(tmp_path, glove_20k):
    model = icaxes.fit_ica(glove_20k, seed=0)
    model.save(tmp_path / "m")
    again = icaxes.AxisModel.load(tmp_path / "m")
    X = glove_20k.vectors[:1000]
    np.testing.assert_array_equal(model.transform.transform(X), again.transform.transform(X))
    assert again.tokens == model.tokens
    assert again.labels == model.labels
    assert not list(tmp_path.glob(".*tmp"))


def test_pca_baseline_is_whitened_and_sorted(glove_20k):
    pca = PCA().fit(glove_20k.vectors)
    S = pca.transform(glove_20k.vectors).astype(np.float64)
    np.testing.assert_allclose(np.cov(S.T, bias=True), np.eye(50), atol=1e-4)
    assert np.all(np.diff(pca.skewness_) <= 1e-12)
    assert np.all(pca.skewness_ >= 0)


def test_ica_more_skewed_than_pca(glove_20k):
    ica = ICA(random_state=0).fit(glove_20k.vectors)
    pca = PCA().fit(glove_20k.vectors)
    assert ica.skewness_[:10].mean() > 1.5 * pca.skewness_[:10].mean()


@pytest.mark.parametrize("est", [ICA(random_state=0, max_iter=1000), PCA()], ids=["ICA", "PCA"])
def test_sklearn_estimator_contract(est):
    import warnings

    from sklearn.utils.estimator_checks import check_estimator

    with warnings.catch_warnings():
        # the checks feed tiny Gaussian-like random matrices, which have no unique ICA
        # solution, so non-convergence there is expected and not what this test is about
        warnings.simplefilter("ignore", icaxes.ConvergenceWarning)
        results = check_estimator(est, on_fail=None)
    failed = [(r["check_name"], str(r["exception"])[:200]) for r in results if r["status"] == "failed"]
    assert not failed
