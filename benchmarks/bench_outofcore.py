"""Out-of-core: fit on a sample of a 2,000,000 x 300 float32 matrix on disk, transform it all.

Writes the matrix (2.4 GB, seeded Laplace/exponential sources mixed by a random matrix)
chunk by chunk, fits ICA on a seeded uniform sample, transforms every row to a .npy memory
map, and reports the peak of the process's own memory. Memory is sampled every 20 ms from
``RssAnon`` in /proc/self/status (anonymous pages only: the page cache of the memory-mapped
input and output is file-backed and not counted), plus ``VmHWM`` (everything) for reference.
All files are deleted at the end.

Usage::

    python benchmarks/bench_outofcore.py [--rows 2000000] [--dim 300] [--sample 100000] [--dir /tmp]
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import threading
import time
from pathlib import Path

import numpy as np


def status_mb(field: str) -> float:
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024
    return float("nan")


class PeakAnon:
    """Background sampler of RssAnon (the process's own, non-file memory)."""

    def __init__(self, every: float = 0.02) -> None:
        self.peak = status_mb("RssAnon")
        self.every = every
        self._stop = threading.Event()
        self._t = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.wait(self.every):
            self.peak = max(self.peak, status_mb("RssAnon"))

    def __enter__(self) -> PeakAnon:
        self._t.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._t.join()
        self.peak = max(self.peak, status_mb("RssAnon"))


def write_matrix(path: Path, n: int, d: int, chunk: int = 100_000) -> None:
    rng = np.random.default_rng(0)
    A = rng.standard_normal((d, d)).astype(np.float32)
    out = np.lib.format.open_memmap(path, mode="w+", dtype=np.float32, shape=(n, d))
    for i, start in enumerate(range(0, n, chunk)):
        r = np.random.default_rng([0, i])
        m = min(chunk, n - start)
        S = np.empty((m, d), dtype=np.float32)
        S[:, ::2] = r.laplace(size=(m, (d + 1) // 2))
        S[:, 1::2] = r.exponential(size=(m, d // 2)) - 1.0
        out[start : start + m] = S @ A
    out.flush()
    del out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rows", type=int, default=2_000_000)
    ap.add_argument("--dim", type=int, default=300)
    ap.add_argument("--sample", type=int, default=100_000)
    ap.add_argument("--dir", default=tempfile.gettempdir())
    ap.add_argument("--out", default=None)
    args = ap.parse_args()

    from icaxes.decompose.outofcore import fit_sample, open_matrix, transform_file

    work = Path(tempfile.mkdtemp(prefix="icaxes-ooc-", dir=args.dir))
    src, dst = work / "X.npy", work / "S.npy"
    res: dict = {"rows": args.rows, "dim": args.dim, "sample": args.sample}
    try:
        t = time.perf_counter()
        write_matrix(src, args.rows, args.dim)
        res["write_s"] = time.perf_counter() - t
        res["input_gb"] = src.stat().st_size / 1e9
        base = status_mb("RssAnon")
        res["rss_anon_before_mb"] = base
        with PeakAnon() as peak:
            X = open_matrix(src)
            t = time.perf_counter()
            est = fit_sample(X, args.sample, seed=0)
            res.update(fit_s=time.perf_counter() - t, n_iter=int(est.n_iter_),
                       converged=bool(est.converged_))
            fit_peak = peak.peak
            t = time.perf_counter()
            transform_file(est, src, dst, progress=False)
            res["transform_s"] = time.perf_counter() - t
        res["peak_rss_anon_fit_mb"] = fit_peak
        res["peak_rss_anon_mb"] = peak.peak
        res["vm_hwm_mb"] = status_mb("VmHWM")
        # spot check: a few chunks of the output equal the in-memory transform of those rows
        S = np.load(dst, mmap_mode="r", allow_pickle=False)
        rows = np.random.default_rng(1).choice(args.rows, 1000, replace=False)
        rows.sort()
        res["max_abs_diff_spot_check"] = float(np.abs(S[rows] - est.transform(np.asarray(X[rows]))).max())
        del S, X
    finally:
        for f in (src, dst):
            f.unlink(missing_ok=True)
        os.rmdir(work)
    print(json.dumps(res, indent=1))
    if args.out:
        Path(args.out).write_text(json.dumps(res, indent=1))


if __name__ == "__main__":
    main()
