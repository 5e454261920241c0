"""Output formats of the row files (``pairs``, ``passages``, ``cuts``, ``rejects``, …): JSON
lines, Parquet or CSV, chosen with ``--output-format`` (``output_format=`` in the API).

A file keeps its name and takes the format's extension (``pairs.jsonl`` → ``pairs.parquet``
or ``pairs.csv``); ``run.json``, the GraphML and node-link graphs and the report's page stay
as they are. Every format holds the same rows with the same fields in the same order:

* JSON lines: one compact JSON object a line (the default; unchanged by this module);
* Parquet: one column a field, typed as docs/outputs.md says (int → int64, float →
  float64, bool → bool, string → string, a list of objects → list of structs); a field
  absent from a row (``kept`` of a rejected record) is null;
* CSV: a header row of the field names; a string as it is, null as an empty cell, any other
  value (numbers, booleans, lists) as its compact JSON text, as it reads in the JSON lines.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from dedup.atomic import atomic_write

OUTPUT_FORMATS = ("jsonl", "parquet", "csv")
_ROW_SUFFIX = ".jsonl"  # what a row file is named in the default format
# what json.dumps(row, ensure_ascii=False, separators=(",", ":")) uses, made once: dumps
# with options makes an encoder for every row (a third of the time of a row file)
_ROW_ENCODER = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))


def formatted_name(name: str, output_format: str = "jsonl") -> str:
    """``name`` of a row file (``pairs.jsonl``) in ``output_format``; other names as they
    are."""
    check_format(output_format)
    if output_format == "jsonl" or not name.endswith(_ROW_SUFFIX):
        return name
    return name[: -len(_ROW_SUFFIX)] + "." + output_format


def check_format(output_format: str) -> None:
    if output_format not in OUTPUT_FORMATS:
        choices = ", ".join(OUTPUT_FORMATS)
        raise ValueError(f"output format must be one of {choices}, got {output_format!r}")


def columns_of(rows: Sequence[dict[str, Any]], hint: Sequence[str] = ()) -> list[str]:
    """The fields of ``rows`` in order of first appearance (``hint``'s when there is no
    row)."""
    if not rows:
        return list(hint)
    return list(dict.fromkeys(key for row in rows for key in row))


def write_rows(path: Path, rows: Iterable[dict[str, Any]], output_format: str, kind: str) -> int:
    """Write ``rows`` (the JSON records of a file of ``kind``: ``pairs``, ``cuts``, …) at
    ``path`` in ``output_format``, atomically; return how many."""
    check_format(output_format)
    if output_format == "jsonl":
        return write_jsonl(path, rows)
    listed = list(rows)
    if output_format == "csv":
        write_csv_rows(path, listed, columns_of(listed, list(arrow_hints(kind))))
    else:
        write_parquet_rows(path, listed, kind)
    return len(listed)


def write_jsonl(path: Path, rows: Iterable[dict[str, Any]]) -> int:
    """Write rows as JSON lines atomically; return the number of rows."""
    return write_lines(path, map(_ROW_ENCODER.encode, rows))


def write_lines(path: Path, lines: Iterable[str]) -> int:
    """Write JSON lines already encoded (without their newlines), atomically; return how
    many."""
    count = 0
    with atomic_write(path) as handle:
        for line in lines:
            handle.write(line)
            handle.write("\n")
            count += 1
    return count


def csv_cell(value: Any) -> str:
    """A field as a CSV cell: a string as it is, null empty, anything else its JSON text."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def write_csv_rows(path: Path, rows: Sequence[dict[str, Any]], columns: Sequence[str]) -> None:
    with atomic_write(path) as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(columns)
        for row in rows:
            writer.writerow([csv_cell(row.get(column)) for column in columns])


def write_parquet_rows(path: Path, rows: Sequence[dict[str, Any]], kind: str) -> None:
    import pyarrow.parquet as pq

    table = arrow_table(rows, kind)
    with atomic_write(path, "wb") as handle:
        pq.write_table(table, handle)


def arrow_table(rows: Sequence[dict[str, Any]], kind: str) -> Any:
    """``rows`` as a pyarrow Table: one column a field, each typed as documented for ``kind``
    (a field not documented here takes the type pyarrow infers from its values)."""
    import pyarrow as pa

    hints = arrow_hints(kind)
    columns = columns_of(rows, list(hints))
    arrays = []
    for column in columns:
        values = [row.get(column) for row in rows]
        inferred = pa.array(values).type if values else pa.null()
        arrays.append(pa.array(values, type=_resolve(inferred, hints.get(column))))
    return pa.Table.from_arrays(arrays, names=columns)


