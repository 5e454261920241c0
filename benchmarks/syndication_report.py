"""The syndication benchmark's tables, printed as markdown (see syndication.py)."""

from __future__ import annotations

import collections
import re
from collections.abc import Sequence

from syndication_scoring import (
    EDGE_CLASSES,
    OUTCOMES,
    _ratio,
    reads_as_the_wire,
)
from syndication_sources import (
    SHARED_RUN_WORDS,
)

# --- printing ---------------------------------------------------------------------------------


def markdown(header: Sequence[str], rows: Sequence[Sequence]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(_cell(v) for v in row) + " |" for row in rows]
    return "\n".join(lines) + "\n"


def _cell(value) -> str:
    if value is None:
        return "—"
    if isinstance(value, float):
        return f"{value:.3f}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


def _share(part: int, whole: int) -> str:
    return f"{part:,}/{whole:,} ({part / whole:.0%})" if whole else "—"


def print_corpus(records: Sequence[dict], truth: dict, seconds: float) -> None:
    articles = truth["articles"].values()
    roles = collections.Counter(a["role"] for a in articles)
    stories = truth["generator"]["stories"]
    wires = roles["wire"]
    relations = collections.Counter(p["relation"] for p in truth["pairs"])
    absent = sum(1 for p in truth["pairs"] if p.get("common_source_in_corpus") is False)
    orders = sum(1 for e in truth["edges"] if e["date_orders"])
    debris = sum(
        len(re.sub(r"\s", "", r["text"][d["start"] : d["end"]]))
        for r in records
        for d in truth["articles"][r["id"]]["debris"]
    )
    visible = sum(len(re.sub(r"\s", "", r["text"])) for r in records)
    size = sum(len(r["text"].encode()) for r in records) / 1e6
    same = reads_as_the_wire(records, truth)
    print(f"Corpus (generated in {seconds:.1f} s):\n")
    rows = [
        ["stories (wire story in the corpus / absent)", f"{stories} ({wires} / {stories - wires})"],
        [
            "articles",
            f"{len(records):,}: "
            + ", ".join(
                f"{roles[r]} {r}" for r in ("wire", "subscriber", "rewriter", "scraper", "control")
            ),
        ],
        ["text", f"{size:.2f} MB"],
        [
            "true direct copies (dates order them / same day, a time missing)",
            f"{len(truth['edges']):,} ({orders:,} / {len(truth['edges']) - orders:,})",
        ],
        [
            "true pairs (sharing copied text)",
            f"{len(truth['pairs']):,}: direct {relations['direct']:,}, ancestor "
            f"{relations['ancestor']:,}, sibling {relations['sibling']:,} "
            f"({absent:,} of an absent source)",
        ],
        [
            "pairs sharing only boilerplate (an 8-gram touching debris in both)",
            f"{len(truth['boilerplate_pairs']):,}",
        ],
        [
            "pairs sharing an accidental 8-gram (across a paragraph break)",
            f"{len(truth['accidental_pairs']):,}",
        ],
        ["debris characters (non-white-space)", _share(debris, visible)],
        [
            "true copies of an outlet's version that read word for word as the wire's",
            ", ".join(f"{k} {v}" for k, v in sorted(same.items())) or "0",
        ],
    ]
    print(markdown(["what", "count"], rows))


def print_links(scores: dict[str, dict]) -> None:
    print("Linked pairs (unordered; true = a direct copy or any two articles sharing a run of")
    print(f"≥ {SHARED_RUN_WORDS} copied words):\n")
    rows = []
    for name, score in scores.items():
        p = score["pairs"]
        rel = p["recall_by_relation"]
        rows.append(
            [
                name,
                p["predicted"],
                p["precision"],
                p["recall"],
                p["f1"],
                *(
                    f"{rel[r][0] / rel[r][1]:.3f}" if rel[r][1] else "—"
                    for r in ("direct", "ancestor", "sibling")
                ),
                p["false_boilerplate"],
                p["false_accidental"],
                p["false_other"],
            ]
        )
    print(
        markdown(
            [
                "method",
                "pairs",
                "precision",
                "recall",
                "F1",
                "recall direct",
                "recall ancestor",
                "recall sibling",
                "false: boilerplate only",
                "false: accidental 8-gram",
                "false: nothing shared",
            ],
            rows,
        )
    )
    print("Directed edges (right = a true direct copy, source → copy):\n")
    rows = []
    for name, score in scores.items():
        e = score["edges"]
        rows.append(
            [
                name,
                e["predicted"],
                e["true"],
                e["precision"],
                e["recall"],
                e["f1"],
                e["undeterminable"],
                e["precision, text"],
                e["recall, text"],
                e["f1, text"],
            ]
        )
    header = ["method", "directed edges", "true copies", "precision", "recall", "F1"]
    header += ["text cannot tell", "precision, text", "recall, text", "F1, text"]
    print(markdown(header, rows))
    print("(text cannot tell: true copies whose copied words another earlier article holds word")
    print("for word; an edge from such an article, or from their nearest common ancestor, counts")
    print('as right in the columns marked "text", and only the true source in the others)\n')
    print("Where the directed edges go (skips a link: from an ancestor past the direct source;")
    print("against a chain: from a descendant to its ancestor):\n")
    rows = [
        [name, *(score["edges"]["classes"][c] for c in EDGE_CLASSES)]
        for name, score in scores.items()
    ]
    print(markdown(["method", *EDGE_CLASSES], rows))


