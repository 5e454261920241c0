"""The ``dedup`` command: parse options, build a Config, call the API, show the result.

Exit codes: 0 success; 1 bad input or state (one line naming the file and line); 2 bad
usage or settings (one line naming the option); 3 internal error (a bug: rerun with --debug
for the traceback); 130 interrupted.
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import json
import os
import shutil
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, ClassVar

import click
from rich.console import Console

from dedup import __version__
from dedup.config import CLEAN_RULES, Config
from dedup.errors import ConfigError, DedupError, InputError, StageError, printable
from dedup.html import render_report, write_report
from dedup.ingest import Corpus, CorpusReader, ReadOptions, input_size
from dedup.outputs import WORK_DIR, check_output, is_dedup_work, output_names
from dedup.parallel import RayEngine
from dedup.pipeline import (
    SPILL_ABOVE_CHARS,
    ProgressFn,
    chains,
    clean,
    hold_records,
    index_add,
    index_info,
    index_query,
    index_remove,
    index_settings,
    report,
    scan,
    scan_spilled,
    stories,
    write_index_query,
)
from dedup.types import Record, Reject
from dedup.workspace import Workspace
from dedup.writers import (
    chains_table,
    clean_summary_table,
    corpus_layout,
    stories_table,
    summary_table,
    top_pairs_table,
    write_chains,
    write_clean,
    write_scan,
    write_stories,
)

EXIT_INPUT, EXIT_USAGE, EXIT_INTERNAL, EXIT_INTERRUPTED = 1, 2, 3, 130
MAX_REJECT_LINES = 10
MAX_WORKERS = 4096  # threads or Ray workers; more is a typing slip, not a machine

_CONFIG_OPTIONS = {f.name: f for f in dataclasses.fields(Config) if f.init}
_SPECIAL_OPTIONS = {
    "clean_skip": "--skip",
    "boilerplate_patterns": "--pattern",
    "wire_agencies": "--agency",
}


class CliError(click.ClickException):
    """One line on stderr and an exit code."""

    def __init__(self, message: str, exit_code: int) -> None:
        super().__init__(message)
        self.exit_code = exit_code


def option_name(field: str) -> str:
    """The command-line option that sets a Config field."""
    return _SPECIAL_OPTIONS.get(field) or "--" + field.replace("_", "-")


def handle_errors(command: Callable[..., Any]) -> Callable[..., Any]:
    """Turn our errors into one line and an exit code; keep tracebacks for --debug."""

    @functools.wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        debug = kwargs.get("debug", False)
        try:
            return command(*args, **kwargs)
        except ConfigError as err:
            if debug:
                raise
            raise CliError(f"{option_name(err.field)}: {err.reason}", EXIT_USAGE) from None
        except DedupError as err:
            if debug:
                raise
            raise CliError(str(err), EXIT_INPUT) from None
        except KeyboardInterrupt:
            raise CliError(
                "interrupted; no output was left half-written", EXIT_INTERRUPTED
            ) from None
        except OSError as err:  # the system refused: a path, not a bug
            if debug:
                raise
            raise CliError(system_error_message(err), EXIT_INPUT) from None
        except (click.ClickException, click.exceptions.Exit, click.Abort):
            raise
        except Exception as err:
            if debug:
                raise
            raise CliError(
                f"internal error: {type(err).__name__}: {err} "
                "(a bug: rerun with --debug for the traceback and report it)",
                EXIT_INTERNAL,
            ) from None

    return wrapper


def system_error_message(err: OSError) -> str:
    """One line for an error of the operating system, naming the path it concerns."""
    reason = err.strerror or str(err)
    if err.filename is None:
        return f"{reason} ({type(err).__name__})"
    where = printable(os.fsdecode(err.filename))
    if err.filename2 is not None:
        where += f" -> {printable(os.fsdecode(err.filename2))}"
    return f"{where}: {reason}"


def input_options(command: Callable[..., Any]) -> Callable[..., Any]:
    """Options that say how to read the input."""
    options = [
        click.option(
            "--format",
            "input_format",
            type=click.Choice(["auto", "txt", "jsonl", "csv", "parquet"]),
            default="auto",
            show_default=True,
            help="Input format; auto goes by file extension (a folder is read as .txt files).",
        ),
        click.option(
            "--encoding", default="utf-8", show_default=True, help="Text encoding of the input."
        ),
        click.option("--id-field", default="id", show_default=True, help="Id field/column."),
        click.option("--text-field", default="text", show_default=True, help="Text field."),
        click.option("--title-field", default="title", show_default=True, help="Title field."),
        click.option("--date-field", default="date", show_default=True, help="Date field."),
        click.option("--outlet-field", default="outlet", show_default=True, help="Outlet field."),
        click.option("--url-field", default="url", show_default=True, help="URL field."),
        click.option(
            "--metadata",
            type=click.Path(exists=True, dir_okay=False),
            help="Sidecar CSV/JSONL (id, outlet, date, url, title) for a folder of .txt files "
            "[default: metadata.csv or metadata.jsonl inside the folder].",
        ),
        click.option(
            "--strict", is_flag=True, help="Stop at the first bad record instead of skipping it."
        ),
    ]
    for option in reversed(options):
        command = option(command)
    return command


_OPTION_HELP = {
    "shingle_size": "Words per shingle.",
    "num_perm": "MinHash permutations of the document sketch.",
    "threshold": "Jaccard similarity at which two documents are near-duplicates.",
    "bands": "LSH bands (with --rows; derived from --threshold when omitted).",
    "rows": "LSH rows per band (with --bands).",
    "seed": "Seed of the MinHash permutations.",
    "min_passage_words": "Shortest reported passage, in words copied exactly.",
    "max_gap_words": "Largest edit, in words, bridged inside one passage.",
    "common_fraction": "Passage keys in more than this share of the documents (and in more "
    "than --common-min-docs) are boilerplate and link nothing.",
    "common_min_docs": "Passage keys in at most this many documents are never boilerplate.",
    "boilerplate_min_docs": "A line is learned as boilerplate only if it recurs in at least "
    "this many documents…",
    "boilerplate_fraction": "…and in at least this share of its outlet's (or the corpus') "
    "documents.",
    "boilerplate_max_words": "Longest line, in words, that can be learned as boilerplate.",
    "story_neighbors": "Most similar articles each article is linked to.",
    "story_min_lift": "A link needs this many times the two articles' background similarity.",
    "story_resolution": "Leiden modularity resolution of each division; higher proposes "
    "smaller parts.",
    "story_min_conductance": "Two parts stay one story when the link weight between them is "
    "at least this share of the smaller part's; higher gives smaller stories.",
    "story_window_days": "Similarity between dated articles is multiplied by "
    "exp(-days apart / this) before the lift test; 0 ignores dates.",
    "story_title_weight": "How many times a title counts beside the text.",
    "duplicate_copied": "With --drop-duplicates: documents with at least this share of the "
    "words of each copied exactly from the other are near-duplicates.",
    "chain_contained_fraction": "A copy with at least this share of its words in passages "
    "shared with a longer one is contained in it, which weakly makes it the source.",
}
SCAN_SETTINGS = (
    "shingle_size",
    "num_perm",
    "threshold",
    "bands",
    "rows",
    "seed",
    "min_passage_words",
    "max_gap_words",
    "common_fraction",
    "common_min_docs",
)
CLEAN_SETTINGS = (
    *SCAN_SETTINGS,
    "boilerplate_min_docs",
    "boilerplate_fraction",
    "boilerplate_max_words",
    "duplicate_copied",
)


STORY_SETTINGS = (
    *CLEAN_SETTINGS,
    "story_neighbors",
    "story_min_lift",
    "story_resolution",
    "story_min_conductance",
    "story_window_days",
    "story_title_weight",
)


def config_options(*names: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """One option per Config field named; None means "not given" so --config can fill it."""

    def decorate(command: Callable[..., Any]) -> Callable[..., Any]:
        defaults = Config()
        for name in reversed(names):
            kind = _CONFIG_OPTIONS[name].type
            value_type = float if "float" in str(kind) else int
            default = getattr(defaults, name) if name not in ("bands", "rows") else None
            shown = f" [default: {default}]" if default is not None else ""
            command = click.option(
                option_name(name),
                name,
                type=value_type,
                default=None,
                help=_OPTION_HELP[name] + shown,
            )(command)
        return click.option(
            "--config",
            "config_file",
            type=click.Path(exists=True, dir_okay=False),
            help="Settings from a JSON file, e.g. an earlier run.json; options given here win.",
        )(command)

    return decorate


def build_config(config_file: str | None, given: dict[str, Any]) -> Config:
    settings: dict[str, Any] = {}
    if config_file:
        settings = load_config_file(config_file)
    settings.update({k: v for k, v in given.items() if v is not None})
    return Config(**settings)


def load_config_file(path: str) -> dict[str, Any]:
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as err:
        raise CliError(f"{path}: cannot read settings: {err}", EXIT_USAGE) from None
    if isinstance(data, dict) and isinstance(data.get("config"), dict):
        data = data["config"]
    if not isinstance(data, dict):
        raise CliError(f"{path}: expected a JSON object of settings", EXIT_USAGE)
    derived = data.pop("bands_derived_from_threshold", False)
    if derived:
        data.pop("bands", None)
        data.pop("rows", None)
    unknown = sorted(set(data) - set(_CONFIG_OPTIONS))
    if unknown:
        raise CliError(f"{path}: unknown setting {unknown[0]!r}", EXIT_USAGE)
    return data


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


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="dedup")
def main() -> None:
    """Find reused passages and syndicated copy across news articles."""


_READ_KEYS = (
    "input_format",
    "encoding",
    "id_field",
    "text_field",
    "title_field",
    "date_field",
    "outlet_field",
    "url_field",
    "metadata",
    "strict",
)


def pop_read_options(kwargs: dict[str, Any]) -> ReadOptions:
    """The input options, taken out of a command's keyword arguments."""
    values = {key: kwargs.pop(key) for key in _READ_KEYS}
    values["format"] = values.pop("input_format")
    return ReadOptions(**values)


