"""The HTML report: one self-contained static page a person can check by eye.

Renders only. Every figure on the page comes from a :class:`~dedup.types.ScanResult`,
:class:`~dedup.types.StoriesResult` and :class:`~dedup.types.ChainsResult`; this module
reshapes them for the page (document indexes, UTF-16 offsets for the browser, a fixed
layout for the chain graph) and computes no measure of its own.

The page opens without a network: CSS, JavaScript and SVG are inline. The overview (counts,
the short lists and the outlet chart) is rendered by the template and paints before any script
runs. Stories, pairs, graphs and the search are drawn by the page's script from data embedded
(:mod:`dedup.report_pages`): an index of what the lists and the search need, JSON parsed when
the page opens, and compressed packs of article texts and of pair and story details, each
inflated only when one of its blocks is opened, so a 100,000-article report opens about as
fast as a small one.

Escaping: the template environment escapes every expression (``autoescape=True``); the index
goes through Jinja's ``tojson`` (``<``, ``>``, ``&`` and ``'`` become ``\\u003c`` …) and the
packs are base64, so no text can close its ``<script>`` block; and the script puts article
text into the page with ``textContent`` only, never as markup. Only ``http``/``https`` URLs
become links, with ``rel="noopener noreferrer"``.
"""

from __future__ import annotations

import base64
import hashlib
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import numpy as np
from jinja2 import Environment, PackageLoader, StrictUndefined
from markupsafe import Markup

from dedup import __version__
from dedup.atomic import atomic_write
from dedup.edit_marks import changed_words
from dedup.outputs import OutputSet, output_names
from dedup.report_groups import ReportGroup, report_groups, star_pairs
from dedup.report_labels import (
    COMMON_PREFIX,
    UNKNOWN,
    common_source_labels,
    edge_sentence,
    edges_by_target,
    headline,
    name_ids,
    pair_verdict,
)
from dedup.report_layout import NO_OUTLET, layout_graph, outlet_bars
from dedup.report_pages import (
    PACK_KINDS,
    PACK_TYPE,
    pack_blocks,
    split_index,
    top_links,
    top_stories,
)
from dedup.types import ChainsResult, Pair, Record, Reject, ScanResult, StoriesResult
from dedup.writers import write_rejects

#: Above this many nodes the corpus-wide chain graph is not drawn (each story has its own).
GRAPH_NODE_LIMIT = 300
#: Rows of the stories and pairs lists per page.
PAGE_SIZE = 25


