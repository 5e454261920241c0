"""Events inside stories: one happening, reported within days, found as the communities of a
story's graph under a date window.

A *story* (the saga, :class:`dedup.clustering.StoryClusterer`) holds one or more *events*.
The events of a story are found on its own edges only, keeping an edge when its two
articles are at most :data:`EVENT_WINDOW_DAYS` apart (or either is undated), and dividing
that graph as the stories are divided (:func:`dedup.communities.split_communities`). So
articles days apart that only a chain of daily coverage ties together fall into different
events, while an undated corpus has one event per story. The window is part of the method,
not a setting: it is the longest span of one event's reports in the dev half of BASIL, the
only labelled set with dates (``benchmarks/quality.py`` prints it).

Kernels on arrays (no I/O), plus the grouping of records into numbered groups shared with
the stories.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from dedup.communities import split_communities
from dedup.types import Record

#: Two articles more days apart than this are never tied directly inside one event.
EVENT_WINDOW_DAYS = 4


@dataclass(frozen=True, slots=True)
class EventGroup:
    """One event: its story, its members, a label, and the dates it spans.

    ``id`` is ``e1``, ``e2``, … in order of the event's earliest date (undated events last),
    then smallest member id; ``story`` is the id of the story that holds it. ``label`` and
    ``title`` are as for :class:`dedup.clustering.StoryGroup`.
    """

    id: str
    story: str
    members: tuple[str, ...]
    label: str
    title: str | None
    first_date: str | None
    last_date: str | None


def event_graph(
    graph: sp.csr_matrix, story_of: np.ndarray, days: np.ndarray, window_days: float
) -> sp.csr_matrix:
    """The edges of ``graph`` inside one story whose ends are at most ``window_days`` apart.

    Parameters
    ----------
    graph : csr_matrix, shape (n_docs, n_docs), symmetric
    story_of : ndarray of int64, shape (n_docs,)
    days : ndarray of int64, shape (n_docs,)
        Day number of each document; -1 when unknown (an undated end keeps the edge).
    window_days : float

    Returns
    -------
    csr_matrix, same shape, symmetric
    """
    coo = graph.tocoo()
    row, col = coo.row.astype(np.int64), coo.col.astype(np.int64)
    undated = (days[row] < 0) | (days[col] < 0)
    near = np.abs(days[row] - days[col]) <= window_days
    keep = (story_of[row] == story_of[col]) & (undated | near)
    return sp.csr_matrix((coo.data[keep], (row[keep], col[keep])), shape=graph.shape)


def find_events(
    graph: sp.csr_matrix,
    story_of: np.ndarray,
    days: np.ndarray,
    resolution: float,
    min_conductance: float,
    runs: int,
    random_state: np.random.RandomState,
    window_days: float = EVENT_WINDOW_DAYS,
) -> np.ndarray:
    """Event of each document: communities of :func:`event_graph`, each inside one story.

    Returns
    -------
    labels : ndarray of int64, shape (n_docs,)
    """
    inner = event_graph(graph, story_of, days, window_days)
    return split_communities(inner, resolution, min_conductance, runs, random_state)


def ordered_groups(records: Sequence[Record], labels: np.ndarray) -> list[list[int]]:
    """The groups that ``labels`` gives, as record positions, in canonical order: by earliest
    date (undated groups last), then smallest member id."""
    members: dict[int, list[int]] = {}
    for index, label in enumerate(labels.tolist()):
        members.setdefault(label, []).append(index)

    def sort_key(indexes: list[int]) -> tuple:
        dates = [d for d in (records[i].date for i in indexes) if d]
        return (not dates, min(dates) if dates else "", min(records[i].id for i in indexes))

    return sorted(members.values(), key=sort_key)


def numbered(groups: list[list[int]], n_records: int) -> np.ndarray:
    """Group number of each record (the groups' order)."""
    out = np.empty(n_records, dtype=np.int64)
    for number, indexes in enumerate(groups):
        out[indexes] = number
    return out


def group_facts(
    records: Sequence[Record], indexes: list[int]
) -> tuple[tuple[str, ...], str | None, str | None, str | None]:
    """Sorted member ids, the earliest member's title, and the first and last dates."""
    dates = sorted(d for d in (records[i].date for i in indexes) if d)
    earliest = min(
        indexes, key=lambda i: (records[i].date is None, records[i].date or "", records[i].id)
    )
    members = tuple(sorted(records[i].id for i in indexes))
    return (
        members,
        records[earliest].title,
        dates[0] if dates else None,
        dates[-1] if dates else None,
    )
