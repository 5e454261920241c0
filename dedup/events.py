"""Events inside stories: one happening, reported within days, found as the communities of a
story's graph under a date window.

A *story* (the saga, :class:`dedup.clustering.StoryClusterer`) holds one or more *events*.
The events of a story are found on its own edges only, keeping an edge when its two
articles are at most :data:`EVENT_WINDOW_DAYS` apart (or either is undated), and dividing
that graph as the stories are divided (:func:`dedup.communities.split_communities`). An
event is one happening reported within days, so a community whose dates still span more than
the window (a chain of daily coverage, each day tied to the next) is cut in time
(:func:`cut_long_events`): no event spans more than :data:`EVENT_WINDOW_DAYS` days. Last,
a dated article tied to its event far more loosely than the event's members are to each
other is an event of its own (:func:`loose_members_apart`). An
undated corpus has one event per story. The window is part of the method,
not a setting: it is the longest span of one event's reports in the dev half of BASIL, the
only labelled set with dates (``benchmarks/quality.py`` prints it).

Kernels on arrays (no I/O), plus the grouping of records into numbered groups shared with
the stories.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from dedup.communities import split_communities
from dedup.types import Record

#: Two articles more days apart than this are never tied directly inside one event.
EVENT_WINDOW_DAYS = 4
#: A dated article whose strongest tie inside its event is below this share of the event's
#: typical strongest tie (the median over its members) is an event of its own
#: (:func:`loose_members_apart`). Chosen on the dev networks of
#: ``benchmarks/stories_network.py`` and BASIL's dev half (docs/accuracy.md).
LOOSE_TIE_SHARE = 0.02


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


def first_sent(records: Sequence[Record], days: np.ndarray) -> np.ndarray:
    """Each record's day, or the earliest day of the same text when it was sent more than
    once: a text repeated word for word is one report re-sent, so its copies are placed in
    time by its first sending, and an event holds them all however late a re-send came.

    Texts are compared with their runs of whitespace made one space.

    Returns
    -------
    ndarray of int64, shape (n_records,)
    """
    out = days.copy()
    first: dict[bytes, int] = {}
    keys = []
    for record, day in zip(records, days.tolist()):
        key = hashlib.blake2b(" ".join(record.text.split()).encode(), digest_size=16).digest()
        keys.append(key)
        if day >= 0 and record.text.strip():
            first[key] = min(first.get(key, day), day)
    for k, key in enumerate(keys):
        if out[k] >= 0 and key in first:
            out[k] = first[key]
    return out


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
    *,
    divide_dated: bool = False,
) -> np.ndarray:
    """Event of each document: communities of :func:`event_graph`, each inside one story,
    then :func:`cut_long_events`.

    ``divide_dated`` divides every story that holds a dated document too, whether or not the
    window took a link from it: for groups that were never divided as a whole, such as the
    new articles of a story that joined none of its events (:mod:`dedup.placement`).

    A story that the window takes no link from is divided no further: its graph is the one
    that came back whole as a story. Only the stories that lost a link are divided again.

    Returns
    -------
    labels : ndarray of int64, shape (n_docs,)
    """
    inner = event_graph(graph, story_of, days, window_days)
    story_of = np.asarray(story_of, dtype=np.int64)
    labels = story_of.copy()
    n_stories = int(story_of.max()) + 1 if len(story_of) else 0
    inside = graph.tocoo()
    inside_story = story_of[inside.row] == story_of[inside.col]
    links_before = np.bincount(story_of[inside.row[inside_story]], minlength=n_stories)
    inner_coo = inner.tocoo()
    links_after = np.bincount(story_of[inner_coo.row], minlength=n_stories)
    lost_a_link = links_after < links_before
    if divide_dated:
        lost_a_link[np.unique(story_of[days >= 0])] = True
    nodes = np.flatnonzero(np.isin(story_of, np.flatnonzero(lost_a_link)))
    if len(nodes):
        part = sp.csr_matrix(inner[nodes][:, nodes])
        divided = split_communities(part, resolution, min_conductance, runs, random_state)
        labels[nodes] = divided + n_stories
    labels = cut_long_events(labels, days, inner, window_days)
    return loose_members_apart(labels, inner, days, LOOSE_TIE_SHARE)


def loose_members_apart(
    labels: np.ndarray, graph: sp.csr_matrix, days: np.ndarray, share: float
) -> np.ndarray:
    """Make each loosely tied dated member of a group of three or more a group of its own.

    A member's *tie* is its strongest edge to another member of its group; the group's
    typical tie is the median of its members' ties (the lower one of an even count). A dated
    member whose tie is below ``share`` times the typical one leaves: an article that joined
    copies of one report by a faint word tie (an unrelated report of the same week on the
    same subject) is not part of that happening. Undated members stay (an undated corpus
    keeps one event per story), and so do the members of groups of two (each one's tie is
    the other's).

    Parameters
    ----------
    labels : ndarray of int64, shape (n_docs,)
    graph : csr_matrix, shape (n_docs, n_docs), symmetric
    days : ndarray of int64, shape (n_docs,)
        Day number of each document; -1 when unknown.
    share : float

    Returns
    -------
    labels : ndarray of int64, shape (n_docs,)
        The members that leave get new labels above every old one, in document order.
    """
    labels = np.asarray(labels, dtype=np.int64)
    if share <= 0 or len(labels) == 0:
        return labels.copy()
    coo = graph.tocoo()
    inside = labels[coo.row] == labels[coo.col]
    tie = np.zeros(len(labels), dtype=np.float64)
    np.maximum.at(tie, coo.row[inside], coo.data[inside].astype(np.float64))
    order = np.lexsort((tie, labels))
    starts = np.flatnonzero(np.r_[True, labels[order][1:] != labels[order][:-1]])
    sizes = np.diff(np.r_[starts, len(order)])
    typical = np.empty(len(labels), dtype=np.float64)
    typical[order] = np.repeat(tie[order[starts + (sizes - 1) // 2]], sizes)
    size_of = np.empty(len(labels), dtype=np.int64)
    size_of[order] = np.repeat(sizes, sizes)
    leaves = np.flatnonzero((size_of >= 3) & (days >= 0) & (tie < share * typical))
    out = labels.copy()
    out[leaves] = int(labels.max()) + 1 + np.arange(len(leaves))
    return out


def cut_long_events(
    labels: np.ndarray, days: np.ndarray, graph: sp.csr_matrix, window_days: float
) -> np.ndarray:
    """Divide every group whose dates span more than ``window_days`` in time.

    A group is cut at the widest gap between its consecutive dates (of equally wide gaps,
    the one nearest the middle of its span, so the parts are even), and each part is cut
    again, until every part spans at most ``window_days``. A chain of daily reports that the
    communities could not divide (each day tied to the next) so becomes events of a few
    days each. An undated member joins the part it has the most edge weight to (the first
    part when it has none).

    Parameters
    ----------
    labels : ndarray of int64, shape (n_docs,)
    days : ndarray of int64, shape (n_docs,)
        Day number of each document; -1 when unknown.
    graph : csr_matrix, shape (n_docs, n_docs), symmetric
    window_days : float

    Returns
    -------
    labels : ndarray of int64, shape (n_docs,)
        Groups that span at most ``window_days`` keep their label; the parts of the others
        get new labels above every old one.
    """
    labels = labels.copy()
    dated = days >= 0
    if not dated.any():
        return labels
    n_labels = int(labels.max()) + 1
    first = np.full(n_labels, np.iinfo(np.int64).max)
    last = np.full(n_labels, -1)
    np.minimum.at(first, labels[dated], days[dated])
    np.maximum.at(last, labels[dated], days[dated])
    next_label = n_labels
    long = np.flatnonzero(last - first > window_days)
    in_long = np.flatnonzero(np.isin(labels, long))
    in_long = in_long[np.argsort(labels[in_long], kind="stable")]
    bounds = np.asarray(np.searchsorted(labels[in_long], np.r_[long, n_labels]))
    for low, high in zip(bounds[:-1].tolist(), bounds[1:].tolist()):
        members = in_long[low:high]
        member_days = days[members]
        parts = _cut_days(np.unique(member_days[member_days >= 0]), window_days)
        part_of = np.searchsorted(parts, member_days, side="right") - 1
        undated = members[member_days < 0]
        if len(undated):
            ties = graph[undated][:, members[member_days >= 0]].toarray()
            weight = np.zeros((len(undated), len(parts)))
            for k, part in enumerate(part_of[member_days >= 0].tolist()):
                weight[:, part] += ties[:, k]
            part_of[member_days < 0] = np.argmax(weight, axis=1)
        for part in range(1, len(parts)):
            labels[members[part_of == part]] = next_label
            next_label += 1
    return labels


def _cut_days(distinct_days: np.ndarray, window_days: float) -> np.ndarray:
    """The first day of each part when sorted distinct days are cut as
    :func:`cut_long_events` says."""
    if len(distinct_days) == 0 or distinct_days[-1] - distinct_days[0] <= window_days:
        return distinct_days[:1]
    gaps = np.diff(distinct_days)
    widest = np.flatnonzero(gaps == gaps.max())
    middle = (distinct_days[0] + distinct_days[-1]) / 2
    cut = int(widest[np.argmin(np.abs(distinct_days[widest] + gaps[widest] / 2 - middle))]) + 1
    return np.r_[
        _cut_days(distinct_days[:cut], window_days), _cut_days(distinct_days[cut:], window_days)
    ]


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
