"""Running the real ``icaxes`` command from tests: its path, and starting it so that it can be
interrupted as a terminal's foreground job can."""

from __future__ import annotations

import signal
import subprocess
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

#: the ``icaxes`` console script of the interpreter running the tests
ICAXES = str(Path(sys.executable).with_name("icaxes"))


@contextmanager
def interruptible(args: Sequence[str], **popen: Any) -> Iterator[subprocess.Popen]:
    """Start ``icaxes *args`` with SIGINT at its default disposition; kill it on the way out.

    A child inherits an ignored SIGINT (a shell runs background jobs that way), so the
    disposition is set to the default for the start, as a terminal's foreground job has it.
    Whatever the block does, the process does not outlive it.
    """
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        proc = subprocess.Popen([ICAXES, *args], **popen)
    finally:
        signal.signal(signal.SIGINT, previous)
    try:
        yield proc
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
