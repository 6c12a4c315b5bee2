"""The model folder has one owner (ModelFolder): round trip, format versions, old folders, the
explorer's loading of several folders, and labels that do not import the model back."""

from __future__ import annotations

import ast
import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from icaxes.errors import ModelFormatError
from icaxes.io.model_format import (
    FORMAT_VERSION,
    RUN_FORMAT,
    STABILITY_FORMAT,
    TRANSFORM_FORMAT,
    ModelFolder,
    load_model_folders,
)

K = 6


@pytest.fixture(scope="module")
def small_fit(glove_5k):
    from icaxes.fitting import FitSettings, fit_models

    return fit_models(glove_5k.head(1000), FitSettings(n_components=K, tol=1e-4))


@pytest.fixture
def fitted_folder(small_fit, tmp_path):
    return ModelFolder(tmp_path / "glove").save({"ica": small_fit.ica, "pca": small_fit.pca},
                                                run={"source": "glove-6b-50d", "limit": 1000})


def _json(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


def test_round_trip_with_versions(small_fit, fitted_folder, glove_5k):
    folder = ModelFolder(fitted_folder)
    assert folder.methods == ("ica", "pca") and folder.holds_models
    models = folder.load_all()
    for method, original in (("ica", small_fit.ica), ("pca", small_fit.pca)):
        back = models[method]
        assert back.method == method and back.tokens == original.tokens and back.labels == original.labels
        X = glove_5k.vectors[:50]
        np.testing.assert_array_equal(back.transform.transform(X), original.transform.transform(X))
        assert _json(fitted_folder / method / "model.json")["format_version"] == FORMAT_VERSION
    run = folder.run()
    assert run == {"format": RUN_FORMAT, "format_version": FORMAT_VERSION, "source": "glove-6b-50d",
                   "limit": 1000}
    assert folder.stability() is None
    path = folder.save_stability({"stability": [0.5] * K, "seeds": [1]})
    assert path == fitted_folder / "ica" / "stability.json"  # in the ICA model's own folder
    assert _json(path)["format"] == STABILITY_FORMAT and _json(path)["format_version"] == FORMAT_VERSION
    assert folder.stability("ica")["stability"] == [0.5] * K and folder.stability("pca") is None
    # a single model folder keeps its stability beside its members
    single = ModelFolder(small_fit.ica.save(fitted_folder.parent / "single"))
    assert single.methods == () and single.holds_models
    assert single.stability_path() == single.path / "stability.json"
    assert single.load("ica").tokens == small_fit.ica.tokens


def test_transform_folder_has_a_version(small_fit, tmp_path):
    folder = ModelFolder(tmp_path / "t")
    folder.save_transform(small_fit.ica.transform)
    meta = _json(folder.path / "transform.json")
    assert (meta["format"], meta["format_version"]) == (TRANSFORM_FORMAT, FORMAT_VERSION)
    assert folder.load_transform().components_.shape == (K, 50)


def test_old_folders_without_versions_still_read(small_fit, fitted_folder, tmp_path):
    def strip(path: Path) -> None:
        blob = {k: v for k, v in _json(path).items() if k not in ("format", "format_version")}
        path.write_text(json.dumps(blob), encoding="utf-8")

    folder = ModelFolder(fitted_folder)
    folder.save_stability({"stability": [0.9] * K})
    strip(fitted_folder / "run.json")
    strip(fitted_folder / "ica" / "stability.json")
    assert folder.run()["source"] == "glove-6b-50d" and folder.stability()["stability"] == [0.9] * K
    transform = ModelFolder(tmp_path / "t")
    transform.save_transform(small_fit.ica.transform)
    strip(transform.path / "transform.json")
    assert transform.load_transform().components_.shape == (K, 50)
    # where older folders kept it: beside ica/ and pca/, read as the ICA model's
    (fitted_folder / "ica" / "stability.json").rename(fitted_folder / "stability.json")
    assert folder.stability("ica")["stability"] == [0.9] * K and folder.stability("pca") is None


@pytest.mark.parametrize(("member", "change", "match"), [
    ("run.json", {"format_version": FORMAT_VERSION + 1}, "unsupported icaxes-run format"),
    ("run.json", {"format": "something-else"}, "'format' is 'something-else', not 'icaxes-run'"),
    ("ica/stability.json", {"format_version": "1"}, "'format_version' must be an integer"),
    ("ica/stability.json", {"stability": "high"}, "is not a stability file"),
])
def test_newer_or_foreign_members_are_one_clear_error(fitted_folder, member, change, match):
    folder = ModelFolder(fitted_folder)
    folder.save_stability({"stability": [0.9] * K})
    path = fitted_folder / member
    path.write_text(json.dumps({**_json(path), **change}), encoding="utf-8")
    read = folder.run if member == "run.json" else folder.stability
    with pytest.raises(ModelFormatError, match=match) as info:
        read()
    assert str(path) in str(info.value) and "\n" not in str(info.value)


def test_missing_folder_is_a_model_format_error(tmp_path):
    import icaxes

    with pytest.raises(ModelFormatError, match="does not exist; create it with `icaxes fit`"):
        icaxes.load_model(tmp_path / "nothing")


def test_explorer_loads_several_folders_through_the_api(small_fit, fitted_folder, tmp_path):
    ModelFolder(fitted_folder).save_stability({"stability": [0.8] * K})
    other = tmp_path / "again" / "glove"  # the same name: numbered
    shutil.copytree(fitted_folder, other)
    (other / "ica" / "stability.json").unlink()
    single = small_fit.pca.save(tmp_path / "pca-only")
    models, stability = load_model_folders([fitted_folder, other, single])
    assert [name for name, _ in models] == ["glove", "glove (2)", "pca-only"]
    assert [sorted(v) for _, v in models] == [["ica", "pca"], ["ica", "pca"], ["pca"]]
    assert models[0][1]["ica"].tokens == small_fit.ica.tokens
    assert stability == {"glove": {"ica": [0.8] * K}, "glove (2)": {}, "pca-only": {}}
    with pytest.raises(ModelFormatError, match="does not exist"):
        load_model_folders([tmp_path / "missing"])


def _imports(module: Path) -> set[str]:
    """Every icaxes module a file imports anywhere (top level, functions, TYPE_CHECKING)."""
    out = set()
    for node in ast.walk(ast.parse(module.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            out |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            out |= {node.module} | {f"{node.module}.{a.name}" for a in node.names}
    return {name for name in out if name.startswith("icaxes")}


def test_labels_and_summary_do_not_import_the_model():
    import icaxes

    src = Path(icaxes.__file__).parent
    model = _imports(src / "model.py")
    assert {"icaxes.interpret.labels", "icaxes.explorer.summary"} <= model  # the model uses both
    for name in ("interpret/labels.py", "explorer/summary.py"):
        assert "icaxes.model" not in _imports(src / name), name
