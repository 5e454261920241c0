"""Direct parents: for every article that carries copy, the version it was taken from.

The chains are a forest. For a *target* article, the candidates are the articles it shares
reused passages with; each covers some of the target's words (those inside passages both
carry). The decision, in order:

1. **Order.** A candidate can be the source only when it is not after the target:
   a wire agency's own article comes before the outlets that carry it (``agency``), an
   earlier date or time comes first (``date``), and on one day without times an outlet
   that re-publishes other outlets' copy comes after one that does not (``outlet``, learnt
   below; not for a rewrite, 2b). Otherwise the two are *unordered*.
2. **Containment.** A copy holds only what its source holds, and carries its source's
   changes: a candidate that covers all the target shares with another (up to :data:`SLACK`
   words, fewer than it adds) and at least :data:`MARGIN` words more, between the other's
   first and last shared word, is closer, and the other's copy reached the target through
   it. Words are compared one by one, so one changed word shows; words inside an outlet's
   furniture (a footer, a share line) are not compared. Such an explained candidate makes
   no edge and is kept as ``via`` evidence. Of the candidates no other explains, ordered
   ones come first, then agency articles (other outlets' articles first when the target's
   outlet re-publishes), then outlets that do not re-publish, then the most words covered,
   then the earliest; the first is the parent (a second parent for a rewrite of two
   sources, tried on the dev split, joined more siblings than it found copies).
2b. **Rewrites** (a copy whose candidates cover under :data:`PART_SHARE` of its words
   that can be shared, first occurrences outside furniture: a few passages among its own
   text). The word just before or after another candidate's shared words counts too: a
   taken paragraph that ends with a subscriber's "says" for the wire's "said" carries that
   subscriber's change. When earlier outlets' articles hold exactly the words the rewrite
   shares (none of them decided to descend from another), the text cannot tell which it
   took them from: it hangs from their common source, the agency's article (which holds
   the same words, or which they all explain), and the evidence names them. An outlet's
   article carrying changes the rewrite carries comes first even on one day without
   times, and the rewrite's outlet's re-publishing habit neither directs it nor puts
   another outlet's article before it on one day without times.
3. **Common sources.** Two copies of one source get no edge between them. An unordered
   parent, a parent only dated first (neither is an agency article, the target's outlet is
   not known to re-publish, and the parent does not explain an agency article among the
   candidates: the date says which came first, not that one took from the other; when it
   does explain one, the target carries the parent's changes to the agency's text and the
   edge is directed, ``edits``), a copy whose outlet takes its copy straight from the wire
   when the wire's article is absent, and a copy with an agency credit line whose only
   candidates are other outlets all hang from one *inferred common source* per connected
   set of such copies (``inferred:<first passage id>``, undirected), with the reason on the
   edge. A rewrite that carries an outlet's changes to the agency's text (2b), one of them
   a word no other candidate shares with it, hangs from that outlet's article even when it
   prints a credit line: the agency's article lacks the change, and no other outlet made
   it alike.

**Outlet habits** are learnt from the corpus before any decision (:func:`learn_habits`):
of an outlet's copies with one agency article among their candidates, a copy took from the
wire when no candidate explains the agency's article, and from another outlet when a
candidate dated before it does. An outlet that took from the wire in at least
:data:`HABIT_SHARE` of at least :data:`HABIT_MIN` such copies *takes from the wire*; one
that took from other outlets in at least :data:`REPUBLISH_SHARE` of them *re-publishes*.
A copy whose outlet takes from the wire has the agency's article as its source, unless it
is a few passages among its own text (under :data:`PART_SHARE` of its words) carrying an
earlier outlet article's changes to the agency's text. The thresholds were set on the dev
split of ``benchmarks/syndication.py``.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field

import numpy as np

from dedup.carriers import Carrier, Words, compare_dates, order_key, passage_order
from dedup.copy_words import Shared, compared_whole, shared_outside
from dedup.types import PassageCluster

#: Words a candidate may miss of what another covers and still explain it.
SLACK = 1
#: Words a candidate must cover beyond another to be closer.
MARGIN = 1
#: Cases (and share of them) that make an outlet's habit.
HABIT_MIN = 3
HABIT_SHARE = 0.8
#: Share of an outlet's counted copies taken from another outlet that makes it a
#: re-publisher (a copy of the wire that holds no outlet's change counts as "from the wire"
#: even from a re-publisher, so the bar is lower; set on the dev split).
REPUBLISH_SHARE = 0.4
#: Share of its words below which a copy is a few passages among the article's own text.
PART_SHARE = 0.6
INFERRED_PREFIX = "inferred:"
WIRE = "takes from the wire"
REPUBLISHER = "re-publishes"


@dataclass(frozen=True, slots=True)
class Habit:
    """How an outlet's copies were taken when the agency's article was in the corpus."""

    kind: str | None  # WIRE, REPUBLISHER or None
    from_wire: int
    cases: int


@dataclass(frozen=True, slots=True)
class Parent:
    """One decided source of a target: a document, or an inferred node (``source`` None
    until the inferred node is named)."""

    source: str | None
    directed: bool
    reason: str  # what orders it (agency, date, outlet) or why it is undirected
    via: tuple[str, ...]  # candidates whose copy it explains
    rivals: tuple[str, ...]  # candidates no other explains but not taken
    alike: tuple[str, ...] = ()  # hung from their common source: they hold the same words


def order(c: Carrier, d: Carrier, habits: dict[str | None, Habit]) -> tuple[int, str | None]:
    """+1 when ``c`` comes before ``d``, -1 when after, 0 when unordered; and by what."""
    if bool(c.agency) != bool(d.agency):
        return (1 if c.agency else -1), "agency"
    by_date = compare_dates(c.date, d.date)
    if by_date:
        return -by_date, "date"
    hc, hd = habits.get(c.outlet), habits.get(d.outlet)
    kind_c = hc.kind if hc else None
    kind_d = hd.kind if hd else None
    if kind_d == REPUBLISHER and kind_c != REPUBLISHER:
        return 1, "outlet"
    if kind_c == REPUBLISHER and kind_d != REPUBLISHER:
        return -1, "outlet"
    return 0, None


def _explains(a: np.ndarray, b: np.ndarray, edge: bool = False, gain: int = 0) -> bool:
    """``a`` covers all ``b`` covers (up to SLACK words, and fewer than it adds) and at least
    MARGIN words more between ``b``'s first and last covered word (``edge``: or the word
    just before or after them). ``gain``: how many more of its own words ``b``'s candidate
    holds that the copy left out than ``a``'s does (see :attr:`Shared.gaps`); each counts
    as a word more for ``a``, each one fewer as a word less."""
    missing = int(np.count_nonzero(b & ~a))
    # words beyond b's first and last shared word show where b's passage ends, not an edit
    lo, hi = int(b.argmax()), len(b) - int(b[::-1].argmax())
    if edge:
        # a few paragraphs among the copy's own text: where a changed word ends b's run and
        # the copy's own text begins, that word is the change (a paragraph's last "says")
        lo, hi = max(0, lo - 1), min(len(b), hi + 1)
    extra = int(np.count_nonzero(a[lo:hi] & ~b[lo:hi])) + gain
    return missing <= SLACK and extra >= MARGIN and extra > missing


def _gain(shared: Shared, b: str, a: str) -> int:
    """How many more of its own words candidate ``b`` holds that the copy left out than
    candidate ``a`` does (:attr:`Shared.gaps`)."""
    return shared.gaps.get(b, 0) - shared.gaps.get(a, 0)


def _unexplained(
    pool: Sequence[str],
    masks: dict[str, np.ndarray],
    edge: bool = False,
    gaps: dict[str, int] | None = None,
) -> list[str]:
    """The candidates no other explains. Candidates covering the same words and leaving
    out as many of their own (``gaps``) never explain each other, so each distinct coverage
    is tested once, against those covering at least as many words (only they can explain
    it)."""
    gaps = gaps or {}
    by_cover: dict[tuple[bytes, int], list[str]] = defaultdict(list)
    for c in pool:
        by_cover[(np.packbits(masks[c]).tobytes(), gaps.get(c, 0))].append(c)
    covers = [
        (int(np.count_nonzero(masks[cs[0]])), masks[cs[0]], gap, cs)
        for (_, gap), cs in by_cover.items()
    ]
    covers.sort(key=lambda item: (-item[0], item[2]))
    out: list[str] = []
    for k, (size, mask, gap, members) in enumerate(covers):
        rivals = ((m, g) for s, m, g, _ in covers[:k] + covers[k + 1 :] if s >= size)
        if not any(_explains(other, mask, edge, gap - g) for other, g in rivals):
            out.extend(members)
    rank = {c: k for k, c in enumerate(pool)}
    return sorted(out, key=rank.__getitem__)


def _is_part(masks: dict[str, np.ndarray], pool: Sequence[str], countable: int = 0) -> bool:
    """The candidates cover less than :data:`PART_SHARE` of the copy's ``countable`` words
    (all its words when 0): it is a few passages among its own text (a rewrite)."""
    cover = np.zeros(len(next(iter(masks.values()))), dtype=bool)
    for c in pool:
        cover |= masks[c]
    return bool(np.count_nonzero(cover) < PART_SHARE * (countable or len(cover)))


def _carries_changes(
    c: str,
    masks: dict[str, np.ndarray],
    pool: Sequence[str],
    orders: dict[str, tuple[int, str | None]],
    docs: dict[str, Carrier],
) -> bool:
    """Another outlet's article ``c``, dated before the copy, that explains every agency
    article among the candidates (a changed word at the edge of a passage counts): the
    copy's passages carry its changes to the agency's text."""
    if docs[c].agency or orders[c][0] <= 0:
        return False
    agency = [a for a in pool if docs[a].agency and orders[a][0] > 0]
    return bool(agency) and all(_explains(masks[c], masks[a], True) for a in agency)


def _edited_part(
    countable: int,
    masks: dict[str, np.ndarray],
    pool: Sequence[str],
    orders: dict[str, tuple[int, str | None]],
    docs: dict[str, Carrier],
) -> bool:
    """A few passages among the copy's own text (:func:`_is_part`) that carry an earlier
    outlet's changes (:func:`_carries_changes`), whatever the copy's outlet's habit."""
    return _is_part(masks, pool, countable) and any(
        _carries_changes(c, masks, pool, orders, docs) for c in pool
    )