def read_inputs(
    inputs: tuple[str, ...],
    options: ReadOptions,
    out: str | None,
    report: ProgressFn | None,
    names: Sequence[str] = (),
) -> Corpus:
    """Check the output folder, then read every input (with a progress bar)."""
    reader = open_inputs(inputs, options, out, report, names)
    corpus = reader.read_all()
    check_read(reader, inputs)
    return corpus


def open_inputs(
    inputs: tuple[str, ...],
    options: ReadOptions,
    out: str | None,
    report: ProgressFn | None,
    names: Sequence[str] = (),
) -> CorpusReader:
    """Check the output folder (where the run will write ``names``), then open every input
    to be read lazily (with a progress bar that is full once the reader is exhausted)."""
    if out:
        check_output(out, inputs, names)
    if not report:
        return CorpusReader(inputs, options)
    total = input_size(inputs)
    return CorpusReader(
        inputs,
        options,
        lambda done: report("read", min(done, total), total),
        # characters read fall short of bytes: the bar is full once the last input is read
        lambda: report("read", total, total),
    )


def check_read(reader: CorpusReader, inputs: tuple[str, ...]) -> None:
    """Refuse an input in which no document could be read."""
    if not reader.records:
        _show_rejects(list(reader.rejects), list(reader.warnings), None)
        where = ", ".join(inputs)
        found = f"{len(reader.rejects)} record(s) skipped" if reader.rejects else "nothing found"
        raise InputError(where, None, f"no documents with text to read ({found})")


