"""Interpretation of fitted axes: top tokens, compositions, similarity terms, labels."""