def _common_source(
    first: str,
    top: Sequence[str],
    masks: dict[str, np.ndarray],
    pool: Sequence[str],
    orders: dict[str, tuple[int, str | None]],
    docs: dict[str, Carrier],
    decided: dict[str, list[tuple[str, str]]],
    gaps: dict[str, int] | None = None,
) -> tuple[str | None, tuple[str, ...]] | None:
    """When other outlets' articles dated before the copy hold exactly the words it shares
    with ``first``, the text cannot tell which it took: their common source (the agency's
    article, or None when no agency article among the candidates is) and the alike
    candidates, but not one ``decided`` to descend from another
    alike one (a scraper of the subscriber: the subscriber is their common source).
    ``gaps``: :attr:`Shared.gaps` (alike candidates left out as many of their words)."""
    gaps = gaps or {}
    group = [
        c
        for c in top
        if c == first
        or (
            orders[c][0] > 0
            and np.array_equal(masks[c], masks[first])
            and gaps.get(c, 0) == gaps.get(first, 0)
        )
    ]

    def ancestors(c: str) -> set[str]:
        seen: set[str] = set()
        stack = [c]
        while stack:
            for up, _ in decided.get(stack.pop(), ()):
                if up not in seen:
                    seen.add(up)
                    stack.append(up)
        return seen

    roots = [c for c in group if not ancestors(c) & set(group)]
    if first not in roots:
        return None
    alike = [c for c in roots if c != first]
    if not alike or docs[first].agency:
        return None
    agency = [c for c in alike if docs[c].agency]
    if len(agency) == 1:  # the agency's article holds the same words: it is their source
        return agency[0], tuple(sorted(c for c in (first, *alike) if c != agency[0]))
    agency = [
        a
        for a in pool
        if docs[a].agency
        and orders[a][0] > 0
        and all(
            _explains(masks[c], masks[a], True, gaps.get(a, 0) - gaps.get(c, 0))
            for c in (first, *alike)
        )
    ]
    if len(agency) != 1:  # no agency article is their common source: none is named
        return None, tuple(sorted((first, *alike)))
    return agency[0], tuple(sorted((first, *alike)))


