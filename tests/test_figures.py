"""Figures on a real GloVe model: valid PNG/SVG files, the heatmap's block diagonal, fonts."""

from __future__ import annotations

import contextlib
import io
import warnings
import xml.etree.ElementTree as ET

import numpy as np
import pytest
from PIL import Image

from icaxes.cli import main
from icaxes.errors import InputError
from icaxes.io.atomic import MARKER
from icaxes.model import load_model
from icaxes.viz import (
    block_means,
    figure_style,
    heatmap_data,
    plot_heatmap,
    projection_coordinates,
    resolve_axis,
)
from icaxes.viz.fonts import available_families, save_figure


@pytest.fixture(scope="module")
def models(glove_model_dir):
    return load_model(glove_model_dir, "ica"), load_model(glove_model_dir, "pca")


@pytest.fixture(scope="module")
def figure_dir(glove_model_dir, tmp_path_factory):
    """The figures written by `icaxes figures` (the command calls :func:`write_figures`)."""
    out = tmp_path_factory.mktemp("figs") / "figs"
    log = io.StringIO()
    with warnings.catch_warnings(), contextlib.redirect_stderr(log):
        warnings.simplefilter("error", UserWarning)  # missing glyphs, layout problems
        code = main(["figures", str(glove_model_dir), "-o", str(out), "--scatter", "italian",
                     "--scatter", "cars"])
    assert code == 0
    # what the command said, for test_scatter_words_say_which_axis_they_chose
    (out.parent / "stderr.txt").write_text(log.getvalue(), encoding="utf-8")
    names = ("heatmap", "scatter", "spiky", "moments", "projection_ica", "projection_pca")
    return out, {n: sorted(out.glob(f"{n}.*")) for n in names}


def _check_png(path, min_size=(700, 500)):
    with Image.open(path) as im:
        im.verify()
    with Image.open(path) as im:
        assert im.format == "PNG"
        assert im.size[0] >= min_size[0] and im.size[1] >= min_size[1], im.size
        px = np.asarray(im.convert("L"), dtype=np.float64)
    # drawn content: a good share of pixels are not background white
    assert (px < 200).mean() > 0.01, path
    assert px.std() > 10, path


def test_every_figure_is_a_valid_png_and_svg(figure_dir):
    out, paths = figure_dir
    # the 12 figures and the marker that makes it an icaxes output folder
    assert len([p for p in out.iterdir() if p.name != MARKER]) == 12 and (out / MARKER).is_file()
    for name, written in paths.items():
        assert sorted(p.suffix for p in written) == [".png", ".svg"], name
        png = next(p for p in written if p.suffix == ".png")
        svg = next(p for p in written if p.suffix == ".svg")
        _check_png(png)
        root = ET.parse(svg).getroot()
        assert root.tag.endswith("svg")
        assert len(list(root.iter())) > 50, name
    # 200 dpi: a 6.2-inch-wide scatter is at least 1000 pixels wide
    with Image.open(out / "scatter.png") as im:
        assert im.size[0] > 1000
    # nothing temporary left next to the figures
    assert not [p for p in out.iterdir() if p.name.startswith(".") and p.name != MARKER]


def test_heatmap_is_block_diagonal_for_ica_not_pca(models):
    ica, pca = models
    M, tokens, axes = heatmap_data(ica, n_axes=10, top=5)
    assert M.shape == (50, 10) and axes == list(range(10)) and len(tokens) == 50
    # rows are the top tokens of each axis, in order
    assert tokens[:5] == ica.top_tokens(0, 5)
    np.testing.assert_allclose(M[0], ica.normalized[ica.index[tokens[0]], :10], rtol=1e-6)
    diag, off = block_means(M, 5)
    assert diag > 0.6 and abs(off) < 0.1, (diag, off)
    # every ICA block is the brightest entry of its rows
    assert (np.argmax(M, axis=1) == np.repeat(np.arange(10), 5)).mean() >= 0.95
    pdiag, _ = block_means(heatmap_data(pca, 10, 5)[0], 5)
    assert diag > pdiag + 0.15, (diag, pdiag)


def test_resolve_axis_by_number_token_and_label(models):
    ica, _ = models
    assert resolve_axis(ica, 3) == 3 and resolve_axis(ica, "3") == 3
    italian = resolve_axis(ica, "italian")
    assert italian == int(np.argmax(ica.normalized[ica.index["italian"]]))
    first = ica.top_tokens(5, 1)[0]
    assert resolve_axis(ica, first) == 5
    with pytest.raises(InputError, match="no axis matches"):
        resolve_axis(ica, "zzqqxxv-no-such-thing")
    with pytest.raises(InputError, match="out of range"):
        resolve_axis(ica, ica.n_axes)


