"""Named regex pieces of the citation grammar, composed into the compiled patterns the
citation extractor runs over normalized text.

The three Vietnamese numbering grammars share one shape, NUMBER SEP [YEAR /] SYMBOL:

* normative (QPPL):      ``59/2023/NĐ-CP``, ``72/2025/QH15``, ``75/2024/NQ-HĐND``
* administrative (NĐ 30): ``33/CT-TTg``, ``450/KH-UBND``, letters ``91/UBND-TH``
* Party (HD 36-HD/VPTW): ``23-QĐ/TW``, ``02-CTr/BCĐ``, ``08-CTPH/BDVTU-BCSĐUBND``

``SYMBOL_RE`` is deliberately permissive (any run of code-like tokens); which tokens
really belong to the symbol is decided against the code lists (citation_codes), so the
patterns stay small and the knowledge stays in gazetteer/.
"""

from __future__ import annotations

import regex

from .citation_codes import CODES

# Upper-case letters of codes, with the look-alikes real text puts there (Ð, Cyrillic).
UPPER = "A-ZĐÐАВЕКМНОРСТХ"
# A code token: "QĐ", "TTg", "CTr", "QH15", "BGD&ĐT". Never the start of a word ("Nghị").
TOKEN = rf"[{UPPER}][{UPPER}a-zđ0-9&]*(?![\p{{L}}\p{{M}}\p{{N}}&])"
# Between tokens: "-" or "/" (OCR adds spaces: "NĐ -CP"; a hard wrap normalize missed:
# "KH-⏎UBND"), or a lone space ("NĐ CP"); the extractor keeps a spaced join only between
# known codes.
TOKEN_SEP = r"(?:[ ]?[-/](?:[ ]|\n)?|[ ])"
NUMBER = r"\d{1,5}"
YEAR = r"(?:19|20)\d{2}"

# NUMBER SEP [YEAR /] SYMBOL. Not inside a longer number, date or symbol ("26/11/2021",
# "1.234", "QH15/2020").
CITATION_CORE_RE = regex.compile(
    rf"(?<![\p{{L}}\p{{N}}/.\-_&])"
    rf"(?P<num>{NUMBER})[ ]?(?P<sep>[/-])(?:[ ]|\n)?"
    rf"(?:(?P<year>{YEAR})[ ]?/[ ]?)?"
    rf"(?P<sym>{TOKEN}(?:{TOKEN_SEP}{TOKEN})*)"
)
SYMBOL_TOKEN_RE = regex.compile(rf"(?P<sep>{TOKEN_SEP})?(?P<tok>{TOKEN})")


def _words_alt(words, case_insensitive: bool) -> str:
    pats = sorted({" ".join(w.split()) for w in words}, key=lambda s: (-len(s), s))
    alt = "|".join(regex.escape(w).replace(r"\ ", r"\s+") for w in pats)
    return f"(?i:{alt})" if case_insensitive else f"(?:{alt})"


def _type_word_alt() -> str:
    words = [w for t in CODES.doc_types["types"] for w in t.get("words", [])]
    # Written-out words match in any case ("QUYẾT ĐỊNH", "quyết định"); abbreviations
    # used as words ("QĐ số 12/QĐ-UBND") only as written, so "kh" or "tt" never count.
    abbrevs = [w for w in words if w.isupper() or w in CODES.mixed_case_codes]
    full = [w for w in words if w not in abbrevs] + list(CODES.doc_types.get("generic_words", []))
    return f"(?:{_words_alt(full, True)}|{_words_alt(abbrevs, False)})"


TYPE_WORD = _type_word_alt()
_B = r"(?<![\p{L}\p{M}\p{N}])"  # word start
_E = r"(?![\p{L}\p{M}\p{N}])"  # word end

