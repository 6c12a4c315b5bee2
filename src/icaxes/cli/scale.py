"""Scale commands: fit on a sample of a large matrix, transform it chunk by chunk, Dask engine
(each a call of :mod:`icaxes.decompose.outofcore`)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from icaxes.cli._app import DeviceOption, ForceOption, NInitOption, Solver, SolverOption, app, err
from icaxes.params import MAX_ITER, N_INIT, TOL

Engine = Annotated[str, typer.Option(help="numpy (this process) or dask (a Dask cluster).")]
Scheduler = Annotated[str | None, typer.Option(
    help="Address of a running Dask scheduler, e.g. tcp://host:8786 (default: a local cluster).")]


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
    n_init: NInitOption = N_INIT,
    force: ForceOption = False,
) -> None:
    """Fit ICA on a (sample of a) large .npy matrix; writes transform.npz + transform.json."""
    from icaxes.decompose.outofcore import fit_array as fit_matrix

    est = fit_matrix(source, output, sample=sample, weights=weights, seed=seed, max_iter=max_iter, tol=tol,
                     solver=solver.value, device=device, engine=engine, scheduler=scheduler,
                     chunk_rows=chunk_rows, n_init=n_init, force=force, progress=True)
    starts = "" if est.init_contrasts_ is None else f" (kept start {est.best_init_ + 1} of {n_init})"
    err.print(f"fitted {est.components_.shape[0]} axes: {est.n_iter_} iterations, final change "
              f"{est.change_:.1e}{'' if est.converged_ else ' (NOT converged)'}{starts}; wrote {output}")


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
    from icaxes.decompose.outofcore import transform_array

    path = transform_array(model, source, output, method=method, chunk_rows=chunk_rows, engine=engine,
                           scheduler=scheduler, progress=True)
    err.print(f"wrote {path}")
