"""``dedup scan``: the documents that share copy and the passages they share."""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import ExitStack
from typing import Any

import click

from dedup.cli.common import (
    SCAN_SETTINGS,
    Run,
    config_options,
    debug_option,
    files_written,
    handle_errors,
    input_options,
    json_option,
    main,
    out_option,
    quiet_option,
    run_options,
    say_resumed,
    show,
    terminal_width,
    top_option,
    workers_option,
)
from dedup.outputs import output_names


@main.command("scan")
@click.argument("inputs", nargs=-1, required=True)
@out_option("pairs.jsonl, passages.jsonl, documents.jsonl, rejects.jsonl and run.json")
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
    "text passes 32 million characters, or its files 32 MB); the results are the same.",
)
@click.option(
    "--spill-dir",
    type=click.Path(file_okay=False),
    help="Folder for the spill files (default: OUT/.work, or the system's temporary folder "
    "without -o); they are removed when the scan ends.",
)
@click.option(
    "--expand-pairs",
    is_flag=True,
    help="Write every pair among the members of copy groups (documents carried 8 or more "
    "times) to pairs.jsonl, as without groups, instead of each group once in groups.jsonl.",
)
@top_option(10, "Pairs")
@quiet_option
@json_option
@debug_option
@handle_errors
def scan_command(
    inputs: tuple[str, ...],
    out: str | None,
    config_file: str | None,
    force: bool,
    fail_on_rejects: bool,
    workers: Any,
    spill: str,
    spill_dir: str | None,
    expand_pairs: bool,
    top: int,
    quiet: bool,
    as_json: bool,
    debug: bool,
    **kwargs: Any,
) -> None:
    """Find documents that share copy and the passages they share.

    INPUTS are folders of .txt files (id = file name), .jsonl/.csv/.parquet files, or - for
    JSON lines on standard input.
    """
    from dedup.cli import runtime

    runtime.one_blas_thread()  # before numpy loads
    runtime.no_blas_check()
    from dedup.api import scan_streamed

    with runtime.collector_paused():
        run = Run.start(
            inputs, out, kwargs, config_file=config_file, quiet=quiet,
            fail_on_rejects=fail_on_rejects, names=output_names("scan"),
        )  # fmt: skip
        run.warn_if_silent(as_json)
        with ExitStack() as held:  # on Ray, the result reads its scratch until written
            with run.progress() as progress:
                reader = run.open(progress)
                scanned = scan_streamed(
                    reader, run.config, spill=spill, workdir=run.workdir, spill_dir=spill_dir,
                    force=force, workers=workers, progress=progress, expand_pairs=expand_pairs,
                )  # fmt: skip
                result = held.enter_context(scanned)
                run.check_read()
            _finish_scan(run, result, out, spill, top, quiet, as_json)


def _finish_scan(
    run: Run, result: Any, out: str | None, spill: str, top: int, quiet: bool, as_json: bool
) -> None:
    """What ``dedup scan`` says and writes of its ``result``."""
    from dedup.writers import write_scan

    if not quiet:
        say_spilled(result.spilled, spill)
        say_resumed(result.resumed, run.workdir)
    rejects, result = run.collect(result)
    files = files_written(write_scan(result, out, **run.provenance()) if out else None)
    if as_json:
        run.print_json("scan", result.counts, files)
    elif not quiet:
        from dedup.ray_result import for_display

        show_scan(for_display(result, top), run.seconds(), top)
        run.written(files, "pairs and passages")
    run.finish(rejects)


def say_spilled(spilled: bool, spill: str) -> None:
    """Say that the corpus was spilled."""
    from dedup.api import SPILL_ABOVE_CHARS

    if spilled:
        limit = f"its text passed {SPILL_ABOVE_CHARS:,} characters"
        why = "--spill always" if spill == "always" else limit
        click.echo(f"spilled: the corpus was held on disk a part at a time ({why})", err=True)


def show_scan(
    result: Any,
    seconds: float,
    top: int,
    *,
    title: str | None = None,
    extra_rows: Sequence[tuple[str, str]] = (),
) -> None:
    """The summary and top-pairs tables of a scan (or an index query)."""
    from dedup.writers import summary_table, top_pairs_table

    table = summary_table(result, seconds)
    if title:
        table.title = title
    for name, value in extra_rows:
        table.add_row(name, value)
    pairs = [top_pairs_table(result, top, terminal_width())] if result.pairs else []
    show(table, *pairs)
