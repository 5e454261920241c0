"""Records and results shared by every stage.

Offsets are half-open ``[start, end)`` Python ``str`` indices into a document's **original**
text, as read from its file, so ``record.text[start:end]`` is the passage exactly as printed.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, fields
from typing import Any

import numpy as np

from dedup.config import Config
from dedup.errors import printable

#: ``progress(stage, done, total)``: called as a stage advances (for a progress bar).
ProgressFn = Callable[[str, int, int], None]


@dataclass(frozen=True, slots=True)
class Record:
    """One article as read from the input.

    ``outlet``, ``date``, ``url`` and ``title`` are None when the input does not say them;
    nothing is guessed. ``date`` is an ISO 8601 date (``2016-12-10``) or date-time as given.
    ``source`` is where the record was read, ``path:line``. ``extra`` holds the input's other
    fields (JSONL keys, CSV columns) so that a cleaned corpus can be written back with them.
    """

    id: str
    text: str
    outlet: str | None = None
    date: str | None = None
    url: str | None = None
    title: str | None = None
    source: str = ""
    extra: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class Reject:
    """A record that was not used, with where it was and why."""

    source: str
    reason: str
    id: str | None = None

    def __str__(self) -> str:
        return f"{printable(self.source)}: {self.reason}"


@dataclass(frozen=True, slots=True)
class Witness:
    """One occurrence of a reused passage: ``doc``'s original text ``[start, end)``."""

    doc: str
    start: int
    end: int


@dataclass(frozen=True, slots=True)
class Alignment:
    """A verified reused passage between two documents.

    ``a_start``/``a_end`` index document ``a``'s original text, ``b_start``/``b_end``
    document ``b``'s. ``matched_words`` counts words copied exactly (the rest of the span
    is small edits inside the passage); ``words_a``/``words_b`` count the words in each span.
    ``reuse_kind`` says how ``b``'s span reuses ``a``'s: ``exact`` (every word equal, in
    order), ``edited`` (in order, with words substituted, inserted or deleted) or
    ``reordered`` (pieces in a different order in the two texts);
    ``substituted_words`` counts the words aligned to a different word (near-equal ones,
    an OCR-like error, included), ``inserted_words`` the words of ``b`` facing nothing in
    ``a``, ``deleted_words`` the words of ``a`` facing nothing in ``b``.
    ``cluster`` is the id of the passage cluster the alignment belongs to.
    """

    a: str
    a_start: int
    a_end: int
    b: str
    b_start: int
    b_end: int
    words_a: int
    words_b: int
    matched_words: int
    reuse_kind: str = "exact"
    substituted_words: int = 0
    inserted_words: int = 0
    deleted_words: int = 0
    cluster: str = ""


@dataclass(frozen=True, slots=True)
class PassageCluster:
    """One reused text and every place it occurs.

    A quote carried by three outlets is one cluster with three witnesses; a body repeated
    inside one document gives two witnesses in the same ``doc``. ``text`` is the passage as
    printed by the representative witness (the longest one). ``reuse_kind`` is the most
    changed :attr:`Alignment.reuse_kind` of the alignments that make the cluster
    (``exact`` < ``edited`` < ``reordered``).
    """

    id: str
    text: str
    witnesses: tuple[Witness, ...]
    reuse_kind: str = "exact"

    @property
    def docs(self) -> tuple[str, ...]:
        return tuple(sorted({w.doc for w in self.witnesses}))


@dataclass(frozen=True, slots=True)
class Pair:
    """Two documents that share copy, with exact measures.

    ``jaccard`` and ``containment_a``/``containment_b`` are computed exactly on the two
    shingle sets (containment_a = |A ∩ B| / |A|). ``reused_words_a`` is the number of words of
    ``a`` inside passages shared with ``b``; ``reused_fraction_a`` is that over all words of
    ``a``; ``copied_words_a`` counts only the words of those passages copied exactly (not the
    edited ones between them). ``near_duplicate`` is true when ``jaccard`` reaches the
    configured threshold.
    """

    a: str
    b: str
    words_a: int
    words_b: int
    reused_words_a: int
    reused_words_b: int
    reused_fraction_a: float
    reused_fraction_b: float
    copied_words_a: int
    copied_words_b: int
    jaccard: float
    containment_a: float
    containment_b: float
    near_duplicate: bool
    alignments: tuple[Alignment, ...]


