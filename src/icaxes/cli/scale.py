"""Scale commands: fit on a sample of a large matrix, transform it chunk by chunk, Dask engine."""

from __future__ import annotations

from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer

from icaxes.cli._app import DeviceOption, ForceOption, Solver, SolverOption, app, err
from icaxes.errors import InputError
from icaxes.params import MAX_ITER, TOL

Engine = Annotated[str, typer.Option(help="numpy (this process) or dask (a Dask cluster).")]
Scheduler = Annotated[str | None, typer.Option(
    help="Address of a running Dask scheduler, e.g. tcp://host:8786 (default: a local cluster).")]


@contextmanager
def _client(engine: str, scheduler: str | None):
    if engine not in ("numpy", "dask"):
        raise InputError(f"--engine must be numpy or dask, not {engine!r}")
    if engine == "numpy":
        if scheduler:
            raise InputError("--scheduler needs --engine dask")
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


def _dask_matrix(path: Path, chunk_rows: int):
    import dask.array as da

    from icaxes.decompose.outofcore import open_matrix

    X = open_matrix(path)
    return da.from_array(X, chunks=(chunk_rows, X.shape[1]))


@app.command("fit-array")
def fit_array(
    source: Annotated[Path, typer.Argument(help="Input matrix (.npy, rows x dimensions).")],
    output: Annotated[Path, typer.Option("-o", "--output", help="Folder to write the transform to.")],
    sample: Annotated[int | None, typer.Option(
        help="Fit on this many rows drawn uniformly (seeded); default all rows.")] = None,
    weights: Annotated[Path | None, typer.Option(
        help="Optional .npy of row weights (e.g. frequencies) for the sample.")] = None,
    seed: Annotated[int, typer.Option(help="Seed of the sample and of the starting rotation.")] = 0,
    max_iter: Annotated[int, typer.Option(help="Maximum ICA iterations.")] = MAX_ITER,
    tol: Annotated[float, typer.Option(help="Convergence tolerance (the default is the paper's).")] = TOL,
    engine: Engine = "numpy",
    scheduler: Scheduler = None,
    chunk_rows: Annotated[int, typer.Option(help="Rows per Dask chunk.")] = 65536,
    solver: SolverOption = Solver.lbfgs,
    device: DeviceOption = None,
    force: ForceOption = False,
) -> None:
    """Fit ICA on a (sample of a) large .npy matrix; writes transform.npz + transform.json."""
    _fit_array(source, output, sample, weights, seed, max_iter, tol, engine, scheduler, chunk_rows,
               solver, device, force)


def _fit_array(source, output, sample, weights, seed, max_iter, tol, engine, scheduler, chunk_rows,
               solver, device, force):
    from icaxes.decompose.estimator import ICA
    from icaxes.decompose.outofcore import fit_sample, open_matrix, save_transform
    from icaxes.io.atomic import check_output_dir

    inputs = [source, weights]
    check_output_dir(output, inputs=inputs, force=force)
    est = ICA(random_state=seed, max_iter=max_iter, tol=tol, progress=True, solver=solver.value,
              device=device)
    with _client(engine, scheduler):
        if engine == "dask":
            if sample is not None or weights is not None:
                raise InputError("--sample/--weights work with --engine numpy; the dask engine "
                                 "fits on all rows")
            est.fit(_dask_matrix(source, chunk_rows))
        else:
            from icaxes.io.limits import read_npy

            X = open_matrix(source)
            w = None if weights is None else read_npy(weights, mmap=False)
            est = fit_sample(X, sample or X.shape[0], seed=seed, weights=w, estimator=est)
    save_transform(est, output, force=force, inputs=inputs)
    err.print(f"fitted {est.components_.shape[0]} axes: {est.n_iter_} iterations, final change "
              f"{est.change_:.1e}{'' if est.converged_ else ' (NOT converged)'}; wrote {output}")


@app.command()
def transform(
    model: Annotated[Path, typer.Argument(help="Folder from `icaxes fit` or `icaxes fit-array`.")],
    source: Annotated[Path, typer.Argument(help="Input matrix (.npy) with the model's columns.")],
    output: Annotated[Path, typer.Option("-o", "--output", help="Output .npy or .parquet.")],
    method: Annotated[str, typer.Option("--method", "-m", help="ica or pca (for `icaxes fit` folders).")]
    = "ica",
    chunk_rows: Annotated[int, typer.Option(help="Rows per chunk (bounds the memory).")] = 65536,
    engine: Engine = "numpy",
    scheduler: Scheduler = None,
) -> None:
    """Project every row of SOURCE on the model's axes, chunk by chunk, into OUTPUT."""
    _transform(model, source, output, method, chunk_rows, engine, scheduler)


def _transform(model, source, output, method, chunk_rows, engine, scheduler):
    from icaxes.decompose.outofcore import load_transform, transform_file
    from icaxes.io.atomic import check_output_file

    if chunk_rows < 1:
        raise InputError("--chunk-rows must be at least 1")
    check_output_file(output, inputs=[model, source])
    est = load_transform(model, method)
    with _client(engine, scheduler):
        if engine == "dask":
            import numpy as np

            from icaxes.io.atomic import atomic_file

            if output.suffix != ".npy":
                raise InputError("--engine dask writes .npy output")
            S = est.transform(_dask_matrix(source, chunk_rows)).astype(np.float32)
            with atomic_file(output, inputs=[model, source]) as tmp:
                out = np.lib.format.open_memmap(tmp, mode="w+", dtype=np.float32, shape=S.shape)
                # blocks come back to this process one at a time: works with remote workers too
                start = 0
                for i in range(S.numblocks[0]):
                    block = S.blocks[i].compute()
                    out[start : start + block.shape[0]] = block
                    start += block.shape[0]
                out.flush()
                del out
        else:
            transform_file(est, source, output, chunk_rows=chunk_rows, progress=True)
    err.print(f"wrote {output}")
