"""Files and terminal tables from result objects; nothing is computed here.

Every file is written atomically, and ``run.json`` last, so a folder with a ``run.json``
holds a complete run. Files hold no time stamps or timings: the same input and settings give
byte-identical files.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator, Sequence
from json.encoder import encode_basestring
from pathlib import Path
from typing import TYPE_CHECKING, Any

from dedup import __version__
from dedup.atomic import atomic_write
from dedup.formats import formatted_name, write_lines, write_rows
from dedup.outputs import OutputSet, output_names
from dedup.types import (
    Alignment,
    ArticleReuse,
    ChainEdge,
    ChainsResult,
    CopyGroup,
    DocumentInfo,
    OutletReuse,
    Pair,
    PassageCluster,
    Reject,
    ScanResult,
    StoriesResult,
)

if TYPE_CHECKING:  # networkx loads when a graph is written, not for every command
    import networkx as nx
    from rich.table import Table

# rich (the tables), dedup.syndication (the chains' records) and networkx load where they
# are used: writing a scan's files needs none of them (tests/test_startup.py)

FLOAT_DIGITS = 6
GROUPS_FILE = "groups.jsonl"  # written by a scan that found copy groups (beside run.json)


def pair_record(pair: Pair) -> dict[str, Any]:
    return {
        "a": pair.a,
        "b": pair.b,
        "words_a": pair.words_a,
        "words_b": pair.words_b,
        "reused_words_a": pair.reused_words_a,
        "reused_words_b": pair.reused_words_b,
        "reused_fraction_a": round(pair.reused_fraction_a, FLOAT_DIGITS),
        "reused_fraction_b": round(pair.reused_fraction_b, FLOAT_DIGITS),
        "copied_words_a": pair.copied_words_a,
        "copied_words_b": pair.copied_words_b,
        "jaccard": round(pair.jaccard, FLOAT_DIGITS),
        "containment_a": round(pair.containment_a, FLOAT_DIGITS),
        "containment_b": round(pair.containment_b, FLOAT_DIGITS),
        "near_duplicate": pair.near_duplicate,
        "passages": [alignment_record(a) for a in pair.alignments],
    }


def alignment_record(alignment: Alignment) -> dict[str, Any]:
    return {
        "passage": alignment.cluster,
        "a_start": alignment.a_start,
        "a_end": alignment.a_end,
        "b_start": alignment.b_start,
        "b_end": alignment.b_end,
        "words_a": alignment.words_a,
        "words_b": alignment.words_b,
        "matched_words": alignment.matched_words,
        "reuse_kind": alignment.reuse_kind,
        "substituted_words": alignment.substituted_words,
        "inserted_words": alignment.inserted_words,
        "deleted_words": alignment.deleted_words,
    }


def passage_record(passage: PassageCluster) -> dict[str, Any]:
    return {
        "id": passage.id,
        "text": passage.text,
        "docs": len(passage.docs),
        "witnesses": [{"doc": w.doc, "start": w.start, "end": w.end} for w in passage.witnesses],
        "reuse_kind": passage.reuse_kind,
    }


def group_record(group: CopyGroup) -> dict[str, Any]:
    """groups.jsonl: a copy group, its representative and how each member differs from it
    (its Jaccard, and the passages it shares with the representative: ``a`` offsets in the
    representative, ``b`` offsets in the member; what lies outside them is its own)."""
    return {
        "id": group.id,
        "representative": group.representative,
        "exact": group.exact,
        "docs": len(group.members) + 1,
        "words": group.words,
        "implied_pairs": group.implied_pairs,
        "members": [
            {
                "doc": m.doc,
                "words": m.words,
                "jaccard": round(m.jaccard, FLOAT_DIGITS),
                "containment": round(m.containment, FLOAT_DIGITS),
                "copied_words": m.copied_words,
                "passages": [alignment_record(a) for a in m.alignments],
            }
            for m in group.members
        ],
    }


def document_record(doc: DocumentInfo) -> dict[str, Any]:
    return {
        "doc": doc.id,
        "words": doc.words,
        "chars": doc.chars,
        "reused_words": doc.reused_words,
        "reused_fraction": round(doc.reused_words / doc.words, FLOAT_DIGITS) if doc.words else 0.0,
        "repeated_words": doc.repeated_words,
        "outlet": doc.outlet,
        "date": doc.date,
    }


def document_line(doc: DocumentInfo) -> str:
    """:func:`document_record` as its JSON line (without the newline), the same text the
    row writer makes of it (``tests/test_writers.py``), written straight from the fields:
    a scan writes one a document, and encoding a dict per document was most of the time of
    writing its files."""
    words, chars, reused, repeated = doc.words, doc.chars, doc.reused_words, doc.repeated_words
    outlet, date = doc.outlet, doc.date
    plain = (
        type(doc.id) is str
        and type(words) is int
        and type(chars) is int
        and type(reused) is int
        and type(repeated) is int
        and (outlet is None or type(outlet) is str)
        and (date is None or type(date) is str)
    )
    if not plain:  # a field of another type: the JSON encoder says what it makes of it
        return json.dumps(document_record(doc), ensure_ascii=False, separators=(",", ":"))
    fraction = round(reused / words, FLOAT_DIGITS) if words else 0.0
    return (
        f'{{"doc":{encode_basestring(doc.id)},"words":{words},"chars":{chars},'
        f'"reused_words":{reused},"reused_fraction":{fraction!r},'
        f'"repeated_words":{repeated},"outlet":{_json_text(outlet)},"date":{_json_text(date)}}}'
    )


def _json_text(value: str | None) -> str:
    return "null" if value is None else encode_basestring(value)


class JsonLines:
    """The rows of a file, iterated as records (dicts) for any output format, and given as
    their JSON lines by ``line`` when the format is JSON lines (:func:`write_row_files`)."""

    def __init__(
        self,
        items: Iterable[Any],
        record: Callable[[Any], dict[str, Any]],
        line: Callable[[Any], str],
    ) -> None:
        self.items, self.record, self.line = items, record, line

    def __iter__(self) -> Iterator[dict[str, Any]]:
        return map(self.record, self.items)

    def lines(self) -> Iterator[str]:
        return map(self.line, self.items)


def reject_record(reject: Reject) -> dict[str, Any]:
    return {"source": reject.source, "doc": reject.id, "reason": reject.reason}


def run_head(
    command: str, config: Any, inputs: Sequence[str], read_options: dict[str, Any] | None
) -> dict[str, Any]:
    """The first fields of every run.json: the tool, the command, its inputs and how they
    were read, and every setting."""
    return {
        "tool": "dedup",
        "version": __version__,
        "command": command,
        "inputs": list(inputs),
        "read_options": read_options or {},
        "config": config.to_dict(),
        "config_digest": config.digest(),
    }


def write_rejects(
    path: Path,
    rejects: Iterable[Reject],
    warnings: Iterable[Reject] = (),
    output_format: str = "jsonl",
) -> int:
    """rejects.jsonl (in ``output_format``): see :func:`reject_rows`."""
    return write_rows(path, reject_rows(rejects, warnings), output_format, "rejects")


def reject_rows(rejects: Iterable[Reject], warnings: Iterable[Reject]) -> list[dict[str, Any]]:
    """The rows of rejects.jsonl: every skipped record, then every warning (``"kept": true``)."""
    return [reject_record(r) for r in rejects] + [
        {**reject_record(w), "kept": True} for w in warnings
    ]


def write_row_files(
    output: OutputSet, files: dict[str, Iterable[dict[str, Any]]], output_format: str
) -> dict[str, int]:
    """Write each row file (named as in the default format: ``pairs.jsonl`` → its rows) in
    ``output_format``; return rows written per file, by the name written. Rows given as
    :class:`JsonLines` are written as their own lines in JSON lines."""
    rows = {}
    for name, records in files.items():
        written = formatted_name(name, output_format)
        kind = name.removesuffix(".jsonl")
        if output_format == "jsonl" and isinstance(records, JsonLines):
            rows[written] = write_lines(output.path(written), records.lines())
        else:
            rows[written] = write_rows(output.path(written), records, output_format, kind)
    return rows


def write_json(path: Path, value: Any) -> None:
    with atomic_write(path) as handle:
        json.dump(value, handle, ensure_ascii=False, indent=2, sort_keys=False)
        handle.write("\n")


def write_scan(
    result: ScanResult,
    out_dir: str | Path,
    *,
    inputs: Sequence[str] = (),
    read_options: dict[str, Any] | None = None,
    warnings: Sequence[Reject] = (),
    command: str = "scan",
    run_extra: dict[str, Any] | None = None,
    protected: Sequence[str] = (),
    output_format: str = "jsonl",
) -> dict[str, int]:
    """Write a scan's files into ``out_dir`` as one set (see :mod:`dedup.outputs`); return
    rows written per file. ``command`` and ``run_extra`` go into run.json (an index
    query's); no output may replace an input or a ``protected`` path (its index). Row
    files are written in ``output_format`` (see :mod:`dedup.formats`)."""
    names = output_names(command, output_format=output_format)
    bands, rows_per_band = result.config.bands, result.config.rows
    assert bands is not None and rows_per_band is not None  # set by Config
    if result.groups:  # only then: a scan without copy groups writes what it always did
        names = (*names[:-1], formatted_name(GROUPS_FILE, output_format), names[-1])
    with OutputSet(out_dir, names, inputs=[*inputs, *protected]) as output:
        files: dict[str, Iterable[dict[str, Any]]] = {
            "pairs.jsonl": map(pair_record, result.pairs),
            "passages.jsonl": map(passage_record, result.passages),
            "documents.jsonl": JsonLines(result.documents, document_record, document_line),
            "rejects.jsonl": reject_rows(result.rejects, warnings),
        }
        if result.groups:
            files[GROUPS_FILE] = map(group_record, result.groups)
        rows = write_row_files(output, files, output_format)
        output.write_run(
            {
                **run_head(command, result.config, inputs, read_options),
                "lsh": {
                    "bands": bands,
                    "rows": rows_per_band,
                    "permutations_used": bands * rows_per_band,
                    "scheme": "datasketch affine32",
                },
                "counts": result.counts,
                "outputs": rows,
                **(run_extra or {}),
            }
        )
    return rows


def summary_table(result: ScanResult, seconds: float) -> Table:
    from rich.table import Table

    counts = result.counts
    table = Table(title="dedup scan", show_header=False, title_justify="left")
    table.add_column("what")
    table.add_column("value", justify="right")
    table.add_row("documents read", f"{counts['documents']:,}")
    table.add_row("skipped", f"{counts['rejected']:,}")
    table.add_row("words", f"{counts['words']:,}")
    table.add_row("linked pairs", f"{counts['pairs']:,}")
    if counts.get("copy_groups"):
        table.add_row("copy groups", f"{counts['copy_groups']:,}")
        table.add_row("documents in copy groups", f"{counts['documents_in_copy_groups']:,}")
        table.add_row("pairs implied by groups", f"{counts['pairs_implied_by_groups']:,}")
    table.add_row("near-duplicate pairs", f"{counts['near_duplicate_pairs']:,}")
    table.add_row("reused passages", f"{counts['passages']:,}")
    table.add_row("documents repeating text", f"{counts['documents_with_repeats']:,}")
    table.add_row("time", f"{seconds:.2f} s")
    return table


def top_pairs_table(result: ScanResult, top: int, width: int = 80) -> Table:
    """The pairs sharing the most words; the longest passage is shown when ``width`` allows."""
    from rich import box
    from rich.table import Table

    ranked = sorted(
        result.pairs,
        key=lambda p: (-max(p.reused_words_a, p.reused_words_b), p.a, p.b),
    )[:top]
    table = Table(
        title=f"top linked pairs (of {len(result.pairs):,})",
        title_justify="left",
        box=box.SIMPLE_HEAD,
        pad_edge=False,
    )
    table.add_column("a ↔ b", no_wrap=True)
    table.add_column("pas-\nsages", justify="right", no_wrap=True)
    table.add_column("words\nreused", justify="right", no_wrap=True)
    table.add_column("%\nreused", justify="right", no_wrap=True)
    table.add_column("jac-\ncard", justify="right", no_wrap=True)
    pair_width = max((len(p.a) + len(p.b) + 3 for p in ranked), default=0)
    text_width = width - pair_width - 42
    show_text = text_width >= 24
    if show_text:
        table.add_column("longest passage", no_wrap=True, overflow="ellipsis", max_width=text_width)
    texts = {p.id: p.text for p in result.passages}
    for pair in ranked:
        row = [
            f"{pair.a} ↔ {pair.b}",
            str(len({a.cluster for a in pair.alignments})),  # distinct passages, as pairs.jsonl
            f"{pair.reused_words_a}/{pair.reused_words_b}",
            f"{100 * pair.reused_fraction_a:.0f}/{100 * pair.reused_fraction_b:.0f}",
            f"{pair.jaccard:.3f}",
        ]
        if show_text:
            longest = max(pair.alignments, key=lambda a: a.matched_words, default=None)
            row.append(
                _excerpt(texts.get(longest.cluster, ""), text_width)
                if longest
                else "(near-duplicate)"
            )
        table.add_row(*row)
    return table


def _excerpt(text: str, width: int = 60) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= width else flat[: width - 1] + "…"


# --- stories ------------------------------------------------------------------------------


def story_record(story: Any) -> dict[str, Any]:
    """A story and, nested in it, its events (the tree story → events → articles)."""
    return {**_group_record(story), "events": [_group_record(e) for e in story.events]}


def _group_record(group: Any) -> dict[str, Any]:
    return {
        "id": group.id,
        "size": len(group.members),
        "members": list(group.members),
        "label": group.label,
        "title": group.title,
        "first_date": group.first_date,
        "last_date": group.last_date,
    }


def write_stories(
    result: StoriesResult,
    out_dir: str | Path,
    *,
    inputs: Sequence[str] = (),
    read_options: dict[str, Any] | None = None,
    warnings: Sequence[Reject] = (),
    use_clean: bool = True,
    use_links: bool = True,
    output_format: str = "jsonl",
    command: str = "stories",
    run_extra: dict[str, Any] | None = None,
) -> dict[str, int]:
    """Write stories.jsonl, rejects.jsonl (both in ``output_format``) and run.json (last)
    as one set; ``command`` and ``run_extra`` go into run.json."""
    names = output_names("stories", output_format=output_format)
    with OutputSet(out_dir, names, inputs=inputs) as output:
        files: dict[str, Iterable[dict[str, Any]]] = {
            "stories.jsonl": map(story_record, result.stories),
            "rejects.jsonl": reject_rows(result.rejects, warnings),
        }
        rows = write_row_files(output, files, output_format)
        output.write_run(
            {
                **run_head(command, result.config, inputs, read_options),
                **(run_extra or {}),
                "clusterer": {
                    key: list(value) if isinstance(value, tuple) else value
                    for key, value in sorted(result.clusterer.get_params().items())
                },
                "use_clean": use_clean,
                "use_links": use_links,
                "counts": result.counts,
                "outputs": rows,
            }
        )
    return rows


def stories_table(
    result: StoriesResult, top: int, seconds: float, width: int = 80, level: str = "story"
) -> Table:
    """A summary line per story (or per event, with ``level="event"``), the largest first."""
    from rich import box
    from rich.table import Table

    counts = result.counts
    groups = result.events if level == "event" else result.stories
    ranked = sorted(groups, key=lambda s: (-len(s.members), s.id))[:top]
    table = Table(
        title=(
            f"dedup stories: {counts['documents']:,} documents, {counts['stories']:,} stories "
            f"({counts['stories_with_several_documents']:,} with several documents), "
            f"{counts['events']:,} events, "
            f"{counts['passage_links']:,} passage links, {seconds:.2f} s"
        ),
        title_justify="left",
        box=box.SIMPLE_HEAD,
        pad_edge=False,
    )
    table.add_column(level, no_wrap=True)
    table.add_column("docs", justify="right", no_wrap=True)
    table.add_column("dates", no_wrap=True)
    text_width = max(24, width - 40)
    table.add_column("label / first title", no_wrap=True, overflow="ellipsis", max_width=text_width)
    for story in ranked:
        dates = ""
        if story.first_date:
            first, last = story.first_date[:10], (story.last_date or "")[:10]
            dates = first if first == last else f"{first}…{last}"
        text = story.label + (f" | {story.title}" if story.title else "")
        table.add_row(story.id, str(len(story.members)), dates, _excerpt(text, text_width))
    return table


# --- chains -------------------------------------------------------------------------------


CHAINS_FILES = (
    "chains.jsonl",
    "articles.jsonl",
    "outlets.jsonl",
    "chains.graphml",
    "chains.json",
    "rejects.jsonl",
    "run.json",
)


def chain_edge_record(edge: ChainEdge) -> dict[str, Any]:
    from dedup.syndication import evidence_record

    return {
        "source": edge.source,
        "target": edge.target,
        "directed": edge.directed,
        "confidence": round(edge.confidence, FLOAT_DIGITS),
        "passages": list(edge.passages),
        "reused_words": edge.reused_words,
        "evidence": [evidence_record(e) for e in edge.evidence],
    }


def article_record(article: ArticleReuse) -> dict[str, Any]:
    return {
        "doc": article.doc,
        "outlet": article.outlet,
        "date": article.date,
        "words": article.words,
        "reused_words": article.reused_words,
        "reused_fraction": round(article.reused_fraction, FLOAT_DIGITS),
        "original_words": article.original_words,
        "sources": [{"source": s, "words": w} for s, w in article.sources],
        "credits": list(article.credits),
    }


def outlet_record(outlet: OutletReuse) -> dict[str, Any]:
    return {
        "outlet": outlet.outlet,
        "documents": outlet.documents,
        "words": outlet.words,
        "reused_words": outlet.reused_words,
        "reused_fraction": round(outlet.reused_fraction, FLOAT_DIGITS),
        "sources": [{"source": s, "words": w} for s, w in outlet.sources],
    }


def write_graphml(graph: nx.DiGraph, path: str | Path) -> None:
    """Write ``graph`` as GraphML, atomically."""
    import networkx as nx

    with atomic_write(Path(path), "wb") as handle:
        nx.write_graphml(graph, handle)


def write_node_link(graph: nx.DiGraph, path: str | Path) -> None:
    """Write ``graph`` as networkx node-link JSON (``nx.node_link_graph`` reads it back)."""
    import networkx as nx

    write_json(Path(path), nx.node_link_data(graph, edges="edges"))


def write_chains(
    result: ChainsResult,
    out_dir: str | Path,
    *,
    inputs: Sequence[str] = (),
    read_options: dict[str, Any] | None = None,
    warnings: Sequence[Reject] = (),
    output_format: str = "jsonl",
) -> dict[str, int]:
    """Write chains.jsonl, passages.jsonl (each passage with its ``kind``: ``boilerplate``
    or ``reuse``), articles.jsonl, outlets.jsonl (these and rejects in ``output_format``),
    chains.graphml, chains.json, rejects.jsonl and run.json (last) as one set; return rows
    (or graph edges) written per file."""
    from dedup.syndication import chain_graph

    graph = chain_graph(result)
    names = output_names("chains", output_format=output_format)
    with OutputSet(out_dir, names, inputs=inputs) as output:
        files: dict[str, Iterable[dict[str, Any]]] = {
            "chains.jsonl": map(chain_edge_record, result.edges),
            "passages.jsonl": (
                {**passage_record(p), "kind": result.passage_kinds.get(p.id, "reuse")}
                for p in result.scan.passages
            ),
            "articles.jsonl": map(article_record, result.articles),
            "outlets.jsonl": map(outlet_record, result.outlets),
        }
        rows = write_row_files(output, files, output_format)
        write_graphml(graph, output.path("chains.graphml"))
        rows["chains.graphml"] = graph.number_of_edges()
        write_node_link(graph, output.path("chains.json"))
        rows["chains.json"] = graph.number_of_edges()
        rejects = reject_rows(result.scan.rejects, warnings)
        rows.update(write_row_files(output, {"rejects.jsonl": rejects}, output_format))
        output.write_run(
            {
                **run_head("chains", result.config, inputs, read_options),
                "counts": {
                    **result.scan.counts,
                    **{f"chains_{k}": v for k, v in result.counts.items()},
                },
                "outputs": rows,
            }
        )
    return rows
