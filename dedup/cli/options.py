"""The options commands share (input, output, run, engine, settings, agencies) as click
decorators, and the settings they make: each Config field's option takes its help and
default from the field itself.
"""

from __future__ import annotations

import dataclasses
import functools
import json
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from dedup.cli import allocator
from dedup.cli.errors import EXIT_USAGE, CliError, option_name
from dedup.config import Config
from dedup.formats import OUTPUT_FORMATS

if TYPE_CHECKING:  # reading inputs (numpy) loads when a command runs, not for --help
    from dedup.ingest import ReadOptions

MAX_WORKERS = 4096  # threads or Ray workers; more is a typing slip, not a machine

_CONFIG_OPTIONS = {f.name: f for f in dataclasses.fields(Config) if f.init}

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
    "min_fragment_words",
    "min_shuffled_sentences",
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
        "--input-format",
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
    """``-o/--out`` and ``--output-format`` (``--to``): where the files go and the format of
    the row files (``.jsonl`` ones) among them."""
    return stack(
        click.option(
            "-o",
            "--out",
            required=required,
            type=click.Path(file_okay=False),
            help=f"Folder for {files}.",
        ),
        click.option(
            "--output-format",
            "--to",
            "output_format",
            type=click.Choice(OUTPUT_FORMATS),
            default="jsonl",
            show_default=True,
            help="Format of the row files (pairs, passages, cuts, rejects, …): JSON lines, "
            "Parquet or CSV, each named with its extension (pairs.parquet). run.json stays "
            "JSON; clean writes its corpus in the input's own format.",
        ),
    )


def top_option(default: int, what: str) -> Callable[..., Any]:
    return click.option(
        "--top",
        type=click.IntRange(min=0),
        default=default,
        show_default=True,
        help=f"{what} shown in the terminal table.",
    )


#: ``--level``: which groups a stories table prints (stories.jsonl holds both).
level_option = click.option(
    "--level",
    type=click.Choice(["event", "story"]),
    default="story",
    show_default=True,
    help="Print events (one happening, reported within days) or stories (the saga holding "
    "them); stories.jsonl holds both.",
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
        allocator.keep_freed_memory()
        allocator.no_huge_pages()
        if engine == "local":
            from dedup.parallel import worker_processes

            with worker_processes():  # the command line's main module is guarded
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


def spill_options(what: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """``--spill`` and ``--spill-dir`` of a command that holds the corpus on disk when it is
    large (``what``: how it then works, for the help)."""
    return stack(
        click.option(
            "--spill",
            type=click.Choice(["auto", "always", "never"]),
            default="auto",
            show_default=True,
            help=f"Hold the corpus on disk rather than in memory and {what} (auto: once its "
            "text passes 32 million characters); the results are the same.",
        ),
        click.option(
            "--spill-dir",
            type=click.Path(file_okay=False),
            help="Folder for the spill files (default: OUT/.work, or the system's temporary "
            "folder without -o); they are removed when the command ends.",
        ),
    )
