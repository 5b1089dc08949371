"""pipeline.batch: batch runs that are partitioned, incremental, resumable and free of duplicates."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import duckdb
import pandas as pd
import pyarrow.parquet as pq
import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

import pipeline.batch as batch
from pipeline import run
from pipeline.cli import main as cli_main
from pipeline.inputs import MiB, Source
from pipeline.manifest import RunState, StateError
from pipeline.write import read_table
from pipeline.runner import PIPELINE_VERSION
from pipeline.schema import PER_DOCUMENT_TABLES, SCHEMA_VERSION, TABLES
from pipeline.write import PARTITION_COLUMNS, read_table, rewrite_batch, slugify, table_files

REPO = Path(__file__).resolve().parent.parent
SAMPLES = sorted((REPO / "data" / "samples").glob("*.txt"))
COMPARED_TABLES = (*PER_DOCUMENT_TABLES, "instruments")


def snapshot(out: Path) -> dict[str, list]:
    """Every table's rows, order-free, without the per-run timing column."""
    snap = {}
    for table in COMPARED_TABLES:
        rows = [{k: v for k, v in r.items() if k != "seconds"} for r in read_table(out, table).to_pylist()]
        snap[table] = sorted(repr(sorted(r.items())) for r in rows)
    return snap


def make_corpus(d: Path, copies: int) -> Path:
    """``copies`` variants of each sample, each with a byte changed so every hash differs."""
    d.mkdir(parents=True, exist_ok=True)
    for i in range(copies):
        for s in SAMPLES:
            (d / f"{s.stem}-{i:03d}.txt").write_bytes(s.read_bytes() + b" " * (i + 1))
    return d


def doc_ids(out: Path) -> list[str]:
    return read_table(out, "documents").column("doc_id").to_pylist()


@pytest.fixture(scope="module")
def samples_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("batch") / "out"
    summary = run([str(REPO / "data" / "samples")], out, workers=2)
    return out, summary


# --- what a run writes -------------------------------------------------------------------------


def test_run_writes_every_table_readable_by_pandas_and_duckdb(samples_run):
    out, summary = samples_run
    assert (summary.processed, summary.failed, summary.skipped, summary.total) == (3, 0, 0, 3)
    for table in COMPARED_TABLES:
        df = pd.read_parquet(out / table)
        assert set(TABLES[table].names) <= set(df.columns), table
    docs = pd.read_parquet(out / "documents")
    assert len(docs) == 3 and docs["doc_id"].is_unique
    assert list(docs["province_slug"].astype(str)) == [slugify(p) for p in docs["province"]]
    con = duckdb.connect()
    n = con.execute(f"SELECT count(DISTINCT doc_id), count(DISTINCT province_slug) FROM read_parquet("
                f"'{out}/sections/**/*.parquet', hive_partitioning = true)").fetchone()
    assert n[0] == 3 and n[1] == len(set(docs["province_slug"]))


def test_files_carry_schema_and_pipeline_versions_and_partition_keys_never_collide(samples_run):
    out, _ = samples_run
    files = table_files(out, "documents")
    assert files and all(f.parent.name.startswith("province_slug=") for f in files)
    meta = pq.ParquetFile(files[0]).schema_arrow.metadata
    assert meta[b"vnplan.schema_version"] == SCHEMA_VERSION.encode()
    assert meta[b"vnplan.pipeline_version"] == PIPELINE_VERSION.encode()
    assert meta[b"vnplan.batch"].decode() in files[0].name
    for schema in TABLES.values():
        assert not set(PARTITION_COLUMNS.values()) & set(schema.names)


def test_unchanged_rerun_skips_without_reading_and_changes_nothing(samples_run, monkeypatch):
    out, _ = samples_run
    # corpus-level tables (instruments, deadline_audit) are rebuilt by finalize on every run
    corpus_level = {"instruments", "deadline_audit"}
    before = {p: p.stat().st_mtime_ns for p in out.rglob("*.parquet") if not corpus_level & set(p.parts)}

    def no_reading(self):
        raise AssertionError(f"{self.path} was read")

    monkeypatch.setattr(Source, "sha256", no_reading)
    t0 = time.perf_counter()
    s = run([str(REPO / "data" / "samples")], out, workers=2)
    assert (s.processed, s.skipped, s.skipped_reasons) == (0, 3, {"unchanged": 3})
    assert time.perf_counter() - t0 < 5
    after = {p: p.stat().st_mtime_ns for p in out.rglob("*.parquet") if not corpus_level & set(p.parts)}
    assert after == before


