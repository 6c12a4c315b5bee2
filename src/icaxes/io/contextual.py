"""Contextual token embeddings: one row per occurrence of a word in real sentences.

The paper matches the ICA axes of BERT's contextual token embeddings against those of static
word embeddings (fastText): every occurrence of a word in a corpus is a row of its own, and
all the rows of one word are paired with that word's single static vector, weighted
``1 / occurrences`` so that each word counts once (:func:`icaxes.universal.pairs.token_word_pairs`).

Here the model is all-MiniLM-L6-v2 (the ``minilm`` encoder of :mod:`icaxes.io.encoders`)
and the sentences are the WordNet 3.0 synset glosses (definitions and example sentences,
:func:`icaxes.io.encoders.wordnet_glosses`), taken in a seeded random order so that the
first rows are not all from one part of the noun hierarchy. sentence-transformers'
``output_value="token_embeddings"`` gives the last layer's vector of every word piece; a row
is kept when its piece is a whole word (alphabetic, two letters or more, not a ``##``
continuation and not followed by one), the rows that a static vocabulary can name.

A row's token is ``WORD#K``: the K-th occurrence (from 0) of WORD in the rows kept
(:func:`token_word` reads the word back). The source ``minilm-context[:N]`` (default
:data:`DEFAULT_TOKENS` rows) is parsed and read by :mod:`icaxes.io.sources`. Encodings are
cached (:mod:`icaxes.io.cache`) keyed by the model, its package version, the WordNet copy,
the number of rows, the seed and :data:`CONTEXT_VERSION`.
"""

from __future__ import annotations

import re
from collections import Counter

import numpy as np

from icaxes.errors import InputError
from icaxes.io.atomic import atomic_file
from icaxes.io.cache import cache_path
from icaxes.io.embeddings import Embeddings

#: bump when the row extraction changes, so cached encodings are not reused wrongly
CONTEXT_VERSION = 1
#: rows of ``minilm-context`` without ``:N``
DEFAULT_TOKENS = 100_000
#: separates the word from its occurrence number in a row token (``bank#3``)
SEP = "#"
#: ``hit``: encodings read from the cache; ``encoded``: glosses sent through the model
CONTEXT_STATS: Counter = Counter()

_TOKEN = re.compile(r"^(.+)#(\d+)$")


def token_word(token: str) -> str:
    """The word of a contextual row token: ``bank#3`` -> ``bank``.

    Raises
    ------
    InputError
        If ``token`` is not of the form ``WORD#K``.
    """
    m = _TOKEN.match(token)
    if m is None:
        raise InputError(f"{token!r} is not a contextual token (expected WORD{SEP}K, e.g. bank{SEP}3)")
    return m.group(1)


def _whole_word(piece: str) -> bool:
    return piece.isalpha() and piece.isascii() and len(piece) > 1


def contextual_tokens(n_tokens: int = DEFAULT_TOKENS, *, seed: int = 0, batch_size: int = 64,
                      progress: bool = False, use_cache: bool = True) -> Embeddings:
    """all-MiniLM-L6-v2 contextual vectors of the whole-word tokens of WordNet glosses, cached.

    Parameters
    ----------
    n_tokens : int
        Rows to keep (whole-word occurrences, in the order the glosses are read).
    seed : int
        Seed of the order in which the glosses are read.
    batch_size : int
        Glosses per encoder call.
    progress : bool
        Show a progress bar while encoding.
    use_cache : bool
        Read and write the cache (default True).

    Returns
    -------
    Embeddings
        Tokens ``WORD#K`` (see :func:`token_word`), 384 columns, no frequencies; metadata names
        the model, its package version, the WordNet copy and the number of glosses read.

    Raises
    ------
    InputError
        If ``n_tokens`` is not positive or the glosses hold fewer whole-word tokens.
    MissingDependencyError
        If the model package or the WordNet database is missing.
    """
    from icaxes import __version__
    from icaxes.io.encoders import ENCODERS, _minilm, _wordnet_fingerprint, wordnet_glosses

    if n_tokens < 1:
        raise InputError(f"the number of contextual tokens must be positive, got {n_tokens}")
    enc = ENCODERS["minilm"]
    fingerprint = _wordnet_fingerprint()
    key = {"model": "all-MiniLM-L6-v2", "version": enc.version, "wordnet": fingerprint,
           "n_tokens": int(n_tokens), "seed": int(seed), "extraction": CONTEXT_VERSION}
    path = cache_path("contextual-tokens", ".npz", **key)
    meta = {"source": f"minilm-context:{n_tokens}", "encoder": "all-MiniLM-L6-v2 token embeddings",
            "package": f"{enc.package} {enc.version}", "icaxes": __version__, "lang": "en",
            "text": "WordNet 3.0 synset glosses", "wordnet": fingerprint,
            "contextual": f"rows WORD{SEP}K: the K-th occurrence of WORD"}
    if use_cache and path.exists():
        with np.load(path, allow_pickle=False) as z:
            tokens = [str(t) for t in z["tokens"]]
            vectors = z["vectors"]
            n_glosses = int(z["glosses"])
        CONTEXT_STATS["hit"] += 1
        return Embeddings(tokens, vectors, None, {**meta, "glosses": n_glosses, "cache": "hit"})
    _ids, glosses = wordnet_glosses()
    order = np.random.default_rng(seed).permutation(len(glosses))
    model = _minilm()
    tok = model.tokenizer
    rows: list[np.ndarray] = []
    tokens: list[str] = []
    seen: Counter = Counter()
    read = 0
    from icaxes.progress import ProgressBar

    with ProgressBar(f"minilm: {n_tokens:,} contextual tokens", n_tokens, enabled=progress) as bar:
        while len(tokens) < n_tokens and read < len(order):
            batch = [glosses[i] for i in order[read:read + batch_size]]
            read += len(batch)
            ids = tok(batch, truncation=True, max_length=model.max_seq_length)["input_ids"]
            out = model.encode(batch, output_value="token_embeddings", batch_size=batch_size,
                               show_progress_bar=False)
            CONTEXT_STATS["encoded"] += len(batch)
            for piece_ids, vecs in zip(ids, out, strict=True):
                pieces = tok.convert_ids_to_tokens(piece_ids)
                vecs = vecs.detach().cpu().numpy()
                if vecs.shape[0] != len(pieces):
                    raise InputError(f"the model returned {vecs.shape[0]} token vectors for "
                                     f"{len(pieces)} word pieces")
                keep = [j for j, p in enumerate(pieces) if _whole_word(p)
                        and not (j + 1 < len(pieces) and pieces[j + 1].startswith("##"))]
                keep = keep[:n_tokens - len(tokens)]
                for j in keep:
                    tokens.append(f"{pieces[j]}{SEP}{seen[pieces[j]]}")
                    seen[pieces[j]] += 1
                if keep:
                    rows.append(np.asarray(vecs[keep], dtype=np.float32))
                    bar.advance(len(keep))
                if len(tokens) == n_tokens:
                    break
    if len(tokens) < n_tokens:
        raise InputError(f"the WordNet glosses hold only {len(tokens):,} whole-word tokens; "
                         f"ask for at most that many (minilm-context:{len(tokens)})")
    vectors = np.ascontiguousarray(np.concatenate(rows), dtype=np.float32)
    CONTEXT_STATS["miss"] += 1
    if use_cache:
        with atomic_file(path) as tmp, open(tmp, "wb") as fh:
            np.savez(fh, tokens=np.array(tokens, dtype=str), vectors=vectors, glosses=np.int64(read))
    return Embeddings(tokens, vectors, None, {**meta, "glosses": read, "cache": "miss"})
