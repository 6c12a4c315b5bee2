"""The solver's pass on a PyTorch device (tested on PyTorch's CPU device: no GPU needed)."""

from __future__ import annotations

import sys

import numpy as np
import pytest

from icaxes import ICA
from icaxes.cli import main
from icaxes.decompose.solver import NumpyPass
from icaxes.decompose.torch_pass import TorchPass
from icaxes.errors import InputError, MissingDependencyError

pytest.importorskip("torch")


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_device_pass_computes_the_numpy_pass(dtype):
    rng = np.random.default_rng(3)
    Z = rng.laplace(size=(10_001, 40)).astype(dtype)
    W = np.linalg.qr(rng.standard_normal((40, 40)))[0]
    ours = NumpyPass(Z)(W, True)
    # small chunks: 4 of them, the last one short
    device = TorchPass(Z, "cpu", chunk_rows=3_000)(W, True)
    tol = 1e-5 if dtype == np.float32 else 1e-12
    for mine, theirs in zip(ours, device, strict=True):
        assert theirs.dtype == np.float64
        np.testing.assert_allclose(theirs, mine, rtol=tol, atol=tol)
    _, _, P = TorchPass(Z, "cpu")(W, False)
    assert P is None


def test_device_pass_keeps_full_float32_products():
    # users may allow reduced-precision float32 products for speed (TF32 on a GPU; PyTorch's
    # CPU kernels may ignore the setting); the pass must not use them, and must leave the
    # setting as it found it
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(4)
    Z = rng.laplace(size=(8_000, 64)).astype(np.float32)
    W = np.linalg.qr(rng.standard_normal((64, 64)))[0]
    ours = NumpyPass(Z)(W, False)
    before = torch.get_float32_matmul_precision()
    torch.set_float32_matmul_precision("medium")
    try:
        device = TorchPass(Z, "cpu")(W, False)
        assert torch.get_float32_matmul_precision() == "medium"
    finally:
        torch.set_float32_matmul_precision(before)
    for mine, theirs in zip(ours[:2], device[:2], strict=True):
        np.testing.assert_allclose(theirs, mine, rtol=1e-5, atol=1e-5)


def test_ica_on_a_device_lands_on_the_same_axes(glove_20k):
    X = glove_20k.vectors
    here = ICA(random_state=0).fit(X)
    there = ICA(random_state=0, device="cpu").fit(X)
    assert there.converged_ and abs(there.n_iter_ - here.n_iter_) <= 5
    S, T = here.transform(X), there.transform(X)
    # same axes, same signs, same order (the order comes from the skewness of each axis)
    r = np.array([np.corrcoef(S[:, i], T[:, i])[0, 1] for i in range(S.shape[1])])
    assert r.min() >= 0.999, r.min()


def test_unusable_device_is_one_clear_error(glove_5k, capsys, tmp_path):
    with pytest.raises(InputError, match="device 'nosuchdevice' cannot be used by PyTorch"):
        ICA(device="nosuchdevice").fit(glove_5k.vectors)
    assert main(["fit", "glove-6b-50d", "--limit", "2000", "-o", str(tmp_path / "m"), "--device",
                 "nosuchdevice"]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and err.startswith("error: device 'nosuchdevice'"), err
    assert not (tmp_path / "m").exists()


def test_rows_too_large_for_the_device_is_one_clear_error(monkeypatch):
    torch = pytest.importorskip("torch")

    class Full:
        def to(self, device):
            raise torch.OutOfMemoryError("CUDA out of memory. Tried to allocate 9.00 GiB")

    monkeypatch.setattr(torch, "from_numpy", lambda array: Full())
    with pytest.raises(InputError, match=r"do not fit in the memory of device 'cpu'.*--sample"):
        TorchPass(np.zeros((1_000, 4), dtype=np.float32), "cpu")


def test_device_without_pytorch_names_the_extra(glove_5k, monkeypatch):
    # a None entry in sys.modules makes the import fail as if PyTorch were not installed
    monkeypatch.setitem(sys.modules, "torch", None)
    with pytest.raises(MissingDependencyError, match=r"pip install 'icaxes\[torch\]'"):
        ICA(device="cuda").fit(glove_5k.vectors)


def test_device_with_a_dask_array_is_refused(glove_5k):
    da = pytest.importorskip("dask.array")
    with pytest.raises(InputError, match="Dask array is solved on its cluster"):
        ICA(device="cpu").fit(da.from_array(glove_5k.vectors, chunks=(1_000, 50)))
