"""Higher-order correlations between ICA axes, their maximum spanning tree and clusters.

ICA makes the axes uncorrelated, not independent: related meanings (``[food]``,
``[cooking]``) still co-occur in the same words. ``HOC_ij = E[S_i^2 S_j^2]`` on
unit-variance components is 1 for independent axes and larger for axes whose large values
come together (docs/method.md section 5). A maximum spanning tree over HOC links each axis to
its closest relative; clusters of related axes come from cutting the tree, from spectral
clustering on the tree (the paper's code) or, by default, from average-linkage clustering on
``1 / HOC``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.sparse.csgraph import connected_components, minimum_spanning_tree

from icaxes.errors import InputError


def higher_order_correlations(S: np.ndarray) -> np.ndarray:
    """``E[s_i^2 s_j^2]`` of the standardised columns of ``S`` (n, k) -> (k, k)."""
    S = np.asarray(S, dtype=np.float64)
    if S.ndim != 2 or S.shape[0] < 2:
        raise InputError(f"need a 2-d matrix with several rows, got shape {S.shape}")
    Z = (S - S.mean(axis=0)) / S.std(axis=0)
    Z2 = Z * Z
    return Z2.T @ Z2 / S.shape[0]


def maximum_spanning_tree(W: np.ndarray) -> list[tuple[int, int, float]]:
    """Edges ``(i, j, weight)`` of a maximum spanning tree of the symmetric weights ``W``.

    Found as scipy's minimum spanning tree of ``max(W) + 1 - W`` (all off-diagonal weights
    positive, so no edge is mistaken for a missing one); sorted by weight, largest first.
    """
    W = np.asarray(W, dtype=np.float64)
    k = W.shape[0]
    cost = W.max() + 1.0 - W
    np.fill_diagonal(cost, 0.0)
    tree = minimum_spanning_tree(cost).tocoo()
    edges = [(int(min(i, j)), int(max(i, j)), float(W[i, j]))
             for i, j in zip(tree.row, tree.col, strict=True)]
    if len(edges) != k - 1:
        raise InputError("the weight matrix does not connect all axes")
    return sorted(edges, key=lambda e: -e[2])


@dataclass
class HOCClusters:
    """HOC matrix, its maximum spanning tree and the clusters left after cutting weak edges."""

    hoc: np.ndarray
    tree: list[tuple[int, int, float]]
    labels: np.ndarray  # cluster id per axis
    threshold: float


#: Clustering methods of :func:`hoc_clusters`: ``average`` (ours), ``spectral`` (the paper's),
#: ``tree`` (cut the spanning tree).
METHODS = ("average", "spectral", "tree")


def hoc_clusters(S: np.ndarray, n_clusters: int | None = None, threshold: float | None = None,
                 method: str = "average", seed: int = 0) -> HOCClusters:
    """Cluster axes by their higher-order correlations.

    ``method="tree"`` cuts the maximum spanning tree: either its ``n_clusters - 1`` weakest
    edges, or every edge with weight below ``threshold`` (default 1.5, i.e. tail
    co-occurrence 50% above independence). This is single linkage, which on real embeddings
    tends to shave off single axes one by one; ``method="average"`` (the default) groups
    axes by average linkage on the distance ``1 / HOC`` into ``n_clusters`` clusters (default
    10), which gives groups of comparable size. ``method="spectral"`` is the paper's:
    spectral clustering (scikit-learn, ``seed`` for its k-means step) of the graph whose only
    edges are those of the maximum spanning tree, weighted by HOC, into ``n_clusters``
    (default 10). The tree is returned in every case.
    """
    H = higher_order_correlations(S)
    tree = maximum_spanning_tree(H)
    k = H.shape[0]
    if n_clusters is not None and not 1 <= n_clusters <= k:
        raise InputError(f"n_clusters must be in 1..{k}, got {n_clusters}")
    if method == "average":
        from scipy.cluster.hierarchy import fcluster, linkage
        from scipy.spatial.distance import squareform

        D = 1.0 / np.clip(H, 1e-12, None)
        np.fill_diagonal(D, 0.0)
        Z = linkage(squareform((D + D.T) / 2, checks=False), method="average")
        n = 10 if n_clusters is None else n_clusters
        labels = fcluster(Z, t=min(n, k), criterion="maxclust") - 1
        return HOCClusters(H, tree, labels.astype(np.int64), float("nan"))
    if method == "spectral":
        from sklearn.cluster import SpectralClustering

        A = np.zeros((k, k))
        for i, j, w in tree:
            A[i, j] = A[j, i] = w
        n = min(10 if n_clusters is None else n_clusters, k)
        if n == 1:
            return HOCClusters(H, tree, np.zeros(k, dtype=np.int64), float("nan"))
        sc = SpectralClustering(n_clusters=n, affinity="precomputed", random_state=seed,
                                assign_labels="discretize")
        labels = sc.fit_predict(A)
        return HOCClusters(H, tree, np.asarray(labels, dtype=np.int64), float("nan"))
    if method != "tree":
        raise InputError(f"unknown clustering method {method!r}; choose {', '.join(METHODS)}")
    if n_clusters is not None:
        keep = tree[: k - n_clusters]
        threshold = keep[-1][2] if keep else float("inf")
    else:
        threshold = 1.5 if threshold is None else float(threshold)
        keep = [e for e in tree if e[2] >= threshold]
    from scipy.sparse import coo_matrix

    if keep:
        i, j, _ = zip(*keep, strict=True)
        graph = coo_matrix((np.ones(len(keep)), (i, j)), shape=(k, k))
    else:
        graph = coo_matrix((k, k))
    _, labels = connected_components(graph, directed=False)
    return HOCClusters(H, tree, labels, float(threshold))