def _alone(c: str, masks: dict[str, np.ndarray]) -> bool:
    """``c`` shares with the copy a word no other candidate shares with it (a change only
    ``c`` made: no other outlet made it alike)."""
    others = [m for o, m in masks.items() if o != c]
    held = np.logical_or.reduce(others) if others else np.zeros_like(masks[c])
    return bool(np.any(masks[c] & ~held))


def choose(
    d: Carrier,
    shared: Shared,
    docs: dict[str, Carrier],
    habits: dict[str | None, Habit],
    credited: bool,
    decided: dict[str, list[tuple[str, str]]] | None = None,
) -> Parent | None:
    """The direct parent of ``d`` (or the reason it hangs from an inferred source), or None
    when no candidate comes before it. ``credited``: ``d`` prints an agency credit line;
    ``decided``: the directed parents of the articles decided before it."""
    orders = {c: order(docs[c], d, habits) for c in shared.masks}
    pool = [c for c, (o, _) in orders.items() if o >= 0]
    masks = shared.masks
    habit = habits.get(d.outlet)
    wire_habit = habit is not None and habit.kind == WIRE
    part = bool(pool) and not d.agency and _is_part(masks, pool, shared.countable)
    if part:
        # a rewrite is no re-publication: its outlet's habit of re-publishing does not put
        # another outlet's article before it on one day without times
        for c in pool:
            if orders[c] == (1, "outlet"):
                orders[c] = (0, None)
        # a rewrite carrying an outlet's changes to the agency's text took them from that
        # outlet's article, even on one day without times (a whole copy is not taken
        # from a few paragraphs among another's own text)
        agency = [a for a in pool if docs[a].agency and orders[a][0] > 0]
        for c in pool:
            if (
                orders[c][0] == 0
                and not docs[c].agency
                and agency
                and all(_explains(masks[c], masks[a], True) for a in agency)
            ):
                orders[c] = (1, "edits")
    if (
        wire_habit
        and not d.agency
        and not _edited_part(shared.countable, masks, pool, orders, docs)
    ):
        agency = [c for c in pool if docs[c].agency and orders[c][0] > 0]
        if not agency:
            return Parent(None, False, "wire-habit", (), ())
        pool = agency
    if not pool:
        return None
    top = _unexplained(pool, masks, part, shared.gaps) or list(
        pool
    )  # a cycle of near-ties: all stay
    # a rewrite is no re-publication: its outlet's habit says nothing of its passages
    republishes = bool(habit and habit.kind == REPUBLISHER) and not part

    def republisher(c: str) -> bool:
        found = habits.get(docs[c].outlet)
        return bool(found and found.kind == REPUBLISHER)

    top.sort(
        key=lambda c: (
            orders[c][0] <= 0,
            bool(docs[c].agency) == republishes,  # a re-publisher takes from an outlet
            republisher(c),  # and from the outlet that wrote it, not another re-publisher
            -int(np.count_nonzero(masks[c])),
            order_key(docs[c]),
        )
    )
    first = top[0]
    via = tuple(sorted(c for c in pool if c not in top))
    rivals = tuple(c for c in top[1:])
    o, by = orders[first]
    if o <= 0:
        return Parent(first, False, "unordered", via, rivals)
    if by == "date":
        common = _common_source(first, top, masks, pool, orders, docs, decided or {}, shared.gaps)
        if common is not None:
            # the passages carry changes two earlier outlets made alike: no text tells
            # which one the rewrite took them from, so it hangs from their common source
            source, alike = common
            if source is None:  # hangs with them from an inferred common source
                return Parent(first, False, "alike", via, rivals, alike)
            return Parent(source, True, "agency", via, rivals, alike)
    if (
        by == "date"
        and not docs[first].agency
        and not d.agency
        and (
            any(
                docs[c].agency and _explains(masks[first], masks[c], gain=_gain(shared, c, first))
                for c in pool
            )
            or (part and _carries_changes(first, masks, pool, orders, docs))
        )
    ):
        # the copy carries this outlet's changes to the agency's text: taken from it
        return Parent(first, True, "edits", via, rivals)
    if (
        credited
        and not docs[first].agency
        and not d.agency
        and by != "outlet"
        and not (by == "edits" and _alone(first, masks))
        and not republishes
    ):
        return Parent(first, False, "credit", via, rivals)
    if by == "date" and not docs[first].agency and not d.agency and not republishes:
        return Parent(first, False, "date-only", via, rivals)
    return Parent(first, True, by or "date", via, rivals)


