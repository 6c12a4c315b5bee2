"""scikit-learn compatible estimators: :class:`ICA` and its baseline :class:`PCA`.

Both centre and PCA-whiten the data, then (ICA only) rotate it to maximise
non-Gaussianity, then flip every axis so that its skewness is positive and order the
axes by skewness, largest first (docs/method.md, section 1).
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
from sklearn.base import BaseEstimator, ClassNamePrefixFeaturesOutMixin, TransformerMixin
from sklearn.utils import check_random_state
from sklearn.utils.validation import check_is_fitted, validate_data

from icaxes.decompose.solver import (
    METHODS,
    NumpyPass,
    SolverPass,
    SolverResult,
    fastica_symmetric,
    logcosh_contrast,
)
from icaxes.decompose.whitening import CHUNK_ROWS, Whitening, apply_affine, fit_whitening
from icaxes.errors import ConvergenceWarning, InputError
from icaxes.io.embeddings import check_fit_matrix
from icaxes.params import (
    BOOL,
    MAX_ITER,
    N_COMPONENTS,
    N_INIT,
    NONE,
    SEED,
    TOL,
    InstanceOf,
    Interval,
    Options,
    validate_params,
)

#: the fitted arrays that define a transform (what a saved model stores)
FITTED_ARRAYS = ("mean_", "whitening_", "rotation_", "components_", "mixing_",
                 "skewness_", "kurtosis_", "explained_variance_", "signs_", "order_")


class _AxisTransform(ClassNamePrefixFeaturesOutMixin, TransformerMixin, BaseEstimator):
    """Shared fit/transform logic; subclasses only choose the rotation."""

    #: every parameter and the values it accepts (see :mod:`icaxes.params`)
    _parameter_constraints: ClassVar[dict[str, list[Any]]] = {}

    def _rotate(self, pass_: SolverPass, k: int, start_signs: np.ndarray,
                rows: np.ndarray | None) -> tuple[np.ndarray, SolverResult | None]:  # pragma: no cover
        """The rotation ``R`` (sources ``Z @ R``) of the ``k`` whitened columns, solved with ``pass_``.

        ``start_signs`` are the signs of the whitening's eigenvectors' first entries, ``rows`` the
        whitened rows when they are in memory (else None).
        """
        raise NotImplementedError

    def _open_pass(self, Z: np.ndarray) -> SolverPass:
        """The solver's pass over whitened rows in memory."""
        return NumpyPass(Z)

    def _sort_by_skewness(self) -> bool:
        return True

    def fit(self, X: Any, y: Any = None) -> _AxisTransform:
        """Fit the transform on the rows of ``X``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Training rows (n_samples >= n_features). A Dask array is fitted on its cluster
            (covariance and solver passes as map-reduce over its chunks).
        y : None
            Ignored.

        Returns
        -------
        self
        """
        self._fit(X)
        return self

    def fit_transform(self, X: Any, y: Any = None, **fit_params: Any) -> Any:
        """Fit on ``X`` and return its components.

        The same values as ``fit(X).transform(X)`` up to rounding in the input's precision,
        without a second pass over ``X``: the fit rotates its whitened working copy in place
        and returns it, so the peak memory is ``X`` plus one copy.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Training rows; a Dask array gives a Dask array back.
        y : None
            Ignored.

        Returns
        -------
        ndarray of shape (n_samples, n_components)
            float32 for float32 input, else float64.
        """
        S = self._fit(X)
        return self.transform(X) if S is None else S  # Dask: blockwise transform on the cluster

    def _fit(self, X: Any) -> np.ndarray | None:
        """Fit the attributes; return the training rows' components (None for a Dask array).

        The components are the whitened working copy, rotated in place chunk by chunk.
        """
        validate_params(self)  # before any work
        if _is_dask(X):
            self._check_dask()
            from icaxes.decompose.dask import DaskPass, source_moments_dask, whiten_dask

            white, Zd = whiten_dask(X, self.n_components)
            self.n_features_in_ = int(X.shape[1])
            self._fit_with(white, DaskPass(Zd), lambda R: source_moments_dask(Zd, R))
            return None
        device = getattr(self, "device", None)  # ICA's only
        if device is not None:
            from icaxes.decompose.torch_pass import check_device

            check_device(device)
        X = validate_data(self, X, dtype=[np.float64, np.float32], ensure_min_samples=2,
                          copy=False, reset=True)
        check_fit_matrix(X, what="X")
        white = fit_whitening(X, self.n_components)
        work_dtype = np.float32 if X.dtype == np.float32 else np.float64
        Z = apply_affine(X, white.mean, white.matrix, out_dtype=work_dtype)
        self._fit_with(white, self._open_pass(Z), lambda R: _rotate_in_place(Z, R), rows=Z)
        # the fitted signs and order, column by column (no second GEMM)
        flip = self.signs_[self.order_].astype(work_dtype)
        for start in range(0, Z.shape[0], CHUNK_ROWS):
            part = Z[start : start + CHUNK_ROWS]
            part[...] = part[:, self.order_] * flip
        return Z

    def _check_dask(self) -> None:
        """Refuse the parameters that need the rows in memory."""
        if getattr(self, "n_init", 1) > 1:
            raise InputError("n_init > 1 applies to in-memory arrays (the starts are ranked on the "
                             "rows in memory); fit a Dask array with n_init=1")
        if getattr(self, "device", None) is not None:
            raise InputError("device (--device) applies to in-memory arrays; a Dask array is "
                             "solved on its cluster (leave device unset)")

    def _fit_with(self, white: Whitening, pass_: SolverPass,
                  moments: Callable[[np.ndarray], tuple[np.ndarray, np.ndarray]],
                  rows: np.ndarray | None = None) -> None:
        """The one fit template: solve the rotation with ``pass_``, take the sources' moments, store.

        ``pass_`` (a :class:`~icaxes.decompose.solver.SolverPass`) is closed here whatever
        happens; ``moments(R)`` returns the third and fourth raw moments of the sources
        ``Z @ R``; ``rows`` are the whitened rows when they are in memory.
        """
        start_signs = np.where(white.eigenvectors[0] < 0, -1.0, 1.0)
        try:
            R, result = self._rotate(pass_, white.matrix.shape[0], start_signs, rows)
            m3, m4 = moments(R)
        finally:
            pass_.close()
        self._set_fitted(white, R, result, m3, m4)

    def _set_fitted(self, white: Whitening, R: np.ndarray, result: SolverResult | None, m3: np.ndarray,
                    m4: np.ndarray) -> _AxisTransform:
        """Flip axes to positive skewness, order them and store the fitted attributes.

        ``m3`` and ``m4`` are the third and fourth raw moments of the sources ``Z @ R``.
        """
        signs = np.where(m3 < 0, -1.0, 1.0)
        skew = m3 * signs
        if self._sort_by_skewness():
            order = np.argsort(-skew, kind="stable")
        else:
            order = np.arange(skew.size)
        R = (R * signs)[:, order]
        self.kurtosis_ = m4[order] - 3.0
        self.mean_ = white.mean
        self.whitening_ = white.matrix
        self.explained_variance_ = white.eigenvalues
        self.rotation_ = R
        self.signs_ = signs
        self.order_ = order
        self.skewness_ = skew[order]
        self.components_ = R.T @ white.matrix  # (k, d): S = (X - mean) @ components_.T
        self.mixing_ = white.dewhitening @ R  # (d, k): X = S @ mixing_.T + mean
        self._n_features_out = R.shape[1]
        if result is not None:
            self.n_iter_ = result.n_iter
            self.change_ = result.change
            self.converged_ = result.converged
        else:
            self.n_iter_, self.change_, self.converged_ = 0, 0.0, True
        return self

    def transform(self, X: Any) -> np.ndarray:
        """Project rows onto the fitted axes.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        ndarray of shape (n_samples, n_components)
            Components (ICA sources or PCA scores), unit variance on the training rows;
            float32 for float32 input, else float64.
        """
        check_is_fitted(self, "components_")
        if _is_dask(X):
            from icaxes.decompose.dask import transform_dask

            return transform_dask(self, X)
        X = validate_data(self, X, dtype=[np.float64, np.float32], reset=False, copy=False)
        return apply_affine(X, self.mean_, self.components_, out_dtype=X.dtype)

    def inverse_transform(self, S: Any) -> np.ndarray:
        """Map components back to the input space: ``S @ mixing_.T + mean_``."""
        check_is_fitted(self, "components_")
        S = np.asarray(S)
        if S.ndim != 2 or S.shape[1] != self.components_.shape[0]:
            from icaxes.errors import DimensionMismatchError

            raise DimensionMismatchError(
                f"inverse_transform expects {self.components_.shape[0]} columns, got shape {S.shape}"
            )
        out_dtype = S.dtype if S.dtype in (np.float32, np.float64) else np.float64
        return (np.asarray(S, dtype=np.float64) @ self.mixing_.T + self.mean_).astype(out_dtype)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.transformer_tags.preserves_dtype = ["float64", "float32"]
        return tags


