"""The output policy: write files and folders so that nothing of the user's is lost.

This module is the one owner of how icaxes writes its output:

- Everything goes first to a hidden temporary sibling of the target,
  ``.NAME.icaxes-HOST-PID-RANDOM.tmp``, renamed onto the target only when complete, so a
  failure or an interruption leaves nothing behind.
- Every output folder gets a marker file, :data:`MARKER` (``.icaxes-output.json``: format,
  format version, the command that wrote it and the files it holds). An existing folder is
  replaced only when it is empty, or when its marker shows icaxes wrote it and it holds no
  file icaxes did not write; any other folder is refused with one line, unless ``force``
  (``--force``) is given. The current folder, its parents, the home folder and any folder
  holding an input of the command are never replaced, not even with ``force``.
- A run that was killed (SIGKILL, power loss) can leave its temporary sibling behind. The
  next run writing the same target removes those of its siblings that are clearly icaxes'
  own and stale: named as above by a process of this machine that has ended, or older than
  :data:`STALE_AFTER_S`.
- Disk-full, permission and read-only errors while writing become one
  :class:`~icaxes.errors.OutputError`.
"""

from __future__ import annotations

import contextlib
import contextvars
import errno
import hashlib
import json
import os
import re
import shutil
import socket
import tempfile
import time
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from icaxes.errors import OutputError

#: the marker file in every folder icaxes writes
MARKER = ".icaxes-output.json"
MARKER_FORMAT = "icaxes-output"
MARKER_VERSION = 1

#: temporary siblings older than this (seconds) are stale whoever made them
STALE_AFTER_S = 24 * 3600

#: errors of the write itself (the disk, the permissions), reported as OutputError
WRITE_ERRNOS = frozenset({errno.ENOSPC, errno.EDQUOT, errno.EROFS, errno.EACCES, errno.EPERM,
                          errno.EBUSY, errno.EFBIG, errno.ENAMETOOLONG, errno.EXDEV})

_WRITER: contextvars.ContextVar[str] = contextvars.ContextVar("icaxes_writer", default="icaxes (Python API)")

PathLike = str | os.PathLike[str]


@contextlib.contextmanager
def writing_as(name: str) -> Iterator[None]:
    """Record ``name`` (e.g. ``"icaxes fit"``) as the writer in the markers written meanwhile."""
    token = _WRITER.set(name)
    try:
        yield
    finally:
        _WRITER.reset(token)


# ------------------------------------------------------------------ temporary siblings
def _host() -> str:
    return hashlib.sha1(socket.gethostname().encode("utf-8", "replace")).hexdigest()[:6]


def _stem(target: Path) -> str:
    return target.name[:120]  # room for the tag within the 255-byte name limit


def _prefix(target: Path) -> str:
    return f".{_stem(target)}.icaxes-{_host()}-{os.getpid()}-"


def _pid_alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # exists, owned by someone else
        return True
    return True


def clean_stale(target: PathLike) -> list[Path]:
    """Remove the stale temporary siblings of ``target`` left by killed icaxes runs.

    Only names of the form ``.NAME.icaxes-HOST-PID-RANDOM.{tmp,old,probe}`` are considered;
    one is stale when its process (on this machine) has ended or it is older than
    :data:`STALE_AFTER_S`. A stale ``.old`` sibling holding the previous output while the
    target is missing (killed between the two renames) is moved back onto the target.

    Returns
    -------
    list of Path
        What was removed (or restored).
    """
    target = Path(target)
    pattern = re.compile(rf"^\.{re.escape(_stem(target))}\.icaxes-([0-9a-f]{{6}})-(\d+)-[^./]+"
                         r"\.(tmp|old|probe)$")
    done: list[Path] = []
    try:
        entries = list(os.scandir(target.parent))
    except OSError:
        return done
    host, now = _host(), time.time()
    for entry in entries:
        m = pattern.match(entry.name)
        if not m:
            continue
        try:
            age = now - entry.stat(follow_symlinks=False).st_mtime
        except OSError:
            continue
        mine = m.group(1) == host
        if not ((mine and not _pid_alive(int(m.group(2)))) or age > STALE_AFTER_S):
            continue
        path = Path(entry.path)
        with contextlib.suppress(OSError):
            if m.group(3) == "old" and (path / "x").exists() and not os.path.lexists(target):
                os.replace(path / "x", target)  # the previous output, half-way through a swap
            if entry.is_dir(follow_symlinks=False):
                shutil.rmtree(path)
            else:
                path.unlink()
            done.append(path)
    return done


