"""The explorer: a self-contained page to browse axes, tokens, similarities and matched axes.

:func:`write_explorer` writes the page (one HTML file that works offline);
:func:`serve` serves the same page from 127.0.0.1; :func:`model_summary_html` is the
compact table a notebook shows for an :class:`~icaxes.model.AxisModel`.
"""

from icaxes.explorer.data import PageLimits, explorer_data, pairs_for_models
from icaxes.explorer.page import (
    build_page,
    embed_json,
    page_of_folders,
    write_explorer,
    write_explorer_of_folders,
)
from icaxes.explorer.serve import serve
from icaxes.explorer.summary import model_summary_html

__all__ = [
    "PageLimits",
    "build_page",
    "embed_json",
    "explorer_data",
    "model_summary_html",
    "page_of_folders",
    "pairs_for_models",
    "serve",
    "write_explorer",
    "write_explorer_of_folders",
]
