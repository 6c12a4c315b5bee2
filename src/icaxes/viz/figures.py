"""The paper's figures for fitted models (matplotlib; PNG at 200 dpi and SVG, written atomically).

Every function takes fitted :class:`~icaxes.model.AxisModel` objects and a base path
(``figures/heatmap`` writes ``figures/heatmap.png`` and ``figures/heatmap.svg``) and returns
the paths written. Values shown are *normalised components*: each token's row of components
scaled to unit length, so a token's values say how its meaning splits across axes.

- :func:`plot_heatmap`: top tokens of the first axes against those axes, ICA beside PCA
  (ICA gives a block diagonal: each axis owns its tokens).
- :func:`plot_scatter`: any two axes with labelled tokens (the top tokens of each axis and
  the tokens that mix both).
- :func:`plot_spiky`: the first two axes of ICA and PCA, and histograms of axis values on a
  log scale against a Gaussian: ICA axes are spiky and heavy-tailed, PCA axes less so.
- :func:`plot_moments`: skewness and kurtosis of each axis (log scale), for several models.
- :func:`plot_projection`: ``K`` axes as spokes at angles ``2*pi*k/K``; each token at
  ``normalized[:, :K] @ [cos, sin]``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from icaxes.errors import InputError
from icaxes.viz.fonts import METHOD_COLORS, figure_style, save_figure

if TYPE_CHECKING:
    from icaxes.model import AxisModel

ModelsLike = Sequence[tuple[str, "AxisModel"]] | Mapping[str, "AxisModel"]

# points drawn in the dense scatter plots (the most frequent rows; the rest add only ink)
MAX_POINTS = 60_000


# ------------------------------------------------------------------ helpers
def _pairs(models: ModelsLike) -> list[tuple[str, AxisModel]]:
    items = list(models.items()) if isinstance(models, Mapping) else list(models)
    if not items:
        raise InputError("no models given; pass a list of (name, model) pairs")
    return items


def _short(text: str, n: int = 30) -> str:
    return text if len(text) <= n else text[: n - 1] + "\u2026"


def axis_label(model: AxisModel, axis: int, max_rank: int | None = None) -> str:
    """The axis's label; with ``max_rank``, made from its top tokens among the first ``max_rank`` rows."""
    if max_rank is None and model.labels:
        return model.labels[axis]
    from icaxes.interpret.labels import make_label

    cat = model.categories[axis] if model.categories else None
    return make_label(model.top_tokens(axis, 3, max_rank=max_rank), cat)


def _axis_title(model: AxisModel, axis: int, n: int = 30, max_rank: int | None = None) -> str:
    return _short(f"{axis}: {axis_label(model, axis, max_rank)}", n)


def resolve_axis(model: AxisModel, key: int | str) -> int:
    """Find an axis by index, WordNet category, token or label text.

    Parameters
    ----------
    model : AxisModel
    key : int or str
        An axis number (``3`` or ``"3"``); a category name as shown in labels
        (``"[food]"`` or ``"food"``); a token (the axis on which that token's normalised
        component is largest, e.g. ``"italian"``); or text found in an axis label.

    Returns
    -------
    int
        The axis index (:func:`resolve_axis_reason` also says why it was chosen).
    """
    return resolve_axis_reason(model, key)[0]


def resolve_axis_reason(model: AxisModel, key: int | str) -> tuple[int, str]:
    """:func:`resolve_axis` and one phrase saying why that axis was chosen.

    Returns
    -------
    axis : int
    reason : str
        E.g. ``"strongest axis of 'italian', weight 0.52"``, ``"category [food]"``,
        ``"axis number"`` or ``"label contains 'car'"``.

    Raises
    ------
    InputError
        If nothing matches ``key`` (one line listing what may be given).
    """
    if isinstance(key, (int, np.integer)):
        return model._check_axis(int(key)), "axis number"
    text = str(key).strip()
    if text.lstrip("-").isdigit():
        return model._check_axis(int(text)), "axis number"
    bare = text.strip("[]").strip()
    if model.categories:
        from icaxes.interpret.labels import short_category

        for axis, cat in enumerate(model.categories):
            if cat and bare.lower() in (cat.lower(), short_category(cat).lower()):
                return axis, f"category [{short_category(cat)}]"
    if bare in model.index:
        row = model.normalized[model.index[bare]]
        axis = int(np.argmax(row))
        return axis, f"strongest axis of {bare!r}, weight {float(row[axis]):.2f}"
    low = bare.lower()
    for axis, label in enumerate(model.labels or []):
        if low and low in label.lower():
            return axis, f"label contains {bare!r}"
    raise InputError(
        f"no axis matches {key!r}: give an axis number (0..{model.n_axes - 1}), a token of the "
        "vocabulary, a category such as [food], or text from an axis label (see `icaxes axes`)")


