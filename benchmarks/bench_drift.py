"""Where the quasi-Newton phase spends its iterations on real high-dimensional embeddings.

A design study of the solver's own settings (issue 16, item 3: "fewer iterations where
FastICA drifts"), not a race against other libraries: for each seed and each variant of the
solver's module settings it fits the rotation of the same whitened rows at tol 1e-10 and
prints the passes over the data, the pass at which the convergence criterion first fell below
1e-4, 1e-6, 1e-8 and 1e-10 (the first-order estimate during the quasi-Newton phase, as the
progress bar shows it), the wall time, and the log cosh contrast of the result (the criterion's
objective in RESULTS.md; larger is better). A variant is ``base`` (the code as it is) or
``NAME=VALUE[;NAME=VALUE]`` for module constants of ``icaxes.decompose.solver`` such as
``MEMORY=40`` (L-BFGS memory pairs). Every variant of a seed starts from the same matrix,
scikit-learn's start for that seed, as ``ICA(random_state=seed)`` does.

Usage::

    python benchmarks/bench_drift.py fasttext-fr --rows 20000 --seeds 0,1,2,3 \
        --variants base,MEMORY=40,MEMORY=80 --out drift.json
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

MARKS = (1e-4, 1e-6, 1e-8, 1e-10)


def apply_variant(solver, defaults: dict, variant: str) -> None:
    """Reset the solver's constants, then set those named in ``variant``."""
    for name, value in defaults.items():
        setattr(solver, name, value)
    if variant == "base":
        return
    for item in variant.split(";"):
        name, value = item.split("=")
        if name not in defaults:
            raise SystemExit(f"variant {variant!r}: the solver has no setting {name!r}")
        setattr(solver, name, type(defaults[name])(float(value)))


def whitened_rows(data: str, rows: int | None) -> tuple[np.ndarray, np.ndarray]:
    """The rows of ``data`` whitened as ``ICA`` whitens them (float32), and the start's column signs."""
    from bench_solvers import load
    from icaxes.decompose.whitening import apply_affine, fit_whitening

    X = load(data, rows)
    white = fit_whitening(X)
    Z = apply_affine(X, white.mean, white.matrix, np.float32)
    return Z, np.where(white.eigenvectors[0] < 0, -1.0, 1.0)


def main() -> None:
    import icaxes.decompose.solver as solver
    from icaxes import ICA

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("data", help="an icaxes source (fasttext-fr, chive-ja, use:en:20000, ...)")
    parser.add_argument("--rows", type=int, default=None)
    parser.add_argument("--seeds", default="0")
    parser.add_argument("--variants", default="base", help="comma-separated (see the docstring)")
    parser.add_argument("--max-iter", type=int, default=10000)
    parser.add_argument("--out", help="also write the rows as JSON here")
    args = parser.parse_args()

    Z, start_signs = whitened_rows(args.data, args.rows)
    k = Z.shape[1]
    defaults = {n: getattr(solver, n) for n in dir(solver)
                if n.isupper() and isinstance(getattr(solver, n), int | float)}
    print(f"{args.data}: {Z.shape[0]} x {k} whitened rows", flush=True)
    rows = []
    for seed in [int(s) for s in args.seeds.split(",")]:
        w_init = ICA(random_state=seed)._w_inits(k, start_signs)[0]  # what ICA.fit starts from
        for variant in args.variants.split(","):
            apply_variant(solver, defaults, variant)
            log: list[float] = []
            t0 = time.perf_counter()
            res = solver.fastica_symmetric(Z, w_init=w_init, tol=1e-10, max_iter=args.max_iter,
                                           callback=lambda it, change, log=log: log.append(change))
            seconds = time.perf_counter() - t0
            firsts = {f"{m:.0e}": next((i + 1 for i, c in enumerate(log) if c < m), None)
                      for m in MARKS}
            row = dict(data=args.data, n=Z.shape[0], k=k, seed=seed, variant=variant,
                       n_iter=res.n_iter, converged=res.converged, seconds=round(seconds, 1),
                       contrast=float(np.mean(solver.logcosh_contrast(Z, res.unmixing))),
                       first_below=firsts)
            rows.append(row)
            print(json.dumps(row), flush=True)
    apply_variant(solver, defaults, "base")
    print("\n| seed | variant | passes | first below 1e-4 / 1e-6 / 1e-8 | seconds | contrast (x 1e3) |")
    print("|---:|---|---:|---:|---:|---:|")
    for r in rows:
        marks = " / ".join(str(r["first_below"][f"{m:.0e}"]) for m in MARKS[:3])
        print(f"| {r['seed']} | {r['variant']} | {r['n_iter']}{'' if r['converged'] else ' (not converged)'} "
              f"| {marks} | {r['seconds']} | {r['contrast'] * 1e3:.5f} |")
    if args.out:
        with open(args.out, "w") as fh:
            json.dump(rows, fh, indent=1)


if __name__ == "__main__":
    main()
