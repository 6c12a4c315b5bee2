"""Ctrl-C while the ``icaxes`` command is still importing: one line and exit 130, no traceback.

The console script imports the whole package before :func:`icaxes.cli.main` (the CLI's error
boundary) runs; a Ctrl-C in that first second would otherwise print a KeyboardInterrupt
traceback. Nothing has been written yet, so the process just ends.
"""

from __future__ import annotations

import os
import signal
import sys


def _interrupted(signum: int, frame: object) -> None:
    os.write(2, b"error: interrupted; nothing was written\n")
    os._exit(130)


def guard() -> None:
    """Install the start-up handler when this process is the ``icaxes`` console script."""
    name = os.path.basename(sys.argv[0]) if sys.argv and sys.argv[0] else ""
    if name not in ("icaxes", "icaxes.exe"):
        return
    try:
        if signal.getsignal(signal.SIGINT) is signal.default_int_handler:  # not if ignored
            signal.signal(signal.SIGINT, _interrupted)
    except ValueError:  # not the main thread
        pass


guard()


def release() -> None:
    """Give Ctrl-C back to Python (a KeyboardInterrupt the CLI's boundary reports)."""
    try:
        if signal.getsignal(signal.SIGINT) is _interrupted:
            signal.signal(signal.SIGINT, signal.default_int_handler)
    except ValueError:
        pass
