"""The persistent index's storage on three embedded engines, side by side, on its real workload.

The keys are computed once, with dedup's own kernels (``dedup.index.index_rows``: the
same words, MinHash signatures, LSH band keys and winnowed passage keys that ``dedup index
add`` and ``index query`` compute), and written to a work folder; then each engine runs in a
fresh ``python benchmarks/index_engines.py --child ENGINE`` process that times **only the
storage operations** on those arrays:

* **add**: ``--docs`` documents in batches of ``--batch``, each batch one write transaction
  (documents with their compressed text and signature, band keys, passage keys): docs/s
  over the whole build, from the first batch to the last commit;
* **query**: for one article at a time, what ``index_query`` asks of the store: the
  documents sharing a band key, every stored occurrence of the article's passage keys, and
  loading the candidate documents (the ones ``index_query`` would load: band matches plus
  two-hit passage candidates, found with ``dedup.index.query_passage_candidates`` on a
  numpy reference of the postings, untimed). p50 and p99 over ``--queries`` articles, half
  planted near-duplicate copies of indexed documents, half unrelated; one untimed warm-up
  query first. Every engine's answers are checked against the numpy reference;
* **open**: opening the built store for reading (median of 3), what a ``dedup index query``
  process pays before its first lookup;
* **bytes on disk per document** after the build (SQLite after a WAL checkpoint), and the
  child's peak RSS (``VmHWM``; it includes one batch of input arrays, the same for all).

Engines:

* **sqlite-wal**: the real ``dedup.store.IndexStore`` (``insert`` in ``writing()``;
  ``band_matches``, ``passage_postings``, ``documents`` in ``reading()``).
* **lmdb**: one LMDB environment with named sub-databases: ``bands`` (uint64 key → uint32
  doc; dupsort + dupfixed + integer keys and values), ``passages`` (uint64 key → uint64
  doc << 32 | position, the same flags), ``documents`` (doc → header, signature, zlib text),
  ``ids`` (id → doc, as SQLite's UNIQUE id). One write transaction per batch, keys put
  sorted with ``putmulti``, looked up with ``getmulti(dupfixed_bytes=…, keyfixed=True)``.
  The band is not stored: ``dedup.lsh.band_keys`` mixes it into the key.
* **parquet+ipc**: per batch one Parquet file of documents (doc, id, digest, words, chars,
  outlet, date, zlib text, signature; row groups of 256 documents, read by row group) and
  two key files sorted by key, (key, doc) and (key, doc, position), as uncompressed Arrow
  IPC files memory-mapped through pyarrow, looked up with ``np.searchsorted`` on the
  zero-copy key column of every batch. Parquet pages are encoded, so a Parquet key column
  cannot be memory-mapped as an array; Arrow IPC (the same columns, pyarrow) can.
* **parquet**: the same, with the key files as Parquet too (zstd), decoded into memory when
  the store is opened.

The Parquet stores write every file to a temporary name, fsync it and rename it; a batch
becomes part of the store when ``manifest.json`` (written the same way, then the folder
fsynced) names it. They have no delete or replace (that needs tombstones and compaction),
no id → doc lookup but a scan of the id columns, and a lookup touches every batch's files,
so their query time grows with the number of batches until they are compacted.

    python benchmarks/index_engines.py --docs 100000 --batch 10000 --queries 200
    python benchmarks/index_engines.py --docs 5000 --batch 1000 --engines sqlite-wal,lmdb
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import pickle
import shutil
import statistics
import struct
import subprocess
import sys
import tempfile
import time
import zlib
from collections.abc import Iterator
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from dedup.config import Config
from dedup.store import DocumentRows
from dedup.types import Record

ENGINES = ("sqlite-wal", "lmdb", "parquet+ipc", "parquet")
LABELS = {
    "sqlite-wal": "SQLite WAL (dedup.store.IndexStore)",
    "lmdb": "LMDB (sub-databases, dupsort)",
    "parquet+ipc": "Parquet docs + Arrow IPC key files (mmap, searchsorted)",
    "parquet": "Parquet docs + Parquet key files (loaded at open, searchsorted)",
}
CRASH = {
    "sqlite-wal": "atomic per batch: one BEGIN IMMEDIATE transaction in WAL, synchronous=FULL; "
    "a torn one is rolled back on open",
    "lmdb": "atomic per batch: one copy-on-write write transaction, fsync at commit; "
    "no recovery step",
    "parquet+ipc": "atomic per batch if rename is: files temp + fsync + rename, then the "
    "manifest the same way + folder fsync; orphans ignored; no delete/replace",
    "parquet": "as parquet+ipc",
}
ROW_GROUP_DOCS = 256  # documents per Parquet row group: a document is read with its group
LMDB_MAP_SIZE = 1 << 37  # 128 GiB of address space; the file grows only as pages are used


# ---------------------------------------------------------------- workload (parent, untimed)


def index_rows(records: list[Record], config: Config) -> DocumentRows:
    """dedup's own keys of ``records``, as ``dedup index add`` computes them."""
    from dedup.index import index_rows as dedup_index_rows
    from dedup.parallel import resolve_engine

    rows, kept, _ = dedup_index_rows(records, config, resolve_engine(1))
    if len(kept) != len(records):
        raise SystemExit("a generated document has no words")
    return rows


