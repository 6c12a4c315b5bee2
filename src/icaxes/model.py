"""The fitted model of an embedding: tokens, a fitted transform and the transformed rows.

:func:`fit_ica` and :func:`fit_pca` turn :class:`~icaxes.io.embeddings.Embeddings` into an
:class:`AxisModel`; the model answers the questions users ask of the axes (top tokens, a
token's composition, why two tokens are similar) and saves itself to an open-format folder.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from icaxes.decompose.estimator import (
    ICA,
    PCA,
    _AxisTransform,
    estimator_from_arrays,
    save_estimator_arrays,
)
from icaxes.errors import (
    DimensionMismatchError,
    EmptyTokenError,
    InputError,
    ParameterError,
)
from icaxes.interpret.axes import (
    AxisWeight,
    SimilarityTerm,
    component_p_value,
    normalize_rows,
    product_p_value,
    similarity_terms,
    top_rows,
)
from icaxes.io.atomic import atomic_dir
from icaxes.io.embeddings import Embeddings, check_finite
from icaxes.io.filters import RowSelection
from icaxes.io.model_format import FORMAT_VERSION, METHODS, ModelFolder, read_model_folder
from icaxes.io.vocabulary import HasVocabulary, Vocabulary
from icaxes.params import MAX_ITER, N_INIT, TOL


@dataclass
class AxisModel(HasVocabulary):
    """An embedding seen through fitted axes (ICA or its PCA baseline).

    Three arrays a newcomer can mix up have one name each here:

    - :attr:`scores` (the field ``components``): the ``(n, k)`` transformed rows, one row per
      token and one column per axis (ICA sources or PCA scores);
    - :attr:`unmixing` (``estimator.components_``): the ``(k, d)`` unmixing matrix that turns
      a centred embedding row into its scores, ``scores = (X - mean) @ unmixing.T``;
    - :attr:`estimator` (the field ``transform``): the fitted scikit-learn style estimator
      (:class:`~icaxes.ICA` or :class:`~icaxes.PCA`), whose ``transform(X)`` scores new rows
      (:meth:`transform_vectors` does so with input checks).

    Parameters
    ----------
    tokens : list of str
        Tokens, one non-empty, unique token per row of ``components``.
    components : ndarray of shape (n, k)
        The scores: transformed rows (ICA sources or PCA scores), float32, finite.
    transform : ICA or PCA
        The fitted estimator (transforms new rows); its ``components_`` must have ``k`` rows.
    method : {"ica", "pca"}
        Which decomposition the axes come from.
    frequencies : ndarray of shape (n,), optional
    metadata : dict
        Source description and fit settings.
    labels : list of str, optional
        A readable label per axis (default: its top three tokens).
    categories : list of str or None, optional
        The WordNet category of each axis where one fits (see :mod:`icaxes.interpret.labels`).

    Attributes
    ----------
    folder : Path or None
        The folder :meth:`load` read the model from (None for a model made in memory): its
        arrays may be memory maps of it, and :meth:`export` never writes over it (nor over
        the fitted folder holding it, see :attr:`input_folders`).

    Raises
    ------
    InputError
        A subclass of it, with one line saying what is wrong, when the parts disagree:
        :class:`~icaxes.errors.ParameterError` (``method`` not ica or pca),
        :class:`~icaxes.errors.EmptyTokenError`, :class:`~icaxes.errors.DuplicateTokenError`,
        :class:`~icaxes.errors.DimensionMismatchError` (tokens vs rows, axes vs the estimator,
        frequencies, labels, categories), :class:`~icaxes.errors.NonFiniteError`.
    """

    tokens: list[str]
    components: np.ndarray
    transform: _AxisTransform
    method: str
    frequencies: np.ndarray | None = None
    metadata: dict[str, Any] = field(default_factory=dict)
    labels: list[str] | None = None
    categories: list[str | None] | None = None

    def __post_init__(self) -> None:
        self.folder: Path | None = None
        self._check()
        self._normalized: np.ndarray | None = None
        self._alpha: np.ndarray | None = None
        self._display_mask: np.ndarray | None = None
        if self.labels is None:  # a model made by hand or saved without labels: tokens only
            from icaxes.interpret.labels import token_labels

            labels = token_labels([self.top_tokens(k, 3) for k in range(self.n_axes)])
            self.labels = [lab.label for lab in labels]

    @property
    def input_folders(self) -> list[Path]:
        """The folders a writer given this model must not write over: :attr:`folder` and, when
        it is ``ica/`` or ``pca/`` of a fitted folder, that folder and its other model."""
        if self.folder is None:
            return []
        parent = ModelFolder(self.folder.parent)
        if self.folder.name in parent.methods:
            return parent.input_paths()
        return [self.folder]

    #: the decompositions a model can hold (those of the model folder format)
    METHODS = METHODS

    def _check(self) -> None:
        """The model's invariants, each broken one a specific error with one line."""
        if self.method not in self.METHODS:
            raise ParameterError(f"method must be 'ica' or 'pca', got {self.method!r}; it says which "
                                 "decomposition the axes come from")
        self.tokens = [str(t) for t in self.tokens]
        scores = self.components
        if not hasattr(scores, "shape") or not hasattr(scores, "dtype"):
            scores = np.asarray(scores)
        if scores.ndim != 2:
            raise DimensionMismatchError(
                f"components (the scores) must be a 2-D array (tokens x axes), got shape {scores.shape}")
        if not np.issubdtype(scores.dtype, np.number):
            raise InputError(f"components (the scores) must be numeric, got dtype {scores.dtype}")
        self.components = scores
        n, k = scores.shape
        if len(self.tokens) != n:
            more = "more" if len(self.tokens) > n else "fewer"
            raise DimensionMismatchError(
                f"{len(self.tokens):,} tokens but {n:,} rows of components: {more} tokens than rows; "
                "give exactly one token per row")
        empty = next((i for i, t in enumerate(self.tokens) if not t.strip()), None)
        if empty is not None:
            raise EmptyTokenError(f"token {empty} is empty or whitespace only; every row needs a "
                                  "token that can be looked up")
        self._vocabulary: Vocabulary | None = Vocabulary(self.tokens)
        self._vocabulary.check_unique("a model needs one row per token: deduplicate the embedding "
                                      "before fitting (load_embeddings(..., dedupe=True))")
        unmixing = getattr(self.transform, "components_", None)
        mean = getattr(self.transform, "mean_", None)
        if unmixing is None or mean is None:
            raise InputError(f"transform must be a fitted ICA or PCA estimator, got "
                             f"{type(self.transform).__name__} without components_ and mean_; fit it first")
        unmixing, mean = np.asarray(unmixing), np.asarray(mean)
        if unmixing.ndim != 2 or unmixing.shape[0] != k or mean.shape != (unmixing.shape[1],):
            raise DimensionMismatchError(
                f"components (the scores) have {k} axes but the estimator's unmixing matrix "
                f"(transform.components_) has shape {unmixing.shape} and mean_ {mean.shape}; "
                f"expected ({k}, d) and (d,): pass the estimator that made these scores")
        skew = getattr(self.transform, "skewness_", None)
        if skew is not None and np.shape(skew) != (k,):
            raise DimensionMismatchError(f"the estimator has {np.size(skew)} skewness values for "
                                         f"{k} axes; pass the estimator that made these scores")
        if not np.isfinite(np.sum(scores, dtype=np.float64)):  # one pass, no mask of the array
            check_finite(np.asarray(scores), self.tokens, what="components (the scores)")
        if self.frequencies is not None:
            freqs = np.asarray(self.frequencies, dtype=np.float64)
            if freqs.shape != (n,):
                raise DimensionMismatchError(
                    f"frequencies has shape {freqs.shape}, expected ({n},): one per token")
            self.frequencies = freqs
        for name in ("labels", "categories"):
            values = getattr(self, name)
            if values is not None and len(values) != k:
                raise DimensionMismatchError(f"{len(values)} {name} for {k} axes; give one per axis "
                                             "(or None to compute them)")

    # --------------------------------------------------------------- basics
    def __repr__(self) -> str:
        return (f"<AxisModel {self.method.upper()} of {self.metadata.get('source', '?')}: "
                f"{len(self.tokens):,} tokens, {self.n_axes} axes>")

    def _repr_html_(self) -> str:
        """A compact, escaped summary table for notebooks (see :mod:`icaxes.explorer`)."""
        from icaxes.explorer.summary import model_summary_html

        return model_summary_html(self)

    @property
    def n_axes(self) -> int:
        """Number of axes."""
        return int(self.components.shape[1])

    @property
    def skewness(self) -> np.ndarray:
        """Skewness of each axis (positive, decreasing for the default order)."""
        return self.transform.skewness_

    @property
    def scores(self) -> np.ndarray:
        """The ``(n, k)`` transformed rows: one row per token, one column per axis.

        The same array as the field ``components`` (kept for existing code); this name says
        what it is and keeps it apart from the estimator's ``components_`` (:attr:`unmixing`).
        """
        return self.components

    @property
    def unmixing(self) -> np.ndarray:
        """The ``(k, d)`` unmixing matrix: ``scores = (X - estimator.mean_) @ unmixing.T``.

        The estimator's ``components_`` (scikit-learn's name for it).
        """
        return self.transform.components_

    @property
    def estimator(self) -> _AxisTransform:
        """The fitted :class:`~icaxes.ICA` or :class:`~icaxes.PCA` (the field ``transform``)."""
        return self.transform


    @property
    def normalized(self) -> np.ndarray:
        """Rows of :attr:`components` scaled to unit length (used for display and top tokens)."""
        if self._normalized is None:
            self._normalized = normalize_rows(self.components)
        return self._normalized

    @property
    def display(self) -> RowSelection:
        """The tokens an axis is read from (top tokens, labels, figures, the explorer).

        Saved in ``metadata["display"]``; ``icaxes fit`` sets it to the rows ICA was fitted
        on. A model without one reads every row. See :meth:`with_display`.
        """
        return RowSelection.from_dict(self.metadata.get("display") if isinstance(self.metadata, dict)
                                      else None)

    @property
    def display_mask(self) -> np.ndarray | None:
        """Boolean mask of the rows in :attr:`display` (None: every row)."""
        sel = self.display
        if sel.everything:
            return None
        if self._display_mask is None:
            mask = np.zeros(len(self.tokens), dtype=bool)
            mask[sel.rows(self.tokens, self.frequencies, _lang(self.metadata))] = True
            self._display_mask = mask
        return self._display_mask

    def with_display(self, display: RowSelection, *, wordnet: Any = None) -> AxisModel:
        """The same axes read from other tokens: a new model whose labels and categories are
        recomputed from its top tokens among ``display`` (arrays are shared, not copied)."""
        meta = {**(self.metadata if isinstance(self.metadata, dict) else {}),
                "display": display.to_dict()}
        mask = None
        if not display.everything:
            mask = np.zeros(len(self.tokens), dtype=bool)
            mask[display.rows(self.tokens, self.frequencies, _lang(self.metadata))] = True
        labels, categories = _axis_labels(self.tokens, self.normalized, mask, wordnet)
        new = AxisModel(self.tokens, self.components, self.transform, self.method, self.frequencies,
                        meta, labels, categories)
        new._vocabulary, new._normalized, new._display_mask = self._vocabulary, self._normalized, mask
        new.folder = self.folder  # the same arrays: still the folder's
        return new

    def with_display_rank(self, max_rank: int | None) -> AxisModel:
        """The same axes read from the ``max_rank`` most frequent of the model's display tokens
        (same filter, labels recomputed); ``None`` returns the model itself."""
        if max_rank is None:
            return self
        return self.with_display(RowSelection(max_rank, self.display.filter))

    def row(self, token: str) -> int:
        """Row of ``token``; raises :class:`~icaxes.errors.UnknownTokenError`."""
        return self.vocabulary.row(token)

    def _check_axis(self, axis: int) -> int:
        if not 0 <= int(axis) < self.n_axes:
            raise InputError(f"axis {axis} is out of range: the model has axes 0..{self.n_axes - 1}")
        return int(axis)

    # ------------------------------------------------------- interpretation
    def top_tokens(self, axis: int, k: int = 10, *, min_frequency: float | None = None,
                   max_rank: int | None = None, alpha_only: bool = False,
                   end: str = "positive", display: bool = True) -> list[str]:
        """The ``k`` tokens with the largest normalised component on ``axis``.

        Parameters
        ----------
        axis : int
        k : int
        min_frequency : float, optional
            Keep only tokens whose frequency is at least this (needs frequencies).
        max_rank : int, optional
            Keep only the first ``max_rank`` rows (sources are in frequency order).
        alpha_only : bool
            Keep only tokens made of letters (drops numbers, scores, punctuation).
        end : {"positive", "negative"}
            ``"negative"`` gives the bottom ``k`` instead: the most negative components, most
            negative first (the short tail opposite the axis's spike).
        display : bool, default True
            Only tokens of :attr:`display` (the model's saved selection, by default the rows
            ICA was fitted on); False reads every row.
        """
        return [self.tokens[i] for i in self.top_indices(axis, k, min_frequency=min_frequency,
                                                          max_rank=max_rank, alpha_only=alpha_only,
                                                          end=end, display=display)]

    def top_indices(self, axis: int, k: int = 10, *, min_frequency: float | None = None,
                    max_rank: int | None = None, alpha_only: bool = False,
                    end: str = "positive", display: bool = True) -> np.ndarray:
        """Row indices of :meth:`top_tokens`."""
        axis = self._check_axis(axis)
        if end not in ("positive", "negative"):
            raise InputError(f"end must be 'positive' or 'negative', got {end!r}")
        allowed = self.display_mask if display else None
        if min_frequency is not None:
            if self.frequencies is None:
                raise InputError("min_frequency needs token frequencies, which this model lacks")
            allowed = self.frequencies >= min_frequency
        if max_rank is not None:
            rank_ok = np.arange(len(self.tokens)) < max_rank
            allowed = rank_ok if allowed is None else allowed & rank_ok
        if alpha_only:
            if self._alpha is None:
                self._alpha = np.fromiter((t.isalpha() for t in self.tokens), bool, len(self.tokens))
            allowed = self._alpha if allowed is None else allowed & self._alpha
        column = self.normalized[:, axis]
        return top_rows(column if end == "positive" else -column, k, allowed)

    def explain(self, token: str, top: int = 5) -> list[AxisWeight]:
        """The sparse composition of ``token``: its strongest axes and their weights.

        Weights are the token's normalised components; their squares sum to one over all
        axes, so ``share`` says how much of the token each axis accounts for.
        """
        return self._composition(self.normalized[self.row(token)], top)

    def axes_needed(self, token: str | Any, share: float = 0.8) -> int:
        """Number of axes that hold ``share`` of ``token``'s squared norm (largest first).

        ``token`` may also be a vector of the embedding space (transformed first, as in
        :meth:`explain_vector`).
        """
        from icaxes.interpret.axes import axes_needed

        if isinstance(token, str):
            return axes_needed(self.normalized[self.row(token)], share)
        comp = self.transform_vectors(self._as_vector(token))
        return axes_needed(normalize_rows(comp[None, :])[0], share)

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """``texts`` encoded by the encoder that made the model's rows (float32, one row each).

        The rows live in the space the model was fitted on, ready for :meth:`explain_vector`,
        :meth:`similarity_vectors` and :meth:`most_similar`. A model of a static table (GloVe)
        raises one :class:`~icaxes.errors.InputError` saying so
        (:func:`icaxes.io.encoders.text_encoder_for`).
        """
        from icaxes.io.encoders import text_encoder_for

        return text_encoder_for(self.metadata)(list(texts))

    def similarity(self, a: str, b: str, top: int | None = 10) -> tuple[float, list[SimilarityTerm]]:
        """Cosine of two tokens decomposed into one term per axis, largest first.

        Returns the cosine of the normalised components (equal to the cosine of the
        whitened embeddings) and the ``top`` terms with one-sided p-values of the product
        under the isotropic null (independent N(0, 1/d) components; docs/method.md, section 5),
        Bonferroni-adjusted over the axes.
        """
        ra, rb = self.row(a), self.row(b)
        return self._similarity_of_components(self.components[ra], self.components[rb], top)

    def similarity_vectors(self, u: Any, v: Any, top: int | None = 10
                           ) -> tuple[float, list[SimilarityTerm]]:
        """:meth:`similarity` of two vectors of the embedding space (any text, image or row).

        Parameters
        ----------
        u, v : array-like of shape (d,)
            Vectors in the space the model was fitted on (e.g. two sentences encoded by the
            same encoder); they go through the fitted transform first.
        top : int or None
            Terms returned (None: all).

        Returns
        -------
        cosine : float
            The cosine of the two transformed vectors (the whitened-space cosine).
        terms : list of SimilarityTerm
            Per-axis terms, largest first, with p-values as in :meth:`similarity`.
        """
        cu, cv = self.transform_vectors(np.vstack([self._as_vector(u, "u"), self._as_vector(v, "v")]))
        return self._similarity_of_components(cu, cv, top)

    def _similarity_of_components(self, ca: np.ndarray, cb: np.ndarray, top: int | None
                                  ) -> tuple[float, list[SimilarityTerm]]:
        cos, terms, (na, nb) = similarity_terms(ca, cb)
        d = self.n_axes
        p = product_p_value(na, nb, d)
        order = np.argsort(-terms, kind="stable")[: (top or d)]
        assert self.labels is not None
        return cos, [SimilarityTerm(int(k), self.labels[k], float(na[k]), float(nb[k]),
                                    float(terms[k]), float(p[k]), float(min(1.0, p[k] * d)))
                     for k in order]

    # ------------------------------------------------ vectors from outside the model
    def _as_vector(self, v: Any, what: str = "vector") -> np.ndarray:
        return self._as_rows(v, what, one=True)[0]

    def _as_rows(self, X: Any, what: str, *, one: bool = False) -> np.ndarray:
        try:
            arr = np.asarray(X, dtype=np.float64)
        except (TypeError, ValueError) as exc:
            raise InputError(f"{what} must be numeric ({exc})") from None
        d = int(self.transform.mean_.shape[0])
        rows = arr[None, :] if arr.ndim == 1 else arr
        if rows.ndim != 2 or rows.shape[1] != d or (one and arr.ndim != 1):
            shape = f"one vector of length {d}" if one else f"rows of length {d}"
            raise DimensionMismatchError(
                f"{what} has shape {arr.shape}; the model was fitted on {d}-dimensional vectors, "
                f"pass {shape} from the same embedding")
        check_finite(rows, what=what)
        return rows

    def transform_vectors(self, X: Any) -> np.ndarray:
        """Components of new rows of the embedding space: the fitted transform, float32.

        Parameters
        ----------
        X : array-like of shape (n, d) or (d,)

        Returns
        -------
        ndarray of shape (n, n_axes) (or (n_axes,) for one vector)
        """
        rows = self._as_rows(X, "vectors")
        out = np.asarray(self.transform.transform(rows), dtype=np.float32)
        return out[0] if np.ndim(X) == 1 else out

    def explain_vector(self, v: Any, top: int = 5) -> list[AxisWeight]:
        """:meth:`explain` for any vector of the embedding space (e.g. an encoded sentence).

        Parameters
        ----------
        v : array-like of shape (d,)
            A vector in the space the model was fitted on; it goes through the fitted
            transform (centring, whitening, rotation), then is normalised like every row.
        top : int
            Number of axes returned, strongest first.

        Returns
        -------
        list of AxisWeight
        """
        comp = self.transform_vectors(self._as_vector(v))
        return self._composition(normalize_rows(comp[None, :])[0], top)

    def _composition(self, vec: np.ndarray, top: int) -> list[AxisWeight]:
        vec = np.asarray(vec, dtype=np.float64)
        idx = np.argsort(-vec, kind="stable")[:top]
        assert self.labels is not None
        return [AxisWeight(int(i), self.labels[i], float(vec[i]), float(vec[i] ** 2)) for i in idx]

    def most_similar(self, query: str | Any, k: int = 10) -> list[tuple[str, float]]:
        """The ``k`` tokens closest to a token or a vector (cosine of the normalised components).

        Parameters
        ----------
        query : str or array-like of shape (d,)
            A token of the model (left out of its own neighbours) or a vector of the
            embedding space (transformed first).
        k : int

        Returns
        -------
        list of (token, cosine)
            Most similar first. The cosine is the whitened-space cosine that
            :meth:`similarity` decomposes.
        """
        if k < 1:
            raise InputError(f"k must be at least 1, got {k}")
        if isinstance(query, str):
            skip = self.row(query)
            q = self.normalized[skip]
        else:
            skip = None
            q = normalize_rows(self.transform_vectors(self._as_vector(query, "query"))[None, :])[0]
        scores = np.asarray(self.normalized @ q, dtype=np.float64)
        allowed = None
        if skip is not None:
            allowed = np.ones(len(scores), bool)
            allowed[skip] = False
        idx = top_rows(scores, k, allowed)
        return [(self.tokens[i], float(scores[i])) for i in idx]

    def component_significance(self, token: str) -> np.ndarray:
        """One-sided p-value of each normalised component of ``token`` under N(0, 1/d)."""
        return component_p_value(self.normalized[self.row(token)], self.n_axes)

    # ----------------------------------------------------------- persistence
    def save(self, path: str | Path) -> Path:
        """Save to a folder (``model.json``, ``transform.npz``, ``tokens.json``, ``components.npy``).

        The folder is written to a temporary sibling and renamed when complete.
        """
        path = Path(path)
        est = self.transform
        with atomic_dir(path) as tmp:
            est_meta = save_estimator_arrays(est, tmp)
            np.save(tmp / "components.npy", np.ascontiguousarray(self.components, dtype=np.float32))
            tok: dict[str, Any] = {"tokens": list(self.tokens)}
            if self.frequencies is not None:
                tok["frequencies"] = [float(f) for f in self.frequencies]
            (tmp / "tokens.json").write_text(json.dumps(tok, ensure_ascii=False), encoding="utf-8")
            meta = {
                "format": "icaxes-axis-model",
                "format_version": FORMAT_VERSION,
                "method": self.method,
                **est_meta,
                "labels": self.labels,
                "categories": self.categories,
                "metadata": _json_safe(self.metadata),
            }
            (tmp / "model.json").write_text(json.dumps(meta, indent=2, ensure_ascii=False),
                                            encoding="utf-8")
        return path

    def export(self, path: str | Path, to: str = "projector", *, binary: bool = False,
               normalize: bool = False, limit: int | None = None):
        """Write the components for another tool: see :func:`icaxes.io.export.export`.

        ``to`` is ``"projector"`` (a folder for the TensorBoard Embedding Projector),
        ``"word2vec"`` (text, or binary with ``binary=True``; gensim reads both) or
        ``"parquet"``. Returns an :class:`~icaxes.io.export.ExportResult`.
        """
        from icaxes.io.export import export

        return export(self, path, to, binary=binary, normalize=normalize, limit=limit)

    @classmethod
    def load(cls, path: str | Path, *, mmap: bool = True) -> AxisModel:
        """Load a folder written by :meth:`save`; ``transform`` then gives identical output.

        Every member is checked against the model format first
        (:mod:`icaxes.io.model_format`): types, shapes, dtypes, lengths, finiteness, sizes, no
        links out of the folder. A deviation raises one :class:`~icaxes.errors.ModelFormatError`
        naming the file, and nothing of the folder is used.
        """
        path = Path(path)
        parts = read_model_folder(path, mmap=mmap)
        est = estimator_from_arrays(parts.meta, parts.arrays, path)
        meta = parts.meta
        model = cls(parts.tokens, parts.components, est, meta["method"], parts.frequencies,
                    meta.get("metadata") or {}, meta.get("labels"), meta.get("categories"))
        model.folder = path
        return model


