"""The LSH band keys of a scan on Ray, kept off the driver: each words task writes its band
keys to a file of its own, grouped by key partition (:func:`write_band_keys`), and a task per
partition finds that partition's band buckets (:class:`BandFiles`).

A band bucket is the documents with one key in one band. A key's partition depends on the key
alone (:func:`dedup.lsh.key_partition`), so every bucket lies whole in one partition, and the
union of the partitions' pairs is :func:`dedup.lsh.candidate_pairs` of the whole matrix (the
same pairs, hence the same output). The copy groups' band buckets are found the same way
(:meth:`BandFiles.first_links`), and each near group's consensus by one task that reads the
band keys of the documents it is asked about (:meth:`BandFiles.consensus`). The driver sends
each task where its rows lie (two numbers a file) and gets back only pairs.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from dedup.copies import consensus_members
from dedup.lsh import key_partition, merge_pairs, pairs_in_groups, unique_pairs
from dedup.parallel import Engine
from dedup.spill import group_by_partition

#: one band key of one document: ``doc`` numbered among the words task's documents with words
BAND_ROW = np.dtype([("key", "<u8"), ("doc", "<u4"), ("band", "<u4")])


def band_path(folder: str | os.PathLike, job: int) -> Path:
    return Path(folder) / f"bands-{job:06d}.bin"


def band_rows(band_keys: np.ndarray, parts: int) -> tuple[np.ndarray, np.ndarray]:
    """:data:`BAND_ROW` rows of ``band_keys`` (ndarray of uint64, shape (n_docs, bands)),
    grouped by key partition (of ``parts``; stable), and the number of rows of each."""
    n_docs, bands = band_keys.shape
    rows = np.empty(n_docs * bands, dtype=BAND_ROW)
    rows["key"] = band_keys.reshape(-1)
    rows["doc"] = np.repeat(np.arange(n_docs, dtype=np.uint32), bands)
    rows["band"] = np.tile(np.arange(bands, dtype=np.uint32), n_docs)
    order, counts = group_by_partition(key_partition(rows["key"], parts), parts)
    return rows[order], counts


def write_band_keys(folder: str, job: int, band_keys: np.ndarray, parts: int) -> np.ndarray:
    """``band_keys`` of words task ``job`` written to its band file (on a worker); the number
    of rows of each key partition (ndarray of int64, shape (parts,))."""
    rows, counts = band_rows(band_keys, parts)
    with open(band_path(folder, job), "wb") as handle:
        handle.write(rows.tobytes())
    return counts


def read_slices(
    paths: list[Path], dtype: np.dtype, counts: np.ndarray, firsts: np.ndarray
) -> np.ndarray:
    """Rows ``firsts[k]`` to ``firsts[k] + counts[k] - 1`` of each file ``paths[k]``, in order."""
    found = [
        np.fromfile(path, dtype=dtype, count=count, offset=first * dtype.itemsize)
        for path, count, first in zip(paths, counts.tolist(), firsts.tolist())
        if count
    ]
    for path, rows, count in zip(paths, found, counts[counts > 0].tolist()):
        if len(rows) != count:
            raise OSError(f"{path}: {len(rows)} rows, {count} written")
    return np.concatenate(found) if found else np.zeros(0, dtype=dtype)


def buckets(keys: np.ndarray, bands: np.ndarray, docs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The band buckets of rows ``(keys, bands, docs)`` (no document twice in a band): the
    documents bucket after bucket, increasing within each, and where each bucket starts."""
    order = np.lexsort((docs, keys, bands))
    keys, bands = keys[order], bands[order]
    new = np.ones(len(order), dtype=bool)
    new[1:] = (keys[1:] != keys[:-1]) | (bands[1:] != bands[:-1])
    return docs[order], np.flatnonzero(new)


