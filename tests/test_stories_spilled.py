"""``stories`` with its clean and scan held on disk (dedup.stories_spilled) gives the stories
``stories`` in memory gives, for any worker count and input order, and leaves nothing
behind."""

from __future__ import annotations

import random
from pathlib import Path

import pytest
from click.testing import CliRunner

from dedup import api
from dedup.cli import main
from dedup.ingest import read_corpus
from dedup.jobs import stories
from dedup.stories_spilled import stories_spilled
from dedup.types import Record, StoriesResult
from tests.conftest import CORPUS, needs_network_data, syndication_network


@pytest.fixture(scope="module")
def network() -> list[Record]:
    """Six syndicated stories over several outlets and days, and three unrelated articles
    with outlet furniture (which the clean takes out)."""
    return syndication_network()


def same(a: StoriesResult, b: StoriesResult) -> None:
    assert a.stories == b.stories
    assert a.counts == b.counts
    assert a.rejects == b.rejects
    assert (a.clusterer.labels_ == b.clusterer.labels_).all()
    assert (a.clusterer.event_labels_ == b.clusterer.event_labels_).all()


@needs_network_data
@pytest.mark.parametrize(
    ("use_clean", "use_links", "workers"),
    [(True, True, 1), (True, True, 2), (False, True, 1), (True, False, 1)],
)
def test_same_stories_as_in_memory(
    network: list[Record], use_clean: bool, use_links: bool, workers: int, tmp_path: Path
) -> None:
    kept = stories(network, use_clean=use_clean, use_links=use_links)
    assert kept.counts["stories_with_several_documents"] >= 3
    if use_links:
        assert kept.counts["passage_links"] > 0
    shuffled = list(network)
    random.Random(workers).shuffle(shuffled)
    spilled = stories_spilled(
        iter(shuffled), use_clean=use_clean, use_links=use_links, spill_dir=tmp_path,
        workers=workers,
    )  # fmt: skip
    same(kept, spilled)
    assert list(tmp_path.iterdir()) == []


def test_rejects_as_in_memory(tmp_path: Path) -> None:
    records = list(read_corpus([CORPUS]).records)
    records.append(Record(id=records[0].id, text="a second record with the first one's id"))
    records.append(Record(id="empty", text="   "))
    kept = stories(records)
    spilled = stories_spilled(records, spill_dir=tmp_path)
    assert len(kept.rejects) == 1
    same(kept, spilled)


def test_seed_corpus_written_the_same_from_the_cli(tmp_path: Path) -> None:
    runner = CliRunner()
    for spill in ("never", "always"):
        done = runner.invoke(
            main, ["stories", str(CORPUS), "-o", str(tmp_path / spill), "--spill", spill, "-q"]
        )
        assert done.exit_code == 0, done.output
    names = sorted(p.name for p in (tmp_path / "never").iterdir())
    assert "stories.jsonl" in names
    assert names == sorted(p.name for p in (tmp_path / "always").iterdir())
    for name in names:
        assert (tmp_path / "never" / name).read_bytes() == (
            tmp_path / "always" / name
        ).read_bytes(), name


def test_api_refuses_an_unknown_spill() -> None:
    with pytest.raises(ValueError, match="spill must be one of"):
        api.stories(read_corpus([CORPUS]).records, spill="sometimes")


@pytest.mark.parametrize("spill", ["never", "always"])
def test_an_input_without_documents_is_refused_before_clustering(
    tmp_path: Path, spill: str
) -> None:
    empty = tmp_path / "empty.jsonl"
    empty.write_text('{"id": "a", "text": "  "}\n', encoding="utf-8")
    done = CliRunner().invoke(main, ["stories", str(empty), "--spill", spill, "-q"])
    assert done.exit_code == 1, done.output
    assert "no documents with text to read (1 record(s) skipped)" in done.output
