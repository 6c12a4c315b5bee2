"""The curvature of the log cosh objective along the solver's path (why FastICA "drifts").

A design study for issue 16, item 3 ("fewer iterations where FastICA drifts"), not a race.
It whitens the rows as ``ICA`` does, runs the solver from scikit-learn's start for the seed
and stops it after each of ``--at`` passes (and once at convergence, tol 1e-10). At each of
those rotations it prints:

- the convergence criterion there (scikit-learn's, exact);
- the extreme eigenvalues of the Hessian of the signed objective ``sum_i s_i E[log cosh y_i]``
  on the orthogonal group, preconditioned by the exact Hessian diagonal the solver uses
  (``D^{-1/2} H D^{-1/2}``; Lanczos through scipy's ``eigsh`` on exact Hessian-vector
  products, each one pass's worth of GEMMs over the rows), so ``largest / smallest`` is the
  condition number that L-BFGS (or CG) with that preconditioner faces; a negative smallest
  eigenvalue means the rotation is not near a minimum (a saddle region);
- which axes set the criterion there: the weakness rank (0 = the least non-Gaussian, by
  ``|E[y g(y)] - E[g'(y)]|``) of the rows with the largest FastICA step, and the share of the
  step's squared size in planes of two of the ``--weak`` weakest axes, of one, or of none
  (whether a block solve of the weak axes could cut the passes);
- with ``--newton``, the passes a truncated Newton method needs from that rotation to tol 1e-10
  (or ``--newton-budget`` passes): preconditioned CG on the exact Hessian-vector products,
  Eisenstat-Walker forcing ``min(0.5, sqrt|g|)``, stopped at negative curvature, and the
  solver's Cayley step with its trapezoid check; each Hessian-vector product counted as one
  pass (``Y = Z W^T`` kept in memory for the inner loop; without it a product costs 1.5);
- with ``--escape J``, whether stepping out of a saddle region along its most negative
  curvature saves passes: where the smallest eigenvalue is negative, the rotation turned along
  that eigenvector (sign down the gradient, length by a doubling search on the exact float64
  objective), with ``--lanczos M,...`` also along the lowest Ritz vector of ``M`` Lanczos steps
  started from the preconditioned gradient (what a solver could afford: ``M`` products), and, as
  the baseline, the rotation itself are each handed to the solver ``J`` times (starts a relative
  1e-15 apart, ``perturb=1..J`` of ``bench_drift.py``: one fit's count is a draw from a wide
  distribution); the passes to tol 1e-10 and the contrast of each end point are printed;
- with ``--deflate M``, whether deflating the softest directions helps: the ``M`` smallest
  eigenpairs of the preconditioned Hessian (``eigsh``, tol 1e-3) at the stop correct the
  solver's initial inverse Hessian, ``q / h + r V diag(1/lambda - 1) V^T (r q)`` with
  ``r = h^{-1/2}`` of the stop (positive eigenvalues only), and the solver resumed from the
  stop with and without the correction (``perturb=1,2``) counts its passes to tol 1e-10.

Hessian of ``phi(W) = sum_i s_i E[G(y_i)]``, ``y = W z``, along skew ``D, E`` at ``W``
(second-order expansion of ``exp(D) W``)::

    H[D, E] = sum_i s_i E[g'(y_i) (D y)_i (E y)_i] + tr(N^T (D E + E D)) / 2,  N = diag(s) M

with ``M_ij = E[g(y_i) y_j]``: the first term is two GEMMs over the rows, the second k x k.

Usage::

    python benchmarks/bench_curvature.py fasttext-fr --rows 20000 --seed 0 --at 400 --newton
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))


class Curvature:
    """Gradient, exact diagonal and Hessian-vector products of the signed objective at ``W``."""

    def __init__(self, Z: np.ndarray, W: np.ndarray, coords) -> None:
        n = Z.shape[0]
        self.Z, self.W, self.co = Z, W, coords
        self.Y = Z @ W.T.astype(Z.dtype)
        T = np.tanh(self.Y)
        self.C = (T.T @ Z).astype(np.float64) / n
        self.a = 1.0 - np.mean(T * T, axis=0, dtype=np.float64)
        self.M = (T.T @ self.Y).astype(np.float64) / n
        self.s = np.where(self.a - np.diag(self.M) > 0, 1.0, -1.0)
        self.N = self.s[:, None] * self.M
        self.gp = 1.0 - T * T
        P = (self.gp.T @ (self.Y * self.Y)).astype(np.float64) / n  # E[g'(y_i) y_j^2]
        co, m = coords, np.diag(self.M)
        i, j = co.i, co.j
        self.h = 0.5 * (self.s[i] * P[i, j] + self.s[j] * P[j, i] - self.s[i] * m[i] - self.s[j] * m[j])
        self.products = 0

    def half_skew(self, A: np.ndarray) -> np.ndarray:
        """The solver's coordinates of ``skew(A)``: ``(A_ij - A_ji) / 2`` on the strict upper triangle."""
        return 0.5 * (A[self.co.i, self.co.j] - A[self.co.j, self.co.i])

    @property
    def gradient(self) -> np.ndarray:
        return self.half_skew(self.N)

    def hv(self, v: np.ndarray) -> np.ndarray:
        """Hessian times ``v`` in the solver's half units (``hv(e_ij) . e_ij`` is ``h_ij``)."""
        self.products += 1
        D = self.co.matrix(v)
        U = self.Y @ D.T.astype(self.Y.dtype)
        U *= self.gp
        A = self.s[:, None] * ((U.T @ self.Y).astype(np.float64) / self.Z.shape[0])
        return self.half_skew(A + 0.5 * (D.T @ self.N + self.N @ D.T))


