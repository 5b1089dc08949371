"""Every example in gazetteer/data/deadlines.json (and task_tables.json) does what its entry says."""

from __future__ import annotations

import pytest

from extractors.deadline_patterns import find_time_expressions, report_type_before
from extractors.deadline_values import YearContext
from extractors.task_tables import header_role
from gazetteer import load

DATA = load("deadlines")
Y2026 = YearContext(plan_year=2026)


def _examples():
    out = []
    for name, cue in DATA["cues"].items():
        out += [(f"cues.{name}", ex) for ex in cue["examples"]]
    out += [("frequencies", ex) for ex in DATA["frequencies"]["examples"]]
    for rule in DATA["day_rules"]["rules"]:
        out += [(f"day_rules.{rule['name']}", ex) for ex in rule["examples"]]
    out += [("halves", ex) for ex in DATA["halves"]["examples"]]
    out += [("continuous", ex) for ex in DATA["continuous"]["examples"]]
    for v in DATA["vague"]["entries"]:
        out += [(f"vague.{v['value']}", ex) for ex in v["examples"]]
    return out


EXAMPLES = _examples()


@pytest.mark.parametrize("where,ex", EXAMPLES, ids=[f"{w}:{e['text'][:30]}" for w, e in EXAMPLES])
def test_example_parses_as_declared(where, ex):
    got = [(e.kind, e.value) for e in find_time_expressions(ex["text"], years=Y2026)]
    assert (ex["kind"], ex["value"]) in got, (where, got)


REPORTS = [(e["value"], ex) for e in DATA["report_types"]["entries"] for ex in e["examples"]]


@pytest.mark.parametrize("value,text", REPORTS, ids=[t for _, t in REPORTS])
def test_report_type_example(value, text):
    assert report_type_before(text + " trước ngày 01/6", 0, len(text) + 1) == value


BLOCKED = [(name, ex) for name, b in DATA["blockers"].items() if isinstance(b, dict) for ex in b["examples"]]


@pytest.mark.parametrize("name,text", BLOCKED, ids=[t for _, t in BLOCKED])
def test_blocker_example_is_not_a_deadline(name, text):
    assert find_time_expressions(text, years=Y2026) == []


COLUMNS = [(c["role"], ex) for c in load("task_tables")["columns"] for ex in c["examples"]]


@pytest.mark.parametrize("role,header", COLUMNS, ids=[h for _, h in COLUMNS])
def test_task_table_header_example(role, header):
    assert header_role(header) == role
