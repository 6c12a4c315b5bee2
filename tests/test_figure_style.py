"""Universality and evaluation figures: the one icaxes figure style, matplotlib's settings left alone."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from PIL import Image

from icaxes.model import load_model
from icaxes.universal import figures
from icaxes.universal.matching import match_many
from icaxes.universal.pairs import same_token_pairs
from icaxes.universal.pipeline import (
    Comparison,
    ComparisonResult,
    EmbeddingSpec,
    Fitted,
    PairResult,
    match_models,
)
from icaxes.viz.fonts import DPI, pyplot


@pytest.fixture(scope="module")
def comparison(glove_model_dir):
    """GloVe's ICA and PCA models compared with themselves over their shared tokens."""
    ica, pca = load_model(glove_model_dir, "ica"), load_model(glove_model_dir, "pca")
    fitted = Fitted(EmbeddingSpec("glove", "glove-6b-50d", "en"), None, ica, pca)
    pairs = same_token_pairs(ica, ica, limit=5000)
    pr = PairResult("copy", pairs, match_models(ica, ica, pairs), match_models(pca, pca, pairs))
    comp = Comparison("self", "glove", ["copy"], "same")
    multi_ica = match_many({"copy": pr.ica}, ica.n_axes)
    multi_pca = match_many({"copy": pr.pca}, pca.n_axes)
    return ComparisonResult(comp, fitted, {"copy": fitted}, {"copy": pr}, multi_ica, multi_pca)


def test_universality_figures_leave_rcparams_unchanged(comparison, tmp_path):
    import matplotlib

    pyplot()  # the backend switch itself is not the figures' doing
    before = dict(matplotlib.rcParams)
    with warnings.catch_warnings():
        warnings.simplefilter("error", UserWarning)  # missing glyphs, layout problems
        paths = figures.matched_curves(comparison, tmp_path / "matched")
        paths += figures.merged_heatmap(comparison, tmp_path / "merged", n_axes=5)
        paths += figures.correlation_heatmaps(comparison, "copy", tmp_path / "corr", n_axes=10)
        paths += figures.projection_plot(comparison, "copy", tmp_path / "proj", n_axes=4)
    after = dict(matplotlib.rcParams)
    changed = sorted(k for k in before if np.any(before[k] != after[k]))
    assert changed == []
    assert sorted(p.name for p in paths) == sorted(
        f"{b}.{e}" for b in ("matched", "merged", "corr", "proj") for e in ("png", "svg"))
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(p.name for p in paths)


def test_universality_figures_are_drawn_in_the_icaxes_style(comparison, tmp_path):
    (png,) = (p for p in figures.matched_curves(comparison, tmp_path / "m") if p.suffix == ".png")
    with Image.open(png) as im:
        dpi = im.info["dpi"]
    # the shared style's resolution (the old private style saved at 150 dpi)
    assert round(dpi[0]) == DPI


def test_evaluation_figures_use_the_same_style_and_leave_rcparams_unchanged(tmp_path):
    import matplotlib
    import pandas as pd

    from icaxes.evaluate.run import stability_figure

    pyplot()
    before = dict(matplotlib.rcParams)
    df = pd.DataFrame({"axis": range(4), "stability": [0.99, 0.97, 0.6, 0.3],
                       "worst refit": [0.98, 0.95, 0.4, 0.2], "unstable": [False, False, True, True]})
    paths = stability_figure(df, 0.9, tmp_path)
    after = dict(matplotlib.rcParams)
    assert sorted(k for k in before if np.any(before[k] != after[k])) == []
    assert sorted(p.name for p in paths) == ["eval-stability.png", "eval-stability.svg"]
    with Image.open(tmp_path / "eval-stability.png") as im:
        assert round(im.info["dpi"][0]) == DPI