fail_on_rejects_option = click.option(
    "--fail-on-rejects",
    is_flag=True,
    help="Exit with 1 (after writing the results) when any record was skipped.",
)


def run_options(command: Callable[..., Any]) -> Callable[..., Any]:
    """Options about the run itself, shared by the commands that write results."""
    options = [
        click.option(
            "--force",
            is_flag=True,
            help="Start over: ignore the finished stages an interrupted run left in OUT/.work.",
        ),
        fail_on_rejects_option,
    ]
    for option in reversed(options):
        command = option(command)
    return command


def workers_option(command: Callable[..., Any]) -> Callable[..., Any]:
    """``-j/--workers``, ``--engine`` and ``--ray-address``: where the batch stages run. Speed
    settings, so not in Config or run.json; the command receives them as one ``workers``
    (a number of local threads, or a :class:`RayEngine`, closed when the command ends)."""

    @functools.wraps(command)
    def run(*args: Any, workers: int, engine: str, ray_address: str | None, **kwargs: Any) -> Any:
        if engine == "local" and ray_address:
            raise click.UsageError("--ray-address needs --engine ray")
        if engine == "local":
            return command(*args, workers=workers, **kwargs)
        with RayEngine(address=ray_address, workers=workers) as ray_engine:
            return command(*args, workers=ray_engine, **kwargs)

    options = [
        click.option(
            "-j",
            "--workers",
            type=click.IntRange(min=0, max=MAX_WORKERS),
            default=1,
            show_default=True,
            help="Processes to run on (0: every available core; with --engine ray, the CPUs "
            "of the Ray instance started here); results are the same for any number.",
        ),
        click.option(
            "--engine",
            type=click.Choice(["local", "ray"]),
            default="local",
            show_default=True,
            help="Run the words, signature, candidate and alignment stages in local threads "
            "or as Ray tasks (pip install 'dedup[ray]'); the output is the same.",
        ),
        click.option(
            "--ray-address",
            metavar="ADDRESS",
            help="With --engine ray: join this Ray cluster (auto, ray://host:10001, "
            "host:6379) instead of starting one here.",
        ),
    ]
    for option in reversed(options):
        run = option(run)
    return run


def open_workspace(
    out: str | None, force: bool, config: Config, records: Sequence[Record]
) -> Workspace | None:
    """The folder of finished stages under OUT (emptied first with ``--force``), or None
    when nothing is written."""
    if not out:
        return None
    work = Path(out) / WORK_DIR
    if force and is_dedup_work(work):
        shutil.rmtree(work, ignore_errors=True)
    return Workspace.under(out, config.digest(), records)


@contextmanager
def spill_folder(spill_dir: str | None, out: str | None) -> Iterator[Path | None]:
    """Where a spilled scan makes its scratch folder: ``spill_dir``, else OUT/.work, else the
    system's temporary folder (None). Folders made for it are removed afterwards when
    empty, so a scan that fails leaves no output folder behind."""
    folder = Path(spill_dir) if spill_dir else Path(out) / WORK_DIR if out else None
    made = []
    if folder is not None:
        made = [p for p in (*reversed(folder.parents), folder) if not p.exists()]
    try:
        yield folder
    finally:
        if not spill_dir and folder is not None:
            made = [*made[:-1], folder] if folder not in made else made
        for path in reversed(made):
            with contextlib.suppress(OSError):
                path.rmdir()  # only when empty


def say_resumed(workspace: Workspace | None, out: str | None) -> None:
    if workspace is not None and workspace.resumed:
        click.echo(
            f"resumed: {len(workspace.resumed)} finished stage(s) reused from "
            f"{Path(out) / WORK_DIR} (--force starts over)",
            err=True,
        )


