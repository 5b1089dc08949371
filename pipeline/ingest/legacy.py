"""Legacy Vietnamese 8-bit encodings (TCVN3/ABC, VNI-Windows, Windows-1258) -> Unicode.

Documents typed before Unicode used fonts whose glyphs sit at Windows-1252 code points:
a ``.VnTime`` (TCVN3) file reads "Céng hßa x· héi chñ nghÜa ViÖt Nam", a ``VNI-Times`` one
"Coäng hoøa xaõ hoäi chuû nghóa Vieät Nam". The same characters come out of .txt files,
Word runs and PDF text layers, so one detector and one converter serve every reader.
The tables are data (``legacy_maps.json``, each with examples that a test checks).

Detection counts characters that such text is full of and Unicode Vietnamese never uses
(TCVN3: "µ ¸ ¶ ¹ ¬ ­ ® Ö ..."; VNI: a vowel followed by a modifier glyph, "aø", "eä")
against real Vietnamese letters (ơ, ư, ạ ... ỹ).
"""

from __future__ import annotations

import codecs
import json
import re
import unicodedata
from functools import lru_cache
from pathlib import Path

import regex

_DATA = Path(__file__).with_name("legacy_maps.json")

# Latin-1 letters that Unicode Vietnamese itself uses; TCVN3 reuses their codes for other letters.
_VN_LATIN1 = set("ÀÁÂÃÈÉÊÌÍÒÓÔÕÙÚÝàáâãèéêìíòóôõùúý")
# Letters only Vietnamese uses (in NFC, outside Latin-1): the evidence that a text is Unicode.
_VN_UNICODE_RE = regex.compile(r"[ăđơưĂĐƠƯĩũĨŨ\u1ea0-\u1ef9]")
# "a"/"e" are never followed by a marked vowel in Vietnamese; "o", "u", "y" are ("hoà", "quá",
# "xuân"), so only the modifier glyphs no Vietnamese letter uses count after them.
_VNI_AFTER_AE = "âáàåãäêéèúüëùøûõïÂÁÀÅÃÄÊÉÈÚÜËÙØÛÕÏ"
_VNI_AFTER_OIUY = "øûïåäüëõùØÛÏÅÄÜËÕÙ"
_VNI_ALONE = "öÖñÑ"
_VNI_SIGNATURE_RE = regex.compile(f"[aeAE][{_VNI_AFTER_AE}]|[oiuyOIUY][{_VNI_AFTER_OIUY}]|[{_VNI_ALONE}]")
_LETTER_RE = regex.compile(r"\p{L}")
# The same classes for the stdlib engine, which scans a plain character class several times faster.
_VN_UNICODE_SCAN = re.compile(_VN_UNICODE_RE.pattern)
# The VNI signature as the glyph, then a look back at the letter before it: as many matches as
# _VNI_SIGNATURE_RE (its pairs never overlap), but the scan skips ahead to the next glyph instead
# of trying the pattern at every "a", "o", "u"... (3.4x faster; it ran over every document).
_VNI_SIGNATURE_SCAN = re.compile(
    f"[{''.join(sorted(set(_VNI_AFTER_AE + _VNI_AFTER_OIUY + _VNI_ALONE)))}]"
    f"(?:(?<=[aeAE][{_VNI_AFTER_AE}])|(?<=[oiuyOIUY][{_VNI_AFTER_OIUY}])|(?<=[{_VNI_ALONE}]))")


@lru_cache(maxsize=1)
def tables() -> dict:
    """The mapping data: ``{"tcvn3": {...}, "vni": {...}}`` as stored in legacy_maps.json."""
    return json.loads(_DATA.read_text(encoding="utf-8"))


@lru_cache(maxsize=1)
def _tcvn3_translation() -> dict[int, str]:
    return {int(b, 16): u for b, u in tables()["tcvn3"]["bytes"].items()}


@lru_cache(maxsize=1)
def _tcvn3_signature() -> frozenset[str]:
    return frozenset(chr(int(b, 16)) for b in tables()["tcvn3"]["bytes"]) - _VN_LATIN1 - {"\u00a0"}


@lru_cache(maxsize=1)
def _tcvn3_signature_re() -> regex.Pattern:
    """The TCVN3 glyphs as one character class: counted by the regex engine, not per character in Python."""
    return regex.compile("[" + "".join(regex.escape(c) for c in sorted(_tcvn3_signature())) + "]")


