"""A 300d English skip-gram (SGNS) embedding trained with gensim on an installable corpus.

The paper's English figures use 300d SGNS vectors trained on text8; text8 is not installable
here, so the source ``sgns-gcide`` trains the same kind of model on the text of Debian's
``dict-gcide`` (the GNU Collaborative International Dictionary of English, about 5.4 million
words of definitions and quotations) and, optionally, the WordNet 3.0 glosses.

Training is seeded and runs on one gensim worker, which makes it deterministic: the same
corpus, parameters and seed give bit-identical vectors in every process (gensim's initial
vectors come from a seeded generator and one worker sees the sentences in a fixed order).
More workers train faster but are not reproducible, so ``workers`` is part of the cache key.
The trained table is cached in the user cache folder (:mod:`icaxes.io.cache`), keyed by
the corpus and its package version and by every training parameter.
"""

from __future__ import annotations

import gzip
import os
import re
import subprocess
from collections import Counter
from collections.abc import Iterator, Sequence
from pathlib import Path

import numpy as np

from icaxes.errors import InputError, MissingDependencyError, require
from icaxes.io.embeddings import Embeddings

#: Where Debian's dictd databases live (``$ICAXES_DICTD_DIR`` overrides it).
DICTD_DIR = Path("/usr/share/dictd")
#: Corpora :func:`train_sgns` knows; join them with ``+``.
CORPORA = ("gcide", "wordnet")
#: The training parameters of the built-in ``sgns-gcide`` source (gensim's defaults, skip-gram).
DEFAULTS = {"vector_size": 300, "window": 5, "min_count": 5, "negative": 5, "sample": 1e-3,
            "epochs": 5, "seed": 0, "workers": 1}
#: ``trained`` / ``cache_hits``: tables trained here and read from the cache
SGNS_STATS: Counter = Counter()

_B64 = {c: i for i, c in enumerate("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/")}
_MARKUP = re.compile(r"\[[^\]]{0,400}\]|\\[^\\\n]*\\|[{}]")
#: words of two or more letters, and "a" and "i" (single letters are mostly the dictionary's
#: abbreviations: n., v., L., F.)
_WORD = re.compile(r"[a-z][a-z]+(?:'[a-z]+)*|\b[ai]\b")


def _dictd_number(text: str) -> int:
    """A dictd index number (offset or length), written in base 64 with dictd's alphabet."""
    n = 0
    for c in text:
        if c not in _B64:
            raise InputError(f"bad dictd index number {text!r}")
        n = n * 64 + _B64[c]
    return n


def _gcide_files(directory: str | os.PathLike[str] | None) -> tuple[Path, Path]:
    root = Path(directory or os.environ.get("ICAXES_DICTD_DIR") or DICTD_DIR)
    index, data = root / "gcide.index", root / "gcide.dict.dz"
    if not (index.is_file() and data.is_file()):
        raise MissingDependencyError(
            f"the GCIDE dictionary is not installed (no {index.name} and {data.name} in {root}); install "
            "Debian's dict-gcide (scripts/install-system-deps.sh) or set ICAXES_DICTD_DIR")
    return index, data


def corpus_version(corpus: str, directory: str | os.PathLike[str] | None = None) -> str:
    """Version of each corpus package (``dpkg`` when it knows it, else the files' byte sizes)."""
    parts = []
    for name in _parse_corpus(corpus):
        if name == "gcide":
            index, data = _gcide_files(directory)
            sizes = f"{index.stat().st_size}-{data.stat().st_size}"
            pkg = "dict-gcide"
        else:
            from icaxes.io.encoders import _wordnet_fingerprint

            sizes, pkg = _wordnet_fingerprint(), "wordnet-base"
        try:
            ver = subprocess.run(["dpkg-query", "-W", "-f=${Version}", pkg], capture_output=True,
                                 text=True, timeout=30, check=False).stdout.strip()
        except (OSError, subprocess.SubprocessError):
            ver = ""
        parts.append(f"{name} {ver or 'unknown'} ({sizes} bytes)")
    return "; ".join(parts)


