"""The transform: centring, PCA whitening, the ICA rotation solver and the estimators."""

from icaxes.decompose.estimator import ICA, PCA

__all__ = ["ICA", "PCA"]
