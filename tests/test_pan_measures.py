"""The PAN measures of benchmarks/pan_measures.py on hand-computed examples, and against a
plain reference that counts characters one by one."""

from __future__ import annotations

import dataclasses
import math
import sys
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "benchmarks"))

from pan_measures import (
    Annotation,
    detects,
    granularity,
    macro_precision,
    macro_recall,
    pair_precision_recall,
    plagdet,
    score,
)

# one case: 100 characters of "susp" (at 0) reused from 100 characters of "src" (at 1000)
CASE = Annotation("susp", 0, 100, "src", 1000, 1100)


def test_perfect_detection_scores_one_everywhere():
    scores = score([CASE], [CASE])
    assert (scores.precision, scores.recall, scores.granularity, scores.plagdet) == (1, 1, 1, 1)
    assert (scores.pair_precision, scores.pair_recall) == (1, 1)


def test_half_of_the_case_is_recall_one_half():
    # the first 50 characters in both documents: 100 of the case's 200 characters
    half = Annotation("susp", 0, 50, "src", 1000, 1050)
    scores = score([CASE], [half])
    assert scores.recall == 0.5
    assert scores.precision == 1.0
    assert scores.granularity == 1.0
    assert scores.plagdet == pytest.approx(2 / 3)


def test_half_of_the_case_in_the_suspicious_document_only():
    # all 100 source characters, 50 of the suspicious ones: 150 / 200
    detection = Annotation("susp", 50, 100, "src", 1000, 1100)
    assert macro_recall([CASE], [detection]) == 0.75


def test_a_case_split_into_two_detections_has_granularity_two():
    first = Annotation("susp", 0, 50, "src", 1000, 1050)
    second = Annotation("susp", 50, 100, "src", 1050, 1100)
    scores = score([CASE], [first, second])
    assert scores.recall == 1.0
    assert scores.precision == 1.0
    assert scores.granularity == 2.0
    assert scores.plagdet == pytest.approx(1 / math.log2(3))


def test_a_detection_with_no_case_halves_precision():
    stray = Annotation("susp", 300, 400, "src", 0, 100)
    scores = score([CASE], [CASE, stray])
    assert scores.precision == 0.5
    assert scores.recall == 1.0
    assert scores.granularity == 1.0
    # the pair is flagged and found: the stray detection does not cost a document pair
    assert (scores.pair_precision, scores.pair_recall) == (1.0, 1.0)


def test_a_detection_twice_the_case_has_precision_one_half():
    wide = Annotation("susp", 0, 200, "src", 1000, 1200)
    assert macro_precision([CASE], [wide]) == 0.5
    assert macro_recall([CASE], [wide]) == 1.0


def test_overlap_in_one_document_only_detects_nothing():
    # right place in the suspicious document, wrong place in the source
    wrong_source = Annotation("susp", 0, 100, "src", 2000, 2100)
    assert not detects(CASE, wrong_source)
    scores = score([CASE], [wrong_source])
    assert (scores.precision, scores.recall, scores.granularity) == (0.0, 0.0, 1.0)
    assert scores.pair_recall == 0.0
    assert scores.pair_precision == 0.0  # the pair is flagged, but not found


def test_touching_spans_do_not_overlap():
    after = Annotation("susp", 100, 150, "src", 1100, 1150)
    assert not detects(CASE, after)


def test_same_offsets_in_another_document_pair_detect_nothing():
    elsewhere = Annotation("susp2", 0, 100, "src", 1000, 1100)
    assert macro_recall([CASE], [elsewhere]) == 0.0


def test_recall_is_averaged_over_cases():
    other = Annotation("susp2", 0, 100, "src2", 0, 100)
    assert macro_recall([CASE, other], [CASE]) == 0.5
    assert macro_precision([CASE, other], [CASE]) == 1.0


def test_granularity_counts_only_detected_cases():
    other = Annotation("susp2", 0, 100, "src2", 0, 100)
    first = Annotation("susp", 0, 30, "src", 1000, 1030)
    second = Annotation("susp", 30, 60, "src", 1030, 1060)
    third = Annotation("susp", 60, 100, "src", 1060, 1100)
    # CASE detected by three, `other` by one, a third case not at all: (3 + 1) / 2
    missed = Annotation("susp3", 0, 10, "src3", 0, 10)
    assert granularity([CASE, other, missed], [first, second, third, other]) == 2.0


def test_overlapping_detections_count_characters_once():
    first = Annotation("susp", 0, 60, "src", 1000, 1060)
    second = Annotation("susp", 40, 100, "src", 1040, 1100)
    assert macro_recall([CASE], [first, second]) == 1.0


