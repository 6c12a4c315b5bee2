"""Beyond RAM: fit on a seeded sample of rows, transform any number of rows chunk by chunk.

The input is a ``.npy`` file opened as a memory map, so only the sample and one chunk are
ever held in the process's own memory; the output is a ``.npy`` memory map or a parquet
file (one float32 column per axis, written one row group per chunk), written through
:func:`~icaxes.io.atomic.atomic_file` so that an interruption leaves nothing behind.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from icaxes.decompose.whitening import apply_affine
from icaxes.errors import DimensionMismatchError, EmbeddingFormatError, InputError
from icaxes.io.atomic import atomic_file
from icaxes.io.model_format import ModelFolder

#: rows per transform chunk (64k x 300 float32 is 75 MB in, 75 MB out)
TRANSFORM_ROWS = 65536


def open_matrix(path: str | Path) -> np.ndarray:
    """Open a 2-D float ``.npy`` file as a read-only memory map (no pickles)."""
    path = Path(path)
    if path.suffix != ".npy":
        raise EmbeddingFormatError(f"{path}: expected a .npy matrix; convert it with numpy.save")
    if not path.exists():
        raise InputError(f"{path}: no such file")
    from icaxes.io.limits import read_npy

    X = read_npy(path, mmap=True)  # a regular file whose header matches its size
    if X.ndim != 2 or X.dtype.kind != "f":
        raise EmbeddingFormatError(f"{path}: expected a 2-D float matrix, got {X.ndim}-D {X.dtype}")
    return X


def sample_rows(n: int, size: int, seed: int | None = 0, weights: np.ndarray | None = None) -> np.ndarray:
    """Sorted indices of ``size`` distinct rows out of ``n``, uniform or weighted, seeded.

    Parameters
    ----------
    n : int
        Number of rows.
    size : int
        Sample size (all rows if ``size >= n``).
    seed : int or None
        Seed; the same seed gives the same sample.
    weights : ndarray of shape (n,), optional
        Non-negative sampling weights, e.g. word frequencies as in the paper.
    """
    if size >= n:
        return np.arange(n)
    rng = np.random.default_rng(seed)
    p = None
    if weights is not None:
        w = np.asarray(weights, dtype=np.float64)
        if w.shape != (n,) or np.any(w < 0) or not np.isfinite(w).all() or w.sum() <= 0:
            raise InputError("sampling weights must be n finite non-negative numbers, not all zero")
        if np.count_nonzero(w) < size:
            raise InputError(f"only {np.count_nonzero(w)} rows have positive weight; sample fewer")
        p = w / w.sum()
    return np.sort(rng.choice(n, size=size, replace=False, p=p))


def fit_sample(X: np.ndarray, size: int, *, seed: int | None = 0, weights: np.ndarray | None = None,
               estimator: Any = None) -> Any:
    """Fit an estimator (default :class:`~icaxes.ICA` with ``random_state=seed``) on a row sample.

    ``X`` may be a memory map: only the sampled rows are read into memory.
    """
    from icaxes.decompose.estimator import ICA

    est = estimator if estimator is not None else ICA(random_state=seed)
    rows = sample_rows(X.shape[0], size, seed, weights)
    sample = np.ascontiguousarray(X[rows])
    if sample.dtype not in (np.float32, np.float64):
        sample = sample.astype(np.float32)
    return est.fit(sample)


def save_transform(est: Any, path: str | Path, *, force: bool = False, inputs: Any = ()) -> Path:
    """Save a fitted estimator's arrays to a folder (``transform.npz`` + ``transform.json``).

    The folder is written by :class:`~icaxes.io.model_format.ModelFolder`; an existing one is
    replaced under the output policy of :mod:`icaxes.io.atomic`.
    """
    return ModelFolder(path).save_transform(est, force=force, inputs=inputs)


def load_transform(path: str | Path, method: str = "ica") -> Any:
    """Load the fitted estimator of a folder from :func:`save_transform` or ``icaxes fit``
    (see :meth:`~icaxes.io.model_format.ModelFolder.load_transform`)."""
    return ModelFolder(path).load_transform(method)


def transform_file(est: Any, source: str | Path, output: str | Path, *,
                   chunk_rows: int = TRANSFORM_ROWS, progress: bool = False) -> Path:
    """Transform every row of a ``.npy`` matrix chunk by chunk into ``.npy`` or ``.parquet``.

    Parameters
    ----------
    est : fitted ICA or PCA
    source : path
        Input ``.npy`` (n, d); read through a memory map.
    output : path
        ``.npy`` (float32 (n, k), written through a memory map) or ``.parquet`` (columns
        ``axis_0`` ... ``axis_{k-1}``, float32).
    chunk_rows : int
        Rows per chunk: bounds the memory used.
    progress : bool
        Show a progress bar.

    Returns
    -------
    Path
        ``output``.
    """
    X = open_matrix(source)
    output = Path(output)
    if X.shape[1] != est.n_features_in_:
        raise DimensionMismatchError(
            f"{source} has {X.shape[1]} columns but the model expects {est.n_features_in_}")
    if output.suffix not in (".npy", ".parquet"):
        raise InputError(f"{output}: output must end in .npy or .parquet")
    n = X.shape[0]
    k = est.components_.shape[0]
    from icaxes.progress import ProgressBar

    bar = ProgressBar("transform", n, enabled=progress, count=True)
    try:
        with atomic_file(output, inputs=[source]) as tmp:
            if output.suffix == ".npy":
                out = np.lib.format.open_memmap(tmp, mode="w+", dtype=np.float32, shape=(n, k))
                for start in range(0, n, chunk_rows):
                    S = apply_affine(X[start : start + chunk_rows], est.mean_, est.components_,
                                     np.float32)
                    out[start : start + S.shape[0]] = S
                    bar.advance(S.shape[0])
                out.flush()
                del out
            else:
                import pyarrow as pa
                import pyarrow.parquet as pq

                names = [f"axis_{i}" for i in range(k)]
                schema = pa.schema([(name, pa.float32()) for name in names])
                with pq.ParquetWriter(tmp, schema) as writer:
                    for start in range(0, n, chunk_rows):
                        S = apply_affine(X[start : start + chunk_rows], est.mean_, est.components_,
                                         np.float32)
                        writer.write_table(pa.Table.from_arrays(list(S.T), schema=schema))
                        bar.advance(S.shape[0])
    finally:
        bar.close()
    return output

