"""Stories over copy groups (issue #23): a group of copies (:mod:`dedup.copies`) enters the
story clusterer as one record, its representative, and every member then takes the
representative's story and event. The TF-IDF vectors, the neighbour graph and the
communities are thus built on one record per group: their cost does not grow with the
number of copies, and a story carried by a thousand outlets weighs in the term counts as one
article, not a thousand (so its words are not pushed above ``max_df`` by its own copies).
A corpus without groups is fitted exactly as :meth:`StoryClusterer.fit` fits it.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import scipy.sparse as sp

from dedup.clustering import StoryClusterer, nested_groups
from dedup.events import numbered, ordered_groups
from dedup.story_texts import SpilledRecords, metadata
from dedup.types import Record


def fit_with_copies(
    clusterer: StoryClusterer,
    records: Sequence[Record],
    links: Sequence[tuple[int, int]],
    copies: Sequence[Sequence[int]],
    scratch: str | Path | None = None,
    workers: int = 1,
) -> StoryClusterer:
    """Fit ``clusterer`` on ``records`` with each copy group as one record (``scratch`` and
    ``workers``: as :meth:`StoryClusterer.fit` takes them).

    Parameters
    ----------
    clusterer : StoryClusterer
    records : sequence of Record
    links : sequence of (int, int)
        Positions in ``records`` sharing passages; those touching a member other than the
        representative are left out (the representative's stand for them).
    copies : sequence of sequence of int
        Each group's positions in ``records``, its representative first.

    Returns
    -------
    StoryClusterer
        Fitted: ``labels_``, ``event_labels_``, ``stories_``, ``events_`` and ``graph_``
        cover every record (a member has no edge of its own in ``graph_``).
    """
    if not copies:
        return clusterer.fit(records, links=links, scratch=scratch, workers=workers)
    n_records = len(records)
    stand_for = np.arange(n_records, dtype=np.int64)
    for group in copies:
        stand_for[np.asarray(group, dtype=np.int64)] = group[0]
    kept = np.flatnonzero(stand_for == np.arange(n_records))
    position = np.full(n_records, -1, dtype=np.int64)
    position[kept] = np.arange(len(kept))
    pairs = np.asarray(links, dtype=np.int64).reshape(-1, 2)
    pairs = position[pairs]
    pairs = pairs[(pairs >= 0).all(axis=1)]
    if isinstance(records, SpilledRecords):  # the texts stay on disk
        clusterer.fit(records.take(kept), links=pairs, scratch=scratch, workers=workers)
    else:
        held = [records[k] for k in kept.tolist()]
        clusterer.fit(held, links=pairs, scratch=scratch, workers=workers)
    index = position[stand_for]
    labels, event_labels = clusterer.labels_[index], clusterer.event_labels_[index]
    _spread(clusterer, metadata(records), labels, event_labels)
    graph = clusterer.graph_.tocoo()
    clusterer.graph_ = sp.csr_matrix(
        (graph.data, (kept[graph.row], kept[graph.col])), shape=(n_records, n_records)
    )
    return clusterer


def _spread(
    clusterer: StoryClusterer,
    records: Sequence[Record],
    labels: np.ndarray,
    event_labels: np.ndarray,
) -> None:
    """Stories and events again over every record (``labels``, ``event_labels``: the fitted
    story and event of each record's representative), in the clusterer's canonical order,
    each keeping the terms it was fitted with."""
    old_stories, old_events = clusterer.stories_, clusterer.events_
    groups = ordered_groups(records, labels)
    story_of = numbered(groups, len(records))
    event_groups = ordered_groups(records, event_labels)
    event_of = numbered(event_groups, len(records))
    story_terms = [old_stories[int(labels[indexes[0]])].label for indexes in groups]
    event_terms = [old_events[int(event_labels[indexes[0]])].label for indexes in event_groups]
    stories, events = nested_groups(
        records, groups, event_groups, story_of, story_terms, event_terms
    )
    clusterer.labels_ = story_of
    clusterer.event_labels_ = event_of
    clusterer.stories_ = stories
    clusterer.events_ = events
