"""Non-Gaussianity statistics: hand-computed values, the Gaussian constants, and real GloVe."""

from __future__ import annotations

import math
from types import SimpleNamespace

import numpy as np
import pytest
from scipy import integrate, stats

import icaxes
from icaxes.errors import DegenerateDataError, DimensionMismatchError
from icaxes.model import load_model
from icaxes.stats import (
    LOGCOSH_GAUSS,
    MEASURES,
    NEG_EXP_GAUSS,
    axis_moments,
    gaussian_logcosh_mean,
    nongaussianity,
    nongaussianity_table,
)


def test_gaussian_constants_are_the_normal_expectations():
    # E log cosh Z and E[-exp(-Z^2/2)] for Z ~ N(0, 1), by numerical integration
    assert gaussian_logcosh_mean() == pytest.approx(LOGCOSH_GAUSS, abs=1e-6)
    val, _ = integrate.quad(lambda z: -np.exp(-z * z / 2) * stats.norm.pdf(z), -np.inf, np.inf)
    assert val == pytest.approx(-1 / math.sqrt(2), abs=1e-12)
    assert val == pytest.approx(NEG_EXP_GAUSS, abs=1e-6)


def test_hand_computed_column():
    # x = (0, 0, 0, 4): mean 1, deviations (-1, -1, -1, 3), variance 3, z = dev / sqrt(3)
    x = np.array([[0.0], [0.0], [0.0], [4.0]])
    skew, kurt = axis_moments(x)
    assert skew[0] == pytest.approx(2 / math.sqrt(3))  # (3*(-1) + 27) / 4 / 3^(3/2)
    assert kurt[0] == pytest.approx(7 / 3 - 3)  # (3 + 81) / 4 / 9 - 3
    m = nongaussianity(x)
    z1, z2 = 1 / math.sqrt(3), 3 / math.sqrt(3)
    logcosh = (3 * math.log(math.cosh(z1)) + math.log(math.cosh(z2))) / 4
    gauss = -(3 * math.exp(-z1**2 / 2) + math.exp(-z2**2 / 2)) / 4
    assert m["skewness"][0] == pytest.approx(2 / math.sqrt(3))
    assert m["kurtosis"][0] == pytest.approx(-2 / 3)
    assert m["logcosh"][0] == pytest.approx((logcosh - 0.374567) ** 2)
    assert m["gauss"][0] == pytest.approx((gauss + 0.707107) ** 2)


def test_skewness_measure_is_absolute_and_scale_free():
    x = np.array([0.0, 0.0, 0.0, 4.0])
    cols = np.column_stack([x, -x, 10 * x + 3])
    m = nongaussianity(cols)
    np.testing.assert_allclose(m["skewness"], 2 / math.sqrt(3))
    skew, _ = axis_moments(cols)
    np.testing.assert_allclose(skew, [2 / math.sqrt(3), -2 / math.sqrt(3), 2 / math.sqrt(3)])
    # a symmetric two-point column: no skew, excess kurtosis 1 - 3
    s, k = axis_moments(np.array([[-1.0], [1.0], [-1.0], [1.0]]))
    assert s[0] == pytest.approx(0.0, abs=1e-15) and k[0] == pytest.approx(-2.0)


def test_bad_input():
    with pytest.raises(DegenerateDataError, match="constant"):
        nongaussianity(np.column_stack([np.arange(5.0), np.ones(5)]))
    with pytest.raises(DimensionMismatchError, match="same rows"):
        nongaussianity_table(np.ones((5, 2)) + np.eye(5, 2), np.eye(4, 2), np.eye(5, 2))


@pytest.fixture(scope="module")
def glove_20k_fits(glove_20k_dir):
    emb = icaxes.load_embeddings("glove-6b-50d", limit=20000)
    ica, pca = load_model(glove_20k_dir, "ica"), load_model(glove_20k_dir, "pca")
    assert ica.tokens == emb.tokens
    # the measures are taken on the rows ICA was fitted on (icaxes fit: its display rows)
    rows = np.arange(len(emb)) if ica.display_mask is None else np.flatnonzero(ica.display_mask)
    fitted = [SimpleNamespace(components=np.asarray(m.components)[rows], transform=m.transform)
              for m in (ica, pca)]
    return emb.subset(rows), *fitted


def test_table_on_real_glove(glove_20k_fits):
    emb, ica, pca = glove_20k_fits
    assert ica.transform.converged_
    t = nongaussianity_table(emb.vectors, pca.components, ica.components, seed=0)
    assert list(t.index) == ["raw", "pca", "ica", "gaussian"]
    assert set(MEASURES) <= set(t.columns) and (t["n_axes"] == 50).all()
    # the Gaussian baseline: sampling noise only (sd of skewness ~ sqrt(6/n) = 0.017)
    g = t.loc["gaussian"]
    assert g["skewness"] < 0.03 and abs(g["kurtosis"]) < 0.03
    assert g["logcosh"] < 2e-6 and g["gauss"] < 5e-6
    # ICA is far less Gaussian than PCA and the raw dimensions on every measure
    for measure in MEASURES:
        assert t.loc["ica", measure] > 5 * t.loc["pca", measure], measure
        assert t.loc["ica", measure] > 5 * t.loc["raw", measure], measure
        assert t.loc["pca", measure] > 5 * g[measure], measure
    # PCA is heavier-tailed than the raw dimensions; its skewness is about the same (see report)
    for measure in ("kurtosis", "logcosh", "gauss"):
        assert t.loc["pca", measure] > t.loc["raw", measure], measure


def test_moments_agree_with_the_fitted_estimator(glove_20k_fits):
    _, ica, _ = glove_20k_fits
    skew, kurt = axis_moments(ica.components)
    np.testing.assert_allclose(skew, ica.transform.skewness_, rtol=1e-3, atol=1e-3)
    np.testing.assert_allclose(kurt, ica.transform.kurtosis_, rtol=1e-3, atol=1e-3)
    assert np.all(skew > 0) and np.all(np.diff(skew) <= 1e-6)


def test_gaussian_baseline_is_seeded():
    rng = np.random.default_rng(1)
    X = rng.exponential(size=(500, 3))
    a = nongaussianity_table(X, X, X, seed=3)
    b = nongaussianity_table(X, X, X, seed=3)
    c = nongaussianity_table(X, X, X, seed=4)
    assert a.equals(b)
    assert a.loc["gaussian", "skewness"] != c.loc["gaussian", "skewness"]
