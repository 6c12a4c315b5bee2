"""Where the quasi-Newton phase spends its iterations on real high-dimensional embeddings.

A design study of the solver's own settings (issue 16, item 3: "fewer iterations where
FastICA drifts"), not a race against other libraries: for each seed and each variant of the
solver's module settings it fits the rotation of the same whitened rows at tol 1e-10 and
prints the passes over the data, the pass at which the convergence criterion first fell below
1e-4, 1e-6, 1e-8 and 1e-10 (the first-order estimate during the quasi-Newton phase, as the
progress bar shows it), the wall time, and the log cosh contrast of the result (the criterion's
objective in RESULTS.md; larger is better). A variant is ``base`` (the code as it is) or
``NAME=VALUE[;NAME=VALUE]`` for module constants of ``icaxes.decompose.solver`` such as
``MEMORY=40`` (L-BFGS memory pairs), or a warm start on fewer rows,
``sub=F@TOL[/F@TOL...]``: first fit a seeded random fraction ``F`` of the rows, whitened on
their own, to ``TOL``, from there the next stage, then all rows to 1e-10 (``sub=0.25@1e-6`` is
one quarter to 1e-6; the passes of a stage count ``F`` of a full pass in ``cost``). Every
variant of a seed starts from the same matrix, scikit-learn's start for that seed, as
``ICA(random_state=seed)`` does; ``perturb=J`` changes that start by a relative 1e-15
(seeded by ``J``, see ``perturbed``); ``method=fixed-point`` takes FastICA steps only (the
solver's ``method``; the default is ``lbfgs``). Items combine with ``;``: ``MEMORY=40;perturb=3``.

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
from typing import Any

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

MARKS = (1e-4, 1e-6, 1e-8, 1e-10)


#: the variant items that are not module settings (a warm start, a perturbed start, the method)
START_ITEMS = ("sub", "perturb", "method")


def variant_items(variant: str) -> dict[str, str]:
    """The ``NAME=VALUE`` items of a variant (``;``-separated); none for ``base``."""
    if variant == "base":
        return {}
    items = dict(item.split("=", 1) for item in variant.split(";"))
    if len(items) != len(variant.split(";")):
        raise SystemExit(f"variant {variant!r}: an item is given twice")
    return items


def apply_variant(solver, defaults: dict, items: dict[str, str]) -> None:
    """Reset the solver's constants, then set those named in a variant's ``items``."""
    for name, value in defaults.items():
        setattr(solver, name, value)
    for name, value in items.items():
        if name in START_ITEMS:
            continue
        if name not in defaults:
            raise SystemExit(f"the solver has no setting {name!r}")
        setattr(solver, name, type(defaults[name])(float(value)))


def subsample_stages(items: dict[str, str]) -> list[tuple[float, float]]:
    """The ``(fraction, tol)`` stages of a variant's ``sub=F@TOL/...`` item (none without)."""
    spec = items.get("sub")
    if spec is None:
        return []
    stages = []
    for item in spec.split("/"):
        fraction, tol = (float(v) for v in item.split("@"))
        if not 0 < fraction < 1:
            raise SystemExit(f"sub={spec}: a fraction of the rows is in (0, 1)")
        stages.append((fraction, tol))
    return stages


def warm_start(solver, X: np.ndarray, white, w_init: np.ndarray,
               stages: list[tuple[float, float]], seed: int,
               max_iter: int) -> tuple[np.ndarray, list[int], float]:
    """Run the subsample stages from ``w_init``: the start of the full fit, passes per stage
    and their cost in full passes.

    Each stage whitens its own rows (FastICA assumes white data: on the full fit's whitening a
    random half of chiVe's rows, 33 per dimension, is far enough from white that the solver
    does not reach 1e-6 in 10,000 passes) and starts from the previous stage's unmixing mapped
    through the data space: ``B = W V`` (``V`` a stage's whitening matrix) is kept, and a stage
    whitened by ``V_s`` starts from ``B V_s^+``.
    """
    from icaxes.decompose.whitening import apply_affine, fit_whitening

    if not stages:  # w_init itself: the map through the data space would round it (1e-15),
        return w_init, [], 0.0  # which is enough to change a 300d path (chiVe: 648 -> 466 passes)
    order = np.random.default_rng(seed).permutation(X.shape[0])
    B, passes, cost = w_init @ white.matrix, [], 0.0
    for fraction, tol in stages:
        m = round(fraction * X.shape[0])
        Xs = X[np.sort(order[:m])]
        stage_white = fit_whitening(Xs)
        Zs = apply_affine(Xs, stage_white.mean, stage_white.matrix, np.float32)
        res = solver.fastica_symmetric(Zs, w_init=B @ np.linalg.pinv(stage_white.matrix),
                                       tol=tol, max_iter=max_iter)
        B = res.unmixing @ stage_white.matrix
        passes.append(res.n_iter)
        cost += res.n_iter * m / X.shape[0]
    return B @ np.linalg.pinv(white.matrix), passes, cost


