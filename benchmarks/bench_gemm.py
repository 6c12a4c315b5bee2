"""GEMM throughput by precision on this machine: what bounds a FastICA iteration's cost.

    python benchmarks/bench_gemm.py [--rows 61440 --dim 1024] [--out gemm.json]

Times ``X @ W`` for an ``rows x dim`` by ``dim x dim`` product, all in the same process:
numpy float64 (what scikit-learn's FastICA computes in), numpy float32 (icaxes' pass), and,
when PyTorch is installed, PyTorch float32, bfloat16 and float16 (its CPU kernels for the
lower precisions are used only where the processor has instructions for them). Also the
``dim x dim`` symmetric eigendecomposition of a FastICA step, float64. Prints GFLOP/s and
ratios to numpy float32.
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
        Xb, Wb = Xt.bfloat16(), Wt.bfloat16()
        seconds["torch bfloat16"] = median_seconds(lambda: Xb @ Wb, args.repeats)
        # float16 without hardware support is emulated and very slow: time one small slice
        rows = max(1, min(n, 2048))
        Xh, Wh = Xt[:rows].half(), Wt.half()
        seconds["torch float16"] = median_seconds(lambda: Xh @ Wh, 1) * n / rows
    A = W.astype(np.float64) @ W.T.astype(np.float64)
    eigh_s = median_seconds(lambda: np.linalg.eigh(A), args.repeats)
    ref = seconds["numpy float32"]
    print(f"{n} x {d} @ {d} x {d}: {flop / 1e9:.1f} GFLOP per product")
    for name, s in seconds.items():
        print(f"{name:16s} {s:9.4f} s  {flop / s / 1e9:8.1f} GFLOP/s  {ref / s:6.2f}x numpy float32")
    print(f"eigh of a {d} x {d} float64 matrix: {eigh_s:.4f} s")
    if args.out:
        with open(args.out, "w") as fh:
            json.dump({"rows": n, "dim": d, "seconds": seconds, "eigh_s": eigh_s}, fh, indent=1)


if __name__ == "__main__":
    main()
