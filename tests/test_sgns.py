"""The sgns-gcide source: a tiny SGNS model on a slice of Debian's GCIDE, deterministic and cached."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("gensim")
from icaxes.errors import MissingDependencyError
from icaxes.io import sgns

try:
    sgns._gcide_files(None)
    HAVE_GCIDE = True
except MissingDependencyError:
    HAVE_GCIDE = False
needs_gcide = pytest.mark.skipif(not HAVE_GCIDE, reason="Debian dict-gcide missing: run make system-deps")

TINY = {"vector_size": 16, "epochs": 2, "min_count": 3, "max_entries": 1500, "progress": False}


def test_sentences_drop_markup():
    text = 'Abuse \\A*buse"\\, v. t. [F. abuser; L. abusus.]\n   1. To misuse; as, to abuse\n' \
           "   one's powers. [1913 Webster]\n\n   {Syn.} To maltreat."
    assert sgns.sentences_of(text) == [["abuse", "to", "misuse", "as", "to", "abuse", "one's", "powers"],
                                       ["syn", "to", "maltreat"]]


@needs_gcide
def test_tiny_sgns_is_deterministic_and_cached(monkeypatch, tmp_path):
    monkeypatch.setenv("ICAXES_CACHE", str(tmp_path))
    before = sgns.SGNS_STATS.copy()
    a = sgns.train_sgns(**TINY)
    assert sgns.SGNS_STATS["trained"] - before["trained"] == 1
    # corpus order: the most frequent words first, dictionary markup not among them
    counts = np.asarray(a.frequencies)
    assert np.all(np.diff(counts) <= 0) and "the" in a.tokens[:3]
    assert "webster" not in a.tokens[:300] and a.dim == 16
    b = sgns.train_sgns(**TINY)  # the cache
    assert sgns.SGNS_STATS["cache_hits"] - before["cache_hits"] == 1
    assert b.tokens == a.tokens and np.array_equal(b.vectors, a.vectors)
    fresh = sgns.train_sgns(**TINY, use_cache=False)  # one worker: training again gives the same bits
    assert np.array_equal(fresh.vectors, a.vectors)
    other = sgns.train_sgns(**{**TINY, "seed": 1}, use_cache=False)
    assert other.tokens == a.tokens and not np.allclose(other.vectors, a.vectors)


@needs_gcide
def test_cli_fit_sgns_gcide(monkeypatch, tmp_path):
    from typer.testing import CliRunner

    from icaxes.cli import app
    from icaxes.model import load_model

    monkeypatch.setenv("ICAXES_CACHE", str(tmp_path / "cache"))
    monkeypatch.setattr(sgns, "DEFAULTS", {**sgns.DEFAULTS, "vector_size": 8, "epochs": 1, "min_count": 3,
                                           "max_entries": 1500})
    res = CliRunner().invoke(app, ["fit", "sgns-gcide", "-o", str(tmp_path / "m"), "--limit", "2000"])
    assert res.exit_code == 0, res.output
    ica = load_model(tmp_path / "m", "ica")
    assert len(ica.tokens) == 2000 and ica.n_axes == 8 and ica.tokens[0] == sgns.train_sgns(
        **{**TINY, "vector_size": 8, "epochs": 1}).tokens[0]


def test_unknown_corpus_is_one_clear_error():
    from icaxes.errors import InputError

    with pytest.raises(InputError, match="unknown SGNS corpus 'text8'"):
        sgns.train_sgns("text8")
