"""Write files and folders so that a failure or interruption leaves nothing behind.

Everything icaxes writes goes first to a hidden temporary sibling of the target,
which is renamed onto the target only when complete.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

from icaxes.errors import OutputError


def _check_parent(target: Path) -> Path:
    parent = target.parent
    try:
        parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        blocker = next((p for p in [parent, *parent.parents] if p.exists() and not p.is_dir()), None)
        why = f"{blocker} is a file, not a folder" if blocker is not None else (exc.strerror or str(exc))
        raise OutputError(f"cannot create output folder {parent}: {why}; choose a writable path") from exc
    if not os.access(parent, os.W_OK | os.X_OK):
        raise OutputError(f"output folder {parent} is not writable; choose a writable path")
    return parent


def check_output_dir(target: str | os.PathLike[str]) -> Path:
    """Fail early, with :class:`OutputError`, if the folder ``target`` could not be written.

    Call it before expensive work. Permission bits do not stop root, so a temporary folder is
    really created (and removed) next to ``target``: this also catches read-only and pseudo
    file systems.

    Returns
    -------
    Path
        The parent folder of ``target`` (created if needed).
    """
    target = Path(target)
    parent = _check_parent(target)
    if target.exists() and not target.is_dir():
        raise OutputError(f"output path {target} exists and is not a folder; choose another path")
    try:
        Path(tempfile.mkdtemp(prefix=f".{target.name}.", suffix=".probe", dir=parent)).rmdir()
    except OSError as exc:
        raise OutputError(
            f"cannot write in {parent}: {exc.strerror or exc}; choose a writable path") from None
    return parent


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


@contextlib.contextmanager
def atomic_file(target: str | os.PathLike[str]) -> Iterator[Path]:
    """Yield a temporary path that is renamed onto ``target`` on success.

    Parameters
    ----------
    target : path-like
        Final file path.

    Yields
    ------
    Path
        A path in the same folder to write to.
    """
    target = Path(target)
    parent = _check_parent(target)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=parent)
    os.close(fd)
    tmp_path = Path(tmp)
    try:
        yield tmp_path
        # mkstemp creates 0600 files; give the result the permissions of a normal file
        os.chmod(tmp_path, 0o666 & ~_umask())
        os.replace(tmp_path, target)
    except BaseException:
        tmp_path.unlink(missing_ok=True)
        raise


@contextlib.contextmanager
def atomic_dir(target: str | os.PathLike[str], *, overwrite: bool = True) -> Iterator[Path]:
    """Yield a temporary folder that replaces ``target`` on success.

    Parameters
    ----------
    target : path-like
        Final folder path. An existing folder is replaced only once the new one is complete.
    overwrite : bool, default True
        If False and ``target`` exists, raise :class:`~icaxes.errors.OutputError`.

    Yields
    ------
    Path
        An empty temporary folder next to ``target``.
    """
    target = Path(target)
    if target.exists() and not target.is_dir():
        raise OutputError(f"output path {target} exists and is not a folder; choose another path")
    if target.exists() and not overwrite:
        raise OutputError(f"output folder {target} already exists; remove it or pass overwrite")
    parent = _check_parent(target)
    try:
        tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.", suffix=".tmp", dir=parent))
    except OSError as exc:
        raise OutputError(f"cannot write in {parent}: {exc.strerror or exc}") from exc
    try:
        yield tmp
        os.chmod(tmp, 0o777 & ~_umask())  # mkdtemp creates 0700 folders
        if target.exists():
            old = Path(tempfile.mkdtemp(prefix=f".{target.name}.", suffix=".old", dir=parent))
            os.replace(target, old / "x")
            os.replace(tmp, target)
            shutil.rmtree(old, ignore_errors=True)
        else:
            os.replace(tmp, target)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
