"""pipeline.engines: the per-document task, time limits, the local pool's watchdog, Dask."""

from __future__ import annotations

import hashlib
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from pipeline.document import doc_id_for
from pipeline.engines import DocumentTimeout, Task, make_engine, process_task, time_limit
from pipeline.engines.dask_engine import DaskEngine, run_on_worker
from pipeline.engines.local import LocalEngine
from pipeline.engines.task import Outcome, Retracted, SinkConfig, WrittenBatch, run_task

REPO = Path(__file__).resolve().parent.parent
SAMPLES = sorted((REPO / "data" / "samples").glob("*.txt"))
PLAN = "KẾ HOẠCH\nThực hiện công tác dân vận năm 2026\n".encode()


# Task functions for the pool tests: module-level so worker processes can import them.

def slow_python(task: Task, timeout):
    """A hang the timer signal can interrupt."""
    if "hang" in task.path:
        with time_limit(timeout):
            while True:
                time.sleep(0.01)
    return process_task(task, timeout)


def stubborn(task: Task, timeout):
    """A hang that ignores the timer signal, as code stuck inside a C extension does."""
    if "hang" in task.path:
        signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGALRM})
        time.sleep(60)
    return process_task(task, timeout)


def crashing(task: Task, timeout):
    if "crash" in task.path:
        os.kill(os.getpid(), signal.SIGSEGV)
    return process_task(task, timeout)


def troublesome(task: Task, timeout):
    """``crash.txt`` kills its worker, ``hang.txt`` hangs where the timer cannot reach."""
    if task.path == "crash.txt":
        os.kill(os.getpid(), signal.SIGSEGV)
    if task.path == "hang.txt":
        signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGALRM})
        time.sleep(60)
    return process_task(task, timeout)


def killed_on_crash(task: Task, timeout):
    """``crash*`` kills its worker outright, rows (buffered or not) and all."""
    if "crash" in task.path:
        os.kill(os.getpid(), signal.SIGKILL)
    return run_task(task, timeout)


def pid_of_worker(task: Task, timeout):
    out = process_task(task, timeout)
    out.error = str(os.getpid())
    return out


# --- the task ---------------------------------------------------------------------------------


def test_process_task_from_bytes_file_and_refusal(tmp_path):
    o = process_task(Task("plans.zip!/2026/kh.txt", data=PLAN, input_sha=hashlib.sha256(PLAN).hexdigest()))
    assert o.status == "ok" and o.doc_id == doc_id_for(hashlib.sha256(PLAN).hexdigest())
    assert o.documents_row["source_path"] == "plans.zip!/2026/kh.txt" and o.n_bytes == len(PLAN)
    assert {"documents", "texts", "sections"} <= set(o.tables)
    f = tmp_path / "kh.txt"
    f.write_bytes(PLAN)
    o2 = process_task(Task("rel/kh.txt", fs_path=str(f)))
    assert o2.doc_id == o.doc_id and o2.documents_row["source_path"] == "rel/kh.txt"
    refused = process_task(Task("x.zip!/../a.txt", error="unsafe archive member (zip-slip): ../a.txt escapes"))
    assert refused.status == "failed" and refused.documents_row["error"].startswith("unsafe archive member")
    assert set(refused.tables) == {"documents"}


def test_failed_reads_are_keyed_by_content_and_report_the_users_path(tmp_path):
    missing = process_task(Task("in/gone.txt", fs_path=str(tmp_path / "gone.txt")))
    assert missing.error == "file not found: in/gone.txt"
    blank = b"   \n\t \n"  # ingest refuses it before it hashes anything
    sha = hashlib.sha256(blank).hexdigest()
    from_bytes = process_task(Task("a.zip!/blank.txt", data=blank, input_sha=sha))
    (tmp_path / "blank.txt").write_bytes(blank)
    from_file = process_task(Task("in/blank.txt", fs_path=str(tmp_path / "blank.txt"), input_sha=sha))
    for o in (from_bytes, from_file):
        assert o.status == "failed" and o.error.startswith("empty file")
        assert o.doc_id == doc_id_for(sha) and o.documents_row["source_sha256"] == sha