def _plot_rows(model: AxisModel, keep: np.ndarray | None = None) -> np.ndarray:
    """Rows for dense scatter plots: the first ``MAX_POINTS`` (most frequent) plus ``keep``."""
    rows = np.arange(min(len(model.tokens), MAX_POINTS))
    if keep is not None and keep.size:
        rows = np.union1d(rows, keep)
    return rows


def _spread(values: np.ndarray, gap: float) -> np.ndarray:
    """Move sorted label positions apart so neighbours are at least ``gap`` apart (keeps the mean)."""
    order = np.argsort(values)
    v = values[order].astype(float).copy()
    for i in range(1, len(v)):
        v[i] = max(v[i], v[i - 1] + gap)
    v -= (v.mean() - values.mean())
    out = np.empty_like(v)
    out[order] = v
    return out


# ------------------------------------------------------------------ heatmap
def heatmap_data(model: AxisModel, n_axes: int = 10, top: int = 5, *, max_rank: int | None = None
                 ) -> tuple[np.ndarray, list[str], list[int]]:
    """The matrix of :func:`plot_heatmap`: top tokens of the first axes x those axes.

    Parameters
    ----------
    model : AxisModel
    n_axes : int, default 10
        The first ``n_axes`` axes (the most skewed).
    top : int, default 5
        Top tokens per axis.
    max_rank : int, optional
        Take the top tokens among the first ``max_rank`` rows only (the most frequent words:
        on a large vocabulary the extreme rows of an axis are often rare names or codes).

    Returns
    -------
    matrix : ndarray of shape (n_axes * top, n_axes)
        Normalised components; row block ``a`` holds the top tokens of axis ``a``.
    tokens : list of str
        The row tokens.
    axes : list of int
        The column axes.
    """
    n_axes = min(int(n_axes), model.n_axes)
    if n_axes < 1 or top < 1:
        raise InputError("n_axes and top must be at least 1")
    axes = list(range(n_axes))
    rows = np.concatenate([model.top_indices(a, top, max_rank=max_rank) for a in axes])
    matrix = np.asarray(model.normalized[rows][:, axes], dtype=np.float64)
    return matrix, [model.tokens[i] for i in rows], axes


def block_means(matrix: np.ndarray, top: int) -> tuple[float, float]:
    """Mean of the diagonal blocks and of the rest of a :func:`heatmap_data` matrix."""
    n_axes = matrix.shape[1]
    mask = np.zeros(matrix.shape, dtype=bool)
    for a in range(n_axes):
        mask[a * top:(a + 1) * top, a] = True
    return float(matrix[mask].mean()), float(matrix[~mask].mean())