def preconditioned(cur: Curvature, floor: float = 1e-12):
    """``r = h^{-1/2}`` (``h`` floored) and the operator ``v -> r H (r v)`` of the preconditioned Hessian."""
    from scipy.sparse.linalg import LinearOperator

    r = 1.0 / np.sqrt(np.maximum(cur.h, floor))
    op = LinearOperator((r.size, r.size), matvec=lambda v: cur.hv(np.ravel(v) * r) * r, dtype=np.float64)
    return r, op


def resume(Z: np.ndarray, W: np.ndarray, repeats: int) -> list:
    """The solver resumed at ``W`` from ``repeats`` starts 1e-15 apart (``perturb=1..repeats``):
    one FastICA pass measures the change, then L-BFGS from ``W`` to tol 1e-10."""
    import icaxes.decompose.solver as S
    from bench_drift import perturbed

    return [S.fastica_symmetric(Z, w_init=perturbed(W, {"perturb": str(j)}), tol=1e-10,
                                max_iter=10000, switch_tol=1.0) for j in range(1, repeats + 1)]


def spectrum(cur: Curvature, tol: float = 1e-4) -> dict:
    """Smallest and largest eigenvalues of the diagonally preconditioned Hessian (Lanczos).

    Also returns (key ``lowest_direction``, not for JSON) the eigenvector of the smallest one in
    the solver's coordinates, unpreconditioned (``D^{-1/2} v``).
    """
    from scipy.sparse.linalg import eigsh

    r, op = preconditioned(cur)
    before = cur.products
    low, vectors = eigsh(op, k=4, which="SA", tol=tol, maxiter=5000)
    high = eigsh(op, k=1, which="LA", tol=1e-3, return_eigenvectors=False)
    order = np.argsort(low)
    low = [float(low[i]) for i in order]
    # the condition number of a positive definite Hessian; None where it is indefinite
    condition = float(high[0] / low[0]) if low[0] > 0 else None
    return {"smallest": low, "largest": float(high[0]), "condition": condition,
            "min_diagonal": float(cur.h.min()), "products": cur.products - before,
            "lowest_direction": vectors[:, order[0]] * r}


def signed_objective(Z: np.ndarray, W: np.ndarray, signs: np.ndarray) -> float:
    """``sum_i s_i E[log cosh y_i]`` of ``Y = Z W^T`` in float64 (what the solver minimises)."""
    from icaxes.stats import _logcosh

    total = np.zeros(W.shape[0])
    for start in range(0, Z.shape[0], 4096):
        total += _logcosh(np.asarray(Z[start : start + 4096], dtype=np.float64) @ W.T).sum(axis=0)
    return float(signs @ total) / Z.shape[0]


def lanczos_lowest(cur: Curvature, steps: int) -> tuple[float, np.ndarray]:
    """The smallest Ritz pair after ``steps`` Lanczos steps on the preconditioned Hessian.

    Started from the preconditioned gradient (what the solver has at hand), with full
    reorthogonalisation; the vector is returned in the solver's coordinates, unpreconditioned.
    """
    r, _ = preconditioned(cur)
    q = cur.gradient * r
    Q = [q / np.linalg.norm(q)]
    alpha, beta = [], []
    for m in range(steps):
        w = cur.hv(Q[m] * r) * r
        alpha.append(float(Q[m] @ w))
        for v in Q:  # full reorthogonalisation (steps is small)
            w -= (v @ w) * v
        b = float(np.linalg.norm(w))
        if m == steps - 1 or b < 1e-12:
            break
        beta.append(b)
        Q.append(w / b)
    T = np.diag(alpha) + np.diag(beta[: len(alpha) - 1], 1) + np.diag(beta[: len(alpha) - 1], -1)
    values, vectors = np.linalg.eigh(T)
    return float(values[0]), (np.array(Q[: len(alpha)]).T @ vectors[:, 0]) * r