@dataclass(frozen=True, slots=True)
class GroupMember:
    """A member of a copy group and how it differs from the group's representative.

    ``jaccard`` is the exact Jaccard of the two shingle sets, ``containment`` the share of
    the member's shingles found in the representative; ``alignments`` are the passages it
    shares with the representative (``a`` the representative, ``b`` the member), with the
    offsets in each, so that what the member changed is what lies outside them.
    ``copied_words`` counts the member's words copied exactly from the representative (as
    ``Pair.copied_words_b`` of the pair would).
    """

    doc: str
    words: int
    jaccard: float
    containment: float
    alignments: tuple[Alignment, ...]
    copied_words: int = 0


@dataclass(frozen=True, slots=True)
class CopyGroup:
    """Documents carried many times over: exact copies (``exact``: the same words), or
    near-duplicates of the representative (see :mod:`dedup.copies`).

    The pairs among the members are not written one by one: ``implied_pairs`` counts them.
    ``members`` holds every member but the representative.
    """

    id: str
    representative: str
    exact: bool
    words: int
    implied_pairs: int
    members: tuple[GroupMember, ...]


@dataclass(frozen=True, slots=True)
class DocumentInfo:
    """One document of a scan and how much of it is reused.

    ``reused_words`` counts its words inside passages shared with other documents;
    ``repeated_words`` the words of second (third, …) copies of text it repeats itself.
    """

    id: str
    words: int
    chars: int
    reused_words: int
    repeated_words: int
    outlet: str | None
    date: str | None
    source: str


@dataclass(frozen=True)
class ScanResult:
    """Everything a scan found.

    Attributes
    ----------
    documents : tuple of DocumentInfo, sorted by id
    pairs : tuple of Pair, sorted by (a, b)
    passages : tuple of PassageCluster, sorted by id order (``p1``, ``p2``, …)
    rejects : records that were not scanned, with the reason
    signatures : ndarray of uint32, shape (n_docs, num_perm)
        MinHash signature of each document (rows in ``documents`` order).
    counts : dict of str to int
    seconds : dict of str to float
        Wall time per stage (not written to run.json, which must not change between runs).
    spilled : bool
        The corpus was held on disk a batch at a time (:func:`dedup.api.scan`).
    resumed : tuple of str
        Finished stages of an interrupted run that were reused.
    groups : tuple of CopyGroup
        Copy groups (:mod:`dedup.copies`), in order of their representatives. A pair with a
        representative stands for the same pair with each member of its group; the pairs
        among the members are implied (``counts["pairs_implied_by_groups"]``). Empty when
        the scan expanded them (``expand_pairs``) or found none.
    """

    config: Config
    documents: tuple[DocumentInfo, ...]
    pairs: tuple[Pair, ...]
    passages: tuple[PassageCluster, ...]
    rejects: tuple[Reject, ...]
    signatures: np.ndarray
    counts: dict[str, int] = field(default_factory=dict)
    seconds: dict[str, float] = field(default_factory=dict)
    spilled: bool = False
    resumed: tuple[str, ...] = ()
    groups: tuple[CopyGroup, ...] = ()

    def replace(self, **changes: Any) -> ScanResult:
        """A copy with ``changes`` (dataclasses.replace)."""
        return dataclasses.replace(self, **changes)

    def columns(self, table: str = "pairs") -> dict[str, list[Any]]:
        """One of the result's flat tables, as columns (a name to a list of values).

        Parameters
        ----------
        table : str
            One of :data:`SCAN_TABLES`.
            ``pairs``: one row a linked pair (its measures; ``passages`` counts its
            alignments); ``alignments``: one row a passage two documents share, with the
            offsets in each; ``passages``: one row a reused text (``docs``: how many
            documents carry it); ``witnesses``: one row a place a passage occurs;
            ``documents``: one row a document scanned; ``rejects``: one row a record not
            scanned; ``groups``: one row a member of a copy group other than its
            representative (the group, its representative, whether it is of exact copies,
            and the member's measures against the representative).
        """
        if table not in SCAN_TABLES:
            raise ValueError(f"table must be one of {', '.join(SCAN_TABLES)}, got {table!r}")
        if table == "pairs":
            rows = [{**_scalars(pair), "passages": len(pair.alignments)} for pair in self.pairs]
        elif table == "alignments":
            rows = [{**_scalars(a), "passage": a.cluster} for p in self.pairs for a in p.alignments]
            for row in rows:
                del row["cluster"]
        elif table == "passages":
            rows = [
                {
                    "id": c.id,
                    "text": c.text,
                    "docs": len(c.docs),
                    "witnesses": len(c.witnesses),
                    "reuse_kind": c.reuse_kind,
                }
                for c in self.passages
            ]
        elif table == "witnesses":
            rows = [{"passage": c.id, **_scalars(w)} for c in self.passages for w in c.witnesses]
        elif table == "documents":
            rows = [_doc_named(_scalars(doc)) for doc in self.documents]
        elif table == "groups":
            rows = [
                {
                    "group": g.id,
                    "representative": g.representative,
                    "exact": g.exact,
                    **_scalars(m),
                    "passages": len(m.alignments),
                }
                for g in self.groups
                for m in g.members
            ]
        else:
            rows = [_doc_named(_scalars(reject)) for reject in self.rejects]
        names = _TABLE_COLUMNS[table]
        return {name: [row[name] for row in rows] for name in names}

    def to_arrow(self, table: str = "pairs") -> Any:
        """:meth:`columns` as a ``pyarrow.Table`` (the columns keep their names and order)."""
        import pyarrow as pa

        return pa.table(self.columns(table))

    def to_pandas(self, table: str = "pairs") -> Any:
        """:meth:`columns` as a ``pandas.DataFrame`` (needs pandas installed)."""
        try:
            import pandas as pd
        except ImportError:
            raise ImportError("to_pandas needs pandas: pip install pandas") from None
        return pd.DataFrame(self.columns(table))


