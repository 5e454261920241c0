"""What the report page parses when it opens, and what it parses only when asked.

A report of 100,000 articles cannot parse everything before it answers: the page would wait
for tens of megabytes of JSON. :func:`split_index` cuts the index of
:func:`dedup.html.report_data` in two. What the lists and the search need (each article's
outlet, date and headline; each pair's counts; each story's members) stays in the index,
parsed once. The detail of a pair (its highlights and its verdict) and of a story (its chain
graph and the edges drawn in it) goes into a ``<script type="application/json">`` block of
its own, parsed when that pair or story is opened, as the article texts already are.

:func:`top_stories` and :func:`top_links` are the overview's short lists, rendered by the
template itself, so they paint before any script runs.
"""

from __future__ import annotations

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
    }
)
#: Rows of each of the overview's short lists.
TOP_ROWS = 10
#: Outlets named per story in the overview's list.
STORY_OUTLETS = 4


def split_index(index: dict[str, Any]) -> tuple[dict[str, Any], list[tuple[str, Any]]]:
    """The index the page parses at once, and the ``(block id, value)`` blocks it parses on
    demand: ``pair-<k>`` per pair, ``story-<k>`` per story with a chain graph.

    The light index keeps ``edges`` only for the corpus-wide graph (a dict from edge
    number to its row); each story block carries the edges its own graph draws.
    """
    edges = index["edges"]
    blocks: list[tuple[str, Any]] = []
    pairs = []
    for number, row in enumerate(index["pairs"]):
        pairs.append({key: value for key, value in row.items() if key in PAIR_SUMMARY})
        detail = {key: value for key, value in row.items() if key not in PAIR_SUMMARY}
        blocks.append((f"pair-{number}", detail))
    stories = []
    for number, row in enumerate(index["stories"]):
        stories.append({key: value for key, value in row.items() if key != "graph"})
        if row["graph"]:
            graph = row["graph"]
            blocks.append((f"story-{number}", {"graph": graph, "edges": edges_of(graph, edges)}))
    graph = index["graph"]
    light = {
        **index,
        "pairs": pairs,
        "stories": stories,
        "edges": edges_of(graph, edges) if graph else {},
    }
    return light, blocks


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
