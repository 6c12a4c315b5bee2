"""The model folder format, declared once and checked member by member on load.

A model folder (written by :meth:`icaxes.AxisModel.save`) holds four members:

==================  =========================================================================
member              what it must hold
==================  =========================================================================
``model.json``      an object with the keys of :data:`MODEL_KEYS` (format, method, estimator,
                    its parameters, ``n_features_in`` = d, convergence, ``labels`` and
                    ``categories`` (k each, or null), ``metadata``)
``transform.npz``   the fitted arrays of :data:`TRANSFORM_ARRAYS` (real, finite; shapes in k
                    axes and d input dimensions; ``order_`` a permutation, ``signs_`` of +-1)
``tokens.json``     ``{"tokens": [n distinct non-empty strings], "frequencies": [n numbers]}``
``components.npy``  a real, finite (n, k) array (:data:`COMPONENTS`)
==================  =========================================================================

A transform folder (:func:`icaxes.decompose.outofcore.save_transform`) holds
``transform.json`` (the estimator keys of :data:`MODEL_KEYS`, with ``format`` =
:data:`TRANSFORM_FORMAT` and ``format_version``) and ``transform.npz``.

A fitted folder (``icaxes fit``, :func:`icaxes.fitting.fit_source`) holds one model folder
per method (``ica/``, ``pca/``) and ``run.json`` (the settings of the run). Whatever the
folder, the stability of a model (``stability.json``, written by ``icaxes evaluate -t
stability``) lives in that model's own folder: ``DIR/ica/stability.json`` for a fitted
folder, ``DIR/stability.json`` for a single model folder. :class:`ModelFolder` is the one
owner of this layout: it writes and reads all of it, and every JSON file it writes carries
``format`` and ``format_version`` (files written before the version field are read as
version 1).

Every member must be a regular file inside the folder (a link that leads out of it is
refused) and no larger than its limit; arrays are read without pickle and checked against
their headers before any data is read (:mod:`icaxes.io.limits`). Any deviation raises one
:class:`~icaxes.errors.ModelFormatError` naming the file and what is wrong, before any part
of the model is used.
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from icaxes.errors import EmbeddingFormatError, ModelFormatError
from icaxes.io import limits

if TYPE_CHECKING:  # the model module reads its members through this one
    from icaxes.model import AxisModel

FORMAT = "icaxes-axis-model"
#: the newest model format this version reads (and writes); the other JSON files of a model
#: folder (:data:`RUN_FORMAT`, :data:`STABILITY_FORMAT`, :data:`TRANSFORM_FORMAT`) share it
FORMAT_VERSION = 1
#: ``format`` of a fitted folder's ``run.json``
RUN_FORMAT = "icaxes-run"
#: ``format`` of ``stability.json``
STABILITY_FORMAT = "icaxes-stability"
#: ``format`` of a transform folder's ``transform.json``
TRANSFORM_FORMAT = "icaxes-transform"
#: the methods of a fitted folder, one subfolder each
METHODS = ("ica", "pca")
RUN_FILE = "run.json"
STABILITY_FILE = "stability.json"
TRANSFORM_FILE = "transform.json"
#: a JSON member may not be larger than this (parsing takes about ten times its size)
MAX_JSON_BYTES = 1 << 30
_REFIT = "refit the model (icaxes fit) or restore the folder from a copy"


@dataclass(frozen=True)
class ArraySpec:
    """One array of the format: its name, the numpy dtype kinds allowed and its shape.

    ``shape`` names each dimension by a symbol: ``n`` rows (tokens), ``k`` axes, ``d`` input
    dimensions; every array of a folder must agree on each symbol.
    """

    name: str
    kinds: str
    shape: tuple[str, ...]


#: transform.npz, in the order the symbols are learned (``whitening_`` fixes k)
TRANSFORM_ARRAYS = (
    ArraySpec("whitening_", "f", ("k", "d")),
    ArraySpec("mean_", "f", ("d",)),
    ArraySpec("rotation_", "f", ("k", "k")),
    ArraySpec("components_", "f", ("k", "d")),
    ArraySpec("mixing_", "f", ("d", "k")),
    ArraySpec("skewness_", "f", ("k",)),
    ArraySpec("kurtosis_", "f", ("k",)),
    ArraySpec("explained_variance_", "f", ("k",)),
    ArraySpec("signs_", "f", ("k",)),
    ArraySpec("order_", "iu", ("k",)),
)
#: components.npy: the transformed rows
COMPONENTS = ArraySpec("components.npy", "f", ("n", "k"))

_NUMBER = (int, float)
#: model.json: key -> (allowed JSON types, required); transform.json has the estimator keys
MODEL_KEYS: dict[str, tuple[tuple[type, ...], bool]] = {
    "format": ((str,), True),
    "format_version": ((int,), True),
    "method": ((str,), True),
    "estimator": ((str,), True),
    "params": ((dict,), True),
    "n_features_in": ((int,), True),
    "n_iter": ((int,), True),
    "change": (_NUMBER, True),
    "converged": ((bool,), True),
    "labels": ((list, type(None)), False),
    "categories": ((list, type(None)), False),
    "metadata": ((dict,), False),
}
ESTIMATOR_KEYS = ("estimator", "params", "n_features_in", "n_iter", "change", "converged")


@dataclass
class ModelParts:
    """The checked contents of a model folder."""

    meta: dict[str, Any]
    arrays: dict[str, np.ndarray]
    tokens: list[str]
    frequencies: np.ndarray | None
    components: np.ndarray


def _member(folder: Path, name: str) -> Path:
    """``folder/name`` if it is a regular file that stays inside the folder."""
    path = folder / name
    if not os.path.lexists(path):
        raise ModelFormatError(f"{path} is missing: {folder} is not a complete icaxes model folder; "
                               "create one with `icaxes fit`")
    if path.is_symlink():
        target = path.resolve()
        if not target.is_relative_to(folder.resolve()):
            raise ModelFormatError(f"{path} is a link to {target}, outside the model folder; a model "
                                   "folder holds its own files, copy them in")
    try:
        limits.check_regular_file(path)
    except EmbeddingFormatError as exc:
        raise ModelFormatError(f"{exc}; {_REFIT}") from None
    return path


def _json(folder: Path, name: str) -> Any:
    path = _member(folder, name)
    size = path.stat().st_size
    if size > min(MAX_JSON_BYTES, limits.memory_budget() // 10):
        raise ModelFormatError(f"{path} is too large ({size:,} bytes) for a model member; {_REFIT}")
    try:
        return json.loads(path.read_bytes().decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as exc:
        raise ModelFormatError(f"{path} is not valid JSON ({exc}); {_REFIT}") from None


def versioned(kind: str, blob: Mapping[str, Any]) -> dict[str, Any]:
    """``blob`` with ``format`` = ``kind`` and ``format_version`` first: how every JSON file of a
    model folder is written."""
    return {"format": kind, "format_version": FORMAT_VERSION,
            **{k: v for k, v in blob.items() if k not in ("format", "format_version")}}


def check_version(blob: Mapping[str, Any], kind: str, where: Path) -> int:
    """The format version of a JSON member written by :func:`versioned` (1 when it has none:
    written before the field existed); raises :class:`~icaxes.errors.ModelFormatError` for
    another format or a newer version."""
    fmt = blob.get("format", kind)
    if fmt != kind:
        raise ModelFormatError(f"{where}: 'format' is {fmt!r}, not {kind!r}; {_REFIT}")
    version = blob.get("format_version", 1)
    if not isinstance(version, int) or isinstance(version, bool):
        raise ModelFormatError(f"{where}: 'format_version' must be an integer, got "
                               f"{_type_name(version)}; {_REFIT}")
    if not 1 <= version <= FORMAT_VERSION:
        raise ModelFormatError(f"{where}: unsupported {kind} format {version} (this icaxes reads 1 to "
                               f"{FORMAT_VERSION}); upgrade icaxes or refit")
    return version


def _type_name(value: Any) -> str:
    return {dict: "an object", list: "a list", str: "a string", bool: "true/false", int: "an integer",
            float: "a number", type(None): "null"}.get(type(value), type(value).__name__)


def check_meta(meta: Any, where: Path, keys: tuple[str, ...] | None = None) -> dict[str, Any]:
    """Check a ``model.json`` (or, with ``keys``, a ``transform.json``) object against :data:`MODEL_KEYS`."""
    if not isinstance(meta, dict):
        raise ModelFormatError(f"{where}: expected a JSON object, got {_type_name(meta)}; {_REFIT}")
    for key in keys or MODEL_KEYS:
        types, required = MODEL_KEYS[key]
        if key not in meta:
            if required:
                raise ModelFormatError(f"{where}: the key {key!r} is missing; {_REFIT}")
            continue
        value = meta[key]
        # JSON true/false are Python bools, which are ints too: an int field takes no bool
        if not isinstance(value, types) or (isinstance(value, bool) and bool not in types):
            want = " or ".join(_type_name(t()) if t is not type(None) else "null" for t in types)
            raise ModelFormatError(f"{where}: {key!r} must be {want}, got {_type_name(value)}; {_REFIT}")
    if keys is None:
        if meta["format"] != FORMAT:
            raise ModelFormatError(f"{where}: 'format' is {meta['format']!r}, not {FORMAT!r}; {_REFIT}")
        if not 1 <= meta["format_version"] <= FORMAT_VERSION:
            raise ModelFormatError(f"{where}: unsupported model format {meta['format_version']} "
                                   f"(this icaxes reads 1 to {FORMAT_VERSION}); upgrade icaxes or refit")
        if meta["method"] not in ("ica", "pca"):
            raise ModelFormatError(f"{where}: 'method' must be 'ica' or 'pca', got {meta['method']!r}")
    if meta["estimator"] not in ("ICA", "PCA"):
        raise ModelFormatError(f"{where}: 'estimator' must be 'ICA' or 'PCA', got {meta['estimator']!r}")
    bad = {k: v for k, v in meta["params"].items()
           if not (v is None or isinstance(v, (bool, int, float, str)))}
    if bad:
        raise ModelFormatError(f"{where}: parameter {next(iter(bad))!r} must be a number, string, "
                               f"true/false or null; {_REFIT}")
    if meta["n_features_in"] < 1 or meta["n_iter"] < 0:
        raise ModelFormatError(f"{where}: 'n_features_in' must be at least 1 and 'n_iter' at least 0; "
                               f"{_REFIT}")
    return meta


def _check_array(arr: np.ndarray, spec: ArraySpec, dims: dict[str, int], learned: dict[str, str],
                 where: str) -> None:
    if arr.dtype.kind not in spec.kinds:
        want = "an integer" if spec.kinds == "iu" else "a real floating-point"
        raise ModelFormatError(f"{where} has dtype {arr.dtype}, expected {want} array; {_REFIT}")
    if arr.ndim != len(spec.shape):
        raise ModelFormatError(f"{where} is {arr.ndim}-D (shape {arr.shape}), expected "
                               f"{len(spec.shape)}-D ({', '.join(spec.shape)}); {_REFIT}")
    for symbol, size in zip(spec.shape, arr.shape, strict=True):
        if symbol not in dims:
            dims[symbol], learned[symbol] = size, spec.name
    expected = tuple(dims[s] for s in spec.shape)
    if arr.shape != expected:
        said = "; ".join(f"{s} = {dims[s]} from {learned[s]}" for s in dict.fromkeys(spec.shape))
        raise ModelFormatError(f"{where} has shape {arr.shape}, expected ({', '.join(spec.shape)}) = "
                               f"{expected} ({said}); {_REFIT}")


def _check_finite(arr: np.ndarray, where: str) -> None:
    rows = arr.reshape(len(arr), -1) if arr.ndim > 1 else arr.reshape(-1, 1)
    step = max(1, (64 << 20) // max(rows.shape[1] * rows.itemsize, 1))  # 64 MB at a time
    for start in range(0, len(rows), step):
        bad = np.flatnonzero(~np.isfinite(rows[start:start + step]).all(axis=1))
        if bad.size:
            raise ModelFormatError(f"{where} holds NaN or infinite values (first in row "
                                   f"{start + int(bad[0])}); {_REFIT}")


def read_transform(folder: Path, meta: dict[str, Any] | None = None) -> tuple[dict[str, Any], dict[str, Any]]:
    """The checked metadata and fitted arrays of a transform in ``folder``.

    Parameters
    ----------
    folder : Path
        A model folder (its ``model.json``) or a transform folder (``transform.json``).
    meta : dict, optional
        The folder's metadata, already read and checked.

    Returns
    -------
    meta, arrays
        ``arrays`` maps each name of :data:`TRANSFORM_ARRAYS` to its array.
    """
    folder = Path(folder)
    if meta is None:
        name = TRANSFORM_FILE if os.path.lexists(folder / TRANSFORM_FILE) else "model.json"
        meta = check_meta(_json(folder, name), folder / name,
                          ESTIMATOR_KEYS if name == TRANSFORM_FILE else None)
        if name == TRANSFORM_FILE:
            check_version(meta, TRANSFORM_FORMAT, folder / name)
    path = _member(folder, "transform.npz")
    names = [spec.name for spec in TRANSFORM_ARRAYS]
    try:
        heads = limits.npz_headers(path)
        missing = [n for n in names if n not in heads]
        if missing:
            raise ModelFormatError(f"{path} lacks the array{'s' if len(missing) > 1 else ''} "
                                   f"{', '.join(missing)}; {_REFIT}")
        arrays = limits.read_npz(path, names)
    except EmbeddingFormatError as exc:
        raise ModelFormatError(str(exc)) from None
    dims = {"d": meta["n_features_in"]}
    learned = {"d": "n_features_in in the metadata"}
    for spec in TRANSFORM_ARRAYS:
        where = f"{path}: {spec.name}"
        _check_array(arrays[spec.name], spec, dims, learned, where)
        if spec.kinds == "f":
            _check_finite(arrays[spec.name], where)
    k, d = dims["k"], dims["d"]
    if not 1 <= k <= d:
        raise ModelFormatError(f"{path}: {k} axes for {d} input dimensions (need 1 <= k <= d); {_REFIT}")
    if not np.array_equal(np.sort(arrays["order_"]), np.arange(k)):
        raise ModelFormatError(f"{path}: order_ is not a permutation of the {k} axes; {_REFIT}")
    if not np.isin(arrays["signs_"], (-1.0, 1.0)).all():
        raise ModelFormatError(f"{path}: signs_ must hold only +1 and -1; {_REFIT}")
    return meta, arrays


def read_model_folder(folder: str | Path, *, mmap: bool = True) -> ModelParts:
    """Read and check every member of a model folder (see the table above).

    Parameters
    ----------
    folder : path
        A folder written by :meth:`icaxes.AxisModel.save`.
    mmap : bool
        Memory-map ``components.npy`` (it is still read once, to check that it is finite).

    Raises
    ------
    ModelFormatError
        Naming the member and what is wrong with it.
    """
    folder = Path(folder)
    for name in ("model.json", "transform.npz", "tokens.json", "components.npy"):
        _member(folder, name)
    meta = check_meta(_json(folder, "model.json"), folder / "model.json")
    meta, arrays = read_transform(folder, meta)
    k = arrays["whitening_"].shape[0]
    for key in ("labels", "categories"):
        value = meta.get(key)
        if value is None:
            continue
        allowed = (str,) if key == "labels" else (str, type(None))
        if len(value) != k or not all(isinstance(v, allowed) for v in value):
            raise ModelFormatError(f"{folder / 'model.json'}: {key!r} must be a list of {k} "
                                   f"{'strings' if key == 'labels' else 'strings or nulls'} (one per "
                                   f"axis), got {len(value)} items; {_REFIT}")
    tokens, freqs = _tokens(folder)
    path = folder / "components.npy"
    try:
        comps = limits.read_npy(path, mmap=mmap)
    except EmbeddingFormatError as exc:
        raise ModelFormatError(str(exc)) from None
    dims = {"n": len(tokens), "k": k}
    learned = {"n": "the tokens in tokens.json", "k": "whitening_ in transform.npz"}
    _check_array(comps, COMPONENTS, dims, learned, str(path))
    _check_finite(comps, str(path))
    return ModelParts(meta, arrays, tokens, freqs, comps)


def _tokens(folder: Path) -> tuple[list[str], np.ndarray | None]:
    where = folder / "tokens.json"
    tok = _json(folder, "tokens.json")
    if not isinstance(tok, dict) or not isinstance(tok.get("tokens"), list):
        raise ModelFormatError(f"{where}: expected an object with a 'tokens' list, got "
                               f"{_type_name(tok)}; {_REFIT}")
    tokens = tok["tokens"]
    bad = next((i for i, t in enumerate(tokens) if not isinstance(t, str) or not t), None)
    if bad is not None:
        raise ModelFormatError(f"{where}: token {bad} is {tokens[bad]!r}, not a non-empty string; {_REFIT}")
    if len(set(tokens)) != len(tokens):
        seen: set[str] = set()
        dup = next(t for t in tokens if t in seen or seen.add(t))  # type: ignore[func-returns-value]
        raise ModelFormatError(f"{where}: the token {dup!r} appears more than once; {_REFIT}")
    freqs = tok.get("frequencies")
    if freqs is None:
        return tokens, None
    if (not isinstance(freqs, list) or len(freqs) != len(tokens)
            or not all(isinstance(f, _NUMBER) and not isinstance(f, bool) for f in freqs)
            or not all(math.isfinite(f) for f in freqs)):
        raise ModelFormatError(f"{where}: 'frequencies' must be {len(tokens)} finite numbers (one per "
                               f"token); {_REFIT}")
    return tokens, np.asarray(freqs, dtype=np.float64)


# --------------------------------------------------------------------- the folder as a whole
class ModelFolder:
    """The one owner of a model folder: where each member lives, writing and reading them.

    A folder is one of three layouts (see the module docstring): a *fitted* folder
    (``ica/``, ``pca/``, ``run.json``), a *single* model folder (one
    :meth:`~icaxes.AxisModel.save`) or a *transform* folder (``icaxes fit-array``). Every
    reader of model folders (``icaxes.load_model``, ``icaxes transform``, the explorer,
    ``icaxes axes``, ``icaxes evaluate``) goes through this class.

    Parameters
    ----------
    path : path-like
        The folder (it need not exist to be written).

    Examples
    --------
    >>> folder = ModelFolder("glove-model")          # doctest: +SKIP
    >>> folder.save({"ica": ica, "pca": pca}, run={"source": "glove-6b-50d"})  # doctest: +SKIP
    >>> folder.load("ica").n_axes                    # doctest: +SKIP
    50
    """

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)

    def __repr__(self) -> str:
        return f"ModelFolder({str(self.path)!r})"

    # ---------------------------------------------------------------- layout
    @property
    def methods(self) -> tuple[str, ...]:
        """The methods of a fitted folder that have a model (empty for other layouts)."""
        return tuple(m for m in METHODS if (self.path / m / "model.json").is_file())

    @property
    def holds_models(self) -> bool:
        """Whether the path is a model folder (fitted or single) rather than, say, a source folder."""
        return (any((self.path / m).is_dir() for m in METHODS)
                or (self.path / "model.json").is_file())

    def input_paths(self) -> list[Path]:
        """The folder and each model folder in it: what a command reading it must not write over
        (``-o MODEL/ica`` would otherwise replace the ICA model, which icaxes wrote)."""
        return list(dict.fromkeys([self.path, *(self.model_dir(m) for m in METHODS)]))

    def model_dir(self, method: str = "ica") -> Path:
        """The folder of the ``method`` model: ``DIR/method`` in a fitted folder, else ``DIR``."""
        if method not in METHODS:
            from icaxes.errors import InputError

            raise InputError(f"method must be {' or '.join(METHODS)}, got {method!r}")
        sub = self.path / method
        return sub if (sub / "model.json").is_file() or (sub / "transform.npz").is_file() else self.path

    def stability_path(self, method: str = "ica") -> Path:
        """Where the stability of the ``method`` model lives: in that model's own folder."""
        return self.model_dir(method) / STABILITY_FILE

    def _missing(self) -> ModelFormatError:
        return ModelFormatError(f"model folder {self.path} does not exist; create it with `icaxes fit`")

    # ---------------------------------------------------------------- writing
    def save(self, models: Mapping[str, AxisModel], run: Mapping[str, Any] | None = None, *,
             force: bool = False, inputs: Iterable[Any] = ()) -> Path:
        """Write a fitted folder: one model folder per method and ``run.json`` (atomically).

        Parameters
        ----------
        models : mapping of method -> AxisModel
            ``{"ica": ..., "pca": ...}`` (any of :data:`METHODS`).
        run : mapping, optional
            The run's settings, written to ``run.json`` with its format version.
        force, inputs : see :func:`icaxes.io.atomic.atomic_dir`.
        """
        from icaxes.io.atomic import atomic_dir

        bad = [m for m in models if m not in METHODS]
        if bad:
            raise ModelFormatError(f"a model folder holds {' and '.join(METHODS)} models, not {bad[0]!r}")
        with atomic_dir(self.path, force=force, inputs=inputs) as tmp:
            for method, model in models.items():
                model.save(tmp / method)
            if run is not None:
                (tmp / RUN_FILE).write_text(json.dumps(versioned(RUN_FORMAT, run), indent=2,
                                                       ensure_ascii=False, default=str), encoding="utf-8")
        return self.path

    def save_transform(self, est: Any, *, force: bool = False, inputs: Iterable[Any] = ()) -> Path:
        """Write a transform folder: ``transform.npz`` and a versioned ``transform.json``."""
        from icaxes.decompose.estimator import save_estimator_arrays
        from icaxes.io.atomic import atomic_dir

        with atomic_dir(self.path, force=force, inputs=inputs) as tmp:
            meta = versioned(TRANSFORM_FORMAT, save_estimator_arrays(est, tmp))
            (tmp / TRANSFORM_FILE).write_text(json.dumps(meta, indent=2), encoding="utf-8")
        return self.path

    def save_stability(self, blob: Mapping[str, Any], method: str = "ica") -> Path:
        """Write ``stability.json`` of the ``method`` model (atomically, with its format version)."""
        from icaxes.io.atomic import atomic_file

        path = self.stability_path(method)
        with atomic_file(path) as tmp:
            Path(tmp).write_text(json.dumps(versioned(STABILITY_FORMAT, blob), indent=1), encoding="utf-8")
        return path

    # ---------------------------------------------------------------- reading
    def load(self, method: str = "ica", *, mmap: bool = True) -> AxisModel:
        """The ``method`` model (a single model folder gives its one model whatever ``method``)."""
        from icaxes.model import AxisModel

        if not self.path.exists():
            raise self._missing()
        return AxisModel.load(self.model_dir(method), mmap=mmap)

    def load_all(self, *, mmap: bool = True) -> dict[str, AxisModel]:
        """Every model of the folder by method: both of a fitted folder, the one of a single folder."""
        from icaxes.model import AxisModel

        if not self.path.exists():
            raise self._missing()
        if self.methods:
            return {m: AxisModel.load(self.path / m, mmap=mmap) for m in self.methods}
        single = AxisModel.load(self.path, mmap=mmap)  # a folder written by AxisModel.save (or a clear error)
        return {single.method: single}

    def load_transform(self, method: str = "ica") -> Any:
        """The fitted estimator of a transform folder, or of the ``method`` model of a model folder."""
        from icaxes.decompose.estimator import load_estimator

        folder = self.model_dir(method)
        if not (folder / "transform.npz").is_file():
            raise ModelFormatError(f"{self.path} holds no transform.npz; create it with `icaxes fit` or "
                                   "`icaxes fit-array`")
        return load_estimator(folder)  # transform.json (or model.json) and transform.npz, checked

    def run(self) -> dict[str, Any] | None:
        """The checked ``run.json`` of a fitted folder (None when there is none)."""
        path = self.path / RUN_FILE
        if not path.is_file():
            return None
        blob = _json(self.path, RUN_FILE)
        if not isinstance(blob, dict):
            raise ModelFormatError(f"{path}: expected a JSON object, got {_type_name(blob)}; {_REFIT}")
        check_version(blob, RUN_FORMAT, path)
        return blob

    def stability(self, method: str = "ica") -> dict[str, Any] | None:
        """The checked ``stability.json`` of the ``method`` model (None when there is none).

        A ``stability.json`` beside ``ica/`` and ``pca/`` of a fitted folder (where older
        folders kept it) is read as the ICA model's.
        """
        path = self.stability_path(method)
        if not path.is_file() and method == "ica" and path.parent != self.path:
            path = self.path / STABILITY_FILE
        if not path.is_file():
            return None
        blob = _json(path.parent, STABILITY_FILE)
        values = blob.get("stability") if isinstance(blob, dict) else None
        if not isinstance(values, list) or not all(isinstance(v, _NUMBER) and not isinstance(v, bool)
                                                   for v in values):
            raise ModelFormatError(f"{path} is not a stability file (it needs a 'stability' list of "
                                   "numbers); rerun `icaxes evaluate --tasks stability`")
        check_version(blob, STABILITY_FORMAT, path)
        return blob


