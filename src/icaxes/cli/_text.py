"""Text from data (tokens, labels, names, error messages) made safe to print on a terminal.

A token is any string an embedding file holds, so it may carry an escape sequence
(``ESC[2J`` clears the screen), other C0/C1 control characters or bidirectional overrides
that reorder what the terminal shows. :func:`printable` shows every such character as a
Python-style escape (``\\x1b``, ``\\u202e``), the same spelling ``repr`` uses; everything
else, every script and emoji included, is kept as it is. :func:`shown` also escapes rich
markup, for text that goes through a rich console. :func:`json_text` is the JSON the
``--json`` options print: ``json.dumps`` escapes C0 controls only, so the others are
written as ``\\u`` escapes too; the parsed value is the same.
"""

from __future__ import annotations

import json
import re
from typing import Any

from rich.markup import escape as _markup_escape

# C0 and C1 controls and DEL; lone surrogates (undecodable bytes); the line and paragraph
# separators; the bidirectional marks, embeddings, overrides and isolates
_OTHERS = "\x7f-\x9f\ud800-\udfff\u2028\u2029\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069"
_UNSAFE = re.compile(f"[\x00-\x1f{_OTHERS}]")
#: what json.dumps leaves raw (it escapes C0 controls itself; its newlines are indentation)
_UNSAFE_IN_JSON = re.compile(f"[{_OTHERS}]")


def _escaped(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code <= 0xFF else f"\\u{code:04x}"


def printable(text: object) -> str:
    """``text`` with every control, bidi-control and separator character shown escaped.

    >>> printable("a\\x1b[2Jb\\u202e")
    'a\\\\x1b[2Jb\\\\u202e'
    """
    return _UNSAFE.sub(_escaped, str(text))


def shown(text: object) -> str:
    """``text`` ready for a rich console: control characters escaped, then markup escaped."""
    return _markup_escape(printable(text))


def json_text(data: Any, *, indent: int | None = 1) -> str:
    """``data`` as JSON text with every character :func:`printable` escapes as a ``\\u`` escape.

    Such characters can only occur inside JSON strings, where ``\\uXXXX`` means the same.
    """
    text = json.dumps(data, ensure_ascii=False, indent=indent)
    return _UNSAFE_IN_JSON.sub(lambda m: f"\\u{ord(m.group()):04x}", text)