# ------------------------------------------------------------------ the marker
def read_marker(folder: PathLike) -> dict[str, Any] | None:
    """The marker of ``folder`` if it is a folder icaxes wrote, else None."""
    path = Path(folder) / MARKER
    try:
        if path.is_symlink() or not path.is_file() or path.stat().st_size > 10_000_000:
            return None
        meta = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not (isinstance(meta, dict) and meta.get("format") == MARKER_FORMAT
            and isinstance(meta.get("files"), list)):
        return None
    return meta


def _files(folder: Path) -> list[str]:
    """Every file (and link) under ``folder``, as relative POSIX paths, sorted."""
    out = []
    for dirpath, dirnames, filenames in os.walk(folder):
        rel = Path(dirpath).relative_to(folder)
        links = [d for d in dirnames if os.path.islink(os.path.join(dirpath, d))]
        out += [(rel / f).as_posix() for f in [*filenames, *links]]
    return sorted(out)


def _write_marker(folder: Path, files: list[str]) -> None:
    from icaxes import __version__

    meta = {"format": MARKER_FORMAT, "format_version": MARKER_VERSION, "written_by": _WRITER.get(),
            "icaxes_version": __version__, "files": files}
    (folder / MARKER).write_text(json.dumps(meta, indent=1, ensure_ascii=False), encoding="utf-8")


#: a path inside one of icaxes' temporary siblings
_TEMPORARY = re.compile(r"\.icaxes-[0-9a-f]{6}-\d+-[^./]+\.(tmp|old|probe)(/|$)")


def foreign_files(folder: PathLike) -> list[str]:
    """The files under ``folder`` that no icaxes marker (there or in a subfolder) lists."""
    folder = Path(folder)
    known: set[str] = set()
    for dirpath, _, _ in os.walk(folder):
        meta = read_marker(dirpath)
        if meta is not None:
            rel = Path(dirpath).relative_to(folder)
            known |= {(rel / str(f)).as_posix() for f in meta["files"]} | {(rel / MARKER).as_posix()}
    return [f for f in _files(folder) if f not in known and not _TEMPORARY.search(f)]


def _register(target: Path) -> None:
    """Add the file ``target`` to the marker of the icaxes folder it was written into."""
    for folder in list(target.parents)[:3]:
        meta = read_marker(folder)
        if meta is None:
            continue
        rel = target.relative_to(folder).as_posix()
        if _TEMPORARY.search(rel):  # written into a folder still being built: listed when it is done
            return
        if rel not in meta["files"]:
            with contextlib.suppress(OSError):  # unlisted only makes a later replace refuse
                fd, tmp = tempfile.mkstemp(prefix=_prefix(folder / MARKER), suffix=".tmp", dir=folder)
                with os.fdopen(fd, "w", encoding="utf-8") as fh:
                    json.dump({**meta, "files": sorted([*meta["files"], rel])}, fh, indent=1,
                              ensure_ascii=False)
                os.replace(tmp, folder / MARKER)
        return


# ------------------------------------------------------------------ the policy
def _resolved(path: PathLike) -> Path:
    return Path(os.path.abspath(path)).resolve()


def _is_within(path: Path, folder: Path) -> bool:
    return path == folder or folder in path.parents


def _check_protected(target: Path, inputs: Iterable[PathLike | None]) -> None:
    """Refuse targets that are never replaced, whatever ``force`` says."""
    if str(target) in ("", "."):
        raise OutputError("the output path is the current folder; give a new folder, e.g. -o out")
    real = _resolved(target)
    cwd = _resolved(os.getcwd())
    if _is_within(cwd, real):
        what = "the current folder" if real == cwd else f"a parent of the current folder ({cwd})"
        raise OutputError(f"output path {target} is {what}; give a new folder, e.g. -o out")
    try:
        home = _resolved(Path.home())
    except (RuntimeError, KeyError):  # no home folder known
        home = None
    if real == home or real.parent == real:
        raise OutputError(f"output path {target} is the home or root folder; give a new folder")
    for item in inputs:
        if item is None or not os.path.lexists(item):
            continue
        inp = _resolved(item)
        if _is_within(inp, real):
            what = "is" if inp == real else "holds"
            raise OutputError(f"output path {target} {what} the input {item}; icaxes never "
                              "overwrites its input: choose another output path")


