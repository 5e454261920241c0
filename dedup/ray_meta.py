"""The records' metadata of a Ray scan as columns, not as a :class:`~dedup.types.Record`
and two strings a document: the ids as strings (every output names them), each source as
bytes in one buffer, each outlet and date as the number of its value in a table of the
distinct ones. A record is made when it is asked for (:class:`RecordColumns`), with no
text, url, title or extra fields (a scan reports none of them).
"""

from __future__ import annotations

import itertools
from array import array
from collections.abc import Iterator, Sequence
from typing import overload

import numpy as np

from dedup.types import Record

SOURCE_ERRORS = "surrogatepass"  # a path's undecodable bytes come back as they went in
_NO_EXTRA: dict = {}  # one empty dict for all: these records stay in the scan


class RecordColumns(Sequence[Record]):
    """Records ``rows`` of the columns (all of them when ``rows`` is None), as read-only
    :class:`Record` s made on demand; :meth:`take` selects without copying the columns."""

    def __init__(
        self,
        ids: list[str],
        sources: np.ndarray,
        source_ends: np.ndarray,
        outlets: np.ndarray,
        dates: np.ndarray,
        values: list[str | None],
        rows: np.ndarray | None = None,
    ) -> None:
        self.ids = ids
        self.sources = sources
        self.source_ends = source_ends
        self.outlets = outlets
        self.dates = dates
        self.values = values
        self.rows = rows

    def __len__(self) -> int:
        return len(self.ids) if self.rows is None else len(self.rows)

    @overload
    def __getitem__(self, index: int) -> Record: ...

    @overload
    def __getitem__(self, index: slice) -> Sequence[Record]: ...

    def __getitem__(self, index: int | slice) -> Record | Sequence[Record]:
        if isinstance(index, slice):
            return self.take(np.arange(len(self))[index])
        row = range(len(self))[index] if self.rows is None else int(self.rows[index])
        lo = int(self.source_ends[row - 1]) if row else 0
        source = self.sources[lo : int(self.source_ends[row])].tobytes()
        return Record(
            self.ids[row],
            "",
            self.values[self.outlets[row]],
            self.values[self.dates[row]],
            None,
            None,
            source.decode("utf-8", SOURCE_ERRORS),
            _NO_EXTRA,
        )

    def __iter__(self) -> Iterator[Record]:
        for k in range(len(self)):
            yield self[k]

    def id_order(self) -> np.ndarray:
        """The positions of the records in order of their ids, which must all differ (the
        shards' later records of an id were rejected as they were put together)."""
        ids = self.ids if self.rows is None else [self.ids[k] for k in self.rows.tolist()]
        order = sorted(range(len(ids)), key=ids.__getitem__)
        for before, after in itertools.pairwise(order):
            if ids[before] == ids[after]:
                raise ValueError(f'id "{ids[after]}" is held twice')
        return np.array(order, dtype=np.int64)

    def take(self, index: np.ndarray) -> RecordColumns:
        """The records at ``index`` (positions in this sequence), in that order."""
        index = np.asarray(index, dtype=np.int64)
        rows = index if self.rows is None else self.rows[index]
        return RecordColumns(
            self.ids, self.sources, self.source_ends, self.outlets, self.dates, self.values, rows
        )


class RecordColumnsBuilder:
    """:class:`RecordColumns` made a record at a time (:meth:`add`, then :meth:`finish`)."""

    def __init__(self) -> None:
        self.ids: list[str] = []
        self.sources = bytearray()
        self.source_ends = array("q")
        self.outlets = array("i")
        self.dates = array("i")
        self.codes: dict[str | None, int] = {None: 0}

    def add(self, doc_id: str, outlet: str | None, date: str | None, source: str) -> None:
        self.ids.append(doc_id)
        self.sources += source.encode("utf-8", SOURCE_ERRORS)
        self.source_ends.append(len(self.sources))
        self.outlets.append(self.codes.setdefault(outlet, len(self.codes)))
        self.dates.append(self.codes.setdefault(date, len(self.codes)))

    def finish(self) -> RecordColumns:
        columns = RecordColumns(
            self.ids,
            np.frombuffer(bytes(self.sources), dtype=np.uint8),
            np.frombuffer(self.source_ends, dtype=np.int64).copy(),
            np.frombuffer(self.outlets, dtype=np.int32).copy(),
            np.frombuffer(self.dates, dtype=np.int32).copy(),
            list(self.codes),
        )
        self.__init__()  # type: ignore[misc]  # let go of the buffers
        return columns


__all__ = ["RecordColumns", "RecordColumnsBuilder"]
