"""Shuffled words inside sentences through the persistent index (dedup.index_bags): a query
finds the reordered passages a scan of the index and the query together finds, after
adds, removals and a migration from an index without bag rows."""

from __future__ import annotations

import dataclasses
import sqlite3

import pytest

from dedup.config import Config
from dedup.pipeline import index_add, index_query, index_remove, scan
from dedup.types import Pair
from tests.test_spilled_bags import REUTERS, corpus

pytestmark = pytest.mark.skipif(not REUTERS.exists(), reason="no shared Reuters-21578 data")


def plain(pairs) -> list[Pair]:
    """The pairs without their passages' cluster ids (a query numbers its own clusters)."""
    return [
        dataclasses.replace(
            p, alignments=tuple(dataclasses.replace(a, cluster="") for a in p.alignments)
        )
        for p in pairs
    ]


def reordered(pairs) -> int:
    return sum(a.reuse_kind == "reordered" for p in pairs for a in p.alignments)


@pytest.fixture(scope="module")
def split():
    """Stored: the stories (and copies of one shuffled lead); asked: the other shuffled
    leads planted in other stories."""
    records = corpus(300, 16)
    asked = [r for r in records if r.id.startswith("zz-0")]
    stored = [r for r in records if not r.id.startswith("zz-0")]
    return stored, asked


def scanned_with(stored, asked, config=None):
    """The pairs with an asked document of a scan of both together."""
    ids = {r.id for r in asked}
    found = scan(stored + asked, config, group_copies=False).pairs
    return [p for p in found if p.a in ids or p.b in ids]


def test_a_query_finds_the_shuffled_sentences_a_scan_finds(split, tmp_path):
    stored, asked = split
    index_add(tmp_path / "news.idx", stored)
    found = index_query(tmp_path / "news.idx", asked).pairs
    expected = scanned_with(stored, asked)
    assert reordered(expected) >= 8
    assert plain(found) == plain(expected)
    off = Config(min_shuffled_sentences=0)
    assert reordered(index_query(tmp_path / "news.idx", asked, off).pairs) == 0
    # the sources gone, their shuffled copies link to nothing stored
    sources = {a.a for p in found for a in p.alignments if a.reuse_kind == "reordered"}
    index_remove(tmp_path / "news.idx", sources)
    left = [r for r in stored if r.id not in sources]
    again = index_query(tmp_path / "news.idx", asked).pairs
    assert reordered(again) == 0
    assert plain(again) == plain(scanned_with(left, asked))


def test_an_index_of_version_3_is_read_and_given_its_bag_rows_when_written(split, tmp_path):
    stored, asked = split
    path = tmp_path / "old.idx"
    index_add(path, stored)
    connection = sqlite3.connect(path)
    connection.execute("DROP TABLE bag_keys")
    connection.execute("DROP TABLE bag_counts")
    connection.execute("DELETE FROM meta WHERE name = 'bag_keys'")
    connection.execute("UPDATE meta SET value = '3' WHERE name = 'format_version'")
    connection.commit()
    connection.close()
    expected = scanned_with(stored, asked)
    # read as it is: no bag rows, so only the sources loaded for other reasons are looked in
    assert reordered(index_query(path, asked).pairs) < reordered(expected)
    index_add(path, [])  # written: migrated, every stored document given its rows
    assert plain(index_query(path, asked).pairs) == plain(expected)
