"""Connected components of a graph given as an array of edges, as scipy labels them, without
loading scipy for a small graph."""

from __future__ import annotations

import numpy as np

#: Edges up to which :func:`components` labels a graph in numpy rather than with scipy's
#: ``connected_components`` (whose import, scipy.sparse and scipy.linalg with it, costs a
#: small scan more than its whole work); the labels are the same.
SMALL_GRAPH_EDGES = 4096


def components(edges: np.ndarray, n_nodes: int) -> tuple[int, np.ndarray]:
    """Connected components of the undirected graph of ``edges`` (shape (n, 2)) over
    ``n_nodes`` nodes, as ``scipy.sparse.csgraph.connected_components`` gives them: their
    number, and each node's label, labels numbered in the order of each component's
    smallest node."""
    edges = np.asarray(edges, dtype=np.int64).reshape(-1, 2)
    if len(edges) > SMALL_GRAPH_EDGES:
        from scipy.sparse import coo_matrix
        from scipy.sparse.csgraph import connected_components

        weights = np.ones(len(edges), dtype=np.int8)
        graph = coo_matrix((weights, (edges[:, 0], edges[:, 1])), shape=(n_nodes, n_nodes))
        count, labels = connected_components(graph, directed=False)
        return int(count), labels.astype(np.int32, copy=False)
    # each node's smallest reachable node: spread minima along the edges, then jump
    smallest = np.arange(n_nodes, dtype=np.int64)
    while True:
        before = smallest.copy()
        low = np.minimum(smallest[edges[:, 0]], smallest[edges[:, 1]])
        np.minimum.at(smallest, edges[:, 0], low)
        np.minimum.at(smallest, edges[:, 1], low)
        smallest = smallest[smallest]
        if np.array_equal(smallest, before):
            break
    roots, labels = np.unique(smallest, return_inverse=True)
    return len(roots), labels.astype(np.int32)