class ICA(_AxisTransform):
    """Independent Component Analysis of embeddings, as in Yamagiwa et al. (2023).

    Centre, PCA-whiten (all components by default), rotate with symmetric FastICA
    (contrast log cosh), make every axis positively skewed and order axes by skewness.

    Parameters
    ----------
    random_state : int, RandomState or None
        Seed of the starting rotation. The same seed gives the same axes, and the same
        start as scikit-learn's ``FastICA(random_state=seed)``, hence its solution.
    n_components : int or float, optional
        Number of whitened components kept (default: all ``n_features``); a float in (0, 1)
        keeps the fewest leading principal components that explain that fraction of the
        variance, like scikit-learn's ``PCA(0.95)``.
    max_iter : int, default :data:`~icaxes.params.MAX_ITER` (10000)
        Maximum solver iterations (the paper's setting).
    tol : float, default :data:`~icaxes.params.TOL` (1e-10)
        Convergence tolerance on ``max_i |1 - |cos(w_i, w_i')||`` between successive
        unmixing rows (the paper's setting; scikit-learn's default 1e-4 stops far from
        the solution on real embeddings).
    progress : bool, default False
        Show a progress bar while solving.
    solver : {"lbfgs", "fixed-point"}, default "lbfgs"
        ``"lbfgs"``: FastICA steps, then L-BFGS on the orthogonal group (fast; reaches a
        FastICA fixed point, usually scikit-learn's). ``"fixed-point"``: plain FastICA steps
        only, scikit-learn's steps (slower; at 50 dimensions its path step for step, same
        iterations and fixed point; at 300 and more float32 rounding can take it elsewhere).
        Both stop on the same criterion.
    device : str, optional
        A PyTorch device (``"cuda"``, ``"cuda:1"``, ...) to run the solver's passes over the
        data on (``pip install 'icaxes[torch]'``, with a CUDA build of PyTorch for a GPU). The
        whitened rows are copied there once; the solver, its criterion and the result are the
        same. Default: the CPU, with icaxes' own fused pass (faster there than PyTorch's).
    n_init : int, default :data:`~icaxes.params.N_INIT` (1)
        Number of starts. The first is the one ``n_init=1`` uses (scikit-learn's for the same
        seed); the others are the next standard normal draws of the same random state. Each
        start is solved to ``tol`` and the one with the largest contrast
        ``mean_i (E[log cosh s_i] - E[log cosh nu])^2`` (``nu`` standard normal: FastICA's
        negentropy approximation) is kept, among the converged starts when any converged.
        FastICA has several nearby optima on real embeddings; more starts find the better
        one at ``n_init`` times the cost. ``n_init=1`` computes no contrast.

    Attributes
    ----------
    components_ : ndarray of shape (n_components, n_features)
        Unmixing matrix including whitening, signs and order:
        ``S = (X - mean_) @ components_.T``.
    mixing_ : ndarray of shape (n_features, n_components)
        ``X ~= S @ mixing_.T + mean_``.
    mean_ : ndarray of shape (n_features,)
    whitening_ : ndarray of shape (n_components, n_features)
        PCA whitening matrix (before rotation).
    rotation_ : ndarray of shape (n_components, n_components)
        Orthogonal rotation with signs and order applied: ``S = Z @ rotation_``.
    skewness_, kurtosis_ : ndarray of shape (n_components,)
        Skewness (>= 0, decreasing) and excess kurtosis of each axis on the training rows.
    n_iter_ : int
    change_ : float
        Final value of the convergence criterion.
    converged_ : bool
        The kept start's iterations, final change and convergence.
    best_init_ : int
        Index of the kept start (0 with ``n_init=1``).
    init_contrasts_ : ndarray of shape (n_init,) or None
        Contrast of every start's solution (see ``n_init``); None with ``n_init=1``.
    init_n_iter_ : ndarray of shape (n_init,)
        Iterations of every start.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> X = rng.laplace(size=(2000, 3)) @ rng.normal(size=(3, 3))
    >>> S = ICA(random_state=0).fit_transform(X)
    >>> S.shape
    (2000, 3)
    """

    _parameter_constraints: ClassVar[dict[str, list[Any]]] = {
        "random_state": SEED,
        "n_components": N_COMPONENTS,
        "max_iter": [Interval(int, 1, None)],
        "tol": [Interval(float, 0, None)],
        "progress": [BOOL],
        "solver": [Options(METHODS)],
        "device": [NONE, InstanceOf(str, "a PyTorch device name such as 'cuda'")],
        "n_init": [Interval(int, 1, None)],
    }

    def __init__(self, random_state: Any = None, *, n_components: int | float | None = None,
                 max_iter: int = MAX_ITER, tol: float = TOL, progress: bool = False,
                 solver: str = "lbfgs", device: str | None = None, n_init: int = N_INIT) -> None:
        self.random_state = random_state
        self.n_components = n_components
        self.max_iter = max_iter
        self.tol = tol
        self.progress = progress
        self.solver = solver
        self.device = device
        self.n_init = n_init

    def _w_inits(self, k: int, start_signs: np.ndarray | None = None) -> list[np.ndarray]:
        # scikit-learn's starting point for the same seed (a standard normal k x k matrix
        # from RandomState(seed), decorrelated by the solver), with columns flipped where
        # our whitening's eigenvector signs differ from scikit-learn's (first entry positive):
        # FastICA has several fixed points on real embeddings, so the same start is what
        # makes ICA(random_state=s) land on FastICA(random_state=s)'s solution. Further
        # starts (n_init > 1) are the next draws of the same random state.
        rng = check_random_state(self.random_state)
        starts = []
        for _ in range(self.n_init):
            w = rng.normal(size=(k, k))
            starts.append(w if start_signs is None or start_signs.shape != (k,) else w * start_signs)
        return starts

    def _open_pass(self, Z: np.ndarray) -> SolverPass:
        if self.device is None:
            return NumpyPass(Z)
        from icaxes.decompose.torch_pass import TorchPass

        return TorchPass(Z, self.device)

    def _rotate(self, pass_: SolverPass, k: int, start_signs: np.ndarray,
                rows: np.ndarray | None) -> tuple[np.ndarray, SolverResult]:
        results = []
        for w_init in self._w_inits(k, start_signs):
            callback, close = _progress_callback(self.progress, self.max_iter, self.tol)
            try:
                results.append(fastica_symmetric(
                    rows, w_init=w_init, max_iter=self.max_iter, tol=self.tol, callback=callback,
                    pass_=pass_, method=self.solver))
            finally:
                close()
        self.init_n_iter_ = np.array([r.n_iter for r in results])
        if len(results) == 1:
            self.best_init_, self.init_contrasts_ = 0, None
        else:
            # the largest contrast among the converged starts (all of them if none converged);
            # the first of equals
            contrasts = np.array([np.mean(logcosh_contrast(rows, r.unmixing)) for r in results])
            eligible = [i for i, r in enumerate(results) if r.converged] or list(range(len(results)))
            self.best_init_ = int(max(eligible, key=lambda i: (contrasts[i], -i)))
            self.init_contrasts_ = contrasts
        result = results[self.best_init_]
        if not result.converged:
            warnings.warn(
                f"ICA did not converge: change {result.change:.2e} > tol {self.tol:.0e} after "
                f"{result.n_iter} iterations; raise max_iter, or treat the weakest axes as unstable",
                ConvergenceWarning, stacklevel=4,
            )
        return result.unmixing.T, result


