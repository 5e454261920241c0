"""The persistent index: one SQLite file (WAL mode) of documents, their band keys, passage
keys and signatures, and the settings they were computed with.

Nothing here computes a key: :mod:`dedup.pipeline` computes them with the same kernels as
``scan`` and hands arrays to :class:`IndexStore`, which only stores and looks them up.

Tables (``uint64`` keys are stored as SQLite ``INTEGER``, i.e. the same 64 bits read as
``int64``: ``keys.view(np.int64)`` in, ``.view(np.uint64)`` out):

* ``meta(name, value)``: ``format_version``, ``config`` (``Config.to_dict()`` as JSON),
  ``config_digest``;
* ``documents(doc, id, digest, words, chars, outlet, date, url, title, source, text,
  signature)``: ``doc`` is the integer the key tables use; ``text`` is the original text,
  UTF-8 and zlib-compressed (verification re-tokenizes it; smaller than token arrays);
  ``signature`` the uint32 MinHash row as bytes;
* ``band_keys(key, band, doc)`` and ``passage_keys(key, doc, position)``, both
  ``WITHOUT ROWID`` with the key first in the primary key, so a lookup by key is one B-tree
  descent and the rows of one key sit together. Removing a document deletes its keys by
  ``(key, doc)``, recomputed from its stored text and signature, so no second index on
  ``doc`` is needed.

Every ``add`` or ``remove`` is one ``BEGIN IMMEDIATE`` transaction: a process killed at any
point leaves either all or none of it (SQLite rolls a torn transaction back on the next
open). Readers run in one read transaction each, so a query sees one consistent snapshot
while a writer adds (WAL lets readers and one writer work at once).
"""

from __future__ import annotations

import contextlib
import json
import sqlite3
import zlib
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from dedup.config import Config
from dedup.errors import IndexFormatError
from dedup.story_store import SCHEMA as STORY_SCHEMA
from dedup.types import Record

FORMAT_VERSION = 4  # 2: words of Thai, Lao, Khmer, Myanmar and Indic text cut and folded anew
# 3: the tables of the stories an index keeps (dedup.story_store); 4: the sentence-bag
# tables (dedup.index_bags). A version 2 or 3 index is migrated when opened for writing
# (the tables added, the bag rows of its documents written by the next add), and read as
# it is
MIGRATES_FROM = ("2", "3")
#: Settings the stored keys depend on; an index refuses work under other values.
KEY_SETTINGS = ("shingle_size", "num_perm", "bands", "rows", "seed", "min_passage_words")
BUSY_TIMEOUT_S = 60.0
CACHE_KIB = 512 * 1024  # page cache of a writing connection: inserts of random keys need it
LOOKUP_CHUNK = 1 << 16  # keys per temporary-table fill