def plot_heatmap(models: ModelsLike, base: str | Path, *, n_axes: int = 10, top: int = 5,
                 vmin: float = -0.1, vmax: float = 1.0, max_rank: int | None = None) -> list[Path]:
    """Heatmap of the top tokens of the first axes, one panel per model (e.g. ICA beside PCA).

    Parameters
    ----------
    models : list of (name, AxisModel) or dict
        Typically ``[("ICA", ica), ("PCA", pca)]``.
    base : path-like
        Output path without extension.
    n_axes, top : int
        Axes (columns) and top tokens per axis (rows per block).
    vmin, vmax : float
        Colour range of the normalised components.
    max_rank : int, optional
        Top tokens among the first ``max_rank`` rows only (see :func:`heatmap_data`).

    Returns
    -------
    list of Path
        The PNG and SVG written.
    """
    from matplotlib.colors import LinearSegmentedColormap, Normalize

    items = _pairs(models)
    # white at 0, pale blue at the (clipped) negative end, dark red at 1: the
    # off-block values stay quiet and the blocks stand out
    zero = -vmin / (vmax - vmin)
    cmap = LinearSegmentedColormap.from_list(
        "icaxes_heat", [(0.0, "#9ec5e6"), (zero, "#ffffff"), (zero + 0.35 * (1 - zero), "#f4a582"),
                        (1.0, "#8b0000")])
    n_axes = min(n_axes, min(m.n_axes for _, m in items))
    n_rows = n_axes * top
    with figure_style() as plt:
        width = len(items) * (1.9 + 0.3 * n_axes) + 0.8
        height = 1.6 + 0.135 * n_rows
        fig, axs = plt.subplots(1, len(items), figsize=(width, height), squeeze=False,
                                constrained_layout=True)
        norm = Normalize(vmin=vmin, vmax=vmax, clip=True)
        im = None
        for ax, (name, model) in zip(axs[0], items, strict=True):
            matrix, tokens, axes = heatmap_data(model, n_axes, top, max_rank=max_rank)
            im = ax.imshow(matrix, cmap=cmap, norm=norm, aspect="auto", interpolation="nearest")
            ax.set_yticks(range(n_rows), [_short(t, 18) for t in tokens], fontsize=7)
            ax.set_xticks(range(n_axes), [_axis_title(model, a, 24, max_rank) for a in axes], rotation=55,
                          ha="right", rotation_mode="anchor", fontsize=7)
            # thin lines between the token blocks of each axis
            for b in range(1, n_axes):
                ax.axhline(b * top - 0.5, color="white", lw=0.8)
            ax.tick_params(length=0)
            for s in ax.spines.values():
                s.set_visible(False)
            diag, off = block_means(matrix, top)
            ax.set_title(f"{name}\nmean on diagonal blocks {diag:.2f}, elsewhere {off:.2f}",
                         fontsize=9)
        fig.colorbar(im, ax=axs[0].tolist(), shrink=0.6, pad=0.02, label="normalised component",
                     ticks=[vmin, 0, 0.25, 0.5, 0.75, vmax], extend="min")
        return save_figure(fig, base)


# ------------------------------------------------------------------ scatter
def scatter_tokens(model: AxisModel, x: int, y: int, n: int = 6, *, max_rank: int | None = None
                   ) -> dict[str, list[int]]:
    """Rows to label in :func:`plot_scatter`: top of ``x``, top of ``y`` and tokens mixing both."""
    xs, ys = model.normalized[:, x], model.normalized[:, y]
    top_x = [int(i) for i in model.top_indices(x, n, max_rank=max_rank)]
    top_y = [int(i) for i in model.top_indices(y, n, max_rank=max_rank) if int(i) not in top_x]
    # mixing both: the largest smaller-of-the-two values
    mix_score = np.minimum(xs, ys).astype(np.float64)
    mix_score[top_x + top_y] = -np.inf
    if model.display_mask is not None:
        mix_score[~model.display_mask] = -np.inf
    if max_rank is not None:
        mix_score[max_rank:] = -np.inf
    mix = [int(i) for i in np.argsort(-mix_score)[:n] if mix_score[i] > 0.1]
    return {"x": top_x, "y": top_y, "both": mix}