def with_read_rejects(result: Any, read_rejects: Sequence[Reject]) -> tuple[list[Reject], Any]:
    """Every record skipped (while reading, then by the stage), and ``result`` holding them
    all, with its ``rejected`` count (when it keeps one) to match."""
    rejects = list(read_rejects) + list(result.rejects)
    changes: dict[str, Any] = {"rejects": tuple(rejects)}
    if "rejected" in result.counts:
        changes["counts"] = {**result.counts, "rejected": len(rejects)}
    return rejects, dataclasses.replace(result, **changes)


def finish_run(rejects: list, fail_on_rejects: bool, out: str | None) -> None:
    if fail_on_rejects and rejects:
        where = f" (see {Path(out) / 'rejects.jsonl'})" if out else ""
        raise CliError(f"{len(rejects)} record(s) skipped{where}", EXIT_INPUT)


@main.command("scan")
@click.argument("inputs", nargs=-1, required=True)
@click.option(
    "-o",
    "--out",
    type=click.Path(file_okay=False),
    help="Folder for pairs.jsonl, passages.jsonl, documents.jsonl, rejects.jsonl and run.json.",
)
@input_options
@config_options(*SCAN_SETTINGS)
@run_options
@workers_option
@click.option(
    "--spill",
    type=click.Choice(["auto", "always", "never"]),
    default="auto",
    show_default=True,
    help="Hold the corpus on disk rather than in memory, a batch at a time (auto: once its "
    "text passes 32 million characters); the results are the same.",
)
@click.option(
    "--spill-dir",
    type=click.Path(file_okay=False),
    help="Folder for the spill files (default: OUT/.work, or the system's temporary folder "
    "without -o); they are removed when the scan ends.",
)
@click.option(
    "--top",
    type=click.IntRange(min=0),
    default=10,
    show_default=True,
    help="Pairs shown in the terminal table.",
)
@click.option("-q", "--quiet", is_flag=True, help="No progress bar and no tables.")
@click.option("--debug", is_flag=True, help="Show tracebacks of errors.")
@handle_errors
def scan_command(
    inputs: tuple[str, ...],
    out: str | None,
    config_file: str | None,
    force: bool,
    fail_on_rejects: bool,
    workers: int,
    spill: str,
    spill_dir: str | None,
    top: int,
    quiet: bool,
    debug: bool,
    **kwargs: Any,
) -> None:
    """Find documents that share copy and the passages they share.

    INPUTS are folders of .txt files (id = file name), .jsonl/.csv/.parquet files, or - for
    JSON lines on standard input.
    """
    started = time.perf_counter()
    options = pop_read_options(kwargs)
    config = build_config(config_file, kwargs)
    progress = TerminalProgress(enabled=sys.stderr.isatty() and not quiet)
    workspace = None
    with progress.running() as report_progress:
        reader = open_inputs(inputs, options, out, report_progress, output_names("scan"))
        limit = {"auto": SPILL_ABOVE_CHARS, "always": -1, "never": None}[spill]
        records = list(reader) if limit is None else hold_records(reader, limit)
        if isinstance(records, list):
            check_read(reader, inputs)
            records.sort(key=lambda r: r.id)
            workspace = open_workspace(out, force, config, records)
            result = scan(
                records, config, progress=report_progress, workspace=workspace, workers=workers
            )
        else:
            with spill_folder(spill_dir, out) as folder:
                result = scan_spilled(
                    records, config, spill_dir=folder, progress=report_progress, workers=workers
                )
                check_read(reader, inputs)
            if not quiet:
                limit_text = f"its text passed {SPILL_ABOVE_CHARS:,} characters"
                why = "--spill always" if spill == "always" else limit_text
                click.echo(
                    f"spilled: the corpus was held on disk a part at a time ({why})", err=True
                )
    if not quiet:
        say_resumed(workspace, out)
    rejects, result = with_read_rejects(result, reader.rejects)
    _show_rejects(rejects, reader.warnings, out)
    if out:
        write_scan(
            result,
            out,
            inputs=list(inputs),
            read_options=dataclasses.asdict(options),
            warnings=reader.warnings,
        )
        if workspace is not None:
            workspace.finish()
    if not quiet:
        show_scan(result, time.perf_counter() - started, top, out)
    finish_run(rejects, fail_on_rejects, out)


def show_scan(
    result: Any,
    seconds: float,
    top: int,
    out: str | None,
    *,
    title: str | None = None,
    extra_rows: Sequence[tuple[str, str]] = (),
) -> None:
    """The summary and top-pairs tables of a scan (or an index query), and where it went."""
    console = Console(soft_wrap=False)
    table = summary_table(result, seconds)
    if title:
        table.title = title
    for name, value in extra_rows:
        table.add_row(name, value)
    console.print(table)
    if result.pairs:
        console.print(top_pairs_table(result, top, console.width))
    if out:
        console.print(
            f"written to {Path(out)}/: pairs.jsonl passages.jsonl documents.jsonl "
            "rejects.jsonl run.json"
        )
    else:
        console.print("no files written (give -o DIR to keep pairs and passages)")


