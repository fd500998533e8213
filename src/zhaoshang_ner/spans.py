"""Spans ↔ per-character BIO tags: the lossless bridge between annotations and sequence labels."""

from __future__ import annotations

from typing import Sequence

from zhaoshang_ner.documents import Span


def spans_to_bio(length: int, spans: Sequence[Span]) -> list[str]:
    """One tag per character; raises `ValueError` on overlapping or out-of-range spans."""
    tags = ["O"] * length
    for span in sorted(spans):
        if not 0 <= span.start < span.end <= length:
            raise ValueError(f"span [{span.start},{span.end}) out of range for length {length}")
        if any(tag != "O" for tag in tags[span.start : span.end]):
            raise ValueError(f"span [{span.start},{span.end}) {span.label} overlaps another span")
        tags[span.start] = f"B-{span.label}"
        for i in range(span.start + 1, span.end):
            tags[i] = f"I-{span.label}"
    return tags


def tag_runs(tags: Sequence[str]) -> list[tuple[int, int, str]]:
    """`(first, end, label)` index runs of BIO tags; an `I-X` that does not continue an `X` run starts one (conlleval).

    One decoder for character tags and token tags alike.
    """
    runs: list[tuple[int, int, str]] = []
    first, label = None, None
    for i, tag in enumerate(list(tags) + ["O"]):
        prefix, _, kind = tag.partition("-")
        continues = prefix == "I" and kind == label
        if first is not None and not continues:
            runs.append((first, i, label))
            first, label = None, None
        if prefix in ("B", "I") and not continues:
            first, label = i, kind
    return runs


def bio_to_spans(text: str, tags: Sequence[str]) -> list[Span]:
    """Read spans back from per-character tags."""
    if len(tags) != len(text):
        raise ValueError(f"{len(tags)} tags for {len(text)} characters")
    return [Span(start, end, label, text[start:end]) for start, end, label in tag_runs(tags)]