def plot_scatter(model: AxisModel, x: int | str, y: int | str, base: str | Path, *, n_labels: int = 6,
                 title: str | None = None, max_rank: int | None = None) -> list[Path]:
    """Scatter of two axes (normalised components) with labelled tokens.

    Parameters
    ----------
    model : AxisModel
    x, y : int or str
        Axes by number, category, token or label text (see :func:`resolve_axis`),
        e.g. ``"italian"`` and ``"cars"``: tokens such as *ferrari* sit between.
    base : path-like
        Output path without extension.
    n_labels : int, default 6
        Labelled tokens per group (top of x, top of y, mixing both).
    title : str, optional
    max_rank : int, optional
        Label tokens among the first ``max_rank`` rows only.
    """
    ax_x, ax_y = resolve_axis(model, x), resolve_axis(model, y)
    if ax_x == ax_y:
        raise InputError(f"{x!r} and {y!r} name the same axis ({ax_x}); choose two different axes")
    groups = scatter_tokens(model, ax_x, ax_y, n_labels, max_rank=max_rank)
    labelled = np.array(sorted({i for g in groups.values() for i in g}), dtype=np.int64)
    rows = _plot_rows(model, labelled)
    N = model.normalized
    colors = {"x": METHOD_COLORS["ica"], "y": METHOD_COLORS["pca"], "both": "#7d3c98"}
    with figure_style() as plt:
        fig, ax = plt.subplots(figsize=(6.2, 5.6), constrained_layout=True)
        ax.scatter(N[rows, ax_x], N[rows, ax_y], s=2, c="#9a9a9a", alpha=0.25, lw=0, rasterized=True)
        ax.axhline(0, color="#555", lw=0.5)
        ax.axvline(0, color="#555", lw=0.5)
        lo = float(min(N[rows, ax_x].min(), N[rows, ax_y].min()))
        ax.set_xlim(lo - 0.05, 1.08)
        ax.set_ylim(lo - 0.05, 1.08)
        for key, idx in groups.items():
            if not idx:
                continue
            idx_a = np.array(idx)
            px, py = N[idx_a, ax_x].astype(float), N[idx_a, ax_y].astype(float)
            ax.scatter(px, py, s=16, c=colors[key], edgecolor="white", lw=0.5, zorder=3)
            # labels stacked beside their points, spread so they do not overlap
            if key == "x":  # a column of labels left of the cluster
                lx, ly, ha = np.full_like(px, px.min() - 0.1), _spread(py, 0.045), "right"
            elif key == "y":  # a column right of the cluster
                lx, ly, ha = np.full_like(px, px.max() + 0.1), _spread(py, 0.045), "left"
            else:
                lx, ly, ha = px + 0.05, _spread(py, 0.045), "left"
            for i, a, b, tx, ty in zip(idx, px, py, lx, ly, strict=True):
                ax.annotate(model.tokens[i], (a, b), xytext=(tx, ty), textcoords="data", ha=ha,
                            va="center", fontsize=8, color=colors[key], zorder=4,
                            arrowprops={"arrowstyle": "-", "color": colors[key], "lw": 0.5,
                                        "alpha": 0.7})
        ax.set_xlabel(f"axis {_axis_title(model, ax_x, 60, max_rank)}", color=colors["x"])
        ax.set_ylabel(f"axis {_axis_title(model, ax_y, 60, max_rank)}", color=colors["y"])
        ax.set_title(title or f"{model.method.upper()}: two axes (normalised components)")
        ax.set_aspect("equal")
        return save_figure(fig, base)


# ------------------------------------------------------------------ spiky shape
def plot_spiky(models: ModelsLike, base: str | Path, *, axes: tuple[int, int] = (0, 1),
               n_hist: int = 5, max_rank: int | None = None) -> list[Path]:
    """The spiky shape of ICA against PCA.

    Top row: the first two axes (normalised components) of each model. Bottom row:
    histograms (log density) of the standardised values of the first ``n_hist`` axes, with
    the standard normal density for reference: heavy tails are non-Gaussian meaning.
    """
    items = _pairs(models)
    with figure_style() as plt:
        fig, axs = plt.subplots(2, len(items), figsize=(3.3 * len(items), 6.4), squeeze=False,
                                constrained_layout=True)
        grid = np.linspace(-6.0, 6.0, 300)
        gauss = np.exp(-grid**2 / 2) / np.sqrt(2 * np.pi)
        for j, (name, model) in enumerate(items):
            color = METHOD_COLORS.get(model.method, "#333")
            a, b = (model._check_axis(axes[0]), model._check_axis(axes[1]))
            rows = _plot_rows(model)
            N = model.normalized
            ax = axs[0, j]
            ax.scatter(N[rows, a], N[rows, b], s=1.5, c=color, alpha=0.25, lw=0, rasterized=True)
            ax.set_xlim(-0.6, 1.02)
            ax.set_ylim(-0.6, 1.02)
            ax.set_aspect("equal")
            ax.axhline(0, color="#555", lw=0.5)
            ax.axvline(0, color="#555", lw=0.5)
            ax.set_title(name)
            ax.set_xlabel(f"axis {_axis_title(model, a, 32, max_rank)}")
            ax.set_ylabel(f"axis {_axis_title(model, b, 32, max_rank)}")
            ax = axs[1, j]
            C = np.asarray(model.components, dtype=np.float64)
            lo, hi = -8.0, 16.0
            bins = np.linspace(lo, hi, 97)
            for k in range(min(n_hist, model.n_axes)):
                z = (C[:, k] - C[:, k].mean()) / (C[:, k].std() or 1.0)
                dens, edges = np.histogram(z, bins=bins)
                dens = dens / (z.size * np.diff(edges))
                centres = (edges[:-1] + edges[1:]) / 2
                # empty bins leave gaps instead of lines drawn across them
                ax.plot(centres, np.where(dens > 0, dens, np.nan), color=color, alpha=0.35 + 0.65 * (k == 0),
                        lw=1.0 if k else 1.6, label="axis 0" if k == 0 else (
                            f"axes 1-{min(n_hist, model.n_axes) - 1}" if k == 1 else None))
            ax.plot(grid, gauss, "k--", lw=1.0, label="standard normal")
            ax.set_yscale("log")
            ax.set_ylim(1e-6, 1.5)
            ax.set_xlim(lo, hi)
            ax.set_xlabel("standardised axis value")
            ax.set_ylabel("density (log scale)")
            ax.legend(loc="upper right")
        fig.suptitle("Spiky shape: ICA axes are heavy-tailed and one-sided, PCA axes less so",
                     fontsize=10)
        return save_figure(fig, base)