def learn_habits(shared: dict[str, Shared], docs: dict[str, Carrier]) -> dict[str | None, Habit]:
    """Per outlet: of its copies with a wire agency's article among the candidates, how
    many took from it. A copy took from the wire when no candidate explains the agency's
    article (covers all it covers and more: the copy holds no other outlet's changes); from
    another outlet when a candidate dated before it does; other copies are not counted."""
    return habits_of(habit_cases(shared, docs))


def habit_cases(shared: dict[str, Shared], docs: dict[str, Carrier]) -> dict[str | None, list[int]]:
    """Per outlet, ``[copies taken from the wire, copies counted]`` (see
    :func:`learn_habits`); the counts of disjoint parts of a corpus add up."""
    counts: dict[str | None, list[int]] = defaultdict(lambda: [0, 0])
    for doc_id, found in shared.items():
        d = docs[doc_id]
        if d.agency or d.outlet is None:
            continue
        masks = found.masks
        wires = [c for c in masks if docs[c].agency]
        if len(wires) != 1:
            continue
        wire = masks[wires[0]]
        closer = [
            c
            for c in masks
            if c not in wires
            and compare_dates(docs[c].date, d.date) != 1  # a later article is no source
            and _explains(masks[c], wire)
        ]
        if not closer:
            counts[d.outlet][0] += 1
            counts[d.outlet][1] += 1
        elif any(compare_dates(docs[c].date, d.date) == -1 for c in closer):
            counts[d.outlet][1] += 1
    return counts


