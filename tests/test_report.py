"""The report page and the demo pipeline on real GloVe slices; nothing left behind on failure."""

from __future__ import annotations

import base64
import csv
import io
import re
from html.parser import HTMLParser

import numpy as np
import pytest
from PIL import Image

import icaxes.report as report_mod
from icaxes.cli import main
from icaxes.errors import IcaxesError
from icaxes.model import load_model
from icaxes.report import write_report

SECTIONS = ("summary", "convergence", "ica-vs-pca", "figures", "axes")


def _embedded_pngs(page: str) -> list[Image.Image]:
    out = []
    for data in re.findall(r'src="data:image/png;base64,([A-Za-z0-9+/=]+)"', page):
        im = Image.open(io.BytesIO(base64.b64decode(data)))
        im.load()
        out.append(im)
    return out


def test_demo_command_writes_the_whole_report(tmp_path):
    out = tmp_path / "report"
    code = main(["demo", "-o", str(out), "--limit", "20000", "--no-explorer"])
    assert code == 0
    page = (out / "index.html").read_text(encoding="utf-8")
    for sec in SECTIONS:
        assert f'id="{sec}"' in page, sec
    # the six figures are embedded (self-contained page) and linked as PNG and SVG
    pngs = _embedded_pngs(page)
    assert len(pngs) == 6 and all(im.format == "PNG" and im.size[0] > 700 for im in pngs)
    for name in ("heatmap", "scatter", "spiky", "moments", "projection_ica", "projection_pca"):
        assert (out / "figures" / f"{name}.png").is_file() and (out / "figures" / f"{name}.svg").is_file()
        assert f'href="figures/{name}.svg"' in page
    assert "converged</span> after" in page
    # the model folder is the fit_source layout and loads back
    ica = load_model(out / "model", "ica")
    assert len(ica.tokens) == 20000 and (out / "model" / "run.json").is_file()
    # axes.csv: every axis of both methods, top tokens as on the model
    rows = list(csv.DictReader((out / "axes.csv").open(encoding="utf-8")))
    assert len(rows) == 2 * ica.n_axes
    assert {r["method"] for r in rows} == {"ica", "pca"}
    first = next(r for r in rows if r["method"] == "ica" and r["axis"] == "0")
    assert first["top_tokens"].split() == ica.top_tokens(0, 10)
    assert float(first["skewness"]) == pytest.approx(float(ica.skewness[0]), rel=1e-3)
    # top tokens of the first axis appear (escaped) in the page's axis table
    assert all(t in page for t in ica.top_tokens(0, 5) if t.isalpha())
    assert not (out / "explorer.html").exists() and "explorer.html" not in page
    assert [p.name for p in tmp_path.iterdir()] == ["report"]


@pytest.fixture(scope="module")
def models(glove_model_dir):
    return load_model(glove_model_dir, "ica"), load_model(glove_model_dir, "pca")


@pytest.fixture(scope="module")
def report(models, tmp_path_factory):
    ica, pca = models
    return write_report(ica, pca, tmp_path_factory.mktemp("rep") / "rep", name="GloVe 20k",
                        scatter=("italian", "cars"))


def test_report_tables_and_explorer_hook(models, report):
    ica, _ = models
    rep = report
    page = rep.index_html.read_text(encoding="utf-8")
    s = rep.summary
    assert s["tokens"] == len(ica.tokens) and s["converged"] is True
    # the ICA heatmap is block diagonal, the PCA one much less
    assert s["heatmap_blocks"]["ica"]["diagonal"] > s["heatmap_blocks"]["pca"]["diagonal"] + 0.15
    assert s["mean_kurtosis"]["ica"] > s["mean_kurtosis"]["pca"]
    ng = rep.nongaussianity
    assert ng.loc["ica", "kurtosis"] > ng.loc["pca", "kurtosis"] > ng.loc["gaussian", "kurtosis"]
    assert (rep.folder / "nongaussianity.csv").is_file() and "nongaussianity.csv" in page
    assert rep.explorer_html == rep.folder / "explorer.html" and rep.explorer_html.is_file()
    assert 'href="explorer.html"' in page
    assert not [p for p in rep.folder.parent.iterdir() if p.name != "rep"]


class _Cells(HTMLParser):
    """Text of every table cell of a page, as a browser reads it."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.cells: list[str] = []
        self._in = False

    def handle_starttag(self, tag, attrs):
        if tag == "td":
            self._in, self._buf = True, []

    def handle_endtag(self, tag):
        if tag == "td" and self._in:
            self.cells.append("".join(self._buf))
            self._in = False

    def handle_data(self, data):
        if self._in:
            self._buf.append(data)


def test_axis_table_reads_back_the_tokens(models, report):
    """Tokens such as '<' or '&' are escaped: a browser shows exactly the model's top tokens."""
    ica, _ = models
    page = report.index_html.read_text(encoding="utf-8")
    parser = _Cells()
    parser.feed(page)
    cells = set(parser.cells)
    for a in range(ica.n_axes):
        assert ", ".join(ica.top_tokens(a, 10)) in cells, a
    # the page is one self-contained file: no external scripts, styles or images
    assert "<script src" not in page and "<link " not in page and 'src="http' not in page


def test_interrupted_report_leaves_nothing(models, tmp_path, monkeypatch):
    ica, pca = models

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt  # after the figures and the axis table were written

    monkeypatch.setattr(report_mod, "_nongaussianity", interrupted)
    with pytest.raises(KeyboardInterrupt):
        write_report(ica, pca, tmp_path / "rep", explorer=False)
    assert list(tmp_path.iterdir()) == []


def test_failed_report_keeps_the_previous_one(models, report, tmp_path, monkeypatch):
    import shutil

    ica, pca = models
    target = tmp_path / "rep"
    shutil.copytree(report.folder, target)
    before = (target / "index.html").read_bytes()

    def broken(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(report_mod, "write_figures", broken)
    with pytest.raises(OSError, match="disk full"):
        write_report(ica, pca, target, explorer=False)
    assert (target / "index.html").read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["rep"]


def test_demo_on_a_bad_source_exits_2_and_writes_nothing(tmp_path, capsys):
    bad = tmp_path / "bad.txt"
    bad.write_text("apple 1 2 3\npear 1 2\n", encoding="utf-8")  # ragged rows
    out = tmp_path / "report"
    assert main(["demo", "-o", str(out), "--source", str(bad)]) == 2
    err = capsys.readouterr().err
    errors = [line for line in err.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and "ragged" in errors[0]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bad.txt"]


def test_report_needs_models_of_the_same_tokens(models, tmp_path):
    ica, pca = models
    with pytest.raises(IcaxesError, match="PCA model"):
        write_report(ica, pca.__class__(pca.tokens[:100], np.asarray(pca.components[:100]), pca.transform,
                                        "pca"), tmp_path / "rep", explorer=False)
    assert list(tmp_path.iterdir()) == []
