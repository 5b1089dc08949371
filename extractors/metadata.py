"""Metadata of a plan: type, title, own number and date, issuer and its level, province,
plan year, signer, recipients.

Everything is read from the document's own layout (Nghị định 30/2020/NĐ-CP, Phụ lục I):
letterhead, "Số:" line, "<place>, ngày … tháng … năm …", type line, title, the
promulgation clause ("UBND xã Vĩnh Thủy ban hành Kế hoạch …"), "Nơi nhận", signature.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass, field
from difflib import SequenceMatcher
from functools import lru_cache

import regex

from gazetteer import load
from pipeline.normalize import AUTHORITY_LINE_RE, CAPS_LINE_RE

from .places import communes_named, find_commune, find_province_mentions, province_of_name


@dataclass
class Metadata:
    """Document-level facts; ``spans`` maps a field to its (start, end) in the text."""

    doc_type: str | None = None
    title: str | None = None
    doc_number: str | None = None
    issue_date: dt.date | None = None
    issuer: str | None = None
    issuer_level: str | None = None
    province: str | None = None
    commune: str | None = None
    plan_year: int | None = None
    signer_name: str | None = None
    signer_title: str | None = None
    recipients: list[str] = field(default_factory=list)
    spans: dict[str, tuple[int, int]] = field(default_factory=dict)

    def to_row(self) -> dict:
        return {k: getattr(self, k) for k in (
            "doc_type", "title", "doc_number", "issue_date", "issuer", "issuer_level", "province", "commune",
            "plan_year", "signer_name", "signer_title", "recipients")}


@lru_cache(maxsize=1)
def _titles():
    entries = load("document_titles")["titles"]
    alt = "|".join(regex.escape(e["title"]).replace(r"\ ", r"\s+") for e in sorted(entries, key=lambda e: -len(e["title"])))
    by_title = {e["title"]: e["name"] for e in entries}
    by_code = {e["code"].upper(): e["name"] for e in entries if e["code"]}
    line_re = regex.compile(rf"^(?P<type>{alt})(?:\s+(?P<rest>[^\p{{Ll}}]*\p{{Lu}}[^\p{{Ll}}]*))?\s*:?$", regex.M)
    return by_title, by_code, line_re


_NUMBER_RE = regex.compile(r"(?:^|\n)\s*Số\s*:?\s*(?P<num>[^\s,;]*)", regex.I)
_DATE_LINE_RE = regex.compile(
    r"(?:^|\n)(?P<place>[^\n,;:]{2,60}?(?:\n[^\n,;:]{2,40}?)?),\s*ngày\s*(?P<d>\d{1,2}|[.…\s]*)\s*(?:tháng|/)\s*(?P<m>\d{1,2}|[.…\s]*)"
    r"\s*(?:năm|/)\s*(?P<y>\d{4})")
_PROMULGATE_VERB = r"(?:ban hành|xây dựng|triển khai|thống nhất ban hành)"
_PROMULGATE_TYPE = r"(?P<type>Kế hoạch|Chương trình|Quy chế|Đề án|Hướng dẫn|Phương án)"
_PROMULGATE_RE = regex.compile(
    rf"(?:^|(?<=[;:.]\s?)|\n)\s*(?P<issuer>[^;:.\n]{{3,140}}?)\s+{_PROMULGATE_VERB}\s+"
    rf"{_PROMULGATE_TYPE}(?P<rest>[^\n]*)", regex.M)
# The verb and type every promulgation clause contains: most headers have none, and this
# finds that without trying an issuer at every line start.
_PROMULGATE_HINT_RE = regex.compile(rf"{_PROMULGATE_VERB}\s+{_PROMULGATE_TYPE}")
_ISSUER_HEAD_RE = regex.compile(
    r"(?:Ủy ban nhân dân|UBND|Hội đồng nhân dân|HĐND|Văn phòng|Sở|Ban|Phòng|Bộ|Chính phủ|Thủ tướng|Tỉnh ủy|Thành ủy|"
    r"Đảng ủy|Ban Thường vụ|Ban Chấp hành|Cục|Tổng cục|Trung tâm|Công an|Bộ Chỉ huy|Mặt trận|Ủy ban|Thanh tra|"
    r"Kho bạc|Ngân hàng|Chủ tịch|Đoàn|Hội|Liên đoàn|Trường|Bệnh viện|Viện|Quốc hội)\b.*$")
_YEAR_RE = regex.compile(r"\bnăm\s+(20\d{2}|19\d{2})\b")
# "đến năm 2035" is a horizon, not the year the plan is for
_PLAN_YEAR_RE = regex.compile(r"(?<!\b(?:đến|tới|đến hết)\s)\bnăm\s+(20\d{2}|19\d{2})\b", regex.I)
_PERIOD_RE = regex.compile(r"\bgiai\s+đoạn\s+(20\d{2}|19\d{2})\s*-\s*(20\d{2}|19\d{2})")
_NAME_LINE_RE = regex.compile(r"^(?:\p{Lu}\p{Ll}*)(?:\s+\p{Lu}\p{Ll}*){1,4}$")
_SIGN_PREFIX_RE = regex.compile(r"^(?:KT|TM|TL|TUQ|Q|K/T|T/M)\.?\s")
_SUB_BODY_RE = regex.compile(r"^(?:VĂN PHÒNG|SỞ|BAN|PHÒNG|TRUNG TÂM|CỤC|CHI CỤC|VỤ|THANH TRA|TRƯỜNG|BỘ CHỈ HUY)\b")
_PARENT_BODY_RE = regex.compile(r"^(?:ỦY BAN|UBND|BỘ|TỈNH ỦY|THÀNH ỦY|ĐẢNG ỦY|HĐND|HỘI ĐỒNG|TỔNG CỤC|CHÍNH PHỦ)\b")
_AGENCY_HEADS = {"bộ", "sở", "cục", "ban", "chi", "phòng", "tâm", "viện", "vụ", "tra"}
_NOT_NAMES = regex.compile(r"^(?:Nơi nhận|Lưu|Như|Trên đây|Kính gửi|Phụ lục|Đã ký|Ghi chú)\b")
_CENTRAL_RE = regex.compile(
    r"\b(?:Chính phủ|Thủ tướng|Quốc hội|Ủy ban Thường vụ Quốc hội|Bộ\s+\p{Lu}|Bộ Chính trị|Ban Bí thư|Trung ương|"
    r"Tổng cục|Cục\s+\p{Lu}|Ngân hàng Nhà nước|Kiểm toán Nhà nước|Tòa án nhân dân tối cao|Viện kiểm sát nhân dân tối cao)",
    regex.I)
_COMMUNE_LEVEL_RE = regex.compile(r"\b(?:xã|phường|đặc khu|thị trấn)\b", regex.I)
_DISTRICT_LEVEL_RE = regex.compile(r"\b(?:huyện|quận|thị xã)\b", regex.I)
_PROVINCE_LEVEL_RE = regex.compile(r"\b(?:tỉnh|thành phố|Sở|Tỉnh ủy|Thành ủy|TP\.)", regex.I)
# Small patterns used below, compiled once (the hot path runs them per line).
_BARE_PLACE_WORD_END_RE = regex.compile(r"\b(tỉnh|thành phố|xã|phường|đặc khu)\s*$", regex.I)
_SPACES_RE = regex.compile(r"\s+")
_VV_LINE_RE = regex.compile(r"(?m)^V/v\s*:?\s*(.+)$")
_DIGIT_RE = regex.compile(r"\d")
_LETTER_MARKER_RE = regex.compile(r"(?m)^(?:V/v\b|Kính gửi\s*:)")  # an official letter (công văn)
_TITLE_STOP_RE = regex.compile(r"^(?:Căn cứ|Thực hiện|Theo|Xét|Trên cơ sở|Số\s*:|[IVX]+\.|\d+\.|\(|Kính gửi)")
_NOT_A_TITLE_RE = regex.compile(r"^(?:Căn cứ|Số\s*:)")
_MOTTO_OR_NUMBER_RE = regex.compile(r"^(?:CỘNG HÒA|Độc lập|ĐẢNG CỘNG SẢN|Số\s*:|-{3,})")
_RULES_AND_STARS_RE = regex.compile(r"-{2,}|\*")
_ANY_YEAR_RE = regex.compile(r"\b(20\d{2})\b")
_BRACKETED_RE = regex.compile(r"^[(\[].*[)\]]$")
_RECIPIENTS_HEAD_RE = regex.compile(r"(?m)^Nơi nhận\s*:?")
_BULLET_START_RE = regex.compile(r"^[-+•]")
_BULLET_PREFIX_RE = regex.compile(r"^[-+•]\s*")
_ARCHIVE_LINE_RE = regex.compile(r"^Lưu\b")
_CHINH_PHU_RE = regex.compile(r"\bchính phủ\b")
_SYMBOL_SEP_RE = regex.compile(r"[-/]")
_ACRONYMS = {"UBND", "HĐND", "MTTQ", "UBMTTQ", "VN", "TP", "BCĐ", "BCH", "CT", "PCT", "KT", "TM", "BTV"}


def _line_spans(text: str, start: int, end: int):
    pos = start
    while pos < end:
        nl = text.find("\n", pos, end)
        nl = end if nl == -1 else nl
        yield pos, nl
        pos = nl + 1


def _header_end(doc) -> int:
    """End of the header zone: the first top-level heading (or a third of a short text)."""
    for s in doc.sections:
        if s.level == 1 and s.label not in ("preamble",):
            return s.start
    return min(doc.body_end, 4000)


def _closing_zone(doc) -> tuple[int, int]:
    closing = next((s for s in doc.sections if s.label == "closing"), None)
    if closing is not None:
        end = next((s.start for s in doc.sections if s.start > closing.start and s.level == 1), doc.body_end)
        return closing.start, end
    appendix = next((s.start for s in doc.sections if s.label == "appendix"), doc.body_end)
    return max(0, appendix - 1500), appendix


def _smart_case(s: str) -> str:
    """Letterhead caps to running text: "ỦY BAN NHÂN DÂN TỈNH LÂM ĐỒNG" -> "Ủy ban nhân dân tỉnh Lâm Đồng"."""
    if not CAPS_LINE_RE.match(s):
        return s
    words = s.split()
    out = []
    i = 0
    while i < len(words):
        w = words[i]
        if w in _ACRONYMS:
            out.append(w)
            i += 1
            continue
        # place names after an administrative word keep capitals; so does the word that
        # names an agency ("BỘ NỘI VỤ" -> "Bộ Nội vụ", "CỤC THUẾ" -> "Cục Thuế")
        if (out and out[-1].lower() in _AGENCY_HEADS and out[-1][:1].isupper()) or w.lower() == "bộ":
            out.append(w.capitalize())
        else:
            out.append(w.lower() if out else w.capitalize())
        if w.lower() in ("tỉnh", "phố", "xã", "phường", "khu", "huyện", "quận", "trấn"):
            j = i + 1
            while j < len(words) and words[j] not in _ACRONYMS:
                out.append(words[j].capitalize())
                j += 1
            i = j
            continue
        i += 1
    return _CHINH_PHU_RE.sub("Chính phủ", " ".join(out))


def _place_completion(issuer: str, province: str | None, commune: str | None) -> str:
    """"Văn phòng UBND tỉnh" in a Lai Châu plan is the Lai Châu office."""
    m = _BARE_PLACE_WORD_END_RE.search(issuer)
    if not m:
        return issuer
    kind = m.group(1).lower()
    if kind in ("tỉnh", "thành phố") and province:
        return f"{issuer} {province}"
    if kind in ("xã", "phường", "đặc khu") and commune:
        return f"{issuer} {commune}"
    return issuer


def issuer_level(issuer: str | None) -> str | None:
    """central / province / commune (district for pre-2025 huyện/quận documents).

    >>> issuer_level("UBND xã Vĩnh Thủy"), issuer_level("Văn phòng UBND tỉnh Lai Châu"), issuer_level("Bộ Nội vụ")
    ('commune', 'province', 'central')
    """
    if not issuer:
        return None
    if _COMMUNE_LEVEL_RE.search(issuer):
        return "commune"
    if _DISTRICT_LEVEL_RE.search(issuer):
        return "district"
    if _PROVINCE_LEVEL_RE.search(issuer):
        return "province"
    if _CENTRAL_RE.search(issuer):
        return "central"
    return None


def extract_metadata(doc) -> Metadata:
    """Read the document's own metadata.

    >>> from pipeline import process_text
    >>> m = process_text("KẾ HOẠCH\\nThực hiện công tác dân vận năm 2026\\nThực hiện Kế hoạch số 450/KH-UBND của "
    ...     "UBND tỉnh Quảng Trị; UBND xã Vĩnh Thủy ban hành Kế hoạch như sau:\\nI. MỤC ĐÍCH\\n").document.metadata
    >>> m.doc_type, m.issuer, m.issuer_level, m.province, m.plan_year
    ('Kế hoạch', 'UBND xã Vĩnh Thủy', 'commune', 'Quảng Trị', 2026)
    """
    text = doc.text
    md = Metadata()
    head_end = _header_end(doc)
    by_title, by_code, line_re = _titles()

    # Type line and title.
    type_line = None
    for a, z in _line_spans(text, 0, head_end):
        m = line_re.match(text, a, z)
        if m and z - a < 200:
            key = _SPACES_RE.sub(" ", m.group("type"))
            md.doc_type = by_title.get(key)
            md.spans["doc_type"] = (m.start("type"), m.end("type"))
            type_line = (a, z, m)
            break
    if type_line is not None:
        a, z, m = type_line
        if m.group("rest"):
            md.title, md.spans["title"] = m.group("rest").strip(), (m.start("rest"), m.end("rest"))
        else:
            md.title, span = _title_after(text, z + 1, head_end)
            if span:
                md.spans["title"] = span

    # Own number and date (header zone only: the body cites other numbers).
    zone = text[:head_end]
    if md.title is None:
        vv = _VV_LINE_RE.search(zone)
        if vv:
            md.title, md.spans["title"] = vv.group(1).strip(), (vv.start(1), vv.end(1))
    m = _NUMBER_RE.search(zone)
    if m and _DIGIT_RE.match(m.group("num")):
        md.doc_number = m.group("num").rstrip(".")
        md.spans["doc_number"] = (m.start("num"), m.start("num") + len(md.doc_number))
        if md.doc_type is None and _LETTER_MARKER_RE.search(zone):
            md.doc_type = "Công văn"
        if md.doc_type is None:
            code = _SYMBOL_SEP_RE.split(md.doc_number.split("/", 1)[1] if "/" in md.doc_number else "")[0]
            md.doc_type = by_code.get(code.upper()) or ("Công văn" if code else None)
    date_place = None
    dm = _DATE_LINE_RE.search(zone)
    if dm:
        date_place = _SPACES_RE.sub(" ", dm.group("place")).strip()
        try:
            if dm.group("d").strip(" .…") and dm.group("m").strip(" .…"):
                md.issue_date = dt.date(int(dm.group("y")), int(dm.group("m")), int(dm.group("d")))
                md.spans["issue_date"] = (dm.start("place"), dm.end("y"))
        except ValueError:
            pass

    # Province: weigh where a place is named.
    votes: Counter[str] = Counter()
    letterhead_end = min(head_end, 600)
    for pm in find_province_mentions(text, 0, letterhead_end):
        votes[pm.province] += 3
    if date_place:
        p = province_of_name(date_place)
        if p:
            votes[p] += 4
    issuer_raw, issuer_span, clause = _promulgation_issuer(text, head_end)
    if clause is not None:
        _from_clause(md, text, clause)
    if issuer_raw is None:
        issuer_raw, issuer_span = _letterhead_issuer(text, head_end)
    if issuer_raw:
        for pm in find_province_mentions(issuer_raw):
            votes[pm.province] += 5
    for pm in find_province_mentions(text, 0, doc.body_end):
        votes[pm.province] += 1
    commune = find_commune(issuer_raw) if issuer_raw else None
    if commune is None and date_place:
        c = communes_named(date_place)
        if len(c) == 1:
            commune = (c[0]["unit_type"], c[0]["name"], 0, 0)
    if commune is not None:
        rows = communes_named(commune[1], commune[0])
        provs = {r["province"] for r in rows}
        if len(provs) == 1:
            votes[next(iter(provs))] += 3
        else:
            for p in provs:
                if votes.get(p):
                    votes[p] += 2
        md.commune = commune[1]
    if votes:
        md.province = votes.most_common(1)[0][0]

    # Issuer, completed with the place it names implicitly.
    if issuer_raw:
        md.issuer = _place_completion(_smart_case(issuer_raw.strip()), md.province, md.commune)
        md.spans["issuer"] = issuer_span
        md.issuer_level = issuer_level(md.issuer)
        if md.issuer_level == "central":
            md.province = None  # "Hà Nội, ngày …" on a ministry's letter is not a province's plan
        if md.issuer_level != "commune":
            md.commune = None if md.issuer_level else md.commune

    md.plan_year = _plan_year(md, text, head_end)
    _signature(md, doc)
    _recipients(md, doc)
    return md


def _title_after(text: str, pos: int, limit: int) -> tuple[str | None, tuple[int, int] | None]:
    lines = []
    for a, z in _line_spans(text, pos, limit):
        line = text[a:z].strip()
        if not line:
            break
        if lines and (_TITLE_STOP_RE.match(line)
                      or len(line) > 250 or line.endswith((":", ";"))
                      or AUTHORITY_LINE_RE.match(line)
                      or (CAPS_LINE_RE.match(line) and not CAPS_LINE_RE.match(text[lines[0][0]:lines[0][1]]))):
            break
        if not lines and (line.startswith("(") or _NOT_A_TITLE_RE.match(line) or len(line) > 300):
            return None, None
        lines.append((a, z))
        if len(lines) >= 3:
            break
    if not lines:
        return None, None
    a, z = lines[0][0], lines[-1][1]
    title = _SPACES_RE.sub(" ", text[a:z]).strip().rstrip(".")
    if title.startswith("V/v"):
        title = title[3:].strip()
    return title or None, (a, z)


def _from_clause(md: Metadata, text: str, clause) -> None:
    """Fill type and title from "X ban hành Kế hoạch <title> …" when the document lost its
    type line (a PDF whose first page is blank, a copy without letterhead): the title is
    the document's first line if the clause repeats it."""
    if md.doc_type is None:
        md.doc_type = clause.group("type")
        md.spans["doc_type"] = clause.span("type")
    if md.title is None:
        first = next(((a, z) for a, z in _line_spans(text, 0, clause.start()) if text[a:z].strip()), None)
        if first is not None:
            line = text[first[0]:first[1]].strip()
            rest = _SPACES_RE.sub(" ", clause.group("rest")).lower().strip()
            flat = _SPACES_RE.sub(" ", line).lower()
            # the clause repeats the title right after the type word; allow OCR slips
            if 10 <= len(line) <= 250 and (flat in rest or SequenceMatcher(
                    None, flat, rest[:len(flat)]).ratio() >= 0.9):
                md.title, md.spans["title"] = line, first


