"""The code lists behind citation symbols, as lookups: type codes (``QĐ``, ``CT``, ``KH``),
issuer codes (``TTg``, ``UBND``, ``TW``, ``QH15``) and type words ("Quyết định").

Knowledge lives in ``gazetteer/data/doc_types.json`` and ``issuer_codes.json``; this module
only indexes it. Lookups forgive what real text does to codes: case ("TTG"), the Icelandic
Ð and Cyrillic look-alikes ("BТС") that OCR and copy-paste leave, a lost Đ ("ND-CP"),
a term number on the issuer ("QH15", OCR "OH15").

>>> CODES.canon("ttg"), CODES.canon("ND"), CODES.canon("QH15"), CODES.canon("OH15")
('TTg', 'NĐ', 'QH15', 'QH15')
>>> CODES.default_type("CT"), CODES.issuer_name("QĐ/TW")
('Chỉ thị', 'Trung ương')
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

import regex

from gazetteer import load

# Letters that look Latin but are not: OCR and copy-paste put them inside codes ("BТС").
_LOOKALIKES = str.maketrans({
    "А": "A", "В": "B", "Е": "E", "К": "K", "М": "M", "Н": "H", "О": "O", "Р": "P", "С": "C", "Т": "T",
    "Х": "X", "У": "Y", "Ð": "Đ", "Ɖ": "Đ", "đ": "đ",
})
_TERM = regex.compile(r"^(?P<stem>\D+?)(?P<term>\d{1,2})$")
_SYMBOL_SEP = regex.compile(r"[-/]")


def fold_code(token: str) -> str:
    """Lookup key of a code token: look-alike letters mapped, case folded.

    >>> fold_code("BТС"), fold_code("QÐ")
    ('btc', 'qđ')
    """
    return token.translate(_LOOKALIKES).casefold()


@dataclass(frozen=True)
class IssuerCode:
    code: str
    name: str
    level: str  # central / province / local
    term: bool = False
    former: bool = False


@dataclass
class CodeBook:
    """Indexes of the two code lists; build once (``CODES``) and share."""

    doc_types: dict = field(default_factory=lambda: load("doc_types"))
    issuer_codes: dict = field(default_factory=lambda: load("issuer_codes"))

    # --- type codes and words --------------------------------------------------------
    @cached_property
    def _type_codes(self) -> dict[str, str]:
        """folded code -> canonical code, for primary and secondary type codes."""
        out: dict[str, str] = {}
        for t in self.doc_types["types"]:
            for c in t.get("codes", []) + t.get("secondary_codes", []):
                out.setdefault(fold_code(c), c)
        # A lost Đ (ASCII-only keyboards, OCR): "ND-CP", "QD-TTg".
        out.setdefault("nd", "NĐ")
        out.setdefault("qd", "QĐ")
        return out

    @cached_property
    def _code_types(self) -> dict[str, list[str]]:
        """canonical type code -> types using it, the default (primary) first."""
        out: dict[str, list[str]] = {}
        for t in self.doc_types["types"]:
            for c in t.get("codes", []):
                out.setdefault(c, []).append(t["type"])
        for t in self.doc_types["types"]:
            for c in t.get("secondary_codes", []):
                out.setdefault(c, []).append(t["type"])
        return out

    @cached_property
    def word_types(self) -> dict[str, str]:
        """folded type word (single-spaced) -> canonical type."""
        out = {}
        for t in self.doc_types["types"]:
            for w in t.get("words", []):
                out[w.casefold()] = t["type"]
        return out

    @cached_property
    def generic_words(self) -> frozenset[str]:
        return frozenset(w.casefold() for w in self.doc_types.get("generic_words", []))

    @cached_property
    def type_codes_of_type(self) -> dict[str, frozenset[str]]:
        return {t["type"]: frozenset(t.get("codes", []) + t.get("secondary_codes", []))
                for t in self.doc_types["types"]}

    # --- issuer codes -------------------------------------------------------------------
    @cached_property
    def _issuers(self) -> dict[str, IssuerCode]:
        out: dict[str, IssuerCode] = {}
        for e in self.issuer_codes["codes"]:
            ic = IssuerCode(e["code"], e["name"], e["level"], bool(e.get("term")), bool(e.get("former")))
            out[fold_code(e["code"])] = ic
        return out

    @cached_property
    def _issuer_variants(self) -> dict[str, tuple[IssuerCode, bool]]:
        """folded variant -> (issuer, needs a term number)."""
        out = {}
        for e in self.issuer_codes["codes"]:
            ic = self._issuers[fold_code(e["code"])]
            for v in e.get("variants", []):
                out[fold_code(v)] = (ic, ic.term)
        return out

    @cached_property
    def _memo(self) -> dict:
        # Tokens repeat endlessly ("NĐ", "CP", "UBND"): every lookup is memoized.
        return {}

    def issuer(self, token: str) -> tuple[IssuerCode, str | None] | None:
        key = ("issuer", token)
        try:
            return self._memo[key]
        except KeyError:
            hit = self._memo[key] = self._issuer(token)
            return hit

    def _issuer(self, token: str) -> tuple[IssuerCode, str | None] | None:
        """The issuer a code token stands for, with its term number if any.

        >>> CODES.issuer("UBTVQH15")[0].name, CODES.issuer("UBTVQH15")[1]
        ('Ủy ban Thường vụ Quốc hội', '15')
        >>> CODES.issuer("XYZ") is None
        True
        """
        key = fold_code(token)
        hit = self._issuers.get(key)
        if hit is not None:
            return hit, None
        var = self._issuer_variants.get(key)
        if var is not None and not var[1]:
            return var[0], None
        m = _TERM.match(key)
        if m:
            stem = m.group("stem")
            hit = self._issuers.get(stem)
            if hit is not None and hit.term:
                return hit, m.group("term")
            var = self._issuer_variants.get(stem)
            if var is not None and var[0].term:
                return var[0], m.group("term")
        return None

    # --- tokens ----------------------------------------------------------------------------
    def type_code(self, token: str) -> str | None:
        """Canonical type code of a token ("QÐ" -> "QĐ", "ND" -> "NĐ"), else None."""
        key = ("type", token)
        try:
            return self._memo[key]
        except KeyError:
            hit = self._memo[key] = self._type_codes.get(fold_code(token))
            return hit

    def canon(self, token: str) -> str | None:
        """Canonical spelling of a known type or issuer code, else None."""
        key = ("canon", token)
        try:
            return self._memo[key]
        except KeyError:
            hit = self._memo[key] = self._canon(token)
            return hit

    def _canon(self, token: str) -> str | None:
        t = self.type_code(token)
        if t is not None:
            return t
        hit = self.issuer(token)
        if hit is not None:
            return hit[0].code + (hit[1] or "")
        return None

    def split_glued(self, token: str) -> list[str] | None:
        """A type code glued to an issuer code ("NĐCP", "TTBKHĐT") as its two codes.

        >>> CODES.split_glued("NĐCP"), CODES.split_glued("TTBKHĐT"), CODES.split_glued("UBND")
        (['NĐ', 'CP'], ['TT', 'BKHĐT'], None)
        """
        key = ("glued", token)
        if key not in self._memo:
            self._memo[key] = self._split_glued(token)
        return self._memo[key]

    def _split_glued(self, token: str) -> list[str] | None:
        if self.canon(token) is not None:
            return None
        for k in range(min(4, len(token) - 1), 0, -1):
            head, tail = token[:k], token[k:]
            t = self.type_code(head)
            if t is not None and self.issuer(tail) is not None:
                return [t, self.canon(tail)]
        return None

    def repair(self, token: str) -> str | None:
        """An OCR-damaged mixed-case code one edit away from a known one ("TTEg" -> "TTg").

        Only codes with lower-case letters are repaired: real codes almost never have
        them, so an unknown mixed-case token is damage, not a new code.

        >>> CODES.repair("TTEg"), CODES.repair("CTt"), CODES.repair("UBNE")
        ('TTg', 'CTr', None)
        """
        if token.isupper() or not any(ch.isupper() for ch in token) or self.canon(token) is not None:
            return None
        hits = {c for c in self.mixed_case_codes if c[0] == token[0] and _one_edit(c, token)}
        return hits.pop() if len(hits) == 1 else None

    def repair_doubled(self, token: str) -> str | None:
        """A type code with a doubled letter, OCR's commonest damage ("NNQ" -> "NQ").

        Callers use it only where a known issuer code follows ("76/NNQ-CP"), since an
        unknown unit code may look like one ("CCT").

        >>> CODES.repair_doubled("NNQ"), CODES.repair_doubled("QĐĐ"), CODES.repair_doubled("CCTKV")
        ('NQ', 'QĐ', None)
        """
        for i in range(len(token) - 1):
            if token[i] == token[i + 1]:
                hit = self.type_code(token[:i] + token[i + 1:])
                if hit is not None:
                    return hit
        return None

    def types_for_code(self, code: str | None) -> list[str]:
        """Types a canonical type code can stand for, the default first.

        >>> CODES.types_for_code("QĐ")
        ['Quyết định', 'Quy định']
        """
        return self._code_types.get(code or "", [])

    def default_type(self, code: str | None) -> str | None:
        types = self.types_for_code(code)
        return types[0] if types else None

    def type_of_word(self, word: str) -> str | None:
        """Canonical type for a type word as written ("QUYẾT ĐỊNH", "quyết  định").

        >>> CODES.type_of_word("QUYẾT ĐỊNH"), CODES.type_of_word("văn bản")
        ('Quyết định', None)
        """
        key = ("word", word)
        try:
            return self._memo[key]
        except KeyError:
            hit = self._memo[key] = self.word_types.get(" ".join(word.split()).casefold())
            return hit

    def compatible(self, type_: str, code: str | None) -> bool:
        """Whether a type word agrees with the type code of the symbol.

        >>> CODES.compatible("Quy định", "QĐ"), CODES.compatible("Chỉ thị", "QĐ")
        (True, False)
        """
        if code is None:
            return True
        return code in self.type_codes_of_type.get(type_, frozenset())

    def issuer_name(self, symbol: str) -> str | None:
        """The issuer named by a symbol's codes, for when no phrase names it.

        Joint instruments name every known issuer, ";"-separated ("TTLT-BCT-BTC"); unit suffixes of an
        official letter ("UBND-TH") are not issuers.

        >>> CODES.issuer_name("TTLT-BCT-BTC"), CODES.issuer_name("UBND-TH"), CODES.issuer_name("QH15")
        ('Bộ Công Thương; Bộ Tài chính', 'Ủy ban nhân dân', 'Quốc hội')
        """
        names = []
        for ic, _term in self.issuers_of(symbol):
            if ic.name not in names:
                names.append(ic.name)
        return "; ".join(names) if names else None  # names may hold commas ("Bộ Văn hóa, Thể thao …")

    def issuers_of(self, symbol: str) -> list[tuple[IssuerCode, str | None]]:
        """Known issuer codes of a canonical symbol, in order (type codes skipped)."""
        key = ("issuers_of", symbol)
        if key not in self._memo:
            self._memo[key] = tuple(self._issuers_of(symbol))
        return list(self._memo[key])

    def _issuers_of(self, symbol: str) -> list[tuple[IssuerCode, str | None]]:
        out = []
        toks = [t for t in _SYMBOL_SEP.split(symbol) if t]
        for i, tok in enumerate(toks):
            if i == 0 and self.type_code(tok) is not None and len(toks) > 1:
                continue
            hit = self.issuer(tok)
            if hit is not None:
                out.append(hit)
            elif out:
                break  # unit suffixes ("UBND-TH") end the issuer list
        return out

    def level_of(self, symbol: str) -> str | None:
        """``central`` / ``province`` / ``local`` from a symbol's first known issuer code."""
        iss = self.issuers_of(symbol)
        return iss[0][0].level if iss else None

    @cached_property
    def mixed_case_codes(self) -> frozenset[str]:
        """Codes with lower-case letters (TTg, CTr, QĐi, SNgV): never mistaken for words."""
        codes = set()
        for t in self.doc_types["types"]:
            codes.update(c for c in t.get("codes", []) + t.get("secondary_codes", []) if not c.isupper())
        codes.update(e["code"] for e in self.issuer_codes["codes"] if not e["code"].isupper())
        return frozenset(codes)


def _one_edit(a: str, b: str) -> bool:
    """True when ``b`` is ``a`` with one letter inserted, deleted or replaced."""
    if abs(len(a) - len(b)) > 1 or a == b:
        return False
    if len(a) == len(b):
        return sum(x != y for x, y in zip(a, b)) == 1
    short, long = (a, b) if len(a) < len(b) else (b, a)
    return any(long[:i] + long[i + 1:] == short for i in range(len(long)))


CODES = CodeBook()