@main.command("clean")
@click.argument("inputs", nargs=-1, required=True)
@click.option(
    "-o",
    "--out",
    required=True,
    type=click.Path(file_okay=False),
    help="Folder for the cleaned corpus (in the input's format), cuts.jsonl, duplicates.jsonl, "
    "rejects.jsonl and run.json.",
)
@click.option(
    "--drop-duplicates",
    is_flag=True,
    help="Collapse near-duplicate documents to the earliest (by date, then id); the dropped "
    "ones are listed in duplicates.jsonl with their scores.",
)
@click.option(
    "--skip",
    "skip_rules",
    multiple=True,
    type=click.Choice(CLEAN_RULES),
    help="Switch a cleaning rule off (repeatable).",
)
@click.option(
    "--pattern",
    "patterns",
    multiple=True,
    help="Your own boilerplate as a regular expression; every match is cut (repeatable).",
)
@input_options
@config_options(*CLEAN_SETTINGS)
@fail_on_rejects_option
@workers_option
@click.option("-q", "--quiet", is_flag=True, help="No progress bar and no tables.")
@click.option("--debug", is_flag=True, help="Show tracebacks of errors.")
@handle_errors
def clean_command(
    inputs: tuple[str, ...],
    out: str,
    drop_duplicates: bool,
    skip_rules: tuple[str, ...],
    patterns: tuple[str, ...],
    config_file: str | None,
    fail_on_rejects: bool,
    workers: int,
    quiet: bool,
    debug: bool,
    **kwargs: Any,
) -> None:
    """Remove repeated bodies, repeated lines and boilerplate, recording every cut.

    Writes the cleaned corpus in the input's format beside cuts.jsonl (every removal with
    its offsets, text and reason); the input is never modified.
    """
    started = time.perf_counter()
    options = pop_read_options(kwargs)
    if skip_rules:
        kwargs["clean_skip"] = skip_rules
    if patterns:
        kwargs["boilerplate_patterns"] = patterns
    config = build_config(config_file, kwargs)
    progress = TerminalProgress(enabled=sys.stderr.isatty() and not quiet)
    layout = corpus_layout(list(inputs), options)
    names = output_names("clean", layout.name)
    with progress.running() as report_progress:
        corpus = read_inputs(inputs, options, out, report_progress, names)
        result = clean(
            corpus.records,
            config,
            drop_duplicates=drop_duplicates,
            progress=report_progress,
            workers=workers,
        )
    rejects, result = with_read_rejects(result, corpus.rejects)
    _show_rejects(rejects, corpus.warnings, out)
    write_clean(
        result,
        out,
        layout,
        inputs=list(inputs),
        read_options=dataclasses.asdict(options),
        warnings=corpus.warnings,
        drop_duplicates=drop_duplicates,
    )
    if not quiet:
        console = Console(soft_wrap=False)
        console.print(clean_summary_table(result, time.perf_counter() - started))
        console.print(
            f"written to {Path(out)}/: {layout.name} cuts.jsonl duplicates.jsonl "
            "rejects.jsonl run.json"
        )
    finish_run(rejects, fail_on_rejects, out)


@main.command("stories")
@click.argument("inputs", nargs=-1, required=True)
@click.option(
    "-o",
    "--out",
    type=click.Path(file_okay=False),
    help="Folder for stories.jsonl, rejects.jsonl and run.json.",
)
@click.option(
    "--no-clean",
    is_flag=True,
    help="Cluster the text as read (by default boilerplate and repeats are cleaned first).",
)
@click.option(
    "--no-links",
    is_flag=True,
    help="Do not use the passages scan finds as evidence that two articles are one story.",
)
@input_options
@config_options(*STORY_SETTINGS)
@fail_on_rejects_option
@workers_option
@click.option(
    "--top",
    type=click.IntRange(min=0),
    default=15,
    show_default=True,
    help="Stories shown in the terminal table.",
)
@click.option("-q", "--quiet", is_flag=True, help="No progress bar and no tables.")
@click.option("--debug", is_flag=True, help="Show tracebacks of errors.")
@handle_errors
def stories_command(
    inputs: tuple[str, ...],
    out: str | None,
    no_clean: bool,
    no_links: bool,
    config_file: str | None,
    fail_on_rejects: bool,
    workers: int,
    top: int,
    quiet: bool,
    debug: bool,
    **kwargs: Any,
) -> None:
    """Group articles into stories: reprints and reports of one event together.

    TF-IDF neighbours of the cleaned text, passage links from scan and dates make a graph
    whose communities (by Leiden, divided until each holds together) are the stories.
    """
    started = time.perf_counter()
    options = pop_read_options(kwargs)
    config = build_config(config_file, kwargs)
    progress = TerminalProgress(enabled=sys.stderr.isatty() and not quiet)
    with progress.running() as report_progress:
        corpus = read_inputs(inputs, options, out, report_progress, output_names("stories"))
        result = stories(
            corpus.records,
            config,
            use_clean=not no_clean,
            use_links=not no_links,
            progress=report_progress,
            workers=workers,
        )
    rejects, result = with_read_rejects(result, corpus.rejects)
    _show_rejects(rejects, corpus.warnings, out)
    if out:
        write_stories(
            result,
            out,
            inputs=list(inputs),
            read_options=dataclasses.asdict(options),
            warnings=corpus.warnings,
            use_clean=not no_clean,
            use_links=not no_links,
        )
    if not quiet:
        console = Console(soft_wrap=False)
        console.print(stories_table(result, top, time.perf_counter() - started, console.width))
        if out:
            console.print(f"written to {Path(out)}/: stories.jsonl rejects.jsonl run.json")
        else:
            console.print("no files written (give -o DIR to keep the stories)")
    finish_run(rejects, fail_on_rejects, out)


