"""The command line: help for every command, exit codes, errors that must not pass for success."""

from __future__ import annotations

import argparse

import pytest

from pipeline import cli


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