def test_touched_file_is_rehashed_and_skipped_and_edited_file_replaces_its_rows(tmp_path, monkeypatch):
    src = make_corpus(tmp_path / "in", 1)
    out = tmp_path / "out"
    run([str(src)], out, workers=1)
    old = set(doc_ids(out))
    files = sorted(src.iterdir())
    os.utime(files[0], ns=(1, 1))  # same bytes, new mtime: skipped on the content hash
    s = run([str(src)], out, workers=1)
    assert s.skipped_reasons == {"unchanged": 3}
    with monkeypatch.context() as m:  # ...and its new key was recorded: not even read again
        m.setattr(Source, "sha256", lambda self: pytest.fail(f"{self.path} was read"))
        assert run([str(src)], out, workers=1).skipped_reasons == {"unchanged": 3}
    files[1].write_bytes(files[1].read_bytes() + "\nPhụ lục bổ sung.\n".encode())  # edited in place
    s = run([str(src)], out, workers=1)
    assert (s.processed, s.skipped) == (1, 2)
    new = doc_ids(out)
    assert len(new) == 3 and len(set(new) - old) == 1  # the old version's rows are gone
    for table in PER_DOCUMENT_TABLES:
        assert set(read_table(out, table).column("doc_id").to_pylist()) <= set(new), table


def test_force_redoes_everything_without_duplicates(samples_run, tmp_path):
    out = tmp_path / "out"
    shutil.copytree(samples_run[0], out)
    before = snapshot(out)
    s = run([str(REPO / "data" / "samples")], out, workers=2, force=True)
    assert (s.processed, s.skipped) == (3, 0) and s.rewritten == 3
    assert snapshot(out) == before
    assert len(list((out / "_vnplan" / "batches").glob("*.json"))) == 3


def test_a_new_pipeline_version_redoes_documents(samples_run, tmp_path, monkeypatch):
    out = tmp_path / "out"
    shutil.copytree(samples_run[0], out)
    monkeypatch.setattr(batch, "PIPELINE_VERSION", "next")
    s = run([str(REPO / "data" / "samples")], out, workers=2)
    assert s.processed == 3
    assert sorted(doc_ids(out)) == sorted(doc_ids(samples_run[0]))
    s = run([str(REPO / "data" / "samples")], out, workers=2)
    assert s.skipped_reasons == {"unchanged": 3}


def test_duplicate_content_is_processed_once(tmp_path):
    src = tmp_path / "in"
    (src / "a").mkdir(parents=True)
    shutil.copy(SAMPLES[0], src / "a" / "x.txt")
    shutil.copy(SAMPLES[0], src / "b.txt")
    s = run([str(src)], tmp_path / "out", workers=1)
    assert (s.processed, s.skipped_reasons) == (1, {"duplicate": 1})
    assert read_table(tmp_path / "out", "documents").column("source_path").to_pylist() == [str(src / "a" / "x.txt")]


def test_failed_documents_are_kept_skipped_and_retried_on_request(tmp_path):
    src = tmp_path / "in"
    src.mkdir()
    (src / "blank.txt").write_bytes(b"  \n")
    shutil.copy(SAMPLES[1], src / "ok.txt")
    out = tmp_path / "out"
    s = run([str(src), str(tmp_path / "missing.txt")], out, workers=1)
    assert (s.processed, s.failed) == (1, 2)
    assert s.errors == {"empty file (whitespace only)": 1, "file not found": 1}
    s = run([str(src)], out, workers=1)
    assert s.skipped_reasons == {"unchanged": 2}
    s = run([str(src)], out, workers=1, retry_failed=True)
    assert (s.failed, s.skipped) == (1, 1)
    docs = read_table(out, "documents").to_pylist()
    assert len(docs) == 3 and sorted(d["status"] for d in docs) == ["failed", "failed", "ok"]


# --- archives and refusals in a run ------------------------------------------------------------