class PCA(_AxisTransform):
    """PCA baseline post-processed like :class:`ICA` (whitened, positive skew, sorted by skewness).

    Parameters
    ----------
    n_components : int or float, optional
        Number of principal components kept (default: all); a float in (0, 1) keeps the
        fewest that explain that fraction of the variance.
    order : {"skewness", "variance"}, default "skewness"
        Order of the axes: by skewness like ICA (the paper's comparison) or by variance.
    """

    _parameter_constraints: ClassVar[dict[str, list[Any]]] = {
        "n_components": N_COMPONENTS,
        "order": [Options(("skewness", "variance"))],
    }

    def __init__(self, n_components: int | float | None = None, *, order: str = "skewness") -> None:
        self.n_components = n_components
        self.order = order

    def _rotate(self, pass_: SolverPass, k: int, start_signs: np.ndarray,
                rows: np.ndarray | None) -> tuple[np.ndarray, None]:
        return np.eye(k), None

    def _sort_by_skewness(self) -> bool:
        return self.order == "skewness"


def save_estimator_arrays(est: _AxisTransform, folder: Path) -> dict[str, Any]:
    """Write ``folder/transform.npz`` (the fitted arrays) and return the JSON-able rest.

    The returned dict (estimator class, parameters, convergence) goes into the folder's
    metadata file; :func:`load_estimator` takes both back.
    """
    np.savez(folder / "transform.npz", **{name: getattr(est, name) for name in FITTED_ARRAYS})
    return {
        "estimator": type(est).__name__,
        "params": {k: v for k, v in est.get_params().items()
                   if v is None or isinstance(v, (bool, int, float, str))},
        "n_features_in": int(est.n_features_in_),
        "n_iter": int(est.n_iter_),
        "change": float(est.change_),
        "converged": bool(est.converged_),
    }