def _parse_corpus(corpus: str) -> list[str]:
    names = [c.strip() for c in str(corpus).split("+") if c.strip()]
    bad = [c for c in names if c not in CORPORA]
    if bad or not names:
        raise InputError(f"unknown SGNS corpus {corpus!r}; use {' or '.join(CORPORA)} or both joined "
                         "with '+' (gcide+wordnet)")
    return names


def gcide_entries(directory: str | os.PathLike[str] | None = None, max_entries: int | None = None
                  ) -> list[str]:
    """The text of the GCIDE entries in file (alphabetical) order, database notes left out.

    Parameters
    ----------
    directory : path, optional
        Folder with ``gcide.index`` and ``gcide.dict.dz`` (default ``/usr/share/dictd`` or
        ``$ICAXES_DICTD_DIR``).
    max_entries : int, optional
        Keep about this many entries, spread evenly over the alphabet (every k-th entry), for
        small test models.
    """
    index, data = _gcide_files(directory)
    spans: set[tuple[int, int]] = set()
    with open(index, encoding="utf-8", errors="replace") as fh:
        for n, line in enumerate(fh, 1):
            parts = line.rstrip("\n").split("\t")
            if len(parts) != 3:
                raise InputError(f"{index}:{n}: expected 'headword TAB offset TAB length'")
            if parts[0].startswith("00-database") or parts[0].startswith("00database"):
                continue
            spans.add((_dictd_number(parts[1]), _dictd_number(parts[2])))
    ordered = sorted(spans)
    if max_entries is not None:
        if max_entries < 1:
            raise InputError(f"max_entries must be a positive number, got {max_entries}")
        ordered = ordered[:: max(1, -(-len(ordered) // max_entries))]
    with gzip.open(data, "rb") as fh:  # dictzip is gzip with a seek table: gzip reads it whole
        raw = fh.read()
    return [raw[o:o + n].decode("utf-8", errors="replace") for o, n in ordered]


def sentences_of(text: str) -> list[list[str]]:
    """Lower-case word lists of a text, one per paragraph.

    Pronunciations (``\\A*buse"\\``), bracketed etymologies and source tags
    (``[1913 Webster]``), ``{}`` link braces and single letters other than "a" and "i" are
    removed.
    """
    out = []
    for para in re.split(r"\n\s*\n", _MARKUP.sub(" ", text)):
        words = _WORD.findall(para.lower())
        if len(words) > 1:
            out.append(words)
    return out


def corpus_texts(corpus: str = "gcide", *, max_entries: int | None = None,
                 directory: str | os.PathLike[str] | None = None) -> list[str]:
    """The raw texts of a corpus (GCIDE entries, then WordNet glosses), in a fixed order."""
    texts: list[str] = []
    for name in _parse_corpus(corpus):
        if name == "gcide":
            texts += gcide_entries(directory, max_entries)
        else:
            from icaxes.io.encoders import wordnet_glosses

            texts += wordnet_glosses(limit=max_entries)[1]
    return texts


class _Sentences:
    """Re-iterable sentences (gensim reads the corpus once per epoch plus once for the vocabulary)."""

    def __init__(self, texts: Sequence[str], bar=None) -> None:
        self.sentences = [s for t in texts for s in sentences_of(t)]
        self.bar = bar  # an icaxes.progress.ProgressBar, advanced by the words read

    def __iter__(self) -> Iterator[list[str]]:
        for s in self.sentences:
            yield s
            if self.bar is not None:
                self.bar.advance(len(s))


def train_sgns(corpus: str = "gcide", *, vector_size: int = 300, window: int = 5, min_count: int = 5,
               negative: int = 5, sample: float = 1e-3, epochs: int = 5, seed: int = 0, workers: int = 1,
               max_entries: int | None = None, progress: bool = False, use_cache: bool = True
               ) -> Embeddings:
    """Train (or read from the cache) skip-gram vectors with negative sampling on a corpus.

    Parameters
    ----------
    corpus : str
        ``gcide`` (Debian ``dict-gcide``), ``wordnet`` (the WordNet 3.0 glosses) or
        ``gcide+wordnet``.
    vector_size, window, min_count, negative, sample, epochs : int or float
        gensim ``Word2Vec`` parameters (skip-gram, ``sg=1``).
    seed : int
        Seed of the initial vectors and of gensim's sampling.
    workers : int
        gensim worker threads; only 1 is deterministic.
    max_entries : int, optional
        Use only about this many GCIDE entries (and WordNet glosses), spread over the corpus:
        a small slice for tests.
    progress : bool, default False
        Show a progress bar over the words read (vocabulary pass and every epoch).
    use_cache : bool
        Read and write the user cache folder.

    Returns
    -------
    Embeddings
        Words in decreasing corpus frequency, ``frequencies`` = corpus counts.
    """
    names = _parse_corpus(corpus)
    if workers < 1 or epochs < 1 or vector_size < 1 or min_count < 1:
        raise InputError("vector_size, min_count, epochs and workers must be positive integers")
    params = {"corpus": "+".join(names), "corpus_version": corpus_version("+".join(names)),
              "vector_size": vector_size, "window": window, "min_count": min_count, "negative": negative,
              "sample": sample, "epochs": epochs, "seed": seed, "workers": workers,
              "max_entries": max_entries, "format": 1}
    from icaxes.io.cache import cache_path

    path = cache_path("sgns", ".npz", **params)
    name = "sgns-" + "-".join(names)
    meta = {"source": name, "corpus": params["corpus_version"],
            "training": "gensim Word2Vec skip-gram, " + ", ".join(
                f"{k}={v}" for k, v in params.items() if k not in ("corpus", "corpus_version", "format"))}
    if use_cache and path.is_file():
        with np.load(path, allow_pickle=False) as z:
            SGNS_STATS["cache_hits"] += 1
            return Embeddings(z["tokens"].tolist(), z["vectors"], z["counts"].astype(np.float64), meta)
    gensim_models = require("gensim.models", extra="gensim", feature="training the SGNS source")
    from icaxes.progress import ProgressBar

    texts = corpus_texts("+".join(names), max_entries=max_entries)
    sentences = _Sentences(texts)
    n_words = sum(len(s) for s in sentences.sentences)
    if not n_words:
        raise InputError(f"the {corpus} corpus has no words to train on")
    with ProgressBar(f"SGNS {n_words:,} words x {epochs + 1} passes", n_words * (epochs + 1),
                     enabled=progress) as bar:
        sentences.bar = bar
        model = gensim_models.Word2Vec(sentences, sg=1, vector_size=vector_size, window=window,
                                       min_count=min_count, negative=negative, sample=sample, epochs=epochs,
                                       seed=seed, workers=workers)
    wv = model.wv
    tokens = list(wv.index_to_key)
    if not tokens:
        raise InputError(f"no word occurs {min_count} times in the corpus slice; lower min_count")
    counts = np.array([wv.get_vecattr(t, "count") for t in tokens], dtype=np.int64)
    vectors = np.ascontiguousarray(wv.vectors, dtype=np.float32)
    SGNS_STATS["trained"] += 1
    if use_cache:
        from icaxes.io.atomic import atomic_file

        with atomic_file(path) as tmp, open(tmp, "wb") as fh:
            np.savez(fh, tokens=np.array(tokens, dtype=str), vectors=vectors, counts=counts)
    return Embeddings(tokens, vectors, counts.astype(np.float64), meta)


def load_sgns_gcide(limit: int | None = None, *, progress: bool = False) -> Embeddings:
    """The built-in ``sgns-gcide`` source: :func:`train_sgns` with :data:`DEFAULTS` on GCIDE."""
    emb = train_sgns("gcide", **DEFAULTS, progress=progress)
    return emb if limit is None or limit >= len(emb) else emb.head(limit)
