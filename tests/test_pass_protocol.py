"""The solver's passes (NumPy, PyTorch, Dask) share one interface, and ICA's fit owns the pass."""

from __future__ import annotations

import importlib.util

import numpy as np
import pytest

from icaxes import ICA
from icaxes.decompose import estimator
from icaxes.decompose.dask import DaskPass
from icaxes.decompose.solver import NumpyPass, SolverPass
from icaxes.decompose.torch_pass import TorchPass


def _passes(Z: np.ndarray) -> list[SolverPass]:
    """The NumPy pass, and the PyTorch (CPU device) and Dask passes where their extras are installed."""
    passes: list[SolverPass] = [NumpyPass(Z)]
    if importlib.util.find_spec("torch") is not None:
        passes.append(TorchPass(Z, "cpu"))
    if importlib.util.find_spec("dask") is not None:
        import dask.array as da

        passes.append(DaskPass(da.from_array(Z, chunks=(1_500, Z.shape[1]))))
    return passes


def test_every_pass_is_a_solver_pass_with_the_same_sums(glove_5k):
    Z = np.ascontiguousarray(glove_5k.vectors[:4_000, :20] / glove_5k.vectors[:4_000, :20].std(axis=0))
    W = np.linalg.qr(np.random.default_rng(0).standard_normal((20, 20)))[0]
    passes = _passes(Z)
    reference = passes[0](W, True)
    for p in passes:
        assert isinstance(p, SolverPass), type(p).__name__
        C, a, P = p(W, True)
        for mine, ref in zip((C, a, P), reference, strict=True):
            np.testing.assert_allclose(mine, ref, rtol=1e-5, atol=1e-6, err_msg=type(p).__name__)
        assert p(W, False)[2] is None
        p.close()
    assert not isinstance(object(), SolverPass)


class _Recording:
    """A pass that counts its calls and whether it was closed."""

    def __init__(self, inner: SolverPass) -> None:
        self.inner, self.calls, self.closed = inner, 0, 0

    def __call__(self, W, curvature=False):
        assert not self.closed, "the pass was called after close"
        self.calls += 1
        return self.inner(W, curvature)

    def close(self) -> None:
        self.closed += 1
        self.inner.close()


def test_ica_opens_one_pass_per_fit_runs_every_start_on_it_and_closes_it(glove_5k, monkeypatch):
    opened: list[_Recording] = []

    def open_pass(self, Z):
        opened.append(_Recording(NumpyPass(Z)))
        return opened[-1]

    monkeypatch.setattr(estimator.ICA, "_open_pass", open_pass)
    est = ICA(random_state=0, n_init=2, max_iter=500, tol=1e-6).fit(glove_5k.vectors[:, :10])
    assert len(opened) == 1 and opened[0].closed == 1
    assert opened[0].calls == int(np.sum(est.init_n_iter_))  # both starts, one pass per iteration


def test_the_pass_is_closed_when_the_solve_fails(glove_5k, monkeypatch):
    opened: list[_Recording] = []

    class Broken(_Recording):
        def __call__(self, W, curvature=False):
            raise KeyboardInterrupt  # as when the user presses Ctrl-C mid-fit

    def open_pass(self, Z):
        opened.append(Broken(NumpyPass(Z)))
        return opened[-1]

    monkeypatch.setattr(estimator.ICA, "_open_pass", open_pass)
    with pytest.raises(KeyboardInterrupt):
        ICA(random_state=0).fit(glove_5k.vectors[:, :10])
    assert opened[0].closed == 1