def test_time_limit_in_the_main_thread_and_in_another_thread():
    with pytest.raises(DocumentTimeout):
        with time_limit(0.05):
            time.sleep(2)  # a blocking call: the signal interrupts it
    with time_limit(0.05):
        pass
    time.sleep(0.1)  # the timer was cancelled: nothing fires later
    caught = []

    def worker():
        try:
            with time_limit(0.05):
                while True:
                    time.sleep(0.005)
        except DocumentTimeout:
            caught.append("timeout")
        with time_limit(0.05):
            pass
        time.sleep(0.1)
        caught.append("clean exit")

    t = threading.Thread(target=worker)
    t.start()
    t.join(5)
    assert caught == ["timeout", "clean exit"]


def test_timeout_inside_process_task_is_a_failed_row(tmp_path):
    fifo = tmp_path / "never-written.txt"
    os.mkfifo(fifo)  # opening it blocks forever: a stuck network mount looks the same
    o = process_task(Task(str(fifo), fs_path=str(fifo)), timeout=0.2)
    assert o.status == "failed" and o.error == "timeout after 0.2s"


def test_make_engine_rejects_unknown_names():
    with pytest.raises(ValueError, match="unknown engine 'spark'"):
        make_engine("spark")


# --- the local pool ----------------------------------------------------------------------------


def _tasks(n: int, tag: str = "doc") -> list[Task]:
    return [Task(f"{tag}-{i}.txt", data=PLAN + str(i).encode()) for i in range(n)]


def test_pool_processes_every_task_on_several_workers():
    outs = list(LocalEngine(workers=2, func=pid_of_worker).run(_tasks(8)))
    assert sorted(o.path for o in outs) == sorted(t.path for t in _tasks(8))
    assert all(o.status == "ok" for o in outs)
    assert len({o.error for o in outs}) == 2  # both workers took documents


def test_pool_pulls_tasks_lazily():
    pulled = []

    def gen():
        for t in _tasks(50):
            pulled.append(t.path)
            yield t

    eng = LocalEngine(workers=2, prefetch=1)
    it = eng.run(gen())
    next(it)
    assert len(pulled) <= 2 * 2 + 1  # two per worker (one running, one queued), one more after an answer
    it.close()


def test_soft_timeout_recycles_the_worker_and_the_run_goes_on():
    tasks = [Task("a.txt", data=PLAN), Task("hang.txt", data=PLAN + b"h"), Task("b.txt", data=PLAN + b"b")]
    t0 = time.monotonic()
    outs = {o.path: o for o in LocalEngine(workers=1, timeout=0.5, func=slow_python).run(tasks)}
    assert outs["hang.txt"].error == "timeout after 0.5s"
    assert outs["a.txt"].status == outs["b.txt"].status == "ok"
    assert time.monotonic() - t0 < 10


def test_hard_timeout_kills_a_worker_that_ignores_the_signal():
    tasks = [Task("hang.txt", data=PLAN), Task("after.txt", data=PLAN + b"x")]
    t0 = time.monotonic()
    outs = {o.path: o for o in LocalEngine(workers=1, timeout=0.3, grace=0.3, func=stubborn).run(tasks)}
    assert outs["hang.txt"].error == "timeout after 0.3s (worker killed)"
    assert outs["after.txt"].status == "ok"
    assert time.monotonic() - t0 < 10


def test_documents_queued_behind_a_failed_worker_go_to_another_one():
    # one worker, so the documents after each bad one wait in the pipe of the worker that ends
    tasks = [Task("crash.txt", data=PLAN), *_tasks(2, "after-crash"),
             Task("hang.txt", data=PLAN + b"h"), *_tasks(2, "after-hang")]
    eng = LocalEngine(workers=1, timeout=0.3, grace=0.3, prefetch=2, func=troublesome)
    outs = [o.path for o in eng.run(tasks)]
    assert sorted(outs) == sorted(t.path for t in tasks)  # each exactly once
    by_path = {o.path: o for o in eng.run(tasks)}
    assert by_path["crash.txt"].error == "worker died: signal 11 (SIGSEGV)"
    assert by_path["hang.txt"].error == "timeout after 0.3s (worker killed)"
    assert [by_path[t.path].status for t in tasks if "after" in t.path] == ["ok"] * 4


def test_a_crashing_worker_costs_only_its_document():
    tasks = [Task("crash.txt", data=PLAN), *_tasks(3)]
    outs = {o.path: o for o in LocalEngine(workers=2, func=crashing).run(tasks)}
    assert outs["crash.txt"].error == "worker died: signal 11 (SIGSEGV)"
    assert [outs[t.path].status for t in _tasks(3)] == ["ok"] * 3


def test_workers_are_recycled_after_max_tasks():
    outs = list(LocalEngine(workers=1, max_tasks_per_worker=2, func=pid_of_worker).run(_tasks(5)))
    assert len({o.error for o in outs}) == 3  # 2 + 2 + 1 documents


