"""scan_spilled finds exactly what scan finds, however it batches, partitions and orders."""

from __future__ import annotations

import errno
import re

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dedup.config import Config
from dedup.pipeline import hold_records, scan, scan_spilled
from dedup.types import Record
from tests.conftest import SEED_IDS, assert_same_scan


def edited(text: str, every: int) -> str:
    """``text`` with every ``every``-th word replaced: a near-duplicate copy."""
    words = text.split(" ")
    return " ".join("changed" if k % every == every - 1 else w for k, w in enumerate(words))


@pytest.fixture(scope="module")
def records(seed_texts) -> list[Record]:
    """The seeds, plus documents made from them: an edited copy (a near-duplicate pair), a
    mix of two seeds' paragraphs (passages shared with both), a text printed twice (a
    self-repeat), one with no words, non-ASCII text with a lone surrogate (rejected: no file
    could hold it), and a repeated id."""
    seeds = [
        Record(SEED_IDS[short], text, outlet="seed", source=f"corpus/{short}")
        for short, text in seed_texts.items()
    ]
    paragraphs_1 = seed_texts["001"].split("\n\n")
    paragraphs_3 = seed_texts["003"].split("\n")
    made = [
        Record("copy-of-000", edited(seed_texts["000"], 40), date="2016-12-11", source="m:1"),
        Record("mix-001-003", "\n\n".join(paragraphs_1[2:6] + paragraphs_3[1:5]), source="m:2"),
        Record("twice-004", seed_texts["004"][:1500] * 2, source="m:3"),
        Record("no-words", " … — !!! ", source="m:4"),
        Record("unicode", "Ünïcödé 東京 \ud800 " + paragraphs_3[2], source="m:5"),
        Record("copy-of-000", "a later record with an id already read", source="m:6"),
    ]
    return seeds + made


@pytest.fixture(scope="module")
def expected(records):
    return scan(records)


def assert_same(got, expected) -> None:
    assert_same_scan(got, expected)
    assert got.rejects == expected.rejects


def test_the_fixture_has_what_it_is_for(expected):
    counts = expected.counts
    assert counts["near_duplicate_pairs"] >= 1
    assert counts["documents_with_repeats"] >= 2
    assert counts["pairs"] >= 5
    reasons = [r.reason.split(" ")[0] for r in expected.rejects]
    assert reasons == ["field", "duplicate", "no"]


def test_same_result_with_the_defaults(records, expected, tmp_path):
    assert_same(scan_spilled(records, spill_dir=tmp_path), expected)
    assert list(tmp_path.iterdir()) == []  # its scratch folder is gone


@settings(max_examples=12)
@given(
    batch_chars=st.integers(1, 40_000),
    partitions=st.integers(1, 6),
    workers=st.integers(1, 2),
    shuffle=st.randoms(use_true_random=False),
)
def test_same_result_however_it_is_split(records, expected, batch_chars, partitions, workers,
                                         shuffle):  # fmt: skip
    first, rest = records[:1], records[1:-1]  # the repeated id must stay last
    shuffle.shuffle(rest)
    got = scan_spilled(
        iter(first + rest + records[-1:]),
        batch_chars=batch_chars,
        partitions=partitions,
        workers=workers,
    )
    assert_same(got, expected)


def test_settings_reach_every_stage(records):
    config = Config(shingle_size=4, min_passage_words=9, threshold=0.3, seed=7)
    assert_same(
        scan_spilled(records, config, batch_chars=3000, partitions=2), scan(records, config)
    )


def test_signatures_are_a_memory_map_of_the_rows(records, expected):
    got = scan_spilled(records, batch_chars=5000)
    assert isinstance(got.signatures, np.memmap)
    assert not got.signatures.flags.writeable
    assert np.array_equal(got.signatures, expected.signatures)


def test_nothing_to_scan():
    got = scan_spilled([Record("x", "!!!", source="x:1")])
    assert got.documents == ()
    assert got.signatures.shape == (0, 128)
    assert [r.reason for r in got.rejects] == ["no words"]


def test_the_scratch_folder_goes_when_the_scan_fails(records, tmp_path):
    def failing():
        yield from records[:3]
        raise RuntimeError("input broke")

    with pytest.raises(RuntimeError, match="input broke"):
        scan_spilled(failing(), spill_dir=tmp_path)
    assert list(tmp_path.iterdir()) == []


def test_hold_records_keeps_a_small_input_as_a_list(records):
    held = hold_records(iter(records), max_chars=10**9)
    assert held == records


def test_hold_records_streams_a_large_input_in_order(records):
    seen = []

    def reading():
        for record in records:
            seen.append(record.id)
            yield record

    held = hold_records(reading(), max_chars=len(records[0].text) + len(records[1].text))
    assert not isinstance(held, list)
    assert len(seen) == 3  # read only until the texts passed the limit
    assert [r.id for r in held] == [r.id for r in records]


def test_a_full_disk_is_a_clear_error(records, tmp_path, monkeypatch):
    from dedup import spill
    from dedup.errors import StageError

    def full(self, text):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(spill.TextSpill, "append", full)
    message = f"{tmp_path}: cannot keep the spill files there: No space left on device "
    with pytest.raises(StageError, match=re.escape(message)):
        scan_spilled(records, spill_dir=tmp_path)
    assert list(tmp_path.iterdir()) == []
