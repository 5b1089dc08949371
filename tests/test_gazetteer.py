"""Gazetteer data checks (like eyecite's reporters-db): every entry's examples must be
recognised by the machinery that uses the entry."""

from __future__ import annotations

import regex

from extractors.metadata import _titles
from extractors.places import find_province_mentions, province_of_name
from gazetteer import available, load
from pipeline.segment import label_for_heading, sub_label_for_heading


def test_loader_lists_and_loads_everything():
    names = available()
    for name in ("provinces", "communes", "section_labels", "document_titles", "boilerplate"):
        assert name in names
    for name in names:
        assert load(name)


def test_section_label_examples():
    data = load("section_labels")
    for entry in data["top_level"]:
        for ex in entry["examples"]:
            heading = regex.sub(r"^[IVX]+\.\s*", "", ex)
            assert label_for_heading(heading) == entry["label"], ex
    for entry in data["sub_level"]:
        for ex in entry["examples"]:
            assert sub_label_for_heading(ex) == entry["label"], ex
    closing = [regex.compile(p) for p in data["closing_starts"]["patterns"]]
    for ex in data["closing_starts"]["examples"]:
        assert any(p.match(ex) for p in closing), ex


def test_document_title_examples():
    by_title, by_code, line_re = _titles()
    for e in load("document_titles")["titles"]:
        for ex in e["examples"]:
            m = line_re.match(ex)
            assert m and by_title[regex.sub(r"\s+", " ", m.group("type"))] == e["name"], ex


def test_province_examples_and_coverage():
    provinces = load("provinces")["provinces"]
    assert len(provinces) == 34
    assert sum(len(p["old_names"]) for p in provinces) + 34 >= 63
    for p in provinces:
        for ex in p["examples"]:
            assert [m.province for m in find_province_mentions(ex)] == [p["name"]], ex
        for old in p["old_names"]:
            assert province_of_name(old) == p["name"], old


def test_communes_table():
    rows = load("communes")
    assert len(rows) == 3321
    assert {r["unit_type"] for r in rows} == {"xã", "phường", "đặc khu"}
    # government tone style: "Hòa", "Thủy" (open syllables), while "Hoàn" keeps its tone
    assert all(not regex.search(r"(?<![qQ])(?:o[áàảãạ]|u[ýỳỷỹỵ])(?!\p{L})", r["name"]) for r in rows)


def test_boilerplate_examples():
    data = load("boilerplate")
    for key in ("site_markers", "document_start", "footer_starts"):
        pats = [regex.compile(p, regex.M) for p in data[key]["patterns"]]
        for ex in data[key]["examples"]:
            assert any(p.search(ex) for p in pats), (key, ex)
