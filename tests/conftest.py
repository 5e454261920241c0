"""Shared fixtures: the shipped corpus, read with plain file reads (independent of ingest)."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

from dedup.types import Record

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "corpus"
SHARED_DATA = ROOT.parent / "shared" / "data"
BENCHMARKS = ROOT / "benchmarks"

#: Tests of the syndication generator's networks (benchmarks/syndication.py) need its sources.
needs_network_data = pytest.mark.skipif(
    not all(
        (Path(os.environ.get("DEDUP_DATA", SHARED_DATA)) / source).exists()
        for source in ("reuters21578/reuters21578.jsonl.gz", "basil/basil.jsonl.gz")
    ),
    reason="Reuters-21578 or BASIL not in the shared data folder",
)


def syndication_network() -> list[Record]:
    """Six syndication networks of benchmarks/syndication.py's generator (dev split, seed 3)
    and three unrelated articles: wire agencies, outlets with habits, furniture, common
    sources, several days."""
    if str(BENCHMARKS) not in sys.path:
        sys.path.insert(0, str(BENCHMARKS))
    import syndication

    rows, _ = syndication.generate_network(3, "dev", stories=6, controls=3)
    return [
        Record(id=r["id"], text=r["text"], outlet=r["outlet"], date=r["date"], title=r["title"])
        for r in rows
    ]


# failures must reproduce: no random seeds, no deadline on a shared machine
settings.register_profile(
    "repo", derandomize=True, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.load_profile("repo")


def pytest_sessionstart(session: pytest.Session) -> None:
    """Compile the kernels before any test runs (in a fresh install they are not cached
    yet), so that no command's output depends on the order tests run in: the first command
    on a new machine says on stderr that it is compiling them."""
    from dedup.pipeline import scan

    words = " ".join(f"w{k}" for k in range(40))
    scan([Record("a", words), Record("b", "x " + words), Record("c", words + " " + words)])


SEED_IDS = {
    "000": "000_5d2d231cf070430d",
    "001": "001_7d8e7eb2e866b5d7",
    "002": "002_de12700f24ba8552",
    "003": "003_23e9dcc2e6ed99e6",
    "004": "004_aeaa8e8da2ef6db4",
}


# Hostile text for the report's escaping tests (tests/test_html.py, tests/report/)
SCRIPT = "<script>alert(1)</script>"
ATTRIBUTE = '"><img src=x onerror=alert(1)>'
JS_URL = "javascript:alert(1)"
SHARED = (
    "The ministers said on Saturday that the convoy of trucks carrying food and medicine "
    "would cross the river at dawn and reach the besieged district before the evening curfew "
    "began in the old city."
)


def hostile_records(first_id: str = "evil-a") -> list[Record]:
    """Two articles sharing a passage, with payloads in text, title, outlet and url."""
    payload = f"{SCRIPT} {ATTRIBUTE} {JS_URL}"
    return [
        Record(
            id=first_id,
            text=f"First report. {SHARED} {payload} Then it ended.",
            outlet=f"Outlet {ATTRIBUTE}",
            date="2016-12-10",
            url=JS_URL,
            title=f"Title {SCRIPT}",
        ),
        Record(
            id="evil-b",
            text=f"Second report here. {SHARED} {payload} Nothing more.",
            outlet=f"Other {SCRIPT}",
            date="2016-12-11",
            url=f"https://example.org/story?q={SCRIPT}",
            title=f"Title {ATTRIBUTE}",
        ),
    ]


def read_seed(short: str) -> str:
    return (CORPUS / f"{SEED_IDS[short]}.txt").read_bytes().decode("utf-8")


@pytest.fixture(scope="session")
def seed_texts() -> dict[str, str]:
    """Short id ("000") → original text of the seed article."""
    return {short: read_seed(short) for short in SEED_IDS}


@pytest.fixture(scope="session")
def seed_records(seed_texts: dict[str, str]) -> list[Record]:
    return [
        Record(id=SEED_IDS[short], text=text, source=f"corpus/{SEED_IDS[short]}.txt")
        for short, text in seed_texts.items()
    ]


@pytest.fixture(scope="session")
def seed_scan(seed_records):
    from dedup.pipeline import scan

    return scan(seed_records)


def assert_same_scan(got, expected) -> None:
    """Two ScanResults found the same: pairs, passages, documents, counts, signatures."""
    assert got.pairs == expected.pairs
    assert got.passages == expected.passages
    assert got.documents == expected.documents
    assert got.counts == expected.counts
    assert got.signatures.shape == expected.signatures.shape
    assert got.signatures.tobytes() == expected.signatures.tobytes()
