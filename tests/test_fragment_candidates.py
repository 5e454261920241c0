"""Candidates of heavy revisions: a pair whose shared passage keys lie far apart (short exact
runs, moved about) is aligned when it has ``Config.fragment_hits`` of them, in memory and
spilled alike."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from dedup.candidates import hit_candidates
from dedup.config import FRAGMENT_HITS, Config
from dedup.lsh import PassageHits
from dedup.pipeline import scan
from dedup.spilled import scan_spilled
from dedup.types import Record


def hits(rows: list[tuple[int, int, int, int]]) -> PassageHits:
    doc_a, doc_b, pos_a, pos_b = (np.array(column, dtype=np.int64) for column in zip(*rows))
    return PassageHits(doc_a, doc_b, pos_a, pos_b, 0)


# pair (0, 1): three hits far apart on three diagonals; pair (0, 2): two such hits;
# pair (3, 4): two hits close together on one diagonal
FAR = [(0, 1, 0, 400), (0, 1, 200, 10), (0, 1, 390, 210), (0, 2, 0, 300), (0, 2, 300, 0)]
CLOSE = [(3, 4, 10, 50), (3, 4, 14, 54)]


def candidate_pairs(fragment_hits: int) -> list[tuple[int, int]]:
    found = hit_candidates(hits(FAR + CLOSE), 5, 26, 5, fragment_hits)
    return [(int(a), int(b)) for a, b in found.pairs.tolist()]


def test_three_hits_anywhere_make_a_candidate_only_with_fragments_on():
    assert candidate_pairs(0) == [(3, 4)]
    assert candidate_pairs(3) == [(0, 1), (3, 4)]
    assert candidate_pairs(2) == [(0, 1), (0, 2), (3, 4)]


def test_fragment_hits_follow_min_fragment_words():
    assert Config().fragment_hits == FRAGMENT_HITS > 0
    assert Config(min_fragment_words=0).fragment_hits == 0


def revision(runs: list[int]) -> tuple[str, str]:
    """A source and a rewrite keeping exact runs of ``runs`` words in reverse order, 40 new
    words around each, so that no two shared keys lie close together in both."""
    source, rewrite = [], []
    for k, size in enumerate(runs):
        kept = [f"keep{k}x{n}" for n in range(size)]
        source += [f"src{k}x{n}" for n in range(40)] + kept
        rewrite = kept + [f"new{k}x{n}" for n in range(40)] + rewrite
    return " ".join(source), " ".join(rewrite)


def test_a_revision_with_far_apart_runs_is_found_in_memory_and_spilled(tmp_path, monkeypatch):
    source, rewrite = revision([8, 9, 8])  # runs too short for two keys in one
    records = [Record("a", source), Record("b", rewrite)]
    found = scan(records)
    assert [(p.a, p.b) for p in found.pairs] == [("a", "b")]
    assert sorted(a.matched_words for a in found.pairs[0].alignments) == [8, 8, 9]
    assert scan_spilled(records, spill_dir=tmp_path).pairs == found.pairs
    assert scan(records, Config(min_fragment_words=0)).pairs == ()
    # without the spread hits the pair is never aligned, whatever the pieces' rule says
    monkeypatch.setattr("dedup.config.FRAGMENT_HITS", 0)
    assert Config().fragment_hits == 0
    assert scan(records).pairs == ()


@given(
    st.lists(st.integers(8, 11), min_size=1, max_size=5),
    st.randoms(use_true_random=False),
)
@settings(derandomize=True, max_examples=30, deadline=None)
def test_a_heavy_revision_is_found_when_its_runs_hold_enough_words(runs, rng):
    """Exact runs of 8-11 words (each holds one window of passage keys, so one hit, and is
    shorter than a passage), in any order among new wording: the pair is reported when the
    runs hold ``min_fragment_words`` words in all, with every run as an alignment whose
    offsets slice to the same words in both texts; otherwise it is not."""
    source, kept = [], []
    for k, size in enumerate(runs):
        kept.append([f"keep{k}x{n}" for n in range(size)])
        source += [f"src{k}x{n}" for n in range(40)] + kept[-1]
    order = list(range(len(runs)))
    rng.shuffle(order)
    rewrite = [w for k in order for w in kept[k] + [f"new{k}x{n}" for n in range(40)]]
    text_a, text_b = " ".join(source), " ".join(rewrite)
    found = scan([Record("a", text_a), Record("b", text_b)])
    if sum(runs) < Config().min_fragment_words:
        assert found.pairs == ()
        return
    (pair,) = found.pairs
    assert sorted(a.matched_words for a in pair.alignments) == sorted(runs)
    for a in pair.alignments:
        assert text_a[a.a_start : a.a_end].split() == text_b[a.b_start : a.b_end].split()
        assert a.reuse_kind == "exact"
