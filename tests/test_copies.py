"""Copy groups (dedup.copies): found once, verified through a representative, and expanded
back into exactly the pairs of the pairwise path."""

from __future__ import annotations

import random

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from dedup.copies import MIN_GROUP_DOCS, NEAR_GROUP_JACCARD, exact_copy_keys
from dedup.inmemory import scan
from dedup.normalize import words
from dedup.shingle import shingle_hashes, tokenize
from dedup.types import Record

VOCABULARY = [f"w{i}" for i in range(400)]


def _text(rng: random.Random, n: int) -> str:
    return " ".join(rng.choice(VOCABULARY) for _ in range(n))


def _spaced(rng: random.Random, text: str) -> str:
    """The same words with other spacing: the same normalised text, other offsets."""
    return rng.choice(["", " ", "\n"]) + "".join(
        word + rng.choice([" ", "  ", "\n", " \t "]) for word in text.split()
    )


def _corpus(
    seed: int, copies: int, quoters: int, others: int, story_words: int, repeat: bool = False
) -> list[Record]:
    rng = random.Random(seed)
    story = _text(rng, story_words)
    if repeat:  # the story repeats its own opening (a self-repeat in every copy)
        story = f"{story} {' '.join(story.split()[:40])}"
    story_words_list = story.split()
    records = [
        Record(f"c{rng.randrange(10**6):06d}-{i}", _spaced(rng, story)) for i in range(copies)
    ]
    for i in range(quoters):
        lo = rng.randrange(0, max(1, len(story_words_list) - 30))
        quote = " ".join(story_words_list[lo : lo + rng.randint(15, 60)])
        text = f"{_text(rng, rng.randint(5, 60))} {quote} {_text(rng, rng.randint(5, 60))}"
        records.append(Record(f"c{rng.randrange(10**6):06d}-q{i}", text))
    for i in range(others):
        records.append(
            Record(f"c{rng.randrange(10**6):06d}-o{i}", _text(rng, rng.randint(20, 120)))
        )
    records.sort(key=lambda r: r.id)
    return records


def _witnessed(result, records):
    """Every witness and alignment quotes the same words on both sides."""
    text = {r.id: r.text for r in records}
    for pair in result.pairs:
        for a in pair.alignments:
            assert words(text[a.a][a.a_start : a.a_end])
            assert text[a.a][a.a_start : a.a_end].strip() == text[a.a][a.a_start : a.a_end]


def test_exact_keys_equal_exactly_for_equal_shingles():
    texts = ["a b c d e f", "a  b c\nd e f", "a b c d e g", "f e d c b a", "a b c", "a b c"]
    tokens = tokenize(texts)
    shingles, ptr = shingle_hashes(tokens.hashes, tokens.doc_ptr, 5)
    keys = exact_copy_keys(shingles, ptr, np.diff(tokens.doc_ptr))
    assert keys[0] == keys[1]
    assert keys[4] == keys[5]
    assert len({int(keys[i]) for i in (0, 2, 3, 4)}) == 4


@settings(max_examples=25)
@given(
    seed=st.integers(0, 10**6),
    copies=st.integers(MIN_GROUP_DOCS, MIN_GROUP_DOCS + 5),
    quoters=st.integers(0, 4),
    others=st.integers(0, 4),
    story_words=st.integers(3, 150),
    repeat=st.booleans(),
)
def test_expanded_groups_equal_the_pairwise_path(
    seed, copies, quoters, others, story_words, repeat
):
    records = _corpus(seed, copies, quoters, others, story_words, repeat)
    pairwise = scan(records, group_copies=False)
    expanded = scan(records, expand_pairs=True)
    assert expanded.pairs == pairwise.pairs
    assert expanded.passages == pairwise.passages
    assert expanded.documents == pairwise.documents
    assert expanded.groups == ()


@settings(max_examples=10)
@given(seed=st.integers(0, 10**6), copies=st.integers(MIN_GROUP_DOCS, 40))
def test_a_group_is_written_once(seed, copies):
    repeat = seed % 2 == 0
    records = _corpus(seed, copies, 2, 3, 100, repeat=repeat)
    result = scan(records)
    pairwise = scan(records, group_copies=False)
    assert len(result.groups) == 1
    (group,) = result.groups
    assert group.exact and len(group.members) == copies - 1
    assert all(m.jaccard == 1.0 for m in group.members)
    ids = {group.representative, *(m.doc for m in group.members)}
    # no pair among members is written; the pairs with others go through the representative
    assert not [p for p in result.pairs if p.a in ids and p.b in ids]
    assert {p.a for p in result.pairs} | {p.b for p in result.pairs} <= (
        {p.a for p in pairwise.pairs} | {p.b for p in pairwise.pairs}
    )
    written = len(result.pairs) + result.counts["pairs_implied_by_groups"]
    assert written == len(pairwise.pairs)
    # every copy repeats its own text as the representative does
    repeats = {d.id: d.repeated_words for d in result.documents}
    assert repeats == {d.id: d.repeated_words for d in pairwise.documents}
    # each member's witness of the story: its own offsets, its own words
    text = {r.id: r.text for r in records}
    rep_words = words(text[group.representative])
    for member in group.members:
        # (a story that repeats itself also aligns its repeat with the other copy's opening)
        alignment = max(member.alignments, key=lambda a: a.b_end - a.b_start)
        assert len(member.alignments) == 1 or repeat
        assert words(text[member.doc][alignment.b_start : alignment.b_end]) == rep_words
    _witnessed(result, records)


