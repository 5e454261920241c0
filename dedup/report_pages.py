"""What the report page parses when it opens, and what it parses only when asked.

A report of 100,000 articles cannot parse everything before it answers: the page would wait
for tens of megabytes of JSON. :func:`split_index` cuts the index of
:func:`dedup.html.report_data` in two. What the lists and the search need (each article's
outlet, date and headline; each pair's counts; each story's members) stays in the index,
parsed once. The detail of a pair (its highlights and its verdict), of a story (its chain
graph and the edges drawn in it) and each article text are loaded on demand.

:func:`pack_blocks` holds those on-demand blocks compressed: consecutive blocks of one kind
(``text``, ``pair``, ``story``) go into packs of about :data:`PACK_BYTES` of JSON, each
deflated (zlib) and base64-encoded in a ``<script type="application/x-dedup-pack">`` block;
the index lists the first key of each pack, so the page finds a block's pack by a binary
search and inflates only that pack (the browser's ``DecompressionStream``) when the block is
first opened. The index is plain JSON (``tojson``), parsed when the page opens: inflating it
first cost more than it saved (in Chromium, inflating a large index took longer than parsing
it). :func:`unpack_index` and
:func:`unpack_page` read them back (for tests and benchmarks).

:func:`top_stories` and :func:`top_links` are the overview's short lists, rendered by the
template itself, so they paint before any script runs.
"""

from __future__ import annotations

import base64
import json
import re
import zlib
from collections.abc import Sequence
from typing import Any

#: Fields of a pair row the pairs list and the stories need at once; the rest of the row (the
#: highlights, the verdict, anything added to the pair view) is parsed when the pair opens.
PAIR_SUMMARY = frozenset(
    {
        "a",
        "b",
        "words_a",
        "words_b",
        "reused_a",
        "reused_b",
        "fraction_a",
        "fraction_b",
        "jaccard",
        "near_duplicate",
        "passages",
        "story",
        "group",
    }
)
#: Kinds of block loaded on demand: article texts (keyed by document number), pair details
#: (by pair number) and story details (by story number).
PACK_KINDS = ("text", "pair", "story")
#: Bytes of JSON (before compression) after which a pack is closed. Opening a pair inflates
#: at most three packs (two texts, one detail), so this bounds the work of opening one.
PACK_BYTES = 1 << 16
#: zlib level of the packs (the same level gives the same bytes).
PACK_LEVEL = 6
PACK_TYPE = "application/x-dedup-pack"
#: Lists of the index sent as tables (:func:`as_table`).
TABLES = ("docs", "pairs", "stories")
#: Fields of a story row in the index (what the pairs and the copy groups need to count and
#: link); its title, terms and dates are in its block, with its graph, as the list shows 25.
STORY_SUMMARY = frozenset({"id", "members", "pairs"})
#: Fields of a document row in the index (its ``title`` is in its ``headline``; its pairs are
#: found from the pairs).
DOC_SUMMARY = frozenset(
    {
        "id",
        "outlet",
        "date",
        "headline",
        "url",
        "href",
        "words",
        "reused",
        "reused_fraction",
        "sources",
        "credits",
        "story",
        "group",
    }
)
#: Rows of each of the overview's short lists.
TOP_ROWS = 10
#: Outlets named per story in the overview's list.
STORY_OUTLETS = 4


def split_index(
    index: dict[str, Any],
) -> tuple[dict[str, Any], dict[str, list[tuple[int, Any]]]]:
    """The index the page parses at once, and the ``(key, value)`` blocks it loads on
    demand, by kind: ``pair`` (one per pair) and ``story`` (one per story: its title, terms
    and dates, and its graph when it has one).

    The light index keeps ``edges`` only for the corpus-wide graph (a dict from edge
    number to its row); each story block carries the edges its own graph draws.
    """
    edges = index["edges"]
    blocks: dict[str, list[tuple[int, Any]]] = {"pair": [], "story": []}
    pairs = []
    for number, row in enumerate(index["pairs"]):
        pairs.append({key: value for key, value in row.items() if key in PAIR_SUMMARY})
        detail = {key: value for key, value in row.items() if key not in PAIR_SUMMARY}
        blocks["pair"].append((number, detail))
    stories = []
    for number, row in enumerate(index["stories"]):
        stories.append({key: value for key, value in row.items() if key in STORY_SUMMARY})
        detail = {key: value for key, value in row.items() if key not in STORY_SUMMARY}
        if row["graph"]:
            detail["edges"] = edges_of(row["graph"], edges)
        else:
            del detail["graph"]
        blocks["story"].append((number, detail))
    graph = index["graph"]
    light = {
        **index,
        "docs": as_table([{k: v for k, v in d.items() if k in DOC_SUMMARY} for d in index["docs"]]),
        "pairs": as_table(pairs),
        "stories": as_table(stories),
        "edges": edges_of(graph, edges) if graph else {},
    }
    return light, blocks