def test_archive_run_records_refused_members_and_reruns_skip_them(tmp_path):
    z = tmp_path / "plans.zip"
    with zipfile.ZipFile(z, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        zf.write(SAMPLES[0], "2026/a.txt")
        zf.write(SAMPLES[2], "2026/b.txt")
        zf.writestr(zipfile.ZipInfo("../../etc/evil.txt"), "x")
        zf.writestr("bomb.txt", b"\0" * (20 * MiB))
    out = tmp_path / "out"
    s = run([str(z)], out, workers=1)
    assert (s.processed, s.failed) == (2, 2)
    assert s.errors == {"unsafe archive member (zip-slip)": 1, "decompression bomb": 1}
    docs = {d["source_path"].split("!/")[1]: d for d in read_table(out, "documents").to_pylist()}
    assert docs["2026/a.txt"]["status"] == "ok" and docs["2026/a.txt"]["source_path"] == f"{z}!/2026/a.txt"
    assert docs["../../etc/evil.txt"]["error"].startswith("unsafe archive member (zip-slip)")
    s = run([str(z)], out, workers=1)
    assert (s.processed, s.failed, s.skipped) == (0, 0, 4)
    assert len(doc_ids(out)) == 4


def test_document_over_the_time_limit_fails_and_the_run_goes_on(tmp_path):
    fifo = tmp_path / "stuck.txt"
    os.mkfifo(fifo)
    s = run([str(fifo), str(SAMPLES[0])], tmp_path / "out", workers=1, timeout=1)
    assert (s.processed, s.errors) == (1, {"timeout after 1s": 1})


# --- batches, partitions, state ------------------------------------------------------------------


def test_batches_follow_batch_size_and_the_memory_budget(tmp_path):
    src = make_corpus(tmp_path / "in", 2)  # 6 documents
    s = run([str(src)], tmp_path / "a", workers=1, batch_size=4, partition_by="none")
    assert s.batches == 2 and len(table_files(tmp_path / "a", "texts")) == 2
    s = run([str(src)], tmp_path / "b", workers=1, batch_size=100, partition_by="none", max_buffer_mb=0.01)
    assert s.batches == 6  # every document exceeds a 10 KB budget: flushed at once
    assert snapshot(tmp_path / "a") == snapshot(tmp_path / "b")


def test_partition_by_province_and_year(tmp_path):
    out = tmp_path / "out"
    run([str(SAMPLES[0])], out, workers=1, partition_by="province,year")
    (f,) = table_files(out, "documents")
    assert f.parent.name.startswith("doc_year=") and f.parent.parent.name.startswith("province_slug=")
    assert len(pd.read_parquet(out / "documents")) == 1
    with pytest.raises(StateError, match="partitioned by province,year"):
        run([str(SAMPLES[0])], out, workers=1)


def test_out_with_foreign_tables_or_a_running_writer_is_refused(tmp_path):
    from pipeline.write import write_table_file

    write_table_file(tmp_path / "old", "documents", [{"doc_id": "x"}])
    with pytest.raises(StateError, match="written without run state"):
        run([str(SAMPLES[0])], tmp_path / "old", workers=1)
    with RunState(tmp_path / "busy").open():
        with pytest.raises(StateError, match="another vnplan run"):
            RunState(tmp_path / "busy").open()


def test_files_of_an_uncommitted_batch_are_removed_on_resume(samples_run, tmp_path):
    out = tmp_path / "out"
    shutil.copytree(samples_run[0], out)
    before = snapshot(out)
    real = table_files(out, "sections")[0]
    shutil.copy(real, real.with_name("part-b000000999-abcdef.parquet"))  # no marker: a killed batch
    shutil.copy(real, real.with_name(".tmp-part-b000001000-abcdef.parquet"))
    assert snapshot(out) != before
    s = run([str(REPO / "data" / "samples")], out, workers=1)
    assert s.cleaned == 2 and s.skipped == 3
    assert snapshot(out) == before


def test_an_interrupted_rewrite_is_finished_on_the_next_run(samples_run, tmp_path):
    out = tmp_path / "out"
    shutil.copytree(samples_run[0], out)
    before = snapshot(out)
    with RunState(out).open() as st:
        bid, marker = next(iter(st.batches.items()))
        keep = {row[0] for row in marker["docs"]}
        new = st.next_batch_id()
        files = rewrite_batch(out, marker, keep, new)
        from pipeline.manifest import DoneDoc
        st.commit(new, files, [DoneDoc(*r) for r in marker["docs"]], marker["partition"], replaces=bid)
        # ...and the process dies before it removes the batch it replaced
    assert len(doc_ids(out)) == 4
    s = run([str(REPO / "data" / "samples")], out, workers=1)
    assert s.skipped == 3
    assert snapshot(out) == before and not (out / "_vnplan" / "batches" / f"{bid}.json").exists()


def test_kill_9_mid_run_then_resume_equals_a_clean_run(tmp_path):
    corpus = make_corpus(tmp_path / "in", 8)  # 24 documents
    def cmd(out: Path, workers: int) -> list[str]:
        return [sys.executable, "-m", "pipeline", "run", str(corpus), "--out", str(out), "--workers", str(workers),
                "--batch-size", "2", "--no-progress"]

    clean = tmp_path / "clean"
    subprocess.run(cmd(clean, 2), check=True, capture_output=True)
    out = tmp_path / "killed"
    markers = out / "_vnplan" / "batches"
    for kill_after in (2, 5):  # killed twice, at different points
        proc = subprocess.Popen(cmd(out, 1), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 120
        while (len(list(markers.glob("b*.json"))) if markers.exists() else 0) < kill_after:
            assert proc.poll() is None, "the run finished before it could be killed"
            assert time.monotonic() < deadline
            time.sleep(0.005)
        proc.send_signal(signal.SIGKILL)
        assert proc.wait() == -signal.SIGKILL
    assert len(list(markers.glob("b*.json"))) < 12  # really stopped half-way
    resumed = subprocess.run([*cmd(out, 2), "--log-json"], check=True, capture_output=True, text=True)
    s = json.loads(resumed.stderr.splitlines()[-1])
    assert s["event"] == "summary" and s["processed"] + s["skipped"] == 24 and s["skipped"] >= 10
    assert snapshot(out) == snapshot(clean)
    ids = doc_ids(out)
    assert len(ids) == len(set(ids)) == 24


# --- engines write the same tables -----------------------------------------------------------------


def test_workers_writing_their_batches_write_the_same_tables_as_the_main_process(samples_run, tmp_path):
    s = run([str(REPO / "data" / "samples")], tmp_path / "main", workers=2, engine_options={"can_write": False})
    assert s.processed == 3
    assert snapshot(tmp_path / "main") == snapshot(samples_run[0])
    hidden = [p for p in samples_run[0].rglob(".tmp-*")]
    assert hidden == []


def crash_once(task, timeout):
    """Kills its worker the first time it sees ``crash.txt`` (a marker file remembers)."""
    from pipeline.engines.task import run_task

    if task.path.endswith("crash.txt"):
        marker = Path(task.fs_path).with_name(".crashed")
        if not marker.exists():
            marker.touch()
            os.kill(os.getpid(), signal.SIGKILL)
    return run_task(task, timeout)


def test_documents_a_dead_worker_held_unwritten_are_processed_again_and_counted_once(tmp_path):
    corpus = make_corpus(tmp_path / "in", 2)  # 6 documents
    (corpus / "zz-crash.txt").write_bytes(SAMPLES[0].read_bytes() + b"\ncrash")
    log = tmp_path / "run.jsonl"
    s = run([str(corpus)], tmp_path / "out", workers=1, engine_options={"func": crash_once}, log_json=str(log))
    assert (s.processed, s.failed, s.errors) == (6, 1, {"worker died: signal 9 (SIGKILL)": 1})
    events = [json.loads(line) for line in log.read_text().splitlines()]
    retracted = [e["path"] for e in events if e["event"] == "retracted"]
    assert retracted and all(not p.endswith("crash.txt") for p in retracted)  # processed before the crash
    ids = doc_ids(tmp_path / "out")
    assert len(ids) == len(set(ids)) == 7
    s = run([str(corpus)], tmp_path / "out", workers=1, retry_failed=True, engine_options={"func": crash_once})
    assert (s.processed, s.failed, s.skipped) == (1, 0, 6)
    run([str(corpus)], tmp_path / "clean", workers=2)
    assert snapshot(tmp_path / "out") == snapshot(tmp_path / "clean")


def test_two_workers_end_with_one_file_per_table_and_partition_like_one_worker(tmp_path):
    # Each worker holds rows of nearly every partition at the end; they are gathered in one
    # worker per partition before being written (``LocalEngine._gather``).
    corpus = make_corpus(tmp_path / "in", 6)  # 18 documents, 3 provinces: spread over both workers
    one = run([str(corpus)], tmp_path / "one", workers=1)
    two = run([str(corpus)], tmp_path / "two", workers=2)
    assert one.processed == two.processed == 18
    for out in (tmp_path / "one", tmp_path / "two"):
        for table in PER_DOCUMENT_TABLES:
            parts = [f.parent.name for f in table_files(out, table)]
            assert len(parts) == len(set(parts)) == 3, (out.name, table, parts)
    assert two.batches == one.batches == 3
    assert snapshot(tmp_path / "two") == snapshot(tmp_path / "one")
    assert not [p for p in (tmp_path / "two").rglob("*") if "spill" in p.name]  # hand-over files removed


def die_when_giving(task, timeout):
    """The first worker asked to hand its rows over dies doing it (a marker file remembers)."""
    from pipeline import write
    from pipeline.engines.task import run_task

    marker = Path(task.fs_path).parent / ".gave"
    real = write.WorkerSink.give

    def give(self, parts, path):
        if not marker.exists():
            marker.touch()
            os.kill(os.getpid(), signal.SIGKILL)
        return real(self, parts, path)

    write.WorkerSink.give = give
    return run_task(task, timeout)


def test_a_worker_dying_while_handing_its_rows_over_costs_nothing(tmp_path):
    corpus = make_corpus(tmp_path / "in", 6)
    log = tmp_path / "run.jsonl"
    s = run([str(corpus)], tmp_path / "out", workers=2, engine_options={"func": die_when_giving},
            log_json=str(log))
    assert (tmp_path / "in" / ".gave").exists()  # the hand-over was reached, and one worker died in it
    assert (s.processed, s.failed) == (18, 0)
    events = [json.loads(line) for line in log.read_text().splitlines()]
    assert any(e["event"] == "retracted" for e in events)  # what it held was processed again
    ids = doc_ids(tmp_path / "out")
    assert len(ids) == len(set(ids)) == 18
    run([str(corpus)], tmp_path / "clean", workers=1)
    assert snapshot(tmp_path / "out") == snapshot(tmp_path / "clean")
    assert not [p for p in (tmp_path / "out").rglob("*") if "spill" in p.name]


def test_an_interrupted_run_commits_what_its_workers_held_and_a_rerun_does_the_rest(tmp_path, monkeypatch):
    corpus = make_corpus(tmp_path / "in", 3)  # 9 documents
    real_plan = batch.plan

    def interrupted_plan(*args, **kwargs):
        for i, task in enumerate(real_plan(*args, **kwargs)):
            if i == 5:
                raise KeyboardInterrupt  # Ctrl-C while the workers hold their documents unwritten
            yield task

    monkeypatch.setattr(batch, "plan", interrupted_plan)
    with pytest.raises(KeyboardInterrupt):
        run([str(corpus)], tmp_path / "out", workers=2, batch_size=1000)
    assert sorted(doc_ids(tmp_path / "out")) and len(doc_ids(tmp_path / "out")) == 5
    monkeypatch.setattr(batch, "plan", real_plan)
    s = run([str(corpus)], tmp_path / "out", workers=2)
    assert (s.processed, s.skipped, s.cleaned) == (4, 5, 0)
    run([str(corpus)], tmp_path / "clean", workers=2)
    assert snapshot(tmp_path / "out") == snapshot(tmp_path / "clean")


@pytest.mark.slow
def test_dask_local_cluster_writes_the_same_tables_as_the_local_engine(samples_run, tmp_path):
    t0 = time.perf_counter()
    s = run([str(REPO / "data" / "samples")], tmp_path / "dask", engine="dask", workers=1,
            engine_options={"processes": False})
    assert s.processed == 3 and s.engine.startswith("dask")
    assert snapshot(tmp_path / "dask") == snapshot(samples_run[0])
    assert time.perf_counter() - t0 < 60


def test_inline_engine_writes_the_same_tables_as_the_local_engine(samples_run, tmp_path):
    s = run([str(REPO / "data" / "samples")], tmp_path / "inline", engine="inline")
    assert s.processed == 3 and s.engine.startswith("inline")
    assert snapshot(tmp_path / "inline") == snapshot(samples_run[0])


# --- the command line ----------------------------------------------------------------------------


def test_cli_run_with_path_list_json_log_and_exit_codes(tmp_path, capsys):
    lst = tmp_path / "inputs.txt"
    lst.write_text("# the samples\n" + "\n".join(str(s) for s in SAMPLES[:2]) + "\n", encoding="utf-8")
    log = tmp_path / "run.jsonl"
    out = tmp_path / "out"
    rc = cli_main(["run", "--from-file", str(lst), "--out", str(out), "--workers", "1", "--log-json", str(log),
                   "--batch-size", "1"])
    err = capsys.readouterr().err
    assert rc == 0 and "2 processed, 0 failed, 0 skipped" in err
    events = [json.loads(line) for line in log.read_text(encoding="utf-8").splitlines()]
    kinds = [e["event"] for e in events]
    assert kinds[0] == "start" and kinds[-1] == "summary"
    assert kinds.count("document") == 2 and kinds.count("batch") == 2 and kinds[-2] == "finalize"
    assert {e["path"] for e in events if e["event"] == "document"} == {str(s) for s in SAMPLES[:2]}
    assert events[-1]["processed"] == 2
    assert cli_main(["run", "--out", str(out)]) == 2
    assert cli_main(["run", str(tmp_path / "nothing-here.txt"), "--out", str(tmp_path / "o2")]) == 1
    assert "1 x file not found" in capsys.readouterr().err


def test_cli_run_stops_with_a_clear_error_when_a_worker_cannot_write(tmp_path, capsys):
    out = tmp_path / "out"
    out.mkdir()
    (out / "texts").write_text("a file where the texts table should be")
    rc = cli_main(["run", str(SAMPLES[0]), "--out", str(out), "--workers", "1", "--no-progress"])
    err = capsys.readouterr().err
    assert rc == 2 and "vnplan run: a worker could not write its batch: " in err and "Traceback" not in err


def test_content_moved_to_a_new_path_survives_a_new_file_at_its_old_path(tmp_path):
    src = tmp_path / "in"
    src.mkdir()
    (src / "a.txt").write_bytes(SAMPLES[0].read_bytes())
    out = tmp_path / "out"
    run([str(src)], out, workers=1)
    (src / "a.txt").rename(src / "b.txt")  # moved...
    (src / "a.txt").write_bytes(SAMPLES[1].read_bytes())  # ...and a new document took its name
    s = run([str(src)], out, workers=1)
    assert (s.processed, s.skipped) == (1, 1)
    assert len(doc_ids(out)) == 2
    assert run([str(src)], out, workers=1).skipped == 2
    assert len(doc_ids(out)) == 2


def test_progress_line_on_request_and_silent_otherwise(tmp_path, capsys):
    run([str(SAMPLES[0])], tmp_path / "a", workers=1, progress=True)
    err = capsys.readouterr().err
    assert "\r" in err and "1/1 files" in err and "docs/s" in err and err.endswith("\n")
    run([str(SAMPLES[0])], tmp_path / "b", workers=1)
    assert capsys.readouterr().err == ""


def test_inputs_from_stdin(tmp_path, monkeypatch):
    import io

    monkeypatch.setattr(sys, "stdin", io.StringIO(f"{SAMPLES[0]}\n# comment\n{SAMPLES[2]}\n"))
    s = run([], tmp_path / "out", workers=1, from_file="-", progress=True)
    assert s.processed == 2 and s.total == 2


# --- a model of incremental runs ------------------------------------------------------------------

NAMES = ["a.txt", "b.txt", "sub/c.txt", "sub/d.txt"]
_op = st.one_of(
    st.tuples(st.just("write"), st.sampled_from(NAMES), st.integers(0, 4)),  # add or edit in place
    st.tuples(st.just("move"), st.sampled_from(NAMES), st.sampled_from(NAMES)),
    st.tuples(st.just("touch"), st.sampled_from(NAMES)),
    st.tuples(st.just("run"), st.booleans()),  # a run, forced or not
)


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(ops=st.lists(_op, min_size=1, max_size=10))
def test_after_any_history_out_holds_each_documents_last_seen_content_once(tmp_path_factory, ops):
    import hashlib

    base = tmp_path_factory.mktemp("model")
    src, out = base / "in", base / "out"
    (src / "sub").mkdir(parents=True)

    def content(i: int) -> bytes:  # ids can repeat: the same content under several paths
        return f"KẾ HOẠCH\nThực hiện nhiệm vụ số {i} năm 2026\n".encode()

    # A path keeps pointing at the last content a run saw there: an edited file's old version
    # goes, a vanished file's document stays (a run never deletes what it was not given).
    seen: dict[str, str] = {}

    def check() -> None:
        seen.update({p.relative_to(src).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()[:16]
                     for p in src.rglob("*.txt")})
        docs = read_table(out, "documents").to_pylist()
        ids = [d["doc_id"] for d in docs]
        assert len(ids) == len(set(ids))
        assert set(ids) == set(seen.values())
        for table in ("texts", "sections"):
            assert set(read_table(out, table).column("doc_id").to_pylist()) <= set(ids)

    for op in [*ops, ("run", False)]:
        if op[0] == "write":
            (src / op[1]).write_bytes(content(op[2]))
        elif op[0] == "move" and (src / op[1]).exists() and op[1] != op[2]:
            (src / op[1]).replace(src / op[2])
        elif op[0] == "touch" and (src / op[1]).exists():
            st_ = (src / op[1]).stat()
            os.utime(src / op[1], ns=(st_.st_atime_ns, st_.st_mtime_ns + 10**9))
        elif op[0] == "run":
            run([str(src)], out, engine="inline", force=op[1], partition_by="none")
            check()


# --- the background writer --------------------------------------------------------------


def _outcomes(n: int, province: str = "Lâm Đồng"):
    from pipeline.engines.task import Outcome

    for i in range(n):
        doc_id = f"d{i:05d}"
        tables = {
            "documents": [{"doc_id": doc_id, "status": "ok", "province": province, "source_path": f"{i}.txt"}],
            "texts": [{"doc_id": doc_id, "text": "x" * 2000, "body_end": 2000}],
            "sections": [{"doc_id": doc_id, "section_id": k, "start": k, "end": k + 1} for k in range(5)],
        }
        yield Outcome(f"{i}.txt", doc_id, "ok", tables=tables, input_sha=f"{i:064x}", key=f"k{i}")


def test_background_writer_commits_every_batch_in_flush_order(tmp_path):
    from pipeline.write import BatchWriter

    committed = []
    with RunState(tmp_path).open() as st:
        w = BatchWriter(tmp_path, st, batch_docs=7, max_buffer_bytes=20_000, threads=2,
                        on_commit=lambda m: committed.append(m))
        for o in _outcomes(100):
            assert w.add(o)
        w.close()
        seqs = [m["seq"] for m in committed]
        assert seqs == sorted(seqs) and len(seqs) == len(set(seqs)) > 5
        assert sorted(r[0] for m in committed for r in m["docs"]) == [f"d{i:05d}" for i in range(100)]
    assert sorted(doc_ids(tmp_path)) == [f"d{i:05d}" for i in range(100)]
    assert read_table(tmp_path, "sections").num_rows == 500


@pytest.mark.parametrize("threads", [1, 2, 4])
def test_a_worker_writes_its_last_batches_side_by_side_in_order_and_the_same_files(tmp_path, threads):
    import pyarrow.parquet as pq

    from pipeline.engines.task import SinkConfig
    from pipeline.write import WorkerSink

    def written(out, threads):
        sink = WorkerSink(SinkConfig(str(out), ("province",), 1000, 100 << 20, "1"), seq=7)
        for k, o in enumerate(_outcomes(60)):
            o.tables["documents"]["province"] = [("Lâm Đồng", "Lai Châu", "Cà Mau")[k % 3]]
            sink.add(o, k + 1)
        return list(sink.close_each(threads))

    one, many = written(tmp_path / "a", 1), written(tmp_path / "b", threads)
    assert [b.batch_id for b in many] == [b.batch_id for b in one] == sorted(b.batch_id for b in one)
    assert [(b.part, b.files, b.docs) for b in many] == [(b.part, b.files, b.docs) for b in one]
    assert len(one) == 3  # one batch per province, each written once
    for rel in (rel for b in one for rel in b.files):
        hidden = Path(rel).with_name(".tmp-" + Path(rel).name)  # left for the main process to land
        assert pq.read_table(tmp_path / "b" / hidden).equals(pq.read_table(tmp_path / "a" / hidden))


def test_a_failed_background_write_raises_in_the_caller_and_commits_nothing_after_it(tmp_path, monkeypatch):
    import pipeline.write as write

    real = write.write_parquet_atomic
    calls = {"n": 0}

    def flaky(path, table, fsync=True):
        calls["n"] += 1
        if calls["n"] == 4:  # the second batch's first file
            raise OSError("No space left on device")
        return real(path, table, fsync)

    monkeypatch.setattr(write, "write_parquet_atomic", flaky)
    committed = []
    with RunState(tmp_path).open() as st:
        w = write.BatchWriter(tmp_path, st, batch_docs=10, threads=1, on_commit=lambda m: committed.append(m))
        with pytest.raises(OSError, match="No space"):
            for o in _outcomes(40):
                w.add(o)
            w.close()
    assert len(committed) == 1 and [r[0] for r in committed[0]["docs"]] == [f"d{i:05d}" for i in range(10)]


def test_an_unchanged_rerun_loads_neither_pyarrow_nor_the_extractors(tmp_path):
    # What keeps an unchanged re-run of a large archive to a listing: the main process plans
    # and checks the corpus tables' fingerprint with pipeline.layout alone.
    out = tmp_path / "out"
    subprocess.run([sys.executable, "-m", "pipeline", "run", str(REPO / "data" / "samples"), "--out", str(out),
                    "--no-progress"], check=True, capture_output=True)
    code = ("import sys; from pipeline.cli import main; "
            f"rc = main(['run', {str(REPO / 'data' / 'samples')!r}, '--out', {str(out)!r}, '--no-progress']); "
            "print(rc, sorted(m for m in ('pyarrow', 'pipeline.runner', 'extractors.citations', 'duckdb') "
            "if m in sys.modules))")
    res = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True)
    assert res.stdout.strip() == "0 []"
    assert "0 processed" in res.stderr and "3 skipped" in res.stderr


def test_a_first_run_never_imports_pandas_in_the_main_process_and_frees_arrow_memory(tmp_path):
    # pyarrow would import pandas (0.7 CPU-s) on its first conversion of Python lists;
    # `vnplan run` refuses the import (pipeline/nopandas.py) and the tables are the same.
    code = ("import sys; from pipeline.cli import main; "
            f"rc = main(['run', {str(REPO / 'data' / 'samples')!r}, '--out', {str(tmp_path / 'cli')!r}, "
            "'--no-progress', '--workers', '1']); import pyarrow as pa; "
            "print(rc, 'pandas' in sys.modules, pa.default_memory_pool().backend_name)")
    env = {k: v for k, v in os.environ.items() if k != "ARROW_DEFAULT_MEMORY_POOL"}
    res = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True, env=env)
    # ... and its Arrow memory goes back to the system as batches are written (pipeline/commands/run.py)
    assert res.stdout.strip() == "0 False system", res.stderr
    run([str(REPO / "data" / "samples")], tmp_path / "api", workers=1)  # in this process (pandas is loaded)
    for table in ("documents", "citations", "deadlines", "assignments", "instruments"):
        cli, api = (read_table(tmp_path / d, table).drop_columns(
            [c for c in ("seconds",) if table == "documents"]).to_pylist() for d in ("cli", "api"))
        key = lambda r: repr(sorted(r.items()))  # noqa: E731
        assert sorted(cli, key=key) == sorted(api, key=key), table


