"""Fitting has one home: :func:`fit_models` fits ICA and the PCA baseline of one embedding.

Every command that fits a whole embedding goes through it: ``icaxes fit`` and ``icaxes demo``
(:func:`fit_source`, which also reads the source and writes the model folder),
``icaxes evaluate`` (:func:`icaxes.evaluate.run.fitted_models`) and ``icaxes universal``
(:func:`icaxes.universal.pipeline.fit_embedding`). :class:`FitSettings` holds the recipe.

With ``cache=True`` the fitted folder is kept in the user cache (:mod:`icaxes.io.cache`)
under one key rule, :func:`fit_key`: the source, its package or encoder version (and, for a
file, its size and time), the limit, the rows and columns fitted, the row selection, every
setting of the recipe, :data:`RECIPE_VERSION` and
:data:`icaxes.decompose.solver.SOLVER_VERSION`. One invalidation rule goes with it: a cached
fit whose tokens differ from the embedding's, or that does not read, is fitted again.
"""

from __future__ import annotations

import os
import warnings
from collections import Counter
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

import icaxes.model as _model  # fit_ica / fit_pca are looked up at call time
from icaxes.decompose.estimator import ICA, PCA
from icaxes.errors import ConvergenceWarning, IcaxesError, ModelFormatError
from icaxes.io.atomic import check_output_dir
from icaxes.io.embeddings import Embeddings
from icaxes.io.filters import DEFAULT_SELECTION, RowSelection
from icaxes.io.model_format import ModelFolder
from icaxes.io.sources import load_embeddings, parse_source
from icaxes.model import AxisModel
from icaxes.params import MAX_ITER, N_INIT, TOL, validate_params

#: source kinds whose rows are not words: the default row selection (content words) keeps them all
_NOT_WORDS = ("images", "glosses", "st", "contextual")
#: Bumped when the fitting recipe itself changes (what is fitted on which rows, the reductions
#: before it, the PCA baseline); changes of the ICA solver or its start point are covered by
#: :data:`icaxes.decompose.solver.SOLVER_VERSION`. Both are in every cache key.
RECIPE_VERSION = 1
#: ``fit_hit``: fits read from the cache; ``fit_miss``: fits computed
FIT_STATS: Counter = Counter()


@dataclass(frozen=True)
class FitSettings:
    """The recipe of one fit of ICA and PCA (every field is part of the cache key).

    Parameters
    ----------
    n_components : int or float, optional
        Whitened components kept in both models (default: all; a float in (0, 1): a fraction
        of the variance).
    seed : int or None, default 0
        Seed of ICA's starting rotation.
    max_iter, tol, solver, device : see :class:`~icaxes.ICA`.
    n_init : int, default 1
        ICA's starts; the one with the largest contrast is kept (see :func:`~icaxes.model.fit_ica`).
    select : RowSelection, optional
        The rows both models are fitted on and read from (default: every row).
    max_dim : int, optional
        First project wider embeddings on their leading ``max_dim`` principal components
        (:func:`reduce_dimension`).
    drop_constant : bool, default False
        First drop columns that never vary (:meth:`~icaxes.io.embeddings.Embeddings.drop_constant_columns`).
    at_most_columns : bool, default False
        An ``n_components`` above the usable columns keeps them all instead of raising.
    """

    n_components: int | float | None = None
    seed: int | None = 0
    max_iter: int = MAX_ITER
    tol: float = TOL
    solver: str = "lbfgs"
    device: str | None = None
    n_init: int = N_INIT
    select: RowSelection | None = None
    max_dim: int | None = None
    drop_constant: bool = False
    at_most_columns: bool = False

    def validate(self) -> None:
        """Check the estimator parameters (before a possibly long load)."""
        validate_params(ICA(random_state=self.seed, n_components=self.n_components,
                            max_iter=self.max_iter, tol=self.tol, solver=self.solver, device=self.device,
                            n_init=self.n_init))
        validate_params(PCA(n_components=self.n_components))

    def to_dict(self) -> dict[str, Any]:
        """JSON-able settings (the selection as :meth:`RowSelection.to_dict`)."""
        out = asdict(self)
        out["select"] = None if self.select is None else self.select.to_dict()
        return out


@dataclass
class FitResult:
    """ICA and PCA models of one embedding.

    Attributes
    ----------
    ica, pca : AxisModel
    emb : Embeddings or None
        The rows the models were fitted on, after the recipe's reductions.
    converged : bool
        Whether ICA converged.
    notes : list of str
        What the fit changed or met (dropped columns, convergence warnings when recorded).
    cached : bool
        Whether the models were read from the cache.
    """

    ica: AxisModel
    pca: AxisModel
    emb: Embeddings | None = None
    converged: bool = True
    notes: list[str] = field(default_factory=list)
    cached: bool = False


