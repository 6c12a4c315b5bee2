"""Beyond RAM: fit on a seeded sample of rows, transform any number of rows chunk by chunk.

The input is a ``.npy`` file opened as a memory map, so only the sample and one chunk are
ever held in the process's own memory; the output is a ``.npy`` memory map or a parquet
file (one float32 column per axis, written one row group per chunk), written through
:func:`~icaxes.io.atomic.atomic_file` so that an interruption leaves nothing behind.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np

from icaxes.decompose.whitening import apply_affine
from icaxes.errors import (
    DimensionMismatchError,
    EmbeddingFormatError,
    InputError,
    ParameterError,
)
from icaxes.io.atomic import atomic_file
from icaxes.io.model_format import METHODS, ModelFolder
from icaxes.params import MAX_ITER, N_INIT, TOL

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



# ----------------------------------------------------------------------------- engines

#: where the passes over the rows run: this process, or a Dask cluster
ENGINES = ("numpy", "dask")


@contextmanager
def engine_client(engine: str = "numpy", scheduler: str | None = None) -> Iterator[Any]:
    """The compute context of an engine: nothing for ``numpy``, a ``distributed.Client`` for ``dask``.

    Parameters
    ----------
    engine : {"numpy", "dask"}
    scheduler : str, optional
        Address of a running Dask scheduler (e.g. ``tcp://host:8786``); default with
        ``engine="dask"``: a local in-process cluster, closed on exit.

    Yields
    ------
    distributed.Client or None
    """
    if engine not in ENGINES:
        raise ParameterError(f"engine (--engine) must be numpy or dask, not {engine!r}")
    if engine == "numpy":
        if scheduler:
            raise ParameterError("a scheduler (--scheduler) needs the dask engine (--engine dask)")
        yield None
        return
    from icaxes.errors import require

    require("distributed", extra="dask", feature="--engine dask")
    from distributed import Client, LocalCluster

    if scheduler:
        try:
            client = Client(scheduler, timeout="10s")
        except OSError as exc:
            raise InputError(f"cannot reach the Dask scheduler at {scheduler} ({exc}); "
                             "check the address") from None
        with client:
            yield client
    else:
        with LocalCluster(processes=False) as cluster, Client(cluster) as client:
            yield client


def _check_chunk_rows(chunk_rows: int) -> int:
    if isinstance(chunk_rows, bool) or not isinstance(chunk_rows, int | np.integer) or chunk_rows < 1:
        raise ParameterError(f"chunk_rows (--chunk-rows) must be an integer of at least 1, "
                             f"got {chunk_rows!r}")
    return int(chunk_rows)


def dask_matrix(path: str | Path, chunk_rows: int = TRANSFORM_ROWS) -> Any:
    """A ``.npy`` matrix as a Dask array of row chunks (read through a memory map)."""
    from icaxes.errors import require

    require("dask", extra="dask", feature="Dask arrays")
    import dask.array as da

    X = open_matrix(path)
    return da.from_array(X, chunks=(_check_chunk_rows(chunk_rows), X.shape[1]))


def _dask_output(output: str | Path) -> Path:
    output = Path(output)
    if output.suffix != ".npy":
        raise InputError(f"{output}: the dask engine writes .npy output; name the output *.npy")
    return output


def transform_dask_file(est: Any, source: str | Path, output: str | Path, *,
                        chunk_rows: int = TRANSFORM_ROWS, inputs: Any = ()) -> Path:
    """Transform a ``.npy`` matrix on the active Dask cluster into a ``.npy`` file.

    The transform is a blockwise map over row chunks; the blocks come back to this process
    one at a time and go into a memory-mapped output, so it works with remote workers and the
    memory here stays one block. The file appears only when complete.

    Parameters
    ----------
    est : fitted ICA or PCA
    source : path
        Input ``.npy`` (n, d).
    output : path
        Output ``.npy`` (float32, (n, k)).
    chunk_rows : int
        Rows per Dask chunk.
    inputs : paths
        Inputs the output must not overwrite (the output policy of :mod:`icaxes.io.atomic`).

    Returns
    -------
    Path
        ``output``.
    """
    output = _dask_output(output)
    dX = dask_matrix(source, chunk_rows)
    if dX.shape[1] != est.n_features_in_:
        raise DimensionMismatchError(
            f"{source} has {dX.shape[1]} columns but the model expects {est.n_features_in_}")
    S = est.transform(dX).astype(np.float32)
    with atomic_file(output, inputs=[source, *inputs]) as tmp:
        out = np.lib.format.open_memmap(tmp, mode="w+", dtype=np.float32, shape=S.shape)
        start = 0
        for i in range(S.numblocks[0]):
            block = S.blocks[i].compute()
            out[start : start + block.shape[0]] = block
            start += block.shape[0]
        out.flush()
        del out
    return output


def fit_array(source: str | Path, output: str | Path, *, sample: int | None = None,
              weights: str | Path | None = None, seed: int = 0, max_iter: int = MAX_ITER,
              tol: float = TOL, solver: str = "lbfgs", device: str | None = None,
              engine: str = "numpy", scheduler: str | None = None, chunk_rows: int = TRANSFORM_ROWS,
              n_init: int = N_INIT, force: bool = False, progress: bool = False) -> Any:
    """Fit ICA on a large ``.npy`` matrix (or a seeded sample of it) and save the transform.

    What ``icaxes fit-array`` does: the ``numpy`` engine fits in this process on ``sample``
    rows drawn uniformly (or by ``weights``, a ``.npy`` of row weights) with ``seed``; the
    ``dask`` engine fits on every row, as map-reduce over row chunks on a Dask cluster. The
    folder (``transform.npz`` + ``transform.json``, :func:`save_transform`) appears when complete.

    Parameters
    ----------
    source : path
        Input ``.npy`` (rows x dimensions), read through a memory map.
    output : path
        Folder to write.
    sample : int, optional
        Rows to fit on (numpy engine; default: all).
    weights : path, optional
        ``.npy`` of non-negative row weights for the sample (numpy engine).
    seed : int
        Seed of the sample and of the starting rotation.
    max_iter, tol, solver, device : see :class:`~icaxes.ICA`.
    n_init : int
        Starts to solve from, keeping the best (numpy engine; see :class:`~icaxes.ICA`).
    engine : {"numpy", "dask"}
    scheduler : str, optional
        Dask scheduler address (see :func:`engine_client`).
    chunk_rows : int
        Rows per Dask chunk.
    force : bool
        Replace an existing folder icaxes did not write (see :mod:`icaxes.io.atomic`).
    progress : bool
        Show a progress bar.

    Returns
    -------
    ICA
        The fitted estimator.
    """
    from icaxes.decompose.estimator import ICA
    from icaxes.io.atomic import check_output_dir

    inputs = [p for p in (source, weights) if p is not None]
    check_output_dir(Path(output), inputs=inputs, force=force)
    if engine == "dask" and (sample is not None or weights is not None):
        raise InputError("a sample (--sample/--weights) works with the numpy engine; the dask engine "
                         "fits on all rows")
    est = ICA(random_state=seed, max_iter=max_iter, tol=tol, progress=progress, solver=solver,
              device=device, n_init=n_init)
    with engine_client(engine, scheduler):
        if engine == "dask":
            est.fit(dask_matrix(source, chunk_rows))
        else:
            from icaxes.io.limits import read_npy

            X = open_matrix(source)
            w = None if weights is None else read_npy(weights, mmap=False)
            est = fit_sample(X, sample or X.shape[0], seed=seed, weights=w, estimator=est)
    save_transform(est, output, force=force, inputs=inputs)
    return est


def transform_array(model: str | Path, source: str | Path, output: str | Path, *, method: str = "ica",
                    chunk_rows: int = TRANSFORM_ROWS, engine: str = "numpy", scheduler: str | None = None,
                    progress: bool = False) -> Path:
    """Project every row of a ``.npy`` matrix on a saved model's axes into ``output``.

    What ``icaxes transform`` does: the ``numpy`` engine writes ``.npy`` or ``.parquet`` chunk
    by chunk (:func:`transform_file`), the ``dask`` engine ``.npy`` from a Dask cluster
    (:func:`transform_dask_file`).

    Parameters
    ----------
    model : path
        A folder from ``icaxes fit`` (``method`` picks ``ica`` or ``pca``) or ``icaxes fit-array``.
    source : path
        Input ``.npy`` with the model's columns.
    output : path
        ``.npy`` or ``.parquet`` (numpy engine); ``.npy`` (dask engine).
    method : {"ica", "pca"}
    chunk_rows : int
        Rows per chunk (bounds the memory).
    engine, scheduler : see :func:`engine_client`.
    progress : bool
        Show a progress bar (numpy engine).

    Returns
    -------
    Path
        ``output``.
    """
    from icaxes.io.atomic import check_output_file

    chunk_rows = _check_chunk_rows(chunk_rows)
    if method not in METHODS:
        raise ParameterError(f"method (--method) must be ica or pca, not {method!r}")
    if engine == "dask":
        _dask_output(output)  # before a cluster starts
    check_output_file(Path(output), inputs=[model, source])
    est = load_transform(model, method)
    with engine_client(engine, scheduler):
        if engine == "dask":
            return transform_dask_file(est, source, output, chunk_rows=chunk_rows, inputs=[model])
        return transform_file(est, source, output, chunk_rows=chunk_rows, progress=progress)
