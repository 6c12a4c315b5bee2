"""Universality: pair rows across embeddings and match their axes (docs/method.md, section 3)."""

from icaxes.universal.matching import axis_correlations, match_greedy, match_optimal
from icaxes.universal.pairs import (
    Pairs,
    available_freedict,
    grouped_pairs,
    load_freedict,
    read_muse,
    same_token_pairs,
)

__all__ = [
    "Pairs",
    "available_freedict",
    "axis_correlations",
    "grouped_pairs",
    "load_freedict",
    "match_greedy",
    "match_optimal",
    "read_muse",
    "same_token_pairs",
]
