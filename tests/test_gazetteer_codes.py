"""The citation code lists are data with examples (gazetteer/data/doc_types.json,
issuer_codes.json, known_laws.json): every example must come out of the extractor the
way its entry says, and the lists must not contradict each other.
"""

from __future__ import annotations

import pytest

from extractors.citation_codes import CODES, fold_code
from extractors.citations import citations_in_text, parse_symbol
from gazetteer import load
from pipeline.resolve import instrument_key, known_law, known_law_id

DOC_TYPES = load("doc_types")["types"]
ISSUERS = load("issuer_codes")["codes"]
LAWS = load("known_laws")["laws"]

TYPE_EXAMPLES = [(t["type"], ex) for t in DOC_TYPES for ex in t["examples"]]
ISSUER_EXAMPLES = [(e["code"], e["name"], ex) for e in ISSUERS for ex in e["examples"]]
LAW_EXAMPLES = [(i, ex) for i, e in enumerate(LAWS) for ex in e["examples"]]


@pytest.mark.parametrize("type_,example", TYPE_EXAMPLES, ids=[ex for _, ex in TYPE_EXAMPLES])
def test_doc_type_examples(type_, example):
    cits = [c for c in citations_in_text(example) if c.number is not None]
    assert len(cits) == 1, example
    assert cits[0].type == type_


@pytest.mark.parametrize("code,name,example", ISSUER_EXAMPLES, ids=[ex for *_, ex in ISSUER_EXAMPLES])
def test_issuer_code_examples(code, name, example):
    if example[0].isdigit():
        (c,) = citations_in_text("số " + example)
        symbol = c.symbol
    else:
        symbol = parse_symbol(example, 0, example).canonical
    assert name in CODES.issuer_name(symbol).split("; "), (example, symbol)


def test_every_type_and_issuer_entry_has_examples():
    assert all(t["examples"] for t in DOC_TYPES if t["type"] != "Hiến pháp")
    assert all(e["examples"] for e in ISSUERS)


def test_issuer_entries_are_well_formed():
    folded = [fold_code(e["code"]) for e in ISSUERS]
    assert len(folded) == len(set(folded)), "an issuer code is listed twice"
    assert {e["level"] for e in ISSUERS} <= {"central", "province", "local"}


def test_type_codes_are_not_issuer_codes():
    # A token must never be read both ways: "CT" is Chỉ thị, so Cục Thuế cannot be "CT".
    for e in ISSUERS:
        assert CODES.type_code(e["code"]) is None, e["code"]


def test_every_primary_type_code_has_one_default_type():
    for t in DOC_TYPES:
        for code in t["codes"]:
            assert CODES.default_type(code) is not None
            assert t["type"] in CODES.types_for_code(code)


@pytest.mark.parametrize("type_,code,compatible", [
    ("Quy định", "QĐ", True), ("Quyết định", "QĐ", True), ("Quy định", "QĐi", True), ("Chỉ thị", "QĐ", False),
    ("Thông tri", "TT", True), ("Thông tư", "TT", True), ("Kế hoạch", "CTr", False),
])
def test_type_word_checked_against_code(type_, code, compatible):
    assert CODES.compatible(type_, code) is compatible


@pytest.mark.parametrize("i,example", LAW_EXAMPLES, ids=[ex for _, ex in LAW_EXAMPLES])
def test_known_law_examples_resolve(i, example):
    named = [c for c in citations_in_text(f"Thực hiện {example}; các văn bản") if c.grammar == "named"]
    assert len(named) == 1, example
    assert known_law(named[0].name, named[0].year) is LAWS[i]


def test_known_law_ids_equal_their_numbered_form():
    for e in LAWS:
        if e["number"]:
            assert known_law_id(e) == instrument_key(e["symbol"], e["number"], e["year"], None, "national")
            (c,) = citations_in_text(f"{e['name']} số {e['number']}/{e['year']}/{e['symbol']}")
            assert (c.number, c.symbol, c.year) == (e["number"], e["symbol"], e["year"])


def test_known_laws_have_one_current_version_per_name():
    from collections import Counter

    current = Counter(e["name"] for e in LAWS if e.get("current"))
    assert all(n == 1 for n in current.values()), current
