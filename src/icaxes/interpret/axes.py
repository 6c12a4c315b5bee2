"""Read the axes: top tokens, a token's sparse composition, similarity decomposed by axis."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import special, stats


def normalize_rows(S: np.ndarray) -> np.ndarray:
    """Rows scaled to unit Euclidean length (zero rows stay zero), float32."""
    S = np.asarray(S, dtype=np.float32)
    norms = np.linalg.norm(S, axis=1, keepdims=True)
    return np.divide(S, norms, out=np.zeros_like(S), where=norms > 0)


def top_rows(column: np.ndarray, k: int, allowed: np.ndarray | None = None) -> np.ndarray:
    """Indices of the ``k`` largest entries of ``column`` (largest first), optionally among ``allowed``."""
    col = np.asarray(column, dtype=np.float64)
    if allowed is not None:
        col = np.where(allowed, col, -np.inf)
    k = min(k, col.size if allowed is None else int(np.count_nonzero(allowed)))
    if k <= 0:
        return np.empty(0, dtype=np.int64)
    idx = np.argpartition(-col, k - 1)[:k]
    return idx[np.argsort(-col[idx], kind="stable")]


@dataclass
class AxisWeight:
    """One axis's part in a token's composition."""

    axis: int
    label: str
    weight: float  # normalised component
    share: float  # weight**2: share of the squared norm


@dataclass
class SimilarityTerm:
    """One axis's term of the normalised-ICA cosine of two tokens."""

    axis: int
    label: str
    a: float
    b: float
    product: float
    p_value: float  # one-sided, product of two N(0, 1/d) components
    p_adjusted: float  # Bonferroni over the d axes


def component_p_value(x: np.ndarray | float, d: int) -> np.ndarray:
    """P(Z > sqrt(d) * |x|) for one normalised component under the isotropic null N(0, 1/d)."""
    return stats.norm.sf(np.sqrt(d) * np.abs(np.asarray(x, dtype=np.float64)))


def product_p_value(x: np.ndarray | float, y: np.ndarray | float, d: int) -> np.ndarray:
    """P(U V > d |x y|) for U, V independent standard normals (density K0(|t|)/pi).

    For ``c = d |x y| < 2`` the closed form ``1/2 - (1/pi) int_0^c K0(t) dt`` is exact to
    rounding (the p-value is large). For larger ``c`` that difference cancels badly, so the
    tail ``int_c^inf K0`` is computed directly as ``exp(-c) int_0^inf k0e(c + u) exp(-u) du``
    by Gauss-Laguerre quadrature (the integrand is smooth there), accurate to about 1e-12
    relative down to the smallest representable p-values.
    """
    prod = np.asarray(x, dtype=np.float64) * np.asarray(y, dtype=np.float64)
    c = np.atleast_1d(d * np.abs(prod))
    out = np.empty_like(c)
    small = c < 2.0
    if np.any(small):
        _, int_k0 = special.iti0k0(c[small])
        out[small] = 0.5 - int_k0 / np.pi
    if np.any(~small):
        nodes, weights = _LAGUERRE
        cl = c[~small][:, None]
        out[~small] = np.exp(-cl[:, 0]) * (special.k0e(cl + nodes) @ weights) / np.pi
    return np.clip(out, 0.0, 1.0).reshape(prod.shape)


_LAGUERRE = np.polynomial.laguerre.laggauss(60)


def axes_needed(weights: np.ndarray, share: float) -> int:
    """How many axes (largest squared weight first) hold at least ``share`` of the squared norm.

    A small number means a sparse composition: the token is mostly a few axes.
    """
    if not 0.0 < share <= 1.0:
        from icaxes.errors import InputError

        raise InputError(f"share must be in (0, 1], got {share}")
    sq = np.sort(np.asarray(weights, dtype=np.float64) ** 2)[::-1]
    total = sq.sum()
    if total == 0:
        return 0
    # a tiny tolerance so that share=1.0 is reached despite rounding
    return int(np.searchsorted(np.cumsum(sq) / total, share - 1e-12) + 1)


def similarity_terms(a: np.ndarray, b: np.ndarray) -> tuple[float, np.ndarray, np.ndarray]:
    """Cosine of two rows and its per-axis terms (on unit-normalised rows)."""
    na, nb = normalize_rows(np.vstack([a, b]))
    terms = na.astype(np.float64) * nb.astype(np.float64)
    return float(terms.sum()), terms, np.vstack([na, nb])