def as_table(rows: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """Rows of the same keys as ``{"columns": [key, …], "rows": [[value, …], …]}``: each key
    once, not once a row (a third of the index at 100,000 articles)."""
    columns = sorted(rows[0]) if rows else []
    return {"columns": columns, "rows": [[row[name] for name in columns] for row in rows]}


def from_table(table: dict[str, Any]) -> list[dict[str, Any]]:
    """The rows of :func:`as_table` back as dicts."""
    return [dict(zip(table["columns"], row, strict=True)) for row in table["rows"]]


def _json(value: Any) -> str:
    return json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def pack_blocks(
    kind: str, blocks: Sequence[tuple[int, Any]], pack_bytes: int = PACK_BYTES
) -> tuple[list[int], list[tuple[str, str]]]:
    """``blocks`` (``(key, value)``, keys ascending) in compressed packs.

    Returns the first key of each pack (what the page searches) and the packs as
    ``(block id, base64 of the deflated JSON object {key: value})``, ids ``<kind>-<n>``.
    """
    starts: list[int] = []
    packs: list[tuple[str, str]] = []
    entries: list[str] = []
    size = 0

    def close() -> None:
        raw = ("{" + ",".join(entries) + "}").encode("utf-8")
        packs.append(
            (f"{kind}-{len(packs)}", base64.b64encode(zlib.compress(raw, PACK_LEVEL)).decode())
        )
        entries.clear()

    for key, value in blocks:
        if not entries:
            starts.append(key)
            size = 0
        entry = f'"{key}":{_json(value)}'
        entries.append(entry)
        size += len(entry)
        if size >= pack_bytes:
            close()
    if entries:
        close()
    return starts, packs


def _deflated(raw: str) -> str:
    return base64.b64encode(zlib.compress(raw.encode("utf-8"), PACK_LEVEL)).decode("ascii")


def _unpacked(packed: str) -> Any:
    return json.loads(zlib.decompress(base64.b64decode(packed)).decode("utf-8"))


def unpack_index(page: str) -> dict[str, Any]:
    """The index of a page (``<script … id="report-index">``), as its script reads it (the
    tables as lists of dicts)."""
    found = re.search(r'<script type="application/json" id="report-index">([^<]*)</script>', page)
    if found is None:
        raise ValueError("the page has no report-index block")
    index: dict[str, Any] = json.loads(found[1])
    for name in TABLES:
        index[name] = from_table(index[name])
    return index


_PACK = re.compile(
    r'<script type="' + re.escape(PACK_TYPE) + r'" id="([a-z]+)-\d+">([^<]*)</script>'
)


def unpack_page(page: str) -> dict[str, dict[int, Any]]:
    """Every block of a page's packs, by kind and key: what the page's script inflates."""
    found: dict[str, dict[int, Any]] = {kind: {} for kind in PACK_KINDS}
    for match in _PACK.finditer(page):
        blocks = _unpacked(match[2])
        found.setdefault(match[1], {}).update({int(k): v for k, v in blocks.items()})
    return found


def edges_of(graph: dict[str, Any], edges: list[dict[str, Any]]) -> dict[str, Any]:
    """The rows of the edges a graph draws, by edge number (a JSON object key)."""
    return {str(e["edge"]): edges[e["edge"]] for e in graph["edges"]}


def top_stories(index: dict[str, Any], rows: int = TOP_ROWS) -> list[dict[str, Any]]:
    """The largest stories of several articles (the index lists them largest first)."""
    docs = index["docs"]
    found: list[dict[str, Any]] = []
    for number, story in enumerate(index["stories"]):
        if len(found) == rows or len(story["members"]) < 2:
            break
        outlets: list[str] = []
        for member in story["members"]:
            outlet = docs[member]["outlet"]
            if outlet and outlet not in outlets:
                outlets.append(outlet)
        found.append(
            {
                "href": f"#story/{number}",
                "title": story["title"] or story["label"],
                "articles": len(story["members"]),
                "pairs": len(story["pairs"]),
                "outlets": ", ".join(outlets[:STORY_OUTLETS])
                + (", …" if len(outlets) > STORY_OUTLETS else ""),
            }
        )
    return found


def top_links(index: dict[str, Any], rows: int = TOP_ROWS) -> list[dict[str, Any]]:
    """The chain edges carrying the most words, each with its sentence and a link to the
    pair it rests on (or, for a common source, to the story of the article carrying it)."""
    docs = index["docs"]
    position = {doc["id"]: k for k, doc in enumerate(docs)}
    pair_of = {(p["a"], p["b"]): k for k, p in enumerate(index["pairs"])}
    ranked = sorted(range(len(index["edges"])), key=lambda n: (-index["edges"][n]["words"], n))
    found: list[dict[str, Any]] = []
    for number in ranked[:rows]:
        edge = index["edges"][number]
        target = position[edge["target"]]
        source = position.get(edge["source"])
        pair = None
        if source is not None:
            pair = pair_of.get((min(source, target), max(source, target)))
        story = docs[target]["story"]
        href = f"#pair/{pair}" if pair is not None else f"#story/{story}" if story >= 0 else None
        found.append({"href": href, "text": edge["text"], "words": edge["words"]})
    return found