def test_stock_text_is_one_group_without_pairs():
    records = [Record(f"s{i:05d}", "Markets closed" + " " * (i % 3)) for i in range(2000)]
    records.append(Record("zz", "Something else entirely happened today in the city"))
    result = scan(records)
    assert len(result.groups) == 1
    assert len(result.groups[0].members) == 1999
    assert result.pairs == ()
    assert result.counts["pairs_implied_by_groups"] == 2000 * 1999 // 2


def test_near_copies_form_one_verified_group():
    rng = random.Random(3)
    story = _text(rng, 300).split()
    records = []
    for i in range(30):
        edited = list(story)
        for _ in range(3):
            edited[rng.randrange(len(edited))] = rng.choice(VOCABULARY)
        records.append(Record(f"n{i:03d}", " ".join(edited)))
    records += [Record(f"o{i:03d}", _text(rng, 200)) for i in range(20)]
    result = scan(records)
    assert len(result.groups) == 1
    (group,) = result.groups
    assert not group.exact and len(group.members) == 29
    assert all(m.jaccard >= NEAR_GROUP_JACCARD for m in group.members)
    text = {r.id: r.text for r in records}
    for member in group.members:
        for a in member.alignments:
            assert words(text[a.a][a.a_start : a.a_end]) and words(text[a.b][a.b_start : a.b_end])
    # the story is one passage whose witnesses are the members and the representative
    story_passages = [p for p in result.passages if len(p.docs) >= 30]
    assert story_passages
    assert not [p for p in result.pairs if p.a.startswith("n") and p.b.startswith("n")]


def test_small_groups_stay_pairs():
    records = _corpus(5, MIN_GROUP_DOCS - 1, 1, 2, 80)
    grouped, pairwise = scan(records), scan(records, group_copies=False)
    assert grouped.groups == ()
    assert (grouped.pairs, grouped.passages, grouped.counts) == (
        pairwise.pairs,
        pairwise.passages,
        pairwise.counts,
    )


@settings(max_examples=8)
@given(seed=st.integers(0, 10**6), copies=st.integers(MIN_GROUP_DOCS, MIN_GROUP_DOCS + 6))
def test_drop_duplicates_keeps_one_per_group_as_pairwise(seed, copies):
    import functools

    import pytest

    from dedup import inmemory, jobs

    rng = random.Random(seed)
    records = [
        Record(r.id, r.text, date=rng.choice([None, "2016-12-01", "2016-12-02", "2016-12-03"]))
        for r in _corpus(seed, copies, 2, 3, rng.randint(5, 120))
    ]
    # a second group of another story, and a copy of the first with a few words more
    story = _text(rng, 60)
    records += [Record(f"c{rng.randrange(10**6):06d}-s{i}", story) for i in range(copies)]
    records.append(Record("c999999-x", records[0].text + " and one more line of words here"))
    records.sort(key=lambda r: r.id)
    grouped = jobs.clean(records, drop_duplicates=True)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(jobs, "scan", functools.partial(inmemory.scan, group_copies=False))
        pairwise = jobs.clean(records, drop_duplicates=True)
    assert grouped.duplicates == pairwise.duplicates
    assert grouped.documents == pairwise.documents
    assert grouped.counts == pairwise.counts


def test_a_grouped_scan_resumes_from_its_own_stages(tmp_path):
    from dedup.config import Config
    from dedup.workspace import Workspace, input_digest

    records = _corpus(11, MIN_GROUP_DOCS + 2, 2, 3, 90)

    def workspace():
        digest = input_digest(records)
        return Workspace(tmp_path / "work", config_digest=Config().digest(), input_digest=digest)

    expanded = scan(records, workspace=workspace(), expand_pairs=True)
    grouped_work = workspace()
    grouped = scan(records, workspace=grouped_work)
    assert "candidates" not in grouped_work.resumed  # the stages of the groups, not of all
    again_work = workspace()
    again = scan(records, workspace=again_work)
    assert again_work.resumed and all(s.startswith("groups-") for s in again_work.resumed[-2:])
    assert (again.pairs, again.groups, again.passages) == (
        grouped.pairs,
        grouped.groups,
        grouped.passages,
    )
    assert expanded.pairs == scan(records, group_copies=False).pairs


def test_groups_table_has_a_row_a_member():
    records = _corpus(4, MIN_GROUP_DOCS + 1, 1, 2, 60)
    result = scan(records)
    table = result.columns("groups")
    assert len(table["doc"]) == MIN_GROUP_DOCS
    assert set(table["group"]) == {"g1"} and all(table["exact"])
    assert table["representative"][0] == result.groups[0].representative
    assert list(result.to_arrow("groups").column_names) == list(table)


