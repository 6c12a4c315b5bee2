"""The user cache folder for expensive derived data (encoded word lists, image features).

Entries are keyed by source, version and parameters, so a change of any of them makes a
new entry instead of silently reusing a stale one. Set ``ICAXES_CACHE`` to move the folder.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Any


def cache_dir() -> Path:
    """The cache root: ``$ICAXES_CACHE``, else ``$XDG_CACHE_HOME/icaxes``, else ``~/.cache/icaxes``."""
    env = os.environ.get("ICAXES_CACHE")
    if env:
        return Path(env)
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "icaxes"


def cache_key(kind: str, **params: Any) -> str:
    """A readable, collision-safe key: ``kind-<sha1 of the sorted parameters>``."""
    blob = json.dumps(params, sort_keys=True, ensure_ascii=False, default=str)
    return f"{kind}-{hashlib.sha1(blob.encode('utf-8')).hexdigest()[:16]}"


def cache_path(kind: str, suffix: str = ".npz", **params: Any) -> Path:
    """Path of the cache entry for ``kind`` and ``params`` (the folder is created)."""
    root = cache_dir() / kind
    root.mkdir(parents=True, exist_ok=True)
    return root / f"{cache_key(kind, **params)}{suffix}"