def reduce_dimension(emb: Embeddings, dim: int) -> Embeddings:
    """The embeddings projected on their first ``dim`` principal axes (unchanged if not wider)."""
    import numpy as np

    from icaxes.decompose.whitening import principal_projection

    if emb.dim <= dim:
        return emb
    meta = dict(emb.metadata, reduced=f"first {dim} principal components of {emb.dim}")
    Y = principal_projection(emb.vectors, dim).astype(np.float32)
    return Embeddings(list(emb.tokens), Y, emb.frequencies, meta)


def _source_identity(source: str) -> dict[str, Any]:
    """What identifies a source's contents beyond its name: encoder version, file size and time."""
    try:
        spec = parse_source(source)
    except IcaxesError:
        return {"source_version": "unknown"}
    out: dict[str, Any] = {"source_version": spec.version}
    if spec.kind in ("file", "model2vec") and spec.path is not None:
        try:
            st = os.stat(spec.path)
            out["file"] = [st.st_size, st.st_mtime_ns]
        except OSError:
            pass
    return out


def fit_key(emb: Embeddings, settings: FitSettings, *, source: str | os.PathLike[str] | None = None,
            limit: int | None = None) -> dict[str, Any]:
    """The one cache key of a fit: the source and its version, the rows, the recipe, the solver.

    ``emb`` is the embedding as fitted (after the recipe's reductions); ``source`` defaults to
    its ``metadata["source"]``.
    """
    from icaxes.decompose import solver

    src = str(source if source is not None else emb.metadata.get("source", ""))
    return {"source": src, **_source_identity(src), "package": emb.metadata.get("package"),
            "limit": limit, "rows": len(emb), "dim": emb.dim, **settings.to_dict(),
            "recipe": RECIPE_VERSION, "solver_version": solver.SOLVER_VERSION}


def _effective_components(emb: Embeddings, settings: FitSettings) -> int | float | None:
    k = settings.n_components
    if settings.at_most_columns and k is not None and float(k).is_integer():
        return min(int(k), emb.dim)
    return k


def _cached(folder: ModelFolder, emb: Embeddings) -> tuple[AxisModel, AxisModel, list[str]] | None:
    """The cached models when they read and hold the embedding's tokens (else None: refit)."""
    if folder.methods != ("ica", "pca"):
        return None
    try:
        ica, pca = folder.load("ica", mmap=False), folder.load("pca", mmap=False)
        run = folder.run() or {}
    except ModelFormatError:
        return None  # a damaged entry of icaxes' own cache: fitted again
    tokens = list(emb.tokens)
    if list(ica.tokens) != tokens or list(pca.tokens) != tokens:
        return None  # the source's rows changed (new package version, new word choice)
    notes = run.get("notes")
    return ica, pca, [str(n) for n in notes] if isinstance(notes, list) else []


def fit_models(emb: Embeddings, settings: FitSettings | None = None, *, cache: bool = False,
               source: str | os.PathLike[str] | None = None, limit: int | None = None,
               progress: bool = False, record_convergence: bool = False) -> FitResult:
    """Fit ICA and the PCA baseline of one embedding: the one fit path of icaxes.

    Parameters
    ----------
    emb : Embeddings
    settings : FitSettings, optional
        The recipe (default: :class:`FitSettings` ()).
    cache : bool, default False
        Read the models from the user cache when an entry of the same :func:`fit_key` holds
        the embedding's tokens; otherwise fit and keep them there.
    source, limit : optional
        The source string and row limit the embedding was read with (part of the key).
    progress : bool
        Show ICA's progress bar.
    record_convergence : bool, default False
        Record ICA's :class:`~icaxes.errors.ConvergenceWarning` in :attr:`FitResult.notes`
        instead of emitting it (a study that reports convergence per embedding).

    Returns
    -------
    FitResult
    """
    settings = settings if settings is not None else FitSettings()
    notes: list[str] = []
    if settings.drop_constant:
        emb = emb.drop_constant_columns()
        dropped = len(emb.metadata.get("constant_columns_dropped", []))
        if dropped:
            notes.append(f"dropped {dropped} constant column(s) before fitting")
    if settings.max_dim is not None:
        emb = reduce_dimension(emb, settings.max_dim)
    k = _effective_components(emb, settings)
    settings_used = settings if k == settings.n_components else replace(settings, n_components=k)
    folder = None
    if cache:
        from icaxes.io.cache import cache_path

        key = fit_key(emb, settings_used, source=source, limit=limit)
        folder = ModelFolder(cache_path("fits", "", **key))
        hit = _cached(folder, emb)
        if hit is not None:
            FIT_STATS["fit_hit"] += 1
            ica, pca, saved_notes = hit
            return FitResult(ica, pca, emb, bool(ica.transform.converged_), notes + saved_notes, True)
    fit_args = {"seed": settings.seed, "max_iter": settings.max_iter, "tol": settings.tol,
                "n_components": k, "progress": progress, "solver": settings.solver,
                "device": settings.device, "n_init": settings.n_init, "select": settings.select}
    fit_notes: list[str] = []
    if record_convergence:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", ConvergenceWarning)
            ica = _model.fit_ica(emb, **fit_args)
        for w in caught:
            if issubclass(w.category, ConvergenceWarning):
                fit_notes.append(str(w.message))
            else:  # only convergence is recorded; anything else reaches the caller as before
                warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)
    else:
        ica = _model.fit_ica(emb, **fit_args)
    pca = _model.fit_pca(emb, n_components=k, select=settings.select)
    FIT_STATS["fit_miss"] += 1
    if folder is not None:  # icaxes' own cache folder
        folder.save({"ica": ica, "pca": pca}, run={"key": key, "notes": fit_notes}, force=True)
    return FitResult(ica, pca, emb, bool(ica.transform.converged_), notes + fit_notes, False)