def _check_replace(target: Path, force: bool) -> None:
    """Refuse to replace an existing folder that icaxes did not write (unless ``force``)."""
    if not os.path.lexists(target):
        return
    if not target.is_dir():
        raise OutputError(f"output path {target} exists and is not a folder; choose another path")
    if force:
        return
    if target.is_symlink():
        raise OutputError(f"output folder {target} is a symbolic link; choose another path, or pass "
                          "--force (force=True) to replace the link")
    if not any(target.iterdir()):
        return
    if read_marker(target) is None:
        raise OutputError(f"output folder {target} already exists and was not written by icaxes; "
                          "choose another path, or pass --force (force=True) to replace it")
    extra = foreign_files(target)
    if extra:
        shown = ", ".join(extra[:3]) + (f" and {len(extra) - 3} more" if len(extra) > 3 else "")
        raise OutputError(f"output folder {target} holds files icaxes did not write ({shown}); "
                          "move them away, choose another path, or pass --force (force=True)")


def _check_parent(target: Path) -> Path:
    parent = target.parent
    try:
        parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        blocker = next((p for p in [parent, *parent.parents] if p.exists() and not p.is_dir()), None)
        why = f"{blocker} is a file, not a folder" if blocker is not None else (exc.strerror or str(exc))
        raise OutputError(f"cannot create output folder {parent}: {why}; choose a writable path") from None
    if not os.access(parent, os.W_OK | os.X_OK):
        raise OutputError(f"output folder {parent} is not writable; choose a writable path")
    return parent


def _probe(target: Path, parent: Path) -> None:
    """Really create (and remove) a folder next to ``target``: permission bits do not stop root,
    and this also catches read-only and pseudo file systems."""
    try:
        Path(tempfile.mkdtemp(prefix=_prefix(target), suffix=".probe", dir=parent)).rmdir()
        if target.is_dir() and not target.is_symlink():  # replacing it renames it
            if not os.access(target, os.W_OK | os.X_OK):
                raise PermissionError(errno.EACCES, os.strerror(errno.EACCES), str(target))
            Path(tempfile.mkdtemp(prefix=".icaxes-probe-", dir=target)).rmdir()
    except OSError as exc:
        where = target if exc.filename and Path(exc.filename) == target else parent
        raise OutputError(f"cannot write in {where}: {exc.strerror or exc}; choose a writable path") from None


def check_output_dir(target: PathLike, *, inputs: Iterable[PathLike | None] = (),
                     force: bool = False) -> Path:
    """Fail early, with :class:`OutputError`, if the folder ``target`` may not or cannot be written.

    Call it before expensive work: it applies the output policy (see the module docstring),
    then checks that the folder can really be written.

    Parameters
    ----------
    target : path-like
        The output folder.
    inputs : iterable of path-like
        The command's input files and folders: ``target`` may neither be nor hold one.
    force : bool, default False
        Allow replacing an existing folder that icaxes did not write.

    Returns
    -------
    Path
        The parent folder of ``target`` (created if needed).
    """
    target = Path(target)
    _check_protected(target, inputs)
    clean_stale(target)
    _check_replace(target, force)
    parent = _check_parent(target)
    _probe(target, parent)
    return parent


def check_output_file(target: PathLike, *, inputs: Iterable[PathLike | None] = (),
                      example: str = "NAME") -> Path:
    """Fail early if the file ``target`` cannot be written: it is a folder, an input, unwritable.

    An existing file is replaced (once the new one is complete); an input, or a file inside
    an input folder, never is (a new file may go into an input folder).
    ``example`` is the file name the message suggests when ``target`` is a folder.
    """
    target = Path(target)
    if str(target) in ("", "."):
        raise OutputError("the output path is empty; give a file name")
    if target.is_dir():
        raise OutputError(f"output path {target} is a folder; give a file path, e.g. {target / example}")
    real = _resolved(target)
    for item in inputs:
        if item is None or not os.path.lexists(item):
            continue
        inp = _resolved(item)
        if inp == real or (os.path.lexists(target) and _is_within(real, inp)):
            what = "is the input" if inp == real else "is part of the input"
            raise OutputError(f"output path {target} {what} {item}; icaxes never overwrites its "
                              "input: choose another output path")
    parent = _check_parent(target)
    _probe(target, parent)
    return parent


