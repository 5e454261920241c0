"""``chains`` of a corpus held on disk (dedup.chains_spilled), built one block of connected
documents at a time, gives what ``chains`` in memory gives, for any block and batch size,
worker count and input order, and leaves nothing behind."""

from __future__ import annotations

import random
from pathlib import Path

import pytest
from click.testing import CliRunner

from dedup import api
from dedup.chains_spilled import chains_spilled, connected_blocks
from dedup.cli import main
from dedup.ingest import read_corpus
from dedup.jobs import chains
from dedup.syndication import build_chains
from dedup.types import ChainsResult, Record
from tests.conftest import CORPUS, needs_network_data, syndication_network

FIELDS = ("edges", "articles", "outlets", "counts", "passage_kinds", "boilerplate_pairs")


@pytest.fixture(scope="module")
def network() -> list[Record]:
    """Six syndication networks and three unrelated articles: wire agencies, outlets with
    habits, furniture, common sources."""
    return syndication_network()


@pytest.fixture(scope="module")
def in_memory(network: list[Record]) -> ChainsResult:
    return chains(network)


def same(a: ChainsResult, b: ChainsResult) -> None:
    for name in FIELDS:
        assert getattr(a, name) == getattr(b, name), name
    assert a.scan.pairs == b.scan.pairs and a.scan.passages == b.scan.passages


@needs_network_data
def test_the_network_has_what_the_whole_corpus_decides(in_memory: ChainsResult) -> None:
    """The blocks must be given what only the whole corpus shows: here outlets have habits
    and more than one connected set of documents carries copy."""
    counts = in_memory.counts
    assert counts["outlets_wire_habit"] + counts["outlets_republishing"] >= 1
    assert counts["common_sources"] and counts["directed_edges"]
    sources = {e.source for e in in_memory.edges if e.directed}
    assert len(sources) >= 2


@needs_network_data
@pytest.mark.parametrize(
    ("block_docs", "batch_chars", "workers"),
    [(1, 5_000, 1), (7, 40_000, 2), (4096, 1 << 25, 1)],
)
def test_same_chains_as_in_memory(
    network: list[Record],
    in_memory: ChainsResult,
    block_docs: int,
    batch_chars: int,
    workers: int,
    tmp_path: Path,
) -> None:
    shuffled = list(network)
    random.Random(block_docs).shuffle(shuffled)
    spilled = chains_spilled(
        iter(shuffled), spill_dir=tmp_path, block_docs=block_docs, batch_chars=batch_chars,
        workers=workers,
    )  # fmt: skip
    same(in_memory, spilled)
    assert list(tmp_path.iterdir()) == []  # the scratch is gone


@needs_network_data
def test_each_block_alone_would_decide_otherwise(
    network: list[Record], in_memory: ChainsResult
) -> None:
    """What the comparison above guards: built as corpora of their own (boilerplate lines,
    outlet sizes and habits learnt from the block alone), the blocks give other chains."""
    by_id = {r.id: r for r in network}
    parts = list(connected_blocks(in_memory.scan, 1))
    assert sorted(d.id for p in parts for d in p.documents) == sorted(by_id)
    assert sum(1 for p in parts if p.passages) >= 2
    edges = set()
    for part in parts:
        if part.passages:
            edges.update(build_chains([by_id[d.id] for d in part.documents], part).edges)
    assert edges != set(in_memory.edges)


def test_seed_corpus_written_the_same_from_the_cli(tmp_path: Path) -> None:
    runner = CliRunner()
    for spill in ("never", "always"):
        done = runner.invoke(
            main, ["chains", str(CORPUS), "-o", str(tmp_path / spill), "--spill", spill, "-q"]
        )
        assert done.exit_code == 0, done.output
    names = sorted(p.name for p in (tmp_path / "never").iterdir())
    assert names == sorted(p.name for p in (tmp_path / "always").iterdir())
    assert "chains.jsonl" in names and "run.json" in names
    for name in names:
        assert (tmp_path / "never" / name).read_bytes() == (
            tmp_path / "always" / name
        ).read_bytes(), name
    assert not (tmp_path / "always" / ".work").exists()


def test_api_spill_always_is_the_same_and_says_so() -> None:
    records = read_corpus([CORPUS]).records
    kept = api.chains(records, spill="never")
    spilled = api.chains(reversed(records), spill="always", workers=2)
    same(kept, spilled)
    assert spilled.scan.spilled and not kept.scan.spilled
    with pytest.raises(ValueError, match="spill must be one of"):
        api.chains(records, spill="sometimes")
