"""The one progress display of icaxes, used by every long loop.

Library calls are quiet unless asked (``progress=True``); the command line asks. A bar is
drawn by rich on standard error (standard output stays machine-readable), only when that is
a terminal, and disappears when the loop ends. A disabled bar costs nothing and does not
import rich.
"""

from __future__ import annotations

from types import TracebackType
from typing import Any


class ProgressBar:
    """A transient progress bar, started on creation; a context manager, or call :meth:`close`.

    Parameters
    ----------
    description : str
        What the loop does, shown as plain text (no markup).
    total : int, optional
        Steps in all; None for an open-ended loop (then the elapsed time is shown instead of
        the time remaining).
    enabled : bool, default True
        False: every method does nothing.
    count : bool, default False
        Show ``done/total`` instead of a percentage.
    detail : str, optional
        A further column, a rich format string over the task, e.g.
        ``"iter {task.completed}  change {task.fields[change]:.1e}"``; its fields are given as
        keyword arguments here and in :meth:`update`.
    console : rich.console.Console, optional
        Where to draw (standard error by default).
    transient : bool, default True
        False: the bar stays on screen once closed, as a record of the step (the demo's
        report stage).
    **fields
        Initial values of the fields ``detail`` uses.

    Examples
    --------
    >>> with ProgressBar("refits", total=3, enabled=False) as bar:
    ...     for _ in range(3):
    ...         bar.advance()
    """

    def __init__(self, description: str, total: int | None = None, *, enabled: bool = True,
                 count: bool = False, detail: str | None = None, console: Any = None,
                 transient: bool = True, **fields: Any) -> None:
        self._bar: Any = None
        self._task: Any = None
        if not enabled:
            return
        from rich.console import Console
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            TaskProgressColumn,
            TextColumn,
            TimeElapsedColumn,
            TimeRemainingColumn,
        )

        columns: list[Any] = [TextColumn("{task.description}", markup=False, style="progress.description"),
                              BarColumn(), MofNCompleteColumn() if count else TaskProgressColumn()]
        if detail:
            columns.append(TextColumn(detail))
        columns.append(TimeElapsedColumn() if total is None else TimeRemainingColumn())
        self._bar = Progress(*columns, console=console or Console(stderr=True), transient=transient)
        self._task = self._bar.add_task(description, total=total, **fields)
        self._bar.start()

    def advance(self, steps: float = 1) -> None:
        """Count ``steps`` more steps done."""
        if self._bar is not None:
            self._bar.advance(self._task, steps)

    def update(self, completed: float | None = None, *, description: str | None = None,
               **fields: Any) -> None:
        """Set the steps done so far, the description and the fields of ``detail``."""
        if self._bar is not None:
            self._bar.update(self._task, completed=completed, description=description, **fields)

    def close(self) -> None:
        """Remove the bar (idempotent)."""
        if self._bar is not None:
            self._bar.stop()
            self._bar = None

    def __enter__(self) -> ProgressBar:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()
