"""Axis stability: refit ICA with other seeds and on bootstrap samples, match, compare.

ICA identifies an axis only when its distribution is clearly non-Gaussian; nearly Gaussian
axes (small skewness, usually the last ones) can rotate freely among themselves, so another
seed or another sample of rows gives different ones. Each refit's axes are matched one to
one to the reference axes (Hungarian assignment on |Pearson r| over the same rows); an
axis's stability is its mean matched |r| over the refits. Axes below
:data:`UNSTABLE_BELOW` are flagged as unstable.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
from scipy.optimize import linear_sum_assignment

from icaxes.errors import InputError, ModelFormatError
from icaxes.io.model_format import ModelFolder
from icaxes.params import MAX_ITER, TOL

#: Mean matched |r| below which an axis is called unstable.
UNSTABLE_BELOW = 0.9


def matched_abs_correlation(S_ref: np.ndarray, S_new: np.ndarray) -> np.ndarray:
    """For each reference axis, |r| with the refit axis it is matched to (Hungarian on |r|)."""
    from icaxes.universal.matching import axis_correlations

    R = np.abs(axis_correlations(S_ref, S_new))
    rows, cols = linear_sum_assignment(R, maximize=True)
    out = np.zeros(S_ref.shape[1])
    out[rows] = R[rows, cols]
    return out


@dataclass
class StabilityResult:
    """Per-axis stability of a fitted ICA model."""

    stability: list[float]  # mean matched |r| over all refits
    minimum: list[float]  # worst refit
    runs: dict[str, list[float]]  # refit name -> matched |r| per axis
    threshold: float = UNSTABLE_BELOW
    settings: dict = field(default_factory=dict)

    @property
    def unstable(self) -> list[int]:
        """Axes whose stability is below the threshold."""
        return [i for i, s in enumerate(self.stability) if s < self.threshold]

    def save(self, model_dir: str | Path, method: str = "ica") -> Path:
        """Write ``stability.json`` into a model folder (atomically, where
        :meth:`~icaxes.io.model_format.ModelFolder.stability_path` says)."""
        return ModelFolder(model_dir).save_stability(asdict(self) | {"unstable": self.unstable}, method)


def load_stability(model_dir: str | Path, method: str = "ica") -> StabilityResult | None:
    """Read the stability of the ``method`` model of a model folder, or None if there is none.

    ``model_dir`` is a folder from ``icaxes fit`` (``DIR/ica/stability.json``) or a saved model
    (``DIR/stability.json``); see :meth:`~icaxes.io.model_format.ModelFolder.stability`.
    """
    blob = ModelFolder(model_dir).stability(method)
    if blob is None:
        return None
    try:
        return StabilityResult(blob["stability"], blob["minimum"], blob["runs"], blob["threshold"],
                               blob.get("settings", {}))
    except KeyError as exc:
        raise ModelFormatError(f"{ModelFolder(model_dir).stability_path(method)} is corrupt (no {exc}); "
                               "rerun `icaxes evaluate --tasks stability`") from None


def axis_stability(X: np.ndarray, reference: np.ndarray, *, seeds: tuple[int, ...] = (1, 2, 3),
                   n_bootstrap: int = 3, seed: int = 0, max_iter: int = MAX_ITER, tol: float = TOL,
                   eval_rows: int | None = 20000, threshold: float = UNSTABLE_BELOW,
                   progress: bool = False) -> StabilityResult:
    """Refit ICA on ``X`` with other seeds and on bootstrap samples; compare with ``reference``.

    Parameters
    ----------
    X : ndarray of shape (n, d)
        The embeddings the reference was fitted on.
    reference : ndarray of shape (n, k)
        The reference ICA components of the rows of ``X``.
    seeds : tuple of int
        Start seeds of the refits on all rows.
    n_bootstrap : int
        Refits on rows resampled with replacement (start seed 0; resampling seeded by ``seed``).
    seed : int
        Seed of the bootstrap draws.
    max_iter, tol : ICA settings (use the reference's).
    eval_rows : int, optional
        Compare on the first rows only (enough for stable correlations, and faster).
    threshold : float
        Stability below this flags an axis.
    progress : bool
    """
    from icaxes.decompose.estimator import ICA

    X = np.asarray(X)
    reference = np.asarray(reference)
    if X.shape[0] != reference.shape[0]:
        raise InputError(f"X has {X.shape[0]} rows but the reference components {reference.shape[0]}")
    m = X.shape[0] if eval_rows is None else min(eval_rows, X.shape[0])
    rng = np.random.default_rng(seed)
    plans: list[tuple[str, int, np.ndarray | None]] = [(f"seed {s}", s, None) for s in seeds]
    plans += [(f"bootstrap {b}", 0, rng.integers(0, X.shape[0], X.shape[0])) for b in range(n_bootstrap)]
    runs: dict[str, list[float]] = {}
    from icaxes.progress import ProgressBar

    with ProgressBar("stability refits", len(plans), enabled=progress) as bar:
        for name, start, rows in plans:
            est = ICA(random_state=start, max_iter=max_iter, tol=tol)
            est.fit(X if rows is None else X[rows])
            S = est.transform(X[:m])
            runs[name] = [float(v) for v in matched_abs_correlation(reference[:m], S)]
            bar.advance()
    R = np.array(list(runs.values()))
    return StabilityResult([float(v) for v in R.mean(axis=0)], [float(v) for v in R.min(axis=0)], runs,
                           threshold, {"seeds": list(seeds), "n_bootstrap": n_bootstrap, "seed": seed,
                                       "max_iter": max_iter, "tol": tol, "eval_rows": m})


def stability_for_model(model_dir: str | Path, method: str = "ica") -> StabilityResult | None:
    """The stability saved for a model folder from ``icaxes fit`` (``DIR/ica``) or a saved model
    (the same as :func:`load_stability`)."""
    return load_stability(model_dir, method)
