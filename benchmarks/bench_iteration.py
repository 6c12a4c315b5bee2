"""Cost of one solver iteration against the 2-GEMM floor at high dimension.

    python benchmarks/bench_iteration.py [--dims 300,384,512,1024] [--rows 20000] [--out it.json]

For each dimension k: a seeded whitened mixture of k sparse sources (``--rows`` rows,
float32), then, in one process,

- the 2-GEMM floor: ``Z W^T`` and ``Y^T Z`` chunked over the pass's own thread pool (BLAS on
  one thread per chunk), without the tanh;
- the fused pass alone (``NumpyPass``: both GEMMs, tanh, column sums);
- a fixed-point iteration: the pass plus FastICA's k x k step (symmetric decorrelation and
  the stopping test), timed inside ``fastica_symmetric(method="fixed-point")`` between
  progress callbacks;
- a quasi-Newton iteration: the pass plus the L-BFGS step on the orthogonal group (Cayley
  retraction, first-order stopping estimate), timed the same way with the switch after one
  step;
- the exact stopping test of the last quasi-Newton iterations (one FastICA step's k x k
  work), alone.

Medians over ``--iters`` iterations, as wall-clock and as CPU time of the process (all its
threads); ratios to the floor are what to read. On a shared machine the CPU-time ratios are the
steadier ones (waiting for a core does not count). A few minutes on 2 cores at the defaults.
"""

from __future__ import annotations

import argparse
import json
import os
import time
from contextlib import nullcontext

import numpy as np


def median_seconds(f, repeats: int = 5) -> tuple[float, float]:
    """Median wall and CPU (all threads of this process) seconds of ``repeats`` calls of ``f``."""
    f()
    wall, cpu = [], []
    for _ in range(repeats):
        t, c = time.perf_counter(), time.process_time()
        f()
        wall.append(time.perf_counter() - t)
        cpu.append(time.process_time() - c)
    return float(np.median(wall)), float(np.median(cpu))


def mixture(n: int, k: int, seed: int = 0) -> np.ndarray:
    """Whitened float32 rows of k sparse Laplace/exponential sources under a random mixing."""
    from icaxes.decompose.whitening import apply_affine, fit_whitening

    rng = np.random.default_rng(seed)
    S = rng.laplace(size=(n, k)).astype(np.float32)
    S *= rng.random((n, k)) < np.array((0.05, 0.1, 0.2, 0.5), dtype=np.float32)[np.arange(k) % 4]
    A = np.linalg.qr(rng.standard_normal((k, k)))[0] * np.geomspace(1.0, 10.0, k)
    X = S @ A.astype(np.float32)
    w = fit_whitening(X)
    return apply_affine(X, w.mean, w.matrix, np.float32)


def iteration_seconds(Z: np.ndarray, W0: np.ndarray, iters: int, **kw) -> tuple[float, float]:
    """Median wall and CPU seconds between the solver's progress callbacks."""
    from icaxes.decompose.solver import fastica_symmetric

    stamps: list[tuple[float, float]] = []
    fastica_symmetric(Z, w_init=W0, max_iter=iters + 2, tol=0.0, **kw,
                      callback=lambda it, change: stamps.append((time.perf_counter(), time.process_time())))
    gaps = np.diff(np.array(stamps), axis=0)[1:]  # skip the first (the switch, warm-up)
    return float(np.median(gaps[:, 0])), float(np.median(gaps[:, 1]))


def one_dim(k: int, rows: int, iters: int) -> dict:
    from threadpoolctl import threadpool_limits

    from icaxes.decompose import solver

    Z = mixture(rows, k)
    W = solver.random_orthogonal(k, 0)
    W32 = np.ascontiguousarray(W.T, dtype=np.float32)
    p = solver.NumpyPass(Z)

    def two_gemm():
        def one(start):
            Zc = Z[start : start + solver.CHUNK_ROWS]
            return (Zc @ W32).T @ Zc

        with threadpool_limits(1, user_api="blas"):
            return sum(p.pool.map(one, p.starts)) if p.pool else sum(map(one, p.starts))

    out = {"k": k, "rows": rows}
    out["floor"] = median_seconds(two_gemm)
    out["pass"] = median_seconds(lambda: p(W))
    C, a, _ = p(W)
    p.close()
    # the solver's own thread policy for the k x k algebra (a size rule in older versions)
    threaded = getattr(solver, "_algebra_threaded", lambda k: k >= solver.ALGEBRA_THREADS_FROM)(k)
    with nullcontext() if threaded else threadpool_limits(1, user_api="blas"):
        out["exact_test"] = median_seconds(lambda: solver._fastica_update(W, C, a))
    out["fixed_point_iter"] = iteration_seconds(Z, W, iters, method="fixed-point")
    out["lbfgs_iter"] = iteration_seconds(Z, W, iters, method="lbfgs", switch_tol=1.0)
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--dims", default="300,384,512,1024")
    ap.add_argument("--rows", type=int, default=20000)
    ap.add_argument("--iters", type=int, default=8)
    ap.add_argument("--out", default=None)
    args = ap.parse_args()
    results = []
    cols = ("pass", "fixed_point_iter", "lbfgs_iter", "exact_test")
    print("ratios to the 2-GEMM floor, wall / CPU (CPU: all threads of the process)")
    print(f"{'k':>5} {'floor s (wall/CPU)':>19} " + " ".join(f"{c:>17}" for c in cols))
    for k in map(int, args.dims.split(",")):
        r = one_dim(k, args.rows, args.iters)
        results.append(r)
        fw, fc = r["floor"]
        print(f"{k:5d} {fw:9.4f}/{fc:9.4f} "
              + " ".join(f"{r[c][0] / fw:8.2f}/{r[c][1] / fc:8.2f}" for c in cols), flush=True)
    print(f"load average: {os.getloadavg()}")
    if args.out:
        with open(args.out, "w") as fh:
            json.dump({"results": results, "load": os.getloadavg()}, fh, indent=1)


if __name__ == "__main__":
    main()
