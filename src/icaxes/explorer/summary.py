"""The compact HTML summary of a fitted model that notebooks show (``AxisModel._repr_html_``)."""

from __future__ import annotations

import html
from typing import Any


def model_summary_html(model: Any, n_axes: int = 8, top: int = 6) -> str:
    """A small table: method, tokens, axes, convergence, then the first axes with top tokens.

    ``model`` is an :class:`icaxes.AxisModel` (not imported here: the model module imports this
    one for its notebook view). Every token and label is HTML-escaped.
    """
    e = html.escape
    est = model.transform
    converged = getattr(est, "converged_", None)
    conv = ("n/a" if converged is None else
            f"{'converged' if converged else 'NOT converged'} after {getattr(est, 'n_iter_', '?')} "
            f"iterations (final change {getattr(est, 'change_', float('nan')):.1e})")
    source = model.metadata.get("source", "?") if isinstance(model.metadata, dict) else "?"
    head = [("method", model.method.upper()), ("source", str(source)),
            ("tokens", f"{len(model.tokens):,}"), ("axes", str(model.n_axes)), ("fit", conv)]
    rows = "".join(f"<tr><th style='text-align:left'>{e(k)}</th><td style='text-align:left'>{e(v)}</td></tr>"
                   for k, v in head)
    axes = []
    for k in range(min(n_axes, model.n_axes)):
        tokens = ", ".join(model.top_tokens(k, top))
        axes.append(f"<tr><td>{k}</td><td>{float(model.skewness[k]):.2f}</td>"
                    f"<td style='text-align:left'>{e(tokens)}</td></tr>")
    more = (f"<p style='margin:2px 0'>… {model.n_axes - n_axes} more axes</p>"
            if model.n_axes > n_axes else "")
    return ("<div class='icaxes-summary'><table>" + rows + "</table>"
            "<table><thead><tr><th>axis</th><th>skew</th><th style='text-align:left'>top tokens</th>"
            "</tr></thead><tbody>" + "".join(axes) + "</tbody></table>" + more + "</div>")
