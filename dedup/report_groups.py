"""Copy groups as the report shows them: one row for a story carried many times over.

A wire story run by a thousand outlets is one copy group (:mod:`dedup.copies`), and the report
shows it as one row with its outlets, not as the pairs among its copies. When the scan grouped
its copies (``ScanResult.groups``) those groups are used as they are. The report's own scan
keeps every pair (the chains read them all), so there a group is found the way
:mod:`dedup.copies` finds near groups, from the pairs: documents linked by pairs whose shingle
Jaccard reaches :data:`~dedup.copies.NEAR_GROUP_JACCARD`, a component of at least
:data:`~dedup.copies.MIN_GROUP_DOCS` of them, around the member linked to most others (ties:
the smallest id), keeping the members whose own pair with it reaches that Jaccard. The pairs
between two members of a group are then the group's, and are not listed one by one.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from dedup.copies import MIN_GROUP_DOCS, NEAR_GROUP_JACCARD
from dedup.types import ScanResult


@dataclass(frozen=True)
class ReportGroup:
    """A copy group: its representative, its other members with their shingle Jaccard
    against it (sorted by id), and whether every member has the representative's words."""

    representative: str
    members: tuple[tuple[str, float], ...]
    exact: bool

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
            found.append(ReportGroup(representative, members, all(j == 1.0 for _, j in members)))
    return found