# ------------------------------------------------------------------ moments
def axis_skew_kurt(model: AxisModel) -> tuple[np.ndarray, np.ndarray]:
    """Skewness and excess kurtosis of each axis of ``model`` over its display rows (by default
    the rows it was fitted on, so the values are those that order the axes)."""
    C = np.asarray(model.components, dtype=np.float64)
    if model.display_mask is not None:
        C = C[model.display_mask]
    Z = (C - C.mean(axis=0)) / np.where(C.std(axis=0) > 0, C.std(axis=0), 1.0)
    return (Z**3).mean(axis=0), (Z**4).mean(axis=0) - 3.0


def plot_moments(models: ModelsLike, base: str | Path) -> list[Path]:
    """Skewness and kurtosis of each axis on a log scale, sorted, for several models.

    Parameters
    ----------
    models : list of (name, AxisModel) or dict
        E.g. ``[("GloVe ICA", ica), ("GloVe PCA", pca), ("fastText fr ICA", ...)]``.
        ICA models are drawn solid, PCA dashed; models sharing the text before the
        method name share a colour.
    base : path-like
        Output path without extension.
    """
    items = _pairs(models)
    groups: dict[str, int] = {}
    with figure_style() as plt:
        palette = plt.get_cmap("tab10")
        fig, axs = plt.subplots(1, 2, figsize=(8.4, 3.4), constrained_layout=True)
        for name, model in items:
            skew, kurt = axis_skew_kurt(model)
            group = name.replace("ICA", "").replace("PCA", "").strip() or name
            color = (METHOD_COLORS.get(model.method) if len(items) <= 2
                     else palette(groups.setdefault(group, len(groups)) % 10))
            ls = "-" if model.method == "ica" else "--"
            for ax, vals in zip(axs, (skew, kurt), strict=True):
                v = np.sort(np.abs(vals))[::-1] if ax is axs[0] else np.sort(vals)[::-1]
                x = np.arange(1, v.size + 1)
                ok = v > 0  # negative excess kurtosis has no logarithm
                ax.plot(x[ok], v[ok], ls, color=color, lw=1.5, label=name)
        axs[0].set_ylabel("skewness (absolute, log scale)")
        axs[1].set_ylabel("excess kurtosis (log scale)")
        for ax, t in zip(axs, ("Skewness per axis", "Kurtosis per axis"), strict=True):
            ax.set_yscale("log")
            ax.set_xlabel("axis rank (sorted)")
            ax.set_title(t)
            ax.grid(True, which="major", color="#e5e5e5", lw=0.6)
        axs[1].legend(loc="upper right")
        return save_figure(fig, base)


