"""benchmarks/stories_network.py: the truth of a generated wire network as story labels,
and the error count by role."""

from __future__ import annotations

import sys

from tests.conftest import BENCHMARKS, needs_network_data

if str(BENCHMARKS) not in sys.path:
    sys.path.insert(0, str(BENCHMARKS))


@needs_network_data
def test_copies_share_a_label_and_controls_stand_alone():
    from stories_network import errors, truth_labels
    from syndication_generator import generate_network

    _, truth = generate_network(3, "dev", stories=6, controls=3)
    labels = truth_labels(truth)
    roles = {doc: info["role"] for doc, info in truth["articles"].items()}
    controls = [doc for doc, role in roles.items() if role == "control"]
    assert len(controls) == 3
    assert len({labels[doc] for doc in controls}) == 3
    story_labels = {labels[doc] for doc, role in roles.items() if role != "control"}
    assert len(story_labels) == 6
    ids = sorted(labels)
    true = [labels[doc] for doc in ids]
    right = errors({"ids": ids, "true": true, "pred": true, "truth": truth})
    assert all(row["split off"] == 0 and row["merged"] == 0 for row in right)
    # every control put with the first story's articles: each counts as merged
    first = true[[roles[doc] for doc in ids].index("wire")]
    wrong = [first if roles[doc] == "control" else labels[doc] for doc in ids]
    merged = {row["role"]: row["merged"] for row in errors(
        {"ids": ids, "true": true, "pred": wrong, "truth": truth}
    )}  # fmt: skip
    assert merged["control"] == 3
