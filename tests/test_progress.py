"""The one progress display: quiet unless asked, on standard error when asked."""

from __future__ import annotations

import numpy as np
import pytest

from icaxes import ICA, ConvergenceWarning
from icaxes.progress import ProgressBar
from icaxes.universal.matching import permutation_null


@pytest.fixture
def terminal(monkeypatch):
    """Make rich draw as on a terminal (it draws nothing into a pipe or a capture)."""
    monkeypatch.setenv("FORCE_COLOR", "1")
    monkeypatch.delenv("NO_COLOR", raising=False)


def test_a_bar_draws_on_stderr_only(terminal, capsys):
    with ProgressBar("refits of the test", total=3, count=True) as bar:
        for _ in range(3):
            bar.advance()
    out, err = capsys.readouterr()
    assert out == ""
    assert "refits of the test" in err


def test_a_kept_bar_stays_with_its_last_description_and_a_transient_one_goes():
    import io

    from rich.console import Console

    def raw(transient: bool) -> str:
        out = io.StringIO()
        console = Console(file=out, force_terminal=True, width=100)
        with ProgressBar("report: starting", total=2, count=True, console=console,
                         transient=transient) as bar:
            bar.update(description="report: figures")
            bar.advance(2)
            bar.update(description="report: done")
        return out.getvalue()

    erase = "\x1b[2K"  # rich erases the live line with this before each frame and when it goes
    kept, gone = raw(False), raw(True)
    last = kept[kept.rfind(erase):]
    assert "report: done" in last and "2/2" in last
    assert gone.endswith(erase) and not kept.endswith(erase)


def test_a_disabled_bar_draws_nothing(terminal, capsys):
    with ProgressBar("refits of the test", total=3, enabled=False) as bar:
        bar.advance()
        bar.update(completed=2)
    bar.close()
    assert capsys.readouterr() == ("", "")


def test_the_solver_shows_its_iterations_only_when_asked(terminal, capsys, glove_5k):
    X = glove_5k.vectors[:2000, :10]
    with pytest.warns(ConvergenceWarning):  # 5 iterations do not converge at tol 1e-10
        ICA(random_state=0, max_iter=5).fit(X)
    assert capsys.readouterr() == ("", "")
    with pytest.warns(ConvergenceWarning):
        ICA(random_state=0, max_iter=5, progress=True).fit(X)
    out, err = capsys.readouterr()
    assert out == "" and "ICA" in err and "tol 1e-10" in err


def test_library_loops_are_quiet_by_default(terminal, capsys, glove_5k):
    A = glove_5k.vectors[:500, :5].astype(np.float64)
    permutation_null(A, A[::-1].copy(), n_permutations=3, seed=0)
    assert capsys.readouterr() == ("", "")
    permutation_null(A, A[::-1].copy(), n_permutations=3, seed=0, progress=True)
    assert "permutation null" in capsys.readouterr().err
