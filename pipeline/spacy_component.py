"""vnplan inside spaCy: ``nlp.add_pipe("vnplan")`` puts citations, deadlines and units in ``doc.spans``.

::

    import spacy
    import pipeline.spacy_component  # registers "vnplan" (also found through the entry point)

    nlp = spacy.blank("vi", config={"nlp": {"tokenizer": {"@tokenizers": "vnplan.VietnameseTokenizer.v1"}}})
    nlp.add_pipe("vnplan")
    doc = nlp(open("plan.txt", encoding="utf-8").read())
    for span in doc.spans["vnplan"]:
        print(span.label_, span.text, span._.vnplan["type"] if span.label_ == "CITATION" else "")
    spacy.displacy.render(doc, style="span", options={"spans_key": "vnplan"})

The component runs the whole vnplan pipeline on ``doc.text`` (normalize, segment,
extract, resolve) and maps every record back onto the spaCy doc: records point into the
*normalized* text, so their offsets go through the normalizer's offset map to
``doc.text`` and then to tokens with ``doc.char_span(..., alignment_mode="expand")``.
A citation broken over two lines in a PDF extract ("635/KH-⏎UBND") is one span.

Each span's label is ``CITATION``, ``DEADLINE`` or ``UNIT``; ``span._.vnplan`` holds the
record's parsed fields (the row of the citations / deadlines / assignments table, dates
as ISO strings so the doc still serializes), and ``doc._.vnplan`` the document's row
(doc type, title, province, plan year ...).

Tokenization: spaCy's own ``vi`` language needs pyvi; ``VietnameseTokenizer`` here needs
nothing. It keeps legal symbols, numbers and dates whole ("33/CT-TTg",
"59/2023/NĐ-CP", "15/12/2026", "[^1]"), splits punctuation off, and (``segmenter
="underthesea"``, the default when underthesea is installed) joins the syllables of one
word into one token ("Ủy ban nhân dân", "chủ trì"). ``doc.text`` is always exactly the
input: ``text_with_ws == text``.
"""

from __future__ import annotations

import datetime as _dt
from typing import Any, Iterable

import regex
from spacy.language import Language
from spacy.tokens import Doc, Span, SpanGroup
from spacy.util import registry

SPANS_KEY = "vnplan"
# Output table -> span label.
LABELS = {"citations": "CITATION", "deadlines": "DEADLINE", "assignments": "UNIT"}

# Non-space tokens, longest first: a footnote marker; a number with its symbol or date
# parts ("33/CT-TTg", "23-QĐ/TW", "59/2023/NĐ-CP", "26/11/2021", "14.8.2023"); a word
# with inner hyphens or slashes ("CT-TTg", "QĐ/TW"); any other single character.
_TOKEN = regex.compile(r"""
    \[\^[\p{L}\p{N}]+\]
  | \p{N}+(?:[/.\-][\p{L}\p{M}\p{N}]+)*
  | [\p{L}\p{M}\p{N}]+(?:[\-/][\p{L}\p{M}\p{N}]+)*
  | \S
""", regex.VERBOSE)
_SYLLABLE = regex.compile(r"[\p{L}\p{M}]+")