def escape(Z: np.ndarray, cur: Curvature, directions: dict[str, np.ndarray], repeats: int) -> dict:
    """Passes to tol 1e-10 from ``cur.W`` and from it turned along each of ``directions``
    (``--escape``), with the contrast of each end point."""
    import icaxes.decompose.solver as S

    def resumed(W: np.ndarray) -> dict:
        runs = resume(Z, W, repeats)
        return {"passes": [r.n_iter for r in runs],
                "contrast_x1e3": [round(1e3 * float(np.mean(S.logcosh_contrast(Z, r.unmixing))), 5)
                                  for r in runs]}

    out = {"from_here": resumed(cur.W)}
    base = signed_objective(Z, cur.W, cur.s)
    for name, direction in directions.items():
        u = direction / np.linalg.norm(direction)
        if float(u @ cur.gradient) > 0:
            u = -u  # downhill to first order
        best_t, best, t, evals = 0.0, base, 1e-3, 0
        while t < 8.0:  # double while the objective falls
            value = signed_objective(Z, S._cayley_apply(cur.co.matrix(t * u), cur.W), cur.s)
            evals += 1
            if value >= best:
                break
            best_t, best, t = t, value, 2 * t
        turned = S._cayley_apply(cur.co.matrix(best_t * u), cur.W) if best_t else cur.W
        out[name] = {"step": best_t, "objective_decrease": base - best,
                     "objective_evaluations": evals, **resumed(turned)}
    return out


def deflation(Z: np.ndarray, cur: Curvature, m: int) -> dict:
    """Passes to tol 1e-10 from ``cur.W``, plain and with the ``m`` softest directions deflated."""
    from scipy.sparse.linalg import eigsh

    import icaxes.decompose.solver as S

    r, op = preconditioned(cur, S.LAMBDA_MIN)
    lam, V = eigsh(op, k=m, which="SA", tol=1e-3, maxiter=5000)
    keep = lam > 1e-4
    V, coef = V[:, keep], 1.0 / lam[keep] - 1.0
    plain = S._initial_inverse

    def deflated(q: np.ndarray, h: np.ndarray) -> np.ndarray:
        correction = r * (V @ (coef * (V.T @ (r * q))))
        return plain(q, h) + correction

    out = {"deflated_eigenvalues": [round(float(x), 5) for x in sorted(lam)],
           "plain": [res.n_iter for res in resume(Z, cur.W, 2)]}
    S._initial_inverse = deflated  # the two-loop recursion looks it up at each call
    try:
        out["deflated"] = [res.n_iter for res in resume(Z, cur.W, 2)]
    finally:
        S._initial_inverse = plain
    return out


def weak_axes(cur: Curvature, m: int) -> dict:
    """Where the FastICA step at ``W`` is large: weakness ranks of its worst rows, shares by plane."""
    K = cur.M - np.diag(cur.a)
    d = np.diag(K)
    Ks = np.sign(d)[:, None] * K
    omega2 = ((Ks - Ks.T) / (np.abs(d)[:, None] + np.abs(d)[None, :])) ** 2
    rank = np.empty(d.size, dtype=np.int64)
    rank[np.argsort(np.abs(cur.a - np.diag(cur.M)), kind="stable")] = np.arange(d.size)
    worst = np.argsort(-omega2.sum(axis=1), kind="stable")[:10]
    weak = rank < m
    total = float(omega2.sum())
    return {"worst_rows_weakness_rank": [int(rank[i]) for i in worst], "weak": m,
            "share_weak_weak": round(float(omega2[np.ix_(weak, weak)].sum()) / total, 3),
            "share_weak_other": round(2 * float(omega2[np.ix_(weak, ~weak)].sum()) / total, 3),
            "share_other_other": round(float(omega2[np.ix_(~weak, ~weak)].sum()) / total, 3)}