def _lang(metadata: Any) -> str | None:
    """The language of a source's tokens, where its metadata says (``"lang"``)."""
    lang = metadata.get("lang") if isinstance(metadata, dict) else None
    return str(lang) if lang else None


def _jsonable(v: Any) -> bool:
    return v is None or isinstance(v, (bool, int, float, str))


def _json_safe(obj: Any) -> Any:
    if isinstance(obj, dict):
        return {str(k): _json_safe(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_json_safe(v) for v in obj]
    if isinstance(obj, np.generic):
        return obj.item()
    if _jsonable(obj):
        return obj
    return str(obj)


def _prepare(emb: Embeddings) -> np.ndarray:
    from icaxes.errors import DegenerateDataError
    from icaxes.io.embeddings import check_fit_matrix

    X = emb.vectors
    check_fit_matrix(X)
    zero = np.flatnonzero(~np.any(np.asarray(X) != 0, axis=1))
    if zero.size:
        names = ", ".join(repr(emb.tokens[i]) for i in zero[:3])
        raise DegenerateDataError(
            f"{zero.size} all-zero row(s) ({names}{', ...' if zero.size > 3 else ''}); they have "
            "no direction, drop them (e.g. padding or unknown-word rows)"
        )
    return X


def _check_components(emb: Embeddings, n_components: int | None) -> None:
    """More components than columns: one line naming the usable columns (and any dropped)."""
    if n_components is None or int(n_components) <= emb.dim:
        return
    from icaxes.errors import InputError

    dropped = emb.metadata.get("constant_columns_dropped") or []
    why = ""
    if dropped:
        cols = ", ".join(str(c) for c in dropped[:5]) + (" ..." if len(dropped) > 5 else "")
        why = (f" ({len(dropped)} constant column(s) of {emb.metadata.get('input_dim', '?')} were "
               f"dropped on loading: column {cols})")
    raise InputError(f"n_components (--n-components) is {int(n_components)} but "
                     f"{emb.metadata.get('source', 'the embedding')} has {emb.dim} usable columns{why}; "
                     f"keep at most {emb.dim} components")


def _fit(emb: Embeddings, est: _AxisTransform, method: str, fit_rows: Sequence[int] | None,
         select: RowSelection | None) -> AxisModel:
    _check_components(emb, getattr(est, "n_components", None))
    X = _prepare(emb)
    if select is not None:
        if fit_rows is not None:
            raise InputError("give fit_rows or select, not both")
        fit_rows = None if select.everything else select.rows(emb.tokens, emb.frequencies,
                                                                   _lang(emb.metadata))
    est.fit(X if fit_rows is None else np.asarray(X[np.asarray(fit_rows)]))
    comps = est.transform(X).astype(np.float32, copy=False)
    meta = dict(emb.metadata)
    meta.update(n_tokens=len(emb), dim=emb.dim,
                fit_rows=len(emb) if fit_rows is None else len(fit_rows))
    if select is not None:
        meta["display"] = select.to_dict()
    tokens = list(emb.tokens)
    normalized = normalize_rows(comps)
    mask = None
    if select is not None and not select.everything:
        mask = np.zeros(len(tokens), dtype=bool)
        mask[select.rows(tokens, emb.frequencies, _lang(emb.metadata))] = True
    labels, categories = _axis_labels(tokens, normalized, mask)
    model = AxisModel(tokens, comps, est, method, emb.frequencies, meta, labels, categories)
    model._normalized, model._display_mask = normalized, mask
    return model


def _axis_labels(tokens: list[str], normalized: np.ndarray, mask: np.ndarray | None,
                 wordnet: Any = None) -> tuple[list[str], list[str | None]]:
    """Labels and categories of every axis from its top tokens among the ``mask`` rows.

    The one place labels are made: :func:`fit_ica`, :func:`fit_pca` and
    :meth:`AxisModel.with_display` call it and pass the result to the model, which saves it.
    """
    from icaxes.interpret.labels import LABEL_TOP, label_tops_or_tokens

    tops = [[tokens[i] for i in top_rows(normalized[:, a], LABEL_TOP, mask)]
            for a in range(normalized.shape[1])]
    vocabulary = tokens if mask is None else [tokens[i] for i in np.flatnonzero(mask)]
    labels = label_tops_or_tokens(tops, vocabulary, wordnet=wordnet)
    return [lab.label for lab in labels], [lab.category for lab in labels]


def fit_ica(emb: Embeddings, *, seed: int | None = 0, max_iter: int = MAX_ITER, tol: float = TOL,
            n_components: int | float | None = None, fit_rows: Sequence[int] | None = None,
            select: RowSelection | None = None,
            progress: bool = False, solver: str = "lbfgs", device: str | None = None,
            n_init: int = N_INIT) -> AxisModel:
    """Fit ICA on embeddings and return the :class:`AxisModel` of all their rows.

    Parameters
    ----------
    emb : Embeddings
    seed : int or None, default 0
        Seed of the starting rotation; the same seed gives the same axes.
    max_iter, tol, solver, device : see :class:`~icaxes.ICA`.
    n_components : int or float, optional
        Whitened components kept (default: all; a float in (0, 1): a fraction of the variance).
    fit_rows : sequence of int, optional
        Fit on these rows only (a sample), then transform all rows.
    select : RowSelection, optional
        Fit on the rows it selects (e.g. ``RowSelection()``: the 50,000 most frequent
        content words, what ``icaxes fit`` does), transform all rows, and read the axes
        (top tokens, labels) from the same rows: it becomes the model's :attr:`AxisModel.display`.
        Default: fit on every row (or ``fit_rows``) and read every row.
    progress : bool
        Show a progress bar.
    n_init : int, default 1
        Starts of the solver; the one with the largest contrast is kept (see :class:`~icaxes.ICA`).
        With more than one, ``metadata["starts"]`` records the kept start (``best``, 0 being
        the default start), every start's contrast and iterations.
    """
    est = ICA(random_state=seed, n_components=n_components, max_iter=max_iter, tol=tol,
              progress=progress, solver=solver, device=device, n_init=n_init)
    model = _fit(emb, est, "ica", fit_rows, select)
    if est.init_contrasts_ is not None:
        model.metadata["starts"] = {"n_init": int(n_init), "best": int(est.best_init_),
                                    "contrasts": [float(c) for c in est.init_contrasts_],
                                    "n_iter": [int(i) for i in est.init_n_iter_]}
    return model


def fit_pca(emb: Embeddings, *, n_components: int | float | None = None,
            fit_rows: Sequence[int] | None = None, select: RowSelection | None = None) -> AxisModel:
    """Fit the PCA baseline (whitened, positive skew, sorted by skewness) on embeddings.

    ``fit_rows`` and ``select`` work as in :func:`fit_ica`.
    """
    return _fit(emb, PCA(n_components=n_components), "pca", fit_rows, select)


def load_model(path: str | Path, method: str = "ica") -> AxisModel:
    """Load a model folder written by ``icaxes fit`` (``path/ica``, ``path/pca``) or by ``save``
    (see :class:`~icaxes.io.model_format.ModelFolder`)."""
    return ModelFolder(path).load(method)
