"""Quantitative evaluation of fitted axes (docs/method.md, sections 4 and 5).

One module per measurement: :mod:`~icaxes.evaluate.similarity` (sparse similarity and
analogy), :mod:`~icaxes.evaluate.alignment` (cross-lingual retrieval with CSLS),
:mod:`~icaxes.evaluate.intrusion` (word-intrusion DistRatio), :mod:`~icaxes.evaluate.purity`
(WordNet category purity), :mod:`~icaxes.evaluate.stability` (refits and bootstraps),
:mod:`~icaxes.evaluate.tour` (Axis Tour ordering) and :mod:`~icaxes.evaluate.hoc`
(higher-order correlations). :mod:`~icaxes.evaluate.run` runs them all and writes tables.
"""