def test_drop_duplicates_of_a_group_of_twenty_writes_nineteen_rows(tmp_path):
    """20 copies of one story (dates shuffled): the earliest is kept, 19 are dropped against
    it, the scan under clean writes no pair among the copies (one group), and the drops, the
    cleaned documents and duplicates.jsonl equal those of the pairwise path."""
    import functools
    import json

    import pytest
    from click.testing import CliRunner

    from dedup import inmemory, jobs
    from dedup.cli import main

    rng = random.Random(23)
    records = _corpus(23, 20, 2, 4, 150)
    copies = [r for r in records if "-q" not in r.id and "-o" not in r.id]
    days = [f"2016-12-{day:02d}" for day in rng.sample(range(1, 29), len(copies))]
    dated = dict(zip([r.id for r in copies], days))
    records = [Record(r.id, r.text, date=dated.get(r.id)) for r in records]
    earliest = min(copies, key=lambda r: (dated[r.id], r.id)).id

    scans = []

    def recording(*args, **kwargs):
        result = inmemory.scan(*args, **kwargs)
        scans.append(result)
        return result

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(jobs, "scan", recording)
        grouped = jobs.clean(records, drop_duplicates=True)
    (seen,) = scans
    assert [len(g.members) for g in seen.groups] == [19]
    assert not [p for p in seen.pairs if p.a in dated and p.b in dated]
    assert len(grouped.duplicates) == 19 == grouped.counts["dropped_duplicates"]
    assert {d.kept for d in grouped.duplicates} == {earliest}
    assert {d.dropped for d in grouped.duplicates} == set(dated) - {earliest}
    assert [d.record.id for d in grouped.documents if d.duplicate_of is None].count(earliest) == 1

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(jobs, "scan", functools.partial(inmemory.scan, group_copies=False))
        pairwise = jobs.clean(records, drop_duplicates=True)
    assert grouped.duplicates == pairwise.duplicates
    assert grouped.documents == pairwise.documents

    source = tmp_path / "feed.jsonl"
    rows = [{"id": r.id, "text": r.text, "date": r.date} for r in records]
    source.write_text("".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8")
    done = CliRunner().invoke(
        main, ["clean", str(source), "-o", str(tmp_path / "out"), "--drop-duplicates", "-q"]
    )
    assert done.exit_code == 0, done.output
    written = (tmp_path / "out" / "duplicates.jsonl").read_text(encoding="utf-8").splitlines()
    assert [json.loads(line)["dropped"] for line in written] == sorted(set(dated) - {earliest})
    assert {json.loads(line)["kept"] for line in written} == {earliest}


@settings(max_examples=6, deadline=None)
@given(seed=st.integers(0, 10**6), copies=st.integers(MIN_GROUP_DOCS, MIN_GROUP_DOCS + 12))
def test_drop_duplicates_of_near_copies_as_pairwise_without_pairs_among_them(seed, copies):
    """Copies of one story, each with a few words substituted, and a few cut short, dates
    shuffled: clean groups them around the earliest (no pair among the copies is verified)
    and drops exactly the documents the pairwise path drops, each against the same kept
    document with the same measures (the strays of a group cut short scanned again)."""
    import functools

    import pytest

    from dedup import inmemory, jobs

    rng = random.Random(seed)
    story = _text(rng, rng.randint(150, 300)).split()
    records = []
    for i in range(copies):
        edited = list(story)
        for _ in range(rng.randint(1, 4)):
            edited[rng.randrange(len(edited))] = rng.choice(VOCABULARY)
        date = rng.choice([None, "2016-12-01", "2016-12-02", "2016-12-03", "2016-12-04"])
        records.append(Record(f"n{rng.randrange(10**6):06d}-{i}", " ".join(edited), date=date))
    cut = " ".join(story[: len(story) * rng.randint(60, 80) // 100])
    for i in range(rng.randint(0, 3)):  # copies cut short: strays when in the group
        date = rng.choice([None, "2016-12-01", "2016-12-02"])
        records.append(Record(f"t{rng.randrange(10**6):06d}-{i}", cut, date=date))
    records += [Record(f"o{i:03d}", _text(rng, rng.randint(40, 120))) for i in range(5)]
    records.sort(key=lambda r: r.id)
    scans = []

    def recording(*args, **kwargs):
        scans.append(inmemory.scan(*args, **kwargs))
        return scans[-1]

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(jobs, "scan", recording)
        grouped = jobs.clean(records, drop_duplicates=True)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(jobs, "scan", functools.partial(inmemory.scan, group_copies=False))
        pairwise = jobs.clean(records, drop_duplicates=True)
    seen = scans[0]
    copies_ids = {r.id for r in records if r.id.startswith("n")}
    assert not [p for p in seen.pairs if p.a in copies_ids and p.b in copies_ids]
    story_ids = {r.id for r in records if r.id[0] in "nt"}
    earliest = min((r for r in records if r.id in story_ids), key=jobs.keep_order).id
    assert seen.groups[0].representative == earliest
    assert [(d.dropped, d.kept, d.jaccard) for d in grouped.duplicates] == [
        (d.dropped, d.kept, d.jaccard) for d in pairwise.duplicates
    ]
    assert grouped.documents == pairwise.documents