def load_model_folders(folders: Iterable[str | os.PathLike[str]], *, mmap: bool = True
                       ) -> tuple[list[tuple[str, dict[str, AxisModel]]], dict[str, dict[str, list[float]]]]:
    """Load several model folders, each with its models and their stability, for the explorer.

    Parameters
    ----------
    folders : iterable of path-like
        Fitted folders (``icaxes fit``) or single model folders.
    mmap : bool
        Memory-map the components.

    Returns
    -------
    models : list of (name, {method: AxisModel})
        One entry per folder, named after it (``name (2)`` for a repeated name), in the order
        given: what :func:`icaxes.explorer.write_explorer` takes.
    stability : dict of name -> {method: list of float}
        The per-axis stability of the models that have one.
    """
    models: list[tuple[str, dict[str, AxisModel]]] = []
    stability: dict[str, dict[str, list[float]]] = {}
    seen: dict[str, int] = {}
    for given in folders:
        folder = ModelFolder(given)
        variants = folder.load_all(mmap=mmap)
        name = folder.path.resolve().name or str(folder.path)
        seen[name] = seen.get(name, 0) + 1
        if seen[name] > 1:
            name = f"{name} ({seen[name]})"
        models.append((name, variants))
        found = {m: folder.stability(m) for m in variants}
        stability[name] = {m: [float(v) for v in blob["stability"]] for m, blob in found.items()
                           if blob is not None}
    return models, stability
