"""`dedup chains` end to end through click's CliRunner."""

from __future__ import annotations

import json

import networkx as nx
import pytest
from click.testing import CliRunner

from dedup.cli import main
from tests.conftest import CORPUS, SEED_IDS

ID = SEED_IDS
FILES = [
    "articles.jsonl",
    "chains.graphml",
    "chains.json",
    "chains.jsonl",
    "outlets.jsonl",
    "passages.jsonl",
    "rejects.jsonl",
    "run.json",
]


def run(*args: str):
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def read_jsonl(path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


@pytest.fixture(scope="module")
def chained(tmp_path_factory):
    out = tmp_path_factory.mktemp("chains") / "out"
    result = run("chains", str(CORPUS), "-o", str(out))
    return out, result


def test_exits_0(chained):
    _, result = chained
    assert result.exit_code == 0, result.output


def test_writes_every_file(chained):
    out, _ = chained
    assert sorted(p.name for p in out.iterdir()) == FILES


def test_run_json_names_the_command_and_outputs(chained):
    out, _ = chained
    run_info = json.loads((out / "run.json").read_text(encoding="utf-8"))
    assert run_info["command"] == "chains"
    assert sorted(run_info["outputs"]) == sorted(set(FILES) - {"run.json"})
    assert "AFP|Agence France-Presse|Agence France Presse" in run_info["config"]["wire_agencies"]


def test_chains_jsonl_joins_000_and_001_through_a_common_source(chained):
    out, _ = chained
    edges = read_jsonl(out / "chains.jsonl")
    to_000 = {e["source"] for e in edges if e["target"] == ID["000"]}
    to_001 = {e["source"] for e in edges if e["target"] == ID["001"]}
    (common,) = to_000 & to_001
    edge = next(e for e in edges if e["source"] == common)
    assert edge["directed"] is False
    assert any("Source: Al Jazeera, News Agencies" in ev["detail"] for ev in edge["evidence"])


def test_no_edge_touches_003_or_004(chained):
    out, _ = chained
    edges = read_jsonl(out / "chains.jsonl")
    touched = {e["source"] for e in edges} | {e["target"] for e in edges}
    assert not touched & {ID["003"], ID["004"]}


def test_articles_file_has_every_document(chained):
    out, _ = chained
    rows = read_jsonl(out / "articles.jsonl")
    assert [r["doc"] for r in rows] == sorted(ID.values())
    assert all(r["original_words"] == r["words"] - r["reused_words"] for r in rows)


def test_graph_files_load_with_networkx(chained):
    out, _ = chained
    edges = len(read_jsonl(out / "chains.jsonl"))
    assert nx.read_graphml(out / "chains.graphml").number_of_edges() == edges
    data = json.loads((out / "chains.json").read_text(encoding="utf-8"))
    assert nx.node_link_graph(data, edges="edges").number_of_edges() == edges


def test_terminal_names_the_files(chained):
    out, result = chained
    shown = " ".join(result.output.split())  # the console wraps long lines
    assert f"written to {out}/: chains.jsonl passages.jsonl articles.jsonl outlets.jsonl" in shown


def test_same_files_twice(chained, tmp_path):
    out, _ = chained
    again = tmp_path / "again"
    assert run("chains", str(CORPUS), "-o", str(again), "-q").exit_code == 0
    for name in FILES:
        if name != "run.json":
            assert (again / name).read_bytes() == (out / name).read_bytes(), name


def test_agency_option_adds_to_the_list(tmp_path):
    feed = tmp_path / "feed.jsonl"
    text = (CORPUS / f"{ID['003']}.txt").read_text(encoding="utf-8").splitlines()[6]
    rows = [
        {"id": "a", "text": text, "outlet": "Wire Co", "date": "2016-12-07"},
        {"id": "b", "text": text + "\nIts own last line here.", "date": "2016-12-07"},
    ]
    feed.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    out = tmp_path / "out"
    result = run("chains", str(feed), "-o", str(out), "--agency", "Wire Co", "-q")
    assert result.exit_code == 0, result.output
    (edge,) = read_jsonl(out / "chains.jsonl")
    assert (edge["source"], edge["target"], edge["directed"]) == ("a", "b", True)
    config = json.loads((out / "run.json").read_text(encoding="utf-8"))["config"]
    assert config["wire_agencies"][-1] == "Wire Co"
    assert "Reuters|Thomson Reuters" in config["wire_agencies"]


def test_agencies_file_replaces_the_list(tmp_path):
    names = tmp_path / "agencies.txt"
    names.write_text("# our wires\nWire Co\n\nOther Wire|OW\n", encoding="utf-8")
    out = tmp_path / "out"
    result = run("chains", str(CORPUS), "-o", str(out), "--agencies", str(names), "-q")
    assert result.exit_code == 0, result.output
    config = json.loads((out / "run.json").read_text(encoding="utf-8"))["config"]
    assert config["wire_agencies"] == ["Wire Co", "Other Wire|OW"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--agency", ""], "Error: --agency: empty or multi-line agency name in ''\n"),
        (["--agency", "AP|"], "Error: --agency: empty or multi-line agency name in 'AP|'\n"),
        (
            ["--chain-contained-fraction", "1.5"],
            "Error: --chain-contained-fraction: must be in (0.0, 1.0], got 1.5\n",
        ),
    ],
)
def test_bad_settings_name_the_option(args, message):
    result = CliRunner().invoke(main, ["chains", str(CORPUS), *args])
    assert result.exit_code == 2
    assert result.output == message


def test_empty_agencies_file_is_refused(tmp_path):
    names = tmp_path / "agencies.txt"
    names.write_text("# nothing yet\n\n", encoding="utf-8")
    result = CliRunner().invoke(main, ["chains", str(CORPUS), "--agencies", str(names)])
    assert result.exit_code == 2
    assert result.output == f"Error: --agencies: {names}: no agency names in the file\n"


def test_chains_gives_the_same_files_with_any_number_of_workers(tmp_path):
    outputs = []
    for workers in ("1", "2"):
        out = tmp_path / f"j{workers}"
        result = CliRunner().invoke(
            main, ["chains", str(CORPUS), "-q", "-j", workers, "-o", str(out)]
        )
        assert result.exit_code == 0, result.output
        outputs.append([(out / name).read_bytes() for name in ("chains.jsonl", "articles.jsonl")])
    assert outputs[0] == outputs[1]
