"""The float32 ``tanh`` of the solver's pass: a rational approximation with fixed rounding.

numpy picks its float32 ``tanh`` kernel by CPU (SIMD dispatch), and its kernels round
differently (by up to 3 units in the last place on the same value). On real embeddings the
path of a fit between nearby fixed points depends on rounding, so with numpy's kernel the same
seed could give different axes on different CPUs. The pass therefore uses

    tanh(x) ~ x P(x^2) / Q(x^2),   x clamped to [-CLAMP, CLAMP],

with ``P`` of degree 6 and ``Q`` of degree 3 in ``x^2`` (an odd rational function of degree 13
over 6) and float32 coefficients fixed below. It is evaluated as one fixed sequence of float32
multiplications, additions, one division and the clamp, each rounded on its own (no fused
multiply-add, no reassociation): IEEE 754 defines every one of these results, so the bits are
the same on every CPU and with either evaluator here. ``CLAMP`` is the point beyond which
float32 ``tanh`` rounds to 1.

Accuracy: at most 6 units in the last place from float64 ``tanh`` rounded to float32, over
every float32 from 1e-30 to 9 (checked once exhaustively; ``tests/test_tanh.py`` checks every
61st, and the function is exactly odd; numpy's kernels are within 1-2 units); the
approximation itself has a relative error of about 5e-9 in exact arithmetic, the rest is the
float32 rounding of its two dozen operations. The coefficients were fitted by weighted linearised
least squares on the relative error (``benchmarks/bench_tanh.py`` re-derives them and measures
the cost).

Two evaluators give the same bits: a compiled loop (numba, :mod:`icaxes.decompose._tanh_numba`,
about 0.6 ns a value on one AVX2 core, 5x cheaper than numpy's float32 ``tanh`` there and 40x
cheaper than numpy's baseline kernel) and numpy ufuncs on a small temporary (about 10 ns a value)
where numba cannot be imported. float64 data keep numpy's float64 ``tanh``.
"""

from __future__ import annotations

from functools import cache

import numpy as np

#: float32 tanh(x) rounds to 1 beyond this
CLAMP = np.float32(7.90531110763549805)
#: coefficients of P(t), t = x^2, constant term first (P(0) = 1, so tanh(x) = x for tiny x)
P = np.array([1.0, 0.13132530450820923, 0.0031586308032274246, 1.1744317816919647e-05,
              -2.2771008190147768e-08, 6.619522291417823e-11, -1.2344319360105271e-13],
             dtype=np.float32)
#: coefficients of Q(t), constant term first
Q = np.array([1.0, 0.46465861797332764, 0.024711530655622482, 0.00026267292560078204],
             dtype=np.float32)


def tanh_ufuncs(v: np.ndarray) -> None:
    """The rational ``tanh`` of a float32 array, in place, with numpy ufuncs (the reference)."""
    np.clip(v, -CLAMP, CLAMP, out=v)
    t = np.square(v)
    num = np.full_like(v, P[-1])
    for c in P[-2::-1]:
        num *= t
        num += c
    den = np.full_like(v, Q[-1])
    for c in Q[-2::-1]:
        den *= t
        den += c
    num *= v
    np.divide(num, den, out=v)


@cache
def _compiled():
    try:
        from icaxes.decompose._tanh_numba import tanh_inplace
    except ImportError:
        return None
    return tanh_inplace


def compiled_available() -> bool:
    """Whether the compiled evaluator (numba) is in use; compiles or loads it on first call."""
    return _compiled() is not None


def tanh_f32(v: np.ndarray) -> None:
    """The pass's ``tanh`` of a C-contiguous float32 array, in place (the same bits either way)."""
    kernel = _compiled()
    if kernel is None:
        tanh_ufuncs(v)
    else:
        kernel(v.reshape(-1))
