"""Figures of fitted models (the paper's heatmap, scatter, spiky shape, moments, projection)."""

from icaxes.viz.figures import (
    block_means,
    heatmap_data,
    plot_heatmap,
    plot_moments,
    plot_projection,
    plot_scatter,
    plot_spiky,
    projection_coordinates,
    resolve_axis,
    write_figures,
)
from icaxes.viz.fonts import FONT_FALLBACK, figure_style

__all__ = [
    "FONT_FALLBACK",
    "block_means",
    "figure_style",
    "heatmap_data",
    "plot_heatmap",
    "plot_moments",
    "plot_projection",
    "plot_scatter",
    "plot_spiky",
    "projection_coordinates",
    "resolve_axis",
    "write_figures",
]
