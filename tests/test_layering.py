"""Imports flow one way: cli → pipeline → stages → kernels (see STYLE.md §1)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "dedup"
BASE = [
    "__init__",
    "errors",
    "config",
    "types",
    "faults",
    "atomic",
    "formats",
    "outputs",
    "workspace",
    "spill",
    "parallel",
    "kernels",  # numba's decorator, deferred to a kernel's first call
    "graphs",  # connected components, scipy's only for large graphs
]
STAGES = [
    "ingest",
    "normalize",
    "shingle",
    "sketch",
    "plain_kernels",  # numpy versions of the words and signatures kernels, small inputs
    "lsh",
    "passage_keys",
    "spans",
    "edits",
    "edit_kernels",
    "segments",
    "align",
    "sentences",  # sentence starts from the words' offsets (for bags)
    "bags",  # shuffled words: sentences matched by their bag of words (issue #20)
    "edit_marks",
    "story_store",
    "store",
    "rules",
    "story_kernels",  # kernels on the rows of the stories' vectors (dot products, gathers)
    "story_rows",  # the stories' vectors on disk, read a block of rows at a time
    "story_vectors",  # the stories' TF-IDF vectors a batch at a time, and their dot kernel
    "story_neighbours",  # the neighbour search's candidates with the vectors on disk
    "story_texts",  # the stories' records with their texts on disk
    "story_graph",
    "communities",
    "story_refine",
    "templates",
    "events",
    "story_words",
    "placement",
    "clustering",
    "story_copies",
    "credits",
    "carriers",
    "copy_words",  # what a copy shares with each candidate, word by word
    "parents",
    "furniture",
    "chain_groups",
    "syndication",
    "chaintree",
    "writers",
    "cleaned",
    "report_labels",
    "report_layout",
    "report_pages",
    "prepare",
    "stages",
    "words",
    "candidates",
    "copies",
    "report_groups",  # the report's copy groups, as dedup.copies forms them
    "html",
    "assemble",
    "verify",
    "inmemory",
    "spilled_bags",  # the sentence-bag route a block or a partition at a time (issue #20)
    "spilled_words",
    "spilled",
    "ray_meta",  # the records' metadata of a Ray scan, as columns
    "ray_shards",  # Ray's workers read the input shards
    "ray_result",  # a Ray scan's documents and passages' texts, read when written
    "ray_verify",  # verification on Ray, a task per block of pairs
    "ray_bands",  # the LSH band buckets of a Ray scan, a task per key partition
    "ray_scan",  # a scan on Ray whose driver reads no text
    "duplicates",
    "jobs",
    "clean_spilled",
    "chains_spilled",
    "stories_spilled",
    "index_stories",
    "index_bags",  # the sentence-bag route's rows in the index, and a query's lookups
    "index",
    "pipeline",
    "api",
    "cli",
    "__main__",
]
KERNELS = {
    "normalize", "shingle", "sketch", "lsh", "passage_keys", "align", "sentences", "bags",
    "story_kernels",
}  # fmt: skip
ORDER = {name: rank for rank, name in enumerate(BASE + STAGES)}


def dedup_imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module:
            if node.module == "dedup":
                found.update(alias.name for alias in node.names)
            elif node.module.startswith("dedup."):
                found.add(node.module.split(".")[1])
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.startswith("dedup."):
                    found.add(alias.name.split(".")[1])
    return found


def third_party_imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module.split(".")[0])
        elif isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
    return names


MODULES = sorted(p for p in PACKAGE.glob("*.py"))
CLI_MODULES = sorted((PACKAGE / "cli").glob("*.py"))  # the cli package: one rank, "cli"
INGEST_MODULES = sorted((PACKAGE / "ingest").glob("*.py"))  # the readers: one rank, "ingest"
PACKAGES = {"cli", "ingest"}


def test_every_module_has_a_place_in_the_order():
    assert {p.stem for p in MODULES} <= set(ORDER)


@pytest.mark.parametrize(
    "path", MODULES + CLI_MODULES + INGEST_MODULES, ids=lambda p: f"{p.parent.name}.{p.stem}"
)
def test_imports_only_flow_down(path):
    name_of = path.parent.name if path.parent.name in PACKAGES else path.stem
    rank = ORDER[name_of]
    imported = dedup_imports(path) - {name_of}  # a package's modules import each other
    upward = sorted(name for name in imported if ORDER.get(name, -1) >= rank)
    upward = [name for name in upward if name != "__version__"]
    assert not upward, f"{path.stem} imports {upward}, which sit above it"


@pytest.mark.parametrize("path", [p for p in MODULES if p.stem in KERNELS], ids=lambda p: p.stem)
def test_kernels_do_no_io_or_display(path):
    assert not third_party_imports(path) & {"click", "rich", "json", "os", "pathlib", "sys"}