# What stands left of a number, in two steps so that neither scans a long window:
# 1. right before the number: "Mẫu số ", a header "Số: ", "số 217, " (a shared-suffix list);
SO_LIST_RE = regex.compile(
    rf"(?P<form>{_B}(?:mẫu|Mẫu|MẪU|biểu|Biểu|BIỂU|phụ lục|Phụ lục|PHỤ LỤC)[ ])?"
    rf"(?P<so>{_B}(?P<so_word>số|Số|SỐ|No\.?|NO\.?)(?P<so_hieu>[ ]hiệu)?[ ]?:?\s?)?"
    rf"(?P<list>(?:{NUMBER}[ ]?(?:,|;|và)[ ]?)*)"
    rf"\Z",
    # Matched right to left from the number: one attempt instead of one per window position.
    # Every part is greedy and optional, so this finds the same (leftmost-starting) match.
    regex.REVERSE,
)
# 2. the nearest type word before that (searched backwards), and what lies between:
#    nothing ("Quyết định số"), a law's name ("Luật Tổ chức chính quyền địa phương số"),
#    a qualifier ("Báo cáo thẩm tra số"), an opening parenthesis.
TYPE_WORD_BACK_RE = regex.compile(rf"{_B}(?P<type>{TYPE_WORD}){_E}", regex.REVERSE)
NAME_GAP_RE = regex.compile(
    rf"(?P<name>(?:(?:,(?=[ ]\p{{Ll}}))?[ ](?!(?:số|Số|SỐ){_E})[^\s,;:.()\[\]“”\"]+){{0,14}})[ ]?(?:\([ ]?)?"
)

# An issue date right after the symbol (or after the issuer): "ngày 26/11/2021",
# ", ngày 04/02/2026", "ngày 26 tháng 11 năm 2021", "ban hành ngày …". The year must end
# there: "20253" is a year glued to a footnote marker, not a year.
DATE_RE = regex.compile(
    r"(?P<lead>[ ]?,?[ ]?(?:\[\^\d+\][ ]?)?(?:\([ ]?)?(?:ban hành[ ])?)"
    r"(?P<date>(?:ngày|Ngày|NGÀY)[ ]?(?P<d>\d{1,2})[ ]?"
    r"(?:[/.-][ ]?(?P<m>\d{1,2})[ ]?[/.-][ ]?(?P<y>\d{4})"
    r"|[ ]tháng[ ](?P<m2>\d{1,2})[ ]?,?[ ]năm[ ](?P<y2>\d{4}))(?!\d))"
)
# Cheap exact pre-checks for the patterns tried right of every symbol (most fail at once):
# the first character that is not a space or comma among the next four — what may follow
# the optional "[ ]?,?[ ]?" these patterns open with — must be one of these (completeness
# is proven in tests/test_citation_prefilter.py).
DATE_FIRST = frozenset("[(bnN")
SUBJECT_LEAD_FIRST = frozenset("vVqbhpstck")
# and the locality word opens with one of these
LOCALITY_STARTS = (" t", " h", " x", " p")
# A locality word between symbol and date: "01/CT-UBND tỉnh ngày 09/01/2026".
LOCALITY_TAIL_RE = regex.compile(r"[ ](?:tỉnh|thành phố|huyện|xã|phường)(?=[ ,]*(?:ngày|của)[ ])")

