"""Communities of the stories' graph, divided from the top until each holds together
(Leiden by graspologic-native, MIT), and the join rule that keeps a group whole.

Kernels on arrays (no I/O), used for stories and, inside each story, for events.
"""

from __future__ import annotations

import heapq

import numpy as np
import scipy.sparse as sp
from graspologic_native import leiden_csr
from scipy.sparse.csgraph import connected_components

#: Passes of each Leiden run (each pass starts from the last one's communities), as with
#: leidenalg's default before. Running leidenalg to convergence gave the same ARI on the dev
#: halves and was several times slower on Reuters-21578's dated wire copy; with
#: graspologic-native, 4 passes, 2 or 4 trials or randomness 0.01 gave the same dev ARI
#: (``benchmarks/stories_dev_scale.py``; at most 0.001 apart).
LEIDEN_ITERATIONS = 2
#: Independent Leiden runs of each call, the most modular kept.
LEIDEN_TRIALS = 1
#: How far Leiden's refinement strays from the greediest merge (graspologic-native's default).
LEIDEN_RANDOMNESS = 0.001


def split_communities(
    graph: sp.csr_matrix,
    resolution: float,
    min_conductance: float,
    runs: int,
    random_state: np.random.RandomState,
) -> np.ndarray:
    """Communities of a symmetric weighted graph, divided from the top until each holds.

    The groups start as the connected components. Each group of two or more nodes is divided
    by :func:`consensus_communities` on its own edges (so modularity's null model is the
    group, not the whole graph), and the parts are joined back by :func:`join_parts`. A group
    that comes back whole is final; each group it did split into is divided the same way,
    until none splits. Groups are taken in a fixed order (by label, and labels are given in
    order) with seeds drawn from ``random_state`` in that order, so the result depends only on
    the graph and the seed.

    Parameters
    ----------
    graph : csr_matrix, shape (n_nodes, n_nodes), symmetric, non-negative
    resolution : float
        Modularity resolution of each division.
    min_conductance : float
        See :func:`join_parts`.
    runs : int
        Leiden runs of each division (see :func:`consensus_communities`).
    random_state : RandomState

    Returns
    -------
    labels : ndarray of int64, shape (n_nodes,)
    """
    n_nodes = graph.shape[0]
    graph = sp.csr_matrix(graph)
    volume = np.asarray(graph.sum(axis=1), dtype=np.float64).ravel()
    upper = sp.triu(graph, k=1).tocoo()
    keep = upper.data > 0
    first = upper.row[keep].astype(np.int64)
    second = upper.col[keep].astype(np.int64)
    weight = upper.data[keep].astype(np.float64)
    _, labels = connected_components(graph, directed=False)
    labels = labels.astype(np.int64)
    pending = np.bincount(labels) > 1
    local = np.zeros(n_nodes, dtype=np.int64)
    next_label = len(pending)
    while pending.any():
        # members and inner edges of every pending group, in order of group label
        nodes = np.flatnonzero(pending[labels])
        nodes = nodes[np.argsort(labels[nodes], kind="stable")]
        groups, starts = np.unique(labels[nodes], return_index=True)
        ends = np.r_[starts[1:], len(nodes)]
        inner = np.flatnonzero((labels[first] == labels[second]) & pending[labels[first]])
        inner = inner[np.argsort(labels[first[inner]], kind="stable")]
        edge_group = labels[first[inner]]
        edge_starts = np.searchsorted(edge_group, groups, side="left")
        edge_ends = np.searchsorted(edge_group, groups, side="right")
        pending[:] = False
        again: list[int] = []
        for k, group in enumerate(groups.tolist()):
            members = nodes[starts[k] : ends[k]]
            edges = inner[edge_starts[k] : edge_ends[k]]
            local[members] = np.arange(len(members))
            a, b, w = local[first[edges]], local[second[edges]], weight[edges]
            parts = consensus_communities(len(members), a, b, w, resolution, runs, random_state)
            joined = join_parts(parts, a, b, w, volume[members], min_conductance)
            if joined.max() == 0:
                continue  # the group holds: a story
            again.append(group)
            for part in range(1, int(joined.max()) + 1):
                labels[members[joined == part]] = next_label
                again.append(next_label)
                next_label += 1
        sizes = np.bincount(labels, minlength=next_label)
        pending = np.zeros(len(sizes), dtype=bool)
        pending[again] = sizes[again] > 1
    return labels


