"""One figure style for every icaxes plot, with fonts for tokens in any script.

Matplotlib (3.6 and later) falls back glyph by glyph through the ``font.family`` list, so a
list of Noto families (Debian ``fonts-noto-core`` and ``fonts-noto-cjk``) after DejaVu Sans
renders Latin, Cyrillic, Greek, CJK, Arabic and Devanagari tokens in one label. Matplotlib
does not shape text: Arabic letters appear in their isolated forms, left to right, and
Devanagari conjuncts are not joined; the tokens stay recognisable.
"""

from __future__ import annotations

import contextlib
import functools
from collections.abc import Iterator
from pathlib import Path
from typing import Any

# order matters: the first family holding a glyph draws it
FONT_FALLBACK = (
    "DejaVu Sans",
    "Noto Sans",
    "Noto Sans CJK JP",
    "Noto Sans Arabic",
    "Noto Sans Devanagari",
    "Noto Sans Hebrew",
    "Noto Sans Thai",
    "Noto Sans Bengali",
    "Noto Sans Tamil",
    "Noto Sans Symbols",
    "Noto Sans Symbols 2",
)

#: Colours of the two methods in every figure (colour-blind safe pair).
METHOD_COLORS = {"ica": "#c0392b", "pca": "#2e6fad"}

DPI = 200


@functools.cache
def available_families() -> tuple[str, ...]:
    """The families of :data:`FONT_FALLBACK` that matplotlib finds on this machine."""
    from matplotlib import font_manager

    have = {f.name for f in font_manager.fontManager.ttflist}
    fams = tuple(f for f in FONT_FALLBACK if f in have)
    return fams or ("DejaVu Sans",)


def style() -> dict[str, Any]:
    """The rcParams of icaxes figures (publication quality: 200 dpi PNG, text kept as paths in SVG)."""
    return {
        "font.family": list(available_families()),
        "font.size": 9,
        "axes.titlesize": 10,
        "axes.titleweight": "bold",
        "axes.labelsize": 9,
        "axes.spines.top": False,
        "axes.spines.right": False,
        "axes.grid": False,
        "legend.frameon": False,
        "legend.fontsize": 8,
        "xtick.labelsize": 8,
        "ytick.labelsize": 8,
        "figure.dpi": 100,
        "savefig.dpi": DPI,
        "savefig.bbox": "tight",
        "savefig.pad_inches": 0.05,
        # glyphs become paths: the SVG looks the same without the fonts installed
        "svg.fonttype": "path",
        "axes.unicode_minus": True,
    }


def pyplot():
    """``matplotlib.pyplot`` on the non-interactive Agg backend (works without a display)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


@contextlib.contextmanager
def figure_style() -> Iterator[Any]:
    """Context in which pyplot uses the icaxes style; yields ``pyplot``.

    Every icaxes figure is drawn and saved (:func:`save_figure`) inside it; ``@figure_style()``
    also works as a decorator. The user's global rcParams are left as they were: nothing in
    icaxes sets them.
    """
    plt = pyplot()
    with plt.rc_context(style()):
        yield plt


def save_figure(fig: Any, base: str | Path, formats: tuple[str, ...] = ("png", "svg")) -> list[Path]:
    """Write ``base.png`` and ``base.svg`` atomically, close the figure and return the paths."""
    from icaxes.io.atomic import atomic_file

    plt = pyplot()
    base = Path(base)
    paths = []
    try:
        for ext in formats:
            path = base.with_name(f"{base.name}.{ext}")
            with atomic_file(path) as tmp:
                fig.savefig(tmp, format=ext)
            paths.append(path)
    finally:
        plt.close(fig)
    return paths