def _scalars(item: Any) -> dict[str, Any]:
    """The fields of a record dataclass that hold one value (not a tuple of others)."""
    return {
        f.name: getattr(item, f.name)
        for f in fields(item)
        if not isinstance(getattr(item, f.name), tuple)
    }


def _doc_named(row: dict[str, Any]) -> dict[str, Any]:
    """``row`` with its document id under ``doc``, the name every output gives it."""
    return {("doc" if name == "id" else name): value for name, value in row.items()}


def _doc_names(names: list[str]) -> list[str]:
    return ["doc" if name == "id" else name for name in names]


SCAN_TABLES = ("pairs", "alignments", "passages", "witnesses", "documents", "rejects", "groups")
_TABLE_COLUMNS = {
    "pairs": [
        *(f.name for f in fields(Pair) if f.name != "alignments"),
        "passages",
    ],
    "alignments": [
        *(f.name for f in fields(Alignment) if f.name != "cluster"),
        "passage",
    ],
    "passages": ["id", "text", "docs", "witnesses", "reuse_kind"],
    "witnesses": ["passage", *(f.name for f in fields(Witness))],
    "documents": _doc_names([f.name for f in fields(DocumentInfo)]),
    "rejects": _doc_names([f.name for f in fields(Reject)]),
    "groups": [
        "group",
        "representative",
        "exact",
        *(f.name for f in fields(GroupMember) if f.name != "alignments"),
        "passages",
    ],
}


@dataclass(frozen=True, slots=True)
class Cut:
    """Text removed from a document: original ``[start, end)``, the text, and why.

    ``reason`` is ``self-duplicate``, ``comments``, ``boilerplate:<rule>`` or
    ``duplicate-of:<id>``.
    """

    doc: str
    start: int
    end: int
    reason: str
    text: str


@dataclass(frozen=True, slots=True)
class CleanedDocument:
    """A document after cleaning; ``text`` is the original with every cut removed.

    ``duplicate_of`` names the kept document when this one was dropped as a near-duplicate
    (then ``text`` is empty and one cut covers the whole original).
    """

    record: Record
    text: str
    cuts: tuple[Cut, ...]
    duplicate_of: str | None = None


