"""``clean`` of a corpus held on disk (dedup.clean_spilled) gives what ``clean`` in memory
gives, for any batch size, worker count and input order, and leaves nothing behind."""

from __future__ import annotations

import dataclasses
import errno
import os
import random
import re
from pathlib import Path

import pytest

from dedup import api
from dedup.clean_spilled import clean_spilled
from dedup.config import Config
from dedup.ingest import read_corpus
from dedup.inmemory import scan
from dedup.jobs import clean
from dedup.outputs import SCRATCH_PREFIX
from dedup.spilled import scan_spilled
from dedup.types import Record

ROOT = Path(__file__).resolve().parent.parent
WORDS = [
    "market",
    "shares",
    "bank",
    "rate",
    "council",
    "minister",
    "river",
    "police",
    "court",
    "season",
    "team",
    "vote",
    "price",
    "oil",
    "energy",
    "school",
    "hospital",
    "budget",
    "report",
    "city",
    "state",
    "union",
    "plan",
    "talks",
    "trade",
    "deal",
    "growth",
    "storm",
    "flood",
    "fire",
    "election",
    "coach",
    "player",
    "museum",
    "festival",
    "bridge",
    "road",
    "rail",
    "airport",
]


def _sentence(rng: random.Random, n: int) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(n)).capitalize() + "."


def _body(rng: random.Random, paragraphs: int) -> list[str]:
    return [
        " ".join(_sentence(rng, rng.randint(8, 16)) for _ in range(3)) for _ in range(paragraphs)
    ]


def _corpus() -> list[Record]:
    """Seeds, an outlet's masthead and footer on every article (learned boilerplate),
    articles that print a paragraph twice (self-copies), near and exact copies (dropped),
    an article with no words, a repeated id and a teaser naming another's headline."""
    rng = random.Random(7)
    records = list(read_corpus([str(ROOT / "corpus")]).records)
    bodies = []
    for k in range(24):
        body = _body(rng, 4)
        if k % 5 == 0:
            body.append(body[1])  # printed twice
        if k == 3:
            body.append(f"Read more: Headline {k + 1}")
        bodies.append(body)
        lines = ["THE DAILY PLANET", "", *body, "", "Copyright Daily Planet. All rights reserved."]
        date = f"2024-01-{k % 28 + 1:02d}"
        records.append(
            Record(f"p{k:02d}", "\n\n".join(lines), "planet", date, title=f"Headline {k}")
        )
    for k in range(4):  # near copies of earlier articles, one word changed, later
        words = "\n\n".join(bodies[k]).split(" ")
        words[5] = "different"
        records.append(Record(f"q{k}", " ".join(words), "wire", "2024-02-01"))
    exact = "\n\n".join(_body(rng, 3))
    records += [Record(f"x{k}", exact, "copies", None) for k in range(9)]  # a copy group
    records.append(Record("empty", "... !!! ...", "planet", None))
    records.append(Record("p05", "a later record with an id already read", "planet", None))
    return records


RECORDS = _corpus()


def _in_memory(drop: bool, config: Config | None = None):
    return clean(sorted(RECORDS, key=lambda r: r.id), config, drop_duplicates=drop)


def _same(spilled, expected) -> None:
    assert list(spilled.documents) == list(expected.documents)
    assert spilled.duplicates == expected.duplicates
    assert spilled.rejects == expected.rejects
    assert spilled.counts == expected.counts


def test_the_corpus_has_what_it_is_for():
    result = _in_memory(True)
    counts = result.counts
    assert counts["removed:boilerplate:learned"] > 0
    assert counts["removed:self-duplicate"] > 0
    assert counts["removed:boilerplate:teaser"] > 0
    assert counts["dropped_duplicates"] >= 4
    assert len(result.rejects) == 1  # the repeated id
    assert len(scan(result_records := [r for r in RECORDS if r.id[0] == "x"]).groups) == 1
    assert len(result_records) == 9


@pytest.mark.parametrize("drop", [False, True])
@pytest.mark.parametrize(("batch_chars", "workers"), [(1 << 24, 1), (700, 1), (2_000, 2)])
def test_same_result_as_in_memory(drop, batch_chars, workers):
    expected = _in_memory(drop)
    records = sorted(RECORDS, key=lambda r: r.id)
    with clean_spilled(
        records, drop_duplicates=drop, batch_chars=batch_chars, workers=workers
    ) as result:
        _same(result, expected)


def test_same_result_in_any_input_order_with_rejects_in_id_order():
    expected = _in_memory(True)
    shuffled = RECORDS[:]
    random.Random(3).shuffle(shuffled)
    with clean_spilled(shuffled, drop_duplicates=True, rejects_in_id_order=True) as result:
        _same(result, expected)


def test_rejects_in_the_order_read_by_default():
    records = [Record("b", "one two three four"), Record("a", "five six seven eight")]
    records += [Record("b", "again"), Record("a", "again")]
    expected = clean(records)
    with clean_spilled(records) as result:
        assert result.rejects == expected.rejects
        assert [r.id for r in result.rejects] == ["b", "a"]


@pytest.mark.parametrize("skip", [("self-duplicate",), ("learned", "comments"), ("teaser",)])
def test_skipped_rules_are_skipped_alike(skip):
    config = Config(clean_skip=skip)
    expected = _in_memory(True, config)
    with clean_spilled(RECORDS, config, drop_duplicates=True, batch_chars=900) as result:
        _same(result, expected)