def habits_of(counts: dict[str | None, list[int]]) -> dict[str | None, Habit]:
    """Each outlet's habit from its :func:`habit_cases`."""
    habits = {}
    for outlet, (wire_count, cases) in counts.items():
        kind = None
        if cases >= HABIT_MIN and wire_count >= HABIT_SHARE * cases:
            kind = WIRE
        elif cases >= HABIT_MIN and cases - wire_count >= REPUBLISH_SHARE * cases:
            kind = REPUBLISHER
        habits[outlet] = Habit(kind, wire_count, cases)
    return habits


class _Union:
    def __init__(self) -> None:
        self.up: dict[str, str] = {}

    def find(self, x: str) -> str:
        self.up.setdefault(x, x)
        while self.up[x] != x:
            self.up[x] = self.up[self.up[x]]
            x = self.up[x]
        return x

    def join(self, a: str, b: str) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            self.up[max(ra, rb)] = min(ra, rb)


@dataclass(frozen=True, slots=True)
class Forest:
    """The decisions: directed parents per target, the inferred nodes' members, the reason
    each member hangs there, and the explained (via) candidates per target."""

    parents: dict[str, list[tuple[str, str]]]  # target -> [(source, reason)]
    inferred: dict[str, tuple[str, ...]]  # node id -> members
    hung: dict[str, str]  # member -> reason
    via: dict[str, tuple[str, ...]]
    habits: dict[str | None, Habit]
    rivals: dict[str, tuple[str, ...]]  # candidates as close as the parent, not taken
    # targets hung from the common source of candidates holding the same words: those
    alike: dict[str, tuple[str, ...]] = field(default_factory=dict)


