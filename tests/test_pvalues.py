"""Small p-values of the product test stay accurate in relative terms (no cancellation)."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import integrate, special

from icaxes.interpret.axes import product_p_value


@pytest.mark.parametrize("c", [2.0, 7.5, 20.0, 34.0, 120.0, 400.0])
def test_product_p_value_relative_accuracy_in_the_tail(c):
    ref, _ = integrate.quad(lambda t: special.k0(t) / np.pi, c, np.inf, epsabs=0, epsrel=1e-12, limit=200)
    got = float(product_p_value(c, 1.0, 1))
    assert got > 0
    assert got == pytest.approx(ref, rel=1e-9)


def test_product_p_value_keeps_the_shape():
    x = np.full((3, 4), 0.1)
    assert product_p_value(x, x, 50).shape == (3, 4)
    assert np.ndim(product_p_value(0.1, 0.2, 50)) == 0