@lru_cache(maxsize=1)
def _tcvn3_signature_scan() -> re.Pattern:
    return re.compile(_tcvn3_signature_re().pattern)


@lru_cache(maxsize=1)
def _vni_pattern() -> tuple[regex.Pattern, dict[str, str]]:
    seqs = dict(tables()["vni"]["sequences"])
    # Case-mixed spellings ("Aù") occur after a word processor changed case: the base letter
    # decides the case of the result.
    for k, v in list(seqs.items()):
        if len(k) == 2 and k[0].isupper():
            seqs.setdefault(k[0] + k[1].lower(), v)
    keys = sorted(seqs, key=lambda s: (-len(s), s))
    return regex.compile("|".join(regex.escape(k) for k in keys)), seqs


def tcvn3_to_unicode(text: str, upper: bool = False) -> str:
    """Convert TCVN3 (ABC) text to Unicode; ``upper`` for runs in an uppercase font (.VnTimeH).

    >>> tcvn3_to_unicode("Céng hßa x· héi chñ nghÜa ViÖt Nam")
    'Cộng hòa xã hội chủ nghĩa Việt Nam'
    >>> tcvn3_to_unicode("kÕ ho¹ch", upper=True)
    'KẾ HOẠCH'
    """
    out = unicodedata.normalize("NFC", text.translate(_tcvn3_translation()))
    return out.upper() if upper else out


def vni_to_unicode(text: str) -> str:
    """Convert VNI-Windows text to Unicode.

    >>> vni_to_unicode("Coäng hoøa xaõ hoäi chuû nghóa Vieät Nam")
    'Cộng hòa xã hội chủ nghĩa Việt Nam'
    """
    pattern, seqs = _vni_pattern()
    return pattern.sub(lambda m: seqs[m.group()], text)


NAMES = {"tcvn3": "TCVN3 (ABC)", "vni": "VNI-Windows", "cp1258": "Windows-1258"}


def warning(encodings) -> str:
    """The document warning for text converted from legacy encodings.

    >>> warning(["vni", "tcvn3"])
    'legacy encoding TCVN3 (ABC), VNI-Windows converted to Unicode'
    """
    names = ", ".join(NAMES.get(e, e) for e in sorted(set(encodings)))
    return f"legacy encoding {names} converted to Unicode"


def detect(text: str) -> str | None:
    """``"tcvn3"``, ``"vni"`` or None (Unicode, or not Vietnamese at all).

    >>> detect("QuyÕt ®Þnh sè 23-Q§/TW"), detect("Quyeát ñònh soá 23"), detect("Quyết định số 23")
    ('tcvn3', 'vni', None)
    >>> detect("tænh tænh nam tænh chuû nam")  # VNI "tỉnh ... chủ" or TCVN3 "tổnh ... chuỷ": can't tell
    >>> detect("tænh nghóa tænh tænh tænh nghóa nghóa")  # "tỉnh nghĩa ..." or "tổnh nghúa ...": neither

    """
    if not text or text.isascii():
        return None
    sample = text if len(text) <= 200_000 else text[:100_000] + text[-100_000:]
    # Cheapest test first: Unicode text has (almost) no signature glyphs, so most documents are
    # decided by two scans that find nothing; letters are only counted when the glyphs abound.
    evidence = {"tcvn3": len(_tcvn3_signature_scan().findall(sample)), "vni": len(_VNI_SIGNATURE_SCAN.findall(sample))}
    if max(evidence.values()) < 2:
        return None
    n_viet = len(_VN_UNICODE_SCAN.findall(sample))
    if max(evidence.values()) <= 2 * n_viet:
        return None
    n_letters = len(_LETTER_RE.findall(sample))
    if n_letters == 0:
        return None
    floor = max(2, 0.01 * n_letters)
    found = [enc for enc, n in evidence.items() if n >= floor and n > 2 * n_viet]
    if not found:
        return None
    # The glyph sets overlap ("ö", "ä", "ñ", "æ"), and stray glyphs occur in Unicode text: keep
    # the conversion that reads as Vietnamese, and only if it reads better than the text as is.
    # Both readings are scored even when one encoding has no glyph of its own: "æ" and "ó"
    # are TCVN3 glyphs and VNI ones too ("tænh nghóa" is VNI "tỉnh nghĩa", TCVN3 "tổnh nghúa").
    scores = {enc: _syllable_score(to_unicode(sample, enc)) for enc in evidence}
    best = max(found, key=lambda enc: (scores[enc], enc))
    if scores[best] <= _syllable_score(sample):
        return None
    # The other encoding, even below the evidence floor, may read just as well: a short text
    # ("tænh chuû" is VNI "tỉnh chủ" and TCVN3 "tổnh chuỷ") cannot tell them apart. Guessing
    # would garble it; left as is, it is at least recognisably not Unicode.
    if any(scores[enc] >= scores[best] for enc in scores if enc != best):
        return None
    return best


