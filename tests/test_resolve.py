"""Resolution: one instrument_id per instrument across documents, scoped by province and
commune for local issuers; the instruments table and ``vnplan cites`` built on it.
"""

from __future__ import annotations

import datetime as dt
import json

import pytest

from extractors.citations import citations_in_text
from pipeline.document import Document, OffsetMap
from pipeline.resolve import resolve_citations, scope_of, symbol_key


class Meta:
    def __init__(self, province=None, commune=None, issue_date=None, plan_year=None, title=None, doc_number=None):
        self.province, self.commune, self.issue_date, self.plan_year = province, commune, issue_date, plan_year
        self.title, self.doc_number = title, doc_number


def resolved(text: str, province=None, commune=None, **kw):
    meta = Meta(province, commune, **kw)
    doc = Document("d", "<t>", "", "txt", text, OffsetMap(), len(text))
    doc.metadata = meta
    return resolve_citations(doc, citations_in_text(text, meta))


def ids(text: str, province=None, commune=None, **kw) -> list[str]:
    return [c.instrument_id for c in resolved(text, province, commune, **kw)]


# (citing text, citing province, citing commune, expected instrument ids)
CASES = [
    ("Chỉ thị số 33/CT-TTg ngày 26/11/2021 của Thủ tướng Chính phủ", "Lai Châu", None, ["CT-TTg:33:2021"]),
    ("Chỉ thị số 33/CT-TTg ngày 26/11/2021", "Quảng Trị", "Vĩnh Thủy", ["CT-TTg:33:2021"]),
    ("Nghị định số 59/2023/NĐ-CP", "Lâm Đồng", None, ["NĐ-CP:59:2023"]),
    ("Nghị quyết số 75/2024/NQ-HĐND", "Lai Châu", None, ["NQ-HĐND:75:2024@Lai Châu"]),
    ("Nghị quyết số 75/NQ-HĐND ngày 09/12/2024 của Hội đồng nhân dân tỉnh", "Lai Châu", None,
     ["NQ-HĐND:75:2024@Lai Châu"]),
    ("Kế hoạch số 61/KH-UBND ngày 10/3/2025", "Huế", None, ["KH-UBND:61:2025@Huế"]),
    ("Kế hoạch số 61/KH-UBND ngày 10/3/2025", "Lào Cai", None, ["KH-UBND:61:2025@Lào Cai"]),
    ("Kế hoạch số 450/KH-UBND ngày 03/02/2026 của UBND tỉnh Quảng Trị", "Quảng Trị", "Vĩnh Thủy",
     ["KH-UBND:450:2026@Quảng Trị"]),
    ("Kế hoạch số 30-KH/ĐU ngày 30/01/2026 của Đảng ủy xã Vĩnh Thủy", "Quảng Trị", "Vĩnh Thủy",
     ["KH-ĐU:30:2026@Quảng Trị/Vĩnh Thủy"]),
    ("Kế hoạch số 30-KH/ĐU ngày 30/01/2026 của Đảng ủy xã Vĩnh Thủy", "Quảng Trị", None,
     ["KH-ĐU:30:2026@Quảng Trị/Vĩnh Thủy"]),
    ("Kế hoạch số 12/KH-UBND ngày 5/1/2026", "Quảng Trị", "Vĩnh Thủy", ["KH-UBND:12:2026@Quảng Trị/Vĩnh Thủy"]),
    ("Quyết định số 140/2005/QĐ-UB ngày 23 tháng 11 năm 2005 của Ủy ban nhân dân tỉnh Bình Phước", "Đồng Nai", None,
     ["QĐ-UB:140:2005@Bình Phước"]),
    ("Quyết định số 23-QĐ/TW ngày 30/7/2021 của Bộ Chính trị", "Lai Châu", None, ["QĐ-TW:23:2021"]),
    ("Quyết định số 23/QĐ-TW ngày 30/7/2021", "Huế", None, ["QĐ-TW:23:2021"]),
    ("Quy chế số 07-QC/TU, ngày 22/9/2025 của Tỉnh ủy Lâm Đồng", "Lâm Đồng", None, ["QC-TU:7:2025@Lâm Đồng"]),
    ("Chương trình số 02-CTr/BCĐ, ngày 14/01/2026", "Lâm Đồng", None, ["CTr-BCĐ:2:2026@Lâm Đồng"]),
    ("Cục Thuế nhận được công văn số 1108/QNI-QLDN2 ngày 22/9/2025", None, None, ["QNI-QLDN2:1108:2025"]),
    ("Quyết định số 282/QĐ-TTg", "Lâm Đồng", None, ["QĐ-TTg:282:?"]),
    # named instruments
    ("Luật Thực hiện dân chủ ở cơ sở năm 2022", "Lai Châu", None, ["QH15:10:2022"]),
    ("Luật Thực hiện dân chủ cơ sở", "Quảng Trị", None, ["QH15:10:2022"]),
    ("Luật số 10/2022/QH15", "Huế", None, ["QH15:10:2022"]),
    ("quy định của Hiến pháp", "Lai Châu", None, ["hien-phap:2013"]),
    ("Nghị quyết Đại hội Đảng toàn quốc lần thứ XIV", "Quảng Trị", None, ["nghi-quyet:dai-hoi-dang-toan-quoc:xiv"]),
    ("Nghị quyết Đại hội đại biểu toàn quốc lần thứ XIV của Đảng", "Lâm Đồng", None,
     ["nghi-quyet:dai-hoi-dang-toan-quoc:xiv"]),
    ("Nghị quyết Đại hội Đảng bộ tỉnh Lai Châu lần thứ XV", "Lai Châu", None, ["nghi-quyet:dai-hoi-dang-bo:xv@Lai Châu"]),
    ("Nghị quyết Đại hội Đảng bộ xã Vĩnh Thủy lần thứ I, nhiệm kỳ 2025-2030", "Quảng Trị", "Vĩnh Thủy",
     ["nghi-quyet:dai-hoi-dang-bo:i@Quảng Trị/Vĩnh Thủy"]),
    ("triển khai Chương trình mục tiêu quốc gia giảm nghèo bền vững giai đoạn 2021 - 2025;", "Huế", None,
     ["chuong-trinh:muc-tieu-quoc-gia-giam-ngheo-ben-vung-giai-doan-2021-2025"]),
]


