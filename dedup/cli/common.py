"""What every command shares: the group, the options, the settings, progress bars, and the
ritual around a job (:class:`Run`): read the inputs, run, report what was skipped, write,
show, and exit with the right code.

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
from dedup.config import Config
from dedup.errors import ConfigError, DedupError, InputError, printable
from dedup.outputs import RUN, WORK_DIR, check_output

if TYPE_CHECKING:  # reading inputs (numpy) and rich load when a command runs, not for --help
    from dedup.ingest import Corpus, CorpusReader, ReadOptions
    from dedup.types import ProgressFn, Reject

EXIT_INPUT, EXIT_USAGE, EXIT_INTERNAL, EXIT_INTERRUPTED = 1, 2, 3, 130
MAX_REJECT_LINES = 10
MAX_WORKERS = 4096  # threads or Ray workers; more is a typing slip, not a machine

_CONFIG_OPTIONS = {f.name: f for f in dataclasses.fields(Config) if f.init}
_SPECIAL_OPTIONS = {
    "clean_skip": "--skip",
    "boilerplate_patterns": "--pattern",
    "wire_agencies": "--agency",
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
    "max_bridge_words",
    "min_exact_share",
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
CHAIN_SETTINGS = (*SCAN_SETTINGS, "chain_contained_fraction")
REPORT_SETTINGS = (*STORY_SETTINGS, "chain_contained_fraction")


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="dedup")
def main() -> None:
    """Find reused passages and syndicated copy across news articles."""


class CliError(click.ClickException):
    """One line on stderr and an exit code."""

    def __init__(self, message: str, exit_code: int) -> None:
        super().__init__(message)
        # click types exit_code as a ClassVar but reads it off the instance, as here
        self.exit_code = exit_code  # type: ignore[misc]


def option_name(field_name: str) -> str:
    """The command-line option that sets a Config field."""
    return _SPECIAL_OPTIONS.get(field_name) or "--" + field_name.replace("_", "-")


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
        except (click.ClickException, click.exceptions.Exit, click.Abort):
            raise
        except BrokenPipeError:  # the reader went away (| head): nothing more to say
            quiet_stdout()
            raise click.exceptions.Exit(0) from None
        except OSError as err:  # the system refused: a path, not a bug
            if debug:
                raise
            raise CliError(system_error_message(err), EXIT_INPUT) from None
        except Exception as err:
            if debug:
                raise
            raise CliError(
                f"internal error: {type(err).__name__}: {err} "
                "(a bug: rerun with --debug for the traceback and report it)",
                EXIT_INTERNAL,
            ) from None

    return wrapper


def quiet_stdout() -> None:
    """Point standard output at the null device, so that the interpreter's last flush into
    a closed pipe says nothing."""
    try:
        null = os.open(os.devnull, os.O_WRONLY)
        os.dup2(null, sys.stdout.fileno())
    except (OSError, ValueError):
        pass


def system_error_message(err: OSError) -> str:
    """One line for an error of the operating system, naming the path it concerns."""
    reason = err.strerror or str(err)
    if err.filename is None:
        return f"{reason} ({type(err).__name__})"
    where = printable(os.fsdecode(err.filename))
    if err.filename2 is not None:
        where += f" -> {printable(os.fsdecode(err.filename2))}"
    return f"{where}: {reason}"


def stack(*options: Callable[..., Any]) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Apply several click options as one decorator, in the order given."""

    def decorate(command: Callable[..., Any]) -> Callable[..., Any]:
        for option in reversed(options):
            command = option(command)
        return command

    return decorate