def environment() -> Environment:
    """The template environment: every expression escaped, undefined names an error, and
    ``tojson`` with sorted keys (so the same result renders to the same bytes)."""
    env = Environment(
        loader=PackageLoader("dedup", "templates"),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.policies["json.dumps_kwargs"] = {
        "sort_keys": True,
        "ensure_ascii": False,
        "separators": (",", ":"),
    }
    return env


def safe_href(url: str | None) -> str | None:
    """``url`` when it is an absolute ``http``/``https`` URL with a host, else None.

    ``javascript:``, ``data:``, relative and protocol-relative URLs, and anything carrying
    whitespace or control characters, are shown as text only.
    """
    if not url or any(ch.isspace() or ord(ch) < 0x20 or ord(ch) == 0x7F for ch in url):
        return None
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
        return None
    return url


def utf16_offsets(text: str, offsets: Sequence[int]) -> list[int]:
    """Python ``str`` offsets into ``text`` as UTF-16 code-unit offsets (JavaScript's).

    A character beyond the Basic Multilingual Plane (an emoji, a rare CJK ideograph) is one
    Python index but two JavaScript ones; without this, a highlight after it would be shifted.
    """
    if not offsets:
        return []
    if not text or text.isascii() or max(text) <= "\uffff":
        return [int(k) for k in offsets]
    code_points = np.frombuffer(text.encode("utf-32-le"), dtype=np.uint32)
    units = np.zeros(len(code_points) + 1, dtype=np.int64)
    np.cumsum(np.where(code_points > 0xFFFF, 2, 1), out=units[1:])
    return units[np.asarray(offsets, dtype=np.int64)].tolist()


@dataclass(frozen=True)
class _Docs:
    """The report's documents in id order, and where each one sits."""

    ids: list[str]
    position: dict[str, int]
    records: dict[str, Record]


def _documents(
    records: Iterable[Record], scan: ScanResult, stories: StoriesResult
) -> tuple[_Docs, dict[str, Any]]:
    by_id: dict[str, Record] = {}
    for record in records:
        by_id.setdefault(record.id, record)
    ids = sorted({d.id for d in scan.documents} | {m for s in stories.stories for m in s.members})
    return _Docs(ids, {doc_id: k for k, doc_id in enumerate(ids)}, by_id), {
        d.id: d for d in scan.documents
    }


def report_data(
    records: Iterable[Record],
    scan: ScanResult,
    stories: StoriesResult,
    chains: ChainsResult,
) -> dict[str, Any]:
    """Everything the page shows, as JSON-ready values.

    Returns a dict with ``index`` (documents, pairs, stories, edges, graph layouts, for the
    page's script), ``texts`` (``(document index, text)`` for each document in a pair, each
    embedded in its own block and parsed when needed), ``summary`` and ``outlets`` (rendered
    by the template itself).
    """
    docs, infos = _documents(records, scan, stories)
    groups = report_groups(scan)
    group_of = {doc: number for number, group in enumerate(groups) for doc in group.docs}
    story_of: dict[str, int] = {}
    ordered_stories = sorted(stories.stories, key=lambda s: (-len(s.members), s.id))
    for number, story in enumerate(ordered_stories):
        for member in story.members:
            story_of[member] = number
    articles = {a.doc: a for a in chains.articles}
    commons = common_source_labels(chains)
    edges_of = edges_by_target(chains)
    boilerplate = set(chains.boilerplate_pairs)

    compared: ChangedCache = {}
    pair_rows: list[dict[str, Any]] = []
    pairs_of: dict[int, list[int]] = defaultdict(list)
    with_text: set[int] = set()
    # a copy group's members each with its representative, to show the two side by side
    pairs = sorted([*scan.pairs, *star_pairs(scan)], key=lambda p: (p.a, p.b))
    for number, pair in enumerate(pairs):
        a, b = docs.position[pair.a], docs.position[pair.b]
        text_a, text_b = docs.records[pair.a].text, docs.records[pair.b].text
        marks_a = [(x.a_start, x.a_end, x.cluster) for x in pair.alignments]
        marks_b = [(x.b_start, x.b_end, x.cluster) for x in pair.alignments]
        story_a, story_b = story_of.get(pair.a, -1), story_of.get(pair.b, -1)
        verdict = pair_verdict(chains, pair.a, pair.b, docs.records, commons, edges_of, boilerplate)
        pair_rows.append(
            {
                "a": a,
                "b": b,
                "words_a": pair.words_a,
                "words_b": pair.words_b,
                "reused_a": pair.reused_words_a,
                "reused_b": pair.reused_words_b,
                "fraction_a": round(pair.reused_fraction_a, 4),
                "fraction_b": round(pair.reused_fraction_b, 4),
                "jaccard": round(pair.jaccard, 4),
                "near_duplicate": pair.near_duplicate,
                # distinct passages, as the terminal and the passage ids of pairs.jsonl count
                "passages": len({x.cluster for x in pair.alignments}),
                "marks_a": _marks(text_a, marks_a),
                "marks_b": _marks(text_b, marks_b),
                **_changed_marks(pair, text_a, text_b, compared),
                "story": story_a if story_a == story_b else -1,
                # a pair inside a copy group is the group's: not listed on its own
                "group": group_of.get(pair.a, -1)
                if group_of.get(pair.a, -1) == group_of.get(pair.b, -2)
                else -1,
                "verdict": {
                    "kind": verdict.kind,
                    "text": verdict.text,
                    "evidence": list(verdict.evidence),
                },
            }
        )
        pairs_of[a].append(number)
        pairs_of[b].append(number)
        with_text.update((a, b))

    doc_rows = []
    for k, doc_id in enumerate(docs.ids):
        record = docs.records.get(doc_id)
        info = infos.get(doc_id)
        article = articles.get(doc_id)
        doc_rows.append(
            {
                "id": doc_id,
                "outlet": record.outlet if record else None,
                "date": record.date if record else None,
                "title": record.title if record else None,
                "headline": headline(record),
                "url": record.url if record else None,
                "href": safe_href(record.url) if record else None,
                "words": info.words if info else 0,
                "reused": info.reused_words if info else 0,
                "reused_fraction": round(article.reused_fraction, 4) if article else None,
                "sources": [list(s) for s in article.sources] if article else [],
                "credits": list(article.credits) if article else [],
                "story": story_of.get(doc_id, -1),
                "group": group_of.get(doc_id, -1),
                "pairs": pairs_of.get(k, []),
            }
        )

    edge_rows = [
        {
            "source": edge.source,
            "target": edge.target,
            "directed": edge.directed,
            "confidence": round(edge.confidence, 4),
            "passages": list(edge.passages),
            "words": edge.reused_words,
            "text": edge_sentence(edge, docs.records, commons),
            "evidence": [
                {"kind": e.kind, "favours": e.favours, "detail": name_ids(e.detail, docs.records)}
                for e in edge.evidence
            ],
        }
        for edge in chains.edges
    ]
    edges_into: dict[str, list[int]] = defaultdict(list)
    for number, edge in enumerate(chains.edges):
        edges_into[edge.target].append(number)
        if not edge.source.startswith(COMMON_PREFIX):
            edges_into[edge.source].append(number)

    story_rows = []
    for story in ordered_stories:
        members = sorted(docs.position[m] for m in story.members)
        member_ids = set(story.members)
        story_edges = sorted(
            {
                e
                for m in story.members
                for e in edges_into.get(m, [])
                if _inside(chains, e, member_ids)
            }
        )
        story_rows.append(
            {
                "id": story.id,
                "label": story.label,
                "title": story.title,
                "first_date": story.first_date,
                "last_date": story.last_date,
                "members": members,
                "pairs": sorted({p for m in members for p in pairs_of.get(m, [])}),
                "graph": layout_graph(
                    [docs.ids[m] for m in members], story_edges, chains, docs.position, doc_rows
                )
                if story_edges
                else None,
            }
        )

    corpus_graph = None
    linked = sorted({docs.ids[k] for k in range(len(docs.ids)) if docs.ids[k] in edges_into})
    shown = docs.ids if len(docs.ids) <= GRAPH_NODE_LIMIT else linked
    if chains.edges and len(shown) + len(commons) <= GRAPH_NODE_LIMIT:
        corpus_graph = layout_graph(
            shown, list(range(len(chains.edges))), chains, docs.position, doc_rows
        )

    outlets = {r["outlet"] for r in doc_rows if r["outlet"]}
    summary = {
        "documents": len(docs.ids),
        "outlets": len(outlets),
        "stories": len(stories.stories),
        "stories_with_several": sum(1 for s in stories.stories if len(s.members) > 1),
        # with copy groups, the pairs they stand for too (as the scan's summary counts them)
        "pairs": len(scan.pairs) + scan.counts.get("pairs_implied_by_groups", 0),
        "passages": len(scan.passages),
        "edges": len(chains.edges),
        "common_sources": len(commons),
        "rejected": len(scan.rejects),
        "graph_nodes": len(shown) + len(commons),
        "copy_groups": len(groups),
        "pairs_in_groups": sum(g.pairs for g in groups),
    }
    index = {
        "docs": doc_rows,
        "pairs": pair_rows,
        "stories": story_rows,
        "edges": edge_rows,
        "graph": corpus_graph,
        "page_size": PAGE_SIZE,
        "sources": commons,
        "groups": _group_rows(groups, docs.position, pair_rows, doc_rows),
        "unknown": UNKNOWN,
        "graph_node_limit": GRAPH_NODE_LIMIT,
    }
    texts = [(k, docs.records[docs.ids[k]].text) for k in sorted(with_text)]
    return {
        "index": index,
        "texts": texts,
        "summary": summary,
        "outlets": outlet_bars(chains),
    }


def _group_rows(
    groups: list[ReportGroup],
    position: dict[str, int],
    pair_rows: list[dict[str, Any]],
    doc_rows: list[dict[str, Any]],
) -> list[dict[str, Any]]:
    """Each copy group for the page: its representative, its members (document, Jaccard
    with the representative, the number of their pair or -1), its outlets (most copies
    first) and the number of pairs it stands for."""
    pair_of = {(row["a"], row["b"]): k for k, row in enumerate(pair_rows)}
    rows = []
    for group in groups:
        rep = position[group.representative]
        members = []
        for doc, jaccard in group.members:
            k = position[doc]
            members.append([k, round(jaccard, 4), pair_of.get((min(rep, k), max(rep, k)), -1)])
        carried: dict[str, int] = defaultdict(int)
        for doc in group.docs:
            carried[doc_rows[position[doc]]["outlet"] or NO_OUTLET] += 1
        rows.append(
            {
                "rep": rep,
                "members": members,
                "exact": group.exact,
                "implied": group.implied,
                "outlets": [o for o, _ in sorted(carried.items(), key=lambda c: (-c[1], c[0]))],
                "pairs": group.pairs,
            }
        )
    return rows


def _inside(chains: ChainsResult, edge_number: int, members: set[str]) -> bool:
    edge = chains.edges[edge_number]
    return edge.target in members and (
        edge.source.startswith(COMMON_PREFIX) or edge.source in members
    )


#: :func:`dedup.edit_marks.changed_words` of two texts, two spans and the reordered flag.
ChangedCache = dict[tuple[str, int, int, str, int, int, bool], Any]


def _changed_marks(
    pair: Pair, text_a: str, text_b: str, cache: ChangedCache | None = None
) -> dict[str, list[list[int]]]:
    """``changed_a``/``changed_b``: ``[start, end]`` (UTF-16 offsets, sorted) of the words
    of each text that differ from the other's inside the pair's edited or reordered
    passages (:func:`dedup.edit_marks.changed_words`). ``cache`` keeps each comparison by
    its texts and spans: copies of one wire story make the same comparison many times."""
    cache = {} if cache is None else cache
    spans_a: list[tuple[int, int]] = []
    spans_b: list[tuple[int, int]] = []
    for x in pair.alignments:
        if x.reuse_kind == "exact":
            continue
        reordered = x.reuse_kind == "reordered"
        key = (text_a, x.a_start, x.a_end, text_b, x.b_start, x.b_end, reordered)
        if key not in cache:
            cache[key] = changed_words(
                text_a,
                (x.a_start, x.a_end),
                text_b,
                (x.b_start, x.b_end),
                reordered=reordered,
            )
        changed_a, changed_b = cache[key]
        spans_a += changed_a
        spans_b += changed_b
    return {"changed_a": _spans16(text_a, spans_a), "changed_b": _spans16(text_b, spans_b)}


def _spans16(text: str, spans: list[tuple[int, int]]) -> list[list[int]]:
    spans = sorted(set(spans))
    flat = utf16_offsets(text, [k for span in spans for k in span])
    return [[flat[2 * i], flat[2 * i + 1]] for i in range(len(spans))]


def _marks(text: str, spans: list[tuple[int, int, str]]) -> list[list[Any]]:
    """``[start, end, passage id]`` per highlight, in UTF-16 offsets, sorted."""
    spans = sorted(set(spans))
    flat = utf16_offsets(text, [k for start, end, _ in spans for k in (start, end)])
    return [[flat[2 * i], flat[2 * i + 1], spans[i][2]] for i in range(len(spans))]


def render_report(
    records: Iterable[Record],
    scan: ScanResult,
    stories: StoriesResult,
    chains: ChainsResult,
    *,
    title: str = "dedup report",
) -> str:
    """The whole report page as one string of HTML (self-contained, deterministic)."""
    data = report_data(records, scan, stories, chains)
    index, blocks = split_index(data["index"])
    blocks["text"] = data.pop("texts")
    packs: list[tuple[str, str]] = []
    index["packs"] = {}
    for kind in PACK_KINDS:
        index["packs"][kind], packed = pack_blocks(kind, blocks[kind])
        packs += packed
    data.update(
        index=index,
        packs=packs,
        pack_type=PACK_TYPE,
        top_stories=top_stories(data["index"]),
        top_links=top_links(data["index"]),
    )
    env = environment()
    script = page_script(env)
    digest = base64.b64encode(hashlib.sha256(script.encode("utf-8")).digest()).decode("ascii")
    template = env.get_template("report.html.j2")
    return template.render(
        title=title, version=__version__, script=script, script_hash=f"sha256-{digest}", **data
    )


def page_script(env: Environment | None = None) -> Markup:
    """The page's own script (a file of this package, not data), marked safe so that the
    template does not escape its quotes; the Content-Security-Policy lets only it run."""
    env = env or environment()
    assert env.loader is not None
    source, _, _ = env.loader.get_source(env, "report.js")
    if "</script" in source.lower():  # pragma: no cover - a mistake in report.js itself
        raise ValueError("report.js must not contain </script")
    return Markup(source)


def write_report(
    html: str,
    out_dir: str | Path,
    *,
    rejects: Sequence[Reject] = (),
    warnings: Sequence[Reject] = (),
    run: dict[str, Any] | None = None,
    output_format: str = "jsonl",
) -> dict[str, int]:
    """Write ``report.html``, ``rejects.jsonl`` (in ``output_format``) and, last,
    ``run.json`` into ``out_dir`` as one set (see :mod:`dedup.outputs`); return rows (or
    bytes, for the page) written per file. ``run["inputs"]``, when given, are the inputs no
    output may replace."""
    encoded = html.encode("utf-8")
    inputs = (run or {}).get("inputs", ())
    names = output_names("report", output_format=output_format)
    rejects_name = names[1]
    with OutputSet(out_dir, names, inputs=inputs) as output:
        with atomic_write(output.path("report.html"), "wb") as handle:
            handle.write(encoded)
        rows = {
            "report.html": len(encoded),
            rejects_name: write_rejects(
                output.path(rejects_name), rejects, warnings, output_format
            ),
        }
        output.write_run(
            {
                "tool": "dedup",
                "version": __version__,
                "command": "report",
                **(run or {}),
                "outputs": rows,
            }
        )
    return rows


def report_run(
    config: Any,
    title: str,
    scan: ScanResult,
    stories: Any,
    chains: Any,
    *,
    inputs: Sequence[str] = (),
    read_options: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """What run.json records of a report: its inputs, settings and the counts of each job."""
    return {
        "inputs": list(inputs),
        "read_options": read_options or {},
        "title": title,
        "config": config.to_dict(),
        "config_digest": config.digest(),
        "counts": {"scan": scan.counts, "stories": stories.counts, "chains": chains.counts},
    }
