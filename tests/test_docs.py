"""The docs stay true: set-up commands, every command and option documented, CI runs the
tests, and every Python block of README.md and docs/*.md runs as written."""

from __future__ import annotations

import importlib.util
import json
import os
import re
import subprocess
import sys

import click
import pytest

from dedup.cli import main
from tests.conftest import ROOT

README = (ROOT / "README.md").read_text(encoding="utf-8")
CLI_DOC = (ROOT / "docs" / "cli.md").read_text(encoding="utf-8")
DOC_FILES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
INSTALL_AND_RUN = (
    "python3 -m venv .venv && .venv/bin/pip install . && .venv/bin/dedup scan corpus/ -o out/"
)
INSTALL_AND_TEST = (
    'python3 -m venv .venv && .venv/bin/pip install ".[test,ray]" && .venv/bin/python -m pytest'
)
BLOCK_TIMEOUT_S = 300
# what running a block may leave in the work tree: caches, never a file of its own
IGNORED_DIRS = {".git", "__pycache__", ".pytest_cache", ".ruff_cache", ".hypothesis", ".venv"}


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
def test_every_command_is_in_the_readme_and_has_help(name):
    command = main.commands[name]
    assert command.help, f"dedup {name} has no help text"
    assert f"dedup {name}" in README


def leaf_commands(group: click.Group = main, prefix: str = "dedup") -> dict[str, click.Command]:
    """Every command that runs, by its full name ("dedup index add")."""
    found = {}
    for name, command in group.commands.items():
        if isinstance(command, click.Group):
            assert command.help, f"{prefix} {name} has no help text"
            found.update(leaf_commands(command, f"{prefix} {name}"))
        else:
            found[f"{prefix} {name}"] = command
    return found


COMMANDS = leaf_commands()


def anchor(heading: str) -> str:
    """GitHub's anchor of a heading: lower case, punctuation dropped, spaces to hyphens."""
    return re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")


def sections(text: str) -> dict[str, str]:
    """Anchor → the text under that heading, up to the next heading."""
    parts = re.split(r"^#{1,6} (.+)$", text, flags=re.MULTILINE)
    return {anchor(parts[k]): parts[k + 1] for k in range(1, len(parts), 2)}


def table_options(text: str) -> set[str]:
    """The long options named in the first cell of the table rows of ``text``."""
    cells = re.findall(r"^\|([^|\n]*)\|", text, flags=re.MULTILINE)
    return {option for cell in cells for option in re.findall(r"--[a-z][a-z-]*", cell)}


def long_options(command: click.Command) -> set[str]:
    return {
        opt
        for param in command.params
        if isinstance(param, click.Option)
        for opt in param.opts + param.secondary_opts
        if opt.startswith("--") and opt != "--help"
    }


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_every_command_has_its_options_in_the_cli_reference(name):
    """docs/cli.md has a section per command whose table, with the option groups it links
    to, names exactly the options the command takes: none missing, none it does not take."""
    command = COMMANDS[name]
    assert command.help, f"{name} has no help text"
    found = sections(CLI_DOC)
    assert anchor(name) in found, f"docs/cli.md has no section '{name}'"
    own = found[anchor(name)]
    linked = re.findall(r"\]\(#([\w-]+)\)", own)
    missing_links = [link for link in linked if link not in found]
    assert not missing_links, f"{name} links to sections docs/cli.md lacks: {missing_links}"
    documented = table_options(own).union(*(table_options(found[link]) for link in linked))
    assert documented == long_options(command), (
        f"{name}: undocumented {sorted(long_options(command) - documented)}, "
        f"documented but not taken {sorted(documented - long_options(command))}"
    )


def test_cli_reference_exit_codes_match_the_cli():
    from dedup import cli

    codes = {int(code) for code in re.findall(r"^\| (\d+) \|", CLI_DOC, flags=re.MULTILINE)}
    assert codes == {0, cli.EXIT_INPUT, cli.EXIT_USAGE, cli.EXIT_INTERNAL, cli.EXIT_INTERRUPTED}


