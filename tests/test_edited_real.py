"""Edited copy on real text (issue #20): Reuters-21578 stories planted, edited, into other
Reuters stories, as benchmarks/edited.py builds its cases."""

from __future__ import annotations

import gzip
import json
from functools import cache

import pytest

from dedup.config import Config
from dedup.pipeline import scan
from dedup.types import Record

from .conftest import SHARED_DATA

REUTERS = SHARED_DATA / "reuters21578" / "reuters21578.jsonl.gz"

pytestmark = pytest.mark.skipif(not REUTERS.exists(), reason="no shared Reuters-21578 data")


@cache
def reuters() -> dict[str, str]:
    with gzip.open(REUTERS, "rt", encoding="utf-8") as handle:
        return {row["id"]: row["text"] for row in map(json.loads, handle)}


def plant(source_id: str, host_id: str, end: int, edits: dict[str, str]) -> tuple[str, str]:
    """The source's text up to ``end`` (its lead), with ``edits`` made (house style), as a
    paragraph inserted after the host's first paragraph; returns the suspicious text and
    the planted passage."""
    passage = reuters()[source_id][:end]
    for old, new in edits.items():
        passage = passage.replace(old, new)
    host = reuters()[host_id]
    cut = host.index("\n    ") + 1
    return host[:cut] + "    " + passage + "\n" + host[cut:], passage


@pytest.mark.parametrize(
    ("source_id", "end", "edits"),
    [
        # a CMO offering: the later classes repeat "bonds to be fully paid by … priced at"
        ("5748", 615, {"mln dollars": "mln dollars", "79 mln": "79 million"}),
        # the quarter's figures: later paragraphs repeat "turnaround in … transactions"
        ("4045", 813, {}),
    ],
)
def test_a_reprinted_lead_is_one_passage_not_echoed_to_the_sources_repeats(
    source_id: str, end: int, edits: dict[str, str]
) -> None:
    suspicious, passage = plant(source_id, "1", end, edits)
    records = [Record("source", reuters()[source_id]), Record("reprint", suspicious)]
    (pair,) = scan(records, Config()).pairs
    assert len(pair.alignments) == 1
    (one,) = pair.alignments
    spans = {pair.a: (one.a_start, one.a_end), pair.b: (one.b_start, one.b_end)}
    start = suspicious.index(passage)
    # both spans inside the planted passage and its source, each covering nearly all of it
    assert spans["source"][0] >= 0 and spans["source"][1] <= end
    assert spans["reprint"][0] >= start and spans["reprint"][1] <= start + len(passage)
    assert spans["source"][1] - spans["source"][0] >= 0.95 * end
