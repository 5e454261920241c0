"""Near-duplicates that ``clean --drop-duplicates`` collapses: which documents are dropped,
and against which kept one, from the scans of the cleaned texts.

Two cleaned documents are near-duplicates when at least ``duplicate_copied`` of the words of
each are copied exactly from the other, so that dropping one loses little (or, for items too
short for passages, when their shingle Jaccard reaches it). The earliest document (by date,
then id; undated last) is kept, and each other one is dropped against the earliest kept
document it is a near-duplicate of, never through a chain.

Copies come as groups (:mod:`dedup.copies`), each member measured against its group's
representative, here its earliest document: so a story carried a thousand times costs a
thousand measures, not half a million pairs. A near group's member that is no near-duplicate
of the representative (a copy cut to three quarters of the story is still in the group) is
a *stray*: the strays are scanned again on their own, and take their pairs and groups from
that scan. A stray is thus measured against the other strays, not against documents outside
its group: to be a near-duplicate of one of those, it would have to be nearly as like the
representative as the group's other members are.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Sequence

from dedup.config import Config
from dedup.types import CopyGroup, DuplicateDrop, GroupMember, Pair, Record, ScanResult

#: Scans of strays after the first: the last one forms exact groups only (no strays).
STRAY_ROUNDS = 2

#: ``scan(ids, near)``: the scan of the cleaned documents with words (of the ``ids`` only,
#: or of all when None), copies grouped around their earliest document (near groups too
#: when ``near``).
ScanFn = Callable[[set[str] | None, bool], ScanResult]


def duplicate_drops(
    scan: ScanFn, records: Sequence[Record], config: Config
) -> dict[str, DuplicateDrop]:
    """The documents dropped as near-duplicates, by id (see the module's notes), from
    ``scan`` and every cleaned document's record (for its date and id)."""
    result = scan(None, True)
    scans = [(result, strays(result, config))]
    for round_ in range(STRAY_ROUNDS):
        again = scans[-1][1]
        if not again:
            break
        result = scan(again, round_ + 1 < STRAY_ROUNDS)
        scans.append((result, strays(result, config)))
    return near_duplicate_drops(scans, records, config)


def strays(result: ScanResult, config: Config) -> set[str]:
    """The members of near groups that are no near-duplicates of their representative."""
    found: set[str] = set()
    for group in result.groups:
        if group.exact:
            continue
        members = {m.doc: m for m in group.members}
        for member in group.members:
            if (
                _against_kept(
                    group, members, member.doc, group.representative, config.duplicate_copied
                )
                is None
            ):
                found.add(member.doc)
    return found


def near_duplicate_drops(
    scans: Sequence[tuple[ScanResult, set[str]]], records: Sequence[Record], config: Config
) -> dict[str, DuplicateDrop]:
    """The documents dropped as near-duplicates, by id, from the scans of the cleaned texts
    (see :func:`duplicate_drops`), each with its strays (:func:`strays`), and every
    cleaned document's record (for its date and id).

    A pair with a copy group's representative stands for the same pair with each member. In
    a group, each member is dropped for the group's kept document: an exact copy always,
    a near copy (a group of near-duplicates, whose representative is its earliest document:
    ``representative_key=keep_order``) when its own measures against the representative
    reach ``duplicate_copied``, as the pair would. The members that do not (the strays of
    :func:`strays`) take their pairs and groups from the next scan, of them alone."""
    near: dict[str, dict[str, Pair]] = defaultdict(dict)
    group_of: dict[str, CopyGroup] = {}
    member_of: dict[str, GroupMember] = {}
    for result, stray in scans:
        for pair in result.pairs:
            copied = min(pair.copied_words_a / pair.words_a, pair.copied_words_b / pair.words_b)
            if copied >= config.duplicate_copied or pair.jaccard >= config.duplicate_copied:
                near[pair.a][pair.b] = pair
                near[pair.b][pair.a] = pair
        for group in result.groups:
            group_of[group.representative] = group
            for member in group.members:
                if member.doc in stray:  # its own pairs, from the next scan
                    group_of.pop(member.doc, None)
                else:
                    group_of[member.doc] = group
                    member_of[member.doc] = member
    keeper: dict[str, str] = {}  # group (its representative: ids differ between scans) → kept
    order = sorted(records, key=keep_order)
    rank = {r.id: k for k, r in enumerate(order)}
    kept: set[str] = set()
    dropped: dict[str, DuplicateDrop] = {}
    for record in order:
        doc_id = record.id
        own_group = group_of.get(doc_id)
        me = own_group.representative if own_group else doc_id  # whose pairs are this document's
        partners = []
        for other, pair in sorted(near.get(me, {}).items()):
            other_group = group_of.get(other)
            if other_group is not None:  # the pair stands for one with the own_group's keeper
                other = keeper.get(other_group.representative, "")
            if other in kept:
                copied_a = pair.copied_words_a / pair.words_a
                copied_b = pair.copied_words_b / pair.words_b
                mine, theirs = (copied_a, copied_b) if pair.a == me else (copied_b, copied_a)
                partners.append((rank[other], other, pair.jaccard, mine, theirs))
        if own_group is not None and own_group.representative in keeper:
            kept_id = keeper[own_group.representative]
            measured = _against_kept(own_group, member_of, doc_id, kept_id, config.duplicate_copied)
            if measured is not None:
                partners.append((rank[kept_id], kept_id, *measured))
        if not partners:
            kept.add(doc_id)
            if own_group is not None:
                keeper[own_group.representative] = doc_id
            continue
        _, kept_id, jaccard, mine, theirs = min(partners)
        dropped[doc_id] = DuplicateDrop(doc_id, kept_id, jaccard, mine, theirs)
    return dropped


def keep_order(record: Record) -> tuple[bool, str, str]:
    """The order in which near-duplicates are kept: by date, then id; undated last."""
    return (record.date is None, record.date or "", record.id)


def _against_kept(
    group: CopyGroup, members: dict[str, GroupMember], doc: str, kept: str, least: float
) -> tuple[float, float, float] | None:
    """Jaccard and copied shares (``doc``'s, ``kept``'s) of a group's document with its kept
    one, from the members' measures against the representative (``members``: each
    member's record by id); None when a near copy's do not reach ``least``. Exact copies
    share everything, so any member's measures serve."""
    if group.exact:
        copy = group.members[0]
        share = copy.copied_words / copy.words
        return copy.jaccard, share, share
    if kept == group.representative:
        member, member_is_doc = members[doc], True
    elif doc == group.representative:
        member, member_is_doc = members[kept], False
    else:  # neither is the representative: each measured against it, not one another
        member, member_is_doc = members[doc], True
    own = member.copied_words / member.words
    rep = member.copied_words / group.words  # exactly copied words are as many on each side
    if min(own, rep) < least and member.jaccard < least:
        return None
    return (member.jaccard, own, rep) if member_is_doc else (member.jaccard, rep, own)
