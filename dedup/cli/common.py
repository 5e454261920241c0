"""What every command shares: the group, progress bars, and the ritual around a job
(:class:`Run`): read the inputs, run, report what was skipped, write, show, and exit with the
right code. The shared options and settings are in :mod:`dedup.cli.options`, the errors and
exit codes in :mod:`dedup.cli.errors`; both are importable from here too.

Exit codes: 0 success; 1 bad input or state (one line naming the file and line); 2 bad
usage or settings (one line naming the option); 3 internal error (a bug: rerun with --debug
for the traceback); 130 interrupted.
"""

from __future__ import annotations

import dataclasses
import functools
import io
import json
import os
import shutil
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

import click

from dedup import __version__
from dedup.cli.errors import (
    EXIT_INPUT,
    EXIT_INTERNAL,
    EXIT_INTERRUPTED,
    EXIT_USAGE,
    CliError,
    handle_errors,
    option_name,
    quiet_stdout,
    system_error_message,
)
from dedup.cli.options import (
    CHAIN_SETTINGS,
    CLEAN_SETTINGS,
    MAX_WORKERS,
    REPORT_SETTINGS,
    SCAN_SETTINGS,
    STORY_SETTINGS,
    agency_options,
    build_config,
    config_options,
    debug_option,
    fail_on_rejects_option,
    input_options,
    json_option,
    load_config_file,
    out_option,
    pop_read_options,
    quiet_option,
    read_agency_file,
    run_options,
    stack,
    top_option,
    with_agencies,
    workers_option,
)
from dedup.config import Config
from dedup.errors import InputError
from dedup.formats import formatted_name
from dedup.kernels import before_first_compile
from dedup.outputs import RUN, WORK_DIR, check_output

if TYPE_CHECKING:  # reading inputs (numpy) and rich load when a command runs, not for --help
    from dedup.ingest import Corpus, CorpusReader, ReadOptions
    from dedup.types import ProgressFn, Reject

# what the command modules take from here: the shared pieces of errors and options too
__all__ = [
    "CHAIN_SETTINGS",
    "CLEAN_SETTINGS",
    "EXIT_INPUT",
    "EXIT_INTERNAL",
    "EXIT_INTERRUPTED",
    "EXIT_USAGE",
    "MAX_REJECT_LINES",
    "MAX_WORKERS",
    "REPORT_SETTINGS",
    "SCAN_SETTINGS",
    "STORY_SETTINGS",
    "CliError",
    "Run",
    "TerminalProgress",
    "agency_options",
    "build_config",
    "config_options",
    "debug_option",
    "fail_on_rejects_option",
    "files_written",
    "handle_errors",
    "input_options",
    "json_option",
    "kernels_cached",
    "load_config_file",
    "main",
    "option_name",
    "out_option",
    "pop_read_options",
    "quiet_option",
    "quiet_stdout",
    "read_agency_file",
    "run_options",
    "say_compiling",
    "say_resumed",
    "show",
    "show_rejects",
    "stack",
    "system_error_message",
    "terminal_width",
    "top_option",
    "with_agencies",
    "workers_option",
]

MAX_REJECT_LINES = 10


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="dedup")
def main() -> None:
    """Find reused passages and syndicated copy across news articles."""


class TerminalProgress:
    """Progress bars on stderr, only when it is a terminal and not --quiet."""

    LABELS: ClassVar[dict[str, str]] = {
        "read": "reading",
        "words": "words",
        "align": "verifying pairs",
        "clean": "cleaning",
    }

    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled
        self._progress: Any = None
        self._tasks: dict[str, Any] = {}

    @contextmanager
    def running(self) -> Iterator[ProgressFn | None]:
        if not self.enabled:
            yield None
            return
        from rich.console import Console
        from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn

        with Progress(
            TextColumn("{task.description:>16}"),
            BarColumn(),
            TextColumn("{task.completed:,}/{task.total:,}"),
            TimeRemainingColumn(),
            console=Console(stderr=True),
            transient=True,
        ) as progress:
            self._progress = progress
            yield self.update
        self._progress = None

    def update(self, stage: str, done: int, total: int) -> None:
        if self._progress is None:
            return
        if stage not in self._tasks:
            label = self.LABELS.get(stage, stage)
            self._tasks[stage] = self._progress.add_task(label, total=total)
        self._progress.update(self._tasks[stage], completed=done, total=total)


