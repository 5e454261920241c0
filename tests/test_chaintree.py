"""The terminal's trees (dedup.chaintree): each article under its direct source."""

from __future__ import annotations

from dedup.chaintree import chain_trees
from dedup.types import ChainEdge


def edge(source: str, target: str, directed: bool = True) -> ChainEdge:
    return ChainEdge(source, target, directed, 0.9 if directed else 0.0, ("p1",), 10, ())


def test_a_directed_source_wins_over_an_inferred_node_and_largest_tree_comes_first():
    edges = [
        edge("w", "s1"),
        edge("w", "s2"),
        edge("s1", "x"),
        edge("inferred:p1", "s1", directed=False),
        edge("inferred:p1", "y", directed=False),
        edge("inferred:p9", "a", directed=False),
        edge("inferred:p9", "b", directed=False),
    ]
    trees = chain_trees(edges)
    assert [t.id for t in trees] == ["w", "inferred:p9", "inferred:p1"]
    w = trees[0]
    assert w.size == 4
    assert [c.id for c in w.children] == ["s1", "s2"]
    assert [c.id for c in w.children[0].children] == ["x"]
    assert [c.id for c in trees[2].children] == ["y"]  # s1 hangs under w, not here
