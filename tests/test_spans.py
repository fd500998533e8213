"""Spans ↔ BIO: lossless on every gold document; overlaps refused; stray I- tags start a span."""

from pathlib import Path

import pytest

from zhaoshang_ner.documents import Span, read_documents
from zhaoshang_ner.spans import bio_to_spans, spans_to_bio

GOLD_DOCUMENTS = read_documents(Path(__file__).parents[1] / "annotations" / "gold.jsonl")


@pytest.mark.parametrize("doc", GOLD_DOCUMENTS, ids=lambda d: d.id)
def test_round_trip_on_gold(doc):
    assert bio_to_spans(doc.text, spans_to_bio(len(doc.text), doc.entities)) == sorted(doc.entities)


def test_overlap_is_an_error():
    with pytest.raises(ValueError, match=r"span \[1,3\) ORG overlaps another span"):
        spans_to_bio(5, [Span(0, 2, "COMPANY"), Span(1, 3, "ORG")])


def test_out_of_range_is_an_error():
    with pytest.raises(ValueError, match="out of range"):
        spans_to_bio(2, [Span(1, 3, "ORG")])


@pytest.mark.parametrize(
    ("tags", "expected"),
    [
        (["I-ORG", "I-ORG", "O"], [Span(0, 2, "ORG", "ab")]),
        (["O", "I-ORG", "I-DATE"], [Span(1, 2, "ORG", "b"), Span(2, 3, "DATE", "c")]),
        (["B-ORG", "I-DATE", "I-DATE"], [Span(0, 1, "ORG", "a"), Span(1, 3, "DATE", "bc")]),
        (["B-ORG", "B-ORG", "I-ORG"], [Span(0, 1, "ORG", "a"), Span(1, 3, "ORG", "bc")]),
    ],
)
def test_i_without_b_starts_a_span(tags, expected):
    assert bio_to_spans("abc", tags) == expected


def test_tag_count_must_match_text():
    with pytest.raises(ValueError, match="2 tags for 3 characters"):
        bio_to_spans("abc", ["O", "O"])