@dataclass
class Run:
    """One command as the user typed it, and the ritual around its job.

    ``start`` takes the input options and settings out of the command's arguments;
    :meth:`progress` shows bars while the job runs; :meth:`open` / :meth:`read` check the
    output folder and read the inputs; :meth:`collect` puts the records skipped while
    reading with those the job skipped, and shows them; :meth:`finish` exits with 1 under
    ``--fail-on-rejects`` when any was skipped.
    """

    inputs: tuple[str, ...]
    out: str | None
    options: ReadOptions
    config: Config
    quiet: bool = False
    fail_on_rejects: bool = False
    names: tuple[str, ...] = ()
    output_format: str = "jsonl"
    started: float = field(default_factory=time.perf_counter)
    reader: CorpusReader | None = None

    @classmethod
    def start(
        cls,
        inputs: tuple[str, ...],
        out: str | None,
        kwargs: dict[str, Any],
        *,
        config_file: str | None = None,
        make_config: Callable[[dict[str, Any]], Config] | None = None,
        quiet: bool = False,
        fail_on_rejects: bool = False,
        names: Sequence[str] = (),
    ) -> Run:
        """The run of a command called with ``kwargs``: its input options are taken out,
        and the settings left make its Config (``--config`` under the options given), or
        ``make_config(settings)`` does. ``names`` are the files written, named as in the
        default format (``pairs.jsonl``): the run names them in its ``--output-format``."""
        options = pop_read_options(kwargs)
        output_format = kwargs.pop("output_format", "jsonl")
        before_first_compile(functools.partial(say_compiling, quiet))
        if make_config is not None:
            config = make_config(kwargs)
        else:
            config = build_config(config_file, kwargs)
        names = tuple(formatted_name(name, output_format) for name in names)
        return cls(inputs, out, options, config, quiet, fail_on_rejects, names, output_format)

    @contextmanager
    def progress(self) -> Iterator[ProgressFn | None]:
        bars = TerminalProgress(enabled=sys.stderr.isatty() and not self.quiet)
        with bars.running() as report:
            yield report

    def open(self, report: ProgressFn | None) -> CorpusReader:
        """Check the output folder, then open every input to be read lazily (with a
        progress bar that is full once the reader is exhausted)."""
        from dedup.ingest import CorpusReader, input_size

        if self.out:
            check_output(self.out, self.inputs, self.names)
        if not report:
            self.reader = CorpusReader(self.inputs, self.options)
            return self.reader
        total = input_size(self.inputs)
        self.reader = CorpusReader(
            self.inputs,
            self.options,
            lambda done: report("read", min(done, total), total),
            # characters read fall short of bytes: the bar is full once the last input is read
            lambda: report("read", total, total),
        )
        return self.reader

    def read(self, report: ProgressFn | None) -> Corpus:
        """Every record of the inputs (after :meth:`open`'s checks)."""
        corpus = self.open(report).read_all()
        self.check_read()
        return corpus

    def check_read(self) -> None:
        """Refuse an input in which no document could be read."""
        reader = self.reader
        assert reader is not None
        if not reader.records:
            show_rejects(list(reader.rejects), list(reader.warnings), None)
            where = ", ".join(self.inputs)
            skipped = len(reader.rejects)
            found = f"{skipped} record(s) skipped" if skipped else "nothing found"
            raise InputError(where, None, f"no documents with text to read ({found})")

    @property
    def warnings(self) -> list[Reject]:
        return list(self.reader.warnings) if self.reader else []

    def collect(self, result: Any) -> tuple[list[Reject], Any]:
        """Every record skipped (while reading, then by the job), shown on stderr, and
        ``result`` holding them all, with its ``rejected`` count to match."""
        read_rejects = list(self.reader.rejects) if self.reader else []
        rejects = read_rejects + list(result.rejects)
        changes: dict[str, Any] = {"rejects": tuple(rejects)}
        if "rejected" in result.counts:
            changes["counts"] = {**result.counts, "rejected": len(rejects)}
        rejects_file = formatted_name("rejects.jsonl", self.output_format)
        show_rejects(rejects, self.warnings, self.out, rejects_file)
        return rejects, dataclasses.replace(result, **changes)

    def provenance(self) -> dict[str, Any]:
        """What the writer is given: the command's inputs and how they were read (for
        run.json), the warnings about them, and the format of the row files."""
        return {
            "inputs": list(self.inputs),
            "read_options": dataclasses.asdict(self.options),
            "warnings": self.warnings,
            "output_format": self.output_format,
        }

    @property
    def workdir(self) -> Path | None:
        """Where the job keeps its finished stages: OUT/.work, or nowhere without -o."""
        return Path(self.out) / WORK_DIR if self.out else None

    def seconds(self) -> float:
        return time.perf_counter() - self.started

    def written(self, files: Sequence[str], without: str) -> None:
        """Say where the files went, or that none were written and why."""
        if self.quiet:
            return
        if self.out:
            click.echo(f"written to {Path(self.out)}/: {' '.join(files)}")
        else:
            click.echo(f"no files written (give -o DIR to keep {without})")

    def warn_if_silent(self, as_json: bool = False) -> None:
        """Say so when the command will neither show nor write anything."""
        if self.quiet and not self.out and not as_json:
            click.echo("warning: -q without -o: nothing will be shown or written", err=True)

    def print_json(self, command: str, counts: dict[str, Any], files: Sequence[str]) -> None:
        """The summary as one JSON object: the command, its counts, and the files written."""
        summary = {
            "command": command,
            "counts": counts,
            "seconds": round(self.seconds(), 3),
            "out": str(self.out) if self.out else None,
            "files": list(files),
        }
        click.echo(json.dumps(summary, ensure_ascii=False, sort_keys=False))

    def finish(self, rejects: Sequence[Reject]) -> None:
        if self.fail_on_rejects and rejects:
            rejects_file = formatted_name("rejects.jsonl", self.output_format)
            where = f" (see {Path(self.out) / rejects_file})" if self.out else ""
            raise CliError(f"{len(rejects)} record(s) skipped{where}", EXIT_INPUT)


