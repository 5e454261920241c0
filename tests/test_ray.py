"""The Ray engine on a local cluster of two worker nodes gives what the local engine gives.

Skipped where Ray is not installed (``pip install -e '.[ray]'``); CI installs it.
"""

from __future__ import annotations

import builtins
import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from dedup import pipeline
from dedup.clean_spilled import clean_spilled
from dedup.cli import main
from dedup.errors import ConfigError
from dedup.parallel import RayEngine
from dedup.types import Record
from tests.conftest import CORPUS, SEED_IDS, assert_same_scan
from tests.test_ray_shards import shard_corpus, write_shards

OBJECT_STORE = 80 * 1024 * 1024


def test_ray_missing_is_a_clear_error(monkeypatch):
    monkeypatch.setitem(sys.modules, "ray", None)  # import ray now raises ImportError
    with pytest.raises(ConfigError, match=r"ray is not installed \(pip install 'dedup\[ray\]'\)"):
        _ = RayEngine().workers


def test_ray_address_needs_ray_engine():
    result = CliRunner().invoke(main, ["scan", str(CORPUS), "--ray-address", "auto"])
    assert result.exit_code == 2
    assert "--ray-address needs --engine ray" in result.output


ray = pytest.importorskip("ray", reason="Ray is not installed (pip install -e '.[ray]')")
from ray.cluster_utils import Cluster  # noqa: E402


@pytest.mark.parametrize("address", ["closed", "not-an-address"])
def test_unreachable_cluster_is_a_clear_error_at_once(address):
    """(Before the cluster below starts: a process already connected to Ray keeps using it.)"""
    if address == "closed":
        with socket.socket() as probe:  # a port nothing listens on once closed
            probe.bind(("127.0.0.1", 0))
            address = f"127.0.0.1:{probe.getsockname()[1]}"
    result = CliRunner().invoke(
        main, ["scan", str(CORPUS), "-q", "--engine", "ray", "--ray-address", address]
    )
    assert result.exit_code == 2, result.output
    # refused before Ray is asked (Ray would retry for minutes, then fail another way)
    assert "--ray-address" in result.output and address in result.output
    assert "nothing answers at" in result.output or "expected HOST:PORT" in result.output


@pytest.fixture(scope="module")
def cluster():
    """A head node and a second node, one CPU each: tasks really run in two raylets."""
    cluster = Cluster(
        initialize_head=True,
        head_node_args={"num_cpus": 1, "object_store_memory": OBJECT_STORE},
    )
    cluster.add_node(num_cpus=1, object_store_memory=OBJECT_STORE)
    cluster.wait_for_nodes()
    engine = RayEngine(address=cluster.address)
    try:
        yield cluster, engine
    finally:
        engine.close()
        ray.shutdown()
        cluster.shutdown()


@pytest.fixture
def small_jobs(monkeypatch):
    """Stages cut into many small jobs, so that both nodes get work and results must be
    put back in order."""
    monkeypatch.setattr("dedup.words.BATCH_CHARS", 2000)
    monkeypatch.setattr("dedup.verify.ALIGN_CHUNK", 4)


def derived_corpus(seed_records: list[Record]) -> list[Record]:
    """The seeds, and articles made of their paragraphs: a copy missing one paragraph, one
    carrying another seed's paragraph, one with a paragraph twice."""
    records = list(seed_records)
    for k, seed in enumerate(seed_records):
        paragraphs = [p for p in seed.text.split("\n") if p.strip()]
        other = [p for p in seed_records[(k + 1) % len(seed_records)].text.split("\n") if p]
        records.append(Record(f"{seed.id}-cut", "\n".join(paragraphs[1:])))
        records.append(Record(f"{seed.id}-mixed", "\n".join(paragraphs[:3] + other[-2:])))
        records.append(Record(f"{seed.id}-twice", "\n".join(paragraphs + paragraphs[:2])))
    return records


def test_engine_runs_jobs_on_both_nodes_in_order(cluster):
    _, engine = cluster
    assert engine.workers == 2

    def node_of(scale: float, k: int) -> tuple[int, str]:  # pickled by value, not imported
        import time

        import ray

        time.sleep(scale * (8 - k))  # the first jobs finish last
        return k, ray.get_runtime_context().get_node_id()

    found = list(engine.map_ordered(node_of, (0.05,), [(k,) for k in range(8)]))
    assert [k for k, _ in found] == list(range(8))
    assert len({node for _, node in found}) == 2


def test_scan_on_ray_is_the_local_scan(cluster, seed_records, small_jobs):
    _, engine = cluster
    records = derived_corpus(seed_records)
    local = pipeline.scan(records)
    on_ray = pipeline.scan(records, workers=engine)
    assert_same_scan(on_ray, local)
    assert len(local.pairs) > 10 and local.counts["documents_with_repeats"] >= 5
    # and in another input order
    assert_same_scan(pipeline.scan(records[::-1], workers=engine), local)
    # and spilled to disk, in small batches and partitions
    spilled = pipeline.scan_spilled(records, workers=engine, batch_chars=6000, partitions=3)
    assert_same_scan(spilled, local)


def test_clean_and_index_on_ray_are_local(cluster, seed_records, small_jobs, tmp_path):
    _, engine = cluster
    records = derived_corpus(seed_records)
    local = pipeline.clean(records, drop_duplicates=True)
    on_ray = pipeline.clean(records, drop_duplicates=True, workers=engine)
    assert on_ray == local
    assert local.duplicates and any(d.cuts for d in local.documents)
    # held on disk, as dedup clean runs it, in small batches
    with clean_spilled(records, drop_duplicates=True, workers=engine, batch_chars=6000) as found:
        assert list(found.documents) == list(local.documents)
        assert (found.duplicates, found.counts) == (local.duplicates, local.counts)

    pipeline.index_add(tmp_path / "local.idx", records[:8])
    pipeline.index_add(tmp_path / "ray.idx", records[:8], workers=engine)
    queried = pipeline.index_query(tmp_path / "local.idx", records[8:])
    assert_same_scan(
        pipeline.index_query(tmp_path / "ray.idx", records[8:], workers=engine), queried
    )
    assert queried.pairs