@dataclass(frozen=True, slots=True)
class BandFiles:
    """The band files of a scan's words tasks, on the driver: where each partition's rows
    lie, never the rows. A :class:`dedup.copies.BandBuckets`.

    folder : the scratch folder every worker sees
    counts : ndarray (jobs, parts), the rows each words task wrote to each key partition
    doc_base : ndarray (jobs,), the number of the first scanned document of each task
    n_docs, bands : the scanned documents, and the bands of each
    """

    folder: str
    counts: np.ndarray
    doc_base: np.ndarray
    n_docs: int
    bands: int
    engine: Engine

    def _parts(self) -> list[tuple[np.ndarray, np.ndarray]]:
        firsts = np.cumsum(self.counts, axis=1) - self.counts
        return [(self.counts[:, p], firsts[:, p]) for p in range(self.counts.shape[1])]

    def candidate_pairs(self, kept: np.ndarray | None) -> np.ndarray:
        """:func:`dedup.lsh.candidate_pairs` of the band keys of the documents ``kept``
        (ndarray of int64, increasing; every document when None), numbered in the corpus:
        pairs ``i < j``, sorted, unique; a task per key partition."""
        keep = None
        if kept is not None:
            keep = np.zeros(self.n_docs, dtype=bool)
            keep[kept] = True
        shared = (self.folder, self.doc_base, self.n_docs, keep)
        found = self.engine.map_ordered(_pairs_job, shared, self._parts())
        return merge_pairs([pairs.copy() for pairs in found], self.n_docs)

    def first_links(self, heads: np.ndarray) -> np.ndarray:
        """:meth:`dedup.copies.BandBuckets.first_links`, a task per key partition."""
        among = np.zeros(self.n_docs, dtype=bool)
        among[heads] = True
        shared = (self.folder, self.doc_base, among)
        found = [
            edges.copy() for edges in self.engine.map_ordered(_links_job, shared, self._parts())
        ]
        return np.concatenate(found) if found else np.zeros((0, 2), dtype=np.int64)

    def consensus(self, docs: np.ndarray, labels: np.ndarray) -> np.ndarray:
        """:func:`dedup.copies.consensus_members` of ``docs`` and ``labels``, in one task that
        reads the band keys of ``docs``."""
        shared = (self.folder, self.counts.sum(axis=1), self.doc_base, self.bands)
        (found,) = self.engine.map_ordered(_consensus_job, shared, [(docs, labels)])
        return np.array(found, dtype=np.int64)

    def remove(self) -> None:
        for job in range(len(self.counts)):
            band_path(self.folder, job).unlink(missing_ok=True)


def _part_rows(
    folder: str, doc_base: np.ndarray, counts: np.ndarray, firsts: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The keys, bands and documents (numbered in the corpus) of one key partition's rows."""
    paths = [band_path(folder, job) for job in range(len(counts))]
    rows = read_slices(paths, BAND_ROW, counts, firsts)
    docs = rows["doc"].astype(np.int64) + np.repeat(doc_base, counts)
    return rows["key"], rows["band"], docs


def _pairs_job(
    folder: str,
    doc_base: np.ndarray,
    n_docs: int,
    keep: np.ndarray | None,
    counts: np.ndarray,
    firsts: np.ndarray,
) -> np.ndarray:
    """The candidate pairs of one key partition's band buckets (of the ``keep`` documents)."""
    keys, bands, docs = _part_rows(folder, doc_base, counts, firsts)
    if keep is not None:
        chosen = keep[docs]
        keys, bands, docs = keys[chosen], bands[chosen], docs[chosen]
    members, starts = buckets(keys, bands, docs)
    return unique_pairs([pairs_in_groups(members, starts)], n_docs)


def _links_job(
    folder: str, doc_base: np.ndarray, among: np.ndarray, counts: np.ndarray, firsts: np.ndarray
) -> np.ndarray:
    """``(first, other)`` of each band bucket of one key partition among the ``among``
    documents."""
    keys, bands, docs = _part_rows(folder, doc_base, counts, firsts)
    chosen = among[docs]
    members, starts = buckets(keys[chosen], bands[chosen], docs[chosen])
    sizes = np.diff(np.append(starts, len(members)))
    first = np.repeat(members[starts], sizes)
    linked = np.ones(len(members), dtype=bool)
    linked[starts] = False
    return np.stack([first[linked], members[linked]], axis=1)


def _consensus_job(
    folder: str,
    rows_per_job: np.ndarray,
    doc_base: np.ndarray,
    bands: int,
    docs: np.ndarray,
    labels: np.ndarray,
) -> np.ndarray:
    """:func:`dedup.copies.consensus_members` of ``docs``, their band keys read here."""
    chosen = np.unique(docs)
    matrix = np.zeros((len(chosen), bands), dtype=np.uint64)
    for job, count in enumerate(rows_per_job.tolist()):
        rows = np.fromfile(band_path(folder, job), dtype=BAND_ROW)
        if len(rows) != count:
            raise OSError(f"{band_path(folder, job)}: {len(rows)} rows, {count} written")
        global_docs = rows["doc"].astype(np.int64) + int(doc_base[job])
        at = np.minimum(np.searchsorted(chosen, global_docs), max(len(chosen) - 1, 0))
        hit = chosen[at] == global_docs if len(chosen) else np.zeros(len(rows), dtype=bool)
        matrix[at[hit], rows["band"][hit]] = rows["key"][hit]
    # positions in ``chosen`` keep the documents' order, so the ties fall the same way
    found = consensus_members(np.searchsorted(chosen, docs), labels, matrix)
    return chosen[found]


__all__ = ["BAND_ROW", "BandFiles", "band_rows", "read_slices", "write_band_keys"]