def test_documents_are_read_back_one_at_a_time():
    expected = _in_memory(True)
    with clean_spilled(RECORDS, drop_duplicates=True) as result:
        assert len(result.documents) == len(expected.documents)
        assert result.documents[-1] == expected.documents[-1]
        assert result.documents[2:4] == list(expected.documents[2:4])
        with pytest.raises(IndexError):
            result.documents[len(expected.documents)]


def test_nothing_to_clean():
    with clean_spilled([], drop_duplicates=True) as result:
        assert list(result.documents) == []
        assert result.counts["documents"] == 0


def test_the_scratch_folder_goes_after_the_block_and_on_failure(tmp_path):
    with clean_spilled(RECORDS, spill_dir=tmp_path, drop_duplicates=True) as result:
        scratch = [p for p in tmp_path.iterdir() if p.name.startswith(SCRATCH_PREFIX)]
        assert len(scratch) == 1 and (scratch[0] / "texts.bin").exists()
        assert result.counts["documents"] > 0
    assert list(tmp_path.iterdir()) == []
    with pytest.raises(RuntimeError, match="stop"), clean_spilled(RECORDS, spill_dir=tmp_path):
        raise RuntimeError("stop")
    assert list(tmp_path.iterdir()) == []


def test_the_api_spills_to_its_workdir_and_removes_it(tmp_path):
    work = tmp_path / "out" / ".work"
    with api.clean_spilled(RECORDS, drop_duplicates=True, workdir=work) as result:
        assert work.is_dir()
        _same(result, _in_memory(True))
    assert not work.exists()


def test_a_spilled_scan_without_near_groups_equals_one_in_memory(tmp_path):
    rng = random.Random(11)
    words = " ".join(_body(rng, 4)).split(" ")
    near = []
    for k in range(10):  # ten copies, each with its own word changed: a near group
        edited = words[:]
        edited[3 * k + 1] = "changed"
        near.append(Record(f"n{k}", " ".join(edited), "near", None))
    records = sorted(RECORDS + near, key=lambda r: r.id)
    expected = scan(records, near_groups=False)
    found = scan_spilled(records, spill_dir=tmp_path, near_groups=False, batch_chars=2_000)
    assert found.pairs == expected.pairs
    assert found.groups == expected.groups
    grouped = scan(records)
    assert grouped.groups != expected.groups  # the setting matters on this corpus


def test_the_command_writes_what_the_api_writes(tmp_path):
    from click.testing import CliRunner

    from dedup.cleaned import corpus_layout, write_clean
    from dedup.cli import main
    from dedup.ingest import ReadOptions

    feed = tmp_path / "feed.jsonl"
    rows = [
        {"id": r.id, "text": r.text, "outlet": r.outlet, "date": r.date, "title": r.title}
        for r in RECORDS
    ]
    import json

    feed.write_text("".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8")
    done = CliRunner().invoke(main, ["clean", str(feed), "-o", str(tmp_path / "cli"), "-q",
                                     "--drop-duplicates", "-j", "2"])  # fmt: skip
    assert done.exit_code == 0, done.output
    corpus = read_corpus([str(feed)])
    result = clean(corpus.records, drop_duplicates=True)
    rejects = (*corpus.rejects, *result.rejects)  # as the command collects them
    assert len(rejects) == 1
    result = dataclasses.replace(result, rejects=rejects)
    layout = corpus_layout([str(feed)], ReadOptions())
    out = tmp_path / "api"
    write_clean(result, out, layout, inputs=[str(feed)], drop_duplicates=True,
                read_options=dataclasses.asdict(ReadOptions()))  # fmt: skip
    for name in ("feed.jsonl", "cuts.jsonl", "duplicates.jsonl", "rejects.jsonl"):
        assert (tmp_path / "cli" / name).read_bytes() == (out / name).read_bytes(), name
    assert not (tmp_path / "cli" / ".work").exists()
    assert sorted(os.listdir(tmp_path / "cli")) == sorted(os.listdir(out))


def test_a_full_disk_is_a_clear_error(tmp_path, monkeypatch):
    from dedup import spill
    from dedup.errors import StageError

    def full(self, text):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(spill.TextSpill, "append", full)
    message = f"{tmp_path}: cannot keep the spill files there: No space left on device "
    with (
        pytest.raises(StageError, match=re.escape(message)),
        clean_spilled(RECORDS, spill_dir=tmp_path),
    ):
        pass
    assert list(tmp_path.iterdir()) == []


def test_near_copies_drop_alike_in_memory_and_spilled(tmp_path):
    """Ten edited copies (dates shuffled) and three cut to their first 70 % (strays of the
    copies' group, copies of one another): clean drops the same documents for the same kept
    ones in memory and spilled."""
    rng = random.Random(13)
    words = " ".join(_body(rng, 5)).split(" ")
    near = []
    for k in range(10):
        edited = words[:]
        edited[3 * k + 1] = "changed"
        near.append(Record(f"n{k}", " ".join(edited), "near", f"2024-03-{rng.randint(1, 9):02d}"))
    half = " ".join(words[: len(words) * 7 // 10])
    near += [Record(f"h{k}", half, "half", f"2024-03-0{k + 1}") for k in range(3)]
    records = sorted(RECORDS + near, key=lambda r: r.id)
    expected = clean(records, drop_duplicates=True)
    dropped = {d.dropped: d.kept for d in expected.duplicates}
    earliest = min(near[:10], key=lambda r: (r.date, r.id)).id
    assert {dropped[r.id] for r in near[:10] if r.id != earliest} == {earliest}
    assert dropped["h1"] == dropped["h2"] == "h0" and "h0" not in dropped
    with clean_spilled(
        records, drop_duplicates=True, batch_chars=2_000, spill_dir=tmp_path
    ) as found:
        _same(found, expected)
