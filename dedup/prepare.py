"""The records a run can use: whatever form the caller's data comes in (:func:`as_records`),
the first of each id, in id order, and nothing that no output file could hold.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from dedup.ingest import UnusableRecord, record_problem
from dedup.types import (
    Record,
    Reject,
)


def printable_source(record: Record) -> str:
    """Where a record came from, or its id when it came through the API (escaped: it may
    be the field that cannot be written)."""
    where = record.source or record.id
    return where.encode("utf-8", "backslashreplace").decode("utf-8")


def usable_records(records: Iterable[Record], rejects: list[Reject]) -> Iterator[Record]:
    """The records that can be written out; the others go to ``rejects``."""
    for record in records:
        problem = record_problem(record)
        if problem is None:
            yield record
        else:
            rejects.append(Reject(printable_source(record), problem, None))


def prepare_records(records: Iterable[Record]) -> tuple[list[Record], list[Reject]]:
    """Records sorted by id, first of each id kept; the rest are rejects."""
    seen: dict[str, Record] = {}
    rejects: list[Reject] = []
    for record in usable_records(records, rejects):
        if record.id in seen:
            first = seen[record.id].source or "an earlier record"
            rejects.append(
                Reject(
                    record.source or record.id,
                    f'duplicate id "{record.id}" (first at {first})',
                    record.id,
                )
            )
            continue
        seen[record.id] = record
    return [seen[key] for key in sorted(seen)], rejects


#: Where each field of a Record is found in the caller's data (the defaults).
FIELDS = {
    "id": "id",
    "text": "text",
    "title": "title",
    "date": "date",
    "outlet": "outlet",
    "url": "url",
}


def as_records(data: Any, **names: str) -> Iterator[Record]:
    """The records in ``data``, whatever form it comes in, lazily.

    Parameters
    ----------
    data : iterable, DataFrame, Table or Dataset
        Records; strings (each a text, numbered ``"0"``, ``"1"``, … in order); mappings
        (dicts, one a record); a pandas or polars DataFrame, a pyarrow Table or Dataset (one
        row a record), a Hugging Face ``datasets.Dataset`` (its rows, as it iterates them);
        or an iterable of any mix of these.
    **names : str
        The key or column holding each field, when it is not the field's own name:
        ``id="article_id", text="body"`` (keys of :data:`FIELDS`). Other keys of a mapping
        are kept as the record's ``extra``.

    Yields
    ------
    Record
        One an item; an item that is none of these (a mapping without a string text, a
        number) as an :class:`~dedup.ingest.UnusableRecord`, which the jobs skip as a
        Reject naming its position (``item 3: field 'text' is not a string``), the other
        items used.

    Raises
    ------
    TypeError
        For ``data`` that is one record rather than a collection, or an unknown field name.
    """
    unknown = sorted(set(names) - set(FIELDS))
    if unknown:
        raise TypeError(f"unknown field {unknown[0]!r}; the fields are {', '.join(FIELDS)}")
    columns = {**FIELDS, **names}
    for number, item in enumerate(_items(data)):
        if isinstance(item, Record):
            yield item
        elif isinstance(item, str):
            yield Record(str(number), item, source=f"item {number}")
        elif isinstance(item, Mapping):
            yield _from_mapping(item, columns, number)
        else:
            problem = f"expected a string, a mapping or a Record, got {type(item).__name__}"
            yield _unusable(number, problem)


def _items(data: Any) -> Iterator[Any]:
    """Rows of a table-like ``data`` (pandas, polars, a pyarrow Table or Dataset), or its
    items."""
    if isinstance(data, (str, bytes, Mapping, Record)):
        raise TypeError(
            f"expected a collection of records (a list, a DataFrame, …), got one "
            f"{type(data).__name__}: wrap it in a list"
        )
    if hasattr(data, "to_pylist"):  # a pyarrow Table or RecordBatch
        yield from data.to_pylist()
    elif hasattr(data, "to_batches") and hasattr(data, "schema"):  # a pyarrow Dataset
        for batch in data.to_batches(use_threads=False):  # in the dataset's order
            yield from batch.to_pylist()
    elif hasattr(data, "iter_rows") and hasattr(data, "columns"):  # a polars DataFrame
        yield from data.iter_rows(named=True)  # (before pandas: polars has a to_dict too)
    elif hasattr(data, "to_dict") and hasattr(data, "columns"):  # a pandas DataFrame
        yield from data.to_dict("records")
    else:
        yield from data


def _unusable(number: int, problem: str) -> UnusableRecord:
    return UnusableRecord(f"item {number}", "", source=f"item {number}", problem=problem)


def _from_mapping(item: Mapping[str, Any], columns: dict[str, str], number: int) -> Record:
    text = item.get(columns["text"])
    if not isinstance(text, str):
        return _unusable(number, f"field {columns['text']!r} is not a string")
    values = {
        field: None if item.get(key) is None else str(item.get(key))
        for field, key in columns.items()
        if field != "text"
    }
    used = set(columns.values())
    return Record(
        id=values.pop("id") or str(number),
        text=text,
        **values,
        source=f"item {number}",
        extra={k: v for k, v in item.items() if k not in used},
    )
