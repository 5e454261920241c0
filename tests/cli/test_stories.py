"""`dedup stories` end to end through click's CliRunner."""

from __future__ import annotations

import json
import shutil

import pytest
from click.testing import CliRunner

from dedup.cli import main
from tests.conftest import CORPUS, SEED_IDS

ID = SEED_IDS


def run(*args: str):
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def read_jsonl(path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


@pytest.fixture(scope="module")
def grouped(tmp_path_factory):
    out = tmp_path_factory.mktemp("stories") / "out"
    result = run("stories", str(CORPUS), "-o", str(out))
    assert result.exit_code == 0, result.output
    return out, result


def test_writes_every_file(grouped):
    out, _ = grouped
    assert sorted(p.name for p in out.iterdir()) == ["rejects.jsonl", "run.json", "stories.jsonl"]


def test_stories_file_groups_the_seeds(grouped):
    out, _ = grouped
    stories = read_jsonl(out / "stories.jsonl")
    assert [s["members"] for s in stories] == [
        [ID["003"]],
        [ID["000"], ID["001"], ID["002"]],
        [ID["004"]],
    ]
    story = stories[1]
    assert story["id"] == "s2"
    assert story["size"] == 3
    assert (story["first_date"], story["last_date"]) == ("2016-12-10", "2016-12-10")
    assert story["title"] == "Syria and Russia pressed to end Aleppo onslaught"


def test_run_json_holds_the_clusterer_settings(grouped):
    out, _ = grouped
    run_json = json.loads((out / "run.json").read_text())
    assert run_json["command"] == "stories"
    assert run_json["config"]["story_neighbors"] == 10
    assert run_json["clusterer"]["n_neighbors"] == 10
    assert run_json["counts"]["stories"] == 3
    assert run_json["counts"]["passage_links"] == 3


def test_terminal_table_lists_the_stories(grouped):
    _, result = grouped
    assert "dedup stories: 5 documents, 3 stories" in result.output
    assert "written to" in result.output


def test_same_input_in_another_folder_gives_identical_files(grouped, tmp_path):
    out, _ = grouped
    copy = tmp_path / "corpus"
    shutil.copytree(CORPUS, copy)
    again = tmp_path / "again"
    assert run("stories", str(copy), "-o", str(again), "-q").exit_code == 0
    assert (again / "stories.jsonl").read_bytes() == (out / "stories.jsonl").read_bytes()


def test_no_links_leaves_every_seed_alone(tmp_path):
    out = tmp_path / "out"
    assert run("stories", str(CORPUS), "-o", str(out), "--no-links", "-q").exit_code == 0
    assert all(s["size"] == 1 for s in read_jsonl(out / "stories.jsonl"))


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["--story-neighbors", "0"],
            "Error: --story-neighbors: must be between 1 and 1000, got 0\n",
        ),
        (
            ["--story-resolution", "0"],
            "Error: --story-resolution: must be in (0.0, 1000.0], got 0.0\n",
        ),
    ],
)
def test_bad_settings_name_the_option(args, message):
    result = CliRunner().invoke(main, ["stories", str(CORPUS), *args])
    assert result.exit_code == 2
    assert result.output == message


def test_stories_file_nests_each_story_s_events(grouped):
    out, _ = grouped
    for story in read_jsonl(out / "stories.jsonl"):
        assert story["events"], story["id"]
        members = [m for event in story["events"] for m in event["members"]]
        assert sorted(members) == story["members"]
    events = [e["id"] for s in read_jsonl(out / "stories.jsonl") for e in s["events"]]
    assert sorted(events, key=lambda e: int(e[1:])) == [f"e{k}" for k in range(1, 4)]


@pytest.mark.parametrize(("level", "heading"), [("event", "event"), ("story", "story")])
def test_level_chooses_what_the_table_lists(level, heading):
    result = run("stories", str(CORPUS), "--level", level)
    assert result.exit_code == 0, result.output
    header = next(line for line in result.output.splitlines() if "docs" in line)
    assert header.split()[0] == heading
    first_row = [line.split()[0] for line in result.output.splitlines() if line.strip()]
    assert any(cell == ("e2" if level == "event" else "s2") for cell in first_row)


def test_level_rejects_anything_else():
    result = run("stories", str(CORPUS), "--level", "topic")
    assert result.exit_code == 2
    assert "'topic' is not one of 'event', 'story'" in result.output