input_options = stack(
    click.option(
        "--format",
        "input_format",
        type=click.Choice(["auto", "txt", "jsonl", "json", "csv", "parquet", "warc", "html"]),
        default="auto",
        show_default=True,
        help="Input format; auto goes by file extension (a folder: its .txt files, or else the "
        "shards in it); for - the format of standard input.",
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
)

fail_on_rejects_option = click.option(
    "--fail-on-rejects",
    is_flag=True,
    help="Exit with 1 (after writing the results) when any record was skipped.",
)

run_options = stack(
    click.option(
        "--force",
        is_flag=True,
        help="Start over: ignore the finished stages an interrupted run left in OUT/.work.",
    ),
    fail_on_rejects_option,
)

quiet_option = click.option("-q", "--quiet", is_flag=True, help="No progress bar and no tables.")
json_option = click.option(
    "--json",
    "as_json",
    is_flag=True,
    help="Print the summary as one JSON object on standard output (instead of the tables).",
)
debug_option = click.option("--debug", is_flag=True, help="Show tracebacks of errors.")


def out_option(files: str, required: bool = False) -> Callable[..., Any]:
    return click.option(
        "-o",
        "--out",
        required=required,
        type=click.Path(file_okay=False),
        help=f"Folder for {files}.",
    )


def top_option(default: int, what: str) -> Callable[..., Any]:
    return click.option(
        "--top",
        type=click.IntRange(min=0),
        default=default,
        show_default=True,
        help=f"{what} shown in the terminal table.",
    )


def config_options(*names: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """One option per Config field named, its help and default from the field itself; None
    means "not given" so --config can fill it."""

    def decorate(command: Callable[..., Any]) -> Callable[..., Any]:
        for name in reversed(names):
            kind = _CONFIG_OPTIONS[name].type
            value_type = float if "float" in str(kind) else int
            # the field's own default, not Config()'s: that would work out the LSH bands
            # (numpy) while the command line is merely being built
            default = _CONFIG_OPTIONS[name].default  # bands and rows: None, worked out
            shown = f" [default: {default}]" if default is not None else ""
            command = click.option(
                option_name(name),
                name,
                type=value_type,
                default=None,
                help=Config.help(name) + shown,
            )(command)
        return click.option(
            "--config",
            "config_file",
            type=click.Path(exists=True, dir_okay=False),
            help="Settings from a JSON file, e.g. an earlier run.json; options given here win.",
        )(command)

    return decorate


def workers_option(command: Callable[..., Any]) -> Callable[..., Any]:
    """``-j/--workers``, ``--engine`` and ``--ray-address``: where the batch stages run. Speed
    settings, so not in Config or run.json; the command receives them as one ``workers``
    (a number of local threads, or a ``RayEngine``, closed when the command ends)."""

    @functools.wraps(command)
    def run(*args: Any, workers: int, engine: str, ray_address: str | None, **kwargs: Any) -> Any:
        if engine == "local" and ray_address:
            raise click.UsageError("--ray-address needs --engine ray")
        if engine == "local":
            return command(*args, workers=workers, **kwargs)
        from dedup.parallel import RayEngine

        with RayEngine(address=ray_address, workers=workers) as ray_engine:
            return command(*args, workers=ray_engine, **kwargs)

    return stack(
        click.option(
            "-j",
            "--workers",
            type=click.IntRange(min=0, max=MAX_WORKERS),
            default=0,
            show_default=True,
            help="Threads to run on (0: every available core; with --engine ray, the CPUs "
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
    )(run)


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
    from dedup.ingest import ReadOptions

    values = {key: kwargs.pop(key) for key in _READ_KEYS}
    values["format"] = values.pop("input_format")
    return ReadOptions(**values)


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
        ``make_config(settings)`` does."""
        options = pop_read_options(kwargs)
        say_compiling(quiet)
        if make_config is not None:
            config = make_config(kwargs)
        else:
            config = build_config(config_file, kwargs)
        return cls(inputs, out, options, config, quiet, fail_on_rejects, tuple(names))

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
        show_rejects(rejects, self.warnings, self.out)
        return rejects, dataclasses.replace(result, **changes)

    def provenance(self) -> dict[str, Any]:
        """What run.json records of the command: its inputs, how they were read, and the
        warnings about them."""
        return {
            "inputs": list(self.inputs),
            "read_options": dataclasses.asdict(self.options),
            "warnings": self.warnings,
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
            where = f" (see {Path(self.out) / 'rejects.jsonl'})" if self.out else ""
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


def show_rejects(rejects: Sequence[Reject], warnings: Sequence[Reject], out: str | None) -> None:
    """The first skipped records and warnings, one line each, on stderr."""
    items = [("skipped", r) for r in rejects] + [("warning", w) for w in warnings]
    for kind, item in items[:MAX_REJECT_LINES]:
        click.echo(f"{kind}: {item}", err=True)
    hidden = len(items) - MAX_REJECT_LINES
    if hidden > 0:
        where = f" (all in {Path(out) / 'rejects.jsonl'})" if out else ""
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
    takes a while and shows nothing else in a pipe."""
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
        help=Config.help("wire_agencies"),
    )(command)