def fenced_blocks(language: str) -> list[tuple[str, int, str]]:
    """(file, block number in that file, code) of every ```language block of the docs."""
    blocks = []
    for path in DOC_FILES:
        text = path.read_text(encoding="utf-8")
        pattern = rf"^```{language}\n(.*?)^```$"
        for number, match in enumerate(re.finditer(pattern, text, re.MULTILINE | re.DOTALL), 1):
            blocks.append((str(path.relative_to(ROOT)), number, match.group(1)))
    return blocks


PYTHON_BLOCKS = fenced_blocks("python")


def test_every_python_block_is_found():
    """A Python block indented (in a list) or fenced as ```py would escape the run below."""
    for path in DOC_FILES:
        text = path.read_text(encoding="utf-8")
        fences = re.findall(r"^([ \t]*)```[ \t]*(py\w*)", text, flags=re.MULTILINE)
        hidden = [f"{indent!r}```{info}" for indent, info in fences if indent or info != "python"]
        assert not hidden, f"{path.relative_to(ROOT)}: Python blocks not at column 0: {hidden}"
    assert len(PYTHON_BLOCKS) >= 10


def work_tree_files() -> set[str]:
    files = set()
    for folder, dirs, names in os.walk(ROOT):
        dirs[:] = [d for d in dirs if d not in IGNORED_DIRS and not d.endswith(".egg-info")]
        files.update(os.path.relpath(os.path.join(folder, name), ROOT) for name in names)
    return files


@pytest.mark.parametrize(
    ("path", "number", "code"),
    PYTHON_BLOCKS,
    ids=[f"{path}-block{number}" for path, number, _ in PYTHON_BLOCKS],
)
def test_python_block_runs_as_written(path, number, code):
    """Each block runs in a fresh interpreter from the repository root, and writes nothing
    into the work tree (a block that needs files makes them in a temporary folder)."""
    if "RayEngine" in code and importlib.util.find_spec("ray") is None:
        pytest.skip("ray is not installed (the ray extra)")
    before = work_tree_files()
    try:
        done = subprocess.run(
            [sys.executable, "-c", code],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=BLOCK_TIMEOUT_S,
            check=False,
        )
    except subprocess.TimeoutExpired:
        pytest.fail(f"{path}, Python block {number}: still running after {BLOCK_TIMEOUT_S} s")
    assert done.returncode == 0, (
        f"{path}, Python block {number} failed (exit {done.returncode}):\n{done.stderr[-4000:]}"
    )
    left = sorted(work_tree_files() - before)
    assert not left, f"{path}, Python block {number} left files in the work tree: {left[:10]}"


JSON_BLOCKS = fenced_blocks("json")


@pytest.mark.parametrize(
    ("path", "number", "text"),
    JSON_BLOCKS,
    ids=[f"{path}-block{number}" for path, number, _ in JSON_BLOCKS],
)
def test_json_block_is_json(path, number, text):
    """A ```json block is one JSON value or JSON lines, as the files hold them."""
    try:
        json.loads(text)
    except json.JSONDecodeError:
        for line in text.splitlines():
            try:
                json.loads(line)
            except json.JSONDecodeError as error:
                pytest.fail(f"{path}, JSON block {number}: {error}: {line[:120]}")


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


def test_docs_name_no_machine_paths_or_commits():
    """Docs speak of a user's machine: no /work/... paths, no commit hashes."""
    for path in DOC_FILES:
        text = path.read_text(encoding="utf-8")
        assert "/work/" not in text, f"{path.relative_to(ROOT)} names /work/"
        named = re.findall(r"\b(?:commit|at|dedup) `?([0-9a-f]{7,40})\b", text)
        commits = [h for h in named if re.search(r"[a-f]", h) and re.search(r"[0-9]", h)]
        assert not commits, f"{path.relative_to(ROOT)} names commits {commits}"