def _resolve(inferred: Any, hint: Any) -> Any:
    """The documented type ``hint`` where the values say nothing more (null, an empty
    list), extended with any field the values hold and the hint does not name."""
    import pyarrow as pa

    if hint is None:
        return pa.string() if pa.types.is_null(inferred) else inferred
    if pa.types.is_list(inferred) and pa.types.is_list(hint):
        return pa.list_(_resolve(inferred.value_type, hint.value_type))
    if pa.types.is_struct(inferred) and pa.types.is_struct(hint):
        known = {hint.field(i).name: hint.field(i).type for i in range(hint.num_fields)}
        seen = [inferred.field(i) for i in range(inferred.num_fields)]
        fields = [pa.field(f.name, _resolve(f.type, known.get(f.name))) for f in seen]
        names = {f.name for f in seen}
        fields += [pa.field(name, kind) for name, kind in known.items() if name not in names]
        return pa.struct(fields)
    return hint


def arrow_hints(kind: str) -> dict[str, Any]:
    """The documented type of each field of a file of ``kind`` (docs/outputs.md), as
    pyarrow types, in the order the writers give the fields."""
    import pyarrow as pa

    text, count, share, flag = pa.string(), pa.int64(), pa.float64(), pa.bool_()
    span = pa.struct(
        [
            ("passage", text),
            *((name, count) for name in ("a_start", "a_end", "b_start", "b_end")),
            *((name, count) for name in ("words_a", "words_b", "matched_words")),
        ]
    )
    taken = pa.list_(pa.struct([("source", text), ("words", count)]))
    hints: dict[str, dict[str, Any]] = {
        "pairs": {
            "a": text,
            "b": text,
            **{f"{m}_{s}": count for m in ("words", "reused_words") for s in "ab"},
            **{f"reused_fraction_{s}": share for s in "ab"},
            **{f"copied_words_{s}": count for s in "ab"},
            "jaccard": share,
            **{f"containment_{s}": share for s in "ab"},
            "near_duplicate": flag,
            "passages": pa.list_(span),
        },
        "passages": {
            "id": text,
            "text": text,
            "docs": count,
            "witnesses": pa.list_(pa.struct([("doc", text), ("start", count), ("end", count)])),
            "kind": text,
        },
        "documents": {
            "doc": text,
            **{name: count for name in ("words", "chars", "reused_words")},
            "reused_fraction": share,
            "repeated_words": count,
            "outlet": text,
            "date": text,
        },
        "groups": {
            "id": text,
            "representative": text,
            "exact": flag,
            **{name: count for name in ("docs", "words", "implied_pairs")},
            "members": pa.list_(
                pa.struct(
                    [
                        ("doc", text),
                        ("words", count),
                        ("jaccard", share),
                        ("containment", share),
                        ("copied_words", count),
                        ("passages", pa.list_(span)),
                    ]
                )
            ),
        },
        "rejects": {"source": text, "doc": text, "reason": text, "kept": flag},
        "cuts": {"doc": text, "start": count, "end": count, "reason": text, "text": text},
        "duplicates": {
            "dropped": text,
            "kept": text,
            **{name: share for name in ("jaccard", "copied_fraction_dropped")},
            "copied_fraction_kept": share,
        },
        "stories": {
            "id": text,
            "size": count,
            "members": pa.list_(text),
            "label": text,
            "title": text,
            "first_date": text,
            "last_date": text,
        },
        "chains": {
            "source": text,
            "target": text,
            "directed": flag,
            "confidence": share,
            "passages": pa.list_(text),
            "reused_words": count,
            "evidence": pa.list_(pa.struct([("kind", text), ("favours", text), ("detail", text)])),
        },
        "articles": {
            "doc": text,
            "outlet": text,
            "date": text,
            "words": count,
            "reused_words": count,
            "reused_fraction": share,
            "original_words": count,
            "sources": taken,
            "credits": pa.list_(text),
        },
        "outlets": {
            "outlet": text,
            **{name: count for name in ("documents", "words", "reused_words")},
            "reused_fraction": share,
            "sources": taken,
        },
    }
    return hints.get(kind, {})
