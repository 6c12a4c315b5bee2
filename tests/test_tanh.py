"""The pass's float32 tanh (icaxes.decompose.tanh): accuracy, fixed bits, and fits that do not
depend on numpy's CPU dispatch."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import numpy as np
import pytest

import icaxes
from icaxes.decompose import tanh as rt


def _ulp(a: np.ndarray, ref: np.ndarray) -> np.ndarray:
    return np.abs(a.view(np.int32).astype(np.int64) - ref.view(np.int32).astype(np.int64))


def _inputs() -> np.ndarray:
    rng = np.random.default_rng(0)
    edges = np.array([0.0, -0.0, 1e-45, -1e-45, 1e-38, 1e-20, 1e-4, 0.5, 1.0, 3.0, rt.CLAMP,
                      -rt.CLAMP, np.nextafter(rt.CLAMP, np.float32(9)), 8.0, 20.0, 1e30, -1e30],
                     dtype=np.float32)
    return np.concatenate([edges, rng.standard_normal(300_000).astype(np.float32),
                           rng.uniform(-12, 12, 300_000).astype(np.float32)])


def test_both_evaluators_give_the_same_bits():
    y = _inputs()
    assert rt.compiled_available(), "numba is a dependency: the compiled kernel must load"
    a, b = y.copy(), y.copy()
    rt.tanh_f32(a)
    rt.tanh_ufuncs(b)
    assert np.array_equal(a.view(np.int32), b.view(np.int32))


def test_within_six_ulp_of_tanh_and_exactly_odd():
    # every 61st float32 from 1e-30 to past the clamp: tanh's whole shape, about 18 million values
    lo, hi = np.float32(1e-30).view(np.int32), np.float32(9.0).view(np.int32)
    y = np.arange(lo, hi, 61, dtype=np.int32).view(np.float32)
    got = y.copy()
    rt.tanh_f32(got)
    ref = np.tanh(y.astype(np.float64)).astype(np.float32)
    assert _ulp(got, ref).max() <= 6
    neg = -y
    rt.tanh_f32(neg)
    assert np.array_equal(neg, -got)
    assert got.max() <= 1.0
    # below ~1e-19 x^2 vanishes and P(0) = Q(0) = 1: tanh(x) = x exactly
    tiny = np.array([1e-30, 1e-25, -3e-21], dtype=np.float32)
    out = tiny.copy()
    rt.tanh_f32(out)
    assert np.array_equal(out, tiny)


def test_fit_uses_the_same_bits_without_numba(glove_5k, monkeypatch):
    X = glove_5k.vectors
    with_numba = icaxes.ICA(random_state=0, tol=1e-8).fit(X)
    monkeypatch.setattr(rt, "_compiled", lambda: None)
    without = icaxes.ICA(random_state=0, tol=1e-8).fit(X)
    assert without.n_iter_ == with_numba.n_iter_
    assert np.array_equal(without.components_, with_numba.components_)


_FIT = """
import json, sys
import numpy as np
import icaxes
X = icaxes.load_embeddings("glove-6b-50d", limit=5000).vectors
est = icaxes.ICA(random_state=0, tol=1e-8).fit(X)
np.save(sys.argv[1], est.components_)
y = np.linspace(-4, 4, 100_001, dtype=np.float32)
print(json.dumps(np.tanh(y).view(np.int32).tolist()[::997]))  # numpy's own kernel, sampled
"""


@pytest.mark.skipif("X86_V3" not in getattr(np._core._multiarray_umath, "__cpu_dispatch__", ()),
                    reason="numpy here has no AVX2 (X86_V3) kernels to switch off")
def test_fit_does_not_depend_on_numpys_simd_kernels(tmp_path):
    """With numpy's AVX2 kernels switched off, its float32 tanh rounds 37% of values differently;
    the pass's tanh does not use it, so the same fit gives the same bits."""
    runs = {}
    for name, extra in (("default", {}), ("baseline", {"NPY_DISABLE_CPU_FEATURES": "X86_V3"})):
        out = tmp_path / f"{name}.npy"
        res = subprocess.run([sys.executable, "-c", _FIT, str(out)], env={**os.environ, **extra},
                             capture_output=True, text=True, timeout=300)
        assert res.returncode == 0, res.stderr
        runs[name] = (np.load(out), json.loads(res.stdout.strip().splitlines()[-1]))
    if runs["default"][1] == runs["baseline"][1]:
        pytest.skip("numpy's float32 tanh rounds the same either way here (no AVX2 kernel in use)")
    assert np.array_equal(runs["default"][0], runs["baseline"][0])
