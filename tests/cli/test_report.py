"""`dedup report` end to end through click's CliRunner."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from dedup.cli import main
from dedup.report_pages import unpack_index
from tests.conftest import CORPUS, SEED_IDS


def run(*args: str):
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


@pytest.fixture(scope="module")
def reported(tmp_path_factory):
    out = tmp_path_factory.mktemp("report") / "out"
    result = run("report", str(CORPUS), "-o", str(out))
    assert result.exit_code == 0, result.output
    return out, result


def test_writes_the_page_rejects_and_run_json(reported):
    out, _ = reported
    assert sorted(p.name for p in out.iterdir()) == ["rejects.jsonl", "report.html", "run.json"]


def test_run_json_holds_settings_counts_and_sizes(reported):
    out, _ = reported
    run_file = json.loads((out / "run.json").read_text(encoding="utf-8"))
    assert run_file["command"] == "report"
    assert run_file["counts"]["scan"]["documents"] == 5
    assert run_file["counts"]["scan"]["pairs"] == 3
    assert run_file["counts"]["stories"]["documents"] == 5
    assert run_file["outputs"]["report.html"] == (out / "report.html").stat().st_size
    assert run_file["outputs"]["rejects.jsonl"] == 0


def test_page_names_every_seed(reported):
    out, _ = reported
    page = (out / "report.html").read_text(encoding="utf-8")
    ids = {doc["id"] for doc in unpack_index(page)["docs"]}
    assert ids == set(SEED_IDS.values())
    assert "Syria and Russia pressed to end Aleppo onslaught" in page


def test_prints_what_it_wrote(reported):
    out, result = reported
    lines = result.output.splitlines()
    assert lines[0].startswith("dedup report: 5 documents, 3 stories, 3 linked pairs, ")
    assert lines[1].startswith(f"written to {out}/: report.html (")
    assert lines[1].endswith(" MB) rejects.jsonl run.json")


def test_same_input_gives_the_same_page(reported, tmp_path):
    out, _ = reported
    again = run("report", str(CORPUS), "-o", str(tmp_path / "again"), "-q")
    assert again.exit_code == 0
    assert again.output == ""
    assert (tmp_path / "again" / "report.html").read_bytes() == (out / "report.html").read_bytes()


def test_title_is_escaped(tmp_path):
    result = run("report", str(CORPUS), "-o", str(tmp_path), "-q", "--title", "<b>Aleppo</b>")
    assert result.exit_code == 0
    page = (tmp_path / "report.html").read_text(encoding="utf-8")
    assert "<title>&lt;b&gt;Aleppo&lt;/b&gt;</title>" in page
    assert "<b>Aleppo</b>" not in page


def test_needs_an_output_folder():
    result = CliRunner().invoke(main, ["report", str(CORPUS)])
    assert result.exit_code == 2
    assert "Missing option '-o' / '--out'" in result.output


def test_refuses_an_output_folder_inside_the_input(tmp_path):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "a.txt").write_text("Some words here.", encoding="utf-8")
    result = CliRunner().invoke(main, ["report", str(corpus), "-o", str(corpus / "out")])
    assert result.exit_code == 1
    assert result.output == (
        f"Error: {corpus / 'out'}: output folder is inside the input folder {corpus}; "
        "choose another\n"
    )
    assert not (corpus / "out").exists()


def test_bad_setting_names_the_option(tmp_path):
    result = CliRunner().invoke(
        main, ["report", str(CORPUS), "-o", str(tmp_path), "--threshold", "1.5"]
    )
    assert result.exit_code == 2
    assert result.output == "Error: --threshold: must be in (0.0, 1.0], got 1.5\n"
