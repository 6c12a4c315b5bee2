"""The compiled evaluator of :mod:`icaxes.decompose.tanh` (numba; imported on first use).

``fastmath`` is limited to "no NaN, no infinity" (the pass's values are finite): it allows no
contraction into fused multiply-adds and no reassociation, so every operation rounds as the
ufunc reference does. ``error_model="numpy"`` drops the division-by-zero branch (``Q`` has no
real root), without which the loop does not vectorise. ``nogil`` lets the pass's threads run
it at once; ``cache`` keeps the compiled code between processes (numba's cache folder).
"""

from __future__ import annotations

import numba
import numpy as np

from icaxes.decompose.tanh import CLAMP, P, Q

_LIM = np.float32(CLAMP)
_P0, _P1, _P2, _P3, _P4, _P5, _P6 = (np.float32(c) for c in P)
_Q0, _Q1, _Q2, _Q3 = (np.float32(c) for c in Q)


@numba.njit("void(float32[::1])", fastmath={"nnan", "ninf"}, error_model="numpy", nogil=True,
            cache=True)
def tanh_inplace(v):  # pragma: no cover - compiled
    for i in range(v.size):
        x = min(max(v[i], -_LIM), _LIM)
        t = x * x
        num = ((((((_P6 * t + _P5) * t + _P4) * t + _P3) * t + _P2) * t + _P1) * t + _P0) * x
        den = ((_Q3 * t + _Q2) * t + _Q1) * t + _Q0
        v[i] = num / den
