"""A large report's inputs made quickly: the stages' result over a generated corpus, repeated.

The report's stages (scan, stories, chains) take very long at 100,000 articles on a
shared 2-core machine; the page does not care how its inputs were found, only how many
articles, pairs, stories and edges they hold. :func:`tile` repeats one real result
(``ReportInputs`` of :func:`dedup.pipeline.report`) ``tiles`` times, each copy with its
own document, passage, story, event and copy-group ids (``d0001234`` becomes ``d0006234``
in the second copy of a 5,000-article result), and merges the copies into one result with
every table the report reads. Every pair, passage, story and edge is thus a real one; only
the corpus is the same ``tiles`` times over (texts, outlets and dates repeat; the sentences
of the evidence still name the first copy's ids).

Used by ``report_speed.py --tiles``.
"""

from __future__ import annotations

import dataclasses
import re
from collections import defaultdict
from typing import Any

import numpy as np

from dedup.config import Config
from dedup.jobs import ReportInputs
from dedup.types import ChainsResult, OutletReuse

_NUMBERED = re.compile(r"^(inferred:)?([a-z]+)(\d+)$")


def _ids(found: ReportInputs) -> list[str]:
    """Every id of the result a copy must rename."""
    passages = [c.id for c in found.scan.passages]
    stories = found.stories.stories
    return [
        *(r.id for r in found.records),
        *passages,
        *(f"inferred:{p}" for p in passages),
        *(s.id for s in stories),
        *(e.id for s in stories for e in getattr(s, "events", ())),
        *(g.id for g in found.scan.groups),
    ]


def _names(ids: list[str], copy: int) -> dict[str, str]:
    """Old id → id in copy ``copy``: each numbered id shifted past every id of its kind
    (keeping its digits' width), any other id suffixed."""
    spans: dict[str, int] = defaultdict(int)
    for name in ids:
        match = _NUMBERED.match(name)
        if match:
            spans[match[2]] = max(spans[match[2]], int(match[3]) + 1)
    names = {}
    for name in ids:
        match = _NUMBERED.match(name)
        if match:
            number = int(match[3]) + copy * spans[match[2]]
            names[name] = f"{match[1] or ''}{match[2]}{number:0{len(match[3])}d}"
        else:
            names[name] = f"{name}~{copy}"
    return names


def _renamed(value: Any, names: dict[str, str]) -> Any:
    """``value`` with every string that is an id replaced (dataclasses, tuples, lists and
    dicts rebuilt; the configuration, arrays and anything else kept as they are)."""
    if isinstance(value, str):
        return names.get(value, value)
    if isinstance(value, tuple):
        return tuple(_renamed(v, names) for v in value)
    if isinstance(value, list):
        return [_renamed(v, names) for v in value]
    if isinstance(value, dict):
        return {_renamed(k, names): _renamed(v, names) for k, v in value.items()}
    if dataclasses.is_dataclass(value) and not isinstance(value, (type, Config)):
        changes = {
            f.name: _renamed(getattr(value, f.name), names)
            for f in dataclasses.fields(value)
            if f.init
            and f.name not in ("config", "signatures", "clusterer")
            and not (f.name == "scan" and isinstance(value, ChainsResult))  # tile() sets it
        }
        return dataclasses.replace(value, **changes)
    return value


def _outlets(tables: list[tuple[OutletReuse, ...]]) -> tuple[OutletReuse, ...]:
    """The outlet tables of the copies summed per outlet."""
    merged: dict[str, list[Any]] = {}
    for table in tables:
        for o in table:
            row = merged.setdefault(o.outlet, [0, 0, 0, defaultdict(int)])
            row[0] += o.documents
            row[1] += o.words
            row[2] += o.reused_words
            for source, words in o.sources:
                row[3][source] += words
    return tuple(
        OutletReuse(
            outlet=name,
            documents=documents,
            words=words,
            reused_words=reused,
            reused_fraction=reused / words if words else 0.0,
            sources=tuple(sorted(sources.items(), key=lambda s: (-s[1], s[0]))),
        )
        for name, (documents, words, reused, sources) in sorted(merged.items())
    )


def _summed(counts: list[dict[str, int]]) -> dict[str, int]:
    return {key: sum(c.get(key, 0) for c in counts) for key in counts[0]}


def tile(found: ReportInputs, tiles: int) -> ReportInputs:
    """``found`` repeated ``tiles`` times under new ids, as one result."""
    ids = _ids(found)
    copies = [found] + [_renamed(found, _names(ids, copy)) for copy in range(1, tiles)]
    scans = [c.scan for c in copies]
    scan = found.scan.replace(
        documents=tuple(sorted((d for s in scans for d in s.documents), key=lambda d: d.id)),
        pairs=tuple(sorted((p for s in scans for p in s.pairs), key=lambda p: (p.a, p.b))),
        passages=tuple(p for s in scans for p in s.passages),
        rejects=tuple(r for s in scans for r in s.rejects),
        groups=tuple(g for s in scans for g in s.groups),
        signatures=np.vstack([found.scan.signatures] * tiles),
        counts=_summed([s.counts for s in scans]),
    )
    stories = dataclasses.replace(
        found.stories,
        stories=tuple(s for c in copies for s in c.stories.stories),
        rejects=tuple(r for c in copies for r in c.stories.rejects),
        counts=_summed([c.stories.counts for c in copies]),
    )
    chains = ChainsResult(
        config=found.chains.config,
        scan=scan,
        edges=tuple(e for c in copies for e in c.chains.edges),
        articles=tuple(a for c in copies for a in c.chains.articles),
        outlets=_outlets([c.chains.outlets for c in copies]),
        counts=_summed([c.chains.counts for c in copies]),
        passage_kinds={k: v for c in copies for k, v in c.chains.passage_kinds.items()},
        boilerplate_pairs=tuple(p for c in copies for p in c.chains.boilerplate_pairs),
    )
    return ReportInputs(tuple(r for c in copies for r in c.records), scan, stories, chains)
