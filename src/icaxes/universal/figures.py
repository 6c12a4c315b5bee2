"""Figures of a universality study (matplotlib; PNG and SVG).

The style, the font fallback for tokens in any script and the atomic PNG/SVG writing are those
of every icaxes figure (:mod:`icaxes.viz.fonts`); matplotlib's global rcParams are left alone.
Check right-to-left and Indic shaping in the figures before publishing (matplotlib does not shape).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from icaxes.viz.fonts import figure_style, save_figure

if TYPE_CHECKING:
    from icaxes.universal.pipeline import ComparisonResult


def correlation_heatmaps(cr: ComparisonResult, target: str, base: Path, n_axes: int = 40) -> list[Path]:
    """Axis-correlation heatmaps, ICA beside PCA: reference axes vs their matched target axes.

    Rows are the first ``n_axes`` matched reference axes (strongest first), columns the target
    axes in the same matched order, so a real correspondence is a bright diagonal.
    """
    with figure_style() as plt:
        pr = cr.results[target]
        fig, axes = plt.subplots(1, 2, figsize=(10, 4.8), constrained_layout=True)
        for ax, method in zip(axes, ("ica", "pca"), strict=True):
            m = getattr(pr, method)
            k = min(n_axes, len(m.rows))
            sub = m.corr[np.ix_(m.rows[:k], m.cols[:k])]
            im = ax.imshow(sub, cmap="RdBu_r", vmin=-1, vmax=1, interpolation="nearest")
            ax.set_title(f"{method.upper()}: mean r of top 10 = {m.mean_top(10):.2f}")
            from matplotlib.ticker import MaxNLocator

            ax.xaxis.set_major_locator(MaxNLocator(integer=True))
            ax.yaxis.set_major_locator(MaxNLocator(integer=True))
            ax.set_xlabel(f"{target} axes (matched order)")
            ax.set_ylabel(f"{cr.comparison.reference} axes")
        fig.colorbar(im, ax=axes, shrink=0.8, label="Pearson r over pairs")
        fig.suptitle(f"{cr.comparison.reference} vs {target}: {pr.ica.n_pairs:,} pairs")
        return save_figure(fig, base)


def matched_curves(cr: ComparisonResult, base: Path, n_axes: int = 100) -> list[Path]:
    """Matched correlation by rank for every target, ICA (solid) vs PCA (dashed), with the null."""
    with figure_style() as plt:
        fig, ax = plt.subplots(figsize=(7, 4.2), constrained_layout=True)
        colors = plt.rcParams["axes.prop_cycle"].by_key()["color"]
        for c, (t, pr) in zip(colors * 4, cr.results.items(), strict=False):
            k = min(n_axes, len(pr.ica.r))
            ax.plot(np.arange(1, k + 1), pr.ica.r[:k], color=c, lw=1.6, label=f"{t} ICA")
            kp = min(n_axes, len(pr.pca.r))
            ax.plot(np.arange(1, kp + 1), pr.pca.r[:kp], color=c, lw=1.0, ls="--", label=f"{t} PCA")
            if pr.ica.null is not None:
                ax.axhline(pr.ica.null.threshold, color=c, lw=0.6, ls=":")
        ax.set_xlabel("matched axis rank")
        ax.set_ylabel("matched correlation r")
        ax.set_title(f"{cr.comparison.name}: reference {cr.comparison.reference} (dotted: null threshold)")
        ax.set_ylim(min(0, ax.get_ylim()[0]), 1)
        ax.legend(ncol=2, fontsize=7, frameon=False)
        return save_figure(fig, base)


def summary_curves(cr: ComparisonResult, base: Path, n_axes: int | None = None) -> list[Path]:
    """The paper's summary of matching one reference against several targets, ICA beside PCA.

    The x axis is the reference axes ordered by their matched r summed over all targets
    (:func:`~icaxes.universal.matching.match_many`); each target's matched r along that order
    is one thin line and their average the thick black line.
    """
    with figure_style() as plt:
        fig, axes = plt.subplots(1, 2, figsize=(10, 4.2), sharey=True, constrained_layout=True)
        colors = plt.rcParams["axes.prop_cycle"].by_key()["color"]
        for ax, method in zip(axes, ("ica", "pca"), strict=True):
            mm = cr.multi_ica if method == "ica" else cr.multi_pca
            k = len(mm.order) if n_axes is None else min(n_axes, len(mm.order))
            x = np.arange(1, k + 1)
            curves = np.array([mm.r[t][:k] for t in cr.results])
            for c, (t, r) in zip(colors * 4, zip(cr.results, curves, strict=True), strict=False):
                ax.plot(x, r, color=c, lw=0.9, alpha=0.8, label=t)
            ax.plot(x, curves.mean(axis=0), color="black", lw=2.0, label="average")
            ax.set_title(f"{method.upper()}: mean of the average, first 10 axes = "
                         f"{curves[:, :10].mean():.2f}")
            ax.set_xlabel(f"{cr.comparison.reference} axes, by summed matched r")
            from matplotlib.ticker import MaxNLocator

            ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        axes[0].set_ylabel("matched correlation r")
        axes[0].set_ylim(min(0, axes[0].get_ylim()[0]), 1)
        axes[1].legend(ncol=2, fontsize=7, frameon=False)
        fig.suptitle(f"{cr.comparison.name}: {len(cr.results)} targets matched to {cr.comparison.reference}")
        return save_figure(fig, base)


def merged_heatmap(cr: ComparisonResult, base: Path, n_axes: int = 12, top: int = 3,
                   method: str = "ica") -> list[Path]:
    """The merged multi-embedding table: each reference axis (by summed matched r) with its top words
    in the reference and in every target, the cells coloured by the matched correlation."""
    with figure_style() as plt:
        mm = cr.multi_ica if method == "ica" else cr.multi_pca
        ref = getattr(cr.reference, method)
        names = [cr.comparison.reference, *cr.results]
        k = min(n_axes, len(mm.order))
        vals = np.zeros((k, len(names)))
        text = [["" for _ in names] for _ in range(k)]
        for row in range(k):
            a = int(mm.order[row])
            vals[row, 0] = 1.0
            text[row][0] = "\n".join(ref.top_tokens(a, top))
            for col, t in enumerate(cr.results, start=1):
                j = int(mm.partners[t][row])
                if j < 0:
                    continue
                vals[row, col] = mm.r[t][row]
                text[row][col] = "\n".join(getattr(cr.targets[t], method).top_tokens(j, top))
        fig, ax = plt.subplots(figsize=(1.25 * len(names) + 1, 0.62 * k + 1.2), constrained_layout=True)
        im = ax.imshow(vals, cmap="Greens", vmin=0, vmax=1, aspect="auto")
        for r in range(k):
            for c in range(len(names)):
                ax.text(c, r, text[r][c], ha="center", va="center", fontsize=6.5,
                        color="white" if vals[r, c] > 0.75 else "black")
        ax.set_xticks(range(len(names)), names, rotation=30, ha="right")
        ax.set_yticks(range(k), [f"axis {int(mm.order[r])}" for r in range(k)])
        ax.set_title(f"{method.upper()} axes matched across {cr.comparison.name} (colour: matched r)")
        fig.colorbar(im, ax=ax, shrink=0.6, label="matched r")
        return save_figure(fig, base)


def projection_plot(cr: ComparisonResult, target: str | None, base: Path, n_axes: int = 10,
                    top: int = 4, method: str = "ica") -> list[Path]:
    """Row-normalised components of each axis's top words on the first merged axes.

    Rows: the top words of merged axes 1..n (in the reference, or the target when given);
    columns: those axes. A block diagonal means each word loads on one axis (sparse, interpretable).
    """
    with figure_style() as plt:
        mm = cr.multi_ica if method == "ica" else cr.multi_pca
        if target is None:
            model = getattr(cr.reference, method)
            axes_ = [int(a) for a in mm.order[:n_axes]]
            name = cr.comparison.reference
        else:
            model = getattr(cr.targets[target], method)
            axes_ = [int(j) for j in mm.partners[target][:n_axes] if j >= 0]
            name = target
        norm = model.normalized
        rows, labels = [], []
        for a in axes_:
            for i in model.top_indices(a, top):
                rows.append(norm[int(i), axes_])
                labels.append(model.tokens[int(i)])
        M = np.asarray(rows)
        fig, ax = plt.subplots(figsize=(0.45 * len(axes_) + 2, 0.17 * len(labels) + 1),
                               constrained_layout=True)
        im = ax.imshow(M, cmap="magma_r", vmin=0, vmax=max(0.5, float(M.max())), aspect="auto")
        ax.set_yticks(range(len(labels)), labels, fontsize=6.5)
        ax.set_xticks(range(len(axes_)), [str(i + 1) for i in range(len(axes_))])
        ax.set_xlabel("merged axis")
        ax.set_title(f"{name} ({method.upper()})", fontsize=9)
        fig.colorbar(im, ax=ax, shrink=0.6, label="normalised component")
        return save_figure(fig, base)


def top_images(cr: ComparisonResult, target: str, base: Path, n_axes: int = 8, per_axis: int = 8,
               method: str = "ica") -> list[Path]:
    """Top images of the image axes matched best to word axes, with the word axis's top words."""
    with figure_style() as plt:
        pr = cr.results[target]
        fitted = cr.targets[target]
        if fitted.images is None:
            raise ValueError(f"{target} is not an image embedding")
        m = getattr(pr, method)
        words = getattr(cr.reference, method)
        imodel = getattr(fitted, method)
        k = min(n_axes, len(m.rows))
        fig, axes = plt.subplots(k, per_axis + 1, figsize=(1.0 * (per_axis + 3), 1.05 * k),
                                 gridspec_kw={"width_ratios": [3] + [1] * per_axis}, squeeze=False)
        for r in range(k):
            wa, ia = int(m.rows[r]), int(m.cols[r])
            ax = axes[r, 0]
            ax.axis("off")
            ax.text(0, 0.5, f"r={m.r[r]:.2f}  image axis {ia}\n" + ", ".join(words.top_tokens(wa, 4)),
                    fontsize=7, va="center", transform=ax.transAxes)
            for c, i in enumerate(imodel.top_indices(ia, per_axis), start=1):
                axes[r, c].imshow(fitted.images.images[int(i)], cmap="gray_r")
                axes[r, c].axis("off")
        fig.suptitle(f"{method.upper()}: image axes matched to {cr.comparison.reference} word axes",
                     fontsize=9)
        fig.tight_layout()
        return save_figure(fig, base)
