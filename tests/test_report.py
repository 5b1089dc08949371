"""The HTML report's data and page (without a browser; see test_report_browser.py for that)."""

from __future__ import annotations

import json
import re

import pytest
from hypothesis import given, strategies as st

from pipeline.cli import main as cli_main
from pipeline.report import build_report_data, render_html, sentence_around, write_report
from pipeline.write import write_table_file


@pytest.mark.parametrize("text, needle, expected", [
    ("Mở đầu.\nThực hiện Chỉ thị số 33/CT-TTg của Thủ tướng; Sở Nội vụ chủ trì.", "Chỉ thị số 33/CT-TTg",
     "Thực hiện Chỉ thị số 33/CT-TTg của Thủ tướng;"),
    # a full stop inside a symbol or a date is not a sentence end
    ("Căn cứ Nghị định số 59/2023/NĐ-CP ngày 14.8.2023 của Chính phủ. Tiếp theo.", "59/2023/NĐ-CP",
     "Căn cứ Nghị định số 59/2023/NĐ-CP ngày 14.8.2023 của Chính phủ."),
    ("[^1]: Quyết định số 23-QĐ/TW ngày 30/7/2021", "23-QĐ/TW", "[^1]: Quyết định số 23-QĐ/TW ngày 30/7/2021"),
    ("| 1 | Thực hiện Kế hoạch 30/KH-UBND | Sở Nội vụ |\n| 2 | x |", "30/KH-UBND",
     "| 1 | Thực hiện Kế hoạch 30/KH-UBND | Sở Nội vụ |"),
])
def test_sentence_around(text, needle, expected):
    start = text.index(needle)
    sentence, at, n = sentence_around(text, start, start + len(needle))
    assert sentence == expected
    assert sentence[at:at + n] == needle


def test_sentence_around_long_paragraph_keeps_the_match():
    text = "x " * 2000 + "Chỉ thị số 33/CT-TTg" + " y" * 2000
    start = text.index("Chỉ")
    sentence, at, n = sentence_around(text, start, start + 20, max_chars=200)
    assert sentence[at:at + n] == "Chỉ thị số 33/CT-TTg"
    assert len(sentence) <= 202


@given(st.text(alphabet="ab .;\n", min_size=1, max_size=80), st.data())
def test_sentence_around_always_contains_the_match(text, data):
    start = data.draw(st.integers(0, len(text) - 1))
    end = data.draw(st.integers(start + 1, len(text)))
    sentence, at, n = sentence_around(text, start, end, max_chars=30)
    assert sentence[at:at + n] == text[start:end]
    assert len(sentence) <= max(30, n) + 2


def test_report_data_of_hand_made_run(analyst_out):
    data = build_report_data(analyst_out)
    assert data["provinces"] == ["Lai Châu", "Lâm Đồng", "Quảng Trị"]
    first = data["instruments"][0]
    assert first["label"] == "Chỉ thị 33/CT-TTg"
    assert first["by_province"] == {"Lai Châu": 1, "Quảng Trị": 1}
    assert (first["n_provinces"], first["n_documents"], first["n_mentions"]) == (2, 2, 2)
    assert first["issuer"] == "Thủ tướng Chính phủ"
    fn = next(i for i in data["instruments"] if i["label"] == "Nghị định 59/2023/NĐ-CP")
    assert fn["mentions"][0]["in_footnote"] is True
    assert fn["mentions"][0]["sentence"].startswith("[^1]: Nghị định số 59/2023/NĐ-CP")
    # spans for the document view are valid offsets into the embedded text
    for doc_id, spans in data["spans"].items():
        text = data["texts"][doc_id]
        assert spans and all(0 <= s["start"] < s["end"] <= len(text) for s in spans)
    assert {s["kind"] for s in data["spans"]["a1"]} == {"citation", "deadline", "unit", "finding"}
    assert data["counts"]["deadline_audit"] == 1


def test_max_doc_texts_bounds_the_embedded_texts(analyst_out):
    data = build_report_data(analyst_out, max_doc_texts=1)
    assert list(data["texts"]) == ["a1"]  # the document with most records
    assert data["n_texts_omitted"] == 2
    assert len(data["instruments"]) == 5  # the matrix still covers everything


def test_source_text_cannot_break_out_of_the_page(tmp_path):
    evil = "KẾ HOẠCH </script><script>alert(1)</script> <!-- \u2028 & <b>x</b>"
    write_table_file(tmp_path, "documents", [dict(doc_id="e", status="ok", title=evil, province="Huế")])
    write_table_file(tmp_path, "texts", [dict(doc_id="e", text=evil, body_end=len(evil))])
    html = write_report(tmp_path, tmp_path / "r.html").read_text(encoding="utf-8")
    assert html.count("</script>") == 2  # the data block's and the code block's own
    assert "<script>alert(1)" not in html
    data = json.loads(re.search(r'id="vnplan-data">(.*?)</script>', html, re.S).group(1))
    assert data["texts"]["e"] == evil  # and the data survives the escaping unchanged


def test_page_is_self_contained(analyst_out, tmp_path):
    html = write_report(analyst_out, tmp_path / "r.html").read_text(encoding="utf-8")
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", html)
    assert "@import" not in html and "url(" not in html
    assert "default-src 'none'" in html  # CSP: the browser refuses any fetch


def test_empty_run(tmp_path):
    data = build_report_data(tmp_path)
    assert data["instruments"] == [] and data["documents"] == [] and data["texts"] == {}
    assert "<!DOCTYPE html>" in render_html(data)


def test_report_command(analyst_out, tmp_path, capsys):
    target = tmp_path / "sub" / "report.html"
    assert cli_main(["report", str(analyst_out), "--html", str(target)]) == 0
    assert target.exists() and "report written to" in capsys.readouterr().err
    assert cli_main(["report", str(tmp_path / "nope"), "--html", str(target)]) == 2
