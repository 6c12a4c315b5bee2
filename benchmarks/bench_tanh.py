"""The solver pass's float32 ``tanh`` (``icaxes.decompose.tanh``) against numpy's.

    python benchmarks/bench_tanh.py [--dim 50] [--out tanh.json]

numpy chooses its float32 ``tanh`` kernel by CPU (its SIMD dispatch), and the kernels round
differently, so a fit's path could depend on the CPU; on some CPUs the kernel also costs as
much as a pass's two GEMMs at 50 dimensions (``bench_gemm.py``). The pass therefore uses an
odd rational approximation ``x P(x^2) / Q(x^2)`` (degrees 13 over 6, clamped where float32
``tanh`` rounds to 1), evaluated by a numba loop without FMA contraction or reassociation: a
fixed sequence of correctly rounded float32 operations, the same bits on every CPU. This script
re-derives its coefficients (weighted linearised least squares on the relative error, in
float64) and says whether they are the library's, checks the compiled kernel against the ufunc
reference bit for bit, and prints the accuracy of both ``tanh`` in units in the last place
(against float64 ``tanh`` rounded to float32) and their cost per value on one cache-sized chunk
(2,048 rows).
"""

from __future__ import annotations

import argparse
import json

import numpy as np

from bench_gemm import ns_per_value, numpy_tanh_target
from icaxes.decompose import tanh as rt

CLAMP = float(rt.CLAMP)
DEG_P, DEG_Q = len(rt.P) - 1, len(rt.Q) - 1  # P and Q as polynomials in x^2


def fit_coefficients(points: int = 400_000, rounds: int = 10) -> tuple[np.ndarray, np.ndarray, float]:
    """Coefficients of ``P`` and ``Q`` (in ``t = x^2``, ``Q(0) = 1``) and the float64 relative error.

    ``tanh(x)/x = P(t)/Q(t)`` is solved as the linear problem ``P(t) - f Q(t) = f`` in the
    scaled variable ``u = t / CLAMP^2`` (well conditioned on [0, 1]), reweighted by ``1/(f Q)``
    so that the residual approaches the relative error.
    """
    x = np.linspace(0.0, CLAMP, points + 1)[1:]
    u = (x / CLAMP) ** 2
    f = np.tanh(x) / x
    w = 1.0 / f
    for _ in range(rounds):
        A = np.hstack([np.vander(u, DEG_P + 1, increasing=True),
                       -f[:, None] * np.vander(u, DEG_Q + 1, increasing=True)[:, 1:]])
        coef = np.linalg.lstsq(A * w[:, None], f * w, rcond=None)[0]
        p, q = coef[: DEG_P + 1], np.r_[1.0, coef[DEG_P + 1 :]]
        Q = np.polynomial.polynomial.polyval(u, q)
        w = 1.0 / (f * np.abs(Q))
    rel = np.abs(np.polynomial.polynomial.polyval(u, p) / Q - f) / f
    scale_p = CLAMP ** (2 * np.arange(DEG_P + 1))
    scale_q = CLAMP ** (2 * np.arange(DEG_Q + 1))
    return (p / scale_p).astype(np.float32), (q / scale_q).astype(np.float32), float(rel.max())


def ulp(a: np.ndarray, ref: np.ndarray) -> int:
    """Largest distance in units in the last place between float32 arrays of one sign pattern."""
    return int(np.abs(a.view(np.int32).astype(np.int64) - ref.view(np.int32).astype(np.int64)).max())


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--dim", type=int, default=50, help="columns of the 2,048-row chunk")
    ap.add_argument("--repeats", type=int, default=7)
    ap.add_argument("--out", default=None)
    args = ap.parse_args()
    p, q, fit_err = fit_coefficients()
    same_coefficients = bool(np.array_equal(p, rt.P) and np.array_equal(q, rt.Q))
    if not rt.compiled_available():
        raise SystemExit("numba could not be imported: the compiled kernel is not in use")
    rng = np.random.default_rng(0)
    # values like a pass's projections (unit variance) and wider, both signs, both ends
    y = np.concatenate([rng.standard_normal(2048 * args.dim // 2),
                        rng.uniform(-12, 12, 2048 * args.dim - 2048 * args.dim // 2)])
    y = y.astype(np.float32).reshape(2048, args.dim)
    ref = np.tanh(y.astype(np.float64)).astype(np.float32)
    out, ref_out = y.copy(), y.copy()
    rt.tanh_f32(out)
    rt.tanh_ufuncs(ref_out)
    same_bits = bool(np.array_equal(out.view(np.int32), ref_out.view(np.int32)))
    work = np.empty_like(y)

    def rational():
        np.copyto(work, y)  # the kernel works in place: start each call from the same values
        rt.tanh_f32(work)

    per_value = {name: ns_per_value(fn, y.size, args.repeats) for name, fn in (
        ("numpy", lambda: np.tanh(y, out=work)), ("rational", rational),
        ("copy", lambda: np.copyto(work, y)))}
    target = numpy_tanh_target()
    res = {"numpy_target": target, "fit_rel_err": fit_err, "same_coefficients": same_coefficients,
           "numpy_ulp": ulp(np.tanh(y), ref),
           "rational_ulp": ulp(out, ref), "rational_same_bits_as_ufuncs": same_bits,
           "ns_per_value": {"numpy": per_value["numpy"],
                            "rational": per_value["rational"] - per_value["copy"]}}
    print(f"numpy float32 tanh ({target}): {res['numpy_ulp']} ulp, "
          f"{res['ns_per_value']['numpy']:.2f} ns a value")
    print(f"re-derived coefficients equal icaxes.decompose.tanh's: {same_coefficients}")
    print(f"rational tanh (numba): {res['rational_ulp']} ulp (float64 fit: relative {fit_err:.1e}), "
          f"{res['ns_per_value']['rational']:.2f} ns a value, same bits as the ufunc formula: "
          f"{same_bits}")
    if args.out:
        with open(args.out, "w") as fh:
            json.dump(res, fh, indent=1)


if __name__ == "__main__":
    main()