def _show_rejects(rejects: list, warnings: list, out: str | None) -> None:
    for item in (rejects + warnings)[:MAX_REJECT_LINES]:
        kind = "skipped" if item in rejects else "warning"
        click.echo(f"{kind}: {item}", err=True)
    hidden = len(rejects) + len(warnings) - MAX_REJECT_LINES
    if hidden > 0:
        where = f" (all in {out}/rejects.jsonl)" if out else ""
        click.echo(f"… and {hidden} more{where}", err=True)


# --- chains -------------------------------------------------------------------------------


CHAIN_SETTINGS = (*SCAN_SETTINGS, "chain_contained_fraction")


def read_agency_file(path: str) -> tuple[str, ...]:
    """Agency names from a file, one a line (``name|alias|…``); blank lines and ``#``
    comments are skipped."""
    try:
        lines = Path(path).read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as err:
        raise CliError(f"--agencies: {path}: cannot read: {err}", EXIT_USAGE) from None
    names = tuple(
        line.strip() for line in lines if line.strip() and not line.lstrip().startswith("#")
    )
    if not names:
        raise CliError(f"--agencies: {path}: no agency names in the file", EXIT_USAGE)
    return names


def with_agencies(
    given: dict[str, Any],
    agencies: Sequence[str],
    agency_file: str | None,
    config_file: str | None,
) -> dict[str, Any]:
    """``given`` with ``wire_agencies`` set from ``--agencies FILE`` (or else the list of
    ``--config``, or else the built-in one) plus every ``--agency NAME``."""
    if not (agency_file or agencies):
        return given
    base = read_agency_file(agency_file) if agency_file else None
    if base is None:
        settings = load_config_file(config_file) if config_file else {}
        base = tuple(settings.get("wire_agencies", Config().wire_agencies))
    return {**given, "wire_agencies": (*base, *agencies)}


def agency_options(command: Callable[..., Any]) -> Callable[..., Any]:
    """``--agency NAME`` (repeatable) and ``--agencies FILE``: the wire agency list."""
    command = click.option(
        "--agencies",
        "agency_file",
        type=click.Path(exists=True, dir_okay=False),
        help="Replace the built-in wire agency list with the names in FILE, one a line.",
    )(command)
    return click.option(
        "--agency",
        "agencies",
        multiple=True,
        metavar="NAME",
        help="Count NAME as a wire agency besides the built-in list; 'Name|Alias' gives "
        "aliases (repeatable).",
    )(command)


@main.command("chains")
@click.argument("inputs", nargs=-1, required=True)
@click.option(
    "-o",
    "--out",
    type=click.Path(file_okay=False),
    help="Folder for chains.jsonl, articles.jsonl, outlets.jsonl, chains.graphml, chains.json, "
    "rejects.jsonl and run.json.",
)
@agency_options
@input_options
@config_options(*CHAIN_SETTINGS)
@run_options
@click.option("-q", "--quiet", is_flag=True, help="No progress bar and no tables.")
@click.option("--debug", is_flag=True, help="Show tracebacks of errors.")
@handle_errors
def chains_command(
    inputs: tuple[str, ...],
    out: str | None,
    agencies: tuple[str, ...],
    agency_file: str | None,
    config_file: str | None,
    force: bool,
    fail_on_rejects: bool,
    quiet: bool,
    debug: bool,
    **kwargs: Any,
) -> None:
    """Decide who carried whose copy: syndication chains over the reused passages.

    Dates, wire-agency outlets, credit lines ("Source: …, News Agencies", "(AFP)") and
    containment order the copies of each passage; when nothing orders them, they are joined
    through a common (possibly unseen) source, never by an invented direction.
    """
    started = time.perf_counter()
    options = pop_read_options(kwargs)
    config = build_config(config_file, with_agencies(kwargs, agencies, agency_file, config_file))
    progress = TerminalProgress(enabled=sys.stderr.isatty() and not quiet)
    with progress.running() as report_progress:
        corpus = read_inputs(inputs, options, out, report_progress, output_names("chains"))
        workspace = open_workspace(out, force, config, corpus.records)
        result = chains(corpus.records, config, progress=report_progress, workspace=workspace)
    if not quiet:
        say_resumed(workspace, out)
    rejects, scanned = with_read_rejects(result.scan, corpus.rejects)
    result = dataclasses.replace(result, scan=scanned)
    _show_rejects(rejects, corpus.warnings, out)
    if out:
        write_chains(
            result,
            out,
            inputs=list(inputs),
            read_options=dataclasses.asdict(options),
            warnings=corpus.warnings,
        )
        workspace.finish()
    if not quiet:
        console = Console(soft_wrap=False)
        console.print(chains_table(result, time.perf_counter() - started, console.width))
        if out:
            console.print(
                f"written to {Path(out)}/: chains.jsonl articles.jsonl outlets.jsonl "
                "chains.graphml chains.json rejects.jsonl run.json"
            )
        else:
            console.print("no files written (give -o DIR to keep the chains)")
    finish_run(rejects, fail_on_rejects, out)


