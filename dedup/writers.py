"""Files and terminal tables from result objects; nothing is computed here.

Every file is written atomically, and ``run.json`` last, so a folder with a ``run.json``
holds a complete run. Files hold no time stamps or timings: the same input and settings give
byte-identical files.
"""

from __future__ import annotations

import csv
import json
import os
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import networkx as nx
from rich import box
from rich.table import Table

from dedup import __version__
from dedup.atomic import atomic_write
from dedup.ingest import ReadOptions, format_of, plain_suffix
from dedup.outputs import OutputSet, output_names
from dedup.syndication import chain_graph, evidence_record
from dedup.types import (
    Alignment,
    ArticleReuse,
    ChainEdge,
    ChainsResult,
    CleanResult,
    CopyGroup,
    Cut,
    DocumentInfo,
    DuplicateDrop,
    OutletReuse,
    Pair,
    PassageCluster,
    Reject,
    ScanResult,
    StoriesResult,
)

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
    }


def passage_record(passage: PassageCluster) -> dict[str, Any]:
    return {
        "id": passage.id,
        "text": passage.text,
        "docs": len(passage.docs),
        "witnesses": [{"doc": w.doc, "start": w.start, "end": w.end} for w in passage.witnesses],
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
        "id": doc.id,
        "words": doc.words,
        "chars": doc.chars,
        "reused_words": doc.reused_words,
        "reused_fraction": round(doc.reused_words / doc.words, FLOAT_DIGITS) if doc.words else 0.0,
        "repeated_words": doc.repeated_words,
        "outlet": doc.outlet,
        "date": doc.date,
    }


def reject_record(reject: Reject) -> dict[str, Any]:
    return {"source": reject.source, "id": reject.id, "reason": reject.reason}


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


def write_rejects(path: Path, rejects: Iterable[Reject], warnings: Iterable[Reject] = ()) -> int:
    """rejects.jsonl: every skipped record, then every warning (``"kept": true``)."""
    rows = [reject_record(r) for r in rejects] + [
        {**reject_record(w), "kept": True} for w in warnings
    ]
    return write_jsonl(path, rows)


def write_jsonl(path: Path, rows: Iterable[dict[str, Any]]) -> int:
    """Write rows as JSON lines atomically; return the number of rows."""
    count = 0
    with atomic_write(path) as handle:
        for row in rows:
            handle.write(json.dumps(row, ensure_ascii=False, separators=(",", ":")))
            handle.write("\n")
            count += 1
    return count


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
) -> dict[str, int]:
    """Write a scan's files into ``out_dir`` as one set (see :mod:`dedup.outputs`); return
    rows written per file. ``command`` and ``run_extra`` go into run.json (an index
    query's); no output may replace an input or a ``protected`` path (its index)."""
    names = output_names(command)
    bands, rows_per_band = result.config.bands, result.config.rows
    assert bands is not None and rows_per_band is not None  # set by Config
    if result.groups:  # only then: a scan without copy groups writes what it always did
        names = (*names[:-1], GROUPS_FILE, names[-1])
    with OutputSet(out_dir, names, inputs=[*inputs, *protected]) as output:
        rows = {
            "pairs.jsonl": write_jsonl(output.path("pairs.jsonl"), map(pair_record, result.pairs)),
            "passages.jsonl": write_jsonl(
                output.path("passages.jsonl"), map(passage_record, result.passages)
            ),
            "documents.jsonl": write_jsonl(
                output.path("documents.jsonl"), map(document_record, result.documents)
            ),
            "rejects.jsonl": write_rejects(output.path("rejects.jsonl"), result.rejects, warnings),
        }
        if result.groups:
            rows[GROUPS_FILE] = write_jsonl(
                output.path(GROUPS_FILE), map(group_record, result.groups)
            )
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


# --- clean --------------------------------------------------------------------------------


@dataclass(frozen=True)
class CorpusLayout:
    """How a cleaned corpus is written: in the format it was read in.

    ``kind`` is ``txt`` (a folder of .txt files plus a metadata sidecar), ``jsonl``, ``csv``
    or ``parquet``; ``name`` the folder or file name inside the output folder.
    """

    kind: str
    name: str
    delimiter: str = ","
    fields: dict[str, str] = field(default_factory=dict)


