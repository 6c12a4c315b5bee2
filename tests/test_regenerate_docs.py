"""scripts/regenerate-docs.py: the generated blocks of the docs, rewritten from report tables."""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path

import pandas as pd
import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def regen():
    spec = importlib.util.spec_from_file_location("regenerate_docs", ROOT / "scripts" / "regenerate-docs.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def _keys(text: str) -> list[str]:
    return re.findall(r"<!-- begin generated: ([\w:.-]+) -->", text)


def test_every_block_is_closed_and_known(regen):
    for doc in regen.DOCS:
        text = (ROOT / doc).read_text(encoding="utf-8")
        keys = _keys(text)
        assert keys, doc
        assert keys == [m["key"] for m in regen.BLOCK.finditer(text)], f"{doc}: a block is not closed"
        assert len(set(keys)) == len(keys)
        for key in keys:
            kind, _, name = key.partition(":")
            assert kind == "results" or kind in regen.REPORTS, key
            if kind in regen.REPORTS:
                assert name in regen.UNIVERSAL, key


@pytest.fixture
def results_doc(tmp_path):
    """A copy of docs/results.md, its text, and an empty report folder beside it."""
    doc = tmp_path / "results.md"
    original = (ROOT / "docs" / "results.md").read_text(encoding="utf-8")
    doc.write_text(original, encoding="utf-8")
    results = tmp_path / "results"
    results.mkdir()
    return doc, original, results


def test_results_blocks_are_rewritten_from_the_csv_and_nothing_else_changes(regen, results_doc):
    from icaxes.evaluate.run import markdown_table

    doc, original, results = results_doc
    tables = {}
    for i, key in enumerate(_keys(original)):
        name = key.partition(":")[2]
        tables[name] = pd.DataFrame({"method": ["ica", "pca"], "value": [0.5 + i, 0.25 + i]})
        tables[name].to_csv(results / f"{name}.csv", index=False)
    done, left = regen.rewrite(doc, results, None)
    assert (done, left) == (len(tables), [])
    new = doc.read_text(encoding="utf-8")
    for m in regen.BLOCK.finditer(new):
        assert m["body"].strip() == markdown_table(pd.read_csv(results / f"{m['key'][8:]}.csv"))
    # outside the blocks the page is the same
    assert regen.BLOCK.sub("", new) == regen.BLOCK.sub("", original)
    # without a report the blocks stay; a missing table is an error, not a stale block
    assert regen.rewrite(doc, None, None) == (0, list(_keys(original)))
    (results / "alignment.csv").unlink()
    with pytest.raises(SystemExit, match=r"alignment\.csv"):
        regen.rewrite(doc, results, None)


def test_keys_rewrite_only_the_named_blocks(regen, results_doc):
    doc, original, results = results_doc
    pd.DataFrame({"pair": ["en-fr"], "at1": [0.5]}).to_csv(results / "alignment.csv", index=False)
    done, left = regen.rewrite(doc, results, None, {"results:alignment"})
    assert done == 1 and "results:alignment" not in left and "results:similarity" in left
    blocks = {m["key"]: m["body"] for m in regen.BLOCK.finditer(doc.read_text(encoding="utf-8"))}
    assert "| en-fr | 0.500 |" in blocks["results:alignment"]
    assert blocks["results:similarity"] == {m["key"]: m["body"] for m in regen.BLOCK.finditer(original)}[
        "results:similarity"]


def _report_folder(folder: Path) -> Path:
    """A universality report folder of one comparison with two targets, with known numbers."""
    import json

    from PIL import Image

    (folder / "tables").mkdir(parents=True)
    (folder / "figures").mkdir()
    rows = []
    for t, (n, top1) in {"es_use": (1234, 0.9), "fr_use": (567, 0.8)}.items():
        for method, f in (("ica", 1.0), ("pca", 0.5)):
            rows.append({"comparison": "use-languages", "reference": "en_use", "target": t, "method": method,
                         "n_pairs": n, "source_tokens": n, "target_tokens": n, "n_axes": 512,
                         "top1": top1 * f, "mean_top10": 0.7 * f, "mean_top50": 0.6 * f,
                         "null_threshold": 0.3 * f, "above_chance": int(300 * f),
                         "mean_top10_unweighted": 0.65 * f})
    pd.DataFrame(rows).to_csv(folder / "tables" / "summary.csv", index=False)
    pd.DataFrame([{"key": k, "spec": f"use:{k[:2]}:20000", "lang": k[:2], "rows": 20000, "dim": 512,
                   "axes": 512, "ica_converged": True} for k in ("en_use", "es_use", "fr_use")]).to_csv(
        folder / "tables" / "embeddings.csv", index=False)
    pd.DataFrame([{"comparison": "use-languages", "method": m, "rank": r, "reference_axis": r,
                   "es_use": 0.5, "fr_use": 0.3, "average": 0.4}
                  for m in ("ica", "pca") for r in range(3)]).to_csv(
        folder / "tables" / "by-axis-use-languages.csv", index=False)
    (folder / "run.json").write_text(json.dumps({
        "settings": {"n_components": 0, "tol": 1e-10, "max_iter": 10000, "seed": 0, "n_permutations": 50,
                     "matching": "greedy"},
        "stats": {"seconds": 1500.0, "fits_computed": 3, "fit_cache_hits": 0, "encoded_words": 60000,
                  "encoding_cache_hits": 0}}), encoding="utf-8")
    Image.new("RGB", (1000, 500), "white").save(folder / "figures" / "use-languages-summary.png")
    return folder


def test_paper_report_blocks_are_rewritten_from_their_own_report(regen, tmp_path):
    doc = tmp_path / "universality.md"
    original = (ROOT / "docs" / "universality.md").read_text(encoding="utf-8")
    doc.write_text(original, encoding="utf-8")
    ours = [k for k in _keys(original) if k.startswith("paper-languages:")]
    assert {"paper-languages:targets", "paper-languages:by-axis", "paper-languages:cost"} <= set(ours)
    rep = regen.Report(_report_folder(tmp_path / "report"))
    done, left = regen.rewrite(doc, None, {"paper-languages": rep})
    assert done == len(ours) and not set(ours) & set(left)
    assert "universal:summary" in left and "paper-static:targets" in left  # other reports' blocks stay
    blocks = {m["key"]: m["body"] for m in regen.BLOCK.finditer(doc.read_text(encoding="utf-8"))}
    targets = blocks["paper-languages:targets"]
    assert "above chance ICA / PCA (of 512)" in targets
    assert ("| use-languages | es_use | 1,234 | 0.900 / 0.450 | 0.700 / 0.350 | 0.600 / 0.300 "
            "| 0.300 / 0.150 | 300 / 150 |") in targets
    assert "| use-languages | fr_use | 567 | 0.800 / 0.400 |" in targets
    cost = blocks["paper-languages:cost"].strip()
    assert cost.startswith("25 minutes of wall time for the whole run, 3 fits computed")
    assert "all dimensions at tol 1e-10" in blocks["paper-languages:settings"]
    # the figures of that report only, under their docs names
    figs = tmp_path / "figures"
    assert regen.copy_figures(rep.folder, figs, regen.REPORTS["paper-languages"][1]) > 0
    assert [p.name for p in figs.iterdir()] == ["universality-paper-languages-summary.png"]
    # a block of a known report with an unknown part is an error
    doc.write_text("<!-- begin generated: paper-languages:nothing -->\n"
                   "<!-- end generated: paper-languages:nothing -->\n", encoding="utf-8")
    with pytest.raises(SystemExit, match="unknown block"):
        regen.rewrite(doc, None, {"paper-languages": rep})
