"""pipeline.readahead: files hashed ahead in a thread, everything else as the planner saw it."""

from __future__ import annotations

import hashlib
import threading
import time

import pytest

from pipeline.inputs import Source, iter_sources
from pipeline.readahead import read_ahead


def _files(tmp_path, n):
    paths = []
    for i in range(n):
        p = tmp_path / f"{i:03d}.txt"
        p.write_bytes(f"plan {i}".encode() * (i + 1))
        paths.append(p)
    return paths


def test_sources_come_in_order_with_their_hashes_computed_ahead(tmp_path):
    paths = _files(tmp_path, 40)
    got = list(read_ahead(iter_sources([str(tmp_path)])))
    assert [s.fs_path for s in got] == [str(p) for p in paths]
    assert all(s._digest is not None for s in got)  # computed by the thread, not on demand
    assert [s.sha256() for s in got] == [hashlib.sha256(p.read_bytes()).hexdigest() for p in paths]


def test_unwanted_sources_are_not_hashed_ahead(tmp_path):
    _files(tmp_path, 6)
    got = list(read_ahead(iter_sources([str(tmp_path)]), wanted=lambda s: s.fs_path.endswith(("0.txt", "2.txt"))))
    assert [s._digest is not None for s in got] == [True, False, True, False, False, False]
    assert got[1].sha256() == hashlib.sha256(b"plan 1" * 2).hexdigest()  # still hashed when asked


def test_an_error_of_the_sources_is_raised_where_the_sequence_broke(tmp_path):
    paths = _files(tmp_path, 3)

    def sources():
        yield Source(str(paths[0]), fs_path=str(paths[0]))
        yield Source(str(paths[1]), fs_path=str(paths[1]))
        raise OSError("input disappeared")

    it = read_ahead(sources())
    assert next(it).fs_path == str(paths[0])
    assert next(it).fs_path == str(paths[1])
    with pytest.raises(OSError, match="input disappeared"):
        next(it)


def test_the_thread_never_moves_past_an_archive_member_the_planner_holds():
    pulled = []

    def sources():
        for i in range(5):
            pulled.append(i)
            yield Source(f"a.zip!/{i}.txt", reader=lambda i=i: f"member {i}".encode())

    it = read_ahead(sources())
    for i in range(5):
        src = next(it)
        time.sleep(0.02)  # give the thread every chance to run ahead
        assert pulled[-1] == i  # the archive stream is still at this member
        assert src.read_bytes() == f"member {i}".encode()
    assert list(it) == []


def test_closing_early_stops_the_thread(tmp_path):
    _files(tmp_path, 30)
    it = read_ahead(iter_sources([str(tmp_path)]), max_items=2)
    next(it)
    it.close()
    deadline = time.monotonic() + 5
    while any(t.name == "vnplan-read-ahead" for t in threading.enumerate()) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not any(t.name == "vnplan-read-ahead" for t in threading.enumerate())


def test_at_the_first_archive_member_the_rest_is_iterated_by_the_planner(tmp_path):
    paths = _files(tmp_path, 3)
    threads = []

    def sources():
        for p in paths:
            threads.append(threading.current_thread().name)
            yield Source(str(p), fs_path=str(p))
        for i in range(3):
            threads.append(threading.current_thread().name)
            yield Source(f"a.zip!/{i}.txt", reader=lambda i=i: b"m")
        threads.append(threading.current_thread().name)
        yield Source(str(paths[0]), fs_path=str(paths[0]))

    got = list(read_ahead(sources()))
    assert [s.path for s in got] == [str(p) for p in paths] + [f"a.zip!/{i}.txt" for i in range(3)] + [str(paths[0])]
    assert threads[:4] == ["vnplan-read-ahead"] * 4  # the files, and reaching the first member
    assert set(threads[4:]) == {threading.current_thread().name}  # the rest: the planner's own thread
    assert got[0]._digest is not None and got[-1]._digest is None
