"""Files and terminal tables from result objects; nothing is computed here.

Every file is written atomically, and ``run.json`` last, so a folder with a ``run.json``
holds a complete run. Files hold no time stamps or timings: the same input and settings give
byte-identical files.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from rich import box
from rich.table import Table

from dedup import __version__
from dedup.atomic import atomic_write
from dedup.types import Alignment, DocumentInfo, Pair, PassageCluster, Reject, ScanResult

FLOAT_DIGITS = 6


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
        "source": doc.source,
    }


def reject_record(reject: Reject) -> dict[str, Any]:
    return {"source": reject.source, "id": reject.id, "reason": reject.reason}


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
) -> dict[str, int]:
    """Write a scan's files into ``out_dir``; return rows written per file."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    rows = {
        "pairs.jsonl": write_jsonl(out / "pairs.jsonl", map(pair_record, result.pairs)),
        "passages.jsonl": write_jsonl(out / "passages.jsonl", map(passage_record, result.passages)),
        "documents.jsonl": write_jsonl(
            out / "documents.jsonl", map(document_record, result.documents)
        ),
        "rejects.jsonl": write_jsonl(
            out / "rejects.jsonl",
            [reject_record(r) for r in result.rejects]
            + [{**reject_record(w), "kept": True} for w in warnings],
        ),
    }
    run = {
        "tool": "dedup",
        "version": __version__,
        "command": "scan",
        "inputs": list(inputs),
        "read_options": read_options or {},
        "config": result.config.to_dict(),
        "config_digest": result.config.digest(),
        "lsh": {
            "bands": result.config.bands,
            "rows": result.config.rows,
            "permutations_used": result.config.bands * result.config.rows,
            "scheme": "datasketch affine32",
        },
        "counts": result.counts,
        "outputs": rows,
    }
    write_json(out / "run.json", run)
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
            str(len(pair.alignments)),
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
