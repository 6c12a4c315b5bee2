"""Corrupt model folders: one ModelFormatError line naming the file and what is wrong.

One small real model (ICA on 1,000 GloVe words, 6 axes) is saved once; each case copies it,
breaks one member the way a truncated download, a bad edit or a hostile folder would, and
checks the API (the exception and its message) and the CLI (``icaxes axes``: exit status 2,
one ``error:`` line, no traceback, the folder left as it was).
"""

from __future__ import annotations

import json
import os
import shutil
import zipfile
from pathlib import Path

import numpy as np
import pytest

import icaxes
from icaxes.cli import main
from icaxes.decompose.outofcore import load_transform, save_transform
from icaxes.errors import ModelFormatError

K = 6


@pytest.fixture(scope="session")
def saved_model(glove_5k, tmp_path_factory):
    model = icaxes.fit_ica(glove_5k.head(1000), n_components=K, seed=0)
    return model, model.save(tmp_path_factory.mktemp("format") / "ica")


def _edit_json(name: str, change):
    def edit(folder: Path) -> None:
        path = folder / name
        path.write_text(json.dumps(change(json.loads(path.read_text(encoding="utf-8")))), encoding="utf-8")
    return edit


def _edit_npz(change):
    def edit(folder: Path) -> None:
        with np.load(folder / "transform.npz", allow_pickle=False) as z:
            arrays = dict(z)
        change(arrays)
        np.savez(folder / "transform.npz", **arrays)
    return edit


def _edit_components(change):
    def edit(folder: Path) -> None:
        comps = np.load(folder / "components.npy", allow_pickle=False)
        np.save(folder / "components.npy", change(comps), allow_pickle=True)  # True: object-array case
    return edit


def _swap(folder: Path) -> None:
    (folder / "components.npy").rename(folder / "tmp")
    (folder / "transform.npz").rename(folder / "components.npy")
    (folder / "tmp").rename(folder / "transform.npz")


def _truncate(name: str, keep: int):
    def edit(folder: Path) -> None:
        path = folder / name
        path.write_bytes(path.read_bytes()[:keep])
    return edit


def _link_out(folder: Path) -> None:
    (folder / "tokens.json").unlink()
    (folder / "tokens.json").symlink_to("/etc/passwd")