def perturbed(w_init: np.ndarray, items: dict[str, str]) -> np.ndarray:
    """``w_init``, or for ``perturb=J`` its entries times ``1 + 1e-15 e``, ``e`` standard normal
    from ``default_rng(J)``: a start one rounding away, to see how far such a change moves the
    passes (the spread of a fit's count over starts that are the same for any practical purpose)."""
    seed = items.get("perturb")
    if seed is None:
        return w_init
    noise = np.random.default_rng(int(seed)).standard_normal(w_init.shape)
    return w_init * (1.0 + 1e-15 * noise)


def load_whitened(data: str, rows: int | None) -> tuple[np.ndarray, Any, np.ndarray, np.ndarray]:
    """The rows of ``data`` (float32), their whitening as ``ICA`` fits it, the whitened rows
    (float32) and the start's column signs."""
    from bench_solvers import load
    from icaxes.decompose.whitening import apply_affine, fit_whitening

    X = load(data, rows)
    white = fit_whitening(X)
    Z = apply_affine(X, white.mean, white.matrix, np.float32)
    return X, white, Z, np.where(white.eigenvectors[0] < 0, -1.0, 1.0)


def whitened_rows(data: str, rows: int | None) -> tuple[np.ndarray, np.ndarray]:
    """The rows of ``data`` whitened as ``ICA`` whitens them (float32), and the start's column signs."""
    _, _, Z, signs = load_whitened(data, rows)
    return Z, signs


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

    X, white, Z, start_signs = load_whitened(args.data, args.rows)
    k = Z.shape[1]
    defaults = {n: getattr(solver, n) for n in dir(solver)
                if n.isupper() and isinstance(getattr(solver, n), int | float)}
    print(f"{args.data}: {Z.shape[0]} x {k} whitened rows", flush=True)
    rows = []
    for seed in [int(s) for s in args.seeds.split(",")]:
        w_init = ICA(random_state=seed)._w_inits(k, start_signs)[0]  # what ICA.fit starts from
        for variant in args.variants.split(","):
            items = variant_items(variant)
            apply_variant(solver, defaults, items)
            log: list[float] = []
            t0 = time.perf_counter()
            start, stage_passes, cost = warm_start(solver, X, white, perturbed(w_init, items),
                                                   subsample_stages(items), seed, args.max_iter)
            res = solver.fastica_symmetric(Z, w_init=start, tol=1e-10, max_iter=args.max_iter,
                                           method=items.get("method", "lbfgs"),
                                           callback=lambda it, change, log=log: log.append(change))
            seconds = time.perf_counter() - t0
            firsts = {f"{m:.0e}": next((i + 1 for i, c in enumerate(log) if c < m), None)
                      for m in MARKS}
            row = dict(data=args.data, n=Z.shape[0], k=k, seed=seed, variant=variant,
                       n_iter=res.n_iter, converged=res.converged, stage_passes=stage_passes,
                       cost=round(cost + res.n_iter, 1), seconds=round(seconds, 1),
                       contrast=float(np.mean(solver.logcosh_contrast(Z, res.unmixing))),
                       first_below=firsts)
            rows.append(row)
            print(json.dumps(row), flush=True)
    apply_variant(solver, defaults, {})
    print("\n| seed | variant | passes (stages + all rows) | first below 1e-4 / 1e-6 / 1e-8 "
          "| cost (full passes) | seconds | contrast (x 1e3) |")
    print("|---:|---|---:|---:|---:|---:|---:|")
    for r in rows:
        marks = " / ".join(str(r["first_below"][f"{m:.0e}"]) for m in MARKS[:3])
        passes = " + ".join(str(n) for n in [*r["stage_passes"], r["n_iter"]])
        print(f"| {r['seed']} | {r['variant']} | {passes}{'' if r['converged'] else ' (not converged)'} "
              f"| {marks} | {r['cost']} | {r['seconds']} | {r['contrast'] * 1e3:.5f} |")
    if args.out:
        with open(args.out, "w") as fh:
            json.dump(rows, fh, indent=1)


if __name__ == "__main__":
    main()