def fit_source(source: str, output: str | Path | None = None, *, limit: int | None = None,
               seed: int = 0, lowercase: bool = False, dedupe: bool = False,
               token_filter: str | None = None, tokens_path: Any = None, max_iter: int = MAX_ITER,
               tol: float = TOL, progress: bool = False, format: str | None = None,
               clean: bool | None = None, solver: str = "lbfgs",
               n_components: int | float | None = None, device: str | None = None,
               allow_pickle: bool = False, force: bool = False,
               select: RowSelection | None = DEFAULT_SELECTION, cache: bool = False,
               n_init: int = N_INIT) -> FitResult:
    """Load ``source``, fit ICA and PCA (:func:`fit_models`), and (if ``output`` is given) save
    ``output/ica``, ``output/pca`` and ``output/run.json``.

    ``select`` chooses the rows both models are fitted on and read from (default: the 50,000
    most frequent content words, see :class:`~icaxes.io.filters.RowSelection`; None fits
    and reads every row); every token of the source gets its components either way.
    ``n_components`` keeps that many whitened (principal) components in both models
    (default: all). ``device`` runs the ICA solver's passes on a PyTorch device (see
    :class:`~icaxes.ICA`); ``n_init`` solves from that many starts and keeps the best (see
    :func:`~icaxes.model.fit_ica`). ``allow_pickle`` lets gensim files be unpickled (see
    :func:`~icaxes.load_embeddings`). ``cache`` reads the models from, or keeps them in, the
    user cache (see :func:`fit_models`). The output folder (written by
    :class:`~icaxes.io.model_format.ModelFolder`) appears only when both models are complete;
    an existing one is replaced only if icaxes wrote it, or with ``force`` (see
    :mod:`icaxes.io.atomic`), and never one holding the input.
    """
    # the parameters are checked before the (possibly long) load
    FitSettings(n_components=n_components, seed=seed, max_iter=max_iter, tol=tol, solver=solver,
                device=device, n_init=n_init).validate()
    inputs = [source, tokens_path]
    if output is not None:
        check_output_dir(output, inputs=inputs, force=force)
    if device is not None:  # before the (possibly long) load
        from icaxes.decompose.torch_pass import check_device

        check_device(device)
    emb = load_embeddings(source, limit=limit, lowercase=lowercase, dedupe=dedupe,
                          token_filter=token_filter, tokens_path=tokens_path, format=format, clean=clean,
                          allow_pickle=allow_pickle, progress=progress)
    if select == DEFAULT_SELECTION and parse_source(source).kind in _NOT_WORDS:
        select = None  # images, gloss ids and free texts are not words: fit on and show every row
    settings = FitSettings(n_components=n_components, seed=seed, max_iter=max_iter, tol=tol,
                           solver=solver, device=device, n_init=n_init, select=select)
    result = fit_models(emb, settings, cache=cache, source=source, limit=limit, progress=progress)
    if output is not None:
        ModelFolder(output).save(
            {"ica": result.ica, "pca": result.pca},
            run={"source": str(source), "limit": limit, "seed": seed, "lowercase": lowercase,
                 "dedupe": dedupe, "filter": token_filter, "clean": clean, "max_iter": max_iter,
                 "tol": tol, "solver": solver, "n_components": n_components, "device": device,
                 "n_init": n_init,
                 "select": None if select is None else select.to_dict()},
            force=force, inputs=inputs)
    return result