def test_cli_engine_ray_writes_the_same_files(cluster, tmp_path):
    head, _ = cluster
    runner = CliRunner()
    local, remote = tmp_path / "local", tmp_path / "ray"
    result = runner.invoke(main, ["scan", str(CORPUS), "-o", str(local), "-q"])
    assert result.exit_code == 0, result.output
    on_ray = ["--engine", "ray", "--ray-address", head.address]
    result = runner.invoke(main, ["scan", str(CORPUS), "-o", str(remote), "-q", *on_ray])
    assert result.exit_code == 0, result.output
    for name in ("pairs.jsonl", "passages.jsonl", "documents.jsonl", "rejects.jsonl"):
        assert (remote / name).read_bytes() == (local / name).read_bytes(), name
    assert SEED_IDS["000"] in (remote / "pairs.jsonl").read_text(encoding="utf-8")
    # the command joined the cluster and left it running for others
    assert RayEngine(address=head.address).workers == 2


def test_workers_read_the_shards_and_the_driver_no_text(
    cluster, seed_records, tmp_path, monkeypatch
):
    """Shards of JSON lines, gzipped JSON lines and Parquet: dedup scan --engine ray writes
    what the local scan writes, and this process (the driver) opens no input file and no
    text file, and reads no text by offset: the workers do."""
    head, _ = cluster
    shards = write_shards(shard_corpus(seed_records), tmp_path / "shards")
    runner = CliRunner()
    local, remote = tmp_path / "local", tmp_path / "ray"
    result = runner.invoke(main, ["scan", str(shards), "-o", str(local), "-q"])
    assert result.exit_code == 0, result.output

    opened: list[str] = []
    real_open, real_os_open = builtins.open, os.open

    def watch_open(file, *args, **kwargs):
        opened.append(str(file))
        return real_open(file, *args, **kwargs)

    def watch_os_open(path, *args, **kwargs):
        opened.append(str(path))
        return real_os_open(path, *args, **kwargs)

    def refuse(*args, **kwargs):
        raise AssertionError("the driver read an input or a text")

    monkeypatch.setattr(builtins, "open", watch_open)
    monkeypatch.setattr(os, "open", watch_os_open)
    monkeypatch.setattr(os, "pread", refuse)
    for module, name in [
        ("dedup.ingest.reader", "iter_path"),
        ("dedup.ingest.folders", "_read_file"),
        ("dedup.ingest.tables", "_read_parquet"),
        ("dedup.ingest.compressed", "open_binary"),
    ]:
        monkeypatch.setattr(f"{module}.{name}", refuse)
    on_ray = ["--engine", "ray", "--ray-address", head.address]
    result = runner.invoke(main, ["scan", str(shards), "-o", str(remote), "-q", *on_ray])
    monkeypatch.undo()
    assert result.exit_code == 0, result.output
    for name in ("pairs.jsonl", "passages.jsonl", "documents.jsonl", "rejects.jsonl"):
        assert (remote / name).read_bytes() == (local / name).read_bytes(), name
    assert (remote / "groups.jsonl").read_bytes() == (local / "groups.jsonl").read_bytes()
    read_here = [p for p in opened if p.startswith(str(shards)) or "texts-" in Path(p).name]
    assert opened and not read_here  # the watch saw the outputs written, and no input


def test_no_address_starts_its_own_instance_beside_a_running_cluster(cluster, tmp_path):
    """``RayEngine()`` (``--engine ray`` without ``--ray-address``) starts a Ray of its own,
    as documented, even where another cluster runs on the machine: it used to connect to
    that one and fail ("num_cpus ... must not be provided")."""
    script = (
        "from dedup.parallel import RayEngine\n"
        "engine = RayEngine(workers=1)\n"
        "print(engine.workers)\n"
        "engine.close()\n"
    )
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parent.parent)}
    env.pop("RAY_ADDRESS", None)
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, env=env, timeout=240
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip().splitlines()[-1] == "1"


def test_cli_engine_ray_finds_the_shuffled_sentences_of_a_local_scan(cluster, tmp_path):
    """Stories with their lead's words shuffled inside each sentence: ``--engine ray``
    writes the files of a scan in memory, reordered passages among them."""
    from tests.test_spilled_bags import REUTERS, corpus

    if not REUTERS.exists():
        pytest.skip("no shared Reuters-21578 data")
    head, _ = cluster
    path = tmp_path / "in.jsonl"
    with open(path, "w", encoding="utf-8") as handle:
        for record in corpus(120, 8):
            handle.write(json.dumps({"id": record.id, "text": record.text}) + "\n")
    runner = CliRunner()
    local, remote = tmp_path / "local", tmp_path / "ray"
    result = runner.invoke(main, ["scan", str(path), "-o", str(local), "-q", "--spill", "never"])
    assert result.exit_code == 0, result.output
    on_ray = ["--engine", "ray", "--ray-address", head.address]
    result = runner.invoke(main, ["scan", str(path), "-o", str(remote), "-q", *on_ray])
    assert result.exit_code == 0, result.output
    for name in ("pairs.jsonl", "passages.jsonl", "documents.jsonl", "rejects.jsonl"):
        assert (remote / name).read_bytes() == (local / name).read_bytes(), name
    assert '"reordered"' in (local / "passages.jsonl").read_text(encoding="utf-8")
