"""dedup.story_texts: records whose texts stay on disk give the story clusterer the stories
that the same records in memory give (the outlets' templates learnt one outlet at a time)."""

from __future__ import annotations

import dataclasses
import random
from pathlib import Path

import numpy as np
import pytest

from dedup.clustering import StoryClusterer
from dedup.spill import TextSpill
from dedup.story_copies import fit_with_copies
from dedup.story_texts import SpilledRecords, SpilledTexts, metadata
from dedup.types import Record
from tests.test_templates import briefs


def corpus() -> list[Record]:
    """An outlet using a brief frame on many days, another using it on too few days to learn
    it (so learning the two outlets together would take it out of both), a few undated
    texts without an outlet, in a shuffled order."""
    wire = briefs()
    other = [
        dataclasses.replace(r, id=f"other-{r.id}", outlet="Other", text=r.text + " More later.")
        for r in wire[:4]
    ]
    plain = [
        Record(f"plain{k}", f"Plain text {k} about harbour cranes and a strike on the docks.")
        for k in range(4)
    ]
    records = wire + other + plain
    random.Random(7).shuffle(records)
    return records


def spilled(records: list[Record], folder: Path) -> SpilledRecords:
    spill = TextSpill(folder / "texts.bin")
    numbers = np.array([spill.append(r.text) for r in records], dtype=np.int64)
    meta = [dataclasses.replace(r, text="") for r in records]
    return SpilledRecords(meta, SpilledTexts(spill, numbers), folder)


def test_spilled_records_read_back_the_texts(tmp_path: Path) -> None:
    records = corpus()
    on_disk = spilled(records, tmp_path)
    assert list(on_disk) == records and on_disk[3] == records[3]
    assert on_disk[1:4] == records[1:4]
    assert list(on_disk.take([5, 0])) == [records[5], records[0]]
    assert all(r.text == "" for r in metadata(on_disk))
    assert metadata(records) is records


@pytest.mark.parametrize("learn", [True, False])
def test_the_same_stories_as_the_texts_in_memory(tmp_path: Path, learn: bool) -> None:
    records = corpus()
    kept = StoryClusterer(learn_templates=learn).fit(records)
    got = StoryClusterer(learn_templates=learn).fit(spilled(records, tmp_path))
    if learn:
        assert kept.n_template_words_ > 0
    assert got.n_template_words_ == kept.n_template_words_
    assert got.stories_ == kept.stories_ and got.events_ == kept.events_
    assert (got.labels_ == kept.labels_).all()
    assert (got.event_labels_ == kept.event_labels_).all()
    assert (got.graph_ != kept.graph_).nnz == 0
    # the texts the vectors were made of are gone once read; the input spill stays
    assert sorted(p.name for p in tmp_path.iterdir()) == ["texts.bin"]


def test_copy_groups_over_spilled_records(tmp_path: Path) -> None:
    records = corpus()
    copies = [[0, 1, 2]]
    kept = fit_with_copies(StoryClusterer(), records, [(3, 4)], copies)
    got = fit_with_copies(StoryClusterer(), spilled(records, tmp_path), [(3, 4)], copies)
    assert got.stories_ == kept.stories_ and (got.labels_ == kept.labels_).all()


def test_a_text_for_every_record() -> None:
    with pytest.raises(ValueError, match="2 records but 1 texts"):
        SpilledRecords([Record("a", ""), Record("b", "")], SpilledTexts(None, [0]), ".")  # type: ignore[arg-type]
