"""Assemble the self-contained explorer page: one HTML file with its script, style and data inline."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Sequence
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

from icaxes.explorer.data import ModelsLike, PageLimits, PairsLike, explorer_data
from icaxes.io.atomic import atomic_file

#: the template's placeholders, each filled once (see :func:`render_page`)
_MARKERS = ("ICAXES_TITLE", "/*ICAXES_STYLE*/", "/*ICAXES_SCRIPT*/", "ICAXES_DATA")
_MARKER = re.compile("|".join(re.escape(m) for m in _MARKERS))


@cache
def _asset(name: str) -> str:
    return resources.files("icaxes.explorer").joinpath("static", name).read_text(encoding="utf-8")


def embed_json(data: Any) -> str:
    """JSON text that is safe inside ``<script type="application/json">``.

    Every ``<``, ``>`` and ``&`` becomes a ``\\u`` escape, so no token can close the script
    element (``</script>``) or open a comment (``<!--``); ``JSON.parse`` restores them.
    """
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    return (text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
            .replace("\u2028", "\\u2028").replace("\u2029", "\\u2029"))


def render_page(data: dict[str, Any], title: str = "icaxes explorer") -> str:
    """The page HTML for explorer data (see :func:`~icaxes.explorer.data.explorer_data`)."""
    import html

    page = _asset("explorer.html")
    for marker in _MARKERS:
        if page.count(marker) != 1:  # pragma: no cover - guards the packaged template
            raise RuntimeError(f"explorer template is damaged: marker {marker} not found once")
    fill = {"ICAXES_TITLE": html.escape(title), "/*ICAXES_STYLE*/": _asset("explorer.css"),
            "/*ICAXES_SCRIPT*/": _asset("explorer.js"), "ICAXES_DATA": embed_json(data)}
    # one pass over the template: what is filled in is never searched again, so a title or
    # a token that spells a marker (or "\\1", "$&") stays text
    return _MARKER.sub(lambda m: fill[m.group()], page)


def build_page(models: ModelsLike, *, limits: PageLimits | None = None, pairs: PairsLike | None = None,
               stability: Any = None, title: str | None = None, matching: str = "optimal") -> str:
    """The explorer page for ``models`` as an HTML string (see :func:`write_explorer`)."""
    data = explorer_data(models, limits=limits, pairs=pairs, stability=stability, matching=matching)
    names = ", ".join(m["name"] for m in data["models"])
    return render_page(data, title or f"icaxes explorer: {names}")


def write_explorer(models: ModelsLike, path: str | Path, *, limits: PageLimits | None = None,
                   pairs: PairsLike | None = None, stability: Any = None,
                   title: str | None = None, matching: str = "optimal") -> Path:
    """Write a self-contained explorer page for one or more fitted models.

    The page works offline from the file (no server, no network): script, style and data
    are inline. Its size is bounded whatever the vocabulary size (see
    :mod:`icaxes.explorer.data`): full components only for the most frequent tokens plus every
    axis's top tokens, top lists and histograms from the whole vocabulary.

    Parameters
    ----------
    models : list of (name, model) or dict name -> model
        Each model is an :class:`~icaxes.model.AxisModel` or ``{"ica": model, "pca": model}``
        (the page then switches between ICA and PCA). With several models the page also
        shows their matched axes (the first model is the reference).
    path : path-like
        The HTML file to write; it appears only when complete.
    limits : PageLimits, optional
        Size bounds (most frequent tokens embedded, byte budget, top-list length).
    pairs : dict, optional
        ``{(name_a, name_b): [(token_a, token_b), ...]}`` or ``{(name_a, name_b): Pairs}``:
        match axes over these pairs (e.g. translations) instead of the shared tokens.
    stability : dict, optional
        ``{name: {method: per-axis stability values}}`` shown in the axis list.
    title : str, optional
        Page title.
    matching : {'optimal', 'greedy'}, default 'optimal'
        How matched axes are paired (Hungarian or the paper's greedy matching); the page
        names it.

    Returns
    -------
    Path
        ``path``.

    Examples
    --------
    >>> from icaxes import load_embeddings, fit_ica, fit_pca
    >>> emb = load_embeddings("glove-6b-50d", limit=5000)            # doctest: +SKIP
    >>> write_explorer([("glove", {"ica": fit_ica(emb), "pca": fit_pca(emb)})],
    ...                "explorer.html")                               # doctest: +SKIP
    """
    from icaxes.explorer.data import normalize_models
    from icaxes.io.atomic import check_output_file

    path = Path(path)
    # the folders the models were loaded from are inputs: never a file of theirs
    folders = [f for _, variants in normalize_models(models) for m in variants.values()
               for f in m.input_folders]
    check_output_file(path, inputs=folders, example="explorer.html")
    text = build_page(models, limits=limits, pairs=pairs, stability=stability, title=title,
                      matching=matching)
    with atomic_file(path, inputs=folders) as tmp:
        tmp.write_text(text, encoding="utf-8")
    return path


def page_of_folders(folders: Sequence[str | Path], *, limits: PageLimits | None = None,
                    pairs: str | None = None, matching: str = "optimal",
                    log: Callable[[str], None] | None = None) -> str:
    """The explorer page of model folders (what ``icaxes serve`` serves).

    Parameters
    ----------
    folders : sequence of path
        Folders from ``icaxes fit`` (or ``AxisModel.save``), read with their stability files
        (:func:`~icaxes.io.model_format.load_model_folders`); the first is the reference of
        the matched axes.
    limits : PageLimits, optional
    pairs : str, optional
        A pair spec (``same``, ``freedict:SRC-TGT``, a MUSE file) to match the axes over
        (:func:`~icaxes.explorer.data.pairs_for_models`; ``log`` receives its summaries);
        default: the tokens the models share.
    matching : {'optimal', 'greedy'}, default 'optimal'
    """
    from icaxes.explorer.data import pairs_for_models
    from icaxes.io.model_format import load_model_folders

    loaded, stability = load_model_folders([Path(f) for f in folders])
    return build_page(loaded, limits=limits, stability=stability,
                      pairs=pairs_for_models(pairs, loaded, log=log), matching=matching)


def write_explorer_of_folders(folders: Sequence[str | Path], path: str | Path, *,
                              limits: PageLimits | None = None, pairs: str | None = None,
                              matching: str = "optimal",
                              log: Callable[[str], None] | None = None) -> Path:
    """Write the explorer page of model folders to ``path`` (what ``icaxes explore`` does).

    The output is checked against the folders first (never one of them, nor a file inside
    one) and appears only when complete; the other parameters are those of
    :func:`page_of_folders`.
    """
    from icaxes.io.atomic import check_output_file

    path = Path(path)
    check_output_file(path, inputs=[Path(f) for f in folders], example="explorer.html")
    text = page_of_folders(folders, limits=limits, pairs=pairs, matching=matching, log=log)
    with atomic_file(path) as tmp:
        tmp.write_text(text, encoding="utf-8")
    return path
