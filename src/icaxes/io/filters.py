"""Token filters: keep alphabetic words, drop stop words, junk, numbers and punctuation.

A filter is a function ``token -> bool`` (True keeps the row). Named filters can be combined
with ``+``: ``"word+nostop"`` keeps words that are not English stop words. ``"minfreq=1e-6"``
keeps tokens whose frequency is at least that value (it needs a source with frequencies).

=============  ===============================================================================
name           keeps
=============  ===============================================================================
``alpha``      letters only, any script (``café``, ``東京``)
``word``       letters with inner hyphens or apostrophes (``e-mail``, ``o'neill``, ``aujourd’hui``)
``nostop``     everything except English stop words (scikit-learn's ``ENGLISH_STOP_WORDS``)
``clean``      everything except junk: mojibake, zero-width or control characters, the
               replacement character, runs of dots, markup tokens such as ``</s>``,
               HTML entities, typographic ligatures
``minfreq=F``  tokens with frequency >= F
=============  ===============================================================================
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable

import numpy as np

from icaxes.errors import InputError


def is_alpha(token: str) -> bool:
    """Only letters (any script), e.g. ``"café"`` or ``"東京"``; no digits or punctuation."""
    return token.isalpha()


def is_word(token: str) -> bool:
    """Letters with inner hyphens or apostrophes allowed (``"e-mail"``, ``"o'neill"``)."""
    core = token.replace("-", "").replace("'", "").replace("\u2019", "")
    return bool(core) and core.isalpha() and token[0].isalpha() and token[-1].isalpha()


def not_stop_word(token: str) -> bool:
    """False for English stop words (scikit-learn's list, compared lower-cased)."""
    from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

    return token.lower() not in ENGLISH_STOP_WORDS


# UTF-8 read as Latin-1/cp1252 leaves these pairs behind ("Ã©" for "é", "â€™" for "’")
_MOJIBAKE = re.compile("[ÃÂâ][\u0080-\u00bf\u20ac\u201a-\u203a\u0152\u0153\u0160\u0161\u0178\u017d"
                       "\u017e\u0192\u02c6\u02dc\u2122]")
_DOTS = re.compile(r"\.\.|…")
_MARKUP = re.compile(r"^<[^<>\s]+>$")
_ENTITY = re.compile(r"&(#\d+|#x[0-9a-fA-F]+|[A-Za-z]+);")
_LIGATURE = re.compile("[\ufb00-\ufb06]")  # "ﬁ" from PDF text: the word is spelled with two letters


def _ftfy_is_bad() -> Callable[[str], bool] | None:
    try:  # ftfy comes with wordfreq; its mojibake detector covers more encodings than the pattern
        from ftfy.badness import is_bad
    except ImportError:
        return None
    return is_bad


_IS_BAD = _ftfy_is_bad()


def is_clean(token: str) -> bool:
    """False for junk tokens seen in real tables (docs/data.md, section 2).

    Junk: mojibake (UTF-8 decoded as Latin-1 or cp1251, e.g. ``"Ã©tÃ©"``, ``"lвЂ"``; ftfy's
    detector when installed, else a pattern), zero-width, control or private characters, the
    replacement character ``U+FFFD``, runs of dots (``".."``, ``"…"``), markup tokens such as
    ``"</s>"``, HTML entities (``"d&apos;une"``), typographic ligatures (``"ﬁlle"``) and
    surrounding whitespace.
    """
    if not token or token != token.strip() or "\ufffd" in token:
        return False
    if any(unicodedata.category(c) in ("Cf", "Cc", "Co", "Cs") for c in token):
        return False
    if _DOTS.search(token) or _MARKUP.match(token) or _ENTITY.search(token) or _LIGATURE.search(token):
        return False
    if _MOJIBAKE.search(token):
        return False
    return not (_IS_BAD is not None and _IS_BAD(token))


FILTERS: dict[str, Callable[[str], bool]] = {
    "alpha": is_alpha, "word": is_word, "nostop": not_stop_word, "clean": is_clean,
}


def _min_frequency(value: str, tokens_freq: np.ndarray | None) -> Callable[[str], bool]:
    try:
        threshold = float(value)
    except ValueError:
        raise InputError(f"minfreq needs a number, e.g. minfreq=1e-6, not {value!r}") from None
    if tokens_freq is None:
        raise InputError("minfreq needs frequencies, and this source has none; use limit= instead "
                         "(rows are usually in frequency order)")
    # the filter is called once per row in order, so it walks the frequency array
    state = {"i": 0}

    def keep(token: str) -> bool:
        i = state["i"]
        state["i"] = i + 1
        return bool(tokens_freq[i] >= threshold)

    keep.__name__ = f"minfreq={threshold:g}"
    return keep


def get_filter(spec: Callable[[str], bool] | str, *,
               frequencies: np.ndarray | None = None) -> Callable[[str], bool]:
    """Return a filter function from a callable, a name in :data:`FILTERS`, or names joined by ``+``.

    Parameters
    ----------
    spec : callable or str
        A function ``token -> bool``, or e.g. ``"alpha"``, ``"word+nostop"``, ``"clean+minfreq=1e-6"``.
    frequencies : ndarray, optional
        One frequency per row, in the order the filter will be called (needed by ``minfreq``).

    Returns
    -------
    callable
        ``token -> bool``; True keeps the token.

    Raises
    ------
    InputError
        For an unknown name.
    """
    if callable(spec):
        return spec
    parts: list[Callable[[str], bool]] = []
    for name in str(spec).split("+"):
        name = name.strip()
        if name.startswith("minfreq="):
            parts.append(_min_frequency(name.split("=", 1)[1], frequencies))
            continue
        try:
            parts.append(FILTERS[name])
        except KeyError:
            raise InputError(f"unknown token filter {name!r}; choose from {', '.join(FILTERS)}, "
                             "minfreq=F, joined with '+'") from None
    if len(parts) == 1:
        return parts[0]
    # evaluate every part so that stateful ones (minfreq) stay in step with the rows
    return lambda token: all([p(token) for p in parts])