REPORT_SETTINGS = (*STORY_SETTINGS, "chain_contained_fraction")


@main.command("report")
@click.argument("inputs", nargs=-1, required=True)
@click.option(
    "-o",
    "--out",
    required=True,
    type=click.Path(file_okay=False),
    help="Folder for report.html, rejects.jsonl and run.json.",
)
@click.option(
    "--title", default="dedup report", show_default=True, help="Heading and title of the page."
)
@agency_options
@input_options
@config_options(*REPORT_SETTINGS)
@fail_on_rejects_option
@click.option("-q", "--quiet", is_flag=True, help="No progress bar and no summary.")
@click.option("--debug", is_flag=True, help="Show tracebacks of errors.")
@handle_errors
def report_command(
    inputs: tuple[str, ...],
    out: str,
    title: str,
    agencies: tuple[str, ...],
    agency_file: str | None,
    config_file: str | None,
    fail_on_rejects: bool,
    quiet: bool,
    debug: bool,
    **kwargs: Any,
) -> None:
    """Write one self-contained HTML page to check the results by eye.

    OUT/report.html opens offline: counts, each outlet's share of reused copy, every story
    with its articles, every linked pair side by side with the reused passages highlighted,
    and the chain graph.
    """
    started = time.perf_counter()
    options = pop_read_options(kwargs)
    config = build_config(config_file, with_agencies(kwargs, agencies, agency_file, config_file))
    progress = TerminalProgress(enabled=sys.stderr.isatty() and not quiet)
    with progress.running() as report_progress:
        corpus = read_inputs(inputs, options, out, report_progress, output_names("report"))
        found = report(corpus.records, config, progress=report_progress)
    rejects, scanned = with_read_rejects(found.scan, corpus.rejects)
    _show_rejects(rejects, corpus.warnings, out)
    page = render_report(found.records, scanned, found.stories, found.chains, title=title)
    written = write_report(
        page,
        out,
        rejects=rejects,
        warnings=corpus.warnings,
        run={
            "inputs": list(inputs),
            "read_options": dataclasses.asdict(options),
            "title": title,
            "config": config.to_dict(),
            "config_digest": config.digest(),
            "counts": {
                "scan": scanned.counts,
                "stories": found.stories.counts,
                "chains": found.chains.counts,
            },
        },
    )
    if not quiet:
        counts = scanned.counts
        click.echo(
            f"dedup report: {counts['documents']:,} documents, {len(found.stories.stories):,} "
            f"stories, {counts['pairs']:,} linked pairs, {len(found.chains.edges):,} chain "
            f"edges, {time.perf_counter() - started:.2f} s"
        )
        click.echo(
            f"written to {Path(out)}/: report.html ({written['report.html'] / 1e6:.1f} MB) "
            "rejects.jsonl run.json"
        )
    finish_run(rejects, fail_on_rejects, out)


# --- index ------------------------------------------------------------------------------


def index_config(index: str, config_file: str | None, given: dict[str, Any]) -> Config:
    """Settings for a run on ``index``: the index's own, with what the user gave on top
    (a new index starts from the defaults)."""
    stored = index_settings(index)
    if stored is None:
        return build_config(config_file, given)
    changes = load_config_file(config_file) if config_file else {}
    changes.update({k: v for k, v in given.items() if v is not None})
    return stored.replace(**changes) if changes else stored


def check_index_path(index: str, inputs: Sequence[str]) -> None:
    """Refuse an index file that is one of the inputs or inside an input folder."""
    target = Path(index).resolve()
    for name in inputs:
        if name == "-":
            continue
        source = Path(name).resolve()
        if target == source or source in target.parents:
            raise StageError(f"{index}: the index would be written over the input {name}")


@main.group("index")
def index_group() -> None:
    """A persistent index: add documents once, then query new ones against it."""


@index_group.command("add")
@click.argument("index", type=click.Path(dir_okay=False))
@click.argument("inputs", nargs=-1, required=True)
@input_options
@config_options(*SCAN_SETTINGS)
@click.option(
    "--fail-on-rejects",
    is_flag=True,
    help="Exit with 1 (after adding the rest) when any record was skipped.",
)
@workers_option
@click.option("-q", "--quiet", is_flag=True, help="No progress bar and no summary.")
@click.option("--debug", is_flag=True, help="Show tracebacks of errors.")
@handle_errors
def index_add_command(
    index: str,
    inputs: tuple[str, ...],
    config_file: str | None,
    fail_on_rejects: bool,
    workers: int,
    quiet: bool,
    debug: bool,
    **kwargs: Any,
) -> None:
    """Add the documents of INPUTS to INDEX (an SQLite file, created if missing).

    One transaction: an interrupted add leaves all of the batch or none. A document already
    indexed with the same text and metadata is left alone; with other text it is replaced.
    Settings default to the index's own; a different key setting is refused.
    """
    started = time.perf_counter()
    options = pop_read_options(kwargs)
    check_index_path(index, inputs)
    config = index_config(index, config_file, kwargs)
    progress = TerminalProgress(enabled=sys.stderr.isatty() and not quiet)
    with progress.running() as report_progress:
        corpus = read_inputs(inputs, options, None, report_progress)
    result = index_add(index, corpus.records, config, workers=workers)
    rejects = list(corpus.rejects) + list(result.rejects)
    _show_rejects(rejects, corpus.warnings, None)
    if not quiet:
        counts = result.counts
        click.echo(
            f"dedup index add: {counts['added']:,} added, {counts['replaced']:,} replaced, "
            f"{counts['unchanged']:,} unchanged, {len(rejects):,} skipped; "
            f"{counts['documents_in_index']:,} documents in {index}, "
            f"{time.perf_counter() - started:.2f} s"
        )
    finish_run(rejects, fail_on_rejects, None)