def test_the_pandas_refusal_leaves_pandas_usable_afterwards():
    code = ("import pyarrow as pa; from pipeline.nopandas import pandas_refused\n"
            "with pandas_refused() as refused:\n"
            "    t = pa.Table.from_pylist([{'a': 1, 'b': None}])\n"
            "    try:\n        import pandas\n    except ImportError as e:\n        print('refused', 'vnplan run' in str(e))\n"
            "import pandas as pd\n"
            "print(refused, t.to_pandas().shape, pa.array(pd.Series([1.0, None])).null_count)")
    res = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True)
    assert res.stdout.split() == ["refused", "True", "True", "(1,", "2)", "1"], res.stdout


def test_finalize_is_stable_on_an_out_with_empty_tables(tmp_path):
    from pipeline.finalize import finalize

    doc = tmp_path / "in" / "note.txt"
    doc.parent.mkdir()
    doc.write_text("THÔNG BÁO\nVề việc nghỉ lễ\n", encoding="utf-8")  # no citation, deadline or unit
    out = tmp_path / "out"
    run([str(doc.parent)], out, workers=1)
    assert (out / "deadlines" / "part-empty.parquet").exists()
    assert finalize(out) is False  # the empty files it wrote are part of what it recorded
    assert read_table(out, "deadlines").num_rows == 0 and read_table(out, "instruments").num_rows == 0


