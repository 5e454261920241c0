"""Same input and settings, same bytes: whatever the input order or the batch sizes."""

from __future__ import annotations

import json
import random

from click.testing import CliRunner

from dedup import pipeline
from dedup.cli import main
from tests.conftest import CORPUS, SEED_IDS

OUTPUTS = ("pairs.jsonl", "passages.jsonl", "documents.jsonl", "run.json")


def seed_lines() -> list[str]:
    return [
        json.dumps({"id": full, "text": (CORPUS / f"{full}.txt").read_text(encoding="utf-8")})
        for full in SEED_IDS.values()
    ]


def scan_lines(tmp_path, name: str, lines: list[str]):
    feed = tmp_path / f"{name}.jsonl"
    feed.write_text("\n".join(lines) + "\n", encoding="utf-8")
    out = tmp_path / name
    result = CliRunner().invoke(main, ["scan", str(feed), "-o", str(out), "-q"])
    assert result.exit_code == 0, result.output
    return {n: (out / n).read_bytes() for n in OUTPUTS if n != "run.json"}


def test_input_order_does_not_change_a_byte(tmp_path):
    lines = seed_lines()
    first = scan_lines(tmp_path, "ordered", lines)
    random.Random(3).shuffle(lines)
    assert scan_lines(tmp_path, "shuffled", lines) == first


def test_batch_sizes_do_not_change_a_byte(tmp_path, monkeypatch):
    lines = seed_lines()
    first = scan_lines(tmp_path, "default", lines)
    monkeypatch.setattr(pipeline, "BATCH_CHARS", 1000)
    monkeypatch.setattr(pipeline, "ALIGN_CHUNK", 1)
    assert scan_lines(tmp_path, "small", lines) == first


def test_two_runs_write_identical_run_json(tmp_path):
    outs = []
    for name in ("one", "two"):
        out = tmp_path / name
        assert CliRunner().invoke(main, ["scan", str(CORPUS), "-o", str(out), "-q"]).exit_code == 0
        outs.append({n: (out / n).read_bytes() for n in OUTPUTS})
    assert outs[0] == outs[1]