def join_parts(
    parts: np.ndarray,
    first: np.ndarray,
    second: np.ndarray,
    weight: np.ndarray,
    volume: np.ndarray,
    min_conductance: float,
) -> np.ndarray:
    """Join the parts of a group while two of them are tied by ``min_conductance``.

    The tie of parts ``p`` and ``q`` is the weight of the edges between them divided by the
    smaller of their volumes (a part's volume is the summed weight of every edge of its nodes,
    in the whole graph). The most tied pair is joined first, and ties are recomputed for the
    joined part, until no pair reaches ``min_conductance``.

    Parameters
    ----------
    parts : ndarray of int64, shape (n_nodes,)
        Part of each node, numbered from 0.
    first, second : ndarray of int64, shape (n_edges,)
        The edges inside the group, as node positions.
    weight : ndarray of float64, shape (n_edges,)
    volume : ndarray of float64, shape (n_nodes,)
    min_conductance : float

    Returns
    -------
    ndarray of int64, shape (n_nodes,)
        Joined group of each node, numbered from 0 in order of first node.
    """
    n_parts = int(parts.max()) + 1 if len(parts) else 0
    part_volume = np.bincount(parts, weights=volume, minlength=n_parts).astype(np.float64)
    p, q = parts[first], parts[second]
    between = p != q
    low, high = np.minimum(p, q)[between], np.maximum(p, q)[between]
    pairs, where = np.unique(low * n_parts + high, return_inverse=True)
    totals = np.bincount(where, weights=weight[between], minlength=len(pairs))
    ties: list[dict[int, float]] = [{} for _ in range(n_parts)]
    for pair, total in zip(pairs.tolist(), totals.tolist()):
        ties[pair // n_parts][pair % n_parts] = total
        ties[pair % n_parts][pair // n_parts] = total
    version = [0] * n_parts
    owner = list(range(n_parts))

    def score(i: int, j: int) -> float:
        return ties[i][j] / max(min(part_volume[i], part_volume[j]), 1e-12)

    heap = [(-score(i, j), i, j, 0, 0) for i in range(n_parts) for j in ties[i] if i < j]
    heapq.heapify(heap)
    while heap:
        negative, i, j, version_i, version_j = heapq.heappop(heap)
        if owner[i] != i or owner[j] != j or (version_i, version_j) != (version[i], version[j]):
            continue  # stale: one of the two has been joined since
        if -negative < min_conductance:
            break
        owner[j] = i  # j joins i
        part_volume[i] += part_volume[j]
        for k, total in ties[j].items():
            del ties[k][j]  # with k == i, the tie just used
            if k != i:
                ties[i][k] = ties[i].get(k, 0.0) + total
                ties[k][i] = ties[i][k]
        ties[j] = {}
        version[i] += 1
        for k in ties[i]:
            low_k, high_k = min(i, k), max(i, k)
            heapq.heappush(heap, (-score(i, k), low_k, high_k, version[low_k], version[high_k]))
    root = np.array(owner, dtype=np.int64)
    while True:  # follow joins to their last owner
        above = root[root]
        if np.array_equal(above, root):
            break
        root = above
    joined = root[parts]
    _, first_seen, numbered = np.unique(joined, return_index=True, return_inverse=True)
    rank = np.empty(len(first_seen), dtype=np.int64)
    rank[np.argsort(first_seen, kind="stable")] = np.arange(len(first_seen))
    return rank[numbered.ravel()]


def consensus_communities(
    n_nodes: int,
    first: np.ndarray,
    second: np.ndarray,
    weight: np.ndarray,
    resolution: float,
    runs: int,
    random_state: np.random.RandomState,
) -> np.ndarray:
    """Leiden communities of a weighted graph given by its edges, stabilised over ``runs`` seeds.

    Each edge is reweighted by the share of the runs in which its two ends fell together, and a
    last run on that consensus graph gives the communities.

    Returns
    -------
    labels : ndarray of int64, shape (n_nodes,)
    """
    if len(weight) == 0:
        return np.arange(n_nodes, dtype=np.int64)
    if runs == 1:
        return _leiden(n_nodes, first, second, weight, resolution, random_state)
    agree = np.zeros(len(weight))
    graph = symmetric_graph(n_nodes, first, second, weight)  # the same for every run
    for _ in range(runs):
        labels = _leiden_on(graph, resolution, random_state)
        agree += labels[first] == labels[second]
    return _leiden(n_nodes, first, second, weight * agree / runs, resolution, random_state)


def symmetric_graph(
    n_nodes: int, first: np.ndarray, second: np.ndarray, weight: np.ndarray
) -> sp.csr_matrix:
    """The undirected graph of the edges (each given once) as a symmetric CSR matrix with
    sorted indices, repeated edges summed and edges of weight 0 left out."""
    keep = weight > 0
    upper = sp.coo_matrix(
        (weight[keep].astype(np.float64), (first[keep], second[keep])), shape=(n_nodes, n_nodes)
    )
    graph = (upper + upper.T).tocsr()  # sums any repeated edge, sorts the indices
    graph.sort_indices()
    return graph


def _leiden(
    n_nodes: int,
    first: np.ndarray,
    second: np.ndarray,
    weight: np.ndarray,
    resolution: float,
    random_state: np.random.RandomState,
) -> np.ndarray:
    """One Leiden run maximising modularity at ``resolution`` (graspologic-native, MIT).

    The objective is ``Σ_ij (A_ij - resolution · k_i k_j / 2m) δ(c_i, c_j)``, the
    configuration-model (RB) modularity. The graph is passed as a symmetric CSR matrix
    with sorted indices, so the result depends only on the edges and the seed drawn from
    ``random_state``, never on the order the edges come in.

    Parameters
    ----------
    n_nodes : int
    first, second : ndarray of int64, shape (n_edges,)
        Each edge's two nodes; each undirected edge given once. Edges of weight 0 are left out.
    weight : ndarray of float64, shape (n_edges,)
    resolution : float
    random_state : RandomState
        One seed is drawn from it per call, whatever the graph.

    Returns
    -------
    labels : ndarray of int64, shape (n_nodes,)
        Community of each node, numbered from 0 in order of first node (an isolated node is
        a community of its own).
    """
    return _leiden_on(symmetric_graph(n_nodes, first, second, weight), resolution, random_state)


def _leiden_on(
    graph: sp.csr_matrix, resolution: float, random_state: np.random.RandomState
) -> np.ndarray:
    """:func:`_leiden` on the graph :func:`symmetric_graph` made of its edges."""
    n_nodes = graph.shape[0]
    seed = int(random_state.randint(0, 2**31 - 1))
    if graph.nnz == 0:
        return np.arange(n_nodes, dtype=np.int64)
    _, community = leiden_csr(
        graph.indptr.astype(np.int64),
        graph.indices.astype(np.int32),
        graph.data.astype(np.float64),
        n_nodes,
        resolution=float(resolution),
        randomness=LEIDEN_RANDOMNESS,
        iterations=LEIDEN_ITERATIONS,
        use_modularity=True,
        seed=seed,
        trials=LEIDEN_TRIALS,
    )
    labels = np.arange(n_nodes, dtype=np.int64)  # any node left out: alone
    nodes = np.fromiter(community.keys(), dtype=np.int64, count=len(community))
    labels[nodes] = np.fromiter(community.values(), dtype=np.int64, count=len(community)) + n_nodes
    # numbered by first node, so the labels do not depend on the library's own numbering
    _, first_seen, numbered = np.unique(labels, return_index=True, return_inverse=True)
    rank = np.empty(len(first_seen), dtype=np.int64)
    rank[np.argsort(first_seen, kind="stable")] = np.arange(len(first_seen))
    return rank[numbered.ravel()]