def print_outcomes(scores: dict[str, dict]) -> None:
    print("Each true direct copy: an edge the right way, reversed, both under one common node")
    print("(abstained), linked only to others of its group, or not linked; direction accuracy =")
    print("right / (right + reversed):\n")
    rows = []
    for name, score in scores.items():
        for group in (
            "all",
            "dates order it",
            "same day, a time missing",
            "wire→subscriber",
            "wire→rewriter",
            "subscriber→rewriter",
            "subscriber→scraper",
        ):
            counts = score["outcomes"].get(group, {})
            total = sum(counts.values())
            directed = counts.get("right", 0) + counts.get("reversed", 0)
            rows.append(
                [
                    name,
                    group,
                    total,
                    *(counts.get(o, 0) for o in OUTCOMES),
                    _ratio(counts.get("right", 0), directed),
                ]
            )
    print(markdown(["method", "copies", "n", *OUTCOMES, "direction accuracy"], rows))


def print_siblings(scores: dict[str, dict]) -> None:
    print("Siblings (share copied text, neither descends from the other) and boilerplate-only")
    print("pairs: linked, joined by a directed edge (wrong), or hung from one common node:\n")
    rows = []
    for name, score in scores.items():
        for group, counts in score["siblings"].items():
            rows.append(
                [
                    name,
                    f"siblings, {group}",
                    counts["pairs"],
                    counts["linked"],
                    counts["directed edge"],
                    counts["under one common node"],
                ]
            )
        b = score["boilerplate"]
        rows.append(
            [
                name,
                "boilerplate only",
                b["pairs"],
                b["linked"],
                b["directed edge"],
                b["under one common node"],
            ]
        )
    print(
        markdown(["method", "pairs", "n", "linked", "directed edge", "under one common node"], rows)
    )


def print_wrong_edges(scores: dict[str, dict], top: int = 8) -> None:
    print("The most frequent wrong directed edges, by the roles of their ends:\n")
    rows = []
    for name, score in scores.items():
        for (roles, kind), n in list(score["wrong edges"].items())[:top]:
            rows.append([name, roles, kind, n])
    print(markdown(["method", "source → target", "what it is", "edges"], rows))


def print_common_nodes(scores: dict[str, dict], min_articles: int = 10) -> None:
    print(f"Common nodes (undirected groups) of at least {min_articles} articles:\n")
    rows = []
    for name, score in scores.items():
        nodes = score["common nodes"]
        small = [n for n in nodes if n["articles"] < min_articles]
        for node in nodes:
            if node["articles"] >= min_articles:
                rows.append(
                    [
                        name,
                        node["articles"],
                        node["outlets"],
                        node["pairs"],
                        node["true pairs"],
                        node["boilerplate pairs"],
                    ]
                )
        if small:
            rows.append(
                [
                    name,
                    f"{len(small)} smaller nodes, {sum(n['articles'] for n in small):,} articles",
                    "",
                    sum(n["pairs"] for n in small),
                    sum(n["true pairs"] for n in small),
                    sum(n["boilerplate pairs"] for n in small),
                ]
            )
    print(
        markdown(
            [
                "method",
                "articles",
                "outlets",
                "pairs under it",
                "true pairs",
                "boilerplate-only pairs",
            ],
            rows,
        )
    )


def print_calibration(scores: dict[str, dict]) -> None:
    print("Confidence of the directed edges against the share that are true direct copies the")
    print("right way:\n")
    rows = []
    for name, score in scores.items():
        for row in score["calibration"]:
            rows.append(
                [name, row["bin"], row["edges"], row["mean confidence"], row["share right"]]
            )
    print(markdown(["method", "confidence", "edges", "mean confidence", "share right"], rows))


def print_debris(debris: dict) -> None:
    print("dedup clean against the debris (non-white-space characters):\n")
    rows = [
        [
            debris["debris characters"],
            debris["cut characters"],
            debris["precision"],
            debris["recall"],
            debris["f1"],
            debris["other text kept"],
        ]
    ]
    print(markdown(["debris", "cut", "precision", "recall", "F1", "other text kept"], rows))
    rows = [[kind, _share(cut, total)] for kind, (cut, total) in debris["recall by kind"].items()]
    print(markdown(["debris kind", "characters cut"], rows))
    rows = [[reason, chars, share] for reason, (chars, share) in debris["by reason"].items()]
    print(markdown(["cut reason", "characters", "share debris"], rows))


def print_reasons(reasons: dict[str, tuple[int, int]]) -> None:
    print("dedup chains: directed edges by what orders them (the confidence table's figures):\n")
    rows = [[k, n, right, _ratio(right, n)] for k, (n, right) in reasons.items()]
    print(markdown(["ordered by", "edges", "right", "share right"], rows))


def print_goals(rows: Sequence[tuple[str, str, bool]]) -> None:
    print("Issue #21's goals (dedup chains and dedup clean, defaults):\n")
    for goal, figures, met in rows:
        print(f"- {goal}: {figures}: {'met' if met else 'NOT met'}")
    print()