@pytest.mark.parametrize("text,province,commune,expected", CASES, ids=[c[0][:40] for c in CASES])
def test_instrument_ids(text, province, commune, expected):
    assert ids(text, province, commune) == expected


def test_same_instrument_same_id_across_documents_and_variants():
    a = ids("Nghị quyết số 75/2024/NQ-HĐND ngày 09/12/2024", "Lai Châu")
    b = ids("theo Nghị quyết số 75/NQ-HĐND ngày 09/12/2024 của HĐND tỉnh", "Lai Châu")
    c = ids("Nghị quyết số 75/NQ-HĐND ngày 09/12/2024", "Huế")
    assert a == b != c


def test_mentions_in_one_document_share_what_one_says():
    cits = resolved("Thực hiện Kế hoạch số 635/KH-UBND. Theo Kế hoạch số 635/KH-UBND ngày 26/01/2025 của UBND tỉnh.",
                    "Lai Châu")
    assert [c.instrument_id for c in cits] == ["KH-UBND:635:2025@Lai Châu"] * 2
    assert cits[0].issue_date == dt.date(2025, 1, 26) and cits[0].issuer == "UBND tỉnh"
    assert cits[0].date_start is None  # the date is not in this mention's span
    assert "date_from_other_mention" in cits[0].flags


def test_mentions_that_disagree_on_the_year_stay_apart():
    cits = resolved("Kế hoạch số 12/KH-UBND ngày 3/1/2024 và Kế hoạch số 12/KH-UBND ngày 5/1/2025; Kế hoạch số 12/KH-UBND",
                    "Huế")
    assert [c.instrument_id for c in cits] == ["KH-UBND:12:2024@Huế", "KH-UBND:12:2025@Huế", "KH-UBND:12:?@Huế"]


def test_named_law_takes_the_number_the_document_gives():
    cits = resolved("trọng tâm là Luật Tổ chức chính quyền địa phương số 72/2025/QH15; các quy định của "
                    "Luật Tổ chức chính quyền địa phương.", "Lai Châu")
    assert [(c.number, c.symbol, c.instrument_id) for c in cits] == [("72", "QH15", "QH15:72:2025")] * 2
    assert cits[1].grammar == "named" and "short_form" in cits[1].flags


def test_named_law_version_in_force_for_the_citing_document():
    assert ids("theo Luật Đất đai", "Huế", issue_date=dt.date(2020, 5, 1)) == ["QH13:45:2013"]
    assert ids("theo Luật Đất đai", "Huế", issue_date=dt.date(2025, 5, 1)) == ["QH15:31:2024"]


