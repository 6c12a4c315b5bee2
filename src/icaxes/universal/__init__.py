"""Universality: pair rows across embeddings and match their axes (METHOD.md section 3)."""

from icaxes.universal.matching import axis_correlations, match_greedy, match_optimal

__all__ = ["axis_correlations", "match_greedy", "match_optimal"]