def _lying_member(folder: Path) -> None:
    # a zip-bomb member: its header announces 80 GB, the member holds 800 bytes
    with np.load(folder / "transform.npz", allow_pickle=False) as z:
        arrays = dict(z)
    with zipfile.ZipFile(folder / "transform.npz", "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for name, arr in arrays.items():
            with zf.open(name + ".npy", "w") as f:
                if name == "mean_":
                    np.lib.format.write_array_header_1_0(
                        f, {"descr": "<f8", "fortran_order": False, "shape": (100_000, 100_000)})
                    f.write(bytes(800))
                else:
                    np.lib.format.write_array(f, arr)


def _set(key, value):
    def change(d):
        d[key] = value
    return change


# (id, how the folder is broken, the file named, what the message says)
CASES = [
    ("json-list", lambda f: (f / "model.json").write_text("[]"), "model.json",
     "expected a JSON object, got a list"),
    ("missing-key", _edit_json("model.json", lambda m: {k: v for k, v in m.items() if k != "n_features_in"}),
     "model.json", "the key 'n_features_in' is missing"),
    ("wrong-type", _edit_json("model.json", lambda m: {**m, "n_iter": "many"}), "model.json",
     "'n_iter' must be an integer, got a string"),
    ("bad-json", lambda f: (f / "tokens.json").write_text('{"tokens": ["a", '), "tokens.json",
     "is not valid JSON"),
    ("missing-file", lambda f: (f / "components.npy").unlink(), "components.npy", "is missing"),
    ("truncated-npy", _truncate("components.npy", 500), "components.npy",
     "is truncated: its header announces"),
    ("truncated-npz", _truncate("transform.npz", 3000), "transform.npz", "not a readable .npz archive"),
    ("swapped", _swap, "transform.npz", "not a readable .npz archive"),
    ("object-array", _edit_components(lambda c: c.astype(object)), "components.npy", "holds Python objects"),
    ("components-1d", _edit_components(np.ravel), "components.npy", "is 1-D"),
    ("components-3d", _edit_components(lambda c: c[:, :, None]), "components.npy", "is 3-D"),
    ("link-out", _link_out, "tokens.json", "is a link to /etc/passwd, outside the model folder"),
    ("columns-4-of-6", _edit_components(lambda c: c[:, :4]), "components.npy",
     f"has shape (1000, 4), expected (n, k) = (1000, {K})"),
    ("labels-str", _edit_json("model.json", lambda m: {**m, "labels": "abcdef"}), "model.json",
     "'labels' must be a list or null, got a string"),
    ("labels-count", _edit_json("model.json", lambda m: {**m, "labels": m["labels"][:3]}), "model.json",
     f"'labels' must be a list of {K} strings"),
    ("tokens-longer", _edit_json("tokens.json", lambda t: {"tokens": [*t["tokens"], "extra1"]}),
     "components.npy", "expected (n, k) = (1001, 6) (n = 1001 from the tokens in tokens.json"),
    ("tokens-repeated", _edit_json("tokens.json", lambda t: {"tokens": [t["tokens"][1], *t["tokens"][1:]]}),
     "tokens.json", "appears more than once"),
    ("nan-row", _edit_components(lambda c: np.where(np.arange(len(c))[:, None] == 7, np.nan, c)),
     "components.npy", "holds NaN or infinite values (first in row 7)"),
    ("nan-mean", _edit_npz(lambda z: z.__setitem__("mean_", z["mean_"] * np.nan)), "transform.npz",
     "mean_ holds NaN or infinite values"),
    ("complex", _edit_npz(lambda z: z.__setitem__("mixing_", z["mixing_"] + 1j)), "transform.npz",
     "mixing_ has dtype complex128, expected a real floating-point array"),
    ("components-3-rows", _edit_npz(lambda z: z.__setitem__("components_", z["components_"][:3])),
     "transform.npz", f"components_ has shape (3, 50), expected (k, d) = ({K}, 50)"),
    ("missing-array", _edit_npz(lambda z: z.pop("order_")), "transform.npz", "lacks the array order_"),
    ("order-not-permutation", _edit_npz(lambda z: z.__setitem__("order_", np.zeros(K, np.int64))),
     "transform.npz", "order_ is not a permutation"),
    ("zip-bomb-member", _lying_member, "transform.npz",
     "array 'mean_' is truncated: its header announces shape (100000, 100000)"),
    ("bad-params", _edit_json("model.json", lambda m: {**m, "params": {**m["params"], "evil": 1}}),
     "", "the saved ICA parameters are not valid"),
]


@pytest.mark.parametrize(("kind", "breaks", "member", "match"), CASES, ids=[c[0] for c in CASES])
def test_corrupt_model_folder(tmp_path, capsys, saved_model, kind, breaks, member, match):
    folder = tmp_path / "model"
    shutil.copytree(saved_model[1], folder, symlinks=True)
    breaks(folder)
    before = sorted(os.listdir(folder))
    with pytest.raises(ModelFormatError) as info:
        icaxes.load_model(folder)
    msg = str(info.value)
    assert match in msg and str(folder / member) in msg and "\n" not in msg, msg
    for args in (["axes", str(folder)], ["explain", str(folder), "extra1"]):
        code = main(args)
        err = capsys.readouterr().err.strip()
        assert code == 2 and err == f"error: {msg}", err
    assert sorted(os.listdir(folder)) == before  # nothing written, nothing removed


def test_intact_copy_loads_and_transforms_the_same(tmp_path, saved_model, glove_5k):
    model, path = saved_model
    folder = tmp_path / "model"
    shutil.copytree(path, folder)
    loaded = icaxes.load_model(folder)
    X = glove_5k.vectors[:100]
    np.testing.assert_array_equal(loaded.transform.transform(X), model.transform.transform(X))
    assert loaded.tokens == model.tokens and loaded.labels == model.labels
    # a link that stays inside the folder is fine
    (folder / "tokens.json").rename(folder / "tokens-real.json")
    (folder / "tokens.json").symlink_to("tokens-real.json")
    assert icaxes.load_model(folder).tokens == model.tokens


def test_transform_folder_is_checked_too(tmp_path, saved_model):
    folder = save_transform(saved_model[0].transform, tmp_path / "transform")
    assert load_transform(folder).components_.shape == (K, 50)
    (folder / "transform.json").write_text('{"estimator": "ICA"}', encoding="utf-8")
    with pytest.raises(ModelFormatError, match=r"transform\.json: the key 'params' is missing"):
        load_transform(folder)
    shutil.rmtree(folder)
    folder = save_transform(saved_model[0].transform, tmp_path / "transform")
    _edit_npz(lambda z: z.__setitem__("whitening_", z["whitening_"][:, :10]))(folder)
    with pytest.raises(ModelFormatError, match=r"whitening_ has shape \(6, 10\), expected \(k, d\)"):
        load_transform(folder)


def test_the_schema_covers_every_fitted_array():
    from icaxes.decompose.estimator import FITTED_ARRAYS
    from icaxes.io.model_format import TRANSFORM_ARRAYS

    assert sorted(spec.name for spec in TRANSFORM_ARRAYS) == sorted(FITTED_ARRAYS)
