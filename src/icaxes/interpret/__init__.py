"""Interpretation of fitted axes: top tokens, compositions, similarity terms, labels.

- :mod:`~icaxes.interpret.axes`: row normalisation, top rows, the significance of one
  normalised component and of a product of two (the normalised-ICA cosine terms).
- :mod:`~icaxes.interpret.labels`: readable axis labels with a WordNet category where one fits.
- :mod:`~icaxes.interpret.wordnet`: the WordNet lexicographer categories of English words.
"""

from icaxes.interpret.axes import (
    AxisWeight,
    SimilarityTerm,
    axes_needed,
    component_p_value,
    normalize_rows,
    product_p_value,
    similarity_terms,
    top_rows,
)
from icaxes.interpret.labels import AxisLabel, CategoryFit, label_axes, label_axes_or_tokens
from icaxes.interpret.wordnet import LEXNAMES, WordNetCategories, load_wordnet

__all__ = [
    "LEXNAMES", "AxisLabel", "AxisWeight", "CategoryFit", "SimilarityTerm", "WordNetCategories",
    "axes_needed", "component_p_value", "label_axes", "label_axes_or_tokens", "load_wordnet",
    "normalize_rows", "product_p_value", "similarity_terms", "top_rows",
]
