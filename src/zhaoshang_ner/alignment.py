"""Character spans ↔ token tags through the fast tokenizer's offset mapping.

A Chinese WordPiece tokenizer makes one token per Han character but groups digits and Latin
letters (`130`, `AT&S` → `at`, `&`, `s`), drops whitespace, and maps rare characters to `[UNK]`
(which still carry offsets). A token takes the tag of its first character; a span is decoded
from the first character of its first token to the last character of its last token, so
whitespace inside a span survives the round trip. A gold boundary that falls inside a token
cannot be represented; `unrepresentable` reports those.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

from zhaoshang_ner.documents import Span
from zhaoshang_ner.spans import spans_to_bio, tag_runs


@dataclass(frozen=True)
class TokenizedText:
    """Token ids of a whole text (no special tokens) with each token's `(start, end)` character offsets."""

    text: str
    input_ids: list[int]
    offsets: list[tuple[int, int]]


def tokenize(tokenizer, text: str) -> TokenizedText:
    encoding = tokenizer(text, add_special_tokens=False, return_offsets_mapping=True, truncation=False)
    pairs = [(ids, off) for ids, off in zip(encoding["input_ids"], encoding["offset_mapping"]) if off[1] > off[0]]
    return TokenizedText(text, [p[0] for p in pairs], [tuple(p[1]) for p in pairs])


def spans_to_token_tags(tokens: TokenizedText, spans: Sequence[Span]) -> list[str]:
    """Tag each token with the BIO tag of its first character."""
    char_tags = spans_to_bio(len(tokens.text), spans)
    return [char_tags[start] for start, _ in tokens.offsets]


def token_tags_to_spans(tokens: TokenizedText, tags: Sequence[str]) -> list[Span]:
    """Read spans from token tags: from the first character of a run's first token to the last of its last."""
    spans = []
    for first, end, label in tag_runs(tags):
        start, stop = tokens.offsets[first][0], tokens.offsets[end - 1][1]
        spans.append(Span(start, stop, label, tokens.text[start:stop]))
    return spans


def unrepresentable(tokens: TokenizedText, spans: Sequence[Span]) -> list[Span]:
    """Gold spans that do not survive spans → token tags → spans (a boundary inside a token)."""
    decoded = set(token_tags_to_spans(tokens, spans_to_token_tags(tokens, spans)))
    return [span for span in spans if span not in decoded]