BAG_SCHEMA = """
CREATE TABLE IF NOT EXISTS bag_counts (bucket INTEGER PRIMARY KEY, count INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS bag_keys (
    word INTEGER NOT NULL, doc INTEGER NOT NULL, total INTEGER NOT NULL,
    length INTEGER NOT NULL, PRIMARY KEY (word, doc, total, length)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS bag_keys_doc ON bag_keys (doc);
"""
#: the ``meta`` row saying that every stored document has its bag rows
#: (:mod:`dedup.index_bags`; an index migrated from an older version has not until it is
#: next written to)
READY = "bag_keys"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS documents (
    doc INTEGER PRIMARY KEY,
    id TEXT NOT NULL UNIQUE,
    digest TEXT NOT NULL,
    words INTEGER NOT NULL,
    chars INTEGER NOT NULL,
    outlet TEXT, date TEXT, url TEXT, title TEXT, source TEXT,
    text BLOB NOT NULL,
    signature BLOB NOT NULL
);
CREATE TABLE IF NOT EXISTS band_keys (
    key INTEGER NOT NULL, band INTEGER NOT NULL, doc INTEGER NOT NULL,
    PRIMARY KEY (key, band, doc)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS passage_keys (
    key INTEGER NOT NULL, doc INTEGER NOT NULL, position INTEGER NOT NULL,
    PRIMARY KEY (key, doc, position)
) WITHOUT ROWID;
"""


@dataclass(frozen=True, slots=True)
class StoredDocument:
    """A document as the index holds it: its integer ``doc`` and the record."""

    doc: int
    record: Record
    words: int
    digest: str


@dataclass(frozen=True, slots=True)
class DocumentRows:
    """What ``add`` writes for a batch of documents (arrays in batch order).

    Attributes
    ----------
    records : sequence of Record
    digests : sequence of str
    words : ndarray of int64, shape (n_docs,)
    signatures : ndarray of uint32, shape (n_docs, num_perm)
    band_keys : ndarray of uint64, shape (n_docs, bands)
    passage_values : ndarray of uint64, shape (n_keys,)
    passage_positions : ndarray of int64, shape (n_keys,)
    passage_ptr : ndarray of int64, shape (n_docs + 1,)
    """

    records: Sequence[Record]
    digests: Sequence[str]
    words: np.ndarray
    signatures: np.ndarray
    band_keys: np.ndarray
    passage_values: np.ndarray
    passage_positions: np.ndarray
    passage_ptr: np.ndarray


def to_int64(keys: np.ndarray) -> np.ndarray:
    """uint64 keys as the int64 SQLite stores (same bits)."""
    return np.ascontiguousarray(keys, dtype=np.uint64).view(np.int64)


def config_mismatch(stored: dict[str, Any], config: Config) -> str | None:
    """The first key setting on which ``config`` differs from the index's, as a message."""
    asked = config.to_dict()
    for name in KEY_SETTINGS:
        if stored.get(name) != asked.get(name):
            return (
                f"the index was built with {name} = {stored.get(name)}, "
                f"and this run asks for {name} = {asked.get(name)}"
            )
    return None


class IndexStore:
    """An open index file. Use :meth:`create_or_open` or :meth:`open`, then ``close``."""

    def __init__(self, path: Path, connection: sqlite3.Connection, config: Config) -> None:
        self.path = path
        self.connection = connection
        self.config = config

    # --- opening ---------------------------------------------------------------------------

    @classmethod
    def open(cls, path: str | Path, *, readonly: bool = False) -> IndexStore:
        """Open an existing index; raise IndexFormatError if it is missing or not one.

        ``readonly`` opens it for reading only, which works on a file (or in a folder) this
        user cannot write: another user's index, or one on read-only storage."""
        target = Path(path)
        if not target.is_file():
            raise IndexFormatError(f"{path}: no index here (create one with dedup index add)")
        if readonly:
            return cls._open_readonly(target, str(path))
        connection = _connect(target)
        _migrate(connection)
        return cls(target, connection, _read_header_or_close(connection, str(path)))

    @classmethod
    def _open_readonly(cls, target: Path, where: str) -> IndexStore:
        # A WAL database opened read-only needs its -shm file, or a folder where SQLite can
        # make one; where it can do neither (another user's read-only folder), the file is
        # read as immutable, which is right for an index nobody is writing at the time.
        try:
            connection = _connect(target, readonly=True)
            return cls(target, connection, _read_header_or_close(connection, where))
        except IndexFormatError:
            connection = _connect(target, readonly=True, immutable=True)
            return cls(target, connection, _read_header_or_close(connection, where))

    @classmethod
    def create_or_open(cls, path: str | Path, config: Config) -> IndexStore:
        """Open the index at ``path``, creating it with ``config`` if there is none."""
        target = Path(path)
        if target.exists() and not target.is_file():
            raise IndexFormatError(f"{path}: an index is a file, and this is a folder")
        if target.is_file() and target.stat().st_size > 0:
            return cls.open(target)
        target.parent.mkdir(parents=True, exist_ok=True)
        connection = _connect(target)
        connection.executescript(_SCHEMA + STORY_SCHEMA + BAG_SCHEMA)
        with _immediate(connection):
            if connection.execute("SELECT COUNT(*) FROM meta").fetchone()[0] == 0:
                connection.executemany(
                    "INSERT INTO meta VALUES (?, ?)",
                    [
                        ("format_version", str(FORMAT_VERSION)),
                        ("config", json.dumps(config.to_dict(), sort_keys=True)),
                        ("config_digest", config.digest()),
                        (READY, "1"),  # no document yet: every one has its bag rows
                    ],
                )
        stored = _read_header(connection, str(path))
        return cls(target, connection, stored)

    def close(self) -> None:
        self.connection.close()

    def __enter__(self) -> IndexStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def check_config(self, config: Config) -> None:
        """Raise IndexFormatError naming the setting when ``config`` does not fit the keys."""
        problem = config_mismatch(self.config.to_dict(), config)
        if problem:
            raise IndexFormatError(
                f"{self.path}: {problem}; use the index's settings (leave them out) "
                "or build another index"
            )

    # --- transactions ----------------------------------------------------------------------

    @contextlib.contextmanager
    def writing(self) -> Iterator[None]:
        """One write transaction: all of it is committed, or none."""
        with _immediate(self.connection):
            yield

    @contextlib.contextmanager
    def reading(self) -> Iterator[None]:
        """One read transaction: every lookup inside sees the same snapshot."""
        self.connection.execute("BEGIN")
        try:
            self.connection.execute("SELECT 1 FROM meta LIMIT 1").fetchone()  # pin the snapshot
            yield
        finally:
            self.connection.execute("COMMIT")

    # --- documents -------------------------------------------------------------------------

    def n_documents(self) -> int:
        return int(self.connection.execute("SELECT COUNT(*) FROM documents").fetchone()[0])

    def digests(self, ids: Iterable[str]) -> dict[str, tuple[int, str]]:
        """``id → (doc, digest)`` for the ids the index holds."""
        found: dict[str, tuple[int, str]] = {}
        ids = list(ids)
        for first in range(0, len(ids), 900):
            chunk = ids[first : first + 900]
            marks = ",".join("?" * len(chunk))
            for doc, doc_id, digest in self.connection.execute(
                f"SELECT doc, id, digest FROM documents WHERE id IN ({marks})", chunk
            ):
                found[doc_id] = (int(doc), digest)
        return found

    def documents(self, docs: Iterable[int]) -> list[StoredDocument]:
        """The stored documents ``docs`` (integers), in the order given."""
        docs = [int(d) for d in docs]
        rows: dict[int, StoredDocument] = {}
        for first in range(0, len(docs), 900):
            chunk = docs[first : first + 900]
            marks = ",".join("?" * len(chunk))
            for row in self.connection.execute(
                "SELECT doc, id, digest, words, outlet, date, url, title, source, text "
                f"FROM documents WHERE doc IN ({marks})",
                chunk,
            ):
                doc, doc_id, digest, words, outlet, date, url, title, source, text = row
                record = Record(
                    id=doc_id,
                    text=zlib.decompress(text).decode("utf-8", "surrogatepass"),
                    outlet=outlet,
                    date=date,
                    url=url,
                    title=title,
                    source=source or "",
                )
                rows[int(doc)] = StoredDocument(int(doc), record, int(words), digest)
        return [rows[d] for d in docs if d in rows]

    def signatures(self, docs: Sequence[int]) -> np.ndarray:
        """Stored signatures, ndarray of uint32, shape (len(docs), num_perm)."""
        out = np.zeros((len(docs), self.config.num_perm), dtype=np.uint32)
        for k, doc in enumerate(docs):
            row = self.connection.execute(
                "SELECT signature FROM documents WHERE doc = ?", (int(doc),)
            ).fetchone()
            out[k] = np.frombuffer(row[0], dtype=np.uint32)
        return out

    def insert(self, rows: DocumentRows) -> np.ndarray:
        """Write a batch of new documents (inside :meth:`writing`); return their ``doc``s.

        Key rows are inserted sorted by key, so the B-trees are filled in order."""
        first = int(
            self.connection.execute("SELECT COALESCE(MAX(doc), 0) + 1 FROM documents").fetchone()[0]
        )
        n_docs = len(rows.records)
        docs = np.arange(first, first + n_docs, dtype=np.int64)
        self.connection.executemany(
            "INSERT INTO documents VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                (
                    int(doc),
                    record.id,
                    digest,
                    int(words),
                    len(record.text),
                    record.outlet,
                    record.date,
                    record.url,
                    record.title,
                    record.source,
                    zlib.compress(record.text.encode("utf-8", "surrogatepass"), 6),
                    np.ascontiguousarray(signature, dtype=np.uint32).tobytes(),
                )
                for doc, record, digest, words, signature in zip(
                    docs.tolist(), rows.records, rows.digests, rows.words, rows.signatures
                )
            ),
        )
        band_rows, passage_rows = _key_rows(rows, docs)
        self.connection.executemany("INSERT OR IGNORE INTO band_keys VALUES (?, ?, ?)", band_rows)
        self.connection.executemany(
            "INSERT OR IGNORE INTO passage_keys VALUES (?, ?, ?)", passage_rows
        )
        return docs

    def delete(self, docs: np.ndarray, rows: DocumentRows) -> None:
        """Delete documents ``docs`` and their keys (``rows`` recomputed from their text)."""
        band_rows, passage_rows = _key_rows(rows, np.asarray(docs, dtype=np.int64))
        self.connection.executemany(
            "DELETE FROM band_keys WHERE key = ? AND band = ? AND doc = ?", band_rows
        )
        self.connection.executemany(
            "DELETE FROM passage_keys WHERE key = ? AND doc = ? AND position = ?", passage_rows
        )
        self.connection.executemany(
            "DELETE FROM documents WHERE doc = ?", ((int(d),) for d in docs)
        )

    # --- lookups ---------------------------------------------------------------------------

    def band_matches(self, band_keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Indexed documents sharing a band key (in the same band) with each query row.

        Parameters
        ----------
        band_keys : ndarray of uint64, shape (n_query, bands)

        Returns
        -------
        query_rows, docs : ndarray of int64, shape (n_matches,)
        """
        n_query, bands = band_keys.shape
        keys = to_int64(band_keys).ravel()
        band_of = np.tile(np.arange(bands, dtype=np.int64), n_query)
        row_of = np.repeat(np.arange(n_query, dtype=np.int64), bands)
        found = self._join(
            "q_band",
            "key INTEGER, band INTEGER, row INTEGER",
            zip(keys.tolist(), band_of.tolist(), row_of.tolist()),
            "SELECT q.row, b.doc FROM q_band q CROSS JOIN band_keys b "
            "ON b.key = q.key AND b.band = q.band",
        )
        array = np.array(found, dtype=np.int64).reshape(-1, 2)
        return array[:, 0], array[:, 1]

    def passage_postings(self, keys: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Every stored occurrence of the distinct passage keys ``keys`` (uint64).

        Returns
        -------
        values : ndarray of uint64; docs, positions : ndarray of int64; all shape (n,),
        sorted by (doc, position).
        """
        unique = np.unique(np.asarray(keys, dtype=np.uint64))
        found = self._join(
            "q_passage",
            "key INTEGER PRIMARY KEY",
            ((k,) for k in to_int64(unique).tolist()),
            # CROSS JOIN keeps the few query keys as the outer loop (SQLite's planner has no
            # statistics for the temporary table and may otherwise scan every stored key)
            "SELECT p.doc, p.position, p.key FROM q_passage q "
            "CROSS JOIN passage_keys p ON p.key = q.key",
        )
        array = np.array(found, dtype=np.int64).reshape(-1, 3)
        order = np.lexsort((array[:, 1], array[:, 0]))
        array = array[order]
        return array[:, 2].view(np.uint64), array[:, 0], array[:, 1]

    def _join(self, table: str, columns: str, rows: Iterable[tuple], select: str) -> list[tuple]:
        connection = self.connection
        connection.execute(f"CREATE TEMP TABLE IF NOT EXISTS {table} ({columns})")
        connection.execute(f"DELETE FROM {table}")
        connection.executemany(
            f"INSERT OR IGNORE INTO {table} VALUES ({','.join('?' * (columns.count(',') + 1))})",
            rows,
        )
        found = connection.execute(select).fetchall()
        connection.execute(f"DELETE FROM {table}")
        return found

    # --- facts -----------------------------------------------------------------------------

    def info(self) -> dict[str, Any]:
        """Counts, settings and size on disk (the file and its WAL)."""
        query = self.connection.execute
        counts = {
            "documents": int(query("SELECT COUNT(*) FROM documents").fetchone()[0]),
            "words": int(query("SELECT COALESCE(SUM(words), 0) FROM documents").fetchone()[0]),
            "characters": int(query("SELECT COALESCE(SUM(chars), 0) FROM documents").fetchone()[0]),
            "band_keys": int(query("SELECT COUNT(*) FROM band_keys").fetchone()[0]),
            "passage_keys": int(query("SELECT COUNT(*) FROM passage_keys").fetchone()[0]),
        }
        return {
            "path": str(self.path),
            "format_version": FORMAT_VERSION,
            "config": self.config.to_dict(),
            "config_digest": self.config.digest(),
            "counts": counts,
            "bytes_on_disk": disk_size(self.path),
        }


def disk_size(path: str | Path) -> int:
    """Bytes of an index file with its ``-wal`` and ``-shm`` files."""
    target = Path(path)
    return sum(
        p.stat().st_size
        for p in (
            target,
            target.with_name(target.name + "-wal"),
            target.with_name(target.name + "-shm"),
        )
        if p.exists()
    )


def _key_rows(rows: DocumentRows, docs: np.ndarray) -> tuple[list[tuple], list[tuple]]:
    """``(key, band, doc)`` and ``(key, doc, position)`` rows, each sorted by key."""
    n_docs, bands = rows.band_keys.shape
    band_key = to_int64(rows.band_keys).ravel()
    band = np.tile(np.arange(bands, dtype=np.int64), n_docs)
    band_doc = np.repeat(docs, bands)
    order = np.lexsort((band_doc, band, band_key))
    band_rows = list(zip(band_key[order].tolist(), band[order].tolist(), band_doc[order].tolist()))
    key = to_int64(rows.passage_values)
    key_doc = np.repeat(docs, np.diff(rows.passage_ptr))
    position = np.asarray(rows.passage_positions, dtype=np.int64)
    order = np.lexsort((position, key_doc, key))
    passage_rows = list(zip(key[order].tolist(), key_doc[order].tolist(), position[order].tolist()))
    return band_rows, passage_rows


def _connect(path: Path, *, readonly: bool = False, immutable: bool = False) -> sqlite3.Connection:
    try:
        if readonly:
            mode = "mode=ro&immutable=1" if immutable else "mode=ro"
            connection = sqlite3.connect(
                f"{path.resolve().as_uri()}?{mode}",
                uri=True,
                timeout=BUSY_TIMEOUT_S,
                isolation_level=None,
                check_same_thread=False,
            )
        else:
            connection = sqlite3.connect(
                str(path), timeout=BUSY_TIMEOUT_S, isolation_level=None, check_same_thread=False
            )
            connection.execute("PRAGMA journal_mode=WAL")
            connection.execute("PRAGMA synchronous=FULL")
        connection.execute(f"PRAGMA cache_size=-{CACHE_KIB}")
        connection.execute("PRAGMA temp_store=MEMORY")
    except sqlite3.DatabaseError as err:
        raise IndexFormatError(f"{path}: not an index ({err})") from None
    return connection


@contextlib.contextmanager
def _immediate(connection: sqlite3.Connection) -> Iterator[None]:
    connection.execute("BEGIN IMMEDIATE")
    try:
        yield
    except BaseException:
        connection.execute("ROLLBACK")
        raise
    connection.execute("COMMIT")


def _read_header_or_close(connection: sqlite3.Connection, where: str) -> Config:
    """:func:`_read_header`, closing ``connection`` if it fails."""
    try:
        return _read_header(connection, where)
    except BaseException:
        connection.close()
        raise


def _migrate(connection: sqlite3.Connection) -> None:
    """Bring a version 2 or 3 index to the current version: add the story tables (empty)
    and the bag tables (filled by the next add: :func:`dedup.index_bags.bags_ready`)."""
    try:
        row = connection.execute("SELECT value FROM meta WHERE name = 'format_version'").fetchone()
    except sqlite3.DatabaseError:
        return  # not an index: _read_header says so
    if row is None or row[0] not in MIGRATES_FROM:
        return
    with _immediate(connection):
        connection.execute(STORY_SCHEMA.split(";")[0])
        connection.execute(STORY_SCHEMA.split(";")[1])
        for statement in BAG_SCHEMA.split(";")[:3]:
            connection.execute(statement)
        connection.execute(
            "UPDATE meta SET value = ? WHERE name = 'format_version'", (str(FORMAT_VERSION),)
        )


def _read_header(connection: sqlite3.Connection, where: str) -> Config:
    try:
        meta = dict(connection.execute("SELECT name, value FROM meta").fetchall())
    except sqlite3.DatabaseError as err:
        raise IndexFormatError(f"{where}: not a dedup index ({err})") from None
    version = meta.get("format_version")
    if version not in (str(FORMAT_VERSION), *MIGRATES_FROM):
        raise IndexFormatError(
            f"{where}: index format version {version}, this dedup reads {FORMAT_VERSION}"
        )
    try:
        settings = json.loads(meta["config"])
        derived = settings.pop("bands_derived_from_threshold", False)
        if derived:
            settings.pop("bands")
            settings.pop("rows")
        for name, value in settings.items():
            if isinstance(value, list):
                settings[name] = tuple(value)
        config = Config(**settings)
    except (KeyError, TypeError, ValueError) as err:
        raise IndexFormatError(
            f"{where}: unreadable settings in the index header ({err})"
        ) from None
    if config.digest() != meta.get("config_digest"):
        raise IndexFormatError(f"{where}: the index header's settings do not match their digest")
    return config
