"""``dedup index``: a persistent index; add documents once, then query new ones against it."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import click

from dedup.cli.common import (
    SCAN_SETTINGS,
    Run,
    build_config,
    config_options,
    debug_option,
    fail_on_rejects_option,
    files_written,
    handle_errors,
    input_options,
    json_option,
    load_config_file,
    main,
    out_option,
    quiet_option,
    show,
    terminal_width,
    top_option,
    workers_option,
)
from dedup.cli.options import level_option
from dedup.cli.scan import show_scan
from dedup.config import Config
from dedup.errors import InputError, StageError
from dedup.outputs import check_output, output_names


def index_config(index: str, config_file: str | None, given: dict[str, Any]) -> Config:
    """Settings for a run on ``index``: the index's own, with what the user gave on top
    (a new index starts from the defaults)."""
    from dedup.index import index_settings

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
@click.option(
    "--stories",
    is_flag=True,
    help="Keep stories in INDEX from now on: this add groups every document it holds, and "
    "every later add places its new ones into the stories and events (read them with "
    "dedup index stories).",
)
@workers_option
@click.option("-q", "--quiet", is_flag=True, help="No progress bar and no summary.")
@json_option
@debug_option
@handle_errors
def index_add_command(
    index: str,
    inputs: tuple[str, ...],
    config_file: str | None,
    fail_on_rejects: bool,
    stories: bool,
    workers: Any,
    quiet: bool,
    as_json: bool,
    debug: bool,
    **kwargs: Any,
) -> None:
    """Add the documents of INPUTS to INDEX (an SQLite file, created if missing).

    One transaction: an interrupted add leaves all of the batch or none. A document already
    indexed with the same text and metadata is left alone; with other text it is replaced.
    Settings default to the index's own; a different key setting is refused. An index that
    keeps stories (--stories, once) places the new documents into its stories and events in
    the same transaction.
    """
    from dedup.index import index_add

    check_index_path(index, inputs)
    run = Run.start(
        inputs, None, kwargs, quiet=quiet, fail_on_rejects=fail_on_rejects,
        make_config=lambda given: index_config(index, config_file, given),
    )  # fmt: skip
    with run.progress() as progress:
        corpus = run.read(progress)
    result = index_add(index, corpus.records, run.config, workers=workers, stories=stories)
    rejects, _ = run.collect(result)
    if as_json:
        run.print_json("index add", result.counts, [])
    elif not quiet:
        counts = result.counts
        click.echo(
            f"dedup index add: {counts['added']:,} added, {counts['replaced']:,} replaced, "
            f"{counts['unchanged']:,} unchanged, {len(rejects):,} skipped, {run.seconds():.2f} s"
        )
        click.echo(f"{counts['documents_in_index']:,} documents in {index}")
        if "stories_fitted" in counts:
            click.echo(f"stories: {counts['stories_fitted']:,} documents grouped anew (a fit)")
        elif "stories_placed" in counts:
            click.echo(f"stories: {counts['stories_placed']:,} new documents placed")
    run.finish(rejects)


@index_group.command("query")
@click.argument("index", type=click.Path(dir_okay=False))
@click.argument("inputs", nargs=-1, required=True)
@out_option("pairs.jsonl, passages.jsonl, documents.jsonl, rejects.jsonl and run.json")
@input_options
@config_options(*SCAN_SETTINGS)
@fail_on_rejects_option
@workers_option
@top_option(10, "Pairs")
@quiet_option
@json_option
@debug_option
@handle_errors
def index_query_command(
    index: str,
    inputs: tuple[str, ...],
    out: str | None,
    config_file: str | None,
    fail_on_rejects: bool,
    workers: Any,
    top: int,
    quiet: bool,
    as_json: bool,
    debug: bool,
    **kwargs: Any,
) -> None:
    """Find what the documents of INPUTS share with INDEX and with each other.

    The same pairs and passages, with the same offsets, that a scan of the indexed and the
    new documents together reports for the new ones. The index is not changed.
    """
    from dedup.index import index_query, index_settings, write_index_query

    if index_settings(index) is None:
        raise InputError(index, None, "no index here (create one with dedup index add)")
    run = Run.start(
        inputs, None, kwargs, quiet=quiet, fail_on_rejects=fail_on_rejects,
        make_config=lambda given: index_config(index, config_file, given),
    )  # fmt: skip
    if out:
        check_output(out, (*inputs, index), output_names("index query", None, run.output_format))
    with run.progress() as progress:
        corpus = run.read(progress)
        result = index_query(index, corpus.records, run.config, progress=progress,
                             workers=workers)  # fmt: skip
    run.out = out
    rejects, result = run.collect(result)
    rows = write_index_query(result, out, index, **run.provenance()) if out else None
    files = files_written(rows)
    if as_json:
        run.print_json("index query", result.counts, files)
    elif not quiet:
        indexed = ("indexed documents", f"{result.counts['indexed_documents']:,}")
        show_scan(result, run.seconds(), top, title="dedup index query", extra_rows=[indexed])
        run.written(files, "pairs and passages")
    run.finish(rejects)


@index_group.command("info")
@click.argument("index", type=click.Path(dir_okay=False))
@click.option("--json", "as_json", is_flag=True, help="Print the facts as one JSON object.")
@debug_option
@handle_errors
def index_info_command(index: str, as_json: bool, debug: bool) -> None:
    """Show the counts, settings and size on disk of INDEX."""
    from dedup.index import index_info

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
        f"bands {config['bands']} x rows {config['rows']},"
    )
    click.echo(
        f"                seed {config['seed']}, min_passage_words {config['min_passage_words']}"
    )
    click.echo(f"  digest        {facts['config_digest']}")


@index_group.command("remove")
@click.argument("index", type=click.Path(dir_okay=False))
@click.argument("ids", nargs=-1, required=True)
@click.option("-q", "--quiet", is_flag=True, help="No summary.")
@json_option
@debug_option
@handle_errors
def index_remove_command(
    index: str, ids: tuple[str, ...], quiet: bool, as_json: bool, debug: bool
) -> None:
    """Remove the documents IDS from INDEX (one transaction); unknown ids are reported."""
    from dedup.index import index_remove

    result = index_remove(index, ids)
    for doc_id in result.unknown:
        click.echo(f"not in the index: {doc_id}", err=True)
    if as_json:
        counts = {"removed": len(result.removed), "not_in_index": len(result.unknown)}
        click.echo(json.dumps({"command": "index remove", "index": index, "counts": counts}))
    elif not quiet:
        click.echo(
            f"dedup index remove: {len(result.removed):,} removed, "
            f"{len(result.unknown):,} not in the index"
        )


@index_group.command("stories")
@click.argument("index", type=click.Path(dir_okay=False))
@out_option("stories.jsonl, rejects.jsonl and run.json")
@level_option
@top_option(15, "Stories")
@quiet_option
@json_option
@debug_option
@handle_errors
def index_stories_command(
    index: str,
    out: str | None,
    output_format: str,
    level: str,
    top: int,
    quiet: bool,
    as_json: bool,
    debug: bool,
) -> None:
    """Show (and with -o write) the stories and events INDEX keeps.

    The same stories.jsonl as dedup stories (story → events → articles, ids in order of
    earliest date). The index must keep stories (dedup index add --stories); it is not
    changed.
    """
    import time

    from dedup.index_stories import read_index_stories
    from dedup.writers import stories_table, write_stories

    start = time.perf_counter()
    if out:
        check_output(out, (index,), output_names("stories", output_format=output_format))
    result = read_index_stories(index)
    rows = None
    if out:
        rows = write_stories(
            result, out, inputs=[index], output_format=output_format, command="index stories",
            run_extra={"index": index},
        )  # fmt: skip
    files = files_written(rows)
    if as_json:
        summary = {
            "command": "index stories",
            "counts": result.counts,
            "seconds": round(time.perf_counter() - start, 3),
            "out": out,
            "files": files,
        }
        click.echo(json.dumps(summary, ensure_ascii=False))
    elif not quiet:
        seconds = time.perf_counter() - start
        show(stories_table(result, top, seconds, terminal_width(), level=level))
        if files:
            click.echo(f"written to {out}/: {' '.join(files)}")
