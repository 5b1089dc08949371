"""The default engine: a pool of worker processes on this machine, with a watchdog.

Why not ``concurrent.futures.ProcessPoolExecutor``: one worker that segfaults in a PDF
library or hangs in C code would break or stall the whole pool. Here every worker is a
process with its own pipe; the main process hands it one document at a time, and

* a document over the time limit is first interrupted inside the worker (a timer
  signal: the worker answers "timeout after Ns" and is replaced), and if the worker
  does not answer within a grace period it is killed and replaced;
* a worker that dies (segfault, out-of-memory kill) costs only its current document,
  recorded as "worker died: ...";
* workers are recycled after ``max_tasks_per_worker`` documents so a slow leak in a
  library cannot grow memory over a long run.

Workers start from a fork server that has imported the pipeline once, so starting or
replacing one takes milliseconds and never forks a process that has threads.
"""

from __future__ import annotations

import multiprocessing
import multiprocessing.connection
import os
import signal
import time
from collections import deque
from pathlib import Path
from typing import Callable, Iterable, Iterator

from ..commit import TMP_PREFIX
from ..manifest import STATE_DIR
from .server import context, main_module_hidden
from .task import (DocumentTimeout, Outcome, Retracted, SinkConfig, Task, failed_outcome, process_task, run_task,
                   timeout_error)



class _Poller:
    """``multiprocessing.connection.wait`` for the same connections again and again.

    ``wait`` builds a selector and registers every connection on each call: with a document
    answered every few milliseconds, that was a fifth of this process's CPU time during a
    run, which two workers on two cores give up. This keeps one ``poll`` object while the
    set of connections stays the same.
    """

    def __init__(self):
        self._conns: tuple = ()
        self._poll = None
        self._by_fd: dict = {}

    def wait(self, conns: list, timeout: float | None = None) -> list:
        """The connections of ``conns`` ready to read (or closed), waiting up to ``timeout`` s."""
        import select

        if tuple(conns) != self._conns:
            self._conns = tuple(conns)
            self._poll = select.poll()
            self._by_fd = {}
            for c in conns:
                self._poll.register(c.fileno(), select.POLLIN)
                self._by_fd[c.fileno()] = c
        ms = None if timeout is None else max(0, int(timeout * 1000 + 0.999))  # round up: never spin
        while True:
            try:
                return [self._by_fd[fd] for fd, _ in self._poll.poll(ms)]
            except InterruptedError:  # pragma: no cover - retried by Python itself since 3.5
                continue


