"""Noise augmentation: traditional script, pinyin glosses and mojibake with exactly remapped spans."""

import random

import pytest

from zhaoshang_ner.augment import apply_edits, noise_tables, noisy_copies, to_traditional, with_mojibake, with_pinyin
from zhaoshang_ner.documents import Document, Span

TEXT = "青禾市招商引资签约项目，总投资86亿元，发展新能源产业。"
SPANS = [Span(0, 3, "HOST_REGION", "青禾市"), Span(15, 19, "AMOUNT", "86亿元"), Span(22, 25, "INDUSTRY", "新能源")]
DOC = Document("d", TEXT, SPANS)


def assert_spans_hold(doc: Document) -> None:
    for span in doc.entities:
        assert doc.text[span.start : span.end] == span.text


def test_insertions_inside_a_span_stay_inside_and_at_its_edges_stay_outside():
    text, spans = apply_edits(TEXT, SPANS, [(0, 0, "<"), (1, 0, "(qīng)"), (3, 0, "(shì)"), (25, 0, "!")])
    assert text.startswith("<青(qīng)禾市(shì)招商")
    assert [s.text for s in spans] == ["青(qīng)禾市", "86亿元", "新能源"]
    assert text[spans[2].end] == "!"


def test_replacements_move_later_spans():
    text, spans = apply_edits(TEXT, SPANS, [(3, 4, "X"), (20, 2, "YYYY")])
    assert text == "青禾市X签约项目，总投资86亿元，YYYY新能源产业。"
    assert [(s.start, s.end, s.text) for s in spans] == [(0, 3, "青禾市"), (12, 16, "86亿元"), (21, 24, "新能源")]


def test_overlapping_edits_are_refused():
    with pytest.raises(ValueError, match="overlapping"):
        apply_edits(TEXT, SPANS, [(3, 4, "X"), (5, 0, "Y")])


def test_traditional_keeps_offsets():
    noisy = to_traditional(DOC, noise_tables())
    assert noisy.text.startswith("青禾市招商引資簽約項目") and len(noisy.text) == len(TEXT)
    assert [s.text for s in noisy.entities] == ["青禾市", "86億元", "新能源"]


def test_pinyin_glosses_and_mojibake_keep_every_span_on_its_text():
    tables = noise_tables()
    assert tables.pinyin["项"] == "xiàng"
    for seed in range(20):
        glossed = with_pinyin(DOC, tables, random.Random(seed))
        assert_spans_hold(glossed)
        assert [s.text.replace("(", "").rstrip(")") for s in glossed.entities]  # spans kept
        broken = with_mojibake(DOC, random.Random(seed))
        assert_spans_hold(broken)
        assert [s.text for s in broken.entities] == ["青禾市", "86亿元", "新能源"]
    assert any(len(with_pinyin(DOC, tables, random.Random(seed)).text) > len(TEXT) for seed in range(20))
    assert any(with_mojibake(DOC, random.Random(seed)).text != TEXT for seed in range(5))


def test_noisy_copies_are_seeded_and_named():
    first = noisy_copies([DOC] * 5, {"traditional": 1.0, "pinyin": 0.5}, seed=3)
    assert first == noisy_copies([DOC] * 5, {"traditional": 1.0, "pinyin": 0.5}, seed=3)
    assert sum(d.id == "d~traditional" for d in first) == 5
    for doc in first:
        assert_spans_hold(doc)
    with pytest.raises(ValueError, match="unknown noise kinds"):
        noisy_copies([DOC], {"emoji": 1.0}, seed=0)
