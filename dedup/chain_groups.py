"""Copy groups in the chains: one story carried by many outlets, decided in time linear in
its copies.

A scan with copy groups (:mod:`dedup.copies`) aligns each member of a group with the
group's representative only, and the passages they share list every member as a witness.
Deciding parents pair by pair would compare every copy with every other (memory and time
quadratic in the copies). Instead:

1. the parents of the representatives and of every document outside the groups are decided
   as usual (:func:`dedup.parents.decide`) on the reuse passages without the other members
   (:func:`without_members`);
2. each member is then decided against its representative alone
   (:func:`hang_members`), with the same rule (:func:`dedup.parents.choose`): the
   representative is its direct source when the evidence orders the two (a wire agency's
   article, a re-publishing outlet); otherwise the member hangs where the representative
   hangs, from one inferred common source with it (the representative's own node when it
   has one).

The chains scan picks as representative the copy that would come first
(:func:`source_first`: a wire agency's article, then the earliest date), so the group's
tree hangs from the copy most likely to be everyone's source. Members never get edges
between one another: copies of one text carry no evidence of who took from whom among them.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace

import numpy as np

from dedup.carriers import Carrier, Words, order_key, passage_order, passage_spans
from dedup.config import Config
from dedup.credits import outlet_agency
from dedup.parents import INFERRED_PREFIX, Forest, Shared, choose
from dedup.types import CopyGroup, PassageCluster, Record


def source_first(config: Config) -> Callable[[Record], tuple[bool, bool, str, str]]:
    """Sort key of a record as the source of its copy group: a wire agency's own article
    first, then by date (undated last), then id."""
    agencies = config.wire_agencies

    def key(record: Record) -> tuple[bool, bool, str, str]:
        agency = outlet_agency(record.outlet, agencies)
        return (agency is None, record.date is None, record.date or "", record.id)

    return key


@dataclass(frozen=True, slots=True)
class GroupedReuse:
    """The reuse passages without the members of copy groups (their representatives
    stay), and for each such member its representative and the passages it witnesses
    with it."""

    passages: list[PassageCluster]
    representative: dict[str, str]  # member -> representative
    member_passages: dict[str, list[str]]  # member -> ids of passages shared with it


def without_members(reuse: Sequence[PassageCluster], groups: Iterable[CopyGroup]) -> GroupedReuse:
    """See :class:`GroupedReuse`. A passage left with fewer than two documents is dropped
    from the passages decided pairwise (its members are decided by :func:`hang_members`)."""
    representative = {m.doc: g.representative for g in groups for m in g.members}
    kept: list[PassageCluster] = []
    member_passages: dict[str, list[str]] = defaultdict(list)
    for passage in reuse:
        docs = {w.doc for w in passage.witnesses}
        outside = [w for w in passage.witnesses if w.doc not in representative]
        for doc in sorted(docs - {w.doc for w in outside}):
            if representative[doc] in docs:
                member_passages[doc].append(passage.id)
        if len({w.doc for w in outside}) >= 2:
            kept.append(passage if len(outside) == len(passage.witnesses) else
                        replace(passage, witnesses=tuple(outside)))  # fmt: skip
    return GroupedReuse(kept, representative, dict(member_passages))


def _masked(
    words: Words,
    doc: str,
    spans: list[tuple[int, int]],
    furniture: dict[str, list[tuple[int, int]]],
) -> np.ndarray:
    mask = words.mask(doc, spans)
    if furniture.get(doc):
        mask &= ~words.mask(doc, furniture[doc])
    return mask


def hang_members(
    grouped: GroupedReuse,
    reuse: Sequence[PassageCluster],
    forest: Forest,
    shared: dict[str, Shared],
    docs: dict[str, Carrier],
    words: Words,
    credited: dict[str, bool],
    furniture: dict[str, list[tuple[int, int]]],
) -> Forest:
    """``forest`` with every member of a copy group decided against its representative
    (see the module docstring). ``shared`` gains each member's words shared with its
    representative, and the representative's with each member, for the edges."""
    wanted = {p for ids in grouped.member_passages.values() for p in ids}
    spans = passage_spans(reuse, wanted)
    parents = dict(forest.parents)
    hung = dict(forest.hung)
    node_of = {m: node for node, members in forest.inferred.items() for m in members}
    nodes: dict[str, list[str]] = {node: list(ms) for node, ms in forest.inferred.items()}
    for member in sorted(grouped.member_passages):
        rep = grouped.representative[member]
        ids = sorted(grouped.member_passages[member], key=passage_order)
        mine = [s for p in ids for s in spans[p].get(member, ())]
        theirs = [s for p in ids for s in spans[p].get(rep, ())]
        found = Shared({rep: _masked(words, member, mine, furniture)}, {rep: list(ids)})
        shared[member] = found
        rep_shared = shared.setdefault(rep, Shared())
        rep_shared.masks[member] = _masked(words, rep, theirs, furniture)
        rep_shared.passages[member] = list(ids)
        parent = choose(docs[member], found, docs, forest.habits, credited[member])
        if parent is not None and parent.directed:
            parents[member] = [(rep, parent.reason)]
            continue
        inherited = _from_rep_sources(member, rep, found, forest, shared, docs, credited)
        if inherited:
            parents[member] = inherited
            continue
        reason = parent.reason if parent is not None else "unordered"
        node = node_of.get(rep)
        if node is None:  # a node of its own (or the one named after the same passage)
            node = INFERRED_PREFIX + ids[0]
            nodes.setdefault(node, []).append(rep)
            node_of[rep] = node
            hung.setdefault(rep, reason)
        nodes[node].append(member)
        node_of[member] = node
        hung[member] = reason
    inferred = {
        node: tuple(sorted(members, key=lambda t: order_key(docs[t])))
        for node, members in nodes.items()
    }
    return replace(forest, parents=parents, inferred=inferred, hung=hung)


def _from_rep_sources(
    member: str,
    rep: str,
    found: Shared,
    forest: Forest,
    shared: dict[str, Shared],
    docs: dict[str, Carrier],
    credited: dict[str, bool],
) -> list[tuple[str, str]]:
    """The representative's directed sources that are the member's too: the member carries
    the representative's text, so what it shares with the representative's source is what
    the representative does (the same words for an exact copy; for a near copy, its words
    shared with the representative stand for them). Each is kept when the rule orders it
    before the member. ``found`` gains the masks and passages of those kept."""
    out = []
    for source, _ in forest.parents.get(rep, ()):
        theirs = shared[rep].masks[source]
        mine = found.masks[rep]
        mask = theirs.copy() if len(theirs) == len(mine) else mine.copy()
        trial = Shared(
            {source: mask}, {source: [*shared[rep].passages[source], *found.passages[rep]]}
        )
        parent = choose(docs[member], trial, docs, forest.habits, credited[member])
        if parent is not None and parent.directed:
            found.masks[source] = trial.masks[source]
            found.passages[source] = trial.passages[source]
            out.append((source, parent.reason))
    return out