@dataclass(frozen=True, slots=True)
class DuplicateDrop:
    """A document dropped as a near-duplicate of a kept one, with the pair's scores: the
    share of each one's words copied exactly from the other, and their shingle Jaccard."""

    dropped: str
    kept: str
    jaccard: float
    copied_fraction_dropped: float
    copied_fraction_kept: float


@dataclass(frozen=True)
class CleanResult:
    """Every document (sorted by id) with its cuts, and the near-duplicates dropped."""

    config: Config
    documents: Sequence[CleanedDocument]
    duplicates: tuple[DuplicateDrop, ...]
    rejects: tuple[Reject, ...]
    counts: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class StoriesResult:
    """Story groups (``dedup.clustering.StoryGroup``, each holding its events) and the
    fitted clusterer."""

    config: Config
    clusterer: Any
    stories: tuple[Any, ...]
    rejects: tuple[Reject, ...]
    counts: dict[str, int] = field(default_factory=dict)

    @property
    def events(self) -> tuple[Any, ...]:
        """Every event (``dedup.events.EventGroup``) of every story, in order of id."""
        found = [event for story in self.stories for event in story.events]
        return tuple(sorted(found, key=lambda e: int(e.id[1:])))


@dataclass(frozen=True, slots=True)
class Evidence:
    """One observation behind a chain edge.

    ``kind`` is ``date``, ``credit``, ``agency``, ``containment`` or ``shared-edit``;
    ``favours`` is the id of the document (or ``inferred:<passage>`` node) it points to as the
    source, or None when it orders nothing (same day, no credit); ``detail`` says it in
    words a person can check ("000 dated 2016-12-07, 001 dated 2016-12-10").
    """

    kind: str
    favours: str | None
    detail: str


@dataclass(frozen=True, slots=True)
class ChainEdge:
    """Who carried whose copy: ``source`` → ``target``.

    ``source`` is a document id, or ``inferred:<passage id>`` for a common source that the
    evidence cannot name (both copies of an unseen wire original, same day, no credit):
    then ``directed`` is False and the edge says only that ``target`` carries that copy.
    ``passages`` are the passage cluster ids the edge rests on; ``reused_words`` counts the
    words of ``target`` inside them; ``confidence`` in [0, 1] is how strongly the evidence
    supports this direction.
    """

    source: str
    target: str
    directed: bool
    confidence: float
    passages: tuple[str, ...]
    reused_words: int
    evidence: tuple[Evidence, ...]


@dataclass(frozen=True, slots=True)
class ArticleReuse:
    """How much of one article is reused, from whom, and what is its own.

    ``sources`` holds ``(source, words)`` for each document or common source it took copy
    from, most words first; ``original_words`` = ``words`` − ``reused_words``.
    """

    doc: str
    outlet: str | None
    date: str | None
    words: int
    reused_words: int
    reused_fraction: float
    original_words: int
    sources: tuple[tuple[str, int], ...]
    credits: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class OutletReuse:
    """One outlet's copy: its documents and words, and ``(source outlet, words)`` taken
    from each source (``common source`` for copy from an unnamed common original)."""

    outlet: str
    documents: int
    words: int
    reused_words: int
    reused_fraction: float
    sources: tuple[tuple[str, int], ...]


@dataclass(frozen=True)
class ChainsResult:
    """Syndication chains over a scan: edges, per-article and per-outlet tables."""

    config: Config
    scan: ScanResult
    edges: tuple[ChainEdge, ...]
    articles: tuple[ArticleReuse, ...]
    outlets: tuple[OutletReuse, ...]
    counts: dict[str, int] = field(default_factory=dict)
    #: ``boilerplate`` or ``reuse`` per passage id of ``scan.passages``: boilerplate
    #: (an outlet's furniture, comment forms, teasers, tag lists) never makes an edge.
    passage_kinds: dict[str, str] = field(default_factory=dict)
    #: Pairs of the scan (``(a, b)``, sorted) whose only shared text is boilerplate.
    boilerplate_pairs: tuple[tuple[str, str], ...] = ()
