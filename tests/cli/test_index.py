"""`dedup index add|query|info|remove` through click's CliRunner, against a real scan."""

from __future__ import annotations

import json
import shutil

import pytest
from click.testing import CliRunner

from dedup.cli import main
from tests.conftest import CORPUS, SEED_IDS

INDEXED = ("000", "003", "004")
QUERIED = ("001", "002")


def run(*args: str):
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def read_jsonl(path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def seed_folder(root, shorts) -> str:
    root.mkdir()
    for short in shorts:
        shutil.copy(CORPUS / f"{SEED_IDS[short]}.txt", root)
    wanted = {SEED_IDS[short] for short in shorts}
    lines = (CORPUS / "metadata.csv").read_text(encoding="utf-8").splitlines(keepends=True)
    kept = [line for line in lines[1:] if line.split(",", 1)[0] in wanted]
    (root / "metadata.csv").write_text(lines[0] + "".join(kept), encoding="utf-8")
    return str(root)


@pytest.fixture()
def built(tmp_path):
    index = str(tmp_path / "news.idx")
    indexed = seed_folder(tmp_path / "indexed", INDEXED)
    queried = seed_folder(tmp_path / "queried", QUERIED)
    result = run("index", "add", index, indexed)
    assert result.exit_code == 0, result.output
    return tmp_path, index, indexed, queried


def without_cluster_names(pairs: list[dict]) -> list[dict]:
    for pair in pairs:
        for passage in pair["passages"]:
            passage.pop("passage")
    return pairs


def test_add_says_what_it_did(built):
    _, index, indexed, _ = built
    again = run("index", "add", index, indexed)
    assert again.exit_code == 0
    assert again.output.startswith("dedup index add: 0 added, 0 replaced, 3 unchanged, 0 skipped, ")
    assert again.output.splitlines()[1] == f"3 documents in {index}"


def test_query_writes_what_scan_writes_for_the_queried_documents(built):
    tmp_path, index, _, queried = built
    scanned, out = tmp_path / "scan", tmp_path / "query"
    assert run("scan", str(CORPUS), "-o", str(scanned), "-q").exit_code == 0
    result = run("index", "query", index, queried, "-o", str(out))
    assert result.exit_code == 0, result.output
    assert "dedup index query" in result.output and "linked pairs" in result.output
    names = {SEED_IDS[s] for s in QUERIED}
    expected = [p for p in read_jsonl(scanned / "pairs.jsonl") if {p["a"], p["b"]} & names]
    assert len(expected) == 3
    assert without_cluster_names(read_jsonl(out / "pairs.jsonl")) == without_cluster_names(expected)

    def witnesses(rows):
        return sorted(
            (p["text"], [tuple(w.values()) for w in p["witnesses"]])
            for p in rows
            if any(w["doc"] in names for w in p["witnesses"])
        )

    assert witnesses(read_jsonl(out / "passages.jsonl")) == witnesses(
        read_jsonl(scanned / "passages.jsonl")
    )
    assert read_jsonl(out / "documents.jsonl") == [
        d for d in read_jsonl(scanned / "documents.jsonl") if d["doc"] in names
    ]
    run_json = json.loads((out / "run.json").read_text(encoding="utf-8"))
    assert run_json["command"] == "index query" and run_json["index"] == index
    assert run_json["config"] == json.loads((scanned / "run.json").read_text())["config"]


def test_query_with_other_settings_is_refused(built):
    _, index, _, queried = built
    result = CliRunner().invoke(main, ["index", "query", index, queried, "--num-perm", "64"])
    assert result.exit_code == 1
    assert result.output == (
        f"Error: {index}: the index was built with num_perm = 128, and this run asks for "
        "num_perm = 64; use the index's settings (leave them out) or build another index\n"
    )


def test_query_of_a_missing_index(tmp_path):
    queried = seed_folder(tmp_path / "queried", QUERIED)
    missing = str(tmp_path / "none.idx")
    result = CliRunner().invoke(main, ["index", "query", missing, queried])
    assert result.exit_code == 1
    assert result.output == (f"Error: {missing}: no index here (create one with dedup index add)\n")


def test_an_index_built_with_other_settings_is_queried_with_them(tmp_path):
    index = str(tmp_path / "four.idx")
    indexed = seed_folder(tmp_path / "indexed", INDEXED)
    queried = seed_folder(tmp_path / "queried", QUERIED)
    assert run("index", "add", index, indexed, "--shingle-size", "4").exit_code == 0
    assert run("index", "add", index, indexed, "-q").exit_code == 0  # no option: the index's
    out = tmp_path / "out"
    assert run("index", "query", index, queried, "-o", str(out), "-q").exit_code == 0
    config = json.loads((out / "run.json").read_text(encoding="utf-8"))["config"]
    assert config["shingle_size"] == 4


def test_info(built):
    _, index, _, _ = built
    result = run("index", "info", index)
    assert result.exit_code == 0
    lines = result.output.splitlines()
    assert lines[0] == f"index {index} (format 4)"
    assert lines[1] == "  documents     3"
    assert lines[3] == "  band keys     75"
    settings = " ".join(line.strip() for line in lines[-3:-1])
    assert "shingle_size 5, num_perm 128, bands 25 x rows 5, seed 1" in settings
    assert lines[-1].startswith("  digest        ")
    facts = json.loads(run("index", "info", index, "--json").output)
    assert facts["counts"]["documents"] == 3


def test_remove_reports_unknown_ids(built):
    _, index, _, _ = built
    result = CliRunner().invoke(main, ["index", "remove", index, SEED_IDS["003"], "nope"])
    assert result.exit_code == 0
    assert "not in the index: nope" in result.output
    assert "dedup index remove: 1 removed, 1 not in the index" in result.output
    facts = json.loads(run("index", "info", index, "--json").output)
    assert facts["counts"]["documents"] == 2