def test_empty_conventions_follow_pan():
    assert macro_recall([], []) == 1.0
    assert macro_recall([CASE], []) == 0.0
    assert macro_precision([CASE], []) == 0.0
    assert macro_precision([], [CASE]) == 0.0
    assert granularity([CASE], []) == 1.0
    assert plagdet(0.0, 0.0, 1.0) == 0.0


def test_plagdet_values_from_the_pan_script():
    assert plagdet(1, 1, 1) == 1
    assert plagdet(0.5, 1, 1) == pytest.approx(2 / 3)
    assert plagdet(1, 1, 2) == pytest.approx(0.63092975)
    assert plagdet(0.25, 0.75, 2) == pytest.approx(0.23659865)


def test_pair_measures():
    cases = {("s1", "r1"), ("s2", "r2")}
    flagged = {("s1", "r1"), ("n1", "n2")}
    found = {("s1", "r1")}
    assert pair_precision_recall(cases, flagged, found) == (0.5, 0.5)


def test_flagged_pairs_without_spans_count_against_pair_precision():
    scores = score([CASE], [CASE], flagged=[("neg1", "neg2")])
    assert (scores.pair_precision, scores.pair_recall) == (0.5, 1.0)
    assert scores.precision == 1.0  # no span, no character of precision lost


# --- against a reference that counts characters in sets ------------------------------------


def _chars(a: Annotation) -> set[tuple[str, str, int]]:
    return {("susp", a.suspicious, i) for i in range(a.suspicious_start, a.suspicious_end)} | {
        ("src", a.source, i) for i in range(a.source_start, a.source_end)
    }


def _reference_recall(cases: list[Annotation], detections: list[Annotation]) -> float:
    total = 0.0
    for case in cases:
        hits = [d for d in detections if detects(case, d)]
        covered = set().union(*(_chars(case) & _chars(d) for d in hits)) if hits else set()
        total += len(covered) / len(_chars(case))
    return total / len(cases)


spans = st.tuples(st.integers(0, 60), st.integers(1, 30))
annotations = st.builds(
    lambda t, s, pair: Annotation(pair, t[0], t[0] + t[1], "src-" + pair, s[0], s[0] + s[1]),
    spans,
    spans,
    st.sampled_from(["a", "b"]),
)


@given(st.lists(annotations, min_size=1, max_size=4), st.lists(annotations, min_size=1, max_size=6))
def test_recall_and_precision_match_the_character_set_reference(cases, detections):
    assert macro_recall(cases, detections) == pytest.approx(_reference_recall(cases, detections))
    assert macro_precision(cases, detections) == pytest.approx(_reference_recall(detections, cases))


def test_the_targets_table_names_the_levels_and_the_misses():
    from edited import LEVELS, target_rows

    def scores(recall: float, gran: float, plagdet_: float = 1.0, doc_p: float = 1.0):
        return dataclasses.replace(
            score([CASE], [CASE]),
            recall=recall,
            granularity=gran,
            plagdet=plagdet_,
            pair_precision=doc_p,
        )

    found = {(level.kind, level.name): {"dedup": scores(0.99, 1.0), "naive": scores(0.5, 3.0)}
             for level in LEVELS}  # fmt: skip
    found[("substitute", "1/5")]["dedup"] = scores(0.94, 1.0)  # recall below 0.95
    found[("ocr", "3%")]["dedup"] = scores(0.99, 1.06)  # granularity above 1.05
    found[("all", "")] = {"dedup": scores(1, 1, 0.89, 0.995), "naive": scores(1, 1, 0.3, 0.9)}
    rows = target_rows(found, list(LEVELS))
    levels = sorted({what for what, *_ in rows} - {"all"})
    # substitution up to 1 in 5 and OCR up to 3 %, never 1/3 or 5 %
    assert levels == ["ocr 1%", "ocr 2%", "ocr 3%", "substitute 1/10", "substitute 1/20",
                      "substitute 1/5"]  # fmt: skip
    missed = [(what, measure) for what, measure, _, _, _, ok in rows if not ok]
    assert missed == [
        ("substitute 1/5", "recall"),
        ("ocr 3%", "granularity"),
        ("all", "plagdet"),
    ]
    naive = {(what, measure): value for what, measure, _, _, value, _ in rows}
    assert naive[("ocr 1%", "granularity")] == 3.0
    assert naive[("all", "doc-P")] == 0.9
