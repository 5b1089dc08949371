"""Every example in gazetteer/data/units.json parses as its entry says."""

from __future__ import annotations

import pytest

from extractors.unit_names import match_unit, unit_key
from extractors.units import extract_assignments
from gazetteer import load
from pipeline import process_text

DATA = load("units")

WHOLE = ([("heads", ex) for h in DATA["heads"] for ex in h["examples"]]
         + [("person_prefixes", ex) for ex in DATA["person_prefixes"]["examples"]]
         + [("collective", ex) for ex in DATA["collective"]["examples"]]
         + [("compounds", ex) for ex in DATA["compounds"]["examples"]]
         + [("localities", ex) for ex in DATA["localities"]["examples"]]
         + [("known_names", ex) for ex in DATA["known_names"]["examples"]])


@pytest.mark.parametrize("where,example", WHOLE, ids=[f"{w}:{e}" for w, e in WHOLE])
def test_example_is_one_whole_unit(where, example):
    u = match_unit(example, 0)
    assert u is not None and u.raw == example, (where, u)


@pytest.mark.parametrize("example", DATA["collective"]["examples"])
def test_collective_examples_are_collective(example):
    assert match_unit(example, 0).kind == "collective"


@pytest.mark.parametrize("head", DATA["heads"], ids=[h["canonical"] for h in DATA["heads"]])
def test_head_examples_start_with_a_variant(head):
    for ex in head["examples"]:
        assert any(ex.casefold().startswith(v.casefold()) for v in head["variants"]), ex


ALIASES = [(a["alias"], a["expansion"], ex) for a in DATA["aliases"] for ex in a["examples"]]


@pytest.mark.parametrize("alias,expansion,example", ALIASES, ids=[f"{a}:{e}" for a, _, e in ALIASES])
def test_alias_expands(alias, expansion, example):
    assert alias in example
    assert unit_key(example) == unit_key(example.replace(alias, expansion))


@pytest.mark.parametrize("sentence", DATA["predicates"]["examples"])
def test_predicate_ends_the_name(sentence):
    u = match_unit(sentence, 0)
    rest = sentence[u.end:].lstrip()
    assert any(rest.startswith(w) for w in DATA["predicates"]["words"]), (u.raw, rest)


def _roles(line: str) -> set[str]:
    text = ("KẾ HOẠCH\nCông tác năm 2026\nI. NHIỆM VỤ\n1. Chung.\nII. TỔ CHỨC THỰC HIỆN\n1. Sở Nội vụ\n- "
            + line + "\n")
    doc = process_text(text).document
    return {a.role for a in extract_assignments(doc) if a.unit != "Sở Nội vụ" or "Sở Nội vụ" in line}


@pytest.mark.parametrize("role,line", [(r, ex) for r, exs in DATA["roles"]["examples"].items() for ex in exs])
def test_role_example(role, line):
    assert role in _roles(line)