def test_a_slow_consumer_never_sends_to_a_worker_that_recycled_itself():
    # The race behind a rare BrokenPipeError on 10,000-document runs: while the caller is busy
    # with one outcome (writing a batch), the worker finishes its queued document, reaches
    # max_tasks and exits; the next document handed to it must go to another worker.
    def slowly(outcomes):
        for o in outcomes:
            time.sleep(0.15)
            yield o

    tasks = _tasks(7)
    outs = list(slowly(LocalEngine(workers=1, max_tasks_per_worker=2, func=pid_of_worker).run(tasks)))
    assert sorted(o.path for o in outs) == sorted(t.path for t in tasks)  # each exactly once
    assert all(o.status == "ok" for o in outs)


# --- workers writing their own batches ---------------------------------------------------------


def _writing_engine(out: Path, func=run_task, workers: int = 1, batch_docs: int = 1000, **kw) -> LocalEngine:
    eng = LocalEngine(workers=workers, func=func, **kw)
    seqs = iter(range(1, 1000))
    eng.write_in_workers(SinkConfig(str(out), (), batch_docs, 64 << 20, "1"), lambda: next(seqs))
    return eng


def test_workers_write_batches_under_hidden_names_and_report_every_document_once(tmp_path):
    items = list(_writing_engine(tmp_path, workers=2, batch_docs=3).run(_tasks(8)))
    outcomes = [i for i in items if isinstance(i, Outcome)]
    batches = [i for i in items if isinstance(i, WrittenBatch)]
    assert all(o.buffered and o.tables == {} and o.status == "ok" for o in outcomes) and len(outcomes) == 8
    assert sorted(o.path for b in batches for o in b.docs) == sorted(t.path for t in _tasks(8))
    assert all(1 <= len(b.docs) <= 3 for b in batches)  # at most batch_docs; then what each worker held
    by_worker: dict[str, list[str]] = {}  # one sequence number per worker, its batches numbered from 0
    for b in batches:
        by_worker.setdefault(b.batch_id[:10], []).append(b.batch_id[11:])
    assert set(by_worker) <= {"b000000001", "b000000002"}
    assert all(ns == [f"{k:06x}" for k in range(len(ns))] for ns in by_worker.values())
    for b in batches:  # written, not yet in place: the main process lands them when it commits
        assert sorted(b.tables) == sorted(f.split("/")[0] for f in b.files)
        for f in b.files:
            assert not (tmp_path / f).exists() and (tmp_path / f).with_name(".tmp-" + Path(f).name).is_file()


def test_a_dead_workers_unwritten_documents_are_retracted_and_processed_again(tmp_path):
    tasks = [*_tasks(3, "before"), Task("crash.txt", data=PLAN + b"c"), *_tasks(2, "after")]
    items = list(_writing_engine(tmp_path, func=killed_on_crash).run(tasks))
    (retracted,) = [i for i in items if isinstance(i, Retracted)]
    assert [o.path for o in retracted.outcomes] == ["before-0.txt", "before-1.txt", "before-2.txt"]
    assert retracted.reason == "worker died: signal 9 (SIGKILL) before writing them"
    (crash,) = [i for i in items if isinstance(i, Outcome) and i.path == "crash.txt"]
    assert crash.error == "worker died: signal 9 (SIGKILL)" and not crash.buffered and crash.tables
    written = [o.path for b in items if isinstance(b, WrittenBatch) for o in b.docs]
    assert sorted(written) == sorted(t.path for t in tasks if t.path != "crash.txt")  # each exactly once


def test_a_worker_that_cannot_write_stops_the_run(tmp_path):
    from pipeline.engines.local import WriteError

    (tmp_path / "texts").write_text("a file where a table directory should be")
    with pytest.raises(WriteError, match="a worker could not write its batch: .*Error"):
        list(_writing_engine(tmp_path, batch_docs=2).run(_tasks(4)))


def test_drain_after_an_interruption_yields_what_the_workers_held(tmp_path):
    def interrupted():
        yield from _tasks(4)
        raise KeyboardInterrupt

    eng = _writing_engine(tmp_path, workers=2)
    seen = []
    with pytest.raises(KeyboardInterrupt):
        for item in eng.run(interrupted()):
            seen.append(item)
    seen += list(eng.drain())
    assert sorted(o.path for b in seen if isinstance(b, WrittenBatch) for o in b.docs) == \
        sorted(t.path for t in _tasks(4))
    assert not eng._pool


