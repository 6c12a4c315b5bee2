"""AxisModel's invariants, its names (scores, unmixing, estimator) and the shared Vocabulary."""

from __future__ import annotations

import numpy as np
import pytest

from icaxes.cli import main
from icaxes.errors import (
    DimensionMismatchError,
    DuplicateTokenError,
    EmptyTokenError,
    IcaxesError,
    InputError,
    NonFiniteError,
    ParameterError,
    UnknownTokenError,
)
from icaxes.io.vocabulary import Vocabulary
from icaxes.model import AxisModel, load_model
from icaxes.universal.pairs import same_token_pairs


@pytest.fixture(scope="module")
def ica(glove_20k_dir) -> AxisModel:
    return load_model(glove_20k_dir, "ica")


def _parts(m: AxisModel, **change):
    parts = {"tokens": list(m.tokens), "components": np.asarray(m.components), "transform": m.transform,
             "method": m.method, "frequencies": m.frequencies, "metadata": dict(m.metadata),
             "labels": list(m.labels), "categories": m.categories}
    parts.update(change)
    return parts


def test_a_valid_model_rebuilds_from_its_parts(ica):
    again = AxisModel(**_parts(ica))
    assert again.top_tokens(1, 5) == ica.top_tokens(1, 5)
    assert again.labels == ica.labels


def _broken(ica):
    comps = np.asarray(ica.components)
    n = len(ica.tokens)
    with_nan = comps.copy()
    with_nan[7, 3] = np.nan
    dup = list(ica.tokens)
    dup[10] = dup[3]
    empty = list(ica.tokens)
    empty[4] = " "
    return [
        ("method", {"method": "nmf"}, ParameterError, "method must be 'ica' or 'pca', got 'nmf'"),
        ("duplicate", {"tokens": dup}, DuplicateTokenError, f"1 duplicate token(s) ({dup[3]!r})"),
        ("empty", {"tokens": empty}, EmptyTokenError, "token 4 is empty"),
        ("more tokens", {"tokens": [*ica.tokens, "extra"]}, DimensionMismatchError,
         f"{n + 1:,} tokens but {n:,} rows of components: more tokens than rows"),
        ("fewer tokens", {"tokens": list(ica.tokens)[:-1]}, DimensionMismatchError, "fewer tokens than rows"),
        ("1-d scores", {"components": comps[:, 0]}, DimensionMismatchError, "must be a 2-D array"),
        ("axes vs estimator", {"components": comps[:, :-1], "labels": None, "categories": None},
         DimensionMismatchError, f"have {comps.shape[1] - 1} axes but the estimator's unmixing matrix"),
        ("nan", {"components": with_nan}, NonFiniteError, f"first: {ica.tokens[7]!r}"),
        ("frequencies", {"frequencies": np.ones(n - 1)}, DimensionMismatchError, "frequencies has shape"),
        ("labels", {"labels": list(ica.labels)[:-1]}, DimensionMismatchError,
         f"{comps.shape[1] - 1} labels for {comps.shape[1]} axes"),
        ("categories", {"categories": [None]}, DimensionMismatchError, f"1 categories for {comps.shape[1]}"),
        ("unfitted", {"transform": object()}, InputError, "must be a fitted ICA or PCA estimator"),
    ]


@pytest.mark.parametrize("case", range(12))
def test_broken_invariants_are_one_specific_line(ica, case):
    cases = _broken(ica)
    assert len(cases) == 12
    name, change, exc, says = cases[case]
    with pytest.raises(exc) as info:
        AxisModel(**_parts(ica, **change))
    message = str(info.value)
    assert isinstance(info.value, IcaxesError)
    assert says in message, (name, message)
    assert "\n" not in message


def test_names_a_newcomer_reads_right(ica):
    n, k = len(ica.tokens), ica.n_axes
    d = ica.transform.mean_.shape[0]
    assert ica.scores is ica.components and ica.scores.shape == (n, k)
    assert ica.estimator is ica.transform
    assert ica.unmixing.shape == (k, d)
    # scores = (X - mean) @ unmixing.T: the unmixing matrix gives back the model's own scores
    X = ica.transform.inverse_transform(np.asarray(ica.scores[:50], dtype=np.float64))
    np.testing.assert_allclose((X - ica.transform.mean_) @ ica.unmixing.T, ica.scores[:50], atol=1e-4)


def test_vocabulary_is_one_immutable_object():
    v = Vocabulary(["cat", "dog", "Paris"])
    assert (len(v), v[1], v.row("dog"), "cat" in v, "cow" in v) == (3, "dog", 1, True, False)
    assert list(v.rows(["Paris", "cat"])) == [2, 0]
    with pytest.raises(TypeError):
        v.index["cow"] = 3  # type: ignore[index]
    with pytest.raises(UnknownTokenError, match="did you mean 'Paris'"):
        v.row("Pariss")
    assert Vocabulary(["a", "b", "a", "a"]).duplicates() == ["a"]
    import copy

    v.row("cat")  # the index is built
    twin = copy.deepcopy(v)
    assert twin == v and twin.row("Paris") == 2 and hash(twin) == hash(v)
    with pytest.raises(DuplicateTokenError, match="1 duplicate token"):
        Vocabulary(["a", "b", "a"]).check_unique()


def test_embeddings_model_and_pairs_share_the_vocabulary(glove_5k, ica):
    assert isinstance(glove_5k.vocabulary, Vocabulary) and isinstance(ica.vocabulary, Vocabulary)
    assert glove_5k.index is glove_5k.vocabulary.index  # built once, not per lookup
    assert ica.row("ferrari") == ica.vocabulary.row("ferrari") == list(ica.tokens).index("ferrari")
    assert "ferrari" in ica and "ferarri" not in ica
    for holder in (glove_5k, ica, glove_5k.vocabulary):  # one helper, one message
        with pytest.raises(UnknownTokenError, match=r"unknown token 'goverment'.*did you mean 'government'"):
            holder.row("goverment")
    pairs = same_token_pairs(glove_5k, ica)
    ra, rb = pairs.rows(glove_5k, ica)
    assert [glove_5k.tokens[i] for i in ra[:20]] == [ica.tokens[j] for j in rb[:20]]
    ra2, rb2 = pairs.rows(glove_5k.vocabulary, ica.vocabulary)
    np.testing.assert_array_equal(ra, ra2)
    np.testing.assert_array_equal(rb, rb2)


def test_cli_refuses_an_unknown_method_in_one_line(glove_20k_dir, capsys):
    code = main(["axes", str(glove_20k_dir), "--method", "nmf"])
    err = capsys.readouterr().err.strip()
    assert code == 2
    assert len(err.splitlines()) == 1 and err.startswith("error: ") and "nmf" in err, err
    assert "Traceback" not in err


def test_axes_needed_of_a_vector_and_encode_of_a_static_table(ica):
    row = ica.row("ferrari")
    vec = ica.estimator.inverse_transform(np.asarray(ica.scores[[row]], dtype=np.float64))[0]
    for share in (0.5, 0.8, 0.95):
        assert ica.axes_needed(vec, share) == ica.axes_needed("ferrari", share)
    with pytest.raises(InputError, match="no text encoder made"):
        ica.encode(["a fast red car"])
