"""Inline markup for reading and correcting annotations as text: `{{LABEL:span}}` inside the document.

An annotator reads a whole document with its spans marked (`render`), writes the corrected markup,
and `apply` turns it back into stand-off spans: the markup is stripped, aligned with the source's
text, and every span is placed by that alignment and checked character for character against the
source. Whitespace the annotator lost or added is tolerated; any other difference from the source is
an error that names the place, so a span can never land on text it was not written on. The files
hold article text: they are working files, never committed.

A markup file holds documents one after another, each under a header line `=== <source>`.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass
from typing import Sequence

from zhaoshang_ner.documents import Document, Span
from zhaoshang_ner.labels import LABELS
from zhaoshang_ner.sources import PARAGRAPHS, ArticleStore, SourceError, doc_id, paragraph_groups

HEADER = "=== "
MARK = re.compile(r"\{\{([A-Z_]+):(.*?)\}\}", re.S)


class MarkupError(ValueError):
    """Markup that cannot be turned into spans of its source, with the reason and place."""


def render(text: str, spans: Sequence[Span]) -> str:
    """The text with each span wrapped as `{{LABEL:span}}`."""
    parts, at = [], 0
    for span in sorted(spans):
        parts += [text[at : span.start], "{{", span.label, ":", text[span.start : span.end], "}}"]
        at = span.end
    parts.append(text[at:])
    return "".join(parts)


def render_file(documents: Sequence[Document], with_spans: bool = True) -> str:
    """A markup file of several documents (`with_spans=False` gives the bare texts, for a pass from scratch)."""
    return "".join(f"{HEADER}{doc.source}\n{render(doc.text, doc.entities if with_spans else [])}\n"
                   for doc in documents)


def split_file(content: str) -> list[tuple[str, str, int]]:
    """`(source, markup, line number of the header)` per document of a markup file."""
    documents: list[tuple[str, str, int]] = []
    lines = content.split("\n")
    starts = [i for i, line in enumerate(lines) if line.startswith(HEADER)]
    if not starts or any(line.strip() for line in lines[: starts[0]]):
        raise MarkupError(f"a markup file starts with a header line '{HEADER}<source>'")
    for k, first in enumerate(starts):
        last = starts[k + 1] if k + 1 < len(starts) else len(lines)
        documents.append((lines[first][len(HEADER):].strip(), "\n".join(lines[first + 1 : last]), first + 1))
    return documents


def parse(markup: str, labels: Sequence[str] = LABELS) -> tuple[str, list[Span]]:
    """`(plain text, spans on it)`; unknown labels, stray or nested braces are errors."""
    plain, spans, at = [], [], 0
    length = 0
    for match in MARK.finditer(markup):
        before = markup[at : match.start()]
        label, inner = match.group(1), match.group(2)
        if label not in labels:
            raise MarkupError(f"unknown label {label!r} at {_where(markup, match.start())}")
        if "{{" in inner or "{{" in before or "}}" in before:
            raise MarkupError(f"unbalanced or nested braces near {_where(markup, match.start())}")
        if not inner.strip():
            raise MarkupError(f"empty span at {_where(markup, match.start())}")
        plain.append(before)
        length += len(before)
        spans.append(Span(length, length + len(inner), label, inner))
        plain.append(inner)
        length += len(inner)
        at = match.end()
    rest = markup[at:]
    if "{{" in rest or "}}" in rest:
        raise MarkupError(f"unbalanced braces near {_where(markup, at + max(rest.find('{{'), rest.find('}}')))}")
    plain.append(rest)
    return "".join(plain), spans


def _where(text: str, index: int) -> str:
    line = text.count("\n", 0, index) + 1
    return f"line {line}: …{text[max(0, index - 8) : index + 16]}…".replace("\n", "⏎")


@dataclass(frozen=True)
class Alignment:
    """Character map from the stripped markup to the source text (-1 where the markup differs)."""

    to_source: list[int]
    differences: list[str]


def align(plain: str, source: str) -> Alignment:
    """Map `plain` onto `source`; regions that differ other than in whitespace are listed with context."""
    to_source = [-1] * (len(plain) + 1)
    differences = []
    matcher = difflib.SequenceMatcher(None, plain, source, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            for k in range(i2 - i1):
                to_source[i1 + k] = j1 + k
        elif (plain[i1:i2] + source[j1:j2]).strip():
            differences.append(f"markup has {plain[i1:i2][:30]!r} where the source has {source[j1:j2][:30]!r} "
                               f"(source character {j1}: …{source[max(0, j1 - 10):j1]}⟨here⟩)")
    to_source[len(plain)] = len(source)
    return Alignment(to_source, differences)


def spans_on_source(markup: str, source_text: str, labels: Sequence[str] = LABELS) -> list[Span]:
    """The markup's spans placed on the source text; raises `MarkupError` on any non-whitespace difference."""
    plain, spans = parse(markup, labels)
    alignment = align(plain, source_text)
    if alignment.differences:
        shown = "; ".join(alignment.differences[:3])
        more = f" (and {len(alignment.differences) - 3} more)" if len(alignment.differences) > 3 else ""
        raise MarkupError(f"the text differs from the source: {shown}{more}")
    placed = []
    for span in spans:
        start, last = alignment.to_source[span.start], alignment.to_source[span.end - 1]
        found = source_text[start : last + 1] if start >= 0 and last >= start else None
        # Whitespace inside a span (a line-wrap space) is the source's, whatever the markup kept.
        if found is None or "".join(found.split()) != "".join(span.text.split()):
            raise MarkupError(f"span {span.text!r} ({span.label}) does not match the source text there")
        placed.append(Span(start, last + 1, span.label, found))
    return placed


def apply_file(content: str, documents: list[Document], store: ArticleStore, annotator: str, status: str,
               labels: Sequence[str] = LABELS) -> tuple[list[Document], list[str], list[str]]:
    """Merge a markup file into `documents` (replacing the record of the same source, keeping its `group`,
    and recording a draft's maker as `draft_by`); returns `(documents, done, errors)`. A document with an
    error is left as it was, and the others are still applied."""
    by_source = {doc.source: k for k, doc in enumerate(documents)}
    merged, done, errors = list(documents), [], []
    groups: dict[str, str] | None = None
    for source, markup, line in split_file(content):
        try:
            found = store.read(source)
            spans = spans_on_source(markup, found.text, labels)
        except (MarkupError, SourceError) as exc:
            errors.append(f"line {line} {source}: {exc}")
            continue
        previous = merged[by_source[source]] if source in by_source else None
        meta = dict(previous.meta) if previous else {}
        if previous and previous.status == "draft" and previous.annotator:
            meta["draft_by"] = previous.annotator
        group = previous.group if previous else None
        if group is None and source.startswith(PARAGRAPHS + "#"):
            groups = paragraph_groups(store) if groups is None else groups
            group = groups[source.partition("#")[2]]
        doc = Document(doc_id(source), found.text, spans, source, found.sha256, status, annotator, group, meta)
        if previous:
            merged[by_source[source]] = doc
        else:
            by_source[source] = len(merged)
            merged.append(doc)
        done.append(f"{source}: {len(spans)} spans")
    return merged, done, errors
