"""Token filters: keep alphabetic words, drop stop words, numbers and punctuation."""

from __future__ import annotations

from collections.abc import Callable

from icaxes.errors import InputError


def is_alpha(token: str) -> bool:
    """Only letters (any script), e.g. ``"café"`` or ``"東京"``; no digits or punctuation."""
    return token.isalpha()


def is_word(token: str) -> bool:
    """Letters with inner hyphens or apostrophes allowed (``"e-mail"``, ``"o'neill"``)."""
    core = token.replace("-", "").replace("'", "").replace("\u2019", "")
    return bool(core) and core.isalpha() and token[0].isalpha() and token[-1].isalpha()


FILTERS: dict[str, Callable[[str], bool]] = {"alpha": is_alpha, "word": is_word}


def get_filter(spec: Callable[[str], bool] | str) -> Callable[[str], bool]:
    """Return a filter function from a callable or a name in :data:`FILTERS`."""
    if callable(spec):
        return spec
    try:
        return FILTERS[spec]
    except KeyError:
        raise InputError(f"unknown token filter {spec!r}; choose one of {', '.join(FILTERS)}") from None
