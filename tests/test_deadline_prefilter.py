"""The literal prefilter of the deadline patterns finds exactly what ``finditer`` finds: its
candidate positions (words, joined words, day numbers) must hold every match start."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from extractors.deadline_patterns import (
    _SHORT_RUN, _LongScan, _patterns, _prefiltered, _scan_literals, _scan_unfoldable, _scanned_patterns,
    find_time_expressions,
)

# Pieces around the leading words and day numbers: odd blanks, Unicode digits, case, a
# digit run too long for a day, list markers, stops before digits.
PIECES = st.sampled_from([
    "ngày", "NGÀY", "Ngày", "tháng", "THÁNG", "Tháng", "năm", "quý", "Quý", "định", "kỳ", "theo", "khi",
    "yêu cầu", "có", "vào", "dịp", "cuối", "đầu", "giữa", "nửa", "sáu", "6", "06", "15", "123", "2026",
    "٣", "٣٤", "𝟓", "/", ".", "-", " ", "  ", "\t", "\u00a0", "\u2003", "\n", ",", "(", ")", ":",
    "trước", "chậm nhất", "đến hết", "từ", "hằng", "hàng", "thường xuyên", "liên tục", "sau khi",
    "1. ", "a) ", "Thời gian thực hiện: ", "x", "A",
])
TEXTS = st.lists(PIECES, min_size=1, max_size=80).map("".join)


def _check(text: str) -> None:
    scan = _LongScan.of(text, 0, len(text), _scan_unfoldable())
    if scan is None:
        return
    for pat in _scanned_patterns(_patterns()):
        want = [m.span() for m in pat.finditer(text)]
        got = [m.span() for m in _prefiltered(pat, text, 0, len(text), scan)]
        assert got == want, (pat.pattern[:80], text)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(TEXTS)
def test_prefiltered_matches_are_finditer_matches(text):
    _check(text)


def test_day_numbers_and_joined_words():
    for text in [
        "báo cáo trước ngày 05/6/2026; trước ngày\u00a015 tháng 12, chậm nhất ngày 5.6.2026 và 5-6-2026",
        "1. Mục tiêu 2. Nội dung 12 / 6 và 12\t/6, 123/6, ٣/6, 5٣/6, 𝟓 tháng 6, 5 THÁNG 6",
        "định  kỳ 6 tháng, định\tkỳ hằng năm, theo định kỳ, khi có yêu cầu, theo  yêu cầu, cuối quý III",
        "vào dịp cuối năm, trong 06 tháng đầu năm 2026, nửa đầu năm, sáu tháng cuối năm",
    ]:
        _check(text)
        assert find_time_expressions(text) is not None


def test_absolute_starts_at_day_numbers():
    assert _SHORT_RUN in _scan_literals(_patterns().absolute)
