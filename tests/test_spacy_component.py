"""The spaCy side: the "vnplan" component, its tokenizer, displaCy rendering."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import spacy
from hypothesis import given, settings, strategies as st
from spacy import displacy
from spacy.tokens import Doc

import pipeline.runner
from pipeline.spacy_component import VietnameseTokenizer, blank, syllable_tokens

SAMPLES = Path(__file__).resolve().parent.parent / "data" / "samples"


@pytest.mark.parametrize("text, tokens", [
    ("Chỉ thị số 33/CT-TTg ngày 26/11/2021.", ["Chỉ", "thị", "số", "33/CT-TTg", "ngày", "26/11/2021", "."]),
    ("Nghị định 59/2023/NĐ-CP; Quyết định 23-QĐ/TW[^1],", ["Nghị", "định", "59/2023/NĐ-CP", ";", "Quyết", "định",
                                                          "23-QĐ/TW", "[^1]", ","]),
    ("(Phòng Văn hóa - Xã hội)", ["(", "Phòng", "Văn", "hóa", "-", "Xã", "hội", ")"]),
    ("| 1 | Quý II/2026 |", ["|", "1", "|", "Quý", "II/2026", "|"]),
    ("ngày 14.8.2023 và 100%", ["ngày", "14.8.2023", "và", "100", "%"]),
])
def test_syllable_tokens(text, tokens):
    assert [text[s:e] for s, e in syllable_tokens(text)] == tokens


@pytest.fixture(scope="module")
def vocab():
    return spacy.blank("xx").vocab


@pytest.mark.parametrize("text, tokens", [
    ("Ủy ban nhân dân tỉnh chủ trì, phối hợp.", {"chủ trì", "phối hợp"}),
    ("Thực hiện Chỉ thị số 33/CT-TTg", {"Thực hiện", "Chỉ thị", "33/CT-TTg"}),
])
def test_underthesea_joins_syllables_of_a_word(vocab, text, tokens):
    doc = VietnameseTokenizer(vocab, "underthesea")(text)
    assert tokens <= {t.text for t in doc}
    assert doc.text == text


VOCAB = spacy.blank("xx").vocab


# (surrogates excluded: spaCy's vocabulary cannot store them at all)
@settings(max_examples=150, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("aăâđêôơưỦy Ơ\n\t  .,;:/-[]^()|%01239"))
               | st.characters(blacklist_categories=("Cs",)), max_size=60))
def test_tokenizer_keeps_the_text(text):
    doc = VietnameseTokenizer(VOCAB, "syllable")(text)
    assert doc.text == text and "".join(t.text_with_ws for t in doc) == text


@settings(max_examples=25, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("ơủa ban nhân dân tỉnh\n.,[^1]33/CT-TTg")), max_size=60))
def test_word_segmenter_keeps_the_text(text):
    doc = VietnameseTokenizer(VOCAB, "underthesea")(text)
    assert doc.text == text


def test_bad_segmenter(vocab):
    with pytest.raises(ValueError):
        VietnameseTokenizer(vocab, "pyvi")


# --- the component -----------------------------------------------------------------------------

RAW = ("KẾ HOẠCH\nThực hiện Chỉ thị số 33/CT-TTg ngày 26/11/2021 và Kế hoạch số 635/KH-\n"
       "UBND ngày 26/01/2025 của UBND tỉnh;\nSở Nội vụ chủ trì, báo cáo trước ngày 15/12/2026.\n")


def _fake_process_text(real):
    """Real normalization, hand-made records (independent of the extractors' progress)."""
    def fake(text, source_path="<text>"):
        res = real(text, source_path)
        t = res.document.text

        def at(raw):
            i = t.index(raw)
            return dict(start=i, end=i + len(raw), raw=raw)
        res.tables["citations"] = [dict(at("Chỉ thị số 33/CT-TTg"), type="Chỉ thị", number="33", symbol="CT-TTg"),
                                   dict(at("Kế hoạch số 635/KH-UBND"), type="Kế hoạch", number="635",
                                        symbol="KH-UBND")]
        import datetime as dt
        res.tables["deadlines"] = [dict(at("trước ngày 15/12/2026"), kind="absolute", date=dt.date(2026, 12, 15))]
        res.tables["assignments"] = [dict(at("Sở Nội vụ"), unit="Sở Nội vụ", role="lead")]
        return res
    return fake


@pytest.fixture
def nlp(monkeypatch):
    monkeypatch.setattr(pipeline.runner, "process_text", _fake_process_text(pipeline.runner.process_text))
    return blank(segmenter="syllable")


def test_spans_map_back_through_normalization(nlp):
    doc = nlp(RAW)
    got = [(s.label_, s.text) for s in doc.spans["vnplan"]]
    assert got == [("CITATION", "Chỉ thị số 33/CT-TTg"),
                   ("CITATION", "Kế hoạch số 635/KH-\nUBND"),  # joined in the normalized text, one span here
                   ("UNIT", "Sở Nội vụ"),
                   ("DEADLINE", "trước ngày 15/12/2026")]
    cit = doc.spans["vnplan"][1]
    assert cit._.vnplan["symbol"] == "KH-UBND" and cit._.vnplan["raw"] == "Kế hoạch số 635/KH-UBND"
    assert doc.spans["vnplan"][3]._.vnplan["date"] == "2026-12-15"  # JSON-able
    assert doc._.vnplan["doc_type"] == "Kế hoạch"


def test_expand_alignment_on_a_coarse_tokenizer(monkeypatch):
    """Any tokenizer works: a span inside a token grows to the whole token."""
    monkeypatch.setattr(pipeline.runner, "process_text", _fake_process_text(pipeline.runner.process_text))
    nlp = spacy.blank("xx")  # splits "33/CT-TTg" differently, keeps "15/12/2026." whole
    nlp.add_pipe("vnplan", config={"tables": ["deadlines"]})
    doc = nlp(RAW)
    spans = doc.spans["vnplan"]
    assert [s.label_ for s in spans] == ["DEADLINE"]
    assert spans[0].text.startswith("trước ngày 15/12/2026")


def test_displacy_renders_the_spans(nlp):
    html = displacy.render(nlp(RAW), style="span", options={"spans_key": "vnplan"})
    for label in ("CITATION", "DEADLINE", "UNIT"):
        assert label in html
    assert "33/CT-TTg" in html


def test_doc_serializes(nlp):
    doc = nlp(RAW)
    again = Doc(nlp.vocab).from_bytes(doc.to_bytes())
    assert [s.text for s in again.spans["vnplan"]] == [s.text for s in doc.spans["vnplan"]]


def test_pipeline_round_trips_through_disk(tmp_path):
    nlp = blank(segmenter="syllable", spans_key="legal")
    nlp.to_disk(tmp_path / "model")
    loaded = spacy.load(tmp_path / "model")
    assert loaded.pipe_names == ["vnplan"]
    doc = loaded("Sở Nội vụ chủ trì.")
    assert "legal" in doc.spans and doc.text == "Sở Nội vụ chủ trì."


def test_factory_is_found_through_the_entry_point():
    """`nlp.add_pipe("vnplan")` without importing anything from vnplan first."""
    code = ("import spacy; nlp = spacy.blank('xx'); nlp.add_pipe('vnplan'); "
            "nlp2 = spacy.blank('vi', config={'nlp': {'tokenizer': {'@tokenizers': "
            "'vnplan.VietnameseTokenizer.v1', 'segmenter': 'syllable'}}}); "
            "print(nlp.pipe_names, [t.text for t in nlp2('số 33/CT-TTg.')])")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert proc.stdout.strip() == "['vnplan'] ['số', '33/CT-TTg', '.']"


def test_real_pipeline_on_a_sample():
    """On a bundled plan, with the real extractors: Chỉ thị 33/CT-TTg is a CITATION span."""
    nlp = blank(segmenter="syllable")
    doc = nlp((SAMPLES / "000_2c25de43f7d7b53b.txt").read_text(encoding="utf-8"))
    assert doc._.vnplan["province"] == "Lai Châu"
    cits = [s for s in doc.spans["vnplan"] if s.label_ == "CITATION"]
    assert any(s._.vnplan.get("symbol") == "CT-TTg" and s._.vnplan.get("number") == "33" for s in cits)
    for s in doc.spans["vnplan"]:  # every span covers its record's words (as written in the source)
        raw = s._.vnplan.get("raw") or s._.vnplan.get("unit_raw")
        if raw:
            assert _skeleton(raw) in _skeleton(s.text), (raw, s.text)


def _skeleton(s: str) -> str:
    """Letters and digits only, without diacritics: blind to what normalization changes
    (dashes, tone placement, line breaks), not to a span on the wrong words."""
    import unicodedata
    s = unicodedata.normalize("NFD", s.replace("Đ", "D").replace("đ", "d"))
    return "".join(ch for ch in s.casefold() if ch.isalnum() and not unicodedata.combining(ch))