def _jsonable(v: Any) -> Any:
    if isinstance(v, (_dt.date, _dt.datetime)):
        return v.isoformat()
    if isinstance(v, dict):
        return {k: _jsonable(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [_jsonable(x) for x in v]
    return v


def syllable_tokens(text: str) -> list[tuple[int, int]]:
    """Character ranges of the non-space tokens of ``text``.

    >>> t = "Chỉ thị số 33/CT-TTg ngày 26/11/2021;"
    >>> [t[s:e] for s, e in syllable_tokens(t)]
    ['Chỉ', 'thị', 'số', '33/CT-TTg', 'ngày', '26/11/2021', ';']
    """
    return [m.span() for m in _TOKEN.finditer(text)]


def _underthesea_words(text: str) -> list[tuple[int, int]]:
    """Ranges of multi-syllable words (letters and single spaces only) found by underthesea.

    underthesea re-spaces some input ("[^1]" -> "[ ^ 1 ]"), so its words are located
    in ``text`` one by one, in order, and the ones not found verbatim are ignored.
    """
    from underthesea import word_tokenize

    out, pos = [], 0
    for line_start, line in _lines(text):
        if not line.strip():
            continue
        pos = 0
        for w in word_tokenize(line):
            if " " not in w or not all(_SYLLABLE.fullmatch(p) for p in w.split(" ")):
                i = line.find(w, pos, pos + len(w) + 40)
                if i >= 0:
                    pos = i + len(w)
                continue
            i = line.find(w, pos, pos + len(w) + 40)
            if i < 0:
                continue
            out.append((line_start + i, line_start + i + len(w)))
            pos = i + len(w)
    return out


def _lines(text: str) -> Iterable[tuple[int, str]]:
    start = 0
    for line in text.split("\n"):
        yield start, line
        start += len(line) + 1


def _merge_words(text: str, tokens: list[tuple[int, int]], words: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Join the tokens that one word covers exactly (its edges are token edges)."""
    starts = {s: i for i, (s, _) in enumerate(tokens)}
    ends = {e: i for i, (_, e) in enumerate(tokens)}
    merged, i = [], 0
    word_at = {}
    for s, e in words:
        if s in starts and e in ends and ends[e] > starts[s]:
            word_at[starts[s]] = ends[e]
    while i < len(tokens):
        j = word_at.get(i)
        if j is not None:
            merged.append((tokens[i][0], tokens[j][1]))
            i = j + 1
        else:
            merged.append(tokens[i])
            i += 1
    return merged


class VietnameseTokenizer:
    """Tokenizer for Vietnamese official text; ``doc.text`` is always the input verbatim.

    ``segmenter="syllable"``: one token per syllable / symbol / punctuation mark.
    ``segmenter="underthesea"``: syllables of one word joined into one token (needs the
    underthesea package; falls back to syllables without it).
    """

    def __init__(self, vocab, segmenter: str = "underthesea"):
        if segmenter not in ("underthesea", "syllable"):
            raise ValueError(f"segmenter must be 'underthesea' or 'syllable', not {segmenter!r}")
        self.vocab = vocab
        self.segmenter = segmenter
        if segmenter == "underthesea":
            try:
                import underthesea  # noqa: F401
            except ImportError:
                self.segmenter = "syllable"

    def token_ranges(self, text: str) -> list[tuple[int, int]]:
        tokens = syllable_tokens(text)
        if self.segmenter == "underthesea" and tokens:
            tokens = _merge_words(text, tokens, _underthesea_words(text))
        return tokens

    def __call__(self, text: str) -> Doc:
        words, spaces = [], []
        pos = 0
        for s, e in self.token_ranges(text):
            if s > pos:
                self._gap(text[pos:s], words, spaces)
            words.append(text[s:e])
            spaces.append(False)
            pos = e
        if pos < len(text):
            self._gap(text[pos:], words, spaces)
        return Doc(self.vocab, words=words, spaces=spaces)

    @staticmethod
    def _gap(gap: str, words: list[str], spaces: list[bool]) -> None:
        # spaCy keeps one trailing space per token; any other whitespace is its own token.
        if words and not spaces[-1] and gap.startswith(" "):
            spaces[-1] = True
            gap = gap[1:]
        if gap:
            words.append(gap)
            spaces.append(False)

    # Serialization: the tokenizer has no state beyond its setting.
    def to_bytes(self, **kwargs) -> bytes:
        return self.segmenter.encode()

    def from_bytes(self, data: bytes, **kwargs) -> "VietnameseTokenizer":
        self.segmenter = data.decode() or "underthesea"
        return self

    def to_disk(self, path, **kwargs) -> None:
        from pathlib import Path
        Path(path).mkdir(parents=True, exist_ok=True)
        (Path(path) / "segmenter.txt").write_text(self.segmenter)

    def from_disk(self, path, **kwargs) -> "VietnameseTokenizer":
        from pathlib import Path
        f = Path(path) / "segmenter.txt"
        if f.exists():
            self.segmenter = f.read_text().strip()
        return self


@registry.tokenizers("vnplan.VietnameseTokenizer.v1")
def create_vietnamese_tokenizer(segmenter: str = "underthesea"):
    """spaCy config entry: ``[nlp.tokenizer] @tokenizers = "vnplan.VietnameseTokenizer.v1"``."""
    def make(nlp: Language) -> VietnameseTokenizer:
        return VietnameseTokenizer(nlp.vocab, segmenter=segmenter)
    return make


class VnplanComponent:
    """The pipeline component: runs vnplan on ``doc.text`` and stores the records as spans."""

    def __init__(self, nlp: Language, name: str = "vnplan", spans_key: str = SPANS_KEY,
                 tables: Iterable[str] = tuple(LABELS), alignment_mode: str = "expand"):
        unknown = set(tables) - set(LABELS)
        if unknown:
            raise ValueError(f"unknown tables {sorted(unknown)}; choose from {list(LABELS)}")
        self.name = name
        self.spans_key = spans_key
        self.tables = tuple(tables)
        self.alignment_mode = alignment_mode
        for cls in (Span, Doc):
            if not cls.has_extension("vnplan"):
                cls.set_extension("vnplan", default=None)

    def __call__(self, doc: Doc) -> Doc:
        from .runner import process_text

        result = process_text(doc.text)
        spans: list[Span] = []
        if result.status == "ok" and result.document is not None:
            offsets = result.document.offset_map
            n = len(doc.text)
            for table in self.tables:
                for row in result.tables.get(table, []):
                    start, end = row.get("start"), row.get("end")
                    if start is None or end is None or end <= start:
                        continue
                    # Map the last character, not the exclusive end: text the normalizer
                    # inserted after the record must not widen the span.
                    s, e = offsets.to_raw(start), min(n, offsets.to_raw(end - 1) + 1)
                    span = doc.char_span(s, e, label=LABELS[table], alignment_mode=self.alignment_mode)
                    if span is None:
                        continue
                    span._.vnplan = _jsonable({k: v for k, v in row.items() if k != "doc_id"})
                    spans.append(span)
        spans.sort(key=lambda sp: (sp.start, -sp.end, sp.label_))
        doc.spans[self.spans_key] = SpanGroup(doc, name=self.spans_key, spans=spans)
        docs_row = (result.tables.get("documents") or [{}])[0]
        doc._.vnplan = _jsonable({k: v for k, v in docs_row.items()
                                  if k not in ("source_path", "source_sha256", "seconds")})
        return doc


@Language.factory("vnplan", default_config={"spans_key": SPANS_KEY, "tables": list(LABELS),
                                            "alignment_mode": "expand"})
def make_vnplan(nlp: Language, name: str, spans_key: str, tables: list[str], alignment_mode: str) -> VnplanComponent:
    """Factory behind ``nlp.add_pipe("vnplan")`` (also the ``spacy_factories`` entry point)."""
    return VnplanComponent(nlp, name, spans_key=spans_key, tables=tables, alignment_mode=alignment_mode)


def blank(segmenter: str = "underthesea", **component_config) -> Language:
    """A Vietnamese spaCy pipeline with vnplan's tokenizer and the vnplan component.

    >>> nlp = blank(segmenter="syllable")
    >>> doc = nlp("Thực hiện Chỉ thị số 33/CT-TTg ngày 26/11/2021 của Thủ tướng Chính phủ.")
    >>> nlp.pipe_names, doc.text_with_ws == doc.text
    (['vnplan'], True)
    """
    import spacy

    nlp = spacy.blank("vi", config={"nlp": {"tokenizer": {"@tokenizers": "vnplan.VietnameseTokenizer.v1",
                                                          "segmenter": segmenter}}})
    nlp.add_pipe("vnplan", config=component_config)
    return nlp
