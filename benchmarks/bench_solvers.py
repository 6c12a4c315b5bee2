"""Time icaxes, scikit-learn FastICA (paper settings) and python-picard on the same data.

Each solver runs in its own subprocess (so peak memory is its own), one after another in
the same run; the reference solution is scikit-learn's at tol 1e-10. Prints one JSON line
per solver and a summary table (time to solution, iterations, per-iteration time, peak
memory, ratios, and the 2-GEMM floor measured in the same run).

Usage::

    python benchmarks/bench_solvers.py glove50 [--rows N] [--out results.json]
    python benchmarks/bench_solvers.py synth1024
    python benchmarks/bench_solvers.py synth1024 --solvers floor,icaxes,icaxes-device,sklearn --device cuda

``icaxes-device`` is ``ICA(device=...)``: the solver's passes on a PyTorch device (a GPU).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))

#: the icaxes solvers the bench runs: default, fixed-point, and on a PyTorch device
ICAXES_WORKERS = ("icaxes", "icaxes-fp", "icaxes-device")


def rss_mb(field: str = "RssAnon") -> float:
    """A resident-size field of /proc/self/status in MB (RssAnon: anonymous memory only)."""
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024
    return float("nan")


def median_seconds(f, repeats: int = 7) -> float:
    """Median seconds of ``repeats`` calls of ``f`` after one warm-up call."""
    f()
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        f()
        times.append(time.perf_counter() - t)
    return float(np.median(times))


def synth1024(rows: int | None) -> tuple[np.ndarray, np.ndarray]:
    """The seeded synthetic 1024d set: (mixture, true sources)."""
    # a known answer shaped like the axes ICA finds in embeddings: 1,024 spiky sources,
    # each active (nonzero) in 5 to 50% of the rows, Laplace or exponential when active,
    # mixed by a seeded matrix. (Dense Laplace/exponential sources at this few rows per
    # dimension leave every solver on a plateau for hundreds of steps: the estimation
    # noise of 1,024 directions is then as large as their non-Gaussianity.)
    rng = np.random.default_rng(0)
    n, d = rows or 61440, 1024
    S = np.empty((n, d), dtype=np.float32)
    for j in range(d):
        active = rng.random(n) < (0.05, 0.1, 0.2, 0.5)[j % 4]
        spike = rng.exponential(size=n) if j % 2 else rng.laplace(size=n)
        S[:, j] = spike * active
        S[:, j] -= S[:, j].mean()
    # mixing with singular values from 1 to 10 (a square Gaussian matrix is often nearly
    # singular at this size, and whitening then rightly refuses its rank)
    U = np.linalg.qr(rng.standard_normal((d, d)))[0]
    V = np.linalg.qr(rng.standard_normal((d, d)))[0]
    A = ((U * np.geomspace(1.0, 10.0, d)) @ V).astype(np.float32)
    return S @ A, S


def load(data: str, rows: int | None) -> np.ndarray:
    if data == "glove50":
        from icaxes.io.sources import load_embeddings

        return np.ascontiguousarray(load_embeddings("glove-6b-50d", limit=rows).vectors)
    if data == "minilm384":
        # real sentence embeddings: 117,659 WordNet glosses through all-MiniLM-L6-v2 (cached);
        # 3 of its 384 output columns are constant (0 variance) and cannot be whitened: drop them
        from icaxes.io.sources import load_embeddings

        X = load_embeddings("minilm-glosses", limit=rows).vectors
        return np.ascontiguousarray(X[:, X.std(axis=0) > 1e-6])
    if data == "synth1024":
        return synth1024(rows)[0]
    raise SystemExit(f"unknown data set {data!r}")


def worker(args: argparse.Namespace) -> None:
    base = rss_mb()
    X = load(args.data, args.rows)
    input_mb = X.nbytes / 2**20
    after_load = rss_mb()
    res: dict = {"solver": args.worker, "n": X.shape[0], "d": X.shape[1], "input_mb": input_mb}
    # import every solver's modules before the clock starts: time to solution, not import time
    import picard
    import sklearn.decomposition  # noqa: F401

    import icaxes.decompose.estimator  # noqa: F401

    if args.worker == "icaxes-device":
        import torch  # noqa: F401

    # total resident size (like the peak, ru_maxrss): the growth from here is the solve's own
    res["after_imports_rss_mb"] = rss_mb("VmRSS")
    t0 = time.perf_counter()
    if args.worker == "sklearn":
        from sklearn.decomposition import FastICA

        est = FastICA(whiten="unit-variance", fun="logcosh", algorithm="parallel",
                      max_iter=args.sk_max_iter, tol=1e-10, random_state=args.seed)
        # scikit-learn keeps float32 input in float32, where its criterion never falls below
        # 1e-10 (it then runs to max_iter); the paper's code fed float64, so do we by default
        S = est.fit_transform(X.astype(args.sk_dtype))
        res.update(n_iter=int(est.n_iter_))
    elif args.worker in ICAXES_WORKERS:
        import icaxes.decompose.estimator as estimator
        from icaxes import ICA

        # record when each iteration ends (the progress hook), to time iterations alone
        stamps: list[tuple[int, float]] = []
        progress = estimator._progress_callback

        def stamping(*a):
            _, close = progress(*a)
            return (lambda it, change: stamps.append((it, time.perf_counter()))), close

        estimator._progress_callback = stamping
        solver = "fixed-point" if args.worker == "icaxes-fp" else "lbfgs"
        device = args.device if args.worker == "icaxes-device" else None
        est = ICA(random_state=args.seed, max_iter=10000, tol=1e-10, solver=solver, device=device)
        S = est.fit_transform(X)
        (i0, t0_), (i1, t1_) = stamps[0], stamps[-1]
        res.update(n_iter=int(est.n_iter_), change=float(est.change_), converged=bool(est.converged_),
                   iteration_s=(t1_ - t0_) / max(i1 - i0, 1), solve_s=t1_ - t0_)
    elif args.worker == "picard":
        from picard import picard

        out = picard(X.T, ortho=True, extended=True, tol=args.picard_tol, max_iter=args.picard_max_iter,
                     random_state=args.seed, return_n_iter=True)
        S = out[2].T
        res.update(n_iter=int(out[3]))
    elif args.worker == "floor":
        from icaxes.decompose.solver import _Pass
        from icaxes.decompose.whitening import apply_affine, fit_whitening

        w = fit_whitening(X)
        Z = apply_affine(X, w.mean, w.matrix, np.float32)
        k = Z.shape[1]
        W = np.linalg.qr(np.random.default_rng(0).standard_normal((k, k)))[0]
        W32 = W.astype(np.float32)

        def two_gemm():
            Y = Z @ W32.T
            return Y.T @ Z

        from threadpoolctl import threadpool_limits

        p = _Pass(Z)

        def two_gemm_chunked():
            # the same two GEMMs, chunked over the same thread pool, without the tanh
            def one(start):
                Zc = Z[start : start + 2048]
                return (Zc @ W32.T).T @ Zc

            with threadpool_limits(1, user_api="blas"):
                return sum(p.pool.map(one, p.starts)) if p.pool else sum(map(one, p.starts))

        with threadpool_limits(1, user_api="blas"):
            gemm_1thread = median_seconds(two_gemm)
        floors = {"blas_all_threads": median_seconds(two_gemm), "blas_1_thread": gemm_1thread,
                  "chunked_pool": median_seconds(two_gemm_chunked)}
        res.update(two_gemm_variants=floors, two_gemm_s=min(floors.values()),
                   icaxes_pass_s=median_seconds(lambda: p(W)))
        p.close()
        S = None
    res["time_s"] = time.perf_counter() - t0
    res["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    res["base_rss_mb"] = base
    res["after_load_rss_mb"] = after_load
    if S is not None:
        np.save(args.save, np.ascontiguousarray(S, dtype=np.float32))
    print(json.dumps(res), flush=True)


def match(ref: np.ndarray, S: np.ndarray) -> float:
    """Worst |r| of the optimal one-to-one matching of S's axes to ref's axes."""
    from scipy.optimize import linear_sum_assignment

    k = ref.shape[1]
    r = np.abs(np.corrcoef(ref.T, S.T)[:k, k:])
    r = np.nan_to_num(r)
    rows, cols = linear_sum_assignment(-r)
    return float(r[rows, cols].min())


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("data", choices=["glove50", "synth1024", "minilm384"])
    ap.add_argument("--rows", type=int, default=None)
    ap.add_argument("--seed", type=int, default=0, help="seed of every solver's start")
    ap.add_argument("--worker", default=None)
    ap.add_argument("--save", default=None)
    ap.add_argument("--solvers", default="floor,icaxes,picard,sklearn")
    ap.add_argument("--sk-max-iter", type=int, default=10000)
    ap.add_argument("--sk-dtype", default="float64", choices=["float64", "float32"],
                    help="dtype of scikit-learn's input (in float32 it never reaches tol 1e-10)")
    ap.add_argument("--picard-tol", type=float, default=1e-7)
    ap.add_argument("--picard-max-iter", type=int, default=3000)
    ap.add_argument("--workdir", default="/tmp/icaxes-bench")
    ap.add_argument("--device", default="cuda",
                    help="PyTorch device of the icaxes-device solver (ICA(device=...))")
    ap.add_argument("--out", default=None)
    ap.add_argument("--timeout", type=float, default=None, help="seconds after which a solver is stopped")
    ap.add_argument("--ref", default=None,
                    help="sources saved by an earlier sklearn run on the same data (skips re-running it)")
    args = ap.parse_args()
    if args.worker:
        worker(args)
        return
    os.makedirs(args.workdir, exist_ok=True)
    results = {}
    for solver in args.solvers.split(","):
        save = os.path.join(args.workdir, f"{args.data}-{args.rows}-s{args.seed}-{solver}.npy")
        cmd = [sys.executable, __file__, args.data, "--worker", solver, "--save", save,
               "--sk-max-iter", str(args.sk_max_iter), "--picard-tol", str(args.picard_tol),
               "--picard-max-iter", str(args.picard_max_iter), "--sk-dtype", args.sk_dtype,
               "--seed", str(args.seed), "--device", args.device]
        if args.rows:
            cmd += ["--rows", str(args.rows)]
        try:
            done = subprocess.run(cmd, check=True, capture_output=True, text=True, timeout=args.timeout)
        except subprocess.TimeoutExpired:
            print(f'{{"solver": "{solver}", "unfinished_after_s": {args.timeout}}}', flush=True)
            continue
        line = done.stdout.strip().splitlines()[-1]
        print(line, flush=True)
        results[solver] = json.loads(line)
        results[solver]["save"] = save
    ref_path = results["sklearn"]["save"] if "sklearn" in results else args.ref
    if ref_path:
        ref = np.load(ref_path, allow_pickle=False)
        for name in (*ICAXES_WORKERS, "picard"):
            if name in results:
                saved = np.load(results[name]["save"], allow_pickle=False)
                results[name]["min_matched_r"] = match(ref, saved)
    if args.data == "synth1024":  # the known answer: how well each solver recovers the sources
        truth = synth1024(args.rows)[1]
        for name, r in results.items():
            if name != "floor":
                r["min_matched_r_truth"] = match(truth, np.load(r["save"], allow_pickle=False))
    summary = {"data": args.data, "rows": args.rows, "load": os.getloadavg(), "results": results}
    print("\nsolver        time_s   n_iter  s/iter   peak_rss_MB  (peak-loaded)/input  "
          "(peak-imported)/input  min|r| vs sklearn")
    for name, r in results.items():
        if name == "floor":
            continue
        extra = (r["peak_rss_mb"] - r["after_load_rss_mb"]) / r["input_mb"]
        solve = (r["peak_rss_mb"] - r["after_imports_rss_mb"]) / r["input_mb"]
        print(f"{name:13s} {r['time_s']:8.2f} {r['n_iter']:7d} {r['time_s'] / max(r['n_iter'], 1):7.4f} "
              f"{r['peak_rss_mb']:10.0f} {extra:12.2f} {solve:20.2f} "
              f"{r.get('min_matched_r', float('nan')):14.5f}")
        if "min_matched_r_truth" in r:
            print(f"{'':13s} worst |r| to the true sources: {r['min_matched_r_truth']:.5f}")
    if "floor" in results:
        f = results["floor"]
        print(f"2-GEMM floor {f['two_gemm_s']:.4f} s; icaxes pass {f['icaxes_pass_s']:.4f} s "
              f"({f['icaxes_pass_s'] / f['two_gemm_s']:.2f}x)")
        for name in ICAXES_WORKERS:
            if name in results:
                it = results[name]["iteration_s"]
                print(f"{name} whole iteration {it:.4f} s = {it / f['two_gemm_s']:.2f}x the floor")
    for mine in ("icaxes", "icaxes-device"):
        if mine in results:
            t = results[mine]["time_s"]
            for other in ("sklearn", "picard"):
                if other in results:
                    print(f"{other}/{mine} time ratio: {results[other]['time_s'] / t:.1f}x")
    print(f"load average: {os.getloadavg()}")
    if args.out:
        with open(args.out, "w") as fh:
            json.dump(summary, fh, indent=1)


if __name__ == "__main__":
    main()
