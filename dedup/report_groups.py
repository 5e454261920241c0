"""Copy groups as the report shows them: one row for a story carried many times over.

A wire story run by a thousand outlets is one copy group (:mod:`dedup.copies`), and the report
shows it as one row with its outlets, not as the pairs among its copies. When the scan grouped
its copies (``ScanResult.groups``) those groups are used as they are, and each member's pair
with the representative is made from its measures (:func:`star_pairs`), so that the page can
open the two texts side by side. A scan that kept every pair (``--expand-pairs``) has no
groups; there a group is found the way :mod:`dedup.copies` finds near groups, from the pairs:
documents linked by pairs whose shingle Jaccard reaches
:data:`~dedup.copies.NEAR_GROUP_JACCARD`, a component of at least
:data:`~dedup.copies.MIN_GROUP_DOCS` of them, around the member linked to most others (ties:
the smallest id), keeping the members whose own pair with it reaches that Jaccard. The pairs
between two members of a group are then the group's, and are not listed one by one.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from dedup.copies import MIN_GROUP_DOCS, NEAR_GROUP_JACCARD
from dedup.types import Alignment, CopyGroup, GroupMember, Pair, ScanResult


@dataclass(frozen=True)
class ReportGroup:
    """A copy group: its representative, its other members with their shingle Jaccard
    against it (sorted by id), whether every member has the representative's words, the
    linked pairs among its documents it stands for, and whether an article's pair with the
    representative stands for its pair with every member (``implied``: the scan's groups)."""

    representative: str
    members: tuple[tuple[str, float], ...]
    exact: bool
    pairs: int
    implied: bool = False

    @property
    def docs(self) -> tuple[str, ...]:
        """The representative, then the other members."""
        return (self.representative, *(doc for doc, _ in self.members))


def report_groups(scan: ScanResult) -> list[ReportGroup]:
    """The scan's copy groups, largest first (then by representative)."""
    if scan.groups:
        found = [
            ReportGroup(
                g.representative,
                tuple(sorted((m.doc, m.jaccard) for m in g.members)),
                g.exact,
                g.implied_pairs,
                implied=True,
            )
            for g in scan.groups
        ]
    else:
        found = _groups_of_pairs(scan)
    return sorted(found, key=lambda g: (-len(g.members), g.representative))


def _groups_of_pairs(scan: ScanResult) -> list[ReportGroup]:
    close = [p for p in scan.pairs if p.jaccard >= NEAR_GROUP_JACCARD]
    parent: dict[str, str] = {}

    def root(doc: str) -> str:
        parent.setdefault(doc, doc)
        while parent[doc] != doc:
            parent[doc] = parent[parent[doc]]
            doc = parent[doc]
        return doc

    links: dict[str, dict[str, float]] = defaultdict(dict)
    for pair in close:
        links[pair.a][pair.b] = links[pair.b][pair.a] = pair.jaccard
        a, b = root(pair.a), root(pair.b)
        if a != b:
            parent[max(a, b)] = min(a, b)
    components: dict[str, list[str]] = defaultdict(list)
    for doc in sorted(links):
        components[root(doc)].append(doc)
    found = []
    for docs in components.values():
        if len(docs) < MIN_GROUP_DOCS:
            continue
        representative = min(docs, key=lambda d: (-len(links[d]), d))
        members = tuple(sorted(links[representative].items()))
        if len(members) + 1 >= MIN_GROUP_DOCS:
            inside = {representative, *(doc for doc, _ in members)}
            pairs = sum(1 for p in scan.pairs if p.a in inside and p.b in inside)
            exact = all(j == 1.0 for _, j in members)
            found.append(ReportGroup(representative, members, exact, pairs))
    return found


def star_pairs(scan: ScanResult) -> tuple[Pair, ...]:
    """Each copy group member's pair with the group's representative, from the member's
    measures and alignments against it (:class:`~dedup.types.GroupMember`), sorted by
    (a, b): the pairs a page needs to show a member beside its representative."""
    out = [_star_pair(g, m, scan.config.threshold) for g in scan.groups for m in g.members]
    return tuple(sorted(out, key=lambda p: (p.a, p.b)))


def _star_pair(group: CopyGroup, member: GroupMember, threshold: float) -> Pair:
    # containment of the representative's shingles in the member's, from the Jaccard and
    # the member's containment (|A ∩ B| / |A| = 1 / (1 / J + 1 - 1 / C_B))
    j, c_member = member.jaccard, member.containment
    c_rep = 1.0 / (1.0 / j + 1.0 - 1.0 / c_member) if j > 0 and c_member > 0 else 0.0
    reused_rep = sum(x.words_a for x in member.alignments)
    reused_member = sum(x.words_b for x in member.alignments)
    rep_first = group.representative < member.doc
    alignments = tuple(x if rep_first else _flipped(x) for x in member.alignments)
    sides = [
        (group.representative, group.words, reused_rep, member.copied_words, c_rep),
        (member.doc, member.words, reused_member, member.copied_words, c_member),
    ]
    (a, words_a, reused_a, copied_a, c_a), (b, words_b, reused_b, copied_b, c_b) = (
        sides if rep_first else sides[::-1]
    )
    return Pair(
        a=a,
        b=b,
        words_a=words_a,
        words_b=words_b,
        reused_words_a=reused_a,
        reused_words_b=reused_b,
        reused_fraction_a=reused_a / words_a if words_a else 0.0,
        reused_fraction_b=reused_b / words_b if words_b else 0.0,
        copied_words_a=copied_a,
        copied_words_b=copied_b,
        jaccard=j,
        containment_a=c_a,
        containment_b=c_b,
        near_duplicate=j >= threshold,
        alignments=alignments,
    )


def _flipped(x: Alignment) -> Alignment:
    return Alignment(
        a=x.b,
        a_start=x.b_start,
        a_end=x.b_end,
        b=x.a,
        b_start=x.a_start,
        b_end=x.a_end,
        words_a=x.words_b,
        words_b=x.words_a,
        matched_words=x.matched_words,
        reuse_kind=x.reuse_kind,
        substituted_words=x.substituted_words,
        inserted_words=x.deleted_words,
        deleted_words=x.inserted_words,
        cluster=x.cluster,
    )
