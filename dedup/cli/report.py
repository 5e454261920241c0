"""``dedup report``: one self-contained HTML page to check the results by eye."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from dedup.cli.common import (
    REPORT_SETTINGS,
    Run,
    agency_options,
    build_config,
    config_options,
    debug_option,
    fail_on_rejects_option,
    files_written,
    handle_errors,
    input_options,
    json_option,
    main,
    out_option,
    with_agencies,
)
from dedup.outputs import output_names


@main.command("report")
@click.argument("inputs", nargs=-1, required=True)
@out_option("report.html, rejects.jsonl and run.json", required=True)
@click.option(
    "--title", default="dedup report", show_default=True, help="Heading and title of the page."
)
@agency_options
@input_options
@config_options(*REPORT_SETTINGS)
@fail_on_rejects_option
@click.option("-q", "--quiet", is_flag=True, help="No progress bar and no summary.")
@json_option
@debug_option
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
    as_json: bool,
    debug: bool,
    **kwargs: Any,
) -> None:
    """Write one self-contained HTML page to check the results by eye.

    OUT/report.html opens offline: counts, each outlet's share of reused copy, every story
    with its articles, every linked pair side by side with the reused passages highlighted,
    and the chain graph.
    """
    from dedup.api import report
    from dedup.html import render_report, report_run, write_report

    run = Run.start(
        inputs, out, kwargs, quiet=quiet, fail_on_rejects=fail_on_rejects,
        names=output_names("report"),
        make_config=lambda given: build_config(
            config_file, with_agencies(given, agencies, agency_file, config_file)
        ),
    )  # fmt: skip
    with run.progress() as progress:
        corpus = run.read(progress)
        found = report(corpus.records, run.config, progress=progress)
    rejects, scanned = run.collect(found.scan)
    page = render_report(found.records, scanned, found.stories, found.chains, title=title)
    provenance = run.provenance()
    warnings = provenance.pop("warnings")
    output_format = provenance.pop("output_format")
    facts = report_run(run.config, title, scanned, found.stories, found.chains, **provenance)
    written = write_report(
        page, out, rejects=rejects, warnings=warnings, run=facts, output_format=output_format
    )
    if as_json:
        run.print_json("report", facts["counts"], files_written(written))
    elif not quiet:
        counts = scanned.counts
        click.echo(
            f"dedup report: {counts['documents']:,} documents, {len(found.stories.stories):,} "
            f"stories, {counts['pairs']:,} linked pairs, {len(found.chains.edges):,} chain "
            f"edges, {run.seconds():.2f} s"
        )
        size = f"report.html ({written['report.html'] / 1e6:.1f} MB)"
        click.echo(f"written to {Path(out)}/: {size} {' '.join(list(written)[1:])} run.json")
    run.finish(rejects)