@pytest.mark.parametrize("symbol,phrase,province,commune,expected", [
    ("CT-TTg", None, "Huế", None, "national"),
    ("NQ/TW", "Bộ Chính trị", "Huế", None, "national"),
    ("KH-UBND", None, "Huế", None, "Huế"),
    ("KH-UBND", "UBND tỉnh", "Quảng Trị", "Vĩnh Thủy", "Quảng Trị"),
    ("KH-UBND", "UBND xã", "Quảng Trị", "Vĩnh Thủy", "Quảng Trị/Vĩnh Thủy"),
    ("KH/TU", None, "Quảng Trị", "Vĩnh Thủy", "Quảng Trị"),
    ("TTr-SNV", None, "Huế", None, "Huế"),
    ("XYZ-AB", "Cục Hải quan", None, None, "national"),
    ("XYZ-AB", None, "Huế", None, "Huế"),
])
def test_scope(symbol, phrase, province, commune, expected):
    assert scope_of(symbol, phrase, Meta(province, commune)) == expected


def test_symbol_key_unifies_separators():
    assert symbol_key("QĐ/TW") == symbol_key("QĐ-TW")


# --- the instruments table and `vnplan cites` ---------------------------------------------------

PLANS = {
    "lai_chau.txt": "KẾ HOẠCH\nCông tác dân vận năm 2026\nThực hiện Chỉ thị số 33/CT-TTg ngày 26/11/2021 của Thủ tướng "
                    "Chính phủ và Kế hoạch số 61/KH-UBND ngày 10/3/2025 của UBND tỉnh Lai Châu; Văn phòng UBND tỉnh "
                    "ban hành Kế hoạch như sau:\nI. MỤC ĐÍCH, YÊU CẦU\n1. Quán triệt Chỉ thị số 33/CT-TTg.\n",
    "hue.txt": "KẾ HOẠCH\nCông tác dân vận năm 2026\nThực hiện Chỉ thị số 33/CT-TTg ngày 26/11/2021 và Kế hoạch số "
               "61/KH-UBND ngày 10/3/2025 của UBND thành phố Huế; Luật Thực hiện dân chủ ở cơ sở năm 2022, UBND thành "
               "phố Huế ban hành Kế hoạch như sau:\nI. MỤC ĐÍCH, YÊU CẦU\n1. Quán triệt.\n",
}


@pytest.fixture(scope="module")
def small_out(tmp_path_factory):
    from pipeline import run

    src = tmp_path_factory.mktemp("plans")
    for name, text in PLANS.items():
        (src / name).write_text(text, encoding="utf-8")
    out = tmp_path_factory.mktemp("out")
    summary = run([str(src)], out)
    assert summary.processed == 2
    return out


def test_instruments_table(small_out):
    from pipeline.write import read_table

    rows = {r["instrument_id"]: r for r in read_table(small_out, "instruments").to_pylist()}
    ct = rows["CT-TTg:33:2021"]
    assert (ct["n_documents"], ct["n_mentions"], ct["issuer"], ct["scope"]) == (2, 3, "Thủ tướng Chính phủ", "national")
    assert ct["issue_date"] == dt.date(2021, 11, 26) and ct["type"] == "Chỉ thị"
    # two different 61/KH-UBND of two provinces are two instruments
    assert rows["KH-UBND:61:2025@Lai Châu"]["n_documents"] == rows["KH-UBND:61:2025@Huế"]["n_documents"] == 1
    law = rows["QH15:10:2022"]
    assert (law["number"], law["symbol"], law["issuer"], law["title"]) == (
        "10", "QH15", "Quốc hội", "Luật Thực hiện dân chủ ở cơ sở")


def test_instruments_table_is_rebuilt_not_appended(small_out):
    from pipeline.instruments import write_instruments
    from pipeline.write import read_table, table_files

    n = write_instruments(small_out)
    assert n == read_table(small_out, "instruments").num_rows
    assert len(table_files(small_out, "instruments")) == 1


def test_cites_matrix(small_out, capsys):
    from pipeline.cli import main

    assert main(["cites", str(small_out), "--min-docs", "2"]) == 0
    out = capsys.readouterr().out
    lines = out.splitlines()
    assert lines[0].split()[:3] == ["instrument", "type", "docs"] and "Huế" in lines[0] and "Lai Châu" in lines[0]
    assert lines[2].startswith("Chỉ thị 33/CT-TTg (2021)") and lines[2].split()[-3:] == ["2", "1", "1"]
    assert out.rstrip().endswith("(1 instrument, 2 groups)")

    assert main(["cites", str(small_out), "--type", "kế hoạch", "--format", "json"]) == 0
    recs = json.loads(capsys.readouterr().out)
    assert sorted(r["instrument"] for r in recs) == ["Kế hoạch 61/KH-UBND (2025) [Huế]",
                                                    "Kế hoạch 61/KH-UBND (2025) [Lai Châu]"]
    assert main(["cites", str(small_out), "--by", "issuer_level", "--format", "csv"]) == 0
    header = capsys.readouterr().out.splitlines()[0]
    assert header.startswith("instrument_id,instrument,type,docs,groups,")
