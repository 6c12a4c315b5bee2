"""Interpretation: p-values, compositions, similarity terms, top tokens, WordNet labels."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import integrate, special

import icaxes
from icaxes.errors import InputError, MissingDependencyError
from icaxes.interpret import wordnet as wnmod
from icaxes.interpret.axes import axes_needed, component_p_value, product_p_value
from icaxes.interpret.labels import (
    base_rates,
    fit_category,
    label_axes,
    label_axes_or_tokens,
    make_label,
)
from icaxes.interpret.wordnet import LEXNAMES, load_wordnet, wordnet_dir
from icaxes.model import AxisModel, load_model


# ------------------------------------------------------------------ p-values
def test_component_p_value_by_hand():
    # d = 4, x = 0.5: sqrt(d)|x| = 1, P(Z > 1) = 0.158655...
    assert component_p_value(0.5, 4) == pytest.approx(0.15865525393145707)
    assert component_p_value(-0.5, 4) == pytest.approx(0.15865525393145707)
    assert component_p_value(0.0, 50) == pytest.approx(0.5)


@pytest.mark.parametrize("c", [0.0, 0.01, 0.3, 1.0, 2.5, 8.0, 20.0])
def test_product_p_value_matches_the_k0_integral(c):
    # p = int_c^inf K0(t)/pi dt, computed by quadrature; x*y*d = c with d = 25
    d = 25
    x, y = math.sqrt(c / d), math.sqrt(c / d)
    ref, _ = integrate.quad(lambda t: special.k0(t) / np.pi, c, np.inf, epsabs=1e-13, limit=200)
    if c == 0.0:
        assert ref == pytest.approx(0.5, abs=1e-9)  # half the symmetric density
    assert product_p_value(x, y, d) == pytest.approx(ref, rel=1e-7, abs=1e-13)
    assert product_p_value(-x, y, d) == pytest.approx(ref, rel=1e-7, abs=1e-13)


def test_product_density_is_that_of_two_normals():
    # K0(|t|)/pi integrates to 1, and the tail matches a seeded Monte Carlo of U*V
    total, _ = integrate.quad(lambda t: special.k0(t) / np.pi, 0, np.inf)
    assert 2 * total == pytest.approx(1.0, abs=1e-9)
    rng = np.random.default_rng(0)
    uv = rng.standard_normal(1_000_000) * rng.standard_normal(1_000_000)
    for c in (0.5, 1.0, 3.0):
        p = float(product_p_value(1.0, c, 1))
        se = math.sqrt(p * (1 - p) / uv.size)
        assert abs(np.mean(uv > c) - p) < 4 * se


def test_axes_needed_by_hand():
    w = np.array([0.0, 0.6, -0.8, 0.0])  # squares 0.36, 0.64
    assert axes_needed(w, 0.5) == 1
    assert axes_needed(w, 0.64) == 1
    assert axes_needed(w, 0.8) == 2
    assert axes_needed(w, 1.0) == 2
    with pytest.raises(InputError, match="share"):
        axes_needed(w, 0.0)


# ------------------------------------------------------------- real model
@pytest.fixture(scope="module")
def glove_20k_ica(glove_20k_dir) -> AxisModel:
    return load_model(glove_20k_dir, "ica")


def test_similarity_terms_sum_to_the_cosine(glove_20k_ica):
    m = glove_20k_ica
    for a, b in [("ferrari", "porsche"), ("butter", "bread"), ("paris", "tokyo")]:
        cos, terms = m.similarity(a, b, top=None)
        assert len(terms) == m.n_axes
        assert sum(t.product for t in terms) == pytest.approx(cos, abs=1e-6)
        for t in terms:
            assert t.product == pytest.approx(t.a * t.b, rel=1e-6, abs=1e-9)
            assert 0 <= t.p_value <= 1
            assert t.p_adjusted == pytest.approx(min(1.0, t.p_value * m.n_axes))
        assert [t.product for t in terms] == sorted((t.product for t in terms), reverse=True)


def test_similarity_equals_cosine_of_whitening(glove_20k_ica):
    # independent route: whiten the raw vectors with the fitted mean and whitening matrix
    m = glove_20k_ica
    emb = icaxes.load_embeddings("glove-6b-50d", limit=20000)
    est = m.transform
    for a, b in [("ferrari", "porsche"), ("king", "queen")]:
        X = np.vstack([emb.vector(a), emb.vector(b)]).astype(np.float64)
        Z = (X - est.mean_) @ est.whitening_.T
        ref = Z[0] @ Z[1] / np.linalg.norm(Z[0]) / np.linalg.norm(Z[1])
        cos, terms = m.similarity(a, b, top=None)
        assert sum(t.product for t in terms) == pytest.approx(ref, abs=1e-5)
        assert cos == pytest.approx(ref, abs=1e-5)
    # the shared meaning of two sports-car makers is carried by few axes
    cos, terms = m.similarity("ferrari", "porsche", top=3)
    assert terms[0].p_adjusted < 0.05 and sum(t.product for t in terms) > 0.5 * cos


def test_explain_is_sparse_and_sums_to_one(glove_20k_ica):
    m = glove_20k_ica
    parts = m.explain("ferrari", top=m.n_axes)
    assert sum(p.share for p in parts) == pytest.approx(1.0, abs=1e-5)
    assert [p.weight for p in parts] == sorted((p.weight for p in parts), reverse=True)
    top2 = [p.axis for p in parts[:3]]
    tops = " ".join(" ".join(m.top_tokens(a, 30)) for a in top2)
    assert any(w in tops.split() for w in ("porsche", "mercedes", "toyota", "bmw", "cars", "car"))
    assert m.axes_needed("ferrari", 0.5) <= 5 < m.n_axes


def test_top_token_filters(glove_20k_ica):
    m = glove_20k_ica
    for axis in range(m.n_axes):
        assert all(t.isalpha() for t in m.top_tokens(axis, 10, alpha_only=True))
    idx = m.top_indices(3, 10, max_rank=1000)
    assert len(idx) == 10 and idx.max() < 1000
    # GloVe frequencies are 1/rank: min_frequency 1/500 keeps the first 500 rows
    idx = m.top_indices(3, 10, min_frequency=1 / 500)
    assert idx.max() < 500
    unfiltered = m.normalized[:, 3]
    assert unfiltered[m.top_indices(3, 1)[0]] == unfiltered.max()


# --------------------------------------------------------------- WordNet
def test_lexnames_table_matches_the_data_files():
    wn_dir = wordnet_dir()
    assert len(LEXNAMES) == 45
    for pos, prefix in (("noun", "noun."), ("verb", "verb."), ("adv", "adv.")):
        seen = set(wnmod._lexfile_of_offsets(wn_dir / f"data.{pos}").values())
        assert all(LEXNAMES[i].startswith(prefix) for i in seen), pos
    adj = {LEXNAMES[i] for i in wnmod._lexfile_of_offsets(wn_dir / "data.adj").values()}
    assert adj == {"adj.all", "adj.pert", "adj.ppl"}


def test_lemmas_and_categories():
    wn = load_wordnet()
    assert len(wn) > 140_000
    assert "noun.food" in wn.categories("butter")
    assert wn.lemmas("tomatoes") == ["tomato"]
    assert "mouse" in wn.lemmas("mice")  # irregular plural from noun.exc
    assert "noun.animal" in wn.categories("dogs")
    assert wn.categories("xqzzyv") == {}
    cats = wn.categories("beer")
    assert cats == {"noun.food": 1.0}


def test_missing_wordnet_is_a_clear_error(tmp_path, monkeypatch, glove_20k_ica):
    monkeypatch.setenv("ICAXES_WORDNET_DIR", str(tmp_path))
    with pytest.raises(MissingDependencyError, match=r"wordnet-base.*ICAXES_WORDNET_DIR"):
        load_wordnet()
    with pytest.raises(MissingDependencyError):
        label_axes(glove_20k_ica)
    # fitting still labels the axes by their tokens, and says why there are no categories
    with pytest.warns(UserWarning, match="without WordNet"):
        labels = label_axes_or_tokens(glove_20k_ica)
    assert [lab.category for lab in labels] == [None] * glove_20k_ica.n_axes
    assert labels[0].label == ", ".join(glove_20k_ica.top_tokens(0, 3))


def test_wordnet_table_is_cached_as_json(tmp_path, monkeypatch):
    monkeypatch.setenv("ICAXES_CACHE", str(tmp_path))
    wnmod._load_cached.cache_clear()
    try:
        first = load_wordnet()
        files = list((tmp_path / "wordnet").glob("*.json"))
        assert len(files) == 1
        wnmod._load_cached.cache_clear()
        second = load_wordnet()  # read back from the JSON entry
        assert second.table == first.table and second.exceptions == first.exceptions
    finally:
        wnmod._load_cached.cache_clear()


def test_category_test_by_hand():
    wn = load_wordnet()
    foods = ["butter", "bread", "cheese", "beer", "tea", "coffee", "soup", "sugar", "pasta", "wine"]
    rates = np.full(len(LEXNAMES), 0.05)
    fit = fit_category(foods, rates, wn)
    assert fit.category == "food" and fit.count >= 9  # one spelling: the name after the dot
    # a majority is not enough when the category is that common in the vocabulary
    rates[LEXNAMES.index("noun.food")] = 0.9
    assert fit_category(foods, rates, wn).category is None
    # names WordNet does not know get no category
    assert fit_category(["xqzzyv", "qqqwx"], np.full(45, 0.05), wn).category is None
    assert make_label(["butter", "bread", "tea", "x"], "noun.food") == "[food] butter, bread, tea"
    assert make_label(["a", "b"], None) == "a, b"


def test_food_axis_of_glove_gets_noun_food(glove_20k_ica):
    m = glove_20k_ica
    foods = {"butter", "cheese", "bread", "tomato", "chicken", "meat", "beef", "milk", "sugar",
             "rice", "vegetables", "vegetable", "sauce", "garlic", "potatoes", "soup", "cream",
             "pork", "onions", "salad", "pasta", "flour", "eggs", "fruit"}
    overlap = [len(foods & set(m.top_tokens(a, 20))) for a in range(m.n_axes)]
    food_axis = int(np.argmax(overlap))
    assert overlap[food_axis] >= 5
    assert m.categories is not None and m.labels is not None
    assert m.categories[food_axis] == "food"
    assert m.labels[food_axis].startswith("[food] ")
    # US states / regions: a location axis; person-name axes get no category
    wn = load_wordnet()
    labels = label_axes(m, wordnet=wn)
    assert [lab.label for lab in labels] == m.labels
    assert "location" in m.categories
    assert None in m.categories
    rates = base_rates(m.tokens, wn)
    assert 0 < rates[LEXNAMES.index("noun.food")] < 0.1


def test_labels_are_saved_with_the_model(glove_20k_ica, tmp_path):
    glove_20k_ica.save(tmp_path / "m")
    m = load_model(tmp_path / "m")
    assert m.labels == glove_20k_ica.labels and m.categories == glove_20k_ica.categories
    assert m.categories is not None and len(m.categories) == len(m.labels) == m.n_axes
    for label, cat in zip(m.labels, m.categories, strict=True):
        assert label.startswith("[") == (cat is not None)
