"""The chains as trees a person can read in a terminal: each article under its direct
source (or under the inferred common source it hangs from), the largest trees first.

:func:`chain_trees` is the pure part (which node hangs under which); :func:`render_trees`
draws them with rich. The full data stays in the files (``chains.jsonl`` and the graph).
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

from rich.console import Group
from rich.text import Text
from rich.tree import Tree

from dedup.types import ArticleReuse, ChainEdge, ChainsResult


@dataclass(frozen=True, slots=True)
class TreeNode:
    """One node of a drawn tree: ``edge`` is the edge it hangs by (None at the root)."""

    id: str
    edge: ChainEdge | None
    children: tuple[TreeNode, ...]

    @property
    def size(self) -> int:
        return 1 + sum(child.size for child in self.children)


def chain_trees(edges: Sequence[ChainEdge]) -> list[TreeNode]:
    """The forest: every article under its directed source when it has one, else under
    its inferred node; roots are the nodes that hang under nothing. Largest first, then by
    root id."""
    parent: dict[str, ChainEdge] = {}
    for edge in edges:  # a directed source wins over an inferred node
        known = parent.get(edge.target)
        if known is None or (edge.directed and not known.directed):
            parent[edge.target] = edge
    children: dict[str, list[ChainEdge]] = defaultdict(list)
    for edge in parent.values():
        children[edge.source].append(edge)
    nodes = {e.source for e in edges} | {e.target for e in edges}
    roots = sorted(n for n in nodes if n not in parent)

    def build(node: str, edge: ChainEdge | None, seen: frozenset[str]) -> TreeNode:
        below = sorted(children.get(node, ()), key=lambda e: e.target)
        return TreeNode(
            node,
            edge,
            tuple(build(e.target, e, seen | {node}) for e in below if e.target not in seen),
        )

    trees = [build(root, None, frozenset()) for root in roots]
    return sorted(trees, key=lambda t: (-t.size, t.id))


def _label(node: TreeNode, articles: dict[str, ArticleReuse]) -> Text:
    article = articles.get(node.id)
    text = Text()
    if article is not None:
        text.append(article.outlet or "outlet unknown", style="bold")
        text.append(f" {(article.date or 'date unknown').replace('T', ' ')}  {node.id}")
    else:
        text.append(node.id, style="italic")
        text.append("  (inferred common source)")
    edge = node.edge
    if edge is not None:
        if edge.directed:
            text.append(f"  ← {edge.reused_words:,} words, conf. {edge.confidence:.2f}")
        else:
            order = next((e.detail for e in edge.evidence if e.kind == "order"), "")
            reason = re.match(r"undirected \(([^)]*)\)", order)
            why = reason.group(1) if reason else "undirected"
            text.append(f"  — {edge.reused_words:,} words ({why})", style="dim")
    return text


def render_trees(result: ChainsResult, seconds: float, top: int = 20) -> Group:
    """A summary and the ``top`` largest chains drawn as trees."""
    counts = result.counts
    trees = chain_trees(result.edges)
    articles = {a.doc: a for a in result.articles}
    undirected = counts.get("common_edges", 0)
    lines: list[Text | Tree] = [
        Text(
            f"dedup chains: {counts['documents']:,} documents, {len(trees):,} chains; "
            f"{counts['directed_edges']:,} directed edges, {undirected:,} undirected under "
            f"{counts['common_sources']:,} inferred common sources; "
            f"{counts.get('via_dropped', 0):,} candidate edges dropped as explained by a "
            f"closer version; {counts['documents_without_edges']:,} documents without edges; "
            f"{seconds:.2f} s"
        )
    ]
    if trees:
        shown = min(top, len(trees))
        lines.append(Text(f"The {shown} largest chains of {len(trees):,}:", style="bold"))

    def draw(branch: Tree, node: TreeNode) -> None:
        for child in node.children:
            draw(branch.add(_label(child, articles)), child)

    for node in trees[:top]:
        tree = Tree(_label(node, articles), guide_style="dim")
        draw(tree, node)
        lines.append(tree)
    return Group(*lines)
