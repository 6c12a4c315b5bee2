"""WordNet lexicographer categories of English words, read from the WordNet 3.0 database files.

The files come with Debian's ``wordnet-base`` package (``/usr/share/wordnet``); set
``ICAXES_WORDNET_DIR`` or pass ``directory=`` to use another copy. Every synset of WordNet
belongs to one of 45 lexicographer files (``noun.food``, ``verb.motion``, ...); a word's
categories are those of its senses, weighted by sense order (the index files list the
senses of a lemma most frequent first). The parsed table is cached as JSON.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable
from functools import lru_cache
from pathlib import Path

import numpy as np

from icaxes.errors import MissingDependencyError

#: Lexicographer file names by number, as listed in the WordNet manual page lexnames(5).
LEXNAMES: tuple[str, ...] = (
    "adj.all", "adj.pert", "adv.all", "noun.Tops", "noun.act",                      # 00-04
    "noun.animal", "noun.artifact", "noun.attribute", "noun.body", "noun.cognition",  # 05-09
    "noun.communication", "noun.event", "noun.feeling", "noun.food", "noun.group",    # 10-14
    "noun.location", "noun.motive", "noun.object", "noun.person", "noun.phenomenon",  # 15-19
    "noun.plant", "noun.possession", "noun.process", "noun.quantity", "noun.relation",  # 20-24
    "noun.shape", "noun.state", "noun.substance", "noun.time", "verb.body",           # 25-29
    "verb.change", "verb.cognition", "verb.communication", "verb.competition",        # 30-33
    "verb.consumption", "verb.contact", "verb.creation", "verb.emotion", "verb.motion",  # 34-38
    "verb.perception", "verb.possession", "verb.social", "verb.stative", "verb.weather",  # 39-43
    "adj.ppl",                                                                         # 44
)

_POS = ("noun", "verb", "adj", "adv")
DEFAULT_DIR = Path("/usr/share/wordnet")
#: bump when the parsed format changes, so old cache entries are not reused
_TABLE_VERSION = 2

# Detachment rules of WordNet's morphological processor (morphy(7)): suffix -> ending.
_RULES = {
    "noun": (("s", ""), ("ses", "s"), ("xes", "x"), ("zes", "z"), ("ches", "ch"),
             ("shes", "sh"), ("men", "man"), ("ies", "y")),
    "verb": (("s", ""), ("ies", "y"), ("es", "e"), ("es", ""), ("ed", "e"), ("ed", ""),
             ("ing", "e"), ("ing", "")),
    "adj": (("er", ""), ("est", ""), ("er", "e"), ("est", "e")),
}


def wordnet_dir(directory: str | os.PathLike[str] | None = None) -> Path:
    """The folder holding ``data.noun`` etc.: ``directory``, ``$ICAXES_WORDNET_DIR`` or Debian's.

    Raises
    ------
    MissingDependencyError
        If the database files are not there.
    """
    path = Path(directory or os.environ.get("ICAXES_WORDNET_DIR") or DEFAULT_DIR)
    missing = [f"{kind}.{pos}" for pos in _POS for kind in ("index", "data")
               if not (path / f"{kind}.{pos}").is_file()]
    if missing:
        raise MissingDependencyError(
            f"WordNet database files not found in {path} (missing {', '.join(missing[:3])}"
            f"{', ...' if len(missing) > 3 else ''}); install Debian's wordnet-base "
            "(scripts/install-system-deps.sh) or set ICAXES_WORDNET_DIR to a WordNet 3.0 dict folder")
    return path


def _lexfile_of_offsets(path: Path) -> dict[int, int]:
    """Synset byte offset -> lexicographer file number, from one ``data.*`` file."""
    table: dict[int, int] = {}
    with open(path, encoding="utf-8", errors="replace") as fh:
        for line in fh:
            if line.startswith("  "):  # licence header lines start with two spaces
                continue
            # synset_offset lex_filenum ss_type w_cnt word lex_id ...
            off, lex = line.split(" ", 2)[:2]
            table[int(off)] = int(lex)
    return table


def _parse(path: Path) -> dict[str, dict[str, float]]:
    """lemma -> {category: weight}, the weight being the largest over the parts of speech.

    Within one part of speech, sense ``r`` (1 = most frequent) weighs ``1/r`` and the weights
    are normalised to sum to 1; parts of speech are kept apart so that a rare verb use
    ("to fruit") does not dilute the main noun sense.
    """
    out: dict[str, dict[str, float]] = {}
    for pos in _POS:
        lex = _lexfile_of_offsets(path / f"data.{pos}")
        with open(path / f"index.{pos}", encoding="utf-8", errors="replace") as fh:
            for line in fh:
                if line.startswith("  "):
                    continue
                # lemma pos synset_cnt p_cnt [ptr_symbol...] sense_cnt tagsense_cnt offsets...
                f = line.split()
                n_syn, n_ptr = int(f[2]), int(f[3])
                offsets = f[6 + n_ptr: 6 + n_ptr + n_syn]
                cats: dict[int, float] = {}
                for rank, off in enumerate(offsets, start=1):
                    c = lex[int(off)]
                    # senses are listed most frequent first: weight 1/rank
                    cats[c] = cats.get(c, 0.0) + 1.0 / rank
                total = sum(cats.values())
                best = out.setdefault(f[0], {})
                for c, w in cats.items():
                    name = LEXNAMES[c]
                    best[name] = max(best.get(name, 0.0), round(w / total, 4))
    return out


class WordNetCategories:
    """Lexicographer categories of English words, with WordNet's inflection rules.

    Parameters
    ----------
    table : dict
        lemma -> {category: weight}, as built by :func:`load_wordnet`.
    exceptions : dict
        Irregular inflected form -> base forms (from the ``*.exc`` files).
    """

    def __init__(self, table: dict[str, dict[str, float]], exceptions: dict[str, list[str]]):
        self.table = table
        self.exceptions = exceptions

    def __len__(self) -> int:
        return len(self.table)

    def lemmas(self, word: str) -> list[str]:
        """Base forms of ``word`` found in WordNet (the word itself first, if it is one)."""
        w = word.lower().replace(" ", "_")
        if w in self.table:
            return [w]
        found = [b for b in self.exceptions.get(w, []) if b in self.table]
        for rules in _RULES.values():
            for suffix, ending in rules:
                if w.endswith(suffix) and len(w) > len(suffix) + 1:
                    base = w[: len(w) - len(suffix)] + ending
                    if base in self.table and base not in found:
                        found.append(base)
        return found

    def categories(self, word: str) -> dict[str, float]:
        """Category weights of ``word`` (empty if WordNet does not know it).

        A weight is the share of the word's senses in that category (by sense order) in the
        part of speech where the share is largest, so weights lie in (0, 1].
        """
        lemmas = self.lemmas(word)
        if not lemmas:
            return {}
        if len(lemmas) == 1:
            return dict(self.table[lemmas[0]])
        acc: dict[str, float] = {}
        for lemma in lemmas:
            for c, w in self.table[lemma].items():
                acc[c] = max(acc.get(c, 0.0), w)
        return acc

    def membership(self, words: Iterable[str], min_weight: float = 0.2) -> np.ndarray:
        """Boolean matrix (len(words), 45): word has at least ``min_weight`` of its senses in category."""
        words = list(words)
        M = np.zeros((len(words), len(LEXNAMES)), dtype=bool)
        col = {name: i for i, name in enumerate(LEXNAMES)}
        for i, word in enumerate(words):
            for c, w in self.categories(word).items():
                if w >= min_weight:
                    M[i, col[c]] = True
        return M


def _exceptions(path: Path) -> dict[str, list[str]]:
    exc: dict[str, list[str]] = {}
    for pos in ("noun", "verb", "adj", "adv"):
        f = path / f"{pos}.exc"
        if not f.is_file():
            continue
        for line in f.read_text(encoding="utf-8", errors="replace").splitlines():
            parts = line.split()
            if len(parts) >= 2:
                exc.setdefault(parts[0], []).extend(b for b in parts[1:] if b not in exc.get(parts[0], []))
    return exc


@lru_cache(maxsize=4)
def _load_cached(path_str: str) -> WordNetCategories:
    from icaxes.io.atomic import atomic_file
    from icaxes.io.cache import cache_path

    path = Path(path_str)
    stamp = {pos: (path / f"data.{pos}").stat().st_size for pos in _POS}
    cache = cache_path("wordnet", ".json", directory=str(path.resolve()), sizes=stamp,
                       version=_TABLE_VERSION)
    if cache.is_file():
        try:
            blob = json.loads(cache.read_text(encoding="utf-8"))
            return WordNetCategories(blob["lemmas"], blob["exceptions"])
        except (json.JSONDecodeError, KeyError, UnicodeDecodeError):
            pass  # a damaged entry is rebuilt below
    table, exc = _parse(path), _exceptions(path)
    try:
        with atomic_file(cache) as tmp:
            Path(tmp).write_text(json.dumps({"lemmas": table, "exceptions": exc}), encoding="utf-8")
    except OSError:
        pass  # an unwritable cache only costs the next run the parse again
    return WordNetCategories(table, exc)


def load_wordnet(directory: str | os.PathLike[str] | None = None) -> WordNetCategories:
    """Parse (or read from the cache) the WordNet category table.

    Parameters
    ----------
    directory : path, optional
        Folder of the WordNet 3.0 database files (default: ``$ICAXES_WORDNET_DIR`` or
        ``/usr/share/wordnet`` from Debian's ``wordnet-base``).

    Raises
    ------
    MissingDependencyError
        If the files are missing.
    """
    return _load_cached(str(wordnet_dir(directory)))
