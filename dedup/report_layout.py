"""The report's drawings, laid out in Python so that the same input always gives the same
picture: the chain graph (:func:`layout_graph`: x the date, y the outlet) and the overview's
bar chart of each outlet's share of reused copy (:func:`outlet_bars`, rendered by the
template before any script runs). Positions only; the page's script and the template draw.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from typing import Any

from dedup.report_labels import COMMON_PREFIX, UNKNOWN
from dedup.syndication import COMMON_OUTLET, UNKNOWN_OUTLET
from dedup.types import ChainsResult

#: Outlets shown in the overview chart (the most reused first).
CHART_OUTLETS = 30
#: Ends of the chart's axis: the smallest that holds the largest share.
CHART_SCALES = (0.05, 0.1, 0.2, 0.25, 0.5, 1.0)
#: Characters of the visible note under each bar (the whole note is in its tooltip).
BAR_NOTE_CHARS = 80

NO_OUTLET = f"outlet {UNKNOWN}"
UNDATED = f"date {UNKNOWN}"
#: Label of the column holding common sources (the originals that are not in the corpus).
COMMON_COLUMN = "original not in corpus"
#: What the chains' outlet table calls a common source, as the page says it.
COMMON_OUTLETS = "originals not in the corpus"

# Geometry of the chain graph, in SVG user units (pixels at 100 % zoom).
GRAPH_LEFT = 150  # lane labels
GRAPH_TOP = 36  # column labels
COLUMN_WIDTH = 170
ROW_HEIGHT = 46
LANE_PAD = 14


def layout_graph(
    doc_ids: Sequence[str],
    edge_numbers: Sequence[int],
    chains: ChainsResult,
    position: dict[str, int],
    doc_rows: Sequence[dict[str, Any]],
) -> dict[str, Any]:
    """A fixed layered drawing of chain edges: x is the date, y the outlet.

    Columns are the distinct dates, oldest left, undated last; a common-source node gets a
    column of its own just before the earliest date of the documents carrying its copy.
    Lanes are outlets in name order, common sources on top and documents without an outlet
    at the bottom; documents sharing a lane and a date stack in id order. The same input
    always gives the same drawing.
    """
    shown = set(doc_ids)
    edges = [
        n
        for n in edge_numbers
        if chains.edges[n].target in shown
        and (chains.edges[n].source.startswith(COMMON_PREFIX) or chains.edges[n].source in shown)
    ]
    target_days: dict[str, list[str | None]] = defaultdict(list)
    for n in edges:
        edge = chains.edges[n]
        if edge.source.startswith(COMMON_PREFIX):
            date = doc_rows[position[edge.target]]["date"]
            target_days[edge.source].append(date[:10] if date else None)
    first_date = {
        common: min((d for d in days if d is not None), default=None)
        for common, days in target_days.items()
    }

    # (key, kind, lane key, column key); lane and column keys sort into place
    placed: list[tuple[str, str, tuple, tuple]] = []
    for doc_id in sorted(shown):
        row = doc_rows[position[doc_id]]
        day = row["date"][:10] if row["date"] else None
        lane = (2, "", NO_OUTLET) if not row["outlet"] else (1, row["outlet"], row["outlet"])
        placed.append((doc_id, "doc", lane, (day is None, day or "", 1)))
    for common in sorted(first_date):
        day = first_date[common]
        placed.append((common, "common", (0, "", "common sources"), (day is None, day or "", 0)))

    columns = sorted({column for *_, column in placed})
    lanes = sorted({lane for _, _, lane, _ in placed})
    column_x = {c: GRAPH_LEFT + COLUMN_WIDTH * (k + 0.5) for k, c in enumerate(columns)}
    stacks: dict[tuple, list[str]] = defaultdict(list)
    for key, _, lane, column in placed:
        stacks[(lane, column)].append(key)
    lane_rows = {lane: max(len(stacks[(lane, c)]) for c in columns) for lane in lanes}
    lane_y, y = {}, GRAPH_TOP
    for lane in lanes:
        lane_y[lane] = y
        y += lane_rows[lane] * ROW_HEIGHT + LANE_PAD
    node_rows: list[dict[str, Any]] = []
    node_index: dict[str, int] = {}
    for key, kind, lane, column in placed:
        row_in_cell = stacks[(lane, column)].index(key)
        node_index[key] = len(node_rows)
        node = {
            "key": key,
            "kind": kind,
            "x": round(column_x[column]),
            "y": round(lane_y[lane] + LANE_PAD / 2 + ROW_HEIGHT * (row_in_cell + 0.4)),
        }
        if kind == "doc":
            node["doc"] = position[key]
        node_rows.append(node)
    return {
        "width": GRAPH_LEFT + COLUMN_WIDTH * len(columns) + 20,
        "height": y + 4,
        "columns": [
            {
                "x": round(column_x[c]),
                "label": COMMON_COLUMN if c[2] == 0 else (c[1] or UNDATED),
            }
            for c in columns
        ],
        "lanes": [
            {"y": lane_y[lane], "height": lane_rows[lane] * ROW_HEIGHT, "label": lane[2]}
            for lane in lanes
        ],
        "nodes": node_rows,
        "edges": [
            {
                "edge": n,
                "s": node_index[chains.edges[n].source],
                "t": node_index[chains.edges[n].target],
            }
            for n in edges
        ],
    }


def _outlet_name(name: str | None) -> str:
    """An outlet of the chains' tables as the page names it (one word for unknown)."""
    if not name or name == UNKNOWN_OUTLET:
        return NO_OUTLET
    return COMMON_OUTLETS if name == COMMON_OUTLET else name


def outlet_bars(chains: ChainsResult) -> dict[str, Any]:
    """Bars of the overview chart: each outlet's share of reused words, most first."""
    ranked = sorted(chains.outlets, key=lambda o: (-o.reused_fraction, -o.words, o.outlet))
    shown = ranked[:CHART_OUTLETS]
    label_width, bar_width, row_height = 220, 420, 44
    top = max((o.reused_fraction for o in shown), default=0.0)
    scale = next(s for s in CHART_SCALES if s >= min(top, 1.0))
    bars = []
    for number, outlet in enumerate(shown):
        label = _outlet_name(outlet.outlet)
        sources = ", ".join(
            f"{_outlet_name(name)} ({words:,} words)" for name, words in outlet.sources
        )
        detail = (
            f"{outlet.reused_words:,} of {outlet.words:,} words reused in "
            f"{outlet.documents:,} article(s)" + (f", from {sources}" if sources else "")
        )
        bars.append(
            {
                "label": label if len(label) <= 30 else label[:29] + "…",
                "full_label": label,
                "y": 8 + number * row_height,
                "width": round(bar_width * min(max(outlet.reused_fraction, 0.0), scale) / scale, 1),
                "percent": f"{100 * outlet.reused_fraction:.1f} %",
                "detail": f"{label}: {detail}",
                "note": detail
                if len(detail) <= BAR_NOTE_CHARS
                else detail[: BAR_NOTE_CHARS - 1] + "…",
                "documents": outlet.documents,
            }
        )
    return {
        "bars": bars,
        "hidden": len(ranked) - len(shown),
        "label_width": label_width,
        "bar_width": bar_width,
        "width": label_width + bar_width + 140,
        "height": 16 + row_height * len(shown),
        "ticks": [
            {"x": round(label_width + bar_width * t / 4, 1), "label": f"{100 * scale * t / 4:g} %"}
            for t in range(5)
        ],
    }