# ------------------------------------------------------------------ projection
def projection_coordinates(model: AxisModel, n_axes: int) -> np.ndarray:
    """``normalized[:, :K] @ [cos, sin]`` with axis ``k`` at angle ``2*pi*k/K``; shape (n, 2)."""
    K = min(int(n_axes), model.n_axes)
    if K < 3:
        raise InputError("the projection needs at least 3 axes")
    theta = 2 * np.pi * np.arange(K) / K
    spokes = np.column_stack([np.cos(theta), np.sin(theta)])
    return np.asarray(model.normalized[:, :K], dtype=np.float64) @ spokes


def plot_projection(model: AxisModel, base: str | Path, *, n_axes: int = 6, n_labels: int = 3,
                    title: str | None = None, max_rank: int | None = None) -> list[Path]:
    """Projection of the tokens onto the first ``n_axes`` axes drawn as spokes.

    Tokens are coloured by the spoke they lean on most (grey when no axis holds more than
    0.3 of them); the top ``n_labels`` tokens of each axis (among the first ``max_rank``
    rows, if given) are labelled.
    """
    K = min(int(n_axes), model.n_axes)
    P = projection_coordinates(model, K)
    labelled = np.concatenate([model.top_indices(k, n_labels, max_rank=max_rank) for k in range(K)])
    rows = _plot_rows(model, labelled)
    lead = np.argmax(model.normalized[rows, :K], axis=1)
    strong = model.normalized[rows, :K].max(axis=1) > 0.3
    theta = 2 * np.pi * np.arange(K) / K
    with figure_style() as plt:
        cmap = plt.get_cmap("tab10" if K <= 10 else "tab20")
        fig, ax = plt.subplots(figsize=(6.4, 6.4), constrained_layout=True)
        ax.scatter(P[rows[~strong], 0], P[rows[~strong], 1], s=1.5, c="#c8c8c8", alpha=0.3, lw=0,
                   rasterized=True)
        ax.scatter(P[rows[strong], 0], P[rows[strong], 1], s=2, c=[cmap(i % cmap.N) for i in lead[strong]],
                   alpha=0.45, lw=0, rasterized=True)
        for k in range(K):
            c, s = np.cos(theta[k]), np.sin(theta[k])
            ax.plot([0, c], [0, s], color=cmap(k % cmap.N), lw=1.0, alpha=0.9)
            ha = "left" if c > 0.2 else ("right" if c < -0.2 else "center")
            va = "bottom" if s > 0.2 else ("top" if s < -0.2 else "center")
            ax.text(1.08 * c, 1.08 * s, _axis_title(model, k, 34, max_rank), ha=ha, va=va, fontsize=8,
                    color=cmap(k % cmap.N), fontweight="bold")
            idx = model.top_indices(k, n_labels, max_rank=max_rank)
            # a small stack of labels at the tokens' position, spread so they do not overlap
            ys = _spread(P[idx, 1], 0.065)
            for i, ty in zip(idx, ys, strict=True):
                ax.annotate(model.tokens[i], P[i], xytext=(P[i, 0], ty), textcoords="data",
                            fontsize=7.5, color="#111", ha="center", va="center",
                            bbox={"boxstyle": "round,pad=0.15", "fc": "white", "ec": "none",
                                  "alpha": 0.75})
        ax.set_xlim(-1.6, 1.6)
        ax.set_ylim(-1.2, 1.2)
        ax.set_aspect("equal")
        ax.axis("off")
        ax.set_title(title or f"{model.method.upper()}: tokens projected on the first {K} axes")
        return save_figure(fig, base)


