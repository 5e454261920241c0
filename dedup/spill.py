"""Files a scan spills to disk when the corpus is not held in memory.

A spilled scan (:func:`dedup.pipeline.scan_spilled`) keeps three kinds of files in one
folder, all of them scratch that the run removes when it ends:

* :class:`TextSpill`: every document's text, appended once as it is read and read back by
  document number (``os.pread``, so the reads never grow this process' memory the way a
  memory map's touched pages would);
* :class:`PartitionSpill`: rows of a structured dtype (passage keys, passage hits) appended
  to one file per partition as each batch is done, and read back one partition at a time;
* a plain binary file of signature rows (see ``scan_spilled``).

Nothing here decides anything: which rows go to which partition is the caller's.
"""

from __future__ import annotations

import os
from array import array
from pathlib import Path
from typing import BinaryIO

import numpy as np

# a scan rejects records holding lone surrogates before it spills them (prepare.usable_records);
# text a caller spills itself still reads back exactly as it was appended
_TEXT_ERRORS = "surrogatepass"


WRITE_BUFFER = 1 << 20  # bytes of text written to the spill file at a time


def group_by_partition(partition: np.ndarray, parts: int) -> tuple[np.ndarray, np.ndarray]:
    """The order that groups rows by partition, keeping their order within each (a stable
    sort, which for small integers numpy does as a radix sort, linear in the rows), and the
    number of rows of each partition (ndarray of int64, shape (parts,))."""
    small = np.uint16 if parts <= 1 << 16 else np.int64
    order = np.argsort(partition.astype(small), kind="stable")
    return order, np.bincount(partition, minlength=parts)


class TextSpill:
    """Texts appended to one file, read back by their number (the order of :meth:`append`)."""

    def __init__(self, path: str | os.PathLike) -> None:
        self.path = Path(path)
        # written a megabyte at a time (the texts are a few kilobytes each)
        self._handle: BinaryIO = open(self.path, "wb", buffering=WRITE_BUFFER)  # noqa: SIM115
        self._offsets = array("q", [0])
        self._read_fd: int | None = None
        self._unflushed = False

    def __len__(self) -> int:
        return len(self._offsets) - 1

    def append(self, text: str) -> int:
        """Write ``text``; returns its number."""
        data = text.encode("utf-8", _TEXT_ERRORS)
        self._handle.write(data)
        self._unflushed = True
        self._offsets.append(self._offsets[-1] + len(data))
        return len(self._offsets) - 2

    def read(self, index: int) -> str:
        """The text numbered ``index``, exactly as it was appended."""
        if self._unflushed:
            self._handle.flush()
            self._unflushed = False
        if self._read_fd is None:
            self._read_fd = os.open(self.path, os.O_RDONLY)
        start, end = self._offsets[index], self._offsets[index + 1]
        data = os.pread(self._read_fd, end - start, start)
        if len(data) != end - start:
            raise OSError(f"{self.path}: short read of text {index}")
        return data.decode("utf-8", _TEXT_ERRORS)

    def close(self) -> None:
        self._handle.close()
        if self._read_fd is not None:
            os.close(self._read_fd)
            self._read_fd = None


class PartitionSpill:
    """Rows of ``dtype`` kept in ``parts`` files, one per partition, in the order appended.

    Parameters
    ----------
    folder : path
    name : str
        Prefix of the files (``{name}-{part:04d}.bin``).
    dtype : numpy dtype
        Of the rows; structured dtypes are written as their raw records.
    parts : int
    """

    def __init__(self, folder: str | os.PathLike, name: str, dtype: np.dtype, parts: int) -> None:
        self.dtype = np.dtype(dtype)
        self.parts = parts
        self._paths = [Path(folder) / f"{name}-{part:04d}.bin" for part in range(parts)]
        self._handles: list[BinaryIO | None] = [None] * parts
        self.rows = np.zeros(parts, dtype=np.int64)

    def append(self, rows: np.ndarray, partition: np.ndarray) -> None:
        """Append each row to the file of its partition, keeping their order within it.

        Parameters
        ----------
        rows : ndarray of ``dtype``, shape (n,)
        partition : ndarray of int64, shape (n,)
            In ``0 .. parts - 1``.
        """
        if len(rows) == 0:
            return
        order, counts = group_by_partition(partition, self.parts)
        self.append_grouped(rows[order], counts)

    def append_grouped(self, rows: np.ndarray, counts: np.ndarray) -> None:
        """:meth:`append` of rows already grouped by partition: the first ``counts[0]``
        rows belong to partition 0, the next ``counts[1]`` to partition 1, and so on."""
        ordered = np.ascontiguousarray(rows, dtype=self.dtype)
        bounds = np.concatenate([[0], np.cumsum(counts)])
        for part in np.flatnonzero(counts).tolist():
            handle = self._handles[part]
            if handle is None:
                handle = self._handles[part] = open(self._paths[part], "ab")  # noqa: SIM115
            handle.write(ordered[bounds[part] : bounds[part + 1]].tobytes())
        self.rows += counts

    def path_of(self, part: int) -> Path:
        return self._paths[part]

    def read(self, part: int) -> np.ndarray:
        """Every row of partition ``part``, in the order appended."""
        handle = self._handles[part]
        if handle is not None:
            handle.flush()
        if not self.rows[part]:
            return np.zeros(0, dtype=self.dtype)
        found = np.fromfile(self._paths[part], dtype=self.dtype)
        if len(found) != self.rows[part]:
            raise OSError(f"{self._paths[part]}: {len(found)} rows, {self.rows[part]} written")
        return found

    def drop(self, part: int) -> None:
        """Remove partition ``part``'s file (read once, it is not needed again)."""
        handle = self._handles[part]
        if handle is not None:
            handle.close()
            self._handles[part] = None
        self._paths[part].unlink(missing_ok=True)

    def close(self) -> None:
        for part, handle in enumerate(self._handles):
            if handle is not None:
                handle.close()
                self._handles[part] = None
