"""The vocabulary of an embedding or a model: its tokens, in row order, and their rows.

One :class:`Vocabulary` answers "which row is this token?" for :class:`~icaxes.io.embeddings.Embeddings`,
:class:`~icaxes.model.AxisModel` and :class:`~icaxes.universal.pairs.Pairs`, so the token index
is built in one place and an unknown token gets the same error (with close matches) everywhere.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from types import MappingProxyType
from typing import Any, overload

import numpy as np

from icaxes.errors import DuplicateTokenError, UnknownTokenError


class Vocabulary(Sequence[str]):
    """Immutable tokens in row order with their index (token -> row).

    Parameters
    ----------
    tokens : iterable of str
        One token per row. Tokens are expected to be unique (the objects that hold a
        vocabulary check it, see :meth:`duplicates`); where one repeats, the index keeps its
        last row.

    Examples
    --------
    >>> v = Vocabulary(["cat", "dog"])
    >>> v.row("dog"), "cat" in v, len(v)
    (1, True, 2)
    """

    __slots__ = ("_index", "_tokens")

    def __init__(self, tokens: Iterable[str]) -> None:
        self._tokens: tuple[str, ...] = tuple(str(t) for t in tokens)
        self._index: Mapping[str, int] | None = None  # built on first lookup

    @classmethod
    def of(cls, obj: Any) -> Vocabulary:
        """The vocabulary of ``obj``: a Vocabulary, anything with ``.vocabulary`` or ``.tokens``
        (Embeddings, AxisModel), or an iterable of tokens."""
        if isinstance(obj, Vocabulary):
            return obj
        vocab = getattr(obj, "vocabulary", None)
        if isinstance(vocab, Vocabulary):
            return vocab
        if hasattr(obj, "tokens"):
            return cls(obj.tokens)
        return cls(obj)

    # ---------------------------------------------------------------- access
    @property
    def tokens(self) -> tuple[str, ...]:
        """The tokens, one per row."""
        return self._tokens

    @property
    def index(self) -> Mapping[str, int]:
        """Read-only mapping token -> row."""
        if self._index is None:
            self._index = MappingProxyType({t: i for i, t in enumerate(self._tokens)})
        return self._index

    def __len__(self) -> int:
        return len(self._tokens)

    def __iter__(self) -> Iterator[str]:
        return iter(self._tokens)

    @overload
    def __getitem__(self, i: int) -> str: ...

    @overload
    def __getitem__(self, i: slice) -> tuple[str, ...]: ...

    def __getitem__(self, i: int | slice) -> str | tuple[str, ...]:
        return self._tokens[i]

    def __contains__(self, token: object) -> bool:
        return token in self.index

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Vocabulary):
            return self._tokens == other._tokens
        return NotImplemented

    def __hash__(self) -> int:
        return hash(self._tokens)

    def __reduce__(self) -> tuple[Any, ...]:  # copies carry the tokens; the index is rebuilt
        return (Vocabulary, (self._tokens,))

    def __repr__(self) -> str:
        head = ", ".join(repr(t) for t in self._tokens[:3])
        return f"Vocabulary({len(self):,} tokens: {head}{', ...' if len(self) > 3 else ''})"

    def row(self, token: str) -> int:
        """Row of ``token``; raises :class:`~icaxes.errors.UnknownTokenError` naming close matches."""
        try:
            return self.index[token]
        except KeyError:
            raise UnknownTokenError(unknown_token_message(token, self.index)) from None

    def rows(self, tokens: Iterable[str]) -> np.ndarray:
        """Rows of several tokens (int64); the first unknown one raises as in :meth:`row`."""
        return np.fromiter((self.row(t) for t in tokens), dtype=np.int64)

    def get(self, token: str, default: int | None = None) -> int | None:
        """Row of ``token``, or ``default`` if it is absent."""
        return self.index.get(token, default)

    def duplicates(self) -> list[str]:
        """Tokens that name more than one row, each once, in order of first repeat."""
        if len(self.index) == len(self._tokens):
            return []
        seen: set[str] = set()
        dups: dict[str, None] = {}
        for t in self._tokens:
            if t in seen:
                dups[t] = None
            seen.add(t)
        return list(dups)

    def check_unique(self, how_to_fix: str = "deduplicate them") -> None:
        """Raise :class:`~icaxes.errors.DuplicateTokenError` if a token names several rows."""
        dups = self.duplicates()
        if dups:
            shown = ", ".join(repr(t) for t in dups[:3]) + (", ..." if len(dups) > 3 else "")
            raise DuplicateTokenError(f"{len(dups)} duplicate token(s) ({shown}); {how_to_fix}")


def unknown_token_message(token: str, index: Mapping[str, int] | Sequence[str]) -> str:
    """One line saying that ``token`` is unknown, with close matches if any."""
    import difflib

    vocab = index.keys() if isinstance(index, Mapping) else index
    lowered = token.lower()
    close: list[str] = []
    if lowered != token and lowered in vocab:
        close = [lowered]
    else:
        # difflib on 400k tokens is slow; look only at tokens sharing a prefix
        pref = [t for t in vocab if t[:2].lower() == lowered[:2]] if len(lowered) >= 2 else []
        close = difflib.get_close_matches(token, pref, n=3, cutoff=0.75)
    if close:
        hint = f"; did you mean {', '.join(repr(c) for c in close)}?"
    else:
        hint = "; check the spelling or the vocabulary limit"
    return f"unknown token {token!r}: not in the model's vocabulary{hint}"


class HasVocabulary:
    """The token lookups of an object that holds ``tokens`` (one per row) and a cached
    ``_vocabulary``: :class:`~icaxes.io.embeddings.Embeddings` and :class:`~icaxes.model.AxisModel`."""

    tokens: Sequence[str]
    _vocabulary: Vocabulary | None

    @property
    def vocabulary(self) -> Vocabulary:
        """The tokens and their rows (:class:`Vocabulary`); rebuilt if ``tokens`` was replaced."""
        if self._vocabulary is None or len(self._vocabulary) != len(self.tokens):
            self._vocabulary = Vocabulary(self.tokens)
        return self._vocabulary

    @property
    def index(self) -> Mapping[str, int]:
        """Read-only mapping from token to row number (the vocabulary's index)."""
        return self.vocabulary.index

    def __contains__(self, token: object) -> bool:
        return token in self.vocabulary
