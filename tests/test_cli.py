"""The command line: help for every command, exit codes, errors that must not pass for success."""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from pipeline import cli

REPO = Path(__file__).resolve().parents[1]


def test_help_lists_every_command(capsys):
    with pytest.raises(SystemExit) as e:
        cli.main(["--help"])
    assert e.value.code == 0
    out = capsys.readouterr().out
    for cmd in ("run", "evaluate", "summary", "cites", "audit", "query", "report", "deadlines", "units"):
        assert cmd in out


@pytest.mark.parametrize("cmd", ["run", "evaluate", "cites", "audit", "query", "report"])
def test_each_command_has_help(cmd, capsys):
    with pytest.raises(SystemExit) as e:
        cli.main([cmd, "--help"])
    assert e.value.code == 0 and "usage: vnplan " + cmd in capsys.readouterr().out


def test_run_fails_only_when_nothing_could_be_processed(tmp_path, capsys):
    assert cli.main(["run", str(tmp_path / "missing.txt"), "--out", str(tmp_path / "out")]) != 0
    good = tmp_path / "plan.txt"
    good.write_text("KẾ HOẠCH\nThực hiện năm 2026\nI. MỤC ĐÍCH\nNội dung.\n", encoding="utf-8")
    assert cli.main(["run", str(good), str(tmp_path / "missing.txt"), "--out", str(tmp_path / "out2")]) == 0


def test_a_broken_pipe_inside_a_command_is_an_error(monkeypatch):
    def register(sub):
        p = sub.add_parser("boom")
        p.set_defaults(func=lambda args: (_ for _ in ()).throw(BrokenPipeError("worker pipe")))

    real = cli.build_parser

    def parser():
        p = real()
        sub = next(a for a in p._actions if isinstance(a, argparse._SubParsersAction))
        register(sub)
        return p

    monkeypatch.setattr(cli, "build_parser", parser)
    with pytest.raises(BrokenPipeError):
        cli.main(["boom"])


def _vnplan(*args: str, **kw) -> subprocess.Popen:
    """The installed program as a user runs it (``console``: its own way out of the interpreter)."""
    return subprocess.Popen([sys.executable, "-m", "pipeline", *args], cwd=REPO, **kw)


def test_the_program_ends_quietly_when_its_reader_stops_reading(sample_out):
    # `vnplan query OUT ... | head -1`: the rest of the output (far more than a pipe holds)
    # has nowhere to go; that is no error.
    p = _vnplan("query", str(sample_out), "select t.text from texts t, range(10)", "--format", "csv",
                stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert p.stdout.readline()
    p.stdout.close()
    assert p.wait(60) == 0
    assert p.stderr.read() == b""


def test_a_run_through_the_program_writes_its_whole_log_and_leaves_nothing_behind(tmp_path):
    # The program skips the interpreter's teardown: what the run wrote must be complete anyway,
    # and multiprocessing's clean-up (its socket directory) must still have happened.
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    log = tmp_path / "run.jsonl"
    env = {**os.environ, "TMPDIR": str(tmp)}
    p = _vnplan("run", "data/samples", "--out", str(tmp_path / "out"), "--workers", "2", "--log-json", str(log),
                env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    out, err = p.communicate(timeout=240)
    assert p.returncode == 0, err
    events = [json.loads(line)["event"] for line in log.read_text().splitlines()]
    assert events[0] == "start" and events[-1] == "summary" and events.count("document") == 3
    assert b"processed" in out + err  # the final summary reached the terminal
    assert list(tmp.iterdir()) == []