def default_workers() -> int:
    """The cores this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        return os.cpu_count() or 1


PARTITION_BYTES = 1 << 20  # a partition's fixed cost to write (a file per table) ~ writing 1 MiB of its rows


def assign_partitions(holdings: list[dict[str, int]]) -> dict[str, int]:
    """Which worker writes each partition at the end of a run, given the bytes of rows of
    each partition every worker holds; ``{}`` when each had better write what it holds.

    A partition only one worker holds stays there; the others go to one of their holders,
    the least loaded first, largest partitions first, so that the workers share the
    writing out evenly. A worker's load counts one per partition (a file per table, ~8 ms
    of fixed cost) and one per ``PARTITION_BYTES`` of rows (~8 ms of encoding): bytes, not
    documents, since one partition of long plans can take as long as twenty of short ones.
    Gathering saves files but moves rows: with few partitions (``--partition-by none``:
    one) it would leave one worker writing nearly everything, and then each worker writes
    its own.

    >>> MB = PARTITION_BYTES
    >>> assign_partitions([{"a": 30 * MB, "b": 2 * MB, "c": 5 * MB}, {"b": 40 * MB, "c": 4 * MB, "d": MB}])
    {'a': 0, 'd': 1, 'b': 1, 'c': 0}
    >>> assign_partitions([{"big": 12 * MB, "s1": MB // 4, "s2": MB // 4}, {"s1": MB // 4, "s2": MB // 4}])
    {'big': 0, 's1': 1, 's2': 1}
    >>> assign_partitions([{"": 300 * MB}, {"": 290 * MB}])
    {}
    """
    def cost(nbytes: int) -> float:
        return 1 + nbytes / PARTITION_BYTES

    owners: dict[str, int] = {}
    load = [0.0] * len(holdings)
    shared = []
    for part in sorted(set().union(*holdings)):
        holders = [i for i, h in enumerate(holdings) if part in h]
        if len(holders) == 1:
            owners[part] = holders[0]
            load[holders[0]] += cost(holdings[holders[0]][part])
        else:
            shared.append((sum(holdings[i][part] for i in holders), part, holders))
    for total, part, holders in sorted(shared, key=lambda x: (-x[0], x[1])):
        i = min(holders, key=lambda i: (load[i], -holdings[i][part], i))
        owners[part] = i
        load[i] += cost(total)
    as_held = max((sum(cost(n) for n in h.values()) for h in holdings), default=0.0)
    return owners if max(load, default=0.0) <= as_held else {}


def _partition_bytes(w: "_Worker") -> dict[str, int]:
    """The bytes of rows the worker holds per partition (at least 1 per document)."""
    held: dict[str, int] = {}
    for _, out in w.buffered.values():
        held[out.part] = held.get(out.part, 0) + max(1, out.row_bytes)
    return held


def _describe_exit(code: int | None) -> str:
    if code is None:
        return "still running"
    if code < 0:
        try:
            return f"signal {-code} ({signal.Signals(-code).name})"
        except ValueError:
            return f"signal {-code}"
    return f"exit code {code}"


def _worker_main(conn, func: Callable[[Task, float | None], Outcome], timeout: float | None,
                 max_tasks: int, sink_config: SinkConfig | None = None, seq: int = 0) -> None:
    """A worker's loop: answer each task with ``(outcome, recycle, ordinal, batches, error)``.

    With a ``sink_config`` the worker buffers and writes its documents' rows itself
    (``pipeline.write.WorkerSink``): the outcome it answers carries no rows, ``ordinal``
    numbers it, ``batches`` lists what it wrote (``WrittenBatch``). ``None`` asks it to write
    what it holds and stop: it answers ``(None, False, None, [batch], None)`` per batch as it
    is written, then ``(None, True, None, [], None)``; ``error`` says that writing failed.

    At the end of a run, partitions change hands before they are written
    (``LocalEngine._gather``): ``("give", (parts, file))`` is answered with ``("given", index,
    error)`` (``WorkerSink.give`` wrote those partitions' rows to ``file``); ``("take", given)``
    adds rows other workers gave (``WorkerSink.take``) and then acts as ``None``.
    """
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the main process's to handle
    sink = None
    if sink_config is not None:
        from ..write import WorkerSink

        sink = WorkerSink(sink_config, seq)
    done = 0
    while True:
        try:
            task = conn.recv()
        except (EOFError, OSError):  # the main process is gone: what was not written is not committed anyway
            return
        if isinstance(task, tuple):
            kind, arg = task
            try:
                if kind == "give":
                    conn.send(("given", sink.give(*arg), None))
                    continue
                sink.take(arg)
            except (BrokenPipeError, EOFError):
                return
            except Exception as e:
                _send_quietly(conn, ("given", [], _write_error(e)) if kind == "give"
                              else (None, True, None, [], _write_error(e)))
                return
            task = None  # "take" ends with writing everything, as a request to stop does
        if task is None:
            if sink is not None:
                try:
                    for batch in sink.close_each():
                        conn.send((None, False, None, [batch], None))
                    conn.send((None, True, None, [], None))
                except Exception as e:
                    _send_quietly(conn, (None, True, None, [], _write_error(e)))
            return
        try:
            out = func(task, timeout)
        except DocumentTimeout:  # func ran its own time limit without handling it
            out = failed_outcome(task, timeout_error(timeout or 0))
        except BaseException as e:  # a bug in func itself; the pool goes on
            out = failed_outcome(task, f"internal error: {type(e).__name__}: {e}")
        done += 1
        # After a time-out the interrupted code may have left caches half-built: start afresh.
        recycle = bool(out.error and out.error.startswith("timeout after")) or (max_tasks and done >= max_tasks)
        batches = []
        if sink is not None:
            try:
                batches = sink.add(out, done)
                if recycle:
                    batches += sink.close()
            except Exception as e:
                _send_quietly(conn, (None, True, None, [], _write_error(e)))
                return
            out = out.light(sink.parts.last_part, sink.parts.last_bytes)
        try:
            conn.send((out, recycle, done, batches, None))
        except (BrokenPipeError, OSError):
            return
        except Exception as e:  # rows that do not pickle
            conn.send((failed_outcome(task, f"internal error: unpicklable result: {e}"), recycle, None, batches,
                       None))
        if recycle:
            return


def _write_error(e: BaseException) -> str:
    return f"a worker could not write its batch: {type(e).__name__}: {e}"


def _send_quietly(conn, msg) -> None:
    try:
        conn.send(msg)
    except Exception:
        pass


class WriteError(RuntimeError):
    """A worker could not write its documents' rows (disk full, permissions): the run stops."""


class _Worker:
    """A worker process and the tasks sent to it: the first is running, the rest wait in its pipe."""

    def __init__(self, ctx, func, timeout, max_tasks, sink_config=None, seq=0):
        self.seq = seq  # of its batch ids; with an ordinal, names a document it processed
        self.conn, child = ctx.Pipe(duplex=True)
        self.proc = ctx.Process(target=_worker_main, args=(child, func, timeout, max_tasks, sink_config, seq),
                                daemon=True, name="vnplan-worker")
        with main_module_hidden():
            self.proc.start()
        child.close()
        self.tasks: deque[Task] = deque()
        self.since = 0.0  # when the running task started (at the latest)
        # Documents processed but still in the worker's buffer, in arrival order: lost if it
        # dies. Keyed by the worker's ordinal, or (seq, ordinal) for rows another worker gave it.
        self.buffered: dict[int | tuple[int, int], tuple[Task, Outcome]] = {}
        self.closing = False  # asked to write what it holds and stop

    def close(self) -> None:
        """Ask the worker to write what it holds and stop (after the tasks it has)."""
        self.closing = True
        self.since = time.monotonic() if not self.tasks else self.since
        try:
            self.conn.send(None)
        except OSError:  # already gone: the main loop reads that from the pipe
            pass

    def lost(self, reason: str) -> tuple[Retracted, list[Task]] | None:
        """What the worker held unwritten, now lost: its documents go back to the queue."""
        if not self.buffered:
            return None
        held = list(self.buffered.values())
        self.buffered.clear()
        return Retracted([out for _, out in held], reason), [task for task, _ in held]

    def send(self, task: Task) -> None:
        if not self.tasks:
            self.since = time.monotonic()
        self.tasks.append(task)
        try:
            self.conn.send(task)
        except OSError:
            # The worker has ended since we last heard from it: it reached max_tasks (its
            # last answer, saying so, is still in the pipe) or it died. The main loop reads
            # that from the pipe and hands this task, still in ``tasks``, to another worker.
            pass

    def done(self) -> Task:
        """The running task has answered: the next one (already in the pipe) starts now."""
        task = self.tasks.popleft()
        self.since = time.monotonic()
        return task

    def stop(self, kill: bool = False) -> list[Task]:
        """End the process; returns the tasks it had not started (to hand to another worker)."""
        if kill or self.tasks:
            self.proc.kill()
        else:
            try:
                self.conn.send(None)
            except OSError:
                self.proc.kill()
        self.proc.join(5)
        if self.proc.is_alive():  # pragma: no cover - ignored the polite request
            self.proc.kill()
            self.proc.join()
        self.conn.close()
        return list(self.tasks)


class LocalEngine:
    """Process pool over this machine's cores.

    ``run`` yields each document's ``Outcome``. After ``write_in_workers``, workers also
    write the rows (``pipeline.write.WorkerSink``): outcomes then come without rows
    (``buffered``), followed by the ``WrittenBatch``es holding them, and a ``Retracted``
    when a worker died with documents it had not written yet (they are processed again).

    >>> from pipeline.engines.task import Task
    >>> eng = LocalEngine(workers=1)
    >>> [o.status for o in eng.run([Task("a.txt", data="KẾ HOẠCH".encode())])]   # doctest: +SKIP
    ['ok']
    """

    name = "local"

    def __init__(self, workers: int | None = None, timeout: float | None = None,
                 func: Callable[[Task, float | None], Outcome] = process_task,
                 max_tasks_per_worker: int = 2000, grace: float = 5.0, prefetch: int = 1, can_write: bool = True,
                 gather: bool = True):
        self.workers = max(1, workers or default_workers())
        self.can_write = can_write  # whether ``pipeline.batch.run`` may let the workers write (``write_in_workers``)
        self.gather = gather  # each partition's last rows written by one worker (``_gather``)
        self.prefetch = prefetch
        self.timeout = timeout or None
        self.func = func
        self.max_tasks = max_tasks_per_worker
        self.grace = grace
        self.ctx = context()
        self.sink: SinkConfig | None = None
        self.new_seq: Callable[[], int] | None = None
        self._pool: list[_Worker] = []
        self._spills: list[str] = []  # files of rows handed from one worker to another (``_gather``)

    def describe(self) -> str:
        return f"local, {self.workers} worker{'s' * (self.workers > 1)}"

    def write_in_workers(self, config: SinkConfig, new_seq: Callable[[], int]) -> None:
        """Let every worker buffer and write its own documents' rows.

        ``new_seq()`` gives each new worker the sequence number of its batch ids (unique in
        OUT). The memory budget ``config.max_buffer_bytes`` is each worker's.
        """
        self.sink, self.new_seq = config, new_seq
        if self.func is process_task:  # rows stay Python objects until the worker's own buffer
            self.func = run_task

    def _start(self) -> _Worker:
        w = _Worker(self.ctx, self.func, self.timeout, self.max_tasks, self.sink,
                    self.new_seq() if self.sink is not None else 0)
        self._pool.append(w)
        return w

    def _answer(self, w: _Worker, retry: deque) -> Iterator:
        """Read one answer of ``w``: its outcome, the batches it wrote, or the news of its end."""
        try:
            out, recycle, ordinal, batches, error = w.conn.recv()
        except (EOFError, OSError):
            w.proc.join(5)
            yield from self._retire(w, retry, f"worker died: {_describe_exit(w.proc.exitcode)}")
            return
        if error:
            raise WriteError(error)
        if out is not None:
            task = w.done()
            if out.buffered:
                w.buffered[ordinal] = (task, out)
            yield out
        for b in batches:
            if not all(k in w.buffered for k in b.docs):
                # An interruption came between a document's answer and its bookkeeping: a
                # batch not known in full is not committed (its hidden files are removed by
                # the next run, which processes its documents again).
                continue
            b.docs = [w.buffered.pop(k)[1] for k in b.docs]
            yield b
        if recycle:  # it ended by itself, having written everything
            yield from self._retire(w, retry)

    def _retire(self, w: _Worker, retry: deque, died: str | None = None, kill: bool = False,
                lost_reason: str | None = None) -> Iterator:
        """Remove ``w`` from the pool: the task it was running fails with ``died``, those it had
        not started and those it processed but had not written go back to the queue."""
        running = w.tasks.popleft() if died and w.tasks else None
        since = w.since
        self._pool.remove(w)
        retry.extendleft(reversed(w.stop(kill)))
        lost = w.lost(f"{died or lost_reason or 'worker ended'} before writing them")
        if lost is not None:
            retracted, tasks = lost
            retry.extendleft(reversed(tasks))
            yield retracted
        if running is not None:
            yield failed_outcome(running, died, time.monotonic() - since)

    def _finish(self, retry: deque) -> Iterator:
        """No document is left to hand out: let the workers that have finished theirs write.

        With ``gather``, workers holding rows wait until every one has finished; then each
        partition's rows are gathered in one of them (``_gather``), so that the end of the run
        writes one file per table and partition instead of one per worker, and the workers
        share those files out instead of each writing one for nearly every partition.
        """
        open_ = [w for w in self._pool if not w.closing]
        for w in open_:
            if not w.tasks and not (w.buffered and self.gather):
                w.close()  # nothing to gather, or no gathering: it writes what it holds (while others finish)
        holding = [w for w in open_ if not w.closing]
        if holding and not any(w.tasks for w in holding):
            if len(holding) > 1:
                yield from self._gather(holding, retry)
            else:
                holding[0].close()

    def _gather(self, workers: list[_Worker], retry: deque) -> Iterator:
        """Move each partition's rows to the worker that writes it (``assign_partitions``), then
        let every worker write what it holds.

        A worker gives the rows of the partitions it does not write as a file of IPC messages
        (hidden, in the run state's directory: removed at the end of the run, or by the next
        run after a crash), which their writers map into memory; only the file's index passes
        through this process. A worker that dies meanwhile loses what it held
        (``Retracted``, processed again), and so do the rows given for it to write.
        """
        holdings = [_partition_bytes(w) for w in workers]
        if any(None in h for h in holdings):  # pragma: no cover - a worker that does not say
            for w in workers:
                w.close()
            return
        owners = assign_partitions(holdings)
        gives = [sorted(p for p in h if owners.get(p, i) != i) for i, h in enumerate(holdings)]
        hard = self.timeout + self.grace if self.timeout else None
        spill_dir = Path(self.sink.out, STATE_DIR, "batches")
        paths = {}
        for w, parts in zip(workers, gives):
            if parts:
                w.since = time.monotonic()
                paths[id(w)] = path = str(spill_dir / f"{TMP_PREFIX}spill-{w.seq:09d}.arrow")
                self._spills.append(path)
                _send_quietly(w.conn, ("give", (parts, path)))
        received = []
        for w, parts in zip(workers, gives):
            if not parts:
                continue
            try:
                if hard and not w.conn.poll(hard):
                    raise TimeoutError
                kind, given, error = w.conn.recv()
            except (EOFError, OSError, TimeoutError):
                w.proc.join(0.1)
                yield from self._retire(w, retry, kill=True,
                                        lost_reason=f"worker died: {_describe_exit(w.proc.exitcode)}")
                continue
            if error:
                raise WriteError(error)
            received += [(w, part, docs, spans) for part, docs, spans in given]
        to: dict[int, list] = {id(w): [] for w in workers}
        for giver, part, docs, spans in received:
            held = [giver.buffered.pop(k) for k in docs]
            owner = workers[owners[part]]
            if owner not in self._pool:
                retry.extend(task for task, _ in held)
                yield Retracted([out for _, out in held], "its worker died before writing them")
                continue
            keys = [(giver.seq, k) for k in docs]
            owner.buffered.update(zip(keys, held))
            to[id(owner)].append((paths[id(giver)], part, keys, spans))
        for w in workers:
            if w in self._pool:
                w.closing = True
                w.since = time.monotonic()
                _send_quietly(w.conn, ("take", to[id(w)]))

    def run(self, tasks: Iterable[Task]) -> Iterator:
        """Outcomes of ``tasks`` in completion order; pulls tasks only as workers free up.

        Each worker holds up to ``1 + prefetch`` tasks, so it starts its next document while
        this process is busy writing a batch.
        """
        pool = self._pool
        it = iter(tasks)
        retry: deque[Task] = deque()  # to hand to a worker again (their worker ended or died)
        exhausted = False
        hard = self.timeout + self.grace if self.timeout else None
        depth = 1 + self.prefetch
        poller = _Poller()

        def take() -> Task | None:
            nonlocal exhausted
            if retry:
                return retry.popleft()
            task = None if exhausted else next(it, None)
            exhausted = task is None
            return task

        try:
            while True:
                while True:  # an idle worker first, a new one next, then a queue slot
                    active = [w for w in pool if not w.closing]
                    w = min(active, key=lambda w: len(w.tasks), default=None)
                    if len(active) < self.workers and (w is None or w.tasks):
                        w = None
                    elif w is None or len(w.tasks) >= depth:
                        break
                    task = take()
                    if task is None:
                        break
                    if w is None:
                        w = self._start()
                    w.send(task)
                if self.sink is not None and exhausted and not retry:
                    yield from self._finish(retry)
                busy = [w for w in pool if w.tasks or w.closing]
                if not busy:
                    if exhausted and not retry:
                        self._remove_spills()
                        return
                    continue
                wait = None
                if hard:
                    wait = max(0.0, min(w.since + hard for w in busy) - time.monotonic())
                ready = poller.wait([w.conn for w in busy], timeout=wait)
                for w in busy:
                    if w.conn in ready:
                        yield from self._answer(w, retry)
                    elif hard and time.monotonic() - w.since >= hard:
                        if w.tasks:
                            yield from self._retire(w, retry, timeout_error(self.timeout, killed=True), kill=True)
                        else:  # stuck writing its batches
                            yield from self._retire(w, retry, kill=True)
        except BaseException as e:
            if self.sink is not None and not isinstance(e, (WriteError, GeneratorExit)):
                # Interrupted (Ctrl-C): the workers hold processed documents; the caller may
                # still ``drain()`` them, which then stops the pool.
                raise
            self.close()
            raise
        self.close()

    def close(self) -> None:
        """Stop every worker left (killing those holding unwritten rows: nothing to wait for)."""
        for w in list(self._pool):
            w.stop(kill=self.sink is not None)
        self._pool.clear()
        self._remove_spills()

    def _remove_spills(self) -> None:
        """Remove the files of rows handed over (``_gather``): every worker has ended, so
        their rows are written or lost with their writer."""
        for path in self._spills:
            try:
                os.unlink(path)
            except OSError:
                pass
        self._spills.clear()

    def drain(self, timeout: float | None = None) -> Iterator:
        """After an interruption: let the workers write what they hold, and yield it.

        Each worker finishes the tasks it has, writes its batches and stops; one that has
        not within ``timeout`` seconds (default: the grace period) is killed, and what it
        held is lost (a ``Retracted``; the next run processes those documents).
        """
        pool = self._pool
        if self.sink is None or not pool:
            self.close()
            return
        deadline = time.monotonic() + (self.grace if timeout is None else timeout)
        retry: deque[Task] = deque()  # not handed to anyone again: the run is stopping
        try:
            for w in pool:
                if not w.closing:
                    w.close()
            while pool:
                left = deadline - time.monotonic()
                ready = multiprocessing.connection.wait([w.conn for w in pool], timeout=max(0.0, left))
                if not ready:
                    for w in list(pool):
                        w.tasks.clear()
                        yield from self._retire(w, retry, kill=True)
                    return
                for w in list(pool):
                    if w.conn in ready:
                        yield from self._answer(w, retry)
        finally:
            self.close()
