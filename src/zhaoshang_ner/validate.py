"""Check stand-off annotation files against the annotation contract, reporting every problem with its location.

Unlike `read_documents`, which stops at the first bad line, the validator keeps going so one run
lists everything an annotator has to fix: record fields, the source (present, and the bytes that
were annotated, by SHA-256), offsets and span texts against the source's text, labels, span edges
and overlaps. A committed annotation file never carries the article text (it belongs to its
publisher), so a `text` field is a problem too.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable

from zhaoshang_ner.documents import STATUSES, parse_jsonl
from zhaoshang_ner.labels import LABELS
from zhaoshang_ner.sources import PARAGRAPHS, ArticleStore, SourceError

BRACKET_PAIRS = {"(": ")", "（": "）", "[": "]", "【": "】"}
CLOSING_TO_OPENING = {close: open_ for open_, close in BRACKET_PAIRS.items()}
ENTITY_FIELDS = (("start", int), ("end", int), ("label", str), ("text", str))
DOCUMENT_FIELDS = (("id", str), ("source", str), ("sha256", str), ("status", str), ("annotator", str),
                   ("entities", list))


@dataclass(frozen=True)
class Problem:
    """One contract violation; `entity` is the entity's index, `None` for document-level problems."""

    path: str
    line: int
    doc_id: str | None
    reason: str
    entity: int | None = None
    start: object = None
    end: object = None
    label: object = None

    def __str__(self) -> str:
        where = f"{self.path}:{self.line} id={self.doc_id if self.doc_id is not None else '?'}"
        if self.entity is not None:
            start, end, label = ("?" if v is None else v for v in (self.start, self.end, self.label))
            where += f" entity #{self.entity} [{start},{end}) {label}"
        return f"{where}: {self.reason}"


def is_blank_or_punct(char: str) -> bool:
    """Whitespace (incl. U+3000) and Unicode separators/punctuation may not sit on a span edge."""
    return char.isspace() or unicodedata.category(char)[0] in "ZP"


def edge_reason(span_text: str) -> str | None:
    """Why the span's first or last character is not allowed there, or `None` when both edges are fine.

    A bracket may be an edge only when its partner is inside the span (`格力电器(临沂)…项目` ends in `目`,
    but a name like `中环(临沂)` may end in `)` because `(` is inside).
    """
    for side, char in (("starts", span_text[0]), ("ends", span_text[-1])):
        if char in BRACKET_PAIRS and BRACKET_PAIRS[char] in span_text[1:]:
            continue
        if char in CLOSING_TO_OPENING and CLOSING_TO_OPENING[char] in span_text[:-1]:
            continue
        if is_blank_or_punct(char):
            return f"span {side} with whitespace or punctuation {char!r}"
    return None


def field_problems(record: dict, fields: tuple[tuple[str, type], ...]) -> list[str]:
    problems = []
    for key, kind in fields:
        value = record.get(key)
        if key not in record:
            problems.append(f"missing field {key!r}")
        elif not isinstance(value, kind) or isinstance(value, bool):
            problems.append(f"field {key!r} must be {kind.__name__}, got {type(value).__name__}")
    return problems


def entity_problems(text: str, entities: list) -> Iterable[tuple[int, dict, str]]:
    """Yield `(index, entity, reason)` for every entity-level violation, overlaps included."""
    placed: list[tuple[int, int, int]] = []  # (start, end, index) of spans with usable offsets
    for k, ent in enumerate(entities):
        if not isinstance(ent, dict):
            yield k, {}, "entity is not a JSON object"
            continue
        reasons = field_problems(ent, ENTITY_FIELDS)
        for reason in reasons:
            yield k, ent, reason
        if reasons:
            continue
        start, end = ent["start"], ent["end"]
        if start >= end:
            yield k, ent, "start must be < end"
            continue
        if start < 0 or end > len(text):
            yield k, ent, f"offsets out of range for text of length {len(text)}"
            continue
        placed.append((start, end, k))
        if text[start:end] != ent["text"]:
            yield k, ent, f"text[{start}:{end}] is {text[start:end]!r}, entity text is {ent['text']!r}"
        if ent["label"] not in LABELS:
            yield k, ent, f"unknown label {ent['label']!r} (expected one of {', '.join(LABELS)})"
        reason = edge_reason(text[start:end])
        if reason:
            yield k, ent, reason
    placed.sort()
    for (s1, e1, k1), (s2, e2, k2) in zip(placed, placed[1:]):
        if s2 < e1:
            yield k2, entities[k2], f"overlaps entity #{k1} [{s1},{e1})"


def document_problems(record: dict, store: ArticleStore) -> Iterable[tuple[int | None, dict, str]]:
    """Yield `(entity index or None, entity, reason)` for one parsed line."""
    reasons = field_problems(record, DOCUMENT_FIELDS)
    if "text" in record:
        reasons.append("carries the article text: annotation files are stand-off (source + sha256 only)")
    if isinstance(record.get("status"), str) and record["status"] not in STATUSES:
        reasons.append(f"status {record['status']!r} is not one of {', '.join(STATUSES)}")
    if str(record.get("source", "")).startswith(PARAGRAPHS + "#") and not isinstance(record.get("group"), str):
        reasons.append("a corpus paragraph needs `group` (its corpus document, which keeps it in one fold)")
    text = None
    if isinstance(record.get("source"), str) and isinstance(record.get("sha256"), str):
        try:
            text = store.text(record["source"], record["sha256"])
        except SourceError as exc:
            reasons.append(str(exc))
    for reason in reasons:
        yield None, {}, reason
    if text is not None and isinstance(record.get("entities"), list):
        yield from entity_problems(text, record["entities"])


def validate_file(path: str | Path, articles: str | Path | ArticleStore | None = None,
                  seen: dict[str, str] | None = None) -> list[Problem]:
    """All problems of one JSONL file; `seen` (id or source → first location) carries uniqueness across files."""
    seen = {} if seen is None else seen
    store = ArticleStore.of(articles)
    problems: list[Problem] = []
    try:
        parsed = list(parse_jsonl(path))
    except OSError as exc:
        return [Problem(str(path), 0, None, f"cannot read file: {exc}")]
    for number, record, error in parsed:
        if error:
            problems.append(Problem(str(path), number, None, error))
            continue
        doc_id = record.get("id") if isinstance(record.get("id"), str) else None
        for key, value in (("id", doc_id), ("source", record.get("source"))):
            if isinstance(value, str):
                if (key, value) in seen:
                    problems.append(Problem(str(path), number, doc_id, f"duplicate {key}, first seen at {seen[key, value]}"))
                else:
                    seen[key, value] = f"{path}:{number}"
        for k, ent, reason in document_problems(record, store):
            problems.append(
                Problem(str(path), number, doc_id, reason, k, ent.get("start"), ent.get("end"), ent.get("label"))
            )
    return problems


def validate_files(paths: Iterable[str | Path], articles: str | Path | ArticleStore | None = None) -> list[Problem]:
    """Validate several files together, so an id or source used in two files is reported."""
    store = ArticleStore.of(articles)
    seen: dict = {}
    return [problem for path in paths for problem in validate_file(path, store, seen)]
