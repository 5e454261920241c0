"""The stories' records with their texts on disk: what :mod:`dedup.stories_spilled` hands the
story clusterer, so that no more than one outlet's texts are in memory at once.

A :class:`SpilledRecords` is a sequence of :class:`~dedup.types.Record` whose metadata (id,
outlet, date, title) is held and whose texts are read back from a
:class:`~dedup.spill.TextSpill` when a record is asked for. The clusterer takes the metadata
for everything but the words, and reads the texts one at a time, in its order
(:meth:`SpilledRecords.texts`); the texts it derives from them (titles joined, outlets'
template words taken out) go to another spill in the same folder
(:func:`dedup.clustering.StoryClusterer.fit`).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import overload

import numpy as np

from dedup.spill import TextSpill
from dedup.types import Record


class SpilledTexts(Sequence[str]):
    """Texts of a :class:`TextSpill`, the ``k``-th being the spill's text ``numbers[k]``."""

    def __init__(self, spill: TextSpill, numbers: np.ndarray) -> None:
        self.spill = spill
        self.numbers = np.asarray(numbers, dtype=np.int64)

    def __len__(self) -> int:
        return len(self.numbers)

    @overload
    def __getitem__(self, index: int) -> str: ...

    @overload
    def __getitem__(self, index: slice) -> list[str]: ...

    def __getitem__(self, index: int | slice) -> str | list[str]:
        if isinstance(index, slice):
            return [self[k] for k in range(*index.indices(len(self)))]
        return self.spill.read(int(self.numbers[index]))

    def __iter__(self) -> Iterator[str]:
        for number in self.numbers.tolist():
            yield self.spill.read(number)


class SpilledRecords(Sequence[Record]):
    """Records whose texts stay on disk: ``meta[k]`` (any text left out) with the text
    ``texts[k]``, read when the record is asked for.

    Parameters
    ----------
    meta : sequence of Record
        Each record's metadata; its ``text`` is not read.
    texts : SpilledTexts
        The texts, one per record.
    folder : path
        A scratch folder (kept by the caller) for texts derived from these.
    """

    def __init__(self, meta: Sequence[Record], texts: SpilledTexts, folder: str | Path) -> None:
        if len(meta) != len(texts):
            raise ValueError(f"SpilledRecords: {len(meta)} records but {len(texts)} texts")
        self.meta = meta
        self.texts = texts
        self.folder = Path(folder)

    def __len__(self) -> int:
        return len(self.meta)

    @overload
    def __getitem__(self, index: int) -> Record: ...

    @overload
    def __getitem__(self, index: slice) -> list[Record]: ...

    def __getitem__(self, index: int | slice) -> Record | list[Record]:
        if isinstance(index, slice):
            return [self[k] for k in range(*index.indices(len(self)))]
        return dataclasses.replace(self.meta[index], text=self.texts[index])

    def __iter__(self) -> Iterator[Record]:
        for record, text in zip(self.meta, self.texts):
            yield dataclasses.replace(record, text=text)

    def take(self, positions: Sequence[int] | np.ndarray) -> SpilledRecords:
        """The records at ``positions``, in that order (nothing read)."""
        positions = np.asarray(positions, dtype=np.int64)
        meta = [self.meta[k] for k in positions.tolist()]
        texts = SpilledTexts(self.texts.spill, self.texts.numbers[positions])
        return SpilledRecords(meta, texts, self.folder)


def metadata(records: Sequence[Record]) -> Sequence[Record]:
    """The records as far as their metadata goes (a :class:`SpilledRecords`' texts unread)."""
    return records.meta if isinstance(records, SpilledRecords) else records
