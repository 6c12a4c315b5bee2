"""A design study: a float32 ``tanh`` from basic IEEE operations, against numpy's.

    python benchmarks/bench_tanh.py [--dim 50] [--out tanh.json]      # needs numba

numpy chooses its float32 ``tanh`` kernel by CPU (its SIMD dispatch), and the kernels round
differently (README, "Quick start"), so a fit's path can depend on the CPU; on some CPUs the
kernel also costs as much as a pass's two GEMMs at 50 dimensions (``bench_gemm.py``). This
script measures the alternative: an odd rational approximation ``x P(x^2) / Q(x^2)`` (degrees
13 over 6, clamped where float32 ``tanh`` rounds to 1) whose coefficients are fitted here
(weighted linearised least squares on the relative error, in float64), evaluated by a numba
loop without FMA contraction or reassociation. Its result is then a fixed sequence of
correctly rounded float32 operations, the same bits on every CPU; the script checks that
against the same formula evaluated with numpy ufuncs (each operation rounded on its own). It
prints the accuracy of both ``tanh`` in units in the last place (against float64 ``tanh``
rounded to float32) and their cost per value on one cache-sized chunk (2,048 rows).

Not used by the solver: changing its ``tanh`` changes the rounding of every pass, hence the
path between nearby fixed points (a new solver version; see RESULTS.md).
"""

from __future__ import annotations

import argparse
import json
import sys

import numpy as np

from bench_gemm import ns_per_value, numpy_tanh_target

# beyond this float32 tanh(x) rounds to 1 (and the rational form would keep growing)
CLAMP = 7.90531110763549805
DEG_P, DEG_Q = 6, 3  # P and Q as polynomials in x^2


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


def ufunc_tanh(y: np.ndarray, p: np.ndarray, q: np.ndarray) -> np.ndarray:
    """The rational ``tanh`` with numpy ufuncs: every operation rounded to float32 on its own."""
    lim = np.float32(CLAMP)
    x = np.clip(y, -lim, lim)
    t = x * x
    num = p[DEG_P]
    for c in p[DEG_P - 1 :: -1]:
        num = num * t + c
    den = q[DEG_Q]
    for c in q[DEG_Q - 1 :: -1]:
        den = den * t + c
    return (num * x / den).astype(np.float32)


def numba_tanh(p: np.ndarray, q: np.ndarray):
    """The same formula as a compiled loop (no FMA contraction: ``fastmath`` only nnan/ninf)."""
    import numba

    f32 = np.float32
    p0, p1, p2, p3, p4, p5, p6 = (f32(v) for v in p)
    q0, q1, q2, q3 = (f32(v) for v in q)
    lim = f32(CLAMP)

    # error_model="numpy": no ZeroDivisionError branch, so the loop vectorises
    @numba.njit(fastmath={"nnan", "ninf"}, error_model="numpy")
    def tanh_inplace(v):
        for i in range(v.size):
            x = min(max(v[i], -lim), lim)
            t = x * x
            num = ((((((p6 * t + p5) * t + p4) * t + p3) * t + p2) * t + p1) * t + p0) * x
            den = ((q3 * t + q2) * t + q1) * t + q0
            v[i] = num / den

    return tanh_inplace


def ulp(a: np.ndarray, ref: np.ndarray) -> int:
    """Largest distance in units in the last place between float32 arrays of one sign pattern."""
    return int(np.abs(a.view(np.int32).astype(np.int64) - ref.view(np.int32).astype(np.int64)).max())


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--dim", type=int, default=50, help="columns of the 2,048-row chunk")
    ap.add_argument("--repeats", type=int, default=7)
    ap.add_argument("--out", default=None)
    args = ap.parse_args()
    try:
        import numba  # noqa: F401
    except ImportError:
        sys.exit("bench_tanh.py needs numba: .venv/bin/pip install numba")
    p, q, fit_err = fit_coefficients()
    kernel = numba_tanh(p, q)
    rng = np.random.default_rng(0)
    # values like a pass's projections (unit variance) and wider, both signs, both ends
    y = np.concatenate([rng.standard_normal(2048 * args.dim // 2),
                        rng.uniform(-12, 12, 2048 * args.dim - 2048 * args.dim // 2)])
    y = y.astype(np.float32).reshape(2048, args.dim)
    ref = np.tanh(y.astype(np.float64)).astype(np.float32)
    out = y.copy()
    kernel(out.reshape(-1))
    same_bits = bool(np.array_equal(out.view(np.int32), ufunc_tanh(y, p, q).view(np.int32)))
    work = np.empty_like(y)
    flat = work.reshape(-1)

    def rational():
        np.copyto(work, y)  # the kernel works in place: start each call from the same values
        kernel(flat)

    per_value = {name: ns_per_value(fn, y.size, args.repeats) for name, fn in (
        ("numpy", lambda: np.tanh(y, out=work)), ("rational", rational),
        ("copy", lambda: np.copyto(work, y)))}
    target = numpy_tanh_target()
    res = {"numpy_target": target, "fit_rel_err": fit_err, "numpy_ulp": ulp(np.tanh(y), ref),
           "rational_ulp": ulp(out, ref), "rational_same_bits_as_ufuncs": same_bits,
           "ns_per_value": {"numpy": per_value["numpy"],
                            "rational": per_value["rational"] - per_value["copy"]}}
    print(f"numpy float32 tanh ({target}): {res['numpy_ulp']} ulp, "
          f"{res['ns_per_value']['numpy']:.2f} ns a value")
    print(f"rational tanh (numba): {res['rational_ulp']} ulp (float64 fit: relative {fit_err:.1e}), "
          f"{res['ns_per_value']['rational']:.2f} ns a value, same bits as the ufunc formula: "
          f"{same_bits}")
    if args.out:
        with open(args.out, "w") as fh:
            json.dump(res, fh, indent=1)


if __name__ == "__main__":
    main()
