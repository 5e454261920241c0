"""Daily placement: new articles put into the stories and events an index already holds, or
into new ones, without clustering the stored articles again.

Kernels on sparse matrices and arrays (no I/O); :mod:`dedup.index_stories` reads the index,
calls them, and writes the result back.

The new articles' edges are the ones the batch clusterer (:class:`dedup.clustering.
StoryClusterer`) would give them: each new article's ``n_neighbors`` most cosine-similar
articles among the stored and the new ones (TF-IDF under the index's frozen vocabulary),
weakened by the days between them, kept when at least ``min_lift`` times their ends'
background similarity (over every stored and new article), raised to ``similarity_power``;
pairs that share a reused passage (an index query's pairs) are linked with weight 1.
Then, in rounds (:func:`propagate`), a new article joins the story that holds the largest
share of its edge weight among the articles already placed (stored, or new and placed in an
earlier round), when that share is at least :data:`JOIN_SHARE`. New articles left over are
divided into new stories as the batch divides a graph (:func:`dedup.communities.
split_communities`). Events are placed the same way inside each story, over the edges
between articles at most :data:`dedup.events.EVENT_WINDOW_DAYS` apart, into an event whose
dates would still span at most that window; the rest become new events
(:func:`dedup.events.find_events`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from dedup.communities import split_communities
from dedup.events import EVENT_WINDOW_DAYS, event_graph, find_events
from dedup.story_graph import neighbour_graph, top_per_row, weighted_graph
from dedup.story_refine import place_by_centroids

#: A new article joins a story (or event) when the articles placed there hold at least this
#: share of its edge weight. Chosen on the dev halves of BASIL and GoogleNews-TS
#: (``benchmarks/stories_daily.py --split dev --join-share …``).
JOIN_SHARE = 0.5
#: Rounds of :func:`propagate` at most (each places the articles tied to the last round's).
MAX_ROUNDS = 50


@dataclass(frozen=True, slots=True)
class GraphSettings:
    """The batch clusterer's graph settings (see :class:`dedup.clustering.StoryClusterer`)."""

    n_neighbors: int
    similarity_power: float
    min_lift: float
    window_days: float | None
    resolution: float
    min_conductance: float
    n_consensus: int


def placement_graph(
    vectors: sp.csr_matrix,
    n_old: int,
    days: np.ndarray,
    settings: GraphSettings,
    links: np.ndarray | None = None,
) -> sp.csr_matrix:
    """The weighted edges of the new rows, as the batch graph weighs them, made symmetric.

    ``links`` (int64, shape (n_links, 2)) are pairs of rows known to share a reused passage
    (each with a new row): an edge of weight 1, times the date factor, as in the batch.

    Returns
    -------
    csr_matrix of float32, shape (n_all, n_all), symmetric; no edge between two old rows
    """
    # each new row's neighbours among all rows, as the batch finds them for every row
    return weighted_graph(
        neighbour_graph(vectors, settings.n_neighbors, first_row=n_old),
        vectors,
        days,
        None if links is None else np.asarray(links, dtype=np.int64).reshape(-1, 2),
        window_days=settings.window_days,
        min_lift=settings.min_lift,
        similarity_power=settings.similarity_power,
    )


def propagate(
    graph: sp.csr_matrix,
    labels: np.ndarray,
    join_share: float | None = None,
    days: np.ndarray | None = None,
    window_days: float = EVENT_WINDOW_DAYS,
) -> np.ndarray:
    """Give the unlabelled rows (-1) the label holding the largest share of their edge weight
    among labelled neighbours, when that share is at least ``join_share``, in rounds.

    Every round decides from the labels before it (no row sees another's choice of the same
    round), so the result does not depend on the order of the rows. Ties go to the lower
    label. Labelled rows keep their label.

    Parameters
    ----------
    graph : csr_matrix, shape (n, n), symmetric, non-negative
    labels : ndarray of int64, shape (n,)
        -1 for the rows to place.
    join_share : float, optional
        :data:`JOIN_SHARE` when None.
    days : ndarray of int64, shape (n,), optional
        When given (-1: unknown), a dated row only takes a label whose dated members would
        span at most ``window_days`` days with it (as of the round before).

    Returns
    -------
    ndarray of int64, shape (n,)
    """
    join_share = JOIN_SHARE if join_share is None else join_share
    labels = np.asarray(labels, dtype=np.int64).copy()
    coo = graph.tocoo()
    row, col, weight = coo.row.astype(np.int64), coo.col.astype(np.int64), coo.data
    degree = np.bincount(row, weights=weight, minlength=len(labels))
    for _ in range(MAX_ROUNDS):
        known = (labels[row] < 0) & (labels[col] >= 0)
        if not known.any():
            break
        r, lab, w = row[known], labels[col[known]], weight[known]
        n_labels = int(labels.max()) + 1
        votes = sp.csr_matrix((w.astype(np.float64), (r, lab)), shape=(len(labels), n_labels))
        votes.sum_duplicates()
        votes = votes.tocoo()
        v_row, v_label = votes.row.astype(np.int64), votes.col.astype(np.int64)
        fits = np.ones(len(v_row), dtype=bool)
        if days is not None:
            fits = _fits_window(labels, days, v_row, v_label, n_labels, window_days)
        share = votes.data / np.maximum(degree[v_row], 1e-12)
        # only the votes that may be taken compete; the best of them must hold the share
        ok = fits & (votes.data > 0)
        best = top_per_row(v_row[ok], v_label[ok], votes.data[ok], 1)
        chosen = np.flatnonzero(ok)[best]
        accept = chosen[share[chosen] >= join_share - 1e-9]
        if len(accept) == 0:
            break
        labels[v_row[accept]] = v_label[accept]
    return labels