def show(*renderables: Any) -> None:
    """Print tables and text on standard output as wide as the terminal (80 columns in a
    pipe), without the spaces rich pads each line with."""
    from rich.console import Console

    console = Console(width=terminal_width(), file=io.StringIO(), soft_wrap=False, record=True)
    for renderable in renderables:
        console.print(renderable)
    text = console.export_text(styles=False)
    click.echo("\n".join(line.rstrip() for line in text.splitlines()))


def terminal_width() -> int:
    """The width tables are laid out for: the terminal's, or 80 in a pipe."""
    return shutil.get_terminal_size((80, 24)).columns if sys.stdout.isatty() else 80


def files_written(rows: dict[str, int] | None) -> list[str]:
    """The files a writer wrote (it returns rows per file; run.json comes last), or none."""
    return [*rows, RUN] if rows is not None else []


def show_rejects(
    rejects: Sequence[Reject],
    warnings: Sequence[Reject],
    out: str | None,
    rejects_file: str = "rejects.jsonl",
) -> None:
    """The first skipped records and warnings, one line each, on stderr (all of them are in
    ``rejects_file`` in ``out``)."""
    items = [("skipped", r) for r in rejects] + [("warning", w) for w in warnings]
    for kind, item in items[:MAX_REJECT_LINES]:
        click.echo(f"{kind}: {item}", err=True)
    hidden = len(items) - MAX_REJECT_LINES
    if hidden > 0:
        where = f" (all in {Path(out) / rejects_file})" if out else ""
        click.echo(f"… and {hidden} more{where}", err=True)


def kernels_cached(package: Path | None = None) -> bool:
    """Whether numba has compiled dedup's kernels here before: their cache sits beside the
    package (or under ``NUMBA_CACHE_DIR``). True when that cannot be told (a package folder
    that cannot be written keeps its cache elsewhere)."""
    folder = package or Path(__file__).resolve().parent.parent
    places = [folder / "__pycache__"]
    if os.environ.get("NUMBA_CACHE_DIR"):
        places.append(Path(os.environ["NUMBA_CACHE_DIR"]))
    elif not os.access(folder, os.W_OK):
        return True
    return any(next(place.rglob("align._align_kernel-*.nbi"), None) for place in places)


def say_compiling(quiet: bool) -> None:
    """A line on stderr before the first run on this machine compiles the kernels, which
    takes a while and shows nothing else in a pipe (called when the first kernel is about to
    be compiled: :func:`dedup.kernels.before_first_compile`)."""
    if not quiet and not kernels_cached():
        click.echo(
            "note: compiling dedup's kernels for this machine (once; about half a minute)",
            err=True,
        )


def say_resumed(stages: Sequence[str], workdir: Path | None) -> None:
    if stages:
        click.echo(
            f"resumed: {len(stages)} finished stage(s) reused from {workdir} (--force starts over)",
            err=True,
        )
