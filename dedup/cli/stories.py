"""``dedup stories``: articles grouped into stories."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import click

from dedup.cli.common import (
    STORY_SETTINGS,
    Run,
    config_options,
    debug_option,
    fail_on_rejects_option,
    files_written,
    handle_errors,
    input_options,
    json_option,
    main,
    out_option,
    quiet_option,
    show,
    terminal_width,
    top_option,
    workers_option,
)
from dedup.cli.options import level_option, spill_options
from dedup.outputs import output_names

if TYPE_CHECKING:
    from dedup.types import Record


@main.command("stories")
@click.argument("inputs", nargs=-1, required=True)
@out_option("stories.jsonl, rejects.jsonl and run.json")
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
@level_option
@input_options
@config_options(*STORY_SETTINGS)
@fail_on_rejects_option
@workers_option
@spill_options("clean and scan it a batch at a time before the clustering")
@top_option(15, "Stories")
@quiet_option
@json_option
@debug_option
@handle_errors
def stories_command(
    inputs: tuple[str, ...],
    out: str | None,
    no_clean: bool,
    no_links: bool,
    level: str,
    config_file: str | None,
    fail_on_rejects: bool,
    workers: Any,
    spill: str,
    spill_dir: str | None,
    top: int,
    quiet: bool,
    as_json: bool,
    debug: bool,
    **kwargs: Any,
) -> None:
    """Group articles into stories, and each story into events.

    TF-IDF neighbours of the cleaned text (outlets' template words taken out), passage links
    from scan and dates make a graph whose communities (by Leiden, divided until each holds
    together) are the stories; the communities of each story's edges between articles a few
    days apart are its events.
    """
    from dedup.api import stories
    from dedup.writers import stories_table, write_stories

    run = Run.start(
        inputs, out, kwargs, config_file=config_file, quiet=quiet,
        fail_on_rejects=fail_on_rejects, names=output_names("stories"),
    )  # fmt: skip
    run.warn_if_silent(as_json)
    with run.progress() as progress:
        result = stories(
            read_checked(run, progress), run.config, use_clean=not no_clean, use_links=not no_links,
            progress=progress, workers=workers, spill=spill,
            spill_dir=spill_dir or run.workdir,
        )  # fmt: skip
    rejects, result = run.collect(result)
    rows = None
    if out:
        rows = write_stories(result, out, **run.provenance(), use_clean=not no_clean,
                             use_links=not no_links)  # fmt: skip
    files = files_written(rows)
    if as_json:
        run.print_json("stories", result.counts, files)
    elif not quiet:
        show(stories_table(result, top, run.seconds(), terminal_width(), level=level))
        run.written(files, "the stories")
    run.finish(rejects)


def read_checked(run: Run, progress: Any) -> Iterator[Record]:
    """The records as they are read; once they are all read, an input in which no document
    could be read is refused (before any clustering)."""
    yield from run.open(progress)
    run.check_read()