def _fits_window(
    labels: np.ndarray,
    days: np.ndarray,
    rows: np.ndarray,
    candidates: np.ndarray,
    n_labels: int,
    window_days: float,
) -> np.ndarray:
    """Whether row ``rows[i]`` may take label ``candidates[i]``: the row is undated, the
    label has no dated member, or their dates together span at most ``window_days``."""
    dated = (labels >= 0) & (days >= 0)
    first = np.full(n_labels, np.iinfo(np.int64).max)
    last = np.full(n_labels, np.iinfo(np.int64).min)
    np.minimum.at(first, labels[dated], days[dated])
    np.maximum.at(last, labels[dated], days[dated])
    day = days[rows]
    span = np.maximum(last[candidates], day) - np.minimum(first[candidates], day)
    return (day < 0) | (last[candidates] < first[candidates]) | (span <= window_days)


def place_stories(
    graph: sp.csr_matrix,
    old_stories: np.ndarray,
    settings: GraphSettings,
    random_state: np.random.RandomState,
    join_share: float | None = None,
    vectors: sp.csr_matrix | None = None,
    days: np.ndarray | None = None,
) -> np.ndarray:
    """Story of every row: the old rows keep theirs, new rows join one by
    :func:`propagate`, and the rest are divided into new stories (labels above every old
    one) by :func:`dedup.communities.split_communities` on their own edges. Then, as the
    batch does after its division (:func:`dedup.story_refine.place_by_centroids`), each
    new undated row with a neighbour in another story moves to the story, among its own and
    its neighbours', whose centroid it is nearest to (with ``vectors`` and ``days``).

    Parameters
    ----------
    graph : csr_matrix, shape (n_old + n_new, n_old + n_new), from :func:`placement_graph`
    old_stories : ndarray of int64, shape (n_old,), non-negative
    vectors : csr_matrix, shape (n_old + n_new, n_terms), optional
    days : ndarray of int64, shape (n_old + n_new,), -1 when unknown; optional
    """
    n_old = len(old_stories)
    n_all = graph.shape[0]
    labels = propagate(graph, np.r_[old_stories, np.full(n_all - n_old, -1)], join_share)
    left = np.flatnonzero(labels < 0)
    if len(left):
        part = sp.csr_matrix(graph[left][:, left])
        groups = split_communities(
            part, settings.resolution, settings.min_conductance, settings.n_consensus,
            random_state,
        )  # fmt: skip
        labels[left] = groups + (int(old_stories.max()) + 1 if n_old else 0)
    if vectors is not None and days is not None:
        movable = (np.arange(n_all) >= n_old) & (days < 0)
        labels = place_by_centroids(vectors, graph, labels, movable, renumber=False)
    return labels


def place_events(
    graph: sp.csr_matrix,
    stories: np.ndarray,
    old_events: np.ndarray,
    days: np.ndarray,
    settings: GraphSettings,
    random_state: np.random.RandomState,
    join_share: float | None = None,
    window_days: float = EVENT_WINDOW_DAYS,
) -> np.ndarray:
    """Event of every row: old rows keep theirs; a new row joins an event of its story over
    the edges within ``window_days`` (:func:`dedup.events.event_graph`) when the event's dates
    with its own would span at most ``window_days``; the rest get new events (labels above
    every old one) by :func:`dedup.events.find_events` on their own edges.

    Parameters
    ----------
    graph : csr_matrix, shape (n_all, n_all), from :func:`placement_graph`
    stories : ndarray of int64, shape (n_all,), from :func:`place_stories`
    old_events : ndarray of int64, shape (n_old,), non-negative
    days : ndarray of int64, shape (n_all,), -1 when unknown
    """
    n_old = len(old_events)
    n_all = graph.shape[0]
    inner = event_graph(graph, stories, days, window_days)
    labels = np.r_[old_events, np.full(n_all - n_old, -1)].astype(np.int64)
    labels = propagate(inner, labels, join_share, days, window_days)
    left = np.flatnonzero(labels < 0)
    if len(left):
        part = sp.csr_matrix(inner[left][:, left])
        # the new articles of a story that joined none of its events were never divided as
        # a whole (the batch divides a dated story's graph into events): divided here
        groups = find_events(
            part, stories[left], days[left], settings.resolution, settings.min_conductance,
            settings.n_consensus, random_state, window_days, divide_dated=True,
        )  # fmt: skip
        _, groups = np.unique(groups, return_inverse=True)
        labels[left] = groups.astype(np.int64) + (int(old_events.max()) + 1 if n_old else 0)
    return labels
