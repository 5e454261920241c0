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

A member that carries words its representative lacks (an outlet's changed word, a lead
sentence, a re-publisher's copy of those), or lacks some of its words (a dropped paragraph),
is compared with the other members carrying (or lacking) the same words too, its *peers*
(:func:`peers_of`), and decided among them as the pairwise path would: a scraper of a
subscriber hangs from the subscriber, not the wire. Likewise an article outside the group
keeps, among its candidates, the members carrying words of its own that the representative
lacks (a rewrite of a subscriber's paragraph with its "says"). The words are keyed with
their neighbours and a key carried by more than :data:`MAX_PEERS` documents is no evidence,
so the cost stays linear in the copies when each carries its own changes.

The chains scan picks as representative the copy that would come first
(:func:`source_first`: a wire agency's article, then the earliest date), so the group's
tree hangs from the copy most likely to be everyone's source. Members never get edges
between one another: copies of one text carry no evidence of who took from whom among them.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace

import numpy as np

from dedup.carriers import Carrier, Words, order_key, passage_order, passage_spans
from dedup.config import Config
from dedup.copy_words import Shared, matched_words, shared_outside
from dedup.credits import outlet_agency
from dedup.parents import INFERRED_PREFIX, Forest, choose
from dedup.types import CopyGroup, PassageCluster, Record, Witness


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
    #: per document, the members carrying words of it that the representative lacks
    peers: dict[str, set[str]] = field(default_factory=dict)


#: Documents a changed word may be carried by and still single out its peers.
MAX_PEERS = 32

_Key = tuple[str, int, int, int]


#: Shortest stretch of the representative's words a member lacks, with words of its own in
#: their place, that keys it (a dropped sentence; shorter ones key it when nothing stands in
#: their place: a struck word).
LOST_WORDS = 3

#: An end offset past any text: a witness ``[0, WHOLE)`` is the whole document.
WHOLE = 1 << 62


def _keyed(reading: np.ndarray, where: np.ndarray, tag: str) -> set[_Key]:
    padded = np.concatenate((np.zeros(1, reading.dtype), reading, np.zeros(1, reading.dtype)))
    return {
        (tag, int(padded[i]), int(padded[i + 1]), int(padded[i + 2])) for i in np.flatnonzero(where)
    }


def _changed_keys(
    reading: np.ndarray, base: np.ndarray, rep: str, keep: np.ndarray | None = None
) -> tuple[set[_Key], np.ndarray]:
    """The words of ``reading`` that ``base`` (the representative's reading) does not match
    (and ``keep`` keeps: outside furniture), and the words of ``base`` between its first and
    last word matched by ``reading`` that ``reading`` lacks, in stretches of
    :data:`LOST_WORDS` or more or with nothing in their place (a dropped paragraph, a struck
    word), each keyed by the representative (and which side) and the word with its
    neighbours; and which words of ``base`` ``reading`` holds."""
    found = matched_words(reading, base)
    own = ~found
    if keep is not None:
        own &= keep
    held = matched_words(base, reading)
    lost = np.zeros_like(held)
    if held.any():
        lo, hi = int(held.argmax()), len(held) - int(held[::-1].argmax())
        lost[lo:hi] = ~held[lo:hi]
        # a stretch where the reading prints nothing (a struck word, a dropped paragraph),
        # or of LOST_WORDS or more; not the representative's word where another word stands
        # (copies that changed the same word each their own way share no change)
        at = np.flatnonzero(found)  # the k-th matched word of base is the k-th of reading
        rank = np.cumsum(held) - 1
        edges = np.flatnonzero(np.diff(np.concatenate(([0], lost.astype(np.int8), [0]))))
        for start, end in zip(edges[::2], edges[1::2], strict=True):
            k = int(rank[start - 1])
            gapless = k + 1 < len(at) and at[k + 1] == at[k] + 1
            if end - start < LOST_WORDS and not gapless:
                lost[start:end] = False
    return _keyed(reading, own, rep) | _keyed(base, lost, "-" + rep), held


def peers_of(
    reuse: Sequence[PassageCluster],
    representative: dict[str, str],
    words: Words,
    furniture: dict[str, list[tuple[int, int]]] | None = None,
) -> tuple[dict[str, set[str]], dict[str, np.ndarray]]:
    """Per document sharing a passage with a copy group, the group's members (not itself)
    that carry a word of it its representative does not match, or lack a word of the
    representative it lacks too (see the module docstring):
    a member's words are its whole text outside its furniture, another document's those
    of the passages it shares with the group. And per member, which words of its
    representative it holds."""
    keys: dict[str, set[_Key]] = defaultdict(set)
    holds: dict[str, np.ndarray] = {}
    for member, rep in sorted(representative.items()):
        reading = words.hashes(member, 0, WHOLE)[1]
        spans = (furniture or {}).get(member)
        keep = ~words.mask(member, spans) if spans else None
        keys[member], holds[member] = _changed_keys(
            reading, words.hashes(rep, 0, WHOLE)[1], rep, keep
        )
    reps = set(representative.values())
    for passage in reuse:
        docs = {w.doc for w in passage.witnesses}
        for rep in sorted(reps & docs):
            if not any(representative.get(d) == rep for d in docs):
                continue
            base_w = next(w for w in passage.witnesses if w.doc == rep)
            base = words.hashes(rep, base_w.start, base_w.end)[1]
            for w in passage.witnesses:
                if w.doc != rep and w.doc not in representative:
                    reading = words.hashes(w.doc, w.start, w.end)[1]
                    keys[w.doc] |= _changed_keys(reading, base, rep)[0]
    holders: dict[_Key, list[str]] = defaultdict(list)
    for member in sorted(representative):
        for key in keys[member]:
            holders[key].append(member)
    out: dict[str, set[str]] = {}
    for doc in sorted(keys):
        peers = {
            m
            for key in keys[doc]
            if len(holders.get(key, ())) <= MAX_PEERS
            for m in holders.get(key, ())
            if m != doc
        }
        if peers:
            out[doc] = peers
    return out, holds


#: Share of a passage's words in its representative's text a member must hold to carry it.
HOLD_SHARE = 0.8


def _holders(
    passage: PassageCluster,
    docs: set[str],
    representative: dict[str, str],
    members_of: dict[str, list[str]],
    holds: dict[str, np.ndarray],
    words: Words,
) -> list[str]:
    """The members of a copy group that are no witness of ``passage``, a passage of their
    representative with an article outside the group (a rewrite's paragraph), but hold its
    text (:data:`HOLD_SHARE` of the representative's words there): the scan aligned them
    with the representative only, so it could not find them among the witnesses."""
    out = []
    for rep in sorted(set(members_of) & docs):
        if not any(d != rep and d not in representative for d in docs):
            continue
        w = next(w for w in passage.witnesses if w.doc == rep)
        first, hashes = words.hashes(rep, w.start, w.end)
        if not len(hashes):
            continue
        for member in members_of[rep]:
            held = holds.get(member)
            if member in docs or held is None:
                continue
            if np.count_nonzero(held[first : first + len(hashes)]) >= HOLD_SHARE * len(hashes):
                out.append(member)
    return out


def without_members(
    reuse: Sequence[PassageCluster],
    groups: Iterable[CopyGroup],
    words: Words | None = None,
    furniture: dict[str, list[tuple[int, int]]] | None = None,
) -> GroupedReuse:
    """See :class:`GroupedReuse`. A member's witness stays in a passage only where it is a
    peer of a document outside the groups there (with ``words``: :func:`peers_of`); a passage
    left with fewer than two documents is dropped from the passages decided pairwise (its
    members are decided by :func:`hang_members`)."""
    representative = {m.doc: g.representative for g in groups for m in g.members}
    peers: dict[str, set[str]] = {}
    holds: dict[str, np.ndarray] = {}
    if words is not None and representative:
        peers, holds = peers_of(reuse, representative, words, furniture)
    members_of: dict[str, list[str]] = defaultdict(list)
    for member, rep in sorted(representative.items()):
        members_of[rep].append(member)
    kept: list[PassageCluster] = []
    member_passages: dict[str, list[str]] = defaultdict(list)
    for passage in reuse:
        docs = {w.doc for w in passage.witnesses}
        outside = [w for w in passage.witnesses if w.doc not in representative]
        for doc in sorted(docs - {w.doc for w in outside}):
            if representative[doc] in docs:
                member_passages[doc].append(passage.id)
        if words is not None and holds:
            for doc in _holders(passage, docs, representative, members_of, holds, words):
                member_passages[doc].append(passage.id)
        wanted = {m for w in outside for m in peers.get(w.doc, ())} & docs
        if wanted:
            outside = [
                w for w in passage.witnesses if w.doc not in representative or w.doc in wanted
            ]
        if len({w.doc for w in outside}) >= 2:
            kept.append(passage if len(outside) == len(passage.witnesses) else
                        replace(passage, witnesses=tuple(outside)))  # fmt: skip
    return GroupedReuse(kept, representative, dict(member_passages), peers)


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
    for member in sorted(grouped.member_passages, key=lambda m: order_key(docs[m])):
        rep = grouped.representative[member]
        ids = sorted(grouped.member_passages[member], key=passage_order)
        mine = [s for p in ids for s in spans[p].get(member, ())]
        theirs = [s for p in ids for s in spans[p].get(rep, ())]
        found = Shared({rep: _masked(words, member, mine, furniture)}, {rep: list(ids)})
        shared[member] = found
        rep_shared = shared.setdefault(rep, Shared())
        rep_shared.masks[member] = _masked(words, rep, theirs, furniture)
        rep_shared.passages[member] = list(ids)
        peers = grouped.peers.get(member, set()) & set(grouped.member_passages)
        if peers:
            found = _among_peers(member, rep, peers, ids, words, furniture)
            shared[member] = found
            parent = choose(docs[member], found, docs, forest.habits, credited[member], parents)
            source = parent.source if parent is not None else None
            if parent is not None and parent.directed and source is not None:
                parents[member] = [(source, parent.reason)]
                continue
            if (
                parent is not None
                and source is not None
                and source != rep
                and source not in parents
            ):
                # unordered with a peer: one inferred source for both
                node = node_of.get(member) or node_of.get(source) or node_of.get(rep)
                node = node or INFERRED_PREFIX + ids[0]
                for doc in (source, member):
                    if doc not in node_of:
                        nodes.setdefault(node, []).append(doc)
                        node_of[doc] = node
                        hung.setdefault(doc, parent.reason)
                continue
        else:
            parent = choose(docs[member], found, docs, forest.habits, credited[member])
            if parent is not None and parent.directed:
                parents[member] = [(rep, parent.reason)]
                continue
        inherited = _from_rep_sources(member, rep, found, forest, shared, docs, credited)
        if inherited:
            parents[member] = inherited
            continue
        reason = parent.reason if parent is not None else "unordered"
        if member in node_of:  # already hung with a peer or by an article outside the group
            continue
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


def _among_peers(
    member: str,
    rep: str,
    peers: set[str],
    ids: list[str],
    words: Words,
    furniture: dict[str, list[tuple[int, int]]],
) -> Shared:
    """What ``member`` shares with its representative and its ``peers``: the scan aligned
    each member with the representative only, so they are compared word by word over their
    whole texts (outside furniture); the edges list the member's passages ``ids``."""
    whole = PassageCluster(
        ids[0], "", tuple(Witness(d, 0, WHOLE) for d in sorted({member, rep, *peers}))
    )
    found = shared_outside([whole], words, furniture)[member]
    for c in found.passages:
        found.passages[c] = list(ids)
    return found


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