@index_group.command("query")
@click.argument("index", type=click.Path(dir_okay=False))
@click.argument("inputs", nargs=-1, required=True)
@click.option(
    "-o",
    "--out",
    type=click.Path(file_okay=False),
    help="Folder for pairs.jsonl, passages.jsonl, documents.jsonl, rejects.jsonl and run.json.",
)
@input_options
@config_options(*SCAN_SETTINGS)
@fail_on_rejects_option
@workers_option
@click.option(
    "--top",
    type=click.IntRange(min=0),
    default=10,
    show_default=True,
    help="Pairs shown in the terminal table.",
)
@click.option("-q", "--quiet", is_flag=True, help="No progress bar and no tables.")
@click.option("--debug", is_flag=True, help="Show tracebacks of errors.")
@handle_errors
def index_query_command(
    index: str,
    inputs: tuple[str, ...],
    out: str | None,
    config_file: str | None,
    fail_on_rejects: bool,
    workers: int,
    top: int,
    quiet: bool,
    debug: bool,
    **kwargs: Any,
) -> None:
    """Find what the documents of INPUTS share with INDEX and with each other.

    The same pairs and passages, with the same offsets, that a scan of the indexed and the
    new documents together reports for the new ones. The index is not changed.
    """
    started = time.perf_counter()
    options = pop_read_options(kwargs)
    if index_settings(index) is None:
        raise InputError(index, None, "no index here (create one with dedup index add)")
    config = index_config(index, config_file, kwargs)
    progress = TerminalProgress(enabled=sys.stderr.isatty() and not quiet)
    with progress.running() as report_progress:
        if out:
            check_output(out, (*inputs, index), output_names("index query"))
        corpus = read_inputs(inputs, options, None, report_progress)
        result = index_query(
            index, corpus.records, config, progress=report_progress, workers=workers
        )
    rejects, result = with_read_rejects(result, corpus.rejects)
    _show_rejects(rejects, corpus.warnings, out)
    if out:
        write_index_query(
            result,
            out,
            index,
            inputs=list(inputs),
            read_options=dataclasses.asdict(options),
            warnings=corpus.warnings,
        )
    if not quiet:
        show_scan(
            result,
            time.perf_counter() - started,
            top,
            out,
            title="dedup index query",
            extra_rows=[("indexed documents", f"{result.counts['indexed_documents']:,}")],
        )
    finish_run(rejects, fail_on_rejects, out)


@index_group.command("info")
@click.argument("index", type=click.Path(dir_okay=False))
@click.option("--json", "as_json", is_flag=True, help="Print the facts as one JSON object.")
@click.option("--debug", is_flag=True, help="Show tracebacks of errors.")
@handle_errors
def index_info_command(index: str, as_json: bool, debug: bool) -> None:
    """Show the counts, settings and size on disk of INDEX."""
    facts = index_info(index)
    if as_json:
        click.echo(json.dumps(facts, ensure_ascii=False, indent=2))
        return
    counts, config = facts["counts"], facts["config"]
    size = facts["bytes_on_disk"]
    per_doc = size / counts["documents"] if counts["documents"] else 0
    click.echo(f"index {index} (format {facts['format_version']})")
    click.echo(f"  documents     {counts['documents']:,}")
    click.echo(f"  words         {counts['words']:,}")
    click.echo(f"  band keys     {counts['band_keys']:,}")
    click.echo(f"  passage keys  {counts['passage_keys']:,}")
    click.echo(f"  size on disk  {size / 1e6:.2f} MB ({per_doc:,.0f} bytes per document)")
    click.echo(
        f"  settings      shingle_size {config['shingle_size']}, num_perm {config['num_perm']}, "
        f"bands {config['bands']} x rows {config['rows']}, seed {config['seed']}, "
        f"min_passage_words {config['min_passage_words']} (digest {facts['config_digest']})"
    )


@index_group.command("remove")
@click.argument("index", type=click.Path(dir_okay=False))
@click.argument("ids", nargs=-1, required=True)
@click.option("-q", "--quiet", is_flag=True, help="No summary.")
@click.option("--debug", is_flag=True, help="Show tracebacks of errors.")
@handle_errors
def index_remove_command(index: str, ids: tuple[str, ...], quiet: bool, debug: bool) -> None:
    """Remove the documents IDS from INDEX (one transaction); unknown ids are reported."""
    result = index_remove(index, ids)
    for doc_id in result.unknown:
        click.echo(f"not in the index: {doc_id}", err=True)
    if not quiet:
        click.echo(
            f"dedup index remove: {len(result.removed):,} removed, "
            f"{len(result.unknown):,} not in the index"
        )


if __name__ == "__main__":  # pragma: no cover
    main()