def batch_payload(rows: DocumentRows, first_doc: int) -> dict:
    return {
        "records": [(r.id, r.text, r.outlet, r.date) for r in rows.records],
        "digests": list(rows.digests),
        "words": np.asarray(rows.words, dtype=np.int64),
        "signatures": np.asarray(rows.signatures, dtype=np.uint32),
        "band_keys": np.asarray(rows.band_keys, dtype=np.uint64),
        "passage_values": np.asarray(rows.passage_values, dtype=np.uint64),
        "passage_positions": np.asarray(rows.passage_positions, dtype=np.int64),
        "passage_ptr": np.asarray(rows.passage_ptr, dtype=np.int64),
        "docs": np.arange(first_doc, first_doc + len(rows.records), dtype=np.int64),
    }


def document_rows(batch: dict) -> DocumentRows:
    return DocumentRows(
        records=[Record(i, t, outlet=o, date=d) for i, t, o, d in batch["records"]],
        digests=batch["digests"],
        words=batch["words"],
        signatures=batch["signatures"],
        band_keys=batch["band_keys"],
        passage_values=batch["passage_values"],
        passage_positions=batch["passage_positions"],
        passage_ptr=batch["passage_ptr"],
    )


def prepare(n_docs: int, batch: int, n_queries: int, seed: int, work: Path) -> dict:
    """Generate the corpus, compute every array once, write the batches and the queries."""
    from generate import generate

    from dedup.index import query_passage_candidates

    config = Config()
    clock = time.perf_counter()
    rows, truth = generate(n_docs + n_queries, seed=seed)
    records = [Record(r["id"], r["text"], outlet=r["outlet"], date=r["date"]) for r in rows]
    by_id = {r.id: k for k, r in enumerate(records)}
    # planted queries: copies whose original is indexed; plain: documents linked to nothing
    linked = set()
    for pair in truth.near_duplicates:
        linked.update((pair["a"], pair["b"]))
    for passage in truth.passages:
        linked.update(w["doc"] for w in passage["witnesses"])
    copies = [p["b"] for p in truth.near_duplicates if by_id[p["a"]] < n_docs]
    planted = copies[: n_queries // 2]
    plain = [r.id for r in records if r.id not in linked][: n_queries - len(planted)]
    queried = set(planted) | set(plain)
    indexed = [r for r in records if r.id not in queried][:n_docs]
    if len(indexed) < n_docs or len(planted) + len(plain) < n_queries:
        raise SystemExit("generated corpus too small for these sizes")
    query_records = [records[by_id[i]] for i in planted + plain]
    query_rows = [index_rows([r], config) for r in query_records]
    generated_s = time.perf_counter() - clock

    # reference lookups, batch by batch, with numpy: band docs and passage postings per query
    band_found: list[list[np.ndarray]] = [[] for _ in query_rows]
    posting_found: list[list[np.ndarray]] = [[] for _ in query_rows]
    n_band_keys = n_passage_keys = text_bytes = 0
    n_batches = 0
    for first in range(0, n_docs, batch):
        rows_b = index_rows(indexed[first : first + batch], config)
        payload = batch_payload(rows_b, first + 1)  # docs are numbered from 1, as SQLite does
        with open(work / f"batch-{n_batches:05d}.pkl", "wb") as handle:
            pickle.dump(payload, handle, protocol=5)
        n_batches += 1
        n_band_keys += payload["band_keys"].size
        n_passage_keys += len(payload["passage_values"])
        text_bytes += sum(len(r[1].encode("utf-8")) for r in payload["records"])
        docs = payload["docs"]
        band_key = payload["band_keys"].ravel()
        band_doc = np.repeat(docs, payload["band_keys"].shape[1])
        order = np.argsort(band_key, kind="stable")
        band_key, band_doc = band_key[order], band_doc[order]
        key = payload["passage_values"]
        key_doc = np.repeat(docs, np.diff(payload["passage_ptr"]))
        order = np.argsort(key, kind="stable")
        key, key_doc, key_pos = key[order], key_doc[order], payload["passage_positions"][order]
        for q, qrows in enumerate(query_rows):
            lo, hi = spans(band_key, qrows.band_keys.ravel())
            band_found[q].append(band_doc[take_ranges(lo, hi)])
            lo, hi = spans(key, np.unique(qrows.passage_values))
            at = take_ranges(lo, hi)
            posting_found[q].append(np.stack([key_doc[at], key_pos[at], key[at].view(np.int64)]))
        del payload, rows_b
    limit = config.common_limit(n_docs + 1)
    queries = []
    for q, qrows in enumerate(query_rows):
        band_docs = np.concatenate(band_found[q])
        post = np.concatenate(posting_found[q], axis=1)
        post = post[:, np.lexsort((post[1], post[0]))]
        passage, _ = query_passage_candidates(
            qrows, post[2].view(np.uint64), post[0], post[1], limit, config
        )
        needed = np.unique(np.concatenate([band_docs, passage.indexed_docs]).astype(np.int64))
        queries.append(
            {
                "planted": q < len(planted),
                "band_keys": np.asarray(qrows.band_keys, dtype=np.uint64).reshape(1, -1),
                "passage_values": np.asarray(qrows.passage_values, dtype=np.uint64),
                "needed": needed,
                "ref_band_docs": np.sort(band_docs),
                "ref_postings": post[:, np.lexsort(post[::-1])],
                "ref_ids": [indexed[d - 1].id for d in needed.tolist()],
            }
        )
    with open(work / "queries.pkl", "wb") as handle:
        pickle.dump(queries, handle, protocol=5)
    meta = {
        "docs": n_docs,
        "batch": batch,
        "batches": n_batches,
        "queries": len(queries),
        "planted": len(planted),
        "band_keys": n_band_keys,
        "passage_keys": n_passage_keys,
        "text_bytes": text_bytes,
        "needed_mean": float(np.mean([len(q["needed"]) for q in queries])),
        "postings_mean": float(np.mean([q["ref_postings"].shape[1] for q in queries])),
        "prepare_s": time.perf_counter() - clock,
        "generate_s": generated_s,
    }
    (work / "meta.json").write_text(json.dumps(meta), encoding="utf-8")
    return meta


def spans(sorted_keys: np.ndarray, wanted: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Half-open index ranges of each wanted key in a sorted key column."""
    wanted = np.asarray(wanted, dtype=sorted_keys.dtype)
    return (
        np.searchsorted(sorted_keys, wanted, side="left"),
        np.searchsorted(sorted_keys, wanted, side="right"),
    )


def take_ranges(lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    """Every index in the ranges ``[lo[k], hi[k])``, concatenated."""
    counts = hi - lo
    total = int(counts.sum())
    if total == 0:
        return np.zeros(0, dtype=np.int64)
    starts = np.repeat(lo - np.concatenate([[0], np.cumsum(counts)[:-1]]), counts)
    return starts + np.arange(total, dtype=np.int64)


# ---------------------------------------------------------------- engines (child side)


class SqliteEngine:
    """The real store: dedup.store.IndexStore."""

    def __init__(self, path: Path, create: bool) -> None:
        from dedup.store import IndexStore

        self.path = path / "index.idx"
        self.store = (
            IndexStore.create_or_open(self.path, Config()) if create else IndexStore.open(self.path)
        )

    def add(self, batch: dict, rows: DocumentRows) -> None:
        with self.store.writing():
            docs = self.store.insert(rows)
        if not np.array_equal(docs, batch["docs"]):
            raise SystemExit("SQLite numbered the documents differently")

    def reading(self):
        return self.store.reading()

    def band_docs(self, band_keys: np.ndarray) -> np.ndarray:
        return self.store.band_matches(band_keys)[1]

    def postings(self, keys: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        values, docs, positions = self.store.passage_postings(keys)
        return values, docs, positions

    def documents(self, docs: np.ndarray) -> list[Record]:
        return [d.record for d in self.store.documents(docs.tolist())]

    def close(self) -> None:
        self.store.close()

    def disk_bytes(self) -> int:
        import sqlite3

        from dedup.store import disk_size

        connection = sqlite3.connect(str(self.path))
        connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        connection.close()
        return disk_size(self.path)


class LmdbEngine:
    """LMDB: bands, passages (dupsort, dupfixed, integer keys and values), documents, ids."""

    HEADER = struct.Struct("<IIHHHHI")  # words, chars, len id, digest, outlet, date, signature

    def __init__(self, path: Path, create: bool) -> None:
        import lmdb

        self.path = path
        path.mkdir(parents=True, exist_ok=True)
        self.env = lmdb.open(
            str(path), map_size=LMDB_MAP_SIZE, max_dbs=8, readonly=not create, lock=True
        )
        dup = {"dupsort": True, "dupfixed": True, "integerkey": True, "integerdup": True}
        self.bands = self.env.open_db(b"bands", create=create, **dup)
        self.passages = self.env.open_db(b"passages", create=create, **dup)
        self.docs = self.env.open_db(b"documents", create=create, integerkey=True)
        self.ids = self.env.open_db(b"ids", create=create)
        self.txn = None

    def add(self, batch: dict, rows: DocumentRows) -> None:
        docs = batch["docs"]
        doc_keys = docs.astype("=u8").view("V8").tolist()
        values = []
        for (doc_id, text, outlet, date), digest, words, signature in zip(
            batch["records"], batch["digests"], batch["words"].tolist(), batch["signatures"]
        ):
            parts = [
                doc_id.encode(),
                digest.encode(),
                (outlet or "").encode(),
                (date or "").encode(),
            ]
            sig = signature.tobytes()
            header = self.HEADER.pack(words, len(text), *map(len, parts), len(sig))
            body = zlib.compress(text.encode("utf-8", "surrogatepass"), 6)
            values.append(b"".join([header, *parts, sig, body]))
        ids = sorted(zip((r[0].encode() for r in batch["records"]), doc_keys))
        band_key = batch["band_keys"].ravel()
        band_doc = np.repeat(docs, batch["band_keys"].shape[1]).astype(np.uint32)
        order = np.lexsort((band_doc, band_key))
        band_items = zip(
            band_key[order].astype("=u8").view("V8").tolist(),
            band_doc[order].astype("=u4").view("V4").tolist(),
        )
        key = batch["passage_values"]
        key_doc = np.repeat(docs, np.diff(batch["passage_ptr"])).astype(np.uint64)
        packed = (key_doc << np.uint64(32)) | batch["passage_positions"].astype(np.uint64)
        order = np.lexsort((packed, key))
        passage_items = zip(
            key[order].astype("=u8").view("V8").tolist(),
            packed[order].astype("=u8").view("V8").tolist(),
        )
        with self.env.begin(write=True) as txn:
            txn.cursor(self.docs).putmulti(zip(doc_keys, values), append=True)
            txn.cursor(self.ids).putmulti(ids, overwrite=False)
            txn.cursor(self.bands).putmulti(band_items)
            txn.cursor(self.passages).putmulti(passage_items)

    @contextlib.contextmanager
    def reading(self) -> Iterator[None]:
        """One read transaction (a snapshot) for the lookups inside."""
        self.txn = self.env.begin()
        try:
            yield
        finally:
            self.txn.abort()
            self.txn = None

    def band_docs(self, band_keys: np.ndarray) -> np.ndarray:
        keys = np.ascontiguousarray(band_keys, dtype="=u8").ravel().view("V8").tolist()
        found = self.txn.cursor(self.bands).getmulti(
            keys, dupdata=True, dupfixed_bytes=4, keyfixed=True
        )
        array = np.frombuffer(found, dtype=[("key", "=u8"), ("doc", "=u4")])
        return array["doc"].astype(np.int64)

    def postings(self, keys: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        unique = np.unique(np.asarray(keys, dtype=np.uint64))
        found = self.txn.cursor(self.passages).getmulti(
            unique.astype("=u8").view("V8").tolist(), dupdata=True, dupfixed_bytes=8, keyfixed=True
        )
        array = np.frombuffer(found, dtype=[("key", "=u8"), ("value", "=u8")])
        order = np.argsort(array["value"], kind="stable")
        value = array["value"][order]
        return (
            array["key"][order],
            (value >> np.uint64(32)).astype(np.int64),
            (value & np.uint64(0xFFFFFFFF)).astype(np.int64),
        )

    def documents(self, docs: np.ndarray) -> list[Record]:
        keys = np.asarray(docs, dtype="=u8").view("V8").tolist()
        out = []
        size = self.HEADER.size
        for _, value in self.txn.cursor(self.docs).getmulti(keys):
            _, _, n_id, n_digest, n_outlet, n_date, n_sig = self.HEADER.unpack_from(value)
            at = size
            doc_id = value[at : at + n_id].decode()
            at += n_id + n_digest
            outlet = value[at : at + n_outlet].decode() or None
            at += n_outlet
            date = value[at : at + n_date].decode() or None
            at += n_date + n_sig
            text = zlib.decompress(value[at:]).decode("utf-8", "surrogatepass")
            out.append(Record(doc_id, text, outlet=outlet, date=date))
        return out

    def note(self) -> str:
        """How much of the file is pages no tree uses (copy-on-write leaves old pages free)."""
        with self.env.begin() as txn:
            stats = [txn.stat(db) for db in (self.bands, self.passages, self.docs, self.ids)]
        stats.append(self.env.stat())
        used = sum(s["branch_pages"] + s["leaf_pages"] + s["overflow_pages"] for s in stats)
        pages = self.env.info()["last_pgno"] + 1
        overflow = stats[2]["overflow_pages"]
        return (
            f"LMDB: {1 - used / pages:.0%} of the file's pages are free (copy-on-write, reused "
            f"by later writes), {overflow:,} overflow pages hold document values"
        )

    def close(self) -> None:
        self.env.close()

    def disk_bytes(self) -> int:
        return sum(p.stat().st_size for p in self.path.iterdir())


class ParquetEngine:
    """Per-batch Parquet document files and sorted key files, a JSON manifest of batches."""

    def __init__(self, path: Path, create: bool, keys_format: str) -> None:
        self.path = path
        self.keys_format = keys_format  # "ipc" or "parquet"
        path.mkdir(parents=True, exist_ok=True)
        manifest = path / "manifest.json"
        if create and not manifest.exists():
            self._write_manifest({"format": 1, "batches": []})
        self.manifest = json.loads(manifest.read_text(encoding="utf-8"))
        self._open_batches()

    # writing

    def _durable(self, write, name: str) -> str:
        """Write a file through ``write(tmp_path)``, fsync it, rename it into place."""
        tmp = self.path / f".{name}.tmp"
        write(tmp)
        fd = os.open(tmp, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(tmp, self.path / name)
        return name

    def _write_manifest(self, manifest: dict) -> None:
        data = json.dumps(manifest).encode()
        self._durable(lambda p: p.write_bytes(data), "manifest.json")
        fd = os.open(self.path, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)

    def _write_keys(self, table, name: str) -> str:
        import pyarrow as pa
        import pyarrow.parquet as pq

        if self.keys_format == "ipc":

            def write(p: Path) -> None:
                with pa.OSFile(str(p), "wb") as sink, pa.ipc.new_file(sink, table.schema) as w:
                    w.write_table(table, max_chunksize=len(table) or None)

            return self._durable(write, name + ".arrow")
        return self._durable(
            lambda p: pq.write_table(table, p, compression="zstd", use_dictionary=False),
            name + ".parquet",
        )

    def add(self, batch: dict, rows: DocumentRows) -> None:
        import pyarrow as pa
        import pyarrow.parquet as pq

        number = len(self.manifest["batches"])
        docs = batch["docs"]
        records = batch["records"]
        signatures = np.ascontiguousarray(batch["signatures"], dtype=np.uint32)
        width = signatures.shape[1] * 4
        table = pa.table(
            {
                "doc": pa.array(docs.astype(np.uint32)),
                "id": pa.array([r[0] for r in records], pa.string()),
                "digest": pa.array(batch["digests"], pa.string()),
                "words": pa.array(batch["words"].astype(np.int32)),
                "chars": pa.array(np.array([len(r[1]) for r in records], dtype=np.int32)),
                "outlet": pa.array([r[2] for r in records], pa.string()),
                "date": pa.array([r[3] for r in records], pa.string()),
                "text": pa.array(
                    [zlib.compress(r[1].encode("utf-8", "surrogatepass"), 6) for r in records],
                    pa.binary(),
                ),
                "signature": pa.FixedSizeBinaryArray.from_buffers(
                    pa.binary(width), len(docs), [None, pa.py_buffer(signatures.tobytes())]
                ),
            }
        )
        compression = {name: "zstd" for name in table.column_names}
        compression["text"] = compression["signature"] = "none"  # zlib'd / random already
        docs_name = self._durable(
            lambda p: pq.write_table(
                table, p, row_group_size=ROW_GROUP_DOCS, compression=compression
            ),
            f"docs-{number:05d}.parquet",
        )
        n_bands = batch["band_keys"].shape[1]
        band_key = batch["band_keys"].ravel()
        band_doc = np.repeat(docs, n_bands).astype(np.uint32)
        order = np.lexsort((band_doc, band_key))
        bands_name = self._write_keys(
            pa.table({"key": band_key[order], "doc": band_doc[order]}), f"bands-{number:05d}"
        )
        key = batch["passage_values"]
        key_doc = np.repeat(docs, np.diff(batch["passage_ptr"])).astype(np.uint32)
        position = batch["passage_positions"].astype(np.uint32)
        order = np.lexsort((position, key_doc, key))
        passages_name = self._write_keys(
            pa.table({"key": key[order], "doc": key_doc[order], "position": position[order]}),
            f"passages-{number:05d}",
        )
        entry = {
            "first_doc": int(docs[0]),
            "n_docs": len(docs),
            "docs": docs_name,
            "bands": bands_name,
            "passages": passages_name,
        }
        manifest = {**self.manifest, "batches": [*self.manifest["batches"], entry]}
        self._write_manifest(manifest)
        self.manifest = manifest

    # reading

    def _open_batches(self) -> None:
        import pyarrow as pa
        import pyarrow.parquet as pq

        def columns(name: str, wanted: tuple[str, ...]) -> dict[str, np.ndarray]:
            path = str(self.path / name)
            if name.endswith(".arrow"):
                source = pa.memory_map(path, "r")
                self._maps.append(source)
                table = pa.ipc.open_file(source).read_all()
                return {c: table.column(c).chunk(0).to_numpy(zero_copy_only=True) for c in wanted}
            table = pq.read_table(path, memory_map=True)
            return {c: table.column(c).to_numpy() for c in wanted}

        self._maps: list = []
        self.batches = []
        for entry in self.manifest["batches"]:
            self.batches.append(
                {
                    "first_doc": entry["first_doc"],
                    "docs": pq.ParquetFile(str(self.path / entry["docs"]), memory_map=True),
                    "bands": columns(entry["bands"], ("key", "doc")),
                    "passages": columns(entry["passages"], ("key", "doc", "position")),
                }
            )
        self.first_docs = np.array([b["first_doc"] for b in self.batches], dtype=np.int64)

    def reading(self):
        return contextlib.nullcontext()  # the manifest read at open is the snapshot

    def band_docs(self, band_keys: np.ndarray) -> np.ndarray:
        wanted = np.asarray(band_keys, dtype=np.uint64).ravel()
        found = []
        for b in self.batches:
            lo, hi = spans(b["bands"]["key"], wanted)
            found.append(b["bands"]["doc"][take_ranges(lo, hi)])
        return np.concatenate(found).astype(np.int64) if found else np.zeros(0, np.int64)

    def postings(self, keys: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        wanted = np.unique(np.asarray(keys, dtype=np.uint64))
        values, docs, positions = [], [], []
        for b in self.batches:
            p = b["passages"]
            lo, hi = spans(p["key"], wanted)
            at = take_ranges(lo, hi)
            values.append(p["key"][at])
            docs.append(p["doc"][at].astype(np.int64))
            positions.append(p["position"][at].astype(np.int64))
        value, doc, position = (np.concatenate(x) for x in (values, docs, positions))
        order = np.lexsort((position, doc))
        return value[order], doc[order], position[order]

    def documents(self, docs: np.ndarray) -> list[Record]:
        docs = np.asarray(docs, dtype=np.int64)
        which = np.searchsorted(self.first_docs, docs, side="right") - 1
        local = docs - self.first_docs[which]
        groups: dict[tuple[int, int], list[int]] = {}
        for k, (f, row) in enumerate(zip(which.tolist(), local.tolist())):
            groups.setdefault((f, row // ROW_GROUP_DOCS), []).append(k)
        out: list[Record | None] = [None] * len(docs)
        for (f, group), members in groups.items():
            table = self.batches[f]["docs"].read_row_group(
                group, columns=["id", "outlet", "date", "text"]
            )
            ids, outlets, dates, texts = (table.column(c) for c in table.column_names)
            for k in members:
                row = int(local[k]) - group * ROW_GROUP_DOCS
                text = zlib.decompress(texts[row].as_buffer()).decode("utf-8", "surrogatepass")
                out[k] = Record(
                    ids[row].as_py(), text, outlet=outlets[row].as_py(), date=dates[row].as_py()
                )
        return [r for r in out if r is not None]

    def close(self) -> None:
        self.batches = []
        for source in self._maps:
            source.close()
        self._maps = []

    def disk_bytes(self) -> int:
        return sum(p.stat().st_size for p in self.path.iterdir() if p.is_file())


def open_engine(name: str, path: Path, create: bool):
    if name == "sqlite-wal":
        return SqliteEngine(path, create)
    if name == "lmdb":
        return LmdbEngine(path, create)
    if name == "parquet+ipc":
        return ParquetEngine(path, create, "ipc")
    if name == "parquet":
        return ParquetEngine(path, create, "parquet")
    raise SystemExit(f"unknown engine {name}")


def batches(work: Path, n_batches: int) -> Iterator[dict]:
    for number in range(n_batches):
        with open(work / f"batch-{number:05d}.pkl", "rb") as handle:
            yield pickle.load(handle)


def own_peak_rss_kb() -> int:
    from peers import own_peak_rss_kb as peak

    return peak()


def check(query: dict, band_docs, postings, records: list[Record]) -> bool:
    values, docs, positions = postings
    got = np.stack(
        [
            np.asarray(docs, dtype=np.int64),
            np.asarray(positions, dtype=np.int64),
            np.asarray(values, dtype=np.uint64).view(np.int64),
        ]
    )
    got = got[:, np.lexsort(got[::-1])]  # by (doc, position, key): ties in any order
    return (
        np.array_equal(np.sort(np.asarray(band_docs)), query["ref_band_docs"])
        and np.array_equal(got, query["ref_postings"])
        and [r.id for r in records] == query["ref_ids"]
    )


def child(name: str, work: Path, store_path: Path) -> dict:
    meta = json.loads((work / "meta.json").read_text(encoding="utf-8"))
    if store_path.exists():
        shutil.rmtree(store_path)
    store_path.mkdir(parents=True)
    engine = open_engine(name, store_path, create=True)
    add_s = 0.0
    for batch in batches(work, meta["batches"]):
        rows = document_rows(batch)
        clock = time.perf_counter()
        engine.add(batch, rows)
        add_s += time.perf_counter() - clock
        del batch, rows
    note = engine.note() if hasattr(engine, "note") else ""
    engine.close()
    disk = engine.disk_bytes()

    open_s = []
    for _ in range(3):
        clock = time.perf_counter()
        engine = open_engine(name, store_path, create=False)
        open_s.append(time.perf_counter() - clock)
        engine.close()
    with open(work / "queries.pkl", "rb") as handle:
        queries = pickle.load(handle)
    engine = open_engine(name, store_path, create=False)

    def one(query: dict) -> tuple[float, bool]:
        clock = time.perf_counter()
        with engine.reading():
            band_docs = engine.band_docs(query["band_keys"])
            postings = engine.postings(query["passage_values"])
            records = engine.documents(query["needed"])
        seconds = time.perf_counter() - clock
        return seconds, check(query, band_docs, postings, records)

    one(queries[0])  # warm-up, untimed
    latencies, correct, planted = [], 0, []
    for query in queries:
        seconds, ok = one(query)
        latencies.append(seconds * 1000)
        correct += ok
        if query["planted"]:
            planted.append(seconds * 1000)
    engine.close()
    return {
        "engine": name,
        "add_s": add_s,
        "docs_per_s": meta["docs"] / add_s,
        "p50_ms": float(np.percentile(latencies, 50)),
        "p99_ms": float(np.percentile(latencies, 99)),
        "planted_p50_ms": float(np.percentile(planted, 50)) if planted else float("nan"),
        "open_ms": statistics.median(open_s) * 1000,
        "bytes_per_doc": disk / meta["docs"],
        "disk_bytes": disk,
        "files": sum(1 for p in store_path.rglob("*") if p.is_file()),
        "correct": f"{correct}/{len(queries)}",
        "peak_rss_kb": own_peak_rss_kb(),
        "note": note,
    }


# ---------------------------------------------------------------- parent side


def run_child(name: str, work: Path, stores: Path) -> dict:
    result = work / f"result-{name}.json"
    command = [sys.executable, str(Path(__file__).resolve()), "--child", name]
    command += ["--work", str(work), "--store", str(stores / name), "--result", str(result)]
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode != 0 or not result.exists():
        tail = (done.stderr or done.stdout).strip().splitlines()[-3:]
        return {"engine": name, "error": f"exit {done.returncode}: " + " / ".join(tail)}
    return json.loads(result.read_text(encoding="utf-8"))


def versions() -> str:
    import importlib.metadata
    import sqlite3

    def version(package: str) -> str:
        try:
            return importlib.metadata.version(package)
        except importlib.metadata.PackageNotFoundError:
            return "not installed"

    try:
        import lmdb

        liblmdb = ".".join(map(str, lmdb.version()))
    except ImportError:
        liblmdb = "?"
    return (
        f"engines: SQLite {sqlite3.sqlite_version} (Python sqlite3), lmdb {version('lmdb')} "
        f"(liblmdb {liblmdb}), pyarrow {version('pyarrow')}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--docs", type=int, default=100_000, help="documents indexed")
    parser.add_argument("--batch", type=int, default=10_000, help="documents per transaction")
    parser.add_argument("--queries", type=int, default=200, help="single-article queries")
    parser.add_argument("--seed", type=int, default=0, help="seed of the generated corpus")
    parser.add_argument("--engines", default=",".join(ENGINES), help="comma-separated subset")
    parser.add_argument("--dir", type=Path, help="work folder (default: a temporary one)")
    parser.add_argument("--keep", action="store_true", help="keep the work folder and stores")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--work", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--store", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--result", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        found = child(args.child, args.work, args.store)
        args.result.write_text(json.dumps(found), encoding="utf-8")
        return

    from scan_speed import provenance

    engines = [e for e in args.engines.split(",") if e]
    unknown = sorted(set(engines) - set(ENGINES))
    if unknown:
        parser.error(f"unknown engines {unknown}; choose from {', '.join(ENGINES)}")
    folder = args.dir or Path(tempfile.mkdtemp(prefix="dedup-index-engines-"))
    folder.mkdir(parents=True, exist_ok=True)
    work, stores = folder / "workload", folder / "stores"
    work.mkdir(exist_ok=True)
    stores.mkdir(exist_ok=True)

    print(provenance(sys.argv[1:], Path(__file__).name))
    print(versions())
    print("preparing the workload …", file=sys.stderr, flush=True)
    meta = prepare(args.docs, args.batch, args.queries, args.seed, work)
    print(
        f"workload: {meta['docs']:,} generated documents ({meta['text_bytes'] / meta['docs']:,.0f} "
        f"text bytes each) in {meta['batches']} batches of {meta['batch']:,}, "
        f"{meta['band_keys']:,} band keys, {meta['passage_keys']:,} passage keys "
        f"({meta['passage_keys'] / meta['docs']:.0f}/doc), computed once with dedup's kernels in "
        f"{meta['prepare_s']:.0f} s (untimed); {meta['queries']} single-article queries "
        f"({meta['planted']} planted copies), on average {meta['postings_mean']:,.0f} stored "
        f"postings and {meta['needed_mean']:.1f} documents loaded per query"
    )
    print(f"stores in {stores}; each engine a fresh process, warm page cache")
    print(flush=True)

    results = []
    for name in engines:
        print(f"running {name} …", file=sys.stderr, flush=True)
        results.append(run_child(name, work, stores))

    print(
        "| engine | add (s) | add docs/s | query p50 (ms) | query p99 (ms) "
        "| planted p50 (ms) | open (ms) | bytes/doc on disk | files | peak RSS (MB) "
        "| answers checked | crash safety |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|")
    for row in results:
        name = row["engine"]
        if "error" in row:
            print(f"| {LABELS[name]} | failed: {row['error']} |" + " |" * 10)
            continue
        print(
            f"| {LABELS[name]} | {row['add_s']:.1f} | {row['docs_per_s']:,.0f} "
            f"| {row['p50_ms']:.2f} | {row['p99_ms']:.2f} | {row['planted_p50_ms']:.2f} "
            f"| {row['open_ms']:.1f} | {row['bytes_per_doc']:,.0f} | {row['files']} "
            f"| {row['peak_rss_kb'] / 1024:,.0f} | {row['correct']} | {CRASH[name]} |",
            flush=True,
        )
    print()
    print(
        "query = band-key lookups + passage-key lookups + loading the candidate documents "
        "(decompressed into Records), in one read snapshot, after the store is open; "
        "open = opening it (a `dedup index query` process pays both). answers checked = "
        "queries whose band matches, postings and loaded documents equal the numpy reference."
    )
    for row in results:
        if row.get("note"):
            print(row["note"])
    if not args.keep and args.dir is None:
        shutil.rmtree(folder, ignore_errors=True)
    elif not args.keep:
        shutil.rmtree(stores, ignore_errors=True)


if __name__ == "__main__":
    main()
