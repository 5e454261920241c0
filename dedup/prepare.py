"""The records a run can use: the first of each id, in id order, and nothing that no output file
could hold.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from dedup.ingest import record_problem
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