# --- Dask -------------------------------------------------------------------------------------


def test_dask_worker_raises_for_a_file_it_cannot_see_so_dask_retries():
    task = Task("x.txt", fs_path="/nonexistent/x.txt", input_sha="ab" * 32)
    with pytest.raises(OSError, match="not readable on worker"):
        run_on_worker(task, None)
    # without a hash the client never read it either: an ordinary failed row
    assert run_on_worker(Task("x.txt", fs_path="/nonexistent/x.txt"), None).error == "file not found: x.txt"


@pytest.mark.slow
def test_dask_local_cluster_runs_tasks_retries_and_times_out():
    eng = DaskEngine(workers=1, processes=False, timeout=0.5, retries=1, func=slow_python)
    tasks = [*_tasks(3), Task("hang.txt", data=PLAN + b"h"),
             Task("gone.txt", fs_path="/nonexistent/gone.txt", input_sha="cd" * 32)]
    outs = {o.path: o for o in eng.run(tasks)}
    assert [outs[t.path].status for t in _tasks(3)] == ["ok"] * 3
    assert outs["hang.txt"].error == "timeout after 0.5s"
    assert outs["gone.txt"].error.startswith("task failed after 1 retries: WorkerCannotRead: ")


def test_a_script_without_a_main_guard_can_call_run(tmp_path):
    import subprocess
    import sys

    script = tmp_path / "script.py"
    script.write_text(f"from pipeline import run\n"
                      f"s = run([{str(SAMPLES[0])!r}, {str(SAMPLES[1])!r}], {str(tmp_path / 'out')!r}, workers=2)\n"
                      f"print('RESULT', s.processed, s.failed)\n")
    proc = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=120, cwd=tmp_path)
    assert proc.stdout.splitlines() == ["RESULT 2 0"], proc.stderr[-2000:]


def test_the_fork_server_warm_up_exercises_every_extractor():
    # The warm-up only pays off if its sample reaches every stage's lazy tables.
    from pipeline.engines import warm
    from pipeline.runner import process_text

    tables = process_text(warm._SAMPLE).tables
    assert {t: bool(rows) for t, rows in tables.items()} == {
        "sections": True, "citations": True, "deadlines": True, "assignments": True,
        "documents": True, "texts": True}
    assert tables["documents"][0]["province"] == "Lâm Đồng"


def test_the_fork_server_module_does_not_import_the_pipeline():
    code = ("import sys, pipeline.engines.server, pipeline.cli; "
            "print(sorted(m for m in ('pipeline.runner', 'extractors.citations', 'pyarrow') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


@pytest.mark.parametrize("argv, local", [
    (["run", "data", "--out", "o"], True),
    (["run", "data", "--out", "o", "--workers", "2", "--engine", "local"], True),
    (["run", "data", "--out", "o", "--engine", "dask"], False),
    (["run", "data", "--out", "o", "--engine=inline"], False),
    (["run", "data", "--out", "o", "--scheduler", "tcp://h:8786"], False),
    (["run", "--help"], False),
    (["query", "out", "SELECT 1"], False),
    ([], False),
])
def test_the_fork_server_is_started_early_only_for_local_runs(argv, local):
    from pipeline.cli import _runs_local_pool

    assert _runs_local_pool(argv) is local


MB = 1 << 20


@pytest.mark.parametrize("holdings, expected", [
    # a partition only one worker holds stays with it
    ([{"a": 3 * MB}, {"b": 2 * MB}], {"a": 0, "b": 1}),
    # shared partitions go to the least loaded holder, the largest first
    ([{"a": 30 * MB, "b": 2 * MB, "c": 5 * MB}, {"b": 40 * MB, "c": 4 * MB, "d": MB}],
     {"a": 0, "d": 1, "b": 1, "c": 0}),
    # by bytes, not documents: one worker's large partition balances many small shared ones
    ([{"big": 12 * MB, "s1": MB // 4, "s2": MB // 4, "s3": MB // 4},
      {"s1": MB // 4, "s2": MB // 4, "s3": MB // 4}],
     {"big": 0, "s1": 1, "s2": 1, "s3": 1}),
    # one partition: gathering would leave one worker writing everything
    ([{"": 300 * MB}, {"": 290 * MB}], {}),
])
def test_partitions_are_shared_out_by_the_bytes_each_worker_would_write(holdings, expected):
    from pipeline.engines.local import assign_partitions

    assert assign_partitions(holdings) == expected
