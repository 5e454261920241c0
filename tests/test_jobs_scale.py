"""benchmarks/jobs_scale.py's runner: a job is stopped when it runs too long or its peak
memory passes the limit, and its status says which."""

from __future__ import annotations

import sys

from tests.conftest import ROOT

sys.path.insert(0, str(ROOT / "benchmarks"))
import jobs_scale

sys.path.remove(str(ROOT / "benchmarks"))

# a stand-in for ``python -m dedup``: takes about 300 MB, then waits
GREEDY = "import time\nheld = bytearray(300 << 20)\ntime.sleep(60)\n"


def _fake_tree(tmp_path, main: str):
    (tmp_path / "dedup").mkdir()
    (tmp_path / "dedup" / "__init__.py").write_text("")
    (tmp_path / "dedup" / "__main__.py").write_text(main)
    return tmp_path


def test_a_job_past_the_memory_limit_is_stopped(tmp_path) -> None:
    run = jobs_scale.run_job(sys.executable, _fake_tree(tmp_path, GREEDY), [], 50, max_mb=100)
    assert run.status == "stopped over 100 MB"
    assert run.peak_kb > 100 * 1024 and run.seconds < 50


def test_a_job_under_the_limit_runs_to_its_end(tmp_path) -> None:
    tree = _fake_tree(tmp_path, "held = bytearray(20 << 20)\n")
    run = jobs_scale.run_job(sys.executable, tree, [], 50, max_mb=1000)
    assert run.status == "ok" and run.peak_kb > 20 * 1024


def test_a_job_past_the_timeout_is_stopped(tmp_path) -> None:
    tree = _fake_tree(tmp_path, "import time\ntime.sleep(60)\n")
    run = jobs_scale.run_job(sys.executable, tree, [], 1.0)
    assert run.status == "stopped" and run.seconds < 30