def load_estimator(folder: Path, meta: dict[str, Any] | None = None) -> _AxisTransform:
    """Rebuild a fitted estimator from ``folder/transform.npz`` and its metadata dict (read from
    the folder if not given), both checked against the model format first
    (:mod:`icaxes.io.model_format`; a deviation raises :class:`~icaxes.errors.ModelFormatError`)."""
    from icaxes.io.model_format import read_transform

    meta, arrays = read_transform(folder, meta)
    return estimator_from_arrays(meta, arrays, folder)


def estimator_from_arrays(meta: dict[str, Any], arrays: dict[str, np.ndarray],
                          folder: Path | str = "") -> _AxisTransform:
    """A fitted estimator from checked metadata and arrays (see :func:`load_estimator`)."""
    from icaxes.errors import ModelFormatError

    cls = {"ICA": ICA, "PCA": PCA}[meta["estimator"]]
    try:
        est = cls(**meta["params"])
    except (TypeError, ValueError) as exc:
        raise ModelFormatError(f"{folder}: the saved {meta['estimator']} parameters are not valid "
                               f"({exc}); refit the model") from None
    for name in FITTED_ARRAYS:
        setattr(est, name, arrays[name])
    est.n_features_in_ = int(meta["n_features_in"])
    est._n_features_out = est.components_.shape[0]
    est.n_iter_, est.change_, est.converged_ = meta["n_iter"], meta["change"], meta["converged"]
    return est


