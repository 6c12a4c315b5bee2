"""GEMM throughput by precision on this machine: what bounds a FastICA iteration's cost.

    python benchmarks/bench_gemm.py [--rows 61440 --dim 1024] [--out gemm.json]

Times ``X @ W`` for an ``rows x dim`` by ``dim x dim`` product, all in the same process:
numpy float64 (what scikit-learn's FastICA computes in), numpy float32 (icaxes' pass), and,
when PyTorch is installed, PyTorch float32, bfloat16 and float16 (its CPU kernels for the
lower precisions are used only where the processor has instructions for them). Also the
``dim x dim`` symmetric eigendecomposition of a FastICA step, float64, and two float32 ``tanh``
on one cache-sized chunk on one thread: numpy's (the SIMD target numpy dispatched it to) and
the pass's own (``icaxes.decompose.tanh``), each in nanoseconds per value and as the number of
dimensions below which it costs more than the pass's two GEMMs at numpy float32's one-thread
speed. Prints GFLOP/s and ratios to numpy float32.
"""

from __future__ import annotations

import argparse
import json

import numpy as np

from bench_solvers import median_seconds


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=61440)
    ap.add_argument("--dim", type=int, default=1024)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--out", default=None)
    args = ap.parse_args()
    n, d = args.rows, args.dim
    rng = np.random.default_rng(0)
    X = rng.standard_normal((n, d), dtype=np.float32)
    W = rng.standard_normal((d, d), dtype=np.float32)
    flop = 2.0 * n * d * d
    seconds: dict[str, float] = {}
    X64, W64 = X.astype(np.float64), W.astype(np.float64)
    seconds["numpy float64"] = median_seconds(lambda: X64 @ W64, args.repeats)
    seconds["numpy float32"] = median_seconds(lambda: X @ W, args.repeats)
    try:
        import torch
    except ImportError:
        print("PyTorch not installed: lower-precision GEMMs skipped (pip install 'icaxes[encoders]')")
    else:
        Xt, Wt = torch.from_numpy(X), torch.from_numpy(W)
        seconds["torch float32"] = median_seconds(lambda: Xt @ Wt, args.repeats)
        for name, dtype in (("torch bfloat16", torch.bfloat16), ("torch float16", torch.float16)):
            seconds[name] = _low_precision_seconds(Xt, Wt, dtype, seconds["numpy float32"],
                                                   args.repeats)
    tanh = _tanh_cost(X, args.repeats)
    A = W.astype(np.float64) @ W.T.astype(np.float64)
    eigh_s = median_seconds(lambda: np.linalg.eigh(A), args.repeats)
    ref = seconds["numpy float32"]
    print(f"{n} x {d} @ {d} x {d}: {flop / 1e9:.1f} GFLOP per product")
    for name, s in seconds.items():
        print(f"{name:16s} {s:9.4f} s  {flop / s / 1e9:8.1f} GFLOP/s  {ref / s:6.2f}x numpy float32")
    print(f"eigh of a {d} x {d} float64 matrix: {eigh_s:.4f} s")
    for name, label in (("numpy", f"numpy's float32 tanh ({tanh['target']})"),
                        ("pass", "the pass's float32 tanh (icaxes.decompose.tanh)")):
        print(f"{label}: {tanh[name]['ns_per_value']:.2f} ns a value on one thread, as much as the "
              f"pass's two GEMMs (4 k flop a value at {tanh['gemm_gflops_1thread']:.1f} GFLOP/s) at "
              f"k = {tanh[name]['break_even_dims']:.0f}")
    if args.out:
        with open(args.out, "w") as fh:
            json.dump({"rows": n, "dim": d, "seconds": seconds, "eigh_s": eigh_s, "tanh": tanh},
                      fh, indent=1)


def ns_per_value(call, n_values: int, repeats: int) -> float:
    """Median nanoseconds per value of ``call()``, which handles ``n_values`` values.

    ``call`` is repeated inside each timing (about 20 million values' worth), so that an
    elementwise function on a cache-resident chunk is timed rather than one call's overhead.
    """
    reps = max(1, 20_000_000 // n_values)

    def many():
        for _ in range(reps):
            call()

    return median_seconds(many, repeats) / reps / n_values * 1e9


def numpy_tanh_target() -> str:
    """The SIMD target numpy dispatches float32 ``tanh`` to on this CPU (e.g. ``X86_V3``)."""
    try:
        from numpy._core._multiarray_umath import __cpu_targets_info__ as targets

        return str(targets["tanh"]["ff"]["current"])
    except (ImportError, KeyError, TypeError):  # private table: absent in other numpy versions
        return "SIMD target unknown"


def _low_precision_seconds(Xt, Wt, dtype, float32_s: float, repeats: int) -> float:
    """Seconds of ``Xt @ Wt`` in ``dtype``; without hardware support, scaled from a slice.

    Without instructions for the precision PyTorch emulates it, tens to hundreds of times
    slower than float32: one 2,048-row slice is timed first, and the whole product only when
    the slice says it takes less than ten float32 products.
    """
    n = Xt.shape[0]
    rows = max(1, min(n, 2048))
    Xs, Ws = Xt[:rows].to(dtype), Wt.to(dtype)
    scaled = median_seconds(lambda: Xs @ Ws, 1) * n / rows
    if scaled > 10 * float32_s:
        return scaled
    Xl = Xt.to(dtype)
    return median_seconds(lambda: Xl @ Ws, repeats)


def _tanh_cost(X: np.ndarray, repeats: int) -> dict:
    """numpy's and the pass's float32 ``tanh`` on one 2,048-row chunk, one thread, against a GEMM.

    A pass computes, per value of ``Y = Z W^T`` (n x k), 2 k flops for ``Z W^T`` and 2 k for
    ``tanh(Y)^T Z`` and one ``tanh``: where ``tanh`` is slow it, not the GEMMs, bounds the pass
    at small k. The pass's ``tanh`` works in place, so its time is that of copying the chunk
    and then the ``tanh``, less the copy alone.
    """
    from threadpoolctl import threadpool_limits

    from icaxes.decompose.tanh import compiled_available, tanh_f32

    chunk = np.ascontiguousarray(X[:2048])
    out = np.empty_like(chunk)
    compiled_available()  # compile or load it before timing

    def pass_tanh():
        np.copyto(out, chunk)
        tanh_f32(out)

    ns = {"numpy": ns_per_value(lambda: np.tanh(chunk, out=out), chunk.size, repeats),
          "pass": ns_per_value(pass_tanh, chunk.size, repeats)
          - ns_per_value(lambda: np.copyto(out, chunk), chunk.size, repeats)}
    W = np.ascontiguousarray(X[: chunk.shape[1]].T)
    with threadpool_limits(1, user_api="blas"):
        gemm_s = median_seconds(lambda: chunk @ W, repeats)
    gflops = 2.0 * chunk.shape[0] * chunk.shape[1] ** 2 / gemm_s / 1e9
    return {"target": numpy_tanh_target(), "gemm_gflops_1thread": gflops,
            **{name: {"ns_per_value": v, "break_even_dims": v * gflops / 4.0} for name, v in ns.items()}}


if __name__ == "__main__":
    main()
