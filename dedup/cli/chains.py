"""``dedup chains``: who carried whose copy."""

from __future__ import annotations

import dataclasses
from typing import Any

import click

from dedup.cli.common import (
    CHAIN_SETTINGS,
    Run,
    agency_options,
    build_config,
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
    with_agencies,
    workers_option,
)
from dedup.cli.options import spill_options
from dedup.outputs import output_names


@main.command("chains")
@click.argument("inputs", nargs=-1, required=True)
@out_option(
    "chains.jsonl, passages.jsonl, articles.jsonl, outlets.jsonl, chains.graphml, chains.json, "
    "rejects.jsonl and run.json"
)
@click.option(
    "--top",
    type=click.IntRange(min=0),
    default=20,
    show_default=True,
    help="How many chains to draw as trees (the largest first); all are in the files.",
)
@agency_options
@input_options
@config_options(*CHAIN_SETTINGS)
@run_options
@workers_option
@spill_options("build the chains one connected set of documents at a time")
@quiet_option
@json_option
@debug_option
@handle_errors
def chains_command(
    inputs: tuple[str, ...],
    out: str | None,
    top: int,
    agencies: tuple[str, ...],
    agency_file: str | None,
    config_file: str | None,
    force: bool,
    fail_on_rejects: bool,
    quiet: bool,
    as_json: bool,
    debug: bool,
    workers: Any,
    spill: str,
    spill_dir: str | None,
    **kwargs: Any,
) -> None:
    """Decide who took whose copy: each article's direct source, as a forest.

    Containment (a copy carries its source's changes), wire-agency outlets, dates, credit
    lines ("Source: …, News Agencies", "(AFP)") and outlet habits learnt from the corpus
    choose and order each article's source; when nothing orders two copies they hang from
    an inferred common source with the reason, never by an invented direction. Prints a
    summary and the --top largest chains as trees.
    """
    from dedup.api import chains
    from dedup.chaintree import render_trees
    from dedup.cli.scan import say_spilled
    from dedup.writers import write_chains

    run = Run.start(
        inputs, out, kwargs, quiet=quiet, fail_on_rejects=fail_on_rejects,
        names=output_names("chains"),
        make_config=lambda given: build_config(
            config_file, with_agencies(given, agencies, agency_file, config_file)
        ),
    )  # fmt: skip
    run.warn_if_silent(as_json)
    with run.progress() as progress:
        reader = run.open(progress)
        result = chains(
            reader, run.config, spill=spill, workdir=run.workdir, spill_dir=spill_dir,
            force=force, progress=progress, workers=workers,
        )  # fmt: skip
        run.check_read()
    if not quiet:
        say_spilled(result.scan.spilled, spill)
        say_resumed(result.scan.resumed, run.workdir)
    rejects, scanned = run.collect(result.scan)
    result = dataclasses.replace(result, scan=scanned)
    files = files_written(write_chains(result, out, **run.provenance()) if out else None)
    if as_json:
        run.print_json("chains", result.counts, files)
    elif not quiet:
        show(render_trees(result, run.seconds(), top))
        run.written(files, "the chains")
    run.finish(rejects)
