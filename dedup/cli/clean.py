"""``dedup clean``: repeated bodies, repeated lines and boilerplate removed, every cut kept."""

from __future__ import annotations

from typing import Any

import click

from dedup.cli.common import (
    CLEAN_SETTINGS,
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
    workers_option,
)
from dedup.config import CLEAN_RULES, Config
from dedup.outputs import output_names


@main.command("clean")
@click.argument("inputs", nargs=-1, required=True)
@out_option(
    "the cleaned corpus (in the input's format), cuts.jsonl, duplicates.jsonl, rejects.jsonl "
    "and run.json",
    required=True,
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
    help=Config.help("clean_skip"),
)
@click.option("--pattern", "patterns", multiple=True, help=Config.help("boilerplate_patterns"))
@input_options
@config_options(*CLEAN_SETTINGS)
@fail_on_rejects_option
@workers_option
@quiet_option
@json_option
@debug_option
@handle_errors
def clean_command(
    inputs: tuple[str, ...],
    out: str,
    drop_duplicates: bool,
    skip_rules: tuple[str, ...],
    patterns: tuple[str, ...],
    config_file: str | None,
    fail_on_rejects: bool,
    workers: Any,
    quiet: bool,
    as_json: bool,
    debug: bool,
    **kwargs: Any,
) -> None:
    """Remove repeated bodies, repeated lines and boilerplate, recording every cut.

    Writes the cleaned corpus in the input's format beside cuts.jsonl (every removal with
    its offsets, text and reason); the input is never modified.
    """
    from dedup.api import clean_spilled
    from dedup.cleaned import clean_summary_table, corpus_layout, write_clean

    if skip_rules:
        kwargs["clean_skip"] = skip_rules
    if patterns:
        kwargs["boilerplate_patterns"] = patterns
    run = Run.start(inputs, out, kwargs, config_file=config_file, quiet=quiet,
                    fail_on_rejects=fail_on_rejects)  # fmt: skip
    layout = corpus_layout(list(inputs), run.options)
    run.names = output_names("clean", layout.name, run.output_format)
    # the corpus is held on disk (OUT/.work) and streamed from the input to the output
    with run.progress() as progress, clean_spilled(
        run.open(progress), run.config, drop_duplicates=drop_duplicates, progress=progress,
        workers=workers, workdir=run.workdir, rejects_in_id_order=True,
    ) as spilled:  # fmt: skip
        run.check_read()
        rejects, result = run.collect(spilled)
        rows = write_clean(result, out, layout, **run.provenance(),
                           drop_duplicates=drop_duplicates)  # fmt: skip
    files = files_written(rows)
    if as_json:
        run.print_json("clean", result.counts, files)
    elif not quiet:
        show(clean_summary_table(result, run.seconds()))
        if not drop_duplicates and result.counts["near_duplicates"]:
            click.echo(
                f"{result.counts['near_duplicates']:,} near-duplicate article(s) kept: "
                "--drop-duplicates collapses each to its earliest copy"
            )
        run.written(files, "")
    run.finish(rejects)
