"""What a person sees in a terminal or a pipe: no trailing spaces, a quiet end when the reader
goes away, a warning when nothing will be shown or written, and --json for scripts."""

from __future__ import annotations

import contextlib
import functools
import io
import json
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from dedup.cli import main

CORPUS = Path(__file__).resolve().parents[2] / "corpus"


@pytest.mark.parametrize("command", ["scan", "stories", "chains"])
def test_tables_in_a_pipe_have_no_trailing_spaces(command):
    result = CliRunner().invoke(main, [command, str(CORPUS)])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert len(lines) > 5
    assert [line for line in lines if line != line.rstrip()] == []
    assert max(len(line) for line in lines) <= 80  # a pipe gets 80 columns


def test_a_closed_pipe_ends_quietly_with_status_zero():
    shell = f'"{sys.executable}" -m dedup scan "{CORPUS}" | head -1; exit ${{PIPESTATUS[0]}}'
    done = subprocess.run(["bash", "-c", shell], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""
    assert done.stdout.startswith("dedup scan")


def test_quiet_without_out_says_nothing_will_be_written():
    result = CliRunner().invoke(main, ["scan", str(CORPUS), "-q"])
    assert result.exit_code == 0
    assert result.output == "warning: -q without -o: nothing will be shown or written\n"


@pytest.mark.parametrize(
    ("command", "key"),
    [("scan", "pairs"), ("clean", "documents"), ("stories", "stories"), ("chains", "edges")],
)
def test_json_prints_one_object_with_the_counts(tmp_path, command, key):
    out = tmp_path / "out"
    result = CliRunner().invoke(main, [command, str(CORPUS), "-o", str(out), "--json"])
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert summary["command"] == command
    assert summary["counts"][key] >= 1
    assert summary["out"] == str(out)
    assert "run.json" in summary["files"]
    assert all((out / name).exists() for name in summary["files"])


def test_the_first_compile_is_announced(tmp_path, monkeypatch):
    from dedup.cli import common

    package = tmp_path / "dedup"
    (package / "__pycache__").mkdir(parents=True)
    monkeypatch.delenv("NUMBA_CACHE_DIR", raising=False)
    assert not common.kernels_cached(package)
    (package / "__pycache__" / "align._align_kernel-231.py311.nbi").write_bytes(b"")
    assert common.kernels_cached(package)
    monkeypatch.setattr(common, "kernels_cached", lambda: False)
    # a scan of corpus/ compiles nothing (its kernels run as numpy): no note
    small = CliRunner().invoke(main, ["scan", str(CORPUS)])
    assert small.exit_code == 0 and "compiling" not in small.output
    # the note comes when the first kernel is about to be compiled, once
    from dedup import kernels

    square = kernels.njit(lambda x: x * x)
    noisy = CliRunner().invoke(main, ["scan", str(CORPUS), "-q", "--json"])
    kernels.before_first_compile(functools.partial(common.say_compiling, False))
    with contextlib.redirect_stderr(io.StringIO()) as said:
        assert square(3) == 9 and square(4) == 16
    assert said.getvalue().startswith("note: compiling dedup's kernels for this machine")
    assert said.getvalue().count("note:") == 1
    assert "compiling" not in noisy.output
    kernels.before_first_compile(functools.partial(common.say_compiling, True))  # -q
    with contextlib.redirect_stderr(io.StringIO()) as said:
        assert kernels.njit(lambda x: x + 1)(1) == 2
    assert said.getvalue() == ""
    kernels.before_first_compile(None)


def test_chains_draws_the_top_chains_as_trees_with_whole_ids():
    result = CliRunner().invoke(main, ["chains", str(CORPUS), "--top", "1"])
    assert result.exit_code == 0, result.output
    assert "The 1 largest chains of 1:" in result.output
    lines = result.output.splitlines()
    root = next(i for i, line in enumerate(lines) if line.startswith("inferred:p1"))
    assert lines[root + 1].startswith("├── ")  # the members hang below it, drawn as a tree
    assert any(line.startswith("└── ") for line in lines[root + 1 :])
    ids = [f"{k:03d}_" for k in range(5)]
    for line in lines:  # every id on a line is whole
        for start in (line.find(i) for i in ids):
            assert start < 0 or len(line) >= start + len("000_5d2d231cf070430d")
    none = CliRunner().invoke(main, ["chains", str(CORPUS), "--top", "0"])
    assert "inferred:p1" not in none.output and "1 chains" in none.output


def every_command(tmp_path: Path) -> list[list[str]]:
    """Each command of the CLI with the arguments it needs, on the seeds."""
    index = str(tmp_path / "seeds.db")
    return [
        ["scan", str(CORPUS)],
        ["clean", str(CORPUS), "-o", str(tmp_path / "clean")],
        ["stories", str(CORPUS)],
        ["chains", str(CORPUS)],
        ["report", str(CORPUS), "-o", str(tmp_path / "report")],
        ["index", "add", index, str(CORPUS)],
        ["index", "query", index, str(CORPUS)],
        ["index", "info", index],
        ["index", "remove", index, "000_5d2d231cf070430d", "not-there"],
    ]


def test_every_command_fits_80_columns_in_a_pipe_and_prints_json(tmp_path):
    """In a pipe (as CliRunner's output is) every line of every command fits 80 columns with
    no trailing space, but for lines naming a file, which are not broken; and with --json
    each prints one JSON object naming the command."""
    short = tmp_path / "t"  # paths as short as a person's, so that the lines are the tool's
    short.mkdir()
    for args in every_command(short):
        result = CliRunner().invoke(main, args)
        assert result.exit_code == 0, (args, result.output)
        lines = [line for line in result.stdout.splitlines() if str(short) not in line]
        assert lines, args
        assert [line for line in lines if line != line.rstrip() or len(line) > 80] == [], args
    for args in every_command(tmp_path / "json"):
        (tmp_path / "json").mkdir(exist_ok=True)
        result = CliRunner().invoke(main, [*args, "--json"])
        assert result.exit_code == 0, (args, result.output)
        summary = json.loads(result.stdout)
        assert isinstance(summary["counts"], dict), args
        if args[:2] != ["index", "info"]:  # info prints the index's facts, not a run's
            assert summary["command"] == " ".join(args[: 2 if args[0] == "index" else 1])