def _write_error(exc: OSError, target: Path, tmp: Path) -> OutputError | None:
    """An OutputError for an OSError raised while writing ``tmp`` (None: not a write error).

    Call it before removing ``tmp``: a short write without an errno (numpy's ``tofile`` says
    "N requested and M written") is recognised as a full disk by the space left.
    """
    if isinstance(exc, OutputError):  # from a write nested in this one: name the real target
        return OutputError(str(exc).replace(str(tmp), str(target))) if str(tmp) in str(exc) else exc
    code = exc.errno
    if code is None and "requested and" in str(exc):
        with contextlib.suppress(OSError):
            st = os.statvfs(tmp.parent)
            if st.f_bavail * st.f_frsize < 1 << 20:
                code = errno.ENOSPC
    if code not in WRITE_ERRNOS:
        return None
    name = exc.filename
    if code not in (errno.ENOSPC, errno.EDQUOT, errno.EROFS, errno.EFBIG) and name is not None:
        try:
            if not _is_within(_resolved(name), _resolved(tmp)):
                return None  # e.g. an input that cannot be read: not ours to explain
        except (OSError, ValueError, TypeError):
            return None
    hint = {errno.ENOSPC: "free some space or choose another disk",
            errno.EDQUOT: "free some space or choose another disk",
            errno.EFBIG: "choose another disk"}.get(code, "choose a writable path")
    return OutputError(f"cannot write {target}: {exc.strerror or os.strerror(code or 0)}; "
                       f"nothing was written ({hint})")


def _cannot_write(parent: Path, exc: OSError) -> OutputError:
    return OutputError(f"cannot write in {parent}: {exc.strerror or exc}; choose a writable path")


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


@contextlib.contextmanager
def atomic_file(target: PathLike, *, inputs: Iterable[PathLike | None] = ()) -> Iterator[Path]:
    """Yield a temporary path that is renamed onto ``target`` on success.

    An existing file ``target`` is replaced; a folder, or one of ``inputs``, is refused.

    Parameters
    ----------
    target : path-like
        Final file path.
    inputs : iterable of path-like
        Input paths ``target`` may not be.

    Yields
    ------
    Path
        A path in the same folder to write to.
    """
    target = Path(target)
    parent = check_output_file(target, inputs=inputs)
    clean_stale(target)
    try:
        fd, tmp = tempfile.mkstemp(prefix=_prefix(target), suffix=".tmp", dir=parent)
    except OSError as exc:
        raise _cannot_write(parent, exc) from None
    os.close(fd)
    tmp_path = Path(tmp)
    try:
        yield tmp_path
        # mkstemp creates 0600 files; give the result the permissions of a normal file
        os.chmod(tmp_path, 0o666 & ~_umask())
        os.replace(tmp_path, target)
    except OSError as exc:
        error = _write_error(exc, target, tmp_path)
        tmp_path.unlink(missing_ok=True)
        if error is None or error is exc:
            raise
        raise error from exc
    except BaseException:
        tmp_path.unlink(missing_ok=True)
        raise
    _register(target)


@contextlib.contextmanager
def atomic_dir(target: PathLike, *, force: bool = False,
               inputs: Iterable[PathLike | None] = ()) -> Iterator[Path]:
    """Yield a temporary folder that becomes ``target`` on success, under the output policy.

    Parameters
    ----------
    target : path-like
        Final folder path. An existing folder is replaced, once the new one is complete, only
        if icaxes wrote it (or ``force``); see the module docstring.
    force : bool, default False
        Replace an existing folder even if icaxes did not write it (never the current folder,
        its parents, or a folder holding one of ``inputs``).
    inputs : iterable of path-like
        The input paths: ``target`` may neither be nor hold one.

    Yields
    ------
    Path
        An empty temporary folder next to ``target``; a :data:`MARKER` listing its files is
        added when the block ends.
    """
    target = Path(target)
    inputs = list(inputs)
    _check_protected(target, inputs)
    clean_stale(target)
    _check_replace(target, force)
    parent = _check_parent(target)
    try:
        tmp = Path(tempfile.mkdtemp(prefix=_prefix(target), suffix=".tmp", dir=parent))
    except OSError as exc:
        raise _cannot_write(parent, exc) from None
    try:
        yield tmp
        _write_marker(tmp, _files(tmp))
        os.chmod(tmp, 0o777 & ~_umask())  # mkdtemp creates 0700 folders
        # the folder may have changed while the work ran: check again before replacing it
        _check_protected(target, inputs)
        _check_replace(target, force)
        if os.path.lexists(target):
            old = Path(tempfile.mkdtemp(prefix=_prefix(target), suffix=".old", dir=parent))
            try:
                os.replace(target, old / "x")
                os.replace(tmp, target)
            except BaseException:
                if (old / "x").exists():  # the previous output back in place
                    os.replace(old / "x", target)  # (if even this fails, the next run restores it)
                with contextlib.suppress(OSError):
                    old.rmdir()
                raise
            shutil.rmtree(old, ignore_errors=True)
        else:
            os.replace(tmp, target)
    except OSError as exc:
        error = _write_error(exc, target, tmp)
        shutil.rmtree(tmp, ignore_errors=True)
        if error is None or error is exc:
            raise
        raise error from exc
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