def test_local_run_leaves_pyarrow_out_of_the_main_process(tmp_path):
    # Its workers write the rows and a child of their fork server rebuilds `instruments`:
    # loading pyarrow in the main process took ~0.25 CPU-s from two workers on two cores.
    out = tmp_path / "out"
    code = ("import sys\nfrom pipeline.cli import main\n"
            f"rc = main(['run', {str(SAMPLES[0])!r}, '--out', {str(out)!r}, '--no-progress'])\n"
            "print(rc, 'pyarrow' in sys.modules)")
    res = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True, cwd=REPO)
    assert res.stdout.split()[-2:] == ["0", "False"], res.stdout + res.stderr
    clean = tmp_path / "inline"
    run([str(SAMPLES[0])], clean, engine="inline")  # finalize in this process
    assert snapshot(out) == snapshot(clean)


def test_finalize_in_a_child_reports_the_childs_failure_from_the_caller(tmp_path):
    from pipeline.finalize import finalize_in_fork_server_child

    out = tmp_path / "out"
    run([str(SAMPLES[0])], out, workers=1)
    assert finalize_in_fork_server_child(out, force=True) is True
    assert finalize_in_fork_server_child(out) is False  # nothing changed
    (f,) = table_files(out, "citations")
    f.write_bytes(b"not parquet")  # the child fails quietly; the caller's own finalize raises
    with pytest.raises(Exception, match="(?i)parquet"):
        finalize_in_fork_server_child(out, force=True)


@pytest.mark.parametrize("workers", [1, 2, 4])
def test_writer_threads_of_all_workers_together_do_not_exceed_two_or_the_cores(tmp_path, monkeypatch, workers):
    from pipeline.engines.local import LocalEngine

    seen = []
    real = LocalEngine.write_in_workers
    monkeypatch.setattr(LocalEngine, "write_in_workers", lambda self, config, seq: (seen.append(config),
                                                                                   real(self, config, seq))[1])
    run([str(SAMPLES[0])], tmp_path / "out", workers=workers)
    cores = len(os.sched_getaffinity(0))
    assert seen[0].flush_threads == max(1, min(2, cores) // workers)


def test_unpartitioned_two_workers_each_write_their_own_rows(tmp_path):
    # One partition: gathering it would leave one worker writing every row (assign_partitions).
    corpus = make_corpus(tmp_path / "in", 6)
    one = run([str(corpus)], tmp_path / "one", workers=1, partition_by="none")
    two = run([str(corpus)], tmp_path / "two", workers=2, partition_by="none")
    assert one.batches == 1 and two.batches in (1, 2)  # 2 unless one worker got every document
    assert snapshot(tmp_path / "two") == snapshot(tmp_path / "one")