# "của <issuer>": where the issuer phrase starts.
ISSUER_LEAD_RE = regex.compile(r"[ ]?,?[ ]?(?:\[\^\d+\][ ]?)?của[ ](?=[\p{Lu}])")
# Where an issuer phrase ends: punctuation, quotes, a footnote marker, a number, or a
# word that starts what follows it (the subject — capitalised in many titles: "Quy định
# chi tiết …" —, a date, the next citation, a predicate: "có hiệu lực", "điều chỉnh").
_ISSUER_STOP_WORDS = (
    r"về|v/v|quy[ ]định|qui[ ]định|ban[ ]hành|hướng[ ]dẫn|phê[ ]duyệt|sửa[ ]đổi|bổ[ ]sung|bãi[ ]bỏ|"
    r"công[ ]bố|thành[ ]lập|kiện[ ]toàn|điều[ ]chỉnh|xác[ ]định|giao|phân[ ]công|quyết[ ]nghị|"
    r"tại|ngày|thì|đã|đến|cho|nhằm|để|với|theo|trong|trên|đối[ ]với|được|là|số|gửi|kèm|"
    r"tiếp[ ]tục|chỉ[ ]đạo|thông[ ]qua|chấn[ ]chỉnh|nay|từ|tới|vào|cùng|đồng[ ]thời|như|nêu|trình|"
    r"có|còn|hết|không|chưa|nên|cụ[ ]thể|chi[ ]tiết|khoảng|một|thi[ ]hành|đề[ ]nghị|yêu[ ]cầu"
)
# Capitalised, as titles write them ("của Chính phủ Quy định chi tiết …"); never the
# start of an organ's own name ("Ban Chỉ đạo" stays).
_ISSUER_STOP_TITLES = (
    r"Về|V/v|Quy[ ]định|Qui[ ]định|Ban[ ]hành|Hướng[ ]dẫn|Phê[ ]duyệt|Sửa[ ]đổi|Bổ[ ]sung|Bãi[ ]bỏ|"
    r"Công[ ]bố|Điều[ ]chỉnh|Quy[ ]chế|Thông[ ]tư|Nghị[ ]định"
)
ISSUER_END_RE = regex.compile(
    rf"[ ]?[,;:\n(\[“”\"]|\.(?:\s|$)|[ ]-[ ](?=(?:{TYPE_WORD}){_E})|[ ](?=\d)|"
    rf"[ ]+(?=(?:{_ISSUER_STOP_WORDS}|{_ISSUER_STOP_TITLES}){_E})|"
    rf"[ ]+(?=và[ ](?:(?:{TYPE_WORD}|các|những){_E}|\p{{Ll}}))"
)
# "Bộ Văn hóa, Thể thao và Du lịch": the one ministry whose name has a comma.
ISSUER_COMMA_NAME_RE = regex.compile(r",[ ]Thể[ ]thao[ ]và[ ]Du[ ]lịch")
# The parenthesis that belongs to an issuer: "BCH Trung ương (khóa XII)".
ISSUER_PAREN_RE = regex.compile(r"[ ]?\((?:khóa|khoá|nhiệm kỳ)[^()\n]{1,30}\)")

# The subject: "về …", "V/v …", or a verb phrase ("quy định chi tiết …", "ban hành …").
SUBJECT_LEAD_RE = regex.compile(
    r"[ ]?,?[ ]?(?:(?P<ve>(?:về|V/v|v/v)(?:[ ]việc)?[ ])"
    r"|(?=(?P<verb>quy[ ]định|ban[ ]hành|hướng[ ]dẫn|phê[ ]duyệt|sửa[ ]đổi|bổ[ ]sung|thành[ ]lập|"
    r"công[ ]bố|kiện[ ]toàn|triển[ ]khai|thực[ ]hiện|tăng[ ]cường|tiếp[ ]tục|quy[ ]chế)[ ]))"
)
SUBJECT_END_RE = regex.compile(
    rf"[;\n\[]|\.(?:\s|$)|[ ]?\((?:sau đây|gọi tắt|kèm|ban hành kèm)|"
    rf",[ ](?=(?:{TYPE_WORD}|căn cứ|Căn cứ|đồng thời|trong đó|theo đó|nhất là){_E})|"
    rf"[ ]và[ ](?=(?:{TYPE_WORD})[ ]+(?:số|\d))"
)

# An issuer named before the type word: "Theo chỉ đạo của UBND tỉnh tại Kế hoạch số …",
# "đề nghị của Giám đốc Sở Công Thương tại Tờ trình số …".
LEFT_ISSUER_RE = regex.compile(r"(?:của|chỉ đạo)[ ](?P<issuer>\p{Lu}[^,;:.\n()\[\]]{1,90}?)[ ]tại[ ]\Z")