def _promulgation_issuer(text: str, head_end: int):
    # The clause closes the legal-basis paragraph: the last match in the preamble wins.
    found = None, None, None
    end = min(len(text), head_end + 200)
    if _PROMULGATE_HINT_RE.search(text, 0, end) is None:
        return found
    for m in _PROMULGATE_RE.finditer(text, 0, end):
        cand = m.group("issuer").strip()
        cand_start = m.start("issuer") + (len(m.group("issuer")) - len(m.group("issuer").lstrip()))
        h = _ISSUER_HEAD_RE.search(cand)
        if h is None:
            continue
        # keep from the first issuing-body word: "…năm 2026; Văn phòng UBND tỉnh" -> "Văn phòng UBND tỉnh"
        issuer = cand[h.start():].strip(" ,")
        before = cand[:h.start()].strip()
        # "… Quyết định số 12/QĐ-TTg của Thủ tướng Chính phủ ban hành Kế hoạch …" describes a
        # cited instrument; the document's own clause starts with its issuer.
        if len(issuer.split()) > 14 or before.endswith("của") or len(before) > 25:
            continue
        s = cand_start + h.start()
        found = issuer, (s, s + len(issuer)), m
    return found


def _letterhead_issuer(text: str, head_end: int):
    """The agency block above "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM" (or the first caps lines)."""
    block = []
    for a, z in _line_spans(text, 0, min(head_end, 1500)):
        line = text[a:z].strip()
        if not line:
            continue
        if _MOTTO_OR_NUMBER_RE.match(line) or not CAPS_LINE_RE.match(line):
            if block:
                break
            continue
        if _titles()[2].match(line):
            break
        block.append((a, z, line))
    if not block:
        return None, None
    lines = [_RULES_AND_STARS_RE.sub("", ln).strip() for _, _, ln in block]
    lines = [ln for ln in lines if ln]
    if not lines:
        return None, None
    # "UBND TỈNH LAI CHÂU / VĂN PHÒNG": the lower line is a body under the upper one; other
    # multi-line blocks are one name wrapped ("ỦY BAN NHÂN / DÂN / THÀNH PHỐ HỒ CHÍ MINH").
    if len(lines) >= 2 and _SUB_BODY_RE.match(lines[-1]) and _PARENT_BODY_RE.match(lines[0]):
        issuer = f"{lines[-1]} {' '.join(lines[:-1])}"
    else:
        issuer = " ".join(lines)
    return _smart_case(issuer), (block[0][0], block[-1][1])