def decide(
    passages: Sequence[PassageCluster],
    docs: dict[str, Carrier],
    words: Words,
    credited: dict[str, bool],
    furniture: dict[str, list[tuple[int, int]]] | None = None,
    habits: dict[str | None, Habit] | None = None,
    skip: Collection[str] = (),
    whole: dict[str, set[str]] | None = None,
) -> tuple[Forest, dict[str, Shared]]:
    """Every target's parents (see the module docstring). Words inside ``furniture`` (an
    outlet's footer, share lines: not copy) are not compared. ``habits`` are learnt from
    the passages unless given (learnt from the whole corpus when it is decided a part at a
    time). Documents in ``skip`` are candidates only (copy groups' members, decided apart).
    ``whole``: per target, candidates compared with it over their whole texts
    (:func:`dedup.copy_words.compared_whole`: copy groups' members and their
    representatives, which the scan aligned with each other only)."""
    shared = shared_outside(passages, words, furniture)
    for t, others in sorted((whole or {}).items()):
        again = sorted(others & set(shared[t].masks)) if t in shared else []
        if again:
            found = compared_whole(t, again, words, furniture)
            # words the passages hold (not a stray word of the target's own text)
            inside = np.logical_or.reduce(list(shared[t].masks.values()))
            for c in again:
                shared[t].masks[c] = found.masks[c] & inside
                shared[t].gaps[c] = found.gaps.get(c, 0)
    targets = sorted((t for t in shared if t not in skip), key=lambda t: order_key(docs[t]))
    if habits is None:
        habits = learn_habits({t: shared[t] for t in targets}, docs)
    parents: dict[str, list[tuple[str, str]]] = {}
    via: dict[str, tuple[str, ...]] = {}
    rivals: dict[str, tuple[str, ...]] = {}
    same_words: dict[str, tuple[str, ...]] = {}
    union = _Union()
    hung: dict[str, str] = {}
    for t in targets:
        parent = choose(docs[t], shared[t], docs, habits, credited[t], parents)
        if parent is None:
            continue
        via[t] = parent.via
        rivals[t] = parent.rivals
        if parent.alike:
            same_words[t] = parent.alike
        if parent.directed and parent.source is not None:
            parents[t] = [(parent.source, parent.reason)]
            continue
        hung[t] = parent.reason
        if parent.source is not None:
            union.join(t, parent.source)
            hung.setdefault(parent.source, parent.reason)
        else:  # wire habit, no agency article: join the copies of the same habit
            alike = [
                c
                for c in shared[t].masks
                if not docs[c].agency
                and (h := habits.get(docs[c].outlet)) is not None
                and h.kind == WIRE
            ]
            masks = shared[t].masks
            for c in alike or [max(masks, key=lambda c: (int(np.count_nonzero(masks[c])), c))]:
                union.join(t, c)
    members: dict[str, list[str]] = defaultdict(list)
    for t in hung:
        members[union.find(t)].append(t)
    inferred: dict[str, tuple[str, ...]] = {}
    for group in members.values():
        if len(group) < 2:
            for t in group:
                hung.pop(t)
            continue
        ids = [p for t in group for c in group if c != t for p in shared[t].passages.get(c, ())]
        if not ids:
            for t in group:
                hung.pop(t)
            continue
        node = INFERRED_PREFIX + min(ids, key=passage_order)
        inferred[node] = tuple(sorted(group, key=lambda t: order_key(docs[t])))
    return Forest(parents, inferred, hung, via, habits, rivals, same_words), shared