def corpus_layout(inputs: Sequence[str], options: ReadOptions) -> CorpusLayout:
    """The input's own format for one folder or file; JSON lines otherwise."""
    fields = {
        "id": options.id_field,
        "text": options.text_field,
        "title": options.title_field,
        "date": options.date_field,
        "outlet": options.outlet_field,
        "url": options.url_field,
    }
    if len(inputs) == 1 and inputs[0] != "-":
        source = Path(inputs[0])
        if source.is_dir():
            return CorpusLayout("txt", "corpus", fields=fields)
        kind = format_of(source, options)
        suffix = plain_suffix(source)
        stem = source.name[: source.name.lower().rfind(suffix)] if suffix else source.stem
        if kind in ("jsonl", "csv", "parquet"):
            return CorpusLayout(
                kind, stem + suffix, "\t" if suffix == ".tsv" else ",", fields=fields
            )
    return CorpusLayout("jsonl", "corpus.jsonl", fields=fields)


def corpus_rows(result: CleanResult, layout: CorpusLayout) -> list[dict[str, Any]]:
    """One row a kept document, with the input's field names and its other fields."""
    rows = []
    for doc in result.documents:
        if doc.duplicate_of is not None:
            continue
        record = doc.record
        row: dict[str, Any] = {layout.fields["id"]: record.id, layout.fields["text"]: doc.text}
        for name in ("title", "date", "outlet", "url"):
            value = getattr(record, name)
            if value is not None:
                row[layout.fields[name]] = value
        row.update(record.extra)
        rows.append(row)
    return rows


def write_corpus(result: CleanResult, target: Path, layout: CorpusLayout) -> int:
    """Write the kept documents at ``target`` in ``layout``; return how many."""
    if layout.kind == "txt":
        return _write_txt_folder(result, target)
    rows = corpus_rows(result, layout)
    if layout.kind == "jsonl":
        write_jsonl(target, rows)
    elif layout.kind == "csv":
        columns = list(dict.fromkeys(key for row in rows for key in row))
        with atomic_write(target) as handle:
            writer = csv.DictWriter(handle, columns, delimiter=layout.delimiter, restval="")
            writer.writeheader()
            writer.writerows(rows)
    else:
        import pyarrow as pa
        import pyarrow.parquet as pq

        with atomic_write(target, "wb") as handle:
            pq.write_table(pa.Table.from_pylist(rows), handle)
    return len(rows)


def _write_txt_folder(result: CleanResult, target: Path) -> int:
    """Each kept document as a ``.txt`` file in the folder ``target`` (made here), and
    metadata.csv mapping each id to its file with its metadata; return how many documents.
    """
    kept = [doc for doc in result.documents if doc.duplicate_of is None]
    files = txt_file_names([doc.record.id for doc in kept])
    target.mkdir(parents=True)
    meta_rows = []
    for doc, relative in zip(kept, files):
        path = target / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(path, "w", encoding="utf-8", newline="") as handle:
            handle.write(doc.text)
            handle.flush()
            os.fsync(handle.fileno())
        record = doc.record
        meta_rows.append(
            {
                "id": record.id,
                "file": relative.as_posix(),
                "outlet": record.outlet or "",
                "date": record.date or "",
                "url": record.url or "",
                "title": record.title or "",
            }
        )
    needed = any(
        row["file"] != row["id"] + ".txt" or any(row[k] for k in ("outlet", "date", "url", "title"))
        for row in meta_rows
    )
    if needed:
        with atomic_write(target / "metadata.csv") as handle:
            writer = csv.DictWriter(handle, ["id", "file", "outlet", "date", "url", "title"])
            writer.writeheader()
            writer.writerows(meta_rows)
    return len(meta_rows)


def txt_file_names(ids: Sequence[str]) -> list[Path]:
    """A distinct ``.txt`` path for each id, inside the folder it is joined to.

    An id that is already a safe path keeps it (``bbc/2016/x`` → ``bbc/2016/x.txt``); the
    others get their safe form (see :func:`safe_relative_path`), with ``~2``, ``~3``, … when
    that is taken. Names are compared without case, as some file systems do, so no file
    ever replaces another's."""
    natural = [safe_relative_path(doc_id, ".txt") for doc_id in ids]
    taken: set[str] = set()
    names: list[Path | None] = [None] * len(ids)
    for k, (doc_id, path) in enumerate(zip(ids, natural)):
        key = path.as_posix().lower()
        if path.as_posix() == doc_id + ".txt" and key not in taken:
            names[k] = path
            taken.add(key)
    for k, (doc_id, path) in enumerate(zip(ids, natural)):
        if names[k] is not None:
            continue
        number = 1
        while path.as_posix().lower() in taken:
            number += 1
            path = safe_relative_path(f"{doc_id}~{number}", ".txt")
        names[k] = path
        taken.add(path.as_posix().lower())
    return [name for name in names if name is not None]