def _rotate_in_place(Z: np.ndarray, R: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Rotate ``Z`` into the sources ``Z @ R`` in place; return their third and fourth raw moments.

    Chunk by chunk, with float64 temporaries of CHUNK_ROWS rows: peak memory stays near the
    input plus ``Z``.
    """
    m3 = np.zeros(R.shape[1])
    m4 = np.zeros(R.shape[1])
    Rw = R.astype(Z.dtype)
    for start in range(0, Z.shape[0], CHUNK_ROWS):
        part = Z[start : start + CHUNK_ROWS]
        part[...] = part @ Rw
        S = np.asarray(part, dtype=np.float64)
        S2 = S * S
        m3 += np.sum(S2 * S, axis=0)
        m4 += np.sum(S2 * S2, axis=0)
    return m3 / Z.shape[0], m4 / Z.shape[0]


def _is_dask(X: Any) -> bool:
    """Whether ``X`` is a Dask array (checked without importing dask)."""
    return type(X).__module__.split(".")[0] == "dask" and hasattr(X, "chunks")


def _progress_callback(enabled: bool, max_iter: int, tol: float):
    if not enabled:
        return None, lambda: None
    from icaxes.progress import ProgressBar

    bar = ProgressBar("ICA", detail="iter {task.completed}  change {task.fields[change]:.1e} "
                      "(tol {task.fields[tol]:.0e})", change=float("nan"), tol=tol)

    def callback(it: int, change: float) -> None:
        bar.update(completed=it, change=change)

    return callback, bar.close
