"""Axis matching: greedy and Hungarian against brute force, the permutation null, bad input."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from icaxes.errors import DimensionMismatchError, InputError, ParameterError
from icaxes.universal.matching import (
    axis_correlations,
    match_components,
    match_greedy,
    match_many,
    match_optimal,
    permutation_null,
)


def _brute_force_best(corr):
    k = corr.shape[0]
    return max(sum(corr[i, p[i]] for i in range(k)) for p in itertools.permutations(range(corr.shape[1]), k))


def _brute_force_greedy(corr):
    # the greedy rule stated literally: repeatedly take the largest entry among free rows/cols
    c = corr.copy()
    out = []
    for _ in range(min(c.shape)):
        i, j = np.unravel_index(np.argmax(c), c.shape)
        out.append((int(i), int(j)))
        c[i, :] = -np.inf
        c[:, j] = -np.inf
    return out


@pytest.mark.parametrize("seed", range(25))
def test_matchings_agree_with_brute_force(seed):
    rng = np.random.default_rng(seed)
    ka, kb = rng.integers(2, 6), rng.integers(2, 6)
    corr = rng.uniform(-1, 1, size=(ka, kb))
    if ka > kb:
        corr = corr.T
    r, c = match_optimal(corr)
    assert len(set(r)) == len(r) == min(corr.shape) and len(set(c)) == len(c)
    assert corr[r, c].sum() == pytest.approx(_brute_force_best(corr))
    assert np.all(np.diff(corr[r, c]) <= 0)
    gr, gc = match_greedy(corr)
    assert list(zip(gr.tolist(), gc.tolist(), strict=True)) == _brute_force_greedy(corr)
    # the optimum is never below greedy
    assert corr[r, c].sum() >= corr[gr, gc].sum() - 1e-12


def _paired_sources(n=600, k=6, noise=0.3, seed=0):
    """Two views of the same independent sources, axes permuted: a known matching."""
    rng = np.random.default_rng(seed)
    S = rng.laplace(size=(n, k))
    perm = rng.permutation(k)
    B = S[:, perm] + noise * rng.normal(size=(n, k))
    return S, B, perm


def test_match_recovers_a_known_permutation():
    A, B, perm = _paired_sources()
    for method in ("greedy", "optimal"):
        m = match_components(A, B, matching=method)
        assert {int(a): int(b) for a, b in zip(m.rows, m.cols, strict=True)} == {
            int(perm[j]): j for j in range(len(perm))}
        assert m.r.min() > 0.9


def test_null_separates_real_from_shuffled_pairs():
    A, B, _ = _paired_sources(k=5)
    B = np.column_stack([B, np.random.default_rng(1).normal(size=(len(B), 3))])  # 3 axes with no partner
    m = match_components(A, B)
    null = permutation_null(A, B, n_permutations=60, seed=3)
    m.null = null
    assert null.curves.shape == (60, 5)
    assert null.threshold < 0.3  # 600 shuffled pairs barely correlate
    assert m.above_chance.sum() == 5
    # same seed, same null; another seed, another null
    again = permutation_null(A, B, n_permutations=60, seed=3)
    assert np.array_equal(again.curves, null.curves)
    assert not np.array_equal(permutation_null(A, B, n_permutations=60, seed=4).curves, null.curves)


def test_null_flags_nothing_when_pairs_are_random():
    rng = np.random.default_rng(5)
    A, B = rng.laplace(size=(400, 6)), rng.laplace(size=(400, 6))
    m = match_components(A, B)
    m.null = permutation_null(A, B, n_permutations=100, seed=0)
    assert m.above_chance.sum() <= 1


def test_weighted_correlation_matches_repeated_rows():
    rng = np.random.default_rng(2)
    A, B = rng.normal(size=(50, 3)), rng.normal(size=(50, 4))
    w = rng.integers(1, 4, size=50)
    rep = np.repeat(np.arange(50), w)
    assert np.allclose(axis_correlations(A, B, w.astype(float)), axis_correlations(A[rep], B[rep]))


def test_match_many_orders_by_summed_correlation():
    corr1 = np.array([[0.1, 0.9], [0.5, 0.2]])
    corr2 = np.array([[0.2, 0.8], [0.7, 0.1]])
    from icaxes.universal.matching import AxisMatch

    ms = {}
    for name, c in (("x", corr1), ("y", corr2)):
        r, cc = match_greedy(c)
        ms[name] = AxisMatch(c, r, cc, "greedy", 10)
    mm = match_many(ms, 2)
    assert mm.order.tolist() == [0, 1]  # 0.9 + 0.8 > 0.5 + 0.7
    assert mm.partners["x"].tolist() == [1, 0] and mm.r["y"].tolist() == pytest.approx([0.8, 0.7])


def test_bad_input():
    with pytest.raises(DimensionMismatchError):
        axis_correlations(np.zeros((5, 2)), np.zeros((4, 2)))
    with pytest.raises(InputError, match="at least 3 pairs"):
        axis_correlations(np.zeros((2, 2)), np.zeros((2, 2)))
    with pytest.raises(InputError, match="unknown matching method"):
        match_components(np.eye(4), np.eye(4), matching="best")
    with pytest.raises(InputError, match="n_permutations"):
        permutation_null(np.eye(4), np.eye(4), n_permutations=0)


def test_method_is_a_deprecated_alias_of_matching():
    A, B, _ = _paired_sources()
    with pytest.warns(DeprecationWarning, match="matching='optimal'"):
        old = match_components(A, B, method="optimal")
    new = match_components(A, B, matching="optimal")
    np.testing.assert_array_equal(old.cols, new.cols)
    assert old.method == new.matching == "optimal"
    with pytest.warns(DeprecationWarning), pytest.raises(ParameterError, match="disagree"):
        match_components(A, B, matching="greedy", method="optimal")


def test_config_matching_and_its_former_name():
    from icaxes.universal.pipeline import parse_config

    base = {"embeddings": {"a": {"spec": "glove-6b-50d", "lang": "en"}},
            "comparisons": [{"reference": "a", "targets": ["a"], "pairs": "same"}]}
    assert parse_config({**base, "settings": {"matching": "optimal"}}).settings["matching"] == "optimal"
    former = parse_config({**base, "settings": {"method": "optimal"}}).settings
    assert former["matching"] == "optimal" and "method" not in former
    with pytest.raises(InputError, match="disagree"):
        parse_config({**base, "settings": {"method": "optimal", "matching": "greedy"}})
    with pytest.raises(InputError, match=r"settings\.matching must be 'greedy' or 'optimal'"):
        parse_config({**base, "settings": {"matching": "best"}})


def test_match_cli_takes_matching_and_its_former_name(glove_20k_dir, tmp_path, capsys):
    import pandas as pd

    from icaxes.cli import main

    rows = {}
    for flag in ("--matching", "--method"):
        out = tmp_path / f"{flag.strip('-')}.csv"
        assert main(["match", str(glove_20k_dir), str(glove_20k_dir), flag, "optimal", "--permutations", "0",
                     "-o", str(out)]) == 0
        rows[flag] = pd.read_csv(out)
    pd.testing.assert_frame_equal(rows["--matching"], rows["--method"])
    ica = rows["--matching"][rows["--matching"].method == "ica"]
    assert (ica.axis_a == ica.axis_b).all() and ica.r.min() > 0.999  # a model matched with itself
    capsys.readouterr()
    assert main(["match", str(glove_20k_dir), str(glove_20k_dir), "--matching", "best"]) == 2
    err = capsys.readouterr().err.strip()
    assert err == "error: unknown matching method 'best'; use one of greedy, optimal", err