_UNSAFE = re.compile(r"[\x00-\x1f\x7f<>:\"|?*\\]")


def safe_relative_path(doc_id: str, suffix: str) -> Path:
    """A file path for a document id that stays inside the folder it is joined to.

    Folders in the id are kept (``bbc/2016/x`` → ``bbc/2016/x.txt``); ``..``, ``.``, empty
    parts, a leading ``/`` and control or reserved characters are not
    (``../../etc/passwd`` → ``etc/passwd.txt``).
    """
    parts = [
        _UNSAFE.sub("_", part) for part in re.split(r"[/\\]", doc_id) if part not in ("", ".", "..")
    ]
    parts = [part.lstrip(".") or "_" for part in parts] or ["_"]
    return Path(*parts[:-1], parts[-1] + suffix)


def cut_record(cut: Cut) -> dict[str, Any]:
    return {
        "doc": cut.doc,
        "start": cut.start,
        "end": cut.end,
        "reason": cut.reason,
        "text": cut.text,
    }


def duplicate_record(drop: DuplicateDrop) -> dict[str, Any]:
    return {
        "dropped": drop.dropped,
        "kept": drop.kept,
        "jaccard": round(drop.jaccard, FLOAT_DIGITS),
        "copied_fraction_dropped": round(drop.copied_fraction_dropped, FLOAT_DIGITS),
        "copied_fraction_kept": round(drop.copied_fraction_kept, FLOAT_DIGITS),
    }


def write_clean(
    result: CleanResult,
    out_dir: str | Path,
    layout: CorpusLayout,
    *,
    inputs: Sequence[str] = (),
    read_options: dict[str, Any] | None = None,
    warnings: Sequence[Reject] = (),
    drop_duplicates: bool = False,
) -> dict[str, int]:
    """Write the cleaned corpus, cuts.jsonl, duplicates.jsonl, rejects.jsonl and run.json
    (last) as one set (see :mod:`dedup.outputs`)."""
    cuts = [cut for doc in result.documents for cut in doc.cuts]
    with OutputSet(out_dir, output_names("clean", layout.name), inputs=inputs) as output:
        rows = {
            layout.name: write_corpus(result, output.path(layout.name), layout),
            "cuts.jsonl": write_jsonl(output.path("cuts.jsonl"), map(cut_record, cuts)),
            "duplicates.jsonl": write_jsonl(
                output.path("duplicates.jsonl"), map(duplicate_record, result.duplicates)
            ),
            "rejects.jsonl": write_rejects(output.path("rejects.jsonl"), result.rejects, warnings),
        }
        output.write_run(
            {
                **run_head("clean", result.config, inputs, read_options),
                "drop_duplicates": drop_duplicates,
                "counts": result.counts,
                "outputs": rows,
            }
        )
    return rows


def clean_summary_table(result: CleanResult, seconds: float) -> Table:
    counts = result.counts
    table = Table(title="dedup clean", show_header=False, title_justify="left")
    table.add_column("what")
    table.add_column("value", justify="right")
    table.add_row("documents read", f"{counts['documents']:,}")
    table.add_row("skipped", f"{len(result.rejects):,}")
    table.add_row("documents kept", f"{counts['kept']:,}")
    if counts["dropped_duplicates"] or not counts.get("near_duplicates"):
        table.add_row("dropped as near-duplicates", f"{counts['dropped_duplicates']:,}")
    else:
        table.add_row("near-duplicates (kept)", f"{counts['near_duplicates']:,}")
    table.add_row("documents with cuts", f"{counts['documents_with_cuts']:,}")
    table.add_row(
        "characters removed", f"{counts['characters_removed']:,} of {counts['characters']:,}"
    )
    for key, value in counts.items():
        if key.startswith("removed:"):
            table.add_row(f"  {key.removeprefix('removed:')}", f"{value:,}")
    table.add_row("time", f"{seconds:.2f} s")
    return table


# --- stories ------------------------------------------------------------------------------