def _plan_year(md: Metadata, text: str, head_end: int) -> int | None:
    if md.title:
        p = _PERIOD_RE.search(md.title)
        y = _PLAN_YEAR_RE.search(md.title)
        if y:
            return int(y.group(1))
        if p:
            return int(p.group(1))
    # The promulgation clause often repeats the title: "… ban hành Kế hoạch … năm 2026".
    if "issuer" in md.spans:
        s = md.spans["issuer"][1]
        seg = text[s:text.find("\n", s) if text.find("\n", s) != -1 else len(text)]
        y = _PLAN_YEAR_RE.search(seg)
        if y:
            return int(y.group(1))
    if md.issue_date:
        return md.issue_date.year
    years = Counter(int(y.group(1)) for y in _YEAR_RE.finditer(text, 0, min(len(text), head_end + 3000)))
    return years.most_common(1)[0][0] if years else None


def _signature(md: Metadata, doc) -> None:
    text = doc.text
    a0, z0 = _closing_zone(doc)
    lines = [(a, z, text[a:z].strip()) for a, z in _line_spans(text, a0, z0)]
    for k in range(len(lines) - 1, -1, -1):
        a, z, line = lines[k]
        if not _NAME_LINE_RE.match(line) or _NOT_NAMES.match(line) or CAPS_LINE_RE.match(line):
            continue
        # the title is the nearest caps line above that is not a KT./TM. line
        for j in range(k - 1, max(-1, k - 6), -1):
            t = lines[j][2]
            if not t or _BRACKETED_RE.match(t):
                continue
            if CAPS_LINE_RE.match(t):
                if _SIGN_PREFIX_RE.match(t):
                    continue
                md.signer_name = line
                md.signer_title = t.strip("* ")
                md.spans["signer_name"] = (a + (len(text[a:z]) - len(text[a:z].lstrip())),
                                           a + (len(text[a:z]) - len(text[a:z].lstrip())) + len(line))
                return
            break


def _recipients(md: Metadata, doc) -> None:
    text = doc.text
    m = _RECIPIENTS_HEAD_RE.search(text)
    if not m:
        return
    for a, z in _line_spans(text, m.end() + 1, doc.body_end):
        line = text[a:z].strip()
        if not _BULLET_START_RE.match(line):
            if md.recipients or line:
                break
            continue
        item = _BULLET_PREFIX_RE.sub("", line).rstrip(" ;.,")
        if _ARCHIVE_LINE_RE.match(item):
            continue
        if item:
            md.recipients.append(item)