# ------------------------------------------------------------------ all
def write_figures(ica: AxisModel, pca: AxisModel, folder: str | Path, *, n_axes: int = 10,
                  scatter: tuple[int | str, int | str] | None = None, projection_axes: int = 6,
                  name: str = "", max_rank: int | None = None) -> dict[str, list[Path]]:
    """Write every standard figure of an ICA model and its PCA baseline into ``folder``.

    Parameters
    ----------
    ica, pca : AxisModel
    folder : path-like
        Created if needed; each figure is written atomically (PNG and SVG).
    n_axes : int, default 10
        Axes in the heatmap.
    scatter : (x, y), optional
        Axes of the scatter (see :func:`resolve_axis`); default the first two ICA axes.
    projection_axes : int, default 6
    name : str
        Prefix of the panel titles (e.g. the source name).
    max_rank : int, optional
        Show and label tokens among the first ``max_rank`` rows only (the most frequent);
        every row is still plotted and used by the model.

    Returns
    -------
    dict
        Figure name -> paths written: ``heatmap``, ``scatter``, ``spiky``, ``moments``,
        ``projection_ica``, ``projection_pca``.
    """
    folder = Path(folder)
    pre = f"{name} " if name else ""
    sx, sy = scatter if scatter is not None else (0, 1)
    pair = [(f"{pre}ICA", ica), (f"{pre}PCA", pca)]
    r = max_rank
    return {
        "heatmap": plot_heatmap(pair, folder / "heatmap", n_axes=n_axes, max_rank=r),
        "scatter": plot_scatter(ica, sx, sy, folder / "scatter", max_rank=r,
                                title=f"{pre}ICA: two axes and the tokens between them"),
        "spiky": plot_spiky(pair, folder / "spiky", max_rank=r),
        "moments": plot_moments(pair, folder / "moments"),
        "projection_ica": plot_projection(ica, folder / "projection_ica", n_axes=projection_axes,
                                          max_rank=r),
        "projection_pca": plot_projection(pca, folder / "projection_pca", n_axes=projection_axes,
                                          max_rank=r),
    }


def figures_of_folder(model_dir: str | Path, output: str | Path, *,
                      scatter: Sequence[int | str] | None = None, n_axes: int = 10, projection_axes: int = 6,
                      report: bool = False, max_rank: int | None = None, force: bool = False,
                      log: Callable[[str], None] | None = None) -> list[Path]:
    """Draw the paper's figures (and, with ``report``, the whole report) of a model folder.

    What ``icaxes figures`` does: reads the folder's ICA and PCA models (from their
    ``max_rank`` most frequent display words, labels recomputed, when given), resolves the two
    ``scatter`` axes (:func:`resolve_axis_reason`; ``log`` receives one line per axis saying
    which it chose and why) and writes :func:`write_figures` (or
    :func:`icaxes.report.write_report`) into ``output``, which appears only when complete.

    Returns
    -------
    list of Path
        The files written, under ``output``.
    """
    from icaxes.io.atomic import atomic_dir, check_output_dir
    from icaxes.io.model_format import ModelFolder
    from icaxes.model import load_model

    if scatter is not None and len(scatter) != 2:
        raise InputError(f"--scatter needs exactly two axes (give it twice), got {len(scatter)}")
    model_dir, output = Path(model_dir), Path(output)
    inputs = ModelFolder(model_dir).input_paths()
    check_output_dir(output, inputs=inputs, force=force)
    ica, pca = load_model(model_dir, "ica"), load_model(model_dir, "pca")
    # read both from other words: labels are recomputed, the same everywhere
    ica, pca = ica.with_display_rank(max_rank), pca.with_display_rank(max_rank)
    pair = None
    if scatter:
        chosen = [resolve_axis_reason(ica, key) for key in scatter]
        for key, (axis, why) in zip(scatter, chosen, strict=True):
            label = ica.labels[axis] if ica.labels else ""
            if log is not None:
                log(f"--scatter {key}: axis {axis}" + (f" {label!r}" if label else "") + f" ({why})")
        pair = (chosen[0][0], chosen[1][0])
        if pair[0] == pair[1]:  # before drawing anything
            raise InputError(f"{scatter[0]!r} and {scatter[1]!r} name the same axis ({pair[0]}); "
                             "choose two different axes")
    name = str(ica.metadata.get("source") or "")
    if report:
        from icaxes.report import write_report

        rep = write_report(ica, pca, output, force=force, inputs=inputs, name=name,
                           scatter=pair, n_axes=n_axes)
        return [p for ps in rep.figures.values() for p in ps] + [rep.index_html]
    with atomic_dir(output, force=force, inputs=inputs) as tmp:
        paths = write_figures(ica, pca, tmp, n_axes=n_axes, scatter=pair,
                              projection_axes=projection_axes, name=name)
    return [output / p.name for ps in paths.values() for p in ps]
