"""Start-up loads only what a command needs: ``import dedup`` and ``dedup --help`` load no
numerical or graph library, and a scan loads none of those the later stages use."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
HEAVY = ("numpy", "numba", "scipy", "sklearn", "networkx", "jinja2", "rich", "pandas", "pyarrow")
LATER_STAGES = ("sklearn", "networkx", "jinja2", "graspologic_native")

# Runs the code given, then prints the top-level modules loaded, as JSON, on the last line.
PROBE = """
import json, sys
{code}
print(json.dumps(sorted({{name.split(".")[0] for name in sys.modules}})))
"""

RUN_CLI = """
from dedup.cli import main
try:
    main({args!r})
except SystemExit as done:
    assert not done.code, done.code
"""


def run_python(code: str) -> str:
    """What ``code`` prints, run by a fresh interpreter in the repository."""
    done = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        cwd=ROOT,
        check=True,
    )
    return done.stdout


def loaded_after(code: str, probe: str = PROBE) -> set[str]:
    return set(json.loads(run_python(probe.format(code=code)).strip().splitlines()[-1]))


def test_the_probe_sees_an_eager_import() -> None:
    assert "numpy" in loaded_after("import dedup.types")


@pytest.mark.parametrize(
    "code",
    [
        "import dedup",
        "import dedup.cli",
        RUN_CLI.format(args=["--help"]),
        RUN_CLI.format(args=["--version"]),
        RUN_CLI.format(args=["scan", "--help"]),
        RUN_CLI.format(args=["stories", "--help"]),
        RUN_CLI.format(args=["index", "--help"]),
    ],
    ids=["import", "import-cli", "help", "version", "scan-help", "stories-help", "index-help"],
)
def test_start_up_loads_no_heavy_library(code: str) -> None:
    assert not loaded_after(code) & set(HEAVY)


def test_importing_the_api_runs_no_kernel() -> None:
    # numba readies its compiler (half a second, scipy.linalg included) when a kernel first
    # runs, whether compiled or loaded from the cache: importing must not run one
    probe = "import sys, dedup.api; print('numba.np.arraymath' in sys.modules)"
    ran = "from dedup.shingle import mix64; import numpy as np; mix64(np.zeros(1, np.uint64))"
    for code, readied in ((probe, "False"), (f"{ran}; {probe}", "True")):
        assert run_python(code).split() == [readied]


def test_a_scan_loads_no_library_of_the_later_stages(tmp_path: Path) -> None:
    out = tmp_path / "out"
    loaded = loaded_after(RUN_CLI.format(args=["scan", "corpus", "-o", str(out), "-q"]))
    assert (out / "pairs.jsonl").is_file()
    assert "numpy" in loaded  # the scan did run
    assert not loaded & set(LATER_STAGES)


@pytest.mark.parametrize("command", ["scan", "clean", "stories", "index add", "index query"])
def test_the_commands_use_every_core_unless_told(command: str) -> None:
    from dedup.cli import main

    group = main
    *parents, name = command.split()
    for parent in parents:
        group = group.commands[parent]
    options = {p.name: p for p in group.commands[name].params}
    assert options["workers"].default == 0  # 0: every available core


# Runs the code given, then prints every module loaded, as JSON, on the last line.
PROBE_MODULES = """
import json, sys
{code}
print(json.dumps(sorted(sys.modules)))
"""


def test_a_quiet_scan_loads_neither_the_tables_nor_the_other_jobs(tmp_path: Path) -> None:
    out = tmp_path / "out"
    args = ["scan", "corpus", "-o", str(out), "-q"]
    loaded = loaded_after(RUN_CLI.format(args=args), PROBE_MODULES)
    assert (out / "pairs.jsonl").is_file()
    assert "dedup.spilled" in loaded  # the probe sees the scan's own modules
    # nothing printed: no rich; chains, stories and clean are other commands' modules
    others = {"rich", "dedup.syndication", "dedup.chains_spilled", "dedup.jobs"}
    others |= {"dedup.stories_spilled", "dedup.clean_spilled"}
    assert not loaded & others


def test_a_scan_of_a_few_articles_loads_neither_numba_nor_scipy(tmp_path: Path) -> None:
    # corpus/ is below dedup.plain_kernels.SMALL_INPUT_CHARS: its kernels run as numpy
    out = tmp_path / "out"
    loaded = loaded_after(RUN_CLI.format(args=["scan", "corpus", "-o", str(out), "-q"]))
    assert (out / "passages.jsonl").stat().st_size > 0  # passages were found and aligned
    assert "numpy" in loaded
    assert not loaded & {"numba", "scipy"}
