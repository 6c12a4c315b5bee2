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
            assert kind in ("results", "universal"), key
            if kind == "universal":
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
