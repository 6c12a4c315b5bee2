"""The one PCA reduction (decompose.whitening.principal_projection) and the places that use it."""

from __future__ import annotations

import numpy as np
import pytest

from icaxes.decompose.whitening import fit_whitening, principal_projection
from icaxes.errors import IcaxesError
from icaxes.evaluate.run import reduce_dimension


def test_projection_keeps_the_leading_principal_variances(glove_5k):
    X = glove_5k.vectors
    Y = principal_projection(X, 10)
    assert Y.shape == (len(X), 10) and Y.dtype == np.float64
    cov = np.cov(Y, rowvar=False, bias=True)
    # uncorrelated columns carrying the 10 largest covariance eigenvalues, largest first
    np.testing.assert_allclose(cov, np.diag(np.diag(cov)), atol=1e-6 * cov[0, 0])
    np.testing.assert_allclose(np.diag(cov), fit_whitening(X).eigenvalues[:10], rtol=1e-6)
    # the axes can be found on a subset of the rows; every row is still projected
    Ys = principal_projection(X, 10, fit_rows=2000)
    assert Ys.shape == Y.shape
    assert not np.allclose(np.abs(Ys), np.abs(Y))
    assert abs(np.corrcoef(Ys[:, 0], Y[:, 0])[0, 1]) > 0.9
    # ... and the centre is theirs too: the fitted rows' components have zero mean, the rest not
    assert np.abs(Ys[:2000].mean(axis=0)).max() < 1e-9 * np.abs(Ys).max()
    assert np.abs(Ys[2000:].mean(axis=0)).max() > 1e-4 * np.abs(Ys).max()
    white = principal_projection(X, 10, fit_rows=2000, whiten=True)
    np.testing.assert_allclose(white[:2000].std(axis=0, ddof=1), 1.0, rtol=1e-9)
    np.testing.assert_allclose(white * Ys[:2000].std(axis=0, ddof=1), Ys, rtol=1e-9)
    with pytest.raises(IcaxesError, match="at least 1 component"):
        principal_projection(X, 0)


def test_reduce_dimension_projects_wide_embeddings_only(glove_5k):
    small = reduce_dimension(glove_5k, 8)
    assert small.dim == 8 and small.vectors.dtype == np.float32
    assert list(small.tokens) == list(glove_5k.tokens)
    assert small.metadata["reduced"] == "first 8 principal components of 50"
    np.testing.assert_allclose(small.vectors, principal_projection(glove_5k.vectors, 8), rtol=1e-5, atol=1e-5)
    assert reduce_dimension(glove_5k, 50) is glove_5k