def test_projection_puts_each_axis_top_tokens_on_its_spoke(models):
    ica, _ = models
    K = 6
    P = projection_coordinates(ica, K)
    theta = 2 * np.pi * np.arange(K) / K
    i = 123
    expected = ica.normalized[i, :K] @ np.column_stack([np.cos(theta), np.sin(theta)])
    np.testing.assert_allclose(P[i], expected, rtol=1e-6, atol=1e-7)
    for k in range(K):
        v = P[ica.top_indices(k, 5)].mean(axis=0)
        cos = v @ [np.cos(theta[k]), np.sin(theta[k])] / np.linalg.norm(v)
        assert cos > 0.9, (k, cos)


def test_scatter_of_one_axis_twice_is_refused_and_writes_nothing(models, glove_model_dir, tmp_path):
    ica, _ = models
    out = tmp_path / "figs"
    token = ica.top_tokens(2, 1)[0]
    code = main(["figures", str(glove_model_dir), "-o", str(out), "--scatter", "2", "--scatter", token])
    assert code == 2
    assert not out.exists() and list(tmp_path.iterdir()) == []


def test_scatter_words_say_which_axis_they_chose(models, figure_dir):
    ica, _ = models
    out, _ = figure_dir
    said = (out.parent / "stderr.txt").read_text(encoding="utf-8").splitlines()
    for word in ("italian", "cars"):
        row = ica.normalized[ica.index[word]]
        k = int(np.argmax(row))
        line = [s for s in said if s.startswith(f"--scatter {word}:")]
        assert line == [f"--scatter {word}: axis {k} {ica.labels[k]!r} (strongest axis of {word!r}, "
                        f"weight {row[k]:.2f})"], said


def test_scatter_of_an_unknown_word_is_one_error_line(glove_model_dir, tmp_path, capsys):
    out = tmp_path / "figs"
    code = main(["figures", str(glove_model_dir), "-o", str(out), "--scatter", "qqqzzx",
                 "--scatter", "italian"])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2 and len(err) == 1 and err[0].startswith("error: no axis matches 'qqqzzx'")
    assert not out.exists()


MULTI_SCRIPT = ["東京", "日本語", "القاهرة", "عربي", "Москва", "हिन्दी", "Ελλάδα", "café"]


def _render_tokens(path, tokens):
    with figure_style() as plt:
        fig, ax = plt.subplots(figsize=(4, 3))
        for j, t in enumerate(tokens):
            ax.text(0.1, 0.9 - 0.1 * j, t, fontsize=10)
        return save_figure(fig, path, formats=("png",))


def test_tokens_in_any_script_render_without_missing_glyphs(tmp_path):
    fams = available_families()
    for needed in ("Noto Sans CJK JP", "Noto Sans Arabic", "Noto Sans Devanagari"):
        assert needed in fams, f"{needed} missing: run scripts/install-system-deps.sh"
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # "Glyph ... missing from font(s)" would fail here
        (png,) = _render_tokens(tmp_path / "scripts", MULTI_SCRIPT)
    _check_png(png, min_size=(500, 400))


def test_without_the_fallback_fonts_cjk_glyphs_are_missing(tmp_path):
    """The check above can fail: DejaVu Sans alone has no CJK glyphs, and matplotlib warns."""
    from icaxes.viz.fonts import pyplot

    plt = pyplot()
    with plt.rc_context({"font.family": ["DejaVu Sans"]}):
        fig, ax = plt.subplots()
        ax.text(0.1, 0.5, "東京")
        with pytest.warns(UserWarning, match="missing from font"):
            fig.savefig(tmp_path / "x.png")
        plt.close(fig)


def test_heatmap_of_one_model(models, tmp_path):
    ica, _ = models
    with warnings.catch_warnings():
        warnings.simplefilter("error", UserWarning)
        paths = plot_heatmap([("ICA", ica)], tmp_path / "one", n_axes=4, top=3)
    _check_png(paths[0], min_size=(300, 300))


def test_moments_of_several_models(models, tmp_path):
    from icaxes.viz import plot_moments
    from icaxes.viz.figures import axis_skew_kurt

    ica, pca = models
    skew, kurt = axis_skew_kurt(ica)
    # the model's own statistics: positive skew, sorted decreasing
    np.testing.assert_allclose(skew, ica.skewness, rtol=1e-3, atol=1e-4)
    assert np.all(np.diff(skew) <= 1e-6) and kurt.mean() > axis_skew_kurt(pca)[1].mean()
    paths = plot_moments([("GloVe ICA", ica), ("GloVe PCA", pca), ("GloVe (again) ICA", ica),
                          ("GloVe (again) PCA", pca)], tmp_path / "moments")
    _check_png(paths[0])