def truncated_newton(Z: np.ndarray, W: np.ndarray, budget: int, tol: float = 1e-10) -> dict:
    """Passes (outer passes + Hessian-vector products) from ``W`` to ``tol`` by truncated Newton."""
    import icaxes.decompose.solver as S

    co = S._SkewCoords(W.shape[0])
    cur = Curvature(Z, W, co)
    passes, products, negative = 0, 0, 0
    while True:
        _, change = S._fastica_update(cur.W, cur.C, cur.a)
        if change < tol or passes + products >= budget:
            break
        g, h = cur.gradient, np.maximum(cur.h, S.LAMBDA_MIN)
        gn = float(np.linalg.norm(g))
        d, r = np.zeros_like(g), -g
        z = r / h
        p, rz = z.copy(), float(r @ z)
        for it in range(200):
            Hp = cur.hv(p)
            products += 1
            curv = float(p @ Hp)
            if curv <= 0:  # negative curvature: keep what CG has (or the preconditioned gradient)
                negative += 1
                if it == 0:
                    d = -g / h
                break
            alpha = rz / curv
            d += alpha * p
            r -= alpha * Hp
            if np.linalg.norm(r) < min(0.5, np.sqrt(gn)) * gn:
                break
            z = r / h
            rz, rz_old = float(r @ z), rz
            p = z + (rz / rz_old) * p
        step = 1.0
        while True:
            nxt = Curvature(Z, S._cayley_apply(co.matrix(step * d), cur.W), co)
            passes += 1
            g_new = nxt.half_skew(cur.s[:, None] * nxt.M)
            if step * float(np.dot(g + g_new, d)) > 0 and step > S.MIN_STEP:
                step *= 0.5
                continue
            break
        cur = nxt
    return {"passes": passes, "products": products, "total": passes + products, "change": change,
            "converged": change < tol, "negative_curvature_stops": negative}


def main() -> None:
    import icaxes.decompose.solver as S
    from bench_drift import whitened_rows
    from icaxes import ICA

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("data", help="an icaxes source (fasttext-fr, chive-ja, use:en:20000, ...)")
    parser.add_argument("--rows", type=int, default=None)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--at", default="", help="passes to stop after, comma-separated (and at convergence)")
    parser.add_argument("--newton", action="store_true", help="also run truncated Newton from each rotation")
    parser.add_argument("--newton-budget", type=int, default=1000)
    parser.add_argument("--weak", type=int, default=40, help="how many of the weakest axes form the block")
    parser.add_argument("--no-spectrum", action="store_true", help="skip the Lanczos eigenvalues")
    parser.add_argument("--escape", type=int, default=0, metavar="J",
                        help="where the Hessian is indefinite, resume J times from the rotation "
                             "and from it turned along the negative curvature")
    parser.add_argument("--deflate", type=int, default=0, metavar="M",
                        help="resume from each stop with the M softest directions deflated, and without")
    parser.add_argument("--lanczos", default="", metavar="M,...",
                        help="with --escape, also turn along the lowest Ritz vector of M Lanczos steps")
    parser.add_argument("--out", help="also write the rows as JSON here")
    args = parser.parse_args()

    Z, start_signs = whitened_rows(args.data, args.rows)
    k = Z.shape[1]
    w_init = ICA(random_state=args.seed)._w_inits(k, start_signs)[0]  # what ICA.fit starts from
    co = S._SkewCoords(k)
    print(f"{args.data}: {Z.shape[0]} x {k} whitened rows, seed {args.seed}", flush=True)
    full = S.fastica_symmetric(Z, w_init=w_init, tol=1e-10, max_iter=10000)
    stops = [int(x) for x in args.at.split(",") if x] + [full.n_iter]
    rows = []
    for stop in stops:
        t0 = time.perf_counter()
        res = full if stop == full.n_iter else S.fastica_symmetric(Z, w_init=w_init, tol=1e-10, max_iter=stop)
        cur = Curvature(Z, res.unmixing, co)
        row = {"data": args.data, "n": Z.shape[0], "k": k, "seed": args.seed, "pass": stop,
               "solver_passes_to_1e-10": full.n_iter, "change": float(res.change),
               **weak_axes(cur, args.weak)}
        if not args.no_spectrum:
            row.update(spectrum(cur))
            lowest = row.pop("lowest_direction")
            if args.escape and row["smallest"][0] < 0 and stop != full.n_iter:
                directions = {"exact": lowest}
                for m in [int(x) for x in args.lanczos.split(",") if x]:
                    value, directions[f"lanczos{m}"] = lanczos_lowest(cur, m)
                    row[f"lanczos{m}_lowest"] = value
                row["escape"] = escape(Z, cur, directions, args.escape)
        if args.deflate and stop != full.n_iter:
            row["deflation"] = deflation(Z, cur, args.deflate)
        if args.newton and stop != full.n_iter:
            row["newton"] = truncated_newton(Z, res.unmixing, args.newton_budget)
        row["seconds"] = round(time.perf_counter() - t0, 1)
        rows.append(row)
        print(json.dumps(row), flush=True)
    if args.out:
        with open(args.out, "w") as fh:
            json.dump(rows, fh, indent=1)


if __name__ == "__main__":
    main()