_TONES = "\u0300\u0301\u0303\u0309\u0323"
_TONE_RE = regex.compile(f"[{_TONES}]")
_WORD_RE = regex.compile(r"[\p{L}\p{M}]+")
# A Vietnamese syllable without its tone: onset, vowel nucleus, final consonant ("oo" of
# loanwords like "xoong" left out: it is what TCVN3 glyphs read as VNI make of "ô").
_SYLLABLE_RE = regex.compile(
    r"(?:ngh|ng|nh|ch|gh|gi|kh|ph|qu|th|tr|[bcdđghklmnpqrstvx])?"
    r"(?:iêu|yêu|oai|oay|oeo|uây|uôi|ươi|ươu|uyê|uya|uyu|ai|ao|au|ay|âu|ây|eo|êu|ia|iê|iu|oa|oă|oe|oi|ôi|ơi"
    r"|ua|uâ|uê|ui|uô|uơ|uy|ưa|ưi|ươ|ưu|yê|a|ă|â|e|ê|i|o|ô|ơ|u|ư|y)"
    r"(?:ch|ng|nh|[cmnpt])?")


def _syllable_score(text: str) -> int:
    """Non-ASCII words that are Vietnamese syllables (one tone mark, a valid vowel cluster),
    minus twice the words that cannot be."""
    score = 0
    for w in _WORD_RE.findall(unicodedata.normalize("NFD", text)):
        if w.isascii():
            continue
        tones = len(_TONE_RE.findall(w))
        base = unicodedata.normalize("NFC", _TONE_RE.sub("", w)).lower()
        score += 1 if tones <= 1 and _SYLLABLE_RE.fullmatch(base) else -2
    return score


def to_unicode(text: str, encoding: str | None = None) -> str:
    """Convert ``text`` from ``encoding`` (detected when None); Unicode text comes back as is.

    >>> to_unicode("n­íc ViÖt Nam"), to_unicode("nöôùc Vieät Nam"), to_unicode("nước Việt Nam")
    ('nước Việt Nam', 'nước Việt Nam', 'nước Việt Nam')
    """
    encoding = encoding or detect(text)
    if encoding == "tcvn3":
        return tcvn3_to_unicode(text)
    if encoding == "vni":
        return vni_to_unicode(text)
    return text


def decode_8bit(data: bytes) -> tuple[str, str]:
    """Decode bytes that are not UTF-8: TCVN3, VNI, Windows-1258 or Windows-1252.

    Returns ``(text, encoding)``.

    >>> decode_8bit("Céng hßa x· héi chñ nghÜa".encode("cp1252"))
    ('Cộng hòa xã hội chủ nghĩa', 'tcvn3')
    >>> decode_8bit("Viê\\u0323t Nam".encode("cp1258"))
    ('Việt Nam', 'cp1258')
    """
    as_latin = data.decode("latin-1")
    enc = detect(as_latin)
    if enc == "tcvn3":
        # Bytes 80-9F are Windows-1252 punctuation (“ ” – …) in TCVN3 files.
        return tcvn3_to_unicode(_cp1252(data)), enc
    if enc == "vni":
        return vni_to_unicode(_cp1252(data)), enc
    try:
        text = data.decode("cp1258")
    except UnicodeDecodeError:
        text = None
    if text is not None and regex.search(r"\p{L}[\u0300\u0301\u0303\u0309\u0323]", text):
        return unicodedata.normalize("NFC", text), "cp1258"
    return _cp1252(data), "cp1252"


def _latin1_fallback(err: UnicodeDecodeError) -> tuple[str, int]:
    return err.object[err.start:err.end].decode("latin-1"), err.end


codecs.register_error("vnplan-latin1", _latin1_fallback)


def _cp1252(data: bytes) -> str:
    # Five bytes are undefined in Windows-1252; keep them as their Latin-1 characters.
    return data.decode("cp1252", errors="vnplan-latin1")
