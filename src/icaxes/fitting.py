"""The main job as one function: read a source, fit ICA and the PCA baseline, save both."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from icaxes.decompose.estimator import ICA, PCA
from icaxes.io.atomic import atomic_dir, check_output_dir
from icaxes.io.filters import DEFAULT_SELECTION, RowSelection
from icaxes.io.sources import load_embeddings, parse_source
from icaxes.model import AxisModel, fit_ica, fit_pca
from icaxes.params import MAX_ITER, TOL, validate_params

#: source kinds whose rows are not words: the default row selection (content words) keeps them all
_NOT_WORDS = ("images", "glosses", "st")


@dataclass
class FitResult:
    """ICA and PCA models of one source."""

    ica: AxisModel
    pca: AxisModel


def fit_source(source: str, output: str | Path | None = None, *, limit: int | None = None,
               seed: int = 0, lowercase: bool = False, dedupe: bool = False,
               token_filter: str | None = None, tokens_path: Any = None, max_iter: int = MAX_ITER,
               tol: float = TOL, progress: bool = False, format: str | None = None,
               clean: bool | None = None, solver: str = "lbfgs",
               n_components: int | float | None = None, device: str | None = None,
               allow_pickle: bool = False, force: bool = False,
               select: RowSelection | None = DEFAULT_SELECTION) -> FitResult:
    """Load ``source``, fit ICA and PCA, and (if ``output`` is given) save ``output/ica`` and ``output/pca``.

    ``select`` chooses the rows both models are fitted on and read from (default: the 50,000
    most frequent content words, see :class:`~icaxes.io.filters.RowSelection`; None fits
    and reads every row); every token of the source gets its components either way.
    ``n_components`` keeps that many whitened (principal) components in both models
    (default: all). ``device`` runs the ICA solver's passes on a PyTorch device (see
    :class:`~icaxes.ICA`). ``allow_pickle`` lets gensim files be unpickled (see
    :func:`~icaxes.load_embeddings`). The output folder appears only when both models are
    complete; an existing one is replaced only if icaxes wrote it, or with ``force`` (see
    :mod:`icaxes.io.atomic`), and never one holding the input.
    """
    # the parameters are checked before the (possibly long) load
    validate_params(ICA(random_state=seed, n_components=n_components, max_iter=max_iter, tol=tol,
                        solver=solver, device=device))
    validate_params(PCA(n_components=n_components))
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
    ica = fit_ica(emb, seed=seed, max_iter=max_iter, tol=tol, progress=progress, solver=solver,
                  n_components=n_components, device=device, select=select)
    pca = fit_pca(emb, n_components=n_components, select=select)
    if output is not None:
        with atomic_dir(output, force=force, inputs=inputs) as tmp:
            ica.save(tmp / "ica")
            pca.save(tmp / "pca")
            (tmp / "run.json").write_text(json.dumps(
                {"source": str(source), "limit": limit, "seed": seed, "lowercase": lowercase,
                 "dedupe": dedupe, "filter": token_filter, "clean": clean, "max_iter": max_iter,
                 "tol": tol, "solver": solver, "n_components": n_components, "device": device,
                 "select": None if select is None else select.to_dict()},
                indent=2), encoding="utf-8")
    return FitResult(ica, pca)

