"""`dedup index add --stories` and `dedup index stories` through click's CliRunner: the
stories written from the index are the ones `dedup stories` finds on the same seeds."""

from __future__ import annotations

import json

from click.testing import CliRunner

from dedup.cli import main
from tests.cli.test_index import seed_folder


def run(*args: str):
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def groups(path) -> list[tuple]:
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    return [(r["id"], tuple(r["members"]), tuple(tuple(e["members"]) for e in r["events"]))
            for r in rows]  # fmt: skip


def test_index_stories_writes_what_stories_writes(tmp_path):
    index = str(tmp_path / "news.idx")
    first = seed_folder(tmp_path / "first", ("000", "001", "003", "004"))
    second = seed_folder(tmp_path / "second", ("002",))
    added = run("index", "add", index, first, "--stories", "--json")
    assert added.exit_code == 0, added.output
    assert json.loads(added.output)["counts"]["stories_fitted"] == 4
    placed = run("index", "add", index, second)
    assert placed.exit_code == 0 and "1 new documents placed" in placed.output
    shown = run("index", "stories", index, "-o", str(tmp_path / "out"), "--level", "event")
    assert shown.exit_code == 0, shown.output
    assert "e1" in shown.output and "written to" in shown.output
    batch = run("stories", first, second, "-o", str(tmp_path / "batch"), "-q")
    assert batch.exit_code == 0, batch.output
    assert groups(tmp_path / "out" / "stories.jsonl") == groups(
        tmp_path / "batch" / "stories.jsonl"
    )
    run_json = json.loads((tmp_path / "out" / "run.json").read_text(encoding="utf-8"))
    assert run_json["command"] == "index stories" and run_json["index"] == index


def test_index_stories_without_stories_is_a_one_line_error(tmp_path):
    index = str(tmp_path / "news.idx")
    assert run("index", "add", index, seed_folder(tmp_path / "in", ("000",))).exit_code == 0
    result = CliRunner().invoke(main, ["index", "stories", index])
    assert result.exit_code != 0
    assert result.output.strip().splitlines() == [
        f"Error: {index}: this index keeps no stories (add documents with --stories once)"
    ]
