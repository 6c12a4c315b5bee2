"""The ``icaxes`` command line: a thin layer over the Python API.

Each command group lives in its own module and registers itself on :data:`app`.
Any :class:`~icaxes.errors.IcaxesError` becomes one line on stderr and exit status 2.
"""

from __future__ import annotations

import sys

from icaxes.cli._app import app, main

# command modules register themselves on import
from icaxes.cli import core  # noqa: F401  isort: skip
from icaxes.cli import explore  # noqa: F401  isort: skip
from icaxes.cli import evaluate  # noqa: F401  isort: skip
from icaxes.cli import universal  # noqa: F401  isort: skip
from icaxes.cli import figures  # noqa: F401  isort: skip
from icaxes.cli import scale  # noqa: F401  isort: skip
from icaxes.cli import export  # noqa: F401  isort: skip

__all__ = ["app", "main"]

if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
