"""The README stays true: set-up commands, every command documented, CI runs its tests."""

from __future__ import annotations

import re
import subprocess
import sys

import click
import pytest

from dedup.cli import main
from tests.conftest import ROOT

README = (ROOT / "README.md").read_text(encoding="utf-8")
INSTALL_AND_RUN = (
    "python3 -m venv .venv && .venv/bin/pip install . && .venv/bin/dedup scan corpus/ -o out/"
)
INSTALL_AND_TEST = (
    'python3 -m venv .venv && .venv/bin/pip install ".[test,ray]" && .venv/bin/python -m pytest'
)


def test_readme_has_the_two_set_up_commands():
    assert INSTALL_AND_RUN in README
    assert INSTALL_AND_TEST in README


def test_ci_installs_what_the_readme_installs_and_runs_pytest():
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    extras = re.search(r'pip install (".\[[a-z,]+\]")', INSTALL_AND_TEST).group(1)
    assert f"pip install --quiet {extras}" in ci
    assert "python -m pytest" in ci
    assert '"$status" -eq 5' in ci  # no tests collected is a failure


@pytest.mark.parametrize("name", sorted(main.commands))
def test_every_command_is_documented_and_has_help(name):
    command = main.commands[name]
    assert command.help, f"dedup {name} has no help text"
    assert f"dedup {name}" in README


@pytest.mark.parametrize(
    "option",
    sorted(
        {
            opt
            for command in main.commands.values()
            for param in command.params
            if isinstance(param, click.Option)
            for opt in param.opts
            if opt.startswith("--")
            and opt not in {"--help", "--debug", "--quiet", "--top"}
            and not opt.endswith("-field")
        }
    ),
)
def test_every_option_is_in_the_readme(option):
    assert option in README


def test_readme_exit_codes_match_the_cli():
    from dedup import cli

    codes = {int(code) for code in re.findall(r"^\| (\d+) \|", README, flags=re.MULTILINE)}
    assert codes == {0, cli.EXIT_INPUT, cli.EXIT_USAGE, cli.EXIT_INTERNAL, cli.EXIT_INTERRUPTED}


def test_code_is_lint_clean():
    folders = [name for name in ("dedup", "tests", "benchmarks") if (ROOT / name).is_dir()]
    ruff = subprocess.run(
        [sys.executable, "-m", "ruff", "check", *folders],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert ruff.returncode == 0, ruff.stdout + ruff.stderr