def story_record(story: Any) -> dict[str, Any]:
    return {
        "id": story.id,
        "size": len(story.members),
        "members": list(story.members),
        "label": story.label,
        "title": story.title,
        "first_date": story.first_date,
        "last_date": story.last_date,
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
) -> dict[str, int]:
    """Write stories.jsonl, rejects.jsonl and run.json (last) as one set."""
    with OutputSet(out_dir, output_names("stories"), inputs=inputs) as output:
        rows = {
            "stories.jsonl": write_jsonl(
                output.path("stories.jsonl"), map(story_record, result.stories)
            ),
            "rejects.jsonl": write_rejects(output.path("rejects.jsonl"), result.rejects, warnings),
        }
        output.write_run(
            {
                **run_head("stories", result.config, inputs, read_options),
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


def stories_table(result: StoriesResult, top: int, seconds: float, width: int = 80) -> Table:
    """A summary line per story, the largest first."""
    counts = result.counts
    ranked = sorted(result.stories, key=lambda s: (-len(s.members), s.id))[:top]
    table = Table(
        title=(
            f"dedup stories: {counts['documents']:,} documents, {counts['stories']:,} stories "
            f"({counts['stories_with_several_documents']:,} with several documents), "
            f"{counts['passage_links']:,} passage links, {seconds:.2f} s"
        ),
        title_justify="left",
        box=box.SIMPLE_HEAD,
        pad_edge=False,
    )
    table.add_column("story", no_wrap=True)
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
    with atomic_write(Path(path), "wb") as handle:
        nx.write_graphml(graph, handle)


def write_node_link(graph: nx.DiGraph, path: str | Path) -> None:
    """Write ``graph`` as networkx node-link JSON (``nx.node_link_graph`` reads it back)."""
    write_json(Path(path), nx.node_link_data(graph, edges="edges"))


def write_chains(
    result: ChainsResult,
    out_dir: str | Path,
    *,
    inputs: Sequence[str] = (),
    read_options: dict[str, Any] | None = None,
    warnings: Sequence[Reject] = (),
) -> dict[str, int]:
    """Write chains.jsonl, passages.jsonl (each passage with its ``kind``: ``boilerplate``
    or ``reuse``), articles.jsonl, outlets.jsonl, chains.graphml, chains.json,
    rejects.jsonl and run.json (last) as one set; return rows (or graph edges) written per
    file."""
    graph = chain_graph(result)
    with OutputSet(out_dir, output_names("chains"), inputs=inputs) as output:
        rows = {
            "chains.jsonl": write_jsonl(
                output.path("chains.jsonl"), map(chain_edge_record, result.edges)
            ),
            "passages.jsonl": write_jsonl(
                output.path("passages.jsonl"),
                (
                    {**passage_record(p), "kind": result.passage_kinds.get(p.id, "reuse")}
                    for p in result.scan.passages
                ),
            ),
            "articles.jsonl": write_jsonl(
                output.path("articles.jsonl"), map(article_record, result.articles)
            ),
            "outlets.jsonl": write_jsonl(
                output.path("outlets.jsonl"), map(outlet_record, result.outlets)
            ),
        }
        write_graphml(graph, output.path("chains.graphml"))
        rows["chains.graphml"] = graph.number_of_edges()
        write_node_link(graph, output.path("chains.json"))
        rows["chains.json"] = graph.number_of_edges()
        rows["rejects.jsonl"] = write_rejects(
            output.path("rejects.jsonl"), result.scan.rejects, warnings
        )
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


MIN_EVIDENCE_CHARS = 40  # narrower, the evidence column folds ids and quotes into scraps


def chains_table(result: ChainsResult, seconds: float, width: int = 80) -> Table:
    """One row per chain edge: source → target, passages, words, confidence, and the
    strongest evidence when ``width`` allows."""
    counts = result.counts
    table = Table(
        title=(
            f"dedup chains: {counts['documents']:,} documents, {counts['edges']:,} edges "
            f"({counts['directed_edges']:,} directed, {counts['common_sources']:,} common "
            f"sources), {counts['documents_without_edges']:,} documents without edges, "
            f"{seconds:.2f} s"
        ),
        title_justify="left",
        box=box.SIMPLE_HEAD,
        pad_edge=False,
    )
    table.add_column("source → target", no_wrap=True)
    table.add_column("pas-\nsages", justify="right", no_wrap=True)
    table.add_column("words", justify="right", no_wrap=True)
    table.add_column("conf.", justify="right", no_wrap=True)
    rows = [(f"{e.source} {'→' if e.directed else '—'} {e.target}", e) for e in result.edges]
    label_width = max((len(label) for label, _ in rows), default=0)
    text_width = width - label_width - 24
    show_text = text_width >= MIN_EVIDENCE_CHARS
    if show_text:
        table.add_column("evidence", overflow="fold", max_width=text_width)
    for label, edge in rows:
        row = [label, str(len(edge.passages)), f"{edge.reused_words:,}", f"{edge.confidence:.2f}"]
        if show_text:
            weighed = [e for e in edge.evidence if e.favours is not None] or list(edge.evidence)
            row.append(_excerpt(weighed[0].detail, 3 * text_width) if weighed else "")
        table.add_row(*row)
    return table
