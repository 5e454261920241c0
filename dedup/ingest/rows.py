"""A record from a row of JSON, CSV or Parquet (:class:`Record`, its other fields kept in
``extra``), and the checks on its fields."""

from __future__ import annotations

import functools
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from dedup.errors import InputError
from dedup.ingest.options import ReadOptions, _fail, _text_or_none
from dedup.types import Record, Reject


def surrogate_field(row: dict[str, Any]) -> str | None:
    """The first field of ``row`` (a JSON object) whose key or value holds a lone
    surrogate (``"\\ud800"``): JSON can say it, but no UTF-8 file can hold it."""
    for key, value in row.items():
        if _holds_surrogate(key) or _holds_surrogate(value):
            return str(key).encode("utf-8", "backslashreplace").decode("utf-8")
    return None


def _holds_surrogate(value: Any) -> bool:
    if isinstance(value, str):
        # isascii() is O(1), and UTF-8 refuses exactly the surrogates: both many times faster
        # than a regular-expression search (0.4 s of CPU per 36 MB read, twice)
        if value.isascii():
            return False
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            return True
        return False
    if isinstance(value, dict):
        return any(_holds_surrogate(k) or _holds_surrogate(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_holds_surrogate(v) for v in value)
    return False


def _surrogate_message(field_name: str) -> str:
    return (
        f'field "{field_name}" holds a lone surrogate (an escape such as \\ud800 with no '
        "pair), which is not text"
    )


@dataclass(frozen=True, slots=True)
class UnusableRecord(Record):
    """An item of the caller's data that is no record (a row without text, a number), in
    its place among the records, to be skipped as a Reject saying ``problem``."""

    problem: str = ""


def record_problem(record: Record) -> str | None:
    """Why ``record`` (given through the API) cannot be used, or None: an
    :class:`UnusableRecord`'s problem, or a field holding a lone surrogate, which no output
    file could hold."""
    if isinstance(record, UnusableRecord):
        return record.problem
    for name in _TEXT_FIELDS:
        value = getattr(record, name)
        # ASCII text (isascii() is O(1)) holds no surrogate: most fields, tested inline
        ascii_text = type(value) is str and value.isascii()
        if value is not None and not ascii_text and _holds_surrogate(value):
            return _surrogate_message(name)
    for key, value in record.extra.items():
        if _holds_surrogate(key) or _holds_surrogate(value):
            return _surrogate_message(str(key).encode("utf-8", "backslashreplace").decode())
    return None


_TEXT_FIELDS = ("id", "text", "outlet", "date", "url", "title")


def records_of_rows(
    items: Iterable[tuple[dict[str, Any], str] | Reject],
    name: str,
    stem: str,
    options: ReadOptions,
) -> Iterator[Record | Reject]:
    """The record of each ``(row, "file:line")`` of a file's rows (its default id
    ``<stem>:<line>``), and the rejects among them as they come."""
    for item in items:
        if isinstance(item, Reject):
            yield item
            continue
        row, source = item
        line = int(source.rsplit(":", 1)[1])
        yield _record_from_row(row, name, line, f"{stem}:{line}", options)


def _record_from_row(
    row: dict[str, Any], name: str, line: int, default_id: str, options: ReadOptions
) -> Record | Reject:
    text = row.get(options.text_field)
    if options.text_field not in row:
        return _fail(InputError(name, line, f'missing field "{options.text_field}"'), options)
    if not isinstance(text, str):
        kind = "null" if text is None else type(text).__name__
        return _fail(
            InputError(name, line, f'field "{options.text_field}" is {kind}, not text'), options
        )
    if not text or text.isspace():  # (what strip() would leave nothing of, without a copy)
        return _fail(InputError(name, line, "empty text"), options)
    doc_id = _text_or_none(row.get(options.id_field)) or default_id
    mapped = _mapped_fields(options)
    return Record(
        id=doc_id,
        text=text,
        outlet=_text_or_none(row.get(options.outlet_field)),
        date=_text_or_none(row.get(options.date_field)),
        url=_text_or_none(row.get(options.url_field)),
        title=_text_or_none(row.get(options.title_field)),
        source=f"{name}:{line}",
        extra={key: value for key, value in row.items() if key not in mapped},
    )


@functools.lru_cache(maxsize=16)
def _mapped_fields(options: ReadOptions) -> frozenset[str]:
    """The keys of a row that are a record's fields (the others go to its ``extra``)."""
    return frozenset(
        (
            options.id_field,
            options.text_field,
            options.outlet_field,
            options.date_field,
            options.url_field,
            options.title_field,
        )
    )
